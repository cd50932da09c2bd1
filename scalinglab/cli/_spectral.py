"""``scalinglab spectral ...``."""

from __future__ import annotations

import argparse

import math
import warnings

import numpy as np

from scalinglab import _validation as _v
from scalinglab.cli._common import CLIError, _fmt, parse_grid  # noqa: F401

#: Largest data file --data reads (bytes on disk).
MAX_DATA_FILE_BYTES = 2**30


def _load_points(args):
    """Points from --data FILE (.npy / .csv / .txt) or a sampled --manifold."""
    from scalinglab.theory.spectral import MAX_POINT_BYTES, sample_manifold

    if args.data:
        path = str(_v.input_file("--data", args.data))
        size = __import__("os").path.getsize(path)
        _v.size_limit(f"--data {path}", size, MAX_DATA_FILE_BYTES, " bytes", "subsample the file")
        try:
            with warnings.catch_warnings():  # an empty file warns, then is refused below
                warnings.simplefilter("ignore", UserWarning)
                X = np.load(path) if path.endswith(".npy") else np.loadtxt(
                    path, delimiter="," if path.endswith(".csv") else None, ndmin=1)
            X = np.asarray(X, dtype=float)
        except (OSError, ValueError, TypeError, EOFError) as exc:  # unreadable, not numbers, pickled objects
            raise CLIError(f"--data: cannot read {path} as a numeric array: {' '.join(str(exc).split())}") from None
        if X.ndim == 0 or X.size == 0:
            raise CLIError(f"--data {path} holds no points")
        if X.ndim == 1:
            X = X[:, None]
        X = X.reshape(X.shape[0], -1)
        _v.real_array(f"--data {path}", X, ndim=2)  # finite values
        return X, f"data {path} ({X.shape[0]} points)"
    n = _v.integer("--n", args.n, lo=2)
    seed = _v.seed("--seed", args.seed)
    if args.source:
        from scalinglab.validate.spectral import project_points

        coords = 80 if args.source == "rhm" else 8
        _v.size_limit(f"--n {n} points of --source {args.source}", 8.0 * n * coords * 4, MAX_POINT_BYTES, " bytes",
                     "lower --n")
        if args.source == "percolation":
            _v.real("--p (the cluster must be able to grow: p_c = 1/2 < p < 1)", args.p, lo=0.5, hi=1, lo_open=True,
                   hi_open=True)
        else:
            _v.real("--alpha", args.alpha, lo=-1)
        return project_points(args.source, n, seed, alpha=args.alpha, p=args.p)
    return (sample_manifold(args.manifold, n, args.d, ambient=args.ambient, seed=seed),
            f"{n} uniform points on a {args.manifold} of dimension {args.d}")


def _parse_window(text):
    if text is None:
        return None
    try:
        lo, hi = text.split(":")
        lo, hi = float(lo), float(hi)
    except ValueError:
        raise CLIError(f"--window {text!r}: use LO:HI (ranks)") from None
    for x in (lo, hi):
        if not (math.isfinite(x) and x.is_integer()):
            raise CLIError(f"--window {text!r}: ranks must be integers")
    return int(lo), int(hi)


def _spectrum_notes(lam, payload, what="eigenvalues i^-(1+alpha_K)"):
    from scalinglab.theory.spectral import zero_mode_note

    note = zero_mode_note(lam)
    if note:
        k = int(np.sum(lam == 0))
        payload.setdefault("notes", []).append(
            f"{k} of the {lam.size} {what} underflow float64 (below 5e-324) and count as zero modes: never "
            f"learned, counted in S; their contribution to any loss is below {lam.size} x 5e-324 per unit of "
            "target power")


def _cmd_spectral_exponents(args):
    from scalinglab.theory.spectral import regime_exponents, resolution_limited

    if args.smoothness is not None and args.d is None:
        raise CLIError("--smoothness needs --d (the kernel bound is t/d)")
    ex = regime_exponents(args.alpha_K)
    payload = {"regimes": ex.to_dict()}
    lines = [f"spectrum lambda_i ~ i^-(1 + alpha_K), alpha_K = {args.alpha_K:g}  (loss exponents, L ~ x^-a)",
             f"  variance-limited:   alpha_D = {ex.variance_D:g}, alpha_P = {ex.variance_P:g}",
             f"  resolution-limited: alpha_D = {ex.resolution_D:g}, alpha_P = {ex.resolution_P:g}",
             f"  assumption: {ex.assumption}"]
    if args.d is not None:
        rb = resolution_limited(args.d, args.smoothness)
        payload["manifold"] = rb.to_dict()
        lines += [f"manifold of dimension d = {args.d:g}:",
                  f"  nearest-neighbour distance ~ D^-{rb.nn_distance:.4g}; L1 bound exponent 1/d = {rb.lipschitz_l1:.4g}",
                  f"  MSE estimate (piecewise-linear model) 4/d = {rb.mse_piecewise_linear:.4g}; "
                  f"piecewise-constant 2/d = {rb.mse_piecewise_constant:.4g}"]
        if rb.kernel_smoothness is not None:
            lines.append(f"  kernel {args.smoothness:g} times differentiable: alpha_K >= t/d = {rb.kernel_smoothness:.4g}")
    return payload, "\n".join(lines)


def _cmd_spectral_rf(args):
    from scalinglab.theory.spectral import powerlaw_spectrum, rf_teacher_student_loss

    lam = powerlaw_spectrum(args.modes, args.alpha_K)
    D = _v.real_array("--D", args.D, lo=1, allow_inf=True)
    P = _v.real_array("--P", args.P, lo=1, allow_inf=True)
    _v.size_limit("the --D x --P grid", float(D.size) * P.size, 10**5, " points", "fewer D or P")
    DD, PP = np.meshgrid(D, P, indexing="ij")
    r = rf_teacher_student_loss(DD.ravel(), PP.ravel(), lam)
    rows = [{"D": float(d), "P": float(p), "loss": float(v)} for d, p, v in zip(r.D, r.P, r.loss)]
    lines = [f"linear RF teacher-student, S = {args.modes} Gaussian features, lambda_i = i^-(1+{args.alpha_K:g}), "
             "teacher w ~ N(0, I/S):", f"{'D':>10} {'P':>10} {'L(D,P)':>14}"]
    lines += [f"{x['D']:>10g} {x['P']:>10g} {x['loss']:>14.6g}" for x in rows]
    payload = {"alpha_K": args.alpha_K, "modes": args.modes, "rows": rows, "method": r.method}
    _spectrum_notes(lam, payload)
    if np.any(np.isinf(D)) or np.any(np.isinf(P)):
        payload.setdefault("notes", []).append("D = inf or P = inf is the limit of infinitely many data or student "
                                               "features (as given)")
    if np.any(np.isinf(r.loss)):
        payload.setdefault("notes", []).append("loss is inf at the interpolation peak |D - P| <= 1: the Gaussian "
                                               "least-squares variance factor (M-1)/(M-m-1) diverges")
    return payload, "\n".join(lines)


def _cmd_spectral_eigenlearning(args):
    from scalinglab.theory.spectral import eigenlearning_curve, powerlaw_spectrum

    lam = powerlaw_spectrum(args.modes, args.alpha_K)
    beta = args.alpha_K if args.target_exponent is None else _v.positive("--target-exponent", args.target_exponent)
    v2 = powerlaw_spectrum(args.modes, beta)
    lc = eigenlearning_curve(args.n, lam, v2, ridge=args.ridge, noise=args.noise)
    lines = [f"kernel ridge regression, lambda_i = i^-(1+{args.alpha_K:g}), target power per mode i^-(1+{beta:g}), "
             f"ridge {args.ridge:g}, noise {args.noise:g}, {args.modes} modes:",
             f"{'n':>10} {'kappa':>12} {'test MSE':>12} {'learned':>8}"]
    lines += [f"{n:>10g} {k:>12.4g} {e:>12.4g} {f:>8.3f}" for n, k, e, f in
              zip(lc.n, lc.kappa, lc.test_mse, lc.learned_fraction)]
    payload = lc.to_dict()
    _spectrum_notes(lam, payload)
    if np.any(np.isinf(lc.test_mse)):
        payload.setdefault("notes", []).append("test MSE and e0 are inf where n equals the number of positive modes "
                                               "without ridge: the interpolation peak, E0 = n/(n - sum L^2) diverges")
    if np.any(np.isnan(lc.learned_fraction)):
        payload.setdefault("notes", []).append("learned_fraction is nan: the target powers underflow to 0 (no target "
                                               "power to learn)")
    return payload, "\n".join(lines)


def _cmd_spectral_gram(args):
    from scalinglab.theory.spectral import fit_spectrum, gram_spectrum

    X, what = _load_points(args)
    spec = gram_spectrum(X, args.kernel, bandwidth=args.bandwidth, center=args.center, max_samples=args.max_samples)
    fit = fit_spectrum(spec.eigenvalues, window=_parse_window(args.window))
    lines = [f"Gram spectrum of K/N, kernel {spec.kernel}"
             + (f" (bandwidth {spec.bandwidth:.4g})" if spec.bandwidth else "") + f", {what}:",
             "  top eigenvalues: " + ", ".join(f"{v:.4g}" for v in spec.eigenvalues[:8]),
             f"  fit lambda_i ~ i^-(1+alpha_K) over ranks {fit.fit.window[0]:g}..{fit.fit.window[1]:g} "
             f"({fit.fit.method}, {fit.fit.n_points} points): decay {fit.decay:.4f} +- {fit.fit.stderr:.4f}, "
             f"alpha_K = {fit.alpha_K:.4f}"]
    return {"fit": fit.to_dict(), "eigenvalues_top": spec.eigenvalues[:50], "n_samples": spec.n_samples}, \
        "\n".join(lines)


def _cmd_spectral_id(args):
    from scalinglab.theory.spectral import levina_bickel, twonn

    X, what = _load_points(args)
    tn = twonn(X, discard_fraction=args.discard)
    lb = levina_bickel(X, args.k1, args.k2)
    lines = [f"intrinsic dimension of {what} (ambient {X.shape[1]}):",
             f"  TwoNN (MLE, discard {args.discard:g}): {tn.dimension:.3f} +- {tn.stderr:.3f}",
             f"  Levina-Bickel (k = {args.k1}..{args.k2}): {lb.dimension:.3f} +- {lb.stderr:.3f}"]
    return {"twonn": tn.to_dict(), "levina_bickel": lb.to_dict()}, "\n".join(lines)


def _cmd_spectral_sweep(args):
    from scalinglab.validate.cluster import make_executor

    out = args.out or f"results/spectral-{args.name}"
    with make_executor(args.scheduler) as ex:
        if args.name == "rf-regimes":
            from scalinglab.validate.spectral import run_rf_regimes

            s = run_rf_regimes(out, quick=args.quick, seeds=args.seeds, executor=ex, alpha_K=args.alpha_K)
            summary = {k: {"exponent": v["exponent"], "ci": v["ci"], "expected": v["expected"],
                           "theory_exponent_in_window": v["theory_exponent_in_window"],
                           "max_rel_dev": v["max_rel_dev"]} for k, v in s.items()}
        elif args.name == "gram-id":
            from scalinglab.validate.spectral import run_gram_id

            summary = run_gram_id(out, quick=args.quick, seeds=args.seeds, executor=ex)
        elif args.name == "project-data":
            from scalinglab.validate.spectral import run_project_data

            s = run_project_data(out, quick=args.quick, seeds=args.seeds, executor=ex)
            summary = {k: {a: b for a, b in v.items() if a != "eigs"} for k, v in s.items()}
        elif args.name == "interpolation":
            from scalinglab.validate.spectral import run_interpolation

            s = run_interpolation(out, quick=args.quick, seeds=args.seeds, executor=ex)
            summary = {k: {"exponent": v["exponent"], "ci": v["ci"], "predicted": v["predicted"]} for k, v in s.items()}
        else:
            from scalinglab.validate.spectral import run_teacher_student

            s = run_teacher_student(out, quick=args.quick, device=args.device, seeds=args.seeds, executor=ex)
            summary = {f"d={d}": {"alpha_D": v["alpha_D"], "ci": v["ci"], "four_over_d": v["four_over_d"]}
                       for d, v in s.items()}
    where = "in this process" if not args.scheduler else f"on {args.scheduler}"
    lines = [f"spectral sweep {args.name} ran {where}; results in {out}"]
    lines += [f"  {k}: {v}" for k, v in summary.items()]
    return {"name": args.name, "out": out, "scheduler": args.scheduler, "summary": summary}, "\n".join(lines)


def _spectral_commands(sub, common):
    sp = sub.add_parser("spectral", parents=[common], help="kernel / manifold scaling (Bahri et al. 2021)",
                        description="Learning curves from kernel spectra (eigenlearning), the linear random-feature "
                                    "teacher-student model in its four regimes, Gram spectra and intrinsic dimension "
                                    "of data, and the validation sweeps (locally or on a Dask / Slurm cluster).")
    ss = sp.add_subparsers(dest="spectral_command", metavar="SUBCOMMAND")
    ss.required = True

    p = ss.add_parser("exponents", parents=[common], help="loss exponents of the four regimes and the manifold bounds",
                      description="Loss exponents for a spectrum lambda_i ~ i^-(1+alpha_K) (target power proportional "
                                  "to the eigenvalue) and, with --d, the resolution-limited estimates 1/d and 4/d.")
    p.add_argument("--alpha-K", dest="alpha_K", type=float, default=0.5,
                   help="spectrum exponent minus one, > 0 (default: %(default)s)")
    p.add_argument("--d", type=float, help="intrinsic dimension of the data manifold")
    p.add_argument("--smoothness", type=float, help="number t of continuous derivatives of the kernel (gives t/d)")
    p.set_defaults(handler=_cmd_spectral_exponents)

    p = ss.add_parser("rf", parents=[common], help="linear random-feature loss L(D, P) (theory)",
                      description="Teacher-averaged loss of the linear random-feature model with S Gaussian features "
                                  "of covariance spectrum i^-(1+alpha_K): g(min) (max-1)/(max-min-1). 'inf' allowed.")
    p.add_argument("--alpha-K", dest="alpha_K", type=float, default=0.5, help="default: %(default)s")
    p.add_argument("--modes", type=int, default=2000, help="number S of teacher features (default: %(default)s)")
    p.add_argument("--D", type=parse_grid, default=parse_grid("10,100,1000"),
                   help="data-set sizes: 'lo:hi:n' log grid or 'a,b,inf' (default: 10,100,1000)")
    p.add_argument("--P", type=parse_grid, default=parse_grid("inf"),
                   help="student features, same syntax (default: inf = the full kernel)")
    p.set_defaults(handler=_cmd_spectral_rf)

    p = ss.add_parser("eigenlearning", parents=[common], help="kernel-regression learning curve from a power-law "
                                                                  "spectrum",
                      description="Self-consistent (eigenlearning / Canatar-Bordelon-Pehlevan) test MSE of kernel "
                                  "ridge regression; eigenvalues i^-(1+alpha_K), target power per mode "
                                  "i^-(1+target_exponent).")
    p.add_argument("--alpha-K", dest="alpha_K", type=float, default=0.5, help="default: %(default)s")
    p.add_argument("--target-exponent", type=float, help="target power per mode i^-(1+beta) (default: alpha_K)")
    p.add_argument("--modes", type=int, default=20000, help="number of modes (default: %(default)s)")
    p.add_argument("--n", type=parse_grid, default=parse_grid("10:10000:7"),
                   help="training-set sizes (default: 10:10000:7)")
    p.add_argument("--ridge", type=float, default=0.0, help="ridge delta of K + delta I (default: 0)")
    p.add_argument("--noise", type=float, default=0.0, help="label-noise variance (default: 0)")
    p.set_defaults(handler=_cmd_spectral_eigenlearning)

    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", help="points as .npy / .csv / whitespace text (rows = points); default: sample "
                                     "--manifold")
    data.add_argument("--source", choices=["rhm", "percolation"],
                      help="the project's data instead: RHM inputs (one-hot; --alpha) or a percolation cluster "
                           "(--p, embedded in R^8)")
    data.add_argument("--alpha", type=float, default=1.0, help="RHM Zipf exponent, -1 = uniform (default: 1)")
    data.add_argument("--p", type=float, default=0.6, help="percolation occupation probability > 1/2 (default: 0.6)")
    data.add_argument("--manifold", default="sphere", choices=["sphere", "torus", "cube", "subspace"],
                      help="manifold to sample when no --data / --source (default: %(default)s)")
    data.add_argument("--d", type=int, default=3, help="its intrinsic dimension (default: %(default)s)")
    data.add_argument("--n", type=int, default=2000, help="number of points (default: %(default)s)")
    data.add_argument("--ambient", type=int, help="embed by a random isometry in this ambient dimension")
    data.add_argument("--seed", type=int, default=0, help="sampling seed (default: %(default)s)")

    p = ss.add_parser("gram", parents=[common, data], help="Gram spectrum of data and its power-law fit",
                      description="Eigenvalues of K/N for a kernel on data, and a fit lambda_i ~ i^-(1+alpha_K) over "
                                  "a rank window.")
    p.add_argument("--kernel", default="laplace", choices=["laplace", "rbf", "linear", "arccos1"],
                   help="kernel (default: %(default)s)")
    p.add_argument("--bandwidth", type=float, help="laplace/rbf length scale (default: median distance)")
    p.add_argument("--center", action="store_true", help="double-centre K")
    p.add_argument("--window", help="fit window of ranks LO:HI (default: 3:N/10)")
    p.add_argument("--max-samples", type=int, default=3000, help="subsample above this (default: %(default)s)")
    p.set_defaults(handler=_cmd_spectral_gram)

    p = ss.add_parser("id", parents=[common, data], help="intrinsic dimension (TwoNN, Levina-Bickel)",
                      description="Intrinsic-dimension estimates from nearest-neighbour distances.")
    p.add_argument("--discard", type=float, default=0.1, help="TwoNN: fraction of largest ratios dropped (default: "
                                                              "%(default)s)")
    p.add_argument("--k1", type=int, default=10, help="Levina-Bickel smallest k (default: %(default)s)")
    p.add_argument("--k2", type=int, default=20, help="Levina-Bickel largest k (default: %(default)s)")
    p.set_defaults(handler=_cmd_spectral_id)

    p = ss.add_parser("sweep", parents=[common], help="run a validation sweep locally or on a cluster",
                      description="Run (or resume) a spectral validation sweep and draw its figure. Cells run in "
                                  "this process by default; --scheduler sends them to a Dask cluster (local, "
                                  "local:N, tcp://HOST:PORT) or to Slurm (slurm:PARTITION, needs submitit).")
    p.add_argument("name", choices=["rf-regimes", "gram-id", "teacher-student", "interpolation", "project-data"], help="which sweep")
    p.add_argument("--out", help="results folder (default: results/spectral-NAME)")
    p.add_argument("--quick", action="store_true", help="reduced sweep (minutes on a CPU)")
    p.add_argument("--seeds", type=int, help="draws / seeds per cell (default: the sweep's own)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="local, local:N, tcp://HOST:PORT or slurm:PARTITION "
                                                          "(default: run here)")
    p.add_argument("--alpha-K", dest="alpha_K", type=float, default=0.5, help="rf-regimes spectrum (default: 0.5)")
    p.add_argument("--device", default="auto", help="teacher-student torch device (default: auto)")
    p.set_defaults(handler=_cmd_spectral_sweep)


