"""Risk against coverage (pure: no Django): camera coverage of a grid and the gap index.

Camera coverage
---------------
A camera covers a disc of ``radius_m`` (dome, ``angle >= 360``) or a circular sector of
``angle`` degrees centred on ``heading`` (0 = north, clockwise). The sectors of a grid's working
cameras are united (overlaps count once) and intersected with the grid; the share is that area
over the grid's area. All of it is computed in a Lambert azimuthal equal-area projection centred
on the grid (pyproj, WGS84 ellipsoid), so areas are true areas in m².

The gap index (per grid and week; the full statement and caveats are in docs/prevention.md)
--------------------------------------------------------------------------------------------
risk  r_g = s_g / s̄ · (1 + 0.25 · L_g)
        s_g = (R_g + b·s̄) / (E_g + b): reported incidents R_g of the last W weeks over the exposure
        E_g (thousand resident-weeks), shrunk toward the area's rate s̄ = ΣR/ΣE with a prior
        worth b = half the mean exposure (a gamma-Poisson / empirical-Bayes smoother);
        L_g = highest level (0-4) of the open safety warnings on the grid or its community.
cover C_g = Σ_k w_k x_k / Σ_k w_k over the components that apply:
        patrol  x = min(1, patrol hours / H*),   w = 0.40
        defence x = min(1, defence hours / D*),  w = 0.20
        cameras x = covered share of the area,   w = 0.25
        venues  x = share inspected in 90 days,  w = 0.15 (only for grids with key venues)
        H*, D* = the area's 75th percentile of the week's hours (at least 1 h).
gap   G_g = r_g · (1 − C_g)        (1.0 = an average-risk grid with no coverage at all)

Only incidents *reported* by residents enter the risk: incidents discovered by patrols measure
where patrols were, and counting them would send patrols back to the same place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon

__all__ = ["CameraView", "GridFacts", "GridGap", "WEIGHTS", "camera_shape", "coverage_share", "coverage_shares", "gap_index",
           "gap_band"]

WEIGHTS: dict[str, float] = {"patrol": 0.40, "defence": 0.20, "cameras": 0.25, "venues": 0.15}
WARNING_WEIGHT = 0.25
REFERENCE_QUANTILE = 0.75
#: gap bands for the map and the list: (upper bound, band)
BANDS: tuple[tuple[float, str], ...] = ((0.25, "low"), (0.5, "moderate"), (1.0, "high"), (math.inf, "severe"))


@dataclass(frozen=True)
class CameraView:
    lon: float
    lat: float
    radius_m: float
    heading: float = 0.0
    angle: float = 360.0


def _laea(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    crs = f"+proj=laea +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m +no_defs"
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return fwd, back


def camera_shape(x: float, y: float, cam: CameraView, *, segments: int = 32) -> Polygon:
    """The covered shape in projected metres around (x, y)."""
    if cam.radius_m <= 0:
        return Polygon()
    if cam.angle >= 360:
        return shapely.Point(x, y).buffer(cam.radius_m, quad_segs=segments // 4 or 1)
    half = max(cam.angle, 0.0) / 2.0
    n = max(2, int(math.ceil(segments * cam.angle / 360.0)))
    pts = [(x, y)]
    for i in range(n + 1):
        bearing = math.radians(cam.heading - half + cam.angle * i / n)
        pts.append((x + cam.radius_m * math.sin(bearing), y + cam.radius_m * math.cos(bearing)))
    return Polygon(pts)


def coverage_share(grid: Polygon | MultiPolygon, cameras: Sequence[CameraView]) -> float:
    """Share (0..1) of ``grid`` (lon/lat) covered by the union of the cameras' views."""
    if grid.is_empty or not cameras:
        return 0.0
    c = grid.centroid
    fwd, _ = _laea(c.x, c.y)
    g = shapely.transform(grid, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    if g.area <= 0:
        return 0.0
    xs, ys = fwd.transform([cam.lon for cam in cameras], [cam.lat for cam in cameras])
    shapes = [camera_shape(float(x), float(y), cam) for x, y, cam in zip(xs, ys, cameras, strict=True)]
    covered = shapely.union_all([s for s in shapes if not s.is_empty])
    return float(min(1.0, covered.intersection(g).area / g.area))


def coverage_shares(codes: Sequence[str], grids: Sequence[Polygon | MultiPolygon],
                    cameras: Sequence[CameraView]) -> dict[str, float]:
    """``{code: share}`` for many grids at once (grids without coverage left out): one equal-area
    projection centred on the whole extent (Lambert azimuthal equal-area keeps areas true across a
    city), the camera shapes built once and matched to the grids with an STRtree."""
    if not len(codes) or not cameras:
        return {}
    geoms = np.asarray(list(grids), dtype=object)
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    fwd, _ = _laea((x0 + x1) / 2, (y0 + y1) / 2)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(fwd.transform(xy[:, 0], xy[:, 1]))

    projected = shapely.transform(geoms, project)
    xs, ys = fwd.transform([c.lon for c in cameras], [c.lat for c in cameras])
    shapes = np.asarray([camera_shape(float(x), float(y), c) for x, y, c in zip(xs, ys, cameras, strict=True)],
                        dtype=object)
    tree = shapely.STRtree(shapes)
    grid_idx, cam_idx = tree.query(projected, predicate="intersects")
    out: dict[str, float] = {}
    order = np.argsort(grid_idx, kind="stable")
    grid_idx, cam_idx = grid_idx[order], cam_idx[order]
    bounds = np.flatnonzero(np.diff(grid_idx)) + 1
    for gi, cams in zip(np.split(grid_idx, bounds), np.split(cam_idx, bounds), strict=True):
        if not len(gi):
            continue
        g = projected[gi[0]]
        area = g.area
        if area <= 0:
            continue
        covered = shapely.union_all(shapes[cams]).intersection(g).area
        if covered > 0:
            out[str(codes[gi[0]])] = float(min(1.0, covered / area))
    return out


@dataclass
class GridFacts:
    code: str
    reported: int  # incidents reported by residents in the risk window
    residents: int
    weeks: int
    warning_level: int = 0
    patrol_hours: float = 0.0
    defence_hours: float = 0.0
    camera_share: float = 0.0
    venues: int = 0
    venues_inspected: int = 0


@dataclass
class GridGap:
    code: str
    risk: float
    rate: float  # smoothed reported incidents per 1,000 residents per week
    coverage: float
    gap: float
    band: str
    parts: dict[str, float] = field(default_factory=dict)


def gap_band(gap: float) -> str:
    for bound, band in BANDS:
        if gap < bound:
            return band
    return BANDS[-1][1]


def _reference(values: np.ndarray) -> float:
    positive = values[values > 0]
    if not len(positive):
        return 1.0
    return max(1.0, float(np.quantile(positive, REFERENCE_QUANTILE)))


def gap_index(facts: Sequence[GridFacts], *, weights: dict[str, float] | None = None) -> list[GridGap]:
    """The gap of every grid, ranked: largest gap first (ties by code)."""
    if not facts:
        return []
    w = dict(WEIGHTS, **(weights or {}))
    reported = np.array([f.reported for f in facts], dtype=float)
    # exposure in thousand resident-weeks; a grid without registered residents counts as 1,000
    exposure = np.array([max(f.residents, 1) * max(f.weeks, 1) / 1000.0 if f.residents else max(f.weeks, 1)
                         for f in facts], dtype=float)
    mean_rate = reported.sum() / exposure.sum() if exposure.sum() > 0 else 0.0
    prior = 0.5 * float(exposure.mean())
    rate = (reported + prior * mean_rate) / (exposure + prior)
    rel = rate / mean_rate if mean_rate > 0 else np.ones(len(facts))
    h_ref = _reference(np.array([f.patrol_hours for f in facts]))
    d_ref = _reference(np.array([f.defence_hours for f in facts]))
    out = []
    for i, f in enumerate(facts):
        parts = {"patrol": min(1.0, f.patrol_hours / h_ref), "defence": min(1.0, f.defence_hours / d_ref),
                 "cameras": max(0.0, min(1.0, f.camera_share))}
        if f.venues > 0:
            parts["venues"] = min(1.0, f.venues_inspected / f.venues)
        total_w = sum(w[k] for k in parts)
        cover = sum(w[k] * v for k, v in parts.items()) / total_w if total_w else 0.0
        risk = float(rel[i]) * (1.0 + WARNING_WEIGHT * max(0, min(4, f.warning_level)))
        gap = risk * (1.0 - cover)
        out.append(GridGap(code=f.code, risk=risk, rate=float(rate[i]) if f.residents else float("nan"),
                           coverage=cover, gap=gap, band=gap_band(gap), parts=parts))
    out.sort(key=lambda g: (-g.gap, g.code))
    return out
