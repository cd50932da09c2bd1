"""Learning curves from a kernel spectrum (Bahri et al. 2021; eigenlearning).

Two models, one self-consistent equation.

**Kernel (ridge) regression** with a kernel of Mercer eigenvalues
``lambda_i`` (eigenfunctions orthonormal under the data measure), each with a
multiplicity ``m_i``, learning a target whose coefficient on *each single*
eigenfunction of eigenvalue ``lambda_i`` has mean square ``v_i^2`` (the
*target power per mode*), from ``n`` samples with ridge ``delta`` and label
noise variance ``eps^2``. The omniscient-risk / eigenlearning estimate
(Bordelon, Canatar & Pehlevan 2020; Canatar, Bordelon & Pehlevan 2021; Simon
et al. 2021, arXiv 2110.03922) is::

    n = sum_i m_i L_i + delta / kappa,      L_i = lambda_i / (lambda_i + kappa)
    E0 = n / (n - sum_i m_i L_i^2)
    test MSE = E0 * ( sum_i m_i (1 - L_i)^2 v_i^2 + eps^2 )

``kappa`` (the effective regulariser) is solved in ``log kappa`` with a
bracketing root finder (:func:`solve_kappa`); ``L_i`` is the *learnability*
of mode ``i``. The test MSE is measured against the noiseless target plus the
noise floor ``eps^2`` (the eigenlearning convention).

**Linear random-feature teacher-student model** (Bahri et al. 2021, Sec. 3):
``S`` features ``F(x)`` with covariance ``C`` of eigenvalues ``lambda_i``,
a teacher ``y = w . F(x)`` with ``w ~ N(0, I/S)``, and a student that fits
``theta . (W F(x))`` by (minimum-norm) least squares on ``D`` samples, with
``W`` a ``P x S`` projection. The isotropic teacher makes the target power
per mode ``v_i^2 = lambda_i / S`` (the *target-power assumption* of the
model: power proportional to the eigenvalue). For Gaussian features and a
Gaussian projection the loss averaged over teachers, data and projections
is symmetric in ``D <-> P`` and reads (exact, see
:func:`rf_teacher_student_loss`)::

    L(D, P) = g(m) * (M - 1) / (M - m - 1),   m = min(D, P), M = max(D, P)
    g(n)    = (1/S) sum_i m_i lambda_i kappa_n / (lambda_i + kappa_n)
            = kappa_n * n / S                  (n below the number of modes)

with ``kappa_n`` solving the ridgeless equation at ``n``; the factor
``(M-1)/(M-m-1)`` is the exact Gaussian least-squares (Wishart) variance
factor, and ``g`` is the deterministic-equivalent of the residual of the best
rank-``n`` random projection (equal to the ridgeless eigenlearning error at
``n`` samples).

**Exponent conventions** (the two that are easy to confuse):

* the *spectrum exponent* ``1 + alpha_K``: ``lambda_i ~ i^-(1 + alpha_K)``;
* the *loss exponents* ``alpha_D, alpha_P``: ``L ~ D^-alpha_D``,
  ``L ~ P^-alpha_P``.

With target power proportional to the eigenvalue (the isotropic teacher),
the resolution-limited loss exponents equal ``alpha_K`` (not
``1 + alpha_K``); the variance-limited ones are 1. Functions below take and
return *loss* exponents unless their name says ``spectrum``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from scalinglab._results import Result, new_axes
from scalinglab._util import check_positive

__all__ = ["powerlaw_spectrum", "solve_kappa", "EigenlearningCurve", "eigenlearning_curve", "RFLoss", "rf_residual", "rf_teacher_student_loss", "powerlaw_asymptote_constant"]


# --------------------------------------------------------------------------- spectra
def _check_spectrum(eigenvalues, multiplicities=None):
    lam = np.asarray(eigenvalues, dtype=float).ravel()
    if lam.size == 0:
        raise ValueError("the spectrum needs at least one eigenvalue")
    if not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError("eigenvalues must be finite and positive (drop the zero modes)")
    if multiplicities is None:
        mult = np.ones_like(lam)
    else:
        mult = np.asarray(multiplicities, dtype=float).ravel()
        if mult.shape != lam.shape:
            raise ValueError(f"multiplicities shape {mult.shape} != eigenvalues shape {lam.shape}")
        if np.any(mult <= 0) or not np.all(np.isfinite(mult)):
            raise ValueError("multiplicities must be finite and positive")
    return lam, mult


def powerlaw_spectrum(n_modes, alpha_K, scale=1.0):
    """Eigenvalues ``lambda_i = scale * i^-(1 + alpha_K)``, ``i = 1..n_modes``.

    Parameters
    ----------
    n_modes : int
        Number of modes ``S`` (the truncation).
    alpha_K : float
        Spectrum exponent minus one (> 0 for a trace-class kernel): the
        *loss* exponent in the resolution-limited regimes under the
        isotropic-teacher assumption.
    scale : float
        ``lambda_1``.
    """
    n_modes = int(n_modes)
    if n_modes < 1:
        raise ValueError("n_modes must be >= 1")
    check_positive("alpha_K", alpha_K)
    i = np.arange(1, n_modes + 1, dtype=float)
    return scale * np.exp(-(1.0 + alpha_K) * np.log(i))


# --------------------------------------------------------------------------- kappa
def _kappa_equation(t, loglam, mult, n, ridge):
    # sum m_i lambda_i/(lambda_i + kappa) + ridge/kappa - n, with kappa = exp(t)
    s = float(np.dot(mult, expit(loglam - t)))
    if ridge > 0:
        s += ridge * math.exp(-t) if t > -700 else math.inf
    return s - n


def solve_kappa(n, eigenvalues, multiplicities=None, ridge=0.0, rtol=1e-12):
    """Solve ``n = sum_i m_i lambda_i / (lambda_i + kappa) + ridge / kappa``.

    The left side decreases monotonically in ``kappa``; the root is found in
    ``t = log kappa`` with Brent's method inside a bracket grown in steps of
    ``e^4`` (no overflow: the terms are logistic functions of
    ``log lambda - t``).

    Parameters
    ----------
    n : float
        Number of samples (or, in the random-feature model, of projections).
    eigenvalues, multiplicities : array_like
        Distinct eigenvalues and how often each occurs (default 1).
    ridge : float
        Ridge ``delta >= 0`` (same units as the eigenvalues: the kernel
        matrix is regularised as ``K + delta I``).

    Returns
    -------
    float
        ``kappa >= 0``; 0 when ``ridge == 0`` and ``n`` reaches the number of
        modes (ridgeless interpolation learns every mode).
    """
    lam, mult = _check_spectrum(eigenvalues, multiplicities)
    n = check_positive("n", n)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    if ridge == 0 and n >= mult.sum() * (1 - 1e-12):
        return 0.0
    loglam = np.log(lam)
    args = (loglam, mult, n, ridge)
    lo = hi = float(np.median(loglam))
    for _ in range(400):
        if _kappa_equation(lo, *args) > 0:
            break
        lo -= 4.0
    else:  # pragma: no cover - guarded by the n < modes check above
        raise RuntimeError("could not bracket kappa from below")
    for _ in range(400):
        if _kappa_equation(hi, *args) < 0:
            break
        hi += 4.0
    else:  # pragma: no cover
        raise RuntimeError("could not bracket kappa from above")
    t = brentq(_kappa_equation, lo, hi, args=args, xtol=1e-14, rtol=rtol, maxiter=500)
    return math.exp(t)


# --------------------------------------------------------------------------- eigenlearning
@dataclass(frozen=True, repr=False)
class EigenlearningCurve(Result):
    """Eigenlearning / self-consistent learning curve of kernel regression.

    Attributes
    ----------
    n : numpy.ndarray
        Sample sizes.
    kappa : numpy.ndarray
        Effective regulariser at each ``n``.
    test_mse : numpy.ndarray
        Predicted test MSE ``E0 (sum m (1-L)^2 v^2 + noise)`` (includes the
        noise floor ``noise``).
    train_mse : numpy.ndarray
        Predicted train MSE ``(ridge / (n kappa))^2 test_mse`` (0 when ridgeless).
    e0 : numpy.ndarray
        Overfitting coefficient ``n / (n - sum m L^2)``.
    learned_fraction : numpy.ndarray
        ``sum m L v^2 / sum m v^2``: the fraction of target power learned.
    ridge, noise : float
        The ridge ``delta`` and label-noise variance ``eps^2`` used.
    method : str
        ``"eigenlearning"``.
    """

    n: np.ndarray
    kappa: np.ndarray
    test_mse: np.ndarray
    train_mse: np.ndarray
    e0: np.ndarray
    learned_fraction: np.ndarray
    ridge: float
    noise: float
    method: str = "eigenlearning"

    _repr_fields = ("n", "test_mse", "learned_fraction", "ridge", "noise")
    _reasons = {"test_mse": "+inf: ridgeless interpolation peak (n equals the number of modes)",
                "e0": "+inf: ridgeless interpolation peak (n equals the number of modes)",
                "train_mse": "+inf: interpolation peak",
                "learned_fraction": "the target has no power"}

    def _text(self):
        lines = [f"{self.method} learning curve of kernel ridge regression (ridge {self.ridge:g}, noise {self.noise:g}):",
                 f"{'n':>10} {'kappa':>12} {'test MSE':>12} {'learned':>8}"]
        lines += [f"{n:>10g} {k:>12.4g} {e:>12.4g} {f:>8.3f}" for n, k, e, f in
                  zip(self.n, self.kappa, self.test_mse, self.learned_fraction)]
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """Predicted test MSE against n on log-log axes. Returns the axes."""
        ax = new_axes(ax)
        kw.setdefault("label", "test MSE (eigenlearning)")
        ax.loglog(self.n, self.test_mse, **kw)
        ax.set_xlabel("training-set size n")
        ax.set_ylabel("test MSE")
        ax.legend(fontsize=8)
        return ax


def eigenlearning_curve(n, eigenvalues, target_powers, multiplicities=None, ridge=0.0, noise=0.0):
    """Self-consistent (eigenlearning) test error of kernel ridge regression.

    Parameters
    ----------
    n : float or array_like
        Training-set sizes (> 0).
    eigenvalues : array_like
        Distinct kernel eigenvalues ``lambda_i`` (> 0), under the data measure.
    target_powers : array_like
        Mean-square target coefficient ``v_i^2`` on *one* eigenfunction of
        eigenvalue ``lambda_i``; the total power in that eigenspace is
        ``m_i v_i^2``. (For the isotropic linear teacher of Bahri et al.
        ``v_i^2 = lambda_i / S``.)
    multiplicities : array_like, optional
        ``m_i`` (default 1).
    ridge : float
        Ridge ``delta`` (``K + delta I``), >= 0.
    noise : float
        Label-noise variance ``eps^2`` >= 0.

    Returns
    -------
    EigenlearningCurve
    """
    lam, mult = _check_spectrum(eigenvalues, multiplicities)
    v2 = np.asarray(target_powers, dtype=float).ravel()
    if v2.shape != lam.shape:
        raise ValueError(f"target_powers shape {v2.shape} != eigenvalues shape {lam.shape}")
    if np.any(v2 < 0) or not np.all(np.isfinite(v2)):
        raise ValueError("target_powers must be finite and >= 0")
    noise = check_positive("noise", noise, allow_zero=True)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    ns = np.atleast_1d(np.asarray(n, dtype=float))
    total = float(np.dot(mult, v2))
    out = {k: np.empty(ns.size) for k in ("kappa", "test", "train", "e0", "frac")}
    for j, nj in enumerate(ns):
        kappa = solve_kappa(nj, lam, mult, ridge)
        L = np.ones_like(lam) if kappa == 0 else expit(np.log(lam) - math.log(kappa))
        denom = nj - float(np.dot(mult, L * L))
        if denom <= 0:  # ridgeless with n == number of modes: the interpolation peak
            e0 = math.inf
        else:
            e0 = nj / denom
        err = float(np.dot(mult, (1 - L) ** 2 * v2)) + noise
        test = e0 * err if (err > 0 or not math.isinf(e0)) else 0.0
        out["kappa"][j] = kappa
        out["test"][j] = test
        out["train"][j] = 0.0 if kappa == 0 else (ridge / (nj * kappa)) ** 2 * test
        out["e0"][j] = e0
        out["frac"][j] = float(np.dot(mult, L * v2)) / total if total > 0 else float("nan")
    return EigenlearningCurve(n=ns, kappa=out["kappa"], test_mse=out["test"], train_mse=out["train"],
                         e0=out["e0"], learned_fraction=out["frac"], ridge=ridge, noise=noise)


# --------------------------------------------------------------------------- random features
def rf_residual(n, eigenvalues, multiplicities=None):
    """``g(n)``: teacher-averaged loss of the best student with ``n`` Gaussian
    projections (or the ridgeless interpolant of ``n`` samples).

    ``g(n) = (1/S) sum_i m_i lambda_i kappa / (lambda_i + kappa)`` with
    ``kappa`` the ridgeless solution at ``n`` and ``S = sum_i m_i``; zero for
    ``n >= S``. Target power per mode ``lambda_i / S`` (isotropic teacher).
    """
    lam, mult = _check_spectrum(eigenvalues, multiplicities)
    S = mult.sum()
    ns = np.atleast_1d(np.asarray(n, dtype=float))
    out = np.empty(ns.size)
    for j, nj in enumerate(ns):
        kappa = solve_kappa(nj, lam, mult, 0.0)
        out[j] = 0.0 if kappa == 0 else float(np.dot(mult, lam * expit(math.log(kappa) - np.log(lam)))) / S
    return out


@dataclass(frozen=True, repr=False)
class RFLoss(Result):
    """Teacher-student loss of the linear random-feature model.

    Attributes
    ----------
    D, P : numpy.ndarray
        Data-set sizes and numbers of student features (``inf`` = the limit).
    loss : numpy.ndarray
        ``L(D, P)`` averaged over teachers ``w ~ N(0, I/S)``, Gaussian data
        and Gaussian projections (``inf`` at the interpolation peak
        ``|D - P| <= 1``).
    loss_inf_data : numpy.ndarray
        ``L(inf, P) = g(P)``: the resolution-limited loss in ``P``.
    loss_inf_features : numpy.ndarray
        ``L(D, inf) = g(D)``: the resolution-limited loss in ``D``.
    n_modes : float
        ``S``, the number of teacher features.
    method : str
        How ``g`` was computed.
    """

    D: np.ndarray
    P: np.ndarray
    loss: np.ndarray
    loss_inf_data: np.ndarray
    loss_inf_features: np.ndarray
    n_modes: float
    method: str = "deterministic-equivalent g(n) x exact Gaussian least-squares factor (M-1)/(M-m-1)"

    _repr_fields = ("D", "P", "loss", "n_modes")
    _reasons = {"loss": "+inf: interpolation peak |D - P| <= 1",
                "D": "+inf: the limit of infinitely many data", "P": "+inf: the limit of infinitely many features"}

    def _text(self):
        lines = [f"linear RF teacher-student loss, S = {self.n_modes:g} teacher features ({self.method}):",
                 f"{'D':>10} {'P':>10} {'L(D,P)':>14}"]
        lines += [f"{d:>10g} {p:>10g} {v:>14.6g}" for d, p, v in zip(self.D, self.P, self.loss)]
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """``L(D, P)`` against D, one line per distinct P (log-log). Returns the axes."""
        ax = new_axes(ax)
        for p in np.unique(self.P):
            sel = self.P == p
            order = np.argsort(self.D[sel])
            ax.loglog(self.D[sel][order], self.loss[sel][order], "o-", ms=3, label=f"P = {p:g}", **kw)
        ax.set_xlabel("data-set size D")
        ax.set_ylabel("loss L(D, P)")
        ax.legend(fontsize=8)
        return ax


def rf_teacher_student_loss(D, P, eigenvalues, multiplicities=None):
    """Loss ``L(D, P)`` of the linear random-feature teacher-student model.

    Model (Bahri et al. 2021, Sec. 3, with Gaussian features): features
    ``F(x) ~ N(0, C)`` with ``C`` of eigenvalues ``lambda_i`` (multiplicities
    ``m_i``, ``S = sum m_i``), teacher ``w ~ N(0, I/S)`` (target power per
    mode ``lambda_i / S``), student ``theta . W F(x)`` with ``W`` a ``P x S``
    Gaussian matrix, fitted by minimum-norm least squares on ``D`` samples;
    the loss is the population MSE averaged over teachers, data and ``W``.

    The average is symmetric under ``D <-> P`` (the data matrix and the
    projection enter as ``Z C^1/2 W^T`` with ``Z``, ``W`` i.i.d. Gaussian),
    and for ``M >= m + 2`` (``m = min(D, P)``, ``M = max(D, P)``) the
    Gaussian least-squares identity gives exactly
    ``L = g(m) (M - 1) / (M - m - 1)``. ``g`` (see :func:`rf_residual`) is
    the deterministic equivalent, accurate when ``m >> 1``.

    Regimes (loss exponents): variance-limited ``L - L(inf) ~ M^-1``;
    resolution-limited ``g(m) ~ m^-alpha_K`` for
    ``lambda_i ~ i^-(1 + alpha_K)``, ``1 << m << S``.

    Parameters
    ----------
    D, P : float or array_like
        Sample sizes and feature counts (``numpy.inf`` allowed), broadcast
        against each other.
    eigenvalues, multiplicities : array_like
        Spectrum of the feature covariance ``C``.

    Returns
    -------
    RFLoss
    """
    lam, mult = _check_spectrum(eigenvalues, multiplicities)
    D_, P_ = np.broadcast_arrays(np.asarray(D, dtype=float), np.asarray(P, dtype=float))
    D_, P_ = D_.ravel(), P_.ravel()
    if np.any(~(D_ >= 1)) or np.any(~(P_ >= 1)):
        raise ValueError("D and P must be >= 1 (inf allowed)")
    S = float(mult.sum())
    m = np.minimum(D_, P_)
    M = np.maximum(D_, P_)
    cache = {}

    def g(x):
        if math.isinf(x):
            return 0.0
        if x not in cache:
            cache[x] = float(rf_residual(x, lam, mult)[0])
        return cache[x]

    loss = np.empty(D_.size)
    for j in range(D_.size):
        gm = g(m[j])
        if gm == 0.0:
            loss[j] = 0.0
        elif math.isinf(M[j]):
            loss[j] = gm
        elif M[j] - m[j] - 1 <= 0:
            loss[j] = math.inf
        else:
            loss[j] = gm * (M[j] - 1) / (M[j] - m[j] - 1)
    return RFLoss(D=D_, P=P_, loss=loss, loss_inf_data=np.array([g(p) for p in P_]),
                  loss_inf_features=np.array([g(d) for d in D_]), n_modes=S)


def powerlaw_asymptote_constant(alpha_K):
    """``c(alpha_K) = (pi/b) / sin(pi/b)``, ``b = 1 + alpha_K``.

    For ``lambda_i = i^-b`` and ``1 << n << S`` the ridgeless equation gives
    ``kappa_n ~ (n / c)^-b`` (``c = int_0^inf du / (1 + u^b)``), hence
    ``g(n) = kappa_n n / S ~ c^b n^-alpha_K / S``. Derived symbolically in
    :mod:`scalinglab.theory.spectral_symbolic`.
    """
    b = 1.0 + check_positive("alpha_K", alpha_K)
    return (math.pi / b) / math.sin(math.pi / b)


