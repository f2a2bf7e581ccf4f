"""Background tasks of the desk module (run by `gridgov worker`)."""

from __future__ import annotations

from django_tasks import task

from gridgov.core.worker import periodic, task_context


@periodic(every=300, name="public concern escalation")
@task()
def concerns_escalate() -> list[int]:
    """Mark public concerns whose next statement is overdue as escalated (every 5 minutes)."""
    from gridgov.desk import concern_services

    with task_context():
        return concern_services.concerns_escalate()
