"""Every read of events. First argument: the acting user; scoping is always applied.

Visibility of a case (docs/cases.md, "Scoping"):
  * holders of ``cases.view`` see the cases whose ``grid_code`` starts with one of their prefixes;
  * holders of ``cases.handle`` also see every case that has (or had) a task for a department they
    are a member of (``DepartmentMember``), wherever its grid: the dispatcher who sent it there
    had the jurisdiction, and department membership is the handler's jurisdiction for it.
A user with neither capability gets 403; a case outside both rules is absent (404).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, has_capability, require_capability, scope_q, user_prefixes
from gridgov.cases import indicators, workcal, workflow
from gridgov.cases.models import (
    Attachment,
    CalendarDay,
    CalendarYear,
    Case,
    CaseEvent,
    CaseTask,
    Category,
    Department,
    DepartmentMember,
    Open311Key,
)
from gridgov.core.errors import FieldError, Forbidden, NotFound

VIEW = "cases.view"
WORKLISTS = ("queue", "department", "verify", "close", "evaluate", "mine", "overdue", "supervised", "open", "all")


# ----------------------------------------------------------------------------- calendar

_CALENDAR_TTL = 60.0
_calendar_cache: dict = {}


def work_calendar() -> workcal.WorkCalendar:
    """The working calendar: the holiday package plus the ``CalendarDay`` overrides, and the working
    hours of ``settings.GRIDGOV_CASES_WORKING_HOURS`` (default 09:00-12:00, 13:00-18:00).
    Cached per process for a minute (``calendar_day_set`` clears it; other processes follow
    within the minute)."""
    spec = settings.GRIDGOV_CASES_WORKING_HOURS
    key = repr(spec)
    hit = _calendar_cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < _CALENDAR_TTL:
        return hit[1]
    overrides = dict(CalendarDay.objects.values_list("date", "workday"))
    official = CalendarYear.objects.values_list("year", flat=True)
    cal = workcal.WorkCalendar(overrides, windows=workcal.parse_windows(spec), official_years=official)
    _calendar_cache.clear()
    _calendar_cache[key] = (now, cal)
    return cal


NEXT_YEAR_FROM = (11, 1)  # month, day from which next year's calendar must be known


def provisional_years(today: date | None = None, *, cal: workcal.WorkCalendar | None = None) -> list[int]:
    """The years a centre must be told about: this year when its calendar is provisional (no
    official schedule known), and from 1 November next year when it is."""
    today = today or timezone.localdate()
    cal = cal or work_calendar()
    years = [today.year] if cal.is_provisional(today.year) else []
    if (today.month, today.day) >= NEXT_YEAR_FROM and cal.is_provisional(today.year + 1):
        years.append(today.year + 1)
    return years


def work_calendar_clear() -> None:
    _calendar_cache.clear()
    _category_cache.clear()


@dataclass(frozen=True)
class StageStatus:
    stage: str
    started_at: datetime | None
    deadline: datetime | None
    fraction: float
    colour: str  # green | yellow | red | "" (no running clock)

    def as_dict(self) -> dict:
        return {"stage": self.stage, "started_at": self.started_at, "deadline": self.deadline,
                "percent": round(self.fraction * 100, 1), "colour": self.colour}


def stage_status(case: Case, *, cal: workcal.WorkCalendar | None = None, now: datetime | None = None) -> StageStatus:
    if not case.stage or case.stage_started_at is None:
        return StageStatus("", None, None, 0.0, "")
    cal = cal or work_calendar()
    now = now or timezone.now()
    fraction = cal.fraction(case.stage_started_at, case.stage_limit_seconds, now)
    return StageStatus(case.stage, case.stage_started_at, case.stage_deadline, fraction, workcal.colour(fraction))


# ----------------------------------------------------------------------------- scoping

def department_ids(user: User | None) -> list[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_gridgov_departments", None)
    if cached is None:
        cached = list(DepartmentMember.objects.filter(user=user, department__active=True)
                      .values_list("department_id", flat=True))
        user._gridgov_departments = cached
    return cached


def cases_visible(user: User, *, departments: bool = True) -> QuerySet[Case]:
    """``departments=False``: the grid-prefix rule only (e.g. duplicate suggestions to a reporter)."""
    can_view, can_handle = has_capability(user, VIEW), has_capability(user, "cases.handle")
    if not (can_view or can_handle):
        raise Forbidden("missing capability %(capability)s", code="missing_capability", params={"capability": VIEW})
    q = scope_q(user_prefixes(user, VIEW), "grid_code") if can_view else Q(pk__in=[])
    if can_handle and departments:
        deps = department_ids(user)
        if deps:
            q |= Q(pk__in=CaseTask.objects.filter(department_id__in=deps).values("case_id"))
    return Case.objects.filter(q)


def case_get(user: User, case_id: int) -> Case:
    case = cases_visible(user).select_related("category", "category__parent").filter(pk=case_id).first()
    if case is None:
        raise NotFound("case not found")
    return case


def can_write(user: User, case: Case, capability: str) -> bool:
    return code_in_scope(user, case.grid_code, capability=capability, purpose="write")


def lead_task(case: Case) -> CaseTask | None:
    return (CaseTask.objects.filter(case=case, role=CaseTask.Role.LEAD)
            .exclude(status__in=[CaseTask.Status.RETURNED, CaseTask.Status.CANCELLED])
            .select_related("department").order_by("-id").first())


def allowed_actions(user: User, case: Case) -> list[str]:
    """The actions this user may take on this case now (drives the buttons on the detail page)."""
    out = []
    lead = None
    for action in workflow.actions_from(case.state):
        t = workflow.TRANSITIONS[(case.state, action)]
        if not has_capability(user, t.capability):
            continue
        if t.actor == "department":
            lead = lead or lead_task(case)
            if lead is None or lead.department_id not in department_ids(user):
                continue
        elif not can_write(user, case, t.capability):
            continue
        if action in ("approve_extension", "deny_extension") and not case.extension_request:
            continue
        if action == "request_extension" and case.extension_request:
            continue
        if action in workflow.OWN_REPORT_REFUSED and case.reporter_id is not None and case.reporter_id == user.pk:
            continue
        if action == "evaluate" and not citizen_reported(case):
            continue
        out.append(action)
    return out


# ----------------------------------------------------------------------------- lists

def case_list(user: User, *, worklist: str | None = None, state: str | None = None, grid: str | None = None,
              category: str | None = None, q: str | None = None, since: datetime | None = None) -> QuerySet[Case]:
    """``since``: reported at or after this moment (the command screen's "reported today/this week")."""
    qs = cases_visible(user)
    if worklist:
        if worklist not in WORKLISTS:
            raise FieldError("worklist", "one of %(values)s", params={"values": ", ".join(WORKLISTS)})
        qs = _worklist(user, qs, worklist)
    if state:
        if state not in workflow.STATES:
            raise FieldError("state", "one of %(values)s", params={"values": ", ".join(workflow.STATES)})
        qs = qs.filter(state=state)
    if grid:
        if not grid.isdigit() or len(grid) > 15:
            raise FieldError("grid", "a code prefix of up to 15 digits")
        qs = qs.filter(grid_code__startswith=grid)
    if since is not None:
        qs = qs.filter(reported_at__gte=since)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if q:
        q = q.strip()[:64]
        qs = qs.filter(Q(pk=int(q)) if q.isdigit() else Q(description__icontains=q) | Q(address__icontains=q))
    return qs.select_related("category").order_by("stage_deadline", "-reported_at", "-id") \
        if worklist in ("queue", "department", "verify", "close", "overdue") else \
        qs.select_related("category").order_by("-reported_at", "-id")


def _write_q(user: User, capability: str) -> Q:
    return scope_q(user_prefixes(user, capability, purpose="write"), "grid_code")


def _worklist(user: User, qs: QuerySet[Case], worklist: str) -> QuerySet[Case]:
    if worklist == "queue":  # dispatcher: to accept, register, dispatch; pending extension requests
        require_capability(user, "cases.dispatch")
        return qs.filter(_write_q(user, "cases.dispatch")).filter(
            Q(state__in=[workflow.REPORTED, workflow.ACCEPTED, workflow.REGISTERED])
            | Q(extension_request__isnull=False, state__in=[workflow.DISPATCHED, workflow.HANDLING]))
    if worklist == "department":
        require_capability(user, "cases.handle")
        return qs.filter(pk__in=CaseTask.objects.filter(department_id__in=department_ids(user),
                                                        status=CaseTask.Status.OPEN).values("case_id"),
                         state__in=[workflow.DISPATCHED, workflow.HANDLING])
    if worklist == "verify":
        require_capability(user, "cases.evaluate")
        return qs.filter(_write_q(user, "cases.evaluate"), state=workflow.HANDLED)
    if worklist == "close":
        require_capability(user, "cases.evaluate")
        return qs.filter(_write_q(user, "cases.evaluate"), state=workflow.VERIFIED)
    if worklist == "evaluate":
        require_capability(user, "cases.evaluate")
        return qs.filter(_write_q(user, "cases.evaluate"), state=workflow.CLOSED)
    if worklist == "mine":
        return qs.filter(reporter=user)
    if worklist == "overdue":
        return qs.filter(state__in=workflow.OPEN_STATES, stage_deadline__lt=timezone.now())
    if worklist == "supervised":
        return qs.filter(state__in=workflow.OPEN_STATES).exclude(supervision="")
    if worklist == "open":
        return qs.filter(state__in=workflow.OPEN_STATES)
    return qs


def worklist_counts(user: User) -> dict[str, int]:
    """Counts for the landing page: only the worklists this user's capabilities open."""
    out = {}
    wanted = [("mine", "cases.report"), ("queue", "cases.dispatch"), ("department", "cases.handle"),
              ("verify", "cases.evaluate"), ("close", "cases.evaluate"), ("evaluate", "cases.evaluate"),
              ("overdue", VIEW), ("supervised", VIEW), ("open", VIEW)]
    for name, capability in wanted:
        if has_capability(user, capability):
            out[name] = case_list(user, worklist=name).count()
    return out


def case_timeline(user: User, case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id"))


def case_tasks(case: Case) -> list[CaseTask]:
    return list(CaseTask.objects.filter(case=case).select_related("department").order_by("id"))


def case_attachments(case: Case) -> list[Attachment]:
    return list(Attachment.objects.filter(case=case).order_by("id"))


def attachment_get(user: User, attachment_id: int) -> Attachment:
    att = Attachment.objects.select_related("case").filter(pk=attachment_id).first()
    if att is None or not cases_visible(user).filter(pk=att.case_id).exists():
        raise NotFound("attachment not found")
    return att


# ----------------------------------------------------------------------------- duplicates

def _metres(lon1, lat1, lon2, lat2) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


_DUPLICATE_COLUMNS = ("id", "lon", "lat", "state", "reported_at", "description")
_DUPLICATE_SCAN = 200  # candidate rows read from the box (newest first), then filtered by distance


def _duplicate_box(category: Category, lon: float, lat: float) -> tuple[float, float, float, float]:
    radius = category.duplicate_radius_m
    dlat = radius / 111_000
    dlon = radius / (111_000 * max(0.1, math.cos(math.radians(lat))))
    return lon - dlon, lon + dlon, lat - dlat, lat + dlat


def _duplicate_candidates(user: User, *, category: Category, box, exclude: int | None) -> list[dict]:
    """Open cases of the 小类 in the box that the grid-prefix rule lets ``user`` see, newest first
    (at most ``_DUPLICATE_SCAN``); the caller filters them by distance."""
    min_lon, max_lon, min_lat, max_lat = box
    qs = cases_visible(user, departments=False).filter(
        category=category, state__in=workflow.OPEN_STATES, lon__gte=min_lon, lon__lte=max_lon,
        lat__gte=min_lat, lat__lte=max_lat)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("-reported_at", "-id").values(*_DUPLICATE_COLUMNS)[:_DUPLICATE_SCAN])


def duplicates_near(user: User, *, category: Category, lon: float | None, lat: float | None, exclude: int | None = None,
                    limit: int = 10) -> list[dict]:
    """Open cases of the same 小类 within its duplicate radius, nearest first (visible ones only)."""
    radius = category.duplicate_radius_m
    if not radius or lon is None or lat is None:
        return []
    rows = _duplicate_candidates(user, category=category, box=_duplicate_box(category, lon, lat), exclude=exclude)
    out = []
    for r in rows:
        d = _metres(lon, lat, r["lon"], r["lat"])
        if d <= radius:
            out.append({"id": r["id"], "distance_m": round(d, 1), "state": r["state"],
                        "reported_at": r["reported_at"], "description": r["description"][:80]})
    return sorted(out, key=lambda r: r["distance_m"])[:limit]


# ----------------------------------------------------------------------------- taxonomy, departments

def categories(*, leaves_only: bool = False, public_only: bool = False) -> QuerySet[Category]:
    qs = Category.objects.filter(active=True).select_related("parent")
    if leaves_only:
        qs = qs.filter(parent__isnull=False)
    if public_only:
        qs = qs.filter(public=True, open311_code__isnull=False)
    return qs.order_by("parent__order", "parent__code", "order", "code")


_category_cache: dict = {}


def category_by_code(code: str) -> Category:
    """An active 小类 by code; cached per process for a minute (the taxonomy changes rarely)."""
    now = time.monotonic()
    hit = _category_cache.get(code)
    if hit is not None and now - hit[0] < _CALENDAR_TTL:
        return hit[1]
    cat = Category.objects.filter(code=code, active=True, parent__isnull=False).select_related("parent").first()
    if cat is None:
        raise FieldError("category", "unknown category %(code)s (a 小类 code)", code="unknown",
                         params={"code": repr(code)})
    if len(_category_cache) > 2000:
        _category_cache.clear()
    _category_cache[code] = (now, cat)
    return cat


def departments_for(user: User, *, grid_code: str | None = None) -> QuerySet[Department]:
    """Departments a dispatcher may choose: those serving a prefix of ``grid_code`` (or any
    prefix of the user's jurisdictions)."""
    if not has_capability(user, "cases.handle"):
        require_capability(user, VIEW)
    qs = Department.objects.filter(active=True)
    if grid_code:
        qs = qs.filter(jurisdiction__in=[grid_code[:n] for n in (2, 4, 6, 9, 12, 15)])
    return qs.order_by("jurisdiction", "code")


def suggested_departments(category: Category, grid_code: str) -> list[Department]:
    """For each default department kind of the 小类, the department of that kind serving the case's
    grid with the longest (nearest) jurisdiction prefix. The first is the suggested lead."""
    prefixes = [grid_code[:n] for n in (2, 4, 6, 9, 12, 15)]
    found: dict[str, Department] = {}
    for dep in Department.objects.filter(active=True, kind__in=category.departments or [], jurisdiction__in=prefixes):
        best = found.get(dep.kind)
        if best is None or len(dep.jurisdiction) > len(best.jurisdiction):
            found[dep.kind] = dep
    return [found[k] for k in category.departments or [] if k in found]


def grid_exists(code: str) -> bool:
    """Geography only (no scope): is there a grid with this code? Callers apply their own scope."""
    from gridgov.geo.models import Grid

    return Grid.objects.filter(code=code).exists()


def is_member(user: User, department_id: int) -> bool:
    return department_id in department_ids(user)


# ----------------------------------------------------------------------------- map

def open_cases_geojson(user: User, *, bbox=None, limit: int = 2000) -> dict:
    qs = cases_visible(user).filter(state__in=workflow.OPEN_STATES, lon__isnull=False)
    if bbox:
        minlon, minlat, maxlon, maxlat = bbox
        qs = qs.filter(lon__gte=minlon, lon__lte=maxlon, lat__gte=minlat, lat__lte=maxlat)
    cal, now = work_calendar(), timezone.now()
    features = []
    for case in qs.select_related("category").order_by("-reported_at")[:limit]:
        status = stage_status(case, cal=cal, now=now)
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [case.lon, case.lat]},
                         "properties": {"id": case.pk, "state": case.state, "category": case.category.name,
                                        "colour": status.colour or "grey", "supervision": case.supervision,
                                        "url": f"/cases/{case.pk}/"}})
    return {"type": "FeatureCollection", "features": features}


# ----------------------------------------------------------------------------- evaluation

GROUPS = ("department", "region", "worker")
CITIZEN_CHANNELS = frozenset({Case.Channel.HOTLINE, Case.Channel.OPEN311})


def citizen_reported(case: Case) -> bool:
    """A citizen reported it (hotline, Open311), or a grid worker's report names a caller to call
    back: only then is there someone whose satisfaction a callback (回访) records."""
    return case.channel in CITIZEN_CHANNELS or bool(case.caller_phone)


def _facts_for(case: Case, now: datetime, *, task: CaseTask | None = None) -> indicators.Facts:
    closed = case.state in (workflow.CLOSED, workflow.EVALUATED)
    running_late = (case.state in workflow.OPEN_STATES and case.stage_deadline is not None
                    and case.stage_deadline < now)
    overdue = case.overdue or running_late
    dispatched = case.dispatched_at is not None
    by_citizen = citizen_reported(case)
    returned = task is not None and task.status == CaseTask.Status.RETURNED
    # a lead task the centre took back (改派/撤回: cancelled) is not this department's to handle
    taken_off = task is not None and task.status == CaseTask.Status.CANCELLED
    to_handle = dispatched and not returned and not taken_off
    return indicators.Facts(
        registered=True,
        dispatched=dispatched,
        to_handle=to_handle,
        handled=to_handle and case.handled_at is not None,
        handled_on_time=to_handle and case.handled_at is not None and bool(case.handled_on_time),
        closed=closed,
        closed_on_time=closed and not case.overdue,
        reworked=to_handle and case.handled_at is not None and case.rework_count > 0,
        overdue=overdue,
        accurately_dispatched=dispatched and (not returned if task is not None else case.sendback_count == 0),
        # satisfaction counts only where a citizen gave it (docs/indicators.md)
        evaluated=case.satisfaction is not None and by_citizen,
        satisfied=(case.satisfaction or 0) >= 4 and by_citizen,
    )


def scorecard(user: User, *, group: str, start: datetime, end: datetime, level: int = 9,
              now: datetime | None = None) -> list[dict]:
    """Indicator rows per department, region (grid code prefix of ``level`` digits) or grid worker
    (the reporter) for the cases registered in [start, end) that the user can see."""
    require_capability(user, VIEW)
    if group not in GROUPS:
        raise FieldError("group", "one of %(values)s", params={"values": ", ".join(GROUPS)})
    if level not in (6, 9, 12, 15):
        raise FieldError("level", "one of 6, 9, 12, 15")
    if end <= start:
        raise FieldError("end", "must be after start")
    now = now or timezone.now()
    cases = cases_visible(user).filter(registered_at__gte=start, registered_at__lt=end)
    if group == "department":
        tasks = (CaseTask.objects.filter(case__in=cases, role=CaseTask.Role.LEAD).select_related("case", "department")
                 .order_by("case_id", "id"))
        names = {}
        rows = []
        for t in tasks:
            key = t.department.code
            names[key] = t.department.name
            rows.append((key, _facts_for(t.case, now, task=t)))
        return indicators.grouped(rows, label=lambda k: names.get(k, k))
    if group == "region":
        rows = [(c.grid_code[:level], _facts_for(c, now)) for c in cases]
        return indicators.grouped(rows)
    rows = []
    names = {}
    for c in cases.filter(reporter__isnull=False).select_related("reporter"):
        assert c.reporter is not None  # filtered on reporter__isnull=False
        key = c.reporter.username
        names[key] = c.reporter.display_name or key
        rows.append((key, _facts_for(c, now)))
    return indicators.grouped(rows, label=lambda k: names.get(k, k))


# ----------------------------------------------------------------------------- Open311 (public)

def open311_key_lookup(raw: str) -> Open311Key | None:
    import hashlib

    if not raw or len(raw) > 128:
        return None
    return Open311Key.objects.filter(digest=hashlib.sha256(raw.encode()).hexdigest(), revoked_at__isnull=True).first()


OPEN311_RATE_WINDOW_SECONDS = 3600


def open311_key_retry_after(key: Open311Key, *, now: datetime | None = None) -> int | None:
    """The hourly limit of an api_key: None while the key may submit another case (fewer than
    ``max_per_hour`` of its cases reported in the last hour, or ``max_per_hour`` 0 = unlimited);
    else the seconds until one of them leaves the window (for Retry-After, 1..3600).

    One indexed read (case_open311_key_reported): the key's ``max_per_hour``-th newest case of the
    last hour, which exists exactly when the count has reached the limit; the window frees a place
    when that case is an hour old. Not a lock by itself: ``services.open311_report`` calls it again
    under a lock on the key row, in the transaction that inserts the case."""
    from datetime import timedelta

    limit = key.max_per_hour
    if not limit:
        return None
    now = now or timezone.now()
    window = timedelta(seconds=OPEN311_RATE_WINDOW_SECONDS)
    page = (Case.objects.filter(open311_key=key, reported_at__gt=now - window)
            .order_by("-reported_at").values_list("reported_at", flat=True)[limit - 1:limit])
    nth = next(iter(page), None)
    if nth is None:
        return None
    return min(OPEN311_RATE_WINDOW_SECONDS, max(1, math.ceil((nth + window - now).total_seconds())))


def public_cases() -> QuerySet[Case]:
    """Cases the public may see through Open311: those a citizen submitted through Open311, in
    public 小类 (city management). Cases staff entered (grid worker, hotline, other systems) hold
    what a caller said about their home and stay inside (PIPL), unless the centre marked their 小类
    公开 (``Category.publish_staff_reports``): then they are listed too, coarsened like a citizen's
    request and without their description or photos (open311/views.py). Disputes and
    public-safety hazards never."""
    return Case.objects.filter(category__public=True, category__open311_code__isnull=False).filter(
        Q(channel=Case.Channel.OPEN311) | Q(category__publish_staff_reports=True))


def public_attachments() -> QuerySet[Attachment]:
    """The photos the public may see: those the citizen sent with an Open311 request (no uploader),
    never a staff member's, nor any photo of a case staff entered."""
    return Attachment.objects.filter(uploaded_by__isnull=True, case__channel=Case.Channel.OPEN311)


def grid_names(codes) -> dict[str, str]:
    """Grid code -> grid name (the coarse public address of an Open311 request)."""
    from gridgov.geo.models import Grid

    return dict(Grid.objects.filter(code__in=set(codes)).values_list("code", "name"))


def public_cases_with_relations(qs: QuerySet[Case]) -> QuerySet[Case]:
    """``qs`` with what an Open311 rendering reads: category, tasks, attachments, public events."""
    return qs.select_related("category").prefetch_related(
        Prefetch("tasks", queryset=CaseTask.objects.select_related("department").order_by("id")),
        Prefetch("attachments", queryset=public_attachments().order_by("id")),
        Prefetch("events", queryset=CaseEvent.objects.filter(public=True).order_by("at", "id")))


def case_for_token(token: str) -> Case | None:
    import uuid

    try:
        key = uuid.UUID(token)
    except ValueError:
        return None
    return public_cases().filter(open311_token=key).first()


def public_attachment(token: str) -> Attachment | None:
    return public_attachments().filter(public_token=token, case__in=public_cases()).first()


def grid_code_for_address(text: str) -> str | None:
    """An Open311 address_string: a grid code, or the exact name of one grid."""
    from gridgov.geo.models import Grid

    text = text.strip()
    if text.isdigit() and len(text) == 15:
        return text if grid_exists(text) else None
    codes = list(Grid.objects.filter(name=text).values_list("code", flat=True)[:2])
    return codes[0] if len(codes) == 1 else None


def case_by_client_uuid(key) -> Case | None:
    """The case submitted under an idempotency key (Open311 retries), if any."""
    return Case.objects.filter(client_uuid=key).first()
