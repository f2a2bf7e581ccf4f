"""Thin template views: caseload with worklists, case file with timeline, mobile contact
recording, programme statistics. Each calls one selector or service."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gridgov.care import access, codes, selectors, services
from gridgov.core.errors import Forbidden, GridgovError, NotFound
from gridgov.core.i18n import exc_message, message_of
from gridgov.core.pages import page_view


def _tabs(user) -> list[dict]:
    return [{"code": p, "name": codes.programme(p).name} for p in access.held_programmes(user)]


@page_view
def caseload(request):
    if access.figures_only(request.user):
        return redirect("care:area_statistics")  # a 综治中心: figures, no files
    held = access.require_any(request.user)
    programme = request.GET.get("programme") or held[0]
    status = request.GET.get("status", "active")
    page = selectors.enrolment_list(request.user, programme, status=status, limit=100)
    work = selectors.worklist(request.user)
    return render(request, "care/caseload.html", {
        "tabs": _tabs(request.user), "programme": programme,
        "programme_name": codes.programme(programme).name, "status": status, "page": page, "work": work,
    })


@page_view
def case_file(request, programme: str, enrolment_id: int):
    file = selectors.enrolment_file(request.user, programme, enrolment_id)
    return render(request, "care/case_file.html", {"f": file, "programme": programme})


def _error_text(exc: GridgovError) -> str:
    details = getattr(exc, "details", None)
    return message_of(details[0]) if details else exc_message(exc)


@page_view
@require_http_methods(["POST"])
def transfer_offer(request, programme: str, enrolment_id: int):
    """The sending worker offers the case to the community the person moved to (by hand)."""
    try:
        services.transfer_offer(actor=request.user, programme=programme, enrolment_id=enrolment_id,
                                to_grid_code=request.POST.get("to_grid_code", ""),
                                reason=request.POST.get("reason", ""))
        messages.success(request, _("The case is offered to the receiving community."))
    except (Forbidden, NotFound):
        raise
    except GridgovError as exc:
        messages.error(request, _error_text(exc))
    return redirect("care:case_file", programme=programme, enrolment_id=enrolment_id)


@page_view
@require_http_methods(["POST"])
def transfer_accept(request, programme: str, transfer_id: int):
    """The receiving worker accepts a transfer: the case joins their caseload."""
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        messages.error(request, _("The page is out of date; reload it and try again."))
        return redirect("care:caseload")
    try:
        e = services.transfer_accept(actor=request.user, programme=programme, transfer_id=transfer_id,
                                     version=version)
    except (Forbidden, NotFound):
        raise
    except GridgovError as exc:
        messages.error(request, _error_text(exc))
        return redirect("care:caseload")
    messages.success(request, _("Transfer accepted: the case is now in your caseload."))
    return redirect("care:case_file", programme=programme, enrolment_id=e.pk)


@page_view
def area_statistics(request):
    """综治中心 figures: per area, the caseload per programme and the alerts (counts only)."""
    try:
        level = int(request.GET.get("area_level", "9"))
        stats = selectors.area_statistics(request.user, area_level=level)
    except (Forbidden, NotFound):
        raise
    except (GridgovError, ValueError):
        stats = selectors.area_statistics(request.user, area_level=9)
    return render(request, "care/area_statistics.html", {"s": stats})


@page_view
@require_http_methods(["GET", "POST"])
def contact_mobile(request, programme: str, enrolment_id: int):
    """Contact recording on a phone: one scheduled contact to complete (or an unscheduled one)."""
    error = ""
    today = timezone.localdate()
    if request.method == "POST":
        try:
            contact_id = request.POST.get("contact_id") or None
            services.contact_record(
                actor=request.user, programme=programme, enrolment_id=enrolment_id,
                kind=request.POST.get("kind", ""), notes=request.POST.get("notes", ""),
                done_on=date.fromisoformat(request.POST.get("done_on") or today.isoformat()),
                contact_id=int(contact_id) if contact_id else None,
                client_uuid=request.POST.get("client_uuid") or None)
            return redirect("care:case_file", programme=programme, enrolment_id=enrolment_id)
        except (Forbidden, NotFound):
            raise
        except (GridgovError, ValueError) as exc:
            error = getattr(exc, "message", None) or _("Please check the date.")
    file = selectors.enrolment_file(request.user, programme, enrolment_id)
    open_contacts = [c for c in file["contacts"] if c["status"] in ("scheduled", "overdue")][:10]
    return render(request, "care/contact_mobile.html", {
        "f": file, "programme": programme, "open_contacts": open_contacts,
        "kinds": [("visit", _("home visit")), ("phone", _("phone call")), ("report_in", _("report-in"))],
        "today": today, "error": error, "client_uuid": uuid.uuid4(),
    })


@page_view
def statistics(request, programme: str):
    try:
        level = int(request.GET.get("area_level", "9"))
        stats = selectors.programme_statistics(request.user, programme, area_level=level)
    except (Forbidden, NotFound):
        raise
    except (GridgovError, ValueError):
        stats = selectors.programme_statistics(request.user, programme, area_level=9)
    return render(request, "care/statistics.html", {"s": stats, "tabs": _tabs(request.user),
                                                    "programme": programme})
