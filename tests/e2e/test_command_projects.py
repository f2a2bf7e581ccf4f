"""The base-level project list in a real browser: a street centre creates a project whose deadline
has passed (the dates entered lie in the past: the project falls overdue as soon as it exists), sees
it red on its page and as a supervision card on the list page's header for its street; the district
centre sees the same card for that street, and the map and the timeline show the project."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TITLE = "浏览器测试：社区警务室改造"


@pytest.fixture
def project_demo(transactional_db):
    from gridgov.accounts.services import roles_sync
    from gridgov.demo import geo as geo_demo
    from gridgov.demo import projects as projects_demo
    from gridgov.demo.loaders import DEMO_PASSWORD, demo_users

    roles_sync()
    jurisdictions = geo_demo.load_demo_city(scale="tiny", seed=1)
    projects_demo.load(scale="tiny", seed=1)
    demo_users(jurisdictions)  # street: street centre of one street; district: 310101
    return {"password": DEMO_PASSWORD, "street": jurisdictions["street_centre"][0][0]}


def test_a_project_falls_overdue_and_raises_a_supervision_card(new_page, live_server, project_demo,
                                                              artifacts_dir: Path) -> None:
    page: Page = new_page(width=1440)
    street = project_demo["street"]
    helpers.log_in(page, live_server.url, "street", project_demo["password"])
    page.goto(live_server.url + "/command/projects/")
    page.locator("[data-testid=project-new]").click()
    today = timezone.localdate()
    page.fill("[data-testid=f-title]", TITLE)
    page.select_option("[data-testid=f-category]", "03")
    page.select_option("[data-testid=f-area]", street)
    page.fill("[data-testid=f-owner]", "王强")
    page.fill("[data-testid=f-unit]", "派出所")
    page.fill("[data-testid=f-start]", (today - timedelta(days=40)).isoformat())
    page.fill("[data-testid=f-deadline]", (today - timedelta(days=2)).isoformat())
    page.fill("[data-testid=f-lon]", "121.4737")
    page.fill("[data-testid=f-lat]", "31.2304")
    page.locator("[data-testid=f-ms-title]").first.fill("完成设计")
    page.locator("[data-testid=f-ms-due]").first.fill((today - timedelta(days=20)).isoformat())
    page.locator("[data-testid=f-submit]").click()

    expect(page.locator("[data-testid=project-title]")).to_contain_text(TITLE)
    expect(page.locator("[data-testid=project-colour]")).to_have_text("超期")
    expect(page.locator("[data-testid=history]")).to_contain_text("创建项目")

    # the supervision card on the list page's header for the street
    page.goto(live_server.url + f"/command/projects/?area={street}")
    card = page.locator("[data-testid=supervision-card][data-kind=project_overdue]", has_text=TITLE)
    expect(card).to_be_visible()
    expect(card).to_contain_text("项目逾期")
    page.screenshot(path=str(artifacts_dir / "projects-street-cards.png"), full_page=True)

    # progress and a status change are recorded in the history
    card.click()
    page.select_option("[data-testid=status-select]", "in_progress")
    page.locator("[data-testid=status-submit]").click()
    expect(page.locator("[data-testid=project-status]")).to_have_text("进行中")
    page.fill("[data-testid=note-form] textarea", "已完成设计, 进入施工")
    page.locator("[data-testid=note-submit]").click()
    expect(page.locator("[data-testid=notes]")).to_contain_text("已完成设计, 进入施工")
    expect(page.locator("[data-testid=history]")).to_contain_text("变更状态")

    # the district centre sees the same card on the street's header, and the project on map and timeline
    phone: Page = new_page(width=390, height=844)
    helpers.log_in(phone, live_server.url, "district", project_demo["password"])
    phone.goto(live_server.url + f"/command/projects/?area={street}")
    expect(phone.locator("[data-testid=supervision-card][data-kind=project_overdue]", has_text=TITLE)).to_be_visible()
    phone.goto(live_server.url + f"/command/projects/map/?area={street}&colour=red")
    expect(phone.locator("[data-testid=project-map]")).to_have_attribute("data-ready", "true")
    assert phone.locator("path.project-point").count() >= 1
    phone.goto(live_server.url + f"/command/projects/timeline/?area={street}")
    expect(phone.locator("[data-testid=timeline-bar][data-colour=red]", has_text=TITLE)).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
