"""The prevention API at /api/v1/prevention/: thin — parse, call one service or selector, render."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpResponse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from gridgov.prevention import imports, selectors, services

router = Router(tags=["prevention"])


class GridGapOut(Schema):
    rank: int
    code: str
    name: str
    gap: float
    band: str
    risk: float
    coverage: float
    reported: int
    residents: int
    warning_level: int
    patrol_hours: float
    defence_hours: float
    camera_share: float
    venues: int
    venues_inspected: int


@router.get("/gaps", response=list[GridGapOut], summary="Risk against coverage: grids ranked by gap for a week")
def gaps(request, week: date | None = None):
    return selectors.gap_table(request.user, week=week or selectors.default_week())


@router.get("/gaps.geojson", summary="The gap of every grid as GeoJSON (the map layer)")
def gaps_geojson(request, week: date | None = None):
    return HttpResponse(selectors.gap_geojson(request.user, week=week or selectors.default_week()),
                        content_type="application/geo+json")


class PatrolLogIn(Schema):
    unit_id: int
    started_at: datetime
    ended_at: datetime
    grids_visited: list[str] = []
    track: list[list[float]] = []
    note: str = ""


class PatrolLogOut(Schema):
    id: int
    unit_id: int
    started_at: datetime
    ended_at: datetime
    grids_visited: list[str]
    track_points: int

    @staticmethod
    def resolve_track_points(obj):
        return len(obj.track or [])


@router.post("/patrol-logs", response={201: PatrolLogOut}, summary="Record one patrol (grids visited or track)")
def patrol_log_create(request, payload: PatrolLogIn):
    return Status(201, services.patrol_log_create(actor=request.user, **payload.dict()))


class NetworkImportOut(Schema):
    network: str
    rows: int
    written: int
    dry_run: bool


@router.post("/import/{network}", response=NetworkImportOut,
             summary="Import a network sheet (patrol_units, defence_teams, venues, cameras): all or nothing")
def network_import(request, network: str, file: File[UploadedFile], dry_run: bool = False):
    from gridgov.core.errors import ValidationFailed

    result = imports.network_import_file(actor=request.user, network=network, filename=file.name or "",
                                         data=file.read(), dry_run=dry_run)
    if result.errors:
        raise ValidationFailed("import rejected", details=result.errors)
    return result
