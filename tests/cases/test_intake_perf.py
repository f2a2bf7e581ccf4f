"""The intake hot path: a bounded number of queries per submission, and the locator cache that
makes it so (geo:version read at most every ``VERSION_CHECK_SECONDS`` per process, at once after
an in-process change)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gridgov.cases.models import Case, CaseEvent
from gridgov.core.models import AuditEvent, SystemState
from gridgov.geo import selectors as geo_selectors
from gridgov.geo.models import Grid
from tests.cases.conftest import PEOPLES_SQUARE

LON, LAT = PEOPLES_SQUARE


@pytest.fixture
def api(city, taxonomy, make_user):
    from gridgov.accounts import services as accounts

    user = make_user("bench", ("district_centre", "310101"))
    _, token = accounts.token_create(user=user, name="bench")
    client = Client()

    def post(**extra):
        body = {"category": "E0102", "description": "路口暴露垃圾", "lon": LON, "lat": LAT,
                "client_uuid": str(uuid.uuid4()), **extra}
        return client.post("/api/v1/cases/", json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")

    return post


def _statements(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_a_submission_takes_four_statements_and_keeps_its_timeline_and_audit_row(api):
    assert api().status_code == 201  # warm: token, locator, category and calendar caches
    with CaptureQueriesContext(connection) as ctx:
        response = api(description="第二件")
    assert response.status_code == 201, response.content
    sql = _statements(ctx)
    # case, timeline event, audit row (after the audit chain's head: one read, and on PostgreSQL
    # its advisory lock first), duplicate suggestions
    chain = (["SELECT pg_advisory_xact_lock"] if connection.vendor == "postgresql" else []) + ["SELECT row_hash"]
    assert len(sql) == 4 + len(chain), sql
    assert [s.startswith(c) for s, c in zip(sql[2:2 + len(chain)], chain, strict=True)] == [True] * len(chain), sql
    inserts = sql[:2] + sql[2 + len(chain):3 + len(chain)]
    assert all(s.startswith("INSERT INTO ") for s in inserts), sql
    assert [s.split('"')[1] for s in inserts] == ["cases_case", "cases_caseevent", "core_auditevent"]
    assert not any("core_systemstate" in s for s in sql)  # geo:version is not read per call
    # the token, its user and memberships are cached per process (accounts.services.TOKEN_CACHE_SECONDS)
    assert not any("accounts_apitoken" in s or "accounts_membership" in s for s in sql)
    case = Case.objects.get(pk=response.json()["id"])
    assert CaseEvent.objects.filter(case=case, action="report").count() == 1
    assert AuditEvent.objects.filter(object_type="case", object_id=str(case.pk), action="CREATE").count() == 1
    assert response.json()["possible_duplicates"][0]["distance_m"] == 0.0  # the first one, same point


def test_a_replayed_submission_adds_nothing(api):
    key = str(uuid.uuid4())
    first, again = api(client_uuid=key), api(client_uuid=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="case").count() == 1


def test_locator_follows_an_in_process_change_at_once(city):
    code = geo_selectors.locate_codes([LON], [LAT])[0]
    assert code is not None
    from gridgov.geo.services import geo_bump_version

    Grid.objects.filter(code=code).delete()
    geo_bump_version()
    assert geo_selectors.locate_codes([LON], [LAT]) == [None]


def test_locator_follows_another_process_within_the_bound(city, monkeypatch):
    """Another process changed the grids (no signal here): seen after VERSION_CHECK_SECONDS."""
    clock = [1000.0]
    monkeypatch.setattr(geo_selectors.time, "monotonic", lambda: clock[0])
    geo_selectors.locator_invalidate()
    code = geo_selectors.locate_codes([LON], [LAT])[0]
    assert code is not None
    Grid.objects.filter(code=code).delete()
    version = geo_selectors.geo_version()
    SystemState.objects.filter(key=geo_selectors.VERSION_KEY).update(value={"version": version + 1})
    clock[0] += geo_selectors.VERSION_CHECK_SECONDS / 2
    assert geo_selectors.locate_codes([LON], [LAT]) == [code]  # still trusted: within the bound
    clock[0] += geo_selectors.VERSION_CHECK_SECONDS
    assert geo_selectors.locate_codes([LON], [LAT]) == [None]
