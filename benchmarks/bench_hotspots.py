"""Speed of Gi* (safety/hotspots.py, scipy.sparse) on the city-scale demo geography: 40,000 grids
(queen adjacency from their polygons, as in production) x 20 categories, against PySAL esda's
``G_Local(star=True, transform="B", permutations=0)`` per category (libpysal weights built once),
in the same run. Ours includes building the sparse weights from the neighbour lists; the peer's
includes building its ``W``. Prints one JSON line: ours the median of ``--runs`` runs, the peer one run.

    .venv/bin/python benchmarks/bench_hotspots.py [--scale city] [--categories 20] [--runs 5]

esda and libpysal are test-only dependencies (pip install -e '.[test]').
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gridgov.demo.city import generate_city  # noqa: E402
from gridgov.safety import hotspots as hs  # noqa: E402


def peer(values: np.ndarray, neighbours: dict[int, list[int]]) -> np.ndarray:
    import esda
    import libpysal

    z = np.zeros(values.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.W(neighbours, silence_warnings=True)
        for j in range(values.shape[1]):
            z[:, j] = esda.G_Local(values[:, j], w, transform="B", permutations=0, star=True).Zs
    return z


def timed(fn, runs: int) -> tuple[float, object]:
    out, times = None, []
    for _ in range(runs):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city", choices=("tiny", "small", "city"))
    parser.add_argument("--categories", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    polygons = [g.polygon for g in generate_city(args.scale, seed=args.seed).grids]
    neighbours = hs.adjacency(polygons)
    rng = np.random.default_rng(args.seed)
    expected = rng.gamma(1.0, 1.5, (len(polygons), args.categories))
    observed = rng.poisson(expected).astype(float)
    ratio = (observed + 1.0) / (expected + 1.0)

    import esda  # noqa: F401  (imports outside the timing, on both sides)

    ours_s, z = timed(lambda: hs.gi_star(ratio, neighbours), args.runs)
    peer_s, z_peer = timed(lambda: peer(ratio, neighbours), 1)  # seconds per category: one run is plenty
    print(json.dumps({
        "bench": "hotspots_gi_star", "n": len(polygons), "categories": args.categories,
        "ours_s": round(ours_s, 4), "peer": "esda G_Local(star=True) per category", "peer_s": round(peer_s, 4),
        "ratio": round(peer_s / ours_s, 1), "max_abs_z_diff": float(np.max(np.abs(z - np.nan_to_num(z_peer)))),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
