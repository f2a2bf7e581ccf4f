"""The one writer of files a person opens in Excel or WPS (CSV and XLSX): no cell is ever a formula.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by a
spreadsheet as a formula (CSV/formula injection, OWASP). Every export and report in gridgov writes
through this module:

- CSV: such text is prefixed with an apostrophe (``'=1+2``), as OWASP recommends; Excel and WPS
  then show it as text.
- XLSX: every text value is written as a string cell (``data_type 's'``), never as a formula, with the
  cell's quote-prefix flag set when the text looks like a formula, so editing the cell keeps it text.

Numbers, dates and booleans are written as they are. No Django import here: the pure commands
(``gridgov detect``) use it too. tests/core/test_spreadsheet.py holds a grep test that fails when a
``csv.writer`` or an openpyxl ``Workbook`` appears anywhere else in the source.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text that a spreadsheet would read as a formula gets a leading
    apostrophe; every other value is returned unchanged."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


class SafeCsvWriter:
    """``csv.writer`` whose rows pass through :func:`safe_cell`."""

    def __init__(self, out, **fmt):
        self._w = csv.writer(out, **fmt)

    def writerow(self, row: Iterable[Any]):
        return self._w.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self._w.writerow(safe_row(row))


def csv_writer(out, **fmt) -> SafeCsvWriter:
    """A CSV writer over the text stream ``out`` (keyword arguments as ``csv.writer``)."""
    return SafeCsvWriter(out, **fmt)


def csv_field(text: str) -> str:
    """One safe CSV field as csv.writer writes it (quoted when it holds a comma, a quote or a line break)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow((safe_cell(text),))
    return out.getvalue()


def xlsx_workbook(*, write_only: bool = False):
    """A new openpyxl workbook; fill its sheets with :func:`xlsx_append` only."""
    from openpyxl import Workbook

    return Workbook(write_only=write_only)


def _text_cell(ws, value: str):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # never "f", whatever the text begins with
    if looks_like_formula(value):
        cell.quotePrefix = True
    return cell


def xlsx_append(ws, row: Iterable[Any]) -> None:
    """Append ``row`` to the worksheet ``ws`` (normal or write-only); text is always a string cell."""
    ws.append([_text_cell(ws, v) if isinstance(v, str) else v for v in row])
