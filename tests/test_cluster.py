"""Slurm sweeps (``scalinglab.validate.cluster``) without a Slurm: parsing, packing, the dry-run plan, the refusal
when Slurm is unreachable, and whole sweeps through a stand-in ``sbatch`` (``tests/fake_slurm.py``) compared with
an in-process run. ``tests/test_slurm_real.py`` runs the same against a real single-node Slurm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import fake_slurm
from scalinglab.cli import main
from scalinglab.errors import InputError
from scalinglab.validate import cluster, protocol
from scalinglab.validate.cluster import Slurm, parse_time, plan_tasks
from scalinglab.validate.storage import RowStore

ROOT = Path(__file__).resolve().parents[1]

SMALL_RF = """
experiment = "spectral-rf-regimes"
alpha_K = 0.5
S = 300
fixed = 20
seeds = 1
resolution_x = [10.0, 40.0, 3.0]
variance_x = [160.0, 640.0, 3.0]
"""


def _rows(folder):
    """``{key: row without wall times}`` of a store."""
    return {r["key"]: {k: v for k, v in r.items() if not k.startswith(protocol.WALL_PREFIX)}
            for r in RowStore(folder).read().rows}


# --------------------------------------------------------------------------- parsing and sources
@pytest.mark.parametrize("text,sec", [("1", 60), ("90", 5400), ("5:30", 330), ("1:00:00", 3600), ("2-0", 172800),
                                      ("1-2:03", 93780), ("0-0:0:7", 7)])
def test_time_formats_of_slurm(text, sec):
    assert parse_time(text) == sec
    assert parse_time(cluster.format_time(sec)) == sec


@pytest.mark.parametrize("bad", ["", "1h", "-5", "0", "1:2:3:4", "a-1"])
def test_bad_times_are_one_line_errors(bad):
    with pytest.raises(InputError, match="--time"):
        parse_time(bad)


def test_sources_in_order_default_spec_command_line():
    s = Slurm.from_sources("slurm:gpu", spec={"time": "2:00:00", "cpus": 4, "qos": "low", "sbatch_args": "--x=1"},
                           cli={"cpus": "8", "gpus": "h100:2"})
    assert (s.partition, s.time_s, s.cpus, s.gpus, s.n_gpus, s.qos) == ("gpu", 7200, 8, "h100:2", 2, "low")
    assert s.sources["cpus"] == "command line" and s.sources["time"] == "spec" and s.sources["mem"] == "default"
    assert s.sbatch_args == ("--x=1",)
    assert Slurm.from_sources("slurm", spec={"partition": "a"}, cli={"partition": "b"}).partition == "b"
    assert Slurm.from_sources("slurm:c", spec={"partition": "b"}).partition == "c"  # the address wins over a spec
    with pytest.raises(InputError, match="name two partitions"):
        Slurm.from_sources("slurm:c", cli={"partition": "b"})


@pytest.mark.parametrize("spec,cli,match", [
    ({}, {"gpus": "x:y"}, "--gpus 'x:y': use N or TYPE:N"),
    ({}, {"gpus": "0"}, "at least one GPU"),
    ({"mem": "lots"}, {}, "spec key 'cluster.mem'"),
    ({}, {"cpus": "0"}, "--cpus: must be >= 1"),
    ({"retries": 1.5}, {}, "whole number"),
    ({"max_jobs": True}, {}, "whole number"),
    ({}, {"sbatch_args": ["exclusive"]}, "not an sbatch option"),
    ({"setup": ["a\nb"]}, {}, "line break"),
    ({"partition": "a b"}, {}, "not a Slurm name"),
    ({"gpu": 1}, {}, "unknown spec key 'cluster.gpu'"),
])
def test_bad_resources_are_one_line_errors(spec, cli, match):
    with pytest.raises(InputError, match=match.replace("(", r"\(").replace(")", r"\)")):
        Slurm.from_sources("slurm:debug", spec=spec, cli=cli)


def test_a_partition_is_needed():
    with pytest.raises(InputError, match="needs a partition"):
        Slurm.from_sources("slurm:")


def test_directives_hold_every_resource():
    s = Slurm.from_sources("slurm:gpu", cli={"gpus": "a100:1", "cpus": "4", "mem": "16G", "account": "lab",
                                             "qos": "high", "constraint": "a100&ib", "time": "30",
                                             "sbatch_args": ["--exclusive"], "parallel": "3"})
    d = s.directives(10, "/x/logs", "rhm-fig6")
    for line in ("--partition=gpu", "--time=00:30:00", "--array=0-9%3", "--cpus-per-task=4", "--gres=gpu:a100:1",
                 "--mem=16G", "--account=lab", "--qos=high", "--constraint=a100&ib", "--output=/x/logs/%A_%a.out",
                 "--requeue", "--signal=B:USR1@120", "--exclusive", "--job-name=sl-rhm-fig6"):
        assert f"#SBATCH {line}" in d, line


# --------------------------------------------------------------------------- packing
@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e4), max_size=60), st.integers(1, 20), st.floats(0, 1e4), st.floats(1, 1e4))
def test_every_stack_is_in_exactly_one_task(costs, max_tasks, min_s, max_s):
    tasks = plan_tasks(costs, max_tasks, min_s, max_s)
    flat = sorted(i for t in tasks for i in t)
    assert flat == list(range(len(costs)))  # nothing lost, nothing twice
    assert len(tasks) <= max_tasks and all(t == sorted(t) for t in tasks)
    if costs and sum(costs) <= min(min_s, max_s):
        assert len(tasks) == 1  # little work: one task


def test_packing_is_balanced_and_sized_by_the_cost():
    tasks = plan_tasks([100.0] * 40, max_tasks=50, min_s=300, max_s=1800)  # 4000 s of work, >= 300 s a task
    assert len(tasks) == 13 and {len(t) for t in tasks} <= {3, 4}
    tasks = plan_tasks([100.0] * 40, max_tasks=5, min_s=1, max_s=10)  # capped by max_tasks
    assert len(tasks) == 5 and {len(t) for t in tasks} == {8}


# --------------------------------------------------------------------------- no silent fallback
def _cli(args, cwd, env=None, timeout=120):
    e = {**os.environ, "PYTHONPATH": str(ROOT), "SCALINGLAB_PROGRESS": "0", **(env or {})}
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "scalinglab"] + args, cwd=cwd, capture_output=True, text=True,
                       env=e, timeout=timeout)
    return r, time.monotonic() - t0


def test_no_slurm_is_one_line_in_seconds_and_writes_nothing(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    r, wall = _cli(["reproduce", "spectral-rf-regimes", "--quick", "--scheduler", "slurm:x", "--out", "res"],
                   tmp_path, {"PATH": str(bare)})
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "sbatch and squeue not found on PATH" in lines[0] and "nothing was written" in lines[0]
    assert wall < 30  # a process start and an import; the refusal itself is instant
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]  # no res/, no manifest.json, no logs


def test_a_controller_that_does_not_answer_is_one_line(tmp_path, monkeypatch):
    state = fake_slurm.install(tmp_path, monkeypatch)
    (state / "bin" / "squeue").write_text("#!/bin/sh\necho 'squeue: error: Unable to contact slurm controller' >&2"
                                          "\nexit 1\n")
    out = tmp_path / "res"
    with pytest.raises(InputError, match="squeue cannot reach the Slurm controller.*Unable to contact"):
        exp = protocol.get("spectral-rf-regimes")
        protocol.execute(exp, exp.config_type(), out, scheduler="slurm:debug")
    assert not out.exists()


def test_an_unknown_partition_is_one_line(tmp_path, monkeypatch):
    fake_slurm.install(tmp_path, monkeypatch, partitions=("cpu", "gpu"))
    exp = protocol.get("spectral-rf-regimes")
    with pytest.raises(InputError, match="partition 'debug' not found; partitions here: cpu, gpu"):
        protocol.execute(exp, exp.config_type(), tmp_path / "res", scheduler="slurm:debug")
    assert not (tmp_path / "res").exists()


def test_resources_sbatch_refuses_are_one_line_before_anything_is_written(tmp_path, monkeypatch, capsys):
    fake_slurm.install(tmp_path, monkeypatch)
    monkeypatch.setenv("FAKE_SLURM_REFUSE", "Invalid generic resource (gres) specification")
    out = tmp_path / "res"
    assert main(["reproduce", "brill-fig2", "--quick", "--scheduler", "slurm:debug", "--gpus", "v100:1",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["scalinglab: error: --scheduler slurm:debug: sbatch refuses these resources (sbatch: error: "
                   "Invalid generic resource (gres) specification); nothing was written"]
    assert not out.exists()


def test_slurm_flags_need_a_slurm_scheduler(tmp_path, capsys):
    assert main(["reproduce", "brill-fig2", "--quick", "--gpus", "1", "--out", str(tmp_path / "o")]) == 2
    assert "--gpus goes with --scheduler slurm:PARTITION" in capsys.readouterr().err
    assert main(["reproduce", "brill-fig2", "--quick", "--no-wait", "--scheduler", "local:1",
                 "--out", str(tmp_path / "o")]) == 2
    assert "--no-wait goes with --scheduler slurm" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- the plan a GPU reproduction shows
def test_dry_run_of_a_gpu_reproduction_shows_jobs_resources_and_gpu_hours(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "o"
    args = ["reproduce", "rhm-fig6", "--scheduler", "slurm:gpu", "--gpus", "a100:1", "--time", "20",
            "--min-job-time", "0:20", "--mem", "16G", "--dry-run", "--out", str(out)]
    assert main(args + ["--json"]) == 0
    d = json.loads(capsys.readouterr().out)["slurm"]
    assert d["n_jobs"] == 1 and 1 < d["n_tasks"] <= 50 and d["n_cells"] == 560
    assert sum(t["cells"] for t in d["tasks"]) == 560 and sum(t["stacks"] for t in d["tasks"]) == d["n_stacks"]
    # GPU-hours: the CPU cost model x the H100 factor of rhm-fig6, plus the start-up of each task
    exp = protocol.get("rhm-fig6")
    cells = exp.cells(exp.config_from_dict(protocol.shipped_spec("rhm-fig6")[0]))
    want = (sum(exp.cost(c) for c in cells) * cluster.GPU_CALIBRATION["experiments"]["rhm-fig6"]
            + cluster.TASK_OVERHEAD_S * d["n_tasks"]) / 3600
    assert d["gpu_hours"] == pytest.approx(want, rel=1e-3) and d["gpus_per_task"] == 1
    assert "#SBATCH --gres=gpu:a100:1" in d["sbatch"] and "#SBATCH --mem=16G" in d["sbatch"]
    assert d["sources"]["gpus"] == "command line" and d["sources"]["cpus"] == "default"
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "GPU-hours: ~" in text and "#SBATCH --partition=gpu" in text and "nothing submitted" in text
    assert "cpus          1                        default" in text
    assert not out.exists()  # a dry run writes nothing


def test_stored_cells_are_not_planned(tmp_path, monkeypatch):
    exp = protocol.get("brill-fig2")
    config = exp.config_type(c_over_D=(0.5, 2.0), n_points=20)
    protocol.execute(exp, exp.config_type(c_over_D=(0.5,), n_points=20), tmp_path, echo=None)
    oc = protocol.execute(exp, config, tmp_path, scheduler="slurm:debug", dry_run=True)
    assert oc.slurm["n_cells"] == 1 and oc.slurm["n_tasks"] == 1


# --------------------------------------------------------------------------- whole sweeps through a fake sbatch
def test_a_sweep_through_sbatch_matches_the_in_process_rows(tmp_path, monkeypatch, capsys):
    state = fake_slurm.install(tmp_path, monkeypatch)
    spec = tmp_path / "rf.toml"
    spec.write_text(SMALL_RF + '\n[cluster]\ncpus = 2\nmax_jobs = 2\nmin_job_time = "0"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(spec), "--out", "slurm-out", "--scheduler", "slurm:debug", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["n_ran"] == 12 and res["n_stored"] == 12
    assert main(["run", str(spec), "--out", "here"]) == 0
    capsys.readouterr()
    assert _rows(tmp_path / "slurm-out") == _rows(tmp_path / "here")
    (job,) = fake_slurm.jobs(state)
    script = Path(job["script"]).read_text()
    assert job["n"] == 2 and "#SBATCH --cpus-per-task=2" in script and "#SBATCH --array=0-1%2" in script
    # the script, plan and logs are under --out; nothing lands in the working directory
    sub = Path(job["script"]).parent
    assert sub.parent == (tmp_path / "slurm-out" / "slurm").resolve()
    assert sorted(p.name for p in sub.iterdir()) == ["job.sh", "job_id", "logs", "plan.json"]
    assert len(list((sub / "logs").glob("1_*.out"))) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-slurm", "here", "rf.toml", "slurm-out"]
    # a rerun finds every cell stored: nothing submitted
    assert main(["run", str(spec), "--out", "slurm-out", "--scheduler", "slurm:debug"]) == 0
    assert len(fake_slurm.jobs(state)) == 1


def test_failed_tasks_are_resubmitted_with_their_log_named(tmp_path, monkeypatch, capsys):
    state = fake_slurm.install(tmp_path, monkeypatch)
    monkeypatch.setenv("FAKE_SLURM_FAIL", "0")
    spec = tmp_path / "rf.toml"
    spec.write_text(SMALL_RF)
    assert main(["run", str(spec), "--out", str(tmp_path / "o"), "--scheduler", "slurm:debug", "--max-jobs", "2",
                 "--min-job-time", "0"]) == 0
    err = capsys.readouterr().err
    assert "not stored after Slurm job 1: resubmitting (1 of 2 retries)" in err
    assert "task 0 of job 1:" in err and "task killed before it ran (node failure)" in err
    jobs = fake_slurm.jobs(state)
    assert len(jobs) == 2
    first, again = (json.loads((Path(j["script"]).parent / "plan.json").read_text())["tasks"] for j in jobs)
    assert sorted(k for t in again for b in t for k in b) == sorted(k for b in first[0] for k in b)  # task 0's
    read = RowStore(tmp_path / "o").read()
    assert len(read.rows) == 12 and read.duplicates == 0


def test_retries_exhausted_leave_a_note_and_the_rows_there_are(tmp_path, monkeypatch, capsys):
    state = fake_slurm.install(tmp_path, monkeypatch)
    monkeypatch.setenv("FAKE_SLURM_FAIL", "1")
    spec = tmp_path / "rf.toml"
    spec.write_text(SMALL_RF)
    assert main(["run", str(spec), "--out", str(tmp_path / "o"), "--scheduler", "slurm:debug", "--max-jobs", "2",
                 "--min-job-time", "0", "--retries", "0"]) == 0
    out = capsys.readouterr().out
    assert "still missing after 1 Slurm submission(s)" in out
    assert len(fake_slurm.jobs(state)) == 1
    assert 0 < len(RowStore(tmp_path / "o").read().rows) < 12
    assert not list((tmp_path / "o" / ".claims").iterdir())  # no claim left behind


def test_no_wait_then_the_same_command_collects_without_resubmitting(tmp_path, monkeypatch, capsys):
    state = fake_slurm.install(tmp_path, monkeypatch)
    monkeypatch.setenv("FAKE_SLURM_DEFER", "1")
    spec = tmp_path / "rf.toml"
    spec.write_text(SMALL_RF)
    args = ["run", str(spec), "--out", str(tmp_path / "o"), "--scheduler", "slurm:debug"]
    assert main(args + ["--no-wait"]) == 0
    assert "12 cell(s) running in Slurm job(s) 1" in capsys.readouterr().out
    assert main(args + ["--no-wait"]) == 0  # the cells are in a live job: not submitted again
    assert len(fake_slurm.jobs(state)) == 1
    capsys.readouterr()
    fake_slurm.release(state)  # the job runs
    assert main(args + ["--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["n_stored"] == 12 and len(fake_slurm.jobs(state)) == 1
    assert not list((tmp_path / "o" / ".slurm-jobs").iterdir())  # the ended job's record is gone


def test_a_task_resumes_from_the_stored_rows(tmp_path, monkeypatch):
    # what a requeued (preempted) task does: the cells stored by its first life are skipped
    state = fake_slurm.install(tmp_path, monkeypatch)
    monkeypatch.setenv("FAKE_SLURM_DEFER", "1")
    exp = protocol.get("spectral-rf-regimes")
    spec = tmp_path / "rf.toml"
    spec.write_text(SMALL_RF)
    _, config, _, _ = protocol.config_from_spec_file(spec)
    oc = protocol.execute(exp, config, tmp_path / "o",
                          scheduler=Slurm.from_sources("slurm:debug", wait=False), echo=None)
    assert oc.n_stored == 0
    plan = next((tmp_path / "o" / "slurm").glob("*/plan.json"))
    first = json.loads(plan.read_text())["tasks"][0]
    # the first life stores the first stack, then dies
    keys = {protocol.cell_key(c): c for c in exp.cells(config)}
    block = [keys[k] for k in first[0]]
    res, wall = protocol._run_block(exp, block, "cpu")
    store = RowStore(tmp_path / "o")
    protocol._write_rows(store, exp, block, res, wall, "cpu", {c: protocol.cell_key(c) for c in block})
    store.close()
    n = cluster.run_task(plan, 0)
    assert n == sum(len(b) for b in first) - len(first[0])
    read = RowStore(tmp_path / "o").read()
    assert read.duplicates == 0 and len(read.rows) == sum(len(b) for b in first)
    assert len(fake_slurm.jobs(state)) == 1


def test_usr1_requeues_a_task_that_stored_something(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(cluster.subprocess, "run", lambda cmd, check=False: calls.append(cmd))
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "77")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3")
    h = cluster._Requeue()
    h(None, None)
    assert calls == [] and "not requeued" in capsys.readouterr().out
    h.stored = 5
    h(None, None)
    assert calls == [["scontrol", "requeue", "77_3"]] and "requeueing 77_3" in capsys.readouterr().out


def test_a_spec_cluster_table_is_not_part_of_the_config(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('experiment = "brill-fig2"\nc_over_D = [0.5]\nn_points = 20\n[cluster]\ngpus = 1\n')
    exp, config, _, _ = protocol.config_from_spec_file(spec)
    assert config == exp.config_type(c_over_D=(0.5,), n_points=20)  # the same cells, the same keys


# --------------------------------------------------------------------------- the GPU calibration
def test_the_gpu_calibration_is_what_the_reference_rows_say():
    pytest.importorskip("torch")
    pytest.importorskip("pandas")
    got = cluster.calibrate(ROOT / "results" / "reference" / "gpu")
    cal = cluster.GPU_CALIBRATION
    assert got["experiments"] == cal["experiments"]
    assert got["kinds"] == cal["kinds"] and got["overall"] == cal["overall"]
    assert min(got["cells"].values()) >= 100  # every factor rests on a hundred runs or more


def test_an_unmeasured_experiment_takes_its_kind_or_the_overall_factor():
    exp = protocol.get("brill-fig2")
    f, src = cluster.gpu_factor(exp, exp.cells(exp.config_type(c_over_D=(0.5,), n_points=20)))
    assert f == cluster.GPU_CALIBRATION["overall"] and src.startswith("not measured for brill-fig2")


# --------------------------------------------------------------------------- the GPU queue on Slurm
def _queue_module():
    sys.path.insert(0, str(ROOT / "benchmarks" / "gpu"))
    import slurm_queue

    return slurm_queue


def test_the_queue_is_every_reproduction_of_the_step_files():
    q = _queue_module()
    jobs, skipped = q.queue("*", seeds=10)
    names = [n for n, _ in jobs]
    assert len(names) == len(set(names))
    called = set()
    for step in sorted((ROOT / "benchmarks" / "gpu" / "steps").glob("*.sh")):
        called |= {n for n, _, _ in q.step_jobs(step)}
    assert set(names) == called and {"rhm-fig6", "rhm-width", "rhm-fig5", "spectral-teacher-student"} <= called
    assert dict(jobs)["rhm-fig6"] == 10 and dict(jobs)["spectral-teacher-student"] is None  # no --seeds: the spec's own
    assert [s for s, _ in skipped] == ["10-bench.sh"]
    assert dict(q.queue("*", seeds=3)[0])["rhm-fig6"] == 3



def test_a_new_step_file_is_read_as_it_is(tmp_path):
    step = tmp_path / "60-new-slice.sh"
    step.write_text('# budget_s: 60\n# a new GPU slice\n$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" '
                    '--seeds "$SEEDS" \\\n    --deadline $(( $(date +%s) + BUDGET_S - 5 )) rhm-new:4 rhm-new@300\n'
                    '$PY benchmarks/gpu/repro.py --results "$RESULTS" other-one\n')
    assert _queue_module().step_jobs(step) == [("rhm-new", 4, True), ("rhm-new", None, True),
                                               ("other-one", None, False)]


def test_the_queue_dry_run_prints_gpu_hours_per_reproduction(capsys):
    pytest.importorskip("torch")
    q = _queue_module()
    lines = []
    assert q.main(["--scheduler", "slurm:gpu", "--gpus", "1", "--dry-run", "--only", "[23]*",
                   "--results", "/nonexistent/results"], echo=lines.append) == 0
    text = "\n".join(lines)
    assert "rhm-width" in text and "rhm-fig6" in text and "GPU-hours (H100-calibrated)" in text
    assert "run by an earlier reproduction" in text and "total ~" in text and "--gres=gpu:1" in text


@pytest.mark.slow  # torch-trained tiny cells in task processes: a minute on 2 cores
def test_the_tiny_queue_through_sbatch(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    state = fake_slurm.install(tmp_path, monkeypatch)
    q = _queue_module()
    lines = []
    assert q.main(["--scheduler", "slurm:debug", "--mode", "tiny", "--only", "20-*", "--seeds", "2",
                   "--results", str(tmp_path / "res"), "--min-job-time", "0", "--max-jobs", "2"],
                  echo=lines.append) == 0
    assert any(ln.startswith("rhm-width: 24 of 24 cells stored") for ln in lines), lines
    assert len(fake_slurm.jobs(state)) == 1
    assert (tmp_path / "res" / "rhm-width" / "report.md").exists()
    read = RowStore(tmp_path / "res" / "rhm-runs").read()
    assert len(read.rows) == 24 and read.duplicates == 0


def test_a_silent_squeue_ends_the_wait_with_one_line(tmp_path, monkeypatch):
    state = fake_slurm.install(tmp_path, monkeypatch)
    monkeypatch.setenv("FAKE_SLURM_DEFER", "1")  # the job never runs ...
    monkeypatch.setattr(cluster, "_SQUEUE_PATIENCE", 3)
    spec = tmp_path / "rf.toml"
    spec.write_text(SMALL_RF)
    args = ["run", str(spec), "--out", str(tmp_path / "o"), "--scheduler", "slurm:debug"]
    assert main(args + ["--no-wait"]) == 0
    # ... and squeue stops answering once the sweep waits (its first check still passes)
    (state / "bin" / "squeue").write_text('#!/bin/sh\ncase "$*" in *" -r "*) exit 1 ;; esac\nexit 0\n')
    with pytest.raises(InputError, match="squeue has not answered 3 times in a row"):
        exp, config, _, _ = protocol.config_from_spec_file(spec)
        protocol.execute(exp, config, tmp_path / "o",
                         scheduler=Slurm.from_sources("slurm:debug"), echo=None)
