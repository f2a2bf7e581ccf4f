"""Provisional statutory holidays of a year whose official schedule is not loaded (pure: no Django).

The State Council publishes each year's holiday arrangement (放假安排) in the autumn before; until a
centre loads it (`gridgov calendar import`), deadlines of that year would fall on Monday to Friday
alone, and 元旦 or 春节 would count as working days. This module computes the days the law itself
fixes, from 《全国年节及纪念日放假办法》 as revised in 2024 (Article 2: 13 days for all citizens):

    元旦 1 day (1 January)          春节 4 days (除夕 to 初三)       清明节 1 day (the 清明 solar term)
    劳动节 2 days (1-2 May)          端午节 1 day (5th of the 5th lunar month)
    中秋节 1 day (15th of the 8th lunar month)                       国庆节 3 days (1-3 October)

Article 6: a holiday that falls on a Saturday or Sunday is made up on a working day (补假): here the
next Monday-to-Friday day that is not itself a holiday. What the law does not fix — the swapped
working weekends (调休) of the official arrangement — cannot be known in advance: a provisional year
has none. Overlapping festivals (中秋 on 3 October 2028) count once (named 中秋节、国庆节).

Lunar dates and the 清明 solar term come from ``lunar_python`` (6tail's lunar calendar library).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")


def _lunar_to_solar(year: int, month: int, day: int) -> date:
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    from lunar_python import Solar

    term = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    return date(term.getYear(), term.getMonth(), term.getDay())


def statutory_days(year: int) -> dict[date, str]:
    """The 13 statutory holiday days of ``year`` (fewer when festivals overlap): date -> festival."""
    new_year = _lunar_to_solar(year, 1, 1)
    days: dict[date, str] = {}

    def put(day: date, name: str) -> None:
        days[day] = f"{days[day]}、{name}" if day in days and name not in days[day] else name

    put(date(year, 1, 1), "元旦")
    for offset in range(-1, 3):  # 除夕, 初一, 初二, 初三
        put(new_year + timedelta(days=offset), "春节")
    put(_qingming(year), "清明节")
    put(date(year, 5, 1), "劳动节")
    put(date(year, 5, 2), "劳动节")
    put(_lunar_to_solar(year, 5, 5), "端午节")
    put(_lunar_to_solar(year, 8, 15), "中秋节")
    for d in (1, 2, 3):
        put(date(year, 10, d), "国庆节")
    return days


@lru_cache(maxsize=64)
def provisional_holidays(year: int) -> dict[date, str]:
    """Holidays of ``year`` by the law alone: the statutory days plus a make-up day (补假) on the next
    free weekday for each statutory day on a weekend. date -> name (a make-up day: "春节（补假）")."""
    statutory = statutory_days(year)
    out = dict(statutory)
    for day in sorted(statutory):
        if day.weekday() < 5:
            continue
        make_up = day + timedelta(days=1)
        while make_up.weekday() >= 5 or make_up in out:
            make_up += timedelta(days=1)
        out[make_up] = f"{statutory[day]}（补假）"
    return {d: out[d] for d in sorted(out) if d.year == year}


def provisional_is_workday(day: date) -> bool:
    """Monday to Friday, except the provisional holidays of the day's year."""
    return day.weekday() < 5 and day not in provisional_holidays(day.year)


# ----------------------------------------------------------------------------- official schedules

KINDS = {"holiday": False, "放假": False, "休": False, "workday": True, "上班": True, "班": True}


# problem texts (English msgids; services translate them with gettext and fill in the values)
PROBLEMS = {
    "empty": "the file is empty",
    "header": "missing column(s) %(missing)s; expected date,kind,name",
    "date": "%(value)s is not a date YYYY-MM-DD",
    "kind": "%(value)s is not holiday/放假 or workday/上班",
    "name": "longer than 64 characters",
    "repeated": "%(value)s is already listed in row %(row)s",
    "no_rows": "no rows below the header",
}


def parse_schedule(lines) -> tuple[list[tuple[date, bool, str]], list[tuple[int, str, str, dict]]]:
    """Read an official schedule: CSV with the header ``date,kind,name`` (date YYYY-MM-DD; kind
    ``holiday``/``放假`` or ``workday``/``上班``; name such as 春节 or 春节调休上班, at most 64 characters).
    Returns (rows as (date, workday, name), problems as (row number, field, PROBLEMS key, values)); a
    row number counts the header as row 1, as a spreadsheet does. Every problem of every row is
    reported."""
    import csv

    reader = csv.reader(lines)
    problems: list[tuple[int, str, str, dict]] = []
    header = next(reader, None)
    if header is None:
        return [], [(1, "file", "empty", {})]
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [c for c in ("date", "kind", "name") if c not in names]
    if missing:
        return [], [(1, "header", "header", {"missing": ", ".join(missing)})]
    at = {c: names.index(c) for c in ("date", "kind", "name")}
    rows: list[tuple[date, bool, str]] = []
    seen: dict[date, int] = {}
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {c: (record[i].strip() if i < len(record) else "") for c, i in at.items()}
        day: date | None = None
        if len(cells["date"]) == 10:
            try:
                day = date.fromisoformat(cells["date"])
            except ValueError:
                day = None
        if day is None:
            problems.append((number, "date", "date", {"value": repr(cells["date"])}))
        kind = KINDS.get(cells["kind"].lower())
        if kind is None:
            problems.append((number, "kind", "kind", {"value": repr(cells["kind"])}))
        if len(cells["name"]) > 64:
            problems.append((number, "name", "name", {}))
        if day is not None:
            if day in seen:
                problems.append((number, "date", "repeated", {"value": day.isoformat(), "row": seen[day]}))
            else:
                seen[day] = number
        if day is not None and kind is not None and len(cells["name"]) <= 64:
            rows.append((day, kind, cells["name"]))
    if not rows and not problems:
        problems.append((1, "file", "no_rows", {}))
    return rows, problems
