"""Demo loader for patrol allocation (issue 19 §3): staffing numbers (police and 辅警) for a police
station in every street of the demo city, deterministic by seed, proportional to the street's
residents with noise and one planted under-staffed street (so the review marks something); and,
once the demo users exist (``attach_demo_users``), the proposed patrol plan of the demo police
officer's district for next week, from the safety demo's incidents and any patrol logs.
"""

from __future__ import annotations

from datetime import date

import numpy as np

#: police officers of a street with the demo's mean registered residents per street; 辅警 per officer.
#: Numbers follow the street's registered residents (the demo register holds a sample of a real
#: street's people, so the ratios per 10,000 registered residents run higher than real ones).
POLICE_AT_MEAN = 60
AUXILIARY_PER_POLICE = 1.6
#: patrol units of the demo plan per grid of the district
UNITS_PER_GRID = 0.25


def load(*, scale: str = "small", seed: int = 1, progress=None) -> dict:
    from django.db.models import Count
    from django.db.models.functions import Substr
    from django.utils import timezone

    from gridgov.geo.models import Division
    from gridgov.prevention.models import StationStaffing
    from gridgov.registry.models import Person

    streets = list(Division.objects.filter(level=9).order_by("code").values_list("prefix", "name"))
    if not streets:
        return {}
    residents = dict(Person.objects.filter(status="active").order_by().annotate(street=Substr("grid_code", 1, 9))
                     .values_list("street").annotate(n=Count("id")).values_list("street", "n"))
    rng = np.random.default_rng([seed, 19, 3])
    noise = rng.lognormal(0.0, 0.08, len(streets))
    planted = int(rng.integers(len(streets)))  # one street with a quarter of the usual police
    mean_people = max(1.0, sum(residents.get(code, 0) for code, _ in streets) / len(streets))
    as_of = timezone.localdate().replace(day=1)
    rows = []
    for i, (code, name) in enumerate(streets):
        people = residents.get(code, 0)
        base = POLICE_AT_MEAN * max(people, 1) / mean_people * noise[i]
        police = max(2, round(base / (4 if i == planted else 1)))
        auxiliary = max(2, round(police * AUXILIARY_PER_POLICE * rng.lognormal(0.0, 0.1)))
        station = f"{name.removesuffix('街道').removesuffix('镇')}派出所"
        rows.append(StationStaffing(station=station, street_code=code, police=police, auxiliary=auxiliary,
                                    as_of=as_of))
    StationStaffing.objects.bulk_create(rows)
    return {}


def attach_demo_users() -> dict:
    """The proposed plan for next week of the demo police officer's district (skipped when one is
    there already: idempotent)."""
    from gridgov.accounts.models import User
    from gridgov.prevention import plan_selectors, plan_services
    from gridgov.prevention.models import PatrolPlan

    police = User.objects.filter(username="police").first()
    if police is None:
        return {}
    police._gridgov_memberships = None
    area = plan_selectors.default_area(police)
    week: date = plan_services.next_week()
    if PatrolPlan.objects.filter(area_code=area, week_start=week).exists():
        return {}
    from gridgov.geo.selectors import grids_visible

    n = grids_visible(police).filter(code__startswith=area).count()
    if not n:
        return {}
    plan_services.plan_propose(actor=police, area_code=area, week_start=week,
                               units=max(4.0, round(n * UNITS_PER_GRID)), seed=week.toordinal())
    return {}


def reset() -> None:
    from gridgov.prevention.models import PatrolPlan, StationStaffing

    PatrolPlan.objects.all().delete()
    StationStaffing.objects.all().delete()
