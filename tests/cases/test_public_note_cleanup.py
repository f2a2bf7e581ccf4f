"""The data step of cases 0008: before the Open311 hardening, rejecting or closing a case copied the
internal note into ``public_note`` (published as Open311 ``status_notes``). The step clears those
copies and keeps what staff wrote on purpose (recorded in the transition's event) and the
duplicate marker; the internal note stays in the timeline."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from gridgov.cases import services
from gridgov.cases.models import Case, CaseEvent

STEP = importlib.import_module("gridgov.cases.migrations.0008_category_publish_staff_reports_public_note_cleanup")
INTERNAL_CLOSE = "内部：住户李明不配合，电话13912345678"
INTERNAL_REJECT = "不属于本网格，转派出所处理"


def _old_transition(case, action, to_state, note):
    """What the code before the hardening left: the note copied, the event without public_note."""
    CaseEvent.objects.create(case=case, grid_code=case.grid_code, action=action, from_state=case.state,
                             to_state=to_state, note=note, data={}, public=True)
    Case.objects.filter(pk=case.pk).update(state=to_state, public_note=note[:500])


@pytest.fixture
def history(actors, make_case):
    old_closed = make_case("verified", category="E0102", lead="310101-cm")
    _old_transition(old_closed, "close", "closed", INTERNAL_CLOSE)
    old_rejected = make_case("reported", category="E0102")
    _old_transition(old_rejected, "reject", "rejected", INTERNAL_REJECT)
    on_purpose = make_case("verified", category="E0102", lead="310101-cm")
    services.case_transition(actor=actors["centre"], case_id=on_purpose.pk, action="close", note=INTERNAL_CLOSE,
                             params={"public_note": "已清理完毕"})
    # written on purpose, then reopened and closed the old way (copied): the last close decides
    reclosed = make_case("verified", category="E0102", lead="310101-cm")
    services.case_transition(actor=actors["centre"], case_id=reclosed.pk, action="close", note="第一次",
                             params={"public_note": "已处理"})
    _old_transition(Case.objects.get(pk=reclosed.pk), "close", "closed", INTERNAL_CLOSE)
    original = make_case("registered", category="E0102")
    duplicate = make_case("reported", category="E0102")
    services.case_transition(actor=actors["centre"], case_id=duplicate.pk, action="mark_duplicate",
                             note="同一地点", params={"duplicate_of": original.pk})
    no_event = make_case("closed", category="E0102", public_note="手工写入，无记录")
    quiet = make_case("closed", category="E0102")
    return {"old_closed": old_closed, "old_rejected": old_rejected, "on_purpose": on_purpose,
            "reclosed": reclosed, "duplicate": duplicate, "no_event": no_event, "quiet": quiet}


def _notes(history) -> dict[str, str]:
    return {name: Case.objects.get(pk=case.pk).public_note for name, case in history.items()}


def test_copied_internal_notes_are_cleared_and_notes_written_on_purpose_kept(history):
    before = _notes(history)
    duplicate_of = Case.objects.get(pk=history["duplicate"].pk).duplicate_of_id
    assert before == {"old_closed": INTERNAL_CLOSE, "old_rejected": INTERNAL_REJECT, "on_purpose": "已清理完毕",
                      "reclosed": INTERNAL_CLOSE, "duplicate": f"duplicate of #{duplicate_of}",
                      "no_event": "手工写入，无记录", "quiet": ""}
    events_before = list(CaseEvent.objects.order_by("id").values_list("id", "note", "data"))
    STEP.clear_copied_public_notes(apps, None)
    assert _notes(history) == {"old_closed": "", "old_rejected": "", "on_purpose": "已清理完毕", "reclosed": "",
                               "duplicate": before["duplicate"], "no_event": "", "quiet": ""}
    # the internal notes stay in the timeline, untouched
    assert list(CaseEvent.objects.order_by("id").values_list("id", "note", "data")) == events_before
    assert CaseEvent.objects.filter(case_id=history["old_closed"].pk, note=INTERNAL_CLOSE).exists()
    # a second run changes nothing
    STEP.clear_copied_public_notes(apps, None)
    assert _notes(history)["on_purpose"] == "已清理完毕"


def test_the_step_works_in_batches(actors, make_case, monkeypatch):
    """More cases than one batch: every copied note is cleared, every on-purpose one kept."""
    cases = []
    for i in range(5):
        case = make_case("verified", category="E0102", lead="310101-cm")
        if i % 2:
            _old_transition(case, "close", "closed", f"内部{i}")
        else:
            services.case_transition(actor=actors["centre"], case_id=case.pk, action="close", note=f"内部{i}",
                                     params={"public_note": f"公开{i}"})
        cases.append(case)
    monkeypatch.setattr(STEP, "BATCH", 2)
    STEP.clear_copied_public_notes(apps, None)
    assert [Case.objects.get(pk=c.pk).public_note for c in cases] == ["公开0", "", "公开2", "", "公开4"]
