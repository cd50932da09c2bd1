"""The Slurm flags of the sweep commands (``reproduce``, ``run``): one argument group, read into a
:class:`~scalinglab.validate.cluster.Slurm` together with the spec's ``[cluster]`` table."""

from __future__ import annotations

from scalinglab.errors import InputError

#: flag dest -> Slurm field
_FIELDS = {"slurm_partition": "partition", "slurm_time": "time", "slurm_gpus": "gpus", "slurm_cpus": "cpus",
           "slurm_mem": "mem", "slurm_account": "account", "slurm_qos": "qos", "slurm_constraint": "constraint",
           "slurm_sbatch_args": "sbatch_args", "slurm_setup": "setup", "slurm_python": "python",
           "slurm_max_jobs": "max_jobs", "slurm_parallel": "parallel", "slurm_min_job_time": "min_job_time",
           "slurm_retries": "retries"}


def add_slurm_flags(p):
    """The argument group "Slurm" of a sweep command (with ``--scheduler slurm:PARTITION``)."""
    g = p.add_argument_group(
        "Slurm (with --scheduler slurm:PARTITION)",
        "Cells run as one job array: the engine's stacks packed into tasks by the cost estimate. Each value "
        "overrides the spec's [cluster] table, which overrides the defaults; --dry-run shows them all, the "
        "#SBATCH lines, the tasks and the GPU-hours.")
    g.add_argument("--partition", dest="slurm_partition", metavar="NAME",
                   help="partition (also slurm:NAME in --scheduler)")
    g.add_argument("--time", dest="slurm_time", metavar="TIME",
                   help="time limit of each task: minutes, H:MM:SS or D-HH:MM:SS (default 60 minutes)")
    g.add_argument("--gpus", dest="slurm_gpus", metavar="[TYPE:]N", help="GPUs per task, e.g. 1 or a100:1")
    g.add_argument("--cpus", dest="slurm_cpus", metavar="N", help="CPUs per task (default 1)")
    g.add_argument("--mem", dest="slurm_mem", metavar="SIZE", help="memory per task, e.g. 16G (default: the "
                   "cluster's)")
    g.add_argument("--account", dest="slurm_account", metavar="NAME")
    g.add_argument("--qos", dest="slurm_qos", metavar="NAME")
    g.add_argument("--constraint", dest="slurm_constraint", metavar="FEATURES")
    g.add_argument("--sbatch-arg", dest="slurm_sbatch_args", metavar="ARG", action="append",
                   help="another #SBATCH option, verbatim (repeatable; write --sbatch-arg=--exclusive)")
    g.add_argument("--job-setup", dest="slurm_setup", metavar="LINE", action="append",
                   help="a shell line run before each task, e.g. 'module load cuda' (repeatable)")
    g.add_argument("--python", dest="slurm_python", metavar="PATH",
                   help="the interpreter on the nodes (default: this one)")
    g.add_argument("--max-jobs", dest="slurm_max_jobs", metavar="N", help="most tasks in the array (default 50)")
    g.add_argument("--parallel", dest="slurm_parallel", metavar="N",
                   help="most tasks running at once (default 20)")
    g.add_argument("--min-job-time", dest="slurm_min_job_time", metavar="TIME",
                   help="least estimated work per task (default 5 minutes)")
    g.add_argument("--retries", dest="slurm_retries", metavar="N",
                   help="resubmissions of cells still missing when the array ended (default 2)")
    g.add_argument("--no-wait", dest="slurm_no_wait", action="store_true",
                   help="submit and return; the same command run later collects the results")


def slurm_from_args(scheduler, args, table=None):
    """The scheduler for :func:`~scalinglab.validate.protocol.execute`: a Slurm built from ``--scheduler``,
    the flags and the spec's ``[cluster]`` ``table`` when the scheduler is Slurm, else ``scheduler`` unchanged
    (a Slurm flag without a Slurm scheduler is an error)."""
    from scalinglab.validate import cluster

    given = {f: getattr(args, d, None) for d, f in _FIELDS.items()}
    given = {f: v for f, v in given.items() if v not in (None, [], ())}
    no_wait = getattr(args, "slurm_no_wait", False)
    is_slurm = isinstance(scheduler, str) and (scheduler == "slurm" or scheduler.startswith("slurm:"))
    if not is_slurm:
        if given or no_wait:
            flag = "--no-wait" if not given else "--" + next(d for d, f in _FIELDS.items() if f in given)[6:] \
                .replace("_", "-").replace("sbatch-args", "sbatch-arg").replace("setup", "job-setup")
            raise InputError(f"{flag} goes with --scheduler slurm:PARTITION (Slurm job arrays)")
        return scheduler
    return cluster.Slurm.from_sources(scheduler, spec=table, cli=given, wait=not no_wait)


def _hms(seconds):
    from scalinglab.validate.cluster import format_time

    return format_time(seconds)


def slurm_plan_text(name, d, max_tasks_shown=12):
    """The lines ``--dry-run`` prints for the Slurm plan ``d`` (:meth:`Slurm.dry_run`)."""
    if not d["n_tasks"]:
        return [f"Slurm ({d['scheduler']}): every cell is stored; nothing would be submitted"]
    lines = [f"Slurm (nothing submitted): {d['n_jobs']} job array of {d['n_tasks']} task(s), at most "
             f"{min(d['resources']['parallel'], d['n_tasks'])} at once, for {d['n_cells']} cell(s) in "
             f"{d['n_stacks']} stack(s)"]
    if d["gpus_per_task"]:
        lines.append(f"  GPU-hours: ~{d['gpu_hours']:.3g} ({d['gpus_per_task']} GPU(s) per task; "
                     f"{d['est_hours']:.3g} task-hours in all, start-up included)")
        lines.append(f"  calibration: {d['calibration']} (GPU s per estimated CPU s {d['factor']:g})")
    else:
        lines.append(f"  CPU-hours: ~{d['cpu_hours']:.3g} ({d['resources']['cpus']} CPU(s) per task; "
                     f"{d['est_hours']:.3g} task-hours in all; {d['calibration']})")
    lines.append("  resources (value, from):")
    for k, v in d["resources"].items():
        shown = "-" if v in (None, [], ()) else (" ".join(v) if isinstance(v, list) else v)
        lines.append(f"    {k:13s} {str(shown):24s} {d['sources'][k]}")
    lines.append("  tasks (cells, stacks, estimated time):")
    for i, t in enumerate(d["tasks"][:max_tasks_shown]):
        lines.append(f"    task {i:3d}: {t['cells']:5d} cells {t['stacks']:4d} stacks  ~{_hms(t['est_s'])}")
    if len(d["tasks"]) > max_tasks_shown:
        lines.append(f"    ... {len(d['tasks']) - max_tasks_shown} more task(s)")
    lines.append("  job script header:")
    lines += [f"    {ln}" for ln in d["sbatch"]]
    lines += [f"  warning: {w}" for w in d["warnings"]]
    return lines
