"""Duplicate suggestions: scope (grid prefixes, not departments), 小类, open states, radius, the
newest-first scan limit, on every database."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.cases import selectors
from gridgov.cases.models import Case, Category
from gridgov.core.errors import Forbidden
from tests.cases.conftest import GRID, PEOPLES_SQUARE

LON, LAT = PEOPLES_SQUARE
DEG_LAT = 1 / 111_000  # one metre north, in degrees
DEG_LON = 1 / (111_000 * math.cos(math.radians(LAT)))


@pytest.fixture
def scene(actors, make_case):
    """Cases around one point: same 小类 inside the radius (two with the same report time), inside
    the box but outside the circle, outside the box, another 小类, closed and rejected ones,
    another street of the district and another district."""
    base = timezone.now() - timedelta(hours=1)
    made = {}

    def add(name, state="reported", *, category="E0101", grid_code=GRID, east=0.0, north=0.0, minutes=0):
        made[name] = make_case(state, category=category, grid_code=grid_code, lon=LON + east * DEG_LON,
                               lat=LAT + north * DEG_LAT, reported_at=base + timedelta(minutes=minutes),
                               lead="310104-cm" if grid_code.startswith("310104") else None)

    add("here")
    add("near", east=10, minutes=1)
    add("tie_a", north=20, minutes=2)
    add("tie_b", north=-20, minutes=2)
    add("handling", "handling", east=-30, minutes=3)
    add("corner", east=45, north=45, minutes=4)   # in the box, 64 m away: outside the circle
    add("edge", east=49, minutes=5)
    add("outside", east=80, minutes=6)
    add("other_category", category="E0102", minutes=7)
    add("closed", "closed", east=5, minutes=8)
    add("rejected", "rejected", east=-5, minutes=9)
    add("other_street", grid_code="310101002001001", east=15, minutes=10)
    add("other_district", "dispatched", grid_code="310104001001001", east=-15, minutes=11)
    add("no_point", minutes=12)
    Case.objects.filter(pk=made["no_point"].pk).update(lon=None, lat=None)
    return made


def test_suggestions_follow_the_scope(scene, actors):
    category = Category.objects.get(code="E0101")
    ids = {name: case.pk for name, case in scene.items()}
    got = {r["id"] for r in selectors.duplicates_near(actors["centre"], category=category, lon=LON, lat=LAT)}
    # open, same 小类, within 50 m, in 黄浦区: not the corner, the far one, the other 小类, the closed
    # or rejected ones, the other district's (even with a task there) or the one without a point
    assert got == {ids[n] for n in ("here", "near", "tie_a", "tie_b", "handling", "edge", "other_street")}
    street = {r["id"] for r in selectors.duplicates_near(actors["dispatcher"], category=category, lon=LON, lat=LAT)}
    assert street == got - {ids["other_street"]}
    # the other district's handler: only that district's case (a grid-prefix rule, not department)
    far = selectors.duplicates_near(actors["far_handler"], category=category, lon=LON, lat=LAT)
    assert [r["id"] for r in far] == [ids["other_district"]]
    ordered = selectors._duplicate_candidates(actors["centre"], category=category,
                                              box=selectors._duplicate_box(category, LON, LAT), exclude=None)
    assert [r["id"] for r in ordered][:3] == [ids["other_street"], ids["edge"], ids["corner"]]  # newest first
    with pytest.raises(Forbidden):
        selectors.duplicates_near(actors["auditor"], category=category, lon=LON, lat=LAT)


def test_suggestions_nearest_first_without_the_case_itself(scene, actors):
    category = Category.objects.get(code="E0101")
    ids = {name: case.pk for name, case in scene.items()}
    rows = selectors.duplicates_near(actors["centre"], category=category, lon=LON, lat=LAT, exclude=ids["here"])
    order = [r["id"] for r in rows]
    # 10 m, 15 m, 20 m (two), 30 m, 49 m
    assert order[:2] == [ids["near"], ids["other_street"]]
    assert set(order[2:4]) == {ids["tie_a"], ids["tie_b"]}
    assert order[4:] == [ids["handling"], ids["edge"]]
    assert [round(r["distance_m"]) for r in rows] == [10, 15, 20, 20, 30, 49]
    assert len(selectors.duplicates_near(actors["centre"], category=category, lon=LON, lat=LAT, limit=3)) == 3


def test_the_scan_keeps_the_newest_candidates(actors, make_case):
    """More candidates than the scan limit: the newest ones (report time, then id), newest first."""
    category = Category.objects.get(code="E0101")
    base = timezone.now() - timedelta(days=1)
    made = Case.objects.bulk_create([
        Case(state="reported", grid_code=GRID, category=category, description=f"n{i}", lon=LON + (i % 7) * DEG_LON,
             lat=LAT, reported_at=base + timedelta(seconds=i // 2), updated_at=base, supervising_prefix=GRID[:9])
        for i in range(230)])
    box = selectors._duplicate_box(category, LON, LAT)
    fast = selectors._duplicate_candidates(actors["centre"], category=category, box=box, exclude=None)
    assert selectors._DUPLICATE_SCAN == 200
    # i // 2 seconds after base: newest first is i descending (equal times: the larger id first)
    assert [r["id"] for r in fast] == [made[i].pk for i in range(229, 29, -1)]
    assert [r["description"] for r in fast[:3]] == ["n229", "n228", "n227"]
