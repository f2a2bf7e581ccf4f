import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gridgov.prevention.models import PatrolLog, PatrolUnit
from gridgov.prevention.patrols import patrol_hours_by_grid, split_log_hours

SH = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 11, 2)


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=SH)


def test_split_even_over_visited_grids():
    assert split_log_hours(4.0, ["a", "b", "a"], []) == {"a": 2.0, "b": 2.0}


def test_split_by_track_points_wins_over_visited():
    assert split_log_hours(2.0, ["z"], ["a", "a", "a", "b", None]) == {"a": 1.5, "b": 0.5}


def test_split_falls_back_when_no_point_is_located():
    assert split_log_hours(3.0, ["z"], [None, None]) == {"z": 3.0}
    assert split_log_hours(3.0, [], [None]) == {}


@pytest.mark.django_db
def test_patrol_hours_by_grid(grids):
    (g1, x1, y1), (g2, _, _), (g3, x3, y3) = grids
    county = g1[:6]
    unit = PatrolUnit.objects.create(code="P1", name="一组", kind="police", area_code=county)
    # 4 h, visited two grids -> 2 h each.
    PatrolLog.objects.create(unit=unit, area_code=county, started_at=at(3, 8), ended_at=at(3, 12),
                             grids_visited=[g1, g2])
    # 2 h with a track: 3 points in g1, 1 in g3 -> 1.5 h and 0.5 h; the visited list is ignored.
    PatrolLog.objects.create(unit=unit, area_code=county, started_at=at(4, 20), ended_at=at(4, 22),
                             grids_visited=[g2], track=[[x1, y1], [x1, y1], [x1, y1], [x3, y3]])
    # Sunday 22:00 -> Monday 02:00 of the next week: only 2 h fall into the week.
    PatrolLog.objects.create(unit=unit, area_code=county, started_at=at(8, 22), ended_at=at(9, 2),
                             grids_visited=[g3])
    # The week before: not counted.
    PatrolLog.objects.create(unit=unit, area_code=county, started_at=at(1, 8), ended_at=at(1, 10),
                             grids_visited=[g1])
    hours = patrol_hours_by_grid(prefix=county, week_start=MONDAY)
    assert hours == pytest.approx({g1: 3.5, g2: 2.0, g3: 2.5})
    # A mid-week date names the same week.
    assert patrol_hours_by_grid(prefix=county, week_start=MONDAY + dt.timedelta(days=3)) == pytest.approx(hours)
    # A grid prefix keeps that grid only.
    assert patrol_hours_by_grid(prefix=g2, week_start=MONDAY) == pytest.approx({g2: 2.0})
    # The following week holds the 2 h after midnight.
    assert patrol_hours_by_grid(prefix=county, week_start=MONDAY + dt.timedelta(days=7)) == pytest.approx({g3: 2.0})
    # Another county: nothing.
    assert patrol_hours_by_grid(prefix="999999", week_start=MONDAY) == {}
