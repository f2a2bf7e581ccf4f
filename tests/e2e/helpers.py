"""Steps the browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Sign in through the login form (an earlier user's cookies cleared first) and wait until the
    page names the user."""
    page.context.clear_cookies()
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=current-user]")).to_contain_text(username)
