"""Open311 publishes only what a citizen submitted through Open311 (PIPL): staff-entered cases of
every other channel stay inside; the public copy of a citizen's case has its address coarsened to
the grid, coordinates rounded to 3 decimals (about 100 m), only the status note staff wrote for the
public, and only the citizen's own photo."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.cases import services
from gridgov.cases.models import Case, CaseTask, Department
from gridgov.geo.models import Grid
from tests.cases.images import jpeg_with_gps

pytestmark = pytest.mark.urls("tests.cases.urls_open311")
BASE = "/open311/v2"
LON, LAT = 121.47368, 31.23047
HOME = "南京东路100号3室 李明家"
INTERNAL = "内部：住户李明不配合，电话13912345678"
PUBLIC = "已清理完毕"


@pytest.fixture
def api_key(city, taxonomy, departments):
    _, raw = services.open311_key_create(name="citizen app")
    return raw


def _photo(name="photo.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, jpeg_with_gps(), content_type="image/jpeg")


@pytest.fixture
def cases(api_key, actors, make_case, media):
    """One citizen case (closed by the centre with an internal and a public note, plus a staff photo)
    and one staff-entered case of every other channel with a home address and exact coordinates."""
    r = Client().post(f"{BASE}/requests.json", {"api_key": api_key, "service_code": "E0102", "lat": LAT,
                                                "long": LON, "address_string": HOME, "description": "市民报告",
                                                "media": _photo()})
    assert r.status_code == 201, r.content
    citizen = Case.objects.get(pk=int(json.loads(r.content)[0]["service_request_id"]))
    assert citizen.address == HOME and citizen.lat == LAT  # stored as typed, for staff
    citizen_photo = citizen.attachments.get()
    Case.objects.filter(pk=citizen.pk).update(state="verified")
    CaseTask.objects.create(case=citizen, grid_code=citizen.grid_code, role=CaseTask.Role.LEAD,
                            status=CaseTask.Status.DONE, department=Department.objects.get(code="310101-cm"),
                            deadline=timezone.now())
    staff_photo = services.attachment_add(actor=actors["centre"], case_id=citizen.pk, data=jpeg_with_gps())
    services.case_transition(actor=actors["centre"], case_id=citizen.pk, action="close", note=INTERNAL,
                             params={"public_note": PUBLIC})
    staff = {ch: make_case("closed", category="E0102", grid_code=citizen.grid_code, channel=ch, address=HOME,
                           lon=LON, lat=LAT, public_note=INTERNAL)
             for ch in (Case.Channel.GRID, Case.Channel.HOTLINE, Case.Channel.API)}
    return {"citizen": citizen, "citizen_photo": citizen_photo, "staff_photo": staff_photo, "staff": staff}


def _xml_rows(content):
    root = ET.fromstring(content)
    return [{child.tag: child.text for child in el} for el in root.findall("request")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_only_citizen_cases_are_published_with_every_field_coarsened(cases, fmt):
    citizen = cases["citizen"]
    grid_name = Grid.objects.get(code=citizen.grid_code).name
    photo_url = f"http://testserver{BASE}/media/{cases['citizen_photo'].public_token}.jpg"
    r = Client().get(f"{BASE}/requests.{fmt}")
    assert r.status_code == 200
    rows = json.loads(r.content) if fmt == "json" else _xml_rows(r.content)
    assert [row["service_request_id"] for row in rows] == [str(citizen.pk)]
    row = rows[0]
    citizen.refresh_from_db()
    expected = {
        "service_request_id": str(citizen.pk), "status": "closed", "status_notes": f"已结案 Closed: {PUBLIC}",
        "service_name": "暴露垃圾", "service_code": "E0102", "description": "市民报告",
        "agency_responsible": "黄浦区城管执法局", "service_notice": "",
        "requested_datetime": timezone.localtime(citizen.reported_at).isoformat(timespec="seconds"),
        "updated_datetime": timezone.localtime(citizen.closed_at).isoformat(timespec="seconds"),
        "expected_datetime": None, "address": grid_name, "address_id": citizen.grid_code, "zipcode": "",
        "lat": 31.23, "long": 121.474, "media_url": photo_url,
    }
    if fmt == "xml":  # XML carries text: numbers as written, an empty element for null
        expected = {k: ("" if v is None else str(v)) for k, v in expected.items()}
        row = {k: (v or "") for k, v in row.items()}
    assert row == expected
    body = r.content.decode()
    for secret in (HOME, "南京东路100号", INTERNAL, "13912345678", "内部", cases["staff_photo"].public_token,
                   "31.23047", "121.47368"):
        assert secret not in body


def test_extensions_show_no_internal_note_or_staff_photo(cases):
    citizen = cases["citizen"]
    r = Client().get(f"{BASE}/requests/{citizen.pk}.json", {"extensions": "true"})
    assert r.status_code == 200
    obj = json.loads(r.content)[0]
    assert obj["extended_attributes"]["photos"] == [
        f"http://testserver{BASE}/media/{cases['citizen_photo'].public_token}.jpg"]
    close = [n for n in obj["notes"] if n["type"] == "close"]
    assert [n["description"] for n in close] == [f"已结案 Closed: {PUBLIC}"]
    assert INTERNAL not in r.content.decode() and "内部" not in r.content.decode()
    # the staff photo is not served publicly either
    staff = cases["staff_photo"]
    assert Client().get(f"{BASE}/media/{staff.public_token}.jpg").status_code == 404
    assert Client().get(f"{BASE}/media/{cases['citizen_photo'].public_token}.jpg").status_code == 200


@pytest.mark.parametrize("channel", ["grid", "hotline", "api"])
def test_staff_channels_are_never_published(cases, channel):
    case = cases["staff"][channel]
    r = Client().get(f"{BASE}/requests/{case.pk}.json")
    assert r.status_code == 404
    r = Client().get(f"{BASE}/requests.json", {"service_request_id": str(case.pk)})
    assert r.status_code == 200 and json.loads(r.content) == []


def test_closing_without_a_public_note_publishes_only_the_status(api_key, actors, make_case):
    case = make_case("verified", category="E0102", channel="open311", lead="310101-cm", address=HOME)
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="close", note=INTERNAL)
    case.refresh_from_db()
    assert case.public_note == ""
    r = Client().get(f"{BASE}/requests/{case.pk}.json")
    assert json.loads(r.content)[0]["status_notes"] == "已结案 Closed"
    assert "内部" not in r.content.decode()


STAFF_TEXT = "热线来电：王芳（13812345678）反映南京东路100号门口垃圾"


@pytest.fixture
def staff_case(cases, actors, make_case):
    """A hotline case in 暴露垃圾 (E0102): typed by the operator with the caller's name, phone and home
    address and exact coordinates, a staff photo, closed with a public note written on purpose."""
    citizen = cases["citizen"]
    case = make_case("verified", category="E0102", grid_code=citizen.grid_code, channel=Case.Channel.HOTLINE,
                     lead="310101-cm", address=HOME, lon=LON, lat=LAT, caller_name="王芳",
                     caller_phone="13812345678")
    Case.objects.filter(pk=case.pk).update(description=STAFF_TEXT)
    photo = services.attachment_add(actor=actors["centre"], case_id=case.pk, data=jpeg_with_gps())
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="close", note=INTERNAL,
                             params={"public_note": PUBLIC})
    case.refresh_from_db()
    return case, photo


def _published_ids(fmt="json") -> list[str]:
    r = Client().get(f"{BASE}/requests.{fmt}")
    assert r.status_code == 200
    rows = json.loads(r.content) if fmt == "json" else _xml_rows(r.content)
    return sorted(row["service_request_id"] for row in rows)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_public_category_publishes_staff_cases_coarsened_like_citizens(cases, staff_case, fmt):
    """The centre marks 暴露垃圾 公开 (publish_staff_reports): the cases staff entered in it are listed
    too, with the grid for the address, coordinates to 3 decimals, the category's name for the
    description (the operator's text names the caller), the public note, and no photo."""
    from gridgov.cases.models import Category

    case, photo = staff_case
    citizen = cases["citizen"]
    assert _published_ids(fmt) == [str(citizen.pk)]  # not until the centre says so
    assert Client().get(f"{BASE}/requests/{case.pk}.{fmt}").status_code == 404
    Category.objects.filter(code="E0102").update(publish_staff_reports=True)
    # every staff channel of that category; none of another category
    staff_ids = [str(c.pk) for c in cases["staff"].values()]
    assert _published_ids(fmt) == sorted([str(citizen.pk), str(case.pk), *staff_ids])
    r = Client().get(f"{BASE}/requests/{case.pk}.{fmt}", {"extensions": "true"})
    assert r.status_code == 200
    row = json.loads(r.content)[0] if fmt == "json" else _xml_rows(r.content)[0]
    expected = {
        "service_request_id": str(case.pk), "status": "closed", "status_notes": f"已结案 Closed: {PUBLIC}",
        "service_name": "暴露垃圾", "service_code": "E0102", "description": "暴露垃圾",
        "agency_responsible": "黄浦区城管执法局", "service_notice": "",
        "requested_datetime": timezone.localtime(case.reported_at).isoformat(timespec="seconds"),
        "updated_datetime": timezone.localtime(case.closed_at).isoformat(timespec="seconds"),
        "expected_datetime": None, "address": Grid.objects.get(code=case.grid_code).name,
        "address_id": case.grid_code, "zipcode": "", "lat": 31.23, "long": 121.474, "media_url": "",
    }
    if fmt == "json":
        assert row.pop("extended_attributes")["photos"] == []
        assert [n["description"] for n in row.pop("notes") if n["type"] == "close"] == [f"已结案 Closed: {PUBLIC}"]
        assert row == expected
    else:
        shown = {k: (v or "") for k, v in row.items() if k in expected}
        assert shown == {k: ("" if v is None else str(v)) for k, v in expected.items()}
    body = r.content.decode()
    for secret in (HOME, "南京东路100号", STAFF_TEXT, "王芳", "13812345678", INTERNAL, "内部", photo.public_token,
                   "31.23047", "121.47368"):
        assert secret not in body, secret
    assert Client().get(f"{BASE}/media/{photo.public_token}.jpg").status_code == 404


def test_the_flag_publishes_nothing_of_a_category_citizens_are_not_offered(cases, make_case):
    """公开 on a 小类 that is not public in Open311 (a dispute, a hazard) lists nothing."""
    from gridgov.cases.models import Category

    hidden = Category.objects.filter(parent__isnull=False, public=False).order_by("code").first()
    assert hidden is not None
    Category.objects.filter(pk=hidden.pk).update(publish_staff_reports=True)
    case = make_case("closed", category=hidden.code, channel=Case.Channel.GRID, public_note=PUBLIC)
    assert str(case.pk) not in _published_ids()
    assert Client().get(f"{BASE}/requests/{case.pk}.json").status_code == 404
