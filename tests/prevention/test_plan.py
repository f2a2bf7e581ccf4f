"""The weekly patrol plan: proposal from the area's history, reasons, accept/edit by the police
(audited), realised hours from the patrol logs, scoping and capabilities."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gridgov.core.errors import Conflict, FieldError, Forbidden, NotFound
from gridgov.core.models import AuditEvent
from gridgov.prevention import plan_selectors, plan_services
from gridgov.prevention.models import PatrolLog, PatrolPlan, PatrolUnit
from gridgov.safety.models import Category, Incident

SH = ZoneInfo("Asia/Shanghai")
WEEK = dt.date(2026, 11, 2)  # the planned week (a Monday)


def _incident(grid: str, week: dt.date, origin: str, n: int = 1) -> None:
    cat = Category.objects.order_by("code").first()
    at = dt.datetime.combine(week + dt.timedelta(days=2), dt.time(10), SH)
    Incident.objects.bulk_create([Incident(category=cat, occurred_at=at, week_start=week, lon=121.0, lat=31.0,
                                           grid_code=grid, origin=origin) for _ in range(n)])


def _log(unit, grid: str, week: dt.date, hours: float) -> None:
    start = dt.datetime.combine(week + dt.timedelta(days=1), dt.time(8), SH)
    PatrolLog.objects.create(unit=unit, area_code=unit.area_code, started_at=start,
                             ended_at=start + dt.timedelta(hours=hours), grids_visited=[grid])


@pytest.fixture
def history(city):
    """Grid A: 1 reported incident a week, never patrolled. Grid B: 2 reported in 12 weeks, but
    patrolled 20 hours a week and 20 incidents found by patrols: more recorded incidents (22) than A
    (12), yet the patrols' finds are what patrols do, not a higher rate."""
    from gridgov.geo.models import Grid

    grids = list(Grid.objects.filter(code__startswith="310101").order_by("code").values_list("code", flat=True))
    a, b = grids[0], grids[1]
    unit = PatrolUnit.objects.create(code="P1", name="巡逻一组", kind="police", area_code="310101")
    for k in range(1, 13):
        week = WEEK - dt.timedelta(days=7 * k)
        _incident(a, week, "reported")
        _log(unit, b, week, 20.0)
        if k <= 10:
            _incident(b, week, "discovered", 2)
        if k in (3, 9):
            _incident(b, week, "reported")
    return {"a": a, "b": b, "grids": grids, "unit": unit}


@pytest.fixture
def police(city, make_user):
    return make_user("police1", ("police_officer", "310101"))


def test_proposal_follows_reports_not_patrol_finds(history, police):
    plan = plan_services.plan_propose(actor=police, area_code="310101", week_start=WEEK + dt.timedelta(days=3),
                                      units=24, exploration=0.15, seed=1)
    assert plan.week_start == WEEK  # any day names its week
    lines = {line.grid_code: line for line in plan.lines.all()}
    assert set(lines) == set(history["grids"])  # every grid of the district
    assert sum(line.units for line in lines.values()) == pytest.approx(24, abs=1e-9)
    a, b = lines[history["a"]], lines[history["b"]]
    assert (a.reported, a.discovered, a.patrol_hours) == (12, 0, 0)
    assert (b.reported, b.discovered, b.patrol_hours) == (2, 20, pytest.approx(240.0))
    # only B was patrolled, so its finds calibrate "found per patrol hour" and add no rate of their
    # own: B's rate is its reported rate 2/12 a week (before smoothing), A's is 1 a week
    assert plan.kappa == pytest.approx((20 / 240) / (2 / 12), rel=1e-6)
    assert a.risk > 3 * b.risk
    assert a.units > b.units
    assert a.risk_low <= a.risk <= a.risk_high
    codes = {r["code"] for r in a.reasons}
    assert "above_mean" in codes
    assert "discovered_corrected" in {r["code"] for r in b.reasons}
    event = AuditEvent.objects.filter(object_type="prevention_plan", object_id=str(plan.pk)).get()
    assert event.action == "CREATE" and event.changes["units"] == 24


def test_accept_edit_and_conflicts(history, police):
    plan = plan_services.plan_propose(actor=police, area_code="310101", week_start=WEEK, units=24)
    with pytest.raises(FieldError):
        plan_services.plan_edit(actor=police, plan_id=plan.pk, version=plan.version, units={history["a"]: 5.0},
                                note="  ")
    line = plan.lines.get(grid_code=history["a"])
    edited = plan_services.plan_edit(actor=police, plan_id=plan.pk, version=plan.version,
                                     units={history["a"]: line.units + 3}, note="庙会加强巡逻")
    assert edited.status == PatrolPlan.Status.EDITED
    line.refresh_from_db()
    assert line.units == pytest.approx(round(line.proposed_units + 3, 2))
    assert edited.units_total == pytest.approx(27, abs=0.011)
    with pytest.raises(Conflict):  # stale version
        plan_services.plan_accept(actor=police, plan_id=plan.pk, version=plan.version)
    event = AuditEvent.objects.filter(object_type="prevention_plan", action="UPDATE").get()
    assert event.reason == "庙会加强巡逻"
    assert event.changes["units"][history["a"]][1] == pytest.approx(line.units)
    with pytest.raises(Conflict):  # decided plans are not proposed again
        plan_services.plan_propose(actor=police, area_code="310101", week_start=WEEK, units=10)


def test_accept_and_realised_hours(history, police):
    plan = plan_services.plan_propose(actor=police, area_code="310101", week_start=WEEK, units=24)
    accepted = plan_services.plan_accept(actor=police, plan_id=plan.pk, version=plan.version, note="同意")
    assert accepted.status == PatrolPlan.Status.ACCEPTED and accepted.decided_by == police
    assert AuditEvent.objects.filter(object_type="prevention_plan", action="TRANSITION").count() == 1
    _log(history["unit"], history["a"], WEEK, 6.0)
    _log(history["unit"], history["b"], WEEK, 2.0)
    detail = plan_selectors.plan_detail(police, accepted)
    rows = {r["line"].grid_code: r for r in detail["rows"]}
    assert rows[history["a"]]["hours"] == pytest.approx(6.0)
    assert rows[history["a"]]["hours_share"] == pytest.approx(75.0)
    assert detail["total_hours"] == pytest.approx(8.0)


def test_scope_and_capabilities(history, police, make_user):
    plan = plan_services.plan_propose(actor=police, area_code="310101", week_start=WEEK, units=24)
    worker = make_user("cm", ("city_management", "310101"))
    with pytest.raises(Forbidden):
        plan_selectors.plan_get(worker, plan.pk)
    with pytest.raises(Forbidden):
        plan_services.plan_accept(actor=worker, plan_id=plan.pk, version=plan.version)
    other = make_user("p2", ("police_officer", "310104"))
    with pytest.raises(NotFound):
        plan_selectors.plan_get(other, plan.pk)
    with pytest.raises(NotFound):
        plan_services.plan_accept(actor=other, plan_id=plan.pk, version=plan.version)
    with pytest.raises(NotFound):
        plan_services.plan_propose(actor=other, area_code="310101", week_start=WEEK, units=5)
    viewer = make_user("ro", ("district_centre", "310101", "search"))
    assert plan_selectors.plan_get(viewer, plan.pk) == plan
    with pytest.raises(NotFound):  # search scope reads, it does not decide
        plan_services.plan_accept(actor=viewer, plan_id=plan.pk, version=plan.version)


def test_bad_parameters_refused(history, police):
    with pytest.raises(FieldError):
        plan_services.plan_propose(actor=police, area_code="310101", week_start=WEEK, units=0)
    with pytest.raises(FieldError):
        plan_services.plan_propose(actor=police, area_code="310101", week_start=WEEK, units=10, floor=1)  # 120 grids
    with pytest.raises(FieldError):
        plan_services.plan_propose(actor=police, area_code="310101", week_start=WEEK, units=10, exploration=2)
    assert not PatrolPlan.objects.exists()


def test_pages_propose_accept_edit(history, police, client, make_user):
    client.force_login(police)
    page = client.get("/prevention/plan/", {"week": WEEK.isoformat()})
    assert page.status_code == 200
    assert "尚未" in page.content.decode()  # no plan yet
    resp = client.post("/prevention/plan/propose/", {"week": WEEK.isoformat(), "units": "24", "exploration": "15"})
    assert resp.status_code == 302
    page = client.get("/prevention/plan/", {"week": WEEK.isoformat()}).content.decode()
    assert page.count('data-testid="plan-row"') == len(history["grids"])
    assert "高于区域均值" in page
    plan = PatrolPlan.objects.get()
    resp = client.post(f"/prevention/plan/{plan.pk}/accept/", {"version": plan.version})
    assert resp.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "accepted"
    page = client.get("/prevention/plan/", {"week": WEEK.isoformat()}).content.decode()
    assert "已采纳" in page
    resp = client.post(f"/prevention/plan/{plan.pk}/edit/", {"version": plan.version, "note": "",
                                                             f"units_{history['a']}": "9"})
    plan.refresh_from_db()
    assert plan.status == "accepted"  # no reason: refused
    worker = make_user("cm", ("city_management", "310101"))
    client.force_login(worker)
    assert client.get("/prevention/plan/").status_code == 403
    assert client.post(f"/prevention/plan/{plan.pk}/accept/", {"version": plan.version}).status_code == 403
    other = make_user("p2", ("police_officer", "310104"))
    client.force_login(other)
    assert client.post(f"/prevention/plan/{plan.pk}/accept/", {"version": plan.version}).status_code == 404
