"""A search-scope membership reads but never writes, in every app (DESIGN.md: "writes need the
capture scope; reads may use a wider search scope").

In each test the acting user's only membership granting the write capability is a search-scope one
(at times beside a capture membership of a role without that capability). Each write, through the
app's service or API, is refused as the app's rule says and changes nothing; the same user reads the
row; and the same write by a capture-scope holder succeeds, so the refusal is the scope's doing.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from gridgov.core.errors import Forbidden, NotFound, ValidationFailed

PEOPLES_SQUARE = (121.4737, 31.2304)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def city(db, roles):
    from gridgov.demo.geo import load_demo_city

    return load_demo_city(scale="tiny", seed=1)


@pytest.fixture
def square(city):
    """The grid at People's Square (黄浦区 310101)."""
    from gridgov.geo.selectors import locate_code

    code = locate_code(*PEOPLES_SQUARE)
    assert code is not None and code.startswith("310101")
    return code


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- geo ------------------------------------------------------------------------------------------

def test_geo_search_scope_reads_a_grid_but_cannot_import_it(square, make_user):
    from gridgov.core.models import AuditEvent
    from gridgov.geo.models import Grid

    searcher = make_user("geo_search", ("city_admin", "31", "search"), ("auditor", "31", "capture"))
    editor = make_user("geo_capture", ("city_admin", "31", "capture"))
    client = _client(searcher)
    assert client.get(f"/api/v1/geo/grids/{square}").status_code == 200
    located = client.get("/api/v1/geo/locate", {"lon": PEOPLES_SQUARE[0], "lat": PEOPLES_SQUARE[1]}).json()
    assert (located["grid_code"], located["in_jurisdiction"]) == (square, True)
    collection = json.loads(client.get("/api/v1/geo/grids.geojson", {"prefix": square}).content)
    assert [f["properties"]["code"] for f in collection["features"]] == [square]
    collection["features"][0]["properties"]["name"] = "改名网格"
    name = Grid.objects.get(code=square).name
    imports = AuditEvent.objects.filter(action="IMPORT").count()

    refused = client.post("/api/v1/geo/import", data=collection, content_type="application/json")
    assert refused.status_code == 403
    assert Grid.objects.get(code=square).name == name
    assert AuditEvent.objects.filter(action="IMPORT").count() == imports

    done = _client(editor).post("/api/v1/geo/import", data=collection, content_type="application/json")
    assert done.status_code == 200, done.content
    assert Grid.objects.get(code=square).name == "改名网格"


# --- registry (API and imports) ---------------------------------------------------------------------

@pytest.fixture
def register(square):
    from gridgov.core.idnumber import make_identity_number
    from gridgov.registry.services import house_register, person_register

    house = house_register(actor=None, data={"house_code": "H-SQ-1", "address": "人民大道1号", "grid_code": square})
    reg = person_register(actor=None, data={"identity_number": make_identity_number("340102", date(1990, 5, 17), 7),
                                            "name": "张三", "population_type": "02", "phone": "13912345678"},
                          house_id=house.pk)
    return {"house": house, "person": reg.person}


def test_registry_search_scope_reads_a_person_but_cannot_update_them(register, square, make_user):
    from gridgov.registry.models import Person

    person = register["person"]
    # registry.edit only in search scope; a capture membership with registry.view only
    searcher = make_user("reg_search", ("street_centre", square[:9], "search"), ("police_officer", "310101"))
    editor = make_user("reg_capture", ("street_centre", square[:9], "capture"))
    client = _client(searcher)
    shown = client.get(f"/api/v1/registry/persons/{person.pk}")
    assert shown.status_code == 200 and shown.json()["name"] == "张三"
    before = Person.objects.filter(pk=person.pk).values().get()

    refused = client.patch(f"/api/v1/registry/persons/{person.pk}", {"version": person.version, "name": "李四"},
                           content_type="application/json")
    assert refused.status_code == 404
    assert Person.objects.filter(pk=person.pk).values().get() == before

    done = _client(editor).patch(f"/api/v1/registry/persons/{person.pk}", {"version": person.version, "name": "李四"},
                                 content_type="application/json")
    assert done.status_code == 200, done.content
    assert Person.objects.get(pk=person.pk).name == "李四"


def test_registry_search_scope_import_rejects_every_row_and_writes_nothing(register, square, make_user, tmp_path):
    import csv

    from gridgov.core.idnumber import make_identity_number
    from gridgov.core.uscc import make_uscc
    from gridgov.registry import selectors
    from gridgov.registry.imports import import_file
    from gridgov.registry.models import House, Organisation, Person

    searcher = make_user("imp_search", ("street_centre", square[:9], "search"), ("police_officer", "310101"))
    editor = make_user("imp_capture", ("street_centre", square[:9], "capture"))
    assert selectors.house_get(searcher, register["house"].pk).house_code == "H-SQ-1"
    persons = tmp_path / "persons.csv"
    with open(persons, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["公民身份号码", "姓名", "民族", "人口类型", "网格编码", "房屋编号"])
        w.writerow([make_identity_number("320583", date(1988, 1, 1), 21), "王五", "01", "02", square, ""])  # grid
        w.writerow([make_identity_number("320583", date(1988, 1, 2), 23), "赵六", "01", "02", "", "H-SQ-1"])  # house
    houses = tmp_path / "houses.csv"
    with open(houses, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["房屋编号", "地址", "网格编码"])
        w.writerow(["H-SQ-1", "人民大道1号（改）", square])
    orgs = tmp_path / "orgs.csv"
    with open(orgs, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["统一社会信用代码", "名称", "类别", "网格编码"])
        w.writerow([make_uscc("91310101MA1FL0101"), "测试公司", "E01", square])
    counts = (Person.objects.count(), House.objects.count(), Organisation.objects.count())

    for kind, path, rows in (("persons", persons, [2, 3]), ("houses", houses, [2]), ("orgs", orgs, [2])):
        for mode in ("all-or-nothing", "valid-rows"):
            result = import_file(kind=kind, path=str(path), actor=searcher, mode=mode)
            assert not result.written or (result.created, result.updated) == (0, 0), result.as_dict()
            assert [(d.row, d.code) for d in result.details] == [(r, "out_of_jurisdiction") for r in rows], kind
    assert (Person.objects.count(), House.objects.count(), Organisation.objects.count()) == counts
    assert House.objects.get(house_code="H-SQ-1").address == "人民大道1号"

    assert import_file(kind="persons", path=str(persons), actor=editor).created == 2
    assert import_file(kind="houses", path=str(houses), actor=editor).updated == 1
    assert import_file(kind="orgs", path=str(orgs), actor=editor).created == 1


# --- cases ----------------------------------------------------------------------------------------

def test_cases_search_scope_reads_a_case_but_cannot_report_or_accept(square, make_user):
    from gridgov.cases import selectors, services
    from gridgov.cases.models import Case

    services.taxonomy_sync()
    reporter = make_user("case_report_search", ("grid_worker", square, "search"), ("auditor", "31", "capture"))
    with pytest.raises(Forbidden):
        services.case_report(actor=reporter, category_code="E0102", description="垃圾", grid_code=square)
    assert Case.objects.count() == 0
    refused = _client(reporter).post("/api/v1/cases/", {"category": "E0102", "description": "垃圾",
                                                        "lon": PEOPLES_SQUARE[0], "lat": PEOPLES_SQUARE[1]},
                                     content_type="application/json")
    assert refused.status_code == 403
    assert Case.objects.count() == 0

    worker = make_user("case_report_capture", ("grid_worker", square, "capture"))
    case, created = services.case_report(actor=worker, category_code="E0102", description="垃圾", grid_code=square)
    assert created
    dispatcher = make_user("case_dispatch_search", ("street_centre", square[:9], "search"),
                           ("grid_worker", square, "capture"))  # capture, but without cases.dispatch
    assert selectors.case_get(reporter, case.pk).pk == case.pk
    assert selectors.case_get(dispatcher, case.pk).pk == case.pk
    before = Case.objects.filter(pk=case.pk).values().get()
    with pytest.raises(Forbidden):
        services.case_transition(actor=dispatcher, case_id=case.pk, action="accept", version=case.version)
    assert Case.objects.filter(pk=case.pk).values().get() == before

    centre = make_user("case_dispatch_capture", ("street_centre", square[:9], "capture"))
    assert services.case_transition(actor=centre, case_id=case.pk, action="accept",
                                    version=case.version).state == "accepted"


# --- safety ---------------------------------------------------------------------------------------

def test_safety_search_scope_reads_but_cannot_record_incidents_or_handle_warnings(square, make_user):
    from gridgov.safety import selectors, services
    from gridgov.safety.models import Alert, Category, Incident

    services.categories_sync()
    searcher = make_user("safety_search", ("police_officer", "310101", "search"), ("grid_worker", "310101"))
    officer = make_user("safety_capture", ("police_officer", "310101", "capture"))
    category = Category.objects.filter(active=True).order_by("code").first()
    row = {"category": category.code, "occurred_at": datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI),
           "lon": PEOPLES_SQUARE[0], "lat": PEOPLES_SQUARE[1], "origin": "reported"}
    with pytest.raises(ValidationFailed) as exc:
        services.incidents_import(actor=searcher, rows=[row])
    assert [(d.row, d.code) for d in exc.value.details] == [(2, "jurisdiction")]
    assert Incident.objects.count() == 0
    incident = services.incident_create(actor=officer, **row)
    assert selectors.incident_detail(searcher, incident.pk).grid_code == square

    alert = Alert.objects.create(area_code=square[:9], area_level=9, category=category, week_start=date(2026, 3, 2),
                                 method="farrington", observed=9, expected=2.0, threshold=5.0, pvalue=0.001,
                                 score=2.0, level=2)
    client = _client(searcher)
    assert client.get(f"/api/v1/safety/warnings/{alert.pk}").status_code == 200
    refused = client.post(f"/api/v1/safety/warnings/{alert.pk}/transition",
                          {"action": "acknowledge", "version": 1}, content_type="application/json")
    assert refused.status_code == 404
    with pytest.raises(NotFound):
        services.alert_transition(actor=searcher, alert_id=alert.pk, action="acknowledge", version=1)
    alert.refresh_from_db()
    assert (alert.status, alert.version) == ("open", 1)
    assert services.alert_transition(actor=officer, alert_id=alert.pk, action="acknowledge",
                                     version=1).status == "acknowledged"


# --- care -----------------------------------------------------------------------------------------

CORRECTIONS = {"rectifying_category": "02", "crime_class": "05", "four_histories": ["01"]}


def test_care_search_scope_reads_a_file_but_cannot_write_to_it(square, make_user):
    from gridgov.care import selectors, services
    from gridgov.care.models import Enrolment, Provider
    from gridgov.core.idnumber import make_identity_number
    from gridgov.registry.identity import blind_index
    from gridgov.registry.models import Person

    def person(seq):
        number = make_identity_number("310101", date(1985, 5, 17), seq)
        return Person.objects.create(name=f"对象{seq}", identity_number=number, id_hmac=blind_index(number),
                                     id_last4=number[-4:], birth_date=date(1985, 5, 17), sex="1", grid_code=square,
                                     phone="13812345678")

    searcher = make_user("care_search", ("social_worker", "310101", "search"), ("auditor", "31", "capture"))
    worker = make_user("care_capture", ("social_worker", "310101", "capture"))
    today = date(2026, 3, 2)
    enrolment = services.enrolment_create(actor=worker, programme="corrections", person_id=person(1).pk,
                                          start_date=date(2026, 1, 5), fields=CORRECTIONS, today=today)
    assert selectors.enrolment_file(searcher, "corrections", enrolment.pk, today=today)["id"] == enrolment.pk
    before = Enrolment.objects.filter(pk=enrolment.pk).values().get()

    with pytest.raises(NotFound):
        services.enrolment_update(actor=searcher, programme="corrections", enrolment_id=enrolment.pk,
                                  version=enrolment.version, plan="新计划", today=today)
    with pytest.raises(NotFound):
        services.enrolment_create(actor=searcher, programme="corrections", person_id=person(2).pk,
                                  start_date=date(2026, 1, 5), fields=CORRECTIONS, today=today)
    with pytest.raises(Forbidden):
        services.provider_create(actor=searcher, name="阳光中心", kind="01", programmes=["corrections"],
                                 grid_code=square)
    assert Enrolment.objects.filter(pk=enrolment.pk).values().get() == before
    assert Enrolment.objects.count() == 1 and Provider.objects.count() == 0

    services.enrolment_update(actor=worker, programme="corrections", enrolment_id=enrolment.pk,
                              version=enrolment.version, plan="新计划", today=today)
    assert Enrolment.objects.get(pk=enrolment.pk).plan == "新计划"
    assert services.provider_create(actor=worker, name="阳光中心", kind="01", programmes=["corrections"],
                                    grid_code=square).pk


# --- accounts -------------------------------------------------------------------------------------

def test_accounts_search_scope_cannot_grant_memberships(make_user):
    from gridgov.accounts import services
    from gridgov.accounts.models import Membership

    searcher = make_user("acc_search", ("city_admin", "31", "search"), ("auditor", "31", "capture"))
    admin = make_user("acc_capture", ("city_admin", "31", "capture"))
    target = make_user("acc_target")
    with pytest.raises(Forbidden):
        services.membership_grant(user=target, role_code="grid_worker", jurisdiction="310101", actor=searcher)
    assert not Membership.objects.filter(user=target).exists()
    services.membership_grant(user=target, role_code="grid_worker", jurisdiction="310101", actor=admin)
    assert list(Membership.objects.filter(user=target).values_list("jurisdiction", "scope")) == [
        ("310101", "capture")]
