"""Did a special campaign (专项整治) work? Pure: NumPy/SciPy only, no Django (docs/campaigns.md).

Two estimates of the campaign's effect on REPORTED incidents (reported by residents or victims;
incidents discovered by patrols are left out, because a campaign that patrols more discovers more,
and counting that as "more crime" or "less crime" measures the patrols, not the problem):

(a) **Against the baseline** (:func:`baseline_effect`): observed counts in the campaign weeks over
    the safety module's expected counts (Farrington/Noufaily, safety/detect.py) for the same weeks.
    The interval comes from **placebo windows**: the same ratio for earlier windows of the same
    length before the campaign, where nothing was done. Their spread holds both the noise of the
    counts and the error of the baseline itself, so the interval is honest about both; it needs at
    least ``MIN_PLACEBOS`` such windows with a baseline (about 3 years of history before them).
(b) **Difference in differences** (:func:`did_effect`) against **comparison areas** chosen by
    similarity of their weekly reported counts before the campaign (:func:`choose_comparison`):
    the ratio (campaign areas after / before) over (comparison areas after / before). Shared
    seasons and city-wide changes cancel. The variance is the quasi-Poisson one of the four
    totals, with the overdispersion of the weekly counts estimated before the campaign.

Both are rate ratios: 1 = no change, 0.7 = 30 % fewer reported incidents than expected. The verdict
is "no measurable effect" whenever the 95 % interval contains 1. tests/safety/test_campaign_effect.py
proves by simulation that a planted 30 % reduction is found and that campaigns without an effect
are declared effective about 5 % of the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

MIN_PLACEBOS = 4
REDUCTION, INCREASE, NO_EFFECT, NOT_ESTIMABLE = "reduction", "increase", "no_measurable_effect", "not_estimable"


@dataclass(frozen=True)
class Effect:
    method: str                 # "baseline" | "did"
    observed: float             # reported incidents in the campaign areas and weeks
    expected: float | None      # what the method expected without the campaign
    ratio: float | None         # observed / expected (rate ratio)
    low: float | None           # its interval at ``confidence``
    high: float | None
    verdict: str                # REDUCTION | INCREASE | NO_EFFECT | NOT_ESTIMABLE
    detail: str = ""            # why not estimable, in English (pages translate by verdict)

    @property
    def change_percent(self) -> float | None:
        return None if self.ratio is None else (self.ratio - 1.0) * 100.0


def _verdict(low: float, high: float) -> str:
    if high < 1.0:
        return REDUCTION
    if low > 1.0:
        return INCREASE
    return NO_EFFECT


def _z(confidence: float) -> float:
    return float(-special.ndtri((1.0 - confidence) / 2.0))


def _t(confidence: float, df: int) -> float:
    return float(special.stdtrit(df, 1.0 - (1.0 - confidence) / 2.0))


def dispersion(weekly: np.ndarray) -> float:
    """Overdispersion of weekly counts (variance / mean of the residuals around a straight line in
    time, Pearson form), floored at 1 (Poisson). ``weekly`` is 1-D."""
    y = np.asarray(weekly, dtype=float)
    n = len(y)
    if n < 4 or y.sum() <= 0:
        return 1.0
    t = np.arange(n, dtype=float)
    slope, intercept = np.polyfit(t, y, 1)
    mu = np.maximum(intercept + slope * t, 0.5)
    phi = float(np.sum((y - mu) ** 2 / mu) / (n - 2))
    return max(phi, 1.0)


def did_effect(treated_pre: np.ndarray, treated_post: np.ndarray, control_pre: np.ndarray, control_post: np.ndarray,
               *, confidence: float = 0.95) -> Effect:
    """Difference in differences of weekly counts: ``treated_*`` 1-D (weeks), ``control_*`` 1-D (the
    comparison areas summed per week) or 2-D (area x week, summed here). Pre and post may differ in
    length; the ratio uses totals, so the week counts cancel."""
    tp, tq = np.asarray(treated_pre, float), np.asarray(treated_post, float)
    cp, cq = np.asarray(control_pre, float), np.asarray(control_post, float)
    if cp.ndim == 2:
        cp, cq = cp.sum(axis=0), cq.sum(axis=0)
    totals = [tp.sum(), tq.sum(), cp.sum(), cq.sum()]
    observed = float(totals[1])
    if len(tp) < 4 or len(tq) < 1:
        return Effect("did", observed, None, None, None, None, NOT_ESTIMABLE, "too few weeks before or during")
    if min(totals[0], totals[2], totals[3]) <= 0:
        return Effect("did", observed, None, None, None, None, NOT_ESTIMABLE, "no incidents to compare with")
    a, b, c, d = (x + 0.5 if x == 0 else x for x in totals)  # a zero during the campaign: +1/2
    log_ratio = math.log(b) - math.log(a) - math.log(d) + math.log(c)
    phi_t, phi_c = dispersion(tp), dispersion(cp)
    se = math.sqrt(phi_t * (1 / a + 1 / b) + phi_c * (1 / c + 1 / d))
    z = _z(confidence)
    ratio, low, high = math.exp(log_ratio), math.exp(log_ratio - z * se), math.exp(log_ratio + z * se)
    expected = totals[0] * totals[3] / totals[2]  # the campaign areas' before, moved as the comparison moved
    return Effect("did", observed, float(expected), ratio, low, high, _verdict(low, high))


def placebo_log_ratios(observed: np.ndarray, expected: np.ndarray, *, start: int, length: int) -> np.ndarray:
    """log(observed / expected) of the non-overlapping windows of ``length`` weeks that end before
    week ``start`` (counted back from it) and have an expected count in every week."""
    y, mu = np.asarray(observed, float), np.asarray(expected, float)
    out = []
    end = start
    while end - length >= 0:
        window = slice(end - length, end)
        e, o = mu[window], y[window]
        if np.isnan(e).any() or np.isnan(o).any():
            break
        out.append(math.log(max(o.sum(), 0.5)) - math.log(max(e.sum(), 0.5)))
        end -= length
    return np.array(out[::-1])


def baseline_effect(observed: np.ndarray, expected: np.ndarray, *, start: int, end: int,
                    confidence: float = 0.95, history_end: int | None = None) -> Effect:
    """Observed over expected in weeks ``start`` .. ``end - 1`` of the 1-D series; the interval from
    the placebo windows before ``history_end`` (default ``start``; the campaign's first week when
    judging the weeks after it), a t interval on the log scale with their mean as the bias."""
    y, mu = np.asarray(observed, float), np.asarray(expected, float)
    o, e = float(y[start:end].sum()), float(np.sum(mu[start:end]))
    if end <= start or np.isnan(mu[start:end]).any():
        return Effect("baseline", o, None, None, None, None, NOT_ESTIMABLE,
                      "no baseline for the campaign weeks (about 3 years of history are needed)")
    placebos = placebo_log_ratios(y, mu, start=start if history_end is None else min(start, history_end),
                                  length=end - start)
    if len(placebos) < MIN_PLACEBOS:
        return Effect("baseline", o, e, o / e if e > 0 else None, None, None, NOT_ESTIMABLE,
                      "too few earlier windows with a baseline to judge the error of the baseline")
    k = len(placebos)
    bias, spread = float(placebos.mean()), float(placebos.std(ddof=1))
    log_ratio = math.log(max(o, 0.5)) - math.log(e) - bias
    half = _t(confidence, k - 1) * spread * math.sqrt(1 + 1 / k)  # a new window, and the bias estimated
    ratio, low, high = math.exp(log_ratio), math.exp(log_ratio - half), math.exp(log_ratio + half)
    return Effect("baseline", o, e * math.exp(bias), ratio, low, high, _verdict(low, high))


def choose_comparison(treated_pre: np.ndarray, candidates_pre: np.ndarray, *, k: int = 5,
                      min_total: float = 10.0) -> np.ndarray:
    """Indices of the ``k`` candidate areas most like the campaign areas before the campaign: the
    distance of their weekly shapes (each series over its own mean) plus the distance of their
    levels (log of the mean ratio). Candidates with fewer than ``min_total`` incidents are left
    out (their shape is noise)."""
    t = np.asarray(treated_pre, float)
    c = np.atleast_2d(np.asarray(candidates_pre, float))
    totals = c.sum(axis=1)
    usable = np.flatnonzero(totals >= min_total)
    if not len(usable) or t.sum() <= 0:
        return np.array([], dtype=int)
    tm = t.mean()
    cm = c[usable].mean(axis=1)
    shape = np.sqrt(np.mean((c[usable] / cm[:, None] - t / tm) ** 2, axis=1))
    level = np.abs(np.log(cm / tm))
    order = np.argsort(shape + level, kind="stable")
    return usable[order[:k]]


@dataclass(frozen=True)
class ReportingChange:
    discovered_share_before: float | None
    discovered_share_during: float | None
    changed: bool  # the share of discovered incidents moved beyond chance (two-proportion test, 5 %)


def reporting_change(reported_before: float, discovered_before: float, reported_during: float,
                     discovered_during: float) -> ReportingChange:
    """Did the way incidents come to light change? The share discovered by patrols before and
    during; a significant change warns that counts of all incidents would measure the patrols."""
    n1, n2 = reported_before + discovered_before, reported_during + discovered_during
    if n1 <= 0 or n2 <= 0:
        return ReportingChange(None, None, False)
    p1, p2 = discovered_before / n1, discovered_during / n2
    pooled = (discovered_before + discovered_during) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    changed = se > 0 and abs(p2 - p1) / se > _z(0.95)
    if pooled in (0.0, 1.0):
        changed = p1 != p2
    return ReportingChange(p1, p2, bool(changed))
