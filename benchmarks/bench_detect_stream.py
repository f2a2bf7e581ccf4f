"""Peak memory of ``gridgov detect`` (streaming by blocks of series) against the whole-table path
it replaced, as the number of series grows.

    .venv/bin/python benchmarks/bench_detect_stream.py [--series 20000,50000] [--weeks 260]
                                                      [--peer-max 20000] [--all-weeks] [--previous DIR]

For each N: a counts CSV of N grid x category series of ``--weeks`` weeks (Poisson with a yearly
season, one series in ten starting late) is written to a temporary directory; then, each as a
whole process watched by a small process that runs nothing else (so ``getrusage(RUSAGE_CHILDREN)``
is that command's own peak resident set size and CPU time):

  * ours: ``gridgov detect -i counts.csv -o alarms.csv --since <last week>`` (the weekly run: every
    week read, the last one evaluated; with ``--all-weeks`` every week is evaluated);
  * peer (N <= ``--peer-max``: it holds everything in memory, ~490 bytes per input row): the
    previous implementation, ``countsio.read_counts`` + ``run`` + ``write_alarms`` on the whole file
    at once, writing to a second file; the two outputs must be byte-identical;
  * previous (with ``--previous DIR``, every N): the same ``gridgov detect`` command with the
    package sources of an earlier commit first on the path (DIR: the ``src`` folder of, e.g., a
    ``git archive`` of that commit), writing a third file, also compared byte for byte.

Prints one JSON line per N with wall and CPU seconds, peak MB, rows and the load average.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

FIRST_WEEK = date(2021, 1, 4)  # a Monday

PEER = """
import sys
from gridgov.safety import countsio
src, dst, since = sys.argv[1:4]
from datetime import date
with open(src, encoding="utf-8-sig") as fh:
    table = countsio.read_counts(fh.read())
alarms = countsio.run(table, since=date.fromisoformat(since) if since else None)
with open(dst, "w", encoding="utf-8", newline="") as out:
    countsio.write_alarms(alarms, out)
"""


def write_counts(path: Path, n_series: int, n_weeks: int, seed: int = 16) -> int:
    rng = np.random.default_rng(seed)
    weeks = [(FIRST_WEEK + timedelta(weeks=i)).isoformat() for i in range(n_weeks)]
    season = 1 + 0.3 * np.cos(2 * np.pi * np.arange(n_weeks) / 52)
    rows = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("series_id,week_start,count\n")
        for lo in range(0, n_series, 1000):
            hi = min(lo + 1000, n_series)
            mu = rng.lognormal(0.0, 0.8, (hi - lo, 1)) * season[None, :]
            y = rng.poisson(mu)
            starts = np.where(rng.random(hi - lo) < 0.1, rng.integers(0, n_weeks - 20, hi - lo), 0)
            parts = []
            for k in range(hi - lo):
                s = lo + k
                sid = f"{310101001001001 + s // 20:015d}-{s % 20 + 1:02d}"
                parts.append("".join(f"{sid},{weeks[w]},{c}\n" for w, c in
                                     zip(range(starts[k], n_weeks), y[k, starts[k]:].tolist(), strict=True)))
                rows += n_weeks - int(starts[k])
            fh.write("".join(parts))
    return rows


def _child(argv: list[str]) -> None:
    started = time.monotonic()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"rc": done.returncode, "err": done.stderr[-500:], "wall_s": wall,
                      "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}))


def _watch(argv: list[str], env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(argv)], stdout=subprocess.PIPE, text=True,
                         check=True, env=env)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{result['err']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="20000,50000")
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--peer-max", type=int, default=20_000)
    parser.add_argument("--all-weeks", action="store_true")
    parser.add_argument("--previous", metavar="DIR", help="package sources of an earlier commit to run side by side")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(json.loads(args.child))
        return
    gridgov = str(Path(sys.executable).with_name("gridgov"))
    since = "" if args.all_weeks else (FIRST_WEEK + timedelta(weeks=args.weeks - 1)).isoformat()
    for n in (int(x) for x in args.series.split(",")):
        with tempfile.TemporaryDirectory(prefix="bench-detect-") as tmp:
            src, ours_out, peer_out = Path(tmp) / "counts.csv", Path(tmp) / "ours.csv", Path(tmp) / "peer.csv"
            rows = write_counts(src, n, args.weeks)
            load = os.getloadavg()[0]
            cmd = [gridgov, "detect", "-i", str(src), "-o", str(ours_out)] + (["--since", since] if since else [])
            ours = _watch(cmd)
            peer = _watch([sys.executable, "-c", PEER, str(src), str(peer_out), since]) if n <= args.peer_max else None
            prev = None
            if args.previous:
                prev_out = Path(tmp) / "previous.csv"
                prev_cmd = [gridgov, "detect", "-i", str(src), "-o", str(prev_out)] + (["--since", since] if since else [])
                prev = _watch(prev_cmd, env={**os.environ, "PYTHONPATH": args.previous})
                prev["identical"] = filecmp.cmp(ours_out, prev_out, shallow=False)
            rows_out = sum(1 for _ in ours_out.open(encoding="utf-8")) - 1
            print(json.dumps({
                "bench": "detect_stream", "n": n, "weeks": args.weeks, "rows_in": rows, "rows_out": rows_out,
                "since": since or None, "ours_s": round(ours["wall_s"], 1), "ours_cpu_s": round(ours["cpu_s"], 1),
                "ours_peak_mb": round(ours["peak_mb"]), "ours_bytes_per_row": round(ours["peak_mb"] * 2**20 / rows),
                "peer": "whole table (previous implementation)" if peer else None,
                "peer_s": round(peer["wall_s"], 1) if peer else None,
                "peer_cpu_s": round(peer["cpu_s"], 1) if peer else None,
                "peer_peak_mb": round(peer["peak_mb"]) if peer else None,
                "identical": filecmp.cmp(ours_out, peer_out, shallow=False) if peer else None,
                "ratio": round(ours["peak_mb"] / peer["peak_mb"], 3) if peer else None,
                "previous_s": round(prev["wall_s"], 1) if prev else None,
                "previous_cpu_s": round(prev["cpu_s"], 1) if prev else None,
                "previous_peak_mb": round(prev["peak_mb"]) if prev else None,
                "previous_identical": prev["identical"] if prev else None,
                "load_avg": [round(load, 1), round(os.getloadavg()[0], 1)],
            }), flush=True)


if __name__ == "__main__":
    main()
