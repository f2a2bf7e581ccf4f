"""detect.py (pure): each method against hand-computed values, the statsmodels oracle, the level
mapping and calibration. No database."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from gridgov.safety import detect
from tests.safety.farrington_oracle import reference

BASE7 = [3, 4, 2, 5, 3, 4, 3]  # mean 24/7, sample sd sqrt(40/42)
MEAN7 = 24 / 7
SD7 = math.sqrt((sum(x * x for x in BASE7) - 7 * MEAN7 ** 2) / 6)


# ---------------------------------------------------------------- EARS

def test_c1_by_hand():
    y = BASE7 + [4, 12]
    r = detect.ears(y, method="C1", alpha=0.01, min_sigma=0)
    assert np.all(np.isnan(r.pvalue[0, :7]))  # no 7-period baseline yet
    assert r.expected[0, 7] == pytest.approx(MEAN7)
    assert SD7 == pytest.approx(0.975900, abs=1e-6)
    assert r.threshold[0, 7] == pytest.approx(MEAN7 + 2.326348 * SD7, abs=1e-5)  # 5.6988
    assert r.pvalue[0, 7] == pytest.approx(stats.norm.sf((4 - MEAN7) / SD7))
    # period 8: baseline is periods 1..7 = 4,2,5,3,4,3,4
    b = np.array([4, 2, 5, 3, 4, 3, 4])
    assert r.expected[0, 8] == pytest.approx(b.mean())
    c1 = (12 - b.mean()) / b.std(ddof=1)
    assert r.pvalue[0, 8] == pytest.approx(stats.norm.sf(c1))
    assert r.score[0, 8] == pytest.approx((12 - b.mean()) / (r.threshold[0, 8] - b.mean()))
    assert r.alarm().tolist() == [[False] * 8 + [True]]


def test_c2_uses_a_two_period_guard_band():
    y = BASE7 + [50, 50, 4]  # periods 7 and 8 are in the guard band of period 9
    r = detect.ears(y, method="C2", alpha=0.001, min_sigma=0)
    assert np.all(np.isnan(r.pvalue[0, :9]))
    assert r.expected[0, 9] == pytest.approx(MEAN7)
    assert r.threshold[0, 9] == pytest.approx(MEAN7 + stats.norm.isf(0.001) * SD7)
    assert not r.alarm()[0, 9]


def test_min_sigma_floors_the_standard_deviation():
    y = [2] * 7 + [3]
    flat = detect.ears(y, method="C1", min_sigma=0.5, alpha=0.001)
    assert flat.threshold[0, 7] == pytest.approx(2 + stats.norm.isf(0.001) * 0.5)
    assert flat.pvalue[0, 7] == pytest.approx(stats.norm.sf(2.0))
    zero = detect.ears(y, method="C1", min_sigma=0.0)
    assert zero.pvalue[0, 7] == 0.0  # any rise over a flat baseline is infinitely unusual


def test_c3_follows_the_cdc_definition_including_the_current_period():
    base = [5, 4, 6, 5, 4, 6, 5, 5, 4, 6, 5]
    y = np.array(base + [40], dtype=float)
    r = detect.ears(y, method="C3", min_sigma=0.5)  # alpha 0.025: z ~ 1.96
    c2 = detect.ears(y, method="C2", min_sigma=0.5)
    t = len(y) - 1
    c2_stat = (y - c2.expected[0]) / np.maximum(detect._rolling_past(y[None], 7, 3)[1][0], 0.5)
    by_hand = sum(max(0.0, c2_stat[i] - 1) for i in (t - 2, t - 1, t))
    assert r.pvalue[0, t] == pytest.approx(stats.norm.sf(by_hand))
    # a spike in the current period alarms (R surveillance's C3 would not: it ignores it)
    assert r.alarm()[0, t]
    # the threshold is the count at which C3 reaches z given the two previous exceedances
    lagsum = sum(max(0.0, c2_stat[i] - 1) for i in (t - 2, t - 1))
    sigma = max(detect._rolling_past(y[None], 7, 3)[1][0, t], 0.5)
    assert r.threshold[0, t] == pytest.approx(c2.expected[0, t] + sigma * (1 + stats.norm.isf(0.025) - lagsum))
    quiet = detect.ears(np.array(base + [5.0]), method="C3", min_sigma=0.5)
    assert not quiet.alarm()[0, t]


# ---------------------------------------------------------------- EWMA

def _ewma_by_hand(y, w1=0.4, w2=0.9, g=2, alpha=0.01):
    """A scalar transcription of Rnssp's ewma_loop (0-based), for one series."""
    n = len(y)
    z1, z2 = [float(y[0])], [float(y[0])]
    out = {}
    for i in range(1, n):
        z1.append(w1 * y[i] + (1 - w1) * z1[-1])
        z2.append(w2 * y[i] + (1 - w2) * z2[-1])
        lo, hi = max(0, i - g - 28), i - g
        if hi - lo < 11:
            continue
        base = np.array(y[lo:hi], dtype=float)
        nb = len(base)
        mean, sd = base.mean(), base.std(ddof=1)
        ucl_alert = round(stats.t.isf(0.01, nb - 1), 5)
        ucl_warn = round(stats.t.isf(0.05, nb - 1), 5)
        ps = []
        for w, z in ((w1, z1), (w2, z2)):
            corr = math.sqrt(w / (2 - w) + 1 / nb - 2 * (1 - w) ** (g + 1) * (1 - (1 - w) ** nb) / nb)
            min_sigma = (w / ucl_warn) * (1 + 0.5 * (1 - w) ** 2)
            const = (0.1289 - (0.2414 - 0.1826 * (1 - w) ** 4) * math.log(10 * 0.05)) * (w / ucl_warn)
            sigma = max(min_sigma, sd * corr + const)
            stat = (z[-1] - mean) / sigma
            ps.append(stats.t.sf(stat, nb - 1))
            if abs(stat) > ucl_alert:
                z[-1] = mean + math.copysign(ucl_alert * sigma, stat)
        out[i] = (mean, min(ps))
    return out


def test_ewma_matches_a_scalar_transcription_of_essence():
    rng = np.random.default_rng(7)
    y = rng.poisson(4, 60).astype(float)
    y[40] = 25  # an outlier that gets clipped
    r = detect.ewma(y)
    hand = _ewma_by_hand(list(y))
    assert min(hand) == 13 and np.all(np.isnan(r.pvalue[0, :13]))
    for i, (mean, p) in hand.items():
        assert r.expected[0, i] == pytest.approx(mean)
        assert r.pvalue[0, i] == pytest.approx(p, rel=1e-9, abs=1e-15)
    assert r.alarm()[0, 40]


def test_ewma_threshold_is_the_count_that_would_reach_the_limit():
    rng = np.random.default_rng(8)
    y = rng.poisson(6, 40).astype(float)
    r = detect.ewma(y, alpha=0.01)
    i = 30
    at = y.copy()
    at[i] = r.threshold[0, i] + 1e-6
    below = y.copy()
    below[i] = r.threshold[0, i] - 1e-3
    assert detect.ewma(at, alpha=0.01).pvalue[0, i] <= 0.01 + 1e-9
    assert detect.ewma(below, alpha=0.01).pvalue[0, i] > 0.01


# ---------------------------------------------------------------- Farrington / Noufaily

def test_seasonal_blocks_by_hand():
    blocks = detect.seasonal_blocks(np.array([0, 3, 4, 8, 9, 47, 48, 49, 52, 55, 56]))
    # within w=3 of a year boundary: the window (0); 45 other weeks split into 9 blocks of 5
    assert blocks.tolist() == [0, 0, 9, 9, 8, 1, 1, 0, 0, 0, 9]


def test_farrington_constant_series_by_hand():
    y = np.full(4 * 52, 4.0)
    r = detect.farrington(y, periods=[207])
    assert r.expected[0, 0] == pytest.approx(4.0)
    assert r.threshold[0, 0] == stats.poisson.isf(0.01, 4.0) == 9  # phi = max(1, 0) -> Poisson
    assert r.pvalue[0, 0] == pytest.approx(stats.poisson.sf(3, 4.0))
    y[207] = 10
    r = detect.farrington(y, periods=[207])
    assert r.pvalue[0, 0] == pytest.approx(stats.poisson.sf(9, 4.0)) and r.alarm()[0, 0]


@pytest.mark.parametrize("seed, trend", [(1, 0.003), (2, 0.003), (3, 0.003), (4, 0.0), (5, 0.0)])
def test_farrington_matches_the_statsmodels_oracle(seed, trend):
    """Against the oracle with Noufaily's published settings (literals in farrington_oracle.py):
    a changed default in FarringtonParams fails here. Flat series (trend 0) keep an insignificant
    trend only because pThresholdTrend is 1."""
    rng = np.random.default_rng(seed)
    t = np.arange(300)
    mu = np.exp(1.0 + trend * t + 0.5 * np.sin(2 * np.pi * t / 52))
    y = rng.negative_binomial(mu / 1.5, 1 / 2.5).astype(float)  # overdispersed, phi = 2.5
    y[200:204] += 15  # a past outbreak, down-weighted
    ks = [299, 290, 250]
    for alpha in (0.01, 0.05):
        r = detect.farrington(y, periods=ks, alpha=alpha)
        for j, k in enumerate(ks):
            mu0, phi, upper, p = reference(y, k, alpha=alpha)
            assert r.expected[0, j] == pytest.approx(mu0, rel=1e-6)
            assert r.threshold[0, j] == upper
            assert r.pvalue[0, j] == pytest.approx(p, rel=1e-5)


def test_farrington_reweighting_discounts_past_outbreaks():
    rng = np.random.default_rng(4)
    y = rng.poisson(5, 5 * 52).astype(float)
    y[259 - 104 - 1: 259 - 104 + 2] += 30  # an outbreak in the same season two years ago
    plain = detect.farrington(y, periods=[259], params=detect.FarringtonParams(weights_threshold=np.inf))
    reweighted = detect.farrington(y, periods=[259])
    assert reweighted.expected[0, 0] < plain.expected[0, 0]
    assert abs(reweighted.expected[0, 0] - 5) < abs(plain.expected[0, 0] - 5) / 2


def test_farrington_needs_three_years_and_limits_alarms_on_few_cases():
    y = np.zeros(4 * 52)
    y[:: 13] = 1
    y[-1] = 3  # p tiny against a near-zero baseline, but fewer than 5 cases in 4 weeks
    r = detect.farrington(y)
    assert r.periods[0] == 3 * 52 + 3
    assert r.pvalue[0, -1] < 0.01
    assert r.suppressed[0, -1] and not r.alarm()[0, -1]
    assert detect.grade(r.pvalue, r.expected, detect.NOMINAL, r.suppressed)[0, -1] == 0


def test_methods_are_vectorised_without_cross_talk():
    rng = np.random.default_rng(5)
    Y = rng.poisson(rng.uniform(0.5, 20, (6, 1)), (6, 4 * 52)).astype(float)
    Y[2, :30] = np.nan  # a series that starts later
    for method in ("farrington", "ewma", "c1", "c3"):
        together = detect.detect(Y, method)
        for s in range(len(Y)):
            alone = detect.detect(Y[s], method)
            np.testing.assert_allclose(together.pvalue[s], alone.pvalue[0], rtol=1e-7, equal_nan=True)
            np.testing.assert_allclose(together.expected[s], alone.expected[0], rtol=1e-7, equal_nan=True)


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        detect.ears([1, 2, -1])


# ---------------------------------------------------------------- levels and calibration

def test_level_mapping_with_nominal_cutoffs():
    p = np.array([0.5, 0.05, 0.049, 0.009, 0.0009, 0.00009, np.nan])
    levels = detect.grade(p, cutoffs=detect.NOMINAL)
    assert levels.tolist() == [0, 0, 1, 2, 3, 4, -1]
    assert detect.level_names(levels).tolist() == ["none", "none", "blue", "yellow", "orange", "red", "grey"]
    assert detect.LEVEL_GRADES["red"] == "一级" and detect.LEVEL_GRADES["blue"] == "四级"


def test_level_mapping_by_expected_band_and_suppression():
    cut = detect.Cutoffs(table=((0.01, 0.001, 0.0001, 0.00001), (0.05, 0.01, 0.001, 0.0001)), edges=(2.0,))
    p = np.array([0.02, 0.02, 0.02])
    e = np.array([1.0, 2.0, 10.0])
    assert detect.grade(p, e, cut).tolist() == [0, 1, 1]
    assert detect.grade(p, e, cut, suppressed=np.array([False, True, False])).tolist() == [0, 0, 1]
    with pytest.raises(ValueError):
        detect.grade(p, None, cut)
    with pytest.raises(ValueError):
        detect.Cutoffs(table=((0.01, 0.05, 0.001, 0.0001),))  # not decreasing
    assert detect.Cutoffs.from_dict(cut.as_dict()) == cut


def test_calibration_hits_the_null_rates_and_is_never_laxer_than_nominal():
    rng = np.random.default_rng(6)
    p = rng.uniform(size=200_000) ** 3  # a detector whose nominal p-values are far too small
    e = rng.uniform(0, 30, size=p.size)
    cut = detect.calibrate(p, e)
    levels = detect.grade(p, e, cut)
    for lvl, rate in zip(range(1, 5), detect.NULL_RATES, strict=True):
        share = np.mean(levels >= lvl)
        assert share <= rate * 1.05 and share >= rate * 0.8
    for row in cut.table:
        assert all(c <= n for c, n in zip(row, detect.NOMINAL.table[0], strict=True))
    calibrated_ok = detect.calibrate(rng.uniform(size=50_000), rng.uniform(0, 30, 50_000))
    assert calibrated_ok.table[0][0] <= 0.05


def test_calibrated_defaults_exist_for_every_method():
    for method in detect.METHODS:
        assert isinstance(detect.CALIBRATED[method], detect.Cutoffs)


def test_farrington_never_seen_level_is_floored_not_infinitely_unusual():
    y = np.zeros(4 * 52)
    y[-3:] = [3, 2, 1]
    r = detect.farrington(y, periods=[4 * 52 - 1])
    n = r.expected[0, 0] and round(0.5 / r.expected[0, 0])
    assert 100 < n < 4 * 52  # 0.5 / (number of reference weeks)
    assert r.pvalue[0, 0] == pytest.approx(stats.poisson.sf(0, 0.5 / n))
    assert r.pvalue[0, 0] > 1e-3  # one case after years of none: unusual, not "p = 0"


# ---------------------------------------------------------------- distribution functions (scipy.special)

def test_distribution_functions_agree_with_scipy_stats():
    """detect.py avoids importing scipy.stats (seconds at start-up); scipy.stats is the oracle."""
    rng = np.random.default_rng(12)
    mu = np.exp(rng.uniform(-6, 7, 20_000))
    phi = 1 + np.exp(rng.uniform(-8, 3, mu.size))
    k = np.floor(rng.uniform(-0.5, 3, mu.size) * (mu + 3))
    size, prob = mu / (phi - 1), 1 / phi
    for alpha in (0.01, 0.05, 0.001):
        np.testing.assert_array_equal(detect._nbinom_isf(alpha, mu, phi), stats.nbinom.isf(alpha, size, prob))
        np.testing.assert_array_equal(detect._poisson_isf(alpha, mu), stats.poisson.isf(alpha, mu))
    np.testing.assert_allclose(detect._nbinom_sf(k, size, prob), stats.nbinom.sf(k, size, prob), rtol=1e-11, atol=1e-300)
    np.testing.assert_array_equal(detect._poisson_sf(k, mu), stats.poisson.sf(k, mu))
    x = rng.normal(0, 4, 1000)
    np.testing.assert_array_equal(detect._norm_sf(x), stats.norm.sf(x))
    assert detect._norm_isf(0.001) == stats.norm.isf(0.001)
    df = rng.integers(10, 30, 1000)
    np.testing.assert_array_equal(detect._t_sf(x, df), stats.t.sf(x, df))
    np.testing.assert_array_equal(detect._t_isf(0.01, df), stats.t.isf(0.01, df))


def test_discrete_quantile_search_far_from_its_guess():
    # a guess far off in both directions still ends at the smallest k with P(X > k) <= q
    mu = np.array([3.0, 40.0, 900.0])
    for guess in (np.zeros(3), np.full(3, 5000.0)):
        k = detect._smallest(lambda kk, rows: stats.poisson.sf(kk, mu[rows]) <= 0.01, guess)
        np.testing.assert_array_equal(k, stats.poisson.isf(0.01, mu))


# ---------------------------------------------------------------- since: only recent periods

@pytest.mark.parametrize("method", ["farrington", "ewma", "c1", "c2", "c3"])
def test_since_gives_the_tail_of_the_full_run(method):
    rng = np.random.default_rng(13)
    Y = rng.poisson(rng.uniform(0.5, 12, (5, 1)), (5, 4 * 52)).astype(float)
    Y[1, :60] = np.nan  # starts later
    Y[3, 150:] = np.nan  # ends early
    full = detect.detect(Y, method)
    # Farrington fits fewer rows together with since: BLAS may sum a row's products in another
    # order (last-bit differences); everything else is computed cell by cell
    rtol = 1e-12 if method == "farrington" else 0
    for since in (0, 1, 2, 3, 100, 170, 207, 208, 500):
        part = detect.detect(Y, method, since=since)
        keep = full.periods >= since
        assert part.periods.tolist() == full.periods[keep].tolist()
        for key in ("observed", "expected", "threshold", "pvalue", "score", "suppressed"):
            np.testing.assert_allclose(getattr(part, key), getattr(full, key)[:, keep], rtol=rtol, err_msg=key)
    with pytest.raises(ValueError):
        detect.detect(Y, method, since=-1)


def test_auto_since_keeps_the_method_choice():
    rng = np.random.default_rng(14)
    Y = rng.poisson(4, (3, 200)).astype(float)
    Y[1, :150] = np.nan  # 50 weeks of history: EWMA, then nothing older than 3 years
    full, which = detect.detect_auto(Y)
    part, which_part = detect.detect_auto(Y, since=170)
    assert part.periods.tolist() == list(range(170, 200))
    np.testing.assert_array_equal(which_part, which[:, 170:])
    np.testing.assert_allclose(part.pvalue, full.pvalue[:, 170:], rtol=1e-12)
    assert (which_part[0] == 0).all() and (which_part[1] == 1).all()


def test_auto_takes_each_cell_from_the_first_method_that_evaluates_it():
    """auto runs EWMA and C1 only on the series left with cells to fill; every cell must still be
    the value of Farrington, else EWMA, else C1, each run on the whole matrix."""
    rng = np.random.default_rng(15)
    Y = rng.poisson(rng.uniform(0.5, 9, (8, 1)), (8, 3 * 52 + 30)).astype(float)
    Y[1, :150] = np.nan  # about a year of history: EWMA
    Y[2, :-10] = np.nan  # 10 weeks: C1 only
    Y[3, :-4] = np.nan  # 4 weeks: nothing
    Y[4, -1] = np.nan  # a missing last week
    for since in (0, 170, Y.shape[1] - 1):
        auto, which = detect.detect_auto(Y, since=since)
        parts = [detect.farrington(Y, since=since), detect.ewma(Y, since=since), detect.ears(Y, method="C1", since=since)]
        expected_which = np.full(which.shape, -1)
        expected_p = np.full(which.shape, np.nan)
        for i, part in reversed(list(enumerate(parts))):
            cols = part.periods - since
            for s, j in zip(*np.nonzero(part.evaluated), strict=True):
                expected_which[s, cols[j]] = i
                expected_p[s, cols[j]] = part.pvalue[s, j]
        np.testing.assert_array_equal(which, expected_which)
        np.testing.assert_array_equal(auto.pvalue, expected_p)
        if since == Y.shape[1] - 1:
            assert which[:, 0].tolist() == [0, 1, 2, -1, -1, 0, 0, 0]
