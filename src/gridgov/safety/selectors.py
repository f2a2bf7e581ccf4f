"""Every read of the public-safety app. First argument: the acting user; scoping always applies
(incidents on ``grid_code``, warnings on ``area_code``, aggregates on the user's prefixes)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import shapely
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability, scope_q, scoped, user_prefixes
from gridgov.core.errors import FieldError, Forbidden, NotFound
from gridgov.geo import selectors as geo_selectors
from gridgov.geo.models import boundary_wkb
from gridgov.safety import detect
from gridgov.safety.models import Alert, AlertStatus, Category, Hotspot, Incident, Origin, SafetyRun
from gridgov.safety.services import (
    HISTORY_WEEKS,
    METHOD_NAMES,
    _detect_latest,
    _latest_complete_week,
    data_start,
    safety_config,
    week_of,
    weekly_counts,
)

VIEW = "safety.view"
#: detection methods as a person reads them (the code stays in small type beside)
METHOD_LABELS = {
    "farrington": gettext_lazy("Improved Farrington (Noufaily 2013)"),
    "ewma": gettext_lazy("Exponentially weighted moving average (CDC ESSENCE)"),
    "c1": gettext_lazy("EARS C1"), "c2": gettext_lazy("EARS C2"), "c3": gettext_lazy("EARS C3"),
}
LEVEL_COLOURS = {0: "#d9dee4", 1: "#1f6fd1", 2: "#f2c200", 3: "#f07c00", 4: "#d7191c", -1: "#eeeeee"}


def prefixes(user: User) -> list[str]:
    require_capability(user, VIEW)
    return user_prefixes(user, VIEW)


def incidents(user: User, *, category: str | None = None, origin: str | None = None, area: str | None = None,
              since: date | None = None, until: date | None = None) -> QuerySet[Incident]:
    qs = scoped(Incident.objects.select_related("category"), user, field="grid_code", capability=VIEW)
    if category:
        qs = qs.filter(category__code=category)
    if origin:
        if origin not in Origin.values:
            raise FieldError("origin", "expected reported or discovered", code="choice")
        qs = qs.filter(origin=origin)
    if area:
        qs = qs.filter(grid_code__startswith=area)
    if since:
        qs = qs.filter(occurred_at__date__gte=since)
    if until:
        qs = qs.filter(occurred_at__date__lte=until)
    return qs.order_by("-occurred_at", "-id")


def incident_detail(user: User, pk: int) -> Incident:
    obj = incidents(user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("incident not found")
    return obj


def categories(user: User) -> list[Category]:
    prefixes(user)
    return list(Category.objects.filter(active=True).order_by("code"))


def alerts(user: User, *, status: str | None = None, week: date | None = None, min_level: int | None = None,
           area: str | None = None, area_level: int | None = None, category: str | None = None) -> QuerySet[Alert]:
    qs = scoped(Alert.objects.select_related("category"), user, field="area_code", capability=VIEW)
    if status:
        if status == "active":
            qs = qs.exclude(status=AlertStatus.CLOSED)
        elif status in AlertStatus.values:
            qs = qs.filter(status=status)
        else:
            raise FieldError("status", "expected active, open, acknowledged, responding or closed", code="choice")
    if week:
        qs = qs.filter(week_start=week_of(week))
    if min_level:
        qs = qs.filter(level__gte=min_level)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if area_level:
        qs = qs.filter(area_level=area_level)
    if category:
        qs = qs.filter(category__code=category)
    return qs.order_by("-week_start", "-level", "-score", "area_code")


def alert_detail(user: User, pk: int) -> Alert:
    obj = alerts(user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("warning not found")
    return obj


def default_week(today: date | None = None) -> date:
    """The week the situation page, the briefing and the trend chart show unless asked for another:
    the last complete week (Monday to Sunday, ended before ``today``, local time), whether or not
    it has warnings."""
    return _latest_complete_week(today)


def latest_week(user: User) -> date | None:
    """The latest week with warnings or incidents visible to the user (not a default for pages:
    see ``default_week``)."""
    qs = alerts(user).order_by("-week_start").values_list("week_start", flat=True).first()
    if qs:
        return qs
    return incidents(user).order_by("-week_start").values_list("week_start", flat=True).first()


def area_names(user: User, codes: list[str]) -> dict[str, str]:
    """Names of divisions (by significant code) and grids for display; unknown codes map to ''."""
    names: dict[str, str] = {}
    try:
        names.update(geo_selectors.divisions_visible(user).filter(prefix__in=codes).values_list("prefix", "name"))
        names.update(geo_selectors.grids_visible(user).filter(code__in=codes).values_list("code", "name"))
    except Exception:  # no geo.view: names are cosmetic
        pass
    return names


#: how many areas the trend page's picker lists at most (districts first, then streets, communities)
AREA_OPTIONS_MAX = 3000


def area_options(user: User) -> list[dict]:
    """Divisions in the user's safety jurisdiction for the trend page's picker: ``code``, ``name``
    and ``level`` (6 district, 9 street, 12 community), broadest first."""
    user_pref = prefixes(user)
    try:
        rows = (geo_selectors.divisions_visible(user).filter(scope_q(user_pref, "prefix"), level__in=(6, 9, 12))
                .order_by("level", "prefix").values_list("prefix", "name", "level")[:AREA_OPTIONS_MAX])
        return [{"code": c, "name": n, "level": lv} for c, n, lv in rows]
    except Forbidden:  # no geo.view: the picker takes codes only
        return []


def _area_exists(user: User, code: str) -> bool:
    try:
        if len(code) == 15:
            return geo_selectors.grids_visible(user).filter(code=code).exists()
        return geo_selectors.divisions_visible(user).filter(prefix=code).exists()
    except Forbidden:  # no geo.view: the code cannot be checked, the scope check stands
        return True


def resolve_area(user: User, text: str) -> str:
    """The area code the trend page was asked for: a division prefix or grid code (digits), a name
    of a division or grid in the user's jurisdiction, or the picker's "name code" text. Bad input ->
    ``FieldError`` (the page answers 400); a code outside the jurisdiction or unknown ->
    ``NotFound`` (404, as absent)."""
    text = " ".join((text or "").split())
    if not text:
        raise FieldError("area", _("Choose an area."), code="required")
    if len(text) > 80:
        raise FieldError("area", _("The area is too long: give a name or a code."), code="invalid")
    last = text.rsplit(" ", 1)[-1]
    if last.isdigit():
        code = last
        if len(code) not in (2, 4, 6, 9, 12, 15):
            raise FieldError("area", _("An area code has 6 (district), 9 (street), 12 (community) or 15 (grid) "
                                       "digits; %(code)s has %(n)s.") % {"code": code, "n": len(code)}, code="invalid")
        prefixes(user)
        if not code_in_scope(user, code, capability=VIEW) or not _area_exists(user, code):
            raise NotFound("area not found")
        return code
    user_pref = prefixes(user)
    try:
        matches = list(geo_selectors.divisions_visible(user).filter(scope_q(user_pref, "prefix"), name=text)
                       .values_list("prefix", flat=True)[:5])
        if len(matches) < 2:
            matches += list(geo_selectors.grids_visible(user).filter(scope_q(user_pref, "code"), name=text)
                            .values_list("code", flat=True)[:5])
    except Forbidden:  # no geo.view: names cannot be looked up
        matches = []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise FieldError("area", _("No area named “%(name)s” in your jurisdiction: choose one from the list.")
                         % {"name": text}, code="unknown")
    raise FieldError("area", _("Several areas are named “%(name)s”: choose one from the list (the code tells "
                               "them apart).") % {"name": text}, code="ambiguous")


def situation_geojson(user: User, *, week: date, area_level: int = 12) -> str:
    """Areas of one level within the user's jurisdiction, each coloured by the highest level of the
    week's warnings (any category) on the area itself, on an area containing it (a street-level
    warning colours every community and grid of its street) or on an area inside it (a grid's
    warning colours its community); GeoJSON. Properties: ``level`` (that highest level),
    ``own_level`` and ``warnings`` (the area's own warnings), ``via`` (the code of the area whose
    warning gives ``level`` when it is not the area itself, else null)."""
    if area_level not in (6, 9, 12, 15):
        raise FieldError("level", "expected 6, 9, 12 or 15")
    week = week_of(week)
    user_pref = prefixes(user)
    if area_level == 15:
        grids = geo_selectors.grids_visible(user).filter(scope_q(user_pref, "code"), boundary__isnull=False)
        rows = list(grids.values_list("code", "name", "boundary"))
    else:
        divisions = geo_selectors.divisions_visible(user).filter(scope_q(user_pref, "prefix"), level=area_level,
                                                                 boundary__isnull=False)
        rows = list(divisions.values_list("prefix", "name", "boundary"))
    # highest level and count per warned area of any level (a handful of rows a week)
    warned: dict[str, tuple[int, int]] = {}
    for code, level_, n in (alerts(user, week=week, min_level=1).order_by().values("area_code")
                            .annotate(n=Count("id"), top=Max("level")).values_list("area_code", "top", "n")):
        warned[code] = (int(level_), int(n))
    # the strongest warning inside each area of this level: area code -> (level, code of the warned area)
    inside: dict[str, tuple[int, str]] = {}
    for code, (level_, _n) in warned.items():
        if len(code) > area_level:
            key = code[:area_level]
            if level_ > inside.get(key, (0, ""))[0]:
                inside[key] = (level_, code)
    if not rows:
        return json.dumps({"type": "FeatureCollection", "week": week.isoformat(), "features": []})
    geoms = shapely.from_wkb([boundary_wkb(r[2]) for r in rows])
    geoms = shapely.simplify(geoms, 1e-5, preserve_topology=True)
    texts = shapely.to_geojson(geoms)
    features = []
    for (code, name, _boundary), geom in zip(rows, texts, strict=True):
        own_level, n = warned.get(code, (0, 0))
        level, via = own_level, None
        for length in (2, 4, 6, 9, 12):  # the areas containing this one
            if length < len(code) and warned.get(code[:length], (0, 0))[0] > level:
                level, via = warned[code[:length]][0], code[:length]
        if inside.get(code, (0, ""))[0] > level:
            level, via = inside[code]
        props = {"code": code, "name": name, "level": level, "level_name": detect.LEVELS[level],
                 "colour": LEVEL_COLOURS[level], "own_level": own_level, "warnings": n, "via": via}
        features.append('{"type":"Feature","geometry":' + geom + ',"properties":'
                        + json.dumps(props, ensure_ascii=False) + "}")
    return ('{"type":"FeatureCollection","week":"' + week.isoformat() + '","features":['
            + ",".join(features) + "]}")


#: A Gi* flag is reported only where the grid's own count agrees with it: a hotspot where the grid
#: saw at least one incident and more than expected, a coldspot where it saw fewer than expected
#: (a cold cell inside a hot neighbourhood is not a hotspot; docs/safety.md, "Hotspots").
REPORTED_HOTSPOTS = (Q(kind__startswith="hot", observed__gte=1, observed__gt=F("expected"))
                     | Q(kind__startswith="cold", observed__lt=F("expected")))


def hotspots(user: User, *, week: date | None = None) -> QuerySet[Hotspot]:
    """Reported hotspots (``REPORTED_HOTSPOTS``) of ``week`` (default: the latest week with any)."""
    qs = scoped(Hotspot.objects.select_related("category"), user, field="grid_code", capability=VIEW)
    if week is None:
        week = qs.order_by("-week_start").values_list("week_start", flat=True).first()
    return qs.filter(REPORTED_HOTSPOTS, week_start=week).order_by("qvalue", "grid_code") if week else qs.none()


def hotspot_rows(user: User, spots: list[Hotspot]) -> list[dict]:
    """Hotspots for display: the grid's name beside its code and the kind as words."""
    names = area_names(user, list({h.grid_code for h in spots}))
    return [{"hotspot": h, "grid_name": names.get(h.grid_code, ""), "kind_label": str(h.get_kind_display())}
            for h in spots]


def hotspots_geojson(user: User, *, week: date | None = None) -> str:
    items = list(hotspots(user, week=week))
    if not items:
        return '{"type":"FeatureCollection","features":[]}'
    boundaries = dict(geo_selectors.grids_visible(user).filter(code__in={h.grid_code for h in items},
                                                               boundary__isnull=False)
                      .values_list("code", "boundary"))
    features = []
    for row in hotspot_rows(user, items):
        h = row["hotspot"]
        if h.grid_code not in boundaries:
            continue
        centre = shapely.from_wkb(boundary_wkb(boundaries[h.grid_code])).representative_point()
        props = {"grid_code": h.grid_code, "grid_name": row["grid_name"], "category": h.category.code,
                 "category_name": h.category.name, "kind": h.kind, "kind_label": row["kind_label"],
                 "z": round(h.z, 2), "q": h.qvalue, "observed": h.observed,
                 "expected": round(h.expected, 2), "week": h.week_start.isoformat()}
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [centre.x, centre.y]},
                         "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def trend(user: User, *, area: str, category: str, weeks: int = 104, until: date | None = None) -> dict:
    """Weekly counts of one area and category with the baseline's expected count, threshold and
    level for each week (detected on the fly, reported incidents only unless the guard is off)."""
    if not area.isdigit() or len(area) not in (2, 4, 6, 9, 12, 15):
        raise FieldError("area", "a division prefix or a grid code")
    if not code_in_scope(user, area, capability=VIEW):
        prefixes(user)
        raise NotFound("area not found")
    if not Category.objects.filter(code=category).exists():
        raise NotFound("category not found")
    weeks = max(8, min(int(weeks), 260))
    until = week_of(until) if until else default_week()
    config = safety_config()
    first = until - timedelta(weeks=weeks - 1)
    # the same history window as the detection run, so the numbers agree with the warnings
    history = first - timedelta(weeks=HISTORY_WEEKS)
    start = data_start()
    if start is not None and start > history:
        history = min(start, first)
    # through the scope as every read (the check above only tells 404 from an empty series)
    sc = weekly_counts(scoped(Incident.objects.filter(grid_code__startswith=area, category__code=category), user,
                              field="grid_code", capability=VIEW),
                       area_len=len(area), first_week=history, last_week=until,
                       include_discovered=config["include_discovered"])
    n_all = (until - history).days // 7 + 1
    counts = sc.counts[0] if len(sc.areas) else np.zeros(n_all)
    disc = sc.discovered[0] if len(sc.areas) else np.zeros(n_all)
    start_col = n_all - weeks
    cols = list(range(start_col, n_all))
    result, which, levels = _detect_latest(counts[None, :], cols, config["cutoffs"])

    def clean(values):
        return [None if not np.isfinite(v) else round(float(v), 3) for v in values]

    return {
        "area": area, "category": category, "name": area_names(user, [area]).get(area, ""),
        "weeks": [(first + timedelta(weeks=i)).isoformat() for i in range(weeks)],
        "observed": [int(x) for x in np.nan_to_num(counts[start_col:])],
        "discovered": [int(x) for x in disc[start_col:]],
        "expected": clean(result["expected"][0]), "threshold": clean(result["threshold"][0]),
        "level": [int(x) for x in levels[0]],
        "method": [METHOD_NAMES[w] if w >= 0 else None for w in which[0]],
        "method_label": [str(METHOD_LABELS[METHOD_NAMES[w]]) if w >= 0 else None for w in which[0]],
        "include_discovered": config["include_discovered"],
    }


def counts(user: User, *, area: str, level: int, since: date, until: date, period: str = "week",
           category: str | None = None) -> dict:
    """Incident counts in the user's jurisdiction per (area of ``level`` digits, category, week or
    day), reported and discovered separately; aggregated in the database."""
    if level not in (2, 4, 6, 9, 12, 15):
        raise FieldError("level", "expected 2, 4, 6, 9, 12 or 15")
    if until < since or (until - since).days > 3 * 366:
        raise FieldError("until", "the period must run forwards and span at most 3 years")
    qs = incidents(user, category=category, area=area or None)
    if period == "week":
        since, until = week_of(since), week_of(until)
    sc = weekly_counts(qs, area_len=level, first_week=since, last_week=until, include_discovered=False,
                       period=period)
    return {"period": period, "level": level, "periods": [d.isoformat() for d in sc.weeks],
            "series": [{"area": str(a), "category": str(c), "reported": [int(x) for x in sc.counts[i]],
                        "discovered": [int(x) for x in sc.discovered[i]]}
                       for i, (a, c) in enumerate(zip(sc.areas, sc.categories, strict=True))]}


def level_label(level: int) -> str:
    """蓝色（四级） … 红色（一级） (the model's choice labels, translated)."""
    return str(Alert.Level(level).label)


def briefing(user: User, *, week: date | None = None) -> dict:
    """The weekly situation briefing (研判报告) for the user's jurisdiction; default: the last
    complete week. Every count is aggregated in the database over the scoped rows (``order_by()``
    first: the selectors' ordering would otherwise join the GROUP BY and count 1 per row)."""
    user_pref = prefixes(user)
    chosen = week_of(week) if week else None
    week = chosen or default_week()
    prev, year_ago = week - timedelta(weeks=1), week - timedelta(weeks=52)
    base = incidents(user).order_by()

    def by_category(w, origin):
        return dict(base.filter(week_start=w, origin=origin).values_list("category__code")
                    .annotate(n=Count("id")).order_by())

    now, before, last_year = (by_category(w, Origin.REPORTED) for w in (week, prev, year_ago))
    discovered = by_category(week, Origin.DISCOVERED)
    cats = {c.code: c for c in Category.objects.all()}
    rows = []
    for code in sorted(set(now) | set(before) | set(last_year) | set(discovered)):
        rows.append({"code": code, "name": cats[code].name if code in cats else code,
                     "name_en": cats[code].name_en if code in cats else code,
                     "week": now.get(code, 0), "previous": before.get(code, 0),
                     "year_ago": last_year.get(code, 0), "discovered": discovered.get(code, 0)})
    week_qs = alerts(user, week=week)
    per_level = dict(week_qs.order_by().values_list("level").annotate(n=Count("id")).order_by())
    by_level = [{"level": lv, "name": detect.LEVELS[lv], "label": level_label(lv), "n": per_level.get(lv, 0)}
                for lv in range(1, len(detect.LEVELS))]
    week_alerts = list(week_qs.order_by("-level", "-score", "area_code")[:30])
    active = alerts(user, status="active").filter(week_start__lt=week).count()
    spots = list(hotspots(user, week=week)[:20])
    names = area_names(user, list({a.area_code for a in week_alerts} | set(user_pref)))
    return {
        "week": week, "week_end": week + timedelta(days=6), "default_week": chosen is None,
        "jurisdictions": user_pref, "jurisdiction_names": [names.get(p, "") for p in user_pref],
        "total": sum(now.values()), "total_previous": sum(before.values()),
        "total_year_ago": sum(last_year.values()), "total_discovered": sum(discovered.values()),
        "categories": rows, "by_level": by_level,
        "alerts": [{"alert": a, "area_name": names.get(a.area_code, ""), "level_name": detect.LEVELS[a.level],
                    "level_label": level_label(a.level)} for a in week_alerts],
        "alerts_total": sum(per_level.values()), "older_active": active,
        "hotspots": hotspot_rows(user, spots),
        "include_discovered": safety_config()["include_discovered"],
    }


def safety_run_get(user: User, run_id: int) -> SafetyRun:
    """A detection run (a city-wide job: counts only, no personal data) for those who may start one
    (``safety.manage``)."""
    require_capability(user, "safety.manage")
    run = SafetyRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound("detection run not found")
    return run
