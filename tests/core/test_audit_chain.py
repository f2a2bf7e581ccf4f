"""Issue 15, finding 6: audit rows can be neither updated nor deleted with raw SQL (triggers on SQLite
and PostgreSQL), and each row carries the SHA-256 of its content and of the previous row's hash;
``gridgov audit verify`` reports the first broken link and exits 1. Tampering is tested by dropping
the triggers (as a database owner could), editing or deleting a row, and verifying."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from gridgov import cli
from gridgov.core.audit import audit_write
from gridgov.core.models import AuditEvent
from tests.cases.conftest import threaded_db  # noqa: F401  (the fixture: threads with their own connections)

GENESIS = "0" * 64


def _oracle_hash(prev: str, row: dict) -> str:
    """The documented canonical form (docs/deployment.md), computed here independently."""
    def num(v):
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: num(x) for k, x in v.items()}
        if isinstance(v, list):
            return [num(x) for x in v]
        return v

    fields = [row["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), row["actor_id"], row["actor_username"],
              row["role"], row["jurisdiction"], row["action"], row["object_type"], row["object_id"], row["outcome"],
              row["reason"], num(row["changes"]), row["request_id"], row["ip"] or "", row["channel"]]
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev + "\n" + text).encode("utf-8")).hexdigest()


def _write(n: int) -> list[AuditEvent]:
    return [audit_write("READ", object_type="person", object_id=i, reason=f"第{i}次 查看",
                        changes={"b": [1, 2.5, "x"], "a": {"z": None, "y": True}, "n": 3.0})
            for i in range(n)]


@pytest.mark.django_db
def test_each_row_links_to_the_previous_one():
    events = _write(4)
    rows = list(AuditEvent.objects.order_by("id").values())
    assert len(rows) == 4
    prev = rows[0]["prev_hash"]
    assert prev == GENESIS
    for row in rows:
        assert row["prev_hash"] == prev
        assert row["row_hash"] == _oracle_hash(prev, row)
        prev = row["row_hash"]
    assert [e.row_hash for e in events] == [r["row_hash"] for r in rows]


@pytest.mark.django_db
@pytest.mark.parametrize("sql", ["DELETE FROM core_auditevent WHERE id = %s", "DELETE FROM core_auditevent"])
def test_raw_delete_is_refused(sql):
    event = _write(2)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk] if "%s" in sql else None)
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_truncate_is_refused_on_postgresql():
    _write(1)
    if connection.vendor == "sqlite":  # SQLite has no TRUNCATE: its "DELETE FROM t" is refused above
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent")
    else:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE core_auditevent")
    assert AuditEvent.objects.count() == 1


def _drop_triggers():
    """What a database owner could do (rolled back with the test's transaction)."""
    on = " ON core_auditevent" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for name in ("core_auditevent_no_update", "core_auditevent_no_delete"):
            cursor.execute(f"DROP TRIGGER {name}{on}")


def _verify(capsys):
    code = cli.main(["audit", "verify"])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.django_db
def test_verify_passes_on_an_untouched_chain(capsys):
    _write(5)
    code, out, err = _verify(capsys)
    assert code == 0, err
    assert "审计链完整：共 5 行" in out  # the default language, zh-hans


@pytest.mark.django_db
def test_verify_finds_an_edited_row(capsys):
    events = _write(5)
    _drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET reason = 'nothing to see' WHERE id = %s", [events[2].pk])
    code, out, err = _verify(capsys)
    assert code == 1
    assert f"审计链在第 {events[2].pk} 行断开" in err and "其内容与哈希不符" in err


@pytest.mark.django_db
def test_verify_finds_a_deleted_row(capsys):
    events = _write(5)
    _drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    code, out, err = _verify(capsys)
    assert code == 1
    assert f"审计链在第 {events[2].pk} 行断开" in err and "与前一行不符" in err


@pytest.mark.django_db
def test_verify_finds_a_rehashed_row_by_its_successor(capsys):
    """An attacker who edits a row and recomputes its own hash still breaks the next link."""
    events = _write(4)
    _drop_triggers()
    row = AuditEvent.objects.filter(pk=events[1].pk).values().get()
    row["reason"] = "edited"
    new_hash = _oracle_hash(row["prev_hash"], row)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET reason = %s, row_hash = %s WHERE id = %s",
                       ["edited", new_hash, events[1].pk])
    code, _, err = _verify(capsys)
    assert code == 1 and f"审计链在第 {events[2].pk} 行断开" in err


@pytest.mark.django_db
def test_flush_may_still_empty_the_table():
    """``manage flush`` (and the test runner's) is the one sanctioned deleter."""
    _write(2)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        audit_write("READ", object_type="x")
        cursor.execute("DELETE FROM core_auditevent")


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_the_rows_already_there(capsys):
    """Rows written before the chain existed get it from the migration, in id order."""
    from datetime import datetime

    call_command("migrate", "core", "0002", verbosity=0)
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    with connection.cursor() as cursor:
        for i in range(3):
            cursor.execute(
                "INSERT INTO core_auditevent (at, actor_id, actor_username, role, jurisdiction, action, object_type, "
                "object_id, outcome, reason, changes, request_id, ip, channel) "
                "VALUES (%s, NULL, 'old', '', '310101', 'READ', 'person', %s, 'success', '旧', %s, 'r1', %s, 'web')",
                [at, str(i), json.dumps({"k": i}), "10.0.0.1" if i else None])
    call_command("migrate", "core", verbosity=0)
    rows = list(AuditEvent.objects.order_by("id").values())
    assert len(rows) == 3
    prev = GENESIS
    for row in rows:
        assert (row["prev_hash"], row["row_hash"]) == (prev, _oracle_hash(prev, row))
        prev = row["row_hash"]
    audit_write("READ", object_type="after")  # the chain goes on from the migrated rows
    code, out, _ = _verify(capsys)
    assert code == 0 and "共 4 行" in out
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent")  # the triggers are back


@pytest.mark.usefixtures("threaded_db")
def test_concurrent_writers_keep_one_chain(capsys):
    """20 threads writing audit rows at once (each its own connection and transaction, which
    goes on after the audit row): the chain is one unbroken line."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    n = 20
    barrier = threading.Barrier(n)

    def writer(i):
        try:
            barrier.wait(timeout=60)
            with transaction.atomic():
                audit_write("READ", object_type="thread", object_id=i)
                audit_write("UPDATE", object_type="thread", object_id=i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(writer, range(n)))
    assert AuditEvent.objects.count() == 2 * n
    code, out, err = _verify(capsys)
    assert code == 0, err
    assert f"共 {2 * n} 行" in out
