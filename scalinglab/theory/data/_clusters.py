"""Cluster sizes: the Fisher exponent tau by discrete MLE, then Brill's quanta and manifold exponents.

Input: one size per cluster (``sampling="cluster"``, as from labelling a
lattice: sizes distributed as ``n_s ∝ s^-tau``), or the sizes of the
clusters that hold randomly chosen sites (``sampling="site"``: size-biased,
``∝ s^(1-tau)``, so ``tau`` is the fitted exponent plus one). The fit is the
discrete power-law MLE above ``x_min`` (KS minimum by default) with its
likelihood-ratio interval and a bootstrap over clusters, compared with
lognormal, exponential and truncated power law (:func:`compare_tails`).
Brill's model (:func:`scalinglab.theory.percolation.brill_prediction`) then
gives the quanta exponent ``alpha = (3 - tau)/(tau - 2)`` and the model- and
data-scaling exponents for a cluster dimension ``D`` and loss exponent ``c``.
A cluster holding more than half of all sites marks the supercritical
regime (one dominant manifold: exponents ``c/D``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from scalinglab import _validation as _v
from scalinglab._results import Result
from scalinglab.errors import InputError
from scalinglab.theory.data._alternatives import TailComparison, compare_tails
from scalinglab.theory.data._discrete import _interval
from scalinglab.theory.data._inputs import read_integers
from scalinglab.theory.fitting import _neg_loglik
from scalinglab.theory.percolation import BrillPrediction, brill_prediction

__all__ = ["ClusterPrediction", "predict_clusters"]


@dataclass(frozen=True, repr=False)
class ClusterPrediction(Result):
    """Fisher exponent of cluster sizes and Brill's predicted scaling exponents.

    Attributes
    ----------
    source : str
    n_clusters : int
    largest_fraction : float
        Share of all sites in the largest cluster.
    regime : str
        ``"subcritical"`` (quanta) or ``"supercritical"`` (largest cluster > 1/2 of the sites).
    sampling : str
        ``"cluster"`` or ``"site"`` (size-biased input).
    tau, tau_ci : float, tuple
        Fisher exponent and its bootstrap interval over clusters (the wider of it and the likelihood-ratio
        interval is ``tau_ci``).
    tail : TailComparison
        The power law against its rivals on the window (ours and ``powerlaw``'s).
    alpha : float
        Quanta exponent ``(3 - tau)/(tau - 2)`` (nan outside ``2 < tau < 3``).
    alpha_ci : tuple
    prediction : BrillPrediction or None
        Model- and data-scaling exponents for ``c`` and ``D``.
    c, D : float
    level : float
    notes : list

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.theory.data import predict_clusters
    >>> sizes = np.random.default_rng(0).zipf(2.5, 20000)           # n_s ∝ s^-2.5: the Bethe lattice's tau
    >>> cp = predict_clusters(sizes, x_min=1, peer=False, n_boot=100)
    >>> round(cp.tau, 1), round(cp.alpha, 1), cp.prediction.data_exponent
    (2.5, 1.0, 0.5)
    """

    source: str
    n_clusters: int
    largest_fraction: float
    regime: str
    sampling: str
    tau: float
    tau_ci: tuple
    tail: TailComparison
    alpha: float
    alpha_ci: tuple
    prediction: BrillPrediction | None
    c: float
    D: float
    level: float
    notes: list = field(default_factory=list)

    _repr_fields = ("source", "n_clusters", "tau", "tau_ci", "alpha", "regime")
    _reasons = {"alpha": "tau outside (2, 3): no Zipf law of quanta in Brill's model",
                "alpha_ci": "the interval of tau leaves (2, 3)",
                "prediction": "no quanta exponent (tau outside (2, 3)) and no dominant cluster"}

    def _frame_data(self):
        return self.tail._frame_data()

    def _text(self):
        pct = f"{100 * self.level:g} %"
        out = [f"{self.source}: {self.n_clusters} clusters ({self.sampling} sampling); largest holds "
               f"{100 * self.largest_fraction:.3g} % of the sites: {self.regime} regime",
               f"tau = {self.tau:.4f} [{pct} {self.tau_ci[0]:.4f}, {self.tau_ci[1]:.4f}] (discrete MLE on sizes >= "
               f"{self.tail.x_min}; the wider of the bootstrap over clusters and the likelihood-ratio interval)",
               "  " + str(self.tail).replace("\n", "\n  "),
               f"quanta exponent alpha = (3-tau)/(tau-2) = {self.alpha:.4f} [{self.alpha_ci[0]:.4f}, "
               f"{self.alpha_ci[1]:.4f}]"]
        if self.prediction is not None:
            out.append(str(self.prediction))
        out += [f"note: {n}" for n in self.notes]
        return "\n".join(out)

    def plot(self, ax=None, **kw):
        """Complementary CDF of the sizes and the fitted power law. Returns the axes."""
        return self.tail.plot(ax=ax, **kw)


def _mle(values, weights, x_min, x_max):
    """The MLE exponent alone (bootstrap resamples): :func:`discrete_powerlaw_fit`'s likelihood, no interval."""
    n = float(weights.sum())
    if n < 2 or np.all(values[weights > 0] == x_min):
        return float("nan")
    mean_log = float(np.dot(weights, np.log(values)) / n)
    lo = 1.0 + 1e-9 if x_max is None else -50.0
    res = optimize.minimize_scalar(lambda g: _neg_loglik(g, n, mean_log, x_min, x_max), bounds=(lo, 50.0),
                                   method="bounded", options={"xatol": 1e-8})
    return float(res.x)


def _alpha(tau):
    return (3.0 - tau) / (tau - 2.0) if 2.0 < tau < 3.0 else float("nan")


def predict_clusters(data, *, sampling="cluster", x_min=None, x_max=None, c=2.0, D=4.0, n_boot=200, level=0.95,
                     peer="auto", seed=0):
    """Brill's percolation predictions from a list of cluster sizes.

    Parameters
    ----------
    data : path or array_like of int
        Cluster sizes (a file: :func:`read_integers`).
    sampling : {"cluster", "site"}
        One entry per cluster, or the clusters of randomly chosen sites (size-biased).
    x_min, x_max : int, optional
        Fit window (default ``x_min``: the KS minimum).
    c : float
        Loss-resolution exponent of the learner (2: squared error of a Lipschitz target).
    D : float
        Cluster (manifold) dimension (4: mean-field / Bethe lattice fractal dimension).
    n_boot : int
        Bootstrap resamples of the clusters.
    level : float
    peer : bool or "auto"
        The ``powerlaw`` package's numbers beside ours (``"auto"``: windows of at most 20000 samples).
    seed : int

    Returns
    -------
    ClusterPrediction

    Examples
    --------
    >>> import numpy as np
    >>> sizes = np.concatenate([np.random.default_rng(1).zipf(2.5, 500), [10**6]])  # one giant cluster
    >>> predict_clusters(sizes, x_min=1, peer=False, n_boot=50).regime
    'supercritical'
    """
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        s = read_integers(data, "cluster sizes")
        source = str(data)
    else:
        s = np.asarray(_v.real_array("cluster sizes", data), dtype=float)
        source = "array"
        if np.any(s != np.round(s)):
            raise InputError("cluster sizes must be integers")
        s = s.astype(np.int64)
    if np.any(s < 1):
        i = int(np.flatnonzero(s < 1)[0])
        raise InputError(f"{source}: cluster sizes must be >= 1; entry {i} is {s[i]}")
    sampling = _v.choice("sampling", sampling, ("cluster", "site"))
    c = _v.positive("c", c)
    D = _v.positive("D", D)
    n_boot = _v.integer("n_boot", n_boot, lo=20, hi=100_000)
    level = _v.probability("level", level)
    shift = 1.0 if sampling == "site" else 0.0
    notes = []
    frac = float(s.max() / s.sum())
    regime = "supercritical" if frac > 0.5 else "subcritical"
    sizes = s
    if regime == "supercritical" and sampling == "cluster":
        sizes = np.delete(s, int(np.argmax(s)))
        notes.append("the largest cluster (the data manifold) is left out of the tau fit: the finite clusters "
                     "carry tau")
    tail = compare_tails(sizes, x_min=x_min, x_max=x_max, level=level, peer=peer)
    fit = tail.fit
    rng = np.random.default_rng(_v.seed("seed", seed))
    v, m = fit.values, fit.counts
    boot = []
    for _ in range(n_boot):
        mb = rng.multinomial(int(m.sum()), m / m.sum())
        boot.append(_mle(v, mb, fit.x_min, fit.x_max))
    bci = _interval(fit.exponent, np.array(boot), level, "percentile")
    ci = (min(bci[0], fit.ci[0]), max(bci[1], fit.ci[1])) if np.all(np.isfinite(bci)) else fit.ci
    tau = fit.exponent + shift
    tau_ci = (ci[0] + shift, ci[1] + shift)
    alpha = _alpha(tau)
    a_ci = tuple(sorted((_alpha(tau_ci[0]), _alpha(tau_ci[1])))) if 2 < tau_ci[0] and tau_ci[1] < 3 else \
        (float("nan"), float("nan"))
    if regime == "supercritical":
        pred = brill_prediction("supercritical", c=c, D=D)
    elif np.isfinite(alpha):
        pred = brill_prediction("subcritical", c=c, D=D, alpha=alpha)
    else:
        pred = None
        notes.append(f"tau = {tau:.3f} is outside (2, 3): Brill's quanta picture does not apply")
    if D == 4.0:
        notes.append("D = 4 (the mean-field / Bethe fractal dimension) assumed; give D for other clusters")
    return ClusterPrediction(source=source, n_clusters=int(s.size), largest_fraction=frac, regime=regime,
                             sampling=sampling, tau=tau, tau_ci=tau_ci, tail=tail, alpha=alpha, alpha_ci=a_ci,
                             prediction=pred, c=c, D=D, level=level, notes=notes)
