"""Pages: landing, intake desk, worklists (dispatcher queue, department, verify …), the grid
worker's mobile page, case detail (timeline, map, actions), open-cases map, scorecard.
Thin: parse the form, call one service or selector, render or redirect."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import code_in_scope, has_capability, require_capability
from gridgov.cases import exports, selectors, services
from gridgov.cases.indicators import INDICATORS
from gridgov.core.errors import Forbidden, GridgovError
from gridgov.core.i18n import text_of
from gridgov.core.masking import mask_phone
from gridgov.core.pages import page_view
from gridgov.geo.selectors import place_name

STATE_LABELS = {
    "reported": _("Reported"), "accepted": _("Accepted"), "rejected": _("Rejected"), "registered": _("Registered"),
    "dispatched": _("Dispatched"), "handling": _("Being handled"), "handled": _("Handled"),
    "verified": _("Verified"), "closed": _("Closed"), "evaluated": _("Evaluated"), "suspended": _("Suspended"),
}
ACTION_LABELS = {
    "accept": _("Accept"), "reject": _("Reject"), "mark_duplicate": _("Mark as duplicate"),
    "register": pgettext_lazy("case action", "Register"), "dispatch": _("Dispatch"), "start": _("Take on"),
    "send_back": _("Send back (wrong department)"), "request_extension": _("Request extension"),
    "approve_extension": _("Approve extension"), "deny_extension": _("Deny extension"),
    "feedback": _("Report as handled"), "verify": _("Verify"), "rework": _("Send back for rework"),
    "close": pgettext_lazy("case action", "Close"), "evaluate": _("Record satisfaction"), "suspend": _("Suspend (long-term)"),
    "resume": _("Resume"), "reopen": _("Reopen"), "supervise": _("Supervision card"),
    "report": _("Reported"), "note": _("Note"), "escalate": _("Escalated (overdue)"), "task_done": _("Task done"),
    "task_cancelled": _("Assisting task cancelled"),
    "deadline_moved": _("Deadline recomputed (working calendar changed)"),
    "reassign": _("Reassign (改派)"), "recall": _("Recall to the dispatch queue (撤回)"),
}
# the running stage of a case (workflow.STAGES), as the centre names it
STAGE_LABELS = {
    "accept": _("acceptance"), "register": _("case registration"), "dispatch": _("dispatch"),
    "handle": _("handling"), "verify": _("verification"), "close": _("closing"),
}
NOTE_REQUIRED = {"reject", "send_back", "request_extension", "feedback", "rework", "suspend", "reopen", "reassign",
                 "recall"}
WORKLIST_LABELS = {
    "mine": _("My reports"), "queue": _("Dispatcher queue"), "department": _("Department worklist"),
    "verify": _("To verify"), "close": _("To close"), "evaluate": _("Satisfaction callbacks"),
    "overdue": _("Overdue"), "supervised": _("Under supervision"), "open": _("All open cases"),
    "all": _("All cases"),
}
COLOUR_LABELS = {"green": _("on time"), "yellow": _("due soon"), "red": _("overdue"), "": ""}


def _ctx(**extra) -> dict:
    return {"state_labels": STATE_LABELS, "colour_labels": COLOUR_LABELS, **extra}


def _rows(cases) -> list[dict]:
    cal, now = selectors.work_calendar(), timezone.now()
    out = []
    for case in cases:
        status = selectors.stage_status(case, cal=cal, now=now)
        out.append({"case": case, "status": status, "state_label": STATE_LABELS.get(case.state, case.state),
                    "stage_label": STAGE_LABELS.get(status.stage or "", status.stage or ""),
                    "percent": round(status.fraction * 100)})
    return out


def _timeline_row(e) -> dict:
    """One timeline entry as a person reads it: the action's name, the change of state, and for
    the entries the system writes (escalation) a text made from the event's data, so that stored
    English notes and codes (``handle overdue since …``, ``310116100``) show as words and names."""
    note = e.note
    actor = e.actor_name
    if e.action == "escalate":
        data = e.data or {}
        stage = data.get("stage") or ""
        note = _("%(stage)s overdue, escalated to %(place)s") % {
            "stage": STAGE_LABELS.get(stage, stage), "place": place_name(data.get("to") or "") or data.get("to", "")}
    if actor == "system":
        actor = _("system")
    return {"e": e, "label": ACTION_LABELS.get(e.action, e.action), "note": note, "actor": actor,
            "change": (f"{STATE_LABELS.get(e.from_state, e.from_state)} → {STATE_LABELS.get(e.to_state, e.to_state)}"
                       if e.from_state and e.from_state != e.to_state else "")}


@page_view
def home(request):
    selectors.cases_visible(request.user)  # no case capability at all: 403
    counts = selectors.worklist_counts(request.user)
    lists = [{"name": n, "label": WORKLIST_LABELS[n], "count": c, "url": reverse("cases:worklist", args=[n])}
             for n, c in counts.items()]
    return render(request, "cases/home.html", _ctx(
        lists=lists, can_report=has_capability(request.user, "cases.report"),
        can_evaluate=has_capability(request.user, "cases.evaluate"), provisional_years=selectors.provisional_years()))


@page_view
def worklist(request, name: str):
    if name not in selectors.WORKLISTS:
        raise Http404("no such worklist")
    q = request.GET.get("q", "")[:64]
    # area and reporting-day filters (the command screen's tiles link here): ?grid=<code prefix>&since=<date>
    grid = request.GET.get("grid", "")[:15]
    grid = grid if grid.isdigit() else ""
    try:
        day = date.fromisoformat(request.GET.get("since", "")) if request.GET.get("since") else None
    except ValueError:
        day = None
    since = datetime.combine(day, time.min, timezone.get_current_timezone()) if day else None
    qs = selectors.case_list(request.user, worklist=name, q=q or None, grid=grid or None, since=since)
    total = qs.count()
    return render(request, "cases/worklist.html", _ctx(
        name=name, title=WORKLIST_LABELS[name], rows=_rows(qs[:200]), total=total, q=q, grid=grid,
        grid_name=place_name(grid) if grid else "", since=day))


def _categories():
    return list(selectors.categories(leaves_only=True))


@page_view
def intake(request):
    """The intake desk: a hotline operator's or grid worker's report form."""
    require_capability(request.user, "cases.report")
    form = {"client_uuid": str(uuid.uuid4()), "channel": "hotline"}
    if request.method == "POST":
        form = request.POST.dict()
        case = _report_from_form(request, form)
        if case is not None:
            return redirect("cases:detail", case.pk)
    return render(request, "cases/intake.html", _ctx(form=form, categories=_categories()))


def _report_from_form(request, form: dict):
    def num(key):
        value = (form.get(key) or "").strip()
        return float(value) if value else None

    try:
        case, created = services.case_report(
            actor=request.user, category_code=form.get("category", ""), description=form.get("description", ""),
            lon=num("lon"), lat=num("lat"), grid_code=(form.get("grid_code") or "").strip() or None,
            address=form.get("address", ""), channel=form.get("channel", "grid"),
            caller_name=form.get("caller_name", ""), caller_phone=form.get("caller_phone", ""),
            client_uuid=form.get("client_uuid") or None)
    except ValueError:
        messages.error(request, gettext("Longitude and latitude must be numbers."))
        return None
    except GridgovError as exc:
        messages.error(request, text_of(exc))
        return None
    photo = request.FILES.get("photo")
    if photo is not None and created:
        try:
            services.attachment_add(actor=request.user, case_id=case.pk, data=photo.read())
        except GridgovError as exc:
            messages.error(request, text_of(exc))
    messages.success(request, gettext("Case #%(id)s reported.") % {"id": case.pk} if created else
                     gettext("This report was already received as case #%(id)s.") % {"id": case.pk})
    return case


@page_view
def mobile(request):
    """The grid worker's phone page: report (with a photo), cases to verify, own reports."""
    can_report = has_capability(request.user, "cases.report")
    form = {"client_uuid": str(uuid.uuid4()), "channel": "grid"}
    if request.method == "POST" and can_report:
        form = request.POST.dict()
        case = _report_from_form(request, form)
        if case is not None:
            return redirect("cases:mobile")
    verify = (_rows(selectors.case_list(request.user, worklist="verify")[:50])
              if has_capability(request.user, "cases.evaluate") else [])
    mine = _rows(selectors.case_list(request.user, worklist="mine")[:20])
    return render(request, "cases/mobile.html", _ctx(
        form=form, categories=_categories(), verify=verify, mine=mine, can_report=can_report))


@page_view
def detail(request, case_id: int):
    case = selectors.case_get(request.user, case_id)
    actions = selectors.allowed_actions(request.user, case)
    tasks = selectors.case_tasks(case)
    # the dispatching centre of the case (capture scope) may take an open assisting task off it
    may_dispatch = (any(t.role == t.Role.ASSIST and t.status == t.Status.OPEN for t in tasks)
                    and code_in_scope(request.user, case.grid_code, capability="cases.dispatch", purpose="write"))
    dispatching = "dispatch" in actions or "reassign" in actions
    suggested = selectors.suggested_departments(case.category, case.grid_code) if dispatching else []
    departments = list(selectors.departments_for(request.user, grid_code=case.grid_code)) if dispatching else []
    duplicates = (selectors.duplicates_near(request.user, category=case.category, lon=case.lon, lat=case.lat,
                                            exclude=case.pk) if "mark_duplicate" in actions else [])
    events = [_timeline_row(e) for e in selectors.case_timeline(request.user, case)]
    return render(request, "cases/detail.html", _ctx(
        case=case, row=_rows([case])[0], tasks=tasks, events=events,
        attachments=selectors.case_attachments(case),
        actions=[{"name": a, "label": ACTION_LABELS[a], "note_required": a in NOTE_REQUIRED} for a in actions],
        suggested=suggested, departments=departments, duplicates=duplicates, categories=_categories(),
        caller_phone=mask_phone(case.caller_phone), my_departments=selectors.department_ids(request.user),
        may_dispatch=may_dispatch,
        next=request.GET.get("next", "")))


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_POST
@page_view
def act(request, case_id: int):
    post = request.POST
    action = post.get("action", "")
    params = {k: post.get(k) for k in ("lead_department", "limit", "extra", "card", "satisfaction", "duplicate_of",
                                       "category", "public_note") if post.get(k) not in (None, "")}
    params["assist_departments"] = post.getlist("assist_departments")
    version = post.get("version")
    try:
        services.case_transition(actor=request.user, case_id=case_id, action=action,
                                 version=int(version) if version and version.isdigit() else None,
                                 note=post.get("note", ""), params=params,
                                 client_uuid=post.get("client_uuid") or None)
        messages.success(request, gettext("Done: %(action)s.") % {"action": ACTION_LABELS.get(action, action)})
    except Forbidden:
        raise
    except GridgovError as exc:
        messages.error(request, text_of(exc))
    return redirect(_safe_next(request, reverse("cases:detail", args=[case_id])))


@require_POST
@page_view
def note(request, case_id: int):
    try:
        services.case_note_add(actor=request.user, case_id=case_id, note=request.POST.get("note", ""))
    except GridgovError as exc:
        messages.error(request, text_of(exc))
    return redirect("cases:detail", case_id)


@require_POST
@page_view
def attach(request, case_id: int):
    photo = request.FILES.get("photo")
    if photo is None:
        messages.error(request, gettext("Choose a photo first."))
    else:
        try:
            services.attachment_add(actor=request.user, case_id=case_id, data=photo.read())
        except GridgovError as exc:
            messages.error(request, text_of(exc))
    return redirect("cases:detail", case_id)


def _end_task(request, case_id: int, task_id: int, service, field: str):
    """An assisting task done (its department) or cancelled (the dispatching centre): the text the
    form posted as ``field``; an error becomes a message on the case page."""
    try:
        service(actor=request.user, case_id=case_id, task_id=task_id, **{field: request.POST.get(field, "")})
    except GridgovError as exc:
        messages.error(request, text_of(exc))


@require_POST
@page_view
def task_done(request, case_id: int, task_id: int):
    _end_task(request, case_id, task_id, services.task_complete, "result")
    return redirect("cases:detail", case_id)


@require_POST
@page_view
def task_cancel(request, case_id: int, task_id: int):
    _end_task(request, case_id, task_id, services.task_cancel, "reason")
    return redirect("cases:detail", case_id)


@page_view
def attachment(request, attachment_id: int):
    """Staff view of a photo (the original; scoped like the case)."""
    att = selectors.attachment_get(request.user, attachment_id)
    path = services.media_root() / att.path
    if not path.is_file():
        raise Http404("missing file")
    response = FileResponse(path.open("rb"), content_type=att.content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response


@page_view
def cases_map(request):
    selectors.cases_visible(request.user)
    return render(request, "cases/map.html", _ctx(geojson_url="/api/v1/cases/map.geojson"))


def _period(request) -> tuple[date, date]:
    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.GET.get("start", "")) if request.GET.get("start") else today.replace(day=1)
        end = date.fromisoformat(request.GET.get("end", "")) if request.GET.get("end") else today
    except ValueError:
        start, end = today.replace(day=1), today
    return start, max(start, end)


@page_view
def scorecard(request):
    group = request.GET.get("group", "department")
    if group not in selectors.GROUPS:
        group = "department"
    level = int(request.GET.get("level", "9")) if request.GET.get("level", "9").isdigit() else 9
    start, end = _period(request)
    tz = timezone.get_current_timezone()
    start_dt = datetime.combine(start, time.min, tz)
    end_dt = datetime.combine(end + timedelta(days=1), time.min, tz)
    try:
        rows = selectors.scorecard(request.user, group=group, start=start_dt, end=end_dt,
                                   level=level if level in (6, 9, 12, 15) else 9)
    except GridgovError as exc:
        if isinstance(exc, Forbidden):
            raise
        messages.error(request, text_of(exc))
        rows = []
    if request.GET.get("format") == "xlsx":
        data = exports.scorecard_xlsx(rows, group=group, start=start_dt, end=end_dt, actor=request.user)
        response = HttpResponse(data,
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="scorecard-{group}-{start:%Y%m%d}.xlsx"'
        return response
    table = [{"key": r["key"], "label": r["label"], "registered": r["counts"]["registered"],
              "cells": [r["rates"][i.key] for i in INDICATORS]} for r in rows]
    return render(request, "cases/scorecard.html", _ctx(
        group=group, level=level, start=start, end=end, table=table, indicators=INDICATORS,
        groups=[("department", _("Departments")), ("region", _("Regions")), ("worker", _("Grid workers"))]))

