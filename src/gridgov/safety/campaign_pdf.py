"""The summary of a special campaign (专项整治) as PDF: what was done and whether it worked. Uses the
briefing's machinery (report.Kit: the embedded CJK font subset, styles, tables, A4 layout) and draws
the chart of reported against expected incidents per week with ReportLab's vector graphics, in the
same font. Takes the dict of ``campaign_views.summary``; docs/campaigns.md says how to read it."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from gridgov.safety.report import Kit

CHART_W, CHART_H = 180 * mm, 62 * mm
REPORTED, DISCOVERED = colors.HexColor("#5b6b7c"), colors.HexColor("#8e44ad")
BASELINE, COMPARISON = colors.HexColor("#2e7d32"), colors.HexColor("#f07c00")
CAMPAIGN_SHADE = colors.Color(31 / 255, 111 / 255, 209 / 255, alpha=0.12)


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None or value != value else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def _box(x: float, y: float, width: float, height: float, colour: colors.Color) -> Rect:
    """A filled rectangle without an outline."""
    rect = Rect(x, y, width, height)
    rect.fillColor, rect.strokeColor = colour, None
    return rect


def _dashed(dash: list[float] | None) -> dict[str, Any]:
    return {"strokeDashArray": dash} if dash else {}


def _nice_step(top: float) -> float:
    """A round step for about four to six grid lines up to ``top``."""
    raw = max(top, 1.0) / 5
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return max(m * power, 1.0)
    return 10 * power


def chart(c: dict, font: str) -> Drawing:
    """Bars: reported incidents per week; dashed purple: discovered by patrols (not counted); green
    line: expected by the baseline (a); orange line: expected from the comparison areas (b); shaded:
    the campaign weeks. ``c``: {weeks, reported, discovered, expected, comparison_expected,
    campaign_first, campaign_last} (indices into weeks, inclusive)."""
    d = Drawing(CHART_W, CHART_H)
    # the renderer starts in Helvetica, which pdffonts would list unembedded (attributes the stubs lack)
    d.initialFontName, d.initialFontSize = font, 7  # type: ignore[attr-defined]
    left, bottom, right, top = 26, 30, CHART_W - 6, CHART_H - 18
    n = max(len(c["weeks"]), 1)
    values = [v for key in ("reported", "discovered", "expected", "comparison_expected")
              for v in c[key] if v is not None and v == v]
    step = _nice_step(max(values, default=1.0))
    y_max = step * math.ceil(max(max(values, default=1.0), 1.0) / step)
    slot = (right - left) / n

    def x(i: float) -> float:
        return left + slot * (i + 0.5)

    def y(v: float) -> float:
        return bottom + (top - bottom) * v / y_max

    if c["campaign_first"] is not None:
        first, last = c["campaign_first"], c["campaign_last"]
        d.add(_box(left + slot * first, bottom, slot * (last - first + 1), top - bottom, CAMPAIGN_SHADE))
        d.add(String(left + slot * first + 2, top - 9, _("Campaign"), fontName=font, fontSize=7,
                     fillColor=colors.HexColor("#1f6fd1")))
    tick = 0.0
    while tick <= y_max + 1e-9:
        d.add(Line(left, y(tick), right, y(tick), strokeColor=colors.HexColor("#e1e5ea"), strokeWidth=0.4))
        d.add(String(left - 3, y(tick) - 2.5, f"{tick:g}", fontName=font, fontSize=6.5, textAnchor="end"))
        tick += step
    d.add(Line(left, bottom, right, bottom, strokeColor=colors.grey, strokeWidth=0.6))
    bar = max(slot * 0.7, 0.5)
    for i, v in enumerate(c["reported"]):
        if v:
            d.add(_box(x(i) - bar / 2, bottom, bar, y(v) - bottom, REPORTED))
    for key, colour, dash, width in (("discovered", DISCOVERED, [2, 1.5], 0.7), ("expected", BASELINE, None, 1.3),
                                     ("comparison_expected", COMPARISON, None, 1.3)):
        run: list[float] = []
        for i, v in enumerate([*c[key], None]):
            if v is not None and v == v:
                run += [x(i), y(v)]
                continue
            if len(run) >= 4:
                d.add(PolyLine(run, strokeColor=colour, strokeWidth=width, **_dashed(dash)))
            run = []
    labels = max(1, math.ceil(n / 8))  # about eight dates under the axis
    for i in range(0, n, labels):
        d.add(String(x(i), bottom - 9, c["weeks"][i][5:], fontName=font, fontSize=6, textAnchor="middle"))
    legend = [(REPORTED, _("Reported (counted)"), None), (DISCOVERED, _("Discovered by police"), [2, 1.5]),
              (BASELINE, _("Expected by the baseline (a)"), None),
              (COMPARISON, _("Expected from the comparison areas (b)"), None)]
    lx = left
    for colour, label, dash in legend:
        if dash is None and colour is REPORTED:
            d.add(_box(lx, 5, 8, 6, colour))
        else:
            d.add(Line(lx, 8, lx + 8, 8, strokeColor=colour, strokeWidth=1.3, **_dashed(dash)))
        d.add(String(lx + 11, 5.5, label, fontName=font, fontSize=7))
        lx += 14 + 7 * len(label)
    return d


def campaign_summary_pdf(s: dict, *, language: str = "zh-hans") -> bytes:
    kit = Kit()
    for style in (kit.title, kit.h2, kit.body, kit.small):
        style.wordWrap = "CJK"  # Chinese lines break between any two characters, not only at spaces
    kit.h2.keepWithNext = 1

    def table(*args, **kwargs):
        t = kit.table(*args, **kwargs)
        t.hAlign = "LEFT"
        return t

    p, small, h2 = kit.p, kit.small, kit.h2
    campaign = s["campaign"]
    story: list[Any] = [
        p(campaign.title, kit.title),
        p(_("Special campaign summary") + (" · " + s["status"] if s.get("status") else ""), small),
        p(_("Synthetic demo data — not real incidents") if s.get("synthetic") else "", small),
        Spacer(1, 3 * mm),
        table([[_("Item"), _("Details")],
               [_("Period"), f"{campaign.start:%Y-%m-%d} — {campaign.end:%Y-%m-%d}"],
               [_("Areas"), "、".join(s["area_names"])],
               [_("Incident categories"), "、".join(s["category_names"])],
               [_("Lead unit"), campaign.lead_unit],
               [_("Participating units"), campaign.participating_units or "—"],
               [_("Targets"), campaign.targets or "—"]], widths=[35 * mm, 145 * mm]),
        p(_("Actions"), h2),
    ]
    if s["action_totals"]:
        story.append(table([[pgettext("campaign action", "Kind"), pgettext("campaign action", "Number")]] + [[t["label"], t["count"]] for t in s["action_totals"]],
                           widths=[60 * mm, 30 * mm]))
    else:
        story.append(p(_("No actions logged.")))
    story.append(p(_("Effect"), h2))
    if s.get("report") is None:
        story.append(p(_("No incident data yet.")))
    else:
        if s["reporting_changed"]:
            story.append(p(_("The way incidents came to light changed during the campaign: the share discovered "
                             "by patrols went from %(before)s to %(during)s. Counts of all incidents would measure "
                             "the patrols, not the problem; the effect below counts reported incidents only.")
                           % {"before": s["discovered_before"], "during": s["discovered_during"]}))
        for w in s["windows"]:
            story.append(p(f"{w['label']} {w['first']:%Y-%m-%d} — {w['last']:%Y-%m-%d}（"
                           + _("%(n)s weeks") % {"n": w["weeks"]} + "）", kit.body))
            rows = [[_("Method"), _("Reported"), _("Expected without the campaign"), pgettext("campaign effect", "Change"),
                     _("interval at 95 per cent"), _("Verdict")]]
            for e in w["effects"]:
                interval = ("—" if e["change_low"] is None
                            else f"{_percent(e['change_low'])} ～ {_percent(e['change_high'])}")
                verdict = e["verdict_label"] + (f"：{e['reason']}" if e["verdict"] == "not_estimable"
                                                and e["reason"] else "")
                rows.append([e["method"], _num(e["observed"], 0), _num(e["expected"]), _percent(e["change"]),
                             interval, verdict])
            story += [table(rows, widths=[52 * mm, 14 * mm, 22 * mm, 14 * mm, 28 * mm, 50 * mm]),
                      Spacer(1, 2 * mm)]
        story.append(p(_("Comparison areas"), h2))
        story.append(p("、".join(s["comparison_names"]) if s["comparison_names"] else
                       _("None: no area of the same level in the district had enough incidents before the "
                         "campaign.")))
        story.append(p(_("Comparison areas are the areas of the same level in the same district, outside the "
                         "campaign, whose weekly reported incidents before the campaign were most alike."), small))
        story.append(KeepTogether([
            p(_("Reported incidents per week against the expected count"), h2),
            chart(s["pdf_chart"], kit.font),
        ]))
        weekly = s["pdf_chart"]
        first = weekly["campaign_first"]
        if first is not None:
            rows = [[_("Week"), _("Reported"), _("Discovered by police"), _("Expected by the baseline (a)"),
                     _("Expected from the comparison areas (b)")]]
            for i in range(first, len(weekly["weeks"])):
                rows.append([weekly["weeks"][i], _num(weekly["reported"][i], 0), _num(weekly["discovered"][i], 0),
                             _num(weekly["expected"][i]), _num(weekly["comparison_expected"][i])])
            story.append(p(_("Weekly counts during and after the campaign"), h2))
            story.append(table(rows, widths=[30 * mm, 22 * mm, 30 * mm, 45 * mm, 50 * mm]))
    story += [
        p(_("How the effect is measured"), h2),
        p(_("Only incidents reported by residents or victims count: a campaign that patrols more discovers more. "
            "Each estimate is a rate ratio with a 95 per cent interval. (a) compares the campaign weeks with the "
            "expected counts of the safety baseline (Farrington flexible); its interval comes from earlier windows "
            "of the same length without a campaign. (b) is a difference in differences against the comparison "
            "areas: (campaign areas during / before) / (comparison areas during / before), so seasons and "
            "city-wide changes cancel. The verdict is no measurable effect whenever the interval includes no "
            "change — also when the counts are too small to tell; a measurable reduction only when the whole "
            "interval lies below no change."), small),
        p(_("Caveats: comparison areas next to the campaign may receive displaced crime; a campaign started "
            "after a bad spell looks effective by regression to the mean, which the baseline (a) guards against."),
          small),
    ]
    return kit.build(story, title=campaign.title)
