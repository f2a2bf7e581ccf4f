"""The extra cost of the audit hash chain per audit row (issue 15, finding 6).

    .venv/bin/python benchmarks/bench_audit_chain.py                        # SQLite (a temp file)
    .venv/bin/python benchmarks/bench_audit_chain.py --database-url postgres://postgres@127.0.0.1:5432/gridgov_bench_audit

Ours: N ``audit_write`` calls, each in its own transaction (as a service writes one): the chain
lock, a read of the newest row's hash, SHA-256 over the canonical row, the insert. Peer: the same
N rows written as before the chain (``audit_event`` + ``save``, each in its own transaction), in
the same run against the same database. PostgreSQL: the database named in the URL is dropped and
recreated. Prints one JSON line; ``extra_ms`` is the added cost per row.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


from bench_intake import _recreate_database  # noqa: E402  (a sibling script: drop and create a database)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="gridgov-bench-audit-")
    os.environ["GRIDGOV_VAR_DIR"] = tmp
    if args.database_url:
        _recreate_database(args.database_url)
        os.environ["GRIDGOV_DATABASE_URL"] = args.database_url
    else:
        os.environ["GRIDGOV_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from gridgov.core.audit import audit_event, audit_write

    call_command("migrate", verbosity=0)
    changes = {"fields": ["name", "phone"], "rows": 1, "filter": {"q": "张三"}}

    def ours(i):
        with transaction.atomic():
            audit_write("READ", object_type="person", object_id=i, changes=changes)

    def peer(i):
        with transaction.atomic():
            audit_event("READ", object_type="person", object_id=i, changes=changes).save(force_insert=True)

    for fn in (ours, peer):  # warm up
        for i in range(50):
            fn(i)
    timings = {}
    for name, fn in (("peer", peer), ("ours", ours), ("peer2", peer), ("ours2", ours)):
        t0 = time.perf_counter()
        for i in range(args.n):
            fn(i)
        timings[name] = time.perf_counter() - t0
    ours_s = min(timings["ours"], timings["ours2"])
    peer_s = min(timings["peer"], timings["peer2"])
    print(json.dumps({"bench": f"audit_chain_{connection.vendor}", "n": args.n, "ours_s": round(ours_s, 4),
                      "peer": "audit row without the chain", "peer_s": round(peer_s, 4),
                      "ratio": round(ours_s / peer_s, 3),
                      "extra_ms": round(1000 * (ours_s - peer_s) / args.n, 3)}))


if __name__ == "__main__":
    main()
