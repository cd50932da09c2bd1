"""Slurm sweeps against a real Slurm: a single-node cluster on localhost, brought up for the test and torn down.

Needs Debian's ``slurm-wlm`` and ``munge`` (``apt-get install -y slurm-wlm munge``) and root (slurmd starts the
jobs); skipped with the reason where Slurm cannot start (CI has no Slurm). Everything lives in a private
temporary folder: a fresh munge key and ``munged`` on its own socket, a minimal ``slurm.conf`` (one node, this
machine, on free ports, no accounting, no cgroups), ``slurmctld`` and ``slurmd``; ``SLURM_CONF`` points the
client commands at it. Run it with::

    python -m pytest -m slow tests/test_slurm_real.py -v

(see docs/developer/slurm.md). It runs the quick spectral-rf-regimes reproduction (132 cells) through
``scalinglab reproduce --scheduler slurm:debug`` as a user would, requeues one running task in the middle (what a
preemption does), and checks that every row is stored once and equals the row of an in-process run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from scalinglab.validate import protocol
from scalinglab.validate.storage import RowStore

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "sinfo", "scancel")


def _which(name):
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.path.exists(p)),
                                      None)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mem_mb():
    try:
        for ln in open("/proc/meminfo"):
            if ln.startswith("MemTotal:"):
                return int(ln.split()[1]) // 1024
    except OSError:
        pass
    return 2000


class LocalSlurm:
    """A single-node Slurm in ``folder``: munged, slurmctld, slurmd; ``stop()`` ends them (by their pids)."""

    def __init__(self, folder):
        self.dir = Path(folder)
        self.env = {**os.environ, "SLURM_CONF": str(self.dir / "slurm.conf")}
        self.pids = []

    def _pid(self, name):
        p = self.dir / f"{name}.pid"
        for _ in range(100):
            if p.exists() and p.read_text().strip():
                return int(p.read_text().strip())
            time.sleep(0.1)
        return None

    def start(self):
        d = self.dir
        (d / "munge").mkdir(mode=0o700)
        for sub in ("state", "spool", "log"):
            (d / sub).mkdir()
        key, sock = d / "munge" / "munge.key", d / "munge" / "munge.sock"
        subprocess.run([_which("mungekey"), "--create", f"--keyfile={key}", "--bits=1024"], check=True,
                       capture_output=True)
        subprocess.run([_which("munged"), "--force", f"--socket={sock}", f"--key-file={key}",
                        f"--pid-file={d / 'munged.pid'}", f"--log-file={d / 'log' / 'munged.log'}",
                        f"--seed-file={d / 'munge' / 'seed'}"], check=True, capture_output=True)
        self.pids.append(self._pid("munged"))
        host = socket.gethostname().split(".")[0]
        cpus = os.cpu_count() or 1
        conf = f"""ClusterName=sltest
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
StateSaveLocation={d / 'state'}
SlurmdSpoolDir={d / 'spool'}
SlurmctldPidFile={d / 'slurmctld.pid'}
SlurmdPidFile={d / 'slurmd.pid'}
SlurmctldLogFile={d / 'log' / 'slurmctld.log'}
SlurmdLogFile={d / 'log' / 'slurmd.log'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={min(4000, _mem_mb() // 2)} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""
        (d / "slurm.conf").write_text(conf)
        subprocess.run([_which("slurmctld"), "-i"], env=self.env, check=True, capture_output=True, timeout=60)
        self.pids.append(self._pid("slurmctld"))
        subprocess.run([_which("slurmd"), "-N", host], env=self.env, check=True, capture_output=True, timeout=60)
        self.pids.append(self._pid("slurmd"))
        for _ in range(60):
            r = subprocess.run(["sinfo", "-h", "-o", "%t"], env=self.env, capture_output=True, text=True)
            if r.returncode == 0 and r.stdout.strip() == "idle":
                return
            time.sleep(0.5)
        raise RuntimeError(f"the node did not come up idle (sinfo: {r.stdout.strip() or r.stderr.strip()}); "
                           f"slurmd log: {self.tail('slurmd')}")

    def tail(self, name, n=3):
        p = self.dir / "log" / f"{name}.log"
        return " | ".join(p.read_text(errors="replace").splitlines()[-n:]) if p.exists() else "(no log)"

    def stop(self):
        subprocess.run(["scancel", "-u", "root"], env=self.env, capture_output=True, timeout=30)
        for pid in reversed([p for p in self.pids if p]):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def local_slurm():
    missing = [n for n in DAEMONS + CLIENTS if not _which(n)]
    if missing:
        pytest.skip(f"no Slurm here ({', '.join(missing)} not found): apt-get install -y slurm-wlm munge")
    if os.geteuid() != 0:
        pytest.skip("a local slurmd needs root (it starts the jobs)")
    folder = tempfile.mkdtemp(prefix="sl", dir="/tmp")  # short: munge's socket path has a length limit
    os.chmod(folder, 0o700)
    slurm = LocalSlurm(folder)
    try:
        try:
            slurm.start()
        except (subprocess.SubprocessError, OSError, RuntimeError) as exc:
            pytest.skip(f"a local Slurm could not start: {exc}; slurmctld log: {slurm.tail('slurmctld')}")
        yield slurm
    finally:
        slurm.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _cli(args, cwd, env, **kw):
    env = {**env, "PYTHONPATH": str(ROOT), "SCALINGLAB_PROGRESS": "0", "SCALINGLAB_SLURM_POLL": "1"}
    return subprocess.Popen([sys.executable, "-m", "scalinglab"] + args, cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def _rows(folder):
    read = RowStore(folder).read(quarantine=False)
    return read, {r["key"]: {k: v for k, v in r.items() if not k.startswith(protocol.WALL_PREFIX)}
                  for r in read.rows}


def test_a_reproduction_through_a_real_slurm_matches_in_process_and_survives_a_requeue(local_slurm, tmp_path):
    env = local_slurm.env
    work = tmp_path / "work"
    work.mkdir()
    t0 = time.monotonic()
    proc = _cli(["reproduce", "spectral-rf-regimes", "--quick", "--scheduler", "slurm:debug", "--max-jobs", "3",
                 "--min-job-time", "0", "--time", "10", "--out", str(tmp_path / "slurm")], work, env)
    # once the first rows are in, requeue a running task (what a preemption does), and let it start at once
    rows_dir = tmp_path / "slurm" / "rows"
    requeued = None
    deadline = time.monotonic() + 300
    while requeued is None and time.monotonic() < deadline and proc.poll() is None:
        n = sum(p.read_bytes().count(b"\n") for p in rows_dir.glob("*.jsonl")) if rows_dir.is_dir() else 0
        q = subprocess.run(["squeue", "-h", "-r", "-o", "%F_%K|%T"], env=env, capture_output=True, text=True)
        running = [ln.split("|")[0] for ln in q.stdout.split() if ln.endswith("|RUNNING")]
        if n >= 5 and running:
            requeued = running[0]
            subprocess.run(["scontrol", "requeue", requeued], env=env, check=True)
            time.sleep(1)
            subprocess.run(["scontrol", "update", f"JobId={requeued}", "StartTime=now"], env=env)
        time.sleep(0.5)
    out, err = proc.communicate(timeout=600)
    wall = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert requeued is not None, "no running task to requeue was seen"
    print(f"\n{err}{out}\nthrough Slurm in {wall:.0f} s; task {requeued} was requeued in the middle")

    read, slurm_rows = _rows(tmp_path / "slurm")
    assert len(read.rows) == 132 and read.duplicates == 0  # nothing lost, nothing run twice
    (sub,) = list((tmp_path / "slurm" / "slurm").iterdir())
    job, task = requeued.split("_")
    log = (sub / "logs" / f"{job}_{task}.out").read_text()
    assert "restart 1" in log and "DUE TO JOB REQUEUE" in log
    plan = json.loads((sub / "plan.json").read_text())
    assert len(plan["tasks"]) == 3
    assert list(work.iterdir()) == []  # no logs in the working directory

    t0 = time.monotonic()
    here = _cli(["reproduce", "spectral-rf-regimes", "--quick", "--out", str(tmp_path / "here")], work, env)
    _, err2 = here.communicate(timeout=600)
    assert here.returncode == 0, err2
    print(f"in-process in {time.monotonic() - t0:.0f} s")
    _, here_rows = _rows(tmp_path / "here")
    assert slurm_rows == here_rows  # every measured value equal, cell by cell


def test_the_tiny_gpu_queue_through_a_real_slurm(local_slurm, tmp_path):
    pytest.importorskip("torch")
    env = {**local_slurm.env, "PYTHONPATH": str(ROOT), "SCALINGLAB_PROGRESS": "0", "SCALINGLAB_SLURM_POLL": "1"}
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu" / "slurm_queue.py"), "--scheduler",
                        "slurm:debug", "--mode", "tiny", "--only", "20-*", "--seeds", "2", "--min-job-time", "0",
                        "--max-jobs", "2", "--results", str(tmp_path / "res")], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=900)
    print(f"\n{r.stdout}{r.stderr}")
    assert r.returncode == 0, r.stderr
    assert "rhm-width: 24 of 24 cells stored" in r.stdout
    read = RowStore(tmp_path / "res" / "rhm-runs").read(quarantine=False)
    assert len(read.rows) == 24 and read.duplicates == 0
    assert (tmp_path / "res" / "rhm-width" / "report.md").exists()


def test_resources_the_cluster_lacks_are_refused_before_anything_is_written(local_slurm, tmp_path):
    proc = _cli(["reproduce", "brill-fig2", "--quick", "--scheduler", "slurm:debug", "--gpus", "1",
                 "--out", str(tmp_path / "o")], tmp_path, local_slurm.env)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [
        "scalinglab: error: --scheduler slurm:debug: sbatch refuses these resources (sbatch: error: Invalid "
        "generic resource (gres) specification); nothing was written"]
    proc = _cli(["reproduce", "brill-fig2", "--quick", "--scheduler", "slurm:gpu", "--out", str(tmp_path / "o")],
                tmp_path, local_slurm.env)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "partition 'gpu' not found; partitions here: debug" in err
    assert not (tmp_path / "o").exists()
