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
