"""Patrol allocation that does not run away (issue 19 §3). Pure: NumPy/SciPy only, no Django.

The trap (Lum & Isaac 2016; Ensign et al. 2018): patrols find incidents where they are, so a plan
proportional to *recorded* incidents (reported + discovered) sends patrols back where they already
were, and its share grows period after period. This kernel estimates the *true* rate instead:

* Model. Grid g has an unknown rate theta_g, measured in "expected resident-reported incidents per
  period". Over the history, reported R_g ~ Poisson(theta_g * T_g) (T_g = periods the grid appears
  in) and discovered D_g ~ Poisson(theta_g * kappa * H_g) (H_g = patrol hours; kappa = incidents found
  per patrol hour relative to the reporting rate, common to all grids). Discovered incidents thus
  count *per patrol hour*: a grid patrolled twice as much must find twice as many before its rate
  estimate moves, and the exposure also sets how much they say (uncertainty shrinks with hours).
* kappa and theta by maximum likelihood (a short fixed-point iteration); the pooled counts
  C_g = R_g + D_g and exposures E_g = T_g + kappa * H_g follow.
* Empirical Bayes (gamma-Poisson): theta_g ~ Gamma(a, b) with a, b from the method of moments on the
  exposure-weighted rates (Marshall 1991: between-grid variance = weighted variance - mean / mean
  exposure); posterior Gamma(a + C_g, b + E_g). The prior's weight b is capped at half the mean
  exposure (a / b kept): with many alike grids and one hot one the moment fit is nearly a point mass
  and would pull the hot grid almost to the mean (1.3x for a true 3x among 2,000 grids, measured);
  capped, a grid's own history always carries at least two thirds of the weight. risk = posterior mean; risk_low/high = the central posterior interval.
* Plan. (1 - exploration) * N units proportional to risk; exploration * N units spread over grids by
  low recent exposure (weight 1 / (1 + recent hours / mean recent hours)), each weight multiplied by a
  seeded posterior draw / posterior mean (a Thompson factor: uncertain grids vary more). Then floors
  and caps per grid by water-filling: units_g = clip(lambda * w_g, floor, cap) with lambda chosen so
  that they sum to N exactly.

``naive_plan`` is the peer: units proportional to all recorded incidents so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: periods of "recent" exposure for the exploration weights
RECENT_PERIODS = 4
#: central posterior interval of risk_low / risk_high
INTERVAL = 0.90
#: the prior weighs at most this many times a grid's mean exposure (see _estimate)
PRIOR_WEIGHT = 0.5


@dataclass(frozen=True)
class History:
    """Past periods as (periods x grids) arrays; ``present`` is False where a grid has no row."""

    periods: tuple[str, ...]
    grids: tuple[str, ...]
    reported: np.ndarray
    discovered: np.ndarray
    hours: np.ndarray
    present: np.ndarray


@dataclass(frozen=True)
class Risk:
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    kappa: float
    prior_shape: float
    prior_rate: float
    exposure: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True)
class Plan:
    grids: tuple[str, ...]
    units: np.ndarray
    exploit: np.ndarray
    explore: np.ndarray
    risk: Risk
    recent_hours: np.ndarray


def _period_key(periods: Iterable[str]) -> list[str]:
    """Periods in time order: numerically when all are integers, else as text (ISO dates and weeks
    sort as text)."""
    values = list(periods)
    try:
        return sorted(values, key=int)
    except ValueError:
        return sorted(values)


def history_from_rows(rows: Iterable[tuple[str, str, int, int, float]]) -> History:
    """(period, grid, reported, discovered, patrol_hours) rows -> History. Grids keep the order of
    their first appearance; a repeated (period, grid) raises ValueError."""
    rows = list(rows)
    grids: dict[str, int] = {}
    for _, grid, *_rest in rows:
        grids.setdefault(grid, len(grids))
    order = _period_key({row[0] for row in rows})
    index = {p: i for i, p in enumerate(order)}
    shape = (len(order), len(grids))
    reported, discovered = np.zeros(shape), np.zeros(shape)
    hours, present = np.zeros(shape), np.zeros(shape, dtype=bool)
    for period, grid, rep, dis, hrs in rows:
        i, j = index[period], grids[grid]
        if present[i, j]:
            raise ValueError(f"duplicate period {period} grid {grid}")
        present[i, j] = True
        reported[i, j], discovered[i, j], hours[i, j] = rep, dis, hrs
    return History(tuple(order), tuple(grids), reported, discovered, hours, present)


def estimate_risk(history: History, *, interval: float = INTERVAL) -> Risk:
    periods = history.present.sum(axis=0).astype(float)
    rep = history.reported.sum(axis=0)
    # discovered incidents count only where patrol hours were recorded: without the exposure they
    # cannot be corrected for it, so they are left out (never counted as if reported)
    dis = np.where(history.hours > 0, history.discovered, 0).sum(axis=0)
    hrs = history.hours.sum(axis=0)
    return _estimate(rep, dis, hrs, periods, interval=interval)


def _estimate(rep: np.ndarray, dis: np.ndarray, hrs: np.ndarray, periods: np.ndarray, *,
              interval: float = INTERVAL) -> Risk:
    n = rep.size
    kappa = _kappa(rep, dis, hrs, periods)
    counts = rep + dis
    exposure = periods + kappa * hrs
    usable = exposure > 0
    if not usable.any() or counts[usable].sum() == 0:
        mean_rate = 0.0
        shape, rate = 1.0, 1.0  # nothing observed: a flat, weak prior (all grids alike)
    else:
        e, c = exposure[usable], counts[usable]
        mean_rate = c.sum() / e.sum()
        rates = c / e
        weighted_var = float((e * (rates - mean_rate) ** 2).sum() / e.sum())
        between = weighted_var - mean_rate / e.mean()
        floor = 1e-6 * mean_rate * mean_rate  # no excess variance: pool (almost) fully
        between = max(between, floor)
        shape, rate = mean_rate * mean_rate / between, mean_rate / between
        # cap the prior's weight at PRIOR_WEIGHT x the mean exposure: fitted to an almost
        # homogeneous area, the gamma prior would otherwise average one strong outlier away
        limit = PRIOR_WEIGHT * float(e.mean())
        if rate > limit:
            shape, rate = shape * limit / rate, limit
    post_shape, post_rate = shape + counts, rate + exposure
    tail = (1 - interval) / 2
    mean = post_shape / post_rate if mean_rate > 0 else np.zeros(n)
    low = stats.gamma.ppf(tail, post_shape, scale=1 / post_rate) if mean_rate > 0 else np.zeros(n)
    high = stats.gamma.ppf(1 - tail, post_shape, scale=1 / post_rate)
    return Risk(mean, np.asarray(low, float), np.asarray(high, float), kappa, float(shape), float(rate),
                exposure, counts)


def _kappa(rep: np.ndarray, dis: np.ndarray, hrs: np.ndarray, periods: np.ndarray) -> float:
    """ML estimate of discovered-per-patrol-hour relative to the reporting rate. Unidentified without
    reported incidents or patrol hours: then discovered incidents per hour are scaled so that the
    average patrolled grid's hours weigh as one period."""
    if hrs.sum() == 0 or dis.sum() == 0:
        return 0.0 if hrs.sum() == 0 else 1.0 / max(hrs[hrs > 0].mean() / max(periods.max(), 1), 1e-9)
    if rep.sum() == 0:
        return float(periods.sum() / hrs.sum())
    kappa = float(dis.sum() / max((rep / np.maximum(periods, 1) * hrs).sum(), 1e-12))
    for _ in range(50):
        theta = (rep + dis) / np.maximum(periods + kappa * hrs, 1e-12)
        denom = float((theta * hrs).sum())
        new = dis.sum() / denom if denom > 0 else kappa
        if abs(new - kappa) <= 1e-10 * max(kappa, 1e-12):
            return float(new)
        kappa = float(new)
    return kappa


def recent_hours(history: History, periods: int = RECENT_PERIODS) -> np.ndarray:
    return history.hours[-periods:].sum(axis=0) if history.hours.size else np.zeros(len(history.grids))


def water_fill(weights: np.ndarray, total: float, *, floor: float = 0.0, cap: float | None = None) -> np.ndarray:
    """units_g = clip(lam * w_g, floor, cap) summing to ``total`` (weights >= 0). If every weight is 0
    the units are equal (then clipped). Raises ValueError when floors or caps make it impossible."""
    w = np.asarray(weights, float)
    n = w.size
    upper = np.inf if cap is None else cap
    if n == 0:
        raise ValueError("no grids")
    if floor * n > total * (1 + 1e-12) or upper * n < total * (1 - 1e-12):
        raise ValueError("floors and caps cannot sum to the units")
    if w.sum() <= 0:
        w = np.ones(n)
    if cap is None and floor == 0:
        return total * w / w.sum()
    lo, hi = 0.0, 1.0
    while np.clip(hi * w, floor, upper).sum() < total:
        hi *= 2
        if hi > 1e300:
            break
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.clip(mid * w, floor, upper).sum() < total:
            lo = mid
        else:
            hi = mid
    units = np.clip(hi * w, floor, upper)
    # the grids strictly inside (floor, cap) absorb the last rounding difference
    free = (units > floor) & (units < upper)
    gap = total - units.sum()
    if free.any() and gap:
        units[free] += gap * units[free] / units[free].sum()
    return units


def allocate(history: History, *, units: float, exploration: float = 0.15, floor: float = 0.0,
             cap: float | None = None, seed: int = 0) -> Plan:
    if not 0 <= exploration <= 1:
        raise ValueError("exploration must be between 0 and 1")
    risk = estimate_risk(history)
    n = len(history.grids)
    recent = recent_hours(history)
    exploit_w = risk.mean if risk.mean.sum() > 0 else np.ones(n)
    exploit = (1 - exploration) * units * exploit_w / exploit_w.sum()
    mean_recent = recent.mean() if n else 0.0
    explore_w = 1.0 / (1.0 + recent / mean_recent) if mean_recent > 0 else np.ones(n)
    if risk.mean.sum() > 0:
        rng = np.random.default_rng(seed)
        draw = rng.gamma(risk.prior_shape + risk.counts, 1.0 / (risk.prior_rate + risk.exposure))
        explore_w = explore_w * draw / risk.mean
    explore = exploration * units * explore_w / explore_w.sum()
    planned = water_fill(exploit + explore, units, floor=floor, cap=cap)
    return Plan(history.grids, planned, exploit, explore, risk, recent)


def naive_plan(history: History, *, units: float) -> np.ndarray:
    """The peer: units proportional to every recorded incident so far (reported + discovered);
    equal shares before anything is recorded."""
    recorded = (history.reported + history.discovered).sum(axis=0)
    n = len(history.grids)
    if recorded.sum() == 0:
        return np.full(n, units / n)
    return units * recorded / recorded.sum()


def gini(values: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, ->1 = one holds everything)."""
    x = np.sort(np.asarray(values, float))
    n = x.size
    if n == 0 or x.sum() == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * ranks - n - 1) @ x / (n * x.sum()))


def round_to_sum(values: np.ndarray, total: float, decimals: int = 4) -> np.ndarray:
    """Round to ``decimals`` places so that the rounded values still sum to ``total`` (largest
    remainder), when ``total`` itself has at most that many decimals."""
    scale = 10 ** decimals
    target = int(round(total * scale))
    raw = np.asarray(values, float) * scale
    base = np.floor(raw)
    short = target - int(base.sum())
    if 0 < short <= raw.size:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:short]] += 1
    elif short < 0 and -short <= raw.size:
        order = np.argsort(raw - base, kind="stable")
        base[order[:-short]] -= 1
    return base / scale
