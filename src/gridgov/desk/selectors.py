"""Every read of the desk; the acting user first, scoped by jurisdiction and capability
(accounts/scope.py): outside the jurisdiction -> absent (404), missing capability -> 403.

``desk_actions`` and ``desk_figures`` are what the 综治中心's command screen shows of the desk."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from gridgov.accounts.models import User
from gridgov.accounts.scope import has_capability, require_capability, scoped
from gridgov.cases import selectors as case_selectors
from gridgov.cases import workcal
from gridgov.cases.models import Case
from gridgov.core.audit import audit_write
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.masking import mask_phone
from gridgov.core.models import AuditAction
from gridgov.desk.models import (
    PERMIT_DOCUMENTS,
    DeskEvent,
    DeskRequest,
    PermitApplication,
    PermitReminder,
    ResidenceRegistration,
    ServiceReferral,
    SocialWorkProject,
)
from gridgov.desk.services import INTAKE, MIGRANTS, target_state
from gridgov.registry import selectors as registry_selectors
from gridgov.registry.models import Person, ResidencePermit

#: the events module's state names (the same msgids as cases/views.py: one translation)
CASE_STATES = {
    "reported": "Reported", "accepted": "Accepted", "rejected": "Rejected", "registered": "Registered",
    "dispatched": "Dispatched", "handling": "Being handled", "handled": "Handled",
    "verified": "Verified", "closed": "Closed", "evaluated": "Evaluated", "suspended": "Suspended",
}
ACTION_LABELS = {
    "received": gettext_noop("received at the desk"), "routed": gettext_noop("routed"),
    "escalated": gettext_noop("overdue: escalated"), "closed": gettext_noop("closed"),
}


# ------------------------------------------------------------------ requests

def requests_visible(user: User) -> QuerySet[DeskRequest]:
    return scoped(DeskRequest.objects.all(), user, field="grid_code", capability=INTAKE)


def _in_area(qs: QuerySet, area_code: str, field: str = "grid_code") -> QuerySet:
    return qs.filter(**{f"{field}__startswith": area_code}) if area_code else qs


def request_colour(r: DeskRequest, *, now: datetime, cal: workcal.WorkCalendar | None = None) -> tuple[float, str]:
    """(share of the promised working time used, green/yellow/red) — as case deadlines; a closed
    request is measured at its closure."""
    cal = cal or case_selectors.work_calendar()
    limit = 0 if r.limit == "0h" else cal.limit_seconds(r.limit)
    end = r.closed_at or now
    fraction = cal.fraction(r.received_at, limit, end)
    return fraction, workcal.colour(fraction)


def _visitor(r: DeskRequest) -> dict:
    if r.person is not None:
        p = r.person
        return {"name": p.name, "phone": mask_phone(p.phone), "person_id": p.pk, "registered": True}
    v = r.visitor
    return {"name": v.name if v else "", "phone": mask_phone(v.phone) if v else "", "person_id": None,
            "registered": False}


def target_url(r: DeskRequest) -> str:
    if r.case_id:
        return reverse("cases:detail", args=[r.case_id])
    if r.permit_application_id:
        return reverse("desk:permits") + f"#app-{r.permit_application_id}"
    if r.referral_id:
        return reverse("desk:referrals") + f"#ref-{r.referral_id}"
    if r.registration_id and r.person_id:
        return reverse("registry:person", args=[r.person_id])
    return ""


def target_label(r: DeskRequest, state: str) -> str:
    if r.route == "case":
        return _(CASE_STATES.get(state, state))
    if r.route == "permit":
        return pgettext("permit application status", state)
    if r.route == "referral":
        return pgettext("referral status", state)
    return str(r.get_route_display())


def request_row(r: DeskRequest, *, now: datetime, cal: workcal.WorkCalendar | None = None) -> dict:
    fraction, colour = request_colour(r, now=now, cal=cal)
    state, done = target_state(r)
    return {"id": r.pk, "receipt": r.receipt, "visitor": _visitor(r), "grid_code": r.grid_code,
            "channel": r.channel, "channel_label": r.get_channel_display(), "kind": r.kind,
            "kind_label": r.get_kind_display(), "text": r.text, "route": r.route,
            "route_label": r.get_route_display(), "target_state": state, "target_label": target_label(r, state),
            "target_done": done, "target_url": target_url(r), "received_at": r.received_at,
            "promised_at": r.promised_at, "status": r.status, "status_label": r.get_status_display(),
            "escalated": r.escalated_at is not None, "percent": round(fraction * 100),
            "colour": "grey" if r.status == DeskRequest.Status.CLOSED and r.route == "answered" else colour,
            "satisfaction": r.satisfaction, "satisfaction_label": r.get_satisfaction_display() if r.satisfaction else "",
            "closed_at": r.closed_at, "version": r.version, "case_id": r.case_id}


def _related(qs: QuerySet[DeskRequest]) -> QuerySet[DeskRequest]:
    return qs.select_related("person", "visitor", "case", "permit_application", "referral")


def daily_list(user: User, *, day: date | None = None, area_code: str = "") -> dict:
    """The desk's day: requests received that day, and every request still open (oldest first)."""
    require_capability(user, INTAKE)
    now = timezone.now()
    cal = case_selectors.work_calendar()
    day = day or timezone.localdate()
    start = datetime.combine(day, datetime.min.time(), tzinfo=cal.tz)
    qs = _in_area(requests_visible(user), area_code)
    today = [request_row(r, now=now, cal=cal) for r in _related(qs.filter(
        received_at__gte=start, received_at__lt=start + timedelta(days=1))).order_by("-received_at", "-id")]
    open_rows = [request_row(r, now=now, cal=cal) for r in _related(qs.filter(
        status=DeskRequest.Status.OPEN)).order_by("promised_at", "id")[:200]]
    return {"day": day, "today": today, "open": open_rows}


def request_get(user: User, request_id: int) -> DeskRequest:
    require_capability(user, INTAKE)
    r = _related(requests_visible(user)).filter(pk=request_id).first()
    if r is None:
        raise NotFound("request not found")
    return r


def request_detail(user: User, request_id: int) -> dict:
    """The request with one timeline across modules: the desk's events and the routed case's
    (or application's, or referral's) steps, in time order. The read is audited."""
    r = request_get(user, request_id)
    now = timezone.now()
    events: list[dict] = []
    for e in DeskEvent.objects.filter(request=r).select_related("actor"):
        label = _(ACTION_LABELS.get(e.action, e.action))
        if e.action == "routed":
            label = _("routed to: %(route)s") % {"route": r.get_route_display()}
        if e.action == "closed" and e.data.get("satisfaction"):
            label = _("closed; satisfaction: %(s)s") % {"s": r.get_satisfaction_display()}
        events.append({"at": e.at, "source": _("desk"), "label": label, "note": e.note,
                       "actor": getattr(e.actor, "display_name", "") or getattr(e.actor, "username", "")})
    if r.case is not None:
        for ce in case_selectors.case_timeline(user, r.case):
            events.append({"at": ce.at, "source": _("event %(id)s") % {"id": r.case_id},
                           "label": _(CASE_STATES.get(ce.to_state, ce.to_state)) if ce.to_state else ce.action,
                           "note": ce.note if ce.public else "",
                           "actor": "" if ce.actor_name in Case.Channel.values else ce.actor_name})
    app = r.permit_application
    if app is not None and app.decided_on is not None:  # the review's time: the application's last change
        events.append({"at": app.updated_at, "source": _("residence permit"),
                       "label": pgettext("permit application status", app.status), "note": app.review_note,
                       "actor": ""})
    ref = r.referral
    if ref is not None and ref.closed_on is not None:
        events.append({"at": ref.updated_at, "source": _("service referral"),
                       "label": pgettext("referral status", ref.status), "note": ref.outcome,
                       "actor": ref.organisation.name})
    events.sort(key=lambda e: e["at"])
    audit_write(AuditAction.READ, actor=user, object_type="desk.request", object_id=r.pk, jurisdiction=r.grid_code)
    return {**request_row(r, now=now), "timeline": events,
            "satisfaction_choices": [(v, lbl) for v, lbl in DeskRequest.Satisfaction.choices if v]}


def resident_search(user: User, *, q: str) -> list[dict]:
    """The desk's resident search: the register's scoped search (name, phone, identity number or
    its last four), at most 20 rows, masked; the search itself is audited."""
    require_capability(user, INTAKE)
    q = (q or "").strip()
    if not q:
        return []
    persons = list(registry_selectors.person_search(user, q=q)[:20])
    audit_write(AuditAction.READ, actor=user, object_type="registry.person_search", object_id=None,
                changes={"results": len(persons)})
    return registry_selectors.person_rows(persons)


# ------------------------------------------------------------------ migrant services

def applications(user: User, *, status: str = "submitted") -> QuerySet[PermitApplication]:
    require_capability(user, MIGRANTS)
    qs = scoped(PermitApplication.objects.all(), user, field="grid_code", capability=MIGRANTS)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("person", "previous", "permit").order_by("submitted_on", "id")


def application_row(a: PermitApplication) -> dict:
    return {"id": a.pk, "person_id": a.person_id, "person_name": a.person.name, "kind": a.kind,
            "kind_label": a.get_kind_display(), "status": a.status, "status_label": a.get_status_display(),
            "submitted_on": a.submitted_on, "decided_on": a.decided_on, "grid_code": a.grid_code,
            "documents": [{"code": c, "label": PERMIT_DOCUMENTS[c], "ok": a.documents.get(c, False)}
                          for c in PERMIT_DOCUMENTS],
            "complete": all(a.documents.get(c, False) for c in PERMIT_DOCUMENTS),
            "previous_expiry": a.previous.expiry_date if a.previous else None,
            "permit_expiry": a.permit.expiry_date if a.permit else None, "review_note": a.review_note,
            "version": a.version}


def renewal_reminders(user: User, *, area_code: str = "", today: date | None = None) -> list[dict]:
    """Renewal reminders still to act on: the permit is valid, expires within 30 days, and no
    renewal has been issued. Visible with registry.view (grid workers) or the desk's capabilities."""
    today = today or timezone.localdate()
    if not any(has_capability(user, c) for c in ("registry.view", INTAKE, MIGRANTS)):
        raise Forbidden("missing capability registry.view", code="missing_capability")
    qs = scoped(PermitReminder.objects.all(), user, field="grid_code", capability="registry.view"
                if has_capability(user, "registry.view") else INTAKE)
    qs = _in_area(qs, area_code).filter(permit__status=ResidencePermit.Status.VALID)
    pending = set(PermitApplication.objects.filter(status=PermitApplication.Status.SUBMITTED,
                                                   kind=PermitApplication.Kind.RENEWAL)
                  .values_list("previous_id", flat=True))
    out = []
    for rem in qs.select_related("permit__person").order_by("expiry_date", "id")[:300]:
        person = rem.permit.person
        days = (rem.expiry_date - today).days
        out.append({"id": rem.pk, "person_id": person.pk, "person_name": person.name,
                    "phone": mask_phone(person.phone), "grid_code": rem.grid_code, "expiry_date": rem.expiry_date,
                    "days_left": days, "applied": rem.permit_id in pending,
                    "colour": "red" if days <= 7 else "yellow" if days <= 15 else "green"})
    return out


def referrals(user: User, *, open_only: bool = False) -> list[dict]:
    if not (has_capability(user, MIGRANTS) or has_capability(user, INTAKE)):
        raise Forbidden("missing capability desk.migrants", code="missing_capability")
    cap = MIGRANTS if has_capability(user, MIGRANTS) else INTAKE
    qs = scoped(ServiceReferral.objects.all(), user, field="grid_code", capability=cap)
    if open_only:
        qs = qs.filter(status__in=["referred", "accepted"])
    return [{"id": r.pk, "person_id": r.person_id, "person_name": r.person.name, "kind": r.kind,
             "kind_label": r.get_kind_display(), "organisation": r.organisation.name, "reason": r.reason,
             "status": r.status, "status_label": r.get_status_display(), "outcome": r.outcome,
             "referred_on": r.referred_on, "closed_on": r.closed_on, "version": r.version}
            for r in qs.select_related("person", "organisation").order_by("-referred_on", "-id")[:300]]


def providers(user: User) -> list[dict]:
    """Registered organisations the desk can refer to (the register's scoped list)."""
    return [{"id": o.pk, "name": o.name} for o in registry_selectors.organisations_visible(user).order_by("name")[:200]]


def projects(user: User) -> list[dict]:
    """Social-work projects whose buying area lies in the user's jurisdiction, with output progress."""
    if not (has_capability(user, MIGRANTS) or has_capability(user, "command.view")):
        raise Forbidden("missing capability desk.migrants", code="missing_capability")
    cap = MIGRANTS if has_capability(user, MIGRANTS) else "command.view"
    qs = scoped(SocialWorkProject.objects.all(), user, field="area_code", capability=cap)
    out = []
    for p in qs.select_related("provider").prefetch_related("outputs__records"):
        outputs = []
        for o in p.outputs.all():
            done = sum(rec.quantity for rec in o.records.all())
            outputs.append({"id": o.pk, "name": o.name, "unit": o.unit, "target": o.target, "done": done,
                            "percent": min(100, round(100 * done / o.target)) if o.target else 0,
                            "records": [{"on": rec.on, "quantity": rec.quantity, "note": rec.note}
                                        for rec in list(o.records.all())[:5]]})
        out.append({"id": p.pk, "name": p.name, "provider": p.provider.name, "area_code": p.area_code,
                    "areas": p.areas, "target_groups": p.target_groups, "budget_yuan": p.budget_yuan,
                    "start_date": p.start_date, "end_date": p.end_date, "outputs": outputs})
    return out


def person_permit_state(user: User, person_id: int) -> dict:
    """For the person's page: the open permit application, if any (scoped as the register)."""
    person: Person = registry_selectors.person_get(user, person_id)
    app = PermitApplication.objects.filter(person=person).order_by("-submitted_on", "-id").first()
    return {"application": application_row(app) if app else None}


# ------------------------------------------------------------------ the command screen

def desk_actions(user: User, area_code: str) -> list[dict]:
    """What needs the centre's attention today: overdue and nearly due open requests, finished
    work waiting to be closed with the visitor, permit applications to review, renewals due.
    Each: {kind, title, url, due, colour}."""
    out: list[dict] = []
    now = timezone.now()
    cal = case_selectors.work_calendar()
    if has_capability(user, INTAKE):
        qs = _related(_in_area(requests_visible(user), area_code).filter(status=DeskRequest.Status.OPEN))
        for r in qs.order_by("promised_at", "id")[:100]:
            colour = request_colour(r, now=now, cal=cal)[1]
            done = target_state(r)[1]
            if done:
                out.append({"kind": "desk.close", "title": _("%(receipt)s: done, close with the visitor")
                            % {"receipt": r.receipt}, "url": reverse("desk:request", args=[r.pk]),
                            "due": r.promised_at, "colour": colour})
            elif colour != "green":
                out.append({"kind": "desk.overdue" if colour == "red" else "desk.due",
                            "title": _("%(receipt)s: %(kind)s") % {"receipt": r.receipt, "kind": r.get_kind_display()},
                            "url": reverse("desk:request", args=[r.pk]), "due": r.promised_at, "colour": colour})
    if has_capability(user, MIGRANTS):
        for a in _in_area(applications(user), area_code)[:50]:
            out.append({"kind": "desk.permit_review", "title": _("review the permit application of %(name)s")
                        % {"name": a.person.name}, "url": reverse("desk:permits") + f"#app-{a.pk}",
                        "due": None, "colour": "yellow"})
    for rem in renewal_reminders(user, area_code=area_code) if has_capability(user, INTAKE) else []:
        if not rem["applied"]:
            out.append({"kind": "desk.renewal", "title": _("residence permit of %(name)s expires on %(date)s")
                        % {"name": rem["person_name"], "date": rem["expiry_date"].isoformat()},
                        "url": reverse("desk:reminders"), "due": rem["expiry_date"], "colour": rem["colour"]})
    return out


def desk_figures(user: User, area_code: str) -> dict:
    """The desk's figures of today and of the open work (counts only)."""
    require_capability(user, INTAKE)
    cal = case_selectors.work_calendar()
    day = timezone.localdate()
    start = datetime.combine(day, datetime.min.time(), tzinfo=cal.tz)
    qs = _in_area(requests_visible(user), area_code)
    today = qs.filter(received_at__gte=start, received_at__lt=start + timedelta(days=1))
    by_route = dict(today.values_list("route").annotate(n=Count("id")).values_list("route", "n"))
    closed = qs.filter(status=DeskRequest.Status.CLOSED).exclude(satisfaction__in=["", "declined"])
    sat = closed.aggregate(n=Count("id"), ok=Count("id", filter=Q(satisfaction__in=["satisfied", "basic"])))
    open_qs = qs.filter(status=DeskRequest.Status.OPEN)
    return {"received_today": today.count(), "answered_today": by_route.get("answered", 0),
            "routed_today": sum(v for k, v in by_route.items() if k != "answered"), "by_route_today": by_route,
            "open": open_qs.count(), "overdue": open_qs.filter(promised_at__lt=timezone.now()).count(),
            "satisfaction_rate": round(100 * sat["ok"] / sat["n"], 1) if sat["n"] else None,
            "satisfaction_answers": sat["n"],
            "registrations_30d": scoped(ResidenceRegistration.objects.filter(
                registered_on__gte=day - timedelta(days=30)), user, field="grid_code", capability=INTAKE)
            .filter(grid_code__startswith=area_code).count()}


def project_budget_total(user: User) -> float:
    qs = scoped(SocialWorkProject.objects.all(), user, field="area_code", capability=MIGRANTS)
    return float(qs.aggregate(s=Sum("budget_yuan"))["s"] or 0)
