"""The register's pages in a real browser: search a resident, open the masked detail, reveal with a
reason, and register a resident at a house from the mobile form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FULL_ID = re.compile(r"\d{17}[\dXx]")


def test_search_detail_and_reveal(page: Page, live_server, demo) -> None:
    from gridgov.registry.models import Person

    person = Person.objects.filter(grid_code__startswith="310101", identity_number__isnull=False).first()
    log_in(page, live_server.url, "district", demo)
    page.goto(live_server.url + "/registry/")
    page.fill("[data-testid=q]", person.identity_number)
    page.keyboard.press("Enter")
    results = page.locator("[data-testid=person-results]")
    expect(results).to_contain_text(person.name)
    assert person.identity_number not in page.url and not FULL_ID.search(page.content())
    results.get_by_role("link", name=person.name).first.click()
    expect(page.locator("[data-testid=document-masked]")).to_have_text(
        person.identity_number[:6] + "********" + person.identity_number[-4:])
    page.fill("[data-testid=reveal-reason]", "e2e 核查身份")
    page.locator("[data-testid=reveal-form] button").click()
    expect(page.locator("[data-testid=revealed]")).to_have_text(person.identity_number)


def test_grid_worker_registers_at_a_house(page: Page, live_server, demo) -> None:
    from gridgov.accounts.models import User
    from gridgov.core.idnumber import make_identity_number
    from gridgov.registry.models import House, Person

    worker = User.objects.get(username="grid")
    grid = next(m.jurisdiction for m in worker.active_memberships() if m.scope == "capture")
    house = House.objects.filter(grid_code=grid).first()
    log_in(page, live_server.url, "grid", demo)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/registry/houses/{house.pk}/register/")
    from datetime import date

    number = make_identity_number("341221", date(1995, 6, 1), 37)
    page.fill("#f-name", "路小明")
    page.fill("#f-id", number)
    page.select_option("#f-pop", "02")
    page.click("[data-testid=register-submit]")
    expect(page.locator("[data-testid=register-ok]")).to_be_visible()
    assert Person.objects.filter(name="路小明", house=house).exists()
