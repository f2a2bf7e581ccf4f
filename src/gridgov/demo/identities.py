"""Unique identifiers for the synthetic register, by construction (pure: NumPy, no Django).

The demo draws each resident's birth date, sex and address code at random; the identity number
(GB 11643: address code 6 + birth date 8 + sequence 3 + check character) must still be unique. A
random sequence with a "seen" set and retries costs a set of every number (hundreds of MB at city
scale) and a redraw loop; here uniqueness follows from counting instead:

* :class:`IdentityAllocator` keeps, for every (address code, birth day, sex), how many sequences
  it has handed out (a ``uint16`` array, ~6 MB for 50 address codes over 91 years). The k-th
  person of a cell gets the k-th sequence of a fixed permutation of that cell's 500 odd (men) or
  499 even (women) sequences, so numbers do not all end in 001/002. A full cell (more than 500 men
  born on one day in one county) moves the person one day earlier. Distinct (area, day, sequence)
  triples give distinct numbers.
* :func:`passport_numbers`: ``E`` + 7 digits + a Luhn check digit, the 7 digits a bijection of a
  running counter (an affine permutation modulo 10^7), unique for the first 10 million foreigners.
* :func:`serial8`: the 8-digit organisation serial of a USCC, a bijection of a counter modulo 10^8.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

#: Oldest birth the allocator handles, in days before ``today`` (91 years plus room for moves).
MAX_DAYS = 92 * 366
_MALE_SLOTS, _FEMALE_SLOTS = 500, 499  # odd sequences 1..999, even 2..998
_STEP = 193  # coprime to 500 and 499: k -> (offset + k * step) mod slots is a permutation
_GB11643_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_GB11643_CHECK = np.array(list("10X98765432"))
_PASSPORT_MOD = 10**7
_PASSPORT_MUL = 2_718_281  # odd, not a multiple of 5: coprime to 10^7
_SERIAL_MUL = 31_415_927  # odd, not a multiple of 5: coprime to 10^8


class IdentityAllocator:
    """Hands out GB 11643 sequences so that no two persons share an identity number."""

    def __init__(self, areas: Sequence[str], today: date):
        self.areas = sorted(set(areas))
        self.index = {a: i for i, a in enumerate(self.areas)}
        self.today = today
        self.used = np.zeros(len(self.areas) * MAX_DAYS * 2, dtype=np.uint16)

    def assign(self, areas: Sequence[str], days_back: np.ndarray, male: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sequences (1-999, odd for men) and the final days before ``today`` of each person;
        ``days_back`` may move back for a person whose cell is full."""
        area = np.fromiter((self.index[a] for a in areas), dtype=np.int64, count=len(areas))
        day = np.array(days_back, dtype=np.int64, copy=True)
        male = np.asarray(male, dtype=bool)
        seq = np.zeros(len(area), dtype=np.int64)
        todo = np.arange(len(area))
        while todo.size:
            if day[todo].max(initial=0) >= MAX_DAYS or day[todo].min(initial=0) < 0:
                raise ValueError(f"birth dates must lie within {MAX_DAYS} days before {self.today}")
            key = (area[todo] * MAX_DAYS + day[todo]) * 2 + male[todo]
            order = np.argsort(key, kind="stable")
            ks = key[order]
            starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
            rank = np.arange(len(ks)) - np.repeat(starts, np.diff(np.r_[starts, len(ks)]))
            k = self.used[ks].astype(np.int64) + rank
            is_male = (ks % 2).astype(bool)
            slots = np.where(is_male, _MALE_SLOTS, _FEMALE_SLOTS)
            ok = k < slots
            offset = (ks // 2) * 7919 % slots
            slot = (offset + k * _STEP) % slots
            who = todo[order[ok]]
            seq[who] = np.where(is_male[ok], 2 * slot[ok] + 1, 2 * slot[ok] + 2)
            np.add.at(self.used, ks[ok], 1)
            todo = todo[order[~ok]]
            day[todo] += 1  # full cell: one day earlier
        return seq, day

    def births(self, days_back: np.ndarray) -> list[date]:
        return [self.today - timedelta(days=int(d)) for d in days_back]


def identity_numbers(areas: Sequence[str], births: Sequence[date], seqs: np.ndarray) -> list[str]:
    """GB 11643 numbers (with the check character) for columns of address code, birth, sequence."""
    body = np.fromiter((int(a) * 10**11 + (b.year * 10_000 + b.month * 100 + b.day) * 1000
                        for a, b in zip(areas, births, strict=True)), dtype=np.int64, count=len(areas))
    body += np.asarray(seqs, dtype=np.int64)
    digits = (body[:, None] // 10 ** np.arange(16, -1, -1, dtype=np.int64)) % 10
    check = _GB11643_CHECK[(digits @ _GB11643_WEIGHTS) % 11]
    return [f"{b:017d}{c}" for b, c in zip(body.tolist(), check.tolist(), strict=True)]


def _luhn(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def passport_numbers(start: int, count: int, seed: int = 1) -> list[str]:
    """``E`` + 7 digits + a Luhn check digit for foreigners ``start`` … ``start + count - 1``."""
    if start + count > _PASSPORT_MOD:
        raise ValueError(f"at most {_PASSPORT_MOD:,} passport numbers")
    out = []
    for j in range(start, start + count):
        body = f"{(j * _PASSPORT_MUL + seed * 1_234_567) % _PASSPORT_MOD:07d}"
        out.append("E" + body + _luhn(body))
    return out


def serial8(i: int, seed: int = 1) -> str:
    """An 8-digit serial, distinct for distinct ``i`` below 10^8."""
    if not 0 <= i < 10**8:
        raise ValueError("serial index out of range")
    return f"{(i * _SERIAL_MUL + seed * 7_777_777) % 10**8:08d}"
