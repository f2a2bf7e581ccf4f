"""Case intake through the real HTTP stack: gunicorn on loopback, PostgreSQL.

    .venv/bin/python benchmarks/bench_intake.py                   # 3,000 submissions
    .venv/bin/python benchmarks/bench_intake.py --requests 300    # a quick run

Creates a fresh PostgreSQL database (``--database-url``, default
postgres://postgres@127.0.0.1:5432/gridgov_bench_intake; dropped and recreated), migrates it,
loads the tiny demo city and the taxonomy, makes a district-centre user with an API token, and
starts gunicorn (2 workers x 4 threads, gthread) on 127.0.0.1. Ours: N ``POST /api/v1/cases/``
(JSON, a random point inside a grid, a fresh client_uuid each) from C client threads with
keep-alive connections. Peer: N ``GET /api/v1/accounts/me`` (a trivial authenticated endpoint)
against the same server in the same run. Then checks that exactly N cases exist, one per
client_uuid (no lost, no duplicated case). Prints one JSON line; ratio = peer_s / ours_s
(throughput of submissions relative to the trivial endpoint). ``app_cpu_ms`` / ``db_cpu_ms``
(and ``peer_…``): CPU milliseconds per request spent by the gunicorn workers / the PostgreSQL
backends of the benchmark database (Linux /proc): less distorted by other load on a shared
machine than throughput and latency are.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/gridgov_bench_intake"


def _recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _prepare(var_dir: str) -> tuple[str, list[tuple[float, float]]]:
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gridgov.accounts import services as accounts
    from gridgov.cases import services
    from gridgov.demo.geo import load_demo_city
    from gridgov.geo.models import Grid
    from gridgov.geo.selectors import locate_codes

    accounts.roles_sync()
    load_demo_city(scale="tiny", seed=1)
    services.taxonomy_sync()
    user = accounts.user_create(username="bench", password="bench-password-123", validate_password=False)
    accounts.membership_grant(user=user, role_code="district_centre", jurisdiction="310101")
    _, token = accounts.token_create(user=user, name="bench")
    boxes = np.array(list(Grid.objects.values_list("min_lon", "min_lat", "max_lon", "max_lat")), dtype=float)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, len(boxes), 4000)
    lon = boxes[idx, 0] + rng.random(4000) * (boxes[idx, 2] - boxes[idx, 0])
    lat = boxes[idx, 1] + rng.random(4000) * (boxes[idx, 3] - boxes[idx, 1])
    codes = locate_codes(lon, lat)
    points = [(round(float(x), 6), round(float(y), 6)) for c, x, y in zip(codes, lon, lat, strict=True) if c]
    return token, points


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _run(port: int, n: int, concurrency: int, make_request) -> tuple[float, list[float], list[int]]:
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    counter = iter(range(n))

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine_l, mine_s = [], []
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body, headers = make_request(i)
            t = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            mine_l.append(time.perf_counter() - t)
            mine_s.append(status)
        with lock:
            latencies.extend(mine_l)
            statuses.extend(mine_s)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - start, latencies, statuses


def _cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (Linux /proc; 0 where unreadable)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def _server_pids(master: int, database_url: str) -> tuple[list[int], list[int]]:
    """The gunicorn workers, and the PostgreSQL backends serving the benchmark database."""
    import psycopg

    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                children.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    name = urlparse(database_url).path.lstrip("/")
    with psycopg.connect(database_url, autocommit=True) as conn:
        backends = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                               "AND pid <> pg_backend_pid()", (name,))]
    return children, backends


def _measured(master: int, database_url: str, run):
    """Run ``run()``; also return the CPU seconds that the gunicorn workers and the PostgreSQL
    backends spent meanwhile (the load generator and anything else on the machine excluded)."""
    app, db = _server_pids(master, database_url)
    before = _cpu_seconds(app), _cpu_seconds(db)
    result = run()
    return result, (_cpu_seconds(app) - before[0], _cpu_seconds(db) - before[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--worker-connections", type=int, default=0,
                        help="gthread: connections one worker holds (0: gunicorn's default, 1000)")
    parser.add_argument("--warmup", type=int, default=40, help="untimed requests per path before the runs")
    parser.add_argument("--database-url", default=os.environ.get("GRIDGOV_BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="gridgov-bench-intake-")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings", "GRIDGOV_DATABASE_URL": args.database_url,
           "GRIDGOV_VAR_DIR": var_dir, "GRIDGOV_ENV": "development", "GRIDGOV_DEBUG": "0"}
    os.environ.update(env)
    _recreate_database(args.database_url)
    token, points = _prepare(var_dir)
    from django.db import connections

    connections.close_all()

    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "gridgov.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", str(args.workers),
         "-k", args.worker_class, "--threads", str(args.threads), "--log-level", "warning",
         *(["--worker-connections", str(args.worker_connections)] if args.worker_connections else [])],
        env=env, cwd=var_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(port)
        auth = {"Authorization": f"Bearer {token}"}
        warm = [str(uuid.uuid4()) for _ in range(args.warmup)]
        keys = [str(uuid.uuid4()) for _ in range(args.requests)]
        rnd = random.Random(7)
        categories = ["E0102", "E0101", "E0501", "C0104", "E0201", "E0303"]

        def submission_with(key_list):
            def submission(i):
                lon, lat = points[i % len(points)]
                body = json.dumps({"category": categories[i % len(categories)], "description": f"bench {i}",
                                   "lon": lon, "lat": lat, "client_uuid": key_list[i]})
                return "POST", "/api/v1/cases/", body, {**auth, "Content-Type": "application/json"}
            return submission

        rnd.shuffle(points)
        # warm up both paths in every worker (connections, locator, calendar, category cache); the
        # warm-up cases are not timed but are checked like the others
        _run(port, args.warmup, args.concurrency, lambda i: ("GET", "/api/v1/accounts/me", None, auth))
        _, _, warm_status = _run(port, args.warmup, args.concurrency, submission_with(warm))
        if any(s != 201 for s in warm_status):
            raise RuntimeError(f"warm-up submissions failed: {sorted(set(warm_status))}")
        submission = submission_with(keys)
        (ours_s, ours_lat, ours_status), ours_cpu = _measured(
            server.pid, args.database_url, lambda: _run(port, args.requests, args.concurrency, submission))
        (peer_s, peer_lat, peer_status), peer_cpu = _measured(
            server.pid, args.database_url,
            lambda: _run(port, args.requests, args.concurrency, lambda i: ("GET", "/api/v1/accounts/me", None, auth)))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()

    from gridgov.cases.models import Case

    expected = keys + warm
    stored = list(Case.objects.filter(client_uuid__in=expected).values_list("client_uuid", flat=True))
    lost = len(set(expected) - {str(k) for k in stored})
    duplicated = len(stored) - len({str(k) for k in stored})
    duplicated += Case.objects.count() - Case.objects.filter(client_uuid__in=expected).count()  # strays
    connections.close_all()
    print(json.dumps({
        "bench": "intake", "n": args.requests, "ours_s": round(ours_s, 3),
        "peer": "GET /api/v1/accounts/me (same server, same run)", "peer_s": round(peer_s, 3),
        "ratio": round(peer_s / ours_s, 3),
        "submissions_per_s": round(args.requests / ours_s, 1), "peer_per_s": round(args.requests / peer_s, 1),
        "p50_ms": round(_pct(ours_lat, 0.5), 1), "p99_ms": round(_pct(ours_lat, 0.99), 1),
        "peer_p50_ms": round(_pct(peer_lat, 0.5), 1), "peer_p99_ms": round(_pct(peer_lat, 0.99), 1),
        "app_cpu_ms": round(ours_cpu[0] / args.requests * 1000, 2),
        "db_cpu_ms": round(ours_cpu[1] / args.requests * 1000, 2),
        "peer_app_cpu_ms": round(peer_cpu[0] / args.requests * 1000, 2),
        "peer_db_cpu_ms": round(peer_cpu[1] / args.requests * 1000, 2),
        "errors": sum(1 for s in ours_status if s != 201), "peer_errors": sum(1 for s in peer_status if s != 200),
        "lost": lost, "duplicated": duplicated, "workers": args.workers, "threads": args.threads,
        "worker_class": args.worker_class, "worker_connections": args.worker_connections or None,
        "concurrency": args.concurrency, "database": "postgresql",
    }))
    return 0 if lost == 0 and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
