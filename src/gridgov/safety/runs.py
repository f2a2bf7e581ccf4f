"""Detection runs as background jobs: nothing city-wide in a request.

``POST /api/v1/safety/run`` (and `gridgov safety-scan`, the worker's weekly scan) create a
:class:`~gridgov.safety.models.SafetyRun` row and enqueue ``safety.tasks.run_execute``; the request
answers 202 with the run's id and the URLs of its page and its JSON. The task worker does the work
in chunks, each in its own transaction together with its checkpoint:

1. planning (once): the first week of every series, the guard setting, the chunk list and the
   number of series (one grouped count per level);
2. chunk 0: the district-level series (area = 6 digits) of the whole city;
3. one chunk per street (9-digit prefix with incidents in the window): its street, community and
   grid series (levels 9, 12, 15);
4. hotspots (Gi* over every grid, ``services.hotspots_refresh``: replaces the week's hotspots).

A chunk's warnings and the run's ``chunks_done`` commit together, so a worker that dies loses at
most the chunk it was doing; the next attempt (``core.worker`` re-queues the task of a vanished
worker; an error marks the run failed and ``safety_run_resume`` queues it again) starts after the
last committed chunk. A series is detected from its own counts only, so the chunks give the
warnings of one ``services.warnings_refresh`` over everything (tests/safety/test_runs.py compares
them). A series covers one area: every chunk reads only the incidents of its street, which bounds
a chunk's memory by the largest street instead of the city.

Incremental runs (``incremental=True``: the worker's daily scan). A done run leaves a watermark per
evaluated week in ``core.SystemState`` (``safety:watermarks``): the largest incident id at its
planning and the settings it ran with. A later incremental run of weeks that all have a watermark
under the same settings evaluates only the series (area, category) with an incident recorded
since (id above the smallest of those watermarks, in the run's window): the grid's series and
those of its community, street and district. Nothing new: no chunk, no Gi* (the week's hotspots
stay). A week without a watermark, or changed settings: every series, as a full run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.scope import require_capability
from gridgov.core.audit import audit_write
from gridgov.core.errors import FieldError
from gridgov.core.models import AuditAction, SystemState
from gridgov.safety import services
from gridgov.safety.models import Category, Hotspot, Incident, SafetyRun

MANAGE = services.MANAGE
STREET = 9
MAX_WEEKS = 12
WATERMARK_KEY = "safety:watermarks"
#: watermarks kept (the most recent weeks)
KEEP_WATERMARKS = 60
#: chunk 0 (the districts' series) is read over the whole city: it has few series
_CITY = ""


def _week_list(weeks: Sequence[date] | None) -> list[date]:
    chosen = sorted({services.week_of(w) for w in weeks or []})
    if len(chosen) > MAX_WEEKS:
        raise FieldError("weeks", "at most %(n)s weeks in one run", params={"n": MAX_WEEKS}, code="too_many")
    return chosen or [services._latest_complete_week()]


@transaction.atomic
def safety_run_start(*, actor: User | None, weeks: Sequence[date] | None = None, enqueue: bool = True,
                     incremental: bool = False) -> SafetyRun:
    """Create a detection run for ``weeks`` (default: the last complete week) and enqueue it for the
    task worker (``enqueue`` False: the caller, already a task, runs it). ``actor`` None: the system
    (the schedule, the CLI). ``incremental``: only the series with incidents recorded since the
    last run of these weeks (module docstring). Needs ``safety.manage``."""
    if actor is not None:
        require_capability(actor, MANAGE)
    chosen = _week_list(weeks)
    run = SafetyRun.objects.create(weeks=[w.isoformat() for w in chosen], actor=actor, incremental=incremental)
    audit_write(AuditAction.CREATE, actor=actor, object_type="safety_run", object_id=run.pk,
                changes={"weeks": run.weeks, "state": run.state, "incremental": incremental})
    if enqueue:
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from gridgov.safety.tasks import run_execute

    run_execute.enqueue(run_id=run_id)


@transaction.atomic
def safety_run_resume(*, actor: User | None, run_id: int) -> SafetyRun:
    """Queue a failed run again: it continues after its last committed chunk."""
    if actor is not None:
        require_capability(actor, MANAGE)
    changed = SafetyRun.objects.filter(pk=run_id, state=SafetyRun.State.FAILED).update(
        state=SafetyRun.State.PENDING, message="")
    run = SafetyRun.objects.get(pk=run_id)
    if changed:
        audit_write(AuditAction.UPDATE, actor=actor, object_type="safety_run", object_id=run.pk,
                    changes={"state": [SafetyRun.State.FAILED.value, run.state], "chunks_done": run.chunks_done})
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _settings_key() -> str:
    """The stored detection settings (guard, cut-offs) as one comparable string."""
    import json

    state = SystemState.objects.filter(key=services.CONFIG_KEY).values_list("value", flat=True).first() or {}
    return json.dumps(state, sort_keys=True)


def _since(weeks: Sequence[date]) -> int | None:
    """The incident id after which data are new for every week of ``weeks``: the smallest of their
    watermarks; None (evaluate every series) when a week has none or the settings changed."""
    marks = SystemState.objects.filter(key=WATERMARK_KEY).values_list("value", flat=True).first() or {}
    settings = _settings_key()
    found = [marks.get(w.isoformat()) for w in weeks]
    if any(m is None or m.get("settings") != settings for m in found):
        return None
    return min(int(m["upto"]) for m in found)  # type: ignore[index]


def _watermark(run: SafetyRun) -> None:
    """After a done run: its weeks were evaluated on every incident up to ``run.upto_id``."""
    if run.upto_id is None:
        return
    state, _ = SystemState.objects.select_for_update().get_or_create(key=WATERMARK_KEY, defaults={"value": {}})
    marks = dict(state.value or {})
    settings = _settings_key()
    for week in run.weeks:
        old = marks.get(week)
        if old is None or old.get("settings") != settings or int(old["upto"]) < run.upto_id:
            marks[week] = {"upto": run.upto_id, "settings": settings}
    state.value = {w: marks[w] for w in sorted(marks)[-KEEP_WATERMARKS:]}
    state.save(update_fields=["value", "updated_at"])


def _new_series(run: SafetyRun, prefix: str = "") -> set[tuple[str, str]]:
    """(grid code, category code) of the incidents recorded after ``run.since_id`` (up to
    ``run.upto_id``) in the run's window, within ``prefix``."""
    weeks = [date.fromisoformat(w) for w in run.weeks]
    new = Incident.objects.filter(id__gt=run.since_id, id__lte=run.upto_id, week_start__gte=run.first_week,
                                  week_start__lte=weeks[-1]).order_by()
    if prefix:
        new = new.filter(**services.code_prefix(prefix))
    return set(new.values_list("grid_code", "category__code").distinct())


def _plan(run: SafetyRun) -> None:
    """Fix what every chunk must share: the series' first week, the guard setting, the chunks (an
    incremental run: only the streets with new incidents, chunk 0 only if there are any)."""
    weeks = [date.fromisoformat(w) for w in run.weeks]
    earliest = services.data_start()
    first = max(weeks[0] - timedelta(weeks=services.HISTORY_WEEKS), earliest) if earliest else None
    plan: list[list] = []
    total = 0
    upto = Incident.objects.aggregate(m=Max("id"))["m"]
    since = _since(weeks) if run.incremental and upto is not None else None
    if first is not None and since is not None:
        run.first_week, run.since_id, run.upto_id = first, since, upto
        pairs = _new_series(run)
        changed = sorted({g[:STREET] for g, _ in pairs})
        plan = [[_CITY, [6]], *([s, [9, 12, 15]] for s in changed)] if pairs else []
        total = sum(len({(g[:level], c) for g, c in pairs}) for level in services.AREA_LEVELS)
    elif first is not None:
        # one read of the window's (grid, category) pairs gives the streets and the series of every
        # level (four GROUP BY passes over the incidents before: 20 s of the 217 s profiled safety
        # stage at city scale)
        window = Incident.objects.filter(week_start__gte=first, week_start__lte=weeks[-1]).order_by()
        grid_categories = set(window.values_list("grid_code", "category").distinct())
        plan = [[_CITY, [6]], *([s, [9, 12, 15]] for s in sorted({g[:STREET] for g, _ in grid_categories}))]
        total = sum(len({(g[:level], c) for g, c in grid_categories}) for level in services.AREA_LEVELS)
    SafetyRun.objects.filter(pk=run.pk).update(
        first_week=first, include_discovered=services.safety_config()["include_discovered"], plan=plan,
        series_total=total, since_id=since, upto_id=upto, state=SafetyRun.State.RUNNING,
        started_at=timezone.now())
    run.refresh_from_db()


def _only(sc: services.SeriesCounts, keep: set[tuple[str, str]]) -> services.SeriesCounts:
    """The series of ``sc`` whose (area, category) is in ``keep``."""
    import numpy as np

    mask = np.fromiter(((a, c) in keep for a, c in zip(sc.areas.tolist(), sc.categories.tolist(), strict=True)),
                       dtype=bool, count=len(sc.areas))
    return services.SeriesCounts(sc.areas[mask], sc.categories[mask], sc.weeks, sc.counts[mask],
                                 sc.discovered[mask])


def _chunk(run: SafetyRun, index: int, categories: dict[str, Category], cutoffs: dict) -> None:
    """Detect the series of chunk ``index`` and store its warnings, with the checkpoint, in one
    transaction. A checkpoint moved by someone else (two workers on one run) rolls the chunk back."""
    prefix, levels = run.plan[index]
    weeks = [date.fromisoformat(w) for w in run.weeks]
    first = run.first_week
    assert first is not None  # a plan with chunks has a first week (_plan)
    report = services.RunReport(weeks=weeks)
    incidents = Incident.objects.all()
    if prefix:
        incidents = incidents.filter(**services.code_prefix(prefix))
    new = _new_series(run, prefix) if run.since_id is not None else None
    if new is not None:
        incidents = incidents.filter(category__code__in=sorted({c for _, c in new}))
    with transaction.atomic():
        # one read of the incidents at the finest level; the coarser levels are its sums
        finest = services.weekly_counts(incidents, area_len=max(levels), first_week=first, last_week=weeks[-1],
                                        include_discovered=run.include_discovered)
        for area_len in levels:
            sc = finest if area_len == max(levels) else services.rollup(finest, area_len)
            if new is not None:
                sc = _only(sc, {(g[:area_len], c) for g, c in new})
            if not len(sc.areas):
                continue
            cols = [(w - first).days // 7 for w in weeks]
            result, which, graded = services._detect_latest(sc.counts, cols, cutoffs)
            report.series += len(sc.areas)
            report.evaluated += int((graded >= 0).sum())
            services._store_alerts(sc, cols, result, which, graded, area_len, categories, report)
        current = SafetyRun.objects.select_for_update().get(pk=run.pk)
        if current.chunks_done != index:
            raise RuntimeError(f"run {run.pk}: chunk {index} was done by another worker")
        merged = dict(current.warnings)
        for name, n in report.warnings.items():
            merged[name] = merged.get(name, 0) + n
        SafetyRun.objects.filter(pk=run.pk).update(
            chunks_done=index + 1, series_done=F("series_done") + report.series,
            evaluated=F("evaluated") + report.evaluated, warnings=merged)
    run.refresh_from_db()


def safety_run_execute(*, run_id: int, after_chunk: Callable[[int], None] | None = None) -> dict:
    """The body of the run's task: plan (once), then every chunk not yet committed, then hotspots.
    ``after_chunk(index)`` is called after each committed chunk (tests inject a crash there).
    An error marks the run failed (the committed chunks stay) and is raised again."""
    run = SafetyRun.objects.filter(pk=run_id).first()
    if run is None:
        return {"run": run_id, "state": "missing"}
    if run.state in (SafetyRun.State.DONE, SafetyRun.State.FAILED):
        return summary(run)
    try:
        if run.state == SafetyRun.State.PENDING and not run.plan and run.started_at is None:
            _plan(run)
        elif run.state == SafetyRun.State.PENDING:  # resumed
            SafetyRun.objects.filter(pk=run.pk).update(state=SafetyRun.State.RUNNING)
            run.refresh_from_db()
        categories = {c.code: c for c in Category.objects.all()}
        cutoffs = services.safety_config()["cutoffs"]
        for index in range(run.chunks_done, len(run.plan)):
            _chunk(run, index, categories, cutoffs)
            if after_chunk is not None:
                after_chunk(index)
        with transaction.atomic():
            last = date.fromisoformat(max(run.weeks))
            if run.plan:
                hot = services.hotspots_refresh(week=last)
            elif run.since_id is not None:  # incremental, nothing new: the week's hotspots stay
                hot = Hotspot.objects.filter(week_start=last).count()
            else:
                hot = 0
            _watermark(run)
            SafetyRun.objects.filter(pk=run.pk).update(hotspots=hot, state=SafetyRun.State.DONE,
                                                       finished_at=timezone.now())
            run.refresh_from_db()
            audit_write(AuditAction.UPDATE, actor=run.actor, object_type="safety_run", object_id=run.pk,
                        changes={"state": run.state, "weeks": run.weeks, "series": run.series_done,
                                 "warnings": run.warnings, "hotspots": hot,
                                 "include_discovered": run.include_discovered})
    except Exception as exc:
        SafetyRun.objects.filter(pk=run_id).exclude(state=SafetyRun.State.DONE).update(
            state=SafetyRun.State.FAILED, message=f"{type(exc).__name__}: {exc}"[:500], finished_at=timezone.now())
        raise
    return summary(run)


def summary(run: SafetyRun) -> dict:
    """What the worker prints and the API's run body is built from."""
    return {"run": run.pk, "state": run.state, "weeks": run.weeks, "chunks_done": run.chunks_done,
            "chunks_total": len(run.plan), "incremental": run.since_id is not None, "series_done": run.series_done, "series_total": run.series_total,
            "evaluated": run.evaluated, "warnings": run.warnings, "hotspots": run.hotspots}
