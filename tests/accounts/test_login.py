"""Login, lockout (5 failures -> 15 minutes, per account, any IP), identical failures, audit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.core.models import AuditEvent

PASSWORD = "a-Long-passw0rd!"
LOGIN = "/accounts/login/"


def _post(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def alice(make_user):
    return make_user("alice", ("grid_worker", "310101001001"))


def test_login_success_redirects_home_and_is_audited(client, alice):
    response = _post(client, "alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "alice" in home.content.decode()
    event = AuditEvent.objects.filter(action="LOGIN", actor_username="alice").get()
    assert event.outcome == "success" and event.role == "grid_worker"
    assert event.jurisdiction == "310101001001"
    assert event.ip == "10.0.0.1"


def test_unknown_user_and_wrong_password_get_identical_responses(client, alice):
    wrong = _post(client, "alice", "not-the-password")
    unknown = _post(client, "nobody-like-this", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    strip = lambda r: r.content.decode().replace("alice", "").replace("nobody-like-this", "")  # noqa: E731
    import re
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", strip(wrong)) == token.sub("", strip(unknown))
    assert 'data-testid="login-error"' in wrong.content.decode()


def test_five_failures_lock_the_account_even_from_other_ips_and_with_the_right_password(client, alice):
    for i in range(5):
        _post(client, "alice", f"wrong-{i}", ip=f"10.0.0.{i + 1}")
    alice.refresh_from_db()
    assert alice.locked_until is not None
    assert timedelta(minutes=14) < alice.locked_until - timezone.now() <= timedelta(minutes=15)
    response = _post(client, "alice", PASSWORD, ip="192.0.2.99")
    assert response.status_code == 200  # stays on the login page
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="LOCKOUT", actor_username="alice").count() == 1
    assert AuditEvent.objects.filter(action="LOGIN_FAILED", outcome="denied").count() == 1


def test_four_failures_then_success_resets_the_counter(client, alice):
    for i in range(4):
        _post(client, "alice", f"wrong-{i}")
    assert _post(client, "alice", PASSWORD).status_code == 302
    alice.refresh_from_db()
    assert alice.failed_login_count == 0 and alice.locked_until is None


def test_lock_expires_after_fifteen_minutes(client, alice):
    for i in range(5):
        _post(client, "alice", f"wrong-{i}")
    User.objects.filter(pk=alice.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert _post(client, "alice", PASSWORD).status_code == 302


def test_audit_rows_for_login_contain_no_secret(client, alice):
    _post(client, "alice", "Secret-Typed-Wrong-1")
    _post(client, "alice", PASSWORD)
    _post(client, "ghost", "Another-Secret-2")
    rows = list(AuditEvent.objects.values_list("reason", "changes", "actor_username", "object_id"))
    assert rows
    blob = repr(rows)
    for secret in (PASSWORD, "Secret-Typed-Wrong-1", "Another-Secret-2"):
        assert secret not in blob
    assert AuditEvent.objects.filter(action="LOGIN_FAILED", actor_username="ghost").exists()


def test_logout_requires_post_and_is_audited(client, alice):
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="LOGOUT", actor_username="alice").exists()
    assert client.get("/").status_code == 302  # back to login


def test_idle_timeout_is_thirty_minutes_sliding(client, alice, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    from django.contrib.sessions.models import Session

    session = Session.objects.get()
    assert timedelta(minutes=29) < session.expire_date - timezone.now() <= timedelta(minutes=30)
    # Activity slides the expiry: pretend the session was last refreshed 20 minutes ago.
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=10))
    s = client.session
    s["gridgov_seen_at"] = 0
    s.save()
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=10))
    assert client.get("/").status_code == 200
    assert Session.objects.get().expire_date - timezone.now() > timedelta(minutes=29)
    # Expire it server-side: the next request is anonymous.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/").status_code == 302


def test_absolute_session_lifetime(client, alice, settings):
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    session = client.session
    session["gridgov_login_at"] = 0  # logged in at the epoch: far beyond 12 hours
    session.save()
    assert client.get("/").status_code == 302


def test_open_redirect_is_refused(client, alice):
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_admin_login_goes_through_gridgov_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
