"""Case control by the centre: 改派 (reassign) and 撤回 (recall) of a dispatched case, and the
separation of duties at the end of the loop (the reporter neither closes nor scores; satisfaction is
a citizen's)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.cases import services
from gridgov.cases.models import CaseEvent, CaseTask
from gridgov.core.errors import Conflict, FieldError, Forbidden
from gridgov.core.models import AuditEvent

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def stuck(actors, make_case):
    """A case dispatched on Monday 20 October 2025 09:00 to 黄浦区水务局, a department with no handler
    (E0101 私搭乱建: 5 working days to handle), with 绿化市容局 assisting."""
    case = make_case("registered", category="E0101")
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch", now=at(2025, 10, 20, 9, 0),
                             params={"lead_department": "310101-water", "assist_departments": ["310101-gs"]})
    return case


def _open_tasks(case):
    return sorted((t.department.code, t.role, t.deadline) for t in
                  CaseTask.objects.filter(case=case, status="open").select_related("department"))


def test_the_centre_reassigns_the_lead_with_a_new_deadline(actors, stuck):
    with pytest.raises(FieldError) as info:  # a reason is required
        services.case_transition(actor=actors["centre"], case_id=stuck.pk, action="reassign",
                                 params={"lead_department": "310101-cm"})
    assert info.value.field == "note"
    case = services.case_transition(actor=actors["centre"], case_id=stuck.pk, action="reassign",
                                    note="水务局无人处置，改派城管", now=at(2025, 10, 22, 10, 0),
                                    params={"lead_department": "310101-cm", "assist_departments": ["310101-gs"]})
    # 5 working days from Wednesday 22 October 10:00 -> Wednesday 29 October 10:00
    assert case.state == "dispatched" and case.stage == "handle" and case.stage_deadline == at(2025, 10, 29, 10, 0)
    assert _open_tasks(case) == [("310101-cm", "lead", at(2025, 10, 29, 10, 0)),
                                 ("310101-gs", "assist", at(2025, 10, 29, 10, 0))]
    assert CaseTask.objects.get(case=case, department__code="310101-water").status == "cancelled"
    assert case.dispatched_at == at(2025, 10, 20, 9, 0)  # the first dispatch stays the dispatch time
    event = CaseEvent.objects.get(case=case, action="reassign")
    assert event.data["previous_lead"] == "310101-water" and event.data["lead"] == "310101-cm"
    assert event.note == "水务局无人处置，改派城管"
    assert AuditEvent.objects.filter(object_type="case", object_id=str(case.pk), action="TRANSITION",
                                     changes__action="reassign").exists()
    # the new lead department can take it on
    services.case_transition(actor=actors["handler"], case_id=case.pk, action="start")


def test_the_centre_recalls_a_case_to_its_dispatch_queue(actors, stuck):
    case = services.case_transition(actor=actors["centre"], case_id=stuck.pk, action="recall",
                                    note="派错部门，收回重派", now=at(2025, 10, 21, 9, 0))
    assert case.state == "registered" and case.stage == "dispatch"
    assert _open_tasks(case) == []
    assert set(CaseTask.objects.filter(case=case).values_list("status", flat=True)) == {"cancelled"}
    case = services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                                    params={"lead_department": "310101-cm"}, now=at(2025, 10, 21, 10, 0))
    assert case.state == "dispatched"


def test_who_may_reassign_and_recall(actors, stuck):
    for who, error in (("handler", "missing_capability"), ("worker", "missing_capability")):
        with pytest.raises(Forbidden) as info:
            services.case_transition(actor=actors[who], case_id=stuck.pk, action="recall", note="x")
        assert info.value.code == error, who
    # the street centre of the case's street (a dispatcher there) may: the levels at and above it
    services.case_transition(actor=actors["dispatcher"], case_id=stuck.pk, action="recall", note="街道收回")


def test_a_department_taken_off_a_case_is_not_scored_for_it(actors, stuck):
    from gridgov.cases import selectors

    services.case_transition(actor=actors["centre"], case_id=stuck.pk, action="reassign", note="改派",
                             params={"lead_department": "310101-cm"}, now=at(2025, 10, 22, 10, 0))
    stuck.__class__.objects.filter(pk=stuck.pk).update(registered_at=at(2025, 10, 20, 8, 0))
    rows = selectors.scorecard(actors["centre"], group="department", start=at(2025, 10, 1),
                               end=at(2025, 11, 1), now=at(2025, 10, 23, 9, 0))
    counts = {r["key"]: r["counts"]["to_handle"] for r in rows}
    assert counts.get("310101-water", 0) == 0 and counts["310101-cm"] == 1


# ----------------------------------------------------------------------------- separation of duties

def _verified(make_case, reporter, **fields):
    return make_case("verified", lead="310101-cm", reporter=reporter, **fields)


def test_the_reporter_does_not_close_their_own_case(actors, make_case):
    case = _verified(make_case, actors["centre"])
    with pytest.raises(Forbidden) as info:
        services.case_transition(actor=actors["centre"], case_id=case.pk, action="close")
    assert info.value.code == "own_report"
    case = _verified(make_case, actors["worker"])
    with pytest.raises(Forbidden) as info:  # a grid worker verifies (核查) but never closes
        services.case_transition(actor=actors["worker"], case_id=case.pk, action="close")
    assert info.value.code == "missing_capability"
    closed = services.case_transition(actor=actors["centre"], case_id=case.pk, action="close")
    assert closed.state == "closed"


def test_satisfaction_is_a_citizens_and_never_the_reporters(actors, make_case):
    staff = make_case("closed", lead="310101-cm", reporter=actors["worker"])  # grid channel, no caller
    with pytest.raises(Conflict) as info:
        services.case_transition(actor=actors["centre"], case_id=staff.pk, action="evaluate",
                                 params={"satisfaction": 4})
    assert info.value.code == "no_citizen_reporter"
    hotline = make_case("closed", lead="310101-cm", reporter=actors["centre"], channel="hotline",
                        caller_phone="13800000000")
    with pytest.raises(Forbidden) as info:  # the operator who took the call does not record its callback
        services.case_transition(actor=actors["centre"], case_id=hotline.pk, action="evaluate",
                                 params={"satisfaction": 5})
    assert info.value.code == "own_report"
    done = services.case_transition(actor=actors["dispatcher"], case_id=hotline.pk, action="evaluate",
                                    params={"satisfaction": 5})
    assert done.state == "evaluated" and done.satisfaction == 5


def test_the_buttons_follow_the_same_rules(actors, make_case):
    from gridgov.cases import selectors

    own = _verified(make_case, actors["centre"])
    assert "close" not in selectors.allowed_actions(actors["centre"], own)
    assert "close" in selectors.allowed_actions(actors["dispatcher"], own)
    staff = make_case("closed", lead="310101-cm", reporter=actors["worker"])
    assert "evaluate" not in selectors.allowed_actions(actors["centre"], staff)
    dispatched = make_case("dispatched", lead="310101-cm")
    assert {"reassign", "recall"} <= set(selectors.allowed_actions(actors["centre"], dispatched))
    assert not {"reassign", "recall"} & set(selectors.allowed_actions(actors["handler"], dispatched))
