"""Whole-command time of ``gridgov detect`` (start-up, reading, every method, writing) on the
series of benchmarks/bench_detect.py: 624 weeks (12 years) of the Noufaily et al. (2013) scenarios
with past and current outbreaks, the first ``--series`` of them (default 200), each named like a
grid x category series. Runs the command ``--runs`` times in a fresh process and prints one JSON
line with the minimum, median and maximum wall time. There is no peer (no other program reads this
CSV); the figure to compare is the same run before and after a change.

    .venv/bin/python benchmarks/bench_detect_cli.py [--series 200] [--runs 5] [--since 2023-01-02]
    .venv/bin/python benchmarks/bench_detect_cli.py --write counts.csv   # only write the input
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import bench_detect  # noqa: E402

FIRST_WEEK = date(2013, 1, 7)  # a Monday


def counts_csv(n_series: int, seed: int = 2013) -> str:
    """The first ``n_series`` series of bench_detect.simulate (54 scenarios, cycled), as a counts
    CSV (series_id,week_start,count); one in ten series starts 3-10 years late, as new grids do."""
    reps = -(-n_series // len(bench_detect.scenarios()))
    y = bench_detect.simulate(reps, seed)[0]
    order = np.arange(len(y)).reshape(len(bench_detect.scenarios()), reps).T.ravel()[:n_series]
    y = y[order].astype(int)
    rng = np.random.default_rng(seed)
    late = rng.random(n_series) < 0.1
    starts = np.where(late, rng.integers(3 * 52, 10 * 52, n_series), 0)
    weeks = [(FIRST_WEEK + timedelta(weeks=i)).isoformat() for i in range(y.shape[1])]
    lines = ["series_id,week_start,count"]
    for s in range(n_series):
        sid = f"{310101001001001 + s // 20:015d}-{s % 20 + 1:02d}"
        lines.extend(f"{sid},{weeks[i]},{y[s, i]}" for i in range(starts[s], y.shape[1]))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--method", default="auto")
    parser.add_argument("--since", help="pass --since DATE to the command")
    parser.add_argument("--write", metavar="PATH", help="only write the counts CSV to PATH")
    args = parser.parse_args()
    text = counts_csv(args.series)
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
        return 0
    gridgov = Path(sys.executable).with_name("gridgov")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "counts.csv"
        src.write_text(text, encoding="utf-8")
        cmd = [str(gridgov), "detect", "-i", str(src), "-o", str(Path(tmp) / "alarms.csv"), "--method", args.method]
        if args.since:
            cmd += ["--since", args.since]
        subprocess.run(cmd, check=True, capture_output=True)  # warm-up (file cache, .pyc)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
        rows = sum(1 for _ in open(Path(tmp) / "alarms.csv", encoding="utf-8")) - 1
    print(json.dumps({
        "bench": "detect_cli", "n": args.series, "weeks": bench_detect.WEEKS, "method": args.method,
        "since": args.since, "rows_out": rows, "runs": args.runs, "ours_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3), "max_s": round(max(times), 3), "peer": None, "peer_s": None, "ratio": None,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
