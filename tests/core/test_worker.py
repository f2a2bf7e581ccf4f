"""`gridgov worker`: the periodic schedule, the recovery of tasks whose worker died, and a real worker
process killed (SIGKILL) in the middle of an upload import."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest

from gridgov.core import worker

REPO = Path(__file__).resolve().parents[2]

# ----------------------------------------------------------------------------- recovery (in-process)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _claimed(worker_id: str, *, earlier: tuple[str, ...] = ()):
    """A task row claimed by ``worker_id`` (after ``earlier`` workers), as db_worker leaves it."""
    from django_tasks_db.models import DBTaskResult

    from gridgov.core.tasks import prune_task_results

    row = DBTaskResult.objects.get(pk=prune_task_results.enqueue().id)
    for wid in (*earlier, worker_id):
        row.claim(wid)
    return row


@pytest.mark.django_db
def test_tasks_of_a_vanished_worker_are_queued_again_then_failed(settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    settings.VAR_DIR = tmp_path
    host = worker.new_worker_id().split(":")[1]
    dead = f"gridgov:{host}:{_dead_pid()}:abcdef"
    alive = f"gridgov:{host}:{os.getpid()}:123456"
    worker.beat(alive)
    silent = "gridgov:another-host:4242:fedcba"  # another machine: only its heartbeat tells
    worker.beat(silent)
    old = time.time() - worker.LOST_AFTER_S - 5
    os.utime(tmp_path / "workers" / silent.replace(":", "_"), (old, old))
    beating = "gridgov:another-host:4343:0a0b0c"
    worker.beat(beating)
    foreign = "Xk2v9pQ1"  # a plain `manage db_worker`: never touched

    rows = {name: _claimed(wid) for name, wid in (("dead", dead), ("alive", alive), ("silent", silent),
                                                   ("beating", beating), ("foreign", foreign))}
    rows["third"] = _claimed(dead, earlier=("gridgov:h:1:aaaaaa", "gridgov:h:2:bbbbbb"))

    assert worker.recover_lost() == {"requeued": 2, "failed": 1}
    status = {name: DBTaskResult.objects.get(pk=row.pk).status for name, row in rows.items()}
    assert status == {"dead": "READY", "alive": "RUNNING", "silent": "READY", "beating": "RUNNING",
                      "foreign": "RUNNING", "third": "FAILED"}
    third = DBTaskResult.objects.get(pk=rows["third"].pk)
    assert third.exception_class_path == "gridgov.core.worker.WorkerLost" and "3 attempts" in third.traceback
    # queued again, the next claim is its second attempt
    again = DBTaskResult.objects.get(pk=rows["dead"].pk)
    again.claim("gridgov:h:3:cccccc")
    assert again.task_result.attempts == 2


@pytest.mark.django_db
def test_periodic_tasks_are_enqueued_when_due_and_not_twice():
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    names = {p.name: p for p in worker.schedule()}
    assert {n: p.every for n, p in names.items()} == {
        "cases escalation": 300, "care daily jobs": 86400, "safety weekly scan": 86400,
        "task results pruning": 86400, "sign-in sessions pruning": 3600, "grid locator file": 300,
        "public concern escalation": 300, "desk escalation": 300, "residence permit reminders and lapse": 86400,
        "inspections overdue sweep": 86400}
    assert sorted(worker.enqueue_due()) == sorted(names)
    assert worker.enqueue_due() == []  # all waiting: nothing more
    escalation = DBTaskResult.objects.get(task_path="gridgov.cases.tasks.escalate")
    escalation.claim("gridgov:h:1:aaaaaa")
    escalation.set_successful([])
    assert worker.enqueue_due() == []  # finished, but enqueued less than 5 minutes ago
    DBTaskResult.objects.filter(pk=escalation.pk).update(enqueued_at=timezone.now() - timedelta(seconds=301))
    assert worker.enqueue_due() == ["cases escalation"]
    assert DBTaskResult.objects.filter(task_path="gridgov.cases.tasks.escalate").count() == 2


# ----------------------------------------------------------------------------- a real worker, killed

_SETUP = textwrap.dedent("""
    import csv, io, json, sys
    from datetime import date, timedelta
    import django
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from gridgov.accounts import services
    from gridgov.core.idnumber import make_identity_number
    from gridgov.demo.geo import load_demo_city
    from gridgov.geo.models import Grid
    from gridgov.registry import jobs
    from gridgov.registry.services import house_register
    load_demo_city(scale="tiny", seed=1)
    grid = Grid.objects.order_by("code").values_list("code", flat=True).first()
    house = house_register(actor=None, data={"house_code": "H-1", "address": "测试路1号", "grid_code": grid})
    user = services.user_create(username="street", password="a-Long-passw0rd!")
    services.membership_grant(user=user, role_code="street_centre", jurisdiction=grid[:9], scope="capture")
    n = int(sys.argv[1])
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["公民身份号码", "姓名", "性别", "出生日期", "民族", "联系方式", "人口类型", "房屋编号", "入住日期"])
    for i in range(n):
        number = make_identity_number("320583", date(1940, 1, 1) + timedelta(days=i % 25000), 11 + 2 * (i // 25000))
        w.writerow([number, "测试人", "", "", "01", "13900000000", "02", "H-1", "2024-01-01"])
    job = jobs.import_job_start(actor=user, kind="persons", mode="all-or-nothing",
                                upload=SimpleUploadedFile("big.csv", out.getvalue().encode()), encoding=None)
    print(json.dumps({"job": job.pk, "user": user.pk, "state": job.state}))
""")

_PAGE = textwrap.dedent("""
    import sys
    import django
    django.setup()
    from django.test import Client
    from gridgov.accounts.models import User
    client = Client()
    user = User.objects.get(username="street")
    client.force_login(user)
    # a full sign-in, second factor included (what tests/conftest.py does for the suite's force_login)
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=user, name="test", confirmed=True).persistent_id
    session.save()
    response = client.get(f"/registry/import/{sys.argv[1]}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    sys.stdout.write(str(response.status_code) + "\\n" + response.content.decode())
""")


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "GRIDGOV"))}
    env.update({"DJANGO_SETTINGS_MODULE": "gridgov.settings", "GRIDGOV_VAR_DIR": str(tmp_path / "var"),
                "GRIDGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    return env


def _query(tmp_path: Path, sql: str, *params):
    with sqlite3.connect(tmp_path / "db.sqlite3", timeout=30) as db:
        return db.execute(sql, params).fetchall()


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def _worker(tmp_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gridgov.cli", "worker", "--tick", "1"], env=_env(tmp_path),
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_worker_killed_during_an_upload_import_leaves_a_failed_job(tmp_path):
    env = _env(tmp_path)
    setup = subprocess.run([sys.executable, "-c", _SETUP, "60000"], env=env, cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
    assert setup.returncode == 0, setup.stderr
    created = json.loads(setup.stdout.strip().splitlines()[-1])
    job = created["job"]
    assert created["state"] == "pending"  # the web process only enqueued it
    spooled = list((tmp_path / "var" / "imports").glob("upload-*.csv"))
    assert len(spooled) == 1  # the upload waits under VAR_DIR, where the worker reads it
    size = spooled[0].stat().st_size

    first = _worker(tmp_path)
    progress = tmp_path / "var" / "imports" / f"job-{job}.json"

    def midway():
        try:
            data = json.loads(progress.read_text())
        except (OSError, ValueError):
            return None
        return data if 0 < data["done"] < data["total"] else None

    try:
        seen = _wait(midway, 300, "the import to be under way")
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    assert seen["total"] == size  # bytes of the upload read, inside the import's one transaction
    assert _query(tmp_path, "SELECT state FROM registry_importjob WHERE id = ?", job) == [("running",)]
    assert _query(tmp_path, "SELECT status FROM django_tasks_database_dbtaskresult "
                            "WHERE task_path = 'gridgov.registry.tasks.import_run'") == [("RUNNING",)]  # stuck

    second = _worker(tmp_path)
    try:
        _wait(lambda: _query(tmp_path, "SELECT state FROM registry_importjob WHERE id = ? AND state != 'running'",
                             job), 300, "the job to leave 'running'")
    finally:
        second.send_signal(signal.SIGTERM)
        out, _ = second.communicate(timeout=60)
    assert second.returncode == 0, out
    ((state, message),) = _query(tmp_path, "SELECT state, message FROM registry_importjob WHERE id = ?", job)
    assert state == "failed"
    assert message == "本次导入未完成即中断（运行它的服务器进程已结束），未写入任何数据，请重新导入。"
    assert _query(tmp_path, "SELECT count(*) FROM registry_person") == [(0,)]  # the transaction rolled back
    ((worker_ids, status),) = _query(tmp_path, "SELECT worker_ids, status FROM django_tasks_database_dbtaskresult "
                                               "WHERE task_path = 'gridgov.registry.tasks.import_run'")
    assert status == "SUCCESSFUL" and len(json.loads(worker_ids)) == 2  # the second attempt reported it
    assert not list((tmp_path / "var" / "imports").iterdir())  # upload and progress file removed

    page = subprocess.run([sys.executable, "-c", _PAGE, str(job)], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert page.returncode == 0, page.stderr
    status_code, html = page.stdout.split("\n", 1)
    assert status_code == "200"
    assert 'data-state="failed"' in html
    assert "本次导入未完成即中断（运行它的服务器进程已结束），未写入任何数据，请重新导入。" in html
