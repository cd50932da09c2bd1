"""Intrinsic-dimension estimators: TwoNN and Levina-Bickel MLE.

Both use only nearest-neighbour distances (scipy's KD-tree), so they see the
manifold's dimension ``d``, not the ambient one.

* **TwoNN** (Facco et al. 2017): ``mu = r2 / r1`` (second over first
  neighbour distance) is Pareto distributed, ``P(mu > x) = x^-d``, for
  locally uniform data; the maximum-likelihood estimate is
  ``d = (N - 1) / sum log mu`` (unbiased form), with standard error
  ``d / sqrt(N)``. A fraction of the largest ``mu`` may be discarded (they
  come from boundary / low-density points).
* **Levina-Bickel** (2005) MLE with ``k`` neighbours, averaged as MacKay &
  Ghahramani suggest: ``1/d_k = mean_x (1/(k-1)) sum_{j<k} log(T_k / T_j)``,
  then ``d`` = mean of ``d_k`` over ``k in [k1, k2]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from scalinglab import _validation as _v
from scalinglab._results import Result, one_row
from scalinglab._util import check_int
from scalinglab.errors import InputError

__all__ = ["IDEstimate", "knn_distances", "twonn", "levina_bickel", "sample_manifold", "TWONN_MIN_POINTS",
           "MAX_POINT_BYTES"]

#: Fewest distinct points TwoNN accepts: its standard error is d/sqrt(N), ~30 % at 10 points.
TWONN_MIN_POINTS = 10
#: Largest memory of a point cloud (sampled, or searched for neighbours).
MAX_POINT_BYTES = 2**30
#: Largest fraction of points whose neighbour distances tie exactly (the estimators assume continuous distances).
MAX_TIED_FRACTION = 0.5


def _check_ties(tied, what):
    frac = float(np.mean(tied))
    if frac > MAX_TIED_FRACTION:
        raise InputError(f"the neighbour distances tie at {int(np.sum(tied))} of {tied.size} points (lattice or "
                         f"discrete data; limit {MAX_TIED_FRACTION:.0%}): {what} assumes continuous distances")


@dataclass(frozen=True, repr=False)
class IDEstimate(Result):
    """An intrinsic-dimension estimate.

    Attributes
    ----------
    dimension : float
        Estimated intrinsic dimension.
    stderr : float
        Asymptotic standard error (TwoNN: ``d / sqrt(N_used)``; Levina-Bickel:
        spread over points of the per-point estimates / sqrt(N)).
    method : str
        ``"twonn-mle"`` or ``"levina-bickel-mle"``.
    n_points : int
        Points used.
    params : dict
        Method parameters (discard fraction, k range).

    Examples
    --------
    >>> from scalinglab.theory.spectral import sample_manifold, twonn
    >>> est = twonn(sample_manifold("sphere", 2000, 2, seed=1))
    >>> round(est.dimension, 1), est.method
    (1.9, 'twonn-mle')
    """

    dimension: float
    stderr: float
    method: str
    n_points: int
    params: dict

    def _frame_data(self):
        return one_row({"dimension": self.dimension, "stderr": self.stderr, "method": self.method,
                        "n_points": self.n_points, **self.params})

    def _text(self):
        par = ", ".join(f"{k} {v:g}" for k, v in self.params.items())
        return f"{self.method} ({par}, {self.n_points} points): {self.dimension:.3f} +- {self.stderr:.3f}"


def _check_points(X):
    X = _v.real_array("X (points x coordinates)", X, ndim=2)
    _v.size_limit(f"a cloud of {X.shape[0]} points x {X.shape[1]} coordinates", 8.0 * X.size, MAX_POINT_BYTES,
                 " bytes", "fewer points")
    return X


def knn_distances(X, k):
    """Distances to the ``k`` nearest neighbours (self excluded), ascending.

    Exact duplicates of a point are dropped first (a zero distance makes the
    log ratios undefined).

    Returns
    -------
    numpy.ndarray, shape (N, k)

    Examples
    --------
    >>> from scalinglab.theory.spectral import knn_distances
    >>> import numpy as np
    >>> knn_distances(np.array([[0.0], [1.0], [3.0]]), 2)
    array([[1., 3.],
           [1., 2.],
           [2., 3.]])
    """
    X = _check_points(X)
    k = check_int("k", k, lo=1, hi=10**4)
    _, first = np.unique(X, axis=0, return_index=True)
    Xu = X[np.sort(first)]  # duplicates dropped, order kept
    if Xu.shape[0] <= k:
        raise InputError(f"need more than k={k} distinct points, got {Xu.shape[0]}")
    dist, _ = cKDTree(Xu).query(Xu, k=k + 1)
    return dist[:, 1:]


def twonn(X, discard_fraction=0.1):
    """TwoNN intrinsic dimension (maximum likelihood on ``mu = r2/r1``).

    Parameters
    ----------
    X : array_like, shape (N, D)
        Points in ambient coordinates.
    discard_fraction : float
        Fraction of the largest ``mu`` values dropped (0 <= f < 0.5).

    Returns
    -------
    IDEstimate

    Raises
    ------
    InputError
        Fewer than ``TWONN_MIN_POINTS`` distinct points, or neighbour
        distances that tie (``r2 = r1``) at more than half of the points, as
        on a lattice or for discrete data: the likelihood assumes continuous
        distances (with every point tied it has no maximum: d would be inf).

    Examples
    --------
    >>> from scalinglab.theory.spectral import sample_manifold
    >>> 1.7 < twonn(sample_manifold("torus", 2000, 2, seed=1)).dimension < 2.3
    True
    """
    discard_fraction = _v.real("discard_fraction", discard_fraction, lo=0, hi=0.5, hi_open=True)
    X = _check_points(X)
    n_distinct = np.unique(X, axis=0).shape[0]
    if n_distinct < TWONN_MIN_POINTS:
        raise InputError(f"TwoNN needs at least {TWONN_MIN_POINTS} distinct points, got {n_distinct}")
    r = knn_distances(X, 2)
    _check_ties(r[:, 1] == r[:, 0], "the TwoNN likelihood")
    mu = np.sort(r[:, 1] / r[:, 0])
    keep = mu.size - int(np.floor(discard_fraction * mu.size))
    logmu = np.log(mu[:keep])
    if discard_fraction > 0:
        # MLE of a Pareto tail truncated at its (1 - f) quantile: the discarded
        # points still count as "mu > mu_cut"
        cut = np.log(mu[keep - 1])
        denom = logmu.sum() + (mu.size - keep) * cut
    else:
        denom = logmu.sum()
    if not denom > 0:
        raise InputError("the nearest-neighbour distances tie (r2 = r1 for every point kept: lattice or discrete "
                         "data); the TwoNN dimension is undefined")
    d = (keep - 1) / denom
    return IDEstimate(dimension=float(d), stderr=float(d / np.sqrt(keep)), method="twonn-mle",
                      n_points=int(mu.size), params={"discard_fraction": discard_fraction})


def levina_bickel(X, k1=10, k2=20):
    """Levina-Bickel MLE of the intrinsic dimension, averaged over ``k1..k2``.

    Parameters
    ----------
    X : array_like, shape (N, D)
    k1, k2 : int
        Neighbour range (2 <= k1 <= k2).

    Returns
    -------
    IDEstimate

    Examples
    --------
    >>> from scalinglab.theory.spectral import levina_bickel, sample_manifold
    >>> est = levina_bickel(sample_manifold("cube", 2000, 3, seed=0))
    >>> 2.7 < est.dimension < 3.3, est.params
    (True, {'k1': 10, 'k2': 20})
    """
    k1 = check_int("k1", k1, lo=2)
    k2 = check_int("k2", k2, lo=k1, hi=1000)
    T = knn_distances(X, k2)
    _check_ties(np.any(np.diff(T, axis=1) == 0, axis=1), "the Levina-Bickel MLE")
    logT = np.log(T)
    dks, per_point = [], []
    for k in range(k1, k2 + 1):
        inv = (logT[:, k - 1][:, None] - logT[:, : k - 1]).sum(axis=1) / (k - 1)  # 1/m_k(x)
        if not inv.mean() > 0:
            raise InputError("all k nearest neighbours are equidistant (distances tie: lattice or discrete data); "
                             "the Levina-Bickel MLE is undefined")
        dks.append(1.0 / inv.mean())
        per_point.append(inv)
    inv_pp = np.mean(per_point, axis=0)
    pp = 1.0 / inv_pp[inv_pp > 0]  # per-point estimates (points with tied neighbours dropped)
    if pp.size < 2:
        raise InputError("the neighbour distances tie at all but one point (lattice or discrete data); the "
                         "Levina-Bickel spread is undefined")
    d = float(np.mean(dks))
    return IDEstimate(dimension=d, stderr=float(pp.std(ddof=1) / np.sqrt(pp.size)), method="levina-bickel-mle",
                      n_points=int(T.shape[0]), params={"k1": k1, "k2": k2})


def sample_manifold(kind, n, d, ambient=None, seed=0):
    """Uniform samples on a manifold of known intrinsic dimension ``d``.

    Parameters
    ----------
    kind : {"sphere", "torus", "cube", "subspace"}
        ``sphere``: unit ``S^d`` in ``R^(d+1)``; ``torus``: flat ``T^d`` as
        ``(cos a_k, sin a_k)`` pairs in ``R^(2d)``; ``cube``: ``[0,1]^d``;
        ``subspace``: a Gaussian in a random ``d``-plane of ``R^ambient``.
    n, d : int
        Points and intrinsic dimension.
    ambient : int, optional
        Ambient dimension of ``subspace`` (default ``2 d``); other manifolds
        are rotated into ``R^ambient`` by a random isometry when given.
    seed : int

    Returns
    -------
    numpy.ndarray, shape (n, D)

    Examples
    --------
    >>> from scalinglab.theory.spectral import sample_manifold
    >>> X = sample_manifold("sphere", 5, 2, seed=0)     # the 2-sphere in R^3
    >>> X.shape, bool(abs((X**2).sum(1) - 1).max() < 1e-12)
    ((5, 3), True)
    >>> sample_manifold("torus", 5, 3).shape             # a flat 3-torus in R^6
    (5, 6)
    """
    kind = _v.choice("kind", kind, ("sphere", "torus", "cube", "subspace"))
    n = check_int("n", n, lo=1)
    d = check_int("d", d, lo=1)
    if ambient is not None:
        ambient = check_int("ambient", ambient, lo=1)
    seed = _v.seed("seed", seed)
    width = {"sphere": d + 1, "torus": 2 * d, "cube": d, "subspace": d}[kind]
    cols = max(width, ambient or (2 * d if kind == "subspace" else 0))
    _v.size_limit(f"{n} points x {cols} coordinates", 16 * n * cols, MAX_POINT_BYTES, " bytes",
                 "fewer points or a lower dimension")
    rng = np.random.default_rng(seed)
    if kind == "sphere":
        X = rng.standard_normal((n, d + 1))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
    elif kind == "torus":
        a = rng.uniform(0, 2 * np.pi, (n, d))
        X = np.concatenate([np.cos(a), np.sin(a)], axis=1)
    elif kind == "cube":
        X = rng.uniform(0, 1, (n, d))
    elif kind == "subspace":
        X = rng.standard_normal((n, d))
        ambient = 2 * d if ambient is None else ambient
    if ambient is not None:
        ambient = check_int("ambient", ambient, lo=X.shape[1])
        Q, _ = np.linalg.qr(rng.standard_normal((ambient, X.shape[1])))
        X = X @ Q.T
    return X
