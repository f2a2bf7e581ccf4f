"""The one-stop desk: receive and route in one step, receipt numbers, promised dates on the working
calendar, deadline colours and escalation, closure with satisfaction, scoping and audit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gridgov.cases.workcal import SHANGHAI
from gridgov.core.errors import Conflict, FieldError, Forbidden, NotFound

from .conftest import FAR, FRIDAY_3PM, GRID, GRID2

pytestmark = pytest.mark.django_db


def _receive(actor, **kw):
    from gridgov.desk import services

    base = {"channel": "in_person", "kind": "problem", "text": "楼道堆物堵塞消防通道", "category_code": "E0101",
            "now": FRIDAY_3PM}
    base.update(kw)
    return services.request_receive(actor=actor, **base)


def test_problem_is_routed_to_a_case_with_receipt_and_promised_date(users, person):
    from gridgov.cases.models import Case
    from gridgov.core.models import AuditEvent

    p = person("李四")
    r = _receive(users["desk"], person_id=p.pk)
    assert r.receipt == "SL202603060001"
    assert _receive(users["desk"], person_id=p.pk).receipt == "SL202603060002"
    # 5 working days of 8 hours from Friday 15:00 (no holiday that week): the next Friday 15:00
    assert r.promised_at.astimezone(SHANGHAI) == datetime(2026, 3, 13, 15, 0, tzinfo=SHANGHAI)
    case = Case.objects.get(pk=r.case_id)
    assert (case.grid_code, case.category.code, case.caller_name) == (GRID, "E0101", "李四")
    assert case.channel == "api"
    assert r.route == "case" and r.status == "open"
    assert AuditEvent.objects.filter(object_type="desk.request", object_id=str(r.pk), action="CREATE").exists()


def test_phone_request_goes_to_the_case_as_a_hotline_call(users, person):
    from gridgov.cases.models import Case

    r = _receive(users["desk"], person_id=person("王五").pk, channel="phone")
    assert Case.objects.get(pk=r.case_id).channel == "hotline"


def test_question_answered_on_the_spot_is_closed_at_once(users):
    r = _receive(users["desk"], kind="question", visitor_name="张三", visitor_phone="13900001111", grid_code=GRID2,
                 answer="居住证办理需带身份证、照片和租赁合同")
    assert (r.route, r.status, r.closed_at) == ("answered", "closed", FRIDAY_3PM)
    assert r.visitor.name == "张三" and r.person is None and r.grid_code == GRID2


def test_visitor_phone_is_masked_in_reads(users):
    from gridgov.desk import selectors

    r = _receive(users["desk"], kind="question", visitor_name="张三", visitor_phone="13900001111", grid_code=GRID,
                 answer="已解答")
    row = selectors.request_detail(users["desk"], r.pk)
    assert "13900001111" not in str(row)
    assert row["visitor"]["phone"].startswith("139") and row["visitor"]["phone"].endswith("1111")


def test_bad_input_names_the_field(users, person):
    with pytest.raises(FieldError) as e:
        _receive(users["desk"], person_id=person("甲").pk, kind="nonsense")
    assert e.value.details[0].field == "kind"
    with pytest.raises(FieldError) as e:
        _receive(users["desk"], person_id=person("乙").pk, text="  ")
    assert e.value.details[0].field == "text"
    with pytest.raises(FieldError) as e:  # a permit needs a resident of the register
        _receive(users["desk"], kind="permit", visitor_name="丙", grid_code=GRID)
    assert e.value.details[0].field == "person_id"
    with pytest.raises(FieldError) as e:  # a phone visitor must leave a number
        _receive(users["desk"], kind="question", channel="phone", visitor_name="丁", grid_code=GRID, answer="x")
    assert e.value.details[0].field == "visitor_phone"


def test_failed_routing_writes_nothing(users, person):
    from gridgov.desk.models import DeskRequest, Visitor

    with pytest.raises(FieldError):
        _receive(users["desk"], kind="problem", visitor_name="戊", grid_code=GRID, category_code="NOPE")
    assert DeskRequest.objects.count() == 0 and Visitor.objects.count() == 0


def test_scope_and_capability(users, person):
    from gridgov.desk import selectors

    p = person("赵六")
    with pytest.raises(NotFound):  # a resident outside the officer's jurisdiction is absent
        _receive(users["far_desk"], person_id=p.pk)
    with pytest.raises(Forbidden):  # a visitor at a grid outside the capture scope
        _receive(users["desk"], kind="question", visitor_name="x", grid_code=FAR, answer="y")
    with pytest.raises(Forbidden):  # no desk.intake
        _receive(users["grid"], person_id=p.pk)
    r = _receive(users["desk"], person_id=p.pk)
    with pytest.raises(NotFound):
        selectors.request_get(users["far_desk"], r.pk)
    with pytest.raises(Forbidden):
        selectors.request_get(users["police"], r.pk)
    assert selectors.request_get(users["street"], r.pk).pk == r.pk


def test_colour_follows_the_share_of_working_time(users, person):
    from gridgov.desk import selectors

    r = _receive(users["desk"], person_id=person("钱七").pk)
    # 40 working hours; 80 % = 32 h = 4 days: Thursday 15:00 turns yellow, Friday 15:00 red
    assert selectors.request_colour(r, now=datetime(2026, 3, 12, 14, 59, tzinfo=SHANGHAI))[1] == "green"
    assert selectors.request_colour(r, now=datetime(2026, 3, 12, 15, 0, tzinfo=SHANGHAI))[1] == "yellow"
    assert selectors.request_colour(r, now=datetime(2026, 3, 13, 14, 59, tzinfo=SHANGHAI))[1] == "yellow"
    assert selectors.request_colour(r, now=datetime(2026, 3, 13, 15, 0, tzinfo=SHANGHAI))[1] == "red"


def test_overdue_requests_escalate_once(users, person):
    from gridgov.desk import services
    from gridgov.desk.models import DeskEvent

    r = _receive(users["desk"], person_id=person("孙八").pk)
    assert services.requests_escalate(now=datetime(2026, 3, 13, 14, 0, tzinfo=SHANGHAI)) == 0
    assert services.requests_escalate(now=datetime(2026, 3, 13, 15, 1, tzinfo=SHANGHAI)) == 1
    assert services.requests_escalate(now=datetime(2026, 3, 14, 9, 0, tzinfo=SHANGHAI)) == 0
    assert list(DeskEvent.objects.filter(request=r).values_list("action", flat=True)) == [
        "received", "routed", "escalated"]


def test_closure_waits_for_the_case_and_asks_satisfaction(users, person):
    from gridgov.cases.models import Case
    from gridgov.desk import selectors, services

    r = _receive(users["desk"], person_id=person("周九").pk)
    with pytest.raises(Conflict):
        services.request_close(actor=users["desk"], request_id=r.pk, version=r.version, satisfaction="satisfied")
    Case.objects.filter(pk=r.case_id).update(state="closed")
    with pytest.raises(FieldError):
        services.request_close(actor=users["desk"], request_id=r.pk, version=r.version, satisfaction="great")
    done = services.request_close(actor=users["desk"], request_id=r.pk, version=r.version, satisfaction="basic")
    assert (done.status, done.satisfaction) == ("closed", "basic")
    with pytest.raises(Conflict):
        services.request_close(actor=users["desk"], request_id=r.pk, version=done.version, satisfaction="basic")
    detail = selectors.request_detail(users["desk"], r.pk)
    sources = [str(e["source"]) for e in detail["timeline"]]
    assert any(s.startswith("事件") for s in sources) and "窗口" in sources
    times = [e["at"] for e in detail["timeline"]]
    assert times == sorted(times)


def test_stale_version_is_refused(users, person):
    from gridgov.cases.models import Case
    from gridgov.desk import services

    r = _receive(users["desk"], person_id=person("吴十").pk)
    Case.objects.filter(pk=r.case_id).update(state="closed")
    with pytest.raises(Conflict):
        services.request_close(actor=users["desk"], request_id=r.pk, version=r.version + 1, satisfaction="basic")


def test_figures_and_actions(users, person):
    from django.utils import timezone

    from gridgov.cases.models import Case
    from gridgov.desk import selectors

    now = timezone.now()
    a = _receive(users["desk"], person_id=person("甲一").pk, now=now)
    _receive(users["desk"], kind="question", visitor_name="乙二", grid_code=GRID, answer="已答", now=now)
    late = _receive(users["desk"], person_id=person("丙三").pk, now=now - timedelta(days=30))
    f = selectors.desk_figures(users["desk"], "")
    assert (f["received_today"], f["answered_today"], f["routed_today"], f["open"], f["overdue"]) == (2, 1, 1, 2, 1)
    kinds = {(x["kind"], x["url"].rstrip("/").rsplit("/", 1)[-1]) for x in selectors.desk_actions(users["desk"], "")}
    assert ("desk.overdue", str(late.pk)) in kinds and all(k[1] != str(a.pk) for k in kinds)
    Case.objects.filter(pk=a.case_id).update(state="closed")
    kinds = {(x["kind"], x["url"].rstrip("/").rsplit("/", 1)[-1]) for x in selectors.desk_actions(users["desk"], "")}
    assert ("desk.close", str(a.pk)) in kinds
    assert selectors.desk_figures(users["desk"], "310104")["received_today"] == 0


def test_resident_search_is_scoped_and_audited(users, person):
    from gridgov.core.models import AuditEvent
    from gridgov.desk import selectors

    person("欧阳娜", grid_code=GRID)
    person("欧阳娜", grid_code=FAR)
    rows = selectors.resident_search(users["desk"], q="欧阳娜")
    assert [r["grid_code"] for r in rows] == [GRID]
    assert AuditEvent.objects.filter(object_type="registry.person_search", actor_id=users["desk"].pk).count() == 1
