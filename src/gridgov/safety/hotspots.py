"""Hotspots: Getis-Ord Gi* on grid adjacency, on observed/expected ratios.

Pure (NumPy, scipy.sparse, shapely; no Django). Raw counts mostly rediscover where people live,
so the variable is the smoothed ratio (observed + 1) / (expected + 1) of each grid over a window,
the expected count coming from each series' own baseline (detect.py). Gi* is PySAL esda's
``G_Local(star=True, transform="B")`` with its analytic moments, computed here for all categories
with one sparse product (tests/safety/test_hotspots.py compares it with esda, a test-only
dependency). p-values are two-sided and analytic (normal z of Gi*); Benjamini-Hochberg
(``scipy.stats.false_discovery_control``) runs across all grids and categories together
(analytics.md §2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

import numpy as np
import shapely
from scipy import sparse, special

KINDS = ("cold99", "cold95", "none", "hot95", "hot99")


def adjacency(geoms: Iterable) -> dict[int, list[int]]:
    """Queen contiguity between polygons (sharing an edge or a corner), by index."""
    polygons = np.asarray(list(geoms), dtype=object)
    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="intersects")
    keep = left != right
    neighbours: dict[int, list[int]] = {i: [] for i in range(len(polygons))}
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


def weights(neighbours: dict[int, list[int]]) -> sparse.csr_array:
    """Binary Gi* weights: the neighbours of cell i (keys 0..n-1) and i itself."""
    n = len(neighbours)
    lists = [neighbours[i] for i in range(n)]
    cols = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=sum(map(len, lists)))
    rows = np.repeat(np.arange(n), [len(x) for x in lists])
    w = sparse.coo_array((np.ones(len(cols) + n), (np.concatenate([rows, np.arange(n)]),
                                                   np.concatenate([cols, np.arange(n)]))), shape=(n, n)).tocsr()
    w.sum_duplicates()
    w.data[:] = 1.0  # binary, whatever the lists repeat
    return w


def gi_star(values: np.ndarray, neighbours: dict[int, list[int]]) -> np.ndarray:
    """Gi* z-scores (esda ``G_Local(star=True)``, binary weights) for each column of ``values``
    (cells x variables): G_i = sum_j w_ij y_j / sum_j y_j over i and its neighbours, standardised
    by its mean c_i / n and variance c_i (n - c_i) / (n - 1) / n^2 * s^2 / ybar^2 (c_i: cells in the
    sum; ybar, s^2: mean and population variance of y). A constant column gives z = 0."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    n = values.shape[0]
    w = weights(neighbours)
    card = w.sum(axis=1)[:, None]
    total = values.sum(axis=0)
    mean = total / n
    var = (values * values).sum(axis=0) / n - mean * mean
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (w @ values) / total
        expected_var = card * (n - card) / (n - 1) / n**2 * (var / (mean * mean))
        z = (g - card / n) / np.sqrt(expected_var)
    z[:, np.ptp(values, axis=0) == 0] = 0.0
    return np.nan_to_num(z)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values (q), same shape as ``p``, over all entries together."""
    from scipy.stats import false_discovery_control  # scipy.stats takes seconds to import: only here

    p = np.asarray(p, dtype=float)
    if not p.size:
        return p.copy()
    return false_discovery_control(p.ravel(), method="bh").reshape(p.shape)


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
    """Gi* on (observed + 1) / (expected + 1), flagged hot/cold where BH q < 0.05 (95 %) or < 0.01 (99 %)
    and the cell's own count agrees: hot only where observed > expected and observed >= 1, cold only
    where observed < expected. Gi* sums a cell with its neighbours, so without that rule a cell with
    no incident inside a hot neighbourhood would be reported as a hotspot. BH still runs over every
    cell and variable (the rule selects what is reported, not what is tested)."""
    observed = np.asarray(observed, dtype=float)
    expected = np.nan_to_num(np.asarray(expected, dtype=float))
    ratio = (observed + 1.0) / (expected + 1.0)
    z = gi_star(ratio, neighbours)
    p = 2 * special.ndtr(-np.abs(z))
    q = benjamini_hochberg(p)
    level = np.where(q < 0.01, 2, np.where(q < 0.05, 1, 0))
    agrees = np.where(z > 0, (observed >= 1) & (observed > expected), observed < expected)
    kind = (np.sign(z) * level * agrees).astype(int)
    return HotspotResult(ratio=ratio, z=z, pvalue=p, qvalue=q, kind=kind)
