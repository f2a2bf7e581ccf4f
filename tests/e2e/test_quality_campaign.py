"""A small verification campaign from design to estimate: the street centre designs it (the sample is
drawn and assigned), the grid worker records the visits on a phone-sized screen, and the estimate
appears with its label and the non-response."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passw0rd!"
GRID = "310101001001001"


@pytest.fixture
def street(transactional_db):
    from gridgov.accounts import services as account_services
    from gridgov.registry.models import House, Person, Residence

    account_services.roles_sync()
    centre = account_services.user_create(username="e2e-street", password=PASSWORD, display_name="街道中心小李")
    account_services.membership_grant(user=centre, role_code="street_centre", jurisdiction="310101001")
    worker = account_services.user_create(username="e2e-grid", password=PASSWORD, display_name="网格员小张")
    account_services.membership_grant(user=worker, role_code="grid_worker", jurisdiction=GRID)
    n = 0
    for i in range(6):
        h = House.objects.create(house_code=f"{GRID}-{i:03d}", address=f"人民路{i + 1}号", grid_code=GRID)
        for k in range(2):
            n += 1
            p = Person.objects.create(name=f"住户{i}{'甲乙'[k]}", doc_type="414", doc_number=f"E{n:07d}", sex="1",
                                      birth_date=date(1980, 1, 1), phone=f"1381234{n:04d}", grid_code=GRID, house=h)
            Residence.objects.create(person=p, house=h, grid_code=GRID, start_date=date(2020, 1, 1))


def test_campaign_from_design_to_estimate(page: Page, live_server, street, artifacts_dir: Path) -> None:
    today = timezone.localdate()
    helpers.log_in(page, live_server.url, "e2e-street", PASSWORD)
    page.goto(live_server.url + "/quality/")
    page.click("[data-testid=new-campaign]")
    page.fill("#name", "人民路社区登记质量核查")
    page.fill("#area_code", "310101001001")
    page.fill("#period_start", (today - timedelta(days=3)).isoformat())
    page.fill("#period_end", (today + timedelta(days=10)).isoformat())
    page.fill("#target_margin", "30")
    page.fill("#seed", "42")
    page.click("[data-testid=draw-sample]")
    size = int(page.locator("[data-testid=sample-size]").inner_text())
    assert 2 <= size <= 6
    expect(page.locator("[data-testid=workers]")).to_contain_text("网格员小张")

    page.set_viewport_size({"width": 390, "height": 844})
    helpers.log_in(page, live_server.url, "e2e-grid", PASSWORD)
    page.goto(live_server.url + "/quality/worklist/")
    items = page.locator("[data-testid=work-item]")
    expect(items).to_have_count(size)
    page.screenshot(path=str(artifacts_dir / "quality-worklist-phone.png"), full_page=True)
    for i in range(size):
        page.goto(live_server.url + "/quality/worklist/")
        page.locator("[data-testid=work-item]").nth(0).click()  # unvisited first
        if i == 0:
            page.check("[data-testid=outcome-refused]")
        else:
            page.check("[data-testid=outcome-found]")
            for box in page.locator("[data-testid^=present-]").all():
                box.check()
            if i == 1:
                page.fill("[data-testid=new-name-0]", "新住户丙")
        if i == 1:
            page.screenshot(path=str(artifacts_dir / "quality-visit-phone.png"), full_page=True)
        page.click("[data-testid=save-visit]")
        expect(page).to_have_url(live_server.url + "/quality/worklist/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.set_viewport_size({"width": 1440, "height": 900})
    helpers.log_in(page, live_server.url, "e2e-street", PASSWORD)
    page.goto(live_server.url + "/quality/")
    page.get_by_role("link", name="人民路社区登记质量核查").click()
    expect(page.locator("[data-testid=visited]")).to_have_text(str(size))
    page.click("[data-testid=to-estimates]")
    table = page.locator("[data-testid=estimates-table]")
    # registered persons found / all persons found: 2(size-1) / (2(size-1) + 1); every record accurate
    found = 2 * (size - 1)
    reg = f"{100 * found / (found + 1):.1f}%"
    first = table.first.locator("td[data-indicator=registration_rate]").first
    expect(first).to_contain_text(reg)
    expect(first.locator("[data-testid=status]")).to_have_text("不确定" if found / (found + 1) < 0.9 else "达标")
    acc = table.first.locator("td[data-indicator=accuracy_rate]").first
    expect(acc).to_contain_text("100.0%")
    expect(acc.locator("[data-testid=status]")).to_have_text("达标")
    expect(page.locator("[data-testid=notes]")).to_contain_text("1 户拒访")
    page.screenshot(path=str(artifacts_dir / "quality-estimates.png"), full_page=True)
