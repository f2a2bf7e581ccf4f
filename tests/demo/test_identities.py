"""The register demo's numbers are unique by construction at city size (generated in memory, nothing
loaded): identity numbers for the city scale's residents, passport numbers, credit-code serials."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest

from gridgov.core.idnumber import make_identity_number, validate_identity_number
from gridgov.demo import identities
from gridgov.demo.identities import IdentityAllocator, identity_numbers, passport_numbers, serial8
from gridgov.demo.registry import PERSONS, SHANGHAI_COUNTIES, SOURCE_COUNTIES

TODAY = date(2026, 12, 3)


def _city_people(rng: np.random.Generator):
    """The city scale's Chinese residents with the loader's mix: 59 % hukou in one of the 16 districts
    (aged 0-90), 40 % from the source counties (0-60); half men."""
    n = PERSONS["city"]
    hukou = rng.random(n) < 0.59 / 0.99
    src_codes = [c for c, _ in SOURCE_COUNTIES]
    src_w = np.array([w for _, w in SOURCE_COUNTIES], dtype=float)
    areas = np.where(hukou, np.array(SHANGHAI_COUNTIES)[rng.integers(0, len(SHANGHAI_COUNTIES), n)],
                     np.array(src_codes)[rng.choice(len(src_codes), n, p=src_w / src_w.sum())])
    days = np.where(hukou, rng.integers(0, 90 * 365 + 1, n), rng.integers(0, 60 * 365 + 1, n))
    male = rng.random(n) < 0.5
    return areas.tolist(), days, male


def test_identity_numbers_unique_at_city_size():
    rng = np.random.default_rng(16)
    areas, days, male = _city_people(rng)
    alloc = IdentityAllocator(SHANGHAI_COUNTIES + [c for c, _ in SOURCE_COUNTIES], TODAY)
    numbers: list[str] = []
    chunk = 13_000  # about what the loader assigns per chunk of 5,000 houses
    moved = 0
    for lo in range(0, len(areas), chunk):
        seqs, final = alloc.assign(areas[lo:lo + chunk], days[lo:lo + chunk], male[lo:lo + chunk])
        moved += int((final != days[lo:lo + chunk]).sum())
        numbers += identity_numbers(areas[lo:lo + chunk], alloc.births(final), seqs)
    assert len(numbers) == PERSONS["city"] == 2_000_000
    assert len(set(numbers)) == len(numbers)
    assert moved == 0  # ~0.6 persons per (county, day, sex): no cell fills up
    # spot checks against the core builder and validator (independent of the column code)
    for i in rng.choice(len(numbers), 300, replace=False).tolist():
        birth = alloc.births(np.array([days[i]]))[0]
        seq = int(numbers[i][14:17])
        assert numbers[i] == make_identity_number(areas[i], birth, seq)
        assert (seq % 2 == 1) == bool(male[i])
        validate_identity_number(numbers[i])


def test_full_cell_moves_to_the_day_before_and_stays_unique():
    alloc = IdentityAllocator(["310101"], TODAY)
    n = 1_200  # 1,200 men born on one day in one district: 500 fit, 500 the day before, 200 before that
    seqs, days = alloc.assign(["310101"] * n, np.full(n, 100), np.ones(n, dtype=bool))
    assert np.bincount(days)[100:103].tolist() == [500, 500, 200]
    assert set(seqs[days == 100].tolist()) == set(range(1, 1000, 2))
    assert all(s % 2 == 1 for s in seqs.tolist())
    numbers = identity_numbers(["310101"] * n, alloc.births(days), seqs)
    assert len(set(numbers)) == n
    # a second call continues the counters: 499 women fit in a day
    seqs2, days2 = alloc.assign(["310101"] * 600, np.full(600, 100), np.zeros(600, dtype=bool))
    assert np.bincount(days2)[100:102].tolist() == [499, 101]
    assert set(seqs2[days2 == 100].tolist()) == set(range(2, 999, 2))


def test_births_outside_the_range_are_refused():
    alloc = IdentityAllocator(["310101"], TODAY)
    with pytest.raises(ValueError, match="birth dates"):
        alloc.assign(["310101"], np.array([identities.MAX_DAYS]), np.array([True]))


def test_passport_numbers_unique_with_a_check_digit():
    numbers = passport_numbers(0, 200_000, seed=1)  # the city has ~20,000 foreigners
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"E\d{8}", n) for n in numbers[:1000])

    def luhn_ok(digits: str) -> bool:  # the textbook algorithm, over the whole number
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch)
            if i % 2 == 1:
                d = d * 2 - 9 if d > 4 else d * 2
            total += d
        return total % 10 == 0

    assert all(luhn_ok(n[1:]) for n in numbers[:5000])
    assert identities._luhn("7992739871") == "3"  # the textbook example 79927398713
    # continuing from a counter gives the same numbers as one long run
    assert passport_numbers(150_000, 10, seed=1) == numbers[150_000:150_010]


def test_credit_code_serials_unique():
    serials = [serial8(i, seed=1) for i in range(100_000)]  # the city has ~13,000 organisations
    assert len(set(serials)) == len(serials)
    assert all(len(s) == 8 and s.isdigit() for s in serials)
