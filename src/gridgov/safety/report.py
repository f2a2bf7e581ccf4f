"""The weekly briefing (研判报告) as PDF, with ReportLab and its built-in CJK font (STSong-Light,
an Adobe CID font: no font file to ship). Takes the dict of ``selectors.briefing``."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
LEVEL_RGB = {"blue": "#1f6fd1", "yellow": "#f2c200", "orange": "#f07c00", "red": "#d7191c"}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def briefing_pdf(b: dict, *, language: str = "zh-hans") -> bytes:
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=11, textColor=colors.HexColor("#5b6b7c"))

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    def table(rows, widths=None, level_col=None):
        data = [[p(c, small) if i == 0 else p(c) for c in row] for i, row in enumerate(rows)]
        t = Table(data, colWidths=widths, repeatRows=1)
        style: list[tuple[Any, ...]] = [("FONTNAME", (0, 0), (-1, -1), font), ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.grey),
                 ("LINEBELOW", (0, 1), (-1, -1), 0.2, colors.lightgrey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if level_col is not None:
            for r, row in enumerate(rows[1:], start=1):
                colour = LEVEL_RGB.get(row[level_col])
                if colour:
                    style.append(("BACKGROUND", (level_col, r), (level_col, r), colors.HexColor(colour)))
        t.setStyle(TableStyle(style))
        return t

    story = [
        p(_("Weekly public-safety situation briefing"), title),
        p(f"{b['week']:%Y-%m-%d} – {b['week_end']:%Y-%m-%d} · {_('Jurisdiction')}: {', '.join(b['jurisdictions'])}"),
        p(_("Synthetic demo data — not real incidents") if b.get("synthetic") else "", small),
        Spacer(1, 4 * mm),
        p(_("Overview"), h2),
        p(_("%(n)s incidents reported by citizens or victims this week (%(prev)s the week before, %(ly)s in the same "
            "week last year). %(d)s more were discovered by police.")
          % {"n": b["total"], "prev": b["total_previous"], "ly": b["total_year_ago"], "d": b["total_discovered"]}),
        p(_("Warnings this week") + ": " + ", ".join(f"{k} {v}" for k, v in b["by_level"].items())
          + " · " + _("%(n)s earlier warnings are not closed yet.") % {"n": b["older_active"]}),
        p(_("By category"), h2),
        table([[_("Category"), _("This week"), _("Week before"), _("Same week last year"), _("Discovered by police")]]
              + [[f"{c['code']} {c['name']}", c["week"], c["previous"], c["year_ago"], c["discovered"]]
                 for c in b["categories"]], widths=[60 * mm, 25 * mm, 25 * mm, 35 * mm, 35 * mm]),
        p(_("Areas that departed from their normal"), h2),
        table([[_("Level"), _("Area"), _("Category"), _("Observed"), _("Expected"), _("Threshold")]]
              + [[r["level_name"], f"{r['area_name'] or ''} {r['alert'].area_code}", r["alert"].category.name,
                  r["alert"].observed, f"{r['alert'].expected:.1f}", f"{r['alert'].threshold:.0f}"]
                 for r in b["alerts"]], widths=[18 * mm, 62 * mm, 35 * mm, 22 * mm, 22 * mm, 22 * mm], level_col=0),
        p(_("Hotspots"), h2),
    ]
    story += [p(f"{h.kind} · {h.category.name} · {h.grid_code} ({h.observed} / {h.expected:.1f})")
              for h in b["hotspots"]] or [p(_("No significant hotspots."))]
    story += [
        p(_("How to read this"), h2),
        p(_("Each area is compared with its own history: a warning means the week's count is unusually high for "
            "that area and category, not that the area has the most incidents."), small),
        p(_("The feedback-loop guard is OFF: incidents discovered by police count towards levels and hotspots.")
          if b["include_discovered"] else
          _("Only incidents reported by citizens or victims count towards levels and hotspots; incidents discovered "
            "by police are shown but do not raise an area's level (patrols find more where they patrol)."), small),
    ]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title="gridgov briefing", author="gridgov")
    doc.build(story)
    return buf.getvalue()
