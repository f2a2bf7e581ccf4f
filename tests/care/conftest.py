"""Care fixtures: persons made directly through the registry model (the registry's services and demo
loader are built concurrently), users of every role, and one enrolment per programme."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.test import Client

HOME = "310101002001001"   # a grid in 黄浦区 (the demo roles' jurisdiction 310101)
HOME2 = "310101002001002"
AWAY = "310104003002001"   # a grid in 徐汇区
TODAY = date(2026, 3, 2)   # a Monday

PROGRAMME_FIELDS = {
    "corrections": {"rectifying_category": "02", "crime_class": "05", "four_histories": ["01"]},
    "resettlement": {"release_date": "2026-01-10", "cohesion": "03"},
    "rehabilitation": {"control_situation": "06", "drug_reason": "02"},
    "youth": {"personnel_type": "02", "family_situation": "02", "guardian_name": "监护人乙"},
    "street_children": {"personnel_type": "03", "found_place": "人民广场地铁站"},
    "mental_health": {"diagnosis": "01", "guardian_name": "监护人甲", "guardian_phone": "13912345678",
                      "hospital": "市精神卫生中心", "treatment": "02", "incident_history": False},
}

# A birth date inside each programme's eligibility rules (youth 6-25, street children under 18).
PROGRAMME_BIRTH = {"youth": date(2008, 5, 17), "street_children": date(2013, 5, 17)}

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Tests create many users: a fast hasher (test-only; production keeps the configured ones)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_person(db):
    from gridgov.core.idnumber import make_identity_number
    from gridgov.registry.identity import blind_index
    from gridgov.registry.models import Person

    def _make(name: str, *, grid_code: str = HOME, birth: date = date(1985, 5, 17), phone: str = "13812345678"):
        n = next(_seq)
        number = make_identity_number("310101", birth, n % 999 + 1)
        return Person.objects.create(name=name, identity_number=number, id_hmac=blind_index(number),
                                     id_last4=number[-4:], birth_date=birth, sex="1", grid_code=grid_code,
                                     phone=phone)

    return _make


@pytest.fixture
def users(make_user):
    """One user per role at its demo jurisdiction, plus a social worker in another district."""
    from gridgov.accounts.capabilities import ROLES

    out = {r.code: make_user(f"u_{r.code}", (r.code, r.demo_jurisdiction)) for r in ROLES}
    out["social_worker_away"] = make_user("u_sw_away", ("social_worker", "310104"))
    out["social_worker_2"] = make_user("u_sw_2", ("social_worker", "310101"))
    return out


@pytest.fixture
def enrol(users, make_person):
    from gridgov.care import services

    def _enrol(programme: str, name: str, *, grid_code: str = HOME, birth: date | None = None,
               level: str = "", start: date = date(2026, 1, 5), actor=None, today: date = TODAY, **kw):
        person = make_person(name, grid_code=grid_code,
                             birth=birth or PROGRAMME_BIRTH.get(programme, date(1985, 5, 17)))
        actor = actor or (users["social_worker"] if grid_code.startswith("310101") else users["social_worker_away"])
        return services.enrolment_create(actor=actor, programme=programme, person_id=person.pk, start_date=start,
                                         level=level, fields=PROGRAMME_FIELDS[programme], today=today, **kw)

    return _enrol


@pytest.fixture
def client_for():
    def _client(user):
        c = Client()
        c.force_login(user)
        return c

    return _client
