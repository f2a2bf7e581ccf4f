"""Patrol allocation (issue 19 §3): ours (allocate.allocate) beside the naive peer (units
proportional to every recorded incident) in the same simulated world, the one the tests use:
G grids, N = G units, 40 periods; a unit gives 40 patrol hours a period; residents report
Poisson(rate * 0.5), patrols discover Poisson(rate * hours * 0.005).

Figures per world (equal rates; one grid at 3x), mean over 5 seeds:
* runtime of planning all 40 periods (ours_s, peer_s; ratio = ours / peer);
* fairness: Gini of the cumulative units (equal world), and the hot grid's units over the others'
  mean in the last 5 periods (3x world; the true ratio is 3).

    .venv/bin/python benchmarks/bench_allocate.py     # one JSON line per grid count: runtime (ours_s,
                                                      # peer_s, ratio) and the fairness figures beside
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gridgov.prevention import allocate  # noqa: E402

PERIODS, HOURS_PER_UNIT, REPORTING, DETECTION = 40, 40.0, 0.5, 0.005
SEEDS = (1, 2, 3, 4, 5)


def simulate(rates: np.ndarray, planner, *, seed: int) -> tuple[np.ndarray, float]:
    rng = np.random.default_rng(seed)
    g = len(rates)
    units = float(g)
    names = tuple(f"g{i}" for i in range(g))
    reported = np.zeros((PERIODS, g))
    discovered = np.zeros((PERIODS, g))
    hours = np.zeros((PERIODS, g))
    plans = np.zeros((PERIODS, g))
    spent = 0.0
    for t in range(PERIODS):
        history = allocate.History(tuple(map(str, range(t))), names, reported[:t], discovered[:t], hours[:t],
                                   np.ones((t, g), dtype=bool))
        start = time.perf_counter()
        plans[t] = planner(history, units, t)
        spent += time.perf_counter() - start
        hours[t] = plans[t] * HOURS_PER_UNIT
        reported[t] = rng.poisson(rates * REPORTING)
        discovered[t] = rng.poisson(rates * hours[t] * DETECTION)
    return plans, spent


def ours(history, units, t):
    return allocate.allocate(history, units=units, exploration=0.15, seed=t).units


def naive(history, units, t):
    return allocate.naive_plan(history, units=units)


def main() -> int:
    for g in (20, 200, 2000):
        equal = np.full(g, 4.0)
        hot = equal.copy()
        hot[0] = 12.0
        figures = {}
        for name, planner in (("ours", ours), ("naive", naive)):
            ginis, ratios, secs = [], [], 0.0
            for seed in SEEDS:
                plans, spent = simulate(equal, planner, seed=seed)
                ginis.append(allocate.gini(plans.sum(axis=0)))
                secs += spent
                plans, spent = simulate(hot, planner, seed=seed)
                last = plans[-5:].mean(axis=0)
                ratios.append(last[0] / last[1:].mean())
                secs += spent
            figures[name] = {"s": secs / (2 * len(SEEDS)), "gini": float(np.mean(ginis)),
                             "hot_ratio": float(np.mean(ratios))}
        o, p = figures["ours"], figures["naive"]
        print(json.dumps({"bench": "allocate_40_periods", "n": g, "ours_s": round(o["s"], 4), "peer": "naive",
                          "peer_s": round(p["s"], 4), "ratio": round(o["s"] / p["s"], 1),
                          "gini_equal_ours": round(o["gini"], 3), "gini_equal_peer": round(p["gini"], 3),
                          "hot_3x_ours": round(o["hot_ratio"], 2), "hot_3x_peer": round(p["hot_ratio"], 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
