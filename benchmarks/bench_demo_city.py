"""`gridgov demo --scale city --no-serve` against the `small` scale in the same run.

    python benchmarks/bench_demo_city.py [--scale city] [--peer small] [--seed 1]

Each scale loads into a fresh SQLite database (a new GRIDGOV_VAR_DIR in a temporary directory) as
a whole process, started from a small watcher process, so each figure is that load's own:

  * ``*_s``: wall seconds of the command (migrations included);
  * ``*_cpu_s``: CPU seconds (user + system) of the command — steadier than wall time on a shared
    machine, where the wall time mostly measures the other jobs;
  * ``*_peak_mb``: peak resident set size of the command (``resource.getrusage(RUSAGE_CHILDREN)``
    in the watcher, which runs nothing else: the largest single process);
  * ``*_tree_peak_mb``: peak of the summed proportional set size of the command and its child
    processes (the register's row-drawing child), sampled every 0.5 s from /proc;
  * ``*_persons`` and ``*_us_per_person``: CPU microseconds per resident of the register, the rate
    that compares the two scales (the other modules scale with the grids, not the residents).

``load_avg`` is the 1-minute load average before and after. Prints one JSON line on stdout; the
command's own output goes to standard error.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time


def _child(scale: str, seed: int) -> None:
    """Run the demo load as this process's only child and report its wall time and rusage."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as var:
        env = dict(os.environ, GRIDGOV_VAR_DIR=var, GRIDGOV_DATABASE_URL=f"sqlite:///{var}/demo.sqlite3")
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "gridgov.cli", "demo", "--scale", scale, "--seed", str(seed),
                                 "--no-serve"], env=env, stdout=sys.stderr, stderr=sys.stderr)
        tree_peak = 0
        while proc.poll() is None:
            tree_peak = max(tree_peak, _tree_pss_kb(proc.pid))
            time.sleep(0.5)
        done = proc
        wall = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        persons = 0
        if done.returncode == 0:
            with sqlite3.connect(f"{var}/demo.sqlite3") as db:
                persons = db.execute("SELECT COUNT(*) FROM registry_person").fetchone()[0]
    print(json.dumps({"rc": done.returncode, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                      "peak_mb": usage.ru_maxrss / 1024, "tree_peak_mb": tree_peak / 1024, "persons": persons}))


def _tree_pss_kb(root: int) -> int:
    """Proportional set size (KiB) of ``root`` and its descendants now (the register's loader forks
    a child that draws rows: shared pages are counted once, split between the two), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
    return total


def _measure(scale: str, seed: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", scale, "--seed", str(seed)],
                         stdout=subprocess.PIPE, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise SystemExit(f"gridgov demo --scale {scale} failed (exit {result['rc']})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="city")
    parser.add_argument("--peer", default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.seed)
        return
    load_before = os.getloadavg()[0]
    peer = _measure(args.peer, args.seed)
    ours = _measure(args.scale, args.seed)
    print(json.dumps({
        "bench": "demo_load", "n": ours["persons"], "ours": args.scale, "ours_s": round(ours["wall_s"], 1),
        "ours_cpu_s": round(ours["cpu_s"], 1), "ours_peak_mb": round(ours["peak_mb"]),
        "ours_tree_peak_mb": round(ours["tree_peak_mb"]),
        "ours_persons": ours["persons"],
        "ours_us_per_person": round(1e6 * ours["cpu_s"] / max(ours["persons"], 1), 1),
        "peer": args.peer, "peer_s": round(peer["wall_s"], 1), "peer_cpu_s": round(peer["cpu_s"], 1),
        "peer_peak_mb": round(peer["peak_mb"]), "peer_tree_peak_mb": round(peer["tree_peak_mb"]),
        "peer_persons": peer["persons"],
        "peer_us_per_person": round(1e6 * peer["cpu_s"] / max(peer["persons"], 1), 1),
        "ratio": round(ours["wall_s"] / peer["wall_s"], 2),
        "load_avg": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }))


if __name__ == "__main__":
    main()
