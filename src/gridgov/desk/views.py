"""Thin template views of the desk: the intake page with the day's list and figures, a request
with its timeline across modules and the closure with satisfaction, permit review and renewal
reminders, service referrals, social-work projects. Each calls one selector or service."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gridgov.accounts.scope import has_capability, prefix_matcher
from gridgov.cases import selectors as case_selectors
from gridgov.core.errors import FieldError, Forbidden, GridgovError, NotFound
from gridgov.core.i18n import text_of
from gridgov.core.pages import page_view
from gridgov.desk import selectors, services
from gridgov.desk.models import PERMIT_DOCUMENTS, DeskRequest, ServiceReferral
from gridgov.geo import selectors as geo_selectors
from gridgov.registry import codes as registry_codes
from gridgov.registry import selectors as registry_selectors


def _capture_grids(user) -> list[dict]:
    inside = prefix_matcher(user, services.INTAKE, purpose="write")
    return [{"code": g.code, "name": g.name} for g in geo_selectors.grids_visible(user).order_by("code")[:400]
            if inside(g.code)]


def _page(request, template: str, on: str, ctx: dict):
    user = request.user
    return render(request, template, {**ctx, "on": on, "perms_intake": has_capability(user, services.INTAKE),
                                      "perms_migrants": has_capability(user, services.MIGRANTS),
                                      "perms_command": has_capability(user, "command.view")})


def _int(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else value
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldError("id", "not a number") from None


@page_view
def home(request):
    """The desk: figures, intake form (with the scoped, audited resident search) and the day's list."""
    user = request.user
    q = request.GET.get("q", "")[:64]
    chosen = None
    results: list[dict] = []
    try:
        results = selectors.resident_search(user, q=q) if q else []
        pid = _int(request.GET.get("person"))
        if pid is not None:
            chosen = registry_selectors.person_brief(registry_selectors.person_get(user, pid))
    except FieldError as exc:
        messages.error(request, text_of(exc))
    day = selectors.daily_list(user)
    return _page(request, "desk/home.html", "home", {
        "q": q, "results": results, "chosen": chosen, "day": day,
        "figures": selectors.desk_figures(user, ""), "actions": selectors.desk_actions(user, "")[:12],
        "kinds": DeskRequest.Kind.choices, "channels": DeskRequest.Channel.choices,
        "categories": list(case_selectors.categories(leaves_only=True)), "grids": _capture_grids(user),
        "conditions": registry_codes.PERMIT_CONDITION.items(), "documents": PERMIT_DOCUMENTS.items(),
        "referral_kinds": ServiceReferral.Kind.choices, "providers": selectors.providers(user),
    })


@page_view
@require_http_methods(["POST"])
def receive(request):
    p = request.POST
    try:
        house_id = None
        if p.get("kind") == "residence" and p.get("house_code", "").strip():
            house = registry_selectors.house_search(request.user, q=p["house_code"].strip()).first()
            if house is None:
                raise FieldError("house_code", "no house with that code in your jurisdiction", code="unknown")
            house_id = house.pk
        r = services.request_receive(
            actor=request.user, channel=p.get("channel", ""), kind=p.get("kind", ""), text=p.get("text", ""),
            person_id=_int(p.get("person_id")), visitor_name=p.get("visitor_name", ""),
            visitor_phone=p.get("visitor_phone", ""), grid_code=p.get("grid_code", ""),
            category_code=p.get("category_code", ""), address=p.get("address", ""), house_id=house_id,
            condition=p.get("condition", ""), documents=p.getlist("documents"),
            organisation_id=_int(p.get("organisation_id")), referral_kind=p.get("referral_kind", ""),
            answer=p.get("answer", ""))
    except (Forbidden, NotFound):
        raise
    except GridgovError as exc:
        messages.error(request, text_of(exc))
        return redirect("desk:home")
    messages.success(request, _("Received. Receipt number %(receipt)s, promised by %(date)s.")
                     % {"receipt": r.receipt, "date": r.promised_at.astimezone().strftime("%Y-%m-%d %H:%M")})
    return redirect("desk:request", r.pk)


@page_view
def request_detail(request, request_id: int):
    return _page(request, "desk/request.html", "home", {"r": selectors.request_detail(request.user, request_id)})


@page_view
@require_http_methods(["POST"])
def close(request, request_id: int):
    try:
        services.request_close(actor=request.user, request_id=request_id, version=int(request.POST.get("version", 0)),
                               satisfaction=request.POST.get("satisfaction", ""), note=request.POST.get("note", ""))
        messages.success(request, _("The request is closed."))
    except (Forbidden, NotFound):
        raise
    except GridgovError as exc:
        messages.error(request, text_of(exc))
    return redirect("desk:request", request_id)


@page_view
def permits(request):
    user = request.user
    apps = [selectors.application_row(a) for a in selectors.applications(user)[:200]]
    decided = [selectors.application_row(a) for a in selectors.applications(user, status="").exclude(
        status="submitted").order_by("-decided_on", "-id")[:20]]
    return _page(request, "desk/permits.html", "permits", {"apps": apps, "decided": decided,
                                                 "reminders": selectors.renewal_reminders(user)})


@page_view
@require_http_methods(["POST"])
def review(request, application_id: int):
    approve = request.POST.get("decision") == "approve"
    try:
        services.permit_review(actor=request.user, application_id=application_id,
                               version=int(request.POST.get("version", 0)), approve=approve,
                               note=request.POST.get("note", ""), documents=request.POST.getlist("documents"))
        messages.success(request, _("The permit is issued.") if approve else _("The application is rejected."))
    except (Forbidden, NotFound):
        raise
    except GridgovError as exc:
        messages.error(request, text_of(exc))
    return redirect("desk:permits")


@page_view
def reminders(request):
    """Renewal reminders: the grid worker's list (mobile) and the desk's."""
    return _page(request, "desk/reminders.html", "reminders", {"reminders": selectors.renewal_reminders(request.user)})


@page_view
def referrals(request):
    return _page(request, "desk/referrals.html", "referrals", {"rows": selectors.referrals(request.user),
                                                   "statuses": ServiceReferral.Status.choices})


@page_view
@require_http_methods(["POST"])
def referral_record(request, referral_id: int):
    try:
        services.referral_record(actor=request.user, referral_id=referral_id,
                                 version=int(request.POST.get("version", 0)), status=request.POST.get("status", ""),
                                 outcome=request.POST.get("outcome", ""))
        messages.success(request, _("The outcome is recorded."))
    except (Forbidden, NotFound):
        raise
    except GridgovError as exc:
        messages.error(request, text_of(exc))
    return redirect("desk:referrals")


@page_view
def projects(request):
    return _page(request, "desk/projects.html", "projects", {"projects": selectors.projects(request.user),
                                                  "can_record": has_capability(request.user, services.MIGRANTS)})


@page_view
@require_http_methods(["POST"])
def output_record(request, output_id: int):
    try:
        services.output_record(actor=request.user, output_id=output_id,
                               on=date.fromisoformat(request.POST.get("on", "")) if request.POST.get("on") else date.today(),
                               quantity=int(request.POST.get("quantity") or 0), note=request.POST.get("note", ""))
        messages.success(request, _("The output is recorded."))
    except (Forbidden, NotFound):
        raise
    except (GridgovError, ValueError) as exc:
        messages.error(request, text_of(exc) if isinstance(exc, GridgovError) else _("Give a date and a quantity."))
    return redirect("desk:projects")
