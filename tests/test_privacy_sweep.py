"""A sweep over the whole demo: for every demo role, every API GET operation without path
parameters and every page of the navigation answers without a server error, and no body ever
contains a full 18-character identity number or an 11-digit mobile number."""

import re

import pytest
from django.test import Client

from gridgov.api import api

ID18 = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
USCC_KEY = re.compile(r'"uscc": "$|统一社会信用代码[^<]{0,40}$')


def _identity_numbers(body: str) -> list[str]:
    """18-character strings that ARE valid identity numbers (organisations' public USCC codes,
    which can look alike, are not personal data and are skipped by their key)."""
    from gridgov.core.errors import FieldError
    from gridgov.core.idnumber import validate_identity_number

    found = []
    for m in ID18.finditer(body):
        if USCC_KEY.search(body[max(0, m.start() - 60):m.start()]):
            continue
        try:
            validate_identity_number(m.group())
        except FieldError:
            continue
        found.append(m.group())
    return found
# A mobile number as a value: a whole JSON string or a whole text node (a JSON integer such as a
# count or a size that happens to have 11 digits is not a phone number).
MOBILE = re.compile(r'(?<=["> ])1[3-9]\d{9}(?=["<\s])')


def _list_operations():
    schema = api.get_openapi_schema(path_prefix="")
    out = []
    for path, methods in schema["paths"].items():
        if "{" in path or "get" not in methods:
            continue
        required = [p for p in methods["get"].get("parameters", []) if p.get("required")]
        if not required:
            out.append(path)
    return sorted(out)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo city, committed for this module and removed afterwards: tests in other modules
    count rows of an otherwise empty database."""
    from gridgov.demo.loaders import DEMO_USERS, load_all, reset_all

    with django_db_blocker.unblock():
        load_all(scale="tiny", seed=1, force=True)
    yield DEMO_USERS
    with django_db_blocker.unblock():
        reset_all(users=True)


def test_there_are_operations_to_sweep():
    assert len(_list_operations()) >= 15


@pytest.mark.django_db
def test_no_full_identity_or_phone_number_in_any_response(demo):
    from gridgov.accounts.models import User
    from gridgov.navigation import flat, navigation_for

    checked = 0
    for role, username in demo.items():
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        urls = ["/api/v1" + p for p in _list_operations()] + ["/"] + [n["url"] for n in flat(navigation_for(user))]
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, (role, url, response.status_code)
            if response.status_code == 200 and response.get("Content-Type", "").startswith(("application", "text")):
                body = response.content.decode("utf-8", errors="replace")
                assert not _identity_numbers(body), (role, url, _identity_numbers(body))
                assert not MOBILE.search(body), (role, url, MOBILE.search(body).group())
                checked += 1
    assert checked >= 50


def test_the_detector_finds_a_leak_and_skips_public_uscc_codes():
    assert _identity_numbers('{"identity_number": "11010519491231002X"}') == ["11010519491231002X"]
    assert _identity_numbers('{"identity_number": "110105********002X"}') == []
    assert MOBILE.search('{"phone": "13812345678"}') and not MOBILE.search('{"phone": "138****5678"}')
    assert MOBILE.search("<td>13812345678</td>") and not MOBILE.search('{"bytes": 14040471498, "n": 1}')
