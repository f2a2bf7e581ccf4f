"""The report form's map picker in a real browser (issue 13): a click drops the pin and names the grid,
the pin can be dragged into another grid, the category is found with the filter box, and the case is
stored in the grid of the pin (checked in the database); on a 1440 px desktop (hotline intake desk) and
a 390 px phone (the grid worker's page). "使用我的位置": a refusal shows the Chinese error, a granted
position places the pin. Tiny synthetic demo city (黄浦区)."""

from __future__ import annotations

import re

import pytest
import shapely
from playwright.sync_api import Page, expect

from tests.e2e import helpers
from tests.e2e.conftest import doc_shot
from tests.e2e.test_cases import PASSWORD, PEOPLES_SQUARE, world  # noqa: F401  (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base_url: str, username: str) -> None:
    helpers.log_in(page, base_url, username, PASSWORD)


def map_ready(page: Page) -> None:
    expect(page.locator("[data-testid=report-map]")).to_have_attribute("data-ready", "true")


def point_on_map(page: Page, lon: float, lat: float) -> tuple[float, float]:
    """Page coordinates (x, y) of (lon, lat) on the report map, which must show it."""
    box = page.locator("[data-testid=report-map]").bounding_box()
    assert box is not None
    pt = page.evaluate("([lat, lon]) => { const p = window.gridgovReportMap.latLngToContainerPoint([lat, lon]);"
                       " return [p.x, p.y]; }", [lat, lon])
    assert 0 < pt[0] < box["width"] and 0 < pt[1] < box["height"], (pt, box)
    return box["x"] + pt[0], box["y"] + pt[1]


def inner_point(code: str) -> tuple[float, float]:
    """A point well inside grid ``code`` (from its stored outline, not from the page)."""
    from gridgov.geo.models import Grid
    from gridgov.geo.selectors import boundary_wkb

    geom = shapely.from_wkb(boundary_wkb(Grid.objects.get(code=code).boundary))
    p = geom.buffer(-0.0004).representative_point() if not geom.buffer(-0.0004).is_empty else geom.representative_point()
    return p.x, p.y


def grid_name(code: str) -> str:
    from gridgov.geo.models import Grid

    return Grid.objects.get(code=code).name


def choose_category(page: Page, query: str, code: str) -> None:
    page.fill("[data-testid=category-filter]", query)
    expect(page.locator("[data-testid=category-count]")).to_have_text("匹配 1 个类别")
    expect(page.locator("[data-testid=f-category]")).to_have_value(code)


def test_place_a_report_with_the_map_picker_on_the_desktop(new_page, live_server, world) -> None:  # noqa: F811
    from gridgov.cases.models import Case
    from gridgov.geo.models import Grid

    page = new_page(width=1440)
    base = live_server.url
    log_in(page, base, "e2e-street")
    page.goto(base + "/cases/new/")
    map_ready(page)
    # the steps come in FixMyStreet's order: the place, then the category, then the details
    legends = page.locator("[data-testid=report-form] fieldset > legend").all_inner_texts()
    assert [re.sub(r"^\d", "", s).strip()[:3] for s in legends] == ["在哪里", "是什么", "详细情"]

    page.evaluate("([lat, lon]) => window.gridgovReportMap.setView([lat, lon], 15, {animate: false})",
                  [PEOPLES_SQUARE[1], PEOPLES_SQUARE[0]])
    page.mouse.click(*point_on_map(page, *PEOPLES_SQUARE))
    expect(page.locator("[data-testid=report-grid-code]")).to_have_text(world["grid"])
    expect(page.locator("[data-testid=report-grid-name]")).to_have_text(grid_name(world["grid"]))
    assert abs(float(page.input_value("[data-testid=f-lon]")) - PEOPLES_SQUARE[0]) < 3e-4
    assert abs(float(page.input_value("[data-testid=f-lat]")) - PEOPLES_SQUARE[1]) < 3e-4

    # drag the pin into a neighbouring grid of the same street: the grid and the coordinates follow
    other = (Grid.objects.filter(code__startswith=world["grid"][:9]).exclude(code=world["grid"])
             .order_by("code").first().code)
    target = inner_point(other)
    page.evaluate("([a, b]) => window.gridgovReportMap.fitBounds([a, b], {padding: [60, 60], animate: false})",
                  [[target[1], target[0]], [PEOPLES_SQUARE[1], PEOPLES_SQUARE[0]]])
    pin = page.locator("#report-map .leaflet-marker-icon")
    expect(pin).to_have_count(1)
    pin_box = pin.bounding_box()
    assert pin_box is not None
    start = (pin_box["x"] + pin_box["width"] / 2, pin_box["y"] + pin_box["height"] - 2)  # the tip
    end = point_on_map(page, *target)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=5)
    page.mouse.move(end[0], end[1] - 2, steps=5)  # grabbed 2 px above the tip
    page.mouse.up()
    expect(page.locator("[data-testid=report-grid-code]")).to_have_text(other)
    expect(page.locator("[data-testid=report-grid-name]")).to_have_text(grid_name(other))
    lon, lat = float(page.input_value("[data-testid=f-lon]")), float(page.input_value("[data-testid=f-lat]"))
    assert abs(lon - target[0]) < 3e-4 and abs(lat - target[1]) < 3e-4

    choose_category(page, "暴露垃圾", "E0102")
    page.fill("[data-testid=f-description]", "人民广场附近暴露垃圾（桌面端地图选点）")
    page.fill("#f-phone", "021-12345")
    doc_shot(page, "report-form", full_page=True)
    page.click("[data-testid=report-submit]")
    expect(page.locator("[data-testid=messages] .msg-success")).to_be_visible()
    case = Case.objects.get()
    assert case.grid_code == other and case.category.code == "E0102" and case.channel == "hotline"
    assert abs(case.lon - lon) < 1e-6 and abs(case.lat - lat) < 1e-6


def test_place_a_report_with_the_map_picker_on_a_phone(new_page, live_server, world) -> None:  # noqa: F811
    from gridgov.cases.models import Case

    page = new_page(width=390, height=844, is_mobile=True, has_touch=True)
    base = live_server.url
    log_in(page, base, "e2e-grid")
    page.goto(base + "/cases/mobile/")
    map_ready(page)
    # the grid worker's own grid is highlighted when the map opens, and the view fits it
    expect(page.locator("#report-map path.report-my-area")).to_have_count(1)
    inside = page.evaluate("([lat, lon]) => window.gridgovReportMap.getBounds().contains([lat, lon])",
                           [PEOPLES_SQUARE[1], PEOPLES_SQUARE[0]])
    assert inside is True

    x, y = point_on_map(page, *PEOPLES_SQUARE)
    box = page.locator("[data-testid=report-map]").bounding_box()
    page.locator("[data-testid=report-map]").tap(position={"x": x - box["x"], "y": y - box["y"]})
    expect(page.locator("[data-testid=report-grid-code]")).to_have_text(world["grid"])
    expect(page.locator("[data-testid=report-grid-name]")).to_have_text(grid_name(world["grid"]))

    choose_category(page, "暴露垃圾", "E0102")
    page.fill("[data-testid=f-description]", "人民广场东侧暴露垃圾（手机端地图选点）")
    page.click("[data-testid=report-submit]")
    expect(page.locator("[data-testid=messages] .msg-success")).to_be_visible()
    case = Case.objects.get()
    assert case.grid_code == world["grid"] and case.category.code == "E0102" and case.channel == "grid"
    assert abs(case.lon - PEOPLES_SQUARE[0]) < 3e-4 and abs(case.lat - PEOPLES_SQUARE[1]) < 3e-4


def test_typed_coordinates_move_the_pin(new_page, live_server, world) -> None:  # noqa: F811
    page = new_page(width=1440)
    log_in(page, live_server.url, "e2e-grid")
    page.goto(live_server.url + "/cases/mobile/")
    map_ready(page)
    expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(0)
    page.fill("[data-testid=f-lon]", f"{PEOPLES_SQUARE[0]:.6f}")
    page.fill("[data-testid=f-lat]", f"{PEOPLES_SQUARE[1]:.6f}")
    page.locator("[data-testid=f-lat]").dispatch_event("change")
    expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
    expect(page.locator("[data-testid=report-grid-code]")).to_have_text(world["grid"])
    at = page.evaluate("() => { const m = window.gridgovReportMap; let p = null;"
                       " m.eachLayer(l => { if (l.getLatLng && l.dragging) p = l.getLatLng(); }); return [p.lng, p.lat]; }")
    assert at == pytest.approx([PEOPLES_SQUARE[0], PEOPLES_SQUARE[1]], abs=1e-6)
    page.fill("[data-testid=f-lon]", "东经121")
    page.locator("[data-testid=f-lon]").dispatch_event("change")
    expect(page.locator("[data-testid=locate-error]")).to_have_text("经纬度必须是数字。")


def test_use_my_location_refused_shows_the_error(new_page, live_server, world) -> None:  # noqa: F811
    page = new_page(width=390, height=844)  # no geolocation permission granted: the browser refuses
    log_in(page, live_server.url, "e2e-grid")
    page.goto(live_server.url + "/cases/mobile/")
    map_ready(page)
    error = page.locator("[data-testid=locate-error]")
    expect(error).to_be_hidden()
    page.click("[data-testid=use-my-location]")
    expect(error).to_be_visible()
    expect(error).to_have_text("无法获取您的位置：浏览器拒绝了定位权限。请在地图上点选位置，或输入经纬度。")
    assert page.input_value("[data-testid=f-lon]") == "" and page.input_value("[data-testid=f-lat]") == ""


def test_use_my_location_granted_places_the_pin(new_page, live_server, world) -> None:  # noqa: F811
    page = new_page(width=390, height=844, permissions=["geolocation"],
                    geolocation={"longitude": PEOPLES_SQUARE[0], "latitude": PEOPLES_SQUARE[1]})
    log_in(page, live_server.url, "e2e-grid")
    page.goto(live_server.url + "/cases/mobile/")
    map_ready(page)
    page.click("[data-testid=use-my-location]")
    expect(page.locator("[data-testid=report-grid-code]")).to_have_text(world["grid"])
    expect(page.locator("[data-testid=locate-error]")).to_be_hidden()
    assert float(page.input_value("[data-testid=f-lon]")) == pytest.approx(PEOPLES_SQUARE[0], abs=1e-6)
    assert float(page.input_value("[data-testid=f-lat]")) == pytest.approx(PEOPLES_SQUARE[1], abs=1e-6)
