"""API error messages are in the request's language (zh-hans by default, English on request); the
machine ``code`` and the fields never change."""

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("language, message", [("zh-hans", "未找到该人员"), ("en", "person not found")])
def test_an_absent_record_answers_in_the_request_language(make_user, language, message):
    client = Client()
    client.force_login(make_user("street_user", ("street_centre", "310101001")))
    r = client.get("/api/v1/registry/persons/999999999", HTTP_ACCEPT_LANGUAGE=language)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found" and r.json()["error"]["message"] == message


@pytest.mark.django_db
@pytest.mark.parametrize("language, message", [("zh-hans", "需要登录或提供令牌"), ("en", "authentication required")])
def test_an_anonymous_call_answers_in_the_request_language(language, message):
    r = Client().get("/api/v1/registry/persons", HTTP_ACCEPT_LANGUAGE=language)
    assert r.status_code == 401
    assert r.json()["error"] == {"code": "unauthenticated", "message": message, "details": []}
