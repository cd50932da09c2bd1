"""Storage faults of the experiment protocol (issue 18): races between writers, dead and zombie writers, bit
rot, a full disk. Each test here failed on the storage of before the fix (see the commit messages)."""

import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scalinglab.cli import main
from scalinglab.errors import InputError
from scalinglab.validate import protocol
from scalinglab.validate import storage
from scalinglab.validate.storage import RowStore, load_results
from sweep_child import sweep_child

ROOT = Path(__file__).resolve().parents[1]

RF = """
experiment = "spectral-rf-regimes"
alpha_K = 0.5
S = 120
fixed = 10
seeds = {seeds}
resolution_x = [10.0, 40.0, 3.0]
variance_x = [80.0, 320.0, 3.0]
n_boot = 100
"""


def rf(tmp_path, seeds=1):
    path = tmp_path / "rf.toml"
    path.write_text(RF.format(seeds=seeds))
    exp, config, _, text = protocol.config_from_spec_file(path)
    return exp, config, text, path


def raw_lines(folder):
    return [ln for p in sorted((Path(folder) / "rows").glob("*.jsonl")) for ln in p.read_bytes().splitlines()]


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                SCALINGLAB_PROGRESS="0")


# a writer in another process: claims one cell, waits for a line on stdin, stores the row (append, then
# release: the order every writer uses), says so, waits again
HOLDER = r"""
import json, sys
from scalinglab.validate.storage import RowStore
st = RowStore(sys.argv[1])
key, row = sys.argv[2], json.loads(sys.argv[3])
assert st.claim(key)
print("claimed", flush=True)
if sys.stdin.readline().strip() == "finish":
    st.append(row)
    st.release(key)
    print("done", flush=True)
    sys.stdin.readline()
"""


def _holder(out, key, row):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(out), key, json.dumps(row)], env=_env(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "claimed"
    return proc


# --------------------------------------------------------------------------- 1. duplicate rows under concurrency
def test_writer_paused_between_refresh_and_claim_runs_no_cell_twice(tmp_path, monkeypatch):
    """Deterministic race: writer B holds cell k0; writer A, in its wait loop, reads the stored keys (k0 not yet
    there), pauses while B stores k0's row and releases its claim, then claims. Before the fix A found k0
    unclaimed and ran it again (a duplicate row, 3 of 3 with a pause); now the claim is checked against the
    stored rows under the store's lock."""
    exp, config, text, _ = rf(tmp_path)
    protocol.execute(exp, config, tmp_path / "ref", spec_text=text)
    cells = exp.cells(config)
    k0 = protocol.cell_key(cells[0])
    row0 = next(r for r in RowStore(tmp_path / "ref").read().rows if r["key"] == k0)
    out = tmp_path / "o"
    out.mkdir()
    b = _holder(out, k0, row0)
    others = {protocol.cell_key(c) for c in cells[1:]}
    real = protocol._Done.refresh
    fired = []

    def paused(self):
        keys = real(self)
        if not fired and others <= keys and k0 not in keys:  # A is waiting for k0: B finishes it now
            fired.append(True)
            b.stdin.write("finish\n")
            b.stdin.flush()
            assert b.stdout.readline().strip() == "done"
        return keys

    monkeypatch.setattr(protocol._Done, "refresh", paused)
    try:
        oc = protocol.execute(exp, config, out, spec_text=text)
    finally:
        b.stdin.write("\n")
        b.stdin.flush()
        b.wait(30)
        b.stdin.close()  # the pipes, else a ResourceWarning lands in whichever test the collector runs in
        b.stdout.close()
    assert fired, "the pause never happened"
    assert sum(k0.encode() in ln for ln in raw_lines(out)) == 1, "cell k0 stored twice"
    assert oc.n_ran == len(cells) - 1 and oc.n_stored == len(cells)


BRILL = """
experiment = "brill-fig2"
c_over_D = [{grid}]
n_points = 10
"""


@pytest.mark.slow  # four fresh processes: ~50 s on a loaded 2-core machine (the 2-writer test in test_protocol.py
# and the deterministic race above run by default)
def test_many_writers_into_one_folder_store_each_cell_once(tmp_path):
    """Stress: 4 sweeps of 80 millisecond cells started together into one folder; every cell stored exactly
    once, all claims given back."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    spec = tmp_path / "s.toml"
    spec.write_text(BRILL.format(grid=", ".join(f"{0.1 + 0.05 * i:.2f}" for i in range(80))))
    out = tmp_path / "o"
    procs = [ctx.Process(target=sweep_child, args=(spec, out)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    assert all(p.exitcode == 0 for p in procs)
    keys = [json.loads(b"{" + ln[27:] if ln.startswith(b'{"_sum"') else ln)["key"] for ln in raw_lines(out)]
    assert len(keys) == 80 and len(set(keys)) == 80
    assert not list((out / ".claims").glob("*"))


# --------------------------------------------------------------------------- 2. claims that block forever
def _claim_file(folder, key, **info):
    (Path(folder) / ".claims").mkdir(parents=True, exist_ok=True)
    (Path(folder) / ".claims" / key).write_text(json.dumps({"time": time.time(), "since": time.time(), **info}))


def test_claim_of_a_zombie_writer_is_taken_over(tmp_path):
    """A writer that exited but was not reaped (a zombie) passes os.kill(pid, 0); its claim must still be
    stale. Before the fix claim() returned False for as long as the zombie stayed."""
    pid = os.fork()
    if pid == 0:  # the child: claim and exit without cleaning up
        try:
            RowStore(tmp_path).claim("k1")
        finally:
            os._exit(0)
    try:
        for _ in range(200):  # until the child has exited (a zombie: not reaped yet)
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(") ")[1].startswith("Z"):
                    break
            time.sleep(0.01)
        os.kill(pid, 0)  # still "alive" for the old rule
        st = RowStore(tmp_path)
        assert not st.claimed_by_other("k1")
        assert st.claim("k1")
    finally:
        os.waitpid(pid, 0)


def test_claim_naming_a_reused_pid_or_another_host_is_taken_over(tmp_path):
    """A claim whose writer holds no lock is stale, whatever its pid (here a live one: pid reuse) or host
    (a renamed host). Before the fix both blocked the cell (forever / for 24 h)."""
    st = RowStore(tmp_path)
    host = socket.gethostname()
    _claim_file(tmp_path, "reused", writer=f"{host}-{os.getppid()}-abcdef", pid=os.getppid(), host=host)
    _claim_file(tmp_path, "renamed", writer=f"oldname-{os.getpid()}-abcdef", pid=os.getpid(), host="oldname")
    for k in ("reused", "renamed"):
        assert not st.claimed_by_other(k) and st.claim(k), k
    assert json.loads((tmp_path / ".claims" / "reused").read_text())["writer"] == st.writer()


@pytest.mark.timeout(120)
def test_waiting_for_a_live_writer_is_bounded_and_names_it(tmp_path, monkeypatch):
    """A live writer holds a cell and never finishes: the sweep waits SCALINGLAB_CLAIM_WAIT seconds, then
    analyses what is stored and names the writer (pid, host, since). Before the fix it waited forever. Once that
    writer is killed, the cell is taken over at once."""
    exp, config, text, _ = rf(tmp_path)
    cells = exp.cells(config)
    k0 = protocol.cell_key(cells[0])
    out = tmp_path / "o"
    out.mkdir()
    b = _holder(out, k0, {})
    monkeypatch.setenv("SCALINGLAB_CLAIM_WAIT", "1")
    msgs = []
    try:
        oc = protocol.execute(exp, config, out, spec_text=text, echo=msgs.append)
        assert oc.n_stored == len(cells) - 1 and len(oc.missing) == 1
        note = next(n for n in oc.notes if "stopped waiting" in n)
        assert f"pid {b.pid} on {socket.gethostname()} (since 20" in note
        assert any("waiting for 1 cell(s) run by another writer" in m and f"pid {b.pid}" in m for m in msgs)
    finally:
        b.kill()
        b.wait(30)
        b.stdin.close()
        b.stdout.close()
    oc = protocol.execute(exp, config, out, spec_text=text)
    assert oc.n_ran == 1 and oc.n_stored == len(cells)


# --------------------------------------------------------------------------- 3. bit rot
def test_no_single_byte_change_of_a_shard_is_accepted_silently(tmp_path):
    """Every byte of a 3-row shard flipped (xor 0x01, then xor 0x20, then made a newline), one at a time: the
    rows read are always a subset of the true rows, and any row left out is reported. Before the fix 9 of 20
    random flips were accepted (a loss x20, S 800 -> 810 under an unchanged key)."""
    src = tmp_path / "src"
    st = RowStore(src)
    true = [{"key": f"k{i}", "S": 800 + i, "loss": 0.125 * (i + 1), "regime": "variance_D", "x": [1.5, 2]}
            for i in range(3)]
    for r in true:
        st.append(r)
    st.close()
    shard = RowStore(src).shards()[0]
    raw = shard.read_bytes()
    assert len(raw) < 400
    checked = 0
    import warnings

    for pos in range(len(raw)):
        for new in {raw[pos] ^ 0x01, raw[pos] ^ 0x20, 0x0A} - {raw[pos]}:
            d = tmp_path / f"f{pos}-{new}"
            (d / "rows").mkdir(parents=True)
            (d / "rows" / shard.name).write_bytes(raw[:pos] + bytes([new]) + raw[pos + 1:])
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                try:
                    res = RowStore(d).read()
                except InputError:  # refused out loud: not silent (the store of before did this for garbage)
                    continue
            assert all(r in true for r in res.rows), (pos, new, res.rows)
            if len(res.rows) < len(true):
                assert res.notes and (w or all("torn" in n for n in res.notes)), (pos, new)
            checked += 1
    assert checked > 2 * len(raw)


def _legacy(folder):
    """Rewrite a folder's shards in the format of before the checksum (rows start with their key)."""
    for p in (Path(folder) / "rows").glob("*.jsonl"):
        rows = [json.loads(b"{" + ln[27:]) for ln in p.read_bytes().splitlines()]
        p.write_bytes(b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in rows))


def test_legacy_rows_are_read_and_checked_against_their_cell(tmp_path):
    """Rows without a checksum (written before it existed) are still read; a cell field changed under an
    unchanged key (S 120 -> 130) is refused on read -- quarantined, its cell run again -- instead of being
    analysed as S = 120."""
    exp, config, text, _ = rf(tmp_path)
    clean = protocol.execute(exp, config, tmp_path / "clean", spec_text=text)
    out = tmp_path / "o"
    protocol.execute(exp, config, out, spec_text=text)
    _legacy(out)
    shard = sorted((out / "rows").glob("*.jsonl"))[0]
    assert shard.read_bytes().startswith(b'{"key":')
    assert protocol.execute(exp, config, out, spec_text=text).n_ran == 0  # legacy rows read as before
    lines = shard.read_bytes().splitlines(keepends=True)
    assert b'"S":120,' in lines[2]
    lines[2] = lines[2].replace(b'"S":120,', b'"S":130,')
    shard.write_bytes(b"".join(lines))
    with pytest.warns(UserWarning, match="1 bad row.*does not match its cell.*S"):
        oc = protocol.execute(exp, config, out, spec_text=text)
    assert oc.n_ran == 1 and oc.n_stored == clean.n_cells
    assert json.loads((out / "summary.json").read_text()) == json.loads((tmp_path / "clean" / "summary.json").read_text())
    assert set(load_results(out)["S"]) == {120}


def test_reference_rows_still_read_without_a_bad_row(tmp_path):
    """Every committed reference folder reads with the checks on: no row refused, as many rows as before."""
    import warnings

    from scalinglab.validate.storage import Manifest

    ref = ROOT / "results" / "reference"
    # protocol runs only (analysis folders such as rhm-curve-prediction have a manifest without "format")
    folders = sorted(p.parent for p in ref.glob("*/manifest.json") if "format" in json.loads(p.read_text()))
    assert folders
    for folder in folders:
        man = Manifest.load(folder)
        try:
            exp = protocol.get(man.experiment)
        except Exception:  # an experiment needing torch on a machine without it
            continue
        cells = exp.cells(exp.config_from_dict(man.data["config"]))
        st = RowStore(protocol.rows_folder(folder, man.data))
        plain = len(st.read(quarantine=False).rows)
        st = RowStore(protocol.rows_folder(folder, man.data))
        st.check = protocol.row_check(cells)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = st.read(quarantine=False)
        assert res.bad == 0 and len(res.rows) == plain, folder


# --------------------------------------------------------------------------- 4. full disk
def test_full_disk_keeps_whole_rows_and_stops_with_one_line(tmp_path, monkeypatch, capsys):
    """The 6th row's write fills the disk half-way (ENOSPC after half the bytes): one line, exit non-zero, the 5
    rows before kept whole, nothing torn; the same command resumes when there is space. Before the fix: an
    OSError traceback and a half row."""
    _, _, _, spec = rf(tmp_path, seeds=2)
    out = tmp_path / "o"
    real, state = os.write, {"rows": 0}

    def full(fd, data):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if target.endswith(".jsonl"):
            state["rows"] += 1
            if state["rows"] > 5:
                real(fd, bytes(data)[: len(data) // 2])
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(os, "write", full)
    assert main(["run", str(spec), "--out", str(out)]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no space left" in err.lower(), err
    monkeypatch.undo()
    lines = raw_lines(out)
    assert len(lines) == 5 and all(ln.endswith(b"}") for ln in lines)
    st = RowStore(out)
    res = st.read(quarantine=False)
    assert len(res.rows) == 5 and res.bad == 0 and not res.notes
    assert not list((out / ".claims").glob("*"))
    assert main(["run", str(spec), "--out", str(out)]) == 0
    assert len(load_results(out)) == 24 and not list((out / "quarantine").glob("*"))


def test_append_cuts_a_half_written_row_back(tmp_path, monkeypatch):
    st = RowStore(tmp_path)
    st.append({"key": "a", "y": 1})
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: (real(fd, bytes(data)[:7]),
                                                        (_ for _ in ()).throw(OSError(errno.ENOSPC, "full"))))
    with pytest.raises(getattr(storage, "StorageFull", OSError), match="no space left"):
        st.append({"key": "b", "y": 2})
    monkeypatch.undo()
    st.close()
    assert RowStore(tmp_path).read().rows == [{"key": "a", "y": 1}]


# --------------------------------------------------------------------------- 5. non-finite settings
def test_nonfinite_settings_are_refused_before_anything_is_written(tmp_path, capsys):
    """fit_decades = inf, alpha_K = nan (spec or Python config): one line naming the key, no folder. Before the
    fix they ran and wrote a manifest that could not be read back ("unknown spec key 'fit_decades_reason'")."""
    import dataclasses

    for name, body in [("fig2", 'experiment = "brill-fig2"\nc_over_D = [0.5]\nn_points = 20\nfit_decades = inf\n'),
                       ("rf", RF.format(seeds=1).replace("alpha_K = 0.5", "alpha_K = nan"))]:
        spec = tmp_path / f"{name}.toml"
        spec.write_text(body)
        out = tmp_path / f"out-{name}"
        assert main(["run", str(spec), "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "must be a finite number" in err, err
        assert not out.exists()
    exp = protocol.get("brill-fig2")
    config = dataclasses.replace(exp.config_type(c_over_D=(0.5,), n_points=20), fit_decades=float("inf"))
    with pytest.raises(InputError, match="'fit_decades' must be a finite number"):
        protocol.execute(exp, config, tmp_path / "py")
    assert not (tmp_path / "py").exists()


def test_reason_convention_round_trips(tmp_path, capsys):
    """``key: null`` + ``key_reason`` reads back as the value it stands for: a config with a field that allows
    inf survives strict JSON, and an old folder whose manifest holds ``fit_decades = inf`` gets a one-line
    answer naming the key (before: "unknown spec key 'fit_decades_reason'")."""
    from dataclasses import dataclass, field

    from scalinglab._results import strict_json
    from scalinglab.validate import specs
    from scalinglab.validate.storage import Manifest

    @dataclass(frozen=True)
    class Window:
        hi: float = field(default=1.0, metadata={"nonfinite": True})
        xs: tuple[float, ...] = field(default=(1.0,), metadata={"nonfinite": True})
        n: int = 3

    w = Window(hi=float("inf"), xs=(1.0, float("-inf")))
    stored = json.loads(json.dumps(strict_json(specs.to_dict(w)), allow_nan=False))
    assert stored["hi"] is None and stored["hi_reason"] == "null stands for +inf"
    assert specs.build(Window, specs.from_strict(stored)) == w
    out = tmp_path / "fig2"
    spec = tmp_path / "fig2.toml"
    spec.write_text('experiment = "brill-fig2"\nc_over_D = [0.5]\nn_points = 20\n')
    assert main(["run", str(spec), "--out", str(out)]) == 0
    man = Manifest.load(out)
    man.data["config"].update(fit_decades=None, fit_decades_reason="null stands for +inf")
    man.save()
    capsys.readouterr()
    assert main(["run", str(spec), "--out", str(out), "--replot"]) == 2
    err = capsys.readouterr().err
    assert "fit_decades" in err and "finite" in err and "unknown spec key" not in err, err


# --------------------------------------------------------------------------- 6. a loss that goes non-finite
TINY_RHM = """
experiment = "rhm-curve"
P = [16, 32]
seeds = 1
n_test = 100
n_boot = 100
[rhm]
n_c = 4
v = 6
m = 3
s = 2
L = 2
[net]
width = 8
[train]
lr = {lr}
max_epochs = 4
[[curves]]
alpha = 1.0
[run]
device = "cpu"
"""


def test_a_run_whose_loss_goes_nonfinite_is_a_failed_run(tmp_path, capsys):
    """train.lr = 1e30 on a tiny RHM (CPU): the loss overflows; each run is stored with status "failed" and
    the reason, left out of the analysis, counted in the report and the output, exit status 1 (before: NaN
    losses stored as results, exit 0). train.lr = inf is refused as a setting."""
    pytest.importorskip("torch")
    spec = tmp_path / "rhm.toml"
    spec.write_text(TINY_RHM.format(lr="inf"))
    assert main(["run", str(spec), "--out", str(tmp_path / "inf")]) == 2
    assert "must be a finite number" in capsys.readouterr().err and not (tmp_path / "inf").exists()
    spec.write_text(TINY_RHM.format(lr="1e30"))
    out = tmp_path / "o"
    assert main(["run", str(spec), "--out", str(out)]) == 1
    text = capsys.readouterr().out
    assert "2 FAILED" in text and "cells FAILED and are left out of the analysis" in text, text
    rows = RowStore(tmp_path / "rhm-runs").read().rows
    assert len(rows) == 2 and all(r["status"] == "failed" and "non-finite" in r["failure"] for r in rows)
    report = (out / "report.md").read_text()
    assert "2 FAILED" in report and "Failed runs (2" in report
    assert main(["run", str(spec), "--out", str(out)]) == 1  # stored as failed: not run again
    assert "(0 run now, 2 FAILED" in capsys.readouterr().out


def test_nonfinite_loss_of_any_experiment_is_marked_failed(tmp_path, monkeypatch):
    exp, config, text, _ = rf(tmp_path)
    real = type(exp).run

    def half_nan(self, cells, device):
        return [{**r, "loss": float("nan")} if i == 0 else r for i, r in enumerate(real(self, cells, device))]

    monkeypatch.setattr(type(exp), "run", half_nan)
    oc = protocol.execute(exp, config, tmp_path / "o", spec_text=text)
    assert oc.n_failed == len({exp.group(c) for c in exp.cells(config)}) and oc.n_stored == oc.n_cells
    assert oc.failed[0].endswith("non-finite loss (nan)")
    assert len(load_results(tmp_path / "o")) == oc.n_cells  # load_results shows every stored row, status included


# --------------------------------------------------------------------------- 7. a refused start writes nothing
def test_a_refused_start_writes_nothing(tmp_path, monkeypatch):
    """No Dask, an unreachable scheduler, or a bad value that only the first cell finds: no folder, no
    manifest.json (before: a manifest and empty folders were left behind); into an existing folder, its
    manifest stays as it was."""
    exp, config, text, _ = rf(tmp_path)

    class NoScheduler:
        class Client:
            def __init__(self, *a, **k):
                raise OSError("Timed out trying to connect to tcp://10.0.0.1:8786 after 20 s")

    def no_dask():
        raise InputError('Dask sweeps need dask.distributed: pip install "scalinglab[cluster]"')

    for n, (attr, fake, sched, err) in enumerate([("_dask", no_dask, "tcp://x:1", InputError),
                                                   ("_dask", lambda: NoScheduler, "tcp://10.0.0.1:8786", OSError)]):
        with monkeypatch.context() as m:
            m.setattr(protocol, attr, fake)
            with pytest.raises(err):
                protocol.execute(exp, config, tmp_path / f"o{n}", scheduler=sched, spec_text=text)
        assert not (tmp_path / f"o{n}").exists()

    def late(self, cells, device):
        raise InputError("a value only the first cell can check is out of range")

    with monkeypatch.context() as m:
        m.setattr(type(exp), "run", late)
        with pytest.raises(InputError, match="only the first cell"):
            protocol.execute(exp, config, tmp_path / "late", spec_text=text)
    assert not (tmp_path / "late").exists()
    protocol.execute(exp, config, tmp_path / "kept", spec_text=text)
    before = (tmp_path / "kept" / "manifest.json").read_bytes()
    import dataclasses

    with monkeypatch.context() as m:
        m.setattr(type(exp), "run", late)
        with pytest.raises(InputError):
            protocol.execute(exp, dataclasses.replace(config, S=130), tmp_path / "kept", spec_text=text)
    assert (tmp_path / "kept" / "manifest.json").read_bytes() == before


# --------------------------------------------------------------------------- 8. --out and --replot
def test_a_changed_setting_into_the_same_out_keeps_the_earlier_report(tmp_path, capsys):
    """alpha_K 0.5, then 0.7 into one --out: the 0.5 report, summary, CSV and figures move to
    out/settings/<id>/ (with a manifest pointing at the rows), the notice names the place and the change, and a
    --replot there redraws the 0.5 setting. Before: replaced, with one line of notice."""
    spec = tmp_path / "rf.toml"
    out = tmp_path / "o"
    spec.write_text(RF.format(seeds=1))
    assert main(["run", str(spec), "--out", str(out)]) == 0
    first = json.loads((out / "summary.json").read_text())
    report = (out / "report.md").read_text()
    spec.write_text(RF.format(seeds=1).replace("alpha_K = 0.5", "alpha_K = 0.7"))
    capsys.readouterr()
    assert main(["run", str(spec), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    kept = list((out / "settings").iterdir())
    assert len(kept) == 1 and f"kept in {kept[0]}" in text and "alpha_K 0.5 -> 0.7" in text, text
    assert json.loads((kept[0] / "summary.json").read_text()) == first
    assert (kept[0] / "report.md").read_text() == report and (kept[0] / "figures" / "rf_regimes.png").exists()
    assert json.loads((out / "summary.json").read_text()) != first
    assert main(["reproduce", "spectral-rf-regimes", "--replot", "--out", str(kept[0])]) == 0
    assert json.loads((kept[0] / "summary.json").read_text()) == first
    assert len(load_results(kept[0])) == 12 and set(load_results(kept[0])["alpha_K"]) == {0.5}
    assert main(["run", str(spec), "--out", str(out)]) == 0  # the same setting again: nothing moved
    assert len(list((out / "settings").iterdir())) == 1


def test_replot_says_which_settings_it_draws_and_refuses_a_mismatch(tmp_path, capsys):
    """run SPEC --replot draws the spec's settings; a run setting that differs from the stored rows' is refused
    in one line (before: the stored config was drawn without a word); an analysis setting (n_boot) is drawn
    from the spec and said so; reproduce NAME --replot names the stored settings it draws."""
    spec = tmp_path / "rf.toml"
    out = tmp_path / "o"
    spec.write_text(RF.format(seeds=1))
    assert main(["run", str(spec), "--out", str(out)]) == 0
    spec.write_text(RF.format(seeds=1).replace("alpha_K = 0.5", "alpha_K = 0.7"))
    capsys.readouterr()
    assert main(["run", str(spec), "--out", str(out), "--replot"]) == 2
    err = capsys.readouterr().err
    assert "alpha_K = 0.7" in err and "made with alpha_K = 0.5" in err and len(err.strip().splitlines()) == 1
    spec.write_text(RF.format(seeds=1).replace("n_boot = 100", "n_boot = 200"))
    assert main(["run", str(spec), "--out", str(out), "--replot"]) == 0
    text = capsys.readouterr().out
    assert f"--replot draws the settings of {spec}" in text and "n_boot 100 -> 200" in text, text
    assert main(["reproduce", "spectral-rf-regimes", "--replot", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"--replot draws the settings stored in {out / 'manifest.json'}" in text
    assert "not the shipped spec's" in text


# --------------------------------------------------------------------------- property: encode/decode
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_VAL = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=True),
                 st.text(max_size=20), st.lists(st.floats(allow_nan=False), max_size=4))
_ROW = st.builds(lambda k, d: {"key": k, **d}, st.text(min_size=1, max_size=24),
                 st.dictionaries(st.text(max_size=10).filter(lambda s: s not in ("key", "_sum")), _VAL, max_size=6))


@settings(max_examples=100, deadline=None)
@given(row=_ROW, data=st.data())
def test_rows_round_trip_and_no_single_byte_change_decodes(row, data):
    """Any row reads back as written (nan included); any one byte of its line changed to any other value is
    refused by decode_row (checksum, prefix or JSON), never read as another row."""
    from scalinglab.validate.storage import _BadRow, decode_row, encode_row

    line = encode_row(row)[:-1]
    back, checked = decode_row(line)
    assert checked and json.dumps(back, sort_keys=True) == json.dumps(json.loads(json.dumps(row)), sort_keys=True)
    pos = data.draw(st.integers(0, len(line) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != line[pos]))
    with pytest.raises(_BadRow):
        decode_row(line[:pos] + bytes([new]) + line[pos + 1:])
