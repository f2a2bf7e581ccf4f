"""A locked account's API tokens are suspended while the lock lasts (not revoked: they work again
once it ends)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts import services
from gridgov.accounts.models import User

PASSWORD = "a-Long-passw0rd!"


@pytest.fixture
def alice(make_user):
    return make_user("alice", ("grid_worker", "310101001001"))


def _me(raw):
    return Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_lockout_suspends_the_tokens_until_it_ends(client, alice, settings):
    settings.GRIDGOV_LOCKOUT_THRESHOLD = 3  # non-default configuration
    _, raw = services.token_create(user=alice, name="script")
    assert _me(raw).status_code == 200  # and now cached in this process
    for i in range(3):
        client.post("/accounts/login/", {"username": "alice", "password": f"wrong-{i}"})
    alice.refresh_from_db()
    assert alice.locked_until is not None
    refused = _me(raw)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
    # the lock ends: the same token works again (suspended, not revoked)
    User.objects.filter(pk=alice.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    services.token_cache_clear()
    assert _me(raw).status_code == 200


def test_a_lock_set_elsewhere_is_honoured_on_a_fresh_read(alice):
    _, raw = services.token_create(user=alice, name="script")
    User.objects.filter(pk=alice.pk).update(locked_until=timezone.now() + timedelta(minutes=10))
    services.token_cache_clear()  # another process: after at most TOKEN_CACHE_SECONDS
    assert _me(raw).status_code == 401
