"""Detection runs in the task worker (safety/runs.py; issue 16, item 2): the request only enqueues;
the worker commits street by street; a run that fails after a chunk resumes without duplicating or
re-updating anything and ends where one clean run ends, which is where the one-transaction
``services.warnings_refresh`` + ``hotspots_refresh`` end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.core.models import SystemState
from gridgov.safety import runs, services
from gridgov.safety.models import Alert, Hotspot, Incident, SafetyRun


@pytest.fixture
def weeks(demo):
    """The demo's last four weeks, with its warnings and hotspots removed (each test makes them)."""
    last = Incident.objects.order_by("-week_start").values_list("week_start", flat=True).first()
    Alert.objects.all().delete()
    Hotspot.objects.all().delete()
    # the demo's own run and the watermarks it left (each test starts from no run)
    SafetyRun.objects.all().delete()
    SystemState.objects.filter(key=runs.WATERMARK_KEY).delete()
    return [last - timedelta(weeks=i) for i in range(4)]


def _state() -> tuple[list, list]:
    alerts = sorted((a.area_code, a.category.code, a.week_start.isoformat(), a.area_level, a.level, a.method,
                     a.observed, round(a.expected, 9), round(a.threshold, 9), round(a.pvalue, 12), a.discovered,
                     a.status, a.version) for a in Alert.objects.select_related("category"))
    spots = sorted((h.grid_code, h.category.code, h.week_start.isoformat(), h.kind, h.observed, round(h.z, 9),
                    round(h.qvalue, 12)) for h in Hotspot.objects.select_related("category"))
    return alerts, spots


def _clear() -> None:
    Alert.objects.all().delete()
    Hotspot.objects.all().delete()


class Crash(Exception):
    pass


def test_a_run_that_fails_after_a_chunk_resumes_to_what_one_clean_run_writes(weeks, roles):
    clean = runs.safety_run_start(actor=None, weeks=weeks, enqueue=False)
    done = runs.safety_run_execute(run_id=clean.pk)
    assert done["state"] == "done" and done["chunks_done"] == done["chunks_total"] > 3
    assert done["series_done"] == done["series_total"] > 0
    once = _state()
    assert len(once[0]) >= 10 and len(once[1]) > 0  # (the tiny demo's 4 weeks: some 20 alerts)
    assert sum(done["warnings"].values()) == len(once[0]) and done["hotspots"] == len(once[1])
    assert {a[3] for a in once[0]} == {6, 9, 12, 15}
    assert all(a[-1] == 1 for a in once[0])  # each warning written once

    _clear()
    run = runs.safety_run_start(actor=None, weeks=weeks, enqueue=False)

    def crash_after_second(index):
        if index == 1:
            raise Crash("injected after chunk 1")

    with pytest.raises(Crash):
        runs.safety_run_execute(run_id=run.pk, after_chunk=crash_after_second)
    run.refresh_from_db()
    assert run.state == "failed" and run.chunks_done == 2 and "injected" in run.message
    partial = Alert.objects.count()
    streets = {p for p, _ in run.plan[1:2]}
    assert partial == sum(run.warnings.values()) > 0  # the two committed chunks, nothing more
    assert set(Alert.objects.filter(area_level=9).values_list("area_code", flat=True)) <= streets
    assert Hotspot.objects.count() == 0 and run.hotspots is None

    # started again without resuming: a failed run stays failed
    assert runs.safety_run_execute(run_id=run.pk)["state"] == "failed"
    run = runs.safety_run_resume(actor=None, run_id=run.pk)
    assert run.state == "pending"
    resumed = runs.safety_run_execute(run_id=run.pk)
    assert resumed["state"] == "done" and resumed["chunks_done"] == done["chunks_done"]
    assert resumed["series_done"] == done["series_done"] and resumed["warnings"] == done["warnings"]
    assert _state() == once

    # the oracle: the one-transaction path over everything
    _clear()
    services.warnings_refresh(weeks=weeks)
    services.hotspots_refresh(week=max(weeks))
    assert _state() == once


def test_a_worker_that_died_mid_run_is_continued_by_the_next_attempt(weeks, roles):
    """A killed worker leaves the run 'running' with its committed chunks; the re-queued task
    (core.worker) continues after them."""
    run = runs.safety_run_start(actor=None, weeks=weeks[:1], enqueue=False)

    def killed(index):
        if index == 2:
            raise SystemExit  # not an Exception: stands for SIGKILL (no handler runs)

    with pytest.raises(SystemExit):
        runs.safety_run_execute(run_id=run.pk, after_chunk=killed)
    run.refresh_from_db()
    assert run.state == "running" and run.chunks_done == 3
    seen = []
    runs.safety_run_execute(run_id=run.pk, after_chunk=seen.append)
    run.refresh_from_db()
    assert seen == list(range(3, len(run.plan)))  # chunks 0-2 were not done again
    assert run.state == "done" and Alert.objects.filter(version__gt=1).count() == 0


def test_the_request_answers_202_before_any_warning_and_the_worker_writes_them(
        weeks, make_user, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from gridgov.safety.tasks import run_execute

    police = make_user("police9", ("police_officer", "310101"))
    client = Client()
    client.force_login(police)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/api/v1/safety/run", data={"weeks": [w.isoformat() for w in weeks]},
                        content_type="application/json")
    assert r.status_code == 202
    body = r.json()
    assert body["state"] == "pending" and body["chunks_done"] == 0 and body["hotspots"] is None
    assert body["url"] == f"/safety/runs/{body['id']}/"
    assert body["status_url"] == f"/api/v1/safety/runs/{body['id']}"
    assert Alert.objects.count() == 0 and Hotspot.objects.count() == 0  # nothing computed in the request
    (task,) = DBTaskResult.objects.filter(task_path="gridgov.safety.tasks.run_execute", status="READY")
    assert task.args_kwargs["kwargs"] == {"run_id": body["id"]}

    run_execute.call(**task.args_kwargs["kwargs"])  # what `gridgov worker` does with it
    status = client.get(body["status_url"]).json()
    assert status["state"] == "done" and status["series_done"] == status["series_total"] > 0
    assert sum(status["warnings"].values()) == Alert.objects.count() > 0
    assert status["hotspots"] == Hotspot.objects.count()
    page = client.get(body["url"])
    assert page.status_code == 200 and "预警计算" in page.content.decode()
    assert client.get(body["url"] + "?format=json").json()["progress"] == 100
    assert SafetyRun.objects.get(pk=body["id"]).actor == police

    viewer = make_user("view9", ("street_centre", "310101"))
    other = Client()
    other.force_login(viewer)
    assert other.get(body["status_url"]).status_code == 403
    assert other.post("/api/v1/safety/run", data={}, content_type="application/json").status_code == 403
    assert client.get("/api/v1/safety/runs/999999").status_code == 404
    assert client.post("/api/v1/safety/run", data={"weeks": ["2026-13-01"]},
                       content_type="application/json").status_code == 422


def test_the_warnings_page_button_starts_a_run_and_shows_its_page(weeks, make_user):
    police = make_user("police8", ("police_officer", "310101"))
    client = Client()
    client.force_login(police)
    assert 'data-testid="run-start"' in client.get("/safety/warnings/").content.decode()
    r = client.post("/safety/runs/")
    run = SafetyRun.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/safety/runs/{run.pk}/"
    assert Alert.objects.count() == 0 and run.state == "pending"
    page = client.get(r["Location"]).content.decode()
    assert "等待" in page and 'data-state="pending"' in page
    viewer = make_user("view8", ("street_centre", "310101"))
    client.force_login(viewer)
    assert 'data-testid="run-start"' not in client.get("/safety/warnings/").content.decode()
    assert client.post("/safety/runs/").status_code == 403


def _new_incident(grid_code: str, category: str, week) -> Incident:
    """One more incident recorded now in ``grid_code`` (a copy of one of its incidents' place)."""
    from datetime import datetime, time

    from gridgov.safety.models import Category

    like = Incident.objects.filter(grid_code=grid_code).first()
    return Incident.objects.create(
        category=Category.objects.get(code=category), occurred_at=datetime.combine(week, time(10), services.LOCAL_TZ),
        week_start=week, lon=like.lon, lat=like.lat, grid_code=grid_code, origin="reported", summary="late report")


def _without_versions(state):
    alerts, spots = state
    return [a[:-1] for a in alerts], spots


def test_an_incremental_run_evaluates_only_the_series_with_new_incidents(weeks, roles):
    week = weeks[0]
    first = runs.safety_run_execute(run_id=runs.safety_run_start(actor=None, weeks=[week], enqueue=False,
                                                                 incremental=True).pk)
    # no watermark for the week yet: every series, as a full run
    assert first["state"] == "done" and first["incremental"] is False
    assert first["series_done"] == first["series_total"] > 100
    before = _state()
    assert len(before[0]) > 0

    again = runs.safety_run_execute(run_id=runs.safety_run_start(actor=None, weeks=[week], enqueue=False,
                                                                 incremental=True).pk)
    assert again["incremental"] is True
    assert again["series_total"] == again["series_done"] == 0 and again["chunks_total"] == 0
    assert again["warnings"] == {} and again["hotspots"] == len(before[1])
    assert _state() == before  # nothing rewritten (same versions)

    grid = Incident.objects.order_by("grid_code").values_list("grid_code", flat=True).first()
    _new_incident(grid, "02", week)
    third = runs.safety_run_execute(run_id=runs.safety_run_start(actor=None, weeks=[week], enqueue=False,
                                                                 incremental=True).pk)
    run = SafetyRun.objects.get(pk=third["run"])
    # the grid's burglary series and those of its community, street and district: 4 series
    assert third["incremental"] is True and third["series_total"] == third["series_done"] == 4
    assert run.plan == [["", [6]], [grid[:9], [9, 12, 15]]]
    after = _state()
    changed = {(a[0], a[1]) for a in after[0] if a[-1] > 1 or a not in before[0]}
    assert changed <= {(grid[:n], "02") for n in (6, 9, 12, 15)}

    # the oracle: a full run over everything gives the same warnings and hotspots
    _clear()
    full = runs.safety_run_execute(run_id=runs.safety_run_start(actor=None, weeks=[week], enqueue=False).pk)
    assert full["series_done"] == first["series_done"] + _added_series(grid, week)
    assert _without_versions(_state()) == _without_versions(after)


def _added_series(grid: str, week) -> int:
    """Series that exist only because of the new incident (none had burglaries there before)."""
    first = week - timedelta(weeks=services.HISTORY_WEEKS)
    old = Incident.objects.filter(category__code="02", week_start__gte=first, week_start__lte=week).exclude(
        summary="late report")
    return sum(not old.filter(grid_code__startswith=grid[:n]).exists() for n in (6, 9, 12, 15))


def test_changed_settings_make_an_incremental_run_evaluate_every_series(weeks, roles):
    from gridgov.core.models import SystemState

    week = weeks[0]
    first = runs.safety_run_execute(run_id=runs.safety_run_start(actor=None, weeks=[week], enqueue=False).pk)
    SystemState.objects.update_or_create(key=services.CONFIG_KEY, defaults={"value": {"include_discovered": True}})
    again = runs.safety_run_execute(run_id=runs.safety_run_start(actor=None, weeks=[week], enqueue=False,
                                                                 incremental=True).pk)
    assert again["incremental"] is False and again["series_done"] == first["series_done"] > 100
    # a week evaluated before and one never evaluated: every series too
    both = runs.safety_run_execute(run_id=runs.safety_run_start(actor=None, weeks=weeks[:2], enqueue=False,
                                                                incremental=True).pk)
    assert both["incremental"] is False and both["series_done"] > 0


def test_a_code_prefix_range_selects_what_startswith_selects(weeks):
    assert services.code_prefix("310101009") == {"grid_code__gte": "310101009", "grid_code__lt": "310101010"}
    assert services.code_prefix("999") == {"grid_code__gte": "999"}
    assert services.code_prefix("") == {}
    codes = sorted(set(Incident.objects.values_list("grid_code", flat=True)))
    prefixes = {c[:n] for c in codes for n in (6, 9, 12, 15)} | {"3101010", "31", "4"}
    for prefix in sorted(prefixes):
        ranged = set(Incident.objects.filter(**services.code_prefix(prefix)).values_list("id", flat=True))
        assert ranged == set(Incident.objects.filter(grid_code__startswith=prefix).values_list("id", flat=True))


def test_the_daily_scan_after_the_demo_load_evaluates_nothing_until_an_incident_arrives(demo, roles):
    """The demo's own run left watermarks for its four weeks; the worker's daily scan of the last
    complete week is incremental: nothing new, no series; one late incident, its four series."""
    from gridgov.safety.tasks import weekly_scan

    last = services.week_of(timezone.localdate()) - timedelta(weeks=1)
    assert SystemState.objects.get(key=runs.WATERMARK_KEY).value.keys() >= {last.isoformat()}
    spots = Hotspot.objects.filter(week_start=last).count()
    quiet = weekly_scan.call()
    assert quiet["incremental"] is True and quiet["series_total"] == 0 and quiet["hotspots"] == spots
    grid = Incident.objects.order_by("-grid_code").values_list("grid_code", flat=True).first()
    _new_incident(grid, "05", last)
    busy = weekly_scan.call()
    assert busy["incremental"] is True and busy["series_done"] == 4 and busy["chunks_total"] == 2
