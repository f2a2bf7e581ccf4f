"""Writes of the responsibility system: officials, scorecard weights, supervisory actions.

Every function is keyword-only, atomic, checks ``command.supervise`` in the actor's capture
(write) jurisdiction, and writes an audit row in its transaction.

Who may supervise whom: the supervisor sits above the supervised. An action against an area, or
an official's record, needs a write membership at a *shorter* prefix than the area (a district
centre supervises its streets, not itself); an action against a department needs the
department's jurisdiction inside the actor's write scope (so a street centre, holding
``command.supervise`` at its street, can supervise the departments serving its street only).
Weights are set by the district (a write membership covering the 6-digit district code).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability, user_prefixes
from gridgov.command import scorecard
from gridgov.command.models import (
    ResponsibleOfficial,
    ScorecardWeights,
    SupervisoryAction,
    SupervisoryEvent,
)
from gridgov.command.models.responsibility import Post
from gridgov.core.audit import audit_write
from gridgov.core.errors import ErrorReport, FieldError, NotFound
from gridgov.core.models import AuditAction
from gridgov.core.versioning import update_versioned

SUPERVISE = "command.supervise"


def _above(actor: User, area_code: str) -> bool:
    return any(area_code.startswith(p) and len(p) < len(area_code)
               for p in user_prefixes(actor, SUPERVISE, purpose="write"))


def _area(actor: User, area_code: str) -> str:
    from gridgov.geo.models import Division

    area_code = (area_code or "").strip()
    if len(area_code) not in (6, 9) or not area_code.isdigit():
        raise FieldError("area_code", "a district (6 digits) or street (9 digits) code", code="invalid")
    if not _above(actor, area_code) or not Division.objects.filter(prefix=area_code).exists():
        raise NotFound("area not found")
    return area_code


def _text(name: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise FieldError(name, "required", code="required")
    if len(value) > limit:
        raise FieldError(name, "at most %(n)s characters", params={"n": limit})
    return value


@transaction.atomic
def official_record(*, actor: User, area_code: str, post: str, person_name: str, unit: str, term_start: date,
                    term_end: date | None = None) -> ResponsibleOfficial:
    require_capability(actor, SUPERVISE)
    area_code = _area(actor, area_code)
    if post not in Post.values:
        raise FieldError("post", "expected one of %(values)s", code="choice", params={"values": ", ".join(Post.values)})
    if term_end is not None and term_end < term_start:
        raise FieldError("term_end", "the term cannot end before it starts")
    obj = ResponsibleOfficial.objects.create(area_code=area_code, post=post,
                                             person_name=_text("person_name", person_name, 64),
                                             unit=_text("unit", unit, 100), term_start=term_start, term_end=term_end,
                                             created_by=actor)
    audit_write(AuditAction.CREATE, actor=actor, object_type="command_official", object_id=obj.pk,
                jurisdiction=area_code, changes={"post": post, "person_name": obj.person_name, "unit": obj.unit,
                                                 "term_start": term_start.isoformat(),
                                                 "term_end": term_end.isoformat() if term_end else None})
    return obj


@transaction.atomic
def official_end_term(*, actor: User, official_id: int, term_end: date) -> ResponsibleOfficial:
    require_capability(actor, SUPERVISE)
    obj = ResponsibleOfficial.objects.filter(pk=official_id).first()
    if obj is None or not _above(actor, obj.area_code):
        raise NotFound("official not found")
    if term_end < obj.term_start:
        raise FieldError("term_end", "the term cannot end before it starts")
    old = obj.term_end
    obj.term_end = term_end
    obj.save(update_fields=["term_end"])
    audit_write(AuditAction.UPDATE, actor=actor, object_type="command_official", object_id=obj.pk,
                jurisdiction=obj.area_code,
                changes={"term_end": [old.isoformat() if old else None, term_end.isoformat()]})
    return obj


@transaction.atomic
def weights_set(*, actor: User, district_code: str, weights: dict, reason: str = "") -> ScorecardWeights:
    """Set a district's scorecard weights (every indicator, 0..100, at least one above 0)."""
    require_capability(actor, SUPERVISE)
    if len(district_code) != 6 or not code_in_scope(actor, district_code, capability=SUPERVISE, purpose="write"):
        raise NotFound("district not found")
    parsed, errors = scorecard.validate_weights(weights)
    if errors:
        report = ErrorReport()
        for key, why in errors:
            report.add(key, why)
        report.raise_if_any("the weights are not valid")
    row, _created = ScorecardWeights.objects.get_or_create(district_code=district_code)
    old = dict(row.weights)
    row.weights = parsed
    row.version += 1
    row.updated_by = actor
    row.updated_at = timezone.now()
    row.save()
    audit_write(AuditAction.UPDATE, actor=actor, object_type="command_weights", object_id=district_code,
                jurisdiction=district_code, reason=reason, changes={"weights": [old, parsed]})
    return row


@transaction.atomic
def supervision_issue(*, actor: User, kind: str, title: str, reason: str, deadline: date, area_code: str = "",
                      department_code: str = "", today: date | None = None) -> SupervisoryAction:
    """Issue a 通报 / 约谈 / 挂牌督办 against an area or a department."""
    from gridgov.cases.models import Department

    require_capability(actor, SUPERVISE)
    if kind not in SupervisoryAction.Kind.values:
        raise FieldError("kind", "expected one of %(values)s", code="choice",
                         params={"values": ", ".join(SupervisoryAction.Kind.values)})
    department = None
    if department_code:
        department = Department.objects.filter(code=department_code, active=True).first()
        if department is None or not code_in_scope(actor, department.jurisdiction, capability=SUPERVISE,
                                                   purpose="write"):
            raise NotFound("department not found")
        area_code = department.jurisdiction[:12]
    else:
        area_code = _area(actor, area_code)
    today = today or timezone.localdate()
    if deadline < today:
        raise FieldError("deadline", "the deadline cannot be in the past")
    obj = SupervisoryAction.objects.create(kind=kind, area_code=area_code, department=department,
                                           title=_text("title", title, 120), reason=_text("reason", reason, 4000),
                                           deadline=deadline, issued_by=actor)
    SupervisoryEvent.objects.create(action=obj, kind="issued", note=obj.reason, actor=actor)
    audit_write(AuditAction.CREATE, actor=actor, object_type="command_supervision", object_id=obj.pk,
                jurisdiction=area_code, reason=obj.reason,
                changes={"kind": kind, "title": obj.title, "deadline": deadline.isoformat(),
                         "department": department_code or None})
    return obj


def _action_for_write(actor: User, action_id: int) -> SupervisoryAction:
    obj = SupervisoryAction.objects.filter(pk=action_id).first()
    if obj is None:
        raise NotFound("supervisory action not found")
    allowed = (code_in_scope(actor, obj.area_code, capability=SUPERVISE, purpose="write")
               if obj.department_id else _above(actor, obj.area_code))
    if not allowed:
        raise NotFound("supervisory action not found")
    return obj


@transaction.atomic
def supervision_note(*, actor: User, action_id: int, note: str) -> SupervisoryEvent:
    require_capability(actor, SUPERVISE)
    obj = _action_for_write(actor, action_id)
    event = SupervisoryEvent.objects.create(action=obj, kind="note", note=_text("note", note, 4000), actor=actor)
    audit_write(AuditAction.UPDATE, actor=actor, object_type="command_supervision", object_id=obj.pk,
                jurisdiction=obj.area_code, reason=event.note, changes={"note": event.note})
    return event


@transaction.atomic
def supervision_close(*, actor: User, action_id: int, version: int, closure_note: str) -> SupervisoryAction:
    require_capability(actor, SUPERVISE)
    obj = _action_for_write(actor, action_id)
    note = _text("closure_note", closure_note, 4000)
    if obj.status == SupervisoryAction.Status.CLOSED:
        raise FieldError("status", "the action is already closed")
    now = timezone.now()
    update_versioned(SupervisoryAction, obj.pk, version, status=SupervisoryAction.Status.CLOSED, closed_at=now,
                     closure_note=note)
    SupervisoryEvent.objects.create(action=obj, kind="closed", note=note, actor=actor, at=now)
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="command_supervision", object_id=obj.pk,
                jurisdiction=obj.area_code, reason=note, changes={"status": ["open", "closed"]})
    obj.refresh_from_db()
    return obj


# The error templates raised above and in scorecard_selectors.py / command/scorecard.py, marked
# for the catalogue (core.i18n translates a raised template by looking the whole text up).
_MESSAGES = (
    gettext_noop("area not found"), gettext_noop("district not found"), gettext_noop("department not found"),
    gettext_noop("official not found"), gettext_noop("supervisory action not found"),
    gettext_noop("indicator not found"), gettext_noop("required"), gettext_noop("at most %(n)s characters"),
    gettext_noop("a district (6 digits) or street (9 digits) code"),
    gettext_noop("the term cannot end before it starts"), gettext_noop("the deadline cannot be in the past"),
    gettext_noop("the action is already closed"), gettext_noop("the weights are not valid"),
    gettext_noop("not a number"), gettext_noop("must be between 0 and 100"),
    gettext_noop("at least one weight must be above 0"), gettext_noop("%(value)s is not a month (YYYY-MM)"),
    gettext_noop("%(value)s is not a date"), gettext_noop("weights"),
)
