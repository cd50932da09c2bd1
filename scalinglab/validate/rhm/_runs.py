"""Training sweeps on the Zipf RHM: one row per trained network, resumable.

A *configuration* is an RHM (Zipf exponent ``alpha`` on the levels listed in
``levels``, uniform elsewhere) and a model kind. :func:`run_block` trains the
networks of one configuration and training-set size P for several seeds at
once (stacked, :mod:`scalinglab.validate.models`) and measures, on fresh test
data, the test error and the seed's path bookkeeping: for every test datum,
how many of its K paths were seen in training (position-specific, and the
position-free fraction), and the accuracy of the test data with k seen paths.
:func:`sweep` runs a grid of (configuration, P, seed) into a
:class:`~scalinglab.validate.results.ResultStore` and skips finished runs, so a
killed sweep resumes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from scalinglab._util import progress
from scalinglab.theory.rhm import RHMSpec
from scalinglab.validate.results import ResultStore, cell_key
from scalinglab.validate.train import TrainConfig

__all__ = ["BASE", "RunSettings", "Config", "make_spec", "run_block", "sweep", "KEY_FIELDS", "select", "by_P"]

#: The seed's model: m = v = n_c = 10, s = 2, L = 3 (P* = 10^4).
BASE = dict(n_c=10, v=10, m=10, s=2, L=3)

# Every setting that changes a run's result is part of its key, so a changed
# setting never silently reuses stored runs.
_SETTING_KEYS = ("h", "n_test", "lr", "batch_size", "max_epochs", "max_steps", "loss_tol", "stop")
KEY_FIELDS = ("model", "alpha", "levels", "L", "P", "seed") + _SETTING_KEYS


@dataclass(frozen=True)
class RunSettings:
    """Network and training settings shared by a sweep.

    Attributes
    ----------
    h : int
        Width of the CNN/FCN hidden layers.
    n_test : int
        Fresh test data per run.
    lr, batch_size, max_epochs, max_steps, loss_tol, stop :
        See :class:`scalinglab.validate.train.TrainConfig`.
    """

    h: int = 64
    n_test: int = 4096
    lr: float = TrainConfig.lr
    batch_size: int = TrainConfig.batch_size
    max_epochs: int = TrainConfig.max_epochs
    max_steps: int = TrainConfig.max_steps
    loss_tol: float = TrainConfig.loss_tol
    stop: str = TrainConfig.stop

    def key_row(self):
        """The settings that identify a run (columns of the results CSV)."""
        return {k: getattr(self, k) for k in _SETTING_KEYS}

    def train_config(self):
        return TrainConfig(lr=self.lr, batch_size=self.batch_size, max_epochs=self.max_epochs,
                           max_steps=self.max_steps, loss_tol=self.loss_tol, stop=self.stop)


@dataclass(frozen=True)
class Config:
    """One RHM + model configuration of a sweep.

    ``levels`` is a string of the Zipf levels joined by ``-`` (``"1-2-3"``:
    all levels of L = 3; ``"3"``: the bottom level only; ``""``: uniform).
    """

    model: str = "cnn"
    alpha: float = -1.0
    levels: str = ""
    L: int = 3

    @property
    def label(self):
        if self.alpha == -1.0 or not self.levels:
            return f"{self.model} uniform"
        lv = self.levels.replace("-", ",")
        return f"{self.model} zipf a={self.alpha:g} on [{lv}]"

    def spec(self):
        return make_spec(self.alpha, self.levels, L=self.L)

    def row(self):
        return {"model": self.model, "alpha": float(self.alpha), "levels": self.levels or "none", "L": self.L}


def make_spec(alpha, levels, L=3, **kw):
    """RHMSpec of the seed's base model with Zipf ``alpha`` on ``levels`` ("1-2-3", "3", "" or "none")."""
    params = {**BASE, "L": L, **kw}
    if alpha == -1.0 or levels in ("", "none", None):
        return RHMSpec.make(**params, alpha=-1.0)
    lv = [int(t) for t in str(levels).split("-")]
    return RHMSpec.make(**params, alpha=float(alpha), zipf_levels=lv)


def run_block(config, P, seeds, settings=RunSettings(), device="cpu"):
    """Train ``len(seeds)`` networks of one configuration at training-set size P.

    Run ``seed`` uses rules, data stream, initialisation and batch order all
    derived from ``seed`` (rules seed = data seed = init seed = ``seed``).

    Returns
    -------
    list of dict
        One row per seed: ``test_err``, ``train_loss``, ``epochs``,
        ``converged``, ``seen_frac`` (fraction of test paths seen at their
        position), ``seen_frac_free`` (at any position), and for k = 0..K
        ``n_k`` (test data with k seen paths) and ``acc_k`` (their accuracy,
        empty when ``n_k = 0``).
    """
    from scalinglab.validate.rhm._engine import train_cells

    spec = config.spec()
    seeds = [int(s) for s in seeds]
    measured = train_cells([(spec, P, sd) for sd in seeds], model=config.model, h=settings.h,
                           n_test=settings.n_test, train=settings.train_config(), device=device)
    return [{**config.row(), "P": int(P), "seed": sd, **settings.key_row(), **m} for sd, m in zip(seeds, measured)]


def sweep(store_dir, configs, P_grid, seeds, settings=RunSettings(), device="cpu", desc="rhm sweep"):
    """Train every (configuration, P, seed) not yet in ``store_dir``; seeds of one cell are stacked.

    Returns the :class:`ResultStore` (old and new rows).
    """
    store = ResultStore(store_dir, KEY_FIELDS)
    todo = []
    for cfg in configs:
        for P in P_grid:
            base = {**cfg.row(), "P": int(P), **settings.key_row()}
            missing = [s for s in seeds if not store.done({**base, "seed": int(s)})]
            if missing:
                todo.append((cfg, int(P), missing))
    bar = progress(total=len(todo), desc=desc)
    try:
        for cfg, P, missing in todo:
            for row in run_block(cfg, P, missing, settings, device):
                store.append(row)
            bar.update()
    finally:
        bar.close()
    return store


def select(rows, config, settings=None):
    """Rows of one configuration (and settings, when given)."""
    want = cell_key(config.row())
    out = []
    for r in rows:
        if cell_key({k: r.get(k) for k in config.row()}) != want:
            continue
        if settings is not None and cell_key({k: r.get(k) for k in _SETTING_KEYS}) != cell_key(settings.key_row()):
            continue
        out.append(r)
    return out


def by_P(rows, field="test_err"):
    """``(P array, list of per-seed value arrays)`` of a field, P ascending (None values dropped)."""
    groups = {}
    for r in rows:
        if r.get(field) is None:
            continue
        groups.setdefault(int(r["P"]), []).append(float(r[field]))
    Ps = np.array(sorted(groups), dtype=float)
    return Ps, [np.array(groups[int(P)]) for P in Ps]


def settings_dict(settings):
    return asdict(settings)
