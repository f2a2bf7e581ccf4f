"""The allocation kernel on hand-worked examples (issue 19 §3)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from gridgov.prevention import allocate


def history(rows):
    return allocate.history_from_rows(rows)


def test_reported_only_empirical_bayes_by_hand():
    """Three grids, 10 periods, no patrols: R = 10, 20, 60. Worked by hand (Marshall 1991):
    m = 90/30 = 3; rates 1, 2, 6; weighted variance = 10*(4+1+9)/30 = 14/3; between = 14/3 - 3/10;
    a = m^2/between, b = m/between; posterior mean (a+R)/(b+10)."""
    rows = []
    for period in range(10):
        for grid, total in (("A", 10), ("B", 20), ("C", 60)):
            rows.append((str(period), grid, total // 10, 0, 0.0))
    risk = allocate.estimate_risk(history(rows))
    between = 14 / 3 - 0.3
    a, b = 9 / between, 3 / between
    expected = [(a + 10) / (b + 10), (a + 20) / (b + 10), (a + 60) / (b + 10)]
    assert risk.mean == pytest.approx(expected, rel=1e-9)
    assert risk.kappa == 0.0
    # shrinkage toward the mean 3: every estimate lies between its raw rate and 3
    assert 1 < risk.mean[0] < 3 and 2 < risk.mean[1] < 3 and 3 < risk.mean[2] < 6
    # the 90 % central posterior interval of Gamma(a + R, b + 10)
    for i, total in enumerate((10, 20, 60)):
        posterior = stats.gamma(a + total, scale=1 / (b + 10))
        assert posterior.cdf(risk.low[i]) == pytest.approx(0.05, abs=1e-6)
        assert posterior.cdf(risk.high[i]) == pytest.approx(0.95, abs=1e-6)


def test_equal_raw_rates_pool_to_the_mean():
    rows = [(str(p), g, 3, 0, 0.0) for p in range(8) for g in ("A", "B", "C", "D")]
    risk = allocate.estimate_risk(history(rows))
    assert risk.mean == pytest.approx([3.0] * 4, rel=1e-4)


def test_discovered_incidents_count_per_patrol_hour():
    """A and B have the same reports; A was patrolled 4x as much and found 4x as many: the same
    rate per patrol hour, so (nearly) the same risk. C has twice B's reports and twice B's finds
    per hour: twice the rate. Maximum likelihood by hand: kappa = 0.05 (0.1 found per hour / 2
    reported per period), theta = 2, 2, 4."""
    rows = []
    for p in range(10):
        rows += [(str(p), "A", 2, 8, 80.0), (str(p), "B", 2, 2, 20.0), (str(p), "C", 4, 4, 20.0)]
    risk = allocate.estimate_risk(history(rows))
    assert risk.kappa == pytest.approx(0.05, rel=1e-6)
    assert risk.exposure == pytest.approx([10 + 0.05 * 800, 10 + 0.05 * 200, 10 + 0.05 * 200])
    assert risk.mean[0] == pytest.approx(risk.mean[1], rel=0.10)
    assert risk.mean[2] > 1.5 * risk.mean[1]
    # the naive peer, proportional to recorded incidents, gives A the most by far
    naive = allocate.naive_plan(history(rows), units=12)
    assert naive == pytest.approx([12 * 100 / 220, 12 * 40 / 220, 12 * 80 / 220])


def test_more_patrol_hours_narrow_the_interval():
    rows = []
    for p in range(10):
        rows += [(str(p), "A", 1, 10, 100.0), (str(p), "B", 1, 1, 10.0)]
    risk = allocate.estimate_risk(history(rows))
    width = risk.high - risk.low
    assert width[0] < width[1]


def test_units_sum_every_grid_floor_and_cap():
    rows = []
    for p in range(6):
        rows += [(str(p), "A", 20, 0, 10.0), (str(p), "B", 1, 0, 10.0), (str(p), "C", 1, 0, 10.0),
                 (str(p), "D", 0, 0, 0.0)]
    h = history(rows)
    free = allocate.allocate(h, units=10, exploration=0.0)
    assert free.grids == ("A", "B", "C", "D")
    assert free.units.sum() == pytest.approx(10)
    assert free.units[0] > 5
    bounded = allocate.allocate(h, units=10, exploration=0.0, floor=1.0, cap=4.0)
    assert bounded.units.sum() == pytest.approx(10)
    assert bounded.units[0] == pytest.approx(4.0)
    assert bounded.units.min() >= 1.0 - 1e-12


def test_water_fill_by_hand():
    # weights 6, 3, 1, total 10, cap 4: 6 is capped at 4; the other 6 units go 3:1 -> 4.5 > 4, so
    # 3 is capped too; the last grid takes 2
    assert allocate.water_fill(np.array([6.0, 3.0, 1.0]), 10, cap=4) == pytest.approx([4, 4, 2])
    # floor 2: weights 8, 1, 1 of 10 -> 2 each for the small, 6 for the large
    assert allocate.water_fill(np.array([8.0, 1.0, 1.0]), 10, floor=2) == pytest.approx([6, 2, 2])
    with pytest.raises(ValueError):
        allocate.water_fill(np.array([1.0, 1.0]), 10, cap=4)
    with pytest.raises(ValueError):
        allocate.water_fill(np.array([1.0, 1.0]), 3, floor=2)


def test_exploration_goes_to_grids_with_little_recent_exposure():
    rows = []
    for p in range(8):
        rows += [(str(p), "A", 2, 1, 50.0), (str(p), "B", 2, 0, 0.0)]
    plan = allocate.allocate(history(rows), units=10, exploration=0.3, seed=5)
    assert plan.explore.sum() == pytest.approx(3.0)
    assert plan.explore[1] > plan.explore[0]
    again = allocate.allocate(history(rows), units=10, exploration=0.3, seed=5)
    assert np.array_equal(plan.units, again.units)  # deterministic by seed


def test_no_incidents_at_all_is_uniform():
    rows = [(str(p), g, 0, 0, 5.0) for p in range(3) for g in ("A", "B", "C", "D")]
    plan = allocate.allocate(history(rows), units=8, exploration=0.15)
    assert plan.units == pytest.approx([2, 2, 2, 2])
    assert list(plan.risk.mean) == [0, 0, 0, 0]


def test_periods_sort_in_time_order_and_duplicates_refused():
    h = history([("10", "A", 1, 0, 0.0), ("9", "A", 2, 0, 0.0)])
    assert h.periods == ("9", "10")  # numeric periods in numeric order
    h = history([("2026-W10", "A", 1, 0, 0.0), ("2026-W09", "A", 2, 0, 0.0)])
    assert h.periods == ("2026-W09", "2026-W10")
    assert h.reported[:, 0].tolist() == [2, 1]
    with pytest.raises(ValueError):
        history([("1", "A", 1, 0, 0.0), ("1", "A", 2, 0, 0.0)])


def test_gini_and_rounding():
    assert allocate.gini([1, 1, 1, 1]) == 0.0
    assert allocate.gini([0, 0, 0, 4]) == pytest.approx(0.75)  # (n-1)/n for one holder
    rounded = allocate.round_to_sum(np.array([1 / 3, 1 / 3, 1 / 3]), 1.0)
    assert rounded.sum() == pytest.approx(1.0, abs=1e-12)
    assert sorted(rounded) == pytest.approx([0.3333, 0.3333, 0.3334])


def test_discovered_without_patrol_hours_are_left_out():
    """Finds with no recorded exposure cannot be corrected for it: they do not count at all."""
    rows = [(str(p), g, 2, d, 0.0) for p in range(6) for g, d in (("A", 0), ("B", 9))]
    risk = allocate.estimate_risk(history(rows))
    assert risk.mean[0] == pytest.approx(risk.mean[1]) == pytest.approx(2.0)
    assert list(risk.counts) == [12, 12]
