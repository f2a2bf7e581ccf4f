"""Background tasks of core: keeping the task table small."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from gridgov.core.worker import periodic

#: finished task results are kept this long (the schedule reads the latest of each periodic task)
KEEP_RESULTS_DAYS = 30


@periodic(every=24 * 3600, name="task results pruning")
@task()
def prune_task_results() -> dict:
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=KEEP_RESULTS_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return {"deleted": deleted}
