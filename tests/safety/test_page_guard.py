"""The safety pages refuse through the one page guard: an area outside the jurisdiction is the 404
page, a user without safety.view gets the 403 page, both with the navigation."""

from __future__ import annotations

from django.test import Client

from tests.refusal_pages import GRID_WORKER, POLICE, assert_refusal


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_a_trend_outside_the_jurisdiction_is_the_404_page(make_user):
    police = _client(make_user("police_p", ("police_officer", "310101")))
    assert_refusal(police.get("/safety/trend/?area=320101&category=02"), 404, POLICE)
    assert_refusal(police.post("/safety/warnings/999999/action/", {"action": "acknowledge", "version": "1"}),
                   404, POLICE)


def test_the_situation_without_safety_view_is_the_403_page(make_user):
    worker = _client(make_user("worker_p", ("grid_worker", "310101001001001")))
    assert_refusal(worker.get("/safety/"), 403, GRID_WORKER)
    assert_refusal(worker.get("/safety/briefing/"), 403, GRID_WORKER)


def test_anonymous_is_sent_to_the_login_page(db):
    r = Client().get("/safety/warnings/")
    assert r.status_code == 302 and r["Location"] == "/accounts/login/?next=/safety/warnings/"
