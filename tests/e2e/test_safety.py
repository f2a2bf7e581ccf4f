"""The public-safety pages in a real browser: the situation map colours areas by warning level and
marks hotspots; a warning links to its trend chart (ECharts) with the expected/threshold band.
Data: the tiny synthetic demo city with the safety demo (planted outbreaks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_map import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def safety_demo(transactional_db):
    from gridgov.accounts.services import roles_sync
    from gridgov.demo import geo as geo_demo
    from gridgov.demo import safety as safety_demo_loader
    from gridgov.demo.loaders import DEMO_PASSWORD, demo_users

    roles_sync()
    geo_demo.load_demo_city(scale="tiny", seed=1)
    safety_demo_loader.load(scale="tiny", seed=1, progress=lambda *a: None)
    demo_users({})  # "district": district centre at 310101 (safety.view, safety.manage)
    return {"username": "district", "password": DEMO_PASSWORD}


def test_situation_map_and_trend_chart(page: Page, live_server, safety_demo, artifacts_dir: Path) -> None:
    log_in(page, live_server.url, safety_demo["username"], safety_demo["password"])
    page.goto(live_server.url + "/safety/")
    situation = page.locator("[data-testid=situation-map]")
    expect(situation).to_have_attribute("data-ready", "true")
    # communities are drawn, at least one coloured red (the planted outbreaks)
    expect(page.locator("path.situation-area").first).to_be_visible()
    assert page.locator("path.situation-area").count() >= 10
    expect(page.locator("path.situation-area[data-level=red]").first).to_be_attached()
    expect(page.locator("[data-testid=level-legend]")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "safety-situation.png"), full_page=True)

    alerts = page.locator("[data-testid=situation-alert]")
    expect(alerts.first).to_be_visible()
    alerts.first.locator("[data-testid=trend-link]").click()

    chart = page.locator("[data-testid=trend-chart]")
    expect(chart).to_have_attribute("data-ready", "true")
    assert chart.get_attribute("data-points") == "104"
    expect(chart.locator("svg").first).to_be_attached()
    # observed bars, the expected line and the threshold band are drawn
    assert chart.locator("svg path").count() > 50
    page.screenshot(path=str(artifacts_dir / "safety-trend.png"), full_page=True)
