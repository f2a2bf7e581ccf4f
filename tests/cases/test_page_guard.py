"""The events pages refuse through the one page guard: outside the jurisdiction the 404 page,
without the capability the 403 page, both with the navigation; anonymous -> the login page."""

from __future__ import annotations

from django.test import Client

from tests.refusal_pages import EVENTS, MAP, assert_refusal


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_a_case_outside_the_jurisdiction_is_the_404_page(actors, make_case):
    case = make_case("registered")  # in 黄浦区; far_handler sits in 徐汇区
    client = _client(actors["far_handler"])
    assert_refusal(client.get(f"/cases/{case.pk}/"), 404, [MAP, EVENTS])
    assert_refusal(client.get("/cases/w/no-such-list/"), 404, [MAP, EVENTS])
    assert _client(actors["handler"]).get(f"/cases/{case.pk}/").status_code == 200


def test_the_intake_desk_without_cases_report_is_the_403_page(actors):
    assert_refusal(_client(actors["handler"]).get("/cases/new/"), 403, [MAP, EVENTS])
    assert _client(actors["dispatcher"]).get("/cases/new/").status_code == 200


def test_a_transition_refused_for_capability_is_the_403_page(actors, make_case):
    case = make_case("reported")
    r = _client(actors["handler"]).post(f"/cases/{case.pk}/act/", {"action": "accept", "version": case.version})
    assert_refusal(r, 403, [MAP, EVENTS])


def test_anonymous_is_sent_to_the_login_page(actors, make_case):
    case = make_case("registered")
    r = Client().get(f"/cases/{case.pk}/")
    assert r.status_code == 302 and r["Location"] == f"/accounts/login/?next=/cases/{case.pk}/"
