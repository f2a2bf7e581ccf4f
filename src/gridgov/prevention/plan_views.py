"""Pages of the weekly patrol plan: the district's proposal for next week with its reasons per grid,
accepted or edited by the police; the realised patrol hours beside it. Thin: parse, call one
selector or service, render."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import has_capability
from gridgov.core.errors import Forbidden, GridgovError, NotFound
from gridgov.core.i18n import text_of
from gridgov.core.pages import page_view
from gridgov.geo.selectors import place_name
from gridgov.prevention import plan_selectors, plan_services
from gridgov.prevention.views import can_staffing

#: reason code -> sentence (plan_services.line_reasons gives the code and its numbers)
REASONS = {
    "above_mean": gettext_lazy("Estimated rate %(risk)s per week (90%% interval %(low)s–%(high)s) is above the "
                               "area mean %(mean)s"),
    "below_mean": gettext_lazy("Estimated rate %(risk)s per week (90%% interval %(low)s–%(high)s) is below the "
                               "area mean %(mean)s"),
    "near_mean": gettext_lazy("Estimated rate %(risk)s per week (90%% interval %(low)s–%(high)s), not clearly "
                              "different from the area mean %(mean)s"),
    "discovered_corrected": gettext_lazy("%(discovered)s incidents found by patrols over %(hours)s patrol hours "
                                         "(area mean %(mean_hours)s): counted per patrol hour, so heavy patrolling "
                                         "alone does not raise the estimate"),
    "discovered_unexposed": gettext_lazy("%(discovered)s incidents found by patrols without recorded patrol hours: "
                                         "not counted (no exposure to correct them by)"),
    "explore": gettext_lazy("Little recent patrol exposure (%(recent)s hours in 4 weeks, area mean %(mean_recent)s): "
                            "%(units)s units from the exploration share"),
    "floor": gettext_lazy("Raised to the floor of %(floor)s units per grid"),
    "cap": gettext_lazy("Limited to the cap of %(cap)s units per grid"),
}


def reason_text(reason: dict) -> str:
    template = REASONS.get(reason.get("code", ""))
    if template is None:
        return ""
    return str(template) % reason.get("params", {})


def _week(raw: str | None) -> date:
    try:
        return plan_services.monday(date.fromisoformat(raw)) if raw else plan_services.next_week()
    except ValueError:
        return plan_services.next_week()


def _float(raw: str | None, default: float | None) -> float | None:
    raw = (raw or "").strip()
    if not raw:
        return default
    return float(raw)


@page_view
def plan(request):
    area = plan_selectors.default_area(request.user)
    week = _week(request.GET.get("week"))
    current = plan_selectors.plan_for_week(request.user, area_code=area, week_start=week)
    can_manage = has_capability(request.user, plan_services.MANAGE)
    covering = None
    if current is None:  # the district's plan, its lines of the user's own grids (read only here)
        covering = plan_selectors.plan_covering(request.user, area_code=area, week_start=week)
    context = {"area": area, "week": week, "week_end": week + timedelta(days=6),
               "previous_week": week - timedelta(days=7), "next_week": week + timedelta(days=7),
               "can_manage": can_manage, "plan": current, "default_units": 20,
               "can_staffing": can_staffing(request.user)}
    if covering is not None:
        detail = plan_selectors.plan_detail(request.user, covering, within=True)
        for row in detail["rows"]:
            row["reasons"] = [t for t in (reason_text(r) for r in row["line"].reasons) if t]
        context.update(detail)
        context.update({"covering": True, "can_manage": False, "own_area_name": place_name(area),
                        "area": covering.area_code})
    elif current is not None:
        detail = plan_selectors.plan_detail(request.user, current)
        for row in detail["rows"]:
            row["reasons"] = [t for t in (reason_text(r) for r in row["line"].reasons) if t]
        context.update(detail)
    else:
        context["area_name"] = place_name(area)
    return render(request, "prevention/plan.html", context)


def _back(week: date):
    return redirect(f"{reverse('prevention:plan')}?week={week.isoformat()}")


@require_POST
@page_view
def plan_propose(request):
    week = _week(request.POST.get("week"))
    try:
        units = _float(request.POST.get("units"), None)
        exploration = _float(request.POST.get("exploration"), 15.0)
        floor = _float(request.POST.get("floor"), 0.0)
        cap = _float(request.POST.get("cap"), None)
    except ValueError:
        messages.error(request, _("Units, exploration, floor and cap must be numbers."))
        return _back(week)
    if units is None:
        messages.error(request, _("Say how many patrol units to place."))
        return _back(week)
    try:
        plan_services.plan_propose(actor=request.user, area_code=plan_selectors.default_area(request.user),
                                   week_start=week, units=units, exploration=(exploration or 0.0) / 100,
                                   floor=floor or 0.0, cap=cap, seed=week.toordinal())
        messages.success(request, _("The plan was proposed."))
    except (NotFound, Forbidden):
        raise
    except GridgovError as exc:
        messages.error(request, text_of(exc))
    return _back(week)


@require_POST
@page_view
def plan_accept(request, plan_id: int):
    current = plan_selectors.plan_get(request.user, plan_id)
    try:
        plan_services.plan_accept(actor=request.user, plan_id=current.pk,
                                  version=int(request.POST.get("version", "0") or 0),
                                  note=request.POST.get("note", ""))
        messages.success(request, _("The plan was accepted."))
    except (NotFound, Forbidden):
        raise
    except GridgovError as exc:
        messages.error(request, text_of(exc))
    return _back(current.week_start)


@require_POST
@page_view
def plan_edit(request, plan_id: int):
    current = plan_selectors.plan_get(request.user, plan_id)
    units: dict[str, float] = {}
    for key, value in request.POST.items():
        if key.startswith("units_"):
            try:
                units[key.removeprefix("units_")] = float(value)
            except ValueError:
                messages.error(request, _("Grid %(grid)s: “%(value)s” is not a number.")
                               % {"grid": key.removeprefix("units_"), "value": value[:20]})
                return _back(current.week_start)
    try:
        plan_services.plan_edit(actor=request.user, plan_id=current.pk,
                                version=int(request.POST.get("version", "0") or 0), units=units,
                                note=request.POST.get("note", ""))
        messages.success(request, _("The changed plan was saved and accepted."))
    except (NotFound, Forbidden):
        raise
    except GridgovError as exc:
        messages.error(request, text_of(exc))
    return _back(current.week_start)
