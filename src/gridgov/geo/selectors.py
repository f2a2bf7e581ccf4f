"""Every read of geography. First argument: the acting user; scoping is always applied.

Visibility: a grid is visible when its code starts with one of the user's read prefixes for
``geo.view``; a division when its significant code starts with such a prefix, or when it is an
ancestor of one (so a grid worker sees the outline of their community and street for context).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_save

from gridgov.accounts import selectors as account_selectors
from gridgov.accounts.models import User
from gridgov.accounts.scope import prefix_matcher, require_capability, scope_q, user_prefixes
from gridgov.core.codes import province_name
from gridgov.core.errors import FieldError, Forbidden, NotFound
from gridgov.core.models import SystemState
from gridgov.geo import geojson, locator_store
from gridgov.geo.locate import GridLocator, exact_locate_index
from gridgov.geo.models import Division, Grid, boundary_wkb

CAPABILITY = "geo.view"
MAX_LAYER_FEATURES = 3000
MIN_GRID_ZOOM = 12
VERSION_KEY = "geo:version"


def _prefixes(user: User) -> list[str]:
    require_capability(user, CAPABILITY)
    return user_prefixes(user, CAPABILITY)


def _ancestors(prefix: str) -> list[str]:
    cuts = [c for c in (2, 4, 6, 9, 12) if c < len(prefix)]
    return [prefix[:c] for c in cuts]


def divisions_visible(user: User) -> QuerySet[Division]:
    prefixes = _prefixes(user)
    ancestors = {a for p in prefixes for a in _ancestors(p)}
    q = scope_q(prefixes, "prefix")
    if ancestors:
        q |= Q(prefix__in=ancestors)
    return Division.objects.filter(q)


def grids_visible(user: User) -> QuerySet[Grid]:
    return Grid.objects.filter(scope_q(_prefixes(user), "code"))


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise FieldError("bbox", "expected four numbers minlon,minlat,maxlon,maxlat") from None
    if len(values) != 4 or not all(np.isfinite(values)):
        raise FieldError("bbox", "expected four numbers minlon,minlat,maxlon,maxlat")
    minlon, minlat, maxlon, maxlat = values
    if minlon > maxlon or minlat > maxlat:
        raise FieldError("bbox", "min must not exceed max")
    return values


def _in_bbox(qs: QuerySet, bbox) -> QuerySet:
    if bbox is None:
        return qs
    minlon, minlat, maxlon, maxlat = bbox
    return qs.filter(min_lon__lte=maxlon, max_lon__gte=minlon, min_lat__lte=maxlat, max_lat__gte=minlat)


def _tolerance(zoom: int | None) -> float:
    """About half a screen pixel in degrees at this zoom (Web Mercator, 256-px tiles)."""
    if zoom is None:
        return 0.0
    return 360.0 / (256 * 2 ** max(0, min(zoom, 22))) * 0.5


def _features(rows: list[tuple[bytes, dict]], zoom: int | None) -> list[str]:
    """GeoJSON Feature strings, geometries simplified for the zoom, vectorised over all rows."""
    if not rows:
        return []
    geoms = shapely.from_wkb([bytes(r[0]) for r in rows])
    tol = _tolerance(zoom)
    if tol > 0:
        geoms = shapely.simplify(geoms, tol, preserve_topology=True)
    geoms = shapely.set_precision(geoms, 1e-6) if tol > 1e-6 else geoms
    texts = shapely.to_geojson(geoms)
    return ['{"type":"Feature","geometry":' + g + ',"properties":' + json.dumps(p, ensure_ascii=False) + "}"
            for g, (_, p) in zip(texts, rows, strict=True)]


def _collection(features: list[str], **extra) -> str:
    head = ",".join(f'"{k}":{json.dumps(v)}' for k, v in extra.items())
    sep = "," if head else ""
    return '{"type":"FeatureCollection",' + head + sep + '"features":[' + ",".join(features) + "]}"


def divisions_layer(user: User, *, level: int, bbox=None, zoom: int | None = None) -> str:
    if level not in Division.Level.values:
        raise FieldError("level", "%(level)s is not a division level (2, 4, 6, 9 or 12)", params={"level": level})
    qs = _in_bbox(divisions_visible(user).filter(level=level, boundary__isnull=False), bbox)
    rows = [(b, {"code": c, "prefix": p, "name": n, "level": lv, "parent_code": pc})
            for b, c, p, n, lv, pc in qs.values_list("boundary", "code", "prefix", "name", "level",
                                                      "parent__code")[:MAX_LAYER_FEATURES]]
    return _collection(_features(rows, zoom), total=len(rows))


def grids_layer(user: User, *, bbox=None, zoom: int | None = None, limit: int = MAX_LAYER_FEATURES) -> str:
    qs = _in_bbox(grids_visible(user).filter(boundary__isnull=False), bbox)
    if zoom is not None and zoom < MIN_GRID_ZOOM:
        return _collection([], truncated=True, total=qs.count())
    rows = list(qs.values_list("boundary", "code", "name", "kind", "community__code")[: limit + 1])
    truncated = len(rows) > limit
    if truncated:
        return _collection([], truncated=True, total=qs.count())
    data = [(b, {"code": c, "name": n, "kind": k, "community_code": cc}) for b, c, n, k, cc in rows]
    return _collection(_features(data, zoom), truncated=False, total=len(data))


# --- names of codes (for pages: the name, with the code in small type) ------------------------------

_names: dict[str, str] = {}
_names_loaded_at = [0.0]
NAMES_TTL_SECONDS = 60.0


def place_names(codes) -> dict[str, str]:
    """``{code: name}`` for division codes (12 digits, or a significant prefix of 2-9 digits) and
    grid codes (15 digits). Names of places are public, not resident data: no scoping (the pages and
    the audit trail show codes the user already sees). A code that
    names nothing known is left out. Cached per process for ``NAMES_TTL_SECONDS`` (and dropped
    when the grids change in this process)."""
    now = time.monotonic()
    if now - _names_loaded_at[0] > NAMES_TTL_SECONDS:
        _names.clear()
        _names_loaded_at[0] = now
    wanted = {str(c) for c in codes if c and str(c).isdigit()}
    missing = wanted - _names.keys()
    if missing:
        grids = [c for c in missing if len(c) == 15]
        full = [c for c in missing if len(c) == 12]
        prefixes = [c for c in missing if len(c) < 12]
        found: dict[str, str] = {}
        if grids:
            found.update(Grid.objects.filter(code__in=grids).values_list("code", "name"))
        if full:
            found.update(Division.objects.filter(code__in=full).values_list("code", "name"))
        if prefixes:
            found.update(Division.objects.filter(prefix__in=prefixes).values_list("prefix", "name"))
            for code in prefixes:  # a province without its division row (the city administrator's "31")
                if code not in found and len(code) == 2:
                    found[code] = province_name(code) or ""
        for code in missing:
            _names[code] = found.get(code, "")
    return {c: _names[c] for c in wanted if _names.get(c)}


def streets_of(district_code: str) -> list[tuple[str, str]]:
    """(code, name) of the streets/towns of a district (6 digits), in code order; [] for any other
    code. Names of places are public, as for ``place_names``."""
    if len(district_code) != 6:
        return []
    return list(Division.objects.filter(level=9, prefix__startswith=district_code).order_by("prefix")
                .values_list("prefix", "name"))


def place_name(code) -> str:
    """The name of one division or grid code ("" when unknown)."""
    return place_names([code]).get(str(code or ""), "")


def grid_detail(user: User, code: str) -> dict:
    grid = grids_visible(user).select_related("community").filter(code=code).first()
    if grid is None:
        raise NotFound("grid not found")
    chain = {d.level: d for d in Division.objects.filter(
        prefix__in=_ancestors(grid.code[:12]) + [grid.community.prefix])}
    workers = account_selectors.members_at([grid.code], role_code="grid_worker")[grid.code]

    def brief(level):
        d = chain.get(level)
        return {"code": d.code, "name": d.name} if d else None

    return {
        "code": grid.code, "name": grid.name, "kind": grid.kind, "area_m2": grid.area_m2,
        "community": brief(12), "township": brief(9), "district": brief(6),
        "bbox": [grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat],
        "workers": [{"display_name": w} for w in workers],
    }


def search(user: User, q: str, *, limit: int = 20) -> list[dict]:
    q = (q or "").strip()
    if not q:
        return []
    if len(q) > 64:
        raise FieldError("q", "at most 64 characters")
    results: list[dict] = []
    if q.isdigit():
        grid_q, div_q = Q(code__startswith=q), Q(code__startswith=q) | Q(prefix__startswith=q)
    else:
        grid_q, div_q = Q(name__icontains=q), Q(name__icontains=q)
    for d in divisions_visible(user).filter(div_q).order_by("level", "code")[:limit]:
        results.append({"code": d.prefix, "name": d.name, "level": d.level,
                        "bbox": [d.min_lon, d.min_lat, d.max_lon, d.max_lat]})
    for g in grids_visible(user).filter(grid_q).order_by("code")[: max(0, limit - len(results))]:
        results.append({"code": g.code, "name": g.name, "level": 15,
                        "bbox": [g.min_lon, g.min_lat, g.max_lon, g.max_lat]})
    return results[:limit]


def jurisdiction_outline(user: User, *, capture_only: bool = False) -> str:
    """Outlines of the user's own jurisdictions (the prefixes of their memberships). With
    ``capture_only`` only those of capture-scope memberships, where the user records data (a grid
    worker's own grid, without the wider search scope)."""
    prefixes = _prefixes(user)
    if capture_only:
        prefixes = user_prefixes(user, CAPABILITY, purpose="write")
    rows: list[tuple[bytes, dict]] = []
    for d in Division.objects.filter(prefix__in=prefixes, boundary__isnull=False):
        rows.append((boundary_wkb(d.boundary), {"code": d.prefix, "name": d.name, "level": d.level}))
    for g in Grid.objects.filter(code__in=prefixes, boundary__isnull=False):
        rows.append((boundary_wkb(g.boundary), {"code": g.code, "name": g.name, "level": 15}))
    return _collection(_features(rows, 14))


def areas_outline(user: User, codes, *, zoom: int = 14, **properties) -> str:
    """Outlines of the given areas (significant division prefixes of 2-12 digits or 15-digit grid
    codes) that ``user`` may see, as a FeatureCollection; ``properties`` are added to every feature
    (e.g. ``role="campaign"``). Codes outside the user's view or without a boundary are left out."""
    codes = [str(c) for c in codes]
    grid_codes = [c for c in codes if len(c) == 15]
    prefixes = [c for c in codes if len(c) < 15]
    rows: list[tuple[bytes, dict]] = []
    if prefixes:
        for b, p, n, lv in divisions_visible(user).filter(prefix__in=prefixes, boundary__isnull=False).order_by(
                "prefix").values_list("boundary", "prefix", "name", "level"):
            rows.append((boundary_wkb(b), {"code": p, "name": n, "level": lv, **properties}))
    if grid_codes:
        for b, c, n in grids_visible(user).filter(code__in=grid_codes, boundary__isnull=False).order_by(
                "code").values_list("boundary", "code", "name"):
            rows.append((boundary_wkb(b), {"code": c, "name": n, "level": 15, **properties}))
    return _collection(_features(rows, zoom))


# --- point location -----------------------------------------------------------------------

# How long a process trusts its locator without re-reading ``geo:version`` (seconds). Within the
# process that changes the grids the cache is dropped at once (``geo_bump_version`` saves the
# SystemState row: the post_save receiver below invalidates now and again after the commit);
# every other process notices the new version within this many seconds.
VERSION_CHECK_SECONDS = 2.0
#: the database fallback reads the grids of one tile of this many degrees per query (a few points
#: of a report or a small import); beyond FALLBACK_MAX_TILES tiles, one query over the points' box
FALLBACK_TILE_DEG = 0.02
FALLBACK_MAX_TILES = 64


@dataclass
class _Cache:
    key: str | None = None  # the geo:version key the locator was loaded for
    locator: GridLocator | None = None  # None: no published file for ``key`` (database fallback)
    checked_at: float = float("-inf")  # time.monotonic() of the last geo:version read
    generation: int = 0  # bumped by every invalidation; a check started before one does not count


_cache = _Cache()
_lock = threading.Lock()


def geo_version() -> int:
    """The current ``geo:version`` number as stored (always a query; ``locator()`` rate-limits it)."""
    state = SystemState.objects.filter(key=VERSION_KEY).values_list("value", flat=True).first()
    return int(state.get("version", 0)) if state else 0


def locator_invalidate() -> None:
    """Make the next ``locator()`` call in this process re-read the grid version."""
    _names.clear()
    with _lock:
        _cache.key = None
        _cache.locator = None
        _cache.checked_at = float("-inf")
        _cache.generation += 1


def _on_system_state_saved(sender, instance, **kwargs) -> None:
    if instance.key == VERSION_KEY:
        locator_invalidate()
        # A thread may re-read the old version before the writer commits: drop it again after.
        transaction.on_commit(locator_invalidate)


post_save.connect(_on_system_state_saved, sender=SystemState, dispatch_uid="geo.locator_invalidate")


def locator() -> GridLocator | None:
    """The locator of the current grid version, memory-mapped from the file the task worker
    published (geo/locator_store.py), or None while that version has no file (callers then answer
    from the database: ``locate_codes``). Never builds the locator: a request does not pay for it.

    ``geo:version`` is read at most once per ``VERSION_CHECK_SECONDS`` per process; a change made in
    this process (``geo_bump_version``) drops the cache at once. While there is no file the check
    also looks for one once per ``VERSION_CHECK_SECONDS``."""
    now = time.monotonic()
    if now - _cache.checked_at < VERSION_CHECK_SECONDS:
        return _cache.locator
    generation = _cache.generation
    key = locator_store.version_key()
    with _lock:
        if _cache.key != key or _cache.locator is None:
            _cache.locator = locator_store.locator_load(key)
            _cache.key = key
        if _cache.generation == generation:
            _cache.checked_at = now
        return _cache.locator


def _locate_db(lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
    """Exact location without the locator: the grids whose stored box holds the points (bbox
    columns, indexed), then the covers test with the smallest-code rule (``exact_locate_index``).
    Points are grouped by tiles of FALLBACK_TILE_DEG; many tiles -> one query over their box."""
    out: list[str | None] = [None] * len(lon)
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if not len(ok):
        return out
    tx = np.floor(lon[ok] / FALLBACK_TILE_DEG).astype(np.int64)
    ty = np.floor(lat[ok] / FALLBACK_TILE_DEG).astype(np.int64)
    tiles, inverse = np.unique(np.stack([tx, ty], axis=1), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    if len(tiles) > FALLBACK_MAX_TILES:
        groups = [(ok, (lon[ok].min(), lat[ok].min(), lon[ok].max(), lat[ok].max()))]
    else:
        groups = []
        for t in range(len(tiles)):
            idx = ok[inverse == t]
            groups.append((idx, (lon[idx].min(), lat[idx].min(), lon[idx].max(), lat[idx].max())))
    for idx, (x0, y0, x1, y1) in groups:
        rows = list(Grid.objects.filter(boundary__isnull=False, min_lon__lte=x1, max_lon__gte=x0,
                                        min_lat__lte=y1, max_lat__gte=y0).values_list("code", "boundary"))
        if not rows:
            continue
        codes = [r[0] for r in rows]
        found = exact_locate_index(codes, shapely.from_wkb([boundary_wkb(r[1]) for r in rows]), lon[idx], lat[idx])
        for i, k in zip(idx.tolist(), found.tolist(), strict=True):
            if k >= 0:
                out[i] = codes[k]
    return out


def locate_codes(lon, lat) -> list[str | None]:
    """Grid code (or None) for each point. Geography only: callers apply their own scope."""
    loc = locator()
    lon = np.asarray(lon, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    if loc is None:
        return _locate_db(lon, lat)
    return list(loc.locate(lon, lat))


def locate_code(lon: float, lat: float) -> str | None:
    """Grid code (or None) for one point. Geography only: callers apply their own scope."""
    loc = locator()
    if loc is None:
        return _locate_db(np.array([float(lon)]), np.array([float(lat)]))[0]
    return loc.locate_one(lon, lat)


def locate_for_user(user: User, lon, lat) -> list[dict]:
    require_capability(user, CAPABILITY)
    in_scope = prefix_matcher(user, CAPABILITY)
    return [{"grid_code": c, "in_jurisdiction": c is not None and in_scope(c)}
            for c in locate_codes(lon, lat)]


def is_demo_data() -> bool:
    """True when the geography is the synthetic demo city (pages label it as such)."""
    return SystemState.objects.filter(key="demo:geo").exists()


def grids_export_geojson(user: User | None, *, prefix: str = "", system: bool = False) -> str:
    """GeoJSON of the grids visible to ``user`` (``system``: all grids, for the CLI; ``user`` None)."""
    if system:
        qs = Grid.objects.all()
    elif user is None:
        raise Forbidden("missing capability %(capability)s", code="missing_capability",
                        params={"capability": CAPABILITY})
    else:
        qs = grids_visible(user)
    if prefix:
        qs = qs.filter(code__startswith=prefix)
    rows = list(qs.filter(boundary__isnull=False).order_by("code")
                .values_list("code", "name", "kind", "community__code", "boundary"))
    collection = geojson.to_feature_collection(
        (c, n, k, cc, shapely.from_wkb(boundary_wkb(b)), {}) for c, n, k, cc, b in rows)
    return json.dumps(collection, ensure_ascii=False)
