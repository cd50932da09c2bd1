"""The Numba RHM sampler against the pure-Python reference and against the model's laws."""

import numpy as np
import pytest
from scipy import stats

import naive
from scalinglab.kernels import rhm as K
from scalinglab.theory.rhm import RHMSpec
from scalinglab.validate.rhm import RHMData, seen_paths

CASES = [  # n_c, v, m, s, L, alpha
    (10, 10, 10, 2, 3, 1.0),
    (3, 4, 3, 2, 2, 0.5),
    (2, 3, 4, 3, 2, -1.0),
    (2, 3, 2, 2, 4, 2.0),
    (4, 5, 3, 2, 1, 0.3),
]


@pytest.mark.parametrize("n_c,v,m,s,L,alpha", CASES)
def test_sampler_matches_naive_reference(n_c, v, m, s, L, alpha):
    spec = RHMSpec.make(n_c=n_c, v=v, m=m, s=s, L=L, alpha=alpha)
    rules = K.make_rules(n_c, v, m, s, L, seed=7)
    probs = spec.probs_matrix()
    x, y, ranks = K.sample(rules, n_c, probs, 60, seed=11, start=5)
    xn, yn, rn, kn = naive.rhm_sample(rules, n_c, probs, 60, seed=11, start=5)
    assert np.array_equal(x, xn) and np.array_equal(y, yn) and np.array_equal(ranks, rn)
    assert np.array_equal(K.path_keys(y, ranks, m, s, L), kn)
    assert np.array_equal(K.expand(rules, y, ranks), x)
    # the numpy baseline sampler obeys the same layout: its inputs are the expansion of its derivations
    xb, yb, rb = K.sample_numpy(rules, n_c, probs, 50, seed=3)
    assert np.array_equal(K.expand(rules, yb, rb), xb)


def test_uniforms_match_reference():
    u = K.uniform01(2**63 + 5, 10, 3, 4)
    ref = [[naive.rhm_uniform(2**63 + 5, 10 + a, k) for k in range(4)] for a in range(3)]
    assert np.array_equal(u, np.array(ref))
    assert np.all((u >= 0) & (u < 1))


def test_reproducible_and_prefix_consistent():
    spec = RHMSpec.make(alpha=1.0)
    d1, d2 = RHMData(spec, 3), RHMData(spec, 3)
    a, b = d1.train(500), d2.train(1000)
    assert np.array_equal(a.x, b.x[:500]) and np.array_equal(a.ranks, b.ranks[:500])
    c = d1.draw(100, start=400)
    assert np.array_equal(c.x, b.x[400:500])
    other = RHMData(spec, 4).train(500)
    assert not np.array_equal(a.x, other.x)
    # test data are a different part of the stream
    assert not np.array_equal(d1.test(500).x, a.x)


def test_sampler_independent_of_threads_and_chunks():
    """Datum i is the same whatever the thread count, the work chunk it falls in, or how many are drawn."""
    import numba

    from scalinglab.kernels.rhm import _sample as S

    spec = RHMSpec.make(alpha=1.0)
    rules, probs = K.make_rules(10, 10, 10, 2, 3, seed=2), spec.probs_matrix()
    n = 3 * S._CHUNK + 17
    full = K.sample(rules, 10, probs, n, seed=9)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = K.sample(rules, 10, probs, n, seed=9)
    finally:
        numba.set_num_threads(threads)
    part = K.sample(rules, 10, probs, 700, seed=9, start=S._CHUNK - 300)  # straddles a chunk boundary
    for a, b, c in zip(full, one, part):
        assert np.array_equal(a, b) and np.array_equal(a[S._CHUNK - 300:S._CHUNK + 400], c)
    xn, yn, rn, _ = naive.rhm_sample(rules, 10, probs, 5, seed=9, start=S._CHUNK - 2)
    assert np.array_equal(full[0][S._CHUNK - 2:S._CHUNK + 3], xn) and np.array_equal(full[2][S._CHUNK - 2:S._CHUNK + 3], rn)


@pytest.mark.parametrize("n_c,v,m,s,L", [(10, 10, 10, 2, 3), (4, 3, 2, 2, 4), (3, 4, 4, 2, 2), (2, 2, 2, 2, 3), (3, 3, 3, 3, 2)])
def test_rules_unambiguous_by_brute_force(n_c, v, m, s, L):
    rules = K.make_rules(n_c, v, m, s, L, seed=1)
    assert K.check_unambiguous(rules)
    for level, r in enumerate(rules, 1):
        assert r.shape == ((n_c if level == 1 else v), m, s)
        assert r.min() >= 0 and r.max() < v
        owner = {}
        for a in range(r.shape[0]):
            for i in range(m):
                t = tuple(r[a, i])
                assert t not in owner, f"tuple {t} owned twice at level {level}"
                owner[t] = a
    # ambiguity is refused
    with pytest.raises(ValueError):
        K.make_rules(2, 3, 4, 2, 2, seed=0)  # m*v = 12 > 9
    bad = [r.copy() for r in rules]
    bad[0][0, 1] = bad[0][0, 0]
    assert not K.check_unambiguous(bad)


def _chi2_p(counts, probs):
    counts = np.asarray(counts, dtype=float)
    exp = np.asarray(probs) * counts.sum()
    return stats.chisquare(counts, exp).pvalue


@pytest.mark.parametrize("sampler", ["numba", "numpy"])
def test_rule_frequencies_and_class_balance_chi_square(sampler):
    spec = RHMSpec(10, 10, 10, 2, 3, (0.5, -1.0, 2.0))
    data = RHMData(spec, 0)
    n = 200_000
    if sampler == "numba":
        b = data.draw(n)
        y, ranks = b.y, b.ranks
    else:
        _, y, ranks = K.sample_numpy(data.rules, 10, data.probs, n, seed=1)
    off = K.level_offsets(2, 3)
    pvals = [_chi2_p(np.bincount(y, minlength=10), np.full(10, 0.1))]
    for l in range(3):
        counts = np.bincount(ranks[:, off[l]:off[l + 1]].ravel(), minlength=10)
        pvals.append(_chi2_p(counts, spec.level_probs(l + 1)))
    # fixed seeds: deterministic; a wrong law gives p ~ 0 at this n
    assert min(pvals) > 1e-4, pvals
    # and the test has power: a slightly wrong law is rejected
    counts = np.bincount(ranks[:, 0], minlength=10)
    assert _chi2_p(counts, RHMSpec.make(alpha=0.45).level_probs(1)) < 1e-6


def test_path_frequencies_chi_square():
    spec = RHMSpec.make(n_c=3, v=4, m=3, s=2, L=2, alpha=1.0)
    data = RHMData(spec, 2)
    b = data.draw(300_000)
    freq = np.exp(data.path_log_freq(np.arange(spec.n_paths)))
    assert np.allclose(np.sort(freq), np.sort(naive.rhm_all_path_freqs(data.probs, 3)))
    for j in range(spec.K):
        counts = np.bincount(b.keys[:, j], minlength=spec.n_paths)
        assert _chi2_p(counts, freq) > 1e-4


def test_seen_paths_against_python_sets():
    rng = np.random.default_rng(0)
    tr = rng.integers(0, 30, size=(40, 4))
    te = rng.integers(0, 30, size=(25, 4))
    got = seen_paths(tr, te)
    ref = np.array([[te[a, j] in set(tr[:, j]) for j in range(4)] for a in range(25)])
    assert np.array_equal(got, ref)
    free = seen_paths(tr, te, position_specific=False)
    assert np.array_equal(free, np.isin(te, tr.ravel()))
    assert np.all(free >= got)
    with pytest.raises(ValueError):
        seen_paths(tr, te[:, :3])


def test_seen_fractions_equal_theory():
    """E[fraction of test paths seen] = 1 - eps(P) = sum f (1 - (1-f)^P) (explicit sum, at the same
    position), and = 1 - eps_free(P) of theory.rhm when a path counts as seen at any position."""
    from scalinglab.theory.rhm import eps_position_free

    spec = RHMSpec.make(n_c=4, v=6, m=4, s=2, L=3, alpha=0.8)
    P = 60
    fracs = {True: [], False: []}
    for sd in range(12):
        d = RHMData(spec, rules_seed=sd)
        tr, te = d.train(P).keys, d.test(4000).keys
        for pos in fracs:
            fracs[pos].append(seen_paths(tr, te, position_specific=pos).mean())
    eps = {True: naive.rhm_seen_error(spec.probs_matrix(), 4, P), False: eps_position_free(spec, [P])[0]}
    for pos in fracs:
        mean, se = np.mean(fracs[pos]), np.std(fracs[pos], ddof=1) / np.sqrt(len(fracs[pos]))
        assert abs(mean - (1 - eps[pos])) < 4 * se + 2e-3, (pos, mean, 1 - eps[pos], se)
    assert eps[False] < eps[True] - 0.05  # the two definitions are distinguishable here


def test_make_rules_refuses_int16_overflow():
    with pytest.raises(ValueError, match="m=40000"):
        K.make_rules(2, 200, 40000, 3, 1, seed=0)  # m*v <= v**s holds, but ranks are int16


def test_sampler_rejects_bad_input():
    rules = K.make_rules(3, 4, 3, 2, 2, seed=0)
    with pytest.raises(ValueError):
        K.sample(rules, 3, np.full((2, 4), 0.25), 10, 0)  # wrong m
    with pytest.raises(ValueError):
        K.sample(rules, 3, np.full((2, 3), 0.5), 10, 0)  # not normalised
    with pytest.raises(ValueError):
        K.sample(rules, 4, np.full((2, 3), 1 / 3), 10, 0)  # wrong n_c


def test_onehot_layout():
    from scalinglab.validate.rhm import onehot

    x = np.array([[0, 2, 1], [1, 1, 0]], dtype=np.int16)
    oh = onehot(x, 3)
    assert oh.shape == (2, 3, 3) and oh.dtype == np.float32
    assert np.array_equal(oh.argmax(1), x) and np.all(oh.sum(1) == 1)
