"""Every read of special-population care. First argument: the acting user.

Rules applied here, always:
- the programme's capability (403 without it) and the jurisdiction of the row (404 outside);
- sealed juvenile records are excluded from every list, search, worklist, statistic and export;
  a single sealed record opens only through an approved, unexpired legal query of the reader;
- every read of a record (detail, list page, search, export, worklist) writes a READ/EXPORT audit
  row first: if the audit write fails, the read fails and nothing is returned;
- mental-health records shown to a team member without ``care.mental_health`` carry no
  identity-revealing field (the keys are absent, not null);
- persons are shown through ``registry.selectors.person_brief`` (masked identity and phone).
"""

from __future__ import annotations

import io
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import Purpose, scoped
from gridgov.care import access, codes, labels, schedule, suppress
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
from gridgov.core import spreadsheet
from gridgov.core.audit import audit_write
from gridgov.core.errors import FieldError, Forbidden, NotFound
from gridgov.core.masking import mask_phone
from gridgov.core.models import AuditAction
from gridgov.registry import selectors as registry_selectors

MAX_LIMIT = 100
STAT_LEVELS = (6, 9, 12)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _who(user: User | None) -> str:
    return (user.display_name or user.username) if user else ""


def _audit_read(user: User, object_type: str, ids: list, *, jurisdiction: str = "", reason: str = "",
                action: str = AuditAction.READ, extra: dict | None = None) -> None:
    """One audit row for the records about to be returned (fails closed: raises on failure)."""
    audit_write(action, actor=user, object_type=object_type,
                object_id=str(ids[0]) if len(ids) == 1 else f"{len(ids)} records",
                jurisdiction=jurisdiction, reason=reason, changes={"ids": list(ids), **(extra or {})})


# --- enrolments ---------------------------------------------------------------------------------------

def enrolments_visible(user: User, programme: str, *, purpose: Purpose = "read") -> QuerySet[Enrolment]:
    """Unsealed enrolments of ``programme`` in the user's jurisdiction (403 without the capability)."""
    access.require(user, programme)
    return Enrolment.objects.filter(programme=programme, sealed=False).filter(
        access.q_for(user, programme, purpose=purpose))


def enrolment_access(user: User, programme: str, enrolment_id: int, *, now: datetime | None = None
                     ) -> tuple[Enrolment, str]:
    """The enrolment and how it is reached: 'scope', 'breakglass' (active grant, unsealed only),
    'legal_query' (sealed, approved unexpired query of this user about the person) or 'transfer'
    (offered to the user's community and not yet accepted: read-only until the user accepts)."""
    now = _now(now)
    found = enrolments_visible(user, programme).filter(pk=enrolment_id).select_related("person", "worker").first()
    if found is not None:
        return found, "scope"
    enrolment = (Enrolment.objects.filter(pk=enrolment_id, programme=programme)
                 .select_related("person", "worker").first())
    if enrolment is None:
        raise NotFound("enrolment not found")
    if not enrolment.sealed and BreakGlass.objects.filter(user=user, enrolment=enrolment,
                                                          expires_at__gt=now).exists():
        return enrolment, "breakglass"
    if enrolment.sealed and enrolment.person_id and _legal_query_open(user, enrolment.person_id, now):
        return enrolment, "legal_query"
    if not enrolment.sealed and Transfer.objects.filter(enrolment=enrolment, status=Transfer.Status.PENDING).filter(
            access.q_for(user, programme)).exists():
        return enrolment, "transfer"
    raise NotFound("enrolment not found")


def _legal_query_open(user: User, person_id: int, now: datetime) -> LegalQuery | None:
    return LegalQuery.objects.filter(requested_by=user, person_id=person_id, status=LegalQuery.Status.APPROVED,
                                     expires_at__gt=now).first()


def _person(enrolment: Enrolment) -> dict | None:
    # The enrolment's capability + jurisdiction check authorises showing its person; the registry's
    # masked brief is the only form a person leaves in.
    return registry_selectors.person_brief(enrolment.person) if enrolment.person is not None else None


def _level_label(e: Enrolment) -> str:
    return codes.label(codes.programme(e.programme).level_table, e.level)


def enrolment_row(e: Enrolment, *, today: date, next_due: dict | None = None, redact: bool = False) -> dict:
    prog = codes.programme(e.programme)
    row = {
        "id": e.pk, "programme": e.programme, "programme_name": prog.name, "status": e.status,
        "level": e.level, "level_label": _level_label(e), "grid_code": e.grid_code,
        "start_date": e.start_date, "end_date": e.end_date, "minor": e.minor_at_start,
        "deidentified": e.deidentified_at is not None,
        "next_due": (next_due or {}).get(e.pk),
    }
    if not redact:
        row["person"] = _person(e)
        row["worker"] = _who(e.worker) if e.worker_id else ""
    return row


def _next_due(enrolment_ids: list[int]) -> dict[int, date]:
    out: dict[int, date] = {}
    for eid, due in (Contact.objects.filter(enrolment_id__in=enrolment_ids, status__in=["scheduled", "overdue"])
                     .order_by("enrolment_id", "due_date").values_list("enrolment_id", "due_date")):
        if due is not None:
            out.setdefault(eid, due)
    return out


def _filtered(qs: QuerySet[Enrolment], *, status: str = "active", level: str = "", worker_id: int | None = None,
              grid_code: str = "") -> QuerySet[Enrolment]:
    if status and status != "all":
        if status not in Enrolment.Status.values:
            raise FieldError("status", "one of %(values)s or all", params={"values": ", ".join(Enrolment.Status.values)})
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if worker_id:
        qs = qs.filter(worker_id=worker_id)
    if grid_code:
        if not grid_code.isdigit() or len(grid_code) > 15:
            raise FieldError("grid_code", "a code prefix of digits")
        qs = qs.filter(grid_code__startswith=grid_code)
    return qs


def _page(user: User, programme: str, qs: QuerySet[Enrolment], *, limit: int, offset: int, today: date,
          what: str) -> dict:
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    total = qs.count()
    page = list(qs.select_related("person", "worker").order_by("-start_date", "-id")[offset:offset + limit])
    ids = [e.pk for e in page]
    _audit_read(user, f"care.{programme}", ids, extra={"list": what, "offset": offset})
    due = _next_due(ids)
    return {"count": total, "items": [enrolment_row(e, today=today, next_due=due) for e in page]}


def enrolment_list(user: User, programme: str, *, status: str = "active", level: str = "", worker_id: int | None = None,
                   grid_code: str = "", limit: int = 50, offset: int = 0, today: date | None = None) -> dict:
    qs = _filtered(enrolments_visible(user, programme), status=status, level=level, worker_id=worker_id,
                   grid_code=grid_code)
    return _page(user, programme, qs, limit=limit, offset=offset, today=_today(today), what="list")


def enrolment_search(user: User, programme: str, q: str, *, status: str = "all", limit: int = 50, offset: int = 0,
                     today: date | None = None) -> dict:
    """By the person's name (``张*`` for a prefix), the last four characters of their document,
    a full identity number (blind index) or a phone number — through the registry's search."""
    q = (q or "").strip()
    if not q:
        raise FieldError("q", "required", code="required")
    if len(q) > 64:
        raise FieldError("q", "at most 64 characters")
    qs = enrolments_visible(user, programme)
    persons = registry_selectors.person_search(user, q=q).values("pk")
    qs = _filtered(qs.filter(person__in=persons), status=status)
    return _page(user, programme, qs, limit=limit, offset=offset, today=_today(today), what="search")


def enrolment_export_csv(user: User, programme: str, *, status: str = "active") -> str:
    """CSV of the visible (unsealed) enrolments: masked document and phone, no free text."""
    prog = access.require(user, programme)
    qs = _filtered(enrolments_visible(user, programme), status=status).select_related("person", "worker")
    rows = list(qs.order_by("grid_code", "id"))
    _audit_read(user, f"care.{programme}", [e.pk for e in rows], action=AuditAction.EXPORT,
                extra={"status": status})
    out = io.StringIO()
    names = [n for n, f in prog.fields.items() if f.type != "text"]
    writer = spreadsheet.csv_writer(out)
    writer.writerow(["id", "programme", "status", "level", "grid_code", "start_date", "end_date", "name",
                     "document_masked", "phone_masked", *names])
    for e in rows:
        p = _person(e) or {}
        writer.writerow([e.pk, e.programme, e.status, e.level, e.grid_code, e.start_date, e.end_date or "",
                         p.get("name", ""), p.get("document_masked", ""), p.get("phone_masked", ""),
                         *[e.fields.get(n, "") for n in names]])
    return out.getvalue()


def _contact_row(c: Contact, today: date, *, redact: bool = False) -> dict:
    row = {"id": c.pk, "kind": c.kind, "due_date": c.due_date, "status": schedule.effective_status(
        c.status, c.due_date, today) if c.due_date else c.status, "done_on": c.done_on, "version": c.version,
        "skip_reason": c.skip_reason}
    if not redact:
        row["notes"] = c.notes
        row["recorded_by"] = _who(c.recorded_by) if c.recorded_by_id else ""
    return row


def _timeline(e: Enrolment, contacts, referrals, alerts, outcomes, tasks, *, redact: bool,
              transfers=()) -> list[dict]:
    items = [{"date": e.start_date, "kind": "enrolled", "text": f"{codes.programme(e.programme).name}"}]
    for t in transfers:
        items.append({"date": timezone.localdate(t.offered_at), "kind": "transfer_offered",
                      "text": f"{t.from_grid_code} → {t.grid_code}"})
        if t.accepted_at:
            items.append({"date": timezone.localdate(t.accepted_at), "kind": "transfer_accepted",
                          "text": f"{t.from_grid_code} → {t.grid_code}"})
    for c in contacts:
        if c.status == "completed":
            items.append({"date": c.done_on, "kind": f"contact_{c.kind}",
                          "text": "" if redact else c.notes, "id": c.pk})
        elif c.status == "skipped" and c.due_date:
            items.append({"date": c.due_date, "kind": "contact_skipped", "text": c.skip_reason, "id": c.pk})
    for r in referrals:
        items.append({"date": r.referred_on, "kind": "referral", "text": f"{r.provider.name}: {labels.label('referral_status', r.status)}"})
        if r.closed_on:
            items.append({"date": r.closed_on, "kind": f"referral_{r.status}", "text": r.provider.name})
    for a in alerts:
        items.append({"date": a.raised_on, "kind": f"alert_{a.kind}", "text": a.cause})
        if a.resolved_on:
            items.append({"date": a.resolved_on, "kind": "alert_resolved", "text": "" if redact else a.response})
    for o in outcomes:
        items.append({"date": o.recorded_on, "kind": "resettlement",
                      "text": codes.label("Resettlement", o.resettlement) if o.resettled else o.reason_not})
    for t in tasks:
        if t.done_on:
            items.append({"date": t.done_on, "kind": f"task_{t.agency}", "text": t.task})
    if e.end_date:
        items.append({"date": e.end_date, "kind": e.status,
                      "text": codes.label(codes.programme(e.programme).closure_table, e.closure_type)})
    return sorted(items, key=lambda i: (i["date"], i["kind"]), reverse=True)


def _file(user: User, e: Enrolment, *, today: date, redact: bool, mode: str) -> dict:
    prog = codes.programme(e.programme)
    contacts = list(e.contacts.select_related("recorded_by").order_by("due_date", "done_on", "id"))
    referrals = list(Referral.objects.filter(enrolment=e).select_related("provider"))
    alerts = list(Alert.objects.filter(enrolment=e))
    outcomes = list(ResettlementOutcome.objects.filter(enrolment=e))
    tasks = list(JointTask.objects.filter(enrolment=e))
    team = list(TeamMember.objects.filter(enrolment=e))
    transfers = list(Transfer.objects.filter(enrolment=e).select_related("accepted_by").order_by("offered_at", "id"))
    out = enrolment_row(e, today=today, next_due=_next_due([e.pk]), redact=redact)
    out.update({
        "access": mode, "version": e.version, "planned_end": e.planned_end,
        "closure_type": e.closure_type, "closure_label": codes.label(prog.closure_table, e.closure_type),
        "under14": e.under14_at_start, "sealed": e.sealed,
        "fields": codes.field_rows(e.programme, e.fields, hide_identifying=redact),
        "contacts": [_contact_row(c, today, redact=redact) for c in contacts],
        "alerts": [{"id": a.pk, "kind": a.kind, "raised_on": a.raised_on, "status": a.status, "cause": a.cause,
                    "version": a.version, **({} if redact else {"response": a.response})} for a in alerts],
        "tasks": [{"id": t.pk, "agency": t.agency, "agency_name": (prog.agencies or {}).get(t.agency, {}).get(
            "name", t.agency), "task": t.task, "status": t.status, "note": t.note, "done_on": t.done_on,
            "version": t.version} for t in tasks],
        "timeline": _timeline(e, contacts, referrals, alerts, outcomes, tasks, redact=redact, transfers=transfers),
        "transfer": None if redact else next((transfer_row(t, user, now=timezone.now()) for t in transfers
                                              if t.status == Transfer.Status.PENDING), None),
        "eligibility_override": "" if redact else e.eligibility_override,
    })
    if not redact:
        out.update({
            "plan": e.plan, "plan_goals": e.plan_goals, "closure_note": e.closure_note,
            "team": [{"id": m.pk, "member_type": m.member_type, "member_label": codes.label(prog.team_table,
                                                                                          m.member_type),
                      "name": m.name, "phone_masked": mask_phone(m.phone)} for m in team],
            "referrals": [{"id": r.pk, "provider": r.provider.name, "provider_id": r.provider_id,
                           "reason": r.reason, "status": r.status, "referred_on": r.referred_on,
                           "outcome": r.outcome, "closed_on": r.closed_on, "version": r.version}
                          for r in referrals],
            "outcomes": [{"id": o.pk, "recorded_on": o.recorded_on, "resettled": o.resettled,
                          "resettlement": o.resettlement,
                          "resettlement_label": codes.label("Resettlement", o.resettlement),
                          "reason_not": o.reason_not, "note": o.note} for o in outcomes],
        })
    return out


def enrolment_file(user: User, programme: str, enrolment_id: int, *, today: date | None = None,
                   now: datetime | None = None) -> dict:
    """The case file with its timeline. Audited (READ; the reason names break-glass or the legal query;
    a refusal is audited ``denied``, rate-limited: core.denials)."""
    from gridgov.core.denials import audit_denied
    from gridgov.core.errors import Forbidden

    try:
        e, mode = enrolment_access(user, programme, enrolment_id, now=now)
    except (Forbidden, NotFound) as exc:  # audit the refusal (rate-limited), then refuse
        audit_denied(actor=user, action=AuditAction.READ, object_type=f"care.{programme}", object_id=enrolment_id,
                     exc=exc)
        raise
    reason = {"scope": "", "breakglass": "break-glass", "legal_query": "sealed record opened by legal query",
              "transfer": "transfer awaiting acceptance"}[mode]
    _audit_read(user, f"care.{programme}", [e.pk], jurisdiction=e.grid_code, reason=reason)
    return _file(user, e, today=_today(today), redact=False, mode=mode)


# --- team view (mental health: identity hidden without the capability) ---------------------------------

def _team_enrolments(user: User) -> QuerySet[Enrolment]:
    return scoped(Enrolment.objects.filter(team__user=user, sealed=False, status=Enrolment.Status.ACTIVE),
                  user, field="grid_code").distinct()


def _redact_for(user: User, e: Enrolment) -> bool | None:
    """False: full view; True: identity hidden; None: not shown at all."""
    if access.in_scope(user, e.programme, e.grid_code):
        return False
    if codes.programme(e.programme).hide_identity:
        return True
    return None


def team_cases(user: User, *, today: date | None = None) -> list[dict]:
    """Cases on whose team the user sits (参与管理人员), e.g. the area police officer of a
    mental-health patient: without ``care.mental_health`` the row has no identity fields."""
    today = _today(today)
    rows = []
    picked = []
    enrolments = list(_team_enrolments(user).select_related("person", "worker").order_by("id"))
    due = _next_due([e.pk for e in enrolments])
    for e in enrolments:
        redact = _redact_for(user, e)
        if redact is None:
            continue
        picked.append(e.pk)
        rows.append(enrolment_row(e, today=today, next_due=due, redact=redact))
    _audit_read(user, "care.team_cases", picked)
    return rows


def team_case_file(user: User, enrolment_id: int, *, today: date | None = None) -> dict:
    e = _team_enrolments(user).filter(pk=enrolment_id).select_related("person", "worker").first()
    redact = _redact_for(user, e) if e is not None else None
    if e is None or redact is None:
        raise NotFound("enrolment not found")
    _audit_read(user, f"care.{e.programme}", [e.pk], jurisdiction=e.grid_code, reason="team member")
    return _file(user, e, today=_today(today), redact=redact, mode="team")


# --- worklists ----------------------------------------------------------------------------------------

def _contacts_in_scope(user: User, programmes: list[str]) -> QuerySet[Contact]:
    return (Contact.objects.filter(enrolment__sealed=False, enrolment__status=Enrolment.Status.ACTIVE)
            .filter(access.q_any(user, programmes, programme_field="enrolment__programme")))


def _contact_work_row(c: Contact, today: date) -> dict:
    e = c.enrolment
    return {"id": c.pk, "kind": c.kind, "due_date": c.due_date, "status": schedule.effective_status(
        c.status, c.due_date, today), "version": c.version, "enrolment_id": e.pk, "programme": e.programme,
        "grid_code": e.grid_code, "person_name": e.person.name if e.person is not None else "",
        "level_label": _level_label(e)}


def transfer_row(t: Transfer, user: User, *, now: datetime) -> dict:
    """A transfer awaiting acceptance as seen by ``user``: direction 'incoming' (the user may accept:
    the receiving grid is in their capture scope) or 'outgoing', and its 漏管 clock (share of the
    limit used in working time, colour green/yellow/red as a case deadline)."""
    from gridgov.cases import workcal
    from gridgov.cases.selectors import work_calendar

    cal = work_calendar()
    fraction = cal.fraction(t.offered_at, cal.working_seconds(t.offered_at, t.deadline), now)
    e = t.enrolment
    return {"id": t.pk, "programme": t.programme, "programme_name": codes.programme(t.programme).name,
            "enrolment_id": e.pk, "person_name": e.person.name if e.person is not None else "",
            "from_grid_code": t.from_grid_code, "grid_code": t.grid_code, "source": t.source, "reason": t.reason,
            "offered_at": t.offered_at, "deadline": t.deadline, "status": t.status, "version": t.version,
            "direction": "incoming" if access.in_scope(user, t.programme, t.grid_code, purpose="write")
            else "outgoing",
            "fraction": round(fraction, 3), "colour": workcal.colour(fraction), "overdue": now > t.deadline,
            "escalated": t.escalated_at is not None}


def worklist(user: User, *, today: date | None = None, mine: bool = True, programme: str = "",
             now: datetime | None = None) -> dict:
    """My overdue contacts, my contacts due this week, hand-overs awaiting report-in (and 漏管),
    open 漏管/脱管 alerts, investigations due and transfers awaiting acceptance (待接收: incoming
    to the user's community or outgoing from it) — over the programmes the user holds."""
    today = _today(today)
    now = _now(now)
    held = access.require_any(user)
    if programme:
        access.require(user, programme)
        held = [programme]
    contacts = _contacts_in_scope(user, held).select_related("enrolment", "enrolment__person")
    if mine:
        contacts = contacts.filter(enrolment__worker=user)
    overdue_q = Q(status=Contact.Status.OVERDUE) | Q(status=Contact.Status.SCHEDULED, due_date__lt=today)
    overdue = list(contacts.filter(overdue_q).order_by("due_date", "id")[:200])
    monday, sunday = schedule.week_bounds(today)
    week = list(contacts.filter(status=Contact.Status.SCHEDULED, due_date__gte=today, due_date__lte=sunday)
                .order_by("due_date", "id")[:200])
    handovers = list(HandOver.objects.filter(status__in=[HandOver.Status.PENDING, HandOver.Status.MISSED],
                                             person__isnull=False).exclude(enrolment__sealed=True)
                     .filter(access.q_any(user, held)).select_related("person").order_by("report_deadline")[:200])
    alerts = list(Alert.objects.filter(status=Alert.Status.OPEN).exclude(enrolment__sealed=True)
                  .filter(access.q_any(user, held)).order_by("raised_on", "id")[:200])
    investigations = []
    if "corrections" in held:
        investigations = list(Investigation.objects.filter(status__in=["requested", "assigned"], person__isnull=False)
                              .filter(access.q_for(user, "corrections")).select_related("person")
                              .order_by("due_date")[:200])
    transfers = list(Transfer.objects.filter(status=Transfer.Status.PENDING, enrolment__sealed=False)
                     .filter(access.q_any(user, held) | access.q_any(user, held, field="from_grid_code"))
                     .select_related("enrolment", "enrolment__person").order_by("deadline", "id")[:200])
    _audit_read(user, "care.worklist", [c.enrolment_id for c in overdue + week],
                extra={"handovers": [h.pk for h in handovers], "alerts": [a.pk for a in alerts],
                       "investigations": [i.pk for i in investigations],
                       "transfers": [t.pk for t in transfers]})
    return {
        "today": today,
        "overdue": [_contact_work_row(c, today) for c in overdue],
        "due_this_week": [_contact_work_row(c, today) for c in week],
        "handovers_pending": [_handover_row(h, today) for h in handovers],
        "alerts_open": [_alert_row(a) for a in alerts],
        "investigations_due": [_investigation_row(i, today) for i in investigations],
        "transfers_pending": [transfer_row(t, user, now=now) for t in transfers],
    }


# --- hand-overs, alerts, investigations ------------------------------------------------------------------

def _handover_row(h: HandOver, today: date) -> dict:
    return {"id": h.pk, "programme": h.programme, "person": registry_selectors.person_brief(h.person)
            if h.person is not None else None, "grid_code": h.grid_code, "sending_institution": h.sending_institution,
            "notified_on": h.notified_on, "report_deadline": h.report_deadline, "reported_on": h.reported_on,
            "cohesion": h.cohesion, "cohesion_label": codes.label("Cohesion", h.cohesion), "status": h.status,
            "late": h.status != HandOver.Status.RECEIVED and h.report_deadline < today,
            "enrolment_id": h.enrolment_id, "version": h.version}


def _alert_row(a: Alert) -> dict:
    return {"id": a.pk, "kind": a.kind, "programme": a.programme, "grid_code": a.grid_code,
            "handover_id": a.handover_id, "enrolment_id": a.enrolment_id, "raised_on": a.raised_on,
            "cause": a.cause, "status": a.status, "response": a.response, "resolved_on": a.resolved_on,
            "version": a.version}


def _investigation_row(i: Investigation, today: date) -> dict:
    return {"id": i.pk, "person": registry_selectors.person_brief(i.person) if i.person is not None else None,
            "grid_code": i.grid_code, "requesting_authority": i.requesting_authority,
            "requested_on": i.requested_on, "due_date": i.due_date, "status": i.status,
            "worker": _who(i.worker) if i.worker_id else "",
            "overdue": i.status != Investigation.Status.SUBMITTED and i.due_date < today,
            "recommendation": i.recommendation, "submitted_on": i.submitted_on, "version": i.version}


def handover_list(user: User, programme: str, *, status: str = "", today: date | None = None) -> list[dict]:
    today = _today(today)
    access.require(user, programme)
    qs = (HandOver.objects.filter(programme=programme).exclude(enrolment__sealed=True)
          .filter(access.q_for(user, programme)).select_related("person"))
    if status:
        qs = qs.filter(status=status)
    rows = list(qs.order_by("report_deadline", "id")[:500])
    _audit_read(user, "care.handover", [h.pk for h in rows])
    return [_handover_row(h, today) for h in rows]


def alert_list(user: User, programme: str, *, status: str = "open") -> list[dict]:
    access.require(user, programme)
    qs = (Alert.objects.filter(programme=programme).exclude(enrolment__sealed=True)
          .filter(access.q_for(user, programme)))
    if status:
        qs = qs.filter(status=status)
    rows = list(qs.order_by("-raised_on", "-id")[:500])
    _audit_read(user, "care.alert", [a.pk for a in rows])
    return [_alert_row(a) for a in rows]


def investigation_list(user: User, *, today: date | None = None) -> list[dict]:
    access.require(user, "corrections")
    rows = list(Investigation.objects.filter(access.q_for(user, "corrections")).select_related("person", "worker")
                .order_by("due_date", "id")[:500])
    _audit_read(user, "care.investigation", [i.pk for i in rows])
    return [_investigation_row(i, _today(today)) for i in rows]


def investigation_get(user: User, investigation_id: int, *, today: date | None = None) -> dict:
    access.require(user, "corrections")
    i = (Investigation.objects.filter(pk=investigation_id).filter(access.q_for(user, "corrections"))
         .select_related("person", "worker").first())
    if i is None:
        raise NotFound("investigation not found")
    _audit_read(user, "care.investigation", [i.pk], jurisdiction=i.grid_code)
    return {**_investigation_row(i, _today(today)), "report": i.report}


# --- providers, code tables -------------------------------------------------------------------------------

def provider_list(user: User, *, programme: str = "") -> list[dict]:
    """Providers in the user's jurisdiction for the programmes they hold (no resident data)."""
    held = access.require_any(user)
    if programme:
        access.require(user, programme)
        held = [programme]
    q = Q(pk__in=[])
    for p in held:
        q |= access.q_for(user, p)
    rows = []
    for pr in Provider.objects.filter(q, active=True).order_by("name", "id"):
        if not set(pr.programmes) & set(held):
            continue
        rows.append({"id": pr.pk, "name": pr.name, "kind": pr.kind, "kind_label": codes.label("ProviderKind", pr.kind),
                     "programmes": pr.programmes, "grid_code": pr.grid_code, "address": pr.address,
                     "phone": pr.phone, "capacity": pr.capacity,
                     "open_referrals": pr.referrals.filter(status__in=["requested", "accepted"]).count()})
    return rows


def code_tables(user: User) -> dict:
    access.require_any(user)
    return {"version": codes.version(), "tables": [codes.table_info(n) for n in codes.table_names()],
            "programmes": [{"code": p.code, "name": p.name, "name_en": p.name_en, "entity": p.entity,
                            "capability": p.capability, "level_table": p.level_table,
                            "closure_table": p.closure_table, "team_table": p.team_table,
                            "fields": [{"name": f.name, "type": f.type, "label": f.label, "table": f.table,
                                        "required": f.required} for f in p.fields.values()]}
                           for p in codes.programmes().values()]}


# --- statistics (published: small cells suppressed) -------------------------------------------------------

def _area_names(user: User, prefixes: list[str]) -> dict[str, str]:
    try:
        from gridgov.geo.selectors import divisions_visible

        return dict(divisions_visible(user).filter(prefix__in=prefixes).values_list("prefix", "name"))
    except Exception:  # no geo.view: codes only
        return {}


def programme_statistics(user: User, programme: str, *, area_level: int = 9, today: date | None = None) -> dict:
    """Active enrolments per area (division prefix of ``area_level`` digits) and level, with
    totals. Cells under 5 are suppressed (None), with secondary suppression; sealed records are
    never counted."""
    prog = access.programme(programme)
    if programme not in access.require_statistics(user):
        raise Forbidden("missing capability %(capability)s", code="missing_capability",
                        params={"capability": prog.capability})
    if area_level not in STAT_LEVELS:
        raise FieldError("area_level", "one of 6, 9, 12")
    levels = list(codes.table(prog.level_table))
    qs = Enrolment.objects.filter(programme=programme, sealed=False, status=Enrolment.Status.ACTIVE).filter(
        access.statistics_q(user, programme))
    counts: dict[tuple[str, str], int] = {}
    for grid_code, level, n in (qs.values_list("grid_code", "level").annotate(n=Count("id"))
                                .values_list("grid_code", "level", "n")):
        key = (grid_code[:area_level], level)
        counts[key] = counts.get(key, 0) + n
    areas = sorted({a for a, _ in counts})
    matrix = [[counts.get((a, lv), 0) for lv in levels] for a in areas]
    # the published table includes row totals and a total row: suppress on the full grid
    full = [row + [sum(row)] for row in matrix]
    if full:
        full.append([sum(col) for col in zip(*full, strict=True)])
    published = suppress.suppress_table(full) if full else []
    names = _area_names(user, areas)
    rows = [{"area": a, "area_name": names.get(a, ""), "by_level": dict(zip(levels, published[i][:-1], strict=True)),
             "total": published[i][-1]} for i, a in enumerate(areas)]
    totals = ({"by_level": dict(zip(levels, published[-1][:-1], strict=True)), "total": published[-1][-1]}
              if published else {"by_level": dict.fromkeys(levels), "total": None})
    audit_write(AuditAction.READ, actor=user, object_type=f"care.{programme}.statistics", object_id=str(area_level),
                changes={"areas": len(areas)})
    return {"programme": programme, "programme_name": prog.name, "area_level": area_level,
            "threshold": suppress.THRESHOLD, "levels": [{"code": lv, "label": codes.label(prog.level_table, lv)}
                                                         for lv in levels],
            "rows": rows, "totals": totals}


def _suppress_column(values: list[int]) -> tuple[list[int | None], int | None]:
    """One published column with its total: the suppressed cells and the suppressed total."""
    if not values:
        return [], None
    grid = suppress.suppress_table([[v] for v in values] + [[sum(values)]])
    return [r[0] for r in grid[:-1]], grid[-1][0]


AREA_MEASURES = ("overdue_contacts", "absent_open", "missed_open", "transfers_pending")


def area_statistics(user: User, *, area_level: int = 9, today: date | None = None) -> dict:
    """综治中心 figures without files: per area (division prefix of ``area_level`` digits) the
    active enrolments per programme, overdue contacts, open 脱管 and 漏管 alerts (missed report-ins
    after a hand-over and transfers not accepted in time) and transfers awaiting acceptance.
    Counts only, never a name or an id; cells under the threshold suppressed (secondary suppression
    over the programme table with its totals; each measure column with its total). Sealed records
    are never counted. Open to the programmes' capabilities and to the command centres
    (``command.view``: street_centre, district_centre)."""
    today = _today(today)
    programmes = access.require_statistics(user)
    if area_level not in STAT_LEVELS:
        raise FieldError("area_level", "one of 6, 9, 12")
    enrol_q = access.q_any_statistics(user, programmes)
    counts: dict[tuple[str, str], int] = {}
    for grid_code, programme, n in (Enrolment.objects.filter(enrol_q, sealed=False, status=Enrolment.Status.ACTIVE)
                                    .values_list("grid_code", "programme").annotate(n=Count("id"))
                                    .values_list("grid_code", "programme", "n")):
        key = (grid_code[:area_level], programme)
        counts[key] = counts.get(key, 0) + n
    measures: dict[tuple[str, str], int] = {}

    def add(rows, measure: str) -> None:
        for grid_code, n in rows:
            key = (grid_code[:area_level], measure)
            measures[key] = measures.get(key, 0) + n

    live = {"enrolment__sealed": False, "enrolment__status": Enrolment.Status.ACTIVE}
    overdue_q = Q(status=Contact.Status.OVERDUE) | Q(status=Contact.Status.SCHEDULED, due_date__lt=today)
    add(Contact.objects.filter(overdue_q, access.q_any_statistics(user, programmes, "enrolment__programme"), **live)
        .values("grid_code").annotate(n=Count("id")).values_list("grid_code", "n"), "overdue_contacts")
    alerts = Alert.objects.filter(access.q_any_statistics(user, programmes), status=Alert.Status.OPEN).exclude(
        enrolment__sealed=True)
    add(alerts.filter(kind=Alert.Kind.ABSENT).values("grid_code").annotate(n=Count("id"))
        .values_list("grid_code", "n"), "absent_open")
    add(alerts.filter(kind=Alert.Kind.MISSED_REPORT).values("grid_code").annotate(n=Count("id"))
        .values_list("grid_code", "n"), "missed_open")
    add(Transfer.objects.filter(access.q_any_statistics(user, programmes), status=Transfer.Status.PENDING,
                                enrolment__sealed=False)
        .values("grid_code").annotate(n=Count("id")).values_list("grid_code", "n"), "transfers_pending")
    areas = sorted({a for a, _ in counts} | {a for a, _ in measures})
    matrix = [[counts.get((a, p), 0) for p in programmes] for a in areas]
    full = [row + [sum(row)] for row in matrix]
    if full:
        full.append([sum(col) for col in zip(*full, strict=True)])
    published = suppress.suppress_table(full) if full else []
    columns = {m: _suppress_column([measures.get((a, m), 0) for a in areas]) for m in AREA_MEASURES}
    names = _area_names(user, areas)
    rows = [{"area": a, "area_name": names.get(a, ""),
             "by_programme": dict(zip(programmes, published[i][:-1], strict=True)), "total": published[i][-1],
             **{m: columns[m][0][i] for m in AREA_MEASURES},
             "measures": [columns[m][0][i] for m in AREA_MEASURES]} for i, a in enumerate(areas)]
    totals = {"by_programme": dict(zip(programmes, published[-1][:-1], strict=True)) if published
              else dict.fromkeys(programmes), "total": published[-1][-1] if published else None,
              **{m: columns[m][1] for m in AREA_MEASURES}, "measures": [columns[m][1] for m in AREA_MEASURES]}
    audit_write(AuditAction.READ, actor=user, object_type="care.statistics", object_id=str(area_level),
                changes={"areas": len(areas), "programmes": programmes})
    return {"area_level": area_level, "threshold": suppress.THRESHOLD, "today": today,
            "programmes": [{"code": p, "name": codes.programme(p).name} for p in programmes],
            "rows": rows, "totals": totals}


# --- legal query (sealed records) -------------------------------------------------------------------------

def legal_query_list(user: User) -> list[dict]:
    """Queries the user requested, plus those in their capture scope awaiting a decision."""
    held = access.require_any(user)
    q = Q(requested_by=user)
    for p in held:
        q |= access.q_for(user, p, purpose="write")
    rows = list(LegalQuery.objects.filter(q).select_related("requested_by", "decided_by").order_by("-id")[:200])
    return [{"id": x.pk, "person_id": x.person_id, "grid_code": x.grid_code, "legal_basis": x.legal_basis,
             "case_reference": x.case_reference, "status": x.status, "requested_by": _who(x.requested_by),
             "decided_by": _who(x.decided_by) if x.decided_by_id else "", "expires_at": x.expires_at,
             "version": x.version, "mine": x.requested_by_id == user.pk} for x in rows]


def legal_query_records(user: User, query_id: int, *, today: date | None = None, now: datetime | None = None) -> dict:
    """The sealed records of the query's person, for its requester while the approval lasts. Each
    record is audited with the query as reason; programmes the reader lacks stay closed."""
    now = _now(now)
    access.require_any(user)
    query = LegalQuery.objects.filter(pk=query_id, requested_by=user, person__isnull=False).first()
    if query is None:
        raise NotFound("query not found")
    if query.status != LegalQuery.Status.APPROVED or query.expires_at is None or query.expires_at <= now:
        raise NotFound("no approved, unexpired query")
    held = access.held_programmes(user)
    assert query.person_id is not None  # read with person__isnull=False
    records = list(Enrolment.objects.filter(person_id=query.person_id, sealed=True, programme__in=held)
                   .select_related("person", "worker"))
    _audit_read(user, "care.sealed", [e.pk for e in records], jurisdiction=query.grid_code,
                reason=f"legal query {query.pk}: {query.legal_basis}")
    return {"query_id": query.pk, "expires_at": query.expires_at,
            "records": [_file(user, e, today=_today(today), redact=False, mode="legal_query") for e in records]}
