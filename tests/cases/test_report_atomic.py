"""A report writes the case, its timeline event and its audit row together or not at all, inside
a caller's transaction and in autocommit mode, on every database."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction

from gridgov.cases import services
from gridgov.cases.models import Case, CaseEvent
from gridgov.core.models import AuditEvent
from gridgov.geo.selectors import locate_codes
from tests.cases.conftest import PEOPLES_SQUARE

LON, LAT = PEOPLES_SQUARE


@pytest.fixture
def square_grid(city):
    return locate_codes([LON], [LAT])[0]


@pytest.fixture
def centre(make_user, square_grid, taxonomy):
    return make_user("centre", ("district_centre", "310101"))


def _report(actor, **extra):
    return services.case_report(actor=actor, category_code="E0102", description="路口暴露垃圾", lon=LON, lat=LAT,
                                channel="hotline", caller_name="张三", caller_phone="13912345678", **extra)


def _counts():
    return Case.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.filter(object_type="case").count()


def _check_written(case, square_grid, actor):
    stored = Case.objects.get(pk=case.pk)
    assert (stored.grid_code, stored.state, stored.channel, stored.caller_phone) == \
        (square_grid, "reported", "hotline", "13912345678")
    [event] = CaseEvent.objects.filter(case=stored)
    assert (event.action, event.to_state, event.public, event.actor_id) == ("report", "reported", True, actor.pk)
    assert event.data == {"channel": "hotline", "category": "E0102"}
    [audit] = AuditEvent.objects.filter(object_type="case", object_id=str(case.pk))
    assert (audit.action, audit.actor_id, audit.jurisdiction) == ("CREATE", actor.pk, square_grid)
    assert audit.changes == {"category": "E0102", "channel": "hotline", "caller_phone": "139****5678"}


def _failing_writes_leave_nothing(monkeypatch, actor):
    """The timeline event's insert fails, then the audit row's: no case stays behind either time."""
    before = _counts()

    def refuse(*args, **kwargs):
        raise IntegrityError("refused by the test")

    with monkeypatch.context() as m:
        m.setattr(CaseEvent, "save", refuse)
        with pytest.raises(IntegrityError):
            _report(actor, client_uuid=uuid.uuid4())
    assert _counts() == before
    with monkeypatch.context() as m:
        m.setattr(services, "audit_write", refuse)
        with pytest.raises(IntegrityError):
            _report(actor, client_uuid=uuid.uuid4())
    assert _counts() == before


def test_inside_a_transaction(centre, square_grid, monkeypatch):
    assert transaction.get_connection().in_atomic_block
    case, created = _report(centre)
    assert created
    _check_written(case, square_grid, centre)
    _failing_writes_leave_nothing(monkeypatch, centre)
    # the caller's transaction is still usable: the next report goes in
    case2, created = _report(centre)
    assert created and _counts() == (2, 2, 2)
    _check_written(case2, square_grid, centre)


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_mode(city, taxonomy, make_user, monkeypatch):
    centre = make_user("centre", ("district_centre", "310101"))
    square_grid = locate_codes([LON], [LAT])[0]
    assert not transaction.get_connection().in_atomic_block
    case, _ = _report(centre)
    _check_written(case, square_grid, centre)
    _failing_writes_leave_nothing(monkeypatch, centre)
    # a reused client_uuid: the original comes back, nothing more is written
    key = uuid.uuid4()
    first, created = _report(centre, client_uuid=key)
    before = _counts()
    again, created_again = _report(centre, client_uuid=key)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert _counts() == before
