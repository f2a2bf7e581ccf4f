"""The plan's API: GET the plan of an area and week (default: the user's area, next week) with its
lines, reasons and realised hours; POST accept (versioned, audited); scope 404, capability 403."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from gridgov.core.models import AuditEvent
from gridgov.prevention import plan_services
from gridgov.prevention.models import PatrolLog, PatrolPlan, PatrolUnit

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def setup(city, make_user):
    from gridgov.geo.models import Grid

    police = make_user("police1", ("police_officer", "310101"))
    grids = list(Grid.objects.filter(code__startswith="310101").order_by("code").values_list("code", flat=True))
    week = plan_services.next_week() - dt.timedelta(days=14)  # a past week: its patrols can be logged
    unit = PatrolUnit.objects.create(code="P1", name="巡逻一组", kind="police", area_code="310101")
    start = dt.datetime.combine(week + dt.timedelta(days=1), dt.time(8), SH)
    PatrolLog.objects.create(unit=unit, area_code="310101", started_at=start, ended_at=start + dt.timedelta(hours=3),
                             grids_visited=[grids[0]])
    plan = plan_services.plan_propose(actor=police, area_code="310101", week_start=week, units=float(len(grids)))
    return {"police": police, "grids": grids, "week": week, "plan": plan}


def test_get_the_plan_and_accept_it(setup):
    police, grids, week, plan = setup["police"], setup["grids"], setup["week"], setup["plan"]
    c = _client(police)
    assert c.get("/api/v1/prevention/plan").status_code == 404  # nothing proposed for next week
    r = c.get(f"/api/v1/prevention/plan?week={(week + dt.timedelta(days=3)).isoformat()}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["id"], body["status"], body["version"], body["week_start"]) == (plan.pk, "proposed", 1,
                                                                                 week.isoformat())
    assert sorted(line["grid_code"] for line in body["lines"]) == grids
    assert sum(line["units"] for line in body["lines"]) == pytest.approx(len(grids))
    by_grid = {line["grid_code"]: line for line in body["lines"]}
    assert by_grid[grids[0]]["realised_hours"] == 3.0 and by_grid[grids[1]]["realised_hours"] == 0.0
    assert body["realised_hours_total"] == 3.0
    assert all(line["reasons"] for line in body["lines"]) and "估计发案率" in body["lines"][0]["reasons"][0]

    r = c.post(f"/api/v1/prevention/plan/{plan.pk}/accept", {"version": 1, "note": "同意"},
               content_type="application/json")
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["version"]) == ("accepted", 2)
    assert PatrolPlan.objects.get().decided_by == police
    event = AuditEvent.objects.filter(object_type="prevention_plan", action="TRANSITION").get()
    assert event.changes["status"] == ["proposed", "accepted"] and event.reason == "同意"
    # again: the plan is decided (and the version is stale)
    r = c.post(f"/api/v1/prevention/plan/{plan.pk}/accept", {"version": 2}, content_type="application/json")
    assert r.status_code == 409


def test_plan_api_refusals(setup, make_user):
    week, plan = setup["week"], setup["plan"]
    worker = _client(make_user("gw", ("grid_worker", setup["grids"][0])))
    r = worker.get(f"/api/v1/prevention/plan?week={week.isoformat()}&area=310101")
    assert r.status_code == 404  # the district's plan lies outside a grid worker's jurisdiction
    assert worker.post(f"/api/v1/prevention/plan/{plan.pk}/accept", {"version": 1},
                       content_type="application/json").status_code == 403
    other = _client(make_user("pol2", ("police_officer", "310104")))
    assert other.post(f"/api/v1/prevention/plan/{plan.pk}/accept", {"version": 1},
                      content_type="application/json").status_code == 404
    social = _client(make_user("sw", ("social_worker", "310101")))
    assert social.get(f"/api/v1/prevention/plan?week={week.isoformat()}").status_code == 403
    assert PatrolPlan.objects.get().status == "proposed"


def test_a_street_or_grid_worker_sees_the_district_plan_of_their_grids(setup, make_user):
    grids, week = setup["grids"], setup["week"]
    street = grids[0][:9]
    mine = [g for g in grids if g.startswith(street)]
    worker = _client(make_user("gw3", ("grid_worker", street)))
    page = worker.get(f"/prevention/plan/?week={week.isoformat()}").content.decode()
    assert 'data-testid="plan-covering"' in page
    assert page.count('data-testid="plan-row"') == len(mine) and 0 < len(mine) < len(grids)
    assert all(f'data-grid="{g}"' in page for g in mine)
    assert 'data-testid="accept-form"' not in page and 'data-testid="propose-form"' not in page
    # realised hours of the grid patrolled in that week (3 h; grids[0] lies in the worker's street)
    assert page.split(f'data-grid="{grids[0]}"')[1].split('data-testid="realised-hours">')[1].startswith("3.0")
