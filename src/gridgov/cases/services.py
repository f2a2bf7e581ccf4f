"""Every write about events: taxonomy, departments, reports, transitions, notes, attachments,
escalation and Open311 keys.

Transitions follow ``workflow.TRANSITIONS``. Order of checks: absent/out of scope -> 404; missing
capability or not the actor the table names -> 403; (state, action) not in the table -> 409
``invalid_transition``; a stale ``version`` -> 409 ``stale_version``; bad parameters -> 422. The
write is a conditional ``UPDATE … WHERE id=? AND version=?``: of concurrent attempts exactly one
wins and the others get 409 with nothing changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, has_capability
from gridgov.cases import holidays, selectors, taxonomy, workcal, workflow
from gridgov.cases.models import (
    Attachment,
    CalendarDay,
    CalendarYear,
    Case,
    CaseEvent,
    CaseTask,
    Category,
    Department,
    DepartmentMember,
    Open311Key,
)
from gridgov.core.audit import audit_write
from gridgov.core.codes import is_within
from gridgov.core.errors import (
    Conflict,
    ErrorDetail,
    ErrorReport,
    FieldError,
    Forbidden,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from gridgov.core.models import AuditAction
from gridgov.core.versioning import update_versioned
from gridgov.geo import selectors as geo_selectors

MAX_DESCRIPTION = 4000
MAX_NOTE = 2000
MAX_UPLOAD = 10 * 1024 * 1024
MAX_PIXELS = 60_000_000
IMAGE_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
OPEN311_KEY_PREFIX = "o311_"
OPEN311_MAX_PER_HOUR = 1_000_000  # the highest hourly limit a key may be given (0 = unlimited)


# ----------------------------------------------------------------------------- taxonomy and departments

@transaction.atomic
def taxonomy_sync(*, data: dict | None = None, actor: User | None = None) -> dict[str, int]:
    """Create or update categories from the shipped taxonomy (or ``data`` in the same shape).
    Edits made in the admin to fields absent from the data are kept. Idempotent."""
    data = data or taxonomy.shipped()
    report = ErrorReport()
    rows = data.get("categories", [])
    for i, row in enumerate(rows):
        for problem in taxonomy.validate_limits(row.get("stage_limits") or {}):
            report.add("stage_limits", problem.template, row=i, params=problem.params)
        for problem in taxonomy.validate_attributes(row.get("attributes") or []):
            report.add("attributes", problem.template, row=i, params=problem.params)
    report.raise_if_any("taxonomy: invalid rows")
    created = updated = 0
    by_code: dict[str, Category] = {}
    for row in sorted(rows, key=lambda r: r.get("parent") is not None):
        defaults = {"name": row["name"], "name_en": row.get("name_en", ""), "domain": row.get("domain", "event"),
                    "departments": row.get("departments", []), "stage_limits": row.get("stage_limits", {}),
                    "urgency": row.get("urgency", "normal"), "duplicate_radius_m": row.get("duplicate_radius_m", 50),
                    "open311_code": row.get("open311_code"), "public": bool(row.get("public", False)),
                    "attributes": row.get("attributes", []), "order": row.get("order", 0),
                    "parent": by_code.get(row["parent"]) if row.get("parent") else None}
        cat, was_created = Category.objects.update_or_create(code=row["code"], defaults=defaults)
        by_code[cat.code] = cat
        created += was_created
        updated += not was_created
    transaction.on_commit(selectors.work_calendar_clear)
    audit_write(AuditAction.IMPORT, actor=actor, object_type="case_category",
                changes={"created": created, "updated": updated, "version": data.get("version", "")})
    return {"created": created, "updated": updated}


@transaction.atomic
def department_create(*, code: str, name: str, kind: str, jurisdiction: str, name_en: str = "",
                      actor: User | None = None) -> Department:
    from gridgov.core.codes import validate_prefix

    code = (code or "").strip()
    if not code:
        raise FieldError("code", "must not be empty", code="required")
    jurisdiction = validate_prefix(jurisdiction, field="jurisdiction")
    if actor is not None and not code_in_scope(actor, jurisdiction, capability="cases.dispatch", purpose="write"):
        raise Forbidden("jurisdiction: outside your capture scope for cases.dispatch")
    dep, _ = Department.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en,
                                                                     "kind": kind, "jurisdiction": jurisdiction})
    audit_write(AuditAction.CREATE, actor=actor, object_type="department", object_id=dep.pk,
                jurisdiction=jurisdiction, changes={"code": code, "name": name, "kind": kind})
    return dep


@transaction.atomic
def department_member_add(*, department: Department, user: User, actor: User | None = None) -> DepartmentMember:
    if actor is not None and not code_in_scope(actor, department.jurisdiction, capability="cases.dispatch",
                                               purpose="write"):
        raise Forbidden("department: outside your capture scope for cases.dispatch")
    link, _ = DepartmentMember.objects.get_or_create(user=user, department=department)
    user._gridgov_departments = None
    audit_write(AuditAction.CREATE, actor=actor, object_type="department_member", object_id=link.pk,
                jurisdiction=department.jurisdiction, changes={"user": user.username, "department": department.code})
    return link


@transaction.atomic
def calendar_day_set(*, day, workday: bool, note: str = "", actor: User | None = None) -> CalendarDay:
    row, _ = CalendarDay.objects.update_or_create(date=day, defaults={"workday": workday, "note": note[:64]})
    transaction.on_commit(selectors.work_calendar_clear)
    selectors.work_calendar_clear()
    audit_write(AuditAction.UPDATE, actor=actor, object_type="calendar_day", object_id=str(day),
                changes={"workday": workday, "note": note})
    return row


@transaction.atomic
def calendar_import(*, lines, source: str = "", actor: User | None = None,
                    now: datetime | None = None) -> dict:
    """Load an official holiday schedule (CSV ``date,kind,name``; holidays.parse_schedule). All or
    nothing: any bad row refuses the whole file with every problem listed. Each year in the file
    becomes official (``CalendarYear``): its listed days are stored as ``CalendarDay`` rows (other
    rows of that year, local adjustments, stay), the provisional holidays of that year no longer
    apply. Then the running deadlines of open cases and their open tasks are recomputed on the new
    calendar; each one that moves gets a timeline entry. Returns counts and the moved cases."""
    rows, problems = holidays.parse_schedule(lines)
    if problems:
        raise ValidationFailed(gettext("calendar file: %(n)d problem(s), nothing was loaded") % {"n": len(problems)},
                               details=[ErrorDetail(f, gettext(holidays.PROBLEMS[key]) % values, key, r)
                                        for r, f, key, values in problems])
    now = now or timezone.now()
    old = selectors.work_calendar()
    years = sorted({day.year for day, _w, _n in rows})
    for day, workday, name in rows:
        CalendarDay.objects.update_or_create(date=day, defaults={"workday": workday, "note": name[:64]})
    for year in years:
        CalendarYear.objects.update_or_create(year=year, defaults={
            "loaded_at": now, "loaded_by": actor if getattr(actor, "is_authenticated", False) else None,
            "source": source[:120], "days": sum(1 for d, _w, _n in rows if d.year == year)})
    selectors.work_calendar_clear()
    transaction.on_commit(selectors.work_calendar_clear)
    moved = deadlines_recompute(old=old, now=now, reason=gettext("official holiday schedule %(years)s loaded")
                                % {"years": ", ".join(map(str, years))})
    audit_write(AuditAction.IMPORT, actor=actor, object_type="calendar", object_id=",".join(map(str, years)),
                changes={"years": years, "days": len(rows), "source": source[:120], "cases_moved": len(moved)})
    return {"years": years, "days": len(rows), "cases_moved": moved}


def deadlines_recompute(*, old: workcal.WorkCalendar, now: datetime, reason: str) -> list[int]:
    """Recompute, on the current working calendar, the running stage deadline of every open case
    (its start plus its limit in working seconds) and the deadline of each of its open tasks (a task
    due with the stage follows it; another keeps the working time it had on the ``old`` calendar).
    A case whose deadlines move gets a timeline entry ``deadline_moved`` (old and new, the reason).
    Returns the ids of the moved cases."""
    cal = selectors.work_calendar()
    moved: list[int] = []
    open_tasks = (CaseTask.objects.filter(status=CaseTask.Status.OPEN, deadline__isnull=False)
                  .select_related("department").order_by("id"))
    cases = (Case.objects.filter(state__in=workflow.OPEN_STATES, stage_started_at__isnull=False,
                                 stage_limit_seconds__gt=0).order_by("id")
             .prefetch_related(Prefetch("tasks", queryset=open_tasks, to_attr="open_tasks")))
    for case in cases.iterator(chunk_size=500):
        changes: dict[str, Any] = {}
        assert case.stage_started_at is not None  # (the filter above)
        new = cal.add(case.stage_started_at, case.stage_limit_seconds)
        if case.stage_deadline != new:
            if not update_versioned(Case, case.pk, case.version, raise_conflict=False, stage_deadline=new,
                                    updated_at=now):
                continue  # changed meanwhile: its next transition computes on the new calendar
            changes["stage"] = [_iso(case.stage_deadline), _iso(new)]
        for task in case.open_tasks:
            assert task.deadline is not None  # (the filter above)
            if task.deadline == case.stage_deadline:
                new_task = new
            else:
                new_task = cal.add(task.assigned_at, old.working_seconds(task.assigned_at, task.deadline))
            if task.deadline != new_task:
                changes[f"task:{task.department.code}"] = [_iso(task.deadline), _iso(new_task)]
                CaseTask.objects.filter(pk=task.pk).update(deadline=new_task)
        if changes:
            CaseEvent.objects.create(case=case, grid_code=case.grid_code, at=now, actor_name="system",
                                     action="deadline_moved", from_state=case.state, to_state=case.state,
                                     note=reason, data={"deadlines": changes})
            moved.append(case.pk)
    return moved


def _iso(value: datetime | None) -> str | None:
    """Local time (Asia/Shanghai), as a person reads it in the timeline."""
    return timezone.localtime(value).isoformat() if value is not None else None


# ----------------------------------------------------------------------------- helpers

def _text(value: Any, field: str, *, limit: int, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise FieldError(field, "must not be empty", code="required")
    if len(text) > limit:
        raise FieldError(field, "at most %(n)s characters", code="too_long", params={"n": limit})
    if "\x00" in text:
        raise FieldError(field, "must not contain NUL characters")
    return text


def _actor_name(actor: User | None) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return actor.display_name or actor.username


def _no_stage() -> dict:
    return {"stage": "", "stage_started_at": None, "stage_limit_seconds": 0, "stage_deadline": None,
            "stage_escalated": False, "next_escalation_at": None}


def _start_stage(case: Case, stage: str, now: datetime, cal: workcal.WorkCalendar,
                 limit: str | None = None) -> dict:
    limit = limit or taxonomy.limit_for(case.category.stage_limits, stage)
    seconds = cal.limit_seconds(limit)
    return {"stage": stage, "stage_started_at": now, "stage_limit_seconds": seconds,
            "stage_deadline": cal.add(now, seconds), "stage_escalated": False, "next_escalation_at": None}


def _stage_late(case: Case, now: datetime) -> bool:
    return bool(case.stage and case.stage_deadline is not None and now > case.stage_deadline)


def _digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _uuid(value, field: str = "client_uuid") -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise FieldError(field, "not a UUID") from None


# ----------------------------------------------------------------------------- report

def case_report(*, actor: User | None, category_code: str, description: str, lon: float | None = None,
                lat: float | None = None, grid_code: str | None = None, address: str = "",
                channel: str = Case.Channel.GRID, caller_name: str = "", caller_phone: str = "",
                client_uuid=None, attributes: dict | None = None, now: datetime | None = None,
                system: bool = False, open311_key: Open311Key | None = None) -> tuple[Case, bool]:
    """Report an event. Returns (case, created). ``client_uuid`` makes a retry idempotent: the same
    payload returns the original case (created False); another payload under the same UUID -> 409.

    ``actor`` needs ``cases.report`` with capture scope over the located grid; ``system`` (Open311,
    whose caller is checked by api_key) skips that check. ``open311_key``: the api_key that submitted
    an Open311 report (channel open311 only, not revoked), stored on the case and named in its audit
    row. Not wrapped in one transaction itself: the insert runs in its own atomic block so that a
    concurrent duplicate UUID can be re-read (a caller may wrap it in its own, e.g. with a photo).
    """
    category = selectors.category_by_code(category_code)
    description = _text(description, "description", limit=MAX_DESCRIPTION, required=True)
    address = _text(address, "address", limit=200)
    caller_name = _text(caller_name, "caller_name", limit=64)
    caller_phone = _text(caller_phone, "caller_phone", limit=32)
    if caller_phone and not all(c.isdigit() or c in "+- " for c in caller_phone):
        raise FieldError("caller_phone", "digits, spaces, + and - only")
    if channel not in Case.Channel.values:
        raise FieldError("channel", "one of %(values)s", params={"values": ", ".join(Case.Channel.values)})
    if channel == Case.Channel.HOTLINE and not caller_phone:
        raise FieldError("caller_phone", "a hotline report needs the callback number", code="required")
    if open311_key is not None:
        if channel != Case.Channel.OPEN311:
            raise FieldError("open311_key", "only for the open311 channel")
        if open311_key.pk is None or open311_key.revoked_at is not None:
            raise FieldError("open311_key", "revoked or unsaved key", code="revoked")
    attributes = _check_attributes(category, attributes or {})
    key = _uuid(client_uuid)
    grid_code, lon, lat = _locate(lon=lon, lat=lat, grid_code=grid_code)
    if not system:
        if not has_capability(actor, "cases.report"):
            raise Forbidden("missing capability cases.report", code="missing_capability")
        if not code_in_scope(actor, grid_code, capability="cases.report", purpose="write"):
            raise Forbidden("the location is outside your capture scope for cases.report",
                            code="outside_jurisdiction")
    payload = {"category": category.code, "description": description, "lon": lon, "lat": lat,
               "grid_code": grid_code, "address": address, "channel": channel, "caller_name": caller_name,
               "caller_phone": caller_phone, "attributes": attributes,
               "reporter": getattr(actor, "pk", None)}
    if open311_key is not None:  # only then: the digests of other reports stay as they were
        payload["open311_key"] = open311_key.pk
    digest = _digest(payload)
    now = now or timezone.now()
    # Insert first (the common case); a reused client_uuid hits the unique index and is re-read.
    # The case, its timeline event and its audit row go in together, all or nothing.
    try:
        case = _insert_case(actor=actor, category=category, payload=payload, key=key, digest=digest, now=now,
                            open311_key=open311_key)
    except IntegrityError:
        existing = Case.objects.filter(client_uuid=key).first() if key is not None else None
        if existing is None:
            raise
        return _replay(existing, digest), False
    return case, True


def _replay(existing: Case, digest: str) -> Case:
    if existing.payload_digest != digest:
        raise Conflict("client_uuid was already used for a different submission", code="idempotency_key_reused")
    return existing


def _insert_case(*, actor: User | None, category: Category, payload: dict, key, digest: str, now: datetime,
                 open311_key: Open311Key | None = None) -> Case:
    cal = selectors.work_calendar()
    reporter = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    case = Case(grid_code=payload["grid_code"], category=category, channel=payload["channel"],
                description=payload["description"], address=payload["address"], lon=payload["lon"],
                lat=payload["lat"], attributes=payload["attributes"], reporter=reporter,
                caller_name=payload["caller_name"], caller_phone=payload["caller_phone"], client_uuid=key,
                payload_digest=digest, reported_at=now, updated_at=now, supervising_prefix=payload["grid_code"][:9],
                open311_token=uuid.uuid4() if payload["channel"] == Case.Channel.OPEN311 else None,
                open311_key=open311_key)
    changes = {"category": category.code, "channel": case.channel, "caller_phone": case.caller_phone}
    if open311_key is not None:
        changes["open311_key"] = str(open311_key)  # its name and prefix; the key itself is never stored
    for name, value in _start_stage(case, "accept", now, cal).items():
        setattr(case, name, value)

    with transaction.atomic():
        case.save(force_insert=True)
        CaseEvent.objects.create(case=case, grid_code=case.grid_code, at=now, actor=reporter,
                                 actor_name=_actor_name(actor) or payload["channel"], action="report",
                                 to_state=case.state, note="", public=True,
                                 data={"channel": case.channel, "category": category.code})
        audit_write(AuditAction.CREATE, actor=reporter, object_type="case", object_id=case.pk,
                    jurisdiction=case.grid_code, changes=changes)
    return case


def _locate(*, lon, lat, grid_code) -> tuple[str, float | None, float | None]:
    if lon is not None or lat is not None:
        if lon is None or lat is None:
            raise FieldError("lon" if lon is None else "lat", "give both lon and lat", code="required")
        try:
            lon, lat = float(lon), float(lat)
        except (TypeError, ValueError):
            raise FieldError("lon", "not a number") from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise FieldError("lon", "outside WGS84 range")
        located = geo_selectors.locate_code(lon, lat)
        if located is None:
            raise FieldError("lon", "the point is outside every grid", code="outside_grids")
        if grid_code and grid_code != located:
            raise FieldError("grid_code", "the point lies in grid %(located)s, not %(given)s", code="mismatch",
                             params={"located": located, "given": grid_code})
        return located, lon, lat
    if grid_code:
        if not (len(grid_code) == 15 and grid_code.isdigit()) or not selectors.grid_exists(grid_code):
            raise FieldError("grid_code", "unknown grid code (15 digits)", code="unknown")
        return grid_code, None, None
    raise FieldError("location", "give lon and lat, or a grid code", code="required")


def _check_attributes(category: Category, values: dict) -> dict:
    defs = {a["code"]: a for a in category.attributes or []}
    out = {}
    for code, value in values.items():
        attr = defs.get(code)
        if attr is None:
            raise FieldError(f"attribute[{code}]", "unknown attribute for this service", code="unknown")
        keys = {v["key"] for v in attr.get("values", [])}
        if attr["datatype"] == "multivaluelist":
            value = value if isinstance(value, list) else [value]
            if not set(value) <= keys:
                raise FieldError(f"attribute[{code}]", "values must be among %(values)s",
                                 params={"values": ", ".join(sorted(keys))})
        elif attr["datatype"] == "singlevaluelist":
            if value not in keys:
                raise FieldError(f"attribute[{code}]", "must be one of %(values)s", params={"values": ", ".join(sorted(keys))})
        elif attr["datatype"] == "number":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise FieldError(f"attribute[{code}]", "not a number") from None
        else:
            value = _text(value, f"attribute[{code}]", limit=1000)
        out[code] = value
    for code, attr in defs.items():
        if attr.get("required") and code not in out:
            raise FieldError(f"attribute[{code}]", "required", code="required")
    return out


# ----------------------------------------------------------------------------- transitions

def _authorise(actor: User, case: Case, t: workflow.Transition) -> None:
    if t.action in workflow.OWN_REPORT_REFUSED and case.reporter_id is not None and case.reporter_id == actor.pk:
        raise Forbidden(gettext("whoever reported a case does not close it nor record its satisfaction"),
                        code="own_report")
    if t.action == "evaluate" and not selectors.citizen_reported(case):
        raise Conflict(gettext("satisfaction is the citizen's: this case was reported by staff with no caller to "
                               "call back"), code="no_citizen_reporter")
    if t.actor == "department":
        lead = selectors.lead_task(case)
        if lead is None or not selectors.is_member(actor, lead.department_id):
            raise Forbidden("only a member of the lead department may do this", code="not_lead_department")
        return
    if not selectors.can_write(actor, case, t.capability):
        raise Forbidden("the case is outside your capture scope for %(capability)s", code="outside_jurisdiction",
                        params={"capability": t.capability})


ACTION_CAPABILITY = {t.action: t.capability for t in workflow.TRANSITIONS.values()}
assert all(ACTION_CAPABILITY[t.action] == t.capability for t in workflow.TRANSITIONS.values())


def case_transition(*, actor: User, case_id: int, action: str, version: int | None = None, note: str = "",
                    params: dict | None = None, client_uuid=None, now: datetime | None = None) -> Case:
    """Apply ``action`` to the case (see the module docstring for the checks and their order)."""
    if action not in workflow.ACTIONS:
        raise FieldError("action", "unknown action; one of %(actions)s", code="unknown",
                         params={"actions": ", ".join(workflow.ACTIONS)})
    note = _text(note, "note", limit=MAX_NOTE)
    key = _uuid(client_uuid)
    with transaction.atomic():
        case = selectors.case_get(actor, case_id)
        if key is not None:
            done = CaseEvent.objects.filter(client_uuid=key).first()
            if done is not None:
                if done.case_id != case.pk or done.action != action or done.note != note:
                    raise Conflict("client_uuid was already used for a different submission",
                                   code="idempotency_key_reused")
                return case
        if not has_capability(actor, ACTION_CAPABILITY[action]):
            raise Forbidden("missing capability %(capability)s", code="missing_capability",
                            params={"capability": ACTION_CAPABILITY[action]})
        try:
            t = workflow.resolve(case.state, action)
        except workflow.TransitionRefused as exc:
            raise Conflict("“%(action)s” is not possible while the case is “%(state)s”", code="invalid_transition",
                           params={"action": pgettext_lazy("case action", exc.action),
                                   "state": pgettext_lazy("case state", exc.state)}) from None
        _authorise(actor, case, t)
        if version is not None and version != case.version:
            raise Conflict("the case changed (version %(current)s, you sent %(sent)s); reload it",
                           code="stale_version", params={"current": case.version, "sent": version})
        now = now or timezone.now()
        cal = selectors.work_calendar()
        handler = _HANDLERS[action]
        changes, data = handler(case, actor=actor, params=params or {}, note=note, now=now, cal=cal)
        changes.setdefault("state", t.target)
        update_versioned(Case, case.pk, case.version, message="another change to this case won; reload it",
                         updated_at=now, **changes)
        CaseEvent.objects.create(case=case, grid_code=case.grid_code, at=now, actor=actor,
                                 actor_name=_actor_name(actor), action=action, from_state=case.state,
                                 to_state=changes["state"], note=note, data=data, client_uuid=key,
                                 public=action in PUBLIC_ACTIONS)
        audit_write(AuditAction.TRANSITION, actor=actor, object_type="case", object_id=case.pk,
                    jurisdiction=case.grid_code, reason=note,
                    changes={"action": action, "from": case.state, "to": changes["state"], **data})
    case.refresh_from_db()
    return case


PUBLIC_ACTIONS = {"accept", "reject", "mark_duplicate", "register", "dispatch", "start", "feedback", "close",
                  "reopen", "reassign", "recall"}



def _require_note(note: str, why: str) -> None:
    if not note:
        raise FieldError("note", why, code="required")


def _h_accept(case, *, now, cal, **_):
    return {"accepted_at": now, "overdue": case.overdue or _stage_late(case, now),
            **_start_stage(case, "register", now, cal)}, {}


def _public_note(params) -> dict:
    """The status note staff write on purpose for the public (Open311 ``status_notes``), separate
    from the internal note of the transition; empty when none is given."""
    text = _text(params.get("public_note") or "", "public_note", limit=500)
    return {"public_note": text} if text else {}


def _h_reject(case, *, note, params, now, **_):
    _require_note(note, "give the reason for rejecting")
    public = _public_note(params)
    return {"overdue": case.overdue or _stage_late(case, now), "public_note": public.get("public_note", ""),
            **_no_stage()}, public


def _h_mark_duplicate(case, *, actor: User, params, note, now, **_):
    try:
        original_id = int(params.get("duplicate_of"))
    except (TypeError, ValueError):
        raise FieldError("duplicate_of", "the id of the original case", code="required") from None
    if original_id == case.pk:
        raise FieldError("duplicate_of", "a case cannot duplicate itself")
    original = selectors.cases_visible(actor).filter(pk=original_id).first()
    if original is None:
        raise FieldError("duplicate_of", "no such case in your jurisdiction", code="unknown")
    return {"duplicate_of_id": original.pk, "public_note": f"duplicate of #{original.pk}",
            **_no_stage()}, {"duplicate_of": original.pk}


def _h_register(case, *, params, now, cal, **_):
    changes, data = {}, {}
    code = params.get("category")
    if code and code != case.category.code:
        category = selectors.category_by_code(code)
        changes["category"] = category
        data["category"] = {"from": case.category.code, "to": category.code}
        case.category = category
    return {**changes, "registered_at": now, "overdue": case.overdue or _stage_late(case, now),
            **_start_stage(case, "dispatch", now, cal)}, data


def _serves(dep: Department, grid_code: str) -> bool:
    """Does the department's jurisdiction (a division prefix; one entered in the admin may not be
    valid, and then serves nothing) contain the grid?"""
    try:
        return is_within(grid_code, dep.jurisdiction)
    except FieldError:
        return False


def _department(value, field: str, case: Case) -> Department:
    dep = None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        dep = Department.objects.filter(pk=int(value), active=True).first()
    elif isinstance(value, str) and value:
        dep = Department.objects.filter(code=value, active=True).first()
    if dep is None:
        raise FieldError(field, "unknown department", code="unknown")
    if not _serves(dep, case.grid_code):
        raise FieldError(field, "%(department)s does not serve grid %(grid)s", code="outside_department",
                         params={"department": dep.name, "grid": case.grid_code})
    return dep


def _h_dispatch(case, *, params, note, now, cal, **_):
    lead = _department(params.get("lead_department"), "lead_department", case)
    assists = [_department(v, "assist_departments", case) for v in params.get("assist_departments") or []]
    if lead.pk in {a.pk for a in assists} or len({a.pk for a in assists}) != len(assists):
        raise FieldError("assist_departments", "each department at most once, and not the lead")
    limit = params.get("limit") or None
    if limit:
        try:
            workcal.parse_limit(limit)
        except workcal.LimitError as exc:
            raise FieldError("limit", exc.template, params=exc.params) from None
    stage = _start_stage(case, "handle", now, cal, limit=limit)
    CaseTask.objects.filter(case=case, status=CaseTask.Status.OPEN).update(status=CaseTask.Status.CANCELLED)
    limit_text = limit or taxonomy.limit_for(case.category.stage_limits, "handle")
    tasks = [CaseTask(case=case, grid_code=case.grid_code, department=lead, role=CaseTask.Role.LEAD,
                      instructions=note, limit=limit_text, assigned_at=now, deadline=stage["stage_deadline"])]
    for dep in assists:
        tasks.append(CaseTask(case=case, grid_code=case.grid_code, department=dep, role=CaseTask.Role.ASSIST,
                              instructions=note, limit=limit_text, assigned_at=now,
                              deadline=stage["stage_deadline"]))
    CaseTask.objects.bulk_create(tasks)
    return {"dispatched_at": case.dispatched_at or now, "overdue": case.overdue or _stage_late(case, now),
            **stage}, {"lead": lead.code, "assist": [a.code for a in assists], "limit": limit_text}


def _h_start(case, **_):
    return {}, {}


def _h_send_back(case, *, note, now, **_):
    _require_note(note, "say why this is not your department's case")
    lead = selectors.lead_task(case)
    assert lead is not None  # _authorise refused a department action without a lead task
    CaseTask.objects.filter(pk=lead.pk).update(status=CaseTask.Status.RETURNED, done_at=now, result=note)
    CaseTask.objects.filter(case=case, status=CaseTask.Status.OPEN).update(status=CaseTask.Status.CANCELLED)
    cal = selectors.work_calendar()
    return {"sendback_count": case.sendback_count + 1, "extension_request": None,
            "overdue": case.overdue or _stage_late(case, now),
            **_start_stage(case, "dispatch", now, cal)}, {"department": lead.department.code}


def _h_reassign(case, *, params, note, now, cal, **_):
    """改派: a new lead and/or assisting departments, with a reason; the task deadline starts anew."""
    _require_note(note, gettext("give the reason for reassigning"))
    before = selectors.lead_task(case)
    changes, data = _h_dispatch(case, params=params, note=note, now=now, cal=cal)
    changes.pop("dispatched_at", None)
    return changes, {**data, "previous_lead": before.department.code if before is not None else ""}


def _h_recall(case, *, note, now, cal, **_):
    """撤回: the centre takes the case back to its dispatch queue; open tasks are cancelled."""
    _require_note(note, gettext("give the reason for recalling"))
    before = selectors.lead_task(case)
    CaseTask.objects.filter(case=case, status=CaseTask.Status.OPEN).update(status=CaseTask.Status.CANCELLED,
                                                                           done_at=now, result=note)
    return {"extension_request": None, "overdue": case.overdue or _stage_late(case, now),
            **_start_stage(case, "dispatch", now, cal)}, {"previous_lead": before.department.code if before else ""}


def _h_request_extension(case, *, params, note, **_):
    _require_note(note, "give the reason for the extension")
    if case.extension_request:
        raise Conflict("an extension request is already pending", code="extension_pending")
    extra = params.get("extra") or ""
    try:
        workcal.parse_limit(extra)
    except workcal.LimitError as exc:
        raise FieldError("extra", exc.template, params=exc.params) from None
    return {"extension_request": {"extra": extra, "reason": note}}, {"extra": extra}


def _h_approve_extension(case, *, now, cal, **_):
    if not case.extension_request:
        raise Conflict("no extension request is pending", code="no_extension_request")
    extra = case.extension_request["extra"]
    seconds = case.stage_limit_seconds + cal.limit_seconds(extra)
    deadline = cal.add(case.stage_started_at, seconds)
    lead = selectors.lead_task(case)
    if lead is not None:
        CaseTask.objects.filter(pk=lead.pk).update(deadline=deadline)
    return {"extension_request": None, "stage_limit_seconds": seconds, "stage_deadline": deadline,
            "stage_escalated": False, "next_escalation_at": None}, {"extra": extra, "deadline": deadline.isoformat()}


def _h_deny_extension(case, *, note, **_):
    if not case.extension_request:
        raise Conflict("no extension request is pending", code="no_extension_request")
    return {"extension_request": None}, {"extra": case.extension_request["extra"]}


def _h_feedback(case, *, note, now, cal, **_):
    _require_note(note, "describe how the case was handled")
    # joint handling (大联勤大联动): the case is handled when every assisting department has reported
    waiting = list(CaseTask.objects.filter(case=case, role=CaseTask.Role.ASSIST, status=CaseTask.Status.OPEN)
                   .order_by("id").values_list("department__code", "department__name"))
    if waiting:
        raise Conflict("assisting departments have not reported their part: %(departments)s", code="assist_open",
                       params={"departments": ", ".join(f"{name} ({code})" for code, name in waiting)},
                       details=[ErrorDetail("tasks", f"{code} is still open", "assist_open",
                                            template="%(department)s is still open", params={"department": code})
                                for code, _ in waiting])
    lead = selectors.lead_task(case)
    assert lead is not None  # _authorise refused a department action without a lead task
    CaseTask.objects.filter(pk=lead.pk).update(status=CaseTask.Status.DONE, done_at=now, result=note)
    first = case.handled_at is None
    late = _stage_late(case, now)
    changes = {"handled_at": case.handled_at or now, "overdue": case.overdue or late, "extension_request": None,
               **_start_stage(case, "verify", now, cal)}
    if first:
        changes["handled_on_time"] = not late
    return changes, {"on_time": not late}


def _h_verify(case, *, now, cal, **_):
    return {"verified_at": now, "overdue": case.overdue or _stage_late(case, now),
            **_start_stage(case, "close", now, cal)}, {}


def _h_rework(case, *, note, now, cal, **_):
    _require_note(note, "say what must be redone")
    stage = _start_stage(case, "handle", now, cal)
    lead = (CaseTask.objects.filter(case=case, role=CaseTask.Role.LEAD, status=CaseTask.Status.DONE)
            .order_by("-id").first())
    if lead is not None:
        CaseTask.objects.filter(pk=lead.pk).update(status=CaseTask.Status.OPEN, done_at=None,
                                                   deadline=stage["stage_deadline"])
    return {"rework_count": case.rework_count + 1, "overdue": case.overdue or _stage_late(case, now),
            **stage}, {}


def _h_close(case, *, params, now, **_):
    public = _public_note(params)
    return {"closed_at": now, "overdue": case.overdue or _stage_late(case, now),
            "public_note": public.get("public_note", ""), **_no_stage()}, public


def _h_evaluate(case, *, params, now, **_):
    try:
        score = int(params.get("satisfaction"))
    except (TypeError, ValueError):
        raise FieldError("satisfaction", "1 (very dissatisfied) to 5 (very satisfied)", code="required") from None
    if not 1 <= score <= 5:
        raise FieldError("satisfaction", "1 (very dissatisfied) to 5 (very satisfied)")
    return {"satisfaction": score, "evaluated_at": now}, {"satisfaction": score}


def _h_suspend(case, *, note, now, **_):
    _require_note(note, "give the reason for suspending")
    return {"overdue": case.overdue or _stage_late(case, now), "extension_request": None,
            **_no_stage()}, {}


def _h_resume(case, *, now, cal, **_):
    stage = _start_stage(case, "handle", now, cal)
    lead = selectors.lead_task(case)
    if lead is not None:
        CaseTask.objects.filter(pk=lead.pk).update(deadline=stage["stage_deadline"])
    return stage, {}


def _h_reopen(case, *, note, now, cal, **_):
    _require_note(note, "give the reason for reopening")
    target = workflow.TRANSITIONS[(case.state, "reopen")].target
    stage = workflow.STAGE_OF_STATE[target]
    return {"closed_at": None, "evaluated_at": None, "verified_at": None, "satisfaction": None,
            "duplicate_of": None, **(_no_stage() if stage is None else _start_stage(case, stage, now, cal))}, {}


def _h_supervise(case, *, params, note, **_):
    card = params.get("card", "")
    if card not in Case.Supervision.values:
        raise FieldError("card", "yellow, red, or empty to lift the card")
    if card and not note:
        raise FieldError("note", "give the reason for the card", code="required")
    return {"supervision": card}, {"card": card}


_HANDLERS: dict[str, Callable[..., tuple[dict, dict]]] = {
    "accept": _h_accept, "reject": _h_reject, "mark_duplicate": _h_mark_duplicate, "register": _h_register,
    "dispatch": _h_dispatch, "start": _h_start, "send_back": _h_send_back,
    "request_extension": _h_request_extension, "approve_extension": _h_approve_extension,
    "deny_extension": _h_deny_extension, "feedback": _h_feedback, "verify": _h_verify, "rework": _h_rework,
    "close": _h_close, "evaluate": _h_evaluate, "suspend": _h_suspend, "resume": _h_resume,
    "reopen": _h_reopen, "supervise": _h_supervise, "reassign": _h_reassign, "recall": _h_recall,
}
assert set(_HANDLERS) == set(workflow.ACTIONS)


# ----------------------------------------------------------------------------- notes and tasks

@transaction.atomic
def case_note_add(*, actor: User, case_id: int, note: str, public: bool = False, client_uuid=None) -> CaseEvent:
    """Append a note (notes are never edited or deleted). Anyone who can see the case may add one."""
    note = _text(note, "note", limit=MAX_NOTE, required=True)
    case = selectors.case_get(actor, case_id)
    key = _uuid(client_uuid)
    if key is not None:
        done = CaseEvent.objects.filter(client_uuid=key).first()
        if done is not None:
            if done.case_id != case.pk or done.note != note:
                raise Conflict("client_uuid was already used for a different submission",
                               code="idempotency_key_reused")
            return done
    event = CaseEvent.objects.create(case=case, grid_code=case.grid_code, actor=actor, actor_name=_actor_name(actor),
                                     action="note", from_state=case.state, to_state=case.state, note=note,
                                     client_uuid=key, public=public)
    audit_write(AuditAction.UPDATE, actor=actor, object_type="case", object_id=case.pk, jurisdiction=case.grid_code,
                changes={"note": note[:200], "public": public})
    return event


def _assist_task(case, task_id: int, *, lead_message: str) -> CaseTask:
    task = CaseTask.objects.filter(pk=task_id, case=case).select_related("department").first()
    if task is None:
        raise NotFound("task not found")
    if task.role != CaseTask.Role.ASSIST:
        raise Conflict(lead_message, code="lead_task")
    return task


def _end_assist_task(actor: User, case, task: CaseTask, *, status: str, text: str, action: str, data: dict,
                     changes: dict) -> CaseTask:
    """Close an open assisting task (conditional update: once), with a timeline event and an audit row."""
    if not CaseTask.objects.filter(pk=task.pk, status=CaseTask.Status.OPEN).update(
            status=status, done_at=timezone.now(), result=text):
        raise Conflict("the task is not open", code="task_not_open")
    CaseEvent.objects.create(case=case, grid_code=case.grid_code, actor=actor, actor_name=_actor_name(actor),
                             action=action, from_state=case.state, to_state=case.state, note=text,
                             data={"department": task.department.code, **data})
    audit_write(AuditAction.UPDATE, actor=actor, object_type="case_task", object_id=task.pk,
                jurisdiction=case.grid_code, changes=changes)
    task.refresh_from_db()
    return task


@transaction.atomic
def task_cancel(*, actor: User, case_id: int, task_id: int, reason: str) -> CaseTask:
    """The centre takes an assisting department off a case (it cannot act, or is not needed): the
    task is cancelled with a reason, so the lead's feedback no longer waits for it."""
    reason = _text(reason, "reason", limit=MAX_NOTE, required=True)
    case = selectors.case_get(actor, case_id)
    if not code_in_scope(actor, case.grid_code, capability="cases.dispatch", purpose="write"):
        raise Forbidden("only the dispatching centre of the case may cancel a task", code="not_dispatcher")
    task = _assist_task(case, task_id, lead_message="the lead task ends by feedback or send-back")
    return _end_assist_task(actor, case, task, status=CaseTask.Status.CANCELLED, text=reason,
                            action="task_cancelled", data={},
                            changes={"status": "cancelled", "reason": reason[:200]})


@transaction.atomic
def task_complete(*, actor: User, case_id: int, task_id: int, result: str) -> CaseTask:
    """An assisting department reports its part done (the lead's part is the ``feedback`` action)."""
    result = _text(result, "result", limit=MAX_NOTE, required=True)
    case = selectors.case_get(actor, case_id)
    task = _assist_task(case, task_id, lead_message="the lead task is completed by the feedback action")
    if not (has_capability(actor, "cases.handle") and selectors.is_member(actor, task.department_id)):
        raise Forbidden("only a member of the task's department may complete it", code="not_task_department")
    on_time = task.deadline is None or timezone.now() <= task.deadline
    return _end_assist_task(actor, case, task, status=CaseTask.Status.DONE, text=result, action="task_done",
                            data={"on_time": on_time}, changes={"status": "done"})


# ----------------------------------------------------------------------------- attachments

def media_root() -> Path:
    root = getattr(settings, "MEDIA_ROOT", "") or ""
    if not root:
        root = Path(getattr(settings, "VAR_DIR", "var")) / "media"
    return Path(root)


def _inspect_image(data: bytes):
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise FieldError("file", "empty file", code="required")
    if len(data) > MAX_UPLOAD:
        raise FieldError("file", "at most 10 MB", code="too_large")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in IMAGE_TYPES:
                raise FieldError("file", "only JPEG, PNG or WebP images", code="unsupported_type")
            if width * height > MAX_PIXELS:
                raise FieldError("file", "image too large (pixels)", code="too_large")
            probe.verify()
    except FieldError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise FieldError("file", "only JPEG, PNG or WebP images", code="unsupported_type") from None
    return fmt, width, height


def strip_metadata(data: bytes, fmt: str) -> bytes:
    """Re-encode the pixels only: EXIF (GPS included), XMP, comments and text chunks are dropped;
    the EXIF orientation is applied first so the picture still stands upright."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        img = ImageOps.exif_transpose(opened)
        if fmt == "JPEG" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        clean = Image.new(img.mode, img.size)
        clean.paste(img)
        palette = img.getpalette() if img.mode == "P" else None
        if palette:
            clean.putpalette(palette)
        out = io.BytesIO()
        params = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
        clean.save(out, format=fmt, **params)
    return out.getvalue()


def attachment_check(*, data: bytes) -> str:
    """Validate a photo exactly as ``attachment_add`` does, writing nothing; returns its content
    type. Raises ``FieldError("file", …)``: empty, over 10 MB, not JPEG/PNG/WebP by content, too
    many pixels. For a caller that must refuse a bad photo before it writes anything else (Open311:
    a case and its photo are one unit)."""
    fmt, _, _ = _inspect_image(data)
    return IMAGE_TYPES[fmt][0]


def attachment_add(*, actor: User | None, case_id: int | None = None, case: Case | None = None, data: bytes,
                   system: bool = False) -> Attachment:
    """Store a photo: type checked by content (Pillow), at most 10 MB; keeps the original for staff
    and a metadata-free copy for the public. All or nothing: the files are written, then the row and
    its audit row in one transaction; if anything fails (or that transaction's commit does) the
    files written are removed. Inside a caller's transaction that rolls back later, the caller
    removes them (``attachment_files_remove``)."""
    if case is None or not system:
        if actor is None:  # only the system attaches without an actor, to a case it holds
            raise Forbidden("missing capability %(capability)s", code="missing_capability",
                                params={"capability": selectors.VIEW})
        if case is None:
            if case_id is None:
                raise TypeError("attachment_add needs case or case_id")
            case = selectors.case_get(actor, case_id)
        else:
            case = selectors.case_get(actor, case.pk)
    fmt, width, height = _inspect_image(data)
    content_type, ext = IMAGE_TYPES[fmt]
    public = strip_metadata(data, fmt)  # before any file is written
    token = secrets.token_hex(16)
    rel = Path("cases") / case.grid_code[:6] / str(case.pk)
    folder = media_root() / rel
    uploader = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in ((f"{token}.{ext}", data), (f"{token}-public.{ext}", public)):
            written.append(folder / name)  # before writing: a partly written file is removed too
            (folder / name).write_bytes(content)
        with transaction.atomic():
            att = Attachment.objects.create(case=case, grid_code=case.grid_code, uploaded_by=uploader,
                                            content_type=content_type, size=len(data),
                                            sha256=hashlib.sha256(data).hexdigest(), width=width, height=height,
                                            path=str(rel / f"{token}.{ext}"),
                                            public_path=str(rel / f"{token}-public.{ext}"), public_token=token)
            audit_write(AuditAction.CREATE, actor=uploader, object_type="case_attachment", object_id=att.pk,
                        jurisdiction=case.grid_code,
                        changes={"case": case.pk, "type": content_type, "size": len(data)})
    except BaseException:
        _remove_files(written)
        raise
    return att


def _open311_key_admit(key: Open311Key) -> None:
    """The hourly limit, checked in the transaction that inserts the case: the key's row is locked
    first (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers),
    so concurrent requests of one key count one another's cases and together never pass the limit.
    Raises ``RateLimited`` (429) with the seconds until the window frees a place."""
    locked = Open311Key.objects.select_for_update().filter(pk=key.pk, revoked_at__isnull=True).first()
    if locked is None:
        raise Forbidden("api_key revoked", code="invalid_key")
    retry_after = selectors.open311_key_retry_after(locked)
    if retry_after is not None:
        raise RateLimited("api_key rate limit: %(n)s requests per hour", retry_after=retry_after,
                          params={"n": locked.max_per_hour})


def open311_report(*, key: Open311Key, photo: bytes | None = None, **report) -> tuple[Case, bool]:
    """A citizen's request through Open311: the case (``case_report`` arguments, channel open311,
    submitted by api_key ``key``) and its optional photo, both or neither, within the key's hourly
    limit (``RateLimited`` otherwise, checked under a lock on the key) — a client retrying
    after an error makes no duplicate. A refused photo raises ``FieldError("media", …)`` before
    anything is written; if the photo's files were written and the transaction then fails, they
    are removed. Returns (case, created): with a ``client_uuid`` already used, the first case
    (created False) if the payload and the photo are the same, else ``Conflict``."""
    if photo is not None:
        try:
            attachment_check(data=photo)
        except FieldError as exc:
            raise FieldError("media", exc.template or exc.reason, code=exc.reason_code, params=exc.params) from None
    stored = None
    try:
        with transaction.atomic():
            submission = _uuid(report.get("client_uuid"))
            if submission is None or not Case.objects.filter(client_uuid=submission).exists():
                _open311_key_admit(key)  # a replay is not a new submission: it does not count
            case, created = case_report(actor=None, system=True, channel=Case.Channel.OPEN311, open311_key=key,
                                        **report)
            if not created:
                sent = [hashlib.sha256(photo).hexdigest()] if photo is not None else []
                if sorted(a.sha256 for a in case.attachments.filter(uploaded_by__isnull=True)) != sent:
                    raise Conflict("client_uuid was already used for a different submission",
                                   code="idempotency_key_reused")
                return case, False
            if photo is not None:
                try:
                    stored = attachment_add(actor=None, case=case, data=photo, system=True)
                except FieldError as exc:
                    raise FieldError("media", exc.template or exc.reason, code=exc.reason_code, params=exc.params) from None
    except BaseException:
        if stored is not None:  # written, then rolled back with the case (the commit failed)
            attachment_files_remove(attachment=stored)
        raise
    return case, True


def attachment_files_remove(*, attachment: Attachment) -> None:
    """Remove the files of an attachment whose row was rolled back with the caller's transaction
    (no audit row: nothing the database keeps changes). Not for a committed attachment."""
    root = media_root()
    _remove_files([root / attachment.path, root / attachment.public_path])


def _remove_files(paths: list[Path]) -> None:
    # the folder stays: another upload to the same case may be writing into it
    for path in paths:
        path.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- escalation

_LEVELS = (2, 4, 6, 9, 12, 15)


def _parent_prefix(prefix: str) -> str:
    shorter = [n for n in _LEVELS if n < len(prefix)]
    return prefix[:shorter[-1]] if shorter else prefix


LEVEL_NAMES = {9: "street", 6: "district", 4: "city"}
TOP_LEVEL = 4  # a case rises at most to the city (4 digits)


@dataclass(frozen=True)
class Escalation:
    case_id: int
    stage: str
    overdue_since: datetime | None
    from_prefix: str
    to_prefix: str
    step: int  # 1 = first escalation of the stage, 2 = the next …


def escalation_due(*, now: datetime | None = None, limit: int = 5000) -> list[Escalation]:
    """What ``cases_escalate`` would do at ``now`` (nothing is written): every open case whose running
    stage is past its deadline and that is either not escalated in this stage yet, or escalated and
    still overdue at its ``next_escalation_at``; oldest deadline first."""
    now = now or timezone.now()
    qs = (Case.objects.filter(state__in=workflow.OPEN_STATES, stage_deadline__lt=now)
          .filter(Q(stage_escalated=False) | Q(next_escalation_at__lte=now))
          .order_by("stage_deadline", "id")
          .values("id", "stage", "stage_deadline", "supervising_prefix", "grid_code", "escalation_level",
                  "stage_escalated"))
    out = []
    for row in qs[:limit]:
        current = row["supervising_prefix"] or row["grid_code"][:9]
        target = _parent_prefix(current)
        if len(current) <= TOP_LEVEL or target == current:
            continue
        out.append(Escalation(row["id"], row["stage"], row["stage_deadline"], current, target,
                              row["escalation_level"] + 1))
    return out


def next_escalation(cal: workcal.WorkCalendar, prefix: str, now: datetime) -> datetime | None:
    """When a case that rose to ``prefix`` rises again if still overdue: after that level's further
    limit (settings.GRIDGOV_CASES_ESCALATION_AFTER, working time); None at the top level."""
    if len(prefix) <= TOP_LEVEL:
        return None
    limit = settings.GRIDGOV_CASES_ESCALATION_AFTER.get(LEVEL_NAMES.get(len(prefix), ""), "")
    return cal.deadline(now, limit) if limit else None


def cases_escalate(*, now: datetime | None = None, limit: int = 5000) -> list[int]:
    """Raise every case whose running stage is past its deadline to the supervising level above:
    street (9 digits) -> district (6) at the deadline, then district -> city (4) if the stage is
    still overdue after the district's further limit (``GRIDGOV_CASES_ESCALATION_AFTER``), and so
    on to the city. Each step is a timeline entry and an audit row. One conditional UPDATE per case;
    a case changed meanwhile is skipped (the next run picks it up)."""
    now = now or timezone.now()
    cal = selectors.work_calendar()
    done = []
    for step in escalation_due(now=now, limit=limit):
        with transaction.atomic():
            case = Case.objects.filter(pk=step.case_id).first()
            if case is None or case.stage_deadline is None or case.stage_deadline >= now:
                continue
            if case.stage_escalated and (case.next_escalation_at is None or case.next_escalation_at > now):
                continue
            target = _parent_prefix(case.supervising_prefix or case.grid_code[:9])
            if not update_versioned(Case, case.pk, case.version, raise_conflict=False, stage_escalated=True,
                                    escalation_level=case.escalation_level + 1, supervising_prefix=target,
                                    next_escalation_at=next_escalation(cal, target, now), updated_at=now):
                continue
            CaseEvent.objects.create(case=case, grid_code=case.grid_code, at=now, actor_name="system",
                                     action="escalate", from_state=case.state, to_state=case.state,
                                     note=f"{case.stage} overdue since {case.stage_deadline.isoformat()}",
                                     data={"stage": case.stage, "to": target,
                                           "from": case.supervising_prefix or case.grid_code[:9],
                                           "step": case.escalation_level + 1})
            audit_write(AuditAction.UPDATE, object_type="case", object_id=case.pk, jurisdiction=case.grid_code,
                        reason="overdue stage escalated", changes={"supervising_prefix": target})
            done.append(case.pk)
    return done


# ----------------------------------------------------------------------------- Open311 keys

@transaction.atomic
def open311_key_create(*, name: str, max_per_hour: int | None = None, actor: User | None = None) -> tuple[Open311Key, str]:
    """A new api_key; returns (key, the raw key to hand over once). ``max_per_hour``: cases it may
    submit in any hour (default the model's, 600; 0 = unlimited)."""
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "must not be empty", code="required")
    if max_per_hour is None:
        max_per_hour = Open311Key._meta.get_field("max_per_hour").default
    if isinstance(max_per_hour, bool) or not isinstance(max_per_hour, int) \
            or not 0 <= max_per_hour <= OPEN311_MAX_PER_HOUR:
        raise FieldError("max_per_hour", "a whole number from 0 (unlimited) to %(max)s",
                         params={"max": f"{OPEN311_MAX_PER_HOUR:,}"})
    raw = OPEN311_KEY_PREFIX + secrets.token_urlsafe(24)
    key = Open311Key.objects.create(name=name[:64], prefix=raw[len(OPEN311_KEY_PREFIX):][:8],
                                    digest=hashlib.sha256(raw.encode()).hexdigest(), max_per_hour=max_per_hour)
    audit_write(AuditAction.CREATE, actor=actor, object_type="open311_key", object_id=key.pk,
                changes={"name": key.name, "prefix": key.prefix, "max_per_hour": key.max_per_hour})
    return key, raw


@transaction.atomic
def open311_key_revoke(*, key_id: int, actor: User | None = None) -> None:
    if not Open311Key.objects.filter(pk=key_id, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        raise NotFound("key not found")
    audit_write(AuditAction.DELETE, actor=actor, object_type="open311_key", object_id=key_id)
