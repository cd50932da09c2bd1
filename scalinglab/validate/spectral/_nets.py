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
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from scalinglab.theory.fitting import bootstrap_powerlaw
from scalinglab.theory.spectral import resolution_limited
from scalinglab.validate import protocol
from scalinglab.validate.plots import save_figure
from scalinglab.validate.report import md_table

__all__ = ["teacher_student_cell", "TeacherStudentConfig", "TeacherStudentCell", "analyse_nets"]


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

    Examples
    --------
    >>> r = teacher_student_cell(2, 64, seed=0, width=16, steps=100, n_test=256)   # a tiny student, 100 steps
    >>> sorted(r), bool(r["train_mse"] < 1)
    (['test_mse', 'train_mse'], True)
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


@dataclass(frozen=True)
class TeacherStudentConfig:
    """Config of ``spectral-teacher-student`` (also the researcher's manifold kind for ``scalinglab run``).

    Inputs uniform on ``[-1, 1]^d`` for each ``d`` of ``dims``, a tanh teacher
    (2 x ``teacher_width``, output standardised), a ReLU student MLP
    (``depth`` x ``width``) trained full-batch with Adam (cosine lr) for
    ``steps`` steps on each training-set size of ``D``; ``seeds`` seeds.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> protocol.get("spectral-teacher-student").cells(TeacherStudentConfig(dims=(2,), D=(64,), seeds=1))
    [TeacherStudentCell(d=2, D=64, seed=0, width=64, depth=2, steps=1200, lr=0.003, n_test=4096, teacher_width=32)]
    """

    dims: tuple[int, ...] = field(default=(2, 3, 4, 5, 6, 7, 8), metadata={"ge": 1})
    D: tuple[int, ...] = field(default=(64, 128, 256, 512, 1024), metadata={"ge": 1})
    seeds: int = field(default=2, metadata={"ge": 1})
    width: int = field(default=64, metadata={"ge": 1})
    depth: int = field(default=2, metadata={"ge": 1})
    steps: int = field(default=1200, metadata={"ge": 1})
    lr: float = field(default=3e-3, metadata={"gt": 0})
    n_test: int = field(default=4096, metadata={"ge": 1})
    teacher_width: int = field(default=32, metadata={"ge": 1})
    n_boot: int = field(default=500, metadata={"ge": 100, "analysis": True})


@dataclass(frozen=True)
class TeacherStudentCell:
    """One student network: input dimension ``d``, ``D`` training points, seed ``seed`` and the training settings.

    Examples
    --------
    >>> TeacherStudentCell(d=2, D=64, seed=0, width=16, depth=2, steps=100, lr=3e-3, n_test=256,
    ...                    teacher_width=32).kind
    'spectral-teacher-student'
    """

    kind: ClassVar[str] = "spectral-teacher-student"

    d: int
    D: int
    seed: int
    width: int
    depth: int
    steps: int
    lr: float
    n_test: int
    teacher_width: int


def analyse_nets(rows, n_boot=500):
    """Fitted ``alpha_D`` per ``d`` with bootstrap intervals over seeds (rows: a DataFrame or list of dicts).

    Examples
    --------
    >>> rows = [dict(d=2, D=D, seed=s, test_mse=D**-2.0 * (1 + 0.02 * s), train_mse=0.0)
    ...         for D in (64, 128, 256, 512) for s in range(5)]                  # synthetic: alpha_D = 2 exactly
    >>> r = analyse_nets(rows, n_boot=200)[2]
    >>> round(r["alpha_D"], 6), r["four_over_d"], r["window"]
    (2.0, 2.0, [64.0, 512.0])
    """
    rows = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    out = {}
    for d in sorted({int(r["d"]) for r in rows}):
        rr = [r for r in rows if int(r["d"]) == d]
        Ds = np.array(sorted({int(r["D"]) for r in rr}), dtype=float)
        samples = [np.array([float(r["test_mse"]) for r in rr if int(r["D"]) == D]) for D in Ds]
        seeds = [[int(r["seed"]) for r in rr if int(r["D"]) == D] for D in Ds]  # a seed fixes the teacher
        if Ds.size < 3:
            continue
        bf = bootstrap_powerlaw(Ds, samples, window=(Ds[0], Ds[-1]), n_boot=n_boot, seed=2, seeds=seeds)
        out[d] = {"alpha_D": bf.exponent, "ci": list(bf.ci), "four_over_d": resolution_limited(d).mse_piecewise_linear,
                  "D": Ds.tolist(), "mean": [float(s.mean()) for s in samples], "ci_method": bf.ci_method,
                  "n_seeds": bf.n_seeds, "sem": np.nan_to_num(bf.y_sem).tolist(),
                  "train_mse_max": max(float(r["train_mse"]) for r in rr), "window": list(bf.fit.window)}
    return out


def _plot(summary, path):
    from scalinglab.validate.plots import new_figure

    fig, axes = new_figure(ncols=2, width=4.8, height=3.8)
    axes = np.ravel(axes)
    for d, s in summary.items():
        m_, se = np.asarray(s["mean"], float), np.asarray(s.get("sem", np.zeros(len(s["D"]))), float)
        axes[0].errorbar(s["D"], m_, yerr=[np.minimum(se, 0.95 * m_), se], fmt="o-", ms=3, capsize=2, elinewidth=0.8,
                         label=f"d={d}: {s['alpha_D']:.2f} (seed mean ± s.e.)")
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("D")
    axes[0].set_ylabel("test MSE / Var(target)")
    axes[0].legend(fontsize=7)
    ds = np.array([float(d) for d in summary], dtype=float)
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
    return save_figure(fig, path)


@protocol.experiment
class TeacherStudent(protocol.Experiment):
    name = "spectral-teacher-student"
    description = "torch teacher-student networks on d-dim inputs (d=2..8): fitted alpha_D vs 4/d (Bahri et al. 2021)"
    title = "Teacher-student networks on d-dimensional inputs: alpha_D against 4/d"
    config_type = TeacherStudentConfig
    uses_device = True

    def cells(self, config):
        return [TeacherStudentCell(d, D, s, config.width, config.depth, config.steps, config.lr, config.n_test,
                                   config.teacher_width)
                for d in config.dims for D in config.D for s in range(config.seeds)]

    def run(self, cells, device):
        return [teacher_student_cell(c.d, c.D, c.seed, width=c.width, depth=c.depth, steps=c.steps, lr=c.lr,
                                     n_test=c.n_test, teacher_width=c.teacher_width, device=device) for c in cells]

    def cost(self, cell):
        return 2e-10 * cell.steps * cell.D * cell.width**2 * cell.depth + 0.05

    def analyse(self, rows, config):
        s = analyse_nets(rows, n_boot=config.n_boot)
        return {**{f"d={d}": f"alpha_D {v['alpha_D']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}] vs 4/d = "
                             f"{v['four_over_d']:.3f}" for d, v in s.items()},
                "fits": {str(d): v for d, v in s.items()}}

    def figures(self, rows, summary, config, folder):
        if not summary.get("fits"):
            return []
        return [_plot(summary["fits"], folder / "teacher_student_alphaD.png")]

    def report(self, rows, summary, config):
        tab = [[d, f"{v['alpha_D']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}]", f"{v['four_over_d']:.3f}",
                f"{v['train_mse_max']:.2g}", str(v["window"])] for d, v in summary.get("fits", {}).items()]
        return "\n".join(["## Fitted alpha_D against 4/d\n",
                          f"Test MSE / Var(target) against D; OLS log-log over the whole D grid, bootstrap "
                          f"({config.n_boot} resamples over seeds). 4/d is the piecewise-linear estimate of the "
                          "manifold argument; an optimiser that stops early shows a smaller exponent (train MSE "
                          "column).\n",
                          md_table(["d", "alpha_D [95% CI]", "4/d", "max train MSE", "D window"], tab)])
