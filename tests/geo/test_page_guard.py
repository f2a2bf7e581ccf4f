"""The map page refuses through the one page guard: without geo.view the 403 page with the
navigation (the map has no record of its own, so no 404 of its own)."""

from __future__ import annotations

from django.test import Client

from tests.refusal_pages import EVENTS, assert_refusal


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_map_without_geo_view_is_the_403_page(make_user):
    from gridgov.accounts.models import Role

    Role.objects.create(code="events_reader", name="事件查阅", capabilities=["cases.view"])
    reader = make_user("reader", ("events_reader", "310101"))
    assert_refusal(_client(reader).get("/geo/map/"), 403, [EVENTS])
    worker = make_user("worker_m", ("grid_worker", "310101001001001"))
    assert _client(worker).get("/geo/map/").status_code == 200


def test_anonymous_is_sent_to_the_login_page(db):
    r = Client().get("/geo/map/")
    assert r.status_code == 302 and r["Location"] == "/accounts/login/?next=/geo/map/"
