"""The home page after sign-in, built for the user's work (``gridgov.views.home`` calls ``home``).

- a 综治中心 (``command.view`` at street level or above): its command screen;
- a department handler: the department's open tasks by deadline colour;
- a desk officer (``desk.intake``): the one-stop desk (``desk:home``);
- a grid worker (or community staff, who report and check events): my grid, my tasks, my reports;
- a police station officer (safety and the prevention networks, no event reporting): the week's
  warnings in the area, next week's patrol plan, the venue rectifications by deadline and, when the
  officer also holds a care programme, its contacts due;
- a social worker: the caseload's contacts due this week and overdue;
- an auditor: the audit trail;
- anyone else: the memberships table and the modules (``home.html``).
The memberships table ("我的岗位") stays one link away from every home page (``positions``).

The order decides for a user of several roles: centre, department, desk officer, grid worker,
police officer, social worker, auditor. Reads go through the apps' selectors, scoped to the user."""

from __future__ import annotations

from collections import Counter

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.accounts.scope import has_capability
from gridgov.command import screen
from gridgov.core.pages import page_view

LIST_LIMIT = 10


def home_kind(user) -> str:
    """Which home page: screen | department | desk | grid | police | care | audit | generic."""
    if screen.home_area_code(user) is not None:
        return "screen"
    if has_capability(user, "cases.handle") and not has_capability(user, "cases.report"):
        from gridgov.cases.selectors import department_ids

        if department_ids(user):
            return "department"
    if has_capability(user, "desk.intake"):
        return "desk"
    if has_capability(user, "cases.report"):
        return "grid"
    if has_capability(user, "safety.view") and has_capability(user, "prevention.view"):
        return "police"
    from gridgov.care import access

    if access.held_programmes(user):
        return "care"
    if has_capability(user, "audit.view"):
        return "audit"
    return "generic"


def _case_rows(qs, limit: int = LIST_LIMIT) -> list[dict]:
    from gridgov.cases import selectors
    from gridgov.cases.views import STATE_LABELS

    cal = selectors.work_calendar()
    out = []
    for case in qs[:limit]:
        status = selectors.stage_status(case, cal=cal)
        out.append({"case": case, "colour": status.colour, "deadline": status.deadline,
                    "state_label": STATE_LABELS.get(case.state, case.state)})
    return out


def _grid_context(user) -> dict:
    from gridgov.cases import selectors
    from gridgov.geo.selectors import place_names

    cells = sorted({m.jurisdiction for m in user.active_memberships() if m.scope == "capture"})
    names = place_names(cells)
    grids = [{"code": c, "name": names.get(c, ""), "open": selectors.case_list(user, worklist="open", grid=c).count(),
              "url": reverse("cases:worklist", args=["open"]) + f"?grid={c}"} for c in cells]
    verify = selectors.case_list(user, worklist="verify") if has_capability(user, "cases.evaluate") else None
    mine = selectors.case_list(user, worklist="mine")
    return {"grids": grids, "all_grids": all(len(c) == 15 for c in cells),
            "verify_total": verify.count() if verify is not None else 0,
            "verify": _case_rows(verify) if verify is not None else [],
            "mine_total": mine.count(), "mine": _case_rows(mine)}


def _department_context(user) -> dict:
    from gridgov.cases import selectors
    from gridgov.cases.models import Department

    qs = selectors.case_list(user, worklist="department")
    rows = _case_rows(qs, limit=200)
    colours = Counter(r["colour"] or "green" for r in rows)
    departments = list(Department.objects.filter(pk__in=selectors.department_ids(user)).order_by("name")
                       .values_list("name", flat=True))
    return {"departments": departments, "total": qs.count(), "rows": rows[:50],
            "by_colour": [("red", _("overdue"), colours.get("red", 0)),
                          ("yellow", _("due soon"), colours.get("yellow", 0)),
                          ("green", _("on time"), colours.get("green", 0))]}


def _care_context(user) -> dict:
    from gridgov.care import selectors

    work = selectors.worklist(user)
    return {"due": work["due_this_week"][:50], "due_total": len(work["due_this_week"]),
            "overdue": work["overdue"][:50], "overdue_total": len(work["overdue"]),
            "alerts_total": len(work["alerts_open"]), "today": work["today"]}


def _police_context(user) -> dict:
    from gridgov.care import access
    from gridgov.prevention import plan_selectors, plan_services
    from gridgov.prevention import selectors as prevention

    area = plan_selectors.default_area(user)
    week = plan_services.next_week()
    plan = plan_selectors.plan_for_week(user, area_code=area, week_start=week)
    rows, open_total = prevention.inspection_rows(user, limit=5000)  # its own bound: 5,000 open items
    overdue_total = sum(1 for r in rows if r["colour"] == "red")
    context = {"warnings": screen.warning_tiles(user, area)[0], "warning_rows": screen.warning_actions(user, area),
               "plan": plan, "plan_week": week, "inspections": rows[:LIST_LIMIT], "inspections_total": open_total,
               "inspections_overdue": overdue_total, "care": None}
    if access.held_programmes(user):
        context["care"] = _care_context(user)
    return context


@page_view
def home(request):
    kind = home_kind(request.user)
    if kind == "screen":
        from gridgov.command.screen_views import area_screen
        from gridgov.core.errors import NotFound

        try:
            return area_screen(request, screen.home_area_code(request.user) or "")
        except NotFound:  # the area has no division row (no geography loaded yet): the plain home page
            return render(request, "home.html")
    if kind == "audit":
        return redirect("audit:trail")
    if kind == "desk":
        return redirect("desk:home")
    if kind == "department":
        return render(request, "command/home_department.html", _department_context(request.user))
    if kind == "grid":
        return render(request, "command/home_grid.html", _grid_context(request.user))
    if kind == "police":
        return render(request, "command/home_police.html", _police_context(request.user))
    if kind == "care":
        return render(request, "command/home_care.html", _care_context(request.user))
    return render(request, "home.html")


@page_view
def positions(request):
    """我的岗位: the memberships table and the modules (the former home page)."""
    return render(request, "home.html", {"positions_page": True})
