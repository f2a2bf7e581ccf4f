"""Refusals read in the reader's language: the API envelope, the Open311 error array and the case
page speak zh-hans by default and English on request; the machine ``code`` never changes.

The expected texts are written here by hand (the catalogue's words, the English source)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.cases.conftest import GRID

ZH, EN = "zh-hans", "en"


def _api(user, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize("language, message, detail", [
    (ZH, "lead_department: 徐汇区城管执法局 不负责网格 310101001001001", "徐汇区城管执法局 不负责网格 310101001001001"),
    (EN, "lead_department: 徐汇区城管执法局 does not serve grid 310101001001001",
     "徐汇区城管执法局 does not serve grid 310101001001001"),
])
def test_dispatch_to_a_department_of_another_district(actors, make_case, language, message, detail):
    case = make_case("registered")
    r = _api(actors["centre"], language).post(f"/api/v1/cases/{case.pk}/transitions",
                                              {"action": "dispatch", "version": 1, "lead_department": "310104-cm"},
                                              content_type="application/json")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["message"] == message
    assert error["details"] == [{"field": "lead_department", "code": "outside_department", "message": detail}]


@pytest.mark.parametrize("language, message", [
    (ZH, "事件处于“上报”状态，不能“结案”"),
    (EN, "“close” is not possible while the case is “reported”"),
])
def test_a_transition_the_state_does_not_allow(actors, make_case, language, message):
    case = make_case("reported")
    r = _api(actors["centre"], language).post(f"/api/v1/cases/{case.pk}/transitions",
                                              {"action": "close", "version": 1}, content_type="application/json")
    assert r.status_code == 409
    assert r.json()["error"] == {"code": "invalid_transition", "message": message, "details": []}


@pytest.mark.parametrize("language, message", [
    (ZH, "该事件已被修改（当前版本 1，您提交的是 7），请刷新后重试"),
    (EN, "the case changed (version 1, you sent 7); reload it"),
])
def test_a_stale_version(actors, make_case, language, message):
    case = make_case("reported")
    r = _api(actors["centre"], language).post(f"/api/v1/cases/{case.pk}/transitions",
                                              {"action": "accept", "version": 7}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_version"
    assert r.json()["error"]["message"] == message


@pytest.mark.parametrize("language, shown, absent", [
    (ZH, "主办部门：徐汇区城管执法局 不负责网格 310101001001001", "does not serve"),
    (EN, "徐汇区城管执法局 does not serve grid 310101001001001", "不负责"),
])
def test_the_case_page_shows_the_dispatch_refusal_in_the_reader_language(actors, make_case, language, shown, absent):
    """The page names the field as staff read it (主办部门; English pages give the reason alone), the
    API by its parameter name."""
    case = make_case("registered")
    r = _api(actors["centre"], language).post(f"/cases/{case.pk}/act/",
                                              {"action": "dispatch", "version": 1, "lead_department": "310104-cm"},
                                              follow=True)
    body = r.content.decode()
    assert r.status_code == 200 and shown in body and absent not in body


@pytest.mark.parametrize("language, shown", [
    (ZH, "请填写不予受理的理由"),
    (EN, "give the reason for rejecting"),
])
def test_the_case_page_shows_a_missing_note_in_the_reader_language(actors, make_case, language, shown):
    case = make_case("reported")
    body = _api(actors["centre"], language).post(f"/cases/{case.pk}/act/", {"action": "reject", "version": 1},
                                                 follow=True).content.decode()
    assert shown in body


@pytest.mark.parametrize("language, description", [
    (ZH, "lat 和 long：须同时提供，WGS84 十进制度数"),
    (EN, "lat and long: WGS84 decimal degrees, both required"),
])
def test_open311_error_array_in_the_request_language(db, taxonomy, language, description):
    from gridgov.cases.services import open311_key_create

    _, raw = open311_key_create(name="app")
    r = Client(HTTP_ACCEPT_LANGUAGE=language).post(
        "/open311/v2/requests.json", {"api_key": raw, "service_code": "C0101", "lat": "north", "long": "121.47"})
    assert r.status_code == 400
    assert r.json() == [{"code": 400, "description": description}]


@pytest.mark.parametrize("language, message, row_message", [
    (ZH, "2 行中有 2 行未通过，未写入任何数据", "'ZZ' 不是在用的类别代码"),
    (EN, "2 of 2 rows rejected; nothing written", "'ZZ' is not an active category code"),
])
def test_a_bad_incident_import_row(make_user, language, message, row_message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    user = make_user("safety", ("district_centre", "310101"))
    csv = ("category,occurred_at,lon,lat,origin\n"
           "ZZ,2026-11-02 10:00,121.47,31.23,reported\n"
           "01,someday,121.47,31.23,报案\n").encode()
    r = _api(user, language).post("/api/v1/safety/incidents/import",
                                  {"file": SimpleUploadedFile("incidents.csv", csv, "text/csv")})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_error" and error["message"] == message
    by_field = {(d["row"], d["field"]): d for d in error["details"]}
    assert by_field[(2, "category")] == {"row": 2, "field": "category", "code": "choice", "message": row_message}
    assert by_field[(3, "occurred_at")]["code"] == "date"
    assert by_field[(3, "occurred_at")]["message"] == {
        ZH: "'someday' 不是日期时间（格式 YYYY-MM-DD HH:MM）",
        EN: "'someday' is not a date-time (YYYY-MM-DD HH:MM)"}[language]


@pytest.mark.parametrize("language, message, details", [
    (ZH, "GeoJSON 中有 2 处问题，未写入任何数据",
     ["第 0 个要素：缺少 properties.code（代码）",
      "第 1 个要素（310101001001000）：不是有效的网格代码：网格序号（第 13–15 位）为 000；须为 001–999"]),
    (EN, "2 problem(s) in the GeoJSON; nothing was written",
     ["feature 0: properties.code is missing",
      "feature 1 (310101001001000): not a valid grid code: grid sequence (digits 13-15) is 000; expected 001-999"]),
])
def test_a_geojson_import_error(make_user, language, message, details):
    square = [[[121.47, 31.23], [121.48, 31.23], [121.48, 31.24], [121.47, 31.24], [121.47, 31.23]]]
    features = [{"type": "Feature", "properties": {"name": "甲"}, "geometry": {"type": "Polygon", "coordinates": square}},
                {"type": "Feature", "properties": {"code": "310101001001000", "name": "乙"},
                 "geometry": {"type": "Polygon", "coordinates": square}}]
    user = make_user("geoadmin", ("city_admin", "31"))
    r = _api(user, language).post("/api/v1/geo/import", {"type": "FeatureCollection", "features": features},
                                  content_type="application/json")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["message"] == message
    assert [d["message"] for d in error["details"] if d["code"] in ("missing_code", "bad_code")] == details


@pytest.mark.parametrize("language, message", [
    (ZH, "缺少权限 cases.view"),
    (EN, "missing capability cases.view"),
])
def test_a_missing_capability(make_user, language, message):
    """A role without the capability is refused with its name (the code stays missing_capability)."""
    user = make_user("care_only", ("social_worker", GRID[:9]))
    r = _api(user, language).get("/api/v1/cases/")
    assert r.status_code == 403 and r.json()["error"] == {"code": "missing_capability", "message": message, "details": []}
