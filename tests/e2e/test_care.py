"""A social worker records a contact on a phone-sized screen and sees it on the case file."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USERNAME = "e2e-social"
PASSWORD = "a-Long-passw0rd!"
NOTE = "上门走访: 本人在家, 情绪稳定, 已督促按时报到"


@pytest.fixture
def caseload(transactional_db):
    from gridgov.accounts import services as account_services
    from gridgov.care import services
    from gridgov.core.idnumber import make_identity_number
    from gridgov.registry.identity import blind_index
    from gridgov.registry.models import Person

    account_services.roles_sync()  # the flush between transactional tests removes the seeded roles
    user = account_services.user_create(username=USERNAME, password=PASSWORD, display_name="社工小王")
    account_services.membership_grant(user=user, role_code="social_worker", jurisdiction="310101")
    number = make_identity_number("310101", date(1980, 4, 2), 17)
    person = Person.objects.create(name="矫正对象甲", identity_number=number, id_hmac=blind_index(number),
                                   id_last4=number[-4:], birth_date=date(1980, 4, 2), sex="1",
                                   grid_code="310101002001001")
    today = timezone.localdate()
    enrolment = services.enrolment_create(actor=user, programme="corrections", person_id=person.pk,
                                          start_date=today - timedelta(days=40), level="02",
                                          fields={"rectifying_category": "02"}, today=today)
    return {"enrolment": enrolment, "number": number}


def test_social_worker_records_a_contact_from_the_mobile_page(page: Page, live_server, caseload,
                                                              artifacts_dir: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    helpers.log_in(page, live_server.url, USERNAME, PASSWORD)  # a social worker enrols an authenticator first

    page.goto(live_server.url + "/care/?programme=corrections")
    table = page.locator("[data-testid=caseload]")
    expect(table).to_contain_text("矫正对象甲")
    expect(table).not_to_contain_text(caseload["number"])  # masked
    table.get_by_role("link", name="矫正对象甲").click()
    expect(page.locator("[data-testid=case-title]")).to_contain_text("矫正对象甲")

    page.locator("[data-testid=record-contact]").click()
    form = page.locator("[data-testid=contact-form]")
    expect(form).to_be_visible()
    page.select_option("[data-testid=kind]", "visit")
    page.fill("[data-testid=notes]", NOTE)
    page.screenshot(path=str(artifacts_dir / "care-contact-mobile.png"), full_page=True)
    page.locator("[data-testid=save-contact]").click()

    expect(page.locator("[data-testid=case-title]")).to_contain_text("矫正对象甲")
    expect(page.locator("[data-testid=timeline]")).to_contain_text(NOTE)
    page.screenshot(path=str(artifacts_dir / "care-case-file.png"), full_page=True)

    from gridgov.care.models import Contact

    contact = Contact.objects.get(enrolment=caseload["enrolment"], notes=NOTE)
    assert contact.status == "completed" and contact.kind == "visit"


SENDER, RECEIVER = "e2e-sender", "e2e-receiver"
AWAY_GRID = "310104003002001"


@pytest.fixture
def two_districts(transactional_db):
    """A social worker in 黄浦 (310101) with one corrections case, and one in 徐汇 (310104)."""
    from gridgov.accounts import services as account_services
    from gridgov.care import services
    from gridgov.core.idnumber import make_identity_number
    from gridgov.registry.identity import blind_index
    from gridgov.registry.models import Person

    account_services.roles_sync()
    sender = account_services.user_create(username=SENDER, password=PASSWORD, display_name="黄浦社工")
    account_services.membership_grant(user=sender, role_code="social_worker", jurisdiction="310101")
    receiver = account_services.user_create(username=RECEIVER, password=PASSWORD, display_name="徐汇社工")
    account_services.membership_grant(user=receiver, role_code="social_worker", jurisdiction="310104")
    number = make_identity_number("310101", date(1979, 8, 9), 23)
    person = Person.objects.create(name="迁居对象乙", identity_number=number, id_hmac=blind_index(number),
                                   id_last4=number[-4:], birth_date=date(1979, 8, 9), sex="1",
                                   grid_code="310101002001001")
    today = timezone.localdate()
    enrolment = services.enrolment_create(actor=sender, programme="corrections", person_id=person.pk,
                                          start_date=today - timedelta(days=40), level="02",
                                          fields={"rectifying_category": "03"}, today=today)
    return {"enrolment": enrolment}


def _login(page: Page, url: str, username: str) -> None:
    helpers.log_in(page, url, username, PASSWORD)


def test_a_transfer_is_offered_and_accepted_by_the_receiving_worker(browser, live_server, two_districts) -> None:
    from gridgov.care.models import Enrolment, Transfer

    e = two_districts["enrolment"]
    sender = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = sender.new_page()
    _login(page, live_server.url, SENDER)
    page.goto(f"{live_server.url}/care/corrections/{e.pk}/")
    page.locator("details.transfer-form summary").click()
    page.fill("input[name=to_grid_code]", AWAY_GRID)
    page.fill("input[name=reason]", "本人报告已迁居徐汇区")
    page.get_by_role("button", name="移交").click()
    expect(page.locator("[data-testid=transfer-banner]")).to_contain_text("待接收")
    page.goto(live_server.url + "/care/?programme=corrections")
    expect(page.locator("[data-testid=transfers]")).to_contain_text("迁居对象乙")
    expect(page.locator("[data-testid=transfers]")).to_contain_text("移出")
    t = Transfer.objects.get(enrolment=e)

    receiver = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    other = receiver.new_page()
    _login(other, live_server.url, RECEIVER)
    other.goto(live_server.url + "/care/?programme=corrections")
    row = other.locator(f"[data-testid=transfer-{t.pk}]")
    expect(row).to_contain_text("待接收")
    expect(row).to_contain_text("移入")
    other.locator(f"[data-testid=accept-{t.pk}]").click()
    expect(other.locator("[data-testid=case-title]")).to_contain_text("迁居对象乙")
    expect(other.locator("[data-testid=record-contact]")).to_be_visible()  # now theirs to work
    other.goto(live_server.url + "/care/?programme=corrections")
    expect(other.locator("[data-testid=caseload]")).to_contain_text("迁居对象乙")

    # the sending worker's access ended with the acceptance
    page.goto(live_server.url + "/care/?programme=corrections")
    expect(page.locator("[data-testid=caseload]")).not_to_contain_text("迁居对象乙")
    response = page.goto(f"{live_server.url}/care/corrections/{e.pk}/")
    assert response is not None and response.status == 404
    e = Enrolment.objects.get(pk=e.pk)
    assert e.grid_code == AWAY_GRID and e.worker.username == RECEIVER
    sender.close()
    receiver.close()
