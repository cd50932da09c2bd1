"""Sympy derivations behind the kernel / manifold scaling exponents (Bahri et al. 2021).

* :func:`variance_limited_taylor` -- the variance-limited exponent 1: the
  trained model is its infinite-resource limit plus a fluctuation ``delta``
  that is an average of ``N`` i.i.d. contributions (``N = D`` samples, or
  ``N ~ width`` random units); cumulants of such an average scale as
  ``N^(1-r)``; Taylor-expanding a smooth loss and taking expectations gives
  ``L - L_inf = l''(f) sigma^2 / (2 N) + O(N^-2)``.
* :func:`powerlaw_kappa` -- the resolution-limited exponent of a power-law
  spectrum ``lambda_i = i^-b`` (``b = 1 + alpha_K``): the continuum
  self-consistent equation ``n = int_0^inf di / (1 + kappa i^b)`` gives
  ``kappa = (n / c)^-b`` with ``c = int_0^inf du / (1 + u^b) = pi / (b sin(pi/b))``,
  and the loss ``g = kappa n / S ~ n^-(b-1) = n^-alpha_K``.
* :func:`eigenlearning_identity` -- for ridgeless regression with target
  power proportional to the eigenvalue, ``E0 sum lambda (1-L)^2 = kappa n``
  (the identity that makes the eigenlearning error equal to the random-
  projection residual ``g(n)``, i.e. the ``D <-> P`` duality).
* :func:`piecewise_linear_mse` -- the ``4/d`` estimate: a piecewise-linear
  interpolant on cells of size ``h`` misses a smooth target by
  ``f''/2 (x - a)(x - b)``, whose mean square is ``f''^2 h^4 / 120``; with
  ``h ~ D^-1/d`` the MSE decays as ``D^-4/d``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from scalinglab import _validation as _v
from scalinglab._results import Result

__all__ = ["SymbolicResult", "variance_limited_taylor", "powerlaw_kappa", "eigenlearning_identity",
           "piecewise_linear_mse"]


@dataclass(frozen=True, repr=False)
class SymbolicResult(Result):
    """A derived expression and the exponent read off from it.

    Attributes
    ----------
    expression : sympy.Expr
        The derived leading behaviour.
    exponent : sympy.Expr
        Decay exponent ``-d log(expr) / d log(x)`` as ``x -> inf``.
    variable : sympy.Symbol
        The scaling variable ``x``.
    details : dict
        Intermediate results (as sympy objects).

    Examples
    --------
    >>> from scalinglab.theory.spectral import powerlaw_kappa
    >>> r = powerlaw_kappa()
    >>> r.exponent, r.variable
    (b - 1, n)
    """

    expression: object
    exponent: object
    variable: object
    details: dict

    _repr_fields = ("expression", "exponent", "variable")

    def _text(self):
        lines = [f"{sp.sstr(self.expression)}  (decay exponent in {self.variable}: {sp.sstr(self.exponent)})"]
        lines += [f"  {k}: {sp.sstr(v)}" for k, v in self.details.items()]
        return "\n".join(lines)


def _decay_exponent(expr, x):
    return sp.simplify(sp.limit(-x * sp.diff(expr, x) / expr, x, sp.oo))


def variance_limited_taylor(order=4):
    """Variance-limited scaling ``L(N) - L(inf) ~ N^-1`` from a Taylor expansion.

    ``delta = (1/N) sum_k xi_k`` with i.i.d. ``xi`` of cumulants ``c_r``
    (``c_1 = 0``: the model is unbiased about its limit); the cumulants of
    ``delta`` are ``c_r N^(1-r)``; moments follow from the cumulant generating
    function. The loss ``l(f + delta)`` is expanded to ``order`` and averaged.

    Returns
    -------
    SymbolicResult
        ``expression`` = ``E l(f + delta) - l(f)`` up to ``O(N^-2)``, exponent 1.

    Examples
    --------
    >>> from scalinglab.theory.spectral import variance_limited_taylor
    >>> r = variance_limited_taylor()
    >>> r.exponent                        # L(N) - L(inf) ~ N^-1
    1
    """
    order = _v.integer("order (>= 2: the first non-vanishing term is quadratic)", order, lo=2, hi=8)
    N = sp.symbols("N", positive=True)
    t = sp.symbols("t")
    f = sp.symbols("f", real=True)
    ell = sp.Function("ell")
    c = sp.symbols(f"c1:{order + 1}", real=True)
    cgf = sum((c[r - 1] if r > 1 else 0) * N ** (1 - r) * t**r / sp.factorial(r) for r in range(1, order + 1))
    mgf = sp.series(sp.exp(cgf), t, 0, order + 1).removeO()
    moments = [sp.expand(sp.diff(mgf, t, r).subs(t, 0)) for r in range(order + 1)]
    dl = sp.symbols("delta")
    taylor = sum(sp.diff(ell(f), f, r) * dl**r / sp.factorial(r) for r in range(order + 1))
    expect = sp.expand(taylor).subs({dl**r: moments[r] for r in range(order, 0, -1)})
    expect = sp.expand(expect.subs(dl, moments[1]))
    excess = sp.expand(expect - ell(f))
    leading = sp.limit(excess * N, N, sp.oo)
    expected_leading = sp.diff(ell(f), f, 2) * c[1] / 2
    assert sp.simplify(leading - expected_leading) == 0
    lead_expr = leading / N
    return SymbolicResult(expression=lead_expr, exponent=_decay_exponent(lead_expr, N), variable=N,
                          details={"excess_loss": excess, "moments": moments[: order + 1],
                                   "first_moment": moments[1], "second_moment": moments[2]})


def powerlaw_kappa(b=None):
    """Continuum solution of the ridgeless equation for ``lambda_i = i^-b``.

    Parameters
    ----------
    b : sympy number or None
        Spectrum exponent ``1 + alpha_K`` (> 1); symbolic when None.

    Returns
    -------
    SymbolicResult
        ``expression`` = the loss ``g(n) = kappa n / S`` (with ``S = 1``),
        ``exponent`` = ``b - 1 = alpha_K``; details hold ``c`` and ``kappa(n)``.

    Examples
    --------
    >>> from scalinglab.theory.spectral import powerlaw_kappa
    >>> import sympy
    >>> powerlaw_kappa(sympy.Integer(2)).exponent       # b = 2: loss exponent b - 1 = alpha_K = 1
    1
    """
    u, n, kappa, i = sp.symbols("u n kappa i", positive=True)
    if b is not None and not isinstance(b, sp.Basic):
        b = _v.real("the spectrum exponent b = 1 + alpha_K", b, lo=1, lo_open=True, hi=1e6)
    bb = sp.symbols("b", positive=True) if b is None else sp.nsimplify(b)
    if b is not None and not bb > 1:
        raise _v.InputError("the spectrum exponent b = 1 + alpha_K must exceed 1")
    c = sp.integrate(1 / (1 + u**bb), (u, 0, sp.oo), conds="none")
    # n = int_0^inf di lambda/(lambda + kappa) = int di / (1 + kappa i^b); i = kappa^(-1/b) u
    lhs = sp.integrate(1 / (1 + u**bb), (u, 0, sp.oo), conds="none") * kappa ** (-1 / bb)
    sol = sp.solve(sp.Eq(lhs, n), kappa)
    if len(sol) != 1:
        raise RuntimeError(f"expected one solution for kappa, got {sol}")
    kap = sp.simplify(sol[0])
    loss = sp.simplify(kap * n)
    if b is None:
        expo = sp.simplify(-n * sp.diff(loss, n) / loss)
    else:
        expo = _decay_exponent(loss, n)
    return SymbolicResult(expression=loss, exponent=expo, variable=n, details={"c": sp.simplify(c), "kappa": kap})


def eigenlearning_identity(n_modes=3):
    """Check ``E0 sum lambda (1-L)^2 = kappa n`` for ``n_modes`` symbolic eigenvalues.

    With ``L_i = lambda_i/(lambda_i + kappa)``, ``n = sum L_i`` (ridgeless)
    and ``E0 = n / (n - sum L_i^2)``: the eigenlearning test error for target
    power ``v_i^2 = lambda_i`` equals ``kappa n = sum lambda_i (1 - L_i)``.

    Returns
    -------
    sympy.Expr
        The simplified difference (zero when the identity holds).

    Examples
    --------
    >>> from scalinglab.theory.spectral import eigenlearning_identity
    >>> eigenlearning_identity(2)         # E0 sum lambda (1-L)^2 - kappa n simplifies to 0
    0
    """
    n_modes = _v.integer("n_modes", n_modes, lo=1, hi=6)
    lam = sp.symbols(f"lambda1:{n_modes + 1}", positive=True)
    kappa = sp.symbols("kappa", positive=True)
    L = [l / (l + kappa) for l in lam]
    n = sum(L)
    e0 = n / (n - sum(x**2 for x in L))
    lhs = e0 * sum(l * (1 - x) ** 2 for l, x in zip(lam, L))
    rhs = kappa * n
    return sp.simplify(sp.together(lhs - rhs))


def piecewise_linear_mse(d=None):
    """MSE of piecewise-linear interpolation on cells of size ``h = D^-1/d``.

    Returns
    -------
    SymbolicResult
        ``expression`` = ``f''^2 h^4 / 120`` with ``h = D^-1/d``;
        ``exponent`` = ``4/d``.

    Examples
    --------
    >>> from scalinglab.theory.spectral import piecewise_linear_mse
    >>> piecewise_linear_mse(4).exponent    # 4/d
    1
    """
    x, h, D, f2 = sp.symbols("x h D f2", positive=True)
    if d is not None and not isinstance(d, sp.Basic):
        d = _v.positive("d", d)
    dd = sp.symbols("d", positive=True) if d is None else sp.nsimplify(d)
    err = f2 / 2 * x * (x - h)  # interpolation error inside one cell [0, h]
    mse_h = sp.simplify(sp.integrate(err**2, (x, 0, h)) / h)
    mse_D = mse_h.subs(h, D ** (-1 / dd))
    expo = sp.simplify(-D * sp.diff(mse_D, D) / mse_D)
    return SymbolicResult(expression=mse_D, exponent=expo, variable=D, details={"mse_of_h": mse_h})
