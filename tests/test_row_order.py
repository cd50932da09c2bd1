"""Deterministic statistics (issue 17): the same rows stored in any order give bit-identical summaries.

Stores fill in the order workers finish: one shard in run order (here), two interleaved shards (``local:2``),
one shard per worker with random names (Dask, Slurm array tasks). Every reproduction's analysis is fed its
committed reference rows (``results/reference/**``, no training) through each of these layouts -- written as
real shards and read back by :class:`RowStore`, then put in :func:`canonical_order` as ``execute`` and
``load_results`` do -- and the strict-JSON summaries must be equal byte for byte. Before the canonical order
the spectral, Brill-toy and lattice summaries differed in the last bits (sums and bootstraps in arrival order).
"""

import dataclasses
import json
import random
import warnings
from pathlib import Path

import pytest

from scalinglab._results import strict_json
from scalinglab.validate import protocol
from scalinglab.validate.storage import Manifest, RowStore, canonical_order, load_results, to_frame

REFERENCE = Path(__file__).resolve().parents[1] / "results" / "reference"

# folder -> (row filter, config changes): the lattice analysis bootstraps every lattice (minutes), so one
# dimension with fewer resamples; the others run on all their rows
CASES = {
    "rhm-width": (None, {}),
    "rhm-fig6": (None, {}),
    "rhm-fig5": (None, {}),
    "rhm-fcn-onset": (None, {}),
    "brill-toy": (None, {}),
    "percolation-lattice": (lambda r: r.get("d") == 2 and r.get("lattice") == "site", {"n_boot": 10}),
    "spectral-interpolation": (None, {}),
    "spectral-rf-regimes": (None, {}),
    "spectral-project-data": (None, {}),
    "spectral-gram-id": (None, {}),
}


def _stored(name):
    folder = REFERENCE / name
    man = Manifest.load(folder)
    exp = protocol.get(man.experiment)
    config = exp.config_from_dict(man.data["config"])
    keep, changes = CASES[name]
    if changes:
        config = dataclasses.replace(config, **changes)
    keys = {protocol.cell_key(c) for c in exp.cells(config)}
    rows = [r for r in RowStore(protocol.rows_folder(folder, man.data)).read(quarantine=False).rows
            if r.get("key") in keys and (keep is None or keep(r))]
    return exp, config, rows, man.data["schema"] or None


def _layouts(rows, tmp_path):
    """The rows as four stores would hold them, read back through RowStore."""
    rnd = random.Random(17)
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    layouts = {"run order": [rows], "reversed": [rows[::-1]],
               "local:2": [shuffled[0::2], shuffled[1::2]],
               "one shard per worker": [shuffled[i:i + 7] for i in range(0, len(shuffled), 7)]}
    out = {}
    for name, shards in layouts.items():
        d = tmp_path / name.replace(" ", "_").replace(":", "_") / "rows"
        d.mkdir(parents=True)
        names = [f"{rnd.getrandbits(32):08x}-{i}" for i in range(len(shards))]
        for n, part in zip(names, shards):
            (d / f"{n}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part))
        out[name] = RowStore(d.parent).read(quarantine=False).rows
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_summary_does_not_depend_on_row_order(name, tmp_path):
    exp, config, rows, schema = _stored(name)
    assert len(rows) >= 20
    texts = {}
    for layout, read in _layouts(rows, tmp_path).items():
        assert sorted(r["key"] for r in read) == sorted(r["key"] for r in rows)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary = exp.analyse(to_frame(canonical_order(read), schema), config)
        texts[layout] = json.dumps(strict_json(summary), sort_keys=True)
    assert len(set(texts.values())) == 1, f"{name}: summaries differ between {sorted(texts)}"


def test_the_shuffled_order_is_what_made_them_differ():
    """Without the canonical order the spectral summary changes with the storage order (the test above can fail)."""
    exp, config, rows, schema = _stored("spectral-interpolation")
    shuffled = rows[:]
    random.Random(17).shuffle(shuffled)
    a, b = (json.dumps(strict_json(exp.analyse(to_frame(x, schema), config)), sort_keys=True)
            for x in (rows, shuffled))
    assert a != b


def test_canonical_order_sorts_by_seed_then_P_then_key():
    rows = [{"key": "z", "seed": 1, "P": 16}, {"key": "y", "seed": 0, "P": 64}, {"key": "x", "seed": 0, "P": 16},
            {"key": "w"}, {"key": "v", "seed": None, "P": 8}, {"key": "u", "seed": 0, "P": float("nan")}]
    assert [r["key"] for r in canonical_order(rows)] == ["x", "y", "u", "z", "v", "w"]
    for _ in range(5):
        random.shuffle(rows)
        assert [r["key"] for r in canonical_order(rows)] == ["x", "y", "u", "z", "v", "w"]


def test_execute_and_load_results_read_rows_in_canonical_order(tmp_path):
    """The two ways rows reach an analysis: a replot of shuffled shards writes the same summary.json bytes."""
    name = "spectral-gram-id"
    src = REFERENCE / name
    man = json.loads((src / "manifest.json").read_text())
    exp, config, rows, _ = _stored(name)
    summaries = []
    for i, (layout, read) in enumerate(_layouts(rows, tmp_path / "stores").items()):
        folder = tmp_path / f"src{i}"
        (folder / "rows").mkdir(parents=True)
        for j, r in enumerate(read):  # one shard per row, named so that the shard order is the layout's order
            (folder / "rows" / f"{j:05d}.jsonl").write_text(json.dumps(r) + "\n")
        (folder / "manifest.json").write_text(json.dumps({**man, "rows_store": "."}))
        assert list(load_results(folder)["key"]) == [r["key"] for r in canonical_order(rows)]
        protocol.execute(exp, None, tmp_path / f"out{i}", replot=True, source=folder, echo=None)
        summaries.append((tmp_path / f"out{i}" / "summary.json").read_bytes())
    assert len(set(summaries)) == 1


def test_manifests_record_what_decides_a_bit_identical_cpu_rerun(monkeypatch):
    import torch  # environment_info reads torch's CPU capability when torch is loaded

    from scalinglab.validate.storage import environment_info

    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    info = environment_info("cpu")
    assert isinstance(info["cpu"], str) and info["cpu"]
    assert info["torch_cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert info["cpu_settings"]["MKL_CBWR"] == "COMPATIBLE" and "ATEN_CPU_CAPABILITY" not in info["cpu_settings"]
    json.dumps(info)  # a manifest field: plain JSON
