"""The transition table (exhaustive) and the deadline colour at its boundaries (calendar days)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from gridgov.command import project_rules as rules

SH = ZoneInfo("Asia/Shanghai")
ALLOWED = {
    ("planned", "in_progress"), ("planned", "suspended"), ("planned", "cancelled"),
    ("in_progress", "done"), ("in_progress", "suspended"), ("in_progress", "cancelled"),
    ("suspended", "in_progress"), ("suspended", "cancelled"),
}
STATUSES = ["planned", "in_progress", "done", "suspended", "cancelled"]


@pytest.mark.parametrize(("old", "new"), list(product(STATUSES + ["bogus"], STATUSES + ["bogus"])))
def test_transition_table_is_exactly_the_documented_one(old, new):
    assert rules.can_transition(old, new) == ((old, new) in ALLOWED)


def test_final_statuses_have_no_way_out():
    assert rules.TRANSITIONS["done"] == frozenset()
    assert rules.TRANSITIONS["cancelled"] == frozenset()
    assert set(rules.STATUSES) == set(STATUSES)


# start 2026-01-01, deadline 2026-01-10: the project runs 10 calendar days = 240 h from
# 2026-01-01 00:00 to 2026-01-11 00:00 (Asia/Shanghai). 80 % = 192 h -> 2026-01-09 00:00.
START, DEADLINE = date(2026, 1, 1), date(2026, 1, 10)
YELLOW_FROM = datetime(2026, 1, 9, 0, 0, tzinfo=SH)
RED_FROM = datetime(2026, 1, 11, 0, 0, tzinfo=SH)


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2026, 1, 1, 0, 0, tzinfo=SH), "green"),
    (YELLOW_FROM - timedelta(seconds=1), "green"),
    (YELLOW_FROM, "yellow"),
    (RED_FROM - timedelta(seconds=1), "yellow"),
    (RED_FROM, "red"),
    (datetime(2026, 3, 1, tzinfo=SH), "red"),
    (datetime(2025, 12, 1, tzinfo=SH), "green"),  # not started yet
])
def test_deadline_colour_boundaries(now, expected):
    assert rules.deadline_colour(START, DEADLINE, now) == expected


def test_fraction_is_calendar_time_and_timezone_aware():
    # 2026-01-05 12:00 Shanghai = 04:00 UTC: 4.5 of 10 days
    assert rules.deadline_fraction(START, DEADLINE, datetime(2026, 1, 5, 4, 0, tzinfo=ZoneInfo("UTC"))) == pytest.approx(0.45)
    # a one-day project: yellow from 19:12 of that day
    assert rules.deadline_colour(date(2026, 2, 2), date(2026, 2, 2), datetime(2026, 2, 2, 19, 11, tzinfo=SH)) == "green"
    assert rules.deadline_colour(date(2026, 2, 2), date(2026, 2, 2), datetime(2026, 2, 2, 19, 12, tzinfo=SH)) == "yellow"


def test_overdue_only_for_open_projects_after_the_deadline_day():
    assert not rules.is_overdue("in_progress", DEADLINE, DEADLINE)
    assert rules.is_overdue("in_progress", DEADLINE, DEADLINE + timedelta(days=1))
    assert rules.is_overdue("suspended", DEADLINE, DEADLINE + timedelta(days=1))
    assert not rules.is_overdue("done", DEADLINE, DEADLINE + timedelta(days=30))
    assert not rules.is_overdue("cancelled", DEADLINE, DEADLINE + timedelta(days=30))


def test_category_table():
    codes = {c.code: c.name for c in rules.categories()}
    assert codes["01"] == "规范化建设"
    assert codes["99"] == "其他"
