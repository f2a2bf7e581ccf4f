"""DATABASE-SPECIFIC SQL lives here and only here (DESIGN.md: "a marked adapter").

Triggers that make the audit table append-only for UPDATE at the database level, so that neither
the ORM, raw SQL nor a QuerySet.update() can rewrite history. Deletion is refused by the ORM
(model and queryset); the retention job (later) will be the one sanctioned deleter.
"""

from __future__ import annotations

AUDIT_TABLE = "core_auditevent"

_SQL = {
    "sqlite": {
        "install": [
            f"CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE} "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
        ],
        "remove": [f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_update;"],
    },
    "postgresql": {
        "install": [
            "CREATE OR REPLACE FUNCTION gridgov_audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;",
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_update ON {AUDIT_TABLE};",
            f"CREATE TRIGGER {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION gridgov_audit_append_only();",
        ],
        "remove": [
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_update ON {AUDIT_TABLE};",
            "DROP FUNCTION IF EXISTS gridgov_audit_append_only();",
        ],
    },
}


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

