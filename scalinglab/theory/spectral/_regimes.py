"""Scaling regimes: loss exponents of the variance- and resolution-limited regimes, manifold (4/d) bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gamma, gammaln  # noqa: F401

from scalinglab import _validation as _v
from scalinglab._results import Result
from scalinglab._util import check_positive

__all__ = ["RegimeExponents", "regime_exponents", "ResolutionBounds", "resolution_limited", "nn_distance_mean"]


def _dimension(d):
    d = check_positive("d", d)
    if not math.isfinite(4.0 / d):
        raise _v.InputError(f"d = {d!r} is too small: its exponents (4/d) overflow float64")
    return d


# --------------------------------------------------------------------------- exponents
@dataclass(frozen=True, repr=False)
class RegimeExponents(Result):
    """The four loss exponents of Bahri et al. (``L - L_inf ~ x^-exponent``).

    Attributes
    ----------
    variance_D, variance_P : float
        Variance-limited exponents (1: Taylor argument, any smooth loss).
    resolution_D, resolution_P : float
        Resolution-limited exponents ``alpha_D = alpha_P = alpha_K``.
    alpha_K : float
        Input: spectrum ``lambda_i ~ i^-(1 + alpha_K)``.
    assumption : str
        The target-power assumption behind the resolution-limited values.

    Examples
    --------
    >>> from scalinglab.theory.spectral import regime_exponents
    >>> ex = regime_exponents(0.5)
    >>> ex.variance_D, ex.variance_P, ex.resolution_D, ex.resolution_P
    (1.0, 1.0, 0.5, 0.5)
    """

    variance_D: float
    variance_P: float
    resolution_D: float
    resolution_P: float
    alpha_K: float
    assumption: str

    _repr_fields = ("alpha_K", "variance_D", "variance_P", "resolution_D", "resolution_P")

    def _text(self):
        return "\n".join([
            f"spectrum lambda_i ~ i^-(1 + alpha_K), alpha_K = {self.alpha_K:g}  (loss exponents, L ~ x^-a)",
            f"  variance-limited:   alpha_D = {self.variance_D:g}, alpha_P = {self.variance_P:g}",
            f"  resolution-limited: alpha_D = {self.resolution_D:g}, alpha_P = {self.resolution_P:g}",
            f"  assumption: {self.assumption}"])


def regime_exponents(alpha_K):
    """Loss exponents of the four regimes for ``lambda_i ~ i^-(1 + alpha_K)``.

    Takes the *spectrum* parameter ``alpha_K`` (eigenvalue decay exponent
    minus one) and returns *loss* exponents. Assumes target power per mode
    proportional to the eigenvalue (isotropic teacher); for a target power
    ``v_i^2 ~ i^-(1 + beta)`` the resolution-limited exponent becomes
    ``min(beta, 2 (1 + alpha_K))`` instead (not used here).

    Examples
    --------
    >>> from scalinglab.theory.spectral import regime_exponents
    >>> regime_exponents(1.5)
    RegimeExponents(alpha_K=1.5, variance_D=1, variance_P=1, resolution_D=1.5, resolution_P=1.5)
    """
    a = check_positive("alpha_K", alpha_K)
    return RegimeExponents(variance_D=1.0, variance_P=1.0, resolution_D=a, resolution_P=a, alpha_K=a,
                           assumption="target power per mode proportional to lambda_i (teacher w ~ N(0, I/S))")


@dataclass(frozen=True, repr=False)
class ResolutionBounds(Result):
    """Resolution-limited estimates on a ``d``-dimensional data manifold.

    Attributes
    ----------
    d : float
        Intrinsic dimension.
    nn_distance : float
        Exponent of the nearest-neighbour distance ``~ D^-1/d``.
    lipschitz_l1 : float
        Loss exponent bound ``1/d`` for an L1 (or any Lipschitz) loss with a
        Lipschitz interpolating model (Bahri et al. Theorems 2-3).
    mse_piecewise_linear : float
        ``4/d``: MSE of a model that is piecewise linear on cells of size
        ``D^-1/d`` (error ``~ h^2`` per point, squared).
    mse_piecewise_constant : float
        ``2/d``: MSE of a piecewise-constant (nearest-neighbour) model
        (error ``~ h``, squared).
    kernel_smoothness : float or None
        ``t/d`` when a kernel ``t`` times continuously differentiable is
        given: ``lambda_n <~ n^-(1 + t/d)``, so ``alpha_K >= t/d``.

    Examples
    --------
    >>> from scalinglab.theory.spectral import resolution_limited
    >>> b = resolution_limited(4)
    >>> b.nn_distance, b.lipschitz_l1, b.mse_piecewise_linear
    (0.25, 0.25, 1.0)
    """

    d: float
    nn_distance: float
    lipschitz_l1: float
    mse_piecewise_linear: float
    mse_piecewise_constant: float
    kernel_smoothness: float | None = None

    def _text(self):
        lines = [f"manifold of dimension d = {self.d:g}:",
                 f"  nearest-neighbour distance ~ D^-{self.nn_distance:.4g}; L1 bound exponent 1/d = "
                 f"{self.lipschitz_l1:.4g}",
                 f"  MSE estimate (piecewise-linear model) 4/d = {self.mse_piecewise_linear:.4g}; "
                 f"piecewise-constant 2/d = {self.mse_piecewise_constant:.4g}"]
        if self.kernel_smoothness is not None:
            lines.append(f"  kernel t = {self.kernel_smoothness * self.d:g} times differentiable: alpha_K >= t/d = "
                         f"{self.kernel_smoothness:.4g}")
        return "\n".join(lines)


def resolution_limited(d, smoothness=None):
    """Resolution-limited exponents on a manifold of intrinsic dimension ``d``.

    Parameters
    ----------
    d : float
        Intrinsic dimension (> 0).
    smoothness : float, optional
        Number ``t`` of continuous derivatives of the kernel.

    Returns
    -------
    ResolutionBounds
        Loss exponents: ``1/d`` (L1 bound), ``4/d`` (MSE, piecewise linear),
        ``2/d`` (MSE, piecewise constant), ``t/d``.

    Examples
    --------
    >>> from scalinglab.theory.spectral import resolution_limited
    >>> b = resolution_limited(8, smoothness=2)
    >>> b.mse_piecewise_linear, b.kernel_smoothness     # 4/d and t/d
    (0.5, 0.25)
    """
    d = _dimension(d)
    t = None if smoothness is None else check_positive("smoothness", smoothness, allow_zero=True) / d
    if t is not None and not math.isfinite(t):
        raise _v.InputError(f"smoothness/d = {smoothness:g}/{d:g} overflows float64")
    return ResolutionBounds(d=d, nn_distance=1.0 / d, lipschitz_l1=1.0 / d, mse_piecewise_linear=4.0 / d,
                            mse_piecewise_constant=2.0 / d, kernel_smoothness=t)


def nn_distance_mean(D, d, volume=1.0):
    """Mean nearest-neighbour distance among ``D`` uniform points in a
    ``d``-dimensional region of the given volume (bulk, large ``D``).

    ``E r = Gamma(1 + 1/d) (D V_d / volume)^-1/d`` with ``V_d`` the unit-ball
    volume: the ``D^-1/d`` resolution of the manifold argument.

    Examples
    --------
    >>> from scalinglab.theory.spectral import nn_distance_mean
    >>> round(float(nn_distance_mean(10_000, 2)), 6)   # Gamma(1 + 1/d) / (D V_d)^(1/d) = 1 / (2 sqrt(D)) in 2-d
    0.005
    """
    d = _dimension(d)
    volume = check_positive("volume", volume)
    shape = np.shape(D)
    D = _v.real_array("D", np.ravel(D), lo=0, lo_open=True, min_size=0).reshape(shape)
    # in log space: Gamma(1 + 1/d) and the power overflow separately for small d
    log_vd = (d / 2) * math.log(math.pi) - gammaln(d / 2 + 1)
    with np.errstate(divide="ignore"):
        log_r = gammaln(1 + 1 / d) - (np.log(D) + log_vd - math.log(volume)) / d
    if np.any(log_r > 709):
        raise _v.InputError(f"the mean nearest-neighbour distance overflows float64 for d = {d:g} (e^{log_r.max():.3g})")
    return np.exp(log_r)
