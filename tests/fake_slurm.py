"""A stand-in for Slurm's client commands, for the fast tests of ``scalinglab.validate.cluster`` (CI has no Slurm;
``tests/test_slurm_real.py`` runs against a real one).

``install(tmp_path, monkeypatch)`` puts ``sbatch``, ``squeue``, ``sinfo`` and ``scontrol`` on PATH, each a shell
wrapper calling this file. ``sbatch`` reads the ``#SBATCH --array=0-N%K`` and ``--output`` lines of the script,
prints the job id and runs the tasks in the background, one after the other, as Slurm would (``bash SCRIPT`` with
``SLURM_ARRAY_TASK_ID``, ``SLURM_ARRAY_JOB_ID`` and ``SLURM_JOB_ID`` set, output appended to the expanded
``--output``); ``squeue -o '%F|%K|%T'`` lists the tasks not finished. Environment knobs (read at each call):

* ``FAKE_SLURM_FAIL="0,2"``: those tasks of the *first* job die before running (a node failure);
* ``FAKE_SLURM_REFUSE="message"``: ``sbatch --test-only`` refuses the resources with that message;
* ``FAKE_SLURM_DEFER=1``: jobs are recorded, not run (``squeue`` lists their tasks as PENDING) until
  :func:`release` runs them.

Every call is logged to ``STATE/calls.log``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()


def install(tmp_path, monkeypatch, partitions=("debug",)):
    """Put the fake commands first on PATH; returns the state folder."""
    state = Path(tmp_path) / "fake-slurm"
    bin_ = state / "bin"
    bin_.mkdir(parents=True)
    for tool in ("sbatch", "squeue", "sinfo", "scontrol"):
        p = bin_ / tool
        p.write_text(f"#!/bin/sh\nexec {sys.executable} {HERE} {tool} \"$@\"\n")
        p.chmod(0o755)
    (state / "partitions").write_text("\n".join(partitions) + "\n")
    monkeypatch.setenv("PATH", f"{bin_}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SLURM_STATE", str(state))
    monkeypatch.setenv("SCALINGLAB_SLURM_POLL", "0.05")
    return state


def jobs(state):
    """The jobs submitted so far: ``[{"id", "script", "n"}]``."""
    d = Path(state) / "jobs"
    return [json.loads(p.read_text()) for p in sorted(d.glob("*.json"), key=lambda p: int(p.stem))] \
        if d.is_dir() else []


def release(state):
    """Run every deferred job (FAKE_SLURM_DEFER) now, here."""
    for job in jobs(state):
        if job.get("deferred"):
            job["deferred"] = False
            (Path(state) / "jobs" / f"{job['id']}.json").write_text(json.dumps(job))
            _run_job(job, fail=())


def _directive(text, name):
    m = re.search(rf"^#SBATCH --{name}=(\S+)", text, re.M)
    return m.group(1) if m else None


def _run_job(job, fail):
    """Run the tasks of ``job`` one after the other; each task's end is marked in STATE/jobs/<id>.done-<t>."""
    state = Path(os.environ["FAKE_SLURM_STATE"])
    text = Path(job["script"]).read_text()
    out = _directive(text, "output")
    for t in range(job["n"]):
        log = out.replace("%A", str(job["id"])).replace("%a", str(t))
        Path(log).parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a") as fh:
            if t in fail:
                fh.write("fake-slurm: task killed before it ran (node failure)\n")
            else:
                env = {**os.environ, "SLURM_ARRAY_TASK_ID": str(t), "SLURM_ARRAY_JOB_ID": str(job["id"]),
                       "SLURM_JOB_ID": str(job["id"] * 1000 + t), "SLURM_RESTART_COUNT": "0"}
                subprocess.run(["bash", job["script"]], stdout=fh, stderr=subprocess.STDOUT, env=env, check=False)
        (state / "jobs" / f"{job['id']}.done-{t}").write_text("")


def _alive(state, job):
    return [t for t in range(job["n"]) if not (Path(state) / "jobs" / f"{job['id']}.done-{t}").exists()]


def main(argv):
    state = Path(os.environ["FAKE_SLURM_STATE"])
    tool, args = argv[0], argv[1:]
    with open(state / "calls.log", "a") as fh:
        fh.write(" ".join([tool] + args) + "\n")
    if tool == "sinfo":
        print((state / "partitions").read_text().strip())
        return 0
    if tool == "squeue":
        for job in jobs(state):
            for t in _alive(state, job):
                print(f"{job['id']}|{t}|{'PENDING' if job.get('deferred') else 'RUNNING'}")
        return 0
    if tool == "_run":  # the background runner sbatch starts
        job = json.loads((state / "jobs" / f"{args[0]}.json").read_text())
        _run_job(job, {int(x) for x in args[1].split(",") if x})
        return 0
    if tool == "scontrol":
        return 0
    if tool != "sbatch":
        return 1
    script = args[-1]
    text = Path(script).read_text()
    if "--test-only" in args:
        if os.environ.get("FAKE_SLURM_REFUSE"):
            print(f"sbatch: error: {os.environ['FAKE_SLURM_REFUSE']}", file=sys.stderr)
            return 1
        print("sbatch: Job 99 to start at 2026-01-01T00:00:00 using 1 processors on nodes n01", file=sys.stderr)
        return 0
    m = re.match(r"0-(\d+)(?:%(\d+))?$", _directive(text, "array") or "")
    if not m:
        print("sbatch: error: no --array directive", file=sys.stderr)
        return 1
    (state / "jobs").mkdir(exist_ok=True)
    job_id = len(jobs(state)) + 1
    job = {"id": job_id, "script": str(Path(script).resolve()), "n": int(m.group(1)) + 1,
           "deferred": os.environ.get("FAKE_SLURM_DEFER") == "1"}
    (state / "jobs" / f"{job_id}.json").write_text(json.dumps(job))
    if not job["deferred"]:  # the tasks run in the background, one after the other; squeue lists them meanwhile
        fail = os.environ.get("FAKE_SLURM_FAIL", "").replace(" ", "") if job_id == 1 else ""
        with open(state / f"runner-{job_id}.log", "w") as log:
            subprocess.Popen([sys.executable, str(HERE), "_run", str(job_id), fail], stdout=log,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    print(job_id if "--parsable" in args else f"Submitted batch job {job_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
