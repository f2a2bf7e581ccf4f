"""Two-factor sign-in and step-up in a real browser: a street-centre user enrols an authenticator
(the QR code and key on the page, a code made by pyotp from the key shown), signs in again with a
code; a demo user signs in with the documented demo secret; revealing an identity number after
the step-up window goes through the confirm page and back.

Screenshots of the enrolment, code and confirm pages at 1440 and 390 px go to test-artifacts/."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import artifact_path
from tests.e2e.helpers import enrol_authenticator, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passw0rd!"


def _shots(new_page, url: str, name: str, cookies) -> None:
    """The page at ``url`` in a fresh browser context with the same session, at 1440 and 390 px."""
    for width in (1440, 390):
        page = new_page(width=width, height=900)
        page.context.add_cookies(cookies)
        page.goto(url)
        page.screenshot(path=str(artifact_path(f"twofactor-{name}-{width}.png")), full_page=True)


def test_enrol_then_sign_in_with_a_code(page: Page, new_page, live_server, make_user) -> None:
    make_user("e2e-street", ("street_centre", "310101002"))
    page.goto(live_server.url + "/accounts/login/?next=/registry/")
    page.fill("input[name=username]", "e2e-street")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    # must enrol first: the page shows the QR code (an image served by the site) and the key
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/enrol/\?next=/registry/$"))
    qr = page.locator("[data-testid=twofactor-qr]")
    expect(qr).to_be_visible()
    page.wait_for_function("() => { const i = document.querySelector('[data-testid=twofactor-qr]');"
                           " return i.complete && i.naturalWidth > 100; }")
    assert page.locator("nav.mainnav a").count() == 0
    _shots(new_page, page.url, "enrol", page.context.cookies())
    # nothing else is open
    page.goto(live_server.url + "/registry/")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/enrol/"))
    # a wrong code is refused with a message
    secret = page.locator("[data-testid=twofactor-secret]").inner_text().replace(" ", "")
    right = pyotp.TOTP(secret).now()
    page.fill("[data-testid=twofactor-code]", f"{(int(right) + 500_000) % 1_000_000:06d}")
    page.click("[data-testid=twofactor-submit]")
    expect(page.locator("[data-testid=twofactor-error]")).to_contain_text("验证码不正确")
    time.sleep(1.1)  # django-otp waits 1 s after a wrong code before it takes another
    secret2, codes = enrol_authenticator(page)
    assert secret2 == secret and len(set(codes)) == 10
    expect(page).to_have_url(re.compile(r"/registry/$"))
    expect(page.locator("nav.mainnav")).to_contain_text("实有人口")
    # sign out, sign in again: the code page
    page.click("[data-testid=logout]")
    page.fill("input[name=username]", "e2e-street")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
    expect(page.locator("[data-testid=twofactor-verify] h1")).to_have_text("身份验证器验证码")
    _shots(new_page, page.url, "verify", page.context.cookies())
    page.fill("[data-testid=twofactor-code]", pyotp.TOTP(secret).at(int(time.time()) + 30))  # now's was used
    page.click("[data-testid=twofactor-submit]")
    expect(page.locator("nav.mainnav")).to_contain_text("实有人口")
    # the account security page
    page.locator("[data-testid=user-menu] summary").click()  # the user menu on the name
    page.click("[data-testid=account-security]")
    expect(page.locator("[data-testid=twofactor-status]")).to_contain_text("剩余恢复码 10 个")
    _shots(new_page, page.url, "manage", page.context.cookies())


def test_demo_user_signs_in_with_the_documented_secret(page: Page, live_server, demo) -> None:
    """The README's demo secret, typed into an authenticator (here pyotp), signs in the demo
    district user."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    documented = re.search(r"demo authenticator secret[^`]*`([A-Z2-7]{16,})`", readme)
    assert documented, "README names the demo authenticator secret"
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "district")
    page.fill("input[name=password]", demo)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
    page.fill("[data-testid=twofactor-code]", pyotp.TOTP(documented.group(1)).now())
    page.click("[data-testid=twofactor-submit]")
    expect(page.locator("nav.mainnav")).to_contain_text("实有人口")


def test_reveal_after_the_window_asks_for_the_password_again(page: Page, new_page, live_server, demo,
                                                             monkeypatch) -> None:
    from gridgov.accounts import stepup
    from gridgov.registry.models import Person

    person = Person.objects.filter(grid_code__startswith="310101", identity_number__isnull=False).first()
    log_in(page, live_server.url, "district", demo)
    later = time.time() + 16 * 60  # the server's step-up clock runs 16 minutes ahead from here on
    monkeypatch.setattr(stepup, "clock", lambda: later)
    detail = f"{live_server.url}/registry/persons/{person.pk}/"
    page.goto(detail)
    page.fill("[data-testid=reveal-reason]", "e2e 核查身份")
    page.locator("[data-testid=reveal-form] button").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm/\?next=/registry/persons/\d+/$"))
    expect(page.locator("[data-testid=stepup-confirm] h1")).to_have_text("确认身份")
    assert person.identity_number not in page.content()
    _shots(new_page, page.url, "confirm", page.context.cookies())
    page.fill("[data-testid=stepup-password]", "not-the-password")
    page.click("[data-testid=stepup-confirm] button[type=submit]")
    expect(page.locator("[data-testid=stepup-error]")).to_be_visible()
    page.fill("[data-testid=stepup-password]", demo)
    page.click("[data-testid=stepup-confirm] button[type=submit]")
    expect(page).to_have_url(detail)
    page.fill("[data-testid=reveal-reason]", "e2e 核查身份")
    page.locator("[data-testid=reveal-form] button").click()
    expect(page.locator("[data-testid=revealed]")).to_have_text(person.identity_number)


def test_export_link_after_the_window_confirms_then_downloads(page: Page, live_server, demo, monkeypatch) -> None:
    from gridgov.accounts import stepup

    log_in(page, live_server.url, "district", demo)
    later = time.time() + 16 * 60
    monkeypatch.setattr(stepup, "clock", lambda: later)
    page.goto(live_server.url + "/registry/")
    page.click("[data-testid=export-link]")
    expect(page).to_have_url(re.compile(r"/accounts/confirm/\?next=/api/v1/registry/persons/export\.xlsx"))
    page.fill("[data-testid=stepup-password]", demo)
    with page.expect_download() as download:
        page.click("[data-testid=stepup-confirm] button[type=submit]")
    assert download.value.suggested_filename.startswith("persons-")
    expect(page.locator("[data-testid=stepup-back]")).to_have_attribute("href", re.compile(r"/registry/$"))
