"""The situation map's area layer: an area is coloured by the week's highest warning on itself, on an
area containing it (a street warning colours its communities and grids whatever level is shown) or on
an area inside it; scoped to the caller's jurisdiction. Expected levels are written out here from the
three planted warnings, not computed by the code under test."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from gridgov.geo.models import Division, Grid
from gridgov.safety.models import Alert, Category

WEEK = date(2030, 1, 7)  # a Monday far from the demo's incidents: only the planted warnings


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def planted(city):
    streets = list(Division.objects.filter(level=9, prefix__startswith="310101").order_by("prefix")
                   .values_list("prefix", flat=True))
    assert len(streets) >= 2
    orange_street, other_street = streets[0], streets[1]
    red_grid = Grid.objects.filter(code__startswith=other_street).order_by("code").first().code
    blue_community = red_grid[:12]
    category = Category.objects.order_by("code").first()

    def alert(code: str, level: int) -> None:
        Alert.objects.create(area_code=code, area_level=len(code), category=category, week_start=WEEK,
                             method="test", observed=9, expected=1.0, threshold=4.0, pvalue=0.001, score=2.0,
                             level=level)

    alert(orange_street, 3)
    alert(red_grid, 4)
    alert(blue_community, 1)
    return {"orange_street": orange_street, "other_street": other_street, "red_grid": red_grid,
            "blue_community": blue_community}


def _areas(client, level: int) -> dict[str, dict]:
    r = client.get(f"/api/v1/safety/situation?week={WEEK}&level={level}")
    assert r.status_code == 200, r.content
    return {f["properties"]["code"]: f["properties"] for f in json.loads(r.content)["features"]}


def test_communities_take_the_street_warning_and_the_grid_warning_inside(planted, make_user):
    client = _client(make_user("d1", ("district_centre", "310101")))
    areas = _areas(client, 12)
    communities = set(Division.objects.filter(level=12, prefix__startswith="310101").values_list("prefix", flat=True))
    assert set(areas) == communities
    for code, p in areas.items():
        if code.startswith(planted["orange_street"]):
            assert (p["level"], p["level_name"], p["via"], p["own_level"]) == (3, "orange", planted["orange_street"], 0)
        elif code == planted["blue_community"]:
            # its own blue warning, outranked by the red one on a grid inside it
            assert (p["level"], p["via"], p["own_level"], p["warnings"]) == (4, planted["red_grid"], 1, 1)
            assert p["colour"] == "#d7191c"
        else:
            assert (p["level"], p["via"], p["warnings"]) == (0, None, 0), code


def test_grids_streets_and_district_levels(planted, make_user):
    client = _client(make_user("d2", ("district_centre", "310101")))
    grids = _areas(client, 15)
    assert len(grids) == Grid.objects.filter(code__startswith="310101").count()
    for code, p in grids.items():
        if code == planted["red_grid"]:
            expected = (4, None)
        elif code.startswith(planted["orange_street"]):
            expected = (3, planted["orange_street"])
        elif code.startswith(planted["blue_community"]):
            expected = (1, planted["blue_community"])
        else:
            expected = (0, None)
        assert (p["level"], p["via"]) == expected, code
    streets = _areas(client, 9)
    assert (streets[planted["orange_street"]]["level"], streets[planted["orange_street"]]["via"]) == (3, None)
    assert (streets[planted["other_street"]]["level"], streets[planted["other_street"]]["via"]) == (4, planted["red_grid"])
    assert {p["level"] for c, p in streets.items() if c not in (planted["orange_street"], planted["other_street"])} == {0}
    district = _areas(client, 6)
    assert list(district) == ["310101"] and district["310101"]["level"] == 4


def test_a_street_user_sees_only_its_street(planted, make_user):
    """Scoping: areas and warnings outside the caller's street are neither drawn nor counted."""
    client = _client(make_user("s1", ("street_centre", planted["other_street"])))
    areas = _areas(client, 12)
    assert areas and all(code.startswith(planted["other_street"]) for code in areas)
    assert areas[planted["blue_community"]]["level"] == 4
    streets = _areas(client, 9)
    assert list(streets) == [planted["other_street"]]
    # the orange street's warning is invisible to this user: a user there sees it, this one does not
    other = _client(make_user("s2", ("street_centre", planted["orange_street"])))
    assert {p["level"] for p in _areas(other, 12).values()} == {3}
