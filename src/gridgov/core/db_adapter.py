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


_AS_IS = None
_TEXT = (str,)  # and its subclasses (TextChoices members): CharField.get_prep_value returns them as they are


def _as_is_types() -> dict:
    """Per built-in field class, the value types its get_db_prep_save returns unchanged on
    PostgreSQL (None too): such a value is sent as it is (the rest goes through Django)."""
    global _AS_IS
    if _AS_IS is None:
        import uuid

        from django.db import models as m

        ints = (int,)
        _AS_IS = {m.CharField: _TEXT, m.TextField: _TEXT, m.SlugField: _TEXT, m.EmailField: _TEXT,
                  m.IntegerField: ints, m.BigIntegerField: ints, m.SmallIntegerField: ints,
                  m.PositiveIntegerField: ints, m.PositiveSmallIntegerField: ints,
                  m.PositiveBigIntegerField: ints, m.AutoField: ints, m.BigAutoField: ints,
                  m.FloatField: (float,), m.BooleanField: (bool,), m.UUIDField: (uuid.UUID,)}
    return _AS_IS


def _field_kind(field):
    """What ``_insert_params`` does with a field's value: the types sent as they are, or None."""
    from django.db.models import DateTimeField, ForeignKey

    if type(field) is ForeignKey:
        field = field.target_field
    if type(field) is DateTimeField:
        return "aware"  # an aware datetime goes as it is; a naive one through Django (makes it aware)
    return _as_is_types().get(type(field))


def _insert_params(connection, obj, kinds) -> list | None:
    """The parameters Django's insert compiler would send for ``obj``: ``pre_save``, then
    ``get_db_prep_save`` unless the value is of a type that call returns unchanged (None: a value
    is an expression or a field has its own placeholder: ``save()`` that row instead)."""
    obj._prepare_related_fields_for_save(operation_name="save")
    params = []
    for field, kind in kinds:
        value = field.pre_save(obj, add=True)
        if value is None or (kind is not None and (
                (type(value) in kind or (kind is _TEXT and isinstance(value, str))) if kind != "aware"
                else getattr(value, "tzinfo", None) is not None)):
            params.append(value)
            continue
        if hasattr(value, "resolve_expression"):
            return None
        value = field.get_db_prep_save(value, connection=connection)
        if hasattr(value, "as_sql"):
            return None
        params.append(value)
    return params


def dollar_placeholders(sql: str, replace: dict[int, str] | None = None) -> str:
    """Django's ``%s`` placeholders as PostgreSQL's ``$1 … $n`` (``%%`` is a literal ``%``); the
    k-th placeholder (0-based) in ``replace`` becomes that SQL instead."""
    import re

    position, number, replace = iter(range(sql.count("%s"))), iter(range(1, sql.count("%s") + 1)), replace or {}

    def sub(match):
        if match.group() == "%%":
            return "%"
        k = next(position)
        return replace[k] if k in replace else f"${next(number)}"

    return re.sub(r"%%|%s", sub, sql)


_cursor_class = _debug_wrapper_class = None
_ONLY_WHEN_ASKED = 2**31 - 1  # psycopg prepares a statement after this many runs, or when asked


def _prepared_cursor_class():
    global _cursor_class
    if _cursor_class is None:
        import psycopg

        class PreparedRawCursor(psycopg.RawCursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

        _cursor_class = PreparedRawCursor
    return _cursor_class


def _debug_wrapper(cursor, connection):
    """Django's query-logging wrapper, logging the statement as sent ($n placeholders): psycopg's
    raw cursor keeps no composed query for Django to read back."""
    global _debug_wrapper_class
    if _debug_wrapper_class is None:
        from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

        class DebugWrapper(CursorDebugWrapper):
            def execute(self, sql, params=None):
                with self.debug_sql(sql, params):
                    return CursorWrapper.execute(self, sql, params)

        _debug_wrapper_class = DebugWrapper
    return _debug_wrapper_class(cursor, connection)


def prepared_cursor(connection):
    """PostgreSQL, for a hot statement whose text is fixed (``dollar_placeholders``): a cursor of
    Django's (its error wrapping, query logging and execute wrappers) over a psycopg RawCursor:
    $n placeholders, server-side binding, and every statement prepared on the server at its
    first execution (Django leaves psycopg's automatic preparing off; a connection
    pooler in transaction mode needs PgBouncer >= 1.21 for protocol-level prepared statements)."""
    connection.ensure_connection()
    connection.validate_thread_sharing()
    pg = connection.connection
    if pg.prepare_threshold is None:  # Django's default: never; now: only when asked (this cursor)
        pg.prepare_threshold = _ONLY_WHEN_ASKED
    with connection.wrap_database_errors:
        raw = _prepared_cursor_class()(pg)
    return _debug_wrapper(raw, connection) if connection.queries_logged else connection.make_cursor(raw)


# A stand-in for the parent's id while its dependents are built: the database assigns the real
# one inside the statement, so every parameter of a dependent that equals it (the foreign key, or
# its text in an audit row's object_id) becomes a reference to the parent's new id. Far from any
# real id, and checked: a dependent holding it any other way (inside a text, an id derived from
# it) is not sent this way.
_STAND_IN = -7_316_250_983_456_127_153
_NEAR = 10**9
_PARENT_ID = "(SELECT * FROM i0)"  # the parent's new id inside the statement


def _parent_refs(params) -> dict[int, str] | None:
    """Positions of the dependent's parameters that are the parent's id (SQL to put there), or None
    when the stand-in shows up in any other form."""
    import json

    refs, text = {}, str(_STAND_IN)
    for k, value in enumerate(params):
        if isinstance(value, str):  # TextChoices members too
            if value == text:
                refs[k] = _PARENT_ID + "::text"
            elif text[1:10] in value:
                return None
        elif isinstance(value, int) and not isinstance(value, bool):
            if value == _STAND_IN:
                refs[k] = _PARENT_ID
            elif abs(value - _STAND_IN) < _NEAR:
                return None
        elif type(value) not in _SCALARS and text[1:10] in json.dumps(getattr(value, "obj", value), default=str):
            return None  # a JSON document (psycopg's Jsonb wrapper) or anything else, as text
    return refs


def _scalars() -> tuple:
    import datetime
    import decimal
    import uuid

    return (float, bool, type(None), datetime.datetime, datetime.date, datetime.time, uuid.UUID,
            decimal.Decimal)


_SCALARS = frozenset(_scalars())


# The statement's text depends only on the models, their columns and where the parent's id goes:
# compiled by Django once per process (per vendor and shape), then only the parameters are
# prepared per call, as the insert compiler prepares them.
_statement_cache: dict = {}


def _statement(connection, parent, rows) -> tuple[str, list, list[dict], list] | None:
    """The statement, its parameters, per row the positions that refer to the parent's id and the
    row's (field, kind) list; None: save the plain way. ``parent.pk``: the stand-in on entry,
    None on return."""
    objs = [parent, *rows]
    shape_key = (connection.alias, tuple(type(obj) for obj in objs))
    cached = _statement_cache.get(shape_key)
    if cached is None:
        parent.pk = None
        fields = [_insert_fields(obj) for obj in objs]
        kinds = [[(f, _field_kind(f)) for f in row] for row in fields]
        # a field with its own placeholder SQL (e.g. a geometry) is left to save()
        plain = not any(hasattr(f, "get_placeholder") for row in fields for f in row)
        cached = _statement_cache[shape_key] = {"kinds": kinds, "texts": {}, "plain": plain}
        parent.pk = _STAND_IN
    if not cached["plain"]:
        return None
    # the dependents' parameters while the parent holds the stand-in, then the parent's own
    row_params, all_refs = [], [{}]
    for row, kinds in zip(rows, cached["kinds"][1:], strict=True):
        p = _insert_params(connection, row, kinds)
        refs = None if p is None else _parent_refs(p)
        if refs is None:
            parent.pk = None
            return None
        all_refs.append(refs)
        row_params.append([v for k, v in enumerate(p) if k not in refs])
    parent.pk = None
    own = _insert_params(connection, parent, cached["kinds"][0])
    if own is None:
        return None
    params = own + [v for p in row_params for v in p]
    text_key = tuple(tuple(sorted(refs.items())) for refs in all_refs)
    sql = cached["texts"].get(text_key)
    if sql is None:
        parts = []
        for i, obj in enumerate(objs):
            parent.pk = _STAND_IN if i else None  # a dependent's compiler checks its related parent
            part, p = _insert_sql(connection, obj)
            parent.pk = None
            # the text is reusable only when every column is one plain placeholder
            if len(p) != len(cached["kinds"][i]) or part.count("%s") != len(p):
                return None
            parts.append(part)
        sql = ("WITH " + ", ".join(f"i{i} AS ({part})" for i, part in enumerate(parts)) + " SELECT "
               + ", ".join(f"(SELECT * FROM i{i})" for i in range(len(objs))))
        replace, offset = {}, 0
        for part, refs in zip(parts, all_refs, strict=True):
            replace.update({offset + k: v for k, v in refs.items()})
            offset += part.count("%s")
        sql = cached["texts"][text_key] = dollar_placeholders(sql, replace)
    return sql, params, all_refs, cached["kinds"]


def _save_each(parent, rows_or_builder, using) -> list:
    from django.db import transaction

    with transaction.atomic(using=using):
        parent.save(force_insert=True, using=using)
        rows = list(rows_or_builder(parent) if callable(rows_or_builder) else rows_or_builder)
        for row in rows:
            row.save(force_insert=True, using=using)
    return rows


def insert_with_dependents(parent, dependents, *, using: str = "default") -> list:
    """Insert the new instance ``parent`` and the new instances ``dependents(parent)`` returns
    (rows that reference it), all or nothing. Returns the dependents, primary keys set.

    PostgreSQL: ONE prepared statement (data-modifying CTEs; atomic by itself, in a savepoint when
    inside a transaction) instead of BEGIN + one INSERT per row + COMMIT: the parent's id comes
    from its sequence inside the statement, and a dependent's value that is the parent's id (a
    foreign key to it, or its text) refers to it there. ``dependents`` is called with the parent's
    pk set to a stand-in: it may use the pk as a reference or as its text, nothing derived from it
    (anything else falls back). SQLite, a model with save signals listening, a value that is an
    expression: ``save()`` each in ``transaction.atomic``."""
    from django.db import connections, transaction

    connection = connections[using]
    if connection.vendor != "postgresql" or parent.pk is not None or _listened(type(parent)):
        return _save_each(parent, dependents, using)
    parent.pk = _STAND_IN
    try:
        rows = list(dependents(parent))
        built = None if any(_listened(type(row)) for row in rows) else _statement(connection, parent, rows)
    finally:
        parent.pk = None
    if built is None:
        return _save_each(parent, dependents, using)
    sql, params, all_refs, kinds = built
    if connection.in_atomic_block:
        with transaction.atomic(using=using), prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)
            ids = cursor.fetchone()
    else:  # autocommit: one statement is one transaction
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)
            ids = cursor.fetchone()
    for obj, pk in zip([parent, *rows], ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
    for row, refs, fields in zip(rows, all_refs[1:], kinds[1:], strict=True):
        for k, sql_ref in refs.items():
            setattr(row, fields[k][0].attname, parent.pk if sql_ref == _PARENT_ID else str(parent.pk))
    return rows
