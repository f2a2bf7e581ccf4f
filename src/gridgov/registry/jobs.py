"""Import jobs started from the upload page.

The upload is spooled under ``VAR_DIR/imports/`` (where the worker process reads it), the job row is
created and the import is enqueued as a background task (``registry.tasks.import_run``), which
`gridgov worker` runs; the job row records the outcome. Nothing runs in the web process.

Progress is a small JSON file per running job under ``VAR_DIR/imports/`` (replaced atomically at most
every 0.25 s), so the poll of the job page sees it whichever web process answers — the database
cannot carry it: the import's one transaction holds SQLite's write lock until the end.

A worker killed during an import (SIGKILL, out of memory): the database rolls the import's one
transaction back, so nothing is written; the next worker finds the task of the vanished worker
(core.worker) and runs it again, and this second attempt marks the job failed with a message
saying so (a crash is reported, not repeated). A job no worker ever picks up again shows as
interrupted after ``STALE_AFTER_S`` (``import_job_progress``)."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from gridgov.registry import imports
from gridgov.registry.models import ImportJob

#: A running job whose progress file is older than this is taken as interrupted (its process died).
STALE_AFTER_S = 600
_WRITE_EVERY_S = 0.25
_ACTIVE = (ImportJob.State.PENDING, ImportJob.State.RUNNING)


def _spool_dir() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def _progress_path(job_id: int) -> Path:
    return _spool_dir() / f"job-{int(job_id)}.json"


def _write_progress(job_id: int, done: int, total: int) -> None:
    path = _progress_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps({"done": done, "total": total}))
    os.replace(tmp, path)


def _remove(*paths: Path) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


def import_job_start(*, actor, kind: str, mode: str, upload, encoding: str | None,
                     language: str | None = None) -> ImportJob:
    """Spool ``upload`` (a Django UploadedFile) under VAR_DIR and enqueue its import. The report's
    reasons are written in ``language`` (default: the active one, i.e. the uploader's)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    from gridgov.registry.tasks import import_run

    suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
    _spool_dir().mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="upload-", dir=_spool_dir())
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    from gridgov.registry import imports

    try:
        imports.check_file(path, upload.name)  # an .xlsx zip bomb is refused (413) before it is queued
    except imports.ImportRefused:
        _remove(Path(path))
        raise
    job = ImportJob.objects.create(kind=kind, mode=mode, filename=upload.name[:200], actor=actor)
    try:
        import_run.enqueue(job_id=job.pk, spool=os.path.basename(path), encoding=encoding, language=language)
    except Exception as exc:
        _remove(Path(path))
        ImportJob.objects.filter(pk=job.pk, state__in=_ACTIVE).update(
            state=ImportJob.State.FAILED, message=str(exc)[:500], finished_at=timezone.now())
        raise
    job.refresh_from_db()  # a backend that runs tasks at once (tests) has finished it
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
    interrupted = job.state in _ACTIVE and (age or 0) > STALE_AFTER_S
    return int(data.get("done", 0)), int(data.get("total", 0)), interrupted


def import_job_run(*, job_id: int, spool: str, encoding: str | None, attempt: int = 1,
                   language: str | None = None) -> dict:
    """The body of the import task. ``attempt`` > 1: the worker of the first attempt died during the
    import (nothing was written): the job is marked failed, the upload removed."""
    path = _spool_dir() / Path(spool).name
    try:
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None or job.state not in _ACTIVE:
            return {"job": job_id, "state": job.state if job else "missing"}
        if attempt > 1:
            with translation.override(settings.LANGUAGE_CODE):
                message = gettext("This import stopped without finishing (the server process that ran it "
                                  "ended). Nothing was written; start it again.")
            ImportJob.objects.filter(pk=job_id, state__in=_ACTIVE).update(
                state=ImportJob.State.FAILED, message=message, finished_at=timezone.now())
            return {"job": job_id, "state": ImportJob.State.FAILED.value, "attempt": attempt}
        with translation.override(language or settings.LANGUAGE_CODE):
            return _run(job, path, encoding)
    finally:
        _remove(path, _progress_path(job_id))


def _run(job: ImportJob, path: Path, encoding: str | None) -> dict:
    job_id = job.pk
    ImportJob.objects.filter(pk=job_id).update(state=ImportJob.State.RUNNING)
    last = [0.0]

    def progress(stage, done, total):
        now = time.monotonic()
        if now - last[0] >= _WRITE_EVERY_S or (total and done >= total):
            last[0] = now
            _write_progress(job_id, done, total)

    try:
        result = imports.import_file(kind=job.kind, path=str(path), actor=job.actor, mode=job.mode,
                                     encoding=encoding, filename=job.filename, progress=progress)
    except Exception as exc:  # the job row says what went wrong; the page shows it
        ImportJob.objects.filter(pk=job_id).update(state=ImportJob.State.FAILED, message=str(exc)[:500],
                                                   finished_at=timezone.now())
        return {"job": job_id, "state": ImportJob.State.FAILED.value}
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportJob.State.DONE, total_rows=result.rows, created=result.created, updated=result.updated,
        unchanged=result.unchanged, rejected=result.rejected, written=result.written, encoding=result.encoding,
        report=[d.as_dict() for d in result.details], finished_at=timezone.now())
    return {"job": job_id, "state": ImportJob.State.DONE.value, "rows": result.rows, "rejected": result.rejected}
