"""Every write of the base-level project list (项目清单).

Each function is keyword-only, atomic, checks the ``command.projects`` capability and the WRITE
scope (the project's area code must lie under one of the actor's capture memberships that grant
it; a project outside is absent: ``NotFound``), writes, appends a ``ProjectChange`` row (the
project's own history) and an audit row (core.audit). Status changes follow the transition table
of ``project_rules`` and the optimistic version of ``Versioned`` (a stale version: 409, nothing
changes).
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, require_capability
from gridgov.cases.services import IMAGE_TYPES, attachment_check, media_root, strip_metadata
from gridgov.command import project_rules as rules
from gridgov.command.models import Milestone, ProgressNote, Project, ProjectChange, ProjectPhoto
from gridgov.core.audit import audit_write
from gridgov.core.errors import Conflict, ErrorReport, FieldError, NotFound
from gridgov.core.models import AuditAction
from gridgov.core.versioning import update_versioned

WRITE = "command.projects"
MAX_TITLE = 200
MAX_NAME = 64
MAX_UNIT = 128
MAX_TEXT = 4000
MAX_PHOTOS = 6
AREA_LENGTHS = (6, 9, 12)
EDITABLE = ("title", "description", "owner_name", "owner_unit", "area_code", "category", "is_key", "key_year",
            "start_date", "deadline", "lon", "lat")


# ----------------------------------------------------------------------------- validation

def _text(report: ErrorReport, name: str, value: Any, limit: int, *, required: bool, row: int | None) -> str:
    text = str(value or "").strip()
    if required and not text:
        report.add(name, "required", code="required", row=row)
    elif len(text) > limit:
        report.add(name, "at most %(limit)s characters", code="too_long", row=row, params={"limit": limit})
    return text


def _date(report: ErrorReport, name: str, value: Any, *, required: bool, row: int | None) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        if required:
            report.add(name, "required", code="required", row=row)
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        report.add(name, "%(value)s is not a date (YYYY-MM-DD)", code="invalid_date", row=row,
                   params={"value": text[:20]})
        return None


def _float(report: ErrorReport, name: str, value: Any, low: float, high: float, *, row: int | None) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        report.add(name, "%(value)s is not a number", code="invalid_number", row=row, params={"value": str(value)[:20]})
        return None
    if not low <= number <= high:
        report.add(name, "must be between %(low)s and %(high)s", code="out_of_range", row=row,
                   params={"low": low, "high": high})
        return None
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "y", "on", "是", "√", "✓")


def validate_fields(data: dict[str, Any], *, actor: User | None, report: ErrorReport, row: int | None = None,
                    in_scope=None) -> dict[str, Any]:
    """Clean the editable fields of one project (a form or an import row); problems go to ``report``
    with ``row``. ``in_scope(code) -> bool`` (default: the actor's write scope) decides the area."""
    out: dict[str, Any] = {
        "title": _text(report, "title", data.get("title"), MAX_TITLE, required=True, row=row),
        "description": _text(report, "description", data.get("description"), MAX_TEXT, required=False, row=row),
        "owner_name": _text(report, "owner_name", data.get("owner_name"), MAX_NAME, required=True, row=row),
        "owner_unit": _text(report, "owner_unit", data.get("owner_unit"), MAX_UNIT, required=True, row=row),
    }
    area = str(data.get("area_code") or "").strip()
    if not area:
        report.add("area_code", "required", code="required", row=row)
    elif not area.isdigit() or len(area) not in AREA_LENGTHS:
        report.add("area_code", "%(value)s is not a district, street or community code (6, 9 or 12 digits)",
                   code="invalid_code", row=row, params={"value": area[:20]})
    else:
        check = in_scope or (lambda code: code_in_scope(actor, code, capability=WRITE, purpose="write"))
        if not check(area):
            report.add("area_code", "%(value)s is outside your jurisdiction", code="out_of_scope", row=row,
                       params={"value": area})
    out["area_code"] = area
    category = str(data.get("category") or "").strip()
    by_name = {c.name: c.code for c in rules.categories()} | {c.name_en: c.code for c in rules.categories()}
    category = by_name.get(category, category)
    if not category:
        report.add("category", "required", code="required", row=row)
    elif category not in rules.category_codes():
        report.add("category", "unknown category %(value)s", code="unknown_code", row=row,
                   params={"value": category[:20]})
    out["category"] = category
    start = _date(report, "start_date", data.get("start_date"), required=True, row=row)
    deadline = _date(report, "deadline", data.get("deadline"), required=True, row=row)
    if start and deadline and deadline < start:
        report.add("deadline", "the deadline is before the start", code="before_start", row=row)
    out["start_date"], out["deadline"] = start, deadline
    out["is_key"] = _bool(data.get("is_key"))
    year_raw = str(data.get("key_year") or "").strip()
    year: int | None = None
    if year_raw:
        if not year_raw.isdigit() or not 2000 <= int(year_raw) <= 2100:
            report.add("key_year", "%(value)s is not a year", code="invalid_year", row=row,
                       params={"value": year_raw[:20]})
        else:
            year = int(year_raw)
    if out["is_key"] and year is None and start is not None and not year_raw:
        year = start.year
    out["key_year"] = year if out["is_key"] else None
    out["lon"] = _float(report, "lon", data.get("lon"), 73.0, 136.0, row=row)
    out["lat"] = _float(report, "lat", data.get("lat"), 3.0, 54.0, row=row)
    if (out["lon"] is None) != (out["lat"] is None) and not report:
        report.add("lat" if out["lat"] is None else "lon", "give both longitude and latitude, or neither",
                   code="incomplete_point", row=row)
    return out


# ----------------------------------------------------------------------------- helpers

def _history(project: Project, actor: User | None, action: str, changes: dict[str, Any]) -> None:
    name = actor.get_username() if actor is not None and getattr(actor, "is_authenticated", False) else ""
    ProjectChange.objects.create(project=project, actor=actor if name else None, actor_name=name, action=action,
                                 changes=_jsonable(changes))


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if isinstance(value, (list, tuple)) and len(value) == 2:
            out[key] = [_plain(value[0]), _plain(value[1])]
        else:
            out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _audit(action: str, actor: User | None, project: Project, changes: dict[str, Any], *, object_type: str = "project",
           object_id: Any = None) -> None:
    audit_write(action, actor=actor, object_type=object_type, object_id=object_id or project.pk,
                jurisdiction=project.area_code, changes=_jsonable(changes))


def _writable(actor: User, project_id: int) -> Project:
    require_capability(actor, WRITE)
    project = Project.objects.filter(pk=project_id).first()
    if project is None or not code_in_scope(actor, project.area_code, capability=WRITE, purpose="write"):
        raise NotFound("project not found")
    return project


# ----------------------------------------------------------------------------- projects

@transaction.atomic
def project_create(*, actor: User, milestones: Iterable[tuple[str, Any]] = (), **fields: Any) -> Project:
    """A new project (status planned) from the editable fields; ``milestones``: (title, due date)."""
    require_capability(actor, WRITE)
    report = ErrorReport()
    clean = validate_fields(fields, actor=actor, report=report)
    steps = _milestones(report, milestones, clean)
    report.raise_if_any("the project was not saved")
    project = Project.objects.create(created_by=actor, **clean)
    for title, due in steps:
        Milestone.objects.create(project=project, title=title, due_date=due)
    changes = {**clean, "milestones": [[t, d.isoformat()] for t, d in steps]}
    _history(project, actor, "created", changes)
    _audit(AuditAction.CREATE, actor, project, changes)
    return project


def _milestones(report: ErrorReport, milestones: Iterable[tuple[str, Any]], clean: dict[str, Any],
                row: int | None = None) -> list[tuple[str, date]]:
    out = []
    for title, due in milestones:
        name = _text(report, "milestone", title, MAX_TITLE, required=True, row=row)
        day = _date(report, "milestone_due", due, required=True, row=row)
        if name and day:
            out.append((name, day))
    return out


@transaction.atomic
def project_update(*, actor: User, project_id: int, version: int, **fields: Any) -> Project:
    """Change the editable fields (all of them are given, as the form sends them). The version must
    be the current one (else 409). Records old -> new of each changed field."""
    project = _writable(actor, project_id)
    report = ErrorReport()
    clean = validate_fields(fields, actor=actor, report=report)
    report.raise_if_any("the project was not saved")
    changed = {k: (getattr(project, k), v) for k, v in clean.items() if getattr(project, k) != v}
    if not changed:
        return project
    update_versioned(Project, project.pk, version, **clean)
    project.refresh_from_db()
    _history(project, actor, "edited", changed)
    _audit(AuditAction.UPDATE, actor, project, changed)
    return project


@transaction.atomic
def project_transition(*, actor: User, project_id: int, version: int, status: str, note: str = "",
                       today: date | None = None) -> Project:
    """Move the project along the transition table (``project_rules.TRANSITIONS``); done records the
    completion date (``today``, default the local date). A move the table does not allow: 409."""
    project = _writable(actor, project_id)
    if status not in rules.STATUSES:
        raise FieldError("status", "unknown status %(value)s", code="unknown_code", params={"value": str(status)[:20]})
    if not rules.can_transition(project.status, status):
        raise Conflict("a project cannot go from %(old)s to %(new)s", code="invalid_transition",
                       params={"old": project.status, "new": status})
    report = ErrorReport()
    text = _text(report, "note", note, MAX_TEXT, required=status in (rules.SUSPENDED, rules.CANCELLED), row=None)
    report.raise_if_any("the status was not changed")
    values: dict[str, Any] = {"status": status}
    if status == rules.DONE:
        values["done_on"] = today or timezone.localdate()
    update_versioned(Project, project.pk, version, **values)
    changes: dict[str, Any] = {"status": (project.status, status)}
    if "done_on" in values:
        changes["done_on"] = values["done_on"]
    if text:
        changes["note"] = text
    project.refresh_from_db()
    _history(project, actor, "status", changes)
    _audit(AuditAction.TRANSITION, actor, project, changes)
    return project


# ----------------------------------------------------------------------------- milestones and notes

@transaction.atomic
def milestone_add(*, actor: User, project_id: int, title: str, due_date: Any) -> Milestone:
    project = _writable(actor, project_id)
    report = ErrorReport()
    steps = _milestones(report, [(title, due_date)], {})
    report.raise_if_any("the milestone was not saved")
    name, day = steps[0]
    milestone = Milestone.objects.create(project=project, title=name, due_date=day)
    changes = {"milestone": name, "due_date": day}
    _history(project, actor, "milestone_added", changes)
    _audit(AuditAction.CREATE, actor, project, changes, object_type="project_milestone", object_id=milestone.pk)
    return milestone


@transaction.atomic
def milestone_complete(*, actor: User, milestone_id: int, done_on: date | None = None) -> Milestone:
    milestone = Milestone.objects.select_related("project").filter(pk=milestone_id).first()
    if milestone is None:
        raise NotFound("milestone not found")
    project = _writable(actor, milestone.project_id)
    if milestone.done_on is not None:
        raise Conflict("the milestone is already done", code="already_done")
    milestone.done_on = done_on or timezone.localdate()
    milestone.save(update_fields=["done_on"])
    changes = {"milestone": milestone.title, "done_on": milestone.done_on}
    _history(project, actor, "milestone_done", changes)
    _audit(AuditAction.UPDATE, actor, project, changes, object_type="project_milestone", object_id=milestone.pk)
    return milestone


def note_add(*, actor: User, project_id: int, text: str, photos: Iterable[bytes] = ()) -> ProgressNote:
    """A progress note with up to ``MAX_PHOTOS`` photos (JPEG/PNG/WebP by content, 10 MB each, as
    case attachments; metadata removed). All or nothing: every photo is checked before anything is
    written; files written are removed if the transaction fails."""
    photos = list(photos)
    report = ErrorReport()
    clean = _text(report, "note", text, MAX_TEXT, required=True, row=None)
    if len(photos) > MAX_PHOTOS:
        report.add("photos", "at most %(limit)s photos", code="too_many", params={"limit": MAX_PHOTOS})
    for data in photos:
        try:
            attachment_check(data=data)
        except FieldError as exc:
            report.add_error(exc)
    report.raise_if_any("the progress note was not saved")
    written: list[Path] = []
    try:
        with transaction.atomic():
            project = _writable(actor, project_id)
            note = ProgressNote.objects.create(project=project, text=clean, author=actor,
                                               author_name=actor.get_username())
            for data in photos:
                _photo_store(project, note, data, written)
            changes = {"note": clean, "photos": len(photos)}
            _history(project, actor, "note", changes)
            _audit(AuditAction.CREATE, actor, project, changes, object_type="project_note", object_id=note.pk)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return note


def _photo_store(project: Project, note: ProgressNote, data: bytes, written: list[Path]) -> ProjectPhoto:
    from PIL import Image

    content_type = attachment_check(data=data)
    fmt = next(f for f, (ct, _) in IMAGE_TYPES.items() if ct == content_type)
    clean = strip_metadata(data, fmt)
    with Image.open(io.BytesIO(clean)) as img:
        width, height = img.size
    ext = IMAGE_TYPES[fmt][1]
    rel = Path("projects") / project.area_code[:6] / str(project.pk) / f"{secrets.token_hex(16)}.{ext}"
    path = media_root() / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    written.append(path)
    path.write_bytes(clean)
    return ProjectPhoto.objects.create(note=note, project=project, content_type=content_type, size=len(clean),
                                       sha256=hashlib.sha256(clean).hexdigest(), width=width, height=height,
                                       path=str(rel))
