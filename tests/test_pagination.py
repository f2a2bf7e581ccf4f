"""An absurd ?offset= is a 422 naming the field, never a 500 (SQLite's integers overflowed)."""

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("role,url", [("auditor", "/api/v1/accounts/audit"),
                                      ("district_centre", "/api/v1/safety/warnings"),
                                      ("district_centre", "/api/v1/registry/persons")])
def test_huge_offset_is_rejected_not_a_server_error(make_user, role, url):
    client = Client()
    client.force_login(make_user("p", (role, "310101")))
    assert client.get(url + "?offset=5").status_code == 200
    response = client.get(url + "?offset=2362370051136909710341993136128")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "offset"
