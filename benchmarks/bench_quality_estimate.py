"""Registration-quality estimates: `gridgov quality estimate` against R's survey package on the same files.

1,000 campaigns of about 480 visited houses each (60 grid strata of 60-300 houses, 7-9 visited per
stratum, some strata with one house after refusals), written once as FRAME.csv and VISITS.csv. Ours =
the whole command as a process (start-up, reading and checking, estimating, writing); peer = Rscript
with the survey package (svydesign(ids=~1, strata=~stratum, fpc=~houses) + svyratio per campaign,
tests/quality/svyratio.R) as a process on the same files. Wall and CPU seconds of each process (the
machine is shared: CPU time is the steadier figure), the seconds each spends estimating alone, the
load average, and the largest differences between the two outputs. One JSON line; docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_quality_estimate.py [--campaigns 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
R_SCRIPT = ROOT / "tests" / "quality" / "svyratio.R"


def write_campaigns(folder: Path, campaigns: int, seed: int = 17) -> tuple[Path, Path, int]:
    rng = np.random.default_rng(seed)
    codes = [f"310101{s:03d}{c:03d}{g:03d}" for s in (1, 2) for c in (1, 2, 3) for g in range(1, 11)]
    strata = len(codes)
    big_n = rng.integers(60, 301, (campaigns, strata))
    n = rng.integers(7, 10, (campaigns, strata))
    n[rng.random((campaigns, strata)) < 0.01] = 1  # a lonely house left after refusals
    frame = ["campaign_id,stratum,houses"]
    frame += [f"C{c:04d},{codes[h]},{big_n[c, h]}" for c in range(campaigns) for h in range(strata)]
    (folder / "frame.csv").write_text("\n".join(frame) + "\n", encoding="utf-8")
    campaign = np.repeat(np.arange(campaigns), strata)
    stratum = np.tile(np.arange(strata), campaigns)
    house_campaign = np.repeat(campaign, n.ravel())
    house_stratum = np.repeat(stratum, n.ravel())
    total = house_campaign.size
    found = rng.poisson(2.6, total) * (rng.random(total) > 0.08)
    p = np.clip(rng.normal(0.9, 0.1, total), 0, 1)
    registered = rng.binomial(found, p)
    checked = rng.binomial(registered, 0.9)
    accurate = rng.binomial(checked, 0.93)
    visits = ["campaign_id,stratum,house_id,persons_found,persons_registered,records_checked,records_accurate"]
    visits += [f"C{house_campaign[i]:04d},{codes[house_stratum[i]]},H{i},{found[i]},{registered[i]},{checked[i]},"
               f"{accurate[i]}" for i in range(total)]
    (folder / "visits.csv").write_text("\n".join(visits) + "\n", encoding="utf-8")
    return folder / "frame.csv", folder / "visits.csv", total


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def read_output(path: Path) -> dict[tuple[str, str, str], tuple[float, float]]:
    with path.open(encoding="utf-8") as fh:
        return {(r["campaign_id"], r["area"], r["indicator"]):
                (float(r["estimate"] or "nan"), float(r["std_error"] or "nan")) for r in csv.DictReader(fh)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        frame, visits, houses = write_campaigns(folder, args.campaigns)
        load_before = os.getloadavg()[0]

        ours_out = folder / "ours.csv"
        ours_times = []
        ours_cpu = []
        for _ in range(args.runs):
            cpu = children_cpu()
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "gridgov.cli", "quality", "estimate", "--frame", str(frame),
                            "--visits", str(visits), "--output", str(ours_out)],
                           check=True, env=env, capture_output=True)
            ours_times.append(time.perf_counter() - started)
            ours_cpu.append(children_cpu() - cpu)
        ours_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        # our estimation alone (in this process, files already read), as R's own loop time below
        sys.path.insert(0, str(ROOT / "src"))
        from gridgov.quality import estimateio

        data = estimateio.read_campaigns(frame.read_text(encoding="utf-8"), visits.read_text(encoding="utf-8"))
        started = time.perf_counter()
        estimateio.run(data)
        ours_kernel_s = time.perf_counter() - started

        peer_out = folder / "r.csv"
        cpu = children_cpu()
        started = time.perf_counter()
        done = subprocess.run(["Rscript", str(R_SCRIPT), str(frame), str(visits), "all", str(peer_out)],
                              check=True, capture_output=True, text=True)
        peer_s = time.perf_counter() - started
        peer_cpu = children_cpu() - cpu
        peer_loop_s = float(done.stdout.strip().splitlines()[-1])
        load_after = os.getloadavg()[0]

        ours = read_output(ours_out)
        with peer_out.open(encoding="utf-8") as fh:
            theirs = {(r["campaign_id"], r["area"], r["indicator"]): (float(r["estimate"]), float(r["std_error"]))
                      for r in csv.DictReader(fh)}
        assert set(ours) == set(theirs), "the two outputs name different campaigns"
        est_diff = max(abs(ours[k][0] - theirs[k][0]) for k in theirs)
        se_rel = max(abs(ours[k][1] - theirs[k][1]) / theirs[k][1] for k in theirs if theirs[k][1] > 0)
    ours_s = statistics.median(ours_times)
    print(json.dumps({
        "bench": "quality_estimate", "n": args.campaigns, "houses": houses, "ours_s": round(ours_s, 3),
        "ours_runs_s": [round(t, 3) for t in ours_times], "ours_estimate_only_s": round(ours_kernel_s, 4),
        "ours_cpu_s": round(statistics.median(ours_cpu), 3), "ours_peak_mb": round(ours_peak_mb, 1),
        "peer": "R survey svydesign+svyratio (Rscript, one design per campaign)", "peer_s": round(peer_s, 3), "peer_cpu_s": round(peer_cpu, 3),
        "peer_estimate_only_s": round(peer_loop_s, 3), "ratio": round(peer_s / ours_s, 1),
        "cpu_ratio": round(peer_cpu / statistics.median(ours_cpu), 1),
        "max_abs_estimate_diff": est_diff, "max_rel_se_diff": se_rel,
        "load_average": [round(load_before, 2), round(load_after, 2)],
    }))


if __name__ == "__main__":
    main()
