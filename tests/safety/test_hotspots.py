"""Gi* on a lattice with a planted cluster; BH; adjacency from polygons."""

import numpy as np
import shapely

from gridgov.safety import hotspots as hs


def _gi_star_by_hand(y, neighbours):
    n = len(y)
    ybar, s = y.mean(), y.std()
    z = np.empty(n)
    for i in range(n):
        members = [i, *neighbours[i]]
        w = len(members)
        num = y[members].sum() - ybar * w
        den = s * np.sqrt((n * w - w * w) / (n - 1))
        z[i] = num / den
    return z


def test_gi_star_matches_the_textbook_formula():
    rng = np.random.default_rng(1)
    nb = hs.lattice(8, 9)
    y = rng.poisson(3, 72).astype(float) + 1
    np.testing.assert_allclose(hs.gi_star(y, nb)[:, 0], _gi_star_by_hand(y, nb), rtol=1e-6)


def test_planted_cluster_is_found_and_the_null_map_is_quiet():
    rng = np.random.default_rng(2)
    rows = cols = 40
    nb = hs.lattice(rows, cols)
    expected = np.full((rows * cols, 2), 2.0)
    observed = rng.poisson(2.0, (rows * cols, 2)).astype(float)
    cluster = [r * cols + c for r in range(20, 25) for c in range(10, 15)]
    observed[cluster, 0] = rng.poisson(9.0, len(cluster))
    result = hs.hotspots(observed, expected, nb)
    hot = set(np.flatnonzero(result.kind[:, 0] > 0).tolist())
    assert len(hot & set(cluster)) >= 20  # most of the 25 planted cells
    ring = {j for i in cluster for j in nb[i]} | set(cluster)
    assert hot <= ring  # nothing flagged far from the cluster
    assert (result.kind[:, 1] > 0).sum() <= 3  # the null category: at most a stray flag
    assert set(result.kind_names()[list(cluster), 0]) <= {"hot95", "hot99", "none"}


def test_ratio_not_counts_a_dense_area_is_not_a_hotspot():
    nb = hs.lattice(20, 20)
    expected = np.full((400, 1), 1.0)
    expected[:100] = 10.0  # a dense district: many incidents, all expected
    observed = expected.copy()
    result = hs.hotspots(observed, expected, nb)
    assert not (result.kind > 0).any()
    raw = hs.gi_star(observed, nb)
    assert raw[:100].max() > 3  # raw counts would have "found" the dense district


def test_benjamini_hochberg():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    # sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, min(0.06, 0.0533), 0.04*4/3, 0.5
    np.testing.assert_allclose(hs.benjamini_hochberg(p), [0.04, 0.16 / 3, 0.16 / 3, 0.5], rtol=1e-9)


def test_adjacency_from_polygons_is_queen():
    boxes = [shapely.box(x, y, x + 1, y + 1) for y in range(2) for x in range(2)]
    nb = hs.adjacency(boxes)
    assert sorted(nb[0]) == [1, 2, 3]  # corner-touching counts
