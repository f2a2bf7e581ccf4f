"""gridgov.geo.locate: vectorised point -> grid against a brute-force covers check (pure)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import shapely
from scipy.spatial import Voronoi
from shapely.geometry import MultiPolygon, Polygon, box

from gridgov.geo.locate import OUTSIDE, GridLocator

X0, Y0 = 121.25, 31.10  # a Shanghai-ish corner; everything below is in lon/lat
STEP = 1.0 / 64  # dyadic: square-grid vertices and edge midpoints are exact doubles


def _voronoi_tiling(rng: np.random.Generator, n: int, frame: Polygon) -> list[Polygon]:
    minx, miny, maxx, maxy = frame.bounds
    pts = np.column_stack([rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
    r = 10 * max(maxx - minx, maxy - miny)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    vor = Voronoi(np.concatenate([pts, [[cx - r, cy], [cx + r, cy], [cx, cy - r], [cx, cy + r]]]))
    out = []
    for i in range(n):
        cell = Polygon(vor.vertices[vor.regions[vor.point_region[i]]]).intersection(frame)
        out.extend(p for p in shapely.get_parts(cell) if isinstance(p, Polygon) and p.area > 0)
    return out


@pytest.fixture(scope="module")
def layout() -> tuple[list[str], list]:
    """~270 polygons: a Voronoi tiling, an exact square grid, a hole with a filler, a
    MultiPolygon, and an overlapping pair (tie-break applies inside the overlap too)."""
    rng = np.random.default_rng(7)
    polys: list = _voronoi_tiling(rng, 200, box(X0, Y0, X0 + 0.25, Y0 + 0.2))
    sq = [box(X0 + 0.25 + i * STEP, Y0 + j * STEP, X0 + 0.25 + (i + 1) * STEP, Y0 + (j + 1) * STEP)
          for i in range(8) for j in range(8)]
    polys += sq
    ring_outer = box(X0 + 0.40, Y0, X0 + 0.48, Y0 + 0.08)
    hole = box(X0 + 0.42, Y0 + 0.02, X0 + 0.46, Y0 + 0.06)
    polys.append(Polygon(ring_outer.exterior.coords, [hole.exterior.coords]))
    polys.append(hole)
    polys.append(MultiPolygon([box(X0 + 0.50, Y0, X0 + 0.52, Y0 + 0.02),
                               box(X0 + 0.53, Y0 + 0.03, X0 + 0.55, Y0 + 0.05)]))
    polys.append(box(X0 + 0.50, Y0 + 0.10, X0 + 0.56, Y0 + 0.16))
    polys.append(box(X0 + 0.53, Y0 + 0.13, X0 + 0.59, Y0 + 0.19))
    # Codes deliberately not in input order, so "smallest code" differs from "first polygon".
    perm = rng.permutation(len(polys))
    codes = [f"310101001{k:03d}{k % 7:03d}" for k in perm]
    return codes, polys


def _brute(codes: list[str], polys: list, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Smallest code among the polygons covering each point; -1 if none (no index, no raster)."""
    pts = shapely.points(lon, lat)
    best = np.full(len(lon), -1, dtype=np.int64)
    for i in sorted(range(len(codes)), key=codes.__getitem__, reverse=True):
        best[shapely.covers(polys[i], pts)] = i  # smaller codes are written last and win
    return best


def _test_points(codes, polys, n: int = 10_000, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    k = n // 5
    # uniform over (and beyond) the extent: interiors and outside points
    lon = [rng.uniform(minx - 0.02, maxx + 0.02, 2 * k)]
    lat = [rng.uniform(miny - 0.02, maxy + 0.02, 2 * k)]
    # exact vertices of every ring (shared by 2-4 polygons)
    xy = shapely.get_coordinates(shapely.get_rings(shapely.get_parts(np.array(polys, dtype=object))))
    pick = xy[rng.integers(0, len(xy), k)]
    lon.append(pick[:, 0])
    lat.append(pick[:, 1])
    # along edges (on or within rounding of shared edges)
    rings = shapely.get_rings(shapely.get_parts(np.array(polys, dtype=object)))
    along = shapely.get_coordinates(
        shapely.line_interpolate_point(rings[rng.integers(0, len(rings), k)], rng.random(k), normalized=True))
    lon.append(along[:, 0])
    lat.append(along[:, 1])
    # exactly on the square grid's shared edges (dyadic midpoints) and grid-line crossings
    i = rng.integers(0, 9, n - 4 * k)
    j = rng.integers(0, 16, n - 4 * k)
    lon.append(X0 + 0.25 + i * STEP)
    lat.append(Y0 + j * STEP / 2)
    return np.concatenate(lon), np.concatenate(lat)


@pytest.mark.parametrize("kwargs", [{}, {"cells_per_side": 4}, {"cells_per_side": 200},
                                    {"max_raster_mb": 0.01}])
def test_agrees_with_brute_force(layout, kwargs):
    codes, polys = layout
    loc = GridLocator(codes, polys, **kwargs)
    lon, lat = _test_points(codes, polys)
    assert len(lon) == 10_000
    got = loc.locate_index(lon, lat)
    want = _brute(codes, polys, lon, lat)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(lon[b], lat[b], got[b], want[b]) for b in bad[:5]]
    # the sample really exercises boundaries, ties and the outside
    n_cover = np.zeros(len(lon), dtype=int)
    pts = shapely.points(lon, lat)
    for p in polys:
        n_cover += shapely.covers(p, pts)
    assert (n_cover >= 2).sum() > 2_000
    assert (want == OUTSIDE).sum() > 300
    codes_arr = loc.locate(lon, lat)
    assert codes_arr.dtype == object
    assert all(c is None for c in codes_arr[want == OUTSIDE])
    inside = want != OUTSIDE
    assert list(codes_arr[inside]) == [codes[k] for k in want[inside]]


def test_shared_edge_goes_to_smallest_code():
    left, right = box(0, 0, 1, 1), box(1, 0, 2, 1)
    for codes in (["310101001001002", "310101001001001"], ["310101001001001", "310101001001002"]):
        loc = GridLocator(codes, [left, right])
        assert loc.locate_one(1.0, 0.5) == "310101001001001"
        assert loc.locate_one(1.0, 0.0) == "310101001001001"  # shared vertex on the outer boundary
        assert loc.locate_one(0.5, 0.5) == codes[0]
        assert loc.locate_one(1.5, 0.5) == codes[1]
        assert loc.locate_one(0.0, 0.3) == codes[0]  # outer boundary counts as inside (covers)
        assert loc.locate_one(2.0 + 1e-12, 0.5) is None
    # deterministic: repeated calls, reversed input order
    loc = GridLocator(["b", "a"], [left, right])
    assert {loc.locate_one(1.0, 0.5) for _ in range(5)} == {"a"}


def test_overlap_interior_goes_to_smallest_code():
    loc = GridLocator(["z", "m"], [box(0, 0, 2, 2), box(1, 1, 3, 3)])
    assert loc.locate_one(1.5, 1.5) == "m"
    assert loc.locate_one(0.5, 0.5) == "z"
    assert loc.locate_one(2.5, 2.5) == "m"


def test_outside_nan_and_far_points():
    loc = GridLocator(["a"], [box(0, 0, 1, 1)])
    lon = np.array([np.nan, 0.5, np.inf, -np.inf, 1e300, 5.0, 0.5])
    lat = np.array([0.5, np.nan, 0.5, 0.5, 0.5, 5.0, 0.5])
    assert loc.locate_index(lon, lat).tolist() == [-1, -1, -1, -1, -1, -1, 0]
    assert loc.locate(lon, lat).tolist() == [None] * 6 + ["a"]
    assert [loc.locate_one(x, y) for x, y in zip(lon, lat, strict=True)] == [None] * 6 + ["a"]


def test_empty_input_and_empty_locator():
    loc = GridLocator(["a"], [box(0, 0, 1, 1)])
    idx = loc.locate_index([], [])
    assert idx.shape == (0,) and idx.dtype == np.int64
    assert loc.locate(np.array([]), np.array([])).shape == (0,)
    empty = GridLocator([], [])
    assert len(empty) == 0
    assert empty.locate_index([0.0, 1.0], [0.0, 1.0]).tolist() == [-1, -1]
    assert empty.locate_one(0.0, 0.0) is None


@pytest.mark.parametrize("kwargs", [{}, {"cells_per_side": 4}, {"max_raster_mb": 0.01}])
def test_single_point_api_and_shapes(layout, kwargs):
    codes, polys = layout
    loc = GridLocator(codes, polys, **kwargs)
    lon, lat = _test_points(codes, polys, n=500, seed=11)
    many = loc.locate(lon, lat)
    assert [loc.locate_one(float(x), float(y)) for x, y in zip(lon, lat, strict=True)] == list(many)
    grid = loc.locate_index(lon.reshape(20, 25), lat.reshape(20, 25))
    assert grid.shape == (20, 25)
    assert grid.ravel().tolist() == loc.locate_index(lon, lat).tolist()
    with pytest.raises(ValueError):
        loc.locate_index([1.0, 2.0], [1.0])


def test_pickle_roundtrip(layout):
    codes, polys = layout
    loc = GridLocator(codes, polys)
    clone = pickle.loads(pickle.dumps(loc))
    lon, lat = _test_points(codes, polys, n=2_000, seed=5)
    assert clone.locate_index(lon, lat).tolist() == loc.locate_index(lon, lat).tolist()
    assert clone.codes == loc.codes


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        GridLocator(["a", "a"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    with pytest.raises(ValueError):
        GridLocator(["a"], [])
    with pytest.raises(TypeError):
        GridLocator(["a"], [shapely.Point(0, 0)])


def test_stats_report_memory(layout):
    codes, polys = layout
    loc = GridLocator(codes, polys, max_raster_mb=1)
    st = loc.stats()
    assert st["raster_mb"] <= 1.0
    assert 0 < st["boundary_cell_share"] < 1
    assert loc.nbytes >= st["raster_mb"] * 2**20


@pytest.mark.parametrize("cells_per_side", [1, 2, 4, 3.7])
def test_raster_aligned_with_edges(cells_per_side):
    """Unit squares whose edges and vertices fall exactly on raster lines (cell = 1/cells_per_side)."""
    polys = [box(i, j, i + 1, j + 1) for i in range(5) for j in range(4)]
    codes = [f"{(7 * k) % 20:03d}" for k in range(len(polys))]
    loc = GridLocator(codes, polys, cells_per_side=cells_per_side)
    rng = np.random.default_rng(1)
    q = np.arange(-2, 29) / 4  # quarter steps: vertices, edge points, interiors, outside
    lon, lat = (a.ravel() for a in np.meshgrid(q, q))
    lon = np.concatenate([lon, rng.uniform(-1, 6, 3000)])
    lat = np.concatenate([lat, rng.uniform(-1, 5, 3000)])
    assert loc.locate_index(lon, lat).tolist() == _brute(codes, polys, lon, lat).tolist()


def test_saved_files_load_memory_mapped_and_answer_the_same(layout, tmp_path):
    """save() -> load(): the raster comes back as a read-only memory map, the polygons are parsed
    only when a boundary point needs them, and every answer equals the brute-force rule."""
    from gridgov.geo.locate import exact_locate_index

    codes, polys = layout
    built = GridLocator(codes, polys)
    built.save(tmp_path / "v1")
    with pytest.raises(FileExistsError):
        built.save(tmp_path / "v1")  # never writes into a published directory
    loaded = GridLocator.load(tmp_path / "v1")
    assert isinstance(loaded._lut, np.memmap) and not loaded._lut.flags.writeable
    assert loaded._polygons is None and loaded._index is None  # nothing parsed yet
    assert loaded.codes == tuple(codes)
    lon, lat = _test_points(codes, polys, n=5_000, seed=21)
    expected = _brute(codes, polys, lon, lat)
    assert loaded.locate_index(lon, lat).tolist() == expected.tolist()
    assert exact_locate_index(codes, polys, lon, lat).tolist() == expected.tolist()
    assert [loaded.locate_one(float(x), float(y)) for x, y in zip(lon[:300], lat[:300], strict=True)] == \
        [codes[i] if i >= 0 else None for i in expected[:300]]
    assert shapely.equals_exact(loaded.polygons, np.array(polys, dtype=object), tolerance=0).all()


def test_load_refuses_files_that_do_not_match(layout, tmp_path):
    import json

    codes, polys = layout
    GridLocator(codes[:10], polys[:10]).save(tmp_path / "v")
    meta = json.loads((tmp_path / "v" / "meta.json").read_text())
    (tmp_path / "v" / "meta.json").write_text(json.dumps({**meta, "grids": 11}))
    with pytest.raises(ValueError, match="do not match"):
        GridLocator.load(tmp_path / "v")
    (tmp_path / "v" / "meta.json").write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(ValueError, match="format"):
        GridLocator.load(tmp_path / "v")


def test_empty_locator_saves_and_loads(tmp_path):
    GridLocator([], []).save(tmp_path / "e")
    loaded = GridLocator.load(tmp_path / "e")
    assert loaded.locate([121.4, np.nan], [31.2, 0.0]).tolist() == [None, None]
