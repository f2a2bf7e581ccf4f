"""Import of the centre's project sheet: all or nothing, every bad row reported (row, field, reason)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from gridgov.command import project_imports as imp
from gridgov.command.models import Milestone, Project, ProjectChange
from gridgov.core.errors import Forbidden, ValidationFailed
from gridgov.core.models import AuditEvent

HEADER = "项目名称,类别,责任区域代码,责任人,责任单位,开始日期,完成时限,是否实事项目,实事项目年度,时间节点\n"


def _csv(tmp_path, body: str, encoding="utf-8"):
    path = tmp_path / "projects.csv"
    path.write_bytes((HEADER + body).encode(encoding))
    return str(path)


def test_good_sheet_imports_everything(tmp_path, users):
    path = _csv(tmp_path, "视频监控补点,信息化建设,310101002,王强,南京东路派出所,2026-02-01,2026-05-31,是,,"
                          "选址:2026-02-20；安装:2026-04-30\n"
                          "网格员配齐,02,310101002,李娜,街道综治办,2026/03/01,2026/04/30,否,,\n", encoding="gbk")
    result = imp.import_projects(actor=users["street"], path=path)
    assert (result.created, result.rows) == (2, 2)
    first = Project.objects.get(title="视频监控补点")
    assert (first.category, first.is_key, first.key_year, first.deadline) == ("04", True, 2026, date(2026, 5, 31))
    assert list(Milestone.objects.filter(project=first).values_list("title", "due_date")) == [
        ("选址", date(2026, 2, 20)), ("安装", date(2026, 4, 30))]
    assert Project.objects.get(title="网格员配齐").category == "02"
    assert ProjectChange.objects.filter(action="imported").count() == 2
    assert AuditEvent.objects.filter(object_type="project", action="IMPORT").count() == 2


def test_bad_rows_refused_with_row_field_reason_and_nothing_written(tmp_path, users):
    path = _csv(tmp_path, "好项目,01,310101002,王强,派出所,2026-02-01,2026-05-31,,,\n"
                          ",01,310101002,王强,派出所,2026-02-01,2026-05-31,,,\n"
                          "别街项目,01,310101013,王强,派出所,2026-02-01,2026-05-31,,,\n"
                          "坏日期,未知类别,310101002,王强,派出所,2026-13-01,2026-05-31,,,节点没有日期\n"
                          "倒序,01,310101002,王强,派出所,2026-06-01,2026-05-31,,,\n")
    with pytest.raises(ValidationFailed) as caught:
        imp.import_projects(actor=users["street"], path=path)
    got = [(d.row, d.field, d.code) for d in caught.value.details]
    assert got == [
        (3, "title", "required"),
        (4, "area_code", "out_of_scope"),
        (5, "category", "unknown_code"),
        (5, "start_date", "invalid_date"),
        (5, "milestones", "invalid_milestone"),
        (6, "deadline", "before_start"),
    ]
    assert not Project.objects.exists() and not ProjectChange.objects.exists()


def test_missing_column_refused(tmp_path, users):
    path = tmp_path / "p.csv"
    path.write_text("项目名称,类别\n甲,01\n", encoding="utf-8")
    with pytest.raises(imp.ImportRefused) as caught:
        imp.import_projects(actor=users["street"], path=str(path))
    assert caught.value.code == "missing_column"
    assert not Project.objects.exists()


def test_xlsx_template_round_trip(tmp_path, users):
    from openpyxl import load_workbook

    data = imp.template_xlsx()
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == [h for _f, h in imp.COLUMNS]
    path = tmp_path / "t.xlsx"
    path.write_bytes(data)
    result = imp.import_projects(actor=users["street"], path=str(path))
    assert result.created == 1
    p = Project.objects.get()
    assert (p.title, p.area_code, p.category, p.key_year) == ("综治中心规范化建设", "310101002", "01", 2026)
    assert Milestone.objects.filter(project=p).count() == 2


def test_import_needs_the_capability(tmp_path, users):
    path = _csv(tmp_path, "好项目,01,310101002,王强,派出所,2026-02-01,2026-05-31,,,\n")
    with pytest.raises(Forbidden):
        imp.import_projects(actor=users["city"], path=path)
