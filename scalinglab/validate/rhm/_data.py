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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scalinglab import _validation as _v
from scalinglab._util import check_int
from scalinglab.errors import InputError
from scalinglab.kernels import rhm as K
from scalinglab.theory.rhm import RHMSpec

__all__ = ["RHMData", "Batch", "seen_paths", "TEST_START", "onehot", "MAX_BATCH_BYTES", "MAX_SYMBOLS"]

#: First stream index of test data (training sets never reach it).
TEST_START = 2**40
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
    """

    x: np.ndarray
    y: np.ndarray
    ranks: np.ndarray
    keys: np.ndarray

    def __len__(self):
        return len(self.y)


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

    def train(self, P):
        """The training set of size P (the first P data of the stream)."""
        return self.draw(P, 0)

    def test(self, n):
        """``n`` fresh test data (disjoint from every training set)."""
        return self.draw(n, TEST_START)

    def path_log_freq(self, keys):
        """Log path frequency ``log[(1/n_c) prod_l f^(l)_{i_l}]`` of path keys."""
        return K.path_log_freq(keys, self.log_probs, self.spec.n_c)


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
