"""Incidents, warnings, the guard, maps, trend and briefing through the API, services and pages."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.test import Client

from gridgov.core.models import AuditEvent
from gridgov.safety import services
from gridgov.safety.models import Alert, Hotspot, Incident

PS = (121.4737, 31.2304)  # People's Square, inside 310101
TZ = ZoneInfo("Asia/Shanghai")


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def police(city, make_user):
    return make_user("police1", ("police_officer", "310101"))


def _csv(rows):
    out = io.StringIO()
    out.write("category,occurred_at,lon,lat,origin,summary,ref\n")
    for r in rows:
        out.write(",".join(str(x) for x in r) + "\n")
    return out.getvalue().encode()


# ------------------------------------------------------------------ incidents

def test_create_incident_locates_its_grid(police):
    client = _client(police)
    r = client.post("/api/v1/safety/incidents", data={"category": "02", "occurred_at": "2026-03-02T21:30:00+08:00",
                                                     "lon": PS[0], "lat": PS[1], "origin": "reported",
                                                     "summary": "call from 13812345678"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["grid_code"].startswith("310101") and len(body["grid_code"]) == 15
    assert body["week_start"] == "2026-03-02" and "13812345678" not in body["summary"]
    bad = client.post("/api/v1/safety/incidents", data={"category": "02", "occurred_at": "2026-03-02T21:30:00",
                                                       "lon": 100.0, "lat": 30.0, "origin": "reported"},
                      content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "lon"
    assert AuditEvent.objects.filter(action="IMPORT", object_type="incident").count() == 1


def test_incident_capabilities_and_scope(police, make_user):
    worker = make_user("gw", ("grid_worker", "310101"))
    assert _client(worker).get("/api/v1/safety/incidents").status_code == 403
    street = make_user("street1", ("street_centre", "310101002"))  # view only, another street
    services.incidents_import(actor=police, rows=[{"category": "05", "occurred_at": "2026-03-03 10:00",
                                                   "lon": PS[0], "lat": PS[1], "origin": "reported"}])
    inc = Incident.objects.get()
    assert not inc.grid_code.startswith("310101002")
    assert _client(street).get("/api/v1/safety/incidents").json()["count"] == 0
    assert _client(street).get(f"/api/v1/safety/incidents/{inc.pk}").status_code == 404
    assert _client(police).get(f"/api/v1/safety/incidents/{inc.pk}").json()["category"] == "05"
    r = _client(street).post("/api/v1/safety/incidents", data={"category": "05", "occurred_at": "2026-03-03T10:00",
                                                              "lon": PS[0], "lat": PS[1], "origin": "reported"},
                             content_type="application/json")
    assert r.status_code == 403  # street centre staff may view, not record


def test_import_reports_every_bad_row_and_writes_nothing(police):
    data = _csv([
        ("02", "2026-03-02 10:00", PS[0], PS[1], "reported", "ok", "A1"),
        ("77", "2026-03-02 10:00", PS[0], PS[1], "reported", "", ""),
        ("02", "yesterday", PS[0], PS[1], "报案", "", ""),
        ("02", "2026-03-02 10:00", 200, PS[1], "reported", "", ""),
        ("02", "2026-03-02 10:00", PS[0], PS[1], "guessed", "", ""),
        ("02", "2026-03-02 10:00", 100.0, 30.0, "discovered", "", ""),
        ("02", "2026-03-02 10:00", PS[0], PS[1], "reported", "", "A1"),
    ])
    r = _client(police).post("/api/v1/safety/incidents/import", {"file": _upload("x.csv", data)})
    assert r.status_code == 422
    details = {(d["row"], d["field"]) for d in r.json()["error"]["details"]}
    assert details == {(3, "category"), (4, "occurred_at"), (5, "lon"), (6, "origin"), (7, "lon"), (8, "ref")}
    assert Incident.objects.count() == 0
    good = _csv([("2", "2026-03-02 10:00", PS[0], PS[1], "报案", "", "B1"),
                 ("14", "2026-03-03", PS[0], PS[1], "民警发现", "", "B2")])
    r = _client(police).post("/api/v1/safety/incidents/import", {"file": _upload("x.csv", good)})
    assert r.status_code == 200 and r.json()["created"] == 2
    assert set(Incident.objects.values_list("origin", flat=True)) == {"reported", "discovered"}


def test_excel_import(police):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["category", "occurred_at", "lon", "lat", "origin"])
    sheet.append(["04", datetime(2026, 3, 4, 9, 0), PS[0], PS[1], "reported"])
    buf = io.BytesIO()
    book.save(buf)
    r = _client(police).post("/api/v1/safety/incidents/import?dry_run=true",
                             {"file": _upload("x.xlsx", buf.getvalue())})
    assert r.status_code == 200 and r.json() == {"created": 0, "rows": 1, "dry_run": True}
    r = _client(police).post("/api/v1/safety/incidents/import", {"file": _upload("x.xlsx", buf.getvalue())})
    assert r.json()["created"] == 1


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_weekly_counts_are_aggregated_in_the_database(police):
    rng = np.random.default_rng(1)
    start = datetime(2025, 1, 6, 12, tzinfo=TZ)
    rows = [{"category": str(rng.choice(["02", "05"])), "occurred_at": start + timedelta(days=int(d)),
             "lon": PS[0], "lat": PS[1], "origin": str(rng.choice(["reported", "discovered"]))}
            for d in rng.integers(0, 70, 300)]
    services.incidents_import(actor=police, rows=rows)
    first = start.date()
    sc = services.weekly_counts(Incident.objects.all(), area_len=9, first_week=first,
                                last_week=first + timedelta(weeks=9))
    for s, (area, cat) in enumerate(zip(sc.areas, sc.categories, strict=True)):
        for w, week in enumerate(sc.weeks):
            qs = Incident.objects.filter(grid_code__startswith=area, category__code=cat, week_start=week)
            assert sc.counts[s, w] == qs.filter(origin="reported").count()
            assert sc.discovered[s, w] == qs.filter(origin="discovered").count()


def test_series_summed_up_from_the_grids_equal_the_database_s_own_counts_at_every_level(police):
    """``rollup`` of the grid-level series (what a safety run's chunk reads once) against
    ``weekly_counts`` aggregated by the database at each coarser level."""
    import shapely

    from gridgov.geo.models import Grid, boundary_wkb

    grids = list(Grid.objects.filter(boundary__isnull=False).order_by("code").values_list("code", "boundary"))
    points = shapely.point_on_surface(shapely.from_wkb([boundary_wkb(b) for _, b in grids]))
    assert len({code[:9] for code, _ in grids}) >= 2  # more than one street, community and grid
    rng = np.random.default_rng(7)
    start = datetime(2025, 1, 6, 12, tzinfo=TZ)
    rows = []
    for d, g in zip(rng.integers(0, 70, 600), rng.integers(0, len(grids), 600), strict=True):
        rows.append({"category": str(rng.choice(["02", "05", "08"])), "occurred_at": start + timedelta(days=int(d)),
                     "lon": shapely.get_x(points[g]), "lat": shapely.get_y(points[g]),
                     "origin": str(rng.choice(["reported", "discovered"]))})
    services.incidents_import(actor=police, rows=rows)
    first, last = start.date(), start.date() + timedelta(weeks=9)
    for include in (False, True):
        grid = services.weekly_counts(Incident.objects.all(), area_len=15, first_week=first, last_week=last,
                                      include_discovered=include)
        assert len(grid.areas) > 20
        for level in (12, 9, 6):
            db = services.weekly_counts(Incident.objects.all(), area_len=level, first_week=first, last_week=last,
                                        include_discovered=include)
            summed = services.rollup(grid, level)
            assert summed.areas.tolist() == db.areas.tolist()
            assert summed.categories.tolist() == db.categories.tolist()
            assert summed.weeks == db.weeks
            assert np.array_equal(summed.counts, db.counts) and np.array_equal(summed.discovered, db.discovered)
            assert summed.counts.sum() == (600 if include else (np.array([r["origin"] for r in rows]) == "reported").sum())


# ------------------------------------------------------------------ warnings, guard, pages (demo data)

def test_demo_warnings_workflow(demo, make_user):
    district = make_user("dist", ("district_centre", "310101"))
    client = _client(district)
    listed = client.get("/api/v1/safety/warnings?status=open&min_level=3").json()
    assert listed["count"] >= 1
    alert = listed["items"][0]
    url = f"/api/v1/safety/warnings/{alert['id']}/transition"
    post = lambda data: client.post(url, data=data, content_type="application/json")  # noqa: E731
    r = post({"action": "acknowledge", "version": alert["version"]})
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    assert post({"action": "acknowledge", "version": alert["version"]}).status_code == 409  # stale / invalid
    v = r.json()["version"]
    assert post({"action": "assign", "version": v}).status_code == 422  # responder required
    r = post({"action": "assign", "version": v, "responder": "南京东路派出所"})
    assert r.json()["status"] == "responding"
    v = r.json()["version"]
    assert post({"action": "close", "version": v}).status_code == 422  # a note is required
    assert post({"action": "close", "version": v - 1, "note": "x"}).status_code == 409
    r = post({"action": "close", "version": v, "note": "patrols added; resolved"})
    assert r.json()["status"] == "closed"
    assert AuditEvent.objects.filter(action="TRANSITION", object_type="safety_alert").count() == 3
    # another street's staff does not see this district's community warnings
    other = make_user("other", ("street_centre", "310101099"))
    assert _client(other).get(f"/api/v1/safety/warnings/{alert['id']}").status_code == 404
    # refreshing keeps the workflow state
    services.warnings_refresh(weeks=[Alert.objects.get(pk=alert["id"]).week_start])
    assert Alert.objects.get(pk=alert["id"]).status == "closed"


def test_feedback_loop_guard(demo, make_user):
    """A police crackdown (discovered incidents) does not raise the level while the guard is on;
    an administrator can switch it off (audited) and then it does."""
    last = Incident.objects.order_by("-week_start").values_list("week_start", flat=True).first()
    crackdown = demo.get("gambling_crackdown") if isinstance(demo, dict) and demo else None
    disc = (Incident.objects.filter(origin="discovered", category__code="08", week_start=last)
            .values_list("grid_code", flat=True))
    communities = {c[:12] for c in disc}
    counts = {c: sum(1 for g in disc if g.startswith(c)) for c in communities}
    target = crackdown or max(counts, key=counts.get)
    assert counts[target] >= 10
    assert not Alert.objects.filter(area_code=target, category__code="08", week_start=last).exists()
    police = make_user("p2", ("police_officer", "310101"))
    with pytest.raises(Exception) as exc:
        services.safety_config_set(actor=police, include_discovered=True, reason="test")
    assert getattr(exc.value, "status", None) == 403
    admin = make_user("adm", ("city_admin", "31"))
    client = _client(admin)
    r = client.put("/api/v1/safety/config", data={"include_discovered": True, "reason": "crackdown review"},
                   content_type="application/json")
    assert r.status_code == 200 and r.json()["include_discovered"] is True
    event = AuditEvent.objects.filter(object_type="safety_config").get()
    assert event.reason == "crackdown review" and event.changes["include_discovered"] == [False, True]
    services.warnings_refresh(weeks=[last])
    assert Alert.objects.filter(area_code=target, category__code="08", week_start=last, level__gte=2).exists()


def test_maps_trend_briefing_and_pages(demo, make_user):
    district = make_user("d9", ("district_centre", "310101"))
    client = _client(district)
    last = Incident.objects.order_by("-week_start").values_list("week_start", flat=True).first()
    fc = json.loads(client.get(f"/api/v1/safety/situation?week={last}&level=12").content)
    levels = {f["properties"]["level_name"] for f in fc["features"]}
    # red communities, and others coloured by a wider (street/district) warning or by none
    assert "red" in levels and levels - {"red"}
    assert len(fc["features"]) >= 10
    spots = json.loads(client.get("/api/v1/safety/hotspots").content)
    assert Hotspot.objects.exists() == bool(spots["features"])
    red = Alert.objects.filter(level=4, week_start=last, area_level=12).first()
    tr = client.get(f"/api/v1/safety/trend?area={red.area_code}&category={red.category.code}").json()
    assert len(tr["weeks"]) == 104 and tr["weeks"][-1] == last.isoformat()
    assert tr["observed"][-1] == red.observed and tr["level"][-1] == 4
    assert tr["expected"][-1] == pytest.approx(red.expected, abs=1e-3)  # same numbers as the warning
    assert client.get("/api/v1/safety/trend?area=320101&category=02").status_code == 404
    worker = make_user("gw2", ("grid_worker", "310101"))
    assert _client(worker).get("/api/v1/safety/situation").status_code == 403
    for url in ("/safety/", "/safety/trend/?area=" + red.area_code + "&category=" + red.category.code,
                "/safety/warnings/", "/safety/briefing/", "/safety/settings/"):
        page = client.get(url)
        assert page.status_code == 200, url
    assert "data-testid=\"situation-map\"" in client.get("/safety/").content.decode()
    assert _client(worker).get("/safety/").status_code == 403
    pdf = client.get(f"/safety/briefing.pdf?week={last}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    brief = client.get(f"/safety/briefing/?week={last}").content.decode()
    assert "data-testid=\"briefing-alerts\"" in brief


def test_counts_api_by_level_week_and_day(police, make_user):
    services.incidents_import(actor=police, rows=[
        {"category": "02", "occurred_at": "2026-03-02 23:30", "lon": PS[0], "lat": PS[1], "origin": "reported"},
        {"category": "02", "occurred_at": "2026-03-03 00:30", "lon": PS[0], "lat": PS[1], "origin": "reported"},
        {"category": "02", "occurred_at": "2026-03-10 08:00", "lon": PS[0], "lat": PS[1], "origin": "discovered"},
    ])
    client = _client(police)
    week = client.get("/api/v1/safety/counts?since=2026-03-02&until=2026-03-15&level=9").json()
    assert week["periods"] == ["2026-03-02", "2026-03-09"]
    (series,) = week["series"]
    assert len(series["area"]) == 9 and series["reported"] == [2, 0] and series["discovered"] == [0, 1]
    day = client.get("/api/v1/safety/counts?since=2026-03-02&until=2026-03-04&level=6&period=day").json()
    assert day["periods"] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert day["series"][0]["reported"] == [1, 1, 0]  # local (Asia/Shanghai) days
    other = make_user("st2", ("street_centre", "310101099"))
    assert _client(other).get("/api/v1/safety/counts?since=2026-03-02&until=2026-03-15").json()["series"] == []
    assert client.get("/api/v1/safety/counts?since=2026-03-02&until=2026-03-15&level=7").status_code == 422


def test_detection_run_endpoint_needs_manage(police, make_user):
    services.incidents_import(actor=police, rows=[
        {"category": "02", "occurred_at": "2026-03-02 10:00", "lon": PS[0], "lat": PS[1], "origin": "reported"}])
    r = _client(police).post("/api/v1/safety/run", data={"weeks": ["2026-03-02"]}, content_type="application/json")
    assert r.status_code == 202 and r.json()["weeks"] == ["2026-03-02"]  # queued for the worker (test_runs.py)
    viewer = make_user("view1", ("street_centre", "310101"))
    r = _client(viewer).post("/api/v1/safety/run", data={}, content_type="application/json")
    assert r.status_code == 403
    assert _client(police).get("/api/v1/safety/situation?level=7").status_code == 422
    assert _client(police).get("/safety/warnings/?min_level=x&status=bogus").status_code == 200
