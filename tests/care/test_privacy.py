"""Sealed juvenile records, audit of every read (fail closed), break-glass, mental-health identity,
masking."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from gridgov.care import selectors, services
from gridgov.care.api import router
from gridgov.care.codes import PROGRAMME_CODES
from gridgov.care.models import Contact, HandOver
from gridgov.core.errors import NotFound
from gridgov.core.models import AuditEvent

from .conftest import HOME, TODAY

SEALED_NAME = "封存少年"
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@pytest.fixture
def sealed(enrol, users):
    """A sealed youth record and a sealed corrections record of the same minor, with an overdue
    contact, an open absence alert and a hand-over, next to ordinary records."""
    sw = users["social_worker"]
    youth = enrol("youth", SEALED_NAME, birth=date(2010, 6, 1))
    from gridgov.care.models import Enrolment

    corrections = services.enrolment_create(actor=sw, programme="corrections", person_id=youth.person_id,
                                            start_date=date(2026, 1, 5), fields={"rectifying_category": "02"},
                                            today=TODAY)
    handover = services.handover_create(actor=sw, programme="corrections", person_id=youth.person_id,
                                        sending_institution="某监狱", notified_on=date(2025, 12, 1),
                                        report_deadline=date(2025, 12, 10))
    HandOver.objects.filter(pk=handover.pk).update(enrolment=corrections)
    services.absence_report(actor=sw, programme="corrections", enrolment_id=corrections.pk, cause="联系不上")
    for e in (youth, corrections):
        services.enrolment_seal(actor=sw, programme=e.programme, enrolment_id=e.pk, reason="判决生效后依法封存")
    others = [enrol(p, f"普通{i}") for i, p in enumerate(PROGRAMME_CODES)]
    services.contacts_mark_overdue(today=TODAY)
    return {"youth": Enrolment.objects.get(pk=youth.pk), "corrections": Enrolment.objects.get(pk=corrections.pk),
            "others": others}


def _get_paths():
    """Every GET operation of the care router (a new endpoint joins the sweep by itself)."""
    out = []
    for path, view in router.path_operations.items():
        if any("GET" in op.methods for op in view.operations):
            out.append(path)
    return out


def _assert_no_sealed(data, sealed_ids, url):
    """Walk the JSON: no string names the sealed person, no enrolment row or reference is sealed."""
    if isinstance(data, dict):
        assert data.get("enrolment_id") not in sealed_ids, (url, data)
        if "start_date" in data and "programme" in data:
            assert data.get("id") not in sealed_ids, (url, data)
        for value in data.values():
            _assert_no_sealed(value, sealed_ids, url)
    elif isinstance(data, list):
        for value in data:
            _assert_no_sealed(value, sealed_ids, url)
    elif isinstance(data, str):
        assert SEALED_NAME not in data, (url, data)


def test_sweep_every_get_endpoint_never_shows_a_sealed_record(sealed, users, client_for):
    paths = _get_paths()
    assert len(paths) >= 15
    sealed_ids = {sealed["youth"].pk, sealed["corrections"].pk}
    ok = 0
    for role in ("social_worker", "police_officer", "social_worker_2"):
        c = client_for(users[role])
        for path in paths:
            for programme in PROGRAMME_CODES:
                for eid in sorted(sealed_ids) + [sealed["others"][0].pk]:
                    url = "/api/v1/care" + path.replace("{programme}", programme)
                    url = re.sub(r"\{\w+_id\}", str(eid), url).replace("{agency}", "police")
                    url += ("&" if "?" in url else "?") + f"q={SEALED_NAME}&status=all&mine=false"
                    response = c.get(url)
                    body = response.content.decode()
                    ok += response.status_code == 200
                    assert not FULL_ID.search(body), (role, url)
                    if "json" in response["Content-Type"]:
                        _assert_no_sealed(response.json(), sealed_ids, url)
                    else:
                        assert SEALED_NAME not in body, (role, url)
    assert ok > 100  # the sweep really read data, not only errors
    # the sealed detail is plain 404, like an absent id
    c = client_for(users["social_worker"])
    assert c.get(f"/api/v1/care/youth/enrolments/{sealed['youth'].pk}").status_code == 404


def test_sealed_records_are_not_counted(sealed, users, enrol):
    for i in range(5):
        enrol("youth", f"青少年{i}")
    stats = selectors.programme_statistics(users["social_worker"], "youth", area_level=6, today=TODAY)
    assert stats["totals"]["total"] == 6  # 5 + the ordinary one of the fixture; the sealed one is not counted
    work = selectors.worklist(users["social_worker"], today=TODAY + timedelta(days=60), mine=False)
    assert all(r["enrolment_id"] not in (sealed["youth"].pk, sealed["corrections"].pk)
               for r in work["overdue"] + work["due_this_week"])
    assert all(a["enrolment_id"] != sealed["corrections"].pk for a in work["alerts_open"])


def test_legal_query_opens_sealed_records_for_the_requester_only_until_expiry(sealed, users, client_for):
    sw, approver = users["social_worker"], users["social_worker_2"]
    person_id = sealed["youth"].person_id
    c = client_for(sw)
    r = c.post("/api/v1/care/legal-queries", data={"person_id": person_id, "legal_basis": "短",
                                                    "case_reference": "(2026)沪0101刑初1号"},
               content_type="application/json")
    assert r.status_code == 422
    r = c.post("/api/v1/care/legal-queries",
               data={"person_id": person_id, "legal_basis": "刑事诉讼法第286条: 司法机关为办案需要查询",
                     "case_reference": "(2026)沪0101刑初1号"}, content_type="application/json")
    assert r.status_code == 201
    qid, version = r.json()["id"], r.json()["version"]
    assert c.get(f"/api/v1/care/legal-queries/{qid}/records").status_code == 404  # not approved yet
    own = c.post(f"/api/v1/care/legal-queries/{qid}/decision", data={"version": version, "approve": True},
                 content_type="application/json")
    assert own.status_code == 403  # four eyes: not the requester
    ok = client_for(approver).post(f"/api/v1/care/legal-queries/{qid}/decision",
                                   data={"version": version, "approve": True, "hours": 2},
                                   content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    opened = c.get(f"/api/v1/care/legal-queries/{qid}/records").json()
    assert {r["id"] for r in opened["records"]} == {sealed["youth"].pk, sealed["corrections"].pk}
    assert all(r["access"] == "legal_query" and r["person"]["name"] == SEALED_NAME for r in opened["records"])
    detail = c.get(f"/api/v1/care/youth/enrolments/{sealed['youth'].pk}")
    assert detail.status_code == 200 and detail.json()["access"] == "legal_query"
    audit = AuditEvent.objects.filter(actor_id=sw.pk, action="READ", object_id=str(sealed["youth"].pk))
    assert audit.filter(reason__contains="legal query").exists()
    # the approver did not ask: nothing opens for them; lists stay closed for everyone
    assert client_for(approver).get(f"/api/v1/care/youth/enrolments/{sealed['youth'].pk}").status_code == 404
    assert SEALED_NAME not in c.get("/api/v1/care/youth/enrolments?status=all").content.decode()
    later = timezone.now() + timedelta(hours=3)
    with pytest.raises(NotFound):
        selectors.enrolment_file(sw, "youth", sealed["youth"].pk, now=later)
    with pytest.raises(NotFound):
        selectors.legal_query_records(sw, qid, now=later)


def test_only_minor_records_of_sealable_programmes_are_sealed(enrol, users):
    from gridgov.core.errors import FieldError

    adult = enrol("corrections", "成年人")
    with pytest.raises(FieldError):
        services.enrolment_seal(actor=users["social_worker"], programme="corrections", enrolment_id=adult.pk,
                                reason="x")
    child = enrol("street_children", "流浪儿童", birth=date(2015, 1, 1))
    assert child.minor_at_start and child.under14_at_start
    with pytest.raises(FieldError):
        services.enrolment_seal(actor=users["social_worker"], programme="street_children", enrolment_id=child.pk,
                                reason="x")


# --- audit of every read ---------------------------------------------------------------------------------

READS = [
    "/api/v1/care/{p}/enrolments", "/api/v1/care/{p}/search?q={name}", "/api/v1/care/{p}/export.csv",
    "/api/v1/care/{p}/enrolments/{id}", "/api/v1/care/{p}/handovers", "/api/v1/care/{p}/alerts",
    "/api/v1/care/worklist", "/api/v1/care/{p}/statistics",
]


@pytest.mark.parametrize("template", READS)
def test_every_read_writes_an_audit_row(template, enrol, users, client_for):
    e = enrol("rehabilitation", "康复者")
    user = users["social_worker"]
    before = AuditEvent.objects.filter(actor_id=user.pk, action__in=["READ", "EXPORT"]).count()
    r = client_for(user).get(template.format(p="rehabilitation", id=e.pk, name="康复者"))
    assert r.status_code == 200
    rows = AuditEvent.objects.filter(actor_id=user.pk, action__in=["READ", "EXPORT"])
    assert rows.count() == before + 1
    row = rows.order_by("-id").first()
    if "{id}" in template or "enrolments" in template or "search" in template or "export" in template:
        assert e.pk in row.changes.get("ids", [])


@pytest.mark.parametrize("template", READS[:4])
def test_read_fails_when_the_audit_write_fails(template, enrol, users, client_for, monkeypatch):
    e = enrol("rehabilitation", "康复者乙")

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("gridgov.care.selectors.audit_write", broken)
    r = client_for(users["social_worker"]).get(template.format(p="rehabilitation", id=e.pk, name="康复者乙"))
    assert r.status_code == 500
    assert "康复者乙" not in r.content.decode()


# --- break-glass --------------------------------------------------------------------------------------------

def test_break_glass_needs_a_reason_is_audited_and_expires(enrol, users, client_for):
    e = enrol("mental_health", "患者甲")
    away = users["social_worker_away"]
    c = client_for(away)
    url = f"/api/v1/care/mental_health/enrolments/{e.pk}"
    assert c.get(url).status_code == 404
    short = c.post(url + "/breakglass", data={"reason": "急"}, content_type="application/json")
    assert short.status_code == 422
    r = c.post(url + "/breakglass", data={"reason": "患者在本区街面肇事, 需联系监护人", "minutes": 30},
               content_type="application/json")
    assert r.status_code == 201
    assert AuditEvent.objects.filter(actor_id=away.pk, action="REVEAL", reason__startswith="break-glass").exists()
    opened = c.get(url)
    assert opened.status_code == 200 and opened.json()["access"] == "breakglass"
    assert AuditEvent.objects.filter(actor_id=away.pk, action="READ", reason="break-glass").exists()
    # read-only: writing is still refused
    assert c.post(url + "/contacts", data={"kind": "visit", "done_on": "2026-01-20"},
                  content_type="application/json").status_code == 404
    with pytest.raises(NotFound):
        selectors.enrolment_file(away, "mental_health", e.pk, now=timezone.now() + timedelta(minutes=31))
    # without the capability break-glass is refused outright
    assert client_for(users["police_officer"]).post(
        url + "/breakglass", data={"reason": "患者在本区街面肇事, 需联系监护人"},
        content_type="application/json").status_code == 403


# --- mental health: identity hidden from roles without the capability --------------------------------------

IDENTITY_KEYS = {"person", "worker", "plan", "plan_goals", "team", "referrals", "outcomes", "closure_note"}


def test_team_member_without_mental_health_sees_no_identity(enrol, users, client_for):
    sw, police = users["social_worker"], users["police_officer"]
    e = enrol("mental_health", "患者乙", level="05", plan="每两周随访")
    services.team_member_add(actor=sw, programme="mental_health", enrolment_id=e.pk, member_type="02",
                             name="片区民警", user=police)
    assert client_for(police).get(f"/api/v1/care/mental_health/enrolments/{e.pk}").status_code == 403
    rows = client_for(police).get("/api/v1/care/team-cases").json()["items"]
    assert [r["id"] for r in rows] == [e.pk]
    assert not IDENTITY_KEYS & set(rows[0]) and rows[0]["level"] == "05"
    file = client_for(police).get(f"/api/v1/care/team-cases/{e.pk}")
    assert file.status_code == 200
    data = file.json()
    assert not IDENTITY_KEYS & set(data)
    names = {f["name"] for f in data["fields"]}
    assert not names & {"guardian_name", "guardian_phone", "diagnosis", "hospital", "treatment"}
    assert "incident_history" in names
    text = file.content.decode()
    assert "患者乙" not in text and "监护人甲" not in text and "精神卫生中心" not in text
    assert all("notes" not in c for c in data["contacts"])
    # the social worker (with the capability) sees everything
    full = client_for(sw).get(f"/api/v1/care/mental_health/enrolments/{e.pk}").json()
    assert full["person"]["name"] == "患者乙" and {f["name"] for f in full["fields"]} >= {"diagnosis", "hospital"}
    assert AuditEvent.objects.filter(actor_id=police.pk, action="READ", reason="team member").exists()


def test_responses_mask_identity_and_phone_numbers(enrol, users, client_for):
    e = enrol("mental_health", "患者丙")
    c = client_for(users["social_worker"])
    for url in (f"/api/v1/care/mental_health/enrolments/{e.pk}", "/api/v1/care/mental_health/enrolments",
                "/api/v1/care/mental_health/export.csv"):
        body = c.get(url).content.decode()
        assert e.person.identity_number not in body and not FULL_ID.search(body)
        assert "13812345678" not in body
    assert "HOME" and HOME


def test_contacts_of_sealed_records_are_not_in_the_contact_table_queries(sealed):
    # guard for future selectors: every Contact query in selectors filters enrolment__sealed
    assert Contact.objects.filter(enrolment__sealed=True).exists()
