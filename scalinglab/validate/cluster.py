"""Slurm for sweeps: the engine's stacks of cells packed into one job array, with the resources a GPU sweep needs.

``scalinglab reproduce NAME --scheduler slurm:PARTITION --gpus 1`` (or ``execute(..., scheduler=Slurm(...))``)
runs the cells without stored rows as **one Slurm job array**:

* the cells are grouped the way the engine stacks them (:meth:`Experiment.group`: every seed of an RHM grid
  point trains as one stack), and the stacks are packed into array tasks by the cost estimate
  (:meth:`Experiment.cost`, scaled to a GPU by :data:`GPU_CALIBRATION`): at most ``max_jobs`` tasks, each
  with at least ``min_job_time`` of estimated work and at most half of ``time``, ``parallel`` of them running
  at once (``--array=0-N%parallel``). A full reproduction is one array of tens of tasks, not one job per cell;
* the resources come from the command line, the spec's ``[cluster]`` table or the defaults (in that order of
  precedence; ``--dry-run`` shows each value and where it came from), see :class:`Slurm`;
* every task writes its rows **itself**, into the experiment's row store (a shared file system, as on every
  cluster), one row per cell as each stack finishes, skipping cells already stored. So a task that is preempted
  and requeued (``--requeue``), or that reaches its time limit (it requeues itself on the ``USR1`` Slurm sends
  before the limit, when it stored something in its life), resumes from the stored rows: nothing is lost and
  no cell runs twice. Cells still missing when the array has ended (a task failed, or was cancelled) are
  resubmitted, ``retries`` times, with the tail of the failed task's log printed;
* the script, the plan (which cells each task runs) and the logs live under ``OUT/slurm/<submission>/``
  (``job.sh`` can be resubmitted by hand with ``sbatch``); nothing is written to the working directory;
* the command waits, showing progress, and then analyses and draws as any sweep; with ``--no-wait`` it submits
  and returns, and the same command run later collects the results: cells in live tasks of an earlier
  submission (recorded in the row store's ``.slurm-jobs/``, checked with ``squeue``) are waited for, never
  submitted twice. Interrupting the command leaves the jobs running (``scancel JOBID`` stops them).

No silent fallback: when ``sbatch`` or ``squeue`` is missing or the controller does not answer, the sweep
stops with one line naming what is missing, before anything is written (:meth:`Slurm.check`).

Why ``sbatch`` directly and not submitit (used before): submitit's ``AutoExecutor`` silently ran every job as a
local subprocess where Slurm was missing (9.5 min for a 28 s sweep), put ``submitit-logs/`` in the working
directory, polled ``sacct`` (which small clusters lack: every warning printed twice) and returned results as
pickles that only the waiting driver turned into rows (a dead driver lost them). A job array written here is
a plain script that a user can read and resubmit, needs nothing on the nodes but this package, writes rows
as it goes, and is tested against a real single-node Slurm (``tests/test_slurm_real.py``).

Examples
--------
>>> s = Slurm.from_sources("slurm:gpu", cli={"gpus": "a100:1", "time": "2:00:00"})
>>> s.partition, s.gpus, s.time_s, s.sources["gpus"], s.sources["cpus"]
('gpu', 'a100:1', 7200, 'command line', 'default')
>>> [d for d in s.directives(12, "/tmp/logs") if "array" in d or "gres" in d]
['#SBATCH --array=0-11%12', '#SBATCH --gres=gpu:a100:1']
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import math
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from scalinglab._util import progress
from scalinglab.errors import InputError

__all__ = ["Slurm", "slurm_scheduler", "parse_time", "format_time", "calibrate", "gpu_factor", "plan_tasks",
           "GPU_CALIBRATION", "CLUSTER_KEYS"]

#: Keys of a spec's ``[cluster]`` table (and the matching command-line flags, see ``scalinglab run --help``).
CLUSTER_KEYS = ("partition", "time", "gpus", "cpus", "mem", "account", "qos", "constraint", "sbatch_args",
                "setup", "python", "max_jobs", "parallel", "min_job_time", "retries")

#: GPU seconds per estimated CPU second (:meth:`Experiment.cost`), per experiment and pooled per cell kind:
#: measured from the rows of the first H100 run (``results/reference/gpu``, 2026-11-26, one NVIDIA H100 80GB,
#: ``benchmarks/gpu/run_all.sh``) by :func:`calibrate`; ``tests/test_cluster.py`` recomputes it from those rows.
#: The CPU cost models assume every run trains to its step cap, so a GPU run is ~1000x "faster" than the model.
#: Per stack the ratio spreads over two decades (early-stopped small P against long large-P runs), so a
#: single task's estimate is rough; a reproduction's sum is what the GPU-hours line reports. rhm-fig5 was
#: measured at P <= 16384 only (its large P are extrapolated).
GPU_CALIBRATION = {
    "source": "one NVIDIA H100 80GB, benchmarks/gpu/run_all.sh of 2026-11-26 (results/reference/gpu)",
    "experiments": {
        "rhm-fcn": 0.0013, "rhm-fcn-onset": 0.0024, "rhm-fig2": 0.001, "rhm-fig4": 0.00089, "rhm-fig5": 0.00053,
        "rhm-fig6": 0.00093, "rhm-fig6-distinct": 0.0012, "rhm-fig7": 0.00067, "rhm-fig8": 0.0014,
        "rhm-fig9": 0.0012, "rhm-large-m": 0.0014, "rhm-split-model": 0.00086, "rhm-width": 0.00062,
    },
    "kinds": {"rhm-run": 0.0011},
    "overall": 0.0011,
}

#: Seconds each task spends before its first cell (Python, torch and the Numba cache loaded; the H100 run's
#: preflight, which also compiles the RHM sampler, took 11.8 s).
TASK_OVERHEAD_S = 15.0
_DEFAULTS = dict(partition=None, time="60", gpus=None, cpus=1, mem=None, account=None, qos=None, constraint=None,
                 sbatch_args=(), setup=(), python=None, max_jobs=50, parallel=20, min_job_time="5", retries=2)
_TOOLS = ("sbatch", "squeue")
PLAN_FORMAT = "scalinglab-slurm/1"
#: Polls in a row without an answer from squeue before a waiting sweep gives up (the jobs keep running).
_SQUEUE_PATIENCE = 30


# --------------------------------------------------------------------------- parsing
_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def parse_time(text, what="--time", allow_zero=False):
    """Seconds of a Slurm time: ``MIN``, ``MIN:SEC``, ``H:MIN:SEC``, ``D-H``, ``D-H:MIN``, ``D-H:MIN:SEC``.

    >>> parse_time("90"), parse_time("1:30:00"), parse_time("2-0"), parse_time("0-1:30")
    (5400, 5400, 172800, 5400)
    >>> parse_time("1h")
    Traceback (most recent call last):
    ...
    scalinglab.errors.InputError: --time '1h': use minutes, H:MM:SS or D-HH:MM:SS (Slurm's formats)
    """
    s = str(text).strip()
    m = _TIME.match(s)
    if not m:
        raise InputError(f"{what} {text!r}: use minutes, H:MM:SS or D-HH:MM:SS (Slurm's formats)")
    d, a, b, c = m.groups()
    a, b, c = int(a), int(b) if b else None, int(c) if c else None
    if d is not None:  # D-H[:M[:S]]
        sec = int(d) * 86400 + a * 3600 + (b or 0) * 60 + (c or 0)
    elif c is not None:  # H:M:S
        sec = a * 3600 + b * 60 + c
    elif b is not None:  # M:S
        sec = a * 60 + b
    else:  # M
        sec = a * 60
    if sec <= 0 and not (allow_zero and sec == 0):
        raise InputError(f"{what} {text!r}: must be longer than 0")
    return sec


def format_time(seconds):
    """Slurm's ``[D-]HH:MM:SS`` of a number of seconds (rounded up to whole seconds).

    >>> format_time(5400), format_time(90061)
    ('01:30:00', '1-01:01:01')
    """
    s = int(math.ceil(seconds))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return (f"{d}-" if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


_GPUS = re.compile(r"^(?:([A-Za-z0-9_.\-]+):)?(\d+)$")
_MEM = re.compile(r"^\d+[KMGT]?$", re.IGNORECASE)
_WORD = re.compile(r"^[A-Za-z0-9_.,:&|!()\[\]*\-]+$")


def _gpu_count(gpus):
    if not gpus:
        return 0
    return int(_GPUS.match(gpus).group(2))


def _positive_int(key, value, source):
    lo = 0 if key == "retries" else 1
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        v = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{_name(key, source)}: expected a whole number, got {value!r}") from None
    if v < lo:
        raise InputError(f"{_name(key, source)}: must be >= {lo}, got {v}")
    return v


_FLAGS = {"sbatch_args": "--sbatch-arg", "setup": "--job-setup"}


def _name(key, source):
    """The flag or spec key a value came from, for error messages."""
    if source == "spec":
        return f"spec key 'cluster.{key}'"
    return _FLAGS.get(key, "--" + key.replace("_", "-"))


def _check(key, value, source):
    """The value of ``key`` checked and normalised; InputError naming the flag or spec key."""
    where = _name(key, source)
    if value is None:
        return None
    if key in ("time", "min_job_time"):
        parse_time(value, where, allow_zero=key == "min_job_time")
        return str(value).strip()
    if key in ("cpus", "max_jobs", "parallel", "retries"):
        return _positive_int(key, value, source)
    if key in ("sbatch_args", "setup"):
        vals = [value] if isinstance(value, str) else value
        if not isinstance(vals, (list, tuple)) or not all(isinstance(v, str) for v in vals):
            raise InputError(f"{where}: expected a string or a list of strings, got {value!r}")
        for v in vals:
            if "\n" in v or "\r" in v:
                raise InputError(f"{where}: {v!r} holds a line break; give one argument or line per entry")
            if key == "sbatch_args" and not v.startswith("-"):
                raise InputError(f"{where}: {v!r} is not an sbatch option (e.g. --exclusive or --nodelist=n01; "
                                 "on the command line write --sbatch-arg=--exclusive)")
        return tuple(vals)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: expected a non-empty string, got {value!r}")
    value = value.strip()
    if key == "gpus" and not _GPUS.match(value):
        raise InputError(f"{where} {value!r}: use N or TYPE:N (e.g. 1 or a100:2)")
    if key == "gpus" and _gpu_count(value) < 1:
        raise InputError(f"{where} {value!r}: ask for at least one GPU (or leave --gpus out)")
    if key == "mem" and not _MEM.match(value):
        raise InputError(f"{where} {value!r}: use a size such as 16G or 4000M (Slurm's --mem)")
    if key in ("partition", "account", "qos", "constraint") and not _WORD.match(value):
        raise InputError(f"{where} {value!r}: not a Slurm name")
    return value


# --------------------------------------------------------------------------- the scheduler
@dataclass(frozen=True)
class Slurm:
    """Slurm resources and policy of a sweep (``--scheduler slurm:PARTITION`` and the Slurm flags).

    Build it with :meth:`from_sources` (defaults < spec ``[cluster]`` table < command line) and pass it as
    ``scheduler=`` to :func:`scalinglab.validate.protocol.execute`; a plain ``"slurm:PARTITION"`` string
    there means these defaults.

    Attributes
    ----------
    partition : str
        ``sbatch --partition``.
    time : str
        Time limit of each array task (Slurm's formats; default 60 minutes). A task stops taking on stacks
        at the limit and requeues itself (``--signal=B:USR1@...``).
    gpus : str or None
        ``N`` or ``TYPE:N`` GPUs per task (``--gres=gpu:[TYPE:]N``, understood by every Slurm's GPU plugin).
    cpus : int
        ``--cpus-per-task``.
    mem, account, qos, constraint : str or None
        ``--mem``, ``--account``, ``--qos``, ``--constraint`` (left to the cluster's defaults when None).
    sbatch_args : tuple of str
        More ``#SBATCH`` options, verbatim (``--exclusive``, ``--nodelist=n01``).
    setup : tuple of str
        Shell lines run before the task (``module load cuda``, ``source ~/venv/bin/activate``).
    python : str or None
        The interpreter on the nodes (default: the one running this sweep; clusters share it).
    max_jobs : int
        Most array tasks in one submission.
    parallel : int
        Most array tasks running at once (``--array=0-N%parallel``).
    min_job_time : str
        Least estimated work packed into one task (amortises its start-up; default 5 minutes).
    retries : int
        Resubmissions of cells still missing after an array ended.
    wait : bool
        Wait for the jobs and report (default); False: submit and return.
    sources : dict
        Where each resource came from: ``default``, ``spec`` or ``command line``.

    Examples
    --------
    >>> s = Slurm.from_sources("slurm:debug", spec={"cpus": 4, "mem": "16G"}, cli={"cpus": 8})
    >>> s.cpus, s.mem, s.sources["cpus"], s.sources["mem"]
    (8, '16G', 'command line', 'spec')
    >>> Slurm.from_sources("slurm:debug", spec={"gpu": 1})
    Traceback (most recent call last):
    ...
    scalinglab.errors.InputError: unknown spec key 'cluster.gpu'; known keys of 'cluster': partition, time, gpus, cpus, mem, account, qos, constraint, sbatch_args, setup, python, max_jobs, parallel, min_job_time, retries
    """

    partition: str | None = None
    time: str = _DEFAULTS["time"]
    gpus: str | None = None
    cpus: int = 1
    mem: str | None = None
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    sbatch_args: tuple = ()
    setup: tuple = ()
    python: str | None = None
    max_jobs: int = 50
    parallel: int = 20
    min_job_time: str = _DEFAULTS["min_job_time"]
    retries: int = 2
    wait: bool = True
    address: str = "slurm"
    sources: dict = field(default_factory=dict, compare=False)
    _squeue_failures: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def from_sources(cls, address="slurm", spec=None, cli=None, wait=True):
        """The scheduler of ``address`` (``slurm:PARTITION`` or ``slurm``) with resources from the spec's
        ``[cluster]`` mapping and the command line's ``cli`` mapping (None values are not given).

        >>> Slurm.from_sources("slurm", spec={"partition": "gpu"}).partition
        'gpu'
        """
        if not (isinstance(address, str) and (address == "slurm" or address.startswith("slurm:"))):
            raise InputError(f"--scheduler {address!r}: a Slurm scheduler is slurm:PARTITION")
        spec = {} if spec is None else spec
        if not isinstance(spec, dict):
            raise InputError(f"spec key 'cluster': expected a table, got {spec!r}")
        bad = [k for k in spec if k not in CLUSTER_KEYS]
        if bad:
            raise InputError(f"unknown spec key 'cluster.{bad[0]}'; known keys of 'cluster': "
                             f"{', '.join(CLUSTER_KEYS)}")
        values, sources = {}, {}
        for k in CLUSTER_KEYS:
            values[k], sources[k] = _DEFAULTS[k], "default"
            if spec.get(k) is not None:
                values[k], sources[k] = _check(k, spec[k], "spec"), "spec"
            if cli and cli.get(k) not in (None, (), []):
                values[k], sources[k] = _check(k, cli[k], "cli"), "command line"
        part = address.split(":", 1)[1] if ":" in address else ""
        if part:
            if cli and cli.get("partition") and cli["partition"] != part:
                raise InputError(f"--scheduler {address} and --partition {cli['partition']} name two partitions; "
                                 "give one")
            values["partition"], sources["partition"] = _check("partition", part, "cli"), "--scheduler"
        if not values["partition"]:
            raise InputError("--scheduler slurm needs a partition: slurm:PARTITION (or --partition, or "
                             "partition in the spec's [cluster] table)")
        values["python"] = values["python"] or sys.executable
        if sources["python"] == "default":
            sources["python"] = "default (this interpreter)"
        return cls(**values, wait=bool(wait), address=f"slurm:{values['partition']}", sources=sources)

    # -- derived ------------------------------------------------------------------------
    @property
    def time_s(self):
        """The time limit of a task in seconds."""
        return parse_time(self.time)

    @property
    def n_gpus(self):
        """GPUs per task."""
        return _gpu_count(self.gpus)

    def device(self, device, uses_device=True):
        """The device the tasks train on: ``auto`` means ``cuda`` when GPUs are asked for, else resolved on
        the node; a name is checked here only for its form (the login node need not have that GPU).

        >>> Slurm.from_sources("slurm:gpu", cli={"gpus": "1"}).device("auto")
        'cuda'
        """
        if not uses_device:
            return "cpu"
        dev = "auto" if device in (None, "") else str(device).strip().lower()
        if dev == "auto":
            return "cuda" if self.n_gpus else "auto"
        if dev in ("cpu", "cuda", "mps") or re.match(r"^cuda:\d+$", dev):
            return dev
        raise InputError(f"--device {device!r} is not a device; use auto, cpu, cuda, cuda:N or mps")

    def resources(self):
        """``{resource: (value, source)}`` as ``--dry-run`` shows them."""
        out = {}
        for k in CLUSTER_KEYS:
            v = getattr(self, k)
            if k == "time":
                v = format_time(self.time_s)
            elif k == "min_job_time":
                v = format_time(parse_time(v, allow_zero=True))
            elif isinstance(v, tuple):
                v = list(v)
            out[k] = (v, self.sources.get(k, "default"))
        return out

    def directives(self, n_tasks, logs, name="scalinglab"):
        """The ``#SBATCH`` lines of an array of ``n_tasks`` tasks writing logs into ``logs``."""
        t = self.time_s
        margin = int(min(120, max(10, t // 10)))  # USR1 this long before the limit: requeue with what is stored
        lines = [f"--job-name=sl-{name}", f"--partition={self.partition}", f"--time={format_time(t)}",
                 f"--array=0-{n_tasks - 1}%{min(self.parallel, n_tasks) if n_tasks else self.parallel}",
                 f"--cpus-per-task={self.cpus}"]
        if self.gpus:
            lines.append(f"--gres=gpu:{self.gpus}")
        for k in ("mem", "account", "qos", "constraint"):
            if getattr(self, k):
                lines.append(f"--{k}={getattr(self, k)}")
        lines += [f"--output={Path(logs) / '%A_%a.out'}", "--open-mode=append", "--requeue",
                  f"--signal=B:USR1@{margin}"]
        lines += list(self.sbatch_args)
        return [f"#SBATCH {ln}" for ln in lines]

    # -- reachability ---------------------------------------------------------------------
    def check(self, timeout=20):
        """Raise a one-line InputError when Slurm cannot be used from here: ``sbatch``/``squeue`` missing,
        the controller not answering, the partition unknown, or resources that ``sbatch --test-only`` refuses
        (an unknown GPU type, account or QOS, a time over the partition's limit). Runs in seconds and writes
        nothing (the test script lives in a temporary folder).

        >>> import os
        >>> os.environ["PATH"], path = "/nonexistent", os.environ["PATH"]
        >>> try:
        ...     Slurm.from_sources("slurm:debug").check()
        ... except InputError as exc:
        ...     print(exc)
        ... finally:
        ...     os.environ["PATH"] = path
        --scheduler slurm:debug: Slurm is not reachable from here: sbatch and squeue not found on PATH (run on a Slurm login node, or use --scheduler local:N); nothing was written
        """
        missing = [t for t in _TOOLS if shutil.which(t) is None]
        head = f"--scheduler {self.address}: "
        tail = "; nothing was written"
        if missing:
            raise InputError(f"{head}Slurm is not reachable from here: {' and '.join(missing)} not found on PATH "
                             f"(run on a Slurm login node, or use --scheduler local:N){tail}")
        err = _run(["squeue", "-h", "-u", getpass.getuser(), "-o", "%i"], timeout)
        if err is not None:
            raise InputError(f"{head}squeue cannot reach the Slurm controller ({err}){tail}")
        if shutil.which("sinfo"):
            r = _call(["sinfo", "-h", "-o", "%R"], timeout)
            if r is not None and r.returncode == 0:
                parts = sorted(set(r.stdout.split()))
                if parts and self.partition not in parts:
                    raise InputError(f"{head}partition {self.partition!r} not found; partitions here: "
                                     f"{', '.join(parts)}{tail}")
        # the resources themselves (partition, GPUs, account, QOS, time): sbatch --test-only validates a one-task
        # array with these #SBATCH lines and submits nothing
        import tempfile

        with tempfile.TemporaryDirectory(prefix="scalinglab-sbatch-") as tmp:
            stub = Path(tmp) / "check.sh"
            lines = [ln for ln in self.directives(1, tmp) if "--output=" not in ln]
            stub.write_text("\n".join(["#!/bin/bash"] + lines + ["#SBATCH --output=/dev/null", "true"]) + "\n")
            r = _call(["sbatch", "--test-only", str(stub)], timeout)
        if r is None:
            raise InputError(f"{head}sbatch --test-only did not answer in {timeout} s{tail}")
        if r.returncode != 0:
            msg = [ln.strip() for ln in (r.stderr + r.stdout).splitlines() if ln.strip()]
            raise InputError(f"{head}sbatch refuses these resources ({'; '.join(msg[:2]) or 'no reason given'})"
                             f"{tail}")

    # -- planning ---------------------------------------------------------------------------
    def estimate(self, exp, cells):
        """``(seconds per cell on the target, factor, source)``: the cost model, GPU-calibrated when GPUs are
        asked for."""
        if self.n_gpus:
            f, src = gpu_factor(exp, cells)
        else:
            f, src = 1.0, "the CPU cost model of the experiment (uncalibrated)"
        return {c: exp.cost(c) * f for c in cells}, f, src

    def plan(self, exp, cells):
        """The tasks of ``cells``: a dict with ``tasks`` (lists of stacks of cells), per-task estimates, the
        ``#SBATCH`` lines and the GPU-hours (see :func:`plan_tasks`)."""
        est, factor, src = self.estimate(exp, cells)
        blocks = {}
        for c in cells:
            blocks.setdefault(exp.group(c), []).append(c)
        blocks = list(blocks.values())
        costs = [sum(est[c] for c in b) for b in blocks]
        tasks = plan_tasks(costs, self.max_jobs, parse_time(self.min_job_time, allow_zero=True), 0.5 * self.time_s)
        task_blocks = [[blocks[i] for i in t] for t in tasks]
        task_s = [sum(costs[i] for i in t) + TASK_OVERHEAD_S for t in tasks]
        hours = sum(task_s) / 3600
        warnings = []
        if task_s and max(task_s) > self.time_s:
            warnings.append(f"the longest task is estimated at {format_time(max(task_s))}, over --time "
                            f"{format_time(self.time_s)}: raise --time or --max-jobs (a task at its limit "
                            "requeues itself and resumes, but a single stack longer than --time never finishes)")
        return {"tasks": task_blocks, "task_s": task_s, "hours": hours,
                "gpu_hours": hours * self.n_gpus, "cpu_hours": hours * self.cpus, "factor": factor,
                "calibration": src, "warnings": warnings, "n_cells": len(cells), "n_stacks": len(blocks)}

    def dry_run(self, exp, cells):
        """What :meth:`run` would submit for ``cells`` (nothing submitted), as a JSON-able dict.

        Examples
        --------
        >>> from scalinglab.validate import protocol
        >>> exp = protocol.get("brill-fig2")
        >>> cells = exp.cells(exp.config_type(c_over_D=(0.5, 2.0), n_points=20))
        >>> d = Slurm.from_sources("slurm:debug").dry_run(exp, cells)
        >>> d["n_tasks"], d["n_cells"], d["sbatch"][1]
        (1, 2, '#SBATCH --partition=debug')
        """
        p = self.plan(exp, cells)
        res = self.resources()
        return {"scheduler": self.address, "n_jobs": 1 if p["tasks"] else 0, "n_tasks": len(p["tasks"]),
                "n_cells": p["n_cells"], "n_stacks": p["n_stacks"],
                "resources": {k: v for k, (v, _) in res.items()}, "sources": {k: s for k, (_, s) in res.items()},
                "tasks": [{"cells": sum(len(b) for b in t), "stacks": len(t), "est_s": round(s, 1)}
                          for t, s in zip(p["tasks"], p["task_s"])],
                "est_hours": round(p["hours"], 4), "gpu_hours": round(p["gpu_hours"], 4),
                "cpu_hours": round(p["cpu_hours"], 4), "gpus_per_task": self.n_gpus,
                "calibration": p["calibration"], "factor": p["factor"], "warnings": p["warnings"],
                "sbatch": self.directives(len(p["tasks"]), "OUT/slurm/SUBMISSION/logs", exp.name)}

    # -- running ----------------------------------------------------------------------------------
    def run(self, exp, config, store, cells, keys, device, out, echo=None):
        """Run the cells of ``cells`` without rows as job arrays, wait (unless ``wait`` is False), resubmit
        what failed; returns ``(cells stored meanwhile, notes)``. Rows are written by the tasks themselves."""
        from scalinglab.validate import protocol

        echo = echo or (lambda *_: None)
        poll = float(os.environ.get("SCALINGLAB_SLURM_POLL", 20))
        done = protocol._Done(store)
        done.refresh()
        want = {keys[c] for c in cells}
        start = len(want & done.keys)
        held, notes, subs = set(), [], []
        bar = progress(total=len(want) - start, desc=f"{exp.name} (Slurm)")
        seen = start
        submissions = 0
        try:
            while True:
                done.refresh()
                live, live_jobs = self._live(store)
                todo = [c for c in cells if keys[c] not in done.keys and keys[c] not in live]
                others = {keys[c] for c in todo if store.claimed_by_other(keys[c])}
                todo = [c for c in todo if keys[c] not in others]
                if todo and submissions <= self.retries and (self.wait or submissions == 0):
                    if subs:
                        self._report(subs[-1], done.keys, echo)
                        echo(f"{exp.name}: {len(todo)} cell(s) not stored after Slurm job {subs[-1]['job_id']}: "
                             f"resubmitting ({submissions} of {self.retries} retries)")
                    mine = [c for c in todo if store.claim(keys[c])]
                    held |= {keys[c] for c in mine}
                    if mine:
                        subs.append(self._submit(exp, config, store, mine, keys, device, out, echo))
                        submissions += 1
                        continue
                ours = {k for k in want if k not in done.keys}
                waiting = (ours & set(live)) | (ours & others)
                if not self.wait:
                    if subs or live:
                        jobs = sorted({str(s["job_id"]) for s in subs} | set(live_jobs))
                        notes.append(f"{len(ours)} cell(s) running in Slurm job(s) {', '.join(jobs)}: the same "
                                     "command run again collects their rows (squeue -u $USER shows them)")
                    break
                if not waiting:
                    if todo and subs:
                        self._report(subs[-1], done.keys, echo)
                        notes.append(f"{len(todo)} cell(s) still missing after {submissions} Slurm submission(s) "
                                     f"(logs under {Path(out) / 'slurm'}); run the command again to retry them")
                    break
                new = len(want & done.keys) - seen
                if new > 0:
                    bar.update(new)
                    seen += new
                time.sleep(poll)
        except KeyboardInterrupt:
            jobs = sorted({str(s["job_id"]) for s in subs})
            if jobs:
                echo(f"{exp.name}: interrupted; Slurm job(s) {', '.join(jobs)} keep running and store their rows "
                     f"(run the same command again to wait for them, or scancel {' '.join(jobs)})")
            raise
        finally:
            bar.close()
            done.refresh()
            for k in held - done.keys:
                store.release(k)
        return len(want & done.keys) - start, notes

    def _submit(self, exp, config, store, cells, keys, device, out, echo):
        """Write plan.json and job.sh under OUT/slurm/<id>/, sbatch it, record it in the row store."""
        from scalinglab.validate import specs as _specs

        p = self.plan(exp, cells)
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = (Path(out) / "slurm" / f"{stamp}-{secrets.token_hex(2)}").resolve()
        (folder / "logs").mkdir(parents=True)
        plan = {"format": PLAN_FORMAT, "experiment": exp.name,
                "module": type(exp).__module__, "class": type(exp).__qualname__,
                "config": _specs.to_dict(config), "rows_store": str(Path(store.folder).resolve()),
                "device": device, "logs": str(folder / "logs"),
                "tasks": [[[keys[c] for c in b] for b in t] for t in p["tasks"]],
                "task_s": [round(s, 1) for s in p["task_s"]], "resources": self.resources()}
        (folder / "plan.json").write_text(json.dumps(plan, indent=1, default=str))
        script = folder / "job.sh"
        script.write_text(self._script(exp.name, len(p["tasks"]), folder))
        est = (f"~{p['gpu_hours']:.3g} GPU-hours ({self.n_gpus} GPU(s) per task)" if self.n_gpus
               else f"~{p['cpu_hours']:.3g} CPU-hours ({self.cpus} CPU(s) per task)")
        echo(f"{exp.name}: submitting {len(p['tasks'])} Slurm task(s) for {len(cells)} cell(s) in "
             f"{p['n_stacks']} stack(s) to {self.partition}: {est}, time limit {format_time(self.time_s)} each")
        r = _call(["sbatch", "--parsable", str(script)], 60)
        if r is None or r.returncode != 0:
            msg = (r.stderr or r.stdout).strip().splitlines()[-1] if r is not None and (r.stderr or r.stdout) \
                else "no answer"
            raise InputError(f"sbatch refused the job array {script}: {msg}")
        job_id = r.stdout.strip().split(";")[0].strip()
        rec = {"job_id": job_id, "plan": str(folder / "plan.json"), "experiment": exp.name,
               "n_tasks": len(p["tasks"]), "submitted": time.time()}
        jobs = Path(store.folder) / ".slurm-jobs"
        jobs.mkdir(parents=True, exist_ok=True)
        (jobs / f"{job_id}.json").write_text(json.dumps(rec))
        (folder / "job_id").write_text(job_id + "\n")
        echo(f"{exp.name}: submitted Slurm job {job_id} ({len(p['tasks'])} task(s), at most "
             f"{min(self.parallel, len(p['tasks']))} at once); logs in {folder / 'logs'}")
        return {**rec, "folder": folder, "tasks": plan["tasks"]}

    def _script(self, name, n_tasks, folder):
        import scalinglab

        pkg_parent = Path(scalinglab.__file__).resolve().parents[1]
        lines = ["#!/bin/bash"] + self.directives(n_tasks, folder / "logs", name) + [
            f"# Written by scalinglab (validate/cluster.py) for {name}: task $SLURM_ARRAY_TASK_ID runs the stacks",
            "# listed in plan.json and stores each row as its stack finishes (a rerun skips stored cells), so",
            "# this script can be resubmitted by hand: sbatch job.sh",
            f"cd {shlex.quote(os.getcwd())}",
            "export SCALINGLAB_PROGRESS=0",
        ]
        if pkg_parent.name not in ("site-packages", "dist-packages"):  # a checkout: make it importable there
            lines.append(f"export PYTHONPATH={shlex.quote(str(pkg_parent))}${{PYTHONPATH:+:$PYTHONPATH}}")
        lines += list(self.setup)
        lines.append(f"exec {shlex.quote(self.python or sys.executable)} -m scalinglab.validate.cluster "
                     f"{shlex.quote(str(folder / 'plan.json'))} \"$SLURM_ARRAY_TASK_ID\"")
        return "\n".join(lines) + "\n"

    def _live(self, store):
        """``({key: job_id}, {job ids})`` of cells in live tasks of recorded submissions to this row store;
        records of submissions with no live task are removed."""
        jobs = Path(store.folder) / ".slurm-jobs"
        recs = sorted(jobs.glob("*.json")) if jobs.is_dir() else []
        if not recs:
            return {}, set()
        alive = _squeue_tasks()
        alive_all = alive is None  # the controller did not answer this time: every recorded job counts as alive
        self._squeue_failures.append(alive_all)
        recent = self._squeue_failures[-_SQUEUE_PATIENCE:]
        if len(recent) == _SQUEUE_PATIENCE and all(recent):
            raise InputError(f"squeue has not answered {_SQUEUE_PATIENCE} times in a row; the submitted jobs keep "
                             "running and storing rows: run the same command again later to collect them")
        live, live_jobs = {}, set()
        for path in recs:
            try:
                rec = json.loads(path.read_text())
                plan = json.loads(Path(rec["plan"]).read_text())
            except (OSError, ValueError, KeyError):
                path.unlink(missing_ok=True)
                continue
            jid = str(rec["job_id"])
            tasks = range(len(plan["tasks"])) if alive_all else alive.get(jid, set())
            if not tasks:
                path.unlink(missing_ok=True)  # ended: its rows are stored, its missing cells are free again
                continue
            live_jobs.add(jid)
            for t in tasks:
                if 0 <= t < len(plan["tasks"]):
                    for block in plan["tasks"][t]:
                        for k in block:
                            live[k] = jid
        return live, live_jobs

    def _report(self, sub, done, echo):
        """One line per task of submission ``sub`` that ended without storing all its cells."""
        for t, blocks in enumerate(sub["tasks"]):
            ks = [k for b in blocks for k in b]
            miss = [k for k in ks if k not in done]
            if not miss:
                continue
            log = Path(sub["folder"]) / "logs" / f"{sub['job_id']}_{t}.out"
            last = ""
            if log.exists():
                tail = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
                last = f": {tail[-1].strip()[:200]}" if tail else ""
            echo(f"  task {t} of job {sub['job_id']}: {len(miss)} of {len(ks)} cell(s) not stored; log {log}{last}")


def _call(cmd, timeout):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None


def _run(cmd, timeout):
    """None when ``cmd`` succeeds, else a short reason."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{cmd[0]} did not answer in {timeout} s"
    except OSError as exc:
        return f"{cmd[0]}: {exc.strerror or exc}"
    if r.returncode != 0:
        msg = (r.stderr or r.stdout).strip().splitlines()
        return f"{cmd[0]} exited {r.returncode}" + (f": {msg[-1].strip()}" if msg else "")
    return None


def _squeue_tasks():
    """``{array job id: {task ids}}`` of this user's jobs that squeue lists (alive), or None when it fails."""
    r = _call(["squeue", "-h", "-r", "-u", getpass.getuser(), "-o", "%F|%K|%T"], 60)
    if r is None or r.returncode != 0:
        return None
    out = {}
    for ln in r.stdout.splitlines():
        parts = ln.strip().split("|")
        if len(parts) < 2:
            continue
        try:
            out.setdefault(parts[0], set()).add(int(parts[1]))
        except ValueError:
            pass
    return out


def slurm_scheduler(scheduler):
    """The :class:`Slurm` of a scheduler argument (a ``slurm:PARTITION`` string or a Slurm), else None.

    >>> slurm_scheduler("slurm:debug").partition, slurm_scheduler("local:2"), slurm_scheduler(None)
    ('debug', None, None)
    """
    if isinstance(scheduler, Slurm):
        return scheduler
    if isinstance(scheduler, str) and (scheduler == "slurm" or scheduler.startswith("slurm:")):
        return Slurm.from_sources(scheduler)
    return None


# --------------------------------------------------------------------------- packing
def plan_tasks(costs, max_tasks, min_s, max_s):
    """Pack stacks of estimated seconds ``costs`` into tasks: lists of stack indices.

    As many tasks as keep each at ``min_s`` of work or more (start-up amortised), at least enough to keep each
    under ``max_s`` where ``max_tasks`` allows, never more than ``max_tasks`` or the number of stacks; stacks go
    longest first to the least loaded task (balanced), and each task keeps its stacks in their given order.
    Every stack is in exactly one task.

    >>> plan_tasks([5, 5, 5, 5], max_tasks=10, min_s=10, max_s=100)
    [[0, 2], [1, 3]]
    >>> plan_tasks([50, 1, 1, 1], max_tasks=10, min_s=1, max_s=100)
    [[0], [1], [2], [3]]
    >>> plan_tasks([], 10, 1, 100)
    []
    """
    n = len(costs)
    if n == 0:
        return []
    total = float(sum(costs))
    lo = max(min(min_s, max_s), 1e-9)
    k = max(1, math.floor(total / lo), math.ceil(total / max(max_s, 1e-9)))
    k = min(k, max_tasks, n)
    loads = [0.0] * k
    bins = [[] for _ in range(k)]
    for i in sorted(range(n), key=lambda i: (-costs[i], i)):
        j = min(range(k), key=lambda j: (loads[j], j))
        bins[j].append(i)
        loads[j] += costs[i]
    bins = [sorted(b) for b in bins if b]
    return sorted(bins, key=lambda b: b[0])


# --------------------------------------------------------------------------- GPU calibration
def gpu_factor(exp, cells=()):
    """``(GPU seconds per estimated CPU second, where it comes from)`` for ``exp``: its own measured factor,
    else its cell kind's, else the overall one (:data:`GPU_CALIBRATION`).

    >>> from scalinglab.validate import protocol
    >>> f, src = gpu_factor(protocol.get("rhm-fig6"))
    >>> f, src.startswith("measured for rhm-fig6")
    (0.00093, True)
    """
    cal = GPU_CALIBRATION
    if exp.name in cal["experiments"]:
        return cal["experiments"][exp.name], f"measured for {exp.name} on {cal['source']}"
    kinds = {getattr(type(c), "kind", type(c).__name__) for c in cells}
    known = [k for k in kinds if k in cal["kinds"]]
    if known:
        return cal["kinds"][known[0]], (f"not measured for {exp.name}: the factor of its cell kind {known[0]!r} "
                                        f"on {cal['source']}")
    return cal["overall"], f"not measured for {exp.name}: the overall factor of {cal['source']}"


def calibrate(folder):
    """GPU seconds per estimated CPU second, from the rows of a GPU run's results ``folder``.

    For every reproduction folder under ``folder`` (a ``manifest.json``), the rows whose device is CUDA are
    matched to their cells by key: factor = sum of their ``wall_s`` / sum of :meth:`Experiment.cost` of those
    cells. Returns ``{"experiments": {name: factor}, "kinds": {kind: pooled factor}, "overall": factor,
    "cells": {name: n}}``, factors to 2 significant digits (the form of :data:`GPU_CALIBRATION`).

    >>> calibrate("no-such-folder")["experiments"]
    {}
    """
    from scalinglab.validate import protocol
    from scalinglab.validate.storage import Manifest, RowStore

    root = Path(folder)
    exps, kinds, counts, stores = {}, {}, {}, {}
    tot = [0.0, 0.0]
    for d in sorted(p for p in root.iterdir() if (p / "manifest.json").exists()) if root.is_dir() else []:
        man = Manifest.load(d)
        try:
            exp = protocol.get(man.experiment)
        except InputError:
            continue
        cells = {protocol.cell_key(c): c for c in exp.cells(exp.config_from_dict(man.data["config"]))}
        rdir = protocol.rows_folder(d, man.data)
        if rdir not in stores:
            stores[rdir] = RowStore(rdir).read(quarantine=False).rows
        got = [(r["wall_s"], cells[r["key"]]) for r in stores[rdir]
               if r.get("key") in cells and str(r.get("device", "")).startswith("cuda") and r.get("wall_s")]
        if not got:
            continue
        wall, cost = sum(w for w, _ in got), sum(exp.cost(c) for _, c in got)
        exps[exp.name] = _sig(wall / cost)
        counts[exp.name] = len(got)
        kind = getattr(type(got[0][1]), "kind", type(got[0][1]).__name__)
        kw = kinds.setdefault(kind, [0.0, 0.0])
        kw[0] += wall
        kw[1] += cost
        tot[0] += wall
        tot[1] += cost
    return {"experiments": exps, "kinds": {k: _sig(w / c) for k, (w, c) in kinds.items()},
            "overall": _sig(tot[0] / tot[1]) if tot[1] else None, "cells": counts}


def _sig(x, n=2):
    return float(f"{x:.{n}g}")


# --------------------------------------------------------------------------- the task (on a node)
class _Requeue:
    """USR1 before the time limit: requeue this array task when it stored rows in this life, else say why not."""

    def __init__(self):
        self.stored = 0

    def __call__(self, signum, frame):
        job = os.environ.get("SLURM_ARRAY_JOB_ID") or os.environ.get("SLURM_JOB_ID", "")
        task = os.environ.get("SLURM_ARRAY_TASK_ID")
        target = f"{job}_{task}" if task is not None else job
        if self.stored and job:
            print(f"[scalinglab] time limit near: requeueing {target} ({self.stored} cell(s) stored in this run; "
                  "the requeued task skips them)", flush=True)
            subprocess.run(["scontrol", "requeue", target], check=False)
        else:
            print("[scalinglab] time limit near and no stack finished in this run: not requeued (a stack takes "
                  "longer than --time: raise --time)", flush=True)


def run_task(plan_path, task):
    """Run array task ``task`` of the plan at ``plan_path`` (what ``job.sh`` calls on a node); returns the
    number of cells it stored. Cells already stored are skipped, so a requeued task resumes."""
    from scalinglab.validate import protocol
    from scalinglab.validate.storage import RowStore

    plan = json.loads(Path(plan_path).read_text())
    if plan.get("format") != PLAN_FORMAT:
        raise InputError(f"{plan_path}: not a plan of this version ({plan.get('format')!r})")
    try:
        exp = protocol.get(plan["experiment"])
    except InputError:
        import importlib

        mod = importlib.import_module(plan["module"])  # an experiment registered by the user's own module
        exp = getattr(mod, plan["class"])()
    config = exp.config_from_dict(plan["config"])
    cells = {protocol.cell_key(c): c for c in exp.cells(config)}
    blocks = plan["tasks"][task]
    unknown = [k for b in blocks for k in b if k not in cells]
    if unknown:
        raise InputError(f"{plan_path}: {len(unknown)} cell key(s) of task {task} are not cells of this "
                         "experiment's config here (another version of scalinglab on the nodes?)")
    device = protocol.resolve_device(plan["device"])
    store = RowStore(plan["rows_store"])
    done = protocol._Done(store)
    handler = _Requeue()
    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, handler)
    restart = os.environ.get("SLURM_RESTART_COUNT", "0")
    print(f"[scalinglab] {plan['experiment']} task {task}: {len(blocks)} stack(s) on {device} "
          f"(host {os.uname().nodename if hasattr(os, 'uname') else '?'}, restart {restart})", flush=True)
    for i, keys in enumerate(blocks):
        done.refresh()
        todo = [cells[k] for k in keys if k not in done.keys]
        if not todo:
            print(f"[scalinglab] stack {i + 1}/{len(blocks)}: stored already", flush=True)
            continue
        res, wall = protocol._run_block(exp, todo, device)
        protocol._write_rows(store, exp, todo, res, wall, device, {c: protocol.cell_key(c) for c in todo})
        handler.stored += len(todo)
        print(f"[scalinglab] stack {i + 1}/{len(blocks)}: {len(todo)} cell(s) in {wall:.1f} s", flush=True)
    store.close()
    print(f"[scalinglab] task {task} done: {handler.stored} cell(s) stored", flush=True)
    return handler.stored


def main(argv=None):
    """``python -m scalinglab.validate.cluster PLAN TASK`` (the job script's command)."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m scalinglab.validate.cluster PLAN.json TASK_ID", file=sys.stderr)
        return 2
    try:
        run_task(argv[0], int(argv[1]))
    except InputError as exc:
        print(f"scalinglab: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover - runs on a node
    raise SystemExit(main())
