"""Bethe-lattice percolation theory and kernels against independent references."""

import math

import numpy as np
import pytest
from scipy import ndimage, stats

import naive
from scalinglab.kernels import percolation as K
from scalinglab.theory import percolation as P
from scalinglab.theory.percolation import _bethe


# ----------------------------------------------------------------- closed forms
@pytest.mark.parametrize("z,s_max", [(3, 7), (4, 5), (5, 4)])
def test_cluster_numbers_match_enumerated_animals(z, s_max):
    counts = naive.bethe_animals(s_max, z)
    for p in (0.1, 0.3, 0.6):
        for s in range(1, s_max + 1):
            # every s-animal has perimeter (z-2)s+2 on a tree
            assert set(counts[s]) == {(z - 2) * s + 2}
            direct = sum(c * p**s * (1 - p) ** t for t, c in counts[s].items()) / s
            assert P.cluster_numbers(s, p, z) == pytest.approx(direct, rel=1e-12)


def test_log_space_reaches_huge_sizes():
    s = np.array([1e6, 1e9, 1e12])
    ln = P.log_cluster_numbers(s, 0.5, 3)
    assert np.all(np.isfinite(ln))
    # at p_c the Stirling asymptote A s^-5/2 is reached with O(1/s) corrections
    asym = math.log(P.asymptotic_prefactor(0.5, 3)) - 2.5 * np.log(s)
    np.testing.assert_allclose(ln, asym, atol=1e-5)


@pytest.mark.parametrize("z", [3, 4, 6])
@pytest.mark.parametrize("frac", [0.3, 0.8, 1.0, 1.2, 1.7])
def test_site_fraction_identity(z, frac):
    """sum_s s n_s = p below p_c and p - P_inf above, summed to s = 1e9 plus the tail."""
    pc = P.critical_p(z)
    p = min(frac * pc, 0.95)
    total = P.cluster_moment(1, p, z, s_max=10**9)
    expected = p - P.p_infinity(p, z)
    assert total == pytest.approx(expected, rel=1e-9, abs=1e-10)
    if frac <= 1.0:
        assert P.p_infinity(p, z) == 0.0


def test_pinf_closed_form_z3():
    # z = 3: Q = (1-p)/p above p_c = 1/2
    for p in (0.55, 0.7, 0.9):
        q = (1 - p) / p
        assert P.p_infinity(p, 3) == pytest.approx(p * (1 - q**3), rel=1e-12)


@pytest.mark.parametrize("z", [3, 4])
@pytest.mark.parametrize("frac", [0.5, 0.9, 1.1, 1.6])
def test_mean_cluster_size_vs_moments(z, frac):
    p = frac * P.critical_p(z)
    m1 = P.cluster_moment(1, p, z)
    m2 = P.cluster_moment(2, p, z)
    assert m2 / m1 == pytest.approx(P.mean_cluster_size(p, z), rel=1e-8)


def test_cutoff_size_from_ratio_of_terms():
    """s_xi from the decay of n_{s+1}/n_s at large s, an independent route."""
    for p in (0.3, 0.45, 0.6):
        s = 1e7
        ratio = P.log_cluster_numbers(s + 1, p, 3) - P.log_cluster_numbers(s, p, 3)
        # log n_{s+1} - log n_s -> log c(p) - 5/(2 s)
        assert -1 / (ratio + 2.5 / s) == pytest.approx(P.cutoff_size(p, 3), rel=1e-4)
    assert P.cutoff_size(0.5, 3) == math.inf


def test_exponents_from_numerics():
    """tau, sigma, beta, gamma from the numbers (log-log slopes), not from sympy."""
    s = np.array([1e6, 1e8])
    ln = P.log_cluster_numbers(s, 0.5, 3)
    assert -(ln[1] - ln[0]) / math.log(100) == pytest.approx(P.TAU, abs=1e-6)
    e = np.array([1e-4, 1e-5])
    sx = [P.cutoff_size(0.5 - x, 3) for x in e]
    assert math.log(sx[1] / sx[0]) / math.log(10) == pytest.approx(1 / P.SIGMA, abs=1e-3)
    pinf = [P.p_infinity(0.5 + x, 3) for x in e]
    assert math.log(pinf[0] / pinf[1]) / math.log(10) == pytest.approx(P.BETA, abs=1e-3)
    S = [P.mean_cluster_size(0.5 - x, 3) for x in e]
    assert math.log(S[1] / S[0]) / math.log(10) == pytest.approx(P.GAMMA, abs=1e-3)


def test_bad_input():
    with pytest.raises(ValueError):
        P.cluster_numbers(0, 0.3)
    with pytest.raises(ValueError):
        P.cluster_numbers(1, 1.2)
    with pytest.raises(ValueError):
        P.critical_p(2)


def test_bethe_stats_dataclass():
    st = P.bethe_stats(0.6, 3)
    assert st.regime == "supercritical"
    assert st.finite_site_fraction + st.p_inf == pytest.approx(0.6, rel=1e-10)
    assert P.bethe_stats(0.5, 3).regime == "critical"


# ----------------------------------------------------------------- sympy
def test_symbolic_exponents_and_amplitude():
    from scalinglab.theory.percolation import asymptotic_amplitude, derive_exponents
    from scalinglab.theory.percolation._symbolic import p

    d = {k: float(v) for k, v in derive_exponents(3).items()}
    assert d == {"tau": P.TAU, "sigma": P.SIGMA, "beta": P.BETA, "gamma": P.GAMMA, "nu": P.NU,
                 "fractal_dim": P.FRACTAL_DIM, "chemical_dim": P.CHEMICAL_DIM}
    # the Stirling amplitude agrees with the gammaln numbers at large s
    for z in (3, 4):
        A = float(asymptotic_amplitude(z).subs(p, 0.2))
        # gammaln numbers (below the Stirling switch), Richardson-extrapolated in 1/s
        s1, s2 = 4000.0, 8000.0
        f1, f2 = (float(_bethe._log_ns_gammaln(np.array([x]), 0.2, z)[0]) + x / P.cutoff_size(0.2, z)
                  + 2.5 * math.log(x) for x in (s1, s2))
        direct = math.exp((s2 * f2 - s1 * f1) / (s2 - s1))
        assert A == pytest.approx(direct, rel=1e-6)
        assert A == pytest.approx(P.asymptotic_prefactor(0.2, z), rel=1e-12)


# ----------------------------------------------------------------- kernels
def _chi2_pvalue(sizes, p, z, cap):
    """Chi-square of a size histogram against s n_s / p, tail (>= cap) pooled."""
    edges = [1, 2, 3, 4, 5, 6, 8, 11, 16, 25, 40, 70, 130, cap]
    svals = np.arange(1, cap)
    pmf = P.size_biased_pmf(svals, p, z)
    exp_p = [pmf[(svals >= a) & (svals < b)].sum() for a, b in zip(edges[:-1], edges[1:])]
    exp_p.append(1.0 - sum(exp_p))  # P(size >= cap), includes P_inf / p above p_c
    obs = [np.sum((sizes >= a) & (sizes < b)) for a, b in zip(edges[:-1], edges[1:])]
    obs.append(np.sum(sizes >= cap))
    exp = np.array(exp_p) * sizes.size
    chi2 = float(np.sum((np.array(obs) - exp) ** 2 / exp))
    return stats.chi2.sf(chi2, len(obs) - 1)


@pytest.mark.parametrize("p,z", [(0.35, 3), (0.5, 3), (0.62, 3), (0.3, 4)])
def test_leath_histogram_chi_square(p, z):
    cap = 300
    sizes = K.bethe_cluster_sizes(200_000, p, z, cap, 7)
    assert sizes.min() >= 1 and sizes.max() <= cap
    assert _chi2_pvalue(sizes, p, z, cap) > 1e-4


def test_naive_leath_matches_theory_too():
    sizes = naive.leath_sizes(4000, 0.45, 3, 300, np.random.default_rng(3))
    assert _chi2_pvalue(sizes, 0.45, 3, 300) > 1e-4


def test_chi_square_detects_wrong_p():
    """The histogram test has power: clusters grown at p = 0.47 fail against p = 0.45."""
    sizes = K.bethe_cluster_sizes(200_000, 0.47, 3, 300, 7)
    assert _chi2_pvalue(sizes, 0.45, 3, 300) < 1e-6


def test_forest_structure_and_law():
    par, off, capped = K.bethe_forest(20_000, 0.45, 3, 500, 11)
    sizes = np.diff(off)
    assert off[-1] == par.size
    for c in range(50):
        seg = par[off[c]:off[c + 1]]
        assert seg[0] == -1 and np.all((seg[1:] >= off[c]) & (seg[1:] < np.arange(off[c] + 1, off[c + 1])))
        # coordination: the seed has <= z children, other sites <= z-1
        kids = np.bincount(seg[1:] - off[c], minlength=sizes[c])
        assert kids[0] <= 3 and np.all(kids[1:] <= 2)
    assert _chi2_pvalue(np.where(capped, 500, sizes), 0.45, 3, 500) > 1e-4


def test_embed_tree_matches_naive(rng):
    par, off, _ = K.bethe_forest(30, 0.5, 3, 200, 5)
    steps = rng.normal(size=(par.size, 4))
    np.testing.assert_allclose(K.embed_tree(par, steps), naive.embed_tree(par, steps), rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", [(13,), (9, 11), (6, 7, 5), (4, 3, 5, 4), (3, 3, 3, 3, 3)])
@pytest.mark.parametrize("p", [0.3, 0.6])
def test_union_find_equals_bfs_and_scipy(shape, p, rng):
    occ = rng.random(shape) < p
    lab, n = K.label_clusters(occ.ravel(), np.array(shape, dtype=np.int64))
    lab = lab.reshape(shape)
    ref, nref = naive.bfs_label(occ)
    sp_lab, nsp = ndimage.label(occ)
    assert n == nref == nsp
    np.testing.assert_array_equal(lab, ref)
    np.testing.assert_array_equal(lab, sp_lab)
    # the generic union-find is also checked on d <= 3 (label_clusters uses the raster scans there)
    from scalinglab.kernels.percolation import _clusters as C

    kl, kn = C._label_nd(occ.ravel(), np.array(shape, dtype=np.int64))
    assert kn == nref
    np.testing.assert_array_equal(kl.reshape(shape), ref)
    kl = np.full(occ.size, -7, dtype=np.int64)  # the numpy-allocated path: garbage in, every site written
    assert C._label_nd_into(occ.ravel(), np.array(shape, dtype=np.int64), np.full(occ.size, -7), kl) == nref
    np.testing.assert_array_equal(kl.reshape(shape), ref)


@pytest.mark.parametrize("shape", [(13,), (1, 9), (9, 1), (9, 11), (2, 17), (1, 1, 7), (6, 7, 5), (5, 1, 4), (3, 8, 9)])
@pytest.mark.parametrize("p", [0.3, 0.6, 0.95])
def test_slab_labelling_equals_bfs_for_every_slab_count(shape, p, rng):
    """Both twins of the slab kernel, 1 slab to more slabs than rows (empty slabs, seams on every row)."""
    from scalinglab.kernels.percolation import _clusters as C

    occ = rng.random(shape) < p
    ref, nref = naive.bfs_label(occ)
    n0, n1, n2, npar = C._slab_dims(list(shape))
    for nslab in range(1, n0 + 3):
        for f in (C._label_slabs_ser, C._label_slabs_par):
            lab = np.full(occ.size, -7, dtype=np.int64)  # garbage in: the kernel writes every site
            par = np.full(npar, -7, dtype=np.int64)
            n = f(occ.ravel(), lab, par, n0, n1, n2, nslab)
            assert n == nref, (nslab, f)
            np.testing.assert_array_equal(lab.reshape(shape), ref)


def test_label_clusters_parallel_path_equals_scipy(rng):
    """A 2-d and a 3-d array at the parallel threshold (slabs scanned on every Numba thread) against scipy."""
    from scalinglab.kernels.percolation import _clusters as C

    for shape, p in [((2048, C.LABEL_PARALLEL_MIN_SITES // 2048), 0.5927), ((256, 128, 128), 0.3116)]:
        occ = rng.random(shape) < p
        assert occ.size >= C.LABEL_PARALLEL_MIN_SITES
        lab, n = K.label_clusters(occ.ravel(), np.array(shape, dtype=np.int64))
        ref, nref = ndimage.label(occ)
        assert n == nref
        np.testing.assert_array_equal(lab.reshape(shape), ref)


def test_union_find_large_2d_equals_scipy(rng):
    occ = rng.random((400, 300)) < 0.5927
    lab, n = K.label_clusters(occ.ravel(), np.array(occ.shape, dtype=np.int64))
    ref, nref = ndimage.label(occ)
    assert n == nref
    np.testing.assert_array_equal(lab.reshape(occ.shape), ref)


def test_stirling_branch_agrees_with_gammaln():
    s = np.array([200.0, 1000.0, 5000.0])
    for z in (3, 5):
        np.testing.assert_allclose(_bethe._log_ns_stirling(s, 0.3, z), _bethe._log_ns_gammaln(s, 0.3, z), rtol=0, atol=1e-10)


def test_kernel_and_naive_leath_same_law():
    """Two-sample chi-square: the Numba and plain-Python growth give the same size law."""
    a = K.bethe_cluster_sizes(20_000, 0.4, 4, 200, 1)
    b = naive.leath_sizes(4000, 0.4, 4, 200, np.random.default_rng(2))
    edges = [1, 2, 3, 5, 9, 20, 201]
    ca, _ = np.histogram(a, edges)
    cb, _ = np.histogram(b, edges)
    assert stats.chi2_contingency(np.array([ca, cb]))[1] > 1e-4


def test_lattice_1d_histogram_matches_exact_chain():
    """On a chain n_s = p^s (1-p)^2 per site: histogram of union-find clusters by chi-square."""
    L, p = 2_000_000, 0.6
    labels, sizes = P.lattice_clusters((L,), p, seed=3)
    sizes = sizes[(sizes > 0)]
    # drop the clusters touching the two free ends (their law differs)
    first, last = labels[0], labels[-1]
    keep = np.ones(sizes.size, dtype=bool)
    for lab in (first, last):
        if lab:
            keep[lab - 1] = False
    sizes = sizes[keep]
    edges = [1, 2, 3, 4, 6, 9, 14, 30, 10**9]
    obs, _ = np.histogram(sizes, edges)
    s = np.arange(1, 200)
    ns = p**s * (1 - p) ** 2
    exp = np.array([ns[(s >= a) & (s < b)].sum() for a, b in zip(edges[:-1], edges[1:])])
    exp = exp / exp.sum() * obs.sum()
    chi2 = float(np.sum((obs - exp) ** 2 / exp))
    assert stats.chi2.sf(chi2, len(obs) - 1) > 1e-4
    # and the number of clusters per site
    assert sizes.size / L == pytest.approx(p * (1 - p), rel=0.01)
