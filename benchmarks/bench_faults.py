"""Reliability under faults: mixed load on PostgreSQL against `gridgov serve` while the server is
killed and the database connections are terminated (issue 15, "Recovery"). Loopback only, bounded.

    .venv/bin/python benchmarks/bench_faults.py                  # 10 minutes
    .venv/bin/python benchmarks/bench_faults.py --minutes 2      # a quick run

Creates a fresh PostgreSQL database (``--database-url``, default
postgres://postgres@127.0.0.1:5432/gridgov_bench_faults; dropped and recreated) and prepares it as
bench_intake.py does (its helpers: the tiny demo city, the taxonomy, a district-centre user with an
API token), plus a street-centre user who may import houses and an Open311 api_key without an hourly
limit. Then starts ``gridgov serve`` (gunicorn, GRIDGOV_WORKERS=2 x 4 threads) on 127.0.0.1 and
``gridgov worker``, each in a process group of its own and runs ``--clients`` client threads for ``--minutes``, each picking an
operation by weight:

  intake        POST /api/v1/cases/ with a fresh client_uuid
  transition    POST /api/v1/cases/{id}/transitions (accept) of a case this run reported, client_uuid
  search        GET /api/v1/registry/persons?name=…
  open311_get   GET /open311/v2/requests.json
  open311_post  POST /open311/v2/requests.json with an Idempotency-Key header
  import        POST /api/v1/registry/imports/houses: a CSV of 20 houses with fresh house codes,
                queued for ``gridgov worker`` (202 + job); acknowledged when the job, polled at
                GET /api/v1/registry/imports/jobs/{id}, is done with all 20 rows (a failed or
                interrupted job is sent again: an upsert by house code)

A write whose answer is lost (connection refused or reset, timeout) or 503 is retried with the
same key, as a client should, until it is acknowledged (2xx with an id) or 90 s have passed; a
timeout of 30 s per attempt. Faults, at fixed shares of the run: the whole server process group
SIGKILLed (master and workers), with the task worker, and started again, at 20 % and 55 %; every connection of the
database terminated (``pg_terminate_backend``) at 35 % and 75 %. A fault's window lasts from its
start until the server answers again (a kill) or 10 s (a termination).

Afterwards, read from the database: every acknowledged write is stored exactly once (by its key:
the case's client_uuid, the Open311 case's key derived from its Idempotency-Key, the timeline
event's client_uuid, the house code); a case without a key of this run (a retry that made a
second case) counts as duplicated. Prints one JSON line: per operation the requests, p50 and p99
(all attempts; and the same before the first fault, the ``peer``), counts of acknowledged / stored /
duplicated / lost, the status codes seen (0 = no answer), 5xx other than 503 (must be 0) and 503s
outside the fault windows. ``ok`` is true when nothing was lost or duplicated and no 5xx other than
503 was seen. ``load_average``: the 1-minute load average at the start and at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bench_intake import _free_port, _pct, _prepare, _recreate_database, _wait  # noqa: E402  (a sibling script)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/gridgov_bench_faults"
WEIGHTS = {"intake": 30, "transition": 15, "search": 20, "open311_get": 15, "open311_post": 15, "import": 5}
CATEGORIES = ["E0102", "E0101", "E0501", "C0104", "E0201", "E0303"]
RETRY_FOR_S = 90
TIMEOUT_S = 30


def _extra_setup(token_user_prefix: str = "310101") -> dict:
    """What bench_intake's ``_prepare`` does not make: an importer, an Open311 key, service codes."""
    from gridgov.accounts import services as accounts
    from gridgov.cases import selectors
    from gridgov.cases import services as cases
    from gridgov.geo.models import Grid

    grids = list(Grid.objects.filter(code__startswith=token_user_prefix).order_by("code")
                 .values_list("code", flat=True))
    street = grids[0][:9]
    importer = accounts.user_create(username="bench-import", password="bench-password-123", validate_password=False)
    accounts.membership_grant(user=importer, role_code="street_centre", jurisdiction=street)
    _, import_token = accounts.token_create(user=importer, name="bench")
    key, raw_key = cases.open311_key_create(name="bench", max_per_hour=0)
    # services a citizen can post with a description alone (no required attribute)
    codes = [code for code, attrs in selectors.categories(leaves_only=True, public_only=True)
             .values_list("open311_code", "attributes") if not any(a.get("required") for a in attrs or [])]
    return {"import_token": import_token, "api_key": raw_key, "api_key_id": key.pk,
            "street_grids": [g for g in grids if g.startswith(street)], "service_codes": codes}


class Load:
    """The client side: operations, their keys and what was acknowledged."""

    def __init__(self, port: int, token: str, extra: dict, points, seed: int):
        self.port, self.token, self.extra, self.points = port, token, extra, points
        self.rnd = random.Random(seed)
        self.lock = threading.Lock()
        self.samples: list[tuple[str, float, int, float]] = []  # (op, seconds, status, at monotonic)
        self.acked: dict[str, set[str]] = defaultdict(set)      # op -> keys acknowledged
        self.sent: dict[str, set[str]] = defaultdict(set)       # op -> keys sent at least once
        self.gave_up: Counter = Counter()
        self.examples: dict[tuple[str, int], str] = {}             # the first answer body of each error
        self.reported: list[int] = []                           # case ids ready for a transition
        self.house_seq = 0

    # -- one HTTP exchange
    def _call(self, conn_box: list, op: str, method: str, path: str, body=None, headers=None):
        t = time.perf_counter()
        status, data = 0, b""
        try:
            conn = conn_box[0]
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn_box[0].close()
            conn_box[0] = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)
        with self.lock:
            self.samples.append((op, time.perf_counter() - t, status, time.monotonic()))
            if status >= 400 and (op, status) not in self.examples:
                self.examples[(op, status)] = data[:300].decode("utf-8", "replace")
        return status, data

    def _write(self, conn_box, op: str, key: str, method: str, path: str, body, headers, acked) -> None:
        """Send until acknowledged (``acked(status, data)``) or given up; the same key every time."""
        with self.lock:
            self.sent[op].add(key)
        deadline = time.monotonic() + RETRY_FOR_S
        while True:
            status, data = self._call(conn_box, op, method, path, body, headers)
            result = acked(status, data)
            if result is not None:
                with self.lock:
                    self.acked[op].add(key)
                    if op == "intake":
                        self.reported.append(result)
                return
            if status not in (0, 503) or time.monotonic() > deadline:
                with self.lock:
                    self.gave_up[(op, status)] += 1
                return
            time.sleep(0.5 if status == 0 else 1.0)

    # -- operations
    def intake(self, conn_box) -> None:
        key = str(uuid.uuid4())
        lon, lat = self.rnd.choice(self.points)
        body = json.dumps({"category": self.rnd.choice(CATEGORIES), "description": "故障演练：路面积水",
                           "lon": lon, "lat": lat, "client_uuid": key})

        def acked(status, data):
            if status in (200, 201):
                return json.loads(data).get("id")
            return None

        self._write(conn_box, "intake", key, "POST", "/api/v1/cases/", body,
                    {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}, acked)

    def transition(self, conn_box) -> None:
        with self.lock:
            case_id = self.reported.pop(self.rnd.randrange(len(self.reported))) if self.reported else None
        if case_id is None:
            return self.search(conn_box)
        key = str(uuid.uuid4())
        body = json.dumps({"action": "accept", "note": "已受理（演练）", "client_uuid": key})

        def acked(status, data):
            return case_id if status == 200 and json.loads(data).get("id") == case_id else None

        self._write(conn_box, "transition", key, "POST", f"/api/v1/cases/{case_id}/transitions", body,
                    {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}, acked)
        return None

    def search(self, conn_box) -> None:
        name = self.rnd.choice(["张", "李", "王", "陈"])
        self._call(conn_box, "search", "GET", "/api/v1/registry/persons?" + urlencode({"name": name}),
                   headers={"Authorization": f"Bearer {self.token}"})

    def open311_get(self, conn_box) -> None:
        self._call(conn_box, "open311_get", "GET", "/open311/v2/requests.json")

    def open311_post(self, conn_box) -> None:
        key = uuid.uuid4().hex
        lon, lat = self.rnd.choice(self.points)
        body = urlencode({"api_key": self.extra["api_key"], "service_code": self.rnd.choice(self.extra["service_codes"]),
                          "lat": lat, "long": lon, "description": "市民报告：井盖缺失"})

        def acked(status, data):
            if status in (200, 201):
                return json.loads(data)[0].get("service_request_id")
            return None

        self._write(conn_box, "open311_post", key, "POST", "/open311/v2/requests.json", body,
                    {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": key}, acked)

    def import_(self, conn_box) -> None:
        with self.lock:
            first = self.house_seq
            self.house_seq += 20
        codes = [f"FLT-{first + i:07d}" for i in range(20)]
        grids = self.extra["street_grids"]
        rows = ["house_code,address,grid_code"] + [f"{c},演练路{first + i}号,{grids[(first + i) % len(grids)]}"
                                                   for i, c in enumerate(codes)]
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"houses.csv\"\r\n"
                f"Content-Type: text/csv\r\n\r\n" + "\n".join(rows) + f"\r\n--{boundary}--\r\n").encode("utf-8")
        key = ",".join(codes)
        headers = {"Authorization": f"Bearer {self.extra['import_token']}"}
        with self.lock:
            self.sent["import"].add(key)
        deadline = time.monotonic() + RETRY_FOR_S
        while True:  # the API queues the import (202 + job); acknowledged = the job done with all 20 rows
            status, data = self._call(conn_box, "import", "POST", "/api/v1/registry/imports/houses", body,
                                      {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
            if status == 202:
                done = self._follow_job(conn_box, json.loads(data)["id"], headers, deadline)
                if done:
                    with self.lock:
                        self.acked["import"].add(key)
                    return
                status = 503  # the job failed or was interrupted: send the same rows again (an upsert)
            if status not in (0, 503) or time.monotonic() > deadline:
                with self.lock:
                    self.gave_up[("import", status)] += 1
                return
            time.sleep(0.5 if status == 0 else 1.0)

    def _follow_job(self, conn_box, job_id: int, headers: dict, deadline: float) -> bool:
        """Poll an import job until it ends: True when it wrote the 20 rows, False when it failed."""
        while time.monotonic() < deadline:
            status, data = self._call(conn_box, "import_job", "GET", f"/api/v1/registry/imports/jobs/{job_id}",
                                      headers=headers)
            if status == 200:
                job = json.loads(data)
                if job.get("state") == "done":
                    return bool(job.get("written")) and job.get("created", 0) + job.get("unchanged", 0) == 20
                if job.get("state") == "failed" or job.get("interrupted"):
                    return False
            time.sleep(0.3)
        return False

    def client(self, until: float, seed: int) -> None:
        rnd = random.Random(seed)
        ops = [getattr(self, "import_" if op == "import" else op) for op in WEIGHTS]
        weights = list(WEIGHTS.values())
        conn_box = [http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)]
        while time.monotonic() < until:
            rnd.choices(ops, weights)[0](conn_box)
        conn_box[0].close()


class Server:
    """`gridgov serve` and `gridgov worker` (the API import runs in the worker), each in a process group
    of its own, so that a SIGKILL takes master and workers: a kill stops both, as a machine crash would."""

    def __init__(self, port: int, env: dict, cwd: str):
        self.port, self.env, self.cwd = port, env, cwd
        self.procs: list[subprocess.Popen] = []

    def _spawn(self, *argv: str) -> subprocess.Popen:
        gridgov = Path(sys.executable).with_name("gridgov")
        return subprocess.Popen([str(gridgov), *argv], env=self.env, cwd=self.cwd, stdout=subprocess.DEVNULL,
                                stderr=open(Path(self.cwd) / f"{argv[0]}.log", "ab"),  # noqa: SIM115
                                start_new_session=True)

    def start(self) -> None:
        self.procs = [self._spawn("serve", "--host", "127.0.0.1", "--port", str(self.port)),
                      self._spawn("worker", "--tick", "1")]
        _wait(self.port, timeout=120)

    def kill(self) -> None:
        for proc in self.procs:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        # workers orphaned in the same group are gone too; wait for the port to be free again
        time.sleep(0.5)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                continue
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _terminate_connections(database_url: str) -> int:
    import psycopg

    name = urlparse(database_url).path.lstrip("/")
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                            "AND pid <> pg_backend_pid()", (name,)).fetchall()
    return sum(1 for (ok,) in rows if ok)


def _faults(server: Server, database_url: str, start: float, seconds: float, windows: list, log: list) -> None:
    plan = sorted([(0.20, "kill"), (0.35, "terminate"), (0.55, "kill"), (0.75, "terminate")])
    for share, kind in plan:
        delay = start + share * seconds - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        began = time.monotonic()
        if kind == "kill":
            server.kill()
            server.start()
            ended = time.monotonic() + 2  # answers in flight when it came back
            log.append({"fault": "server SIGKILL + restart", "at_s": round(began - start, 1),
                        "down_s": round(ended - 2 - began, 1)})
        else:
            n = _terminate_connections(database_url)
            ended = began + 10
            log.append({"fault": "pg_terminate_backend", "at_s": round(began - start, 1), "connections": n})
        windows.append((began, ended))


def _verify(load: Load, extra: dict) -> dict:
    """Every acknowledged write stored exactly once, read from the database."""
    from django.db import connections
    from django.db.models import Count

    from gridgov.cases.models import Case, CaseEvent
    from gridgov.cases.open311.views import IDEMPOTENCY_NAMESPACE
    from gridgov.registry.models import House

    connections.close_all()
    out = {}

    def tally(op: str, stored_keys: list[str], acked: set[str], sent: set[str]) -> None:
        counts = Counter(stored_keys)
        out[op] = {"acknowledged": len(acked), "sent": len(sent), "stored": len(counts),
                   "duplicated": sum(n - 1 for n in counts.values()),
                   "lost": len(acked - set(counts)), "stored_not_acknowledged": len(set(counts) - acked)}

    intake_keys = load.sent["intake"]
    stored = [str(k) for k in Case.objects.filter(client_uuid__in=list(intake_keys)).values_list("client_uuid", flat=True)]
    tally("intake", stored, load.acked["intake"], intake_keys)
    # Open311: the case's client_uuid is derived from the api_key and the Idempotency-Key (views.py)
    derive = {str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{extra['api_key_id']}:header:{k}")): k
              for k in load.sent["open311_post"]}
    stored = [derive[str(k)] for k in Case.objects.filter(client_uuid__in=list(derive))
              .values_list("client_uuid", flat=True)]
    tally("open311_post", stored, load.acked["open311_post"], load.sent["open311_post"])
    # strays: cases of this run without one of its keys (a retried write that made a second case)
    warmup_free = Case.objects.exclude(client_uuid__in=list(intake_keys) + list(derive)).count()
    out["stray_cases"] = warmup_free
    keys = load.sent["transition"]
    stored = [str(k) for k in CaseEvent.objects.filter(client_uuid__in=list(keys)).values_list("client_uuid", flat=True)]
    tally("transition", stored, load.acked["transition"], keys)
    twice = (CaseEvent.objects.filter(action="accept").values("case_id").annotate(n=Count("id"))
             .filter(n__gt=1).count())
    out["transition"]["cases_accepted_twice"] = twice
    codes = {c: batch for batch in load.sent["import"] for c in batch.split(",")}
    stored_codes = list(House.objects.filter(house_code__in=list(codes)).values_list("house_code", flat=True))
    per_batch = Counter(codes[c] for c in set(stored_codes))
    full = [b for b, n in per_batch.items() if n == 20]
    partial = [b for b, n in per_batch.items() if n != 20]
    out["import"] = {"acknowledged": len(load.acked["import"]), "sent": len(load.sent["import"]),
                     "stored": len(full), "partial": len(partial),
                     "duplicated": len(stored_codes) - len(set(stored_codes)),
                     "lost": len(load.acked["import"] - set(full)),
                     "stored_not_acknowledged": len(set(full) - load.acked["import"])}
    connections.close_all()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--database-url", default=os.environ.get("GRIDGOV_BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()
    if urlparse(args.database_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--database-url: loopback only (127.0.0.1 or localhost)")

    var_dir = tempfile.mkdtemp(prefix="gridgov-bench-faults-")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings", "GRIDGOV_DATABASE_URL": args.database_url,
           "GRIDGOV_VAR_DIR": var_dir, "GRIDGOV_ENV": "development", "GRIDGOV_DEBUG": "0", "GRIDGOV_WORKERS": "2"}
    os.environ.update(env)
    _recreate_database(args.database_url)
    token, points = _prepare(var_dir)
    extra = _extra_setup()
    from django.db import connections

    connections.close_all()

    port = _free_port()
    server = Server(port, env, var_dir)
    server.start()
    load = Load(port, token, extra, points, args.seed)
    seconds = args.minutes * 60
    load_start = os.getloadavg()[0]
    windows: list[tuple[float, float]] = []
    fault_log: list[dict] = []
    start = time.monotonic()
    until = start + seconds
    try:
        faults = threading.Thread(target=_faults, args=(server, args.database_url, start, seconds, windows, fault_log))
        clients = [threading.Thread(target=load.client, args=(until, args.seed * 100 + i)) for i in range(args.clients)]
        faults.start()
        for th in clients:
            th.start()
        for th in clients:
            th.join()
        faults.join()
    finally:
        server.stop()
    elapsed = time.monotonic() - start
    load_end = os.getloadavg()[0]

    first_fault = min((w[0] for w in windows), default=until)

    def in_fault(at: float) -> bool:
        return any(a <= at <= b for a, b in windows)

    ops: dict[str, dict] = {}
    statuses: dict[str, Counter] = defaultdict(Counter)
    bad_5xx = outside_503 = 0
    for op in WEIGHTS:
        mine = [s for s in load.samples if s[0] == op]
        for _, _, status, at in mine:
            statuses[op][status] += 1
            if status >= 500 and status != 503:
                bad_5xx += 1
            if status == 503 and not in_fault(at):
                outside_503 += 1
        lat = [s[1] for s in mine if s[2] != 0]
        before = [s[1] for s in mine if s[2] != 0 and s[3] < first_fault]
        ops[op] = {"requests": len(mine), "p50_ms": round(_pct(lat, 0.5), 1) if lat else None,
                   "p99_ms": round(_pct(lat, 0.99), 1) if lat else None,
                   "peer_p50_ms": round(_pct(before, 0.5), 1) if before else None,
                   "peer_p99_ms": round(_pct(before, 0.99), 1) if before else None,
                   "statuses": {str(k): v for k, v in sorted(statuses[op].items())}}
    stored = _verify(load, extra)
    lost = sum(v.get("lost", 0) for v in stored.values() if isinstance(v, dict))
    duplicated = sum(v.get("duplicated", 0) for v in stored.values() if isinstance(v, dict)) + stored["stray_cases"]
    duplicated += stored["transition"]["cases_accepted_twice"]
    partial = stored["import"]["partial"]
    n = len(load.samples)
    before_n = sum(1 for s in load.samples if s[3] < first_fault)
    ok = lost == 0 and duplicated == 0 and partial == 0 and bad_5xx == 0
    print(json.dumps({
        "bench": "faults", "n": n, "ours_s": round(elapsed, 1),
        "peer": "the same load before the first fault (peer_p50_ms / peer_p99_ms per operation)",
        "peer_s": round(first_fault - start, 1), "peer_n": before_n,
        "ratio": round((n / elapsed) / (before_n / (first_fault - start)), 3) if before_n else None,
        "ok": ok, "lost": lost, "duplicated": duplicated, "partial_imports": partial,
        "five_xx_other_than_503": bad_5xx, "503_outside_fault_windows": outside_503,
        "gave_up": {f"{op}:{status}": k for (op, status), k in sorted(load.gave_up.items())},
        "error_examples": {f"{op}:{status}": text for (op, status), text in sorted(load.examples.items())},
        "operations": ops, "stored": stored, "faults": fault_log, "minutes": args.minutes, "clients": args.clients,
        "server": "gridgov serve (gunicorn gthread, 2 workers x 4 threads)", "database": "postgresql",
        "load_average": {"start": round(load_start, 2), "end": round(load_end, 2)},
    }, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
