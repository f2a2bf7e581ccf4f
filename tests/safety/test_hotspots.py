"""Gi* against PySAL esda (the oracle, a test-only dependency) on real grid adjacency with islands
and zero-count cells; a planted cluster; BH against statsmodels; adjacency from polygons."""

import warnings

import esda
import libpysal
import numpy as np
import pytest
import shapely
from scipy import stats
from statsmodels.stats.multitest import multipletests

from gridgov.demo.city import generate_city
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


# ---------------------------------------------------------------- esda as the oracle

def _esda(y, neighbours):
    """z and two-sided p of esda's G_Local(star=True), binary weights, analytic moments."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands
        w = libpysal.weights.W(neighbours, silence_warnings=True)
        g = esda.G_Local(y, w, transform="B", permutations=0, star=True)
    return np.asarray(g.Zs, dtype=float), 2 * np.asarray(g.p_norm, dtype=float)


@pytest.fixture(scope="module")
def city_grids():
    """The tiny demo city's 120 grid polygons plus three far-away islands (one pair touching, one
    alone): the production path builds the neighbours from polygons with ``adjacency``."""
    polygons = [g.polygon for g in generate_city("tiny", seed=1).grids]
    polygons += [shapely.box(130, 40, 130.01, 40.01), shapely.box(130.01, 40, 130.02, 40.01),
                 shapely.box(131, 41, 131.01, 41.01)]
    return hs.adjacency(polygons)


def test_city_adjacency_has_islands_and_real_neighbourhoods(city_grids):
    sizes = np.array([len(city_grids[i]) for i in range(len(city_grids))])
    assert sizes[-1] == 0 and sizes[-2] == sizes[-3] == 1  # the lone island and the touching pair
    assert 3 <= np.median(sizes[:120]) <= 8 and sizes[:120].min() >= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gi_star_matches_esda_on_the_city_grids(city_grids, seed):
    rng = np.random.default_rng(seed)
    n = len(city_grids)
    expected = rng.gamma(2.0, 2.0, (n, 4))
    observed = rng.poisson(expected * rng.uniform(0.5, 2.0, (n, 4))).astype(float)
    observed[rng.random((n, 4)) < 0.3] = 0.0  # many zero-count cells, islands included
    observed[-1] = 0.0
    result = hs.hotspots(observed, expected, city_grids)
    for j in range(4):
        z, p = _esda(result.ratio[:, j], city_grids)
        np.testing.assert_allclose(result.z[:, j], z, rtol=0, atol=1e-9)
        np.testing.assert_allclose(result.pvalue[:, j], p, rtol=1e-9, atol=1e-12)
    assert (result.ratio[-1] == (1 / (expected[-1] + 1))).all()  # a zero-count island still has a z


def test_gi_star_matches_esda_on_a_lattice_with_a_detached_block():
    nb = hs.lattice(15, 20)
    detached = {300 + i: [300 + j for j in range(4) if j != i] for i in range(4)}  # a 4-cell component
    nb.update(detached)
    y = np.random.default_rng(9).poisson(1.0, 304).astype(float)  # mostly 0 and 1
    z, p = _esda(y, nb)
    np.testing.assert_allclose(hs.gi_star(y, nb)[:, 0], z, rtol=0, atol=1e-9)
    np.testing.assert_allclose(2 * stats.norm.sf(np.abs(hs.gi_star(y, nb)[:, 0])), p, rtol=1e-9, atol=1e-12)


def test_a_constant_column_gives_zero():
    nb = hs.lattice(4, 4)
    z = hs.gi_star(np.column_stack([np.full(16, 3.0), np.arange(16.0)]), nb)
    assert (z[:, 0] == 0).all() and np.abs(z[:, 1]).max() > 1


def test_benjamini_hochberg_matches_statsmodels():
    p = np.random.default_rng(4).uniform(size=(300, 7)) ** 2
    np.testing.assert_allclose(hs.benjamini_hochberg(p).ravel(), multipletests(p.ravel(), method="fdr_bh")[1],
                               rtol=1e-12)


def test_a_cold_cell_in_a_hot_neighbourhood_is_not_a_hotspot():
    """The reporting rule: hot only where the cell's own observed > expected and observed >= 1.
    Counts written here: 0.2 incidents expected everywhere, one each in a 3 x 3 block whose centre
    saw none. Gi* alone rates the empty centre the hottest cell of all."""
    nb = hs.lattice(9, 9)
    observed = np.zeros((81, 1))
    expected = np.full((81, 1), 0.2)
    block = [r * 9 + c for r in range(3, 6) for c in range(3, 6)]
    centre = 4 * 9 + 4
    observed[block, 0] = 1.0
    observed[centre, 0] = 0.0
    result = hs.hotspots(observed, expected, nb)
    assert result.z[centre, 0] == result.z[:, 0].max() and result.qvalue[centre, 0] < 0.01
    assert result.kind[centre, 0] == 0
    significant = set(np.flatnonzero((result.qvalue[:, 0] < 0.05) & (result.z[:, 0] > 0)).tolist())
    assert significant == {centre, 31, 39, 41, 49}  # the centre and the block's four edge middles
    assert set(np.flatnonzero(result.kind[:, 0] > 0).tolist()) == {31, 39, 41, 49}


def test_a_cell_at_or_below_its_expected_count_is_not_a_hotspot():
    """Observed == expected, or 1 incident against 1.5 expected: significant Gi*, not reported."""
    nb = hs.lattice(9, 9)
    observed = np.full((81, 1), 2.0)
    expected = np.full((81, 1), 2.0)
    block = [r * 9 + c for r in range(3, 6) for c in range(3, 6)]
    observed[block, 0] = 12.0
    observed[4 * 9 + 4, 0] = 0.0
    equal, fewer = 3 * 9 + 4, 5 * 9 + 4
    observed[equal, 0] = 2.0
    observed[fewer, 0], expected[fewer, 0] = 1.0, 1.5
    result = hs.hotspots(observed, expected, nb)
    for cell in (4 * 9 + 4, equal, fewer):
        assert result.z[cell, 0] > 3 and result.qvalue[cell, 0] < 0.05 and result.kind[cell, 0] == 0


def test_a_hot_cell_in_a_cold_neighbourhood_is_not_a_coldspot():
    nb = hs.lattice(9, 9)
    observed = np.full((81, 1), 4.0)
    expected = np.full((81, 1), 4.0)
    block = [r * 9 + c for r in range(3, 6) for c in range(3, 6)]
    observed[block, 0] = 0.0
    centre = 4 * 9 + 4
    observed[centre, 0] = 5.0  # more than expected, among quiet neighbours
    result = hs.hotspots(observed, expected, nb)
    assert result.z[centre, 0] < -3 and result.qvalue[centre, 0] < 0.05 and result.kind[centre, 0] == 0
    assert set(np.flatnonzero(result.kind[:, 0] < 0).tolist()) == {31, 39, 41, 49}  # the edge middles
