"""Patrol hours per grid and week, from the patrol logs (the exposure of the street-patrol network).

Rule
----
The week runs from Monday 00:00 to the next Monday 00:00 in local time (Asia/Shanghai). A log
counts with the part of its duration inside the week (a night patrol over Sunday midnight is
split between the weeks). Its hours are spread over grids:

* with track points: in proportion to the points each grid holds (points located with geo's
  locator; points outside every grid are dropped);
* otherwise (or when no track point falls in a grid): evenly over the grids visited.

Only grids whose code starts with ``prefix`` are returned. A log with neither track nor grids
adds nothing (it cannot be placed).

This is a read of data the caller is already allowed to see; callers from a request go through
``selectors.patrol_hours`` which checks the capability and the jurisdiction first.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from gridgov.geo.selectors import locate_codes

from .models import PatrolLog

__all__ = ["patrol_hours_by_grid", "split_log_hours", "week_bounds"]


def week_bounds(week_start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware datetimes of Monday 00:00 local of ``week_start``'s week and the Monday after."""
    monday = week_start - dt.timedelta(days=week_start.weekday())
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(monday, dt.time(0, 0), tzinfo=tz)
    return start, start + dt.timedelta(days=7)


def _ancestor_prefixes(prefix: str) -> list[str]:
    """The shorter significant codes above ``prefix`` (for units whose area holds the prefix)."""
    return [prefix[:n] for n in (2, 4, 6, 9, 12) if n < len(prefix)]


def split_log_hours(hours: float, grids_visited: list[str], track_codes: list[str | None]) -> dict[str, float]:
    """Pure: spread ``hours`` over grids by track points (located codes) or else the visited list."""
    located = Counter(c for c in track_codes if c)
    total = sum(located.values())
    if total:
        return {code: hours * n / total for code, n in located.items()}
    visited = list(dict.fromkeys(g for g in grids_visited if g))
    if not visited:
        return {}
    return {code: hours / len(visited) for code in visited}


def patrol_hours_by_grid(*, prefix: str, week_start: dt.date) -> dict[str, float]:
    """Patrol hours per grid code in the week of ``week_start`` for grids under ``prefix``."""
    start, end = week_bounds(week_start)
    area_q = Q(area_code__startswith=prefix)
    ancestors = _ancestor_prefixes(prefix)
    if ancestors:
        area_q |= Q(area_code__in=ancestors)
    logs = list(PatrolLog.objects.filter(area_q, started_at__lt=end, ended_at__gt=start)
                .values_list("started_at", "ended_at", "grids_visited", "track"))
    # Locate every track point of the week in one call.
    lon: list[float] = []
    lat: list[float] = []
    for *_, track in logs:
        for point in track or []:
            lon.append(float(point[0]))
            lat.append(float(point[1]))
    codes = locate_codes(lon, lat) if lon else []
    out: dict[str, float] = defaultdict(float)
    k = 0
    for started, ended, visited, track in logs:
        n = len(track or [])
        track_codes = codes[k:k + n]
        k += n
        inside = (min(ended, end) - max(started, start)).total_seconds() / 3600.0
        if inside <= 0:
            continue
        for code, hours in split_log_hours(inside, list(visited or []), track_codes).items():
            if code.startswith(prefix):
                out[code] += hours
    return dict(out)
