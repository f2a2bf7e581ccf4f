"""Sign-in sessions listed per user, touched at most once a minute, ended by the user ("sign out
everywhere else") or by an administrator; all audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts import sessions
from gridgov.accounts.models import UserSession
from gridgov.core.models import AuditEvent

PASSWORD = "a-Long-passw0rd!"
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.1 Mobile/15E148 Safari/604.1")


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(make_user):
    return make_user("alice", ("grid_worker", "310101001001"))


def _login(username: str, agent: str = "", ip: str = "10.0.0.1") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    assert client.post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("agent,label", [
    (CHROME, "Chrome 120 · Windows"),
    (IPHONE, "Safari 17 · iOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
     "Safari/537.36 Edg/120.0.2210.91", "Edge 120 · Windows"),
    ("Mozilla/5.0 (Linux; Android 13; V2218A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 MicroMessenger/8.0.43.2480", "WeChat 8 · Android"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox 121 · Linux"),
    ("curl/8.4.0", ""),
    ("", ""),
])
def test_user_agent_labels(agent, label):
    assert sessions.user_agent_label(agent) == label


def test_each_sign_in_is_listed_with_device_ip_and_times(alice):
    before = timezone.now()
    desk = _login("alice", CHROME, "10.0.0.7")
    _login("alice", IPHONE, "10.0.0.8")
    rows = sessions.session_list(alice)
    assert sorted((r.ip, r.user_agent) for r in rows) == [("10.0.0.7", CHROME), ("10.0.0.8", IPHONE)]
    assert all(r.created_at >= before for r in rows)
    page = desk.get("/accounts/sessions/")
    body = page.content.decode()
    assert page.status_code == 200 and "我的登录会话" in body
    assert body.count('data-testid="session-row"') == 2 and body.count('data-testid="session-current"') == 1
    assert "Chrome 120 · Windows" in body and "Safari 17 · iOS" in body and "10.0.0.8" in body


def test_last_seen_is_touched_at_most_once_a_minute(alice, settings):
    client = _login("alice", CHROME)
    row = UserSession.objects.get(user=alice)
    old = timezone.now() - timedelta(minutes=10)
    UserSession.objects.filter(pk=row.pk).update(last_seen_at=old)
    client.get("/")  # the login set no "seen" stamp: this first request touches
    first = UserSession.objects.get(pk=row.pk).last_seen_at
    assert first > old + timedelta(minutes=9)
    UserSession.objects.filter(pk=row.pk).update(last_seen_at=old)
    client.get("/")  # within the minute: not touched
    assert UserSession.objects.get(pk=row.pk).last_seen_at == old
    session = client.session
    session["gridgov_seen_at"] = session["gridgov_seen_at"] - 61
    session.save()
    client.get("/")  # a minute later: touched again
    assert UserSession.objects.get(pk=row.pk).last_seen_at > old + timedelta(minutes=9)


def test_sign_out_everywhere_else_keeps_this_session_only(alice, make_user):
    here, phone, tablet = _login("alice", CHROME), _login("alice", IPHONE), _login("alice")
    bob = _login(make_user("bob", ("grid_worker", "310101001001")).username)
    response = here.post("/accounts/sessions/end-others/")
    assert response.status_code == 302 and response["Location"] == "/accounts/sessions/"
    assert here.get("/").status_code == 200
    assert phone.get("/").status_code == 302 and tablet.get("/").status_code == 302
    assert bob.get("/").status_code == 200  # someone else's session is untouched
    assert [r.user_agent for r in sessions.session_list(alice)] == [CHROME]
    event = AuditEvent.objects.get(action="LOGOUT", object_type="user.session")
    assert event.actor_username == "alice" and event.changes == {"ended": 2}
    assert "已退出其他 2 个会话" in here.get("/accounts/sessions/").content.decode()


def test_a_user_ends_one_other_session_but_not_someone_elses(alice, make_user):
    here, phone = _login("alice", CHROME), _login("alice", IPHONE)
    _login(make_user("bob", ("grid_worker", "310101001001")).username)
    phone_row = UserSession.objects.get(user=alice, user_agent=IPHONE)
    bob_row = UserSession.objects.get(user__username="bob")
    assert here.post(f"/accounts/sessions/{bob_row.pk}/end/").status_code == 404
    assert UserSession.objects.filter(pk=bob_row.pk).exists()
    assert here.post(f"/accounts/sessions/{phone_row.pk}/end/").status_code == 302
    assert phone.get("/").status_code == 302 and here.get("/").status_code == 200


def test_sign_out_forgets_the_session(alice):
    client = _login("alice", CHROME)
    assert UserSession.objects.filter(user=alice).count() == 1
    client.post("/accounts/logout/")
    assert UserSession.objects.filter(user=alice).count() == 0


def test_an_administrator_ends_all_sessions_of_a_user_in_scope_only(make_user, alice):
    distadmin = make_user("distadmin", ("city_admin", "310101"))
    outsider = make_user("bob", ("grid_worker", "310104001001"))
    one, two, bobs = _login("alice", CHROME), _login("alice", IPHONE), _login("bob")
    admin = Client()
    admin.force_login(distadmin)  # (tests/conftest.py: with the second factor an administrator needs)
    detail = admin.get(f"/accounts/users/{alice.pk}/")
    assert detail.status_code == 200 and detail.content.decode().count('data-testid="session-row"') == 2
    response = admin.post(f"/accounts/users/{alice.pk}/end-sessions/")
    assert response.status_code == 302
    assert one.get("/").status_code == 302 and two.get("/").status_code == 302
    assert admin.post(f"/accounts/users/{outsider.pk}/end-sessions/").status_code == 404
    assert bobs.get("/").status_code == 200
    event = AuditEvent.objects.get(action="LOGOUT", object_type="user.session")
    assert event.actor_username == "distadmin" and event.changes == {"user": "alice", "ended": 2}
    assert event.jurisdiction == "310101001001"
    worker = _login("bob")
    assert worker.post(f"/accounts/users/{alice.pk}/end-sessions/").status_code == 403


def test_expired_sessions_are_not_listed_and_are_pruned(alice, settings):
    _login("alice", CHROME)
    _login("alice", IPHONE)
    idle = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + settings.GRIDGOV_SESSION_TOUCH_SECONDS + 5)
    UserSession.objects.filter(user_agent=IPHONE).update(last_seen_at=idle)
    assert [r.user_agent for r in sessions.session_list(alice)] == [CHROME]
    assert sessions.sessions_prune() == 1
    assert list(UserSession.objects.values_list("user_agent", flat=True)) == [CHROME]
    old = timezone.now() - timedelta(seconds=settings.GRIDGOV_SESSION_ABSOLUTE_SECONDS + 5)
    UserSession.objects.update(created_at=old)
    assert sessions.session_list(alice) == []
    assert sessions.sessions_prune() == 1
