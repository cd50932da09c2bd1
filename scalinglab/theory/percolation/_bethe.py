"""Exact site percolation on the Bethe lattice (Cayley tree without boundary).

Definitions (site percolation, coordination number ``z >= 3``, every site
occupied independently with probability ``p``):

* threshold ``p_c = 1/(z-1)``;
* cluster numbers per site (Fisher & Essam 1961)

  ``n_s(p) = z ((z-1)s)! / (s! ((z-2)s+2)!) p^s (1-p)^((z-2)s+2)``,

  the mean number of clusters of exactly ``s`` sites per lattice site; the
  perimeter of an ``s``-cluster is always ``t = (z-2)s + 2``. Evaluated in log
  space with ``gammaln`` so that ``s`` may reach 10^9 and beyond;
* ``P_inf(p) = p (1 - Q^z)``: probability that a site belongs to the infinite
  cluster, with ``Q`` the smallest root of ``Q = 1 - p + p Q^(z-1)`` (the
  probability that one branch hanging off an occupied site is finite);
* mean (finite) cluster size ``S(p) = sum_s s^2 n_s / sum_s s n_s``, the mean
  size of the finite cluster containing an occupied site; below ``p_c``
  ``S = (1+p)/(1-(z-1)p)``;
* cutoff size ``s_xi(p) = -1/log(c(p))`` with
  ``c(p) = p (1-p)^(z-2) (z-1)^(z-1) / (z-2)^(z-2)``, so that
  ``n_s ~ A s^-tau exp(-s/s_xi)`` for large ``s``;
* exponents (mean field): ``tau = 5/2``, ``sigma = 1/2`` (``s_xi ~
  |p-p_c|^(-1/sigma)``), ``beta = 1``, ``gamma = 1``, ``nu = 1/2`` (for
  the random-walk embedding of the tree), fractal dimension ``D = 1/(sigma nu)
  = 4`` (chemical dimension 2). :mod:`scalinglab.theory.percolation._symbolic`
  derives each of them with sympy.

Sums over ``s`` (:func:`cluster_moment`) add the exact terms up to ``s_max``
and the rest by quadrature of the same summand with the Euler-Maclaurin end
correction, plus an analytic asymptotic tail beyond ``s_max``; this reproduces
the identities ``sum_s s n_s = p`` (``p <= p_c``) and ``p - P_inf`` (``p > p_c``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaincc, gammaln, gamma as gamma_fn

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, set_title
from scalinglab._util import check_int
from scalinglab.errors import InputError

__all__ = [
    "TAU", "SIGMA", "BETA", "GAMMA", "NU", "FRACTAL_DIM", "CHEMICAL_DIM",
    "critical_p", "log_cluster_numbers", "cluster_numbers", "asymptotic_prefactor",
    "cutoff_size", "branch_finite_prob", "branch_infinite_prob", "p_infinity", "mean_cluster_size",
    "cluster_moment", "size_biased_pmf", "BetheStats", "bethe_stats", "BetheExponents",
    "bethe_exponents", "lattice_clusters",
]

#: Largest memory of :func:`lattice_clusters` (occupancy, labels and the labelling's work arrays).
MAX_LATTICE_BYTES = 2 * 2**30

TAU = 2.5
SIGMA = 0.5
BETA = 1.0
GAMMA = 1.0
NU = 0.5
FRACTAL_DIM = 4.0
CHEMICAL_DIM = 2.0


#: Largest coordination number (a sanity bound: the formulas hold for any z, floats do not).
MAX_Z = 10**9


def _check_zp(z, p):
    z = check_int("z", z, lo=3, hi=MAX_Z)
    p = _v.probability("p", p)
    return z, p


def _eps(p, z):
    """``p - p_c``, the small parameter near p_c: exact (one rounding) with ``p_c = 1/(z-1)`` taken exactly,
    except that the float nearest to ``p_c`` (``1/(z-1)`` as typed) counts as ``p_c`` itself (0)."""
    if p == 1.0 / (z - 1):
        return 0.0
    return float(Fraction(p) - Fraction(1, z - 1))


def _pow1m(x, k):
    """``(1 - x)**k`` for ``0 <= x <= 1`` through log1p (exact digits for small x, 0 at x = 1)."""
    return 0.0 if x >= 1.0 else math.exp(k * math.log1p(-x))


def _one_minus_pow1m(x, k):
    """``1 - (1 - x)**k`` without cancellation for small x (1 at x = 1)."""
    return 1.0 if x >= 1.0 else -math.expm1(k * math.log1p(-x))


def _branch_sum(x, n):
    """``T(x) = sum_{k=1}^{n} (1 - (1-x)**k)`` without cancellation for small x.

    ``T = sum_j (-1)**(j+1) C(n+1, j+1) x**j`` (a short series while ``n x``
    is small), else the closed form ``n - (1-x)(1 - (1-x)**n)/x``.
    """
    if n * x < 0.1:
        out, term, j = 0.0, 1.0, 1
        while True:
            term = math.comb(n + 1, j + 1) * x**j if j < 60 else 0.0
            out += term if j % 2 else -term
            if term <= 1e-18 * abs(out) or j >= 60:
                return out
            j += 1
    return n - (1.0 - x) * (1.0 - _pow1m(x, n)) / x


def _one_minus_Q(p, z):
    """``x = 1 - Q`` accurately (relative 1e-15), also next to p_c where ``Q`` rounds to 1.

    ``Q = 1 - x`` solves ``Q = 1 - p + p Q**(z-1)``; dividing out the root
    ``x = 0`` leaves ``g(x) = (z-1)(p - p_c) - p T(x) = 0`` with ``T`` from
    :func:`_branch_sum`: both terms are O(p - p_c) and computed to full
    relative precision, so Brent's method finds x to ~1e-15 relative however
    close p is to p_c (at 1e-14 the direct fixed-point form loses every digit).
    """
    eps = _eps(p, z)
    if eps <= 0:
        return 0.0
    if z == 3:
        return 2.0 * eps / p  # Q = (1-p)/p exactly; 2 eps = 2p - 1 is exact
    a = (z - 1) * eps
    g = lambda x: a - p * _branch_sum(x, z - 2)  # noqa: E731  decreasing, g(0+) > 0 > g(1) = p - 1
    guess = 2.0 * eps / (p * (z - 2))
    hi = min(1.0, 4.0 * guess)
    if g(hi) > 0:
        hi = 1.0
        if g(hi) >= 0:  # the root is within rounding of x = 1 (p -> 1, Q ~ 1 - p): iterate Q itself, no cancellation
            q = 0.0
            for _ in range(200):
                q = (1.0 - p) + p * q ** (z - 1)
            return 1.0 - q
    return brentq(g, 0.0, hi, xtol=1e-300, rtol=1e-15, maxiter=500)


def _log_c(p, z):
    """``log c(p)`` to full relative precision (a few ulp), also next to p_c where it vanishes like (p - p_c)**2.

    With ``a = (z-1)(p - p_c)`` (exact up to two roundings),
    ``log c = log1p(a) + (z-2) log1p(-a/(z-2))``: the first-order terms cancel, so for
    ``|a| < 1/2`` the series ``sum_{n>=2} a**n ((-1)**(n+1) - (z-2)**(1-n)) / n`` is summed
    instead (no cancellation at all); for ``a >= 1/2`` the log1p form loses at most a factor 4;
    for ``a <= -1/2`` (p down to the smallest float) and ``p > 1/2`` (where ``1 - p`` may be tiny)
    ``log p + log(z-1) + (z-2) (log1p(-p) + log1p(1/(z-2)))``, which cancels at most a factor 4 too. The textbook form ``log p + (z-2) log(1-p) + (z-1) log(z-1) - (z-2) log(z-2)``
    cancels two terms of size ``z log z``: at z = 1000 it lost 1e-12 absolute, a factor e in
    ``n_s`` at s = 10^12.
    """
    a = (z - 1) * _eps(p, z)
    if a == 0.0:
        return 0.0
    if abs(a) < 0.5:
        out, n, an = 0.0, 2, a * a
        while True:
            term = an * ((1.0 if n % 2 else -1.0) - (z - 2.0) ** (1 - n)) / n
            out += term
            if 2.0 * abs(an) / n <= 1e-18 * abs(out) or n > 400:  # a bound on every later term (some are 0)
                return out
            n += 1
            an *= a
    if p > 0.5 or a < 0:  # 1 - p tiny, or p far below p_c (a -> -1: log1p(a) would lose p's digits)
        return math.log(p) + math.log(z - 1) + (z - 2) * (math.log1p(-p) + math.log1p(1.0 / (z - 2)))
    return math.log1p(a) + (z - 2) * math.log1p(-a / (z - 2))


def critical_p(z):
    """Percolation threshold ``p_c = 1/(z-1)`` of the Bethe lattice of coordination ``z``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import critical_p
    >>> critical_p(3), critical_p(5)
    (0.5, 0.25)
    """
    z = check_int("z", z, lo=3, hi=MAX_Z)
    return 1.0 / (z - 1)


def log_cluster_numbers(s, p, z=3):
    """``log n_s(p)`` for cluster sizes ``s >= 1`` (any array shape), in float64.

    Parameters
    ----------
    s : array_like of int or float
        Cluster sizes (number of sites), ``>= 1``; floats are allowed for the
        analytic continuation used in quadrature.
    p : float
        Site occupation probability, ``0 < p < 1``.
    z : int
        Coordination number, ``>= 3``.

    Returns
    -------
    numpy.ndarray
        ``log z + lnG((z-1)s+1) - lnG(s+1) - lnG((z-2)s+3) + s log p +
        ((z-2)s+2) log(1-p)``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import log_cluster_numbers
    >>> log_cluster_numbers([1, 1e12], 0.5).round(3)     # exact in log space at s = 10^12
    array([ -2.773, -69.938])
    """
    z, p = _check_zp(z, p)
    shape = np.shape(s)
    s = _v.real_array("cluster sizes", np.ravel(s), lo=1, min_size=0).reshape(shape)
    return _log_ns(s, p, z)


# Below this size the sizes are summed exactly (integers: a product of at most 17 factors) or by gammaln
# (non-integer sizes, the analytic continuation); from it on the Stirling series of the three factorials, to
# the 1/x**13 term, is exact to ~1e-21 absolute (its next term is 3617/122400 x**-15) and the factorial growth
# cancels analytically. gammaln itself loses digits at large arguments: gammaln(1e7) ~ 1.5e8 carries an
# absolute rounding error ~2e-8, which was the whole error of n_s at z = 1000, s = 10^4.
_STIRLING_FROM = 20.0

#: Bernoulli coefficients B_2k / (2k (2k-1)) of Stirling's series of ln Gamma(x+1), k = 1..7.
_STIRLING_COEF = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)


def _log_ns(s, p, z):
    """``ln n_s`` on a float array of sizes ``s >= 1`` (validated by the caller)."""
    big = s >= _STIRLING_FROM
    out = np.empty_like(s)
    out[big] = _log_ns_stirling(s[big], p, z)
    small = ~big
    if np.any(small):
        ss = s[small]
        whole = ss == np.floor(ss)
        res = _log_ns_gammaln(ss, p, z)
        if np.any(whole):
            res[whole] = _log_ns_small_table(p, z)[ss[whole].astype(np.int64)]
        out[small] = res
    return out


def _log_ns_small_table(p, z):
    """``ln n_s`` of the integer sizes ``s < _STIRLING_FROM`` (index s; index 0 unused), summed exactly.

    ``((z-1)s)! / ((z-2)s+2)!`` is ``1/z`` at s = 1 and the product of the s - 2 integers
    ``(z-2)s+3 .. (z-1)s`` above; its log is a short sum of logs (each correct to an ulp), while gammaln of
    ``(z-1)s`` loses ``1e-16 z s log(zs)`` absolute.
    """
    lp, l1p, lz = math.log(p), math.log1p(-p), math.log(z)
    out = [0.0]
    for s in range(1, int(_STIRLING_FROM)):
        m = (z - 2) * s
        ratio = -lz if s == 1 else math.fsum(math.log(m + 2 + i) for i in range(1, s - 1))
        out.append(math.fsum([lz, ratio, -math.lgamma(s + 1.0), s * lp, (m + 2) * l1p]))
    return np.array(out)


def _log_ns_gammaln(s, p, z):
    t = (z - 2) * s + 2.0
    return (math.log(z) + gammaln((z - 1) * s + 1.0) - gammaln(s + 1.0) - gammaln(t + 1.0)
            + s * math.log(p) + t * math.log1p(-p))


def _stirling_tail(x):
    """``ln Gamma(x+1) - (x ln x - x + ln(2 pi x)/2)``: Stirling's series to the ``x**-13`` term (x >= 10)."""
    y = 1.0 / (x * x)
    acc = np.full_like(x, _STIRLING_COEF[-1])
    for c in _STIRLING_COEF[-2::-1]:
        acc = acc * y + c
    return acc / x


def _log_prefactor(p, z):
    """``ln A`` of :func:`asymptotic_prefactor`, term by term (no cancellation)."""
    return (math.log(z) + 2.0 * math.log1p(-p) + 0.5 * math.log1p(1.0 / (z - 2)) - 0.5 * math.log(2 * math.pi)
            - 2.0 * math.log(z - 2))


def _log_ns_stirling(s, p, z):
    """``log A + s log c(p) - 5/2 log s`` + the Stirling corrections of the three factorials and the
    perimeter terms ``-log1p(1/m) - log1p(2/m)`` (``m = (z-2)s``)."""
    m = (z - 2) * s
    corr = (_stirling_tail((z - 1) * s) - _stirling_tail(s) - _stirling_tail(m)
            - np.log1p(1 / m) - np.log1p(2 / m))
    return _log_prefactor(p, z) + s * _log_c(p, z) - 2.5 * np.log(s) + corr


def cluster_numbers(s, p, z=3):
    """``n_s(p)``: clusters of size ``s`` per lattice site (see module docstring).

    Examples
    --------
    >>> from scalinglab.theory.percolation import cluster_numbers
    >>> p = 0.3
    >>> round(float(cluster_numbers(1, p)), 6) == round(p * (1 - p)**3, 6)    # z = 3: a lone site
    True
    >>> cluster_numbers([1, 2, 3], p).round(5)
    array([0.1029 , 0.03241, 0.01361])
    """
    return np.exp(log_cluster_numbers(s, p, z))


def asymptotic_prefactor(p, z=3):
    """``A`` in ``n_s ~ A s^(-5/2) c(p)^s`` (Stirling), ``c(p) = exp(-1/s_xi)``.

    ``A = z (1-p)^2 sqrt((z-1)/(2 pi (z-2))) / (z-2)^2``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import asymptotic_prefactor, cluster_numbers, cutoff_size
    >>> import numpy as np
    >>> p, s = 0.45, 1e4
    >>> A = asymptotic_prefactor(p)
    >>> approx = A * s**-2.5 * np.exp(-s / cutoff_size(p))
    >>> round(float(approx / cluster_numbers(s, p)), 3)     # Stirling: exact up to O(1/s)
    1.0
    """
    z, p = _check_zp(z, p)
    return z * (1 - p) ** 2 * math.sqrt((z - 1) / (2 * math.pi * (z - 2))) / (z - 2) ** 2


def cutoff_size(p, z=3):
    """Correlation (cutoff) cluster size ``s_xi = -1/log c(p)`` (``inf`` exactly at ``p_c``: it diverges).

    ``c(p) = p(1-p)^(z-2) (z-1)^(z-1)/(z-2)^(z-2) <= 1`` with equality only at
    ``p_c``; near ``p_c``, ``s_xi ~ |p - p_c|^(-1/sigma)`` with ``sigma = 1/2``.
    ``log c`` is summed as a series in ``p - p_c`` there (full precision down
    to ``|p - p_c| = 1e-14`` and below).

    >>> round(cutoff_size(0.4), 4)
    24.4966
    """
    z, p = _check_zp(z, p)
    lc = _log_c(p, z)
    if lc == 0.0:  # p == p_c exactly (z = 3, p = 0.5): the cutoff diverges
        return math.inf
    return -1.0 / lc


def branch_finite_prob(p, z=3):
    """``Q``: probability that a branch below an occupied site is finite.

    Smallest root in ``[0, 1]`` of ``Q = 1 - p + p Q^(z-1)``; ``Q = 1`` for
    ``p <= p_c``. Computed as ``1 - x`` with ``x`` from
    :func:`branch_infinite_prob` (accurate next to ``p_c``).

    >>> round(branch_finite_prob(0.75), 12)  # z = 3: Q = (1-p)/p
    0.333333333333
    """
    z, p = _check_zp(z, p)
    x = _one_minus_Q(p, z)
    if x <= 0.5:
        return 1.0 - x
    if z == 3:
        return (1.0 - p) / p  # exact closed form (1 - p is exact for p >= 1/2)
    # Q < 1/2: Newton from Q = 0 on the convex f(Q) = 1 - p + p Q^(z-1) - Q climbs monotonically to the
    # smallest root and keeps Q's relative digits (1 - x would lose them when Q is tiny)
    q = 0.0
    for _ in range(200):
        f = 1.0 - p + p * q ** (z - 1) - q
        step = f / (1.0 - p * (z - 1) * q ** (z - 2))
        q += step
        if step <= 1e-17 * q:
            break
    return q


def branch_infinite_prob(p, z=3):
    """``1 - Q``: probability that a branch below an occupied site is infinite.

    Zero for ``p <= p_c``; ``~ 2 (p - p_c) / (p (z-2))`` just above. Solved
    without cancellation, to ~1e-15 relative precision, however close ``p``
    is to ``p_c`` (``1 - branch_finite_prob`` would lose every digit there).

    >>> branch_infinite_prob(0.625)  # z = 3: 2 (p - p_c) / p
    0.4
    """
    z, p = _check_zp(z, p)
    return _one_minus_Q(p, z)


def p_infinity(p, z=3):
    """``P_inf(p) = p (1 - Q^z)``: fraction of sites in the infinite cluster.

    ``1 - Q^z = -expm1(z log1p(-x))`` with ``x = 1 - Q``, so ``P_inf ~ 2 z
    (p - p_c)/(z-2)`` keeps its digits next to ``p_c``.

    >>> p_infinity(0.75)  # z = 3: p (1 - ((1-p)/p)^3)
    0.7222222222222222
    """
    z, p = _check_zp(z, p)
    x = _one_minus_Q(p, z)
    return p * _one_minus_pow1m(x, z) if x > 0 else 0.0


def mean_cluster_size(p, z=3):
    """Mean size of the finite cluster containing an occupied site, ``sum s^2 n_s / sum s n_s``.

    Closed forms: below ``p_c``, ``(1+p)/(1-(z-1)p)``; above ``p_c``, with
    ``Q`` from :func:`branch_finite_prob`, the finite cluster of an occupied
    site is a root with ``z`` branches each finite (prob. ``Q``); a finite
    branch is distributed as a subcritical branch of the dual occupation
    ``p* = p Q^(z-2)`` (offspring prob. of a conditioned-finite branch), giving
    ``S = 1 + z p*/(1 - (z-1) p*)``. Diverges (``inf``) exactly at ``p_c``;
    both forms are evaluated in ``p - p_c`` (exact) so that no digits cancel
    next to it.

    >>> mean_cluster_size(0.4)  # (1 + p)/(1 - 2p) for z = 3
    7.000000000000001
    """
    z, p = _check_zp(z, p)
    eps = _eps(p, z)
    if eps == 0.0:  # p == p_c exactly: S diverges
        return math.inf
    if eps < 0:
        return (1.0 + p) / (-(z - 1) * eps)  # 1 - (z-1) p = -(z-1)(p - p_c), exact
    x = _one_minus_Q(p, z)
    ps = p * _pow1m(x, z - 2)
    # 1 - (z-1) p Q^(z-2) = (z-1) [p (1 - Q^(z-2)) - (p - p_c)]: both O(p - p_c), no cancellation
    denom = (z - 1) * (p * _one_minus_pow1m(x, z - 2) - eps)
    return 1.0 + z * ps / denom


def cluster_moment(k, p, z=3, s_max=10**9, s_exact=200_000):
    """``sum_{s>=1} s^k n_s(p)`` over finite clusters, to ``s_max`` plus an asymptotic tail.

    Parameters
    ----------
    k : int
        Moment order (``k = 1`` gives the fraction of sites in finite clusters).
    p, z : float, int
        Occupation probability and coordination number.
    s_max : int
        Sizes ``s_exact < s <= s_max`` are summed by Gauss-Legendre quadrature
        in ``log s`` of the exact (gammaln) summand with the Euler-Maclaurin
        end correction ``-f(s_exact)/2 ...``; sizes ``> s_max`` are added
        analytically from the Stirling form ``A s^(k-5/2) c^s`` (an upper
        incomplete gamma function). ``s_max`` is capped at 10^15.
    s_exact : int
        Sizes summed term by term.

    Returns
    -------
    float
        The moment (``inf`` when it diverges: ``k >= 3/2`` at ``p = p_c``).

    Examples
    --------
    >>> from scalinglab.theory.percolation import cluster_moment, mean_cluster_size
    >>> p = 0.4
    >>> round(float(cluster_moment(1, p)), 10)     # sum_s s n_s = p below p_c
    0.4
    >>> round(float(cluster_moment(2, p) / p), 6), round(mean_cluster_size(p), 6)    # S(p)
    (7.0, 7.0)
    """
    z, p = _check_zp(z, p)
    k = _v.real("k", k, lo=-50, hi=50)
    s_exact = check_int("s_exact", s_exact, lo=10, hi=10**7)
    s_max = min(_v.real("s_max", s_max, lo=s_exact, allow_inf=True), 1e15)
    s = np.arange(1, s_exact + 1, dtype=np.float64)
    head = float(np.sum(np.exp(k * np.log(s) + log_cluster_numbers(s, p, z))))

    def f(x):
        return np.exp(k * np.log(x) + log_cluster_numbers(x, p, z))

    # sum_{s = s_exact+1}^{s_max} f(s) = int_{s_exact}^{s_max} f - f(s_exact)/2 + f(s_max)/2 - f'(s_exact)/12 ...
    a, b = float(s_exact), s_max
    mid = 0.0
    if b > a:
        nodes, weights = np.polynomial.legendre.leggauss(64)
        edges = np.linspace(math.log(a), math.log(b), 41)
        for lo, hi in zip(edges[:-1], edges[1:]):
            u = 0.5 * (hi - lo) * nodes + 0.5 * (hi + lo)
            x = np.exp(u)
            mid += 0.5 * (hi - lo) * float(np.sum(weights * f(x) * x))
        h = 1e-3 * a
        fprime = (f(np.array([a + h]))[0] - f(np.array([a - h]))[0]) / (2 * h)
        mid += -0.5 * f(np.array([a]))[0] + 0.5 * f(np.array([b]))[0] - fprime / 12.0
    # tail beyond s_max: A * int_{s_max}^inf s^(k-5/2) exp(-s/s_xi) ds
    amp = asymptotic_prefactor(p, z)
    lc = _log_c(p, z)
    e = k - 2.5
    if lc == 0.0:
        if e >= -1:
            return math.inf
        tail = amp * b ** (e + 1) / (-(e + 1))
    else:
        lam = -lc
        if e + 1 > 0:
            tail = amp * lam ** (-(e + 1)) * gamma_fn(e + 1) * gammaincc(e + 1, lam * b)
        else:  # int_b^inf x^e e^{-lam x} dx for e+1 <= 0: integrate numerically in log space
            u = np.linspace(math.log(b), math.log(b) + math.log(1 + 60 / (lam * b)) + 5, 4001)
            x = np.exp(u)
            tail = amp * float(np.trapezoid(x ** (e + 1) * np.exp(-lam * x), u))
    return head + mid + tail


def size_biased_pmf(s, p, z=3):
    """``P(|C(0)| = s | 0 occupied) = s n_s / p``: size of the cluster grown from a seed.

    This is the law of the Leath-growth sampler
    (:func:`scalinglab.kernels.percolation._clusters.bethe_cluster_sizes`).

    Examples
    --------
    >>> from scalinglab.theory.percolation import size_biased_pmf
    >>> pmf = size_biased_pmf([1, 2, 3], 0.4)
    >>> pmf.round(4), round(float(pmf[0]), 6) == round(0.6**3, 6)    # a lone seed: its 3 neighbours empty
    (array([0.216 , 0.1555, 0.112 ]), True)
    """
    z, p = _check_zp(z, p)
    shape = np.shape(s)
    s = _v.real_array("cluster sizes", np.ravel(s), lo=1, min_size=0).reshape(shape)
    return np.exp(np.log(s) + log_cluster_numbers(s, p, z) - math.log(p))


@dataclass(frozen=True, repr=False)
class BetheStats(Result):
    """Exact Bethe-lattice statistics at one ``(p, z)``.

    Attributes
    ----------
    z, p, p_c : float
        Coordination number, occupation probability, threshold ``1/(z-1)``.
    regime : str
        ``"subcritical"``, ``"critical"`` or ``"supercritical"``.
    p_inf : float
        Fraction of sites in the infinite cluster.
    finite_site_fraction : float
        ``sum_s s n_s`` (numerical sum to ``s_max`` + tail); equals ``p - p_inf``.
    mean_cluster_size : float
        Mean size of the finite cluster containing an occupied site (inf at p_c).
    cutoff_size : float
        ``s_xi`` (sites; inf at p_c).
    clusters_per_site : float
        ``sum_s n_s``.
    s_max : float
        Sizes summed numerically (capped at 10^15, as in :func:`cluster_moment`; the tail beyond is analytic).
    sizes, log_n_s : numpy.ndarray or None
        Cluster sizes and ``ln n_s`` there, when asked for.

    Examples
    --------
    >>> from scalinglab.theory.percolation import bethe_stats
    >>> st = bethe_stats(0.6, z=3, sizes=[1, 10])
    >>> st.regime, round(st.p_inf, 4), st.sizes
    ('supercritical', 0.4222, array([ 1., 10.]))
    """

    z: int
    p: float
    p_c: float
    regime: str
    p_inf: float
    finite_site_fraction: float
    mean_cluster_size: float
    cutoff_size: float
    clusters_per_site: float
    s_max: float = 1e9
    sizes: np.ndarray | None = field(default=None, repr=False)
    log_n_s: np.ndarray | None = field(default=None, repr=False)

    _repr_fields = ("z", "p", "regime", "p_inf", "finite_site_fraction", "mean_cluster_size", "cutoff_size")
    _reasons = {k: "infinite exactly at the threshold p_c (it diverges there)"
                for k in ("mean_cluster_size", "cutoff_size")}

    @property
    def identity_residual(self):
        """``sum_s s n_s + P_inf - p`` (zero up to rounding and truncation)."""
        return self.finite_site_fraction + self.p_inf - self.p

    def _dict_data(self):
        d = super()._dict_data()
        d["identity_residual"] = self.identity_residual
        if self.sizes is None:  # not asked for (the base class already leaves out optional fields left at None)
            d.pop("sizes", None)
            d.pop("log_n_s", None)
        return d

    def _text(self):
        lines = [f"Bethe lattice z={self.z}, p={self.p:g} (p_c={self.p_c:.6g}, {self.regime})",
                 f"  P_inf                     {self.p_inf:.10g}",
                 f"  sum_s s n_s (to s={self.s_max:.0e} + tail) {self.finite_site_fraction:.12g}",
                 f"  sum + P_inf - p           {self.identity_residual:.2e}",
                 f"  mean finite cluster size  {self.mean_cluster_size:.8g}",
                 f"  cutoff size s_xi          {self.cutoff_size:.8g}",
                 f"  clusters per site         {self.clusters_per_site:.8g}"]
        if self.sizes is not None:
            lines.append("  s            log n_s        n_s")
            lines += [f"  {s:<12.4g} {ln:<14.8g} {np.exp(ln):.6e}" for s, ln in zip(self.sizes, self.log_n_s)]
        return "\n".join(lines)

    def plot(self, ax=None, sizes=None, **kw):
        """Cluster numbers ``n_s`` against ``s`` on log-log axes (``sizes``: default the
        stored ones, else 1..10^6). Returns the axes."""
        ax = new_axes(ax)
        if sizes is None:
            sizes = self.sizes if self.sizes is not None else np.unique(np.rint(np.geomspace(1, 1e6, 200)))
        sizes = np.asarray(sizes, dtype=float)
        kw.setdefault("label", f"z={self.z}, p={self.p:g}")
        ax.loglog(sizes, np.exp(log_cluster_numbers(sizes, self.p, self.z)), **kw)
        ax.set_xlabel("cluster size s (sites)")
        ax.set_ylabel("n_s (clusters per site)")
        ax.legend(fontsize=8)
        return set_title(ax, f"Bethe-lattice cluster numbers ({self.regime})")


def bethe_stats(p, z=3, s_max=10**9, sizes=None):
    """All exact statistics of :class:`BetheStats` at ``(p, z)``; with ``sizes``
    also ``ln n_s`` at those cluster sizes (>= 1, at most 10^5 of them).

    ``regime`` is ``"critical"`` within ``|p - p_c| < 1e-12``; the
    statistics themselves are evaluated at the given p (finite unless p is
    exactly ``p_c``, where the mean cluster size and ``s_xi`` are inf: they
    diverge).

    >>> st = bethe_stats(0.4)
    >>> st.regime, round(st.mean_cluster_size, 6), st.p_inf
    ('subcritical', 7.0, 0.0)
    >>> round(float(st.finite_site_fraction + st.p_inf), 12)
    0.4
    """
    z, p = _check_zp(z, p)
    pc = 1.0 / (z - 1)
    eps = _eps(p, z)
    regime = "critical" if abs(eps) < 1e-12 else ("subcritical" if eps < 0 else "supercritical")
    log_ns = None
    if sizes is not None:
        sizes = _v.real_array("sizes", sizes, lo=1, max_size=10**5)
        log_ns = log_cluster_numbers(sizes, p, z)
    return BetheStats(z=z, p=p, p_c=pc, regime=regime, p_inf=p_infinity(p, z),
                      finite_site_fraction=cluster_moment(1, p, z, s_max=s_max),
                      mean_cluster_size=mean_cluster_size(p, z), cutoff_size=cutoff_size(p, z),
                      clusters_per_site=cluster_moment(0, p, z, s_max=s_max), s_max=min(float(s_max), 1e15),
                      sizes=sizes,
                      log_n_s=log_ns)


@dataclass(frozen=True, repr=False)
class BetheExponents(Result):
    """Critical exponents of Bethe-lattice (mean-field) percolation.

    ``tau``: ``n_s ~ s^-tau`` at ``p_c``; ``sigma``: ``s_xi ~ |p-p_c|^(-1/sigma)``;
    ``beta``: ``P_inf ~ (p-p_c)^beta``; ``gamma``: ``S ~ |p-p_c|^-gamma``;
    ``nu``: correlation length of the random-walk embedding; ``fractal_dim``
    ``D = 1/(sigma nu)``; ``chemical_dim`` (mass vs chemical distance).
    Scaling relations: ``beta = (tau-2)/sigma``, ``gamma = (3-tau)/sigma``.
    ``source`` says where the values come from.

    Examples
    --------
    >>> from scalinglab.theory.percolation import bethe_exponents
    >>> ex = bethe_exponents()
    >>> ex.tau, ex.sigma, ex.beta, ex.gamma
    (2.5, 0.5, 1.0, 1.0)
    """

    tau: float = TAU
    sigma: float = SIGMA
    beta: float = BETA
    gamma: float = GAMMA
    nu: float = NU
    fractal_dim: float = FRACTAL_DIM
    chemical_dim: float = CHEMICAL_DIM
    source: str = "mean-field (Bethe lattice) values"

    _repr_fields = ("tau", "sigma", "beta", "gamma", "nu", "fractal_dim", "chemical_dim")

    def _text(self):
        names = ("tau", "sigma", "beta", "gamma", "nu", "fractal_dim", "chemical_dim")
        return "\n".join([f"Bethe-lattice percolation exponents ({self.source}):"]
                         + [f"  {k:13s} {getattr(self, k):g}" for k in names])


def bethe_exponents(derive=False, z=3):
    """The exponents; with ``derive=True`` they are re-derived with sympy
    (:func:`scalinglab.theory.percolation._symbolic.derive_exponents`) for
    coordination number ``z``.

    >>> bethe_exponents().tau
    2.5
    """
    z = check_int("z", z, lo=3, hi=10**6)  # checked whether or not it is used: a bad z is a mistake either way
    if _v.flag("derive", derive):
        from scalinglab.theory.percolation._symbolic import derive_exponents

        d = derive_exponents(z)
        return BetheExponents(**{k: float(v) for k, v in d.items()}, source=f"derived with sympy for z={z}")
    return BetheExponents()


def lattice_clusters(shape, p, seed=0):
    """Site percolation on a hypercubic array with free boundaries, labelled by union-find.

    Parameters
    ----------
    shape : tuple of int
        Array shape (any dimension ``d >= 1``).
    p : float
        Occupation probability.
    seed : int
        Seed of the occupation draw (numpy ``default_rng``).

    Returns
    -------
    labels : numpy.ndarray of int64, shape ``shape``
        ``0`` on empty sites, ``1..K`` in raster order of first appearance
        (identical to ``scipy.ndimage.label`` with nearest-neighbour connectivity).
    sizes : numpy.ndarray of int64, shape (K,)
        Size of cluster ``k + 1``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import lattice_clusters
    >>> labels, sizes = lattice_clusters((20, 20), 0.3, seed=1)
    >>> labels.shape, int(sizes.sum()) == int((labels > 0).sum())
    ((20, 20), True)
    """
    from scalinglab.theory.percolation._lattice import label_lattice

    try:
        shape = tuple(check_int("shape entry", n, lo=1) for n in shape)
    except TypeError:
        raise InputError(f"shape must be a tuple of sizes, got {shape!r}") from None
    if not shape:
        raise InputError("shape needs at least one dimension")
    p = _v.probability("p", p, open_=False)
    seed = _v.seed("seed", seed)
    n_sites = math.prod(shape)
    _v.size_limit(f"a lattice of {_v.fmt_num(n_sites)} sites", 17 * n_sites, MAX_LATTICE_BYTES, " bytes",
                  "a smaller shape")
    occ = np.random.default_rng(seed).random(shape) < p
    labels, n = label_lattice(occ)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    return labels, sizes
