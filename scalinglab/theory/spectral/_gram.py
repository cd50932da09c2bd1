"""Empirical kernel spectra: Gram-matrix eigenvalues of data and power-law fits.

For ``N`` samples ``x_i`` of a distribution, the eigenvalues of ``K / N``
(``K_ij = k(x_i, x_j)``) estimate the top eigenvalues of the kernel's integral
operator under that distribution (Mercer eigenvalues, the ``lambda_i`` of
:mod:`scalinglab.theory.spectral._learning`). A power law ``lambda_i ~ i^-(1+alpha_K)``
is fitted over an explicit *rank* window; beyond ranks ~ ``N/10`` the Gram
eigenvalues are dominated by finite-sample noise, so the default window
stops there.

Reference points: on a ``d``-dimensional manifold a Laplace kernel
``exp(-|x - y| / ell)`` has ``lambda_i ~ i^-(1 + 1/d)`` (``alpha_K = 1/d``);
a kernel ``t`` times differentiable has ``alpha_K >= t/d`` (Bahri et al.).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import eigh
from scipy.spatial.distance import cdist

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, one_row, set_title
from scalinglab.errors import InputError
from scalinglab.theory.fitting import PowerLawFit, powerlaw_fit

__all__ = ["gram_matrix", "GramSpectrum", "gram_spectrum", "SpectrumFit", "fit_spectrum", "MAX_GRAM_SAMPLES",
           "MAX_GRAM_ENTRIES"]

_KERNELS = ("laplace", "rbf", "linear", "arccos1")
#: Largest number of samples of a Gram spectrum: K (N x N) and its copies take ~40 N^2 bytes
#: (2.6 GB at the limit) and the eigendecomposition ~ 10 N^3 flops.
MAX_GRAM_SAMPLES = 8000
#: Largest kernel matrix of :func:`gram_matrix` (entries; 8 bytes each plus a distance matrix).
MAX_GRAM_ENTRIES = 10**8


def _points(name, X):
    X = _v.real_array(name, X, ndim=np.ndim(X) if np.ndim(X) in (1, 2) else 2)
    if X.ndim == 1:
        X = X[:, None]
    return X


def _kernel(kernel):
    if callable(kernel):
        return kernel
    return _v.choice("kernel", kernel, _KERNELS)


def gram_matrix(X, kernel="laplace", bandwidth=None, Y=None):
    """Kernel matrix ``k(x_i, y_j)``.

    Parameters
    ----------
    X : array_like, shape (N, D)
    kernel : {"laplace", "rbf", "linear", "arccos1"} or callable
        ``laplace``: ``exp(-|x-y|/ell)``; ``rbf``: ``exp(-|x-y|^2/(2 ell^2))``;
        ``linear``: ``x.y``; ``arccos1``: the degree-1 arc-cosine kernel
        (infinite-width one-hidden-layer ReLU network, NNGP). A callable gets
        ``(X, Y)`` and returns the matrix.
    bandwidth : float, optional
        ``ell``; default: the median pairwise distance.
    Y : array_like, optional
        Second argument (default ``X``).

    Examples
    --------
    >>> from scalinglab.theory.spectral import gram_matrix
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [3.0]])
    >>> gram_matrix(X, "laplace", bandwidth=1.0).round(4)     # exp(-|x - y| / bandwidth)
    array([[1.    , 0.3679, 0.0498],
           [0.3679, 1.    , 0.1353],
           [0.0498, 0.1353, 1.    ]])
    """
    X = _points("X", X)
    if Y is None:
        Y = X
    else:
        Y = _points("Y", Y)
        if Y.shape[1] != X.shape[1]:
            raise InputError(f"Y has {Y.shape[1]} coordinates, X has {X.shape[1]}")
    kernel = _kernel(kernel)
    if bandwidth is not None:
        bandwidth = _v.positive("bandwidth", bandwidth)
    _v.size_limit(f"a {X.shape[0]} x {Y.shape[0]} kernel matrix", float(X.shape[0]) * Y.shape[0], MAX_GRAM_ENTRIES,
                 " entries", "fewer points")
    if callable(kernel):
        K = np.asarray(kernel(X, Y), dtype=float)
        if K.shape != (X.shape[0], Y.shape[0]) or not np.all(np.isfinite(K)):
            raise InputError(f"the kernel callable must return a finite {X.shape[0]} x {Y.shape[0]} matrix, "
                             f"got shape {K.shape}")
        return K
    if kernel == "linear":
        return X @ Y.T
    if kernel == "arccos1":
        nx = np.linalg.norm(X, axis=1)[:, None]
        ny = np.linalg.norm(Y, axis=1)[None, :]
        cos = np.clip((X @ Y.T) / np.maximum(nx * ny, 1e-300), -1.0, 1.0)
        th = np.arccos(cos)
        return nx * ny / np.pi * (np.sin(th) + (np.pi - th) * cos)
    dist = cdist(X, Y)
    if bandwidth is None:
        sub = dist if dist.shape[0] <= 2000 else dist[:2000, :2000]
        bandwidth = float(np.median(sub[sub > 0])) if np.any(sub > 0) else 1.0
    with np.errstate(over="ignore"):  # a tiny bandwidth: exp(-inf) = 0 is the right limit
        if kernel == "laplace":
            return np.exp(-dist / bandwidth)
        return np.exp(-0.5 * (dist / bandwidth) ** 2)


@dataclass(frozen=True, repr=False)
class GramSpectrum(Result):
    """Eigenvalues of ``K / N`` in decreasing order.

    Attributes
    ----------
    eigenvalues : numpy.ndarray
        Descending eigenvalues of ``K/N`` (negative round-off clipped to 0).
    n_samples : int
    kernel : str
    bandwidth : float or None
    centered : bool
        Whether ``K`` was double-centred (feature means removed).

    Examples
    --------
    >>> from scalinglab.theory.spectral import gram_spectrum, sample_manifold
    >>> X = sample_manifold("torus", 300, 1, seed=0)
    >>> g = gram_spectrum(X, "laplace")
    >>> g.n_samples, g.eigenvalues.shape, bool((g.eigenvalues[:-1] >= g.eigenvalues[1:]).all())
    (300, (300,), True)
    """

    eigenvalues: np.ndarray
    n_samples: int
    kernel: str
    bandwidth: float | None
    centered: bool

    def _frame_data(self):
        return {"rank": np.arange(1, self.eigenvalues.size + 1), "eigenvalue": self.eigenvalues,
                "n_samples": self.n_samples, "kernel": self.kernel, "bandwidth": self.bandwidth,
                "centered": self.centered}

    def _text(self):
        return (f"Gram spectrum of K/N, kernel {self.kernel}" + (f" (bandwidth {self.bandwidth:.4g})" if self.bandwidth
                                                                 else "")
                + f"{', double-centred' if self.centered else ''}, {self.n_samples} samples:\n"
                + "  top eigenvalues: " + ", ".join(f"{v:.4g}" for v in self.eigenvalues[:8]))

    def plot(self, ax=None, **kw):
        """Eigenvalues against rank on log-log axes (zeros left out). Returns the axes."""
        ax = new_axes(ax)
        r = np.arange(1, self.eigenvalues.size + 1)
        ok = self.eigenvalues > 0
        kw.setdefault("label", f"{self.kernel} kernel")
        ax.loglog(r[ok], self.eigenvalues[ok], ".", ms=3, **kw)
        ax.set_xlabel("rank i")
        ax.set_ylabel("eigenvalue of K/N")
        return set_title(ax, f"Gram spectrum, {self.kernel} kernel, N = {self.n_samples}")


def gram_spectrum(X, kernel="laplace", bandwidth=None, center=False, max_samples=4000, seed=0):
    """Gram spectrum of a data set (array in, spectrum out).

    Parameters
    ----------
    X : array_like, shape (N, D)
        Data (e.g. one-hot RHM inputs flattened, percolation samples, points
        on a manifold).
    kernel, bandwidth
        See :func:`gram_matrix`.
    center : bool
        Double-centre ``K`` (spectrum of the feature covariance, without the
        constant mode).
    max_samples : int
        Random subsample above this size (an ``N x N`` eigendecomposition is
        ``O(N^3)``); ``2 <= max_samples <= MAX_GRAM_SAMPLES``.
    seed : int
        Subsampling seed.

    Returns
    -------
    GramSpectrum

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0]])
    >>> gram_spectrum(X, "linear").eigenvalues.tolist()  # K/N = [[0, 0], [0, 1/2]]
    [0.5, 0.0]
    """
    max_samples = _v.integer("max_samples", max_samples, lo=2, hi=MAX_GRAM_SAMPLES)
    X = _points("X", X)
    if X.shape[0] < 2:
        raise InputError(f"X must hold N >= 2 points, got shape {X.shape}")
    kernel = _kernel(kernel)
    if bandwidth is not None:
        bandwidth = _v.positive("bandwidth", bandwidth)
    center = _v.flag("center", center)
    seed = _v.seed("seed", seed)
    if X.shape[0] > max_samples:
        X = X[np.random.default_rng(seed).choice(X.shape[0], max_samples, replace=False)]
    if bandwidth is None and kernel in ("laplace", "rbf"):
        dist = cdist(X[:2000], X[:2000])
        bandwidth = float(np.median(dist[dist > 0])) if np.any(dist > 0) else 1.0
    K = gram_matrix(X, kernel, bandwidth)
    N = K.shape[0]
    if center:
        H = np.eye(N) - 1.0 / N
        K = H @ K @ H
    ev = eigh((K + K.T) / (2 * N), eigvals_only=True)[::-1]
    ev = np.clip(ev, 0.0, None)
    name = kernel if isinstance(kernel, str) else getattr(kernel, "__name__", "callable")
    return GramSpectrum(eigenvalues=ev, n_samples=N, kernel=name,
                        bandwidth=bandwidth if kernel in ("laplace", "rbf") else None, centered=center)


@dataclass(frozen=True, repr=False)
class SpectrumFit(Result):
    """Power-law fit ``lambda_i = A i^-(1 + alpha_K)`` over a rank window.

    Attributes
    ----------
    alpha_K : float
        Fitted spectrum exponent minus one (= the predicted resolution-limited
        *loss* exponent under the isotropic-teacher assumption).
    decay : float
        The fitted eigenvalue decay exponent ``1 + alpha_K``.
    fit : PowerLawFit
        The underlying fit (rank window, method, stderr). Its OLS stderr
        describes the scatter about the line; neighbouring eigenvalues are
        correlated, so it is no confidence interval.

    Examples
    --------
    >>> from scalinglab.theory.spectral import fit_spectrum
    >>> import numpy as np
    >>> fit = fit_spectrum(np.arange(1, 201) ** -1.5, window=(5, 100))
    >>> round(fit.alpha_K, 6), round(fit.decay, 6)
    (0.5, 1.5)
    """

    alpha_K: float
    decay: float
    fit: PowerLawFit
    eigenvalues: np.ndarray | None = field(default=None, repr=False)

    _repr_fields = ("alpha_K", "decay", "fit")

    def plot(self, ax=None, **kw):
        """The eigenvalues against rank (log-log, zeros left out) and the fitted law over the window, its ends
        marked. Returns the axes."""
        ax = new_axes(ax)
        lo, hi = self.fit.window
        if self.eigenvalues is not None:
            ev = self.eigenvalues
            r = np.arange(1, ev.size + 1)
            kw.setdefault("label", "eigenvalues")
            ax.loglog(r[ev > 0], ev[ev > 0], ".", ms=3, **kw)
        x = np.geomspace(lo, hi, 50)
        ax.loglog(x, self.fit.predict(x), "k--", lw=1.2, label=f"fit: decay {self.decay:.3f} (α_K = {self.alpha_K:.3f})")
        for edge in (lo, hi):
            ax.axvline(edge, color="gray", lw=0.6, ls=":")
        ax.set_xlabel("rank i")
        ax.set_ylabel("eigenvalue λ_i")
        ax.legend(fontsize=8)
        return set_title(ax, f"spectrum fit over ranks {lo:g}..{hi:g}: α_K = {self.alpha_K:.3f}")

    def _dict_data(self):
        return {"alpha_K": self.alpha_K, "decay": self.decay, **{f"fit_{k}": v for k, v in self.fit._dict_data().items()}}

    def _frame_data(self):
        return one_row(self._dict_data())

    def _text(self):
        f = self.fit
        return (f"fit lambda_i ~ i^-(1+alpha_K) over ranks {f.window[0]:g}..{f.window[1]:g} ({f.method}, "
                f"{f.n_points} points): decay {self.decay:.4f} (OLS s.e. {f.stderr:.2g}; eigenvalues are "
                f"correlated, so no confidence interval), alpha_K = {self.alpha_K:.4f}")


#: Eigenvalues below ``ROUNDOFF_FACTOR * n * eps * lambda_max`` are round-off (refused in a fit window).
ROUNDOFF_FACTOR = 16


def fit_spectrum(eigenvalues, window=None):
    """Fit ``lambda_i ~ i^-(1 + alpha_K)`` over a rank window.

    Parameters
    ----------
    eigenvalues : array_like
        Descending eigenvalues (e.g. ``GramSpectrum.eigenvalues``).
    window : (int, int), optional
        Inclusive rank range (1-based) of at least 3 ranks inside ``[1, N]``,
        with positive eigenvalues. Default ``(3, max(5, N/10))``: skips the
        top (constant / low modes) and the noise-dominated tail.

    Returns
    -------
    SpectrumFit

    Raises
    ------
    InputError
        Fewer than 5 eigenvalues, unsorted or negative ones, a window
        outside ``[1, N]`` or of fewer than 3 ranks, or a zero eigenvalue
        (numerical null space) inside the window.

    Examples
    --------
    >>> import numpy as np
    >>> round(fit_spectrum(np.arange(1, 101.0) ** -1.5).alpha_K, 6)
    0.5
    """
    ev = _v.real_array("eigenvalues", np.ravel(eigenvalues) if np.ndim(eigenvalues) else eigenvalues, lo=0,
                      min_size=5)
    if np.any(np.diff(ev) > 1e-12 * ev.max()):
        raise InputError("eigenvalues must be sorted in decreasing order")
    if window is None:
        window = (3, max(5, ev.size // 10))
    try:
        lo, hi = window
    except (TypeError, ValueError):
        raise InputError(f"window must be a pair of ranks (lo, hi), got {window!r}") from None
    lo = _v.integer("window lo", lo)
    hi = _v.integer("window hi", hi)
    if not 1 <= lo <= hi - 2 or hi > ev.size:
        raise InputError(f"rank window ({lo}, {hi}) must satisfy 1 <= lo <= hi - 2 (3 ranks or more) and "
                         f"hi <= {ev.size} (the number of eigenvalues)")
    zero = np.flatnonzero(ev[lo - 1:hi] <= 0)
    if zero.size:
        raise InputError(f"the eigenvalue of rank {lo + zero[0]} is 0 (numerical null space); choose a window "
                         f"ending below rank {lo + zero[0]}")
    # round-off floor of a symmetric eigensolver: |error| <~ n eps ||K||; eigenvalues below it are noise, and a
    # power law fitted to them is nonsense (200 identical points gave "alpha_K = 0.27" before this check)
    floor = ROUNDOFF_FACTOR * ev.size * np.finfo(float).eps * float(ev.max())
    noise = np.flatnonzero(ev[lo - 1:hi] <= floor)
    if noise.size:
        raise InputError(f"the eigenvalue of rank {lo + noise[0]} ({ev[lo - 1 + noise[0]]:.3g}) is at the round-off "
                         f"level (<= {floor:.2g} = {ROUNDOFF_FACTOR} n eps lambda_max): the spectrum has numerical "
                         f"rank {int(np.sum(ev > floor))}; fit a window of ranks above it")
    window = (lo, hi)
    rank = np.arange(1, ev.size + 1, dtype=float)
    fit = powerlaw_fit(rank, ev, window=window)
    return SpectrumFit(alpha_K=fit.exponent - 1.0, decay=fit.exponent, fit=fit, eigenvalues=ev)
