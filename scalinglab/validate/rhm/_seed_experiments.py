"""The rest of the Zipf-RHM note's figures and claims, the split-accuracy model joined up, and large m (issue 10).

Reproductions (``scalinglab reproduce NAME``; shipped specs ``scalinglab/specs/NAME[.quick].toml``):

* ``rhm-fig5``: seed Fig. 5, L = 4 (K = 8 paths, P* = 10^5): accuracy split by
  the number of seen paths for several alpha; how flat the splits are in P,
  against the alpha_c of the path theory under several rank windows.
* ``rhm-fig8``: seed Fig. 8, v = 10 against v = 20 at m = n_c = 10, L = 3: the
  difference of split accuracies with bootstrap intervals over seeds.
* ``rhm-fig9``: seed Fig. 9, Zipf on the top, middle or bottom level only: the
  pairwise differences of split accuracies.
* ``rhm-fcn-onset``: seed section 2, CNN against FCN on the uniform RHM for
  several depths: onset P of each and the ratio FCN/CNN with intervals over
  seeds, against the seed's 2^L.
* ``rhm-split-model``: seed eqs. 9-11: the measured split accuracies c_k and the
  seen-path distribution (exact, and the independent-path binomial) predict the
  test error at every P; c_k per P or pooled over P (the seed's flat c_k).
* ``rhm-large-m``: the Fig. 6 experiment at m = 10, 16, 24, 32 (v = m, n_c =
  10, s = 2, L = 3): measured exponent, the eps(P) exponent on the same window
  and alpha'/(1+alpha') as m grows.
* ``rhm-fig6-distinct``: seed Fig. 6 with i.i.d. data (population risk) and
  with distinct training data and test data unseen in training (the peer code's
  setting), side by side, with the overlap of training and test sets.

All are sweeps of :class:`SeedSweep`: curves (a Zipf law + network kind +
sampling mode) on one or several RHM sizes (``models``), over a grid of P and
seeds. Cells are :class:`~scalinglab.validate.rhm.RHMRun` runs in the shared
``rhm-runs`` store, so a run made for one figure serves every other that needs
it. Intervals: percentile bootstrap over seeds (seeds resampled with
replacement, the same seeds at every P, since a seed fixes the rules); with 2 or
3 seeds (the quick grids) they are rough and say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from scalinglab.theory.fitting import bootstrap_powerlaw, powerlaw_fit
from scalinglab.validate import protocol
from scalinglab.validate.report import md_table
from scalinglab.validate.rhm._experiments import (_RHMExperiment, _check_sweep, _fmt, _save, _split_panel, onset,
                                                 split_table)
from scalinglab.validate.rhm._runs import Curve, Net, RHMRun, RHMSizes, alpha_label
from scalinglab.validate.train import TrainConfig

__all__ = ["SeedSweep", "FCNOnsetConfig", "SplitModelConfig", "Fig5Config", "LargeMConfig", "iid_overlap", "seed_matrix", "split_arrays",
           "boot_split_diff", "boot_onset"]


# --------------------------------------------------------------------------- config
@dataclass(frozen=True)
class SeedSweep:
    """Config of the issue-10 reproductions: curves on one or several RHM sizes over a grid of P and seeds.

    Attributes
    ----------
    curves : tuple of Curve
        Zipf law, network kind, stop rule and sampling mode of each curve.
    models : tuple of RHMSizes
        RHM sizes; every curve runs on every model.
    P : tuple of float
        Training-set sizes, or multiples of each model's ``P* = n_c m^L`` when
        ``P_in_units_of_Pstar`` (rounded to integers).
    P_in_units_of_Pstar : bool
        Read ``P`` as multiples of P* (e.g. the FCN onset on several depths).
    seeds : int
        Seeds 0..seeds-1 per (model, curve, P).
    n_test : int
        Test data per run.
    net : Net
        Network (a curve's ``model`` overrides its kind).
    train : TrainConfig
        Optimiser and stopping rule.
    fit_window : (float, float)
        P window of exponent fits (analysis only).
    n_boot : int
        Bootstrap resamples (analysis only).
    min_split : int
        Smallest split (test data with k seen paths, pooled over seeds) that
        enters a comparison (analysis only).
    """

    curves: tuple[Curve, ...]
    P: tuple[float, ...] = field(metadata={"gt": 0})
    models: tuple[RHMSizes, ...] = (RHMSizes(),)
    P_in_units_of_Pstar: bool = False
    seeds: int = field(default=3, metadata={"ge": 1})
    n_test: int = field(default=4096, metadata={"ge": 1})
    net: Net = Net()
    train: TrainConfig = TrainConfig()
    fit_window: tuple[float, float] = field(default=(16.0, 4096.0), metadata={"gt": 0, "analysis": True})
    n_boot: int = field(default=1000, metadata={"ge": 100, "analysis": True})
    min_split: int = field(default=50, metadata={"ge": 1, "analysis": True})

    def __post_init__(self):
        _check_sweep(self, self.models)
        for md in self.models:
            if min(self.P_grid(md)) < 1:
                raise ValueError(f"P: a training-set size below 1 on model {md}")

    def P_grid(self, model):
        """The integer training-set sizes of ``model``."""
        scale = model.n_c * model.m ** model.L if self.P_in_units_of_Pstar else 1
        return tuple(int(round(p * scale)) for p in self.P)

    def curve_cells(self, curve, model):
        """The cells of one curve on one model."""
        alpha = model.alphas(curve.alpha, curve.zipf_levels)
        net = replace(self.net, kind=curve.model or self.net.kind)
        tr = replace(self.train, stop=curve.stop) if curve.stop else self.train
        return [RHMRun(model, alpha, net, tr, int(self.n_test), P, sd, curve.sampling)
                for P in self.P_grid(model) for sd in range(int(self.seeds))]

    def grid_text(self):
        """One line naming the grid the numbers come from."""
        P = ", ".join(f"{p:g}" for p in self.P)
        unit = " x P*" if self.P_in_units_of_Pstar else ""
        models = "; ".join(f"n_c={m.n_c} v={m.v} m={m.m} s={m.s} L={m.L}" for m in self.models)
        return (f"P = [{P}]{unit}; {self.seeds} seed(s); n_test = {self.n_test}; {self.net.kind.upper()} width "
                f"{self.net.width}; max_steps {self.train.max_steps}, max_epochs {self.train.max_epochs}; {models}")


@dataclass(frozen=True)
class FCNOnsetConfig(SeedSweep):
    """:class:`SeedSweep` plus the onset level: the first P where the seed-mean error falls below
    ``onset_frac`` x chance (analysis only)."""

    onset_frac: float = field(default=0.5, metadata={"gt": 0, "lt": 1, "analysis": True})


@dataclass(frozen=True)
class SplitModelConfig(SeedSweep):
    """:class:`SeedSweep` plus the split-model settings (analysis only): ``tolerance`` (a prediction "holds" at
    a P when predicted/measured lies within 1 +- tolerance) and ``n_theory`` (Monte Carlo test derivations of
    the exact seen-path distribution)."""

    tolerance: float = field(default=0.25, metadata={"gt": 0, "analysis": True})
    n_theory: int = field(default=4000, metadata={"ge": 100, "analysis": True})


# --------------------------------------------------------------------------- shared machinery
class _SeedExperiment(_RHMExperiment):
    config_type = SeedSweep

    def cells(self, config):
        return [c for md in config.models for cv in config.curves for c in config.curve_cells(cv, md)]

    @staticmethod
    def curves(rows, config):
        """``[(model, curve, first cell, rows)]`` with at least one stored row."""
        out = []
        for md in config.models:
            for cv in config.curves:
                cells = config.curve_cells(cv, md)
                sub = protocol.select(rows, cells)
                if len(sub):
                    out.append((md, cv, cells[0], sub))
        return out


def seed_matrix(rows, field="test_err"):
    """``(P array, seeds array, matrix [seed, P])`` of a measured field (nan where missing)."""
    P = np.array(sorted({int(p) for p in rows["P"]}))
    seeds = np.array(sorted({int(s) for s in rows["seed"]}))
    M = np.full((seeds.size, P.size), np.nan)
    ip = {p: i for i, p in enumerate(P)}
    js = {s: j for j, s in enumerate(seeds)}
    for r in rows.to_dict("records"):
        v = r.get(field)
        if v is not None and not (isinstance(v, float) and math.isnan(v)):
            M[js[int(r["seed"])], ip[int(r["P"])]] = float(v)
    return P, seeds, M


def split_arrays(rows, K):
    """Per-seed split counts: ``(P array, seeds, n [seed, P, k], correct [seed, P, k])``."""
    P = np.array(sorted({int(p) for p in rows["P"]}))
    seeds = np.array(sorted({int(s) for s in rows["seed"]}))
    n = np.zeros((seeds.size, P.size, K + 1))
    c = np.zeros_like(n)
    ip = {p: i for i, p in enumerate(P)}
    js = {s: j for j, s in enumerate(seeds)}
    for r in rows.to_dict("records"):
        i, j = ip[int(r["P"])], js[int(r["seed"])]
        for k in range(K + 1):
            nk, ak = r.get(f"n_{k}"), r.get(f"acc_{k}")
            nk = 0.0 if nk is None or (isinstance(nk, float) and math.isnan(nk)) else float(nk)
            ak = 0.0 if ak is None or (isinstance(ak, float) and math.isnan(ak)) else float(ak)
            n[j, i, k] = nk
            c[j, i, k] = nk * ak
    return P, seeds, n, c


def _pooled(n, c):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, c / np.maximum(n, 1e-300), np.nan)


def boot_split_diff(a, b, n_boot=1000, level=0.95, seed=0):
    """Difference of pooled split accuracies of two groups of seeds, with a percentile bootstrap interval.

    ``a`` and ``b`` are ``(n [seed, P, k], correct [seed, P, k])`` on the same P grid; the seeds of each group
    are resampled with replacement (the same seeds at every P). Returns ``(diff [P, k], lo, hi)``.
    """
    rng = np.random.default_rng(seed)
    (na, ca), (nb, cb) = a, b
    d0 = _pooled(na.sum(0), ca.sum(0)) - _pooled(nb.sum(0), cb.sum(0))
    Sa, Sb = na.shape[0], nb.shape[0]
    reps = np.empty((n_boot,) + d0.shape)
    for t in range(n_boot):
        ia, ib = rng.integers(0, Sa, Sa), rng.integers(0, Sb, Sb)
        reps[t] = _pooled(na[ia].sum(0), ca[ia].sum(0)) - _pooled(nb[ib].sum(0), cb[ib].sum(0))
    q = (1 - level) / 2
    with np.errstate(invalid="ignore"), _quiet():
        lo, hi = np.nanquantile(reps, q, axis=0), np.nanquantile(reps, 1 - q, axis=0)
    return d0, lo, hi


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


def boot_onset(P, M, level_err, n_boot=1000, level=0.95, seed=0):
    """Onset P (first P where the seed-mean error falls below ``level_err``, log-interpolated) and its
    bootstrap resamples over seeds (rows of ``M [seed, P]`` resampled with replacement).

    Returns ``(onset, samples)``; nan where the mean never falls below the level on the grid.
    """
    rng = np.random.default_rng(seed)
    with _quiet():
        on = onset(P, np.nanmean(M, 0), level_err)
        S = M.shape[0]
        samples = np.array([onset(P, np.nanmean(M[rng.integers(0, S, S)], 0), level_err) for _ in range(n_boot)])
    return on, samples


def _ci(samples, level=0.95):
    s = np.asarray(samples, float)
    s = s[np.isfinite(s)]
    if s.size < 10:
        return (float("nan"), float("nan"))
    q = (1 - level) / 2
    return (float(np.quantile(s, q)), float(np.quantile(s, 1 - q)))


def _ci_text(x, ci, nd=3):
    return f"{_fmt(x, nd)} [{_fmt(ci[0], nd)}, {_fmt(ci[1], nd)}]"


def _model_text(md):
    return f"n_c={md.n_c} v={md.v} m={md.m} L={md.L}"


def _few_seeds_note(config):
    return ("" if config.seeds >= 5 else
            f" With {config.seeds} seeds the bootstrap intervals over seeds are rough (they under-cover).")


# --------------------------------------------------------------------------- overlap of training and test data
def _datum_spectrum(spec):
    """Grouped spectrum of whole-datum probabilities: a datum is a 'path' through all n_nodes derivation nodes."""
    from scalinglab.theory.rhm import RHMSpec, path_spectrum

    lev = np.repeat(np.arange(spec.L), [spec.s ** l for l in range(spec.L)])
    big = RHMSpec(spec.n_c, max(spec.m, spec.n_c), spec.m, 2, int(lev.size), tuple(spec.alpha[l] for l in lev))
    sp = path_spectrum(big)
    return sp.log_f - math.log(spec.n_c), np.asarray(sp.counts, float) * spec.n_c


def iid_overlap(spec, P):
    """Expected overlap of an i.i.d. training set of size P with the data: exact, from the datum spectrum.

    Returns ``(distinct_frac, test_in_train)``: the expected fraction of the P
    draws that are distinct, ``sum_x [1 - (1 - p_x)^P] / P``, and the
    probability that a fresh datum occurs in the training set, ``1 - sum_x p_x
    (1 - p_x)^P`` (Hutter's sum over whole data instead of paths). The data
    probabilities ``(1/n_c) prod_nodes f`` are grouped like a path spectrum of
    depth n_nodes (:func:`scalinglab.theory.rhm.path_spectrum`), so nothing of
    size ``n_c m^n_nodes`` is built.

    >>> from scalinglab.theory.rhm import RHMSpec
    >>> d, t = iid_overlap(RHMSpec.make(alpha=1.0), [1e6])
    >>> round(float(d[0]), 3), round(float(t[0]), 3)
    (0.241, 0.838)
    """
    P = np.atleast_1d(np.asarray(P, float))
    lf, cnt = _datum_spectrum(spec)
    l1 = np.log1p(-np.exp(lf))
    distinct = np.array([(cnt * -np.expm1(p * l1)).sum() / p for p in P])
    in_train = np.array([1 - (cnt * np.exp(lf + p * l1)).sum() for p in P])
    return distinct, in_train


# --------------------------------------------------------------------------- Fig. 5 (L = 4)
def _split_slopes(P, acc, n, min_split):
    """Change of split accuracy per decade of P (OLS on log10 P) for each k, over P with n_k >= min_split."""
    out = []
    for k in range(acc.shape[1]):
        ok = (n[:, k] >= min_split) & np.isfinite(acc[:, k])
        if ok.sum() >= 2:
            out.append(float(np.polyfit(np.log10(P[ok]), acc[ok, k], 1)[0]))
        else:
            out.append(float("nan"))
    return np.array(out)


@dataclass(frozen=True)
class Fig5Config(SeedSweep):
    """:class:`SeedSweep` plus ``flat_tol``: a curve's splits count as flat when every split's accuracy changes
    by at most this much per decade of P (analysis only)."""

    flat_tol: float = field(default=0.1, metadata={"gt": 0, "analysis": True})


@protocol.experiment
class Fig5(_SeedExperiment):
    name = "rhm-fig5"
    description = "seed Fig. 5: L=4 (K=8, P*=1e5) accuracy split by seen paths, several alpha; flatness vs alpha_c"
    title = "Seed Fig. 5: split accuracy at L = 4 and where it flattens (alpha_c)"
    config_type = Fig5Config

    def analyse(self, rows, config):
        from scalinglab.theory.rhm import alpha_c, alpha_prime

        table, flat = [], {}
        for md, cv, c0, sub in self.curves(rows, config):
            spec = c0.spec()
            tab = split_table(sub, spec.K)
            Ps = np.array(sorted(tab), float)
            acc = np.array([tab[int(P)][0] for P in Ps])
            n = np.array([tab[int(P)][1] for P in Ps])
            slopes = _split_slopes(Ps, acc, n, config.min_split)
            a = c0.alpha[0]
            fin = slopes[np.isfinite(slopes)]
            is_flat = bool(fin.size and np.abs(fin).max() <= config.flat_tol)
            uniform = all(x == -1.0 for x in c0.alpha)
            ap_full = float("nan") if uniform else alpha_prime(spec).alpha_prime
            ap_head = float("nan") if uniform else alpha_prime(spec, window=f"head:{spec.L - 1}").alpha_prime
            flat[a] = is_flat
            table.append({"alpha": a, "alpha_prime_full": ap_full, "alpha_prime_head": ap_head,
                          "slopes_per_decade": [None if not np.isfinite(x) else round(float(x), 3) for x in slopes],
                          "max_abs_slope": float(np.abs(fin).max()) if fin.size else float("nan"),
                          "flat": is_flat, "acc_by_k_at_P": {int(P): [None if not np.isfinite(x) else round(float(x), 3)
                                                                      for x in acc[i]] for i, P in enumerate(Ps)},
                          "n_by_k_at_P": {int(P): n[i].astype(int).tolist() for i, P in enumerate(Ps)}})
        L, m = config.models[0].L, config.models[0].m
        windows = {"full [1, m^L]": None, f"head [1, m^{L - 1}]": f"head:{L - 1}",
                   f"head [1, m^{L - 2}]": f"head:{L - 2}"}
        ac = {}
        for label, w in windows.items():
            try:
                ac[label] = alpha_c(m, L, window=w).alpha_c
            except (ValueError, RuntimeError) as exc:  # no root in the bracket
                ac[label] = float("nan")
                ac[label + " (why)"] = str(exc)
        zipf = sorted(a for a in flat if a != -1.0)
        not_flat = [a for a in zipf if not flat[a]]
        flat_from = [a for a in zipf if flat[a] and all(flat[b] for b in zipf if b >= a)]
        bracket = (max([a for a in not_flat if not flat_from or a < flat_from[0]], default=None),
                   flat_from[0] if flat_from else None)
        seeds_part = self._seed_statistics(rows, config, table, zipf)
        return {"table": table, "alpha_c_theory": ac, "alpha_c_measured_bracket": list(bracket), **seeds_part,
                "flat_tol": config.flat_tol, "grid": config.grid_text(),
                "seed": "alpha_c ~ 0.8 (m = 10, L = 4), read from where split accuracies become flat in P"}

    def _seed_statistics(self, rows, config, table, zipf):
        """Whole-seed resampling of the flatness statistic (max |slope| per alpha) and of the alpha_c bracket.

        A seed fixes the rules, so the split counts of one seed at every P are resampled together; each resample
        recomputes the pooled split accuracies, their slopes per decade and the max |slope| of every alpha.
        """
        from scalinglab.theory.fitting import grid_bracket, interval_method_text, seed_bootstrap

        curves = [(c0.alpha[0], c0.spec().K, sub) for md, cv, c0, sub in self.curves(rows, config)
                  if c0.alpha[0] in zipf]
        if not curves:
            return {}
        K = max(k for _, k, _ in curves)
        P_all = np.array(sorted({int(p) for _, _, sub in curves for p in sub["P"]}))
        seeds = np.array(sorted({int(x) for _, _, sub in curves for x in sub["seed"]}))
        alphas = [a for a, _, _ in curves]
        N = np.zeros((seeds.size, len(alphas), P_all.size, K + 1))
        C = np.zeros_like(N)
        for j, (a, k, sub) in enumerate(curves):
            P, sd, n, c = split_arrays(sub, k)
            ip = np.searchsorted(P_all, P)
            js = np.searchsorted(seeds, sd)
            N[np.ix_(js, [j], ip, np.arange(k + 1))] = n[:, None]
            C[np.ix_(js, [j], ip, np.arange(k + 1))] = c[:, None]
        V = np.stack([N, C], axis=1)  # [seed, 2, alpha, P, k]

        def max_slopes(v):
            n, c = v[:, 0].sum(0), v[:, 1].sum(0)  # [alpha, P, k]
            acc = _pooled(n, c)
            out = []
            for j in range(len(alphas)):
                sl = _split_slopes(P_all.astype(float), acc[j], n[j], config.min_split)
                fin = sl[np.isfinite(sl)]
                out.append(float(np.abs(fin).max()) if fin.size else float("nan"))
            return np.array(out)

        with _quiet():
            per_alpha = {}
            for j, a in enumerate(alphas):
                si = seed_bootstrap(V, lambda v, j=j: max_slopes(v)[j], n_boot=config.n_boot, seed=11 + j,
                                    labels=seeds.tolist())
                above = float(np.mean(si.samples > config.flat_tol)) if si.samples.size else float("nan")
                per_alpha[a] = {"max_abs_slope": si.estimate, "ci": list(si.ci), "ci_method": si.ci_method,
                                "frac_resamples_not_flat": above}
            br = grid_bracket(alphas, V, lambda v: max_slopes(v) <= config.flat_tol, n_boot=config.n_boot, seed=7,
                              labels=seeds.tolist())
        for r in table:
            if r["alpha"] in per_alpha:
                x = per_alpha[r["alpha"]]
                r.update(max_abs_slope_ci=x["ci"], ci_method=x["ci_method"],
                         frac_resamples_not_flat=x["frac_resamples_not_flat"])
        return {"alpha_c_bracket": [br.lo, br.hi], "alpha_c_bracket_seeds": [br.lo_seeds, br.hi_seeds],
                "alpha_c_bracket_detail": br.to_dict(), "alpha_c_verdict": "alpha_c " + br.text(),
                "n_seeds": int(seeds.size), "interval_method": interval_method_text(int(seeds.size), config.n_boot)}

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        curves = self.curves(rows, config)
        fig, axes = new_figure(ncols=len(curves), width=3.4, height=3.2)
        axes = np.atleast_1d(axes).ravel()
        for ax, (md, cv, c0, sub) in zip(axes, curves):
            K = c0.spec().K
            _split_panel(ax, split_table(sub, K), K)
            ax.axvline(c0.spec().n_c * c0.spec().m ** c0.spec().L, color="grey", lw=0.8, ls=":")
            ax.set_title(alpha_label(c0.alpha), fontsize=8)
        axes[0].legend(fontsize=5, ncol=2)
        axes[0].set_ylabel("test accuracy of the split")
        return [_save(fig, folder, "rhm_fig5")]

    def report(self, rows, summary, config):
        tab = []
        for r in summary.get("table", []):
            ci = r.get("max_abs_slope_ci")
            tab.append([f"{r['alpha']:g}", _fmt(r["alpha_prime_full"]), _fmt(r["alpha_prime_head"]),
                        " ".join("-" if x is None else f"{x:+.2f}" for x in r["slopes_per_decade"]),
                        _fmt(r["max_abs_slope"], 2) + (f" [{_fmt(ci[0], 2)}, {_fmt(ci[1], 2)}]" if ci else ""),
                        "-" if "frac_resamples_not_flat" not in r else f"{100 * r['frac_resamples_not_flat']:.0f} %",
                        "yes" if r["flat"] else "no"])
        ac = summary.get("alpha_c_theory", {})
        br = summary.get("alpha_c_measured_bracket", [None, None])
        lines = [
            "## Seed Fig. 5 (m = v = n_c = 10, L = 4, K = 8, P* = 10^5)\n",
            f"Seed: \"{summary.get('seed', '')}\".\n",
            f"Grid: {summary.get('grid', '')}.\n",
            "Flatness: the change of each split's pooled accuracy per decade of P (OLS on log10 P over the P with "
            f">= {config.min_split} test data in the split); a curve is flat when every split changes by at most "
            f"{summary.get('flat_tol', config.flat_tol):g} per decade. alpha': full window [1, m^L] and head window "
            "[1, m^(L-1)]. The max |slope| carries an interval over whole seeds (a seed fixes the rules: its split "
            f"counts at every P are resampled together; {summary.get('interval_method', 'whole-seed bootstrap')}), "
            "and the share of resamples in which the curve is not flat.\n",
            md_table(["alpha", "alpha' full", "alpha' head", "d acc / d log10 P, k = 0..K", "max |slope| [CI]",
                      "resamples not flat", "flat"], tab),
            "\n### alpha_c\n",
            md_table(["where from", "alpha_c"],
                     [[k, _fmt(v)] for k, v in ac.items() if not k.endswith("(why)")] +
                     [["measured on the alpha grid: largest non-flat alpha, smallest alpha from which all are flat",
                       f"({_fmt(br[0]) if br[0] is not None else '-'}, {_fmt(br[1]) if br[1] is not None else '-'})"]]
                     + ([["measured, the grid bracket combined with whole seeds",
                          "(" + ", ".join("-" if x is None else _fmt(x) for x in summary["alpha_c_bracket_seeds"]) + ")"]]
                        if "alpha_c_bracket_seeds" in summary else [])),
            f"\nVerdict: {summary['alpha_c_verdict']}." if "alpha_c_verdict" in summary else "",
            "\nThe seed's 0.8 matches the head window [1, m^(L-1)]; the full window gives about half of it "
            "(see the alpha_c table in docs/guide/rhm.md).",
        ]
        return "\n".join(lines)


# --------------------------------------------------------------------------- Figs. 8 and 9 (split accuracies compared)
def _compare_splits(groups, K, config):
    """Pairwise differences of pooled split accuracies (bootstrap over seeds) between groups of rows.

    ``groups``: ``[(label, rows)]`` with the same P grid. Returns records per pair with the largest |diff|
    over (P, k) with >= min_split test data in both groups, where it is, its interval, and how many of the
    compared (P, k) intervals contain 0.
    """
    arrs = {lab: split_arrays(sub, K) for lab, sub in groups}
    out = []
    labels = [lab for lab, _ in groups]
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            (Pa, _, na, ca), (Pb, _, nb, cb) = arrs[labels[i]], arrs[labels[j]]
            common = np.intersect1d(Pa, Pb)
            ia, ib = np.searchsorted(Pa, common), np.searchsorted(Pb, common)
            a, b = (na[:, ia], ca[:, ia]), (nb[:, ib], cb[:, ib])
            d, lo, hi = boot_split_diff(a, b, n_boot=config.n_boot, seed=i * 31 + j)
            ok = (a[0].sum(0) >= config.min_split) & (b[0].sum(0) >= config.min_split) & np.isfinite(d)
            rec = {"a": labels[i], "b": labels[j], "n_compared": int(ok.sum())}
            if ok.any():
                flat = np.where(ok, np.abs(d), -1)
                p, k = np.unravel_index(np.argmax(flat), flat.shape)
                inside = ((lo <= 0) & (hi >= 0))[ok]
                per_k = []
                for kk in range(K + 1):
                    if not ok[:, kk].any():
                        continue
                    q = int(np.argmax(np.where(ok[:, kk], np.abs(d[:, kk]), -1)))
                    per_k.append({"k": kk, "diff": float(d[q, kk]), "ci": [float(lo[q, kk]), float(hi[q, kk])],
                                  "at_P": int(common[q]), "n_P": int(ok[:, kk].sum())})
                rec["per_k"] = per_k
                rec.update(max_abs_diff=float(abs(d[p, k])), diff=float(d[p, k]), ci=[float(lo[p, k]), float(hi[p, k])],
                           at_P=int(common[p]), at_k=int(k), frac_ci_contains_0=float(inside.mean()),
                           mean_abs_diff=float(np.abs(d[ok]).mean()),
                           per_P={int(common[q]): [None if not ok[q, kk] else round(float(d[q, kk]), 3)
                                                   for kk in range(K + 1)] for q in range(common.size)})
            out.append(rec)
    return out


def _seed_spread(groups, K, min_split):
    """Typical standard deviation between seeds of a split accuracy (median over (group, P, k))."""
    sds = []
    for _, sub in groups:
        _, _, n, c = split_arrays(sub, K)
        if n.shape[0] < 2:
            continue
        acc = _pooled(n, c)
        ok = (n >= min_split / max(n.shape[0], 1)).all(0)
        with _quiet():
            sd = np.nanstd(acc, axis=0, ddof=1)
        sds += sd[ok & np.isfinite(sd)].tolist()
    return float(np.median(sds)) if sds else float("nan")


def _compare_report(recs, K):
    tab, per = [], []
    for r in recs:
        if "max_abs_diff" not in r:
            tab.append([r["a"], r["b"], 0, "-", "-", "-", "-"])
            continue
        tab.append([r["a"], r["b"], r["n_compared"], _ci_text(r["diff"], r["ci"]), f"P={r['at_P']}, k={r['at_k']}",
                    _fmt(r["mean_abs_diff"], 2), f"{100 * r['frac_ci_contains_0']:.0f} %"])
        for q in r.get("per_k", []):
            per.append([f"{r['a']} - {r['b']}", q["k"], q["n_P"], _ci_text(q["diff"], q["ci"]), q["at_P"],
                        "yes" if q["ci"][0] <= 0 <= q["ci"][1] else "no"])
    return "\n".join([
        md_table(["A", "B", "(P, k) compared", "largest A - B [95% CI]", "where", "mean |A - B|",
                  "CIs containing 0"], tab),
        "\nPer split k: the largest difference over P (with its interval) and whether that interval contains 0.\n",
        md_table(["pair", "k", "P compared", "largest A - B over P [95% CI]", "at P", "CI contains 0"], per)])


@protocol.experiment
class Fig8(_SeedExperiment):
    name = "rhm-fig8"
    description = "seed Fig. 8: split accuracy for v = 10 vs v = 20 (m = n_c = 10, L = 3): does it depend on v?"
    title = "Seed Fig. 8: split accuracy does not depend on v"

    def analyse(self, rows, config):
        by_alpha = {}
        for md, cv, c0, sub in self.curves(rows, config):
            by_alpha.setdefault(alpha_label(c0.alpha), []).append((f"v={md.v}", sub, c0))
        out = {"grid": config.grid_text(), "seed": "varying v = 10, 20 has no effect on the split accuracy",
               "comparisons": {}}
        for lab, grp in by_alpha.items():
            K = grp[0][2].spec().K
            recs = _compare_splits([(g, s) for g, s, _ in grp], K, config)
            errs = {}
            for g, s, _ in grp:
                P, _, M = seed_matrix(s)
                errs[g] = dict(zip(P.tolist(), np.nanmean(M, 0).round(4).tolist()))
            out["comparisons"][lab] = {"pairs": recs, "test_err": errs,
                                       "seed_sd": _seed_spread([(g, s) for g, s, _ in grp], K, config.min_split)}
        return out

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        by_alpha = {}
        for md, cv, c0, sub in self.curves(rows, config):
            by_alpha.setdefault(alpha_label(c0.alpha), []).append((md, c0, sub))
        fig, axes = new_figure(ncols=max(1, len(by_alpha)), width=3.8, height=3.2)
        axes = np.atleast_1d(axes).ravel()
        for ax, (lab, grp) in zip(axes, by_alpha.items()):
            for (md, c0, sub), ls in zip(grp, ["-", "--", ":", "-."]):
                K = c0.spec().K
                _split_panel(ax, split_table(sub, K), K, ls=ls, label_prefix=f"v={md.v} ")
            ax.set_title(f"{lab}; " + ", ".join(f"v={md.v} {ls}" for (md, _, _), ls in zip(grp, ["solid", "dashed",
                                                                                              "dotted"])), fontsize=7)
        axes[0].legend(fontsize=5, ncol=2)
        axes[0].set_ylabel("test accuracy of the split")
        return [_save(fig, folder, "rhm_fig8")]

    def report(self, rows, summary, config):
        lines = ["## Seed Fig. 8: v = 10 against v = 20\n",
                 f"Seed: \"{summary.get('seed', '')}\".\n", f"Grid: {summary.get('grid', '')}.\n",
                 "Difference of pooled split accuracies (A - B) at every (P, k) with >= "
                 f"{config.min_split} test data in both, 95 % percentile bootstrap over seeds (each group's seeds "
                 f"resampled).{_few_seeds_note(config)} 'Seed s.d.' is the median standard deviation of a split "
                 "accuracy between seeds: a difference of that size is what another seed gives.\n"]
        for lab, c in summary.get("comparisons", {}).items():
            lines += [f"### {lab}\n", _compare_report(c["pairs"], None),
                      f"\nSeed s.d. of a split accuracy: {_fmt(c['seed_sd'], 2)}. Mean test error by P: " +
                      "; ".join(f"{g}: " + ", ".join(f"{int(p)}: {e:.3f}" for p, e in sorted(v.items()))
                                for g, v in c["test_err"].items()) + "\n"]
        return "\n".join(lines)


@protocol.experiment
class Fig9(_SeedExperiment):
    name = "rhm-fig9"
    description = "seed Fig. 9: split accuracy with Zipf on the top, middle or bottom level only (similar?)"
    title = "Seed Fig. 9: Zipf on one level only"

    @staticmethod
    def _label(c0):
        zl = [i + 1 for i, a in enumerate(c0.alpha) if a != -1.0]
        names = {1: "top", c0.rhm.L: "bottom"}
        return "+".join(names.get(z, "middle" if c0.rhm.L == 3 else f"level {z}") for z in zl) or "uniform"

    def analyse(self, rows, config):
        groups, K = [], None
        for md, cv, c0, sub in self.curves(rows, config):
            groups.append((self._label(c0), sub))
            K = c0.spec().K
        out = {"grid": config.grid_text(),
               "seed": "accuracy of the splits shows a similar tendency whichever level carries the Zipf law"}
        if K is None:
            return out
        out["pairs"] = _compare_splits(groups, K, config)
        out["seed_sd"] = _seed_spread(groups, K, config.min_split)
        errs = {}
        for g, s in groups:
            P, _, M = seed_matrix(s)
            errs[g] = dict(zip(P.tolist(), np.nanmean(M, 0).round(4).tolist()))
        out["test_err"] = errs
        return out

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        fig, ax = new_figure(width=6)
        styles = {"top": "-", "middle": "-.", "bottom": ":"}
        for md, cv, c0, sub in self.curves(rows, config):
            lab = self._label(c0)
            K = c0.spec().K
            _split_panel(ax, split_table(sub, K), K, ls=styles.get(lab, "--"), label_prefix=f"{lab} ")
        ax.set_ylabel("test accuracy of the split")
        ax.set_title("Zipf on one level: top solid, middle dash-dot, bottom dotted", fontsize=8)
        ax.legend(fontsize=5, ncol=3)
        return [_save(fig, folder, "rhm_fig9")]

    def report(self, rows, summary, config):
        alphas = sorted({a for cv in config.curves for a in np.atleast_1d(cv.alpha) if a != -1.0})
        lines = ["## Seed Fig. 9: Zipf on one level only\n", f"Seed: \"{summary.get('seed', '')}\".\n",
                 f"Grid: {summary.get('grid', '')}; Zipf alpha = {', '.join(f'{a:g}' for a in alphas)}.\n",
                 "Pairwise differences of pooled split accuracies at every (P, k) with >= "
                 f"{config.min_split} test data in both, 95 % percentile bootstrap over seeds."
                 f"{_few_seeds_note(config)}\n"]
        if "pairs" in summary:
            lines += [_compare_report(summary["pairs"], None),
                      f"\nSeed s.d. of a split accuracy: {_fmt(summary['seed_sd'], 2)}. Mean test error by P: " +
                      "; ".join(f"{g}: " + ", ".join(f"{int(p)}: {e:.3f}" for p, e in sorted(v.items()))
                                for g, v in summary["test_err"].items())]
        return "\n".join(lines)


# --------------------------------------------------------------------------- CNN vs FCN onset (section 2)
@protocol.experiment
class FCNOnset(_SeedExperiment):
    name = "rhm-fcn-onset"
    description = "seed section 2: onset P of the CNN vs the FCN on the uniform RHM, ratio FCN/CNN vs 2^L"
    title = "CNN against FCN: where each starts to learn the uniform RHM"
    config_type = FCNOnsetConfig

    def analyse(self, rows, config):
        from scalinglab.theory.fitting import bracket_ratio, grid_bracket, seed_bootstrap
        from scalinglab.validate.rhm._experiments import underfit_mask

        per = {}
        for md, cv, c0, sub in self.curves(rows, config):
            P, seeds, M = seed_matrix(sub)
            chance = 1 - 1 / md.n_c
            lev = config.onset_frac * chance
            bad = underfit_mask(sub)
            under_P = sorted({int(p) for p in sub.loc[bad, "P"]}) if bad.any() else []
            unreliable = np.isin(P, under_P)
            with _quiet():
                # the verdict: the grid bracket of the onset (first P from which the seed-mean error stays below
                # the level), combined with whole seeds; failures at P with underfit runs only bound it
                br = grid_bracket(P.astype(float), M, lambda m: np.nanmean(m, 0) < lev, n_boot=config.n_boot,
                                  seed=md.L * 7 + len(c0.net.kind), labels=seeds.tolist(), unreliable=unreliable)
                # a log-interpolated point inside the bracket, with its whole-seed interval (jackknife-t below 5)
                si = seed_bootstrap(M, lambda m: onset(P, np.nanmean(m, 0), lev), n_boot=config.n_boot,
                                    seed=md.L * 7 + len(c0.net.kind), labels=seeds.tolist())
            conv = sub["converged"].astype(bool)
            per.setdefault(md, {})[c0.net.kind] = {
                "onset": si.estimate, "si": si, "bracket": br, "P": P, "mean": np.nanmean(M, 0),
                "P_max": float(P.max()), "not_converged": int((~conv).sum()), "n": int(len(sub)),
                "underfit": int(bad.sum()), "underfit_at_P": under_P,
                "not_converged_at_P": sorted({int(p) for p in sub.loc[~conv.values, "P"]})}
        table, out = [], {"grid": config.grid_text(), "onset_frac": config.onset_frac,
                          "seed": "a CNN learns the uniform RHM at ~P* = n_c m^L; an FCN needs ~2^L P*"}
        for md, d in per.items():
            Ps = md.n_c * md.m ** md.L
            rec = {"model": _model_text(md), "L": md.L, "P_star": Ps, "two_L": 2 ** md.L}
            for kind, v in d.items():
                br, si = v["bracket"], v["si"]
                rec[kind] = {"onset_bracket": [br.lo, br.hi], "onset_bracket_seeds": [br.lo_seeds, br.hi_seeds],
                             "onset_bound": br.bound, "bracket": br.to_dict(), "bracket_text": br.text(),
                             "onset_interp": v["onset"], "ci": list(si.ci), "ci_method": si.ci_method,
                             "n_seeds": si.n_seeds, "not_converged": v["not_converged"], "runs": v["n"],
                             "n_underfit": v["underfit"], "underfit_at_P": v["underfit_at_P"],
                             "not_converged_at_P": v["not_converged_at_P"],
                             "mean_err": dict(zip(v["P"].astype(int).tolist(), np.round(v["mean"], 4).tolist()))}
            if "cnn" in d and "fcn" in d:
                c, f = d["cnn"], d["fcn"]
                lo, hi = bracket_ratio(f["bracket"], c["bracket"])
                glo, ghi = bracket_ratio(f["bracket"], c["bracket"], seeds=False)
                rec["ratio_bracket"] = [lo, hi]
                rec["ratio_bracket_grid"] = [glo, ghi]
                rec["ratio_bound"] = bool(f["bracket"].bound or c["bracket"].bound)
                rec["ratio_interp"] = f["onset"] / c["onset"] if c["onset"] else float("nan")
                two = 2 ** md.L
                inside = (lo is None or lo <= two) and (hi is None or two <= hi)
                rec["verdict"] = (
                    f"FCN / CNN onset ratio {_bracket_text(lo, hi)} (grid bracket combined with seeds"
                    + ("; a bound: FCN runs ended underfit at P = " + ", ".join(f"{p:g}" for p in
                                                                                 f["underfit_at_P"])
                       if rec["ratio_bound"] else "") + f"): the seed's 2^L = {two} is "
                    + ("inside" if inside else "outside") + " it")
                rec["two_L_inside"] = bool(inside)
            table.append(rec)
        out["table"] = table
        return out

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure
        from scalinglab.validate.rhm._experiments import underfit_mask

        fig, ax = new_figure(width=6)
        cols = {}
        for md, cv, c0, sub in self.curves(rows, config):
            P, _, M = seed_matrix(sub)
            Ps = md.n_c * md.m ** md.L
            col = cols.setdefault(md, f"C{len(cols)}")
            mean = np.nanmean(M, 0)
            sem = np.nanstd(M, 0, ddof=1) / np.sqrt(max(M.shape[0], 1)) if M.shape[0] > 1 else 0 * mean
            ax.errorbar(P / Ps, mean, yerr=sem, fmt=("-o" if c0.net.kind == "cnn" else "--s"), color=col, ms=3,
                        capsize=2, label=f"{c0.net.kind.upper()} L={md.L} (seed mean ± s.e.)")
            bad = underfit_mask(sub)
            if bad.any():
                uP = np.isin(P, sorted({int(p) for p in sub.loc[bad, "P"]}))
                ax.plot(P[uP] / Ps, mean[uP], "x", color="k", ms=7,
                        label="underfit runs at this P" if "underfit" not in str(ax.get_legend_handles_labels()[1])
                        else None)
        ax.axvline(1, color="grey", lw=0.8, ls=":")
        ax.set(xscale="log", xlabel="P / P*  (P* = n_c m^L)", ylabel="test error",
               title="uniform RHM: CNN solid, FCN dashed; onset at error = "
                     f"{config.onset_frac:g} x chance")
        ax.legend(fontsize=7)
        return [_save(fig, folder, "rhm_fcn_onset")]

    def report(self, rows, summary, config):
        tab = []
        for r in summary.get("table", []):
            c, f = r.get("cnn", {}), r.get("fcn", {})

            def br(x):
                if not x:
                    return "-"
                b = x["onset_bracket_seeds"]
                g = x["onset_bracket"]
                return (f"{_bracket_text(*g)}; with seeds {_bracket_text(*b)}" + (" (bound)" if x["onset_bound"]
                                                                                   else ""))
            ratio = "-"
            if "ratio_bracket" in r:
                ratio = (f"{_bracket_text(*r['ratio_bracket'])}" + (" (bound)" if r["ratio_bound"] else "")
                         + f"; grid alone {_bracket_text(*r['ratio_bracket_grid'])}")
            interp = "-" if "ratio_interp" not in r else _fmt(r["ratio_interp"])
            tab.append([r["model"], r["P_star"], br(c), br(f), ratio, r["two_L"],
                        "yes" if r.get("two_L_inside") else ("no" if "two_L_inside" in r else "-"), interp,
                        f"{f.get('n_underfit', 0)}/{f.get('runs', 0)}" if f else "-"])
        n_seeds = max([x.get("n_seeds", 0) for r in summary.get("table", []) for x in (r.get("cnn", {}),
                                                                                    r.get("fcn", {}))] or [0])
        from scalinglab.theory.fitting import interval_method_text
        verdicts = [f"* {r['model']}: {r['verdict']}." for r in summary.get("table", []) if "verdict" in r]
        return "\n".join([
            "## Onset of learning: CNN against FCN\n", f"Seed: \"{summary.get('seed', '')}\".\n",
            f"Grid: {summary.get('grid', '')}.\n",
            f"Onset: the first P from which the seed-mean test error stays below {config.onset_frac:g} x chance. "
            "Read off the P grid it is only known to lie between two grid points: the table gives that bracket, "
            "and the bracket combined with whole seeds (resampled with replacement; the 2.5 % quantile of the "
            "resamples' lower ends and the 97.5 % quantile of their upper ends, or below 5 seeds the range over "
            "all resamples). A P where runs ended underfit (training loss above its tolerance) does not bound "
            "the onset from below (trained longer they might have learnt): such brackets are marked 'bound'. "
            "The FCN / CNN ratio of two onsets in (a, b] and (c, d] lies in (a/d, b/c). The log-interpolated "
            f"ratio is a point inside the bracket, not a finer verdict ({interval_method_text(n_seeds, config.n_boot)} "
            "for the interpolated onsets in summary.json).\n",
            md_table(["model", "P*", "CNN onset: grid bracket", "FCN onset: grid bracket",
                      "FCN / CNN: bracket with seeds", "seed: 2^L", "2^L inside", "log-interp. ratio",
                      "FCN runs underfit"], tab),
            "", "Verdicts:", ""] + verdicts)


def _bracket_text(lo, hi):
    """``(lo, hi]`` of a grid bracket; None ends are open (below / beyond the grid)."""
    if lo is None and hi is None:
        return "not bracketed by the grid"
    if lo is None:
        return f"at most {hi:.6g}"
    if hi is None:
        return f"above {lo:.6g} (not reached on the grid)"
    return f"between {lo:.6g} and {hi:.6g}"


# --------------------------------------------------------------------------- split-accuracy model (eqs. 9-11)
@protocol.experiment
class SplitModel(_SeedExperiment):
    name = "rhm-split-model"
    description = "seed eqs. 9-11: measured c_k + seen-path distribution (exact / binomial) predict the error at every P"
    title = "The split-accuracy model: c_k and the seen-path distribution predict the learning curve"
    config_type = SplitModelConfig

    VARIANTS = ("exact, c_k(P)", "binomial, c_k(P)", "exact, pooled c_k", "binomial, pooled c_k",
                "binomial q=path(P), pooled c_k")

    @staticmethod
    def _predict(pks, n, c):
        """Predicted errors [variant, P] from split counts ``n, c [seed, P, k]`` and the seen-path distributions
        ``pks = (exact, binomial, binomial at q = path(P))``, each [P, k] (they do not depend on the seeds)."""
        acc_P = _pooled(n.sum(0), c.sum(0))                      # [P, k]
        pooled = _pooled(n.sum((0, 1)), c.sum((0, 1)))            # [k]
        pooled = np.where(np.isfinite(pooled), pooled, 0.0)       # a split never seen: accuracy unknown, 0
        per_P = np.where(np.isfinite(acc_P), acc_P, pooled[None, :])
        ex, bi, bp = pks
        pred = [1 - (ex * per_P).sum(1), 1 - (bi * per_P).sum(1), 1 - ex @ pooled, 1 - bi @ pooled, 1 - bp @ pooled]
        return np.stack(pred), pooled

    def analyse(self, rows, config):
        from scalinglab.theory.rhm import split_model_error

        out = {"grid": config.grid_text(), "tolerance": config.tolerance, "curves": [],
               "seed": "eps = 1 - sum_k c_k C(K,k) path(P)^k (eq. 9), a polynomial in P^-a'/(1+a') (eq. 10), "
                       "so eps ~ P^-a'/(1+a') (eq. 11), assuming independent paths and flat c_k"}
        for md, cv, c0, sub in self.curves(rows, config):
            spec = c0.spec()
            P, seeds, n, c = split_arrays(sub, spec.K)
            Pm, _, M = seed_matrix(sub)
            meas = np.nanmean(M, 0)
            a = split_model_error(spec, P.astype(float), np.zeros(spec.K + 1), n_test=config.n_theory, seed=1)
            pks = (a.pk_exact, a.pk_binomial, a.pk_binomial_path)
            pred, pooled = self._predict(pks, n, c)
            rng = np.random.default_rng(0)
            S = n.shape[0]
            reps = []
            for _ in range(config.n_boot):
                ix = rng.integers(0, S, S)
                pr, _ = self._predict(pks, n[ix], c[ix])
                reps.append(pr / np.nanmean(M[ix], 0)[None, :])
            reps = np.array(reps)
            with _quiet():
                lo, hi = np.nanquantile(reps, 0.025, axis=0), np.nanquantile(reps, 0.975, axis=0)
            ratio = pred / meas[None, :]
            holds = np.abs(ratio - 1) <= config.tolerance
            meas_pk = n.sum(0) / np.maximum(n.sum((0, 2))[:, None], 1)
            rec = {"curve": alpha_label(c0.alpha), "model": _model_text(md), "P": P.tolist(),
                   "measured": meas.tolist(), "pooled_c_k": pooled.round(4).tolist(),
                   "P_star": spec.P_star,
                   "c_k_by_P": [[None if not np.isfinite(x) else round(float(x), 4) for x in row]
                                for row in _pooled(n.sum(0), c.sum(0))],
                   "pk_measured": meas_pk.round(4).tolist(), "pk_exact": a.pk_exact.round(4).tolist(),
                   "pk_binomial": a.pk_binomial.round(4).tolist(),
                   "max_abs_pk_exact": float(np.abs(meas_pk - a.pk_exact).max()),
                   "max_abs_pk_binomial": float(np.abs(meas_pk - a.pk_binomial).max()),
                   "predicted": {v: pred[i].tolist() for i, v in enumerate(self.VARIANTS)},
                   "ratio": {v: ratio[i].tolist() for i, v in enumerate(self.VARIANTS)},
                   "ratio_ci": {v: [lo[i].tolist(), hi[i].tolist()] for i, v in enumerate(self.VARIANTS)},
                   "holds_at_P": {v: [int(p) for p, h in zip(P, holds[i]) if h] for i, v in enumerate(self.VARIANTS)},
                   "breaks_at_P": {v: [int(p) for p, h in zip(P, holds[i]) if not h] for i, v in
                                   enumerate(self.VARIANTS)}}
            # the seed's eq. 9 as written (q = path(P), the (1-q) factors dropped) with the measured pooled c_k:
            # its weights do not sum to one, so the "error" goes negative once path(P) is not small
            a9 = split_model_error(spec, P.astype(float), pooled, n_test=config.n_theory, seed=1)
            rec["seed_eq9_as_written"] = np.asarray(a9.error_seed_eq9, float).tolist()
            out["curves"].append(rec)
        return out

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        recs = summary.get("curves", [])
        fig, axes = new_figure(ncols=max(1, len(recs)), width=3.8, height=3.4)
        axes = np.atleast_1d(axes).ravel()
        styles = ["-", "--", "-.", ":", (0, (1, 3))]
        for ax, r in zip(axes, recs):
            P = np.array(r["P"], float)
            ax.plot(P, r["measured"], "ko", ms=4, label="measured")
            for v, ls in zip(self.VARIANTS, styles):
                y = np.array(r["predicted"][v], float)
                ok = y > 0
                ax.plot(P[ok], y[ok], ls=ls, lw=1.2, label=v)
            ax.axvline(r["P_star"], color="grey", lw=0.8, ls=":")
            ax.set(xscale="log", yscale="log", xlabel="P", title=r["curve"])
        axes[0].set_ylabel("test error")
        axes[0].legend(fontsize=5)
        return [_save(fig, folder, "rhm_split_model")]

    def report(self, rows, summary, config):
        lines = ["## Seed eqs. 9-11: the split-accuracy model against the measured error\n",
                 f"Seed: \"{summary.get('seed', '')}\".\n", f"Grid: {summary.get('grid', '')}.\n",
                 "Predicted error = 1 - sum_k c_k Pr(k of K paths seen), with c_k the measured split accuracy "
                 "(per P, or pooled over all P of the curve: the seed's flat c_k) and Pr(k seen) either exact "
                 "(theory.rhm.seen_paths_distribution: paths of one datum share their upper choices) or the "
                 "independent-path binomial with q = 1 - eps(P) (the exact probability that one path is seen); the "
                 "last column is the seed's eq. 9 with its threshold q = path(P) (eq. 7) and the (1-q)^(K-k) factors "
                 "restored: as written, eq. 9's weights do not sum to one and its error goes negative once path(P) "
                 "is not small (theory.rhm.split_model_error reports it too). Table: predicted / measured with a "
                 "95 % bootstrap interval "
                 f"over seeds;{_few_seeds_note(config)} a prediction holds at P when the ratio is within 1 +- "
                 f"{summary.get('tolerance', config.tolerance):g}.\n"]
        for r in summary.get("curves", []):
            tab = []
            for i, P in enumerate(r["P"]):
                tab.append([int(P), _fmt(r["measured"][i])] +
                           [_ci_text(r["ratio"][v][i], (r["ratio_ci"][v][0][i], r["ratio_ci"][v][1][i]), 2)
                            for v in self.VARIANTS])
            lines += [f"### {r['curve']} ({r['model']}, P* = {r['P_star']:g})\n",
                      md_table(["P", "measured error"] + [f"{v}: pred/meas" for v in self.VARIANTS], tab),
                      f"\nPooled c_k (k = 0..K): {' '.join(f'{x:.3f}' for x in r['pooled_c_k'])}. "
                      f"Measured Pr(k seen) against exact / binomial: max |diff| {r['max_abs_pk_exact']:.3f} / "
                      f"{r['max_abs_pk_binomial']:.3f}.\n",
                      "Breaks (ratio outside the tolerance) at P: " +
                      "; ".join(f"{v}: {r['breaks_at_P'][v] or 'none'}" for v in self.VARIANTS) + "\n"]
        return "\n".join(lines)


# --------------------------------------------------------------------------- large m
def _exponent_fit(spec, P, M, window, n_boot):
    """Measured exponent of the seed-mean error over ``window`` (bootstrap over seeds) and the eps(P) exponent on
    the same P; ``{}`` when fewer than 3 P with a non-zero mean lie in the window."""
    import warnings

    from scalinglab.theory.rhm import alpha_prime_at, learning_curve

    mean = np.nanmean(M, 0)
    ok = (P >= window[0]) & (P <= window[1]) & (mean > 0)
    if ok.sum() < 3:
        return {}
    win = (float(P[ok].min()), float(P[ok].max()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FewSeedsWarning: the report states the seeds and the interval's method
        b = bootstrap_powerlaw(P[ok].astype(float), M[:, ok].T, window=win, n_boot=n_boot)  # whole seeds
    eps = learning_curve(spec, P[ok].astype(float)).eps
    ap_hi = float(alpha_prime_at(spec, [win[1]]).alpha_prime[0])
    return {"window": list(win), "measured": b.exponent, "ci": list(b.ci), "ci_method": b.ci_method,
            "n_seeds": b.n_seeds,
            "eps_exponent": powerlaw_fit(P[ok], eps).exponent, "err_over_eps": (mean[ok] / eps).round(3).tolist(),
            "alpha_prime_at_hi": ap_hi, "local_predicted_at_hi": ap_hi / (1 + ap_hi) if ap_hi > 0 else float("nan")}


@dataclass(frozen=True)
class LargeMConfig(SeedSweep):
    """:class:`SeedSweep` plus a second fit window that grows with the model: ``[fit_window[0],
    scaled_window_hi * P*]`` (analysis only; 0.5 P* keeps Fig. 6's 4096 at m = 10)."""

    scaled_window_hi: float = field(default=0.5, metadata={"gt": 0, "analysis": True})


@protocol.experiment
class LargeM(_SeedExperiment):
    name = "rhm-large-m"
    description = "beyond the seed: the Fig. 6 exponent at m = 10, 16, 24, 32 against eps(P) and alpha'/(1+alpha')"
    title = "Does the learning-curve exponent approach alpha'/(1+alpha') as m grows?"
    config_type = LargeMConfig

    def analyse(self, rows, config):
        from scalinglab.theory.rhm import alpha_prime

        table = []
        for md, cv, c0, sub in self.curves(rows, config):
            if all(a == -1.0 for a in c0.alpha):
                continue
            spec = c0.spec()
            P, _, M = seed_matrix(sub)
            ap = alpha_prime(spec)
            rec = {"m": md.m, "v": md.v, "n_c": md.n_c, "alpha": c0.alpha[0], "alpha_prime": ap.alpha_prime,
                   "predicted": ap.predicted_exponent, "P_star": spec.P_star,
                   "mean_err": dict(zip(P.astype(int).tolist(), np.round(np.nanmean(M, 0), 4).tolist())),
                   "fixed": _exponent_fit(spec, P, M, config.fit_window, config.n_boot),
                   "scaled": _exponent_fit(spec, P, M, (config.fit_window[0], config.scaled_window_hi * spec.P_star),
                                           config.n_boot)}
            table.append(rec)
        return {"table": table, "grid": config.grid_text(), "fit_window": list(config.fit_window),
                "scaled_window_hi": config.scaled_window_hi,
                "models": [f"m={md.m}: v={md.v}, n_c={md.n_c}, s={md.s}, L={md.L}; m*v={md.m * md.v} <= v^s="
                           f"{md.v ** md.s}, m*n_c={md.m * md.n_c}; input {md.s ** md.L} symbols of {md.v}"
                           for md in config.models]}

    def figures(self, rows, summary, config, folder):
        from scalinglab.theory.rhm import learning_curve
        from scalinglab.validate.plots import new_figure

        fig, axes = new_figure(ncols=2, width=5)
        ax, bx = axes.ravel()
        alphas = sorted({r["alpha"] for r in summary.get("table", [])})
        ms = sorted({md.m for md in config.models})
        cmap = __import__("matplotlib").colormaps["viridis"]
        for md, cv, c0, sub in self.curves(rows, config):
            if all(a == -1.0 for a in c0.alpha):
                continue
            P, _, M = seed_matrix(sub)
            col = cmap(ms.index(md.m) / max(len(ms) - 1, 1))
            mk = "os^dv"[alphas.index(c0.alpha[0]) % 5]
            ax.plot(P, np.nanmean(M, 0), "-" + mk, color=col, ms=3, label=f"m={md.m} a={c0.alpha[0]:g}")
            ax.plot(P, learning_curve(c0.spec(), P.astype(float)).eps, "--", color=col, lw=0.7)
        ax.set(xscale="log", yscale="log", xlabel="P", ylabel="test error", title="dashed: eps(P)")
        ax.legend(fontsize=5, ncol=2)
        for i, a in enumerate(alphas):
            recs = sorted([r for r in summary["table"] if r["alpha"] == a], key=lambda r: r["m"])
            for key, fmt, lab in (("scaled", "o-", f"window [{config.fit_window[0]:g}, "
                                                     f"{summary.get('scaled_window_hi', 0.5):g} P*]"),
                                  ("fixed", "o:", f"window {tuple(config.fit_window)}")):
                rr = [r for r in recs if r[key]]
                if not rr:
                    continue
                m_ = np.array([r["m"] for r in rr], float)
                meas = np.array([r[key]["measured"] for r in rr], float)
                err = np.abs(np.array([[r[key]["measured"] - r[key]["ci"][0], r[key]["ci"][1] - r[key]["measured"]]
                                       for r in rr], float).T)
                bx.errorbar(m_, meas, yerr=np.nan_to_num(err), fmt=fmt, color=f"C{i}", capsize=2, ms=4,
                            mfc="none" if key == "fixed" else None, label=f"a={a:g} measured, {lab}")
                if key == "scaled":
                    bx.plot(m_, [r[key]["eps_exponent"] for r in rr], "s--", color=f"C{i}", ms=3,
                            label=f"a={a:g} eps(P) fit, same window")
            bx.plot([r["m"] for r in recs], [r["predicted"] for r in recs], "^-", color=f"C{i}", lw=2, alpha=0.4,
                    label=f"a={a:g} alpha'/(1+alpha')")
        bx.set(xlabel="m (rules per symbol)", ylabel="exponent")
        bx.legend(fontsize=5)
        return [_save(fig, folder, "rhm_large_m")]

    def report(self, rows, summary, config):
        tab = []
        for r in sorted(summary.get("table", []), key=lambda r: (r["alpha"], r["m"])):
            row = [f"{r['alpha']:g}", r["m"], f"{r['P_star']:.3g}", _fmt(r["alpha_prime"]), _fmt(r["predicted"])]
            for key in ("fixed", "scaled"):
                f = r[key]
                row += ([str(tuple(int(x) for x in f["window"])), _ci_text(f["measured"], f["ci"]),
                         _fmt(f["eps_exponent"]), _fmt(f["local_predicted_at_hi"])] if f else ["-"] * 4)
            tab.append(row)
        hi = summary.get("scaled_window_hi", 0.5)
        return "\n".join([
            "## Exponent as m grows (Fig. 6 experiment)\n", f"Grid: {summary.get('grid', '')}.\n",
            "Models (rules unambiguous, input small): " + "; ".join(summary.get("models", [])) + ".\n",
            "Measured: OLS of log(seed-mean error) on log P over a window, 95 % bootstrap over seeds; eps(P) "
            "exponent: the same fit of the theory's eps(P) on the same P. alpha': full per-class window [1, m^L]; "
            "'local' is alpha'/(1+alpha') with the local alpha' at the rank probed by the window's largest P "
            "(theory.rhm.alpha_prime_at). Two windows: the fixed one of Fig. 6 and one that grows with the model, "
            f"[{config.fit_window[0]:g}, {hi:g} P*] (capped by the grid).{_few_seeds_note(config)}\n",
            md_table(["alpha", "m", "P*", "alpha'", "alpha'/(1+alpha')", "fixed window", "measured [95% CI]",
                      "eps(P) exp.", "local a'/(1+a')", "scaled window", "measured [95% CI]", "eps(P) exp.",
                      "local a'/(1+a')"], tab)])


# --------------------------------------------------------------------------- Fig. 6, i.i.d. and distinct
@protocol.experiment
class Fig6Distinct(_SeedExperiment):
    name = "rhm-fig6-distinct"
    description = "seed Fig. 6 with i.i.d. data and with distinct training data + test data unseen in training"
    title = "Seed Fig. 6 in both sampling modes: population risk and error on unseen data"

    def analyse(self, rows, config):
        from scalinglab.theory.rhm import alpha_prime

        w = config.fit_window
        table, overlap = [], []
        for md, cv, c0, sub in self.curves(rows, config):
            spec = c0.spec()
            P, _, M = seed_matrix(sub)
            mean = np.nanmean(M, 0)
            rec = {"curve": alpha_label(c0.alpha), "alpha": c0.alpha[0], "sampling": c0.sampling,
                   "mean_err": dict(zip(P.astype(int).tolist(), np.round(mean, 4).tolist()))}
            for f in ("seen_frac", "distinct_frac", "train_mass", "stream_draws"):
                if f in sub.columns:
                    _, _, F = seed_matrix(sub, f)
                    with _quiet():
                        rec[f] = dict(zip(P.astype(int).tolist(), np.round(np.nanmean(F, 0), 4).tolist()))
            if not all(a == -1.0 for a in c0.alpha):
                ap = alpha_prime(spec)
                rec.update(alpha_prime=ap.alpha_prime, predicted=ap.predicted_exponent,
                           **_exponent_fit(spec, P, M, w, config.n_boot))
                if c0.sampling == "iid":  # the issue's overlap numbers: exact expectation beside the measured
                    d, t = iid_overlap(spec, P.astype(float))
                    overlap.append({"curve": alpha_label(c0.alpha), "P": P.astype(int).tolist(),
                                    "distinct_frac_exact": d.round(4).tolist(), "test_in_train_exact":
                                        t.round(4).tolist(),
                                    "distinct_frac_measured": [rec.get("distinct_frac", {}).get(int(p)) for p in P],
                                    "test_in_train_measured": [rec.get("train_mass", {}).get(int(p)) for p in P]})
            table.append(rec)
        md = config.models[0]
        P_issue = [1e3, 1e4, 1e5, 1e6]
        d, t = iid_overlap(md.spec(md.alphas(1.0)), P_issue)
        return {"table": table, "overlap": overlap, "grid": config.grid_text(), "fit_window": list(w),
                "issue_numbers": {"alpha": 1.0, "P": 1e6, "distinct_frac": 0.24, "test_in_train": 0.83},
                "issue_check": {"P": P_issue, "distinct_frac_exact": d.round(4).tolist(),
                                "test_in_train_exact": t.round(4).tolist(), "model": _model_text(md)}}

    def figures(self, rows, summary, config, folder):
        from scalinglab.theory.rhm import learning_curve
        from scalinglab.validate.plots import new_figure

        modes = [s for s in ("iid", "distinct") if any(cv.sampling == s for cv in config.curves)]
        fig, axes = new_figure(ncols=len(modes), width=4.6)
        axes = np.atleast_1d(axes).ravel()
        for ax, mode in zip(axes, modes):
            i = 0
            for md, cv, c0, sub in self.curves(rows, config):
                if c0.sampling != mode:
                    continue
                P, _, M = seed_matrix(sub)
                mean = np.nanmean(M, 0)
                good = mean > 0
                ax.plot(P[good], mean[good], "o-", color=f"C{i}", ms=3, label=alpha_label(c0.alpha))
                if not all(a == -1.0 for a in c0.alpha):
                    ax.plot(P, learning_curve(c0.spec(), P.astype(float)).eps, "--", color=f"C{i}", lw=0.7)
                i += 1
            ax.set(xscale="log", yscale="log", xlabel="P", title=f"{mode} sampling (dashed: i.i.d. eps(P))")
            ax.legend(fontsize=6)
        axes[0].set_ylabel("test error")
        return [_save(fig, folder, "rhm_fig6_distinct")]

    def report(self, rows, summary, config):
        tab = []
        for r in summary.get("table", []):
            if "measured" not in r:
                continue
            tab.append([r["curve"], r["sampling"], _fmt(r["predicted"]), _ci_text(r["measured"], r["ci"]),
                        _fmt(r["eps_exponent"]), str(r["window"]),
                        " ".join(f"{x:.2f}" for x in r.get("err_over_eps", []))])
        ov = []
        for o in summary.get("overlap", []):
            for i, P in enumerate(o["P"]):
                dm, tm = o["distinct_frac_measured"][i], o["test_in_train_measured"][i]
                ov.append([o["curve"], P, f"{o['distinct_frac_exact'][i]:.3f}", _fmt(dm),
                           f"{o['test_in_train_exact'][i]:.3f}", _fmt(tm)])
        iss = summary.get("issue_numbers", {})
        chk = summary.get("issue_check", {})
        ck = [[f"{p:g}", f"{d:.3f}", f"{t:.3f}"] for p, d, t in zip(chk.get("P", []), chk.get("distinct_frac_exact", []),
                                                                    chk.get("test_in_train_exact", []))]
        dm = []
        for r in summary.get("table", []):
            if r["sampling"] != "distinct" or "stream_draws" not in r:
                continue
            iid = next((x for x in summary["table"] if x["sampling"] == "iid" and x["alpha"] == r["alpha"]), {})
            for P, v in r.get("stream_draws", {}).items():
                dm.append([r["curve"], P, _fmt(v / P if v is not None else None), _fmt(r.get("train_mass", {}).get(P)),
                           _fmt(iid.get("train_mass", {}).get(P)), _fmt(r["mean_err"].get(P)),
                           _fmt(iid.get("mean_err", {}).get(P))])
        return "\n".join([
            "## Seed Fig. 6 with i.i.d. and with distinct data\n", f"Grid: {summary.get('grid', '')}.\n",
            "i.i.d.: P i.i.d. training draws, fresh i.i.d. test data (population risk). distinct: the first P "
            "distinct data of a stream, test data drawn conditioned on not being training data (error on unseen "
            "data). Exponent: OLS of log(seed-mean error) on log P over the fit window, 95 % bootstrap over seeds;"
            " eps(P) is the i.i.d. seen-path error (the theory has no distinct-mode curve).\n",
            md_table(["curve", "sampling", "alpha'/(1+alpha')", "measured [95% CI]", "eps(P) exponent", "P window",
                      "error / eps(P)"], tab),
            "\n### Overlap of i.i.d. training and test data\n",
            f"The issue quotes, at alpha = {iss.get('alpha', 1):g} and P = {iss.get('P', 1e6):g}: "
            f"{100 * iss.get('distinct_frac', 0):.0f} % of the training draws distinct and "
            f"{100 * iss.get('test_in_train', 0):.0f} % of a fresh test set in the training set. Exact expectations "
            "(iid_overlap: whole-datum spectrum) beside the values measured on the runs' own training sets "
            "(distinct_frac = distinct/P; test-in-train = probability mass of the training set, exact per set).\n",
            md_table(["curve", "P", "distinct fraction, exact E", "measured", "fresh test datum in training, exact E",
                      "measured"], ov),
            f"\nThe issue's setting ({chk.get('model', '')}, alpha = 1), exact expectations (no training needed):\n",
            md_table(["P", "distinct fraction of i.i.d. draws", "fresh test datum in the training set"], ck),
            "\n### Distinct sampling: what the training set covers\n",
            "draws / P: the stream length it took to meet P distinct data (the Poisson time of the P-th first "
            "occurrence, so about 1 with fluctuations at small P), over P; mass: probability that a fresh i.i.d. "
            "datum is a training datum, for the distinct set and for P i.i.d. draws (distinct-mode test data avoid "
            "the training set by construction).\n",
            md_table(["curve", "P", "draws / P", "mass, distinct set", "mass, i.i.d. set", "error, distinct",
                      "error, i.i.d."], dm)])
