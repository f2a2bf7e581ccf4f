"""Background tasks of the register: the upload-page import (registry.jobs)."""

from __future__ import annotations

from django_tasks import TaskContext, task

from gridgov.core.worker import task_context
from gridgov.registry import jobs


@task(takes_context=True)
def import_run(context: TaskContext, *, job_id: int, spool: str, encoding: str | None = None,
               language: str | None = None) -> dict:
    """Import the spooled upload of ``job_id`` (its name under ``VAR_DIR/imports/``); the report in
    ``language`` (the uploader's)."""
    with task_context():
        return jobs.import_job_run(job_id=job_id, spool=spool, encoding=encoding,
                                   attempt=context.task_result.attempts, language=language)
