"""The demo campaigns are led by the demo police user, in its own jurisdiction (黄浦区 310101): at
the small and city scales the community with the most discovered gambling incidents may lie in
another district, which campaign_create refuses (the whole load failed there)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone


@pytest.mark.django_db
def test_the_gambling_campaign_stays_in_the_police_jurisdiction(demo):
    from gridgov.demo import campaigns
    from gridgov.safety.models import CampaignAction, Category, Incident, SpecialCampaign
    from gridgov.safety.services import week_of

    CampaignAction.objects.all().delete()
    SpecialCampaign.objects.all().delete()
    last_week = week_of(timezone.localdate()) - timedelta(weeks=1)
    gambling = Category.objects.get(code="08")
    # a crackdown in a community of another district (徐汇区 310104), bigger than anything in 310101
    at = timezone.make_aware(datetime.combine(last_week, datetime.min.time()) + timedelta(hours=20))
    Incident.objects.bulk_create([Incident(category=gambling, occurred_at=at, week_start=last_week, lon=121.43,
                                           lat=31.18, grid_code="310104001001001", origin="discovered")
                                  for _ in range(200)])
    campaigns.attach_demo_users()
    made = {c.title: c for c in SpecialCampaign.objects.all()}
    assert set(made) == {"反诈专项行动", "打击赌博专项行动"}
    assert made["打击赌博专项行动"].area_code.startswith("310101")
    assert all(area.startswith("310101") for area in made["打击赌博专项行动"].areas)
