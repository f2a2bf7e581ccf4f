"""Issue 15, finding 7: POST /api/v1/geo/import with deeply nested JSON answers 400 (not 500); an
unclosed ring is a problem, or with ``repair`` a listed repair (not closed silently); a grid far
outside its stored community is refused (``outside_community``); a grid overlapping a grid already
stored is refused (``overlap_existing``): People's Square does not end up in two grids."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gridgov.core.errors import ValidationFailed
from gridgov.core.models import AuditEvent
from gridgov.geo import services
from gridgov.geo.models import Grid

PS = (121.4737, 31.2304)  # People's Square, in stored grid 310101001003002 of the tiny demo city


@pytest.fixture
def city(db, roles):
    from gridgov.demo.geo import load_demo_city

    return load_demo_city(scale="tiny", seed=1)


@pytest.fixture
def admin(make_user):
    c = Client()
    c.force_login(make_user("geoadm", ("city_admin", "31")))
    return c


def _square(x0, y0, d=0.001, closed=True):
    ring = [[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d]]
    return {"type": "Polygon", "coordinates": [ring + [[x0, y0]] if closed else ring]}


def _fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(code, geometry, name="新网格"):
    return {"type": "Feature", "geometry": geometry, "properties": {"code": code, "name": name}}


def _inside_stored_grid(code):
    """A small square well inside the stored grid ``code`` (so also inside its community)."""
    import shapely

    g = shapely.from_wkb(bytes(Grid.objects.get(code=code).boundary))
    p = shapely.point_on_surface(g)
    return p.x - 0.0002, p.y - 0.0002


@pytest.mark.parametrize("depth", [100_000, 200])
def test_deeply_nested_json_is_a_400(city, admin, depth):
    body = "[" * depth + "]" * depth
    r = admin.post("/api/v1/geo/import", data=body, content_type="application/json")
    assert r.status_code == 400, r.content[:200]
    assert r.json()["error"]["code"] == "too_deep"
    nested = {"type": "FeatureCollection", "features": [_feature("310101001003901", _square(*PS))]}
    deep = current = {}
    for _ in range(depth if depth < 1000 else 900):
        current["x"] = {}
        current = current["x"]
    nested["features"][0]["properties"]["extra"] = deep
    r = admin.post("/api/v1/geo/import", data=json.dumps(nested), content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_deep"
    assert not Grid.objects.filter(code="310101001003901").exists()


def test_unclosed_ring_is_a_problem_without_repair(city):
    x, y = _inside_stored_grid("310101001003002")
    f = _feature("310101001003002", _square(x, y, 0.0003, closed=False))
    with pytest.raises(ValidationFailed) as exc:
        services.grids_import(data=_fc(f))
    assert [(d.row, d.code) for d in exc.value.details] == [(0, "unclosed_ring")]


def test_unclosed_ring_is_a_listed_repair(city):
    """Replacing stored grid 003002 by a closed copy of itself, given with an open ring."""
    import shapely

    stored = shapely.from_wkb(bytes(Grid.objects.get(code="310101001003002").boundary))
    geometry = json.loads(shapely.to_geojson(stored))
    for ring in (geometry["coordinates"] if geometry["type"] == "Polygon" else geometry["coordinates"][0]):
        ring.pop()  # drop the closing vertex
    report = services.grids_import(data=_fc(_feature("310101001003002", geometry)), repair=True)
    assert report.updated == 1
    assert [(d.row, d.code) for d in report.repairs] == [(0, "unclosed_ring")]
    assert "closed" in report.repairs[0].message


def test_grid_far_outside_its_stored_community_is_refused(city):
    # Chongqing, about 1,450 km from the community in 黄浦区
    f = _feature("310101001003901", _square(106.55, 29.56, 0.002))
    before = (Grid.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        services.grids_import(data=_fc(f))
    codes = [(d.row, d.code) for d in exc.value.details]
    assert codes == [(0, "outside_community")], codes
    assert "310101001003" in exc.value.details[0].message
    assert (Grid.objects.count(), AuditEvent.objects.count()) == before


def test_grid_overlapping_a_stored_grid_is_refused(city, admin):
    from gridgov.geo.selectors import locate_codes

    assert locate_codes([PS[0]], [PS[1]]) == ["310101001003002"]
    f = _feature("310101001003901", _square(PS[0] - 0.0002, PS[1] - 0.0002, 0.0004), name="人民广场")
    r = admin.post("/api/v1/geo/import", data=json.dumps(_fc(f)), content_type="application/json")
    assert r.status_code == 422, r.content
    details = r.json()["error"]["details"]
    assert [(d["row"], d["code"]) for d in details] == [(0, "overlap_existing")]
    assert "310101001003002" in details[0]["message"] and "平方米" in details[0]["message"]  # (zh-hans, the default)
    assert not Grid.objects.filter(code="310101001003901").exists()
    assert locate_codes([PS[0]], [PS[1]]) == ["310101001003002"]


def test_a_responsibility_grid_may_lie_over_stored_unit_grids(city):
    f = _feature("310101001003901", _square(PS[0] - 0.0002, PS[1] - 0.0002, 0.0004), name="责任网格")
    f["properties"]["kind"] = "responsibility"
    report = services.grids_import(data=_fc(f))
    assert report.created == 1 and not report.problems
