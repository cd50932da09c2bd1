"""Sweeps through executors: a local Dask cluster and the address parser."""

import math

import numpy as np
import pytest

from scalinglab.validate.cluster import make_executor
from scalinglab.validate.results import read_rows
from scalinglab.validate.spectral import rf_draw_cell
from scalinglab.validate.sweep import grid, run_sweep


def _cells():
    return [dict(c, regime="resolution_D", alpha_K=0.5, S=120, fixed=10) for c in grid(x=[10, 20], draw=[0, 1])]


def test_sweep_on_a_local_dask_cluster_matches_in_process(tmp_path):
    pytest.importorskip("distributed")
    keys = ("regime", "alpha_K", "S", "fixed", "x", "draw")
    run_sweep(_cells(), rf_draw_cell, tmp_path / "serial", key_fields=keys)
    with make_executor("inprocess") as client:
        assert client is not None
        run_sweep(_cells(), rf_draw_cell, tmp_path / "dask", key_fields=keys, executor=client)
    a = sorted((r["x"], r["draw"], r["loss"]) for r in read_rows(tmp_path / "serial" / "results.csv"))
    b = sorted((r["x"], r["draw"], r["loss"]) for r in read_rows(tmp_path / "dask" / "results.csv"))
    assert len(a) == 4 and [x[:2] for x in a] == [x[:2] for x in b]
    np.testing.assert_allclose([x[2] for x in a], [x[2] for x in b], rtol=1e-12)  # seeded per cell


def test_sweep_on_a_local_process_cluster(tmp_path):
    pytest.importorskip("distributed")
    with make_executor("local:1") as client:
        store = run_sweep(_cells()[:2], rf_draw_cell, tmp_path, executor=client,
                          key_fields=("regime", "alpha_K", "S", "fixed", "x", "draw"))
    assert len(store.rows) == 2 and all(math.isfinite(r["loss"]) for r in store.rows)


def test_make_executor_addresses():
    with make_executor(None) as ex:
        assert ex is None
    for bad in ("nonsense", "local:zero", "local:0", "slurm:"):
        with pytest.raises((ValueError, ImportError)):
            with make_executor(bad):
                pass


def test_slurm_executor_through_a_fake_submitit(tmp_path, monkeypatch):
    # submitit's interface: AutoExecutor(folder).update_parameters(**kw); submit(fn, *a) -> job.result()
    import sys
    import types

    class Job:
        def __init__(self, fn, args, kwargs):
            self._out = fn(*args, **kwargs)

        def result(self):
            return self._out

    class AutoExecutor:
        def __init__(self, folder):
            self.params = {}

        def update_parameters(self, **kw):
            self.params.update(kw)

        def submit(self, fn, *args, **kwargs):
            return Job(fn, args, kwargs)

    monkeypatch.setitem(sys.modules, "submitit", types.SimpleNamespace(AutoExecutor=AutoExecutor))
    with make_executor("slurm:debug") as ex:
        assert ex._ex.params["slurm_partition"] == "debug"
        store = run_sweep(_cells()[:2], rf_draw_cell, tmp_path, executor=ex,
                          key_fields=("regime", "alpha_K", "S", "fixed", "x", "draw"))
    assert len(store.rows) == 2
