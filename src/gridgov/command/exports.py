"""The monthly scorecard as XLSX (through core/spreadsheet.py, the one spreadsheet writer) and as a
PDF report in Chinese (ReportLab with the vendored CJK font that safety's briefing embeds: the font
registration is reused from gridgov.safety.report, not copied). Both take the dict of
``scorecard_selectors.area_scorecard``."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridgov.core.spreadsheet import xlsx_append, xlsx_workbook


def _pct(value) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _score(value) -> str:
    return "" if value is None else f"{value:.1f}"


def _rows(sc: dict, kind: str) -> list[dict]:
    if kind == "department":
        return sc["departments"]
    return [sc["area"], *sc["children"]]


def _header(indicators: list[dict]) -> list[str]:
    return [_("Code"), _("Name"), *[i["name"] for i in indicators], _("Score"), _("Rank"), _("Change on last month")]


def _line(row: dict, indicators: list[dict]) -> list:
    cells: list = [row["code"], row["name"]]
    for ind in indicators:
        m = row["measures"].get(ind["key"], {})
        cells.append(None if m.get("value") is None else round(m["value"], 4))
    cells.append(None if row["score"] is None else round(row["score"], 2))
    cells.append(f"{row['rank']}/{row['of']}" if row.get("rank") else "")
    cells.append(None if row.get("trend") is None else round(row["trend"], 2))
    return cells


def scorecard_xlsx(sc: dict) -> bytes:
    wb = xlsx_workbook()
    ws = wb.active
    ws.title = _("Areas")
    xlsx_append(ws, [_("Monthly scorecard") + f" {sc['month']:%Y-%m}", f"{sc['area']['name']} {sc['area']['code']}"])
    xlsx_append(ws, _header(sc["area_indicators"]))
    for row in _rows(sc, "area"):
        xlsx_append(ws, _line(row, sc["area_indicators"]))
    xlsx_append(ws, [])
    xlsx_append(ws, [_("Indicator"), _("Formula"), _("Weight")])
    for ind in sc["area_indicators"]:
        xlsx_append(ws, [ind["name"], ind["formula"], sc["weights"].get(ind["key"])])
    wd = wb.create_sheet(_("Departments"))
    xlsx_append(wd, _header(sc["department_indicators"]))
    for row in _rows(sc, "department"):
        xlsx_append(wd, _line(row, sc["department_indicators"]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def scorecard_pdf(sc: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from gridgov.safety.report import _font

    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=10, textColor=colors.HexColor("#5b6b7c"))

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    def table(rows):
        t = Table([[p(c, small if i == 0 else body) for c in row] for i, row in enumerate(rows)], repeatRows=1)
        t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.grey),
                               ("LINEBELOW", (0, 1), (-1, -1), 0.2, colors.lightgrey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    def lines(rows, indicators):
        out = [[_("Name"), *[i["name"] for i in indicators], _("Score"), _("Rank"), _("Change on last month")]]
        for r in rows:
            out.append([f"{r['name']} {r['code']}",
                        *[_pct(r["measures"].get(i["key"], {}).get("value")) or _("no data") for i in indicators],
                        _score(r["score"]) or _("no data"), f"{r['rank']}/{r['of']}" if r.get("rank") else "—",
                        "—" if r.get("trend") is None else f"{r['trend']:+.1f}"])
        return out

    area = sc["area"]
    story = [
        p(_("Monthly scorecard") + f" · {area['name']} {area['code']} · {sc['month']:%Y-%m}", title),
        p(_("Score") + f": {_score(area['score']) or _('no data')}"
          + (f" · {_('Rank')}: {area['rank']}/{area['of']}" if area.get("rank") else "")),
        Spacer(1, 3 * mm),
        p(_("Areas"), h2), table(lines(_rows(sc, "area"), sc["area_indicators"])),
        p(_("Departments"), h2),
        table(lines(sc["departments"], sc["department_indicators"])) if sc["departments"] else p(_("No departments.")),
        p(_("Formulas and weights"), h2),
    ]
    for ind in [*sc["area_indicators"], *[i for i in sc["department_indicators"]
                                          if i["key"] not in {a["key"] for a in sc["area_indicators"]}]]:
        story.append(p(f"{ind['name']}（{_('weight')} {sc['weights'].get(ind['key'], 0):g}）: {ind['formula']}", small))
    story.append(p(_("Score = 100 × Σ weight × value / Σ weight over the indicators with data; an indicator "
                     "without data gives its weight to the others in proportion. Ranking: equal scores share a "
                     "rank, the next rank is skipped (1, 2, 2, 4)."), small))
    if sc["actions"]:
        story.append(p(_("Supervisory actions"), h2))
        story.append(table([[pgettext("supervision", "Kind"), _("Title"), _("Deadline"), _("Status")]]
                           + [[a.get_kind_display(), a.title, f"{a.deadline:%Y-%m-%d}", a.get_status_display()]
                              for a in sc["actions"]]))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=_("Monthly scorecard"), author="gridgov",
                            initialFontName=font, initialFontSize=9)
    doc.build(story)
    return buf.getvalue()
