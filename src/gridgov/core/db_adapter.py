"""DATABASE-SPECIFIC SQL lives here and only here (DESIGN.md: "a marked adapter").

Triggers that make the audit table append-only for UPDATE at the database level, so that neither
the ORM, raw SQL nor a QuerySet.update() can rewrite history. Deletion is refused by the ORM
(model and queryset); the retention job (later) will be the one sanctioned deleter.

``insert_with_dependents``: a new row and the rows that reference it (e.g. a case, its timeline
event and its audit row) in one statement on PostgreSQL (data-modifying CTEs); the ORM elsewhere.
The statement's text is compiled once per process and shape; each call prepares only parameters.
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


# --- a new row and the rows that point at it, in one round trip --------------------------------

def _listened(model) -> bool:
    from django.db.models import signals

    return any(signal.has_listeners(model) for signal in (signals.pre_save, signals.post_save))


def _insert_fields(obj) -> list:
    meta = obj._meta
    return [f for f in meta.local_concrete_fields
            if not f.generated and not (f is meta.auto_field and obj.pk is None)]


def _insert_sql(connection, obj) -> tuple[str, tuple]:
    """``INSERT ... RETURNING pk`` for one new instance, compiled by Django as ``save()`` would
    (same fields, pre_save hooks and value preparation)."""
    from django.db.models.sql import InsertQuery

    meta = obj._meta
    obj._prepare_related_fields_for_save(operation_name="save")
    query = InsertQuery(meta.model)
    query.insert_values(_insert_fields(obj), [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, params


# The statement's text depends only on the models, their columns and whether the parent's pk is
# given: compiled by Django once per process (per vendor and shape), then only the parameters are
# prepared per call, as the insert compiler prepares them (pre_save, then get_db_prep_save).
_statement_cache: dict = {}


def _insert_params(connection, obj, fields) -> list | None:
    """The parameters Django's insert compiler would send for ``obj`` (None: a value is an
    expression or a field has its own placeholder, so compile that row instead)."""
    obj._prepare_related_fields_for_save(operation_name="save")
    params = []
    for field in fields:
        if hasattr(field, "get_placeholder"):
            return None
        value = field.pre_save(obj, add=True)
        if hasattr(value, "resolve_expression"):
            return None
        value = field.get_db_prep_save(value, connection=connection)
        if hasattr(value, "as_sql"):
            return None
        params.append(value)
    return params


def _statement(connection, objs) -> tuple[str, list]:
    key = (connection.vendor, connection.alias,
           tuple((type(obj), obj.pk is not None) for obj in objs))
    cached = _statement_cache.get(key)
    if cached is not None:
        params = []
        for obj, fields in zip(objs, cached[1], strict=True):
            p = _insert_params(connection, obj, fields)
            if p is None:
                break
            params.extend(p)
        else:
            return cached[0], params
    parts, params, shape, fixed = [], [], [], True
    for i, obj in enumerate(objs):
        sql, p = _insert_sql(connection, obj)
        fields = _insert_fields(obj)
        # the text is reusable only when every column is one plain placeholder
        fixed = fixed and len(p) == len(fields) and sql.count("%s") == len(fields)
        parts.append(f"i{i} AS ({sql})")
        params.extend(p)
        shape.append(fields)
    sql = "WITH " + ", ".join(parts) + " SELECT " + ", ".join(f"(SELECT * FROM i{i})" for i in range(len(parts)))
    if fixed:
        _statement_cache[key] = (sql, shape)
    return sql, params


def insert_with_dependents(parent, dependents, *, using: str = "default") -> list:
    """Insert the new instance ``parent`` and the new instances ``dependents(parent)`` returns
    (built once ``parent.pk`` is known: rows that reference it), all or nothing.

    PostgreSQL: the parent's id is drawn from its sequence, then every row goes in ONE statement
    (data-modifying CTEs, atomic by itself; in a savepoint when inside a transaction) instead of
    BEGIN + one INSERT per row + COMMIT. SQLite (and any model with save signals listening):
    ``save()`` each in ``transaction.atomic``. Returns the dependents, primary keys set."""
    from django.db import connections, transaction

    connection = connections[using]
    models = {type(parent)}
    if connection.vendor != "postgresql" or parent.pk is not None or _listened(type(parent)):
        with transaction.atomic(using=using):
            parent.save(force_insert=True, using=using)
            rows = list(dependents(parent))
            for row in rows:
                row.save(force_insert=True, using=using)
        return rows
    meta = parent._meta
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))",
                       [connection.ops.quote_name(meta.db_table), meta.pk.column])
        parent.pk = cursor.fetchone()[0]
    rows = list(dependents(parent))
    models.update(type(row) for row in rows)
    if any(_listened(model) for model in models - {type(parent)}):
        with transaction.atomic(using=using):
            parent.save(force_insert=True, using=using)
            for row in rows:
                row.save(force_insert=True, using=using)
        return rows
    sql, params = _statement(connection, [parent, *rows])
    if connection.in_atomic_block:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = cursor.fetchone()
    else:  # autocommit: one statement is one transaction
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = cursor.fetchone()
    for obj, pk in zip([parent, *rows], ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
    return rows
