"""Fixtures for the register: the tiny demo city, houses in two streets, users of several roles."""

from datetime import date

import pytest
from django.test import Client

from gridgov.core.idnumber import make_identity_number


@pytest.fixture
def city(db, roles):
    from gridgov.demo.geo import load_demo_city

    return load_demo_city(scale="tiny", seed=1)


@pytest.fixture
def place(city):
    """Two grids in one street (A1, A2) and one grid in another street (B)."""
    from gridgov.geo.models import Grid

    grids = list(Grid.objects.order_by("code").values_list("code", flat=True))
    a1 = grids[0]
    a2 = next(g for g in grids if g[:9] == a1[:9] and g[:12] != a1[:12])
    b = next(g for g in grids if g[:9] != a1[:9])
    return {"a1": a1, "a2": a2, "b": b, "street_a": a1[:9], "street_b": b[:9]}


@pytest.fixture
def houses(place):
    from gridgov.registry.services import house_register

    out = {}
    for key in ("a1", "a2", "b"):
        for i in (1, 2):
            out[f"{key}_{i}"] = house_register(actor=None, data={
                "house_code": f"H-{key.upper()}-{i}", "address": f"测试路{i}号 ({key})", "grid_code": place[key]})
    return out


def ident(seq=1, birth=date(1990, 5, 17), area="340102"):
    return make_identity_number(area, birth, seq)


@pytest.fixture
def person_data():
    def _make(seq=1, **over):
        data = {"identity_number": ident(seq), "name": "测试" + "甲乙丙丁戊己庚辛壬癸"[seq % 10] + "甲乙丙丁戊己庚辛壬癸"[seq // 10 % 10], "population_type": "02",
                "phone": "13912345678", "ethnicity": "01"}
        data.update(over)
        return data
    return _make


@pytest.fixture
def users(make_user, place):
    return {
        "street_a": make_user("street_a", ("street_centre", place["street_a"], "capture")),
        "street_b": make_user("street_b", ("street_centre", place["street_b"], "capture")),
        "worker_a": make_user("worker_a", ("grid_worker", place["a1"], "capture"),
                              ("grid_worker", place["street_a"], "search")),
        "district": make_user("district", ("district_centre", "310101", "capture")),
        "police": make_user("police", ("police_officer", "310101", "capture")),
        "auditor": make_user("auditor1", ("auditor", "31", "capture")),
    }


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def tasks_at_once(settings):
    """Background tasks (the imports) run at once, inside the request that enqueues them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
