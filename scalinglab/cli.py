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


_AREAS = [_core_commands]


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
