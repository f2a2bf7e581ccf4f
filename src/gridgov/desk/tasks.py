"""Background tasks of the desk (run by `gridgov worker`): escalation of overdue requests and of
overdue public-concern statements, residence permit renewal reminders (30 days before expiry) and lapse."""

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


@periodic(every=300, name="desk escalation")
@task()
def escalate() -> int:
    """Open requests past their promised completion are escalated (every 5 minutes)."""
    from gridgov.desk import services

    with task_context():
        return services.requests_escalate()


@periodic(every=24 * 3600, name="residence permit reminders and lapse")
@task()
def permits_daily() -> dict:
    """Raise renewal reminders 30 days before expiry, then let expired permits lapse (daily)."""
    from gridgov.desk import services

    with task_context():
        return {"reminders": services.permit_reminders_raise(), "lapsed": services.permits_lapse()}
