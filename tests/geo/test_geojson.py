"""GeoJSON import validation and export (pure: no Django, no database)."""

from __future__ import annotations

import json
import math
import re

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, shape

from gridgov.core.errors import ValidationFailed
from gridgov.geo.geojson import to_feature_collection, validate_collection

LON0, LAT0 = 121.4737, 31.2304  # People's Square, Shanghai
# Local metres -> degrees (spherical approximation, independent of the module's projection).
M_LAT = 1 / 110_574.0
M_LON = 1 / (111_320.0 * math.cos(math.radians(LAT0)))

COMMUNITY = "310101001001"
TOWNSHIP = "310101001000"
KNOWN = {TOWNSHIP}


def rect_m(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    """Counter-clockwise closed ring of a rectangle given in metres east/north of People's Square."""
    pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return [[LON0 + x * M_LON, LAT0 + y * M_LAT] for x, y in pts]


def poly(*rings: list[list[float]]) -> dict:
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def feat(code: str, geometry: dict | None, name: str | None = "甲", **props) -> dict:
    p = {"code": code, **props}
    if name is not None:
        p["name"] = name
    return {"type": "Feature", "properties": p, "geometry": geometry}


def fc(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def grid(seq: int) -> str:
    return f"{COMMUNITY}{seq:03d}"


def only(result, code: str):
    found = [p for p in result.problems if p.code == code]
    assert len(found) == 1, result.problems
    return found[0]


# ------------------------------------------------------------------------------ valid input


def test_valid_collection_has_no_problems_and_reads_fields():
    data = fc(
        feat(COMMUNITY, poly(rect_m(0, 0, 200, 100)), name="人民广场社区"),
        feat(grid(1), poly(rect_m(0, 0, 100, 100)), name="一网格", community_name="人民广场社区"),
        feat(grid(2), poly(rect_m(100, 0, 200, 100)), name="二网格", kind="unit", colour="red"),
        feat(grid(3), poly(rect_m(20, 20, 60, 60)), name="学校专属网格", kind="responsibility"),
    )
    r = validate_collection(data, known_division_codes=KNOWN, existing_grid_codes={grid(2)})
    assert r.ok, r.problems
    assert [g.code for g in r.grids] == [grid(1), grid(2), grid(3)]
    g1, g2, g3 = r.grids
    assert (g1.name, g1.kind, g1.community_code, g1.community_name, g1.index) == (
        "一网格", "unit", COMMUNITY, "人民广场社区", 1)
    assert g2.properties == {"colour": "red"}
    assert g3.kind == "responsibility"  # may lie over unit grids: overlaps are checked per kind
    assert g1.area_m2 == pytest.approx(10_000, rel=0.01)
    (d,) = r.divisions
    assert (d.code12, d.name, d.level.value, d.parent_code12, d.index) == (COMMUNITY, "人民广场社区", 12, TOWNSHIP, 0)
    assert d.area_m2 == pytest.approx(20_000, rel=0.01)
    assert r.updates == [grid(2)]
    assert r.repairs == []


def test_not_a_feature_collection():
    for doc in ([], {"type": "Feature"}, {"type": "FeatureCollection", "features": {}}):
        r = validate_collection(doc)
        assert not r.ok
        (p,) = r.problems
        assert p.code == "not_feature_collection" and p.row is None


# ------------------------------------------------------------------------------ geometry errors


BOWTIE = [[LON0, LAT0], [LON0 + 100 * M_LON, LAT0 + 100 * M_LAT], [LON0 + 100 * M_LON, LAT0],
          [LON0, LAT0 + 100 * M_LAT], [LON0, LAT0]]


def test_invalid_geometry_bow_tie_reports_self_intersection_point():
    r = validate_collection(fc(feat(grid(1), poly(rect_m(200, 0, 300, 100))), feat(grid(2), poly(BOWTIE))),
                            known_division_codes={COMMUNITY})
    p = only(r, "self_intersection")
    assert (p.row, p.field) == (1, "geometry")
    cx, cy = LON0 + 50 * M_LON, LAT0 + 50 * M_LAT
    assert p.message == (f"feature 1 ({grid(2)}): self-intersection at lon {cx:.6f}, lat {cy:.6f} "
                         "(repairable with repair)")
    assert len(r.problems) == 1  # no ring-order noise on an invalid geometry


def test_wrong_ring_order():
    cw = rect_m(0, 0, 100, 100)[::-1]
    r = validate_collection(fc(feat(grid(7), poly(cw))), known_division_codes={COMMUNITY})
    p = only(r, "wrong_ring_order")
    assert (p.row, p.field) == (0, "geometry")
    assert p.message.startswith(f"feature 0 ({grid(7)}): wrong ring order: 1 exterior ring(s) clockwise")
    assert "RFC 7946" in p.message


def test_wrong_ring_order_of_a_hole():
    outer = rect_m(0, 0, 100, 100)
    hole_ccw = rect_m(40, 40, 60, 60)  # holes must be clockwise
    r = validate_collection(fc(feat(grid(1), poly(outer, hole_ccw))), known_division_codes={COMMUNITY})
    assert "1 hole(s) counter-clockwise" in only(r, "wrong_ring_order").message


def test_non_polygon_geometry():
    line = {"type": "LineString", "coordinates": [[LON0, LAT0], [LON0 + 0.001, LAT0]]}
    r = validate_collection(fc(feat(grid(1), poly(rect_m(0, 0, 1, 1))), feat(grid(2), None),
                               feat(grid(2), line), feat(grid(4), None)),
                            known_division_codes={COMMUNITY})
    msgs = [p.message for p in r.problems if p.code == "not_polygon"]
    assert msgs == [
        f"feature 1 ({grid(2)}): geometry is missing; expected Polygon or MultiPolygon",
        f"feature 2 ({grid(2)}): geometry type LineString, expected Polygon or MultiPolygon",
        f"feature 3 ({grid(4)}): geometry is missing; expected Polygon or MultiPolygon",
    ]
    assert all(p.field == "geometry" for p in r.problems if p.code == "not_polygon")


def test_malformed_coordinates():
    r = validate_collection(fc(feat(grid(1), {"type": "Polygon", "coordinates": [[[LON0, LAT0]]]})),
                            known_division_codes={COMMUNITY})
    p = only(r, "invalid_geometry")
    assert p.row == 0 and p.message.startswith(f"feature 0 ({grid(1)}): malformed Polygon coordinates")


def test_bad_coordinates_swapped_and_projected():
    swapped = [[lat, lon] for lon, lat in rect_m(0, 0, 100, 100)]
    projected = [[x, y] for x, y in [[0, 0], [100, 0], [100, 100], [0, 100], [0, 0]]]
    projected = [[350000 + x, 3450000 + y] for x, y in projected]
    r = validate_collection(fc(feat(grid(1), poly(swapped)), feat(grid(2), poly(projected))),
                            known_division_codes={COMMUNITY})
    msgs = {p.row: p.message for p in r.problems if p.code == "bad_coordinates"}
    assert "outside lon [-180, 180] / lat [-90, 90]" in msgs[0]  # lat 121 is impossible
    assert "projected" in msgs[1]
    # plausible on Earth but not in China, with lon/lat swapped
    swapped_small = [[y - 90, x - 90] for x, y in rect_m(0, 0, 100, 100)]
    r = validate_collection(fc(feat(grid(1), poly(swapped_small))), known_division_codes={COMMUNITY})
    assert "outside China" in only(r, "bad_coordinates").message


# ------------------------------------------------------------------------------ property errors


def test_code_not_nested_for_grid_and_division():
    data = fc(
        feat("310101002003", None, name="社区"),  # parent township 310101002000 is unknown
        feat("310101009009001", poly(rect_m(0, 0, 10, 10))),  # community 310101009009 is unknown
        feat("310101002003001", poly(rect_m(20, 0, 30, 10))),  # nested in feature 0: fine
        feat("310101000000", None, name="黄浦区"),  # county level: no parent needed
    )
    r = validate_collection(data)
    nested = [p for p in r.problems if p.code == "code_not_nested"]
    assert [(p.row, p.field) for p in nested] == [(0, "properties.code"), (1, "properties.code")]
    assert nested[0].message == ("feature 0 (310101002003): parent division 310101002000 "
                                 "(township/subdistrict) is neither in the file nor among known divisions")
    assert nested[1].message == ("feature 1 (310101009009001): community 310101009009 (the first 12 "
                                 "digits) is neither in the file nor among known divisions")
    assert len(r.problems) == 2
    # a known township satisfies the division; known codes may be given as prefixes
    r = validate_collection(data, known_division_codes={"310101002", "310101009009"})
    assert r.ok, r.problems


def test_stated_community_code_must_match():
    r = validate_collection(fc(feat(grid(1), poly(rect_m(0, 0, 10, 10)), community_code="310101001002")),
                            known_division_codes={COMMUNITY})
    p = only(r, "code_not_nested")
    assert p.field == "properties.community_code" and "310101001002" in p.message


def test_duplicate_codes_name_both_features():
    data = fc(feat(grid(1), poly(rect_m(0, 0, 10, 10))), feat(grid(2), poly(rect_m(10, 0, 20, 10))),
              feat(grid(1), poly(rect_m(20, 0, 30, 10))))
    r = validate_collection(data, known_division_codes={COMMUNITY})
    p = only(r, "duplicate_code")
    assert (p.row, p.field) == (2, "properties.code")
    assert p.message == f"features 0 and 2 have the same code {grid(1)}"
    assert [g.index for g in r.grids] == [0, 1]  # first occurrence only


def test_missing_and_too_long_name():
    data = fc(feat(grid(1), poly(rect_m(0, 0, 10, 10)), name=None),
              feat(grid(2), poly(rect_m(10, 0, 20, 10)), name="  "),
              feat(grid(3), poly(rect_m(20, 0, 30, 10)), name="网" * 65))
    r = validate_collection(data, known_division_codes={COMMUNITY})
    assert [(p.row, p.code, p.field) for p in r.problems] == [
        (0, "missing_name", "properties.name"), (1, "missing_name", "properties.name"),
        (2, "bad_name", "properties.name")]
    assert r.problems[0].message == f"feature 0 ({grid(1)}): properties.name is missing or empty"
    assert r.problems[2].message == f"feature 2 ({grid(3)}): properties.name has 65 characters; at most 64 allowed"


def test_bad_codes():
    data = fc(
        feat("310101001001000", poly(rect_m(0, 0, 10, 10))),  # sequence 000
        feat("3101010010010", poly(rect_m(10, 0, 20, 10))),  # 13 digits
        feat("31010100100X", None),  # 12 chars, not digits
        feat(None, poly(rect_m(20, 0, 30, 10))),
        feat(grid(5), poly(rect_m(30, 0, 40, 10)), kind="special"),
    )
    r = validate_collection(data, known_division_codes={COMMUNITY})
    got = [(p.row, p.code, p.field) for p in r.problems]
    assert got == [(0, "bad_code", "properties.code"), (1, "bad_code", "properties.code"),
                   (2, "bad_code", "properties.code"), (3, "missing_code", "properties.code"),
                   (4, "bad_kind", "properties.kind")]
    assert r.problems[0].message.startswith("feature 0 (310101001001000): not a valid grid code: grid sequence")
    assert r.problems[1].message.startswith("feature 1 (3101010010010): not a valid grid code: length 13")
    assert "found 'X' at position 12" in r.problems[2].message
    assert r.problems[3].message == "feature 3: properties.code is missing"


def test_level_must_agree_with_code():
    r = validate_collection(fc(feat(COMMUNITY, None, level="township")), known_division_codes=KNOWN)
    p = only(r, "bad_level")
    assert p.message == (f"feature 0 ({COMMUNITY}): properties.level says township/subdistrict but the code is "
                         "a community/village-level code")
    assert p.field == "properties.level"


# ------------------------------------------------------------------------------ spatial errors


def test_overlap_area_in_square_metres():
    # two 100 m squares, the second shifted 80 m east: 20 m x 100 m = 2000 m² overlap
    data = fc(feat(grid(1), poly(rect_m(0, 0, 100, 100))), feat(grid(2), poly(rect_m(200, 0, 300, 100))),
              feat(grid(3), poly(rect_m(80, 0, 180, 100))), feat(grid(4), poly(rect_m(300, 0, 400, 100))))
    r = validate_collection(data, known_division_codes={COMMUNITY})
    p = only(r, "overlap")
    assert (p.row, p.field) == (0, "geometry")
    m = re.fullmatch(rf"features 0 \({grid(1)}\) and 2 \({grid(3)}\) overlap by ([0-9.]+) m² "
                     r"\(around lon [0-9.]+, lat [0-9.]+\)", p.message)
    assert m, p.message
    assert float(m.group(1)) == pytest.approx(2000, rel=0.01)
    # below the tolerance: not reported; sharing an edge (grid 2 / grid 4) is never an overlap
    assert validate_collection(data, known_division_codes={COMMUNITY}, overlap_tolerance_m2=2100).ok


def test_containment_and_identical_geometry_overlap():
    data = fc(feat(grid(1), poly(rect_m(0, 0, 100, 100))), feat(grid(2), poly(rect_m(10, 10, 20, 20))),
              feat(grid(3), poly(rect_m(0, 0, 100, 100))))
    r = validate_collection(data, known_division_codes={COMMUNITY})
    areas = {(p.row, p.message.split(" overlap")[0]): float(re.search(r"by ([0-9.]+) m²", p.message).group(1))
             for p in r.problems}
    assert len(areas) == 3
    assert areas[(0, f"features 0 ({grid(1)}) and 1 ({grid(2)})")] == pytest.approx(100, rel=0.01)
    assert areas[(0, f"features 0 ({grid(1)}) and 2 ({grid(3)})")] == pytest.approx(10_000, rel=0.01)


def test_gap_inside_community():
    # community 200 m x 100 m; grids cover 100 x 100 and 90 x 100 -> 10 m x 100 m = 1000 m² gap
    data = fc(feat(COMMUNITY, poly(rect_m(0, 0, 200, 100)), name="社区"),
              feat(grid(1), poly(rect_m(0, 0, 100, 100))), feat(grid(2), poly(rect_m(110, 0, 200, 100))))
    r = validate_collection(data, known_division_codes=KNOWN)
    p = only(r, "gap")
    assert (p.row, p.field) == (0, "geometry")
    m = re.match(rf"feature 0 \({COMMUNITY}\): ([0-9.]+) m² of the community is not covered by its unit grids "
                 r"\(1 piece\(s\)", p.message)
    assert m, p.message
    assert float(m.group(1)) == pytest.approx(1000, rel=0.01)
    assert len(r.problems) == 1
    # the same with the boundary given by the caller instead of the file
    r = validate_collection(fc(*data["features"][1:]), known_division_codes={COMMUNITY},
                            community_boundaries={COMMUNITY: shape(data["features"][0]["geometry"])})
    p = only(r, "gap")
    assert p.row is None and p.message.startswith(f"community {COMMUNITY}: ")


def test_grid_outside_its_community():
    data = fc(feat(COMMUNITY, poly(rect_m(0, 0, 200, 100)), name="社区"),
              feat(grid(1), poly(rect_m(0, 0, 100, 100))), feat(grid(2), poly(rect_m(100, 0, 250, 100))))
    r = validate_collection(data, known_division_codes=KNOWN)
    p = only(r, "outside_community")
    assert (p.row, p.field) == (2, "geometry")
    area = float(re.match(rf"feature 2 \({grid(2)}\): ([0-9.]+) m² lies outside its community {COMMUNITY}",
                          p.message).group(1))
    assert area == pytest.approx(5000, rel=0.01)


# ------------------------------------------------------------------------------ repair


def test_repair_fixes_bow_tie_and_ring_order_and_says_so():
    data = fc(feat(grid(1), poly(BOWTIE)), feat(grid(2), poly(rect_m(200, 0, 300, 100)[::-1])))
    before = validate_collection(data, known_division_codes={COMMUNITY})
    assert {p.code for p in before.problems} == {"self_intersection", "wrong_ring_order"}
    r = validate_collection(data, known_division_codes={COMMUNITY}, repair=True)
    assert r.ok, r.problems
    assert [(p.row, p.code) for p in r.repairs] == [(0, "self_intersection"), (1, "wrong_ring_order")]
    assert r.repairs[0].message.startswith(f"feature 0 ({grid(1)}): make_valid applied (self-intersection at")
    assert "MultiPolygon with 2 part(s)" in r.repairs[0].message
    assert r.repairs[1].message.endswith("(rings re-oriented)")
    g1, g2 = r.grids
    assert g1.geometry.is_valid and g1.geometry.geom_type == "MultiPolygon"
    assert g1.area_m2 == pytest.approx(5000, rel=0.01)  # two triangles of a 100 m square
    for g in (g1, g2):
        for p in shapely.get_parts(g.geometry):
            assert p.exterior.is_ccw
    # and the repaired data is clean on re-import
    assert validate_collection(to_feature_collection(r.grids), known_division_codes={COMMUNITY}).ok


def test_repair_leaves_other_problems():
    data = fc(feat(grid(1), poly(BOWTIE)), feat(grid(2), poly(rect_m(0, 0, 100, 100))))
    r = validate_collection(data, known_division_codes={COMMUNITY}, repair=True)
    assert [p.code for p in r.repairs] == ["self_intersection"]
    p = only(r, "overlap")  # the repaired bow-tie lies inside grid 2
    assert float(re.search(r"by ([0-9.]+) m²", p.message).group(1)) == pytest.approx(5000, rel=0.01)
    with pytest.raises(ValidationFailed) as exc:
        r.raise_if_problems()
    assert exc.value.details == r.problems


# ------------------------------------------------------------------------------ export / round trip


def test_round_trip_of_a_small_collection():
    data = fc(
        feat(COMMUNITY, poly(rect_m(0, 0, 200, 100)), name="人民广场社区"),
        feat(grid(1), poly(rect_m(0, 0, 100, 100), rect_m(40, 40, 60, 60)[::-1]), name="一网格",
             community_name="人民广场社区"),
        feat(grid(2), {"type": "MultiPolygon", "coordinates": [[rect_m(100, 0, 150, 100)], [rect_m(160, 0, 200, 100)]]},
             name="二网格"),
        feat(grid(5), poly(rect_m(150, 0, 160, 100)), name="五网格"),
        feat(grid(3), poly(rect_m(40, 40, 60, 60)), name="三网格"),
        feat(grid(4), poly(rect_m(20, 20, 80, 80)), name="专属", kind="responsibility", phone="x"),
    )
    first = validate_collection(data, known_division_codes=KNOWN)
    assert first.ok, first.problems
    out = to_feature_collection(first.grids, divisions=first.divisions)
    out = json.loads(json.dumps(out, ensure_ascii=False))  # survives JSON
    again = validate_collection(out, known_division_codes=KNOWN)
    assert again.ok, again.problems
    key = lambda g: (g.code, g.name, g.kind, g.community_code, g.community_name, g.properties)  # noqa: E731
    assert [key(g) for g in again.grids] == [key(g) for g in first.grids]
    assert [(d.code12, d.name, d.level) for d in again.divisions] == [(d.code12, d.name, d.level)
                                                                      for d in first.divisions]
    for a, b in zip(first.grids, again.grids, strict=True):
        assert shapely.equals_exact(shapely.normalize(a.geometry), shapely.normalize(b.geometry), tolerance=1e-7)
        assert b.area_m2 == pytest.approx(a.area_m2, abs=1.0)  # coordinates rounded to ~1 cm
    assert out["features"][2]["properties"]["community_code"] == COMMUNITY
    assert out["features"][5]["properties"]["phone"] == "x"


def test_export_orients_and_rounds():
    cw_hole_ccw = Polygon([(121.123456789, 31.1), (121.123456789, 31.2), (121.2, 31.2), (121.2, 31.1)],
                          [[(121.15, 31.15), (121.16, 31.15), (121.16, 31.16), (121.15, 31.16)]])
    out = to_feature_collection([(grid(1), "一", "unit", None, cw_hole_ccw, {"note": 1})])
    (f,) = out["features"]
    assert f["properties"] == {"note": 1, "code": grid(1), "name": "一", "kind": "unit", "community_code": COMMUNITY}
    ext, hole = f["geometry"]["coordinates"]
    assert ext[0][0] == 121.1234568  # 7 decimals
    assert Polygon(ext).exterior.is_ccw and not Polygon(hole).exterior.is_ccw


# ------------------------------------------------------------------------------ property test


cuts = st.lists(st.integers(min_value=1, max_value=999), max_size=6, unique=True).map(sorted)


@settings(max_examples=40, deadline=None)
@given(xcuts=cuts, ycuts=cuts, lon=st.integers(73_500, 134_500), lat=st.integers(18_500, 53_000),
       size=st.sampled_from([1e-3, 5e-3, 2e-2]))
def test_random_axis_aligned_tilings_are_clean(xcuts, ycuts, lon, lat, size):
    """A square community split into k x m cells validates with no problem, before and after export."""
    x0, y0 = lon / 1000, lat / 1000
    xs = [x0 + size * c / 1000 for c in [0, *xcuts, 1000]]
    ys = [y0 + size * c / 1000 for c in [0, *ycuts, 1000]]
    square = [[xs[0], ys[0]], [xs[-1], ys[0]], [xs[-1], ys[-1]], [xs[0], ys[-1]], [xs[0], ys[0]]]
    features = [feat(COMMUNITY, poly(square), name="社区")]
    seq = 0
    for i in range(len(xs) - 1):
        for j in range(len(ys) - 1):
            seq += 1
            ring = [[xs[i], ys[j]], [xs[i + 1], ys[j]], [xs[i + 1], ys[j + 1]], [xs[i], ys[j + 1]], [xs[i], ys[j]]]
            features.append(feat(grid(seq), poly(ring), name=f"网格{seq}"))
    r = validate_collection(fc(*features), known_division_codes=KNOWN, overlap_tolerance_m2=0.01,
                            gap_tolerance_m2=0.01)
    assert r.ok, r.problems
    assert len(r.grids) == (len(xcuts) + 1) * (len(ycuts) + 1)
    assert sum(g.area_m2 for g in r.grids) == pytest.approx(r.divisions[0].area_m2, rel=1e-6)
    again = validate_collection(to_feature_collection(r.grids, divisions=r.divisions), known_division_codes=KNOWN,
                                overlap_tolerance_m2=0.01, gap_tolerance_m2=0.01)
    assert again.ok, again.problems
