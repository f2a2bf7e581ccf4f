"""The pages: caseload with worklists, case file with timeline, mobile contact, statistics."""

from __future__ import annotations

from datetime import date

from gridgov.care import services
from gridgov.care.models import Contact
from gridgov.core.models import AuditEvent


def test_caseload_page_lists_my_cases_and_hides_sealed(enrol, users, client_for):
    e = enrol("corrections", "矫正页甲")
    s = enrol("youth", "封存页乙", birth=date(2010, 1, 1))
    services.enrolment_seal(actor=users["social_worker"], programme="youth", enrolment_id=s.pk, reason="依法封存")
    c = client_for(users["social_worker"])
    page = c.get("/care/?programme=corrections").content.decode()
    assert "矫正页甲" in page and e.person.identity_number not in page
    assert "封存页乙" not in c.get("/care/?programme=youth&status=all").content.decode()
    assert AuditEvent.objects.filter(actor_id=users["social_worker"].pk, action="READ").exists()


def test_pages_refuse_without_capability_and_404_outside(enrol, users, client_for):
    e = enrol("mental_health", "患者页")
    assert client_for(users["grid_worker"]).get("/care/").status_code == 403
    assert client_for(users["city_admin"]).get("/care/").status_code == 302  # to the area figures
    police = client_for(users["police_officer"])
    assert police.get("/care/").status_code == 200  # street children only
    assert police.get(f"/care/mental_health/{e.pk}/").status_code == 403
    assert client_for(users["social_worker_away"]).get(f"/care/mental_health/{e.pk}/").status_code == 404


def test_case_file_and_mobile_contact(enrol, users, client_for):
    e = enrol("rehabilitation", "康复页", start=date(2026, 1, 5))
    c = client_for(users["social_worker"])
    file = c.get(f"/care/rehabilitation/{e.pk}/")
    assert file.status_code == 200 and "康复页" in file.content.decode() and 'data-testid="timeline"' in \
        file.content.decode()
    form = c.get(f"/care/rehabilitation/{e.pk}/contact/")
    assert form.status_code == 200
    first = Contact.objects.filter(enrolment=e, status="scheduled").order_by("due_date").first()
    r = c.post(f"/care/rehabilitation/{e.pk}/contact/", {"contact_id": first.pk, "kind": "report_in",
                                                         "done_on": "2026-01-20", "notes": "按时报到, 尿检阴性"})
    assert r.status_code == 302 and r["Location"].endswith(f"/care/rehabilitation/{e.pk}/")
    first.refresh_from_db()
    assert first.status == "completed" and first.notes == "按时报到, 尿检阴性"
    assert "按时报到" in c.get(f"/care/rehabilitation/{e.pk}/").content.decode()
    bad = c.post(f"/care/rehabilitation/{e.pk}/contact/", {"kind": "visit", "done_on": "2099-01-01"})
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()


def test_statistics_page_shows_suppressed_cells(enrol, users, client_for):
    enrol("youth", "青年页")
    page = client_for(users["social_worker"]).get("/care/youth/statistics/").content.decode()
    assert "&lt;5" in page and "青年页" not in page
