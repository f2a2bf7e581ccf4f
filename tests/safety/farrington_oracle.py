"""A per-series reference of Farrington-flexible / Noufaily with statsmodels (one GLM per series),
written directly from surveillance's farringtonFlexible steps. Used only as a test oracle."""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from scipy import stats

from gridgov.safety.detect import FarringtonParams, seasonal_blocks


def reference(y: np.ndarray, k: int, params: FarringtonParams | None = None, alpha: float = 0.01):
    params = params or FarringtonParams()
    b_eff = min(params.b, (k - params.w) // params.freq)
    offsets = np.arange(params.past_weeks_not_included + 1, b_eff * params.freq + params.w + 1)
    groups = seasonal_blocks(offsets, freq=params.freq, w=params.w, no_periods=params.no_periods)
    resp = y[k - offsets]
    t = -offsets / params.freq
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
        high = s > params.weights_threshold
        gam = len(s) / (np.sum(s[high] ** -2.0) + np.sum(~high))
        omega = np.where(high, gam * s ** -2.0, gam)
        m2 = sm.GLM(resp, X, family=sm.families.Poisson(), var_weights=omega).fit(scale="X2")
        phi2 = max(m2.scale, 1.0)
        x0 = np.zeros(X.shape[1])
        x0[0] = 1.0
        return float(np.exp(x0 @ m2.params)), phi2, m2

    mu0, phi, m2 = fit(True)
    p_trend = m2.pvalues[1]
    if not (p_trend < params.p_threshold_trend and mu0 <= resp.max()):
        mu0, phi, _ = fit(False)
    if phi > 1:
        size, prob = mu0 / (phi - 1), 1 / phi
        upper = stats.nbinom.isf(alpha, size, prob)
        p = stats.nbinom.sf(y[k] - 1, size, prob)
    else:
        upper = stats.poisson.isf(alpha, mu0)
        p = stats.poisson.sf(y[k] - 1, mu0)
    return mu0, phi, upper, p
