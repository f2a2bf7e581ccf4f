"""The monthly scorecard's formulas (统一考核). Pure: no Django, so it is fast to test and runs anywhere.

Inputs per evaluated unit (an area: street or district; or a department) are ``Measure`` values,
one per indicator: a numerator and a denominator (a rate) or a value in [0, 1] from a hook
(registration quality, project completion), or "no data" (``value is None``).

Formulas (docs/command.md, section "考核 / scorecards"; the page shows each on hover):

- indicator value v_i = numerator_i / denominator_i (no data when the denominator is 0);
- score = 100 × Σ w_i·v_i / Σ w_i over the indicators *with data* (a missing indicator's weight is
  redistributed over the others in proportion to their weights); no indicator with data -> no score;
- ranking: competition ranking ("1224") on the score, highest first, among units of the same kind
  under the same parent; units without a score are not ranked;
- trend: score this month − score last month (points), None when either month has no score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    key: str
    name_zh: str
    name_en: str
    formula_zh: str
    formula_en: str
    default_weight: float
    applies_to: tuple[str, ...]  # "area", "department"


INDICATORS: tuple[Indicator, ...] = (
    Indicator("on_time_closure", "按期结案率", "On-time closure rate",
              "当月立案事件中按期结案数 / 当月立案数", "cases registered in the month closed with no stage overdue / "
              "cases registered in the month", 30, ("area",)),
    Indicator("on_time_handling", "按期处置率", "On-time handling rate",
              "当月派给本部门(主办)的事件中按期处置数 / 应处置数", "cases given to the department as lead in the month "
              "handled before the deadline / cases to be handled", 30, ("department",)),
    Indicator("satisfaction", "满意率", "Satisfaction rate",
              "当月立案事件回访中满意(含非常满意)数 / 回访数", "satisfied or very satisfied callbacks / callbacks, for cases "
              "registered in the month", 20, ("area", "department")),
    Indicator("warning_response", "预警响应及时率", "Warning response rate",
              "当月发布的预警中 24 小时内指派处置(或关闭)数 / 当月预警数", "warnings of the month assigned a response "
              "(or closed) within 24 hours / warnings of the month", 15, ("area",)),
    Indicator("care_contact", "走访完成率", "Care contact completion",
              "当月应走访(到期)中按期完成数 / 当月到期走访数", "contacts due in the month completed by their due date / "
              "contacts due in the month", 15, ("area",)),
    Indicator("registration_quality", "登记准确率", "Registration accuracy",
              "最近一次核查的登记准确率估计值(无核查: 无数据)", "the latest verification campaign's estimated accuracy "
              "(no campaign: no data)", 10, ("area",)),
    Indicator("project_completion", "项目完成率", "Project completion",
              "到期项目中按期完成数 / 到期项目数(项目清单)", "projects due completed on time / projects due "
              "(project list)", 10, ("area", "department")),
)
BY_KEY = {ind.key: ind for ind in INDICATORS}
DEFAULT_WEIGHTS: dict[str, float] = {ind.key: ind.default_weight for ind in INDICATORS}
#: a warning counts as answered in time when 指派处置 (or closure) came within this many hours
RESPONSE_HOURS = 24


def keys_for(kind: str) -> tuple[str, ...]:
    return tuple(ind.key for ind in INDICATORS if kind in ind.applies_to)


@dataclass(frozen=True)
class Measure:
    numerator: float | None = None
    denominator: float | None = None
    value_given: float | None = None  # a hook's value in [0, 1] (no numerator/denominator)

    @property
    def value(self) -> float | None:
        if self.value_given is not None:
            return self.value_given
        if self.numerator is None or not self.denominator:
            return None
        return self.numerator / self.denominator


NO_DATA = Measure()


def ratio(numerator: float, denominator: float) -> Measure:
    return Measure(numerator=numerator, denominator=denominator)


def given(value: float | None) -> Measure:
    if value is None:
        return NO_DATA
    if not 0 <= value <= 1:
        raise ValueError("a hook's value must lie in [0, 1]")
    return Measure(value_given=float(value))


def effective_weights(measures: Mapping[str, Measure], weights: Mapping[str, float]) -> dict[str, float]:
    """The weights actually used, as shares summing to 1, over the indicators with data
    (the missing ones' weight redistributed in proportion). Empty when nothing has data."""
    used = {k: float(weights.get(k, 0)) for k, m in measures.items() if m.value is not None and weights.get(k, 0) > 0}
    total = sum(used.values())
    if total <= 0:
        return {}
    return {k: w / total for k, w in used.items()}


def score(measures: Mapping[str, Measure], weights: Mapping[str, float]) -> float | None:
    """100 × Σ w_i·v_i / Σ w_i over the indicators with data; None when none has data."""
    shares = effective_weights(measures, weights)
    if not shares:
        return None
    total = 0.0
    for key, share in shares.items():
        value = measures[key].value
        assert value is not None  # effective_weights keeps only indicators with data
        total += share * value
    return 100.0 * total


def competition_rank(scores: Mapping[str, float | None], *, digits: int = 6) -> dict[str, int | None]:
    """Standard competition ranking ("1224"), highest score first; equal scores (after rounding to
    ``digits`` decimals, so float noise does not split a tie) share a rank and the next rank skips.
    Units without a score get None."""
    present = {k: round(v, digits) for k, v in scores.items() if v is not None}
    ordered = sorted(present.values(), reverse=True)
    first_at: dict[float, int] = {}
    for i, v in enumerate(ordered, start=1):
        first_at.setdefault(v, i)
    return {k: (first_at[present[k]] if k in present else None) for k in scores}


def trend(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None:
        return None
    return current - previous


def validate_weights(raw: Mapping[str, object]) -> tuple[dict[str, float], list[tuple[str, str]]]:
    """Parse a weights form: every indicator key, a number 0..100; at least one above 0.
    Returns (weights, errors as (key, reason template))."""
    out: dict[str, float] = {}
    errors: list[tuple[str, str]] = []
    for key in BY_KEY:
        text = str(raw.get(key, "")).strip()
        try:
            value = float(text)
        except ValueError:
            errors.append((key, "not a number"))
            continue
        if not 0 <= value <= 100:
            errors.append((key, "must be between 0 and 100"))
            continue
        out[key] = value
    if not errors and not any(out.values()):
        errors.append(("weights", "at least one weight must be above 0"))
    return out, errors


def deadline_colour(issued: float, deadline: float, now: float) -> str:
    """green while less than 80 % of the time from issue to deadline has elapsed, yellow below
    100 %, red from the deadline on (the case deadline colours). Times as POSIX seconds."""
    span = deadline - issued
    if span <= 0:
        return "red" if now >= deadline else "green"
    elapsed = (now - issued) / span
    if elapsed < 0.8:
        return "green"
    if elapsed < 1.0:
        return "yellow"
    return "red"
