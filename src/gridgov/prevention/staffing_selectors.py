"""The staffing review (统筹均衡配置): police and auxiliary police per street against the resident
population (registry), the migrant share, reported incidents (safety, resident-reported only) and
the area (geo). One row per street (its stations' numbers added up: population, incidents and area
belong to the street); ratios per row; a ratio outside Tukey's fences (below Q1 - 1.5 IQR or above
Q3 + 1.5 IQR over the rows, with at least 4 rows) is marked. Numbers of places, never of a person."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import numpy as np
from django.db.models import Count
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.accounts.scope import require_capability, scoped
from gridgov.geo import selectors as geo_selectors
from gridgov.prevention.models import StationStaffing
from gridgov.registry import selectors as registry_selectors
from gridgov.safety import selectors as safety_selectors
from gridgov.safety.models import Origin

VIEW = "prevention.view"
INCIDENT_WEEKS = 52
#: ratio key -> label (the table's columns, in order)
RATIOS = {
    "police_per_10k": _("Police per 10,000 residents"),
    "staff_per_10k": _("Police and auxiliaries per 10,000 residents"),
    "staff_per_100_incidents": _("Police and auxiliaries per 100 reported incidents"),
    "staff_per_km2": _("Police and auxiliaries per km²"),
}


def tukey_fences(values: list[float]) -> tuple[float, float] | None:
    """(Q1 - 1.5 IQR, Q3 + 1.5 IQR) of the values (linear quartiles), or None with fewer than 4."""
    if len(values) < 4:
        return None
    q1, q3 = np.percentile(np.asarray(values, float), [25, 75])
    iqr = q3 - q1
    return float(q1 - 1.5 * iqr), float(q3 + 1.5 * iqr)


def staffing_rows(user: User) -> list[StationStaffing]:
    require_capability(user, VIEW)
    return list(scoped(StationStaffing.objects.all(), user, field="street_code", capability=VIEW)
                .order_by("street_code", "station"))


def staffing_review(user: User) -> dict:
    stations = staffing_rows(user)
    streets: dict[str, dict] = {}
    for s in stations:
        row = streets.setdefault(s.street_code, {"code": s.street_code, "stations": [], "police": 0, "auxiliary": 0})
        row["stations"].append(s.station)
        row["police"] += s.police
        row["auxiliary"] += s.auxiliary
    population = registry_selectors.population_by_area(user, length=9) if streets else {}
    since = timezone.localdate() - timedelta(days=7 * INCIDENT_WEEKS)
    incidents: dict[str, int] = defaultdict(int)
    if streets:
        for area, n in (safety_selectors.incidents(user, origin=Origin.REPORTED).filter(week_start__gte=since)
                        .order_by().annotate(area=Substr("grid_code", 1, 9)).values_list("area")
                        .annotate(n=Count("id")).values_list("area", "n")):
            incidents[area] += n
    areas = dict(geo_selectors.divisions_visible(user).filter(level=9, prefix__in=list(streets))
                 .values_list("prefix", "area_m2"))
    names = geo_selectors.place_names(list(streets))
    rows = []
    for code, row in streets.items():
        residents, migrants = population.get(code, (0, 0))
        staff = row["police"] + row["auxiliary"]
        km2 = (areas.get(code) or 0) / 1e6
        reported = incidents.get(code, 0)
        row.update({
            "name": names.get(code, ""), "residents": residents, "migrants": migrants,
            "migrant_share": 100 * migrants / residents if residents else None,
            "incidents": reported, "km2": km2 or None,
            "ratios": {
                "police_per_10k": 1e4 * row["police"] / residents if residents else None,
                "staff_per_10k": 1e4 * staff / residents if residents else None,
                "staff_per_100_incidents": 100 * staff / reported if reported else None,
                "staff_per_km2": staff / km2 if km2 else None,
            },
        })
        rows.append(row)
    fences = {}
    for key in RATIOS:
        values = [r["ratios"][key] for r in rows if r["ratios"][key] is not None]
        fences[key] = tukey_fences(values)
    for r in rows:
        r["cells"] = []
        for key in RATIOS:
            value, fence = r["ratios"][key], fences[key]
            mark = ""
            if value is not None and fence is not None:
                mark = "low" if value < fence[0] else "high" if value > fence[1] else ""
            r["cells"].append({"key": key, "value": value, "mark": mark})
        r["outliers"] = sum(1 for c in r["cells"] if c["mark"])
    return {"rows": rows, "columns": list(RATIOS.values()), "fences": fences, "weeks": INCIDENT_WEEKS,
            "stations": len(stations)}
