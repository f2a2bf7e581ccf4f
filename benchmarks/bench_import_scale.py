"""The register at city scale: person import rate and peak memory for growing files (issue 16, item 7).

    python benchmarks/bench_import_scale.py                       # quick: 200k rows, this database
    GRIDGOV_BENCH_IMPORT_SIZES=1000000,2000000,5000000 python benchmarks/bench_import_scale.py

Database: ``GRIDGOV_DATABASE_URL`` when set (PostgreSQL), else a fresh SQLite file per size. Each
size runs in its own child process (``--child N``), so ``resource.getrusage`` max RSS is the peak of
that one import. In the child: the tiny demo geography, a CSV of N persons (identity numbers unique
by construction, ``demo/identities.identity_numbers``; vectorised, a few seconds a million), then

  * ours: ``imports.import_file(kind="persons")`` into an empty person table (all-or-nothing);
  * reimport: the same file again, every row unchanged (skipped by the row hash), nothing written;
  * peer (the raw floor): the same rows written with no validation into an UNINDEXED table of the
    same columns — PostgreSQL ``COPY`` from the CSV, SQLite ``executemany``.

One JSON line per size: {"bench","n","db","ours_s","rows_per_s","peer","peer_s","ratio",
"reimport_unchanged_s","peak_rss_mb",...}. ``*_cpu_s`` are this process's CPU seconds (with
SQLite they include the database's work, with PostgreSQL they do not; ``*_server_cpu_s`` are then the
PostgreSQL backend's, from ``/proc``): steadier than wall time on a shared machine; ``load_avg_1m``
says how shared it was.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

SIZES_VAR = "GRIDGOV_BENCH_IMPORT_SIZES"
QUICK = "200000"


def write_csv(path: str, n: int, grids: list[str], seed: int = 1) -> None:
    """N persons, one per grid in turn; (county, day, sequence) distinct for every i < 35M."""
    import numpy as np

    from gridgov.demo.identities import identity_numbers
    from gridgov.demo.registry import GIVEN, SOURCE_COUNTIES, SURNAMES

    rng = np.random.default_rng(seed)
    counties = [c for c, _ in SOURCE_COUNTIES] + ["310101", "310104", "310115"]
    base = date(1940, 1, 1)
    days = [base + timedelta(days=d) for d in range(25_000)]
    chunk = 200_000
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("公民身份号码,姓名,民族,联系方式,人口类型,网格编码\n")
        for start in range(0, n, chunk):
            idx = np.arange(start, min(n, start + chunk))
            k = idx // len(counties)
            areas = [counties[i] for i in (idx % len(counties)).tolist()]
            births = [days[d] for d in (k % 25_000).tolist()]
            numbers = identity_numbers(areas, births, 1 + (k // 25_000) % 999)
            s = rng.integers(0, len(SURNAMES), len(idx)).tolist()
            g1 = rng.integers(0, len(GIVEN), len(idx)).tolist()
            g2 = rng.integers(0, len(GIVEN), len(idx)).tolist()
            phones = rng.integers(0, 100_000_000, len(idx)).tolist()
            lines = [f"{num},{SURNAMES[a]}{GIVEN[b]}{GIVEN[c]},01,139{p:08d},{'01' if ar.startswith('31') else '02'},"
                     f"{grids[i % len(grids)]}\n"
                     for i, num, a, b, c, p, ar in zip(idx.tolist(), numbers, s, g1, g2, phones, areas, strict=True)]
            fh.write("".join(lines))


def raw_floor(path: str) -> float:
    """The rows of the CSV into an unindexed table of the same columns, no validation."""
    import csv

    from django.db import connection, transaction

    cols = ("identity_number", "name", "ethnicity", "phone", "population_type", "grid_code")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE bench_floor (identity_number varchar(18), name varchar(64), "
                    "ethnicity varchar(2), phone varchar(32), population_type varchar(2), grid_code varchar(15))")
        if connection.vendor == "postgresql":
            with open(path, "rb") as fh, cur.cursor.copy(
                    f"COPY bench_floor ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while data := fh.read(1 << 20):
                    copy.write(data)
        else:
            with open(path, encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                next(reader)
                batch = []
                for row in reader:
                    batch.append(row)
                    if len(batch) >= 5000:
                        cur.executemany("INSERT INTO bench_floor VALUES (%s, %s, %s, %s, %s, %s)", batch)
                        batch = []
                if batch:
                    cur.executemany("INSERT INTO bench_floor VALUES (%s, %s, %s, %s, %s, %s)", batch)
        cur.execute("DROP TABLE bench_floor")
    return time.perf_counter() - start


def clear_register() -> None:
    """Empty the person table (and the rows that refer to it). PostgreSQL: ``TRUNCATE … CASCADE`` (a
    ``DELETE`` of millions of persons checks sixteen referencing tables row by row: minutes, not
    part of any figure); elsewhere ``bench_import.clear_persons``."""
    from django.db import connection

    from gridgov.registry.models import Person

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {connection.ops.quote_name(Person._meta.db_table)} CASCADE")
        return
    from bench_import import clear_persons

    clear_persons()


def server_cpu() -> float | None:
    """CPU seconds (user + system) of this connection's PostgreSQL backend so far, from Linux's
    ``/proc/<pid>/stat`` (the server runs on this machine); ``None`` elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spent(before: float | None) -> float | None:
    after = server_cpu()
    return None if before is None or after is None else round(after - before, 3)


def child(n: int) -> int:
    tmp = tempfile.mkdtemp(prefix="gridgov-bench-scale-")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_import import setup_django

    os.environ["GRIDGOV_IMPORT_MAX_ROWS"] = str(max(n, 200_000))  # the city-scale file is one file here
    setup_django(tmp)
    from django.db import connection

    from gridgov.geo.models import Grid
    from gridgov.registry.imports import import_file

    clear_register()
    path = os.path.join(tmp, "persons.csv")
    t = time.perf_counter()
    write_csv(path, n, list(Grid.objects.values_list("code", flat=True)))
    gen_s = time.perf_counter() - t
    s = server_cpu()
    t, c = time.perf_counter(), time.process_time()
    result = import_file(kind="persons", path=path)
    ours_s, ours_cpu = time.perf_counter() - t, time.process_time() - c
    ours_server = _spent(s)
    assert result.written and result.created == n, result.as_dict()
    s = server_cpu()
    t, c = time.perf_counter(), time.process_time()
    again = import_file(kind="persons", path=path)
    reimport_s, reimport_cpu = time.perf_counter() - t, time.process_time() - c
    reimport_server = _spent(s)
    assert again.unchanged == n and again.created == 0 and again.updated == 0, again.as_dict()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    clear_register()
    peer_s = raw_floor(path)
    os.remove(path)
    print(json.dumps({
        "bench": "registry_import_scale", "n": n, "db": connection.vendor, "ours_s": round(ours_s, 3),
        "rows_per_s": round(n / ours_s), "peer": "raw floor: COPY/executemany into an unindexed table",
        "peer_s": round(peer_s, 3), "ratio": round(peer_s / ours_s, 3), "peer_rows_per_s": round(n / peer_s),
        "reimport_unchanged_s": round(reimport_s, 3), "reimport_rows_per_s": round(n / reimport_s),
        "ours_cpu_s": round(ours_cpu, 3), "reimport_cpu_s": round(reimport_cpu, 3),
        "ours_server_cpu_s": ours_server, "reimport_server_cpu_s": reimport_server,
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "peak_rss_mb": round(peak_mb, 1), "csv_generate_s": round(gen_s, 1),
    }), flush=True)
    return 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        return child(int(sys.argv[2]))
    sizes = [int(s) for s in os.environ.get(SIZES_VAR, QUICK).split(",") if s.strip()]
    for n in sizes:  # one child per size: its max RSS is that import's peak
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", str(n)], check=False)
        if done.returncode:
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
