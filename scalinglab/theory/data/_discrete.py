"""Discrete data (tokens): Zipf fits, tail comparisons and the memoriser's learning curve from the data.

Conventions (those of the path theory, :mod:`scalinglab.theory.rhm`): the
frequency of the type of rank ``r`` falls as ``f_r ∝ r^-(1+alpha)``; the
*rank exponent* is ``a = 1 + alpha``. A learner that memorises every type it
has seen (Hutter 2021; the seen-path error of the RHM) errs on a fresh token
with probability ``eps(P) = sum_r f_r (1 - f_r)^P`` after ``P`` training
tokens, ``~ P^-alpha/(1+alpha)``.

Three estimates from one sample of ``N`` tokens:

* **rank-frequency fit**: the tokens' ranks (types ranked by count) as
  samples of ``p(r) ∝ r^-a`` on a rank window, discrete MLE
  (:func:`scalinglab.theory.fitting.discrete_powerlaw_fit` with counts). The
  likelihood-ratio interval would treat the ranks as known; they are not
  (ranks come from the same counts), so the interval is a **whole-sample
  bootstrap**: the ``N`` tokens are resampled (a multinomial draw of the
  counts), re-ranked and refitted;
* **frequency-distribution fit**: the counts of the types as samples of
  ``p(c) ∝ c^-gamma`` above ``x_min`` (chosen by the KS minimum), compared
  with lognormal, exponential and truncated power law
  (:func:`compare_tails`); a Zipf law of rank exponent ``a`` gives
  ``gamma = 1 + 1/a``, so ``alpha = 1/(gamma - 1) - 1`` is a second reading;
* **the learning curve from the data themselves**: the unbiased estimate
  ``eps_hat(P) = sum_types (c/N) C(N - c, P) / C(N - 1, P)`` (the chance
  that one held-out token of the sample is not among ``P`` others: a
  U-statistic, unbiased for ``0 <= P <= N - 1``), which at ``P = N - 1`` is
  Good-Turing's missing mass ``n_1/N``. No unbiased estimate exists beyond
  ``N - 1``: the curve is extended from the Good-Turing edge with the fitted
  exponent ``alpha/(1+alpha)``. The plug-in ``sum (c/N)(1 - c/N)^P``
  (:func:`scalinglab.kernels.rhm.decay_sum`) is shown beside it: it misses
  the unseen types and falls too fast as ``P`` nears ``N``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, one_row, set_title
from scalinglab.errors import InputError
from scalinglab.kernels.rhm import decay_sum
from scalinglab.theory.data._alternatives import TailComparison, compare_tails
from scalinglab.theory.data._inputs import TokenCounts, read_tokens, token_counts
from scalinglab.theory.fitting import DiscretePowerLawFit, discrete_powerlaw_fit, local_slope

__all__ = ["ZipfFit", "zipf_fit", "MemoriserCurve", "memoriser_curve", "TokenPrediction", "predict_tokens",
           "MAX_TYPES"]

#: Largest number of types (the bootstrap draws a multinomial over them n_boot times).
MAX_TYPES = 5 * 10**6
_CI_METHODS = ("basic", "percentile")


def _interval(est, boot, level, method):
    b = boot[np.isfinite(boot)]
    if b.size < 10:
        return (float("nan"), float("nan"))
    q = np.quantile(b, [(1 - level) / 2, (1 + level) / 2])
    if method == "basic":
        return (float(2 * est - q[1]), float(2 * est - q[0]))
    return (float(q[0]), float(q[1]))


def _rank_window(counts, window, min_count):
    if window is None:
        hi = int(np.sum(counts >= min_count))
        if hi < 3:
            raise InputError(f"fewer than 3 types have a count >= {min_count}: too few for a rank-frequency fit "
                             "(give more tokens, a lower min_count or a window)")
        return 1, hi
    try:
        lo, hi = window
    except (TypeError, ValueError):
        raise InputError(f"window must be a pair of ranks (lo, hi), got {window!r}") from None
    lo = _v.integer("window lo", lo, lo=1)
    hi = _v.integer("window hi", hi, lo=lo + 2)
    if hi > counts.size:
        raise InputError(f"rank window ({lo}, {hi}) ends beyond the {counts.size} types of the sample")
    return lo, hi


# ----------------------------------------------------------------------------- rank-frequency
@dataclass(frozen=True, repr=False)
class ZipfFit(Result):
    """Rank-frequency exponent of a token sample, with a whole-sample bootstrap interval.

    Attributes
    ----------
    exponent : float
        Rank exponent ``a`` of ``f_r ∝ r^-a`` (discrete MLE of the tokens' ranks on the window).
    ci : tuple of float
        Whole-sample bootstrap interval of ``a`` (tokens resampled, re-ranked, refitted).
    alpha : float
        ``a - 1``.
    predicted_exponent : float
        The memoriser's learning-curve exponent ``alpha/(1+alpha)`` (nan when ``alpha <= 0``).
    predicted_ci : tuple of float
        The interval of ``predicted_exponent`` (from ``ci``; ``alpha/(1+alpha)`` is increasing).
    window : tuple of int
        Inclusive rank window.
    lr_ci : tuple of float
        The likelihood-ratio interval of the fit, which treats the ranks as known (too narrow where
        ranks are noisy; shown for comparison).
    level : float
    n_boot : int
    ci_method : str
        ``"basic"`` (``2 a_hat - quantiles``: corrects the re-ranking bias to first order) or ``"percentile"``.
    n_tokens : int
        Tokens inside the window.
    rerank_bias : float
        Median bootstrap exponent minus the estimate: the bias that re-ranking noisy counts adds (the
        ``basic`` interval subtracts it, so with a large bias it need not contain the estimate).
    fit : DiscretePowerLawFit

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.theory.data import zipf_fit
    >>> p = np.arange(1, 2001.0) ** -1.5; p /= p.sum()
    >>> counts = np.random.default_rng(0).multinomial(200_000, p)
    >>> z = zipf_fit(counts, n_boot=100)
    >>> z.window[0], bool(z.ci[0] < 1.5 < z.ci[1]), round(z.alpha, 1)
    (1, True, 0.5)
    """

    exponent: float
    ci: tuple
    alpha: float
    predicted_exponent: float
    predicted_ci: tuple
    window: tuple
    lr_ci: tuple
    level: float
    n_boot: int
    ci_method: str
    n_tokens: int
    rerank_bias: float
    fit: DiscretePowerLawFit = field(repr=False)
    counts: np.ndarray = field(default=None, repr=False)

    _repr_fields = ("exponent", "ci", "alpha", "predicted_exponent", "window")
    _reasons = {"predicted_exponent": "alpha <= 0 (rank exponent <= 1): the memoriser's error has no power law",
                "predicted_ci": "the interval reaches alpha <= 0, where alpha/(1+alpha) is not a decay exponent",
                "ci": "too few finite bootstrap fits"}

    def _dict_data(self):
        d = {k: getattr(self, k) for k in ("exponent", "ci", "alpha", "predicted_exponent", "predicted_ci",
                                            "window", "lr_ci", "level", "n_boot", "ci_method", "n_tokens",
                                            "rerank_bias")}
        d["method"] = ("discrete power-law MLE of the tokens' ranks on the window; whole-sample bootstrap "
                       "(multinomial resample of the tokens, re-ranked)")
        return d

    def _frame_data(self):
        return one_row(self._dict_data())

    def _text(self):
        pct = f"{100 * self.level:g} %"
        return (f"rank-frequency f_r ~ r^-a on ranks {self.window[0]}..{self.window[1]} ({self.n_tokens} tokens): "
                f"a = {self.exponent:.4f} [{pct} {self.ci_method} bootstrap over tokens {self.ci[0]:.4f}, "
                f"{self.ci[1]:.4f}; LR interval with ranks taken as known {self.lr_ci[0]:.4f}, {self.lr_ci[1]:.4f}; "
                f"re-ranking bias {self.rerank_bias:+.2g}]"
                f"\n  alpha = a - 1 = {self.alpha:.4f}; memoriser exponent alpha/(1+alpha) = "
                f"{self.predicted_exponent:.4f} [{self.predicted_ci[0]:.4f}, {self.predicted_ci[1]:.4f}]")

    def plot(self, ax=None, **kw):
        """Rank-frequency points and the fitted law over the window (log-log). Returns the axes."""
        ax = new_axes(ax)
        c = self.counts
        r = np.arange(1, c.size + 1)
        f = c / c.sum()
        ax.loglog(r, f, ".", ms=2, label="types (rank by count)", **kw)
        lo, hi = self.window
        rr = np.geomspace(lo, hi, 50)
        inside = c[lo - 1:hi].sum() / c.sum()
        lz = math.log(np.sum(np.arange(lo, hi + 1, dtype=float) ** -self.exponent))
        ax.loglog(rr, inside * np.exp(-self.exponent * np.log(rr) - lz), "-",
                  label=f"MLE a = {self.exponent:.3f} [{self.ci[0]:.3f}, {self.ci[1]:.3f}]")
        ax.set_xlabel("rank r")
        ax.set_ylabel("frequency f_r")
        ax.legend(fontsize=8)
        return set_title(ax, f"Zipf fit over ranks {lo}..{hi}: a = {self.exponent:.3f}")


def _mle_window(mean_logs, lo, hi, start, iters=30):
    """MLE exponents of many samples on the finite window ``[lo, hi]`` at once, from their mean log values:
    Newton's method on the concave log-likelihood, ``g <- g + (E_g[ln r] - m) / Var_g(ln r)`` (the score and
    curvature of :func:`~scalinglab.theory.fitting.discrete_powerlaw_fit`'s likelihood), from ``start``."""
    lr = np.log(np.arange(lo, hi + 1, dtype=float))
    m = np.asarray(mean_logs, dtype=float)
    g = np.full(m.size, float(start))
    for _ in range(iters):
        t = -g[:, None] * lr[None, :]
        w = np.exp(t - t.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        e = w @ lr
        var = w @ (lr * lr) - e * e
        step = np.clip((e - m) / np.maximum(var, 1e-300), -1.0, 1.0)
        g = g + step
        if np.all(np.abs(step) < 1e-12):
            break
    return g


def _rank_fit_boot(counts, lo, hi, draws, start):
    """Rank exponent of each resampled count vector (rows of ``draws``), re-ranked."""
    lr = np.log(np.arange(lo, hi + 1, dtype=float))
    means = []
    for c in draws:
        c = np.sort(c)[::-1]
        if c.size < hi:
            c = np.concatenate([c, np.zeros(hi - c.size, dtype=c.dtype)])
        w = c[lo - 1:hi].astype(float)
        means.append(float(np.dot(w, lr) / w.sum()) if w.sum() > 0 else np.nan)
    means = np.array(means)
    out = np.full(means.size, np.nan)
    ok = np.isfinite(means)
    out[ok] = _mle_window(means[ok], lo, hi, start)
    return out


def _draws(counts, n_boot, seed):
    """Poisson bootstrap of the tokens: each token gets a Poisson(1) weight, so a type of count ``c`` gets a
    Poisson(``c``) count (the large-N form of the multinomial resample; ~10x faster over 5e4 types)."""
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        yield rng.poisson(counts)


def zipf_fit(counts, window=None, min_count=10, n_boot=200, level=0.95, ci_method="basic", seed=0):
    """Rank-frequency (Zipf) exponent of token counts, with a whole-sample bootstrap interval.

    Parameters
    ----------
    counts : array_like of int or TokenCounts
        Counts of the types (any order).
    window : (int, int), optional
        Inclusive rank window; default ``(1, last rank with count >= min_count)``.
    min_count : int
        Default window: the ranks whose count is at least this (rank noise grows as counts fall).
    n_boot : int
        Bootstrap resamples of the tokens (>= 20).
    level : float
    ci_method : {"basic", "percentile"}
        ``basic`` corrects the bias of re-ranking noisy counts to first order (measured coverage in
        tests/test_data_predict.py).
    seed : int

    Returns
    -------
    ZipfFit

    Examples
    --------
    >>> import numpy as np
    >>> z = zipf_fit(np.array([1000, 500, 333, 250, 200, 167, 143, 125, 111, 100]), n_boot=50)
    >>> round(z.exponent, 2), z.window
    (1.0, (1, 10))
    """
    tc = counts if isinstance(counts, TokenCounts) else token_counts(np.arange(np.size(counts)), counts=counts)
    c = tc.counts
    _v.size_limit(f"a bootstrap over {c.size} types", c.size, MAX_TYPES, " types", "merge rare types first")
    n_boot = _v.integer("n_boot", n_boot, lo=20, hi=100_000)
    level = _v.probability("level", level)
    ci_method = _v.choice("ci_method", ci_method, _CI_METHODS)
    min_count = _v.integer("min_count", min_count, lo=1)
    lo, hi = _rank_window(c, window, min_count)
    ranks = np.arange(lo, hi + 1)
    fit = discrete_powerlaw_fit(ranks, lo, hi, level=level, counts=c[lo - 1:hi])
    boot = _rank_fit_boot(c, lo, hi, _draws(c, n_boot, _v.seed("seed", seed)), fit.exponent)
    ci = _interval(fit.exponent, boot, level, ci_method)
    alpha = fit.exponent - 1.0
    pe = alpha / (1 + alpha) if alpha > 0 else float("nan")
    pci = tuple((x - 1) / x if x > 1 else float("nan") for x in ci)
    return ZipfFit(exponent=fit.exponent, ci=ci, alpha=alpha, predicted_exponent=pe, predicted_ci=pci,
                   window=(lo, hi), lr_ci=fit.ci, level=level, n_boot=n_boot, ci_method=ci_method, n_tokens=fit.n,
                   rerank_bias=float(np.nanmedian(boot) - fit.exponent), fit=fit, counts=c)


# ----------------------------------------------------------------------------- learning curve
def _eps_unbiased(values, mult, N, P):
    """``sum_types (c/N) C(N-c, P)/C(N-1, P)`` over distinct counts ``values`` (``mult`` types each), per P."""
    v = values.astype(float)[:, None]
    Pm = np.asarray(P, dtype=float)[None, :]
    ok = Pm <= N - v
    with np.errstate(invalid="ignore"):
        lr = gammaln(N - v + 1) - gammaln(np.where(ok, N - v - Pm + 1, 1.0)) + gammaln(N - Pm) - gammaln(N)
    terms = np.where(ok, np.exp(np.log(mult[:, None] * v / N) + np.where(ok, lr, 0.0)), 0.0)
    return terms.sum(axis=0)


@dataclass(frozen=True, repr=False)
class MemoriserCurve(Result):
    """Learning curve of a memorising learner, estimated from a sample of ``N`` tokens.

    Attributes
    ----------
    P : numpy.ndarray
        Training-set sizes (tokens).
    eps : numpy.ndarray
        Unbiased estimate of ``sum_r f_r (1-f_r)^P`` (nan beyond ``P = N - 1``, where the sample cannot
        support it).
    eps_lo, eps_hi : numpy.ndarray
        Whole-sample bootstrap band: the spread of the resampled estimates placed around ``eps`` (their own
        centre is the plug-in, the truth of the bootstrap world); approximate near the edge, where it rests on
        the singletons.
    eps_plugin : numpy.ndarray
        The plug-in ``sum (c/N)(1 - c/N)^P`` (biased low as P nears N: the unseen types are missing).
    eps_extrapolated : numpy.ndarray
        From ``P = N - 1`` on: Good-Turing's ``n_1/N`` times ``((P+1)/N)^-predicted_exponent`` (nan before).
    N : int
        Tokens of the sample.
    P_supported : int
        ``N - 1``: the largest P with an unbiased estimate.
    good_turing : float
        ``n_1/N``: the unseen mass after N tokens (= ``eps`` at ``N - 1``).
    local_exponent : numpy.ndarray
        ``-d ln eps/d ln P`` of the estimate (nan beyond the supported range).
    predicted_exponent : float
        ``alpha/(1+alpha)`` of the rank fit, used for the extrapolation.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.theory.data import memoriser_curve
    >>> mc = memoriser_curve(np.array([3, 1, 1]), P=[0, 1, 4])   # N = 5 tokens, 3 types
    >>> mc.eps[:2].round(4).tolist(), mc.good_turing          # eps(0) = 1; eps(N-1) = n_1/N
    ([1.0, 0.7], 0.4)
    """

    P: np.ndarray
    eps: np.ndarray
    eps_lo: np.ndarray
    eps_hi: np.ndarray
    eps_plugin: np.ndarray
    eps_extrapolated: np.ndarray
    N: int
    P_supported: int
    good_turing: float
    local_exponent: np.ndarray
    predicted_exponent: float

    _repr_fields = ("P", "eps", "N", "good_turing", "predicted_exponent")
    _reasons = {"eps": "P > N - 1: no unbiased estimate from N tokens (see eps_extrapolated)",
                "eps_lo": "P > N - 1, or no bootstrap asked for", "eps_hi": "P > N - 1, or no bootstrap asked for",
                "eps_extrapolated": "P < N - 1: the sample itself supports eps there",
                "local_exponent": "undefined at P = 0, beyond P = N - 1 and on fewer than two P",
                "predicted_exponent": "alpha <= 0 or not fitted: no extrapolation"}

    def _text(self):
        lines = [f"memoriser learning curve eps(P) = sum_r f_r (1-f_r)^P from N = {self.N} tokens "
                 f"(unbiased for P <= {self.P_supported}; Good-Turing n1/N = {self.good_turing:.4g}):",
                 f"{'P':>12s} {'eps (unbiased)':>15s} {'band':>21s} {'plug-in':>11s} {'extrapolated':>13s} "
                 f"{'local exp.':>10s}"]
        for i in range(self.P.size):
            band = f"[{self.eps_lo[i]:.4g}, {self.eps_hi[i]:.4g}]" if np.isfinite(self.eps_lo[i]) else ""
            lines.append(f"{self.P[i]:12.4g} {self.eps[i]:15.5g} {band:>21s} {self.eps_plugin[i]:11.5g} "
                         f"{self.eps_extrapolated[i]:13.5g} {self.local_exponent[i]:10.4f}")
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """Estimate (with its band), plug-in and extrapolation against P (log-log). Returns the axes."""
        ax = new_axes(ax)
        ok = (self.P > 0) & np.isfinite(self.eps)
        ax.loglog(self.P[ok], self.eps[ok], "-", label="eps(P), unbiased from the sample", **kw)
        if np.any(np.isfinite(self.eps_lo[ok])):
            ax.fill_between(self.P[ok], self.eps_lo[ok], self.eps_hi[ok], alpha=0.25, label="bootstrap band")
        pos = (self.P > 0) & (self.eps_plugin > 0)
        ax.loglog(self.P[pos], self.eps_plugin[pos], ":", label="plug-in sum (c/N)(1-c/N)^P")
        ex = np.isfinite(self.eps_extrapolated) & (self.P > 0)
        if ex.any():
            ax.loglog(self.P[ex], self.eps_extrapolated[ex], "--",
                      label=f"Good-Turing edge x P^-{self.predicted_exponent:.3g} (fit)")
        ax.axvline(self.P_supported, color="0.6", lw=0.8)
        ax.set_xlabel("training tokens P")
        ax.set_ylabel("memoriser error eps(P)")
        ax.legend(fontsize=8)
        return set_title(ax, "memoriser learning curve of the token sample")


def memoriser_curve(counts, P=None, predicted_exponent=float("nan"), n_boot=0, level=0.95, seed=0):
    """The memoriser's learning curve ``eps(P)`` estimated from token counts.

    Parameters
    ----------
    counts : array_like of int or TokenCounts
    P : array_like, optional
        Training-set sizes (rounded to integers); default 40 log-spaced values from 1 to ``100 N``.
    predicted_exponent : float
        Exponent of the extrapolation beyond ``N - 1`` (e.g. ``ZipfFit.predicted_exponent``).
    n_boot : int
        Whole-sample bootstrap resamples for the band (0: none).
    level : float
    seed : int

    Returns
    -------
    MemoriserCurve

    Examples
    --------
    >>> import numpy as np
    >>> mc = memoriser_curve(np.array([50, 30, 10, 5, 3, 1, 1]), P=[10, 99], predicted_exponent=0.3)
    >>> mc.N, mc.P_supported, round(mc.good_turing, 3), bool(mc.eps[0] > mc.eps_plugin[0])
    (100, 99, 0.02, True)
    """
    tc = counts if isinstance(counts, TokenCounts) else token_counts(np.arange(np.size(counts)), counts=counts)
    c = tc.counts
    N = int(c.sum())
    if N < 2:
        raise InputError(f"need at least 2 tokens, got {N}")
    if P is None:
        P = np.unique(np.round(np.geomspace(1, 100 * N, 40)))
    P = np.round(_v.real_array("P", P, lo=0)).astype(float)
    n_boot = _v.integer("n_boot", n_boot, lo=0, hi=100_000)
    predicted_exponent = _v.real("predicted_exponent", predicted_exponent, lo=0.0) \
        if not (isinstance(predicted_exponent, float) and math.isnan(predicted_exponent)) else predicted_exponent
    level = _v.probability("level", level)
    seed = _v.seed("seed", seed)
    vals, mult = np.unique(c, return_counts=True)
    inside = P <= N - 1
    eps = np.full(P.size, np.nan)
    eps[inside] = _eps_unbiased(vals, mult.astype(float), N, P[inside])
    f = vals / N
    plug = decay_sum(np.log(mult * f), np.log(f), P.astype(np.float64))
    gt = float(np.sum(c == 1) / N)
    pe = float(predicted_exponent)
    ext = np.full(P.size, np.nan)
    if math.isfinite(pe) and pe > 0:
        beyond = P >= N - 1
        ext[beyond] = gt * ((P[beyond] + 1) / N) ** -pe
    lo = np.full(P.size, np.nan)
    hi = np.full(P.size, np.nan)
    if n_boot and inside.any():
        boot = []
        for cb in _draws(c, n_boot, seed):
            cb = cb[cb > 0]
            vb, mb = np.unique(cb, return_counts=True)
            boot.append(_eps_unbiased(vb, mb.astype(float), N, P[inside]))
        boot = np.array(boot)
        q = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2], axis=0)
        centre = boot.mean(axis=0)  # the bootstrap world's truth is the plug-in: keep its spread, not its centre
        lo[inside], hi[inside] = eps[inside] - (centre - q[0]), eps[inside] + (q[1] - centre)
    loc = np.full(P.size, np.nan)
    ok = inside & (P > 0) & (eps > 0)
    if np.sum(ok) >= 2:
        idx = np.flatnonzero(ok)
        order = np.argsort(P[idx])
        Pu, first = np.unique(P[idx][order], return_index=True)
        if Pu.size >= 2:
            sl = -local_slope(Pu, eps[idx][order][first])
            loc[idx[order][first]] = sl
    return MemoriserCurve(P=P, eps=eps, eps_lo=lo, eps_hi=hi, eps_plugin=plug, eps_extrapolated=ext, N=N,
                          P_supported=N - 1, good_turing=gt, local_exponent=loc, predicted_exponent=pe)


# ----------------------------------------------------------------------------- all together
@dataclass(frozen=True, repr=False)
class TokenPrediction(Result):
    """What the path theory predicts from a token sample, and how the sample supports it.

    Attributes
    ----------
    source : str
    n_tokens, n_types, n_singletons : int
    zipf : ZipfFit
        Rank-frequency exponent and the memoriser exponent ``alpha/(1+alpha)``.
    tail : TailComparison
        Frequency distribution (counts of types) above ``x_min``: power law against lognormal,
        exponential and truncated power law, ours and ``powerlaw``'s.
    alpha_from_tail : float
        ``1/(gamma - 1) - 1`` from the frequency-distribution exponent ``gamma`` (a second reading of alpha).
    curve : MemoriserCurve
        ``eps(P)`` from the sample (unbiased up to ``N - 1``) and extrapolated from the Good-Turing edge.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.theory.data import predict_tokens
    >>> p = np.arange(1, 5001.0) ** -1.4; p /= p.sum()
    >>> tokens = np.random.default_rng(0).choice(5000, size=100_000, p=p)
    >>> pred = predict_tokens(tokens, n_boot=50, peer=False)
    >>> round(pred.zipf.exponent, 1), round(pred.zipf.predicted_exponent, 2)
    (1.4, 0.29)
    >>> sorted(pred.to_dict())[:3]
    ['alpha_from_tail', 'curve', 'n_singletons']
    """

    source: str
    n_tokens: int
    n_types: int
    n_singletons: int
    zipf: ZipfFit
    tail: TailComparison | None
    alpha_from_tail: float
    curve: MemoriserCurve
    notes: list = field(default_factory=list)

    _repr_fields = ("source", "n_tokens", "n_types", "zipf", "alpha_from_tail")
    _reasons = {"alpha_from_tail": "the frequency-distribution exponent gamma is not in (1, 2): "
                                   "no rank exponent > 1 corresponds to it"}

    def _frame_data(self):
        return self.curve._frame_data()

    def _text(self):
        out = [f"{self.source}: {self.n_tokens} tokens, {self.n_types} types, {self.n_singletons} seen once",
               str(self.zipf)]
        if self.tail is not None:
            out += ["frequency distribution (counts of types):", "  " + str(self.tail).replace("\n", "\n  "),
                    f"  alpha from the frequency distribution 1/(gamma-1) - 1 = {self.alpha_from_tail:.4f}"]
        out.append(str(self.curve))
        out += [f"note: {n}" for n in self.notes]
        return "\n".join(out)

    def plot(self, ax=None, **kw):
        """The learning curve (:meth:`MemoriserCurve.plot`). Returns the axes."""
        return self.curve.plot(ax=ax, **kw)


def predict_tokens(data, *, format="auto", window=None, min_count=10, x_min=None, x_max=None, P=None,
                   n_boot=200, level=0.95, ci_method="basic", peer="auto", seed=0):
    """The path theory's predictions from a sample of tokens.

    Parameters
    ----------
    data : path, TokenCounts, mapping, sequence of tokens or integer array
        A file (:func:`read_tokens`), or tokens/counts in memory (:func:`token_counts`).
    format : {"auto", "tokens", "counts", "ids"}
        File format (see :func:`read_tokens`).
    window, min_count
        Rank window of the Zipf fit (see :func:`zipf_fit`).
    x_min, x_max : int, optional
        Window of the frequency-distribution fit (default ``x_min``: the KS minimum).
    P : array_like, optional
        Training-set sizes of the learning curve.
    n_boot : int
        Whole-sample bootstrap resamples (Zipf interval and learning-curve band).
    level : float
    ci_method : {"basic", "percentile"}
    peer : bool or "auto"
        Run the ``powerlaw`` package beside our tail comparison (if installed); ``"auto"``: when the window
        holds at most 20000 samples (its truncated power law takes ~10 s there).
    seed : int

    Returns
    -------
    TokenPrediction

    Examples
    --------
    >>> pred = predict_tokens({"the": 60, "of": 30, "a": 20, "to": 15, "in": 12, "is": 10, "it": 8,
    ...                        "on": 6, "at": 5, "by": 4, "we": 3, "up": 2, "go": 1, "so": 1},
    ...                       min_count=2, n_boot=30, peer=False)
    >>> pred.n_tokens, pred.zipf.window, pred.curve.P_supported
    (177, (1, 12), 176)
    """
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        tc = read_tokens(data, format=format)
    else:
        tc = token_counts(data)
    c = tc.counts
    notes = []
    zf = zipf_fit(tc, window=window, min_count=min_count, n_boot=n_boot, level=level, ci_method=ci_method,
                  seed=seed)
    tail, a_tail = None, float("nan")
    try:
        tail = compare_tails(c, x_min=x_min, x_max=x_max, level=level, peer=peer)
        g = tail.fit.exponent
        a_tail = 1.0 / (g - 1.0) - 1.0 if 1.0 < g < 2.0 else float("nan")
    except InputError as exc:
        notes.append(f"no frequency-distribution fit: {exc}")
    curve = memoriser_curve(tc, P=P, predicted_exponent=zf.predicted_exponent, n_boot=min(n_boot, 200),
                            level=level, seed=seed + 1)
    return TokenPrediction(source=tc.source, n_tokens=tc.n_tokens, n_types=tc.n_types,
                           n_singletons=int(np.sum(c == 1)), zipf=zf, tail=tail, alpha_from_tail=a_tail,
                           curve=curve, notes=notes)
