"""The care pages refuse through the one page guard: a file outside the jurisdiction is the 404
page, a programme without its capability the 403 page, both with the navigation."""

from __future__ import annotations

from django.test import Client

from tests.refusal_pages import CARE, GRID_WORKER, MAP, POLICE, REGISTRY, assert_refusal


def test_a_file_outside_the_jurisdiction_is_the_404_page(enrol, users, client_for):
    e = enrol("mental_health", "辖区外页")
    away = client_for(users["social_worker_away"])
    assert_refusal(away.get(f"/care/mental_health/{e.pk}/"), 404, [MAP, REGISTRY, CARE])
    assert_refusal(away.get(f"/care/mental_health/{e.pk}/contact/"), 404, [MAP, REGISTRY, CARE])
    r = away.post(f"/care/mental_health/{e.pk}/contact/", {"kind": "visit", "done_on": "2026-03-02"})
    assert_refusal(r, 404, [MAP, REGISTRY, CARE])
    assert client_for(users["social_worker"]).get(f"/care/mental_health/{e.pk}/").status_code == 200


def test_a_programme_without_its_capability_is_the_403_page(enrol, users, client_for):
    e = enrol("mental_health", "无权页")
    police = client_for(users["police_officer"])  # street children only
    assert_refusal(police.get(f"/care/mental_health/{e.pk}/"), 403, POLICE)
    assert_refusal(police.get("/care/mental_health/statistics/"), 403, POLICE)
    # no care capability and no command.view at all: the caseload itself
    assert_refusal(client_for(users["grid_worker"]).get("/care/"), 403, GRID_WORKER)
    # the city administrator (command.view) is sent to the area figures instead: no files
    assert client_for(users["city_admin"]).get("/care/")["Location"] == "/care/statistics/"


def test_anonymous_is_sent_to_the_login_page(enrol):
    e = enrol("youth", "匿名页")
    r = Client().get(f"/care/youth/{e.pk}/")
    assert r.status_code == 302 and r["Location"] == f"/accounts/login/?next=/care/youth/{e.pk}/"
