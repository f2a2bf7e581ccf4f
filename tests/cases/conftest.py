"""Fixtures for the events module: taxonomy, departments, actors, cases in any state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

GRID = "310101001001001"  # a syntactically valid grid code in 黄浦区 (no geometry needed)
PEOPLES_SQUARE = (121.4737, 31.2304)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_calendar():
    from gridgov.cases.selectors import work_calendar_clear

    work_calendar_clear()
    yield
    work_calendar_clear()


@pytest.fixture
def taxonomy(db):
    from gridgov.cases.services import taxonomy_sync

    taxonomy_sync()


@pytest.fixture
def departments(taxonomy):
    from gridgov.cases.services import department_create

    return {
        "cm": department_create(code="310101-cm", name="黄浦区城管执法局", kind="city_management", jurisdiction="310101"),
        "gs": department_create(code="310101-gs", name="黄浦区绿化市容局", kind="greening_sanitation",
                                jurisdiction="310101"),
        "water": department_create(code="310101-water", name="黄浦区水务局", kind="water", jurisdiction="310101"),
        "far": department_create(code="310104-cm", name="徐汇区城管执法局", kind="city_management",
                                 jurisdiction="310104"),
    }


@pytest.fixture
def actors(make_user, departments):
    """centre: all case capabilities at 黄浦区 and member of the city-management department;
    dispatcher/worker/handler: the ordinary roles."""
    from gridgov.cases.services import department_member_add

    centre = make_user("centre", ("district_centre", "310101"))
    department_member_add(department=departments["cm"], user=centre)
    handler = make_user("handler", ("department_handler", "310101"))
    department_member_add(department=departments["cm"], user=handler)
    gs_handler = make_user("gshandler", ("department_handler", "310101"))
    department_member_add(department=departments["gs"], user=gs_handler)
    far_handler = make_user("farhandler", ("department_handler", "310104"))
    department_member_add(department=departments["far"], user=far_handler)
    return {
        "centre": centre,
        "dispatcher": make_user("dispatcher", ("street_centre", GRID[:9])),
        "worker": make_user("worker", ("grid_worker", GRID), ("grid_worker", GRID[:9], "search")),
        "other_worker": make_user("otherworker", ("grid_worker", "310101002001001")),
        "handler": handler,
        "gs_handler": gs_handler,
        "far_handler": far_handler,
        "auditor": make_user("aud", ("auditor", "31")),
    }


@pytest.fixture
def make_case(taxonomy):
    """Create a case directly in ``state`` (ORM; for workflow tests), with a running stage clock."""
    from gridgov.cases import workflow
    from gridgov.cases.models import Case, CaseTask, Category, Department

    def _make(state="reported", *, category="E0101", grid_code=GRID, lead=None, lon=None, lat=None, **fields):
        now = timezone.now()
        cat = Category.objects.get(code=category)
        stage = workflow.STAGE_OF_STATE[state] or ""
        case = Case.objects.create(
            state=state, grid_code=grid_code, category=cat, description="测试事件", lon=lon, lat=lat,
            stage=stage, stage_started_at=now if stage else None, stage_limit_seconds=3600 * 8 if stage else 0,
            stage_deadline=now + timedelta(days=3) if stage else None, supervising_prefix=grid_code[:9],
            **{"registered_at": now if state not in ("reported", "accepted", "rejected") else None, **fields})
        if lead is not None and state in ("dispatched", "handling", "handled", "verified", "closed", "evaluated",
                                          "suspended"):
            dep = lead if isinstance(lead, Department) else Department.objects.get(code=lead)
            status = CaseTask.Status.OPEN if state in ("dispatched", "handling", "suspended") else CaseTask.Status.DONE
            CaseTask.objects.create(case=case, grid_code=grid_code, department=dep, role=CaseTask.Role.LEAD,
                                    status=status, deadline=case.stage_deadline)
        return case

    return _make


@pytest.fixture
def city(db, roles):
    from gridgov.demo.geo import load_demo_city

    return load_demo_city(scale="tiny", seed=1)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def threaded_db(transactional_db, tmp_path):
    """Threads with their own connections. PostgreSQL: the test database as is. SQLite: the test
    database is in memory with a shared cache, whose table locks fail at once instead of waiting
    (``database table is locked``); so, for this test only, use a migrated file database in WAL
    mode with the settings' IMMEDIATE transactions and busy timeout, as in production."""
    from django.core.management import call_command
    from django.db import connections

    conn = connections["default"]
    if conn.vendor != "sqlite" or not conn.is_in_memory_db():
        yield
        return
    settings_dict = conn.settings_dict
    old_name = settings_dict["NAME"]
    settings_dict["NAME"] = str(tmp_path / "threads.sqlite3")
    fresh = conn.__class__(settings_dict, "default")
    connections["default"] = fresh
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        fresh.close()
        connections["default"] = conn
        settings_dict["NAME"] = old_name
