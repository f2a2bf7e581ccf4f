"""Campaign design (pure): sample size, allocation with floor and caps, and the seeded draw — checked
against hand computations and against the inclusion probabilities of simple random sampling."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter

import pytest

from gridgov.quality import sampling


def test_sample_size_by_hand():
    # n0 = (1.959964 / 0.03)^2 * 0.9 * 0.1 * 2 = 768.29; over 2,000 houses 768.29 / (1 + 768.29/2000) = 555.07
    assert sampling.sample_size(margin=0.03, population=2000) == 556
    assert sampling.sample_size(margin=0.03, population=10**9) == 769
    # +-5 points, deff 1.5: n0 = 207.44; over 600 houses 154.15
    assert sampling.sample_size(margin=0.05, population=600, design_effect=1.5) == 155
    assert sampling.sample_size(margin=0.03, population=40) <= 40
    with pytest.raises(ValueError, match="margin 0 must lie strictly between 0 and 1"):
        sampling.sample_size(margin=0, population=10)
    with pytest.raises(ValueError, match="design effect 0.5 must be at least 1"):
        sampling.sample_size(margin=0.03, population=10, design_effect=0.5)


def test_proportional_allocation():
    assert sampling.allocate([100, 300, 600], 100).tolist() == [10, 30, 60]
    # largest remainder: 3.33 each, the first stratum gets the spare house
    assert sampling.allocate([10, 10, 10], 10).tolist() == [4, 3, 3]
    # quotas 19.3, 0.19, 0.1: the small strata are raised to the floor of 2, the rest (16) goes to the big one
    assert sampling.allocate([1000, 10, 5], 20).tolist() == [16, 2, 2]
    # a stratum of one house: all of it (the floor cannot exceed the stratum)
    assert sampling.allocate([50, 1], 4).tolist() == [3, 1]
    # the floors alone exceed the total: every stratum gets its floor
    assert sampling.allocate([5, 5, 5, 5], 3).tolist() == [2, 2, 2, 2]
    # more than the frame holds: every house
    assert sampling.allocate([3, 4], 100).tolist() == [3, 4]


def test_neyman_allocation_with_caps():
    # weights N_h S_h = 30, 10: quotas 37.5 and 12.5; the first stratum holds only 3 -> 3, the rest 47
    assert sampling.allocate([3, 100], 50, method="neyman", stratum_sd=[10, 0.1]).tolist() == [3, 47]
    # weights 100*0.3 = 30, 100*0.1 = 10, 200*0.05 = 10 of 50 -> 30, 10, 10
    assert sampling.allocate([100, 100, 200], 50, method="neyman", stratum_sd=[0.3, 0.1, 0.05]).tolist() == [30, 10, 10]
    # a stratum with no variation still gets the floor
    assert sampling.allocate([100, 100], 20, method="neyman", stratum_sd=[0.2, 0.0]).tolist() == [18, 2]
    with pytest.raises(ValueError, match="Neyman allocation needs one standard deviation per stratum"):
        sampling.allocate([10, 10], 5, method="neyman")
    with pytest.raises(ValueError, match="allocation 'random' is not one of proportional, neyman"):
        sampling.allocate([10], 5, method="random")


def test_house_numbers_are_blake2b_of_seed_and_key():
    expected = int.from_bytes(hashlib.blake2b(b"42\x1fH-7", digest_size=8).digest(), "big")
    assert sampling.house_number(42, "H-7") == expected


def test_the_draw_is_reproducible_and_independent_of_the_list_order():
    frame = [(f"31010100100100{g}", f"H{g}-{i}") for g in (1, 2) for i in range(30)]
    first = sampling.draw_sample(frame, {"310101001001001": 4, "310101001001002": 2}, seed=7)
    again = sampling.draw_sample(list(reversed(frame)), {"310101001001001": 4, "310101001001002": 2}, seed=7)
    assert first == again
    assert [(d.stratum, d.rank) for d in first] == [("310101001001001", r) for r in (1, 2, 3, 4)] + [
        ("310101001001002", 1), ("310101001001002", 2)]
    assert all(d.house_key.startswith("H1-") for d in first[:4])
    numbers = [d.number for d in first[:4]]
    assert numbers == sorted(numbers)
    other = sampling.draw_sample(frame, {"310101001001001": 4, "310101001001002": 2}, seed=8)
    assert {d.house_key for d in other} != {d.house_key for d in first}
    with pytest.raises(ValueError, match="stratum 310101001001002: 31 houses wanted but the frame has 30"):
        sampling.draw_sample(frame, {"310101001001002": 31}, seed=1)
    with pytest.raises(ValueError, match="strata without houses in the frame: 999"):
        sampling.draw_sample(frame, {"999": 1}, seed=1)


def test_the_draw_is_a_simple_random_sample():
    """Over 3,000 seeds, 3 of 10 houses: each house is drawn with probability 3/10 and each pair with
    3*2/(10*9) = 1/15, as simple random sampling without replacement requires (tolerance: 5 binomial SDs)."""
    frame = [("S", f"house-{i}") for i in range(10)]
    seeds = 3000
    singles: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for seed in range(seeds):
        keys = sorted(d.house_key for d in sampling.draw_sample(frame, {"S": 3}, seed=seed))
        singles.update(keys)
        pairs.update(itertools.combinations(keys, 2))
    assert len(singles) == 10 and len(pairs) == 45
    sd_single = (seeds * 0.3 * 0.7) ** 0.5
    assert all(abs(count - seeds * 0.3) < 5 * sd_single for count in singles.values()), singles
    sd_pair = (seeds * (1 / 15) * (14 / 15)) ** 0.5
    assert all(abs(count - seeds / 15) < 5 * sd_pair for count in pairs.values()), pairs
