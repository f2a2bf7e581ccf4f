"""Import of the project sheet a centre keeps (Excel .xlsx or CSV, UTF-8 or GBK), all or nothing.

The template (``template_xlsx`` / ``template_csv``, written by core/spreadsheet.py) has Chinese
headers; English aliases are accepted too (``ALIASES``). The header is row 1. Every row is
validated as the form validates a project (project_services.validate_fields); milestones sit in
one cell, ``名称:日期`` separated by ``;`` or ``；``. Any rejected row: nothing is written and every
problem is reported with its row, field and reason (``ValidationFailed`` with the details). A file
that cannot be read at all (encoding, missing column, too large): ``ImportRefused``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.accounts.scope import prefix_matcher, require_capability
from gridgov.command import project_rules as rules
from gridgov.command.models import Milestone, Project
from gridgov.command.project_services import WRITE, _audit, _history, _milestones, validate_fields
from gridgov.core.errors import ErrorReport, GridgovError
from gridgov.core.models import AuditAction
from gridgov.core.spreadsheet import csv_writer, xlsx_append, xlsx_workbook
from gridgov.registry.tabular import Limits, TableError, open_table

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024

#: template columns: (field, Chinese header)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "项目名称"),
    ("category", "类别"),
    ("area_code", "责任区域代码"),
    ("owner_name", "责任人"),
    ("owner_unit", "责任单位"),
    ("start_date", "开始日期"),
    ("deadline", "完成时限"),
    ("is_key", "是否实事项目"),
    ("key_year", "实事项目年度"),
    ("milestones", "时间节点"),
    ("description", "项目内容"),
    ("lon", "经度"),
    ("lat", "纬度"),
)
ALIASES: dict[str, str] = {header: name for name, header in COLUMNS} | {name: name for name, _h in COLUMNS} | {
    "名称": "title", "项目": "title", "责任单位名称": "owner_unit", "区域代码": "area_code", "截止日期": "deadline",
    "完成时间": "deadline", "实事项目": "is_key", "里程碑": "milestones", "longitude": "lon", "latitude": "lat",
}
REQUIRED: list[tuple[str, ...]] = [("title",), ("category",), ("area_code",), ("owner_name",), ("owner_unit",), ("start_date",),
            ("deadline",)]
EXAMPLE = ["综治中心规范化建设", "规范化建设", "310101002", "张明", "南京东路街道综治中心", "2026-03-01",
           "2026-09-30", "是", "2026", "完成方案:2026-04-15；完成验收:2026-09-20", "按省级标准完成中心功能分区", "", ""]


class ImportRefused(GridgovError):
    status = 422
    code = "import_refused"


@dataclass
class ImportResult:
    created: int
    rows: int


def template_xlsx() -> bytes:
    wb = xlsx_workbook()
    ws = wb.active
    ws.title = _("Projects")
    xlsx_append(ws, [h for _f, h in COLUMNS])
    xlsx_append(ws, EXAMPLE)
    cats = wb.create_sheet(_("Categories"))
    xlsx_append(cats, ["代码", "类别"])
    for c in rules.categories():
        xlsx_append(cats, [c.code, c.name])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([h for _f, h in COLUMNS])
    writer.writerow(EXAMPLE)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _split_milestones(report: ErrorReport, cell: Any, row: int) -> list[tuple[str, Any]]:
    text = str(cell or "").strip()
    if not text:
        return []
    out = []
    for part in text.replace("；", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        name, sep, due = part.replace("：", ":").rpartition(":")
        if not sep or not name.strip():
            report.add("milestones", "%(value)s: write a milestone as name:YYYY-MM-DD", code="invalid_milestone",
                       row=row, params={"value": part[:40]})
            continue
        out.append((name.strip(), due.strip()))
    return out


def import_projects(*, actor: User, path: str, filename: str | None = None) -> ImportResult:
    """Read the sheet at ``path`` and create one project per row, all or nothing."""
    require_capability(actor, WRITE)
    try:
        table = open_table(path, aliases=ALIASES, required=REQUIRED, filename=filename,
                           limits=Limits(max_rows=MAX_ROWS))
        in_scope = prefix_matcher(actor, WRITE, purpose="write")
        report = ErrorReport()
        prepared = []
        count = 0
        for number, values in table.rows():
            data = {f: v for f, v in zip(table.fields, values, strict=False) if f}
            if not any(str(v).strip() for v in data.values()):
                continue  # a blank line
            count += 1
            clean = validate_fields(data, actor=actor, report=report, row=number, in_scope=in_scope)
            steps = _milestones(report, _split_milestones(report, data.get("milestones"), number), clean, row=number)
            prepared.append((clean, steps))
    except TableError as exc:
        raise ImportRefused("%(field)s: %(reason)s", code=exc.code,
                            params={"field": exc.field, "reason": exc.reason}) from None
    if not count:
        raise ImportRefused("the file holds no project rows", code="empty_file")
    report.raise_if_any("%(n)s problems: nothing was imported", params={"n": len(report.details)})
    with transaction.atomic():
        for clean, steps in prepared:
            project = Project.objects.create(created_by=actor, **clean)
            Milestone.objects.bulk_create([Milestone(project=project, title=t, due_date=d) for t, d in steps])
            changes = {**clean, "milestones": [[t, d.isoformat()] for t, d in steps], "source": "import"}
            _history(project, actor, "imported", changes)
            _audit(AuditAction.IMPORT, actor, project, changes)
    return ImportResult(created=len(prepared), rows=count)
