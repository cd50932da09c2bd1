"""Symbolic checks of the Zipf-RHM path theory (sympy).

Three derivations, each returned as a frozen dataclass that holds the sympy
expressions *and* numeric (lambdified) versions of them, so tests can compare
the algebra with the numeric kernels of :mod:`scalinglab.theory.rhm._spectrum`:

* :func:`hutter_learning_curve` -- Hutter's learning curve of a single Zipf
  level over a continuum of features, its closed form (a lower incomplete gamma
  function) and its large-P asymptote ``A P**-(alpha/(1+alpha))``
  (seed 000, eqs. 2-4). :func:`zipf_seen_error` is the discrete finite-m sum
  ``sum_i f_i (1-f_i)**P`` in plain numpy, a reference independent of the
  kernels.
* :func:`piltz_main_term` -- the main term ``x Q_L(ln x)`` of the Piltz divisor
  summatory function ``D_L(x) = #{(i_1..i_L) >= 1 : i_1*...*i_L <= x}`` as the
  residue of ``zeta(s)**L x**s / s`` at ``s = 1`` (Stieltjes constants), and
  its leading term ``x (ln x)**(L-1)/(L-1)!`` from the integral recursion.
* :func:`product_zipf_effective_exponent` -- the effective path exponent
  ``alpha'_eff(x)`` at rank-product scale x when all L levels share one Zipf
  law and ``m -> infinity``, and ``alpha_c(x)`` (leading ``(L-1)/ln x``, and a
  refined version from the full Piltz main term).

The derivations are cached (``functools.lru_cache``): each costs well under a
second to a few seconds of sympy the first time.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from numbers import Integral
from typing import Callable

import numpy as np
import sympy as sp

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, set_title
from scalinglab._util import check_int
from scalinglab._validation import real as check_real
from scalinglab.errors import InputError

__all__ = [
    "HutterCurve", "hutter_learning_curve", "zipf_seen_error",
    "PiltzMainTerm", "piltz_main_term", "zeta_laurent",
    "ProductZipfExponent", "product_zipf_effective_exponent",
]

#: Largest L for which the Piltz residue is derived (the expansion grows fast).
MAX_L = 8
#: Highest Stieltjes coefficient :func:`zeta_laurent` expands to (sympy evaluates each one; 10**400 would hang).
MAX_ORDER = 60


# ----------------------------------------------------------------------------- Hutter
@dataclass(frozen=True, repr=False)
class HutterCurve(Result):
    """Hutter's learning curve of one Zipf level with infinitely many features.

    Definitions: features on a continuum ``x >= 1`` with unnormalised frequency
    ``f(x) = x**-(1+alpha)`` (``alpha > 0``); the error after P samples is
    ``eps(P) = int_1^oo f(x) exp(-P f(x)) dx`` (seed 000, eq. 2, with
    ``(1-f)**P ~ exp(-P f)``).

    Attributes
    ----------
    alpha, P : sympy.Symbol
        Positive symbols.
    integrand : sympy.Expr
        The integrand after the substitution ``u = f(x)``:
        ``exp(-P u) u**(-1/(1+alpha)) / (1+alpha)`` on ``0 < u < 1``.
    exact : sympy.Expr
        The closed form of ``eps(P)``: ``lowergamma(alpha/(1+alpha), P) /
        ((1+alpha) P**(alpha/(1+alpha)))``.
    exponent : sympy.Expr
        ``lim_{P->oo} -d ln eps / d ln P`` = ``alpha/(1+alpha)``.
    prefactor : sympy.Expr
        ``lim_{P->oo} P**exponent eps(P)`` = ``gamma(alpha/(1+alpha))/(1+alpha)``.
    asymptote : sympy.Expr
        ``prefactor * P**-exponent``.
    M : sympy.Symbol
        Upper end of a finite continuum of features, ``1 <= x <= M``.
    exact_finite : sympy.Expr
        ``int_1^M f exp(-P f) dx`` (same substitution, lower limit
        ``u = M**-(1+alpha)``): ``(lowergamma(b, P) - lowergamma(b, P M**-(1+alpha)))
        / ((1+alpha) P**b)``, ``b = alpha/(1+alpha)``. The second term is the
        finite-m correction that bends the curve down once ``P`` nears
        ``M**(1+alpha)``.
    exact_fn, asymptote_fn : callable
        Numeric ``(alpha, P) -> float array`` versions (scipy).
    exact_finite_fn : callable
        Numeric ``(alpha, P, M) -> float array``.
    exponent_fn, prefactor_fn : callable
        Numeric ``alpha -> float``.

    Examples
    --------
    >>> from scalinglab.theory.rhm import hutter_learning_curve
    >>> h = hutter_learning_curve()
    >>> h.exponent, h.prefactor
    (alpha/(alpha + 1), gamma(alpha/(alpha + 1) + 1)/alpha)
    """

    alpha: sp.Symbol
    P: sp.Symbol
    integrand: sp.Expr
    exact: sp.Expr
    exponent: sp.Expr
    prefactor: sp.Expr
    asymptote: sp.Expr
    M: sp.Symbol
    exact_finite: sp.Expr
    exact_fn: Callable = field(repr=False)
    exact_finite_fn: Callable = field(repr=False)
    asymptote_fn: Callable = field(repr=False)
    exponent_fn: Callable = field(repr=False)
    prefactor_fn: Callable = field(repr=False)

    _repr_fields = ("exact", "exponent", "prefactor")

    def _dict_data(self):
        return {k: getattr(self, k) for k in ("exact", "exponent", "prefactor", "asymptote", "integrand",
                                                 "exact_finite")}

    def _text(self):
        return "\n".join(["Hutter (one Zipf level, continuum of features):",
                          f"  eps(P) = {sp.sstr(self.exact)}", f"  exponent = {sp.sstr(self.exponent)}",
                          f"  prefactor = {sp.sstr(self.prefactor)}"])

    def normalised(self, alpha, P, Z, m=None):
        """``eps(P)`` for the normalised law ``f(x) = x**-(1+alpha) / Z``.

        With ``g = f / Z`` the integral is ``int g exp(-P g) = (1/Z) eps(P/Z)``;
        for a Zipf level of m features ``Z = sum_{i<=m} i**-(1+alpha)`` (the
        continuum treats the discrete sum as an integral from x = 1, up to
        ``x = m`` when ``m`` is given, else to infinity).
        Asymptotically ``prefactor * Z**(-1/(1+alpha)) * P**-exponent``.
        """
        P = np.asarray(P, dtype=float)
        if m is None:
            return self.exact_fn(alpha, P / Z) / Z
        return self.exact_finite_fn(alpha, P / Z, float(m)) / Z

    def normalised_prefactor(self, alpha, Z):
        """``A Z**(-1/(1+alpha))``: prefactor of the normalised asymptote."""
        return float(self.prefactor_fn(alpha)) * float(Z) ** (-1.0 / (1.0 + alpha))


@lru_cache(maxsize=1)
def hutter_learning_curve():
    """Derive Hutter's Zipf learning curve and its exponent with sympy.

    Derivation (every step is done by sympy, nothing is typed in):

    1. ``eps(P) = int_1^oo f(x) exp(-P f(x)) dx`` with ``f(x) = x**-k``,
       ``k = 1 + alpha > 1``.
    2. Substitute ``u = f(x)``, ``x = u**(-1/k)``, ``dx = -(1/k) u**(-1/k - 1) du``;
       ``x: 1 -> oo`` maps to ``u: 1 -> 0``, so
       ``eps = (1/k) int_0^1 u**(-1/k) exp(-P u) du``.
    3. sympy integrates this to a lower incomplete gamma function,
       ``eps = lowergamma(1 - 1/k, P) / (k P**(1 - 1/k))``; with ``k = 1+alpha``,
       ``1 - 1/k = alpha/(1+alpha)``.
    4. The exponent is ``lim_{P->oo} -P d ln eps/dP`` (sympy ``limit``), and the
       prefactor ``lim_{P->oo} P**exponent eps`` (via
       ``lowergamma = gamma - uppergamma`` and ``uppergamma -> 0``).

    Returns
    -------
    HutterCurve
        ``exponent = alpha/(alpha+1)``, ``prefactor = gamma(alpha/(alpha+1))/(alpha+1)``
        (sympy writes it as the equal ``gamma(alpha/(alpha+1) + 1)/alpha``).

    Examples
    --------
    >>> from scalinglab.theory.rhm import hutter_learning_curve
    >>> h = hutter_learning_curve()      # sympy, cached: about a second the first time
    >>> h.exponent                        # eps(P) ~ P^-(alpha/(1+alpha))
    alpha/(alpha + 1)
    >>> round(float(h.exponent_fn(1.0)), 3)
    0.5
    """
    a, P, u, x, k, M = sp.symbols("alpha P u x k M", positive=True)
    f = x ** (-k)
    integrand_x = f * sp.exp(-P * f)
    x_of_u = u ** (-1 / k)
    # orientation: x increasing <-> u decreasing, so flip the limits with the minus sign
    integrand_u = sp.powsimp(integrand_x.subs(x, x_of_u) * (-sp.diff(x_of_u, u)))
    exact_k = sp.gammasimp(sp.integrate(integrand_u, (u, 0, 1), conds="none"))
    exact = sp.simplify(exact_k.subs(k, 1 + a))
    # finite continuum 1 <= x <= M: u runs from M**-k to 1
    finite_k = sp.gammasimp(sp.integrate(integrand_u, (u, M ** (-k), 1), conds="none"))
    exact_finite = sp.simplify(finite_k.subs(k, 1 + a))
    integrand = integrand_u.subs(k, 1 + a)
    log_eps = sp.expand_log(sp.log(exact), force=True)
    exponent = sp.simplify(sp.limit(-P * sp.diff(log_eps, P), P, sp.oo))
    prefactor = sp.simplify(sp.limit((exact * P**exponent).rewrite(sp.uppergamma), P, sp.oo))
    asymptote = prefactor * P ** (-exponent)
    mods = ["scipy", "numpy"]
    return HutterCurve(
        alpha=a, P=P, integrand=integrand, exact=exact, exponent=exponent, prefactor=prefactor,
        asymptote=asymptote, M=M, exact_finite=exact_finite,
        exact_fn=sp.lambdify((a, P), exact, modules=mods),
        # numerically: the upper-gamma form, which does not cancel when both
        # lower gammas are near gamma(b) (large P)
        exact_finite_fn=sp.lambdify((a, P, M), sp.simplify(exact_finite.rewrite(sp.uppergamma)), modules=mods),
        asymptote_fn=sp.lambdify((a, P), asymptote, modules=mods),
        exponent_fn=sp.lambdify(a, exponent, modules=mods),
        prefactor_fn=sp.lambdify(a, prefactor, modules=mods),
    )


def zipf_seen_error(alpha, m, P, chunk=2_000_000):
    """Discrete Hutter error of one normalised Zipf level, in plain numpy.

    ``eps_m(P) = sum_{i=1}^m f_i (1 - f_i)**P`` with ``f_i = i**-(1+alpha) / Z``,
    ``Z = sum_{i<=m} i**-(1+alpha)``; computed as
    ``sum f_i exp(P log1p(-f_i))`` so that large P neither underflows nor
    loses digits. A reference independent of :mod:`scalinglab.kernels`.

    Parameters
    ----------
    alpha : float
        Zipf exponent (> -1).
    m : int
        Number of features.
    P : array_like
        Numbers of samples (>= 0).
    chunk : int
        Largest number of (feature, P) pairs evaluated at once (memory bound).

    Returns
    -------
    numpy.ndarray
        ``eps_m(P)`` for each P.

    Examples
    --------
    >>> from scalinglab.theory.rhm import zipf_seen_error
    >>> zipf_seen_error(1.0, 10, [1, 10, 100]).round(4)       # sum_i f_i (1 - f_i)^P over one Zipf level
    array([0.5495, 0.1575, 0.0196])
    """
    m = check_int("m", m, lo=1, hi=10**8)
    alpha = _v.real("alpha", alpha, lo=-1, lo_open=True)
    P = _v.real_array("P", P, lo=0)
    chunk = _v.integer("chunk", chunk, lo=1)
    _v.size_limit("zipf_seen_error", float(m) * P.size, 1e10, " terms", "fewer P or a smaller m")
    i = np.arange(1, m + 1, dtype=np.float64)
    w = i ** -(1.0 + alpha)
    f = w / w[::-1].sum()  # sum small terms first
    l1 = np.log1p(-f)
    out = np.empty(P.size)
    step = max(1, chunk // m)
    for j in range(0, P.size, step):
        pp = P[j:j + step]
        terms = f[None, :] * np.exp(pp[:, None] * l1[None, :])
        out[j:j + step] = terms[:, ::-1].sum(axis=1)
    return out


# ----------------------------------------------------------------------------- Piltz
def zeta_laurent(t, order):
    """Laurent polynomial of ``zeta(1+t)`` up to ``t**order``.

    ``zeta(1+t) = 1/t + sum_{n>=0} (-1)**n gamma_n t**n / n!`` with the Stieltjes
    constants ``gamma_n`` (``gamma_0`` = Euler's constant), sympy ``stieltjes``.

    Examples
    --------
    >>> import sympy
    >>> from scalinglab.theory.rhm import zeta_laurent
    >>> zeta_laurent(sympy.Symbol("t"), 1)   # 1/t + gamma - gamma_1 t
    -t*stieltjes(1) + EulerGamma + 1/t
    """
    order = check_int("order", order, lo=0, hi=MAX_ORDER)
    if not isinstance(t, sp.Basic):
        t = sp.Float(check_real("t", t)) if not isinstance(t, Integral) or isinstance(t, bool) else sp.Integer(t)
    if t.is_zero:
        raise InputError("t must not be 0: zeta(1+t) has its pole at t = 0")
    return 1 / t + sum((-1) ** n * sp.stieltjes(n) * t**n / sp.factorial(n) for n in range(order + 1))


def _checked_L_cache(fn):
    """``lru_cache`` on the checked ``L``: an unhashable or bad ``L`` is refused as an InputError first."""
    cached = lru_cache(maxsize=MAX_L)(fn)

    @functools.wraps(fn)
    def wrapper(L):
        return cached(check_int("L", L, lo=1, hi=MAX_L))

    wrapper.cache_clear = cached.cache_clear
    wrapper.cache_info = cached.cache_info
    return wrapper


def _truncated_mul(a, b, n):
    """Product of coefficient lists (ascending powers) truncated after degree n."""
    out = [sp.Integer(0)] * (n + 1)
    for i, ai in enumerate(a[: n + 1]):
        if ai == 0:
            continue
        for j, bj in enumerate(b[: n + 1 - i]):
            out[i + j] += ai * bj
    return [sp.expand(c) for c in out]


@dataclass(frozen=True, repr=False)
class PiltzMainTerm(Result):
    """Main term of the unrestricted Piltz divisor summatory function.

    ``D_L(x) = #{(i_1, ..., i_L) in N**L : i_1 * ... * i_L <= x}`` (ordered
    tuples of positive integers) ``= x Q_L(ln x) + Delta_L(x)`` with
    ``Delta_L(x) = o(x)`` (Dirichlet: ``O(x**(1/3))`` for L = 2).

    Attributes
    ----------
    L : int
    x, y : sympy.Symbol
        ``x > 0`` and ``y = ln x``.
    poly : sympy.Expr
        ``Q_L(y)``, a polynomial of degree L-1 in ``y`` whose coefficients hold
        Euler's constant and Stieltjes constants.
    main_term : sympy.Expr
        ``x Q_L(ln x) = Res_{s=1} zeta(s)**L x**s / s``.
    leading : sympy.Expr
        ``x (ln x)**(L-1) / (L-1)!`` derived from the integral recursion
        ``D_L(x) ~ int_1^x D_{L-1}(x/t) dt``, ``D_1(x) ~ x``.
    coeffs : tuple of float
        Numeric coefficients of ``Q_L`` in ascending powers of ``y``.

    Examples
    --------
    >>> from scalinglab.theory.rhm import piltz_main_term
    >>> pm = piltz_main_term(2)
    >>> pm.main_term
    x*(log(x) - 1 + 2*EulerGamma)
    """

    L: int
    x: sp.Symbol
    y: sp.Symbol
    poly: sp.Expr
    main_term: sp.Expr
    leading: sp.Expr
    coeffs: tuple

    _repr_fields = ("L", "main_term")

    def _dict_data(self):
        return {k: getattr(self, k) for k in ("L", "poly", "main_term", "leading", "coeffs")}

    def _text(self):
        return "\n".join([f"Piltz divisor function, L = {self.L}: D_L(x) = x Q_L(ln x) + o(x)",
                          f"  main term = {sp.sstr(self.main_term)}", f"  leading term = {sp.sstr(self.leading)}"])

    def plot(self, ax=None, x=None, **kw):
        """Main term and leading term of ``D_L(x)`` on log-log axes. Returns the axes."""
        ax = new_axes(ax)
        x = np.geomspace(10, 1e8, 200) if x is None else np.asarray(x, dtype=float)
        ax.loglog(x, self(x), label="x Q_L(ln x)", **kw)
        ax.loglog(x, self.leading_fn(x), "--", label="x (ln x)^(L-1)/(L-1)!")
        ax.set_xlabel("x")
        ax.set_ylabel("D_L(x)")
        ax.legend(fontsize=8)
        return set_title(ax, f"restricted Piltz divisor function, L = {self.L}")

    def __call__(self, x):
        """Numeric main term ``x Q_L(ln x)`` (float array)."""
        x = np.asarray(x, dtype=float)
        return x * self.Q(np.log(x))

    def Q(self, y):
        """Numeric ``Q_L(y)``."""
        return np.polynomial.polynomial.polyval(np.asarray(y, dtype=float), self.coeffs)

    def dQ(self, y):
        """Numeric ``Q_L'(y)``."""
        c = np.polynomial.polynomial.polyder(np.asarray(self.coeffs))
        return np.polynomial.polynomial.polyval(np.asarray(y, dtype=float), c) if c.size else 0.0 * np.asarray(y)

    def leading_fn(self, x):
        """Numeric ``x (ln x)**(L-1)/(L-1)!``."""
        x = np.asarray(x, dtype=float)
        return x * np.log(x) ** (self.L - 1) / math.factorial(self.L - 1)


@_checked_L_cache
def piltz_main_term(L):
    """Main term of ``D_L(x)`` as the residue ``Res_{s=1} zeta(s)**L x**s / s``.

    Derivation: Perron's formula gives ``D_L(x) = (1/2 pi i) int zeta(s)**L x**s / s ds``;
    moving the contour left of ``Re s = 1`` picks up the pole of order L at
    ``s = 1``. With ``s = 1 + t``: ``t**L zeta(1+t)**L = (1 + t g(t))**L`` where
    ``g`` is the Stieltjes series (:func:`zeta_laurent`), ``x**s = x e**(t ln x)``,
    ``1/s = sum (-t)**k``; the residue is the coefficient of ``t**(L-1)`` in
    ``x (1 + t g)**L e**(t y) / (1+t)``, ``y = ln x``: ``x Q_L(y)``. The
    leading term ``x y**(L-1)/(L-1)!`` comes from the ``e**(t y)`` factor alone;
    it is derived independently by iterating ``D_L(x) ~ int_1^x D_{L-1}(x/t) dt``
    from ``D_1(x) ~ x``.

    Parameters
    ----------
    L : int
        Number of factors, 1 <= L <= MAX_L.

    Returns
    -------
    PiltzMainTerm
        e.g. L = 2: ``Q = y + 2 gamma - 1`` (Dirichlet's ``x ln x + (2 gamma - 1) x``).

    Examples
    --------
    >>> from scalinglab.theory.rhm import piltz_main_term
    >>> piltz_main_term(2).main_term         # x (ln x + 2 gamma - 1)
    x*(log(x) - 1 + 2*EulerGamma)
    >>> piltz_main_term(3).leading           # x (ln x)^2 / 2
    x*log(x)**2/2
    """
    L = check_int("L", L, lo=1, hi=MAX_L)
    t = sp.Symbol("t")
    y = sp.Symbol("y", real=True)
    x = sp.Symbol("x", positive=True)
    n = L - 1  # degree of the coefficient we need
    g = sp.expand(t * zeta_laurent(t, n))  # 1 + t g(t), a polynomial
    base = [g.coeff(t, i) for i in range(n + 1)]
    acc = [sp.Integer(1)] + [sp.Integer(0)] * n
    for _ in range(L):
        acc = _truncated_mul(acc, base, n)
    acc = _truncated_mul(acc, [y**k / sp.factorial(k) for k in range(n + 1)], n)
    acc = _truncated_mul(acc, [(-1) ** k for k in range(n + 1)], n)
    poly = sp.expand(acc[n])
    main_term = x * poly.subs(y, sp.log(x))
    # leading term by the integral recursion
    s_ = sp.Symbol("s", positive=True)
    lead = x
    for _ in range(L - 1):
        lead = sp.simplify(sp.integrate(sp.expand_log(lead.subs(x, x / s_), force=True), (s_, 1, x)))
    coeffs = tuple(float(sp.N(sp.Poly(poly, y).coeff_monomial(y**k), 30)) for k in range(n + 1))
    return PiltzMainTerm(L=L, x=x, y=y, poly=poly, main_term=main_term, leading=sp.factor(lead), coeffs=coeffs)


# ----------------------------------------------------------------------------- effective exponent
@dataclass(frozen=True, repr=False)
class ProductZipfExponent(Result):
    """Effective path exponent when L levels share ``f_i ∝ i**-(1+alpha)``, m -> oo.

    A path with rank product ``x = i_1 ... i_L`` has frequency ``∝ x**-(1+alpha)``
    and rank ``r(x) ~ D_L(x)`` (the paths at least as frequent are the tuples
    with product ``<= x``). The local Zipf exponent of the path spectrum,
    ``f ~ r**-(1+alpha')``, is therefore

        ``alpha'_eff(x) = -d ln f / d ln r - 1 = (1+alpha) / (d ln r / d ln x) - 1``,

    and ``alpha_c(x)`` (where ``alpha'_eff = 0``) is ``d ln r/d ln x - 1``.

    Attributes
    ----------
    L : int
    alpha, x : sympy.Symbol
    dlogr_leading : sympy.Expr
        ``d ln r / d ln x`` for ``r = x (ln x)**(L-1)/(L-1)!``: ``1 + (L-1)/ln x``.
    dlogr_refined : sympy.Expr
        Same for ``r = x Q_L(ln x)`` (full Piltz main term): ``1 + Q'(y)/Q(y)``.
    alpha_eff_leading, alpha_eff_refined : sympy.Expr
        ``(1+alpha)/(d ln r/d ln x) - 1``.
    alpha_c_leading, alpha_c_refined : sympy.Expr
        Solutions in alpha of ``alpha'_eff = 0``: ``(L-1)/ln x`` and
        ``Q'(ln x)/Q(ln x)``. The refined forms hold where ``Q_L(ln x) > 0``
        (e.g. x > 2.33 for L = 2).
    piltz : PiltzMainTerm

    Examples
    --------
    >>> from scalinglab.theory.rhm import product_zipf_effective_exponent
    >>> pz = product_zipf_effective_exponent(2)
    >>> pz.alpha_c_leading                   # (L - 1)/ln x
    1/log(x)
    """

    L: int
    alpha: sp.Symbol
    x: sp.Symbol
    dlogr_leading: sp.Expr
    dlogr_refined: sp.Expr
    alpha_eff_leading: sp.Expr
    alpha_eff_refined: sp.Expr
    alpha_c_leading: sp.Expr
    alpha_c_refined: sp.Expr
    piltz: PiltzMainTerm = field(repr=False)
    _fns: dict = field(repr=False, default_factory=dict)

    _repr_fields = ("L", "alpha_eff_leading", "alpha_c_leading")
    #: Rank-product scales of the alpha_c table in the text, dict and frame.
    table_x = tuple(np.geomspace(10, 1e6, 6))

    def _table(self):
        x = np.array(self.table_x)
        return {"x": x, "leading": np.asarray(self.alpha_c(x, refined=False), dtype=float),
                "refined": np.asarray(self.alpha_c(x), dtype=float)}

    def _dict_data(self):
        d = {k: getattr(self, k) for k in ("L", "dlogr_leading", "dlogr_refined", "alpha_eff_leading",
                                             "alpha_eff_refined", "alpha_c_leading", "alpha_c_refined")}
        return {**d, "piltz_main_term": self.piltz.main_term, "alpha_c_table": self._table()}

    def _frame_data(self):
        t = self._table()
        return {"x": t["x"], "alpha_c_leading": t["leading"], "alpha_c_refined": t["refined"], "L": self.L}

    def _text(self):
        t = self._table()
        lines = [f"Product-Zipf, L = {self.L} levels sharing alpha, m -> oo (x = product of ranks):",
                 f"  D_L(x) main term = {sp.sstr(self.piltz.main_term)}",
                 f"  alpha'_eff(x) (leading) = {sp.sstr(self.alpha_eff_leading)}",
                 f"  alpha_c(x) (leading) = {sp.sstr(self.alpha_c_leading)}",
                 f"  {'x':>10s}  alpha_c leading  alpha_c refined"]
        lines += [f"  {v:10.3g}  {a:15.4f}  {b:15.4f}" for v, a, b in zip(t["x"], t["leading"], t["refined"])]
        return "\n".join(lines)

    def plot(self, ax=None, x=None, **kw):
        """``alpha_c(x)``, leading and refined, against the rank product x. Returns the axes."""
        ax = new_axes(ax)
        x = np.geomspace(10, 1e8, 200) if x is None else np.asarray(x, dtype=float)
        ax.semilogx(x, self.alpha_c(x, refined=False), "--", label="leading (L-1)/ln x", **kw)
        ax.semilogx(x, self.alpha_c(x), label="refined Q'/Q")
        ax.set_xlabel("rank product x")
        ax.set_ylabel("α_c(x)")
        ax.legend(fontsize=8)
        return set_title(ax, f"α_c of a product of {self.L} Zipf laws")

    def dlogr(self, x, refined=True):
        """Numeric ``d ln r / d ln x`` at x (> 1)."""
        return self._fns["dlogr_refined" if refined else "dlogr_leading"](np.asarray(x, dtype=float))

    def alpha_eff(self, alpha, x, refined=True):
        """Numeric ``alpha'_eff(x)`` for level exponent ``alpha``."""
        return (1.0 + np.asarray(alpha, dtype=float)) / self.dlogr(x, refined) - 1.0

    def alpha_c(self, x, refined=True):
        """Numeric ``alpha_c(x)``."""
        return self._fns["alpha_c_refined" if refined else "alpha_c_leading"](np.asarray(x, dtype=float))

    def x_of_rank(self, r, refined=True):
        """Rank-product scale x whose rank ``r(x)`` (main term, or leading term)
        equals r, by bisection in ln x on ``[ln 3, 200]`` (r must exceed r(3)).
        Lets a rank window of :func:`scalinglab.theory.rhm._spectrum.alpha_prime` be
        converted to the x scale of these formulas."""
        r = _v.real_array("rank", r)
        pl = self.piltz
        rank = pl if refined else pl.leading_fn
        lo, hi = np.full(r.shape, math.log(3.0)), np.full(r.shape, 200.0)
        if np.any(r <= rank(3.0)) or np.any(r >= rank(math.exp(200.0))):
            raise _v.InputError(f"rank must lie in ({float(rank(3.0)):g}, {float(rank(math.exp(200.0))):g})")
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            below = rank(np.exp(mid)) < r
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return np.exp(0.5 * (lo + hi))


@_checked_L_cache
def product_zipf_effective_exponent(L):
    """Derive ``alpha'_eff(x)`` and ``alpha_c(x)`` for L levels sharing one Zipf law.

    Derivation (sympy): ``ln f = -(1+alpha) ln x + const`` and ``ln r = ln D_L(x)``;
    with ``y = ln x``, ``d ln f / d ln r = (d ln f/dy)/(d ln r/dy)``, so
    ``alpha'_eff = (1+alpha)/(d ln r/dy) - 1``.

    * leading: ``r = e**y y**(L-1)/(L-1)!`` (from :func:`piltz_main_term`'s
      recursion) gives ``d ln r/dy = 1 + (L-1)/y`` and, solving
      ``alpha'_eff = 0`` for alpha, ``alpha_c = (L-1)/ln x``;
    * refined: ``r = e**y Q_L(y)`` gives ``1 + Q_L'(y)/Q_L(y)`` and
      ``alpha_c = Q_L'(ln x)/Q_L(ln x)``.

    Parameters
    ----------
    L : int
        Depth, 1 <= L <= MAX_L.

    Returns
    -------
    ProductZipfExponent

    Examples
    --------
    >>> from scalinglab.theory.rhm import product_zipf_effective_exponent
    >>> pz = product_zipf_effective_exponent(3)
    >>> pz.alpha_c_leading
    2/log(x)
    >>> round(float(pz.alpha_c(1e3)), 3)     # alpha_c at the rank-product scale x = 10**3
    0.26
    """
    L = check_int("L", L, lo=1, hi=MAX_L)
    pl = piltz_main_term(L)
    a = sp.Symbol("alpha", real=True)
    x = pl.x
    y = sp.Symbol("y", positive=True)

    consts = {sp.stieltjes(n): sp.Float(sp.N(sp.stieltjes(n), 30), 30) for n in range(1, L)}
    consts[sp.EulerGamma] = sp.Float(sp.N(sp.EulerGamma, 30), 30)

    def derive(rank_expr):
        # everything in y = ln x: rational functions of y, no log-simplification needed
        r_y = sp.expand_log(sp.log(rank_expr.subs(x, sp.exp(y))), force=True)
        dlogr = sp.cancel(sp.together(sp.diff(r_y, y)))
        ln_f = -(1 + a) * y
        eff = sp.cancel(sp.together(-sp.diff(ln_f, y) / dlogr - 1))
        sols = sp.solve(sp.Eq(eff, 0), a)
        if len(sols) != 1:
            raise RuntimeError(f"expected one alpha_c, sympy gave {sols}")
        ac = sp.cancel(sols[0])
        fns = [sp.lambdify(y, e.subs(consts), modules="numpy") for e in (dlogr, ac)]
        back = {y: sp.log(x)}
        return dlogr.subs(back), eff.subs(back), ac.subs(back), fns

    d_lead, eff_lead, ac_lead, (fd_lead, fa_lead) = derive(pl.leading)
    d_ref, eff_ref, ac_ref, (fd_ref, fa_ref) = derive(x * pl.poly.subs(pl.y, sp.log(x)))

    def on_logx(fn):
        return lambda v: np.asarray(fn(np.log(v)), dtype=float) + 0.0 * v

    fns = {"dlogr_leading": on_logx(fd_lead), "dlogr_refined": on_logx(fd_ref),
           "alpha_c_leading": on_logx(fa_lead), "alpha_c_refined": on_logx(fa_ref)}
    return ProductZipfExponent(L=L, alpha=a, x=x, dlogr_leading=d_lead, dlogr_refined=d_ref,
                               alpha_eff_leading=eff_lead, alpha_eff_refined=eff_ref,
                               alpha_c_leading=ac_lead, alpha_c_refined=ac_ref, piltz=pl, _fns=fns)
