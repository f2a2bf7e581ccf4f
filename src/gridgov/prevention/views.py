"""Pages of the prevention networks: the gap map and ranked list, the patrol log form, the
networks overview and the imports. Thin: parse, call one selector or service, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import has_capability, require_capability
from gridgov.core.errors import GridgovError
from gridgov.core.i18n import message_of, text_of, translated
from gridgov.core.pages import page_view
from gridgov.geo import selectors as geo_selectors

from . import imports, selectors, services

COLOUR_LABELS = {"green": _lazy("on time"), "yellow": _lazy("due soon"), "red": _lazy("overdue"), "": ""}


def _week(raw: str | None) -> tuple[dt.date, bool]:
    if raw:
        try:
            return selectors.week_of(dt.date.fromisoformat(raw)), False
        except ValueError:
            pass
    return selectors.default_week(), True


def _ctx(request, **extra) -> dict:
    return {"synthetic": geo_selectors.is_demo_data(),
            "can_log": has_capability(request.user, services.LOG),
            "can_manage": has_capability(request.user, services.MANAGE),
            "can_staffing": can_staffing(request.user), **extra}


def can_staffing(user) -> bool:
    """The staffing review reads reported incidents per street (``safety.view``): its link is shown
    to those who can open it only."""
    return has_capability(user, "prevention.view") and has_capability(user, "safety.view")


@page_view
def gaps(request):
    week, default = _week(request.GET.get("week"))
    rows = selectors.gap_table(request.user, week=week)
    under = [r for r in rows if r["band"] in ("high", "severe")]
    return render(request, "prevention/gaps.html", _ctx(
        request, week=week, week_end=week + dt.timedelta(days=6), default_week=default,
        rows=rows[:100], total=len(rows), under=len(under), counts=selectors.network_counts(request.user)))


@page_view
def gaps_geojson(request):
    week, _default = _week(request.GET.get("week"))
    return HttpResponse(selectors.gap_geojson(request.user, week=week), content_type="application/geo+json")


@page_view
def cameras_json(request):
    return JsonResponse({"cameras": selectors.camera_points(request.user)})


def _parse_local(raw: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except (ValueError, AttributeError):
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@page_view
def patrol_log(request):
    """The patrol log form (grid workers log defence activity on the same page)."""
    units = list(selectors.patrol_units(request.user))
    teams = list(selectors.defence_teams(request.user)[:200])
    errors: list[str] = []
    form = {"unit": "", "started_at": "", "ended_at": "", "grids": "", "note": ""}
    if request.method == "POST":
        form = {k: (request.POST.get(k) or "").strip() for k in form}
        started, ended = _parse_local(form["started_at"]), _parse_local(form["ended_at"])
        if started is None:
            errors.append(_("Start: enter a date and time."))
        if ended is None:
            errors.append(_("End: enter a date and time."))
        if not form["unit"].isdigit():
            errors.append(_("Choose a patrol unit."))
        if not errors and started and ended:
            try:
                services.patrol_log_create(actor=request.user, unit_id=int(form["unit"]), started_at=started,
                                           ended_at=ended, grids_visited=form["grids"].replace("，", ",").split(","),
                                           note=form["note"])
            except GridgovError as exc:
                errors.extend([message_of(d) for d in exc.details] or [text_of(exc)])
            else:
                messages.success(request, _("Patrol log saved: the coverage of its grids is updated."))
                return redirect("prevention:patrol_log")
    logs = selectors.patrol_logs(request.user, limit=15)
    names = geo_selectors.place_names(sorted({c for log in logs for c in log.grids_visited}))
    for log in logs:  # grid names, not codes, in the list (the code stays in the title)
        log.grid_labels = [(names.get(c) or c, c) for c in log.grids_visited]  # type: ignore[attr-defined]
    return render(request, "prevention/patrol_log.html", _ctx(
        request, units=units, teams=teams, form=form, errors=errors, logs=logs), status=400 if errors else 200)


@page_view
@require_POST
def defence_activity(request):
    try:
        started = _parse_local(request.POST.get("started_at") or "") or timezone.now()
        services.defence_activity_create(actor=request.user, team_id=int(request.POST.get("team") or 0),
                                         started_at=started, hours=float(request.POST.get("hours") or 0),
                                         people=int(request.POST.get("people") or 1),
                                         summary=request.POST.get("summary") or "")
    except ValueError:
        messages.error(request, _("Enter the hours and the number of people as numbers."))
    except GridgovError as exc:
        messages.error(request, "; ".join(message_of(d) for d in exc.details) if exc.details else text_of(exc))
    else:
        messages.success(request, _("Defence activity saved."))
    return redirect("prevention:patrol_log")


@page_view
def networks(request):
    return render(request, "prevention/networks.html", _ctx(
        request, counts=selectors.network_counts(request.user),
        teams=list(selectors.defence_teams(request.user)[:30]),
        inspections=list(selectors.inspections_open(request.user)[:30]),
        agreements=list(selectors.agreements(request.user)[:10]),
        units=list(selectors.patrol_units(request.user)[:30]),
        sheets=imports.SHEETS))


@page_view
def import_sheet(request, network: str):
    require_capability(request.user, services.MANAGE)
    sheet = imports.sheet_for(network)
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a file to import."))
        else:
            report = imports.network_import_file(actor=request.user, network=network, filename=upload.name,
                                                 data=upload.read(), dry_run=bool(request.POST.get("dry_run")))
            report.errors = [translated(d) for d in report.errors]
    return render(request, "prevention/import.html", _ctx(request, sheet=sheet, report=report),
                  status=400 if report and report.errors else 200)


@page_view
def import_template(request, network: str):
    data = imports.template_xlsx(request.user, network)
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="prevention-{network}.xlsx"'
    return resp


# ---------------------------------------------------------------------------------- inspections

ACTION_LABELS = {"report": _lazy("Report rectified"), "accept": _lazy("Accept the rectification"),
                 "reject": _lazy("Reject: rectify again")}
ACTION_DONE = {"report": _lazy("The rectification is reported: it waits for acceptance."),
               "accept": _lazy("The rectification is accepted: the inspection is closed."),
               "reject": _lazy("The rectification is rejected: the venue rectifies again.")}


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip())
    except (ValueError, AttributeError):
        return None


@page_view
def inspections(request):
    """Open rectifications of key venues (filters: state, deadline colour, venue type, area, venue)
    and, for those who manage the networks, the form to record an inspection."""
    filters = {k: (request.GET.get(k) or "").strip()[:40] for k in ("state", "colour", "type", "area", "q")}
    errors: list[str] = []
    form = {"venue": (request.GET.get("venue") or "").strip()[:32], "inspected_on": timezone.localdate().isoformat(),
            "findings": "", "deadline": ""}
    if request.method == "POST":
        require_capability(request.user, services.MANAGE)
        form = {k: (request.POST.get(k) or "").strip() for k in form}
        code = form["venue"].split(" ", 1)[0]
        venue = selectors.venues(request.user).filter(code=code).first() if code else None
        inspected_on = _parse_date(form["inspected_on"])
        deadline = _parse_date(form["deadline"]) if form["deadline"] else None
        if venue is None:
            errors.append(_("Venue: choose a key venue of your jurisdiction by its code."))
        if inspected_on is None:
            errors.append(_("Inspection date: enter a date."))
        if form["deadline"] and deadline is None:
            errors.append(_("Rectification deadline: enter a date."))
        if not errors and venue is not None and inspected_on is not None:
            try:
                ins = services.inspection_record(actor=request.user, venue_id=venue.pk, inspected_on=inspected_on,
                                                 findings=form["findings"], deadline=deadline)
            except GridgovError as exc:
                errors.extend([message_of(d) for d in exc.details] or [text_of(exc)])
            else:
                messages.success(request, _("Inspection recorded.") if deadline is None
                                 else _("Inspection recorded: the rectification clock runs to the deadline."))
                return redirect("prevention:inspection", inspection_id=ins.pk)
    rows, total = selectors.inspection_rows(request.user, state=filters["state"], colour=filters["colour"],
                                            venue_type=filters["type"], area=filters["area"], q=filters["q"])
    from .models import InspectionState, Venue

    can_manage = has_capability(request.user, services.MANAGE)
    return render(request, "prevention/inspections.html", _ctx(
        request, rows=rows, total=total, filters=filters, form=form, errors=errors,
        states=[(s, InspectionState(s).label) for s in ("rectifying", "submitted", "overdue")],
        colours=[(c, COLOUR_LABELS[c]) for c in selectors.CLOCK_COLOURS], types=Venue.Type.choices,
        venues=selectors.venue_choices(request.user) if can_manage else []),
        status=400 if errors else 200)


@page_view
def inspection(request, inspection_id: int):
    """One inspection: venue, findings, deadline clock, history; the steps of the loop."""
    row = selectors.inspection_get(request.user, inspection_id)
    if request.method == "POST":
        require_capability(request.user, services.MANAGE)
        action = request.POST.get("action") or ""
        if action not in ACTION_LABELS:  # "expire" is the daily sweep's, not a person's
            messages.error(request, _("The form is damaged: reload the page."))
            return redirect("prevention:inspection", inspection_id=inspection_id)
        try:
            version = int(request.POST.get("version") or 0)
            services.inspection_transition(actor=request.user, inspection_id=inspection_id, action=action,
                                           version=version, note=request.POST.get("note") or "")
        except ValueError:
            messages.error(request, _("The form is damaged: reload the page."))
        except GridgovError as exc:
            messages.error(request, _("This step is no longer possible: the inspection was changed meanwhile.")
                           if exc.code == "bad_transition" else text_of(exc))
        else:
            messages.success(request, ACTION_DONE.get(action, ""))
        return redirect("prevention:inspection", inspection_id=inspection_id)
    return render(request, "prevention/inspection.html", _ctx(
        request, row=row, actions=[(a, ACTION_LABELS[a]) for a in row["actions"]],
        colour_label=COLOUR_LABELS.get(row["colour"], "")))
