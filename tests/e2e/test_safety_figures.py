"""Issue 13 in a browser: the trend page takes an area by name and answers bad input with a Chinese
400 page; the settings page's radio buttons sit beside their labels; the briefing names levels in
Chinese and says which week it shows. At 1440 px and 390 px. Data: the tiny demo city with the
safety demo."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_map import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WIDTHS = [1440, 390]


@pytest.fixture
def safety_demo(transactional_db):
    from gridgov.accounts.services import roles_sync
    from gridgov.demo import geo as geo_demo
    from gridgov.demo import safety as safety_demo_loader
    from gridgov.demo.loaders import DEMO_PASSWORD, demo_users

    roles_sync()
    geo_demo.load_demo_city(scale="tiny", seed=1)
    safety_demo_loader.load(scale="tiny", seed=1, progress=lambda *a: None)
    demo_users({})  # district (310101, safety), admin (city administrator)
    return DEMO_PASSWORD


@pytest.mark.parametrize("width", WIDTHS)
def test_trend_by_name_and_a_bad_area(page: Page, live_server, safety_demo, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, "district", safety_demo)
    page.goto(live_server.url + "/safety/trend/")
    box = page.locator("[data-testid=trend-area]")
    expect(box).to_have_value("黄浦区 310101")
    assert page.locator("[data-testid=trend-area-options] option").count() == 31 - 2  # district, streets, communities
    box.fill("嘉桥街道")
    page.locator("[data-testid=trend-form] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("嘉桥街道")
    expect(page.locator("h1 small.code")).to_have_text("310101001")
    expect(page.locator("[data-testid=trend-chart]")).to_have_attribute("data-ready", "true")
    response = page.goto(live_server.url + "/safety/trend/?area=nowhere&category=02")
    assert response is not None and response.status == 400
    expect(page.locator("h1")).to_have_text("无法显示该趋势")
    expect(page.locator("[data-testid=bad-request-message]")).to_contain_text("没有名为“nowhere”的区域")
    expect(page.locator("nav.mainnav")).to_contain_text("治安态势")


@pytest.mark.parametrize("width", WIDTHS)
def test_settings_radio_buttons_sit_beside_their_labels(page: Page, live_server, safety_demo, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, "admin", safety_demo)
    page.goto(live_server.url + "/safety/settings/")
    for testid, words in (("guard-on", "开启防护（推荐）"), ("guard-off", "关闭防护")):
        radio = page.locator(f"[data-testid={testid}]")
        label = page.locator("label.choice", has=radio).locator("span")
        expect(label).to_have_text(words)
        r, t = radio.bounding_box(), label.bounding_box()
        assert r and t
        assert r["x"] + r["width"] <= t["x"] <= r["x"] + r["width"] + 24  # just left of its words
        assert abs((r["y"] + r["height"] / 2) - (t["y"] + t["height"] / 2)) < 8  # on the same line
    table = page.locator("[data-testid=cutoffs]")
    expect(table.locator("thead")).to_contain_text("蓝色（四级）")
    expect(table.locator("tbody")).to_contain_text("改进 Farrington 法")


def test_briefing_in_chinese_with_its_week(page: Page, live_server, safety_demo) -> None:
    log_in(page, live_server.url, "district", safety_demo)
    page.goto(live_server.url + "/safety/briefing/")
    expect(page.locator("[data-testid=briefing-week]")).to_contain_text("最近一个完整周")
    levels = page.locator("[data-testid=briefing-levels]")
    for name in ("蓝色（四级）", "黄色（三级）", "橙色（二级）", "红色（一级）"):
        expect(levels).to_contain_text(name)
    expect(page.locator("[data-testid=briefing-alerts] thead")).to_contain_text("区域")
