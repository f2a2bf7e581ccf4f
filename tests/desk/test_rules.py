"""The desk's rules as tables: referral transitions (every pair) and the worker's schedule."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from gridgov.core.errors import Conflict

from .conftest import GRID

pytestmark = pytest.mark.django_db

STATUSES = ["referred", "accepted", "completed", "declined"]
ALLOWED = {("referred", "accepted"), ("referred", "completed"), ("referred", "declined"),
           ("accepted", "completed"), ("accepted", "declined")}


def test_referral_transitions_exhaustively(users, person):
    from gridgov.desk import services
    from gridgov.desk.models import ServiceReferral
    from gridgov.registry.models import Organisation

    org = Organisation.objects.create(name="黄浦区就业促进中心", category="S01", grid_code=GRID)
    p = person("来沪壬")
    for old, new in itertools.product(STATUSES, STATUSES):
        ref = ServiceReferral.objects.create(person=p, organisation=org, grid_code=GRID, kind="employment",
                                             reason="求职", status=old, referred_on=date(2026, 3, 2))
        if (old, new) in ALLOWED:
            done = services.referral_record(actor=users["desk"], referral_id=ref.pk, version=ref.version, status=new,
                                            outcome="已办")
            assert done.status == new and (done.closed_on is not None) == (new in ("completed", "declined"))
        else:
            with pytest.raises(Conflict):
                services.referral_record(actor=users["desk"], referral_id=ref.pk, version=ref.version, status=new,
                                         outcome="已办")


def test_the_worker_runs_the_desk_jobs():
    from gridgov.core.worker import schedule

    jobs = {p.name: p.every for p in schedule()}
    assert jobs["desk escalation"] == 300
    assert jobs["residence permit reminders and lapse"] == 86400

