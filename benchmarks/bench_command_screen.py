"""How fast is the district command screen (issue 18 §4)? p95 server time with a warm cache, the
same figures by the naive per-tile ORM queries, and the map layers' bytes per view.

Data: a synthetic district built with bulk inserts on top of the tiny demo city's geography
(黄浦区 310101): --grids grids (small squares inside its communities), --cases events in every
state over the last 60 days, --incidents incidents, a week of warnings on grids, communities and
streets and a set of hotspots. (The city demo takes >10 min; the screen reads one district.)

Ours: command.screen.screen (tiles, action list, sub-areas) + the live template + map_layers,
computed once and then served from Django's cache (60 s) — p95 of --views requests; also the cold
(first) computation. Peer: the naive screen — each tile by its own list query (the worklists'
case_list(...).count(), the cases scorecard's per-case indicators for the rates, one count per
warning level), each street's counts by its own two queries, and the map from the existing
one-point-per-case layer (cases open_cases_geojson) with the safety situation (streets) and
hotspot layers.

Usage: python benchmarks/bench_command_screen.py [--grids 4000] [--cases 12000] [--incidents 200000]
       [--views 30] [--seed 1]
Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def build(args, rng) -> dict:
    import numpy as np
    import shapely
    from django.utils import timezone

    from gridgov.cases.models import Case, Category
    from gridgov.geo.models import Division, Grid
    from gridgov.safety.models import Alert, Hotspot, Incident
    from gridgov.safety.models import Category as SafetyCategory
    from gridgov.safety.services import week_of

    district = "310101"
    communities = list(Division.objects.filter(prefix__startswith=district, level=12)
                       .values_list("prefix", "min_lon", "min_lat", "max_lon", "max_lat", "pk"))
    have = Grid.objects.filter(code__startswith=district).count()
    per = max(1, (args.grids - have) // len(communities) + 1)
    grids = []
    for prefix, a, b, c, d, pk in communities:
        for seq in range(500, 500 + per):
            x = float(rng.uniform(a, c))
            y = float(rng.uniform(b, d))
            s = 0.0008
            poly = shapely.box(x - s, y - s, x + s, y + s)
            grids.append(Grid(code=f"{prefix}{seq:03d}", name=f"合成网格{seq}", community_id=pk, boundary=shapely.to_wkb(poly),
                              min_lon=x - s, min_lat=y - s, max_lon=x + s, max_lat=y + s, area_m2=3.0e4))
            if have + len(grids) >= args.grids:
                break
        if have + len(grids) >= args.grids:
            break
    Grid.objects.bulk_create(grids, batch_size=2000)
    cells = list(Grid.objects.filter(code__startswith=district).values_list("code", "min_lon", "min_lat",
                                                                          "max_lon", "max_lat"))
    cats = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    now = timezone.now()
    states = ["reported", "accepted", "registered", "dispatched", "handling", "handled", "verified", "closed",
              "evaluated", "rejected", "suspended"]
    weights = np.array([3, 2, 3, 5, 8, 3, 2, 35, 30, 5, 1], dtype=float)
    picks = rng.choice(len(states), size=args.cases, p=weights / weights.sum())
    cases = []
    for i in range(args.cases):
        code, a, b, c, d = cells[int(rng.integers(len(cells)))]
        reported = now - timedelta(minutes=float(rng.uniform(0, 60 * 24 * 60)))
        state = states[int(picks[i])]
        open_ = state not in ("closed", "evaluated", "rejected")
        deadline = reported + timedelta(hours=float(rng.uniform(4, 24 * 10))) if open_ else None
        closed = state in ("closed", "evaluated")
        cases.append(Case(
            grid_code=code, state=state, category_id=cats[int(rng.integers(len(cats)))],
            channel=["grid", "hotline", "open311"][int(rng.integers(3))], description="合成事件",
            lon=(a + c) / 2 + float(rng.normal(0, 2e-4)), lat=(b + d) / 2 + float(rng.normal(0, 2e-4)),
            reported_at=reported, registered_at=reported + timedelta(minutes=30) if state != "reported" else None,
            stage="handle" if open_ else "", stage_started_at=reported if open_ else None,
            stage_limit_seconds=3 * 86400 if open_ else 0, stage_deadline=deadline,
            closed_at=reported + timedelta(days=2) if closed else None, overdue=bool(rng.random() < 0.15),
            satisfaction=int(rng.integers(1, 6)) if state == "evaluated" else None,
            supervising_prefix=code[:9], escalation_level=1 if open_ and rng.random() < 0.01 else 0,
            updated_at=now))
    Case.objects.bulk_create(cases, batch_size=2000)
    for level_code in ("310101",):
        Case.objects.filter(grid_code__startswith=level_code, escalation_level=1).update(supervising_prefix=district)
    scats = list(SafetyCategory.objects.values_list("pk", flat=True))
    incidents = []
    for _i in range(args.incidents):
        code, a, b, c, d = cells[int(rng.integers(len(cells)))]
        at = now - timedelta(minutes=float(rng.uniform(0, 60 * 24 * 7 * 104)))
        incidents.append(Incident(occurred_at=at, week_start=week_of(at), lon=(a + c) / 2, lat=(b + d) / 2,
                                  grid_code=code, origin="reported", category_id=scats[int(rng.integers(len(scats)))]))
        if len(incidents) == 10000:
            Incident.objects.bulk_create(incidents)
            incidents = []
    Incident.objects.bulk_create(incidents)
    week = week_of(timezone.localdate()) - timedelta(weeks=1)
    areas = ([c[0] for c in cells[:: max(1, len(cells) // 200)]] + [c[0] for c in communities]
             + list(Division.objects.filter(prefix__startswith=district, level=9).values_list("prefix", flat=True)))
    Alert.objects.bulk_create([Alert(area_code=a, area_level=len(a), category_id=scats[j % len(scats)],
                                     week_start=week, method="ewma", observed=9, expected=3.0, threshold=6.0,
                                     pvalue=0.01, score=1.5, level=1 + j % 4) for j, a in enumerate(areas)])
    Hotspot.objects.bulk_create([Hotspot(grid_code=c[0], category_id=scats[0], week_start=week, weeks=8,
                                         observed=12, expected=3.0, z=3.2, pvalue=0.001, qvalue=0.01, kind="hot99")
                                 for c in cells[:: max(1, len(cells) // 150)]])
    return {"grids": len(cells), "cases": Case.objects.filter(grid_code__startswith=district).count(),
            "incidents": Incident.objects.count(), "warnings": Alert.objects.count(),
            "hotspots": Hotspot.objects.count()}


def naive(user, code: str) -> tuple[dict, int]:
    """The screen's figures by separate per-tile queries through the existing list selectors."""
    from django.utils import timezone

    from gridgov.cases import selectors as cases
    from gridgov.geo.models import Division
    from gridgov.safety import selectors as safety

    now = timezone.now()
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    midnight = datetime.combine(today, datetime.min.time(), tz)
    monday = midnight - timedelta(days=today.weekday())
    out = {
        "cases_today": cases.case_list(user, worklist="all", grid=code, since=midnight).count(),
        "cases_week": cases.case_list(user, worklist="all", grid=code, since=monday).count(),
        "cases_queue": cases.case_list(user, worklist="queue", grid=code).count(),
        "cases_overdue": cases.case_list(user, worklist="overdue", grid=code).count(),
    }
    rows = cases.scorecard(user, group="region", start=datetime.combine(today.replace(day=1), datetime.min.time(), tz),
                           end=midnight + timedelta(days=1), level=6, now=now)
    row = next((r for r in rows if r["key"] == code), None)
    out["rates"] = row["rates"] if row else None
    week = safety.default_week(today)
    out["warnings"] = [safety.alerts(user, status="active", week=week, area=code).filter(level=lv).count()
                       for lv in (1, 2, 3, 4)]
    out["escalations"] = list(cases.case_list(user, worklist="open", grid=code)
                              .filter(escalation_level__gt=0, supervising_prefix=code)[:20])
    out["streets"] = [(s, cases.case_list(user, worklist="open", grid=s).count(),
                       cases.case_list(user, worklist="overdue", grid=s).count())
                      for s in Division.objects.filter(prefix__startswith=code, level=9).values_list("prefix", flat=True)]
    map_bytes = (len(json.dumps(cases.open_cases_geojson(user, limit=100000), ensure_ascii=False))
                 + len(safety.situation_geojson(user, week=week, area_level=9))
                 + len(safety.hotspots_geojson(user, week=week)))
    return out, map_bytes


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grids", type=int, default=4000)
    parser.add_argument("--cases", type=int, default=12000)
    parser.add_argument("--incidents", type=int, default=200000)
    parser.add_argument("--views", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="gridgov-bench-")
    os.environ["GRIDGOV_VAR_DIR"] = var
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    import numpy as np
    from django.core.cache import cache
    from django.core.management import call_command
    from django.template.loader import render_to_string
    from django.utils import translation

    from gridgov.accounts import services as acc
    from gridgov.command import screen
    from gridgov.demo.geo import load_demo_city

    call_command("migrate", verbosity=0)
    acc.roles_sync()
    load_demo_city(scale="tiny", seed=args.seed)
    t0 = time.perf_counter()
    sizes = build(args, np.random.default_rng(args.seed))
    print(f"# built {sizes} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    user = acc.user_create(username="bench", password="x", validate_password=False)
    acc.membership_grant(user=user, role_code="district_centre", jurisdiction="310101")
    user._gridgov_memberships = None
    translation.activate("zh-hans")
    code = "310101"

    def ours_once() -> tuple[float, int]:
        t = time.perf_counter()
        data = screen.screen(user, code)
        render_to_string("command/screen_live.html", {**data, "refresh_seconds": 60})
        text = screen.map_layers(user, code)
        return time.perf_counter() - t, len(text.encode())

    cache.clear()
    cold, map_bytes = ours_once()
    warm = [ours_once()[0] for _ in range(args.views)]
    cold_runs = []
    for _ in range(max(3, args.views // 10)):
        cache.clear()
        cold_runs.append(ours_once()[0])
    peer, peer_bytes = [], 0
    for _ in range(max(3, args.views // 10)):
        t = time.perf_counter()
        _figures, peer_bytes = naive(user, code)
        peer.append(time.perf_counter() - t)
    peer_p95 = p95(peer)
    size = f"{sizes['grids']} grids, {sizes['cases']} cases, {sizes['incidents']} incidents"
    print(json.dumps({"bench": "command_screen_warm_p95", "n": args.views, "ours_s": round(p95(warm), 5),
                      "peer": "naive per-tile ORM queries", "peer_s": round(peer_p95, 4),
                      "ratio": round(peer_p95 / p95(warm), 1), "data": size}))
    print(json.dumps({"bench": "command_screen_cold_p95", "n": len(cold_runs), "ours_s": round(p95(cold_runs), 4),
                      "peer": "naive per-tile ORM queries", "peer_s": round(peer_p95, 4),
                      "ratio": round(peer_p95 / p95(cold_runs), 2), "median_cold_s": round(statistics.median(cold_runs), 4),
                      "data": size}))
    print(json.dumps({"bench": "command_map_bytes", "n": 1, "ours_s": None, "ours_bytes": map_bytes,
                      "peer": "per-case points + street polygons + hotspots", "peer_s": None,
                      "peer_bytes": peer_bytes, "ratio": round(peer_bytes / map_bytes, 1), "data": size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
