"""Risk against coverage through the selectors and the pages: reported incidents raise the risk,
discovered ones do not; a patrol log raises the coverage of its grids; scoping and capabilities."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from gridgov.core.models import AuditEvent
from gridgov.prevention import selectors, services
from gridgov.prevention.models import Camera, PatrolLog, PatrolUnit

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def week():
    return selectors.default_week()


def _incidents(grid, n, origin, week):
    from gridgov.safety.models import Category, Incident
    from gridgov.safety.services import categories_sync

    categories_sync()
    cat = Category.objects.get(code="02")
    at = dt.datetime.combine(week + dt.timedelta(days=2), dt.time(10), tzinfo=SH)
    Incident.objects.bulk_create([Incident(category=cat, occurred_at=at, week_start=week, lon=0, lat=0,
                                           grid_code=grid, origin=origin) for _ in range(n)])


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_reported_incidents_raise_risk_discovered_do_not(grids, make_user, week):
    (g1, *_), (g2, *_), (g3, *_) = grids
    police = make_user("pol", ("police_officer", g1[:6]))
    _incidents(g1, 10, "reported", week)
    _incidents(g2, 40, "discovered", week)  # a patrol crackdown: not risk
    rows = {r["code"]: r for r in selectors.gap_table(police, week=week)}
    assert rows[g1]["reported"] == 10
    assert rows[g2]["reported"] == 0
    assert rows[g1]["risk"] > rows[g3]["risk"]
    assert rows[g2]["risk"] == pytest.approx(rows[g3]["risk"])
    ranked = selectors.gap_table(police, week=week)
    assert ranked[0]["code"] == g1 and ranked[0]["rank"] == 1


@pytest.mark.django_db
def test_a_patrol_log_raises_coverage_and_lowers_the_gap(grids, make_user, week):
    (g1, *_), (g2, *_), _ = grids
    police = make_user("pol2", ("police_officer", g1[:6]))
    _incidents(g1, 6, "reported", week)
    unit = PatrolUnit.objects.create(code="U1", name="巡逻一组", kind="police", area_code=g1[:9])
    before = {r["code"]: r for r in selectors.gap_table(police, week=week)}
    start = dt.datetime.combine(week + dt.timedelta(days=1), dt.time(9), tzinfo=SH)
    services.patrol_log_create(actor=police, unit_id=unit.pk, started_at=start, ended_at=start + dt.timedelta(hours=4),
                               grids_visited=[g1, g2])
    after = {r["code"]: r for r in selectors.gap_table(police, week=week)}
    assert after[g1]["patrol_hours"] == 2.0 and after[g2]["patrol_hours"] == 2.0
    assert after[g1]["coverage"] > before[g1]["coverage"]
    assert after[g1]["gap"] < before[g1]["gap"]
    event = AuditEvent.objects.filter(object_type="patrol_log").latest("id")
    assert event.action == "CREATE" and event.actor_id == police.pk


@pytest.mark.django_db
def test_cameras_enter_the_coverage(grids, make_user, week):
    (g1, x1, y1), *_ = grids
    police = make_user("pol3", ("police_officer", g1[:6]))
    Camera.objects.create(code="C1", grid_code=g1, lon=x1, lat=y1, radius_m=60)
    Camera.objects.create(code="C2", grid_code=g1, lon=x1, lat=y1, radius_m=500, status="faulty")  # not counted
    row = next(r for r in selectors.gap_table(police, week=week) if r["code"] == g1)
    assert 0 < row["camera_share"] < 1


@pytest.mark.django_db
def test_patrol_log_rejections(grids, make_user, week):
    from gridgov.core.errors import NotFound, ValidationFailed

    (g1, *_), _, _ = grids
    police = make_user("pol4", ("police_officer", g1[:9]))
    unit = PatrolUnit.objects.create(code="U1", name="巡逻一组", kind="police", area_code=g1[:9])
    other = PatrolUnit.objects.create(code="U2", name="外区", kind="police", area_code="320101")
    start = dt.datetime.combine(week, dt.time(9), tzinfo=SH)
    with pytest.raises(ValidationFailed) as exc:
        services.patrol_log_create(actor=police, unit_id=unit.pk, started_at=start, ended_at=start,
                                   grids_visited=["999999999999999", "310101"])
    fields = sorted((d.field, d.code) for d in exc.value.details)
    assert fields == [("ended_at", "order"), ("grids_visited", "unknown"), ("grids_visited", "unknown")]
    with pytest.raises(ValidationFailed) as exc:
        services.patrol_log_create(actor=police, unit_id=unit.pk, started_at=start,
                                   ended_at=start + dt.timedelta(hours=25), grids_visited=[g1])
    assert [d.code for d in exc.value.details] == ["too_long"]
    with pytest.raises(NotFound):
        services.patrol_log_create(actor=police, unit_id=other.pk, started_at=start,
                                   ended_at=start + dt.timedelta(hours=1), grids_visited=[g1])
    assert PatrolLog.objects.count() == 0


@pytest.mark.django_db
def test_scoping_a_street_sees_its_grids_only(grids, make_user, week):
    (g1, *_), _, _ = grids
    street = make_user("st", ("street_centre", g1[:9]))
    codes = [r["code"] for r in selectors.gap_table(street, week=week)]
    assert codes and all(c.startswith(g1[:9]) for c in codes)


@pytest.mark.django_db
def test_pages_and_refusals(grids, make_user, week):
    (g1, *_), _, _ = grids
    worker = _client(make_user("gw", ("grid_worker", g1)))
    r = worker.get("/prevention/")
    assert r.status_code == 200 and g1 in r.content.decode()
    assert worker.get("/prevention/gaps.geojson").json()["features"][0]["properties"]["code"] == g1
    assert worker.get("/prevention/patrols/").status_code == 200
    assert worker.get("/prevention/import/cameras/").status_code == 403  # grid workers do not manage
    social = _client(make_user("sw", ("social_worker", g1[:6])))
    assert social.get("/prevention/").status_code == 403
    assert social.get("/api/v1/prevention/gaps").status_code == 403
    police = _client(make_user("pol5", ("police_officer", g1[:6])))
    body = police.get("/api/v1/prevention/gaps").json()
    assert len(body) > 3 and {"gap", "risk", "coverage", "patrol_hours"} <= set(body[0])


@pytest.mark.django_db
def test_patrol_log_page_posts_a_log(grids, make_user, week):
    (g1, *_), (g2, *_), _ = grids
    user = make_user("pol6", ("police_officer", g1[:6]))
    unit = PatrolUnit.objects.create(code="U1", name="巡逻一组", kind="police", area_code=g1[:9])
    c = _client(user)
    day = (week + dt.timedelta(days=2)).isoformat()
    r = c.post("/prevention/patrols/", {"unit": unit.pk, "started_at": f"{day}T08:00", "ended_at": f"{day}T11:00",
                                        "grids": f"{g1}，{g2}"})
    assert r.status_code == 302
    log = PatrolLog.objects.get()
    assert log.grids_visited == [g1, g2] and log.hours == 3.0
    r = c.post("/prevention/patrols/", {"unit": unit.pk, "started_at": f"{day}T08:00", "ended_at": f"{day}T07:00",
                                        "grids": g1})
    assert r.status_code == 400 and "结束" in r.content.decode()
