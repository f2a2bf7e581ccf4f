"""The pages of the user guide (docs/user-guide.md) in a real browser, on the whole tiny demo (every
module's synthetic data, the demo accounts): the home page and the weekly briefing. With
GRIDGOV_DOC_SHOTS=1 these tests, test_report_map and test_safety write the guide's screenshots to
docs/img/ (1440 px wide, zh-hans)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import doc_shot
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def full_demo(transactional_db):
    from gridgov.demo.loaders import DEMO_PASSWORD, load_all

    load_all(scale="tiny", seed=1)
    return {"username": "district", "password": DEMO_PASSWORD}




def test_home_and_briefing_in_chinese(new_page, live_server, full_demo) -> None:
    from gridgov.safety.models import Incident

    page = new_page(width=1440)
    log_in(page, live_server.url, full_demo["username"], full_demo["password"])
    page.goto(live_server.url + "/")
    expect(page).to_have_title(re.compile("指挥屏"))  # a district centre's home is its command screen
    nav = page.locator("nav").first
    for name in ("地图", "事件", "治安态势"):
        expect(nav).to_contain_text(name)
    doc_shot(page, "home")
    page.goto(live_server.url + "/command/positions/")
    expect(page.locator("[data-testid=memberships]")).to_contain_text("区综治中心")

    page.goto(live_server.url + "/safety/briefing/")
    briefing = page.locator("[data-testid=briefing]")
    expect(briefing).to_be_visible()
    assert Incident.objects.exists()
    expect(page.locator("[data-testid=briefing-pdf]")).to_be_visible()
    doc_shot(page, "briefing")
