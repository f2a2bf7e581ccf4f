"""Duplicate suggestions: the parametrised SQL built once per process returns exactly the rows of
the ORM query it replaces (scope, 小类, open states, box, order, limit), on every database."""

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


def _reference(user, category, lon, lat, exclude=None, limit=10):
    """duplicates_near as it was: the ORM candidate query, then the distance filter and sort."""
    radius = category.duplicate_radius_m
    rows = selectors._duplicate_candidates_orm(user, category=category, box=selectors._duplicate_box(category, lon, lat),
                                               exclude=exclude)
    out = []
    for r in rows:
        d = selectors._metres(lon, lat, r["lon"], r["lat"])
        if d <= radius:
            out.append({"id": r["id"], "distance_m": round(d, 1), "state": r["state"],
                        "reported_at": r["reported_at"], "description": r["description"][:80]})
    return sorted(out, key=lambda r: r["distance_m"])[:limit]


@pytest.mark.parametrize("who", ["centre", "dispatcher", "worker", "other_worker", "handler", "far_handler"])
def test_fast_path_returns_the_orm_rows(scene, actors, who):
    user = actors[who]
    category = Category.objects.get(code="E0101")
    points = [(LON, LAT), (LON + 30 * DEG_LON, LAT), (LON, LAT + 60 * DEG_LAT), (LON + 0.01, LAT)]
    for lon, lat in points:
        for exclude in (None, scene["here"].pk, scene["near"].pk):
            box = selectors._duplicate_box(category, lon, lat)
            fast = selectors._duplicate_candidates(user, category=category, box=box, exclude=exclude)
            orm = selectors._duplicate_candidates_orm(user, category=category, box=box, exclude=exclude)
            assert fast == orm
            assert all(type(a["reported_at"]) is type(b["reported_at"]) for a, b in zip(fast, orm, strict=True))
            assert selectors.duplicates_near(user, category=category, lon=lon, lat=lat, exclude=exclude) == \
                _reference(user, category, lon, lat, exclude=exclude)


def test_fast_path_sees_what_the_scope_allows(scene, actors):
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


def test_fast_path_keeps_the_scan_limit(actors, make_case):
    """More candidates than the scan limit: the same newest rows as the ORM query."""
    category = Category.objects.get(code="E0101")
    base = timezone.now() - timedelta(days=1)
    Case.objects.bulk_create([
        Case(state="reported", grid_code=GRID, category=category, description=f"n{i}", lon=LON + (i % 7) * DEG_LON,
             lat=LAT, reported_at=base + timedelta(seconds=i // 2), updated_at=base, supervising_prefix=GRID[:9])
        for i in range(selectors._DUPLICATE_SCAN + 30)])
    box = selectors._duplicate_box(category, LON, LAT)
    fast = selectors._duplicate_candidates(actors["centre"], category=category, box=box, exclude=None)
    assert len(fast) == selectors._DUPLICATE_SCAN
    assert fast == selectors._duplicate_candidates_orm(actors["centre"], category=category, box=box, exclude=None)
