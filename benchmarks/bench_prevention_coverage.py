"""Camera coverage of many grids (prevention/coverage.py, the gap page's costliest input).

    .venv/bin/python benchmarks/bench_prevention_coverage.py

Ours: ``coverage_shares`` — one Lambert equal-area projection for the whole extent, every camera
shape built once, cameras matched to grids with an STRtree. Peer: the per-grid loop
(``coverage_share`` per grid with its own projection, over the cameras whose point lies in the
grid's box widened by the largest radius), as a first version did. Synthetic: square grids of
~250 m on a lattice, cameras uniform over the extent, radius 25-60 m, a third of them sectors.
Shares are compared (max absolute difference printed as ``max_diff``). One JSON line per size.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from shapely.geometry import box

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gridgov.prevention.coverage import CameraView, coverage_share, coverage_shares  # noqa: E402

STEP = 0.0025  # degrees, ~240 m x 280 m near Shanghai


def world(n_grids: int, n_cams: int, seed: int = 1):
    side = int(np.ceil(np.sqrt(n_grids)))
    grids = [box(121.40 + STEP * (i % side), 31.20 + STEP * (i // side), 121.40 + STEP * (i % side + 1),
                 31.20 + STEP * (i // side + 1)) for i in range(n_grids)]
    rng = np.random.default_rng(seed)
    rows = int(np.ceil(n_grids / side))
    cams = [CameraView(float(121.40 + rng.uniform(0, side * STEP)), float(31.20 + rng.uniform(0, rows * STEP)),
                       float(rng.choice([25, 35, 50, 60])), float(rng.uniform(0, 360)),
                       float(rng.choice([90, 360, 360]))) for _ in range(n_cams)]
    return [f"G{i:06d}" for i in range(n_grids)], grids, cams


def peer(codes, grids, cams) -> dict[str, float]:
    arr = np.array([(c.lon, c.lat) for c in cams])
    pad = max(c.radius_m for c in cams) / 90000.0 * 1.5
    out = {}
    for code, g in zip(codes, grids, strict=True):
        x0, y0, x1, y1 = g.bounds
        near = np.flatnonzero((arr[:, 0] >= x0 - pad) & (arr[:, 0] <= x1 + pad) &
                              (arr[:, 1] >= y0 - pad) & (arr[:, 1] <= y1 + pad))
        if len(near):
            share = coverage_share(g, [cams[i] for i in near])
            if share > 0:
                out[code] = share
    return out


def main() -> None:
    for n_grids, n_cams in ((120, 520), (1000, 4000)):
        codes, grids, cams = world(n_grids, n_cams)
        t0 = time.perf_counter()
        ours = coverage_shares(codes, grids, cams)
        t1 = time.perf_counter()
        theirs = peer(codes, grids, cams)
        t2 = time.perf_counter()
        diff = max(abs(ours.get(c, 0.0) - theirs.get(c, 0.0)) for c in codes)
        print(json.dumps({"bench": "prevention_camera_coverage", "n": n_grids, "cameras": n_cams,
                          "ours_s": round(t1 - t0, 4), "peer": "per-grid projection loop",
                          "peer_s": round(t2 - t1, 4), "ratio": round((t2 - t1) / (t1 - t0), 2),
                          "max_diff": round(diff, 5)}))


if __name__ == "__main__":
    main()
