"""``scalinglab rhm ...``."""

from __future__ import annotations

import argparse

import numpy as np

from scalinglab import _validation as _v
from scalinglab._results import strict_json
from scalinglab.cli._common import (CLIError, _fmt, parse_count_grid, parse_grid,  # noqa: F401
                                    parse_int_list, path_arg)


def _spec_from_args(args):
    from scalinglab.theory.rhm import RHMSpec

    try:
        alpha = [float(a) for a in args.alpha.split(",")]
    except ValueError:
        raise CLIError(f"--alpha {args.alpha!r}: give one number or one per level, comma-separated") from None
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
    for x in (lo, hi):  # ranks are whole numbers (beyond 2**53 every float is one)
        if x == x and abs(x) != float("inf") and x != round(x):
            raise argparse.ArgumentTypeError(f"window {text!r}: ranks are whole numbers, got {x:g}")
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
    g.add_argument("--zipf-levels", type=parse_int_list, default=None,
                   help="levels (1-based, comma list) that get the Zipf law; the others are uniform "
                        "(default: all)")
    return p


def _cmd_rhm_spectrum(args):
    from scalinglab.theory.rhm import alpha_prime, path_spectrum

    head = _v.integer("--head", args.head, lo=0)
    spec = _spec_from_args(args)
    sp = path_spectrum(spec, mode=args.mode)
    fit = alpha_prime(sp, window=args.window, n_points=args.n_points)
    n = min(head, sp.n_groups)
    payload = {"spec": spec.describe(), **sp.to_dict(max_groups=n), "alpha_prime": fit}
    return payload, sp.to_text(head=n) + "\n\n" + str(fit)


def _cmd_rhm_alpha_prime(args):
    from scalinglab.theory.rhm import alpha_prime, alpha_prime_at, path_spectrum

    spec = _spec_from_args(args)
    sp = path_spectrum(spec)
    fit = alpha_prime(sp, window=args.window, n_points=args.n_points)
    payload = {"spec": spec.describe(), **fit.to_dict()}
    text = [spec.describe(), str(fit)]
    if args.at_P is not None:
        loc = alpha_prime_at(sp, args.at_P)
        payload["at_P"] = strict_json({"P": loc.P, "rank": loc.ranks, "alpha_prime": loc.alpha_prime},
                                      type(loc)._reasons)
        text.append(str(loc))
    return payload, "\n".join(text)


def _cmd_rhm_alpha_c(args):
    from scalinglab.theory.rhm import alpha_c

    res = [alpha_c(args.m, L, window=args.window, n_points=args.n_points) for L in args.L]
    return {"results": res}, "\n".join(map(str, res))


def _cmd_rhm_table(args):
    from scalinglab.theory.rhm import alpha_c_table

    tab = alpha_c_table(args.m, Ls=args.L, n_points=args.n_points)
    return {"m": args.m, "rows": tab.rows}, str(tab)


def _cmd_rhm_eps(args):
    from dataclasses import replace

    from scalinglab.theory.rhm import eps_position_free, learning_curve

    spec = _spec_from_args(args)
    lc = learning_curve(spec, args.P, window=args.window)
    if args.position_free:
        lc = replace(lc, eps_position_free=eps_position_free(spec, lc.P))
    return {"spec": spec.describe(), **lc.to_dict()}, str(lc)


def _cmd_rhm_seen(args):
    from scalinglab.theory.rhm import seen_paths_distribution

    spec = _spec_from_args(args)
    d = seen_paths_distribution(spec, args.P, n_test=args.n_test, seed=args.seed)
    return {"spec": spec.describe(), **d.to_dict()}, str(d)


def _cmd_rhm_sample(args):
    import time

    from scalinglab.kernels.rhm import level_offsets
    from scalinglab.validate.rhm import RHMData

    n = _v.integer("--n", args.n, lo=1)
    start = _v.integer("--start", args.start, lo=0, hi=2**63 - 1)
    rules_seed = _v.seed("--rules-seed", args.rules_seed)
    seed = _v.seed("--seed", args.seed)
    head = _v.integer("--head", args.head, lo=0)
    out = None if args.out is None else _v.output_file("--out", args.out, suffix=".npz")
    spec = _spec_from_args(args)
    data = RHMData(spec, rules_seed=rules_seed, sample_seed=seed)
    t0 = time.perf_counter()
    b = data.draw(n, start=start)
    wall = time.perf_counter() - t0
    off = level_offsets(spec.s, spec.L)
    dev = [float(np.abs(np.bincount(b.ranks[:, off[l]:off[l + 1]].ravel(), minlength=spec.m)
                        / ((off[l + 1] - off[l]) * args.n) - spec.level_probs(l + 1)).max()) for l in range(spec.L)]
    payload = {"spec": spec.describe(), "n": n, "rules_seed": rules_seed, "seed": seed,
               "start": start, "wall_s": wall, "class_counts": np.bincount(b.y, minlength=spec.n_c),
               "max_rank_freq_deviation_per_level": dev}
    lines = [spec.describe(), f"{n} data (rules seed {args.rules_seed}, data seed {args.seed}, from index "
             f"{args.start}) in {wall:.3g} s (first call includes Numba compilation)",
             "class counts: " + " ".join(map(str, payload["class_counts"])),
             "max |empirical - f| of rule-rank frequencies per level: " + " ".join(f"{d:.2e}" for d in dev)]
    if out is not None:
        try:
            np.savez_compressed(out, x=b.x, y=b.y, ranks=b.ranks, path_keys=b.keys,
                                **{f"rules_level{l + 1}": r for l, r in enumerate(data.rules)})
        except OSError as exc:  # disk full, permission, a folder removed meanwhile: the user's to fix
            raise CLIError(f"--out: cannot write {out}: {exc.strerror or exc}") from None
        payload["out"] = str(out)
        lines.append(f"wrote {out} (x: symbols (n, s**L); y: labels; ranks: derivations (n, n_nodes), "
                     "level by level; path_keys: (n, K); rules_levelL: (n_parent, m, s))")
    for i in range(min(head, n)):
        lines.append(f"  y={b.y[i]}  x={' '.join(map(str, b.x[i]))}  path keys={' '.join(map(str, b.keys[i]))}")
    return payload, "\n".join(lines)


def _cmd_rhm_symbolic(args):
    from scalinglab.theory.rhm import hutter_learning_curve, product_zipf_effective_exponent
    from scalinglab.theory.rhm._symbolic import MAX_L

    _v.integer("--L", args.L, lo=1, hi=MAX_L)  # before the sympy work
    h = hutter_learning_curve()
    pz = product_zipf_effective_exponent(args.L)
    return {"hutter": h, **pz.to_dict()}, str(h) + "\n" + str(pz)


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
    q.add_argument("--L", type=parse_int_list, default=[3, 4],
                   help="depth(s), comma list (default: 3,4)")
    q.add_argument("--window", type=_window_arg, default=None, help=win_help)
    q.add_argument("--n-points", type=int, default=200, help="log-uniform ranks (default: %(default)s)")
    q.set_defaults(handler=_cmd_rhm_alpha_c)

    q = rsub.add_parser("table", parents=[common], help="alpha_c table over L and rank windows",
                        description="alpha_c(m, L) for the full window [1, m**L] and the head windows [1, m**k].")
    q.add_argument("--m", type=int, default=10, help="(default: %(default)s)")
    q.add_argument("--L", type=parse_int_list, default=[2, 3, 4, 5, 6],
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
    q.add_argument("--P", type=parse_count_grid, default=parse_grid("10,100,1000,10000"),
                   help="training-set sizes, whole numbers (a lo:hi:n grid is rounded; default: 10,...,1e4)")
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
    q.add_argument("--out", type=path_arg, default=None, help="write the arrays to this .npz file")
    q.add_argument("--head", type=int, default=3, help="data to print (default: %(default)s)")
    q.set_defaults(handler=_cmd_rhm_sample)


