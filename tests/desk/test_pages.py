"""The desk's pages and API: who sees what (403/404), the intake in one post, zh-hans words."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from .conftest import FAR, GRID

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_desk_officer_receives_in_one_post_and_closes(users, person):
    from gridgov.desk.models import DeskRequest

    p = person("陈一")
    c = _client(users["desk"])
    home = c.get("/desk/?q=陈一")
    assert home.status_code == 200
    body = home.content.decode()
    assert "一站式窗口" in body and f"?person={p.pk}" in body and "13812345678" not in body
    r = c.post("/desk/receive/", {"person_id": p.pk, "channel": "in_person", "kind": "question",
                                  "text": "居住证怎么办", "answer": "带身份证和租房合同到窗口"})
    req = DeskRequest.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/desk/requests/{req.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert req.receipt in page and "当场答复" in page and "已办结" in page


def test_bad_intake_shows_a_specific_error_and_writes_nothing(users, person):
    from gridgov.desk.models import DeskRequest

    c = _client(users["desk"])
    r = c.post("/desk/receive/", {"person_id": person("陈二").pk, "channel": "in_person", "kind": "residence",
                                  "text": "居住登记", "house_code": "NOPE"}, follow=True)
    assert "您的辖区内没有该编码的房屋" in r.content.decode()
    assert DeskRequest.objects.count() == 0


def test_page_access(users, person):
    from gridgov.desk import services

    req = services.request_receive(actor=users["desk"], channel="in_person", kind="problem", text="噪音扰民",
                                   category_code="E0101", person_id=person("陈三").pk)
    for url in ["/desk/", f"/desk/requests/{req.pk}/", "/desk/permits/", "/desk/reminders/", "/desk/referrals/",
                "/desk/projects/"]:
        assert _client(users["desk"]).get(url).status_code == 200, url
        assert _client(users["street"]).get(url).status_code == 200, url
    assert _client(users["grid"]).get("/desk/reminders/").status_code == 200
    assert _client(users["grid"]).get("/desk/").status_code == 403
    assert _client(users["grid"]).get("/desk/permits/").status_code == 403
    assert _client(users["far_desk"]).get(f"/desk/requests/{req.pk}/").status_code == 404
    nav = _client(users["desk"]).get("/desk/").content.decode()
    assert 'href="/desk/"' in nav and 'href="/desk/reminders/"' in nav


def test_api_receive_and_read(users, person):
    c = _client(users["desk"])
    p = person("陈四")
    r = c.post("/api/v1/desk/requests", data=json.dumps({
        "channel": "phone", "kind": "problem", "text": "小区路灯不亮", "category_code": "E0101", "person_id": p.pk}),
        content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["route"] == "case" and body["case_id"] and body["receipt"].startswith("SL")
    detail = c.get(f"/api/v1/desk/requests/{body['id']}").json()
    assert [e["label"] for e in detail["timeline"]][:2] == ["窗口受理", "分流至：事件"]
    assert "13812345678" not in json.dumps(detail)
    outside = c.post("/api/v1/desk/requests", data=json.dumps({
        "channel": "in_person", "kind": "problem", "text": "x", "visitor_name": "某", "grid_code": FAR}),
        content_type="application/json")
    assert outside.status_code == 403
    bad = c.post("/api/v1/desk/requests", data=json.dumps({
        "channel": "phone", "kind": "problem", "text": "x", "visitor_name": "某", "grid_code": GRID}),
        content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "visitor_phone"
    assert _client(users["grid"]).get("/api/v1/desk/requests").status_code == 403
    assert c.get("/api/v1/desk/figures").json()["received_today"] == 1
    assert _client(users["grid"]).get("/api/v1/desk/reminders").status_code == 200
