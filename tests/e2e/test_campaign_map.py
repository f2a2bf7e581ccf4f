"""The map of a special campaign and its summary PDF in a real browser (issue 20 §4): the campaign
community in blue, the comparison communities dashed orange, a legend, and the PDF link answering
with a PDF."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passw0rd!"


@pytest.mark.parametrize("width", [1440, 390])
def test_the_campaign_map_and_summary_link(new_page, live_server, make_user, width) -> None:
    from datetime import timedelta

    from gridgov.demo.geo import load_demo_city
    from gridgov.safety import campaign_services
    from gridgov.safety.models import Category, Incident
    from gridgov.safety.services import categories_sync
    from tests.safety.test_campaigns import LAST, START, A, B, C, _incidents

    load_demo_city(scale="tiny", seed=1)
    categories_sync()
    fraud = Category.objects.get(code="04")
    pre = [START - timedelta(weeks=i) for i in range(1, 27)]
    during = [START + timedelta(weeks=i) for i in range(4)]
    rows = _incidents(A, fraud, pre, 10) + _incidents(A, fraud, during, 4)
    for code in (B, C):
        rows += _incidents(code, fraud, pre, 10) + _incidents(code, fraud, during, 10)
    Incident.objects.bulk_create(rows)
    police = make_user("e2e-police", ("police_officer", "310101"))
    campaign = campaign_services.campaign_create(actor=police, title="反诈专项行动", areas=[A], categories=["04"],
                                                 start=START, end=LAST + timedelta(days=6), lead_unit="派出所")
    page = new_page(width=width)
    base = live_server.url
    helpers.log_in(page, base, "e2e-police", PASSWORD)
    page.goto(f"{base}/safety/campaigns/{campaign.pk}/")
    the_map = page.locator("[data-testid=campaign-map]")
    expect(the_map).to_have_attribute("data-ready", "true")
    expect(the_map).to_have_attribute("data-campaign", "1")
    expect(the_map).to_have_attribute("data-comparison", "2")
    expect(page.locator(f"#campaign-map path[data-role=campaign][data-code='{A}']")).to_have_count(1)
    expect(page.locator("#campaign-map path[data-role=comparison]")).to_have_count(2)
    assert page.locator(f"#campaign-map path[data-code='{A}']").bounding_box()["width"] > 10
    legend = page.locator("[data-testid=campaign-map-legend]")
    expect(legend).to_contain_text("整治区域")
    expect(legend).to_contain_text("对照区域")
    box = the_map.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width  # no overflow on the phone
    href = page.locator("[data-testid=campaign-pdf]").get_attribute("href")
    assert href == f"/safety/campaigns/{campaign.pk}/summary.pdf"
    response = page.request.get(base + href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"
