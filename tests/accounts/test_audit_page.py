"""The auditor's page: /audit/ filters the trail (time in Beijing time, actor, action, object type and
id, outcome), paginates, exports CSV (itself audited); 403 without audit.view; scoped by jurisdiction."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from gridgov.core.models import AuditEvent

SH = ZoneInfo("Asia/Shanghai")
RANGE = {"since": "2026-11-30", "until": "2026-12-02"}

# key: (local time, actor, role, jurisdiction, action, object type, object id, outcome, reason)
ROWS = {
    "a": ((2026, 11, 30, 23, 30), "street", "street_centre", "310101001", "READ", "registry.person", "17",
          "success", ""),
    "b": ((2026, 12, 1, 0, 30), "street", "street_centre", "310101001", "REVEAL", "registry.person", "17",
          "success", "协查核实"),
    "c": ((2026, 12, 1, 9, 0), "district", "district_centre", "310101", "EXPORT", "registry.persons", "xlsx",
          "success", ""),
    "d": ((2026, 12, 1, 10, 0), "ghost", "", "", "LOGIN_FAILED", "user", "", "failure", ""),
    "e": ((2026, 12, 2, 11, 0), "police", "police_officer", "310104", "TRANSITION", "case", "5", "success", ""),
    "f": ((2026, 12, 2, 12, 0), "street", "street_centre", "310101001", "IMPORT", "registry.persons", "p.csv",
          "failure", "=HYPERLINK(\"x\")"),
}


@pytest.fixture
def trail(db):
    out = {}
    for key, (t, actor, role, jur, action, otype, oid, outcome, reason) in ROWS.items():
        out[key] = AuditEvent.objects.create(
            at=datetime(*t, tzinfo=SH), actor_username=actor, role=role, jurisdiction=jur, action=action,
            object_type=otype, object_id=oid, outcome=outcome, reason=reason).pk
    return out


@pytest.fixture
def people(make_user):
    return {
        "auditor": make_user("auditor", ("auditor", "31")),
        "auditor_huangpu": make_user("auditor_hp", ("auditor", "310101")),
        "street": make_user("street", ("street_centre", "310101001")),
    }


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _keys(response, trail):
    by_pk = {pk: key for key, pk in trail.items()}
    return [by_pk.get(r["id"], "?") for r in response.context["rows"]]


@pytest.mark.parametrize("filters,expected", [
    ({}, ["f", "e", "d", "c", "b", "a"]),
    ({"since": "2026-12-01", "until": "2026-12-02"}, ["f", "e", "d", "c", "b"]),  # 00:30 Beijing is 16:30 UTC the day before
    ({"since": "2026-11-01", "until": "2026-11-30"}, ["a"]),
    ({"since": "2026-12-02", "until": "2026-12-02"}, ["f", "e"]),
    ({"action": "REVEAL"}, ["b"]),
    ({"actor": "STREET"}, ["f", "b", "a"]),
    ({"object_type": "registry.person", "object_id": "17"}, ["b", "a"]),
    ({"object_type": "registry.persons"}, ["f", "c"]),
    ({"outcome": "failure"}, ["f", "d"]),
    ({"actor": "street", "outcome": "failure", "action": "IMPORT"}, ["f"]),
    ({"action": "DELETE"}, []),
])
def test_filters_return_exactly_the_expected_rows(trail, people, filters, expected):
    query = {**RANGE, **filters}
    response = _client(people["auditor"]).get("/audit/", query)
    assert response.status_code == 200
    assert _keys(response, trail) == expected


def test_auditor_of_a_district_sees_only_its_rows(trail, people):
    response = _client(people["auditor_huangpu"]).get("/audit/", RANGE)
    assert _keys(response, trail) == ["f", "c", "b", "a"]  # not 310104, not the rows without a jurisdiction


def test_page_is_chinese_with_local_times_and_names(trail, people):
    body = _client(people["auditor"]).get("/audit/", {**RANGE, "action": "REVEAL"}).content.decode()
    assert "审计日志" in body
    assert "2026-12-01 00:30:00" in body  # Beijing time, not 2026-11-30 16:30 UTC
    assert "查看原号" in body and "实有人口" in body and "街镇综治中心" in body and "协查核实" in body
    assert '<td class="audit-nowrap" title="REVEAL">查看原号</td>' in body  # the code only on hover
    assert "no audit rows" not in body.lower()


@pytest.mark.parametrize("query,field", [
    ({"since": "2026-13-01"}, "since"),
    ({"since": "2026-12-02", "until": "2026-12-01"}, "until"),
    ({"action": "FROBNICATE"}, "action"),
    ({"outcome": "maybe"}, "outcome"),
])
def test_bad_filter_answers_400_naming_the_field(trail, people, query, field):
    response = _client(people["auditor"]).get("/audit/", query)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-testid="audit-error-{field}"' in body and response.context["rows"] == []
    export = _client(people["auditor"]).get("/audit/export.csv", query)
    assert export.status_code == 400 and not AuditEvent.objects.filter(action="EXPORT", object_type="audit").exists()


def test_pagination_fifty_rows_a_page(db, people):
    for i in range(55):
        AuditEvent.objects.create(at=datetime(2026, 11, 1, 8, 0, i, tzinfo=SH), actor_username="bulk", action="READ",
                                  object_type="case", object_id=str(i), jurisdiction="310101")
    c = _client(people["auditor"])
    first = c.get("/audit/", {"actor": "bulk"})
    assert [r["object_id"] for r in first.context["rows"]] == [str(i) for i in range(54, 4, -1)]
    assert 'data-testid="audit-next"' in first.content.decode()
    second = c.get("/audit/", {"actor": "bulk", "offset": "50"})
    assert [r["object_id"] for r in second.context["rows"]] == ["4", "3", "2", "1", "0"]
    assert 'data-testid="audit-next"' not in second.content.decode()


def test_export_holds_the_filtered_rows_and_is_audited(trail, people):
    c = _client(people["auditor"])
    response = c.get("/audit/export.csv", {**RANGE, "actor": "street"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:8] == ["时间（北京时间）", "用户名", "用户", "角色", "辖区代码", "辖区", "操作", "操作代码"]
    assert [(r[0], r[6], r[7], r[10], r[11]) for r in rows[1:]] == [
        ("2026-12-02 12:00:00", "导入", "IMPORT", "p.csv", "失败"),
        ("2026-12-01 00:30:00", "查看原号", "REVEAL", "17", "成功"),
        ("2026-11-30 23:30:00", "查看", "READ", "17", "成功"),
    ]
    assert rows[1][12] == "'=HYPERLINK(\"x\")"  # never a formula in Excel/WPS
    event = AuditEvent.objects.get(action="EXPORT", object_type="audit")
    assert event.actor_username == "auditor" and event.jurisdiction == "31"
    assert event.changes == {"rows": 3, "truncated": False,
                             "filter": {"since": "2026-11-30", "until": "2026-12-02", "actor": "street"}}
    # the export's own row is on the page
    page = c.get("/audit/", {"action": "EXPORT", "object_type": "audit"})
    assert [r["id"] for r in page.context["rows"]] == [event.pk]


def test_without_audit_view_the_page_and_export_are_403(trail, people):
    c = _client(people["street"])
    for url in ("/audit/", "/audit/export.csv"):
        response = c.get(url)
        assert response.status_code == 403, url
    assert not AuditEvent.objects.filter(action="EXPORT", object_type="audit").exists()
    assert "/audit/" not in c.get("/").content.decode()  # no navigation entry
    auditor = _client(people["auditor"])
    assert auditor.get("/")["Location"] == "/audit/"  # the auditor's home is the audit trail
    assert 'href="/audit/"' in auditor.get("/audit/").content.decode()


def test_anonymous_goes_to_the_login_page(db):
    response = Client().get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_jurisdictions_are_named(db, roles, people):
    from gridgov.demo.geo import load_demo_city
    from gridgov.geo.models import Division, Grid

    load_demo_city(scale="tiny", seed=1)
    grid = Grid.objects.order_by("code").first()
    street = Division.objects.get(prefix=grid.code[:9])
    for code in ("310101", street.prefix, grid.code):
        AuditEvent.objects.create(at=datetime(2026, 11, 2, 8, tzinfo=SH), actor_username="named", action="READ",
                                  object_type="case", jurisdiction=code)
    rows = _client(people["auditor"]).get("/audit/", {"actor": "named"}).context["rows"]
    assert {r["jurisdiction"]: r["jurisdiction_name"] for r in rows} == {
        "310101": "黄浦区", street.prefix: street.name, grid.code: grid.name}


def test_reasons_the_system_wrote_read_in_chinese_and_typed_ones_as_typed(db, people):
    rows = [
        ("sign-in: authenticator code", "8 records", "登录：身份验证器验证码", "8 条"),
        ("step-up: password", "3", "再次确认身份：密码", "3"),
        ("5 consecutive failures; locked until 2026-12-01T02:15:30.123456+00:00", "", "连续失败 5 次；锁定至 2026-12-01 10:15", ""),
        ("break-glass: 病人走失，紧急查找", "12", "紧急查看：病人走失，紧急查找", "12"),
        ("协查核实", "17", "协查核实", "17"),
    ]
    for i, (reason, oid, _, _) in enumerate(rows):
        AuditEvent.objects.create(at=datetime(2026, 12, 1, 8, i, tzinfo=SH), actor_username="street",
                                  role="street_centre", jurisdiction="310101001", action="LOGIN",
                                  object_type="user", object_id=oid, outcome="success", reason=reason)
    response = _client(people["auditor"]).get("/audit/", {"since": "2026-12-01", "until": "2026-12-01",
                                                          "action": "LOGIN"})
    assert response.status_code == 200
    shown = [(r["reason_name"], r["object_id_name"]) for r in response.context["rows"]]
    assert shown == [(name, oid) for _, _, name, oid in reversed(rows)]
    html = response.content.decode()
    assert "authenticator code" not in html.replace('title="sign-in: authenticator code"', "")
    assert 'title="sign-in: authenticator code"' in html  # the stored text stays one hover away
