"""Registration and accuracy rates from a stratified sample of houses (pure: NumPy, no Django).

The design is a stratified simple random sample of houses without replacement, each house a cluster
of persons: in R, ``svydesign(ids=~1, strata=~stratum, fpc=~houses)``. For an area (a set of strata)
the estimate is the combined ratio R = Y/X of the weighted totals, and its variance is the Taylor
linearisation of ``survey::svyratio``::

    w_h = N_h / n_h        Y = sum_h w_h sum_i y_hi        X = sum_h w_h sum_i x_hi        R = Y / X
    z_hi = (y_hi - R x_hi) / X
    v(R) = sum_h N_h^2 (1 - n_h/N_h) s2_zh / n_h          (s2_zh: sample variance of z in stratum h)

A stratum with one visited house follows R's ``options(survey.lonely.psu = "adjust")``: the house is
centred at the grand mean of the linearised values, which is 0 for a ratio, and adds
N_h^2 (1 - 1/N_h) z_h1^2. An area with a single visited house has an estimate but no standard error
(R refuses the design). docs/quality.md has the derivation and a worked example.

Everything is vectorised over many campaigns and areas at once: houses carry a group (campaign x
area) index and a stratum index, and the sums are ``np.bincount`` over those indices — no Python loop
per house or per stratum.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from gridgov.core.codes import Level

#: roll-up levels -> digits of the area code taken from the stratum code (0: the whole campaign)
LEVEL_DIGITS: dict[str, int] = {
    "all": 0,
    "district": int(Level.COUNTY),
    "street": int(Level.TOWNSHIP),
    "community": int(Level.COMMUNITY),
    "grid": int(Level.GRID),
}
ALL_AREAS = "all"

#: the yardstick of the seed: 实有人口信息登记率和准确率均在90%以上
TARGET = 0.90
MET, NOT_MET, UNCERTAIN, UNDEFINED = "met", "not_met", "uncertain", "undefined"


@dataclass(frozen=True)
class RatioEstimates:
    """One row per group (``estimate``/``std_error``: shape (groups,) or (groups, indicators))."""

    estimate: np.ndarray  # NaN where nothing to divide by (X = 0)
    std_error: np.ndarray  # NaN where the estimate is NaN or the group has one visited house
    houses: np.ndarray  # visited houses per group (int)
    lonely_strata: np.ndarray  # per stratum: True when exactly one house was visited


def ratio_by_group(
    *,
    house_group: np.ndarray,
    house_stratum: np.ndarray,
    stratum_houses: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    groups: int | None = None,
) -> RatioEstimates:
    """Combined ratio estimates and linearised standard errors of many independent designs.

    ``house_group[i]`` and ``house_stratum[i]`` index visited house i's group (one design, e.g. a
    campaign's area) and stratum (0..S-1); every stratum lies in one group. ``stratum_houses[h]`` is
    N_h. ``y`` and ``x`` are (houses,) or (houses, indicators): each column is estimated as y/x.
    Strata without visited houses take no part. Raises ``ValueError`` when a stratum has more visited
    houses than N_h, or a stratum's houses lie in two groups.
    """
    house_group = np.asarray(house_group, dtype=np.intp)
    house_stratum = np.asarray(house_stratum, dtype=np.intp)
    big_n = np.asarray(stratum_houses, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    one = y.ndim == 1
    if one:
        y, x = y[:, None], x[:, None]
    if y.shape != x.shape or y.shape[0] != house_group.shape[0] or house_stratum.shape != house_group.shape:
        raise ValueError("y, x, house_group and house_stratum must describe the same houses")
    strata = big_n.shape[0]
    if groups is None:
        groups = int(house_group.max()) + 1 if house_group.size else 0
    n_h = np.bincount(house_stratum, minlength=strata).astype(np.float64)
    if np.any(n_h > big_n):
        bad = int(np.argmax(n_h > big_n))
        raise ValueError(f"stratum {bad}: {int(n_h[bad])} houses visited but the frame has {big_n[bad]:g}")
    stratum_group = np.full(strata, -1, dtype=np.intp)
    stratum_group[house_stratum] = house_group
    if np.any(stratum_group[house_stratum] != house_group):
        raise ValueError("a stratum's visited houses lie in more than one group")
    visited = n_h > 0
    w_h = np.divide(big_n, n_h, out=np.zeros(strata), where=visited)
    w = w_h[house_stratum]
    houses = np.bincount(house_group, minlength=groups)
    k = y.shape[1]
    est = np.empty((groups, k))
    se = np.empty((groups, k))
    lonely = n_h == 1
    # per-stratum factors: N_h^2 (1 - f_h) / (n_h (n_h - 1)) for n_h >= 2; N_h^2 (1 - 1/N_h) when lonely
    fpc = np.divide(big_n - n_h, big_n, out=np.zeros(strata), where=big_n > 0)
    many = n_h >= 2
    factor = np.zeros(strata)
    factor[many] = big_n[many] ** 2 * fpc[many] / (n_h[many] * (n_h[many] - 1.0))
    factor[lonely] = big_n[lonely] ** 2 * fpc[lonely]
    sg = stratum_group[visited]
    for j in range(k):
        y_tot = np.bincount(house_group, weights=w * y[:, j], minlength=groups)
        x_tot = np.bincount(house_group, weights=w * x[:, j], minlength=groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(x_tot > 0, y_tot / x_tot, np.nan)
            z = (y[:, j] - ratio[house_group] * x[:, j]) / x_tot[house_group]
        z = np.where(np.isnan(z), 0.0, z)
        z_mean = np.divide(np.bincount(house_stratum, weights=z, minlength=strata), n_h,
                           out=np.zeros(strata), where=visited)
        z_mean[lonely] = 0.0  # R's "adjust": the lone house deviates from the grand mean, 0 for a ratio
        dev = z - z_mean[house_stratum]
        ss = np.bincount(house_stratum, weights=dev * dev, minlength=strata)
        var = np.bincount(sg, weights=(factor * ss)[visited], minlength=groups)
        est[:, j] = ratio
        # one house alone says nothing about its variance (R refuses such a design): no SE
        se[:, j] = np.where(np.isnan(ratio) | (houses < 2), np.nan, np.sqrt(var))
    if one:
        est, se = est[:, 0], se[:, 0]
    return RatioEstimates(estimate=est, std_error=se, houses=houses, lonely_strata=lonely)


def z_value(confidence: float) -> float:
    """The two-sided normal quantile of a confidence level (0.95 -> 1.959964)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence {confidence!r} must lie strictly between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wald_interval(estimate: np.ndarray, std_error: np.ndarray, confidence: float = 0.95,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``estimate -+ z * std_error`` (as R's ``confint(svyratio(...))``), clipped to [0, 1]."""
    z = z_value(confidence)
    est = np.asarray(estimate, dtype=np.float64)
    half = z * np.asarray(std_error, dtype=np.float64)
    return np.clip(est - half, 0.0, 1.0), np.clip(est + half, 0.0, 1.0)


def status(ci_low: np.ndarray, ci_high: np.ndarray, target: float = TARGET) -> np.ndarray:
    """达标 ``met`` (lower bound >= target), 未达标 ``not_met`` (upper bound < target), 不确定
    ``uncertain`` (the interval contains the target); ``undefined`` where there is no estimate."""
    low = np.asarray(ci_low, dtype=np.float64)
    high = np.asarray(ci_high, dtype=np.float64)
    out = np.full(low.shape, UNCERTAIN, dtype=object)
    out[low >= target] = MET
    out[high < target] = NOT_MET
    out[np.isnan(low) | np.isnan(high)] = UNDEFINED
    return out


def area_codes(stratum_codes: list[str], level: str) -> list[str]:
    """The area of each stratum at ``level``: ``all``, or the code's first 6/9/12/15 digits.

    Raises ``ValueError`` naming the first stratum code that is not digits or too short."""
    digits = LEVEL_DIGITS[level]
    if digits == 0:
        return [ALL_AREAS] * len(stratum_codes)
    out = []
    for code in stratum_codes:
        if not (code.isascii() and code.isdigit()) or len(code) < digits:
            raise ValueError(f"stratum {code!r} has no {digits}-digit {level} code")
        out.append(code[:digits])
    return out


@dataclass(frozen=True)
class AreaEstimates:
    """Estimates per (campaign, area), in campaign order then area code order."""

    campaign: np.ndarray  # campaign index per row
    area: list[str]
    estimate: np.ndarray  # (rows, indicators)
    std_error: np.ndarray
    houses: np.ndarray
    lonely_strata: np.ndarray  # per stratum


def estimate_areas(
    *,
    stratum_campaign: np.ndarray,
    stratum_code: list[str],
    stratum_houses: np.ndarray,
    house_stratum: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    level: str = "all",
) -> AreaEstimates:
    """Roll-up: the ratio of each campaign's areas at ``level``, each from its own strata only.

    Strata are rows of the frame (``stratum_campaign``, ``stratum_code``, ``stratum_houses``: one per
    campaign and stratum); ``house_stratum`` gives each visited house's frame row; ``y``/``x`` as in
    :func:`ratio_by_group`. Every area of the frame gets a row, also one without visited houses
    (estimate NaN, 0 houses)."""
    stratum_campaign = np.asarray(stratum_campaign, dtype=np.intp)
    areas = area_codes(list(stratum_code), level)
    names, area_idx = np.unique(np.asarray(areas, dtype=object).astype(str), return_inverse=True)
    key = stratum_campaign.astype(np.int64) * len(names) + area_idx
    keys, stratum_group = np.unique(key, return_inverse=True)
    house_stratum = np.asarray(house_stratum, dtype=np.intp)
    result = ratio_by_group(house_group=stratum_group[house_stratum], house_stratum=house_stratum,
                            stratum_houses=stratum_houses, y=y, x=x, groups=len(keys))
    return AreaEstimates(campaign=(keys // len(names)).astype(np.intp),
                         area=[str(names[i]) for i in keys % len(names)],
                         estimate=result.estimate, std_error=result.std_error, houses=result.houses,
                         lonely_strata=result.lonely_strata)
