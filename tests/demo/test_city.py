"""gridgov.demo.city: the synthetic Shanghai-like city nests, tiles and is deterministic (pure)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
import shapely

from gridgov.demo.city import (
    PEOPLES_SQUARE,
    SYNTHETIC_LABEL,
    DemoCity,
    generate_city,
    load_districts,
)
from gridgov.geo.locate import GridLocator

REAL_DISTRICTS = {
    "310101": "黄浦区", "310104": "徐汇区", "310105": "长宁区", "310106": "静安区", "310107": "普陀区",
    "310109": "虹口区", "310110": "杨浦区", "310112": "闵行区", "310113": "宝山区", "310114": "嘉定区",
    "310115": "浦东新区", "310116": "金山区", "310117": "松江区", "310118": "青浦区", "310120": "奉贤区",
    "310151": "崇明区",
}
REL_TOL = 1e-9  # relative area tolerance for "tiles exactly, up to floating point"

_cache: dict[tuple[str, int], DemoCity] = {}


def city(scale: str, seed: int = 1) -> DemoCity:
    if (scale, seed) not in _cache:
        _cache[(scale, seed)] = generate_city(scale, seed=seed)
    return _cache[(scale, seed)]


@pytest.fixture(scope="module", params=["tiny", "small"])
def demo(request) -> DemoCity:
    return city(request.param)


def _areas(geoms) -> np.ndarray:
    return shapely.area(np.asarray(geoms, dtype=object))


def test_codes_are_valid_and_nest(demo):
    by_code = {d.code12: d for d in demo.divisions}
    assert len(by_code) == len(demo.divisions)
    assert len({g.code15 for g in demo.grids}) == len(demo.grids)
    for d in demo.divisions:
        assert re.fullmatch(r"\d{12}", d.code12)
        if d.parent_code12 is None:
            assert d.level == "province"
            continue
        parent = by_code[d.parent_code12]
        if d.level == "district":
            assert parent.level == "city" and d.code12.endswith("000000")
        elif d.level == "township":
            assert parent.level == "district" and d.code12.startswith(parent.code12[:6])
            assert d.code12.endswith("000")
            seq = int(d.code12[6:9])
            assert (1 <= seq <= 99) if d.kind == "street" else (100 <= seq <= 199)
            assert d.name.endswith("街道" if d.kind == "street" else "镇")
        elif d.level == "community":
            assert parent.level == "township" and d.code12.startswith(parent.code12[:9])
            seq = int(d.code12[9:])
            assert (1 <= seq <= 199) if d.kind == "residential" else (200 <= seq <= 399)
            assert d.name.endswith("居委会" if d.kind == "residential" else "村")
    for g in demo.grids:
        assert re.fullmatch(r"\d{15}", g.code15)
        assert g.code15.startswith(g.community_code12)
        assert int(g.code15[12:]) >= 1
        assert by_code[g.community_code12].level == "community"
        assert g.kind == "unit"
        assert g.name.startswith(by_code[g.community_code12].name) and g.name.endswith("网格")


def test_geometry_is_valid_polygons(demo):
    geoms = np.array([g.polygon for g in demo.grids] + [d.polygon for d in demo.divisions], dtype=object)
    assert shapely.is_valid(geoms).all()
    assert all(g.polygon.geom_type == "Polygon" for g in demo.grids)
    lon_min, lat_min, lon_max, lat_max = shapely.total_bounds(geoms)
    assert 120.8 < lon_min < lon_max < 122.1 and 30.6 < lat_min < lat_max < 31.9


def test_children_tile_parents(demo):
    """Per parent: children lie inside it, do not overlap, and their areas sum to its area."""
    children: dict[str, list] = {}
    for d in demo.divisions:
        if d.level in ("township", "community"):
            children.setdefault(d.parent_code12, []).append(d.polygon)
    for g in demo.grids:
        children.setdefault(g.community_code12, []).append(g.polygon)
    for d in demo.divisions:
        if d.level == "district":
            assert d.code12 in children
    by_code = {d.code12: d for d in demo.divisions}
    for code, kids in children.items():
        parent = by_code[code].polygon
        kid_area = _areas(kids)
        outside = _areas(shapely.difference(np.array(kids, dtype=object), parent))
        assert outside.sum() <= REL_TOL * parent.area, code
        assert abs(kid_area.sum() - parent.area) <= REL_TOL * parent.area, code


def test_every_grid_in_exactly_one_community(demo):
    comms = demo.communities
    comm_polys = np.array([c.polygon for c in comms], dtype=object)
    grids = np.array([g.polygon for g in demo.grids], dtype=object)
    tree = shapely.STRtree(comm_polys)
    gi, ci = tree.query(grids, predicate="intersects")
    share = _areas(shapely.intersection(grids[gi], comm_polys[ci])) / _areas(grids[gi])
    real = share > 1e-9
    counts = np.bincount(gi[real], minlength=len(grids))
    assert (counts == 1).all()
    owner = {int(g): comms[int(c)].code12 for g, c in zip(gi[real], ci[real], strict=True)}
    assert all(owner[k] == g.community_code12 for k, g in enumerate(demo.grids))
    assert (share[real] > 1 - 1e-9).all()  # the owning community covers the whole grid


def test_grids_do_not_overlap(demo):
    grids = np.array([g.polygon for g in demo.grids], dtype=object)
    a, b = shapely.STRtree(grids).query(grids, predicate="intersects")
    pair = a < b
    overlap = _areas(shapely.intersection(grids[a[pair]], grids[b[pair]])).sum()
    total = _areas(grids).sum()
    assert pair.sum() > len(grids)  # neighbours touch (a tiling), ...
    assert overlap <= REL_TOL * total  # ... but do not overlap


def test_peoples_square_in_exactly_one_grid(demo):
    ps = shapely.Point(*PEOPLES_SQUARE)
    covering = [g for g in demo.grids if g.polygon.covers(ps)]
    assert len(covering) == 1
    assert covering[0].code15.startswith("310101")
    assert demo.division("310101000000").polygon.contains(ps)
    loc = GridLocator([g.code15 for g in demo.grids], [g.polygon for g in demo.grids])
    assert loc.locate_one(*PEOPLES_SQUARE) == covering[0].code15


def test_scale_sizes_and_real_districts():
    tiny, small = city("tiny"), city("small")
    assert [d.code12[:6] for d in tiny.districts] == ["310101"]
    assert 50 <= len(tiny.grids) <= 200
    assert {d.code12[:6]: d.name for d in small.districts} == REAL_DISTRICTS
    assert 4_500 <= len(small.grids) <= 5_500
    assert tiny.label == small.label == SYNTHETIC_LABEL
    for c in (tiny, small):
        levels = Counter(d.level for d in c.divisions)
        assert levels["province"] == levels["city"] == 1
        assert levels["township"] >= 2 and levels["community"] > levels["township"]


def test_grid_counts_follow_population_and_centre_is_dense():
    small = city("small")
    info = {d.code: d for d in load_districts()}
    per = Counter(g.code15[:6] for g in small.grids)
    total_pop = sum(d.residents_10k for d in info.values())
    for code, n in per.items():
        expected = len(small.grids) * info[code].residents_10k / total_pop
        assert abs(n - expected) <= 2 + 0.005 * expected, code
    mean_area = {}
    for code in ("310101", "310151"):
        mean_area[code] = _areas([g.polygon for g in small.grids if g.code15.startswith(code)]).mean()
    assert mean_area["310101"] * 10 < mean_area["310151"]  # 黄浦 dense, 崇明 sparse


def test_deterministic_by_seed():
    a, b = generate_city("tiny", seed=1), city("tiny", 1)
    assert [g.code15 for g in a.grids] == [g.code15 for g in b.grids]
    assert [g.name for g in a.grids] == [g.name for g in b.grids]
    assert [shapely.to_wkb(g.polygon) for g in a.grids] == [shapely.to_wkb(g.polygon) for g in b.grids]
    assert [shapely.to_wkb(d.polygon) for d in a.divisions] == [shapely.to_wkb(d.polygon) for d in b.divisions]
    c = city("tiny", 2)
    assert [shapely.to_wkb(g.polygon) for g in c.grids] != [shapely.to_wkb(g.polygon) for g in a.grids]
    assert [d.name for d in c.divisions] != [d.name for d in a.divisions]
    ps = shapely.Point(*PEOPLES_SQUARE)
    assert sum(g.polygon.covers(ps) for g in c.grids) == 1


def test_progress_and_errors():
    calls: list[tuple[str, int, int]] = []
    generate_city("tiny", seed=1, progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert calls and all(isinstance(s, str) and 0 <= d <= t for s, d, t in calls)
    assert calls[-1][1] == calls[-1][2]
    with pytest.raises(ValueError):
        generate_city("huge")


def test_city_scale_covers_peoples_square():
    big = city("city")
    assert 38_000 <= len(big.grids) <= 42_000
    assert 150 <= len(big.townships) <= 300 and 4_000 <= len(big.communities) <= 8_000
    loc = GridLocator([g.code15 for g in big.grids], [g.polygon for g in big.grids], max_raster_mb=8)
    code = loc.locate_one(*PEOPLES_SQUARE)
    assert code is not None and code.startswith("310101")
    ps = shapely.Point(*PEOPLES_SQUARE)
    assert sum(g.polygon.covers(ps) for g in big.grids if g.code15.startswith("310101")) == 1


def test_readme_names_the_demo_grid_workers_grid():
    """The README's demo-login rows name the grid (and its community and street) the demo grid
    worker gets: the one covering People's Square, at the default scale and at tiny."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in readme.splitlines() if line.startswith("| ")}
    ps = shapely.Point(*PEOPLES_SQUARE)
    for scale in ("small", "tiny"):
        demo = city(scale)
        grid = next(g for g in demo.grids if g.polygon.covers(ps))
        community = demo.division(grid.code15[:12])
        street = demo.division(grid.code15[:9] + "000")
        assert f"{grid.name} {grid.code15}" in rows["grid"], scale
        assert f"{community.name} {grid.code15[:12]}" in rows["community"], scale
        assert f"{street.name} {grid.code15[:9]}" in rows["street"], scale
