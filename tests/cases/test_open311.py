"""Open311 GeoReport v2: every endpoint in JSON and XML, the spec's fields and its error array."""

from __future__ import annotations

import json
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.cases import services
from gridgov.cases.models import Case
from tests.cases.conftest import PEOPLES_SQUARE
from tests.cases.images import has_gps, jpeg_with_gps

pytestmark = pytest.mark.urls("tests.cases.urls_open311")
LON, LAT = PEOPLES_SQUARE
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
BASE = "/open311/v2"


@pytest.fixture
def api_key(city, taxonomy, departments):
    _, raw = services.open311_key_create(name="citizen app")
    return raw


def get(path, fmt="json", **params):
    response = Client().get(f"{BASE}/{path}.{fmt}", params)
    return response, _parse(response, fmt)


def post(fmt="json", files=None, **data):
    response = Client().post(f"{BASE}/requests.{fmt}", {**data, **(files or {})})
    return response, _parse(response, fmt)


def _parse(response, fmt):
    if response.get("Content-Type", "").startswith("image/"):
        return None
    if fmt == "json":
        return json.loads(response.content)
    return ET.fromstring(response.content)


def _xml_items(root, item):
    return [{child.tag: child for child in el} for el in root.findall(item)]


def _assert_error(response, parsed, fmt, status):
    assert response.status_code == status
    if fmt == "json":
        assert isinstance(parsed, list) and set(parsed[0]) == {"code", "description"} and parsed[0]["description"]
    else:
        assert parsed.tag == "errors"
        error = parsed.find("error")
        assert error.find("code").text and error.find("description").text


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_and_service_list(api_key, fmt):
    r, body = get("discovery", fmt)
    assert r.status_code == 200
    if fmt == "json":
        assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    else:
        assert body.tag == "discovery" and body.find("endpoints/endpoint/formats/format").text == "text/xml"
    r, body = get("services", fmt)
    assert r.status_code == 200
    if fmt == "json":
        services_ = body
        assert all(set(s) == SERVICE_FIELDS for s in services_)
        codes = {s["service_code"] for s in services_}
        cover = next(s for s in services_ if s["service_code"] == "C0101")
        assert cover["metadata"] is True and cover["type"] == "realtime"
    else:
        assert body.tag == "services"
        items = _xml_items(body, "service")
        assert all(set(i) == SERVICE_FIELDS for i in items)
        codes = {i["service_code"].text for i in items}
    assert "E0102" in codes
    assert not any(c.startswith(("D", "H")) for c in codes)  # disputes and hazards are not public


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_and_unknown_service(api_key, fmt):
    r, body = get("services/C0101", fmt)
    assert r.status_code == 200
    if fmt == "json":
        attr = body["attributes"][0]
        assert body["service_code"] == "C0101"
        assert {"variable", "code", "datatype", "required", "datatype_description", "order", "description",
                "values"} <= set(attr)
        assert attr["datatype"] == "singlevaluelist" and {"key", "name"} == set(attr["values"][0])
    else:
        assert body.tag == "service_definition"
        assert body.find("attributes/attribute/values/value/key").text == "missing"
    r, body = get("services/NOPE", fmt)
    _assert_error(r, body, fmt, 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_request_then_read_it_back(api_key, fmt, media):
    r, body = post(fmt, api_key=api_key, service_code="C0101", lat=LAT, long=LON, description="井盖<b>缺失</b>",
                   first_name="明", last_name="李", phone="13912345678", **{"attribute[defect]": "missing"},
                   files={"media": _upload()})
    assert r.status_code == 201, r.content
    if fmt == "json":
        request_id, token = body[0]["service_request_id"], body[0]["token"]
        assert set(body[0]) == {"service_request_id", "token", "service_notice", "account_id"}
    else:
        request_id, token = body.find("request/service_request_id").text, body.find("request/token").text
    case = Case.objects.get(pk=int(request_id))
    assert case.channel == "open311" and case.description == "井盖缺失" and case.attributes == {"defect": "missing"}
    assert case.caller_phone == "13912345678"
    r, detail = get(f"requests/{request_id}", fmt)
    assert r.status_code == 200
    if fmt == "json":
        obj = detail[0]
        assert set(obj) == REQUEST_FIELDS
        assert obj["status"] == "open" and obj["service_code"] == "C0101" and obj["lat"] == round(LAT, 3)
        assert obj["requested_datetime"].endswith("+08:00") and obj["address_id"] == case.grid_code
        media_url = obj["media_url"]
    else:
        obj = {el.tag: el.text for el in detail.find("request")}
        assert set(obj) == REQUEST_FIELDS and obj["status"] == "open"
        media_url = obj["media_url"]
    assert "13912345678" not in r.content.decode() and "李" not in r.content.decode()
    # the public photo has no location metadata; the original kept for staff still has it
    photo = Client().get(media_url.replace("http://testserver", ""))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert not has_gps(b"".join(photo.streaming_content))
    original = (services.media_root() / case.attachments.get().path).read_bytes()
    assert has_gps(original)
    r, tok = get(f"tokens/{token}", fmt)
    if fmt == "json":
        assert tok == [{"service_request_id": request_id, "token": token}]
    else:
        assert tok.find("request/service_request_id").text == request_id


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_errors(api_key, fmt):
    good = {"service_code": "E0102", "lat": LAT, "long": LON, "description": "垃圾"}
    _assert_error(*post(fmt, **good), fmt, 403)                       # no api_key
    _assert_error(*post(fmt, api_key="o311_wrong", **good), fmt, 403)
    _assert_error(*post(fmt, api_key=api_key, **{**good, "service_code": "ZZZ"}), fmt, 404)
    _assert_error(*post(fmt, api_key=api_key, service_code="E0102", description="x"), fmt, 400)  # no location
    _assert_error(*post(fmt, api_key=api_key, **{**good, "lat": "30.0", "long": "100.0"}), fmt, 400)  # no grid
    _assert_error(*post(fmt, api_key=api_key, **{**good, "service_code": "C0101"}), fmt, 400)  # required attribute
    _assert_error(*post(fmt, api_key=api_key, **{**good, "description": "x" * 4001}), fmt, 400)
    _assert_error(*post(fmt, api_key=api_key, **{**good, "jurisdiction_id": "elsewhere"}), fmt, 404)
    r, _ = get("requests/999999", fmt)
    assert r.status_code == 404
    _assert_error(*get("requests/999999", fmt), fmt, 404)
    _assert_error(*get("tokens/0b7a8a1e-0000-4000-8000-000000000000", fmt), fmt, 404)
    assert Case.objects.count() == 0


def test_address_id_and_address_string(api_key, city):
    grid = city["grid_worker"][0][0]
    r, body = post(api_key=api_key, service_code="E0102", address_id=grid, description="x")
    assert r.status_code == 201 and Case.objects.get(pk=int(body[0]["service_request_id"])).grid_code == grid
    r, body = post(api_key=api_key, service_code="E0102", address_string="人民广场东侧某处", description="x")
    assert r.status_code == 400 and "请提供 lat 和 long" in body[0]["description"]


def test_request_list_filters_window_paging_and_privacy(api_key, actors, make_case):
    closed_ = make_case("closed", category="E0102", public_note="已清理", channel="open311")
    Case.objects.filter(pk=closed_.pk).update(closed_at=timezone.now())
    staff = make_case("closed", category="E0102", public_note="已清理")
    Case.objects.filter(pk=staff.pk).update(closed_at=timezone.now(), description="张三家门口，电话13912345678")
    dispute = make_case("reported", category="D0201", channel="open311")
    old = make_case("reported", category="E0102", channel="open311")
    Case.objects.filter(pk=old.pk).update(reported_at=timezone.now() - timedelta(days=120))
    for _ in range(3):
        post(api_key=api_key, service_code="E0102", lat=LAT, long=LON, description="市民报告")
    r, rows = get("requests")
    ids = {int(x["service_request_id"]) for x in rows}
    assert closed_.pk in ids and dispute.pk not in ids and old.pk not in ids and len(rows) == 4
    assert staff.pk not in ids  # a staff-entered case is not published
    closed = next(x for x in rows if int(x["service_request_id"]) == closed_.pk)
    assert closed["status"] == "closed" and closed["status_notes"].endswith("已清理")
    assert "13912345678" not in r.content.decode()
    _, rows = get("requests", status="open")
    assert {x["status"] for x in rows} == {"open"} and len(rows) == 3
    _, rows = get("requests", service_request_id=f"{old.pk},{dispute.pk}")
    assert [int(x["service_request_id"]) for x in rows] == [old.pk]  # ids override the window; never disputes
    _, page1 = get("requests", page=1, page_size=3)
    _, page2 = get("requests", page=2, page_size=3)
    assert len(page1) == 3 and len(page2) == 1
    now = timezone.now()
    r, body = get("requests", start_date=(now - timedelta(days=100)).isoformat(), end_date=now.isoformat())
    _assert_error(r, body, "json", 400)
    r, body = get("requests", start_date="2025-10-01T00:00:00")  # no timezone
    _assert_error(r, body, "json", 400)
    r, body = get("requests", status="pending", fmt="xml")
    _assert_error(r, body, "xml", 400)
    _, ext = get("requests", extensions="true", service_request_id=str(closed_.pk))
    assert "notes" in ext[0] and ext[0]["extended_attributes"]["state"] == "closed"


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.jpg", jpeg_with_gps(), content_type="image/jpeg")


def test_open311_key_cli(db, capsys):
    from gridgov import cli
    from gridgov.cases import selectors

    assert cli.main(["open311-key", "create", "partner"]) == 0
    raw = capsys.readouterr().out.strip()
    key = selectors.open311_key_lookup(raw)
    assert raw.startswith("o311_") and key is not None and key.name == "partner"
    assert cli.main(["open311-key", "revoke", str(key.pk)]) == 0
    assert selectors.open311_key_lookup(raw) is None


def test_after_a_reopen_no_finished_department_or_old_deadline_is_shown(api_key, actors, make_case):
    case = make_case("closed", category="E0102", lead="310101-cm", channel="open311")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now())
    _, rows = get("requests", service_request_id=str(case.pk))
    assert rows[0]["status"] == "closed" and rows[0]["agency_responsible"] == "黄浦区城管执法局"
    assert rows[0]["expected_datetime"] is None
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="reopen", note="市民反映未处理完")
    _, rows = get("requests", service_request_id=str(case.pk))
    assert rows[0]["status"] == "open"
    assert rows[0]["agency_responsible"] == "" and rows[0]["expected_datetime"] is None  # waits for dispatch
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                             params={"lead_department": "310101-gs"})
    task = case.tasks.get(status="open")
    _, rows = get("requests", service_request_id=str(case.pk))
    assert rows[0]["agency_responsible"] == "黄浦区绿化市容局"
    assert rows[0]["expected_datetime"] == timezone.localtime(task.deadline).isoformat()  # +08:00


def test_a_date_only_start_date_is_the_start_of_that_day(api_key, make_case):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    sh = ZoneInfo("Asia/Shanghai")
    inside = make_case("reported", category="E0102", channel="open311")
    before = make_case("reported", category="E0102", channel="open311")
    after = make_case("reported", category="E0102", channel="open311")
    Case.objects.filter(pk=inside.pk).update(reported_at=datetime(2026, 11, 1, 0, 30, tzinfo=sh))
    Case.objects.filter(pk=before.pk).update(reported_at=datetime(2026, 10, 31, 23, 30, tzinfo=sh))
    Case.objects.filter(pk=after.pk).update(reported_at=datetime(2026, 11, 3, 0, 30, tzinfo=sh))
    r, rows = get("requests", start_date="2026-11-01", end_date="2026-11-02")
    assert r.status_code == 200
    assert {int(x["service_request_id"]) for x in rows} == {inside.pk}
    r, body = get("requests", start_date="2026-11-31")
    _assert_error(r, body, "json", 400)
    assert "start_date" in body[0]["description"]
