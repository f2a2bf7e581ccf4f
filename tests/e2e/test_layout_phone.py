"""Layout on a 390 px phone and at 1440 px: the register's lists and detail pages never scroll the page
sideways (cards or a table scrolling inside its card), and on the dispatch form each assisting
department's checkbox sits beside its name."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PEOPLES_SQUARE = (121.4737, 31.2304)


def page_width(page: Page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


@pytest.mark.parametrize("width", [390, 1440])
def test_register_pages_fit_the_screen(page: Page, live_server, demo, width) -> None:
    from gridgov.registry.models import House, Organisation, Person

    page.set_viewport_size({"width": width, "height": 844})
    log_in(page, live_server.url, "community", demo)
    person = Person.objects.filter(grid_code__startswith="310101", house__isnull=False).first()
    org = Organisation.objects.filter(grid_code__startswith="310101").first()
    house = House.objects.filter(grid_code__startswith="310101", residences__isnull=False).first()
    pages = ["/registry/", "/registry/organisations/", f"/registry/persons/{person.pk}/",
             f"/registry/houses/{house.pk}/", "/registry/import/"]
    if org is not None:
        pages.append(f"/registry/organisations/{org.pk}/")
    for url in pages:
        page.goto(live_server.url + url)
        assert page_width(page) <= width, (url, page_width(page))
    page.goto(live_server.url + "/registry/")
    first = page.locator("[data-testid=person-results] tbody tr").first
    expect(first).to_be_visible()
    if width == 390:  # a card: the name on its own line, above the other facts
        name = first.locator("td").first.bounding_box()
        rest = first.locator("td").nth(1).bounding_box()
        assert name and rest and rest["y"] >= name["y"] + name["height"] - 1


@pytest.mark.parametrize("width", [390, 1440])
def test_assisting_department_checkboxes_sit_beside_their_names(page: Page, live_server, demo, width) -> None:
    from gridgov.accounts.models import User
    from gridgov.cases import services

    services.taxonomy_sync()
    for i, (code, name) in enumerate([("310101-gs", "黄浦区绿化市容局"), ("310101-hd", "黄浦区房管局"),
                                      ("310101-mk", "黄浦区市场监管局")]):
        services.department_create(code=code, name=name, kind=["greening_sanitation", "housing", "market"][i],
                                   jurisdiction="310101")
    grid = User.objects.get(username="grid")
    street = User.objects.get(username="street")
    case, _ = services.case_report(actor=grid, category_code="E0102", description="人民广场东侧暴露垃圾",
                                   lon=PEOPLES_SQUARE[0], lat=PEOPLES_SQUARE[1])
    services.case_transition(actor=street, case_id=case.pk, action="accept")
    services.case_transition(actor=street, case_id=case.pk, action="register")

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, "street", demo)
    page.goto(live_server.url + f"/cases/{case.pk}/")
    if not page.locator("[data-testid=form-dispatch]").is_visible():
        page.click("[data-testid=action-dispatch-open]")
    labels = page.locator("[data-testid=form-dispatch] label.check")
    expect(labels.first).to_be_visible()
    assert labels.count() >= 3
    for i in range(labels.count()):
        label = labels.nth(i).bounding_box()
        box = labels.nth(i).locator("input[type=checkbox]").bounding_box()
        assert label and box
        assert box["width"] < 30, box  # not stretched across the form
        assert label["height"] < 40, label  # box and name on one line
        assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 6
    assert page_width(page) <= width
