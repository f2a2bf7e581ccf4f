"""Background tasks of geography: the grid locator's file (geo/locator_store.py)."""

from __future__ import annotations

from django_tasks import task

from gridgov.core.worker import periodic, task_context


@periodic(every=300, name="grid locator file")
@task()
def locator_build() -> dict:
    """Build and publish the locator of the current grid version if it has no file yet: enqueued
    after every grid write, and by the schedule (so also soon after a worker starts). Cheap when
    the file exists (one query and a stat)."""
    from gridgov.geo import locator_store

    with task_context():
        return locator_store.locator_build()
