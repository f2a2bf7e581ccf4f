"""Public-concern response in a real browser (issue 20 §3): the street centre records a rumour,
publishes its first statement before the deadline, and the list shows it answered on time."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passw0rd!"


@pytest.mark.parametrize("width", [1440, 390])
def test_a_statement_published_before_the_deadline(new_page, live_server, make_user, width) -> None:
    grid = helpers.tiny_city_with_street(make_user)
    page = new_page(width=width)
    base = live_server.url
    helpers.log_in(page, base, "e2e-street", PASSWORD)
    page.goto(f"{base}/desk/concerns/")
    page.click("[data-testid=concern-new]")
    page.fill("#f-title", "“学校周边食品有问题”传言")
    page.fill("#f-text", "微信群流传某小学门口小吃摊食品不卫生，已有学生腹泻。")
    page.select_option("#f-source", "rumour")
    page.fill("#f-desc", "家长微信群转发截图")
    page.select_option("#f-area", grid[:9])
    page.fill("input[name=first_response_hours]", "2")
    page.click("[data-testid=concern-save]")
    expect(page.locator("[data-testid=concern-status]")).to_have_text("待首次回应")
    expect(page.locator("[data-testid=concern-clock]")).to_contain_text("正常")
    page.select_option("#f-kind", "first")
    page.fill("#f-statement", "市场监管所已现场检查，未发现食品安全问题；未接到学生就医报告。")
    page.click("[data-testid=statement-publish]")
    expect(page.locator("[data-testid=concern-status]")).to_have_text("已回应，待后续说明")
    statement = page.locator("[data-testid=statement]")
    expect(statement).to_have_count(1)
    expect(statement).to_contain_text("首次回应")
    expect(statement).to_contain_text("按时发布")
    page.goto(f"{base}/desk/concerns/?status=responding")
    expect(page.locator("[data-testid=concern-row]")).to_have_count(1)
    expect(page.locator("[data-testid=concern-row]")).to_contain_text("“学校周边食品有问题”传言")
