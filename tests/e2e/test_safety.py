"""The public-safety pages in a real browser: the situation map colours areas by warning level and
marks hotspots; a warning links to its trend chart (ECharts) with the expected/threshold band.
Data: the tiny synthetic demo city with the safety demo (planted outbreaks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import doc_shot
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


def test_situation_map_legend_layers_and_outlines(new_page, live_server, safety_demo) -> None:
    """Readable at the default zoom: warned areas in their own pane above the hotspots, hotspots a layer
    that is off until switched on, a legend entry for every symbol, district and street outlines named."""
    from gridgov.geo.models import Division
    from gridgov.safety.models import Hotspot

    page = new_page(width=1440)
    log_in(page, live_server.url, safety_demo["username"], safety_demo["password"])
    page.goto(live_server.url + "/safety/")
    situation = page.locator("[data-testid=situation-map]")
    expect(situation).to_have_attribute("data-ready", "true")
    expect(situation).to_have_attribute("data-outlines", "true")
    doc_shot(page, "situation-map")

    legend = page.locator("[data-testid=situation-legend] [data-testid=legend-item]")
    assert [legend.nth(i).get_attribute("data-key") for i in range(legend.count())] == [
        "none", "blue", "yellow", "orange", "red", "hot99", "hot95", "cold", "district", "street"]
    expect(page.locator("[data-testid=situation-legend]")).to_contain_text("红色（一级）")
    expect(page.locator("[data-testid=situation-legend]")).to_contain_text("区县界")

    # warned areas are drawn, above the hotspot pane; hotspots are off by default
    warned = page.locator(".leaflet-sit-warned-pane path.situation-warned")
    assert warned.count() >= 1
    assert warned.count() == int(situation.get_attribute("data-warned"))
    z = page.evaluate("() => ['sit-spots', 'sit-warned'].map(n => +getComputedStyle("
                      "window.gridgovSituationMap.getPane(n)).zIndex)")
    assert z[0] < z[1]
    expect(page.locator("path.hotspot-marker")).to_have_count(0)
    expect(situation).to_have_attribute("data-layer-hotspots", "off")

    n_spots = int(situation.get_attribute("data-hotspots"))
    assert n_spots >= 1 and Hotspot.objects.exists()
    page.check("[data-testid=layer-hotspots]")
    expect(page.locator("path.hotspot-marker")).to_have_count(n_spots)
    page.uncheck("[data-testid=layer-hotspots]")
    expect(page.locator("path.hotspot-marker")).to_have_count(0)

    # district and street outlines with their names (street names from zoom 13)
    district = Division.objects.get(prefix="310101").name
    expect(page.locator(".situation-label-district")).to_have_text([district])
    page.evaluate("() => window.gridgovSituationMap.setZoom(13, {animate: false})")
    streets = set(Division.objects.filter(level=9, prefix__startswith="310101").values_list("name", flat=True))
    expect(page.locator(".situation-label-street").first).to_be_attached()
    assert set(page.locator(".situation-label-street").all_inner_texts()) == streets
    page.uncheck("[data-testid=layer-streets]")
    expect(page.locator(".situation-label-street")).to_have_count(0)
    expect(page.locator("path.situation-street")).to_have_count(0)
    page.check("[data-testid=layer-streets]")
    expect(page.locator(".situation-label-street").first).to_be_attached()
