"""Writes of the project list: validation, scope, transitions with versions, history and audit,
progress notes with photos."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.command import project_services as svc
from gridgov.command.models import Milestone, ProgressNote, Project, ProjectChange, ProjectPhoto
from gridgov.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gridgov.core.models import AuditEvent
from tests.cases.images import has_gps, jpeg_with_gps


def test_create_records_history_and_audit(new_project, users):
    p = new_project(milestones=[("方案", "2026-01-05")], is_key=True)
    assert p.status == "planned" and p.key_year == 2026  # the start's year when not given
    assert list(Milestone.objects.filter(project=p).values_list("title", "due_date")) == [("方案", date(2026, 1, 5))]
    change = ProjectChange.objects.get(project=p)
    assert change.action == "created" and change.actor == users["street"]
    event = AuditEvent.objects.get(object_type="project", object_id=str(p.pk))
    assert event.action == "CREATE" and event.jurisdiction == "310101002"


def test_validation_reports_every_field(users):
    with pytest.raises(ValidationFailed) as caught:
        svc.project_create(actor=users["street"], title="", owner_name="", owner_unit="单位", area_code="31010100",
                           category="77", start_date="2026-02-01", deadline="2026-01-01", lon="121.4")
    fields = {d.field: d.code for d in caught.value.details}
    assert fields == {"title": "required", "owner_name": "required", "area_code": "invalid_code",
                      "category": "unknown_code", "deadline": "before_start"}
    assert not Project.objects.exists()


def test_area_outside_write_scope_is_refused(users):
    with pytest.raises(ValidationFailed) as caught:
        svc.project_create(actor=users["street"], title="x", owner_name="a", owner_unit="b", area_code="310101013",
                           category="01", start_date="2026-01-01", deadline="2026-02-01")
    assert [(d.field, d.code) for d in caught.value.details] == [("area_code", "out_of_scope")]


def test_without_capability_forbidden(users):
    for who in ("grid", "city"):  # the city administrator may read, not write
        with pytest.raises(Forbidden):
            svc.project_create(actor=users[who], title="x", owner_name="a", owner_unit="b", area_code="310101002",
                               category="01", start_date="2026-01-01", deadline="2026-02-01")


def test_other_street_cannot_change_a_project(new_project, users):
    p = new_project()
    with pytest.raises(NotFound):
        svc.project_transition(actor=users["other"], project_id=p.pk, version=p.version, status="in_progress")
    # the district centre can
    svc.project_transition(actor=users["district"], project_id=p.pk, version=p.version, status="in_progress")
    assert Project.objects.get(pk=p.pk).status == "in_progress"


def test_transition_follows_table_and_version(new_project, users):
    p = new_project()
    street = users["street"]
    with pytest.raises(Conflict) as bad:
        svc.project_transition(actor=street, project_id=p.pk, version=1, status="done")
    assert bad.value.code == "invalid_transition"
    p = svc.project_transition(actor=street, project_id=p.pk, version=1, status="in_progress")
    assert p.version == 2
    with pytest.raises(Conflict) as stale:
        svc.project_transition(actor=street, project_id=p.pk, version=1, status="done")
    assert stale.value.code == "stale_version"
    with pytest.raises(ValidationFailed):  # suspending needs a reason
        svc.project_transition(actor=street, project_id=p.pk, version=2, status="suspended")
    p = svc.project_transition(actor=street, project_id=p.pk, version=2, status="done", today=date(2026, 1, 9))
    assert (p.status, p.done_on, p.version) == ("done", date(2026, 1, 9), 3)
    actions = list(ProjectChange.objects.filter(project=p).order_by("id").values_list("action", "changes"))
    assert actions[1] == ("status", {"status": ["planned", "in_progress"]})
    assert actions[2] == ("status", {"status": ["in_progress", "done"], "done_on": "2026-01-09"})
    assert AuditEvent.objects.filter(object_type="project", action="TRANSITION").count() == 2


def test_update_records_old_and_new(new_project, users):
    p = new_project()
    fields = {k: getattr(p, k) for k in svc.EDITABLE}
    fields["deadline"] = "2026-03-31"
    fields["owner_name"] = "李华"
    p2 = svc.project_update(actor=users["street"], project_id=p.pk, version=1, **fields)
    assert p2.deadline == date(2026, 3, 31) and p2.version == 2
    change = ProjectChange.objects.filter(project=p, action="edited").get()
    assert change.changes == {"owner_name": ["张明", "李华"], "deadline": ["2026-01-10", "2026-03-31"]}


def test_note_with_photo_strips_gps(new_project, users, media):
    p = new_project()
    note = svc.note_add(actor=users["street"], project_id=p.pk, text="完成场地改造", photos=[jpeg_with_gps()])
    photo = ProjectPhoto.objects.get(note=note)
    stored = (media / photo.path).read_bytes()
    assert photo.content_type == "image/jpeg" and not has_gps(stored)


def test_note_with_a_bad_photo_writes_nothing(new_project, users, media):
    p = new_project()
    with pytest.raises(ValidationFailed) as caught:
        svc.note_add(actor=users["street"], project_id=p.pk, text="x", photos=[jpeg_with_gps(), b"not an image"])
    assert [(d.field, d.code) for d in caught.value.details] == [("file", "unsupported_type")]
    assert not ProgressNote.objects.exists() and not ProjectPhoto.objects.exists()
    assert not (media / "projects").exists() or not any((media / "projects").rglob("*.*"))


def test_an_empty_note_is_refused_naming_the_note_not_a_residents_request(new_project, users):
    from gridgov.core.i18n import texts_of

    p = new_project()
    with pytest.raises(ValidationFailed) as caught:
        svc.note_add(actor=users["street"], project_id=p.pk, text="  ")
    assert [(d.field, d.code) for d in caught.value.details] == [("note", "required")]
    assert texts_of(caught.value)[0].startswith("备注")
