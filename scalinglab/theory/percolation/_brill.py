"""Brill's percolation model of neural scaling laws (arXiv 2412.07942), as implemented here.

Model (our reading of Brill 2024; where the stored copy of the paper could not
be read in full, the choices are ours and are marked *assumed*):

* The data distribution is a collection of percolation clusters, each one a
  discrete *subtask* ("quantum"); a data point is a site drawn uniformly from
  the union of the clusters, so a cluster is drawn with frequency ``p_k ∝ s_k``
  (its size). The clusters are the clusters of randomly chosen sites
  (Leath growth from random seeds), whose sizes follow the size-biased law
  ``P(s) = s n_s / p ∝ s^(1-tau)``.
* **Subcritical regime** (``p < p_c``, near ``p_c``): ranking clusters by
  frequency, the number with size ``> s`` is ``∝ s^(2-tau)``, so the ``k``-th
  frequency is ``p_k ∝ k^-(1+alpha)`` with the Zipf exponent

  ``alpha = 1/(tau-2) - 1 = (3-tau)/(tau-2)``  (``alpha = 1`` for ``tau = 5/2``),

  the value Brill quotes for the Bethe lattice / ``d >= 6``. The law is cut off at
  ``s_xi`` (:func:`scalinglab.theory.percolation._bethe.cutoff_size`).
* Each cluster is a fractal "manifold" of dimension ``D`` (``D = 4`` for
  mean-field percolation: the tree embedded by a random walk). A nonparametric
  approximator that spends ``n`` degrees of freedom (DOF) on a cluster of ``s``
  sites resolves it at spacing ``(s/n)^(1/D)``; with a loss growing like
  distance^c (``c = 2`` for the squared error of a Lipschitz target, ``c = q``
  for the ``q``-th power error), the cluster's loss is ``(s/n)^(c/D)``
  (``s`` in units of the volume over which the target changes by O(1)); an
  unlearned cluster (``n = 0``) costs 1.
* **Model scaling** (``N`` DOF, unlimited data, optimal allocation):
  ``L ∝ N^-min(alpha, c/D)``; **data scaling** (``D_data`` samples, each
  cluster learned at the density of its samples):
  ``L ∝ D_data^-min(alpha/(1+alpha), c/D)``. The regime is set by the ratios
  ``(c/D)/alpha`` and ``(c/D)/(alpha/(1+alpha))``: above 1 the loss is limited
  by unlearned quanta, below 1 by the resolution of the learned manifolds
  (Brill's Fig. 4 transition "about a ratio of 1").
* **Supercritical regime** (``p > p_c``): a single dominant cluster (the data
  manifold) carries the data; ``L ∝ N^-(c/D)`` and ``L ∝ D_data^-(c/D)``
  (Sharma & Kaplan / Bahri et al. resolution-limited scaling).

:func:`theory_loss_vs_model_size` and :func:`theory_loss_vs_data_size`
evaluate the loss of this model numerically (no asymptotics), so the
exponents above can be checked against finite-size curves; they draw the
analogues of Brill's Figs. 2 and 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scalinglab import _validation as _v
from scalinglab._results import Result
from scalinglab._util import check_positive
from scalinglab.errors import InputError

__all__ = ["quanta_zipf_alpha", "BrillPrediction", "brill_prediction", "theory_loss_vs_model_size",
           "theory_loss_vs_data_size", "LATTICE_EXPONENTS", "lattice_prediction", "unlearned_fraction_data",
           "unlearned_fraction_model"]

# Percolation exponents (tau, fractal dimension D) of d-dimensional lattices:
# exact for d = 2 (187/91, 91/48) and d >= 6 (5/2, 4); numerical estimates for
# d = 3, 4, 5 (literature values, e.g. the "Percolation critical exponents"
# tables: tau = 2.18906, 2.313, 2.412; D = 2.52293, 3.046, 3.528).
LATTICE_EXPONENTS = {
    2: (187 / 91, 91 / 48),
    3: (2.18906, 2.52293),
    4: (2.313, 3.046),
    5: (2.412, 3.528),
    6: (2.5, 4.0),
}


def quanta_zipf_alpha(tau):
    """Zipf exponent ``alpha`` of cluster frequencies, ``p_k ∝ k^-(1+alpha)``.

    ``alpha = (3 - tau)/(tau - 2)`` for size-biased clusters with frequency ∝
    size (see module docstring); requires ``2 < tau < 3``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import quanta_zipf_alpha
    >>> quanta_zipf_alpha(2.5)      # Bethe tau = 5/2: p_k ∝ k^-(1+alpha), alpha = 1/(tau-2) - 1
    1.0
    """
    tau = _v.real("tau", tau)
    if not 2.0 < tau < 3.0:
        raise InputError(f"the quanta picture needs 2 < tau < 3, got tau = {tau}")
    return (3.0 - tau) / (tau - 2.0)


@dataclass(frozen=True, repr=False)
class BrillPrediction(Result):
    """Predicted scaling exponents of Brill's percolation model.

    Attributes
    ----------
    regime : str
        ``"subcritical"`` (quanta) or ``"supercritical"`` (dominant manifold).
    alpha : float
        Zipf exponent of the quanta (nan in the supercritical regime).
    c, D, c_over_D : float
        Loss-resolution exponent of the approximator, cluster dimension, ratio.
    model_exponent, data_exponent : float
        ``L ∝ N^-model_exponent`` and ``L ∝ D_data^-data_exponent``.
    model_ratio, data_ratio : float
        ``(c/D)/alpha`` and ``(c/D)/(alpha/(1+alpha))``; ``> 1``: quanta-limited
        (nan in the supercritical regime, which has no quanta).
    model_limited_by, data_limited_by : str
        ``"quanta"``, ``"resolution"`` or ``"both"`` (ratio exactly 1: log corrections).

    Examples
    --------
    >>> from scalinglab.theory.percolation import brill_prediction
    >>> pr = brill_prediction("subcritical", c=2, D=4)
    >>> pr.alpha, pr.model_exponent, pr.data_exponent
    (1.0, 0.5, 0.5)
    """

    regime: str
    alpha: float
    c: float
    D: float
    c_over_D: float
    model_exponent: float
    data_exponent: float
    model_ratio: float
    data_ratio: float
    model_limited_by: str
    data_limited_by: str

    _repr_fields = ("regime", "alpha", "c_over_D", "model_exponent", "data_exponent")
    _reasons = {k: "supercritical regime: no quanta (one dominant cluster, the data manifold)"
                for k in ("alpha", "model_ratio", "data_ratio")}

    def _text(self):
        return "\n".join([
            f"Brill percolation model, {self.regime} regime: alpha={self.alpha:.4g}, c={self.c:g}, D={self.D:.4g}, "
            f"c/D={self.c_over_D:.4g}",
            f"  model scaling  L ~ N^-{self.model_exponent:.4g}   (limited by {self.model_limited_by}; "
            f"(c/D)/alpha = {self.model_ratio:.4g})",
            f"  data scaling   L ~ D^-{self.data_exponent:.4g}   (limited by {self.data_limited_by}; "
            f"(c/D)/(alpha/(1+alpha)) = {self.data_ratio:.4g})"])


def _limited(ratio):
    if not np.isfinite(ratio):
        return "resolution"
    if abs(ratio - 1.0) < 1e-12:
        return "both"
    return "quanta" if ratio > 1 else "resolution"


def brill_prediction(regime="subcritical", c=2.0, D=4.0, tau=2.5, alpha=None):
    """Model- and data-scaling exponents of Brill's percolation model.

    Parameters
    ----------
    regime : {"subcritical", "critical", "supercritical"}
        ``"critical"`` is treated like ``"subcritical"`` (the Zipf law then has
        no cutoff).
    c : float
        Loss-resolution exponent of the approximator (loss ∝ distance^c):
        2 for the squared error of a Lipschitz target, ``q`` for ``|error|^q``.
    D : float
        Cluster (manifold) dimension; 4 for the Bethe lattice / ``d >= 6``.
    tau : float
        Fisher exponent, used for ``alpha`` when ``alpha`` is not given.
    alpha : float, optional
        Zipf exponent of the quanta; default ``(3-tau)/(tau-2)``.

    Returns
    -------
    BrillPrediction

    Examples
    --------
    >>> from scalinglab.theory.percolation import brill_prediction
    >>> sub = brill_prediction("subcritical", c=2, D=4)
    >>> round(sub.model_exponent, 4), round(sub.data_exponent, 4)
    (0.5, 0.5)
    >>> sup = brill_prediction("supercritical", c=2, D=4)
    >>> sup.model_exponent, sup.data_exponent       # the manifold: c/D
    (0.5, 0.5)
    """
    regime = _v.choice("regime", regime, ("subcritical", "critical", "supercritical"))
    c = check_positive("c", c)
    D = check_positive("D", D)
    cd = c / D
    if not math.isfinite(cd):
        raise InputError(f"c/D = {c:g}/{D:g} overflows float64; D is too small")
    if regime in ("subcritical", "critical"):
        a = quanta_zipf_alpha(tau) if alpha is None else check_positive("alpha", alpha)
        model_ratio = cd / a
        data_ratio = cd / (a / (1 + a))
        if not (math.isfinite(model_ratio) and math.isfinite(data_ratio)):
            raise InputError(f"(c/D)/alpha overflows float64 for alpha = {a:g}; alpha is too small")
        return BrillPrediction(regime, a, c, D, cd, min(a, cd), min(a / (1 + a), cd), model_ratio, data_ratio,
                               _limited(model_ratio), _limited(data_ratio))
    return BrillPrediction(regime, float("nan"), c, D, cd, cd, cd, float("nan"), float("nan"),
                           "resolution", "resolution")


def lattice_prediction(d, c=2.0, regime="subcritical"):
    """:func:`brill_prediction` with ``tau`` and ``D`` of the ``d``-dimensional lattice
    (``d >= 6`` uses the mean-field / Bethe values).

    Examples
    --------
    >>> from scalinglab.theory.percolation import lattice_prediction
    >>> pr = lattice_prediction(3, c=2)          # tau and D of 3-d percolation
    >>> round(pr.model_exponent, 3), round(pr.data_exponent, 3)
    (0.793, 0.793)
    """
    d = _v.integer("lattice dimension d", d, lo=2)
    tau, D = LATTICE_EXPONENTS[min(d, 6)]
    return brill_prediction(regime, c=c, D=D, tau=tau)


#: Largest work of the finite-size loss curves (quanta x sizes x allocations).
MAX_LOSS_WORK = 2e9
#: Largest number of quanta / cluster-size cap of the finite-size curves (arrays of this length).
MAX_QUANTA = 10**7


def _quanta(alpha, n_quanta, s1):
    k = np.arange(1, n_quanta + 1, dtype=np.float64)
    w = k ** (-(1.0 + alpha))
    return w / w.sum(), s1 * w  # frequencies p_k and sizes s_k (same Zipf law)


def theory_loss_vs_model_size(N, alpha=1.0, c_over_D=0.5, n_quanta=10**5, s1=1.0, n_rho=120):
    """Loss of the quanta + manifold model at model size ``N`` (DOF), optimal allocation.

    Quanta ``k = 1..n_quanta`` have frequency ``p_k ∝ k^-(1+alpha)`` and size
    ``s_k = s1 k^-(1+alpha)`` in units of the volume over which the target
    changes by O(1) (so one DOF on quantum ``k`` leaves ``min(1, s_k^(c/D))``).
    Allocation family (Brill's "parameterized DOF distribution"): the ``K``
    most frequent quanta are learned with ``n_k = max(1, rho s_k)`` DOF each,
    ``K`` as large as the budget ``sum_k n_k <= N`` allows; the loss

    ``L = sum_{k>K} p_k + sum_{k<=K} p_k min(1, (s_k/n_k)^(c/D))``

    is minimised over ``rho`` on a log grid of ``n_rho`` values spanning
    ``[1e-2, 10 N] / s1``.

    Returns
    -------
    numpy.ndarray
        ``L(N)`` for each ``N``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import theory_loss_vs_model_size
    >>> loss = theory_loss_vs_model_size([10, 100, 1000], alpha=1.0, n_quanta=2000, n_rho=30)
    >>> loss.round(4), bool((loss[1:] < loss[:-1]).all())
    (array([0.4837, 0.161 , 0.0468]), True)
    """
    alpha = check_positive("alpha", alpha)
    cd = check_positive("c_over_D", c_over_D)
    s1 = check_positive("s1", s1)
    n_quanta = _v.integer("n_quanta", n_quanta, lo=1, hi=MAX_QUANTA)
    n_rho = _v.integer("n_rho", n_rho, lo=1, hi=10**5)
    Ns = _v.real_array("model size N", N, lo=1)
    _v.size_limit("theory_loss_vs_model_size", float(Ns.size) * n_rho * n_quanta, MAX_LOSS_WORK, " operations",
                 "fewer N, n_rho or n_quanta")
    pk, sk = _quanta(alpha, n_quanta, s1)
    tail = np.concatenate([np.cumsum(pk[::-1])[::-1][1:], [0.0]])  # tail[k] = sum_{j>k} p_j
    out = []
    for n in Ns:
        best = 1.0
        for rho in np.geomspace(1e-2 / s1, 10 * n / s1, n_rho):
            nk = np.maximum(1.0, rho * sk)
            cost = np.cumsum(nk)
            K = int(np.searchsorted(cost, n, side="right"))  # quanta 0..K-1 affordable
            if K == 0:
                continue
            res = pk[:K] * np.minimum(1.0, (sk[:K] / nk[:K]) ** cd)
            best = min(best, tail[K - 1] + res.sum())
        out.append(best)
    return np.array(out)


def theory_loss_vs_data_size(n_data, alpha=1.0, c_over_D=0.5, n_quanta=10**5, s1=1.0):
    """Loss of the quanta + manifold model after ``n_data`` i.i.d. samples.

    Quantum ``k`` receives ``m ~ Poisson(n_data p_k)`` samples; with ``m = 0``
    it is unlearned (loss 1), otherwise its loss is ``min(1, (s_k/m)^(c/D))``
    (resolution at the spacing of its samples; same units as
    :func:`theory_loss_vs_model_size`). The Poisson average is summed exactly
    for means below 50 (``m`` up to 40 or 200) and replaced by ``m = mean`` above.

    Returns
    -------
    numpy.ndarray
        ``L(n_data)`` for each value.

    Examples
    --------
    >>> from scalinglab.theory.percolation import theory_loss_vs_data_size
    >>> loss = theory_loss_vs_data_size([10, 100, 1000], alpha=1.0, n_quanta=2000)
    >>> loss.round(4)
    array([0.544 , 0.189 , 0.0613])
    """
    from scipy.stats import poisson

    alpha = check_positive("alpha", alpha)
    cd = check_positive("c_over_D", c_over_D)
    s1 = check_positive("s1", s1)
    n_quanta = _v.integer("n_quanta", n_quanta, lo=1, hi=MAX_QUANTA)
    nds = _v.real_array("dataset size n_data", n_data, lo=0, lo_open=True)
    _v.size_limit("theory_loss_vs_data_size", 240.0 * nds.size * n_quanta, MAX_LOSS_WORK, " operations",
                 "fewer n_data or n_quanta")
    pk, sk = _quanta(alpha, n_quanta, s1)
    out = []
    for nd in nds:
        lam = nd * pk
        loss = np.minimum(1.0, (sk / np.maximum(lam, 1e-300)) ** cd)  # m = mean (large means)
        for lo, hi, m_max in ((0.0, 5.0, 40), (5.0, 50.0, 200)):
            sel = (lam >= lo) & (lam < hi)
            if not np.any(sel):
                continue
            m = np.arange(1, m_max + 1, dtype=np.float64)
            ls = lam[sel][:, None]
            pm = poisson.pmf(m, ls)
            ell = np.minimum(1.0, (sk[sel][:, None] / m) ** cd)
            loss[sel] = np.exp(-lam[sel]) + (pm * ell).sum(axis=1)
        out.append(float((pk * loss).sum()))
    return np.array(out)


def _sb_law(p, z, cap):
    """Size-biased cluster-size law ``s n_s/p`` for ``s < cap`` and the capped mass at ``cap``."""
    from scalinglab.theory.percolation._bethe import size_biased_pmf

    cap = _v.integer("cap", cap, lo=2, hi=MAX_QUANTA)
    s = np.arange(1, cap, dtype=np.float64)
    w = size_biased_pmf(s, p, z)
    return np.append(s, float(cap)), np.append(w, max(0.0, 1.0 - w.sum()))


def unlearned_fraction_data(density, p, z=3, cap=10**6):
    """Exact finite-size quanta term of data scaling on Leath-grown clusters.

    Clusters are drawn with the size-biased law ``P(s) = s n_s/p`` (capped at
    ``cap``) and data points uniformly over sites; with ``D = density * S``
    samples, a cluster of ``s`` sites has no sample with probability
    ``exp(-density * s)``. Returns the expected fraction of test points that
    fall in a cluster without any sample,

    ``U = sum_s s P(s) exp(-density s) / sum_s s P(s)``,

    which decays as ``density^-(tau-2) = density^-alpha/(1+alpha)`` (= 1/2)
    between ``s ~ 1`` and ``s_xi``. For a loss ``|a - a'|^q`` with ``a = +-1``
    the unlearned loss is ``2^(q-1) U``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import unlearned_fraction_data
    >>> unlearned_fraction_data([1e-3, 1e-1], 0.4).round(4)    # mass of clusters with no sample
    array([0.9805, 0.3214])
    """
    dens = _v.real_array("density", density, lo=0, lo_open=True)
    cap = _v.integer("cap", cap, lo=2, hi=MAX_QUANTA)
    _v.size_limit("unlearned_fraction_data", float(dens.size) * cap, MAX_LOSS_WORK, " operations",
                 "fewer densities or a smaller cap")
    s, w = _sb_law(p, z, cap)
    mass = s * w
    return (mass[None, :] * np.exp(-dens[:, None] * s[None, :])).sum(axis=1) / mass.sum()


def unlearned_fraction_model(K, n_clusters, p, z=3, cap=10**6):
    """Exact finite-size quanta term of model scaling: the ``K`` largest of ``n_clusters`` learned.

    With ``n`` clusters drawn from the size-biased law, the ``K``-th largest has
    size ``t`` where ``n P(s >= t) = K``; the unlearned fraction of test points
    is the mass below ``t``: ``sum_{s<t} s P(s) / sum_s s P(s)`` (continuous in
    ``K`` by interpolating inside the size bin). Decays as ``K^-alpha`` (= 1/K).

    Examples
    --------
    >>> from scalinglab.theory.percolation import unlearned_fraction_model
    >>> unlearned_fraction_model([10, 100], n_clusters=1000, p=0.4).round(4)
    array([0.909 , 0.5802])
    """
    Kq = _v.real_array("K", K, lo=0, lo_open=True)
    n_clusters = _v.positive("n_clusters", n_clusters)
    s, w = _sb_law(p, z, cap)
    mass = s * w
    tail_count = n_clusters * np.cumsum(w[::-1])[::-1]  # expected number of clusters with size >= s
    below_mass = np.concatenate([[0.0], np.cumsum(mass)[:-1]]) / mass.sum()  # mass with size < s
    # tail_count decreases with s: interpolate the mass below as a function of log count
    order = np.argsort(tail_count)
    with np.errstate(divide="ignore"):  # counts underflow to 0 at the largest sizes: log 0 = -inf, below every log K
        return np.interp(np.log(Kq), np.log(tail_count[order]), below_mass[order])
