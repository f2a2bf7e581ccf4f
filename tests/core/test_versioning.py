"""core.versioning.update_versioned: the one optimistic-lock update."""

from datetime import UTC, datetime

import pytest

from gridgov.core.errors import Conflict
from gridgov.core.versioning import update_versioned
from gridgov.registry.models import House

pytestmark = pytest.mark.django_db


def _house() -> House:
    return House.objects.create(house_code="HV1", address="演示路1号", grid_code="310101001001001")


def test_current_version_wins_bumps_version_and_touches_updated_at():
    house = _house()
    before = house.updated_at
    assert update_versioned(House, house.pk, 1, address="演示路2号") is True
    house.refresh_from_db()
    assert (house.version, house.address) == (2, "演示路2号")
    assert house.updated_at > before


def test_stale_version_is_409_and_changes_nothing():
    house = _house()
    update_versioned(House, house.pk, 1, address="第一次")
    with pytest.raises(Conflict) as exc:
        update_versioned(House, house.pk, 1, address="第二次", message="房屋已被他人修改")
    assert exc.value.status == 409 and exc.value.code == "stale_version"
    assert exc.value.message == "房屋已被他人修改"
    house.refresh_from_db()
    assert (house.version, house.address) == (2, "第一次")


def test_background_jobs_may_skip_instead_of_raising():
    house = _house()
    assert update_versioned(House, house.pk, 7, raise_conflict=False, address="x") is False
    house.refresh_from_db()
    assert (house.version, house.address) == (1, "演示路1号")


def test_an_explicit_updated_at_is_kept():
    house = _house()
    at = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    update_versioned(House, house.pk, 1, updated_at=at)
    house.refresh_from_db()
    assert house.updated_at == at and house.version == 2

