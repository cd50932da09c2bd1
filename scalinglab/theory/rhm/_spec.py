"""The Zipf Random Hierarchy Model specification.

Levels are numbered 1..L: level 1 expands the class, level L produces the
input. Each level has a rule-probability vector over the m rule ranks: a Zipf
law ``f_i ∝ i**-(1+alpha)`` (``alpha = -1`` exactly is the uniform RHM) or an
explicit vector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np

from scalinglab import _validation as _v
from scalinglab._util import check_int
from scalinglab.errors import InputError

__all__ = ["RHMSpec", "zipf_probs", "zipf_log_probs", "MAX_RULES", "MAX_DEPTH"]

_VEC_TOL = 1e-9
#: Largest m: every level holds a vector of m rule probabilities (80 MB at the limit).
MAX_RULES = 10**7
#: Largest depth L and tuple size s (a model is L levels deep; the spectrum further needs m**L <= 1e300).
MAX_DEPTH = 10_000
#: Largest number of classes n_c and vocabulary size v (sanity bound; the sampler needs <= 32767).
MAX_SIZE = 10**12


def zipf_log_probs(m, alpha):
    """Natural logs of the Zipf probabilities ``f_i = i**-(1+alpha) / Z``, i = 1..m.

    Computed in log space (log-sum-exp normalisation), so large ``alpha`` does
    not underflow. ``alpha = -1`` gives the uniform law ``1/m``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.theory.rhm import zipf_log_probs, zipf_probs
    >>> bool(np.allclose(np.exp(zipf_log_probs(5, 0.5)), zipf_probs(5, 0.5)))
    True
    """
    m = check_int("m", m, lo=1, hi=MAX_RULES)
    alpha = _v.real("Zipf exponent alpha", alpha, lo=-1)
    return _zipf_log_probs(m, alpha)


def _zipf_log_probs(m, alpha):
    """:func:`zipf_log_probs` without the argument checks (an RHMSpec's levels were checked when it was made);
    ``alpha`` may be an array of shape ``(k, 1)``, giving ``k`` laws as rows."""
    lw = -(1.0 + alpha) * np.log(np.arange(1, m + 1, dtype=np.float64))
    mx = lw.max(axis=-1, keepdims=True)
    return lw - (mx + np.log(np.exp(lw - mx).sum(axis=-1, keepdims=True)))


def zipf_probs(m, alpha):
    """Zipf rule probabilities ``f_i ∝ i**-(1+alpha)``, i = 1..m, summing to 1.

    Examples
    --------
    >>> from scalinglab.theory.rhm import zipf_probs
    >>> zipf_probs(3, 1.0).round(4)   # f_i ∝ i^-2
    array([0.7347, 0.1837, 0.0816])
    """
    return np.exp(zipf_log_probs(m, alpha))


@dataclass(frozen=True)
class RHMSpec:
    """Parameters of a Zipf Random Hierarchy Model.

    Parameters
    ----------
    n_c : int
        Number of classes (>= 1).
    v : int
        Vocabulary size of every level (>= 1).
    m : int
        Rules (synonyms) per symbol (>= 1).
    s : int
        Tuple size (>= 1); an input has ``s**L`` symbols and ``K = s**(L-1)``
        patches.
    L : int
        Depth (>= 1).
    alpha : tuple
        One entry per level 1..L: a float Zipf exponent (``-1`` = uniform, any
        value ``> -1`` allowed, ``< -1`` refused) or a tuple of ``m`` rule
        probabilities (non-negative, summing to 1 within 1e-9; renormalised
        exactly). Use :meth:`make` to build it from a scalar.

    Raises
    ------
    InputError
        On any invalid parameter, including ambiguous rules ``m*v > v**s`` or
        ``m*n_c > v**s`` (no set of unambiguous rules exists), ``m >
        MAX_RULES`` or ``L > MAX_DEPTH``.

    Examples
    --------
    >>> RHMSpec.make(alpha=1.0, zipf_levels=[3]).describe()
    'RHM(n_c=10, v=10, m=10, s=2, L=3, levels=[uniform, uniform, zipf(1)])'
    """

    n_c: int
    v: int
    m: int
    s: int
    L: int
    alpha: tuple

    def __post_init__(self):
        set_ = lambda k, val: object.__setattr__(self, k, val)  # noqa: E731
        set_("n_c", check_int("n_c", self.n_c, lo=1, hi=MAX_SIZE))
        set_("v", check_int("v", self.v, lo=1, hi=MAX_SIZE))
        set_("m", check_int("m", self.m, lo=1, hi=MAX_RULES))
        set_("s", check_int("s", self.s, lo=1, hi=MAX_DEPTH))
        set_("L", check_int("L", self.L, lo=1, hi=MAX_DEPTH))
        # v**s can be astronomically large: compare exactly only while it is cheap to build
        if self.s * math.log2(self.v) < 4096:
            n_tuples = self.v**self.s
            if self.m * self.v > n_tuples:
                raise InputError(f"ambiguous rules: m*v = {self.m * self.v} > v**s = {n_tuples}; "
                                 "each of the v symbols needs m distinct s-tuples of its own")
            if self.m * self.n_c > n_tuples:
                raise InputError(f"ambiguous rules at the top: m*n_c = {self.m * self.n_c} > v**s = {n_tuples}")
        elif max(math.log2(self.m * self.v), math.log2(self.m * self.n_c)) >= self.s * math.log2(self.v):
            raise InputError("ambiguous rules: m*v or m*n_c exceeds v**s")  # pragma: no cover - needs v**s > 2**4096
        alpha = self.alpha
        if isinstance(alpha, (bool, np.bool_, str, bytes)):
            raise InputError(f"alpha must be a number or one entry per level, got {alpha!r}")
        if isinstance(alpha, Real) or (isinstance(alpha, np.ndarray) and alpha.ndim == 0):
            alpha = (alpha,) * self.L
        try:
            alpha = tuple(alpha)
        except TypeError:
            raise InputError(f"alpha must be a number or one entry per level, got {alpha!r}") from None
        if len(alpha) != self.L:
            raise InputError(f"alpha needs one entry per level (L={self.L}), got {len(alpha)}")
        set_("alpha", tuple(self._check_level(i + 1, a) for i, a in enumerate(alpha)))

    def _check_level(self, level, a):
        if isinstance(a, (bool, np.bool_, str, bytes)):
            raise InputError(f"level {level}: alpha must be a number or a probability vector, got {a!r}")
        if isinstance(a, Real) or (isinstance(a, np.ndarray) and a.ndim == 0):
            a = _v.real(f"level {level}: alpha", a)
            if a < -1:
                raise InputError(f"level {level}: alpha = {a} < -1 is not a Zipf law "
                                 "(f_i ∝ i**-(1+alpha) would grow with rank); use -1 for uniform")
            return a
        try:
            vec = _v.real_array(f"level {level}: probability vector", a, lo=0)
        except InputError as exc:
            raise InputError(f"{exc} (probabilities must be finite and non-negative)") from None
        if vec.shape != (self.m,):
            raise InputError(f"level {level}: probability vector must have m={self.m} entries, got shape {vec.shape}")
        tot = vec.sum()
        if abs(tot - 1.0) > _VEC_TOL:
            raise InputError(f"level {level}: probabilities sum to {tot!r}, not 1 (tolerance {_VEC_TOL})")
        if np.any(vec == 0):
            raise InputError(f"level {level}: zero-probability rules are not allowed (drop them and lower m)")
        return tuple(float(x) for x in vec / tot)

    @classmethod
    def make(cls, n_c=10, v=10, m=10, s=2, L=3, alpha=-1.0, zipf_levels=None):
        """Build a spec with Zipf exponent ``alpha`` on ``zipf_levels`` (1-based;
        default all levels) and uniform rules (``alpha = -1``) elsewhere.

        ``alpha`` may also be a sequence with one entry per level, in which case
        ``zipf_levels`` must be None.
        """
        if zipf_levels is None:
            return cls(n_c, v, m, s, L, alpha)  # __post_init__ expands a scalar to every level
        if not isinstance(alpha, Real) or isinstance(alpha, (bool, np.bool_)):
            raise InputError("give either a per-level alpha sequence or zipf_levels with a scalar alpha")
        L = check_int("L", L, lo=1, hi=MAX_DEPTH)
        try:
            zl = {check_int("zipf level", z, lo=1, hi=L) for z in zipf_levels}
        except TypeError:
            raise InputError(f"zipf_levels must be a list of levels, got {zipf_levels!r}") from None
        return cls(n_c, v, m, s, L, tuple(float(alpha) if l in zl else -1.0 for l in range(1, L + 1)))

    # -- derived quantities -------------------------------------------------
    @property
    def K(self):
        """Number of input patches (paths per datum), ``s**(L-1)``."""
        return self.s ** (self.L - 1)

    @property
    def input_size(self):
        """Number of input symbols, ``s**L``."""
        return self.s**self.L

    @property
    def n_paths(self):
        """Paths per position, ``n_c * m**L``."""
        return self.n_c * self.m**self.L

    @property
    def P_star(self):
        """Uniform-RHM sample-complexity scale ``n_c * m**L``."""
        return self.n_paths

    def is_uniform(self, level):
        a = self.alpha[level - 1]
        return isinstance(a, float) and a == -1.0

    def level_key(self, level):
        """Hashable description of level ``level``'s law: ``("uniform",)``,
        ``("zipf", alpha)`` or ``("vector", probs)``; equal keys mean equal laws."""
        a = self.alpha[level - 1]
        if isinstance(a, float):
            return ("uniform",) if a == -1.0 else ("zipf", a)
        if len(set(a)) == 1:
            return ("uniform",)
        return ("vector", a)

    def level_log_probs(self, level):
        """Log rule probabilities of level ``level`` (1-based), length m."""
        a = self.alpha[check_int("level", level, lo=1, hi=self.L) - 1]
        if isinstance(a, float):
            return _zipf_log_probs(self.m, a)  # m and alpha were checked when the spec was made
        return np.log(np.asarray(a))

    def level_probs(self, level):
        """Rule probabilities of level ``level`` (1-based), length m."""
        return np.exp(self.level_log_probs(level))

    def probs_matrix(self):
        """``(L, m)`` array of rule probabilities, row l-1 for level l."""
        return np.stack([self.level_probs(l) for l in range(1, self.L + 1)])

    def describe(self):
        def lv(a):
            if isinstance(a, float):
                return "uniform" if a == -1.0 else f"zipf({a:g})"
            return "vector"

        return (f"RHM(n_c={self.n_c}, v={self.v}, m={self.m}, s={self.s}, L={self.L}, "
                f"levels=[{', '.join(lv(a) for a in self.alpha)}])")

    def brief(self):
        """:meth:`describe` with runs of equal levels collapsed (``zipf(1) x 300``), for messages."""
        names = []
        for a in self.alpha:
            name = ("uniform" if a == -1.0 else f"zipf({a:g})") if isinstance(a, float) else "vector"
            if names and names[-1][0] == name:
                names[-1][1] += 1
            else:
                names.append([name, 1])
        levels = ", ".join(n if k == 1 else f"{n} x {k}" for n, k in names)
        return f"RHM(n_c={self.n_c}, v={self.v}, m={self.m}, s={self.s}, L={self.L}, levels=[{levels}])"
