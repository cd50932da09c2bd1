"""Reproductions on real data that ship inside packages: ``data-digits`` and ``data-wordfreq``.

``data-digits`` (scikit-learn's 1797 digits of 8 x 8 pixels, one-hot targets):

* the eigenlearning prediction of kernel (Laplace) regression from the
  spectrum of ``K/N`` on all 1797 points, beside the measured curve (P
  distinct points drawn per seed, error over all points), with the ratio per
  P and intervals that resample whole seeds -- Canatar, Bordelon & Pehlevan
  (2021) did this for MNIST;
* the intrinsic dimension (TwoNN, Levina-Bickel) beside scikit-dimension's;
* a small torch MLP trained on P digits (MSE on one-hot targets, test on the
  held-out digits), its learning-curve exponent against ``4/d_ID``.

``data-wordfreq`` (wordfreq's word lists): per language, the rank exponent of
the full list on stated rank windows (the list is the population: no
interval), and the whole :func:`scalinglab.theory.data.predict_tokens`
analysis of a 10^6-token sample drawn from it (rank window: 10 to the last
rank with a count of 10 or more) (whole-sample bootstrap
intervals, tail comparisons with ``powerlaw``'s numbers beside), with the
memoriser exponent ``alpha/(1+alpha)`` tabulated beside published
language-model data-scaling exponents as context.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from scalinglab.theory.data import (intrinsic_dimension, measured_errors, predict_tokens, predicted_errors,
                                    seed_interval)
from scalinglab.theory.data._features import _bandwidth, _eig, _targets
from scalinglab.theory.fitting import bootstrap_powerlaw, discrete_powerlaw_fit, interval_method_text, powerlaw_fit
from scalinglab.theory.spectral import gram_matrix
from scalinglab.validate import protocol
from scalinglab.validate.data._examples import digits, wordfreq_frequencies, wordfreq_sample
from scalinglab.validate.plots import new_figure, save_figure
from scalinglab.validate.report import md_table

__all__ = ["DigitsConfig", "DigitsCell", "digits_cell", "WordfreqConfig", "WordfreqCell", "wordfreq_cell",
           "PUBLISHED_LM_EXPONENTS"]

#: Published data-scaling exponents of language models (loss ~ D^-beta), shown as context, not as a claim.
PUBLISHED_LM_EXPONENTS = [
    {"source": "Kaplan et al. 2020, arXiv:2001.08361", "exponent": 0.095,
     "what": "alpha_D of L(D) = (D_c/D)^alpha_D (early-stopped, large models)"},
    {"source": "Hoffmann et al. 2022 (Chinchilla), arXiv:2203.15556", "exponent": 0.28,
     "what": "beta of L = E + A/N^alpha + B/D^beta"},
    {"source": "Besiroglu et al. 2024 (Chinchilla replication), arXiv:2404.10102", "exponent": 0.37,
     "what": "beta refitted on Hoffmann et al.'s data"},
]


# ----------------------------------------------------------------------------- digits
@dataclass(frozen=True)
class DigitsConfig:
    """Config of ``data-digits``: kernel regression (kernel, ridge, P grid, seeds) and a torch MLP (P grid,
    seeds, width, steps, learning rate) on scikit-learn's digits.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> cells = protocol.get("data-digits").cells(DigitsConfig(seeds=2, net_P=(64,), net_seeds=1))
    >>> [c.part for c in cells]
    ['theory', 'krr', 'krr', 'net']
    """

    kernel: str = field(default="laplace", metadata={"choices": ("laplace", "rbf", "arccos1")})
    ridge: float = field(default=1e-6, metadata={"gt": 0})
    P: tuple[int, ...] = field(default=(16, 32, 64, 128, 256, 512, 896), metadata={"ge": 2, "lt": 1797})
    seeds: int = field(default=8, metadata={"ge": 1})
    net_P: tuple[int, ...] = field(default=(64, 128, 256, 512, 1024), metadata={"ge": 2, "lt": 1797})
    net_seeds: int = field(default=4, metadata={"ge": 1})
    width: int = field(default=128, metadata={"ge": 1})
    steps: int = field(default=800, metadata={"ge": 1})
    lr: float = field(default=1e-3, metadata={"gt": 0})


@dataclass(frozen=True)
class DigitsCell:
    """One part of ``data-digits``: ``theory`` (prediction, ID), ``krr`` (one seed's measured curve) or ``net``
    (one torch MLP at one P).

    Examples
    --------
    >>> DigitsCell("krr", "laplace", 1e-6, (16, 32), 0, 0, 0, 0, 0.0).kind
    'data-digits'
    """

    kind: ClassVar[str] = "data-digits"

    part: str
    kernel: str
    ridge: float
    P: tuple
    seed: int
    width: int
    steps: int
    n: int
    lr: float


def _net_run(X, Y, P, seed, width, steps, lr):
    import torch
    import torch.nn as nn

    torch.set_num_threads(1)
    rng = np.random.default_rng([7, seed, P])
    idx = rng.permutation(X.shape[0])
    tr, te = idx[:P], idx[P:]
    xt = torch.tensor(X / 16.0, dtype=torch.float32)  # pixel intensities 0..16 -> [0, 1]
    yt = torch.tensor(Y, dtype=torch.float32)
    torch.manual_seed(int(seed))
    net = nn.Sequential(nn.Linear(X.shape[1], width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                        nn.Linear(width, Y.shape[1]))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=int(steps), eta_min=lr * 1e-2)
    tri, tei = torch.tensor(tr), torch.tensor(te)
    for _ in range(int(steps)):
        opt.zero_grad(set_to_none=True)
        loss = ((net(xt[tri]) - yt[tri]) ** 2).sum(1).mean()
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        out = net(xt)
        scale = float(Y.var(0).sum())
        test = float(((out[tei] - yt[tei]) ** 2).sum(1).mean()) / scale
        train = float(((out[tri] - yt[tri]) ** 2).sum(1).mean()) / scale
        err = float((out[tei].argmax(1) != yt[tei].argmax(1)).float().mean())
    return {"test_mse": test, "train_mse": train, "test_error": err}


def digits_cell(cell):
    """Run one :class:`DigitsCell`; a dict of measured (or predicted) values.

    Examples
    --------
    >>> r = digits_cell(DigitsCell("krr", "laplace", 1e-6, (16, 32), 0, 0, 0, 0, 0.0))
    >>> len(r["population"]), bool(r["population"][1] < r["population"][0])
    (2, True)
    """
    X, y = digits()
    Y, _ = _targets(y, X.shape[0])
    if cell.part == "net":
        return _net_run(X, Y, cell.n, cell.seed, cell.width, cell.steps, cell.lr)
    bw = _bandwidth(X, cell.kernel, None)
    K = gram_matrix(X, cell.kernel, bw)
    P = np.array(cell.P, dtype=int)
    if cell.part == "krr":
        pop, ho = measured_errors(K, Y, P, cell.ridge, [0, cell.seed])
        return {"population": pop.tolist(), "heldout": ho.tolist()}
    lam, U = _eig(K)
    pop, ho = predicted_errors(lam, U, Y, P, cell.ridge)
    idim = intrinsic_dimension(X, peer=True)
    return {"predicted": pop.tolist(), "predicted_heldout": ho.tolist(), "bandwidth": bw,
            "twonn": idim.twonn, "twonn_ci": list(idim.twonn_ci), "levina_bickel": idim.levina_bickel,
            "levina_bickel_ci": list(idim.levina_bickel_ci), "skdim_twonn": idim.peer.get("twonn"),
            "skdim_mle": idim.peer.get("mle"), "skdim_version": idim.peer.get("package"),
            "top_eigenvalues": lam[:300].tolist()}


@protocol.experiment
class DigitsExperiment(protocol.Experiment):
    name = "data-digits"
    description = "scikit-learn digits: eigenlearning vs measured kernel regression, intrinsic dimension, a torch " \
                  "MLP vs 4/d_ID"
    title = "Real data: scikit-learn's digits"
    config_type = DigitsConfig
    uses_device = False

    def cells(self, config):
        P = tuple(int(p) for p in config.P)
        out = [DigitsCell("theory", config.kernel, config.ridge, P, 0, 0, 0, 0, 0.0)]
        out += [DigitsCell("krr", config.kernel, config.ridge, P, s, 0, 0, 0, 0.0) for s in range(config.seeds)]
        out += [DigitsCell("net", "", 0.0, (), s, config.width, config.steps, int(n), config.lr)
                for n in config.net_P for s in range(config.net_seeds)]
        return out

    def run(self, cells, device):
        return [digits_cell(c) for c in cells]

    def cost(self, cell):
        return {"theory": 8.0, "krr": 2.0}.get(cell.part, 1e-8 * cell.n * cell.steps * cell.width + 0.5)

    def analyse(self, rows, config):
        recs = rows.to_dict("records")
        th = [r for r in recs if r["part"] == "theory"]
        kr = sorted([r for r in recs if r["part"] == "krr"], key=lambda r: r["seed"])
        out = {}
        if th:
            t = th[0]
            P = np.array(t["P"], dtype=float)
            pred = np.array(t["predicted"])
            out["theory"] = {"P": P.tolist(), "predicted": pred.tolist(), "bandwidth": t["bandwidth"]}
            out["dimension"] = {k: t[k] for k in ("twonn", "twonn_ci", "levina_bickel", "levina_bickel_ci",
                                                  "skdim_twonn", "skdim_mle", "skdim_version")}
            out["dimension"]["four_over_d_twonn"] = 4.0 / t["twonn"]
            out["dimension"]["four_over_d_levina_bickel"] = 4.0 / t["levina_bickel"]
            out["dimension"]["interval_method"] = ("TwoNN: 95 % chi-square interval of the MLE (2 d sum log mu ~ "
                                                   "chi2(2n), independent ratios assumed); Levina-Bickel: estimate "
                                                   "± 1.96 s.e. of the per-point estimates; no resampling")
            if kr:
                meas = np.array([r["population"] for r in kr])
                mean, lo, hi, how = seed_interval(meas)
                rm, rlo, rhi, _ = seed_interval(meas / pred[None, :], seed=1)
                bf = bootstrap_powerlaw(P, meas.T, n_boot=1000, seed=2)
                out["krr"] = {"P": P.tolist(), "mean": mean.tolist(), "lo": lo.tolist(), "hi": hi.tolist(),
                              "ratio": rm.tolist(), "ratio_lo": rlo.tolist(), "ratio_hi": rhi.tolist(),
                              "n_seeds": len(kr), "interval": how, "measured_exponent": bf.exponent,
                              "measured_exponent_ci": list(bf.ci),
                              "predicted_exponent": powerlaw_fit(P, pred).exponent,
                              "ratio_max_abs_dev_P_le_128": float(np.max(np.abs(rm[P <= 128] - 1))),
                              "ratio_at_largest_P": float(rm[-1]),
                              "interval_method": (f"per P (error and ratio): 95 % {how}, 2000 resamples, a seed's "
                                                  f"whole curve kept together; exponent: {_boot_method(bf)}")}
        nets = [r for r in recs if r["part"] == "net"]
        if nets:
            Ps = sorted({int(r["n"]) for r in nets})
            seeds = sorted({int(r["seed"]) for r in nets})
            M = np.full((len(Ps), len(seeds)), np.nan)
            E = np.full((len(Ps), len(seeds)), np.nan)
            for r in nets:
                M[Ps.index(int(r["n"])), seeds.index(int(r["seed"]))] = r["test_mse"]
                E[Ps.index(int(r["n"])), seeds.index(int(r["seed"]))] = r["test_error"]
            cnt = np.isfinite(M).sum(1)
            sem = np.where(cnt > 1, np.nanstd(M, 1, ddof=1) / np.sqrt(np.maximum(cnt, 1)), 0.0) if len(seeds) > 1 \
                else np.zeros(len(Ps))
            net = {"P": Ps, "mean_mse": np.nanmean(M, 1).tolist(), "mean_error": np.nanmean(E, 1).tolist(),
                   "mse_sem": np.nan_to_num(sem).tolist(),
                   "n_seeds": len(seeds), "train_mse_max": max(float(r["train_mse"]) for r in nets)}
            if len(Ps) >= 2:
                bf = bootstrap_powerlaw(np.array(Ps, dtype=float), M, n_boot=1000, seed=3)
                net.update(exponent=bf.exponent, exponent_ci=list(bf.ci), ci_method=bf.ci_method,
                           interval_method=_boot_method(bf))
            out["net"] = net
        return out

    def figures(self, rows, summary, config, folder):
        paths = []
        if "krr" in summary:
            k, t = summary["krr"], summary["theory"]
            fig, axes = new_figure(ncols=2, width=4.8, height=3.8)
            axes = np.ravel(axes)
            P = np.array(k["P"])
            axes[0].loglog(P, t["predicted"], "-", label="eigenlearning prediction")
            m, lo, hi = (np.array(k[x]) for x in ("mean", "lo", "hi"))
            axes[0].errorbar(P, m, yerr=[m - lo, hi - m], fmt="o", ms=4, capsize=2,
                             label=f"measured ({k['n_seeds']} seeds)")
            axes[0].set_xscale("log")
            axes[0].set_yscale("log")
            axes[0].set_xlabel("training digits P")
            axes[0].set_ylabel("relative MSE over the 1797 digits")
            axes[0].legend(fontsize=8)
            r, rlo, rhi = (np.array(k[x]) for x in ("ratio", "ratio_lo", "ratio_hi"))
            axes[1].errorbar(P, r, yerr=[r - rlo, rhi - r], fmt="o-", ms=4, capsize=2)
            axes[1].axhline(1, color="0.5", lw=0.8)
            axes[1].set_xscale("log")
            axes[1].set_xlabel("training digits P")
            axes[1].set_ylabel("measured / predicted (whole-seed 95 %)")
            fig.suptitle(f"digits, {config.kernel} kernel regression: prediction vs measurement", fontsize=9)
            fig.tight_layout()
            paths.append(save_figure(fig, folder / "digits_kernel_curve.png"))
        if "net" in summary and "dimension" in summary:
            n, d = summary["net"], summary["dimension"]
            fig, ax = new_figure()
            P = np.array(n["P"], dtype=float)
            m_ = np.asarray(n["mean_mse"], float)
            se = np.asarray(n.get("mse_sem", np.zeros(len(P))), float)
            ax.errorbar(P, m_, yerr=[np.minimum(se, 0.95 * m_), se], fmt="o-", capsize=2, elinewidth=0.8,
                        label=f"MLP test MSE (seed mean ± s.e.): exponent {n.get('exponent', float('nan')):.3f}")
            ax.set_xscale("log")
            ax.set_yscale("log")
            for key, style in (("four_over_d_twonn", "--"), ("four_over_d_levina_bickel", ":")):
                ax.loglog(P, n["mean_mse"][0] * (P / P[0]) ** -d[key], style, label=f"slope 4/d = {d[key]:.3f} "
                          f"({'TwoNN' if 'twonn' in key else 'Levina-Bickel'})")
            ax.set_xlabel("training digits P")
            ax.set_ylabel("relative test MSE (held-out digits)")
            ax.legend(fontsize=8)
            paths.append(save_figure(fig, folder / "digits_net_curve.png"))
        return paths

    def report(self, rows, summary, config):
        out = []
        if "krr" in summary:
            k, t = summary["krr"], summary["theory"]
            out += ["## Kernel regression: eigenlearning prediction and measurement", "",
                    md_table(["P", "predicted", "measured", "95 % (seeds)", "ratio", "ratio 95 % (seeds)"],
                             [[int(p), a, b, f"[{lo:.4g}, {hi:.4g}]", f"{r:.3f}", f"[{rl:.3f}, {rh:.3f}]"]
                              for p, a, b, lo, hi, r, rl, rh in zip(k["P"], t["predicted"], k["mean"], k["lo"],
                                                                    k["hi"], k["ratio"], k["ratio_lo"],
                                                                    k["ratio_hi"])]),
                    f"Exponent over P = {k['P'][0]}..{k['P'][-1]}: measured {k['measured_exponent']:.3f} "
                    f"[{k['measured_exponent_ci'][0]:.3f}, {k['measured_exponent_ci'][1]:.3f}], predicted "
                    f"{k['predicted_exponent']:.3f}.", ""]
            if k.get("interval_method"):
                out += [f"Intervals: {k['interval_method']}.", ""]
        if "dimension" in summary:
            d = summary["dimension"]
            out += ["## Intrinsic dimension", "",
                    md_table(["estimator", "ours", "95 %", "scikit-dimension", "4/d"],
                             [["TwoNN", d["twonn"], f"[{d['twonn_ci'][0]:.3f}, {d['twonn_ci'][1]:.3f}]",
                               d["skdim_twonn"], d["four_over_d_twonn"]],
                              ["Levina-Bickel k 10..20", d["levina_bickel"],
                               f"[{d['levina_bickel_ci'][0]:.3f}, {d['levina_bickel_ci'][1]:.3f}]", d["skdim_mle"],
                               d["four_over_d_levina_bickel"]]])]
            if d.get("interval_method"):
                out += [f"Intervals: {d['interval_method']}."]
        if "net" in summary:
            n = summary["net"]
            out += ["## Torch MLP", "", md_table(["P", "test MSE", "test error"],
                                                 [[p, a, b] for p, a, b in zip(n["P"], n["mean_mse"],
                                                                               n["mean_error"])])]
            if "exponent" in n:
                out.append(f"Exponent {n['exponent']:.3f} [{n['exponent_ci'][0]:.3f}, {n['exponent_ci'][1]:.3f}] "
                           f"({n['ci_method']}, {n['n_seeds']} seeds)." + (f" Interval: {n['interval_method']}."
                                                                          if n.get("interval_method") else ""))
        return "\n".join(out) + "\n"


def _boot_method(bf):
    """The method of a whole-seed :func:`bootstrap_powerlaw` interval, in words (issue 17)."""
    return interval_method_text(bf.n_seeds, bf.n_boot, bf.level, method=bf.ci_method, expanded=bf.expanded)


# ----------------------------------------------------------------------------- wordfreq
@dataclass(frozen=True)
class WordfreqConfig:
    """Config of ``data-wordfreq``: languages, the sample size, rank windows of the full-list fits, bootstrap.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> [c.lang for c in protocol.get("data-wordfreq").cells(WordfreqConfig(langs=("en", "de")))]
    ['en', 'de']
    """

    langs: tuple[str, ...] = ("en", "de", "fr")
    n_tokens: int = field(default=1_000_000, metadata={"ge": 1000})
    windows: tuple[tuple[int, int], ...] = ((10, 1000), (100, 10000), (1000, 100000))
    n_boot: int = field(default=200, metadata={"ge": 20})
    peer: bool = True


@dataclass(frozen=True)
class WordfreqCell:
    """One language of ``data-wordfreq``.

    Examples
    --------
    >>> WordfreqCell("en", 10**6, ((10, 1000),), 200, True).kind
    'data-wordfreq'
    """

    kind: ClassVar[str] = "data-wordfreq"

    lang: str
    n_tokens: int
    windows: tuple
    n_boot: int
    peer: bool


def wordfreq_cell(cell):
    """Full-list rank exponents per window and the :func:`predict_tokens` summary of a sample, for one language.

    Examples
    --------
    >>> r = wordfreq_cell(WordfreqCell("en", 20000, ((10, 100),), 30, False))
    >>> sorted(r)[:3], round(r["list_windows"][0]["a"], 1)
    (['list_windows', 'n_types_list', 'sample'], 1.0)
    """
    words, f = wordfreq_frequencies(cell.lang)
    wins = []
    for lo, hi in cell.windows:
        hi = min(int(hi), f.size)
        if hi - lo < 2:
            continue
        r = np.arange(lo, hi + 1)
        w = np.round(f[lo - 1:hi] / f[lo - 1:hi].min() * 100).astype(np.int64)  # relative weights only
        a = discrete_powerlaw_fit(r, lo, hi, counts=w).exponent
        alpha = a - 1
        wins.append({"window": [int(lo), int(hi)], "a": a, "alpha": alpha,
                     "predicted_exponent": alpha / (1 + alpha) if alpha > 0 else None})
    w, c = wordfreq_sample(cell.lang, cell.n_tokens, seed=0)
    hi = int(np.sum(c >= 10))  # ranks 10.. (past the flat head of function words) to the last count >= 10
    pred = predict_tokens({k: int(v) for k, v in zip(w.tolist(), c.tolist())}, n_boot=cell.n_boot,
                          window=(10, hi) if hi >= 13 else None,
                          peer=cell.peer, P=np.unique(np.round(np.geomspace(1, cell.n_tokens, 25))))
    d = pred.to_dict()
    keep = {"n_tokens": d["n_tokens"], "n_types": d["n_types"], "n_singletons": d["n_singletons"],
            "zipf": d["zipf"], "alpha_from_tail": d.get("alpha_from_tail"),
            "tail": {k: d["tail"][k] for k in ("x_min", "ks_distance", "comparisons", "peer")} if d.get("tail") else None,
            "tail_exponent": d["tail"]["fit"]["exponent"] if d.get("tail") else None,
            "tail_exponent_ci": d["tail"]["fit"]["ci"] if d.get("tail") else None,
            "curve": {k: d["curve"][k] for k in ("P", "eps", "eps_plugin", "good_turing", "local_exponent")}}
    return {"list_windows": wins, "n_types_list": int(f.size), "sample": keep}


@protocol.experiment
class WordfreqExperiment(protocol.Experiment):
    name = "data-wordfreq"
    description = "wordfreq word lists: Zipf exponents with intervals, the memoriser exponent alpha/(1+alpha), " \
                  "published LM data exponents beside"
    title = "Real data: word frequencies of several languages (wordfreq)"
    config_type = WordfreqConfig

    def cells(self, config):
        return [WordfreqCell(lang, config.n_tokens, tuple(tuple(int(x) for x in w) for w in config.windows),
                             config.n_boot, bool(config.peer)) for lang in config.langs]

    def run(self, cells, device):
        return [wordfreq_cell(c) for c in cells]

    def cost(self, cell):
        return 10.0 + (60.0 if cell.peer else 0.0)

    def analyse(self, rows, config):
        langs = {}
        for r in rows.to_dict("records"):
            s = r["sample"]
            z = s["zipf"]
            langs[r["lang"]] = {"list_windows": r["list_windows"], "n_types_list": r["n_types_list"],
                                "sample_a": z["exponent"], "sample_a_ci": z["ci"], "sample_window": z["window"],
                                "sample_alpha": z["alpha"], "sample_predicted": z["predicted_exponent"],
                                "sample_predicted_ci": z["predicted_ci"], "rerank_bias": z["rerank_bias"],
                                "tail_gamma": s["tail_exponent"], "tail_gamma_ci": s["tail_exponent_ci"],
                                "tail_x_min": s["tail"]["x_min"] if s["tail"] else None,
                                "alpha_from_tail": s["alpha_from_tail"], "good_turing": s["curve"]["good_turing"],
                                "comparisons": s["tail"]["comparisons"] if s["tail"] else None,
                                "peer": s["tail"]["peer"] if s["tail"] else None,
                                "n_tokens": s["n_tokens"], "n_types": s["n_types"], "curve": s["curve"]}
        return {"languages": langs, "published_lm_exponents": PUBLISHED_LM_EXPONENTS,
                "sample_tokens": config.n_tokens}

    def figures(self, rows, summary, config, folder):
        fig, axes = new_figure(ncols=2, width=4.8, height=3.8)
        axes = np.ravel(axes)
        for lang in summary["languages"]:
            words, f = wordfreq_frequencies(lang)
            r = np.arange(1, f.size + 1)
            axes[0].loglog(r, f, "-", lw=1, label=lang)
            cv = summary["languages"][lang]["curve"]
            P = np.array(cv["P"], dtype=float)
            e = np.array([np.nan if x is None else x for x in cv["eps"]], dtype=float)
            ok = (P > 0) & np.isfinite(e)
            axes[1].loglog(P[ok], e[ok], "-", label=lang)
        axes[0].set_xlabel("rank r")
        axes[0].set_ylabel("frequency (wordfreq 'large' list)")
        axes[0].legend(fontsize=8)
        axes[1].set_xlabel(f"training tokens P (of a {config.n_tokens:.0e}-token sample)")
        axes[1].set_ylabel("memoriser error eps(P), unbiased")
        axes[1].legend(fontsize=8)
        fig.tight_layout()
        return [save_figure(fig, folder / "wordfreq.png")]

    def report(self, rows, summary, config):
        L = summary["languages"]

        def f(x, nd=3):
            return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{nd}f}"

        rows1 = []
        for lang, v in L.items():
            rows1.append([lang, f(v["sample_a"]), f"[{f(v['sample_a_ci'][0])}, {f(v['sample_a_ci'][1])}]",
                          f"{v['sample_window'][0]}..{v['sample_window'][1]}", f(v["sample_predicted"]),
                          f(v["tail_gamma"]), f(v["alpha_from_tail"]),
                          f(v["alpha_from_tail"] / (1 + v["alpha_from_tail"]) if v["alpha_from_tail"] else None)])
        rows2 = []
        for lang, v in L.items():
            rows2.append([lang] + [f"{w['a']:.3f} ({f(w['predicted_exponent'])})" for w in v["list_windows"]])
        out = ["## Zipf exponents and the memoriser exponent", "",
               f"Sample of {config.n_tokens:.0e} tokens per language (whole-sample bootstrap intervals):", "",
               md_table(["lang", "a (ranks, sample)", "95 %", "ranks", "alpha/(1+alpha)", "gamma (counts)",
                         "alpha from gamma", "alpha/(1+alpha) from gamma"], rows1),
               "Full lists, rank exponent a per window (alpha/(1+alpha) in brackets; the list is the population):", "",
               md_table(["lang"] + [f"ranks {w[0]}..{w[1]}" for w in config.windows], rows2),
               "## Published language-model data exponents (context, not a claim)", "",
               md_table(["source", "exponent", "what"], [[p["source"], p["exponent"], p["what"]]
                                                         for p in PUBLISHED_LM_EXPONENTS])]
        return "\n".join(out) + "\n"
