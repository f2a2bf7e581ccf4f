"""The 综治中心 command screen: the tiles, the "needs my action" list, the sub-area table and the map
layers of one area (a city, district or street), read for the acting user.

Every read is scoped: the area must lie in one of the user's ``command.view`` prefixes (else
``NotFound``: outside and absent look the same) and the user must hold ``command.view`` (else
``Forbidden``). Each figure is computed from the same rows the list behind its link shows (see
docs/command.md, "指挥屏 / command screen", for every formula).

Other modules add tiles and action items through two small registries::

    from gridgov.command.screen import ActionItem, Tile, register_action_source, register_tile_source

    @register_action_source
    def overdue_projects(user, area_code: str) -> list[ActionItem]: ...

A source takes the acting user and the area's code prefix and returns its items; a source whose
reads the user may not make raises ``Forbidden`` and is left out of that user's screen.

Speed: the screen is computed once per area, roles and language and kept in Django's cache for
``CACHE_SECONDS`` (the default local-memory cache; benchmarks/bench_command_screen.py measures it
against the naive per-tile ORM queries). The case tiles are one aggregate query (conditional
counts), the sub-area table one grouped query, the map's open cases one grouped query (clusters
by community or grid, never one point per case).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import Avg, Count, Max, Min, Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from gridgov.accounts.scope import has_capability, require_capability, user_prefixes
from gridgov.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from gridgov.accounts.models import User

CAPABILITY = "command.view"
CACHE_SECONDS = 60
#: the levels a command screen exists for (significant code length): province, city, district, street
SCREEN_LEVELS = (2, 4, 6, 9)
CHILD_LEVEL = {2: 4, 4: 6, 6: 9, 9: 12}
#: open cases on the map are clustered by this code length (community for a district, grid for a street)
CLUSTER_LEVEL = {2: 6, 4: 9, 6: 12, 9: 15}
LEVEL_COLOURS = {0: "#d9dee4", 1: "#1f6fd1", 2: "#f2c200", 3: "#f07c00", 4: "#d7191c"}
ACTION_LIMIT = 20


# ----------------------------------------------------------------------------- the registries

@dataclass(frozen=True)
class Tile:
    """One figure on the screen. ``number`` is the raw value (None: suppressed or no data),
    ``value`` the text shown, ``formula`` the hover text, ``url`` the list behind the figure."""

    key: str
    label: str
    value: str
    number: float | int | None
    formula: str
    url: str = ""
    note: str = ""
    colour: str | None = None  # green | yellow | red
    parts: tuple[tuple[str, int, str], ...] = ()  # a breakdown: (label, count, css colour)
    order: int = 100


@dataclass(frozen=True)
class ActionItem:
    kind: str
    title: str
    url: str
    due: date | None
    colour: str | None  # green | yellow | red


TileSource = Callable[["User", str], list[Tile]]
ActionSource = Callable[["User", str], list[ActionItem]]
TILE_SOURCES: list[TileSource] = []
ACTION_SOURCES: list[ActionSource] = []


def register_tile_source(source: TileSource) -> TileSource:
    """Add a tile source (usable as a decorator); registering the same function twice adds it once."""
    if source not in TILE_SOURCES:
        TILE_SOURCES.append(source)
    return source


def register_action_source(source: ActionSource) -> ActionSource:
    if source not in ACTION_SOURCES:
        ACTION_SOURCES.append(source)
    return source


# ----------------------------------------------------------------------------- the area

@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: int
    parent: str | None  # the parent area's code when the user may open its screen
    bbox: tuple[float, float, float, float] | None = None
    crumbs: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (code, name) from the top in scope


def command_prefixes(user: User) -> list[str]:
    require_capability(user, CAPABILITY)
    return user_prefixes(user, CAPABILITY)


def home_area_code(user: User) -> str | None:
    """The area of the user's own screen: the widest ``command.view`` membership at street level
    or above; None when the user has none (another home page)."""
    if not has_capability(user, CAPABILITY):
        return None
    codes = [p for p in user_prefixes(user, CAPABILITY) if len(p) in SCREEN_LEVELS]
    return min(codes, key=lambda c: (len(c), c)) if codes else None


def area_get(user: User, code: str) -> Area:
    """The area ``code`` for the user's screen: 403 without ``command.view``, 404 outside the
    user's prefixes, for an unknown code or a level without a screen."""
    from gridgov.geo.models import Division
    from gridgov.geo.selectors import place_names

    prefixes = command_prefixes(user)
    if not code.isdigit() or len(code) not in SCREEN_LEVELS or not code.startswith(tuple(prefixes)):
        raise NotFound("area not found")
    row = (Division.objects.filter(prefix=code).values("name", "min_lon", "min_lat", "max_lon", "max_lat").first())
    if row is None and len(code) != 2:
        raise NotFound("area not found")
    if row is None or row["min_lon"] is None:  # a province without its own row: the box of its cities
        box = (Division.objects.filter(prefix__startswith=code, level=CHILD_LEVEL[len(code)], min_lon__isnull=False)
               .aggregate(a=Min("min_lon"), b=Min("min_lat"), c=Max("max_lon"), d=Max("max_lat")))
        bbox = (box["a"], box["b"], box["c"], box["d"]) if box["a"] is not None else None
    else:
        bbox = (row["min_lon"], row["min_lat"], row["max_lon"], row["max_lat"])
    ancestors = [code[:n] for n in SCREEN_LEVELS if n < len(code)]
    names = place_names([*ancestors, code])
    in_scope = [a for a in ancestors if a.startswith(tuple(prefixes))]
    crumbs = tuple((a, names.get(a, a)) for a in in_scope)
    return Area(code=code, name=(row["name"] if row else "") or names.get(code, code), level=len(code),
                parent=in_scope[-1] if in_scope else None, bbox=bbox, crumbs=crumbs)


# ----------------------------------------------------------------------------- times

@dataclass(frozen=True)
class Clock:
    now: datetime
    today: date
    day_start: datetime
    week_start: datetime
    month_start: date
    tomorrow: datetime


def clock(now: datetime | None = None) -> Clock:
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now, tz).date()
    monday = today - timedelta(days=today.weekday())
    return Clock(now=now, today=today, day_start=datetime.combine(today, time.min, tz),
                 week_start=datetime.combine(monday, time.min, tz), month_start=today.replace(day=1),
                 tomorrow=datetime.combine(today + timedelta(days=1), time.min, tz))


def _url(name: str, *args, **query) -> str:
    base = reverse(name, args=args)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def _pct(num: int, den: int) -> tuple[float | None, str]:
    if not den:
        return None, "—"
    value = num / den
    return value, f"{value * 100:.1f}%"


# ----------------------------------------------------------------------------- case tiles

def case_figures(user: User, code: str, *, now: datetime | None = None) -> dict[str, int]:
    """The case counts of the area in one aggregate query (conditional counts)."""
    from gridgov.cases import workflow
    from gridgov.cases.selectors import CITIZEN_CHANNELS, cases_visible

    c = clock(now)
    open_states = list(workflow.OPEN_STATES)
    queue = (Q(state__in=[workflow.REPORTED, workflow.ACCEPTED, workflow.REGISTERED])
             | Q(extension_request__isnull=False, state__in=[workflow.DISPATCHED, workflow.HANDLING]))
    cohort = Q(registered_at__gte=datetime.combine(c.month_start, time.min, timezone.get_current_timezone()),
               registered_at__lt=c.tomorrow)
    citizen = Q(channel__in=list(CITIZEN_CHANNELS)) | ~Q(caller_phone="")
    qs = cases_visible(user).filter(grid_code__startswith=code)
    figures = qs.aggregate(
        n_reported_today=Count("id", filter=Q(reported_at__gte=c.day_start)),
        n_reported_week=Count("id", filter=Q(reported_at__gte=c.week_start)),
        n_queue=Count("id", filter=queue),
        n_overdue=Count("id", filter=Q(state__in=open_states, stage_deadline__lt=c.now)),
        n_open=Count("id", filter=Q(state__in=open_states)),
        n_registered=Count("id", filter=cohort),
        n_closed_on_time=Count("id", filter=cohort & Q(state__in=[workflow.CLOSED, workflow.EVALUATED],
                                                         overdue=False)),
        n_evaluated=Count("id", filter=cohort & Q(satisfaction__isnull=False) & citizen),
        n_satisfied=Count("id", filter=cohort & Q(satisfaction__gte=4) & citizen),
    )
    return {k[2:]: v for k, v in figures.items()}


def case_tiles(user: User, code: str) -> list[Tile]:
    from gridgov.cases.selectors import VIEW

    if not has_capability(user, VIEW):
        raise Forbidden("missing capability %(capability)s", code="missing_capability", params={"capability": VIEW})
    c = clock()
    f = case_figures(user, code, now=c.now)
    today, monday = c.today.isoformat(), c.week_start.date().isoformat()
    queue_url = _url("cases:worklist", "queue", grid=code) if has_capability(user, "cases.dispatch") else \
        _url("cases:worklist", "open", grid=code)
    level = len(code) if len(code) in (6, 9, 12, 15) else 6
    score = _url("cases:scorecard", group="region", level=level, start=c.month_start.isoformat(), end=today)
    on_time, on_time_text = _pct(f["closed_on_time"], f["registered"])
    sat, sat_text = _pct(f["satisfied"], f["evaluated"])
    return [
        Tile("cases_today", _("Events reported today"), str(f["reported_today"]), f["reported_today"],
             _("events in the area reported since 00:00 today"),
             _url("cases:worklist", "all", grid=code, since=today), order=10),
        Tile("cases_week", _("Events reported this week"), str(f["reported_week"]), f["reported_week"],
             _("events in the area reported since Monday 00:00"),
             _url("cases:worklist", "all", grid=code, since=monday), order=11),
        Tile("cases_queue", _("In the dispatch queue"), str(f["queue"]), f["queue"],
             _("events reported, accepted or registered but not dispatched, and dispatched events with a pending "
               "extension request"), queue_url, order=12),
        Tile("cases_overdue", _("Overdue events"), str(f["overdue"]), f["overdue"],
             _("open events whose running stage is past its deadline now"),
             _url("cases:worklist", "overdue", grid=code), colour="red" if f["overdue"] else "green", order=13),
        Tile("cases_on_time", _("On-time closure rate (this month)"), on_time_text, on_time,
             _("events registered this month and closed with no stage overdue / events registered this month "
               "(%(num)s / %(den)s)") % {"num": f["closed_on_time"], "den": f["registered"]}, score, order=14),
        Tile("cases_satisfaction", _("Satisfaction (this month)"), sat_text, sat,
             _("callbacks satisfied or very satisfied / callbacks recorded, events registered this month "
               "(%(num)s / %(den)s)") % {"num": f["satisfied"], "den": f["evaluated"]}, score, order=15),
    ]


def escalation_actions(user: User, code: str) -> list[ActionItem]:
    """Open events whose overdue stage was escalated to this very level (``supervising_prefix``)."""
    from gridgov.cases import workflow
    from gridgov.cases.selectors import cases_visible
    from gridgov.cases.views import STAGE_LABELS

    qs = (cases_visible(user).filter(state__in=list(workflow.OPEN_STATES), escalation_level__gt=0,
                                     supervising_prefix=code)
          .select_related("category").order_by("stage_deadline", "id")[:ACTION_LIMIT])
    out = []
    for case in qs:
        stage = STAGE_LABELS.get(case.stage, case.stage)
        title = _("Event #%(id)s %(category)s: %(stage)s overdue, escalated to this level") % {
            "id": case.pk, "category": case.category.name, "stage": stage}
        due = timezone.localtime(case.stage_deadline).date() if case.stage_deadline else None
        out.append(ActionItem("escalation", title, reverse("cases:detail", args=[case.pk]), due, "red"))
    return out


# ----------------------------------------------------------------------------- warnings

def warning_week(now: datetime | None = None) -> date:
    from gridgov.safety.selectors import default_week

    return default_week(clock(now).today)


def warning_tiles(user: User, code: str) -> list[Tile]:
    from gridgov.safety import selectors as safety

    week = warning_week()
    by_level = dict(safety.alerts(user, status="active", week=week, area=code, min_level=1).order_by()
                    .values("level").annotate(n=Count("id")).values_list("level", "n"))
    total = sum(by_level.values())
    names = {1: _("blue"), 2: _("yellow"), 3: _("orange"), 4: _("red")}
    parts = tuple((str(names[lv]), int(by_level.get(lv, 0)), LEVEL_COLOURS[lv]) for lv in (4, 3, 2, 1))
    top = max(by_level) if by_level else 0
    return [Tile("warnings_week", _("Warnings of the week"), str(total), total,
                 _("warnings not closed in the area for the week of %(week)s (the last complete week), by level")
                 % {"week": week.isoformat()},
                 _url("safety:warnings", status="active", week=week.isoformat(), area=code),
                 colour="red" if top >= 3 else ("yellow" if top else "green"), parts=parts, order=20)]


def warning_actions(user: User, code: str) -> list[ActionItem]:
    """Open (not yet acknowledged) orange and red warnings of the week in the area."""
    from gridgov.safety import selectors as safety

    week = warning_week()
    rows = list(safety.alerts(user, status="open", week=week, area=code, min_level=3)[:ACTION_LIMIT])
    names = safety.area_names(user, [a.area_code for a in rows])
    out = []
    for a in rows:
        title = _("%(level)s warning: %(category)s in %(area)s") % {
            "level": safety.level_label(a.level), "category": a.category.name,
            "area": names.get(a.area_code) or a.area_code}
        out.append(ActionItem("warning", title, _url("safety:warnings", status="open", week=week.isoformat(),
                                                     area=a.area_code), week + timedelta(days=6), "red"))
    return out


# ----------------------------------------------------------------------------- care (suppressed counts)

CARE_MEASURES = (("overdue_contacts", gettext_lazy("Care contacts overdue")),
                 ("absent_open", gettext_lazy("脱管 alerts open")), ("missed_open", gettext_lazy("漏管 alerts open")))


def care_figures(user: User, code: str) -> tuple[int, dict[str, int | None]]:
    """(area level of the statistics page, {measure: published count or None when under 5})."""
    from gridgov.care.selectors import area_statistics

    level = len(code) if len(code) in (6, 9, 12) else 6
    stats = area_statistics(user, area_level=level)
    if len(code) == level:
        row = next((r for r in stats["rows"] if r["area"] == code), None)
        return level, {m: (row[m] if row else None) for m, _label in CARE_MEASURES}
    return level, {m: stats["totals"][m] for m, _label in CARE_MEASURES}


def care_tiles(user: User, code: str) -> list[Tile]:
    from gridgov.care.suppress import THRESHOLD

    level, figures = care_figures(user, code)
    url = _url("care:area_statistics", area_level=level)
    formulas = {
        "overdue_contacts": _("contacts of active enrolments past their due date and not recorded"),
        "absent_open": _("open 脱管 alerts (a person missed a report-in after a hand-over)"),
        "missed_open": _("open 漏管 alerts (a transfer not accepted in time)"),
    }
    out = []
    for i, (measure, label) in enumerate(CARE_MEASURES):
        n = figures[measure]
        value = str(n) if n is not None else _("under %(n)s") % {"n": THRESHOLD}
        out.append(Tile(f"care_{measure}", str(label), value, n,
                        formulas[measure] + _("; counts under %(n)s are not published") % {"n": THRESHOLD}, url,
                        note="" if n is not None else _("suppressed"), order=30 + i))
    return out


# ----------------------------------------------------------------------------- registration quality

def quality_tiles(user: User, code: str) -> list[Tile]:
    """登记率 of the newest verification campaign of the area with estimates (quality/selectors.py),
    with its interval and label against the 90 % target; the accuracy rate in the note."""
    from gridgov.quality import selectors as quality_selectors

    found = quality_selectors.latest_estimate(user, code)  # Forbidden without quality.view: left off
    formula = _("registration rate = persons found living in the sampled houses who are in the register / all "
                "persons found (a stratified sample of houses, 95% interval; 达标 when the lower bound is at "
                "least 90%)")
    url = reverse("quality:campaigns")
    if found is None:
        return [Tile("quality", _("Registration rate"), _("no estimate yet"), None, formula, url=url, order=40)]
    labels = {"met": _("target met"), "not_met": _("target not met"), "uncertain": _("uncertain"),
              "undefined": _("no estimate")}
    reg, acc, campaign = found["registration"], found["accuracy"], found["campaign"]

    def pct(v):
        return "—" if v is None else f"{v * 100:.1f}%"

    colour = {"met": "green", "not_met": "red"}.get(reg["status"], "yellow")
    note = _("%(campaign)s: interval %(low)s – %(high)s, %(label)s; accuracy %(acc)s (%(acc_label)s)") % {
        "campaign": campaign.name, "low": pct(reg["ci_low"]), "high": pct(reg["ci_high"]),
        "label": labels[reg["status"]], "acc": pct(acc["estimate"] if acc else None),
        "acc_label": labels[acc["status"]] if acc else labels["undefined"]}
    return [Tile("quality", _("Registration rate"), pct(reg["estimate"]), reg["estimate"], formula,
                 url=reverse("quality:estimates", args=[campaign.pk]), note=note, colour=colour, order=40)]


register_tile_source(case_tiles)
register_tile_source(warning_tiles)
register_tile_source(care_tiles)
register_tile_source(quality_tiles)
register_action_source(escalation_actions)
register_action_source(warning_actions)


# ----------------------------------------------------------------------------- sub-areas

def subareas(user: User, area: Area, *, now: datetime | None = None) -> list[dict]:
    """The areas one level down with their open and overdue events and the week's highest warning
    level; ``url`` is their screen (streets and above)."""
    from gridgov.cases import workflow
    from gridgov.cases.selectors import cases_visible
    from gridgov.geo.models import Division

    c = clock(now)
    child = CHILD_LEVEL[area.level]
    rows = list(Division.objects.filter(prefix__startswith=area.code, level=child).order_by("prefix")
                .values_list("prefix", "name"))
    counts: dict[str, dict] = {}
    if has_capability(user, "cases.view"):
        open_states = list(workflow.OPEN_STATES)
        for key, n_open, n_overdue in (
                cases_visible(user).filter(grid_code__startswith=area.code, state__in=open_states)
                .annotate(k=Substr("grid_code", 1, child)).values("k")
                .annotate(n=Count("id"), o=Count("id", filter=Q(stage_deadline__lt=c.now))).order_by()
                .values_list("k", "n", "o")):
            counts[key] = {"open": n_open, "overdue": n_overdue}
    levels = _warned_levels(user, area.code, child, now=now)
    out = []
    for code, name in rows:
        out.append({"code": code, "name": name, "open": counts.get(code, {}).get("open", 0),
                    "overdue": counts.get(code, {}).get("overdue", 0), "level": levels.get(code, 0),
                    "colour": LEVEL_COLOURS[levels.get(code, 0)], "level_label": _level_label(levels.get(code, 0)),
                    "url": reverse("command:area", args=[code]) if child in SCREEN_LEVELS else ""})
    return out


def _level_label(level: int) -> str:
    if not level:
        return _("no warning")
    from gridgov.safety.selectors import level_label

    return str(level_label(level))


def _warned_levels(user: User, code: str, child: int, *, now: datetime | None = None) -> dict[str, int]:
    """Per child area: the highest level of the week's active warnings on it, inside it or on an
    area containing it (within ``code``)."""
    from gridgov.safety import selectors as safety

    if not has_capability(user, safety.VIEW):
        return {}
    week = warning_week(now)
    rows = (safety.alerts(user, status="active", week=week, area=code[:2], min_level=1).order_by()
            .values("area_code").annotate(top=Max("level")).values_list("area_code", "top"))
    out: dict[str, int] = {}
    above = 0
    for area_code, top in rows:
        if len(area_code) >= child and area_code.startswith(code):
            key = area_code[:child]
            out[key] = max(out.get(key, 0), int(top))
        elif code.startswith(area_code):  # a warning on the area itself or an area containing it
            above = max(above, int(top))
    if above:
        return {"*": above, **out}
    return out


# ----------------------------------------------------------------------------- the screen

def _roles_digest(user: User) -> str:
    parts = sorted(f"{m.role.code}@{m.jurisdiction}" for m in user.active_memberships())
    return hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()[:16]


def cache_key(user: User, code: str, part: str) -> str:
    return f"command:{part}:{code}:{_roles_digest(user)}:{get_language() or ''}"


def _collect(sources, user: User, code: str) -> list:
    out = []
    for source in sources:
        try:
            out.extend(source(user, code))
        except Forbidden:
            continue  # the user may not read this source: it is left off the screen
    return out


def screen(user: User, code: str, *, use_cache: bool = True) -> dict:
    """Everything on the screen but the map: {"area", "tiles", "actions", "subareas", "computed_at"}."""
    area = area_get(user, code)
    key = cache_key(user, code, "screen")
    data = cache.get(key) if use_cache else None
    if data is None:
        tiles = sorted(_collect(TILE_SOURCES, user, code), key=lambda t: t.order)
        actions = sorted(_collect(ACTION_SOURCES, user, code),
                         key=lambda a: ({"red": 0, "yellow": 1, "green": 2}.get(a.colour or "", 3),
                                        a.due or date.max, a.title))
        subs = subareas(user, area)
        above = next((s for s in subs if s["code"] == "*"), None)
        data = {"tiles": tiles, "actions": actions, "subareas": [s for s in subs if s["code"] != "*"],
                "above": above, "computed_at": timezone.now()}
        if use_cache:
            cache.set(key, data, CACHE_SECONDS)
    return {"area": area, **data}


def tile_map(tiles: list[Tile]) -> dict[str, Tile]:
    return {t.key: t for t in tiles}


# ----------------------------------------------------------------------------- the map

def _rounded(v: float) -> float:
    return round(float(v), 5)


def map_layers(user: User, code: str, *, use_cache: bool = True) -> str:
    """The map of the screen as one JSON text: ``subareas`` (polygons of the areas one level down,
    coloured by the week's highest warning level, each with its screen's url), ``cases`` (open
    events clustered by community or grid: count, overdue count, mean position), ``warnings`` (the
    week's active warnings as points at their area's centre, coloured by level) and ``hotspots``
    (the latest reported hotspots: grid centres)."""
    area = area_get(user, code)
    key = cache_key(user, code, "map")
    text = cache.get(key) if use_cache else None
    if text is None:
        text = _map_layers(user, area)
        if use_cache:
            cache.set(key, text, CACHE_SECONDS)
    return text


def _map_layers(user: User, area: Area) -> str:
    import shapely

    from gridgov.geo.models import Division, Grid, boundary_wkb

    child = CHILD_LEVEL[area.level]
    subs = {s["code"]: s for s in subareas(user, area)}
    above = subs.pop("*", None)
    rows = list(Division.objects.filter(prefix__startswith=area.code, level=child, boundary__isnull=False)
                .order_by("prefix").values_list("prefix", "boundary"))
    features = []
    if rows:
        geoms = shapely.from_wkb([boundary_wkb(r[1]) for r in rows])
        span = (area.bbox[2] - area.bbox[0]) if area.bbox else 0.1
        geoms = shapely.set_precision(shapely.simplify(geoms, max(span / 800, 1e-5), preserve_topology=True), 1e-5)
        for (prefix, _b), geom in zip(rows, shapely.to_geojson(geoms), strict=True):
            s = subs.get(prefix, {"name": "", "open": 0, "overdue": 0, "level": 0, "url": ""})
            level = max(s["level"], above["level"] if above else 0)
            props = {"code": prefix, "name": s["name"], "open": s["open"], "overdue": s["overdue"], "level": level,
                     "colour": LEVEL_COLOURS[level], "url": s["url"]}
            features.append('{"type":"Feature","geometry":' + geom + ',"properties":'
                            + json.dumps(props, ensure_ascii=False, separators=(",", ":")) + "}")
    clusters = []
    if has_capability(user, "cases.view"):
        from gridgov.cases import workflow
        from gridgov.cases.selectors import cases_visible

        now = timezone.now()
        size = CLUSTER_LEVEL[area.level]
        for key, n, o, lon, lat in (
                cases_visible(user).filter(grid_code__startswith=area.code, state__in=list(workflow.OPEN_STATES),
                                           lon__isnull=False)
                .annotate(k=Substr("grid_code", 1, size)).values("k")
                .annotate(n=Count("id"), o=Count("id", filter=Q(stage_deadline__lt=now)), x=Avg("lon"), y=Avg("lat"))
                .order_by().values_list("k", "n", "o", "x", "y")):
            clusters.append([_rounded(lon), _rounded(lat), n, o, key])
    warnings: list[list] = []
    spots: list[list] = []
    if has_capability(user, "safety.view"):
        from gridgov.safety import selectors as safety

        week = warning_week()
        warned = list(safety.alerts(user, status="active", week=week, area=area.code, min_level=1).order_by()
                      .values("area_code").annotate(top=Max("level")).values_list("area_code", "top"))
        hot = list(safety.hotspots(user).filter(grid_code__startswith=area.code).order_by()
                   .values_list("grid_code", "kind").distinct())
        grid_codes = {c for c, _top in warned if len(c) == 15} | {c for c, _kind in hot}
        div_codes = {c for c, _top in warned if len(c) < 15}
        centres: dict[str, tuple[float, float]] = {}
        for c, a, b, x, y in Grid.objects.filter(code__in=grid_codes, min_lon__isnull=False).values_list(
                "code", "min_lon", "min_lat", "max_lon", "max_lat"):
            centres[c] = (((a or 0.0) + (x or 0.0)) / 2, ((b or 0.0) + (y or 0.0)) / 2)
        for c, a, b, x, y in Division.objects.filter(prefix__in=div_codes, min_lon__isnull=False).values_list(
                "prefix", "min_lon", "min_lat", "max_lon", "max_lat"):
            centres[c] = (((a or 0.0) + (x or 0.0)) / 2, ((b or 0.0) + (y or 0.0)) / 2)
        for c, top in warned:
            if c in centres:
                warnings.append([_rounded(centres[c][0]), _rounded(centres[c][1]), int(top), c])
        for c, kind in hot:
            if c in centres:
                spots.append([_rounded(centres[c][0]), _rounded(centres[c][1]), kind, c])
    return ('{"area":' + json.dumps(area.code) + ',"bbox":' + json.dumps(area.bbox)
            + ',"subareas":{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
            + ',"cases":' + json.dumps(clusters, separators=(",", ":"))
            + ',"warnings":' + json.dumps(warnings, separators=(",", ":"))
            + ',"level_colours":' + json.dumps(LEVEL_COLOURS, separators=(",", ":"))
            + ',"hotspots":' + json.dumps(spots, separators=(",", ":")) + "}")
