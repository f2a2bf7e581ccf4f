"""Pages of special campaigns (专项整治): list, new, detail with actions and the effect report.
Thin: parse the form, call one service or selector, render or redirect."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scope import has_capability, require_capability
from gridgov.core.errors import GridgovError
from gridgov.core.i18n import texts_of
from gridgov.core.pages import page_view
from gridgov.geo import selectors as geo_selectors
from gridgov.safety import campaign_effect, campaign_selectors, campaign_services, selectors
from gridgov.safety.models import CampaignAction

VERDICTS = {
    campaign_effect.REDUCTION: _("fewer reported incidents than expected: a measurable reduction"),
    campaign_effect.INCREASE: _("more reported incidents than expected"),
    campaign_effect.NO_EFFECT: _("no measurable effect (the interval includes no change)"),
    campaign_effect.NOT_ESTIMABLE: _("cannot be estimated"),
}
NOT_ESTIMABLE_REASONS = {
    "no baseline for the campaign weeks (about 3 years of history are needed)":
        _("no baseline for the campaign weeks (about 3 years of history are needed)"),
    "too few earlier windows with a baseline to judge the error of the baseline":
        _("too few earlier windows with a baseline to judge the error of the baseline"),
    "too few weeks before or during": _("too few weeks before or during the campaign"),
    "no incidents to compare with": _("no incidents to compare with"),
    "no comparison areas with incidents before": _("no comparison areas with incidents before the campaign"),
}
WINDOW_LABELS = {"during": _("During the campaign"), "after": _("After the campaign")}
METHOD_LABELS = {"baseline": _("(a) against the baseline (Farrington/Noufaily)"),
                 "did": _("(b) against comparison areas (difference in differences)")}
STATUS_LABELS = {"planned": _("planned"), "running": _("running"), "finished": _("finished")}


def _effect_row(effect: campaign_effect.Effect) -> dict:
    return {"method": METHOD_LABELS[effect.method], "observed": effect.observed, "expected": effect.expected,
            "ratio": effect.ratio, "low": effect.low, "high": effect.high,
            "change": effect.change_percent,
            "change_low": None if effect.low is None else (effect.low - 1) * 100,
            "change_high": None if effect.high is None else (effect.high - 1) * 100, "verdict": effect.verdict, "verdict_label": VERDICTS[effect.verdict],
            "reason": NOT_ESTIMABLE_REASONS.get(effect.detail, effect.detail)}


@page_view
def campaign_list(request):
    campaigns = list(campaign_selectors.campaigns_visible(request.user)[:200])
    today = timezone.localdate()
    rows = [{"campaign": c, "status": STATUS_LABELS[campaign_selectors.campaign_status(c, today)],
             "areas": c.areas[:3], "more": max(len(c.areas) - 3, 0)} for c in campaigns]
    return render(request, "safety/campaign_list.html", {
        "rows": rows, "can_manage": has_capability(request.user, campaign_services.MANAGE)})


@page_view
def campaign_new(request):
    require_capability(request.user, campaign_services.MANAGE)
    errors: list[str] = []
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        areas = [a for a in request.POST.get("areas", "").replace("，", ",").replace(" ", ",").split(",") if a]
        try:
            campaign = campaign_services.campaign_create(
                actor=request.user, title=request.POST.get("title", ""), areas=areas,
                categories=request.POST.getlist("categories"), start=request.POST.get("start"),
                end=request.POST.get("end"), lead_unit=request.POST.get("lead_unit", ""),
                participating_units=request.POST.get("participating_units", ""),
                targets=request.POST.get("targets", ""))
        except GridgovError as exc:
            errors = texts_of(exc)
        else:
            messages.success(request, gettext("The campaign is recorded."))
            return redirect("safety:campaign", campaign.pk)
    return render(request, "safety/campaign_form.html", {
        "errors": errors, "form": form, "categories": selectors.categories(request.user),
        "chosen": request.POST.getlist("categories") if request.method == "POST" else []})


@page_view
def campaign_detail(request, campaign_id: int):
    campaign = campaign_selectors.campaign_get(request.user, campaign_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            campaign_services.campaign_action_add(
                actor=request.user, campaign_id=campaign.pk, day=request.POST.get("day"),
                kind=request.POST.get("kind", ""), count=request.POST.get("count", "1"),
                note=request.POST.get("note", ""))
        except GridgovError as exc:
            errors = texts_of(exc)
        else:
            messages.success(request, gettext("The action is logged."))
            return redirect("safety:campaign", campaign.pk)
    context = summary(request.user, campaign)
    context.update({"errors": errors, "actions": campaign.actions.select_related("actor")[:200],
                    "kinds": CampaignAction.Kind.choices,
                    "can_manage": has_capability(request.user, campaign_services.MANAGE),
                    "map_data": _map_data(request.user, campaign, context["comparison"])})
    return render(request, "safety/campaign_detail.html", context)


@page_view
def campaign_summary_pdf(request, campaign_id: int):
    """The campaign summary as PDF (safety/campaign_pdf.py); audited as an EXPORT."""
    from gridgov.safety.campaign_pdf import campaign_summary_pdf as render_pdf

    campaign = campaign_selectors.campaign_get(request.user, campaign_id)
    data = summary(request.user, campaign)
    data["synthetic"] = geo_selectors.is_demo_data()
    data["area_names"] = _named(campaign.areas)
    data["comparison_names"] = _named(data["comparison"])
    data["category_names"] = [c.name for c in campaign.categories.all()]
    pdf = render_pdf(data, language=getattr(request, "LANGUAGE_CODE", "zh-hans"))
    campaign_selectors.campaign_summary_exported(request.user, campaign, size=len(pdf))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="campaign-{campaign.pk}.pdf"'
    return response


def summary(user, campaign) -> dict:
    """What the campaign page and its PDF show: the facts, the actions by kind, the effect report."""
    report = campaign_selectors.campaign_report(user, campaign)
    context: dict = {"campaign": campaign, "report": report, "areas": campaign.areas,
                     "action_totals": campaign_selectors.actions_summary(campaign), "comparison": []}
    if report is not None:
        context.update({
            "status": STATUS_LABELS[report.status],
            "windows": [{"label": WINDOW_LABELS[w.name], "weeks": w.last - w.first,
                         "first": report.weeks[w.first], "last": report.weeks[w.last - 1] + timedelta(days=6),
                         "effects": [_effect_row(w.baseline), _effect_row(w.did)]} for w in report.windows],
            "comparison": report.comparison,
            "chart": _chart(report),
            "pdf_chart": _pdf_chart(report),
            "reporting_changed": report.reporting.changed,
            "discovered_before": _percent(report.reporting.discovered_share_before),
            "discovered_during": _percent(report.reporting.discovered_share_during),
        })
    return context


def _named(codes) -> list[str]:
    names = geo_selectors.place_names(codes)
    return [f"{names[c]} {c}" if names.get(c) else c for c in codes]


def _map_data(user, campaign, comparison: list[str]) -> dict | None:
    """Outlines of the campaign and comparison areas for the page's map; None without ``geo.view``."""
    if not has_capability(user, geo_selectors.CAPABILITY):
        return None
    return {"campaign": json.loads(geo_selectors.areas_outline(user, campaign.areas, role="campaign")),
            "comparison": json.loads(geo_selectors.areas_outline(user, comparison, role="comparison"))}


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.0f}%"


def _chart(report: campaign_selectors.Report) -> dict:
    """The chart's data: weeks from a year before the campaign to the last complete week."""
    first = max(report.start - 52, 0)

    def clean(values):
        return [None if v != v else round(float(v), 2) for v in values[first:]]

    return {"weeks": [w.isoformat() for w in report.weeks[first:]], "reported": clean(report.reported),
            "discovered": clean(report.discovered), "expected": clean(report.expected),
            "threshold": clean(report.threshold),
            "start": report.weeks[report.start].isoformat() if report.start < len(report.weeks) else None,
            "end": report.weeks[report.windows[0].last - 1].isoformat() if report.windows else None}


def _pdf_chart(report: campaign_selectors.Report) -> dict:
    """The PDF chart's data: the weeks the comparison uses before the campaign, the campaign and the
    weeks after it; per week also what the comparison areas say was to be expected (b)."""
    first = max(report.start - campaign_selectors.PRE_WEEKS, 0)
    last = report.windows[-1].last if report.windows else len(report.weeks)

    def clean(values):
        return [None if v is None or v != v else round(float(v), 2) for v in values[first:last]]

    return {"weeks": [w.isoformat() for w in report.weeks[first:last]],
            "reported": clean(report.reported), "discovered": clean(report.discovered),
            "expected": clean(report.expected),
            "comparison_expected": clean(campaign_selectors.comparison_expected(report)),
            "campaign_first": report.start - first if report.windows else None,
            "campaign_last": report.windows[0].last - 1 - first if report.windows else None}
