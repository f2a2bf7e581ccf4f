"""Opening a care file outside one's jurisdiction (or without the capability) is audited with
outcome `denied`, at most one row per actor and programme a minute."""

from __future__ import annotations

from gridgov.core.models import AuditEvent


def test_a_care_file_outside_the_jurisdiction_is_audited_denied(enrol, users, client_for):
    away = enrol("corrections", "外区对象", grid_code="310104003002001")
    here = enrol("corrections", "本区对象")
    worker = client_for(users["social_worker"])  # 310101: the away file is outside
    assert worker.get(f"/api/v1/care/corrections/enrolments/{here.pk}").status_code == 200
    assert worker.get(f"/api/v1/care/corrections/enrolments/{away.pk}").status_code == 404
    rows = AuditEvent.objects.filter(outcome="denied", object_type="care.corrections")
    row = rows.get()
    assert row.action == "READ" and row.object_id == str(away.pk) and row.actor_username == "u_social_worker"
    for _ in range(5):  # a scan within the minute adds no row
        assert worker.get(f"/api/v1/care/corrections/enrolments/{away.pk}").status_code == 404
    assert rows.count() == 1


def test_a_care_file_without_the_capability_is_audited_denied(enrol, users, client_for):
    here = enrol("corrections", "本区对象")
    grid = client_for(users["grid_worker"])
    r = grid.get(f"/api/v1/care/corrections/enrolments/{here.pk}")
    assert r.status_code in (403, 404)
    row = AuditEvent.objects.get(outcome="denied", object_type="care.corrections")
    assert row.object_id == str(here.pk) and row.actor_username == "u_grid_worker"
