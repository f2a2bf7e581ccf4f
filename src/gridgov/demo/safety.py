"""Demo loader for public safety: three years (plus a few weeks) of synthetic weekly incidents in
the grids already loaded, with seasonality, both origins and planted outbreaks, then one detection
run (warnings for the last 4 weeks) and hotspots. Deterministic by seed for a given run date.

Planted (so the demo has something to show, and the feedback-loop guard has something to guard):
- burglary (02) in one community over the last 3 weeks, pickpocketing (05) in another over the
  last 2 weeks, both reported by residents (they raise warnings);
- telecom fraud (04) in a third community in the same season a year ago (a past outbreak the
  baseline down-weights);
- a police crackdown on gambling (08) in a fourth community over the last 3 weeks: many incidents
  *discovered by police*, which do not raise its level while the guard is on.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, tzinfo

import numpy as np
import shapely

from gridgov.core.progress import Progress

SYNTHETIC = "synthetic demo data"
HISTORY_WEEKS = 3 * 52 + 8
#: category code -> (share of incidents, seasonal amplitude, peak week of the year)
MIX: dict[str, tuple[float, float, int]] = {
    "02": (0.14, 0.20, 5), "03": (0.04, 0.10, 50), "04": (0.20, 0.10, 30), "05": (0.15, 0.30, 40),
    "06": (0.05, 0.15, 48), "08": (0.04, 0.10, 6), "13": (0.03, 0.10, 20), "14": (0.18, 0.25, 28),
    "99": (0.17, 0.10, 1),
}
RATE = {"tiny": 0.5, "small": 0.2, "city": 0.2}  # incidents per grid per week
DISCOVERED_SHARE = 0.15
CAMPAIGN_WEEKS = 8   # the demo's anti-fraud campaign: the last 8 complete weeks ...
CAMPAIGN_KEEP = 0.5  # ... halve reported frauds in its street


def campaign_street(grid_codes: list[str]) -> str:
    """The street of the demo's anti-fraud campaign: the first street (the demo street centre's)."""
    return min(grid_codes)[:9]


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    from django.db import connection
    from django.utils import timezone

    from gridgov.demo.bulk import Inserter, indexes_built_after
    from gridgov.geo.models import Grid, boundary_wkb
    from gridgov.geo.selectors import locate_codes
    from gridgov.safety import runs, services
    from gridgov.safety.models import Category, Incident, SafetyRun

    progress = progress or Progress()
    categories = {c.code: c for c in services.categories_sync()}
    grids = list(Grid.objects.filter(boundary__isnull=False).order_by("code").values_list("code", "boundary"))
    if not grids:
        return {}
    rng = np.random.default_rng([seed, 6])
    codes = np.array([g[0] for g in grids])
    geoms = shapely.from_wkb([boundary_wkb(g[1]) for g in grids])
    last_week = services.week_of(timezone.localdate()) - timedelta(weeks=1)
    first_week = last_week - timedelta(weeks=HISTORY_WEEKS - 1)
    n_weeks = HISTORY_WEEKS
    week_of_year = np.array([(first_week + timedelta(weeks=i)).isocalendar()[1] for i in range(n_weeks)])

    # expected incidents per grid, category and week: grid rate x category share x season x trend
    grid_rate = RATE.get(scale, 0.35) * rng.lognormal(0.0, 0.6, len(codes))
    grid_rate *= len(codes) * RATE.get(scale, 0.35) / grid_rate.sum()
    cats = list(MIX)
    share = np.array([MIX[c][0] for c in cats])
    season = np.array([1 + MIX[c][1] * np.cos(2 * np.pi * (week_of_year - MIX[c][2]) / 52) for c in cats])
    trend = 1 + 0.04 * np.arange(n_weeks) / 52
    # (grids, categories, weeks) as int32, one category at a time: at city scale (40,000 grids) a
    # float64 mean and two int64 count arrays of the whole cube were 1.4 GB
    # uint8 now (a cell's count is a Poisson draw of mean < 1 plus at most 15 planted): 0.24 GB
    # instead of 0.95 GB for the two cubes at city scale
    counts = np.zeros((len(codes), len(cats), n_weeks), dtype=np.uint8)  # reported
    discovered = np.zeros_like(counts)
    for ci in range(len(cats)):
        mean = grid_rate[:, None] * share[ci] * season[ci][None, :] * trend[None, :]
        drawn = rng.poisson(mean)
        counts[:, ci, :] = drawn
        extra = rng.poisson(mean * DISCOVERED_SHARE / (1 - DISCOVERED_SHARE))
        discovered[:, ci, :] = extra
        if max(int(drawn.max(initial=0)), int(extra.max(initial=0))) > 200:  # never at these rates
            raise ValueError("demo incident rate too high for uint8 counts")
    del mean, drawn, extra

    communities = np.array([c[:12] for c in codes])
    uniq = np.unique(communities)
    picks = rng.choice(len(uniq), size=min(4, len(uniq)), replace=False)
    planted = {}

    def plant(community_idx, cat, weeks, extra, target):
        members = np.flatnonzero(communities == uniq[community_idx])
        ci = cats.index(cat)
        for w in weeks:
            hits = rng.choice(members, size=extra, replace=True)
            np.add.at(target, (hits, ci, w), 1)
        return uniq[community_idx]

    last = n_weeks - 1
    planted["burglary"] = plant(picks[0], "02", [last - 2, last - 1, last], 9, counts)
    if len(picks) > 1:
        planted["pickpocketing"] = plant(picks[1], "05", [last - 1, last], 12, counts)
    if len(picks) > 2:
        planted["fraud_last_year"] = plant(picks[2], "04", [last - 53, last - 52, last - 51], 10, counts)
    if len(picks) > 3:
        planted["gambling_crackdown"] = plant(picks[3], "08", [last - 2, last - 1, last], 15, discovered)
    # a special campaign against telecom fraud (反诈专项行动, demo/campaigns.py) in the first street
    # over the last CAMPAIGN_WEEKS weeks: each reported fraud there is kept with probability
    # CAMPAIGN_KEEP (an own generator, so the draws above stay as they were)
    in_street = np.char.startswith(codes.astype(str), campaign_street(codes.tolist()))
    thin = counts[in_street, cats.index("04"), last - CAMPAIGN_WEEKS + 1:]
    counts[in_street, cats.index("04"), last - CAMPAIGN_WEEKS + 1:] = (
        np.random.default_rng([seed, 7]).binomial(thin, CAMPAIGN_KEEP))

    # one incident per unit count: grid, category, week, origin -> a point inside the grid
    progress("safety: incidents", 0, 1)
    rows = []
    for origin, table in (("reported", counts), ("discovered", discovered)):
        g, c, w = np.nonzero(table)
        reps = table[g, c, w]
        rows.append((np.repeat(g, reps), np.repeat(c, reps), np.repeat(w, reps), origin))
    g_all = np.concatenate([r[0] for r in rows])
    c_all = np.concatenate([r[1] for r in rows])
    w_all = np.concatenate([r[2] for r in rows])
    o_all = np.concatenate([np.full(len(r[0]), r[3] == "discovered") for r in rows])
    lon, lat = _points_in(geoms, g_all, rng)
    located = np.array(locate_codes(lon, lat), dtype=object)
    located = np.where(located == None, codes[g_all], located)  # noqa: E711 (boundary ties)
    minutes = rng.integers(0, 7 * 24 * 60, len(g_all))
    occurred = occurred_utc(first_week, w_all, minutes, timezone.get_default_timezone())
    week_starts = np.array([connection.ops.adapt_datefield_value(first_week + timedelta(weeks=i))
                            for i in range(n_weeks)], dtype=object)
    cat_pk = np.array([categories[c].pk for c in cats])
    origin_codes = np.array(["reported", "discovered"], dtype=object)
    inserter = Inserter(Incident, ["category_id", "occurred_at", "week_start", "lon", "lat", "grid_code", "origin",
                                   "summary"])
    batch = 20_000  # rows built, inserted and dropped together
    with indexes_built_after(Incident):  # built before the detection below reads through them
        for lo in range(0, len(g_all), batch):
            hi = min(lo + batch, len(g_all))
            inserter.insert(zip(cat_pk[c_all[lo:hi]].tolist(), datetime_values(occurred[lo:hi]),
                                week_starts[w_all[lo:hi]].tolist(), lon[lo:hi].tolist(), lat[lo:hi].tolist(),
                                located[lo:hi].tolist(), origin_codes[o_all[lo:hi].astype(np.intp)].tolist(),
                                itertools.repeat(SYNTHETIC, hi - lo), strict=True))
            progress("safety: incidents", hi, len(g_all))
    del counts, discovered, rows, g_all, c_all, w_all, o_all, lon, lat, located, minutes, occurred
    Category.objects.filter(code__in=cats).update(active=True)
    # the warnings of the last 4 weeks and the hotspots, as the worker does them: a chunked run
    # (safety/runs.py) reads one street at a time, where services.warnings_refresh held the whole
    # city's series of each level (2.6 GB at city scale); same warnings (tests/safety/test_runs.py)
    recent = [last_week - timedelta(weeks=i) for i in range(4)]
    run = runs.safety_run_start(actor=None, weeks=recent, enqueue=False)
    chunks: list[int] = []

    def step(index: int) -> None:
        if not chunks:
            chunks.append(len(SafetyRun.objects.get(pk=run.pk).plan))
        progress("safety: detection", index + 1, chunks[0])

    runs.safety_run_execute(run_id=run.pk, after_chunk=step)
    return {}


def occurred_utc(first_week: date, weeks: np.ndarray, minutes: np.ndarray, tz: tzinfo) -> np.ndarray:
    """UTC times (``datetime64[s]``) of local times ``first_week + weeks + minutes`` in ``tz``,
    as ``datetime.combine(...).replace(tzinfo=tz)`` gives them (``fold=0`` at a change of offset),
    computed per distinct hour: one offset lookup per hour of the history instead of per incident;
    an hour whose offset changes inside it (a 30-minute shift) is converted minute by minute."""
    local = (np.datetime64(first_week, "m") + weeks.astype(np.int64) * (7 * 24 * 60)
             + minutes.astype(np.int64)).astype("datetime64[m]")
    hours, where = np.unique(local.astype("datetime64[h]"), return_inverse=True)
    offset = np.empty(len(hours), dtype=np.int64)  # minutes east of UTC
    mixed = []
    for i, hour in enumerate(hours.astype(datetime)):
        first = hour.replace(tzinfo=tz).utcoffset()
        if first != (hour + timedelta(minutes=59)).replace(tzinfo=tz).utcoffset():
            mixed.append(i)
        offset[i] = first // timedelta(minutes=1)
    utc = local - offset[where].astype("timedelta64[m]")
    for row in np.flatnonzero(np.isin(where, mixed)):
        moment = local[row].astype(datetime).replace(tzinfo=tz)
        utc[row] = np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "m")
    return utc.astype("datetime64[s]")


def datetime_values(utc: np.ndarray) -> list:
    """Values for a DateTimeField from UTC ``datetime64[s]`` times, as the backend's
    ``adapt_datetimefield_value`` gives them for the aware datetime: SQLite stores text
    ``YYYY-MM-DD HH:MM:SS`` of the UTC time (formatted here as a column), other backends take
    aware datetimes."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return np.char.replace(np.datetime_as_string(utc, unit="s"), "T", " ").tolist()
    return [moment.replace(tzinfo=UTC) for moment in utc.astype(datetime)]


def _points_in(geoms, grid_idx: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """A uniform random point inside grid ``grid_idx[i]`` for each i (rejection in the bbox)."""
    bounds = shapely.bounds(geoms)[grid_idx]
    lon = np.empty(len(grid_idx))
    lat = np.empty(len(grid_idx))
    todo = np.arange(len(grid_idx))
    for _ in range(50):
        if not len(todo):
            break
        b = bounds[todo]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        inside = shapely.contains_xy(geoms[grid_idx[todo]], x, y)
        lon[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
        todo = todo[~inside]
    if len(todo):  # thin slivers: the representative point
        pts = shapely.point_on_surface(geoms[grid_idx[todo]])
        lon[todo], lat[todo] = shapely.get_x(pts), shapely.get_y(pts)
    return lon, lat


def reset() -> None:
    from gridgov.core.models import SystemState
    from gridgov.safety.models import Alert, Hotspot, Incident, SafetyRun
    from gridgov.safety.runs import WATERMARK_KEY

    Hotspot.objects.all().delete()
    Alert.objects.all().delete()
    Incident.objects.all().delete()
    SafetyRun.objects.filter(actor=None).delete()
    SystemState.objects.filter(key=WATERMARK_KEY).delete()
