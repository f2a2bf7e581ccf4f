"""core.db_adapter.insert_with_dependents: a case, its timeline event and its audit row go in
together or not at all, with and without a surrounding transaction, on every database."""

from __future__ import annotations

import uuid

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
