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

from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh
from scipy.spatial.distance import cdist

from scalinglab._results import Result, new_axes, one_row
from scalinglab.theory.fitting import PowerLawFit, powerlaw_fit

__all__ = ["gram_matrix", "GramSpectrum", "gram_spectrum", "SpectrumFit", "fit_spectrum"]

_KERNELS = ("laplace", "rbf", "linear", "arccos1")


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
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    Y = X if Y is None else np.asarray(Y, dtype=float).reshape(-1, X.shape[1])
    if callable(kernel):
        return np.asarray(kernel(X, Y), dtype=float)
    if kernel not in _KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; use one of {_KERNELS} or a callable")
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
    if not bandwidth > 0:
        raise ValueError("bandwidth must be positive")
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
        return ax


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
        ``O(N^3)``).
    seed : int
        Subsampling seed.

    Returns
    -------
    GramSpectrum
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"X must be (N >= 2, D), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains non-finite values")
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
    """

    alpha_K: float
    decay: float
    fit: PowerLawFit

    _repr_fields = ("alpha_K", "decay", "fit")

    def _dict_data(self):
        return {"alpha_K": self.alpha_K, "decay": self.decay, **{f"fit_{k}": v for k, v in self.fit._dict_data().items()}}

    def _frame_data(self):
        return one_row(self._dict_data())

    def _text(self):
        f = self.fit
        return (f"fit lambda_i ~ i^-(1+alpha_K) over ranks {f.window[0]:g}..{f.window[1]:g} ({f.method}, "
                f"{f.n_points} points): decay {self.decay:.4f} (OLS s.e. {f.stderr:.2g}; eigenvalues are "
                f"correlated, so no confidence interval), alpha_K = {self.alpha_K:.4f}")


def fit_spectrum(eigenvalues, window=None):
    """Fit ``lambda_i ~ i^-(1 + alpha_K)`` over a rank window.

    Parameters
    ----------
    eigenvalues : array_like
        Descending eigenvalues (e.g. ``GramSpectrum.eigenvalues``).
    window : (int, int), optional
        Inclusive rank range (1-based). Default ``(3, N/10)``: skips the top
        (constant / low modes) and the noise-dominated tail.

    Returns
    -------
    SpectrumFit
    """
    ev = np.asarray(eigenvalues, dtype=float).ravel()
    if ev.size < 4:
        raise ValueError("need at least 4 eigenvalues to fit a power law")
    if np.any(np.diff(ev) > 1e-12 * ev.max()):
        raise ValueError("eigenvalues must be sorted in decreasing order")
    if window is None:
        window = (3, max(4, ev.size // 10))
    rank = np.arange(1, ev.size + 1, dtype=float)
    fit = powerlaw_fit(rank, ev, window=window)
    return SpectrumFit(alpha_K=fit.exponent - 1.0, decay=fit.exponent, fit=fit)
