"""Rules of the base-level project list (项目清单), pure: no Django.

- ``STATUSES`` and ``TRANSITIONS``: the explicit transition table of a project's status.
  planned -> in_progress | suspended | cancelled; in_progress -> done | suspended | cancelled;
  suspended -> in_progress | cancelled; done and cancelled are final.
- ``deadline_fraction`` / ``deadline_colour``: the share of the time from the start to the deadline
  that has passed, in CALENDAR time (projects run for months: working days add nothing there). The
  project runs from 00:00 of its start date to 24:00 of its deadline date (Asia/Shanghai), so it is
  overdue from the day after its deadline. The colour is the one of case deadlines
  (``cases.workcal.colour``): green < 80 % <= yellow < 100 % <= red.
- ``categories()``: the project category code table (``data/project_categories.json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from gridgov.cases.workcal import SHANGHAI
from gridgov.cases.workcal import colour as _case_colour

DATA = Path(__file__).resolve().parent / "data" / "project_categories.json"

PLANNED, IN_PROGRESS, DONE, SUSPENDED, CANCELLED = "planned", "in_progress", "done", "suspended", "cancelled"
STATUSES: tuple[str, ...] = (PLANNED, IN_PROGRESS, DONE, SUSPENDED, CANCELLED)
TRANSITIONS: dict[str, frozenset[str]] = {
    PLANNED: frozenset({IN_PROGRESS, SUSPENDED, CANCELLED}),
    IN_PROGRESS: frozenset({DONE, SUSPENDED, CANCELLED}),
    SUSPENDED: frozenset({IN_PROGRESS, CANCELLED}),
    DONE: frozenset(),
    CANCELLED: frozenset(),
}
#: statuses whose deadline still runs (a suspended project past its deadline is overdue too)
OPEN: frozenset[str] = frozenset({PLANNED, IN_PROGRESS, SUSPENDED})


def can_transition(old: str, new: str) -> bool:
    return new in TRANSITIONS.get(old, frozenset())


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI)


def deadline_fraction(start: date, deadline: date, now: datetime) -> float:
    """Share of [start 00:00, deadline 24:00) that has passed at ``now`` (may exceed 1)."""
    begin, end = _start_of(start), _start_of(deadline + timedelta(days=1))
    span = (end - begin).total_seconds()
    if span <= 0:
        return 1.0
    return max(0.0, (now - begin).total_seconds() / span)


def deadline_colour(start: date, deadline: date, now: datetime) -> str:
    return _case_colour(deadline_fraction(start, deadline, now))


def is_overdue(status: str, deadline: date, today: date) -> bool:
    return status in OPEN and today > deadline


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_en: str


@lru_cache(maxsize=1)
def categories() -> tuple[Category, ...]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return tuple(Category(c["code"], c["name"], c["name_en"]) for c in data["codes"])


def category_codes() -> frozenset[str]:
    return frozenset(c.code for c in categories())
