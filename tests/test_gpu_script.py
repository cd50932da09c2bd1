"""The prepared device run (benchmarks/gpu/run_all.sh) in tiny mode on the CPU, its job runner, and the reference
results shipped in results/reference/."""

import json
import os
import subprocess
import sys
import tarfile
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
RUN_ALL = ROOT / "benchmarks" / "gpu" / "run_all.sh"
STEPS = sorted((ROOT / "benchmarks" / "gpu" / "steps").glob("*.sh"))
REFERENCE = ROOT / "results" / "reference"


def _env(**kw):
    env = {**os.environ, "PYTHON": sys.executable, "SCALINGLAB_PROGRESS": "0", **kw}
    env.pop("OUT", None)
    return env


def _budget(step):
    for ln in step.read_text().splitlines()[:3]:
        if ln.startswith("# budget_s:"):
            return int(ln.split(":")[1])
    raise AssertionError(f"{step.name} has no '# budget_s: N' line")


def test_steps_fit_nine_minutes_and_parse_arguments():
    """Budgets + the runner's reserves stay under 9 minutes; --list, --help and a bad argument behave."""
    assert [s.name for s in STEPS] == ["10-bench.sh", "20-width.sh", "30-rhm.sh", "40-seed-slice.sh", "45-teacher-student.sh",
                                       "50-seed-figures.sh", "55-fcn-onset.sh", "60-i20-large-m.sh", "61-i20-fig5.sh",
                                       "62-i20-alphac.sh", "63-i20-issue10-seeds.sh"]
    # issue 20's slices: each at most 8 minutes, run as sessions of their own (run_all.sh --only '6*')
    assert all(_budget(s) <= 480 for s in STEPS if s.name >= "60")
    out = subprocess.run(["bash", str(RUN_ALL), "--list"], capture_output=True, text=True, env=_env())
    assert out.returncode == 0
    total = int(out.stdout.split("capped at ")[1].split()[0])
    # one session (< 9 min): steps 10-40 in full; step 50 (issue 10's full grids, ~25 min) gets what is left and is
    # meant for a session of its own (run_all.sh --only '50-*' --total-s ...), resuming like every step
    first = [s for s in STEPS if s.name < "50"]
    assert sum(_budget(s) for s in first) <= total and total + 15 <= 9 * 60  # + preflight
    assert all(f"{s.name} budget_s={_budget(s)}" in out.stdout for s in STEPS)
    assert subprocess.run(["bash", str(RUN_ALL), "--help"], capture_output=True, env=_env()).returncode == 0
    bad = subprocess.run(["bash", str(RUN_ALL), "--bogus"], capture_output=True, text=True, env=_env())
    assert bad.returncode == 2 and "unknown argument" in bad.stderr
    bad = subprocess.run(["bash", str(RUN_ALL), "--mode", "huge"], capture_output=True, text=True, env=_env())
    assert bad.returncode == 2


def test_run_all_tiny_on_cpu_packs_every_step(tmp_path):
    """MODE=tiny: every step runs tiny cells on the CPU; the pack holds <= 8 files with the results folders
    (rows, manifests, summaries, reports, figures), the benchmark, the logs and SUMMARY.md."""
    res, pack = tmp_path / "res", tmp_path / "pack"
    p = subprocess.run(["bash", str(RUN_ALL), "--results", str(res), "--out", str(pack)], capture_output=True,
                       text=True, env=_env(MODE="tiny"), timeout=460)
    assert p.returncode == 0, p.stdout + p.stderr
    steps = [ln.split("\t") for ln in (res / "steps.tsv").read_text().splitlines()]
    assert [s[0] for s in steps] == [s.name[:-3] for s in STEPS] and all(s[4] == "complete" for s in steps), steps
    files = sorted(f.name for f in pack.iterdir())
    assert files == ["SUMMARY.md", "results.tar.gz", "run_all.log"] and len(files) <= 8
    with tarfile.open(pack / "results.tar.gz") as tf:
        names = set(tf.getnames())
    for exp in ("rhm-width", "rhm-fig2", "rhm-fig4", "rhm-fig6", "rhm-fig7", "rhm-fcn", "spectral-teacher-student",
                "rhm-fig5", "rhm-fig8", "rhm-fig9", "rhm-fcn-onset", "rhm-split-model", "rhm-large-m",
                "rhm-fig6-distinct", "rhm-large-m-w2048"):
        for f in ("manifest.json", "summary.json", "report.md", "results.csv"):
            assert f"res/{exp}/{f}" in names, (exp, f)
        assert any(n.startswith(f"res/{exp}/figures/") and n.endswith(".png") for n in names), exp
    assert any(n.startswith("res/rhm-runs/rows/") for n in names)
    for f in ("bench/bench_rhm_train.json", "logs/run_all.log", "logs/30-rhm.log", "jobs.jsonl", "SUMMARY.md",
              "preflight.txt"):
        assert f"res/{f}" in names, f
    assert not any(".claims/" in n or n.endswith(".job-running") for n in names)
    summary = (pack / "SUMMARY.md").read_text()
    assert "## Training benchmark" in summary and "## rhm-width" in summary and "Fig. 6 grid" in summary
    jobs = [json.loads(ln) for ln in (res / "jobs.jsonl").read_text().splitlines()]
    assert not any("error" in j for j in jobs)
    man = json.loads((res / "rhm-fig6" / "manifest.json").read_text())
    assert man["config"]["net"]["width"] == 8 and "tiny" in man["spec"]
    # what a GPU session does next: adopt the pack as reference results (label + redraw), then replot from it
    sys.path.insert(0, str(ROOT / "benchmarks" / "gpu"))
    try:
        import adopt
    finally:
        sys.path.remove(str(ROOT / "benchmarks" / "gpu"))
    ref = tmp_path / "reference" / "gpu"
    assert adopt.main([str(ref), "--from", str(pack / "results.tar.gz"), "--label", "tiny test run"]) == 0
    assert json.loads((ref / "rhm-width" / "manifest.json").read_text())["label"] == "tiny test run"
    assert "> tiny test run" in (ref / "rhm-fig6" / "report.md").read_text()
    from scalinglab.cli import main

    assert main(["reproduce", "rhm-width", "--replot", "--from", str(ref / "rhm-width"), "--out",
                 str(tmp_path / "w")]) == 0
    assert "> tiny test run" in (tmp_path / "w" / "report.md").read_text()


def test_repro_job_cut_at_its_limit_is_drawn_and_resumes(tmp_path, monkeypatch):
    """A job that reaches its time limit stops mid-sweep, keeps its finished cells, draws its report from them, and
    the next call runs only the rest (what makes every step of the device run resumable)."""
    sys.path.insert(0, str(ROOT / "benchmarks" / "gpu"))
    try:
        import repro
    finally:
        sys.path.remove(str(ROOT / "benchmarks" / "gpu"))
    from scalinglab.validate import protocol

    monkeypatch.setattr(repro, "_COMPLETED", set())
    exp = protocol.get("rhm-width")
    calls, run = [], exp.run

    def run_then_time_up(cells, device):  # the alarm fires during the third group
        calls.append(len(cells))
        if len(calls) == 3:
            raise repro.Deadline()
        return run(cells, device)

    res = tmp_path / "res"
    args = ["--results", str(res), "--mode", "tiny", "--device", "cpu"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monkeypatch.setattr(exp, "run", run_then_time_up)
        assert repro.main(args + ["rhm-width"]) == 0
        monkeypatch.setattr(exp, "run", run)
        first = [json.loads(ln) for ln in (res / "jobs.jsonl").read_text().splitlines()][-1]
        assert first["interrupted"] and first["stored"] == calls[0] + calls[1] < first["cells"], first
        assert (res / "rhm-width" / "report.md").exists() and not (res / "rhm-width" / repro.RUNNING).exists()
        assert repro.main(args + ["rhm-width"]) == 0
    second = [json.loads(ln) for ln in (res / "jobs.jsonl").read_text().splitlines()][-1]
    assert not second["interrupted"] and second["stored"] == second["cells"]
    assert second["ran"] == first["cells"] - first["stored"]
    # a job killed from outside leaves its marker: --replot-stale draws it
    (res / "rhm-width" / repro.RUNNING).write_text("x")
    (res / "rhm-width" / "report.md").unlink()
    assert repro.main(["--results", str(res), "--replot-stale"]) == 0
    assert (res / "rhm-width" / "report.md").exists()


# --------------------------------------------------------------------------- reference results
REF_NAMES = ("rhm-fig2", "rhm-fig4", "rhm-fig6", "rhm-fig7", "rhm-fcn", "rhm-width")


def test_reference_folders_are_complete_and_small():
    total = 0
    for name in REF_NAMES:
        man = json.loads((REFERENCE / name / "manifest.json").read_text())
        assert man["experiment"] == name and man["rows_store"] == "../rhm-runs"
        assert "quick CPU run" in man["label"], name
        assert man["device"] == "cpu"
        report = (REFERENCE / name / "report.md").read_text()
        assert f"{man['n_cells']} of {man['n_cells']} cells stored" in report, name
        assert "> quick CPU run" in report, name  # the label under the title
        if name != "rhm-width":
            assert "narrower than the converged width" in report, name
    def size(p):  # results.csv: a gitignored export of the rows, rebuilt by every --replot, not committed
        return 0 if p.name == "results.csv" or not p.is_file() else p.stat().st_size

    rhm = [REFERENCE / "rhm-runs"] + [REFERENCE / n for n in REF_NAMES]
    total = sum(size(p) for d in rhm for p in d.rglob("*"))
    assert total < 6 * 2**20, f"the RHM reference folders hold {total / 2**20:.1f} MiB"
    gpu = sum(size(p) for p in (REFERENCE / "gpu").rglob("*"))
    assert gpu < 8 * 2**20, f"results/reference/gpu holds {gpu / 2**20:.1f} MiB"
    everything = sum(size(p) for p in REFERENCE.rglob("*"))
    assert everything < 20 * 2**20, f"results/reference holds {everything / 2**20:.1f} MiB"


def test_gpu_reference_run_is_what_the_device_script_packed():
    """results/reference/gpu: the H100 run of benchmarks/gpu/run_all.sh (adopted with adopt.py): every results
    folder labelled, on cuda, drawn from its rows; the CUDA self-check passed; the benchmark goals are stored."""
    gpu = REFERENCE / "gpu"
    assert "3 passed" in (gpu / "cuda-tests.txt").read_text()
    bench = json.loads((gpu / "bench" / "bench_rhm_train.json").read_text())
    assert "H100" in bench["cuda_device"]
    case = next(c for c in bench["cases"] if (c["h"], c["R"]) == (64, 40))
    assert case["new_step_ms"] < case["old_step_ms"]
    folders = [p.parent for p in gpu.glob("*/manifest.json")]
    assert len(folders) >= 13  # the 13 RHM experiments (teacher-student got no cell done)
    for f in folders:
        man = json.loads((f / "manifest.json").read_text())
        assert "H100" in man["label"] and man["rows_store"] == "../rhm-runs", f.name
        assert "H100" in (f / "report.md").read_text(), f.name
        assert any((f / "figures").glob("*.png")), f.name


def test_reference_replot_from_redraws_the_figures(tmp_path):
    """`scalinglab reproduce rhm-fig6 --replot --from results/reference/rhm-fig6` on a laptop: figures and the same
    summary as the stored one, nothing trained."""
    from scalinglab.cli import main

    out = tmp_path / "fig6"
    assert main(["reproduce", "rhm-fig6", "--replot", "--from", str(REFERENCE / "rhm-fig6"), "--out", str(out),
                 "--json"]) == 0
    assert (out / "figures" / "rhm_fig6.png").exists()
    new = json.loads((out / "summary.json").read_text())
    old = json.loads((REFERENCE / "rhm-fig6" / "summary.json").read_text())
    assert new["exponent[alpha=2]"] == old["exponent[alpha=2]"]
    assert "64 of 64" in (out / "report.md").read_text() or "128 of 128" in (out / "report.md").read_text()


def test_narrow_bias_quoted_in_reports_matches_the_reference_run():
    """The bias every quick RHM report quotes (validate.rhm._width.NARROW_BIAS) is the one stored in
    results/reference/rhm-width (h = 64 against h = 256, paired)."""
    from scalinglab.validate.rhm._width import NARROW_BIAS

    n = 0
    for folder, pairs in (("rhm-width", {(64, 256)}), ("gpu/rhm-width", {(64, 1024), (256, 1024)})):
        s = json.loads((REFERENCE / folder / "summary.json").read_text())
        for b in s["bias"]:
            if (b["width"], b["reference_width"]) in pairs:
                quoted = f"{-b['diff']:.3f} [{-b['ci'][1]:.3f}, {-b['ci'][0]:.3f}] (alpha = {b['alpha']:g})"
                assert quoted in NARROW_BIAS, (folder, quoted)
                n += 1
    assert n == 9
    # the converged width of the full specs is the one the H100 run established
    from scalinglab.validate.rhm._width import CONVERGED_WIDTH

    s = json.loads((REFERENCE / "gpu" / "rhm-width" / "summary.json").read_text())
    assert s["converged_width"] == CONVERGED_WIDTH and s["converged_width_established"]
