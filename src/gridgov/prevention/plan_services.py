"""Every write of the weekly patrol plan: propose (the allocation kernel on the area's history),
accept, edit. Keyword-only, atomic, audited; the police role (``prevention.manage``) decides.

The history a proposal reads, per grid and week of the ``history_weeks`` before the planned week:
reported and discovered incidents (safety selectors, scoped to the actor) and patrol hours from the
patrol logs (``patrols.patrol_hours_by_grid``). The kernel (``allocate.py``) counts discovered
incidents only per patrol hour, so the plan follows the estimated rate, not where patrols were.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.errors import Conflict, FieldError, NotFound
from gridgov.core.models import AuditAction
from gridgov.core.versioning import update_versioned
from gridgov.geo import selectors as geo_selectors
from gridgov.prevention import allocate
from gridgov.prevention.models import PatrolPlan, PatrolPlanLine
from gridgov.prevention.patrols import patrol_hours_by_grid
from gridgov.safety import selectors as safety_selectors
from gridgov.safety.models import Origin

MANAGE = "prevention.manage"
HISTORY_WEEKS = 12
MAX_UNITS = 10_000.0


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def next_week(today: date | None = None) -> date:
    return monday(today or timezone.localdate()) + timedelta(days=7)


def plan_history(*, actor: User, area_code: str, week_start: date, weeks: int = HISTORY_WEEKS) -> allocate.History:
    """The kernel's input for the grids of ``area_code`` visible to the actor: the ``weeks`` weeks
    before ``week_start`` (every grid appears in every week, zeros where nothing happened)."""
    grids = list(geo_selectors.grids_visible(actor).filter(code__startswith=area_code)
                 .order_by("code").values_list("code", flat=True))
    if not grids:
        raise NotFound("no grids in this area")
    first = week_start - timedelta(days=7 * weeks)
    periods = [first + timedelta(days=7 * i) for i in range(weeks)]
    col = {g: j for j, g in enumerate(grids)}
    row = {p: i for i, p in enumerate(periods)}
    reported = np.zeros((weeks, len(grids)))
    discovered = np.zeros((weeks, len(grids)))
    hours = np.zeros((weeks, len(grids)))
    counts = (safety_selectors.incidents(actor, area=area_code).filter(week_start__gte=first, week_start__lt=week_start)
              .order_by().values_list("grid_code", "week_start", "origin").annotate(n=Count("id")))
    for grid, week, origin, n in counts:
        if grid in col and week in row:
            target = discovered if origin == Origin.DISCOVERED else reported
            target[row[week], col[grid]] += n
    for p in periods:
        for grid, h in patrol_hours_by_grid(prefix=area_code, week_start=p).items():
            if grid in col:
                hours[row[p], col[grid]] += h
    return allocate.History(tuple(p.isoformat() for p in periods), tuple(grids), reported, discovered, hours,
                            np.ones((weeks, len(grids)), dtype=bool))


def line_reasons(*, risk: float, low: float, high: float, area_mean: float, discovered: int, hours: float,
                 mean_hours: float, recent: float, mean_recent: float, explore: float, units: float,
                 floor: float, cap: float | None) -> list[dict[str, Any]]:
    """Why a grid gets its units, as codes with numbers (pages translate them, plan_views.REASONS)."""
    out: list[dict[str, Any]] = []
    r = {"risk": f"{risk:.2f}", "mean": f"{area_mean:.2f}", "low": f"{low:.2f}", "high": f"{high:.2f}"}
    if area_mean > 0 and low > area_mean:
        out.append({"code": "above_mean", "params": r})
    elif area_mean > 0 and high < area_mean:
        out.append({"code": "below_mean", "params": r})
    else:
        out.append({"code": "near_mean", "params": r})
    if discovered and mean_hours > 0 and hours > 1.5 * mean_hours:
        out.append({"code": "discovered_corrected",
                    "params": {"discovered": discovered, "hours": f"{hours:.1f}", "mean_hours": f"{mean_hours:.1f}"}})
    if discovered and hours == 0:
        out.append({"code": "discovered_unexposed", "params": {"discovered": discovered}})
    if mean_recent > 0 and recent < 0.5 * mean_recent and explore > 0:
        out.append({"code": "explore", "params": {"recent": f"{recent:.1f}", "mean_recent": f"{mean_recent:.1f}",
                                                  "units": f"{explore:.2f}"}})
    # no patrol hours anywhere in the area: the exploration share is spread evenly, the page says so
    # once for the plan (plan_selectors.plan_detail: no_patrols), not on every line
    if floor > 0 and units <= floor + 1e-9:
        out.append({"code": "floor", "params": {"floor": floor}})
    if cap is not None and units >= cap - 1e-9:
        out.append({"code": "cap", "params": {"cap": cap}})
    return out


def _check_scope(actor: User, area_code: str) -> None:
    require_capability(actor, MANAGE)
    if not area_code.isdigit() or len(area_code) not in (6, 9, 12):
        raise FieldError("area_code", "expected a district, street or community code (6, 9 or 12 digits)",
                         code="invalid")
    if not code_in_scope(actor, area_code, capability=MANAGE, purpose="write"):
        raise NotFound("area not found")


@transaction.atomic
def plan_propose(*, actor: User, area_code: str, week_start: date, units: float, exploration: float = 0.15,
                 floor: float = 0.0, cap: float | None = None, seed: int = 0,
                 history_weeks: int = HISTORY_WEEKS) -> PatrolPlan:
    """Propose (or propose again, while still only proposed) the plan of ``area_code`` for the week
    of ``week_start``. An accepted plan is not replaced (Conflict)."""
    _check_scope(actor, area_code)
    week_start = monday(week_start)
    if not 0 < units <= MAX_UNITS:
        raise FieldError("units", "expected a number of units above 0 and at most %(max)s", code="range",
                         params={"max": int(MAX_UNITS)})
    if not 0 <= exploration <= 1:
        raise FieldError("exploration", "expected a share between 0 and 1", code="range")
    if floor < 0 or (cap is not None and cap < floor):
        raise FieldError("cap", "the cap must be at least the floor, the floor at least 0", code="range")
    history = plan_history(actor=actor, area_code=area_code, week_start=week_start, weeks=history_weeks)
    n = len(history.grids)
    if floor * n > units or (cap is not None and cap * n < units):
        raise FieldError("units", "%(n)s grids with floor %(floor)s and cap %(cap)s cannot take %(units)s units",
                         code="range", params={"n": n, "floor": floor, "cap": cap if cap is not None else "-",
                                               "units": units})
    plan_result = allocate.allocate(history, units=units, exploration=exploration, floor=floor, cap=cap, seed=seed)
    existing = PatrolPlan.objects.filter(area_code=area_code, week_start=week_start).first()
    if existing is not None and existing.status != PatrolPlan.Status.PROPOSED:
        raise Conflict("the plan of this week was already decided", code="plan_decided")
    risk = plan_result.risk
    area_mean = float(risk.mean.mean())
    fields: dict[str, Any] = {"units_total": units, "exploration": exploration, "floor": floor, "cap": cap, "seed": seed,
              "history_weeks": history_weeks, "kappa": risk.kappa, "area_mean": area_mean, "proposed_by": actor}
    if existing is not None:
        update_versioned(PatrolPlan, existing.pk, existing.version, **fields)
        plan = PatrolPlan.objects.get(pk=existing.pk)
        plan.lines.all().delete()
    else:
        plan = PatrolPlan.objects.create(area_code=area_code, week_start=week_start, **fields)
    totals_hours = history.hours.sum(axis=0)
    mean_hours = float(totals_hours.mean())
    mean_recent = float(plan_result.recent_hours.mean())
    units_out = allocate.round_to_sum(plan_result.units, units, decimals=2)
    lines = []
    for j, grid in enumerate(history.grids):
        discovered = int(history.discovered[:, j].sum())
        lines.append(PatrolPlanLine(
            plan=plan, grid_code=grid, units=float(units_out[j]), proposed_units=float(units_out[j]),
            explore_units=float(plan_result.explore[j]), risk=float(risk.mean[j]), risk_low=float(risk.low[j]),
            risk_high=float(risk.high[j]), reported=int(history.reported[:, j].sum()), discovered=discovered,
            patrol_hours=float(totals_hours[j]), recent_hours=float(plan_result.recent_hours[j]),
            reasons=line_reasons(risk=float(risk.mean[j]), low=float(risk.low[j]), high=float(risk.high[j]),
                                 area_mean=area_mean, discovered=discovered, hours=float(totals_hours[j]),
                                 mean_hours=mean_hours, recent=float(plan_result.recent_hours[j]),
                                 mean_recent=mean_recent, explore=float(plan_result.explore[j]),
                                 units=float(plan_result.units[j]), floor=floor, cap=cap)))
    PatrolPlanLine.objects.bulk_create(lines)
    audit_write(AuditAction.CREATE, actor=actor, object_type="prevention_plan", object_id=plan.pk,
                jurisdiction=area_code,
                changes={"week_start": week_start.isoformat(), "units": units, "exploration": exploration,
                         "floor": floor, "cap": cap, "grids": n, "replaced": existing is not None})
    return plan


def _decidable(actor: User, plan_id: int) -> PatrolPlan:
    require_capability(actor, MANAGE)
    plan = PatrolPlan.objects.filter(pk=plan_id).first()
    if plan is None or not code_in_scope(actor, plan.area_code, capability=MANAGE, purpose="write"):
        raise NotFound("plan not found")
    return plan


@transaction.atomic
def plan_accept(*, actor: User, plan_id: int, version: int, note: str = "") -> PatrolPlan:
    """Accept the proposal as it stands (or confirm an edited plan again)."""
    plan = _decidable(actor, plan_id)
    if plan.status == PatrolPlan.Status.ACCEPTED:
        raise Conflict("the plan is already accepted", code="plan_decided")
    status = PatrolPlan.Status.EDITED if plan.status == PatrolPlan.Status.EDITED else PatrolPlan.Status.ACCEPTED
    note = (note or "").strip()[:1000]
    update_versioned(PatrolPlan, plan.pk, version, message="the plan was changed by someone else; reload and try again",
                     status=status, decided_by=actor, decided_at=timezone.now(),
                     note=(plan.note + "\n" + note).strip() if note else plan.note)
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="prevention_plan", object_id=plan.pk,
                jurisdiction=plan.area_code, reason=note,
                changes={"action": "accept", "status": [plan.status, str(status)]})
    plan.refresh_from_db()
    return plan


@transaction.atomic
def plan_edit(*, actor: User, plan_id: int, version: int, units: dict[str, float], note: str) -> PatrolPlan:
    """Change the units of some grids (the police know things the model does not: events, works,
    a festival). A reason is required; every changed line is in the audit row. The plan becomes
    "accepted with changes"; its total follows the lines."""
    plan = _decidable(actor, plan_id)
    note = (note or "").strip()
    if not note:
        raise FieldError("note", "say why the plan is changed", code="required")
    lines = {line.grid_code: line for line in plan.lines.all()}
    changes: dict[str, list[float]] = {}
    for grid, value in units.items():
        if grid not in lines:
            raise FieldError("units", "grid %(grid)s is not in this plan", code="unknown", params={"grid": grid})
        if not (value == value) or value < 0 or value > MAX_UNITS:  # NaN, negative, absurd
            raise FieldError("units", "grid %(grid)s: expected units between 0 and %(max)s", code="range",
                             params={"grid": grid, "max": int(MAX_UNITS)})
        value = round(float(value), 2)
        if abs(value - lines[grid].units) > 1e-9:
            changes[grid] = [lines[grid].units, value]
    if not changes:
        raise FieldError("units", "no grid's units were changed", code="unchanged")
    for grid, (_old, new) in changes.items():
        PatrolPlanLine.objects.filter(pk=lines[grid].pk).update(units=new)
    total = sum(changes[g][1] if g in changes else line.units for g, line in lines.items())
    update_versioned(PatrolPlan, plan.pk, version, message="the plan was changed by someone else; reload and try again",
                     status=PatrolPlan.Status.EDITED, units_total=round(total, 2), decided_by=actor,
                     decided_at=timezone.now(), note=(plan.note + "\n" + note[:1000]).strip())
    audit_write(AuditAction.UPDATE, actor=actor, object_type="prevention_plan", object_id=plan.pk,
                jurisdiction=plan.area_code, reason=note[:1000],
                changes={"action": "edit", "status": [plan.status, PatrolPlan.Status.EDITED.value],
                         "units": changes, "units_total": [plan.units_total, round(total, 2)]})
    plan.refresh_from_db()
    return plan
