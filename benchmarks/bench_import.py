"""Person import from CSV: gridgov.registry.imports vs plain ``executemany`` of the same rows.

    python benchmarks/bench_import.py [--rows 1000000] [--seed 1] [--houses]

Database: ``GRIDGOV_DATABASE_URL`` when set (e.g. PostgreSQL), else a fresh SQLite file in a
temporary directory. The tiny demo geography is loaded for its grids. A CSV of N persons (valid
identity numbers, Chinese headers; each row in a grid, or with ``--houses`` at a house, which adds
a residence row per person) is written first, then, in this one process:

  * ours: ``imports.import_file(kind="persons", mode="all-or-nothing")`` — decode, validate every
    field, blind-index, find duplicates in the file, look up existing rows (upsert), insert;
  * peer: read the same CSV with ``csv.reader`` and ``cursor.executemany`` the rows into the same
    table (same indexes; after deleting ours), in batches of 5,000, no validation.

Memory: resident set size sampled every 0.1 s during ours (``rss_start_mb``, ``rss_peak_mb``, and
``rss_at`` at 25/50/75/100 % of the rows) — flat means the peak does not grow with N.
CPU: ``ours_cpu_s``/``peer_cpu_s`` are this process's CPU seconds (``time.process_time``) — steadier than
wall time on a shared machine; with SQLite they include the database work, with PostgreSQL they do not.
Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import threading
import time
from datetime import date, timedelta


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class RssSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak = _rss_mb()
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, _rss_mb())
            time.sleep(0.1)


def setup_django(var_dir: str) -> None:
    os.environ.setdefault("GRIDGOV_VAR_DIR", var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from gridgov.geo.models import Grid

    if not Grid.objects.exists():
        from gridgov.demo.geo import load_demo_city

        load_demo_city(scale="tiny", seed=1)


def write_persons_csv(path: str, n: int, seed: int, houses: list[str] | None = None) -> list[tuple[str, str]]:
    """N persons with valid, distinct identity numbers. Returns a sample of (number, name) pairs."""
    from gridgov.core.idnumber import make_identity_number
    from gridgov.demo.registry import GIVEN, SOURCE_COUNTIES, SURNAMES
    from gridgov.geo.models import Grid

    rng = random.Random(seed)
    grids = list(Grid.objects.values_list("code", flat=True))
    counties = [c for c, _ in SOURCE_COUNTIES] + ["310101", "310104", "310115"]
    base = date(1940, 1, 1)
    sample = []
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["公民身份号码", "姓名", "民族", "联系方式", "人口类型", "网格编码" if not houses else "房屋编号"])
        for i in range(n):
            # distinct by construction: (county, day, sequence) walks without repeating for n < 35M
            county = counties[i % len(counties)]
            k = i // len(counties)
            birth = base + timedelta(days=k % 25_000)
            number = make_identity_number(county, birth, 1 + (k // 25_000) % 999)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            place = houses[i % len(houses)] if houses else grids[i % len(grids)]
            w.writerow([number, name, "01", f"139{rng.randint(0, 99_999_999):08d}",
                        "01" if county.startswith("31") else "02", place])
            if i % max(1, n // 2000) == 0:
                sample.append((number, name))
    return sample


def peer_executemany(path: str) -> float:
    """Plain csv.reader + executemany of the same rows into the person table (no validation)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from gridgov.registry.models import Person

    qn = connection.ops.quote_name
    cols = ["identity_number", "id_hmac", "id_last4", "doc_type", "doc_number", "name", "former_name", "sex",
            "ethnicity", "nationality", "hukou_division", "hukou_address", "phone", "population_type",
            "household_separated", "empty_registration", "status", "grid_code", "version", "created_at",
            "updated_at"]
    sql = (f"INSERT INTO {qn(Person._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "
           f"VALUES ({', '.join(['%s'] * len(cols))})")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    start = time.perf_counter()
    with transaction.atomic(), open(path, encoding="utf-8", newline="") as fh, connection.cursor() as cur:
        reader = csv.reader(fh)
        next(reader)
        batch = []
        for number, name, eth, phone, pop, grid in reader:
            batch.append((number, number, number[-4:], "111", "", name, "", "0", eth, "CN", number[:6], "", phone,
                          pop, False, False, "active", grid, 1, now, now))
            if len(batch) >= 5000:
                cur.executemany(sql, batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
    return time.perf_counter() - start


def clear_persons() -> None:
    from django.db import transaction

    from gridgov.registry.models import (
        DuplicateCandidate,
        Person,
        RentalRegistration,
        Residence,
        ResidencePermit,
    )

    with transaction.atomic():  # the rows that refer to persons first (the demo register has them all)
        for model in (RentalRegistration.tenants.through, ResidencePermit, DuplicateCandidate, Residence, Person):
            qs = model.objects.all()
            qs._raw_delete(qs.db)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--houses", action="store_true", help="rows name a house (adds a residence row each)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="gridgov-bench-import-")
    setup_django(tmp)
    from django.db import connection

    from gridgov.registry.imports import import_file
    from gridgov.registry.models import House, Person

    clear_persons()
    houses = None
    if args.houses:
        from gridgov.demo import registry as demo_registry

        if not House.objects.exists():
            demo_registry.load(scale="tiny", seed=args.seed)
        clear_persons()
        houses = list(House.objects.values_list("house_code", flat=True))
    path = os.path.join(tmp, "persons.csv")
    t = time.perf_counter()
    write_persons_csv(path, args.rows, args.seed, houses)
    gen_s = time.perf_counter() - t

    marks = {}
    sampler = RssSampler()
    rss_start = _rss_mb()
    sampler.start()

    def progress(stage, done, total):
        if total:
            for q in (25, 50, 75):
                if done * 100 >= q * total and q not in marks:
                    marks[q] = round(_rss_mb(), 1)

    t, c = time.perf_counter(), time.process_time()
    result = import_file(kind="persons", path=path, progress=progress)
    ours_s, ours_cpu = time.perf_counter() - t, time.process_time() - c
    marks[100] = round(_rss_mb(), 1)
    sampler.running = False
    sampler.join()
    assert result.written and result.created == args.rows, result.as_dict()
    t = time.perf_counter()
    again = import_file(kind="persons", path=path)
    reimport_s = time.perf_counter() - t
    assert again.unchanged == args.rows and again.created == 0 and again.updated == 0
    clear_persons()
    c = time.process_time()
    peer_s = peer_executemany(path)
    peer_cpu = time.process_time() - c
    assert Person.objects.count() == args.rows
    clear_persons()
    print(json.dumps({
        "bench": "registry_import_persons", "n": args.rows, "db": connection.vendor,
        "with_houses": bool(args.houses), "ours_s": round(ours_s, 3), "peer": "csv.reader + executemany",
        "peer_s": round(peer_s, 3), "ratio": round(peer_s / ours_s, 3),
        "ours_rows_per_s": round(args.rows / ours_s), "peer_rows_per_s": round(args.rows / peer_s),
        "ours_cpu_s": round(ours_cpu, 3), "peer_cpu_s": round(peer_cpu, 3),
        "cpu_ratio": round(peer_cpu / ours_cpu, 3) if ours_cpu else None,
        "reimport_unchanged_s": round(reimport_s, 3), "csv_generate_s": round(gen_s, 1),
        "rss_start_mb": round(rss_start, 1), "rss_peak_mb": round(sampler.peak, 1), "rss_at_pct": marks,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
