"""A user whose password an administrator reset and who must also enrol a second factor (a street
centre): the second factor comes first, then the password change; the two guards never send the
user back and forth."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.accounts.models import User

PASSWORD = "a-Long-passw0rd!"  # tests/conftest.py make_user's default


@pytest.fixture
def centre(make_user):
    user = make_user("centre-reset", ("street_centre", "310101001"))
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    return user


def _follow(client: Client, path: str, hops: int = 6) -> list[str]:
    """The paths a browser visits from ``path`` following redirects (at most ``hops``)."""
    seen = [path]
    for _ in range(hops):
        response = client.get(seen[-1])
        if response.status_code != 302:
            return seen
        seen.append(response["Location"].split("?")[0])
    raise AssertionError(f"redirect loop: {seen}")


def test_enrolment_first_then_the_password_change_without_a_loop(centre):
    client = Client()
    response = client.post("/accounts/login/", {"username": "centre-reset", "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[-1500:]
    # any page: the enrolment page (second factor first), which itself opens (no bounce)
    assert _follow(client, "/cases/") == ["/cases/", "/accounts/two-factor/enrol/"]
    assert _follow(client, "/accounts/password/") == ["/accounts/password/", "/accounts/two-factor/enrol/"]
    assert client.get("/accounts/two-factor/enrol/").status_code == 200
    assert client.get("/accounts/two-factor/enrol/qr.svg").status_code == 200
    # the API answers the second factor's refusal, not a redirect
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_after_the_second_factor_only_the_password_change_opens(centre):
    client = Client()
    client.force_login(centre)  # tests/conftest.py: a full sign-in, the second factor verified
    assert _follow(client, "/cases/") == ["/cases/", "/accounts/password/"]
    assert client.get("/accounts/password/").status_code == 200
    response = client.get("/api/v1/accounts/me")
    assert response.status_code == 403 and response.json()["error"]["code"] == "password_change_required"
