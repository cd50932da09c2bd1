"""Power-law fits with explicit windows and methods, and bootstrap intervals.

Every fitted exponent in scalinglab goes through :func:`powerlaw_fit` (for
curves known exactly, e.g. a predicted spectrum) or :func:`bootstrap_powerlaw`
(for curves measured in experiments with several seeds), so that the window,
the fit method and the point weighting are always stated in the result.

Convention: a power law ``y = A x**(-exponent)``; the fitted *exponent* is the
decay exponent (positive for a decaying curve), ``slope = -exponent``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["PowerLawFit", "BootstrapFit", "powerlaw_fit", "bootstrap_powerlaw", "local_slope"]


@dataclass(frozen=True)
class PowerLawFit:
    """Result of a least-squares fit of ``log y = log A - exponent * log x``.

    Attributes
    ----------
    exponent : float
        Decay exponent (``-slope`` in log-log coordinates).
    prefactor : float
        ``A`` in ``y = A x**-exponent``.
    window : tuple of float
        Inclusive ``(x_lo, x_hi)`` range of the points used.
    method : str
        ``"ols-loglog"``: ordinary least squares of log y on log x.
    n_points : int
        Number of points inside the window that entered the fit.
    stderr : float
        Standard error of the slope from the OLS residuals (nan if n_points < 3).
    """

    exponent: float
    prefactor: float
    window: tuple
    method: str
    n_points: int
    stderr: float

    def predict(self, x):
        """Evaluate ``A x**-exponent``."""
        return self.prefactor * np.asarray(x, dtype=float) ** (-self.exponent)

    def to_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class BootstrapFit:
    """A power-law exponent fitted on experiment data, with a bootstrap interval.

    Attributes
    ----------
    fit : PowerLawFit
        Fit of the seed-averaged curve.
    ci : tuple of float
        Percentile bootstrap confidence interval ``(lo, hi)`` of the exponent.
    level : float
        Confidence level of ``ci`` (e.g. 0.95).
    n_boot : int
        Number of bootstrap resamples (seeds resampled with replacement at
        every x independently).
    samples : numpy.ndarray
        The bootstrap exponents (finite ones only).
    """

    fit: PowerLawFit
    ci: tuple
    level: float
    n_boot: int
    samples: np.ndarray = field(repr=False)

    @property
    def exponent(self):
        return self.fit.exponent

    def to_dict(self):
        d = {"exponent": self.fit.exponent, "ci_lo": self.ci[0], "ci_hi": self.ci[1],
             "level": self.level, "n_boot": self.n_boot}
        d.update({f"fit_{k}": v for k, v in self.fit.to_dict().items() if k != "exponent"})
        return d


def _window_mask(x, window):
    x = np.asarray(x, dtype=float)
    lo, hi = (-np.inf, np.inf) if window is None else window
    if lo is None:
        lo = -np.inf
    if hi is None:
        hi = np.inf
    if lo > hi:
        raise ValueError(f"window lower end {lo} exceeds upper end {hi}")
    return (x >= lo) & (x <= hi), (float(lo), float(hi))


def powerlaw_fit(x, y, window=None, weights=None):
    """Fit ``y = A x**-exponent`` by OLS in log-log coordinates over a window.

    Parameters
    ----------
    x, y : array_like
        Positive abscissae and ordinates. Points with ``y <= 0`` or non-finite
        values inside the window are an error (a log-log fit cannot use them
        silently).
    window : (float, float), optional
        Inclusive range of ``x`` to fit; ``None`` uses every point. Either end
        may be ``None`` for an open end.
    weights : array_like, optional
        Non-negative weights of the squared log residuals.

    Returns
    -------
    PowerLawFit

    Raises
    ------
    ValueError
        Fewer than two usable points in the window, non-positive values, or
        mismatched shapes.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-d arrays of equal length, got {x.shape} and {y.shape}")
    mask, win = _window_mask(x, window)
    xs, ys = x[mask], y[mask]
    if xs.size < 2:
        raise ValueError(f"need at least 2 points in window {win}, got {xs.size}")
    if np.any(~np.isfinite(xs)) or np.any(~np.isfinite(ys)) or np.any(xs <= 0) or np.any(ys <= 0):
        raise ValueError("power-law fit needs finite positive x and y inside the window")
    if np.unique(xs).size < 2:
        raise ValueError("need at least 2 distinct x values in the window")
    lx, ly = np.log(xs), np.log(ys)
    w = np.ones_like(lx) if weights is None else np.asarray(weights, dtype=float)[mask]
    if np.any(w < 0) or not np.any(w > 0):
        raise ValueError("weights must be non-negative and not all zero")
    sw = w.sum()
    mx, my = (w * lx).sum() / sw, (w * ly).sum() / sw
    sxx = (w * (lx - mx) ** 2).sum()
    slope = (w * (lx - mx) * (ly - my)).sum() / sxx
    intercept = my - slope * mx
    n = xs.size
    if n > 2:
        resid = ly - (intercept + slope * lx)
        s2 = (w * resid**2).sum() / sw * n / (n - 2)
        stderr = float(np.sqrt(s2 / (sxx / sw * n)))
    else:
        stderr = float("nan")
    return PowerLawFit(exponent=float(-slope), prefactor=float(np.exp(intercept)), window=win,
                       method="ols-loglog", n_points=int(n), stderr=stderr)


def bootstrap_powerlaw(x, y_samples, window=None, n_boot=1000, level=0.95, seed=0):
    """Fit a power law to a seed-averaged curve, with a bootstrap interval.

    Parameters
    ----------
    x : array_like, shape (n,)
        Positive abscissae (e.g. training-set sizes P).
    y_samples : sequence of array_like
        ``y_samples[i]`` holds the repeated measurements (seeds) at ``x[i]``;
        a 2-d array of shape ``(n, n_seeds)`` also works.
    window : (float, float), optional
        Inclusive fit window in ``x``.
    n_boot : int
        Number of bootstrap resamples; seeds are resampled with replacement at
        every ``x`` independently and the mean curve is refitted.
    level : float
        Confidence level of the percentile interval.
    seed : int
        Seed of the resampling generator.

    Returns
    -------
    BootstrapFit
    """
    x = np.asarray(x, dtype=float)
    ys = [np.asarray(v, dtype=float).ravel() for v in y_samples]
    if len(ys) != x.size:
        raise ValueError("y_samples must hold one group of measurements per x")
    if any(v.size == 0 for v in ys):
        raise ValueError("every x needs at least one measurement")
    if not 0 < level < 1:
        raise ValueError("level must lie in (0, 1)")
    mean = np.array([v.mean() for v in ys])
    fit = powerlaw_fit(x, mean, window=window)
    mask, _ = _window_mask(x, window)
    rng = np.random.default_rng(seed)
    out = np.empty(n_boot)
    idx = np.flatnonzero(mask)
    for b in range(n_boot):
        yb = mean.copy()
        for i in idx:
            v = ys[i]
            yb[i] = v[rng.integers(0, v.size, v.size)].mean()
        try:
            out[b] = powerlaw_fit(x, yb, window=window).exponent
        except ValueError:  # a resample with a zero mean error: no log
            out[b] = np.nan
    good = out[np.isfinite(out)]
    if good.size < max(10, n_boot // 2):
        ci = (float("nan"), float("nan"))
    else:
        a = (1 - level) / 2
        ci = (float(np.quantile(good, a)), float(np.quantile(good, 1 - a)))
    return BootstrapFit(fit=fit, ci=ci, level=level, n_boot=n_boot, samples=good)


def local_slope(x, y):
    """Local log-log slope ``d log y / d log x`` by centred differences.

    Parameters
    ----------
    x, y : array_like
        Positive, ``x`` strictly increasing.

    Returns
    -------
    numpy.ndarray
        Slopes at every point (one-sided at the ends).
    """
    lx, ly = np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float))
    if lx.size < 2:
        raise ValueError("need at least 2 points")
    return np.gradient(ly, lx)
