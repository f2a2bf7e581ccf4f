"""The pure formulas of command/scorecard.py with hand-worked numbers."""

import pytest

from gridgov.command import scorecard as s


def test_score_weights_the_indicators_with_data():
    m = {"on_time_closure": s.ratio(1, 2), "satisfaction": s.ratio(3, 4), "warning_response": s.ratio(0, 0),
         "care_contact": s.NO_DATA}
    w = {"on_time_closure": 30, "satisfaction": 20, "warning_response": 15, "care_contact": 15}
    # only two indicators have data: 100 * (30*0.5 + 20*0.75) / 50 = 60
    assert s.score(m, w) == pytest.approx(60.0)
    assert s.effective_weights(m, w) == pytest.approx({"on_time_closure": 0.6, "satisfaction": 0.4})


def test_missing_hook_value_redistributes_its_weight():
    base = {"on_time_closure": s.ratio(9, 10), "project_completion": s.given(None)}
    w = {"on_time_closure": 30, "project_completion": 10}
    assert s.score(base, w) == pytest.approx(90.0)
    with_hook = {**base, "project_completion": s.given(0.5)}
    # 100 * (30*0.9 + 10*0.5) / 40 = 80
    assert s.score(with_hook, w) == pytest.approx(80.0)


def test_zero_weight_ignores_an_indicator_and_nothing_gives_none():
    m = {"on_time_closure": s.ratio(1, 4), "satisfaction": s.ratio(1, 1)}
    assert s.score(m, {"on_time_closure": 0, "satisfaction": 5}) == pytest.approx(100.0)
    assert s.score({"satisfaction": s.NO_DATA}, {"satisfaction": 5}) is None
    assert s.score(m, {"on_time_closure": 0, "satisfaction": 0}) is None


def test_hook_value_must_be_a_share():
    with pytest.raises(ValueError):
        s.given(1.5)


def test_competition_ranking_with_ties():
    ranks = s.competition_rank({"a": 90.0, "b": 80.0, "c": 80.0, "d": 70.0, "e": None, "f": 95.0})
    assert ranks == {"f": 1, "a": 2, "b": 3, "c": 3, "d": 5, "e": None}
    assert s.competition_rank({"x": 50.0, "y": 50.0, "z": 50.0}) == {"x": 1, "y": 1, "z": 1}
    # float noise does not split a tie: 0.1 + 0.2 vs 0.3
    assert s.competition_rank({"p": (0.1 + 0.2) * 100, "q": 30.0}) == {"p": 1, "q": 1}


def test_trend():
    assert s.trend(72.5, 70.0) == pytest.approx(2.5)
    assert s.trend(60.0, None) is None
    assert s.trend(None, 60.0) is None


def test_weights_validation():
    raw = {k: "10" for k in s.BY_KEY}
    weights, errors = s.validate_weights({**raw, "satisfaction": "abc", "care_contact": "120"})
    assert dict(errors) == {"satisfaction": "not a number", "care_contact": "must be between 0 and 100"}
    weights, errors = s.validate_weights({k: "0" for k in s.BY_KEY})
    assert errors == [("weights", "at least one weight must be above 0")]
    weights, errors = s.validate_weights(raw)
    assert errors == [] and weights["on_time_closure"] == 10.0


@pytest.mark.parametrize(("now", "colour"), [(0, "green"), (79, "green"), (80, "yellow"), (99.9, "yellow"),
                                             (100, "red"), (250, "red")])
def test_deadline_colour(now, colour):
    assert s.deadline_colour(0, 100, now) == colour
