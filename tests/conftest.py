import pytest


@pytest.fixture
def roles(db):
    from gridgov.accounts.services import roles_sync

    return {r.code: r for r in roles_sync()}


@pytest.fixture
def make_user(db, roles):
    """make_user("name", ("grid_worker", "310101", "capture"), ...) -> User with memberships."""
    from gridgov.accounts import services

    def _make(username, *memberships, password="a-Long-passw0rd!"):
        user = services.user_create(username=username, password=password)
        for role_code, jurisdiction, *scope in memberships:
            services.membership_grant(user=user, role_code=role_code, jurisdiction=jurisdiction,
                                      scope=scope[0] if scope else "capture")
        user._gridgov_memberships = None
        return user

    return _make


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (zh-hans): a request of an earlier test with
    ``Accept-Language: en`` leaves its language active in the thread (LocaleMiddleware activates
    but never deactivates), and code run outside a request would then speak English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _force_login_is_a_full_sign_in(monkeypatch):
    """``Client.force_login`` stands for a complete sign-in, second factor included: a user who
    must use two-factor sign-in (accounts/twofactor.py) gets a confirmed authenticator and the
    session is marked verified with it, as the code page does (django-otp's session key). Signing
    in counts as a step-up confirmation already (the ``user_logged_in`` receiver).

    Tests of the second factor itself sign in through the pages (or ``client.login``), or call
    ``force_login_password_only``."""
    from django.test.client import ClientMixin

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from gridgov.accounts import twofactor

        user._gridgov_memberships = None
        device = twofactor.totp_device(user)
        if device is None and twofactor.requires_two_factor(user):
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)
    monkeypatch.setattr(ClientMixin, "force_login_password_only", original, raising=False)
