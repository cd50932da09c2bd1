"""Run reproductions for the prepared device run (``benchmarks/gpu/run_all.sh``), each within a time limit.

::

    python benchmarks/gpu/repro.py --results DIR [--mode full|tiny] [--device cuda] [--seeds N]
        [--deadline UNIX_SECONDS] JOB [JOB ...]
    python benchmarks/gpu/repro.py --results DIR --replot-stale [--deadline UNIX_SECONDS]

``JOB`` is ``NAME[:SEEDS][@SECONDS]``: the shipped *full* spec of reproduction
NAME (``--mode tiny``: its quick spec cut down to a few tiny cells, see
:func:`tiny_mapping`) run into ``DIR/NAME`` (RHM runs in the shared store
``DIR/rhm-runs``) with ``SEEDS`` seeds (default ``--seeds``, or the spec's own;
never more than ``--seeds``), for at most ``SECONDS`` and never past
``--deadline``. Jobs run in the order given, in this one process (torch and
Numba are imported once). A job that reaches its limit is interrupted (its
finished cells are stored: the protocol resumes from them next time) and
its report and figures are drawn from what it stored. A job that fails is
logged and the next one runs. Every job appends one JSON line to
``DIR/jobs.jsonl``.

``--replot-stale`` redraws every results folder under DIR whose job was killed
(by the step's outer ``timeout``) before it drew its report.

Needs only what the project needs (numpy, scipy, sympy, matplotlib, numba,
torch, tqdm) plus pandas for the analysis; filelock is optional.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's scalinglab

os.environ.setdefault("SCALINGLAB_PROGRESS", "0")

#: Seconds kept back per job for its analysis and figures after an interruption.
REPLOT_RESERVE_S = 12
#: A job with less time than this left is skipped (and its folder, if any, replotted).
MIN_JOB_S = 6


#: Marker file of a job in progress (a job killed by the step's outer timeout leaves it behind).
RUNNING = ".job-running"
_COMPLETED = set()


class Deadline(BaseException):
    """Raised by the alarm when a job's time is up (a BaseException: the protocol releases its claims)."""


def _alarm(signum, frame):
    raise Deadline()


def tiny_mapping(name, mapping):
    """The quick spec ``mapping`` of ``name`` cut to a few tiny cells (seconds on a CPU): plumbing only."""
    m = json.loads(json.dumps(mapping))
    if "P" in m:
        m["P"] = sorted(m["P"])[:3]
    if "seeds" in m:
        m["seeds"] = 2
    if "n_test" in m:
        m["n_test"] = 256
    if "curves" in m:
        m["curves"] = m["curves"][:2]
    if "net" in m:
        m["net"]["width"] = 8
    if "train" in m:
        m["train"]["max_epochs"] = 4
    if "widths" in m:
        m["widths"] = [8, 16]
    if "alphas" in m:
        m["alphas"] = m["alphas"][:2]
    if name == "spectral-teacher-student":
        m.update(dims=m["dims"][:2], D=m["D"][:3], width=16, steps=30, n_test=256)
    return m


def _job(spec):
    name, seeds, cap = spec, None, None
    if "@" in name:
        name, cap = name.split("@", 1)
        cap = float(cap)
    if ":" in name:
        name, seeds = name.split(":", 1)
        seeds = int(seeds)
    return name, seeds, cap


def _log(results, rec):
    with open(Path(results) / "jobs.jsonl", "a") as fh:
        fh.write(json.dumps(rec, default=str) + "\n")
    print(json.dumps(rec, default=str), flush=True)


def run_job(spec, args, deadline):
    """Run one job; returns its record."""
    from scalinglab.validate import protocol

    name, seeds, cap = _job(spec)
    out = Path(args.results) / name
    rec = {"job": spec, "name": name, "mode": args.mode, "device": args.device, "start": time.time()}
    exp = protocol.get(name)
    mapping, text = protocol.shipped_spec(name, quick=args.mode == "tiny")
    if args.mode == "tiny":
        mapping = tiny_mapping(name, mapping)
        text += "\n# cut down by benchmarks/gpu/repro.py --mode tiny: " + json.dumps(mapping) + "\n"
    config = exp.config_from_dict(mapping)
    n = seeds if seeds is not None else args.seeds
    if n is not None and args.seeds is not None:
        n = min(n, args.seeds)
    reseeded = exp.with_seeds(config, n) if n is not None else None
    if reseeded is not None:
        config = reseeded
    rec["seeds"] = getattr(config, "seeds", None)
    if (name, rec["seeds"]) in _COMPLETED:  # e.g. "NAME:4" then "NAME" with --seeds 4: nothing new to run
        rec["skipped"] = "same as an earlier complete job"
        return rec
    left = deadline - time.time() - REPLOT_RESERVE_S
    limit = min(left, cap) if cap else left
    rec["limit_s"] = round(limit, 1)
    t0 = time.time()
    interrupted = False
    if limit < MIN_JOB_S:
        rec["skipped"] = f"no time left ({limit:.0f} s)"
        return rec
    out.mkdir(parents=True, exist_ok=True)
    (out / RUNNING).write_text(spec)  # removed once its report is drawn (else --replot-stale draws it)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        oc = protocol.execute(exp, config, out, device=args.device, spec_text=text)
    except Deadline:
        interrupted = True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    rec["run_s"] = round(time.time() - t0, 1)
    if interrupted:
        if not (out / "manifest.json").exists():
            rec["replot"] = "nothing stored"
            return rec
        oc = protocol.execute(exp, config, out, device=args.device, replot=True)
    rec.update(interrupted=interrupted, cells=oc.n_cells, stored=oc.n_stored, ran=oc.n_ran,
               missing=oc.n_cells - oc.n_stored, figures=len(oc.figures),
               wall_s=round(time.time() - t0, 1))
    (out / RUNNING).unlink(missing_ok=True)
    if not interrupted and oc.n_stored == oc.n_cells:
        _COMPLETED.add((name, rec["seeds"]))
    return rec


def replot_stale(args, deadline):
    """Redraw every results folder of DIR whose job was killed before it drew its report."""
    from scalinglab.validate import protocol
    from scalinglab.validate.storage import Manifest

    res = Path(args.results)
    for marker in sorted(res.glob(f"*/{RUNNING}")):
        folder = marker.parent
        if time.time() > deadline - 5:
            print(f"replot-stale: out of time before {folder.name}", flush=True)
            break
        man = Manifest.load(folder)
        if not man.data:
            continue
        t0 = time.time()
        try:
            protocol.execute(protocol.get(man.experiment), None, folder, replot=True)
            marker.unlink(missing_ok=True)
            _log(res, {"job": f"replot {folder.name}", "wall_s": round(time.time() - t0, 1)})
        except Exception as exc:  # keep going: the rows are what matters
            _log(res, {"job": f"replot {folder.name}", "error": repr(exc)})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jobs", nargs="*", help="NAME[:SEEDS][@SECONDS]")
    ap.add_argument("--results", required=True, help="folder of the results (one sub-folder per experiment)")
    ap.add_argument("--mode", choices=("full", "tiny"), default="full")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seeds", type=int, default=None, help="seeds of every job (at most)")
    ap.add_argument("--deadline", type=float, default=None, help="UNIX time by which everything must be done")
    ap.add_argument("--replot-stale", action="store_true")
    args = ap.parse_args(argv)
    deadline = args.deadline or time.time() + 10 * 24 * 3600
    Path(args.results).mkdir(parents=True, exist_ok=True)
    if args.replot_stale:
        replot_stale(args, deadline)
        return 0
    failed = 0
    for spec in args.jobs:
        try:
            rec = run_job(spec, args, deadline)
        except Exception as exc:  # the next job may still work
            failed += 1
            rec = {"job": spec, "error": repr(exc), "traceback": traceback.format_exc(limit=8)}
        _log(args.results, rec)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
