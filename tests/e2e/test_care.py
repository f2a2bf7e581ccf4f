"""A social worker records a contact on a phone-sized screen and sees it on the case file."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

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
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=current-user]")).to_contain_text(USERNAME)

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
