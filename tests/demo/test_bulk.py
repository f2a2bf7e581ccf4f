"""demo/bulk.RecordInserter: rows as dicts of column values, defaults for the missing ones."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone


@pytest.mark.django_db
def test_record_inserter_writes_values_and_defaults():
    from gridgov.cases.models import Case, CaseEvent, Category
    from gridgov.demo.bulk import RecordInserter

    RecordInserter(Category, with_pk=False).insert([
        {"code": "Z01", "name": "测试大类", "stage_limits": {"accept": "2h"}},
        {"code": "Z0101", "name": "测试小类", "domain": "component", "departments": ["greening"]}])
    big, small = Category.objects.get(code="Z01"), Category.objects.get(code="Z0101")
    assert big.stage_limits == {"accept": "2h"} and big.departments == [] and big.domain == "event"
    assert big.active is True and big.duplicate_radius_m == 50 and big.open311_code is None
    assert small.domain == "component" and small.departments == ["greening"]

    at = timezone.make_aware(datetime(2026, 3, 2, 9, 30), timezone.get_default_timezone())
    RecordInserter(Case).insert([{"id": 4711, "grid_code": "310101001001001", "category_id": small.pk,
                                  "description": "井盖缺失", "reported_at": at, "updated_at": at,
                                  "stage_deadline": at + timedelta(hours=2), "lon": 121.47, "lat": 31.23}])
    RecordInserter(CaseEvent, with_pk=False).insert([{"case_id": 4711, "grid_code": "310101001001001", "at": at,
                                                      "action": "report", "to_state": "reported",
                                                      "data": {"step": 1}}])
    case = Case.objects.get(pk=4711)
    assert case.reported_at == at and case.stage_deadline == at + timedelta(hours=2)
    assert case.state == "reported" and case.version == 1 and case.attributes == {} and case.satisfaction is None
    assert case.extension_request is None  # a nullable JSON field without a value: SQL NULL
    event = CaseEvent.objects.get(case_id=4711)
    assert event.at == at and event.data == {"step": 1} and event.public is False


@pytest.mark.django_db
def test_record_inserter_refuses_an_unknown_field_before_writing():
    from gridgov.cases.models import Category
    from gridgov.demo.bulk import RecordInserter

    with pytest.raises(ValueError, match="cases.Category: no such fields: colour"):
        RecordInserter(Category, with_pk=False).insert([{"code": "Z02", "name": "x"},
                                                        {"code": "Z03", "name": "y", "colour": "red"}])
    assert not Category.objects.filter(code__in=["Z02", "Z03"]).exists()


def _numbers(count: int, fail_at: int | None = None):
    """A module-level generator for the child process (spawn imports it by name)."""
    for i in range(count):
        if i == fail_at:
            raise ValueError(f"no row {i}")
        yield (i, f"行{i}", [i * 0.5])


def test_items_made_in_a_child_process_arrive_whole_and_in_order():
    from gridgov.demo.bulk import produced_in_child

    assert list(produced_in_child(_numbers, count=20)) == [(i, f"行{i}", [i * 0.5]) for i in range(20)]
    assert list(produced_in_child(_numbers, count=0)) == []


def test_an_error_in_the_child_process_is_raised_here_with_its_traceback():
    from gridgov.demo.bulk import produced_in_child

    got = []
    with pytest.raises(RuntimeError) as raised:
        for item in produced_in_child(_numbers, count=10, fail_at=3):
            got.append(item[0])
    assert got == [0, 1, 2]  # what came before the failure, nothing after it
    assert "ValueError: no row 3" in str(raised.value) and "_numbers" in str(raised.value)


@pytest.mark.django_db
def test_the_register_drawn_in_a_child_process_is_the_register_drawn_here(roles):
    """The rows of the register's demo (tiny city) are the same whether ``generate`` runs here or in
    the child process the large scales use."""
    from gridgov.demo import registry
    from gridgov.demo.bulk import produced_in_child
    from gridgov.demo.geo import load_demo_city

    load_demo_city(scale="tiny", seed=1)
    plan = registry.generation_plan("tiny", 1)
    here = list(registry.generate(**plan))
    assert len(here) >= 2 and isinstance(here[-1], list) and len(here[-1]) >= 20  # chunks, then organisations
    assert sum(len(chunk[1]) for chunk in here[:-1]) == here[-2][-1] > 2000  # persons of every chunk
    assert list(produced_in_child(registry.generate, **plan)) == here
