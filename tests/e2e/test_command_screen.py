"""Issue 18 §1 in a browser: the district's command screen shows tiles that match the lists they
link to (click a tile, count the rows), the map draws, and a click on a street in the sub-area
table opens that street's screen; every role's home page at 1440 px and 390 px (screenshots under
test-artifacts/command-*.png). Data: the tiny demo city with every module's demo data."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def full_demo(transactional_db):
    from django.core.cache import cache

    from gridgov.demo.loaders import DEMO_PASSWORD, load_all

    load_all(scale="tiny", seed=1)
    cache.clear()
    return DEMO_PASSWORD


def _tile_number(page: Page, key: str) -> int:
    return int(page.locator(f"[data-testid=tile][data-key={key}]").get_attribute("data-number") or "0")


def test_district_tiles_match_their_lists_and_drill_down(page: Page, live_server, full_demo) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    log_in(page, live_server.url, "district", full_demo)
    page.goto(live_server.url + "/")
    expect(page.locator("[data-testid=command-screen]")).to_have_attribute("data-area", "310101")
    expect(page.locator("h1")).to_contain_text("黄浦区")
    expect(page.locator("[data-testid=command-map]")).to_have_attribute("data-ready", "true")
    assert page.locator(".cmd-area").count() > 0  # the streets drawn on the map
    for key in ("cases_overdue", "cases_week", "cases_queue"):
        n = _tile_number(page, key)
        tile = page.locator(f"[data-testid=tile][data-key={key}]")
        expect(tile).to_have_attribute("title", re.compile(".+"))
        tile.click()
        expect(page.locator("[data-testid=worklist-total]")).to_have_text(f"({n})")
        assert page.locator("[data-testid=case-row]").count() == min(n, 200)
        page.go_back()
    warnings = _tile_number(page, "warnings_week")
    page.locator("[data-testid=tile][data-key=warnings_week]").click()
    assert page.locator("[data-testid=warning-row]").count() == min(warnings, 50)
    page.go_back()
    # drill down: the street with the most open events
    rows = page.locator("[data-testid=subarea]")
    assert rows.count() > 1
    first = rows.first
    code = first.get_attribute("data-code")
    name = first.locator("a").inner_text()
    first.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/command/area/{code}/$"))
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("[data-testid=command-crumbs]")).to_contain_text("黄浦区")
    expect(page.locator("[data-testid=command-map]")).to_have_attribute("data-ready", "true")
    page.locator("[data-testid=hotspot-toggle]").check()


ROLES = [("district", "command-screen"), ("street", "command-screen"), ("grid", "home-grid"),
         ("dept", "home-department"), ("social", "home-care"), ("police", "home-police")]


@pytest.mark.parametrize("width", [1440, 390])
def test_every_role_home_page(page: Page, live_server, full_demo, artifacts_dir, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    for username, testid in ROLES:
        log_in(page, live_server.url, username, full_demo)
        page.goto(live_server.url + "/")
        expect(page.locator(f"[data-testid={testid}]")).to_be_visible()
        if testid == "command-screen":
            expect(page.locator("[data-testid=command-map]")).to_have_attribute("data-ready", "true")
        # nothing wider than the screen on a phone
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (username, overflow)
        page.screenshot(path=str(artifacts_dir / f"command-{username}-{width}.png"), full_page=True)
    log_in(page, live_server.url, "auditor", full_demo)
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/audit/$"))
    page.screenshot(path=str(artifacts_dir / f"command-auditor-{width}.png"), full_page=True)
