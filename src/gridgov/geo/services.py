"""Every write of geography: bulk loads (demo, import) and the grid import with its report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import transaction

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.codes import level_of, parent_prefix, significant
from gridgov.core.errors import ErrorDetail, Forbidden, GridgovError, ValidationFailed
from gridgov.core.models import AuditAction, SystemState
from gridgov.geo import geojson
from gridgov.geo.models import Division, Grid, boundary_wkb
from gridgov.geo.selectors import VERSION_KEY

BATCH = 2000
# Slivers below this (m²) are tolerated as overlaps or gaps: rounding coordinates to 7 decimals
# (~1 cm) moves T-junction vertices off their edges and leaves slivers of a few m² along 500 m
# edges. 10 m² is 0.006 % of an average demo grid.
SLIVER_M2 = 10.0
Progress = Callable[[str, int, int], None]


def geo_bump_version(*, enqueue: bool = True) -> None:
    """Tell every process's locator cache that the grids changed: a new version number and token
    (geo/locator_store.py names the locator's files by both). After the commit the task worker is
    asked to build the new version's locator file (``enqueue``); until it is published, point
    location answers from the database."""
    from gridgov.geo.locator_store import new_token

    with transaction.atomic():
        SystemState.objects.get_or_create(key=VERSION_KEY, defaults={"value": {"version": 0}})
        state = SystemState.objects.select_for_update().get(key=VERSION_KEY)
        state.value = {"version": int(state.value.get("version", 0)) + 1, "token": new_token()}
        state.save(update_fields=["value", "updated_at"])
        if enqueue:
            transaction.on_commit(_enqueue_locator_build)


def _enqueue_locator_build() -> None:
    from gridgov.geo.tasks import locator_build

    locator_build.enqueue()


def _geometry_columns(geoms: Sequence) -> list[dict]:
    """WKB, bbox and equal-area m² for each geometry (vectorised)."""
    arr = np.asarray(list(geoms), dtype=object)
    bounds = shapely.bounds(arr)
    areas = geojson.areas_m2(arr)
    wkbs = shapely.to_wkb(arr)
    return [{"boundary": wkbs[i], "min_lon": float(bounds[i, 0]), "min_lat": float(bounds[i, 1]),
             "max_lon": float(bounds[i, 2]), "max_lat": float(bounds[i, 3]), "area_m2": float(areas[i])}
            for i in range(len(arr))]


@dataclass
class DivisionRow:
    code12: str
    name: str
    geometry: object | None = None


@dataclass
class GridRow:
    code15: str
    name: str
    community_code12: str
    geometry: object
    kind: str = Grid.Kind.UNIT


@transaction.atomic
def divisions_upsert(*, rows: Sequence[DivisionRow], progress: Progress | None = None) -> tuple[int, int]:
    """Create or update divisions (parents before children). Returns (created, updated)."""
    rows = sorted(rows, key=lambda r: (len(significant(r.code12)), r.code12))
    existing = {d.code: d for d in Division.objects.filter(code__in=[r.code12 for r in rows])}
    geoms = [r.geometry for r in rows]
    cols = _geometry_columns([g for g in geoms if g is not None])
    col_iter = iter(cols)
    by_prefix: dict[str, Division] = {d.prefix: d for d in existing.values()}
    created = updated = 0
    for i, row in enumerate(rows):
        prefix = significant(row.code12)
        parent_p = parent_prefix(prefix)
        parent = by_prefix.get(parent_p) if parent_p else None
        if parent is None and parent_p:
            parent = Division.objects.filter(prefix=parent_p).first()
        values = {"name": row.name, "prefix": prefix, "level": int(level_of(prefix)), "parent": parent}
        values.update(next(col_iter) if row.geometry is not None else {})
        obj = existing.get(row.code12)
        if obj is None:
            obj = Division.objects.create(code=row.code12, **values)
            created += 1
        else:
            for k, v in values.items():
                setattr(obj, k, v)
            obj.save()
            updated += 1
        by_prefix[prefix] = obj
        if progress:
            progress("divisions", i + 1, len(rows))
    return created, updated


@transaction.atomic
def grids_upsert(*, rows: Sequence[GridRow], progress: Progress | None = None) -> tuple[int, int]:
    """Create or update grids in batches. Communities must exist. Returns (created, updated)."""
    communities = dict(Division.objects.filter(level=Division.Level.COMMUNITY,
                                               code__in={r.community_code12 for r in rows})
                       .values_list("code", "id"))
    existing = dict(Grid.objects.filter(code__in=[r.code15 for r in rows]).values_list("code", "id"))
    created = updated = 0
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        cols = _geometry_columns([r.geometry for r in chunk])
        new, old = [], []
        for row, col in zip(chunk, cols, strict=True):
            obj = Grid(code=row.code15, name=row.name, kind=row.kind,
                       community_id=communities[row.community_code12], **col)
            if row.code15 in existing:
                obj.pk = existing[row.code15]
                old.append(obj)
            else:
                new.append(obj)
        Grid.objects.bulk_create(new)
        if old:
            Grid.objects.bulk_update(old, ["name", "kind", "community", "boundary", "min_lon", "min_lat",
                                           "max_lon", "max_lat", "area_m2"])
        created += len(new)
        updated += len(old)
        if progress:
            progress("grids", min(start + BATCH, len(rows)), len(rows))
    geo_bump_version()
    return created, updated


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    divisions_created: int = 0
    divisions_updated: int = 0
    repairs: list[ErrorDetail] = field(default_factory=list)
    problems: list[ErrorDetail] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated,
                "divisions_created": self.divisions_created, "divisions_updated": self.divisions_updated,
                "dry_run": self.dry_run,
                "repairs": [d.as_dict() for d in self.repairs],
                "problems": [d.as_dict() for d in self.problems]}


def _check_against_stored(result: geojson.ValidationResult) -> list[ErrorDetail]:
    """The file's grids against stored grids of the same area (overlap_existing) and against the
    stored boundary of their community when the file does not give it (outside_community)."""
    grids = [g for g in result.grids if g.geometry is not None]
    if not grids:
        return []
    bounds = shapely.bounds(np.array([g.geometry for g in grids], dtype=object))
    if not np.isfinite(bounds).all():
        return []  # reported as bad_coordinates
    lo_x, lo_y = float(bounds[:, 0].min()), float(bounds[:, 1].min())
    hi_x, hi_y = float(bounds[:, 2].max()), float(bounds[:, 3].max())
    in_file = {g.code for g in grids}
    stored = [geojson.StoredGrid(code, name, kind, shapely.from_wkb(boundary_wkb(wkb)))
              for code, name, kind, wkb in Grid.objects.filter(
                  boundary__isnull=False, min_lon__lte=hi_x, max_lon__gte=lo_x, min_lat__lte=hi_y, max_lat__gte=lo_y)
              .exclude(code__in=in_file).values_list("code", "name", "kind", "boundary")]
    from_file = {d.code12 for d in result.divisions if d.geometry is not None}
    communities = {code: shapely.from_wkb(boundary_wkb(wkb)) for code, wkb in Division.objects.filter(
        level=Division.Level.COMMUNITY, boundary__isnull=False,
        code__in={g.community_code for g in grids} - from_file).values_list("code", "boundary")}
    return geojson.check_against_stored(grids, stored_grids=stored, community_boundaries=communities,
                                        tolerance_m2=SLIVER_M2)


def grids_import(*, data: dict, actor: User | None = None, repair: bool = False, dry_run: bool = False,
                 progress: Progress | None = None) -> ImportReport:
    """Validate a GeoJSON FeatureCollection and write it all, or nothing.

    Every problem is reported with its feature index (0-based) and code; with any problem nothing
    is written and ``ValidationFailed`` carries them all. ``repair`` applies make_valid, ring
    orientation and ring closing fixes and lists what it changed. ``actor`` None means the system
    (CLI). Besides the file's own checks (geojson.validate_collection), a grid may not overlap a
    stored grid of its kind that the file does not replace (``overlap_existing``) nor lie outside
    its community's stored boundary (``outside_community``). A document nested deeper than
    ``geojson.MAX_DEPTH`` is refused first (400 ``too_deep``).
    """
    if actor is not None:
        require_capability(actor, "geo.manage")
    if geojson.nested_deeper_than(data):
        raise GridgovError("the GeoJSON document is nested deeper than %(n)s levels", code="too_deep",
                           params={"n": geojson.MAX_DEPTH})
    known = set(Division.objects.values_list("code", flat=True))
    result = geojson.validate_collection(data, known_division_codes=known, repair=repair,
                                         existing_grid_codes=set(Grid.objects.values_list("code", flat=True)),
                                         overlap_tolerance_m2=SLIVER_M2, gap_tolerance_m2=SLIVER_M2)
    stored_problems = _check_against_stored(result)
    if stored_problems:
        order = {id(p): n for n, p in enumerate([*result.problems, *stored_problems])}
        result.problems = sorted([*result.problems, *stored_problems],
                                 key=lambda p: (p.row is None, p.row or 0, order[id(p)]))
    report = ImportReport(repairs=list(result.repairs), problems=list(result.problems), dry_run=dry_run)
    if actor is not None:
        for code in [*(d.code12 for d in result.divisions), *(g.code for g in result.grids)]:
            if not code_in_scope(actor, significant(code) if len(code) == 12 else code,
                                 capability="geo.manage", purpose="write"):
                raise Forbidden("feature %(code)s: outside your capture scope for geo.manage", params={"code": code})
    if result.problems:
        raise ValidationFailed("%(n)s problem(s) in the GeoJSON; nothing was written",
                               details=result.problems, params={"n": len(result.problems)})
    if dry_run:
        report.created = sum(1 for g in result.grids if g.code not in result.updates)
        report.updated = len(result.grids) - report.created
        return report
    with transaction.atomic():
        if result.divisions:
            report.divisions_created, report.divisions_updated = divisions_upsert(
                rows=[DivisionRow(d.code12, d.name, d.geometry) for d in result.divisions], progress=progress)
        report.created, report.updated = grids_upsert(
            rows=[GridRow(g.code, g.name, g.community_code, g.geometry, g.kind) for g in result.grids],
            progress=progress)
        audit_write(AuditAction.IMPORT, actor=actor, object_type="grid", object_id=f"{len(result.grids)} features",
                    changes={"created": report.created, "updated": report.updated,
                             "divisions_created": report.divisions_created,
                             "repairs": len(report.repairs)})
    return report

