"""Two-factor sign-in: who must enrol, the enrolment, TOTP codes (right, wrong, replayed), recovery
codes (single use, stored as digests), what an unverified session may reach, and the audit rows.

The codes are made by pyotp from the secret the enrolment page shows (an independent RFC 6238
implementation), never by the module under test."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client

from gridgov.core.models import AuditEvent

PASSWORD = "a-Long-passw0rd!"

# Which seeded roles must sign in with a second factor (issue 15: roles holding a reveal, export,
# care or accounts.manage capability), written out by hand from accounts/capabilities.py.
MUST_ENROL = {
    "city_admin": True,         # accounts.manage
    "district_centre": True,    # registry.reveal
    "street_centre": True,      # registry.reveal
    "community_staff": False,
    "grid_worker": False,
    "department_handler": False,
    "police_officer": True,     # care.street_children
    "city_management": True,    # care.street_children
    "social_worker": True,      # care.*
    "auditor": False,
}


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sign_in(username: str, next_url: str = "/") -> tuple[Client, object]:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302, response.content[:300]
    return client, response


def _secret_of(page_html: str) -> str:
    match = re.search(r'data-testid="twofactor-secret">([A-Z2-7 ]+)<', page_html)
    assert match, "the enrolment page shows the key"
    return match.group(1).replace(" ", "")


def _next_code(secret: str) -> str:
    """The code of the next time step: the enrolment just used the current one, and a code is
    accepted once only (a person would wait for the app's next code; the server allows one step
    of drift)."""
    import time

    return pyotp.TOTP(secret).at(int(time.time()) + 30)


def _wrong_code(secret: str) -> str:
    """A 6-digit code that none of the steps around now accepts."""
    import time

    totp, step = pyotp.TOTP(secret), int(time.time()) // 30
    near = {totp.at((step + d) * 30) for d in (-3, -2, -1, 0, 1, 2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)


def _enrol(client: Client) -> tuple[str, list[str]]:
    """Enrol through the pages; returns the secret and the recovery codes shown."""
    page = client.get("/accounts/two-factor/enrol/")
    assert page.status_code == 200
    secret = _secret_of(page.content.decode())
    done = client.post("/accounts/two-factor/enrol/", {"code": pyotp.TOTP(secret).now(), "next": "/"})
    assert done.status_code == 200, done.content[:500]
    codes = re.findall(r"<li>([a-z2-7]{4})-([a-z2-7]{4})</li>", done.content.decode())
    return secret, ["".join(c) for c in codes]


@pytest.mark.parametrize("role,expected", sorted(MUST_ENROL.items()))
def test_which_roles_must_enrol(make_user, role, expected):
    from gridgov.accounts.twofactor import requires_two_factor

    user = make_user(f"u_{role}", (role, "310101"))
    assert requires_two_factor(user) is expected


def test_rule_by_capability_name_and_superuser(make_user):
    from gridgov.accounts import services
    from gridgov.accounts.twofactor import capability_needs_two_factor, requires_two_factor

    assert capability_needs_two_factor("registry.reveal")
    assert capability_needs_two_factor("registry.export")  # an export capability, should one be added
    assert capability_needs_two_factor("care.youth") and capability_needs_two_factor("accounts.manage")
    assert not capability_needs_two_factor("registry.view") and not capability_needs_two_factor("cases.dispatch")
    assert not capability_needs_two_factor("accounts.view")
    root = services.user_create(username="root", password=PASSWORD, is_superuser=True)
    assert requires_two_factor(root)
    # a membership that is no longer active does not count
    user = make_user("was_district", ("district_centre", "310101"))
    user.memberships.update(active=False)
    user._gridgov_memberships = None
    assert not requires_two_factor(user)


def test_required_user_can_reach_only_the_enrolment_page_until_enrolled(make_user):
    make_user("street1", ("street_centre", "310101002"))
    client, response = _sign_in("street1", next_url="/registry/persons/")
    assert response["Location"] == "/registry/persons/"
    # every other page sends to the enrolment page, with the way back
    blocked = client.get("/registry/persons/")
    assert blocked.status_code == 302
    assert blocked["Location"] == "/accounts/two-factor/enrol/?next=/registry/persons/"
    for path in ("/", "/audit/", "/accounts/two-factor/", "/accounts/confirm/", "/admin/"):
        r = client.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/accounts/two-factor/enrol/"), path
    # the API answers 401 two_factor_required, as JSON
    api = client.get("/api/v1/accounts/me")
    assert api.status_code == 401 and api.json()["error"]["code"] == "two_factor_required"
    # the enrolment page, its QR code and sign-out are open
    page = client.get("/accounts/two-factor/enrol/?next=/registry/persons/")
    assert page.status_code == 200 and 'data-testid="twofactor-qr"' in page.content.decode()
    qr = client.get("/accounts/two-factor/enrol/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    assert "no-store" in qr["Cache-Control"]
    # the page shows no navigation yet
    nav = re.search(r'<nav class="mainnav">(.*?)</nav>', page.content.decode(), re.S)
    assert nav is not None and "<a " not in nav.group(1)


def test_qr_code_encodes_the_provisioning_uri_with_the_secret_shown(make_user):
    """The QR code is an image of the otpauth URI whose secret is the key printed under it:
    decoded here by zbar-free means (the SVG's modules re-encoded by segno from the expected URI)."""
    import segno

    make_user("street1", ("street_centre", "310101002"))
    client, _ = _sign_in("street1")
    secret = _secret_of(client.get("/accounts/two-factor/enrol/").content.decode())
    expected_uri = f"otpauth://totp/gridgov%3Astreet1?secret={secret}&algorithm=SHA1&digits=6&period=30&issuer=gridgov"
    served = client.get("/accounts/two-factor/enrol/qr.svg").content
    # same content and options -> same matrix -> same SVG path
    import io

    out = io.BytesIO()
    segno.make(expected_uri, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False, svgns=True,
                                             title="", dark="#1f2937")
    assert served == out.getvalue()
    # reloading the page keeps the same secret (one pending enrolment)
    assert _secret_of(client.get("/accounts/two-factor/enrol/").content.decode()) == secret


def test_enrolment_with_a_right_code_gives_ten_recovery_codes_and_opens_the_site(make_user):
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_user("street1", ("street_centre", "310101002"))
    client, _ = _sign_in("street1")
    secret, codes = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/api/v1/accounts/me").status_code == 200
    assert client.get("/").status_code == 200
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and device.key == pyotp.TOTP(secret).byte_secret().hex()
    # the recovery codes are not stored as they are
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    rows = AuditEvent.objects.filter(actor_username="street1", action="CREATE")
    assert set(rows.values_list("object_type", flat=True)) == {"user.totp", "user.recovery_codes"}
    assert rows.get(object_type="user.recovery_codes").changes == {"count": 10}


def test_enrolment_with_a_wrong_code_is_refused_and_audited(make_user):
    make_user("street1", ("street_centre", "310101002"))
    client, _ = _sign_in("street1")
    secret = _secret_of(client.get("/accounts/two-factor/enrol/").content.decode())
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    r = client.post("/accounts/two-factor/enrol/", {"code": wrong})
    assert r.status_code == 400 and 'data-testid="twofactor-error"' in r.content.decode()
    assert client.get("/api/v1/accounts/me").status_code == 401
    failed = AuditEvent.objects.get(action="LOGIN_FAILED", actor_username="street1")
    assert failed.object_type == "user.totp" and failed.outcome == "failure"
    assert not AuditEvent.objects.filter(action="CREATE", object_type="user.totp").exists()


def test_sign_in_asks_the_code_right_wrong_and_replayed(make_user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # this test is about the codes; throttling has its own test
    make_user("street1", ("street_centre", "310101002"))
    first, _ = _sign_in("street1")
    secret, _ = _enrol(first)

    client, response = _sign_in("street1", next_url="/registry/persons/")
    page = client.get(response["Location"])
    assert page.status_code == 302 and page["Location"] == "/accounts/two-factor/verify/?next=/registry/persons/"
    assert client.get("/accounts/two-factor/enrol/")["Location"].startswith("/accounts/two-factor/verify/"), \
        "a password alone cannot enrol a new authenticator"
    assert client.get("/api/v1/accounts/me").status_code == 401
    # wrong code
    wrong = _wrong_code(secret)
    r = client.post("/accounts/two-factor/verify/", {"code": wrong, "next": "/registry/persons/"})
    assert r.status_code == 400
    assert AuditEvent.objects.filter(action="LOGIN_FAILED", object_type="user.totp", actor_username="street1").count() == 1
    # right code (spaces are allowed: "123 456")
    code = _next_code(secret)
    r = client.post("/accounts/two-factor/verify/", {"code": f"{code[:3]} {code[3:]}", "next": "/registry/persons/"})
    assert r.status_code == 302 and r["Location"] == "/registry/persons/"
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="LOGIN", object_type="user.totp", actor_username="street1").count() == 1
    # the same code again, in another session: refused
    other, _ = _sign_in("street1")
    r = other.post("/accounts/two-factor/verify/", {"code": code, "next": "/"})
    assert r.status_code == 400
    assert other.get("/api/v1/accounts/me").status_code == 401


def test_wrong_codes_are_throttled(make_user, settings):
    """After a wrong code the authenticator refuses every code for OTP_TOTP_THROTTLE_FACTOR seconds
    (doubling with each further failure): with a factor of 600 the right code is refused too."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 600
    make_user("street1", ("street_centre", "310101002"))
    first, _ = _sign_in("street1")
    secret, _ = _enrol(first)
    client, _ = _sign_in("street1")
    assert client.post("/accounts/two-factor/verify/", {"code": _wrong_code(secret)}).status_code == 400
    r = client.post("/accounts/two-factor/verify/", {"code": _next_code(secret)})
    assert r.status_code == 400
    assert re.search(r"请等待 \d+ 秒后再试", r.content.decode())  # "wait N seconds"
    assert client.get("/api/v1/accounts/me").status_code == 401
    # the refusals while throttled are audited once per window, not once per try
    for _ in range(5):
        client.post("/accounts/two-factor/verify/", {"code": _next_code(secret)})
    rows = AuditEvent.objects.filter(action="LOGIN_FAILED", object_type="user.totp", actor_username="street1")
    assert list(rows.order_by("id").values_list("outcome", flat=True)) == ["failure", "denied"]


def test_recovery_codes_work_once(make_user, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    make_user("street1", ("street_centre", "310101002"))
    first, _ = _sign_in("street1")
    _, codes = _enrol(first)
    client, _ = _sign_in("street1")
    code = codes[3]
    r = client.post("/accounts/two-factor/verify/", {"code": f"{code[:4].upper()}-{code[4:]}", "next": "/"})
    assert r.status_code == 302 and r["Location"] == "/accounts/two-factor/?recovered=1"
    assert client.get("/api/v1/accounts/me").status_code == 200
    used = AuditEvent.objects.get(action="LOGIN", object_type="user.recovery_code")
    assert used.changes == {"recovery_codes_left": 9}
    manage = client.get("/accounts/two-factor/?recovered=1").content.decode()
    assert "您使用恢复码登录，还剩 9 个恢复码" in manage and "剩余恢复码 9 个" in manage
    # the same code again: refused; another one still works
    again, _ = _sign_in("street1")
    assert again.post("/accounts/two-factor/verify/", {"code": code}).status_code == 400
    assert again.post("/accounts/two-factor/verify/", {"code": codes[4]}).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(make_user, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    make_user("street1", ("street_centre", "310101002"))
    client, _ = _sign_in("street1")
    _, old = _enrol(client)
    page = client.post("/accounts/two-factor/recovery-codes/")
    assert page.status_code == 200
    new = ["".join(c) for c in re.findall(r"<li>([a-z2-7]{4})-([a-z2-7]{4})</li>", page.content.decode())]
    assert len(new) == 10 and not set(new) & set(old)
    # the session stays verified; an old code no longer signs in, a new one does
    assert client.get("/api/v1/accounts/me").status_code == 200
    other, _ = _sign_in("street1")
    assert other.post("/accounts/two-factor/verify/", {"code": old[0]}).status_code == 400
    assert other.post("/accounts/two-factor/verify/", {"code": new[0]}).status_code == 302


def test_user_without_duty_and_without_authenticator_signs_in_with_the_password(make_user):
    make_user("grid1", ("grid_worker", "310101002001001"))
    client, response = _sign_in("grid1", next_url="/registry/persons/")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/accounts/me").status_code == 200
    # the security page offers enrolment without requiring it
    assert "twofactor-status" in client.get("/accounts/two-factor/").content.decode()


def test_user_without_duty_who_enrolled_is_asked_too(make_user):
    make_user("grid1", ("grid_worker", "310101002001001"))
    first, _ = _sign_in("grid1")
    secret, _ = _enrol(first)
    client, _ = _sign_in("grid1")
    r = client.get("/registry/persons/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/two-factor/verify/")
    ok = client.post("/accounts/two-factor/verify/", {"code": _next_code(secret), "next": "/"})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_admin_needs_the_second_factor_too(make_user):
    from gridgov.accounts import services

    services.user_create(username="root", password=PASSWORD, is_superuser=True, is_staff=True)
    client, _ = _sign_in("root", next_url="/admin/")
    r = client.get("/admin/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/two-factor/enrol/")


def test_force_login_in_tests_is_a_full_sign_in(make_user):
    """The suite's fixture (tests/conftest.py): force_login = password + second factor; the
    password-only variant leaves the session unverified."""
    user = make_user("street1", ("street_centre", "310101002"))
    full = Client()
    full.force_login(user)
    assert full.get("/api/v1/accounts/me").status_code == 200
    half = Client()
    half.force_login_password_only(user)
    assert half.get("/api/v1/accounts/me").status_code == 401


def test_demo_users_use_the_documented_demo_secret(db):
    """The demo users whose role needs a second factor are enrolled with the secret the README
    documents; a code made from the README's text signs them in; the others are not enrolled."""
    from pathlib import Path

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from gridgov.demo.loaders import DEMO_PASSWORD, DEMO_USERS, demo_users

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    documented = re.search(r"demo authenticator secret[^`]*`([A-Z2-7]{16,})`", readme)
    assert documented
    demo_users({})
    enrolled = set(TOTPDevice.objects.filter(confirmed=True).values_list("user__username", flat=True))
    assert enrolled == {DEMO_USERS[r] for r, must in MUST_ENROL.items() if must}
    assert AuditEvent.objects.filter(action="CREATE", object_type="user.totp").count() == len(enrolled)
    demo_users({})  # loading again changes nothing
    assert TOTPDevice.objects.count() == len(enrolled)
    client = Client()
    client.post("/accounts/login/", {"username": "social", "password": DEMO_PASSWORD})
    r = client.post("/accounts/two-factor/verify/", {"code": pyotp.TOTP(documented.group(1)).now(), "next": "/"})
    assert r.status_code == 302 and r["Location"] == "/"
    assert client.get("/api/v1/accounts/me").status_code == 200


def test_the_admin_never_shows_an_authenticator_key(make_user, settings):
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = make_user("street1", ("street_centre", "310101002"))
    first, _ = _sign_in("street1")
    secret, _ = _enrol(first)
    device = TOTPDevice.objects.get(user=user)
    root = get_user_model().objects.create_superuser(username="root", password=PASSWORD)
    admin = Client()
    admin.force_login(root)
    page = admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode() and secret not in page.content.decode()
    for view in ("config", "qrcode"):
        assert admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/{view}/").status_code == 403
