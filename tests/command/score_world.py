"""A small hand-built world for the scorecard tests (plain functions, not fixtures, so this file
does not collide with other helpers' conftest in tests/command/)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

TZ = ZoneInfo("Asia/Shanghai")
DISTRICT = "310101"
A, B, C = "310101001", "310101002", "310101003"
FAR_DISTRICT, FAR_STREET = "310104", "310104001"
OCT = date(2026, 10, 1)
SEP = date(2026, 9, 1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def divisions() -> None:
    from gridgov.geo.models import Division

    city = Division.objects.create(code="310100000000", prefix="3101", name="上海市", level=4)
    d = Division.objects.create(code="310101000000", prefix=DISTRICT, name="黄浦区", level=6, parent=city)
    for code, name in ((A, "南京东路街道"), (B, "外滩街道"), (C, "半淞园路街道")):
        Division.objects.create(code=code + "000", prefix=code, name=name, level=9, parent=d)
    far = Division.objects.create(code="310104000000", prefix=FAR_DISTRICT, name="徐汇区", level=6, parent=city)
    Division.objects.create(code=FAR_STREET + "000", prefix=FAR_STREET, name="天平路街道", level=9, parent=far)


def case(street: str, registered: datetime, *, state: str = "closed", overdue: bool = False, channel: str = "grid",
         satisfaction: int | None = None, lead=None, handled_on_time: bool | None = None):
    from gridgov.cases.models import Case, CaseTask, Category

    cat = Category.objects.filter(parent__isnull=False).order_by("code").first()
    grid = street + "001001"
    c = Case.objects.create(state=state, grid_code=grid, category=cat, description="测试事件", channel=channel,
                            registered_at=registered, overdue=overdue, satisfaction=satisfaction,
                            supervising_prefix=street,
                            dispatched_at=registered + timedelta(hours=1) if lead else None,
                            handled_at=registered + timedelta(hours=5) if handled_on_time is not None else None,
                            handled_on_time=handled_on_time,
                            closed_at=registered + timedelta(days=1) if state == "closed" else None)
    if lead is not None:
        CaseTask.objects.create(case=c, grid_code=grid, department=lead, role=CaseTask.Role.LEAD,
                                status=CaseTask.Status.DONE, deadline=registered + timedelta(days=3))
    return c


def contact(street: str, due: date, *, done_on: date | None, status: str = "completed"):
    from gridgov.care.models import Contact, Enrolment

    grid = street + "001001"
    e = Enrolment.objects.create(programme="corrections", grid_code=grid, level="01", start_date=date(2026, 1, 1))
    return Contact.objects.create(enrolment=e, grid_code=grid, kind="visit", due_date=due, status=status,
                                  done_on=done_on)


def build(make_user) -> dict:
    """Divisions, two departments, users, and the October/September data of the hand-worked tests:

    Street A (Oct): 4 cases — 2 closed on time, 1 closed overdue, 1 open; 2 hotline callbacks
    (5 = satisfied, 2 = not); care contacts due: 3 completed by the due date, 1 late, 1 skipped.
    Street B (Oct): 2 cases closed on time, 1 hotline callback 4 (satisfied); no contacts.
    Street C: nothing. Street A (Sep): 1 case closed on time.
    Department 310101-cm (lead on two A cases): 1 handled on time, 1 late.
    """
    from gridgov.cases.services import department_create, taxonomy_sync

    taxonomy_sync()
    divisions()
    cm = department_create(code="310101-cm", name="黄浦区城管执法局", kind="city_management", jurisdiction=DISTRICT)
    street_dept = department_create(code="310101001-ys", name="南京东路街道城运中心", kind="city_management",
                                    jurisdiction=A)
    d = OCT + timedelta(days=4)
    case(A, at(d), lead=cm, handled_on_time=True)
    case(A, at(d, 11), channel="hotline", satisfaction=5, lead=cm, handled_on_time=False)
    case(A, at(d, 12), overdue=True, channel="hotline", satisfaction=2)
    case(A, at(d, 13), state="dispatched")
    case(B, at(d))
    case(B, at(d, 14), channel="hotline", satisfaction=4)
    case(A, at(SEP + timedelta(days=9)))
    for day in (3, 10, 17):
        contact(A, OCT + timedelta(days=day), done_on=OCT + timedelta(days=day))
    contact(A, OCT + timedelta(days=20), done_on=OCT + timedelta(days=25))
    contact(A, OCT + timedelta(days=22), done_on=None, status="skipped")
    return {
        "cm": cm, "street_dept": street_dept,
        "district": make_user("dcentre", ("district_centre", DISTRICT)),
        "street_a": make_user("scentre_a", ("street_centre", A)),
        "street_b": make_user("scentre_b", ("street_centre", B)),
        "far": make_user("farcentre", ("district_centre", FAR_DISTRICT)),
        "worker": make_user("gridw", ("grid_worker", A + "001001")),
    }


@pytest.fixture
def world(make_user, settings):
    """The scorecard tests' world (``build``) with fast password hashing and a clean cache."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield build(make_user)
    cache.clear()
