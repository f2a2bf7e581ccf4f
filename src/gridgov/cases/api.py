"""Events API under /api/v1/cases/ (thin: parse, call one service or selector, render)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gridgov.cases import exports, selectors, services, workcal
from gridgov.cases.models import Case, CaseTask
from gridgov.core.errors import FieldError
from gridgov.core.masking import mask_phone
from gridgov.core.pagination import MAX_OFFSET

router = Router(tags=["cases"])


# ----------------------------------------------------------------------------- schemas

class CaseCategoryOut(Schema):
    code: str
    name: str
    name_en: str
    parent: str | None
    parent_name: str | None
    domain: str
    urgency: str
    departments: list[str]
    stage_limits: dict
    duplicate_radius_m: int
    open311_code: str | None


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    jurisdiction: str


class CaseIn(Schema):
    model_config = {"extra": "forbid"}
    category: str = Field(..., max_length=16, description="小类 code")
    description: str = Field(..., min_length=1, max_length=4000)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    grid_code: str | None = Field(None, pattern=r"^\d{15}$")
    address: str = Field("", max_length=200)
    channel: str = Field("grid", pattern=r"^(grid|hotline|api)$")
    caller_name: str = Field("", max_length=64)
    caller_phone: str = Field("", max_length=32)
    client_uuid: UUID | None = Field(None, description="offline idempotency key")
    attributes: dict = Field(default_factory=dict)


class CaseTransitionIn(Schema):
    model_config = {"extra": "forbid"}
    action: str = Field(..., max_length=32)
    version: int | None = Field(None, ge=1, description="the version you saw; 409 if the case changed")
    note: str = Field("", max_length=2000)
    client_uuid: UUID | None = None
    lead_department: str | int | None = None
    assist_departments: list[str | int] = Field(default_factory=list)
    limit: str | None = Field(None, max_length=12, description='e.g. "3d" or "4h"')
    extra: str | None = Field(None, max_length=12, description="extension asked for")
    card: str | None = Field(None, pattern=r"^(yellow|red|)$")
    satisfaction: int | None = Field(None, ge=1, le=5)
    duplicate_of: int | None = None
    category: str | None = Field(None, max_length=16)
    public_note: str | None = Field(None, max_length=500,
                                    description="close/reject: the status note published through Open311 "
                                                "(the internal note never is)")


class NoteIn(Schema):
    model_config = {"extra": "forbid"}
    note: str = Field(..., min_length=1, max_length=2000)
    public: bool = False
    client_uuid: UUID | None = None


class TaskDoneIn(Schema):
    model_config = {"extra": "forbid"}
    result: str = Field(..., min_length=1, max_length=2000)


class TaskCancelIn(Schema):
    model_config = {"extra": "forbid"}
    reason: str = Field(..., min_length=1, max_length=2000)


# ----------------------------------------------------------------------------- rendering

def case_brief(case: Case, cal: workcal.WorkCalendar, now: datetime) -> dict:
    status = selectors.stage_status(case, cal=cal, now=now)
    return {
        "id": case.pk, "state": case.state, "version": case.version, "grid_code": case.grid_code,
        "category": {"code": case.category.code, "name": case.category.name}, "channel": case.channel,
        "description": case.description, "address": case.address, "lon": case.lon, "lat": case.lat,
        "reported_at": case.reported_at, "updated_at": case.updated_at, "stage": status.as_dict(),
        "supervision": case.supervision, "escalation_level": case.escalation_level,
        "supervising_prefix": case.supervising_prefix, "rework_count": case.rework_count,
        "extension_request": case.extension_request, "duplicate_of": case.duplicate_of_id,
        "satisfaction": case.satisfaction,
    }


def case_full(user, case: Case) -> dict:
    cal, now = selectors.work_calendar(), timezone.now()
    out = case_brief(case, cal, now)
    out.update({
        "reporter": (case.reporter.display_name or case.reporter.username) if case.reporter else "",
        "caller_name": case.caller_name, "caller_phone": mask_phone(case.caller_phone),
        "attributes": case.attributes, "public_note": case.public_note,
        "tasks": [task_dict(t) for t in selectors.case_tasks(case)],
        "events": [{"at": e.at, "actor": e.actor_name, "action": e.action, "from_state": e.from_state,
                    "to_state": e.to_state, "note": e.note, "data": e.data}
                   for e in selectors.case_timeline(user, case)],
        "attachments": [{"id": a.pk, "content_type": a.content_type, "size": a.size, "width": a.width,
                         "height": a.height, "url": f"/cases/attachments/{a.pk}/"}
                        for a in selectors.case_attachments(case)],
        "actions": selectors.allowed_actions(user, case),
    })
    return out


def task_dict(t: CaseTask) -> dict:
    return {"id": t.pk, "department": {"id": t.department_id, "code": t.department.code, "name": t.department.name},
            "role": t.role, "status": t.status, "limit": t.limit, "assigned_at": t.assigned_at,
            "deadline": t.deadline, "done_at": t.done_at, "result": t.result}


# ----------------------------------------------------------------------------- taxonomy

@router.get("/categories", response=list[CaseCategoryOut], summary="The taxonomy: 小类 with their 大类")
def categories(request):
    selectors.cases_visible(request.user)  # capability check
    return [{"code": c.code, "name": c.name, "name_en": c.name_en, "parent": c.parent.code if c.parent else None,
             "parent_name": c.parent.name if c.parent else None, "domain": c.domain, "urgency": c.urgency,
             "departments": c.departments, "stage_limits": c.stage_limits,
             "duplicate_radius_m": c.duplicate_radius_m, "open311_code": c.open311_code}
            for c in selectors.categories(leaves_only=True)]


@router.get("/departments", response=list[DepartmentOut])
def departments(request, grid_code: str | None = Query(None, pattern=r"^\d{1,15}$")):
    return list(selectors.departments_for(request.user, grid_code=grid_code))


@router.get("/duplicates", summary="Open cases of this 小类 within its duplicate radius")
def duplicates(request, category: str, lon: float = Query(..., ge=-180, le=180),
               lat: float = Query(..., ge=-90, le=90)):
    cat = selectors.category_by_code(category)
    return {"results": selectors.duplicates_near(request.user, category=cat, lon=lon, lat=lat)}


# ----------------------------------------------------------------------------- cases

@router.post("/", response={200: dict, 201: dict}, summary="Report an event (idempotent with client_uuid)")
def report(request, payload: CaseIn):
    case, created = services.case_report(
        actor=request.user, category_code=payload.category, description=payload.description, lon=payload.lon,
        lat=payload.lat, grid_code=payload.grid_code, address=payload.address, channel=payload.channel,
        caller_name=payload.caller_name, caller_phone=payload.caller_phone, client_uuid=payload.client_uuid,
        attributes=payload.attributes)
    out = case_brief(case, selectors.work_calendar(), timezone.now())
    out["possible_duplicates"] = (selectors.duplicates_near(request.user, category=case.category, lon=case.lon,
                                                            lat=case.lat, exclude=case.pk) if created else [])
    return Status(201 if created else 200, out)


@router.get("/", summary="Cases visible to the caller, by worklist and filters")
def case_list(request, worklist: str | None = None, state: str | None = None,
              grid: str | None = Query(None, max_length=15), category: str | None = Query(None, max_length=16),
              q: str | None = Query(None, max_length=64), limit: int = Query(50, ge=1, le=200),
              offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    qs = selectors.case_list(request.user, worklist=worklist, state=state, grid=grid, category=category, q=q)
    cal, now = selectors.work_calendar(), timezone.now()
    rows = list(qs[offset:offset + limit])
    return {"count": qs.count(), "items": [case_brief(c, cal, now) for c in rows]}


@router.get("/map.geojson", summary="Open cases as GeoJSON points, coloured by deadline")
def case_map(request, bbox: str | None = None):
    from gridgov.geo.selectors import parse_bbox

    return HttpResponse(json.dumps(selectors.open_cases_geojson(request.user, bbox=parse_bbox(bbox)),
                                   ensure_ascii=False, default=str), content_type="application/geo+json")


@router.get("/indicators", summary="Evaluation indicators per department, region or grid worker")
def indicator_rows(request, group: str = "department", start: date | None = None, end: date | None = None,
                   level: int = 9):
    start_dt, end_dt = _period(start, end)
    return {"group": group, "start": start_dt, "end": end_dt,
            "indicators": exports.indicator_meta(),
            "rows": selectors.scorecard(request.user, group=group, start=start_dt, end=end_dt, level=level)}


@router.get("/indicators.xlsx", summary="The same indicators as an Excel workbook")
def indicator_export(request, group: str = "department", start: date | None = None, end: date | None = None,
                     level: int = 9):
    start_dt, end_dt = _period(start, end)
    rows = selectors.scorecard(request.user, group=group, start=start_dt, end=end_dt, level=level)
    data = exports.scorecard_xlsx(rows, group=group, start=start_dt, end=end_dt, actor=request.user)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="indicators-{group}-{start_dt:%Y%m%d}.xlsx"'
    return response


def _period(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    start = start or today.replace(day=1)
    end = end or today
    if end < start:
        raise FieldError("end", "must not be before start")
    return (datetime.combine(start, time.min, tz), datetime.combine(end + timedelta(days=1), time.min, tz))


@router.get("/{int:case_id}")
def case_detail(request, case_id: int):
    return case_full(request.user, selectors.case_get(request.user, case_id))


@router.post("/{int:case_id}/transitions", summary="Apply a workflow action (409 if not allowed or stale)")
def transition(request, case_id: int, payload: CaseTransitionIn):
    params = payload.dict(exclude={"action", "version", "note", "client_uuid"})
    case = services.case_transition(actor=request.user, case_id=case_id, action=payload.action,
                                    version=payload.version, note=payload.note, params=params,
                                    client_uuid=payload.client_uuid)
    return case_full(request.user, case)


@router.post("/{int:case_id}/notes", response={201: dict})
def note_add(request, case_id: int, payload: NoteIn):
    event = services.case_note_add(actor=request.user, case_id=case_id, note=payload.note, public=payload.public,
                                   client_uuid=payload.client_uuid)
    return Status(201, {"id": event.pk, "at": event.at, "note": event.note})


@router.post("/{int:case_id}/tasks/{int:task_id}/done")
def task_done(request, case_id: int, task_id: int, payload: TaskDoneIn):
    task = services.task_complete(actor=request.user, case_id=case_id, task_id=task_id, result=payload.result)
    return task_dict(task)


@router.post("/{int:case_id}/tasks/{int:task_id}/cancel", summary="Take an assisting department off the case")
def task_cancel(request, case_id: int, task_id: int, payload: TaskCancelIn):
    task = services.task_cancel(actor=request.user, case_id=case_id, task_id=task_id, reason=payload.reason)
    return task_dict(task)


@router.post("/{int:case_id}/attachments", response={201: dict}, summary="Upload a photo (JPEG/PNG/WebP, 10 MB)")
def attachment_add(request, case_id: int, file: File[UploadedFile]):
    if file.size and file.size > services.MAX_UPLOAD:
        raise FieldError("file", "at most 10 MB", code="too_large")
    data = io.BytesIO()
    for chunk in file.chunks():
        data.write(chunk)
        if data.tell() > services.MAX_UPLOAD:
            raise FieldError("file", "at most 10 MB", code="too_large")
    att = services.attachment_add(actor=request.user, case_id=case_id, data=data.getvalue())
    return Status(201, {"id": att.pk, "content_type": att.content_type, "size": att.size,
                        "url": f"/cases/attachments/{att.pk}/"})
