"""DATABASE-SPECIFIC SQL of the register imports lives here and only here (a marked adapter, like
``core/db_adapter.py``).

- ``import_session(connection)``: SQLite only — a larger page cache (``PRAGMA cache_size``) for the
  import's connection while the import runs, restored afterwards (the one import transaction keeps
  every dirty page of the person table and its indexes; with the default 2 MB cache they spill and are
  read back again and again). Bounded (``IMPORT_CACHE_KB``), so the import's memory does not grow
  with the file beyond that bound. Measured at 1M rows with every index maintained: 2 MB 17,900
  rows/s, 16 MB 19,800 (+23 MB peak), 64 MB 19,500 (+70 MB peak); with the indexes deferred the
  unique blind index is the random-access structure, and 64 MB cut the inserts from 10.8 s to 7.8 s.
  PostgreSQL: nothing.
- ``deferred_indexes(connection, table)``: SQLite only — drops the table's non-unique secondary
  indexes inside the import's transaction and ``rebuild()`` creates them again from their own
  ``CREATE INDEX`` text before the commit. Building an index once from sorted keys is much cheaper
  than a million random inserts into it (1M rows, 6 indexes: inserts 31.5 s with the indexes, 6.7 s
  without plus 3.6 s to build them). DDL is transactional in SQLite: a rollback brings the indexes back,
  and readers (WAL) see the committed schema with its indexes throughout. Unique indexes stay (they
  enforce the upsert keys and serve the existence probes). PostgreSQL: nothing (``DROP INDEX`` would
  lock the table against readers until the commit; ``COPY`` is fast enough there).
- ``empty_table_needs_no_probe(connection)``: SQLite with the write lock; PostgreSQL always.
- ``holds_write_lock(connection)``: SQLite's ``BEGIN IMMEDIATE`` transaction keeps other writers out.
- ``probe(connection, table, key, columns, keys)``: the rows of ``table`` whose ``key`` is one of
  ``keys``, as tuples of ``columns``: PostgreSQL one statement a batch (``key = ANY(array)``, one
  round trip instead of one per 900 keys; keys without a comma go as one comma-joined text parameter,
  ``= ANY(string_to_array(%s, ','))``, which the client does not dump key by key); SQLite ``IN (…)``
  lists of 900 (its bound-parameter limit).
- ``bulk_insert(connection, table, columns, rows, constants)``: PostgreSQL ``COPY … FROM STDIN`` through psycopg's
  copy protocol; elsewhere ``executemany`` of a plain parametrised INSERT.
- ``create_staging(connection, table, columns, extra)`` and ``merge_staged_persons(...)``: PostgreSQL
  only — the new persons of every batch are copied (``COPY``) into a temporary staging table without
  indexes, and at the end of the file one set-based statement writes them all::

      WITH ins AS (INSERT INTO person (…) SELECT … FROM staging ORDER BY id_hmac, doc_type, doc_number
                   ON CONFLICT DO NOTHING RETURNING id, <key>),
           res AS (INSERT INTO residence (…) SELECT ins.id, … FROM ins JOIN staging USING (<key>)
                   WHERE house_id IS NOT NULL)
      SELECT import_row, … FROM staging WHERE <key> NOT IN ins      -- (an anti-join)

  The staged rows reach the person table's twelve indexes in one sorted pass instead of 5,000-row
  ``COPY`` statements into the indexed table, batch after batch. The staging table lives in the import's one
  transaction (``ON COMMIT DROP``, and dropped right after the merge): a rollback leaves neither
  staged nor person rows. ``ON CONFLICT DO NOTHING`` (every unique index is an arbiter) skips a key
  another writer registered meanwhile (it waits for that writer first, as ``COPY`` did); the
  statement returns those rows' numbers, and the import reports them (code ``concurrent``).
  SQLite keeps writing each batch into the person table (its indexes are deferred instead).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

#: Page cache of the import's SQLite connection, in KiB (negative ``cache_size`` = KiB).
IMPORT_CACHE_KB = 64 * 1024

_UNIQUE = re.compile(r"\s*CREATE\s+UNIQUE\s", re.IGNORECASE)


@contextmanager
def import_session(connection) -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        before = cur.fetchone()[0]
        cur.execute(f"PRAGMA cache_size = {-int(IMPORT_CACHE_KB)}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {int(before)}")


class DeferredIndexes:
    """Handle of :func:`deferred_indexes`: ``dropped`` names the indexes; ``rebuild()`` recreates them."""

    def __init__(self, connection, statements: list[tuple[str, str]]):
        self.connection = connection
        self.statements = statements

    @property
    def dropped(self) -> list[str]:
        return [name for name, _ in self.statements]

    def rebuild(self) -> None:
        with self.connection.cursor() as cur:
            for _, sql in self.statements:
                cur.execute(sql)
        self.statements = []


def deferred_indexes(connection, table: str) -> DeferredIndexes:
    """Drop ``table``'s non-unique secondary indexes (SQLite; call inside the transaction)."""
    if connection.vendor != "sqlite" or not connection.in_atomic_block:
        return DeferredIndexes(connection, [])
    with connection.cursor() as cur:
        cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [table])
        statements = [(name, sql) for name, sql in cur.fetchall() if not _UNIQUE.match(sql)]
        for name, _ in statements:
            cur.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return DeferredIndexes(connection, statements)


def holds_write_lock(connection) -> bool:
    """Whether the current transaction already excludes every other writer: SQLite in a transaction
    begun ``IMMEDIATE`` or ``EXCLUSIVE`` (settings: ``transaction_mode``). Then a table that was empty
    at the start of the transaction holds only this transaction's rows."""
    return (connection.vendor == "sqlite" and connection.in_atomic_block
            and connection.settings_dict.get("OPTIONS", {}).get("transaction_mode") in ("IMMEDIATE", "EXCLUSIVE"))


def probe(connection, table: str, key: str, columns: Sequence[str], keys: Sequence) -> list[tuple]:
    """The rows (``columns``) of ``table`` whose ``key`` column is in ``keys``."""
    if not keys:
        return []
    qn = connection.ops.quote_name
    head = f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)} WHERE {qn(key)}"
    out: list[tuple] = []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            try:
                joined = ",".join(keys)
            except TypeError:  # not all strings
                joined = ""
            if joined and joined.count(",") == len(keys) - 1:
                # one text parameter split by the server: psycopg dumps a list element by element in
                # Python (3.3 s of a 1M-row re-import's probes, 0.7 s so)
                cur.execute(f"{head} = ANY(string_to_array(%s, ','))", [joined])
            else:
                cur.execute(f"{head} = ANY(%s)", [list(keys)])
            return list(cur.fetchall())
        for start in range(0, len(keys), 900):
            chunk = keys[start:start + 900]
            cur.execute(f"{head} IN ({', '.join(['%s'] * len(chunk))})", list(chunk))
            out.extend(cur.fetchall())
    return out


def empty_table_needs_no_probe(connection) -> bool:
    """Whether an import into a table that was empty at its start may skip the existence probes.
    SQLite: when the transaction holds the write lock (no other writer can add a row). PostgreSQL:
    always — a row with one of the file's keys committed meanwhile by another writer makes the
    staged rows' merge wait for that writer and then skip them (``ON CONFLICT DO NOTHING``), and the
    import reports those rows (``PersonImporter._merge_staged``); rows with other keys change
    nothing for this file."""
    return connection.vendor == "postgresql" or holds_write_lock(connection)


def bulk_insert(connection, table: str, columns: Sequence[str], rows: Sequence[Sequence],
                constants: dict | None = None) -> None:
    """Insert ``rows`` (one value per column of ``columns``) into ``table``; ``constants`` (column ->
    value) are the same for every row: SQLite gets them as literals in the statement, so they are not
    bound again for every row (binding is a third of ``executemany``'s own cost); PostgreSQL's
    ``COPY`` gets them appended to each row."""
    if not rows:
        return
    constants = dict(constants or {})
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            col_sql = ", ".join(qn(c) for c in (*columns, *constants))
            tail = tuple(constants.values())
            # the raw psycopg cursor: its errors are turned into Django's (IntegrityError) here
            with connection.wrap_database_errors, cur.cursor.copy(f"COPY {qn(table)} ({col_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *tail))
            return
        col_sql = ", ".join(qn(c) for c in (*columns, *constants))
        literals = [_sqlite_literal(connection, v) for v in constants.values()]
        values = ", ".join(["%s"] * len(columns) + literals)
        cur.executemany(f"INSERT INTO {qn(table)} ({col_sql}) VALUES ({values})", rows)


def _sqlite_literal(connection, value) -> str:
    """An SQL literal for a constant of :func:`bulk_insert` (SQLite): NULL, integers, text."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, datetime.datetime):
        value = connection.ops.adapt_datetimefield_value(value)
    elif isinstance(value, datetime.date):
        value = connection.ops.adapt_datefield_value(value)
    if not isinstance(value, str):
        raise TypeError(f"bulk_insert constant of type {type(value).__name__}")
    # quotes doubled for SQL; "%" doubled for the DB-API "format" paramstyle of Django's cursor
    return "'" + value.replace("'", "''").replace("%", "%%") + "'"


#: The temporary staging table of a PostgreSQL person import (one per connection and import).
STAGING = "gridgov_import_staging"


def create_staging(connection, table: str, columns: Sequence[str], extra: dict[str, str]) -> str | None:
    """PostgreSQL: create the temporary staging table (no indexes, no constraints, not WAL-logged)
    with ``columns`` typed as in ``table`` plus ``extra`` (name -> SQL type), dropped at the end of the
    transaction; returns its name. Call inside the import's transaction. Other databases: ``None``."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return None
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE {qn(STAGING)} ON COMMIT DROP AS "
                    f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)} WITH NO DATA")
        for name, sql_type in extra.items():
            cur.execute(f"ALTER TABLE {qn(STAGING)} ADD COLUMN {qn(name)} {sql_type}")
    return STAGING


def drop_staging(connection, staging: str) -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(staging)}")


def merge_staged_persons(connection, staging: str, *, table: str, columns: Sequence[str], order_by: Sequence[str],
                         key: str, key_sql: str, residence_table: str, residence: dict[str, str],
                         report: Sequence[str], work_mem_mb: int = 64) -> list[tuple]:
    """PostgreSQL: insert the staged rows into ``table`` (``columns``) in one statement, sorted by
    ``order_by``, skipping rows whose key another writer registered meanwhile (``ON CONFLICT DO
    NOTHING``); for each inserted row with a ``house_id`` a row of ``residence_table`` (``residence``:
    column -> expression over the staging row ``s`` and the new person's ``ins.id``). ``key`` names the
    staging column equal to ``key_sql`` over the person row (the join of the two). Returns the
    ``report`` columns of the staged rows that were NOT inserted, in staging order of ``import_row``.
    ``work_mem`` is raised for this one statement (the sort and the hash joins), then set back."""
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    res_cols = ", ".join(qn(c) for c in residence)
    sql = (f"WITH ins AS (INSERT INTO {qn(table)} ({cols}) SELECT {cols} FROM {qn(staging)} "
           f"ORDER BY {', '.join(qn(c) for c in order_by)} ON CONFLICT DO NOTHING "
           f"RETURNING {qn('id')} AS id, {key_sql} AS k), "
           f"res AS (INSERT INTO {qn(residence_table)} ({res_cols}) SELECT {', '.join(residence.values())} "
           f"FROM ins JOIN {qn(staging)} s ON s.{qn(key)} = ins.k WHERE s.{qn('house_id')} IS NOT NULL) "
           f"SELECT {', '.join(f's.{qn(c)}' for c in report)} FROM {qn(staging)} s "
           f"WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.k = s.{qn(key)}) ORDER BY s.{qn('import_row')}")
    with connection.wrap_database_errors, connection.cursor() as cur:
        cur.execute("SELECT current_setting('work_mem')")
        before = cur.fetchone()[0]
        cur.execute("SELECT set_config('work_mem', %s, true)", [f"{int(work_mem_mb)}MB"])
        cur.execute(sql)
        missing = list(cur.fetchall())
        cur.execute("SELECT set_config('work_mem', %s, true)", [before])
    return missing
