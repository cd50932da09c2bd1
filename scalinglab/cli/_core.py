"""``scalinglab demo`` and ``scalinglab reproduce``."""

from __future__ import annotations



from scalinglab.cli._common import CLIError, _fmt, parse_grid  # noqa: F401


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
    p.add_argument("--section", action="append", metavar="NAME",
                   help="only this section (rhm-theory, rhm-validation, percolation, spectral; a prefix such as "
                        "rhm selects several; repeatable)")
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


