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

from scalinglab._results import Result, one_row
from scalinglab._util import check_int

__all__ = ["IDEstimate", "knn_distances", "twonn", "levina_bickel", "sample_manifold"]


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
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-d array (points x coordinates), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains non-finite values")
    return X


def knn_distances(X, k):
    """Distances to the ``k`` nearest neighbours (self excluded), ascending.

    Exact duplicates of a point are dropped first (a zero distance makes the
    log ratios undefined).

    Returns
    -------
    numpy.ndarray, shape (N, k)
    """
    X = _check_points(X)
    k = check_int("k", k, lo=1)
    _, first = np.unique(X, axis=0, return_index=True)
    Xu = X[np.sort(first)]  # duplicates dropped, order kept
    if Xu.shape[0] <= k:
        raise ValueError(f"need more than k={k} distinct points, got {Xu.shape[0]}")
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
    """
    if not 0 <= discard_fraction < 0.5:
        raise ValueError("discard_fraction must lie in [0, 0.5)")
    r = knn_distances(X, 2)
    mu = np.sort(r[:, 1] / r[:, 0])
    keep = mu.size - int(np.floor(discard_fraction * mu.size))
    logmu = np.log(mu[:keep])
    if discard_fraction > 0:
        # MLE of a Pareto tail truncated at its (1 - f) quantile: the discarded
        # points still count as "mu > mu_cut"
        cut = np.log(mu[keep - 1])
        d = (keep - 1) / (logmu.sum() + (mu.size - keep) * cut)
    else:
        d = (keep - 1) / logmu.sum()
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
    """
    k1 = check_int("k1", k1, lo=2)
    k2 = check_int("k2", k2, lo=k1)
    T = knn_distances(X, k2)
    logT = np.log(T)
    dks, per_point = [], []
    for k in range(k1, k2 + 1):
        inv = (logT[:, k - 1][:, None] - logT[:, : k - 1]).sum(axis=1) / (k - 1)  # 1/m_k(x)
        if not inv.mean() > 0:
            raise ValueError("all k nearest neighbours are equidistant: the MLE is undefined (discrete data?)")
        dks.append(1.0 / inv.mean())
        per_point.append(inv)
    inv_pp = np.mean(per_point, axis=0)
    pp = 1.0 / inv_pp[inv_pp > 0]  # per-point estimates (points with tied neighbours dropped)
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
    """
    n = check_int("n", n, lo=1)
    d = check_int("d", d, lo=1)
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
    else:
        raise ValueError(f"unknown manifold {kind!r}; use sphere, torus, cube or subspace")
    if ambient is not None:
        ambient = check_int("ambient", ambient, lo=X.shape[1])
        Q, _ = np.linalg.qr(rng.standard_normal((ambient, X.shape[1])))
        X = X @ Q.T
    return X
