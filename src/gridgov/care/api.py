"""The care API at /api/v1/care/: thin — parse, call one service or selector, render.

Programme endpoints are under ``/{programme}/``: without the programme's capability the answer is
403 whatever the id; outside the jurisdiction (or sealed) it is 404. Responses that can hide
fields are plain JSON objects, so a hidden field is absent rather than null.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, overload

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from gridgov.accounts import selectors as account_selectors
from gridgov.accounts import stepup
from gridgov.accounts.models import User
from gridgov.care import selectors, services
from gridgov.core.errors import FieldError
from gridgov.core.pagination import MAX_OFFSET

router = Router(tags=["care"])


class In(Schema):
    model_config = {"extra": "forbid"}


@overload
def _user(user_id: int, field: str = "worker_id") -> User: ...
@overload
def _user(user_id: int | None, field: str = "worker_id") -> User | None: ...
def _user(user_id: int | None, field: str = "worker_id") -> User | None:
    if user_id is None:
        return None
    user = account_selectors.user_active(user_id)
    if user is None:
        raise FieldError(field, "no such active user", code="unknown")
    return user


def _created(obj, **extra) -> tuple[int, dict]:
    return 201, {"id": obj.pk, **({"version": obj.version} if hasattr(obj, "version") else {}), **extra}


# --- not per programme -----------------------------------------------------------------------------------

@router.get("/codes", summary="Code tables and programme definitions (versioned data)")
def code_tables(request):
    return selectors.code_tables(request.user)


@router.get("/worklist", summary="My overdue and this week's contacts, pending hand-overs, open alerts")
def worklist(request, mine: bool = True, programme: str = ""):
    return selectors.worklist(request.user, mine=mine, programme=programme)


@router.get("/statistics", summary="Area figures for the 综治中心: caseload per programme, overdue contacts, "
                                    "脱管/漏管 alerts, pending transfers (counts only; cells < 5 suppressed)")
def area_statistics(request, area_level: int = 9):
    return selectors.area_statistics(request.user, area_level=area_level)


@router.get("/providers", summary="Service providers (no resident data)")
def provider_list(request, programme: str = ""):
    return {"items": selectors.provider_list(request.user, programme=programme)}


class ProviderIn(In):
    name: str = Field(..., max_length=128)
    kind: str = Field(..., max_length=2)
    programmes: list[str] = Field(..., max_length=6)
    grid_code: str = Field(..., pattern=r"^\d{15}$")
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=32)
    capacity: int | None = Field(None, ge=0, le=100000)


@router.post("/providers", response={201: dict})
def provider_create(request, payload: ProviderIn):
    return _created(services.provider_create(actor=request.user, **payload.dict()))


@router.get("/team-cases", summary="Cases on whose team I sit (identity hidden where the law requires)")
def team_cases(request):
    return {"items": selectors.team_cases(request.user)}


@router.get("/team-cases/{enrolment_id}")
def team_case_file(request, enrolment_id: int):
    return selectors.team_case_file(request.user, enrolment_id)


class LegalQueryIn(In):
    person_id: int
    legal_basis: str = Field(..., max_length=500)
    case_reference: str = Field(..., max_length=128)


@router.get("/legal-queries")
def legal_query_list(request):
    return {"items": selectors.legal_query_list(request.user)}


@router.post("/legal-queries", response={201: dict}, summary="Request to open a person's sealed records")
def legal_query_request(request, payload: LegalQueryIn):
    return _created(services.legal_query_request(actor=request.user, **payload.dict()))


class DecisionIn(In):
    version: int
    approve: bool
    note: str = Field("", max_length=500)
    hours: int = Field(services.DEFAULT_LEGAL_QUERY_HOURS, ge=1, le=720)


@router.post("/legal-queries/{query_id}/decision", response=dict)
def legal_query_decide(request, query_id: int, payload: DecisionIn):
    q = services.legal_query_decide(actor=request.user, query_id=query_id, **payload.dict())
    return {"id": q.pk, "status": q.status, "expires_at": q.expires_at, "version": q.version}


@router.get("/legal-queries/{query_id}/records", summary="Sealed records opened by an approved query")
def legal_query_records(request, query_id: int):
    return selectors.legal_query_records(request.user, query_id)


class InvestigationIn(In):
    person_id: int
    requesting_authority: str = Field(..., max_length=128)
    requested_on: date
    due_date: date
    worker_id: int | None = None


@router.get("/investigations", summary="Pre-sentence social investigations (审前社会调查)")
def investigation_list(request):
    return {"items": selectors.investigation_list(request.user)}


@router.post("/investigations", response={201: dict})
def investigation_create(request, payload: InvestigationIn):
    data = payload.dict()
    worker = _user(data.pop("worker_id"))
    return _created(services.investigation_create(actor=request.user, worker=worker, **data))


@router.get("/investigations/{investigation_id}")
def investigation_get(request, investigation_id: int):
    return selectors.investigation_get(request.user, investigation_id)


class AssignIn(In):
    version: int
    worker_id: int


@router.post("/investigations/{investigation_id}/assign", response=dict)
def investigation_assign(request, investigation_id: int, payload: AssignIn):
    inv = services.investigation_assign(actor=request.user, investigation_id=investigation_id,
                                        version=payload.version, worker=_user(payload.worker_id))
    return {"id": inv.pk, "status": inv.status, "version": inv.version}


class ReportIn(In):
    version: int
    report: str = Field(..., max_length=20000)
    recommendation: str


@router.post("/investigations/{investigation_id}/report", response=dict)
def investigation_submit(request, investigation_id: int, payload: ReportIn):
    inv = services.investigation_submit(actor=request.user, investigation_id=investigation_id, **payload.dict())
    return {"id": inv.pk, "status": inv.status, "version": inv.version}


# --- per programme ----------------------------------------------------------------------------------------

class ListQuery(Schema):
    status: str = "active"
    level: str = ""
    worker_id: int | None = None
    grid_code: str = Field("", max_length=15)
    limit: int = Field(50, ge=1, le=100)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/{programme}/enrolments", summary="Caseload (sealed records never listed)")
def enrolment_list(request, programme: str, filters: Query[ListQuery]):
    return selectors.enrolment_list(request.user, programme, **filters.dict())


class EnrolIn(In):
    person_id: int
    start_date: date
    level: str = Field("", max_length=2)
    fields: dict[str, Any] = Field(default_factory=dict)
    planned_end: date | None = None
    worker_id: int | None = None
    plan: str = Field("", max_length=4000)
    eligibility_override: str = Field("", max_length=500)


@router.post("/{programme}/enrolments", response={201: dict})
def enrolment_create(request, programme: str, payload: EnrolIn):
    data = payload.dict()
    worker = _user(data.pop("worker_id"))
    return _created(services.enrolment_create(actor=request.user, programme=programme, worker=worker, **data))


@router.get("/{programme}/search", summary="Search the caseload by name, document last four, phone")
def enrolment_search(request, programme: str, q: str = Query(..., max_length=64), status: str = "all",
                     limit: int = Query(50, ge=1, le=100), offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    return selectors.enrolment_search(request.user, programme, q, status=status, limit=limit, offset=offset)


@router.get("/{programme}/export.csv", summary="Export the caseload (masked; audited)")
def enrolment_export(request, programme: str, status: str = "active"):
    stepup.require_recent(request)  # resident data: the password or a code again after 15 minutes
    text = selectors.enrolment_export_csv(request.user, programme, status=status)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="care-{programme}.csv"'
    return response


@router.get("/{programme}/statistics", summary="Active caseload per area and level (cells < 5 suppressed)")
def statistics(request, programme: str, area_level: int = 9):
    return selectors.programme_statistics(request.user, programme, area_level=area_level)


@router.get("/{programme}/enrolments/{enrolment_id}", summary="Case file with timeline (audited)")
def enrolment_file(request, programme: str, enrolment_id: int):
    return selectors.enrolment_file(request.user, programme, enrolment_id)


class EnrolPatch(In):
    version: int
    fields: dict[str, Any] | None = None
    level: str | None = Field(None, max_length=2)
    plan: str | None = Field(None, max_length=4000)
    plan_goals: list[str] | None = Field(None, max_length=50)
    worker_id: int | None = None
    planned_end: date | None = None


@router.patch("/{programme}/enrolments/{enrolment_id}", response=dict)
def enrolment_update(request, programme: str, enrolment_id: int, payload: EnrolPatch):
    data = payload.dict()
    worker = _user(data.pop("worker_id"))
    e = services.enrolment_update(actor=request.user, programme=programme, enrolment_id=enrolment_id,
                                  worker=worker, **data)
    return {"id": e.pk, "version": e.version}


class CloseIn(In):
    version: int
    status: str
    closure_type: str = Field(..., max_length=2)
    note: str = Field("", max_length=2000)
    end_date: date | None = None
    absence_reason: str = Field("", max_length=500)


@router.post("/{programme}/enrolments/{enrolment_id}/close", response=dict)
def enrolment_close(request, programme: str, enrolment_id: int, payload: CloseIn):
    e = services.enrolment_close(actor=request.user, programme=programme, enrolment_id=enrolment_id,
                                 **payload.dict())
    return {"id": e.pk, "status": e.status, "version": e.version}


class TeamIn(In):
    member_type: str = Field(..., max_length=2)
    name: str = Field(..., max_length=64)
    phone: str = Field("", max_length=32)
    user_id: int | None = None


@router.post("/{programme}/enrolments/{enrolment_id}/team", response={201: dict})
def team_member_add(request, programme: str, enrolment_id: int, payload: TeamIn):
    data = payload.dict()
    user = _user(data.pop("user_id"), "user_id")
    member = services.team_member_add(actor=request.user, programme=programme, enrolment_id=enrolment_id,
                                      user=user, **data)
    return 201, {"id": member.pk}


class ContactIn(In):
    kind: str
    done_on: date
    notes: str = Field("", max_length=4000)
    contact_id: int | None = None
    version: int | None = None
    client_uuid: uuid.UUID | None = None


@router.post("/{programme}/enrolments/{enrolment_id}/contacts", response={201: dict},
             summary="Record a contact (completes the scheduled one named, else an unscheduled one)")
def contact_record(request, programme: str, enrolment_id: int, payload: ContactIn):
    c = services.contact_record(actor=request.user, programme=programme, enrolment_id=enrolment_id,
                                **payload.dict())
    return 201, {"id": c.pk, "status": c.status, "version": c.version}


class SkipIn(In):
    version: int
    reason: str = Field(..., max_length=200)


@router.post("/{programme}/contacts/{contact_id}/skip", response=dict)
def contact_skip(request, programme: str, contact_id: int, payload: SkipIn):
    c = services.contact_skip(actor=request.user, programme=programme, contact_id=contact_id, **payload.dict())
    return {"id": c.pk, "status": c.status, "version": c.version}


class ReferralIn(In):
    provider_id: int
    reason: str = Field(..., max_length=200)


@router.post("/{programme}/enrolments/{enrolment_id}/referrals", response={201: dict})
def referral_create(request, programme: str, enrolment_id: int, payload: ReferralIn):
    return _created(services.referral_create(actor=request.user, programme=programme, enrolment_id=enrolment_id,
                                             **payload.dict()))


class ReferralTransitionIn(In):
    version: int
    status: str
    outcome: str = Field("", max_length=2000)


@router.post("/{programme}/referrals/{referral_id}/transition", response=dict)
def referral_transition(request, programme: str, referral_id: int, payload: ReferralTransitionIn):
    r = services.referral_transition(actor=request.user, programme=programme, referral_id=referral_id,
                                     **payload.dict())
    return {"id": r.pk, "status": r.status, "version": r.version}


class OutcomeIn(In):
    recorded_on: date
    resettled: bool
    resettlement: str = Field("", max_length=2)
    reason_not: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)


@router.post("/{programme}/enrolments/{enrolment_id}/outcomes", response={201: dict},
             summary="Resettlement outcome (安置情况); resettlement programme only")
def resettlement_outcome(request, programme: str, enrolment_id: int, payload: OutcomeIn):
    if programme != "resettlement":
        selectors.enrolments_visible(request.user, programme)  # 403/404 first, as everywhere
        raise FieldError("programme", "outcomes are recorded for resettlement only", code="not_applicable")
    o = services.resettlement_outcome_record(actor=request.user, enrolment_id=enrolment_id, **payload.dict())
    return 201, {"id": o.pk}


class AbsenceIn(In):
    cause: str = Field(..., max_length=200)


@router.post("/{programme}/enrolments/{enrolment_id}/absence", response={201: dict}, summary="Report 脱管")
def absence_report(request, programme: str, enrolment_id: int, payload: AbsenceIn):
    return _created(services.absence_report(actor=request.user, programme=programme, enrolment_id=enrolment_id,
                                            cause=payload.cause))


class BreakGlassIn(In):
    reason: str = Field(..., max_length=500)
    minutes: int = Field(services.DEFAULT_BREAKGLASS_MINUTES, ge=1, le=services.MAX_BREAKGLASS_MINUTES)


@router.post("/{programme}/enrolments/{enrolment_id}/breakglass", response={201: dict},
             summary="Emergency access outside the jurisdiction: reason required, expires, audited")
def breakglass(request, programme: str, enrolment_id: int, payload: BreakGlassIn):
    grant = services.breakglass_open(actor=request.user, programme=programme, enrolment_id=enrolment_id,
                                     **payload.dict())
    return 201, {"id": grant.pk, "expires_at": grant.expires_at}


class SealIn(In):
    reason: str = Field(..., max_length=500)


@router.post("/{programme}/enrolments/{enrolment_id}/seal", response=dict, summary="Seal a juvenile record")
def seal(request, programme: str, enrolment_id: int, payload: SealIn):
    services.enrolment_seal(actor=request.user, programme=programme, enrolment_id=enrolment_id,
                            reason=payload.reason)
    return {"id": enrolment_id, "sealed": True}


class TaskIn(In):
    version: int
    status: str
    note: str = Field("", max_length=2000)


@router.post("/{programme}/enrolments/{enrolment_id}/tasks/{agency}", response=dict,
             summary="Joint street-children case: an agency updates its own task")
def joint_task_update(request, programme: str, enrolment_id: int, agency: str, payload: TaskIn):
    if programme != "street_children":
        selectors.enrolments_visible(request.user, programme)
        raise FieldError("programme", "joint tasks exist for street children only", code="not_applicable")
    t = services.joint_task_update(actor=request.user, enrolment_id=enrolment_id, agency=agency, **payload.dict())
    return {"id": t.pk, "status": t.status, "version": t.version}


@router.get("/{programme}/handovers", summary="Hand-overs (衔接) and their report-in deadlines")
def handover_list(request, programme: str, status: str = ""):
    return {"items": selectors.handover_list(request.user, programme, status=status)}


class HandOverIn(In):
    person_id: int
    sending_institution: str = Field(..., max_length=128)
    notified_on: date
    report_deadline: date


@router.post("/{programme}/handovers", response={201: dict})
def handover_create(request, programme: str, payload: HandOverIn):
    return _created(services.handover_create(actor=request.user, programme=programme, **payload.dict()))


class ReceiveIn(In):
    version: int
    reported_on: date
    cohesion: str = Field(..., max_length=2)
    level: str = Field("", max_length=2)
    fields: dict[str, Any] = Field(default_factory=dict)
    planned_end: date | None = None


@router.post("/{programme}/handovers/{handover_id}/receive", response={201: dict})
def handover_receive(request, programme: str, handover_id: int, payload: ReceiveIn):
    e = services.handover_receive(actor=request.user, programme=programme, handover_id=handover_id,
                                  **payload.dict())
    return 201, {"enrolment_id": e.pk}


@router.get("/{programme}/alerts", summary="漏管 / 脱管 alerts with the response taken")
def alert_list(request, programme: str, status: str = "open"):
    return {"items": selectors.alert_list(request.user, programme, status=status)}


class ResolveIn(In):
    version: int
    response: str = Field(..., max_length=2000)


@router.post("/{programme}/alerts/{alert_id}/resolve", response=dict)
def alert_resolve(request, programme: str, alert_id: int, payload: ResolveIn):
    a = services.alert_resolve(actor=request.user, programme=programme, alert_id=alert_id, **payload.dict())
    return {"id": a.pk, "status": a.status, "version": a.version}


class TransferIn(In):
    to_grid_code: str = Field(..., max_length=15)
    reason: str = Field(..., max_length=200)


@router.post("/{programme}/enrolments/{enrolment_id}/transfer", response={201: dict},
             summary="Offer the enrolment to the community the person moved to (by hand)")
def transfer_offer(request, programme: str, enrolment_id: int, payload: TransferIn):
    t = services.transfer_offer(actor=request.user, programme=programme, enrolment_id=enrolment_id, **payload.dict())
    return _created(t, deadline=t.deadline.isoformat())


class AcceptIn(In):
    version: int


@router.post("/{programme}/transfers/{transfer_id}/accept", response=dict,
             summary="The receiving community accepts a transfer (待接收 -> its caseload)")
def transfer_accept(request, programme: str, transfer_id: int, payload: AcceptIn):
    e = services.transfer_accept(actor=request.user, programme=programme, transfer_id=transfer_id,
                                 version=payload.version)
    return {"enrolment_id": e.pk, "grid_code": e.grid_code, "version": e.version}
