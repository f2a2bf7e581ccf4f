"""Passwords and sessions in a real browser: a user changes the password from the user menu; an
administrator resets a user's password and the user must change it at the next sign-in; a user
signs out the other sessions. With GRIDGOV_SHOTS_DIR set, the pages are also photographed there
at 1440 and 390 px wide (for a person to look at; nothing is asserted on the pictures)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passw0rd!"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(transactional_db, make_user):
    from gridgov.accounts.models import User

    worker = make_user("e2e-worker", ("grid_worker", "310101001001"))
    User.objects.filter(pk=worker.pk).update(display_name="演示网格员李娜")
    admin = make_user("e2e-admin", ("city_admin", "31"))
    User.objects.filter(pk=admin.pk).update(display_name="演示市级管理员")
    return worker, admin


def shot(page: Page, name: str) -> None:
    """Photograph the page at 1440 and 390 px into GRIDGOV_SHOTS_DIR (when set)."""
    folder = os.environ.get("GRIDGOV_SHOTS_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1440, "height": 900}
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(size)


def open_user_menu_item(page: Page, testid: str) -> None:
    page.locator("[data-testid=user-menu] summary").click()
    page.locator(f"[data-testid={testid}]").click()


def test_password_change_from_the_user_menu(page: Page, live_server, people) -> None:
    base = live_server.url
    log_in(page, base, "e2e-worker", PASSWORD)
    open_user_menu_item(page, "menu-password")
    expect(page).to_have_url(base + "/accounts/password/")
    expect(page.locator("h1")).to_have_text("修改密码")
    expect(page.locator("[data-testid=password-policy]")).to_contain_text("至少 12 个字符")

    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", "short-1A")
    page.fill("#id_new_password2", "short-1A")
    page.click("[data-testid=password-submit]")
    expect(page.locator("[data-testid=error-new_password1]")).to_have_text("密码长度太短。密码必须包含至少 12 个字符。")
    shot(page, "password-change-error")

    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", "Harbour-Lights-77")
    page.fill("#id_new_password2", "Harbour-Lights-77")
    page.click("[data-testid=password-submit]")
    expect(page.locator("[data-testid=password-changed] h1")).to_have_text("密码已修改")
    shot(page, "password-changed")
    page.click("[data-testid=password-continue]")
    expect(page).to_have_url(base + "/")

    page.click("[data-testid=logout]")
    page.fill("input[name=username]", "e2e-worker")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=login-error]")).to_be_visible()  # the old password is gone
    log_in(page, base, "e2e-worker", "Harbour-Lights-77")


def test_admin_reset_then_forced_change_at_next_sign_in(new_page, live_server, people) -> None:
    base = live_server.url
    admin = new_page()
    log_in(admin, base, "e2e-admin", PASSWORD)
    admin.locator(".mainnav a", has_text="用户管理").click()
    expect(admin.locator("[data-testid=users] h1")).to_have_text("用户管理")
    admin.fill("[data-testid=users-q]", "worker")
    admin.locator("[data-testid=users] button[type=submit]").click()
    expect(admin.locator("[data-testid=user-row]")).to_have_count(1)
    shot(admin, "users")
    admin.click("[data-testid=user-link]")
    expect(admin.locator("[data-testid=user-detail] h1")).to_contain_text("演示网格员李娜")
    shot(admin, "user-detail")
    admin.click("[data-testid=user-password-reset]")
    temporary = admin.locator("[data-testid=temporary-password]").inner_text().strip()
    assert len(temporary) == 16
    shot(admin, "password-reset-done")
    admin.click("[data-testid=back-to-user]")
    expect(admin.locator("[data-testid=user-state]")).to_have_text("须修改密码")

    user = new_page()
    user.goto(base + "/accounts/login/")
    user.fill("input[name=username]", "e2e-worker")
    user.fill("input[name=password]", temporary)
    user.click("button[type=submit]")
    expect(user.locator("[data-testid=password-forced]")).to_be_visible()
    expect(user).to_have_url(base + "/accounts/password/?next=%2F")
    shot(user, "password-change-forced")
    user.goto(base + "/registry/persons/")  # nothing else opens
    expect(user.locator("[data-testid=password-forced]")).to_be_visible()

    user.fill("#id_old_password", temporary)
    user.fill("#id_new_password1", "Morning-Tide-2026")
    user.fill("#id_new_password2", "Morning-Tide-2026")
    user.click("[data-testid=password-submit]")
    expect(user.locator("[data-testid=password-changed]")).to_be_visible()
    user.click("[data-testid=password-continue]")
    expect(user.locator("[data-testid=password-forced]")).to_have_count(0)
    expect(user.locator("[data-testid=current-user]")).to_contain_text("e2e-worker")
    user.goto(base + "/registry/persons/")
    expect(user).to_have_url(base + "/registry/persons/")


def test_sign_out_all_other_sessions(new_page, live_server, people) -> None:
    base = live_server.url
    desk = new_page()
    phone = new_page(width=390, height=800)
    log_in(desk, base, "e2e-worker", PASSWORD)
    log_in(phone, base, "e2e-worker", PASSWORD)
    open_user_menu_item(phone, "menu-sessions")
    expect(phone.locator("[data-testid=session-row]")).to_have_count(2)
    expect(phone.locator("[data-testid=session-current]")).to_have_count(1)
    shot(phone, "sessions")
    phone.click("[data-testid=sessions-end-others]")
    expect(phone.locator("[data-testid=account-message]")).to_have_text("已退出其他 1 个会话。")
    expect(phone.locator("[data-testid=session-row]")).to_have_count(1)
    desk.reload()
    expect(desk).to_have_url(base + "/accounts/login/?next=/")


def test_account_pages_fit_a_phone(new_page, live_server, people) -> None:
    worker, _ = people
    base = live_server.url
    phone = new_page(width=390, height=844)
    log_in(phone, base, "e2e-admin", PASSWORD)
    for url in ("/accounts/password/", "/accounts/sessions/", "/accounts/users/", f"/accounts/users/{worker.pk}/"):
        phone.goto(base + url)
        phone.locator("[data-testid=user-menu] summary").click()  # the open menu too
        expect(phone.locator("[data-testid=menu-sessions]")).to_be_visible()
        width = phone.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert width <= 390, (url, width)
        if url == "/accounts/sessions/":
            shot(phone, "user-menu-open")
