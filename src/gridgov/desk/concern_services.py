"""Public-concern response: every write (issue 20 §3; docs/services.md, "舆情回应").

Deadlines run in clock hours, not working days: a rumour does not wait for Monday. The clock runs
from the moment the item is recorded to the first response (``first_response_hours``), then from
each statement to the next follow-up (``follow_up_hours``) until the closing statement stops it.
Colours as for case deadlines (cases/workcal.colour: green < 80 % of the time elapsed <= yellow
< 100 % <= red). A statement is published once and never changed: the statements are the public
record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.codes import validate_prefix
from gridgov.core.errors import Conflict, ErrorReport, FieldError, NotFound, ValidationFailed
from gridgov.core.models import AuditAction
from gridgov.core.versioning import update_versioned
from gridgov.desk.models import ConcernEvent, PublicConcern, Statement

CAPABILITY = "desk.concern"

#: which statement kinds may be published in which status, and the status after it
TRANSITIONS: dict[tuple[str, str], str] = {
    (PublicConcern.Status.OPEN, Statement.Kind.FIRST): PublicConcern.Status.RESPONDING,
    (PublicConcern.Status.OPEN, Statement.Kind.CLOSING): PublicConcern.Status.CLOSED,
    (PublicConcern.Status.RESPONDING, Statement.Kind.FOLLOW_UP): PublicConcern.Status.RESPONDING,
    (PublicConcern.Status.RESPONDING, Statement.Kind.CLOSING): PublicConcern.Status.CLOSED,
}

FIRST_RESPONSE_HOURS = (1, 72)
FOLLOW_UP_HOURS = (1, 168)


def _writable(actor: User, concern_id: int) -> PublicConcern:
    require_capability(actor, CAPABILITY)
    concern = PublicConcern.objects.filter(pk=concern_id).first()
    if concern is None or not code_in_scope(actor, concern.area_code, capability=CAPABILITY, purpose="write"):
        raise NotFound("public concern %(id)s not found", params={"id": concern_id})
    return concern


def _hours(report: ErrorReport, field: str, value, bounds: tuple[int, int]) -> int:
    try:
        hours = int(value)
    except (TypeError, ValueError):
        report.add(field, "%(value)s is not a whole number of hours", params={"value": repr(value)})
        return 0
    if not bounds[0] <= hours <= bounds[1]:
        report.add(field, "must be between %(low)s and %(high)s hours",
                              params={"low": bounds[0], "high": bounds[1]})
    return hours


@transaction.atomic
def concern_open(*, actor: User, title: str, public_text: str, source: str, area_code: str, spokesperson: User,
                 source_link: str = "", source_description: str = "", first_response_hours: int | str = 4,
                 follow_up_hours: int | str = 24, now: datetime | None = None) -> PublicConcern:
    """Record a public concern in ``area_code`` (the actor's capture scope); the first-response
    clock starts now."""
    require_capability(actor, CAPABILITY)
    report = ErrorReport()
    title, public_text = (title or "").strip(), (public_text or "").strip()
    source_link, source_description = (source_link or "").strip(), (source_description or "").strip()
    if not title:
        report.add("title", "is required", code="required")
    elif len(title) > 120:
        report.add("title", "at most %(n)s characters", params={"n": 120})
    if not public_text:
        report.add("public_text", "is required", code="required")
    if source not in PublicConcern.Source.values:
        report.add("source", "%(value)s is not a known source", params={"value": repr(source)})
    if not source_link and not source_description:
        report.add("source_link", "give a link to the public source or describe it", code="required")
    if source_link and not source_link.startswith(("http://", "https://")):
        report.add("source_link", "must start with http:// or https://")
    first = _hours(report, "first_response_hours", first_response_hours, FIRST_RESPONSE_HOURS)
    follow = _hours(report, "follow_up_hours", follow_up_hours, FOLLOW_UP_HOURS)
    try:
        area_code = validate_prefix(area_code, "area_code")
    except FieldError as exc:
        report.add_error(exc)
        area_code = ""
    if area_code and not code_in_scope(actor, area_code, capability=CAPABILITY, purpose="write"):
        report.add("area_code", "%(value)s is outside your jurisdiction", code="out_of_scope",
                   params={"value": area_code})
    elif area_code and not (spokesperson.is_active and code_in_scope(spokesperson, area_code, capability=CAPABILITY)):
        report.add("spokesperson", "must be a member of staff answering public concerns in this area")
    report.raise_if_any("the public concern was not recorded")
    now = now or timezone.now()
    due = now + timedelta(hours=first)
    concern = PublicConcern.objects.create(
        title=title, public_text=public_text, source=source, source_link=source_link,
        source_description=source_description, area_code=area_code, spokesperson=spokesperson, opened_by=actor,
        opened_at=now, first_response_hours=first, follow_up_hours=follow, clock_started_at=now,
        due_at=due)
    ConcernEvent.objects.create(concern=concern, kind=ConcernEvent.Kind.OPENED, at=now, actor=actor)
    audit_write(AuditAction.CREATE, actor=actor, object_type="public_concern", object_id=concern.pk,
                jurisdiction=area_code, changes={"title": title, "source": source, "due_at": due.isoformat()})
    return concern


@transaction.atomic
def concern_link_case(*, actor: User, concern_id: int, case_id: int) -> PublicConcern:
    """Link an event (事件) the actor can see to the concern."""
    from gridgov.cases import selectors as case_selectors

    concern = _writable(actor, concern_id)
    case = case_selectors.case_get(actor, case_id)  # NotFound outside the actor's scope
    concern.related_cases.add(case)
    ConcernEvent.objects.create(concern=concern, kind=ConcernEvent.Kind.CASE_LINKED, at=timezone.now(), actor=actor,
                                note=str(case.pk))
    audit_write(AuditAction.UPDATE, actor=actor, object_type="public_concern", object_id=concern.pk,
                jurisdiction=concern.area_code, changes={"related_case": case.pk})
    return concern


@transaction.atomic
def statement_publish(*, actor: User, concern_id: int, kind: str, text: str, version: int,
                      now: datetime | None = None) -> Statement:
    """Publish a statement (first response, follow-up or closing). The clock restarts for the next
    follow-up, or stops with the closing statement. ``version`` guards against a concurrent one."""
    concern = _writable(actor, concern_id)
    text = (text or "").strip()
    if not text:
        raise FieldError("statement", "is required", code="required")
    new_status = TRANSITIONS.get((concern.status, kind))
    if new_status is None:
        raise ValidationFailed("a %(kind)s cannot be published while the item is %(status)s", code="invalid_transition",
                               params={"kind": kind, "status": concern.status})
    now = now or timezone.now()
    due = concern.due_at
    assert due is not None  # only a closed item has no clock, and it accepts no statement
    closing = new_status == PublicConcern.Status.CLOSED
    if not update_versioned(PublicConcern, concern.pk, version, raise_conflict=False, status=new_status,
                            clock_started_at=now, due_at=None if closing else now + timedelta(hours=concern.follow_up_hours),
                            escalated_at=None, closed_at=now if closing else None, updated_at=now):
        raise Conflict("the item was changed meanwhile; reload it", code="version_conflict")
    statement = Statement.objects.create(concern=concern, kind=kind, text=text, published_at=now, published_by=actor,
                                         due_at=due, on_time=now <= due)
    ConcernEvent.objects.create(concern=concern, kind=ConcernEvent.Kind.STATEMENT, at=now, actor=actor, note=kind)
    if closing:
        ConcernEvent.objects.create(concern=concern, kind=ConcernEvent.Kind.CLOSED, at=now, actor=actor)
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="public_concern", object_id=concern.pk,
                jurisdiction=concern.area_code,
                changes={"statement": kind, "on_time": statement.on_time, "status": new_status})
    return statement


def concerns_escalate(*, now: datetime | None = None) -> list[int]:
    """Mark every item whose statement is overdue as escalated (once per deadline): it shows in the
    escalated list of the centres above (the task worker runs this every 5 minutes)."""
    now = now or timezone.now()
    done = []
    for concern in PublicConcern.objects.filter(due_at__lt=now, escalated_at__isnull=True).only("pk", "version", "area_code"):
        with transaction.atomic():
            if not update_versioned(PublicConcern, concern.pk, concern.version, raise_conflict=False,
                                    escalated_at=now, updated_at=now):
                continue
            ConcernEvent.objects.create(concern_id=concern.pk, kind=ConcernEvent.Kind.ESCALATED, at=now)
            audit_write(AuditAction.UPDATE, object_type="public_concern", object_id=concern.pk,
                        jurisdiction=concern.area_code, reason="statement overdue", changes={"escalated": True})
            done.append(concern.pk)
    return done
