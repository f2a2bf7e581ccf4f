"""Schedules and worklists with frozen dates, hand-over intake (漏管), absence (脱管), contacts,
referrals, joint street-children cases, investigations, suppression and de-identification."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from gridgov.care import codes, schedule, selectors, services, suppress
from gridgov.care.models import Alert, Contact, Enrolment, HandOver, JointTask, Provider, TeamMember
from gridgov.core.errors import Conflict, FieldError, Forbidden, NotFound
from gridgov.core.models import AuditEvent

from .conftest import HOME, HOME2, TODAY

# --- code tables -----------------------------------------------------------------------------------------


def test_code_tables_are_data_with_the_standard_values():
    assert codes.table("RectifyingCategory") == {"01": "管制", "02": "缓刑", "03": "假释", "04": "暂予监外执行",
                                                 "05": "剥夺政治权利"}
    assert codes.table("CurrentRiskAssessmentLevel")["06"] == "5级"
    assert codes.table("Resettlement")["99"] == "其他安置方式"
    assert set(codes.PROGRAMME_CODES) == set(codes.programmes())
    # the HIV-risk and petition tables are not used (scope notes)
    assert not {"InfectionPathway", "ConcernType", "AdmissionCondition"} & set(codes.table_names())
    for p in codes.programmes().values():
        assert set(codes.table(p.level_table)) == set(p.schedule), p.code
        for f in p.fields.values():
            if f.table:
                codes.table(f.table)


def test_field_validation_names_the_field():
    with pytest.raises(codes.FieldProblem) as exc:
        codes.clean_fields("corrections", {"rectifying_category": "09"})
    assert exc.value.field == "fields.rectifying_category" and exc.value.code == "unknown_code"
    with pytest.raises(codes.FieldProblem):
        codes.clean_fields("street_children", {"personnel_type": "01"})  # only 03 in this programme
    with pytest.raises(codes.FieldProblem):
        codes.clean_fields("corrections", {})  # required
    assert codes.clean_fields("corrections", {"rectifying_category": "03", "three_related": ["03", "01", "03"]}) \
        == {"rectifying_category": "03", "three_related": ["01", "03"]}


# --- schedule ----------------------------------------------------------------------------------------------

def test_schedule_generation_is_by_programme_and_level():
    dues = schedule.generate({"report_in": 7, "visit": 30}, start=date(2026, 1, 1), until=date(2026, 2, 1))
    assert [d.due_date.day for d in dues if d.kind == "report_in"] == [8, 15, 22, 29]
    assert [d.due_date for d in dues if d.kind == "visit"] == [date(2026, 1, 31)]
    assert dues == sorted(dues)
    assert schedule.effective_status("scheduled", date(2026, 1, 1), date(2026, 1, 2)) == "overdue"
    assert schedule.effective_status("scheduled", date(2026, 1, 2), date(2026, 1, 2)) == "scheduled"
    assert schedule.week_bounds(date(2026, 3, 4)) == (date(2026, 3, 2), date(2026, 3, 8))


def test_enrolment_generates_its_schedule_and_level_change_regenerates(enrol, users):
    e = enrol("corrections", "矫正甲", level="01", start=date(2026, 1, 5), planned_end=date(2026, 3, 5))
    kinds = list(Contact.objects.filter(enrolment=e).values_list("kind", "due_date"))
    report_ins = sorted(d for k, d in kinds if k == "report_in")
    assert report_ins[0] == date(2026, 1, 12) and report_ins[-1] <= date(2026, 3, 5)
    assert len(report_ins) == 8 and all((b - a).days == 7 for a, b in zip(report_ins, report_ins[1:], strict=False))
    services.enrolment_update(actor=users["social_worker"], programme="corrections", enrolment_id=e.pk,
                              version=e.version, level="03", today=date(2026, 2, 1))
    after = sorted(d for k, d in Contact.objects.filter(enrolment=e, kind="report_in").values_list("kind", "due_date")
                   if d > date(2026, 2, 1))
    assert after == []  # 宽管: every 60 days from 2026-02-01 -> beyond the planned end
    assert Contact.objects.filter(enrolment=e, kind="report_in", due_date__lte=date(2026, 2, 1)).count() == 3


def test_mental_health_risk_level_sets_the_visit_interval(enrol):
    high = enrol("mental_health", "患者", level="06", start=date(2026, 1, 1), planned_end=date(2026, 3, 1))
    low = enrol("mental_health", "患者二", level="01", start=date(2026, 1, 1), planned_end=date(2026, 6, 30))
    assert Contact.objects.filter(enrolment=high).count() == 4   # every 14 days
    assert Contact.objects.filter(enrolment=low).count() == 2    # every 90 days


def test_overdue_and_due_this_week_with_frozen_dates(enrol, users):
    sw = users["social_worker"]
    e = enrol("youth", "青年", level="01", start=date(2026, 2, 1))  # visit every 14 days, phone every 7
    today = date(2026, 2, 20)  # a Friday
    work = selectors.worklist(sw, today=today)
    overdue = {(r["kind"], r["due_date"]) for r in work["overdue"]}
    assert overdue == {("phone", date(2026, 2, 8)), ("phone", date(2026, 2, 15)), ("visit", date(2026, 2, 15))}
    assert {(r["kind"], r["due_date"]) for r in work["due_this_week"]} == {("phone", date(2026, 2, 22))}
    assert all(r["status"] == "overdue" for r in work["overdue"])
    # completing one removes it; skipping needs a reason
    c = Contact.objects.get(enrolment=e, kind="visit", due_date=date(2026, 2, 15))
    services.contact_record(actor=sw, programme="youth", enrolment_id=e.pk, contact_id=c.pk, kind="visit",
                            done_on=date(2026, 2, 19), notes="家访", today=today)
    p = Contact.objects.get(enrolment=e, kind="phone", due_date=date(2026, 2, 8))
    with pytest.raises(FieldError):
        services.contact_skip(actor=sw, programme="youth", contact_id=p.pk, reason="", version=p.version)
    services.contact_skip(actor=sw, programme="youth", contact_id=p.pk, reason="本人住院", version=p.version)
    work = selectors.worklist(sw, today=today)
    assert {(r["kind"], r["due_date"]) for r in work["overdue"]} == {("phone", date(2026, 2, 15))}
    # "mine": another worker's caseload is not on my list
    assert selectors.worklist(users["social_worker_2"], today=today)["overdue"] == []
    assert len(selectors.worklist(users["social_worker_2"], today=today, mine=False)["overdue"]) == 1
    # the daily job persists the status
    assert services.contacts_mark_overdue(today=today)["overdue"] == 1
    assert Contact.objects.get(enrolment=e, kind="phone", due_date=date(2026, 2, 15)).status == "overdue"


def test_overdue_report_in_raises_absence_once(enrol):
    e = enrol("corrections", "矫正乙", level="01", start=date(2026, 1, 5))
    assert services.contacts_mark_overdue(today=date(2026, 1, 19))["absences"] == 0  # 7 days late exactly
    assert services.contacts_mark_overdue(today=date(2026, 1, 20))["absences"] == 1
    assert services.contacts_mark_overdue(today=date(2026, 1, 21))["absences"] == 0
    alert = Alert.objects.get(enrolment=e)
    assert alert.kind == "absent" and alert.status == "open"


def test_handover_deadline_missed_raises_loss_and_late_report_in_enrols(users, make_person, client_for):
    sw = users["social_worker"]
    person = make_person("刑释甲")
    h = services.handover_create(actor=sw, programme="resettlement", person_id=person.pk,
                                 sending_institution="市监狱", notified_on=date(2026, 2, 1),
                                 report_deadline=date(2026, 2, 10))
    assert services.handovers_check(today=date(2026, 2, 10)) == 0
    work = selectors.worklist(sw, today=date(2026, 2, 10))
    assert [r["id"] for r in work["handovers_pending"]] == [h.pk] and not work["handovers_pending"][0]["late"]
    assert services.handovers_check(today=date(2026, 2, 11)) == 1
    h.refresh_from_db()
    assert h.status == "missed"
    alert = Alert.objects.get(handover=h)
    assert alert.kind == "missed_report"
    work = selectors.worklist(sw, today=date(2026, 2, 11))
    assert work["handovers_pending"][0]["late"] and [a["id"] for a in work["alerts_open"]] == [alert.pk]
    enrolment = services.handover_receive(actor=sw, programme="resettlement", handover_id=h.pk, version=h.version,
                                          reported_on=date(2026, 2, 12), cohesion="06",
                                          fields={"release_date": "2026-01-31"}, today=date(2026, 2, 12))
    assert enrolment.fields["cohesion"] == "06" and enrolment.start_date == date(2026, 2, 12)
    services.alert_resolve(actor=sw, programme="resettlement", alert_id=alert.pk, version=alert.version,
                           response="电话联系后本人于2月12日报到, 已纠正漏管")
    assert selectors.worklist(sw, today=date(2026, 2, 12))["alerts_open"] == []
    with pytest.raises(NotFound):  # hand-over intake exists for corrections and resettlement only
        services.handover_create(actor=sw, programme="youth", person_id=person.pk, sending_institution="x",
                                 notified_on=date(2026, 2, 1), report_deadline=date(2026, 2, 2))


def test_contact_submission_is_idempotent_and_versions_conflict(enrol, users, client_for):
    e = enrol("rehabilitation", "康复甲")
    c = client_for(users["social_worker"])
    key = str(uuid.uuid4())
    body = {"kind": "report_in", "done_on": "2026-01-20", "notes": "尿检阴性", "client_uuid": key}
    url = f"/api/v1/care/rehabilitation/enrolments/{e.pk}/contacts"
    first = c.post(url, data=body, content_type="application/json")
    again = c.post(url, data=body, content_type="application/json")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    other = c.post(url, data={**body, "notes": "另一条"}, content_type="application/json")
    assert other.status_code == 409
    stale = c.patch(f"/api/v1/care/rehabilitation/enrolments/{e.pk}", data={"version": e.version, "plan": "a"},
                    content_type="application/json")
    assert stale.status_code == 200
    lost = c.patch(f"/api/v1/care/rehabilitation/enrolments/{e.pk}", data={"version": e.version, "plan": "b"},
                   content_type="application/json")
    assert lost.status_code == 409
    e.refresh_from_db()
    assert e.plan == "a"


def test_close_uses_the_programme_closure_table_and_ends_the_schedule(enrol, users):
    sw = users["social_worker"]
    e = enrol("corrections", "矫正丙")
    with pytest.raises(FieldError):
        services.enrolment_close(actor=sw, programme="corrections", enrolment_id=e.pk, version=e.version,
                                 status="completed", closure_type="05")
    services.enrolment_close(actor=sw, programme="corrections", enrolment_id=e.pk, version=e.version,
                             status="completed", closure_type="01", end_date=date(2026, 2, 1), today=TODAY)
    e.refresh_from_db()
    assert e.status == "completed" and not Contact.objects.filter(enrolment=e, due_date__gt=date(2026, 2, 1)).exists()
    assert not Contact.objects.filter(enrolment=e, status__in=["scheduled", "overdue"]).exists()
    with pytest.raises(Conflict):
        services.enrolment_close(actor=sw, programme="corrections", enrolment_id=e.pk, version=e.version,
                                 status="cancelled", closure_type="99")


def test_referrals_follow_the_transition_table(enrol, users, client_for):
    sw = users["social_worker"]
    e = enrol("resettlement", "刑释乙")
    base = Provider.objects.create(name="阳光过渡性安置基地", kind="03", programmes=["resettlement"], grid_code=HOME)
    c = client_for(sw)
    r = c.post(f"/api/v1/care/resettlement/enrolments/{e.pk}/referrals",
               data={"provider_id": base.pk, "reason": "无住所, 申请过渡安置"}, content_type="application/json")
    assert r.status_code == 201
    rid, v = r.json()["id"], r.json()["version"]
    bad = c.post(f"/api/v1/care/resettlement/referrals/{rid}/transition", data={"version": v, "status": "completed"},
                 content_type="application/json")
    assert bad.status_code == 409
    ok = c.post(f"/api/v1/care/resettlement/referrals/{rid}/transition", data={"version": v, "status": "accepted"},
                content_type="application/json")
    assert ok.status_code == 200
    done = c.post(f"/api/v1/care/resettlement/referrals/{rid}/transition",
                  data={"version": ok.json()["version"], "status": "completed", "outcome": "入住三个月后就业"},
                  content_type="application/json")
    assert done.json()["status"] == "completed"
    out = c.post(f"/api/v1/care/resettlement/enrolments/{e.pk}/outcomes",
                 data={"recorded_on": "2026-02-01", "resettled": True, "resettlement": "06"},
                 content_type="application/json")
    assert out.status_code == 201
    file = c.get(f"/api/v1/care/resettlement/enrolments/{e.pk}").json()
    assert file["outcomes"][0]["resettlement_label"] == "企业和经济实体吸纳就业"
    assert {t["kind"] for t in file["timeline"]} >= {"enrolled", "referral", "referral_completed", "resettlement"}
    assert c.post(f"/api/v1/care/youth/enrolments/{e.pk}/outcomes",
                  data={"recorded_on": "2026-02-01", "resettled": True, "resettlement": "06"},
                  content_type="application/json").status_code == 422
    assert c.get("/api/v1/care/providers").json()["items"][0]["open_referrals"] == 0


def test_joint_street_children_case_each_agency_its_task(enrol, users, client_for):
    e = enrol("street_children", "流浪儿童甲", birth=date(2014, 3, 3))
    tasks = {t.agency: t for t in JointTask.objects.filter(enrolment=e)}
    assert set(tasks) == {"civil_affairs", "police", "city_management"}
    police, sw = users["police_officer"], users["social_worker"]
    file = client_for(police).get(f"/api/v1/care/street_children/enrolments/{e.pk}")
    assert file.status_code == 200 and len(file.json()["tasks"]) == 3
    url = f"/api/v1/care/street_children/enrolments/{e.pk}/tasks/"
    other = client_for(police).post(url + "civil_affairs", data={"version": 1, "status": "done"},
                                    content_type="application/json")
    assert other.status_code == 403
    own = client_for(police).post(url + "police", data={"version": 1, "status": "done", "note": "已联系户籍地"},
                                  content_type="application/json")
    assert own.status_code == 200
    assert client_for(sw).post(url + "civil_affairs", data={"version": 1, "status": "done"},
                               content_type="application/json").status_code == 200
    assert JointTask.objects.filter(enrolment=e, status="done").count() == 2


def test_pre_sentence_investigation(users, make_person, client_for):
    sw = users["social_worker"]
    person = make_person("被告人")
    c = client_for(sw)
    r = c.post("/api/v1/care/investigations", data={"person_id": person.pk, "requesting_authority": "黄浦区人民法院",
                                                    "requested_on": "2026-02-01", "due_date": "2026-02-11"},
               content_type="application/json")
    assert r.status_code == 201
    iid = r.json()["id"]
    a = c.post(f"/api/v1/care/investigations/{iid}/assign", data={"version": 1, "worker_id": sw.pk},
               content_type="application/json")
    assert a.json()["status"] == "assigned"
    work = selectors.worklist(sw, today=date(2026, 2, 12))
    assert work["investigations_due"][0]["overdue"] is True
    s = c.post(f"/api/v1/care/investigations/{iid}/report",
               data={"version": a.json()["version"], "report": "家庭支持良好, 有固定居所", "recommendation": "suitable"},
               content_type="application/json")
    assert s.json()["status"] == "submitted"
    assert c.get(f"/api/v1/care/investigations/{iid}").json()["report"].startswith("家庭")
    assert client_for(users["police_officer"]).get("/api/v1/care/investigations").status_code == 403


# --- suppression ---------------------------------------------------------------------------------------------

def test_suppression_hides_small_cells_and_protects_them_by_secondary_suppression():
    table = [[7, 3, 9], [12, 8, 6]]
    full = [row + [sum(row)] for row in table]
    full.append([sum(col) for col in zip(*full, strict=True)])
    out = suppress.suppress_table(full)
    assert out[0][1] is None
    # the hidden 3 cannot be recovered from its row or column
    assert sum(v is None for v in out[0]) >= 2
    assert sum(out[r][1] is None for r in range(3)) >= 2
    assert all(v is None or v >= 5 for row in out for v in row)
    assert suppress.suppress_table([[0, 20], [20, 20]])[0][0] is None  # zero is suppressed too


def test_statistics_per_area_are_suppressed(enrol, users, client_for):
    for i in range(6):
        enrol("corrections", f"甲区{i}", grid_code=HOME)
    for i in range(2):
        enrol("corrections", f"乙区{i}", grid_code="310101005001001")
    r = client_for(users["social_worker"]).get("/api/v1/care/corrections/statistics?area_level=9").json()
    rows = {row["area"]: row for row in r["rows"]}
    assert rows["310101005"]["total"] is None and rows["310101002"]["total"] is None  # 2 is small; 6 then too
    assert r["totals"]["total"] == 8
    assert all(v is None or v >= 5 for row in r["rows"] for v in [*row["by_level"].values(), row["total"]])
    assert HOME2


# --- de-identification ------------------------------------------------------------------------------------------

def test_deidentification_after_retention(enrol, users):
    sw = users["social_worker"]
    old = enrol("mental_health", "旧案患者", start=date(2019, 1, 1), today=date(2019, 1, 1))
    services.team_member_add(actor=sw, programme="mental_health", enrolment_id=old.pk, member_type="01",
                             name="张医生", phone="13900001111")
    services.contact_record(actor=sw, programme="mental_health", enrolment_id=old.pk, kind="visit",
                            done_on=date(2019, 2, 1), notes="病情稳定, 家属陪同", today=date(2019, 2, 1))
    services.enrolment_close(actor=sw, programme="mental_health", enrolment_id=old.pk, version=old.version,
                             status="completed", closure_type="03", note="迁往外省", end_date=date(2020, 1, 1),
                             today=date(2020, 1, 1))
    recent = enrol("mental_health", "近案患者", start=date(2024, 1, 1), today=date(2024, 1, 1))
    recent.refresh_from_db()
    services.enrolment_close(actor=sw, programme="mental_health", enrolment_id=recent.pk, version=recent.version,
                             status="completed", closure_type="01", end_date=date(2025, 6, 1),
                             today=date(2025, 6, 1))
    active = enrol("mental_health", "在管患者", start=date(2018, 1, 1), today=date(2018, 1, 1))
    now = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    result = services.enrolments_deidentify(now=now, days=5 * 365)
    assert result["enrolments"] == 1
    old.refresh_from_db()
    assert old.person_id is None and old.deidentified_at is not None and old.closure_note == ""
    assert "guardian_name" not in old.fields and "hospital" not in old.fields and "diagnosis" not in old.fields
    assert old.fields.get("incident_history") is False  # non-identifying codes stay for statistics
    assert TeamMember.objects.get(enrolment=old).name == services.DEIDENTIFIED
    assert not Contact.objects.filter(enrolment=old).exclude(notes="").exists()
    assert Enrolment.objects.get(pk=recent.pk).person_id is not None
    assert Enrolment.objects.get(pk=active.pk).person_id is not None
    assert AuditEvent.objects.filter(object_id=str(old.pk), reason__startswith="retention").exists()
    assert services.enrolments_deidentify(now=now, days=5 * 365)["enrolments"] == 0  # idempotent
    # a shorter configured retention takes the recent one too
    assert services.enrolments_deidentify(now=now, days=30)["enrolments"] == 1
    file = selectors.enrolment_file(sw, "mental_health", old.pk)
    assert file["person"] is None and file["deidentified"] is True


def test_daily_job_cli(enrol, users, capsys, settings):
    from gridgov import cli

    settings.GRIDGOV_CARE_RETENTION_DAYS = 10
    enrol("corrections", "矫正丁", level="01", start=date(2026, 1, 5))
    assert cli.main(["care-jobs", "--today", "2026-02-01"]) == 0
    out = capsys.readouterr().out
    assert '"absences": 1' in out and '"overdue":' in out
    assert services.retention_days() == 10


def test_break_glass_and_legal_query_refusals(enrol, users):
    e = enrol("youth", "青少年乙", birth=date(2011, 1, 1))
    with pytest.raises(Forbidden):
        services.breakglass_open(actor=users["police_officer"], programme="youth", enrolment_id=e.pk,
                                 reason="a reason long enough")
    assert timedelta(minutes=services.DEFAULT_BREAKGLASS_MINUTES) <= timedelta(hours=1)
    assert HandOver.objects.count() == 0
