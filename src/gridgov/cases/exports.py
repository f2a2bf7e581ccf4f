"""Scorecard export (Excel, openpyxl). No personal data: counts and rates per group only."""

from __future__ import annotations

import io
from datetime import datetime

from gridgov.cases.indicators import INDICATORS
from gridgov.core.audit import audit_write
from gridgov.core.models import AuditAction
from gridgov.core.spreadsheet import xlsx_append, xlsx_workbook

GROUP_TITLES = {"department": "部门评价 Department", "region": "区域评价 Region", "worker": "网格员评价 Grid worker"}


def indicator_meta() -> list[dict]:
    return [{"key": i.key, "name_zh": i.name_zh, "name_en": i.name_en, "numerator": i.numerator,
             "denominator": i.denominator, "formula_zh": i.formula_zh, "formula_en": i.formula_en}
            for i in INDICATORS]


def scorecard_xlsx(rows: list[dict], *, group: str, start: datetime, end: datetime, actor=None) -> bytes:
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    wb = xlsx_workbook()
    ws = wb.active  # a new workbook has one sheet, a worksheet
    assert isinstance(ws, Worksheet)
    ws.title = "scorecard"
    xlsx_append(ws, [GROUP_TITLES.get(group, group), f"{start:%Y-%m-%d} – {end:%Y-%m-%d} (end exclusive)"])
    header = ["key", "name", "立案数 registered"]
    for ind in INDICATORS:
        header += [f"{ind.name_zh} {ind.name_en}", f"{ind.name_zh} numerator", f"{ind.name_zh} denominator"]
    xlsx_append(ws, header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        line = [row["key"], row["label"], row["counts"]["registered"]]
        for ind in INDICATORS:
            r = row["rates"][ind.key]
            line += [r["value"], r["numerator"], r["denominator"]]
        xlsx_append(ws, line)
        for col in range(4, len(line) + 1, 3):
            ws.cell(row=ws.max_row, column=col).number_format = "0.0%"
    formulas = wb.create_sheet("formulas")
    xlsx_append(formulas, ["indicator", "指标", "formula", "公式"])
    for ind in INDICATORS:
        xlsx_append(formulas, [ind.name_en, ind.name_zh, ind.formula_en, ind.formula_zh])
    xlsx_append(formulas, [])
    xlsx_append(formulas, ["cohort", "cases registered (立案) in the period; outcomes as of the export time; see docs/indicators.md"])
    out = io.BytesIO()
    wb.save(out)
    audit_write(AuditAction.EXPORT, actor=actor, object_type="case_scorecard",
                changes={"group": group, "start": start.isoformat(), "end": end.isoformat(), "rows": len(rows)})
    return out.getvalue()
