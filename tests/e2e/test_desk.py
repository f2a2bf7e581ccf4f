"""The one-stop desk in the browser: a desk officer receives a resident's problem (routed to an event)
and a residence-permit renewal, and tracks both to closure with the visitor's satisfaction."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USERNAME = "e2e-desk"
PASSWORD = "a-Long-passw0rd!"
GRID = "310101002001001"


@pytest.fixture
def desk(transactional_db):
    from gridgov.accounts import services as account_services
    from gridgov.cases.services import taxonomy_sync
    from gridgov.core.idnumber import make_identity_number
    from gridgov.geo.models import Division, Grid
    from gridgov.registry.identity import blind_index
    from gridgov.registry.models import Person, ResidencePermit

    account_services.roles_sync()
    taxonomy_sync()
    parent = None
    for code, level, name in [("310000000000", 2, "上海市"), ("310101000000", 6, "黄浦区"),
                              ("310101002000", 9, "南京东路街道"), ("310101002001", 12, "人民广场社区")]:
        parent = Division.objects.create(code=code, prefix=code[:level], name=name, level=level, parent=parent)
    Grid.objects.create(code=GRID, name="人民广场第一网格", community=parent)
    user = account_services.user_create(username=USERNAME, password=PASSWORD, display_name="窗口小李")
    account_services.membership_grant(user=user, role_code="desk_officer", jurisdiction="310101002")
    people = {}
    for i, (name, pop) in enumerate([("居民甲", "01"), ("来沪乙", "02")], start=1):
        number = make_identity_number("340102", date(1990, 1, i), i)
        people[name] = Person.objects.create(name=name, identity_number=number, id_hmac=blind_index(number),
                                             id_last4=number[-4:], birth_date=date(1990, 1, i), sex="1",
                                             grid_code=GRID, phone="13812345678", population_type=pop)
    today = timezone.localdate()
    old = ResidencePermit.objects.create(person=people["来沪乙"], grid_code=GRID, number="SHJZ-OLD-1",
                                         issue_date=today - timedelta(days=345), expiry_date=today + timedelta(days=20),
                                         condition="employment")
    return {"people": people, "old": old, "today": today}


def _receive(page: Page, base: str, name: str, kind: str, text: str) -> str:
    page.goto(base + "/desk/")
    page.fill("[data-testid=desk-search]", name)
    page.keyboard.press("Enter")
    page.locator("[data-testid=search-results] a").first.click()
    expect(page.locator("[data-testid=chosen]")).to_contain_text(name)
    page.select_option("[data-testid=desk-kind]", kind)
    page.fill("[data-testid=desk-text]", text)
    return page.url


def test_desk_request_routed_to_a_case_and_a_renewal_tracked_to_closure(page: Page, live_server, desk) -> None:
    from gridgov.cases.models import Case
    from gridgov.desk.models import DeskRequest
    from gridgov.registry.models import ResidencePermit

    base = live_server.url
    helpers.log_in(page, base, USERNAME, PASSWORD)

    # 1. a problem -> an event, with a receipt number and a promised date
    _receive(page, base, "居民甲", "problem", "楼道堆物堵塞消防通道")
    expect(page.locator("[data-testid=desk-category]")).to_be_visible()
    expect(page.locator("[data-testid=doc-identity]")).to_be_hidden()  # only the chosen kind's fields
    page.click("[data-testid=desk-receive]")
    expect(page.locator("[data-testid=message]")).to_contain_text("回执号")
    problem = DeskRequest.objects.get(kind="problem")
    expect(page.locator("[data-testid=receipt]")).to_have_text(problem.receipt)
    expect(page.locator("[data-testid=not-done]")).to_be_visible()
    expect(page.locator("[data-testid=timeline]")).to_contain_text("事件")
    # the events module closes the event by its own workflow (tested there); the desk follows it
    Case.objects.filter(pk=problem.case_id).update(state="closed")
    page.reload()
    page.select_option("[data-testid=satisfaction-choice]", "satisfied")
    page.click("[data-testid=close]")
    expect(page.locator("[data-testid=status]")).to_have_text("已办结")
    expect(page.locator("[data-testid=satisfaction]")).to_have_text("满意")

    # 2. a residence-permit renewal -> an application, reviewed and issued, then closed
    _receive(page, base, "来沪乙", "permit_renewal", "居住证下月到期，办理续签")
    for doc in ("identity", "photo", "residence_proof", "condition_proof"):
        page.check(f"[data-testid=doc-{doc}]")
    page.click("[data-testid=desk-receive]")
    renewal = DeskRequest.objects.get(kind="permit_renewal")
    expect(page.locator("[data-testid=receipt]")).to_have_text(renewal.receipt)
    page.goto(base + "/desk/permits/")
    page.click(f"[data-testid=approve-{renewal.permit_application_id}]")
    expect(page.locator("[data-testid=message]")).to_contain_text("居住证已签发")
    page.goto(base + f"/desk/requests/{renewal.pk}/")
    expect(page.locator("[data-testid=target]")).to_have_text("已发证")
    page.select_option("[data-testid=satisfaction-choice]", "basic")
    page.click("[data-testid=close]")
    expect(page.locator("[data-testid=status]")).to_have_text("已办结")

    new = ResidencePermit.objects.exclude(pk=desk["old"].pk).get(person=desk["people"]["来沪乙"])
    assert new.expiry_date == desk["old"].expiry_date.replace(year=desk["old"].expiry_date.year + 1)
    page.goto(base + f"/registry/persons/{desk['people']['来沪乙'].pk}/")
    expect(page.locator("[data-testid=permit-status]").first).to_contain_text("有效")
