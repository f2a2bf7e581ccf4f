"""Reads of the monthly scorecards, responsible officials and supervisory actions.

First argument: the acting user. Reading needs ``command.view`` (403 without) and the area in the
user's jurisdiction (404 outside: a street centre cannot open another street's scorecard).

Computed on demand, cached: a district's table (the district, its streets, its departments) for a
month is computed once from the cases, warnings and care contacts of the district and kept in the
cache (5 minutes for the running month, a day for past months) under a key that holds the
district's weights, so a weight change shows at once. Why not stored by a monthly worker task: the
figures of a month keep changing after it ends (cases registered in it close later, callbacks come
in), weights change the score at any time, and the computation for a district takes well under a
second; a stored copy would be stale and need its own invalidation. The ranking needs every street
of the district, so the table is computed over the whole district (not the user's scope) and the
user is shown only the rows in their jurisdiction (a street sees its own row with its rank "3 / 10").

Sources (reading other apps' models for a system-wide figure; each row is then filtered by scope):
cases via ``cases.selectors._facts_for`` and ``cases.indicators`` (the same facts as the cases
scorecard), warnings (safety.Alert) with their 指派处置 / closure times from the audit trail
(``safety_alert`` TRANSITION rows: the only record of when a warning changed state), care contacts
(care.Contact: counts only, no person), and the hooks of command/hooks.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability, user_prefixes
from gridgov.command import hooks, scorecard
from gridgov.command.models import ResponsibleOfficial, ScorecardWeights, SupervisoryAction
from gridgov.core.errors import FieldError, NotFound

VIEW = "command.view"
SUPERVISE = "command.supervise"
TZ = ZoneInfo("Asia/Shanghai")
CACHE_SECONDS_RUNNING = 300
CACHE_SECONDS_PAST = 86400


# ----------------------------------------------------------------------------- months

def month_of(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def parse_month(text: str | None, *, today: date | None = None) -> date:
    """'2026-11' -> date(2026, 11, 1); empty -> the running month."""
    if not text:
        return month_of(today or timezone.localdate())
    try:
        year, mon = (int(p) for p in text.split("-")[:2])
        return date(year, mon, 1)
    except ValueError as exc:
        raise FieldError("month", "%(value)s is not a month (YYYY-MM)", params={"value": text[:20]}) from exc


def _bounds(month: date) -> tuple[datetime, datetime]:
    return (datetime.combine(month, time.min, tzinfo=TZ), datetime.combine(next_month(month), time.min, tzinfo=TZ))


# ----------------------------------------------------------------------------- weights

def weights_of(district_code: str) -> dict[str, float]:
    row = ScorecardWeights.objects.filter(district_code=district_code[:6]).first()
    out = dict(scorecard.DEFAULT_WEIGHTS)
    if row is not None:
        out.update({k: float(v) for k, v in row.weights.items() if k in out})
    return out


def weights_get(user: User, district_code: str) -> dict[str, float]:
    require_capability(user, VIEW)
    if len(district_code) != 6 or not code_in_scope(user, district_code, capability=VIEW):
        raise NotFound("district not found")
    return weights_of(district_code)


# ----------------------------------------------------------------------------- items (the lists behind the numbers)

@dataclass(frozen=True)
class CaseItem:
    case_id: int
    grid_code: str
    category: str
    registered_at: datetime | None
    state: str
    department: str  # department code (lead task), "" for the area rows
    department_name: str
    counts: dict  # the Facts of the case as booleans


def case_items(prefix: str, month: date, *, now: datetime | None = None) -> list[CaseItem]:
    """The cases registered in ``month`` whose grid code starts with ``prefix``."""
    from gridgov.cases.models import Case
    from gridgov.cases.selectors import _facts_for

    now = now or timezone.now()
    start, end = _bounds(month)
    out = []
    for c in (Case.objects.filter(grid_code__startswith=prefix, registered_at__gte=start, registered_at__lt=end)
              .select_related("category").order_by("registered_at", "id")):
        facts = _facts_for(c, now)
        out.append(CaseItem(c.pk, c.grid_code, c.category.name, c.registered_at, c.state, "", "",
                            {k: getattr(facts, k) for k in ("registered", "closed_on_time", "evaluated", "satisfied")}))
    return out


def task_items(prefix: str, month: date, *, now: datetime | None = None, department: str = "") -> list[CaseItem]:
    """One row per lead task of a department serving under ``prefix`` (only ``department``, when
    given), for cases registered in ``month`` (the cases scorecard's department facts)."""
    from gridgov.cases.models import CaseTask
    from gridgov.cases.selectors import _facts_for

    now = now or timezone.now()
    start, end = _bounds(month)
    out = []
    tasks = CaseTask.objects.filter(role=CaseTask.Role.LEAD, department__jurisdiction__startswith=prefix,
                                    case__registered_at__gte=start, case__registered_at__lt=end)
    if department:
        tasks = tasks.filter(department__code=department)
    for t in (tasks.select_related("case", "case__category", "department").order_by("case__registered_at", "id")):
        facts = _facts_for(t.case, now, task=t)
        out.append(CaseItem(t.case.pk, t.case.grid_code, t.case.category.name, t.case.registered_at, t.case.state,
                            t.department.code, t.department.name,
                            {k: getattr(facts, k) for k in ("to_handle", "handled_on_time", "evaluated", "satisfied")}))
    return out


@dataclass(frozen=True)
class WarningItem:
    alert_id: int
    area_code: str
    category: str
    level: int
    created_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None

    @property
    def answered_at(self) -> datetime | None:
        times = [t for t in (self.assigned_at, self.closed_at) if t is not None]
        return min(times) if times else None

    @property
    def in_time(self) -> bool:
        answered = self.answered_at
        return answered is not None and answered - self.created_at <= timedelta(hours=scorecard.RESPONSE_HOURS)

    @property
    def hours_to_assign(self) -> float | None:
        return None if self.assigned_at is None else (self.assigned_at - self.created_at).total_seconds() / 3600

    @property
    def hours_to_close(self) -> float | None:
        return None if self.closed_at is None else (self.closed_at - self.created_at).total_seconds() / 3600


def warning_items(prefix: str, month: date) -> list[WarningItem]:
    """The warnings raised in ``month`` for areas under ``prefix``, with the time of their first
    指派处置 (assign) and of their closure, read from the audit trail."""
    from gridgov.core.models import AuditAction, AuditEvent
    from gridgov.safety.models import Alert

    start, end = _bounds(month)
    alerts = list(Alert.objects.filter(area_code__startswith=prefix, created_at__gte=start, created_at__lt=end)
                  .select_related("category").order_by("created_at", "id"))
    firsts: dict[tuple[str, str], datetime] = {}
    ids = [str(a.pk) for a in alerts]
    for i in range(0, len(ids), 500):
        for oid, changes, at in (AuditEvent.objects.filter(object_type="safety_alert", action=AuditAction.TRANSITION,
                                                           object_id__in=ids[i:i + 500])
                                 .order_by("at", "id").values_list("object_id", "changes", "at")):
            act = (changes or {}).get("action")
            if act in ("assign", "close"):
                firsts.setdefault((oid, act), at)
    return [WarningItem(a.pk, a.area_code, a.category.name, a.level, a.created_at,
                        firsts.get((str(a.pk), "assign")), firsts.get((str(a.pk), "close"))) for a in alerts]


@dataclass(frozen=True)
class ContactCount:
    community: str
    due: int
    on_time: int


def contact_items(prefix: str, month: date, *, today: date | None = None) -> list[ContactCount]:
    """Care contacts due in ``month`` (up to today for the running month) under ``prefix``, skipped
    ones (with a recorded reason) left out, counted per community: due, and completed by the due
    date. Counts only: no person appears."""
    from gridgov.care.models import Contact

    today = today or timezone.localdate()
    last = min(next_month(month), today + timedelta(days=1))
    by: dict[str, list[int]] = {}
    for grid, status, done_on, due in (Contact.objects.filter(grid_code__startswith=prefix, due_date__gte=month,
                                                              due_date__lt=last)
                                       .exclude(status=Contact.Status.SKIPPED)
                                       .values_list("grid_code", "status", "done_on", "due_date")):
        row = by.setdefault(grid[:12], [0, 0])
        row[0] += 1
        if status == Contact.Status.COMPLETED and done_on is not None and due is not None and done_on <= due:
            row[1] += 1
    return [ContactCount(k, v[0], v[1]) for k, v in sorted(by.items())]


# ----------------------------------------------------------------------------- the table of a district

def _division_names(codes: list[str]) -> dict[str, str]:
    from gridgov.geo.models import Division

    return dict(Division.objects.filter(prefix__in=codes).values_list("prefix", "name"))


def area_name(code: str) -> str:
    """The name of a division (by its significant code), '' when unknown (display only)."""
    return _division_names([code]).get(code, "")


def _streets(district: str) -> list[tuple[str, str]]:
    from gridgov.geo.models import Division

    return list(Division.objects.filter(level=9, prefix__startswith=district).order_by("prefix")
                .values_list("prefix", "name"))


def _departments(district: str) -> list[tuple[str, str, str]]:
    from gridgov.cases.models import Department

    return list(Department.objects.filter(jurisdiction__startswith=district, active=True).order_by("code")
                .values_list("code", "name", "jurisdiction"))


def _measure_row(code: str, name: str, kind: str, measures: dict[str, scorecard.Measure], weights: dict) -> dict:
    return {"code": code, "name": name, "kind": kind,
            "measures": {k: {"numerator": m.numerator, "denominator": m.denominator, "value": m.value}
                         for k, m in measures.items()},
            "score": scorecard.score(measures, weights),
            "shares": scorecard.effective_weights(measures, weights)}


def _area_measures(code: str, month: date, cases: list[CaseItem], warnings: list[WarningItem],
                   contacts: list[ContactCount]) -> dict[str, scorecard.Measure]:
    mine = [c for c in cases if c.grid_code.startswith(code)]
    warn = [w for w in warnings if w.area_code.startswith(code)]
    cont = [c for c in contacts if c.community.startswith(code)]
    end = next_month(month) - timedelta(days=1)
    return {
        "on_time_closure": scorecard.ratio(sum(c.counts["closed_on_time"] for c in mine), len(mine)),
        "satisfaction": scorecard.ratio(sum(c.counts["satisfied"] for c in mine),
                                        sum(c.counts["evaluated"] for c in mine)),
        "warning_response": scorecard.ratio(sum(w.in_time for w in warn), len(warn)),
        "care_contact": scorecard.ratio(sum(c.on_time for c in cont), sum(c.due for c in cont)),
        "registration_quality": scorecard.given(hooks.REGISTRATION_QUALITY(code, month, end)),
        "project_completion": scorecard.given(hooks.PROJECT_COMPLETION(code, month, end)),
    }


def _department_measures(dept: str, month: date, tasks: list[CaseItem]) -> dict[str, scorecard.Measure]:
    mine = [t for t in tasks if t.department == dept]
    end = next_month(month) - timedelta(days=1)
    return {
        "on_time_handling": scorecard.ratio(sum(t.counts["handled_on_time"] for t in mine),
                                            sum(t.counts["to_handle"] for t in mine)),
        "satisfaction": scorecard.ratio(sum(t.counts["satisfied"] for t in mine),
                                        sum(t.counts["evaluated"] for t in mine)),
        "project_completion": scorecard.given(hooks.PROJECT_COMPLETION("dept:" + dept, month, end)),
    }


def compute_district(district: str, month: date, weights: dict[str, float], *, now: datetime | None = None,
                     today: date | None = None) -> dict:
    """The scorecard table of a district for a month (no scoping: callers filter the rows)."""
    now = now or timezone.now()
    cases = case_items(district, month, now=now)
    warnings = warning_items(district, month)
    contacts = contact_items(district, month, today=today)
    tasks = task_items(district, month, now=now)
    names = _division_names([district])
    district_row = _measure_row(district, names.get(district, ""), "district",
                                _area_measures(district, month, cases, warnings, contacts), weights)
    streets = [_measure_row(code, name, "street", _area_measures(code, month, cases, warnings, contacts), weights)
               for code, name in _streets(district)]
    departments = []
    for code, name, jurisdiction in _departments(district):
        row = _measure_row(code, name, "department", _department_measures(code, month, tasks), weights)
        row["jurisdiction"] = jurisdiction
        departments.append(row)
    for rows in (streets, departments):
        ranks = scorecard.competition_rank({r["code"]: r["score"] for r in rows})
        ranked = sum(1 for v in ranks.values() if v is not None)
        for r in rows:
            r["rank"], r["of"] = ranks[r["code"]], ranked
    district_row["rank"], district_row["of"] = None, 0
    hours_assign = [w.hours_to_assign for w in warnings if w.hours_to_assign is not None]
    hours_close = [w.hours_to_close for w in warnings if w.hours_to_close is not None]
    return {"district": district_row, "streets": streets, "departments": departments,
            "warning_hours": {"assign": sum(hours_assign) / len(hours_assign) if hours_assign else None,
                              "close": sum(hours_close) / len(hours_close) if hours_close else None}}


def _cache_key(district: str, month: date, weights: dict) -> str:
    digest = hashlib.sha1(json.dumps(weights, sort_keys=True).encode() + repr(
        (hooks.PROJECT_COMPLETION.registered, hooks.REGISTRATION_QUALITY.registered)).encode()).hexdigest()[:12]
    return f"command:scorecard:{district}:{month:%Y-%m}:{digest}"


def district_table(district: str, month: date) -> dict:
    """``compute_district`` through the cache (see the module docstring for why on demand)."""
    weights = weights_of(district)
    key = _cache_key(district, month, weights)
    hit = cache.get(key)
    if hit is not None:
        return hit
    table = compute_district(district, month, weights)
    running = month >= month_of(timezone.localdate())
    cache.set(key, table, CACHE_SECONDS_RUNNING if running else CACHE_SECONDS_PAST)
    return table


# ----------------------------------------------------------------------------- pages

def indicator_meta(kind: str) -> list[dict]:
    from django.utils.translation import get_language

    zh = (get_language() or "zh-hans").startswith("zh")
    return [{"key": i.key, "name": i.name_zh if zh else i.name_en, "formula": i.formula_zh if zh else i.formula_en,
             "default_weight": i.default_weight} for i in scorecard.INDICATORS if kind in i.applies_to]


def scorecard_areas(user: User) -> list[dict]:
    """Districts and streets whose scorecard the user may open (broadest first)."""
    from gridgov.geo.models import Division

    require_capability(user, VIEW)
    prefixes = user_prefixes(user, VIEW)
    out = []
    for p in prefixes:
        if len(p) in (6, 9):
            out.append(p)
        elif len(p) < 6:
            out.extend(Division.objects.filter(level=6, prefix__startswith=p).order_by("prefix")
                       .values_list("prefix", flat=True))
    names = _division_names(out)
    return [{"code": c, "name": names.get(c, c), "level": len(c)} for c in out]


def _check_area(user: User, area_code: str) -> None:
    require_capability(user, VIEW)
    if len(area_code) not in (6, 9) or not area_code.isdigit() or not code_in_scope(user, area_code, capability=VIEW):
        raise NotFound("area not found")
    from gridgov.geo.models import Division

    if not Division.objects.filter(prefix=area_code).exists():
        raise NotFound("area not found")


def area_scorecard(user: User, area_code: str, month: date) -> dict:
    """The scorecard page of a district or street for ``month``: its row (score, rank, trend), the
    rows below it the user may see (a district's streets), the departments in scope, the
    officials in office and the supervisory actions."""
    _check_area(user, area_code)
    district = area_code[:6]
    table = district_table(district, month)
    before = district_table(district, previous_month(month))
    prev_scores = {r["code"]: r["score"] for r in [before["district"], *before["streets"], *before["departments"]]}

    def with_trend(row: dict) -> dict:
        return {**row, "trend": scorecard.trend(row["score"], prev_scores.get(row["code"])),
                "previous": prev_scores.get(row["code"])}

    if len(area_code) == 6:
        own = with_trend(table["district"])
        children = [with_trend(r) for r in table["streets"]]
    else:
        found = [r for r in table["streets"] if r["code"] == area_code]
        if not found:
            raise NotFound("area not found")
        own = with_trend(found[0])
        children = []
    departments = [with_trend(r) for r in table["departments"] if r["jurisdiction"].startswith(area_code)]
    return {"area": own, "children": children, "departments": departments, "month": month,
            "previous_month": previous_month(month), "next_month": next_month(month),
            "area_indicators": indicator_meta("area"), "department_indicators": indicator_meta("department"),
            "weights": weights_of(district), "default_weights": dict(scorecard.DEFAULT_WEIGHTS),
            "warning_hours": table["warning_hours"] if len(area_code) == 6 else None,
            "officials": officials(user, area_code), "actions": actions_for_area(user, area_code)}


def drilldown(user: User, area_code: str, month: date, key: str, *, department: str = "") -> dict:
    """The list behind one number of an area's (or one of its departments') scorecard."""
    _check_area(user, area_code)
    if key not in scorecard.BY_KEY:
        raise NotFound("indicator not found")
    if department:
        from gridgov.cases.models import Department

        dept = Department.objects.filter(code=department, jurisdiction__startswith=area_code[:6]).first()
        if dept is None or not dept.jurisdiction.startswith(area_code):
            raise NotFound("department not found")
        items = task_items(area_code[:6], month, department=department)
        return {"kind": "tasks", "key": key, "items": items, "department": dept}
    if key in ("on_time_closure", "satisfaction"):
        return {"kind": "cases", "key": key, "items": case_items(area_code, month)}
    if key == "warning_response":
        return {"kind": "warnings", "key": key, "items": warning_items(area_code, month)}
    if key == "care_contact":
        counts = contact_items(area_code, month)
        names = _division_names([c.community for c in counts])
        return {"kind": "contacts", "key": key,
                "items": [{"item": c, "name": names.get(c.community, "")} for c in counts]}
    return {"kind": "hook", "key": key, "items": []}


# ----------------------------------------------------------------------------- officials and actions

def officials(user: User, area_code: str, *, on: date | None = None) -> list[ResponsibleOfficial]:
    """Officials of the area (and, for a district, of its streets) whose term covers ``on`` (today)."""
    require_capability(user, VIEW)
    if not code_in_scope(user, area_code, capability=VIEW):
        raise NotFound("area not found")
    on = on or timezone.localdate()
    qs = ResponsibleOfficial.objects.filter(area_code__startswith=area_code, term_start__lte=on)
    return list(qs.exclude(term_end__lt=on).order_by("area_code", "post", "-term_start"))


def actions_for_area(user: User, area_code: str, *, include_closed: bool = True) -> list[SupervisoryAction]:
    require_capability(user, VIEW)
    if not code_in_scope(user, area_code, capability=VIEW):
        raise NotFound("area not found")
    qs = SupervisoryAction.objects.filter(area_code__startswith=area_code).select_related("department")
    if not include_closed:
        qs = qs.filter(status=SupervisoryAction.Status.OPEN)
    return list(qs.order_by("status", "deadline", "id"))


def action_get(user: User, action_id: int) -> SupervisoryAction:
    require_capability(user, VIEW)
    obj = SupervisoryAction.objects.filter(pk=action_id).select_related("department").first()
    if obj is None or not code_in_scope(user, obj.area_code, capability=VIEW):
        raise NotFound("supervisory action not found")
    return obj


def department_options(user: User, area_code: str) -> list[tuple[str, str]]:
    from gridgov.cases.models import Department

    return list(Department.objects.filter(jurisdiction__startswith=area_code, active=True).order_by("code")
                .values_list("code", "name"))


def export_record(user: User, area_code: str, month: date, fmt: str) -> None:
    """Audit an export of a scorecard (EXPORT row; the file holds aggregates only)."""
    from gridgov.core.audit import audit_write
    from gridgov.core.models import AuditAction

    _check_area(user, area_code)
    audit_write(AuditAction.EXPORT, actor=user, object_type="command_scorecard", object_id=f"{area_code}:{month:%Y-%m}",
                jurisdiction=area_code, changes={"format": fmt})
