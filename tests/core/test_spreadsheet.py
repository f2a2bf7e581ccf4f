"""core/spreadsheet.py, the one writer of CSV and XLSX files (issue 15, finding 1), and a grep test
that no other module writes such a file itself."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gridgov.core.spreadsheet import csv_field, csv_writer, safe_cell, xlsx_append, xlsx_workbook

SRC = Path(__file__).resolve().parents[2] / "src" / "gridgov"


@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("a=1", "a=1"), ("", ""), (" =1", " =1"), ("上海=1", "上海=1"), (-1, -1), (2.5, 2.5), (None, None),
    (date(2026, 1, 2), date(2026, 1, 2)),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_writer_and_field():
    out = io.StringIO()
    w = csv_writer(out)
    w.writerow(["=SUM(A1:A2)", 3, "ok"])
    w.writerows([["@x", "-5"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=SUM(A1:A2)", "3", "ok"], ["'@x", "'-5"]]
    assert csv_field('=a,"b"') == '"\'=a,""b"""'


@pytest.mark.parametrize("write_only", [True, False])
def test_xlsx_never_writes_a_formula(write_only):
    wb = xlsx_workbook(write_only=write_only)
    ws = wb.create_sheet("s") if write_only else wb.active
    xlsx_append(ws, ["=1+2", "+A1", 7, 1.5, None, "普通"])
    buf = io.BytesIO()
    wb.save(buf)
    cells = list(load_workbook(io.BytesIO(buf.getvalue())).worksheets[0].iter_rows())[0]
    assert [(c.value, c.data_type) for c in cells] == [("=1+2", "s"), ("+A1", "s"), (7, "n"), (1.5, "n"),
                                                       (None, "n"), ("普通", "s")]
    assert [c.quotePrefix for c in cells[:2]] == [True, True] and not cells[5].quotePrefix


WRITERS = re.compile(r"csv\.writer\(|csv\.DictWriter\(|\bWorkbook\(|openpyxl\.Workbook|from openpyxl import .*Workbook"
                     r"|xlsxwriter")


def test_no_spreadsheet_writer_outside_the_helper():
    """Every file a person opens in Excel/WPS is written through gridgov.core.spreadsheet."""
    found = []
    for path in SRC.rglob("*.py"):
        if path.name == "spreadsheet.py" and path.parent.name == "core":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if WRITERS.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert found == []


def test_every_export_route_is_swept():
    """The routes that answer a CSV or XLSX file: the injection tests in tests/*/test_export_injection.py
    cover exactly these (a new export route fails here until it gets its sweep)."""
    from django.urls import get_resolver

    routes = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                route = prefix + str(p.pattern)
                if re.search(r"\.(csv|xlsx)", route):
                    routes.add(route)

    walk(get_resolver().url_patterns)
    assert routes == {
        "api/v1/registry/persons/export.xlsx", "api/v1/registry/houses/export.xlsx",
        "api/v1/registry/organisations/export.xlsx", "api/v1/registry/imports/template/<kind>.csv",
        "api/v1/care/<programme>/export.csv", "api/v1/cases/indicators.xlsx",
        "registry/import/<int:job_id>/report.csv", "audit/export.csv",
        "command/scorecards/<str:area_code>/export.xlsx",  # tests/command/test_scorecard_export_injection.py
        "quality/<int:campaign_id>/<slug:part>.csv",  # tests/quality/test_export_injection.py
        "prevention/import/<slug:network>/template.xlsx",  # tests/prevention/test_export_injection.py
    }
