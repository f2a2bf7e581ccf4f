"""Every read of the weekly patrol plans. First argument: the acting user; plans are scoped on
``area_code`` with ``prevention.view`` (outside -> 404, without the capability -> 403)."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from gridgov.accounts.models import User
from gridgov.accounts.scope import require_capability, scoped, user_prefixes
from gridgov.core.errors import NotFound
from gridgov.geo import selectors as geo_selectors
from gridgov.prevention.models import PatrolPlan
from gridgov.prevention.patrols import patrol_hours_by_grid

VIEW = "prevention.view"


def prefixes(user: User) -> list[str]:
    require_capability(user, VIEW)
    return user_prefixes(user, VIEW)


def default_area(user: User) -> str:
    """The area a user plans for: their first jurisdiction (a district centre or police station:
    the district; a street centre: the street)."""
    own = prefixes(user)
    if not own:
        raise NotFound("no jurisdiction")
    return own[0]


def plans(user: User) -> QuerySet[PatrolPlan]:
    return scoped(PatrolPlan.objects.all(), user, field="area_code", capability=VIEW)


def plan_for_week(user: User, *, area_code: str, week_start: date) -> PatrolPlan | None:
    return plans(user).filter(area_code=area_code, week_start=week_start).first()


def plan_covering(user: User, *, area_code: str, week_start: date) -> PatrolPlan | None:
    """The plan of a larger area holding ``area_code`` for that week (a street's or a grid worker's
    view of the district's plan), or None. Its lines are read through ``plan_detail(..., within=)``
    restricted to the user's own grids; the plan itself is not the user's to decide."""
    require_capability(user, VIEW)
    ancestors = [area_code[:n] for n in (6, 9, 12) if n < len(area_code)]
    return (PatrolPlan.objects.filter(area_code__in=ancestors, week_start=week_start)
            .order_by("-area_code").first() if ancestors else None)


def plan_get(user: User, plan_id: int) -> PatrolPlan:
    plan = plans(user).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound("plan not found")
    return plan


def plan_detail(user: User, plan: PatrolPlan, *, within: bool = False) -> dict:
    """The plan's lines (ordered by units, largest first) with grid names and the realised patrol
    hours of the planned week from the patrol logs, each as a share beside the plan's share.
    ``within``: only the lines of grids in the user's jurisdiction (a larger area's plan)."""
    own = prefixes(user)
    lines = list(plan.lines.all())
    if within:
        lines = [line for line in lines if any(line.grid_code.startswith(p) for p in own)]
    names = geo_selectors.place_names([line.grid_code for line in lines])
    realised = patrol_hours_by_grid(prefix=plan.area_code, week_start=plan.week_start)
    total_units = sum(line.units for line in lines) or 1.0
    total_hours = sum(realised.get(line.grid_code, 0.0) for line in lines)
    rows = []
    for line in sorted(lines, key=lambda x: (-x.units, x.grid_code)):
        hours = realised.get(line.grid_code, 0.0)
        rows.append({
            "line": line, "name": names.get(line.grid_code, ""), "changed": abs(line.units - line.proposed_units) > 1e-9,
            "share": 100 * line.units / total_units, "hours": hours,
            "hours_share": 100 * hours / total_hours if total_hours else None,
        })
    return {"plan": plan, "rows": rows, "total_units": sum(line.units for line in lines),
            "total_hours": total_hours, "area_name": geo_selectors.place_name(plan.area_code),
            "no_patrols": bool(lines) and all(line.patrol_hours == 0 for line in lines)}
