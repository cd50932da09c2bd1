"""``scalinglab percolation ...``."""

from __future__ import annotations


from scalinglab import _validation as _v
from scalinglab.cli._common import CLIError, _fmt, parse_grid, refuse_together  # noqa: F401


def _cmd_perc_stats(args):
    from scalinglab.theory.percolation import bethe_stats

    sizes = _v.real_array("--sizes", args.sizes, lo=1, max_size=10**5)
    st = bethe_stats(args.p, args.z, s_max=args.s_max, sizes=sizes)
    return st.to_dict(), str(st)


def _cmd_perc_exponents(args):
    from scalinglab.theory.percolation import bethe_exponents

    ex = bethe_exponents(derive=args.derive, z=args.z)
    return ex.to_dict(), str(ex) + ("" if args.derive else "\n  (--derive re-derives them with sympy)")


def _cmd_perc_predict(args):
    from scalinglab.theory.percolation import brill_prediction, lattice_prediction

    refuse_together(args, "lattice_dim", ["tau", "D", "alpha"],
                    "--lattice-dim takes tau, D (and alpha from tau) of that lattice")
    if args.lattice_dim is not None:
        pr = lattice_prediction(args.lattice_dim, c=args.c, regime=args.regime)
    else:
        pr = brill_prediction(args.regime, c=args.c, D=4.0 if args.D is None else args.D,
                              tau=2.5 if args.tau is None else args.tau, alpha=args.alpha)
    return pr.to_dict(), str(pr)


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
    q.add_argument("--D", type=float, default=None, help="cluster fractal dimension (default: 4.0)")
    q.add_argument("--tau", type=float, default=None, help="Fisher exponent, 2 < tau < 3 (default: 2.5)")
    q.add_argument("--alpha", type=float, default=None, help="Zipf exponent of the quanta (default: from tau)")
    q.add_argument("--lattice-dim", type=int, default=None,
                   help="take tau and D of the d-dimensional hypercubic lattice (2..6; >= 6 = mean field)")
    q.set_defaults(handler=_cmd_perc_predict)



