"""A phone number typed into the register's search never stays in a URL (browser history, access
logs, the language form's "next"): it is swapped for a keyed-hash token and shown masked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.registry.services import person_register
from tests.registry.conftest import client_for

MOBILE = "13912345678"
OTHER = "13987654321"


@pytest.fixture
def people(houses, person_data):
    a = person_register(actor=None, data=person_data(1, name="王小明", phone=MOBILE), house_id=houses["a1_1"].pk)
    b = person_register(actor=None, data=person_data(2, name="赵小红", phone=OTHER), house_id=houses["a1_2"].pk)
    return a, b


@pytest.mark.parametrize("field", ["q", "phone"])
def test_a_phone_number_is_swapped_for_a_token(people, users, field):
    c = client_for(users["street_a"])
    url = reverse("registry:persons")
    r = c.get(url, {field: MOBILE, "status": "active"} if field == "phone" else {field: MOBILE})
    assert r.status_code == 302
    location = r["Location"]
    assert MOBILE not in location and "12345678" not in location
    assert "phx=" in location and "pm=139%2A%2A%2A%2A5678" in location
    page = c.get(location)
    assert page.status_code == 200
    html = page.content.decode()
    assert "王小明" in html and "赵小红" not in html  # the search still finds the person
    assert MOBILE not in html  # nor is it written back into the form, the links or the export link
    assert "139****5678" in html


def test_the_token_is_no_use_in_another_session(people, users):
    c = client_for(users["street_a"])
    location = c.get(reverse("registry:persons"), {"q": MOBILE})["Location"]
    other = client_for(users["street_a"])  # a new session: the URL from history or a log
    page = other.get(location)
    assert page.status_code == 200
    html = page.content.decode()
    assert "王小明" not in html and "赵小红" not in html and MOBILE not in html
    assert "请重新输入" in html  # zh-hans: "type the number again"


def test_a_name_or_last_four_stays_as_typed(people, users):
    c = client_for(users["street_a"])
    assert c.get(reverse("registry:persons"), {"q": "王小明"}).status_code == 200
    assert c.get(reverse("registry:persons"), {"q": "5678"}).status_code == 200
