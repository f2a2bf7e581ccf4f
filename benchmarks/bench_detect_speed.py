"""Speed of the regression detector (Farrington-flexible / Noufaily, detect.py) on 200,000 weekly
series of 5 years (10,000 grids x 20 categories), evaluating the latest week of every series, against
statsmodels' GLM fitted per series (the same steps: fit, Anscombe residuals, reweight, refit) on a
sample, in the same run. Prints one JSON line; the ratio is per-series time peer / ours.

    .venv/bin/python benchmarks/bench_detect_speed.py [--series 200000] [--sample 200]
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


def simulate(n_series: int, weeks: int, seed: int) -> np.ndarray:
    """Grid x category weekly counts: a lognormal mean per series (mostly small), yearly season,
    overdispersed (negative binomial, phi 1.5)."""
    rng = np.random.default_rng(seed)
    base = np.exp(rng.normal(-0.5, 1.0, n_series))
    phase = rng.uniform(0, 2 * np.pi, n_series)
    out = np.empty((n_series, weeks))
    t = np.arange(weeks)
    for lo in range(0, n_series, 20_000):
        hi = min(lo + 20_000, n_series)
        mu = base[lo:hi, None] * (1 + 0.3 * np.sin(2 * np.pi * t[None, :] / 52 + phase[lo:hi, None]))
        out[lo:hi] = rng.negative_binomial(mu / 0.5, 1 / 1.5)
    return out


def peer_one(y: np.ndarray, k: int, params: detect.FarringtonParams, alpha: float = 0.01) -> tuple[float, float]:
    """statsmodels: quasi-Poisson GLM with trend and seasonal factor, Anscombe reweighting, refit;
    trend dropped when over-extrapolating; NB plug-in threshold (as surveillance::farringtonFlexible)."""
    import statsmodels.api as sm
    from scipy import stats

    b_eff = min(params.b, (k - params.w) // params.freq)
    offsets = np.arange(params.past_weeks_not_included + 1, b_eff * params.freq + params.w + 1)
    groups = detect.seasonal_blocks(offsets, freq=params.freq, w=params.w, no_periods=params.no_periods)
    resp = y[k - offsets]
    t = -offsets / params.freq
    dummies = (groups[:, None] == np.unique(groups)[None, 1:]).astype(float)

    def fit(with_trend: bool):
        X = np.column_stack([np.ones_like(t)] + ([t] if with_trend else []) + [dummies])
        m = sm.GLM(resp, X, family=sm.families.Poisson()).fit(scale="X2")
        phi = max(m.scale, 1.0)
        h = m.get_influence().hat_matrix_diag
        mu = m.fittedvalues
        s = 1.5 * (resp ** (2 / 3) * mu ** (-1 / 6) - mu ** 0.5) / np.sqrt(phi * (1 - h))
        high = s > params.weights_threshold
        omega = np.where(high, s ** -2.0, 1.0)
        omega *= len(s) / omega.sum()
        m2 = sm.GLM(resp, X, family=sm.families.Poisson(), var_weights=omega).fit(scale="X2")
        return float(np.exp(m2.params[0])), max(m2.scale, 1.0)

    mu0, phi = fit(True)
    if mu0 > resp.max():
        mu0, phi = fit(False)
    if phi > 1:
        p = stats.nbinom.sf(y[k] - 1, mu0 / (phi - 1), 1 / phi)
    else:
        p = stats.poisson.sf(y[k] - 1, mu0)
    return mu0, float(p)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=200_000)
    parser.add_argument("--weeks", type=int, default=5 * 52)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    y = simulate(args.series, args.weeks, args.seed)
    k = args.weeks - 1
    params = detect.FarringtonParams()

    started = time.perf_counter()
    result = detect.farrington(y, periods=[k], params=params)
    ours = time.perf_counter() - started

    rng = np.random.default_rng(args.seed + 1)
    sample = rng.choice(args.series, size=min(args.sample, args.series), replace=False)
    started = time.perf_counter()
    peer = [peer_one(y[i], k, params) for i in sample]
    peer_s = time.perf_counter() - started
    # agreement of the expected counts on the sample (trend/fallback rules are the same)
    mu_ours = result.expected[sample, 0]
    mu_peer = np.array([p[0] for p in peer])
    rel = np.abs(mu_ours - mu_peer) / np.maximum(mu_peer, 1e-9)
    per_ours = ours / args.series
    per_peer = peer_s / len(sample)
    print(json.dumps({
        "bench": "detect_speed", "n": args.series, "weeks": args.weeks, "ours_s": round(ours, 3),
        "peer": "statsmodels GLM per series (sample)", "peer_n": len(sample), "peer_s": round(peer_s, 3),
        "ours_us_per_series": round(per_ours * 1e6, 2), "peer_ms_per_series": round(per_peer * 1e3, 3),
        "ratio": round(per_peer / per_ours, 1), "peer_extrapolated_s": round(per_peer * args.series, 1),
        "median_rel_diff_expected": float(np.median(rel)), "p99_rel_diff_expected": float(np.quantile(rel, 0.99)),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
