"""The stacked training engine (issue 9): device data path, batch order, compaction, CPU/CUDA paths."""

import contextlib
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import naive  # noqa: E402
from scalinglab.errors import InputError  # noqa: E402
from scalinglab.theory.rhm import RHMSpec  # noqa: E402
from scalinglab.validate import train as T  # noqa: E402
from scalinglab.validate.models import build_model, build_stacked  # noqa: E402
from scalinglab.validate.rhm import (  # noqa: E402
    TEST_START,
    Curve,
    Net,
    RHMData,
    RHMSizes,
    curve_cells,
    onehot,
    run_block,
    train_cells,
)
from scalinglab.validate.train import TrainConfig, train_stacked  # noqa: E402


def make_spec(alpha, levels, L=3):
    """The seed's base model (m = v = n_c = 10, s = 2) with Zipf ``alpha`` on ``levels`` ("1-2-3")."""
    return RHMSpec.make(L=L, alpha=alpha, zipf_levels=[int(x) for x in levels.split("-")])

ROOT = Path(__file__).resolve().parents[1]
CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA device")

# three runs of one shape that stop at different epochs (one converges, two hit the epoch cap)
CELLS = [(make_spec(2.0, "1-2-3"), 128, 0), (make_spec(4.0, "1-2-3"), 128, 1), (make_spec(1.0, "1-2-3"), 128, 2)]
CFG = TrainConfig(max_epochs=60, batch_size=32)


def _fields(rows):
    return [(r["epochs"], r["converged"], r["test_err"], r["train_loss"]) for r in rows]


# --------------------------------------------------------------------------- one run key, bit for bit (issue 17)
# One run key's row must not depend on how often, where in a stack, on how many threads or in which process it
# was trained (on one CPU type; across CPU types MKL's kernels differ: docs/guide/statistics.md).
REPRO_CELL = (make_spec(2.0, "1-2-3"), 128, 3)
REPRO_CFG = TrainConfig(max_epochs=20, batch_size=32)
_REPRO_CODE = """
import json, sys
sys.path.insert(0, {tests!r})
from test_train_engine import REPRO_CELL, _repro_rows
print(json.dumps(_repro_rows([REPRO_CELL])[0]))
"""


def _repro_rows(cells):
    """Rows of ``cells`` without the wall-clock time and the stack size (the only fields allowed to differ)."""
    rows = train_cells(cells, h=32, n_test=500, train=REPRO_CFG)
    return [{k: v for k, v in r.items() if k not in ("wall_block_s", "R")} for r in rows]


def test_one_run_key_gives_the_same_row_bit_for_bit(monkeypatch):
    import json
    import os
    import subprocess

    first = _repro_rows([REPRO_CELL])[0]
    assert _repro_rows([REPRO_CELL])[0] == first  # twice in one process
    spec, P, seed = REPRO_CELL
    stack = [(make_spec(1.0, "1-2-3"), P, 0), (spec, P, 7), REPRO_CELL, (make_spec(4.0, "1-2-3"), P, 3)]
    assert _repro_rows(stack)[2] == first  # in a stack of other seeds and exponents (compacted as they finish)
    for threads in ("2", "4"):
        monkeypatch.setenv("SCALINGLAB_TORCH_THREADS", threads)
        assert _repro_rows([REPRO_CELL])[0] == first, f"{threads} threads"
    # a fresh process (other allocations, other thread setting), through JSON as the stores keep rows
    env = {**os.environ, "SCALINGLAB_TORCH_THREADS": "3", "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", _REPRO_CODE.format(tests=str(ROOT / "tests"))], env=env,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == json.loads(json.dumps(first))
    assert 0 < first["test_err"] < 1 and first["epochs"] > 1  # it trained


def test_cpu_training_runs_with_deterministic_algorithms(monkeypatch):
    seen = []
    run = T._Trainer.run

    def spy(self):
        seen.append((torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()))
        return run(self)

    monkeypatch.setattr(T._Trainer, "run", spy)
    monkeypatch.setenv("SCALINGLAB_TORCH_THREADS", "2")
    before = torch.are_deterministic_algorithms_enabled()
    train_cells([REPRO_CELL], h=8, n_test=50, train=TrainConfig(max_epochs=1))
    assert seen == [(True, 2)] and torch.are_deterministic_algorithms_enabled() == before


# --------------------------------------------------------------------------- batch order
def test_batch_order_matches_reference_and_is_per_run():
    for seed, epoch, P in [(0, 1, 10), (7, 3, 100), (2**63 + 5, 250, 33)]:
        got = T.epoch_order(seed, epoch, P).tolist()
        assert got == naive.batch_order(seed, epoch, P)
        assert sorted(got) == list(range(P))
    # a stack's orders are the rows of the runs' own orders, whatever the stack
    seeds = [4, 9, 1]
    salts = T._epoch_salts(seeds, [5])[:, 0]
    stacked = T._order(salts, 50)
    for r, sd in enumerate(seeds):
        assert torch.equal(stacked[r], T.epoch_order(sd, 5, 50))
    assert not torch.equal(T.epoch_order(4, 5, 50), T.epoch_order(4, 6, 50))
    assert not torch.equal(T.epoch_order(4, 5, 50), T.epoch_order(9, 5, 50))


def test_batch_order_uniform_first_position():
    """Over many epochs, the first datum of an epoch is uniform on range(P) (chi-square)."""
    from scipy import stats

    P, E = 8, 4000
    salts = T._epoch_salts([3], range(1, E + 1))[0]
    first = T._order(salts, P)[:, 0].numpy()
    assert stats.chisquare(np.bincount(first, minlength=P)).pvalue > 1e-3


# --------------------------------------------------------------------------- data path
def test_device_onehot_equals_host_onehot_for_every_model():
    spec = RHMSpec.make(n_c=4, v=5, m=3, s=2, L=3, alpha=0.5)
    b = RHMData(spec, 1).train(20)
    sym = torch.as_tensor(np.stack([b.x, b.x[::-1]]))  # (2, 20, d) int16, as the sampler gives them
    hot = torch.as_tensor(np.stack([onehot(b.x, spec.v), onehot(b.x[::-1], spec.v)]))
    for kind in ("cnn", "fcn", "perceptron"):
        m = build_model(kind, spec, R=2, h=6, seed=2)
        assert torch.equal(m._onehot(sym, 2, "vd"), hot)
        assert torch.equal(m(sym), m(hot))  # the same floats, hence the same logits
    with pytest.raises(ValueError):
        m(sym[:, :, :3])


def test_new_data_path_equals_old(monkeypatch):
    """train_cells hands train_stacked the same training, test and validation data as the
    former run_block (host one-hot of RHMData's streams), as symbols."""
    seen = {}

    def spy(model, x, y, xt, yt, cfg, xv=None, yv=None, seeds=None):
        seen.update(x=x, y=y, xt=xt, yt=yt, xv=xv, yv=yv, seeds=seeds)
        return real(model, x, y, xt, yt, cfg, xv, yv, seeds=seeds)

    import scalinglab.validate.train as train_mod

    real = train_mod.train_stacked
    monkeypatch.setattr(train_mod, "train_stacked", spy)
    spec = make_spec(2.0, "1-2-3")
    train_cells([(spec, 40, 3), (spec, 40, 8)], model="perceptron", n_test=50,
                train=TrainConfig(stop="val", max_epochs=2))
    assert seen["seeds"] == [3, 8]
    for r, sd in enumerate((3, 8)):
        d = RHMData(spec, rules_seed=sd)
        old = {"x": d.train(40), "xt": d.test(50), "xv": d.draw(50, start=TEST_START + 2**39)}
        for k, batch in old.items():
            sym = seen[k][r]
            assert not sym.is_floating_point()
            assert np.array_equal(onehot(sym.numpy(), spec.v), onehot(batch.x, spec.v))
            assert np.array_equal(seen["y" + k[1:]][r].numpy(), batch.y)


def test_symbols_and_onehot_inputs_train_identically():
    spec = make_spec(2.0, "1-2-3")
    d = [RHMData(spec, s) for s in (0, 1)]
    tr, te = [x.train(64) for x in d], [x.test(100) for x in d]
    sym = [torch.as_tensor(np.stack([t.x for t in b])) for b in (tr, te)]
    hot = [torch.as_tensor(np.stack([onehot(t.x, 10) for t in b])) for b in (tr, te)]
    Y, Yt = (torch.as_tensor(np.stack([t.y for t in b])) for b in (tr, te))
    cfg = TrainConfig(max_epochs=4, batch_size=16)
    m1, m2 = build_stacked("cnn", spec, [0, 1], h=8), build_stacked("cnn", spec, [0, 1], h=8)
    r1 = train_stacked(m1, sym[0], Y, sym[1], Yt, cfg, seeds=[0, 1])
    r2 = train_stacked(m2, hot[0], Y, hot[1], Yt, cfg, seeds=[0, 1])
    assert np.array_equal(r1["test_correct"], r2["test_correct"]) and np.array_equal(r1["train_loss"], r2["train_loss"])
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(p, q)


# --------------------------------------------------------------------------- stacking
def test_alone_and_stacked_give_identical_results():
    stacked = train_cells(CELLS, h=16, n_test=300, train=CFG)
    alone = [train_cells([c], h=16, n_test=300, train=CFG)[0] for c in CELLS]
    assert _fields(stacked) == _fields(alone)
    epochs = [r["epochs"] for r in stacked]
    assert len(set(epochs)) > 1, "the runs should stop at different epochs (compaction exercised)"


def test_masked_finished_runs_are_frozen(monkeypatch):
    """Finished runs left in the stack (masked, never compacted) change nothing: the same
    results, and each run's returned parameters are those at its own stop."""
    compacted = train_cells(CELLS, h=16, n_test=300, train=CFG)
    monkeypatch.setitem(T.COMPACT_FRACTION, "cpu", 1.0)  # never compact: finished runs stay, masked
    masked = train_cells(CELLS, h=16, n_test=300, train=CFG)
    assert _fields(masked) == _fields(compacted)
    # the early finisher's parameters equal a lone run stopped by the epoch cap at its epoch
    r_early = int(np.argmin([r["epochs"] for r in masked]))
    spec, P, sd = CELLS[r_early]
    d = RHMData(spec, sd)
    x, y = (torch.as_tensor(a)[None] for a in (d.train(P).x, d.train(P).y))
    xt, yt = (torch.as_tensor(a)[None] for a in (d.test(50).x, d.test(50).y))
    seeds = [c[2] for c in CELLS]
    data = [RHMData(c[0], c[2]) for c in CELLS]
    X = torch.as_tensor(np.stack([b.train(P).x for b in data]))
    Y = torch.as_tensor(np.stack([b.train(P).y for b in data]))
    Xt = torch.as_tensor(np.stack([b.test(50).x for b in data]))
    Yt = torch.as_tensor(np.stack([b.test(50).y for b in data]))
    stack = build_stacked("cnn", spec, seeds, h=16)
    train_stacked(stack, X, Y, Xt, Yt, CFG, seeds=seeds)
    lone = build_stacked("cnn", spec, [sd], h=16)
    lone_cfg = TrainConfig(max_epochs=masked[r_early]["epochs"], batch_size=32)
    train_stacked(lone, x, y, xt, yt, lone_cfg, seeds=[sd])
    for p, q in zip(stack.parameters(), lone.parameters()):
        assert torch.equal(p[r_early], q[0])


def test_validation_stopping_alone_and_stacked():
    cfg = TrainConfig(stop="val", patience=5, max_epochs=80, batch_size=16)
    cells = [(make_spec(2.0, "1-2-3"), 64, 0), (make_spec(0.5, "1-2-3"), 64, 1)]
    stacked = train_cells(cells, model="perceptron", n_test=200, train=cfg)
    alone = [train_cells([c], model="perceptron", n_test=200, train=cfg)[0] for c in cells]
    assert _fields(stacked) == _fields(alone)
    assert all(r["epochs"] < 80 for r in stacked)


def test_run_block_row_fields_unchanged():
    cells = curve_cells(Curve(alpha=2.0), RHMSizes(), Net(width=8), TrainConfig(max_epochs=2), 64, [32], 2)
    rows = run_block(cells)
    spec = cells[0].spec()
    want = ["test_err", "train_loss", "epochs", "converged", "seen_frac", "seen_frac_free", "wall_block_s", "R"]
    for k in range(spec.K + 1):
        want += [f"n_{k}", f"acc_{k}"]
    want += ["distinct_frac", "stream_draws", "train_mass"]  # issue 10: overlap of training set and data
    assert [list(r) for r in rows] == [want, want]
    assert all(r["R"] == 2 for r in rows)


def test_run_block_stacks_zipf_exponents_like_lone_runs():
    # the protocol groups runs of equal shape (every seed and every alpha of a P) into one stack
    tr = TrainConfig(max_epochs=5, batch_size=16)
    a = curve_cells(Curve(alpha=2.0), RHMSizes(), Net(width=8), tr, 64, [64], 1)
    b = curve_cells(Curve(alpha=0.5), RHMSizes(), Net(width=8), tr, 64, [64], 1)
    stacked = run_block(a + b)
    alone = run_block(a) + run_block(b)
    drop = ("wall_block_s", "R")
    assert [{k: v for k, v in r.items() if k not in drop} for r in stacked] == \
        [{k: v for k, v in r.items() if k not in drop} for r in alone]


def test_train_cells_refuses_unequal_shapes():
    with pytest.raises(InputError, match="cells"):
        train_cells([(make_spec(2.0, "1-2-3"), 64, 0), (make_spec(2.0, "1-2-3"), 32, 1)])
    with pytest.raises(InputError, match="cells"):
        train_cells([(make_spec(2.0, "1-2-3"), 64, 0), (make_spec(2.0, "1-2", L=2), 64, 1)])


# --------------------------------------------------------------------------- pieces
def test_cross_entropy_matches_torch():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 17, 10, generator=g) * 5
    y = torch.randint(0, 10, (3, 17), generator=g)
    ref = torch.nn.functional.cross_entropy(logits.reshape(-1, 10), y.reshape(-1), reduction="none").view(3, 17)
    assert torch.allclose(T._cross_entropy(logits, y), ref.mean(1), rtol=1e-6, atol=1e-6)


def test_chunked_evaluation_equals_one_chunk_and_fits_budget():
    spec = make_spec(2.0, "1-2-3")
    m = build_model("cnn", spec, R=3, h=8, seed=1)
    x = torch.as_tensor(np.stack([RHMData(spec, s).test(100).x for s in range(3)])).long()
    params = [p.detach() for p in m.parameters()]
    assert torch.equal(T._predict(m, params, x, 7), T._predict(m, params, x, 100))
    big = build_model("cnn", spec, R=40, h=2048, device="meta")
    chunk = T._eval_chunk(big, 40, 4096, "cuda")
    assert 16 <= chunk < 4096
    assert chunk * 40 * (spec.input_size // spec.s) * 2048 * 4 <= T.EVAL_BUDGET["cuda"]


def test_memory_estimate_refuses_huge_stacks():
    huge = build_model("cnn", make_spec(2.0, "1-2-3"), R=4000, h=8192, device="meta")  # ~10**12 parameters
    with pytest.raises(InputError, match="GiB"):
        T._check_memory(huge, 4000, 1024, 4096, 128, torch.device("cpu"), False)


# --------------------------------------------------------------------------- CPU / CUDA paths
def test_cpu_path_selected(monkeypatch):
    assert not T.cuda_graphs_enabled("cpu")
    monkeypatch.setenv("SCALINGLAB_CUDA_GRAPHS", "0")
    assert not T.cuda_graphs_enabled("cuda")
    monkeypatch.delenv("SCALINGLAB_CUDA_GRAPHS")
    assert T.cuda_graphs_enabled("cuda")  # the decision, not the availability
    spec = make_spec(2.0, "1-2-3")
    d = RHMData(spec, 0)
    x, y = (torch.as_tensor(a)[None] for a in (d.train(32).x, d.train(32).y))
    tr = T._Trainer(build_stacked("cnn", spec, [0], h=8), x, y, x, y, TrainConfig(), None, None, [0])
    assert not tr.use_graphs and tr.compact_above == 0.0
    assert tr.opt.defaults["fused"] and not tr.opt.defaults["capturable"]
    monkeypatch.setenv("SCALINGLAB_TORCH_THREADS", "1")
    assert T.cpu_threads() == 1


class _FakeGraph:
    """Stands in for a CUDA graph on the CPU: capture records the step, replay runs it. As in a
    real graph captured with the gradients unset, each replay writes fresh gradients (the
    captured backward writes into the memory it allocated, it does not accumulate)."""

    captures = 0

    def __init__(self, trainer, body):
        _FakeGraph.captures += 1
        self.trainer, self.body = trainer, body

    def replay(self):
        for p in self.trainer.params:
            p.grad = None
        self.body()


def test_graph_control_flow_on_cpu(monkeypatch):
    """The CUDA-graph control flow (warm-up steps, one capture per stack shape, replays, masked
    finished runs, recapture after a compaction) gives the eager results; run on the CPU with a
    fake graph, so that the logic around the graphs is tested without a GPU."""
    eager = train_cells(CELLS, h=16, n_test=300, train=CFG)
    monkeypatch.setattr(T, "cuda_graphs_enabled", lambda device: True)
    monkeypatch.setattr(T._Trainer, "_warmup_stream", lambda self: contextlib.nullcontext())
    monkeypatch.setattr(T._Trainer, "_capture", lambda self, body: _FakeGraph(self, body))
    monkeypatch.setitem(T.COMPACT_FRACTION, "cpu", 0.25)  # as on CUDA: masked first, compacted later
    _FakeGraph.captures = 0
    graphed = train_cells(CELLS, h=16, n_test=300, train=CFG)
    assert _fields(graphed) == _fields(eager)
    n_stacks = len({r["epochs"] for r in eager})  # the stack shrinks once per distinct stopping epoch
    assert 1 <= _FakeGraph.captures <= n_stacks


def _cuda_cells(graphs, monkeypatch, cells=CELLS):
    monkeypatch.setenv("SCALINGLAB_CUDA_GRAPHS", "1" if graphs else "0")
    return train_cells(cells, h=16, n_test=300, train=CFG, device="cuda")


@needs_cuda
def test_cuda_graph_equals_eager_and_alone(monkeypatch):
    """A replayed graph runs the eager step's kernels: equal results up to rounding. Alone or stacked,
    cuBLAS may pick other kernels for other batch counts, so trajectories may drift a little."""
    graph = _cuda_cells(True, monkeypatch)
    eager = _cuda_cells(False, monkeypatch)
    for a, b in zip(graph, eager):
        assert abs(a["epochs"] - b["epochs"]) <= 1 and abs(a["test_err"] - b["test_err"]) <= 3 / 300
    assert graph[1]["converged"] and graph[1]["test_err"] < 0.2  # alpha = 4 is learnt
    alone = [_cuda_cells(True, monkeypatch, [c])[0] for c in CELLS]
    for a, b in zip(graph, alone):
        assert abs(a["test_err"] - b["test_err"]) <= 0.05 and abs(a["epochs"] - b["epochs"]) <= 6


@needs_cuda
def test_cuda_matches_cpu_from_the_same_initialisation(monkeypatch):
    """Same data, initialisation (drawn on the CPU) and batch order on both devices: results agree to rounding."""
    spec = make_spec(4.0, "1-2-3")
    data = [RHMData(spec, s) for s in (0, 1)]
    arrays = [torch.as_tensor(np.stack([getattr(getattr(b, part)(n), f) for b in data]))
              for part, n in (("train", 128), ("test", 300)) for f in ("x", "y")]
    res = {}
    for dev in ("cpu", "cuda"):
        model = build_stacked("cnn", spec, [0, 1], h=16).to(dev)
        res[dev] = train_stacked(model, *[a.to(dev) for a in arrays], CFG, seeds=[0, 1])
        assert model.readout.device.type == dev
    assert np.abs(res["cpu"]["test_err"] - res["cuda"]["test_err"]).max() <= 0.05
    assert np.abs(res["cpu"]["epochs"] - res["cuda"]["epochs"]).max() <= 6


# --------------------------------------------------------------------------- benchmarks
def _bench(name):
    """The benchmark script's module (run in-process: the imports are paid already)."""
    import importlib

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def test_train_benchmark_quick_runs(capsys):
    out = _bench("bench_rhm_train").main(["--quick", "--device", "cpu"])
    assert "speed-up" in capsys.readouterr().out
    assert {(c["h"], c["R"]) for c in out["cases"]} == {(16, 2), (16, 4)}
    assert all(c["old_step_ms"] > 0 and c["new_step_ms"] > 0 for c in out["cases"])
    cell = out["cells"][0]
    assert cell["R"] == 4 and cell["old_steps"] == cell["new_steps"]
    assert out["grid"][0]["runs"] == 8


def test_sample_benchmark_quick_runs(capsys):
    out = _bench("bench_rhm_sample").main(["--quick"])
    assert "samples/s" in capsys.readouterr().out
    assert out["ours_uniform_s"] > 0 and "peer_uniform_s" not in out


# --------------------------------------------------------------------------- SGD (Cagnetta et al.)
def _peer_forward(Wp, bp, ro, x1h, h):
    """Cagnetta et al.'s hierarchical CNN (pcsl-epfl/random-hierarchy-model, models/cnn.py) written out:
    conv1d with filter size = stride = s, output / sqrt(fan_in) (bias inside the conv), ReLU, read-out / h."""
    z = x1h
    for W, b in zip(Wp, bp):
        fan = W.shape[1] * W.shape[2]
        z = torch.nn.functional.conv1d(z, W, b, stride=W.shape[2]).div(fan**0.5).relu()
    return z.mean(-1) @ ro / h


def test_sgd_equals_peer_parametrisation():
    """optimizer="sgd" follows the trajectory of the peer's mean-field CNN under torch's plain SGD at lr * h,
    momentum 0.9: same batches, parameters mapped W' = sqrt(fan) W, read-out' = h * read-out."""
    spec, P, h, s, v = make_spec(2.0, "1-2-3"), 256, 8, 2, 10
    cfg = TrainConfig(optimizer="sgd", lr=0.1, momentum=0.9, max_epochs=3, batch_size=64, loss_tol=1e-9)
    data = RHMData(spec, 3)
    tr, te = data.train(P), data.test(200)
    model = build_stacked("cnn", spec, [3], h=h)
    init = [p.detach().clone() for p in model.parameters()]  # readout, w.0..2, b.0..2

    def to_peer(w, fan_in_ch):  # ours (fan, h), feature = j * C + c  ->  theirs (h, C, s) * sqrt(fan)
        fan = w.shape[0]
        return (w.reshape(s, fan_in_ch, -1).permute(2, 1, 0) * fan**0.5).contiguous()

    chans = [v] + [h] * (spec.L - 1)
    Wp = [to_peer(init[1 + i][0], chans[i]).requires_grad_(True) for i in range(spec.L)]
    bp = [(init[1 + spec.L + i][0, 0] * (chans[i] * s) ** 0.5).clone().requires_grad_(True) for i in range(spec.L)]
    ro = (init[0][0] * h).clone().requires_grad_(True)
    opt = torch.optim.SGD(Wp + bp + [ro], lr=0.1 * h, momentum=0.9)
    x1h = torch.as_tensor(onehot(tr.x, v))  # (P, v, d)
    y = torch.as_tensor(tr.y).long()
    for epoch in range(1, cfg.max_epochs + 1):
        order = T.epoch_order(3, epoch, P)
        for i in range(P // cfg.batch_size):
            idx = order[i * cfg.batch_size:(i + 1) * cfg.batch_size]
            loss = torch.nn.functional.cross_entropy(_peer_forward(Wp, bp, ro, x1h[idx], h), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    T_ = torch.as_tensor
    res = train_stacked(model, T_(tr.x)[None], T_(tr.y)[None], T_(te.x)[None], T_(te.y)[None], cfg, seeds=[3])
    got = list(model.parameters())
    with torch.no_grad():
        assert torch.allclose(got[0][0] * h, ro, atol=1e-4, rtol=1e-4)
        for i in range(spec.L):
            assert torch.allclose(to_peer(got[1 + i][0], chans[i]), Wp[i], atol=1e-4, rtol=1e-4)
            assert torch.allclose(got[1 + spec.L + i][0, 0] * (chans[i] * s) ** 0.5, bp[i], atol=1e-4, rtol=1e-4)
        peer_err = (_peer_forward(Wp, bp, ro, torch.as_tensor(onehot(te.x, v)), h).argmax(-1)
                    != torch.as_tensor(te.y)).float().mean()
    assert res["test_err"][0] == pytest.approx(float(peer_err), abs=0.011)
    assert float((got[0] - init[0]).detach().abs().max()) > 1e-3  # it moved


def test_sgd_stacked_equals_alone_and_compacts():
    """SGD runs in a stack equal lone runs, also when runs stop at different epochs (stack compaction)."""
    cfg = TrainConfig(optimizer="sgd", lr=0.2, max_epochs=15, loss_tol=0.5, batch_size=16)
    alone = [run_block_like([c], cfg) for c in CELLS]
    both = run_block_like(CELLS, cfg)
    assert len({r["epochs"] for r in both}) > 1  # they stopped at different epochs
    for a, b in zip(alone, both):
        assert a[0]["test_err"] == b["test_err"] and a[0]["epochs"] == b["epochs"]


def run_block_like(cells, cfg):
    return train_cells(cells, h=16, n_test=300, train=cfg)


def test_train_config_optimizer_fields_keep_old_keys():
    """optimizer/momentum at their defaults leave every stored Adam run's key unchanged; other values change it."""
    from dataclasses import dataclass, field

    from scalinglab.validate.protocol import cell_key

    @dataclass(frozen=True)
    class Old:  # TrainConfig before the optimizer fields
        lr: float = 3e-3
        batch_size: int = 128
        max_epochs: int = 300
        max_steps: int = 20000
        loss_tol: float = 1e-2
        stop: str = "loss"
        patience: int = 20
        weight_decay: float = 0.0

    @dataclass(frozen=True)
    class CellOld:
        train: Old = field(default_factory=Old)

    @dataclass(frozen=True)
    class CellNew:
        train: TrainConfig = field(default_factory=TrainConfig)

    CellOld.__name__ = CellNew.__name__ = "C"
    assert cell_key(CellOld()) == cell_key(CellNew())
    assert cell_key(CellNew(TrainConfig(optimizer="sgd"))) != cell_key(CellNew())
    assert cell_key(CellNew(TrainConfig(momentum=0.5))) != cell_key(CellNew())
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="momentum"):
        TrainConfig(momentum=1.0)


SGD_CFG = TrainConfig(optimizer="sgd", lr=0.2, max_epochs=15, loss_tol=0.5, batch_size=16)


def test_sgd_graph_control_flow_on_cpu(monkeypatch):
    """SGD through the CUDA-graph control flow (fake graph on the CPU, compaction included) = eager SGD."""
    eager = train_cells(CELLS, h=16, n_test=300, train=SGD_CFG)
    monkeypatch.setattr(T, "cuda_graphs_enabled", lambda device: True)
    monkeypatch.setattr(T._Trainer, "_warmup_stream", lambda self: contextlib.nullcontext())
    monkeypatch.setattr(T._Trainer, "_capture", lambda self, body: _FakeGraph(self, body))
    monkeypatch.setitem(T.COMPACT_FRACTION, "cpu", 0.25)
    _FakeGraph.captures = 0
    graphed = train_cells(CELLS, h=16, n_test=300, train=SGD_CFG)
    assert _fields(graphed) == _fields(eager) and _FakeGraph.captures >= 1


@needs_cuda
def test_cuda_sgd_graph_equals_eager(monkeypatch):
    """SGD captured in a CUDA graph gives the eager SGD results up to rounding."""
    res = {}
    for g in (True, False):
        monkeypatch.setenv("SCALINGLAB_CUDA_GRAPHS", "1" if g else "0")
        res[g] = train_cells(CELLS, h=16, n_test=300, train=SGD_CFG, device="cuda")
    for a, b in zip(res[True], res[False]):
        assert abs(a["epochs"] - b["epochs"]) <= 1 and abs(a["test_err"] - b["test_err"]) <= 3 / 300
