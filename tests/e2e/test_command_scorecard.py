"""Scorecards in a real browser: the district centre exports the monthly scorecard (a download read
back), issues a supervisory action against a street, and the street's scorecard page shows it.
Data: the tiny demo city with its cases, care and safety demo data and the responsibility demo."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def score_demo(transactional_db):
    from django.core.cache import cache

    from gridgov.accounts.services import roles_sync
    from gridgov.demo import cases as cases_demo
    from gridgov.demo import command_responsibility
    from gridgov.demo import geo as geo_demo
    from gridgov.demo import safety as safety_demo
    from gridgov.demo.loaders import DEMO_PASSWORD, demo_users

    cache.clear()
    roles_sync()
    jurisdictions = geo_demo.load_demo_city(scale="tiny", seed=1)
    cases_demo.load(scale="tiny", seed=1)
    safety_demo.load(scale="tiny", seed=1, progress=lambda *a: None)
    command_responsibility.load(scale="tiny", seed=1)
    demo_users(jurisdictions)
    street = jurisdictions["street_centre"][0][0]
    yield {"password": DEMO_PASSWORD, "street": street}
    cache.clear()


def _shots(page, name: str, artifacts_dir: Path) -> None:
    page.screenshot(path=str(artifacts_dir / f"command-{name}.png"), full_page=True)


def test_export_and_supervise(new_page, live_server, score_demo, artifacts_dir: Path) -> None:
    from openpyxl import load_workbook

    street = score_demo["street"]
    page = new_page(width=1440)
    log_in(page, live_server.url, "district", score_demo["password"])
    page.goto(live_server.url + "/command/scorecards/310101/")
    expect(page.locator("[data-testid=scorecard-page]")).to_be_visible()
    expect(page.locator(f"[data-testid=row-{street}]")).to_be_visible()
    _shots(page, "scorecard-district-1440", artifacts_dir)

    with page.expect_download() as info:
        page.click("[data-testid=export-xlsx]")
    download = info.value
    assert download.suggested_filename.startswith("scorecard-310101-") and download.suggested_filename.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    codes = [row[0] for row in wb.worksheets[0].iter_rows(values_only=True)]
    assert "310101" in codes and street in codes

    page.click("[data-testid=subnav-supervision]")
    page.select_option("[data-testid=sup-kind]", "listed")
    page.select_option("[data-testid=sup-target]", street)
    page.fill("[data-testid=sup-title]", "电信诈骗警情持续高发")
    page.fill("[data-testid=sup-reason]", "本月电信诈骗警情环比上升，挂牌督办，限期整改。")
    page.fill("[data-testid=sup-deadline]", "2099-12-31")
    page.click("[data-testid=sup-submit]")
    expect(page.locator("[data-testid=supervision-detail]")).to_contain_text("电信诈骗警情持续高发")
    expect(page.locator("[data-testid=sup-history]")).to_contain_text("本月电信诈骗警情环比上升")
    _shots(page, "supervision-detail-1440", artifacts_dir)

    page.goto(live_server.url + f"/command/scorecards/{street}/")
    card = page.locator("[data-testid=supervision-card]", has_text="电信诈骗警情持续高发")
    expect(card).to_be_visible()
    expect(card).to_contain_text("挂牌督办")

    phone = new_page(width=390, height=844)
    log_in(phone, live_server.url, "district", score_demo["password"])
    phone.goto(live_server.url + "/command/scorecards/310101/")
    expect(phone.locator("[data-testid=scorecard-page]")).to_be_visible()
    _shots(phone, "scorecard-district-390", artifacts_dir)
    phone.click("[data-testid=weights-link]")
    expect(phone.locator("[data-testid=weights-form]")).to_be_visible()
    _shots(phone, "weights-390", artifacts_dir)
    phone.goto(live_server.url + "/command/scorecards/310101/")
    phone.locator("[data-testid=drill-on_time_closure]").first.click()
    expect(phone.locator("[data-testid=drill-page]")).to_be_visible()
    _shots(phone, "drill-390", artifacts_dir)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # the page itself does not scroll sideways on a phone (the wide table scrolls in its own box)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # the street centre sees the card on its own scorecard
    street_page = new_page(width=1440)
    log_in(street_page, live_server.url, "street", score_demo["password"])
    street_page.goto(live_server.url + f"/command/scorecards/{street}/")
    expect(street_page.locator("[data-testid=supervision-card]", has_text="电信诈骗警情持续高发")).to_be_visible()
    _shots(street_page, "scorecard-street-1440", artifacts_dir)
    street_phone = new_page(width=390, height=844)
    log_in(street_phone, live_server.url, "street", score_demo["password"])
    street_phone.goto(live_server.url + f"/command/scorecards/{street}/")
    expect(street_phone.locator("[data-testid=scorecard-page]")).to_be_visible()
    _shots(street_phone, "scorecard-street-390", artifacts_dir)
    assert street_phone.evaluate("document.documentElement.scrollWidth") <= 390
