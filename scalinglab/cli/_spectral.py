"""``scalinglab spectral ...``."""

from __future__ import annotations

import argparse

import numpy as np

from scalinglab.cli._common import CLIError, _fmt, parse_grid  # noqa: F401


def _load_points(args):
    """Points from --data FILE (.npy / .csv / .txt) or a sampled --manifold."""
    from scalinglab.theory.spectral import sample_manifold

    if args.data:
        path = args.data
        try:
            X = np.load(path) if path.endswith(".npy") else np.loadtxt(path, delimiter="," if path.endswith(".csv")
                                                                      else None)
        except OSError as exc:
            raise CLIError(f"cannot read {path}: {exc}") from None
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        return X.reshape(X.shape[0], -1), f"data {path} ({X.shape[0]} points)"
    if args.source:
        from scalinglab.validate.spectral import project_points

        return project_points(args.source, args.n, args.seed, alpha=args.alpha, p=args.p)
    return (sample_manifold(args.manifold, args.n, args.d, ambient=args.ambient, seed=args.seed),
            f"{args.n} uniform points on a {args.manifold} of dimension {args.d}")


def _parse_window(text):
    if text is None:
        return None
    try:
        lo, hi = text.split(":")
        return float(lo), float(hi)
    except ValueError:
        raise CLIError(f"window {text!r}: use LO:HI (ranks)") from None


def _cmd_spectral_exponents(args):
    from scalinglab.theory.spectral import regime_exponents, resolution_limited

    ex = regime_exponents(args.alpha_K)
    payload, text = {"regimes": ex}, [str(ex)]
    if args.d:
        rb = resolution_limited(args.d, args.smoothness)
        payload["manifold"] = rb
        text.append(str(rb))
    return payload, "\n".join(text)


def _cmd_spectral_rf(args):
    from scalinglab.theory.spectral import powerlaw_spectrum, rf_teacher_student_loss

    lam = powerlaw_spectrum(args.modes, args.alpha_K)
    D = np.asarray(args.D, dtype=float)
    P = np.asarray(args.P, dtype=float)
    DD, PP = np.meshgrid(D, P, indexing="ij")
    r = rf_teacher_student_loss(DD.ravel(), PP.ravel(), lam)
    rows = [{"D": d, "P": p, "loss": v} for d, p, v in zip(r.D, r.P, r.loss)]
    return ({"alpha_K": args.alpha_K, "modes": args.modes, "rows": rows, "method": r.method},
            f"Gaussian features of spectrum lambda_i = i^-(1+{args.alpha_K:g}), teacher w ~ N(0, I/S)\n{r}")


def _cmd_spectral_eigenlearning(args):
    from scalinglab.theory.spectral import eigenlearning_curve, powerlaw_spectrum

    lam = powerlaw_spectrum(args.modes, args.alpha_K)
    beta = args.alpha_K if args.target_exponent is None else args.target_exponent
    v2 = powerlaw_spectrum(args.modes, beta) if beta > 0 else None
    if v2 is None:
        raise CLIError("--target-exponent must be > 0")
    lc = eigenlearning_curve(args.n, lam, v2, ridge=args.ridge, noise=args.noise)
    return lc.to_dict(), (f"lambda_i = i^-(1+{args.alpha_K:g}), target power per mode i^-(1+{beta:g}), "
                          f"{args.modes} modes\n{lc}")


def _cmd_spectral_gram(args):
    from scalinglab.theory.spectral import fit_spectrum, gram_spectrum

    X, what = _load_points(args)
    spec = gram_spectrum(X, args.kernel, bandwidth=args.bandwidth, center=args.center, max_samples=args.max_samples)
    fit = fit_spectrum(spec.eigenvalues, window=_parse_window(args.window))
    return ({"fit": fit, "eigenvalues_top": spec.eigenvalues[:50], "n_samples": spec.n_samples},
            f"{what}\n{spec}\n  {fit}")


def _cmd_spectral_id(args):
    from scalinglab.theory.spectral import levina_bickel, twonn

    X, what = _load_points(args)
    tn = twonn(X, discard_fraction=args.discard)
    lb = levina_bickel(X, args.k1, args.k2)
    return ({"twonn": tn, "levina_bickel": lb},
            f"intrinsic dimension of {what} (ambient {X.shape[1]}):\n  {tn}\n  {lb}")


def _cmd_spectral_sweep(args):
    """Deprecated alias of ``scalinglab reproduce spectral-NAME`` (same flags; --alpha-K sets rf-regimes' alpha_K)."""
    import sys
    from dataclasses import replace

    from scalinglab.cli._core import execute_with_flags
    from scalinglab.validate import protocol

    name = f"spectral-{args.name}"
    print(f"scalinglab: 'spectral sweep {args.name}' is deprecated; use 'scalinglab reproduce {name}'",
          file=sys.stderr)
    exp = protocol.get(name)
    mapping, text = protocol.shipped_spec(name, quick=args.quick)
    config = exp.config_from_dict(mapping)
    if args.alpha_K is not None:
        if args.name != "rf-regimes":
            raise CLIError("--alpha-K applies to rf-regimes only")
        config = replace(config, alpha_K=args.alpha_K)
    return execute_with_flags(exp, config, args.out or f"results/{name}", args, spec_text=text)


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

    from scalinglab.cli._core import add_sweep_flags

    p = ss.add_parser("sweep", parents=[common], help="deprecated: use 'scalinglab reproduce spectral-NAME'",
                      description="Deprecated alias of 'scalinglab reproduce spectral-NAME' (same flags).")
    p.add_argument("name", choices=["rf-regimes", "gram-id", "teacher-student", "interpolation", "project-data"],
                   help="which sweep")
    add_sweep_flags(p)
    p.add_argument("--alpha-K", dest="alpha_K", type=float, default=None, help="rf-regimes spectrum exponent")
    p.set_defaults(handler=_cmd_spectral_sweep)
