"""Eligibility rules per programme (data, checked on enrolment, override with an audited reason),
code tables current with the 社区矫正法 (2020), and closing a case with an open 脱管 alert."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.care import codes, selectors, services
from gridgov.care.models import Alert, Enrolment
from gridgov.core.errors import FieldError
from gridgov.core.models import AuditEvent

from .conftest import PROGRAMME_FIELDS, TODAY

START = date(2026, 1, 5)


def _create(users, make_person, programme: str, birth: date | None, *, fields=None, override: str = ""):
    person = make_person(f"资格{programme}{birth}", birth=birth or date(2000, 1, 1))
    if birth is None:
        person.birth_date = None
        person.save(update_fields=["birth_date"])
    return services.enrolment_create(actor=users["social_worker"], programme=programme, person_id=person.pk,
                                     start_date=START, fields=fields or PROGRAMME_FIELDS[programme],
                                     eligibility_override=override, today=TODAY)


@pytest.mark.parametrize(("programme", "birth", "ok"), [
    ("youth", date(2023, 1, 1), False),           # 3 years old: not 重点青少年
    ("youth", date(2020, 1, 5), True),            # 6th birthday on the start date
    ("youth", date(2020, 1, 6), False),           # one day short of 6
    ("youth", date(2000, 1, 6), True),            # 25 (26th birthday tomorrow)
    ("youth", date(2000, 1, 5), False),           # 26 today
    ("street_children", date(2008, 1, 6), True),  # 17
    ("street_children", date(2008, 1, 5), False),  # 18 today
    ("corrections", date(2014, 1, 6), False),     # 11
    ("corrections", date(2014, 1, 5), True),      # 12
    ("rehabilitation", date(2010, 1, 6), False),  # 15
    ("rehabilitation", date(2010, 1, 5), True),   # 16
    ("mental_health", date(2019, 1, 1), True),    # no age rule
])
def test_age_rules(users, make_person, programme, birth, ok):
    if ok:
        assert _create(users, make_person, programme, birth).pk
    else:
        with pytest.raises(FieldError) as exc:
            _create(users, make_person, programme, birth)
        assert exc.value.details[0].code == "ineligible"
        assert Enrolment.objects.count() == 0


def test_the_message_is_clear_and_in_chinese(users, make_person):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(FieldError) as exc:
        _create(users, make_person, "youth", date(2023, 1, 1))
    message = exc.value.details[0].message
    assert "重点青少年" in message and "25" in message and "3" in message
    assert "年满" in message or "周岁" in message
    assert not any("a" <= ch.lower() <= "z" for ch in message), message


def test_youth_children_of_prisoners_must_be_minors(users, make_person):
    fields = {"personnel_type": "04"}
    with pytest.raises(FieldError) as exc:
        _create(users, make_person, "youth", date(2005, 1, 1), fields=fields)  # 21
    assert exc.value.details[0].code == "ineligible"
    assert _create(users, make_person, "youth", date(2010, 1, 1), fields=fields).pk  # 16
    assert _create(users, make_person, "youth", date(2005, 1, 1), fields={"personnel_type": "01"}).pk


def test_resettlement_covers_five_years_after_release(users, make_person):
    with pytest.raises(FieldError) as exc:
        _create(users, make_person, "resettlement", date(1980, 1, 1), fields={"release_date": "2021-01-05"})
    assert exc.value.details[0].code == "ineligible"
    assert _create(users, make_person, "resettlement", date(1980, 1, 1), fields={"release_date": "2021-01-06"}).pk


def test_no_birth_date_needs_an_override(users, make_person):
    with pytest.raises(FieldError):
        _create(users, make_person, "street_children", None)
    assert _create(users, make_person, "street_children", None, override="身份待公安核查，先行救助").pk


def test_override_needs_a_reason_and_is_audited(users, make_person):
    with pytest.raises(FieldError) as exc:
        _create(users, make_person, "youth", date(2023, 1, 1), override="太短")
    assert exc.value.details[0].code == "too_short"
    e = _create(users, make_person, "youth", date(2023, 1, 1), override="监护缺失，区未保委员会决定纳入帮扶")
    assert e.eligibility_override == "监护缺失，区未保委员会决定纳入帮扶"
    row = AuditEvent.objects.get(object_type="care.youth", object_id=str(e.pk), action="CREATE")
    assert "监护缺失" in row.reason and row.changes["rules_overridden"] == ["min_age:6:3"]
    file = selectors.enrolment_file(users["social_worker"], "youth", e.pk)
    assert file["eligibility_override"] == "监护缺失，区未保委员会决定纳入帮扶"
    # an eligible person: the override text is not kept
    ok = _create(users, make_person, "youth", date(2010, 1, 1), override="不需要的理由不需要的理由")
    assert ok.eligibility_override == ""


def test_deceased_person_is_never_enrolled(users, make_person):
    person = make_person("已故者", birth=date(1970, 1, 1))
    person.status = "deceased"
    person.save(update_fields=["status"])
    with pytest.raises(FieldError) as exc:
        services.enrolment_create(actor=users["social_worker"], programme="corrections", person_id=person.pk,
                                  start_date=START, fields=PROGRAMME_FIELDS["corrections"],
                                  eligibility_override="任何理由都不可以的理由", today=TODAY)
    assert exc.value.details[0].code == "deceased"


def test_eligibility_over_the_api(users, make_person, client_for):
    person = make_person("接口少年", birth=date(2023, 1, 1))
    c = client_for(users["social_worker"])
    body = {"person_id": person.pk, "start_date": "2026-01-05", "fields": PROGRAMME_FIELDS["youth"]}
    r = c.post("/api/v1/care/youth/enrolments", body, content_type="application/json")
    assert r.status_code in (400, 422) and r.json()["error"]["details"][0]["code"] == "ineligible", r.content
    r = c.post("/api/v1/care/youth/enrolments", {**body, "eligibility_override": "区未保委员会决定纳入帮扶"},
               content_type="application/json")
    assert r.status_code == 201


def test_every_programme_documents_the_source_of_its_rules():
    for p in codes.programmes().values():
        assert p.eligibility and len(p.eligibility["source"]) > 10, p.code


# --- code tables current with the law ----------------------------------------------------------------------

def test_deprivation_of_political_rights_is_not_selectable_but_stays_readable(enrol, users, make_person):
    assert codes.selectable("RectifyingCategory") == {"01": "管制", "02": "缓刑", "03": "假释", "04": "暂予监外执行"}
    assert codes.label("RectifyingCategory", "05") == "剥夺政治权利"
    with pytest.raises(codes.FieldProblem) as exc:
        codes.clean_fields("corrections", {"rectifying_category": "05"})
    assert exc.value.code == "retired_code"
    person = make_person("新剥权", birth=date(1980, 1, 1))
    with pytest.raises(FieldError):
        services.enrolment_create(actor=users["social_worker"], programme="corrections", person_id=person.pk,
                                  start_date=START, fields={"rectifying_category": "05"}, today=TODAY)
    # an old row with 05 stays readable and can still be updated in its other fields
    e = enrol("corrections", "旧剥权")
    Enrolment.objects.filter(pk=e.pk).update(fields={**e.fields, "rectifying_category": "05"})
    e.refresh_from_db()
    file = selectors.enrolment_file(users["social_worker"], "corrections", e.pk)
    assert {r["name"]: r["display"] for r in file["fields"]}["rectifying_category"] == "剥夺政治权利"
    e = services.enrolment_update(actor=users["social_worker"], programme="corrections", enrolment_id=e.pk,
                                  version=e.version, fields={"recidivist": True}, today=TODAY)
    assert e.fields["rectifying_category"] == "05" and e.fields["recidivist"] is True
    # ... but cannot be changed back to 05 once changed
    e = services.enrolment_update(actor=users["social_worker"], programme="corrections", enrolment_id=e.pk,
                                  version=e.version, fields={"rectifying_category": "02"}, today=TODAY)
    with pytest.raises(FieldError):
        services.enrolment_update(actor=users["social_worker"], programme="corrections", enrolment_id=e.pk,
                                  version=e.version, fields={"rectifying_category": "05"}, today=TODAY)
    tables = {t["id"]: t for t in selectors.code_tables(users["social_worker"])["tables"]}
    assert set(tables["RectifyingCategory"]["retired"]) == {"05"}


# --- closing with an open 脱管 -------------------------------------------------------------------------------

def test_closing_with_an_open_absence_needs_a_reason(enrol, users):
    sw = users["social_worker"]
    e = enrol("corrections", "脱管子")
    alert = services.absence_report(actor=sw, programme="corrections", enrolment_id=e.pk, cause="连续两周未报到",
                                    today=TODAY)
    e.refresh_from_db()
    kw = {"actor": sw, "programme": "corrections", "enrolment_id": e.pk, "status": "completed",
          "closure_type": "01", "today": TODAY}
    with pytest.raises(FieldError) as exc:
        services.enrolment_close(version=e.version, **kw)
    assert exc.value.details[0].code == "open_absence"
    with pytest.raises(FieldError) as exc:
        services.enrolment_close(version=e.version, absence_reason="太短", **kw)
    assert exc.value.details[0].code == "too_short"
    e.refresh_from_db()
    assert e.status == "active"  # nothing written
    assert Alert.objects.get(pk=alert.pk).status == "open"
    services.enrolment_close(version=e.version, absence_reason="已收监执行，由监狱接管，脱管告警结束", **kw)
    e.refresh_from_db()
    alert.refresh_from_db()
    assert e.status == "completed" and alert.status == "resolved" and "已收监执行" in alert.response
    row = AuditEvent.objects.get(object_type="care.corrections", object_id=str(e.pk), action="TRANSITION")
    assert "已收监执行" in row.reason and row.changes["open_absences"] == [alert.pk]
    assert AuditEvent.objects.filter(object_type="care.alert", object_id=str(alert.pk), action="TRANSITION").exists()


def test_closing_without_an_open_absence_needs_no_reason(enrol, users):
    e = enrol("corrections", "正常丑")
    services.enrolment_close(actor=users["social_worker"], programme="corrections", enrolment_id=e.pk,
                             version=e.version, status="completed", closure_type="01", today=TODAY)
    assert Enrolment.objects.get(pk=e.pk).status == "completed"
