"""Issue 15, finding 14: an unknown path under /api/v1/ answers the JSON error envelope 404 (not
Django's HTML page), signed in or not; under /open311/ the GeoReport error array; elsewhere the
site's 404 page as before."""

from __future__ import annotations

import json

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/registry/persons/abc/nope", "/api/v1/",
                                  "/api/v2/cases"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_unknown_api_path_answers_the_envelope(path, signed_in, make_user):
    client = Client()
    if signed_in:
        client.force_login(make_user("someone", ("district_centre", "310101")))
    r = client.get(path)
    assert r.status_code == 404
    assert r["Content-Type"].startswith("application/json")
    assert r.json() == {"error": {"code": "not_found", "message": "not found", "details": []}}


@pytest.mark.django_db
@pytest.mark.parametrize("path, fmt", [("/open311/v2/nothing.json", "json"), ("/open311/v2/nothing.xml", "xml"),
                                       ("/open311/v2/nothing", "json")])
def test_unknown_open311_path_answers_the_error_array(path, fmt):
    r = Client().get(path)
    assert r.status_code == 404
    if fmt == "json":
        body = json.loads(r.content)
        assert [e["code"] for e in body] == [404]
    else:
        assert b"<errors><error><code>404</code>" in r.content


@pytest.mark.django_db
def test_unknown_page_is_still_the_html_page():
    r = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")
