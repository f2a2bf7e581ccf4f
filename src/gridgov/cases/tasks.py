"""Background tasks of the events module (run by `gridgov worker`)."""

from __future__ import annotations

from django_tasks import task

from gridgov.core.worker import periodic, task_context


@periodic(every=300, name="cases escalation")
@task()
def escalate() -> list[int]:
    """Raise overdue cases to the supervising level (every 5 minutes)."""
    from gridgov.cases import services

    with task_context():
        return list(services.cases_escalate())
