"""Plain INSERTs for the demo generators: ``executemany`` of rows whose values are ready for the
database, the model's defaults appended once per model.

At city scale the register demo writes millions of rows; ``bulk_create`` spends about half of the
register's load time building model instances and preparing every value (profile of the small
scale: 181 s of 386 s in ``bulk_create``), the plain statement a fraction of it. Used for demo data
only (no audit rows, no validation beyond the database's constraints); explicit primary keys are
allowed and :func:`reset_sequences` moves PostgreSQL's sequences past them.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone


class Inserter:
    """``Inserter(House, ["id", "house_code", …]).insert(rows)``: each row gives the named fields
    (attribute names, values prepared: dates through ``connection.ops.adapt_*``); the other
    concrete fields get their default (``auto_now``/``auto_now_add``: now), the primary key the
    database's next value when not named."""

    def __init__(self, model, columns: Sequence[str]):
        opts = model._meta
        by_attname = {f.attname: f for f in opts.concrete_fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise ValueError(f"{opts.label}: no such fields: {', '.join(unknown)}")
        now = timezone.now()
        rest = [f for f in opts.concrete_fields if f.attname not in columns and not f.primary_key]
        defaults = []
        for f in rest:
            value = now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            defaults.append(f.get_db_prep_save(value, connection))
        self.defaults = tuple(defaults)
        qn = connection.ops.quote_name
        names = [by_attname[c].column for c in columns] + [f.column for f in rest]
        self.sql = (f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(n) for n in names)}) "
                    f"VALUES ({', '.join(['%s'] * len(names))})")
        self.model = model

    def insert(self, rows: Iterable[tuple]) -> None:
        d = self.defaults
        with connection.cursor() as cur:
            cur.executemany(self.sql, [r + d for r in rows])


class RecordInserter:
    """``RecordInserter(Case).insert([{"id": 7, "grid_code": …, "reported_at": aware datetime}, …])``:
    rows given as dicts of attribute names (``category_id``, not ``category``) with Python values;
    every concrete field is written (an unknown key is an error), a missing key gets the field's default (callable defaults
    evaluated once, as :class:`Inserter` does), dates, datetimes and JSON are prepared by the
    database backend's public adapters. For generators whose rows carry a varying set of fields
    (a case's timestamps); much cheaper than ``bulk_create`` of model instances."""

    def __init__(self, model, *, with_pk: bool = True):
        from django.db import models

        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self._inserter = Inserter(model, [f.attname for f in fields])
        self._names = [f.attname for f in fields]
        self._defaults = [None if f.primary_key else f.get_default() for f in fields]
        ops = connection.ops
        preps: list[Callable[[Any], Any] | None] = []
        for f in fields:
            if isinstance(f, models.DateTimeField):
                preps.append(ops.adapt_datetimefield_value)
            elif isinstance(f, models.DateField):
                preps.append(ops.adapt_datefield_value)
            elif isinstance(f, models.JSONField):
                preps.append(_json_prep(f))
            else:
                preps.append(None)
        self._columns = list(zip(self._names, self._defaults, preps, strict=True))
        self._known = frozenset(self._names)
        self._label = model._meta.label

    def rows(self, records: Iterable[dict]) -> list[tuple]:
        out = []
        for record in records:
            if not record.keys() <= self._known:
                raise ValueError(f"{self._label}: no such fields: {', '.join(sorted(record.keys() - self._known))}")
            row = []
            for name, default, prep in self._columns:
                value = record.get(name, default)
                row.append(prep(value) if prep is not None and value is not None else value)
            out.append(tuple(row))
        return out

    def insert(self, records: Iterable[dict]) -> None:
        self._inserter.insert(self.rows(records))


@contextmanager
def indexes_built_after(*models) -> Iterator[None]:
    """Write ``models``' rows first and build their non-unique indexes once at the end: SQLite sorts
    each index in one pass instead of inserting every row into every B-tree at a random place
    (``registry.db_adapter.deferred_indexes``, as a large import does). Inside the loader's
    transaction; other databases keep their indexes. Nothing in the block may need the indexes."""
    from gridgov.registry.db_adapter import deferred_indexes

    handles = [deferred_indexes(connection, model._meta.db_table) for model in models]
    yield
    for handle in handles:
        handle.rebuild()


#: items a producing child may be ahead of its consumer (bounds the memory of the pipe)
AHEAD = 4


def produced_in_child(generate: Callable[..., Iterable], /, **kwargs) -> Iterator:
    """The items of ``generate(**kwargs)``, made in a child process while this process consumes
    them: a generator that draws rows beside the loader that writes them, one core each. The child
    is a fork of this process: it gets ``kwargs`` without copying them through a pipe and does not
    re-run the main script (``spawn`` would, and an unguarded script then hangs); it must not
    touch the database (it inherits this process's connection and never uses it; it ends with
    ``os._exit``, so nothing is closed or rolled back). Where ``fork`` does not exist the items are
    made here. The items must be picklable; at most :data:`AHEAD` of them wait in the pipe. An
    exception in the child is raised here with the child's traceback; a child that dies without
    one is an error too."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from generate(**kwargs)
        return
    context = multiprocessing.get_context("fork")
    pipe = context.Queue(maxsize=AHEAD)
    child = context.Process(target=_produce, args=(pipe, generate, kwargs), name="gridgov-demo-producer",
                            daemon=True)
    child.start()
    try:
        while True:
            try:
                kind, item = pipe.get(timeout=5)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the demo's producer process ended without its rows "
                                       f"(exit code {child.exitcode})") from None
                continue
            if kind == "item":
                yield item
            elif kind == "done":
                break
            else:
                raise RuntimeError(f"the demo's producer process failed:\n{item}")
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def _produce(pipe, generate: Callable[..., Iterable], kwargs: dict) -> None:
    try:
        for item in generate(**kwargs):
            pipe.put(("item", item))
    except BaseException:  # noqa: BLE001 (reported to the consumer, which raises it)
        pipe.put(("error", traceback.format_exc()))
        return
    pipe.put(("done", None))


def next_pk(model) -> int:
    """One more than the largest primary key of ``model`` (1 when empty)."""
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


def reset_sequences(*models) -> None:
    """After explicit primary keys: move PostgreSQL's sequences past them (Django writes the SQL;
    SQLite needs nothing)."""
    if connection.vendor == "sqlite":
        return
    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cur.execute(sql)


def _json_prep(field) -> Callable[[Any], Any]:
    """A JSON field's value as the backend stores it (its own ``get_db_prep_save``)."""
    def prep(value):
        return field.get_db_prep_save(value, connection)
    return prep
