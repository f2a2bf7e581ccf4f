"""Every read of the prevention networks. The acting user comes first; rows are scoped by the
``prevention.view`` jurisdiction (accounts/scope.py), always.

The gap table reads *aggregates* of two other apps for the user's grids: counts of incidents
reported by residents and of open warnings (safety) and registered residents (registry). They are
counts per grid, not records, so they are read here under ``prevention.view`` (a grid worker sees
the gap of their grids without the safety capability); no record of those apps is returned.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import shapely
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.accounts.scope import require_capability, scope_q, scoped, user_prefixes
from gridgov.core.errors import NotFound
from gridgov.core.masking import mask_phone
from gridgov.geo.models import Grid, boundary_wkb
from gridgov.geo.selectors import place_names

from . import coverage, venueflow
from .models import (
    Camera,
    CooperationAgreement,
    DefenceActivity,
    DefenceMember,
    DefenceTeam,
    Inspection,
    PatrolLog,
    PatrolUnit,
    Venue,
)
from .patrols import patrol_hours_by_grid, week_bounds

VIEW = "prevention.view"
RISK_WEEKS = 8
WARNING_LABELS = {1: _("blue warning"), 2: _("yellow warning"), 3: _("orange warning"), 4: _("red warning")}
INSPECTION_DAYS = 90


def prefixes(user: User) -> list[str]:
    require_capability(user, VIEW)
    return user_prefixes(user, VIEW)


def default_week(today: dt.date | None = None) -> dt.date:
    """Monday of the last complete week (local time)."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7)


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


# ---------------------------------------------------------------------------------- lists

def _area_q(ps: list[str]) -> Q:
    """Rows whose area lies in the jurisdiction or holds it (a district unit patrols a street)."""
    return scope_q(ps, "area_code") | Q(area_code__in=[p[:n] for p in ps for n in (6, 9, 12) if n < len(p)])


def patrol_units(user: User) -> QuerySet[PatrolUnit]:
    return PatrolUnit.objects.filter(_area_q(prefixes(user)), active=True).order_by("area_code", "code")


def patrol_logs(user: User, *, limit: int = 20) -> list[PatrolLog]:
    return list(PatrolLog.objects.filter(_area_q(prefixes(user))).select_related("unit")
                .order_by("-created_at", "-id")[:limit])


def defence_teams(user: User) -> QuerySet[DefenceTeam]:
    return scoped(DefenceTeam.objects.filter(active=True), user, field="grid_code", capability=VIEW).annotate(
        member_count=Count("members"))


def defence_members(user: User, team_id: int) -> list[dict]:
    """Members of one team with the phone masked (the full number is never shown here)."""
    team = defence_teams(user).filter(pk=team_id).first()
    if team is None:
        raise NotFound("defence team not found", code="not_found")
    return [{"name": m.name, "role": m.role, "phone": mask_phone(m.phone) if m.phone else ""}
            for m in DefenceMember.objects.filter(team=team, active=True)]


def venues(user: User) -> QuerySet[Venue]:
    return scoped(Venue.objects.all(), user, field="grid_code", capability=VIEW)


def inspections_open(user: User) -> QuerySet[Inspection]:
    return scoped(Inspection.objects.select_related("venue"), user, field="grid_code", capability=VIEW).filter(
        state__in=venueflow.OPEN_STATES).order_by("deadline", "id")


def cameras(user: User) -> QuerySet[Camera]:
    return scoped(Camera.objects.all(), user, field="grid_code", capability=VIEW)


def agreements(user: User) -> QuerySet[CooperationAgreement]:
    return CooperationAgreement.objects.prefetch_related("meetings").filter(_area_q(prefixes(user)))


def network_counts(user: User) -> dict[str, int]:
    return {
        "patrol_units": patrol_units(user).count(),
        "defence_teams": defence_teams(user).count(),
        "venues": venues(user).count(),
        "cameras": cameras(user).count(),
        "cameras_faulty": cameras(user).exclude(status=Camera.Status.ONLINE).count(),
        "inspections_open": inspections_open(user).count(),
        "agreements": agreements(user).count(),
    }


# ---------------------------------------------------------------------------------- the gap

def _grid_rows(ps: list[str]) -> list[tuple]:
    return list(Grid.objects.filter(scope_q(ps, "code"), boundary__isnull=False).order_by("code")
                .values_list("code", "boundary", "min_lon", "min_lat", "max_lon", "max_lat"))


#: seconds a cached camera coverage lives (its key changes with every camera or grid write anyway)
CAMERA_CACHE_SECONDS = 24 * 3600


def camera_cache_key(ps: list[str]) -> str | None:
    """The cache key of the camera coverage of the grids under ``ps``: the grid version and the
    camera set's version (both with their random token, so a key never returns after a database
    reset). None when either version is unknown: then nothing is cached."""
    import hashlib

    from gridgov.core.models import SystemState
    from gridgov.geo.locator_store import version_key

    from .services import CAMERA_VERSION_KEY

    grids = version_key()
    cams = SystemState.objects.filter(key=CAMERA_VERSION_KEY).values_list("value", flat=True).first()
    if grids is None or not cams or not cams.get("token"):
        return None
    scope = hashlib.sha1("|".join(sorted(ps)).encode()).hexdigest()[:16]
    return f"prevention:camshare:{grids}:{int(cams.get('version', 0))}-{cams['token']}:{scope}"


def _camera_shares(grid_rows, ps: list[str]) -> dict[str, float]:
    """Camera coverage share per grid, from Django's cache when the grids and cameras are unchanged
    since it was computed (the costliest input of the gap: ~1 s for 1,000 grids)."""
    from django.core.cache import cache

    key = camera_cache_key(ps)
    if key is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    shares = _camera_shares_computed(grid_rows, ps)
    if key is not None:
        cache.set(key, shares, CAMERA_CACHE_SECONDS)
    return shares


def _camera_shares_computed(grid_rows, ps: list[str]) -> dict[str, float]:
    cams = list(Camera.objects.filter(scope_q(ps, "grid_code"), status=Camera.Status.ONLINE)
                .values_list("lon", "lat", "radius_m", "heading", "angle"))
    if not cams or not grid_rows:
        return {}
    return coverage.coverage_shares([r[0] for r in grid_rows],
                                    list(shapely.from_wkb([boundary_wkb(r[1]) for r in grid_rows])),
                                    [coverage.CameraView(*row) for row in cams])


def gap_facts(user: User, *, week: dt.date) -> tuple[list[coverage.GridFacts], list]:
    """The inputs of the gap index for every grid in the user's jurisdiction, and the grid rows."""
    from gridgov.registry.models import Person
    from gridgov.safety.models import Alert, AlertStatus, Incident, Origin

    ps = prefixes(user)
    week = week_of(week)
    grid_rows = _grid_rows(ps)
    codes = [r[0] for r in grid_rows]
    first = week - dt.timedelta(weeks=RISK_WEEKS - 1)
    reported = dict(Incident.objects.filter(scope_q(ps, "grid_code"), origin=Origin.REPORTED,
                                            week_start__gte=first, week_start__lte=week)
                    .values_list("grid_code").annotate(n=Count("id")).values_list("grid_code", "n"))
    residents = dict(Person.objects.filter(scope_q(ps, "grid_code"), status=Person.Status.ACTIVE)
                     .values_list("grid_code").annotate(n=Count("id")).values_list("grid_code", "n"))
    # open warnings of the last four weeks on the grid, its community or its street
    levels: dict[str, int] = {}
    ancestors = {c[:n] for c in codes for n in (9, 12)} | set(codes)
    for area, level in (Alert.objects.filter(area_code__in=ancestors, week_start__gt=week - dt.timedelta(weeks=4),
                                             week_start__lte=week).exclude(status=AlertStatus.CLOSED)
                        .values_list("area_code").annotate(m=Max("level")).values_list("area_code", "m")):
        levels[area] = max(levels.get(area, 0), int(level))
    patrol: dict[str, float] = defaultdict(float)
    for p in ps:
        for code, hours in patrol_hours_by_grid(prefix=p, week_start=week).items():
            patrol[code] += hours
    start, end = week_bounds(week)
    defence = dict(DefenceActivity.objects.filter(scope_q(ps, "grid_code"), started_at__gte=start, started_at__lt=end)
                   .values_list("grid_code").annotate(h=Sum(F("hours") * F("people")))
                   .values_list("grid_code", "h"))
    venue_n = dict(Venue.objects.filter(scope_q(ps, "grid_code")).values_list("grid_code")
                   .annotate(n=Count("id")).values_list("grid_code", "n"))
    week_end = week + dt.timedelta(days=6)
    inspected = dict(Inspection.objects.filter(scope_q(ps, "grid_code"),
                                               inspected_on__gt=week_end - dt.timedelta(days=INSPECTION_DAYS),
                                               inspected_on__lte=week_end)
                     .values_list("grid_code").annotate(n=Count("venue", distinct=True))
                     .values_list("grid_code", "n"))
    shares = _camera_shares(grid_rows, ps)
    facts = [coverage.GridFacts(
        code=c, reported=int(reported.get(c, 0)), residents=int(residents.get(c, 0)), weeks=RISK_WEEKS,
        warning_level=max(levels.get(c, 0), levels.get(c[:12], 0), levels.get(c[:9], 0)),
        patrol_hours=float(patrol.get(c, 0.0)), defence_hours=float(defence.get(c) or 0.0),
        camera_share=float(shares.get(c, 0.0)), venues=int(venue_n.get(c, 0)),
        venues_inspected=int(inspected.get(c, 0))) for c in codes]
    return facts, grid_rows


def gap_table(user: User, *, week: dt.date) -> list[dict]:
    """The ranked gap list: one dict per grid, largest gap first."""
    facts, _ = gap_facts(user, week=week)
    by_code = {f.code: f for f in facts}
    names = place_names([f.code for f in facts] + list({f.code[:12] for f in facts}))
    out = []
    for rank, g in enumerate(coverage.gap_index(facts), start=1):
        f = by_code[g.code]
        out.append({"rank": rank, "code": g.code, "name": names.get(g.code, g.code),
                    "community": names.get(g.code[:12], ""), "gap": round(g.gap, 3), "band": g.band,
                    "risk": round(g.risk, 2), "coverage": round(g.coverage, 3),
                    "reported": f.reported, "residents": f.residents, "warning_level": f.warning_level,
                    "warning_label": str(WARNING_LABELS.get(f.warning_level, "")),
                    "patrol_hours": round(f.patrol_hours, 1), "defence_hours": round(f.defence_hours, 1),
                    "camera_share": round(f.camera_share, 3), "venues": f.venues,
                    "venues_inspected": f.venues_inspected})
    return out


def gap_geojson(user: User, *, week: dt.date) -> str:
    """The grids as GeoJSON features coloured by gap band (geometry simplified to ~5 m)."""
    facts, grid_rows = gap_facts(user, week=week)
    gaps = {g.code: g for g in coverage.gap_index(facts)}
    names = place_names([r[0] for r in grid_rows])
    geoms = shapely.simplify(shapely.from_wkb([boundary_wkb(r[1]) for r in grid_rows]), 0.00005)
    features = []
    for (code, *_rest), geom in zip(grid_rows, geoms, strict=True):
        g = gaps[code]
        features.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(geom)),
                         "properties": {"code": code, "name": names.get(code, code), "gap": round(g.gap, 3),
                                        "band": g.band, "risk": round(g.risk, 2),
                                        "coverage": round(g.coverage, 3)}})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def camera_points(user: User) -> list[dict]:
    return [{"code": c.code, "lon": c.lon, "lat": c.lat, "radius": c.radius_m, "status": c.status}
            for c in cameras(user).only("code", "lon", "lat", "radius_m", "status")[:5000]]


# ---------------------------------------------------------------------------------- inspections

#: the deadline clock's colours, as the cases' (cases/workcal.py: green < 80 % <= yellow < 100 % <= red)
CLOCK_COLOURS = ("green", "yellow", "red")


def inspection_clock(ins: Inspection, *, cal, now: dt.datetime) -> tuple[float | None, str]:
    """Share of the rectification time used (working time of the cases' calendar, from the start of
    the inspection day to the end of the deadline day) and its colour. An overdue rectification is
    red; one reported rectified waits for acceptance (no running clock: ``None, ""``)."""
    from gridgov.cases import workcal

    if ins.state == venueflow.OVERDUE:
        return 1.0, "red"
    if ins.state != venueflow.RECTIFYING or ins.deadline is None:
        return None, ""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(ins.inspected_on, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(ins.deadline + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    total = cal.working_seconds(start, end)
    if total <= 0:
        fraction = 1.0 if now >= end else 0.0
    else:
        fraction = cal.working_seconds(start, min(now, end)) / total
        # calendar-dated: overdue only once the deadline day is over (a deadline on a rest day, its
        # working time all spent, is due soon until then)
        fraction = max(fraction, 1.0) if now >= end else min(fraction, 0.99)
    return fraction, workcal.colour(fraction)


def _inspection_row(ins: Inspection, names: dict, *, cal, now: dt.datetime) -> dict:
    fraction, colour = inspection_clock(ins, cal=cal, now=now)
    return {"id": ins.pk, "venue": ins.venue, "grid_code": ins.grid_code,
            "grid_name": names.get(ins.grid_code, ins.grid_code), "inspected_on": ins.inspected_on,
            "deadline": ins.deadline, "state": ins.state, "state_label": ins.get_state_display(),
            "findings": ins.findings, "colour": colour,
            "percent": None if fraction is None else round(fraction * 100), "version": ins.version}


def inspection_rows(user: User, *, state: str = "", colour: str = "", venue_type: str = "", area: str = "",
                    q: str = "", limit: int = 200) -> tuple[list[dict], int]:
    """The open rectifications of the user's jurisdiction, the most urgent first (overdue, then
    running clocks, then those waiting for acceptance; each by deadline), filtered by state,
    deadline colour, venue type, area (a street, community or grid code) and a venue name or code;
    the rows (at most ``limit``) and how many matched."""
    from gridgov.cases.selectors import work_calendar

    qs = inspections_open(user)
    if state in venueflow.OPEN_STATES:
        qs = qs.filter(state=state)
    if venue_type in Venue.Type.values:
        qs = qs.filter(venue__type=venue_type)
    if area.strip().isdigit():
        qs = qs.filter(grid_code__startswith=area.strip())
    if q.strip():
        qs = qs.filter(Q(venue__name__icontains=q.strip()) | Q(venue__code__iexact=q.strip()))
    urgency = Case(When(state=venueflow.OVERDUE, then=Value(0)), When(state=venueflow.RECTIFYING, then=Value(1)),
                   default=Value(2), output_field=IntegerField())
    items = list(qs.order_by(urgency, "deadline", "id")[:5000])
    cal, now = work_calendar(), timezone.now()
    names = place_names(list({i.grid_code for i in items}))
    rows = [_inspection_row(i, names, cal=cal, now=now) for i in items]
    if colour in CLOCK_COLOURS:
        rows = [r for r in rows if r["colour"] == colour]
    return rows[:limit], len(rows)


def inspection_get(user: User, inspection_id: int) -> dict:
    """One inspection of the user's jurisdiction with its clock and its history (the audited steps);
    NotFound when absent or outside the jurisdiction."""
    from gridgov.cases.selectors import work_calendar
    from gridgov.core.models import AuditEvent

    ins = scoped(Inspection.objects.select_related("venue"), user, field="grid_code",
                 capability=VIEW).filter(pk=inspection_id).first()
    if ins is None:
        raise NotFound("inspection not found", code="not_found")
    row = _inspection_row(ins, place_names([ins.grid_code]), cal=work_calendar(), now=timezone.now())
    labels = dict(Inspection._meta.get_field("state").choices or [])
    history = []
    for e in AuditEvent.objects.filter(object_type="inspection", object_id=str(ins.pk)).order_by("at", "id"):
        step = (e.changes or {}).get("state")
        if isinstance(step, list) and len(step) == 2:
            text = f"{labels.get(step[0], step[0])} → {labels.get(step[1], step[1])}"
        else:
            text = str(labels.get(step, step or ""))
        history.append({"at": e.at, "by": e.actor_username, "step": text, "note": e.reason})
    row["history"] = history
    row["actions"] = [a for a in ("report", "accept", "reject") if venueflow.next_state(ins.state, a)]
    return row


def venue_choices(user: User, *, limit: int = 2000) -> list[dict]:
    """Venues of the jurisdiction for the inspection form (code, name, type)."""
    return [{"code": v.code, "name": v.name, "type": v.get_type_display(), "hazard": v.get_hazard_display()}
            for v in venues(user).only("code", "name", "type", "hazard")[:limit]]
