"""The ``scalinglab`` command.

Each theory area adds its sub-commands in a ``_<area>_commands(sub, common)``
function listed in :data:`_AREAS`. A handler takes the parsed arguments and
returns ``(payload, text)``: ``payload`` is a JSON-able dict printed with
``--json``, ``text`` the human-readable form.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

__all__ = ["main", "build_parser"]


class CLIError(Exception):
    """A user error: printed as ``scalinglab: error: ...`` with exit status 2."""


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if hasattr(o, "to_dict"):
        return o.to_dict()
    return str(o)


def parse_grid(text):
    """Parse ``"lo:hi:n"`` (log-spaced, inclusive) or ``"a,b,c"`` into floats."""
    try:
        if ":" in text:
            lo, hi, n = text.split(":")
            lo, hi, n = float(lo), float(hi), int(n)
            if lo <= 0 or hi <= lo or n < 2:
                raise ValueError
            return np.geomspace(lo, hi, n)
        return np.array([float(t) for t in text.split(",") if t.strip()])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"grid {text!r}: use 'lo:hi:n' (log-spaced, 0 < lo < hi, n >= 2) or a comma list") from None


# --------------------------------------------------------------------------- demo / reproduce
def _cmd_demo(args):
    from scalinglab.validate.demo import run_demo

    res = run_demo(out=args.out, quick=args.quick, sections=args.section,
                   echo=(lambda *_: None) if args.json else print)
    return res, f"\nreport written to {res['report']}"


def _cmd_reproduce(args):
    from scalinglab.validate import reproduce

    if args.list or not args.name:
        avail = reproduce.available()
        text = "\n".join(f"  {k:32s} {v}" for k, v in avail.items()) or "  (none registered)"
        return {"available": avail}, "available reproductions:\n" + text
    try:
        fn = reproduce.get(args.name)
    except KeyError as exc:
        raise CLIError(str(exc.args[0])) from None
    out = args.out or f"results/{args.name}"
    summary = fn(out, quick=args.quick, device=args.device, replot=args.replot, seeds=args.seeds)
    lines = [f"{args.name}: results in {out}"] + [f"  {k}: {v}" for k, v in summary.items()]
    return {"name": args.name, "out": out, **summary}, "\n".join(lines)


def _core_commands(sub, common):
    p = sub.add_parser("demo", parents=[common], help="headline predictions + small validation, as a report",
                       description="Run every area's headline predictions and a small CPU validation, print the "
                                   "numbers and write a report folder (report.md, headline.json, figures/).")
    p.add_argument("--out", default="scalinglab-report", help="report folder (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="smaller grids (seconds; used by the tests)")
    p.add_argument("--section", action="append", help="only sections whose name contains this (repeatable)")
    p.set_defaults(handler=_cmd_demo)

    p = sub.add_parser("reproduce", parents=[common], help="reproduce a published figure from experiments",
                       description="Run (or resume) the experiment sweep behind a figure, save tidy results with a "
                                   "manifest and draw the figure from the saved results. --list shows the names.")
    p.add_argument("name", nargs="?", help="reproduction name (see --list)")
    p.add_argument("--list", action="store_true", help="list the available reproductions")
    p.add_argument("--out", help="results folder (default: results/NAME)")
    p.add_argument("--quick", action="store_true", help="a reduced sweep (minutes on a CPU)")
    p.add_argument("--device", default="auto", help="torch device: auto, cpu, cuda, cuda:0 ... (default: auto)")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the reproduction's own)")
    p.add_argument("--replot", action="store_true", help="only redraw the figures from saved results")
    p.set_defaults(handler=_cmd_reproduce)


# --------------------------------------------------------------------------- percolation
def _cmd_perc_stats(args):
    from scalinglab.theory.percolation import bethe_stats, log_cluster_numbers

    st = bethe_stats(args.p, args.z, s_max=args.s_max)
    sizes = np.array(args.sizes, dtype=float)
    if np.any(sizes < 1):
        raise CLIError("--sizes must be >= 1")
    log_ns = log_cluster_numbers(sizes, args.p, args.z)
    payload = {**st.to_dict(), "sizes": sizes.tolist(), "log_n_s": log_ns.tolist(),
               "identity_residual": st.finite_site_fraction + st.p_inf - st.p}
    lines = [f"Bethe lattice z={st.z}, p={st.p:g} (p_c={st.p_c:.6g}, {st.regime})",
             f"  P_inf                     {st.p_inf:.10g}",
             f"  sum_s s n_s (to s={args.s_max:.0e} + tail) {st.finite_site_fraction:.12g}",
             f"  sum + P_inf - p           {payload['identity_residual']:.2e}",
             f"  mean finite cluster size  {st.mean_cluster_size:.8g}",
             f"  cutoff size s_xi          {st.cutoff_size:.8g}",
             f"  clusters per site         {st.clusters_per_site:.8g}",
             "  s            log n_s        n_s"]
    lines += [f"  {s:<12.4g} {ln:<14.8g} {np.exp(ln):.6e}" for s, ln in zip(sizes, log_ns)]
    return payload, "\n".join(lines)


def _cmd_perc_exponents(args):
    from scalinglab.theory.percolation import bethe_exponents

    if args.derive:
        from scalinglab.theory.percolation_symbolic import derive_exponents

        d = {k: str(v) for k, v in derive_exponents(args.z).items()}
        src = f"derived with sympy for z={args.z}"
    else:
        d = bethe_exponents().to_dict()
        src = "mean-field (Bethe lattice) values; --derive re-derives them with sympy"
    text = "\n".join([f"Bethe-lattice percolation exponents ({src}):"] + [f"  {k:13s} {v}" for k, v in d.items()])
    return d, text


def _cmd_perc_predict(args):
    from scalinglab.theory.percolation_scaling import brill_prediction, lattice_prediction

    if args.lattice_dim is not None:
        pr = lattice_prediction(args.lattice_dim, c=args.c, regime=args.regime)
    else:
        pr = brill_prediction(args.regime, c=args.c, D=args.D, tau=args.tau, alpha=args.alpha)
    lines = [f"Brill percolation model, {pr.regime} regime: alpha={pr.alpha:.4g}, c={pr.c:g}, D={pr.D:.4g}, "
             f"c/D={pr.c_over_D:.4g}",
             f"  model scaling  L ~ N^-{pr.model_exponent:.4g}   (limited by {pr.model_limited_by}; "
             f"(c/D)/alpha = {pr.model_ratio:.4g})",
             f"  data scaling   L ~ D^-{pr.data_exponent:.4g}   (limited by {pr.data_limited_by}; "
             f"(c/D)/(alpha/(1+alpha)) = {pr.data_ratio:.4g})"]
    return pr.to_dict(), "\n".join(lines)


def _percolation_commands(sub, common):
    p = sub.add_parser("percolation", parents=[common], help="Bethe-lattice percolation and Brill's scaling laws",
                       description="Exact Bethe-lattice percolation statistics and exponents, and the scaling "
                                   "exponents of Brill's percolation model of neural scaling laws.")
    ps = p.add_subparsers(dest="perc_command", metavar="SUBCOMMAND")
    ps.required = True
    q = ps.add_parser("stats", parents=[common], help="exact cluster statistics at (p, z)",
                      description="P_inf, sum_s s n_s (numerically summed to --s-max plus an asymptotic tail; "
                                  "equals p - P_inf), mean finite cluster size, cutoff size s_xi and n_s at "
                                  "chosen sizes (sites), for site percolation on the Bethe lattice.")
    q.add_argument("--p", type=float, required=True, help="site occupation probability, 0 < p < 1")
    q.add_argument("--z", type=int, default=3, help="coordination number >= 3 (default: %(default)s; p_c = 1/(z-1))")
    q.add_argument("--sizes", type=float, nargs="+", default=[1, 10, 100, 1e4, 1e9],
                   help="cluster sizes s (sites) at which to print n_s (default: 1 10 100 1e4 1e9)")
    q.add_argument("--s-max", type=float, default=1e9, help="sizes summed numerically (default: 1e9)")
    q.set_defaults(handler=_cmd_perc_stats)
    q = ps.add_parser("exponents", parents=[common], help="critical exponents tau, sigma, beta, gamma, nu, D",
                      description="Mean-field percolation exponents of the Bethe lattice; --derive obtains each "
                                  "from the exact closed forms with sympy (a few seconds).")
    q.add_argument("--derive", action="store_true", help="derive them with sympy")
    q.add_argument("--z", type=int, default=3, help="coordination number for --derive (default: %(default)s)")
    q.set_defaults(handler=_cmd_perc_exponents)
    q = ps.add_parser("predict", parents=[common], help="Brill's model- and data-scaling exponents",
                      description="Scaling exponents of Brill's percolation model: subcritical (Zipf quanta, "
                                  "alpha = (3-tau)/(tau-2)) L ~ N^-min(alpha, c/D), L ~ D^-min(alpha/(1+alpha), "
                                  "c/D); supercritical (dominant manifold) L ~ N^-(c/D), D^-(c/D).")
    q.add_argument("--regime", choices=["subcritical", "critical", "supercritical"], default="subcritical",
                   help="percolation regime (default: %(default)s)")
    q.add_argument("--c", type=float, default=2.0,
                   help="loss-resolution exponent of the model: loss ~ distance^c (2 = squared error, "
                        "default: %(default)s)")
    q.add_argument("--D", type=float, default=4.0, help="cluster fractal dimension (default: %(default)s)")
    q.add_argument("--tau", type=float, default=2.5, help="Fisher exponent, 2 < tau < 3 (default: %(default)s)")
    q.add_argument("--alpha", type=float, default=None, help="Zipf exponent of the quanta (default: from tau)")
    q.add_argument("--lattice-dim", type=int, default=None,
                   help="take tau and D of the d-dimensional hypercubic lattice (2..6; >= 6 = mean field)")
    q.set_defaults(handler=_cmd_perc_predict)


_AREAS = [_core_commands, _percolation_commands]


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")
    parser = argparse.ArgumentParser(
        prog="scalinglab", parents=[common],
        description="Numerical theory engine for neural scaling laws rooted in the data distribution: analytic "
                    "predictions (scaling exponents, learning curves) for the Zipf Random Hierarchy Model, "
                    "Bethe-lattice percolation and kernel/manifold models, and validation sweeps that train "
                    "torch networks against them.",
        epilog="Run 'scalinglab COMMAND --help' for the options of a command.")
    from scalinglab import __version__

    parser.add_argument("--version", action="version", version=f"scalinglab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _AREAS:
        add(sub, common)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        payload, text = args.handler(args)
    except (CLIError, ValueError) as exc:
        print(f"scalinglab: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(payload, indent=2, default=_json_default))
    else:
        print(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
