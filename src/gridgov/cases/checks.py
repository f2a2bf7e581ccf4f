"""System checks of the events app (`gridgov check`).

``gridgov.W101``: the current year's working calendar is provisional (no official schedule known).
``gridgov.W102``: from 1 November, next year's is provisional: deadlines that run into January would
be computed without the official holidays. Both name the fix (`gridgov calendar import`). With
``--deploy`` a warning fails the check, so a deployment pipeline stops until the schedule is loaded.
"""

from __future__ import annotations

from datetime import date

from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError
from django.utils import timezone


def calendar_warnings(today: date) -> list[CheckWarning]:
    from gridgov.cases import selectors, workcal

    try:
        cal = selectors.work_calendar()
    except DatabaseError:  # not migrated yet: only the holiday package is known
        cal = workcal.WorkCalendar()
    out = []
    for year in selectors.provisional_years(today, cal=cal):
        if year == today.year:
            out.append(CheckWarning(
                f"the working calendar of {year} is provisional: no official holiday schedule is loaded, "
                "deadlines use the statutory holidays of the law only (no swapped working days)",
                hint="load the State Council's schedule: gridgov calendar import FILE.csv (docs/cases.md)",
                id="gridgov.W101"))
        else:
            out.append(CheckWarning(
                f"the working calendar of {year} is provisional: deadlines running into {year} are computed "
                "from the statutory holidays of the law only",
                hint="load the State Council's schedule when it is published: gridgov calendar import FILE.csv",
                id="gridgov.W102"))
    return out


@register(Tags.database)  # reads CalendarYear: only when a database is asked for (gridgov check)
def check_calendar(app_configs=None, databases=None, **kwargs):
    if not databases:  # like Django's own database checks: only when asked (gridgov check asks)
        return []
    return calendar_warnings(timezone.localdate())
