"""The 403 and 404 pages in a real browser, wide and narrow: Chinese, the navigation visible and
usable. Screenshots go to test-artifacts/ (not committed) for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USERNAME = "e2e-refused"
PASSWORD = "a-Long-passw0rd!"
VIEWPORTS = {"wide": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGES = {
    # a grid worker has no safety.view: 403
    "403": ("/safety/", "无权访问", "您的角色不包含此功能。"),
    # a house that does not exist (page guard) and an address that does not exist (handler404)
    "404-record": ("/registry/houses/999999/", "未找到", "该页面或记录不存在，或不在您的辖区内。"),
    "404-address": ("/no-such-page/", "未找到", "该页面或记录不存在，或不在您的辖区内。"),
}


@pytest.fixture
def worker(transactional_db):
    from gridgov.accounts import services

    services.roles_sync()  # the flush between transactional tests removes the seeded roles
    user = services.user_create(username=USERNAME, password=PASSWORD)
    services.membership_grant(user=user, role_code="grid_worker", jurisdiction="310101001001001", scope="capture")
    return user


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("kind", PAGES)
def test_refusal_page_is_chinese_with_the_navigation(page: Page, live_server, worker, artifacts_dir: Path,
                                                     kind: str, viewport: str) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=current-user]")).to_contain_text(USERNAME)

    url, heading, text = PAGES[kind]
    response = page.goto(live_server.url + url)
    assert response is not None and response.status == int(kind[:3])
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("main h1")).to_have_text(heading)
    expect(page.locator("main")).to_contain_text(text)
    nav = page.locator("nav.mainnav a")
    # a grid worker's navigation (tests/refusal_pages.py GRID_WORKER)
    expect(nav).to_have_text(["地图", "实有人口与房屋", "事件", "六张网防控", "居住证续签", "核查活动与估计", "对账核实清单"])
    for i in range(3):
        expect(nav.nth(i)).to_be_visible()
    page.screenshot(path=str(artifacts_dir / f"refusal-{kind}-{viewport}.png"), full_page=True)

    nav.nth(2).click()  # the navigation works from the refusal page
    expect(page).to_have_url(live_server.url + "/cases/")
