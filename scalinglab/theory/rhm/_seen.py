"""Seen paths: the split-accuracy model and the exact distribution of how many of a datum's paths were seen."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlog1py, xlogy

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, set_title
from scalinglab._util import check_int
from scalinglab.errors import InputError
from scalinglab.theory.rhm._spec import RHMSpec
from scalinglab.kernels.rhm import seen_paths_pmf
from scalinglab.theory.rhm._spectrum import path_spectrum
from scalinglab.theory.rhm._learning_curve import _check_P, eps_of_spectrum

__all__ = ["SplitModel", "split_accuracy_model", "SeenPathsDistribution", "seen_paths_distribution", "sample_derivations",
           "SplitModelCurve", "split_model_error", "MAX_K_EXACT", "MAX_SEEN_WORK"]


# ----------------------------------------------------------------------------- split accuracy
@dataclass(frozen=True, repr=False)
class SplitModel(Result):
    """Binomial (independent-path) split-accuracy model.

    Attributes
    ----------
    q : numpy.ndarray
        Probability that one path is seen.
    pk : numpy.ndarray, shape (len(q), K+1)
        ``C(K,k) q**k (1-q)**(K-k)``.
    accuracy : numpy.ndarray
        ``sum_k c_k pk``.
    error : numpy.ndarray
        ``1 - accuracy``.
    seed_eq9_error : numpy.ndarray
        The seed's eq. 9, which drops the ``(1-q)**(K-k)`` factors (for
        comparison only: its weights do not sum to one).

    Examples
    --------
    >>> from scalinglab.theory.rhm import split_accuracy_model
    >>> sm = split_accuracy_model([0.1, 0.5, 1.0], q=0.5)    # K = 2 paths, each seen with q = 1/2
    >>> sm.pk, sm.accuracy.round(3)
    (array([[0.25, 0.5 , 0.25]]), array([0.525]))
    """

    q: np.ndarray
    pk: np.ndarray
    accuracy: np.ndarray
    error: np.ndarray
    seed_eq9_error: np.ndarray

    _repr_fields = ("q", "accuracy", "error")

    def _frame_data(self):
        d = {k: getattr(self, k) for k in ("q", "accuracy", "error", "seed_eq9_error")}
        d.update({f"pk_{k}": self.pk[:, k] for k in range(self.pk.shape[1])})
        return d

    def _text(self):
        lines = [f"independent-path split-accuracy model, K = {self.pk.shape[1] - 1} paths",
                 f"{'q':>8s}  {'accuracy':>9s}  {'error':>9s}  {'seed eq. 9':>10s}"]
        lines += [f"{q:8.4f}  {a:9.5f}  {e:9.5f}  {e9:10.5f}"
                  for q, a, e, e9 in zip(self.q, self.accuracy, self.error, self.seed_eq9_error)]
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """Error against the seen probability q (and the seed's eq. 9). Returns the axes."""
        ax = new_axes(ax)
        ax.plot(self.q, self.error, label="binomial model", **kw)
        ax.plot(self.q, self.seed_eq9_error, "--", label="seed eq. 9")
        ax.set_xlabel("q (probability that a path was seen)")
        ax.set_ylabel("error")
        ax.legend(fontsize=8)
        return set_title(ax, "RHM split model: error against the seen probability q")


def split_accuracy_model(c_k, q):
    """Accuracy of the independent-path model ``sum_k c_k C(K,k) q^k (1-q)^(K-k)``.

    Parameters
    ----------
    c_k : array_like, shape (K+1,)
        Accuracy of a test datum with k of its K paths seen, k = 0..K, in [0, 1].
    q : float or array_like
        Probability that a path is seen, in [0, 1]; ``1 - eps(P)`` is exact for
        one path, ``path(P)`` is the seed's threshold version.

    Examples
    --------
    >>> from scalinglab.theory.rhm import split_accuracy_model
    >>> sm = split_accuracy_model([0.1, 0.4, 0.7, 0.9, 1.0], q=0.3)   # K = 4
    >>> sm.pk.round(4)                        # binomial(4, 0.3)
    array([[0.2401, 0.4116, 0.2646, 0.0756, 0.0081]])
    >>> sm.accuracy.round(4), sm.error.round(4)
    (array([0.45]), array([0.55]))
    """
    c = _v.real_array("c_k", c_k, lo=0, hi=1, min_size=2, max_size=10**4)
    q = _v.real_array("q", q, lo=0, hi=1, max_size=10**6)
    K = c.size - 1
    pk, eq9_weights = _binomial_pk(K, q)
    acc = pk @ c
    return SplitModel(q=q, pk=pk, accuracy=acc, error=1 - acc, seed_eq9_error=1 - eq9_weights @ c)


def _binomial_pk(K, q):
    """``(pk, w9)``, both ``(len(q), K+1)``: the binomial pmf ``C(K,k) q^k (1-q)^(K-k)`` and the seed's eq. 9
    weights ``C(K,k) q^k`` (without ``(1-q)^(K-k)``: not a pmf, so not binom.pmf).

    In log space, not scipy.stats.binom.pmf: scipy 1.17 raises OverflowError (boost ibeta_derivative) for
    q <= ~1e-307 with K >= 2 and returns 0 for q = 5e-324; this form is exact there (tests: against exact
    rationals, and against binom.pmf for ordinary q).
    """
    k = np.arange(K + 1)
    logC = gammaln(K + 1) - gammaln(k + 1) - gammaln(K - k + 1)
    kq = xlogy(k[None, :], np.asarray(q, float)[:, None])  # k log q, 0 at k = 0 even for q = 0
    return np.exp(logC + kq + xlog1py((K - k)[None, :], -np.asarray(q, float)[:, None])), np.exp(logC + kq)


@dataclass(frozen=True, repr=False)
class SeenPathsDistribution(Result):
    """Distribution of the number k of seen paths (out of K) of a test datum.

    Attributes
    ----------
    P : numpy.ndarray
        Training-set sizes.
    pk : numpy.ndarray, shape (len(P), K+1)
        Monte Carlo average over ``n_test`` random test derivations of the
        exact probability (over i.i.d. training sets of size P) that exactly k
        of its K paths were seen at their positions.
    stderr : numpy.ndarray
        Monte Carlo standard error of ``pk``.
    binomial : numpy.ndarray
        Independent-path binomial with ``q = 1 - eps(P)``, for comparison.
    n_test : int
    seed : int
    model : str or None
        The model the distribution belongs to.

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, seen_paths_distribution
    >>> d = seen_paths_distribution(RHMSpec.make(m=4, v=8, n_c=4, L=2, alpha=1.0), P=50, n_test=200)
    >>> d.pk.shape, round(float(d.pk.sum()), 6)     # one P, k = 0..K with K = s**(L-1) = 2
    ((1, 3), 1.0)
    """

    P: np.ndarray
    pk: np.ndarray
    stderr: np.ndarray
    binomial: np.ndarray
    n_test: int
    seed: int
    model: str | None = None

    _repr_fields = ("P", "pk", "n_test", "seed", "model")

    @property
    def K(self):
        return self.pk.shape[1] - 1

    @property
    def mean_seen(self):
        return self.pk @ np.arange(self.pk.shape[1])

    def _frame_data(self):
        nP, nk = self.pk.shape
        return {"P": np.repeat(self.P, nk), "k": np.tile(np.arange(nk), nP), "pk": self.pk.ravel(),
                "stderr": self.stderr.ravel(), "binomial": self.binomial.ravel(), "n_test": self.n_test,
                "seed": self.seed}

    def _text(self):
        lines = ([self.model] if self.model else []) + [
            f"Pr(k of the K={self.K} paths of a test datum seen): exact over training sets, Monte Carlo "
            f"over {self.n_test} test derivations (seed {self.seed}); 'bin' = independent-path binomial",
            f"{'P':>10s}  " + "  ".join(f"{'k=' + str(k):>13s}" for k in range(self.K + 1))]
        for p, row, b in zip(self.P, self.pk, self.binomial):
            lines.append(f"{p:10.4g}  " + "  ".join(f"{x:6.4f}/{y:6.4f}" for x, y in zip(row, b)))
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """``Pr(k seen)`` against k for every P (dashed: the binomial). Returns the axes."""
        ax = new_axes(ax)
        k = np.arange(self.K + 1)
        for p, row, se, b in zip(self.P, self.pk, self.stderr, self.binomial):
            (line,) = ax.plot(k, row, "o-", label=f"P = {p:g}", **kw)
            ax.errorbar(k, row, yerr=se, fmt="none", color=line.get_color())
            ax.plot(k, b, "--", color=line.get_color(), lw=0.8)
        ax.set_xlabel("k (paths of a test datum seen)")
        ax.set_ylabel("probability")
        ax.legend(fontsize=8)
        return set_title(ax, "paths of a test datum seen in training" + (f" ({self.model})" if self.model else ""))


MAX_K_EXACT = 12
#: Largest memory of sampled derivations (int64 ranks).
MAX_DERIVATION_BYTES = 2**30
#: Largest work of :func:`seen_paths_distribution`: derivations x P values x 2**K subsets x tree nodes.
MAX_SEEN_WORK = 2e10


def sample_derivations(spec, n, seed=0):
    """Random derivations (0-based rule ranks at every node, level by level).

    Level l (1-based) has ``s**(l-1)`` nodes; returns int64 ``(n, n_nodes)``.
    Only ranks are drawn (which tuple a rank maps to is irrelevant to paths).

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, sample_derivations
    >>> spec = RHMSpec.make(m=4, v=8, n_c=4, L=2, alpha=1.0)
    >>> ranks = sample_derivations(spec, n=3, seed=0)
    >>> ranks.shape                          # (n, 1 + s nodes): the root, then level 2
    (3, 3)
    >>> bool((ranks >= 0).all() and (ranks < spec.m).all())
    True
    """
    if not isinstance(spec, RHMSpec):
        raise InputError(f"spec must be an RHMSpec (see RHMSpec.make), got {type(spec).__name__}")
    n = _v.integer("n", n, lo=0)
    seed = _v.seed("seed", seed)
    n_nodes = (spec.s**spec.L - 1) // (spec.s - 1) if spec.s > 1 else spec.L
    _v.size_limit(f"{n} derivations of {n_nodes} nodes", 8 * n * n_nodes, MAX_DERIVATION_BYTES, " bytes",
                 "fewer derivations")
    rng = np.random.default_rng(seed)
    cols = []
    for l in range(1, spec.L + 1):
        cols.append(rng.choice(spec.m, size=(n, spec.s ** (l - 1)), p=spec.level_probs(l)))
    return np.concatenate(cols, axis=1).astype(np.int64)


def seen_paths_distribution(spec, P, n_test=2000, seed=0):
    """Distribution of the number of seen paths of a datum: exact over training
    sets, Monte Carlo over test derivations.

    Paths of one datum share their upper choices, so they are not independent;
    for each sampled test derivation the probability that a set T of its paths
    is entirely unseen is ``(1 - M_T)**P``, where ``M_T`` (one training datum
    matching some path of T at its position) follows from a recursion over the
    tree; Moebius inversion gives the exact count distribution (kernel
    :func:`scalinglab.kernels.rhm._sums.seen_paths_pmf`). Requires ``K <= 12``.

    Returns
    -------
    SeenPathsDistribution

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, seen_paths_distribution
    >>> d = seen_paths_distribution(RHMSpec.make(alpha=1.0), P=100, n_test=500)
    >>> d.pk.round(2)              # exact over training sets, Monte Carlo over 500 test derivations
    array([[0.31, 0.17, 0.25, 0.16, 0.1 ]])
    >>> d.binomial.round(2)        # the independent-path binomial: less dispersed
    array([[0.13, 0.34, 0.35, 0.16, 0.03]])
    """
    if not isinstance(spec, RHMSpec):
        raise InputError(f"spec must be an RHMSpec (see RHMSpec.make), got {type(spec).__name__}")
    if spec.s > 1 and (spec.L - 1) * math.log2(spec.s) > math.log2(MAX_K_EXACT) + 1e-9:
        K = spec.s ** (spec.L - 1) if (spec.L - 1) * math.log2(spec.s) < 64 else float("inf")
        raise InputError(f"K = s**(L-1) = {K:.6g} > {MAX_K_EXACT}: 2**K subsets per datum is too many; "
                         "estimate the distribution by sampling training sets instead")
    P = _check_P(P)
    n_test = check_int("n_test", n_test, lo=2)
    seed = _v.seed("seed", seed)
    n_nodes = (spec.s**spec.L - 1) // (spec.s - 1) if spec.s > 1 else spec.L
    _v.size_limit(f"the seen-path distribution ({n_test} derivations x {P.size} P x 2**{spec.K} subsets x "
                 f"{n_nodes} nodes)", n_test * P.size * 2**spec.K * n_nodes, MAX_SEEN_WORK, " operations",
                 "fewer test derivations or P values")
    ranks = sample_derivations(spec, n_test, seed)
    lp = spec.probs_matrix()
    pk = np.empty((P.size, spec.K + 1))
    se = np.empty_like(pk)
    for i, p in enumerate(P):
        rows = seen_paths_pmf(ranks, lp, spec.n_c, spec.s, float(p))
        pk[i] = rows.mean(0)
        se[i] = rows.std(0, ddof=1) / math.sqrt(n_test)
    q = 1 - eps_of_spectrum(path_spectrum(spec), P)
    binom_pk = split_accuracy_model(np.zeros(spec.K + 1), np.clip(q, 0, 1)).pk
    return SeenPathsDistribution(P=P, pk=pk, stderr=se, binomial=binom_pk, n_test=n_test, seed=seed,
                                 model=spec.describe())


# ----------------------------------------------------------------------------- the split model along a learning curve
@dataclass(frozen=True, repr=False)
class SplitModelCurve(Result):
    """Test error predicted by the split-accuracy model at every P (seed eqs. 9-11).

    Attributes
    ----------
    P : numpy.ndarray
        Training-set sizes.
    c_k : numpy.ndarray, shape (len(P), K+1)
        Split accuracies used at each P.
    pk_exact : numpy.ndarray, shape (len(P), K+1)
        Exact distribution of the number of seen paths
        (:func:`seen_paths_distribution`).
    pk_binomial : numpy.ndarray
        Independent-path binomial with ``q = 1 - eps(P)``.
    pk_binomial_path : numpy.ndarray
        The binomial at the seed's threshold ``q = path(P)``.
    error_exact, error_binomial : numpy.ndarray
        ``1 - sum_k c_k pk`` with either distribution.
    error_seed_eq9 : numpy.ndarray
        The seed's eq. 9 as written: ``1 - sum_k c_k C(K,k) path(P)^k``
        (threshold ``q = path(P)``, no ``(1-q)^(K-k)`` factors; its weights do
        not sum to one, so it goes negative once path(P) is not small).
    error_binomial_path : numpy.ndarray
        The seed's eq. 9 with the ``(1-q)^(K-k)`` factors restored: the
        binomial with the threshold ``q = path(P)``.
    model : str or None

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, split_model_error
    >>> spec = RHMSpec.make(m=4, v=8, n_c=4, L=2, alpha=1.0)
    >>> cur = split_model_error(spec, [10, 100], c_k=[0.25, 0.6, 1.0], n_test=200)
    >>> cur.error_exact.round(3), cur.error_binomial.round(3)
    (array([0.447, 0.12 ]), array([0.425, 0.1  ]))
    """

    P: np.ndarray
    c_k: np.ndarray
    pk_exact: np.ndarray
    pk_binomial: np.ndarray
    pk_binomial_path: np.ndarray
    error_exact: np.ndarray
    error_binomial: np.ndarray
    error_seed_eq9: np.ndarray
    error_binomial_path: np.ndarray
    model: str | None = None

    _repr_fields = ("P", "error_exact", "error_binomial", "error_binomial_path", "model")

    def _frame_data(self):
        return {k: getattr(self, k) for k in ("P", "error_exact", "error_binomial", "error_binomial_path",
                                              "error_seed_eq9")}

    def _text(self):
        lines = ([self.model] if self.model else []) + [
            "split-accuracy model: error = 1 - sum_k c_k Pr(k of K paths seen)",
            f"{'P':>10s}  {'exact':>9s}  {'binomial':>9s}  {'bin. path(P)':>12s}  {'seed eq. 9':>10s}"]
        lines += [f"{p:10.4g}  {a:9.5f}  {b:9.5f}  {d:12.5f}  {c:10.5f}"
                  for p, a, b, c, d in zip(self.P, self.error_exact, self.error_binomial, self.error_seed_eq9,
                                           self.error_binomial_path)]
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """Predicted errors against P (log-log). Returns the axes."""
        ax = new_axes(ax)
        ax.loglog(self.P, self.error_exact, label="exact seen-path distribution", **kw)
        ax.loglog(self.P, self.error_binomial, "--", label="binomial (independent paths)")
        ok = self.error_binomial_path > 0
        ax.loglog(self.P[ok], self.error_binomial_path[ok], ":", label="binomial, q = path(P)")
        ax.set_xlabel("training-set size P")
        ax.set_ylabel("predicted test error")
        ax.legend(fontsize=8)
        return set_title(ax, "RHM split model: predicted test error against P")


def split_model_error(spec, P, c_k, n_test=4000, seed=0, seen=None):
    """Test error of the split-accuracy model along a learning curve.

    ``error(P) = 1 - sum_k c_k(P) Pr_P(k of the K paths of a test datum seen)``
    with the exact distribution of the number of seen paths
    (:func:`seen_paths_distribution`, i.i.d. training sets), with the
    independent-path binomial ``C(K,k) q^k (1-q)^(K-k)``, ``q = 1 - eps(P)``
    (the exact probability that one path is seen), with the binomial at the
    seed's threshold ``q = path(P)`` (its eq. 7), and with the seed's eq. 9 as
    written (``q = path(P)``, the ``(1-q)`` factors dropped).

    Parameters
    ----------
    spec : RHMSpec
    P : array_like
        Training-set sizes.
    c_k : array_like, shape (K+1,) or (len(P), K+1)
        Accuracy of a test datum with k seen paths, in [0, 1]: one vector for
        every P (the seed's flat c_k) or one per P.
    n_test, seed : int
        Monte Carlo test derivations of the exact distribution.
    seen : array_like, optional
        A precomputed exact distribution ``(len(P), K+1)`` (skips the Monte Carlo).

    Returns
    -------
    SplitModelCurve

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec
    >>> r = split_model_error(RHMSpec.make(alpha=2.0), [100, 1000], [0.1, 0.2, 0.4, 0.8, 1.0], n_test=500)
    >>> bool(r.error_exact[1] < r.error_exact[0])
    True
    """
    if not isinstance(spec, RHMSpec):
        raise InputError(f"spec must be an RHMSpec (see RHMSpec.make), got {type(spec).__name__}")
    P = _check_P(P)
    K = spec.K
    c = _v.as_floats("c_k", c_k)
    if c.ndim == 1:
        c = np.broadcast_to(c, (P.size, c.size))
    if c.shape != (P.size, K + 1) or np.any(~np.isfinite(c)) or np.any((c < 0) | (c > 1)):
        raise InputError(f"c_k must hold K+1 = {K + 1} accuracies in [0, 1] (one vector, or one per P), "
                         f"got shape {np.asarray(c_k).shape}")
    if seen is None:
        pk = seen_paths_distribution(spec, P, n_test=n_test, seed=seed).pk
    else:
        pk = _v.as_floats("seen", seen)
        if pk.shape != (P.size, K + 1) or not np.all(np.isfinite(pk)) or np.any(pk < 0):
            raise InputError(f"seen must have shape (len(P), K+1) = {(P.size, K + 1)}, got {pk.shape}")
    sp = path_spectrum(spec)
    q = np.clip(1 - eps_of_spectrum(sp, P), 0, 1)
    pk_bin, _ = _binomial_pk(K, q)
    # seed eq. 9: path(P) = mass of paths with 1/f <= P; C(K,k) q^k without (1-q)^(K-k)
    with np.errstate(divide="ignore"):
        path_mass = np.clip(sp.mass_above(sp.n_c / P), 0, 1)  # as in learning_curve
    pk_path, w9 = _binomial_pk(K, path_mass)
    eq9 = 1 - (w9 * c).sum(1)
    return SplitModelCurve(P=P, c_k=np.array(c), pk_exact=pk, pk_binomial=pk_bin, pk_binomial_path=pk_path,
                           error_exact=1 - (pk * c).sum(1), error_binomial=1 - (pk_bin * c).sum(1),
                           error_seed_eq9=eq9, error_binomial_path=1 - (pk_path * c).sum(1), model=spec.describe())
