"""Streaming readers for CSV (UTF-8 / GBK / GB18030, detected) and Excel .xlsx (pure: no Django).

``open_table(path, …)`` yields a ``Table``: its header mapped to canonical field names through
aliases (Chinese headers and English names), and ``rows()`` yielding ``(row_number, values)``
where row 1 is the header. Memory is constant: CSV is decoded incrementally, .xlsx is read with
openpyxl's read-only mode.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from gridgov.core import spreadsheet

SAMPLE = 64 * 1024


class TableError(Exception):
    """A problem with the whole file (encoding, header): ``field``, ``reason``, ``row``."""

    def __init__(self, field_name: str, reason: str, *, code: str, row: int | None = None, **params):
        """With ``params``, ``reason`` is an English template filled with them (kept for translation)."""
        self.template: str | None = reason if params else None
        self.params: dict | None = params or None
        reason = reason % params if params else reason
        super().__init__(f"{field_name}: {reason}")
        self.field, self.reason, self.code, self.row = field_name, reason, code, row


@dataclass(frozen=True)
class Limits:
    """What a file may hold (a zip bomb is refused before it is parsed): ``max_uncompressed`` bytes
    of all .xlsx members together, ``max_ratio`` uncompressed/compressed, ``max_rows`` data rows,
    ``max_cell`` characters in one cell. The upload size is checked by the caller."""

    max_uncompressed: int = 200 * 1024 * 1024
    max_ratio: int = 100
    max_rows: int = 200_000
    max_cell: int = 1000


class LimitExceeded(TableError):
    """A limit of ``Limits``: ``status`` 413 (too large) or 422 (too many rows, a cell too long);
    ``limit`` the value that was exceeded."""

    def __init__(self, field_name: str, reason: str, *, code: str, status: int, limit: int, row: int | None = None):
        super().__init__(field_name, reason, code=code, row=row)
        self.status, self.limit = status, limit


def check_zip(path: str, limits: Limits) -> None:
    """Refuse an .xlsx whose members would inflate past the limits, from the zip directory alone
    (nothing is decompressed): the sum of the members' uncompressed sizes, and its ratio to the
    compressed sizes."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TableError("file", "not a readable .xlsx workbook (BadZipFile)", code="bad_xlsx", row=1) from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > limits.max_uncompressed:
        raise LimitExceeded("file", f"uncompressed, the workbook holds {total} bytes (at most "
                            f"{limits.max_uncompressed})", code="too_large_uncompressed", status=413,
                            limit=limits.max_uncompressed)
    if total > max(packed, 1) * limits.max_ratio:
        raise LimitExceeded("file", f"the workbook is compressed {total / max(packed, 1):.0f} to 1 (at most "
                            f"{limits.max_ratio} to 1)", code="compression_ratio", status=413,
                            limit=limits.max_ratio)


def _check_row(number: int, values: list, limits: Limits) -> None:
    if number - 1 > limits.max_rows:
        raise LimitExceeded("file", f"more than {limits.max_rows} rows", code="too_many_rows", status=422,
                            limit=limits.max_rows, row=number)
    for value in values:
        if isinstance(value, str) and len(value) > limits.max_cell:
            raise LimitExceeded("file", f"a cell longer than {limits.max_cell} characters", code="cell_too_long",
                                status=422, limit=limits.max_cell, row=number)


def _bad_offset(sample: bytes, encoding: str) -> int | None:
    """Offset of the first byte that does not decode (None: the sample decodes)."""
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=False)
        return None
    except UnicodeDecodeError as exc:
        return exc.start


def detect_encoding(sample: bytes) -> str:
    """'utf-8-sig', 'utf-8' or 'gb18030' (a superset of GBK and GB2312), else TableError."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in sample:
        raise TableError("encoding", "the file is UTF-16 (or binary); save it as CSV UTF-8 or GBK",
                         code="wrong_encoding", row=1)
    bad_utf8 = _bad_offset(sample, "utf-8")
    if bad_utf8 is None:
        return "utf-8"
    bad_gb = _bad_offset(sample, "gb18030")
    if bad_gb is None:
        return "gb18030"
    at = max(bad_utf8, bad_gb)
    raise TableError("encoding", "the file is neither UTF-8 nor GBK/GB18030 (byte %(byte)s)",
                     code="wrong_encoding", row=sample[:at].count(b"\n") + 1, byte=at + 1)


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float)):
        return value  # kept numeric: the validator of an identity column rejects it
    return str(value).strip()


@dataclass
class Table:
    fields: list[str | None]  # canonical field per column (None: ignored column)
    encoding: str = ""
    size: int = 0
    position: Callable[[], int] = field(default=lambda: 0)
    _rows: Iterator | None = None

    def rows(self) -> Iterator[tuple[int, list]]:
        assert self._rows is not None
        return self._rows


def map_header(header: list, aliases: dict[str, str], required: list[tuple[str, ...]]) -> list[str | None]:
    """Canonical field names for the header cells; TableError naming a missing column."""
    norm = {k.strip().lower(): v for k, v in aliases.items()}
    fields: list[str | None] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = norm.get(str(cell or "").strip().lower().replace("\ufeff", ""))
        if name in seen:
            raise TableError(name, "column appears twice (columns %(first)s and %(second)s)",
                             code="duplicate_column", row=1, first=seen[name] + 1, second=i + 1)
        if name:
            seen[name] = i
        fields.append(name)
    for options in required:
        if not any(o in seen for o in options):
            names = " or ".join(_header_names(o, aliases) for o in options)
            raise TableError(options[0], "missing column %(names)s", code="missing_column", row=1, names=names)
    return fields


def _header_names(field_name: str, aliases: dict[str, str]) -> str:
    names = [k for k, v in aliases.items() if v == field_name]
    return "/".join(names[:2]) or field_name


def open_table(path: str, *, aliases: dict[str, str], required: list[tuple[str, ...]],
               encoding: str | None = None, filename: str | None = None, limits: Limits | None = None) -> Table:
    """``limits`` (default ``Limits()``): an .xlsx is checked (``check_zip``) before it is parsed;
    rows past ``max_rows`` or a cell past ``max_cell`` raise ``LimitExceeded`` as they are read."""
    limits = limits or Limits()
    name = (filename or path).lower()
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if name.endswith(".xlsx") or magic == b"PK\x03\x04":
        check_zip(path, limits)
        return _open_xlsx(path, aliases, required, limits)
    return _open_csv(path, aliases, required, encoding, limits)


def _open_csv(path, aliases, required, encoding, limits: Limits) -> Table:
    raw = open(path, "rb")  # noqa: SIM115 - closed by the row generator
    size = os.fstat(raw.fileno()).st_size
    try:
        enc = encoding or detect_encoding(raw.read(SAMPLE))
        codecs.lookup(enc)
    except LookupError:
        raw.close()
        raise TableError("encoding", "unknown encoding %(encoding)s", code="wrong_encoding", row=1,
                         encoding=repr(encoding)) from None
    except TableError:
        raw.close()
        raise
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding=enc, newline="", errors="strict")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except UnicodeDecodeError:
        raw.close()
        raise TableError("encoding", "the header is not valid %(encoding)s", code="wrong_encoding", row=1,
                         encoding=enc) from None
    if not header:
        raw.close()
        raise TableError("file", "is empty", code="empty", row=1)
    try:
        fields = map_header(header, aliases, required)
    except TableError:
        raw.close()
        raise

    def rows():
        number = 1
        try:
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise TableError("encoding", "bytes that are not valid %(encoding)s after row %(after)s "
                                     "(the file mixes encodings?)", code="wrong_encoding", row=number + 1,
                                     encoding=enc, after=number) from None
                except csv.Error as exc:
                    raise TableError("file", "CSV syntax error: %(error)s", code="bad_csv", row=number + 1, error=exc) from None
                number += 1
                if not any(values):
                    continue
                _check_row(number, values, limits)
                yield number, values
        finally:
            raw.close()

    return Table(fields, encoding=enc, size=size, position=lambda: _tell(raw),
                 _rows=rows())


def _tell(raw) -> int:
    try:
        return raw.tell()
    except (ValueError, OSError):
        return 0


def _open_xlsx(path, aliases, required, limits: Limits) -> Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise TableError("file", "not a readable .xlsx workbook (%(error)s)", code="bad_xlsx",
                         row=1, error=type(exc).__name__) from None
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header = next(it, None)
    if not header:
        wb.close()
        raise TableError("file", "the first sheet is empty", code="empty", row=1)
    try:
        _check_row(1, [_cell(c) for c in header], limits)
        fields = map_header([_cell(c) for c in header], aliases, required)
    except TableError:
        wb.close()
        raise
    total = ws.max_row or 0
    if total - 1 > limits.max_rows:  # the sheet's declared size (the rows are counted again below)
        wb.close()
        raise LimitExceeded("file", f"more than {limits.max_rows} rows", code="too_many_rows", status=422,
                            limit=limits.max_rows, row=limits.max_rows + 2)
    state = {"n": 1}

    def rows():
        try:
            for values in it:
                state["n"] += 1
                cells = [_cell(c) for c in values]
                if not any(c != "" for c in cells):
                    continue
                _check_row(state["n"], cells, limits)
                yield state["n"], cells
        finally:
            wb.close()

    return Table(fields, encoding="xlsx", size=total, position=lambda: state["n"], _rows=rows())


def write_csv(rows: list[list], header: list[str]) -> bytes:
    """A small CSV (UTF-8 with BOM, so Excel opens it) of report rows."""
    out = io.StringIO()
    w = spreadsheet.csv_writer(out)
    w.writerow(header)
    w.writerows(rows)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
