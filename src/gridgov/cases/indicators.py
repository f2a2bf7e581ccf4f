"""Evaluation indicators (pure: no Django). Formulas are in docs/indicators.md and ``INDICATORS``.

The cohort of a period is the cases *registered* (立案) in it; their outcomes are counted as of
the moment of evaluation. Each case contributes one ``Facts`` row per evaluated object (its
region, its reporter, or each department that received it as lead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Facts:
    registered: bool = True          # 立案 (the cohort)
    dispatched: bool = False         # 派遣 (a lead department was given the case)
    to_handle: bool = False          # 应处置 (dispatched and not sent back by this department)
    handled: bool = False            # 处置 (the department fed back at least once)
    handled_on_time: bool = False    # 按期处置 (first feedback before the handling deadline)
    closed: bool = False             # 结案 (closed or evaluated)
    closed_on_time: bool = False     # 按期结案 (closed, and no stage ever ran past its limit)
    reworked: bool = False           # 返工 (sent back for rework at least once)
    overdue: bool = False            # 超期 (a stage ran past its limit, or is running past it now)
    accurately_dispatched: bool = False  # 准确派遣 (dispatched and never sent back as wrong department)
    evaluated: bool = False          # 回访 (satisfaction recorded)
    satisfied: bool = False          # 满意 (satisfied or very satisfied)


COUNT_KEYS = tuple(f.name for f in fields(Facts))


@dataclass(frozen=True)
class Indicator:
    key: str
    name_zh: str
    name_en: str
    numerator: str
    denominator: str
    formula_zh: str
    formula_en: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator("closure_rate", "结案率", "Closure rate", "closed", "registered",
              "结案数 / 应结案数(立案数)", "closed / registered"),
    Indicator("on_time_closure_rate", "按期结案率", "On-time closure rate", "closed_on_time", "registered",
              "按期结案数 / 应结案数(立案数)", "closed with no stage overdue / registered"),
    Indicator("handling_rate", "处置率", "Handling rate", "handled", "to_handle",
              "处置数 / 应处置数", "handled / to be handled (dispatched, not sent back)"),
    Indicator("on_time_handling_rate", "按期处置率", "On-time handling rate", "handled_on_time", "to_handle",
              "按期处置数 / 应处置数", "handled before the handling deadline / to be handled"),
    Indicator("rework_rate", "返工率", "Rework rate", "reworked", "handled",
              "返工案件数 / 处置数", "reworked at least once / handled"),
    Indicator("overdue_rate", "超期率", "Overdue rate", "overdue", "registered",
              "超期案件数 / 立案数", "any stage past its limit / registered"),
    Indicator("accurate_dispatch_rate", "准确派遣率", "Accurate dispatch rate", "accurately_dispatched", "dispatched",
              "准确派遣数 / 应派遣数(派遣数)", "dispatched and never sent back as wrong department / dispatched"),
    Indicator("satisfaction_rate", "满意率", "Satisfaction rate", "satisfied", "evaluated",
              "满意数 / 回访数", "satisfied or very satisfied / satisfaction recorded"),
)


def count(facts: Iterable[Facts]) -> dict[str, int]:
    totals = dict.fromkeys(COUNT_KEYS, 0)
    for row in facts:
        for key in COUNT_KEYS:
            if getattr(row, key):
                totals[key] += 1
    return totals


def rates(counts: dict[str, int]) -> dict[str, dict]:
    """{key: {"numerator", "denominator", "value"}}; value is None when the denominator is 0."""
    out = {}
    for ind in INDICATORS:
        num, den = counts[ind.numerator], counts[ind.denominator]
        out[ind.key] = {"numerator": num, "denominator": den, "value": (num / den) if den else None}
    return out


def grouped(rows: Iterable[tuple[str, Facts]], *, label: Callable[[str], str] | None = None) -> list[dict]:
    """Group (key, facts) rows; one scorecard row per key, sorted by key."""
    buckets: dict[str, list[Facts]] = {}
    for key, facts in rows:
        buckets.setdefault(key, []).append(facts)
    out = []
    for key in sorted(buckets):
        counts = count(buckets[key])
        out.append({"key": key, "label": label(key) if label else key, "counts": counts, "rates": rates(counts)})
    return out
