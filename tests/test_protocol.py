"""The experiment protocol: derived keys, specs, storage faults, resume after kills, concurrency, Dask."""

import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from scalinglab.cli import main
from scalinglab.errors import InputError
from scalinglab.validate import protocol, specs
from scalinglab.validate.storage import Manifest, RowStore, load_results
from sweep_child import sweep_child

RF = """
experiment = "spectral-rf-regimes"
alpha_K = {alpha_K}
S = 120
fixed = 10
seeds = {seeds}
resolution_x = [10.0, 40.0, 3.0]
variance_x = [80.0, 320.0, 3.0]
n_boot = 100
"""


def rf(tmp_path, alpha_K=0.5, seeds=2, name="rf.toml"):
    path = tmp_path / name
    path.write_text(RF.format(alpha_K=alpha_K, seeds=seeds))
    exp, config, _, text = protocol.config_from_spec_file(path)
    return exp, config, text


def run_rf(tmp_path, out, **kw):
    exp, config, text = rf(tmp_path, **kw)
    return protocol.execute(exp, config, out, spec_text=text)


def shard_lines(out):
    return [ln for p in sorted((Path(out) / "rows").glob("*.jsonl")) for ln in p.read_bytes().splitlines()]


def comparable(df):
    cols = [c for c in df.columns if not c.startswith(protocol.WALL_PREFIX)]
    return df[cols].sort_values("key").reset_index(drop=True)


# --------------------------------------------------------------------------- derived keys
def _perturb(value, meta):
    """Other valid-looking values of a leaf field, most plausible first."""
    if "choices" in meta:
        if isinstance(value, tuple):
            return [tuple(c for c in meta["choices"] if c != value[0]) or value[:-1], value[:-1]]
        return [c for c in meta["choices"] if c != value]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1, value * 2]
    if isinstance(value, float):
        return [value * 1.5 + 0.25, value * 0.5, value + 1.0, value - 0.01, value + 0.01]
    if isinstance(value, str):
        return [value + "x"]
    if value == ():
        return [(1,), (2,), (1.0,)]
    if isinstance(value, tuple) and value and not dataclasses.is_dataclass(value[0]):
        return [(p,) + value[1:] for p in _perturb(value[0], meta)] + [value[:-1], value + value[-1:]]
    raise AssertionError(f"no perturbation for {value!r}")


def _leaves(obj, path=()):
    """``(path, field metadata)`` of every leaf field of a config, nested dataclasses and tuples of them included."""
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if dataclasses.is_dataclass(v):
            yield from _leaves(v, path + (f.name,))
        elif isinstance(v, tuple) and v and dataclasses.is_dataclass(v[-1]):
            yield from _leaves(v[-1], path + (f.name, -1))
        else:
            yield path + (f.name,), f.metadata


#: Fields whose every other value the config refuses (the dominant cluster set is one cluster, dominant).
CONSTANT_FIELDS = {("dominant", "n_clusters"), ("dominant", "dominant"),
                   # percolation-toy quanta: finite subcritical clusters (dominant = false) need p below
                   # p_c = 1/(z-1); at the shipped p = 0.48 only z = 3 is allowed (z = 2 is no tree)
                   ("quanta", "dominant"), ("quanta", "z"),
                   ("P_in_units_of_Pstar",)}  # rhm-fcn-onset: its P multiples (< 1) are no absolute sizes
#: Fields without effect in a shipped spec's context: the Zipf levels of a uniform curve (alpha = -1).
IRRELEVANT = {("rhm-fcn", ("curves", -1, "zipf_levels")), ("rhm-fcn-onset", ("curves", -1, "zipf_levels"))}


def _set(d, path, value):
    for p in path[:-1]:
        d = d[p]
    d[path[-1]] = list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("name", sorted(protocol.available()))
def test_key_completeness_of_every_config_field(name):
    """Changing any field of an experiment's config changes the set of cell keys (a run setting) or, for the
    fields declared analysis-only, changes nothing; changing any field of a cell changes its key."""
    exp = protocol.get(name)
    mapping, _ = protocol.shipped_spec(name, quick=True)
    config = exp.config_from_dict(mapping)
    keys = {protocol.cell_key(c) for c in exp.cells(config)}
    base = specs.to_dict(config)
    checked, constant = 0, []
    for path, meta in _leaves(config):
        obj = config
        for p in path:
            obj = obj[p] if isinstance(p, int) else getattr(obj, p)
        value = obj
        changed = []
        for new in _perturb(value, meta):
            d = json.loads(json.dumps(base))
            _set(d, path, new)
            try:
                cfg2 = exp.config_from_dict(d)
            except InputError:
                continue
            changed.append({protocol.cell_key(c) for c in exp.cells(cfg2)} != keys)
        if not changed:  # every other value is refused: the field cannot change, so it cannot go stale
            constant.append(path)
        elif meta.get("analysis"):
            assert not any(changed), f"{name}: analysis-only field {path} changed the runs"
        elif (name, path) not in IRRELEVANT:  # (some values mean the same run: a curve's model "" = net kind "cnn")
            assert any(changed), f"{name}: changing {'.'.join(map(str, path))} kept the same keys"
        checked += bool(changed)
    assert set(constant) <= CONSTANT_FIELDS, constant
    assert checked >= 3
    # every leaf field of a cell, nested dataclasses included, is in its key
    cell = exp.cells(config)[0]
    k0 = protocol.cell_key(cell)
    for path, meta in _leaves(cell):
        obj = cell
        for p in path:
            obj = getattr(obj, p)
        new = _perturb(obj, {})[0]

        def rep(o, pth):
            if len(pth) == 1:
                return dataclasses.replace(o, **{pth[0]: new}) if not hasattr(o, "__post_init__") else \
                    _force(o, pth[0], new)
            return dataclasses.replace(o, **{pth[0]: rep(getattr(o, pth[0]), pth[1:])})

        assert protocol.cell_key(rep(cell, path)) != k0, f"{name}: cell field {path} not in the key"


def _force(o, name, value):
    c = dataclasses.replace(o)
    object.__setattr__(c, name, value)
    return c


def test_cell_key_is_canonical_and_kind_scoped():
    from scalinglab.validate.rhm import RHMRun, RHMSizes, Net
    from scalinglab.validate.train import TrainConfig

    a = RHMRun(RHMSizes(), (1.0, 1.0, 1.0), Net(), TrainConfig(), 100, 10, 0)
    b = RHMRun(RHMSizes(), (1.0, 1.0, 1.0), Net(), TrainConfig(lr=0.003), 100, 10, 0)
    assert protocol.cell_key(a) == protocol.cell_key(b)
    assert protocol.cell_key(a) != protocol.cell_key(dataclasses.replace(a, train=TrainConfig(patience=21)))
    assert protocol.cell_key(a) != protocol.cell_key(dataclasses.replace(a, train=TrainConfig(weight_decay=1e-4)))
    flat = protocol.flatten(a)
    assert flat["train.patience"] == 20 and flat["rhm.n_c"] == 10 and flat["alpha"] == [1.0, 1.0, 1.0]


def test_train_config_defaults_live_in_one_place():
    from scalinglab.validate.rhm import _runs
    from scalinglab.validate.train import TrainConfig

    assert not hasattr(_runs, "RunSettings")
    import re

    src = Path(_runs.__file__).read_text()
    for f in dataclasses.fields(TrainConfig):
        if f.name != "stop":  # Curve.stop is an override ("" = keep), not a default
            assert not re.search(rf"^\s+{f.name}\s*:", src, re.M), f.name


# --------------------------------------------------------------------------- specs and flags
@pytest.mark.parametrize("body, msg", [
    ("seeds = 2\nbogus = 1", "unknown spec key 'bogus'"),
    ("seeds = 'two'", "spec key 'seeds': expected an integer"),
    ("seeds = 0", "spec key 'seeds': must be >= 1, got 0"),
    ("alpha_K = -1.0", "spec key 'alpha_K': must be > 0"),
    ("resolution_x = [1.0, 2.0]", "spec key 'resolution_x': expected a list of 3 entries"),
    ("[oops]\nx = 1", "unknown spec key 'oops'"),
    ("seeds = [", "not valid TOML"),
])
def test_bad_specs_give_one_line_errors(tmp_path, capsys, body, msg):
    spec = tmp_path / "bad.toml"
    spec.write_text('experiment = "spectral-rf-regimes"\n' + body + "\n")
    assert main(["run", str(spec), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err and err.count("\n") == 1, err


def test_bad_nested_spec_keys_named(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    for body, msg in [("[train]\nlrr = 1", "unknown spec key 'train.lrr'"),
                      ("[train]\nlr = -1.0", "spec key 'train.lr': must be > 0"),
                      ("[train]\nstop = 'never'", "spec key 'train.stop': must be one of"),
                      ("[rhm]\nm = 11", "ambiguous"),
                      ("[[curves]]\nalpha = 1.0\nzipf_levels = [4]", "zipf_levels must lie in 1..L=3"),
                      ("[[curves]]\nalpha = -2.0", "< -1")]:
        spec.write_text('experiment = "rhm-curve"\nP = [16]\n' + ("[[curves]]\nalpha = 1.0\n" if "curves" not in body
                                                                   else "") + body + "\n")
        assert main(["run", str(spec), "--dry-run"]) == 2
        err = capsys.readouterr().err
        assert msg in err and "Traceback" not in err, (body, err)
    spec.write_text('P = [16]\n')
    assert main(["run", str(spec)]) == 2
    assert "'experiment'" in capsys.readouterr().err


def test_resolve_device():
    assert protocol.resolve_device("cpu") == "cpu"
    assert protocol.resolve_device("auto") in ("cpu", "cuda")
    with pytest.raises(InputError, match="not a device"):
        protocol.resolve_device("bogus")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="CUDA is not available"):
            protocol.resolve_device("cuda")
        with pytest.raises(InputError, match="CUDA is not available"):
            protocol.resolve_device("cuda:0")
    from scalinglab.validate import train

    assert train.resolve_device is protocol.resolve_device


@pytest.mark.parametrize("argv, msg", [
    (["--device", "bogus"], "not a device"),
    (["--seeds", "0"], "--seeds must be >= 1, got 0"),
    (["--scheduler", "local:zero"], "local:N"),
    (["--from", "x"], "--from goes with --replot"),
])
def test_common_flags_are_checked(tmp_path, capsys, argv, msg):
    rc = main(["reproduce", "spectral-interpolation", "--quick", "--out", str(tmp_path / "o")] + argv)
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and "Traceback" not in err


def test_out_that_is_a_file_or_unwritable(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["reproduce", "spectral-interpolation", "--quick", "--out", str(f)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        assert main(["reproduce", "spectral-interpolation", "--quick", "--out", str(ro / "x")]) == 2
        assert "not writable" in capsys.readouterr().err


def test_every_reproduction_takes_the_same_flags(tmp_path, capsys):
    for name in protocol.available():
        for quick in ([], ["--quick"]):
            rc = main(["reproduce", name, *quick, "--seeds", "1", "--device", "cpu", "--scheduler", "",
                       "--out", str(tmp_path / name), "--dry-run", "--json"])
            out = json.loads(capsys.readouterr().out)
            assert rc == 0 and out["n_cells"] >= 1 and out["cost_s"] > 0, name
        assert main(["reproduce", name, "--replot", "--out", str(tmp_path / name)]) == 2
        assert "nothing to replot" in capsys.readouterr().err


# --------------------------------------------------------------------------- storage faults
def test_resume_writes_typed_rows_and_manifest(tmp_path):
    oc = run_rf(tmp_path, tmp_path / "o")
    assert oc.n_ran == 24 and oc.n_stored == 24 and not oc.missing
    assert run_rf(tmp_path, tmp_path / "o").n_ran == 0
    man = Manifest.load(tmp_path / "o").data
    assert man["schema"]["x"] == "int" and man["schema"]["loss"] == "float" and man["schema"]["regime"] == "str"
    assert man["config"]["alpha_K"] == 0.5 and "alpha_K = 0.5" in man["spec"] and len(man["history"]) == 2
    df = load_results(tmp_path / "o")
    assert len(df) == 24 and str(df["x"].dtype) == "Int64" and df["loss"].dtype == float
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert set(summary["regimes"]) == {"variance_D", "variance_P", "resolution_D", "resolution_P"}
    assert (tmp_path / "o" / "figures" / "rf_regimes.png").exists() and (tmp_path / "o" / "report.md").exists()


@pytest.mark.parametrize("tail", [b'{"key":"abc","x":1', b'{"key":"abc","x":1}', b"\xff\xfe garbage"])
def test_torn_tail_is_quarantined_and_named(tmp_path, tail):
    """A half row, a row without its newline or garbage at the end: quarantined, reported, and no finished run
    lost (today's CSV store crashes on every later resume)."""
    out = tmp_path / "o"
    run_rf(tmp_path, out)
    shard = sorted((out / "rows").glob("*.jsonl"))[0]
    lines = shard.read_bytes().splitlines(keepends=True)
    shard.write_bytes(b"".join(lines[:-1]) + tail)  # the last row torn
    oc = run_rf(tmp_path, out)
    assert oc.n_ran == 1 and oc.n_stored == 24
    assert any(shard.name in n and "quarantined" in n for n in oc.notes), oc.notes
    q = list((out / "quarantine").glob("*.torn"))
    assert len(q) == 1 and q[0].read_bytes() == tail
    assert run_rf(tmp_path, out).n_ran == 0


def test_garbage_inside_a_shard_is_quarantined_and_named(tmp_path):
    """A garbage line between rows: moved to quarantine/ with a one-line warning naming the file and line, the
    rows around it kept (it used to stop every later run)."""
    out = tmp_path / "o"
    run_rf(tmp_path, out)
    shard = sorted((out / "rows").glob("*.jsonl"))[0]
    lines = shard.read_bytes().splitlines(keepends=True)
    shard.write_bytes(lines[0] + b"\xff\xfe\x00garbage\n" + b"".join(lines[1:]))
    with pytest.warns(UserWarning, match=f"1 bad row.*{shard.name}.*line 2.*quarantined"):
        oc = run_rf(tmp_path, out)
    assert oc.n_ran == 0 and oc.n_stored == 24
    assert shard.read_bytes() == b"".join(lines)
    assert [p.read_bytes() for p in (out / "quarantine").glob("*.bad")] == [b"\xff\xfe\x00garbage\n"]


@pytest.mark.parametrize("text, msg", [("{not json", "not valid JSON"), ("[1, 2]", "expected a JSON object"),
                                       ('{"format": "scalinglab-protocol/1", "experiment": "spectral-rf-regimes", '
                                        '"config": [], "schema": {}, "history": []}', "field 'config'"),
                                       ('{"params": {}}', "not written by this version")])
def test_bad_manifest_refused_before_running(tmp_path, monkeypatch, text, msg):
    out = tmp_path / "o"
    out.mkdir()
    (out / "manifest.json").write_text(text)
    exp = protocol.get("spectral-rf-regimes")
    monkeypatch.setattr(type(exp), "run", lambda self, cells, device: pytest.fail("ran before validating"))
    with pytest.raises(InputError, match=msg):
        run_rf(tmp_path, out)


def test_changed_parameters_never_mix(tmp_path):
    """alpha_K 0.7 into a folder of 0.5 results: only the 0.7 rows are analysed, the 0.5 rows are reported."""
    out = tmp_path / "o"
    run_rf(tmp_path, out, alpha_K=0.5)
    mixed = run_rf(tmp_path, out, alpha_K=0.7)
    clean = run_rf(tmp_path, tmp_path / "clean", alpha_K=0.7)
    assert mixed.ignored == 24 and any("24 stored row(s) of other settings ignored" in n for n in mixed.notes)
    for k, v in clean.summary["regimes"].items():
        assert mixed.summary["regimes"][k]["exponent"] == v["exponent"]
    assert Manifest.load(out).data["config"]["alpha_K"] == 0.7
    assert len(load_results(out)) == 24 and set(load_results(out)["alpha_K"]) == {0.7}


def test_fewer_seeds_into_a_folder_analyses_only_those(tmp_path):
    out = tmp_path / "o"
    run_rf(tmp_path, out, seeds=3)
    oc = run_rf(tmp_path, out, seeds=2)
    assert oc.n_ran == 0 and oc.n_stored == 24 and oc.ignored == 12
    assert all(v["n_draws"] == 2 for v in oc.summary["regimes"].values())
    assert Manifest.load(out).data["seeds"] == 2


def test_duplicate_keys_dropped_with_a_warning(tmp_path):
    out = tmp_path / "o"
    run_rf(tmp_path, out)
    shard = sorted((out / "rows").glob("*.jsonl"))[0]
    first = shard.read_bytes().splitlines(keepends=True)[0]
    (out / "rows" / "otherhost-1-abc.jsonl").write_bytes(first)
    with pytest.warns(UserWarning, match="1 duplicate row"):
        rows = RowStore(out).read().rows
    assert len(rows) == 24
    with pytest.warns(UserWarning):
        oc = run_rf(tmp_path, out)
    assert oc.n_stored == 24 and oc.n_ran == 0


def test_replot_of_a_partial_sweep_draws_what_exists(tmp_path, capsys):
    out = tmp_path / "o"
    run_rf(tmp_path, out, seeds=1)
    exp, config, _ = rf(tmp_path, seeds=2)
    oc = protocol.execute(exp, config, out, replot=True)
    assert oc.n_ran == 0 and oc.n_stored == 12 and len(oc.missing) > 0
    assert any("12 of 24 cells have no results yet" in n for n in oc.notes)
    assert (out / "figures" / "rf_regimes.png").exists()
    # replot of a folder with only some regimes
    out2 = tmp_path / "partial"
    run_rf(tmp_path, out2)
    shard = sorted((out2 / "rows").glob("*.jsonl"))[0]
    keep = [ln for ln in shard.read_bytes().splitlines(keepends=True) if b'"resolution_D"' in ln]
    shard.write_bytes(b"".join(keep))
    assert main(["reproduce", "spectral-rf-regimes", "--replot", "--out", str(out2)]) == 0
    text = capsys.readouterr().out
    assert "18 of 24 cells have no results yet" in text and "resolution_D" in text
    # --from: redraw another folder's rows into a new one
    assert main(["reproduce", "spectral-rf-regimes", "--replot", "--from", str(out), "--out",
                 str(tmp_path / "redrawn")]) == 0
    assert (tmp_path / "redrawn" / "figures" / "rf_regimes.png").exists()
    assert len(load_results(tmp_path / "redrawn")) == 12


def test_claims_of_dead_writers_are_taken_over(tmp_path):
    st = RowStore(tmp_path)
    assert st.claim("k1") and st.claim("k1")  # re-entrant for its owner
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    (tmp_path / ".claims" / "k2").write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(),
                                                         "time": 0}))
    assert st.claim("k2")
    (tmp_path / ".claims" / "k3").write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname(),
                                                         "time": time.time()}))
    assert not st.claim("k3") and st.claimed_by_other("k3")


# --------------------------------------------------------------------------- kills and concurrency
SLOW_SPEC = """
experiment = "spectral-interpolation"
dims = [2]
D = {D}
seeds = {seeds}
methods = ["linear", "nearest"]
n_test = 100
n_boot = 100
"""


def _ctx():
    """Fresh (spawned) processes: a forked child would inherit this process's thread pools (Numba, torch
    OpenMP), which made it crawl or stall in scipy after other tests had used them."""
    import multiprocessing

    return multiprocessing.get_context("spawn")


@pytest.mark.slow  # six fresh processes: ~15 s on an idle 2-core machine, ~50 s under load
def test_sigkill_at_random_points_then_resume_is_identical(tmp_path):
    """SIGKILL a sweep 5 times at random points (by rows written, plus a random delay), resume: the rows and
    the summary equal those of an uninterrupted run (wall times excluded)."""
    ctx = _ctx()
    spec = tmp_path / "s.toml"
    spec.write_text(SLOW_SPEC.format(seeds=10, D=[1000, 2000, 4000]))  # cells of milliseconds
    ref = tmp_path / "ref"
    sweep_child(spec, ref)
    out = tmp_path / "killed"
    rng = random.Random(7)
    # each kill lands within the next sixth of what is left, so five kills leave work for the resume (with a
    # third, a fast machine finished the sweep before the third kill: [24, 34, 36, 36, 36] of 36)
    n_cells, kills, ends = 60, 0, []
    for _ in range(5):
        have = len(shard_lines(out)) if (out / "rows").is_dir() else 0
        target = have + rng.randint(1, max(1, (n_cells - have) // 6))
        proc = ctx.Process(target=sweep_child, args=(spec, out))
        proc.start()
        t0 = time.time()
        while proc.is_alive() and time.time() - t0 < 120:
            if (out / "rows").is_dir() and len(shard_lines(out)) >= target:
                time.sleep(rng.random() * 0.02)
                break
            time.sleep(0.002)
        if proc.is_alive():
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.join()
        ends.append(len(shard_lines(out)))
    assert kills >= 4 and ends[-1] < n_cells, ends
    q = ctx.Queue()
    proc = ctx.Process(target=sweep_child, args=(spec, out, q))
    proc.start()
    proc.join()
    assert proc.exitcode == 0 and q.get(timeout=5) == n_cells - ends[-1]
    a, b = comparable(load_results(ref)), comparable(load_results(out))
    assert len(b) == n_cells and b["key"].is_unique
    import pandas as pd

    pd.testing.assert_frame_equal(a, b)
    assert json.loads((ref / "summary.json").read_text()) == json.loads((out / "summary.json").read_text())


def test_two_concurrent_sweeps_share_the_work(tmp_path):
    ctx = _ctx()
    spec = tmp_path / "s.toml"
    spec.write_text(SLOW_SPEC.format(seeds=4, D=[100, 200, 400]))
    out = tmp_path / "o"
    q = ctx.Queue()
    procs = [ctx.Process(target=sweep_child, args=(spec, out, q)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert all(p.exitcode == 0 for p in procs)
    ran = [q.get(timeout=5), q.get(timeout=5)]
    keys = [json.loads(ln)["key"] for ln in shard_lines(out)]
    assert len(keys) == 24 and len(set(keys)) == 24  # nothing lost, nothing duplicated
    assert sum(ran) == 24, ran
    assert not list((out / ".claims").glob("*"))
    assert len(Manifest.load(out).data["history"]) == 2  # both calls recorded (manifest updates are locked)


@pytest.mark.slow
def test_dask_local_cluster_survives_a_killed_worker(tmp_path):
    """An RHM quick sweep on a 2-worker LocalCluster; one worker is SIGKILLed mid-sweep: the sweep completes and
    no run is lost or duplicated."""
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("torch")
    spec = tmp_path / "s.toml"
    spec.write_text('experiment = "rhm-curve"\nP = [64, 128, 256, 512, 1024, 2048]\nseeds = 2\nn_test = 500\n'
                    "[net]\nwidth = 16\n[train]\nmax_epochs = 40\n[[curves]]\nalpha = 2.0\n[[curves]]\nalpha = 1.0\n")
    exp, config, _, _ = protocol.config_from_spec_file(spec)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        import threading

        killed = []

        def killer():
            runs = tmp_path / "rhm-runs" / "rows"
            t0 = time.time()
            while time.time() - t0 < 120:
                if runs.is_dir() and sum(len(p.read_bytes().splitlines()) for p in runs.glob("*.jsonl")) >= 2:
                    pids = client.run(os.getpid)
                    pid = sorted(pids.values())[0]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                time.sleep(0.05)

        th = threading.Thread(target=killer)
        th.start()
        oc = protocol.execute(exp, config, tmp_path / "out", device="cpu", scheduler=cl.scheduler_address)
        th.join()
    assert killed, "no worker was killed"
    assert oc.n_stored == 24 and not oc.missing
    keys = [json.loads(ln)["key"] for ln in shard_lines(tmp_path / "rhm-runs")]
    assert len(keys) == 24 and len(set(keys)) == 24


# --------------------------------------------------------------------------- a user's spec from scratch
def test_user_spec_from_scratch_tiny_rhm(tmp_path, capsys):
    """A researcher's own RHM (n_c = 4, v = 6, m = 3, L = 2, per-level alpha) on the CPU: the comparison table
    holds the measured exponent beside alpha'/(1+alpha') and the eps(P) fit of the same RHM."""
    pytest.importorskip("torch")
    from scalinglab.theory.rhm import RHMSpec, alpha_prime

    spec = tmp_path / "mine.toml"
    spec.write_text("""
experiment = "rhm-curve"
P = [8, 16, 32, 64, 128]
seeds = 2
n_test = 400
fit_window = [8.0, 128.0]
n_boot = 100

[rhm]
n_c = 4
v = 6
m = 3
s = 2
L = 2

[net]
kind = "cnn"
width = 24

[train]
max_epochs = 60

[[curves]]
alpha = [1.0, 2.0]

[run]
device = "cpu"
""")
    assert main(["run", str(spec), "--dry-run"]) == 0
    assert "10 cells" in capsys.readouterr().out
    assert main(["run", str(spec), "--out", str(tmp_path / "o")]) == 0
    text = capsys.readouterr().out
    assert "exponent[zipf a=(1, 2)]" in text, text
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    rec = summary["table"][0]
    ap = alpha_prime(RHMSpec(4, 6, 3, 2, 2, (1.0, 2.0)))
    assert rec["predicted"] == pytest.approx(ap.predicted_exponent, rel=1e-12)
    assert rec["window"] == [8.0, 128.0] and np.isfinite(rec["measured"]) and rec["ci"][0] <= rec["measured"]
    report = (tmp_path / "o" / "report.md").read_text()
    assert "| curve | alpha' | alpha'/(1+alpha') | measured [95% CI] |" in report
    assert f"{ap.predicted_exponent:.3g}" in report


def test_failed_run_gives_its_claims_back(tmp_path, monkeypatch):
    exp = protocol.get("spectral-rf-regimes")

    def boom(self, cells, device):
        raise RuntimeError("cell failed")

    monkeypatch.setattr(type(exp), "run", boom)
    with pytest.raises(RuntimeError, match="cell failed"):
        run_rf(tmp_path, tmp_path / "o")
    assert not list((tmp_path / "o" / ".claims").glob("*"))
    monkeypatch.undo()
    assert run_rf(tmp_path, tmp_path / "o").n_ran == 24


TOY = """
experiment = "percolation-toy"
seeds = {seeds}
n_test = 500
n_sizes = 3
data_density_quanta = [0.01, 0.1]
data_density_dominant = [0.005, 0.02]
n_boot = 100
[quanta]
n_clusters = 200
p = 0.45
cap = 300
[dominant]
n_clusters = 1
p = 0.502
cap = 3000
dominant = true
[[sweeps]]
name = "manifold-data-q2"
dataset = "dominant"
sweep = "data"
q = 2.0
lam = 1.0
regime = "supercritical"
"""


def test_percolation_toy_fewer_seeds_into_a_folder(tmp_path):
    """percolation-toy --seeds 2 into a 3-seed folder: the fit uses 2 seeds and the manifest says 2."""
    spec = tmp_path / "toy.toml"
    spec.write_text(TOY.format(seeds=3))
    out = tmp_path / "o"
    assert main(["run", str(spec), "--out", str(out)]) == 0
    assert main(["run", str(spec), "--out", str(out), "--seeds", "2", "--json"]) == 0
    spec.write_text(TOY.format(seeds=2))
    assert main(["run", str(spec), "--out", str(tmp_path / "clean")]) == 0
    man = Manifest.load(out).data
    s = json.loads((out / "summary.json").read_text())["fits"]["manifold-data-q2"]
    clean = json.loads((tmp_path / "clean" / "summary.json").read_text())["fits"]["manifold-data-q2"]
    assert man["seeds"] == 2 and s["n_seeds"] == 2 and s == clean
    assert len(load_results(out)) == 6 and sorted(set(load_results(out)["seed"])) == [0, 1]
