"""The per-process token cache (accounts.services.token_authenticate): one read per token per
TOKEN_CACHE_SECONDS, changes made through the ORM take effect at once, others within the window."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

PREFIX = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from gridgov.accounts import services

    services.token_cache_clear()
    yield
    services.token_cache_clear()


def _me(raw):
    return Client().get(PREFIX + "/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.mark.django_db
def test_second_call_reads_nothing_and_gets_its_own_user_object(make_user):
    from gridgov.accounts import services

    amy = make_user("amy", ("grid_worker", "310101"))
    _, raw = services.token_create(user=amy, name="t")
    first = services.token_authenticate(raw)
    with CaptureQueriesContext(connection) as queries:
        second = services.token_authenticate(raw)
        assert [m.jurisdiction for m in second.active_memberships()] == ["310101"]
    assert len(queries.captured_queries) == 0
    assert second.pk == amy.pk and second is not first
    second._gridgov_departments = [1]  # per-request state does not leak into the next request
    assert services.token_authenticate(raw)._gridgov_departments is None
    assert _me(raw).json()["memberships"][0]["jurisdiction"] == "310101"


@pytest.mark.django_db
def test_membership_change_through_the_orm_takes_effect_at_once(make_user):
    from gridgov.accounts import services
    from gridgov.accounts.models import Membership

    ben = make_user("ben", ("grid_worker", "310101"))
    _, raw = services.token_create(user=ben, name="t")
    assert len(_me(raw).json()["memberships"]) == 1
    membership = Membership.objects.get(user=ben)
    membership.active = False
    membership.save()
    assert _me(raw).json()["memberships"] == []
    services.membership_grant(user=ben, role_code="grid_worker", jurisdiction="310102")
    assert [m["jurisdiction"] for m in _me(raw).json()["memberships"]] == ["310102"]


@pytest.mark.django_db
def test_change_without_signals_takes_effect_after_the_window(make_user, monkeypatch):
    from gridgov.accounts import services
    from gridgov.accounts.models import ApiToken

    cat = make_user("cat", ("grid_worker", "310101"))
    token, raw = services.token_create(user=cat, name="t")
    assert _me(raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())  # no signal
    assert _me(raw).status_code == 200  # still trusted within the window
    later = services.time.monotonic() + services.TOKEN_CACHE_SECONDS + 0.01
    monkeypatch.setattr(services.time, "monotonic", lambda: later)
    assert _me(raw).status_code == 401


@pytest.mark.django_db
def test_expiry_is_checked_on_every_call(make_user, monkeypatch):
    from gridgov.accounts import services

    dan = make_user("dan", ("grid_worker", "310101"))
    token, raw = services.token_create(user=dan, name="t", days=1)
    assert services.token_authenticate(raw) is not None
    after_expiry = token.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(services.timezone, "now", lambda: after_expiry)
    assert services.token_authenticate(raw) is None


@pytest.mark.django_db
def test_deactivating_the_user_takes_effect_at_once(make_user):
    from gridgov.accounts import services

    eve = make_user("eve", ("grid_worker", "310101"))
    _, raw = services.token_create(user=eve, name="t")
    assert _me(raw).status_code == 200
    eve.is_active = False
    eve.save()
    assert _me(raw).status_code == 401
