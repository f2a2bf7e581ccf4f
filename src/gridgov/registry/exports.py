"""Excel exports of register lists (masked; audited as EXPORT) and the import templates."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils import timezone

from gridgov.core.audit import audit_write
from gridgov.core.models import AuditAction
from gridgov.core.spreadsheet import xlsx_append, xlsx_workbook
from gridgov.registry import selectors
from gridgov.registry.tabular import write_csv

MAX_ROWS = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TEMPLATES = {
    "persons": ["公民身份号码", "证件代码", "证件号码", "姓名", "曾用名", "性别", "出生日期", "民族", "国籍",
                "户籍地", "户籍详址", "联系方式", "人口类型", "房屋编号", "网格编码", "与户主关系", "住所类型",
                "流入原因", "入住日期"],
    "houses": ["房屋编号", "地址", "网格编码", "经度", "纬度", "建筑用途", "建筑面积", "是否出租", "房主姓名",
               "房主证件代码", "房主证件号码", "房主联系方式"],
    "orgs": ["统一社会信用代码", "名称", "类别", "网格编码", "地址", "从业人数", "法定代表人", "联系方式", "经度",
             "纬度", "房屋编号"],
}


def template_csv(kind: str) -> bytes:
    return write_csv([], TEMPLATES[kind])


def _xlsx(user, name: str, header: list[str], rows, count_filter: dict) -> HttpResponse:
    wb = xlsx_workbook(write_only=True)
    ws = wb.create_sheet(name)
    xlsx_append(ws, header)
    n = 0
    for row in rows:
        xlsx_append(ws, row)
        n += 1
        if n >= MAX_ROWS:
            break
    buf = io.BytesIO()
    wb.save(buf)
    audit_write(AuditAction.EXPORT, actor=user, object_type=f"registry.{name}", object_id="xlsx",
                changes={"rows": n, "filter": {k: val for k, val in count_filter.items() if val}})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return HttpResponse(buf.getvalue(), content_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.xlsx"',
                                 "Cache-Control": "no-store"})


def persons_xlsx(user, filters: dict) -> HttpResponse:
    qs = selectors.person_search(user, **filters).select_related("house")

    def rows():
        for start in range(0, MAX_ROWS, 2000):
            chunk = list(qs[start:start + 2000])
            if not chunk:
                return
            for r in selectors.person_rows(chunk):
                yield [r["id"], r["name"], r["sex_label"], r["birth_year"], r["document_masked"], r["phone_masked"],
                       r["population_type_label"], r["status"], r["grid_code"], r["house_code"], r["address"]]

    return _xlsx(user, "persons", ["ID", "姓名", "性别", "出生年份", "证件号码(脱敏)", "联系方式(脱敏)", "人口类型",
                                   "状态", "网格编码", "房屋编号", "地址"], rows(), filters)


def houses_xlsx(user, filters: dict) -> HttpResponse:
    qs = selectors.house_search(user, **filters)
    rows = ([h.pk, h.house_code, h.address, h.grid_code, h.building_use, "是" if h.rented else "否"]
            for h in qs.iterator(chunk_size=2000))
    return _xlsx(user, "houses", ["ID", "房屋编号", "地址", "网格编码", "建筑用途", "是否出租"], rows, filters)


def organisations_xlsx(user, filters: dict) -> HttpResponse:
    qs = selectors.organisation_search(user, **filters)
    rows = ([o.pk, o.uscc or "", o.name, o.category, o.grid_code, o.address, o.staff_count]
            for o in qs.iterator(chunk_size=2000))
    return _xlsx(user, "organisations", ["ID", "统一社会信用代码", "名称", "类别", "网格编码", "地址", "从业人数"],
                 rows, filters)
