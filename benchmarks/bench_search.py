"""Person search among N persons (default 1,000,000): p50/p95 of the selector vs a plain indexed query.

    python benchmarks/bench_search.py [--rows 1000000] [--queries 400] [--seed 1]

Database: ``GRIDGOV_DATABASE_URL`` when set, else a fresh SQLite file in a temporary directory
(tiny demo geography; persons loaded with the importer, as in bench_import.py). Timed, in this one
process, for a district-level user (jurisdiction 310101, so every row is in scope):

  * ours: ``selectors.person_search(user, q=...)`` + ``person_rows`` for the first page (20), with a
    mix of exact names (60 %), full identity numbers (blind index, 20 %) and last-four (20 %);
  * peer: the same lookups as plain ``SELECT … WHERE name = %s LIMIT 20`` /
    ``WHERE id_hmac = %s`` / ``WHERE id_last4 = %s LIMIT 20`` with no scoping and no masking.

Goal: ours p95 < 100 ms. Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_import  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="gridgov-bench-search-")
    bench_import.setup_django(tmp)
    from django.db import connection

    from gridgov.accounts import services as account_services
    from gridgov.accounts.models import User
    from gridgov.registry import selectors
    from gridgov.registry.identity import blind_index
    from gridgov.registry.imports import import_file
    from gridgov.registry.models import Person

    if Person.objects.count() != args.rows:
        bench_import.clear_persons()
        path = os.path.join(tmp, "persons.csv")
        sample = bench_import.write_persons_csv(path, args.rows, args.seed)
        result = import_file(kind="persons", path=path)
        assert result.written, result.as_dict()
    else:
        sample = list(Person.objects.order_by("?").values_list("identity_number", "name")[:2000])
    account_services.roles_sync()
    user = User.objects.filter(username="bench-district").first()
    if user is None:
        user = account_services.user_create(username="bench-district", password="x", validate_password=False)
        account_services.membership_grant(user=user, role_code="district_centre", jurisdiction="310101")
    user._gridgov_memberships = None

    rng = random.Random(args.seed)
    queries = []
    for _ in range(args.queries):
        number, name = rng.choice(sample)
        r = rng.random()
        queries.append(("name", name) if r < 0.6 else ("number", number) if r < 0.8 else ("last4", number[-4:]))

    def ours(kind, value):
        rows = selectors.person_rows(selectors.person_search(user, q=value)[:20])
        return len(rows)

    table = connection.ops.quote_name(Person._meta.db_table)

    def peer(kind, value):
        sql = {"name": f"SELECT * FROM {table} WHERE name = %s LIMIT 20",
               "number": f"SELECT * FROM {table} WHERE id_hmac = %s LIMIT 20",
               "last4": f"SELECT * FROM {table} WHERE id_last4 = %s LIMIT 20"}[kind]
        with connection.cursor() as cur:
            cur.execute(sql, [blind_index(value) if kind == "number" else value])
            return len(cur.fetchall())

    timings = {"ours": [], "peer": []}
    found = 0
    for fn_name, fn in (("ours", ours), ("peer", peer)):
        for kind, value in queries[:20]:  # warm caches
            fn(kind, value)
        for kind, value in queries:
            t = time.perf_counter()
            n = fn(kind, value)
            timings[fn_name].append(time.perf_counter() - t)
            if fn_name == "ours":
                found += n > 0
    ours_p95, peer_p95 = _pct(timings["ours"], 95), _pct(timings["peer"], 95)
    print(json.dumps({
        "bench": "registry_person_search", "n": Person.objects.count(), "db": connection.vendor,
        "queries": len(queries), "ours_s": round(sum(timings["ours"]), 4), "peer": "plain indexed SELECT",
        "peer_s": round(sum(timings["peer"]), 4), "ratio": round(sum(timings["peer"]) / sum(timings["ours"]), 3),
        "ours_p50_ms": round(1000 * _pct(timings["ours"], 50), 2), "ours_p95_ms": round(1000 * ours_p95, 2),
        "peer_p50_ms": round(1000 * _pct(timings["peer"], 50), 2), "peer_p95_ms": round(1000 * peer_p95, 2),
        "found_share": round(found / len(queries), 3), "goal_p95_ms": 100, "ok": ours_p95 < 0.1,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
