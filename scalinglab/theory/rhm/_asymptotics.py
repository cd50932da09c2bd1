"""The asymptotic learning curve of the Zipf RHM in closed form (sympy).

Setting: L levels, level l with Zipf law ``f_i = i**-(1+alpha_l) / zeta(1+alpha_l)``
(``m -> infinity``), ``n_c`` classes. The per-class frequency of a path is
``g = C prod_l i_l**-k_l`` with ``k_l = 1 + alpha_l`` and ``C = prod_l 1/zeta(k_l)``,
and Hutter's error is

    ``eps(P) = sum_tuples g (1 - g/n_c)**P  ~  sum_tuples g exp(-Q g)``,  ``Q = P/n_c``.

**Mellin derivation.** ``int_0^oo Q**(z-1) sum g exp(-Q g) dQ = Gamma(z) C**(1-z)
prod_l zeta(k_l (1-z))``, analytic in ``0 < Re z < b_min``; ``b_l = 1 - 1/k_l =
alpha_l/(1+alpha_l)``. Shifting the inverse-Mellin contour to the right picks up
the poles of ``zeta(k_l(1-z))`` at ``z = b_l`` (``zeta(1-k_l t)`` at ``z = b_l+t``);
``Gamma`` has none there and the integrand decays along vertical lines, so

    ``eps(P) = - sum_poles Res_{z=b} P**-z n_c**z Gamma(z) C**(1-z) prod_l zeta(k_l(1-z))``

up to terms smaller than any power of P (for m = oo), plus the relative
``O(1/P)`` of ``(1-g/n_c)**P`` against ``exp(-Q g)``.  A pole shared by ``n``
levels has order ``n``: its residue is ``P**-b`` times a polynomial of degree
``n-1`` in ``lambda = ln P``. Levels sharing one ``alpha`` (n = L) give

    ``eps(P) = A P**-(alpha/(1+alpha)) (ln P)**(L-1) (1 + B/ln P + O(1/ln**2 P))``,

    ``A = Gamma(b) n_c**b zeta(1+alpha)**(-L/(1+alpha)) / ((1+alpha)**L (L-1)!)``,

with ``B`` (and the whole polynomial) from the Laurent series of ``zeta``
(Stieltjes constants) and the Taylor series of ``Gamma`` (polygamma) at ``b``.
Levels with different ``alpha_l`` give the smallest ``alpha`` as the exponent
with ``beta = n_min - 1`` (no logarithm when it is unique) and a *power-law*
first correction ``P**-(b_2 - b_1)`` from the next pole, slow when the two
exponents are close.

An independent route (tested): the Stieltjes integral of ``g e**(-Q g)`` against
the density of the Piltz main term ``x Q_L(ln x)`` (:func:`piltz_main_term`),
``int_0^oo e**-u u**(b-1) (ln u)**j du = Gamma^(j)(b)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import mpmath
import numpy as np
import sympy as sp

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, set_title
from scalinglab._util import check_int
from scalinglab.theory.rhm._symbolic import MAX_L, _checked_L_cache, zeta_laurent

__all__ = ["AsymptoticCurve", "asymptotic_learning_curve", "LevelsAsymptote", "asymptotic_learning_curve_levels",
           "zipf_normaliser"]

_DIGITS = 30


def _taylor_exp(c, t, n):
    """``exp(c t)`` truncated after ``t**n``."""
    return sum((c * t) ** j / sp.factorial(j) for j in range(n + 1))


def _trunc(expr, t, n):
    """Polynomial ``expr`` in t, terms of degree > n dropped."""
    p = sp.Poly(sp.expand(expr), t)
    return sum(c * t**e for (e,), c in p.terms() if e <= n)


def _pole_polynomial(n, k, gamma_taylor, other_taylor, lam, log_c, log_nc, t):
    """``-[t**(n-1)]`` of ``t**n * (regular parts)``: the polynomial in ``lam = ln P`` multiplying
    ``P**-b n_c**b C**(1/k)`` in the residue of a pole of order n (n levels with exponent ``k``).

    ``gamma_taylor``: coefficients ``Gamma^(j)(b)/j!``; ``other_taylor``: a list of coefficient lists of the
    other levels' ``zeta(k_h(1-b) - k_h t)`` in powers of t."""
    d = n - 1
    # t * zeta(1 - k t) from the Laurent series zeta(1+u) = 1/u + sum (-1)**j gamma_j u**j/j!, u = -k t
    u = sp.Symbol("u")
    tz = sp.expand(sp.cancel(u * zeta_laurent(u, d)).subs(u, -k * t) / (-k))
    acc = sp.Integer(1)
    for _ in range(n):
        acc = _trunc(acc * tz, t, d)
    acc = _trunc(acc * sum(g * t**j for j, g in enumerate(gamma_taylor[: d + 1])), t, d)
    for coeffs in other_taylor:
        acc = _trunc(acc * sum(c * t**j for j, c in enumerate(coeffs[: d + 1])), t, d)
    acc = _trunc(acc * _taylor_exp(-(lam + log_c - log_nc), t, d), t, d)
    return sp.expand(-sp.Poly(acc, t).coeff_monomial(t**d))


def zipf_normaliser(alpha, m=None):
    """``Z = sum_{i<=m} i**-(1+alpha)`` (``zeta(1+alpha)`` for ``m=None``), mpmath precision.

    >>> round(float(zipf_normaliser(1.0)), 6), round(float(zipf_normaliser(1.0, 10)), 6)
    (1.644934, 1.549768)
    """
    alpha = _v.real("alpha", alpha, lo=-1000.0, hi=1000.0)
    if m is None and not alpha > 0:
        raise _v.InputError(f"alpha must be > 0 for m=None (zeta(1+alpha) diverges otherwise), got {alpha!r}")
    if m is not None:
        m = _v.integer("m", m, lo=1, hi=2**62)
    k = mpmath.mpf(1) + mpmath.mpf(alpha)
    if m is None:
        return mpmath.zeta(k)
    if k == 1:  # alpha = 0: both zetas have their pole; the finite sum is the harmonic number
        return mpmath.harmonic(m)
    return mpmath.zeta(k) - mpmath.zeta(k, int(m) + 1)


# ----------------------------------------------------------------------------- shared alpha
@dataclass(frozen=True, repr=False)
class AsymptoticCurve(Result):
    """Large-P learning curve of L levels sharing ``Zipf(alpha)``, ``m -> infinity``.

    ``eps(P) ~ P**-exponent * sum_{j=0}^{L-1} coeffs[j] (ln P)**(L-1-j)``
    ``= A P**-exponent (ln P)**beta (1 + B/ln P + ...)``.

    Attributes
    ----------
    L : int
    alpha, n_c, lam : sympy.Symbol
        Level exponent, number of classes, ``lam = ln P``.
    exponent : sympy.Expr
        ``alpha/(1+alpha)``.
    beta : int
        ``L - 1``.
    A : sympy.Expr
        Leading prefactor (``coeffs[0]``).
    B : sympy.Expr
        First correction ``coeffs[1]/coeffs[0]`` (0 for L = 1).
    coeffs : tuple of sympy.Expr
        The whole main term (all ``L`` powers of ``ln P``): every other correction is smaller than any
        power of P for ``m = oo``.
    coeff_fns : tuple of callable
        Numeric ``(alpha, n_c) -> coeffs[j]``.

    Examples
    --------
    >>> from scalinglab.theory.rhm import asymptotic_learning_curve
    >>> ac = asymptotic_learning_curve(2)
    >>> ac.exponent, ac.beta
    (alpha/(alpha + 1), 1)
    >>> ac.eps(1.0, [1e6], n_c=10).round(5)          # both powers of ln P
    array([0.0126])
    """

    L: int
    alpha: sp.Symbol
    n_c: sp.Symbol
    lam: sp.Symbol
    exponent: sp.Expr
    beta: int
    A: sp.Expr
    B: sp.Expr
    coeffs: tuple
    coeff_fns: tuple = field(repr=False)

    _repr_fields = ("L", "exponent", "beta", "A")

    def _dict_data(self):
        return {"L": self.L, "exponent": self.exponent, "beta": self.beta, "A": self.A, "B": self.B,
                "coeffs": list(self.coeffs)}

    def _text(self):
        return "\n".join([f"Asymptotic learning curve, L = {self.L} levels sharing Zipf(alpha), m -> oo:",
                          f"  eps(P) = A P^-({sp.sstr(self.exponent)}) (ln P)^{self.beta} (1 + B/ln P + ...)",
                          f"  A = {sp.sstr(self.A)}", f"  B = {sp.sstr(self.B)}"])

    def numeric_coeffs(self, alpha, n_c=10, m=None):
        """Float coefficients of ``(ln P)**(L-1-j)``; ``m`` normalises the levels by ``Z_m`` instead of
        ``zeta(1+alpha)`` (the finite-m normalisation; the counting is still m = oo)."""
        alpha = _v.real("alpha", alpha, lo=0, lo_open=True)
        n_c = _v.integer("n_c", n_c, lo=1)
        c = np.array([float(f(alpha, n_c)) for f in self.coeff_fns])
        if m is not None:
            # C**(1/k) e**(-t ln C) depends on ln C: re-expand with ln C_m (exact: polynomial shift in lam)
            k = 1.0 + alpha
            dlog_c = -self.L * (math.log(float(zipf_normaliser(alpha, m))) - math.log(float(zipf_normaliser(alpha))))
            # P**-b C**(1/k) poly(lam + ln C) : shifting ln C by d multiplies by e**(d/k) and shifts lam by d
            c = _shift_poly(c, dlog_c) * math.exp(dlog_c / k)
        return c

    def eps(self, alpha, P, n_c=10, terms=None, m=None):
        """Numeric asymptote: the first ``terms`` powers of ``ln P`` (default all ``L``)."""
        P = _v.real_array("P", P, lo=1, lo_open=True)
        terms = self.L if terms is None else _v.integer("terms", terms, lo=1, hi=self.L)
        c = self.numeric_coeffs(alpha, n_c, m)
        lam = np.log(P)
        b = alpha / (1.0 + alpha)
        poly = sum(c[j] * lam ** (self.L - 1 - j) for j in range(terms))
        return P**-b * poly

    def local_exponent(self, alpha, P, n_c=10, m=None):
        """``-d ln eps/d ln P`` of the full main term: ``b - poly'(ln P)/poly(ln P)``."""
        P = _v.real_array("P", P, lo=1, lo_open=True)
        c = self.numeric_coeffs(alpha, n_c, m)
        lam = np.log(P)
        deg = self.L - 1
        poly = sum(c[j] * lam ** (deg - j) for j in range(self.L))
        dpoly = sum(c[j] * (deg - j) * lam ** (deg - j - 1) for j in range(self.L - 1))
        return alpha / (1.0 + alpha) - dpoly / poly

    def plot(self, ax=None, alpha=1.0, n_c=10, P=None, **kw):
        """The truncations (leading, +1 correction, full main term) on log-log axes. Returns the axes."""
        ax = new_axes(ax)
        P = np.geomspace(1e2, 1e12, 200) if P is None else np.asarray(P, dtype=float)
        for t in range(1, self.L + 1):
            ax.loglog(P, self.eps(alpha, P, n_c, terms=t), label=f"{t} term{'s' * (t > 1)}", **kw)
        ax.set_xlabel("P")
        ax.set_ylabel("ε(P) asymptote")
        ax.legend(fontsize=8)
        return set_title(ax, f"asymptotic ε(P), L = {self.L}, α = {alpha:g}")


def _shift_poly(c, d):
    """Coefficients (descending powers) of ``poly(lam + d)``."""
    deg = len(c) - 1
    asc = np.asarray(c, dtype=float)[::-1]
    out = np.zeros(deg + 1)
    for p, cp in enumerate(asc):
        for q in range(p + 1):
            out[q] += cp * math.comb(p, q) * d ** (p - q)
    return out[::-1]


@_checked_L_cache
def asymptotic_learning_curve(L):
    """Derive the large-P learning curve of L levels sharing ``Zipf(alpha)`` (``m -> oo``) with sympy.

    The residue of ``P**-z n_c**z Gamma(z) C**(1-z) zeta((1+alpha)(1-z))**L`` at its pole of order L,
    ``z = b = alpha/(1+alpha)``, with ``C = zeta(1+alpha)**-L`` (see the module docstring).

    Parameters
    ----------
    L : int
        Depth, 1 <= L <= 8.

    Returns
    -------
    AsymptoticCurve

    Examples
    --------
    >>> from scalinglab.theory.rhm import asymptotic_learning_curve
    >>> ac = asymptotic_learning_curve(3)
    >>> ac.beta                       # eps ~ A P^-(alpha/(1+alpha)) (ln P)^2
    2
    >>> ac.A                          # Gamma(b) n_c^b zeta(1+alpha)^(-L/(1+alpha)) / ((1+alpha)^L (L-1)!)
    n_c**(alpha/(alpha + 1))*gamma(alpha/(alpha + 1) + 1)/(2*alpha*(alpha + 1)**2*zeta(alpha + 1)**(3/(alpha + 1)))
    """
    L = check_int("L", L, lo=1, hi=MAX_L)
    a, nc = sp.symbols("alpha n_c", positive=True)
    lam, t, s, kk, w = sp.symbols("lambda t s k w")
    G = sp.symbols(f"G0:{L}")  # G_j = Gamma^(j)(b)/j!
    # the algebra on plain symbols (k, G_j, w = ln C - ln n_c) is fast; alpha goes in at the end
    poly = _pole_polynomial(L, kk, G, [], lam, w, 0, t)
    k = 1 + a
    b = a / (1 + a)
    pref = nc**b * sp.zeta(k) ** (-L / k)  # n_c**b C**(1/k)
    subs = {kk: k, w: -L * sp.log(sp.zeta(k)) - sp.log(nc)}
    subs.update({G[j]: sp.diff(sp.gamma(s), s, j).subs(s, b) / sp.factorial(j) for j in range(L)})
    p = sp.Poly(poly, lam)
    raw = [p.coeff_monomial(lam ** (L - 1 - j)) for j in range(L)]
    coeffs = tuple(pref * c.subs(subs) for c in raw)
    A = sp.simplify(coeffs[0])
    # B = raw1/raw0 holds Gamma only through G1/G0 = polygamma(0, b)
    B = (sp.expand(raw[1] / raw[0]).subs(G[1], G[0] * sp.polygamma(0, s)).subs(subs).subs(s, b)
         if L > 1 else sp.Integer(0))
    B = sp.collect(sp.expand(sp.simplify(B)), [sp.EulerGamma, sp.log(nc)]) if L > 1 else B
    consts = {sp.stieltjes(n): sp.Float(sp.N(sp.stieltjes(n), _DIGITS), _DIGITS) for n in range(1, L)}
    consts[sp.EulerGamma] = sp.Float(sp.N(sp.EulerGamma, _DIGITS), _DIGITS)
    fns = tuple(sp.lambdify((a, nc), c.subs(consts), modules=["mpmath"]) for c in coeffs)
    return AsymptoticCurve(L=L, alpha=a, n_c=nc, lam=lam, exponent=b, beta=L - 1, A=A, B=B, coeffs=coeffs,
                           coeff_fns=fns)


# ----------------------------------------------------------------------------- per-level laws
@dataclass(frozen=True, repr=False)
class LevelsAsymptote(Result):
    """Large-P learning curve for per-level exponents ``alpha_1..alpha_L`` (``m -> oo``).

    ``eps(P) ~ sum_poles P**-b_g sum_p c_{g,p} (ln P)**p``, one pole per distinct exponent
    (``b_g = alpha_g/(1+alpha_g)``, order = its multiplicity).

    Attributes
    ----------
    alphas : tuple of float
    n_c : int
    terms : list of (float, int, float)
        ``(b, p, c)``: the term ``c P**-b (ln P)**p``, sorted from the largest at large P
        (smallest b, then largest p). ``terms[0]`` is the leading term.
    exponent : float
        ``b`` of the leading term: ``min alpha/(1+alpha)``.
    beta : int
        Power of ``ln P`` of the leading term (multiplicity of the smallest alpha, minus 1).
    A : float
        Its coefficient.

    Examples
    --------
    >>> from scalinglab.theory.rhm import asymptotic_learning_curve_levels
    >>> la = asymptotic_learning_curve_levels((1.0, 2.0, 2.0))
    >>> round(la.exponent, 4), la.beta          # the smallest alpha sets the law, no log
    (0.5, 0)
    >>> [(round(b, 3), p) for b, p, c in la.terms]   # first correction: the next pole, P^-(2/3 - 1/2)
    [(0.5, 0), (0.667, 1), (0.667, 0)]
    """

    alphas: tuple
    n_c: int
    terms: list
    exponent: float
    beta: int
    A: float
    m: int | None = None

    _repr_fields = ("alphas", "exponent", "beta", "A")

    def _text(self):
        lines = [f"Asymptotic learning curve, alphas = {self.alphas}, n_c = {self.n_c}, m -> oo:",
                 f"  eps(P) ~ {self.A:.6g} P^-{self.exponent:.6g} (ln P)^{self.beta} + ...",
                 "  terms c P^-b (ln P)^p, largest first:"]
        lines += [f"    b = {b:.6g}  p = {p}  c = {c:.6g}" for b, p, c in self.terms]
        return "\n".join(lines)

    def eps(self, P, terms=None):
        """Sum of the first ``terms`` terms (default all)."""
        P = _v.real_array("P", P, lo=1, lo_open=True)
        n = len(self.terms) if terms is None else _v.integer("terms", terms, lo=1, hi=len(self.terms))
        lam = np.log(P)
        return sum(c * P**-b * lam**p for b, p, c in self.terms[:n])

    def local_exponent(self, P):
        """``-d ln eps/d ln P`` of the full main term."""
        P = _v.real_array("P", P, lo=1, lo_open=True)
        lam = np.log(P)
        e = sum(c * P**-b * lam**p for b, p, c in self.terms)
        de = sum(c * P**-b * (-b * lam**p + (p * lam ** (p - 1) if p else 0.0)) for b, p, c in self.terms)
        return -de / e


def asymptotic_learning_curve_levels(alphas, n_c=10, m=None):
    """Large-P learning curve for per-level Zipf exponents (sympy residues, mpmath constants).

    Parameters
    ----------
    alphas : sequence of float
        One exponent per level (> 0), L = len(alphas) <= 8.
    n_c : int
        Number of classes.
    m : int, optional
        Normalise each level by ``Z_m`` instead of ``zeta(1+alpha)`` (the counting stays m = oo).

    Returns
    -------
    LevelsAsymptote

    Examples
    --------
    >>> from scalinglab.theory.rhm import asymptotic_learning_curve_levels, asymptotic_learning_curve
    >>> la = asymptotic_learning_curve_levels((1.0, 1.0))
    >>> bool(abs(la.eps([1e6])[0] / asymptotic_learning_curve(2).eps(1.0, [1e6])[0] - 1) < 1e-10)
    True
    """
    if isinstance(alphas, (str, bytes, dict)) or not hasattr(alphas, "__iter__"):
        raise _v.InputError(f"alphas must be a list of level exponents, got {alphas!r}")
    alphas = tuple(_v.real("alpha", a, lo=0, lo_open=True) for a in alphas)
    if m is not None:
        m = _v.integer("m", m, lo=1, hi=2**62)
    if not 1 <= len(alphas) <= MAX_L:
        raise _v.InputError(f"alphas must hold 1 to {MAX_L} levels, got {len(alphas)}")
    n_c = _v.integer("n_c", n_c, lo=1, hi=10**15)
    groups = {}
    for a in alphas:
        groups[a] = groups.get(a, 0) + 1
    mpmath.mp.dps = max(mpmath.mp.dps, _DIGITS)
    log_c = -sum(float(mpmath.log(zipf_normaliser(a, m))) for a in alphas)
    t, lam = sp.symbols("t lambda")
    terms = []
    maxn = max(groups.values())
    for ag, n in groups.items():
        kg = 1.0 + ag
        b = ag / kg
        gt = [sp.Float(mpmath.diff(mpmath.gamma, b, j) / mpmath.factorial(j), _DIGITS) for j in range(maxn)]
        others = []
        for ah, nh in groups.items():
            if ah == ag:
                continue
            kh = 1.0 + ah
            s0 = kh / kg  # zeta(k_h (1 - b_g) - k_h t) = zeta(s0 - k_h t), s0 > 1 iff alpha_h > alpha_g
            co = [sp.Float(mpmath.zeta(s0, 1, j) * (-kh) ** j / mpmath.factorial(j), _DIGITS) for j in range(n)]
            others += [co] * nh
        poly = _pole_polynomial(n, sp.Float(kg, _DIGITS), gt, others, lam, sp.Float(log_c, _DIGITS),
                                sp.Float(math.log(n_c), _DIGITS), t)
        pref = n_c**b * math.exp(log_c / kg)
        pl = sp.Poly(poly.subs(sp.EulerGamma, sp.N(sp.EulerGamma, _DIGITS)).subs(
            {sp.stieltjes(j): sp.N(sp.stieltjes(j), _DIGITS) for j in range(1, n)}), lam)
        for p in range(n - 1, -1, -1):
            terms.append((b, p, pref * float(pl.coeff_monomial(lam**p))))
    terms.sort(key=lambda x: (x[0], -x[1]))
    b0, p0, c0 = terms[0]
    return LevelsAsymptote(alphas=alphas, n_c=n_c, terms=terms, exponent=b0, beta=p0, A=c0, m=m)
