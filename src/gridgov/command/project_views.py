"""Pages of the base-level project list (项目清单): list (with the area's supervision cards), map,
timeline, detail (milestones, progress notes with photos, history, status changes), the form, the
import and its template. Thin: parse, call one selector or service, render."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import require_capability
from gridgov.cases.services import media_root
from gridgov.command import project_imports, project_selectors, project_services
from gridgov.command.project_selectors import WRITE
from gridgov.core.errors import Forbidden, GridgovError, NotFound, ValidationFailed
from gridgov.core.i18n import field_label, message_of, text_of
from gridgov.core.pages import page_view

FILTERS = ("area", "category", "status", "colour", "key")


def _filters(request) -> dict[str, Any]:
    out: dict[str, Any] = {k: (request.GET.get(k) or "").strip() for k in FILTERS}
    if out["area"] and not out["area"].isdigit():
        out["area"] = ""
    year = (request.GET.get("year") or "").strip()
    out["year"] = int(year) if year.isdigit() and len(year) == 4 else None
    return out


def _base(request, **extra) -> dict[str, Any]:
    f = _filters(request)
    query = request.GET.urlencode()
    return {"filters": f, "query": query, "categories": project_selectors.category_options(),
            "statuses": project_selectors.status_options(),
            "areas": project_selectors.area_options(request.user),
            "can_write": project_selectors.can_write(request.user), **extra}


def _list(request) -> list[project_selectors.ProjectRow]:
    return project_selectors.project_list(request.user, **_filters(request))


@page_view
def project_list(request):
    rows = _list(request)
    f = _filters(request)
    cards = project_selectors.project_actions(request.user, f["area"])
    counts = {c: sum(1 for r in rows if r.colour == c) for c in project_selectors.COLOURS}
    return render(request, "command/project_list.html", _base(
        request, rows=rows, cards=cards, counts=counts, overdue=sum(1 for r in rows if r.overdue), tab="list"))


@page_view
def project_map(request):
    project_selectors.projects_visible(request.user)
    i18n = {"status": _("Status"), "deadline": _("Deadline"), "area": _("Area"), "overdue": _("overdue"),
            "count": _("%(n)s projects on the map")}
    return render(request, "command/project_map.html", _base(request, tab="map", map_i18n=i18n))


@page_view
def project_map_data(request):
    data = project_selectors.map_features(request.user, **_filters(request))
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@page_view
def project_timeline(request):
    rows = _list(request)
    return render(request, "command/project_timeline.html",
                  _base(request, chart=project_selectors.timeline(rows), tab="timeline"))


def _errors(exc: GridgovError) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in exc.details:
        out.setdefault(d.field, []).append(message_of(d))
    if not exc.details:
        out["__all__"] = [text_of(exc)]
    return out


def _form_values(request) -> dict[str, Any]:
    keys = project_services.EDITABLE
    values = {k: (request.POST.get(k) or "").strip() for k in keys}
    values["is_key"] = request.POST.get("is_key") == "1"
    return values


def _form(request, *, project=None, values=None, errors=None, status=200):
    require_capability(request.user, WRITE)
    error_list = [{"field": field_label(k) or "", "messages": v} for k, v in (errors or {}).items()]
    return render(request, "command/project_form.html", {
        "project": project, "values": values or {}, "errors": errors or {}, "error_list": error_list,
        "categories": project_selectors.category_options(),
        "areas": project_selectors.write_area_options(request.user)}, status=status)


@page_view
def project_new(request):
    if request.method == "POST":
        require_capability(request.user, WRITE)
        values = _form_values(request)
        steps = [(t, d) for t, d in zip(request.POST.getlist("milestone_title"), request.POST.getlist("milestone_due"),
                                         strict=False) if t.strip() or d.strip()]
        try:
            project = project_services.project_create(actor=request.user, milestones=steps, **values)
        except ValidationFailed as exc:
            return _form(request, values=values, errors=_errors(exc), status=422)
        messages.success(request, _("The project was saved."))
        return redirect("command:project_detail", project.pk)
    today = timezone.localdate()
    return _form(request, values={"start_date": today.isoformat(), "key_year": str(today.year)})


@page_view
def project_edit(request, project_id: int):
    project = project_selectors.project_get(request.user, project_id)
    if not project_selectors.can_write(request.user, project):
        require_capability(request.user, WRITE)
        raise Http404
    if request.method == "POST":
        values = _form_values(request)
        try:
            project_services.project_update(actor=request.user, project_id=project.pk,
                                            version=int(request.POST.get("version") or 0), **values)
        except ValidationFailed as exc:
            return _form(request, project=project, values=values, errors=_errors(exc), status=422)
        except GridgovError as exc:
            messages.error(request, text_of(exc))
            return redirect("command:project_detail", project.pk)
        messages.success(request, _("The project was saved."))
        return redirect("command:project_detail", project.pk)
    values = {k: getattr(project, k) for k in project_services.EDITABLE}
    for k in ("start_date", "deadline"):
        values[k] = values[k].isoformat()
    values = {k: ("" if v is None else v) for k, v in values.items()}
    return _form(request, project=project, values=values)


@page_view
def project_detail(request, project_id: int):
    detail = project_selectors.project_detail(request.user, project_id)
    project = detail["row"].project
    detail["transitions"] = [{"code": s, "name": project_selectors.status_name(s)} for s in detail["transitions"]]
    return render(request, "command/project_detail.html", {
        **detail, "project": project, "can_write": project_selectors.can_write(request.user, project),
        "today": timezone.localdate()})


def _act(request, project_id: int, action) -> HttpResponse:
    try:
        action()
    except (NotFound, Forbidden):
        raise  # the page guard answers 404 / 403
    except GridgovError as exc:
        messages.error(request, "；".join(message_of(d) for d in exc.details) if exc.details else text_of(exc))
    return redirect("command:project_detail", project_id)


@require_POST
@page_view
def project_status(request, project_id: int):
    return _act(request, project_id, lambda: project_services.project_transition(
        actor=request.user, project_id=project_id, version=int(request.POST.get("version") or 0),
        status=request.POST.get("status", ""), note=request.POST.get("note", "")))


@require_POST
@page_view
def milestone_add(request, project_id: int):
    return _act(request, project_id, lambda: project_services.milestone_add(
        actor=request.user, project_id=project_id, title=request.POST.get("title", ""),
        due_date=request.POST.get("due_date", "")))


@require_POST
@page_view
def milestone_done(request, project_id: int, milestone_id: int):
    project_selectors.project_get(request.user, project_id)
    return _act(request, project_id, lambda: project_services.milestone_complete(
        actor=request.user, milestone_id=milestone_id))


@require_POST
@page_view
def note_add(request, project_id: int):
    photos = [f.read() for f in request.FILES.getlist("photos")]
    return _act(request, project_id, lambda: project_services.note_add(
        actor=request.user, project_id=project_id, text=request.POST.get("text", ""), photos=photos))


@page_view
def photo(request, photo_id: int):
    item = project_selectors.photo_get(request.user, photo_id)
    path = media_root() / item.path
    if not path.is_file():
        raise Http404("missing file")
    response = FileResponse(path.open("rb"), content_type=item.content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response


@page_view
def project_import(request):
    require_capability(request.user, WRITE)
    context: dict[str, Any] = {"columns": project_imports.COLUMNS, "categories": project_selectors.category_options()}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["refused"] = _("Choose a file first.")
            return render(request, "command/project_import.html", context, status=422)
        if upload.size > project_imports.MAX_BYTES:
            context["refused"] = _("The file is larger than 5 MB.")
            return render(request, "command/project_import.html", context, status=413)
        suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
        fd, path = tempfile.mkstemp(suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            result = project_imports.import_projects(actor=request.user, path=path, filename=upload.name)
        except ValidationFailed as exc:
            context["problems"] = [{"row": d.row, "field": field_label(d.field) or d.field, "reason": message_of(d)}
                                   for d in exc.details]
            context["refused"] = text_of(exc)
            return render(request, "command/project_import.html", context, status=422)
        except GridgovError as exc:
            context["refused"] = text_of(exc)
            return render(request, "command/project_import.html", context, status=422)
        finally:
            os.unlink(path)
        messages.success(request, _("%(n)s projects were imported.") % {"n": result.created})
        return redirect("command:projects")
    return render(request, "command/project_import.html", context)


@page_view
def project_template(request, fmt: str):
    require_capability(request.user, WRITE)
    if fmt not in ("xlsx", "csv"):
        raise Http404("unknown format")
    stamp = date.today().strftime("%Y%m%d")
    if fmt == "xlsx":
        response = HttpResponse(project_imports.template_xlsx(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        response = HttpResponse(project_imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="project-template-{stamp}.{fmt}"'
    return response

