"""Thin template views of the registration-quality pages: campaigns (list, design, detail), the
estimates (table, map, trend), corrections to approve, and the grid worker's worklist and mobile visit
form. Each calls one selector or service."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from gridgov.accounts.scope import has_capability
from gridgov.core.errors import Forbidden, GridgovError, NotFound
from gridgov.core.i18n import exc_message, message_of
from gridgov.core.pages import page_view
from gridgov.quality import selectors, services, visit_services
from gridgov.quality.models import Campaign, Visit
from gridgov.quality.models.visits import CHECKED_FIELDS


def _error_text(exc: GridgovError) -> str:
    details = getattr(exc, "details", None)
    return message_of(details[0]) if details else exc_message(exc)


def _field_labels() -> dict[str, str]:
    return {"name": pgettext("person", "Name"), "identity_number": _("identity number"),
            "house": _("lives in another house"), "population_type": _("residence type"), "phone": _("mobile")}


@page_view
def campaigns(request):
    """Centres: the campaigns of their area. Grid workers (no campaign reading): their worklist."""
    user = request.user
    if not (has_capability(user, selectors.VIEW) or has_capability(user, selectors.DESIGN)):
        if has_capability(user, selectors.VISIT):
            return redirect("quality:worklist")
        raise Forbidden("missing capability %(capability)s", code="missing_capability",
                        params={"capability": selectors.VIEW})
    return render(request, "quality/campaigns.html", {
        "rows": selectors.campaign_rows(user), "can_design": selectors.can_design(user),
        "can_visit": has_capability(user, selectors.VISIT)})


@page_view
@require_http_methods(["GET", "POST"])
def design(request):
    if not selectors.can_design(request.user):
        raise Forbidden("missing capability %(capability)s", code="missing_capability",
                        params={"capability": selectors.DESIGN})
    error, values = "", {"name": "", "area_code": "", "period_start": "", "period_end": "", "target_margin": "3",
                         "allocation": Campaign.Allocation.PROPORTIONAL, "seed": ""}
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        try:
            try:
                start = date.fromisoformat(values["period_start"])
                end = date.fromisoformat(values["period_end"])
            except ValueError:
                raise GridgovError(_("Please give the period as two dates.")) from None
            try:
                margin = float(values["target_margin"]) / 100
            except ValueError:
                raise GridgovError(_("The target margin is a number of percentage points, e.g. 3.")) from None
            seed = int(values["seed"]) if values["seed"].isdigit() else None
            campaign = services.campaign_design(
                actor=request.user, name=values["name"], area_code=values["area_code"], period_start=start,
                period_end=end, target_margin=margin, allocation=values["allocation"], seed=seed)
            assigned = visit_services.assignment_default(actor=request.user, campaign_id=campaign.pk)
            messages.success(request, _("Sample drawn: %(n)s houses; %(a)s assigned to grid workers.")
                             % {"n": campaign.sample_size, "a": assigned})
            return redirect("quality:campaign", campaign_id=campaign.pk)
        except Forbidden:
            raise
        except GridgovError as exc:
            error = _error_text(exc)
    return render(request, "quality/design.html", {
        "values": values, "error": error, "allocations": Campaign.Allocation.choices,
        "today": timezone.localdate()})


@page_view
def campaign(request, campaign_id: int):
    d = selectors.campaign_detail(request.user, campaign_id)
    pending = selectors.corrections_open(request.user, campaign_id)
    d["corrections_open"], d["corrections_more"] = pending[:20], max(0, d["corrections"].get("proposed", 0) - 20)
    d["field_labels"] = _field_labels()
    d["can_apply"] = has_capability(request.user, "registry.edit")  # approving writes the register
    return render(request, "quality/campaign.html", d)


@page_view
@require_http_methods(["POST"])
def assign_default(request, campaign_id: int):
    try:
        n = visit_services.assignment_default(actor=request.user, campaign_id=campaign_id)
        messages.success(request, _("%(n)s houses assigned.") % {"n": n})
    except (Forbidden, NotFound):
        raise
    except GridgovError as exc:
        messages.error(request, _error_text(exc))
    return redirect("quality:campaign", campaign_id=campaign_id)


@page_view
@require_http_methods(["POST"])
def correction_decide(request, campaign_id: int, proposal_id: int):
    try:
        visit_services.correction_decide(actor=request.user, proposal_id=proposal_id,
                                         approve=request.POST.get("decision") == "approve",
                                         reason=request.POST.get("reason", ""))
        messages.success(request, _("Decision recorded."))
    except (Forbidden, NotFound):
        raise
    except GridgovError as exc:
        messages.error(request, _error_text(exc))
    return redirect("quality:campaign", campaign_id=campaign_id)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _labels() -> dict[str, dict[str, str]]:
    return {
        "status": {"met": _("target met"), "not_met": _("target not met"), "uncertain": _("uncertain"), "undefined": _("no estimate")},
        "indicator": {"registration_rate": _("registration rate"), "accuracy_rate": _("accuracy rate")},
        "level": {"all": _("whole area"), "district": _("district"), "street": _("street"),
                  "community": _("community"), "grid": _("grid")},
    }


@page_view
def estimates(request, campaign_id: int):
    e = selectors.campaign_estimates(request.user, campaign_id)
    labels = _labels()
    for r in e["rows"]:
        r["status_label"] = labels["status"][r["status"]]
        r["indicator_label"] = labels["indicator"][r["indicator"]]
        r["level_label"] = labels["level"][r["level"]]
        r["pct"], r["ci_low_pct"], r["ci_high_pct"], r["se_pct"] = (
            _pct(r["estimate"]), _pct(r["ci_low"]), _pct(r["ci_high"]), _pct(r["std_error"]))
    groups: list[dict] = []
    for r in e["rows"]:
        if not groups or groups[-1]["level"] != r["level"]:
            groups.append({"level": r["level"], "label": r["level_label"], "areas": []})
        areas = groups[-1]["areas"]
        if not areas or areas[-1]["area"] != r["area"]:
            areas.append({"area": r["area"], "area_name": r["area_name"], "houses": r["houses_visited"]})
        areas[-1]["reg" if r["indicator"] == "registration_rate" else "acc"] = r
    trend = selectors.estimates_trend(request.user, campaign_id)
    for t in trend:
        reg, acc = t["registration_rate"] or {}, t["accuracy_rate"] or {}
        t["reg_pct"], t["reg_text"] = (reg.get("estimate") or 0) * 100, _pct(reg.get("estimate"))
        t["acc_pct"], t["acc_text"] = (acc.get("estimate") or 0) * 100, _pct(acc.get("estimate"))
    return render(request, "quality/estimates.html", {**e, "groups": groups, "trend": trend})


@page_view
def estimates_geojson(request, campaign_id: int):
    return HttpResponse(selectors.estimates_map(request.user, campaign_id), content_type="application/geo+json")


@page_view
def campaign_export(request, campaign_id: int, part: str):
    frame, visits = selectors.campaign_csv(request.user, campaign_id)
    if part not in ("frame", "visits"):
        raise NotFound("no such file")
    response = HttpResponse(frame if part == "frame" else visits, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign_id}-{part}.csv"'
    return response


@page_view
def worklist(request):
    return render(request, "quality/worklist.html", {"rows": selectors.worklist(request.user)})


def _persons_from_post(post) -> list[dict]:
    """The persons of the visit form: register rows ticked present (with the fields that differ and the
    values found), and up to five new persons (stubs)."""
    persons = []
    for pid in post.getlist("candidate"):
        if not pid.isdigit() or post.get(f"present_{pid}") != "on":
            continue
        differing = {f: post.get(f"value_{pid}_{f}", "").strip() or ("1" if f == "house" else "")
                     for f in post.getlist(f"diff_{pid}") if f in CHECKED_FIELDS}
        persons.append({"person_id": int(pid), "differing": differing})
    for i in range(5):
        name = post.get(f"new_name_{i}", "").strip()
        if name:
            persons.append({"stub": {"name": name, "sex": post.get(f"new_sex_{i}", "0"),
                                     "birth_date": post.get(f"new_birth_{i}", ""),
                                     "identity_number": post.get(f"new_id_{i}", ""),
                                     "population_type": post.get(f"new_type_{i}", "01")}})
    return persons


@page_view
@require_http_methods(["GET", "POST"])
def visit(request, sampled_house_id: int):
    error = ""
    if request.method == "POST":
        try:
            visit_services.visit_record(
                actor=request.user, sampled_house_id=sampled_house_id, outcome=request.POST.get("outcome", ""),
                persons=_persons_from_post(request.POST) if request.POST.get("outcome") == "found" else [],
                notes=request.POST.get("notes", ""), client_uuid=request.POST.get("client_uuid") or None)
            messages.success(request, _("Visit recorded."))
            return redirect("quality:worklist")
        except (Forbidden, NotFound):
            raise
        except GridgovError as exc:
            error = _error_text(exc)
    form = selectors.visit_form(request.user, sampled_house_id, q=request.GET.get("q", ""))
    return render(request, "quality/visit.html", {
        **form, "error": error, "client_uuid": uuid.uuid4(), "outcomes": Visit.Outcome.choices,
        "fields": [(f, _field_labels()[f]) for f in CHECKED_FIELDS], "new_rows": range(3)})
