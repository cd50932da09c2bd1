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

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, set_title
from scalinglab._util import check_positive
from scalinglab.errors import InputError

__all__ = ["powerlaw_spectrum", "solve_kappa", "EigenlearningCurve", "eigenlearning_curve", "RFLoss", "rf_residual",
           "rf_teacher_student_loss", "powerlaw_asymptote_constant", "MAX_MODES", "MAX_SPECTRAL_WORK",
           "zero_mode_note"]

#: Largest number of modes of a spectrum (several float64 arrays of this length are held).
MAX_MODES = 10**7
#: Largest (sample sizes) x (modes) of one learning curve: each solve walks the modes ~100 times,
#: ~0.6 us per mode and sample size on one core, so ~20 s at the limit.
MAX_SPECTRAL_WORK = 3e7


# --------------------------------------------------------------------------- spectra
def _check_spectrum(eigenvalues, multiplicities=None):
    """Eigenvalues >= 0 (zero = an underflowed or null mode, never learned), at least one > 0."""
    lam = _v.real_array("eigenvalues", np.ravel(eigenvalues) if np.ndim(eigenvalues) else eigenvalues, lo=0,
                       max_size=MAX_MODES)
    if not np.any(lam > 0):
        raise InputError("eigenvalues must be finite and >= 0 with at least one > 0")
    if multiplicities is None:
        mult = np.ones_like(lam)
    else:
        mult = _v.real_array("multiplicities", np.ravel(multiplicities) if np.ndim(multiplicities) else
                            multiplicities, lo=0, lo_open=True)
        if mult.shape != lam.shape:
            raise InputError(f"multiplicities shape {mult.shape} != eigenvalues shape {lam.shape}")
    return lam, mult


def zero_mode_note(eigenvalues):
    """A sentence on the zero eigenvalues of a spectrum (None if there are none).

    Zero modes, typically eigenvalues that underflow float64 (below 5e-324,
    e.g. ``i**-101`` beyond ``i ~ 1600``), are kept as modes that are never
    learned (learnability 0) and still count in ``S``; their true eigenvalue
    is below the smallest float, so the error this makes in any loss is
    below ``S * 5e-324`` times the target power per mode.

    >>> zero_mode_note([1.0, 0.0, 0.0])
    '2 of the 3 eigenvalues are 0 (below the float64 range, 5e-324, when they come from a power law that underflows): they count as modes that are never learned'
    """
    lam = _v.as_floats("eigenvalues", eigenvalues)
    k = int(np.sum(lam == 0))
    if k == 0:
        return None
    return (f"{k} of the {lam.size} eigenvalues are 0 (below the float64 range, 5e-324, when they come from a "
            "power law that underflows): they count as modes that are never learned")


def powerlaw_spectrum(n_modes, alpha_K, scale=1.0):
    """Eigenvalues ``lambda_i = scale * i^-(1 + alpha_K)``, ``i = 1..n_modes``.

    Parameters
    ----------
    n_modes : int
        Number of modes ``S`` (the truncation), at most ``MAX_MODES``.
    alpha_K : float
        Spectrum exponent minus one (> 0 for a trace-class kernel): the
        *loss* exponent in the resolution-limited regimes under the
        isotropic-teacher assumption.
    scale : float
        ``lambda_1`` (> 0).

    Returns
    -------
    numpy.ndarray
        The eigenvalues; those below the float64 range are 0 (see
        :func:`zero_mode_note`: the learning curves treat them as never
        learned).

    >>> powerlaw_spectrum(3, 1.0).round(12).tolist()
    [1.0, 0.25, 0.111111111111]
    """
    n_modes = _v.integer("n_modes", n_modes, lo=1, hi=MAX_MODES)
    alpha_K = check_positive("alpha_K", alpha_K)
    scale = check_positive("scale", scale)
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
        modes with a positive eigenvalue (ridgeless interpolation learns
        every such mode).

    >>> solve_kappa(1.0, [1.0, 1.0])  # 2/(1 + kappa) = 1
    1.0
    """
    lam, mult = _check_spectrum(eigenvalues, multiplicities)
    n = check_positive("n", n)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    rtol = _v.real("rtol", rtol, lo=4e-16, hi=0.1)
    return _solve_kappa(n, lam, mult, ridge, rtol)


def _solve_kappa(n, lam, mult, ridge, rtol=1e-12):
    """:func:`solve_kappa` on checked arrays (zero modes never learned: they do not count in n)."""
    pos = lam > 0
    if ridge == 0 and n >= mult[pos].sum() * (1 - 1e-12):
        return 0.0
    with np.errstate(divide="ignore"):
        loglam = np.log(lam)
    args = (loglam, mult, n, ridge)
    lo = hi = float(np.median(loglam[pos]))
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
    if t > 709.0:
        raise InputError(f"n = {n:g} is too small: kappa = e^{t:.4g} overflows float64")
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
    n_modes : float
        Number of positive modes, with multiplicity (``sum m_i`` over ``lambda_i > 0``).
    exact_fit : numpy.ndarray of bool
        True where the ridgeless interpolant fits every mode (``ridge = 0`` and ``n >= n_modes``): the
        error there is exactly 0 without noise, which ``str`` (a ``note:`` line) and :meth:`to_dict`
        (``exact_fit_reason``) say.

    Examples
    --------
    >>> from scalinglab.theory.spectral import eigenlearning_curve, powerlaw_spectrum
    >>> lam = powerlaw_spectrum(1000, 1.0)          # lambda_i = i^-2, 1000 modes
    >>> curve = eigenlearning_curve([10, 100], lam, target_powers=lam)
    >>> curve.test_mse.round(5), curve.method
    (array([0.22189, 0.0224 ]), 'eigenlearning')
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
    n_modes: float = float("nan")
    exact_fit: np.ndarray | None = None

    _repr_fields = ("n", "test_mse", "learned_fraction", "ridge", "noise")
    def _exact_fit_note(self):
        if self.exact_fit is None or not np.any(self.exact_fit):
            return None
        head = (f"ridgeless with n at or above the {self.n_modes:g} positive modes, the interpolant learns every "
                "mode exactly (kappa = 0)")
        if self.noise == 0:
            return head + ", so the error is exactly 0 (no label noise)"
        return head + f"; what is left is the noise {self.noise:g} times E0 = n/(n - modes) (inf at n = modes)"

    def _notes(self):
        note = self._exact_fit_note()
        return super()._notes() + ([f"note: test_mse at n = "
                                    f"{', '.join(f'{x:g}' for x in self.n[self.exact_fit][:5])}"
                                    f"{', ...' if self.exact_fit.sum() > 5 else ''}: {note}"] if note else [])

    def to_dict(self):
        """Strict JSON (see :meth:`Result.to_dict`); with ``exact_fit`` set somewhere, ``exact_fit_reason`` says
        why the error is exactly 0 (or the noise alone) there."""
        d = super().to_dict()
        note = self._exact_fit_note()
        if note:
            d["exact_fit_reason"] = note
        return d
    _reasons = {"test_mse": "+inf: ridgeless interpolation peak (n equals the number of positive modes: "
                            "E0 = n/(n - sum m L^2) diverges)",
                "e0": "+inf: ridgeless interpolation peak (n equals the number of positive modes: "
                      "E0 = n/(n - sum m L^2) diverges)",
                "train_mse": "+inf: interpolation peak",
                "learned_fraction": "the target has no power (every target power is 0, e.g. underflowed)"}

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
        return set_title(ax, f"eigenlearning curve (ridge {self.ridge:g}, noise {self.noise:g})")


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
        ``test_mse`` and ``e0`` are inf at the ridgeless interpolation peak
        (``n`` equal to the number of positive modes and some target power
        unlearned: ``E0 = n / (n - sum m L^2)`` diverges);
        ``learned_fraction`` is nan when the target has no power at all.
        Without ridge, from ``n`` equal to the number of positive modes on
        every mode is learned exactly and the noiseless error is exactly 0:
        ``exact_fit`` marks those ``n`` and the result says so (a ``note:``
        line of ``str``, ``exact_fit_reason`` in :meth:`~EigenlearningCurve.to_dict`).

    >>> lc = eigenlearning_curve([1.0], [1.0, 1.0], [0.5, 0.5])
    >>> float(lc.kappa[0]), float(lc.test_mse[0])  # L = 1/2, E0 = 2, error 2 (1/4) (1/2)
    (1.0, 0.5)
    >>> lc = eigenlearning_curve([1.0, 3.0], [1.0, 1.0], [0.5, 0.5])   # 3 samples, 2 modes: an exact fit
    >>> lc.test_mse.tolist(), lc.exact_fit.tolist(), "exact_fit_reason" in lc.to_dict()
    ([0.5, 0.0], [False, True], True)
    """
    lam, mult = _check_spectrum(eigenvalues, multiplicities)
    v2 = _v.real_array("target_powers", np.ravel(target_powers) if np.ndim(target_powers) else target_powers, lo=0)
    if v2.shape != lam.shape:
        raise InputError(f"target_powers shape {v2.shape} != eigenvalues shape {lam.shape}")
    noise = check_positive("noise", noise, allow_zero=True)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    ns = _v.real_array("n", n, lo=0, lo_open=True)
    _work(ns.size, lam.size, "eigenlearning_curve")
    total = float(np.dot(mult, v2))
    with np.errstate(divide="ignore"):
        loglam = np.log(lam)
    out = {k: np.empty(ns.size) for k in ("kappa", "test", "train", "e0", "frac")}
    for j, nj in enumerate(ns):
        kappa = _solve_kappa(nj, lam, mult, ridge)
        L = (lam > 0).astype(float) if kappa == 0 else expit(loglam - math.log(kappa))
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
    n_modes = float(mult[lam > 0].sum())
    return EigenlearningCurve(n=ns, kappa=out["kappa"], test_mse=out["test"], train_mse=out["train"],
                         e0=out["e0"], learned_fraction=out["frac"], ridge=ridge, noise=noise, n_modes=n_modes,
                         exact_fit=(ridge == 0) & (ns >= n_modes))


# --------------------------------------------------------------------------- random features
def rf_residual(n, eigenvalues, multiplicities=None):
    """``g(n)``: teacher-averaged loss of the best student with ``n`` Gaussian
    projections (or the ridgeless interpolant of ``n`` samples).

    ``g(n) = (1/S) sum_i m_i lambda_i kappa / (lambda_i + kappa)`` with
    ``kappa`` the ridgeless solution at ``n`` and ``S = sum_i m_i``; zero for
    ``n >= S``. Target power per mode ``lambda_i / S`` (isotropic teacher).

    >>> rf_residual([1.0], [1.0, 1.0]).tolist()  # kappa = 1: (1/2) * 2 * 1/2
    [0.5]
    """
    lam, mult = _check_spectrum(eigenvalues, multiplicities)
    ns = _v.real_array("n", n, lo=0, lo_open=True)
    _work(ns.size, lam.size, "rf_residual")
    return _rf_residual(ns, lam, mult)


def _rf_residual(ns, lam, mult):
    S = mult.sum()
    with np.errstate(divide="ignore"):
        loglam = np.log(lam)
    out = np.empty(ns.size)
    for j, nj in enumerate(ns):
        kappa = _solve_kappa(nj, lam, mult, 0.0)
        out[j] = 0.0 if kappa == 0 else float(np.dot(mult, lam * expit(math.log(kappa) - loglam))) / S
    return out


def _work(n_values, n_modes, what):
    _v.size_limit(f"{what} ({n_values} sample sizes x {n_modes} modes)", float(n_values) * n_modes, MAX_SPECTRAL_WORK,
                 " mode evaluations", "fewer modes or sample sizes")


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

    Examples
    --------
    >>> from scalinglab.theory.spectral import powerlaw_spectrum, rf_teacher_student_loss
    >>> lam = powerlaw_spectrum(500, 0.5)
    >>> out = rf_teacher_student_loss([20, 80], [40, 40], lam)
    >>> out.loss.round(4)
    array([0.0028, 0.0018])
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
        return set_title(ax, f"random-feature loss L(D, P), {self.n_modes:g} modes")


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
        ``loss`` is inf at the interpolation peak ``|D - P| <= 1`` (the
        Gaussian least-squares variance ``(M-1)/(M-m-1)`` diverges).

    >>> round(float(rf_teacher_student_loss(10, float("inf"), [1.0] * 20).loss[0]), 12)  # kappa = 1: g = 10/20
    0.5
    """
    lam, mult = _check_spectrum(eigenvalues, multiplicities)
    D_ = _v.real_array("D", np.ravel(D) if np.ndim(D) else D, lo=1, allow_inf=True)
    P_ = _v.real_array("P", np.ravel(P) if np.ndim(P) else P, lo=1, allow_inf=True)
    try:
        D_, P_ = np.broadcast_arrays(D_, P_)
    except ValueError:
        raise InputError(f"D ({D_.size} values) and P ({P_.size} values) do not broadcast") from None
    D_, P_ = D_.ravel(), P_.ravel()
    _v.size_limit("the (D, P) grid", D_.size, 10**6, " points", "fewer D or P")
    S = float(mult.sum())
    m = np.minimum(D_, P_)
    M = np.maximum(D_, P_)
    distinct = np.unique(np.concatenate([D_, P_]))
    _work(int(np.sum(np.isfinite(distinct))), lam.size, "rf_teacher_student_loss")
    cache = {}

    def g(x):
        if math.isinf(x):
            return 0.0
        if x not in cache:
            cache[x] = float(_rf_residual(np.array([x]), lam, mult)[0])
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

    Examples
    --------
    >>> from scalinglab.theory.spectral import powerlaw_asymptote_constant
    >>> import math
    >>> round(powerlaw_asymptote_constant(1.0), 6), round(math.pi / 2, 6)     # b = 2: (pi/2)/sin(pi/2)
    (1.570796, 1.570796)
    """
    b = 1.0 + check_positive("alpha_K", alpha_K)
    if b > 1e15:  # (pi/b)/sin(pi/b) -> 1; the direct form is 0/0 in floats
        return 1.0
    return (math.pi / b) / math.sin(math.pi / b)


