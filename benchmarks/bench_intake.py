"""Case intake through the real HTTP stack: gunicorn on loopback, PostgreSQL.

    .venv/bin/python benchmarks/bench_intake.py                   # 3,000 submissions
    .venv/bin/python benchmarks/bench_intake.py --requests 300    # a quick run

Creates a fresh PostgreSQL database (``--database-url``, default
postgres://postgres@127.0.0.1:5432/gridgov_bench_intake; dropped and recreated), migrates it,
loads the tiny demo city and the taxonomy, makes a district-centre user with an API token, and
starts gunicorn as ``gridgov serve`` does (2 workers x 4 threads, gthread, gunicorn's other
defaults, among them 1,000 connections per worker) on 127.0.0.1. Ours: N ``POST /api/v1/cases/``
(JSON, a random point inside a grid, a fresh client_uuid each) over C keep-alive connections.
Peer: N ``GET /api/v1/accounts/me`` (a trivial authenticated endpoint) against the same server in
the same run. Then checks that every submission sent made exactly one case, one per client_uuid
(no lost, no duplicated case). Prints one JSON line.

Goal (docs/benchmarks.md, "Event intake"): >= 300 submissions/s and p99 < 100 ms with 8
keep-alive connections, 0 lost, 0 duplicated (``goal_met``). ``ratio`` = ours per second / peer
per second is reported for comparison with earlier runs; it is not a goal.

The load generator (``"client"`` in the JSON) is ``wrk`` when it is on PATH (``--client auto``;
Debian: ``apt-get install wrk``): one C thread, a Lua script that gives every request a fresh
client_uuid (run prefix + thread + counter, so the expected set is known exactly) and stops after
N responses; the few requests still in flight then are counted as sent and checked like the rest.
Otherwise (or ``--client python``) C Python threads with ``http.client``, which spend about as much
CPU per request as the server does, on the same cores. ``app_cpu_ms`` / ``db_cpu_ms``
(and ``peer_…``): CPU milliseconds per request spent by the gunicorn workers / the PostgreSQL
backends of the benchmark database (Linux /proc): less distorted by other load on a shared
machine than throughput and latency are. ``busiest_worker_share``: the busiest worker's share of
the workers' CPU (0.5 = both workers equally busy; with gunicorn's default connection limit one
worker may accept most of the keep-alive connections opened at once). ``load_average``: the
machine's 1-minute load average when the timed runs start (other work on the same cores).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
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


_WRK_SCRIPT = r"""
-- generated by bench_intake.py: exactly @QUOTA@ requests per thread; once all are answered the
-- thread says so on stdout and stops (the bench then interrupts wrk, which prints its summary)
local threads = {}
local points = {@POINTS@}
local categories = {@CATEGORIES@}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  scheduled, sent, done_n, ok, other = 0, 0, 0, 0, 0
end

-- wrk asks delay() before every request: past the quota a connection sends nothing more
function delay()
  if scheduled >= @QUOTA@ then return 3600000 end
  scheduled = scheduled + 1
  return 0
end

function request()
  -- wrk also calls request() once when a thread starts, before any delay(); that request is never
  -- sent, so it must not use up a client_uuid: a counted request needs a slot granted by delay()
  if sent >= scheduled then return wrk.format("GET", "/api/v1/health") end
  local i = sent
  sent = sent + 1
  if "@MODE@" == "submit" then
    local n = tid * @QUOTA@ + i
    local p = points[(n % #points) + 1]
    local key = string.format("@PREFIX@-%04x-4000-8000-%012x", tid, i)
    local body = string.format('{"category": "%s", "description": "bench %d", "lon": %s, "lat": %s, ' ..
                               '"client_uuid": "%s"}', categories[(n % #categories) + 1], n, p[1], p[2], key)
    return wrk.format("POST", "/api/v1/cases/", {["Authorization"] = "Bearer @TOKEN@",
                      ["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", "/api/v1/accounts/me", {["Authorization"] = "Bearer @TOKEN@"})
end

function response(status, headers, body)
  done_n = done_n + 1
  if status == @EXPECTED@ then ok = ok + 1 else other = other + 1 end
  if sent >= @QUOTA@ and done_n >= sent then
    io.write("WRK-THREAD-DONE\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local sent_list, ok_n, other_n = {}, 0, 0
  for _, t in ipairs(threads) do
    table.insert(sent_list, tostring(t:get("sent")))
    ok_n = ok_n + t:get("ok")
    other_n = other_n + t:get("other")
  end
  local e = summary.errors
  io.write(string.format('\nWRK-RESULT {"duration_us": %d, "responses": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"sent": [%s], "ok": %d, "other": %d, "socket_errors": %d}\n', summary.duration, summary.requests,
    latency:percentile(50), latency:percentile(99), table.concat(sent_list, ", "), ok_n, other_n,
    e.connect + e.read + e.write + e.timeout))
end
"""


def _run_wrk(port: int, n: int, concurrency: int, *, mode: str, token: str, points, categories,
             prefix: str, var_dir: str) -> dict:
    """One wrk run (1 thread, ``concurrency`` connections) of ``n`` responses; returns wrk's
    figures and the client_uuids sent (``mode="submit"``)."""
    threads = 1
    quota = -(-n // threads)
    script = (_WRK_SCRIPT.replace("@QUOTA@", str(quota)).replace("@MODE@", mode).replace("@TOKEN@", token)
              .replace("@PREFIX@", prefix).replace("@EXPECTED@", "201" if mode == "submit" else "200")
              .replace("@POINTS@", ", ".join(f"{{{x!r}, {y!r}}}" for x, y in points))
              .replace("@CATEGORIES@", ", ".join(f'"{c}"' for c in categories)))
    path = Path(var_dir) / f"wrk-{mode}.lua"
    path.write_text(script)
    # wrk runs for a duration; the script stops each thread after its quota and we interrupt the
    # rest of the duration (SIGINT: wrk then joins its threads and prints the summary)
    proc = subprocess.Popen(["wrk", "-t", str(threads), "-c", str(concurrency), "-d", "600s", "--timeout", "30s",
                             "-s", str(path), f"http://127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True)
    finished = 0
    for line in proc.stdout:
        if line.startswith("WRK-THREAD-DONE"):
            finished += 1
            if finished == threads:
                break
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode})")
    line = next(x for x in rest.splitlines() if x.startswith("WRK-RESULT "))
    result = json.loads(line.split(" ", 1)[1])
    result["keys"] = [f"{prefix}-{t:04x}-4000-8000-{i:012x}" for t, sent in enumerate(result["sent"])
                      for i in range(sent)] if mode == "submit" else []
    return result


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
    before = _cpu_seconds(app), _cpu_seconds(db), [_cpu_seconds([pid]) for pid in app]
    result = run()
    per_worker = [_cpu_seconds([pid]) - b for pid, b in zip(app, before[2], strict=True)]
    busiest = max(per_worker) / sum(per_worker) if sum(per_worker) else 0.0
    return result, (_cpu_seconds(app) - before[0], _cpu_seconds(db) - before[1], busiest)


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
                        help="gthread: connections one worker holds (0, the default: gunicorn's, 1,000, "
                             "as `gridgov serve` runs it)")
    parser.add_argument("--warmup", type=int, default=40, help="untimed requests per path before the runs")
    parser.add_argument("--client", default="auto", choices=["auto", "wrk", "python"],
                        help="load generator: wrk (if on PATH, for auto) or Python threads")
    parser.add_argument("--database-url", default=os.environ.get("GRIDGOV_BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()

    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    elif client == "wrk" and not shutil.which("wrk"):
        parser.error("--client wrk: wrk is not on PATH")
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
        me = lambda i: ("GET", "/api/v1/accounts/me", None, auth)  # noqa: E731
        load_average = os.getloadavg()[0]
        if client == "wrk":
            prefix = uuid.uuid4().hex[:8]
            common = dict(token=token, points=points, categories=categories, prefix=prefix, var_dir=var_dir)
            ours, ours_cpu = _measured(server.pid, args.database_url, lambda: _run_wrk(
                port, args.requests, args.concurrency, mode="submit", **common))
            peer, peer_cpu = _measured(server.pid, args.database_url, lambda: _run_wrk(
                port, args.requests, args.concurrency, mode="me", **common))
            keys = ours["keys"]
            ours_n, peer_n = ours["responses"], peer["responses"]
            ours_sent, peer_sent = len(keys), sum(peer["sent"])
            ours_s, peer_s = ours["duration_us"] / 1e6, peer["duration_us"] / 1e6
            p50, p99 = ours["p50_us"] / 1000, ours["p99_us"] / 1000
            peer_p50, peer_p99 = peer["p50_us"] / 1000, peer["p99_us"] / 1000
            errors = ours["other"] + ours["socket_errors"]
            peer_errors = peer["other"] + peer["socket_errors"]
        else:
            submission = submission_with(keys)
            (ours_s, ours_lat, ours_status), ours_cpu = _measured(
                server.pid, args.database_url, lambda: _run(port, args.requests, args.concurrency, submission))
            (peer_s, peer_lat, peer_status), peer_cpu = _measured(
                server.pid, args.database_url, lambda: _run(port, args.requests, args.concurrency, me))
            ours_n = peer_n = ours_sent = peer_sent = args.requests
            p50, p99 = _pct(ours_lat, 0.5), _pct(ours_lat, 0.99)
            peer_p50, peer_p99 = _pct(peer_lat, 0.5), _pct(peer_lat, 0.99)
            errors = sum(1 for s in ours_status if s != 201)
            peer_errors = sum(1 for s in peer_status if s != 200)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()

    from gridgov.cases.models import Case

    # every submission sent (timed and warm-up) made exactly one case; no other case exists
    expected = keys + warm
    stored = list(Case.objects.filter(client_uuid__in=expected).values_list("client_uuid", flat=True))
    lost = len(set(expected) - {str(k) for k in stored})
    duplicated = len(stored) - len({str(k) for k in stored})
    duplicated += Case.objects.count() - Case.objects.filter(client_uuid__in=expected).count()  # strays
    connections.close_all()
    ours_rate, peer_rate = ours_n / ours_s, peer_n / peer_s
    goal_met = ours_rate >= 300 and p99 < 100 and errors == 0 and lost == 0 and duplicated == 0
    print(json.dumps({
        "bench": "intake", "goal": ">= 300 submissions/s, p99 < 100 ms, 0 lost, 0 duplicated",
        "goal_met": goal_met, "n": args.requests, "ours_s": round(ours_s, 3),
        "peer": "GET /api/v1/accounts/me (same server, same run)", "peer_s": round(peer_s, 3),
        "ratio": round(ours_rate / peer_rate, 3),  # reported, not a goal
        "submissions_per_s": round(ours_rate, 1), "peer_per_s": round(peer_rate, 1),
        "p50_ms": round(p50, 1), "p99_ms": round(p99, 1),
        "peer_p50_ms": round(peer_p50, 1), "peer_p99_ms": round(peer_p99, 1),
        "app_cpu_ms": round(ours_cpu[0] / ours_sent * 1000, 2),
        "db_cpu_ms": round(ours_cpu[1] / ours_sent * 1000, 2),
        "peer_app_cpu_ms": round(peer_cpu[0] / peer_sent * 1000, 2),
        "peer_db_cpu_ms": round(peer_cpu[1] / peer_sent * 1000, 2),
        # the busiest gunicorn worker's share of the workers' CPU (1/workers: evenly shared)
        "busiest_worker_share": round(ours_cpu[2], 2), "peer_busiest_worker_share": round(peer_cpu[2], 2),
        "ours_responses": ours_n, "ours_sent": ours_sent, "peer_responses": peer_n, "peer_sent": peer_sent,
        "errors": errors, "peer_errors": peer_errors,
        "lost": lost, "duplicated": duplicated, "checked_cases": len(expected), "client": client,
        "workers": args.workers, "threads": args.threads,
        "worker_class": args.worker_class, "worker_connections": args.worker_connections or None,
        "concurrency": args.concurrency, "database": "postgresql", "load_average": round(load_average, 2),
    }))
    return 0 if lost == 0 and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
