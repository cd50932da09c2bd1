"""Distinct training data and test data unseen in training (issue 10): kernels and RHMData against naive references."""

import random

import numpy as np
import pytest
from scipy.stats import chi2

import naive
from scalinglab.errors import InputError
from scalinglab.kernels import rhm as K
from scalinglab.theory.rhm import RHMSpec
from scalinglab.validate.rhm import RHMData


def _chi2_p(counts, probs):
    """p-value of a chi-square goodness-of-fit test, cells of small expectation pooled."""
    counts, probs = np.asarray(counts, float), np.asarray(probs, float)
    n = counts.sum()
    exp = probs * n
    big = exp >= 5
    c = np.append(counts[big], counts[~big].sum())
    e = np.append(exp[big], exp[~big].sum())
    keep = e > 0
    stat = ((c[keep] - e[keep]) ** 2 / e[keep]).sum()
    return chi2.sf(stat, keep.sum() - 1)


def small():
    return RHMSpec.make(n_c=2, v=4, m=3, s=2, L=2, alpha=1.0)


def test_datum_keys_are_exact_and_decode():
    spec = RHMSpec.make(n_c=3, v=6, m=3, s=3, L=2, alpha=0.5)
    d = RHMData(spec, 4)
    b = d.draw(500)
    keys = d.keys(b)
    ref = [naive.rhm_datum_key(y, r, spec.m) for y, r in zip(b.y, b.ranks)]
    assert keys.tolist() == ref
    y = np.empty(500, np.int64)
    ranks = np.empty_like(b.ranks)
    K.decode_keys(keys, spec.m, d.n_nodes, y, ranks)
    assert np.array_equal(y, b.y) and np.array_equal(ranks, b.ranks)
    # one key per input: equal keys <=> equal inputs
    _, ix = np.unique(keys, return_inverse=True)
    _, iy = np.unique(b.x, axis=0, return_inverse=True)
    assert np.array_equal(np.unique(np.stack([ix, iy.ravel()], 1), axis=0)[:, 0], np.arange(ix.max() + 1))
    assert ix.max() == iy.max()
    with pytest.raises(InputError, match="2\\*\\*63"):
        RHMData(RHMSpec.make(m=10, L=5), 0).keys(b)


@pytest.mark.parametrize("shape", [dict(n_c=10, v=10, m=10, s=2, L=3), dict(n_c=3, v=6, m=3, s=3, L=2),
                                   dict(n_c=4, v=8, m=4, s=2, L=4)])
def test_unseen_sampler_without_exclusions_is_the_iid_sampler(shape):
    spec = RHMSpec.make(alpha=1.0, **shape)
    d = RHMData(spec, 1)
    empty = d.draw(0)
    a, b = d.draw(700, start=12345), d.draw_unseen(700, empty, start=12345)
    assert np.array_equal(a.y, b.y) and np.array_equal(a.ranks, b.ranks) and np.array_equal(a.x, b.x)
    assert d.unseen_mass(empty) == 1.0


def test_unseen_law_equals_brute_force_conditional():
    spec = small()
    d = RHMData(spec, 2)
    train = d.draw(12)
    data = naive.rhm_all_data(d.node_probs, spec.n_c)
    S = {(int(y),) + tuple(int(r) for r in rk) for y, rk in zip(train.y, train.ranks)}
    p_seen = sum(data[x] for x in S)
    assert d.unseen_mass(train) == pytest.approx(1 - p_seen, rel=1e-13)
    pref, h, offs = d.unseen_tree(train)
    keys = np.array([naive.rhm_datum_key(x[0], x[1:], spec.m) for x in data], np.int64)
    lp = K.unseen_log_prob(pref, h, offs, d.node_probs, spec.n_c, keys)
    for (x, p), got in zip(data.items(), lp):
        if x in S:
            assert got == -np.inf
        else:
            assert got == pytest.approx(np.log(p / (1 - p_seen)), abs=1e-12)


def test_unseen_law_keeps_precision_when_almost_everything_is_seen():
    spec = RHMSpec.make(n_c=2, v=4, m=3, s=2, L=2, alpha=4.0)
    d = RHMData(spec, 0)
    data = naive.rhm_all_data(d.node_probs, spec.n_c)
    rare = min(data, key=data.get)
    seen = [x for x in data if x != rare][:-1]  # all but the rarest and one more
    left = [x for x in data if x not in seen]
    keys = np.sort(np.array([naive.rhm_datum_key(x[0], x[1:], spec.m) for x in seen], np.int64))
    pref, h, offs = K.unseen_tree(keys, spec.m, d.n_nodes, d.node_probs)
    exact = sum(data[x] for x in left)
    assert K.unseen_mass(pref, h, offs, spec.n_c) == pytest.approx(exact, rel=1e-12)  # no 1 - (1 - tiny)
    assert exact < 1e-3


def test_unseen_sampler_frequencies_and_the_naive_rejection_sampler():
    spec = small()
    d = RHMData(spec, 3)
    train = d.draw(15)
    te = d.draw_unseen(100_000, train)
    data = naive.rhm_all_data(d.node_probs, spec.n_c)
    S = {(int(y),) + tuple(int(r) for r in rk) for y, rk in zip(train.y, train.ranks)}
    assert not np.isin(d.keys(te), d.keys(train)).any()
    outside = [x for x in data if x not in S]
    index = {x: i for i, x in enumerate(outside)}
    probs = np.array([data[x] for x in outside])
    probs /= probs.sum()
    got = np.bincount([index[(int(y),) + tuple(int(r) for r in rk)] for y, rk in zip(te.y, te.ranks)],
                      minlength=len(outside))
    assert _chi2_p(got, probs) > 1e-4
    ref = naive.rhm_unseen_draws(d.node_probs.tolist(), spec.n_c, S, 20_000, random.Random(5))
    ref_counts = np.bincount([index[x] for x in ref], minlength=len(outside))
    assert _chi2_p(ref_counts, probs) > 1e-4
    # the two samplers against each other (two-sample chi-square on the cells with data)
    tab = np.stack([got, ref_counts])
    tab = tab[:, tab.sum(0) > 0]
    from scipy.stats import chi2_contingency
    assert chi2_contingency(tab).pvalue > 1e-4
    # inputs follow from the derivations
    assert np.array_equal(te.x, K.expand(d.rules, te.y, te.ranks))


def test_distinct_training_sets_follow_successive_sampling():
    """Order of the first 3 distinct data over many streams: against the exact law of sampling without
    replacement proportional to probability, and against the naive one-draw-at-a-time definition."""
    spec = RHMSpec.make(n_c=2, v=4, m=2, s=2, L=2, alpha=1.0)
    data = naive.rhm_all_data(RHMData(spec, 0).node_probs, spec.n_c)
    n_runs, P = 2500, 3
    seqs = {}
    for sd in range(n_runs):
        b, _ = RHMData(spec, 0, sample_seed=sd).distinct(P)
        seq = tuple((int(y),) + tuple(int(r) for r in rk) for y, rk in zip(b.y, b.ranks))
        seqs[seq] = seqs.get(seq, 0) + 1
    # first datum alone: Pr = p_i
    first = {}
    for seq, c in seqs.items():
        first[seq[0]] = first.get(seq[0], 0) + c
    xs = list(data)
    assert _chi2_p([first.get(x, 0) for x in xs], [data[x] for x in xs]) > 1e-4
    # ordered pairs: Pr = p_i p_j / (1 - p_i)
    pairs = {}
    for seq, c in seqs.items():
        pairs[seq[:2]] = pairs.get(seq[:2], 0) + c
    allpairs = [(a, b) for a in xs for b in xs if a != b]
    exact = np.array([naive.ppswor_prob(pq, data) for pq in allpairs])
    assert exact.sum() == pytest.approx(1.0)
    assert _chi2_p([pairs.get(pq, 0) for pq in allpairs], exact) > 1e-4
    # the naive definition gives the same law
    rng = random.Random(11)
    node_p = RHMData(spec, 0).node_probs.tolist()
    ref = {}
    for _ in range(n_runs):
        pq = tuple(naive.rhm_first_distinct(node_p, spec.n_c, 2, rng))
        ref[pq] = ref.get(pq, 0) + 1
    assert _chi2_p([ref.get(pq, 0) for pq in allpairs], exact) > 1e-4


def test_distinct_sets_are_distinct_nested_reproducible():
    spec = RHMSpec.make(alpha=2.0)
    d = RHMData(spec, 7)
    big, t_big = d.distinct(3000)
    few, t_few = d.distinct(500)
    assert np.unique(d.keys(big)).size == 3000
    assert np.array_equal(few.x, big.x[:500]) and np.array_equal(few.keys, big.keys[:500]) and t_few <= t_big
    again, _ = RHMData(spec, 7).distinct(500)
    assert np.array_equal(again.x, few.x)
    other, _ = RHMData(spec, 7, sample_seed=8).distinct(500)
    assert not np.array_equal(other.x, few.x)
    assert np.array_equal(d.train(500, "distinct").x, few.x)
    # repeats make the equivalent i.i.d. stream longer than P (alpha = 2: many repeats)
    assert t_big > 3 * 3000
    # inputs, labels, path keys consistent
    assert np.array_equal(big.x, K.expand(d.rules, big.y, big.ranks))
    assert np.array_equal(big.keys, K.path_keys(big.y, big.ranks, spec.m, spec.s, spec.L))
    tiny = RHMSpec.make(n_c=2, v=4, m=2, s=2, L=2, alpha=1.0)  # 16 data in all
    with pytest.raises(InputError, match="only 16"):
        RHMData(tiny, 0).distinct(17)
    all16, _ = RHMData(tiny, 0).distinct(16)
    with pytest.raises(InputError, match="no unseen"):
        RHMData(tiny, 0).test(5, exclude=all16)
    with pytest.raises(InputError, match="sampling"):
        d.train(10, "unique")


def test_train_cells_in_both_modes_report_the_overlap():
    from scalinglab.validate.rhm import train_cells
    from scalinglab.validate.train import TrainConfig

    spec = RHMSpec.make(alpha=2.0)
    tr = TrainConfig(max_epochs=2)
    iid, dis = (train_cells([(spec, 300, 5)], h=8, n_test=200, train=tr, sampling=s)[0] for s in ("iid", "distinct"))
    d = RHMData(spec, 5)
    train = d.train(300)
    assert iid["distinct_frac"] == np.unique(d.keys(train)).size / 300 < 1 and iid["stream_draws"] is None
    assert iid["train_mass"] == pytest.approx(1 - d.unseen_mass(train), abs=1e-12)
    dset, t_P = d.distinct(300)
    assert dis["distinct_frac"] == 1.0 and dis["stream_draws"] == t_P > 300
    assert dis["train_mass"] == pytest.approx(1 - d.unseen_mass(dset), abs=1e-12) and dis["train_mass"] > iid["train_mass"]
    with pytest.raises(InputError, match="sampling"):
        train_cells([(spec, 30, 0)], h=8, n_test=50, train=tr, sampling="unique")
