"""`gridgov worker`: django-tasks-db's task worker (``db_worker``), the periodic schedule, and the
recovery of tasks whose worker died.

* Background tasks are django-tasks ``@task`` functions in each app's ``tasks.py``; the web process
  only enqueues them (a row in the database), a worker process runs them. Nothing runs in a thread
  of a web process.
* Periodic tasks say so where they are defined: ``@periodic(every=300, name="cases escalation")``
  above the ``@task``. The worker imports every app's ``tasks`` module (``autodiscover_modules``) and
  enqueues a periodic task when none of it is waiting or running and the last one was enqueued at
  least its period ago; the database remembers that across restarts.
* Heartbeat: each worker process touches ``VAR_DIR/workers/<worker id>`` every 5 s (a thread of
  the worker process). A task left ``RUNNING`` by a worker that is gone (its process is dead on this
  host, or its heartbeat is older than 60 s) goes back to the queue, at most 3 attempts in all,
  then it is marked failed (``WorkerLost``). The worker checks at start and at every schedule tick.
  A task reads ``context.task_result.attempts`` to decide what a second attempt means (the upload
  import reports the crash instead of repeating it). Tasks claimed by workers not started through
  `gridgov worker` (another id format) are left alone.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks.signals import task_finished

from gridgov.core import context

log = logging.getLogger("gridgov.worker")

HEARTBEAT_EVERY_S = 5
LOST_AFTER_S = 60
MAX_ATTEMPTS = 3
_ID = re.compile(r"^gridgov:(?P<host>[A-Za-z0-9._-]{1,40}):(?P<pid>\d{1,10}):[0-9a-f]{6}$")


class WorkerLost(Exception):
    """The worker running a task stopped (killed, out of memory, machine down) before it finished."""


# ----------------------------------------------------------------------------- periodic tasks

@dataclass(frozen=True)
class Periodic:
    name: str
    task: Task
    every: int  # seconds


_PERIODIC: dict[str, Periodic] = {}


def periodic(*, every: int, name: str) -> Callable[[Task], Task]:
    """Register a django-tasks ``Task`` (the decorator goes above ``@task()``) to run every
    ``every`` seconds under `gridgov worker`."""
    def register(task: Task) -> Task:
        _PERIODIC[task.module_path] = Periodic(name=name, task=task, every=int(every))
        return task
    return register


def schedule() -> list[Periodic]:
    """Every periodic task of the installed apps."""
    autodiscover_modules("tasks")
    return sorted(_PERIODIC.values(), key=lambda p: p.name)


def enqueue_due(*, ignore_period: bool = False) -> list[str]:
    """Enqueue the periodic tasks that are due (``ignore_period``: every one not already waiting or
    running). Returns their names."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    out = []
    for p in schedule():
        last = (DBTaskResult.objects.filter(task_path=p.task.module_path, backend_name=p.task.backend)
                .order_by("-enqueued_at").only("status", "enqueued_at").first())
        if last is not None:
            if last.status in (TaskResultStatus.READY, TaskResultStatus.RUNNING):
                continue
            if not ignore_period and (now - last.enqueued_at).total_seconds() < p.every:
                continue
        p.task.enqueue()
        out.append(p.name)
    return out


def task_context():
    """The request context of one background task run (channel ``worker``) for its audit rows."""
    return context.bind(request_id=f"worker-{os.getpid()}-{uuid.uuid4().hex[:12]}", channel="worker")


# ----------------------------------------------------------------------------- heartbeat, recovery

def _host() -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:40] or "host"


def new_worker_id() -> str:
    return f"gridgov:{_host()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _heartbeat_path(worker_id: str) -> Path:
    return Path(settings.VAR_DIR) / "workers" / worker_id.replace(":", "_")


def beat(worker_id: str) -> None:
    path = _heartbeat_path(worker_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "host": _host()}))
    os.replace(tmp, path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_lost(worker_id: str) -> bool:
    """Whether the `gridgov worker` process ``worker_id`` is gone. Ids of other workers: never."""
    match = _ID.match(worker_id or "")
    if match is None:
        return False
    if match["host"] == _host() and not _pid_alive(int(match["pid"])):
        return True
    try:
        age = time.time() - _heartbeat_path(worker_id).stat().st_mtime
    except OSError:
        return True
    return age > LOST_AFTER_S


def recover_lost() -> dict[str, int]:
    """Put the tasks of vanished workers back in the queue (or fail them after MAX_ATTEMPTS)."""
    from django_tasks_db.models import DBTaskResult

    requeued = failed = 0
    for result in DBTaskResult.objects.running():
        worker_id = result.worker_ids[-1] if result.worker_ids else ""
        if not is_lost(worker_id):
            continue
        if len(result.worker_ids) < MAX_ATTEMPTS:
            requeued += DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY)
        else:
            result.set_failed(WorkerLost(f"worker {worker_id} stopped while running this task "
                                         f"({len(result.worker_ids)} attempts)"))
            failed += 1
        log.warning("task %s (%s): worker %s is gone; %s", result.pk, result.task_path, worker_id,
                    "failed" if len(result.worker_ids) >= MAX_ATTEMPTS else "queued again")
    return {"requeued": requeued, "failed": failed}


class _Heartbeat(threading.Thread):
    def __init__(self, worker_id: str):
        super().__init__(name="gridgov-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(HEARTBEAT_EVERY_S):
            try:
                beat(self.worker_id)
            except OSError as exc:  # keep beating; a full disk is reported, not fatal
                log.warning("heartbeat: %s", exc)

    def stop(self) -> None:
        self.stopped.set()
        try:
            _heartbeat_path(self.worker_id).unlink()
        except OSError:
            pass


def _schedule_loop(tick: int, stopped: threading.Event) -> None:
    """The schedule thread of the worker process: enqueue due tasks, recover lost ones."""
    try:
        while True:
            try:
                with context.bind(channel="worker"):
                    recover_lost()
                    enqueue_due()
            except DatabaseError as exc:  # SQLite: an import holds the write lock; try next tick
                log.warning("schedule: %s", exc)
            finally:
                close_old_connections()
            if stopped.wait(tick):
                return
    finally:
        connection.close()


def _shown(value) -> object:
    if isinstance(value, dict):
        return value
    return len(value) if hasattr(value, "__len__") and not isinstance(value, str) else value


def run(*, once: bool, tick: int = 60, stdout, verbosity: int = 1) -> int:
    """Run the worker until stopped (SIGTERM/SIGINT: the running task finishes first). ``once``:
    enqueue every periodic task, run everything queued, exit (1 if a task failed)."""
    worker_id = new_worker_id()
    names = {p.task.module_path: p.name for p in schedule()}
    failures: list[str] = []

    def report(sender, task_result, **kwargs) -> None:
        name = names.get(task_result.task.module_path, task_result.task.name)
        if task_result.status == TaskResultStatus.SUCCESSFUL:
            shown = _shown(task_result.return_value)
        else:
            failures.append(name)
            error = task_result.errors[-1].exception_class_path if task_result.errors else "?"
            shown = f"failed ({error})"
        stdout.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {name}: {shown}")
        stdout.flush()

    task_finished.connect(report, weak=False, dispatch_uid=worker_id)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    beat(worker_id)
    heartbeat = _Heartbeat(worker_id)
    heartbeat.start()
    stopped = threading.Event()
    try:
        with context.bind(channel="worker"):
            recover_lost()
        if once:
            enqueue_due(ignore_period=True)
            call_command("db_worker", batch=True, worker_id=worker_id, startup_delay=False, reload=False,
                         interval=0, verbosity=0)
            return 1 if failures else 0
        threading.Thread(target=_schedule_loop, args=(tick, stopped), name="gridgov-schedule", daemon=True).start()
        stdout.write(f"worker {worker_id}: {len(names)} periodic task(s); Ctrl-C to stop")
        stdout.flush()
        call_command("db_worker", worker_id=worker_id, startup_delay=False, reload=False, interval=1,
                     verbosity=verbosity)
        return 0
    finally:
        stopped.set()
        heartbeat.stop()
        task_finished.disconnect(dispatch_uid=worker_id)
        # db_worker installs its own handlers (graceful stop); give the caller its own back
        for sig, handler in handlers.items():
            if handler is not None:
                signal.signal(sig, handler)
