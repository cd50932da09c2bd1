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

from scalinglab.validate.results import json_default

__all__ = ["main", "build_parser"]


class CLIError(Exception):
    """A user error: printed as ``scalinglab: error: ...`` with exit status 2."""


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


def _fmt(v):
    """Compact text of a summary value: floats to 4 significant digits, recursively."""
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


# --------------------------------------------------------------------------- demo / reproduce
def _cmd_demo(args):
    from scalinglab.validate.demo import run_demo

    res = run_demo(out=args.out, quick=args.quick, sections=args.section,
                   echo=(lambda *_: None) if getattr(args, "json", False) else print)
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
    lines = [f"{args.name}: results in {out}"] + [f"  {k}: {_fmt(v)}" for k, v in summary.items()]
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



# --------------------------------------------------------------------------- rhm
def _spec_from_args(args):
    from scalinglab.theory.rhm import RHMSpec

    alpha = [float(a) for a in args.alpha.split(",")]
    if len(alpha) == 1:
        return RHMSpec.make(n_c=args.n_c, v=args.v, m=args.m, s=args.s, L=args.L, alpha=alpha[0],
                            zipf_levels=args.zipf_levels)
    if args.zipf_levels:
        raise CLIError("give either one alpha with --zipf-levels or one alpha per level")
    return RHMSpec(n_c=args.n_c, v=args.v, m=args.m, s=args.s, L=args.L, alpha=tuple(alpha))


def _window_arg(text):
    if text in (None, "full") or text.startswith("head:"):
        return text
    try:
        lo, hi = (float(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"window {text!r}: use 'full', 'head:k' (ranks [1, m**k]) or 'lo:hi'") from None
    return (lo, hi)


def _rhm_model_parent():
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("model (seed defaults: m = v = n_c = 10, s = 2, L = 3)")
    g.add_argument("--n-c", type=int, default=10, help="number of classes (default: %(default)s)")
    g.add_argument("--v", type=int, default=10, help="vocabulary size per level (default: %(default)s)")
    g.add_argument("--m", type=int, default=10, help="rules (synonyms) per symbol (default: %(default)s)")
    g.add_argument("--s", type=int, default=2, help="tuple size (default: %(default)s)")
    g.add_argument("--L", type=int, default=3, help="depth (default: %(default)s)")
    g.add_argument("--alpha", default="1.0",
                   help="Zipf exponent, f_i ∝ i^-(1+alpha); -1 = uniform; one value, or one per level "
                        "comma-separated, level 1 = top (default: %(default)s)")
    g.add_argument("--zipf-levels", type=lambda t: [int(x) for x in t.split(",")], default=None,
                   help="levels (1-based, comma list) that get the Zipf law; the others are uniform "
                        "(default: all)")
    return p


def _cmd_rhm_spectrum(args):
    from scalinglab.theory.rhm import alpha_prime, path_spectrum

    spec = _spec_from_args(args)
    sp = path_spectrum(spec, mode=args.mode)
    fit = alpha_prime(sp, window=args.window, n_points=args.n_points)
    n = min(args.head, sp.n_groups)
    payload = {"spec": spec.describe(), **sp.to_dict(max_groups=n), "alpha_prime": fit.to_dict()}
    lines = [spec.describe(), f"{sp.n_groups} distinct path frequencies ({sp.mode} mode"
             + (f", |Δ ln f| <= {sp.log_tol:g}" if sp.mode == "binned" else "") + f"), {sp.n_per_class:.6g} paths per class",
             f"alpha' = {fit.alpha_prime:.4f} over ranks [{fit.window[0]:g}, {fit.window[1]:g}] "
             f"({fit.method}, {fit.n_points} points)", "", f"{'rank range':>22s}  {'f (per class)':>13s}  count"]
    lo = 1
    for f, c, hi in zip(sp.f[:n], sp.counts[:n], sp.rank_hi[:n]):
        lines.append(f"{f'{lo:.6g}-{hi:.6g}':>22s}  {f:13.6g}  {c:.6g}")
        lo = hi + 1
    if n < sp.n_groups:
        lines.append(f"... ({sp.n_groups - n} more groups; --head N)")
    return payload, "\n".join(lines)


def _cmd_rhm_alpha_prime(args):
    from scalinglab.theory.rhm import alpha_prime, alpha_prime_at, path_spectrum

    spec = _spec_from_args(args)
    sp = path_spectrum(spec)
    fit = alpha_prime(sp, window=args.window, n_points=args.n_points)
    payload = {"spec": spec.describe(), **fit.to_dict()}
    lines = [spec.describe(), f"alpha' = {fit.alpha_prime:.4f}  (slope {fit.slope:.4f}; ranks [{fit.window[0]:g}, "
             f"{fit.window[1]:g}], {fit.n_points} log-uniform points, {fit.method})",
             f"predicted learning-curve exponent alpha'/(1+alpha') = {fit.predicted_exponent:.4f}"]
    if args.at_P is not None:
        r, a = alpha_prime_at(sp, args.at_P)
        payload["at_P"] = {"P": args.at_P.tolist(), "rank": r.tolist(), "alpha_prime": a.tolist()}
        lines.append("local alpha' at the rank probed by P (paths with f/n_c >= 1/P):")
        lines += [f"  P={p:10.4g}  rank={rk:10.4g}  alpha'={x:.4f}" for p, rk, x in zip(args.at_P, r, a)]
    return payload, "\n".join(lines)


def _cmd_rhm_alpha_c(args):
    from scalinglab.theory.rhm import alpha_c

    res = [alpha_c(args.m, L, window=args.window, n_points=args.n_points) for L in args.L]
    lines = [f"alpha_c (all levels share alpha; alpha' by OLS over {args.n_points} log-uniform ranks):"]
    lines += [f"  m={r.m} L={r.L} window=[{r.window[0]:g}, {r.window[1]:g}]: alpha_c = {r.alpha_c:.4f}" for r in res]
    return {"results": [r.to_dict() for r in res]}, "\n".join(lines)


def _cmd_rhm_table(args):
    from scalinglab.theory.rhm import alpha_c_table

    rows = alpha_c_table(args.m, Ls=args.L, n_points=args.n_points)
    lines = [f"alpha_c(m={args.m}, L, window [1, r_hi]); alpha' by OLS over {args.n_points} log-uniform ranks",
             f"{'L':>3s}  {'window':>8s}  {'r_hi':>10s}  alpha_c"]
    lines += [f"{r['L']:>3d}  {r['window']:>8s}  {r['r_hi']:>10.4g}  {r['alpha_c']:.4f}" for r in rows]
    return {"m": args.m, "rows": rows}, "\n".join(lines)


def _cmd_rhm_eps(args):
    from scalinglab.theory.rhm import eps_position_free, learning_curve

    spec = _spec_from_args(args)
    lc = learning_curve(spec, args.P, window=args.window)
    free = eps_position_free(spec, lc.P) if args.position_free else np.full(lc.P.size, np.nan)
    lines = [spec.describe(),
             f"alpha' = {lc.alpha_prime.alpha_prime:.4f}; predicted exponent alpha'/(1+alpha') = "
             f"{lc.predicted_exponent:.4f}",
             f"{'P':>10s}  {'eps(P)':>11s}  {'path(P)':>9s}  {'local exp.':>10s}"
             + ("  eps, seen at any position" if args.position_free else "")]
    lines += [f"{p:10.4g}  {e:11.5g}  {pm:9.5f}  {le:10.4f}" + (f"  {fr:11.5g}" if args.position_free else "")
              for p, e, pm, le, fr in zip(lc.P, lc.eps, lc.path_mass, lc.local_exponent, free)]
    payload = {"spec": spec.describe(), **lc.to_dict()}
    if args.position_free:
        payload["eps_position_free"] = free.tolist()
    return payload, "\n".join(lines)


def _cmd_rhm_seen(args):
    from scalinglab.theory.rhm import seen_paths_distribution

    spec = _spec_from_args(args)
    d = seen_paths_distribution(spec, args.P, n_test=args.n_test, seed=args.seed)
    K = spec.K
    lines = [spec.describe(), f"Pr(k of the K={K} paths of a test datum seen): exact over training sets, Monte Carlo "
             f"over {d.n_test} test derivations (seed {d.seed}); 'bin' = independent-path binomial",
             f"{'P':>10s}  " + "  ".join(f"{'k=' + str(k):>13s}" for k in range(K + 1))]
    for p, row, b in zip(d.P, d.pk, d.binomial):
        lines.append(f"{p:10.4g}  " + "  ".join(f"{x:6.4f}/{y:6.4f}" for x, y in zip(row, b)))
    return {"spec": spec.describe(), **d.to_dict()}, "\n".join(lines)


def _cmd_rhm_sample(args):
    import time

    from scalinglab.kernels.rhm_sample import level_offsets
    from scalinglab.validate.rhm_data import RHMData

    spec = _spec_from_args(args)
    if args.n < 1:
        raise CLIError("--n must be >= 1")
    data = RHMData(spec, rules_seed=args.rules_seed, sample_seed=args.seed)
    t0 = time.perf_counter()
    b = data.draw(args.n, start=args.start)
    wall = time.perf_counter() - t0
    off = level_offsets(spec.s, spec.L)
    dev = [float(np.abs(np.bincount(b.ranks[:, off[l]:off[l + 1]].ravel(), minlength=spec.m)
                        / ((off[l + 1] - off[l]) * args.n) - spec.level_probs(l + 1)).max()) for l in range(spec.L)]
    payload = {"spec": spec.describe(), "n": args.n, "rules_seed": args.rules_seed, "seed": args.seed,
               "start": args.start, "wall_s": wall, "class_counts": np.bincount(b.y, minlength=spec.n_c),
               "max_rank_freq_deviation_per_level": dev}
    lines = [spec.describe(), f"{args.n} data (rules seed {args.rules_seed}, data seed {args.seed}, from index "
             f"{args.start}) in {wall:.3g} s (first call includes Numba compilation)",
             "class counts: " + " ".join(map(str, payload["class_counts"])),
             "max |empirical - f| of rule-rank frequencies per level: " + " ".join(f"{d:.2e}" for d in dev)]
    if args.out:
        np.savez_compressed(args.out, x=b.x, y=b.y, ranks=b.ranks, path_keys=b.keys,
                            **{f"rules_level{l + 1}": r for l, r in enumerate(data.rules)})
        payload["out"] = args.out
        lines.append(f"wrote {args.out} (x: symbols (n, s**L); y: labels; ranks: derivations (n, n_nodes), "
                     "level by level; path_keys: (n, K); rules_levelL: (n_parent, m, s))")
    for i in range(min(args.head, args.n)):
        lines.append(f"  y={b.y[i]}  x={' '.join(map(str, b.x[i]))}  path keys={' '.join(map(str, b.keys[i]))}")
    return payload, "\n".join(lines)


def _cmd_rhm_symbolic(args):
    import sympy as sp

    from scalinglab.theory.symbolic import hutter_learning_curve, product_zipf_effective_exponent

    h = hutter_learning_curve()
    pz = product_zipf_effective_exponent(args.L)
    x = np.geomspace(10, 1e6, 6)
    payload = {"hutter": {"exact": str(h.exact), "exponent": str(h.exponent), "prefactor": str(h.prefactor)},
               "piltz_main_term": str(pz.piltz.main_term),
               "alpha_eff_leading": str(pz.alpha_eff_leading), "alpha_c_leading": str(pz.alpha_c_leading),
               "alpha_c_refined": str(pz.alpha_c_refined),
               "alpha_c_table": {"x": x.tolist(), "leading": [float(pz.alpha_c(v, refined=False)) for v in x],
                                 "refined": [float(pz.alpha_c(v)) for v in x]}}
    lines = ["Hutter (one Zipf level, continuum of features):",
             f"  eps(P) = {sp.sstr(h.exact)}", f"  exponent = {sp.sstr(h.exponent)}",
             f"  prefactor = {sp.sstr(h.prefactor)}",
             f"Product-Zipf, L = {args.L} levels sharing alpha, m -> oo (x = product of ranks):",
             f"  D_L(x) main term = {sp.sstr(pz.piltz.main_term)}",
             f"  alpha'_eff(x) (leading) = {sp.sstr(pz.alpha_eff_leading)}",
             f"  alpha_c(x) (leading) = {sp.sstr(pz.alpha_c_leading)}",
             f"  {'x':>10s}  alpha_c leading  alpha_c refined"]
    lines += [f"  {v:10.3g}  {a:15.4f}  {b:15.4f}" for v, a, b in
              zip(x, payload["alpha_c_table"]["leading"], payload["alpha_c_table"]["refined"])]
    return payload, "\n".join(lines)


def _rhm_commands(sub, common):
    model = _rhm_model_parent()
    p = sub.add_parser("rhm", help="Zipf Random Hierarchy Model: path spectrum, alpha', alpha_c, eps(P)",
                       description="Analytic predictions of the Zipf Random Hierarchy Model: the spectrum of "
                                   "generative-path frequencies, its Zipf exponent alpha', the critical alpha_c, "
                                   "and the seen-path learning curve eps(P) = sum_paths f (1-f)^P.")
    rsub = p.add_subparsers(dest="rhm_command", metavar="RHM_COMMAND")
    p.set_defaults(handler=lambda a: (_ for _ in ()).throw(CLIError("choose an rhm command (see scalinglab rhm -h)")))
    win_help = "rank window: full (default), head:k = [1, m**k], or lo:hi"

    q = rsub.add_parser("spectrum", parents=[common, model], help="grouped path spectrum",
                        description="Distinct per-class path frequencies with multiplicities, never enumerating "
                                    "m**L tuples; falls back to a binned mode when too large.")
    q.add_argument("--mode", choices=["auto", "exact", "binned"], default="auto", help="(default: %(default)s)")
    q.add_argument("--head", type=int, default=20, help="groups to print (default: %(default)s)")
    q.add_argument("--window", type=_window_arg, default=None, help=win_help)
    q.add_argument("--n-points", type=int, default=200, help="log-uniform ranks of the fit (default: %(default)s)")
    q.set_defaults(handler=_cmd_rhm_spectrum)

    q = rsub.add_parser("alpha-prime", parents=[common, model], help="Zipf exponent alpha' of the path spectrum",
                        description="alpha' = -slope - 1 of ln f against ln rank, ranks log-uniform in a window.")
    q.add_argument("--window", type=_window_arg, default=None, help=win_help)
    q.add_argument("--n-points", type=int, default=200, help="log-uniform ranks (default: %(default)s)")
    q.add_argument("--at-P", type=parse_grid, default=None, help="also the local alpha' at these P (grid)")
    q.set_defaults(handler=_cmd_rhm_alpha_prime)

    q = rsub.add_parser("alpha-c", parents=[common], help="critical alpha_c where alpha' = 0",
                        description="The alpha shared by every level at which the fitted alpha' vanishes.")
    q.add_argument("--m", type=int, default=10, help="rules per symbol (default: %(default)s)")
    q.add_argument("--L", type=lambda t: [int(x) for x in t.split(",")], default=[3, 4],
                   help="depth(s), comma list (default: 3,4)")
    q.add_argument("--window", type=_window_arg, default=None, help=win_help)
    q.add_argument("--n-points", type=int, default=200, help="log-uniform ranks (default: %(default)s)")
    q.set_defaults(handler=_cmd_rhm_alpha_c)

    q = rsub.add_parser("table", parents=[common], help="alpha_c table over L and rank windows",
                        description="alpha_c(m, L) for the full window [1, m**L] and the head windows [1, m**k].")
    q.add_argument("--m", type=int, default=10, help="(default: %(default)s)")
    q.add_argument("--L", type=lambda t: [int(x) for x in t.split(",")], default=[2, 3, 4, 5, 6],
                   help="depths, comma list (default: 2,3,4,5,6)")
    q.add_argument("--n-points", type=int, default=200, help="(default: %(default)s)")
    q.set_defaults(handler=_cmd_rhm_table)

    q = rsub.add_parser("eps", parents=[common, model], help="predicted learning curve eps(P)",
                        description="eps(P) = sum over paths f (1-f)^P (log space), path(P) and the exponent.")
    q.add_argument("--P", type=parse_grid, default=parse_grid("1:1e6:13"),
                   help="training-set sizes: lo:hi:n (log-spaced) or a comma list (default: 1:1e6:13)")
    q.add_argument("--window", type=_window_arg, default=None, help="rank window of the alpha' fit")
    q.add_argument("--position-free", action="store_true",
                   help="also the error when a path counts as seen at any position (m**L <= 1e7)")
    q.set_defaults(handler=_cmd_rhm_eps)

    q = rsub.add_parser("symbolic", parents=[common], help="sympy derivations: Hutter exponent, large-m alpha_c",
                        description="Print the sympy derivations: Hutter's learning curve and exponent "
                                    "alpha/(1+alpha), the Piltz main term and the large-m effective exponent "
                                    "alpha'_eff(x) and alpha_c(x) ~ (L-1)/ln x.")
    q.add_argument("--L", type=int, default=3, help="levels sharing one Zipf law (default: %(default)s)")
    q.set_defaults(handler=_cmd_rhm_symbolic)

    q = rsub.add_parser("seen", parents=[common, model], help="distribution of the number of seen paths",
                        description="Exact (over training sets) distribution of how many of the K paths of a "
                                    "test datum were seen, Monte Carlo over test derivations; vs the binomial.")
    q.add_argument("--P", type=parse_grid, default=parse_grid("10,100,1000,10000"), help="(default: 10,...,1e4)")
    q.add_argument("--n-test", type=int, default=2000, help="test derivations (default: %(default)s)")
    q.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    q.set_defaults(handler=_cmd_rhm_seen)

    q = rsub.add_parser("sample", parents=[common, model], help="draw RHM data (Numba sampler), optionally to .npz",
                        description="Draw data of the RHM with random unambiguous rules: inputs, labels, derivations "
                                    "(rule rank at every node) and the path key of every patch; reproducible from "
                                    "the two seeds.")
    q.add_argument("--n", type=int, default=1000, help="number of data (default: %(default)s)")
    q.add_argument("--rules-seed", type=int, default=0, help="seed of the rules (default: %(default)s)")
    q.add_argument("--seed", type=int, default=0, help="seed of the data stream (default: %(default)s)")
    q.add_argument("--start", type=int, default=0, help="index of the first datum in the stream (default: 0)")
    q.add_argument("--out", default=None, help="write the arrays to this .npz file")
    q.add_argument("--head", type=int, default=3, help="data to print (default: %(default)s)")
    q.set_defaults(handler=_cmd_rhm_sample)


# --------------------------------------------------------------------------- spectral (Bahri et al.)
def _load_points(args):
    """Points from --data FILE (.npy / .csv / .txt) or a sampled --manifold."""
    from scalinglab.theory.intrinsic_dim import sample_manifold

    if args.data:
        path = args.data
        try:
            X = np.load(path) if path.endswith(".npy") else np.loadtxt(path, delimiter="," if path.endswith(".csv")
                                                                      else None)
        except OSError as exc:
            raise CLIError(f"cannot read {path}: {exc}") from None
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        return X.reshape(X.shape[0], -1), f"data {path} ({X.shape[0]} points)"
    if args.source:
        from scalinglab.validate.spectral_data import project_points

        return project_points(args.source, args.n, args.seed, alpha=args.alpha, p=args.p)
    return (sample_manifold(args.manifold, args.n, args.d, ambient=args.ambient, seed=args.seed),
            f"{args.n} uniform points on a {args.manifold} of dimension {args.d}")


def _parse_window(text):
    if text is None:
        return None
    try:
        lo, hi = text.split(":")
        return float(lo), float(hi)
    except ValueError:
        raise CLIError(f"window {text!r}: use LO:HI (ranks)") from None


def _cmd_spectral_exponents(args):
    from scalinglab.theory.spectral import regime_exponents, resolution_limited

    ex = regime_exponents(args.alpha_K)
    payload = {"regimes": ex.to_dict()}
    lines = [f"spectrum lambda_i ~ i^-(1 + alpha_K), alpha_K = {args.alpha_K:g}  (loss exponents, L ~ x^-a)",
             f"  variance-limited:   alpha_D = {ex.variance_D:g}, alpha_P = {ex.variance_P:g}",
             f"  resolution-limited: alpha_D = {ex.resolution_D:g}, alpha_P = {ex.resolution_P:g}",
             f"  assumption: {ex.assumption}"]
    if args.d:
        rb = resolution_limited(args.d, args.smoothness)
        payload["manifold"] = rb.to_dict()
        lines += [f"manifold of dimension d = {args.d:g}:",
                  f"  nearest-neighbour distance ~ D^-{rb.nn_distance:.4g}; L1 bound exponent 1/d = {rb.lipschitz_l1:.4g}",
                  f"  MSE estimate (piecewise-linear model) 4/d = {rb.mse_piecewise_linear:.4g}; "
                  f"piecewise-constant 2/d = {rb.mse_piecewise_constant:.4g}"]
        if rb.kernel_smoothness is not None:
            lines.append(f"  kernel {args.smoothness:g} times differentiable: alpha_K >= t/d = {rb.kernel_smoothness:.4g}")
    return payload, "\n".join(lines)


def _cmd_spectral_rf(args):
    from scalinglab.theory.spectral import powerlaw_spectrum, rf_teacher_student_loss

    lam = powerlaw_spectrum(args.modes, args.alpha_K)
    D = np.asarray(args.D, dtype=float)
    P = np.asarray(args.P, dtype=float)
    DD, PP = np.meshgrid(D, P, indexing="ij")
    r = rf_teacher_student_loss(DD.ravel(), PP.ravel(), lam)
    rows = [{"D": float(d), "P": float(p), "loss": float(v)} for d, p, v in zip(r.D, r.P, r.loss)]
    lines = [f"linear RF teacher-student, S = {args.modes} Gaussian features, lambda_i = i^-(1+{args.alpha_K:g}), "
             "teacher w ~ N(0, I/S):", f"{'D':>10} {'P':>10} {'L(D,P)':>14}"]
    lines += [f"{x['D']:>10g} {x['P']:>10g} {x['loss']:>14.6g}" for x in rows]
    return {"alpha_K": args.alpha_K, "modes": args.modes, "rows": rows, "method": r.method}, "\n".join(lines)


def _cmd_spectral_eigenlearning(args):
    from scalinglab.theory.spectral import eigenlearning_curve, powerlaw_spectrum

    lam = powerlaw_spectrum(args.modes, args.alpha_K)
    beta = args.alpha_K if args.target_exponent is None else args.target_exponent
    v2 = powerlaw_spectrum(args.modes, beta) if beta > 0 else None
    if v2 is None:
        raise CLIError("--target-exponent must be > 0")
    lc = eigenlearning_curve(args.n, lam, v2, ridge=args.ridge, noise=args.noise)
    lines = [f"kernel ridge regression, lambda_i = i^-(1+{args.alpha_K:g}), target power per mode i^-(1+{beta:g}), "
             f"ridge {args.ridge:g}, noise {args.noise:g}, {args.modes} modes:",
             f"{'n':>10} {'kappa':>12} {'test MSE':>12} {'learned':>8}"]
    lines += [f"{n:>10g} {k:>12.4g} {e:>12.4g} {f:>8.3f}" for n, k, e, f in
              zip(lc.n, lc.kappa, lc.test_mse, lc.learned_fraction)]
    return lc.to_dict(), "\n".join(lines)


def _cmd_spectral_gram(args):
    from scalinglab.theory.kernel_spectra import fit_spectrum, gram_spectrum

    X, what = _load_points(args)
    spec = gram_spectrum(X, args.kernel, bandwidth=args.bandwidth, center=args.center, max_samples=args.max_samples)
    fit = fit_spectrum(spec.eigenvalues, window=_parse_window(args.window))
    lines = [f"Gram spectrum of K/N, kernel {spec.kernel}"
             + (f" (bandwidth {spec.bandwidth:.4g})" if spec.bandwidth else "") + f", {what}:",
             "  top eigenvalues: " + ", ".join(f"{v:.4g}" for v in spec.eigenvalues[:8]),
             f"  fit lambda_i ~ i^-(1+alpha_K) over ranks {fit.fit.window[0]:g}..{fit.fit.window[1]:g} "
             f"({fit.fit.method}, {fit.fit.n_points} points): decay {fit.decay:.4f} +- {fit.fit.stderr:.4f}, "
             f"alpha_K = {fit.alpha_K:.4f}"]
    return {"fit": fit.to_dict(), "eigenvalues_top": spec.eigenvalues[:50], "n_samples": spec.n_samples}, \
        "\n".join(lines)


def _cmd_spectral_id(args):
    from scalinglab.theory.intrinsic_dim import levina_bickel, twonn

    X, what = _load_points(args)
    tn = twonn(X, discard_fraction=args.discard)
    lb = levina_bickel(X, args.k1, args.k2)
    lines = [f"intrinsic dimension of {what} (ambient {X.shape[1]}):",
             f"  TwoNN (MLE, discard {args.discard:g}): {tn.dimension:.3f} +- {tn.stderr:.3f}",
             f"  Levina-Bickel (k = {args.k1}..{args.k2}): {lb.dimension:.3f} +- {lb.stderr:.3f}"]
    return {"twonn": tn.to_dict(), "levina_bickel": lb.to_dict()}, "\n".join(lines)


def _cmd_spectral_sweep(args):
    from scalinglab.validate.cluster import make_executor

    out = args.out or f"results/spectral-{args.name}"
    with make_executor(args.scheduler) as ex:
        if args.name == "rf-regimes":
            from scalinglab.validate.spectral_experiments import run_rf_regimes

            s = run_rf_regimes(out, quick=args.quick, seeds=args.seeds, executor=ex, alpha_K=args.alpha_K)
            summary = {k: {"exponent": v["exponent"], "ci": v["ci"], "expected": v["expected"],
                           "theory_exponent_in_window": v["theory_exponent_in_window"],
                           "max_rel_dev": v["max_rel_dev"]} for k, v in s.items()}
        elif args.name == "gram-id":
            from scalinglab.validate.spectral_experiments import run_gram_id

            summary = run_gram_id(out, quick=args.quick, seeds=args.seeds, executor=ex)
        elif args.name == "project-data":
            from scalinglab.validate.spectral_data import run_project_data

            s = run_project_data(out, quick=args.quick, seeds=args.seeds, executor=ex)
            summary = {k: {a: b for a, b in v.items() if a != "eigs"} for k, v in s.items()}
        elif args.name == "interpolation":
            from scalinglab.validate.spectral_experiments import run_interpolation

            s = run_interpolation(out, quick=args.quick, seeds=args.seeds, executor=ex)
            summary = {k: {"exponent": v["exponent"], "ci": v["ci"], "predicted": v["predicted"]} for k, v in s.items()}
        else:
            from scalinglab.validate.spectral_nets import run_teacher_student

            s = run_teacher_student(out, quick=args.quick, device=args.device, seeds=args.seeds, executor=ex)
            summary = {f"d={d}": {"alpha_D": v["alpha_D"], "ci": v["ci"], "four_over_d": v["four_over_d"]}
                       for d, v in s.items()}
    where = "in this process" if not args.scheduler else f"on {args.scheduler}"
    lines = [f"spectral sweep {args.name} ran {where}; results in {out}"]
    lines += [f"  {k}: {v}" for k, v in summary.items()]
    return {"name": args.name, "out": out, "scheduler": args.scheduler, "summary": summary}, "\n".join(lines)


def _spectral_commands(sub, common):
    sp = sub.add_parser("spectral", parents=[common], help="kernel / manifold scaling (Bahri et al. 2021)",
                        description="Learning curves from kernel spectra (eigenlearning), the linear random-feature "
                                    "teacher-student model in its four regimes, Gram spectra and intrinsic dimension "
                                    "of data, and the validation sweeps (locally or on a Dask / Slurm cluster).")
    ss = sp.add_subparsers(dest="spectral_command", metavar="SUBCOMMAND")
    ss.required = True

    p = ss.add_parser("exponents", parents=[common], help="loss exponents of the four regimes and the manifold bounds",
                      description="Loss exponents for a spectrum lambda_i ~ i^-(1+alpha_K) (target power proportional "
                                  "to the eigenvalue) and, with --d, the resolution-limited estimates 1/d and 4/d.")
    p.add_argument("--alpha-K", dest="alpha_K", type=float, default=0.5,
                   help="spectrum exponent minus one, > 0 (default: %(default)s)")
    p.add_argument("--d", type=float, help="intrinsic dimension of the data manifold")
    p.add_argument("--smoothness", type=float, help="number t of continuous derivatives of the kernel (gives t/d)")
    p.set_defaults(handler=_cmd_spectral_exponents)

    p = ss.add_parser("rf", parents=[common], help="linear random-feature loss L(D, P) (theory)",
                      description="Teacher-averaged loss of the linear random-feature model with S Gaussian features "
                                  "of covariance spectrum i^-(1+alpha_K): g(min) (max-1)/(max-min-1). 'inf' allowed.")
    p.add_argument("--alpha-K", dest="alpha_K", type=float, default=0.5, help="default: %(default)s")
    p.add_argument("--modes", type=int, default=2000, help="number S of teacher features (default: %(default)s)")
    p.add_argument("--D", type=parse_grid, default=parse_grid("10,100,1000"),
                   help="data-set sizes: 'lo:hi:n' log grid or 'a,b,inf' (default: 10,100,1000)")
    p.add_argument("--P", type=parse_grid, default=parse_grid("inf"),
                   help="student features, same syntax (default: inf = the full kernel)")
    p.set_defaults(handler=_cmd_spectral_rf)

    p = ss.add_parser("eigenlearning", parents=[common], help="kernel-regression learning curve from a power-law "
                                                                  "spectrum",
                      description="Self-consistent (eigenlearning / Canatar-Bordelon-Pehlevan) test MSE of kernel "
                                  "ridge regression; eigenvalues i^-(1+alpha_K), target power per mode "
                                  "i^-(1+target_exponent).")
    p.add_argument("--alpha-K", dest="alpha_K", type=float, default=0.5, help="default: %(default)s")
    p.add_argument("--target-exponent", type=float, help="target power per mode i^-(1+beta) (default: alpha_K)")
    p.add_argument("--modes", type=int, default=20000, help="number of modes (default: %(default)s)")
    p.add_argument("--n", type=parse_grid, default=parse_grid("10:10000:7"),
                   help="training-set sizes (default: 10:10000:7)")
    p.add_argument("--ridge", type=float, default=0.0, help="ridge delta of K + delta I (default: 0)")
    p.add_argument("--noise", type=float, default=0.0, help="label-noise variance (default: 0)")
    p.set_defaults(handler=_cmd_spectral_eigenlearning)

    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", help="points as .npy / .csv / whitespace text (rows = points); default: sample "
                                     "--manifold")
    data.add_argument("--source", choices=["rhm", "percolation"],
                      help="the project's data instead: RHM inputs (one-hot; --alpha) or a percolation cluster "
                           "(--p, embedded in R^8)")
    data.add_argument("--alpha", type=float, default=1.0, help="RHM Zipf exponent, -1 = uniform (default: 1)")
    data.add_argument("--p", type=float, default=0.6, help="percolation occupation probability > 1/2 (default: 0.6)")
    data.add_argument("--manifold", default="sphere", choices=["sphere", "torus", "cube", "subspace"],
                      help="manifold to sample when no --data / --source (default: %(default)s)")
    data.add_argument("--d", type=int, default=3, help="its intrinsic dimension (default: %(default)s)")
    data.add_argument("--n", type=int, default=2000, help="number of points (default: %(default)s)")
    data.add_argument("--ambient", type=int, help="embed by a random isometry in this ambient dimension")
    data.add_argument("--seed", type=int, default=0, help="sampling seed (default: %(default)s)")

    p = ss.add_parser("gram", parents=[common, data], help="Gram spectrum of data and its power-law fit",
                      description="Eigenvalues of K/N for a kernel on data, and a fit lambda_i ~ i^-(1+alpha_K) over "
                                  "a rank window.")
    p.add_argument("--kernel", default="laplace", choices=["laplace", "rbf", "linear", "arccos1"],
                   help="kernel (default: %(default)s)")
    p.add_argument("--bandwidth", type=float, help="laplace/rbf length scale (default: median distance)")
    p.add_argument("--center", action="store_true", help="double-centre K")
    p.add_argument("--window", help="fit window of ranks LO:HI (default: 3:N/10)")
    p.add_argument("--max-samples", type=int, default=3000, help="subsample above this (default: %(default)s)")
    p.set_defaults(handler=_cmd_spectral_gram)

    p = ss.add_parser("id", parents=[common, data], help="intrinsic dimension (TwoNN, Levina-Bickel)",
                      description="Intrinsic-dimension estimates from nearest-neighbour distances.")
    p.add_argument("--discard", type=float, default=0.1, help="TwoNN: fraction of largest ratios dropped (default: "
                                                              "%(default)s)")
    p.add_argument("--k1", type=int, default=10, help="Levina-Bickel smallest k (default: %(default)s)")
    p.add_argument("--k2", type=int, default=20, help="Levina-Bickel largest k (default: %(default)s)")
    p.set_defaults(handler=_cmd_spectral_id)

    p = ss.add_parser("sweep", parents=[common], help="run a validation sweep locally or on a cluster",
                      description="Run (or resume) a spectral validation sweep and draw its figure. Cells run in "
                                  "this process by default; --scheduler sends them to a Dask cluster (local, "
                                  "local:N, tcp://HOST:PORT) or to Slurm (slurm:PARTITION, needs submitit).")
    p.add_argument("name", choices=["rf-regimes", "gram-id", "teacher-student", "interpolation", "project-data"], help="which sweep")
    p.add_argument("--out", help="results folder (default: results/spectral-NAME)")
    p.add_argument("--quick", action="store_true", help="reduced sweep (minutes on a CPU)")
    p.add_argument("--seeds", type=int, help="draws / seeds per cell (default: the sweep's own)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="local, local:N, tcp://HOST:PORT or slurm:PARTITION "
                                                          "(default: run here)")
    p.add_argument("--alpha-K", dest="alpha_K", type=float, default=0.5, help="rf-regimes spectrum (default: 0.5)")
    p.add_argument("--device", default="auto", help="teacher-student torch device (default: auto)")
    p.set_defaults(handler=_cmd_spectral_sweep)


_AREAS = [_core_commands, _rhm_commands, _percolation_commands, _spectral_commands]


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print machine-readable JSON instead of text")
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
    try:
        print(json.dumps(payload, indent=2, default=json_default) if getattr(args, "json", False) else text)
        sys.stdout.flush()
    except BrokenPipeError:  # output piped into e.g. `head`: not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
