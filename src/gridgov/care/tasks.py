"""Background tasks of the care module (run by `gridgov worker`)."""

from __future__ import annotations

from django_tasks import task

from gridgov.core.worker import periodic, task_context


@periodic(every=24 * 3600, name="care daily jobs")
@task()
def daily_jobs() -> dict:
    """漏管 from missed report-ins, overdue contacts and 脱管, de-identification (daily)."""
    from gridgov.care import services

    with task_context():
        return services.system_jobs()
