"""Pages of the scorecards, the responsibility system and supervision. Thin: parse, call one
selector or service, render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.scope import code_in_scope, has_capability
from gridgov.command import exports
from gridgov.command import responsibility_services as services
from gridgov.command import scorecard_selectors as sel
from gridgov.command.models.responsibility import Post, SupervisoryAction
from gridgov.command.supervision import colour_of
from gridgov.core.errors import FieldError, GridgovError
from gridgov.core.i18n import texts_of
from gridgov.core.pages import page_view
from gridgov.geo import selectors as geo_selectors


def _month(request) -> date:
    try:
        return sel.parse_month(request.GET.get("month"))
    except FieldError:
        return sel.month_of(timezone.localdate())


def _error(request, exc: GridgovError) -> None:
    """Every problem of ``exc`` as a message, each field by its reader's name (core.i18n.texts_of)."""
    for text in texts_of(exc):
        messages.error(request, text)


def _date(raw: str | None, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise FieldError(field, "%(value)s is not a date", params={"value": raw[:20]}) from exc


@page_view
def index(request):
    areas = sel.scorecard_areas(request.user)
    if len(areas) == 1:
        return redirect("command:scorecard", area_code=areas[0]["code"])
    return render(request, "command/scorecard_index.html", {"areas": areas})


@page_view
def scorecard_page(request, area_code: str):
    month = _month(request)
    sc = sel.area_scorecard(request.user, area_code, month)
    can_supervise = has_capability(request.user, sel.SUPERVISE)
    return render(request, "command/scorecard.html", {
        "sc": sc, "area_code": area_code, "month_text": f"{month:%Y-%m}",
        "can_weights": can_supervise and len(area_code) == 6
        and code_in_scope(request.user, area_code, capability=sel.SUPERVISE, purpose="write"),
        "can_supervise": can_supervise,
        "cards": [{"action": a, "colour": colour_of(a) if a.status == "open" else "closed"} for a in sc["actions"]],
        "months": _month_options(month),
        "departments_scored": [r for r in sc["departments"] if r["score"] is not None],
        "departments_idle": [r for r in sc["departments"] if r["score"] is None],
    })


def _month_options(chosen: date) -> list[str]:
    """The running month and the 23 before it (and ``chosen`` if older), newest first."""
    month = sel.month_of(timezone.localdate())
    out = []
    for _i in range(24):
        out.append(f"{month:%Y-%m}")
        month = sel.previous_month(month)
    if f"{chosen:%Y-%m}" not in out:
        out.append(f"{chosen:%Y-%m}")
    return out


@page_view
def drill(request, area_code: str, month: str, key: str):
    month_d = sel.parse_month(month)
    data = sel.drilldown(request.user, area_code, month_d, key, department=request.GET.get("department", ""))
    meta = {m["key"]: m for m in sel.indicator_meta("area") + sel.indicator_meta("department")}
    return render(request, "command/scorecard_drill.html", {
        "data": data, "area_code": area_code, "area_name": sel.area_name(area_code), "month": month_d,
        "indicator": meta.get(key),
        "department": data.get("department")})


def _export(request, area_code: str, fmt: str) -> HttpResponse:
    month = _month(request)
    sc = sel.area_scorecard(request.user, area_code, month)
    sel.export_record(request.user, area_code, month, fmt)
    name = f"scorecard-{area_code}-{month:%Y-%m}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(exports.scorecard_xlsx(sc),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        response = HttpResponse(exports.scorecard_pdf(sc), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@page_view
def export_xlsx(request, area_code: str):
    return _export(request, area_code, "xlsx")


@page_view
def export_pdf(request, area_code: str):
    return _export(request, area_code, "pdf")


@page_view
def weights(request, area_code: str):
    district_code = area_code
    current = sel.weights_get(request.user, district_code)
    if not code_in_scope(request.user, district_code, capability=sel.SUPERVISE, purpose="write"):
        from gridgov.core.errors import Forbidden

        raise Forbidden("missing capability %(capability)s", code="missing_capability",
                        params={"capability": sel.SUPERVISE})
    values = {k: request.POST.get(k, "") for k in current} if request.method == "POST" else current
    if request.method == "POST":
        try:
            services.weights_set(actor=request.user, district_code=district_code,
                                 weights={k: request.POST.get(k, "") for k in current},
                                 reason=request.POST.get("reason", ""))
            messages.success(request, _("The weights were saved."))
            return redirect("command:scorecard", area_code=district_code)
        except GridgovError as exc:
            _error(request, exc)
    rows = [{"key": m["key"], "name": m["name"], "formula": m["formula"], "default": m["default_weight"],
             "value": values.get(m["key"], "")} for m in sel.indicator_meta("area")
            + [x for x in sel.indicator_meta("department") if x["key"] == "on_time_handling"]]
    return render(request, "command/scorecard_weights.html", {"district_code": district_code, "rows": rows})


@page_view
def responsibility(request, area_code: str):
    officials = sel.officials(request.user, area_code)
    if request.method == "POST":
        try:
            if request.POST.get("op") == "end":
                services.official_end_term(actor=request.user, official_id=int(request.POST.get("official_id", "0")),
                                           term_end=_date(request.POST.get("term_end"), "term_end")
                                           or timezone.localdate())
                messages.success(request, _("The term was ended."))
            else:
                start = _date(request.POST.get("term_start"), "term_start")
                if start is None:
                    raise FieldError("term_start", "required", code="required")
                services.official_record(actor=request.user, area_code=request.POST.get("area_code", area_code),
                                         post=request.POST.get("post", ""),
                                         person_name=request.POST.get("person_name", ""),
                                         unit=request.POST.get("unit", ""), term_start=start,
                                         term_end=_date(request.POST.get("term_end"), "term_end"))
                messages.success(request, _("The official was recorded."))
            return redirect("command:responsibility", area_code=area_code)
        except (GridgovError, ValueError) as exc:
            _error(request, exc if isinstance(exc, GridgovError) else FieldError("official_id", "not a number"))
    areas = [a for a in sel.scorecard_areas(request.user) if a["code"].startswith(area_code)]
    streets = geo_selectors.streets_of(area_code)
    names = dict(streets)
    names.update({a["code"]: a["name"] for a in areas})
    return render(request, "command/responsibility.html", {
        "area_code": area_code, "area_name": names.get(area_code, area_code),
        "officials": [{"o": o, "area_name": names.get(o.area_code, "")} for o in officials],
        "posts": Post.choices, "streets": streets,
        "can_supervise": has_capability(request.user, sel.SUPERVISE) and bool(streets)})


@page_view
def supervision(request, area_code: str):
    actions = sel.actions_for_area(request.user, area_code)
    if request.method == "POST":
        try:
            deadline = _date(request.POST.get("deadline"), "deadline")
            if deadline is None:
                raise FieldError("deadline", "required", code="required")
            target = request.POST.get("target", "")
            dept = target[5:] if target.startswith("dept:") else ""
            action = services.supervision_issue(actor=request.user, kind=request.POST.get("kind", ""),
                                                title=request.POST.get("title", ""),
                                                reason=request.POST.get("reason", ""), deadline=deadline,
                                                area_code="" if dept else target, department_code=dept)
            messages.success(request, _("The supervisory action was issued."))
            return redirect("command:supervision_detail", action_id=action.pk)
        except GridgovError as exc:
            _error(request, exc)
    streets = geo_selectors.streets_of(area_code)
    return render(request, "command/supervision.html", {
        "area_code": area_code, "cards": [{"action": a, "colour": colour_of(a) if a.status == "open" else "closed"}
                                          for a in actions],
        "kinds": SupervisoryAction.Kind.choices, "streets": streets,
        "departments": sel.department_options(request.user, area_code),
        "can_supervise": has_capability(request.user, sel.SUPERVISE), "form": request.POST})


@page_view
def supervision_detail(request, action_id: int):
    action = sel.action_get(request.user, action_id)
    if request.method == "POST":
        try:
            if request.POST.get("op") == "close":
                services.supervision_close(actor=request.user, action_id=action.pk,
                                           version=int(request.POST.get("version", "0")),
                                           closure_note=request.POST.get("note", ""))
                messages.success(request, _("The supervisory action was closed."))
            else:
                services.supervision_note(actor=request.user, action_id=action.pk, note=request.POST.get("note", ""))
                messages.success(request, _("The note was added."))
            return redirect("command:supervision_detail", action_id=action.pk)
        except GridgovError as exc:
            _error(request, exc)
    return render(request, "command/supervision_detail.html", {
        "a": action, "events": list(action.events.select_related("actor").all()),
        "area_name": sel.area_name(action.area_code),
        "colour": colour_of(action) if action.status == "open" else "closed",
        "back": reverse("command:scorecard", args=[action.area_code[:9] if len(action.area_code) >= 9
                                                   else action.area_code[:6]]),
        "can_supervise": has_capability(request.user, sel.SUPERVISE)})
