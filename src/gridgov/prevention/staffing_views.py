"""The staffing review page (统筹均衡配置): the ratio table per street with outliers marked, and
the form that sets a station's numbers (``prevention.manage``). Thin."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import has_capability
from gridgov.core.errors import Forbidden, GridgovError, NotFound
from gridgov.core.i18n import text_of
from gridgov.core.pages import page_view
from gridgov.prevention import staffing_selectors, staffing_services


@page_view
def staffing(request):
    review = staffing_selectors.staffing_review(request.user)
    return render(request, "prevention/staffing.html", {
        **review, "can_manage": has_capability(request.user, staffing_services.MANAGE),
        "today": timezone.localdate(), "can_staffing": True,
    })


@require_POST
@page_view
def staffing_save(request):
    try:
        police = int(request.POST.get("police", ""))
        auxiliary = int(request.POST.get("auxiliary", ""))
        as_of = date.fromisoformat(request.POST.get("as_of", "") or timezone.localdate().isoformat())
    except ValueError:
        messages.error(request, _("Police and auxiliary police must be whole numbers and the date a date."))
        return redirect("prevention:staffing")
    try:
        staffing_services.staffing_set(actor=request.user, station=request.POST.get("station", ""),
                                       street_code=(request.POST.get("street_code", "") or "").strip(),
                                       police=police, auxiliary=auxiliary, as_of=as_of)
        messages.success(request, _("The staffing numbers were saved."))
    except (NotFound, Forbidden):
        raise
    except GridgovError as exc:
        messages.error(request, text_of(exc))
    return redirect("prevention:staffing")
