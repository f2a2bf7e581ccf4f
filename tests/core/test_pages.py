"""Site-wide pages: an unknown address is the same Chinese 404 page as a refused record, with the
navigation of the signed-in user; the navigation reaches every page through the context processor."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.refusal_pages import GRID_WORKER, assert_refusal, nav_entries


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def worker(make_user):
    return make_user("nav_worker", ("grid_worker", "310101001001001"))


@pytest.mark.parametrize("url", ["/no-such-page/", "/cases/no-such-page/", "/registry/houses/x/"])
def test_an_unknown_address_is_the_404_page_with_the_navigation(worker, url):
    assert_refusal(_client(worker).get(url), 404, GRID_WORKER)


def test_an_unknown_address_for_anonymous_is_the_404_page_without_entries(db):
    body = assert_refusal(Client().get("/no-such-page/"), 404, [])
    assert 'data-testid="current-user"' not in body


def test_the_404_page_speaks_english_on_request(worker):
    r = _client(worker).get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    body = r.content.decode()
    assert r.status_code == 404 and '<html lang="en">' in body
    assert "<h1>Not found</h1>" in body and "This page or record does not exist, or is outside your jurisdiction." in body
    assert nav_entries(body) == [("/geo/map/", "Map"), ("/registry/", "Residents and houses"), ("/cases/", "Events"),
                                 ("/prevention/", "Prevention networks"), ("/desk/reminders/", "Permit renewals"),
                                 ("/quality/", "Campaigns and estimates"),
                                 ("/quality/reconcile/worklist/", "Verification worklist")]


@pytest.mark.parametrize("url", ["/", "/cases/", "/registry/", "/care/", "/safety/", "/geo/map/"])
def test_every_module_sends_anonymous_to_the_login_page(db, url):
    r = Client().get(url)
    assert r.status_code == 302 and r["Location"] == f"/accounts/login/?next={url}"


def test_home_and_module_pages_carry_the_navigation(worker):
    client = _client(worker)
    for url in ("/", "/cases/", "/registry/", "/geo/map/"):
        r = client.get(url)
        assert r.status_code == 200 and nav_entries(r.content.decode()) == GRID_WORKER, url


def test_the_login_page_has_no_navigation_entries(db):
    assert nav_entries(Client().get("/accounts/login/").content.decode()) == []
