"""Designing a verification campaign (pure: no Django): sample size, allocation to strata, and a seeded,
reproducible stratified simple random sample of houses.

- Sample size for a margin e at confidence c (docs/quality.md): n0 = (z / e)^2 p (1 - p) deff with the
  expected rate p (0.9) and the design effect of persons clustered in houses (2.0), then the
  finite-population correction n = n0 / (1 + n0 / N), rounded up.
- Allocation: proportional (n_h proportional to N_h) or Neyman (n_h proportional to N_h S_h, S_h a
  stratum's standard deviation from an earlier campaign), each with a floor of 2 houses per stratum
  (all of a stratum's houses when it has fewer) and never more than N_h; whole numbers by the largest
  remainder, so the total is exactly max(n, the floors' sum) when the strata can hold it.
- The draw: each house gets a permanent random number, the first 8 bytes of BLAKE2b(seed, house key),
  and a stratum's sample is its n_h houses with the smallest numbers. Sorting independent uniform
  numbers gives a uniformly random order, so this is a simple random sample without replacement in each
  stratum; it depends only on the seed and the house keys (not on the order of the list, the platform
  or the NumPy version), so anyone can draw it again and check it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

FLOOR = 2
ALLOCATIONS = ("proportional", "neyman")


def sample_size(*, margin: float, population: int, expected_rate: float = 0.9, design_effect: float = 2.0,
                confidence: float = 0.95) -> int:
    """Houses to visit for an interval half-width ``margin`` (0.03 = +-3 points) over ``population`` houses.

    The rate is one of persons, the sample one of houses: with about two persons per house the person
    count roughly doubles what a house count gives, and the design effect takes the clustering back."""
    if not 0 < margin < 1:
        raise ValueError(f"margin {margin!r} must lie strictly between 0 and 1 (0.03 = +-3 points)")
    if not 0 < expected_rate < 1:
        raise ValueError(f"expected rate {expected_rate!r} must lie strictly between 0 and 1")
    if design_effect < 1:
        raise ValueError(f"design effect {design_effect!r} must be at least 1")
    if population < 1:
        raise ValueError("the frame has no houses")
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    n0 = (z / margin) ** 2 * expected_rate * (1 - expected_rate) * design_effect
    return min(population, math.ceil(n0 / (1 + n0 / population) - 1e-9))


def _largest_remainder(quota: np.ndarray, total: int) -> np.ndarray:
    base = np.floor(quota).astype(np.int64)
    short = total - int(base.sum())
    if short > 0:
        order = np.argsort(-(quota - base), kind="stable")
        base[order[:short]] += 1
    return base


def allocate(sizes: Sequence[int], total: int, *, method: str = "proportional",
             stratum_sd: Sequence[float] | None = None, floor: int = FLOOR) -> np.ndarray:
    """Houses to visit per stratum: ``total`` spread by ``method`` with ``floor`` per stratum, capped at N_h.

    Strata at their cap or floor are fixed and the rest is spread again over the others until every
    stratum fits (the usual iterative Neyman/proportional allocation with bounds)."""
    big_n = np.asarray(sizes, dtype=np.int64)
    if big_n.size == 0:
        raise ValueError("no strata to allocate to")
    if np.any(big_n < 1):
        raise ValueError("every stratum needs at least one house")
    if method not in ALLOCATIONS:
        raise ValueError(f"allocation {method!r} is not one of {', '.join(ALLOCATIONS)}")
    if method == "neyman":
        if stratum_sd is None or len(stratum_sd) != big_n.size:
            raise ValueError("Neyman allocation needs one standard deviation per stratum (from an earlier campaign)")
        sd = np.asarray(stratum_sd, dtype=np.float64)
        if np.any(~np.isfinite(sd)) or np.any(sd < 0):
            raise ValueError("stratum standard deviations must be finite and >= 0")
        weight = big_n * sd
        if weight.sum() <= 0:  # no variation seen anywhere: nothing to choose by, proportional
            weight = big_n.astype(np.float64)
    else:
        weight = big_n.astype(np.float64)
    low = np.minimum(big_n, floor)
    total = int(min(max(total, int(low.sum())), int(big_n.sum())))
    n = low.copy()
    free = np.ones(big_n.size, dtype=bool)
    for _ in range(big_n.size + 1):
        left = total - int(n[~free].sum())
        w = np.where(free, weight, 0.0)
        quota = np.zeros(big_n.size) if w.sum() <= 0 else left * w / w.sum()
        over = free & (quota > big_n)
        under = free & (quota < low)
        if not over.any() and not under.any():
            n[free] = _largest_remainder(quota[free], left)
            break
        n[over] = big_n[over]
        n[under & ~over] = low[under & ~over]
        free &= ~(over | under)
        if not free.any():
            break
    return np.minimum(n, big_n)


def house_number(seed: int, house_key: str) -> int:
    """The permanent random number of a house in a campaign: 64 bits of BLAKE2b(seed, key)."""
    digest = hashlib.blake2b(f"{seed}\x1f{house_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class Draw:
    stratum: str
    house_key: str
    rank: int  # 1 = the smallest number of its stratum
    number: int


def draw_sample(frame: Iterable[tuple[str, str]], allocation: dict[str, int], *, seed: int) -> list[Draw]:
    """``frame`` = (stratum, house key) pairs; ``allocation`` = houses to draw per stratum.

    Returns the sampled houses, stratum by stratum (in code order), each in rank order."""
    by_stratum: dict[str, list[tuple[int, str]]] = {}
    for stratum, key in frame:
        by_stratum.setdefault(stratum, []).append((house_number(seed, key), key))
    unknown = set(allocation) - set(by_stratum)
    if unknown:
        raise ValueError(f"strata without houses in the frame: {', '.join(sorted(unknown))}")
    out: list[Draw] = []
    for stratum in sorted(allocation):
        houses = sorted(by_stratum[stratum])
        want = allocation[stratum]
        if want > len(houses):
            raise ValueError(f"stratum {stratum}: {want} houses wanted but the frame has {len(houses)}")
        out += [Draw(stratum, key, rank, number) for rank, (number, key) in enumerate(houses[:want], start=1)]
    return out
