"""Background task of a reconciliation: the Splink linkage runs in `gridgov worker`, never in a web
process; the page polls the reconciliation's progress (stored on its row, updated between stages)."""

from __future__ import annotations

from django_tasks import task

from gridgov.core.worker import task_context
from gridgov.quality import reconcile_services


@task()
def reconcile_run(*, reconciliation_id: int, spool: str) -> dict:
    with task_context():
        return reconcile_services.reconciliation_run(reconciliation_id=reconciliation_id, spool=spool)
