"""A feature matrix: intrinsic dimension, Gram spectra, and the kernel learning curve predicted and measured.

For ``N`` points ``x_i`` (and a target ``y``), the population is the
empirical measure on the points, as Canatar, Bordelon & Pehlevan (2021) did
for MNIST:

* **intrinsic dimension** (TwoNN, Levina-Bickel:
  :func:`scalinglab.theory.spectral.twonn`, :func:`~scalinglab.theory.spectral.levina_bickel`)
  with intervals, scikit-dimension's estimates beside them, and the
  resolution-limited exponent ``4/d_ID`` of each (Bahri et al. 2021);
* **Gram spectra** of ``K/N`` for a Laplace, a Gaussian and an arc-cosine
  (one-hidden-layer ReLU network, NNGP) kernel, with the decay exponent over
  a stated rank window (:func:`~scalinglab.theory.spectral.fit_spectrum`);
* **the kernel-regression learning curve**: predicted by eigenlearning
  (:func:`~scalinglab.theory.spectral.eigenlearning_curve`) from the
  eigenvalues ``lambda_i`` of ``K/N`` and the target's power on each
  eigenvector, ``v_i^2 = (u_i . y)^2 / N`` (summed over the outputs of a
  one-hot target), and measured: ``P`` distinct training points drawn at
  random from the points (without replacement; draws with replacement
  repeat points, and on digits they depart further from the prediction as
  ``P/N`` grows: measured ratio 1.49 against 1.13 without at ``P = 800``,
  ``N = 1797``), kernel ridge regression
  ``f = K_xP (K_PP + ridge I)^-1 y_P``, the error over all ``N`` points (the
  population) and over the points not drawn (held out), over several seeds.
  Errors are divided by the target's variance (relative MSE). The ratio
  measured/predicted per ``P`` gets an interval that resamples whole seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from scipy.linalg import eigh, solve

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, one_row, set_title
from scalinglab.errors import InputError
from scalinglab.theory.data._inputs import FeatureData, read_features
from scalinglab.theory.fitting import bootstrap_powerlaw, powerlaw_fit, seed_bootstrap
from scalinglab.theory.spectral import (GramSpectrum, eigenlearning_curve, fit_spectrum, gram_matrix,
                                        levina_bickel, twonn)

__all__ = ["IntrinsicDimension", "intrinsic_dimension", "KernelLearningCurve", "kernel_learning_curve",
           "predicted_errors", "measured_errors",
           "FeaturePrediction", "predict_features", "MAX_KERNEL_POINTS", "seed_interval"]

#: Largest number of points of the kernel part (an N x N eigendecomposition, ~10 N^3 flops: ~2 s at 3000).
MAX_KERNEL_POINTS = 6000
_KERNELS = ("laplace", "rbf", "arccos1")
_MAX_CLASSES = 50


# ----------------------------------------------------------------------------- intervals over seeds
def seed_interval(values, level=0.95, n_boot=2000, seed=0):
    """Mean over seeds (axis 0) of ``values``, column by column, with an interval that resamples whole seeds.

    ``values`` has one row per seed (a seed's whole curve stays together); each column's interval is
    :func:`scalinglab.theory.fitting.seed_bootstrap` of its mean (percentile bootstrap over seeds; the
    jackknife-t interval with fewer than 5 seeds; none with one seed).

    Returns ``(mean, lo, hi, method)``, arrays over the columns.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([[1.0, 2.0], [1.2, 2.2], [0.8, 1.8], [1.1, 2.1], [0.9, 1.9]])   # 5 seeds x 2 points
    >>> m, lo, hi, how = seed_interval(v, n_boot=500)
    >>> m.round(3).tolist(), bool(np.all(lo < m) and np.all(m < hi)), how
    ([1.0, 2.0], True, 'percentile bootstrap over 5 seeds')
    """
    v = _v.as_floats("values", values)
    if v.ndim == 0 or v.ndim > 2 or v.size == 0:
        raise InputError(f"values must be (seeds,) or (seeds, points), got shape {v.shape}")
    if np.any(np.isinf(v)):
        raise InputError("values must be finite (nan marks a missing run)")
    if np.any(np.all(np.isnan(v), axis=0)):
        raise InputError("values: a column has no finite value (every run missing)")
    if v.ndim == 1:
        v = v[:, None]
    n = v.shape[0]
    mean = np.nanmean(v, axis=0)
    if n < 2:
        nan = np.full_like(mean, np.nan)
        return mean, nan, nan, "one seed: no interval"
    lo, hi = np.empty_like(mean), np.empty_like(mean)
    how = ""
    for j in range(v.shape[1]):
        r = seed_bootstrap(v, lambda x, j=j: float(np.nanmean(x[:, j])), n_boot=n_boot, level=level, seed=seed)
        lo[j], hi[j] = r.ci
        how = f"{r.ci_method} over {n} seeds" if r.ci_method != "percentile" else \
            f"percentile bootstrap over {n} seeds"
    return mean, lo, hi, how


# ----------------------------------------------------------------------------- intrinsic dimension
@dataclass(frozen=True, repr=False)
class IntrinsicDimension(Result):
    """Intrinsic dimension of a point cloud by two estimators, with intervals and a peer's numbers.

    Attributes
    ----------
    twonn, twonn_ci : float, tuple
        TwoNN MLE and its chi-square interval (``2 d sum log mu ~ chi2(2n)``: assumes independent ratios).
    levina_bickel, levina_bickel_ci : float, tuple
        Levina-Bickel MLE averaged over ``k`` in ``k_range`` and ``estimate ± z s.e.`` (spread of the
        per-point estimates).
    k_range : tuple of int
    n_points : int
    resolution_exponent : dict
        ``4/d`` of each estimate (the resolution-limited MSE exponent of a piecewise-linear learner).
    peer : dict
        scikit-dimension on the same points: ``TwoNN`` (its default, a regression on the same ratios) and
        ``MLE`` (Levina-Bickel, per ``k``, averaged over ``k_range``); or why not.
    level : float

    Examples
    --------
    >>> from scalinglab.theory.spectral import sample_manifold
    >>> from scalinglab.theory.data import intrinsic_dimension
    >>> idim = intrinsic_dimension(sample_manifold("torus", 2000, 3, seed=0), peer=False)
    >>> 2.7 < idim.twonn < 3.3, idim.twonn_ci[0] < idim.twonn < idim.twonn_ci[1]
    (True, True)
    """

    twonn: float
    twonn_ci: tuple
    levina_bickel: float
    levina_bickel_ci: tuple
    k_range: tuple
    n_points: int
    resolution_exponent: dict
    peer: dict
    level: float

    _repr_fields = ("twonn", "twonn_ci", "levina_bickel", "levina_bickel_ci", "n_points")

    def _frame_data(self):
        d = {k: getattr(self, k) for k in ("twonn", "twonn_ci", "levina_bickel", "levina_bickel_ci", "n_points",
                                            "level")}
        d.update({f"four_over_d_{k}": v for k, v in self.resolution_exponent.items()})
        d.update({f"peer_{k}": v for k, v in self.peer.items() if isinstance(v, float)})
        return one_row(d)

    def _text(self):
        pct = f"{100 * self.level:g} %"
        lines = [f"intrinsic dimension ({self.n_points} points):",
                 f"  TwoNN          {self.twonn:.3f} [{pct} {self.twonn_ci[0]:.3f}, {self.twonn_ci[1]:.3f}]   "
                 f"4/d = {self.resolution_exponent['twonn']:.3f}",
                 f"  Levina-Bickel  {self.levina_bickel:.3f} [{pct} {self.levina_bickel_ci[0]:.3f}, "
                 f"{self.levina_bickel_ci[1]:.3f}] (k = {self.k_range[0]}..{self.k_range[1]})   "
                 f"4/d = {self.resolution_exponent['levina_bickel']:.3f}"]
        if self.peer.get("available"):
            lines.append(f"  scikit-dimension {self.peer['package']}: TwoNN {self.peer['twonn']:.3f}, "
                         f"MLE (k = {self.k_range[0]}..{self.k_range[1]}) {self.peer['mle']:.3f}")
        else:
            lines.append(f"  (scikit-dimension: {self.peer.get('reason')})")
        return "\n".join(lines)


def _skdim(X, k1, k2):
    try:
        import skdim
    except ImportError:
        return {"available": False, "reason": "scikit-dimension is not installed (pip install scikit-dimension)"}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tw = float(skdim.id.TwoNN(discard_fraction=0.1).fit(X).dimension_)
        ks = sorted({k1, (k1 + k2) // 2, k2})
        mle = [float(skdim.id.MLE().fit(X, n_neighbors=k, comb="mle").dimension_) for k in ks]
    from importlib.metadata import version

    return {"available": True, "package": version("scikit-dimension"), "twonn": tw, "mle": float(np.mean(mle)),
            "mle_k": ks, "mle_per_k": mle,
            "settings": "skdim.id.TwoNN(discard_fraction=0.1); skdim.id.MLE().fit(X, n_neighbors=k, comb='mle') "
                        "averaged over k"}


def intrinsic_dimension(X, k_range=(10, 20), discard_fraction=0.1, level=0.95, peer=True):
    """TwoNN and Levina-Bickel intrinsic dimension with intervals, and scikit-dimension's beside them.

    Parameters
    ----------
    X : array_like, shape (N, d)
    k_range : (int, int)
        Neighbours of the Levina-Bickel estimate (averaged over ``k1..k2``).
    discard_fraction : float
        TwoNN: fraction of the largest ratios dropped.
    level : float
    peer : bool
        Run scikit-dimension too (if installed).

    Returns
    -------
    IntrinsicDimension

    Examples
    --------
    >>> from scalinglab.theory.spectral import sample_manifold
    >>> idim = intrinsic_dimension(sample_manifold("cube", 3000, 2, seed=1), peer=False)
    >>> round(idim.levina_bickel), round(idim.resolution_exponent["levina_bickel"])
    (2, 2)
    """
    level = _v.probability("level", level)
    peer = _v.flag("peer", peer)
    k1, k2 = _k_range(k_range)
    tw = twonn(X, discard_fraction=discard_fraction)
    keep = tw.n_points - int(np.floor(discard_fraction * tw.n_points))
    lo = tw.dimension * stats.chi2.ppf((1 - level) / 2, 2 * keep) / (2 * (keep - 1))
    hi = tw.dimension * stats.chi2.ppf((1 + level) / 2, 2 * keep) / (2 * (keep - 1))
    lb = levina_bickel(X, k1, k2)
    z = stats.norm.ppf(0.5 + level / 2)
    peer_d = _skdim(np.asarray(X, dtype=float), k1, k2) if peer else {"available": False,
                                                                     "reason": "not asked for (peer=False)"}
    return IntrinsicDimension(twonn=tw.dimension, twonn_ci=(float(lo), float(hi)), levina_bickel=lb.dimension,
                              levina_bickel_ci=(lb.dimension - z * lb.stderr, lb.dimension + z * lb.stderr),
                              k_range=(k1, k2), n_points=tw.n_points,
                              resolution_exponent={"twonn": 4.0 / tw.dimension, "levina_bickel": 4.0 / lb.dimension},
                              peer=peer_d, level=level)


# ----------------------------------------------------------------------------- learning curves
@dataclass(frozen=True, repr=False)
class KernelLearningCurve(Result):
    """Kernel-regression learning curve on a data set: eigenlearning prediction and measurement side by side.

    Attributes
    ----------
    P : numpy.ndarray
        Training-set sizes.
    predicted : numpy.ndarray
        Eigenlearning test error over the population (the ``N`` points), relative to the target variance.
    predicted_heldout : numpy.ndarray
        The same, turned into the error on the points not drawn: ``(E_pop - q E_train) / (1 - q)``,
        ``q = P/N``.
    measured : numpy.ndarray
        ``(n_seeds, n_P)`` measured population errors (relative MSE), one row per seed.
    measured_heldout : numpy.ndarray
        ``(n_seeds, n_P)`` errors on the points not drawn.
    mean, lo, hi : numpy.ndarray
        Mean measured population error over seeds and its interval (whole seeds resampled).
    ratio, ratio_lo, ratio_hi : numpy.ndarray
        Measured / predicted per P (population errors) with its whole-seed interval.
    interval_method : str
    measured_exponent, measured_exponent_ci : float, tuple
        Power-law exponent of the measured mean curve over ``window`` with its interval over seeds
        (:func:`scalinglab.theory.fitting.bootstrap_powerlaw`).
    predicted_exponent : float
        OLS exponent of the predicted curve over the same window.
    window : tuple
    kernel : str
    bandwidth : float or None
    ridge : float
    n_points : int
    n_outputs : int
    level : float

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.theory.data import kernel_learning_curve
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, (400, 2)); y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    >>> lc = kernel_learning_curve(X, y, P=[20, 40, 80, 160], seeds=5)
    >>> lc.measured.shape, lc.interval_method, bool(lc.measured_exponent > 1)
    ((5, 4), 'percentile bootstrap over 5 seeds', True)
    """

    P: np.ndarray
    predicted: np.ndarray
    predicted_heldout: np.ndarray
    measured: np.ndarray
    measured_heldout: np.ndarray
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    ratio: np.ndarray
    ratio_lo: np.ndarray
    ratio_hi: np.ndarray
    interval_method: str
    measured_exponent: float
    measured_exponent_ci: tuple
    predicted_exponent: float
    window: tuple
    kernel: str
    bandwidth: float | None
    ridge: float
    n_points: int
    n_outputs: int
    level: float

    _repr_fields = ("P", "ratio", "measured_exponent", "predicted_exponent", "kernel")
    _reasons = {"bandwidth": "the kernel has no bandwidth", "lo": "one seed: no interval", "hi": "one seed: no interval",
                "ratio_lo": "one seed: no interval", "ratio_hi": "one seed: no interval",
                "measured_exponent_ci": "the bootstrap interval could not be computed",
                "predicted_exponent": "fewer than 2 training-set sizes P inside the window: no exponent to fit"}

    def _frame_data(self):
        return {"P": self.P, "predicted": self.predicted, "predicted_heldout": self.predicted_heldout,
                "measured_mean": self.mean, "measured_lo": self.lo, "measured_hi": self.hi,
                "measured_heldout_mean": self.measured_heldout.mean(axis=0), "ratio": self.ratio,
                "ratio_lo": self.ratio_lo, "ratio_hi": self.ratio_hi, "kernel": self.kernel, "ridge": self.ridge}

    def _text(self):
        pct = f"{100 * self.level:g} %"
        lines = [f"kernel regression ({self.kernel} kernel"
                 + (f", bandwidth {self.bandwidth:.4g}" if self.bandwidth else "")
                 + f", ridge {self.ridge:g}) on {self.n_points} points, {self.measured.shape[0]} seeds; "
                 f"relative MSE over the points (population):",
                 f"{'P':>7s} {'predicted':>10s} {'measured':>10s} {pct + ' interval':>21s} {'ratio':>7s} "
                 f"{'ratio interval':>17s} {'held-out meas.':>14s} {'held-out pred.':>14s}"]
        ho = self.measured_heldout.mean(axis=0)
        for i, p in enumerate(self.P):
            lines.append(f"{p:7.0f} {self.predicted[i]:10.4g} {self.mean[i]:10.4g} "
                         f"{f'[{self.lo[i]:.4g}, {self.hi[i]:.4g}]':>21s} {self.ratio[i]:7.3f} "
                         f"{f'[{self.ratio_lo[i]:.3f}, {self.ratio_hi[i]:.3f}]':>17s} {ho[i]:14.4g} "
                         f"{self.predicted_heldout[i]:14.4g}")
        ci = self.measured_exponent_ci
        lines.append(f"exponent over P in [{self.window[0]:g}, {self.window[1]:g}]: measured "
                     f"{self.measured_exponent:.4f} [{ci[0]:.4f}, {ci[1]:.4f}], predicted {self.predicted_exponent:.4f}"
                     f" (intervals: {self.interval_method})")
        return "\n".join(lines)

    def plot(self, ax=None, ratio_ax=None, **kw):
        """Predicted and measured curves (log-log) on ``ax``; the ratio per P on ``ratio_ax`` when given.
        Returns ``ax``."""
        ax = new_axes(ax)
        ax.loglog(self.P, self.predicted, "-", label="eigenlearning prediction", **kw)
        ax.errorbar(self.P, self.mean, yerr=[self.mean - self.lo, self.hi - self.mean], fmt="o", ms=4, capsize=2,
                    label=f"measured ({self.measured.shape[0]} seeds)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training points P")
        ax.set_ylabel("relative test MSE")
        ax.legend(fontsize=8)
        if ratio_ax is not None:
            ratio_ax.errorbar(self.P, self.ratio, yerr=[self.ratio - self.ratio_lo, self.ratio_hi - self.ratio],
                              fmt="o-", ms=4, capsize=2)
            ratio_ax.axhline(1.0, color="0.5", lw=0.8)
            ratio_ax.set_xscale("log")
            ratio_ax.set_xlabel("training points P")
            ratio_ax.set_ylabel("measured / predicted")
            set_title(ratio_ax, "measured / predicted")
        return set_title(ax, "kernel learning curve: eigenlearning prediction and measurement")


def _bandwidth(X, kernel, bandwidth):
    if kernel not in ("laplace", "rbf"):
        return None
    if bandwidth is not None:
        return _v.positive("bandwidth", bandwidth)
    from scipy.spatial.distance import pdist

    d = pdist(X[:2000])
    return float(np.median(d[d > 0])) if np.any(d > 0) else 1.0


def _targets(y, n):
    """``(Y, kind)``: a one-hot matrix for a class label (integers, at most 50 classes), else a column."""
    y = _v.real_array("target y", y)
    if y.size != n:
        raise InputError(f"the target has {y.size} values for {n} points")
    vals = np.unique(y)
    if np.all(vals == np.round(vals)) and 2 <= vals.size <= _MAX_CLASSES:
        return (y[:, None] == vals[None, :]).astype(float), f"one-hot class label ({vals.size} classes)"
    return y[:, None].astype(float), "continuous"


def _eig(K):
    N = K.shape[0]
    lam, U = eigh((K + K.T) / (2 * N))
    return np.clip(lam[::-1], 0.0, None), U[:, ::-1]


def _k_range(k_range):
    if isinstance(k_range, (str, bytes)) or not hasattr(k_range, "__len__") or len(k_range) != 2:
        raise InputError(f"k_range must be a pair (k1, k2) of neighbour counts, got {k_range!r}")
    k1, k2 = _v.integer("k_range[0]", k_range[0], lo=1), _v.integer("k_range[1]", k_range[1], lo=1)
    return k1, k2


def _matrix(name, A, rows=None, square=False):
    A = _v.real_array(name, A, ndim=2)
    if rows is not None and A.shape[0] != rows:
        raise InputError(f"{name} must have {rows} rows, got shape {A.shape}")
    if square and A.shape[0] != A.shape[1]:
        raise InputError(f"{name} must be square, got shape {A.shape}")
    return A


def _draw_sizes(P, N):
    """Training-set sizes: integers in [1, N - 1] (drawn without replacement from N points)."""
    P = _v.real_array("P", P, lo=1, hi=N - 1)
    if np.any(P != np.round(P)):
        raise InputError("P must be integers (training-set sizes)")
    return P.astype(int)


def predicted_errors(lam, U, Y, P, ridge):
    """Eigenlearning errors over the population and on the points not drawn, relative to the target variance.

    ``lam, U``: eigenvalues (descending) and eigenvectors of ``K/N``; ``Y``: ``(N, outputs)`` targets.

    Examples
    --------
    >>> import numpy as np
    >>> lam, U = np.array([0.5, 0.5]), np.eye(2)
    >>> pop, ho = predicted_errors(lam, U, np.array([[1.0], [-1.0]]), np.array([1]), 1e-9)
    >>> round(float(pop[0]), 6)        # kappa = 1/2, L = 1/2, E0 = 2: 2 * sum (1-L)^2 v^2 = 2 * 2 * 1/4 * 1/2
    0.5
    """
    U = _matrix("U", U, square=True)
    N = U.shape[0]
    lam = _v.real_array("lam", lam, lo=0.0)
    if lam.size != N:
        raise InputError(f"lam must hold one eigenvalue per column of U: {lam.size} for {N}")
    Y = _matrix("Y", Y, rows=N)
    P = _draw_sizes(P, N)
    ridge = _v.positive("ridge", ridge, allow_zero=True)
    scale = float(np.sum(Y.var(axis=0)))
    if not scale > 0:
        raise InputError("Y is constant: no target variance to measure errors against")
    v2 = np.sum((U.T @ Y) ** 2, axis=1) / N
    pred = eigenlearning_curve(np.asarray(P, dtype=float), lam, v2, ridge=ridge)
    q = np.asarray(P, dtype=float) / N  # fraction of the points drawn
    return pred.test_mse / scale, (pred.test_mse - q * pred.train_mse) / (1.0 - q) / scale


def measured_errors(K, Y, P, ridge, seed):
    """Kernel ridge regression from ``P`` distinct random points (one generator for all P): relative errors over
    all points and over the points not drawn.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.linspace(0, 1, 50)[:, None]; K = np.exp(-np.abs(X - X.T) / 0.3); Y = np.sin(6 * X)
    >>> pop, ho = measured_errors(K, Y, np.array([5, 25]), 1e-8, seed=0)
    >>> bool(pop[1] < pop[0]), bool(np.all(ho >= pop))
    (True, True)
    """
    K = _matrix("K", K, square=True)
    N = K.shape[0]
    Y = _matrix("Y", Y, rows=N)
    P = _draw_sizes(P, N)
    ridge = _v.positive("ridge", ridge)
    scale = float(np.sum(Y.var(axis=0)))
    if not scale > 0:
        raise InputError("Y is constant: no target variance to measure errors against")
    seed = [_v.seed("seed", s) for s in seed] if isinstance(seed, (list, tuple)) else _v.seed("seed", seed)
    rng = np.random.default_rng(seed)
    pop, ho = np.empty(len(P)), np.empty(len(P))
    for j, p in enumerate(P):
        idx = rng.choice(N, size=int(p), replace=False)
        coef = solve(K[np.ix_(idx, idx)] + ridge * np.eye(int(p)), Y[idx], assume_a="pos")
        err = np.sum((K[:, idx] @ coef - Y) ** 2, axis=1)
        pop[j] = err.mean() / scale
        out = np.ones(N, bool)
        out[idx] = False
        ho[j] = err[out].mean() / scale if out.any() else np.nan
    return pop, ho


def kernel_learning_curve(X, y, P=None, kernel="laplace", bandwidth=None, ridge=1e-6, seeds=8, level=0.95,
                          window=None, seed=0, _eigs=None):
    """Eigenlearning prediction and measured kernel-regression learning curve on the same points.

    Parameters
    ----------
    X : array_like, shape (N, d)
        The points (the population is their empirical measure).
    y : array_like, shape (N,)
        Target: a class label (integers, at most 50 classes: one-hot, errors summed over classes) or a number.
    P : array_like of int, optional
        Training-set sizes below N (default: 10 log-spaced values from 10 to N/2).
    kernel : {"laplace", "rbf", "arccos1"}
    bandwidth : float, optional
        Default: the median pairwise distance.
    ridge : float
        Ridge of ``K_PP + ridge I`` (the same in the prediction), > 0.
    seeds : int
        Independent draws of the training set per P (a seed draws all its P from one generator).
    level : float
    window : (float, float), optional
        P window of the exponent fits (default: all P).
    seed : int
        First seed.

    Returns
    -------
    KernelLearningCurve

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(1).normal(size=(300, 3)); y = X[:, 0] * X[:, 1]
    >>> lc = kernel_learning_curve(X, y, P=[16, 32, 64], seeds=3)
    >>> lc.interval_method.endswith("over 3 seeds"), lc.n_outputs
    (True, 1)
    """
    X = _v.real_array("X", X, ndim=2)
    N = X.shape[0]
    _v.size_limit(f"a kernel learning curve on {N} points", N, MAX_KERNEL_POINTS, " points",
                  "subsample the points (predict_features does: max_kernel_points)")
    kernel = _v.choice("kernel", kernel, _KERNELS)
    ridge = _v.positive("ridge", ridge)
    seeds = _v.integer("seeds", seeds, lo=1, hi=1000)
    level = _v.probability("level", level)
    seed = _v.seed("seed", seed)
    Y, _ = _targets(y, N)
    if P is None:
        P = np.unique(np.round(np.geomspace(10, max(N // 2, 11), 10)))
    P = np.unique(_v.real_array("P", P, lo=1, hi=N - 1)).astype(int)
    bw = _bandwidth(X, kernel, bandwidth)
    K = gram_matrix(X, kernel, bw)
    lam, U = _eig(K) if _eigs is None else _eigs
    scale = float(np.sum(Y.var(axis=0)))
    if scale <= 0:
        raise InputError("the target is constant: nothing to learn")
    pred_pop, pred_ho = predicted_errors(lam, U, Y, P, ridge)
    meas = np.empty((seeds, P.size))
    meas_ho = np.empty((seeds, P.size))
    for s in range(seeds):
        meas[s], meas_ho[s] = measured_errors(K, Y, P, ridge, [seed, s])
    mean, lo, hi, how = seed_interval(meas, level, seed=seed)
    rmean, rlo, rhi, _ = seed_interval(meas / pred_pop[None, :], level, seed=seed + 1)
    if window is None:
        win = (float(P.min()), float(P.max()))
    elif isinstance(window, (str, bytes)) or not hasattr(window, "__len__") or len(window) != 2:
        raise InputError(f"window must be a pair (lo, hi) of training-set sizes, got {window!r}")
    else:
        win = (_v.real("window[0]", window[0], lo=0.0), _v.real("window[1]", window[1], lo=0.0))
    mexp, mci = float("nan"), (float("nan"), float("nan"))
    inside = (P >= win[0]) & (P <= win[1])
    if inside.sum() >= 2:
        import warnings

        from scalinglab.theory.fitting import FewSeedsWarning
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewSeedsWarning)
            bf = bootstrap_powerlaw(P.astype(float), meas.T, window=win, n_boot=1000, level=level, seed=seed)
        mexp, mci = bf.exponent, tuple(bf.ci)
    pexp = powerlaw_fit(P.astype(float), pred_pop, window=win).exponent if inside.sum() >= 2 else float("nan")
    return KernelLearningCurve(P=P.astype(float), predicted=pred_pop, predicted_heldout=pred_ho, measured=meas,
                               measured_heldout=meas_ho, mean=mean, lo=lo, hi=hi, ratio=rmean, ratio_lo=rlo,
                               ratio_hi=rhi, interval_method=how, measured_exponent=mexp, measured_exponent_ci=mci,
                               predicted_exponent=pexp, window=win, kernel=kernel, bandwidth=bw, ridge=ridge,
                               n_points=N, n_outputs=Y.shape[1], level=level)


# ----------------------------------------------------------------------------- everything
@dataclass(frozen=True, repr=False)
class FeaturePrediction(Result):
    """What the kernel/manifold theory predicts from a feature matrix, and how kernel regression does on it.

    Attributes
    ----------
    source : str
    n_points, n_features : int
    dimension : IntrinsicDimension
    spectra : dict
        ``{kernel: {"spectrum": GramSpectrum, "fit": SpectrumFit}}`` on the kernel points.
    curve : KernelLearningCurve or None
        With a target: predicted and measured kernel-regression learning curve.
    target : str or None
        The target column and how it was used.
    notes : list of str

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.theory.data import predict_features
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, (500, 3)); y = np.cos(2 * X[:, 0]) * X[:, 2]
    >>> fp = predict_features(X, y, seeds=3, kernels=("laplace",), peer=False)
    >>> round(fp.dimension.twonn), sorted(fp.spectra), fp.curve.measured.shape[0]
    (3, ['laplace'], 3)
    """

    source: str
    n_points: int
    n_features: int
    dimension: IntrinsicDimension
    spectra: dict
    curve: KernelLearningCurve | None
    target: str | None
    notes: list = field(default_factory=list)

    _repr_fields = ("source", "n_points", "n_features", "dimension", "curve")
    _reasons = {"curve": "no target column: no learning curve", "target": "no target column"}

    def _dict_data(self):
        d = super()._dict_data()
        d["spectra"] = {k: {"decay": v["fit"].decay, "alpha_K": v["fit"].alpha_K,
                            "rank_window": list(v["fit"].fit.window), "bandwidth": v["spectrum"].bandwidth,
                            "n_samples": v["spectrum"].n_samples,
                            "top_eigenvalues": v["spectrum"].eigenvalues[:50]}
                        for k, v in self.spectra.items()}
        return d

    def _frame_data(self):
        return self.curve._frame_data() if self.curve is not None else self.dimension._frame_data()

    def _text(self):
        out = [f"{self.source}: {self.n_points} points x {self.n_features} features"
               + (f"; target {self.target}" if self.target else ""), str(self.dimension), "Gram spectra of K/N:"]
        for k, v in self.spectra.items():
            f = v["fit"]
            out.append(f"  {k:8s} decay lambda_i ~ i^-{f.decay:.3f} over ranks {f.fit.window[0]:g}..{f.fit.window[1]:g}"
                       f" (alpha_K = {f.alpha_K:.3f}; OLS of correlated eigenvalues: no interval)")
        if self.curve is not None:
            out.append(str(self.curve))
        out += [f"note: {n}" for n in self.notes]
        return "\n".join(out)

    def plot(self, ax=None, **kw):
        """The learning curves (:meth:`KernelLearningCurve.plot`), or the spectra without a target. Returns the axes."""
        if self.curve is not None:
            return self.curve.plot(ax=ax, **kw)
        ax = new_axes(ax)
        for k, v in self.spectra.items():
            v["spectrum"].plot(ax=ax, label=k)
        ax.legend(fontsize=8)
        ax.set_title("")  # the first spectrum's title names one kernel: name them all
        return set_title(ax, f"Gram spectra ({', '.join(self.spectra)} kernels)")


def predict_features(data, y=None, *, target=None, kernels=_KERNELS, bandwidth=None, ridge=1e-6, P=None, seeds=8,
                     k_range=(10, 20), max_kernel_points=3000, level=0.95, peer=True, seed=0):
    """Intrinsic dimension, Gram spectra and the kernel learning curve (predicted and measured) of a data set.

    Parameters
    ----------
    data : path, FeatureData or array_like (N, d)
        A feature file (:func:`read_features`) or the matrix.
    y : array_like, optional
        Target values (with an array ``data``).
    target : str or int, optional
        Target column of the file.
    kernels : sequence of {"laplace", "rbf", "arccos1"}
        Gram spectra to compute; the first one also gives the learning curve.
    bandwidth, ridge, P, seeds
        See :func:`kernel_learning_curve`.
    k_range : (int, int)
        Levina-Bickel neighbours.
    max_kernel_points : int
        A random subset of this many points is the population of the kernel part (above it).
    level : float
    peer : bool
        scikit-dimension's estimates beside ours.
    seed : int

    Returns
    -------
    FeaturePrediction

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(2).normal(size=(400, 4))
    >>> fp = predict_features(X, kernels=("rbf",), peer=False)          # no target: no learning curve
    >>> fp.curve is None, fp.to_dict()["curve_reason"]
    (True, 'no target column: no learning curve')
    """
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        fd = read_features(data, target=target)
    elif isinstance(data, FeatureData):
        fd = data
    else:
        X = _v.real_array("X", data, ndim=2)
        fd = FeatureData(X=X, y=None if y is None else _v.real_array("y", y), columns=[str(i) for i in range(X.shape[1])],
                         target=None if y is None else "y", source="array")
    X, yv = fd.X, fd.y
    if isinstance(kernels, str):
        kernels = (kernels,)
    if not hasattr(kernels, "__iter__") or isinstance(kernels, (bytes, dict)):
        raise InputError(f"kernels must be a list of kernel names, got {kernels!r}")
    kernels = tuple(_v.choice("kernel", k, _KERNELS) for k in kernels)
    if not kernels:
        raise InputError("kernels must name at least one kernel")
    max_kernel_points = _v.integer("max_kernel_points", max_kernel_points, lo=20, hi=MAX_KERNEL_POINTS)
    notes = []
    dim = intrinsic_dimension(X, k_range=k_range, level=level, peer=peer)
    Xk, yk = X, yv
    if X.shape[0] > max_kernel_points:
        idx = np.sort(np.random.default_rng(seed).choice(X.shape[0], max_kernel_points, replace=False))
        Xk, yk = X[idx], (None if yv is None else yv[idx])
        notes.append(f"kernel part on a random subset of {max_kernel_points} of the {X.shape[0]} points "
                     "(max_kernel_points)")
    spectra = {}
    eigs = None
    for i, k in enumerate(kernels):
        bw = _bandwidth(Xk, k, bandwidth)
        K = gram_matrix(Xk, k, bw)
        if i == 0 and yk is not None:  # eigenvectors for the learning curve
            eigs = _eig(K)
            lam = eigs[0]
        else:
            lam = np.clip(eigh((K + K.T) / (2 * K.shape[0]), eigvals_only=True)[::-1], 0.0, None)
        spec = GramSpectrum(eigenvalues=lam, n_samples=Xk.shape[0], kernel=k, bandwidth=bw, centered=False)
        hi = max(5, Xk.shape[0] // 10)
        while hi > 5 and lam[hi - 1] <= 0:
            hi -= 1
        spectra[k] = {"spectrum": spec, "fit": fit_spectrum(lam, window=(3, hi))}
    curve = None
    tdesc = None
    if yk is not None:
        _, tdesc = _targets(yk, Xk.shape[0])
        curve = kernel_learning_curve(Xk, yk, P=P, kernel=kernels[0], bandwidth=bandwidth, ridge=ridge, seeds=seeds,
                                      level=level, seed=seed, _eigs=eigs)
        tdesc = f"{fd.target} ({tdesc})"
    else:
        notes.append("no target column: intrinsic dimension and spectra only (give --target COL for a learning curve)")
    return FeaturePrediction(source=fd.source, n_points=X.shape[0], n_features=X.shape[1], dimension=dim,
                             spectra=spectra, curve=curve, target=tdesc, notes=notes + list(fd.notes))
