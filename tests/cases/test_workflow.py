"""The transition table, exhaustively: every state x every action is either the table's transition
or a 409 ``invalid_transition`` with nothing changed. Plus the order of the other refusals."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.cases import services, workflow
from gridgov.cases.models import Case, CaseEvent, CaseTask, Department
from gridgov.core.errors import Conflict, FieldError, Forbidden, NotFound

PARAMS = {"lead_department": "310101-cm", "satisfaction": 4, "extra": "1d", "card": "yellow"}

# The transition table written out by hand (docs/cases.md draws the same), not read from
# workflow.py: every state x every action, the target state or "-" (refused, 409).
ACTIONS = ("accept", "reject", "mark_duplicate", "register", "dispatch", "start", "send_back",
           "request_extension", "approve_extension", "deny_extension", "feedback", "verify", "rework",
           "close", "evaluate", "suspend", "resume", "reopen", "supervise", "reassign", "recall")
_S = {"rep": "reported", "acc": "accepted", "rej": "rejected", "reg": "registered", "dis": "dispatched",
      "hdg": "handling", "hdd": "handled", "ver": "verified", "clo": "closed", "eva": "evaluated",
      "sus": "suspended", "-": None}
_GRID = """
       accept rejct mkdup regst dspch start sndbk rqext apext dnext fdbck verfy rewrk close evalu suspd resum reopn suprv reasg recll
rep    acc   rej   rej   -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     -
acc    -     rej   rej   reg   -     -     -     -     -     -     -     -     -     -     -     -     -     -     acc   -     -
rej    -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     rep   -     -     -
reg    -     -     -     -     dis   -     -     -     -     -     -     -     -     -     -     -     -     -     reg   -     -
dis    -     -     -     -     -     hdg   reg   dis   dis   dis   -     -     -     -     -     sus   -     -     dis   dis   reg
hdg    -     -     -     -     -     -     reg   hdg   hdg   hdg   hdd   -     -     -     -     sus   -     -     hdg   dis   reg
hdd    -     -     -     -     -     -     -     -     -     -     -     ver   hdg   -     -     -     -     -     hdd   -     -
ver    -     -     -     -     -     -     -     -     -     -     -     -     -     clo   -     -     -     -     ver   -     -
clo    -     -     -     -     -     -     -     -     -     -     -     -     -     -     eva   -     -     reg   -     -     -
eva    -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     reg   -     -     -
sus    -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     -     hdg   -     sus   -     -
"""
EXPECTED: dict[tuple[str, str], str | None] = {}
for _line in _GRID.strip().splitlines()[1:]:
    _state, *_targets = _line.split()
    assert len(_targets) == len(ACTIONS), _line
    for _action, _target in zip(ACTIONS, _targets, strict=True):
        EXPECTED[(_S[_state], _action)] = _S[_target]
STATES = tuple(dict.fromkeys(state for state, _ in EXPECTED))
# who may act: the capability and the actor of each action
WHO = {"accept": ("cases.dispatch", "centre"), "reject": ("cases.dispatch", "centre"),
       "mark_duplicate": ("cases.dispatch", "centre"), "register": ("cases.dispatch", "centre"),
       "dispatch": ("cases.dispatch", "centre"), "start": ("cases.handle", "department"),
       "send_back": ("cases.handle", "department"), "request_extension": ("cases.handle", "department"),
       "approve_extension": ("cases.dispatch", "centre"), "deny_extension": ("cases.dispatch", "centre"),
       "feedback": ("cases.handle", "department"), "verify": ("cases.evaluate", "checker"),
       "rework": ("cases.evaluate", "checker"), "close": ("cases.dispatch", "centre"),
       "evaluate": ("cases.dispatch", "centre"), "suspend": ("cases.dispatch", "centre"),
       "resume": ("cases.dispatch", "centre"), "reopen": ("cases.dispatch", "centre"),
       "supervise": ("cases.dispatch", "centre"), "reassign": ("cases.dispatch", "centre"),
       "recall": ("cases.dispatch", "centre")}
# the running stage (clock) in each state
STAGE = {"reported": "accept", "accepted": "register", "registered": "dispatch", "dispatched": "handle",
         "handling": "handle", "handled": "verify", "verified": "close", "closed": "", "evaluated": "",
         "rejected": "", "suspended": ""}


def _prepare(make_case, state, action):
    fields = {}
    if action in ("approve_extension", "deny_extension"):
        fields["extension_request"] = {"extra": "1d", "reason": "materials"}
    if action == "evaluate":  # satisfaction is a citizen's: a hotline report
        fields.update(channel="hotline", caller_phone="13800000000")
    return make_case(state, lead="310101-cm", **fields)


def test_the_table_is_the_one_written_here():
    assert len(EXPECTED) == 11 * 21 and len(STATES) == 11
    assert set(workflow.STATES) == set(STATES) and set(workflow.ACTIONS) == set(ACTIONS)
    for (state, action), target in EXPECTED.items():
        if target is None:
            with pytest.raises(workflow.TransitionRefused):
                workflow.resolve(state, action)
            assert action not in workflow.actions_from(state)
            continue
        t = workflow.resolve(state, action)
        assert (t.source, t.action, t.target) == (state, action, target)
        assert (t.capability, t.actor) == WHO[action]
        assert action in workflow.actions_from(state)
    assert {s: workflow.STAGE_OF_STATE[s] or "" for s in STATES} == STAGE
    assert workflow.FINAL_STATES == {"rejected", "closed", "evaluated"}


@pytest.mark.parametrize("state", STATES)
def test_every_action_in_state(actors, make_case, state):
    """One test per state, every action tried on a fresh case in that state through the service."""
    other = make_case("registered")
    params = {**PARAMS, "duplicate_of": other.pk}
    for action in ACTIONS:
        case = _prepare(make_case, state, action)
        target = EXPECTED[(state, action)]
        if target is None:
            with pytest.raises(Conflict) as exc:
                services.case_transition(actor=actors["centre"], case_id=case.pk, action=action,
                                         version=case.version, note="reason", params=params)
            assert exc.value.code == "invalid_transition", action
            case.refresh_from_db()
            assert (case.state, case.version) == (state, 1), action
            assert not CaseEvent.objects.filter(case=case).exists(), action
            continue
        after = services.case_transition(actor=actors["centre"], case_id=case.pk, action=action,
                                         version=case.version, note="reason", params=params)
        assert (after.state, after.version) == (target, 2), action
        event = CaseEvent.objects.get(case=case)
        assert (event.action, event.from_state, event.to_state, event.note) == (action, state, target, "reason")
        assert event.actor == actors["centre"]
        if target != state:
            assert after.stage == STAGE[target], action


def test_the_happy_path():
    state = "reported"
    for action in ["accept", "register", "dispatch", "start", "feedback", "verify", "close", "evaluate"]:
        state = workflow.resolve(state, action).target
    assert state == "evaluated"


def test_unknown_action_is_422_and_stale_version_409(actors, make_case):
    case = make_case("reported")
    with pytest.raises(FieldError) as exc:
        services.case_transition(actor=actors["centre"], case_id=case.pk, action="teleport")
    assert exc.value.status == 422 and exc.value.field == "action"
    with pytest.raises(Conflict) as exc:
        services.case_transition(actor=actors["centre"], case_id=case.pk, action="accept", version=7)
    assert exc.value.code == "stale_version"


def test_refusal_order_404_403_409(actors, make_case):
    outside = make_case("reported", grid_code="310104001001001")
    with pytest.raises(NotFound):
        services.case_transition(actor=actors["centre"], case_id=outside.pk, action="accept")
    case = make_case("reported")
    with pytest.raises(Forbidden) as exc:  # grid worker: no cases.dispatch
        services.case_transition(actor=actors["worker"], case_id=case.pk, action="accept")
    assert exc.value.code == "missing_capability"
    with pytest.raises(Forbidden):  # auditor: cannot even see cases
        services.case_transition(actor=actors["auditor"], case_id=case.pk, action="accept")


def test_only_the_lead_department_handles(actors, make_case, departments):
    case = make_case("dispatched", lead="310101-water")
    with pytest.raises(Forbidden) as exc:
        services.case_transition(actor=actors["handler"], case_id=case.pk, action="start")
    assert exc.value.code in ("not_lead_department",)


def test_params_are_validated_422(actors, make_case):
    case = make_case("registered")
    with pytest.raises(FieldError) as exc:
        services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch", params={})
    assert exc.value.field == "lead_department"
    with pytest.raises(FieldError) as exc:  # a department that does not serve the grid
        services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                                 params={"lead_department": "310104-cm"})
    assert exc.value.reason_code == "outside_department"
    # the street next door, or a code that is not a division prefix (entered in the admin), do not
    # serve the grid; the grid's own street does
    for code, jurisdiction in (("next", "310101002"), ("bad", "31010"), ("street", "310101001")):
        Department.objects.create(code=code, name=code, kind="city_management", jurisdiction=jurisdiction)
    for code in ("next", "bad"):
        with pytest.raises(FieldError) as exc:
            services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                                     params={"lead_department": code})
        assert (exc.value.field, exc.value.reason_code) == ("lead_department", "outside_department"), code
    accepted = make_case("accepted")
    with pytest.raises(FieldError) as exc:
        services.case_transition(actor=actors["centre"], case_id=accepted.pk, action="reject")
    assert exc.value.field == "note"
    case.refresh_from_db()
    assert case.version == 1 and not CaseTask.objects.filter(case=case).exists()
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                             params={"lead_department": "street"})
    assert CaseTask.objects.get(case=case).department.code == "street"


def test_api_maps_refusals_to_status_codes(actors, make_case):
    client = Client()
    client.force_login(actors["centre"])
    case = make_case("reported")
    url = f"/api/v1/cases/{case.pk}/transitions"
    r = client.post(url, {"action": "close", "version": 1}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    r = client.post(url, {"action": "fly"}, content_type="application/json")
    assert r.status_code == 422
    r = client.post(url, {"action": "accept", "version": 1}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "accepted" and r.json()["version"] == 2
    r = client.post(url, {"action": "register", "version": 1}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_version"
    worker = Client()
    worker.force_login(actors["worker"])
    assert worker.post(url, {"action": "register"}, content_type="application/json").status_code == 403
    far = Client()
    far.force_login(actors["far_handler"])
    assert far.get(f"/api/v1/cases/{case.pk}").status_code == 404


def test_full_loop_with_joint_dispatch_and_rework(actors, make_case, departments):
    case = make_case("reported", channel="hotline", caller_phone="13800000000")
    c, d, w, h = actors["centre"], actors["dispatcher"], actors["worker"], actors["handler"]
    services.case_transition(actor=d, case_id=case.pk, action="accept")
    services.case_transition(actor=d, case_id=case.pk, action="register")
    services.case_transition(actor=d, case_id=case.pk, action="dispatch", note="请速处置",
                             params={"lead_department": "310101-cm", "assist_departments": ["310101-gs"]})
    tasks = list(CaseTask.objects.filter(case=case).order_by("id"))
    assert [(t.department.code, t.role) for t in tasks] == [("310101-cm", "lead"), ("310101-gs", "assist")]
    assert all(t.deadline is not None for t in tasks)
    # the handler sees the dispatched case in the department worklist
    client = Client()
    client.force_login(h)
    ids = [row["id"] for row in client.get("/api/v1/cases/?worklist=department").json()["items"]]
    assert case.pk in ids
    services.case_transition(actor=h, case_id=case.pk, action="start")
    # the lead cannot report the case handled while an assisting department has not reported
    with pytest.raises(Conflict) as exc:
        services.case_transition(actor=h, case_id=case.pk, action="feedback", note="已拆除")
    assert exc.value.code == "assist_open" and "310101-gs" in exc.value.message
    assert Case.objects.get(pk=case.pk).state == "handling"
    assist = tasks[1]
    with pytest.raises(Forbidden):  # only a member of the assisting department completes its task
        services.task_complete(actor=h, case_id=case.pk, task_id=assist.pk, result="已清运")
    with pytest.raises(Conflict) as exc:  # the lead's part is the feedback action
        services.task_complete(actor=h, case_id=case.pk, task_id=tasks[0].pk, result="x")
    assert exc.value.code == "lead_task"
    done = services.task_complete(actor=actors["gs_handler"], case_id=case.pk, task_id=assist.pk, result="已清运")
    assert done.status == "done" and done.result == "已清运" and done.done_at is not None
    with pytest.raises(Conflict) as exc:
        services.task_complete(actor=actors["gs_handler"], case_id=case.pk, task_id=assist.pk, result="again")
    assert exc.value.code == "task_not_open"
    services.case_transition(actor=h, case_id=case.pk, action="feedback", note="已拆除")
    services.case_transition(actor=w, case_id=case.pk, action="rework", note="未拆干净")
    after = Case.objects.get(pk=case.pk)
    assert after.state == "handling" and after.rework_count == 1
    services.case_transition(actor=h, case_id=case.pk, action="feedback", note="已全部拆除")
    services.case_transition(actor=w, case_id=case.pk, action="verify")  # verification delegated (核查)
    services.case_transition(actor=c, case_id=case.pk, action="close", note="办结")  # the close is the centre's
    final = services.case_transition(actor=c, case_id=case.pk, action="evaluate", params={"satisfaction": 5})
    assert final.state == "evaluated" and final.satisfaction == 5 and final.handled_on_time is True
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["accept", "register", "dispatch", "start", "task_done", "feedback", "rework", "feedback",
                       "verify", "close", "evaluate"]


def test_the_centre_takes_an_assisting_department_off_the_case(actors, make_case):
    case = make_case("registered")
    d, h = actors["dispatcher"], actors["handler"]
    services.case_transition(actor=d, case_id=case.pk, action="dispatch",
                             params={"lead_department": "310101-cm", "assist_departments": ["310101-gs", "310101-water"]})
    lead, gs, water = CaseTask.objects.filter(case=case).order_by("id")
    services.case_transition(actor=h, case_id=case.pk, action="start")
    services.task_complete(actor=actors["gs_handler"], case_id=case.pk, task_id=gs.pk, result="已清运")
    with pytest.raises(Conflict) as exc:
        services.case_transition(actor=h, case_id=case.pk, action="feedback", note="已处置")
    assert "310101-water" in exc.value.message and "310101-gs" not in exc.value.message
    with pytest.raises(Forbidden):  # a handler is not the dispatching centre
        services.task_cancel(actor=h, case_id=case.pk, task_id=water.pk, reason="不需要")
    with pytest.raises(Conflict):
        services.task_cancel(actor=d, case_id=case.pk, task_id=lead.pk, reason="x")
    client = Client()
    client.force_login(d)
    r = client.post(f"/api/v1/cases/{case.pk}/tasks/{water.pk}/cancel", data={"reason": "无需水务配合"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.content
    again = client.post(f"/api/v1/cases/{case.pk}/tasks/{water.pk}/cancel", data={"reason": "again"},
                        content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "task_not_open"
    done = services.case_transition(actor=h, case_id=case.pk, action="feedback", note="已处置")
    assert done.state == "handled"
    event = CaseEvent.objects.get(case=case, action="task_cancelled")
    assert event.note == "无需水务配合" and event.data == {"department": "310101-water"}
    other = Client()
    other.force_login(actors["other_worker"])
    assert other.post(f"/api/v1/cases/{case.pk}/tasks/{gs.pk}/cancel", data={"reason": "x"},
                      content_type="application/json").status_code in (403, 404)


def test_send_back_extension_and_supervision(actors, make_case):
    case = make_case("dispatched", lead="310101-cm")
    h, c = actors["handler"], actors["centre"]
    services.case_transition(actor=h, case_id=case.pk, action="request_extension", note="需要协调", params={"extra": "2d"})
    with pytest.raises(Conflict) as exc:
        services.case_transition(actor=h, case_id=case.pk, action="request_extension", note="again",
                                 params={"extra": "1d"})
    assert exc.value.code == "extension_pending"
    before = Case.objects.get(pk=case.pk)
    after = services.case_transition(actor=c, case_id=case.pk, action="approve_extension")
    assert after.stage_limit_seconds == before.stage_limit_seconds + 2 * 8 * 3600
    assert after.stage_deadline > before.stage_deadline and after.extension_request is None
    after = services.case_transition(actor=c, case_id=case.pk, action="supervise", note="督办", params={"card": "red"})
    assert after.supervision == "red" and after.state == "dispatched"
    after = services.case_transition(actor=h, case_id=case.pk, action="send_back", note="非本部门职责")
    assert after.state == "registered" and after.sendback_count == 1
    assert CaseTask.objects.get(case=case).status == "returned"


def test_events_are_append_only(make_case):
    case = make_case("reported")
    event = CaseEvent.objects.create(case=case, grid_code=case.grid_code, action="note", note="x")
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(pk=event.pk).update(note="y")
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(pk=event.pk).delete()


def test_admin_refuses_bad_time_limits(taxonomy):
    from gridgov.cases.admin import CategoryForm
    from gridgov.cases.models import Category

    cat = Category.objects.get(code="E0101")
    data = {"code": cat.code, "parent": cat.parent_id, "name": cat.name, "name_en": "", "domain": "event",
            "departments": '["city_management"]', "stage_limits": '{"handle": "3 weeks"}', "urgency": "normal",
            "duplicate_radius_m": 50, "attributes": "[]", "order": 1, "active": True}
    form = CategoryForm(data=data, instance=cat)
    assert not form.is_valid() and "stage_limits" in form.errors
    form = CategoryForm(data={**data, "stage_limits": '{"handle": "5d"}'}, instance=cat)
    assert form.is_valid(), form.errors
