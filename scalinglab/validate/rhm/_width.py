"""``rhm-width``: how the CNN's learning-curve exponent depends on its width, and where it stops moving.

Issue 9 measured on one H100 that the width decides the verdict of the
exponent comparison: at the default width h = 64 the full Fig. 6 grid gave
exponents 0.24 / 0.42 / 0.54 (alpha = 1 / 2 / 4) against eps(P) fitted on the
same window 0.34 / 0.47 / 0.59, while on P = 20 ... 5120 h = 256 gave 0.321 /
0.475 and h = 1024 gave 0.353 / 0.517 (alpha = 1 / 2) against eps(P) 0.366 /
0.484. This reproduction measures it: CNN test error against P for several
widths h and Zipf exponents alpha (Zipf on all levels, the seed's model
m = v = n_c = 10, s = 2, L = 3 by default), then per (alpha, h)

* the exponent of the seed-averaged test error, OLS log-log over the P window
  ``fit_window``, with a 95 % bootstrap interval over seeds
  (:func:`scalinglab.theory.fitting.bootstrap_powerlaw`, expanded interval);
* the exponent of the path theory's eps(P) fitted on the same P points, the
  asymptotic alpha'/(1+alpha'), and the ratio err/eps(P) at every P;
* the **converged width** (:func:`converged_width`): the smallest width of the
  grid from which on every width's exponent interval overlaps the interval of
  every wider width (so the exponent no longer moves by more than its
  uncertainty); not established when only the widest width qualifies;
* the **width bias** (:func:`paired_exponent_difference`): exponent(h) minus
  exponent(widest h), with a paired bootstrap interval over seeds (a seed fixes
  the rules, the training and test data and the batch order, so runs of one
  seed at two widths see the same data).

The runs are :class:`~scalinglab.validate.rhm.RHMRun` cells in the shared
``rhm-runs`` store, so runs of one width are shared with the other RHM
reproductions of that width (e.g. rhm-fig6's Zipf curves).

:data:`CONVERGED_WIDTH` is the width every RHM reproduction's full (GPU) spec
uses, and :func:`width_note` the line every RHM report carries about its width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from scalinglab.errors import InputError
from scalinglab.theory.fitting import bootstrap_powerlaw, interval_method_text, powerlaw_fit
from scalinglab.validate import protocol
from scalinglab.validate.report import md_table
from scalinglab.validate.rhm._experiments import (_RHMExperiment, _fmt, _local_spans, _methods, _plot_local, _save,
                                                  _theory_eps, local_windows, seed_errorbar, seed_sem)
from scalinglab.validate.rhm._runs import RHMRun, RHMSizes, Net, by_P
from scalinglab.validate.train import TrainConfig

__all__ = ["WidthConfig", "converged_width", "width_bracket", "paired_exponent_difference", "width_table", "width_note",
           "CONVERGED_WIDTH", "NARROW_BIAS", "width_reference", "short_label", "extract_width_reference", "narrow_bias_text"]

#: The stored runs the measured width constants come from (folders under results/reference/), in the order quoted.
WIDTH_REFERENCE_RUNS = ("gpu/rhm-width", "rhm-width")
#: Width pairs of each run whose exponent differences (the narrow-net bias) the reports quote.
_BIAS_PAIRS = {"gpu/rhm-width": ((64, 1024), (256, 1024)), "rhm-width": ((64, 256),)}
_SNAPSHOT = Path(__file__).with_name("width_reference.json")


def extract_width_reference(reference_root):
    """The width constants as measured in the stored runs under ``reference_root`` (results/reference/).

    Reads each run of :data:`WIDTH_REFERENCE_RUNS` (its ``summary.json`` and the ``label`` of its
    ``manifest.json``): the converged width with its grid bracket, the narrow-net biases of
    :data:`_BIAS_PAIRS` and the exponents at every width. :func:`width_reference` serves the same dict from a
    snapshot shipped with the package (``width_reference.json``, rewritten by ``results/reference/replot_all.py``;
    a test checks it against the stored runs).
    """
    import json

    root = Path(reference_root)
    runs = []
    for folder in WIDTH_REFERENCE_RUNS:
        summ = json.loads((root / folder / "summary.json").read_text())
        man = json.loads((root / folder / "manifest.json").read_text())
        cfg = man["config"]
        pairs = set(_BIAS_PAIRS[folder])
        runs.append({
            "folder": f"results/reference/{folder}", "label": man.get("label", ""),
            "widths": list(cfg["widths"]), "P": list(cfg["P"]), "seeds": cfg["seeds"],
            "fit_window": list(cfg["fit_window"]),
            "optimizer": cfg["train"].get("optimizer", "adam"),
            "converged_width": summ["converged_width"], "established": summ["converged_width_established"],
            "converged_width_bracket": summ.get("converged_width_bracket"),
            "bias": [{k: b[k] for k in ("alpha", "width", "reference_width", "diff", "ci")} for b in summ["bias"]
                     if (b["width"], b["reference_width"]) in pairs],
            "exponents": [{"alpha": r["alpha"], "width": r["width"], "measured": r["measured"], "ci": list(r["ci"]),
                           "eps_exponent": r["eps_exponent"]} for r in summ["table"]]})
    return {"runs": runs}


def write_width_reference(reference_root):
    """Rewrite the packaged snapshot (``width_reference.json``) from the stored runs under ``reference_root``."""
    import json

    _SNAPSHOT.write_text(json.dumps(extract_width_reference(reference_root), indent=1) + "\n")
    width_reference.cache_clear()


@lru_cache(maxsize=1)
def width_reference():
    """The measured width constants with their provenance (see :func:`extract_width_reference`).

    Examples
    --------
    >>> ref = width_reference()["runs"][0]
    >>> ref["folder"], ref["converged_width"], ref["established"]
    ('results/reference/gpu/rhm-width', 1024, True)
    """
    import json

    return json.loads(_SNAPSHOT.read_text())


def _grid_text(run):
    lo, hi = run.get("fit_window") or (run["P"][0], run["P"][-1])
    return f"P = {lo:g} ... {hi:g}, {run['seeds']} seeds, {run['optimizer'].capitalize()}"


def short_label(label):
    """A stored run's label up to its first ``:`` or ``;`` outside parentheses.

    >>> short_label("quick CPU run (--quick grid: h = 16, 64); the full grid awaits a GPU")
    'quick CPU run (--quick grid: h = 16, 64)'
    """
    depth = 0
    for i, ch in enumerate(label):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch in ":;":
            return label[:i].strip()
    return label.strip()


def _bias_text(run):
    """``0.064 [0.055, 0.071] (alpha = 1), ...``: exponent(reference) - exponent(h), per alpha, for one h."""
    by_h = {}
    for b in run["bias"]:
        by_h.setdefault((b["width"], b["reference_width"]), []).append(
            f"{-b['diff']:.3f} [{-b['ci'][1]:.3f}, {-b['ci'][0]:.3f}] (alpha = {b['alpha']:g})")
    return by_h


def narrow_bias_text():
    """The measured bias of narrow CNNs, with the stored runs it comes from (their folders and labels).

    Examples
    --------
    >>> t = narrow_bias_text()
    >>> "results/reference/gpu/rhm-width" in t and "below that at the converged width 1024" in t
    True
    """
    runs = width_reference()["runs"]
    parts = []
    for i, run in enumerate(runs):
        by_h = _bias_text(run)
        kind = "one H100" if run["folder"].endswith("gpu/rhm-width") else "the quick CPU grid"
        segs = []
        for (h, ref), vals in sorted(by_h.items()):
            segs.append(f"at h = {h} lies " + ", ".join(vals[:-1]) + (" and " if len(vals) > 1 else "") + vals[-1]
                        + (f" below that at the converged width {ref}" if ref == run["converged_width"]
                           and run["established"] else f" below h = {ref}"))
        parts.append(f"on {kind} ({run['folder']}: {_grid_text(run)}; label \"{short_label(run['label'])}\") the "
                     "exponent " + "; ".join(segs))
    return "; ".join(parts) + " (95 % paired bootstrap over seeds)"


#: Width of the CNN in every RHM reproduction's full (GPU) spec: the converged width of the stored H100 run
#: results/reference/gpu/rhm-width (paired rule, confirmed by h = 2048; on its width grid it lies in (256, 1024]),
#: read from :func:`width_reference`.
CONVERGED_WIDTH = int(width_reference()["runs"][0]["converged_width"])

#: The measured bias of narrow CNNs quoted by the reports of CNNs narrower than CONVERGED_WIDTH, read from the
#: stored runs with their labels (:func:`narrow_bias_text`).
NARROW_BIAS = narrow_bias_text()


@dataclass(frozen=True)
class WidthConfig:
    """Config of ``rhm-width``: learning curves of one network kind at several widths and Zipf exponents.

    Attributes
    ----------
    widths : tuple of int
        Hidden widths h (the runs are made in this order: list the cheap or important ones first).
    alphas : tuple of float
        Zipf exponents, each on all levels.
    P : tuple of int
        Training-set sizes.
    seeds : int
        Seeds 0..seeds-1 per (alpha, h, P); a seed fixes rules, data, initialisation and batch order.
    n_test : int
        Fresh test data per run.
    rhm : RHMSizes
        n_c, v, m, s, L.
    model : str
        ``cnn`` or ``fcn`` (the FCN has L hidden layers).
    train : TrainConfig
        Optimiser and stopping rule.
    fit_window : (float, float)
        P window of the exponent fits (analysis only).
    n_boot : int
        Bootstrap resamples (analysis only).
    local_points : int
        Consecutive P of the sliding windows of the local-exponent table (analysis only).

    Examples
    --------
    >>> w = WidthConfig(widths=(16, 64), alphas=(2.0,), P=(64, 256), seeds=2)
    >>> cells = w.curve_cells(2.0, 16)
    >>> len(cells), cells[0].net, cells[0].alpha
    (4, Net(kind='cnn', width=16, depth=0), (2.0, 2.0, 2.0))
    """

    widths: tuple[int, ...] = field(default=(64, 256, 1024, 2048), metadata={"ge": 1})
    alphas: tuple[float, ...] = field(default=(1.0, 2.0, 4.0), metadata={"ge": -1})
    P: tuple[int, ...] = field(default=(10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120), metadata={"ge": 1})
    seeds: int = field(default=10, metadata={"ge": 1})
    n_test: int = field(default=4096, metadata={"ge": 1})
    rhm: RHMSizes = RHMSizes()
    model: str = field(default="cnn", metadata={"choices": ("cnn", "fcn")})
    train: TrainConfig = TrainConfig()
    fit_window: tuple[float, float] = field(default=(20.0, 5120.0), metadata={"gt": 0, "analysis": True})
    n_boot: int = field(default=1000, metadata={"ge": 100, "analysis": True})
    local_points: int = field(default=4, metadata={"ge": 3, "analysis": True})

    def __post_init__(self):
        for name in ("widths", "alphas", "P"):
            vals = getattr(self, name)
            if not vals:
                raise InputError(f"{name}: give at least one value")
            if len(set(vals)) != len(vals):
                raise InputError(f"{name}: repeated value in {list(vals)}")
        if self.fit_window[0] >= self.fit_window[1]:
            raise InputError(f"fit_window must be (lo, hi) with lo < hi, got {self.fit_window}")
        for a in self.alphas:
            self.rhm.alphas(a)

    def alpha_tuple(self, a):
        return self.rhm.alphas(a)

    def curve_cells(self, alpha, h):
        """The cells of one (alpha, width) curve."""
        return [RHMRun(self.rhm, self.alpha_tuple(alpha), Net(self.model, int(h), 0), self.train, int(self.n_test),
                       int(P), sd) for P in self.P for sd in range(self.seeds)]


# --------------------------------------------------------------------------- statistics
def _smallest_stable(widths, same):
    """The smallest width h such that ``same(h1, h2)`` for every pair h <= h1 < h2 of the widths, and whether a
    wider width confirms it (False when it is the widest)."""
    hs = sorted(widths)
    best = hs[-1]
    for i in range(len(hs) - 1, -1, -1):  # walk down while every width from hs[i] on agrees with all wider ones
        if all(same(hs[i], h2) for h2 in hs[i + 1:]):
            best = hs[i]
        else:
            break
    return best, best != hs[-1]


def converged_width(intervals, differences=None):
    """The smallest width from which on the exponent stops moving (within its uncertainty).

    Two rules, both of the form "the smallest width h of the grid such that
    every width h1 >= h agrees with every wider width h2 > h1":

    * *overlap* (``differences=None``): h1 and h2 agree when their exponent
      intervals overlap;
    * *paired* (``differences`` given): h1 and h2 agree when the interval of
      exponent(h1) - exponent(h2) (:func:`paired_exponent_difference`)
      contains 0. Stricter: overlapping intervals can hide a difference that
      the paired design (same seeds, same data) resolves.

    Parameters
    ----------
    intervals : dict
        ``{width: (lo, hi)}``: the exponent interval at each width (NaN
        bounds: no fit at that width).
    differences : dict, optional
        ``{(h1, h2): (lo, hi)}`` for every pair h1 < h2: the interval of the
        paired difference.

    Returns
    -------
    (int or None, bool)
        ``h*`` and whether it is *established*: False when ``h*`` is the
        widest width (nothing wider confirms it) or some width has no
        interval (then ``h*`` is None).

    Examples
    --------
    >>> iv = {64: (0.20, 0.25), 256: (0.30, 0.34), 1024: (0.33, 0.37), 2048: (0.34, 0.38)}
    >>> converged_width(iv)
    (256, True)
    >>> d = {(256, 1024): (-0.05, -0.01), (256, 2048): (-0.06, -0.02), (1024, 2048): (-0.02, 0.01)}
    >>> converged_width(iv, {**d, (64, 256): (-0.2, -0.1), (64, 1024): (-0.2, -0.1), (64, 2048): (-0.2, -0.1)})
    (1024, True)
    >>> converged_width({64: (0.20, 0.25), 256: (0.30, 0.34)})
    (256, False)
    """
    hs = sorted(intervals)
    if not hs or any(not all(math.isfinite(x) for x in intervals[h]) for h in hs):
        return None, False
    if differences is None:
        def same(a, b):
            return max(intervals[a][0], intervals[b][0]) <= min(intervals[a][1], intervals[b][1])
    else:
        if any((a, b) not in differences or not all(map(math.isfinite, differences[(a, b)]))
               for i, a in enumerate(hs) for b in hs[i + 1:]):
            return None, False

        def same(a, b):
            lo, hi = differences[(a, b)]
            return lo <= 0 <= hi
    return _smallest_stable(hs, same)


def width_bracket(widths, h):
    """The bracket the width grid allows for a converged width ``h`` found on it: ``[next narrower width, h]``
    (the exponent still moved below ``h``, so the true width lies above the narrower one and at most ``h``);
    ``[None, h]`` when ``h`` is the narrowest width, None when there is no ``h``.

    Examples
    --------
    >>> width_bracket((64, 256, 1024, 2048), 1024), width_bracket((64, 256), 64), width_bracket((64,), None)
    ([256, 1024], [None, 64], None)
    """
    if h is None:
        return None
    hs = sorted(int(x) for x in widths)
    i = hs.index(int(h))
    return [hs[i - 1] if i > 0 else None, int(h)]


def _slopes(lx, logs):
    """OLS slopes (negated: exponents) of rows of ``logs`` against ``lx``."""
    w = (lx - lx.mean()) / ((lx - lx.mean()) ** 2).sum()
    return -(logs @ w)


def paired_exponent_difference(P, errs_a, errs_b, window=None, n_boot=2000, level=0.95, seed=0):
    """Exponent of curve a minus exponent of curve b, with a paired bootstrap interval over seeds.

    Both exponents are OLS log-log fits of the seed-averaged error over the P
    in ``window`` (as :func:`~scalinglab.theory.fitting.bootstrap_powerlaw`).
    The interval resamples *seeds* jointly for all P and both curves (a seed
    fixes the data both networks saw), so the data-driven scatter shared by
    the two curves cancels; percentile interval of ``n_boot`` resamples, only
    seeds present at every P of both curves are used.

    Parameters
    ----------
    P : array_like
        Training-set sizes.
    errs_a, errs_b : sequence of dict
        Per P, ``{seed: test error}`` of each curve.
    window : (float, float), optional
        Inclusive P window.
    n_boot : int
        Resamples (>= 100).
    level : float
        Confidence level.
    seed : int
        Seed of the resampling.

    Returns
    -------
    dict
        ``diff``, ``ci`` (lo, hi), ``n_seeds``, ``window`` (first and last P used),
        ``exponent_a``, ``exponent_b``, ``ci_method`` (``"percentile"``, or ``"jackknife-t"`` below 5 seeds:
        then the jackknife-t interval over seeds is the one quoted).

    Examples
    --------
    >>> import numpy as np
    >>> P = [16, 64, 256, 1024]
    >>> a = [{s: 0.5 * p**-0.3 * (1 + 0.02 * s) for s in range(5)} for p in P]
    >>> b = [{s: 0.5 * p**-0.4 * (1 + 0.02 * s) for s in range(5)} for p in P]
    >>> r = paired_exponent_difference(P, a, b, n_boot=500)
    >>> round(r["diff"], 6), r["n_seeds"]
    (-0.1, 5)
    """
    P = np.asarray(P, float)
    if len(errs_a) != P.size or len(errs_b) != P.size:
        raise InputError("paired_exponent_difference: one {seed: error} mapping per P for each curve")
    if n_boot < 100 or not 0 < level < 1:
        raise InputError(f"n_boot must be >= 100 and level in (0, 1), got {n_boot}, {level}")
    lo, hi = window if window is not None else (P.min(), P.max())
    idx = np.flatnonzero((P >= lo) & (P <= hi))
    nan = float("nan")
    common = None
    for i in idx:
        s = set(errs_a[i]) & set(errs_b[i])
        common = s if common is None else common & s
    common = sorted(common or [])
    out = {"diff": nan, "ci": (nan, nan), "n_seeds": len(common), "window": None, "exponent_a": nan,
           "exponent_b": nan}
    if idx.size < 3 or len(common) < 2:
        return out
    A = np.array([[errs_a[i][s] for s in common] for i in idx])  # (n_P, n_seeds)
    B = np.array([[errs_b[i][s] for s in common] for i in idx])
    lx = np.log(P[idx])
    with np.errstate(divide="ignore", invalid="ignore"):
        ea, eb = _slopes(lx, np.log(A.mean(1))), _slopes(lx, np.log(B.mean(1)))
        rng = np.random.default_rng(seed)
        pick = rng.integers(0, len(common), size=(n_boot, len(common)))
        ma, mb = A[:, pick].mean(-1).T, B[:, pick].mean(-1).T  # (n_boot, n_P)
        d = _slopes(lx, np.log(ma)) - _slopes(lx, np.log(mb))
    d = d[np.isfinite(d)]
    q = (1 - level) / 2
    out.update(diff=float(ea - eb), exponent_a=float(ea), exponent_b=float(eb),
               window=(float(P[idx].min()), float(P[idx].max())))
    if d.size >= n_boot // 2:
        out["ci"] = (float(np.quantile(d, q)), float(np.quantile(d, 1 - q)))
    out["ci_method"] = "percentile"
    if len(common) < 5:  # few seeds: the bootstrap under-covers; the jackknife-t interval is the one quoted
        from scalinglab.theory.fitting import _jackknife_t

        n = len(common)
        with np.errstate(divide="ignore", invalid="ignore"):
            jack = [_slopes(lx, np.log(np.delete(A, j, 1).mean(1))) - _slopes(lx, np.log(np.delete(B, j, 1).mean(1)))
                    for j in range(n)]
        out["ci"] = _jackknife_t(float(ea - eb), jack, level)
        out["ci_method"] = "jackknife-t"
    return out


def _per_seed(rows):
    """``(P array, [ {seed: err} per P ])`` of rows."""
    recs = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    groups = {}
    for r in recs:
        v = r.get("test_err")
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        groups.setdefault(int(r["P"]), {})[int(r["seed"])] = float(v)
    Ps = np.array(sorted(groups), float)
    return Ps, [groups[int(p)] for p in Ps]


def width_table(rows, config):
    """One record per (alpha, width) with rows: exponent [CI], eps(P) exponent, err/eps per P (see module doc).

    Examples
    --------
    >>> import pandas as pd
    >>> from scalinglab.validate.protocol import cell_key
    >>> w = WidthConfig(widths=(16, 64), alphas=(2.0,), P=(16, 64, 256, 1024), seeds=5, n_boot=200)
    >>> rows = pd.DataFrame([{"key": cell_key(c), "P": c.P, "seed": c.seed, "converged": True,
    ...                       "test_err": 0.9 * c.P**-(0.3 if h == 16 else 0.4) * (1 + 0.01 * c.seed)}   # synthetic
    ...                      for h in w.widths for c in w.curve_cells(2.0, h)])
    >>> [(r["width"], round(r["measured"], 3), round(r["eps_exponent"], 3), r["runs"]) for r in width_table(rows, w)]
    [(16, 0.3, 0.457, 20), (64, 0.4, 0.457, 20)]
    """
    from scalinglab.theory.rhm import alpha_prime

    out = []
    window = config.fit_window
    for a in config.alphas:
        spec = config.rhm.spec(config.alpha_tuple(a))
        ap = alpha_prime(spec)
        for h in config.widths:
            sub = protocol.select(rows, config.curve_cells(a, h))
            if not len(sub):
                continue
            P, errs, seeds = by_P(sub, with_seeds=True)
            mean = np.array([e.mean() for e in errs])
            eps_all = _theory_eps(spec, P)
            rec = {"alpha": float(a), "width": int(h), "alpha_prime": ap.alpha_prime, "predicted": ap.predicted_exponent,
                   "P": P.tolist(), "err": mean.tolist(), "err_sem": seed_sem(errs).tolist(), "eps": eps_all.tolist(),
                   "err_over_eps": (mean / eps_all).tolist(), "seeds": int(min(e.size for e in errs)),
                   "converged_runs": int(sub["converged"].fillna(False).astype(bool).sum()), "runs": int(len(sub))}
            ok = (P >= window[0]) & (P <= window[1]) & (mean > 0)
            nan = float("nan")
            rec.update(measured=nan, ci=(nan, nan), eps_exponent=nan, window=None)
            if ok.sum() >= 3:
                import warnings

                from scalinglab.theory.fitting import FewSeedsWarning

                rec["window"] = (float(P[ok].min()), float(P[ok].max()))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", FewSeedsWarning)  # the seeds are stated in the table
                    b = bootstrap_powerlaw(P[ok], [errs[i] for i in np.flatnonzero(ok)], window=rec["window"],
                                           n_boot=config.n_boot, seeds=[seeds[i] for i in np.flatnonzero(ok)])
                rec.update(measured=b.exponent, ci=tuple(b.ci), ci_method=b.ci_method, n_seeds=b.n_seeds,
                           interval_method=interval_method_text(b.n_seeds, b.n_boot, b.level, expanded=b.expanded))
                rec["eps_exponent"] = powerlaw_fit(P[ok], eps_all[ok]).exponent
            out.append(rec)
    return out


def _bias(rows, config, table):
    """exponent(h1) - exponent(h2) for every pair of fitted widths h1 < h2 of an alpha, paired over seeds."""
    out = []
    for a in config.alphas:
        recs = {r["width"]: r for r in table if r["alpha"] == a and math.isfinite(r["measured"])}
        per = {h: _per_seed(protocol.select(rows, config.curve_cells(a, h))) for h in recs}
        hs = sorted(recs)
        for i, h in enumerate(hs):
            for wide in hs[i + 1:]:
                (Ph, eh), (Pw, ew) = per[h], per[wide]
                Ps = np.intersect1d(Ph, Pw)
                sel_h = [eh[int(np.flatnonzero(Ph == p)[0])] for p in Ps]
                sel_w = [ew[int(np.flatnonzero(Pw == p)[0])] for p in Ps]
                # the P where both mean errors are positive (the fits' own points)
                keep = [k for k in range(Ps.size) if np.mean(list(sel_h[k].values())) > 0
                        and np.mean(list(sel_w[k].values())) > 0]
                r = paired_exponent_difference(Ps[keep], [sel_h[k] for k in keep], [sel_w[k] for k in keep],
                                               window=config.fit_window, n_boot=max(config.n_boot, 1000))
                out.append({"alpha": float(a), "width": int(h), "reference_width": int(wide), **r})
    return out


# --------------------------------------------------------------------------- the experiment
@protocol.experiment
class RHMWidth(_RHMExperiment):
    name = "rhm-width"
    description = "CNN exponent vs width h (alpha = 1, 2, 4): where it stops moving, err/eps(P) per point"
    title = "Width study: the learning-curve exponent against the CNN width"
    config_type = WidthConfig

    def cells(self, config):
        return [c for h in config.widths for a in config.alphas for c in config.curve_cells(a, h)]

    def cost(self, cell):
        P, tr = cell.P, cell.train
        steps = min(tr.max_steps, tr.max_epochs * max(1, P // min(tr.batch_size, P)))
        steps = min(steps, 60 * max(1, P // min(tr.batch_size, P)) + 150)  # converged runs: tens of epochs
        # measured on 2 shared cores, 1 torch thread, batch 128: 1.3 / 8.7 / 28 ms per run-step at h = 64 / 256 / 512
        return steps * 1.3e-3 * max(1.0, cell.net.width / 64) ** 1.6 + 1e-5 * cell.n_test

    def analyse(self, rows, config):
        table = width_table(rows, config)
        bias = _bias(rows, config, table)
        conv = {}
        for a in config.alphas:
            iv = {r["width"]: r["ci"] for r in table if r["alpha"] == a}
            diffs = {(b["width"], b["reference_width"]): b["ci"] for b in bias if b["alpha"] == a}
            full = len(iv) == len(config.widths)
            hp, okp = converged_width(iv, diffs) if full else (None, False)
            ho, oko = converged_width(iv) if full else (None, False)
            conv[f"{a:g}"] = {"width": hp, "established": okp, "width_overlap": ho, "established_overlap": oko,
                              "widths_fitted": sorted(iv), "bracket": width_bracket(config.widths, hp),
                              "bracket_overlap": width_bracket(config.widths, ho)}
        summary = {}
        for rule, w, e in (("", "width", "established"), ("_overlap", "width_overlap", "established_overlap")):
            est = [v[w] for v in conv.values() if v[w] is not None]
            ok = bool(conv) and all(v[e] for v in conv.values())
            summary[f"converged_width{rule}"] = max(est) if est and ok else None
            summary[f"converged_width{rule}_established"] = ok
            # each alpha's converged width lies in (next narrower grid width, h*]; their maximum in (max lo, max hi]
            brs = [v["bracket" + rule] for v in conv.values()]
            lows = [b[0] for b in brs if b is not None and b[0] is not None]
            summary[f"converged_width{rule}_bracket"] = (
                [max(lows) if lows else None, max(est)] if est and ok else None)
        summary["converged_by_alpha"] = conv
        for r in table:
            summary[f"exponent[alpha={r['alpha']:g}, h={r['width']}]"] = {
                "measured": r["measured"], "ci": list(r["ci"]), "eps_fit": r["eps_exponent"], "window": r["window"],
                "ci_method": r.get("ci_method"), "n_seeds": r.get("n_seeds")}
        summary["bias"] = bias
        summary["table"] = table
        summary["local"] = self._local(rows, config)
        return summary

    @staticmethod
    def _local(rows, config):
        """Local exponents (:func:`local_windows`) of every (alpha, width) curve."""
        out = []
        for a in config.alphas:
            spec = config.rhm.spec(config.alpha_tuple(a))
            for h in config.widths:
                sub = protocol.select(rows, config.curve_cells(a, h))
                if len(sub):
                    P, errs, seeds = by_P(sub, with_seeds=True)
                    out.append({"alpha": float(a), "width": int(h),
                                "windows": local_windows(P, errs, spec, config.local_points, config.n_boot,
                                                         seeds)})
        return out

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure, plt

        table = summary.get("table", [])
        if not table:
            return []
        cols = plt.get_cmap("tab10")
        paths = []
        # 1. exponent against width
        fig, ax = new_figure(width=6)
        for i, a in enumerate(config.alphas):
            recs = sorted((r for r in table if r["alpha"] == a and math.isfinite(r["measured"])),
                          key=lambda r: r["width"])
            if not recs:
                continue
            h = np.array([r["width"] for r in recs], float)
            y = np.array([r["measured"] for r in recs])
            lo = np.array([r["ci"][0] for r in recs])
            hi = np.array([r["ci"][1] for r in recs])
            err = np.vstack([np.where(np.isfinite(lo), y - lo, 0), np.where(np.isfinite(hi), hi - y, 0)])
            ax.errorbar(h, y, yerr=err, fmt="o-", color=cols(i), ms=4, capsize=3, label=f"alpha={a:g}")
            ax.axhline(np.nanmean([r["eps_exponent"] for r in recs]), color=cols(i), ls="--", lw=1,
                       label="eps(P) fitted on the same P" if i == 0 else None)
            ax.axhline(recs[0]["predicted"], color=cols(i), ls=":", lw=1,
                       label="alpha'/(1+alpha')" if i == 0 else None)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(config.widths), [str(w) for w in sorted(config.widths)])
        ax.set(xlabel="CNN width h", ylabel="exponent of the test error in P",
               title=f"exponent vs width, P window {tuple(config.fit_window)}, 95% bootstrap over seeds")
        ax.legend(fontsize=7)
        paths.append(_save(fig, folder, "rhm_width_exponents"))
        # 2. err / eps(P) against P, one panel per alpha; 3. the learning curves
        for name, key, ylabel, logy in (("rhm_width_ratio", "err_over_eps", "test error / eps(P)", False),
                                        ("rhm_width_curves", "err", "test error (dashed: eps(P))", True)):
            fig, axes = new_figure(ncols=len(config.alphas), width=4, height=3.3)
            axes = np.atleast_1d(axes).ravel()
            for ax, a in zip(axes, config.alphas):
                recs = sorted((r for r in table if r["alpha"] == a), key=lambda r: r["width"])
                for j, r in enumerate(recs):
                    y = np.array(r[key], float)
                    good = y > 0 if logy else np.isfinite(y)
                    col = plt.get_cmap("viridis")(j / max(1, len(recs) - 1))
                    if key == "err" and "err_sem" in r:  # seed means +- 1 s.e. across seeds
                        seed_errorbar(ax, np.array(r["P"])[good], y[good], np.array(r["err_sem"], float)[good],
                                      "o-", ms=3, color=col, label=f"h={r['width']}")
                    else:
                        ax.plot(np.array(r["P"])[good], y[good], "o-", ms=3, color=col, label=f"h={r['width']}")
                if logy and recs:
                    Pf = np.geomspace(min(recs[0]["P"]), max(recs[0]["P"]), 60)
                    ax.plot(Pf, _theory_eps(config.rhm.spec(config.alpha_tuple(a)), Pf), "k--", lw=0.8)
                else:
                    ax.axhline(1.0, color="grey", lw=0.8)
                for x in config.fit_window:
                    ax.axvline(x, color="grey", lw=0.6, ls=":")
                ax.set(xscale="log", yscale="log" if logy else "linear", xlabel="P", title=f"alpha = {a:g}")
            axes[0].set_ylabel(ylabel)
            axes[0].legend(fontsize=6)
            paths.append(_save(fig, folder, name))
        # 4. local exponents against P, one panel per alpha
        local = [c for c in summary.get("local", []) if c["windows"]]
        if local:
            fig, axes = new_figure(ncols=len(config.alphas), width=4, height=3.3)
            axes = np.atleast_1d(axes).ravel()
            for ax, a in zip(axes, config.alphas):
                cs = sorted((c for c in local if c["alpha"] == a), key=lambda c: c["width"])
                for j, c in enumerate(cs):
                    _plot_local(ax, c["windows"], plt.get_cmap("viridis")(j / max(1, len(cs) - 1)), f"h={c['width']}")
                if cs:
                    w = max(cs, key=lambda c: len(c["windows"]))["windows"]
                    ax.plot([v["P_mid"] for v in w], [v["eps_exponent"] for v in w], "k--", lw=1, label="eps(P)")
                ax.set(xscale="log", xlabel="window centre P", title=f"alpha = {a:g}")
            axes[0].set_ylabel(f"local exponent ({config.local_points} consecutive P)")
            axes[0].legend(fontsize=6)
            paths.append(_save(fig, folder, "rhm_width_local"))
        return paths

    def report(self, rows, summary, config):
        conv = summary.get("converged_by_alpha", {})
        lines = [
            "## Exponent against width\n",
            f"{config.model.upper()} of widths {list(config.widths)}, Zipf alpha on all levels, "
            f"RHM n_c={config.rhm.n_c} v={config.rhm.v} m={config.rhm.m} s={config.rhm.s} L={config.rhm.L}; "
            f"{config.train.optimizer} (lr {config.train.lr:g}, batch {config.train.batch_size}), stop at training "
            f"loss < {config.train.loss_tol:g} (or {config.train.max_epochs} epochs / {config.train.max_steps} steps). "
            f"Exponent: OLS of log(mean test error) on log P over the P in {tuple(config.fit_window)}; interval: "
            f"{_methods(summary.get('table', []))}. eps(P) exponent: the same fit of the path theory's "
            "eps(P) on the same P points. err/eps: mean test error over eps(P) at each P.\n",
        ]
        tab = []
        for r in summary.get("table", []):
            ci = r["ci"]
            ratio = [f"{x:.2g}" for x, p in zip(r["err_over_eps"], r["P"])
                     if r["window"] and r["window"][0] <= p <= r["window"][1]]
            tab.append([f"{r['alpha']:g}", r["width"], f"{_fmt(r['measured'])} [{_fmt(ci[0])}, {_fmt(ci[1])}]",
                        _fmt(r["eps_exponent"]), _fmt(r["predicted"]), r["seeds"],
                        f"{r['converged_runs']}/{r['runs']}", " ".join(ratio)])
        lines.append(md_table(["alpha", "h", "exponent [95% CI]", "eps(P) exponent", "alpha'/(1+alpha')", "seeds",
                               "runs converged", "err/eps(P) on the window"], tab))
        lines += ["\n## Where the exponent stops moving\n",
                  "Converged width h*: the smallest width of the grid such that every width h1 >= h* agrees with "
                  "every wider width h2 > h1. *Paired rule* (the headline): they agree when the 95 % paired "
                  "bootstrap interval of exponent(h1) - exponent(h2) over seeds contains 0 (table below). *Overlap "
                  "rule* (more lenient): when their exponent intervals overlap. h* is *established* only when a "
                  "wider width confirms it: the widest width of the grid alone proves nothing.\n"]
        def brt(b):
            if not b:
                return "-"
            return f"at most {b[1]}" if b[0] is None else f"({b[0]}, {b[1]}]"

        ctab = [[a, v["width"], brt(v.get("bracket")), "yes" if v["established"] else "no", v["width_overlap"],
                 "yes" if v["established_overlap"] else "no"] for a, v in conv.items()]
        lines.append(md_table(["alpha", "h* (paired)", "grid bracket", "established", "h* (overlap)", "established"],
                              ctab))
        for rule, label in (("", "paired rule"), ("_overlap", "overlap rule")):
            cw = summary.get(f"converged_width{rule}")
            br = summary.get(f"converged_width{rule}_bracket")
            lines.append(f"\nConverged width over all alpha ({label}): **{cw if cw is not None else 'not established'}"
                         f"** (the largest h* of the alphas, when every one is established)"
                         + (f"; on this width grid it lies in {brt(br)}: the grid cannot place it closer." if br
                            else "."))
        lines.append("")
        if summary.get("bias"):
            lines += ["\n## Exponent differences between widths (bias of narrow nets)\n",
                      "exponent(h) - exponent(wider h) on the same window; 95 % paired "
                      + ("jackknife-t interval over seeds (fewer than 5 paired seeds: a bootstrap under-covers)"
                         if any(b.get("ci_method") == "jackknife-t" for b in summary["bias"]) else
                         "percentile bootstrap over whole seeds")
                      + " (the seeds present at every P of both widths: a seed fixes the data both nets saw).\n"]
            btab = [[f"{b['alpha']:g}", b["width"], b["reference_width"],
                     f"{_fmt(b['diff'])} [{_fmt(b['ci'][0])}, {_fmt(b['ci'][1])}]", b["n_seeds"]]
                    for b in summary["bias"]]
            lines.append(md_table(["alpha", "h", "vs h", "difference [95% CI]", "paired seeds"], btab))
        local = [c for c in summary.get("local", []) if c["windows"]]
        if local:
            lines += [f"\n## Local exponents\n\nThe same fit on sliding windows of {config.local_points} consecutive "
                      "P: measured [95 % interval over whole seeds, as above] per width, and eps(P) on the same P (figure "
                      "`rhm_width_local.png`). Where the widths part is where width matters.\n"]
            for a in config.alphas:
                cs = sorted((c for c in local if c["alpha"] == a), key=lambda c: c["width"])
                if not cs:
                    continue
                tab = []
                for span, vs in _local_spans([c["windows"] for c in cs]):
                    have = [v for v in vs if v is not None]
                    tab.append([span] + ["" if v is None else f"{_fmt(v['measured'])} [{_fmt(v['ci'][0])}, "
                                         f"{_fmt(v['ci'][1])}]" for v in vs] + [_fmt(have[0]["eps_exponent"])])
                lines.append(f"\nalpha = {a:g}:\n")
                lines.append(md_table(["P window"] + [f"h = {c['width']}" for c in cs] + ["eps(P)"], tab))
        unconv = sum(r["runs"] - r["converged_runs"] for r in summary.get("table", []))
        if unconv:
            lines.append(f"\n{unconv} run(s) stopped at the epoch/step limit before reaching the loss threshold "
                         "(column 'runs converged'): their widths' exponents are training-limited.\n")
        ref = width_reference()["runs"][0]
        if sorted(config.widths) != sorted(ref["widths"]) or list(config.P) != list(ref["P"]) \
                or config.seeds != ref["seeds"]:  # another grid: compare with the stored full run
            ex = {(e["alpha"], e["width"]): e for e in ref["exponents"]}
            cmp = [f"alpha = {a:g}: " + ", ".join(
                f"h = {h} {ex[(a, h)]['measured']:.3f} [{ex[(a, h)]['ci'][0]:.3f}, {ex[(a, h)]['ci'][1]:.3f}]"
                for h in sorted(ref["widths"]) if (a, h) in ex) + f" against eps(P) {ex[(a, ref['widths'][0])]['eps_exponent']:.3f}"
                for a in config.alphas if (a, ref["widths"][0]) in ex]
            if cmp:
                lines += [f"\nFor comparison, the stored full run {ref['folder']} (\"{short_label(ref['label'])}\"; "
                          f"{_grid_text(ref)}; converged width {ref['converged_width']}): " + "; ".join(cmp) + ".\n"]
        return "\n".join(lines)

    def notes(self, config):
        return []  # the widths are the subject here


def width_note(config):
    """The line an RHM report carries about its network width (empty for other configs).

    A CNN narrower than :data:`CONVERGED_WIDTH` is flagged with the measured
    bias of narrow nets (:data:`NARROW_BIAS`).

    >>> from scalinglab.validate.rhm import Net
    >>> class C:
    ...     net = Net(width=64)
    >>> "narrower than the converged width" in width_note(C)[0]
    True
    """
    net = getattr(config, "net", None)
    if net is None or getattr(net, "kind", "cnn") != "cnn" or isinstance(config, WidthConfig):
        return []  # the width study measured CNNs: no claim about FCNs or perceptrons
    ref = width_reference()["runs"][0]
    h = int(net.width)
    if h >= CONVERGED_WIDTH:
        return [f"CNN width h = {h} (>= the converged width {CONVERGED_WIDTH} of {ref['folder']})."]
    return [f"CNN width h = {h}, narrower than the converged width {CONVERGED_WIDTH} ({ref['folder']}): narrow "
            f"nets bias the learning-curve exponent low; " + narrow_bias_text() + "."]
