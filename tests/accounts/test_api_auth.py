"""The API is deny-by-default: every registered operation answers 401 to an anonymous caller,
except the explicit allow-list."""

import re

import pytest
from django.test import Client

from gridgov.api import PUBLIC_OPERATIONS, api

PREFIX = "/api/v1"


def _operations():
    schema = api.get_openapi_schema(path_prefix="")
    for path, methods in schema["paths"].items():
        for method in methods:
            if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                yield method.upper(), path


def test_schema_lists_operations():
    ops = list(_operations())
    assert ("GET", "/health") in ops
    assert len(ops) >= 5


@pytest.mark.django_db
@pytest.mark.parametrize("method,path", sorted(_operations()))
def test_anonymous_gets_401_except_allow_list(method, path):
    client = Client(enforce_csrf_checks=True)
    url = PREFIX + re.sub(r"\{[^}]+\}", "1", path)
    response = client.generic(method, url, data="{}", content_type="application/json")
    if (method, path) in PUBLIC_OPERATIONS:
        assert response.status_code == 200
    else:
        assert response.status_code == 401, (method, path, response.status_code)
        body = response.json()
        assert body["error"]["code"] == "unauthenticated"


@pytest.mark.django_db
def test_token_auth_and_revocation(make_user):
    from gridgov.accounts import services

    bob = make_user("bob", ("grid_worker", "310101"))
    token, raw = services.token_create(user=bob, name="sync")
    client = Client()
    me = client.get(PREFIX + "/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200 and me.json()["username"] == "bob"
    assert me["Cache-Control"] == "no-store"
    assert raw not in repr(list(token.__class__.objects.values()))  # only the digest is stored
    services.token_revoke(actor=bob, token_id=token.pk)
    assert client.get(PREFIX + "/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert client.get(PREFIX + "/accounts/me", HTTP_AUTHORIZATION="Bearer ggv_forged").status_code == 401


@pytest.mark.django_db
def test_deactivated_user_token_stops_working(make_user):
    from gridgov.accounts import services

    carol = make_user("carol", ("grid_worker", "310101"))
    _, raw = services.token_create(user=carol, name="sync")
    carol.is_active = False
    carol.save()
    assert Client().get(PREFIX + "/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


@pytest.mark.django_db
def test_session_api_requires_csrf_for_writes(make_user):
    make_user("dave", ("grid_worker", "310101"))
    client = Client(enforce_csrf_checks=True)
    client.post("/accounts/login/", {"username": "dave", "password": "a-Long-passw0rd!"})
    # csrf on the login form is enforced too; log in via force_login instead
    from gridgov.accounts.models import User

    client.force_login(User.objects.get(username="dave"))
    assert client.get(PREFIX + "/accounts/me").status_code == 200
    response = client.post(PREFIX + "/accounts/tokens", data={"name": "x"}, content_type="application/json")
    assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_validation_errors_use_the_envelope_and_name_the_field(make_user):
    from gridgov.accounts import services

    erin = make_user("erin", ("grid_worker", "310101"))
    _, raw = services.token_create(user=erin, name="t")
    response = Client().post(PREFIX + "/accounts/tokens", data={"name": "x", "days": 9999, "owner": "admin"},
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert "days" in fields and "owner" in fields  # out of range, and unknown field rejected
