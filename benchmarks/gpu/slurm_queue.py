"""The GPU queue of ``benchmarks/gpu/run_all.sh`` on a Slurm cluster, in one command.

::

    python benchmarks/gpu/slurm_queue.py --scheduler slurm:PARTITION --gpus 1 [--time 2:00:00 --mem 32G ...]
        [--results DIR] [--seeds N] [--only PATTERN] [--mode full|tiny] [--dry-run] [--no-wait]

The queue is read from the step files ``benchmarks/gpu/steps/NN-name.sh`` (the same as ``run_all.sh --only``):
every reproduction a step passes to ``benchmarks/gpu/repro.py`` (``NAME[:SEEDS]``), in step order, each once at
the most seeds the steps ask for (``rhm-fig6:4`` then ``rhm-fig6`` is one reproduction at ``--seeds``: the
4-seed passes exist to fit a 9-minute session, and their cells are a subset). A new step file that calls
repro.py (a new GPU slice) joins the queue with no change here; steps without repro.py (the training benchmark
``10-bench``) are listed as not queued.

Before anything is submitted it prints, per reproduction, the cells to run (stored ones and cells an earlier
reproduction of the queue already runs, through a shared row store such as ``rhm-runs``, left out), the array
tasks and the GPU-hours from the calibrated cost model (:data:`scalinglab.validate.cluster.GPU_CALIBRATION`),
and the total; ``--dry-run`` stops there. Then every reproduction is submitted as its own job array without
waiting (all arrays queue at once), and the results are collected in queue order: each waits for its tasks,
resubmits what failed, and draws its report and figures into ``DIR/NAME`` (as ``scalinglab reproduce`` does).
``--no-wait`` only submits; the same command run later collects (nothing is submitted twice: live tasks are
recorded in the row store and checked with ``squeue``).

The Slurm flags are those of ``scalinglab reproduce`` (``--time --gpus --cpus --mem --account --qos
--constraint --sbatch-arg --job-setup --python --max-jobs --parallel --min-job-time --retries``). ``--mode tiny``
runs the quick specs cut to a few tiny cells (``repro.py``'s tiny mode; the tests run it on the CPU).
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import re
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

STEPS = ROOT / "benchmarks" / "gpu" / "steps"
_JOB = re.compile(r"^([a-z0-9][a-z0-9-]*)(?::(\d+))?(?:@[0-9.]+)?$")
_VALUED = {"--results", "--mode", "--device", "--seeds", "--deadline"}


def step_jobs(path):
    """``[(name, seeds or None, takes --seeds)]`` of every repro.py call in a step file."""
    text = Path(path).read_text().replace("\\\n", " ")
    text = re.sub(r"\$\(\((?:[^()]|\([^()]*\))*\)\)", "X", text)  # $(( ... )) arithmetic: one token
    out = []
    for line in text.splitlines():
        if "repro.py" not in line or line.lstrip().startswith("#"):
            continue
        toks = shlex.split(line.split("repro.py", 1)[1], comments=True)
        with_seeds = "--seeds" in toks
        i = 0
        while i < len(toks):
            t = toks[i]
            if t in _VALUED:
                i += 2
                continue
            m = _JOB.match(t)
            if m and not t.startswith("-"):
                out.append((m.group(1), int(m.group(2)) if m.group(2) else None, with_seeds))
            i += 1
    return out


def queue(only="*", seeds=10):
    """``(jobs, skipped)``: ``[(name, seeds or None)]`` in step order, each once at its most seeds (capped at
    ``seeds`` where the step passes --seeds), and ``[(step, reason)]`` of steps without reproductions."""
    order, best, skipped = [], {}, []
    for step in sorted(STEPS.glob("*.sh")):
        if not fnmatch.fnmatch(step.name, only):
            continue
        jobs = step_jobs(step)
        if not jobs:
            first = next((ln.lstrip("# ").strip() for ln in step.read_text().splitlines()[1:3]), "")
            skipped.append((step.name, f"no reproduction ({first[:90]})"))
            continue
        for name, n, with_seeds in jobs:
            want = n if n is not None else (seeds if with_seeds else None)
            if n is not None and with_seeds and seeds is not None:
                want = min(n, seeds)
            if name not in best:
                order.append(name)
                best[name] = want
            elif best[name] is not None:
                best[name] = None if want is None else max(best[name], want)
    return [(name, best[name]) for name in order], skipped


def _config(name, n_seeds, mode):
    from scalinglab.validate import protocol

    exp = protocol.get(name)
    mapping, text = protocol.shipped_spec(name, quick=mode == "tiny")
    if mode == "tiny":
        import json

        from repro import tiny_mapping

        mapping = tiny_mapping(name, mapping)
        text += "\n# cut down by benchmarks/gpu/slurm_queue.py --mode tiny: " + json.dumps(mapping) + "\n"
    config = exp.config_from_dict(mapping)
    if n_seeds is not None:
        config = exp.with_seeds(config, n_seeds) or config
    return exp, config, text


def _calibration_word(d, slurm):
    if not slurm.n_gpus:
        return " (CPU cost model)"
    src = d["calibration"]
    return (" (H100-calibrated)" if src.startswith("measured") else
            " (not measured: its cell kind's factor)" if "cell kind" in src else " (not measured: the overall factor)")


def build_parser():
    from scalinglab.cli._cluster import add_slurm_flags

    ap = argparse.ArgumentParser(prog="slurm_queue.py", description=__doc__.splitlines()[0])
    ap.add_argument("--scheduler", required=True, metavar="slurm:PARTITION")
    ap.add_argument("--results", default="results/gpu-run", help="results folder, one sub-folder per reproduction "
                    "(default: %(default)s, as run_all.sh)")
    ap.add_argument("--seeds", type=int, default=10, help="seeds of the steps that pass --seeds (default 10)")
    ap.add_argument("--only", default="*", help="step files to take, a glob such as '50-*' (default: all)")
    ap.add_argument("--mode", choices=("full", "tiny"), default="full")
    ap.add_argument("--device", default="auto", help="torch device on the nodes (default: cuda with --gpus)")
    ap.add_argument("--dry-run", action="store_true", help="print the queue, tasks and GPU-hours; submit nothing")
    add_slurm_flags(ap)
    return ap


def main(argv=None, echo=print):
    from scalinglab.cli._cluster import slurm_from_args
    from scalinglab.errors import InputError
    from scalinglab.validate import cluster, protocol
    from scalinglab.validate.storage import RowStore

    args = build_parser().parse_args(argv)
    try:
        base = slurm_from_args(args.scheduler, args)
        if not isinstance(base, cluster.Slurm):
            raise InputError(f"--scheduler {args.scheduler!r}: the queue runs on Slurm: slurm:PARTITION")
        jobs, skipped = queue(args.only, args.seeds)
        if not jobs:
            raise InputError(f"--only {args.only!r}: no step file with reproductions")
        results = Path(args.results)
        planned, stored, rows = set(), {}, []
        total = 0.0
        echo(f"GPU queue of benchmarks/gpu/steps ({args.only}), mode {args.mode}, into {results}, on "
             f"{base.address} with {base.n_gpus or 'no'} GPU(s) per task:")
        for name, n in jobs:
            exp, config, text = _config(name, n, args.mode)
            cells = exp.cells(config)
            keys = {c: protocol.cell_key(c) for c in cells}
            rdir = protocol._rows_dir_for(exp, results / name)
            if rdir not in stored:
                st = RowStore(rdir)
                stored[rdir] = {r["key"] for r in st.read(quarantine=False).rows} if st.rows_dir.is_dir() else set()
            done = stored[rdir]
            todo = [c for c in cells if keys[c] not in done and (rdir, keys[c]) not in planned]
            shared = sum(1 for c in cells if keys[c] not in done and (rdir, keys[c]) in planned)
            planned |= {(rdir, keys[c]) for c in todo}
            d = base.dry_run(exp, todo)
            hours = d["gpu_hours"] if base.n_gpus else d["cpu_hours"]
            total += hours
            rows.append((name, exp, config, text))
            echo(f"  {name:26s} seeds {getattr(config, 'seeds', '-')!s:>3}: {len(cells):5d} cells, "
                 f"{len(cells) - len(todo) - shared:5d} stored, {shared:5d} run by an earlier reproduction; "
                 f"{len(todo):5d} to run in {d['n_tasks']:3d} task(s), ~{hours:.3g} "
                 f"{'GPU' if base.n_gpus else 'CPU'}-hours{_calibration_word(d, base)}")
        for step, why in skipped:
            echo(f"  {step}: not queued, {why}")
        echo(f"  total ~{total:.3g} {'GPU' if base.n_gpus else 'CPU'}-hours over {len(rows)} reproduction(s); "
             f"calibration: {cluster.GPU_CALIBRATION['source']}")
        echo("  each array's #SBATCH lines: " + " ".join(ln.split(" ", 1)[1] for ln in
                                                       base.directives(1, "DIR/NAME/slurm/ID/logs")))
        if args.dry_run:
            return 0
        submit = dataclasses.replace(base, wait=False, _squeue_failures=[])
        collect = dataclasses.replace(base, wait=not args.slurm_no_wait, _squeue_failures=[])
        log = (lambda msg: print(msg, file=sys.stderr, flush=True))
        for name, exp, config, text in rows:  # every array into the queue first
            protocol.execute(exp, config, results / name, device=args.device, scheduler=submit, spec_text=text,
                             echo=log)
        if args.slurm_no_wait:
            echo("submitted; run the same command again to collect the results (squeue -u $USER)")
            return 0
        t0 = time.time()
        for name, exp, config, text in rows:
            oc = protocol.execute(exp, config, results / name, device=args.device, scheduler=collect,
                                  spec_text=text, echo=log)
            echo(f"{name}: {oc.n_stored} of {oc.n_cells} cells stored; report {results / name / 'report.md'}"
                 + "".join(f"\n  note: {x}" for x in oc.notes if "Slurm" in x or "missing" in x))
        echo(f"queue collected in {time.time() - t0:.0f} s")
    except InputError as exc:
        print(f"slurm_queue.py: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
