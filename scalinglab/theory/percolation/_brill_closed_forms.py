"""Brill's closed forms as he wrote them (arXiv 2412.07942 and his notebooks).

Written from his definitions (our code), with his symbols:

* Zipf exponent of the quanta ``alpha = (3 - tau)/(tau - 2)``; cluster ``k``
  (ranked by frequency) is drawn with frequency ``p_k ∝ k^-(1+alpha)``.
* A cluster learned with ``n`` degrees of freedom (DOF) has loss ``n^(-c/D)``
  (:func:`brill_single_cluster_loss`; independent of the cluster's size once
  ``n`` is counted in units of the cluster's own scale factor); an unlearned
  cluster has loss 1.
* **Model scaling.** The optimal allocation spends ``n_k = a k^(b-1)`` DOF on
  cluster ``k < k_br`` and nothing beyond, with
  ``b = 1 - (alpha + 1)/(c/D + 1) = (c/D - alpha)/(c/D + 1)``
  (:func:`brill_b`). The break ``k_br`` is where ``n_k`` falls to 1, which
  gives ``N = k_br (1 - k_br^-b)/b`` (:func:`brill_n_of_kbr`; ``k_br ln k_br``
  at ``b = 0``) and ``a = b N/(k_br^b - 1)`` (:func:`brill_nk`). Summing the
  continuum model, ``L(N) = (N/k_br + 1/alpha) k_br^-alpha``
  (:func:`brill_model_loss`), normalised to 1 at ``N = 1`` as in his plots.
* **Data scaling.** With ``D`` samples, cluster ``k`` is learned from
  ``D p_k`` samples where that exceeds 1, unlearned beyond. With
  ``aa = alpha/(1+alpha)`` and ``cD = c/D``:
  ``L(D) = A D^-aa + B D^-cD``, ``A = alpha^-(aa+1)/(1 - aa/cD)``,
  ``B = alpha^-(cD+1)/(1 - cD/aa)``; at ``cD = aa`` (his toy experiment:
  ``tau = 5/2``, ``c = 2``, ``D = 4``) the two terms merge into
  ``alpha^-(cD+1) D^-cD (1 + cD ln alpha + cD ln D)``
  (:func:`brill_data_loss`). Both branches are evaluated by one formula that
  is exact for every ``cD`` and stable across ``cD = aa``:
  ``L = alpha^-(aa+1) D^-aa [1 + aa g]``, ``g = -expm1(-x l)/x``,
  ``x = cD - aa``, ``l = ln(alpha D)`` (``g = l`` at ``x = 0``). His notebook
  switches branch on exact float equality, where the two-term form loses
  all digits as ``cD -> aa``; this one does not.

His curves are normalised to 1 at ``N = 1`` (``D = 1``) and clipped to 1
below. Figure-2 asymptotes as he drew them are in
:func:`brill_model_asymptotes` (with the exact ones beside them: his
``N^-c/D`` line uses ``alpha`` where the exact prefactor has
``alpha - c/D``). The checks -- sympy limits, the log-corrected case as the
limit of the general one, the stable form equal to both -- are in
:func:`brill_symbolic_checks`; the direct sums over discrete quanta whose sizes
come from the exact Bethe ``n_s`` are :func:`bethe_quanta` and
:func:`quanta_loss_sums`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from scalinglab._results import ItemAccess, Result, new_axes, set_title, strict_json
from scalinglab._validation import choice, flag, integer, positive, real, real_array, real_values, size_limit
from scalinglab._validation import seed as _seed
from scalinglab.errors import InputError

__all__ = [
    "brill_alpha",
    "brill_b",
    "brill_n_of_kbr",
    "brill_kbr",
    "brill_nk",
    "brill_model_loss",
    "brill_data_loss",
    "brill_single_cluster_loss",
    "brill_model_asymptotes",
    "brill_data_asymptotes",
    "brill_symbolic_checks",
    "BetheQuanta",
    "QuantaLossSums",
    "bethe_quanta",
    "quanta_loss_sums",
    "allocation_nk",
    "quanta_allocation_loss",
    "random_allocations",
]


def _pos(name, v):
    # exponents of a power law: beyond 1000 every power underflows or overflows double precision
    return real(name, v, lo=0.0, lo_open=True, hi=1000.0)


def brill_alpha(tau):
    """``alpha = (3 - tau)/(tau - 2)`` (``1`` at ``tau = 5/2``); needs ``2 < tau < 3``.

    >>> brill_alpha(2.5)
    1.0
    """
    tau = real("tau", tau)
    if not 2.0 < tau < 3.0:
        raise InputError(f"tau must lie in (2, 3), got {tau!r}")
    return (3.0 - tau) / (tau - 2.0)


def brill_b(alpha=1.0, c_over_D=0.5):
    """Allocation exponent ``b = 1 - (alpha + 1)/(c/D + 1)`` (``-1/3`` in his toy run).

    >>> round(brill_b(1.0, 0.5), 6)
    -0.333333
    """
    alpha = _pos("alpha", alpha)
    cd = _pos("c_over_D", c_over_D)
    return 1.0 - (alpha + 1.0) / (cd + 1.0)


def brill_n_of_kbr(kbr, b):
    """Total DOF ``N = k_br (1 - k_br^-b)/b`` of the allocation that ends at ``k_br``.

    ``k_br ln k_br`` at ``b = 0`` (the limit); increasing in ``k_br >= 1``
    for every ``b``, with ``N(1) = 0``.

    >>> round(float(brill_n_of_kbr(8.0, -1/3)), 6)
    24.0
    """
    k = real_values("kbr", kbr, keep_shape=True, lo=1.0)
    b = real("b", b, lo=-1000.0, hi=1000.0)
    lk = np.log(k)
    if b == 0.0:
        return k * lk
    # k (1 - k^-b)/b = -k expm1(-b ln k)/b: exact near b = 0 and k = 1
    return -k * np.expm1(-b * lk) / b


def brill_kbr(N, b):
    """Break rank ``k_br(N)``: the root of ``brill_n_of_kbr(k, b) = N`` (``k >= 1``).

    Solved by bisection in ``ln k`` to machine precision (his notebook
    interpolates on a grid of 50 points per decade; the two agree to ~1e-4).

    Parameters
    ----------
    N : array_like
        Total DOF, ``> 0``.
    b : float
        Allocation exponent (:func:`brill_b`).

    Returns
    -------
    numpy.ndarray
        ``k_br`` for each ``N``.

    >>> round(float(brill_kbr(24.0, -1/3)[0]), 9)
    8.0
    """
    N = real_values("N", N, lo=0.0, lo_open=True)
    b = real("b", b, lo=-1000.0, hi=1000.0)
    lo = np.zeros_like(N)
    hi = np.ones_like(N)
    while True:  # grow the bracket until N(e^hi) >= N
        short = brill_n_of_kbr(np.exp(hi), b) < N
        if not np.any(short):
            break
        hi = np.where(short, 2 * hi, hi)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        below = brill_n_of_kbr(np.exp(mid), b) < N
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
        if np.all(hi - lo <= 1e-15 * np.maximum(1.0, hi)):
            break
    return np.exp(0.5 * (lo + hi))


def brill_nk(N, k, alpha=1.0, c_over_D=0.5):
    """His allocation: ``n_k = a k^(b-1)`` for ``k < k_br(N)``, 0 beyond (and 0 for ``N < 1``).

    Parameters
    ----------
    N : float or array_like
        Total DOF; broadcast against ``k`` (e.g. ``N[:, None]`` and ``k[None, :]``).
    k : array_like
        Cluster ranks (1 = most frequent).
    alpha, c_over_D : float
        Zipf exponent and ``c/D``.

    Returns
    -------
    numpy.ndarray
        ``n_k``; the continuum model spends exactly ``N`` (``∫_1^k_br a k^(b-1) dk = N``).

    >>> n = brill_nk(24.0, np.arange(1, 10))
    >>> round(float(n[0]), 6), float(n[-1])
    (16.0, 0.0)
    """
    b = brill_b(alpha, c_over_D)
    N = real_values("N", N, keep_shape=True, lo=0.0)
    k = real_values("k", k, keep_shape=True, lo=1.0)  # ranks start at 1
    try:
        Nb, kb = np.broadcast_arrays(N, k)
    except ValueError:
        raise InputError(f"N (shape {N.shape}) and k (shape {k.shape}) do not broadcast together") from None
    out = np.zeros(Nb.shape)
    ok = Nb >= 1
    if np.any(ok):
        kbr = brill_kbr(Nb[ok], b)
        if b == 0.0:
            a = Nb[ok] / np.log(kbr)
        else:
            a = b * Nb[ok] / np.expm1(b * np.log(kbr))
        nk = a * kb[ok] ** (b - 1.0)
        out[ok] = np.where(kb[ok] < kbr, nk, 0.0)
    return out


def _model_raw(N, alpha, b):
    kbr = brill_kbr(N, b)
    return (N / kbr + 1.0 / alpha) * kbr ** (-alpha)


def brill_model_loss(N, alpha=1.0, c_over_D=0.5, normalise=True):
    """Model-scaling loss ``L(N) = (N/k_br + 1/alpha) k_br^-alpha`` with ``k_br = k_br(N)``.

    Parameters
    ----------
    N : array_like
        Model DOF (``> 0``).
    alpha, c_over_D : float
        Zipf exponent and ``c/D``.
    normalise : bool
        Divide by the value at ``N = 1`` and return 1 for ``N <= 1``, as his
        experiment plots do (his Fig. 2 draws the raw form).

    Returns
    -------
    numpy.ndarray

    >>> round(float(brill_model_loss(1e4)[0]), 4)
    0.0478
    """
    alpha = _pos("alpha", alpha)
    b = brill_b(alpha, c_over_D)
    N = real_values("N", N, lo=0.0, lo_open=True)
    normalise = flag("normalise", normalise)
    raw = _model_raw(N, alpha, b)
    if not normalise:
        return raw
    return np.where(N > 1, raw / _model_raw(np.array([1.0]), alpha, b)[0], 1.0)


def _data_raw(Dn, alpha, cd):
    aa = alpha / (1.0 + alpha)
    x = cd - aa
    ell = np.log(alpha) + np.log(Dn)
    if x == 0.0:
        g = ell
    else:
        g = -np.expm1(-x * ell) / x
    return alpha ** (-(aa + 1.0)) * Dn ** (-aa) * (1.0 + aa * g)


def brill_data_loss(D, alpha=1.0, c_over_D=0.5, normalise=True, form="stable"):
    """Data-scaling loss ``L(D) = A D^-aa + B D^-cD`` (log-corrected at ``cD = aa``).

    Parameters
    ----------
    D : array_like
        Number of samples (``> 0``).
    alpha, c_over_D : float
        Zipf exponent and ``c/D``.
    normalise : bool
        Divide by the value at ``D = 1`` and return 1 for ``D <= 1`` (his plots).
    form : {"stable", "brill"}
        ``"stable"``: the single expression of the module docstring, exact for
        every ``cD``; ``"brill"``: his two branches (two-term sum, or the log
        form on exact equality ``cD == aa``), for comparison.

    Returns
    -------
    numpy.ndarray

    >>> round(float(brill_data_loss(1e4)[0]), 4)
    0.0561
    """
    alpha = _pos("alpha", alpha)
    cd = _pos("c_over_D", c_over_D)
    Dn = real_values("D", D, lo=0.0, lo_open=True)
    normalise = flag("normalise", normalise)
    form = choice("form", form, ("stable", "brill"))
    aa = alpha / (1.0 + alpha)
    if form == "stable":
        raw = _data_raw(Dn, alpha, cd)
        norm = _data_raw(np.array([1.0]), alpha, cd)[0]
    elif form == "brill":
        if cd == aa:
            raw = alpha ** (-(cd + 1)) * (1 + cd * np.log(alpha) + cd * np.log(Dn)) * Dn ** (-cd)
            norm = alpha ** (-(cd + 1)) * (1 + cd * np.log(alpha))
        else:
            A = alpha ** (-(aa + 1)) / (1 - aa / cd)
            B = alpha ** (-(cd + 1)) / (1 - cd / aa)
            raw = A * Dn ** (-aa) + B * Dn ** (-cd)
            norm = A + B
    else:
        raise InputError(f"form must be 'stable' or 'brill', got {form!r}")
    if not normalise:
        return raw
    return np.where(Dn > 1, raw / norm, 1.0)


def brill_single_cluster_loss(n, c_over_D=0.5):
    """Loss of one cluster learned with ``n`` DOF: ``max(n, 1)^(-c/D)`` (independent of its size).

    >>> float(brill_single_cluster_loss(100.0)[0])
    0.1
    """
    cd = _pos("c_over_D", c_over_D)
    n = real_values("n", n, lo=0.0)
    return np.maximum(n, 1.0) ** (-cd)


def brill_model_asymptotes(N, alpha=1.0, c_over_D=0.5):
    """Large-``N`` lines of the raw :func:`brill_model_loss` (his Fig. 2 dotted lines and the exact ones).

    Returns
    -------
    dict of numpy.ndarray
        ``"brill_quanta"``: ``(1 + 1/alpha) N^-alpha`` and
        ``"brill_manifold"``: ``(alpha/(cD+1))^-(cD+1) N^-cD``, as drawn in his
        Fig. 2; ``"exact"``: the true asymptote of the raw curve,
        ``(1/b + 1/alpha) b^-alpha N^-alpha`` for ``b > 0`` (``cD > alpha``) and
        ``(-b)^-(cD+1) N^-cD`` for ``b < 0`` (his dotted lines are their
        ``cD -> inf`` and ``cD -> 0`` limits).

    Examples
    --------
    >>> from scalinglab.theory.percolation import brill_model_asymptotes
    >>> lines = brill_model_asymptotes([1e3, 1e4], alpha=1.0, c_over_D=0.5)
    >>> sorted(lines)
    ['brill_manifold', 'brill_quanta', 'exact']
    """
    alpha = _pos("alpha", alpha)
    cd = _pos("c_over_D", c_over_D)
    b = brill_b(alpha, cd)
    N = real_values("N", N, lo=0.0, lo_open=True)
    out = {"brill_quanta": (1 + 1 / alpha) * N ** (-alpha),
           "brill_manifold": (alpha / (cd + 1)) ** (-(cd + 1)) * N ** (-cd)}
    if b > 0:
        out["exact"] = (1 / b + 1 / alpha) * b ** (-alpha) * N ** (-alpha)
    elif b < 0:
        out["exact"] = (-b) ** (-(cd + 1)) * N ** (-cd)
    else:
        out["exact"] = np.full_like(N, np.nan)  # b = 0: N^-alpha times a power of log N
        out["exact_reason"] = "b = 0 (c/D = alpha): the asymptote is N^-alpha times a power of log N, no pure line"
    return out


def brill_data_asymptotes(D, alpha=1.0, c_over_D=0.5):
    """His Fig. 3 dotted lines ``A D^-aa`` and ``B D^-cD`` (the two terms of :func:`brill_data_loss`).

    Undefined (nan) at ``cD = aa``, where the two terms merge into the log form; the dict then
    says so in ``"quanta_reason"`` and ``"manifold_reason"`` (the strict-JSON ``<key>_reason`` convention).

    Examples
    --------
    >>> from scalinglab.theory.percolation import brill_data_asymptotes
    >>> lines = brill_data_asymptotes([1e3, 1e4], alpha=1.0, c_over_D=0.3)
    >>> sorted(lines)
    ['manifold', 'quanta']
    >>> brill_data_asymptotes([1e3], alpha=1.0, c_over_D=0.5)["quanta_reason"]   # c/D = alpha/(1+alpha)
    'c/D = alpha/(1+alpha): the two terms merge into the log form (no separate lines)'
    """
    alpha = _pos("alpha", alpha)
    cd = _pos("c_over_D", c_over_D)
    aa = alpha / (1 + alpha)
    D = real_values("D", D, lo=0.0, lo_open=True)
    if cd == aa:
        why = "c/D = alpha/(1+alpha): the two terms merge into the log form (no separate lines)"
        return {"quanta": np.full_like(D, np.nan), "manifold": np.full_like(D, np.nan),
                "quanta_reason": why, "manifold_reason": why}
    A = alpha ** (-(aa + 1)) / (1 - aa / cd)
    B = alpha ** (-(cd + 1)) / (1 - cd / aa)
    return {"quanta": A * D ** (-aa), "manifold": B * D ** (-cd)}


def brill_symbolic_checks(cases=((1, "1/2"), (1, "1/10"), (1, 20), ("3/2", "7/3"))):
    """Derive and check his closed forms with sympy; returns a dict of booleans (all ``True``).

    For each ``(alpha, c/D)`` in ``cases`` (rationals; the integrals are done
    with symbolic ``k_br`` and ``D``):

    * ``b`` is the Lagrange optimum: minimising ``sum_k k^-(1+alpha) n_k^-cD``
      at fixed ``sum n_k`` gives ``n_k ∝ k^(b-1)`` (symbolic ``alpha``, ``cD``);
    * the continuum sums ``∫_1^k_br a k^(b-1) dk`` (with ``n_k_br = 1``) and
      ``∫_1^k_br k^-(1+alpha) n_k^-cD dk + ∫_k_br^∞ k^-(1+alpha) dk`` equal
      ``N(k_br)`` and ``L(N)`` as he wrote them;
    * the data-scaling sum with the break ``D p_k = 1`` (``p_k = alpha k^-(1+alpha)``)
      equals ``alpha (A D^-aa + B D^-cD)``;
    * the log form is the limit ``cD -> aa`` of the general one (symbolic ``cD``),
      and the stable form of :func:`brill_data_loss` equals the general one;
    * ``N(k_br) -> k_br ln k_br`` as ``b -> 0``; the exact prefactors of
      :func:`brill_model_asymptotes` are the limits of ``L N^alpha`` (``b > 0``)
      and ``L N^cD`` (``b < 0``).

    Examples
    --------
    >>> from scalinglab.theory.percolation import brill_symbolic_checks
    >>> checks = brill_symbolic_checks(cases=((1, "1/2"),))
    >>> all(checks.values())
    True
    """
    import sympy as sp

    try:
        cases = [(sp.Rational(a), sp.Rational(c)) for a, c in cases]
    except (TypeError, ValueError, sp.SympifyError):
        raise InputError(f"cases must be pairs (alpha, c/D) of rationals, e.g. ((1, '1/2'),), got {cases!r}") from None
    if not cases or any(not (a > 0 and c > 0) for a, c in cases):
        raise InputError("cases must hold at least one pair (alpha, c/D), both positive")
    k, K, D, lam, n = sp.symbols("k k_br D lambda n", positive=True)
    al_s, cd_s = sp.symbols("alpha cD", positive=True)
    out = {}
    b_s = 1 - (al_s + 1) / (cd_s + 1)
    sol = sp.solve(sp.diff(k ** (-(1 + al_s)) * n ** (-cd_s) + lam * n, n), n)[0]
    out["b_is_lagrange_optimum"] = sp.simplify(sp.diff(sp.log(sol), k) * k - (b_s - 1)) == 0
    ok = {"N_of_kbr": True, "model_loss": True, "data_loss": True, "stable_equals_general": True,
          "asymptote": True}
    for al, cd in cases:
        al, cd = sp.Rational(al), sp.Rational(cd)
        b = 1 - (al + 1) / (cd + 1)
        aa = al / (1 + al)
        nk = K ** (1 - b) * k ** (b - 1)  # n_{k_br} = 1
        Nk = sp.integrate(nk, (k, 1, K))
        Nform = K * (1 - K ** (-b)) / b
        ok["N_of_kbr"] &= sp.simplify(Nk - Nform) == 0
        learned = sp.integrate(sp.powsimp(k ** (-(1 + al)) * nk ** (-cd), force=True), (k, 1, K))
        tail = sp.integrate(k ** (-(1 + al)), (k, K, sp.oo))
        L = (Nform / K + 1 / al) * K ** (-al)
        ok["model_loss"] &= sp.simplify(learned + tail - L) == 0
        kD = (al * D) ** (1 / (1 + al))
        pk = al * k ** (-(1 + al))
        dl = sp.integrate(sp.powsimp(pk * (D * pk) ** (-cd), force=True), (k, 1, kD))
        dt = sp.integrate(pk, (k, kD, sp.oo))
        if cd == aa:  # his toy value: the log-corrected form
            general = al ** (-(aa + 1)) * (1 + aa * sp.log(al) + aa * sp.log(D)) * D ** (-aa)
        else:
            A = al ** (-(aa + 1)) / (1 - aa / cd)
            B = al ** (-(cd + 1)) / (1 - cd / aa)
            general = A * D ** (-aa) + B * D ** (-cd)
        ok["data_loss"] &= all(abs(float((dl + dt - al * general).subs(D, dv))) < 1e-9 * float(dt.subs(D, dv))
                               for dv in (3, 1234, 10**7))
        x = cd - aa
        g = sp.log(al * D) if x == 0 else (1 - sp.exp(-x * sp.log(al * D))) / x
        stable = al ** (-(aa + 1)) * D ** (-aa) * (1 + aa * g)
        ok["stable_equals_general"] &= all(abs(float((stable - general).subs(D, dv))) < 1e-12 for dv in (3, 1234))
        if b > 0:
            val = sp.limit(L * Nform ** al, K, sp.oo)
            ok["asymptote"] &= sp.simplify(val - (1 / b + 1 / al) * b ** (-al)) == 0
        else:
            val = sp.limit(L * Nform ** cd, K, sp.oo)
            ok["asymptote"] &= sp.simplify(val - (-b) ** (-(cd + 1))) == 0
    out.update(ok)
    # log-corrected form = limit cD -> aa of the general one (symbolic cD and D)
    lim_ok = True
    for al in (sp.Integer(1), sp.Rational(3, 2)):
        aa = al / (1 + al)
        A = al ** (-(aa + 1)) / (1 - aa / cd_s)
        B = al ** (-(cd_s + 1)) / (1 - cd_s / aa)
        lim = sp.limit(A * D ** (-aa) + B * D ** (-cd_s), cd_s, aa)
        logform = al ** (-(aa + 1)) * (1 + aa * sp.log(al) + aa * sp.log(D)) * D ** (-aa)
        lim_ok &= sp.simplify(sp.expand_log(lim - logform, force=True)) == 0
    out["log_form_is_limit"] = lim_ok
    bb = sp.Symbol("b")
    out["N_b_to_0"] = sp.simplify(sp.limit(K * (1 - K ** (-bb)) / bb, bb, 0) - K * sp.log(K)) == 0
    return {key: bool(v) for key, v in out.items()}


# --------------------------------------------------------------------------- discrete quanta from exact n_s
@dataclass(frozen=True, repr=False)
class BetheQuanta(Result):
    """Expected rank-ordered cluster sizes of ``n_clusters`` size-biased Bethe clusters.

    Attributes
    ----------
    sizes : numpy.ndarray
        ``s_k``, ``k = 1..n_clusters``: the ``(k - 1/2)/n_clusters`` upper
        quantile of the size-biased law ``s n_s/p`` restricted to
        ``[s_min, s_max]`` (exact ``n_s``).
    freqs : numpy.ndarray
        ``p_k = s_k / sum s`` (a site drawn uniformly lies in cluster ``k``).
    z, p, s_min, s_max, n_clusters : numbers
        The settings.

    Examples
    --------
    >>> from scalinglab.theory.percolation import bethe_quanta
    >>> q = bethe_quanta(100, z=3, p=0.45, s_min=1, s_max=10**6)
    >>> q.sizes[:3].round(1), round(float(q.freqs.sum()), 6)
    (array([175.6, 114.1,  89.1]), 1.0)
    """

    sizes: np.ndarray
    freqs: np.ndarray
    z: int
    p: float
    s_min: int
    s_max: int
    n_clusters: int

    _repr_fields = ("n_clusters", "z", "p", "s_min", "s_max", "sizes")

    def _frame_data(self):
        return {"rank": np.arange(1, self.sizes.size + 1), "size": self.sizes, "freq": self.freqs}

    def _text(self):
        head = ", ".join(f"{s:.4g}" for s in self.sizes[:5])
        return (f"{self.n_clusters} expected cluster sizes (size-biased Bethe clusters, z={self.z}, p={self.p:.6g}, "
                f"window [{self.s_min}, {self.s_max:g}]): {head}{', ...' if self.sizes.size > 5 else ''} "
                f"down to {self.sizes[-1]:.4g}")

    def plot(self, ax=None, **kw):
        """Quanta frequencies ``p_k`` against rank ``k`` on log-log axes (the Zipf plot of the quanta). Returns
        the axes."""
        ax = new_axes(ax)
        kw.setdefault("label", f"z={self.z}, p={self.p:.4g}")
        ax.loglog(np.arange(1, self.freqs.size + 1), self.freqs, drawstyle="steps-mid", **kw)
        ax.set_xlabel("rank k of the cluster (by size)")
        ax.set_ylabel("frequency p_k = s_k / Σ s")
        ax.legend(fontsize=8)
        return set_title(ax, f"{self.n_clusters} quanta from the exact Bethe n_s")


@dataclass(frozen=True, repr=False)
class QuantaLossSums(ItemAccess, Result):
    """His loss model summed over discrete quanta (:func:`quanta_loss_sums`).

    Attributes
    ----------
    N, D : numpy.ndarray or None
        Model sizes (degrees of freedom) and data sizes at which the sums were taken.
    model, data : numpy.ndarray or None
        ``L(N)`` and ``L(D)`` (None where not asked for).
    c_over_D, alpha : float
        The loss exponent and the Zipf exponent fixing his allocation.
    n_quanta : int

    Reads also like the dict it replaced (``out["model"]``; the keys are those of the curves computed).

    Examples
    --------
    >>> from scalinglab.theory.percolation import bethe_quanta, quanta_loss_sums
    >>> out = quanta_loss_sums(bethe_quanta(100, z=3, p=0.45, s_min=1, s_max=10**6).freqs, N=[10, 100])
    >>> out.model.round(4), out.to_frame().columns.tolist()
    (array([0.8657, 0.6323]), ['N', 'model'])
    """

    N: np.ndarray | None
    D: np.ndarray | None
    model: np.ndarray | None
    data: np.ndarray | None
    c_over_D: float
    alpha: float
    n_quanta: int

    _repr_fields = ("N", "model", "D", "data", "c_over_D", "alpha", "n_quanta")

    def _items(self):
        return {k: v for k, v in (("model", self.model), ("data", self.data)) if v is not None}

    def to_dict(self):
        return strict_json({k: v for k, v in self._dict_data().items() if v is not None})

    def _frame_data(self):
        if self.model is not None and self.data is not None and not np.array_equal(self.N, self.D):
            raise ValueError("N and D differ: take to_frame() of one curve, e.g. pd.DataFrame({'N': r.N, "
                             "'model': r.model})")
        out = {}
        if self.model is not None:
            out.update(N=self.N, model=self.model)
        if self.data is not None:
            out.update(D=self.D, data=self.data)
        return out

    def _text(self):
        lines = [f"loss model summed over {self.n_quanta} quanta (c/D = {self.c_over_D:g}, alpha = {self.alpha:g})"]
        for name, x, y in (("N", self.N, self.model), ("D", self.D, self.data)):
            if y is not None:
                lines.append(f"  L({name}): " + ", ".join(f"{a:g}: {b:.5g}" for a, b in zip(x, y)))
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """The computed curves ``L(N)`` and ``L(D)`` on log-log axes. Returns the axes."""
        ax = new_axes(ax)
        if self.model is not None:
            ax.loglog(self.N, self.model, label="L(N): model size", **kw)
        if self.data is not None:
            ax.loglog(self.D, self.data, "--", label="L(D): data size", **kw)
        ax.set_xlabel("N (degrees of freedom) or D (data)")
        ax.set_ylabel("loss (normalised)")
        ax.legend(fontsize=8)
        return set_title(ax, f"loss model over {self.n_quanta} discrete quanta")



def _sb_tail(grid, p, z, s_max, s_exact=100_000):
    """``sum_{s <= t <= s_max} s n_s/p`` at the (ascending) sizes ``grid``.

    Term by term up to ``s_exact``; beyond, the integral of the exact summand
    between consecutive nodes (Gauss-Legendre, 16 points, in ``log s``) with the
    Euler-Maclaurin end terms, accumulated from ``s_max`` downwards.
    """
    from scalinglab.theory.percolation._bethe import size_biased_pmf

    grid = np.asarray(grid, dtype=float)
    s_exact = int(min(s_exact, s_max))
    s = np.arange(1, s_exact + 1, dtype=float)
    w = size_biased_pmf(s, p, z)
    tail_head = np.cumsum(w[::-1])[::-1]  # sum_{t >= s}^{s_exact}
    # nodes from s_exact to s_max: the grid points beyond s_exact, refined to <= 5 % steps
    far_pts = grid[grid > s_exact]
    knots = np.unique(np.concatenate([[float(s_exact), float(s_max)], far_pts,
                                      np.geomspace(s_exact, s_max, max(2, int(np.log(s_max / s_exact) / 0.05)))]))
    x, wq = np.polynomial.legendre.leggauss(16)
    lo, hi = np.log(knots[:-1]), np.log(knots[1:])
    u = 0.5 * (hi - lo)[:, None] * x[None, :] + 0.5 * (hi + lo)[:, None]
    seg = 0.5 * (hi - lo) * (size_biased_pmf(np.exp(u), p, z) * np.exp(u) * wq[None, :]).sum(axis=1)
    integ_from = np.concatenate([np.cumsum(seg[::-1])[::-1], [0.0]])  # int_{knot_i}^{s_max}
    fk = size_biased_pmf(knots, p, z)
    f_max = fk[-1]
    # sum_{t = k}^{s_max} f(t) ~ int_k^{s_max} f + (f(k) + f(s_max))/2
    sum_from = integ_from + 0.5 * (fk + f_max)
    far_total = sum_from[0] - fk[0]  # sizes in (s_exact, s_max]
    out = np.empty(grid.size)
    near = grid <= s_exact
    out[near] = tail_head[grid[near].astype(np.int64) - 1] + far_total
    idx = np.searchsorted(knots, grid[~near])
    out[~near] = sum_from[idx]
    return out


def bethe_quanta(n_clusters=316, z=200, p=None, s_min=300, s_max=30_000_000):
    """Rank-ordered expected cluster sizes (and frequencies) from the exact Bethe ``n_s``.

    His toy data set is ``n_clusters`` clusters grown from random seeds (size
    law ``s n_s/p``) and kept when ``s_min <= s <= s_max``. This returns the
    quantile sizes ``s_k`` (see :class:`BetheQuanta`), computed from the exact
    ``n_s`` in log space (sum term by term up to 10^5, Euler-Maclaurin with
    Gauss-Legendre beyond), inverted by interpolation in log-log on a
    2000-point grid.

    Parameters
    ----------
    n_clusters : int
        Number of clusters kept (his 316).
    z : int
        Coordination number (his 200).
    p : float, optional
        Occupation probability; default ``p_c = 1/(z-1)``.
    s_min, s_max : int
        Size window (his 300 and 3e7).

    Returns
    -------
    BetheQuanta

    >>> q = bethe_quanta(316)
    >>> int(q.sizes[0]) > 10**6, int(q.sizes[-1]) >= 300
    (True, True)
    """
    z = integer("z", z, lo=3, hi=10**6)
    p = 1.0 / (z - 1) if p is None else real("p", p, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    n_clusters = integer("n_clusters", n_clusters, lo=1, hi=10**7)
    s_min, s_max = integer("s_min", s_min, lo=1), integer("s_max", s_max, lo=1, hi=10**15)
    if not 1 <= s_min < s_max:
        raise InputError(f"need 1 <= s_min < s_max, got {s_min}, {s_max}")
    return _bethe_quanta(n_clusters, z, p, s_min, s_max)


@functools.lru_cache(maxsize=16)
def _bethe_quanta(n_clusters, z, p, s_min, s_max):
    grid = np.unique(np.round(np.geomspace(s_min, s_max, 2000)))
    tail = _sb_tail(grid, p, z, s_max)
    W = tail / tail[0]  # P(S >= s | s_min <= S <= s_max)
    q = (np.arange(1, n_clusters + 1) - 0.5) / n_clusters  # upper quantiles, decreasing size with k
    # W decreases with s: interpolate log s as a function of log W
    with np.errstate(divide="ignore"):  # W underflows to 0 at the largest sizes: log 0 = -inf, below every log q
        sizes = np.exp(np.interp(np.log(q), np.log(W[::-1]), np.log(grid[::-1])))
    freqs = sizes / sizes.sum()
    sizes.flags.writeable = False  # cached: shared between callers
    freqs.flags.writeable = False
    return BetheQuanta(sizes=sizes, freqs=freqs, z=int(z), p=float(p), s_min=s_min, s_max=s_max,
                       n_clusters=n_clusters)


def _learned_loss(n, cd):
    n = np.asarray(n, dtype=float)
    return np.where(n >= 1.0, np.maximum(n, 1.0) ** (-cd), 1.0)


def _freqs(freqs):
    """Quanta frequencies: finite, >= 0, not all zero; returned normalised to sum 1."""
    p = real_array("freqs", freqs, lo=0.0, max_size=10**7)
    total = float(p.sum())
    if not (total > 0 and math.isfinite(total)):
        raise InputError("freqs must hold at least one positive frequency (they are normalised to sum 1)")
    return p / total


def quanta_loss_sums(freqs, N=None, D=None, c_over_D=0.5, alpha=1.0):
    """Direct sums of his loss model over discrete quanta with frequencies ``freqs`` (rank order).

    * model: ``L(N) = sum_k p_k l(n_k)`` with his allocation ``n_k``
      (:func:`brill_nk`, ``alpha`` and ``c_over_D`` fixing ``b``), ranks beyond
      ``len(freqs)`` dropped (their DOF are wasted, as in his experiment);
    * data: ``L(D) = sum_k p_k l(D p_k)``;

    with ``l(n) = n^-cD`` for ``n >= 1`` and 1 below (an unlearned cluster).

    Returns
    -------
    QuantaLossSums
        ``model`` and/or ``data`` arrays (normalised to the sum of ``freqs``), also readable as
        ``out["model"]``; ``.plot()`` draws them.

    Examples
    --------
    >>> from scalinglab.theory.percolation import bethe_quanta, quanta_loss_sums
    >>> q = bethe_quanta(100, z=3, p=0.45, s_min=1, s_max=10**6)
    >>> out = quanta_loss_sums(q.freqs, N=[10, 100])
    >>> sorted(out), out.data is None
    (['model'], True)
    """
    p = _freqs(freqs)
    cd = _pos("c_over_D", c_over_D)
    alpha = _pos("alpha", alpha)
    out = {}
    k = np.arange(1, p.size + 1, dtype=float)
    if N is not None:
        N = real_array("N", N, lo=0.0)
        size_limit("the allocation table N x quanta", float(N.size) * p.size, 5e7, " entries")
        nk = brill_nk(N[:, None], k[None, :], alpha, cd)
        out["model"] = (p[None, :] * _learned_loss(nk, cd)).sum(axis=1)
    if D is not None:
        D = real_array("D", D, lo=0.0)
        size_limit("the table D x quanta", float(D.size) * p.size, 5e7, " entries")
        out["data"] = (p[None, :] * _learned_loss(D[:, None] * p[None, :], cd)).sum(axis=1)
    return QuantaLossSums(N=N, D=D, model=out.get("model"), data=out.get("data"), c_over_D=float(cd),
                          alpha=float(alpha), n_quanta=int(p.size))


def allocation_nk(N, n_ranks, b, kbr):
    """His parameterised allocation for Fig. 5: ``n_k ∝ k^(b-1)`` for ``k <= k_br``, scaled to sum to ``N``.

    Parameters
    ----------
    N : float
        Total DOF.
    n_ranks : int
        Number of clusters (ranks ``1..n_ranks``).
    b, kbr : array_like
        Exponents and break ranks (same shape ``(m,)``).

    Returns
    -------
    numpy.ndarray, shape (m, n_ranks)

    Examples
    --------
    >>> from scalinglab.theory.percolation import allocation_nk
    >>> nk = allocation_nk(100.0, n_ranks=10, b=0.5, kbr=5)
    >>> nk.round(2), round(float(nk.sum()), 6)
    (array([[30.94, 21.88, 17.87, 15.47, 13.84,  0.  ,  0.  ,  0.  ,  0.  ,
             0.  ]]), 100.0)
    """
    N = real("N", N, lo=0.0)
    n_ranks = integer("n_ranks", n_ranks, lo=1, hi=10**7)
    b = real_array("b", b, lo=-50.0, hi=50.0)
    kbr = real_array("kbr", kbr, lo=1.0)  # k = 1 is always allocated: the weights never all vanish
    if b.size != kbr.size and 1 not in (b.size, kbr.size):
        raise InputError(f"b and kbr must have the same length, got {b.size} and {kbr.size}")
    size_limit("the allocation table", float(max(b.size, kbr.size)) * n_ranks, 5e7, " entries",
               "use fewer draws or ranks")
    b, kbr = np.broadcast_arrays(b, kbr)
    k = np.arange(1, n_ranks + 1, dtype=float)[None, :]
    w = np.where(k <= kbr[:, None], k ** (b[:, None] - 1.0), 0.0)
    return w * (N / w.sum(axis=1, keepdims=True))


def quanta_allocation_loss(nk, freqs, c_over_D=0.5):
    """``sum_k p_k l(n_k)`` for allocations ``nk`` (rows) over quanta ``freqs`` (his loss model).

    Examples
    --------
    >>> from scalinglab.theory.percolation import allocation_nk, bethe_quanta, quanta_allocation_loss
    >>> q = bethe_quanta(10, z=3, p=0.45, s_min=1, s_max=10**6)
    >>> nk = allocation_nk(100.0, n_ranks=10, b=0.5, kbr=5)
    >>> quanta_allocation_loss(nk[None, :], q.freqs).round(4)
    array([[0.0818, 0.0415, 0.027 , 0.0191, 0.0141, 0.0378, 0.0275, 0.0199,
            0.0142, 0.0093]])
    """
    p = _freqs(freqs)
    nk = np.atleast_2d(real_values("nk", nk, lo=0.0))
    if nk.shape[-1] != p.size:
        raise InputError(f"nk must hold one DOF count per quantum: last axis {nk.shape[-1]}, {p.size} freqs")
    return (p[None, :] * _learned_loss(nk, _pos("c_over_D", c_over_D))).sum(axis=1)


def random_allocations(n_points=2000, N=500.0, n_ranks=316, b_range=(-5.05, 5.05), kbr_range=(1.0, 316.0),
                       seed=0):
    """His Fig. 5 draws: ``b`` uniform in ``b_range``, ``k_br`` log-uniform in ``kbr_range``.

    Returns
    -------
    dict
        ``"b"``, ``"kbr"`` (shape ``(n_points,)``) and ``"nk"`` (``(n_points, n_ranks)``,
        from :func:`allocation_nk` with total ``N``).

    Examples
    --------
    >>> from scalinglab.theory.percolation import random_allocations
    >>> draws = random_allocations(n_points=3, N=100.0, n_ranks=10, seed=0)
    >>> sorted(draws) if isinstance(draws, dict) else type(draws).__name__
    ['b', 'kbr', 'nk']
    """
    n_points = integer("n_points", n_points, lo=1, hi=10**7)
    n_ranks = integer("n_ranks", n_ranks, lo=1, hi=10**7)
    b_range = real_array("b_range", b_range, lo=-50.0, hi=50.0, min_size=2, max_size=2)
    kbr_range = real_array("kbr_range", kbr_range, lo=1.0, min_size=2, max_size=2)
    if b_range[0] > b_range[1] or kbr_range[0] > kbr_range[1]:
        raise InputError(f"b_range and kbr_range must be (low, high), got {tuple(b_range)}, {tuple(kbr_range)}")
    rng = np.random.default_rng(_seed("seed", seed))
    b = rng.uniform(b_range[0], b_range[1], size=n_points)
    kbr = np.exp(rng.uniform(math.log(kbr_range[0]), math.log(kbr_range[1]), size=n_points))
    return {"b": b, "kbr": kbr, "nk": allocation_nk(N, n_ranks, b, kbr)}
