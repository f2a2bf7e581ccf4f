"""Imports of persons, houses and organisations from CSV or .xlsx, streaming, with a report.

- Template: Chinese headers with English aliases (``*_ALIASES``; docs/registry.md lists them).
- Every row is validated; every rejected row is reported with its row number (the header is row 1),
  field and reason. ``mode="all-or-nothing"`` (default) writes nothing when any row is rejected;
  ``mode="valid-rows"`` writes the valid rows and reports the rest. A problem with the whole file
  (encoding, missing column) writes nothing in either mode.
- Upsert: persons by identity number (blind index) or document type + number, houses by house
  code, organisations by unified social credit code. Re-importing the same file changes nothing.
- Memory: rows are handled in batches of ``BATCH``; only the keys already seen are kept to find
  duplicates inside the file: sorted NumPy arrays of 64-bit keys plus the row number of each
  (12 bytes a row, 12 MB per million rows, in sorted runs merged like a binary counter; twice that
  for a moment while the largest runs merge).
  With SQLite the import's connection gets a bounded page cache (``db_adapter.IMPORT_CACHE_KB``).
- Speed: persons are validated a batch at a time, column by column (``PersonImporter._fast_columns``);
  only rows that are not plainly valid there go through the full row validator. New rows are
  inserted in the order of the blind index (``id_hmac``); on PostgreSQL they are staged by ``COPY``
  into a temporary table and written in one statement after the last batch
  (``PersonImporter._merge_staged``, ``db_adapter.merge_staged_persons``); columns with one value
  in the whole batch are written as constants. A large file defers the non-unique
  indexes to one build at the end (``maybe_defer_indexes``, SQLite), and a person table that was
  empty at the start is not probed for existing rows (``empty_at_start``). A re-imported person row
  whose raw cells hash to the stored ``import_raw_hash`` at the stored version is counted unchanged
  before it is validated (``PersonImporter._skip_unchanged``: 1 M unchanged rows on PostgreSQL 24.3 s
  -> 14.9 s at load 1.3, our CPU 16.1 s -> 7.1 s). docs/registry.md.
"""

from __future__ import annotations

import gc
import hashlib
import re
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import islice, repeat
from operator import itemgetter
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from gridgov.accounts.scope import prefix_matcher, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.codes import PROVINCES
from gridgov.core.errors import ErrorDetail, ErrorReport, FieldError, GridgovError
from gridgov.core.i18n import message_of
from gridgov.core.idnumber import validate_identity_numbers
from gridgov.core.masking import mask_text
from gridgov.core.models import AuditAction, AuditOutcome
from gridgov.geo.models import Grid
from gridgov.registry import codes, db_adapter
from gridgov.registry import validation as v
from gridgov.registry.identity import blind_indexer
from gridgov.registry.models import House, Organisation, Person, Residence
from gridgov.registry.tabular import LimitExceeded, Limits, Table, TableError, open_table

MODES = ("all-or-nothing", "valid-rows")
BATCH = 5000
#: Defer a table's non-unique indexes when the file has at least DEFER_MIN_ROWS rows and
#: rows x DEFER_RATIO >= the rows already in the table (measured: docs/benchmarks.md).
DEFER_MIN_ROWS = 50_000
DEFER_RATIO = 4
MAX_REPORTED = 10_000
Progress = Callable[[str, int, int], None]

PERSON_ALIASES = {
    "公民身份号码": "identity_number", "身份证号": "identity_number", "身份证号码": "identity_number",
    "identity_number": "identity_number", "id_number": "identity_number",
    "证件代码": "doc_type", "证件类型": "doc_type", "doc_type": "doc_type",
    "证件号码": "doc_number", "doc_number": "doc_number",
    "姓名": "name", "name": "name", "曾用名": "former_name", "former_name": "former_name",
    "性别": "sex", "sex": "sex", "出生日期": "birth_date", "birth_date": "birth_date",
    "民族": "ethnicity", "ethnicity": "ethnicity", "国籍": "nationality", "国籍（地区）": "nationality",
    "nationality": "nationality",
    "户籍地": "hukou_division", "户籍地区划": "hukou_division", "hukou_division": "hukou_division",
    "户籍门（楼）详址": "hukou_address", "户籍详址": "hukou_address", "户籍地址": "hukou_address", "hukou_address": "hukou_address",
    "联系方式": "phone", "手机号码": "phone", "phone": "phone",
    "人口类型": "population_type", "population_type": "population_type",
    "房屋编号": "house_code", "房屋编码": "house_code", "house_code": "house_code",
    "网格编码": "grid_code", "grid_code": "grid_code",
    "与户主关系": "relation", "relation": "relation", "住所类型": "domicile_type", "domicile_type": "domicile_type",
    "流入原因": "inflow_reason", "inflow_reason": "inflow_reason", "入住日期": "moved_in", "moved_in": "moved_in",
}
PERSON_REQUIRED = [("name",), ("population_type",), ("identity_number", "doc_number"), ("house_code", "grid_code")]

HOUSE_ALIASES = {
    "房屋编号": "house_code", "房屋编码": "house_code", "house_code": "house_code",
    "地址": "address", "房屋地址": "address", "标准地址": "address", "address": "address",
    "网格编码": "grid_code", "grid_code": "grid_code", "经度": "lon", "lon": "lon", "纬度": "lat", "lat": "lat",
    "建筑用途": "building_use", "building_use": "building_use", "建筑面积": "area_m2", "area_m2": "area_m2",
    "是否出租": "rented", "rented": "rented", "房主姓名": "owner_name", "owner_name": "owner_name",
    "房主证件代码": "owner_doc_type", "owner_doc_type": "owner_doc_type",
    "房主证件号码": "owner_doc_number", "owner_doc_number": "owner_doc_number",
    "房主联系方式": "owner_phone", "owner_phone": "owner_phone",
}
HOUSE_REQUIRED = [("house_code",), ("address",), ("grid_code", "lon")]

ORG_ALIASES = {
    "统一社会信用代码": "uscc", "uscc": "uscc", "名称": "name", "单位名称": "name", "name": "name",
    "类别": "category", "企业类别": "category", "category": "category", "网格编码": "grid_code",
    "grid_code": "grid_code", "地址": "address", "address": "address", "从业人数": "staff_count", "人数": "staff_count",
    "staff_count": "staff_count", "法定代表人": "legal_rep_name", "法定代表人姓名": "legal_rep_name",
    "legal_rep_name": "legal_rep_name", "联系方式": "phone", "phone": "phone", "经度": "lon", "lon": "lon",
    "纬度": "lat", "lat": "lat", "房屋编号": "house_code", "house_code": "house_code",
}
ORG_REQUIRED = [("uscc",), ("name",), ("category",), ("grid_code", "lon", "house_code")]


@dataclass
class ImportResult:
    kind: str
    mode: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    written: bool = False
    encoding: str = ""
    details: list[ErrorDetail] = field(default_factory=list)
    truncated: bool = False
    _rows: set = field(default_factory=set, repr=False)
    #: community codes (12 digits) that hold grids: a 15-digit number starting with one is a grid code,
    #: not personal data, and stays whole in a message (an identity number is masked)
    communities: frozenset[str] = field(default_factory=frozenset, repr=False)

    def add(self, detail: ErrorDetail) -> None:
        self._rows.add(detail.row)
        self.rejected = len(self._rows)
        if len(self.details) < MAX_REPORTED:
            # in the language of the reader (the request's, or the one the upload-page import ran in);
            # identity and phone numbers masked, grid codes whole
            message = mask_keeping_grid_codes(message_of(detail), self.communities)
            self.details.append(ErrorDetail(detail.field, message, detail.code, detail.row))
        else:
            self.truncated = True

    def as_dict(self) -> dict:
        return {"kind": self.kind, "mode": self.mode, "rows": self.rows, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected,
                "written": self.written, "encoding": self.encoding, "truncated": self.truncated,
                "errors": [d.as_dict() for d in self.details]}


def person_row_hash(values: Iterable, version: int) -> str:
    """The row hash of a person: 16 hex digits of BLAKE2b over the normalised compared fields
    (``PersonImporter.COMPARED``, in that order) and the version that holds them."""
    text = "\x1f".join(["" if x is None else str(x) for x in values]) + "\x1f" + str(int(version))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def person_raw_hash(head: str, cells: Sequence[str], version: int) -> str:
    """The raw hash of a person's file row: 16 hex digits of BLAKE2b over ``head`` (the header
    mapping: the canonical field of each mapped column, in file order, each followed by "\x1e"), the
    row's cells of those columns exactly as read ("\x1f"-joined, nothing stripped or normalised) and
    the version that holds the row. Cells that are not all strings (.xlsx numbers, dates) have no
    raw hash ("")."""
    if not all(type(x) is str for x in cells):
        return ""
    return _raw_digest(head, cells, version)


def _raw_digest(head: str, cells: Sequence[str], version: int) -> str:
    """``person_raw_hash`` of cells known to be strings (the one definition of its text)."""
    text = head + "\x1f".join(cells) + "\x1f" + str(int(version))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


_DIGITS15 = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")


def mask_keeping_grid_codes(message: str, communities: frozenset[str] | set[str]) -> str:
    """``mask_text`` (identity and phone numbers masked), except that a grid code stays whole: a
    15-digit number whose first 12 digits are a community holding grids, with a sequence 001-999
    (an old 15-digit identity number has its birth date there, which names no such community)."""
    kept: list[str] = []

    def hold(match: re.Match) -> str:
        code = match.group()
        if code[:12] in communities and code[12:] != "000":
            kept.append(code)
            return f"\x00{len(kept) - 1}\x00"
        return code

    text = mask_text(_DIGITS15.sub(hold, message))
    for i, code in enumerate(kept):
        text = text.replace(f"\x00{i}\x00", code)
    return text


class _Rollback(Exception):
    pass


class _Seen:
    """Keys seen so far in the file with the row of their first occurrence: sorted runs of uint64 keys
    (+ uint32 rows); a run is merged (linearly) into the one before it while that one is at most twice
    its size, so a key is copied O(log n) times and a batch searches O(log n) runs, its keys in sorted
    order. One sorted array with an insert per batch copied the whole array every batch (quadratic):
    measured, 5,000-key batches, 1M / 2M / 8M keys: 0.36 / 1.02 / 21.6 s before, 0.40 /
    0.98 / 6.0 s now. 12 bytes a key; twice that for a moment while the largest runs merge."""

    def __init__(self):
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(k) for k, _ in self.runs)

    def check_and_add(self, keys: list[int] | np.ndarray, rows: list[int]) -> dict[int, int]:
        """Index in ``keys`` -> earlier row for each key already seen (in the file or this batch)."""
        if len(keys) == 0:
            return {}
        arr = np.asarray(keys, dtype=np.uint64)
        rws = np.asarray(rows, dtype=np.uint32)
        order = np.argsort(arr, kind="stable")
        sorted_keys = arr[order]
        # searched in sorted order: NumPy narrows each search from the previous one (far fewer cache misses)
        found_sorted = np.full(len(arr), -1, dtype=np.int64)
        for run_keys, run_rows in self.runs:
            at = np.minimum(np.searchsorted(run_keys, sorted_keys), len(run_keys) - 1)
            found = (run_keys[at] == sorted_keys) & (found_sorted < 0)
            found_sorted[found] = run_rows[at[found]]
        earlier = np.empty_like(found_sorted)
        earlier[order] = found_sorted
        starts = np.ones(len(arr), dtype=bool)
        starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
        # original index of the first occurrence of each sorted position's key (stable sort: the lowest)
        first = order[np.maximum.accumulate(np.where(starts, np.arange(len(arr)), 0))]
        dup: dict[int, int] = {}
        if (earlier >= 0).any() or not starts.all():
            for i in np.flatnonzero(earlier >= 0).tolist():
                dup[i] = int(earlier[i])
            for j in np.flatnonzero(~starts).tolist():
                i = int(order[j])
                if i not in dup:
                    dup[i] = int(rws[first[j]])
        keep = order[starts]
        if dup:
            keep = keep[earlier[keep] < 0]
        if len(keep):
            self.runs.append((arr[keep], rws[keep]))  # arr[order][starts] is sorted
            while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
                (k1, r1), (k2, r2) = self.runs.pop(), self.runs.pop()
                at = np.searchsorted(k2, k1)  # a linear merge of two sorted runs (keys are distinct)
                self.runs.append((np.insert(k2, at, k1), np.insert(r2, at, r1)))
        return dup


def _key64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _anywhere(code: str) -> bool:
    return True


class _Lru(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class _Importer(ABC):
    kind = ""
    aliases: dict[str, str] = {}
    required: list = []
    raw_rows = False  # flush() gets the row's cell list rather than a dict
    models: tuple = ()  # tables the import inserts into (their non-unique indexes may be deferred)

    def __init__(self, *, actor, mode: str, progress: Progress | None, today: date | None):
        if mode not in MODES:
            raise FieldError("mode", "%(mode)s: expected all-or-nothing or valid-rows", code="invalid",
                             params={"mode": repr(mode)})
        self.actor = actor
        self.mode = mode
        self.progress = progress
        self.today = today or date.today()
        self.result = ImportResult(kind=self.kind, mode=mode)
        self.seen = _Seen()
        # grid code -> whether the actor may write there (accounts.scope); no actor: a system import
        self.in_scope: Callable[[str], bool] = _anywhere
        if actor is not None:
            require_capability(actor, "registry.edit")
            self.in_scope = prefix_matcher(actor, "registry.edit", purpose="write")
        self.grids = set(Grid.objects.values_list("code", flat=True))
        self.result.communities = frozenset(g[:12] for g in self.grids)
        self.houses = _Lru(200_000)  # house_code -> (id, grid_code)
        self.deferred: list[db_adapter.DeferredIndexes] = []

    # -- helpers --
    def reject(self, row: int, field_name: str, message: str, code: str = "invalid", **params) -> None:
        """``message`` is an English template filled with ``params`` (translated when reported)."""
        self.result.add(ErrorDetail(field_name, message % params if params else message, code, row,
                                    message if params else None, params or None))

    def reject_error(self, row: int, exc: FieldError, suffix: str = "") -> None:
        """Report a ``FieldError`` of a validator (its template and params kept for translation)."""
        if exc.template is not None and not suffix:
            self.result.add(ErrorDetail(exc.field, exc.reason, exc.reason_code, row, exc.template, exc.params))
        else:
            self.result.add(ErrorDetail(exc.field, exc.reason + suffix, exc.reason_code, row))

    def check_grid(self, grid_code: str, row: int, field_name: str) -> bool:
        report = ErrorReport()
        self._check_grid_into(grid_code, row, field_name, report)
        for detail in report.details:
            self.result.add(detail)
        return not report.details

    def _check_grid_into(self, grid_code: str, row: int, field_name: str, report: ErrorReport) -> None:
        if grid_code not in self.grids:
            report.add(field_name, "grid %(grid)s does not exist", code="unknown_grid", row=row, params={"grid": grid_code})
        elif not self.in_scope(grid_code):
            report.add(field_name, "grid %(grid)s is outside your jurisdiction", code="out_of_jurisdiction",
                       row=row, params={"grid": grid_code})

    def resolve_houses(self, house_codes: set[str]) -> None:
        missing = [c for c in house_codes if c not in self.houses]
        for start in range(0, len(missing), 900):
            for pk, hc, grid_code in House.objects.filter(house_code__in=missing[start:start + 900]).values_list(
                    "pk", "house_code", "grid_code"):
                self.houses.put(hc, (pk, grid_code))

    # -- driver --
    def run(self, table: Table) -> ImportResult:
        self.result.encoding = table.encoding
        self.fields = table.fields
        self.present = {f for f in table.fields if f}
        self.has_stay = bool(self.present & {"relation", "domicile_type", "inflow_reason", "moved_in"})
        batch: list = []  # (row number, the cell list (raw_rows) or {field: value})
        if self.raw_rows:  # a batch taken at once (no Python step per row)
            rows = table.rows()
            while batch := list(islice(rows, BATCH)):
                self.result.rows += len(batch)
                if len(batch) < BATCH:
                    break
                self._flush_full(batch, table)
            batch = batch or []
        else:
            for number, values in table.rows():
                self.result.rows += 1
                batch.append((number, {f: values[i] if i < len(values) else "" for i, f in enumerate(self.fields)
                                       if f}))
                if len(batch) >= BATCH:
                    self._flush_full(batch, table)
                    batch = []
        if batch:
            self.flush(batch)
        if self.progress:
            self.progress(self.kind, table.size, table.size)
        return self.result

    def _flush_full(self, batch: list, table: Table) -> None:
        """A full batch: after the first, the indexes may be deferred (from the file's size)."""
        if self.result.rows == BATCH:
            self.maybe_defer_indexes(BATCH * table.size // max(1, table.position()))
        self.flush(batch)
        if self.progress:
            self.progress(self.kind, table.position(), table.size)

    def maybe_defer_indexes(self, estimated_rows: int) -> None:
        """A large import into a table not much larger than itself builds the non-unique indexes once
        at the end instead of inserting into them row by row (``db_adapter.deferred_indexes``)."""
        if self.mode == "all-or-nothing" and self.result.details:
            return  # nothing will be written
        for model in self.written_models():
            if estimated_rows >= DEFER_MIN_ROWS and estimated_rows * DEFER_RATIO >= model.objects.count():
                self.deferred.append(db_adapter.deferred_indexes(connection, model._meta.db_table))

    def written_models(self) -> tuple:
        return self.models

    def finish(self) -> None:
        """Before the commit: build the deferred indexes."""
        for handle in self.deferred:
            handle.rebuild()
        self.deferred = []

    @abstractmethod
    def flush(self, batch):
        """Validate and write one batch of rows (each importer's own)."""


_NO_STAY = {"relation": "", "domicile_type": "", "inflow_reason": "", "moved_in": None}
_POP_CODES = frozenset(codes.POPULATION_TYPE)
_ETHNICITY_CODES = frozenset(codes.ETHNICITY)
_DOC_ID = frozenset({codes.DOC_ID_CARD})
_STAY_CODES = (frozenset(codes.RELATION), frozenset(codes.DOMICILE_TYPE), frozenset(codes.INFLOW_REASON))
_CONTROL = re.compile(r"[\x00-\x1f]")
_FAST_KEYS = ("identity_number", "doc_type", "doc_number", "name", "former_name", "sex", "birth_date", "ethnicity",
              "nationality", "hukou_division", "hukou_address", "phone", "population_type", "_stay", "_house_code",
              "grid_code", "house_id")


def _fit(values: list, width: int) -> list:
    return (list(values) + [""] * width)[:width]


def _isin(col: list[str], allowed, *, blank_ok: bool = True) -> np.ndarray:
    """Which cells are in ``allowed`` (or blank when ``blank_ok``)."""
    if set(col) <= allowed or (blank_ok and set(col) - {""} <= allowed):
        return np.ones(len(col), dtype=bool)
    return np.fromiter(((x in allowed) or (blank_ok and not x) for x in col), dtype=bool, count=len(col))


def _no_match(col: list[str], pattern: re.Pattern, *, max_len: int, required: bool = False) -> np.ndarray:
    """Cells of at most ``max_len`` characters in which ``pattern`` finds nothing."""
    search = pattern.search
    lens = np.fromiter(map(len, col), dtype=np.int64, count=len(col))
    ok = lens <= max_len
    if required:
        ok &= lens > 0
    if search(" ".join(col)) is not None:  # rare: find which cells
        ok &= np.fromiter((search(x) is None for x in col), dtype=bool, count=len(col))
    return ok


class PersonImporter(_Importer):
    """Persons. A batch is validated column by column (the identity numbers by
    ``core.idnumber.validate_identity_numbers``, the GB 11643 rules over a NumPy column); a row that
    is not plainly valid there goes through the full per-row validator (``validation.clean_person``),
    which reports every problem. The column path accepts only what the full validator accepts and
    normalises the same way."""

    kind = "persons"
    models = (Person, Residence)
    aliases = PERSON_ALIASES
    required = PERSON_REQUIRED
    raw_rows = True
    COLUMNS = ("identity_number", "id_hmac", "id_last4", "doc_type", "doc_number", "name", "former_name", "sex",
               "birth_date", "ethnicity", "nationality", "hukou_division", "hukou_address", "phone",
               "population_type", "household_separated", "grid_code", "house_id", "import_hash", "import_raw_hash")
    MAYBE_CONSTANT = ("doc_type", "doc_number", "former_name", "ethnicity", "nationality", "hukou_address",
                      "house_id")
    COMPARED = ("doc_type", "doc_number", "name", "former_name", "sex", "birth_date", "ethnicity", "nationality",
                "hukou_division", "hukou_address", "phone", "population_type", "grid_code", "house_id")

    #: the columns of a new row (the staging table's person columns on PostgreSQL)
    STAGED = (*COLUMNS, "empty_registration", "status", "version", "created_at", "updated_at")
    #: the staging table's own columns: the file's row number, the residence of a housed row, the key
    IMPORT_KEY_SQL = "COALESCE(id_hmac, doc_type || '|' || doc_number)"
    STAGING_EXTRA = {"import_row": "integer", "stay_start": "date", "stay_relation": "varchar(2)",
                     "stay_domicile_type": "varchar(2)", "stay_inflow_reason": "varchar(2)",
                     "import_key": f"text GENERATED ALWAYS AS ({IMPORT_KEY_SQL}) STORED"}

    def __init__(self, **kw):
        super().__init__(**kw)
        self.has_stay = False
        self.staging: str | None = None
        self.blind_index = blind_indexer()
        self.table = Person._meta.db_table
        # this batch's probe by the raw identity cells (``_skip_unchanged``): blind index -> (id_hmac,
        # version, import_hash, import_raw_hash, status, house_id) of the persons found, and every key probed
        self._probed: dict[str, tuple] = {}
        self._probed_keys: list[str] = []

    def written_models(self) -> tuple:
        return self.models if "house_code" in self.present else (Person,)  # residences: rows at a house

    def run(self, table: Table) -> ImportResult:
        # no row to find when the table was empty and no other writer can add one meanwhile: every
        # key then comes from this file, and ``self.seen`` already refuses a key twice
        self.empty_at_start = db_adapter.empty_table_needs_no_probe(connection) and not Person.objects.exists()
        # PostgreSQL: new rows are staged batch by batch and written in one statement at the end
        self.staging = db_adapter.create_staging(connection, self.table, self.STAGED, self.STAGING_EXTRA)
        self._raw_setup(table)
        result = super().run(table)
        if self.staging:
            if not (self.mode == "all-or-nothing" and self.result.details):
                self._merge_staged()
            db_adapter.drop_staging(connection, self.staging)
            self.staging = None
        return result

    def _raw_setup(self, table: Table) -> None:
        """The file's header mapping for the raw row hash (``person_raw_hash``) and the columns the
        skip of unchanged rows reads (``_skip_unchanged``)."""
        fields = table.fields
        self._width = len(fields)
        self._mapped = [i for i, f in enumerate(fields) if f]
        self._all_mapped = len(self._mapped) == self._width
        self._raw_head = "".join(f"{f}\x1e" for f in fields if f)
        self._all_str = table.encoding != "xlsx"  # a CSV cell is always a string

        def at(name: str) -> int | None:
            return fields.index(name) if name in fields else None

        self._id_at, self._house_at, self._grid_at = at("identity_number"), at("house_code"), at("grid_code")
        self._moved_in_at = at("moved_in")
        self._today_digits = f"{self.today:%Y%m%d}"
        self._grid_ok: dict[str, bool] = {}  # a grid cell as read -> a known grid in the jurisdiction

    def _cells(self, raw: list) -> list:
        """The row's cells of the mapped columns (missing trailing cells blank)."""
        if len(raw) != self._width:
            raw = _fit(raw, self._width)
        return raw if self._all_mapped else [raw[i] for i in self._mapped]

    def _raw_hash(self, raw: list, version: int) -> str:
        cells = self._cells(raw)
        if self._all_str:
            return _raw_digest(self._raw_head, cells, version)
        return person_raw_hash(self._raw_head, cells, version)

    def _skip_unchanged(self, batch: list) -> tuple[list, tuple[list[int], np.ndarray] | None]:
        """(the rows left to validate, (row numbers, duplicate keys) of the rows recognised unchanged).

        A row is recognised unchanged before any validation when its identity cell, stripped and
        upper-cased, is the blind index of a stored person whose ``import_raw_hash`` is the hash of
        this row's raw cells at the stored version, and ``import_hash`` is still set (a writer that
        changes a row without a new version clears it). Identical cells under the same header were
        valid when that import wrote them, and wrote what the stored row holds; what may have changed
        since is checked here as the validator would: the grid exists and is in the actor's
        jurisdiction (or the house exists, is in it and is the stored house, and the person is living
        here), the birth date is not after ``today``, no move-in date is given. Every other row (and
        every row of a register empty at the start) is validated and compared as before; the keys
        probed here are not probed again (``_existing``)."""
        self._probed, self._probed_keys = {}, []
        id_at = self._id_at
        if self.empty_at_start or id_at is None:
            return batch, None
        index, width, all_str = self.blind_index, self._width, self._all_str
        today, moved_at = self._today_digits, self._moved_in_at
        # the candidates: an 18-character number born by today, no move-in date (whole-batch passes)
        cells = [raw for _, raw in batch]
        if set(map(len, cells)) != {width}:
            cells = [raw if len(raw) == width else _fit(raw, width) for raw in cells]
        if all_str:
            ids = [raw[id_at].strip().upper() for raw in cells]
        else:  # .xlsx: a row with a cell that is not text is validated
            ids = [raw[id_at].strip().upper() if all(type(x) is str for x in raw) else "" for raw in cells]
        positions = [i for i, idn in enumerate(ids) if len(idn) == 18 and idn[6:14] <= today]
        if moved_at is not None:
            positions = [i for i in positions if not cells[i][moved_at].strip()]
        keys = list(map(index, [ids[i] for i in positions]))
        raws = [cells[i] for i in positions]
        if not keys:
            return batch, None
        found = {row[0]: row for row in db_adapter.probe(
            connection, self.table, "id_hmac",
            ("id_hmac", "version", "import_hash", "import_raw_hash", "status", "house_id"), keys)}
        self._probed, self._probed_keys = found, keys
        house_at, grid_at = self._house_at, self._grid_at
        if house_at is not None:
            self.resolve_houses({raws[i][house_at].strip() for i, h in enumerate(keys)
                                 if h in found and raws[i][house_at].strip()})
        cells_of: list = raws
        # the candidates whose stored raw hash is the hash of their cells at the stored version
        get, head = found.get, self._raw_head
        rows: list[Any] = [get(h) for h in keys]
        hashed = [i for i, row in enumerate(rows) if row is not None and row[2] and row[3]]
        if not self._all_mapped:
            mapped = self._mapped
            cells_of = [[raw[j] for j in mapped] for raw in raws]
        same = [i for i in hashed if _raw_digest(head, cells_of[i], rows[i][1]) == rows[i][3]]
        # ... and whose place is still valid: a known grid in the jurisdiction, or the stored house
        # (registered, in the jurisdiction) of a person living here
        in_scope, grid_ok = self.in_scope, self._grid_ok
        grid_cells = [raws[i][grid_at] if grid_at is not None else "" for i in same]
        for cell in set(grid_cells) - grid_ok.keys():
            grid = cell.strip()
            grid_ok[cell] = grid in self.grids and in_scope(grid)
        if house_at is None:
            kept = [i for i, cell in zip(same, grid_cells, strict=True) if grid_ok[cell]]
        else:
            active, houses = Person.Status.ACTIVE.value, self.houses
            kept = []
            for i, cell in zip(same, grid_cells, strict=True):
                house_code = raws[i][house_at].strip()
                if house_code:
                    place, (_, _, _, _, status, house_id) = houses.get(house_code), rows[i]
                    if place is None or place[0] != house_id or status != active or not in_scope(place[1]):
                        continue
                elif not grid_ok[cell]:
                    continue
                kept.append(i)
        if not kept:
            return batch, None
        # the duplicate keys (as for a validated row: the blind index's first 64 bits), at once
        dup_keys = np.frombuffer(bytes.fromhex("".join([keys[i][:16] for i in kept])), dtype=">u8")
        skipped = ([batch[positions[i]][0] for i in kept], dup_keys.astype(np.uint64))
        if len(kept) == len(batch):
            return [], skipped
        rest = batch[:]
        for i in reversed(kept):
            del rest[positions[i]]
        return rest, skipped

    def _merge_staged(self) -> None:
        """Write the staged new rows and their residences (``db_adapter.merge_staged_persons``); a
        row whose key another writer registered meanwhile is reported with its row number."""
        assert self.staging is not None  # called only when there is a staging table (PostgreSQL)
        missing = db_adapter.merge_staged_persons(
            connection, self.staging, table=self.table, columns=self.STAGED,
            order_by=("id_hmac", "doc_type", "doc_number"), key="import_key", key_sql=self.IMPORT_KEY_SQL,
            residence_table=Residence._meta.db_table,
            residence={"person_id": "ins.id", "house_id": "s.house_id", "grid_code": "s.grid_code",
                       "start_date": "s.stay_start", "relation": "s.stay_relation",
                       "domicile_type": "s.stay_domicile_type", "inflow_reason": "s.stay_inflow_reason",
                       "end_date": "NULL", "end_reason": "''", "created_at": "s.created_at"},
            report=("import_row", "id_hmac"))
        for number, id_hmac in missing:
            self.reject(number, "identity_number" if id_hmac else "doc_number",
                        "registered meanwhile by another import or user; import the file again", "concurrent")
        self.result.created -= len(missing)

    # -- validation --
    def _columns(self, rows: list[list]) -> dict[str, list]:
        width = len(self.fields)
        rows = [r if len(r) == width else _fit(r, width) for r in rows]
        columns = list(zip(*rows, strict=True))
        return {f: list(columns[i]) for i, f in enumerate(self.fields) if f}

    def _fast_columns(self, cols: dict[str, list], n: int) -> tuple[np.ndarray, list[tuple]]:
        """(ok mask, a tuple of the ``_FAST_KEYS`` values per row); rows not ok go to ``clean``."""
        ok = np.ones(n, dtype=bool)
        blank = [""] * n
        for f, col in cols.items():  # cells from .xlsx may be numbers or dates: the row validator decides
            if set(map(type, col)) != {str}:
                is_str = np.fromiter((type(x) is str for x in col), dtype=bool, count=n)
                ok &= is_str
                col = [x if s else "" for x, s in zip(col, is_str, strict=True)]
            cols[f] = list(map(str.strip, col))
        get = cols.get
        # identity number: the GB 11643 rules over the column (core.idnumber, the same as the row validator's)
        identity = validate_identity_numbers(get("identity_number", blank), today=self.today)
        ids, sexes, births_list = identity.numbers, identity.sexes, identity.birth_dates
        ok &= identity.ok
        # a row with an identity number has no other document
        if "doc_type" in cols:
            ok &= _isin(cols["doc_type"], _DOC_ID)
        if "doc_number" in cols:
            ok &= np.fromiter((not x for x in cols["doc_number"]), dtype=bool, count=n)
        # names and text
        names = get("name", blank)
        ok &= _no_match(names, v._BAD_NAME, max_len=64, required=True)
        former = get("former_name", blank)
        if "former_name" in cols:
            ok &= _no_match(former, v._BAD_NAME, max_len=64)
        address = get("hukou_address", blank)
        if "hukou_address" in cols:
            ok &= _no_match(address, _CONTROL, max_len=200)
        # codes (exact codes here; labels and aliases go through the row validator)
        pops = get("population_type", blank)
        ok &= _isin(pops, _POP_CODES, blank_ok=False)
        eth = get("ethnicity", blank)
        if "ethnicity" in cols:
            ok &= _isin(eth, _ETHNICITY_CODES)
        if "sex" in cols:
            ok &= np.fromiter((not g or g == s for g, s in zip(cols["sex"], sexes, strict=True)), dtype=bool,
                              count=n)
        if "birth_date" in cols:
            ok &= np.fromiter((not g or g == i[6:14] or g == f"{i[6:10]}-{i[10:12]}-{i[12:14]}"
                               for g, i in zip(cols["birth_date"], ids, strict=True)), dtype=bool, count=n)
        nat = get("nationality", blank)
        if "nationality" in cols:
            nat = [x or "CN" for x in nat]
            ok &= np.fromiter((len(x) == 2 and x.isascii() and x.isalpha() and x.isupper() for x in nat),
                              dtype=bool, count=n)
        else:
            nat = ["CN"] * n
        ok &= np.fromiter((p != codes.POP_FOREIGN or x != "CN" for p, x in zip(pops, nat, strict=True)),
                          dtype=bool, count=n)
        hukou = get("hukou_division", blank)
        if "hukou_division" in cols:
            ok &= np.fromiter((not x or (len(x) in (6, 12) and x.isascii() and x.isdigit() and x[:2] in PROVINCES
                                         and not (x[2:4] == "00" and x[4:6] != "00")) for x in hukou),
                              dtype=bool, count=n)
        hukou = [h or ("" if p == codes.POP_FOREIGN else i[:6]) for h, p, i in zip(hukou, pops, ids, strict=True)]
        match = v._MOBILE.match
        phones = get("phone", blank)
        if "phone" in cols:
            ok &= np.fromiter((not x or match(x) is not None for x in phones), dtype=bool, count=n)
        # stay (residence) columns: exact codes and no date here
        if self.has_stay:
            stay_cols = [get(f, blank) for f in ("relation", "domicile_type", "inflow_reason")]
            for col, allowed in zip(stay_cols, _STAY_CODES, strict=True):
                ok &= _isin(col, allowed)
            if "moved_in" in cols:
                ok &= np.fromiter((not x for x in cols["moved_in"]), dtype=bool, count=n)
            stays: Iterable[dict[str, Any]] = [{"relation": r, "domicile_type": t, "inflow_reason": f,
                                                "moved_in": None} for r, t, f in zip(*stay_cols, strict=True)]
        else:
            stays = repeat(_NO_STAY)
        # place: a house (resolved later) or a known grid inside the jurisdiction
        house_codes = get("house_code", blank)
        grids = get("grid_code", blank)
        known, in_scope = self.grids, self.in_scope
        ok &= np.fromiter((bool(h) or (g in known and in_scope(g))
                           for h, g in zip(house_codes, grids, strict=True)), dtype=bool, count=n)
        values = list(zip(ids, repeat(codes.DOC_ID_CARD), repeat(""), names, former, sexes, births_list, eth, nat,
                          hukou, address, phones, pops, stays, house_codes,
                          (None if h else g for h, g in zip(house_codes, grids, strict=True)), repeat(None)))
        return ok, values

    def clean(self, number: int, d: dict) -> dict | None:
        """The full validator for one row: every problem of the row is reported (fields, stay, place)."""
        excel_number = False
        for k, val in d.items():
            if type(val) is str:
                d[k] = val.strip()
            elif k == "identity_number" and isinstance(val, (int, float)):
                excel_number = True
                d[k] = ""
            elif not isinstance(val, str):
                d[k] = val if hasattr(val, "year") else str(val)
        report = ErrorReport()
        out = v.clean_person(d, report=report, row=number, today=self.today)
        if excel_number:  # the number was lost, not left out: say so instead of "is required"
            # ... and drop what follows only from the missing number (the hukou place comes from it)
            report.details = [x for x in report.details
                              if not (x.code == "required" and x.field in ("identity_number", "hukou_division"))]
            report.details.insert(0, ErrorDetail("identity_number", "is stored as a number in Excel (digits are "
                                                 "lost); format the column as text", "excel_number", number))
            out = None
        stay: dict[str, Any] = _NO_STAY
        if self.has_stay:
            stay = {}
            for key, table in (("relation", codes.RELATION), ("domicile_type", codes.DOMICILE_TYPE),
                               ("inflow_reason", codes.INFLOW_REASON)):
                try:
                    stay[key] = v.code(d.get(key), key, table)
                except FieldError as exc:
                    report.add_error(exc, row=number)
            try:
                stay["moved_in"] = v.parse_date(d.get("moved_in"), "moved_in", today=self.today)
            except FieldError as exc:
                report.add_error(exc, row=number)
        house_code = d.get("house_code", "")
        if house_code:
            if report.details:  # a good row's house is checked with its batch (flush); a bad row's here
                self._check_house(number, house_code, report)
        else:
            grid = d.get("grid_code", "")
            if grid not in self.grids:
                try:
                    v.grid(grid, required=True)
                except FieldError as exc:
                    report.add(exc.field, "%(reason)s (or give a house code)", code=exc.reason_code, row=number,
                               params={"reason": message_of(exc.details[0])})
                    grid = ""
            if grid:
                self._check_grid_into(grid, number, "grid_code", report)
        for detail in report.details:
            self.result.add(detail)
        if out is None or report.details:
            return None
        out["_stay"] = stay
        out["_house_code"] = house_code
        if not house_code:
            out["grid_code"], out["house_id"] = d.get("grid_code", ""), None
        return out

    def _check_house(self, number: int, house_code: str, report: ErrorReport) -> None:
        if house_code not in self.houses:
            self.resolve_houses({house_code})
        found = self.houses.get(house_code)
        if found is None:
            report.add("house_code", "house %(house)s is not registered", code="unknown_house", row=number,
                       params={"house": house_code})
        elif not self.in_scope(found[1]):
            report.add("house_code", "house %(house)s is outside your jurisdiction", code="out_of_jurisdiction",
                       row=number, params={"house": house_code})

    def flush(self, batch):
        today = self.today
        batch, skipped = self._skip_unchanged(batch)
        placed = self._validate(batch) if batch else []
        # blind index, duplicates inside the file: with the rows recognised unchanged, in file order
        # (a duplicate names its first row, as when every row is validated)
        index = self.blind_index
        entries: list[tuple[int, int, dict | None]] = []  # (row, key, fields; None: recognised unchanged)
        for number, o in placed:
            idn = o["identity_number"]
            if idn:
                hexed = index(idn)
                o["id_hmac"], o["id_last4"] = hexed, idn[-4:]
                entries.append((number, int(hexed[:16], 16), o))
            else:
                o["id_hmac"], o["id_last4"] = None, ""
                entries.append((number, _key64(f"D|{o['doc_type']}|{o['doc_number']}"), o))
        if skipped and not placed:
            dups = self.seen.check_and_add(skipped[1], skipped[0])
            if dups:
                entries = [(number, 0, None) for number in skipped[0]]
        else:
            if skipped:
                entries += [(number, key, None) for number, key in zip(skipped[0], skipped[1].tolist(), strict=True)]
                entries.sort(key=itemgetter(0))
            dups = self.seen.check_and_add([key for _, key, _ in entries], [number for number, _, _ in entries])
        good = []
        unchanged = 0
        if placed or dups:
            separated = v.household_separated
            for i, (number, _, fields) in enumerate(entries):
                if dups and i in dups:
                    field_name = "identity_number" if fields is None or fields["identity_number"] else "doc_number"
                    self.reject(number, field_name, "duplicate inside the file: same number as row %(first)s",
                                "duplicate_in_file", first=dups[i])
                elif fields is None:
                    unchanged += 1
                else:
                    fields["household_separated"] = separated(fields["population_type"], fields["hukou_division"],
                                                              fields["grid_code"])
                    good.append((number, fields))
        elif skipped:
            unchanged = len(skipped[0])
        if self.mode == "all-or-nothing" and self.result.details:
            return  # validation continues; nothing will be written
        self.result.unchanged += unchanged
        self.write(good, today)

    def _validate(self, batch: list) -> list[tuple[int, dict]]:
        """The batch's valid rows (number, normalised fields) with their place; the others reported."""
        n = len(batch)
        cols = self._columns([vals for _, vals in batch])
        ok, values = self._fast_columns(cols, n)
        del cols
        keys = _FAST_KEYS
        if ok.all():
            cleaned = [(number, dict(zip(keys, vals, strict=True), _raw=raw))
                       for (number, raw), vals in zip(batch, values, strict=True)]
        else:
            cleaned = []
            if "house_code" in self.present:  # the houses of the rows the row validator sees, in one go
                at = self.fields.index("house_code")
                self.resolve_houses({str(raw[at]).strip() for (_, raw), good in zip(batch, ok.tolist(), strict=True)
                                     if not good and at < len(raw) and raw[at]})
            for (number, raw), good, vals in zip(batch, ok.tolist(), values, strict=True):
                if good:
                    cleaned.append((number, dict(zip(keys, vals, strict=True), _raw=raw)))
                    continue
                out = self.clean(number, {f: raw[j] if j < len(raw) else ""
                                          for j, f in enumerate(self.fields) if f})
                if out is not None:
                    out["_raw"] = raw
                    cleaned.append((number, out))
        del values
        # houses
        house_codes = {o["_house_code"] for _, o in cleaned if o["_house_code"]}
        placed = cleaned
        if house_codes:
            self.resolve_houses(house_codes)
            placed = []
            for number, o in cleaned:
                hc = o["_house_code"]
                if hc:
                    found = self.houses.get(hc)
                    if found is None:
                        self.reject(number, "house_code", "house %(house)s is not registered", "unknown_house", house=hc)
                        continue
                    if not self.in_scope(found[1]):
                        self.reject(number, "house_code", "house %(house)s is outside your jurisdiction",
                                    "out_of_jurisdiction", house=hc)
                        continue
                    o["house_id"], o["grid_code"] = found
                placed.append((number, o))
        return placed

    def _existing(self, good):
        """(rows found by blind index, rows found by document, blind indexes of unchanged rows): a row
        whose stored ``import_hash`` is the hash of the file's row at the stored version is unchanged
        and not read further; the others are read whole and compared field by field."""
        if self.empty_at_start:
            return {}, {}, set()
        by_hmac = [o["id_hmac"] for _, o in good if o["id_hmac"]]
        by_doc = [o["doc_number"] for _, o in good if not o["id_hmac"]]
        cols = ["pk", "id_hmac", *self.COMPARED, "status", "version"]
        found_h, found_d = {}, {}
        same: set[str] = set()
        if by_hmac:  # which exist (one plain indexed probe each) with their row hash, then the changed rows
            hits: list[str] = []
            by_key = {o["id_hmac"]: o for _, o in good if o["id_hmac"]}
            active = Person.Status.ACTIVE.value
            compared = itemgetter(*self.COMPARED)
            probed, probed_keys = self._probed, set(self._probed_keys)  # by ``_skip_unchanged``
            if probed_keys:
                rows = [(h, *itemgetter(1, 2, 4)(probed[h])) for h in by_hmac if h in probed]
                by_hmac = [h for h in by_hmac if h not in probed_keys]
            else:
                rows = []
            rows += db_adapter.probe(connection, self.table, "id_hmac", ("id_hmac", "version", "import_hash", "status"),
                                     by_hmac)
            for h, version, stored, status in rows:
                o = by_key[h]
                if (stored and (status == active or not o["house_id"])
                        and stored == person_row_hash(compared(o), version)):
                    same.add(h)
                else:
                    hits.append(h)
            by_hmac = hits
        for start in range(0, len(by_hmac), 900):
            for row in Person.objects.filter(id_hmac__in=by_hmac[start:start + 900]).values_list(*cols):
                found_h[row[1]] = row
        for start in range(0, len(by_doc), 900):
            for row in Person.objects.filter(doc_number__in=by_doc[start:start + 900]).values_list(*cols):
                found_d[(row[2], row[3])] = row
        return found_h, found_d, same

    def write(self, good, today):
        if not good:
            return
        found_h, found_d, same = self._existing(good)
        present = self.present
        compared = [c for c in self.COMPARED
                    if c in present or c in ("grid_code", "house_id", "sex", "birth_date", "doc_type",
                                             "hukou_division", "nationality")]
        new, changed = [], []
        compared_all = self.COMPARED
        for number, o in good:
            if same and o["id_hmac"] in same:
                self.result.unchanged += 1
                continue
            row = found_h.get(o["id_hmac"]) if o["id_hmac"] else found_d.get((o["doc_type"], o["doc_number"]))
            if row is None:
                o["_row"] = number
                new.append(o)
                continue
            current = dict(zip(self.COMPARED, row[2:2 + len(self.COMPARED)], strict=True))
            diff = {c: o[c] for c in compared if current[c] != o[c]}
            if row[-2] != Person.Status.ACTIVE and o["house_id"]:
                diff["status"] = Person.Status.ACTIVE
            if not diff:
                self.result.unchanged += 1
            else:
                # the stored row after the update: its fields and the next version (a concurrent
                # writer bumps the version too, so the hash then no longer matches: a full compare)
                after = {**current, **diff}
                diff["import_hash"] = person_row_hash([after[c] for c in compared_all], row[-1] + 1)
                diff["import_raw_hash"] = self._raw_hash(o["_raw"], row[-1] + 1)
                changed.append((row[0], current, o, diff))
        if new:
            values_of = itemgetter(*compared_all)
            raw_hash = self._raw_hash
            for o in new:
                o["import_hash"] = person_row_hash(values_of(o), 1)
                o["import_raw_hash"] = raw_hash(o["_raw"], 1)
            # in the order of the unique blind index: its B-tree fills near-sequentially, not at random
            new.sort(key=lambda o: o["id_hmac"] or "")
            now = timezone.now()
            # a column with one value in the whole batch is written as a constant, not bound per row
            constants = {"empty_registration": False, "status": Person.Status.ACTIVE.value, "version": 1,
                         "created_at": now, "updated_at": now}
            for c in self.MAYBE_CONSTANT:
                column = list(map(itemgetter(c), new))
                if column.count(column[0]) == len(column):
                    constants[c] = column[0]
            cols = [c for c in self.COLUMNS if c not in constants]
            if self.staging:
                self._stage(new, cols, constants, today)
                housed = []
            else:
                new = self._insert_new(good, new, cols, constants)
                housed = [o for o in new if o["house_id"]]
            self.result.created += len(new)
            if housed:
                ids = self._ids(housed)
                ident = self._ident
                db_adapter.bulk_insert(
                    connection, Residence._meta.db_table,
                    ["person_id", "house_id", "grid_code", "start_date", "relation", "domicile_type", "inflow_reason"],
                    [(ids[ident(o)], o["house_id"], o["grid_code"], o["_stay"]["moved_in"] or today,
                      o["_stay"]["relation"], o["_stay"]["domicile_type"], o["_stay"]["inflow_reason"]) for o in housed],
                    {"end_date": None, "end_reason": "", "created_at": now})
        for pk, current, o, diff in changed:
            self._update(pk, current, o, diff, today)
        self.result.updated += len(changed)

    def _stage(self, new, cols, constants, today) -> None:
        """COPY the new rows into the staging table with their row numbers and residences."""
        def staged(o):
            stay = o["_stay"]
            return (*values_of(o), o["_row"], stay["moved_in"] or today, stay["relation"], stay["domicile_type"],
                    stay["inflow_reason"])

        values_of = itemgetter(*cols)
        assert self.staging is not None  # called only when there is a staging table (PostgreSQL)
        db_adapter.bulk_insert(connection, self.staging, [*cols, "import_row", "stay_start", "stay_relation",
                                                          "stay_domicile_type", "stay_inflow_reason"],
                               list(map(staged, new)), constants)

    def _insert_new(self, good, new, cols, constants) -> list:
        """Insert the new rows in a savepoint. A key that another writer registered after this batch's
        probe (a concurrent import or edit) breaks a unique index: its rows are rejected with their
        row numbers and the others inserted again (all-or-nothing: the file is then refused)."""
        try:
            with transaction.atomic():
                db_adapter.bulk_insert(connection, self.table, cols, list(map(itemgetter(*cols), new)), constants)
            return new
        except IntegrityError as exc:
            error = exc
        number_of = {id(o): number for number, o in good}
        taken = {h for (h,) in db_adapter.probe(connection, self.table, "id_hmac", ("id_hmac",),
                                                [o["id_hmac"] for o in new if o["id_hmac"]])}
        taken_docs = {(t, n) for t, n in db_adapter.probe(connection, self.table, "doc_number",
                                                           ("doc_type", "doc_number"),
                                                           [o["doc_number"] for o in new if not o["id_hmac"]])}
        rest = []
        for o in new:
            if (o["id_hmac"] in taken) if o["id_hmac"] else ((o["doc_type"], o["doc_number"]) in taken_docs):
                self.reject(number_of[id(o)], "identity_number" if o["id_hmac"] else "doc_number",
                            "registered meanwhile by another import or user; import the file again", "concurrent")
            else:
                rest.append(o)
        if len(rest) == len(new):
            raise error  # not a key taken meanwhile: a real fault
        if rest and not (self.mode == "all-or-nothing" and self.result.details):
            with transaction.atomic():
                db_adapter.bulk_insert(connection, self.table, cols, list(map(itemgetter(*cols), rest)), constants)
        elif self.mode == "all-or-nothing":
            rest = []
        return rest

    @staticmethod
    def _ident(o):
        return o["id_hmac"] or (o["doc_type"], o["doc_number"])

    def _ids(self, objs) -> dict:
        out: dict[str | tuple[str, str], int] = {}
        hs = [o["id_hmac"] for o in objs if o["id_hmac"]]
        ds = [o["doc_number"] for o in objs if not o["id_hmac"]]
        for start in range(0, len(hs), 900):
            out.update({h: pk for pk, h in Person.objects.filter(id_hmac__in=hs[start:start + 900])
                        .values_list("pk", "id_hmac") if h is not None})
        for start in range(0, len(ds), 900):
            out.update({(t, n): pk for pk, t, n in Person.objects.filter(doc_number__in=ds[start:start + 900])
                        .values_list("pk", "doc_type", "doc_number")})
        return out

    def _update(self, pk, current, o, diff, today):
        from django.db.models import F

        fields = {k: val for k, val in diff.items()}
        if "house_id" in diff:  # a move: close the open residence (history), open a new one
            Residence.objects.filter(person_id=pk, end_date__isnull=True).update(
                end_date=o["_stay"]["moved_in"] or today, end_reason="import")
            if o["house_id"]:
                Residence.objects.create(person_id=pk, house_id=o["house_id"], grid_code=o["grid_code"],
                                         start_date=o["_stay"]["moved_in"] or today,
                                         relation=o["_stay"]["relation"],
                                         domicile_type=o["_stay"]["domicile_type"],
                                         inflow_reason=o["_stay"]["inflow_reason"])
        fields["household_separated"] = o["household_separated"]
        if o["identity_number"]:
            fields.update(identity_number=o["identity_number"], id_last4=o["id_last4"])
        Person.objects.filter(pk=pk).update(version=F("version") + 1, updated_at=timezone.now(), **fields)


class HouseImporter(_Importer):
    kind = "houses"
    models = (House,)
    aliases = HOUSE_ALIASES
    required = HOUSE_REQUIRED

    def flush(self, batch):
        from gridgov.geo.selectors import locate_codes
        from gridgov.registry.services import clean_house

        cleaned = []
        for number, d in batch:
            report = ErrorReport()
            o = clean_house({k: (val.strip() if isinstance(val, str) else val) for k, val in d.items()},
                            report=report, row=number)
            if "lon" in o and "lat" in o and (o["lon"] is None) != (o["lat"] is None):
                report.add("lat" if o["lat"] is None else "lon", "give both lon and lat", code="required", row=number)
            if report.details:  # every problem of the row, its grid's too
                if o.get("grid_code"):
                    self._check_grid_into(o["grid_code"], number, "grid_code", report)
                for detail in report.details:
                    self.result.add(detail)
                continue
            cleaned.append((number, o))
        pts = [(i, o["lon"], o["lat"]) for i, (_, o) in enumerate(cleaned) if o["lon"] is not None]
        if pts:
            located = locate_codes([p[1] for p in pts], [p[2] for p in pts])
            for (i, _, _), code in zip(pts, located, strict=True):
                cleaned[i][1]["_located"] = code
        good = []
        for number, o in cleaned:
            if "_located" in o:
                code = o.pop("_located")
                if code is None:
                    self.reject(number, "lon", "the point lies outside every grid", "outside_grids")
                    continue
                if o["grid_code"] and o["grid_code"] != code:
                    self.reject(number, "grid_code", "the point lies in grid %(grid)s, not %(given)s",
                                "mismatch", grid=code, given=o["grid_code"])
                    continue
                o["grid_code"] = code
            if not o["grid_code"]:
                self.reject(number, "grid_code", "give a grid code or a point", "required")
                continue
            if not self.check_grid(o["grid_code"], number, "grid_code"):
                continue
            good.append((number, o))
        dups = self.seen.check_and_add([_key64(o["house_code"]) for _, o in good], [n for n, _ in good])
        unique = []
        for i, (n, o) in enumerate(good):
            if i in dups:
                self.reject(n, "house_code", "duplicate inside the file: same house code as row %(first)s",
                            "duplicate_in_file", first=dups[i])
            else:
                unique.append((n, o))
        good = unique
        if self.mode == "all-or-nothing" and self.result.details:
            return
        self._upsert(good)

    def _upsert(self, good):
        existing = {h.house_code: h for h in House.objects.filter(house_code__in=[o["house_code"] for _, o in good])}
        new, changed = [], []
        for number, o in good:
            h = existing.get(o["house_code"])
            fields = {k: val for k, val in o.items() if k in self.present or k == "grid_code"}
            if h is None:
                new.append(House(**o))
                continue
            if not self.in_scope(h.grid_code):
                self.reject(number, "house_code", "registered in another jurisdiction", "out_of_jurisdiction")
                continue
            diff = {k: val for k, val in fields.items() if getattr(h, k) != val}
            if not diff:
                self.result.unchanged += 1
                continue
            for k, val in diff.items():
                setattr(h, k, val)
            h.version += 1
            changed.append(h)
        if self.mode == "all-or-nothing" and self.result.details:
            return
        House.objects.bulk_create(new, batch_size=1000)
        if changed:
            House.objects.bulk_update(changed, [f.name for f in House._meta.concrete_fields
                                                if f.name not in ("id", "house_code", "created_at")],
                                      batch_size=500)
            for h in changed:  # residents and rentals follow the house
                Residence.objects.filter(house=h, end_date__isnull=True).update(grid_code=h.grid_code)
                Person.objects.filter(house=h).update(grid_code=h.grid_code, import_hash="")
        self.result.created += len(new)
        self.result.updated += len(changed)


class OrgImporter(_Importer):
    kind = "orgs"
    models = (Organisation,)
    aliases = ORG_ALIASES
    required = ORG_REQUIRED

    def flush(self, batch):
        from gridgov.geo.selectors import locate_codes
        from gridgov.registry.services import clean_organisation

        cleaned = []
        for number, d in batch:
            d = {k: (val.strip() if isinstance(val, str) else val) for k, val in d.items()}
            report = ErrorReport()
            o = clean_organisation(d, report=report, row=number)
            if "uscc" in o and not o["uscc"]:
                report.add("uscc", "is required for an import (it is the key)", code="required", row=number)
            try:
                o["_house_code"] = v.house_code(d.get("house_code"), required=False)
            except FieldError as exc:
                report.add_error(exc, row=number)
            if report.details:  # every problem of the row, its place's too
                if o.get("_house_code"):
                    self.resolve_houses({o["_house_code"]})
                    found = self.houses.get(o["_house_code"])
                    if found is None:
                        report.add("house_code", "house %(house)s is not registered", code="unknown_house",
                                   row=number, params={"house": o["_house_code"]})
                elif o.get("grid_code"):
                    self._check_grid_into(o["grid_code"], number, "grid_code", report)
                for detail in report.details:
                    self.result.add(detail)
                continue
            cleaned.append((number, o))
        self.resolve_houses({o["_house_code"] for _, o in cleaned if o["_house_code"]})
        pts = [(i, o["lon"], o["lat"]) for i, (_, o) in enumerate(cleaned)
               if o["lon"] is not None and o["lat"] is not None and not o["grid_code"]]
        located = dict(zip([p[0] for p in pts], locate_codes([p[1] for p in pts], [p[2] for p in pts]),
                           strict=True)) if pts else {}
        good = []
        for i, (number, o) in enumerate(cleaned):
            hc = o.pop("_house_code")
            o["house_id"] = None
            if hc:
                found = self.houses.get(hc)
                if found is None:
                    self.reject(number, "house_code", "house %(house)s is not registered", "unknown_house", house=hc)
                    continue
                o["house_id"], o["grid_code"] = found
            elif i in located:
                if located[i] is None:
                    self.reject(number, "lon", "the point lies outside every grid", "outside_grids")
                    continue
                o["grid_code"] = located[i]
            if not o["grid_code"]:
                self.reject(number, "grid_code", "give a grid code, a house code or a point", "required")
                continue
            if not self.check_grid(o["grid_code"], number, "grid_code"):
                continue
            good.append((number, o))
        dups = self.seen.check_and_add([_key64(o["uscc"]) for _, o in good], [n for n, _ in good])
        unique = []
        for i, (n, o) in enumerate(good):
            if i in dups:
                self.reject(n, "uscc", "duplicate inside the file: same code as row %(first)s", "duplicate_in_file",
                            first=dups[i])
            else:
                unique.append((n, o))
        good = unique
        if self.mode == "all-or-nothing" and self.result.details:
            return
        existing = {o.uscc: o for o in Organisation.objects.filter(uscc__in=[o["uscc"] for _, o in good])}
        new, changed = [], []
        for number, o in good:
            org = existing.get(o["uscc"])
            if org is None:
                new.append(Organisation(**o))
                continue
            if not self.in_scope(org.grid_code):
                self.reject(number, "uscc", "registered in another jurisdiction", "out_of_jurisdiction")
                continue
            diff = {k: val for k, val in o.items() if (k in self.present or k in ("grid_code", "house_id"))
                    and getattr(org, k) != val}
            if not diff:
                self.result.unchanged += 1
                continue
            for k, val in diff.items():
                setattr(org, k, val)
            org.version += 1
            changed.append(org)
        if self.mode == "all-or-nothing" and self.result.details:
            return
        Organisation.objects.bulk_create(new, batch_size=1000)
        if changed:
            Organisation.objects.bulk_update(changed, [f.name for f in Organisation._meta.concrete_fields
                                                       if f.name not in ("id", "uscc", "created_at")],
                                             batch_size=500)
        self.result.created += len(new)
        self.result.updated += len(changed)


@contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """An import allocates millions of short-lived, acyclic containers (a batch's rows), and each
    generation-0 pass that promotes a live batch leads to full passes over the whole process heap
    (Django, the geography): up to half the CPU time of the validation. The first threshold is raised
    for the import (the collector still runs) and restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


IMPORTERS: dict[str, type[_Importer]] = {"persons": PersonImporter, "houses": HouseImporter, "orgs": OrgImporter}


def limits() -> Limits:
    """The import limits of the settings (GRIDGOV_IMPORT_*)."""
    mb = 1024 * 1024
    return Limits(max_uncompressed=settings.GRIDGOV_IMPORT_MAX_UNCOMPRESSED_MB * mb,
                  max_ratio=settings.GRIDGOV_IMPORT_MAX_RATIO, max_rows=settings.GRIDGOV_IMPORT_MAX_ROWS,
                  max_cell=settings.GRIDGOV_IMPORT_MAX_CELL_CHARS)


#: Limit codes that refuse the whole file (422, nothing written): found while the rows are read, so
#: the import job's report carries them (the size limits, 413, are checked before the job is queued).
WHOLE_FILE_LIMITS = ("too_many_rows", "cell_too_long")


class ImportRefused(GridgovError):
    """An import file over a limit: 413 (too large) or 422 (too many rows, a cell too long), with
    a message in the user's language."""

    def __init__(self, message: str, *, status: int, code: str):
        super().__init__(message, code=code)
        self.status = status


def _limit_message(code: str, limit: int) -> str:
    messages = {
        "upload_too_large": _lazy("The file is larger than %(limit)s MB; split it into smaller files."),
        "too_large_uncompressed": _lazy("Unpacked, the workbook would exceed %(limit)s MB; it was not read. "
                                        "Split it into smaller files."),
        "compression_ratio": _lazy("The workbook is compressed more than %(limit)s to 1 (a zip bomb?); it "
                                   "was not read."),
        "too_many_rows": _lazy("The file has more than %(limit)s rows; split it into smaller files."),
        "cell_too_long": _lazy("A cell holds more than %(limit)s characters; the file was not imported."),
    }
    if code in ("upload_too_large", "too_large_uncompressed"):
        limit = limit // (1024 * 1024)
    return str(messages[code]) % {"limit": limit}


def refusal(exc: LimitExceeded) -> ImportRefused:
    return ImportRefused(_limit_message(exc.code, exc.limit), status=exc.status, code=exc.code)


def check_upload(*, size: int) -> None:
    """Refuse an upload over GRIDGOV_IMPORT_MAX_UPLOAD_MB (413) before it is stored or read."""
    limit = settings.GRIDGOV_IMPORT_MAX_UPLOAD_MB * 1024 * 1024
    if size > limit:
        raise ImportRefused(_limit_message("upload_too_large", limit), status=413, code="upload_too_large")


def check_file(path: str, filename: str | None = None) -> None:
    """Refuse an .xlsx zip bomb from its zip directory alone (413), before any parsing."""
    from gridgov.registry.tabular import check_zip

    name = (filename or path).lower()
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if name.endswith(".xlsx") or magic == b"PK\x03\x04":
        try:
            check_zip(path, limits())
        except LimitExceeded as exc:
            raise refusal(exc) from None
        except TableError:
            pass  # a broken file: the import reports it


def import_file(*, kind: str, path: str, actor=None, mode: str = "all-or-nothing", encoding: str | None = None,
                filename: str | None = None, progress: Progress | None = None,
                today: date | None = None) -> ImportResult:
    """Import ``path`` (CSV or .xlsx). Returns the result; ``result.written`` says whether anything
    was written. The import and its audit row are one transaction."""
    if kind not in IMPORTERS:
        raise FieldError("kind", "%(kind)s: expected persons, houses or orgs", code="invalid", params={"kind": repr(kind)})
    cls = IMPORTERS[kind]
    importer = cls(actor=actor, mode=mode, progress=progress, today=today)
    result = importer.result
    try:
        table = open_table(path, aliases=cls.aliases, required=cls.required, encoding=encoding, filename=filename,
                           limits=limits())
        result.encoding = table.encoding
        with _fewer_gc_passes(), db_adapter.import_session(connection), transaction.atomic():
            importer.run(table)
            if mode == "all-or-nothing" and result.details:
                raise _Rollback
            importer.finish()
            audit_write(AuditAction.IMPORT, actor=actor, object_type=f"registry.{kind}",
                        object_id=filename or path.rsplit("/", 1)[-1],
                        changes={"rows": result.rows, "created": result.created, "updated": result.updated,
                                 "unchanged": result.unchanged, "rejected": result.rejected, "mode": mode})
            result.written = True
    except _Rollback:
        result.written = False
        result.created = result.updated = result.unchanged = 0
    except TableError as exc:
        result.written = False
        result.created = result.updated = result.unchanged = 0
        if isinstance(exc, LimitExceeded):
            result.add(ErrorDetail(exc.field, _limit_message(exc.code, exc.limit), exc.code, exc.row))
        else:
            result.add(ErrorDetail(exc.field, exc.reason, exc.code, exc.row, exc.template, exc.params))
    result.details.sort(key=lambda d: (d.row or 0))
    if not result.written:
        with transaction.atomic():
            audit_write(AuditAction.IMPORT, actor=actor, object_type=f"registry.{kind}",
                        object_id=filename or path.rsplit("/", 1)[-1], outcome=AuditOutcome.FAILURE,
                        changes={"rows": result.rows, "rejected": result.rejected, "mode": mode})
    return result
