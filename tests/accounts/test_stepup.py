"""Step-up: revealing an identity number and exporting resident data ask for the password or an
authenticator code again once the last confirmation is older than GRIDGOV_STEPUP_MINUTES.

Time is moved by replacing ``stepup.clock`` (the module's only clock); expected windows are
written here in minutes."""

from __future__ import annotations

import time
from datetime import date

import pyotp
import pytest
from django.test import Client

from gridgov.accounts import stepup
from gridgov.core.models import AuditEvent

PASSWORD = "a-Long-passw0rd!"
GRID = "310101002001001"


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * 60


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(stepup, "clock", c)
    return c


@pytest.fixture
def person(db):
    from gridgov.core.idnumber import make_identity_number
    from gridgov.registry.identity import blind_index
    from gridgov.registry.models import Person

    number = make_identity_number("310101", date(1985, 5, 17), 7)
    return Person.objects.create(name="测试甲", identity_number=number, id_hmac=blind_index(number),
                                 id_last4=number[-4:], birth_date=date(1985, 5, 17), sex="1", grid_code=GRID,
                                 phone="13812345678")


@pytest.fixture
def district(make_user):
    return make_user("district1", ("district_centre", "310101"))


def _reveal(client: Client, person, **headers):
    return client.post(f"/api/v1/registry/persons/{person.pk}/reveal", data={"reason": "协查通报核实身份"},
                       content_type="application/json", **headers)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)  # a full sign-in (tests/conftest.py): password + second factor, confirmed now
    return client


def test_reveal_within_the_window_needs_nothing_more(clock, district, person):
    client = _signed_in(district)
    clock.advance(14)
    r = _reveal(client, person)
    assert r.status_code == 200 and r.json()["number"] == person.identity_number


def test_reveal_after_the_window_asks_to_confirm_then_works(clock, district, person):
    client = _signed_in(district)
    clock.advance(15.5)
    r = _reveal(client, person)
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["code"] == "step_up_required"
    assert "/api/v1/accounts/confirm" in error["details"][0]["message"]
    assert not AuditEvent.objects.filter(action="REVEAL").exists()
    # a wrong password: 403 confirmation_failed, audited, counted towards the lockout
    bad = client.post("/api/v1/accounts/confirm", data={"password": "wrong-password-1"},
                      content_type="application/json")
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "confirmation_failed"
    assert AuditEvent.objects.filter(action="LOGIN_FAILED", actor_username="district1").count() == 1
    district.refresh_from_db()
    assert district.failed_login_count == 1
    assert _reveal(client, person).status_code == 403
    # the right password: confirmed for 15 minutes from now
    ok = client.post("/api/v1/accounts/confirm", data={"password": PASSWORD}, content_type="application/json")
    assert ok.status_code == 200
    assert abs(_iso(ok.json()["confirmed_until"]) - (clock.now + 15 * 60)) < 1
    assert AuditEvent.objects.filter(action="LOGIN", object_type="user.step_up", actor_username="district1").exists()
    assert _reveal(client, person).status_code == 200
    clock.advance(16)
    assert _reveal(client, person).status_code == 403


def _iso(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_the_window_follows_the_setting(clock, district, person, settings):
    settings.GRIDGOV_STEPUP_MINUTES = 5
    client = _signed_in(district)
    clock.advance(4.5)
    assert _reveal(client, person).status_code == 200
    clock.advance(1)  # 5.5 minutes after signing in
    assert _reveal(client, person).status_code == 403


def test_confirm_with_an_authenticator_code(clock, district, person, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = _signed_in(district)
    device = TOTPDevice.objects.get(user=district, confirmed=True)
    totp = pyotp.TOTP(_b32(device.bin_key))
    clock.advance(20)
    assert _reveal(client, person).status_code == 403
    assert client.post("/api/v1/accounts/confirm", data={"code": "000000" if totp.now() != "000000" else "111111"},
                       content_type="application/json").status_code == 403
    ok = client.post("/api/v1/accounts/confirm", data={"code": totp.now()}, content_type="application/json")
    assert ok.status_code == 200
    assert _reveal(client, person).status_code == 200


def _b32(raw: bytes) -> str:
    import base64

    return base64.b32encode(raw).decode()


def test_confirm_needs_password_or_code(district):
    client = _signed_in(district)
    r = client.post("/api/v1/accounts/confirm", data={}, content_type="application/json")
    assert r.status_code == 422


def test_a_refused_reveal_without_the_capability_is_not_a_step_up(clock, make_user, person):
    """Without registry.reveal the answer stays the audited 403 refusal, whatever the time."""
    worker = make_user("grid1", ("grid_worker", GRID))
    client = _signed_in(worker)
    clock.advance(60)
    r = _reveal(client, person)
    assert r.status_code == 403 and r.json()["error"]["code"] != "step_up_required"
    assert AuditEvent.objects.filter(action="REVEAL", outcome="denied").exists()


def test_person_export_after_the_window(clock, district, person):
    client = _signed_in(district)
    assert client.get("/api/v1/registry/persons/export.xlsx").status_code == 200
    clock.advance(16)
    r = client.get("/api/v1/registry/persons/export.xlsx")
    assert r.status_code == 403 and r.json()["error"]["code"] == "step_up_required"
    # the export link opened in the browser: to the confirm page and back
    nav = client.get("/api/v1/registry/persons/export.xlsx?q=%E6%B5%8B", HTTP_SEC_FETCH_MODE="navigate",
                     HTTP_REFERER="http://testserver/registry/persons/")
    assert nav.status_code == 302
    assert nav["Location"] == "/accounts/confirm/?next=/api/v1/registry/persons/export.xlsx%3Fq%3D%25E6%25B5%258B"
    page = client.get(nav["Location"], HTTP_REFERER="http://testserver/registry/persons/")
    assert page.status_code == 200 and 'name="back" value="http://testserver/registry/persons/"' in page.content.decode()
    done = client.post("/accounts/confirm/", {"password": PASSWORD, "next": "/api/v1/registry/persons/export.xlsx?q=测",
                                              "back": "http://testserver/registry/persons/"})
    assert done.status_code == 200
    html = done.content.decode()
    assert 'http-equiv="refresh"' in html and "/api/v1/registry/persons/export.xlsx?q=测" in html
    assert client.get("/api/v1/registry/persons/export.xlsx").status_code == 200


def test_care_export_after_the_window(clock, make_user):
    social = make_user("social1", ("social_worker", "310101"))
    client = _signed_in(social)
    assert client.get("/api/v1/care/youth/export.csv").status_code == 200
    clock.advance(16)
    r = client.get("/api/v1/care/youth/export.csv")
    assert r.status_code == 403 and r.json()["error"]["code"] == "step_up_required"


def test_page_reveal_goes_to_the_confirm_page_and_back(clock, district, person):
    client = _signed_in(district)
    clock.advance(16)
    path = f"/registry/persons/{person.pk}/"
    r = client.post(path, {"reason": "上门核查需要"})
    assert r.status_code == 302 and r["Location"] == f"/accounts/confirm/?next={path}"
    assert not AuditEvent.objects.filter(action="REVEAL").exists()
    wrong = client.post("/accounts/confirm/", {"password": "not-it-at-all", "next": path})
    assert wrong.status_code == 400 and 'data-testid="stepup-error"' in wrong.content.decode()
    back = client.post("/accounts/confirm/", {"password": PASSWORD, "next": path})
    assert back.status_code == 302 and back["Location"] == path
    again = client.post(path, {"reason": "上门核查需要"})
    assert again.status_code == 200 and person.identity_number in again.content.decode()


def test_confirm_page_refuses_an_outside_next(district):
    client = _signed_in(district)
    r = client.post("/accounts/confirm/", {"password": PASSWORD, "next": "https://evil.example/x"})
    assert r.status_code == 302 and r["Location"] == "/"


def test_api_token_confirms_for_itself_only(clock, district, person):
    from gridgov.accounts import services

    _, raw = services.token_create(user=district, name="script")
    _, other = services.token_create(user=district, name="other")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    r = _reveal(Client(), person, **bearer)
    assert r.status_code == 403 and r.json()["error"]["code"] == "step_up_required"
    ok = Client().post("/api/v1/accounts/confirm", data={"password": PASSWORD}, content_type="application/json",
                       **bearer)
    assert ok.status_code == 200
    assert _reveal(Client(), person, **bearer).status_code == 200
    assert _reveal(Client(), person, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 403
    clock.advance(16)
    assert _reveal(Client(), person, **bearer).status_code == 403
    # a browser-like request with a token is still answered in JSON
    r = Client().get("/api/v1/registry/persons/export.xlsx", HTTP_SEC_FETCH_MODE="navigate", **bearer)
    assert r.status_code == 403 and r.json()["error"]["code"] == "step_up_required"


def test_a_confirmation_does_not_carry_over_to_another_session(clock, district, person):
    first = _signed_in(district)
    second = _signed_in(district)
    clock.advance(16)
    assert first.post("/api/v1/accounts/confirm", data={"password": PASSWORD},
                      content_type="application/json").status_code == 200
    assert _reveal(first, person).status_code == 200
    assert _reveal(second, person).status_code == 403
