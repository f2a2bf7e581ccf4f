"""Hotspots: Getis-Ord Gi* (PySAL esda) on grid adjacency, on observed/expected ratios.

Pure apart from esda/libpysal/shapely (no Django). Raw counts mostly rediscover where people live,
so the variable is the smoothed ratio (observed + 1) / (expected + 1) of each grid over a window,
the expected count coming from each series' own baseline (detect.py). p-values are two-sided and
analytic (normal z of Gi*), so esda's numba permutation code is never used (no 18 s compile);
Benjamini-Hochberg runs across all grids and categories together (analytics.md §2).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import stats

KINDS = ("cold99", "cold95", "none", "hot95", "hot99")


def adjacency(geoms: Sequence) -> dict[int, list[int]]:
    """Queen contiguity between polygons (sharing an edge or a corner), by index."""
    geoms = np.asarray(list(geoms), dtype=object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    neighbours: dict[int, list[int]] = {i: [] for i in range(len(geoms))}
    for i, j in zip(left[keep].tolist(), right[keep].tolist(), strict=True):
        neighbours[i].append(j)
    return neighbours


def lattice(rows: int, cols: int) -> dict[int, list[int]]:
    """Queen neighbours of a rows x cols lattice (index = r * cols + c); for tests and benchmarks."""
    out: dict[int, list[int]] = {}
    for r in range(rows):
        for c in range(cols):
            out[r * cols + c] = [rr * cols + cc for rr in range(max(0, r - 1), min(rows, r + 2))
                                 for cc in range(max(0, c - 1), min(cols, c + 2)) if (rr, cc) != (r, c)]
    return out


def gi_star(values: np.ndarray, neighbours: dict[int, list[int]]) -> np.ndarray:
    """Gi* z-scores (esda ``G_Local(star=True)``, binary weights) for each column of ``values``
    (cells x variables). A constant column gives z = 0."""
    import esda
    import libpysal

    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    z = np.zeros(values.shape)
    with warnings.catch_warnings():  # islands / disconnected components are fine here
        warnings.simplefilter("ignore")
        w = libpysal.weights.W(neighbours, silence_warnings=True)
        for j in range(values.shape[1]):
            y = values[:, j]
            if np.ptp(y) == 0:
                continue
            g = esda.G_Local(y, w, transform="B", permutations=0, star=True)
            z[:, j] = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    return z


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values (q), same shape as ``p``, over all entries together."""
    flat = np.asarray(p, dtype=float).ravel()
    n = flat.size
    order = np.argsort(flat)
    ranked = flat[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out.reshape(np.shape(p))


@dataclass(frozen=True)
class HotspotResult:
    ratio: np.ndarray  # (cells, variables)
    z: np.ndarray
    pvalue: np.ndarray  # two-sided
    qvalue: np.ndarray  # BH across all cells and variables
    kind: np.ndarray  # index into KINDS minus 2: -2 cold99, -1 cold95, 0 none, 1 hot95, 2 hot99

    def kind_names(self) -> np.ndarray:
        return np.array(KINDS, dtype=object)[self.kind + 2]


def hotspots(observed: np.ndarray, expected: np.ndarray, neighbours: dict[int, list[int]]) -> HotspotResult:
    """Gi* on (observed + 1) / (expected + 1), flagged hot/cold where BH q < 0.05 (95 %) or < 0.01 (99 %)."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    ratio = (observed + 1.0) / (np.nan_to_num(expected) + 1.0)
    z = gi_star(ratio, neighbours)
    p = 2 * stats.norm.sf(np.abs(z))
    q = benjamini_hochberg(p)
    level = np.where(q < 0.01, 2, np.where(q < 0.05, 1, 0))
    kind = (np.sign(z) * level).astype(int)
    return HotspotResult(ratio=ratio, z=z, pvalue=p, qvalue=q, kind=kind)
