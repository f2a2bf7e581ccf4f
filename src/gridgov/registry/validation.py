"""Field validation of the register (pure: no Django). Used by the services and by the importer.

Each ``clean_*`` takes raw values (strings from a form, JSON or a CSV cell) and returns the
normalised value or raises ``FieldError(field, reason)``. ``clean_person`` validates a whole
person and collects every problem (``ErrorReport``) so that an import row reports all of them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Literal, overload

from gridgov.core.codes import PROVINCES
from gridgov.core.errors import ErrorReport, FieldError
from gridgov.core.idnumber import EARLIEST_BIRTH, parse_identity_number
from gridgov.core.uscc import validate_uscc
from gridgov.registry import codes

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_DOC_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,31}$")
_BAD_NAME = re.compile(r"[\d\x00-\x1f\x7f<>@#$%^&*=+|\\/{}\[\];:\"?!]")
_HOUSE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
#: Dates as people type them: 2020-01-05, 2020/1/5, 2020.1.5 (one separator throughout),
#: 2020年1月5日 and 20200105; an optional time of midnight (a date cell exported as text) is allowed.
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]0{1,2}:00(?::00)?)?$"),
    re.compile(r"^(\d{4})()年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})()(\d{2})(\d{2})$"),
)
_DATE_EXAMPLES = "2020-01-05, 2020/1/5, 2020.1.5, 2020年1月5日 or 20200105"

#: Labels accepted for codes (imports from other systems carry labels, not codes).
_POP_ALIASES = {"户籍": "01", "户籍人口": "01", "流动": "02", "流动人口": "02", "来沪": "02", "来沪人员": "02",
                "境外": "03", "境外人员": "03", "foreign": "03", "local": "01", "migrant": "02"}
_SEX_ALIASES = {"男": "1", "女": "2", "m": "1", "f": "2", "male": "1", "female": "2"}


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value, field: str, *, max_length: int, required: bool = False) -> str:
    if blank(value):
        if required:
            raise FieldError(field, "is required", code="required")
        return ""
    out = str(value).strip()
    if len(out) > max_length:
        raise FieldError(field, "is %(length)s characters long; at most %(max)s", code="too_long",
                         params={"length": len(out), "max": max_length})
    if any(ord(c) < 32 for c in out):
        raise FieldError(field, "contains control characters", code="invalid")
    return out


def name(value, field: str = "name", *, required: bool = True) -> str:
    out = text(value, field, max_length=64, required=required)
    bad = _BAD_NAME.search(out)
    if bad:
        raise FieldError(field, "contains %(char)s; a name has letters only", code="invalid",
                         params={"char": repr(bad.group())})
    return out


def code(value, field: str, table: dict[str, str], *, required: bool = False, aliases: dict | None = None) -> str:
    """A code from ``table``; its label (or an alias) is accepted too."""
    if blank(value):
        if required:
            raise FieldError(field, "is required", code="required")
        return ""
    raw = str(value).strip()
    if raw in table:
        return raw
    if aliases and raw.lower() in aliases:
        return aliases[raw.lower()]
    if aliases and raw in aliases:
        return aliases[raw]
    for key, lab in table.items():
        if raw == lab:
            return key
    if raw.isdigit() and len(raw) < max(len(k) for k in table):
        padded = raw.zfill(max(len(k) for k in table))
        if padded in table:
            return padded
    raise FieldError(field, "unknown code %(value)s; expected one of %(codes)s",
                     code="unknown_code", params={"value": repr(raw), "codes": ", ".join(sorted(table))})


@overload
def parse_date(value, field: str, *, required: Literal[True], not_future: bool = True,
               today: date | None = None) -> date: ...
@overload
def parse_date(value, field: str, *, required: bool = False, not_future: bool = True,
               today: date | None = None) -> date | None: ...
def parse_date(value, field: str, *, required: bool = False, not_future: bool = True,
               today: date | None = None) -> date | None:
    if blank(value):
        if required:
            raise FieldError(field, "is required", code="required")
        return None
    out: date | None
    if isinstance(value, datetime):
        out = value.date()
    elif isinstance(value, date):
        out = value
    else:
        out = _parse_date_text(str(value), field)
    if out < EARLIEST_BIRTH:
        raise FieldError(field, "%(date)s is before %(earliest)s", code="bad_date",
                         params={"date": out.isoformat(), "earliest": EARLIEST_BIRTH.isoformat()})
    if not_future and out > (today or date.today()):
        raise FieldError(field, "%(date)s is in the future", code="bad_date", params={"date": out.isoformat()})
    return out


def _parse_date_text(value: str, field: str) -> date:
    """A date typed as text in one of the forms of ``_DATE_PATTERNS`` (full-width digits too)."""
    raw = unicodedata.normalize("NFKC", value).strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(raw)
        if m is None:
            continue
        year, month, day = int(m.group(1)), int(m.group(3)), int(m.group(4))
        try:
            return date(year, month, day)
        except ValueError:
            if not 1 <= month <= 12:
                raise FieldError(field, "%(value)s is not a calendar date: month %(month)s does not exist",
                                 code="bad_date", params={"value": repr(value.strip()), "month": month}) from None
            raise FieldError(field, "%(value)s is not a calendar date: day %(day)s does not exist in %(ym)s",
                             code="bad_date", params={"value": repr(value.strip()), "day": day,
                                                      "ym": f"{year}-{month:02d}"}) from None
    raise FieldError(field, "%(value)s is not a date; write it like %(examples)s", code="bad_date",
                     params={"value": repr(value.strip()), "examples": _DATE_EXAMPLES})


def phone(value, field: str = "phone") -> str:
    if blank(value):
        return ""
    raw = re.sub(r"[\s()]", "", str(value))
    if raw.startswith("+86"):
        raw = raw[3:]
    if _MOBILE.match(raw) or _LANDLINE.match(raw):
        return raw
    raise FieldError(field, "is not a mobile (11 digits, 1[3-9]…) or landline (0xx-xxxxxxxx) number",
                     code="bad_phone")


def division(value, field: str, *, required: bool = False) -> str:
    """A GB/T 2260 code: 6 (county) or 12 (statistical) digits, known province."""
    if blank(value):
        if required:
            raise FieldError(field, "is required", code="required")
        return ""
    raw = str(value).strip()
    if not raw.isdigit() or len(raw) not in (6, 12):
        raise FieldError(field, "%(value)s is not a 6- or 12-digit division code (GB/T 2260)", code="bad_division",
                         params={"value": repr(raw)})
    if raw[:2] not in PROVINCES:
        raise FieldError(field, "%(value)s does not start with a province code (GB/T 2260)", code="unknown_code",
                         params={"value": repr(raw)})
    if raw[2:4] == "00" and raw[4:6] != "00":
        raise FieldError(field, "%(value)s: county set below an empty city segment", code="bad_division",
                         params={"value": repr(raw)})
    return raw


def grid(value, field: str = "grid_code", *, required: bool = False) -> str:
    from gridgov.core.codes import validate_grid_code

    if blank(value):
        if required:
            raise FieldError(field, "is required", code="required")
        return ""
    return validate_grid_code(str(value).strip(), field)


def house_code(value, field: str = "house_code", *, required: bool = True) -> str:
    if blank(value):
        if required:
            raise FieldError(field, "is required", code="required")
        return ""
    raw = str(value).strip()
    if not _HOUSE_CODE.match(raw):
        raise FieldError(field, "%(value)s is not a house code (letters, digits and '-', at most 32)",
                         code="invalid", params={"value": repr(raw)})
    return raw


def uscc(value, field: str = "uscc") -> str | None:
    if blank(value):
        return None
    return validate_uscc(str(value), field)


def count(value, field: str, *, maximum: int = 10_000_000) -> int:
    if blank(value):
        return 0
    try:
        out = int(str(value).strip())
    except ValueError:
        raise FieldError(field, "%(value)s is not a whole number", code="invalid", params={"value": repr(value)}) from None
    if not 0 <= out <= maximum:
        raise FieldError(field, "%(value)s is out of range 0-%(max)s", code="invalid",
                         params={"value": out, "max": maximum})
    return out


def coordinate(value, field: str, lo: float, hi: float) -> float | None:
    if blank(value):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise FieldError(field, "%(value)s is not a number", code="invalid", params={"value": repr(value)}) from None
    if not lo <= out <= hi:
        raise FieldError(field, "%(value)s is outside %(lo)s..%(hi)s", code="invalid",
                         params={"value": out, "lo": lo, "hi": hi})
    return out


PERSON_FIELDS = ("identity_number", "doc_type", "doc_number", "name", "former_name", "sex", "birth_date",
                 "ethnicity", "nationality", "hukou_division", "hukou_address", "phone", "population_type")


@overload
def clean_person(data: dict, *, report: None = None, row: int | None = None,
                 today: date | None = None, partial: bool = False) -> dict: ...
@overload
def clean_person(data: dict, *, report: ErrorReport, row: int | None = None,
                 today: date | None = None, partial: bool = False) -> dict | None: ...
def clean_person(data: dict, *, report: ErrorReport | None = None, row: int | None = None,
                 today: date | None = None, partial: bool = False) -> dict | None:
    """Validate a person. With ``report`` every problem is added to it (and None returned when any);
    without, the first problem raises. ``partial``: only the keys present (updates)."""
    problems = report if report is not None else ErrorReport()
    out: dict = {}

    def run(key, fn):
        if partial and key not in data:
            return
        try:
            out[key] = fn(data.get(key))
        except FieldError as exc:
            if report is None:
                raise
            problems.add_error(exc, row=row)

    before = len(problems.details)
    info = None
    if not partial or "identity_number" in data:
        raw_id = data.get("identity_number")
        if blank(raw_id):
            out["identity_number"] = None
        else:
            try:
                info = parse_identity_number(str(raw_id), "identity_number", today=today)
                out["identity_number"] = info.number
            except FieldError as exc:
                if report is None:
                    raise
                problems.add_error(exc, row=row)
                out["identity_number"] = None
    run("doc_type", lambda v: code(v, "doc_type", codes.DOC_TYPE) or codes.DOC_ID_CARD)
    run("doc_number", lambda v: _doc_number(v))
    run("name", lambda v: name(v))
    run("former_name", lambda v: name(v, "former_name", required=False))
    run("sex", lambda v: code(v, "sex", codes.SEX, aliases=_SEX_ALIASES))
    run("birth_date", lambda v: parse_date(v, "birth_date", today=today))
    run("ethnicity", lambda v: code(v, "ethnicity", codes.ETHNICITY))
    run("nationality", lambda v: _nationality(v))
    run("hukou_division", lambda v: division(v, "hukou_division"))
    run("hukou_address", lambda v: text(v, "hukou_address", max_length=200))
    run("phone", lambda v: phone(v))
    run("population_type", lambda v: code(v, "population_type", codes.POPULATION_TYPE, required=True,
                                          aliases=_POP_ALIASES))

    def problem(field, message, reason_code, params=None):
        if report is None:
            raise FieldError(field, message, code=reason_code, params=params)
        problems.add(field, message, code=reason_code, row=row, params=params)

    if info is not None:
        if out.get("birth_date") and out["birth_date"] != info.birth_date:
            problem("birth_date", "%(date)s does not match the identity number",
                    "mismatch", {"date": out["birth_date"].isoformat()})
        if out.get("sex") and out["sex"] in ("1", "2") and out["sex"] != info.sex:
            problem("sex", "does not match the identity number (sequence parity)", "mismatch")
        out["birth_date"], out["sex"] = info.birth_date, info.sex
        if out.get("doc_type") not in (None, codes.DOC_ID_CARD) and "doc_type" in out:
            problem("doc_type", "an identity number is given: the document type is 111", "mismatch")
        out["doc_type"] = codes.DOC_ID_CARD
        out["doc_number"] = ""
    elif not partial:
        if "identity_number" in out and out.get("doc_type", codes.DOC_ID_CARD) == codes.DOC_ID_CARD \
                and len(problems.details) == before:
            problem("identity_number", "is required for document type 111 (else give doc_type and doc_number)",
                    "required")
        elif out.get("doc_type") != codes.DOC_ID_CARD and not out.get("doc_number") \
                and len(problems.details) == before:
            problem("doc_number", "is required when there is no identity number", "required")
    if not partial:
        pop = out.get("population_type")
        if pop == codes.POP_FOREIGN and out.get("nationality") == "CN":
            problem("nationality", "a person of population type 03 (境外) has a foreign nationality", "mismatch")
        if pop in (codes.POP_HUJI, codes.POP_FLOATING) and "hukou_division" in out and not out["hukou_division"] \
                and info is None and blank(data.get("identity_number")):
            problem("hukou_division", "is required for population types 01 and 02", "required")
        if pop in (codes.POP_HUJI, codes.POP_FLOATING) and not out.get("hukou_division") and info is not None:
            out["hukou_division"] = info.address_code
        if out.get("sex") == "":
            out["sex"] = "0"
    if report is not None and len(problems.details) > before:
        return None
    return out


def _doc_number(value) -> str:
    if blank(value):
        return ""
    raw = str(value).strip().upper()
    if not _DOC_NUMBER.match(raw):
        raise FieldError("doc_number", "3-32 letters, digits or '-'", code="invalid")
    return raw


def _nationality(value) -> str:
    if blank(value):
        return "CN"
    raw = str(value).strip().upper()
    if len(raw) != 2 or not raw.isalpha() or not raw.isascii():
        raise FieldError("nationality", "%(value)s is not a GB/T 2659 alpha-2 code", code="unknown_code",
                         params={"value": repr(raw)})
    return raw


def household_separated(population_type: str, hukou_division: str, grid_code: str) -> bool:
    """人户分离: a 户籍 resident whose hukou place is not where they live. A 12-digit hukou code is
    compared with the community, a 6-digit one with the county."""
    if population_type != codes.POP_HUJI or not hukou_division or not grid_code:
        return False
    n = 12 if len(hukou_division) == 12 else 6
    return hukou_division[:n] != grid_code[:n]
