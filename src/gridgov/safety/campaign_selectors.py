"""Special campaigns (专项整治): every read — the list, one campaign, and its effect report
(safety/campaign_effect.py does the statistics; docs/campaigns.md says how to read it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import scoped
from gridgov.core.audit import audit_write
from gridgov.core.errors import NotFound
from gridgov.core.models import AuditAction
from gridgov.safety import campaign_effect, detect
from gridgov.safety.models import Incident, SpecialCampaign
from gridgov.safety.services import data_start, week_of, weekly_counts

VIEW = "safety.view"
PRE_WEEKS = 26          # weeks before the campaign that the comparison uses
MIN_PRE_WEEKS = 8
COMPARISON_AREAS = 8


def campaigns_visible(user: User) -> QuerySet[SpecialCampaign]:
    return scoped(SpecialCampaign.objects.prefetch_related("categories"), user, field="area_code", capability=VIEW)


def campaign_get(user: User, campaign_id: int) -> SpecialCampaign:
    campaign = campaigns_visible(user).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("campaign %(id)s not found", params={"id": campaign_id})
    return campaign


@dataclass(frozen=True)
class Window:
    name: str              # "during" | "after"
    first: int             # week index, inclusive
    last: int              # week index, exclusive
    baseline: campaign_effect.Effect
    did: campaign_effect.Effect


@dataclass(frozen=True)
class Report:
    weeks: list[date]
    reported: np.ndarray        # campaign areas, categories: reported incidents per week
    discovered: np.ndarray
    expected: np.ndarray        # Farrington baseline (NaN without enough history)
    threshold: np.ndarray       # its upper limit (99 %)
    start: int                  # index of the first campaign week
    windows: list[Window]
    comparison: list[str]       # area codes chosen as comparison
    comparison_weekly: np.ndarray
    reporting: campaign_effect.ReportingChange
    status: str                 # "planned" | "running" | "finished"


def campaign_status(campaign: SpecialCampaign, today: date) -> str:
    if today < campaign.start:
        return "planned"
    return "running" if today <= campaign.end else "finished"


def campaign_report(user: User, campaign: SpecialCampaign, *, today: date | None = None) -> Report | None:
    """The effect report of ``campaign`` (the caller got it through ``campaign_get``). None when no
    incident data exist yet. Only complete weeks count; reported incidents only."""
    today = today or timezone.localdate()
    first_data = data_start()
    if first_data is None:
        return None
    last_week = week_of(today) - timedelta(weeks=1)
    first_week = min(first_data, campaign.start - timedelta(weeks=PRE_WEEKS))
    level = len(campaign.areas[0])
    district = campaign.area_code[:6]
    cats = [c.code for c in campaign.categories.all()]
    incidents = Incident.objects.filter(grid_code__startswith=district, category__code__in=cats)
    series = weekly_counts(incidents, area_len=level, first_week=first_week, last_week=max(last_week, first_week))
    weeks = series.weeks
    areas = np.unique(series.areas) if len(series.areas) else np.array([], dtype=object)
    by_area = {a: np.zeros(len(weeks)) for a in areas}
    disc_by_area = {a: np.zeros(len(weeks)) for a in areas}
    for i, area in enumerate(series.areas):
        by_area[area] += series.counts[i]
        disc_by_area[area] += series.discovered[i]
    chosen_set = set(campaign.areas)
    zero = np.zeros(len(weeks))
    reported = sum((by_area.get(a, zero) for a in campaign.areas), np.zeros(len(weeks)))
    discovered = sum((disc_by_area.get(a, zero) for a in campaign.areas), np.zeros(len(weeks)))
    start = (campaign.start - first_week).days // 7
    pre_first = max(start - PRE_WEEKS, 0)
    pool = [a for a in areas if a not in chosen_set]
    pool_counts = np.array([by_area[a] for a in pool]) if pool else np.zeros((0, len(weeks)))
    comparison: list[str] = []
    comparison_weekly = np.zeros(len(weeks))
    if start - pre_first >= MIN_PRE_WEEKS and len(pool):
        idx = campaign_effect.choose_comparison(reported[pre_first:start], pool_counts[:, pre_first:start],
                                                k=COMPARISON_AREAS)
        comparison = [pool[i] for i in idx]
        comparison_weekly = pool_counts[idx].sum(axis=0) if len(idx) else comparison_weekly
    expected = np.full(len(weeks), np.nan)
    threshold = np.full(len(weeks), np.nan)
    if len(weeks) > detect.farrington_min_history():
        det = detect.farrington(reported[None, :])
        expected[det.periods] = det.expected[0]
        threshold[det.periods] = det.threshold[0]
    end = min((campaign.end - first_week).days // 7 + 1, len(weeks))
    windows = []
    if end > start:
        windows.append(_window("during", start, end, reported, expected, comparison_weekly, pre_first, start,
                               comparison))
        after_end = min(end + (end - start), len(weeks))
        if after_end > end:
            windows.append(_window("after", end, after_end, reported, expected, comparison_weekly, pre_first, start,
                                   comparison))
    during = slice(start, max(end, start))
    reporting = campaign_effect.reporting_change(reported[pre_first:start].sum(), discovered[pre_first:start].sum(),
                                                 reported[during].sum(), discovered[during].sum())
    return Report(weeks, reported, discovered, expected, threshold, start, windows, comparison, comparison_weekly,
                  reporting, campaign_status(campaign, today))


def _window(name, first, last, reported, expected, comparison_weekly, pre_first, campaign_start,
            comparison) -> Window:
    """The effect in weeks first..last-1, judged against the weeks before the campaign began."""
    baseline = campaign_effect.baseline_effect(reported, expected, start=first, end=last, history_end=campaign_start)
    if comparison:
        did = campaign_effect.did_effect(reported[pre_first:campaign_start], reported[first:last],
                                         comparison_weekly[pre_first:campaign_start], comparison_weekly[first:last])
    else:
        did = campaign_effect.Effect("did", float(reported[first:last].sum()), None, None, None, None,
                                     campaign_effect.NOT_ESTIMABLE, "no comparison areas with incidents before")
    return Window(name, first, last, baseline, did)


def comparison_expected(report: Report) -> list[float | None]:
    """Per week, the reported incidents the comparison areas say the campaign areas would have had:
    their weekly count times (campaign areas before / comparison areas before), the weekly form of
    the expected count of estimate (b). None for every week without comparison areas."""
    pre_first = max(report.start - PRE_WEEKS, 0)
    t_before = float(report.reported[pre_first:report.start].sum())
    c_before = float(report.comparison_weekly[pre_first:report.start].sum())
    if not report.comparison or c_before <= 0:
        return [None] * len(report.weeks)
    return [float(c) * t_before / c_before for c in report.comparison_weekly]


def campaign_summary_exported(user: User, campaign: SpecialCampaign, *, size: int) -> None:
    """Record that ``user`` exported the campaign's summary PDF (audit action EXPORT)."""
    audit_write(AuditAction.EXPORT, actor=user, object_type="safety.campaign", object_id=campaign.pk,
                changes={"format": "pdf", "bytes": size, "areas": campaign.areas})


def actions_summary(campaign: SpecialCampaign) -> list[dict]:
    from django.db.models import Sum

    from gridgov.safety.models import CampaignAction

    labels = dict(CampaignAction.Kind.choices)
    rows = campaign.actions.values("kind").annotate(n=Sum("count")).order_by("kind")
    return [{"kind": r["kind"], "label": labels.get(r["kind"], r["kind"]), "count": r["n"]} for r in rows]
