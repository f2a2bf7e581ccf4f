"""The estimator against R's survey package (svydesign(ids=~1, strata=~stratum, fpc=~houses) +
svyratio), run by Rscript on the same files: estimates to 1e-9, standard errors to 1e-6 relative.

R and r-cran-survey come from Debian (.ci/run installs them); without them these tests fail, they do
not skip."""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from gridgov.quality import estimateio

R_SCRIPT = Path(__file__).with_name("svyratio.R")
LEVELS = ("all", "district", "street", "community", "grid")
FRAME_HEADER = "campaign_id,stratum,houses"
VISITS_HEADER = ("campaign_id,stratum,house_id,persons_found,persons_registered,records_checked,"
                 "records_accurate")


def _rscript() -> str:
    path = shutil.which("Rscript")
    assert path, "Rscript is missing: install r-base-core and r-cran-survey (Debian)"
    return path


def r_estimates(tmp_path: Path, frame: str, visits: str, levels=LEVELS) -> dict[str, dict[tuple, tuple]]:
    """R's (estimate, std_error) per level, then per (campaign, area, indicator); (None, None) where
    svydesign refuses the area (one visited house)."""
    (tmp_path / "frame.csv").write_text(frame, encoding="utf-8")
    (tmp_path / "visits.csv").write_text(visits, encoding="utf-8")
    out = tmp_path / "r.csv"
    done = subprocess.run([_rscript(), str(R_SCRIPT), str(tmp_path / "frame.csv"), str(tmp_path / "visits.csv"),
                           ",".join(levels), str(out)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    found: dict[str, dict[tuple, tuple]] = {level: {} for level in levels}
    with out.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            found[r["level"]][(r["campaign_id"], r["area"], r["indicator"])] = (
                (None, None) if r["estimate"] == "refused" else (float(r["estimate"]), float(r["std_error"])))
    return found


def our_estimates(frame: str, visits: str, level: str) -> dict[tuple[str, str, str], tuple]:
    result = estimateio.run(estimateio.read_campaigns(frame, visits, level=level), level=level)
    a = result.areas
    ids = result.campaigns.campaign_ids
    return {(ids[a.campaign[g]], a.area[g], ind): (a.estimate[g, j], a.std_error[g, j])
            for g in range(len(a.area)) if a.houses[g] > 0
            for j, ind in enumerate(estimateio.INDICATORS)}


def assert_agree(ours: dict, theirs: dict) -> int:
    assert set(ours) == set(theirs)
    for key, (r_est, r_se) in theirs.items():
        est, se = ours[key]
        if r_est is None:  # one house: R refuses the design; we give the house's own ratio and no SE
            assert math.isnan(se), key
            continue
        if math.isnan(r_est):
            assert math.isnan(est) and math.isnan(se), key
            continue
        assert abs(est - r_est) <= 1e-9, (key, est, r_est)
        if r_se == 0:
            assert se <= 1e-15, (key, se)
        else:
            assert abs(se - r_se) <= 1e-6 * r_se, (key, se, r_se)
    return len(theirs)


DOC_FRAME = f"""{FRAME_HEADER}
C1,310101001001001,10
C1,310101001001002,6
"""
DOC_VISITS = f"""{VISITS_HEADER}
C1,310101001001001,A,3,3,3,2
C1,310101001001001,B,2,1,1,1
C1,310101001001002,C,4,4,4,4
C1,310101001001002,D,0,0,0,0
C1,310101001001002,E,1,0,0,0
"""
# two campaigns on the same strata; a lonely house (stratum ...002 of K2), a census stratum (...003 of
# K1: 3 of 3), a grid where no record was checked (accuracy undefined there), a second street and a
# second district, and a frame stratum nobody visited (...004)
SMALL_FRAME = f"""{FRAME_HEADER}
K1,310101001001001,12
K1,310101001001002,7
K1,310101001001003,3
K1,310101001001004,9
K1,310101002001001,20
K1,310104001001001,15
K2,310101001001001,12
K2,310101001001002,7
K2,310101001001003,3
"""
SMALL_VISITS = f"""{VISITS_HEADER}
K1,310101001001001,h1,4,4,4,4
K1,310101001001001,h2,3,2,2,1
K1,310101001001001,h3,0,0,0,0
K1,310101001001002,h4,2,2,2,2
K1,310101001001002,h5,5,3,3,3
K1,310101001001003,h6,1,1,1,1
K1,310101001001003,h7,2,0,0,0
K1,310101001001003,h8,3,3,2,2
K1,310101002001001,h9,2,0,0,0
K1,310101002001001,h10,1,0,0,0
K1,310104001001001,h11,6,5,5,4
K1,310104001001001,h12,2,2,1,1
K1,310104001001001,h13,3,3,3,3
K2,310101001001001,h1,4,3,3,3
K2,310101001001001,h2,2,2,2,1
K2,310101001001002,h4,3,1,1,0
K2,310101001001003,h6,1,1,1,1
K2,310101001001003,h7,2,2,2,2
"""


@pytest.mark.parametrize("frame, visits", [(DOC_FRAME, DOC_VISITS), (SMALL_FRAME, SMALL_VISITS)],
                         ids=["docs-example", "small"])
def test_literal_data_sets_agree_with_r_survey_at_every_level(tmp_path, frame, visits):
    theirs = r_estimates(tmp_path, frame, visits)
    for level in LEVELS:
        assert assert_agree(our_estimates(frame, visits, level), theirs[level]) >= 2, level


def test_the_small_set_has_what_it_claims():
    """The literal set exercises lonely houses, census strata and undefined accuracy (the checks above
    would pass vacuously otherwise)."""
    data = estimateio.read_campaigns(SMALL_FRAME, SMALL_VISITS, level="grid")
    result = estimateio.run(data, level="grid")
    visited = np.bincount(data.house_stratum, minlength=len(data.stratum_code))
    assert (visited == 1).sum() == 1 and (visited == 0).sum() == 1
    assert ((visited == data.stratum_houses) & (visited > 0)).sum() == 1  # K1's ...003: 3 houses of 3
    undefined = [result.areas.area[g] for g in range(len(result.areas.area))
                 if result.areas.houses[g] > 0 and math.isnan(result.areas.estimate[g, 1])]
    assert undefined == ["310101002001001"]
    one = [g for g in range(len(result.areas.area)) if result.areas.houses[g] == 1]
    assert [result.areas.area[g] for g in one] == ["310101001001002"]  # K2's lonely house
    assert result.areas.estimate[one[0]].tolist() == [1 / 3, 0.0] and np.isnan(result.areas.std_error[one[0]]).all()


def random_campaigns(seed: int, campaigns: int) -> tuple[str, str]:
    """Campaigns over 1-2 districts x 1-2 streets x 1-2 communities x 1-4 grids; N_h 1-80; n_h from
    1 (lonely) to N_h (census); persons per house Poisson(2.6), about 8% of houses empty."""
    rng = np.random.default_rng(seed)
    frame = [FRAME_HEADER]
    visits = [VISITS_HEADER]
    for c in range(campaigns):
        cid = f"S{seed}-{c:03d}"
        p_campaign = rng.uniform(0.75, 0.98)
        for district in ("310101", "310104")[: rng.integers(1, 3)]:
            for street in range(1, rng.integers(2, 4)):
                for community in range(1, rng.integers(2, 4)):
                    for grid in range(1, rng.integers(2, 6)):
                        code = f"{district}{street:03d}{community:03d}{grid:03d}"
                        big_n = int(rng.integers(1, 81))
                        kind = rng.random()
                        if big_n == 1 or kind < 0.1:
                            n = 1
                        elif kind < 0.2 and big_n <= 15:
                            n = big_n
                        else:
                            n = int(rng.integers(2, min(big_n, 12) + 1))
                        frame.append(f"{cid},{code},{big_n}")
                        found = rng.poisson(2.6, n) * (rng.random(n) > 0.08)
                        p = np.clip(rng.normal(p_campaign, 0.1, n), 0, 1)
                        registered = rng.binomial(found, p)
                        checked = rng.binomial(registered, 0.9)
                        accurate = rng.binomial(checked, 0.93)
                        for i in range(n):
                            visits.append(f"{cid},{code},{code}-{i},{found[i]},{registered[i]},{checked[i]},"
                                          f"{accurate[i]}")
    return "\n".join(frame) + "\n", "\n".join(visits) + "\n"


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_seeded_random_campaigns_agree_with_r_survey_at_every_level(tmp_path, seed):
    frame, visits = random_campaigns(seed, campaigns=25)
    theirs = r_estimates(tmp_path, frame, visits)
    compared = sum(assert_agree(our_estimates(frame, visits, level), theirs[level]) for level in LEVELS)
    assert compared > 25 * 2 * 5
