"""Pages of the public-concern response: list, record, detail (statements, related events).
Thin: parse the form, call one service or selector, render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scope import has_capability, require_capability
from gridgov.core.errors import GridgovError, NotFound
from gridgov.core.i18n import texts_of
from gridgov.core.pages import page_view
from gridgov.desk import concern_selectors as selectors
from gridgov.desk import concern_services as services
from gridgov.desk.models import PublicConcern, Statement

STATUS_FILTERS = (("", _("All")), ("open", _("Awaiting first response")), ("responding", _("Follow-up due")),
                  ("escalated", _("Escalated (overdue)")), ("closed", _("Closed")))
COLOUR_LABELS = {"green": _("on time"), "yellow": _("due soon"), "red": _("overdue"), "": ""}


@page_view
def concern_list(request):
    status = request.GET.get("status", "")
    rows = selectors.concern_rows(request.user, status=status)
    for row in rows:
        row["colour_label"] = COLOUR_LABELS[row["clock"].colour]
    return render(request, "desk/concern_list.html", {
        "rows": rows, "status": status, "filters": STATUS_FILTERS, "counts": selectors.concern_counts(request.user),
        "can_write": has_capability(request.user, services.CAPABILITY)})


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise NotFound("public concern %(id)s not found", params={"id": value}) from None


@page_view
def concern_new(request):
    spokespersons = selectors.spokespersons_for(request.user)
    errors: list[str] = []
    if request.method == "POST":
        data = request.POST
        chosen = next((u for u in spokespersons if str(u.pk) == data.get("spokesperson")), None)
        try:
            if chosen is None:
                raise GridgovError("choose the responsible spokesperson")
            concern = services.concern_open(
                actor=request.user, title=data.get("title", ""), public_text=data.get("public_text", ""),
                source=data.get("source", ""), source_link=data.get("source_link", ""),
                source_description=data.get("source_description", ""), area_code=data.get("area_code", ""),
                spokesperson=chosen, first_response_hours=data.get("first_response_hours", "4"),
                follow_up_hours=data.get("follow_up_hours", "24"))
        except GridgovError as exc:
            errors = texts_of(exc)
        else:
            messages.success(request, gettext("Recorded. The first response is due by %(due)s.") % {
                "due": concern.due_at.astimezone().strftime("%Y-%m-%d %H:%M") if concern.due_at else ""})
            return redirect("desk:concern_detail", concern.pk)
    else:
        require_capability(request.user, services.CAPABILITY)
    return render(request, "desk/concern_form.html", {
        "sources": PublicConcern.Source.choices, "spokespersons": spokespersons, "errors": errors,
        "form": request.POST if request.method == "POST" else {"first_response_hours": "4", "follow_up_hours": "24"},
        "areas": _capture_areas(request.user)})


def _capture_areas(user) -> list[dict]:
    from gridgov.accounts.scope import user_prefixes
    from gridgov.geo.selectors import place_name

    return [{"code": p, "name": place_name(p)} for p in user_prefixes(user, services.CAPABILITY, purpose="write")]


@page_view
def concern_detail(request, concern_id: int):
    concern = selectors.concern_get(request.user, concern_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "link_case":
                services.concern_link_case(actor=request.user, concern_id=concern.pk,
                                           case_id=_int(request.POST.get("case_id")))
                messages.success(request, gettext("The event is linked."))
            else:
                services.statement_publish(actor=request.user, concern_id=concern.pk,
                                           kind=request.POST.get("kind", ""), text=request.POST.get("text", ""),
                                           version=int(request.POST.get("version") or 0))
                messages.success(request, gettext("The statement is published."))
            return redirect("desk:concern_detail", concern.pk)
        except GridgovError as exc:
            errors = texts_of(exc)
    clock = selectors.clock(concern)
    kinds = [(k, label) for k, label in Statement.Kind.choices if (concern.status, k) in services.TRANSITIONS]
    return render(request, "desk/concern_detail.html", {
        "concern": concern, "clock": clock, "colour_label": COLOUR_LABELS[clock.colour],
        "statements": concern.statements.select_related("published_by"),
        "events": concern.events.select_related("actor"), "cases": concern.related_cases.select_related("category"),
        "kinds": kinds, "errors": errors,
        "can_write": has_capability(request.user, services.CAPABILITY) and concern.status != "closed"})


