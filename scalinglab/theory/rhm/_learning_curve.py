"""Learning curve of the path theory: Hutter's seen-path error eps(P) = sum f (1-f)^P, position-specific and position-free."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, set_title
from scalinglab.errors import InputError
from scalinglab.kernels.rhm import decay_sum, log_decay_sum
from scalinglab.theory.rhm._spec import RHMSpec
from scalinglab.theory.rhm._spectrum import AlphaPrimeFit, _as_spectrum, alpha_prime

__all__ = ["LearningCurve", "learning_curve", "predicted_exponent", "eps_position_free", "eps_of_spectrum",
           "MAX_EPS_WORK"]

#: Largest number of (group, P) terms of one eps sum: ~1-3 ns each on an idle core (7 at load 12) with the vectorised exp of
#: issue 22 (the "2.5 ns" quoted before measured 9-12 ns side by side; docs/results/kernels.md), so 5-15 s.
MAX_EPS_WORK = 5e9


# ----------------------------------------------------------------------------- learning curves
@dataclass(frozen=True, repr=False)
class LearningCurve(Result):
    """Predicted seen-path learning curve.

    Attributes
    ----------
    P : numpy.ndarray
        Training-set sizes.
    eps : numpy.ndarray
        ``sum over paths f (1-f)**P``: probability that the path at a random
        test position is unseen at that position (Hutter's error).
    path_mass : numpy.ndarray
        ``path(P)``: probability mass of paths with scale ``1/f <= P`` (seed
        eq. 7), the threshold approximation of ``1 - eps``.
    local_exponent : numpy.ndarray
        ``-d ln eps / d ln P`` along the sorted grid of distinct P (from ``ln
        eps`` summed in log space, so it stays finite where eps underflows);
        nan where it is undefined: fewer than two distinct P, or P = 0.
    alpha_prime : AlphaPrimeFit
        Spectrum exponent over the full window.
    predicted_exponent : float
        ``alpha'/(1+alpha')`` (nan when alpha' <= 0: no power law).
    eps_position_free : numpy.ndarray or None
        The error when a path counts as seen at any position
        (:func:`eps_position_free`), when computed.
    model : str or None
        The model the curve belongs to.

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, learning_curve
    >>> lc = learning_curve(RHMSpec.make(alpha=2.0), [10, 100, 1000])
    >>> lc.eps.round(3), round(lc.predicted_exponent, 3)
    (array([0.72 , 0.287, 0.096]), 0.561)
    """

    P: np.ndarray
    eps: np.ndarray
    path_mass: np.ndarray
    local_exponent: np.ndarray
    alpha_prime: AlphaPrimeFit
    predicted_exponent: float
    eps_position_free: np.ndarray | None = None
    model: str | None = None

    _repr_fields = ("P", "eps", "predicted_exponent", "alpha_prime", "model")
    _reasons = {"local_exponent": "-d ln eps/d ln P is undefined at P = 0 and on a grid of fewer than two "
                                  "distinct P > 0",
                "predicted_exponent": "alpha' <= 0: the learning curve has no power law"}

    def _text(self):
        free = self.eps_position_free is not None
        lines = ([self.model] if self.model else []) + [
            f"alpha' = {self.alpha_prime.alpha_prime:.4f}; predicted exponent alpha'/(1+alpha') = "
            f"{self.predicted_exponent:.4f}",
            f"{'P':>10s}  {'eps(P)':>11s}  {'path(P)':>9s}  {'local exp.':>10s}"
            + ("  eps, seen at any position" if free else "")]
        fr = self.eps_position_free if free else np.full(self.P.size, np.nan)
        lines += [f"{p:10.4g}  {e:11.5g}  {pm:9.5f}  {le:10.4f}" + (f"  {f:11.5g}" if free else "")
                  for p, e, pm, le, f in zip(self.P, self.eps, self.path_mass, self.local_exponent, fr)]
        return "\n".join(lines)

    def _frame_data(self):
        d = {"P": self.P, "eps": self.eps, "path_mass": self.path_mass, "local_exponent": self.local_exponent}
        if self.eps_position_free is not None:
            d["eps_position_free"] = self.eps_position_free
        return d

    def to_frame(self):
        """A tidy :class:`pandas.DataFrame`: one row per P (``P``, ``eps``, ``path_mass``,
        ``local_exponent`` and ``eps_position_free`` when computed). The fit and the model, one value for the
        whole curve, are in ``df.attrs`` (``alpha_prime``, ``alpha_prime_window``, ``alpha_prime_method``,
        ``predicted_exponent``, ``model``) and in :meth:`to_dict`, not repeated on every row.

        Examples
        --------
        >>> from scalinglab.theory.rhm import RHMSpec, learning_curve
        >>> df = learning_curve(RHMSpec.make(alpha=1.0), [10, 100, 1000]).to_frame()
        >>> df.columns.tolist(), round(df.attrs["predicted_exponent"], 3)
        (['P', 'eps', 'path_mass', 'local_exponent'], 0.342)
        """
        df = super().to_frame()
        ap = self.alpha_prime
        df.attrs.update(alpha_prime=ap.alpha_prime, alpha_prime_window=tuple(ap.window),
                        alpha_prime_method=ap.method, predicted_exponent=self.predicted_exponent, model=self.model)
        return df

    def plot(self, ax=None, local=True, **kw):
        """``eps(P)`` on log-log axes (and the position-free error, when computed) with the predicted slope
        ``P^-alpha'/(1+alpha')`` as a guide through the largest P; with ``local`` the local exponent
        ``-d ln eps/d ln P`` on a right-hand axis beside the predicted value. Returns the (left) axes."""
        ax = new_axes(ax)
        ok = self.P > 0
        P, eps = self.P[ok], self.eps[ok]
        kw.setdefault("label", "ε(P)")
        (line,) = ax.loglog(P, eps, **kw)
        if self.eps_position_free is not None:
            ax.loglog(P, self.eps_position_free[ok], "--", label="seen at any position")
        b = self.predicted_exponent
        if np.isfinite(b) and P.size:
            i = int(np.argmax(P))
            guide = np.geomspace(P.min(), P.max(), 50)
            with np.errstate(over="ignore", under="ignore"):
                ax.loglog(guide, eps[i] * (guide / P[i]) ** -b, "k:", lw=1,
                          label=f"predicted slope P^-{b:.3f} (α' = {self.alpha_prime.alpha_prime:.3f})")
        ax.set_xlabel("training-set size P")
        ax.set_ylabel("ε(P)")
        handles, labels = ax.get_legend_handles_labels()
        if local and np.any(np.isfinite(self.local_exponent[ok])):
            ax2 = ax.twinx()
            order = np.argsort(P)
            ax2.semilogx(P[order], self.local_exponent[ok][order], "-", color="C3", lw=1, alpha=0.8,
                         label="local exponent -d ln ε/d ln P (right axis)")
            if np.isfinite(b):
                ax2.axhline(b, color="C3", ls=":", lw=0.8)
            ax2.set_ylabel("local exponent", color="C3")
            h2, l2 = ax2.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        ax.legend(handles, labels, fontsize=8)
        return set_title(ax, "seen-path learning curve" + (f"\n{self.model}" if self.model else ""))


def _check_P(P):
    return _v.real_array("P", P, lo=0)


def _eps_work(n_terms, P, what):
    _v.size_limit(f"{what} ({n_terms:.3g} terms x {P.size} values of P)", float(n_terms) * P.size, MAX_EPS_WORK,
                 " term evaluations", "fewer P values or a smaller model")


def eps_of_spectrum(sp, P):
    """``eps(P) = sum over paths f (1-f)**P`` for a PathSpectrum (kernel call).

    >>> from scalinglab.theory.rhm import RHMSpec, path_spectrum
    >>> round(float(eps_of_spectrum(path_spectrum(RHMSpec.make(alpha=-1.0)), [0.0])[0]), 12)  # P = 0: nothing seen
    1.0
    """
    P = _check_P(P)
    _eps_work(sp.n_groups, P, "eps(P)")
    log_w = np.log(np.asarray(sp.counts, dtype=np.float64)) + sp.log_f  # n_c paths of f/n_c each: weight f
    return decay_sum(log_w, sp.log_f - math.log(sp.n_c), P)


def _local_exponent(sp, P):
    """``-d ln eps / d ln P`` on the sorted distinct P > 0 (nan where undefined), from log-space sums."""
    out = np.full(P.size, np.nan)
    pos = P > 0
    u = np.unique(P[pos])
    if u.size < 2:
        return out
    log_w = np.log(np.asarray(sp.counts, dtype=np.float64)) + sp.log_f
    le = log_decay_sum(log_w, sp.log_f - math.log(sp.n_c), u)
    g = -np.gradient(le, np.log(u))
    out[pos] = g[np.searchsorted(u, P[pos])]
    return out


#: Largest m**L the position-free error enumerates (its match probability is
#: not a function of the rank product, so every rank tuple is visited).
MAX_PATHS_POSITION_FREE = 10_000_000


def eps_position_free(spec, P, max_paths=MAX_PATHS_POSITION_FREE):
    """Seen-path error when a path counts as seen at *any* position.

    ``eps_free(P) = sum over paths f_pi (1 - q_pi)**P``, where ``f_pi`` is the
    path's frequency at one position and ``q_pi`` the probability that one
    random datum contains the path (class and rank sequence) at some position.
    By independence of the expansions below a node,
    ``Q_L = f^(L)_{i_L}``, ``Q_l = f^(l)_{i_l} (1 - (1 - Q_{l+1})**s)`` and
    ``q_pi = Q_1 / n_c`` (computed in log space with ``expm1``/``log1p``).
    ``q_pi >= f_pi``, so ``eps_free <= eps``; they agree for ``s = 1`` or ``L = 1``.

    Parameters
    ----------
    spec : RHMSpec
    P : array_like
        Training-set sizes (>= 0).
    max_paths : int
        Refuse (ValueError) when ``m**L`` exceeds it.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, eps_position_free, learning_curve
    >>> spec = RHMSpec.make(alpha=1.0)
    >>> free = eps_position_free(spec, [10, 100])
    >>> free.round(4), learning_curve(spec, [10, 100]).eps.round(4)   # seen anywhere: lower error
    (array([0.8399, 0.4417]), array([0.9171, 0.5983]))
    """
    if not isinstance(spec, RHMSpec):
        raise InputError(f"spec must be an RHMSpec (see RHMSpec.make), got {type(spec).__name__}")
    P = _check_P(P)
    max_paths = _v.integer("max_paths", max_paths, lo=1, hi=10**9)
    n = spec.m**spec.L if spec.L * math.log10(spec.m) < 30 else float("inf")
    _v.size_limit(f"the position-free error of {spec.brief()}: enumerating m**L rank tuples", n, max_paths,
                 " tuples (max_paths)", "lower m or L")
    _eps_work(n, P, "the position-free eps(P)")
    logp = [spec.level_log_probs(l) for l in range(1, spec.L + 1)]
    log_Q = logp[-1]  # over i_L
    log_f = logp[-1]
    for l in range(spec.L - 2, -1, -1):  # levels L-1 .. 1, prepending an axis each time
        with np.errstate(divide="ignore"):  # Q = 1 (one rule of probability 1): log1p(-1) = -inf, exact
            log_g = np.log(-np.expm1(spec.s * np.log1p(-np.exp(log_Q))))  # ln(1 - (1-Q)^s)
        log_Q = np.add.outer(logp[l], log_g).ravel()  # flat: L may exceed numpy's 64 dimensions (m = 1)
        log_f = np.add.outer(logp[l], log_f).ravel()
    return decay_sum(log_f.ravel(), log_Q.ravel() - math.log(spec.n_c), P)


def learning_curve(spec_or_spectrum, P, window=None, **kw):
    """Seen-path error ``eps(P)``, ``path(P)`` and the predicted exponent.

    Parameters
    ----------
    spec_or_spectrum : RHMSpec or PathSpectrum
    P : array_like
        Training-set sizes (>= 0).
    window : optional
        Rank window of the alpha' fit (default full).

    Returns
    -------
    LearningCurve

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, learning_curve
    >>> lc = learning_curve(RHMSpec.make(alpha=1.0), [1e2, 1e3, 1e4])
    >>> lc.eps.round(4)                   # eps(P) = sum over paths of f (1-f)^P
    array([0.5983, 0.2628, 0.0732])
    >>> lc.local_exponent.round(3)        # -d ln eps / d ln P
    array([0.357, 0.456, 0.555])
    """
    P = _check_P(P)
    sp = _as_spectrum(spec_or_spectrum, **kw)
    _eps_work(sp.n_groups, P, "eps(P)")
    eps = eps_of_spectrum(sp, P)
    with np.errstate(divide="ignore"):
        mass = sp.mass_above(sp.n_c / P)  # P = 0: threshold inf, no path has scale 1/f <= 0
    loc = _local_exponent(sp, P)
    ap = alpha_prime(sp, window=window)
    return LearningCurve(P=P, eps=eps, path_mass=mass, local_exponent=loc, alpha_prime=ap,
                         predicted_exponent=ap.predicted_exponent, model=sp.describe)


def predicted_exponent(spec_or_spectrum, window=None, **kw):
    """``alpha'/(1+alpha')`` over ``window`` (nan when alpha' <= 0).

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, predicted_exponent
    >>> round(predicted_exponent(RHMSpec.make(alpha=1.0)), 3)   # alpha'/(1+alpha') with alpha' = 0.520
    0.342
    """
    return alpha_prime(spec_or_spectrum, window=window, **kw).predicted_exponent


