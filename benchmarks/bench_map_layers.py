"""How responsive is the map with 40,000 grids? Time the grid layer for typical viewports.

Ours: gridgov.geo.selectors.grids_layer (bbox-indexed query, at most 3,000 features, geometries
simplified for the zoom, GeoJSON assembled with vectorised shapely.to_geojson).
Peer: the naive layer — every visible grid of the viewport's district, full geometry, serialised
with json.dumps(shapely.geometry.mapping(g)) one by one (what a first version usually does).

Usage: python benchmarks/bench_map_layers.py [--scale city] [--views 50] [--seed 1]
Prints one JSON line.
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
    parser.add_argument("--scale", default="city", choices=["tiny", "small", "city"])
    parser.add_argument("--views", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="gridgov-bench-")
    os.environ["GRIDGOV_VAR_DIR"] = var
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    import numpy as np
    import shapely
    from django.core.management import call_command

    from gridgov.accounts import services as acc
    from gridgov.demo.geo import load_demo_city
    from gridgov.geo import selectors
    from gridgov.geo.models import Grid

    call_command("migrate", verbosity=0)
    acc.roles_sync()
    t0 = time.perf_counter()
    load_demo_city(scale=args.scale, seed=args.seed)
    load_s = time.perf_counter() - t0
    user = acc.user_create(username="bench", password="x", validate_password=False)
    acc.membership_grant(user=user, role_code="city_admin", jurisdiction="31")
    user._gridgov_memberships = None

    rng = np.random.default_rng(args.seed)
    grids = list(Grid.objects.order_by("code").values_list("min_lon", "min_lat", "max_lon", "max_lat"))
    codes = list(Grid.objects.order_by("code").values_list("code", flat=True))
    centres = [((a + c) / 2, (b + d) / 2) for a, b, c, d in grids]
    picks = rng.choice(len(centres), size=args.views, replace=False)
    zooms = rng.choice([14, 15, 16], size=args.views)
    views = []
    for i, z in zip(picks, zooms, strict=True):
        lon, lat = centres[i]
        # A 1280x800 viewport at zoom z: degrees per pixel = 360 / (256 * 2**z).
        w, h = 1280 * 360 / (256 * 2 ** z), 800 * 360 / (256 * 2 ** z) * 0.86
        views.append(((lon - w / 2, lat - h / 2, lon + w / 2, lat + h / 2), int(z)))

    ours, sizes, counts = [], [], []
    for bbox, z in views:
        t = time.perf_counter()
        text = selectors.grids_layer(user, bbox=bbox, zoom=z)
        ours.append(time.perf_counter() - t)
        sizes.append(len(text))
        counts.append(len(json.loads(text)["features"]))

    peer, peer_sizes = [], []
    for i in picks:
        t = time.perf_counter()
        code = codes[int(i)][:6]  # the viewport's district
        rows = Grid.objects.filter(code__startswith=code).values_list("code", "name", "boundary")
        feats = [{"type": "Feature", "geometry": shapely.geometry.mapping(shapely.from_wkb(bytes(b))),
                  "properties": {"code": c, "name": n}} for c, n, b in rows]
        text = json.dumps({"type": "FeatureCollection", "features": feats})
        peer.append(time.perf_counter() - t)
        peer_sizes.append(len(text))

    def p(values, q):
        return float(np.percentile(values, q))

    out = {
        "bench": "map_layers", "n": args.views, "scale": args.scale, "grids": len(grids),
        "ours_s": round(statistics.median(ours), 4), "peer": "naive district layer (all grids, full geometry)",
        "peer_s": round(statistics.median(peer), 4), "ratio": round(statistics.median(peer) / statistics.median(ours), 2),
        "ours_p95_s": round(p(ours, 95), 4), "peer_p95_s": round(p(peer, 95), 4),
        "ours_median_kb": round(statistics.median(sizes) / 1024, 1),
        "peer_median_kb": round(statistics.median(peer_sizes) / 1024, 1),
        "ours_median_features": int(statistics.median(counts)), "load_demo_s": round(load_s, 1),
        "database": "sqlite",
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
