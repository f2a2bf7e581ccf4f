"""Demo special campaigns (issue 20 §4), made once the demo users exist (the police station leads):

- 反诈专项行动: against telecom fraud in the first street over the last 8 complete weeks, where the
  safety demo halved the reported frauds (demo/safety.py) — the report finds the reduction;
- 打击赌博专项行动: the gambling crackdown the safety demo planted (many incidents DISCOVERED by
  patrols in one community over the last 3 weeks, reported ones unchanged) — the report warns that
  reporting changed and finds no measurable effect on reported incidents.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.utils import timezone


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    return {}  # the campaigns need the demo police user: attach_demo_users makes them


def attach_demo_users() -> None:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import code_in_scope
    from gridgov.demo.safety import CAMPAIGN_WEEKS, campaign_street
    from gridgov.geo.models import Grid
    from gridgov.safety import campaign_services as services
    from gridgov.safety.models import Incident, SpecialCampaign
    from gridgov.safety.services import week_of

    if SpecialCampaign.objects.exists() or not Incident.objects.exists():
        return
    police = User.objects.filter(username="police").first()
    if police is None:
        return
    last_week = week_of(timezone.localdate()) - timedelta(weeks=1)
    street = campaign_street(list(Grid.objects.order_by("code").values_list("code", flat=True)[:1]) or [""])
    if street:
        start = last_week - timedelta(weeks=CAMPAIGN_WEEKS - 1)
        campaign = services.campaign_create(
            actor=police, title="反诈专项行动", areas=[street], categories=["04"], start=start,
            end=last_week + timedelta(days=6), lead_unit="派出所", participating_units="街道综治中心、居委会、各银行网点",
            targets="电信网络诈骗立案数较上年同期下降，反诈宣传覆盖全部居民小区")
        for week in range(CAMPAIGN_WEEKS):
            day = start + timedelta(weeks=week, days=2)
            services.campaign_action_add(actor=police, campaign_id=campaign.pk, day=day, kind="publicity", count=6,
                                         note="进小区、进楼宇反诈宣传")
            services.campaign_action_add(actor=police, campaign_id=campaign.pk, day=day + timedelta(days=1),
                                         kind="inspection", count=3, note="银行网点、快递站点走访")
    since = last_week - timedelta(weeks=2)
    top = (Incident.objects.filter(category__code="08", origin="discovered", week_start__gte=since)
           .values_list("grid_code", flat=True))
    # the police user leads campaigns in its own jurisdiction only (at the small and city scales the
    # planted crackdown may lie in another district: the campaign then goes to the busiest community
    # of its own; campaign_create refuses an area outside it)
    communities = Counter(code[:12] for code in top
                          if code_in_scope(police, code[:9], capability=services.MANAGE, purpose="write"))
    if communities:
        community = max(sorted(communities), key=lambda c: communities[c])
        campaign = services.campaign_create(
            actor=police, title="打击赌博专项行动", areas=[community[:9]], categories=["08"], start=since,
            end=last_week + timedelta(days=6), lead_unit="派出所治安队", participating_units="社区民警、平安志愿者",
            targets="清查棋牌室、出租房内聚赌")
        services.campaign_action_add(actor=police, campaign_id=campaign.pk, day=since + timedelta(days=4),
                                     kind="patrol", count=12, note="夜间清查")
        services.campaign_action_add(actor=police, campaign_id=campaign.pk, day=since + timedelta(days=11),
                                     kind="case", count=5, note="查处聚众赌博")


def reset() -> None:
    from gridgov.safety.models import CampaignAction, SpecialCampaign

    CampaignAction.objects.all().delete()
    SpecialCampaign.objects.all().delete()
