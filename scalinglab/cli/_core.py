"""``scalinglab demo``, ``scalinglab reproduce`` and ``scalinglab run``."""

from __future__ import annotations

import sys
from pathlib import Path

from scalinglab.cli._cluster import add_slurm_flags, slurm_from_args, slurm_plan_text
from scalinglab.cli._common import CLIError, _fmt, parse_grid, path_arg  # noqa: F401
from scalinglab.errors import InputError


def _cmd_demo(args):
    from scalinglab.validate.demo import run_demo

    res = run_demo(out=args.out, quick=args.quick, sections=args.section,
                   echo=(lambda *_: None) if getattr(args, "json", False) else print)
    return res, f"\nreport written to {res['report']}"


def _echo(args):
    return (lambda *_: None) if getattr(args, "json", False) else (lambda msg: print(msg, file=sys.stderr))


def _cost_text(p):
    return "stored" if p["stored"] else f"~{p['cost_s']:.2g} s"


def execute_with_flags(exp, config, out, args, spec_text=None, run_opts=None, cluster=None, spec_path=None):
    """Apply the common sweep flags to ``config`` and run :func:`protocol.execute`; ``(payload, text)``.
    ``cluster``: the spec's ``[cluster]`` table (Slurm resources); ``spec_path``: the user's spec file
    (``run``), whose settings a ``--replot`` draws (a run setting that differs from the stored rows' is refused);
    without it (``reproduce``) a ``--replot`` draws the stored settings and says so."""
    from scalinglab.validate import protocol

    run_opts = run_opts or {}
    notes = []
    if args.source and not args.replot:
        raise InputError("--from goes with --replot")
    if args.seeds is not None and args.seeds < 1:
        raise InputError(f"--seeds must be >= 1, got {args.seeds}")

    def with_seeds(cfg):
        if args.seeds is None or cfg is None:
            return cfg
        new = exp.with_seeds(cfg, args.seeds)
        if new is None:
            notes.append(f"{exp.name} has no seeds (a deterministic computation): --seeds ignored")
            return cfg
        return new

    config = with_seeds(config)
    if args.replot:  # the settings the stored rows were made with, said out loud
        src = args.source or out
        stored = with_seeds(exp.config_from_dict(protocol.stored_manifest(exp, src).data["config"]))
        diff = protocol.config_diff(stored, config) if config is not None else []
        if spec_path is None:  # reproduce NAME --replot: the folder's settings, not the shipped spec's
            config = stored
            notes.append(f"--replot draws the settings stored in {Path(src) / 'manifest.json'}"
                         + (f" (not the shipped spec's: {protocol._diff_text(diff)})" if diff else ""))
            if getattr(args, "quick", False):
                notes.append("--replot draws the stored settings (manifest.json): --quick ignored")
        else:  # run SPEC --replot: the spec's settings, when the stored rows are theirs
            run_diff = [d for d in diff if not (protocol._field_meta(config, d[0]).get("analysis")
                                                 or d[0] == "seeds")]
            if run_diff:
                k, o, n = run_diff[0]
                raise InputError(f"--replot: {spec_path} sets {k} = {n!r} but the rows in {src} were made with "
                                 f"{k} = {o!r}; run without --replot to compute the spec's setting, or redraw the "
                                 f"stored one with: scalinglab reproduce {exp.name} --replot --out {src}")
            notes.append(f"--replot draws the settings of {spec_path}"
                         + (f" (analysis settings differ from the stored ones: {protocol._diff_text(diff)})"
                            if diff else " (the same as those stored)"))
    device = args.device or run_opts.get("device", "auto")
    scheduler = args.scheduler if args.scheduler is not None else run_opts.get("scheduler")
    scheduler = slurm_from_args(scheduler, args, cluster)
    oc = protocol.execute(exp, config, out, device=device,
                          scheduler=scheduler, replot=args.replot, source=args.source, dry_run=args.dry_run,
                          spec_text=spec_text, echo=_echo(args))
    oc.notes = list(dict.fromkeys(notes + oc.notes))
    if args.dry_run:
        lines = [f"{exp.name}: {oc.n_cells} cells, {oc.n_stored} already stored in {out}; estimated cost of the "
                 f"rest ~{oc.cost_s:.0f} s on a CPU ({oc.cost_s / 3600:.2f} h)"]
        lines += [f"  {_cost_text(p):>9}  {p['cell']}" for p in oc.plan]
        if oc.slurm:
            lines += slurm_plan_text(exp.name, oc.slurm)
        lines += [f"note: {n}" for n in oc.notes]
        return oc.to_dict(), "\n".join(lines)
    failed = f", {oc.n_failed} FAILED (exit status 1)" if oc.n_failed else ""
    lines = [f"{exp.name}: {oc.n_stored} of {oc.n_cells} cells stored ({oc.n_ran} run now{failed}); results in {out}"]
    def nested(v):  # tables (lists of rows) and per-item records stay in summary.json
        vals = v.values() if isinstance(v, dict) else v if isinstance(v, list) else []
        return any(isinstance(x, dict) or (isinstance(x, list) and x and isinstance(x[0], list)) for x in vals)

    shown = [(k, "x" * 241 if nested(v) else _fmt(v)) for k, v in oc.summary.items()]
    lines += [f"  {k}: {t}" for k, t in shown if len(t) <= 240]
    if any(len(t) > 240 for _, t in shown):
        lines.append(f"  (tables and curves: {Path(out) / 'summary.json'})")
    lines += [f"note: {n}" for n in oc.notes]
    lines.append(f"report: {Path(out) / 'report.md'}")
    return oc.to_dict(), "\n".join(lines)


def _cmd_reproduce(args):
    from scalinglab.validate import protocol

    if args.list or not args.name:
        avail = protocol.available()
        text = "\n".join(f"  {k:28s} {v}" for k, v in avail.items()) or "  (none registered)"
        return {"available": avail}, ("experiments (scalinglab reproduce NAME [--quick]; every one takes --out "
                                      "--quick --seeds --device --scheduler --replot [--from DIR] --dry-run):\n"
                                      + text)
    exp = protocol.get(args.name)
    mapping, text = protocol.shipped_spec(args.name, quick=args.quick)
    config = exp.config_from_dict(mapping)
    out = args.out or f"results/{args.name}"
    return execute_with_flags(exp, config, out, args, spec_text=text, cluster=mapping.get("cluster"))


def _cmd_run(args):
    from scalinglab.validate import protocol, specs

    exp, config, run_opts, text = protocol.config_from_spec_file(args.spec)
    out = args.out or run_opts.get("out") or f"results/{Path(args.spec).stem}"
    cluster = specs.parse_toml(text, args.spec).get("cluster")
    return execute_with_flags(exp, config, out, args, spec_text=text, run_opts=run_opts, cluster=cluster,
                              spec_path=args.spec)


def add_sweep_flags(p, quick=True):
    """The flags every sweep command shares."""
    p.add_argument("--out", type=path_arg, help="results folder (default: results/NAME)")
    if quick:
        p.add_argument("--quick", action="store_true", help="the reduced grid of the shipped quick spec")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the spec's own)")
    p.add_argument("--device", default=None, help="torch device: auto, cpu, cuda, cuda:N (default: auto)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run cells on local, local:N (Dask processes), tcp://HOST:PORT (a Dask scheduler) or "
                        "slurm:PARTITION (Slurm job arrays, see the Slurm flags); default: in this process")
    p.add_argument("--replot", action="store_true", help="only analyse and redraw from the stored rows")
    p.add_argument("--from", dest="source", metavar="DIR", help="with --replot: read the rows of this folder")
    p.add_argument("--dry-run", action="store_true", help="list the cells and estimate their cost; run nothing")
    add_slurm_flags(p)


def _core_commands(sub, common):
    p = sub.add_parser("demo", parents=[common], help="headline predictions + small validation, as a report",
                       description="Run every area's headline predictions and a small CPU validation, print the "
                                   "numbers and write a report folder (report.md, headline.json, figures/).")
    p.add_argument("--out", type=path_arg, default="scalinglab-report", help="report folder (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="smaller grids (seconds; used by the tests)")
    p.add_argument("--section", action="append", metavar="NAME",
                   help="only this section (rhm-theory, rhm-validation, percolation, spectral; a prefix such as "
                        "rhm selects several; repeatable)")
    p.set_defaults(handler=_cmd_demo)

    p = sub.add_parser("reproduce", parents=[common], help="reproduce a published figure from experiments",
                       description="Run (or resume) the experiment sweep behind a figure from its shipped spec, "
                                   "store the rows with a manifest and draw the figures from the stored rows. "
                                   "--list shows the names.")
    p.add_argument("name", nargs="?", help="experiment name (see --list)")
    p.add_argument("--list", action="store_true", help="list the experiments")
    add_sweep_flags(p)
    p.set_defaults(handler=_cmd_reproduce)

    p = sub.add_parser("run", parents=[common], help="run your own experiment spec (TOML)",
                       description="Run (or resume) the experiment described by a TOML spec file: 'experiment = "
                                   "NAME' picks the kind (rhm-curve, percolation-toy, spectral-teacher-student, or any "
                                   "reproduction), the other keys its settings. Writes rows, manifest, summary, "
                                   "report and figures; see docs/guide/experiments.md.")
    p.add_argument("spec", help="the TOML spec file")
    add_sweep_flags(p, quick=False)
    p.set_defaults(handler=_cmd_run)
