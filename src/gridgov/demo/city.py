"""A synthetic, Shanghai-like division tree and grid tiling (pure: no Django).

Everything here is deterministic by ``seed`` and **synthetic** except the 16 district codes, names,
approximate centres, areas and populations, which come from ``data/shanghai-districts.csv``
(GB/T 2260 codes).  Street/town, community/village and grid names are invented from syllable
lists; always show :data:`SYNTHETIC_LABEL` next to them.

Construction (all geometry is built in a local kilometre plane and converted to WGS84 lon/lat at
the end with one affine map, so straight edges stay straight and shared vertices stay shared):

1. Districts: a power diagram (weighted Voronoi) of the 15 mainland district centres, clipped to
   a rough mainland outline, with weights iterated towards the real areas but constrained so that
   every centre stays inside its own district; 崇明区 is the island polygon.
2. Streets/towns inside each district, communities/villages inside each street/town and unit
   grids inside each community: Voronoi cells of random seed points clipped to the parent
   (with Lloyd relaxation for communities and grids).  Children tile their parent: the union of
   the children is the parent and children do not overlap, up to floating-point tolerance.
3. Counts: grids per district are proportional to the district's population, so the centre has
   small, dense grids and the suburbs large ones.

Codes follow GB/T 2260 + GB/T 10114 conventions: township ``DDDDDD`` + ``001-099`` for 街道 and
``100-199`` for 镇; community ``+ 001-199`` for 居委会 and ``200-399`` for 村委会; a unit grid is
its community's 12 digits + a 3-digit sequence ``001-999`` (15 digits).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from scipy.spatial import Voronoi
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = [
    "SYNTHETIC_LABEL", "PEOPLES_SQUARE", "SCALES", "LEVELS", "DistrictInfo", "DivisionSpec", "GridSpec",
    "DemoCity", "ScaleSpec", "generate_city", "load_districts",
]

SYNTHETIC_LABEL = "合成演示数据 / synthetic demo data"

#: People's Square (人民广场), lon/lat.  A grid covers it at every scale.
PEOPLES_SQUARE: tuple[float, float] = (121.4737, 31.2304)

#: Division levels, from the root down.
LEVELS = ("province", "city", "district", "township", "community")

PROVINCE_CODE12 = "310000000000"
PROVINCE_NAME = "上海市"
CITY_CODE12 = "310100000000"
CITY_NAME = "市辖区"

#: Districts whose townships are all 街道 (the central city).
URBAN_DISTRICTS = frozenset({"310101", "310104", "310105", "310106", "310107", "310109", "310110"})

ProgressFn = Callable[[str, int, int], None]


# --------------------------------------------------------------------------------------------
# Public data classes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictInfo:
    code: str  # 6 digits
    name: str
    name_en: str
    centre_lon: float
    centre_lat: float
    area_km2: float
    residents_10k: float


@dataclass(frozen=True)
class DivisionSpec:
    """One division.  ``level`` is one of :data:`LEVELS`.

    ``kind``: district ``urban``/``suburban``; township ``street`` (街道) / ``town`` (镇);
    community ``residential`` (居委会) / ``village`` (村委会); empty for the two root levels.
    """

    code12: str
    name: str
    level: str
    parent_code12: str | None
    polygon: Polygon | MultiPolygon | None
    kind: str = ""


@dataclass(frozen=True)
class GridSpec:
    code15: str
    name: str
    community_code12: str
    polygon: Polygon
    kind: str = "unit"


@dataclass(frozen=True)
class ScaleSpec:
    name: str
    districts: tuple[str, ...] | None  # None: all 16
    grids: int  # target number of unit grids (met exactly)
    grids_per_community: float
    communities_per_township: float


SCALES: dict[str, ScaleSpec] = {
    "tiny": ScaleSpec("tiny", ("310101",), 120, 5.0, 6.0),
    "small": ScaleSpec("small", None, 5_000, 5.0, 10.0),
    # Shanghai has ~40,600 grids, ~6,000 communities/villages and ~215 streets/towns.
    "city": ScaleSpec("city", None, 40_000, 6.7, 28.0),
}


@dataclass
class DemoCity:
    scale: str
    seed: int
    divisions: list[DivisionSpec]
    grids: list[GridSpec]
    label: str = SYNTHETIC_LABEL
    _by_code: dict[str, DivisionSpec] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_code = {d.code12: d for d in self.divisions}

    def division(self, code12: str) -> DivisionSpec:
        return self._by_code[code12]

    def level(self, level: str) -> list[DivisionSpec]:
        return [d for d in self.divisions if d.level == level]

    @property
    def districts(self) -> list[DivisionSpec]:
        return self.level("district")

    @property
    def townships(self) -> list[DivisionSpec]:
        return self.level("township")

    @property
    def communities(self) -> list[DivisionSpec]:
        return self.level("community")

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of all grids."""
        b = shapely.total_bounds([g.polygon for g in self.grids])
        return float(b[0]), float(b[1]), float(b[2]), float(b[3])


# --------------------------------------------------------------------------------------------
# Reference data and the local plane
# --------------------------------------------------------------------------------------------

_DATA = Path(__file__).with_name("data") / "shanghai-districts.csv"

# Local equirectangular kilometre plane centred on People's Square (good to ~0.5 % over Shanghai;
# the geometry only needs to be plausible, and the map is affine so it preserves straight edges).
_LON0, _LAT0 = PEOPLES_SQUARE
_KX = 111.320 * math.cos(math.radians(_LAT0))
_KY = 110.574

# Rough outlines (lon, lat): the mainland and 崇明岛.  Synthetic, for plausibility only.
_MAINLAND = (
    (120.87, 31.10), (120.90, 31.00), (121.00, 30.86), (121.10, 30.75), (121.30, 30.69),
    (121.50, 30.80), (121.75, 30.84), (121.97, 30.87), (121.98, 31.02), (121.93, 31.14),
    (121.78, 31.30), (121.62, 31.37), (121.52, 31.44), (121.36, 31.52), (121.20, 31.52),
    (121.10, 31.46), (121.05, 31.32), (120.90, 31.26),
)
_ISLAND = (
    (121.15, 31.85), (121.45, 31.76), (121.75, 31.64), (121.98, 31.53), (121.93, 31.46),
    (121.70, 31.52), (121.40, 31.595), (121.20, 31.74),
)
_ISLAND_DISTRICT = "310151"

_FIRST = tuple("安宝长春大东凤福广汉和华惠嘉金锦康兰乐丽临龙梅明南宁平浦庆青瑞润善盛石顺松泰天亭同文"
               "西祥新兴秀阳怡永玉园云泽振中竹紫")
_SECOND = tuple("安坝滨昌城池丰港河湖华汇江泾林陵路宁浦桥泉山墅水塘亭湾溪祥新兴阳园苑源洲庄渚泽")


def load_districts() -> list[DistrictInfo]:
    """The 16 districts from the bundled CSV, in code order."""
    with _DATA.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = [
        DistrictInfo(
            code=r["code"], name=r["name"], name_en=r["name_en"], centre_lon=float(r["centre_lon"]),
            centre_lat=float(r["centre_lat"]), area_km2=float(r["area_km2"]),
            residents_10k=float(r["residents_2020_10k"]),
        )
        for r in rows
    ]
    return sorted(out, key=lambda d: d.code)


def _to_km(lon, lat):
    return (np.asarray(lon, dtype=float) - _LON0) * _KX, (np.asarray(lat, dtype=float) - _LAT0) * _KY


def _km_polygon(lonlat: Sequence[tuple[float, float]]) -> Polygon:
    x, y = _to_km([p[0] for p in lonlat], [p[1] for p in lonlat])
    return Polygon(np.column_stack([x, y]))


def _to_lonlat(geoms: np.ndarray) -> np.ndarray:
    scale = np.array([_KX, _KY])
    origin = np.array([_LON0, _LAT0])
    return shapely.transform(geoms, lambda xy: xy / scale + origin)


# --------------------------------------------------------------------------------------------
# Geometry helpers (kilometre plane)
# --------------------------------------------------------------------------------------------


def _halfplane(a: np.ndarray, b: float, big: float = 1e4) -> Polygon:
    """The half plane a·x <= b as a large square-ish polygon."""
    norm = float(np.hypot(a[0], a[1]))
    n = a / norm
    p0 = n * (b / norm)
    t = np.array([-n[1], n[0]])
    return Polygon([p0 + t * big, p0 + t * big - n * big, p0 - t * big - n * big, p0 - t * big])


def _power_cells(sites: np.ndarray, weights: np.ndarray, domain: Polygon) -> list[BaseGeometry]:
    cells = []
    for i in range(len(sites)):
        cell: BaseGeometry = domain
        for j in range(len(sites)):
            if i != j:
                a = 2.0 * (sites[j] - sites[i])
                b = sites[j] @ sites[j] - sites[i] @ sites[i] - weights[j] + weights[i]
                cell = cell.intersection(_halfplane(a, b))
        cells.append(cell)
    return cells


@lru_cache(maxsize=1)
def _district_polygons_km() -> dict[str, Polygon]:
    """District polygons in the km plane (seed-independent, cached per process)."""
    infos = load_districts()
    mainland = _km_polygon(_MAINLAND)
    island = _km_polygon(_ISLAND)
    ml = [d for d in infos if d.code != _ISLAND_DISTRICT]
    cx, cy = _to_km([d.centre_lon for d in ml], [d.centre_lat for d in ml])
    sites = np.column_stack([cx, cy])
    target = np.array([d.area_km2 for d in ml])
    target *= mainland.area / target.sum()
    # A centre stays inside its own power cell iff |w_i - w_j| <= |c_i - c_j|^2; keep a margin.
    limit = 0.7 * ((sites[:, None, :] - sites[None, :, :]) ** 2).sum(-1)
    w = np.zeros(len(ml))
    for _ in range(30):
        areas = np.array([c.area for c in _power_cells(sites, w, mainland)])
        w = w + 0.8 * (target - areas) / math.pi
        for _ in range(200):  # project onto the constraints, worst pair first
            viol = w[:, None] - w[None, :] - limit
            i, j = np.unravel_index(int(np.argmax(viol)), viol.shape)
            if viol[i, j] <= 1e-9:
                break
            w[i] -= viol[i, j] / 2
            w[j] += viol[i, j] / 2
    cells = _power_cells(sites, w, mainland)
    out = {d.code: _largest_polygon(c) for d, c in zip(ml, cells, strict=True)}
    out[_ISLAND_DISTRICT] = island
    return out


def _largest_polygon(geom) -> Polygon:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    return max(parts, key=lambda p: p.area)


def _sample_in(poly: Polygon, n: int, rng: np.random.Generator, focus: np.ndarray | None = None,
               focus_km: float = 0.0) -> np.ndarray:
    """n random points inside ``poly``; optionally denser near ``focus``."""
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        m = max(16, 3 * (n - have))
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        ok = shapely.contains_xy(poly, x, y)
        if focus is not None:
            d = np.hypot(x - focus[0], y - focus[1])
            ok &= rng.uniform(0.0, 1.0, m) < 0.2 + 0.8 * np.exp(-d / focus_km)
        pts = np.column_stack([x[ok], y[ok]])
        out.append(pts)
        have += len(pts)
    return np.concatenate(out)[:n]


def _voronoi_clip(seeds: np.ndarray, parent: Polygon) -> np.ndarray:
    """Voronoi cells of ``seeds`` clipped to ``parent`` (array of geometries, may be multi)."""
    n = len(seeds)
    if n == 1:
        return np.array([parent], dtype=object)
    minx, miny, maxx, maxy = parent.bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    r = 10.0 * max(maxx - minx, maxy - miny, 1e-3)
    far = np.array([[cx - r, cy], [cx + r, cy], [cx, cy - r], [cx, cy + r]])
    vor = Voronoi(np.concatenate([seeds, far]))
    cells = np.empty(n, dtype=object)
    for i in range(n):
        region = vor.regions[vor.point_region[i]]
        cells[i] = Polygon(vor.vertices[region])
    return shapely.intersection(cells, parent)


def _fix_pieces(cells: np.ndarray, seeds: np.ndarray, parent_area: float) -> list[Polygon]:
    """Make every cell a single Polygon: keep the piece holding its seed, give other pieces to the
    sibling sharing the longest border with them (so the tiling is preserved)."""
    polys: list[Polygon] = []
    orphans: list[Polygon] = []
    for geom, seed in zip(cells, seeds, strict=True):
        parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area > 0]
        if len(parts) == 1:
            polys.append(parts[0])
            continue
        keep = max(parts, key=lambda p: (p.covers(shapely.Point(seed)), p.area))
        polys.append(keep)
        orphans.extend(p for p in parts if p is not keep)
    tiny = 1e-9 * parent_area
    for orphan in orphans:
        if orphan.area < tiny:
            continue
        shared = [shapely.length(shapely.intersection(orphan.boundary, p.boundary)) for p in polys]
        for k in np.argsort(shared)[::-1]:
            if shared[k] <= 0:
                break
            merged = shapely.union(polys[k], orphan)
            if isinstance(merged, Polygon):
                polys[k] = merged
                break
    return polys


def _partition(parent: Polygon, n: int, rng: np.random.Generator, lloyd: int = 0,
               focus: np.ndarray | None = None, focus_km: float = 0.0) -> tuple[list[Polygon], np.ndarray]:
    """Tile ``parent`` into ``n`` Voronoi cells; returns (cells, seeds)."""
    if n <= 1:
        p = parent.representative_point()
        return [parent], np.array([[p.x, p.y]])
    seeds = _sample_in(parent, n, rng, focus, focus_km)
    for _ in range(lloyd):
        cells = _voronoi_clip(seeds, parent)
        cent = shapely.centroid(cells)
        inside = shapely.contains(parent, cent)
        surf = shapely.point_on_surface(cells)
        cent = np.where(inside, cent, surf)
        seeds = shapely.get_coordinates(cent)
    cells = _voronoi_clip(seeds, parent)
    return _fix_pieces(cells, seeds, parent.area), seeds


def _apportion(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Integers >= minimum summing to ``total``, proportional to ``weights`` (largest remainder)."""
    k = len(weights)
    if total < minimum * k:
        raise ValueError("total too small for the minimum")
    w = np.asarray(weights, dtype=float)
    share = (total - minimum * k) * w / w.sum()
    base = np.floor(share).astype(int)
    rest = total - minimum * k - int(base.sum())
    order = np.lexsort((np.arange(k), -(share - base)))
    base[order[:rest]] += 1
    return base + minimum


def _names(rng: np.random.Generator, n: int) -> list[str]:
    picks = rng.choice(len(_FIRST) * len(_SECOND), size=n, replace=False)
    return [_FIRST[p // len(_SECOND)] + _SECOND[p % len(_SECOND)] for p in picks]


def _reading_order(seeds: np.ndarray) -> np.ndarray:
    """North to south, then west to east (in ~1 km bands)."""
    return np.lexsort((seeds[:, 0], -np.floor(seeds[:, 1])))


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng([seed, *key])


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def generate_city(scale: str = "small", seed: int = 1, progress: ProgressFn | None = None) -> DemoCity:
    """Generate the synthetic city at ``scale`` (``tiny``, ``small`` or ``city``)."""
    try:
        spec = SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}") from None
    report = progress or (lambda stage, done, total: None)
    scale_key = list(SCALES).index(scale)

    infos = load_districts()
    if spec.districts is not None:
        infos = [d for d in infos if d.code in spec.districts]
    polys_km = _district_polygons_km()
    grid_counts = _apportion(spec.grids, np.array([d.residents_10k for d in infos]), minimum=1)

    # Work items, all in the km plane; converted once at the end.
    div_rows: list[tuple[str, str, str, str | None, object, str]] = []  # code, name, level, parent, km geom, kind
    grid_rows: list[tuple[str, str, str, Polygon]] = []

    n_d = len(infos)
    report("districts", 0, n_d)
    for di, (info, n_grids) in enumerate(zip(infos, grid_counts, strict=True)):
        d_code12 = info.code + "000000"
        d_poly = polys_km[info.code]
        urban = info.code in URBAN_DISTRICTS
        div_rows.append((d_code12, info.name, "district", CITY_CODE12, d_poly, "urban" if urban else "suburban"))
        n_comm = max(1, round(n_grids / spec.grids_per_community))
        n_comm = min(n_comm, int(n_grids))
        n_town = max(1, min(n_comm, round(n_comm / spec.communities_per_township)))
        rng = _rng(seed, scale_key, int(info.code))
        focus = np.array(_to_km(info.centre_lon, info.centre_lat))
        focus_km = max(2.0, 0.25 * math.sqrt(d_poly.area))
        t_cells, t_seeds = _partition(d_poly, n_town, rng, lloyd=0 if not urban else 1, focus=focus,
                                      focus_km=focus_km)
        # Nearest the district centre come first: these become 街道 in suburban districts.
        t_order = np.argsort(np.hypot(t_seeds[:, 0] - focus[0], t_seeds[:, 1] - focus[1]), kind="stable")
        n_street = n_town if urban else max(1, round(0.33 * n_town))
        if n_street > 99 or n_town - n_street > 100:
            raise ValueError(f"too many townships in {info.code}")
        t_names = _names(rng, n_town)
        t_area = np.array([t_cells[k].area for k in t_order])
        comm_counts = _apportion(n_comm, np.sqrt(t_area), minimum=1)
        grid_per_town = _apportion(int(n_grids), comm_counts.astype(float), minimum=1)
        grid_per_town = np.maximum(grid_per_town, comm_counts)
        # keep the exact total after the max()
        excess = int(grid_per_town.sum() - n_grids)
        while excess > 0:
            k = int(np.argmax(grid_per_town - comm_counts))
            grid_per_town[k] -= 1
            excess -= 1
        for rank, k in enumerate(t_order):
            street = rank < n_street
            t_code12 = info.code + (f"{rank + 1:03d}" if street else f"{100 + rank - n_street:03d}") + "000"
            t_name = t_names[rank] + ("街道" if street else "镇")
            t_poly = t_cells[k]
            div_rows.append((t_code12, t_name, "township", d_code12, t_poly, "street" if street else "town"))
            t_rng = _rng(seed, scale_key, int(t_code12[:9]))
            c_cells, c_seeds = _partition(t_poly, int(comm_counts[rank]), t_rng, lloyd=1)
            t_focus = t_seeds[k]
            c_order = np.argsort(np.hypot(c_seeds[:, 0] - t_focus[0], c_seeds[:, 1] - t_focus[1]),
                                 kind="stable")
            n_c = len(c_cells)
            n_res = n_c if street else max(1, round(0.4 * n_c))
            if n_res > 199 or n_c - n_res > 200:
                raise ValueError(f"too many communities in {t_code12}")
            c_names = _names(t_rng, n_c)
            c_area = np.array([c_cells[m].area for m in c_order])
            g_counts = _apportion(int(grid_per_town[rank]), np.sqrt(c_area), minimum=1)
            for crank, m in enumerate(c_order):
                residential = crank < n_res
                c_code12 = t_code12[:9] + (f"{crank + 1:03d}" if residential else f"{200 + crank - n_res:03d}")
                c_name = c_names[crank] + ("居委会" if residential else "村")
                c_poly = c_cells[m]
                div_rows.append((c_code12, c_name, "community", t_code12, c_poly,
                                 "residential" if residential else "village"))
                g_rng = _rng(seed, scale_key, int(c_code12))
                n_g = int(g_counts[crank])
                if n_g > 999:
                    raise ValueError(f"too many grids in {c_code12}")
                g_cells, g_seeds = _partition(c_poly, n_g, g_rng, lloyd=1)
                for gi, gk in enumerate(_reading_order(g_seeds)):
                    grid_rows.append((c_code12 + f"{gi + 1:03d}", f"{c_name}第{gi + 1}网格", c_code12,
                                      g_cells[gk]))
        report("districts", di + 1, n_d)

    # Convert to lon/lat in two vectorised passes and orient exteriors counter-clockwise (RFC 7946).
    report("geometry", 0, 2)
    div_geoms = shapely.orient_polygons(_to_lonlat(np.array([r[4] for r in div_rows], dtype=object)))
    report("geometry", 1, 2)
    grid_geoms = shapely.orient_polygons(_to_lonlat(np.array([r[3] for r in grid_rows], dtype=object)))
    report("geometry", 2, 2)

    district_geoms = [g for g, r in zip(div_geoms, div_rows, strict=True) if r[2] == "district"]
    root = shapely.union_all(district_geoms) if len(district_geoms) > 1 else district_geoms[0]
    assert isinstance(root, (Polygon, MultiPolygon))  # the union of the district polygons
    divisions = [
        DivisionSpec(PROVINCE_CODE12, PROVINCE_NAME, "province", None, root),
        DivisionSpec(CITY_CODE12, CITY_NAME, "city", PROVINCE_CODE12, root),
    ]
    divisions += [
        DivisionSpec(code, name, level, parent, geom, kind)
        for (code, name, level, parent, _g, kind), geom in zip(div_rows, div_geoms, strict=True)
    ]
    level_rank = {lv: i for i, lv in enumerate(LEVELS)}
    divisions.sort(key=lambda d: (level_rank[d.level], d.code12))
    grids = [
        GridSpec(code, name, comm, geom)
        for (code, name, comm, _g), geom in zip(grid_rows, grid_geoms, strict=True)
    ]
    grids.sort(key=lambda g: g.code15)
    return DemoCity(scale=scale, seed=seed, divisions=divisions, grids=grids)
