"""Public-safety API (/api/v1/safety/): incidents, warnings and their workflow, the situation map
layers, trend series, the weekly briefing and the feedback-loop guard."""

from datetime import date, datetime

from django.http import HttpResponse
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gridgov.core.masking import mask_text
from gridgov.core.pagination import BoundedLimitOffsetPagination
from gridgov.safety import runs, selectors, services

router = Router(tags=["safety"])
GEOJSON = "application/geo+json"


class IncidentCategoryOut(Schema):
    code: str
    name: str
    name_en: str
    standard: bool


@router.get("/categories", response=list[IncidentCategoryOut], summary="Incident categories (治安突出问题 + local)")
def categories(request):
    return selectors.categories(request.user)


class IncidentOut(Schema):
    id: int
    ref: str
    category: str
    occurred_at: datetime
    week_start: date
    lon: float
    lat: float
    grid_code: str
    origin: str
    summary: str

    @staticmethod
    def resolve_category(obj):
        return obj.category.code

    @staticmethod
    def resolve_summary(obj):
        return mask_text(obj.summary)


class IncidentFilter(Schema):
    category: str | None = None
    origin: str | None = None
    area: str | None = Field(None, pattern=r"^\d{1,15}$")
    since: date | None = None
    until: date | None = None


@router.get("/incidents", response=list[IncidentOut])
@paginate(BoundedLimitOffsetPagination)
def incident_list(request, filters: Query[IncidentFilter]):
    return selectors.incidents(request.user, **filters.dict())


@router.get("/incidents/{int:incident_id}", response=IncidentOut)
def incident_detail(request, incident_id: int):
    return selectors.incident_detail(request.user, incident_id)


class IncidentIn(Schema):
    model_config = {"extra": "forbid"}
    category: str = Field(..., max_length=8)
    occurred_at: datetime
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    origin: str = Field(..., description="reported (by citizens or victims) or discovered (by police)")
    summary: str = Field("", max_length=200)
    ref: str = Field("", max_length=64)


@router.post("/incidents", response={201: IncidentOut}, summary="Record one incident (located to its grid)")
def incident_create(request, payload: IncidentIn):
    return Status(201, services.incident_create(actor=request.user, **payload.dict()))


class IncidentImportOut(Schema):
    created: int
    rows: int
    dry_run: bool


@router.post("/incidents/import", response=IncidentImportOut,
             summary="Import incidents from CSV or Excel (all or nothing; every bad row reported)")
def incident_import(request, file: File[UploadedFile], dry_run: bool = False):
    report = services.incidents_import_file(actor=request.user, filename=file.name or "", data=file.read(),
                                            dry_run=dry_run)
    return report.as_dict()


class AlertOut(Schema):
    id: int
    area_code: str
    area_level: int
    category: str
    category_name: str
    week_start: date
    method: str
    observed: int
    expected: float
    threshold: float
    pvalue: float
    score: float
    level: int
    level_name: str
    discovered: int
    status: str
    version: int
    responder: str
    note: str

    @staticmethod
    def resolve_category(obj):
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.name

    @staticmethod
    def resolve_level_name(obj):
        return ("none", "blue", "yellow", "orange", "red")[obj.level]

    @staticmethod
    def resolve_note(obj):
        return mask_text(obj.note)


class AlertFilter(Schema):
    status: str | None = None
    week: date | None = None
    min_level: int | None = Field(None, ge=1, le=4)
    area: str | None = Field(None, pattern=r"^\d{1,15}$")
    area_level: int | None = None
    category: str | None = None


@router.get("/warnings", response=list[AlertOut])
@paginate(BoundedLimitOffsetPagination)
def alert_list(request, filters: Query[AlertFilter]):
    return selectors.alerts(request.user, **filters.dict())


@router.get("/warnings/{int:alert_id}", response=AlertOut)
def alert_detail(request, alert_id: int):
    return selectors.alert_detail(request.user, alert_id)


class AlertTransitionIn(Schema):
    model_config = {"extra": "forbid"}
    action: str = Field(..., description="acknowledge, assign or close")
    version: int
    responder: str = Field("", max_length=100)
    note: str = Field("", max_length=2000)


@router.post("/warnings/{int:alert_id}/transition", response=AlertOut)
def alert_transition(request, alert_id: int, payload: AlertTransitionIn):
    return services.alert_transition(actor=request.user, alert_id=alert_id, **payload.dict())


class RunIn(Schema):
    model_config = {"extra": "forbid"}
    weeks: list[date] = Field(default_factory=list, max_length=12)


class SafetyRunOut(Schema):
    id: int
    state: str
    weeks: list[str]
    chunks_done: int
    chunks_total: int
    series_done: int
    series_total: int
    evaluated: int
    warnings: dict[str, int]
    hotspots: int | None
    message: str
    created_at: datetime
    finished_at: datetime | None
    url: str = Field(..., description="the run's page")
    status_url: str = Field(..., description="this body, to poll")

    @staticmethod
    def resolve_chunks_total(obj):
        return len(obj.plan)

    @staticmethod
    def resolve_url(obj):
        return reverse("safety:run", args=[obj.pk])

    @staticmethod
    def resolve_status_url(obj):
        return reverse("api:safety_run_detail", kwargs={"run_id": obj.pk})


@router.post("/run", response={202: SafetyRunOut},
             summary="Start detection for weeks (default: the last complete week) and hotspots in the task worker")
def run(request, payload: RunIn):
    """Answers 202 at once with the run's id; the task worker raises the warnings street by street,
    then the hotspots. Poll ``status_url`` (or open ``url``) for progress and the result."""
    return Status(202, runs.safety_run_start(actor=request.user, weeks=payload.weeks or None))


@router.get("/runs/{int:run_id}", response=SafetyRunOut, url_name="safety_run_detail",
            summary="A detection run: state, progress (series done / total) and result")
def run_detail(request, run_id: int):
    return selectors.safety_run_get(request.user, run_id)


@router.post("/runs/{int:run_id}/resume", response={202: SafetyRunOut},
             summary="Queue a failed detection run again (it continues after its last committed chunk)")
def run_resume(request, run_id: int):
    selectors.safety_run_get(request.user, run_id)
    return Status(202, runs.safety_run_resume(actor=request.user, run_id=run_id))


@router.get("/situation", summary="Areas coloured by this week's highest warning level (GeoJSON)")
def situation(request, week: date | None = None, level: int = Query(12)):
    week = week or selectors.default_week()
    return HttpResponse(selectors.situation_geojson(request.user, week=week, area_level=level),
                        content_type=GEOJSON)


@router.get("/hotspots", summary="Grids flagged by Gi* (GeoJSON points)")
def hotspot_layer(request, week: date | None = None):
    return HttpResponse(selectors.hotspots_geojson(request.user, week=week), content_type=GEOJSON)


class TrendOut(Schema):
    area: str
    category: str
    name: str
    weeks: list[str]
    observed: list[int]
    discovered: list[int]
    expected: list[float | None]
    threshold: list[float | None]
    level: list[int]
    method: list[str | None]
    include_discovered: bool


@router.get("/trend", response=TrendOut, summary="Weekly counts with expected and threshold bands")
def trend(request, area: str = Query(..., pattern=r"^\d{2,15}$"), category: str = Query(..., max_length=8),
          weeks: int = Query(104, ge=8, le=260), until: date | None = None):
    return selectors.trend(request.user, area=area, category=category, weeks=weeks, until=until)


class SeriesOut(Schema):
    area: str
    category: str
    reported: list[int]
    discovered: list[int]


class CountsOut(Schema):
    period: str
    level: int
    periods: list[str]
    series: list[SeriesOut]


@router.get("/counts", response=CountsOut, summary="Incident counts per area of a level, category and week or day")
def counts(request, since: date, until: date, level: int = 12, period: str = Query("week", pattern="^(week|day)$"),
           area: str = Query("", pattern=r"^\d{0,15}$"), category: str | None = None):
    return selectors.counts(request.user, area=area, level=level, since=since, until=until, period=period,
                            category=category)


class ConfigOut(Schema):
    include_discovered: bool
    cutoffs: dict


class ConfigIn(Schema):
    model_config = {"extra": "forbid"}
    include_discovered: bool
    reason: str = Field(..., min_length=1, max_length=500)


def _config_out(config: dict) -> dict:
    return {"include_discovered": config["include_discovered"],
            "cutoffs": {m: c.as_dict() for m, c in config["cutoffs"].items()}}


@router.get("/config", response=ConfigOut, summary="Feedback-loop guard and level cut-offs")
def config_get(request):
    selectors.prefixes(request.user)
    return _config_out(services.safety_config())


@router.put("/config", response=ConfigOut, summary="Switch the feedback-loop guard (administrators; audited)")
def config_set(request, payload: ConfigIn):
    return _config_out(services.safety_config_set(actor=request.user, **payload.dict()))
