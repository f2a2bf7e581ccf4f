"""Desk fixtures: two grids of one street (and one of another district) as geography rows, a few
residents and houses made through the registry model, the desk's users."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest

from gridgov.cases.workcal import SHANGHAI

GRID = "310101002001001"    # 黄浦区, street 310101002, community 001, grid 001
GRID2 = "310101002001002"
FAR = "310104003002001"     # 徐汇区
TODAY = date(2026, 3, 2)    # a Monday
FRIDAY_3PM = datetime(2026, 3, 6, 15, 0, tzinfo=SHANGHAI)

_seq = itertools.count(1)


# fast password hashing and a fresh working calendar in every test, as in the events' tests
from tests.cases.conftest import _fast_passwords, _fresh_calendar  # noqa: E402, F401


@pytest.fixture
def geography(db):
    from gridgov.geo.models import Division, Grid

    def division(code12: str, level: int, name: str, parent=None):
        prefix = code12[:level]
        return Division.objects.create(code=code12, prefix=prefix, name=name, level=level, parent=parent)

    city = division("310000000000", 2, "上海市")
    hp = division("310101000000", 6, "黄浦区", city)
    street = division("310101002000", 9, "南京东路街道", hp)
    comm = division("310101002001", 12, "人民广场社区", street)
    xh = division("310104000000", 6, "徐汇区", city)
    st2 = division("310104003000", 9, "徐家汇街道", xh)
    comm2 = division("310104003002", 12, "天平社区", st2)
    Grid.objects.create(code=GRID, name="人民广场第一网格", community=comm)
    Grid.objects.create(code=GRID2, name="人民广场第二网格", community=comm)
    Grid.objects.create(code=FAR, name="天平第一网格", community=comm2)


@pytest.fixture
def taxonomy(db):
    from gridgov.cases.services import taxonomy_sync

    taxonomy_sync()


@pytest.fixture
def house(db):
    from gridgov.registry.models import House

    def _make(grid_code: str = GRID, code: str | None = None):
        n = next(_seq)
        return House.objects.create(house_code=code or f"H{n:06d}", address=f"南京东路{n}号", grid_code=grid_code)

    return _make


@pytest.fixture
def person(db):
    from gridgov.core.idnumber import make_identity_number
    from gridgov.registry.identity import blind_index
    from gridgov.registry.models import Person

    def _make(name: str, *, grid_code: str = GRID, floating: bool = True, hukou: str = "",
              phone: str = "13812345678"):
        n = next(_seq)
        number = make_identity_number("340102", date(1990, 1, 1), n % 999 + 1)
        return Person.objects.create(name=name, identity_number=number, id_hmac=blind_index(number),
                                     id_last4=number[-4:], birth_date=date(1990, 1, 1), sex="1",
                                     grid_code=grid_code, phone=phone, hukou_division=hukou,
                                     population_type="02" if floating else "01")

    return _make


@pytest.fixture
def users(make_user, geography, taxonomy):
    return {
        "desk": make_user("desk1", ("desk_officer", "310101002")),
        "street": make_user("street1", ("street_centre", "310101002")),
        "far_desk": make_user("desk2", ("desk_officer", "310104")),
        "grid": make_user("grid1", ("grid_worker", GRID)),
        "police": make_user("police1", ("police_officer", "310101")),
    }


@pytest.fixture
def permit(db):
    from gridgov.registry.models import ResidencePermit

    def _make(p, *, expiry: date, issued: date | None = None, status: str = "valid"):
        n = next(_seq)
        return ResidencePermit.objects.create(person=p, grid_code=p.grid_code, number=f"OLD{n:08d}",
                                              issue_date=issued or date(expiry.year - 1, expiry.month, 1),
                                              expiry_date=expiry, condition="employment", status=status)

    return _make
