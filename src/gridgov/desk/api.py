"""The desk API at /api/v1/desk/: thin — parse, call one service or selector, render.
Without ``desk.intake``/``desk.migrants`` the answer is 403; outside the jurisdiction 404."""

from __future__ import annotations

from ninja import Field, Router, Schema, Status

from gridgov.desk import selectors, services

router = Router(tags=["desk"])


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _row(row: dict) -> dict:
    out = {k: v for k, v in row.items() if k not in ("timeline", "satisfaction_choices")}
    for key in ("received_at", "promised_at", "closed_at"):
        out[key] = _iso(out.get(key))
    out["kind_label"], out["route_label"] = str(out["kind_label"]), str(out["route_label"])
    out["channel_label"], out["status_label"] = str(out["channel_label"]), str(out["status_label"])
    out["satisfaction_label"], out["target_label"] = str(out["satisfaction_label"]), str(out["target_label"])
    return out


class DeskIn(Schema):
    model_config = {"extra": "forbid"}


class DeskRequestIn(DeskIn):
    channel: str = Field(..., max_length=10)
    kind: str = Field(..., max_length=16)
    text: str = Field(..., max_length=2000)
    person_id: int | None = None
    visitor_name: str = Field("", max_length=64)
    visitor_phone: str = Field("", max_length=32)
    grid_code: str = Field("", max_length=15)
    category_code: str = Field("", max_length=32)
    address: str = Field("", max_length=200)
    house_id: int | None = None
    condition: str = Field("", max_length=10)
    documents: list[str] = Field(default_factory=list, max_length=10)
    organisation_id: int | None = None
    referral_kind: str = Field("", max_length=10)
    answer: str = Field("", max_length=2000)


@router.get("/requests", summary="The desk's day: today's requests and every open one (deadline colours)")
def request_list(request):
    day = selectors.daily_list(request.user)
    return {"day": day["day"].isoformat(), "today": [_row(r) for r in day["today"]],
            "open": [_row(r) for r in day["open"]]}


@router.post("/requests", response={201: dict}, summary="Receive a request and route it in one step")
def request_receive(request, payload: DeskRequestIn):
    r = services.request_receive(actor=request.user, **payload.dict())
    return Status(201, {"id": r.pk, "receipt": r.receipt, "route": r.route, "promised_at": _iso(r.promised_at),
                 "case_id": r.case_id, "permit_application_id": r.permit_application_id,
                 "referral_id": r.referral_id, "status": r.status, "version": r.version})


@router.get("/requests/{request_id}", summary="A request with its timeline across modules (audited)")
def request_detail(request, request_id: int):
    d = selectors.request_detail(request.user, request_id)
    timeline = [{**e, "at": _iso(e["at"]), "source": str(e["source"]), "label": str(e["label"])} for e in d["timeline"]]
    return {**_row(d), "timeline": timeline}


class DeskCloseIn(DeskIn):
    version: int
    satisfaction: str = Field(..., max_length=12)
    note: str = Field("", max_length=2000)


@router.post("/requests/{request_id}/close", summary="Close with the visitor's satisfaction")
def request_close(request, request_id: int, payload: DeskCloseIn):
    r = services.request_close(actor=request.user, request_id=request_id, **payload.dict())
    return {"id": r.pk, "status": r.status, "satisfaction": r.satisfaction, "version": r.version}


@router.get("/figures", summary="The desk's figures for the command screen (counts only)")
def figures(request, area_code: str = ""):
    return selectors.desk_figures(request.user, area_code[:15])


@router.get("/reminders", summary="Residence permits expiring within 30 days, not yet renewed")
def reminders(request):
    return {"items": [{**m, "expiry_date": m["expiry_date"].isoformat()}
                      for m in selectors.renewal_reminders(request.user)]}


class PermitReviewIn(DeskIn):
    version: int
    approve: bool
    note: str = Field("", max_length=2000)
    documents: list[str] | None = Field(None, max_length=10)


@router.post("/permit-applications/{application_id}/review", summary="Review: issue (one year) or reject")
def permit_review(request, application_id: int, payload: PermitReviewIn):
    a = services.permit_review(actor=request.user, application_id=application_id, **payload.dict())
    return {"id": a.pk, "status": a.status, "permit_id": a.permit_id, "version": a.version,
            "expiry_date": _iso(a.permit.expiry_date) if a.permit else None}
