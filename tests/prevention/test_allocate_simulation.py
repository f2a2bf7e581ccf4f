"""The allocation does not run away: a simulated world with known true rates (issue 19 §3).

The world is written here, independent of the kernel: each period the planner places N units; a grid
with u units gets u * 40 patrol hours; residents report Poisson(rate * 0.5) incidents and patrols
discover Poisson(rate * hours * 0.005). The naive peer (units proportional to every recorded
incident) must run away in this same world, so the world demonstrably has the feedback loop."""

from __future__ import annotations

import numpy as np
import pytest

from gridgov.prevention import allocate

GRIDS, UNITS, PERIODS = 20, 20.0, 40
HOURS_PER_UNIT, REPORTING, DETECTION = 40.0, 0.5, 0.005


def simulate(rates: np.ndarray, planner, *, seed: int, units: float = UNITS) -> np.ndarray:
    """The plans (periods x grids) a planner makes in the world of ``rates`` with ``units`` units."""
    rng = np.random.default_rng(seed)
    names = tuple(f"g{i:02d}" for i in range(len(rates)))
    reported = np.zeros((0, len(rates)))
    discovered = np.zeros((0, len(rates)))
    hours = np.zeros((0, len(rates)))
    plans = []
    for t in range(PERIODS):
        history = allocate.History(tuple(str(p) for p in range(t)), names, reported, discovered, hours,
                                   np.ones((t, len(rates)), dtype=bool))
        plan = planner(history, t, units)
        assert plan.sum() == pytest.approx(units)
        plans.append(plan)
        patrol = plan * HOURS_PER_UNIT
        reported = np.vstack([reported, rng.poisson(rates * REPORTING)])
        discovered = np.vstack([discovered, rng.poisson(rates * patrol * DETECTION)])
        hours = np.vstack([hours, patrol])
    return np.array(plans)


def ours(history, t, units):
    return allocate.allocate(history, units=units, exploration=0.15, seed=t).units


def naive(history, t, units):
    return allocate.naive_plan(history, units=units)


def gini(values) -> float:
    """Oracle: mean absolute difference over all pairs / (2 * mean)."""
    x = np.asarray(values, float)
    return float(np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean()))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_equal_rates_stay_fair(seed):
    plans = simulate(np.full(GRIDS, 4.0), ours, seed=seed)
    cumulative = plans.sum(axis=0)
    assert gini(cumulative) <= 0.10
    assert cumulative.max() <= 2 * cumulative.mean()  # no grid above twice the uniform share
    assert plans[-1].max() <= 2 * UNITS / GRIDS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_hot_grid_gets_more_but_no_runaway_while_the_naive_plan_runs_away(seed):
    rates = np.full(GRIDS, 4.0)
    rates[0] = 12.0  # three times the others
    plans = simulate(rates, ours, seed=seed)
    final = plans[-5:].mean(axis=0)
    cumulative = plans.sum(axis=0)
    for units in (final, cumulative):
        assert 1.5 <= units[0] / units[1:].mean() <= 4.0
    peer = simulate(rates, naive, seed=seed)
    peer_final = peer[-5:].mean(axis=0)
    assert peer_final[0] / peer_final[1:].mean() >= 5.0  # runaway: far beyond the true 3x
    assert peer_final[0] / peer_final[1:].mean() > 1.5 * final[0] / final[1:].mean()


def test_the_naive_plan_drifts_in_an_equal_world():
    """In the equal world the peer's cumulative plan is less fair than ours (an urn's drift)."""
    rates = np.full(GRIDS, 4.0)
    ours_gini = gini(simulate(rates, ours, seed=7).sum(axis=0))
    peer_gini = gini(simulate(rates, naive, seed=7).sum(axis=0))
    assert peer_gini > 3 * ours_gini


def test_one_hot_grid_among_many_is_not_averaged_away():
    """200 grids, one at 3x: the prior fitted to an almost homogeneous area must not pull the hot
    grid back to the mean (the prior's weight is capped), and the rest stay fair."""
    rates = np.full(200, 4.0)
    rates[0] = 12.0
    plans = simulate(rates, ours, seed=11, units=200.0)
    final = plans[-5:].mean(axis=0)
    assert 1.5 <= final[0] / final[1:].mean() <= 4.0
    assert gini(plans.sum(axis=0)[1:]) <= 0.10
