"""Contact schedules (pure: no Django), like DHIS2 programme stages.

A programme's level sets an interval in days per contact kind (data/programmes.json). The schedule
of an enrolment is the due dates from its start, one interval apart, up to its end or the horizon.
A scheduled contact whose due date has passed is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_HORIZON_DAYS = 180


@dataclass(frozen=True, order=True)
class Due:
    due_date: date
    kind: str


def generate(intervals: dict[str, int], *, start: date, until: date) -> list[Due]:
    """Due contacts after ``start`` (exclusive) up to ``until`` (inclusive), sorted by date, kind."""
    out: list[Due] = []
    for kind, days in intervals.items():
        if days <= 0:
            raise ValueError(f"{kind}: interval must be positive")
        step = timedelta(days=days)
        due = start + step
        while due <= until:
            out.append(Due(due, kind))
            due += step
    return sorted(out)


def horizon(*, start: date, today: date, end: date | None, days: int = DEFAULT_HORIZON_DAYS) -> date:
    """The last date to schedule: ``days`` after the later of start and today, capped by the end."""
    limit = max(start, today) + timedelta(days=days)
    return min(limit, end) if end else limit


def effective_status(status: str, due_date: date | None, today: date) -> str:
    """A scheduled contact past its due date is overdue (whether or not the daily job has run);
    an unscheduled one (no due date) never is."""
    if status == "scheduled" and due_date is not None and due_date < today:
        return "overdue"
    return status


def week_bounds(today: date) -> tuple[date, date]:
    """Monday..Sunday of the week of ``today``."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)
