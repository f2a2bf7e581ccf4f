"""core.db_adapter.insert_with_dependents: a case, its timeline event and its audit row go in
together or not at all, with and without a surrounding transaction, on every database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.cases.models import Case, CaseEvent, Category
from gridgov.core.audit import audit_event
from gridgov.core.db_adapter import insert_with_dependents
from gridgov.core.models import AuditEvent
from tests.cases.conftest import GRID


def _case(key=None) -> Case:
    now = timezone.now()
    return Case(grid_code=GRID, category=Category.objects.get(code="E0101"), description="井盖缺失",
                client_uuid=key, reported_at=now, updated_at=now, attributes={"k": ["v"]})


def _dependents(event_key=None):
    def build(case):
        return [CaseEvent(case=case, grid_code=case.grid_code, at=case.reported_at, action="report",
                          to_state=case.state, data={"n": 1}, client_uuid=event_key),
                audit_event("CREATE", object_type="case", object_id=case.pk, jurisdiction=case.grid_code,
                            changes={"caller_phone": "13912345678"})]
    return build


def _check_written(case, rows):
    stored = Case.objects.get(pk=case.pk)
    assert stored.attributes == {"k": ["v"]} and stored.description == "井盖缺失"
    event, audit = rows
    assert CaseEvent.objects.get(pk=event.pk).case_id == case.pk
    audit_row = AuditEvent.objects.get(pk=audit.pk)
    assert audit_row.object_id == str(case.pk)
    assert audit_row.changes == {"caller_phone": "139****5678"}  # masked by the writer
    assert not case._state.adding


def _check_nothing_written(before):
    assert (Case.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count()) == before


def _a_failing_dependent_leaves_nothing():
    """A reused event client_uuid fails the dependent insert: the parent must not stay behind."""
    key = uuid.uuid4()
    insert_with_dependents(_case(), _dependents(key))
    before = _counts()
    with pytest.raises(IntegrityError):
        insert_with_dependents(_case(), _dependents(key))
    _check_nothing_written(before)


def _counts():
    return Case.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count()


@pytest.mark.django_db
def test_inside_a_transaction(taxonomy):
    case = _case()
    rows = insert_with_dependents(case, _dependents())
    _check_written(case, rows)
    # a failing dependent (a reused event client_uuid) leaves nothing behind and the outer
    # transaction usable
    _a_failing_dependent_leaves_nothing()


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_mode(taxonomy):
    assert not transaction.get_connection().in_atomic_block
    case = _case()
    rows = insert_with_dependents(case, _dependents())
    _check_written(case, rows)
    _a_failing_dependent_leaves_nothing()
    case_key = uuid.uuid4()
    insert_with_dependents(_case(case_key), _dependents())
    before = _counts()
    with pytest.raises(IntegrityError):
        insert_with_dependents(_case(case_key), _dependents())  # a reused case client_uuid
    _check_nothing_written(before)


# --- the parent's id drawn inside the statement (PostgreSQL): where a dependent may use it -------

def _one_statement(ctx) -> bool:
    sql = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    return len(sql) == 1 and sql[0].startswith("WITH ")


def _row(obj) -> dict:
    """Every stored column of ``obj`` as read back (not the instance's own values)."""
    model = type(obj)
    stored = model.objects.get(pk=obj.pk)
    return {f.attname: getattr(stored, f.attname) for f in model._meta.concrete_fields}


@pytest.mark.django_db
def test_rows_written_in_one_statement_equal_rows_saved_by_the_orm(taxonomy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def build(case):
        return [CaseEvent(case=case, grid_code=case.grid_code, at=case.reported_at, action="report", note="备注 ✓",
                          to_state=case.state, data={"n": 1.5, "s": "引号\"和\\", "l": [None, True]}),
                audit_event("CREATE", object_type="case", object_id=case.pk, jurisdiction=case.grid_code,
                            changes={"caller_phone": "13912345678", "when": "2026-10-01"})]

    def fresh():
        case = _case(uuid.uuid4())
        case.lon, case.lat, case.caller_name, case.open311_token = 121.4737, 31.2304, "张三", uuid.uuid4()
        case.stage_limit_seconds, case.stage_escalated = 3600, True
        case.reported_at = case.updated_at = datetime(2026, 10, 1, 8, 30, 15, 123456, tzinfo=UTC)
        return case

    one = fresh()
    with CaptureQueriesContext(connection) as ctx:
        rows_one = insert_with_dependents(one, build)
    if connection.vendor == "postgresql":
        assert _one_statement(ctx), [q["sql"][:60] for q in ctx.captured_queries]
    orm = fresh()
    orm.save(force_insert=True)
    rows_orm = build(orm)
    for row in rows_orm:
        row.save(force_insert=True)
    differ = {"id", "client_uuid", "open311_token", "case_id", "object_id", "at"}
    for a, b in zip([one, *rows_one], [orm, *rows_orm], strict=True):
        stored_a, stored_b = _row(a), _row(b)
        assert {k: v for k, v in stored_a.items() if k not in differ} == \
               {k: v for k, v in stored_b.items() if k not in differ}, type(a).__name__
    assert rows_one[0].case_id == one.pk and _row(rows_one[0])["case_id"] == one.pk
    assert rows_one[1].object_id == str(one.pk) and _row(rows_one[1])["object_id"] == str(one.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("use", ["in_text", "derived", "in_json"])
def test_a_dependent_using_the_parent_id_otherwise_is_saved_the_plain_way(taxonomy, use):
    """The stand-in id must never reach the database: a dependent that embeds the parent's id in a
    text, derives a number from it or puts it in a JSON document makes the rows go in one by one
    (with the real id)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def build(case):
        note = f"见案件 {case.pk}" if use == "in_text" else ""
        data = {"case": case.pk} if use == "in_json" else {}
        event = CaseEvent(case=case, grid_code=case.grid_code, at=case.reported_at, action="report", note=note,
                          to_state=case.state, data=data)
        if use == "derived":
            event.data = {"next": case.pk + 1}
        return [event]

    case = _case()
    with CaptureQueriesContext(connection) as ctx:
        [event] = insert_with_dependents(case, build)
    assert not _one_statement(ctx)
    assert len([q for q in ctx.captured_queries if q["sql"].startswith("INSERT")]) == 2
    stored = CaseEvent.objects.get(pk=event.pk)
    assert stored.case_id == case.pk
    if use == "in_text":
        assert stored.note == f"见案件 {case.pk}"
    elif use == "in_json":
        assert stored.data == {"case": case.pk}
    else:
        assert stored.data == {"next": case.pk + 1}


def test_the_stand_in_is_found_in_every_form():
    from gridgov.core.db_adapter import _STAND_IN, _parent_refs

    assert _parent_refs(["x", _STAND_IN, 3, str(_STAND_IN), None, 1.5]) == {
        1: "(SELECT * FROM i0)", 3: "(SELECT * FROM i0)::text"}
    for other in (_STAND_IN + 1, f"case {_STAND_IN}", {"case": _STAND_IN}, [str(_STAND_IN - 7)]):
        assert _parent_refs(["x", other]) is None, other
