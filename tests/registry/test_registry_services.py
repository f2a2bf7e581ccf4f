"""Register services: validation, registration, moves with history, duplicates, merge, permits."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.core.errors import Conflict, FieldError, Forbidden, NotFound
from gridgov.core.idnumber import make_identity_number
from gridgov.registry import selectors, services
from gridgov.registry import validation as v
from gridgov.registry.models import DuplicateCandidate, Person, Residence
from tests.registry.conftest import ident

GOOD = {"identity_number": ident(1), "name": "张三", "population_type": "02"}


@pytest.mark.parametrize("field,value,code", [
    ("identity_number", ident(1)[:17] + ("0" if ident(1)[17] != "0" else "1"), "check_digit"),
    ("identity_number", "34010219900230001X", "birth_date"),
    ("identity_number", "99010219900517001X", "address_code"),
    ("identity_number", "3401021990051", "length"),
    ("name", "", "required"),
    ("name", "张3", "invalid"),
    ("name", "张" * 65, "too_long"),
    ("former_name", "李<script>", "invalid"),
    ("sex", "7", "unknown_code"),
    ("sex", "2", "mismatch"),
    ("birth_date", "1990-02-30", "bad_date"),
    ("birth_date", "1991-05-17", "mismatch"),
    ("ethnicity", "77", "unknown_code"),
    ("nationality", "China", "unknown_code"),
    ("hukou_division", "3401", "bad_division"),
    ("hukou_division", "990102", "unknown_code"),
    ("hukou_address", "x" * 201, "too_long"),
    ("phone", "12345", "bad_phone"),
    ("population_type", "05", "unknown_code"),
    ("population_type", "", "required"),
    ("doc_type", "123", "unknown_code"),
])
def test_every_person_field_is_validated(field, value, code):
    data = dict(GOOD, **{field: value})
    with pytest.raises(FieldError) as exc:
        v.clean_person(data)
    assert exc.value.field == field and exc.value.reason_code == code, (exc.value.field, exc.value.reason)


def test_clean_person_derives_birth_sex_hukou_and_accepts_labels():
    out = v.clean_person(dict(GOOD, sex="男", population_type="流动人口", ethnicity="汉族", birth_date="19900517"))
    assert out["birth_date"] == date(1990, 5, 17) and out["sex"] == "1"
    assert out["population_type"] == "02" and out["ethnicity"] == "01" and out["hukou_division"] == "340102"


def test_person_without_identity_number_needs_document():
    with pytest.raises(FieldError) as exc:
        v.clean_person({"name": "John Smith", "population_type": "03", "nationality": "US", "doc_type": "414"})
    assert exc.value.field == "doc_number"
    out = v.clean_person({"name": "John Smith", "population_type": "03", "nationality": "US", "doc_type": "414",
                          "doc_number": "e1234567"})
    assert out["doc_number"] == "E1234567" and out["identity_number"] is None
    with pytest.raises(FieldError) as exc:
        v.clean_person({"name": "John Smith", "population_type": "03", "doc_type": "414", "doc_number": "E1"})
    assert exc.value.field == "doc_number"
    with pytest.raises(FieldError) as exc:
        v.clean_person({"name": "Wang", "population_type": "03", "doc_type": "414", "doc_number": "E1234567"})
    assert exc.value.field == "nationality"


def test_clean_person_reports_every_problem_with_row():
    from gridgov.core.errors import ErrorReport

    report = ErrorReport()
    assert v.clean_person({"identity_number": "1", "name": "", "phone": "x", "population_type": "7"},
                          report=report, row=5) is None
    assert {d.field for d in report.details} == {"identity_number", "name", "phone", "population_type"}
    assert all(d.row == 5 for d in report.details)


def test_register_and_duplicate_number_is_refused(users, houses, person_data):
    reg = services.person_register(actor=users["street_a"], data=person_data(1), house_id=houses["a1_1"].pk,
                                   relation="02", domicile_type="02", inflow_reason="01")
    p = reg.person
    assert p.grid_code == houses["a1_1"].grid_code and p.house_id == houses["a1_1"].pk
    assert p.identity_number == ident(1) and p.id_last4 == ident(1)[-4:] and len(p.id_hmac) == 64
    with pytest.raises(Conflict) as exc:
        services.person_register(actor=users["street_a"], data=person_data(1, name="别名"),
                                 house_id=houses["a1_2"].pk)
    assert exc.value.details[0].field == "identity_number"
    # registered by another jurisdiction: the conflict does not say who
    with pytest.raises(Conflict) as exc:
        services.person_register(actor=users["street_b"], data=person_data(1), house_id=houses["b_1"].pk)
    assert "outside your jurisdiction" in exc.value.details[0].message


def test_write_outside_jurisdiction(users, houses, person_data, place):
    with pytest.raises(NotFound):
        services.person_register(actor=users["street_b"], data=person_data(2), house_id=houses["a1_1"].pk)
    with pytest.raises(Forbidden):
        services.person_register(actor=users["street_b"], data=person_data(2), grid_code=place["a1"])
    # search scope is not enough to write
    with pytest.raises(NotFound):
        services.person_register(actor=users["worker_a"], data=person_data(2), house_id=houses["a2_1"].pk)
    with pytest.raises(Forbidden):
        services.person_register(actor=users["police"], data=person_data(2), house_id=houses["a1_1"].pk)


def test_move_out_and_transfer_keep_history(users, houses, person_data):
    actor = users["street_a"]
    p = services.person_register(actor=actor, data=person_data(3), house_id=houses["a1_1"].pk,
                                 moved_in=date(2020, 1, 1)).person
    services.person_move_in(actor=actor, person_id=p.pk, house_id=houses["a2_1"].pk, moved_in=date(2022, 3, 1))
    p.refresh_from_db()
    assert p.house_id == houses["a2_1"].pk and p.grid_code == houses["a2_1"].grid_code
    services.person_move_out(actor=actor, person_id=p.pk, moved_out=date(2023, 6, 1), reason="离沪")
    p.refresh_from_db()
    assert p.status == "moved_out" and p.house_id is None and p.grid_code == houses["a2_1"].grid_code
    rows = list(Residence.objects.filter(person=p).order_by("start_date").values_list(
        "house_id", "start_date", "end_date", "end_reason"))
    assert rows == [(houses["a1_1"].pk, date(2020, 1, 1), date(2022, 3, 1), "transfer"),
                    (houses["a2_1"].pk, date(2022, 3, 1), date(2023, 6, 1), "离沪")]
    detail = selectors.house_detail(actor, houses["a1_1"].pk)
    assert [r["id"] for r in detail["residents_before"]] == [p.pk] and detail["residents_now"] == []
    with pytest.raises(FieldError):
        services.person_move_out(actor=actor, person_id=p.pk)
    # moving back in is allowed and adds a third row
    services.person_move_in(actor=actor, person_id=p.pk, house_id=houses["a1_1"].pk, moved_in=date(2024, 1, 1))
    assert Residence.objects.filter(person=p).count() == 3
    with pytest.raises(FieldError):  # before the last residence began
        services.person_move_in(actor=actor, person_id=p.pk, house_id=houses["a1_2"].pk, moved_in=date(2023, 1, 1))


def test_household_separation_is_derived(users, houses, person_data):
    code12 = houses["a1_1"].grid_code[:12]
    local = services.person_register(actor=users["street_a"], data=person_data(
        4, identity_number=make_identity_number("310101", date(1980, 1, 1), 11), population_type="01",
        hukou_division=code12), house_id=houses["a1_1"].pk).person
    assert local.household_separated is False and local.uniform_identity == "01"
    services.person_move_in(actor=users["street_a"], person_id=local.pk, house_id=houses["a2_1"].pk)
    local.refresh_from_db()
    assert local.household_separated is True and local.uniform_identity == "02"
    services.person_set_flags(actor=users["street_a"], person_id=local.pk, empty_registration=True)
    local.refresh_from_db()
    assert local.empty_registration is True


def test_update_uses_version(users, houses, person_data):
    p = services.person_register(actor=users["street_a"], data=person_data(5), house_id=houses["a1_1"].pk).person
    services.person_update(actor=users["street_a"], person_id=p.pk, data={"phone": "13800000000"}, version=1)
    with pytest.raises(Conflict):
        services.person_update(actor=users["street_a"], person_id=p.pk, data={"phone": "13800000001"}, version=1)
    p.refresh_from_db()
    assert p.phone == "13800000000" and p.version == 2


def test_duplicate_candidate_and_merge_says_what_moves(users, houses, person_data):
    actor = users["street_a"]
    birth = date(1985, 3, 3)
    a = services.person_register(actor=actor, data={"name": "王五", "population_type": "03", "nationality": "US",
                                                    "doc_type": "414", "doc_number": "E7654321",
                                                    "birth_date": birth}, house_id=houses["a1_1"].pk).person
    reg = services.person_register(actor=actor, data={
        "identity_number": make_identity_number("340102", birth, 33), "name": "王五", "population_type": "02",
        "phone": "13911112222"}, house_id=houses["a1_2"].pk)
    assert len(reg.duplicates) == 1 and reg.duplicates[0].reason == "same_name_birth"
    cand = reg.duplicates[0]
    services.permit_issue(actor=actor, person_id=reg.person.pk, number="P123456", issue_date=date(2024, 1, 1),
                          expiry_date=date(2027, 1, 1), condition="employment")
    preview = selectors.merge_preview(actor, cand.pk, keep_id=a.pk)
    assert preview["moves"] == {"registry.residence.person": 1, "registry.residencepermit.person": 1}
    assert "identity_number" in preview["fills"] and "phone" in preview["fills"]
    out = services.duplicate_merge(actor=actor, candidate_id=cand.pk, keep_id=a.pk)
    assert out["moved"] == preview["moves"] and not Person.objects.filter(pk=reg.person.pk).exists()
    a.refresh_from_db()
    assert a.identity_number and a.phone == "13911112222" and a.permits.count() == 1
    assert Residence.objects.filter(person=a, end_date__isnull=True).count() == 1
    assert Residence.objects.filter(person=a).count() == 2
    cand.refresh_from_db()
    assert cand.status == "merged" and cand.outcome["dropped"] == reg.person.pk
    with pytest.raises(Conflict):
        services.duplicate_dismiss(actor=actor, candidate_id=cand.pk)
    # the dropped person is gone: previewing the decided candidate is a conflict, not a crash
    with pytest.raises(Conflict):
        selectors.merge_preview(actor, cand.pk, keep_id=a.pk)


def test_dismiss_and_queue_scoping(users, houses, person_data):
    actor = users["street_a"]
    services.person_register(actor=actor, data=person_data(6, name="赵六"), house_id=houses["a1_1"].pk)
    reg = services.person_register(actor=actor, data=person_data(7, name="赵六", identity_number=make_identity_number(
        "340102", date(1990, 5, 17), 71)), house_id=houses["a1_2"].pk)
    assert reg.duplicates
    assert list(selectors.duplicates_open(users["street_b"])) == []
    with pytest.raises(NotFound):
        services.duplicate_dismiss(actor=users["street_b"], candidate_id=reg.duplicates[0].pk)
    services.duplicate_dismiss(actor=actor, candidate_id=reg.duplicates[0].pk)
    assert DuplicateCandidate.objects.get(pk=reg.duplicates[0].pk).status == "dismissed"


def test_permits_expiring_worklist(users, houses, person_data):
    actor = users["street_a"]
    today = date.today()
    for i, days in enumerate((5, 29, 31, 400)):
        p = services.person_register(actor=actor, data=person_data(20 + i), house_id=houses["a1_1"].pk).person
        services.permit_issue(actor=actor, person_id=p.pk, number=f"P{i:06d}", issue_date=today - timedelta(days=300),
                              expiry_date=today + timedelta(days=days), condition="residence")
    due = list(selectors.permits_expiring(actor))
    assert [(p.expiry_date - today).days for p in due] == [5, 29]
    assert list(selectors.permits_expiring(users["street_b"])) == []
    local = services.person_register(actor=actor, data=person_data(30, population_type="01"),
                                     house_id=houses["a1_1"].pk).person
    with pytest.raises(FieldError):
        services.permit_issue(actor=actor, person_id=local.pk, number="P999999", issue_date=today,
                              expiry_date=today + timedelta(days=10), condition="study")
    with pytest.raises(FieldError):
        services.permit_issue(actor=actor, person_id=due[0].person_id, number="P888888", issue_date=today,
                              expiry_date=today - timedelta(days=1), condition="study")


def test_house_grid_from_point(users, city, place):
    from gridgov.geo.models import Grid
    from gridgov.geo.selectors import locate_codes

    grid = Grid.objects.get(code=place["a1"])
    import shapely

    pt = shapely.point_on_surface(shapely.from_wkb(bytes(grid.boundary)))
    assert locate_codes([pt.x], [pt.y])[0] == grid.code
    h = services.house_register(actor=users["street_a"], data={"house_code": "PT-1", "address": "点位路1号",
                                                               "lon": pt.x, "lat": pt.y})
    assert h.grid_code == grid.code
    with pytest.raises(FieldError) as exc:
        services.house_register(actor=users["street_a"], data={"house_code": "PT-2", "address": "点位路2号",
                                                               "lon": pt.x, "lat": pt.y, "grid_code": place["a2"]})
    assert exc.value.field == "grid_code"
    with pytest.raises(FieldError) as exc:
        services.house_register(actor=users["street_a"], data={"house_code": "PT-3", "address": "x",
                                                               "lon": 100.0, "lat": 30.0})
    assert exc.value.field == "lon"


def test_rental_and_organisation(users, houses, person_data, place):
    from gridgov.core.uscc import make_uscc

    actor = users["street_a"]
    tenant = services.person_register(actor=actor, data=person_data(40), house_id=houses["a1_1"].pk).person
    rental = services.rental_register(actor=actor, house_id=houses["a1_1"].pk, landlord_name="房东",
                                      landlord_phone="13900001111", start_date="2024-01-01", tenant_ids=[tenant.pk])
    houses["a1_1"].refresh_from_db()
    assert houses["a1_1"].rented and list(rental.tenants.all()) == [tenant]
    code = make_uscc("91310101MA1FL0000")
    org = services.organisation_register(actor=actor, data={"uscc": code, "name": "测试商贸有限公司",
                                                            "category": "E01", "staff_count": 12},
                                         house_id=houses["a1_1"].pk)
    assert org.grid_code == houses["a1_1"].grid_code
    with pytest.raises(FieldError) as exc:
        services.organisation_register(actor=actor, data={"uscc": code[:-1] + ("0" if code[-1] != "0" else "1"),
                                                          "name": "x", "category": "E01", "grid_code": place["a1"]})
    assert exc.value.field == "uscc"
    with pytest.raises(FieldError) as exc:
        services.organisation_register(actor=actor, data={"name": "x", "category": "Z9", "grid_code": place["a1"]})
    assert exc.value.field == "category"


@given(st.sampled_from(["110105", "310101", "340102", "440524", "513101"]),
       st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)), st.integers(1, 999))
@settings(max_examples=200, deadline=None)
def test_any_valid_number_is_accepted_and_split(area, birth, seq):
    number = make_identity_number(area, birth, seq)
    out = v.clean_person({"identity_number": number.lower(), "name": "某人", "population_type": "02"})
    assert out["identity_number"] == number and out["birth_date"] == birth
    assert out["sex"] == ("1" if seq % 2 else "2") and out["hukou_division"] == area
    for i in range(17):  # any single-digit change is caught (by the check digit or the date/area checks)
        changed = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1:]
        with pytest.raises(FieldError):
            v.clean_person({"identity_number": changed, "name": "某人", "population_type": "02"})


def test_reindex_identity_after_a_key_change(place, person_data, settings, capsys):
    """Setting GRIDGOV_BLIND_INDEX_KEY leaves the stored index stale (lookups miss) until
    ``gridgov reindex-identity`` recomputes it; --check tells."""
    from gridgov import cli
    from gridgov.core.models import AuditEvent
    from gridgov.registry import identity
    from gridgov.registry.models import Person
    from gridgov.registry.services import person_register

    people = [person_register(actor=None, data=person_data(i), grid_code=place["a1"]).person for i in (1, 2, 3)]
    Person.objects.create(doc_type="414", doc_number="E12345678", name="Smith", population_type="03",
                          nationality="US", grid_code=place["a1"])  # no identity number: not indexed
    number = people[1].identity_number

    def run(*argv):
        return cli.main(["reindex-identity", "--quiet", *argv]), capsys.readouterr().out

    assert run("--check") == (0, "3 个身份证号；0 个是用其他密钥建的索引\n")
    settings.GRIDGOV_BLIND_INDEX_KEY = "a-new-key-from-the-vault"
    assert not Person.objects.filter(id_hmac=identity.blind_index(number)).exists()  # lookups miss
    assert run("--check") == (1, "3 个身份证号；3 个是用其他密钥建的索引\n")
    assert not AuditEvent.objects.filter(object_type="registry.person.id_hmac").exists()
    assert run() == (0, "3 个身份证号；已重建索引 3 个\n")
    assert Person.objects.get(id_hmac=identity.blind_index(number)).pk == people[1].pk
    assert run("--check")[0] == 0
    event = AuditEvent.objects.get(object_type="registry.person.id_hmac")
    assert event.changes == {"rows": 3, "reindexed": 3}
