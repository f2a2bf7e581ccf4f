"""Geography through the API and services: scoping, layers, detail, search, locate, import/export."""

import json

import pytest
import shapely
from django.test import Client

from gridgov.core.models import AuditEvent
from gridgov.geo import selectors
from gridgov.geo.models import Division, Grid

PS = (121.4737, 31.2304)  # People's Square


@pytest.fixture
def city(db, roles):
    from gridgov.demo.geo import load_demo_city

    return load_demo_city(scale="tiny", seed=1)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_demo_city_is_stored_with_nesting_and_areas(city):
    assert Division.objects.filter(code="310101000000", name="黄浦区", level=6).exists()
    grids = Grid.objects.select_related("community")
    assert grids.count() >= 100
    for g in grids:
        assert g.code.startswith(g.community.prefix) and len(g.code) == 15
        assert g.area_m2 > 0 and g.min_lon < g.max_lon
    total = sum(g.area_m2 for g in grids) / 1e6
    district = Division.objects.get(code="310101000000")
    assert total == pytest.approx(district.area_m2 / 1e6, rel=1e-3)


def test_grid_worker_sees_own_street_not_other_streets(city, make_user):
    grid_code = city["grid_worker"][0][0]
    worker = make_user("w1", ("grid_worker", grid_code, "capture"), ("grid_worker", grid_code[:9], "search"))
    client = _client(worker)
    visible = json.loads(client.get("/api/v1/geo/layers/grids?zoom=15").content)
    codes = {f["properties"]["code"] for f in visible["features"]}
    assert grid_code in codes
    assert codes and all(c.startswith(grid_code[:9]) for c in codes)
    other = Grid.objects.exclude(code__startswith=grid_code[:9]).first()
    assert other is not None
    response = client.get(f"/api/v1/geo/grids/{other.code}")
    assert response.status_code == 404
    assert client.get("/api/v1/geo/grids/310101999999999").json() == response.json()  # indistinguishable
    detail = client.get(f"/api/v1/geo/grids/{grid_code}").json()
    assert detail["code"] == grid_code and detail["district"]["name"] == "黄浦区"
    assert detail["workers"] == [{"display_name": "w1"}]


def test_division_layer_includes_ancestors_for_context(city, make_user):
    grid_code = city["grid_worker"][0][0]
    worker = make_user("w2", ("grid_worker", grid_code))
    fc = _client(worker).get("/api/v1/geo/layers/divisions?level=6").json()
    assert [f["properties"]["code"] for f in fc["features"]] == ["310101000000"]
    streets = _client(worker).get("/api/v1/geo/layers/divisions?level=9").json()
    assert [f["properties"]["prefix"] for f in streets["features"]] == [grid_code[:9]]


def test_missing_capability_is_403(city, make_user):
    auditor = make_user("aud", ("auditor", "31"))
    response = _client(auditor).get("/api/v1/geo/layers/grids?zoom=15")
    assert response.status_code == 403 and response.json()["error"]["code"] == "missing_capability"


def test_grid_layer_truncates_and_refuses_low_zoom(city, make_user, monkeypatch):
    user = make_user("d", ("district_centre", "310101"))
    client = _client(user)
    low = client.get("/api/v1/geo/layers/grids?zoom=10").json()
    assert low["truncated"] is True and low["features"] == [] and low["total"] >= 100
    monkeypatch.setattr(selectors, "MAX_LAYER_FEATURES", 10)
    monkeypatch.setattr(selectors.grids_layer, "__kwdefaults__", {"bbox": None, "zoom": None, "limit": 10})
    many = client.get("/api/v1/geo/layers/grids?zoom=15").json()
    assert many["truncated"] is True and many["features"] == []
    box = "121.472,31.229,121.475,31.231"
    few = client.get(f"/api/v1/geo/layers/grids?zoom=17&bbox={box}").json()
    assert 1 <= len(few["features"]) <= 10 and few["truncated"] is False


def test_bad_bbox_names_the_field(city, make_user):
    client = _client(make_user("d2", ("district_centre", "310101")))
    response = client.get("/api/v1/geo/layers/grids?bbox=1,2,3")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "bbox"


def test_locate_people_square_and_outside(city, make_user):
    client = _client(make_user("d3", ("district_centre", "310101")))
    hit = client.get(f"/api/v1/geo/locate?lon={PS[0]}&lat={PS[1]}").json()
    grid = Grid.objects.get(code=hit["grid_code"])
    assert shapely.from_wkb(bytes(grid.boundary)).covers(shapely.Point(*PS))
    assert hit["in_jurisdiction"] is True
    miss = client.get("/api/v1/geo/locate?lon=100.0&lat=30.0").json()
    assert miss["grid_code"] is None and miss["in_jurisdiction"] is False
    bulk = client.post("/api/v1/geo/locate", data={"points": [{"lon": PS[0], "lat": PS[1]}, {"lon": 100, "lat": 30}]},
                       content_type="application/json").json()
    assert [r["grid_code"] for r in bulk["results"]] == [hit["grid_code"], None]
    assert client.get("/api/v1/geo/locate?lon=500&lat=0").status_code == 422


def test_locator_cache_rebuilds_when_grids_change(city):
    code = selectors.locate_codes([PS[0]], [PS[1]])[0]
    assert code is not None
    from gridgov.demo.geo import reset_demo_city

    reset_demo_city()
    assert selectors.locate_codes([PS[0]], [PS[1]]) == [None]


def test_search_by_code_and_name(city, make_user):
    client = _client(make_user("d4", ("district_centre", "310101")))
    grid = Grid.objects.order_by("code").first()
    hits = client.get(f"/api/v1/geo/search?q={grid.code}").json()["results"]
    assert hits[0]["code"] == grid.code and len(hits[0]["bbox"]) == 4
    by_name = client.get("/api/v1/geo/search?q=黄浦").json()["results"]
    assert any(h["code"] == "310101" for h in by_name)


def test_export_import_round_trip_changes_nothing(city, make_user, roles):
    from gridgov.geo import services

    admin = make_user("adm", ("city_admin", "31"))
    text = _client(admin).get("/api/v1/geo/grids.geojson").content
    data = json.loads(text)
    assert len(data["features"]) == Grid.objects.count()
    before = {g.code: (g.name, shapely.from_wkb(bytes(g.boundary))) for g in Grid.objects.all()}
    report = services.grids_import(data=data, actor=admin)
    assert report.created == 0 and report.updated == len(before) and not report.problems
    for g in Grid.objects.all():
        name, geom = before[g.code]
        assert g.name == name
        assert shapely.equals_exact(shapely.normalize(geom), shapely.normalize(shapely.from_wkb(bytes(g.boundary))),
                                    tolerance=2e-7)
    assert AuditEvent.objects.filter(action="IMPORT", actor_username="adm").exists()


@pytest.fixture
def empty_community(city):
    """A community stored with its boundary (121.395..121.42, 31.195..31.22) and no grid yet: new
    grids there lie inside their community and overlap no stored grid."""
    from gridgov.geo.services import DivisionRow, divisions_upsert

    box = shapely.box(121.395, 31.195, 121.42, 31.22)
    assert not [g.code for g in Grid.objects.all() if shapely.from_wkb(bytes(g.boundary)).intersects(box)]
    divisions_upsert(rows=[DivisionRow("310101001099", "测试居委会", box)])
    return Division.objects.get(code="310101001099")


def _square(x0, y0, d=0.001):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]]}


@pytest.mark.parametrize("mutate,code", [
    (lambda f: f.__setitem__("geometry", {"type": "Polygon", "coordinates": [[[121.40, 31.20], [121.401, 31.201],
                                                                                [121.401, 31.20], [121.40, 31.201],
                                                                                [121.40, 31.20]]]}),
     "self_intersection"),
    (lambda f: f["geometry"]["coordinates"][0].reverse(), "wrong_ring_order"),
    (lambda f: f.__setitem__("geometry", {"type": "LineString", "coordinates": [[121.4, 31.2], [121.5, 31.3]]}),
     "not_polygon"),
    (lambda f: f["properties"].__setitem__("code", "310101888001001"), "code_not_nested"),
    (lambda f: f["properties"].__setitem__("name", ""), "missing_name"),
])
def test_each_import_error_is_specific_and_writes_nothing(empty_community, mutate, code):
    from gridgov.core.errors import ValidationFailed
    from gridgov.geo import services

    community = empty_community
    good = {"type": "Feature", "geometry": _square(121.40, 31.20),
            "properties": {"code": community.code + "901", "name": "新网格"}}
    bad = json.loads(json.dumps(good))
    bad["geometry"] = _square(121.41, 31.21)
    bad["properties"]["code"] = community.code + "902"
    mutate(bad)
    before = (Grid.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        services.grids_import(data={"type": "FeatureCollection", "features": [good, bad]})
    details = exc.value.details
    assert any(d.code == code and d.row == 1 for d in details), [d.as_dict() for d in details]
    assert all(d.row == 1 for d in details)
    assert (Grid.objects.count(), AuditEvent.objects.count()) == before


def test_duplicate_and_overlap_are_reported_with_both_features(city):
    from gridgov.core.errors import ValidationFailed
    from gridgov.geo import services

    community = Division.objects.filter(level=12).order_by("code").first()
    a = {"type": "Feature", "geometry": _square(121.40, 31.20, 0.002),
         "properties": {"code": community.code + "901", "name": "甲"}}
    b = {"type": "Feature", "geometry": _square(121.401, 31.201, 0.002),
         "properties": {"code": community.code + "902", "name": "乙"}}
    c = {"type": "Feature", "geometry": _square(121.45, 31.25), "properties": {"code": community.code + "901",
                                                                                "name": "丙"}}
    with pytest.raises(ValidationFailed) as exc:
        services.grids_import(data={"type": "FeatureCollection", "features": [a, b, c]})
    by_code = {d.code: d for d in exc.value.details}
    assert "overlap" in by_code and "m²" in by_code["overlap"].message
    assert "duplicate_code" in by_code and "0" in by_code["duplicate_code"].message
    assert not Grid.objects.filter(code__startswith=community.code + "90").exists()


def test_repair_fixes_ring_order_and_says_so(empty_community):
    from gridgov.geo import services

    community = empty_community
    f = {"type": "Feature", "geometry": _square(121.40, 31.20), "properties": {"code": community.code + "901",
                                                                                "name": "新网格"}}
    f["geometry"]["coordinates"][0].reverse()
    report = services.grids_import(data={"type": "FeatureCollection", "features": [f]}, repair=True)
    assert report.created == 1 and report.repairs and report.repairs[0].row == 0


def test_import_through_api_needs_geo_manage(city, make_user):
    district = make_user("dd", ("district_centre", "310101"))
    response = _client(district).post("/api/v1/geo/import", data={"type": "FeatureCollection", "features": []},
                                      content_type="application/json")
    assert response.status_code == 403


def test_map_page_renders_for_geo_view_and_403_without(city, make_user):
    ok = _client(make_user("m1", ("district_centre", "310101"))).get("/geo/map/")
    assert ok.status_code == 200 and b"map" in ok.content
    denied = _client(make_user("m2", ("auditor", "31"))).get("/geo/map/")
    assert denied.status_code == 403


def test_jurisdiction_capture_scope_is_the_own_grid(city, make_user):
    """The report form's map opens on where the reporter records: a grid worker's own grid, not the
    wider search scope (the street) that the plain outline shows."""
    grid = selectors.locate_code(*PS)
    worker = make_user("gw-cap", ("grid_worker", grid, "capture"), ("grid_worker", grid[:9], "search"))
    client = _client(worker)
    read = json.loads(client.get("/api/v1/geo/jurisdiction").content)
    assert [(f["properties"]["code"], f["properties"]["level"]) for f in read["features"]] == [(grid[:9], 9)]
    capture = json.loads(client.get("/api/v1/geo/jurisdiction?scope=capture").content)
    assert [(f["properties"]["code"], f["properties"]["level"]) for f in capture["features"]] == [(grid, 15)]
    own = shapely.from_geojson(json.dumps(capture["features"][0]["geometry"]))
    assert own.contains(shapely.Point(*PS))
    assert client.get("/api/v1/geo/jurisdiction?scope=everything").status_code == 422
    # without geo.view: refused, whatever the scope
    auditor = make_user("aud-cap", ("auditor", "31"))
    assert _client(auditor).get("/api/v1/geo/jurisdiction?scope=capture").status_code == 403
