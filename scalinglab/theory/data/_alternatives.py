"""Is a heavy tail a power law? Likelihood-ratio comparisons with its usual rivals (Clauset, Shalizi & Newman 2009).

The data: integer values ``v`` (e.g. the counts of the types of a text) with
multiplicities ``m``, on a window ``x_min <= v <= x_max``. Four discrete
families, each normalised over the integers of the window:

* power law ``k^-gamma`` (:func:`scalinglab.theory.fitting.discrete_powerlaw_fit`);
* exponential ``exp(-lambda k)`` (a geometric law);
* lognormal ``k^-1 exp(-(ln k - mu)^2 / (2 sigma^2))``;
* truncated power law ``k^-gamma exp(-lambda k)`` (the power law is its ``lambda -> 0`` limit).

Normalising sums: the first 2000 terms exactly (log-sum-exp), the rest by the
integral of the same density from ``x_min + 2000 - 1/2`` (midpoint rule; the
densities are smooth and slowly varying there, so the error is below 1e-9
relative for the parameters the fits reach). Each rival is fitted by maximum
likelihood (Nelder-Mead in unconstrained parameters), and compared with the
power law by Vuong's test as ``powerlaw`` does: ``R = sum_i (l_pl(v_i) -
l_alt(v_i))`` (positive favours the power law), ``p = erfc(|R| / sqrt(2 n
var))`` for the non-nested rivals and ``p = P(chi2_1 > 2|R|)`` for the nested
truncated power law.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, special, stats

from scalinglab import _validation as _v
from scalinglab._results import Result
from scalinglab.errors import InputError
from scalinglab.theory.fitting import discrete_powerlaw_fit, discrete_powerlaw_log_norm

__all__ = ["TailComparison", "compare_tails", "ALTERNATIVES"]

ALTERNATIVES = ("lognormal", "exponential", "truncated_power_law")
#: With ``peer="auto"``, the ``powerlaw`` package runs on windows of at most this many samples.
PEER_AUTO_LIMIT = 20000
_HEAD = 2000


def _lse(a):
    m = np.max(a)
    return float(m + np.log(np.sum(np.exp(a - m)))) if np.isfinite(m) else float(m)


def _log_norm(logf, tail, a, b):
    """``ln sum_{k=a}^{b} f(k)``: exact head of ``_HEAD`` terms, then ``ln int_{a+_HEAD-1/2}^{b+1/2} f``."""
    hi = a + _HEAD - 1 if b is None else min(b, a + _HEAD - 1)
    k = np.arange(a, hi + 1, dtype=float)
    head = _lse(logf(k))
    if b is not None and hi >= b:
        return head
    lt = tail(hi + 0.5, math.inf if b is None else b + 0.5)
    if not np.isfinite(lt):
        return head if lt == -math.inf else math.inf
    return float(np.logaddexp(head, lt))


# --------------------------------------------------------------------------- families
def _lognormal_logpmf(params, v, a, b):
    mu, log_s = params
    s = math.exp(log_s)
    if not (1e-3 < s < 1e4 and abs(mu) < 1e5):
        return None

    def logf(k):
        lk = np.log(k)
        return -lk - (lk - mu) ** 2 / (2 * s * s)

    def tail(lo, hi):
        zlo = (math.log(lo) - mu) / s
        upper = special.log_ndtr(-zlo)
        if math.isinf(hi):
            val = upper
        else:
            zhi = (math.log(hi) - mu) / s
            lower = special.log_ndtr(-zhi)
            val = upper + math.log1p(-math.exp(min(lower - upper, 0.0))) if lower < upper else -math.inf
        return math.log(s * math.sqrt(2 * math.pi)) + val

    return logf(v) - _log_norm(logf, tail, a, b)


def _exponential_logpmf(params, v, a, b):
    lam = math.exp(params[0])
    if not 1e-12 < lam < 50:
        return None
    span = math.inf if b is None else b - a + 1
    # sum_{k=a}^{b} e^{-lam k} = e^{-lam a} (1 - e^{-lam span}) / (1 - e^{-lam})
    lz = -lam * a + (0.0 if math.isinf(span) else math.log(-math.expm1(-lam * span))) - math.log(-math.expm1(-lam))
    return -lam * v - lz


def _tpl_logpmf(params, v, a, b):
    g, log_lam = params
    lam = math.exp(log_lam)
    if not (-20 < g < 20 and 1e-14 < lam < 50):
        return None

    def logf(k):
        return -g * np.log(k) - lam * k

    def tail(lo, hi):
        u0 = math.log(lo)
        base = (1 - g) * u0 - lam * lo

        def integrand(u):
            return math.exp((1 - g) * u - lam * math.exp(u) - base)

        top = math.log(hi) if math.isfinite(hi) else u0 + max(60.0, math.log(60.0 / lam + 1) + 5)
        val, _ = integrate.quad(integrand, u0, top, limit=200, epsabs=0, epsrel=1e-10)
        return base + math.log(val) if val > 0 else -math.inf

    return logf(v) - _log_norm(logf, tail, a, b)


def _fit(logpmf, start, v, m, a, b):
    def nll(p):
        with np.errstate(all="ignore"):
            lp = logpmf(p, v, a, b)
        if lp is None or not np.all(np.isfinite(lp)):
            return 1e300
        return -float(np.dot(m, lp))

    best = None
    for s in start:
        res = optimize.minimize(nll, np.atleast_1d(s), method="Nelder-Mead",
                                options={"xatol": 1e-8, "fatol": 1e-9, "maxiter": 4000})
        if best is None or res.fun < best.fun:
            best = res
    return best.x, logpmf(best.x, v, a, b)


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class TailComparison(Result):
    """Power law against its rivals on one window, by likelihood ratio (ours, and ``powerlaw``'s beside them).

    Attributes
    ----------
    fit : DiscretePowerLawFit
        The power law on the window.
    x_min, x_max : int or None
        The window.
    ks_distance : float
        Kolmogorov-Smirnov distance between the window's samples and the fitted power law.
    x_min_method : str
        How ``x_min`` was chosen (``"given"`` or ``"KS minimum"``).
    comparisons : dict
        ``{rival: {"R", "normalized_R", "p", "favours", "params", "nested"}}``; ``R > 0`` favours the power
        law, ``p`` is the significance of the sign of ``R``.
    peer : dict
        The same numbers from the ``powerlaw`` package on the same samples and window
        (``{"available": False, "reason": ...}`` when it is not installed or was not asked for).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.theory.data import compare_tails
    >>> k = np.random.default_rng(0).zipf(2.2, 3000)
    >>> tc = compare_tails(k, x_min=2, peer=False)
    >>> round(tc.fit.exponent, 1), tc.comparisons["exponential"]["favours"]
    (2.2, 'power law')
    """

    fit: object
    x_min: int
    x_max: int | None
    ks_distance: float
    x_min_method: str
    comparisons: dict
    peer: dict

    _repr_fields = ("fit", "x_min", "x_max", "ks_distance")
    _reasons = {"x_max": "unbounded window (no upper end)"}

    @property
    def exponent(self):
        return self.fit.exponent

    def _frame_data(self):
        rows = {"rival": [], "R": [], "normalized_R": [], "p": [], "favours": [], "peer_normalized_R": [],
                "peer_p": []}
        for k, c in self.comparisons.items():
            pc = (self.peer.get("comparisons") or {}).get(k, {})
            rows["rival"].append(k)
            for f in ("R", "normalized_R", "p", "favours"):
                rows[f].append(c[f])
            rows["peer_normalized_R"].append(pc.get("normalized_R", float("nan")))
            rows["peer_p"].append(pc.get("p", float("nan")))
        rows["exponent"] = self.fit.exponent
        rows["x_min"] = self.x_min
        return rows

    def _text(self):
        hi = "inf" if self.x_max is None else str(self.x_max)
        lines = [f"power law on [{self.x_min}, {hi}] ({self.x_min_method}): exponent {self.fit.exponent:.4f} "
                 f"[{100 * self.fit.level:g} % LR {self.fit.ci[0]:.4f}, {self.fit.ci[1]:.4f}], "
                 f"{self.fit.n} samples, KS distance {self.ks_distance:.4f}"]
        peer_ok = self.peer.get("available")
        if peer_ok:
            lines.append(f"  powerlaw package, same samples and window: exponent {self.peer['alpha']:.4f} "
                         f"(its own x_min choice: {self.peer.get('own_xmin')})")
        lines.append(f"  {'rival':22s} {'R':>10s} {'R/sqrt(n var)':>13s} {'p':>9s}  favours"
                     + ("      powerlaw pkg: R/sqrt(n var), p" if peer_ok else ""))
        for k, c in self.comparisons.items():
            s = f"  {k:22s} {c['R']:10.4g} {c['normalized_R']:13.4g} {c['p']:9.3g}  {c['favours']:10s}"
            if peer_ok:
                pc = self.peer["comparisons"].get(k, {})
                s += f"  {pc.get('normalized_R', float('nan')):10.4g}, {pc.get('p', float('nan')):.3g}"
            lines.append(s)
        if not peer_ok:
            lines.append(f"  (powerlaw package: {self.peer.get('reason', 'not run')})")
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """The window's complementary CDF and the fitted power law (:meth:`DiscretePowerLawFit.plot`)."""
        return self.fit.plot(ax=ax, **kw)


def _ks(values, counts, g, x_min, x_max):
    """KS distance between the samples (``values`` with ``counts``) and the power law ``g`` on the window."""
    n = counts.sum()
    emp = 1.0 - np.concatenate([[0.0], np.cumsum(counts)[:-1]]) / n   # P(K >= v) of the samples
    lz = discrete_powerlaw_log_norm(g, x_min, x_max)
    cap = int(min(values.max(), x_min + 10**5))
    k = np.arange(x_min, cap + 1, dtype=float)
    pmf = np.exp(-g * np.log(k) - lz)
    cdf_below = np.concatenate([[0.0], np.cumsum(pmf)])                 # P(K < k) for k = x_min..cap+1
    fit = np.empty(values.size)
    small = values <= cap
    fit[small] = 1.0 - cdf_below[(values[small] - x_min).astype(np.int64)]
    for i in np.flatnonzero(~small):
        fit[i] = math.exp(discrete_powerlaw_log_norm(g, int(values[i]), x_max) - lz)
    return float(np.max(np.abs(emp - fit)))


def _positive_ints(name, samples):
    """Samples that must be positive integers (a 1-d int64 array)."""
    k = _v.real_array(name, samples, lo=1.0, ndim=max(1, np.ndim(samples)), max_size=10**9).ravel()
    if np.any(k != np.round(k)) or np.any(k > 2**62):
        raise InputError(f"{name} must be positive integers")
    return k.astype(np.int64)


def choose_x_min(samples, x_max=None, min_tail=50, max_candidates=60):
    """``x_min`` minimising the KS distance of the power-law fit above it (Clauset, Shalizi & Newman 2009).

    Candidates: the distinct sample values with at least ``min_tail`` samples at or above them (at most
    ``max_candidates``, log-spaced among them). Returns ``(x_min, ks_distance)``.

    Examples
    --------
    >>> import numpy as np
    >>> k = np.random.default_rng(1).zipf(2.5, 5000)
    >>> x_min, ks = choose_x_min(k)
    >>> x_min <= 5, ks < 0.05
    (True, True)
    """
    v, c = np.unique(_positive_ints("samples", samples), return_counts=True)
    x_max = None if x_max is None else _v.integer("x_max", x_max, lo=1, hi=2**62)
    min_tail = _v.integer("min_tail", min_tail, lo=2)
    max_candidates = _v.integer("max_candidates", max_candidates, lo=1, hi=10**5)
    if x_max is not None:
        keep = v <= x_max
        v, c = v[keep], c[keep]
    above = np.cumsum(c[::-1])[::-1]
    cand = v[(above >= min_tail)]
    if cand.size > 1 and np.sum(v > cand.max()) == 0:
        cand = cand[:-1]
    if cand.size == 0:
        raise InputError(f"no x_min leaves {min_tail} samples (min_tail) in the tail: {int(c.sum())} samples"
                         + (f" up to x_max = {x_max}" if x_max is not None else ""))
    if cand.size > max_candidates:
        idx = np.unique(np.round(np.geomspace(1, cand.size, max_candidates)).astype(int) - 1)
        cand = cand[idx]
    best = (int(cand[0]), math.inf)
    for x in cand:
        sel = v >= x
        if np.unique(v[sel]).size < 2:
            continue
        try:
            f = discrete_powerlaw_fit(v[sel], int(x), x_max, counts=c[sel])
        except ValueError:
            continue
        d = _ks(v[sel].astype(float), c[sel], f.exponent, int(x), x_max)
        if d < best[1]:
            best = (int(x), d)
    return best


def _vuong(l1, l2, m, nested):
    d = l1 - l2
    n = m.sum()
    R = float(np.dot(m, d))
    mean = R / n
    var = float(np.dot(m, (d - mean) ** 2) / n)
    if nested:
        p = float(stats.chi2.sf(abs(2 * R), 1))
    else:
        p = float(special.erfc(abs(R) / math.sqrt(2 * n * var))) if var > 0 else 1.0
    nR = R / math.sqrt(n * var) if var > 0 else float("nan")
    return R, nR, p


def _peer(v, m, x_min, x_max, own_xmin):
    try:
        import powerlaw
    except ImportError:
        return {"available": False, "reason": "the powerlaw package is not installed (pip install powerlaw)"}
    data = np.repeat(v, m).astype(float)
    out = {"available": True, "package": f"powerlaw {getattr(powerlaw, '__version__', '?')}",
           "settings": "Fit(data, discrete=True, xmin=ours, xmax=ours, estimate_discrete=False)"}
    import contextlib
    import io
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        fit = powerlaw.Fit(data, discrete=True, xmin=x_min, xmax=x_max, estimate_discrete=False)
        out["alpha"] = float(fit.power_law.alpha)
        out["sigma"] = float(fit.power_law.sigma)
        comps = {}
        for alt in ALTERNATIVES:
            R, p = fit.distribution_compare("power_law", alt)
            nR, _ = fit.distribution_compare("power_law", alt, normalized_ratio=True)
            comps[alt] = {"R": float(R), "normalized_R": float(nR), "p": float(p)}
        comps["lognormal"]["params"] = {"mu": float(fit.lognormal.mu), "sigma": float(fit.lognormal.sigma)}
        comps["exponential"]["params"] = {"lambda": float(fit.exponential.Lambda)}
        comps["truncated_power_law"]["params"] = {"gamma": float(fit.truncated_power_law.alpha),
                                                  "lambda": float(fit.truncated_power_law.Lambda)}
        out["comparisons"] = comps
        if own_xmin:
            own = powerlaw.Fit(data if x_min <= 1 else np.repeat(v, m).astype(float), discrete=True,
                               estimate_discrete=False)
            out["own_xmin"] = float(own.xmin)
            out["own_alpha"] = float(own.power_law.alpha)
        else:
            out["own_xmin"] = None
            out["own_xmin_reason"] = "not searched (over the sample limit of the peer x_min search)"
    return out


def compare_tails(samples, x_min=None, x_max=None, counts=None, level=0.95, peer=True, peer_xmin_limit=20000):
    """Fit a discrete power law on a window and compare it with lognormal, exponential and truncated power law.

    Parameters
    ----------
    samples : array_like of int
        Positive integers (e.g. the count of each type of a text, or cluster sizes).
    x_min : int, optional
        Lower end of the window; default: the KS minimum (:func:`choose_x_min`).
    x_max : int, optional
        Upper end (default: none).
    counts : array_like of int, optional
        Multiplicities of ``samples`` (then distinct values).
    level : float
        Level of the power law's likelihood-ratio interval.
    peer : bool or "auto"
        Also run the ``powerlaw`` package on the same samples and window (if installed); ``"auto"``: when the
        window holds at most ``PEER_AUTO_LIMIT`` samples.
    peer_xmin_limit : int
        Largest number of samples for which ``powerlaw``'s own ``x_min`` search is run too.

    Returns
    -------
    TailComparison

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(3).geometric(0.2, 4000)      # an exponential tail
    >>> tc = compare_tails(x, x_min=2, peer=False)
    >>> tc.comparisons["exponential"]["favours"], tc.comparisons["exponential"]["p"] < 0.01
    ('exponential', True)
    """
    k = _positive_ints("samples", samples)
    if counts is None:
        w = np.ones_like(k)
    else:
        w = _v.real_array("counts", counts, lo=0.0, ndim=max(1, np.ndim(counts))).ravel()
        if w.size != k.size or np.any(w != np.round(w)):
            raise InputError(f"counts must be {k.size} non-negative integers, one per sample value")
        w = w.astype(np.int64)
    x_min = None if x_min is None else _v.integer("x_min", x_min, lo=1, hi=2**62)
    x_max = None if x_max is None else _v.integer("x_max", x_max, lo=1, hi=2**62)
    level = _v.probability("level", level)
    peer = peer if isinstance(peer, str) and peer == "auto" else _v.flag("peer", peer)
    peer_xmin_limit = _v.integer("peer_xmin_limit", peer_xmin_limit, lo=0)
    v_all, inv = np.unique(k, return_inverse=True)
    m_all = np.bincount(inv.ravel(), weights=w, minlength=v_all.size).astype(np.int64)
    method = "given"
    if x_min is None:
        try:
            x_min, _ = choose_x_min(np.repeat(v_all, m_all) if m_all.sum() < 5e6 else v_all, x_max)
            method = "KS minimum"
        except InputError:  # too few samples for the KS search: the whole range
            x_min, method = int(v_all.min()), "smallest value (too few samples for the KS search)"
    fit = discrete_powerlaw_fit(v_all, x_min, x_max, level=level, counts=m_all)
    x_min = fit.x_min
    sel = (v_all >= x_min) & (v_all <= (math.inf if x_max is None else x_max)) & (m_all > 0)
    v, m = v_all[sel].astype(float), m_all[sel]
    ks = _ks(v, m, fit.exponent, x_min, x_max)
    l_pl = -fit.exponent * np.log(v) - discrete_powerlaw_log_norm(fit.exponent, x_min, x_max)
    lv = np.log(v)
    mu0 = float(np.dot(m, lv) / m.sum())
    s0 = max(float(np.sqrt(np.dot(m, (lv - mu0) ** 2) / m.sum())), 0.1)
    mean_ex = float(np.dot(m, v - x_min) / m.sum())
    fits = {
        "lognormal": (_lognormal_logpmf, [(mu0, math.log(s0)), (0.0, math.log(2 * s0))], False,
                      lambda p: {"mu": float(p[0]), "sigma": float(math.exp(p[1]))}),
        "exponential": (_exponential_logpmf, [(math.log(math.log1p(1 / max(mean_ex, 1e-9))),)], False,
                        lambda p: {"lambda": float(math.exp(p[0]))}),
        "truncated_power_law": (_tpl_logpmf, [(fit.exponent, math.log(1.0 / (10 * v.max()))),
                                              (max(fit.exponent - 0.5, 0.0), math.log(1.0 / v.max()))], True,
                                lambda p: {"gamma": float(p[0]), "lambda": float(math.exp(p[1]))}),
    }
    comps = {}
    for name, (fn, starts, nested, names) in fits.items():
        params, l_alt = _fit(fn, starts, v, m, x_min, x_max)
        if nested and float(np.dot(m, l_alt)) < float(np.dot(m, l_pl)):  # the optimiser missed: lambda -> 0
            l_alt = l_pl
        R, nR, p = _vuong(l_pl, l_alt, m, nested)
        comps[name] = {"R": R, "normalized_R": nR, "p": p, "nested": nested,
                       "favours": "power law" if R > 0 else ("equal" if R == 0 else name), "params": names(params)}
    n_win = int(m.sum())
    if peer == "auto" and n_win > PEER_AUTO_LIMIT:
        pr = {"available": False, "reason": f"skipped: {n_win} samples in the window, over the automatic limit "
                                            f"{PEER_AUTO_LIMIT} (its truncated power law takes minutes there; "
                                            "peer=True or --peer yes forces it)"}
    elif peer:
        try:
            pr = _peer(v.astype(np.int64), m, x_min, x_max, int(m.sum()) <= peer_xmin_limit)
        except Exception as exc:  # a failure inside the peer library is reported, not raised
            pr = {"available": False, "reason": f"powerlaw failed: {type(exc).__name__}: {exc}"}
    else:
        pr = {"available": False, "reason": "not asked for"}
    return TailComparison(fit=fit, x_min=int(x_min), x_max=x_max, ks_distance=ks, x_min_method=method,
                          comparisons=comps, peer=pr)
