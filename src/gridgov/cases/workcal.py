"""Working-time arithmetic on the Chinese working calendar (pure: no Django).

A day is a working day when the override table says so (local adjustments and the imported
official schedules: a year in ``official_years`` takes nothing else but Monday to Friday); otherwise
per ``chinese_calendar`` (statutory holidays and make-up working days, 2004-2026 in the installed
release); for a year neither covers, the PROVISIONAL calendar of ``holidays.py`` (the statutory days
of the law and their make-up days, no 调休). ``is_provisional(year)`` tells which. Working hours are a list of local (Asia/Shanghai) windows,
by default 09:00-12:00 and 13:00-18:00 (8 hours).

Limits: ``"4h"`` = 4 working hours, ``"3d"`` = 3 working days = 3 x the length of a working day in
working hours (so a case reported on Friday 15:00 with 1 working day is due on the next working
day at 15:00). A clock that starts outside working hours starts at the next working minute.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gridgov.cases import holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_WINDOWS: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(13, 0), time(18, 0)))
YELLOW_AT = 0.8
RED_AT = 1.0
_MAX_DAYS = 3660  # refuse to search more than ten years for working time
_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hd])\s*$")


def _package_workday(day: date) -> bool | None:
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - the package is a dependency
        return None
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package does not cover
        return None


def package_covers(year: int) -> bool:
    """Whether the installed ``chinese_calendar`` holds the official schedule of ``year``."""
    return _package_workday(date(year, 1, 1)) is not None


def parse_windows(spec: Iterable[tuple[str, str]] | None) -> tuple[tuple[time, time], ...]:
    """[("09:00", "12:00"), ("13:00", "18:00")] -> sorted, non-overlapping windows."""
    if not spec:
        return DEFAULT_WINDOWS
    out = []
    for start, end in spec:
        a, b = time.fromisoformat(start), time.fromisoformat(end)
        if b <= a:
            raise ValueError(f"working window {start}-{end}: end must be after start")
        out.append((a, b))
    out.sort()
    for (_, e1), (s2, _) in zip(out, out[1:], strict=False):
        if s2 < e1:
            raise ValueError("working windows overlap")
    return tuple(out)


@dataclass
class WorkCalendar:
    overrides: Mapping[date, bool]
    windows: tuple[tuple[time, time], ...] = DEFAULT_WINDOWS
    tz: ZoneInfo = SHANGHAI
    base: Callable[[date], bool | None] = _package_workday
    official_years: frozenset[int] = frozenset()

    def __init__(self, overrides: Mapping[date, bool] | None = None, *,
                 windows: tuple[tuple[time, time], ...] = DEFAULT_WINDOWS, tz: ZoneInfo = SHANGHAI,
                 base: Callable[[date], bool | None] = _package_workday, official_years: Iterable[int] = ()):
        self.overrides = dict(overrides or {})
        self.windows = windows
        self.tz = tz
        self.base = base
        self.official_years = frozenset(official_years)
        self._cache: dict[date, bool] = {}
        self._provisional: dict[int, bool] = {}

    def is_provisional(self, year: int) -> bool:
        """True when no official schedule of ``year`` is known (imported or in the package): its
        holidays are computed from the law (holidays.py)."""
        hit = self._provisional.get(year)
        if hit is None:
            hit = year not in self.official_years and self.base(date(year, 1, 1)) is None
            self._provisional[year] = hit
        return hit

    # ------------------------------------------------------------------ days
    def is_workday(self, day: date) -> bool:
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        if day in self.overrides:
            value = bool(self.overrides[day])
        elif day.year in self.official_years:
            value = day.weekday() < 5
        else:
            listed = self.base(day)
            if listed is not None:
                value = listed
            elif self.is_provisional(day.year):
                value = holidays.provisional_is_workday(day)
            else:  # the package covers the year but not this day (it never happens): the weekday
                value = day.weekday() < 5
        self._cache[day] = value
        return value

    @property
    def day_seconds(self) -> int:
        return sum(_seconds(b) - _seconds(a) for a, b in self.windows)

    def _windows_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(day):
            return []
        return [(datetime.combine(day, a, self.tz), datetime.combine(day, b, self.tz)) for a, b in self.windows]

    # ------------------------------------------------------------------ time
    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end) (0 when end <= start)."""
        if end <= start:
            return 0.0
        start, end = start.astimezone(self.tz), end.astimezone(self.tz)
        total = 0.0
        day = start.date()
        for _ in range((end.date() - day).days + 1):
            for ws, we in self._windows_on(day):
                lo, hi = max(ws, start), min(we, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant ``seconds`` working seconds after ``start``."""
        start = start.astimezone(self.tz)
        remaining = float(seconds)
        day = start.date()
        for _ in range(_MAX_DAYS):
            for ws, we in self._windows_on(day):
                lo = max(ws, start)
                if lo >= we:
                    continue
                available = (we - lo).total_seconds()
                if remaining <= available:
                    return lo + timedelta(seconds=remaining)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError("no working time found within ten years (calendar overrides?)")

    def limit_seconds(self, limit: str) -> int:
        amount, unit = parse_limit(limit)
        return int(round(amount * (3600 if unit == "h" else self.day_seconds)))

    def deadline(self, start: datetime, limit: str) -> datetime:
        return self.add(start, self.limit_seconds(limit))

    def fraction(self, start: datetime, limit_seconds: float, now: datetime) -> float:
        """Share of the limit used at ``now`` (0 for a zero limit that has not started)."""
        if limit_seconds <= 0:
            return 1.0 if now >= start else 0.0
        return self.working_seconds(start, now) / limit_seconds


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


class LimitError(ValueError):
    """A time limit that cannot be read: ``template % params`` is the English text (kept for translation)."""

    def __init__(self, template: str, params: dict):
        super().__init__(template % params)
        self.template = template
        self.params = params


def parse_limit(limit: str) -> tuple[float, str]:
    """"4h" -> (4.0, "h"); "3d" -> (3.0, "d"). LimitError (a ValueError) otherwise."""
    match = _LIMIT.match(limit or "")
    if not match:
        raise LimitError("time limit %(limit)s: expected a number followed by h (working hours) or d (working days)",
                         {"limit": repr(limit)})
    amount = float(match.group(1))
    if amount <= 0:
        raise LimitError("time limit %(limit)s: must be positive", {"limit": repr(limit)})
    return amount, match.group(2)


def colour(fraction: float) -> str:
    """green < 80 % <= yellow < 100 % <= red."""
    if fraction >= RED_AT:
        return "red"
    if fraction >= YELLOW_AT:
        return "yellow"
    return "green"
