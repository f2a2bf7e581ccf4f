"""Background tasks of the prevention networks (run by `gridgov worker`)."""

from __future__ import annotations

from django_tasks import task

from gridgov.core.worker import periodic, task_context


@periodic(every=86400, name="inspections overdue sweep")
@task()
def inspections_expire() -> int:
    """Mark the venue rectifications past their deadline overdue (daily)."""
    from gridgov.prevention import services

    with task_context():
        return services.inspections_expire()
