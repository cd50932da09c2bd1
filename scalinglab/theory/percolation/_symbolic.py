"""Sympy derivations of the Bethe-lattice percolation exponents.

Each exponent is obtained from the exact closed forms, not typed in:

* ``tau``: Stirling's series for ``log n_s`` at large ``s``; ``tau`` is minus
  the coefficient of ``log s`` (the ``s``-linear part is ``s log c(p)``).
  The same expansion gives the amplitude ``A`` of ``n_s ~ A s^-tau c^s``.
* ``sigma``: ``log c(p)`` vanishes at ``p_c`` to second order, so
  ``1/s_xi = -log c ~ (p-p_c)^2`` and ``1/sigma = 2``.
* ``beta``: series of ``P_inf = p(1-Q^z)`` at ``p_c + eps`` (``Q`` from the
  fixed-point equation, as an implicit series).
* ``gamma``: pole order of ``S(p) = (1+p)/(1-(z-1)p)`` at ``p_c``.
* ``nu`` and the fractal dimension: embed the tree by a random walk (each bond
  a step of unit mean square length); the squared correlation length is
  ``xi^2 = sum_l l g(l) / sum_l g(l)`` with ``g(l) = z (z-1)^(l-1) p^l`` sites at
  chemical distance ``l`` (mean square distance ``l``); ``xi^2 ~ |p-p_c|^-1``
  so ``nu = 1/2``; ``D = 1/(sigma nu) = 4``. The chemical-distance analogue
  (``xi_l ~ |p-p_c|^-1``) gives the chemical dimension ``1/(sigma nu_l) = 2``.
"""

from __future__ import annotations

import sympy as sp

from scalinglab._util import check_int

__all__ = ["stirling_log_ns", "derive_tau", "derive_sigma", "derive_beta", "derive_gamma",
           "derive_nu", "derive_exponents", "asymptotic_amplitude"]

s, p, eps = sp.symbols("s p epsilon", positive=True)

#: Largest coordination number of the derivations (about 2 s at the limit; 5 s at z = 3000, growing).
MAX_Z = 1000


def _check_z(z):
    return check_int("z", z, lo=3, hi=MAX_Z)


def _stirling_loggamma(x, terms=2):
    """``log Gamma(x + 1)`` by Stirling's series with ``terms`` correction terms."""
    out = x * sp.log(x) - x + sp.log(2 * sp.pi * x) / 2
    if terms >= 1:
        out += 1 / (12 * x)
    if terms >= 2:
        out -= 1 / (360 * x**3)
    return out


def stirling_log_ns(z, terms=2):
    """Large-``s`` form of ``log n_s``: Stirling applied to each factorial.

    The ``(z-2)s+2`` factorial is written ``Gamma(t+1)`` with
    ``t = (z-2)s + 2`` and expanded as ``log Gamma(m + 3)`` with
    ``m = (z-2)s``, i.e. ``log Gamma(m+1) + log((m+1)(m+2))``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import stirling_log_ns
    >>> stirling_log_ns(3)      # doctest: +ELLIPSIS
    2*s*(log(s) + log(2)) + s*log(p) - 2*s*log(s) + (s + 2)*log(1 - p) - log(s)/2 - log(s + 1) - log(s + 2) - log(pi)/2 + log(3) - 1/(8*s) + 1/(192*s**3)
    """
    z = _check_z(z)
    terms = check_int("terms", terms, lo=0, hi=20)
    z = sp.Integer(z)
    m = (z - 2) * s
    expr = (sp.log(z) + _stirling_loggamma((z - 1) * s, terms) - _stirling_loggamma(s, terms)
            - (_stirling_loggamma(m, terms) + sp.log((m + 1) * (m + 2)))
            + s * sp.log(p) + ((z - 2) * s + 2) * sp.log(1 - p))
    return sp.expand_log(expr, force=True)


def derive_tau(z=3):
    """``tau = -lim (log n_s - s log c(p)) / log s`` with ``log n_s`` in Stirling form.

    The ``s``-linear part ``s log c(p)`` collects the exponential growth of the
    factorials; what grows like ``log s`` after removing it is ``-tau log s``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import derive_tau
    >>> derive_tau(3)
    5/2
    """
    z = _check_z(z)
    zz = sp.Integer(z)
    c = p * (1 - p) ** (zz - 2) * (zz - 1) ** (zz - 1) / (zz - 2) ** (zz - 2)
    rest = stirling_log_ns(z, terms=0) - s * sp.expand_log(sp.log(c), force=True)
    return sp.nsimplify(-sp.limit(sp.expand(rest) / sp.log(s), s, sp.oo))


def asymptotic_amplitude(z=3):
    """Amplitude ``A(p)`` of ``n_s ~ A s^-tau c(p)^s`` from the Stirling form.

    Examples
    --------
    >>> from scalinglab.theory.percolation import asymptotic_amplitude
    >>> asymptotic_amplitude(3)
    3*(p - 1)**2/sqrt(pi)
    """
    z = _check_z(z)
    z = sp.Integer(z)
    tau = derive_tau(z)
    c = p * (1 - p) ** (z - 2) * (z - 1) ** (z - 1) / (z - 2) ** (z - 2)
    lead = sp.expand(stirling_log_ns(z, terms=0) + tau * sp.log(s)
                     - s * sp.expand_log(sp.log(c), force=True))
    # the p-dependence is the constant 2 log(1-p) of the perimeter factor
    logA = sp.limit(lead - 2 * sp.log(1 - p), s, sp.oo)
    return sp.simplify((1 - p) ** 2 * sp.exp(logA))


def derive_sigma(z=3):
    """``sigma`` from the order of the zero of ``log c(p)`` at ``p_c``: ``1/sigma`` = order.

    Examples
    --------
    >>> from scalinglab.theory.percolation import derive_sigma
    >>> derive_sigma(3)
    1/2
    """
    z = _check_z(z)
    z = sp.Integer(z)
    pc = 1 / (z - 1)
    logc = sp.log(p) + (z - 2) * sp.log(1 - p) + (z - 1) * sp.log(z - 1) - (z - 2) * sp.log(z - 2)
    ser = sp.series(logc.subs(p, pc + eps), eps, 0, 4).removeO()
    order = min(sp.Poly(ser, eps).monoms())[0] if ser != 0 else None
    return sp.Rational(1, order)


def derive_beta(z=3):
    """``beta``: leading power of ``P_inf(p_c + eps)``.

    ``Q = 1 - x`` with ``x`` the non-trivial root of
    ``1 - x = 1 - p + p (1-x)^(z-1)``; we expand ``x = a eps + b eps^2 ...``
    (undetermined coefficients), then ``P_inf = p (1 - (1-x)^z)``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import derive_beta
    >>> derive_beta(3)
    1
    """
    z = _check_z(z)
    z = sp.Integer(z)
    pc = 1 / (z - 1)
    a, b = sp.symbols("a b")
    x = a * eps + b * eps**2
    pp = pc + eps
    eq = sp.expand(sp.series(-x - (-pp + pp * (1 - x) ** (z - 1)), eps, 0, 4).removeO())
    # order eps terms vanish identically; solve the eps^2 coefficient for a != 0
    c2 = eq.coeff(eps, 2)
    sols = [v for v in sp.solve(c2, a) if v != 0]
    a_val = sols[0]
    pinf = sp.series((pp * (1 - (1 - x) ** z)).subs(a, a_val), eps, 0, 3).removeO()
    lead = min(sp.Poly(sp.expand(pinf), eps).monoms())[0]
    return sp.Integer(lead)


def derive_gamma(z=3):
    """``gamma``: order of the pole of ``S(p) = (1+p)/(1-(z-1)p)`` at ``p_c``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import derive_gamma
    >>> derive_gamma(3)
    1
    """
    z = _check_z(z)
    z = sp.Integer(z)
    pc = 1 / (z - 1)
    S = (1 + p) / (1 - (z - 1) * p)
    order = sp.degree(sp.denom(sp.together(S.subs(p, pc - eps))), eps)
    return sp.Integer(order)


def derive_nu(z=3, chemical=False):
    """``nu`` of the random-walk embedding (``chemical=True``: of the chemical distance).

    ``xi^2 = sum_l w(l) g(l) / sum_l g(l)`` with ``g(l) = z (z-1)^(l-1) p^l``,
    ``w(l) = l`` (mean square Euclidean distance of an ``l``-step random walk)
    or ``w(l) = l^2`` (chemical distance squared); ``nu`` is half the pole order.

    Examples
    --------
    >>> from scalinglab.theory.percolation import derive_nu
    >>> derive_nu(3), derive_nu(3, chemical=True)
    (1/2, 1)
    """
    z = _check_z(z)
    z = sp.Integer(z)
    l = sp.Symbol("l", integer=True, positive=True)  # noqa: E741
    g = z * (z - 1) ** (l - 1) * p**l
    w = l**2 if chemical else l
    num = sp.simplify(sp.summation(w * g, (l, 1, sp.oo)).rewrite(sp.Piecewise))
    den = sp.simplify(sp.summation(g, (l, 1, sp.oo)))
    # pick the convergent branch (|(z-1)p| < 1)
    if isinstance(num, sp.Piecewise):
        num = num.args[0][0]
    if isinstance(den, sp.Piecewise):
        den = den.args[0][0]
    xi2 = sp.simplify(num / den)
    pc = 1 / (z - 1)
    order = sp.degree(sp.denom(sp.together(sp.simplify(xi2.subs(p, pc - eps)))), eps)
    return sp.Rational(order, 2)


def derive_exponents(z=3):
    """All exponents as sympy Rationals, derived from the closed forms for coordination ``z``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import derive_exponents
    >>> derive_exponents(3)
    {'tau': 5/2, 'sigma': 1/2, 'beta': 1, 'gamma': 1, 'nu': 1/2, 'fractal_dim': 4, 'chemical_dim': 2}
    """
    z = _check_z(z)
    tau = derive_tau(z)
    sigma = derive_sigma(z)
    nu = derive_nu(z)
    nu_l = derive_nu(z, chemical=True)
    return {"tau": tau, "sigma": sigma, "beta": derive_beta(z), "gamma": derive_gamma(z), "nu": nu,
            "fractal_dim": 1 / (sigma * nu), "chemical_dim": 1 / (sigma * nu_l)}
