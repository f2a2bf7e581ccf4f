"""The prevention pages in a real browser: a patrol log is entered, the coverage of its grid rises
and the gap list shows it; the gap map colours the grids. Screenshots at 1440 and 390 px for the
police officer, the street centre and the grid worker (test-artifacts/prevention-*.png).
Data: the tiny demo city with the register, the safety and the prevention demo data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def prevention_demo(transactional_db):
    from gridgov.accounts.services import roles_sync
    from gridgov.demo import geo as geo_demo
    from gridgov.demo import prevention as prevention_loader
    from gridgov.demo import registry as registry_demo
    from gridgov.demo import safety as safety_loader
    from gridgov.demo.loaders import DEMO_PASSWORD, demo_users

    roles_sync()
    jurisdictions = geo_demo.load_demo_city(scale="tiny", seed=1)
    registry_demo.load(scale="tiny", seed=1)
    safety_loader.load(scale="tiny", seed=1, progress=lambda *a: None)
    prevention_loader.load(scale="tiny", seed=1)
    demo_users(jurisdictions)
    return DEMO_PASSWORD


def _row(page, code):
    return page.locator(f"[data-testid=gap-row][data-code='{code}']")


def test_a_patrol_log_updates_coverage_and_the_gap_list(new_page, live_server, prevention_demo,
                                                        artifacts_dir: Path) -> None:
    from gridgov.prevention import selectors
    from gridgov.prevention.models import PatrolUnit

    page = new_page(1440, 900)
    log_in(page, live_server.url, "police", prevention_demo)
    page.goto(live_server.url + "/prevention/")
    expect(page.locator("[data-testid=gap-map]")).to_have_attribute("data-ready", "true")
    assert page.locator("#gap-map path.leaflet-interactive").count() >= 10
    grids_drawn = page.locator("#gap-map path.leaflet-interactive").count()
    page.check("[data-testid=layer-cameras]")
    expect(page.locator("[data-testid=gap-map]")).to_have_attribute("data-cameras", "520")
    assert page.locator("#gap-map path.leaflet-interactive").count() == grids_drawn + 520
    page.uncheck("[data-testid=layer-cameras]")
    first = page.locator("[data-testid=gap-row]").first
    code = first.get_attribute("data-code")
    hours_before = float(first.get_attribute("data-patrol"))
    gap_before = float(first.get_attribute("data-gap"))
    assert gap_before > 0

    unit = PatrolUnit.objects.filter(area_code=code[:9]).order_by("code").first()
    week = selectors.default_week()
    day = (week + dt.timedelta(days=2)).isoformat()
    page.goto(live_server.url + "/prevention/patrols/")
    page.select_option("[data-testid=unit]", str(unit.pk))
    page.fill("[data-testid=started-at]", f"{day}T09:00")
    page.fill("[data-testid=ended-at]", f"{day}T15:00")
    page.fill("[data-testid=grids]", code)
    page.click("[data-testid=save-patrol]")
    expect(page.locator("[data-testid=messages]")).to_contain_text("巡逻记录已保存")
    expect(page.locator(f"[data-testid=patrol-logs] [data-code='{code}']").first).to_be_attached()

    page.goto(live_server.url + "/prevention/")
    row = _row(page, code)
    expect(row).to_be_attached()
    assert float(row.get_attribute("data-patrol")) == pytest.approx(hours_before + 6.0)
    assert float(row.get_attribute("data-gap")) < gap_before
    expect(row.locator("[data-testid=patrol-hours]")).to_have_text(f"{hours_before + 6.0:.1f}")


@pytest.mark.parametrize("username", ["police", "street", "grid"])
def test_screenshots(new_page, live_server, prevention_demo, artifacts_dir: Path, username: str) -> None:
    for width, height in ((1440, 900), (390, 844)):
        page = new_page(width, height)
        log_in(page, live_server.url, username, prevention_demo)
        page.goto(live_server.url + "/prevention/")
        expect(page.locator("[data-testid=gap-map]")).to_have_attribute("data-ready", "true")
        page.screenshot(path=str(artifacts_dir / f"prevention-gaps-{username}-{width}.png"), full_page=True)
        # no horizontal overflow of the page on a phone (wide tables scroll inside their box)
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        page.goto(live_server.url + "/prevention/patrols/")
        page.screenshot(path=str(artifacts_dir / f"prevention-log-{username}-{width}.png"), full_page=True)
        page.goto(live_server.url + "/prevention/networks/")
        page.screenshot(path=str(artifacts_dir / f"prevention-networks-{username}-{width}.png"), full_page=True)


@pytest.fixture
def prevention_plan_demo(prevention_demo):
    """The prevention demo plus the allocation demo: the proposed plan of the police officer's
    district for next week (from the demo's incidents and patrol logs)."""
    from gridgov.demo import allocation

    allocation.load(scale="tiny", seed=1)
    allocation.attach_demo_users()
    return prevention_demo


def _cell(page, grid, testid):
    return page.locator(f"[data-testid=plan-row][data-grid='{grid}'] [data-testid={testid}]")


def test_a_patrol_log_reaches_coverage_the_gap_list_and_the_plan(new_page, live_server, prevention_plan_demo,
                                                                 artifacts_dir: Path) -> None:
    """The issue's whole path: a patrol log is entered, the coverage of its grid updates, the gap
    list shows it, the plan of its week shows it as realised hours and the re-proposed plan for next
    week has it among its inputs."""
    from gridgov.prevention import plan_services, selectors
    from gridgov.prevention.models import PatrolPlan, PatrolUnit

    page = new_page(1440, 900)
    log_in(page, live_server.url, "police", prevention_plan_demo)
    page.goto(live_server.url + "/prevention/")
    first = page.locator("[data-testid=gap-row]").first
    code = first.get_attribute("data-code")
    hours_before = float(first.get_attribute("data-patrol"))
    gap_before = float(first.get_attribute("data-gap"))

    # the plan for next week (proposed by the demo) before the log: the grid's past patrol hours
    upcoming = PatrolPlan.objects.get(week_start=plan_services.next_week())
    page.goto(f"{live_server.url}/prevention/plan/?week={upcoming.week_start.isoformat()}")
    inputs_before = float(_cell(page, code, "history-hours").inner_text())

    week = selectors.default_week()
    unit = PatrolUnit.objects.filter(area_code=code[:9]).order_by("code").first()
    day = (week + dt.timedelta(days=3)).isoformat()
    page.goto(live_server.url + "/prevention/patrols/")
    page.select_option("[data-testid=unit]", str(unit.pk))
    page.fill("[data-testid=started-at]", f"{day}T19:00")
    page.fill("[data-testid=ended-at]", f"{day}T23:00")
    page.fill("[data-testid=grids]", code)
    page.click("[data-testid=save-patrol]")
    expect(page.locator("[data-testid=messages]")).to_contain_text("巡逻记录已保存")

    # coverage and the gap list
    page.goto(f"{live_server.url}/prevention/?week={week.isoformat()}")
    row = _row(page, code)
    expect(row.locator("[data-testid=patrol-hours]")).to_have_text(f"{hours_before + 4.0:.1f}")
    assert float(row.get_attribute("data-gap")) < gap_before

    # the plan of the log's week: proposed now, its realised hours include the log
    page.goto(f"{live_server.url}/prevention/plan/?week={week.isoformat()}")
    expect(page.locator("[data-testid=plan-empty]")).to_be_visible()
    page.click("[data-testid=plan-propose]")
    expect(page.locator("[data-testid=plan-status]")).to_have_text("待采纳")
    expect(_cell(page, code, "realised-hours")).to_contain_text(f"{hours_before + 4.0:.1f}")

    # next week's plan, proposed again: its inputs (patrol hours of the weeks before) include the log
    page.goto(f"{live_server.url}/prevention/plan/?week={upcoming.week_start.isoformat()}")
    expect(_cell(page, code, "history-hours")).to_have_text(f"{inputs_before:.1f}")
    page.click("[data-testid=plan-propose]")
    expect(page.locator("[data-testid=messages]")).to_contain_text("已生成建议计划")
    expect(_cell(page, code, "history-hours")).to_have_text(f"{inputs_before + 4.0:.1f}")
    page.screenshot(path=str(artifacts_dir / "prevention-plan-after-log-1440.png"), full_page=True)


def test_an_inspection_walks_its_rectification_loop(new_page, live_server, prevention_demo,
                                                    artifacts_dir: Path) -> None:
    from gridgov.prevention.models import Inspection, Venue

    venue = Venue.objects.order_by("code").first()
    today = dt.date.today()
    page = new_page(390, 844)
    log_in(page, live_server.url, "police", prevention_demo)
    page.goto(live_server.url + "/prevention/inspections/")
    expect(page.locator("[data-testid=inspection-row]").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    page.fill("[data-testid=venue]", venue.code)
    page.fill("[data-testid=findings]", "消防通道堆放杂物")
    page.fill("[data-testid=deadline]", (today + dt.timedelta(days=14)).isoformat())
    page.click("[data-testid=save-inspection]")
    expect(page.locator("[data-testid=inspection-state]")).to_have_text("整改中")
    expect(page.locator("[data-testid=inspection-clock]")).to_contain_text("正常")
    page.screenshot(path=str(artifacts_dir / "prevention-inspection-390.png"), full_page=True)
    page.fill("[data-testid=note]", "已清理通道")
    page.click("[data-testid=act-report]")
    expect(page.locator("[data-testid=messages]")).to_contain_text("等待验收")
    page.click("[data-testid=act-accept]")
    expect(page.locator("[data-testid=inspection-state]")).to_have_text("已关闭")
    expect(page.locator("[data-testid=inspection-history] li")).to_have_count(3)
    ins = Inspection.objects.filter(venue=venue).latest("id")
    assert (ins.state, ins.findings) == ("closed", "消防通道堆放杂物")
