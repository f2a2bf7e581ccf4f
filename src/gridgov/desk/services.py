"""Every write of the desk: receive a request and route it in one step (a case through
``cases.services``, a residence registration or permit application, a service referral, or an
answer on the spot), escalate overdue requests, close with the visitor's satisfaction; the
residence-permit lifecycle (apply with documents checked, review, issue through
``registry.services.permit_issue``, renewal, reminders, lapse), residence registration (人户分离),
service referrals and social-work projects. Keyword-only, atomic, audited."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, has_capability, require_capability
from gridgov.cases import selectors as case_selectors
from gridgov.cases import services as case_services
from gridgov.cases import workflow
from gridgov.cases.models import Case
from gridgov.core.audit import audit_write
from gridgov.core.errors import Conflict, FieldError, Forbidden, NotFound
from gridgov.core.models import AuditAction
from gridgov.core.versioning import update_versioned
from gridgov.desk.models import (
    PERMIT_DOCUMENTS,
    DeskEvent,
    DeskRequest,
    OutputRecord,
    PermitApplication,
    PermitReminder,
    ProjectOutput,
    ResidenceRegistration,
    ServiceReferral,
    SocialWorkProject,
    Visitor,
)
from gridgov.registry import codes as registry_codes
from gridgov.registry import selectors as registry_selectors
from gridgov.registry import services as registry_services
from gridgov.registry.models import Organisation, ResidencePermit

INTAKE = "desk.intake"
MIGRANTS = "desk.migrants"

#: promised completion per kind, in working time on the cases' calendar (cases/workcal.py)
LIMITS: dict[str, str] = {"problem": "5d", "residence": "3d", "permit": "10d", "permit_renewal": "10d",
                          "service": "5d", "question": "0h"}
ROUTES: dict[str, str] = {"problem": "case", "residence": "registration", "permit": "permit",
                          "permit_renewal": "permit", "service": "referral", "question": "answered"}
RENEWAL_WINDOW_DAYS = 30
_PHONE = re.compile(r"^[0-9+\- ]{5,20}$")


def _text(field: str, value: Any, *, limit: int = 2000, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise FieldError(field, "is required", code="required")
    if len(text) > limit:
        raise FieldError(field, "at most %(n)s characters", params={"n": limit})
    return text


def _choice(field: str, value: str, allowed) -> str:
    if value not in allowed:
        raise FieldError(field, "one of %(values)s", params={"values": ", ".join(allowed)})
    return value


def _event(request: DeskRequest, action: str, *, actor: User | None, at: datetime, note: str = "",
           **data: Any) -> None:
    DeskEvent.objects.create(request=request, at=at, actor=actor if getattr(actor, "pk", None) else None,
                             action=action, note=note, data=data)


def _audit(action, actor: User | None, object_type: str, obj, changes: dict | None = None) -> None:
    audit_write(action, actor=actor, object_type=object_type, object_id=obj.pk, jurisdiction=obj.grid_code,
                changes=changes or {})


def _person(actor: User | None, person_id) -> Any:
    """A register person the actor may see (outside the jurisdiction: 404)."""
    try:
        pid = int(person_id)
    except (TypeError, ValueError):
        raise FieldError("person_id", "not a number") from None
    if actor is None:
        from gridgov.registry.models import Person
        person = Person.objects.filter(pk=pid).first()
        if person is None:
            raise NotFound("person not found")
        return person
    return registry_selectors.person_get(actor, pid)


def _require_write(actor: User | None, capability: str, grid_code: str) -> None:
    if actor is None:
        return
    require_capability(actor, capability)
    if not code_in_scope(actor, grid_code, capability=capability, purpose="write"):
        raise Forbidden("grid %(grid)s is outside your jurisdiction", code="out_of_jurisdiction",
                        params={"grid": grid_code})


def _local_day(at: datetime) -> date:
    return timezone.localtime(at, case_selectors.work_calendar().tz).date()


def _receipt(at: datetime) -> str:
    """受理回执号: SL + local date + a four-digit sequence of that day (SL202612040007)."""
    prefix = "SL" + _local_day(at).strftime("%Y%m%d")
    last = (DeskRequest.objects.filter(receipt__startswith=prefix).order_by("-receipt")
            .values_list("receipt", flat=True).first())
    seq = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


# ------------------------------------------------------------------ the one-stop desk

@transaction.atomic
def request_receive(*, actor: User | None, channel: str, kind: str, text: str, person_id: int | None = None,
                    visitor_name: str = "", visitor_phone: str = "", grid_code: str = "",
                    category_code: str = "", address: str = "", house_id: int | None = None,
                    condition: str = "", documents: list[str] | None = None, organisation_id: int | None = None,
                    referral_kind: str = "", answer: str = "", now: datetime | None = None) -> DeskRequest:
    """Receive a request and route it in one step. The visitor is a register person (``person_id``,
    found by the scoped, audited search) or a new visitor (name and phone only, at ``grid_code``).
    Returns the request with its receipt number and promised completion on the working calendar."""
    if actor is not None:
        require_capability(actor, INTAKE)
    now = now or timezone.now()
    channel = _choice("channel", channel, DeskRequest.Channel.values)
    kind = _choice("kind", kind, DeskRequest.Kind.values)
    text = _text("text", text)
    person = _person(actor, person_id) if person_id not in (None, "") else None
    visitor = None
    if person is None:
        name = _text("visitor_name", visitor_name, limit=64)
        phone = _text("visitor_phone", visitor_phone, limit=32, required=channel == DeskRequest.Channel.PHONE)
        if phone and not _PHONE.match(phone):
            raise FieldError("visitor_phone", "digits, spaces, + and - only")
        if not grid_code:
            raise FieldError("grid_code", "give the grid where the visitor lives or the matter is",
                             code="required")
        if not case_selectors.grid_exists(grid_code):
            raise FieldError("grid_code", "grid %(grid)s does not exist", code="unknown_grid",
                             params={"grid": grid_code})
        if ROUTES[kind] in ("registration", "permit", "referral"):
            raise FieldError("person_id", "this request needs a resident of the register; register the visitor "
                             "first", code="required")
        place = grid_code
    else:
        place = grid_code or person.grid_code
    _require_write(actor, INTAKE, place)
    if person is None:
        visitor = Visitor.objects.create(name=name, phone=phone, grid_code=place)
    cal = case_selectors.work_calendar()
    limit = LIMITS[kind]
    request = DeskRequest(receipt=_receipt(now), person=person, visitor=visitor, grid_code=place, channel=channel,
                          kind=kind, text=text, route=ROUTES[kind], received_at=now, limit=limit,
                          promised_at=cal.deadline(now, limit) if limit != "0h" else now,
                          officer=actor if getattr(actor, "pk", None) else None)
    route = request.route
    resident_id = person.pk if person is not None else 0  # the routes below that use it need a person
    if route == "case":
        caller_name = person.name if person else visitor.name  # type: ignore[union-attr]
        caller_phone = person.phone if person else visitor.phone  # type: ignore[union-attr]
        case, _ = case_services.case_report(
            actor=actor, category_code=_text("category_code", category_code, limit=32), description=text,
            grid_code=place, address=address, caller_name=caller_name, caller_phone=caller_phone,
            channel=Case.Channel.HOTLINE if channel == DeskRequest.Channel.PHONE and caller_phone else Case.Channel.API,
            now=now, system=actor is None)
        request.case = case
    elif route == "registration":
        if house_id in (None, ""):
            raise FieldError("house_id", "is required", code="required")
        request.registration = residence_register(actor=actor, person_id=resident_id, house_id=int(house_id),
                                                  registered_on=_local_day(now))
        request.status = DeskRequest.Status.OPEN
    elif route == "permit":
        request.permit_application = permit_apply(
            actor=actor, person_id=resident_id, renewal=kind == "permit_renewal", condition=condition,
            documents=documents or [], today=_local_day(now))
    elif route == "referral":
        request.referral = referral_create(actor=actor, person_id=resident_id, organisation_id=organisation_id,
                                           kind=referral_kind, reason=text, today=_local_day(now))
    else:
        request.answer = _text("answer", answer)
        request.status = DeskRequest.Status.CLOSED
        request.closed_at = now
    request.save(force_insert=True)
    _event(request, "received", actor=actor, at=now, channel=channel, kind=kind)
    target = request.case_id or request.permit_application_id or request.registration_id or request.referral_id
    _event(request, "routed", actor=actor, at=now, route=route, target=target)
    if route == "answered":
        _event(request, "closed", actor=actor, at=now, note=request.answer)
    _audit(AuditAction.CREATE, actor, "desk.request", request,
           {"receipt": request.receipt, "kind": kind, "route": route, "target": target,
            "person": getattr(person, "pk", None), "visitor_phone": visitor.phone if visitor else ""})
    return request


def target_state(request: DeskRequest) -> tuple[str, bool]:
    """(state code of the routed target, whether the target's work is done)."""
    if request.route == "case" and request.case is not None:
        return request.case.state, request.case.state in workflow.FINAL_STATES
    if request.route == "permit" and request.permit_application is not None:
        status = request.permit_application.status
        return status, status != PermitApplication.Status.SUBMITTED
    if request.route == "referral" and request.referral is not None:
        status = request.referral.status
        return status, status in (ServiceReferral.Status.COMPLETED, ServiceReferral.Status.DECLINED)
    if request.route == "registration":
        return "registered", True
    return "answered", True


@transaction.atomic
def request_close(*, actor: User | None, request_id: int, version: int, satisfaction: str, note: str = "",
                  now: datetime | None = None) -> DeskRequest:
    """Close a request once its routed work is done, recording the visitor's satisfaction
    (asked at closure; ``declined`` when the visitor does not answer)."""
    request = _request_for_write(actor, request_id)
    if request.status == DeskRequest.Status.CLOSED:
        raise Conflict("the request is closed already", code="closed")
    _, done = target_state(request)
    if not done:
        raise Conflict("the routed work is not finished yet", code="not_finished")
    satisfaction = _choice("satisfaction", satisfaction,
                           [s for s in DeskRequest.Satisfaction.values if s])
    now = now or timezone.now()
    update_versioned(DeskRequest, request.pk, version, status=DeskRequest.Status.CLOSED, closed_at=now,
                     satisfaction=satisfaction)
    request.refresh_from_db()
    _event(request, "closed", actor=actor, at=now, note=_text("note", note, required=False),
           satisfaction=satisfaction)
    _audit(AuditAction.TRANSITION, actor, "desk.request", request, {"status": "closed", "satisfaction": satisfaction})
    return request


def _request_for_write(actor: User | None, request_id: int) -> DeskRequest:
    if actor is not None:
        require_capability(actor, INTAKE)
    request = (DeskRequest.objects.filter(pk=request_id)
               .select_related("case", "permit_application", "referral").first())
    if request is None or (actor is not None and not code_in_scope(actor, request.grid_code, capability=INTAKE,
                                                                   purpose="write")):
        raise NotFound("request not found")
    return request


@transaction.atomic
def requests_escalate(*, now: datetime | None = None) -> int:
    """The worker's job: an open request past its promised completion is escalated once (an event
    on its timeline and an audit row); the lists show it red. Returns how many."""
    now = now or timezone.now()
    count = 0
    for request in DeskRequest.objects.filter(status=DeskRequest.Status.OPEN, escalated_at__isnull=True,
                                              promised_at__lte=now):
        if DeskRequest.objects.filter(pk=request.pk, escalated_at__isnull=True).update(escalated_at=now):
            _event(request, "escalated", actor=None, at=now, promised_at=request.promised_at.isoformat())
            _audit(AuditAction.UPDATE, None, "desk.request", request, {"escalated": True})
            count += 1
    return count


# ------------------------------------------------------------------ residence permits

def _documents(documents) -> dict[str, bool]:
    given = set(documents or [])
    unknown = given - set(PERMIT_DOCUMENTS)
    if unknown:
        raise FieldError("documents", "unknown document %(code)s", params={"code": sorted(unknown)[0]})
    return {code: code in given for code in PERMIT_DOCUMENTS}


def _add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@transaction.atomic
def permit_apply(*, actor: User | None, person_id: int, renewal: bool, condition: str = "",
                 documents: list[str] | None = None, today: date | None = None) -> PermitApplication:
    """A first application or a renewal (the last permit expires within 30 days or has lapsed).
    The documents brought are checked off; review refuses to issue while one is missing."""
    today = today or timezone.localdate()
    person = _person(actor, person_id)
    _require_write(actor, INTAKE if actor is not None and has_capability(actor, INTAKE) else MIGRANTS,
                   person.grid_code)
    if person.population_type != registry_codes.POP_FLOATING:
        raise FieldError("person_id", "a residence permit is for residents from elsewhere (population type 02)",
                         code="not_eligible")
    if PermitApplication.objects.filter(person=person, status=PermitApplication.Status.SUBMITTED).exists():
        raise Conflict("the resident has an application under review", code="duplicate")
    last = ResidencePermit.objects.filter(person=person).order_by("-expiry_date", "-id").first()
    previous = None
    if renewal:
        if last is None:
            raise FieldError("kind", "no permit to renew: make a first application", code="no_permit")
        if last.status == ResidencePermit.Status.VALID and last.expiry_date > today + timedelta(days=RENEWAL_WINDOW_DAYS):
            raise FieldError("kind", "renewal opens 30 days before expiry (%(date)s)", code="too_early",
                             params={"date": last.expiry_date.isoformat()})
        previous = last
        condition = condition or last.condition
    elif last is not None and last.status == ResidencePermit.Status.VALID:
        raise FieldError("kind", "the resident holds a valid permit: apply for a renewal", code="has_permit")
    if condition not in registry_codes.PERMIT_CONDITION:
        raise FieldError("condition", "one of %(values)s", params={"values": ", ".join(registry_codes.PERMIT_CONDITION)})
    app = PermitApplication.objects.create(
        person=person, grid_code=person.grid_code, previous=previous, condition=condition,
        kind=PermitApplication.Kind.RENEWAL if renewal else PermitApplication.Kind.NEW,
        documents=_documents(documents), submitted_on=today)
    _audit(AuditAction.CREATE, actor, "desk.permit_application", app,
           {"person": person.pk, "kind": app.kind, "documents": app.documents})
    return app


@transaction.atomic
def permit_review(*, actor: User | None, application_id: int, version: int, approve: bool, note: str = "",
                  documents: list[str] | None = None, today: date | None = None) -> PermitApplication:
    """Review (desk.migrants): approve -> the permit is issued through the register, valid one year
    (a renewal: one year from the old expiry when it is still valid, and the old permit ends);
    reject -> a reason is required."""
    today = today or timezone.localdate()
    app = PermitApplication.objects.filter(pk=application_id).select_related("previous").first()
    if app is None or (actor is not None and not code_in_scope(actor, app.grid_code, capability=MIGRANTS)):
        raise NotFound("application not found")
    _require_write(actor, MIGRANTS, app.grid_code)
    if app.status != PermitApplication.Status.SUBMITTED:
        raise Conflict("cannot go from “%(old)s” to “%(new)s”",
                       params={"old": pgettext_lazy("permit application status", app.status),
                               "new": pgettext_lazy("permit application status", "issued" if approve else "rejected")})
    checked = _documents(documents) if documents is not None else dict(app.documents)
    values: dict[str, Any] = {"documents": checked, "decided_on": today, "review_note": _text(
        "note", note, required=not approve), "reviewer": actor if getattr(actor, "pk", None) else None}
    if approve:
        missing = [code for code, ok in checked.items() if not ok]
        if missing:
            raise FieldError("documents", "document missing: %(doc)s", code="missing_document",
                             params={"doc": PERMIT_DOCUMENTS[missing[0]]})
        prev = app.previous
        expires = _add_year(today)
        if prev is not None and prev.status == ResidencePermit.Status.VALID and prev.expiry_date >= today:
            expires = _add_year(prev.expiry_date)
            registry_services.permit_end(actor=actor, permit_id=prev.pk, reason="renewed")
        permit = registry_services.permit_issue(
            actor=actor, person_id=app.person_id, number=f"SHJZ{today:%Y%m%d}{app.pk:06d}", issue_date=today,
            expiry_date=expires, condition=app.condition)
        values.update(status=PermitApplication.Status.ISSUED, permit=permit)
    else:
        values["status"] = PermitApplication.Status.REJECTED
    update_versioned(PermitApplication, app.pk, version, **values)
    app.refresh_from_db()
    _audit(AuditAction.TRANSITION, actor, "desk.permit_application", app,
           {"status": app.status, "permit": app.permit_id})
    return app


@transaction.atomic
def permit_reminders_raise(*, today: date | None = None) -> int:
    """The worker's job: one reminder per valid permit expiring within 30 days (shown in the desk's
    and the grid worker's lists until renewed or lapsed). Returns how many were raised."""
    today = today or timezone.localdate()
    due = (ResidencePermit.objects.filter(status=ResidencePermit.Status.VALID, expiry_date__gte=today,
                                          expiry_date__lte=today + timedelta(days=RENEWAL_WINDOW_DAYS))
           .exclude(pk__in=PermitReminder.objects.values("permit_id")))
    made = [PermitReminder(permit=p, grid_code=p.grid_code, raised_on=today, expiry_date=p.expiry_date) for p in due]
    PermitReminder.objects.bulk_create(made)
    if made:
        audit_write(AuditAction.CREATE, actor=None, object_type="desk.permit_reminder", object_id=None,
                    changes={"raised": len(made)})
    return len(made)


def permits_lapse(*, today: date | None = None) -> int:
    """The worker's job: permits past expiry lapse (registry.services.permits_lapse)."""
    return registry_services.permits_lapse(today=today or timezone.localdate())


# ------------------------------------------------------------------ residence registration

@transaction.atomic
def residence_register(*, actor: User | None, person_id: int, house_id: int,
                       registered_on: date | None = None) -> ResidenceRegistration:
    """居住登记: the resident moves (in the register) to the house where they live; the residence
    address becomes the place of service. 人户分离 is derived by the register from the hukou place."""
    person = _person(actor, person_id)
    if actor is not None:
        require_capability(actor, INTAKE)
    before = person.grid_code
    registry_services.person_move_in(actor=actor, person_id=person.pk, house_id=house_id,
                                     moved_in=registered_on or timezone.localdate())
    person.refresh_from_db()
    reg = ResidenceRegistration.objects.create(
        person=person, house_id=house_id, grid_code=person.grid_code, from_grid_code=before,
        registered_on=registered_on or timezone.localdate(), household_separated=person.household_separated,
        officer=actor if getattr(actor, "pk", None) else None)
    _audit(AuditAction.CREATE, actor, "desk.residence_registration", reg,
           {"person": person.pk, "house": house_id, "household_separated": person.household_separated})
    return reg


# ------------------------------------------------------------------ service referrals

@transaction.atomic
def referral_create(*, actor: User | None, person_id: int, organisation_id, kind: str, reason: str,
                    today: date | None = None) -> ServiceReferral:
    """Refer a resident to a registered service provider (an organisation of the register)."""
    person = _person(actor, person_id)
    kind = _choice("referral_kind", kind, ServiceReferral.Kind.values)
    try:
        org_id = int(organisation_id)
    except (TypeError, ValueError):
        raise FieldError("organisation_id", "is required", code="required") from None
    org = (registry_selectors.organisations_visible(actor).filter(pk=org_id).first() if actor is not None
           else Organisation.objects.filter(pk=org_id).first())
    if org is None:
        raise FieldError("organisation_id", "no registered organisation with that id", code="unknown")
    if actor is not None:
        _require_write(actor, INTAKE if has_capability(actor, INTAKE) else MIGRANTS, person.grid_code)
    ref = ServiceReferral.objects.create(person=person, organisation=org, grid_code=person.grid_code, kind=kind,
                                         reason=_text("reason", reason), referred_on=today or timezone.localdate())
    _audit(AuditAction.CREATE, actor, "desk.referral", ref, {"person": person.pk, "organisation": org.pk, "kind": kind})
    return ref


REFERRAL_TRANSITIONS = {"referred": {"accepted", "declined", "completed"}, "accepted": {"completed", "declined"}}


@transaction.atomic
def referral_record(*, actor: User | None, referral_id: int, version: int, status: str, outcome: str = "",
                    today: date | None = None) -> ServiceReferral:
    ref = ServiceReferral.objects.filter(pk=referral_id).first()
    if ref is None or (actor is not None and not code_in_scope(actor, ref.grid_code, capability=MIGRANTS)
                       and not code_in_scope(actor, ref.grid_code, capability=INTAKE)):
        raise NotFound("referral not found")
    if actor is not None:
        _require_write(actor, MIGRANTS if has_capability(actor, MIGRANTS) else INTAKE, ref.grid_code)
    if status not in REFERRAL_TRANSITIONS.get(ref.status, set()):
        raise Conflict("cannot go from “%(old)s” to “%(new)s”",
                       params={"old": pgettext_lazy("referral status", ref.status),
                               "new": pgettext_lazy("referral status", status)})
    values: dict[str, Any] = {"status": status}
    if status in ("completed", "declined"):
        values["outcome"] = _text("outcome", outcome)
        values["closed_on"] = today or timezone.localdate()
    update_versioned(ServiceReferral, ref.pk, version, **values)
    ref.refresh_from_db()
    _audit(AuditAction.TRANSITION, actor, "desk.referral", ref, {"status": status})
    return ref


# ------------------------------------------------------------------ social-work projects

@transaction.atomic
def project_create(*, actor: User | None, name: str, provider_id: int, area_code: str, areas: list[str],
                   target_groups: list[str], budget_yuan, start_date: date, end_date: date,
                   outputs: list[tuple[str, str, int]]) -> SocialWorkProject:
    """政府购买服务: a project with its provider, budget, target groups and areas and agreed outputs."""
    if actor is not None:
        _require_write(actor, MIGRANTS, area_code)
    provider = Organisation.objects.filter(pk=provider_id).first()
    if provider is None:
        raise FieldError("provider_id", "no registered organisation with that id", code="unknown")
    try:
        budget = Decimal(str(budget_yuan))
    except InvalidOperation:
        raise FieldError("budget_yuan", "not a number") from None
    if budget <= 0:
        raise FieldError("budget_yuan", "must be positive")
    if end_date < start_date:
        raise FieldError("end_date", "must be after the start date", code="bad_date")
    if not outputs:
        raise FieldError("outputs", "give at least one agreed output", code="required")
    for code in areas:
        if not code.startswith(area_code[:6]):
            raise FieldError("areas", "area %(code)s lies outside %(area)s", params={"code": code, "area": area_code})
    project = SocialWorkProject.objects.create(
        name=_text("name", name, limit=128), provider=provider, area_code=area_code, areas=list(areas),
        target_groups=list(target_groups), budget_yuan=budget, start_date=start_date, end_date=end_date)
    for out_name, unit, target in outputs:
        if int(target) <= 0:
            raise FieldError("outputs", "a target must be positive")
        ProjectOutput.objects.create(project=project, name=out_name, unit=unit, target=int(target))
    audit_write(AuditAction.CREATE, actor=actor, object_type="desk.project", object_id=project.pk,
                jurisdiction=area_code, changes={"provider": provider.pk, "budget_yuan": str(budget)})
    return project


@transaction.atomic
def output_record(*, actor: User | None, output_id: int, on: date, quantity: int, note: str = "") -> OutputRecord:
    output = ProjectOutput.objects.filter(pk=output_id).select_related("project").first()
    if output is None or (actor is not None and not code_in_scope(actor, output.project.area_code,
                                                                   capability=MIGRANTS)):
        raise NotFound("output not found")
    if actor is not None:
        _require_write(actor, MIGRANTS, output.project.area_code)
    if int(quantity) <= 0:
        raise FieldError("quantity", "must be positive")
    if not output.project.start_date <= on <= output.project.end_date:
        raise FieldError("on", "outside the project period", code="bad_date")
    rec = OutputRecord.objects.create(output=output, on=on, quantity=int(quantity), note=_text("note", note, limit=200,
                                                                                                required=False),
                                      recorded_by=actor if getattr(actor, "pk", None) else None)
    audit_write(AuditAction.CREATE, actor=actor, object_type="desk.output_record", object_id=rec.pk,
                jurisdiction=output.project.area_code, changes={"output": output.pk, "quantity": rec.quantity})
    return rec
