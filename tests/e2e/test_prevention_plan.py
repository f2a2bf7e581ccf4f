"""The weekly patrol plan in a real browser: the demo police officer sees the proposed plan for next
week with its reasons per grid and accepts it; the staffing review shows the ratio table with an
outlier marked. Screenshots at 1440 px and 390 px for the police officer and the district centre go
to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plan_demo(transactional_db):
    from gridgov.accounts.services import roles_sync
    from gridgov.demo import allocation, registry
    from gridgov.demo import geo as geo_demo
    from gridgov.demo import safety as safety_demo
    from gridgov.demo.loaders import DEMO_PASSWORD, demo_users

    roles_sync()
    geo_demo.load_demo_city(scale="tiny", seed=1)
    registry.load(scale="tiny", seed=1, progress=None)
    safety_demo.load(scale="tiny", seed=1, progress=lambda *a: None)
    allocation.load(scale="tiny", seed=1)
    demo_users({})
    allocation.attach_demo_users()
    return DEMO_PASSWORD


def test_police_sees_reasons_and_accepts_the_plan(new_page, live_server, plan_demo, artifacts_dir: Path) -> None:
    from gridgov.prevention.models import PatrolPlan

    plan = PatrolPlan.objects.get()
    page = new_page(width=1440)
    log_in(page, live_server.url, "police", plan_demo)
    page.goto(f"{live_server.url}/prevention/plan/?week={plan.week_start.isoformat()}")
    rows = page.locator("[data-testid=plan-row]")
    expect(rows.first).to_be_visible()
    assert rows.count() == plan.lines.count()
    expect(page.locator("[data-testid=plan-status]")).to_have_text("待采纳")
    # the first row (most units) says why, in Chinese
    expect(rows.first.locator("[data-testid=plan-reasons] li").first).to_contain_text("估计发案率")
    page.screenshot(path=str(artifacts_dir / "plan-police-1440.png"), full_page=True)
    page.click("[data-testid=plan-accept]")
    expect(page.locator("[data-testid=plan-status]")).to_have_text("已采纳")
    expect(page.locator("[data-testid=messages]")).to_contain_text("已采纳计划")
    plan.refresh_from_db()
    assert plan.status == "accepted" and plan.decided_by.username == "police"

    phone = new_page(width=390, height=844)
    log_in(phone, live_server.url, "police", plan_demo)
    phone.goto(f"{live_server.url}/prevention/plan/?week={plan.week_start.isoformat()}")
    expect(phone.locator("[data-testid=plan-row]").first).to_be_visible()
    # the page itself does not scroll sideways on a phone (the table scrolls in its box)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(artifacts_dir / "plan-police-390.png"), full_page=False)
    phone.goto(f"{live_server.url}/prevention/staffing/")
    expect(phone.locator("[data-testid=staffing-row]").first).to_be_visible()
    phone.screenshot(path=str(artifacts_dir / "staffing-police-390.png"), full_page=False)


def test_district_centre_sees_plan_and_staffing(new_page, live_server, plan_demo, artifacts_dir: Path) -> None:
    from gridgov.prevention.models import PatrolPlan

    plan = PatrolPlan.objects.get()
    for width in (1440, 390):
        page = new_page(width=width, height=900 if width > 400 else 844)
        log_in(page, live_server.url, "district", plan_demo)
        page.goto(f"{live_server.url}/prevention/plan/?week={plan.week_start.isoformat()}")
        expect(page.locator("[data-testid=plan-row]").first).to_be_visible()
        page.screenshot(path=str(artifacts_dir / f"plan-district-{width}.png"), full_page=width > 400)
        page.goto(f"{live_server.url}/prevention/staffing/")
        rows = page.locator("[data-testid=staffing-row]")
        expect(rows.first).to_be_visible()
        assert page.locator("td[data-mark=low], td[data-mark=high]").count() >= 1
        page.screenshot(path=str(artifacts_dir / f"staffing-district-{width}.png"), full_page=width > 400)
