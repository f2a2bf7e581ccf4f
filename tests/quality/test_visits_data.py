"""Shared world of the visit, estimate and page tests (no test here): one street 310101001 with three
grids, houses with two registered residents each, a street centre and three workers."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.quality import services, visit_services

G1, G2, G3 = "310101001001001", "310101001001002", "310101001002001"
HOUSES = {G1: 20, G2: 12, G3: 8}
OUTSIDE = "310101002001001"


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, fast_hashing, make_user):
    from gridgov.registry.models import House, Person, Residence

    houses = House.objects.bulk_create([House(house_code=f"{g}-{i:03d}", address=f"演示路{g[-3:]}弄{i}号",
                                              grid_code=g) for g, n in HOUSES.items() for i in range(n)]
                                       + [House(house_code=f"{OUTSIDE}-000", address="外街1号", grid_code=OUTSIDE)])
    people = []
    for h in houses:
        for k in range(2):
            people.append(Person(name=f"居民{h.house_code[-5:]}{k}", sex="1" if k == 0 else "2",
                                 birth_date=date(1970 + k * 10, 3, 4), phone=f"1391234{len(people):04d}",
                                 grid_code=h.grid_code, house=h, doc_type="414",
                                 doc_number=f"P{len(people):07d}"))
    people = Person.objects.bulk_create(people)
    Residence.objects.bulk_create([Residence(person=p, house=p.house, grid_code=p.grid_code,
                                             start_date=date(2020, 1, 1)) for p in people])
    users = {
        "centre": make_user("q_street", ("street_centre", "310101001")),
        "district": make_user("q_district", ("district_centre", "310101")),
        "w1": make_user("q_worker1", ("grid_worker", G1)),
        "w2": make_user("q_worker2", ("grid_worker", G2)),
        "w3": make_user("q_staff3", ("community_staff", "310101001002")),
        "outsider": make_user("q_worker_out", ("grid_worker", OUTSIDE)),
    }
    return {"houses": houses, "people": people, "users": users}


def design(actor, **overrides):
    values = dict(actor=actor, name="2026年第四季度登记质量核查", area_code="310101001",
                  period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), target_margin=0.1, seed=17)
    values.update(overrides)
    campaign = services.campaign_design(**values)
    visit_services.assignment_default(actor=actor, campaign_id=campaign.pk)
    return campaign


def residents_of(house_id: int) -> list[int]:
    from gridgov.registry.models import Residence

    return list(Residence.objects.filter(house_id=house_id, end_date__isnull=True).order_by("id")
                .values_list("person_id", flat=True))
