"""Evaluation indicators on a hand-computed fixture (docs/indicators.md), and the Excel export."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.cases import indicators, selectors
from gridgov.cases.models import Case, CaseTask, Department

SH = ZoneInfo("Asia/Shanghai")
START, END = datetime(2025, 10, 1, tzinfo=SH), datetime(2025, 11, 1, tzinfo=SH)
OCT = datetime(2025, 10, 15, 10, tzinfo=SH)


@pytest.fixture
def fixture_cases(actors, make_case, departments):
    past = timezone.now() - timedelta(days=1)
    a = make_case("closed", lead="310101-cm", registered_at=OCT, dispatched_at=OCT, handled_at=OCT,
                  handled_on_time=True, closed_at=OCT, satisfaction=5, channel="hotline", caller_phone="13800000001")
    b = make_case("closed", lead="310101-cm", registered_at=OCT, dispatched_at=OCT, handled_at=OCT,
                  handled_on_time=False, closed_at=OCT, overdue=True, rework_count=1, satisfaction=2,
                  caller_phone="13800000002")  # a grid worker's report naming the resident to call back
    c = make_case("handling", lead="310101-cm", registered_at=OCT, dispatched_at=OCT)
    Case.objects.filter(pk=c.pk).update(stage_deadline=past)  # running past its limit now
    d = make_case("registered", registered_at=OCT, dispatched_at=OCT, sendback_count=1)
    CaseTask.objects.create(case=d, grid_code=d.grid_code, department=Department.objects.get(code="310101-water"),
                            role="lead", status="returned")
    e = make_case("registered", registered_at=OCT)
    make_case("closed", lead="310101-cm", registered_at=datetime(2025, 9, 20, tzinfo=SH), closed_at=OCT)
    return a, b, c, d, e


def _values(row):
    return {k: v["value"] for k, v in row["rates"].items()}


def test_region_indicators_by_hand(actors, fixture_cases):
    rows = selectors.scorecard(actors["centre"], group="region", start=START, end=END, level=9)
    assert len(rows) == 1 and rows[0]["key"] == "310101001"
    assert rows[0]["counts"] == {"registered": 5, "dispatched": 4, "to_handle": 4, "handled": 2,
                                 "handled_on_time": 1, "closed": 2, "closed_on_time": 1, "reworked": 1,
                                 "overdue": 2, "accurately_dispatched": 3, "evaluated": 2, "satisfied": 1}
    assert _values(rows[0]) == {"closure_rate": 0.4, "on_time_closure_rate": 0.2, "handling_rate": 0.5,
                                "on_time_handling_rate": 0.25, "rework_rate": 0.5, "overdue_rate": 0.4,
                                "accurate_dispatch_rate": 0.75, "satisfaction_rate": 0.5}


def test_department_indicators_by_hand(actors, fixture_cases):
    rows = {r["key"]: r for r in selectors.scorecard(actors["centre"], group="department", start=START, end=END)}
    assert set(rows) == {"310101-cm", "310101-water"}
    cm, water = rows["310101-cm"], rows["310101-water"]
    assert _values(cm) == {"closure_rate": 2 / 3, "on_time_closure_rate": 1 / 3, "handling_rate": 2 / 3,
                           "on_time_handling_rate": 1 / 3, "rework_rate": 0.5, "overdue_rate": 2 / 3,
                           "accurate_dispatch_rate": 1.0, "satisfaction_rate": 0.5}
    # the water department sent its case back: a wrong dispatch, and nothing for it to handle
    assert water["rates"]["accurate_dispatch_rate"] == {"numerator": 0, "denominator": 1, "value": 0.0}
    assert water["rates"]["handling_rate"]["value"] is None


def test_pure_rates_with_zero_denominators():
    counts = indicators.count([])
    assert all(r["value"] is None for r in indicators.rates(counts).values())
    assert {i.key for i in indicators.INDICATORS} == {"closure_rate", "on_time_closure_rate", "handling_rate",
                                                      "on_time_handling_rate", "rework_rate", "overdue_rate",
                                                      "accurate_dispatch_rate", "satisfaction_rate"}


def test_api_and_excel_export(actors, fixture_cases):
    from openpyxl import load_workbook

    client = Client()
    client.force_login(actors["centre"])
    body = client.get("/api/v1/cases/indicators?group=region&start=2025-10-01&end=2025-10-31").json()
    assert body["rows"][0]["rates"]["closure_rate"]["value"] == 0.4
    assert body["indicators"][0]["formula_zh"].startswith("结案数")
    r = client.get("/api/v1/cases/indicators.xlsx?group=region&start=2025-10-01&end=2025-10-31")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    sheet = wb["scorecard"]
    header = [c.value for c in sheet[2]]
    row = [c.value for c in sheet[3]]
    assert row[0] == "310101001" and row[2] == 5
    assert row[header.index("结案率 Closure rate")] == 0.4
    assert [c.value for c in wb["formulas"][2]][:2] == ["Closure rate", "结案率"]
    assert client.get("/api/v1/cases/indicators?group=nope").status_code == 422


def test_scorecard_is_scoped(actors, fixture_cases, make_case):
    make_case("registered", grid_code="310104001001001", registered_at=OCT)
    rows = selectors.scorecard(actors["dispatcher"], group="region", start=START, end=END, level=6)
    assert [r["key"] for r in rows] == ["310101"]


def test_satisfaction_given_on_a_staff_report_without_a_caller_does_not_count(actors, make_case):
    dec = datetime(2025, 12, 3, 10, tzinfo=SH)
    make_case("evaluated", lead="310101-cm", registered_at=dec, dispatched_at=dec, handled_at=dec, closed_at=dec,
              satisfaction=5)  # channel grid, no caller: recorded before the rule, by staff
    make_case("evaluated", lead="310101-cm", registered_at=dec, dispatched_at=dec, handled_at=dec, closed_at=dec,
              satisfaction=4, channel="open311")
    rows = selectors.scorecard(actors["centre"], group="region", start=datetime(2025, 12, 1, tzinfo=SH),
                               end=datetime(2026, 1, 1, tzinfo=SH), level=9)
    assert (rows[0]["counts"]["evaluated"], rows[0]["counts"]["satisfied"]) == (1, 1)
