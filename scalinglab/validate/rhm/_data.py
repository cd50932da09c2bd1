"""RHM data sets for training networks, with the path bookkeeping of the seed.

An :class:`RHMData` holds one random set of rules for an :class:`RHMSpec` and
draws data from it: inputs as symbols (int16, what training takes) or one-hot ``(v, s**L)`` arrays,
labels, derivations and the path key of every patch. :func:`seen_paths` says
which paths of test data some training datum shares (seed sections 4 and 6).

Seeding: the rules come from ``rules_seed``; data ``i`` of the stream
``sample_seed`` is the same however many data are drawn, so the training set
of size P is the first P data of the stream (training sets of growing P are
nested) and the test set is drawn from indices ``>= TEST_START`` (disjoint,
fresh data).

Two ways to sample (``sampling``, a setting of every RHM run):

* ``"iid"`` (default): the training set is P i.i.d. draws (with repeats) and
  the test set fresh i.i.d. draws, so the test error is the population risk;
  with Zipf rules many test data also occur in the training set.
* ``"distinct"``: the training set is the first P *distinct* data of an
  i.i.d. stream (sampling without replacement proportional to probability, as
  in the peer code of Cagnetta et al., where rules are uniform), and the test
  set is drawn from the RHM *conditioned on not being a training datum*
  (i.i.d. draws of the unseen part, weighted by probability): the error on
  unseen data. :meth:`RHMData.distinct` draws the training set exactly without
  a rejection loop (a Poisson stream split level by level, below), and
  :meth:`RHMData.draw_unseen` the test set (Numba kernel
  :func:`scalinglab.kernels.rhm._distinct.sample_unseen`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scalinglab import _validation as _v
from scalinglab._util import check_int
from scalinglab.errors import InputError
from scalinglab.kernels import rhm as K
from scalinglab.kernels.rhm._sample import _cdfs, _thresholds
from scalinglab.theory.rhm import RHMSpec

__all__ = ["RHMData", "Batch", "seen_paths", "TEST_START", "onehot", "SAMPLING", "MAX_BATCH_BYTES", "MAX_SYMBOLS"]

#: First stream index of test data (training sets never reach it).
TEST_START = 2**40
#: Sampling modes of a training set (see the module docstring).
SAMPLING = ("iid", "distinct")
#: Tag of the random streams of the distinct-data sampler (its own streams, apart from the i.i.d. ones).
_DISTINCT_TAG = 0x44495354
#: Largest memory of one drawn batch (symbols, labels, derivations, path keys).
MAX_BATCH_BYTES = 4 * 2**30
#: Symbols, classes and rule ranks are int16.
MAX_SYMBOLS = np.iinfo(np.int16).max


@dataclass(frozen=True)
class Batch:
    """A set of RHM data.

    Attributes
    ----------
    x : numpy.ndarray, (n, s**L) int16
        Input symbols.
    y : numpy.ndarray, (n,) int64
        Labels.
    ranks : numpy.ndarray, (n, n_nodes) int16
        Derivations (0-based rank at every node, level by level).
    keys : numpy.ndarray, (n, K) int64
        Path key of every patch (:func:`scalinglab.kernels.rhm._sample.path_keys`).

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec
    >>> b = RHMData(RHMSpec.make(alpha=1.0), rules_seed=0).train(5)
    >>> b.x.shape, b.y.shape, b.ranks.shape, b.keys.shape     # s^L symbols, 7 nodes, K = 4 patches
    ((5, 8), (5,), (5, 7), (5, 4))
    >>> b                                                      # a short repr, not the arrays
    Batch(n=5, symbols=8, nodes=7, patches=4)
    """

    x: np.ndarray
    y: np.ndarray
    ranks: np.ndarray
    keys: np.ndarray

    def __len__(self):
        return len(self.y)

    def __repr__(self):
        return (f"Batch(n={len(self.y)}, symbols={self.x.shape[1]}, nodes={self.ranks.shape[1]}, "
                f"patches={self.keys.shape[1]})")


def onehot(x, v):
    """One-hot float32 array of shape ``(n, v, d)`` from symbols ``(n, d)`` (numpy, on the host).

    Training does not use it: the networks take the symbols and encode them
    on their device, batch by batch (:mod:`scalinglab.validate.models`), into
    exactly these floats.

    >>> onehot(np.array([[2, 0]]), 3)[0]
    array([[0., 1.],
           [0., 0.],
           [1., 0.]], dtype=float32)
    """
    x = np.asarray(x)
    out = np.zeros((x.shape[0], v, x.shape[1]), dtype=np.float32)
    np.put_along_axis(out, x[:, None, :].astype(np.int64), 1.0, axis=1)
    return out


class RHMData:
    """Random rules of an RHM and data drawn from them.

    Parameters
    ----------
    spec : RHMSpec
        The model.
    rules_seed : int
        Seed of the rules.
    sample_seed : int, optional
        Seed of the data stream (default: ``rules_seed``).

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec
    >>> data = RHMData(RHMSpec.make(alpha=1.0), rules_seed=0)
    >>> train = data.train(100)
    >>> train.x.shape, train.x.dtype, train.y[:5]
    ((100, 8), dtype('int16'), array([6, 1, 4, 9, 2]))
    >>> bool((data.train(10).x == train.x[:10]).all())     # training sets of growing P are nested
    True
    """

    def __init__(self, spec: RHMSpec, rules_seed=0, sample_seed=None):
        if not isinstance(spec, RHMSpec):
            raise InputError("spec must be an RHMSpec (use RHMSpec.make(...))")
        for name, val in (("v", spec.v), ("n_c", spec.n_c), ("m", spec.m)):
            if val > MAX_SYMBOLS:
                raise InputError(f"sampling needs {name} <= {MAX_SYMBOLS} (int16 symbols and ranks), got {val}")
        if spec.s * np.log2(spec.v) >= 62:
            raise InputError(f"sampling draws rules among v**s = {spec.v}**{spec.s} tuples, over the limit 2**62 "
                             "(int64 tuple indices); lower v or s")
        if np.log2(spec.n_c) + spec.L * np.log2(spec.m) >= 63:
            raise InputError(f"path keys run to n_c*m**L = {spec.n_c}*{spec.m}**{spec.L}, over the limit 2**63 "
                             "(int64 keys); lower m or L")
        rule_bytes = 2.0 * spec.m * spec.s * (spec.n_c + (spec.L - 1) * spec.v)
        _v.size_limit("the rules", rule_bytes, MAX_BATCH_BYTES, " bytes", "lower v, m, s or L")
        # path_keys builds a (K, L) int64 index table for every batch, an empty one too (kernels do not check)
        _v.size_limit(f"the path index table (K = s**(L-1) = {float(spec.s) ** (spec.L - 1):.3g} patches x L = "
                      f"{spec.L} levels)", 8.0 * (spec.L + 1) * float(spec.s) ** (spec.L - 1), MAX_BATCH_BYTES,
                      " bytes", "lower s or L")
        self.spec = spec
        self.rules_seed = _v.seed("rules_seed", rules_seed)
        self.sample_seed = _v.seed("sample_seed", rules_seed if sample_seed is None else sample_seed)
        self.rules = K.make_rules(spec.n_c, spec.v, spec.m, spec.s, spec.L, self.rules_seed)
        self.probs = spec.probs_matrix()
        zero = np.argwhere(self.probs <= 0)
        if zero.size:  # the sampler draws every rule with its probability: none may underflow to 0
            l, r = (int(i) for i in zero[0])
            raise InputError(f"sampling needs every rule probability > 0; at level {l + 1} the rule of rank {r + 1} "
                             f"has probability {self.probs[l, r]:g} (its Zipf weight underflows float64): lower "
                             "alpha or m")
        self.log_probs = np.stack([spec.level_log_probs(l) for l in range(1, spec.L + 1)])

    def draw(self, n, start=0):
        """Data ``start .. start+n-1`` of the stream, as a :class:`Batch`."""
        n = check_int("n", n, lo=0)
        start = _v.integer("start", start, lo=0, hi=2**64 - 1 - n)
        _v.size_limit(f"a batch of {n} data", n * self.bytes_per_datum(), MAX_BATCH_BYTES, " bytes", "draw fewer data")
        x, y, ranks = K.sample(self.rules, self.spec.n_c, self.probs, n, self.sample_seed, start=start)
        keys = K.path_keys(y, ranks, self.spec.m, self.spec.s, self.spec.L)
        return Batch(x, y, ranks, keys)

    def bytes_per_datum(self):
        """Memory of one drawn datum: symbols, label, derivation and path keys (plus the kernel's copy)."""
        sp = self.spec
        return 2 * (2 * sp.s**sp.L + 8 + 2 * K.n_nodes(sp.s, sp.L) + 8 * sp.K)

    def train(self, P, sampling="iid"):
        """The training set of size P: the first P data of the stream (``"iid"``) or the first P distinct
        data of a stream (``"distinct"``, :meth:`distinct`)."""
        if sampling == "iid":
            return self.draw(P, 0)
        if sampling == "distinct":
            return self.distinct(P)[0]
        raise InputError(f"sampling must be one of {list(SAMPLING)}, got {sampling!r}")

    def test(self, n, exclude=None):
        """``n`` fresh test data (stream indices from TEST_START); with ``exclude`` (a training Batch): drawn
        conditioned on not being one of its data (:meth:`draw_unseen`)."""
        if exclude is None:
            return self.draw(n, TEST_START)
        return self.draw_unseen(n, exclude, TEST_START)

    # -- distinct data ------------------------------------------------------------------------------------
    @property
    def n_nodes(self):
        return int(K.n_nodes(self.spec.s, self.spec.L))

    @property
    def node_probs(self):
        """``(n_nodes, m)`` rank probabilities of every derivation node (its level's row)."""
        off = K.level_offsets(self.spec.s, self.spec.L)
        return np.repeat(self.probs, np.diff(off), axis=0)

    def _check_keys(self):
        need = self.spec.n_c * self.spec.m ** self.n_nodes  # Python int: exact
        if need >= 2**63:
            raise InputError(f"distinct sampling needs n_c*m**n_nodes = {need:.3g} < 2**63 data to key them "
                             f"exactly (n_nodes = {self.n_nodes}); use sampling='iid' for this model")
        return need

    def keys(self, batch):
        """Exact integer key of every datum of ``batch`` (:func:`scalinglab.kernels.rhm.datum_keys`)."""
        self._check_keys()
        return K.datum_keys(np.asarray(batch.y, np.int64), np.asarray(batch.ranks, np.int64), self.spec.m)

    def _batch_of_keys(self, keys):
        y = np.empty(keys.size, np.int64)
        ranks = np.empty((keys.size, self.n_nodes), np.int16)
        K.decode_keys(keys, self.spec.m, self.n_nodes, y, ranks)
        x = K.expand(self.rules, y, ranks)
        return Batch(x, y, ranks, K.path_keys(y, ranks, self.spec.m, self.spec.s, self.spec.L))

    def distinct(self, P, max_doublings=80):
        """The first P distinct data of an i.i.d. stream, in order of first occurrence.

        Exact and without a rejection loop. The stream is taken as a Poisson
        process of rate 1 in "draws"; over a time window each datum occurs a
        Poisson(window * p) number of times, independently, so the data seen in
        a window follow from splitting one Poisson count level by level (class,
        then the rank at every derivation node; each split a multinomial drawn
        as conditional binomials), touching only the branches that occur. The
        first occurrence of a datum seen n times in a window is at
        ``start + window * Beta(1, n)``. Windows ``[0, 1], [1, 2], [2, 4], ...``
        (each with its own legacy ``numpy.random.RandomState`` stream, seeded
        by ``(sample_seed, window)``, whose values numpy keeps fixed across
        versions) are added until P distinct data have occurred, and the data
        are sorted by first occurrence. The order does not depend on P, so
        training sets of growing P are nested; cost ~ the number of distinct
        data in the last windows, whatever the number of repeats.

        Returns
        -------
        (Batch, float)
            The data, and the stream time of the P-th first occurrence (the
            number of i.i.d. draws it took, in expectation).
        """
        P = check_int("P", P, lo=0)
        total = self._check_keys()
        if P > total:
            raise InputError(f"P = {P} distinct data requested but the model has only {total}")
        if P == 0:
            return self._batch_of_keys(np.empty(0, np.int64)), 0.0
        node_p = self.node_probs
        cls_p = np.full(self.spec.n_c, 1.0 / self.spec.n_c)
        seed = self.sample_seed & 0xFFFFFFFFFFFFFFFF
        keys, times = [], []
        t_lo = 0.0
        for j in range(max_doublings):
            t_hi = 1.0 if j == 0 else 2.0 ** j
            rs = np.random.RandomState(np.array([seed & 0xFFFFFFFF, seed >> 32, j, _DISTINCT_TAG], np.uint64)
                                       .astype(np.uint32))
            k, n = _poisson_split(rs, t_hi - t_lo, cls_p, node_p, self.spec.m)
            u = rs.random_sample(k.size)
            with np.errstate(divide="ignore"):
                t = t_lo + (t_hi - t_lo) * -np.expm1(np.log(u) / n)
            keys.append(k)
            times.append(t)
            t_lo = t_hi
            if np.unique(np.concatenate(keys)).size >= P:
                break
        else:
            raise InputError(f"distinct sampling: fewer than P = {P} distinct data after 2**{max_doublings} draws")
        keys, times = np.concatenate(keys), np.concatenate(times)
        order = np.lexsort((keys, times))
        keys, times = keys[order], times[order]
        _, first = np.unique(keys, return_index=True)
        first = np.sort(first)[:P]
        return self._batch_of_keys(keys[first]), float(times[first[-1]])

    def unseen_tree(self, exclude):
        """``(pref, h, offs)`` of :func:`scalinglab.kernels.rhm.unseen_tree` for the data of Batch ``exclude``."""
        keys = np.unique(self.keys(exclude))
        return K.unseen_tree(keys, self.spec.m, self.n_nodes, self.node_probs)

    def unseen_mass(self, exclude):
        """Probability that a fresh datum is not one of the data of ``exclude`` (exact)."""
        pref, h, offs = self.unseen_tree(exclude)
        return float(K.unseen_mass(pref, h, offs, self.spec.n_c))

    def draw_unseen(self, n, exclude, start=TEST_START):
        """Data ``start .. start+n-1`` of the stream, drawn conditioned on not being a datum of ``exclude``."""
        n = check_int("n", n, lo=0)
        pref, h, offs = self.unseen_tree(exclude)
        if K.unseen_mass(pref, h, offs, self.spec.n_c) <= 0.0:
            raise InputError("every datum of the model is in the training set: no unseen test data exist")
        node_p = self.node_probs
        thr = _thresholds(_cdfs(node_p))
        y = np.empty(n, np.int64)
        ranks = np.empty((n, self.n_nodes), np.int16)
        K.sample_unseen(pref, h, offs, node_p, thr, self.spec.n_c, self.spec.m,
                        np.uint64(self.sample_seed & 0xFFFFFFFFFFFFFFFF), np.uint64(int(start)), n, y, ranks)
        x = K.expand(self.rules, y, ranks)
        return Batch(x, y, ranks, K.path_keys(y, ranks, self.spec.m, self.spec.s, self.spec.L))

    def path_log_freq(self, keys):
        """Log path frequency ``log[(1/n_c) prod_l f^(l)_{i_l}]`` of path keys."""
        return K.path_log_freq(keys, self.log_probs, self.spec.n_c)


def _multinomial(rs, n, p):
    """Rows ``(len(n), len(p))`` of multinomial counts (totals ``n``, probabilities ``p``) as conditional
    binomials of the legacy RandomState (its stream is fixed across numpy versions)."""
    out = np.empty((n.size, p.size), np.int64)
    rem = n.astype(np.int64)
    tail = np.cumsum(p[::-1])[::-1]
    for r in range(p.size - 1):
        x = rs.binomial(rem, min(1.0, p[r] / tail[r])).astype(np.int64)
        out[:, r] = x
        rem = rem - x
    out[:, -1] = rem
    return out


def _poisson_split(rs, window, cls_p, node_p, m):
    """Keys and counts (>= 1) of the data occurring in a Poisson window of ``window`` draws."""
    N = rs.poisson(window)
    counts = _multinomial(rs, np.array([N]), cls_p)[0]
    keys = np.flatnonzero(counts).astype(np.int64)
    counts = counts[keys]
    for d in range(node_p.shape[0]):
        C = _multinomial(rs, counts, node_p[d])
        row, rank = np.nonzero(C)
        keys = keys[row] * m + rank
        counts = C[row, rank]
    return keys, counts


def seen_paths(train_keys, test_keys, position_specific=True):
    """Which paths of each test datum appear in the training set.

    Parameters
    ----------
    train_keys, test_keys : numpy.ndarray, (n, K) int64
        Path keys per patch.
    position_specific : bool
        True: the path of test patch j is seen if some training datum has the
        same path at the same patch j (the seed's definition). False: at any
        patch.

    Returns
    -------
    numpy.ndarray, (n_test, K) bool

    Examples
    --------
    >>> import numpy as np
    >>> train = np.array([[1, 2], [3, 4]])          # path keys of 2 training data, K = 2 patches
    >>> test = np.array([[1, 4], [2, 9]])
    >>> seen_paths(train, test)
    array([[ True,  True],
           [False, False]])
    >>> seen_paths(train, test, position_specific=False)    # key 2 occurs at the other patch
    array([[ True,  True],
           [ True, False]])
    """
    train_keys = np.asarray(train_keys, dtype=np.int64)
    test_keys = np.asarray(test_keys, dtype=np.int64)
    if train_keys.ndim != 2 or test_keys.ndim != 2 or train_keys.shape[1] != test_keys.shape[1]:
        raise ValueError("train_keys and test_keys must be (n, K) arrays with the same K")
    if not position_specific:
        return np.isin(test_keys, train_keys)
    Kp = test_keys.shape[1]
    span = int(max(train_keys.max(initial=0), test_keys.max(initial=0))) + 1
    pos = np.arange(Kp, dtype=np.int64) * span
    return np.isin(test_keys + pos, train_keys + pos)
