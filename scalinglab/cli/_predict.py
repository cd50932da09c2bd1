"""``scalinglab predict tokens|features|clusters FILE``: the theories applied to a researcher's own data.

Each command reads the file (sizes checked before loading), runs the
:mod:`scalinglab.theory.data` entry point, prints its text (or ``--json``)
and writes a report folder (``--out``; default ``predict-<kind>-<file stem>``).
``FILE`` may also name a shipped example, written into the report folder
first: ``example:digits`` (scikit-learn's digits, target column ``digit``),
``example:wordfreq-LANG`` (a 10^6-token sample of wordfreq's list for LANG,
as a counts table), ``example:percolation-2d`` (cluster sizes of a 2-d
lattice at p_c).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scalinglab.cli._common import CLIError, path_arg


def _resolve(args, kind):
    name = args.file
    if name.startswith("example:"):
        from scalinglab.validate.data import example_file

        out = Path(args.out or f"predict-{kind}-{name.split(':', 1)[1]}")
        path = example_file(name.split(":", 1)[1], out)
        return path, out
    return Path(name), Path(args.out or f"predict-{kind}-{Path(name).stem}")


def _finish(res, path, out, settings, no_report):
    payload = res.to_dict()
    text = str(res)
    if not no_report:
        from scalinglab.validate.data import write_report

        w = write_report(res, out, source=path, settings=settings)
        payload = {"result": payload, "report": w}
        text += f"\nreport written to {w['out']}/report.md ({len(w['figures'])} figures)"
    return payload, text


def _peer(args):
    return {"auto": "auto", "yes": True, "no": False}[args.peer]


def _window(text):
    if text is None:
        return None
    try:
        lo, hi = (int(t) for t in text.split(":"))
    except ValueError:
        raise CLIError(f"--window {text!r}: use LO:HI (ranks)") from None
    return lo, hi


def _cmd_tokens(args):
    from scalinglab.theory.data import predict_tokens

    path, out = _resolve(args, "tokens")
    settings = {k: getattr(args, k) for k in ("format", "window", "min_count", "x_min", "x_max", "n_boot", "seed")}
    settings["peer"] = args.peer
    res = predict_tokens(path, format=args.format, window=_window(args.window), min_count=args.min_count,
                         x_min=args.x_min, x_max=args.x_max, n_boot=args.n_boot, peer=_peer(args),
                         seed=args.seed)
    return _finish(res, path, out, settings, args.no_report)


def _cmd_features(args):
    from scalinglab.theory.data import predict_features

    path, out = _resolve(args, "features")
    target = args.target if args.target is not None or not args.file.startswith("example:") else "digit"
    settings = {k: getattr(args, k) for k in ("kernels", "bandwidth", "ridge", "seeds", "max_points", "seed")}
    settings.update(target=target, peer=args.peer)
    res = predict_features(path, target=target, kernels=tuple(args.kernels), bandwidth=args.bandwidth,
                           ridge=args.ridge, seeds=args.seeds, max_kernel_points=args.max_points,
                           peer=args.peer != "no", seed=args.seed)
    return _finish(res, path, out, settings, args.no_report)


def _cmd_clusters(args):
    from scalinglab.theory.data import predict_clusters

    path, out = _resolve(args, "clusters")
    settings = {k: getattr(args, k) for k in ("sampling", "x_min", "x_max", "c", "D", "n_boot", "seed")}
    settings["peer"] = args.peer
    res = predict_clusters(path, sampling=args.sampling, x_min=args.x_min, x_max=args.x_max, c=args.c, D=args.D,
                           n_boot=args.n_boot, peer=_peer(args), seed=args.seed)
    return _finish(res, path, out, settings, args.no_report)


def _common(q):
    q.add_argument("--out", type=path_arg, default=None, help="report folder (default: predict-KIND-FILESTEM)")
    q.add_argument("--no-report", action="store_true", help="print only; write no report folder")
    q.add_argument("--peer", choices=["auto", "yes", "no"], default="auto",
                   help="the peer library (powerlaw / scikit-dimension) beside our numbers; auto: powerlaw on "
                        "windows of at most 20000 samples (default: %(default)s)")
    q.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and the draws (default: 0)")


def _predict_commands(sub, common):
    p = sub.add_parser("predict", parents=[common], help="the theories applied to your data: tokens, features, "
                                                         "cluster sizes",
                       description="Predictions of the three theories from a researcher's own data, each with the "
                                   "intervals and checks behind it, and a report folder (report.md, summary.json, "
                                   "manifest.json, table.csv, figures/). FILE may be example:digits, "
                                   "example:wordfreq-en (or another language) or example:percolation-2d.",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    ps = p.add_subparsers(dest="predict_command", metavar="KIND")
    ps.required = True
    q = ps.add_parser("tokens", parents=[common], help="Zipf fits and the memoriser's learning curve of a token file",
                      description="A text of tokens, a two-column counts table or an integer .npy array of token ids: "
                                  "rank-frequency exponent (discrete MLE, whole-sample bootstrap), frequency "
                                  "distribution against lognormal/exponential/truncated power law (powerlaw's "
                                  "numbers beside), eps(P) = sum f (1-f)^P from the sample (unbiased up to P = N-1, "
                                  "Good-Turing at the edge) and alpha/(1+alpha) from the fit.")
    q.add_argument("file", help="token file, or example:wordfreq-LANG")
    q.add_argument("--format", choices=["auto", "tokens", "counts", "ids"], default="auto",
                   help="file format (default: %(default)s: .npy/.npz are ids, two columns with integers a counts "
                        "table, else text)")
    q.add_argument("--window", default=None, help="rank window LO:HI of the Zipf fit (default: ranks with count "
                                                  ">= --min-count)")
    q.add_argument("--min-count", type=int, default=10, help="default window: ranks with at least this count "
                                                              "(default: %(default)s)")
    q.add_argument("--x-min", type=int, default=None, help="frequency-distribution window start (default: KS minimum)")
    q.add_argument("--x-max", type=int, default=None, help="frequency-distribution window end (default: none)")
    q.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples (default: %(default)s)")
    _common(q)
    q.set_defaults(handler=_cmd_tokens)
    q = ps.add_parser("features", parents=[common], help="intrinsic dimension, Gram spectra and kernel learning curve",
                      description="A feature matrix (.npy, .npz, .csv/.tsv, .parquet): intrinsic dimension (TwoNN, "
                                  "Levina-Bickel, scikit-dimension beside) and 4/d_ID, Gram spectra with decay "
                                  "exponents, and with --target the eigenlearning prediction of the kernel-regression "
                                  "learning curve beside the measured one (several seeds, ratio per P).")
    q.add_argument("file", help="feature file, or example:digits")
    q.add_argument("--target", default=None, help="target column (name, or index for unnamed columns; "
                                                  "example:digits: digit)")
    q.add_argument("--kernels", nargs="+", default=["laplace", "rbf", "arccos1"],
                   choices=["laplace", "rbf", "arccos1"], help="Gram spectra; the first gives the learning curve")
    q.add_argument("--bandwidth", type=float, default=None, help="kernel bandwidth (default: median distance)")
    q.add_argument("--ridge", type=float, default=1e-6, help="ridge of K + ridge I (default: %(default)s)")
    q.add_argument("--seeds", type=int, default=8, help="training-set draws per P (default: %(default)s)")
    q.add_argument("--max-points", type=int, default=3000,
                   help="points of the kernel part (a random subset above; default: %(default)s)")
    _common(q)
    q.set_defaults(handler=_cmd_features)
    q = ps.add_parser("clusters", parents=[common], help="tau of cluster sizes and Brill's exponents",
                      description="Cluster sizes (one integer per cluster; text or .npy): Fisher exponent tau by "
                                  "discrete MLE above x_min (KS minimum), compared with lognormal/exponential/"
                                  "truncated power law, then Brill's quanta exponent alpha = (3-tau)/(tau-2) and "
                                  "his model- and data-scaling exponents.")
    q.add_argument("file", help="file of cluster sizes, or example:percolation-2d")
    q.add_argument("--sampling", choices=["cluster", "site"], default="cluster",
                   help="one entry per cluster, or clusters of random sites (size-biased; default: %(default)s)")
    q.add_argument("--x-min", type=int, default=None, help="fit window start (default: KS minimum)")
    q.add_argument("--x-max", type=int, default=None, help="fit window end (default: none)")
    q.add_argument("--c", type=float, default=2.0, help="loss-resolution exponent c (default: %(default)s)")
    q.add_argument("--D", type=float, default=4.0, help="cluster dimension D (default: %(default)s, mean field)")
    q.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples (default: %(default)s)")
    _common(q)
    q.set_defaults(handler=_cmd_clusters)
