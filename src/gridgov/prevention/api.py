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


# ---------------------------------------------------------------------------------- the weekly plan

class PatrolPlanLineOut(Schema):
    grid_code: str
    name: str
    units: float
    proposed_units: float
    risk: float
    risk_low: float
    risk_high: float
    reported: int
    discovered: int
    patrol_hours: float
    realised_hours: float
    reasons: list[str]


class PatrolPlanOut(Schema):
    id: int
    area_code: str
    week_start: date
    status: str
    version: int
    units_total: float
    exploration: float
    floor: float
    cap: float | None
    history_weeks: int
    area_mean: float
    decided_at: datetime | None
    realised_hours_total: float
    lines: list[PatrolPlanLineOut]


class PatrolPlanAcceptIn(Schema):
    version: int
    note: str = ""


def _plan_out(request, plan) -> dict:
    from gridgov.prevention import plan_selectors
    from gridgov.prevention.plan_views import reason_text

    detail = plan_selectors.plan_detail(request.user, plan)
    lines = [{"grid_code": r["line"].grid_code, "name": r["name"], "units": r["line"].units,
              "proposed_units": r["line"].proposed_units, "risk": r["line"].risk, "risk_low": r["line"].risk_low,
              "risk_high": r["line"].risk_high, "reported": r["line"].reported, "discovered": r["line"].discovered,
              "patrol_hours": r["line"].patrol_hours, "realised_hours": r["hours"],
              "reasons": [t for t in (reason_text(x) for x in r["line"].reasons) if t]} for r in detail["rows"]]
    return {"id": plan.pk, "area_code": plan.area_code, "week_start": plan.week_start, "status": plan.status,
            "version": plan.version, "units_total": plan.units_total, "exploration": plan.exploration,
            "floor": plan.floor, "cap": plan.cap, "history_weeks": plan.history_weeks, "area_mean": plan.area_mean,
            "decided_at": plan.decided_at, "realised_hours_total": detail["total_hours"], "lines": lines}


@router.get("/plan", response=PatrolPlanOut,
            summary="The weekly patrol plan of an area (default: your area, next week) with its reasons per grid")
def plan_current(request, week: date | None = None, area: str | None = None):
    from gridgov.core.errors import NotFound
    from gridgov.prevention import plan_selectors, plan_services

    area_code = area or plan_selectors.default_area(request.user)
    week_start = plan_services.monday(week) if week else plan_services.next_week()
    plan = plan_selectors.plan_for_week(request.user, area_code=area_code, week_start=week_start)
    if plan is None:
        raise NotFound("no plan for this area and week", code="not_found")
    return _plan_out(request, plan)


@router.post("/plan/{plan_id}/accept", response=PatrolPlanOut,
             summary="Accept a proposed patrol plan (the version read with it; audited)")
def plan_accept(request, plan_id: int, payload: PatrolPlanAcceptIn):
    from gridgov.prevention import plan_selectors, plan_services

    plan_services.plan_accept(actor=request.user, plan_id=plan_id, version=payload.version, note=payload.note)
    return _plan_out(request, plan_selectors.plan_get(request.user, plan_id))
