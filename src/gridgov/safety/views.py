"""Pages: the situation map, trend chart, warning list (with its workflow), weekly briefing (HTML
and PDF) and the feedback-loop guard setting. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import has_capability
from gridgov.core.errors import FieldError, Forbidden, GridgovError, NotFound
from gridgov.core.i18n import message_of, text_of
from gridgov.core.pages import page_view
from gridgov.geo import selectors as geo_selectors
from gridgov.safety import detect, runs, selectors, services


def _levels():
    return [
        {"index": 0, "name": "none", "label": _("No warning"), "colour": selectors.LEVEL_COLOURS[0]},
        *({"index": lv, "name": detect.LEVELS[lv], "label": selectors.level_label(lv),
           "colour": selectors.LEVEL_COLOURS[lv]} for lv in range(1, len(detect.LEVELS))),
    ]


def _parse_week(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return services.week_of(date.fromisoformat(raw))
    except ValueError:
        return None


def _render(request, template: str, context: dict, status: int = 200):
    """A safety page: the warning levels' legend and the synthetic-data flag beside ``context``."""
    return render(request, template, {"levels": _levels(), "synthetic": geo_selectors.is_demo_data(), **context},
                  status=status)


def _week_context(chosen: date | None) -> dict:
    """The week a page shows (``chosen`` or the last complete week) and whether it is the default."""
    week = chosen or selectors.default_week()
    return {"week": week, "week_end": week + timedelta(days=6), "default_week": chosen is None}


@page_view
def situation(request):
    jurisdictions = selectors.prefixes(request.user)
    shown = _week_context(_parse_week(request.GET.get("week")))
    week = shown["week"]
    level = request.GET.get("level", "12")
    level = int(level) if level in ("6", "9", "12", "15") else 12
    week_alerts = list(selectors.alerts(request.user, week=week, min_level=1)[:50])
    names = selectors.area_names(request.user, [a.area_code for a in week_alerts])
    return _render(request, "safety/situation.html", {
        **shown, "area_level": level, "jurisdictions": jurisdictions,
        "alerts": [{"alert": a, "name": names.get(a.area_code, ""), "level": detect.LEVELS[a.level]}
                   for a in week_alerts],
        "categories": selectors.categories(request.user),
        "guard_on": not services.safety_config()["include_discovered"],
    })


@page_view
def trend(request):
    """One area and category over 104 weeks. The area comes from the picker (a name, "name code" or
    a code); bad input answers the 400 page, an area outside the jurisdiction the 404 page."""
    prefixes = selectors.prefixes(request.user)
    raw = (request.GET.get("area") or "").strip()
    category = (request.GET.get("category") or "02").strip()
    cats = selectors.categories(request.user)
    options = selectors.area_options(request.user)
    context = {"categories": cats, "category": category, "area_options": options, "area_text": raw}
    try:
        area = selectors.resolve_area(request.user, raw) if raw else (prefixes[0] if prefixes else "")
        if category not in {c.code for c in cats}:
            raise FieldError("category", _("Unknown category “%(code)s”: choose one from the list.")
                             % {"code": category[:20]}, code="unknown")
        data = selectors.trend(request.user, area=area, category=category, weeks=104)
    except FieldError as exc:
        return _render(request, "safety/bad_request.html", {**context, "message": message_of(exc.details[0])}, status=400)
    return _render(request, "safety/trend.html", {**context, "area": area, "trend": data, "name": data["name"],
                                                  "area_text": f"{data['name']} {area}".strip()})


@page_view
def warnings(request):
    status = request.GET.get("status") or "active"
    if status not in ("active", "open", "acknowledged", "responding", "closed"):
        status = "active"
    raw_level = request.GET.get("min_level", "1")
    min_level = int(raw_level) if raw_level in ("1", "2", "3", "4") else 1
    # the command screen's tiles link here with ?week=<Monday>&area=<code prefix>
    week = _parse_week(request.GET.get("week"))
    area = request.GET.get("area", "")[:15]
    area = area if area.isdigit() else ""
    qs = selectors.alerts(request.user, status=status, min_level=min_level, week=week, area=area or None)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    names = selectors.area_names(request.user, [a.area_code for a in page])
    return _render(request, "safety/warnings.html", {
        "page": page, "status": status, "names": names, "week": week, "area": area,
        "can_manage": has_capability(request.user, services.MANAGE),
        "rows": [{"alert": a, "name": names.get(a.area_code, ""), "level": detect.LEVELS[a.level],
                  "level_label": selectors.level_label(a.level)} for a in page],
    })


@require_POST
@page_view
def warning_action(request, alert_id: int):
    try:
        version = int(request.POST.get("version", "0"))
        services.alert_transition(actor=request.user, alert_id=alert_id, action=request.POST.get("action", ""),
                                  version=version, responder=request.POST.get("responder", ""),
                                  note=request.POST.get("note", ""))
        messages.success(request, _("Warning updated."))
    except (NotFound, Forbidden):
        raise
    except GridgovError as exc:
        messages.error(request, text_of(exc))
    return redirect(request.POST.get("next") or "safety:warnings")


@require_POST
@page_view
def run_start(request):
    """The warnings page's button: detection for the last complete week and hotspots, in the task
    worker; the browser goes to the run's page, which follows it."""
    run = runs.safety_run_start(actor=request.user)
    return redirect("safety:run", run_id=run.pk)


def _run_dict(run) -> dict:
    data = runs.summary(run)
    total = data["chunks_total"] + 1  # + the hotspots step
    done = data["chunks_done"] + (1 if run.hotspots is not None else 0)
    data.update(id=run.pk, state_label=run.get_state_display(), message=run.message,
                progress=100 if run.state == run.State.DONE else round(100 * done / total) if data["chunks_total"] else 0,
                warnings_total=sum(run.warnings.values()),
                warnings_by_level=[{"label": selectors.level_label(lv), "n": run.warnings.get(detect.LEVELS[lv], 0)}
                                   for lv in range(len(detect.LEVELS) - 1, 0, -1)])
    return data


@never_cache
@page_view
def run_page(request, run_id: int):
    run = selectors.safety_run_get(request.user, run_id)
    if request.GET.get("format") == "json":
        data = _run_dict(run)
        data.pop("warnings_by_level")
        return JsonResponse(data)
    return _render(request, "safety/run.html", {"run": run, "job": _run_dict(run)})


@page_view
def briefing(request):
    data = selectors.briefing(request.user, week=_parse_week(request.GET.get("week")))
    return _render(request, "safety/briefing.html", {"b": data})


@page_view
def briefing_pdf(request):
    from gridgov.safety.report import briefing_pdf as render_pdf

    data = selectors.briefing(request.user, week=_parse_week(request.GET.get("week")))
    data["synthetic"] = geo_selectors.is_demo_data()
    pdf = render_pdf(data, language=getattr(request, "LANGUAGE_CODE", "zh-hans"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="briefing-{data["week"].isoformat()}.pdf"'
    return response


@page_view
def settings_view(request):
    selectors.prefixes(request.user)
    if request.method == "POST":
        try:
            services.safety_config_set(actor=request.user,
                                       include_discovered=request.POST.get("include_discovered") == "1",
                                       reason=request.POST.get("reason", ""))
            messages.success(request, _("Setting saved and recorded in the audit trail."))
            return redirect("safety:settings")
        except Forbidden:
            raise
        except GridgovError as exc:
            messages.error(request, text_of(exc))
    config = services.safety_config()
    return _render(request, "safety/settings.html", {
        "config": config, "can_change": has_capability(request.user, services.ADMIN),
        "cutoffs": [({"code": m, "label": selectors.METHOD_LABELS[m]},
                     [(f"< {e:g}" if e is not None else f"≥ {cut.edges[-1] if cut.edges else 0:g}", row)
                      for e, row in zip([*cut.edges, None], cut.table, strict=True)])
                    for m, cut in ((m, config["cutoffs"][m]) for m in detect.METHODS)],
        "null_rates": detect.NULL_RATES,
    })
