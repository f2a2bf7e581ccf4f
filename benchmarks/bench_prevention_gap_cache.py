"""How much does caching the camera coverage save on the gap page (issue 19)? The gap table of the
demo district, requested again and again: ours reads the camera coverage from Django's cache (keyed
by the grid version and the camera set's version), the peer recomputes it on every request (as
before the cache). Both compute everything else (incidents, residents, warnings, patrol and defence
hours, venues) on every request.

Data: the tiny demo city with the prevention demo (cameras clustered unevenly), and --cameras more
cameras spread over its grids so the camera work has the weight of a busy district.

Usage: python benchmarks/bench_prevention_gap_cache.py [--cameras 4000] [--views 15] [--seed 1]
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cameras", type=int, default=4000)
    parser.add_argument("--views", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    os.environ["GRIDGOV_VAR_DIR"] = tempfile.mkdtemp(prefix="gridgov-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    import numpy as np
    import shapely
    from django.core.cache import cache
    from django.core.management import call_command

    from gridgov.accounts import services as acc
    from gridgov.demo import prevention as prevention_demo
    from gridgov.demo.geo import load_demo_city
    from gridgov.geo.models import Grid, boundary_wkb
    from gridgov.prevention import selectors, services
    from gridgov.prevention.models import Camera

    call_command("migrate", verbosity=0)
    acc.roles_sync()
    load_demo_city(scale="tiny", seed=args.seed)
    prevention_demo.load(scale="tiny", seed=args.seed)
    rng = np.random.default_rng(args.seed)
    rows = list(Grid.objects.filter(code__startswith="310101", boundary__isnull=False)
                .values_list("code", "boundary"))
    geoms = shapely.from_wkb([boundary_wkb(b) for _, b in rows])
    cams = []
    for i in range(args.cameras):
        j = int(rng.integers(len(rows)))
        a, b, c, d = shapely.bounds(geoms[j])
        cams.append(Camera(code=f"B{i:06d}", grid_code=rows[j][0], lon=float(rng.uniform(a, c)),
                           lat=float(rng.uniform(b, d)), radius_m=float(rng.choice([25, 40, 60])),
                           angle=float(rng.choice([90, 360])), heading=float(rng.integers(0, 360))))
    Camera.objects.bulk_create(cams, batch_size=2000)
    services.cameras_bump_version()
    user = acc.user_create(username="bench", password="x", validate_password=False)
    acc.membership_grant(user=user, role_code="police_officer", jurisdiction="310101")
    user._gridgov_memberships = None
    week = selectors.default_week()
    n_grids, n_cams = len(rows), Camera.objects.filter(grid_code__startswith="310101").count()

    def timed() -> float:
        t = time.perf_counter()
        selectors.gap_table(user, week=week)
        return time.perf_counter() - t

    cache.clear()
    cold = timed()  # fills the cache
    ours = [timed() for _ in range(args.views)]
    peer = []
    for _ in range(args.views):
        cache.clear()
        peer.append(timed())
    for name, o, p in (("gap_table median", statistics.median(ours), statistics.median(peer)),
                       ("gap_table cold (first request)", cold, statistics.median(peer))):
        print(json.dumps({"bench": f"prevention {name} ({n_grids} grids, {n_cams} cameras)", "n": args.views,
                          "ours_s": round(o, 4), "peer": "camera coverage recomputed per request",
                          "peer_s": round(p, 4), "ratio": round(p / o, 2) if o else None}))
    print(f"# {n_grids} grids, {n_cams} cameras", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
