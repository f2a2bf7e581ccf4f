"""A special campaign with its effect report in a real browser (issue 20 §4): the police station
records the campaign through the form, logs an action, and reads the effect with its chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passw0rd!"


@pytest.mark.parametrize("width", [1440, 390])
def test_a_campaign_and_its_effect_report(new_page, live_server, make_user, width) -> None:
    from gridgov.safety.models import Category, Incident
    from gridgov.safety.services import categories_sync
    from tests.safety.test_campaigns import LAST, START, A, B, C, _incidents

    categories_sync()
    fraud = Category.objects.get(code="04")
    pre = [START - timedelta(weeks=i) for i in range(1, 27)]
    during = [START + timedelta(weeks=i) for i in range(4)]
    rows = _incidents(A, fraud, pre, 10) + _incidents(A, fraud, during, 4)
    for code in (B, C):
        rows += _incidents(code, fraud, pre, 10) + _incidents(code, fraud, during, 10)
    Incident.objects.bulk_create(rows)
    make_user("e2e-police", ("police_officer", "310101"))
    page = new_page(width=width)
    base = live_server.url
    helpers.log_in(page, base, "e2e-police", PASSWORD)
    page.goto(f"{base}/safety/campaigns/")
    page.click("[data-testid=campaign-new]")
    page.fill("#c-title", "反诈专项行动")
    page.fill("#c-areas", A)
    page.check("input[name=categories][value='04']")
    page.fill("input[name=start]", START.isoformat())
    page.fill("input[name=end]", (LAST + timedelta(days=6)).isoformat())
    page.fill("#c-lead", "派出所")
    page.click("[data-testid=campaign-save]")
    expect(page.locator("[data-testid=campaign-page] h1")).to_have_text("反诈专项行动")
    did = page.locator("[data-testid=effect-table] [data-testid=effect-2]").first
    expect(did).to_have_attribute("data-verdict", "reduction")
    expect(did).to_contain_text("效果可测")
    expect(page.locator("[data-testid=campaign-chart]")).to_have_attribute("data-ready", "true")
    page.fill("input[name=day]", (START + timedelta(days=1)).isoformat())
    page.select_option("select[name=kind]", "publicity")
    page.fill("input[name=count]", "6")
    page.click("text=记录行动")
    expect(page.locator("[data-testid=action-totals]")).to_contain_text("宣传教育 6")
