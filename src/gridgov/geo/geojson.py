"""Validate GeoJSON grids/divisions before import, and export grids as GeoJSON (pure: no Django).

Input
-----
A parsed GeoJSON ``FeatureCollection`` (RFC 7946, WGS84 lon/lat).  Each feature is either

* a **grid**: ``properties.code`` has 15 digits (community code + 3-digit sequence); optional
  ``kind`` (``"unit"``, the default, or ``"responsibility"``) and ``community_name``; or
* a **division**: ``properties.code`` has 12 digits (a statistical division code at any level);
  an optional ``level`` (``"community"``, ``"township"`` ... or the significant-digit count
  2/4/6/9/12) or ``kind: "division"`` must agree with the code.

Both need a non-empty ``name`` (at most 64 characters).  A grid needs a Polygon or MultiPolygon
geometry; a division's geometry is optional (``null``).  Other properties are kept in
``properties`` of the returned feature.

Problems
--------
:func:`validate_collection` never raises for bad input; it returns a :class:`ValidationResult`
whose ``problems`` are :class:`~gridgov.core.errors.ErrorDetail` rows.  ``row`` is the **0-based
index of the feature** in ``features`` (``None`` for problems of the whole document or of a
boundary passed in by the caller); ``field`` is ``"geometry"``, ``"properties.code"``,
``"properties.name"`` ...; ``code`` is a stable machine code:

``not_feature_collection``, ``not_feature``, ``not_polygon`` (missing or non-polygonal geometry),
``invalid_geometry``, ``self_intersection``, ``wrong_ring_order``, ``bad_coordinates``,
``missing_code``, ``bad_code``, ``missing_name``, ``bad_name``, ``bad_kind``, ``bad_level``,
``code_not_nested``, ``duplicate_code``, ``overlap``, ``gap``, ``outside_community``,
``unclosed_ring``; and from :func:`check_against_stored` ``overlap_existing`` and
``outside_community`` (against a stored community's boundary).

Every message starts with ``feature <index> (<code>)`` (or names both features of a pair).

Geometry rules
--------------
* Rings must be closed (first position = last, RFC 7946 §3.1.6); an open ring is a problem, and
  ``repair=True`` closes it and lists the repair.
* Rings follow RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise.  (The RFC
  tells parsers not to reject the other order; gridgov does, so that stored and exported data are
  uniform, and ``repair=True`` fixes it.)
* Coordinates must be lon in [-180, 180], lat in [-90, 90] and inside a box around China
  (lon 73..136, lat 3..54); otherwise the data is probably projected or has lon/lat swapped.
* Areas are computed in a Lambert azimuthal **equal-area** projection (pyproj, WGS84 ellipsoid)
  centred on the data, so m² figures are true areas wherever the data lies.
* Overlaps are checked between grids **of the same kind** (responsibility grids may lie over unit
  grids), found with a Shapely ``STRtree`` (no O(n²) pairing).  Two grids that only share an edge
  or a vertex do not overlap; interiors overlapping by more than ``overlap_tolerance_m2`` do.
* Gaps: for a community whose boundary is known (a division feature of the file with a geometry,
  or ``community_boundaries``) and that has at least one unit grid in the file, the part of the
  community not covered by the union of its unit grids must not exceed ``gap_tolerance_m2``; any
  grid's area outside its community must not exceed ``gap_tolerance_m2`` either.

``repair=True`` applies ``shapely.make_valid`` (keeping the polygonal parts only) to invalid
geometries and orients rings; every fix is listed in ``repairs`` and problems that remain are
still reported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from gridgov.core.codes import (
    Level,
    level_of,
    pad12,
    parent_prefix,
    validate_division_code,
    validate_grid_code,
)
from gridgov.core.errors import ErrorDetail, FieldError, Phrase, ValidationFailed

__all__ = [
    "CHINA_BOUNDS",
    "DivisionFeature",
    "GRID_KINDS",
    "GridFeature",
    "NAME_MAX_LENGTH",
    "ValidationResult",
    "areas_m2",
    "check_against_stored",
    "nested_deeper_than",
    "equal_area_transformer",
    "to_feature_collection",
    "validate_collection",
]

#: Allowed ``properties.kind`` values of a grid.
GRID_KINDS = ("unit", "responsibility")
NAME_MAX_LENGTH = 64
#: (min lon, min lat, max lon, max lat) of the plausibility box for Chinese data.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
#: A GeoJSON document nested deeper than this is refused before it is read (a MultiPolygon
#: feature collection needs 7 levels; properties may add a few).
MAX_DEPTH = 32
#: Decimal places of exported coordinates (1e-7 degree is about 1 cm).
EXPORT_DECIMALS = 7

_LEVEL_NAMES: dict[str, Level] = {lv.label_en.split("/")[0]: lv for lv in Level if lv != Level.GRID}
_LEVEL_NAMES.update({"county": Level.COUNTY, "district": Level.COUNTY, "prefecture": Level.CITY,
                     "subdistrict": Level.TOWNSHIP, "street": Level.TOWNSHIP, "town": Level.TOWNSHIP,
                     "village": Level.COMMUNITY})
_REASON_POINT = re.compile(r"\[\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)")


# ------------------------------------------------------------------------------------ results


@dataclass(frozen=True, eq=False)
class GridFeature:
    """A grid read from the file.  ``index`` is the 0-based feature index."""

    code: str
    name: str
    kind: str
    community_code: str
    geometry: Polygon | MultiPolygon
    area_m2: float
    index: int = -1
    community_name: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class DivisionFeature:
    """A division read from the file; ``parent_code12`` is ``None`` for a province."""

    code12: str
    name: str
    level: Level
    parent_code12: str | None
    geometry: Polygon | MultiPolygon | None
    index: int = -1
    area_m2: float | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class ValidationResult:
    """What :func:`validate_collection` found.

    ``grids``/``divisions`` hold every feature whose code (and, for a grid, polygonal geometry)
    could be read, first occurrence of a code only; their geometries are repaired when
    ``repair=True``.  ``updates`` lists grid codes of the file that are in
    ``existing_grid_codes`` (the import would update them), ``division_updates`` the same for
    division codes in ``known_division_codes``.
    """

    grids: list[GridFeature] = field(default_factory=list)
    divisions: list[DivisionFeature] = field(default_factory=list)
    problems: list[ErrorDetail] = field(default_factory=list)
    repairs: list[ErrorDetail] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)
    division_updates: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_problems(self, message: str = "the GeoJSON file has problems; nothing was imported") -> None:
        """Raise :class:`ValidationFailed` carrying every problem, if there is any."""
        if self.problems:
            raise ValidationFailed("%(message)s (%(n)s problem(s))", details=list(self.problems),
                                   params={"message": Phrase(message), "n": len(self.problems)})


# ------------------------------------------------------------------------------------ helpers


def equal_area_transformer(lon0: float, lat0: float) -> Transformer:
    """lon/lat (EPSG:4326, x=lon) -> metres in a Lambert azimuthal equal-area projection."""
    proj = (f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +x_0=0 +y_0=0 "
            "+ellps=WGS84 +units=m +no_defs")
    return Transformer.from_crs("EPSG:4326", proj, always_xy=True)


def _project(geoms: np.ndarray, transformer: Transformer) -> np.ndarray:
    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def _orient(geoms: np.ndarray) -> np.ndarray:
    """Exterior rings counter-clockwise, holes clockwise (RFC 7946)."""
    if hasattr(shapely, "orient_polygons"):  # Shapely >= 2.1
        return shapely.orient_polygons(geoms, exterior_cw=False)
    from shapely.geometry.polygon import orient

    def one(g: BaseGeometry) -> BaseGeometry:
        if isinstance(g, Polygon):
            return orient(g, 1.0)
        if isinstance(g, MultiPolygon):
            return MultiPolygon([orient(p, 1.0) for p in g.geoms])
        return g

    return np.array([one(g) for g in geoms], dtype=object)


def _polygonal_part(g: BaseGeometry) -> Polygon | MultiPolygon:
    """The polygonal part of ``make_valid`` output (a Polygon/MultiPolygon, possibly empty)."""
    if isinstance(g, Polygon | MultiPolygon):
        return g
    polys = [p for p in shapely.get_parts(g) if isinstance(p, Polygon | MultiPolygon) and not p.is_empty]
    if not polys:
        return Polygon()
    merged = shapely.union_all(polys)
    return merged if isinstance(merged, Polygon | MultiPolygon) else _polygonal_part(merged)


def _label(i: int, code: str | None) -> Phrase:
    return Phrase("feature %(index)s (%(code)s)", {"index": i, "code": code}) if code else Phrase(
        "feature %(index)s", {"index": i})


def _code_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return None


def _parse_level(value: Any) -> Level | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return Level(value)
        except ValueError:
            return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return _parse_level(int(text))
        return _LEVEL_NAMES.get(text)
    return None


@dataclass
class _Row:
    index: int
    code: str  # "" when missing or not a code; a valid one when code_ok
    is_grid: bool
    name: str = ""
    kind: str = "unit"
    level: Level | None = None
    community_name: str | None = None
    props: dict[str, Any] = field(default_factory=dict)
    geometry: Polygon | MultiPolygon | None = None  # parsed
    code_ok: bool = False
    geom_ok: bool = False  # valid (after repair) and plausible coordinates


class _Collector:
    def __init__(self) -> None:
        self.problems: list[ErrorDetail] = []
        self.repairs: list[ErrorDetail] = []

    def problem(self, row: int | None, field_name: str, code: str, message: str, /, **params: Any) -> None:
        """With ``params``, ``message`` is an English template (params may be ``Phrase``s)."""
        self.problems.append(_detail(row, field_name, code, message, params))

    def repaired(self, row: int | None, field_name: str, code: str, message: str, /, **params: Any) -> None:
        self.repairs.append(_detail(row, field_name, code, message, params))


def _detail(row: int | None, field_name: str, code: str, message: str, params: dict[str, Any]) -> ErrorDetail:
    if not params:
        return ErrorDetail(field_name, message, code, row)
    return ErrorDetail(field_name, message % params, code, row, message, params)


# ------------------------------------------------------------------------------------ reading


def nested_deeper_than(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists/objects in ``data`` nest deeper than ``limit`` (iterative: no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _open_rings(gtype: str, coords: Any) -> list[tuple[int, int]]:
    """(part, ring) of every ring whose first and last positions differ (malformed input is left
    to shapely, which reports it)."""
    polygons = coords if gtype == "MultiPolygon" else [coords]
    found: list[tuple[int, int]] = []
    if not isinstance(polygons, list):
        return found
    for p, rings in enumerate(polygons):
        if not isinstance(rings, list):
            continue
        for r, ring in enumerate(rings):
            if isinstance(ring, list) and len(ring) >= 2 and ring[0] != ring[-1]:
                found.append((p, r))
    return found


def _close_rings(gtype: str, coords: list, open_rings: list[tuple[int, int]]) -> list:
    polygons = [[list(ring) for ring in rings] for rings in (coords if gtype == "MultiPolygon" else [coords])]
    for p, r in open_rings:
        polygons[p][r].append(polygons[p][r][0])
    return polygons if gtype == "MultiPolygon" else polygons[0]


def _read_feature(i: int, feat: Any, out: _Collector, repair: bool = False) -> _Row | None:
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        got = feat.get("type") if isinstance(feat, dict) else type(feat).__name__
        out.problem(i, "type", "not_feature", "feature %(index)s: type %(got)s, expected 'Feature'", index=i,
                    got=repr(got))
        return None
    props = feat.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        out.problem(i, "properties", "not_feature",
                    "feature %(index)s: properties is %(got)s, expected an object", index=i,
                    got=type(props).__name__)
        props = {}
    raw_code = props.get("code")
    code = _code_text(raw_code)
    label = _label(i, code)

    kind_raw = props.get("kind")
    level_raw = props.get("level")
    says_division = (isinstance(kind_raw, str) and kind_raw.strip().lower() == "division") or (
        level_raw is not None)
    if code is not None and len(code) in (12, 15):
        is_grid = len(code) == 15
    else:
        is_grid = not says_division
    row = _Row(index=i, code=code or "", is_grid=is_grid,
               props={k: v for k, v in props.items()
                      if k not in ("code", "name", "kind", "level", "community_name")})

    # code
    if raw_code is None or (isinstance(raw_code, str) and not raw_code.strip()):
        out.problem(i, "properties.code", "missing_code", "%(label)s: properties.code is missing", label=label)
    elif code is None:
        out.problem(i, "properties.code", "bad_code",
                    "%(label)s: properties.code must be a string of digits, got %(got)s", label=label,
                    got=type(raw_code).__name__)
    else:
        try:
            if is_grid:
                validate_grid_code(code, "properties.code")
            else:
                validate_division_code(code, "properties.code")
            row.code_ok = True
        except FieldError as exc:
            template = ("%(label)s: not a valid grid code: %(reason)s" if is_grid
                        else "%(label)s: not a valid division code: %(reason)s")
            out.problem(i, "properties.code", "bad_code", template, label=label,
                        reason=Phrase(exc.template, exc.params or {}) if exc.template else Phrase(exc.reason))
        if row.code_ok and is_grid and says_division:
            row.code_ok = False
            out.problem(i, "properties.code", "bad_code",
                        "%(label)s: kind/level say division but the code has 15 digits (a grid code); "
                        "a division code has 12 digits", label=label)

    # name
    name = props.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        out.problem(i, "properties.name", "missing_name", "%(label)s: properties.name is missing or empty",
                    label=label)
    elif not isinstance(name, str):
        out.problem(i, "properties.name", "bad_name",
                    "%(label)s: properties.name must be a string, got %(got)s", label=label, got=type(name).__name__)
    elif len(name.strip()) > NAME_MAX_LENGTH:
        out.problem(i, "properties.name", "bad_name",
                    "%(label)s: properties.name has %(n)s characters; at most %(max)s allowed", label=label,
                    n=len(name.strip()), max=NAME_MAX_LENGTH)
    else:
        row.name = name.strip()

    # kind / level
    if is_grid:
        if kind_raw is not None and not (isinstance(kind_raw, str) and kind_raw.strip() in GRID_KINDS):
            if not says_division:  # already reported as bad_code
                out.problem(i, "properties.kind", "bad_kind",
                            "%(label)s: properties.kind is %(kind)s; expected one of %(kinds)s", label=label,
                            kind=repr(kind_raw), kinds=", ".join(GRID_KINDS))
        elif isinstance(kind_raw, str):
            row.kind = kind_raw.strip()
        cname = props.get("community_name")
        if cname is not None:
            if isinstance(cname, str):
                row.community_name = cname.strip() or None
            else:
                out.problem(i, "properties.community_name", "bad_name",
                            "%(label)s: properties.community_name must be a string, got %(got)s", label=label,
                            got=type(cname).__name__)
        stated = props.get("community_code")
        if row.code_ok and stated is not None and _code_text(stated) != row.code[:12]:
            out.problem(i, "properties.community_code", "code_not_nested",
                        "%(label)s: properties.community_code is %(stated)s but the grid code starts with "
                        "%(prefix)s", label=label, stated=repr(stated), prefix=row.code[:12])
        if "community_code" in row.props:
            del row.props["community_code"]
    else:
        if row.code_ok:
            row.level = level_of(row.code)
        if kind_raw is not None and not (isinstance(kind_raw, str) and kind_raw.strip().lower() == "division"):
            out.problem(i, "properties.kind", "bad_kind",
                        "%(label)s: properties.kind is %(kind)s; a 12-digit division code takes "
                        "kind 'division' or no kind", label=label, kind=repr(kind_raw))
        if level_raw is not None:
            lv = _parse_level(level_raw)
            if lv is None:
                out.problem(i, "properties.level", "bad_level",
                            "%(label)s: properties.level %(level)s is not a division level "
                            "(%(names)s or 2/4/6/9/12)", label=label, level=repr(level_raw),
                            names=", ".join(sorted(_LEVEL_NAMES)))
            elif row.level is not None and lv != row.level:
                out.problem(i, "properties.level", "bad_level",
                            "%(label)s: properties.level says %(said)s but the code is a %(level)s-level code",
                            label=label, said=Phrase(lv.label_en), level=Phrase(row.level.label_en))

    # geometry (parsed here; checked in bulk later)
    geom = feat.get("geometry")
    if geom is None:
        if is_grid:
            out.problem(i, "geometry", "not_polygon",
                        "%(label)s: geometry is missing; expected Polygon or MultiPolygon", label=label)
        return row
    gtype = geom.get("type") if isinstance(geom, dict) else type(geom).__name__
    if gtype not in ("Polygon", "MultiPolygon"):
        out.problem(i, "geometry", "not_polygon",
                    "%(label)s: geometry type %(type)s, expected Polygon or MultiPolygon", label=label, type=gtype)
        return row
    open_rings = _open_rings(gtype, geom.get("coordinates"))
    if open_rings:
        which = ", ".join(f"part {p} ring {r}" if gtype == "MultiPolygon" else f"ring {r}" for p, r in open_rings)
        text = Phrase("%(label)s: %(n)s ring(s) not closed (%(which)s); RFC 7946 requires the last "
                      "position to repeat the first", {"label": label, "n": len(open_rings), "which": which})
        if not repair:
            out.problem(i, "geometry", "unclosed_ring", "%(text)s (repairable with repair)", text=text)
            return row
        out.repaired(i, "geometry", "unclosed_ring", "%(text)s (closed by repeating the first position)", text=text)
        geom = {"type": gtype, "coordinates": _close_rings(gtype, geom["coordinates"], open_rings)}
    try:
        g = shape(geom)
    except Exception as exc:  # malformed coordinates: shapely/numpy raise several kinds
        out.problem(i, "geometry", "invalid_geometry", "%(label)s: malformed %(type)s coordinates (%(why)s)",
                    label=label, type=gtype, why=str(exc))
        return row
    if g.is_empty:
        out.problem(i, "geometry", "invalid_geometry", "%(label)s: %(type)s is empty", label=label, type=gtype)
        return row
    if shapely.get_coordinate_dimension(g) > 2:
        g = shapely.force_2d(g)
    assert isinstance(g, Polygon | MultiPolygon)  # its GeoJSON type was checked above
    row.geometry = g
    return row


# ------------------------------------------------------------------------------------ checks


def _check_geometries(rows: list[_Row], out: _Collector, repair: bool) -> None:
    """Coordinates, validity and ring order, vectorised over every parsed geometry."""
    rows = [r for r in rows if r.geometry is not None]
    if not rows:
        return
    geoms = np.array([r.geometry for r in rows], dtype=object)
    bounds = shapely.bounds(geoms)
    finite = np.all(np.isfinite(bounds), axis=1)
    in_world = finite & (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180) & (bounds[:, 1] >= -90) & (
        bounds[:, 3] <= 90)
    lo_x, lo_y, hi_x, hi_y = CHINA_BOUNDS
    in_china = in_world & (bounds[:, 0] >= lo_x) & (bounds[:, 2] <= hi_x) & (bounds[:, 1] >= lo_y) & (
        bounds[:, 3] <= hi_y)
    for k in np.flatnonzero(~in_china):
        r, b = rows[k], bounds[k]
        label = _label(r.index, r.code)
        if not finite[k]:
            why = Phrase("has non-finite coordinates (NaN or infinity)")
        elif not in_world[k]:
            why = Phrase("has coordinates outside lon [-180, 180] / lat [-90, 90] (bounds %(x0)s, "
                         "%(y0)s .. %(x1)s, %(y1)s); is it projected instead of WGS84 lon/lat?",
                         {"x0": f"{b[0]:.6g}", "y0": f"{b[1]:.6g}", "x1": f"{b[2]:.6g}", "y1": f"{b[3]:.6g}"})
        else:
            box = {"lo_x": f"{lo_x:g}", "hi_x": f"{hi_x:g}", "lo_y": f"{lo_y:g}", "hi_y": f"{hi_y:g}",
                   "x0": f"{b[0]:.6f}", "x1": f"{b[2]:.6f}", "y0": f"{b[1]:.6f}", "y1": f"{b[3]:.6f}"}
            why = Phrase("lies outside China (lon %(lo_x)s..%(hi_x)s, lat %(lo_y)s..%(hi_y)s): bounds lon "
                         "%(x0)s..%(x1)s, lat %(y0)s..%(y1)s", box)
            if lo_x <= b[1] and b[3] <= hi_x and lo_y <= b[0] and b[2] <= hi_y:
                why = Phrase("lies outside China (lon %(lo_x)s..%(hi_x)s, lat %(lo_y)s..%(hi_y)s): bounds lon "
                             "%(x0)s..%(x1)s, lat %(y0)s..%(y1)s; lon and lat look swapped (GeoJSON order is "
                             "lon, lat)", box)
        out.problem(r.index, "geometry", "bad_coordinates", "%(label)s: geometry %(why)s", label=label, why=why)

    good = np.flatnonzero(in_china)
    if not len(good):
        return
    g = geoms[good]
    valid = np.asarray(shapely.is_valid(g))
    if not valid.all():
        bad = np.flatnonzero(~valid)
        reasons = shapely.is_valid_reason(g[bad])
        fixed = shapely.make_valid(g[bad]) if repair else None
        for j, k in enumerate(bad):
            r = rows[good[k]]
            label = _label(r.index, r.code)
            reason = str(reasons[j])
            m = _REASON_POINT.search(reason)
            at = {"lon": f"{float(m.group(1)):.6f}", "lat": f"{float(m.group(2)):.6f}"} if m else {}
            is_si = "self-intersection" in reason.lower()
            code = "self_intersection" if is_si else "invalid_geometry"
            if is_si:
                text = Phrase("self-intersection at lon %(lon)s, lat %(lat)s", at) if at else Phrase("self-intersection")
            else:
                cause = reason.split("[")[0].strip()
                text = (Phrase("invalid geometry: %(why)s at lon %(lon)s, lat %(lat)s", {"why": cause, **at}) if at
                        else Phrase("invalid geometry: %(why)s", {"why": cause}))
            if fixed is not None:
                poly = _polygonal_part(fixed[j])
                if not poly.is_empty and poly.is_valid:
                    dropped = len(shapely.get_parts(fixed[j])) - len(shapely.get_parts(poly))
                    made = {"label": label, "text": text, "type": poly.geom_type,
                            "n": len(shapely.get_parts(poly)), "dropped": dropped}
                    out.repaired(r.index, "geometry", code,
                                 "%(label)s: make_valid applied (%(text)s); result %(type)s with %(n)s part(s); "
                                 "dropped %(dropped)s non-polygonal part(s)" if dropped > 0 else
                                 "%(label)s: make_valid applied (%(text)s); result %(type)s with %(n)s part(s)",
                                 **made)
                    g[k] = poly
                    r.geometry = poly
                    valid[k] = True
                    continue
                out.problem(r.index, "geometry", code, "%(label)s: %(text)s; make_valid left no polygonal area",
                            label=label, text=text)
                continue
            out.problem(r.index, "geometry", code, "%(label)s: %(text)s (repairable with repair)", label=label,
                        text=text)
        if repair:  # make_valid output has arbitrary ring order: orient silently (part of that repair)
            repaired_idx = [k for k in bad if valid[k]]
            if repaired_idx:
                oriented = _orient(g[repaired_idx])
                for k, o in zip(repaired_idx, oriented, strict=True):
                    g[k] = o
                    rows[good[k]].geometry = o

    # ring order, on valid geometries that were not just rebuilt by make_valid
    vk = np.flatnonzero(valid)
    parts, part_of = shapely.get_parts(g[vk], return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    if len(rings):
        exterior = np.r_[True, ring_of[1:] != ring_of[:-1]]
        ccw = shapely.is_ccw(rings)
        wrong_ext = exterior & ~ccw
        wrong_hole = ~exterior & ccw
        feat_of_ring = vk[part_of[ring_of]]
        n_ext = np.bincount(feat_of_ring[wrong_ext], minlength=len(g))
        n_hole = np.bincount(feat_of_ring[wrong_hole], minlength=len(g))
        bad_order = np.flatnonzero((n_ext + n_hole) > 0)
        if len(bad_order):
            reoriented = _orient(g[bad_order]) if repair else None
            for j, k in enumerate(bad_order):
                r = rows[good[k]]
                label = _label(r.index, r.code)
                counts = {"exterior": int(n_ext[k]), "holes": int(n_hole[k])}
                if n_ext[k] and n_hole[k]:
                    what = Phrase("%(exterior)s exterior ring(s) clockwise and %(holes)s hole(s) counter-clockwise",
                                  counts)
                elif n_ext[k]:
                    what = Phrase("%(exterior)s exterior ring(s) clockwise", counts)
                else:
                    what = Phrase("%(holes)s hole(s) counter-clockwise", counts)
                text = Phrase("%(label)s: wrong ring order: %(what)s; RFC 7946 requires "
                              "counter-clockwise exterior rings and clockwise holes", {"label": label, "what": what})
                if reoriented is not None:
                    r.geometry = reoriented[j]
                    out.repaired(r.index, "geometry", "wrong_ring_order", "%(text)s (rings re-oriented)", text=text)
                else:
                    out.problem(r.index, "geometry", "wrong_ring_order", "%(text)s (repairable with repair)",
                                text=text)
    for k in np.flatnonzero(valid):
        rows[good[k]].geom_ok = True


def _check_codes(rows: list[_Row], known: set[str], existing: set[str], out: _Collector,
                 result: ValidationResult) -> tuple[list[_Row], list[_Row]]:
    """Duplicates, nesting, updates.  Returns (grid rows, division rows), first occurrences only."""
    first: dict[str, int] = {}
    grids: list[_Row] = []
    divisions: list[_Row] = []
    for r in rows:
        if not r.code_ok:
            continue
        if r.code in first:
            j = first[r.code]
            out.problem(r.index, "properties.code", "duplicate_code",
                        "features %(first)s and %(second)s have the same code %(code)s", first=j, second=r.index,
                        code=r.code)
            continue
        first[r.code] = r.index
        (grids if r.is_grid else divisions).append(r)

    in_file = {r.code for r in divisions}
    available = in_file | known
    for r in divisions:
        assert r.level is not None
        if r.level <= Level.COUNTY:
            continue
        parent = pad12(parent_prefix(r.code))
        if parent not in available:
            out.problem(r.index, "properties.code", "code_not_nested",
                        "%(label)s: parent division %(parent)s (%(level)s) is neither in "
                        "the file nor among known divisions", label=_label(r.index, r.code), parent=parent,
                        level=Phrase(level_of(parent).label_en))
    for r in grids:
        community = r.code[:12]
        if community not in available:
            out.problem(r.index, "properties.code", "code_not_nested",
                        "%(label)s: community %(community)s (the first 12 digits) is "
                        "neither in the file nor among known divisions", label=_label(r.index, r.code),
                        community=community)
    result.updates = sorted(r.code for r in grids if r.code in existing)
    result.division_updates = sorted(r.code for r in divisions if r.code in known)
    return grids, divisions


def _centre(geoms: list[BaseGeometry]) -> tuple[float, float]:
    b = shapely.bounds(np.array(geoms, dtype=object))
    return (float(np.nanmin(b[:, 0]) + np.nanmax(b[:, 2])) / 2, float(np.nanmin(b[:, 1]) + np.nanmax(b[:, 3])) / 2)


class _Metric:
    """Areas in m² of lon/lat geometries, via an equal-area projection centred on the data.

    Overlay operations (intersection, difference, union) run in lon/lat, where GeoJSON edges are
    straight lines (RFC 7946 §3.1.1); only their results are projected, for the area.  (Projecting
    first would bend shared edges differently for a long community edge and the short grid edges
    along it, inventing slivers of a few m².)
    """

    def __init__(self, geoms: list[BaseGeometry]) -> None:
        lon0, lat0 = _centre(geoms)
        self.fwd = equal_area_transformer(lon0, lat0)
        self.back = Transformer.from_crs(self.fwd.target_crs, "EPSG:4326", always_xy=True)

    def area(self, geoms: np.ndarray) -> np.ndarray:
        if not len(geoms):
            return np.zeros(0)
        return shapely.area(_project(geoms, self.fwd))


def _where(g: BaseGeometry) -> Phrase:
    p = shapely.point_on_surface(g)
    return Phrase("around lon %(lon)s, lat %(lat)s", {"lon": f"{p.x:.6f}", "lat": f"{p.y:.6f}"})


def _check_overlaps(grids: list[_Row], geoms: np.ndarray, tol: float, metric: _Metric,
                    out: _Collector) -> None:
    if len(grids) < 2:
        return
    shapely.prepare(geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    kinds = np.array([r.kind for r in grids])
    keep = (left < right) & (kinds[left] == kinds[right])
    left, right = left[keep], right[keep]
    if not len(left):
        return
    interior = ~shapely.touches(geoms[left], geoms[right])
    left, right = left[interior], right[interior]
    if not len(left):
        return
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    inter = shapely.intersection(geoms[left], geoms[right])
    area = metric.area(inter)
    for k in np.flatnonzero(area > tol):
        a, b = grids[left[k]], grids[right[k]]
        out.problem(a.index, "geometry", "overlap",
                    "features %(a)s (%(a_code)s) and %(b)s (%(b_code)s) overlap by %(area)s m² (%(where)s)",
                    a=a.index, a_code=a.code, b=b.index, b_code=b.code, area=f"{area[k]:.1f}", where=_where(inter[k]))


def _check_communities(grids: list[_Row], geoms: np.ndarray,
                       boundaries: dict[str, tuple[int | None, BaseGeometry]],
                       gap_tol: float, metric: _Metric, out: _Collector) -> None:
    """Grids outside their community, and gaps between a community's unit grids."""
    if not boundaries or not len(grids):
        return
    members: dict[str, list[int]] = {}
    for k, r in enumerate(grids):
        if r.code[:12] in boundaries:
            members.setdefault(r.code[:12], []).append(k)
    if not members:
        return
    # outside: vectorised difference grid - community
    ks = np.array([k for ks_ in members.values() for k in ks_])
    comm = np.array([boundaries[grids[k].code[:12]][1] for k in ks], dtype=object)
    shapely.prepare(comm)
    maybe = np.flatnonzero(~shapely.covers(comm, geoms[ks]))
    if len(maybe):
        outside = shapely.difference(geoms[ks[maybe]], comm[maybe])
        out_area = metric.area(outside)
        for j in np.flatnonzero(out_area > gap_tol):
            r = grids[ks[maybe[j]]]
            out.problem(r.index, "geometry", "outside_community",
                        "%(label)s: %(area)s m² lies outside its community %(community)s (%(where)s)",
                        label=_label(r.index, r.code), area=f"{out_area[j]:.1f}", community=r.code[:12],
                        where=_where(outside[j]))
    # gaps
    for ccode, kk in members.items():
        unit = [k for k in kk if grids[k].kind == "unit"]
        if not unit:
            continue
        row, cgeom = boundaries[ccode]
        gap = shapely.difference(cgeom, shapely.union_all(geoms[unit]))
        if gap.is_empty:
            continue
        pieces = shapely.get_parts(gap)
        areas = metric.area(pieces)
        gap_area = float(areas.sum())
        if gap_area <= gap_tol:
            continue
        big = int(np.argmax(areas))
        where = (_label(row, ccode) if row is not None
                 else Phrase("community %(code)s", {"code": ccode}))
        out.problem(row, "geometry", "gap",
                    "%(label)s: %(area)s m² of the community is not covered by its unit grids "
                    "(%(n)s piece(s), largest %(largest)s m² %(where)s)", label=where, area=f"{gap_area:.1f}",
                    n=len(pieces), largest=f"{areas[big]:.1f}", where=_where(pieces[big]))


# ------------------------------------------------------------------------------------ API


def validate_collection(
    data: Any,
    *,
    known_division_codes: Iterable[str] = frozenset(),
    existing_grid_codes: Iterable[str] = frozenset(),
    repair: bool = False,
    overlap_tolerance_m2: float = 1.0,
    gap_tolerance_m2: float = 1.0,
    community_boundaries: Mapping[str, BaseGeometry] | None = None,
) -> ValidationResult:
    """Check a parsed GeoJSON FeatureCollection of grids (and divisions); see the module doc.

    ``known_division_codes``: 12-digit codes (or significant prefixes) already in the database.
    ``existing_grid_codes``: grid codes already stored; such features are updates, not errors.
    ``community_boundaries``: ``{community code12: lon/lat polygon}`` for communities whose
    boundary is stored but not in the file (a boundary in the file takes precedence).
    """
    out = _Collector()
    result = ValidationResult()
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        got = data.get("type") if isinstance(data, dict) else type(data).__name__
        out.problem(None, "type", "not_feature_collection",
                    "the document is %(got)s, expected a GeoJSON FeatureCollection", got=repr(got))
        result.problems = out.problems
        return result
    features = data.get("features")
    if not isinstance(features, list):
        out.problem(None, "features", "not_feature_collection",
                    "features is %(got)s, expected a list of Feature objects", got=type(features).__name__)
        result.problems = out.problems
        return result

    known: set[str] = set()
    for c in known_division_codes:
        text = str(c).strip()
        known.add(text if len(text) == 12 else text.ljust(12, "0") if len(text) < 12 else text[:12])
    existing = {str(c).strip() for c in existing_grid_codes}

    rows = [r for i, f in enumerate(features) if (r := _read_feature(i, f, out, repair)) is not None]
    _check_geometries(rows, out, repair)
    grid_rows, div_rows = _check_codes(rows, known, existing, out, result)

    # overlays in lon/lat, areas in an equal-area projection centred on the data
    spatial = [(r, r.geometry) for r in grid_rows + div_rows if r.geom_ok and r.geometry is not None]
    ext: dict[str, BaseGeometry] = {}
    for code, g in (community_boundaries or {}).items():
        if isinstance(g, Polygon | MultiPolygon) and not g.is_empty:
            ext[str(code)] = g if g.is_valid else _polygonal_part(shapely.make_valid(g))
    area_of: dict[int, float] = {}
    if spatial or ext:
        metric = _Metric([g for _, g in spatial] + list(ext.values()))
        areas = metric.area(np.array([g for _, g in spatial], dtype=object))
        area_of = {r.index: float(a) for (r, _), a in zip(spatial, areas, strict=True)}
        g_rows = [r for r in grid_rows if r.geom_ok]
        g_geoms = np.array([r.geometry for r in g_rows], dtype=object)
        _check_overlaps(g_rows, g_geoms, overlap_tolerance_m2, metric, out)
        boundaries: dict[str, tuple[int | None, BaseGeometry]] = {c: (None, g) for c, g in ext.items()}
        for r in div_rows:
            if r.geom_ok and r.geometry is not None and r.level == Level.COMMUNITY:
                boundaries[r.code] = (r.index, r.geometry)
        _check_communities(g_rows, g_geoms, boundaries, gap_tolerance_m2, metric, out)

    for r in grid_rows:
        if r.geometry is None:
            continue
        result.grids.append(GridFeature(
            code=r.code, name=r.name, kind=r.kind, community_code=r.code[:12], geometry=r.geometry,
            area_m2=area_of.get(r.index, math.nan), index=r.index, community_name=r.community_name,
            properties=r.props))
    for r in div_rows:
        assert r.level is not None  # set for every division with a valid code
        parent = parent_prefix(r.code)
        result.divisions.append(DivisionFeature(
            code12=r.code, name=r.name, level=r.level, parent_code12=pad12(parent) if parent else None,
            geometry=r.geometry, index=r.index, area_m2=area_of.get(r.index), properties=r.props))

    order = {id(p): n for n, p in enumerate(out.problems)}
    result.problems = sorted(out.problems, key=lambda p: (p.row is None, p.row or 0, order[id(p)]))
    result.repairs = sorted(out.repairs, key=lambda p: p.row if p.row is not None else -1)
    return result


@dataclass(frozen=True)
class StoredGrid:
    """A grid already in the database (a candidate for :func:`check_against_stored`)."""

    code: str
    name: str
    kind: str
    geometry: BaseGeometry


def check_against_stored(grids: list[GridFeature], *, stored_grids: list[StoredGrid],
                         community_boundaries: Mapping[str, BaseGeometry],
                         tolerance_m2: float) -> list[ErrorDetail]:
    """Problems of the file's grids against what is stored: ``overlap_existing`` (a grid of the
    same kind, not replaced by the file, overlapping by more than ``tolerance_m2``) and
    ``outside_community`` (more than ``tolerance_m2`` outside its community's stored boundary;
    ``community_boundaries`` holds the communities whose boundary the file does not give). Only
    valid geometries are compared; the file's own problems are reported by validate_collection."""
    mine = [g for g in grids if g.geometry is not None and g.geometry.is_valid]
    if not mine:
        return []
    in_file = {g.code for g in grids}
    others = [s for s in stored_grids if s.code not in in_file and s.geometry.is_valid]
    out = _Collector()
    metric = _Metric([g.geometry for g in mine])
    geoms = np.array([g.geometry for g in mine], dtype=object)
    if others:
        tree = shapely.STRtree(np.array([s.geometry for s in others], dtype=object))
        left, right = tree.query(geoms, predicate="intersects")
        for k, j in sorted(zip(left.tolist(), right.tolist(), strict=True)):
            g, s = mine[k], others[j]
            if g.kind != s.kind or shapely.touches(g.geometry, s.geometry):
                continue
            inter = shapely.intersection(g.geometry, s.geometry)
            area = float(metric.area(np.array([inter], dtype=object))[0])
            if area > tolerance_m2:
                out.problem(g.index, "geometry", "overlap_existing",
                            "%(label)s: overlaps the stored grid %(code)s (%(name)s) by %(area)s m² (%(where)s); "
                            "change or replace that grid in the same file", label=_label(g.index, g.code),
                            code=s.code, name=s.name, area=f"{area:.1f}", where=_where(inter))
    for g in mine:
        boundary = community_boundaries.get(g.community_code)
        if boundary is None or not boundary.is_valid or shapely.covers(boundary, g.geometry):
            continue
        outside = shapely.difference(g.geometry, boundary)
        area = float(metric.area(np.array([outside], dtype=object))[0])
        if area > tolerance_m2:
            out.problem(g.index, "geometry", "outside_community",
                        "%(label)s: %(area)s m² lies outside its community %(community)s as stored (%(where)s)",
                        label=_label(g.index, g.code), area=f"{area:.1f}", community=g.community_code,
                        where=_where(outside))
    return out.problems


# ------------------------------------------------------------------------------------ export


def _export_geometry(g: BaseGeometry) -> dict[str, Any]:
    """RFC 7946 geometry: counter-clockwise exteriors, coordinates rounded to 7 decimals."""
    snapped = shapely.set_precision(g, 10.0 ** -EXPORT_DECIMALS)
    if snapped.is_empty or not isinstance(snapped, Polygon | MultiPolygon):
        snapped = g
    snapped = shapely.transform(snapped, lambda c: np.round(c, EXPORT_DECIMALS))
    snapped = _orient(np.array([snapped], dtype=object))[0]

    def rings(p: Polygon) -> list[list[list[float]]]:
        return [np.asarray(r.coords)[:, :2].round(EXPORT_DECIMALS).tolist() for r in (p.exterior, *p.interiors)]

    if isinstance(snapped, Polygon):
        return {"type": "Polygon", "coordinates": rings(snapped)}
    return {"type": "MultiPolygon", "coordinates": [rings(p) for p in snapped.geoms]}


def to_feature_collection(
    grids: Iterable[GridFeature | tuple],
    *,
    divisions: Iterable[DivisionFeature | tuple] = (),
) -> dict[str, Any]:
    """Export grids (and optionally divisions) as an RFC 7946 FeatureCollection.

    A grid is a :class:`GridFeature` or a tuple ``(code, name, kind, community_code, geometry[,
    extra_properties])``; a division is a :class:`DivisionFeature` or ``(code12, name, geometry
    or None[, extra_properties])``.  Divisions come first, then grids, each in the given order.
    Extra properties never override ``code``/``name``/``kind``/``level``/``community_code``.
    """
    features: list[dict[str, Any]] = []
    extra: Mapping[str, Any] | None
    for d in divisions:
        if isinstance(d, DivisionFeature):
            code, name, geom, extra = d.code12, d.name, d.geometry, d.properties
        else:
            code, name, geom, *rest = d
            extra = rest[0] if rest else None
        props = dict(extra or {})
        props.update(code=code, name=name, level=level_of(code).label_en.split("/")[0])
        features.append({"type": "Feature", "properties": props,
                         "geometry": _export_geometry(geom) if geom is not None else None})
    for g in grids:
        if isinstance(g, GridFeature):
            code, name, kind, community, geom, extra = (g.code, g.name, g.kind, g.community_code,
                                                        g.geometry, dict(g.properties))
            if g.community_name:
                extra["community_name"] = g.community_name
        else:
            code, name, kind, community, geom, *rest = g
            extra = rest[0] if rest else None
        props = dict(extra or {})
        props.update(code=code, name=name, kind=kind or "unit", community_code=community or code[:12])
        features.append({"type": "Feature", "properties": props, "geometry": _export_geometry(geom)})
    return {"type": "FeatureCollection", "features": features}



def areas_m2(geoms) -> np.ndarray:
    """True areas in m² of lon/lat (Multi)Polygons, in an equal-area projection centred on them."""
    arr = np.asarray(list(geoms), dtype=object)
    if not len(arr):
        return np.zeros(0)
    return _Metric(list(arr)).area(arr)
