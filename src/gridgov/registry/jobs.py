"""Import jobs started from the upload page: the file is spooled to a temporary file, the job row
records the outcome (no task queue yet: the job runs in a thread of the web process, or inline when
GRIDGOV_IMPORT_INLINE is set).

Progress is a small JSON file per running job under ``VAR_DIR/imports/`` (replaced atomically at most
every 0.25 s), so the poll of the job page sees it whichever worker process of the host answers —
the database cannot carry it: the import's one transaction holds SQLite's write lock until the end.
A job left ``running`` by a process that died shows as interrupted (``import_job_progress``)."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from gridgov.registry import imports
from gridgov.registry.models import ImportJob

#: A running job whose progress file is older than this is taken as interrupted (its process died).
STALE_AFTER_S = 600
_WRITE_EVERY_S = 0.25


def _progress_path(job_id: int) -> Path:
    return Path(settings.VAR_DIR) / "imports" / f"job-{int(job_id)}.json"


def _write_progress(job_id: int, done: int, total: int) -> None:
    path = _progress_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps({"done": done, "total": total}))
    os.replace(tmp, path)


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


def import_job_progress(job: ImportJob) -> tuple[int, int, bool]:
    """(rows done, rows in all, interrupted) of a job; (0, 0, False) before the first batch."""
    path = _progress_path(job.pk)
    try:
        data = json.loads(path.read_text())
        age = time.time() - path.stat().st_mtime
    except (OSError, ValueError):
        data, age = {"done": 0, "total": 0}, None
    if age is None and job.created_at:
        age = (timezone.now() - job.created_at).total_seconds()
    interrupted = job.state in (ImportJob.State.PENDING, ImportJob.State.RUNNING) and (age or 0) > STALE_AFTER_S
    return int(data.get("done", 0)), int(data.get("total", 0)), interrupted


def _run(job_id: int, path: str, encoding: str | None, inline: bool) -> None:
    job = ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(state=ImportJob.State.RUNNING)

    last = [0.0]

    def progress(stage, done, total):
        now = time.monotonic()
        if now - last[0] >= _WRITE_EVERY_S or (total and done >= total):
            last[0] = now
            _write_progress(job_id, done, total)

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
        for leftover in (path, _progress_path(job_id)):
            try:
                os.unlink(leftover)
            except OSError:
                pass
        if not inline:
            connection.close()


def _thread_main(job_id, path, encoding):
    close_old_connections()
    _run(job_id, path, encoding, inline=False)
