"""CONC-01: 20 concurrent attempts at the same transition -> exactly one wins, the others get 409,
the timeline shows one transition. Real threads, each with its own database connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gridgov.cases import services
from gridgov.cases.models import Case, CaseEvent
from gridgov.core.errors import Conflict
from gridgov.geo.selectors import locate_codes
from tests.cases.conftest import PEOPLES_SQUARE

pytestmark = pytest.mark.django_db(transaction=True)
N = 20


def _race(fn):
    barrier = threading.Barrier(N)

    def attempt(_):
        try:
            barrier.wait(timeout=30)
            fn()
            return "ok"
        except Conflict as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=N) as pool:
        return list(pool.map(attempt, range(N)))


@pytest.mark.parametrize("with_version", [True, False])
def test_twenty_concurrent_transitions_one_winner(threaded_db, actors, make_case, with_version):
    case = make_case("reported")
    centre = actors["centre"]
    centre.active_memberships()  # warm the membership cache shared by the threads

    results = _race(lambda: services.case_transition(actor=centre, case_id=case.pk, action="accept",
                                                     version=1 if with_version else None))
    assert results.count("ok") == 1, results
    assert set(results) - {"ok"} <= {"stale_version", "invalid_transition"}, results
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.version) == ("accepted", 2)
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1


def test_twenty_concurrent_offline_submissions_make_one_case(threaded_db, city, actors):
    """SYNC-01 in flight: the same offline submission retried 20 times at once -> one case, and
    every retry gets the original back."""
    grid = locate_codes([PEOPLES_SQUARE[0]], [PEOPLES_SQUARE[1]])[0]
    worker = actors["centre"]
    worker.active_memberships()
    key = "8a1d2a55-5f3c-4d4c-9d5e-1a2b3c4d5e6f"
    assert grid.startswith("310101")

    def submit():
        services.case_report(actor=worker, category_code="E0102", description="垃圾堆放", lon=PEOPLES_SQUARE[0],
                             lat=PEOPLES_SQUARE[1], client_uuid=key)

    results = _race(submit)
    assert results == ["ok"] * N, results
    assert Case.objects.filter(client_uuid=key).count() == 1
