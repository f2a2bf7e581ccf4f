"""The pure estimator: hand-worked cases with literal numbers, roll-up, intervals, labels, and the
coverage of its 95% intervals over 1,000 campaigns drawn from a synthetic finite population."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gridgov.quality import estimate


def test_hand_worked_example_of_the_docs():
    # docs/quality.md: stratum 0 has N=10 houses, 2 visited; stratum 1 N=6, 3 visited.
    # registration: y = registered, x = found; accuracy: y = accurate, x = checked
    found = [3, 2, 4, 0, 1]
    registered = [3, 1, 4, 0, 0]
    checked = [3, 1, 4, 0, 0]
    accurate = [2, 1, 4, 0, 0]
    out = estimate.ratio_by_group(house_group=[0] * 5, house_stratum=[0, 0, 1, 1, 1], stratum_houses=[10, 6],
                                  y=np.column_stack([registered, accurate]), x=np.column_stack([found, checked]))
    # by hand: Y = 5*4 + 2*4 = 28, X = 5*5 + 2*5 = 35, R = 0.8; v = (28.8 + 3.84) / 35^2
    assert out.estimate[0, 0] == pytest.approx(0.8, abs=1e-15)
    assert out.std_error[0, 0] == pytest.approx(math.sqrt(32.64) / 35, rel=1e-12)
    assert out.std_error[0, 0] == pytest.approx(0.16323264979526514, rel=1e-12)
    # accuracy: Y = 5*3 + 2*4 = 23, X = 5*4 + 2*4 = 28; v = (6480 + 800) / 784^2
    assert out.estimate[0, 1] == pytest.approx(23 / 28, abs=1e-15)
    assert out.std_error[0, 1] == pytest.approx(math.sqrt(7280) / 784, rel=1e-12)
    assert out.houses.tolist() == [5]
    assert out.lonely_strata.tolist() == [False, False]


def test_lonely_house_adds_its_whole_distance_from_the_ratio():
    # stratum 0: N=4, one house (2 found, 1 registered); stratum 1: N=3, houses (2, 2) and (1, 1).
    # Y = 4*1 + 1.5*3 = 8.5, X = 4*2 + 1.5*3 = 12.5, R = 0.68; z = (y - R x)/X:
    # lonely: 16 * (1 - 1/4) * (-0.36/12.5)^2 = 0.00995328; stratum 1: z = 0.0512, 0.0256,
    # 9 * (1 - 2/3) * 2 * 0.0128^2 / 2 = 0.00049152; v = 0.0104448 = 816/78125
    out = estimate.ratio_by_group(house_group=[0, 0, 0], house_stratum=[0, 1, 1], stratum_houses=[4, 3],
                                  y=[1, 2, 1], x=[2, 2, 1])
    assert out.estimate[0] == pytest.approx(0.68, abs=1e-15)
    assert out.std_error[0] == pytest.approx(math.sqrt(816 / 78125), rel=1e-12)
    assert out.lonely_strata.tolist() == [True, False]


def test_census_strata_add_no_variance_and_one_house_of_one_is_certain():
    # every house of both strata visited: the estimate is the population ratio, SE 0
    out = estimate.ratio_by_group(house_group=[0, 0, 0], house_stratum=[0, 0, 1], stratum_houses=[2, 1],
                                  y=[1, 2, 0], x=[2, 2, 3])
    assert out.estimate[0] == pytest.approx(3 / 7, abs=1e-15)
    assert out.std_error[0] == 0.0


def test_groups_are_independent_and_nothing_to_divide_by_is_undefined():
    # group 0 = the docs example; group 1 = nobody found (x = 0 everywhere): undefined
    out = estimate.ratio_by_group(house_group=[0, 0, 0, 0, 0, 1, 1], house_stratum=[0, 0, 1, 1, 1, 2, 2],
                                  stratum_houses=[10, 6, 5], y=[3, 1, 4, 0, 0, 0, 0], x=[3, 2, 4, 0, 1, 0, 0])
    assert out.estimate[0] == pytest.approx(0.8, abs=1e-15)
    assert out.std_error[0] == pytest.approx(math.sqrt(32.64) / 35, rel=1e-12)
    assert math.isnan(out.estimate[1]) and math.isnan(out.std_error[1])
    assert out.houses.tolist() == [5, 2]


def test_an_area_of_one_house_has_its_ratio_but_no_standard_error():
    out = estimate.ratio_by_group(house_group=[0, 1, 1], house_stratum=[0, 1, 2], stratum_houses=[9, 4, 4],
                                  y=[2, 1, 1], x=[3, 2, 1])
    assert out.estimate[0] == pytest.approx(2 / 3, abs=1e-15) and math.isnan(out.std_error[0])
    # two lonely strata: the adjust rule, by hand: Y = 4*1 + 4*1 = 8, X = 4*2 + 4*1 = 12, R = 2/3;
    # z = (1 - 4/3)/12, (1 - 2/3)/12 = -1/36, 1/36; v = 2 * 16 * (3/4) * (1/36)^2
    assert out.estimate[1] == pytest.approx(2 / 3, abs=1e-15)
    assert out.std_error[1] == pytest.approx(math.sqrt(24 / 36**2), rel=1e-12)
    low, high = estimate.wald_interval(out.estimate, out.std_error)
    assert estimate.status(low, high).tolist() == ["undefined", "uncertain"]  # 2/3 + 1.96 * 0.136 > 0.9


def test_bad_designs_are_refused():
    with pytest.raises(ValueError, match="stratum 0: 3 houses visited but the frame has 2"):
        estimate.ratio_by_group(house_group=[0, 0, 0], house_stratum=[0, 0, 0], stratum_houses=[2],
                                y=[1, 1, 1], x=[1, 1, 1])
    with pytest.raises(ValueError, match="more than one group"):
        estimate.ratio_by_group(house_group=[0, 1], house_stratum=[0, 0], stratum_houses=[5], y=[1, 1], x=[1, 1])


def test_roll_up_uses_only_the_areas_own_strata():
    # two communities of one street; community A = the docs example, community B one stratum
    codes = ["310101001001001", "310101001001002", "310101001002001"]
    houses = dict(house_stratum=[0, 0, 1, 1, 1, 2, 2], y=[3, 1, 4, 0, 0, 2, 1], x=[3, 2, 4, 0, 1, 2, 2])
    by_community = estimate.estimate_areas(stratum_campaign=[0, 0, 0], stratum_code=codes,
                                           stratum_houses=[10, 6, 8], level="community", **houses)
    assert by_community.area == ["310101001001", "310101001002"]
    assert by_community.estimate[0] == pytest.approx(0.8, abs=1e-15)
    assert by_community.std_error[0] == pytest.approx(math.sqrt(32.64) / 35, rel=1e-12)
    # community B: R = 3/4; z = (2 - 1.5)/16, (1 - 1.5)/16 (X = 4*4 = 16); v = 64*(1 - 2/8)*2*(0.5/16)^2/2
    assert by_community.estimate[1] == pytest.approx(0.75, abs=1e-15)
    assert by_community.std_error[1] == pytest.approx(math.sqrt(64 * 0.75 * (0.5 / 16) ** 2), rel=1e-12)
    assert by_community.houses.tolist() == [5, 2]
    street = estimate.estimate_areas(stratum_campaign=[0, 0, 0], stratum_code=codes, stratum_houses=[10, 6, 8],
                                     level="street", **houses)
    # Y = 28 + 4*3 = 40, X = 35 + 4*4 = 51
    assert street.area == ["310101001"] and street.estimate[0] == pytest.approx(40 / 51, abs=1e-15)
    assert estimate.estimate_areas(stratum_campaign=[0, 0, 0], stratum_code=codes, stratum_houses=[10, 6, 8],
                                   level="all", **houses).area == ["all"]
    grid = estimate.estimate_areas(stratum_campaign=[0, 0, 0], stratum_code=codes, stratum_houses=[10, 6, 8],
                                   level="grid", **houses)
    assert grid.area == codes and grid.houses.tolist() == [2, 3, 2]


def test_areas_without_visits_get_an_undefined_row_and_campaigns_keep_their_order():
    codes = ["310101001001001", "310101002001001", "310101001001001"]
    out = estimate.estimate_areas(stratum_campaign=[1, 1, 0], stratum_code=codes, stratum_houses=[5, 5, 5],
                                  house_stratum=[0, 0, 2, 2], y=[1, 1, 1, 0], x=[1, 1, 1, 1], level="street")
    assert list(zip(out.campaign.tolist(), out.area, strict=True)) == [
        (0, "310101001"), (1, "310101001"), (1, "310101002")]
    assert out.houses.tolist() == [2, 2, 0]
    assert out.estimate[1] == 1.0 and math.isnan(out.estimate[2])


def test_area_codes_refuse_short_or_non_digit_strata():
    assert estimate.area_codes(["310101001001001"], "district") == ["310101"]
    with pytest.raises(ValueError, match="stratum '3101' has no 6-digit district code"):
        estimate.area_codes(["3101"], "district")
    with pytest.raises(ValueError, match="stratum 'north' has no 9-digit street code"):
        estimate.area_codes(["north"], "street")


def test_wald_interval_clipped_and_z_of_other_levels():
    assert estimate.z_value(0.95) == pytest.approx(1.959963984540054, rel=1e-12)
    assert estimate.z_value(0.90) == pytest.approx(1.6448536269514722, rel=1e-12)
    low, high = estimate.wald_interval(np.array([0.8, 0.95, 0.05]), np.array([0.1, 0.1, 0.1]), 0.95)
    assert low.tolist() == pytest.approx([0.8 - 0.1959963984540054, 0.95 - 0.1959963984540054, 0.0])
    assert high.tolist() == pytest.approx([0.9959963984540054, 1.0, 0.05 + 0.1959963984540054])
    with pytest.raises(ValueError, match="between 0 and 1"):
        estimate.z_value(1.0)


def test_status_against_the_90_percent_yardstick():
    low = np.array([0.90, 0.91, 0.80, 0.85, 0.899999, np.nan])
    high = np.array([0.95, 0.99, 0.8999, 0.90, 0.95, np.nan])
    assert estimate.status(low, high).tolist() == ["met", "met", "not_met", "uncertain", "uncertain", "undefined"]


# --- simulation: coverage of the 95% intervals --------------------------------------------------

def _population(rng: np.random.Generator, strata: int = 40):
    """A synthetic finite population of houses: persons found per house, registered among them (house
    effects: registration and accuracy vary by stratum and by house), records checked and accurate."""
    sizes = rng.integers(150, 400, strata)
    stratum = np.repeat(np.arange(strata), sizes)
    n = stratum.size
    found = rng.poisson(2.7, n) * (rng.random(n) > 0.1)  # about 10% of houses empty
    p_reg = rng.beta(18 * rng.uniform(0.5, 1.5, strata), 2, strata)[stratum]
    p_house = np.clip(p_reg + rng.normal(0, 0.08, n), 0.05, 1.0)
    registered = rng.binomial(found, p_house)
    checked = rng.binomial(registered, 0.85)
    accurate = rng.binomial(checked, np.clip(rng.beta(20, 2, n), 0, 1))
    return sizes, stratum, np.column_stack([registered, accurate]), np.column_stack([found, checked])


def test_95_percent_intervals_cover_the_true_ratio_93_to_97_percent_of_the_time():
    rng = np.random.default_rng(20261203)
    sizes, stratum, y_pop, x_pop = _population(rng)
    truth = y_pop.sum(axis=0) / x_pop.sum(axis=0)
    strata = sizes.size
    # 480 houses allocated proportionally, at least 2 per stratum
    n_h = np.maximum(2, np.round(480 * sizes / sizes.sum()).astype(int))
    reps = 1000
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    picks = []
    for h in range(strata):  # per stratum (40), not per house: each draws all 1,000 campaigns at once
        keys = rng.random((reps, sizes[h]))
        picks.append(starts[h] + np.argpartition(keys, n_h[h], axis=1)[:, :n_h[h]])
    chosen = np.concatenate(picks, axis=1)  # (reps, 480): population row of each visited house
    group = np.repeat(np.arange(reps), chosen.shape[1])
    house_stratum = group * strata + stratum[chosen.ravel()]
    out = estimate.ratio_by_group(house_group=group, house_stratum=house_stratum,
                                  stratum_houses=np.tile(sizes, reps), y=y_pop[chosen.ravel()],
                                  x=x_pop[chosen.ravel()])
    low, high = estimate.wald_interval(out.estimate, out.std_error, 0.95)
    covered = ((low <= truth) & (truth <= high)).mean(axis=0)
    assert 0.93 <= covered[0] <= 0.97, covered
    assert 0.93 <= covered[1] <= 0.97, covered
    # and the estimator is close to unbiased: the mean over campaigns within 0.2 SE of the truth
    assert np.abs(out.estimate.mean(axis=0) - truth).max() < 0.2 * out.std_error.mean(axis=0).min()
