"""Toy datasets from Bethe-lattice percolation clusters and a nearest-neighbour regressor.

Our implementation of Brill's toy experiment (arXiv 2412.07942, Sec. on toy
experiments); details the stored copy of the paper did not give are our
choices (*assumed*), stated here:

* Clusters are grown by Leath growth on the Bethe lattice (coordination ``z``,
  occupation ``p``; :func:`scalinglab.kernels.percolation._clusters.bethe_forest`), so
  their sizes follow ``s n_s / p``; a size cap stands in for the infinite cluster.
* Each cluster is embedded in ``R^d`` by a random walk along its bonds
  (Gaussian steps of unit mean square length), which gives the mean-field
  fractal dimension ``D = 4`` for ``d >= 8``; clusters are translated to
  far-apart centres (*assumed*: clusters are separate subtasks).
* Target on cluster ``j`` (*assumed*): ``y = a_j + lam w_j . (x - r_j)``
  with ``a_j = +-1`` at random (the subtask's identity: an unlearned cluster
  costs ``E|a - a'|^q = 2^(q-1)``, bounded for every ``q``), ``w_j ~ N(0, I/d)``, ``r_j`` the cluster's seed site; the
  nearest-neighbour error inside a learned cluster is ``lam w_j . dx``, so the
  ``q``-th power loss scales as the ``q``-th moment of the neighbour distance.
  ``lam`` is kept small (0.1) in the quanta experiments so that the
  within-cluster spread ``lam |x - r_j|`` stays below the O(1) offsets.
* A data point is a site drawn uniformly from all sites, so a cluster's
  frequency is proportional to its size.
* Model: 1-nearest-neighbour regression (Euclidean). *Data scaling*: the model
  stores ``D_data`` i.i.d. samples. *Model scaling*: the model stores ``N``
  prototypes chosen from the (unlimited) data: the ``K`` largest clusters get
  ``max(1, round(rho s_k))`` sites each (uniformly at random inside the
  cluster), ``K`` as large as the budget allows, and ``rho`` is chosen from a
  grid to minimise the test loss (Brill's parameterized DOF distribution).
* Loss: ``|prediction - y|^q`` averaged over test sites; ``c = q`` for this
  Lipschitz target, so the manifold exponent is ``q/D``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from scalinglab._util import check_int, check_positive
from scalinglab.kernels.percolation import bethe_forest, embed_tree

__all__ = ["ClusterDataset", "make_cluster_dataset", "nn_loss", "data_scaling_loss", "model_prototypes",
           "model_scaling_loss"]


@dataclass
class ClusterDataset:
    """Sites of embedded percolation clusters with their targets.

    Attributes
    ----------
    X : float64 array (S, d)
        Site positions.
    y : float64 array (S,)
        Targets.
    cluster : int64 array (S,)
        Cluster index of every site (clusters sorted by decreasing size).
    sizes : int64 array (K,)
        Cluster sizes, decreasing.
    offsets : int64 array (K + 1,)
        Cluster ``k`` holds sites ``offsets[k]:offsets[k+1]``.
    params : dict
        Generation parameters.

    Examples
    --------
    >>> ds = make_cluster_dataset(20, 0.45, cap=500, seed=0)
    >>> ds.n_sites, ds.X.shape, ds.sizes[:3], ds.offsets[:3]      # clusters by decreasing size, sites contiguous
    (183, (183, 8), array([33, 28, 21]), array([ 0, 33, 61]))
    """

    X: np.ndarray
    y: np.ndarray
    cluster: np.ndarray
    sizes: np.ndarray
    offsets: np.ndarray
    params: dict = field(default_factory=dict)

    @property
    def n_sites(self):
        return self.X.shape[0]


def make_cluster_dataset(n_clusters, p, z=3, cap=2000, d=8, lam=1.0, seed=0, dominant=False):
    """Grow, embed and label ``n_clusters`` Bethe-lattice clusters.

    Parameters
    ----------
    n_clusters : int
        Number of clusters (subtasks); 1 gives a single dominant cluster.
    p : float
        Occupation probability (``p_c = 1/(z-1)``).
    z : int
        Coordination number.
    cap : int
        Size cap of each cluster (sites).
    d : int
        Embedding dimension (>= 8 keeps the fractal dimension 4 visible).
    lam : float
        Slope of the within-cluster (linear) part of the target.
    seed : int
        Seed of the whole dataset.
    dominant : bool
        Supercritical "dominant manifold": grow one cluster (``n_clusters=1``,
        ``p > p_c``), regrown until it reaches ``cap`` (i.e. conditioned on
        belonging to the infinite cluster, truncated at ``cap`` sites).

    Returns
    -------
    ClusterDataset

    Examples
    --------
    >>> ds = make_cluster_dataset(20, 0.45, cap=500, seed=0)       # subcritical (p < p_c = 1/2 for z = 3)
    >>> ds.sizes.size, int(ds.sizes.sum()) == ds.n_sites, ds.params["d"]
    (20, True, 8)
    >>> big = make_cluster_dataset(1, 0.55, cap=2000, seed=0, dominant=True)     # one supercritical cluster, capped
    >>> big.n_sites
    2000
    """
    n_clusters = check_int("n_clusters", n_clusters, lo=1)
    cap = check_int("cap", cap, lo=1)
    d = check_int("d", d, lo=1)
    if not 0 < p < 1:
        raise ValueError(f"p must lie in (0, 1), got {p}")
    lam = check_positive("lam", lam, allow_zero=True)
    rng = np.random.default_rng(seed)
    if dominant:
        if n_clusters != 1:
            raise ValueError("dominant=True grows a single cluster: use n_clusters=1")
        if p <= 1.0 / (z - 1):
            raise ValueError("a dominant (capped) cluster needs p > p_c = 1/(z-1)")
        for _ in range(100_000):  # P(survive) = P_inf/p > 0: a capped cluster appears quickly
            parent, offsets, capped = bethe_forest(1, float(p), int(z), cap, int(rng.integers(2**31)))
            if capped[0]:
                break
        else:  # pragma: no cover - probability ~ (1 - P_inf/p)^1e5
            raise RuntimeError("no cluster reached the cap")
    else:
        parent, offsets, _ = bethe_forest(n_clusters, float(p), int(z), cap, int(rng.integers(2**31)))
    sizes = np.diff(offsets)
    S = parent.size
    steps = rng.normal(scale=1.0 / np.sqrt(d), size=(S, d))
    # cluster roots start at far-apart centres: spacing >> any cluster radius (~ s^(1/4))
    spread = 100.0 * (1.0 + cap ** 0.25) * max(1.0, n_clusters ** (1.0 / d))
    steps[offsets[:-1]] = rng.uniform(-spread, spread, size=(n_clusters, d))
    X = embed_tree(parent, steps)
    cl = np.repeat(np.arange(n_clusters), sizes)
    a = rng.choice([-1.0, 1.0], size=n_clusters)
    w = rng.normal(scale=1.0 / np.sqrt(d), size=(n_clusters, d))
    y = a[cl] + lam * np.einsum("ij,ij->i", X - X[offsets[:-1]][cl], w[cl])
    # sort clusters by decreasing size (stable), keeping sites contiguous
    order = np.argsort(-sizes, kind="stable")
    idx = np.concatenate([np.arange(offsets[k], offsets[k + 1]) for k in order])
    new_sizes = sizes[order]
    new_off = np.concatenate([[0], np.cumsum(new_sizes)])
    return ClusterDataset(X=X[idx], y=y[idx], cluster=np.repeat(np.arange(n_clusters), new_sizes),
                          sizes=new_sizes, offsets=new_off,
                          params=dict(n_clusters=n_clusters, p=p, z=z, cap=cap, d=d, lam=lam, seed=seed,
                                      dominant=dominant))


def nn_loss(train_idx, test_idx, ds, q=2.0):
    """Mean ``|y_nn - y|^q`` of 1-nearest-neighbour regression on the dataset's sites.

    Examples
    --------
    >>> import numpy as np
    >>> ds = make_cluster_dataset(20, 0.45, cap=500, seed=0)
    >>> test = np.arange(0, ds.n_sites, 3)
    >>> nn_loss(np.arange(ds.n_sites), test, ds)                  # every test site stored: no error
    0.0
    """
    train_idx = np.asarray(train_idx)
    if train_idx.size == 0:
        raise ValueError("the model needs at least one stored point")
    tree = cKDTree(ds.X[train_idx])
    _, j = tree.query(ds.X[test_idx], k=1)
    err = ds.y[train_idx][j] - ds.y[test_idx]
    return float(np.mean(np.abs(err) ** q))


def data_scaling_loss(ds, n_data, test_idx, q=2.0, rng=None):
    """Loss of 1-NN regression trained on ``n_data`` i.i.d. uniform sites.

    Examples
    --------
    >>> import numpy as np
    >>> ds = make_cluster_dataset(20, 0.45, cap=500, seed=0)
    >>> test = np.arange(0, ds.n_sites, 3)
    >>> bool(data_scaling_loss(ds, 500, test, rng=0) < data_scaling_loss(ds, 50, test, rng=0))   # more data, lower loss
    True
    """
    rng = np.random.default_rng(rng)
    train = rng.integers(0, ds.n_sites, size=int(n_data))
    return nn_loss(train, test_idx, ds, q)


def model_prototypes(ds, N, rho, rng=None):
    """Indices of ``N`` prototypes: the largest clusters, ``max(1, round(rho s_k))`` sites each.

    Clusters are taken in decreasing size while the budget lasts; the last one
    may receive fewer prototypes (whatever budget is left).

    Examples
    --------
    >>> ds = make_cluster_dataset(20, 0.45, cap=500, seed=0)
    >>> idx = model_prototypes(ds, 10, rho=0.1, rng=0)           # round(0.1 s_k) sites of the largest clusters
    >>> idx.size, ds.cluster[idx]
    (10, array([0, 0, 0, 1, 1, 1, 2, 2, 3, 3]))
    """
    rng = np.random.default_rng(rng)
    N = check_int("N", N, lo=1)
    nk = np.minimum(np.maximum(1, np.rint(rho * ds.sizes)).astype(np.int64), ds.sizes)
    cost = np.cumsum(nk)
    K = int(np.searchsorted(cost, N, side="right"))
    out = [ds.offsets[k] + rng.choice(ds.sizes[k], size=nk[k], replace=False) for k in range(K)]
    left = N - (cost[K - 1] if K else 0)
    if K < ds.sizes.size and left > 0:
        out.append(ds.offsets[K] + rng.choice(ds.sizes[K], size=min(left, ds.sizes[K]), replace=False))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def model_scaling_loss(ds, N, test_idx, q=2.0, rhos=None, rng=None):
    """Smallest test loss over the allocation grid ``rhos`` for a model of ``N`` prototypes.

    Returns
    -------
    (float, float)
        The loss and the ``rho`` attaining it.

    Examples
    --------
    >>> import numpy as np
    >>> ds = make_cluster_dataset(20, 0.45, cap=500, seed=0)
    >>> loss, rho = model_scaling_loss(ds, 10, np.arange(0, ds.n_sites, 3), rng=0)
    >>> bool(loss > 0), rho                                       # the best rho of the grid
    (True, 0.0001)
    """
    rng = np.random.default_rng(rng)
    if rhos is None:
        rhos = np.geomspace(1e-5, 1.0, 11)
    best = (np.inf, np.nan)
    for rho in rhos:
        idx = model_prototypes(ds, N, rho, rng)
        loss = nn_loss(idx, test_idx, ds, q)
        if loss < best[0]:
            best = (loss, float(rho))
    return best
