"""Code tables and programme definitions of special-population care (pure: no Django).

Both are versioned data files beside this module: ``data/codes.json`` (GB/T 31000-2015 tables
from ../shared/reference/gbt31000-codes.md, plus a few tables marked as local extensions) and
``data/programmes.json`` (the six programmes: fields, level and closure tables, schedules).
'99' = other, '00' = none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
CONTACT_KINDS = ("report_in", "visit", "phone")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: str
    table: str | None = None
    required: bool = False
    identifying: bool = False
    allowed: tuple[str, ...] | None = None

    @property
    def code_table(self) -> str:
        """The code table of a ``code``/``codes`` field (the data file must name one)."""
        if self.table is None:
            raise ValueError(f"field {self.name!r} of type {self.type!r} names no code table")
        return self.table


@dataclass(frozen=True)
class Programme:
    code: str
    name: str
    name_en: str
    entity: str
    capability: str
    level_table: str
    default_level: str
    closure_table: str
    team_table: str
    fields: dict[str, FieldSpec]
    schedule: dict[str, dict[str, int]]
    handover: bool = False
    investigation: bool = False
    sealable: bool = False
    joint: bool = False
    hide_identity: bool = False
    agencies: dict[str, dict[str, Any]] | None = None
    eligibility: dict[str, Any] | None = None

    @property
    def identifying_fields(self) -> tuple[str, ...]:
        return tuple(n for n, f in self.fields.items() if f.identifying)


@lru_cache(maxsize=1)
def _codes_file() -> dict:
    return json.loads((DATA_DIR / "codes.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _programmes_file() -> dict:
    return json.loads((DATA_DIR / "programmes.json").read_text(encoding="utf-8"))


def version() -> str:
    return f"{_codes_file()['version']}+{_programmes_file()['version']}"


def table(name: str) -> dict[str, str]:
    try:
        return dict(_codes_file()["tables"][name]["codes"])
    except KeyError:
        raise KeyError(f"unknown code table {name!r}") from None


def table_names() -> list[str]:
    return sorted(_codes_file()["tables"])


def retired(name: str) -> dict[str, str]:
    """Codes of ``name`` no longer selectable (old rows keep them and stay readable): code -> why."""
    return dict(_codes_file()["tables"].get(name, {}).get("retired", {}))


def selectable(name: str) -> dict[str, str]:
    """The codes of ``name`` a new record may use (the table minus its retired codes)."""
    gone = retired(name)
    return {k: v for k, v in table(name).items() if k not in gone}


def table_info(name: str) -> dict:
    t = _codes_file()["tables"][name]
    return {"id": name, "name": t["name"], "source": t["source"], "codes": dict(t["codes"]),
            "retired": dict(t.get("retired", {}))}


def label(table_name: str, code: str | None) -> str:
    if not code:
        return ""
    return table(table_name).get(code, code)


@lru_cache(maxsize=1)
def programmes() -> dict[str, Programme]:
    out = {}
    for code, p in _programmes_file()["programmes"].items():
        fields = {n: FieldSpec(name=n, type=f["type"], label=f["label"], table=f.get("table"),
                               required=bool(f.get("required")), identifying=bool(f.get("identifying")),
                               allowed=tuple(f["allowed"]) if f.get("allowed") else None)
                  for n, f in p["fields"].items()}
        out[code] = Programme(
            code=code, name=p["name"], name_en=p["name_en"], entity=p["entity"], capability=p["capability"],
            level_table=p["level_table"], default_level=p["default_level"], closure_table=p["closure_table"],
            team_table=p["team_table"], fields=fields, schedule={k: dict(v) for k, v in p["schedule"].items()},
            handover=bool(p.get("handover")), investigation=bool(p.get("investigation")),
            sealable=bool(p.get("sealable")), joint=bool(p.get("joint")),
            hide_identity=bool(p.get("hide_identity")), agencies=p.get("agencies"),
            eligibility=p.get("eligibility") or {})
    return out


PROGRAMME_CODES: tuple[str, ...] = ("corrections", "resettlement", "rehabilitation", "youth", "street_children",
                                    "mental_health")


def programme(code: str) -> Programme:
    try:
        return programmes()[code]
    except KeyError:
        raise KeyError(f"unknown programme {code!r}") from None


class FieldProblem(ValueError):
    """``message`` is an English template when ``params`` is given (filled in ``str(exc)``), kept for
    translation (the service raises ``FieldError(field, message, params=params)``)."""

    def __init__(self, field: str, message: str, code: str = "invalid", params: dict[str, Any] | None = None):
        super().__init__(f"{field}: {message % params if params is not None else message}")
        self.field, self.message, self.code, self.params = field, message, code, params


def _check_code(field: str, spec: FieldSpec, value: Any, kept: Any = None) -> str:
    """``kept``: the value already stored (a retired code may stay on an old record, not be chosen)."""
    if not isinstance(value, str):
        raise FieldProblem(field, "expected a code (string)")
    valid = table(spec.code_table)
    if value not in valid:
        raise FieldProblem(field, "%(value)s is not a code of %(table)s", "unknown_code",
                           params={"value": repr(value), "table": spec.code_table})
    gone = retired(spec.code_table)
    if value in gone and not (value == kept or (isinstance(kept, list) and value in kept)):
        raise FieldProblem(field, "%(value)s (%(name)s) is no longer in use: %(why)s", "retired_code",
                           params={"value": repr(value), "name": valid[value], "why": gone[value]})
    if spec.allowed is not None and value not in spec.allowed:
        raise FieldProblem(field, "%(value)s is not allowed in this programme (%(allowed)s)", "not_allowed",
                           params={"value": repr(value), "allowed": ", ".join(spec.allowed)})
    return value


def clean_fields(programme_code: str, data: dict[str, Any] | None, *, partial: bool = False,
                 stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``data`` against the programme's field list. Unknown fields are refused. Dates are
    returned as ISO strings (the values are stored as JSON). Raises ``FieldProblem`` (first one).
    ``stored``: the record's current values; a retired code is accepted only where it is kept."""
    prog = programme(programme_code)
    data = dict(data or {})
    stored = stored or {}
    unknown = sorted(set(data) - set(prog.fields))
    if unknown:
        raise FieldProblem(f"fields.{unknown[0]}", "not a field of this programme", "unknown_field")
    out: dict[str, Any] = {}
    for name, spec in prog.fields.items():
        key = f"fields.{name}"
        if name not in data or data[name] in (None, "", []):
            if spec.required and not partial:
                raise FieldProblem(key, "required", "required")
            continue
        value = data[name]
        if spec.type == "code":
            out[name] = _check_code(key, spec, value, stored.get(name))
        elif spec.type == "codes":
            if not isinstance(value, list):
                raise FieldProblem(key, "expected a list of codes")
            out[name] = sorted({_check_code(key, spec, v, stored.get(name)) for v in value})
        elif spec.type == "text":
            if not isinstance(value, str) or len(value) > 200:
                raise FieldProblem(key, "expected text of at most 200 characters")
            out[name] = value.strip()
        elif spec.type == "bool":
            if not isinstance(value, bool):
                raise FieldProblem(key, "expected true or false")
            out[name] = value
        elif spec.type == "int":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10000:
                raise FieldProblem(key, "expected a whole number 0-10000")
            out[name] = value
        elif spec.type == "date":
            try:
                out[name] = (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat()
            except ValueError:
                raise FieldProblem(key, "expected a date YYYY-MM-DD") from None
        else:  # pragma: no cover - data file error
            raise ValueError(f"unknown field type {spec.type}")
    return out


def field_rows(programme_code: str, values: dict[str, Any], *, hide_identifying: bool = False) -> list[dict]:
    """Display rows (label, value, value label) of the programme's fields, in data-file order."""
    prog = programme(programme_code)
    rows = []
    for name, spec in prog.fields.items():
        if hide_identifying and spec.identifying:
            continue
        if name not in values:
            continue
        value = values[name]
        if spec.type == "code":
            shown = label(spec.code_table, value)
        elif spec.type == "codes":
            shown = "、".join(label(spec.code_table, v) for v in value)
        elif spec.type == "bool":
            shown = "是" if value else "否"
        else:
            shown = str(value)
        rows.append({"name": name, "label": spec.label, "value": value, "display": shown})
    return rows


@dataclass(frozen=True)
class Ineligible:
    """One eligibility rule a prospective enrolment breaks: ``rule`` is min_age, max_age,
    no_birth_date or since_field; ``limit`` the rule's bound; ``actual`` the person's value."""
    rule: str
    limit: int | None = None
    actual: int | None = None
    field: str = ""
    code: str = ""
    low: int | None = None   # the age bounds in force (for the message)
    high: int | None = None


def _years_between(earlier: date, later: date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def eligibility_check(programme_code: str, *, birth: date | None, on: date, fields: dict[str, Any]) -> list[Ineligible]:
    """The programme's eligibility rules (data/programmes.json ``eligibility``) that a person born
    ``birth``, enrolled ``on`` with ``fields`` breaks; empty when eligible. Ages are in full years on
    ``on`` (6-25 means from the 6th birthday to the day before the 26th)."""
    rules = programme(programme_code).eligibility or {}
    bounds = {"min_age": rules.get("min_age"), "max_age": rules.get("max_age")}
    field_of_bound = {"min_age": "", "max_age": ""}
    for fname, by_code in (rules.get("by_field") or {}).items():
        value = fields.get(fname)
        for code, extra in by_code.items():
            if value == code or (isinstance(value, list) and code in value):
                for k in ("min_age", "max_age"):
                    if k in extra:
                        bounds[k] = extra[k]
                        field_of_bound[k] = f"{fname}={code}"
    out: list[Ineligible] = []
    if bounds["min_age"] is not None or bounds["max_age"] is not None:
        if birth is None:
            out.append(Ineligible("no_birth_date"))
        else:
            age = _years_between(birth, on)
            low, high = bounds["min_age"], bounds["max_age"]
            if low is not None and age < low:
                out.append(Ineligible("min_age", low, age, code=field_of_bound["min_age"], low=low, high=high))
            if high is not None and age > high:
                out.append(Ineligible("max_age", high, age, code=field_of_bound["max_age"], low=low, high=high))
    since = rules.get("since_field")
    if since and fields.get(since["field"]):
        then = date.fromisoformat(str(fields[since["field"]]))
        years = _years_between(then, on)
        if years >= since["max_years"]:
            out.append(Ineligible("since_field", since["max_years"], years, field=since["field"]))
    return out
