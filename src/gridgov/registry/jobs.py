"""Import jobs started from the upload page: the file is spooled to a temporary file, the job row
records the outcome, and progress is kept in memory of the process that runs it (no task queue
yet: the job runs in a thread of the web process, or inline when GRIDGOV_IMPORT_INLINE is set)."""

from __future__ import annotations

import os
import tempfile
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from gridgov.registry import imports
from gridgov.registry.models import ImportJob

_PROGRESS: dict[int, tuple[int, int]] = {}


def import_job_start(*, actor, kind: str, mode: str, upload, encoding: str | None) -> ImportJob:
    """Spool ``upload`` (a Django UploadedFile) and run the import, inline or in a thread."""
    suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="gridgov-import-")
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    job = ImportJob.objects.create(kind=kind, mode=mode, filename=upload.name[:200], actor=actor)
    if getattr(settings, "GRIDGOV_IMPORT_INLINE", False):
        _run(job.pk, path, encoding, inline=True)
    else:
        threading.Thread(target=_thread_main, args=(job.pk, path, encoding), daemon=True).start()
    return job


def import_job_progress(job: ImportJob) -> tuple[int, int]:
    """(rows done, rows in all) while the job runs in this process; (0, 0) otherwise."""
    return _PROGRESS.get(job.pk, (0, 0))


def _run(job_id: int, path: str, encoding: str | None, inline: bool) -> None:
    job = ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(state=ImportJob.State.RUNNING)

    def progress(stage, done, total):
        _PROGRESS[job_id] = (done, total)

    try:
        result = imports.import_file(kind=job.kind, path=path, actor=job.actor, mode=job.mode, encoding=encoding,
                                     filename=job.filename, progress=progress)
        ImportJob.objects.filter(pk=job_id).update(
            state=ImportJob.State.DONE, total_rows=result.rows, created=result.created, updated=result.updated,
            unchanged=result.unchanged, rejected=result.rejected, written=result.written, encoding=result.encoding,
            report=[d.as_dict() for d in result.details], finished_at=timezone.now())
    except Exception as exc:  # the job row says what went wrong; the page shows it
        ImportJob.objects.filter(pk=job_id).update(state=ImportJob.State.FAILED, message=str(exc)[:500],
                                                   finished_at=timezone.now())
    finally:
        _PROGRESS.pop(job_id, None)
        try:
            os.unlink(path)
        except OSError:
            pass
        if not inline:
            connection.close()


def _thread_main(job_id, path, encoding):
    close_old_connections()
    _run(job_id, path, encoding, inline=False)
