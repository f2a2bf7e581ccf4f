"""The password policy (12 characters, common, like the user's names, only digits, history of 5),
the user's own change, an administrator's reset and the forced change at the next sign-in."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import django.contrib.auth
import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client

from gridgov.accounts import passwords
from gridgov.accounts.models import PasswordHistory, User
from gridgov.core.errors import FieldError, Forbidden, NotFound
from gridgov.core.models import AuditEvent

PASSWORD = "a-Long-passw0rd!"  # tests/conftest.py make_user's default
CHANGE = "/accounts/password/"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # the history check hashes each stored password: MD5 keeps the tests quick (the rules are the same)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _messages(password: str, user) -> list[str]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _codes(password: str, user) -> set[str]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return {e.code for e in exc.error_list}
    return set()


# --- the policy ---------------------------------------------------------------------------------

def test_eleven_characters_are_refused_twelve_accepted_in_chinese(db):
    user = User(username="wangfang", display_name="王芳")
    assert _codes("Kq7#mZ2!vR9", user) == {"password_too_short"}  # 11
    assert _messages("Kq7#mZ2!vR9", user) == ["密码长度太短。密码必须包含至少 12 个字符。"]
    assert _codes("Kq7#mZ2!vR9x", user) == set()  # 12


def test_common_passwords_are_refused(db):
    # the oracle: Django's own list of common passwords (the file the validator reads)
    listed = gzip.open(Path(django.contrib.auth.__file__).parent / "common-passwords.txt.gz", "rt").read().split()
    for word in ("password1234", "qwertyuiop123"):
        assert word in listed
        assert _codes(word, User(username="zhaolei")) == {"password_too_common"}
    assert _messages("password1234", User(username="zhaolei")) == ["这个密码太常见了。"]


def test_passwords_like_the_user_name_or_display_name_are_refused(db):
    user = User(username="zhangwei2024", display_name="Li Xiaoming")
    assert _codes("zhangwei2024!", user) == {"password_too_similar"}
    assert _codes("xiaoming-0815", user) == {"password_too_similar"}
    assert _codes("Kq7#mZ2!vR9x", user) == set()
    assert _messages("zhangwei2024!", user)[0].startswith("密码跟")


def test_only_digits_are_refused(db):
    assert _codes("3141592653589793", User(username="chenjing")) == {"password_entirely_numeric"}
    assert _messages("3141592653589793", User(username="chenjing")) == ["密码只包含数字。"]


def test_the_last_five_passwords_are_refused_the_sixth_back_is_accepted(make_user):
    user = make_user("liuyang", ("grid_worker", "310101001001"), password="first-Passw0rd-A")
    sequence = ["first-Passw0rd-A", "second-Passw0rd-B", "third-Passw0rd-C", "fourth-Passw0rd-D",
                "fifth-Passw0rd-E", "sixth-Passw0rd-F"]
    for old, new in zip(sequence, sequence[1:], strict=False):
        passwords.password_change(user=user, old_password=old, new_password=new)
    user.refresh_from_db()
    assert user.check_password("sixth-Passw0rd-F")
    assert PasswordHistory.objects.filter(user=user).count() == 5  # only what the rule needs is kept
    for recent in sequence[1:]:  # the current one and the four before it
        assert _codes(recent, user) == {"password_reused"}
    assert _messages("third-Passw0rd-C", user) == ["这个密码最近用过：请选择一个不在您最近 5 个密码之中的密码。"]
    assert _codes("first-Passw0rd-A", user) == set()  # six back: allowed again
    with pytest.raises(FieldError) as exc:
        passwords.password_change(user=user, old_password="sixth-Passw0rd-F", new_password="second-Passw0rd-B")
    assert exc.value.details[0].field == "new_password1"
    passwords.password_change(user=user, old_password="sixth-Passw0rd-F", new_password="first-Passw0rd-A")


def test_history_counts_a_password_set_before_the_history_existed(make_user):
    user = make_user("sunli", ("grid_worker", "310101001001"), password="old-Passw0rd-123")
    PasswordHistory.objects.filter(user=user).delete()  # as for a user from before this change
    assert _codes("old-Passw0rd-123", user) == {"password_reused"}


def test_history_count_is_configurable(make_user, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "gridgov.accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"count": 2}}]
    password_validation.get_default_password_validators.cache_clear()
    try:
        user = make_user("zhouqi", password="pw-one-Aaaaaaaa1")
        for old, new in (("pw-one-Aaaaaaaa1", "pw-two-Bbbbbbbb2"), ("pw-two-Bbbbbbbb2", "pw-three-Cccccc3")):
            passwords.password_change(user=user, old_password=old, new_password=new)
        assert _codes("pw-two-Bbbbbbbb2", user) == {"password_reused"}
        assert _codes("pw-one-Aaaaaaaa1", user) == set()
    finally:
        password_validation.get_default_password_validators.cache_clear()


def test_temporary_passwords_pass_the_policy_and_differ(db):
    user = User(username="wuhao")
    seen = {passwords.temporary_password() for _ in range(50)}
    assert len(seen) == 50
    for pw in list(seen)[:10]:
        assert len(pw) == 16 and _codes(pw, user) == set()
        assert not set(pw) & set("0O1lI")


# --- the user's own change -----------------------------------------------------------------------

@pytest.fixture
def alice(make_user):
    return make_user("alice", ("grid_worker", "310101001001"))


def _login(username: str, password: str, agent: str = "") -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def test_change_page_changes_the_password_and_signs_out_the_other_sessions(alice):
    browser, other = _login("alice", PASSWORD), _login("alice", PASSWORD)
    page = browser.get(CHANGE)
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    response = browser.post(CHANGE, {"old_password": PASSWORD, "new_password1": "Harbour-Lights-77",
                                     "new_password2": "Harbour-Lights-77", "next": "/"})
    assert response.status_code == 200 and 'data-testid="password-changed"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("Harbour-Lights-77") and alice.password_changed_at is not None
    assert browser.get("/").status_code == 200  # this session stays
    assert other.get("/").status_code == 302  # the other one is signed out
    event = AuditEvent.objects.get(action="UPDATE", object_type="user.password", outcome="success")
    assert event.actor_username == "alice" and event.changes == {"by": "self", "other_sign_ins_ended": 1}
    assert "Harbour" not in json.dumps(event.changes) + event.reason


@pytest.mark.parametrize("form,field,message", [
    ({"old_password": "wrong-one-123456", "new_password1": "Harbour-Lights-77", "new_password2": "Harbour-Lights-77"},
     "old_password", "当前密码不正确。"),
    ({"old_password": PASSWORD, "new_password1": "Harbour-Lights-77", "new_password2": "Harbour-Lights-78"},
     "new_password2", "两次输入的新密码不一致。"),
    ({"old_password": PASSWORD, "new_password1": "short-1A", "new_password2": "short-1A"},
     "new_password1", "密码长度太短。密码必须包含至少 12 个字符。"),
    ({"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
     "new_password1", "新密码必须与当前密码不同。"),
])
def test_bad_changes_say_which_field_and_why_and_change_nothing(alice, form, field, message):
    browser = _login("alice", PASSWORD)
    response = browser.post(CHANGE, form)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-testid="error-{field}">{message}' in body
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(object_type="user.password", outcome="success").exists()


def test_a_wrong_current_password_is_audited_as_a_failure(alice):
    browser = _login("alice", PASSWORD)
    browser.post(CHANGE, {"old_password": "wrong-one-123456", "new_password1": "Harbour-Lights-77",
                          "new_password2": "Harbour-Lights-77"})
    event = AuditEvent.objects.get(object_type="user.password")
    assert event.outcome == "failure" and event.actor_username == "alice"


def test_the_change_page_needs_a_sign_in(client, db):
    response = client.get(CHANGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_user_menu_links_the_change_and_sessions_pages(alice):
    body = _login("alice", PASSWORD).get("/").content.decode()
    assert 'href="/accounts/password/"' in body and 'href="/accounts/sessions/"' in body
    assert "修改密码" in body and "我的登录会话" in body


# --- an administrator's reset -------------------------------------------------------------------

@pytest.fixture
def city_admin(make_user):
    return make_user("cityadmin", ("city_admin", "31"))


def test_reset_forces_a_change_at_the_next_sign_in(city_admin, alice):
    alice_browser = _login("alice", PASSWORD)
    admin = Client()
    admin.force_login(city_admin)  # (tests/conftest.py: with the second factor a city administrator needs)
    response = admin.post(f"/accounts/users/{alice.pk}/password-reset/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>密码已重置</h1>" in body
    temporary = body.split('data-testid="temporary-password">')[1].split("<")[0]
    assert len(temporary) == 16
    alice.refresh_from_db()
    assert alice.must_change_password and alice.check_password(temporary)
    assert alice_browser.get("/").status_code == 302  # her session ended
    event = AuditEvent.objects.get(object_type="user.password", actor_username="cityadmin")
    assert event.action == "UPDATE" and event.object_id == str(alice.pk)
    assert event.jurisdiction == "310101001001"  # the user's, so the district's auditors see it
    assert event.changes == {"by": "administrator", "user": "alice", "must_change": True, "sign_ins_ended": 1}
    assert temporary not in json.dumps(event.changes) + event.reason

    # next sign-in: every page leads to the change page, the API refuses, sign-out still works
    forced = _login("alice", temporary)
    home = forced.get("/")
    assert home.status_code == 302 and home["Location"] == "/accounts/password/?next=%2F"
    assert forced.get("/registry/persons/")["Location"].startswith("/accounts/password/")
    assert forced.post("/accounts/sessions/end-others/").status_code == 302
    api = forced.get("/api/v1/accounts/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "password_change_required"
    page = forced.get("/accounts/password/?next=%2F")
    assert page.status_code == 200 and 'data-testid="password-forced"' in page.content.decode()
    done = forced.post(CHANGE, {"old_password": temporary, "new_password1": "Morning-Tide-2026",
                                "new_password2": "Morning-Tide-2026", "next": "/"})
    assert done.status_code == 200
    alice.refresh_from_db()
    assert not alice.must_change_password
    assert forced.get("/").status_code == 200
    assert forced.get("/api/v1/accounts/me").status_code == 200


def test_the_temporary_password_cannot_be_kept(city_admin, alice):
    temporary = passwords.password_reset(actor=city_admin, user_id=alice.pk)
    forced = _login("alice", temporary)
    response = forced.post(CHANGE, {"old_password": temporary, "new_password1": temporary, "new_password2": temporary})
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.must_change_password


def test_reset_needs_accounts_manage_over_every_role_of_the_user(make_user, alice):
    district_admin = make_user("distadmin", ("city_admin", "310101"))
    elsewhere = make_user("bob", ("grid_worker", "310104001001"))
    straddling = make_user("carol", ("grid_worker", "310101001001"), ("grid_worker", "310104001001"))
    street = make_user("streetstaff", ("street_centre", "310101"))
    assert passwords.password_reset(actor=district_admin, user_id=alice.pk)
    for target in (elsewhere, straddling):
        with pytest.raises(NotFound):
            passwords.password_reset(actor=district_admin, user_id=target.pk)
    with pytest.raises(NotFound):  # one's own password is changed on the change page
        passwords.password_reset(actor=district_admin, user_id=district_admin.pk)
    with pytest.raises(Forbidden):
        passwords.password_reset(actor=street, user_id=alice.pk)
    lister = Client()
    lister.force_login(district_admin)
    listed = lister.get("/accounts/users/").content.decode()
    assert ">alice</code>" in listed and ">bob</code>" not in listed and ">carol</code>" not in listed
    assert lister.get(f"/accounts/users/{elsewhere.pk}/").status_code == 404
    assert lister.post(f"/accounts/users/{elsewhere.pk}/password-reset/").status_code == 404
    street_client = Client()
    street_client.force_login(street)
    assert street_client.get("/accounts/users/").status_code == 403
    assert street_client.post(f"/accounts/users/{alice.pk}/password-reset/").status_code == 403
    bob = User.objects.get(pk=elsewhere.pk)
    assert not bob.must_change_password


def test_only_a_province_level_administrator_sees_users_without_a_role(make_user, city_admin):
    loner = make_user("loner")
    district_admin = make_user("distadmin", ("city_admin", "310101"))
    with pytest.raises(NotFound):
        passwords.password_reset(actor=district_admin, user_id=loner.pk)
    assert passwords.password_reset(actor=city_admin, user_id=loner.pk)


def test_the_users_page_is_in_the_navigation_of_administrators_only(city_admin, alice):
    admin = Client()
    admin.force_login(city_admin)
    assert 'href="/accounts/users/"' in admin.get("/").content.decode()
    worker = Client()
    worker.force_login(alice)
    assert 'href="/accounts/users/"' not in worker.get("/").content.decode()


def test_the_django_admin_sends_password_changes_to_gridgovs_pages(make_user, alice):
    from gridgov.accounts import services

    root = services.user_create(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    services.membership_grant(user=root, role_code="city_admin", jurisdiction="31")
    client = Client()
    client.force_login(root)
    other = client.get(f"/admin/accounts/user/{alice.pk}/password/")
    assert other.status_code == 302 and other["Location"] == f"/accounts/users/{alice.pk}/"
    own = client.get(f"/admin/accounts/user/{root.pk}/password/")
    assert own.status_code == 302 and own["Location"] == "/accounts/password/"
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_demo_password_passes_the_policy_for_every_demo_user(db):
    from gridgov.demo.loaders import DEMO_PASSWORD, DEMO_USERS

    for username in DEMO_USERS.values():
        assert _codes(DEMO_PASSWORD, User(username=username, display_name="演示用户")) == set(), username


def test_api_tokens_are_suspended_until_the_reset_password_is_changed(city_admin, alice):
    from gridgov.accounts import services

    _, raw = services.token_create(user=alice, name="phone app")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert Client().get("/api/v1/accounts/me", **bearer).status_code == 200
    temporary = passwords.password_reset(actor=city_admin, user_id=alice.pk)
    refused = Client().get("/api/v1/accounts/me", **bearer)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
    passwords.password_change(user=User.objects.get(pk=alice.pk), old_password=temporary,
                              new_password="Morning-Tide-2026")
    assert Client().get("/api/v1/accounts/me", **bearer).status_code == 200
