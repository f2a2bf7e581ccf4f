"""Background tasks of the public-safety module (run by `gridgov worker`)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from gridgov.core.worker import periodic, task_context


@task()
def run_execute(*, run_id: int) -> dict:
    """One detection run (safety/runs.py), chunk after chunk; a second attempt (the first worker
    died) resumes after the last committed chunk."""
    from gridgov.safety import runs

    with task_context():
        return runs.safety_run_execute(run_id=run_id)


@periodic(every=24 * 3600, name="safety weekly scan")
@task()
def weekly_scan() -> dict:
    """Warnings and hotspots for the last complete week (daily: the week is re-evaluated until it is
    complete; idempotent), as a chunked, incremental run (only the series with incidents recorded
    since the last run of that week; the first run of a week evaluates every series); an unfinished run of the schedule for that week (its
    worker died) is continued instead of started again."""
    from gridgov.safety import runs, services
    from gridgov.safety.models import SafetyRun

    with task_context():
        last = services.week_of(timezone.localdate()) - timedelta(weeks=1)
        unfinished = SafetyRun.objects.filter(actor=None, state__in=[SafetyRun.State.PENDING,
                                                                     SafetyRun.State.RUNNING]).order_by("-created_at")
        run = next((r for r in unfinished[:10] if r.weeks == [last.isoformat()]), None)
        if run is None:
            run = runs.safety_run_start(actor=None, weeks=[last], enqueue=False, incremental=True)
        return runs.safety_run_execute(run_id=run.pk)
