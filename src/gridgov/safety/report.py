"""The weekly briefing (研判报告) as PDF, with ReportLab and a vendored TrueType CJK font (a GB2312
subset of WenQuanYi Micro Hei, Apache-2.0, static/vendor/wqy-microhei/README.md) that is embedded
in every PDF, so the file reads the same on any machine (no reliance on the reader's fonts; the
built-in Adobe CID fonts are not embedded and printed "·" as a box). Takes the dict of
``selectors.briefing``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "GridgovCJK"
FONT_FILE = Path(__file__).parent / "static" / "vendor" / "wqy-microhei" / "WenQuanYiMicroHei-GB2312-subset.ttf"
LEVEL_RGB = {"blue": "#1f6fd1", "yellow": "#f2c200", "orange": "#f07c00", "red": "#d7191c"}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    return FONT


class Kit:
    """The shared machinery of gridgov's PDFs (the briefing here, the campaign summary in
    campaign_pdf.py): the embedded CJK font, the paragraph styles, a paragraph and a table maker,
    and ``build`` that lays the story out on A4 with the canvas in the same font."""

    def __init__(self) -> None:
        self.font = font = _font()
        self.title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=6)
        self.h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
        self.body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14)
        self.small = ParagraphStyle("small", fontName=font, fontSize=8, leading=11,
                                    textColor=colors.HexColor("#5b6b7c"))

    def p(self, text: Any, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(escape(str(text)), style or self.body)

    def table(self, rows: list[list[Any]], widths: list[float] | None = None,
              fills: list[str | None] | None = None) -> Table:
        """``fills``: per body row, the background colour of its first cell (or None)."""
        data = [[self.p(c, self.small) if i == 0 else self.p(c) for c in row] for i, row in enumerate(rows)]
        t = Table(data, colWidths=widths, repeatRows=1)
        style: list[tuple[Any, ...]] = [
            ("FONTNAME", (0, 0), (-1, -1), self.font), ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.grey),
            ("LINEBELOW", (0, 1), (-1, -1), 0.2, colors.lightgrey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        for r, colour in enumerate(fills or [], start=1):
            if colour:
                style.append(("BACKGROUND", (0, r), (0, r), colors.HexColor(colour)))
        t.setStyle(TableStyle(style))
        return t

    def build(self, story: list, *, title: str) -> bytes:
        buf = io.BytesIO()
        doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                bottomMargin=15 * mm, title=title, author="gridgov",
                                # the canvas starts in our font: its default (Helvetica) would be listed unembedded
                                initialFontName=self.font, initialFontSize=9.5)
        doc.build(story)
        return buf.getvalue()


def briefing_pdf(b: dict, *, language: str = "zh-hans") -> bytes:
    kit = Kit()
    title, h2, small = kit.title, kit.h2, kit.small
    p, table = kit.p, kit.table

    jurisdictions = "、".join(f"{name} {code}" if name else code
                              for code, name in zip(b["jurisdictions"], b["jurisdiction_names"], strict=True))
    which = _("the last complete week, Monday to Sunday") if b.get("default_week") else _("the week you chose")
    story = [
        p(_("Weekly public-safety situation briefing"), title),
        p(_("Week %(start)s – %(end)s") % {"start": f"{b['week']:%Y-%m-%d}", "end": f"{b['week_end']:%Y-%m-%d}"}
          + f"（{which}）· {_('Jurisdiction')}: {jurisdictions}"),
        p(_("Synthetic demo data — not real incidents") if b.get("synthetic") else "", small),
        Spacer(1, 4 * mm),
        p(_("Overview"), h2),
        p(_("%(n)s incidents reported by citizens or victims this week (%(prev)s the week before, %(ly)s in the same "
            "week last year). %(d)s more were discovered by police.")
          % {"n": b["total"], "prev": b["total_previous"], "ly": b["total_year_ago"], "d": b["total_discovered"]}),
        p(_("Warnings this week") + ": " + "、".join(f"{lv['label']} {lv['n']}" for lv in b["by_level"])
          + " · " + _("%(n)s earlier warnings are not closed yet.") % {"n": b["older_active"]}),
        p(_("By category"), h2),
        table([[_("Category"), _("This week"), _("Week before"), _("Same week last year"), _("Discovered by police")]]
              + [[f"{c['name']} {c['code']}", c["week"], c["previous"], c["year_ago"], c["discovered"]]
                 for c in b["categories"]]
              + [[_("Total"), b["total"], b["total_previous"], b["total_year_ago"], b["total_discovered"]]],
              widths=[60 * mm, 25 * mm, 25 * mm, 35 * mm, 35 * mm]),
        p(_("Areas that departed from their normal"), h2),
        table([[_("Level"), pgettext("region", "Area"), _("Category"), _("Observed"), _("Expected"), _("Threshold")]]
              + [[r["level_label"], f"{r['area_name'] or ''} {r['alert'].area_code}", r["alert"].category.name,
                  r["alert"].observed, f"{r['alert'].expected:.1f}", f"{r['alert'].threshold:.0f}"]
                 for r in b["alerts"]], widths=[28 * mm, 56 * mm, 31 * mm, 20 * mm, 22 * mm, 22 * mm],
              fills=[LEVEL_RGB.get(r["level_name"]) for r in b["alerts"]]),
        p(_("Hotspots"), h2),
        p(_("A grid is a hotspot when its incidents over the last 4 weeks exceed its expected count (and number at "
            "least 1) and the Getis-Ord Gi* statistic of the grid with its neighbours is significant after "
            "false-discovery-rate correction (at the 95 or 99 per cent level). A grid with no incident inside a busy "
            "neighbourhood is not reported."), small),
    ]
    story += [p(f"{r['kind_label']} · {r['hotspot'].category.name} · {r['grid_name'] or ''} {r['hotspot'].grid_code} "
                + "（" + _("%(o)s observed, %(e)s expected") % {"o": r["hotspot"].observed,
                                                              "e": f"{r['hotspot'].expected:.1f}"} + "）")
              for r in b["hotspots"]] or [p(_("No significant hotspots."))]
    story += [
        p(_("How to read this"), h2),
        p(_("Each area is compared with its own history: a warning means the week's count is unusually high for "
            "that area and category, not that the area has the most incidents."), small),
        p(_("The feedback-loop guard is OFF: incidents discovered by police count towards levels and hotspots.")
          if b["include_discovered"] else
          _("Only incidents reported by citizens or victims count towards levels and hotspots; incidents discovered "
            "by police are shown but do not raise an area's level (patrols find more where they patrol)."), small),
    ]
    return kit.build(story, title=_("Weekly public-safety situation briefing"))
