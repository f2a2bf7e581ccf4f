"""Every write of special-population care. Keyword-only, typed, atomic; each appends an audit row.

Dates (``today``) and instants (``now``) are parameters so that schedules and deadlines are
testable with frozen time; they default to the local date and the current time.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope
from gridgov.care import access, codes, schedule
from gridgov.care.models import (
    Alert,
    BreakGlass,
    Contact,
    Enrolment,
    HandOver,
    Investigation,
    JointTask,
    LegalQuery,
    Provider,
    Referral,
    ResettlementOutcome,
    TeamMember,
    Transfer,
)
from gridgov.core.audit import audit_write
from gridgov.core.errors import Conflict, FieldError, Forbidden, NotFound
from gridgov.core.models import AuditAction
from gridgov.core.versioning import update_versioned
from gridgov.registry import selectors as registry_selectors


def _stored_text(message: str, **params: object) -> str:
    """A system-written text stored in a row (an alert's cause): in the site's language (zh-hans),
    which every reader of the row reads, whatever the language of the job that wrote it."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % params

ABSENCE_GRACE_DAYS = 7  # a report-in overdue this long raises 脱管
DEFAULT_BREAKGLASS_MINUTES = 60
MAX_BREAKGLASS_MINUTES = 24 * 60
DEFAULT_LEGAL_QUERY_HOURS = 72
DEFAULT_RETENTION_DAYS = 5 * 365
DEIDENTIFIED = "[de-identified]"

REFERRAL_TRANSITIONS: dict[str, set[str]] = {
    Referral.Status.REQUESTED: {Referral.Status.ACCEPTED, Referral.Status.DECLINED, Referral.Status.CANCELLED},
    Referral.Status.ACCEPTED: {Referral.Status.COMPLETED, Referral.Status.CANCELLED},
    Referral.Status.DECLINED: set(),
    Referral.Status.COMPLETED: set(),
    Referral.Status.CANCELLED: set(),
}
ENROLMENT_TRANSITIONS: dict[str, set[str]] = {
    Enrolment.Status.ACTIVE: {Enrolment.Status.COMPLETED, Enrolment.Status.CANCELLED},
    Enrolment.Status.COMPLETED: set(),
    Enrolment.Status.CANCELLED: set(),
}
CONTACT_TRANSITIONS: dict[str, set[str]] = {
    Contact.Status.SCHEDULED: {Contact.Status.COMPLETED, Contact.Status.SKIPPED, Contact.Status.OVERDUE},
    Contact.Status.OVERDUE: {Contact.Status.COMPLETED, Contact.Status.SKIPPED},
    Contact.Status.COMPLETED: set(),
    Contact.Status.SKIPPED: set(),
}


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def retention_days() -> int:
    return int(settings.GRIDGOV_CARE_RETENTION_DAYS)


def _clean(programme: str, data: dict | None, *, partial: bool = False, stored: dict | None = None) -> dict:
    try:
        return codes.clean_fields(programme, data, partial=partial, stored=stored)
    except codes.FieldProblem as exc:
        raise FieldError(exc.field, exc.message, code=exc.code, params=exc.params) from None


def _check_code(field: str, table: str, value: str, *, required: bool = True) -> str:
    if not value:
        if required:
            raise FieldError(field, "required", code="required")
        return ""
    if value not in codes.table(table):
        raise FieldError(field, "%(value)s is not a code of %(table)s", code="unknown_code",
                         params={"value": repr(value), "table": table})
    return value


def _text(field: str, value: str, *, max_length: int = 200, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise FieldError(field, "required", code="required")
    if len(value) > max_length:
        raise FieldError(field, "at most %(n)s characters", code="too_long", params={"n": max_length})
    return value


def _enrolment_for_write(actor: User, programme: str, enrolment_id: int) -> Enrolment:
    access.require(actor, programme)
    enrolment = (Enrolment.objects.filter(pk=enrolment_id, programme=programme, sealed=False,
                                          deidentified_at__isnull=True)
                 .filter(access.q_for(actor, programme, purpose="write")).first())
    if enrolment is None:
        raise NotFound("enrolment not found")
    return enrolment


def _age_on(birth: date | None, on: date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- providers ----------------------------------------------------------------------------------

@transaction.atomic
def provider_create(*, actor: User, name: str, kind: str, programmes: list[str], grid_code: str,
                    address: str = "", phone: str = "", capacity: int | None = None) -> Provider:
    name = _text("name", name, max_length=128)
    kind = _check_code("kind", "ProviderKind", kind)
    programmes = sorted(set(programmes or []))
    if not programmes:
        raise FieldError("programmes", "at least one programme", code="required")
    for p in programmes:
        if p not in codes.PROGRAMME_CODES:
            raise FieldError("programmes", "unknown programme %(code)s", code="unknown", params={"code": repr(p)})
    if not any(code_in_scope(actor, grid_code, capability=access.capability(p), purpose="write")
               for p in programmes):
        access.require_any(actor)
        raise Forbidden("jurisdiction: outside your capture scope")
    provider = Provider.objects.create(name=name, kind=kind, programmes=programmes, grid_code=grid_code,
                                       address=_text("address", address, required=False), phone=phone.strip(),
                                       capacity=capacity)
    audit_write(AuditAction.CREATE, actor=actor, object_type="care.provider", object_id=provider.pk,
                jurisdiction=grid_code, changes={"name": name, "kind": kind, "programmes": programmes})
    return provider


# --- enrolment ----------------------------------------------------------------------------------

def _schedule_contacts(enrolment: Enrolment, *, today: date, after: date | None = None) -> int:
    """(Re)generate the scheduled contacts of an active enrolment from ``after`` (default: its
    start) to the horizon. Existing scheduled contacts after ``after`` are replaced."""
    prog = codes.programme(enrolment.programme)
    intervals = prog.schedule.get(enrolment.level, {})
    start = after or enrolment.start_date
    Contact.objects.filter(enrolment=enrolment, status=Contact.Status.SCHEDULED, due_date__gt=start).delete()
    until = schedule.horizon(start=enrolment.start_date, today=today, end=enrolment.planned_end)
    existing = set(Contact.objects.filter(enrolment=enrolment).values_list("kind", "due_date"))
    rows = [Contact(enrolment=enrolment, grid_code=enrolment.grid_code, kind=d.kind, due_date=d.due_date)
            for d in schedule.generate(intervals, start=start, until=until)
            if (d.kind, d.due_date) not in existing]
    Contact.objects.bulk_create(rows)
    return len(rows)


MIN_REASON = 10  # characters of a reason for an exception (eligibility override, closing while 脱管)


def _ineligible_message(prog: codes.Programme, problem: codes.Ineligible) -> str:
    which = ""
    if problem.code:
        fname, code = problem.code.split("=", 1)
        spec = prog.fields[fname]
        which = f"（{spec.label}：{codes.label(spec.code_table, code)}）"
    params = {"programme": prog.name + which, "limit": problem.limit, "age": problem.actual}
    if problem.rule in ("min_age", "max_age"):
        if problem.low is not None and problem.high is not None:
            ages = _("from %(low)s to %(high)s years of age") % {"low": problem.low, "high": problem.high}
        elif problem.low is not None:
            ages = _("%(low)s years of age or over") % {"low": problem.low}
        else:
            ages = _("%(high)s years of age or under") % {"high": problem.high}
        return _("%(programme)s enrols persons %(ages)s; this person is %(age)s on the start date.") % {
            **params, "ages": ages}
    if problem.rule == "no_birth_date":
        return _("%(programme)s has an age rule, but the person's date of birth is not in the register.") % params
    field_label = prog.fields[problem.field].label if problem.field in prog.fields else problem.field
    return _("%(programme)s covers the first %(limit)s years after %(field)s; the start date is %(age)s years "
             "later.") % {**params, "field": field_label}


def _eligibility(prog: codes.Programme, *, birth: date | None, on: date, fields: dict, override: str) -> list[str]:
    """The rules broken (as data for the audit row). Without an override reason a broken rule is a
    FieldError with a clear message; with one (at least MIN_REASON characters) enrolment proceeds."""
    problems = codes.eligibility_check(prog.code, birth=birth, on=on, fields=fields)
    if not problems:
        return []
    if not override:
        message = " ".join(_ineligible_message(prog, p) for p in problems)
        raise FieldError("person_id", message + " " + _("To enrol anyway, give the reason for the exception."),
                         code="ineligible")
    if len(override) < MIN_REASON:
        raise FieldError("eligibility_override", _("The reason must have at least %(n)s characters.")
                         % {"n": MIN_REASON}, code="too_short")
    return [f"{p.rule}:{p.limit}:{p.actual}" for p in problems]


@transaction.atomic
def enrolment_create(*, actor: User, programme: str, person_id: int, start_date: date,
                     level: str = "", fields: dict[str, Any] | None = None, planned_end: date | None = None,
                     worker: User | None = None, plan: str = "", eligibility_override: str = "",
                     today: date | None = None) -> Enrolment:
    """Enrol a person. The programme's eligibility rules (age, status; data/programmes.json) are
    checked; a person outside them is enrolled only with ``eligibility_override`` (a reason,
    audited). A deceased person is never enrolled."""
    today = _today(today)
    prog = access.require(actor, programme)
    person = registry_selectors.person_get(actor, person_id, capability=prog.capability, purpose="write")
    level = _check_code("level", prog.level_table, level or prog.default_level)
    clean = _clean(programme, fields)
    if planned_end is not None and planned_end < start_date:
        raise FieldError("planned_end", "before the start", code="invalid")
    if person.status == "deceased":
        raise FieldError("person_id", _("The person is registered as deceased."), code="deceased")
    override = _text("eligibility_override", eligibility_override, max_length=500, required=False)
    broken = _eligibility(prog, birth=person.birth_date, on=start_date, fields=clean, override=override)
    if not broken:
        override = ""
    if Enrolment.objects.filter(person=person, programme=programme, status=Enrolment.Status.ACTIVE).exists():
        raise Conflict("this person already has an active enrolment in this programme")
    age = _age_on(person.birth_date, start_date)
    enrolment = Enrolment.objects.create(eligibility_override=override,
        programme=programme, person=person, grid_code=person.grid_code, worker=worker or actor, level=level,
        start_date=start_date, planned_end=planned_end, fields=clean, plan=_text("plan", plan, max_length=4000,
                                                                                  required=False),
        minor_at_start=age is not None and age < 18, under14_at_start=age is not None and age < 14,
        codes_version=codes.version())
    n = _schedule_contacts(enrolment, today=today)
    if prog.joint and prog.agencies:
        JointTask.objects.bulk_create([JointTask(enrolment=enrolment, grid_code=enrolment.grid_code, agency=a,
                                                 task=spec["task"]) for a, spec in prog.agencies.items()])
    audit_write(AuditAction.CREATE, actor=actor, object_type=f"care.{programme}", object_id=enrolment.pk,
                jurisdiction=enrolment.grid_code,
                reason=f"eligibility override: {override}" if override else "",
                changes={"person_id": person.pk, "level": level, "fields": sorted(clean), "contacts": n,
                         "minor": enrolment.minor_at_start, **({"rules_overridden": broken} if broken else {})})
    return enrolment


@transaction.atomic
def enrolment_update(*, actor: User, programme: str, enrolment_id: int, version: int,
                     fields: dict[str, Any] | None = None, level: str | None = None, plan: str | None = None,
                     plan_goals: list[str] | None = None, worker: User | None = None,
                     planned_end: date | None = None, today: date | None = None) -> Enrolment:
    today = _today(today)
    prog = access.programme(programme)
    enrolment = _enrolment_for_write(actor, programme, enrolment_id)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise Conflict("the enrolment is closed")
    values: dict[str, Any] = {}
    if fields is not None:
        merged = {**enrolment.fields, **_clean(programme, fields, partial=True, stored=enrolment.fields)}
        values["fields"] = _clean(programme, merged, stored=enrolment.fields)
    if level is not None and level != enrolment.level:
        values["level"] = _check_code("level", prog.level_table, level)
    if plan is not None:
        values["plan"] = _text("plan", plan, max_length=4000, required=False)
    if plan_goals is not None:
        values["plan_goals"] = [_text("plan_goals", g, max_length=200) for g in plan_goals][:50]
    if worker is not None:
        if not code_in_scope(worker, enrolment.grid_code, capability=prog.capability):
            raise FieldError("worker", "the worker does not hold this programme here", code="out_of_scope")
        values["worker"] = worker
    if planned_end is not None:
        values["planned_end"] = planned_end
    if not values:
        return enrolment
    update_versioned(Enrolment, enrolment.pk, version, updated_at=timezone.now(), **values)
    enrolment.refresh_from_db()
    if "level" in values or "planned_end" in values:
        _schedule_contacts(enrolment, today=today, after=today)
    changes = {k: (v.pk if isinstance(v, User) else v) for k, v in values.items() if k != "fields"}
    if "fields" in values:
        changes["fields"] = sorted(values["fields"])
    audit_write(AuditAction.UPDATE, actor=actor, object_type=f"care.{programme}", object_id=enrolment.pk,
                jurisdiction=enrolment.grid_code, changes=changes)
    return enrolment


@transaction.atomic
def enrolment_close(*, actor: User, programme: str, enrolment_id: int, version: int, status: str,
                    closure_type: str, note: str = "", end_date: date | None = None, absence_reason: str = "",
                    today: date | None = None) -> Enrolment:
    """Close an enrolment. With an open 脱管 alert it closes only with ``absence_reason`` (at least
    MIN_REASON characters): the alert is then resolved with that reason, and the audit row says so."""
    today = _today(today)
    prog = access.programme(programme)
    enrolment = _enrolment_for_write(actor, programme, enrolment_id)
    if status not in ENROLMENT_TRANSITIONS[enrolment.status]:
        raise Conflict("cannot go from “%(old)s” to “%(new)s”",
                       params={"old": pgettext_lazy("care enrolment status", enrolment.status),
                               "new": pgettext_lazy("care enrolment status", status)})
    closure_type = _check_code("closure_type", prog.closure_table, closure_type)
    end_date = end_date or today
    if end_date < enrolment.start_date:
        raise FieldError("end_date", "before the start")
    absent = list(Alert.objects.filter(enrolment=enrolment, kind=Alert.Kind.ABSENT, status=Alert.Status.OPEN))
    absence_reason = _text("absence_reason", absence_reason, max_length=500, required=False)
    if absent and not absence_reason:
        raise FieldError("absence_reason", _("The person is absent from supervision (脱管) and the alert is still "
                                             "open: give the reason for closing the case anyway."),
                         code="open_absence")
    if absent and len(absence_reason) < MIN_REASON:
        raise FieldError("absence_reason", _("The reason must have at least %(n)s characters.") % {"n": MIN_REASON},
                         code="too_short")
    for alert in absent:
        update_versioned(Alert, alert.pk, alert.version, status=Alert.Status.RESOLVED, resolved_on=end_date,
                         response=f"{_('Case closed while absent')}: {absence_reason}")
        audit_write(AuditAction.TRANSITION, actor=actor, object_type="care.alert", object_id=alert.pk,
                    jurisdiction=alert.grid_code, reason=absence_reason,
                    changes={"status": "resolved", "by": "enrolment_close"})
    update_versioned(Enrolment, enrolment.pk, version, status=status, closure_type=closure_type, end_date=end_date,
         closure_note=_text("note", note, max_length=2000, required=False), updated_at=timezone.now())
    Contact.objects.filter(enrolment=enrolment, status=Contact.Status.SCHEDULED, due_date__gt=end_date).delete()
    Contact.objects.filter(enrolment=enrolment, status__in=[Contact.Status.SCHEDULED, Contact.Status.OVERDUE]
                           ).update(status=Contact.Status.SKIPPED, skip_reason="enrolment closed",
                                    version=F("version") + 1)
    JointTask.objects.filter(enrolment=enrolment, status=JointTask.Status.OPEN).update(
        status=JointTask.Status.DONE, note="case closed", done_on=end_date, version=F("version") + 1)
    enrolment.refresh_from_db()
    audit_write(AuditAction.TRANSITION, actor=actor, object_type=f"care.{programme}", object_id=enrolment.pk,
                jurisdiction=enrolment.grid_code, reason=absence_reason if absent else "",
                changes={"status": status, "closure_type": closure_type, "end_date": end_date.isoformat(),
                         **({"open_absences": [a.pk for a in absent]} if absent else {})})
    return enrolment


@transaction.atomic
def team_member_add(*, actor: User, programme: str, enrolment_id: int, member_type: str, name: str,
                    phone: str = "", user: User | None = None) -> TeamMember:
    prog = access.programme(programme)
    enrolment = _enrolment_for_write(actor, programme, enrolment_id)
    member = TeamMember.objects.create(
        enrolment=enrolment, grid_code=enrolment.grid_code,
        member_type=_check_code("member_type", prog.team_table, member_type), name=_text("name", name, max_length=64),
        phone=(phone or "").strip()[:32], user=user)
    audit_write(AuditAction.CREATE, actor=actor, object_type="care.team_member", object_id=member.pk,
                jurisdiction=enrolment.grid_code,
                changes={"enrolment": enrolment.pk, "member_type": member.member_type, "name": member.name,
                         "phone": member.phone})
    return member


# --- contacts ------------------------------------------------------------------------------------

@transaction.atomic
def contact_record(*, actor: User, programme: str, enrolment_id: int, kind: str, done_on: date,
                   notes: str = "", contact_id: int | None = None, version: int | None = None,
                   client_uuid: uuid.UUID | str | None = None, today: date | None = None) -> Contact:
    """Complete a scheduled contact (``contact_id``) or record an unscheduled one. With a client
    UUID (offline/mobile): the same submission again returns the original contact."""
    today = _today(today)
    if client_uuid is not None:
        client_uuid = uuid.UUID(str(client_uuid))
        prior = Contact.objects.filter(client_uuid=client_uuid).first()
        if prior is not None:
            if (prior.enrolment_id != enrolment_id or prior.kind != kind or prior.done_on != done_on
                    or prior.notes != (notes or "").strip()):
                raise Conflict("this submission id was already used for another contact")
            access.require(actor, programme)
            return prior
    enrolment = _enrolment_for_write(actor, programme, enrolment_id)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise Conflict("the enrolment is closed")
    if kind not in Contact.Kind.values:
        raise FieldError("kind", "one of %(values)s", params={"values": ", ".join(Contact.Kind.values)})
    if done_on > today:
        raise FieldError("done_on", "in the future", code="future")
    notes = _text("notes", notes, max_length=4000, required=False)
    now = timezone.now()
    if contact_id is not None:
        contact = Contact.objects.filter(pk=contact_id, enrolment=enrolment).first()
        if contact is None:
            raise NotFound("contact not found")
        if Contact.Status.COMPLETED not in CONTACT_TRANSITIONS[contact.status]:
            raise Conflict("the contact is already “%(status)s”",
                           params={"status": pgettext_lazy("care contact status", contact.status)})
        update_versioned(Contact, contact.pk, contact.version if version is None else version, status=Contact.Status.COMPLETED,
             done_on=done_on, notes=notes, kind=kind, recorded_by=actor, recorded_at=now, client_uuid=client_uuid)
        contact.refresh_from_db()
    else:
        contact = Contact.objects.create(enrolment=enrolment, grid_code=enrolment.grid_code, kind=kind,
                                         due_date=None, status=Contact.Status.COMPLETED, done_on=done_on,
                                         notes=notes, recorded_by=actor, recorded_at=now, client_uuid=client_uuid)
    if kind == Contact.Kind.REPORT_IN:
        # A report-in ends an open 脱管 only through an explicit response; it is recorded on the alert.
        pass
    audit_write(AuditAction.CREATE if contact_id is None else AuditAction.TRANSITION, actor=actor,
                object_type="care.contact", object_id=contact.pk, jurisdiction=enrolment.grid_code,
                changes={"enrolment": enrolment.pk, "kind": kind, "done_on": done_on.isoformat(),
                         "status": Contact.Status.COMPLETED})
    return contact


@transaction.atomic
def contact_skip(*, actor: User, programme: str, contact_id: int, reason: str, version: int) -> Contact:
    access.require(actor, programme)
    contact = (Contact.objects.select_related("enrolment")
               .filter(pk=contact_id, enrolment__programme=programme, enrolment__sealed=False)
               .filter(access.q_for(actor, programme, purpose="write")).first())
    if contact is None:
        raise NotFound("contact not found")
    if Contact.Status.SKIPPED not in CONTACT_TRANSITIONS[contact.status]:
        raise Conflict("the contact is already “%(status)s”",
                       params={"status": pgettext_lazy("care contact status", contact.status)})
    reason = _text("reason", reason, max_length=200)
    update_versioned(Contact, contact.pk, version, status=Contact.Status.SKIPPED, skip_reason=reason, recorded_by=actor,
         recorded_at=timezone.now())
    contact.refresh_from_db()
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="care.contact", object_id=contact.pk,
                jurisdiction=contact.grid_code, changes={"status": "skipped", "reason": reason})
    return contact


@transaction.atomic
def contacts_mark_overdue(*, today: date | None = None) -> dict[str, int]:
    """Daily job: scheduled contacts past due become overdue; a corrections report-in overdue for
    more than ABSENCE_GRACE_DAYS raises a 脱管 alert on the enrolment (one open alert at a time)."""
    today = _today(today)
    marked = Contact.objects.filter(status=Contact.Status.SCHEDULED, due_date__lt=today,
                                    enrolment__status=Enrolment.Status.ACTIVE).update(
        status=Contact.Status.OVERDUE, version=F("version") + 1)
    cutoff = today - timedelta(days=ABSENCE_GRACE_DAYS)
    late = (Contact.objects.filter(status=Contact.Status.OVERDUE, kind=Contact.Kind.REPORT_IN,
                                   due_date__lt=cutoff, enrolment__status=Enrolment.Status.ACTIVE,
                                   enrolment__programme="corrections")
            .values_list("enrolment_id", "grid_code").distinct())
    raised = 0
    for enrolment_id, grid_code in sorted(set(late)):
        if Alert.objects.filter(enrolment_id=enrolment_id, kind=Alert.Kind.ABSENT, status=Alert.Status.OPEN).exists():
            continue
        alert = Alert.objects.create(kind=Alert.Kind.ABSENT, programme="corrections", grid_code=grid_code,
                                     enrolment_id=enrolment_id, raised_on=today,
                                     cause=_stored_text("report-in overdue more than %(days)s days",
                                                        days=ABSENCE_GRACE_DAYS))
        audit_write(AuditAction.CREATE, object_type="care.alert", object_id=alert.pk, jurisdiction=grid_code,
                    changes={"kind": alert.kind, "enrolment": enrolment_id})
        raised += 1
    return {"overdue": marked, "absences": raised}


# --- hand-over (衔接), alerts ---------------------------------------------------------------------

@transaction.atomic
def handover_create(*, actor: User, programme: str, person_id: int, sending_institution: str,
                    notified_on: date, report_deadline: date) -> HandOver:
    prog = access.require(actor, programme)
    if not prog.handover:
        raise NotFound("this programme has no hand-over intake")
    person = registry_selectors.person_get(actor, person_id, capability=prog.capability, purpose="write")
    if report_deadline < notified_on:
        raise FieldError("report_deadline", "before the notification")
    handover = HandOver.objects.create(programme=programme, person=person, grid_code=person.grid_code,
                                       sending_institution=_text("sending_institution", sending_institution,
                                                                 max_length=128),
                                       notified_on=notified_on, report_deadline=report_deadline)
    audit_write(AuditAction.CREATE, actor=actor, object_type="care.handover", object_id=handover.pk,
                jurisdiction=handover.grid_code,
                changes={"programme": programme, "person_id": person.pk, "deadline": report_deadline.isoformat()})
    return handover


@transaction.atomic
def handover_receive(*, actor: User, programme: str, handover_id: int, version: int, reported_on: date,
                     cohesion: str, fields: dict[str, Any] | None = None, level: str = "",
                     planned_end: date | None = None, today: date | None = None) -> Enrolment:
    """The person reported in: close the hand-over and enrol them (late report-ins too)."""
    today = _today(today)
    access.require(actor, programme)
    handover = (HandOver.objects.filter(pk=handover_id, programme=programme)
                .filter(access.q_for(actor, programme, purpose="write")).first())
    if handover is None or handover.person_id is None:
        raise NotFound("hand-over not found")
    if handover.status == HandOver.Status.RECEIVED:
        raise Conflict("already received")
    cohesion = _check_code("cohesion", "Cohesion", cohesion)
    if reported_on > today:
        raise FieldError("reported_on", "in the future", code="future")
    update_versioned(HandOver, handover.pk, version, status=HandOver.Status.RECEIVED, reported_on=reported_on,
         cohesion=cohesion, updated_at=timezone.now())
    fields = dict(fields or {})
    if programme == "resettlement":
        fields.setdefault("cohesion", cohesion)
    enrolment = enrolment_create(actor=actor, programme=programme, person_id=handover.person_id,
                                 start_date=reported_on, level=level, fields=fields, planned_end=planned_end,
                                 today=today)
    HandOver.objects.filter(pk=handover.pk).update(enrolment=enrolment)
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="care.handover", object_id=handover.pk,
                jurisdiction=handover.grid_code,
                changes={"status": "received", "reported_on": reported_on.isoformat(), "enrolment": enrolment.pk,
                         "late": reported_on > handover.report_deadline})
    return enrolment


@transaction.atomic
def handovers_check(*, today: date | None = None) -> int:
    """Daily job: a hand-over whose report-in deadline has passed raises 漏管."""
    today = _today(today)
    n = 0
    for handover in HandOver.objects.filter(status=HandOver.Status.PENDING, report_deadline__lt=today):
        HandOver.objects.filter(pk=handover.pk).update(status=HandOver.Status.MISSED, version=F("version") + 1)
        alert = Alert.objects.create(kind=Alert.Kind.MISSED_REPORT, programme=handover.programme,
                                     grid_code=handover.grid_code, handover=handover, raised_on=today,
                                     cause=_stored_text("no report-in by %(date)s",
                                                        date=handover.report_deadline.isoformat()))
        audit_write(AuditAction.CREATE, object_type="care.alert", object_id=alert.pk,
                    jurisdiction=handover.grid_code, changes={"kind": alert.kind, "handover": handover.pk})
        n += 1
    return n


@transaction.atomic
def absence_report(*, actor: User, programme: str, enrolment_id: int, cause: str,
                   today: date | None = None) -> Alert:
    """A worker reports that a person under supervision is absent (脱管)."""
    enrolment = _enrolment_for_write(actor, programme, enrolment_id)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise Conflict("the enrolment is closed")
    if Alert.objects.filter(enrolment=enrolment, kind=Alert.Kind.ABSENT, status=Alert.Status.OPEN).exists():
        raise Conflict("an absence is already open")
    alert = Alert.objects.create(kind=Alert.Kind.ABSENT, programme=programme, grid_code=enrolment.grid_code,
                                 enrolment=enrolment, raised_on=_today(today), cause=_text("cause", cause))
    audit_write(AuditAction.CREATE, actor=actor, object_type="care.alert", object_id=alert.pk,
                jurisdiction=enrolment.grid_code, changes={"kind": alert.kind, "enrolment": enrolment.pk})
    return alert


@transaction.atomic
def alert_resolve(*, actor: User, programme: str, alert_id: int, version: int, response: str,
                  today: date | None = None) -> Alert:
    access.require(actor, programme)
    alert = (Alert.objects.filter(pk=alert_id, programme=programme)
             .exclude(enrolment__sealed=True)
             .filter(access.q_for(actor, programme, purpose="write")).first())
    if alert is None:
        raise NotFound("alert not found")
    if alert.status != Alert.Status.OPEN:
        raise Conflict("already resolved")
    response = _text("response", response, max_length=2000)
    update_versioned(Alert, alert.pk, version, status=Alert.Status.RESOLVED, response=response, resolved_on=_today(today),
         updated_at=timezone.now())
    alert.refresh_from_db()
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="care.alert", object_id=alert.pk,
                jurisdiction=alert.grid_code, changes={"status": "resolved"})
    return alert


# --- transfer between communities (the care follows the person) ---------------------------------------

COMMUNITY_DIGITS = 12


def transfer_limit() -> str:
    """Working days ("5d", the default) or hours ("40h") of the cases' calendar: GRIDGOV_CARE_TRANSFER_LIMIT."""
    return str(settings.GRIDGOV_CARE_TRANSFER_LIMIT)


def transfer_deadline(start: datetime) -> datetime:
    """``start`` plus the transfer limit in working time of the cases' working calendar."""
    from gridgov.cases.selectors import work_calendar

    return work_calendar().deadline(start, transfer_limit())


def _offer(enrolment: Enrolment, to_grid_code: str, *, source: str, reason: str, actor: User | None,
           now: datetime) -> Transfer:
    if Transfer.objects.filter(enrolment=enrolment, status=Transfer.Status.PENDING).exists():
        raise Conflict("a transfer of this enrolment is already awaiting acceptance")
    transfer = Transfer.objects.create(enrolment=enrolment, programme=enrolment.programme,
                                       from_grid_code=enrolment.grid_code, grid_code=to_grid_code, source=source,
                                       reason=reason, offered_by=actor, offered_at=now,
                                       deadline=transfer_deadline(now))
    audit_write(AuditAction.CREATE, actor=actor, object_type="care.transfer", object_id=transfer.pk,
                jurisdiction=to_grid_code, reason=reason,
                changes={"enrolment": enrolment.pk, "programme": enrolment.programme, "source": source,
                         "from": enrolment.grid_code, "to": to_grid_code, "deadline": transfer.deadline.isoformat()})
    return transfer


@transaction.atomic
def transfer_offer(*, actor: User, programme: str, enrolment_id: int, to_grid_code: str, reason: str,
                   now: datetime | None = None) -> Transfer:
    """The sending worker offers an enrolment to another community by hand (the person moved and
    the register is not updated yet, or the register move is not enough)."""
    now = _now(now)
    enrolment = _enrolment_for_write(actor, programme, enrolment_id)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise Conflict("the enrolment is closed")
    to_grid_code = (to_grid_code or "").strip()
    if len(to_grid_code) != 15 or not to_grid_code.isdigit():
        raise FieldError("to_grid_code", _("A grid code has 15 digits."), code="invalid")
    if to_grid_code[:COMMUNITY_DIGITS] == enrolment.grid_code[:COMMUNITY_DIGITS]:
        raise FieldError("to_grid_code", _("The grid is in the same community: change the responsible worker "
                                           "instead."), code="same_community")
    reason = _text("reason", reason)
    return _offer(enrolment, to_grid_code, source=Transfer.Source.MANUAL, reason=reason, actor=actor, now=now)


@transaction.atomic
def transfers_detect(*, now: datetime | None = None) -> int:
    """System job (daily, and callable right after a register change): every active, unsealed
    enrolment whose person now lives in another community according to the register (the person's
    grid code, set by registry.services.person_move_in) is offered to that community."""
    now = _now(now)
    rows = (Enrolment.objects.filter(status=Enrolment.Status.ACTIVE, sealed=False, deidentified_at__isnull=True,
                                     person__isnull=False, person__status="active")
            .exclude(transfers__status=Transfer.Status.PENDING)
            .values_list("pk", "grid_code", "person__grid_code"))
    moved = [(pk, new) for pk, old, new in rows
             if new and len(new) == 15 and new[:COMMUNITY_DIGITS] != old[:COMMUNITY_DIGITS]]
    for pk, new in moved:
        enrolment = Enrolment.objects.get(pk=pk)
        _offer(enrolment, new, source=Transfer.Source.REGISTER, reason="new residence in the register",
               actor=None, now=now)
    return len(moved)


@transaction.atomic
def transfer_accept(*, actor: User, programme: str, transfer_id: int, version: int,
                    now: datetime | None = None) -> Enrolment:
    """A worker of the receiving community accepts: the enrolment and every row hung on it move to
    the receiving grid, the acceptor becomes the responsible worker, and a 漏管 alert the transfer
    raised is resolved. The sending side's access (by jurisdiction) ends here."""
    now = _now(now)
    access.require(actor, programme)
    transfer = (Transfer.objects.filter(pk=transfer_id, programme=programme)
                .filter(access.q_for(actor, programme, purpose="write")).select_related("enrolment").first())
    if transfer is None:
        raise NotFound("transfer not found")
    if transfer.status != Transfer.Status.PENDING:
        raise Conflict("the transfer is already “%(status)s”",
                       params={"status": pgettext_lazy("care transfer status", transfer.status)})
    update_versioned(Transfer, transfer.pk, version, status=Transfer.Status.ACCEPTED, accepted_by=actor,
                     accepted_at=now)
    enrolment = transfer.enrolment
    to = transfer.grid_code
    Enrolment.objects.filter(pk=enrolment.pk).update(grid_code=to, worker=actor, version=F("version") + 1,
                                                     updated_at=now)
    for model in (Contact, TeamMember, Referral, ResettlementOutcome, JointTask, Alert, BreakGlass):
        model.objects.filter(enrolment=enrolment).update(grid_code=to)
    if transfer.alert_id:
        alert = Alert.objects.filter(pk=transfer.alert_id, status=Alert.Status.OPEN).first()
        if alert is not None:
            Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.RESOLVED, resolved_on=timezone.localdate(now),
                                                     response="transfer accepted", version=F("version") + 1)
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="care.transfer", object_id=transfer.pk,
                jurisdiction=to, changes={"status": "accepted", "enrolment": enrolment.pk,
                                          "from": transfer.from_grid_code, "to": to,
                                          "late": now > transfer.deadline})
    audit_write(AuditAction.UPDATE, actor=actor, object_type=f"care.{programme}", object_id=enrolment.pk,
                jurisdiction=to, reason=f"transfer {transfer.pk} accepted",
                changes={"grid_code": to, "from": transfer.from_grid_code, "worker": actor.pk})
    enrolment.refresh_from_db()
    return enrolment


@transaction.atomic
def transfers_check(*, now: datetime | None = None) -> int:
    """System job: a transfer not accepted by its deadline raises a 漏管 alert at the receiving grid
    (counted in the street and district centres' statistics), once."""
    now = _now(now)
    n = 0
    for t in Transfer.objects.filter(status=Transfer.Status.PENDING, deadline__lt=now, escalated_at__isnull=True):
        alert = Alert.objects.create(kind=Alert.Kind.MISSED_REPORT, programme=t.programme, grid_code=t.grid_code,
                                     enrolment_id=t.enrolment_id, raised_on=timezone.localdate(now),
                                     cause=f"transfer from {t.from_grid_code} not accepted by "
                                           f"{timezone.localtime(t.deadline).strftime('%Y-%m-%d %H:%M')}")
        Transfer.objects.filter(pk=t.pk).update(escalated_at=now, alert=alert, version=F("version") + 1)
        audit_write(AuditAction.CREATE, object_type="care.alert", object_id=alert.pk, jurisdiction=t.grid_code,
                    changes={"kind": alert.kind, "transfer": t.pk, "enrolment": t.enrolment_id})
        n += 1
    return n


# --- pre-sentence investigation (审前社会调查) -------------------------------------------------------

INVESTIGATION_PROGRAMME = "corrections"


@transaction.atomic
def investigation_create(*, actor: User, person_id: int, requesting_authority: str, requested_on: date,
                         due_date: date, worker: User | None = None) -> Investigation:
    prog = access.require(actor, INVESTIGATION_PROGRAMME)
    person = registry_selectors.person_get(actor, person_id, capability=prog.capability, purpose="write")
    if due_date < requested_on:
        raise FieldError("due_date", "before the request")
    inv = Investigation.objects.create(
        person=person, grid_code=person.grid_code,
        requesting_authority=_text("requesting_authority", requesting_authority, max_length=128),
        requested_on=requested_on, due_date=due_date, worker=worker,
        status=Investigation.Status.ASSIGNED if worker else Investigation.Status.REQUESTED)
    audit_write(AuditAction.CREATE, actor=actor, object_type="care.investigation", object_id=inv.pk,
                jurisdiction=inv.grid_code, changes={"person_id": person.pk, "due": due_date.isoformat()})
    return inv


def _investigation_for_write(actor: User, investigation_id: int) -> Investigation:
    access.require(actor, INVESTIGATION_PROGRAMME)
    inv = (Investigation.objects.filter(pk=investigation_id, person__isnull=False)
           .filter(access.q_for(actor, INVESTIGATION_PROGRAMME, purpose="write")).first())
    if inv is None:
        raise NotFound("investigation not found")
    return inv


@transaction.atomic
def investigation_assign(*, actor: User, investigation_id: int, version: int, worker: User) -> Investigation:
    inv = _investigation_for_write(actor, investigation_id)
    if inv.status == Investigation.Status.SUBMITTED:
        raise Conflict("the report is already submitted")
    if not code_in_scope(worker, inv.grid_code, capability="care.corrections"):
        raise FieldError("worker", "the worker does not hold community corrections here", code="out_of_scope")
    update_versioned(Investigation, inv.pk, version, worker=worker, status=Investigation.Status.ASSIGNED,
         updated_at=timezone.now())
    inv.refresh_from_db()
    audit_write(AuditAction.UPDATE, actor=actor, object_type="care.investigation", object_id=inv.pk,
                jurisdiction=inv.grid_code, changes={"worker": worker.pk})
    return inv


@transaction.atomic
def investigation_submit(*, actor: User, investigation_id: int, version: int, report: str, recommendation: str,
                         today: date | None = None) -> Investigation:
    inv = _investigation_for_write(actor, investigation_id)
    if inv.status == Investigation.Status.SUBMITTED:
        raise Conflict("the report is already submitted")
    if recommendation not in ("suitable", "unsuitable"):
        raise FieldError("recommendation", "suitable or unsuitable")
    update_versioned(Investigation, inv.pk, version, status=Investigation.Status.SUBMITTED,
         report=_text("report", report, max_length=20000), recommendation=recommendation,
         submitted_on=_today(today), updated_at=timezone.now())
    inv.refresh_from_db()
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="care.investigation", object_id=inv.pk,
                jurisdiction=inv.grid_code, changes={"status": "submitted", "recommendation": recommendation})
    return inv


# --- referrals, resettlement outcomes, joint tasks --------------------------------------------------

@transaction.atomic
def referral_create(*, actor: User, programme: str, enrolment_id: int, provider_id: int, reason: str,
                    today: date | None = None) -> Referral:
    enrolment = _enrolment_for_write(actor, programme, enrolment_id)
    provider = Provider.objects.filter(pk=provider_id, active=True).first()
    if provider is None or programme not in provider.programmes:
        raise FieldError("provider_id", "no active provider of this programme with that id", code="unknown")
    referral = Referral.objects.create(enrolment=enrolment, provider=provider, grid_code=enrolment.grid_code,
                                       reason=_text("reason", reason), referred_on=_today(today))
    audit_write(AuditAction.CREATE, actor=actor, object_type="care.referral", object_id=referral.pk,
                jurisdiction=enrolment.grid_code, changes={"enrolment": enrolment.pk, "provider": provider.pk})
    return referral


@transaction.atomic
def referral_transition(*, actor: User, programme: str, referral_id: int, version: int, status: str,
                        outcome: str = "", today: date | None = None) -> Referral:
    access.require(actor, programme)
    referral = (Referral.objects.filter(pk=referral_id, enrolment__programme=programme, enrolment__sealed=False)
                .filter(access.q_for(actor, programme, purpose="write")).first())
    if referral is None:
        raise NotFound("referral not found")
    if status not in REFERRAL_TRANSITIONS.get(referral.status, set()):
        raise Conflict("cannot go from “%(old)s” to “%(new)s”",
                       params={"old": pgettext_lazy("care referral status", referral.status),
                               "new": pgettext_lazy("care referral status", status)})
    values: dict[str, Any] = {"status": status, "updated_at": timezone.now()}
    if outcome:
        values["outcome"] = _text("outcome", outcome, max_length=2000)
    if status in (Referral.Status.COMPLETED, Referral.Status.DECLINED, Referral.Status.CANCELLED):
        values["closed_on"] = _today(today)
    update_versioned(Referral, referral.pk, version, **values)
    referral.refresh_from_db()
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="care.referral", object_id=referral.pk,
                jurisdiction=referral.grid_code, changes={"status": status})
    return referral


@transaction.atomic
def resettlement_outcome_record(*, actor: User, enrolment_id: int, recorded_on: date, resettled: bool,
                                resettlement: str = "", reason_not: str = "", note: str = "") -> ResettlementOutcome:
    enrolment = _enrolment_for_write(actor, "resettlement", enrolment_id)
    if resettled:
        resettlement = _check_code("resettlement", "Resettlement", resettlement)
        reason_not = ""
    else:
        resettlement = ""
        reason_not = _text("reason_not", reason_not)
    outcome = ResettlementOutcome.objects.create(
        enrolment=enrolment, grid_code=enrolment.grid_code, recorded_on=recorded_on, resettled=resettled,
        resettlement=resettlement, reason_not=reason_not, note=_text("note", note, max_length=2000, required=False),
        recorded_by=actor)
    audit_write(AuditAction.CREATE, actor=actor, object_type="care.resettlement_outcome", object_id=outcome.pk,
                jurisdiction=enrolment.grid_code,
                changes={"enrolment": enrolment.pk, "resettled": resettled, "resettlement": resettlement})
    return outcome


def agencies_of(user: User) -> list[str]:
    """The street-children agencies whose roles ``user`` holds."""
    agencies = codes.programme("street_children").agencies or {}
    roles = {m.role.code for m in user.active_memberships() if m.role.has("care.street_children")}
    return [a for a, spec in agencies.items() if roles & set(spec["roles"])]


@transaction.atomic
def joint_task_update(*, actor: User, enrolment_id: int, agency: str, version: int, status: str,
                      note: str = "", today: date | None = None) -> JointTask:
    """An agency updates its own task on a joint street-children case (only its own)."""
    enrolment = _enrolment_for_write(actor, "street_children", enrolment_id)
    task = JointTask.objects.filter(enrolment=enrolment, agency=agency).first()
    if task is None:
        raise NotFound("task not found")
    if agency not in agencies_of(actor):
        raise Forbidden("this task belongs to another agency")
    if status not in JointTask.Status.values:
        raise FieldError("status", "open or done")
    update_versioned(JointTask, task.pk, version, status=status, note=_text("note", note, max_length=2000, required=False),
         done_by=actor if status == JointTask.Status.DONE else None,
         done_on=_today(today) if status == JointTask.Status.DONE else None, updated_at=timezone.now())
    task.refresh_from_db()
    audit_write(AuditAction.UPDATE, actor=actor, object_type="care.joint_task", object_id=task.pk,
                jurisdiction=task.grid_code, changes={"agency": agency, "status": status})
    return task


# --- privacy: break-glass, sealing, legal query -------------------------------------------------------

@transaction.atomic
def breakglass_open(*, actor: User, programme: str, enrolment_id: int, reason: str,
                    minutes: int = DEFAULT_BREAKGLASS_MINUTES, now: datetime | None = None) -> BreakGlass:
    """Emergency read access to one enrolment outside the actor's jurisdiction. Needs the
    programme's capability, a reason (at least 10 characters) and expires after ``minutes``.
    Sealed records cannot be opened this way (only through the legal query procedure)."""
    now = _now(now)
    access.require(actor, programme)
    reason = _text("reason", reason, max_length=500)
    if len(reason) < 10:
        raise FieldError("reason", "at least 10 characters: say why", code="too_short")
    if not 1 <= minutes <= MAX_BREAKGLASS_MINUTES:
        raise FieldError("minutes", "between 1 and %(max)s", code="out_of_range", params={"max": MAX_BREAKGLASS_MINUTES})
    enrolment = Enrolment.objects.filter(pk=enrolment_id, programme=programme, sealed=False,
                                         deidentified_at__isnull=True).first()
    if enrolment is None:
        raise NotFound("enrolment not found")
    grant = BreakGlass.objects.create(user=actor, enrolment=enrolment, grid_code=enrolment.grid_code,
                                      reason=reason, granted_at=now, expires_at=now + timedelta(minutes=minutes))
    audit_write(AuditAction.REVEAL, actor=actor, object_type=f"care.{programme}", object_id=enrolment.pk,
                jurisdiction=enrolment.grid_code, reason=f"break-glass: {reason}",
                changes={"expires_at": grant.expires_at.isoformat()})
    return grant


@transaction.atomic
def enrolment_seal(*, actor: User, programme: str, enrolment_id: int, reason: str,
                   now: datetime | None = None) -> Enrolment:
    """Seal a juvenile record (未成年人犯罪记录封存): from now on it appears nowhere."""
    prog = access.programme(programme)
    enrolment = _enrolment_for_write(actor, programme, enrolment_id)
    if not prog.sealable:
        raise FieldError("programme", "records of this programme are not sealed", code="not_sealable")
    if not enrolment.minor_at_start:
        raise FieldError("enrolment", "only records of persons under 18 at the time are sealed", code="not_minor")
    reason = _text("reason", reason, max_length=500)
    Enrolment.objects.filter(pk=enrolment.pk).update(sealed=True, sealed_at=_now(now), version=F("version") + 1)
    enrolment.refresh_from_db()
    audit_write(AuditAction.UPDATE, actor=actor, object_type=f"care.{programme}", object_id=enrolment.pk,
                jurisdiction=enrolment.grid_code, reason=reason, changes={"sealed": True})
    return enrolment


@transaction.atomic
def legal_query_request(*, actor: User, person_id: int, legal_basis: str, case_reference: str) -> LegalQuery:
    """Ask to open a person's sealed records. Says nothing about whether any exist."""
    access.require_any(actor)
    person = registry_selectors.person_get(actor, person_id)
    legal_basis = _text("legal_basis", legal_basis, max_length=500)
    if len(legal_basis) < 10:
        raise FieldError("legal_basis", "at least 10 characters: cite the provision and purpose", code="too_short")
    query = LegalQuery.objects.create(person=person, grid_code=person.grid_code, requested_by=actor,
                                      legal_basis=legal_basis,
                                      case_reference=_text("case_reference", case_reference, max_length=128))
    audit_write(AuditAction.CREATE, actor=actor, object_type="care.legal_query", object_id=query.pk,
                jurisdiction=query.grid_code, reason=legal_basis,
                changes={"person_id": person.pk, "case_reference": query.case_reference})
    return query


@transaction.atomic
def legal_query_decide(*, actor: User, query_id: int, version: int, approve: bool, note: str = "",
                       hours: int = DEFAULT_LEGAL_QUERY_HOURS, now: datetime | None = None) -> LegalQuery:
    """A responsible person other than the requester approves (valid ``hours``) or rejects."""
    now = _now(now)
    held = access.require_any(actor)
    query = LegalQuery.objects.filter(pk=query_id, person__isnull=False).first()
    if query is None or not any(code_in_scope(actor, query.grid_code, capability=access.capability(p),
                                              purpose="write") for p in held):
        raise NotFound("query not found")
    if query.requested_by_id == actor.pk:
        raise Forbidden("the requester cannot approve their own query", code="four_eyes")
    if query.status != LegalQuery.Status.REQUESTED:
        raise Conflict("already decided")
    if not 1 <= hours <= 24 * 30:
        raise FieldError("hours", "between 1 and 720", code="out_of_range")
    status = LegalQuery.Status.APPROVED if approve else LegalQuery.Status.REJECTED
    update_versioned(LegalQuery, query.pk, version, status=status, decided_by=actor, decided_at=now,
         decision_note=_text("note", note, max_length=500, required=False),
         expires_at=now + timedelta(hours=hours) if approve else None, updated_at=timezone.now())
    query.refresh_from_db()
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="care.legal_query", object_id=query.pk,
                jurisdiction=query.grid_code, changes={"status": status, "expires_at": query.expires_at
                                                       and query.expires_at.isoformat()})
    return query


# --- retention: de-identification -------------------------------------------------------------------

@transaction.atomic
def enrolments_deidentify(*, now: datetime | None = None, days: int | None = None) -> dict[str, int]:
    """Scheduled job: closed enrolments whose end is older than the retention period lose every
    identifying element: the link to the person, identifying programme fields, the plan and all
    free text on their contacts, team, referrals, outcomes, alerts and tasks. What remains (programme,
    jurisdiction, level, dates, codes) feeds statistics. Hand-overs and investigations closed that
    long ago lose the person too. One audit row per record."""
    now = _now(now)
    days = retention_days() if days is None else days
    if days < 0:
        raise FieldError("days", "must not be negative")
    cutoff = timezone.localdate(now) - timedelta(days=days)
    due = list(Enrolment.objects.filter(status__in=[Enrolment.Status.COMPLETED, Enrolment.Status.CANCELLED],
                                        end_date__lt=cutoff, deidentified_at__isnull=True))
    for e in due:
        prog = codes.programme(e.programme)
        kept = {k: v for k, v in e.fields.items() if k in prog.fields and not prog.fields[k].identifying
                and prog.fields[k].type != "text"}
        Enrolment.objects.filter(pk=e.pk).update(person=None, worker=None, fields=kept, plan="", plan_goals=[],
                                                 closure_note="", deidentified_at=now, version=F("version") + 1)
        Contact.objects.filter(enrolment=e).update(notes="", skip_reason="", recorded_by=None)
        TeamMember.objects.filter(enrolment=e).update(name=DEIDENTIFIED, phone="", user=None)
        Referral.objects.filter(enrolment=e).update(reason=DEIDENTIFIED, outcome="")
        ResettlementOutcome.objects.filter(enrolment=e).update(reason_not="", note="", recorded_by=None)
        Alert.objects.filter(enrolment=e).update(cause="", response="")
        JointTask.objects.filter(enrolment=e).update(note="", done_by=None)
        BreakGlass.objects.filter(enrolment=e).delete()
        HandOver.objects.filter(enrolment=e).update(person=None)
        audit_write(AuditAction.UPDATE, object_type=f"care.{e.programme}", object_id=e.pk, jurisdiction=e.grid_code,
                    reason=f"retention: closed more than {days} days ago", changes={"deidentified": True})
    old_inv = Investigation.objects.filter(status=Investigation.Status.SUBMITTED, submitted_on__lt=cutoff,
                                           person__isnull=False)
    n_inv = 0
    for inv in old_inv:
        Investigation.objects.filter(pk=inv.pk).update(person=None, report="")
        audit_write(AuditAction.UPDATE, object_type="care.investigation", object_id=inv.pk,
                    jurisdiction=inv.grid_code, reason="retention", changes={"deidentified": True})
        n_inv += 1
    LegalQuery.objects.filter(person__isnull=False, created_at__lt=now - timedelta(days=days)).update(person=None)
    return {"enrolments": len(due), "investigations": n_inv}


def system_jobs(*, today: date | None = None, now: datetime | None = None, days: int | None = None) -> dict:
    """Everything the daily job does, in order."""
    today = _today(today)
    out: dict[str, Any] = {"missed_reports": handovers_check(today=today)}
    out.update(contacts_mark_overdue(today=today))
    out["transfers_offered"] = transfers_detect(now=now)
    out["transfers_overdue"] = transfers_check(now=now)
    out["deidentified"] = enrolments_deidentify(now=now, days=days)
    return out
