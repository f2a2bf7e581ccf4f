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
