"""The grid map (/geo/map/) in a real browser: grids appear when zoomed in, a click shows the grid's
details, the search finds a grid by its code. The data is the tiny synthetic demo city (黄浦区)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PEOPLES_SQUARE = (121.4737, 31.2304)  # lon, lat
GRID_CODE = re.compile(r"^310101\d{9}$")
GRID_MIN_ZOOM = 14  # map.js: grids are never requested below this zoom


@pytest.fixture
def demo_city(transactional_db):
    from gridgov.accounts.services import roles_sync
    from gridgov.demo import geo as geo_demo
    from gridgov.demo.loaders import DEMO_PASSWORD, demo_users

    roles_sync()  # the flush between transactional tests removes the seeded roles
    geo_demo.load_demo_city(scale="tiny", seed=1)
    demo_users({})  # "district": district centre at 310101 (geo.view)
    return {"username": "district", "password": DEMO_PASSWORD}




def open_map(page: Page, base_url: str) -> None:
    page.goto(base_url + "/geo/map/")
    # data-ready flips once the initial view (the jurisdiction's outline) is set.
    expect(page.locator("[data-testid=map]")).to_have_attribute("data-ready", "true")


def view_peoples_square(page: Page, zoom: int = 16) -> None:
    lon, lat = PEOPLES_SQUARE
    page.evaluate(
        "([lat, lon, zoom]) => window.gridgovMap.setView([lat, lon], zoom, {animate: false})",
        [lat, lon, zoom],
    )
    page.wait_for_selector("path.grid-polygon")


def test_click_on_grid_shows_its_details(page: Page, live_server, demo_city, artifacts_dir: Path) -> None:
    grid_requests: list[str] = []
    page.on("request", lambda r: grid_requests.append(r.url) if "/layers/grids" in r.url else None)

    log_in(page, live_server.url, demo_city["username"], demo_city["password"])
    open_map(page, live_server.url)
    expect(page.locator("[data-testid=map] .jurisdiction-outline")).not_to_have_count(0)

    view_peoples_square(page, 16)
    assert page.locator("path.grid-polygon").count() >= 1

    box = page.locator("[data-testid=map]").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    panel = page.locator("[data-testid=grid-panel]")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-testid=grid-code]")).to_have_text(GRID_CODE)
    # the unit is translated: 平方米 in zh-hans (the context locale), m² in English
    expect(panel.locator("[data-testid=grid-area]")).to_have_text(re.compile(r"^[\d,.]+ (平方米|m²)$"))
    expect(panel.locator("[data-testid=grid-district]")).to_contain_text("310101")
    page.screenshot(path=str(artifacts_dir / "map.png"), full_page=True)

    # Grids are never fetched at low zoom (the initial view of a whole district is below it).
    assert grid_requests, "no grid layer request at zoom 16"
    for url in grid_requests:
        zoom = int(parse_qs(urlparse(url).query)["zoom"][0])
        assert zoom >= GRID_MIN_ZOOM, url


def test_search_finds_a_grid_by_code(page: Page, live_server, demo_city) -> None:
    log_in(page, live_server.url, demo_city["username"], demo_city["password"])
    open_map(page, live_server.url)

    # A grid code from the API itself (the page's session cookie comes along).
    lon, lat = PEOPLES_SQUARE
    bbox = f"{lon - 0.002},{lat - 0.002},{lon + 0.002},{lat + 0.002}"
    response = page.request.get(f"{live_server.url}/api/v1/geo/layers/grids?bbox={bbox}&zoom=16")
    assert response.ok, response.status
    codes = [f["properties"]["code"] for f in response.json()["features"]]
    codes = [c for c in codes if GRID_CODE.match(c)]
    assert codes, "no grid near People's Square"
    code = codes[0]

    page.fill("[data-testid=map-search]", code)
    results = page.locator("[data-testid=map-search-results]")
    expect(results).to_be_visible()
    result = results.locator(f"[data-testid=map-search-result][data-code='{code}']")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(code)

    result.click()
    expect(results).to_be_hidden()
    expect(page.locator("[data-testid=grid-code]")).to_have_text(code)
    # Choosing a grid zooms far enough in for the grid layer, with that grid drawn and selected.
    expect(page.locator("path.grid-polygon.is-selected")).to_have_count(1)
    assert page.evaluate("() => window.gridgovMap.getZoom()") >= GRID_MIN_ZOOM
