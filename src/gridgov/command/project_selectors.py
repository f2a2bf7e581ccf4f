"""Every read of the base-level project list (项目清单).

The acting user comes first; reads need ``command.view`` (403 without it) and see the projects
whose area code lies under one of their memberships granting it (accounts/scope.py); any other
project is absent (404). The deadline colour is ``project_rules.deadline_colour`` at ``now``
(default: the current time), so tests and the screen set the clock by passing ``now``.

For the command screen and the scorecard (the coordinator registers them):
- ``project_actions(user, area_code)``: supervision cards of the area's overdue and nearly due
  projects (``{kind, title, url, due, colour}``);
- ``project_completion(area_code, month_start, month_end)``: the share of the projects due in the
  month (not cancelled) that were done on or before their deadline; None when none were due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, has_capability, require_capability, scope_q, user_prefixes
from gridgov.command import project_rules as rules
from gridgov.command.models import Milestone, ProgressNote, Project, ProjectChange, ProjectPhoto
from gridgov.core.errors import NotFound
from gridgov.core.i18n import field_label
from gridgov.geo import selectors as geo_selectors

VIEW = "command.view"
WRITE = "command.projects"
COLOURS = ("green", "yellow", "red")


def projects_visible(user: User) -> QuerySet[Project]:
    require_capability(user, VIEW)
    return Project.objects.filter(scope_q(user_prefixes(user, VIEW), "area_code"))


def can_write(user: User, project: Project | None = None) -> bool:
    if not has_capability(user, WRITE):
        return False
    if project is None:
        return bool(user_prefixes(user, WRITE, purpose="write"))
    return code_in_scope(user, project.area_code, capability=WRITE, purpose="write")


def project_get(user: User, project_id: int) -> Project:
    project = projects_visible(user).filter(pk=project_id).first()
    if project is None:
        raise NotFound("project not found")
    return project


def category_name(code: str) -> str:
    english = (get_language() or "").startswith("en")
    for c in rules.categories():
        if c.code == code:
            return c.name_en if english else c.name
    return code


def category_options() -> list[dict[str, str]]:
    return [{"code": c.code, "name": category_name(c.code)} for c in rules.categories()]


def status_options() -> list[dict[str, str]]:
    return [{"code": code, "name": str(label)} for code, label in Project.Status.choices]


def status_name(code: str) -> str:
    return str(dict(Project.Status.choices).get(code, code))


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


@dataclass
class ProjectRow:
    project: Project
    colour: str  # green/yellow/red for an open project, "" for a done or cancelled one
    fraction: float
    overdue: bool
    area_name: str
    category_name: str
    status_name: str
    on_time: bool | None  # done projects: done on or before the deadline

    @property
    def percent(self) -> int:
        return int(self.fraction * 100)


def _row(project: Project, now: datetime, names: dict[str, str]) -> ProjectRow:
    today = timezone.localtime(now).date()
    is_open = project.status in rules.OPEN
    fraction = rules.deadline_fraction(project.start_date, project.deadline, now) if is_open else 0.0
    colour = rules.deadline_colour(project.start_date, project.deadline, now) if is_open else ""
    on_time = (project.done_on <= project.deadline) if project.status == rules.DONE and project.done_on else None
    return ProjectRow(project, colour, fraction, rules.is_overdue(project.status, project.deadline, today),
                      names.get(project.area_code, ""), category_name(project.category), status_name(project.status),
                      on_time)


def rows(projects: list[Project], *, now: datetime | None = None) -> list[ProjectRow]:
    moment = _now(now)
    names = geo_selectors.place_names({p.area_code for p in projects})
    return [_row(p, moment, names) for p in projects]


def project_list(user: User, *, area: str = "", category: str = "", status: str = "", colour: str = "",
                 key: str = "", year: int | None = None, now: datetime | None = None) -> list[ProjectRow]:
    """The visible projects, filtered: ``area`` a code prefix; ``colour`` green/yellow/red (open
    projects only) or "overdue"; ``key`` "1" the year's promised items (of ``year`` when given)."""
    qs = projects_visible(user)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if category:
        qs = qs.filter(category=category)
    if status:
        qs = qs.filter(status=status)
    if key == "1":
        qs = qs.filter(is_key=True)
        if year:
            qs = qs.filter(key_year=year)
    elif key == "0":
        qs = qs.filter(is_key=False)
    out = rows(list(qs.order_by("deadline", "id")), now=now)
    if colour == "overdue":
        out = [r for r in out if r.overdue]
    elif colour in COLOURS:
        out = [r for r in out if r.colour == colour]
    return out


def area_options(user: User) -> list[dict[str, str]]:
    """The districts and streets the user sees (for the area filter and the form)."""
    prefixes = user_prefixes(user, VIEW)
    divisions = geo_selectors.divisions_visible(user).filter(level__in=(6, 9)).filter(scope_q(prefixes, "prefix"))
    return [{"code": d.prefix, "name": d.name} for d in divisions.order_by("prefix")]


def write_area_options(user: User) -> list[dict[str, str]]:
    return [a for a in area_options(user) if code_in_scope(user, a["code"], capability=WRITE, purpose="write")]


def project_detail(user: User, project_id: int, *, now: datetime | None = None) -> dict[str, Any]:
    project = project_get(user, project_id)
    row = rows([project], now=now)[0]
    notes = list(ProgressNote.objects.filter(project=project).prefetch_related("photos"))
    return {
        "row": row,
        "milestones": list(Milestone.objects.filter(project=project)),
        "notes": notes,
        "history": [history_row(h) for h in ProjectChange.objects.filter(project=project)[:200]],
        "transitions": sorted(rules.TRANSITIONS[project.status], key=rules.STATUSES.index),
    }


HISTORY_ACTIONS = {
    "created": gettext_lazy("created the project"),
    "imported": gettext_lazy("imported the project"),
    "edited": gettext_lazy("edited"),
    "status": gettext_lazy("changed the status"),
    "milestone_added": gettext_lazy("added a milestone"),
    "milestone_done": gettext_lazy("completed a milestone"),
    "note": gettext_lazy("added a progress note"),
}


def _value(key: str, value: Any) -> str:
    if key == "status":
        return status_name(str(value))
    if key == "category":
        return category_name(str(value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else str(value)


def history_row(change: ProjectChange) -> dict[str, Any]:
    """One history entry for a person: who, when, and what changed, in words."""
    action = str(HISTORY_ACTIONS.get(change.action, change.action))
    c = change.changes or {}
    if change.action in ("edited", "status"):
        parts = []
        for key, pair in c.items():
            if isinstance(pair, list) and len(pair) == 2:
                parts.append(f"{field_label(key) or key}: {_value(key, pair[0])} → {_value(key, pair[1])}")
            elif key == "note":
                parts.append(f"{_('reason')}: {pair}")
        detail = "；".join(parts)
    elif change.action in ("milestone_added", "milestone_done"):
        detail = f"{c.get('milestone', '')} {c.get('due_date') or c.get('done_on') or ''}".strip()
    elif change.action == "note" and c.get("photos"):
        detail = _("%(n)s photos") % {"n": c["photos"]}
    else:
        detail = ""
    return {"at": change.at, "actor_name": change.actor_name or _("system"),
            "text": f"{action}{'：' + detail if detail else ''}"}


def photo_get(user: User, photo_id: int) -> ProjectPhoto:
    photo = ProjectPhoto.objects.filter(pk=photo_id, project__in=projects_visible(user)).first()
    if photo is None:
        raise NotFound("photo not found")
    return photo


# ----------------------------------------------------------------------------- map and timeline

def map_features(user: User, *, now: datetime | None = None, **filters: Any) -> dict[str, Any]:
    """GeoJSON points of the filtered projects that have a point."""
    features = []
    for r in project_list(user, now=now, **filters):
        p = r.project
        if p.lon is None or p.lat is None:
            continue
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                         "properties": {"id": p.pk, "title": p.title, "status": r.status_name,
                                        "category": r.category_name, "area": r.area_name,
                                        "deadline": p.deadline.isoformat(), "colour": r.colour or "grey",
                                        "overdue": r.overdue,
                                        "url": reverse("command:project_detail", args=[p.pk])}})
    return {"type": "FeatureCollection", "features": features}


def timeline(rows_: list[ProjectRow], *, now: datetime | None = None) -> dict[str, Any]:
    """Bars for a Gantt-like chart: each project from its start to its deadline as a share (0-100)
    of the shown span (the earliest start to the latest deadline), with its milestones and today."""
    if not rows_:
        return {"bars": [], "span": None}
    first = min(r.project.start_date for r in rows_)
    last = max(r.project.deadline for r in rows_)
    days = max(1, (last - first).days + 1)

    def pct(day: date) -> float:
        return round(100.0 * (day - first).days / days, 3)

    today = timezone.localtime(_now(now)).date()
    milestones: dict[int, list[Milestone]] = {}
    for m in Milestone.objects.filter(project_id__in=[r.project.pk for r in rows_]):
        milestones.setdefault(m.project_id, []).append(m)
    bars = []
    for r in rows_:
        p = r.project
        left = pct(p.start_date)
        width = max(0.5, round(100.0 * ((p.deadline - p.start_date).days + 1) / days, 3))
        bars.append({"row": r, "left": left, "width": width,
                     "milestones": [{"m": m, "at": pct(m.due_date)} for m in milestones.get(p.pk, [])]})
    months = []
    cursor = date(first.year, first.month, 1)
    while cursor <= last:
        if cursor >= first:
            months.append({"label": cursor.strftime("%Y-%m"), "at": pct(cursor)})
        cursor = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    return {"bars": bars, "span": (first, last), "today": pct(today) if first <= today <= last else None,
            "months": months}


# ----------------------------------------------------------------------------- screen and scorecard

def project_actions(user: User, area_code: str, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Supervision cards for the area: each overdue open project (kind ``project_overdue``, colour
    red) and each open project in its last 20 % (kind ``project_due``, colour yellow), overdue
    first then by deadline. Only projects the user sees; an area outside the user's scope gives
    none. ``due`` is the deadline (ISO date)."""
    if not has_capability(user, VIEW):
        return []
    moment = _now(now)
    qs = projects_visible(user).filter(area_code__startswith=area_code, status__in=rules.OPEN)
    cards = []
    for r in rows(list(qs.order_by("deadline", "id")), now=moment):
        if r.colour not in ("yellow", "red"):
            continue
        p = r.project
        overdue = r.colour == "red"
        title = (_("Overdue project: %(title)s (%(owner)s, %(unit)s)") if overdue
                 else _("Project due soon: %(title)s (%(owner)s, %(unit)s)")) % {
            "title": p.title, "owner": p.owner_name, "unit": p.owner_unit}
        cards.append({"kind": "project_overdue" if overdue else "project_due", "title": title,
                      "url": reverse("command:project_detail", args=[p.pk]), "due": p.deadline.isoformat(),
                      "colour": r.colour, "area": r.area_name, "project_id": p.pk})
    cards.sort(key=lambda c: (c["kind"] != "project_overdue", c["due"]))
    return cards


def project_completion(area_code: str, month_start: date, month_end: date) -> float | None:
    """Share of the area's projects due in [month_start, month_end] (cancelled ones left out) that
    were done on or before their deadline; None when none were due. For the scorecard (a system
    read: the scorecard applies its own scoping)."""
    due = Project.objects.filter(area_code__startswith=area_code, deadline__gte=month_start,
                                 deadline__lte=month_end).exclude(status=rules.CANCELLED)
    total = due.count()
    if not total:
        return None
    on_time = due.filter(status=rules.DONE, done_on__isnull=False, done_on__lte=F("deadline")).count()
    return on_time / total

