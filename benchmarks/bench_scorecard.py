"""The monthly scorecard of a district (issue 18 §2): one pass over the district vs per-unit reads.

    .venv/bin/python benchmarks/bench_scorecard.py                 # SQLite (a temp file), small demo
    .venv/bin/python benchmarks/bench_scorecard.py --scale tiny

Data: the demo city (geo), its cases, care and safety demo data, loaded into a fresh database.
Ours: ``scorecard_selectors.compute_district`` for the first district and the last complete month (cases,
lead tasks, warnings and contacts each read once for the whole district, grouped in Python).
Peer: the same figures read unit by unit (``case_items`` / ``warning_items`` / ``contact_items`` per
street and ``task_items`` per department: one read per unit and source), in the same run. A third
line: the page's cached read (``district_table`` after a first call) against the cold computation.
Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="small")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="gridgov-bench-scorecard-")
    os.environ["GRIDGOV_VAR_DIR"] = tmp
    os.environ["GRIDGOV_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from gridgov.cases.models import Case
    from gridgov.command import scorecard_selectors as sel
    from gridgov.demo import care, cases, geo, safety
    from gridgov.geo.models import Division

    geo.load_demo_city(scale=args.scale, seed=1)
    care.load(scale=args.scale, seed=1)
    cases.load(scale=args.scale, seed=1)
    safety.load(scale=args.scale, seed=1, progress=lambda *a: None)
    district = Division.objects.filter(level=6).order_by("prefix").values_list("prefix", flat=True).first()
    month = sel.previous_month(sel.month_of(timezone.localdate()))  # a complete month
    weights = sel.weights_of(district)
    streets = [s for s, _ in sel._streets(district)]
    departments = [d for d, _, _ in sel._departments(district)]
    start, end = sel._bounds(month)
    n = Case.objects.filter(grid_code__startswith=district, registered_at__gte=start, registered_at__lt=end).count()

    def ours():
        sel.compute_district(district, month, weights)

    def peer():
        for s in [district, *streets]:
            sel.case_items(s, month)
            sel.warning_items(s, month)
            sel.contact_items(s, month)
        for d in departments:
            sel.task_items(district, month, department=d)

    ours_s = _best(ours, args.repeat)
    peer_s = _best(peer, args.repeat)
    print(json.dumps({"bench": "scorecard_district_cold", "n": n, "ours_s": round(ours_s, 4),
                      "peer": "per-unit reads", "peer_s": round(peer_s, 4), "ratio": round(peer_s / ours_s, 2)}))
    cache.clear()
    sel.district_table(district, month)
    warm = _best(lambda: sel.district_table(district, month), args.repeat * 10)
    print(json.dumps({"bench": "scorecard_district_cached", "n": n, "ours_s": round(warm, 6),
                      "peer": "cold compute_district", "peer_s": round(ours_s, 4), "ratio": round(ours_s / warm, 1)}))


if __name__ == "__main__":
    main()
