"""The summary PDF of a special campaign and the map on its page (issue 20 §4). The world of
test_campaigns.py: community A halved its reported frauds during a 4-week campaign (10 a week for
26 weeks before, 5 during), B and C stayed at 10; patrols discovered 1 a week before, 15 during.
Expected figures are worked by hand below. Needs poppler-utils (pdftotext, pdffonts)."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.test import Client

from gridgov.core.models import AuditAction, AuditEvent
from gridgov.safety import campaign_services as services
from tests.safety import test_campaigns
from tests.safety.test_campaigns import START, A, B, C, _create

world = test_campaigns.world  # the fixture of test_campaigns.py

Z95 = 1.959963984540054


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: install poppler-utils"
    return path


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pdf_text(client: Client, campaign_id: int, tmp_path) -> str:
    r = client.get(f"/safety/campaigns/{campaign_id}/summary.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    path = tmp_path / "campaign.pdf"
    path.write_bytes(r.content)
    fonts = subprocess.run([_tool("pdffonts"), str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows, fonts
    for parts in rows:  # name type encoding emb sub uni object generation
        assert parts[-5] == "yes", f"font not embedded: {parts}"
        assert parts[0].endswith("WenQuanYiMicroHei"), parts
    return subprocess.run([_tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.django_db
def test_the_summary_shows_the_campaign_its_effect_and_the_weekly_counts(world, tmp_path):
    campaign = _create(world, participating_units="区市场监管局", targets="电信诈骗警情下降三成")
    services.campaign_action_add(actor=world["police"], campaign_id=campaign.pk, day=START, kind="publicity",
                                 count=6, note="")
    services.campaign_action_add(actor=world["police"], campaign_id=campaign.pk, day=START, kind="publicity",
                                 count=4, note="")
    services.campaign_action_add(actor=world["police"], campaign_id=campaign.pk, day=START, kind="patrol",
                                 count=3, note="")
    text = _pdf_text(_client(world["police"]), campaign.pk, tmp_path)
    flat = re.sub(r"\s+", " ", text)
    assert "反诈专项行动" in text and "区市场监管局" in text and "电信诈骗警情下降三成" in text
    assert "诈骗" in text  # the category
    assert f"{START:%Y-%m-%d}" in text
    assert re.search(r"宣传教育\s+10\b", text) and re.search(r"巡逻\s+3\b", text)
    # (b): campaign 260 before, 20 during; comparison 520 before, 80 during
    se = math.sqrt(1 / 260 + 1 / 20 + 1 / 520 + 1 / 80)
    low, high = 0.5 * math.exp(-Z95 * se), 0.5 * math.exp(Z95 * se)
    (did_line,) = [line for line in text.splitlines() if "40.0" in line and "-50%" in line]
    assert f"{(low - 1) * 100:.0f}% ～ {(high - 1) * 100:.0f}%" in did_line
    assert "效果可测" in flat
    assert "无法估计" in flat  # (a): 30 weeks of data, no baseline
    # the reporting-change warning: 26 of 286 discovered before (9 %), 60 of 80 during (75 %)
    assert "9%" in flat and "75%" in flat and "巡逻发现的比例" in flat
    assert B in text and C in text
    # the weekly table: 5 reported, 15 discovered, (b) expects 20 x 260 / 520 = 10.0 each campaign week
    weekly = [line for line in text.splitlines() if re.match(r"\s*\d{4}-\d{2}-\d{2}\s+5\s+15\s+—\s+10\.0\s*$", line)]
    assert len(weekly) == 4, text
    assert "对照区域" in text and "双重差分" in flat


@pytest.mark.django_db
def test_the_export_is_audited(world, tmp_path):
    campaign = _create(world)
    before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()
    _pdf_text(_client(world["street"]), campaign.pk, tmp_path)
    (event,) = AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("-id")[:1]
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == before + 1
    assert event.object_type == "safety.campaign" and event.object_id == str(campaign.pk)
    assert event.actor_username == "street" and event.changes["format"] == "pdf"


@pytest.mark.django_db
def test_outside_the_scope_the_summary_is_not_found(world):
    campaign = _create(world)
    before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()
    assert _client(world["other"]).get(f"/safety/campaigns/{campaign.pk}/summary.pdf").status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == before
    assert Client().get(f"/safety/campaigns/{campaign.pk}/summary.pdf").status_code in (302, 401, 403)


@pytest.mark.django_db
def test_the_page_links_the_summary_and_maps_campaign_and_comparison_areas(city, world):
    from gridgov.geo.models import Division

    with_outline = set(Division.objects.filter(prefix__in=[A, B, C], boundary__isnull=False)
                       .values_list("prefix", flat=True))
    assert with_outline == {A, B, C}, "the tiny demo city has these three communities"
    campaign = _create(world)
    r = _client(world["police"]).get(f"/safety/campaigns/{campaign.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'href="/safety/campaigns/{campaign.pk}/summary.pdf"' in html
    data = json.loads(re.search(r'<script id="campaign-map-data" type="application/json">(.*?)</script>', html,
                                re.S).group(1))
    assert [f["properties"]["code"] for f in data["campaign"]["features"]] == [A]
    assert sorted(f["properties"]["code"] for f in data["comparison"]["features"]) == [B, C]
    assert {f["properties"]["role"] for f in data["comparison"]["features"]} == {"comparison"}
    assert data["campaign"]["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert "对照区域" in html and "整治区域" in html  # the legend


@pytest.mark.django_db
def test_a_campaign_without_incident_data_still_has_a_summary(make_user, tmp_path):
    from gridgov.safety.services import categories_sync

    categories_sync()
    police = make_user("police", ("police_officer", "310101"))
    campaign = services.campaign_create(actor=police, title="夏季治安专项行动", areas=[A], categories=["04"],
                                        start=START, end=START + timedelta(days=13), lead_unit="派出所")
    text = _pdf_text(_client(police), campaign.pk, tmp_path)
    assert "夏季治安专项行动" in text and "尚无警情数据" in text and "尚未记录整治行动" in text
