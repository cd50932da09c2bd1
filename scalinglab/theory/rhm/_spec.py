"""The Zipf Random Hierarchy Model specification.

Levels are numbered 1..L: level 1 expands the class, level L produces the
input. Each level has a rule-probability vector over the m rule ranks: a Zipf
law ``f_i ∝ i**-(1+alpha)`` (``alpha = -1`` exactly is the uniform RHM) or an
explicit vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np

from scalinglab._util import check_int

__all__ = ["RHMSpec", "zipf_probs", "zipf_log_probs"]

_VEC_TOL = 1e-9


def zipf_log_probs(m, alpha):
    """Natural logs of the Zipf probabilities ``f_i = i**-(1+alpha) / Z``, i = 1..m.

    Computed in log space (log-sum-exp normalisation), so large ``alpha`` does
    not underflow. ``alpha = -1`` gives the uniform law ``1/m``.
    """
    m = check_int("m", m, lo=1)
    alpha = float(alpha)
    if not np.isfinite(alpha) or alpha < -1:
        raise ValueError(f"Zipf exponent alpha must be finite and >= -1 (-1 = uniform), got {alpha}")
    lw = -(1.0 + alpha) * np.log(np.arange(1, m + 1, dtype=np.float64))
    mx = lw.max()
    return lw - (mx + np.log(np.exp(lw - mx).sum()))


def zipf_probs(m, alpha):
    """Zipf rule probabilities ``f_i ∝ i**-(1+alpha)``, i = 1..m, summing to 1."""
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
    ValueError
        On any invalid parameter, including ambiguous rules ``m*v > v**s`` or
        ``m*n_c > v**s`` (no set of unambiguous rules exists).
    """

    n_c: int
    v: int
    m: int
    s: int
    L: int
    alpha: tuple

    def __post_init__(self):
        set_ = lambda k, val: object.__setattr__(self, k, val)  # noqa: E731
        set_("n_c", check_int("n_c", self.n_c, lo=1))
        set_("v", check_int("v", self.v, lo=1))
        set_("m", check_int("m", self.m, lo=1))
        set_("s", check_int("s", self.s, lo=1))
        set_("L", check_int("L", self.L, lo=1))
        n_tuples = self.v**self.s
        if self.m * self.v > n_tuples:
            raise ValueError(f"ambiguous rules: m*v = {self.m * self.v} > v**s = {n_tuples}; "
                             "each of the v symbols needs m distinct s-tuples of its own")
        if self.m * self.n_c > n_tuples:
            raise ValueError(f"ambiguous rules at the top: m*n_c = {self.m * self.n_c} > v**s = {n_tuples}")
        alpha = self.alpha
        if isinstance(alpha, Real) or (isinstance(alpha, np.ndarray) and alpha.ndim == 0):
            alpha = (float(alpha),) * self.L
        alpha = tuple(alpha)
        if len(alpha) != self.L:
            raise ValueError(f"alpha needs one entry per level (L={self.L}), got {len(alpha)}")
        set_("alpha", tuple(self._check_level(i + 1, a) for i, a in enumerate(alpha)))

    def _check_level(self, level, a):
        if isinstance(a, Real) and not isinstance(a, bool):
            a = float(a)
            if not np.isfinite(a):
                raise ValueError(f"level {level}: alpha must be finite, got {a}")
            if a < -1:
                raise ValueError(f"level {level}: alpha = {a} < -1 is not a Zipf law "
                                 "(f_i ∝ i**-(1+alpha) would grow with rank); use -1 for uniform")
            return a
        vec = np.asarray(a, dtype=np.float64)
        if vec.shape != (self.m,):
            raise ValueError(f"level {level}: probability vector must have m={self.m} entries, got shape {vec.shape}")
        if not np.all(np.isfinite(vec)) or np.any(vec < 0):
            raise ValueError(f"level {level}: probabilities must be finite and non-negative")
        tot = vec.sum()
        if abs(tot - 1.0) > _VEC_TOL:
            raise ValueError(f"level {level}: probabilities sum to {tot!r}, not 1 (tolerance {_VEC_TOL})")
        if np.any(vec == 0):
            raise ValueError(f"level {level}: zero-probability rules are not allowed (drop them and lower m)")
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
        if not isinstance(alpha, Real):
            raise ValueError("give either a per-level alpha sequence or zipf_levels with a scalar alpha")
        zl = {check_int("zipf level", z, lo=1, hi=int(L)) for z in zipf_levels}
        return cls(n_c, v, m, s, L, tuple(float(alpha) if l in zl else -1.0 for l in range(1, int(L) + 1)))

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
            return zipf_log_probs(self.m, a)
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
