"""Imports of persons, houses and organisations from CSV or .xlsx, streaming, with a report.

- Template: Chinese headers with English aliases (``*_ALIASES``; docs/registry.md lists them).
- Every row is validated; every rejected row is reported with its row number (the header is row 1),
  field and reason. ``mode="all-or-nothing"`` (default) writes nothing when any row is rejected;
  ``mode="valid-rows"`` writes the valid rows and reports the rest. A problem with the whole file
  (encoding, missing column) writes nothing in either mode.
- Upsert: persons by identity number (blind index) or document type + number, houses by house
  code, organisations by unified social credit code. Re-importing the same file changes nothing.
- Constant memory: rows are handled in batches; only the keys already seen (8 bytes a row, in a
  sorted NumPy array) are kept to find duplicates inside the file.
"""

from __future__ import annotations

import hashlib
import operator
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from gridgov.accounts.scope import require_capability, user_prefixes
from gridgov.core.audit import audit_write
from gridgov.core.codes import PROVINCES
from gridgov.core.errors import ErrorDetail, ErrorReport, FieldError
from gridgov.core.idnumber import CHECK_CHARS, EARLIEST_BIRTH, WEIGHTS
from gridgov.core.masking import mask_text
from gridgov.core.models import AuditAction, AuditOutcome
from gridgov.geo.models import Grid
from gridgov.registry import codes
from gridgov.registry import validation as v
from gridgov.registry.identity import blind_key
from gridgov.registry.models import House, Organisation, Person, Residence
from gridgov.registry.tabular import Table, TableError, open_table

MODES = ("all-or-nothing", "valid-rows")
BATCH = 5000
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
    "户籍门（楼）详址": "hukou_address", "户籍详址": "hukou_address", "hukou_address": "hukou_address",
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

    def add(self, detail: ErrorDetail) -> None:
        self._rows.add(detail.row)
        self.rejected = len(self._rows)
        if len(self.details) < MAX_REPORTED:
            self.details.append(ErrorDetail(detail.field, mask_text(detail.message), detail.code, detail.row))
        else:
            self.truncated = True

    def as_dict(self) -> dict:
        return {"kind": self.kind, "mode": self.mode, "rows": self.rows, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected,
                "written": self.written, "encoding": self.encoding, "truncated": self.truncated,
                "errors": [d.as_dict() for d in self.details]}


class _Rollback(Exception):
    pass


class _Seen:
    """Keys seen so far in the file (sorted uint64) with the row of their first occurrence."""

    def __init__(self):
        self.keys = np.empty(0, dtype=np.uint64)
        self.rows = np.empty(0, dtype=np.uint32)

    def check_and_add(self, keys: list[int], rows: list[int]) -> dict[int, int]:
        """Index in ``keys`` -> earlier row for each key already seen (in the file or this batch)."""
        dup: dict[int, int] = {}
        first: dict[int, int] = {}
        arr = np.asarray(keys, dtype=np.uint64)
        pos = np.searchsorted(self.keys, arr)
        hit = (pos < len(self.keys)) & (self.keys[np.minimum(pos, max(len(self.keys) - 1, 0))] == arr) \
            if len(self.keys) else np.zeros(len(arr), dtype=bool)
        keep_idx = []
        for i, k in enumerate(keys):
            if hit[i]:
                dup[i] = int(self.rows[pos[i]])
            elif k in first:
                dup[i] = rows[first[k]]
            else:
                first[k] = i
                keep_idx.append(i)
        if keep_idx:
            new_keys = arr[keep_idx]
            new_rows = np.asarray([rows[i] for i in keep_idx], dtype=np.uint32)
            order = np.argsort(new_keys, kind="stable")
            new_keys, new_rows = new_keys[order], new_rows[order]
            at = np.searchsorted(self.keys, new_keys)
            self.keys = np.insert(self.keys, at, new_keys)
            self.rows = np.insert(self.rows, at, new_rows)
        return dup


def _key64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class _Lru(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class _Importer:
    kind = ""
    aliases: dict[str, str] = {}
    required: list = []

    def __init__(self, *, actor, mode: str, progress: Progress | None, today: date | None):
        if mode not in MODES:
            raise FieldError("mode", f"{mode!r}: expected all-or-nothing or valid-rows", code="invalid")
        self.actor = actor
        self.mode = mode
        self.progress = progress
        self.today = today or date.today()
        self.result = ImportResult(kind=self.kind, mode=mode)
        self.seen = _Seen()
        if actor is not None:
            require_capability(actor, "registry.edit")
            self.prefixes = tuple(user_prefixes(actor, "registry.edit", purpose="write"))
        else:
            self.prefixes = ("",)
        self.grids = set(Grid.objects.values_list("code", flat=True))
        self.houses = _Lru(200_000)  # house_code -> (id, grid_code)

    # -- helpers --
    def reject(self, row: int, field_name: str, message: str, code: str = "invalid") -> None:
        self.result.add(ErrorDetail(field_name, message, code, row))

    def check_grid(self, grid_code: str, row: int, field_name: str) -> bool:
        if grid_code not in self.grids:
            self.reject(row, field_name, f"grid {grid_code} does not exist", "unknown_grid")
            return False
        if not grid_code.startswith(self.prefixes):
            self.reject(row, field_name, f"grid {grid_code} is outside your jurisdiction", "out_of_jurisdiction")
            return False
        return True

    def resolve_houses(self, house_codes: set[str]) -> None:
        missing = [c for c in house_codes if c not in self.houses]
        for start in range(0, len(missing), 900):
            for pk, hc, gc in House.objects.filter(house_code__in=missing[start:start + 900]).values_list(
                    "pk", "house_code", "grid_code"):
                self.houses.put(hc, (pk, gc))

    # -- driver --
    def run(self, table: Table) -> ImportResult:
        self.result.encoding = table.encoding
        self.fields = table.fields
        self.present = {f for f in table.fields if f}
        self.has_stay = bool(self.present & {"relation", "domicile_type", "inflow_reason", "moved_in"})
        batch: list[tuple[int, dict]] = []
        errors_before = 0
        for number, values in table.rows():
            self.result.rows += 1
            batch.append((number, {f: values[i] if i < len(values) else "" for i, f in enumerate(self.fields)
                                   if f}))
            if len(batch) >= BATCH:
                self.flush(batch)
                batch = []
                if self.progress:
                    self.progress(self.kind, table.position(), table.size)
            if self.mode == "all-or-nothing" and len(self.result.details) > errors_before:
                errors_before = len(self.result.details)  # keep validating: report every bad row
        if batch:
            self.flush(batch)
        if self.progress:
            self.progress(self.kind, table.size, table.size)
        return self.result

    def flush(self, batch):  # pragma: no cover - abstract
        raise NotImplementedError


_W_SUM48 = 48 * sum(WEIGHTS)
_NO_STAY = {"relation": "", "domicile_type": "", "inflow_reason": "", "moved_in": None}


class PersonImporter(_Importer):
    kind = "persons"
    aliases = PERSON_ALIASES
    required = PERSON_REQUIRED
    COLUMNS = ("identity_number", "id_hmac", "id_last4", "doc_type", "doc_number", "name", "former_name", "sex",
               "birth_date", "ethnicity", "nationality", "hukou_division", "hukou_address", "phone",
               "population_type", "household_separated", "grid_code", "house_id")
    COMPARED = ("doc_type", "doc_number", "name", "former_name", "sex", "birth_date", "ethnicity", "nationality",
                "hukou_division", "hukou_address", "phone", "population_type", "grid_code", "house_id")

    def __init__(self, **kw):
        super().__init__(**kw)
        self.has_stay = False
        self.key = blind_key()
        self.qn = connection.ops.quote_name
        self.table = Person._meta.db_table

    def fast(self, d: dict) -> dict | None:
        """The common case (valid identity number, plain values) without building error messages;
        None sends the row to the full validator."""
        idn = d.get("identity_number")
        if type(idn) is not str or len(idn) != 18:
            return None
        idn = idn.upper()
        body = idn[:17]
        if not (body.isascii() and body.isdigit()) or idn[:2] not in PROVINCES or body[14:] == "000":
            return None
        if CHECK_CHARS[(sum(map(operator.mul, body.encode(), WEIGHTS)) - _W_SUM48) % 11] != idn[17]:
            return None
        try:
            birth = date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
        except ValueError:
            return None
        if birth > self.today or birth < EARLIEST_BIRTH:
            return None
        sex = "1" if int(idn[16]) % 2 else "2"
        name = d.get("name", "")
        if not name or len(name) > 64 or v._BAD_NAME.search(name):
            return None
        given_sex = d.get("sex", "")
        if given_sex and given_sex != sex:
            return None
        given_birth = d.get("birth_date", "")
        if given_birth and given_birth != f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}" and given_birth != idn[6:14]:
            return None
        pop = d.get("population_type", "")
        if pop not in codes.POPULATION_TYPE:
            return None
        eth = d.get("ethnicity", "")
        if eth and eth not in codes.ETHNICITY:
            return None
        hukou = d.get("hukou_division", "")
        if hukou:
            if not (hukou.isascii() and hukou.isdigit() and len(hukou) in (6, 12) and hukou[:2] in PROVINCES):
                return None
        elif pop != codes.POP_FOREIGN:
            hukou = idn[:6]
        phone = d.get("phone", "")
        if phone and not v._MOBILE.match(phone):
            return None
        doc_type = d.get("doc_type", "")
        if doc_type not in ("", "111") or d.get("doc_number"):
            return None
        nat = d.get("nationality", "") or "CN"
        if nat != "CN" and (len(nat) != 2 or not nat.isalpha()):
            return None
        former = d.get("former_name", "")
        address = d.get("hukou_address", "")
        if len(former) > 64 or len(address) > 200 or (former and v._BAD_NAME.search(former)):
            return None
        if pop == codes.POP_FOREIGN and nat == "CN":
            return None
        return {"identity_number": idn, "doc_type": "111", "doc_number": "", "name": name, "former_name": former,
                "sex": sex, "birth_date": birth, "ethnicity": eth, "nationality": nat, "hukou_division": hukou,
                "hukou_address": address, "phone": phone, "population_type": pop}

    def clean(self, number: int, d: dict) -> dict | None:
        for k, val in d.items():
            if type(val) is str:
                if val and (val[0] in " \t" or val[-1] in " \t\r\n"):
                    d[k] = val.strip()
            elif k == "identity_number" and isinstance(val, (int, float)):
                self.reject(number, "identity_number", "is stored as a number in Excel (digits are lost); "
                            "format the column as text", "excel_number")
                return None
            elif not isinstance(val, str):
                d[k] = val if hasattr(val, "year") else str(val)
        out = self.fast(d)
        if out is None:
            report = ErrorReport()
            out = v.clean_person(d, report=report, row=number, today=self.today)
            for detail in report.details:
                self.result.add(detail)
            if out is None:
                return None
        ok = True
        if self.has_stay:
            try:
                stay = {"relation": v.code(d.get("relation"), "relation", codes.RELATION),
                        "domicile_type": v.code(d.get("domicile_type"), "domicile_type", codes.DOMICILE_TYPE),
                        "inflow_reason": v.code(d.get("inflow_reason"), "inflow_reason", codes.INFLOW_REASON),
                        "moved_in": v.parse_date(d.get("moved_in"), "moved_in", today=self.today)}
            except FieldError as exc:
                self.reject(number, exc.field, exc.reason, exc.reason_code)
                return None
        else:
            stay = _NO_STAY
        out["_stay"] = stay
        house_code = d.get("house_code", "")
        out["_house_code"] = house_code
        if not house_code:
            grid = d.get("grid_code", "")
            if grid not in self.grids:
                try:
                    v.grid(grid, required=True)
                except FieldError as exc:
                    self.reject(number, exc.field, exc.reason + " (or give a house code)", exc.reason_code)
                    return None
            ok = self.check_grid(grid, number, "grid_code")
            out["grid_code"], out["house_id"] = grid, None
        return out if ok else None

    def flush(self, batch):
        today = self.today
        cleaned: list[tuple[int, dict]] = []
        for number, d in batch:
            out = self.clean(number, d)
            if out is not None:
                cleaned.append((number, out))
        # houses
        self.resolve_houses({o["_house_code"] for _, o in cleaned if o["_house_code"]})
        placed = []
        for number, o in cleaned:
            hc = o["_house_code"]
            if hc:
                found = self.houses.get(hc)
                if found is None:
                    self.reject(number, "house_code", f"house {hc} is not registered", "unknown_house")
                    continue
                if not found[1].startswith(self.prefixes):
                    self.reject(number, "house_code", f"house {hc} is outside your jurisdiction",
                                "out_of_jurisdiction")
                    continue
                o["house_id"], o["grid_code"] = found
            placed.append((number, o))
        # identity keys, duplicates inside the file
        key = self.key
        import hmac as _hmac

        keys, rows = [], []
        for number, o in placed:
            idn = o["identity_number"]
            if idn:
                h = _hmac.new(key, idn.encode(), "sha256").hexdigest()
                o["id_hmac"], o["id_last4"] = h, idn[-4:]
                keys.append(int(h[:16], 16))
            else:
                o["id_hmac"], o["id_last4"] = None, ""
                keys.append(_key64(f"D|{o['doc_type']}|{o['doc_number']}"))
            rows.append(number)
        dups = self.seen.check_and_add(keys, rows)
        good = []
        for i, (number, o) in enumerate(placed):
            if i in dups:
                field_name = "identity_number" if o["identity_number"] else "doc_number"
                self.reject(number, field_name, f"duplicate inside the file: same number as row {dups[i]}",
                            "duplicate_in_file")
                continue
            o["household_separated"] = v.household_separated(o["population_type"], o["hukou_division"],
                                                             o["grid_code"])
            good.append((number, o))
        if self.mode == "all-or-nothing" and self.result.details:
            return  # validation continues; nothing will be written
        self.write(good, today)

    def _existing(self, good):
        by_hmac = [o["id_hmac"] for _, o in good if o["id_hmac"]]
        by_doc = [o["doc_number"] for _, o in good if not o["id_hmac"]]
        cols = ["pk", "id_hmac", *self.COMPARED, "status"]
        found_h, found_d = {}, {}
        for start in range(0, len(by_hmac), 900):
            for row in Person.objects.filter(id_hmac__in=by_hmac[start:start + 900]).values_list(*cols):
                found_h[row[1]] = row
        for start in range(0, len(by_doc), 900):
            for row in Person.objects.filter(doc_number__in=by_doc[start:start + 900]).values_list(*cols):
                found_d[(row[2], row[3])] = row
        return found_h, found_d

    def write(self, good, today):
        if not good:
            return
        found_h, found_d = self._existing(good)
        present = self.present
        compared = [c for c in self.COMPARED
                    if c in present or c in ("grid_code", "house_id", "sex", "birth_date", "doc_type",
                                             "hukou_division", "nationality")]
        new, changed = [], []
        for number, o in good:
            row = found_h.get(o["id_hmac"]) if o["id_hmac"] else found_d.get((o["doc_type"], o["doc_number"]))
            if row is None:
                new.append((number, o))
                continue
            current = dict(zip(self.COMPARED, row[2:2 + len(self.COMPARED)], strict=True))
            diff = {c: o[c] for c in compared if current[c] != o[c]}
            if row[-1] != Person.Status.ACTIVE and o["house_id"]:
                diff["status"] = Person.Status.ACTIVE
            if not diff:
                self.result.unchanged += 1
            else:
                changed.append((row[0], current, o, diff))
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        if new:
            cols = [*self.COLUMNS, "empty_registration", "status", "version", "created_at", "updated_at"]
            sql = (f"INSERT INTO {self.qn(self.table)} ({', '.join(self.qn(c) for c in cols)}) "
                   f"VALUES ({', '.join(['%s'] * len(cols))})")
            adapt_date = connection.ops.adapt_datefield_value
            params = [(o["identity_number"], o["id_hmac"], o["id_last4"], o["doc_type"], o["doc_number"], o["name"],
                       o["former_name"], o["sex"], adapt_date(o["birth_date"]), o["ethnicity"], o["nationality"],
                       o["hukou_division"], o["hukou_address"], o["phone"], o["population_type"],
                       o["household_separated"], o["grid_code"], o["house_id"], False, "active", 1, now, now)
                      for _, o in new]
            with connection.cursor() as cur:
                cur.executemany(sql, params)
            self.result.created += len(new)
            housed = [o for _, o in new if o["house_id"]]
            if housed:
                ids = self._ids(housed)
                Residence.objects.bulk_create([
                    Residence(person_id=ids[self._ident(o)], house_id=o["house_id"], grid_code=o["grid_code"],
                              start_date=o["_stay"]["moved_in"] or today, relation=o["_stay"]["relation"],
                              domicile_type=o["_stay"]["domicile_type"], inflow_reason=o["_stay"]["inflow_reason"])
                    for o in housed], batch_size=1000)
        for pk, current, o, diff in changed:
            self._update(pk, current, o, diff, today)
        self.result.updated += len(changed)

    @staticmethod
    def _ident(o):
        return o["id_hmac"] or (o["doc_type"], o["doc_number"])

    def _ids(self, objs) -> dict:
        out = {}
        hs = [o["id_hmac"] for o in objs if o["id_hmac"]]
        ds = [o["doc_number"] for o in objs if not o["id_hmac"]]
        for start in range(0, len(hs), 900):
            out.update({h: pk for pk, h in Person.objects.filter(id_hmac__in=hs[start:start + 900])
                        .values_list("pk", "id_hmac")})
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
    aliases = HOUSE_ALIASES
    required = HOUSE_REQUIRED

    def flush(self, batch):
        from gridgov.geo.selectors import locate_codes
        from gridgov.registry.services import clean_house

        cleaned = []
        for number, d in batch:
            try:
                o = clean_house({k: (val.strip() if isinstance(val, str) else val) for k, val in d.items()})
            except FieldError as exc:
                self.reject(number, exc.field, exc.reason, exc.reason_code)
                continue
            if (o["lon"] is None) != (o["lat"] is None):
                self.reject(number, "lat" if o["lat"] is None else "lon", "give both lon and lat", "required")
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
                    self.reject(number, "grid_code", f"the point lies in grid {code}, not {o['grid_code']}",
                                "mismatch")
                    continue
                o["grid_code"] = code
            if not o["grid_code"]:
                self.reject(number, "grid_code", "give a grid code or a point", "required")
                continue
            if not self.check_grid(o["grid_code"], number, "grid_code"):
                continue
            good.append((number, o))
        dups = self.seen.check_and_add([_key64(o["house_code"]) for _, o in good], [n for n, _ in good])
        good = [(n, o) for i, (n, o) in enumerate(good) if i not in dups or self.reject(
            n, "house_code", f"duplicate inside the file: same house code as row {dups[i]}", "duplicate_in_file")]
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
            if not h.grid_code.startswith(self.prefixes):
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
                Person.objects.filter(house=h).update(grid_code=h.grid_code)
        self.result.created += len(new)
        self.result.updated += len(changed)


class OrgImporter(_Importer):
    kind = "orgs"
    aliases = ORG_ALIASES
    required = ORG_REQUIRED

    def flush(self, batch):
        from gridgov.geo.selectors import locate_codes
        from gridgov.registry.services import clean_organisation

        cleaned = []
        for number, d in batch:
            d = {k: (val.strip() if isinstance(val, str) else val) for k, val in d.items()}
            try:
                o = clean_organisation(d)
                if not o["uscc"]:
                    raise FieldError("uscc", "is required for an import (it is the key)", code="required")
                o["_house_code"] = v.house_code(d.get("house_code"), required=False)
            except FieldError as exc:
                self.reject(number, exc.field, exc.reason, exc.reason_code)
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
                    self.reject(number, "house_code", f"house {hc} is not registered", "unknown_house")
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
        good = [(n, o) for i, (n, o) in enumerate(good) if i not in dups or self.reject(
            n, "uscc", f"duplicate inside the file: same code as row {dups[i]}", "duplicate_in_file")]
        if self.mode == "all-or-nothing" and self.result.details:
            return
        existing = {o.uscc: o for o in Organisation.objects.filter(uscc__in=[o["uscc"] for _, o in good])}
        new, changed = [], []
        for number, o in good:
            org = existing.get(o["uscc"])
            if org is None:
                new.append(Organisation(**o))
                continue
            if not org.grid_code.startswith(self.prefixes):
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


IMPORTERS = {"persons": PersonImporter, "houses": HouseImporter, "orgs": OrgImporter}


def import_file(*, kind: str, path: str, actor=None, mode: str = "all-or-nothing", encoding: str | None = None,
                filename: str | None = None, progress: Progress | None = None,
                today: date | None = None) -> ImportResult:
    """Import ``path`` (CSV or .xlsx). Returns the result; ``result.written`` says whether anything
    was written. The import and its audit row are one transaction."""
    if kind not in IMPORTERS:
        raise FieldError("kind", f"{kind!r}: expected persons, houses or orgs", code="invalid")
    cls = IMPORTERS[kind]
    importer = cls(actor=actor, mode=mode, progress=progress, today=today)
    result = importer.result
    try:
        table = open_table(path, aliases=cls.aliases, required=cls.required, encoding=encoding, filename=filename)
        result.encoding = table.encoding
        with transaction.atomic():
            importer.run(table)
            if mode == "all-or-nothing" and result.details:
                raise _Rollback
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
        result.add(ErrorDetail(exc.field, exc.reason, exc.code, exc.row))
    result.details.sort(key=lambda d: (d.row or 0))
    if not result.written:
        with transaction.atomic():
            audit_write(AuditAction.IMPORT, actor=actor, object_type=f"registry.{kind}",
                        object_id=filename or path.rsplit("/", 1)[-1], outcome=AuditOutcome.FAILURE,
                        changes={"rows": result.rows, "rejected": result.rejected, "mode": mode})
    return result
