"""A NUL character in a query parameter or a JSON string is refused with 400 before any view runs
(PostgreSQL text cannot hold it; found by the API fuzz test on PostgreSQL: a 500 in an export)."""

import json

import pytest
from django.test import Client


@pytest.fixture
def district(make_user):
    client = Client()
    client.force_login(make_user("district_nul", ("district_centre", "310101")))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/registry/houses/export.xlsx?q=a%00b", "/api/v1/registry/persons?q=%00",
                                 "/api/v1/cases/?q=x&grid%00=1"])
def test_nul_in_a_query_parameter_is_400_with_the_envelope(district, url):
    r = district.get(url)
    assert r.status_code == 400, (url, r.status_code)
    body = r.json()["error"]
    assert body["code"] == "invalid" and "NUL" in body["message"] and body["details"][0]["code"] == "nul"


@pytest.mark.django_db
def test_nul_in_a_json_string_is_400_but_an_escaped_backslash_is_text(district):
    bad = district.post("/api/v1/registry/persons", data=json.dumps({"name": "张\u0000三"}),
                        content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["field"] == "body"
    # the six characters \u0000 as text (an escaped backslash) are not a NUL: the view answers (422 here)
    text = district.post("/api/v1/registry/persons", data=json.dumps({"name": "\\u0000"}),
                         content_type="application/json")
    assert text.status_code not in (400, 500) and text.json()["error"]["details"][0]["code"] != "nul"


@pytest.mark.django_db
def test_pages_and_open311_answer_in_their_own_form(district):
    page = district.get("/registry/?q=%00")
    assert page.status_code == 400 and b"NUL" in page.content
    r = Client().get("/open311/v2/requests.json?status=open%00")
    assert r.status_code == 400 and r.json()[0]["code"] == 400 and "NUL" in r.json()[0]["description"]
