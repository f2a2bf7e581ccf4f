"""The quality API at /api/v1/quality/: thin — parse, call one service or selector, render.

Campaigns and estimates: ``quality.view`` or ``quality.design`` (403 without), outside the area 404.
Worklist and visits: ``quality.visit`` in the house's grid.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ninja import Router, Schema, Status

from gridgov.core.errors import FieldError
from gridgov.quality import selectors, visit_services
from gridgov.quality.estimate import LEVEL_DIGITS

router = Router(tags=["quality"])


class QualityIn(Schema):
    model_config = {"extra": "forbid"}


class VerificationVisitIn(QualityIn):
    outcome: str
    persons: list[dict[str, Any]] = []
    visited_on: date | None = None
    notes: str = ""
    client_uuid: str | None = None


class CorrectionDecisionIn(QualityIn):
    approve: bool
    reason: str = ""


@router.get("/campaigns", summary="Verification campaigns of my area, with their progress")
def campaigns(request):
    rows = selectors.campaign_rows(request.user)
    for r in rows:
        r["period_start"], r["period_end"] = r["period_start"].isoformat(), r["period_end"].isoformat()
    return rows


@router.get("/campaigns/{campaign_id}/estimates",
            summary="Registration and accuracy rates from the stored visits: estimate, 95% interval, label")
def estimates(request, campaign_id: int, level: str | None = None):
    if level is not None and level not in LEVEL_DIGITS:
        raise FieldError("level", "%(value)s is not one of %(values)s", code="choice",
                         params={"value": repr(level), "values": ", ".join(LEVEL_DIGITS)})
    e = selectors.campaign_estimates(request.user, campaign_id, level=level)
    return {"campaign_id": campaign_id, "rows": e["rows"], "outcomes": e["outcomes"],
            "nonresponse": e["nonresponse"], "notes": e["notes"]}


@router.get("/worklist", summary="My sampled houses to visit")
def worklist(request):
    rows = selectors.worklist(request.user)
    for r in rows:
        r["period_end"] = r["period_end"].isoformat()
    return rows


@router.post("/visits/{sampled_house_id}", response={201: dict}, summary="Record the visit of a sampled house")
def visit_record(request, sampled_house_id: int, payload: VerificationVisitIn):
    v = visit_services.visit_record(actor=request.user, sampled_house_id=sampled_house_id, outcome=payload.outcome,
                                    persons=payload.persons, visited_on=payload.visited_on, notes=payload.notes,
                                    client_uuid=payload.client_uuid)
    return Status(201, {"id": v.pk, "outcome": v.outcome, "persons_found": v.persons_found,
                        "persons_registered": v.persons_registered, "records_checked": v.records_checked,
                        "records_accurate": v.records_accurate})


@router.post("/corrections/{proposal_id}/decision", summary="Approve (applied to the register) or reject")
def correction_decide(request, proposal_id: int, payload: CorrectionDecisionIn):
    p = visit_services.correction_decide(actor=request.user, proposal_id=proposal_id, approve=payload.approve,
                                         reason=payload.reason)
    return {"id": p.pk, "status": p.status}
