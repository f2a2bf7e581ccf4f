"""Detection quality per method on simulated weekly series with injected outbreaks, after the
Noufaily et al. (2013) design (../shared/reference/analytics.md §1.5): probability of detection
(POD), false-positive rate (FPR) and weeks to detection, for each method side by side, both at the
nominal alarm (p < 0.01) and at the calibrated levels (any warning = blue or higher; yellow or
higher).

    .venv/bin/python benchmarks/bench_detect.py              # evaluate (prints a table + one JSON line)
    .venv/bin/python benchmarks/bench_detect.py --calibrate  # derive detect.CALIBRATED from null series

Design: negative-binomial weekly counts (variance phi * mu), mu(t) = exp(theta + beta t + seasonal
harmonics), the 7 Noufaily parameter sets x trend {0, 1} x harmonics {0, 1, 2} = 42 scenarios, plus
two low-count sets (theta -1.0, -0.3) for grid-level series. 624 weeks; four past outbreaks in
weeks 313-575 (k in 2, 3, 5, 10); one current outbreak starting in weeks 576-615 with k in
{2, 3, 5, 10}; outbreak size ~ Poisson(k * sd) with sd = sqrt(phi * mu) at the start, cases spread
over start + floor(lognormal(0, 0.5)) weeks. Evaluation weeks 576-624 (49). FPR = share of
alarmed weeks among the evaluation weeks without outbreak cases; POD = share of current outbreaks
with at least one alarm during their weeks; weeks to detection = first alarm week - start, among
detected. The calibration uses the same series without any current outbreak (past outbreaks kept:
real history has them) and another seed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gridgov.safety import detect  # noqa: E402

WEEKS = 624
EVAL = np.arange(575, 624)  # 0-based: weeks 576..624
THETA = [0.1, -2.0, 1.5, 0.5, 2.5, 3.75, 5.0, -1.0, -0.3]
BETA = [0.0025, 0.005, 0.003, 0.002, 0.001, 0.001, 0.0001, 0.002, 0.002]
GAMMA1 = [0.6, 0.1, 0.2, 0.5, 1.0, 0.1, 0.05, 0.3, 0.3]
GAMMA2 = [0.6, 0.3, -0.4, 0.5, 0.1, -0.1, 0.01, 0.2, 0.2]
PHI = [1.5, 2.0, 1.0, 5.0, 3.0, 1.1, 1.2, 1.5, 1.5]
KS = (2, 3, 5, 10)
METHODS = ("farrington", "ewma", "c1", "c2", "c3")


def scenarios() -> list[dict]:
    out = []
    for i in range(len(THETA)):
        for trend in (0, 1):
            for m in (0, 1, 2):
                out.append({"i": i, "trend": trend, "m": m})
    return out


def baseline_mean(sc: dict) -> np.ndarray:
    t = np.arange(1, WEEKS + 1)
    i = sc["i"]
    eta = THETA[i] + sc["trend"] * BETA[i] * t
    for j in range(1, sc["m"] + 1):
        eta = eta + GAMMA1[i] * np.cos(2 * np.pi * j * t / 52) + GAMMA2[i] * np.sin(2 * np.pi * j * t / 52)
    return np.exp(eta)


def _nb(rng, mu, phi):
    if phi <= 1.0:
        return rng.poisson(mu)
    return rng.negative_binomial(mu / (phi - 1), 1 / phi)


def _outbreak(rng, y, flag, start, k, sd):
    cases = rng.poisson(k * sd)
    if cases <= 0:
        return
    weeks = start + np.floor(rng.lognormal(0.0, 0.5, cases)).astype(int)
    weeks = weeks[weeks < WEEKS]
    np.add.at(y, weeks, 1)
    flag[np.unique(weeks)] = True


def simulate(reps: int, seed: int, current: bool = True):
    """Counts (series x weeks), current-outbreak flags, start week and k per series."""
    rng = np.random.default_rng(seed)
    rows, flags, starts, kvals, scen = [], [], [], [], []
    for s_idx, sc in enumerate(scenarios()):
        mu = baseline_mean(sc)
        phi = PHI[sc["i"]]
        for _ in range(reps):
            y = _nb(rng, mu, phi).astype(float)
            past = np.zeros(WEEKS, dtype=bool)
            for k in KS:  # four past outbreaks in the baseline
                start = int(rng.integers(312, 560))
                _outbreak(rng, y, past, start, k, np.sqrt(phi * mu[start]))
            now = np.zeros(WEEKS, dtype=bool)
            k = int(rng.choice(KS)) if current else 0
            start = int(rng.integers(575, 615)) if current else -1
            if current:
                _outbreak(rng, y, now, start, k, np.sqrt(phi * mu[start]))
            rows.append(y)
            flags.append(now)
            starts.append(start)
            kvals.append(k)
            scen.append(s_idx)
    return np.array(rows), np.array(flags), np.array(starts), np.array(kvals), np.array(scen)


def run_method(method: str, y: np.ndarray) -> detect.Detection:
    if method == "farrington":
        return detect.farrington(y, periods=EVAL)
    return detect.detect(y, method)


def _at_eval(det: detect.Detection, values: np.ndarray) -> np.ndarray:
    cols = [list(det.periods).index(c) for c in EVAL]
    return values[:, cols]


def quality(alarm: np.ndarray, flags: np.ndarray, starts: np.ndarray) -> dict:
    """alarm, flags: (series, eval weeks)."""
    quiet = ~flags
    fpr = float(alarm[quiet].sum() / max(quiet.sum(), 1))
    has = flags.any(axis=1)
    detected = (alarm & flags).any(axis=1) & has
    pod = float(detected.sum() / max(has.sum(), 1))
    lag = []
    for s in np.flatnonzero(detected):
        first = np.flatnonzero(alarm[s] & (np.arange(len(EVAL)) >= starts[s] - EVAL[0]))
        if len(first):
            lag.append(first[0] - (starts[s] - EVAL[0]))
    return {"fpr": round(fpr, 4), "pod": round(pod, 3), "weeks_to_detection": round(float(np.mean(lag)), 2)
            if lag else None}


def calibrate(reps: int, seed: int) -> dict:
    y, _, _, _, _ = simulate(reps, seed, current=False)
    out = {}
    for method in METHODS:
        det = run_method(method, y)
        p = _at_eval(det, det.pvalue)
        e = _at_eval(det, det.expected)
        sup = _at_eval(det, det.suppressed)
        p = np.where(sup, 1.0, p)  # suppressed weeks cannot warn: count them as quiet
        cut = detect.calibrate(p, e)
        out[method] = cut
        print(f"{method:>10}: {len(p.ravel()):,} null weeks; " + "; ".join(
            f"e<{edge}: " + ", ".join(f"{x:.3g}" for x in row)
            for edge, row in zip([*cut.edges, "inf"], cut.table, strict=True)), file=sys.stderr)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=40, help="series per scenario")
    parser.add_argument("--seed", type=int, default=2013)
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    if args.calibrate:
        cut = calibrate(args.reps, args.seed + 1)
        print("CALIBRATED = {")
        for m, c in cut.items():
            rows = ",\n        ".join("(" + ", ".join(f"{x:.3g}" for x in r) + ")" for r in c.table)
            print(f'    "{m}": Cutoffs(table=(\n        {rows},\n    ), edges={c.edges}),')
        print("}")
        return 0
    started = time.perf_counter()
    y, flags, starts, kvals, scen = simulate(args.reps, args.seed)
    flags_eval = flags[:, EVAL]
    results = {}
    timings = {}
    for method in METHODS:
        t0 = time.perf_counter()
        det = run_method(method, y)
        timings[method] = round(time.perf_counter() - t0, 2)
        p = _at_eval(det, det.pvalue)
        e = _at_eval(det, det.expected)
        sup = _at_eval(det, det.suppressed)
        nominal = _at_eval(det, det.alarm(0.01))
        levels = detect.grade(p, e, detect.CALIBRATED[method], sup)
        row = {"nominal": quality(nominal, flags_eval, starts),
               "blue+": quality(levels >= 1, flags_eval, starts),
               "yellow+": quality(levels >= 2, flags_eval, starts)}
        row["pod_by_k_blue+"] = {k: quality((levels >= 1)[kvals == k], flags_eval[kvals == k],
                                            starts[kvals == k])["pod"] for k in KS}
        results[method] = row
    print(f"{'method':>10} | {'nominal p<0.01':^28} | {'calibrated: blue or higher':^28} | {'yellow or higher':^28}")
    print(f"{'':>10} | {'FPR':>7} {'POD':>7} {'weeks':>7}    | {'FPR':>7} {'POD':>7} {'weeks':>7}    "
          f"| {'FPR':>7} {'POD':>7} {'weeks':>7}")
    for method, row in results.items():
        cells = []
        for key in ("nominal", "blue+", "yellow+"):
            q = row[key]
            cells.append(f"{q['fpr']:>7.4f} {q['pod']:>7.3f} {q['weeks_to_detection'] or float('nan'):>7.2f}   ")
        print(f"{method:>10} | " + " | ".join(cells))
    print("POD by outbreak size k (blue or higher): " + "; ".join(
        f"{m}: " + ", ".join(f"k={k} {v:.2f}" for k, v in row["pod_by_k_blue+"].items()) for m, row in results.items()))
    print(json.dumps({"bench": "detect_quality", "n": int(len(y)), "weeks": WEEKS, "eval_weeks": len(EVAL),
                      "ours_s": round(time.perf_counter() - started, 2), "peer": None, "peer_s": None,
                      "ratio": None, "method_s": timings, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
