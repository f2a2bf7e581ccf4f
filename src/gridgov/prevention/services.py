"""Every write of the prevention networks: keyword-only, atomic, scoped to the actor's capture
jurisdiction, audited. Imports of whole sheets are in ``imports.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.errors import Conflict, ErrorReport, NotFound
from gridgov.core.models import AuditAction, SystemState
from gridgov.geo.models import Grid

from . import venueflow
from .models import Camera, DefenceActivity, DefenceTeam, Inspection, PatrolLog, PatrolUnit, Venue

VIEW = "prevention.view"
LOG = "prevention.log"
MANAGE = "prevention.manage"
MAX_LOG_HOURS = 24
#: ``core.SystemState`` key of the camera set's version: ``{"version": n, "token": hex}``
CAMERA_VERSION_KEY = "prevention:cameras"


def _writable(actor: User, code: str, capability: str) -> bool:
    return code_in_scope(actor, code, capability=capability, purpose="write")


def _unit_for(actor: User, unit_id: int) -> PatrolUnit:
    unit = PatrolUnit.objects.filter(pk=unit_id).first()
    if unit is None or not _writable(actor, unit.area_code, LOG):
        raise NotFound("patrol unit not found", code="not_found")
    return unit


@transaction.atomic
def patrol_log_create(*, actor: User, unit_id: int, started_at: dt.datetime, ended_at: dt.datetime,
                      grids_visited: Sequence[str] = (), track: Sequence[Sequence[float]] = (),
                      note: str = "") -> PatrolLog:
    """Record one patrol. The grids visited must lie in the unit's area and the actor's capture
    jurisdiction; the patrol lasts more than 0 and at most 24 hours."""
    require_capability(actor, LOG)
    unit = _unit_for(actor, unit_id)
    report = ErrorReport()
    if ended_at <= started_at:
        report.add("ended_at", "the end must be after the start", code="order")
    elif (ended_at - started_at).total_seconds() > MAX_LOG_HOURS * 3600:
        report.add("ended_at", "a patrol log covers at most %(hours)s hours", code="too_long",
                   params={"hours": MAX_LOG_HOURS})
    if started_at > timezone.now() + dt.timedelta(minutes=10):
        report.add("started_at", "the start lies in the future", code="future")
    visited = list(dict.fromkeys(str(g).strip() for g in grids_visited if str(g).strip()))
    known = set(Grid.objects.filter(code__in=visited).values_list("code", flat=True))
    for code in visited:
        if code not in known:
            report.add("grids_visited", "%(code)s is not a grid code", code="unknown", params={"code": code})
        elif not code.startswith(unit.area_code) or not _writable(actor, code, LOG):
            report.add("grids_visited", "grid %(code)s is outside the unit's area or your jurisdiction",
                       code="outside", params={"code": code})
    points = []
    for i, p in enumerate(track):
        try:
            lon, lat = float(p[0]), float(p[1])
        except (TypeError, ValueError, IndexError):
            report.add("track", "point %(index)s is not a pair of numbers", code="invalid", params={"index": i + 1})
            continue
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            report.add("track", "point %(index)s is not a pair of numbers", code="invalid", params={"index": i + 1})
            continue
        points.append([lon, lat])
    if not visited and not points:
        report.add("grids_visited", "name the grids visited or give track points", code="required")
    report.raise_if_any("patrol log rejected")
    log = PatrolLog.objects.create(unit=unit, area_code=unit.area_code, started_at=started_at, ended_at=ended_at,
                                   grids_visited=visited, track=points, note=note[:200], created_by=actor)
    audit_write(AuditAction.CREATE, actor=actor, object_type="patrol_log", object_id=log.pk,
                jurisdiction=unit.area_code,
                changes={"unit": unit.code, "started_at": started_at.isoformat(), "ended_at": ended_at.isoformat(),
                         "grids": visited, "track_points": len(points)})
    return log


@transaction.atomic
def defence_activity_create(*, actor: User, team_id: int, started_at: dt.datetime, hours: float, people: int = 1,
                            summary: str = "") -> DefenceActivity:
    require_capability(actor, LOG)
    team = DefenceTeam.objects.filter(pk=team_id).first()
    if team is None or not _writable(actor, team.grid_code, LOG):
        raise NotFound("defence team not found", code="not_found")
    report = ErrorReport()
    if not 0 < hours <= MAX_LOG_HOURS:
        report.add("hours", "hours must lie between 0 and %(hours)s", code="range", params={"hours": MAX_LOG_HOURS})
    if people < 1:
        report.add("people", "at least one person", code="range")
    if started_at > timezone.now() + dt.timedelta(minutes=10):
        report.add("started_at", "the start lies in the future", code="future")
    report.raise_if_any("defence activity rejected")
    act = DefenceActivity.objects.create(team=team, grid_code=team.grid_code, started_at=started_at, hours=hours,
                                         people=people, summary=summary[:200], created_by=actor)
    audit_write(AuditAction.CREATE, actor=actor, object_type="defence_activity", object_id=act.pk,
                jurisdiction=team.grid_code, changes={"team": team.code, "hours": hours, "people": people})
    return act


@transaction.atomic
def inspection_record(*, actor: User, venue_id: int, inspected_on: dt.date, findings: str = "",
                      deadline: dt.date | None = None) -> Inspection:
    """An inspection: with a rectification deadline it opens the loop (rectifying), else it passed."""
    require_capability(actor, MANAGE)
    venue = Venue.objects.filter(pk=venue_id).first()
    if venue is None or not _writable(actor, venue.grid_code, MANAGE):
        raise NotFound("venue not found", code="not_found")
    report = ErrorReport()
    if inspected_on > timezone.localdate():
        report.add("inspected_on", "the date lies in the future", code="future")
    if deadline is not None and deadline < inspected_on:
        report.add("deadline", "the deadline lies before the inspection", code="order")
    if deadline is not None and not findings.strip():
        report.add("findings", "a rectification needs the findings", code="required")
    report.raise_if_any("inspection rejected")
    state = venueflow.RECTIFYING if deadline else venueflow.PASSED
    ins = Inspection.objects.create(venue=venue, grid_code=venue.grid_code, inspected_on=inspected_on,
                                    findings=findings, state=state, deadline=deadline, created_by=actor)
    audit_write(AuditAction.CREATE, actor=actor, object_type="inspection", object_id=ins.pk,
                jurisdiction=venue.grid_code, changes={"venue": venue.code, "state": state,
                                                       "deadline": deadline.isoformat() if deadline else None})
    return ins


@transaction.atomic
def inspection_transition(*, actor: User, inspection_id: int, action: str, version: int, note: str = "") -> Inspection:
    """One step of the closed loop (``venueflow.TRANSITIONS``); a stale version is a conflict."""
    require_capability(actor, MANAGE)
    ins = Inspection.objects.filter(pk=inspection_id).first()
    if ins is None or not _writable(actor, ins.grid_code, MANAGE):
        raise NotFound("inspection not found", code="not_found")
    target = venueflow.next_state(ins.state, action)
    if target is None:
        raise Conflict("the step %(action)s is not possible from %(state)s", code="bad_transition",
                       params={"action": action, "state": ins.state})
    updated = Inspection.objects.filter(pk=ins.pk, version=version, state=ins.state).update(
        state=target, version=version + 1)
    if not updated:
        raise Conflict("the inspection was changed meanwhile: reload it", code="stale")
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="inspection", object_id=ins.pk,
                jurisdiction=ins.grid_code, reason=note[:200], changes={"state": [ins.state, target]})
    ins.refresh_from_db()
    return ins


@transaction.atomic
def inspections_expire(*, today: dt.date | None = None) -> int:
    """The daily sweep: rectifications past their deadline become overdue (audited, system actor)."""
    today = today or timezone.localdate()
    ids = list(Inspection.objects.filter(state=venueflow.RECTIFYING, deadline__lt=today).values_list("pk", flat=True))
    if ids:
        Inspection.objects.filter(pk__in=ids, state=venueflow.RECTIFYING).update(state=venueflow.OVERDUE)
        audit_write(AuditAction.TRANSITION, object_type="inspection", object_id=f"{len(ids)} rows",
                    changes={"state": [venueflow.RECTIFYING, venueflow.OVERDUE], "ids": ids[:50]})
    return len(ids)


def cameras_bump_version() -> None:
    """Tell every process that the camera set changed: a new version number and token. The cached
    camera coverage of the gap page (``selectors.camera_shares``) is keyed by it, so every camera
    write calls this (the services, the sheet import, the demo; ``apps.py`` connects it to a single
    camera's save and delete too)."""
    from uuid import uuid4

    with transaction.atomic():
        SystemState.objects.get_or_create(key=CAMERA_VERSION_KEY, defaults={"value": {"version": 0}})
        state = SystemState.objects.select_for_update().get(key=CAMERA_VERSION_KEY)
        state.value = {"version": int(state.value.get("version", 0)) + 1, "token": uuid4().hex[:16]}
        state.save(update_fields=["value", "updated_at"])


@transaction.atomic
def camera_update(*, actor: User, camera_id: int, status: str | None = None,
                  radius_m: float | None = None) -> Camera:
    """Change a camera's status (online, faulty, offline) or view radius; the gap follows at once."""
    require_capability(actor, MANAGE)
    cam = Camera.objects.filter(pk=camera_id).first()
    if cam is None or not _writable(actor, cam.grid_code, MANAGE):
        raise NotFound("camera not found", code="not_found")
    report = ErrorReport()
    changes: dict = {}
    if status is not None:
        if status not in Camera.Status.values:
            report.add("status", "%(value)s is not one of %(choices)s", code="choice",
                       params={"value": status, "choices": ", ".join(Camera.Status.values)})
        elif status != cam.status:
            changes["status"] = [cam.status, status]
            cam.status = status
    if radius_m is not None:
        if not 1 <= radius_m <= 500:
            report.add("radius_m", "%(value)s is outside %(low)s to %(high)s", code="range",
                       params={"value": radius_m, "low": 1, "high": 500})
        elif radius_m != cam.radius_m:
            changes["radius_m"] = [cam.radius_m, radius_m]
            cam.radius_m = radius_m
    report.raise_if_any("camera change rejected")
    if changes:
        cam.save(update_fields=["status", "radius_m"])
        cameras_bump_version()
        audit_write(AuditAction.UPDATE, actor=actor, object_type="camera", object_id=cam.pk,
                    jurisdiction=cam.grid_code, changes=changes)
    return cam
