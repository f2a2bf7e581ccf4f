"""The campaign-effect kernel (safety/campaign_effect.py), proved by simulation with known truth:
a planted 30 % reduction is found, campaigns without an effect are declared effective about 5 %
of the time; plus hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from gridgov.safety import campaign_effect as ce
from gridgov.safety import detect


def _nb(rng, mu, phi):
    """Counts with mean mu and variance phi * mu (gamma-Poisson)."""
    if phi <= 1:
        return rng.poisson(mu)
    shape = mu / (phi - 1)
    return rng.poisson(rng.gamma(shape, (phi - 1)))


def test_did_by_hand():
    # before: campaign areas 100, comparison 400; during: 60 and 380
    effect = ce.did_effect(np.full(10, 10.0), np.full(5, 12.0), np.full(10, 40.0), np.full(5, 76.0))
    ratio = (60 / 100) / (380 / 400)
    assert effect.ratio == pytest.approx(ratio)
    assert effect.expected == pytest.approx(100 * 380 / 400)
    # constant weekly counts: no overdispersion beyond Poisson
    se = math.sqrt(1 / 100 + 1 / 60 + 1 / 400 + 1 / 380)
    assert effect.low == pytest.approx(ratio * math.exp(-1.959963984540054 * se))
    assert effect.high == pytest.approx(ratio * math.exp(1.959963984540054 * se))
    assert effect.verdict == ce.REDUCTION


def test_dispersion_matches_pearson_by_hand():
    y = np.array([4.0, 8.0, 4.0, 8.0, 4.0, 8.0])
    t = np.arange(6.0)
    slope, intercept = np.polyfit(t, y, 1)
    mu = intercept + slope * t
    assert ce.dispersion(y) == pytest.approx(max(np.sum((y - mu) ** 2 / mu) / 4, 1.0))
    assert ce.dispersion(np.full(8, 5.0)) == 1.0  # floored at Poisson


def test_not_estimable_without_incidents_before():
    effect = ce.did_effect(np.zeros(10), np.ones(4), np.full(10, 5.0), np.full(4, 5.0))
    assert effect.verdict == ce.NOT_ESTIMABLE


def _did_world(rng, *, effect, areas=40, pre=26, post=12, phi=1.5):
    season = 1 + 0.3 * np.sin(2 * np.pi * np.arange(pre + post) / 52 + rng.uniform(0, 6.3))
    rates = rng.uniform(3, 12, areas)
    mu = rates[:, None] * season[None, :]
    treated = [0, 1, 2, 3, 4, 5]  # six campaign areas (about 45 reported incidents a week)
    mu[treated, pre:] *= effect
    counts = _nb(rng, mu, phi)
    t = counts[treated].sum(axis=0)
    pool = np.delete(counts, treated, axis=0)
    chosen = ce.choose_comparison(t[:pre], pool[:, :pre], k=8)
    c = pool[chosen]
    return ce.did_effect(t[:pre], t[pre:], c[:, :pre], c[:, pre:])


def test_did_finds_a_planted_30_percent_reduction():
    rng = np.random.default_rng(20261204)
    effects = [_did_world(rng, effect=0.7) for _ in range(300)]
    found = np.mean([e.verdict == ce.REDUCTION for e in effects])
    covered = np.mean([e.low <= 0.7 <= e.high for e in effects])
    assert found >= 0.80, found
    assert 0.90 <= covered <= 0.99, covered


def test_did_null_campaigns_are_declared_effective_about_5_percent_of_the_time():
    rng = np.random.default_rng(7)
    n = 600
    effects = [_did_world(rng, effect=1.0) for _ in range(n)]
    false = sum(e.verdict != ce.NO_EFFECT for e in effects)
    # the 99.9 % binomial band around 5 % of 600 (both directions count as a false effect)
    low, high = stats.binom.ppf([0.0005, 0.9995], n, 0.05)
    assert low <= false <= high, false / n


def _baseline_world(rng, *, effect, series, weeks=312, start=300, length=8, phi=1.3):
    t = np.arange(weeks)
    season = 1 + 0.35 * np.sin(2 * np.pi * t / 52)
    level = rng.uniform(10, 30, series)
    mu = level[:, None] * season[None, :] * (1 + 0.03 * t / 52)[None, :]
    mu[:, start:start + length] *= effect
    counts = _nb(rng, mu, phi).astype(float)
    expected = np.full(counts.shape, np.nan)
    det = detect.farrington(counts)
    expected[:, det.periods] = det.expected
    return [ce.baseline_effect(counts[i], expected[i], start=start, end=start + length) for i in range(series)]


def test_baseline_finds_a_planted_30_percent_reduction():
    effects = _baseline_world(np.random.default_rng(11), effect=0.7, series=200)
    assert all(e.verdict != ce.NOT_ESTIMABLE for e in effects)
    found = np.mean([e.verdict == ce.REDUCTION for e in effects])
    assert found >= 0.70, found


def test_baseline_null_campaigns_are_declared_effective_about_5_percent_of_the_time():
    n = 400
    effects = _baseline_world(np.random.default_rng(12), effect=1.0, series=n)
    false = sum(e.verdict != ce.NO_EFFECT for e in effects)
    low, high = stats.binom.ppf([0.0005, 0.9995], n, 0.05)
    assert low <= false <= high, false / n


def test_baseline_without_history_is_not_estimable():
    y = np.full(100, 5.0)
    mu = np.full(100, np.nan)
    assert ce.baseline_effect(y, mu, start=90, end=98).verdict == ce.NOT_ESTIMABLE


def test_choose_comparison_prefers_areas_like_the_campaign_areas():
    t = np.array([10, 12, 10, 12, 10, 12], float)
    candidates = np.array([
        [100, 120, 100, 120, 100, 120],  # same shape, 10x the level
        [10, 12, 10, 12, 10, 12],        # the same
        [12, 10, 12, 10, 12, 10],        # same level, opposite shape
        [1, 1, 0, 1, 0, 1],              # too few incidents to judge
    ], float)
    assert list(ce.choose_comparison(t, candidates, k=2)) == [1, 2]
    assert 3 not in ce.choose_comparison(t, candidates, k=4)


def test_reporting_change_detects_a_patrol_surge():
    # before: 200 reported, 20 discovered (9 %); during the crackdown: 50 reported, 45 discovered
    change = ce.reporting_change(200, 20, 50, 45)
    assert change.changed and change.discovered_share_before == pytest.approx(20 / 220)
    assert not ce.reporting_change(200, 20, 100, 10).changed
