"""Steps the browser tests share."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Page, expect


def totp_code_for(username: str) -> str:
    """A code the server will accept now for ``username``'s authenticator, made by pyotp from the
    secret stored for it (the demo users': the documented demo secret). A code is accepted once
    only, so when this user already signed in during the current time step the next step's code
    is used (one step of drift is allowed), waiting for the clock when even that one is spent."""
    import base64

    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).order_by("-id").first()
    assert device is not None, f"{username} has no authenticator"
    totp = pyotp.TOTP(base64.b32encode(device.bin_key).decode(), interval=device.step)
    while True:
        now_step = int(time.time()) // device.step + device.drift  # the server's window: now_step ± tolerance
        step = max(now_step, device.last_t + 1)
        if step <= now_step + device.tolerance:
            return totp.at(step * device.step)
        time.sleep(1.0)


def enrol_authenticator(page: Page) -> tuple[str, list[str]]:
    """On the enrolment page: add the shown key to a (simulated) authenticator, confirm with its
    code, read the recovery codes and continue. Returns (secret, recovery codes)."""
    secret = page.locator("[data-testid=twofactor-secret]").inner_text().replace(" ", "")
    page.fill("[data-testid=twofactor-code]", pyotp.TOTP(secret).now())
    page.click("[data-testid=twofactor-submit]")
    expect(page.locator("[data-testid=recovery-codes] li")).to_have_count(10)
    codes = [c.replace("-", "") for c in page.locator("[data-testid=recovery-codes] li").all_inner_texts()]
    page.click("[data-testid=twofactor-continue]")
    return secret, codes


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Sign in through the login form (an earlier user's cookies cleared first), with the second
    factor when the user has one (a code from pyotp) or must enrol (the enrolment page), and wait
    until the page names the user with the navigation open."""
    page.context.clear_cookies()
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=current-user]")).to_contain_text(username)
    if "/accounts/two-factor/verify/" in page.url:
        page.fill("[data-testid=twofactor-code]", totp_code_for(username))
        page.click("[data-testid=twofactor-submit]")
    elif "/accounts/two-factor/enrol/" in page.url:
        enrol_authenticator(page)
    expect(page).not_to_have_url(re.compile(r"/accounts/(two-factor/(verify|enrol)|login)/"))
    expect(page.locator("[data-testid=current-user]")).to_contain_text(username)


PEOPLES_SQUARE = (121.4737, 31.2304)


def tiny_city_with_street(make_user) -> str:
    """The tiny demo city, the event taxonomy, and two users at People's Square: ``e2e-grid`` (grid
    worker of its grid, searching its street) and ``e2e-street`` (the street's centre). Returns the
    grid code."""
    from gridgov.cases import services
    from gridgov.demo import geo as geo_demo
    from gridgov.geo.selectors import locate_codes

    geo_demo.load_demo_city(scale="tiny", seed=1)
    services.taxonomy_sync()
    grid = locate_codes([PEOPLES_SQUARE[0]], [PEOPLES_SQUARE[1]])[0]
    make_user("e2e-grid", ("grid_worker", grid), ("grid_worker", grid[:9], "search"))
    make_user("e2e-street", ("street_centre", grid[:9]))
    return grid
