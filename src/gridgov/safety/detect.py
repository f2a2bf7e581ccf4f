"""Aberration detection on count series, vectorised over many series at once (pure: no Django).

Input is a matrix of counts, one row per series and one column per period (week or day), NaN
where a series has no value (before it starts or after it ends). Every method returns a
``Detection`` with, per series and period: the expected count, the upper threshold at the
significance ``alpha``, a one-sided p-value (probability of a count at least this high if the
period were normal) and the exceedance score ``(observed - expected) / (threshold - expected)``
(>= 1 means above the threshold). Periods without enough history are NaN ("grey").

Methods (docs/safety.md, ../shared/reference/analytics.md §1):

* ``farrington``: quasi-Poisson regression with trend and a 10-level seasonal factor, past
  outbreaks down-weighted by Anscombe residuals, negative-binomial threshold, i.e.
  Farrington-flexible with the Noufaily et al. (2013) settings (b=5, w=3, noPeriods=10,
  weightsThreshold=2.58, pastWeeksNotIncluded=26, pThresholdTrend=1, nbPlugin). The IRLS fit is
  solved in closed form for all series at once: the design (one level per seasonal block plus a
  trend) has a diagonal block, so the normal equations reduce to a Schur complement.
* ``ewma``: the CDC ESSENCE EWMA detector (Rnssp ``alert_ewma``): two smoothers (0.4, 0.9),
  baseline 11..28 periods with a 2-period guard band, corrected sigma, Student-t p-value, the
  smaller p of the two, smoothed values clipped at the alert limit.
* ``ears``: EARS C1, C2 and C3. C3 follows the CDC definition (the sum of the last three C2
  exceedances over 1, current period included); R ``surveillance``'s C3 ignores the current count.

Farrington fits every (series, period) pair of the same design together, so its cost grows with
the number of pairs, not with the number of periods; EWMA's recursion and the running sums of EWMA
and EARS are the Python loops over periods (a few array operations on all series each), never
over series. ``since`` (a column index) evaluates only the periods from there on; the earlier ones
still serve as history (EARS computes only the periods reported, EWMA runs its smoothers over all).
``detect_auto`` runs EWMA only on the series Farrington leaves cells to, EARS C1 only on those EWMA
also leaves.

Distribution functions come from ``scipy.special`` (importing ``scipy.stats`` costs seconds, which
``gridgov detect`` would pay on every run); they are written as scipy.stats defines them, and
tests/safety/test_detect.py compares them with scipy.stats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

LEVELS: tuple[str, ...] = ("none", "blue", "yellow", "orange", "red")
#: Chinese grade of each level (突发事件应对法 第42条: 一级 red highest).
LEVEL_GRADES: dict[str, str] = {"blue": "四级", "yellow": "三级", "orange": "二级", "red": "一级"}
NO_BASELINE = -1  # "grey": not enough history to judge
METHODS: tuple[str, ...] = ("farrington", "ewma", "c1", "c2", "c3")


@dataclass(frozen=True)
class Detection:
    """Results of one method, arrays of shape (series, periods); NaN where not evaluated."""

    method: str
    periods: np.ndarray  # column index into the input of each result column
    observed: np.ndarray
    expected: np.ndarray
    threshold: np.ndarray
    pvalue: np.ndarray
    score: np.ndarray
    alpha: float
    #: no alarm allowed although p may be small (Farrington: < 5 cases in the last 4 periods)
    suppressed: np.ndarray = field(default=None)  # type: ignore[arg-type]  # None: zeros, set in __post_init__

    def __post_init__(self):
        if self.suppressed is None:
            object.__setattr__(self, "suppressed", np.zeros(self.expected.shape, dtype=bool))

    @property
    def evaluated(self) -> np.ndarray:
        return ~np.isnan(self.pvalue)

    def alarm(self, alpha: float | None = None) -> np.ndarray:
        """True where the p-value is below ``alpha`` (default: the detector's) and not suppressed."""
        a = self.alpha if alpha is None else alpha
        with np.errstate(invalid="ignore"):
            return (self.pvalue < a) & ~self.suppressed & self.evaluated


def as_matrix(counts) -> np.ndarray:
    """A float (series, periods) array (not copied when it is one already); 1-D = one series."""
    y = np.asarray(counts, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2:
        raise ValueError("counts must be a 1-D or 2-D array (series x periods)")
    if (y < 0).any():
        raise ValueError("counts must not be negative")
    return y


# ------------------------------------------------------------------------------------------
# Distribution functions (scipy.stats' definitions on scipy.special's primitives)

def _norm_sf(x):
    return special.ndtr(-np.asarray(x, dtype=float))


def _norm_isf(q: float) -> float:
    return float(-special.ndtri(q))


def _t_sf(x, df):
    return special.stdtr(df, -np.asarray(x, dtype=float))


def _t_isf(q: float, df):
    return -special.stdtrit(df, q)


def _poisson_sf(k, mu):
    """P(X > k) for X ~ Poisson(mu)."""
    k = np.floor(k)
    return np.where(k < 0, 1.0, special.pdtrc(np.maximum(k, 0.0), mu))


def _poisson_isf(q: float, mu):
    """scipy.stats' ``poisson.isf``: its ppf at 1 - q, the smallest k with P(X <= k) >= 1 - q."""
    mu = np.asarray(mu, dtype=float)
    p = 1.0 - q

    def reached(k, rows):
        return special.pdtr(k, mu[rows]) >= p

    return _smallest(reached, _cornish_fisher(q, mu, mu, 1 / np.sqrt(mu)))


def _nbinom_sf(k, n, p):
    """P(X > k) for X ~ NB(n, p) (failures before the n-th success): I_{1-p}(k + 1, n)."""
    k = np.floor(k)
    return np.where(k < 0, 1.0, np.clip(special.betainc(np.maximum(k, 0.0) + 1, n, 1 - p), 0.0, 1.0))


def _nbinom_isf(q: float, mu, phi):
    """scipy.stats' ``nbinom.isf``: the smallest k with P(X > k) <= q, for the negative binomial
    with mean mu and variance phi mu (phi > 1)."""
    mu, phi = np.broadcast_arrays(np.asarray(mu, dtype=float), np.asarray(phi, dtype=float))
    n, p = mu / (phi - 1), 1 / phi

    def reached(k, rows):
        return _nbinom_sf(k, n[rows], p[rows]) <= q

    return _smallest(reached, _cornish_fisher(q, mu, phi * mu, (2 * phi - 1) / np.sqrt(mu * phi)))


def _cornish_fisher(q: float, mean, var, skew):
    """Upper q quantile from the first three moments (a starting point for ``_smallest``)."""
    z = _norm_isf(q)
    with np.errstate(invalid="ignore", over="ignore"):
        x = mean + np.sqrt(var) * (z + skew * (z * z - 1) / 6)
    return np.floor(np.nan_to_num(np.maximum(x, 0.0), posinf=0.0))


def _smallest(reached, guess: np.ndarray, steps: int = 3) -> np.ndarray:
    """Per entry, the smallest whole k >= 0 with ``reached(k, rows)`` (monotone in k: False up to
    some k, True from there; ``rows`` says which entries ``k`` belongs to). Walks a few steps from
    ``guess``, then brackets and bisects what is still open."""
    k = np.array(guess, dtype=float)
    rows = np.arange(len(k))
    done = reached(k, rows)
    up, down = rows[~done], rows[done & (k > 0)]
    for _ in range(steps):  # k not reached yet: step up until it is
        if not len(up):
            break
        k[up] += 1
        up = up[~reached(k[up], up)]
    for _ in range(steps):  # k reached: step down while k - 1 is
        if not len(down):
            break
        lower = reached(k[down] - 1, down)
        down = down[lower]
        k[down] -= 1
        down = down[k[down] > 0]
    if len(up):  # far below: double until reached, then bisect
        lo, hi = k[up].copy(), 2 * k[up] + 1
        for _ in range(1100):
            low = ~reached(hi, up)
            if not low.any():
                break
            lo, hi = np.where(low, hi, lo), np.where(low, 2 * hi + 1, hi)
        k[up] = _bisect(reached, up, lo, hi)
    if len(down):  # far above: bisect between -1 (never reached) and k
        k[down] = _bisect(reached, down, np.full(len(down), -1.0), k[down])
    return k


def _bisect(reached, rows, lo, hi):
    """Smallest reached k in (lo, hi], given lo not reached and hi reached."""
    while (hi - lo > 1).any():
        mid = np.floor((lo + hi) / 2)
        hit = reached(mid, rows)
        hi, lo = np.where(hit, mid, hi), np.where(hit, lo, mid)
    return hi


def _score(y, expected, threshold) -> np.ndarray:
    gap = threshold - expected
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(gap > 0, (y - expected) / np.where(gap > 0, gap, 1.0),
                       np.where(y > expected, np.inf, 0.0))
    out[np.isnan(expected) | np.isnan(y)] = np.nan
    return out


def _since(since: int, periods: int) -> int:
    if since < 0:
        raise ValueError("since must be a period index >= 0")
    return min(int(since), periods)


def _first_valid(y: np.ndarray) -> np.ndarray:
    valid = ~np.isnan(y)
    first = np.argmax(valid, axis=1)
    first[~valid.any(axis=1)] = y.shape[1]
    return first


# ------------------------------------------------------------------------------------------
# EARS C1 / C2 / C3

def ears(counts, *, method: str = "C1", baseline: int = 7, min_sigma: float = 0.5,
         alpha: float | None = None, since: int = 0) -> Detection:
    """EARS C1, C2 or C3 (CDC). ``alpha`` (default 0.001 for C1/C2, 0.025 for C3, the CDC's
    choices) sets the threshold; the p-value is the normal tail of the statistic (nominal: on small
    counts it is far too small, see analytics.md §1.1, hence the calibrated levels). Results for
    the periods from ``since`` on."""
    method = method.upper()
    if method not in ("C1", "C2", "C3"):
        raise ValueError("method must be C1, C2 or C3")
    if baseline < 3:
        raise ValueError("baseline must be at least 3")
    if alpha is None:
        alpha = 0.025 if method == "C3" else 0.001
    y = as_matrix(counts)
    z = _norm_isf(alpha)
    lag = 1 if method == "C1" else 3
    first = _since(since, y.shape[1])
    # only the periods reported are computed (C3 also needs the two before them)
    done = max(0, first - 2) if method == "C3" else first
    mean, sd = _rolling_past(y, baseline, lag, since=done)
    y = y[:, done:]
    sigma = np.maximum(sd, min_sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(sigma > 0, (y - mean) / np.where(sigma > 0, sigma, 1.0),
                     np.where(y > mean, np.inf, np.where(y < mean, -np.inf, 0.0)))
    c[np.isnan(mean) | np.isnan(y)] = np.nan
    if method in ("C1", "C2"):
        threshold = mean + z * sigma
        pvalue = _norm_sf(c)
        expected = mean
    else:
        exceed = np.maximum(0.0, c - 1.0)  # NaN stays NaN
        lagsum = np.full_like(y, np.nan)
        lagsum[:, 2:] = exceed[:, 1:-1] + exceed[:, :-2]
        c3 = lagsum + exceed
        need = z - lagsum  # the current exceedance max(0, C2 - 1) must reach this
        threshold = np.where(need > 0, mean + sigma * (1.0 + need), 0.0)
        threshold = np.maximum(threshold, 0.0)
        threshold[np.isnan(c3)] = np.nan
        pvalue = _norm_sf(c3)
        expected = np.where(np.isnan(c3), np.nan, mean)
    pvalue = np.where(np.isnan(expected), np.nan, pvalue)
    periods = np.arange(first, done + y.shape[1])
    cut = first - done
    y, expected, threshold, pvalue = y[:, cut:], expected[:, cut:], threshold[:, cut:], pvalue[:, cut:]
    return Detection(method.lower(), periods, y, expected, threshold, pvalue,
                     _score(y, expected, threshold), alpha)


def _rolling_past(y: np.ndarray, length: int, lag: int, since: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample sd of y[t-lag-length+1 .. t-lag] for every t from ``since`` on (column 0 of
    the results is period ``since``); NaN unless all present."""
    S, T = y.shape
    yt = np.ascontiguousarray(y.T)
    filled = np.nan_to_num(yt)
    c1, c2, cn = _running_sum(filled), _running_sum(filled * filled), _running_sum((~np.isnan(yt)).astype(float))
    mean = np.full((S, T - since), np.nan)
    sd = np.full((S, T - since), np.nan)
    start = max(lag + length - 1, since)
    if T > start:
        hi = np.arange(start, T) - lag + 1  # exclusive end index into the running sums
        lo = hi - length
        n = cn[hi] - cn[lo]
        s1 = c1[hi] - c1[lo]
        s2 = c2[hi] - c2[lo]
        m = s1 / length
        var = np.maximum((s2 - length * m * m) / (length - 1), 0.0)
        ok = n == length
        mean[:, start - since:] = np.where(ok, m, np.nan).T
        sd[:, start - since:] = np.where(ok, np.sqrt(var), np.nan).T
    return mean, sd


def _running_sum(x: np.ndarray) -> np.ndarray:
    """For x of shape (periods, series): a row of zeros, then the running sums over the periods,
    i.e. np.cumsum(x, axis=0) under a row of zeros: the same additions in the same order, done a
    period at a time for all series at once (NumPy's cumsum, along either axis, takes several times
    as long)."""
    out = np.empty((x.shape[0] + 1,) + x.shape[1:])
    out[0] = 0.0
    for i, row in enumerate(x):
        np.add(out[i], row, out=out[i + 1])
    return out


# ------------------------------------------------------------------------------------------
# EWMA (CDC ESSENCE)

def ewma(counts, *, max_baseline: int = 28, min_baseline: int = 11, guard: int = 2,
         w1: float = 0.4, w2: float = 0.9, alpha: float = 0.01, since: int = 0, chunk: int = 8192) -> Detection:
    """ESSENCE EWMA after Rnssp ``alert_ewma``. The threshold is the count that would make the
    more sensitive of the two smoothers reach the Student-t (1 - alpha) limit this period.
    Results for the periods from ``since`` on (the smoothers still run over the whole series)."""
    y = as_matrix(counts)
    S, T = y.shape
    first = _since(since, T)
    expected, threshold, pvalue = (np.full((S, T - first), np.nan) for _ in range(3))
    for lo in range(0, S, chunk):
        rows = slice(lo, lo + chunk)
        _ewma_block(y[rows], max_baseline, min_baseline, guard, (w1, w2), alpha, first,
                    expected[rows], threshold[rows], pvalue[rows])
    observed = y[:, first:]
    return Detection("ewma", np.arange(first, T), observed, expected, threshold, pvalue,
                     _score(observed, expected, threshold), alpha)


def _ewma_block(y, max_baseline, min_baseline, guard, weights, alpha, first, expected, threshold, pvalue) -> None:
    """EWMA of a block of series. Everything is computed on dense (period, series) arrays, every
    cell at once, but the smoothers (clipped at the alert limit, so each period needs the last),
    which loop over periods; a cell without a baseline has a NaN mean, and NaN wherever it leads."""
    S, T = y.shape
    start = _first_valid(y)
    yt = np.ascontiguousarray(y.T)
    filled = np.nan_to_num(yt)
    c1, c2 = _running_sum(filled), _running_sum(filled * filled)
    # the cells with a baseline: periods lo..hi-1 before the guard band, at least min_baseline
    hi = np.arange(T) - guard
    lo = np.maximum(start[None, :], hi[:, None] - max_baseline)
    n = hi[:, None] - lo
    cell = (n >= min_baseline) & ~np.isnan(yt)
    n = np.where(cell, n, min_baseline)  # a length of the table below where there is no cell
    lengths, which = _distinct(n)
    n = n.astype(float)  # (exact: converted once instead of in every operation)
    lo = np.where(cell, lo, 0)
    top = np.clip(hi, 0, T)[:, None]
    s1 = np.take_along_axis(c1, np.broadcast_to(top, lo.shape), axis=0) - np.take_along_axis(c1, lo, axis=0)
    s2 = np.take_along_axis(c2, np.broadcast_to(top, lo.shape), axis=0) - np.take_along_axis(c2, lo, axis=0)
    mean = s1 / n
    sd = np.sqrt(np.maximum((s2 - n * mean * mean) / (n - 1), 0.0))
    mean[~cell] = np.nan
    # the limits, and each smoother's sigma correction, floor and constant, depend on the baseline
    # length only (at most max_baseline values): computed once per length, then taken per cell
    ucl_alert, ucl_warn, t_alpha = _t_limits(lengths, alpha)
    sigmas = np.empty((len(weights), T, S))  # [j]: the sigma of smoother weights[j]
    for j, w in enumerate(weights):
        corr = np.sqrt(w / (2 - w) + 1 / lengths - 2 * (1 - w) ** (guard + 1) * (1 - (1 - w) ** lengths) / lengths)
        min_sigma = (w / ucl_warn) * (1 + 0.5 * (1 - w) ** 2)
        constant = (0.1289 - (0.2414 - 0.1826 * (1 - w) ** 4) * np.log(10 * 0.05)) * (w / ucl_warn)
        np.maximum(min_sigma[which], sd * corr[which] + constant[which], out=sigmas[j])
    ucl_alert = ucl_alert[which]
    # the smoothers, both at once (row j: weights[j]), over every series of the block each
    # period; where a cell has no baseline the clipping leaves that series' smoothers as they are
    # (NaN compares False). Series starting at period i take that period's count as is.
    w_col = np.array(weights, dtype=float)[:, None]
    rest_col = 1 - w_col
    order = np.argsort(start, kind="stable")
    begins = np.searchsorted(start[order], np.arange(T + 1))
    z = np.full((len(weights), S), np.nan)
    z_now = np.empty((len(weights), T - first, S))  # before clipping, in the periods reported
    with np.errstate(invalid="ignore"):
        for i in range(T):
            yi = yt[i]
            z *= rest_col
            z += w_col * yi
            if begins[i] < begins[i + 1]:
                new = order[begins[i]:begins[i + 1]]
                z[:, new] = yi[new]
            if i >= first:
                z_now[:, i - first] = z
            m, limit, sigma = mean[i], ucl_alert[i], sigmas[:, i]
            stat = (z - m) / sigma
            z = np.where(np.abs(stat) > limit, m + np.sign(stat) * limit * sigma, z)
    # p-values and thresholds of the periods reported
    mean, n, t_alpha, obs, cell = mean[first:], n[first:], t_alpha[which[first:]], yt[first:], cell[first:]
    p_best: np.ndarray | None = None
    thr_best: np.ndarray | None = None
    for j, w in enumerate(weights):
        now, sigma = z_now[j], sigmas[j, first:]
        p = _t_sf((now - mean) / sigma, n - 1)
        # count that brings this smoother to the (1 - alpha) limit: w*y + (1-w)*z_prev = limit
        z_prev = (now - w * obs) / (1 - w) if w < 1 else np.zeros_like(now)
        thr = (mean + t_alpha * sigma - (1 - w) * z_prev) / w
        p_best = p if p_best is None else np.minimum(p_best, p)
        thr_best = thr if thr_best is None else np.minimum(thr_best, thr)
    assert p_best is not None and thr_best is not None  # weights is (w1, w2): the loop ran
    expected[...] = mean.T  # NaN where there is no cell
    threshold[...] = np.where(cell, np.maximum(thr_best, 0.0), np.nan).T
    pvalue[...] = np.where(cell, p_best, np.nan).T


def _distinct(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``n`` (small whole numbers >= 0), ascending, and the index of each
    entry's value among them: np.unique's answer, from a table over 0..max instead of a sort."""
    seen = np.zeros(int(n.max(initial=0)) + 1, dtype=bool)
    seen[n] = True
    return np.flatnonzero(seen), (np.cumsum(seen) - 1)[n]


def _t_limits(lengths: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ESSENCE's alert and warning limits (Student-t 0.01 and 0.05, rounded to 5 decimals) and
    the (1 - alpha) limit, for baselines of ``lengths`` periods."""
    df = lengths - 1
    alert = np.array([round(float(x), 5) for x in _t_isf(0.01, df)])
    warn = np.array([round(float(x), 5) for x in _t_isf(0.05, df)])
    return alert, warn, _t_isf(alpha, df)


# ------------------------------------------------------------------------------------------
# Farrington-flexible with the Noufaily (2013) settings

def seasonal_blocks(offsets: np.ndarray, *, freq: int = 52, w: int = 3, no_periods: int = 10) -> np.ndarray:
    """Seasonal level of each past period ``offsets`` (periods before the current one) as in
    surveillance's ``blocks``: 0 for the window of 2w+1 periods around the same period of a past
    year, 1..no_periods-1 for the blocks that split the rest of each year, in time order."""
    offsets = np.asarray(offsets)
    m = offsets % freq
    window = (m <= w) | (m >= freq - w)
    if no_periods <= 1:
        return np.where(window, 0, -1)
    period = freq - 2 * w - 1
    length, rest = divmod(period, no_periods - 1)
    sizes = np.full(no_periods - 1, length)
    sizes[:rest] += 1
    edges = np.cumsum(sizes)  # exclusive upper edges of u in the blocks
    u = (freq - m) - w - 1  # periods after the end of the earlier window
    block = np.searchsorted(edges, u, side="right") + 1
    return np.where(window, 0, block)


@dataclass(frozen=True)
class FarringtonParams:
    b: int = 5
    w: int = 3
    no_periods: int = 10
    weights_threshold: float = 2.58
    past_weeks_not_included: int = 26
    p_threshold_trend: float = 1.0
    freq: int = 52
    min_years: int = 3
    limit54: tuple[int, int] = (5, 4)
    max_iter: int = 25
    tol: float = 1e-4  # last Newton step on the log scale (the error left is about its square)


def farrington_min_history(params: FarringtonParams = FarringtonParams()) -> int:
    """Periods needed before the first evaluated one."""
    return params.min_years * params.freq + params.w


def farrington(counts, *, periods: Iterable[int] | None = None, alpha: float = 0.01,
               params: FarringtonParams = FarringtonParams(), chunk: int = 1024, since: int = 0) -> Detection:
    """Farrington-flexible / Noufaily for every series at the given period indices (default: all
    periods with ``min_years`` of history before them; with ``since``, only those from there on)."""
    y = as_matrix(counts)
    S, T = y.shape
    need = max(farrington_min_history(params), _since(since, T))
    todo = np.arange(need, T) if periods is None else np.array([k for k in periods if need <= k < T], dtype=int)
    shape = (S, len(todo))
    expected = np.full(shape, np.nan)
    threshold = np.full(shape, np.nan)
    pvalue = np.full(shape, np.nan)
    suppressed = np.zeros(shape, dtype=bool)
    with _single_threaded_blas():
        _farrington_pairs(y, todo, params, alpha, chunk, expected, threshold, pvalue, suppressed)
    observed = y[:, todo]
    return Detection("farrington", todo, observed, expected, threshold, pvalue,
                     _score(observed, expected, threshold), alpha, suppressed)


def _single_threaded_blas():
    """The fits multiply many small matrices: BLAS threads only contend (measured 2x slower on a
    busy 2-core machine). threadpoolctl, when installed, pins BLAS to one thread meanwhile."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _farrington_pairs(y, todo, params, alpha, chunk, expected, threshold, pvalue, suppressed) -> None:
    """Fit every evaluated (series, period) pair. Periods with the same number of past years share
    one design (the reference periods sit at the same offsets), so their pairs are fitted together
    in chunks of ``chunk`` rows: the work grows with the number of pairs, not of periods."""
    if not len(todo):
        return
    need = farrington_min_history(params)
    start = _first_valid(y)
    # a pair is evaluated when the series has min_years of history and a count in the period
    evaluated = (start[:, None] <= todo[None, :] - need) & ~np.isnan(y[:, todo])
    years = np.minimum(params.b, (todo - params.w) // params.freq)
    y23 = _two_thirds(np.nan_to_num(y))  # once per count, not once per reference period of every pair
    for b in np.unique(years):
        cols = np.flatnonzero(years == b)
        design = _design(int(todo[cols[0]]), params)
        if design is None:
            continue
        js, series = np.nonzero(evaluated[:, cols].T)  # period by period, series in order
        js = cols[js]
        for lo in range(0, len(series), chunk):
            s, j = series[lo:lo + chunk], js[lo:lo + chunk]
            k = todo[j]
            ref = (s[:, None], k[:, None] - design.offsets[None, :])
            mu0, phi, ok = _noufaily_fit(y[ref], design, params, y23[ref])
            e, u, p = _nb_plugin(mu0, phi, y[s, k], alpha)
            expected[s, j] = np.where(ok, e, np.nan)
            threshold[s, j] = np.where(ok, u, np.nan)
            pvalue[s, j] = np.where(ok, p, np.nan)
            if params.limit54:  # no alarm with fewer than 5 cases in the last 4 periods
                cases, weeks = params.limit54
                recent = k[:, None] + np.arange(1 - weeks, 1)[None, :]
                counts = np.where(recent >= 0, y[s[:, None], np.maximum(recent, 0)], 0.0)
                suppressed[s, j] = np.nansum(counts, axis=1) < cases


@dataclass(frozen=True)
class _Design:
    """Reference periods of one evaluation in time order (oldest last: ``offsets`` ascending) and
    the seasonal group of each (group 0 = the window around the same period of past years)."""

    offsets: np.ndarray  # periods before the evaluated one, ascending
    group: np.ndarray  # seasonal group of each reference period
    t: np.ndarray  # trend covariate in years, centred on the reference periods' mean
    t0: float  # the covariate at the evaluated period
    n_groups: int
    indicator: np.ndarray  # (n, G): 1 where the period is in the group
    moments: np.ndarray  # (n, 3G): group indicators times 1, t, t^2
    steps: tuple[np.ndarray, np.ndarray] | None  # t = coarse[h] + fine[l] at column F h + l (see exp_trend)

    def expand(self, per_group: np.ndarray) -> np.ndarray:
        return np.take(per_group, self.group, axis=1)  # C order (per_group[:, group] would be F)

    def sums(self, values: np.ndarray) -> np.ndarray:
        return values @ self.indicator

    def exp_trend(self, c: np.ndarray) -> np.ndarray:
        """exp(c t) for every row's c and every reference period. The periods are consecutive,
        so column F h + l has t = coarse[h] + fine[l]: 2 sqrt(n) exponentials a row and one outer
        product instead of n exponentials (which were the fit's main cost); the product differs
        from exp(c t) by a few units in the last place."""
        if self.steps is None:
            return np.exp(c[:, None] * self.t[None, :])
        coarse, fine = self.steps
        out = np.exp(c[:, None, None] * coarse[None, :, None]) * np.exp(c[:, None, None] * fine[None, None, :])
        return out.reshape(len(c), -1)[:, :len(self.t)]


def _design(k: int, params: FarringtonParams) -> _Design | None:
    b_eff = min(params.b, (k - params.w) // params.freq)
    if b_eff < 1:
        return None
    offsets = np.arange(params.past_weeks_not_included + 1, b_eff * params.freq + params.w + 1)
    groups = seasonal_blocks(offsets, freq=params.freq, w=params.w, no_periods=params.no_periods)
    keep = groups >= 0
    offsets, groups = offsets[keep], groups[keep]
    _, groups = np.unique(groups, return_inverse=True)  # contiguous labels, window stays 0
    t = -offsets / params.freq
    centre = float(t.mean())  # centring decorrelates level and trend: fewer Newton steps
    t = t - centre
    G = np.zeros((len(t), groups.max() + 1))
    G[np.arange(len(t)), groups] = 1.0
    moments = np.concatenate([G, G * t[:, None], G * (t * t)[:, None]], axis=1)
    steps = None
    if np.all(np.diff(offsets) == 1):
        fine = max(1, int(np.sqrt(len(offsets))))
        coarse = -(offsets[0] + fine * np.arange(-(-len(offsets) // fine))) / params.freq - centre
        steps = (coarse, -np.arange(fine) / params.freq)
    return _Design(offsets=offsets, group=groups, t=t, t0=-centre, n_groups=G.shape[1], indicator=G,
                   moments=moments, steps=steps)


@dataclass
class _Fit:
    a: np.ndarray  # log mean per group at t=0
    c: np.ndarray  # trend (log scale per year)
    D: np.ndarray  # sum of working weights per group
    tbar: np.ndarray  # weighted mean t per group
    schur: np.ndarray  # s - v'D^-1 v (inf without trend)
    converged: np.ndarray | None = None
    trend: np.ndarray | None = None  # exp(c t) per row and reference period (None: c = 0)


def _poisson_fit(design: _Design, Y: np.ndarray, P: np.ndarray, with_trend: bool,
                 params: FarringtonParams, start: _Fit | None = None) -> _Fit:
    """Weighted Poisson-log regression (the quasi-Poisson estimates) of Y on one level per group
    plus, optionally, the trend, for all rows at once. The Hessian [[diag(D), v], [v', s]] is
    inverted through its Schur complement, so a Newton step costs a few passes over the data.
    Without trend the fit is closed form (log of the weighted group means)."""
    PY = P * Y
    PYg = design.sums(PY)
    Pg = design.sums(P)
    empty = PYg <= 0  # MLE at -inf: fitted 0, excluded from the Newton steps
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(empty, 0.0, np.log(np.where(empty, 1.0, PYg) / np.where(Pg > 0, Pg, 1.0)))
    t = design.t
    if not with_trend:
        return _Fit(a=np.where(empty, -np.inf, a), c=np.zeros(len(Y)), D=np.where(empty, 0.0, PYg),
                    tbar=np.zeros_like(a), schur=np.full(len(Y), np.inf), converged=np.ones(len(Y), dtype=bool))
    if start is not None:
        a = np.where(empty, 0.0, np.where(np.isfinite(start.a), start.a, a))
        c = start.c.copy()
    else:
        c = np.zeros(len(Y))
    PYt = PY @ t
    uniform = bool(np.all(P == 1.0))
    converged = np.zeros(len(Y), dtype=bool)
    G = design.n_groups

    def sums(rows, a_, c_):
        """D (per group), v (per group) and s at (a_, c_) for the given rows: one matrix product.
        Also returns exp(c_ t)."""
        E = design.exp_trend(c_)
        PE = E if uniform else E * P[rows]
        ea = np.where(empty[rows], 0.0, np.exp(a_))
        m = PE @ design.moments
        return ea * m[:, :G], ea * m[:, G:2 * G], (ea * m[:, 2 * G:]).sum(axis=1), E

    active = np.arange(len(Y))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(params.max_iter):
            a_, c_, emp = a[active], c[active], empty[active]
            D, v, s_, _E = sums(active, a_, c_)
            Dsafe = np.where(emp | (D <= 0), 1.0, D)
            vd = np.where(emp, 0.0, v / Dsafe)
            schur = np.maximum(s_ - (v * vd).sum(axis=1), 1e-300)
            ga = np.where(emp, 0.0, PYg[active] - D)
            gc = PYt[active] - v.sum(axis=1)
            # damped Newton: sparse series can overshoot (no step-halving as in glm.fit)
            dc = _step((gc - (vd * ga).sum(axis=1)) / schur, 1.0)
            da = _step((ga - v * dc[:, None]) / Dsafe, 3.0)
            a[active] = np.clip(a_ + da, -30.0, 30.0)
            c[active] = np.clip(c_ + dc, -10.0, 10.0)
            done = np.maximum(np.abs(da).max(axis=1), np.abs(dc)) <= params.tol
            converged[active[done]] = True
            active = active[~done]
            if not len(active):
                break
        # working weights at the final estimates (for hat values and the trend's variance)
        everything = np.arange(len(Y))
        D, v, s_, E = sums(everything, a, c)
        Dsafe = np.where(empty | (D <= 0), 1.0, D)
        vd = np.where(empty, 0.0, v / Dsafe)
        schur = np.maximum(s_ - (v * vd).sum(axis=1), 1e-300)
    return _Fit(a=np.where(empty, -np.inf, a), c=c, D=D, tbar=vd, schur=schur, converged=converged, trend=E)


def _step(x: np.ndarray, limit: float) -> np.ndarray:
    """x clipped to [-limit, limit], NaN as 0 (clip(nan_to_num(x)) in fewer passes)."""
    out = np.clip(x, -limit, limit)
    out[np.isnan(out)] = 0.0
    return out


def _mean(design: _Design, fit: _Fit, power: float = 1.0) -> np.ndarray:
    """Fitted mean to the given power, exp(power (a + c t)); groups fitted at 0 (no cases) get
    a = -30 instead of -inf."""
    level = design.expand(np.exp(power * np.maximum(fit.a, -30.0)))
    if fit.trend is None:
        return level
    if power == 1.0:
        return level * fit.trend
    return level * design.exp_trend(power * fit.c)


def _hat(design: _Design, fit: _Fit, P: np.ndarray, mu: np.ndarray) -> np.ndarray:
    inv = design.expand(1.0 / np.maximum(fit.D, 1e-300))
    if not np.all(np.isinf(fit.schur)):
        dt = design.t[None, :] - design.expand(fit.tbar)
        inv += dt * dt / fit.schur[:, None]
    inv *= mu
    inv *= P
    return np.minimum(inv, 1.0 - 1e-9)


def _dispersion(Y, mu, weights, p: int) -> np.ndarray:
    n = (weights > 0).sum(axis=1)
    r = Y - mu
    r *= r
    r /= mu
    r *= weights
    x2 = r.sum(axis=1) / np.maximum(n - p, 1)
    return np.maximum(np.nan_to_num(x2, nan=1.0, posinf=1.0), 1.0)


def _weights(s: np.ndarray, prior: np.ndarray, threshold: float) -> np.ndarray:
    """surveillance ``algo.farrington.assign.weights``: s^-2 above the threshold, 1 below,
    scaled so the weights of the present observations sum to their number."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        raw = np.where(s > threshold, prior / (s * s), prior)
    gamma = (prior > 0).sum(axis=1) / raw.sum(axis=1)
    raw *= gamma[:, None]
    return raw


def _reweighted_fit(design: _Design, Y, P, Y23, with_trend: bool, params: FarringtonParams):
    """Fit, Anscombe residuals, weights, refit: returns (fit, phi)."""
    n_par = design.n_groups + (1 if with_trend else 0)
    fit = _poisson_fit(design, Y, P, with_trend, params)
    mu = _mean(design, fit)
    phi = _dispersion(Y, mu, P, n_par)
    h = _hat(design, fit, P, mu)
    # Anscombe residuals 3/2 (y^2/3 mu^-1/6 - mu^1/2) / sqrt(phi (1 - h))
    s = Y23 * _mean(design, fit, -1 / 6)
    s -= np.sqrt(mu)
    h -= 1.0
    h *= -phi[:, None]
    s *= 1.5 / np.sqrt(h)
    omega = _weights(s, P, params.weights_threshold)
    fit = _poisson_fit(design, Y, omega, with_trend, params, start=fit)
    mu = _mean(design, fit)
    phi = _dispersion(Y, mu, omega, n_par)
    return fit, phi


def _noufaily_fit(Y: np.ndarray, design: _Design, params: FarringtonParams, Y23: np.ndarray | None = None):
    """Predicted mean at the evaluated period and dispersion, per row of Y (reference counts in
    the design's column order; ``Y23``: Y^(2/3), 0 where Y is missing, when already known). ``ok``
    is False where the reference is too thin to fit."""
    missing = np.isnan(Y)
    P = (~missing).astype(float)
    if missing.any():
        Y = np.where(missing, 0.0, Y)
    if Y23 is None:
        Y23 = _two_thirds(Y)
    nobs = P.sum(axis=1)
    ok = nobs > design.n_groups + 1
    fit, phi = _reweighted_fit(design, Y, P, Y23, True, params)
    mu0 = np.exp(fit.a[:, 0] + fit.c * design.t0)
    # keep the trend only if significant at pThresholdTrend and not over-extrapolating
    with np.errstate(divide="ignore", invalid="ignore"):
        z = fit.c / np.sqrt(phi / fit.schur)
    p_trend = 2 * _norm_sf(np.abs(z))
    ymax = Y.max(axis=1)
    drop = ~((p_trend < params.p_threshold_trend) & (mu0 <= ymax)) | ~fit.converged
    # (as surveillance: without convergence, try again without the trend)
    if drop.any():
        d = np.flatnonzero(drop)
        fit0, phi0 = _reweighted_fit(design, Y[d], P[d], Y23[d], False, params)
        mu0[d] = np.exp(fit0.a[:, 0])  # no trend: the window level itself
        phi[d] = phi0
    # Departure from surveillance: a level never seen in the reference (all counts 0) would give
    # mu0 = 0 and p = 0 for a single case. Floor mu0 at the Jeffreys-type rate 0.5 / n.
    mu0 = np.maximum(np.nan_to_num(mu0, nan=0.0), 0.5 / np.maximum(nobs, 1.0))
    return mu0, phi, ok


def _two_thirds(y: np.ndarray) -> np.ndarray:
    out = np.cbrt(y)
    out *= out
    return out


def _nb_plugin(mu0: np.ndarray, phi: np.ndarray, y: np.ndarray, alpha: float):
    """Expected, upper (1 - alpha) quantile and P(Y >= y) of NB(mean mu0, variance phi*mu0)
    (Poisson when phi == 1)."""
    upper = np.empty_like(mu0)
    pval = np.empty_like(mu0)
    nb = phi > 1.0 + 1e-9
    if nb.any():
        upper[nb] = _nbinom_isf(alpha, mu0[nb], phi[nb])
        pval[nb] = _nbinom_sf(y[nb] - 1, mu0[nb] / (phi[nb] - 1), 1 / phi[nb])
    po = ~nb
    if po.any():
        upper[po] = _poisson_isf(alpha, mu0[po])
        pval[po] = _poisson_sf(y[po] - 1, mu0[po])
    zero = mu0 <= 0
    upper[zero] = 0.0
    pval[zero] = np.where(y[zero] > 0, 0.0, 1.0)
    return mu0, upper, np.clip(pval, 0.0, 1.0)


# ------------------------------------------------------------------------------------------
# Dispatch, levels and calibration

def detect(counts, method: str = "farrington", *, alpha: float = 0.01, **kwargs) -> Detection:
    method = method.lower()
    if method == "farrington":
        return farrington(counts, alpha=alpha, **kwargs)
    if method == "ewma":
        return ewma(counts, alpha=alpha, **kwargs)
    if method in ("c1", "c2", "c3"):
        return ears(counts, method=method, alpha=alpha, **kwargs)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)} or auto")


def detect_auto(counts, *, alpha: float = 0.01, since: int = 0) -> tuple[Detection, np.ndarray]:
    """Per series and period: Farrington where there are >= 3 years of history, else EWMA (>= 13
    periods), else EARS C1 (>= 7). Returns the merged detection (periods from ``since`` on) and
    the method index per cell (into ``("farrington", "ewma", "c1")``, -1 where nothing applies)."""
    y = as_matrix(counts)
    first = _since(since, y.shape[1])
    shape = (y.shape[0], y.shape[1] - first)
    which = np.full(shape, -1, dtype=np.int8)
    out = {k: np.full(shape, np.nan) for k in ("expected", "threshold", "pvalue", "score")}
    suppressed = np.zeros(shape, dtype=bool)
    methods = (lambda v: farrington(v, alpha=alpha, since=first), lambda v: ewma(v, alpha=alpha, since=first),
               lambda v: ears(v, method="C1", alpha=alpha, since=first))
    # each method in turn fills the cells still without a result, and runs only on the series that
    # have such cells (every series is computed on its own: leaving others out changes nothing)
    rows = np.arange(y.shape[0])
    for i, method in enumerate(methods):
        if not len(rows):
            break
        part = method(y if len(rows) == y.shape[0] else y[rows])
        cells = np.ix_(rows, part.periods - first)
        sub = which[cells]
        m = part.evaluated & (sub == -1)
        sub[m] = i
        which[cells] = sub
        for key in out:
            sub = out[key][cells]
            sub[m] = getattr(part, key)[m]
            out[key][cells] = sub
        sub = suppressed[cells]
        sub[m] = part.suppressed[m]
        suppressed[cells] = sub
        rows = rows[(which[rows] == -1).any(axis=1)]
    return Detection("auto", np.arange(first, y.shape[1]), y[:, first:], out["expected"], out["threshold"],
                     out["pvalue"], out["score"], alpha, suppressed), which


@dataclass(frozen=True)
class Cutoffs:
    """p-value cut-offs of the levels blue, yellow, orange, red (each smaller than the last),
    optionally per band of expected count: ``table[i]`` applies where expected < ``edges[i]``
    (the last row above every edge)."""

    table: tuple[tuple[float, ...], ...]  # rows of four, checked in __post_init__
    edges: tuple[float, ...] = ()

    def __post_init__(self):
        if len(self.table) != len(self.edges) + 1:
            raise ValueError("cut-off table needs one row per expected-count band")
        for row in self.table:
            if len(row) != 4 or any(not (0 < x <= 1) for x in row) or list(row) != sorted(row, reverse=True):
                raise ValueError("each row: four p-value cut-offs in (0, 1], decreasing (blue..red)")

    def as_dict(self) -> dict:
        return {"edges": list(self.edges), "table": [list(r) for r in self.table]}

    @classmethod
    def from_dict(cls, data: dict) -> Cutoffs:
        return cls(table=tuple(tuple(float(x) for x in r) for r in data["table"]),
                   edges=tuple(float(x) for x in data.get("edges", ())))


#: ESSENCE-like nominal bands: blue p<0.05, yellow p<0.01, orange p<0.001, red p<0.0001.
NOMINAL = Cutoffs(table=((0.05, 0.01, 0.001, 0.0001),))
#: Target share of null periods at or above each level (blue, yellow, orange, red).
NULL_RATES: tuple[float, float, float, float] = (0.01, 0.002, 0.0005, 0.0001)
EXPECTED_EDGES: tuple[float, ...] = (1.0, 5.0, 20.0)

#: Calibrated on simulated outbreak-free series (benchmarks/bench_detect.py --calibrate,
#: docs/safety.md): per method and band of expected count, the p-values below which a null period
#: falls at the rates NULL_RATES. Regenerate with the benchmark when a method changes.
CALIBRATED: dict[str, Cutoffs] = {
    # benchmarks/bench_detect.py --calibrate --reps 250 (seed 2014): 54 scenarios x 250 series x 49
    # evaluation weeks = 661,500 null weeks per method. EARS/EWMA p-values are nominal only: on small
    # counts they are astronomically small for ordinary weeks, hence cut-offs like 1e-41.
    "farrington": Cutoffs(table=(
        (0.0145, 0.00127, 7.3e-05, 2.3e-06),
        (0.0105, 0.00162, 0.000292, 4.85e-05),
        (0.0142, 0.00247, 0.000477, 0.0001),
        (0.0115, 0.00231, 0.000509, 8.01e-05),
    ), edges=(1.0, 5.0, 20.0)),
    "ewma": Cutoffs(table=(
        (8.42e-05, 1.66e-07, 6.55e-10, 2.45e-13),
        (9.44e-05, 7.07e-07, 4.75e-09, 1.84e-11),
        (1.52e-08, 1.91e-11, 5.87e-13, 1.79e-14),
        (0.000225, 3.48e-06, 8.83e-08, 1.21e-09),
    ), edges=(1.0, 5.0, 20.0)),
    "c1": Cutoffs(table=(
        (5.49e-14, 2.06e-41, 3.16e-104, 4.94e-221),
        (3.99e-08, 5.03e-18, 4.64e-34, 6.16e-70),
        (7.78e-07, 6.59e-13, 2.56e-20, 2.28e-34),
        (7.96e-05, 3.35e-08, 2.45e-13, 1.84e-21),
    ), edges=(1.0, 5.0, 20.0)),
    "c2": Cutoffs(table=(
        (6.08e-15, 7.79e-45, 1.28e-124, 1.79e-249),
        (9.65e-10, 1.44e-23, 7.56e-46, 2.54e-87),
        (4.02e-12, 1.21e-25, 2.2e-53, 7.49e-88),
        (3.47e-06, 1.39e-11, 6.31e-18, 8.39e-30),
    ), edges=(1.0, 5.0, 20.0)),
    "c3": Cutoffs(table=(
        (9.59e-35, 2.55e-130, 4.18e-284, 1e-300),
        (7.62e-24, 1.35e-68, 1.17e-152, 6.17e-274),
        (3.9e-49, 6.32e-127, 1.32e-225, 1e-300),
        (8.18e-19, 5.46e-52, 1.55e-85, 1.07e-132),
    ), edges=(1.0, 5.0, 20.0)),
}


def grade(pvalue, expected=None, cutoffs: Cutoffs = NOMINAL, suppressed=None) -> np.ndarray:
    """Level index per cell: 0 none, 1 blue, 2 yellow, 3 orange, 4 red; -1 where not evaluated.
    Suppressed cells are 0."""
    p = np.asarray(pvalue, dtype=float)
    table = np.asarray(cutoffs.table, dtype=float)
    if cutoffs.edges:
        if expected is None:
            raise ValueError("banded cut-offs need the expected counts")
        band = np.searchsorted(np.asarray(cutoffs.edges), np.nan_to_num(np.asarray(expected, dtype=float)),
                               side="right")
        cut = table[band]
    else:
        cut = np.broadcast_to(table[0], p.shape + (4,))
    with np.errstate(invalid="ignore"):
        level = (p[..., None] < cut).sum(axis=-1).astype(np.int8)
    if suppressed is not None:
        level[np.asarray(suppressed, dtype=bool)] = 0
    level[np.isnan(p)] = NO_BASELINE
    return level


def level_names(levels: np.ndarray) -> np.ndarray:
    names = np.array(["grey", *LEVELS], dtype=object)
    return names[np.asarray(levels) + 1]


def calibrate(pvalue, expected, *, rates: Sequence[float] = NULL_RATES,
              edges: Sequence[float] = EXPECTED_EDGES, min_per_band: int = 2000) -> Cutoffs:
    """Cut-offs from p-values of outbreak-free periods: in each band of expected count, the
    largest cut-off c with share(p < c) <= rate. Bands with fewer than ``min_per_band`` values
    borrow the pooled cut-offs. Never above the nominal ones (a detector is not made laxer)."""
    p = np.asarray(pvalue, dtype=float).ravel()
    e = np.asarray(expected, dtype=float).ravel()
    keep = ~np.isnan(p) & ~np.isnan(e)
    p, e = p[keep], e[keep]

    def cut(values: np.ndarray) -> tuple[float, ...]:
        values = np.sort(values)
        out = []
        for rate, nominal in zip(rates, NOMINAL.table[0], strict=True):
            rank = int(np.floor(rate * len(values)))
            c = float(values[rank]) if rank < len(values) else nominal
            out.append(min(max(c, 1e-300), nominal))
        for i in range(1, 4):  # strictly decreasing
            out[i] = min(out[i], out[i - 1])
        return tuple(out)

    pooled = cut(p)
    band = np.searchsorted(np.asarray(edges), e, side="right")
    table = []
    for b in range(len(edges) + 1):
        values = p[band == b]
        table.append(cut(values) if len(values) >= min_per_band else pooled)
    return Cutoffs(table=tuple(table), edges=tuple(edges))
