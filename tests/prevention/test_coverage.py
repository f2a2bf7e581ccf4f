"""The coverage kernel against hand-worked geometry (areas of discs and sectors) and the gap
index against hand-computed values."""

import math

import pytest
from pyproj import Geod
from shapely.geometry import box

from gridgov.prevention.coverage import CameraView, GridFacts, coverage_share, gap_band, gap_index

GEOD = Geod(ellps="WGS84")
# a grid of about 200 m x 200 m near People's Square
GRID = box(121.470, 31.230, 121.470 + 0.0021, 31.230 + 0.0018)
CX, CY = GRID.centroid.x, GRID.centroid.y


def grid_area() -> float:
    area, _ = GEOD.geometry_area_perimeter(GRID)  # an independent geodesic oracle
    return abs(area)


def test_no_camera_no_coverage():
    assert coverage_share(GRID, []) == 0.0


def test_one_dome_camera_covers_a_disc():
    share = coverage_share(GRID, [CameraView(CX, CY, 30.0)])
    assert share == pytest.approx(math.pi * 30.0**2 / grid_area(), rel=0.01)


def test_sector_is_its_angle_share_of_the_disc():
    quarter = coverage_share(GRID, [CameraView(CX, CY, 40.0, heading=45.0, angle=90.0)])
    assert quarter == pytest.approx(math.pi * 40.0**2 / 4 / grid_area(), rel=0.01)


def test_overlapping_cameras_count_once():
    one = coverage_share(GRID, [CameraView(CX, CY, 30.0)])
    same_place = coverage_share(GRID, [CameraView(CX, CY, 30.0), CameraView(CX, CY, 30.0)])
    assert same_place == pytest.approx(one)


def test_a_view_spilling_out_of_the_grid_counts_only_inside():
    # camera on the west edge: half of its disc lies inside the grid
    share = coverage_share(GRID, [CameraView(GRID.bounds[0], CY, 30.0)])
    assert share == pytest.approx(math.pi * 30.0**2 / 2 / grid_area(), rel=0.02)


def test_a_huge_view_covers_everything():
    assert coverage_share(GRID, [CameraView(CX, CY, 500.0)]) == pytest.approx(1.0)


def test_gap_bands():
    assert [gap_band(x) for x in (0.0, 0.24, 0.25, 0.49, 0.5, 0.99, 1.0, 3.0)] == [
        "low", "low", "moderate", "moderate", "high", "high", "severe", "severe"]


def test_gap_index_hand_worked():
    # Two grids, 1,000 residents each, 8 weeks: exposure 8 thousand resident-weeks each.
    # Reported 12 and 4 -> area rate 1.0 per thousand resident-weeks; prior b = 0.5 * 8 = 4.
    # smoothed rates (12+4)/(8+4) = 4/3 and (4+4)/12 = 2/3 -> relative risk 4/3 and 2/3.
    a = GridFacts(code="A", reported=12, residents=1000, weeks=8, patrol_hours=0.0)
    b = GridFacts(code="B", reported=4, residents=1000, weeks=8, patrol_hours=10.0, camera_share=0.5,
                  warning_level=2)
    out = {g.code: g for g in gap_index([a, b])}
    assert out["A"].risk == pytest.approx(4 / 3)
    assert out["A"].coverage == pytest.approx(0.0)
    assert out["A"].gap == pytest.approx(4 / 3)
    # B: patrol 10 h is the 75th percentile of the positive hours -> 1.0; cameras 0.5; defence 0;
    # no venues -> weights 0.40, 0.20, 0.25: (0.4*1 + 0.25*0.5) / 0.85
    cover_b = (0.4 + 0.125) / 0.85
    assert out["B"].coverage == pytest.approx(cover_b)
    # warning level 2 multiplies the risk by 1.5
    assert out["B"].risk == pytest.approx(2 / 3 * 1.5)
    assert out["B"].gap == pytest.approx(1.0 * (1 - cover_b))
    assert [g.code for g in gap_index([b, a])] == ["A", "B"]


def test_venues_enter_only_where_there_are_venues():
    a = GridFacts(code="A", reported=5, residents=500, weeks=8, venues=4, venues_inspected=1)
    g = gap_index([a])[0]
    assert g.parts["venues"] == pytest.approx(0.25)
    assert g.coverage == pytest.approx(0.15 * 0.25 / 1.0)


def test_more_patrol_hours_lower_the_gap():
    base = [GridFacts(code=c, reported=5, residents=800, weeks=8, patrol_hours=h) for c, h in
            (("A", 0.0), ("B", 4.0), ("C", 8.0))]
    before = {g.code: g.gap for g in gap_index(base)}
    base[0].patrol_hours = 8.0
    after = {g.code: g.gap for g in gap_index(base)}
    assert after["A"] < before["A"]


def test_many_grids_at_once_agree_with_one_at_a_time():
    from gridgov.prevention.coverage import coverage_shares

    grids = [box(121.470 + 0.0021 * i, 31.230, 121.470 + 0.0021 * (i + 1), 31.2318) for i in range(4)]
    cams = [CameraView(121.470 + 0.0021 * 1, 31.2309, 40.0),  # on the border of grids 0 and 1
            CameraView(121.470 + 0.0021 * 2.5, 31.2309, 30.0, heading=90, angle=120)]
    many = coverage_shares(["a", "b", "c", "d"], grids, cams)
    single = {k: coverage_share(g, cams) for k, g in zip("abcd", grids, strict=True)}
    assert set(many) == {"a", "b", "c"}
    for k in many:
        assert many[k] == pytest.approx(single[k], rel=0.01)
    assert single["d"] == 0.0
