"""The events closed loop in a real browser: a grid worker reports (mobile page), the street centre
accepts, registers and dispatches, the department handler takes it on and reports it handled, the
grid worker verifies it (核查) and the street centre closes it; the centre's 改派 and 撤回.
Tiny synthetic demo city (黄浦区)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PEOPLES_SQUARE = helpers.PEOPLES_SQUARE
PASSWORD = "a-Long-passw0rd!"


@pytest.fixture
def world(transactional_db, make_user):
    from gridgov.cases import services

    grid = helpers.tiny_city_with_street(make_user)
    dep = services.department_create(code="310101-gs", name="黄浦区绿化市容局", kind="greening_sanitation",
                                     jurisdiction="310101")
    handler = make_user("e2e-dept", ("department_handler", "310101"))
    services.department_member_add(department=dep, user=handler)
    return {"grid": grid}


def log_in(page: Page, base_url: str, username: str) -> None:
    helpers.log_in(page, base_url, username, PASSWORD)


def open_form(page: Page, action: str) -> None:
    if not page.locator(f"[data-testid=form-{action}]").is_visible():
        page.click(f"[data-testid=action-{action}-open]")


def act(page: Page, action: str, note: str | None = None) -> None:
    open_form(page, action)
    if note is not None:
        page.fill(f"[data-testid=f-note-{action}]", note)
    page.click(f"[data-testid=do-{action}]")
    expect(page.locator("[data-testid=messages] .msg-success")).to_be_visible()


def test_report_dispatch_handle_verify_close(page: Page, live_server, world, artifacts_dir: Path) -> None:
    from gridgov.cases.models import Case

    base = live_server.url
    # 1. the grid worker reports from the mobile page
    log_in(page, base, "e2e-grid")
    page.goto(base + "/cases/mobile/")
    page.select_option("[data-testid=f-category]", "E0102")
    page.fill("[data-testid=f-description]", "人民广场东侧暴露垃圾")
    page.fill("[data-testid=f-lon]", str(PEOPLES_SQUARE[0]))
    page.fill("[data-testid=f-lat]", str(PEOPLES_SQUARE[1]))
    page.click("[data-testid=report-submit]")
    expect(page.locator("[data-testid=messages] .msg-success")).to_be_visible()
    case = Case.objects.get()
    assert case.grid_code == world["grid"] and case.state == "reported"
    expect(page.locator("[data-testid=my-reports]")).to_contain_text(f"#{case.pk}")

    # 2. the street centre accepts, registers and dispatches (the suggested department leads)
    log_in(page, base, "e2e-street")
    page.goto(base + f"/cases/{case.pk}/")
    act(page, "accept")
    act(page, "register")
    expect(page.locator("[data-testid=f-lead]")).to_have_value("310101-gs")
    act(page, "dispatch", "请尽快清运")
    expect(page.locator("[data-testid=case-state]")).to_have_attribute("data-state", "dispatched")

    # 3. the department handler takes it on and reports it handled
    log_in(page, base, "e2e-dept")
    page.goto(base + "/cases/w/department/")
    page.click(f"[data-testid=case-row][data-case-id='{case.pk}'] a")
    act(page, "start")
    act(page, "feedback", "已清运完毕")
    expect(page.locator("[data-testid=case-state]")).to_have_attribute("data-state", "handled")

    # 4. the grid worker verifies from the mobile list (核查); closing is not theirs
    log_in(page, base, "e2e-grid")
    page.goto(base + "/cases/mobile/")
    page.locator(f"[data-testid=verify-item][data-case-id='{case.pk}'] [data-testid=mobile-verify]").click()
    expect(page.locator("[data-testid=messages] .msg-success")).to_be_visible()
    page.goto(base + f"/cases/{case.pk}/")
    expect(page.locator("[data-testid=action-close-open]")).to_have_count(0)
    # 5. the street centre closes
    log_in(page, base, "e2e-street")
    page.goto(base + f"/cases/{case.pk}/")
    act(page, "close", "现场已整洁")
    expect(page.locator("[data-testid=case-state]")).to_have_attribute("data-state", "closed")
    expect(page.locator("[data-testid=timeline] li")).to_have_count(8)
    page.screenshot(path=str(artifacts_dir / "cases-closed.png"), full_page=True)
    assert list(case.events.values_list("action", flat=True)) == [
        "report", "accept", "register", "dispatch", "start", "feedback", "verify", "close"]


def test_the_centre_reassigns_then_recalls_a_stuck_case(page: Page, live_server, world, artifacts_dir: Path) -> None:
    from gridgov.cases import services
    from gridgov.cases.models import Case, CaseTask
    from gridgov.core.models import AuditEvent

    water = services.department_create(code="310101-water", name="黄浦区水务局", kind="water", jurisdiction="310101")
    case = services.case_report(actor=None, system=True, category_code="E0102", description="人民广场积水",
                                lon=PEOPLES_SQUARE[0], lat=PEOPLES_SQUARE[1], channel="hotline",
                                caller_phone="13800000000")[0]
    Case.objects.filter(pk=case.pk).update(state="registered")
    street = Case.objects.get(pk=case.pk)
    base = live_server.url
    log_in(page, base, "e2e-street")
    page.goto(base + f"/cases/{street.pk}/")
    open_form(page, "dispatch")
    page.select_option("[data-testid=form-dispatch] [data-testid=f-lead]", water.code)
    act(page, "dispatch", "请处置")
    expect(page.locator("[data-testid=case-state]")).to_have_attribute("data-state", "dispatched")
    # 黄浦区水务局 has no handler: the centre reassigns to 绿化市容局, with a reason
    open_form(page, "reassign")
    page.select_option("[data-testid=form-reassign] [data-testid=f-lead]", "310101-gs")
    act(page, "reassign", "水务局无人接单，改派绿化市容局")
    expect(page.locator("[data-testid=timeline] li[data-action=reassign]")).to_contain_text("水务局无人接单")
    assert CaseTask.objects.get(case_id=case.pk, status="open").department.code == "310101-gs"
    page.screenshot(path=str(artifacts_dir / "cases-reassigned.png"), full_page=True)
    # then recalls it to the dispatch queue
    act(page, "recall", "情况有变，收回重派")
    expect(page.locator("[data-testid=case-state]")).to_have_attribute("data-state", "registered")
    assert not CaseTask.objects.filter(case_id=case.pk, status="open").exists()
    assert list(AuditEvent.objects.filter(object_type="case", object_id=str(case.pk), action="TRANSITION").order_by("id")
                .values_list("changes__action", flat=True)) == ["dispatch", "reassign", "recall"]
def test_open_cases_map_has_a_legend_entry_for_every_circle(page: Page, live_server, world) -> None:
    """Every circle colour drawn on /cases/map/ (on time, and the grey of a case without a running
    clock) matches a dot of the legend, and a case under supervision is drawn larger, as the legend says."""
    from gridgov.accounts.models import User
    from gridgov.cases import services
    from gridgov.cases.models import Case
    from gridgov.geo.models import Division

    grid_user = User.objects.get(username="e2e-grid")
    running, _ = services.case_report(actor=grid_user, category_code="E0102", description="暴露垃圾（计时中）",
                                      lon=PEOPLES_SQUARE[0], lat=PEOPLES_SQUARE[1])
    idle, _ = services.case_report(actor=grid_user, category_code="E0102", description="暴露垃圾（挂账）",
                                   lon=PEOPLES_SQUARE[0], lat=PEOPLES_SQUARE[1] + 0.0002)
    # a suspended case has no running clock: the map draws it grey (state set directly for the test)
    Case.objects.filter(pk=idle.pk).update(state="suspended", stage="", stage_started_at=None, stage_deadline=None,
                                           supervision="yellow")

    log_in(page, live_server.url, "e2e-street")
    page.goto(live_server.url + "/cases/map/")
    expect(page.locator("[data-testid=cases-map]")).to_have_attribute("data-ready", "true")
    legend = page.locator("[data-testid=cases-map-legend] li")
    assert [legend.nth(i).get_attribute("data-key") for i in range(legend.count())] == [
        "green", "yellow", "red", "grey", "supervision", "district", "street"]
    dots = page.evaluate("() => Object.fromEntries([...document.querySelectorAll("
                         "'[data-testid=cases-map-legend] li:has(.dot)')].map(li => [li.dataset.key, "
                         "getComputedStyle(li.querySelector('.dot')).backgroundColor]))")
    circles = page.locator("[data-testid=cases-map] path.leaflet-interactive")
    expect(circles).to_have_count(2)
    strokes = page.evaluate("() => [...document.querySelectorAll('[data-testid=cases-map] path.leaflet-interactive')]"
                            ".map(p => getComputedStyle(p).stroke)")
    assert sorted(strokes) == sorted([dots["green"], dots["grey"]])
    assert dots["grey"] == "rgb(119, 119, 119)" and dots["green"] == "rgb(46, 125, 50)"
    # district and street outlines with their names, for orientation (not clickable)
    expect(page.locator("[data-testid=cases-map]")).to_have_attribute("data-outlines", "true")
    expect(page.locator("[data-testid=cases-map] path.cases-map-district")).to_have_count(1)
    street_name = Division.objects.get(prefix=world["grid"][:9]).name
    expect(page.locator(".cases-map-label-street", has_text=street_name)).to_have_count(1)
    # the supervised (grey) circle is the larger one
    sizes = page.evaluate("() => [...document.querySelectorAll('[data-testid=cases-map] path.leaflet-interactive')]"
                          ".map(p => [getComputedStyle(p).stroke, p.getBBox().width])")
    by_colour = {colour: width for colour, width in sizes}
    assert by_colour[dots["grey"]] > by_colour[dots["green"]]
    assert running.pk != idle.pk
