"""Background tasks of the public-safety module (run by `gridgov worker`)."""

from __future__ import annotations

from django_tasks import task

from gridgov.core.worker import periodic, task_context


@periodic(every=24 * 3600, name="safety weekly scan")
@task()
def weekly_scan() -> dict:
    """Warnings and hotspots for the last complete week (daily: the week is re-evaluated until it is
    complete; idempotent)."""
    from gridgov.safety import services

    with task_context():
        return services.scan_run()
