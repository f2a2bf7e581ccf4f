"""DATABASE-SPECIFIC SQL lives here and only here (DESIGN.md: "a marked adapter").

Triggers that make the audit table append-only at the database level (UPDATE and DELETE on both
databases, TRUNCATE on PostgreSQL), so that neither the ORM, raw SQL nor a QuerySet.update() can
rewrite or erase history; the ORM refuses too (model and queryset). The one sanctioned deleter is
``manage flush`` (tests; core's ``flush`` command runs inside ``audit_maintenance``). The lock that
serialises writers of the audit hash chain (``audit_chain_head``) is here too.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

AUDIT_TABLE = "core_auditevent"
AUDIT_CHAIN_LOCK = 0x67726964  # the advisory lock key of the audit hash chain ("grid")
SQLITE_DELETE_PERMIT = "gridgov_audit_delete_permitted"

_SQL = {
    "sqlite": {
        # DELETE calls a function that only gridgov's own connections define (core/apps.py registers
        # it on every new connection): it answers 1 inside ``audit_maintenance`` (flush), else 0. Any
        # other client (the sqlite3 shell) fails on the unknown function: refused as well.
        "install": [
            f"CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE} "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
            f"CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_delete BEFORE DELETE ON {AUDIT_TABLE} "
            f"WHEN {SQLITE_DELETE_PERMIT}() = 0 "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
        ],
        "remove": [f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_update;",
                   f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_delete;"],
    },
    "postgresql": {
        # DELETE and TRUNCATE pass only with the session setting gridgov.audit_maintenance = 'on'
        # (``audit_maintenance``: flush). Production: a role without DELETE/TRUNCATE on the table
        # (docs/deployment.md), so not even that is possible for the application.
        "install": [
            "CREATE OR REPLACE FUNCTION gridgov_audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;",
            "CREATE OR REPLACE FUNCTION gridgov_audit_no_delete() RETURNS trigger AS $$ "
            "BEGIN IF current_setting('gridgov.audit_maintenance', true) = 'on' THEN RETURN OLD; END IF; "
            "RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;",
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_update ON {AUDIT_TABLE};",
            f"CREATE TRIGGER {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION gridgov_audit_append_only();",
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_delete ON {AUDIT_TABLE};",
            f"CREATE TRIGGER {AUDIT_TABLE}_no_delete BEFORE DELETE ON {AUDIT_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION gridgov_audit_no_delete();",
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_truncate ON {AUDIT_TABLE};",
            f"CREATE TRIGGER {AUDIT_TABLE}_no_truncate BEFORE TRUNCATE ON {AUDIT_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION gridgov_audit_no_delete();",
        ],
        "remove": [
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_update ON {AUDIT_TABLE};",
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_delete ON {AUDIT_TABLE};",
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_truncate ON {AUDIT_TABLE};",
            "DROP FUNCTION IF EXISTS gridgov_audit_append_only();",
            "DROP FUNCTION IF EXISTS gridgov_audit_no_delete();",
        ],
    },
}

_maintenance = threading.local()


def sqlite_register_functions(connection) -> None:
    """On each new SQLite connection (``connection_created``): the function the DELETE trigger asks."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_DELETE_PERMIT, 0,
                                              lambda: 1 if getattr(_maintenance, "on", False) else 0)


@contextmanager
def audit_maintenance(connection):
    """Audit rows may be deleted inside this block, on this connection only (``flush``)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('gridgov.audit_maintenance', 'on', false)")
    _maintenance.on = True
    try:
        yield
    finally:
        _maintenance.on = False
        if connection.vendor == "postgresql" and connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('gridgov.audit_maintenance', 'off', false)")


def audit_chain_head(connection) -> str | None:
    """Take the chain lock (to the end of the current transaction) and return the newest audit
    row's hash (None for an empty table). PostgreSQL: a transaction-level advisory lock. SQLite:
    no lock to take, its IMMEDIATE transactions (settings) hold the write lock from BEGIN. Plain
    SQL rather than the ORM: building the query cost more than running it (0.4 ms a row)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK])
        cursor.execute(f"SELECT row_hash FROM {AUDIT_TABLE} ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
    return row[0] if row else None


def _run(schema_editor, which: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in _SQL:
        raise RuntimeError(f"gridgov supports sqlite and postgresql, not {vendor}")
    for statement in _SQL[vendor][which]:
        schema_editor.execute(statement)


def install_audit_guard(apps, schema_editor) -> None:
    _run(schema_editor, "install")


def remove_audit_guard(apps, schema_editor) -> None:
    _run(schema_editor, "remove")

