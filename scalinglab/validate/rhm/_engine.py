"""One stack of RHM training runs: data on the device, stacked training, path bookkeeping.

:func:`train_cells` trains any set of runs of *equal shape* (same model, width,
P and RHM dimensions; the Zipf exponents, levels and seeds may differ) as one
stack and measures, per run, the test error and the seed's seen-path
statistics. :func:`scalinglab.validate.rhm.run_block` is the one-configuration
case; a sweep may put all seeds of several configurations of one P into one
stack (e.g. the 4 configurations x 10 seeds of Fig. 6 as 40-run stacks).

Data path: the sampler's integer symbols ``(R, n, d)`` (int16) are copied to
the training device as they are and one-hot encoded there, batch by batch,
inside the model (:mod:`scalinglab.validate.models`); no one-hot array is built
on the host. The data themselves are those of :class:`RHMData` for the run's
seed (training set = data ``0 .. P-1`` of the stream, test data from
``TEST_START``, validation data from ``TEST_START + 2**39``), exactly as
before issue 9.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from scalinglab.errors import InputError
from scalinglab.kernels import rhm as K
from scalinglab.validate.rhm._data import TEST_START, RHMData, seen_paths

__all__ = ["train_cells", "VAL_START"]

#: First stream index of the validation data (``stop="val"``), after the test data.
VAL_START = TEST_START + 2**39


def _shape(spec):
    return (spec.n_c, spec.v, spec.m, spec.s, spec.L)


def _bookkeeping(tr_keys, te_keys):
    return seen_paths(tr_keys, te_keys, position_specific=True), seen_paths(tr_keys, te_keys, position_specific=False)


def _overlap(data, tr, t_P):
    """How the training set overlaps the data: ``distinct_frac`` (distinct data / P: below 1 for i.i.d. draws
    with repeats, 1 for distinct sampling), ``stream_draws`` (distinct sampling: the Poisson time of the P-th
    first occurrence, i.e. about how many i.i.d. draws it took to meet P distinct data; None for i.i.d.) and
    ``train_mass`` (probability that a fresh i.i.d. datum is a training datum, exact); None where the model is
    too large to key its data exactly."""
    P = len(tr)
    out = {"distinct_frac": None, "stream_draws": None if t_P is None else float(t_P), "train_mass": None}
    if P == 0:
        return {**out, "train_mass": 0.0}
    try:
        keys = np.unique(data.keys(tr))
    except InputError:
        return out
    tree = K.unseen_tree(keys, data.spec.m, data.n_nodes, data.node_probs)
    return {**out, "distinct_frac": keys.size / P, "train_mass": 1.0 - float(K.unseen_mass(*tree, data.spec.n_c))}


def train_cells(cells, *, model="cnn", h=64, depth=None, n_test=4096, train=None, device="cpu", sampling="iid"):
    """Train the runs ``cells`` as one stack and measure each of them.

    Parameters
    ----------
    cells : sequence of (RHMSpec, int, int)
        ``(spec, P, seed)`` per run; all with the same P and the same
        ``(n_c, v, m, s, L)``. Run ``seed`` uses rules, data stream,
        initialisation and batch order all derived from ``seed``, so its result
        does not depend on the other runs of the stack.
    model : str
        ``"cnn"``, ``"fcn"`` or ``"perceptron"``.
    h : int
        Width of the hidden layers.
    depth : int, optional
        Hidden layers of the FCN (default: L).
    n_test : int
        Fresh test data per run.
    train : scalinglab.validate.train.TrainConfig, optional
        Optimiser and stopping rule (default ``TrainConfig()``).
    device : str
        Torch device of the stack.
    sampling : str
        ``"iid"``: P i.i.d. training data, fresh i.i.d. test (and validation)
        data; ``"distinct"``: the first P distinct data of the stream, test and
        validation data drawn conditioned on not being training data
        (:meth:`RHMData.distinct`, :meth:`RHMData.draw_unseen`).

    Returns
    -------
    list of dict
        One per cell, in order: ``test_err``, ``train_loss``, ``epochs``,
        ``converged``, ``seen_frac`` (fraction of test paths seen at their
        position), ``seen_frac_free`` (at any position), for k = 0..K ``n_k``
        (test data with k seen paths) and ``acc_k`` (their accuracy, None when
        ``n_k = 0``), ``wall_block_s`` (the stack's training time), ``R``, and
        the overlap of training set and data: ``distinct_frac``,
        ``stream_draws`` and ``train_mass`` (:func:`_overlap`).

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec
    >>> from scalinglab.validate.train import TrainConfig
    >>> a2, a4 = RHMSpec.make(alpha=2.0), RHMSpec.make(alpha=4.0)
    >>> rows = train_cells([(a2, 64, 0), (a4, 64, 0)], h=16, n_test=200, train=TrainConfig(max_epochs=2))
    >>> [r["epochs"] for r in rows], rows[0]["R"]
    ([2, 2], 2)
    """
    import torch

    from scalinglab.validate.models import build_stacked
    from scalinglab.validate.train import TrainConfig, train_stacked

    train = TrainConfig() if train is None else train
    cells = [(spec, int(P), int(sd)) for spec, P, sd in cells]
    if not cells:
        raise InputError("cells: need at least one (spec, P, seed)")
    spec0, P, _ = cells[0]
    for spec, P_, _ in cells:
        if P_ != P or _shape(spec) != _shape(spec0):
            raise InputError(f"cells: one stack needs equal P and (n_c, v, m, s, L); got P={P_}, "
                             f"{_shape(spec)} beside P={P}, {_shape(spec0)}")
    seeds = [sd for _, _, sd in cells]
    xs, ys, xt, yt, xv, yv, keys, overlap = [], [], [], [], [], [], [], []
    for spec, _, sd in cells:
        data = RHMData(spec, rules_seed=sd)
        if sampling == "distinct":
            tr, t_P = data.distinct(P)
        else:
            tr, t_P = data.train(P, sampling), None
        overlap.append(_overlap(data, tr, t_P))
        excl = tr if sampling == "distinct" else None
        te = data.test(n_test, exclude=excl)
        if train.stop == "val":  # fresh validation data, after the test data in the stream
            va = data.draw(n_test, start=VAL_START) if excl is None else data.draw_unseen(n_test, excl, VAL_START)
            xv.append(va.x)
            yv.append(va.y)
        xs.append(tr.x)
        ys.append(tr.y)
        xt.append(te.x)
        yt.append(te.y)
        keys.append((tr.keys, te.keys))

    # the seen-path bookkeeping (numpy, host) runs beside the training (torch releases the GIL)
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen_future = pool.submit(lambda: [_bookkeeping(a, b) for a, b in keys])

        def T(a):
            return torch.from_numpy(np.stack(a)).to(device)

        net = build_stacked(model, spec0, seeds, h=h, depth=depth, device=device)
        val = (T(xv), T(yv)) if xv else (None, None)
        res = train_stacked(net, T(xs), T(ys), T(xt), T(yt), train, *val, seeds=seeds)
        seen_all = seen_future.result()
    rows = []
    for r, (spec, _, sd) in enumerate(cells):
        seen, free = seen_all[r]
        correct = res["test_correct"][r]
        k_seen = seen.sum(1)
        row = {"test_err": float(res["test_err"][r]), "train_loss": float(res["train_loss"][r]),
               "epochs": int(res["epochs"][r]), "converged": bool(res["converged"][r]),
               "seen_frac": float(seen.mean()), "seen_frac_free": float(free.mean()),
               "wall_block_s": round(res["wall_s"], 3), "R": len(cells)}
        for k in range(spec.K + 1):
            sel = k_seen == k
            row[f"n_{k}"] = int(sel.sum())
            row[f"acc_{k}"] = float(correct[sel].mean()) if sel.any() else None
        row.update(overlap[r])
        if res["diverged"][r]:  # stored as a failed run: never analysed as a measurement
            row["status"] = "failed"
            row["failure"] = (f"training loss became non-finite ({res['train_loss'][r]}) at epoch "
                              f"{int(res['epochs'][r])}")
        rows.append(row)
    return rows
