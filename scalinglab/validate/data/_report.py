"""Report folders of ``scalinglab predict``: the results of :mod:`scalinglab.theory.data` written like a reproduction.

``OUT/report.md`` (the text, tables and figures), ``OUT/summary.json`` (the
result's strict-JSON ``to_dict``), ``OUT/manifest.json`` (what was read,
its size and SHA-256, the settings, versions, git hash, argv),
``OUT/table.csv`` (the result's ``to_frame``) and ``OUT/figures/*.png``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from scalinglab.theory.data import ClusterPrediction, FeaturePrediction, TokenPrediction
from scalinglab.validate.plots import new_figure, save_figure
from scalinglab.validate.report import md_table
from scalinglab.validate.storage import check_out_folder, environment_info, write_json

__all__ = ["write_report", "file_digest"]

FORMAT = "scalinglab-predict/1"


def file_digest(path):
    """``{"path", "bytes", "sha256"}`` of a file (read in 1 MiB blocks).

    Examples
    --------
    >>> _ = open("f.txt", "w").write("abc")
    >>> file_digest("f.txt")["sha256"][:12], file_digest("f.txt")["bytes"]
    ('ba7816bf8f01', 3)
    """
    h = hashlib.sha256()
    p = Path(path)
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(2**20), b""):
            h.update(block)
    return {"path": str(p), "bytes": p.stat().st_size, "sha256": h.hexdigest()}


def _fmt(x, nd=4):
    return "n/a" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{nd}g}"


def _tokens(res, figs):
    z, c = res.zipf, res.curve
    fig, ax = new_figure()
    z.plot(ax=ax)
    ax.set_title(f"rank-frequency: a = {z.exponent:.3f}", fontsize=9)
    paths = [save_figure(fig, figs / "rank_frequency.png")]
    if res.tail is not None:
        fig, ax = new_figure()
        res.tail.plot(ax=ax)
        ax.set_title(f"frequency distribution (counts of types) from x_min = {res.tail.x_min}", fontsize=9)
        paths.append(save_figure(fig, figs / "frequency_distribution.png"))
    fig, ax = new_figure()
    c.plot(ax=ax)
    ax.set_title("memoriser learning curve from the sample", fontsize=9)
    paths.append(save_figure(fig, figs / "learning_curve.png"))
    rows = [["rank exponent a (f_r ~ r^-a)", _fmt(z.exponent), f"[{_fmt(z.ci[0])}, {_fmt(z.ci[1])}]",
             f"whole-sample bootstrap ({z.ci_method}), ranks {z.window[0]}..{z.window[1]}"],
            ["alpha = a - 1", _fmt(z.alpha), "", ""],
            ["memoriser exponent alpha/(1+alpha)", _fmt(z.predicted_exponent),
             f"[{_fmt(z.predicted_ci[0])}, {_fmt(z.predicted_ci[1])}]", "from a"],
            ["Good-Turing n1/N (eps at P = N-1)", _fmt(c.good_turing), "", f"N = {c.N}"]]
    if res.tail is not None:
        f = res.tail.fit
        rows.append(["frequency-distribution exponent gamma", _fmt(f.exponent), f"[{_fmt(f.ci[0])}, {_fmt(f.ci[1])}]",
                     f"likelihood ratio, counts >= {res.tail.x_min} ({res.tail.x_min_method})"])
        rows.append(["alpha from gamma: 1/(gamma-1) - 1", _fmt(res.alpha_from_tail), "", ""])
    body = ["## Numbers", "", md_table(["quantity", "value", "interval", "how"], rows)]
    if res.tail is not None:
        peer = res.tail.peer
        trows = []
        for k, cmp in res.tail.comparisons.items():
            pc = (peer.get("comparisons") or {}).get(k, {})
            trows.append([k, _fmt(cmp["R"]), _fmt(cmp["normalized_R"]), _fmt(cmp["p"], 3), cmp["favours"],
                          _fmt(pc.get("normalized_R")), _fmt(pc.get("p"), 3)])
        body += ["## Power law against its rivals (frequency distribution)", "",
                 "R > 0 favours the power law; p is the significance of the sign of R (Vuong; chi-square for the "
                 "nested truncated power law). The last two columns are the `powerlaw` package's on the same "
                 f"samples and window ({peer.get('package', peer.get('reason', ''))}).", "",
                 md_table(["rival", "R", "R/sqrt(n var)", "p", "favours", "powerlaw: R/sqrt(n var)", "powerlaw: p"],
                          trows)]
    return paths, body


def _features(res, figs):
    paths, body = [], []
    if res.curve is not None:
        fig, axes = new_figure(ncols=2, width=4.8, height=3.8)
        axes = np.ravel(axes)
        res.curve.plot(ax=axes[0], ratio_ax=axes[1])
        axes[0].set_title(f"{res.curve.kernel} kernel regression: predicted and measured", fontsize=9)
        axes[1].set_title("measured / predicted per P (whole-seed intervals)", fontsize=9)
        fig.tight_layout()
        paths.append(save_figure(fig, figs / "learning_curve.png"))
        lc = res.curve
        body += ["## Kernel regression: eigenlearning prediction and measurement", "",
                 md_table(["P", "predicted", "measured", "interval", "ratio", "ratio interval"],
                          [[int(p), _fmt(a), _fmt(b), f"[{_fmt(lo)}, {_fmt(hi)}]", _fmt(r, 3),
                            f"[{_fmt(rl, 3)}, {_fmt(rh, 3)}]"]
                           for p, a, b, lo, hi, r, rl, rh in zip(lc.P, lc.predicted, lc.mean, lc.lo, lc.hi, lc.ratio,
                                                                 lc.ratio_lo, lc.ratio_hi)])]
    fig, ax = new_figure()
    for k, v in res.spectra.items():
        v["spectrum"].plot(ax=ax, label=f"{k}: decay {v['fit'].decay:.3f}")
    ax.legend(fontsize=8)
    ax.set_title("Gram spectra of K/N", fontsize=9)
    paths.append(save_figure(fig, figs / "spectra.png"))
    d = res.dimension
    rows = [["TwoNN", _fmt(d.twonn), f"[{_fmt(d.twonn_ci[0])}, {_fmt(d.twonn_ci[1])}]",
             _fmt(d.resolution_exponent["twonn"]), _fmt(d.peer.get("twonn"))],
            [f"Levina-Bickel (k {d.k_range[0]}..{d.k_range[1]})", _fmt(d.levina_bickel),
             f"[{_fmt(d.levina_bickel_ci[0])}, {_fmt(d.levina_bickel_ci[1])}]",
             _fmt(d.resolution_exponent["levina_bickel"]), _fmt(d.peer.get("mle"))]]
    body += ["## Intrinsic dimension", "", md_table(["estimator", "d_ID", "interval", "4/d_ID",
                                                     "scikit-dimension"], rows)]
    return paths, body


def _clusters(res, figs):
    fig, ax = new_figure()
    res.plot(ax=ax)
    ax.set_title(f"cluster sizes: tau = {res.tau:.3f}", fontsize=9)
    paths = [save_figure(fig, figs / "cluster_sizes.png")]
    rows = [["tau", _fmt(res.tau), f"[{_fmt(res.tau_ci[0])}, {_fmt(res.tau_ci[1])}]"],
            ["alpha = (3-tau)/(tau-2)", _fmt(res.alpha), f"[{_fmt(res.alpha_ci[0])}, {_fmt(res.alpha_ci[1])}]"]]
    if res.prediction is not None:
        rows += [["model exponent (L ~ N^-x)", _fmt(res.prediction.model_exponent), ""],
                 ["data exponent (L ~ D^-x)", _fmt(res.prediction.data_exponent), ""]]
    return paths, ["## Numbers", "", md_table(["quantity", "value", "interval"], rows)]


def write_report(result, out, source=None, settings=None):
    """Write a report folder for a result of :mod:`scalinglab.theory.data`; return ``{"out", "figures"}``.

    Parameters
    ----------
    result : TokenPrediction, FeaturePrediction or ClusterPrediction
    out : path
        Folder (created).
    source : path, optional
        The input file (its size and SHA-256 go into the manifest).
    settings : dict, optional
        The parameters used (recorded in the manifest).

    Examples
    --------
    >>> from scalinglab.theory.data import predict_clusters
    >>> import numpy as np
    >>> cp = predict_clusters(np.random.default_rng(0).zipf(2.5, 3000), x_min=1, peer=False, n_boot=30)
    >>> paths = write_report(cp, "report-clusters")
    >>> sorted(p.name for p in __import__("pathlib").Path("report-clusters").iterdir())
    ['figures', 'manifest.json', 'report.md', 'summary.json', 'table.csv']
    """
    out = check_out_folder(out)
    figs = out / "figures"
    if isinstance(result, TokenPrediction):
        kind, (paths, body) = "tokens", _tokens(result, figs)
    elif isinstance(result, FeaturePrediction):
        kind, (paths, body) = "features", _features(result, figs)
    elif isinstance(result, ClusterPrediction):
        kind, (paths, body) = "clusters", _clusters(result, figs)
    else:
        raise TypeError(f"write_report takes a TokenPrediction, FeaturePrediction or ClusterPrediction, "
                        f"got {type(result).__name__}")
    write_json(out, "summary.json", result.to_dict())
    manifest = {"format": FORMAT, "kind": kind, "source": file_digest(source) if source else None,
                "settings": settings or {}, "environment": environment_info()}
    write_json(out, "manifest.json", manifest)
    try:
        result.to_frame().to_csv(out / "table.csv", index=False)
    except ImportError:  # pragma: no cover - pandas missing: the table is optional
        pass
    lines = [f"# scalinglab predict {kind}: {Path(str(source)).name if source else 'data in memory'}", "",
             "Settings and environment in `manifest.json`, every number in `summary.json` (strict JSON), the "
             "main table in `table.csv`.", "", "```text", str(result), "```", ""] + body
    lines += [f"![{p.stem}](figures/{p.name})" for p in paths]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    return {"out": str(out), "figures": [str(p) for p in paths]}
