"""Torch teacher-student networks on ``d``-dimensional inputs: ``alpha_D`` vs ``4/d``.

Setting (resolution-limited in ``D``, Bahri et al. 2021 Sec. 2; Sharma &
Kaplan): inputs uniform on the cube ``[-1, 1]^d`` (a ``d``-dimensional data
manifold), a fixed random *smooth* teacher (tanh MLP, output normalised to
unit variance), and an over-parameterised ReLU student (a piecewise-linear
function) trained full-batch with Adam on ``D`` samples to (near) zero
training loss. The manifold argument predicts a test MSE ``~ D^-4/d`` for a
piecewise-linear interpolant of a smooth target (``4/d``: cells of size
``D^-1/d``, error ``~ h^2``, squared); it is an estimate, not a theorem, and
an optimiser that stops early shows a smaller exponent.

Registered reproduction: ``spectral-teacher-student``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from scalinglab.theory.fitting import bootstrap_powerlaw
from scalinglab.theory.spectral import resolution_limited
from scalinglab.validate.reproduce import reproducer
from scalinglab.validate.plots import save_figure
from scalinglab.validate.results import load_results, write_json
from scalinglab.validate.sweep import grid, run_sweep

__all__ = ["teacher_student_cell", "net_cells", "analyse_nets", "resolve_device", "run_teacher_student"]


def resolve_device(device):
    import torch

    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _mlp(d_in, width, depth, act):
    import torch.nn as nn

    layers, w = [], d_in
    for _ in range(depth):
        layers += [nn.Linear(w, width), act()]
        w = width
    layers.append(nn.Linear(w, 1))
    return nn.Sequential(*layers)


def teacher_student_cell(d, D, seed, width=64, depth=2, steps=1500, lr=3e-3, n_test=4096,
                         teacher_width=32, device="cpu", threads=1):
    """Train one student; return its test MSE (relative to the unit-variance target).

    Parameters
    ----------
    d : int
        Input (manifold) dimension.
    D : int
        Training-set size.
    seed : int
        Seeds teacher, data and student (teacher depends on ``(d, seed)`` only).
    width, depth : int
        Student ReLU MLP.
    steps, lr : int, float
        Full-batch Adam steps with cosine-decayed learning rate.
    n_test : int
        Fresh test points.

    Returns
    -------
    dict
        ``test_mse``, ``train_mse``.
    """
    import torch
    import torch.nn as nn

    if threads:
        torch.set_num_threads(int(threads))
    dev = torch.device(device)
    d, D = int(d), int(D)
    g = torch.Generator().manual_seed(1000 * d + int(seed))
    teacher = _mlp(d, teacher_width, 2, nn.Tanh)
    with torch.no_grad():
        for p in teacher.parameters():
            if p.ndim == 2:
                p.copy_(torch.randn(p.shape, generator=g) * (2.0 / math.sqrt(p.shape[1])))
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        xs = torch.rand(20000, d, generator=g) * 2 - 1
        ys = teacher(xs)
        mu, sd = ys.mean(), ys.std()
    gd = torch.Generator().manual_seed(7919 * int(seed) + 31 * D + d)
    x_tr = torch.rand(D, d, generator=gd) * 2 - 1
    x_te = torch.rand(n_test, d, generator=gd) * 2 - 1
    with torch.no_grad():
        y_tr = ((teacher(x_tr) - mu) / sd).to(dev)
        y_te = ((teacher(x_te) - mu) / sd).to(dev)
    torch.manual_seed(int(seed) + 17 * d)
    student = _mlp(d, int(width), int(depth), nn.ReLU).to(dev)
    x_tr, x_te = x_tr.to(dev), x_te.to(dev)
    opt = torch.optim.Adam(student.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=int(steps), eta_min=lr * 1e-3)
    for _ in range(int(steps)):
        opt.zero_grad(set_to_none=True)
        loss = ((student(x_tr) - y_tr) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        test = float(((student(x_te) - y_te) ** 2).mean())
        train = float(((student(x_tr) - y_tr) ** 2).mean())
    return {"test_mse": test, "train_mse": train}


def net_cells(quick=True, seeds=None):
    """Cells and parameters of ``spectral-teacher-student``."""
    ds = [2, 3, 4, 5, 6, 7, 8]
    Ds = [int(v) for v in np.geomspace(64, 1024 if quick else 8192, 5 if quick else 8).round()]
    nseeds = seeds or (2 if quick else 4)
    train = {"width": 64 if quick else 256, "depth": 2, "steps": 1200 if quick else 6000, "lr": 3e-3}
    cells = [dict(c, **train) for c in grid(d=ds, D=Ds, seed=range(nseeds))]
    params = {"inputs": "uniform on [-1,1]^d", "teacher": "tanh MLP 2x32, output standardised",
              "student": f"ReLU MLP {train['depth']}x{train['width']}, full-batch Adam, cosine lr",
              **train, "D": Ds, "d": ds, "seeds": nseeds, "fit_window": [Ds[0], Ds[-1]]}
    return cells, params


def analyse_nets(rows, n_boot=500):
    """Fitted ``alpha_D`` per ``d`` with bootstrap intervals over seeds."""
    out = {}
    for d in sorted({int(r["d"]) for r in rows}):
        rr = [r for r in rows if int(r["d"]) == d]
        Ds = np.array(sorted({int(r["D"]) for r in rr}), dtype=float)
        samples = [np.array([float(r["test_mse"]) for r in rr if int(r["D"]) == D]) for D in Ds]
        if Ds.size < 2:
            continue
        bf = bootstrap_powerlaw(Ds, samples, window=(Ds[0], Ds[-1]), n_boot=n_boot, seed=2)
        out[d] = {"alpha_D": bf.exponent, "ci": list(bf.ci), "four_over_d": resolution_limited(d).mse_piecewise_linear,
                  "D": Ds.tolist(), "mean": [float(s.mean()) for s in samples],
                  "train_mse_max": max(float(r["train_mse"]) for r in rr), "window": list(bf.fit.window)}
    return out


def _plot(summary, path):
    from scalinglab.validate.plots import new_figure

    fig, axes = new_figure(ncols=2, width=4.8, height=3.8)
    axes = np.ravel(axes)
    for d, s in summary.items():
        axes[0].plot(s["D"], s["mean"], "o-", ms=3, label=f"d={d}: {s['alpha_D']:.2f}")
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("D")
    axes[0].set_ylabel("test MSE / Var(target)")
    axes[0].legend(fontsize=7)
    ds = np.array(list(summary), dtype=float)
    a = np.array([summary[d]["alpha_D"] for d in summary])
    lo = np.array([summary[d]["ci"][0] for d in summary])
    hi = np.array([summary[d]["ci"][1] for d in summary])
    axes[1].errorbar(ds, a, yerr=[a - lo, hi - a], fmt="o", label="fitted alpha_D (95% bootstrap)")
    dd = np.linspace(ds.min(), ds.max(), 50)
    axes[1].plot(dd, 4 / dd, "-", label="4/d")
    axes[1].set_xlabel("input dimension d")
    axes[1].set_ylabel("alpha_D")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def run_teacher_student(out, quick=True, device="auto", seeds=None, replot=False, executor=None):
    """Run (or resume) the teacher-student sweep; figure and summary from the CSV."""
    out = Path(out)
    dev = resolve_device(device)
    if not replot:
        cells, params = net_cells(quick=quick, seeds=seeds)
        cells = [dict(c, device=dev) for c in cells]
        run_sweep(cells, teacher_student_cell, out, key_fields=("d", "D", "seed", "width", "depth", "steps", "lr"),
                  params=params, device=dev, desc="teacher-student", executor=executor)
    summary = analyse_nets(load_results(out))
    _plot(summary, out / "figures" / "teacher_student_alphaD.png")
    write_json(out, "summary.json", summary)
    return summary


@reproducer("spectral-teacher-student", "torch teacher-student networks on d-dim inputs (d=2..8): fitted alpha_D "
                                        "vs 4/d (Bahri et al. 2021)")
def _reproduce_nets(out, *, quick, device, replot, seeds):
    summary = run_teacher_student(out, quick=quick, device=device, seeds=seeds, replot=replot)
    return {f"d={d}": f"alpha_D {s['alpha_D']:.3f} [{s['ci'][0]:.3f}, {s['ci'][1]:.3f}] vs 4/d = {s['four_over_d']:.3f}"
            for d, s in summary.items()}
