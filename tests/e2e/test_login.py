"""Login, login failure and language switch, in a real browser against pytest-django's live_server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USERNAME = "e2e-worker"
PASSWORD = "a-Long-passw0rd!"


@pytest.fixture
def worker(transactional_db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username=USERNAME, password=PASSWORD)


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_login_lands_on_home_with_current_user(page: Page, live_server, worker, artifacts_dir: Path) -> None:
    log_in(page, live_server.url, USERNAME, PASSWORD)

    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("[data-testid=current-user]")).to_contain_text(USERNAME)
    page.screenshot(path=str(artifacts_dir / "login-home.png"), full_page=True)


def test_wrong_password_stays_on_login_page_with_error(page: Page, live_server, worker) -> None:
    log_in(page, live_server.url, USERNAME, "not-the-password-1!")

    expect(page).to_have_url(live_server.url + "/accounts/login/")
    expect(page.locator("[data-testid=login-error]")).to_be_visible()
    expect(page.locator("[data-testid=current-user]")).to_have_count(0)


def test_language_switch_to_english(page: Page, live_server, worker) -> None:
    log_in(page, live_server.url, USERNAME, PASSWORD)
    expect(page).to_have_url(live_server.url + "/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-hans")  # browser locale zh-CN -> zh-hans

    switch = page.locator("[data-testid=language-switch]")
    # The test id may sit on the <select> itself or on the <form> around it.
    is_select = switch.evaluate("el => el.tagName === 'SELECT'")
    select = switch if is_select else switch.locator("select")
    form = select.locator("xpath=ancestor::form[1]")
    submit = form.locator("button[type=submit], input[type=submit], button:not([type])")
    # A visible submit button is clicked; otherwise the select is expected to submit on change.
    has_visible_submit = submit.count() > 0 and submit.first.is_visible()

    select.select_option("en")
    if has_visible_submit:
        submit.first.click()

    expect(html).to_have_attribute("lang", "en")
    # The choice sticks: a fresh load of the home page is still in English.
    page.goto(live_server.url + "/")
    expect(html).to_have_attribute("lang", "en")
