"""A per-series reference of Farrington-flexible / Noufaily with statsmodels (one GLM per series),
written directly from surveillance's farringtonFlexible steps. Used only as a test oracle.

The settings are Noufaily et al. (2013)'s published ones, written here as literals, never read from
the code under test (a changed default in safety/detect.py must fail the comparison):
b = 5 years, w = 3, noPeriods = 10 seasonal levels, weightsThreshold = 2.58,
pastWeeksNotIncluded = 26, pThresholdTrend = 1, weekly data (52 periods a year), no population
offset, thresholdMethod = "nbPlugin" (the negative binomial with the fitted mean and dispersion);
alpha is the caller's.
"""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from scipy import stats

B = 5
W = 3
NO_PERIODS = 10
WEIGHTS_THRESHOLD = 2.58
PAST_WEEKS_NOT_INCLUDED = 26
P_THRESHOLD_TREND = 1.0
FREQ = 52


def blocks(offsets: np.ndarray) -> np.ndarray:
    """surveillance's seasonal factor for periods ``offsets`` before the current one: 0 within w of
    the same week of a past year, else one of noPeriods - 1 = 9 blocks that split the other
    52 - 7 = 45 weeks of each year into 5-week blocks, numbered 1..9 backwards in time."""
    m = np.asarray(offsets) % FREQ
    window = (m <= W) | (m >= FREQ - W)
    size = (FREQ - 2 * W - 1) // (NO_PERIODS - 1)  # 5
    return np.where(window, 0, (FREQ - W - 1 - m) // size + 1)


def reference(y: np.ndarray, k: int, alpha: float = 0.01):
    b_eff = min(B, (k - W) // FREQ)
    offsets = np.arange(PAST_WEEKS_NOT_INCLUDED + 1, b_eff * FREQ + W + 1)
    groups = blocks(offsets)
    resp = y[k - offsets]
    t = -offsets / FREQ
    levels = np.unique(groups)
    dummies = (groups[:, None] == levels[None, 1:]).astype(float)

    def fit(with_trend):
        cols = [np.ones_like(t)] + ([t] if with_trend else []) + [dummies]
        X = np.column_stack(cols)
        m = sm.GLM(resp, X, family=sm.families.Poisson()).fit(scale="X2")
        phi = max(m.scale, 1.0)
        h = m.get_influence().hat_matrix_diag
        mu = m.fittedvalues
        s = 1.5 * (resp ** (2 / 3) * mu ** (-1 / 6) - mu ** 0.5) / np.sqrt(phi * (1 - h))
        high = s > WEIGHTS_THRESHOLD
        gam = len(s) / (np.sum(s[high] ** -2.0) + np.sum(~high))
        omega = np.where(high, gam * s ** -2.0, gam)
        m2 = sm.GLM(resp, X, family=sm.families.Poisson(), var_weights=omega).fit(scale="X2")
        phi2 = max(m2.scale, 1.0)
        x0 = np.zeros(X.shape[1])
        x0[0] = 1.0
        return float(np.exp(x0 @ m2.params)), phi2, m2

    mu0, phi, m2 = fit(True)
    p_trend = m2.pvalues[1]
    if not (p_trend < P_THRESHOLD_TREND and mu0 <= resp.max()):
        mu0, phi, _ = fit(False)
    if phi > 1:  # nbPlugin
        size, prob = mu0 / (phi - 1), 1 / phi
        upper = stats.nbinom.isf(alpha, size, prob)
        p = stats.nbinom.sf(y[k] - 1, size, prob)
    else:
        upper = stats.poisson.isf(alpha, mu0)
        p = stats.poisson.sf(y[k] - 1, mu0)
    return mu0, phi, upper, p
