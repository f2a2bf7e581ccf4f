"""Special campaigns (issue 20 §4): creating them, logging actions, scope, and the effect report
computed from incidents in the database (numbers worked by hand below)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.core.models import AuditEvent
from gridgov.safety import campaign_selectors as selectors
from gridgov.safety import campaign_services as services
from gridgov.safety.models import Category, Incident
from gridgov.safety.services import categories_sync, week_of

A, B, C = "310101001001", "310101001002", "310101001003"  # three communities of one street
LAST = week_of(timezone.localdate()) - timedelta(weeks=1)    # the last complete week
START = LAST - timedelta(weeks=3)                            # a 4-week campaign up to it


def _incidents(code: str, category: Category, weeks: list, per_week: int, origin: str = "reported") -> list[Incident]:
    rows = []
    for week in weeks:
        at = datetime(week.year, week.month, week.day, 4, tzinfo=UTC)  # Monday noon in Shanghai
        rows += [Incident(category=category, occurred_at=at + timedelta(minutes=i), week_start=week, lon=121.47,
                          lat=31.23, grid_code=code + "001", origin=origin) for i in range(per_week)]
    return rows


@pytest.fixture
def world(db, make_user):
    categories_sync()
    fraud = Category.objects.get(code="04")
    pre = [START - timedelta(weeks=i) for i in range(1, 27)]      # 26 weeks before
    during = [START + timedelta(weeks=i) for i in range(4)]
    rows = _incidents(A, fraud, pre, 10) + _incidents(A, fraud, during, 5)
    rows += _incidents(A, fraud, pre, 1, "discovered") + _incidents(A, fraud, during, 15, "discovered")
    for code in (B, C):
        rows += _incidents(code, fraud, pre, 10) + _incidents(code, fraud, during, 10)
    Incident.objects.bulk_create(rows)
    return {
        "police": make_user("police", ("police_officer", "310101")),
        "street": make_user("street", ("street_centre", "310101001")),
        "other": make_user("other", ("street_centre", "310101002")),
    }


def _create(world, **overrides):
    data = dict(actor=world["police"], title="反诈专项行动", areas=[A], categories=["04"], start=START,
                end=LAST + timedelta(days=6), lead_unit="派出所")
    data.update(overrides)
    return services.campaign_create(**data)


@pytest.mark.django_db
def test_the_effect_report_by_hand(world):
    campaign = _create(world)
    report = selectors.campaign_report(world["police"], campaign)
    assert sorted(report.comparison) == [B, C]
    assert report.status == "finished"
    during = report.windows[0]
    assert during.name == "during" and during.last - during.first == 4
    did = during.did
    # campaign areas 260 before, 20 during; comparison 520 before, 80 during
    assert did.observed == 20
    assert did.expected == pytest.approx(260 * 80 / 520)
    assert did.ratio == pytest.approx((20 / 260) / (80 / 520))
    se = math.sqrt(1 / 260 + 1 / 20 + 1 / 520 + 1 / 80)  # constant weekly counts: Poisson
    assert did.high == pytest.approx(0.5 * math.exp(1.959963984540054 * se))
    assert did.verdict == "reduction"
    assert during.baseline.verdict == "not_estimable"  # 30 weeks of data: no 3-year baseline
    # discovered: 26 of 286 before, 60 of 80 during -> the warning
    assert report.reporting.changed
    assert report.reporting.discovered_share_before == pytest.approx(26 / 286)
    assert report.reporting.discovered_share_during == pytest.approx(60 / 80)


@pytest.mark.django_db
def test_a_campaign_without_a_change_has_no_measurable_effect(world):
    campaign = _create(world, areas=[B])
    during = selectors.campaign_report(world["police"], campaign).windows[0]
    assert during.did.verdict == "no_measurable_effect"
    assert during.did.low < 1 < during.did.high


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "fields"), [
    ({"start": START + timedelta(days=1)}, {"start"}),
    ({"end": LAST}, {"end"}),
    ({"areas": [A, "310101001"]}, {"areas"}),
    ({"areas": ["310101002001"]}, set()),  # in the police station's scope: fine
    ({"categories": ["77"]}, {"categories"}),
    ({"title": "", "lead_unit": ""}, {"title", "lead_unit"}),
    ({"areas": ["310101"]}, {"areas"}),
])
def test_bad_campaigns_name_each_field(world, overrides, fields):
    if not fields:
        assert _create(world, **overrides).pk
        return
    with pytest.raises(ValidationFailed) as err:
        _create(world, **overrides)
    assert {d.field for d in err.value.details} == fields


@pytest.mark.django_db
def test_areas_outside_the_capture_scope_are_refused(world):
    with pytest.raises(ValidationFailed) as err:
        _create(world, actor=world["police"], areas=["310102001001"])
    assert [d.code for d in err.value.details] == ["out_of_scope"]


@pytest.mark.django_db
def test_campaigns_are_read_in_their_area(world):
    campaign = _create(world)
    assert selectors.campaign_get(world["street"], campaign.pk) == campaign
    with pytest.raises(NotFound):
        selectors.campaign_get(world["other"], campaign.pk)


@pytest.mark.django_db
def test_actions_are_logged_within_the_period_and_audited(world):
    campaign = _create(world)
    action = services.campaign_action_add(actor=world["police"], campaign_id=campaign.pk, day=START + timedelta(days=2),
                                          kind="publicity", count="6", note="进小区宣传")
    assert action.count == 6
    with pytest.raises(ValidationFailed) as err:
        services.campaign_action_add(actor=world["police"], campaign_id=campaign.pk,
                                     day=START - timedelta(days=1), kind="patrol", count=0)
    assert {d.field for d in err.value.details} == {"day", "count"}
    assert selectors.actions_summary(campaign)[0]["count"] == 6
    actions = AuditEvent.objects.filter(object_type__in=["special_campaign", "campaign_action"])
    assert sorted(actions.values_list("object_type", flat=True)) == ["campaign_action", "special_campaign"]


@pytest.mark.django_db
def test_the_page_reports_the_effect_in_chinese(client, world):
    campaign = _create(world)
    client.force_login(world["street"])
    page = client.get(f"/safety/campaigns/{campaign.pk}/").content.decode()
    assert "报告警情少于预期：效果可测" in page
    assert "整治期间警情的发现方式发生了变化" in page
    assert "（乙）与对照区域比较（双重差分）" in page and "-50%" in page
    listing = client.get("/safety/campaigns/").content.decode()
    assert "反诈专项行动" in listing and "已结束" in listing


@pytest.mark.django_db
def test_the_street_centre_cannot_create_without_safety_manage(client, world):
    client.force_login(world["street"])
    assert client.get("/safety/campaigns/new/").status_code == 403
