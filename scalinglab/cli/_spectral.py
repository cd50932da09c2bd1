"""``scalinglab spectral ...``."""

from __future__ import annotations

import argparse

import math
import warnings

import numpy as np

from scalinglab import _validation as _v
from scalinglab._results import strict_json
from scalinglab.cli._common import CLIError, _fmt, parse_grid, path_arg, refuse_together  # noqa: F401

#: Defaults of the data options (None in the parser, so that a flag the user gave can be told apart).
_DATA_DEFAULTS = {"alpha": 1.0, "p": 0.6, "manifold": "sphere", "d": 3, "n": 2000, "seed": 0}


def _data_flags(args):
    """Refuse data flags that the chosen source would ignore, then fill in the defaults."""
    refuse_together(args, "data", ["source", "manifold", "d", "n", "ambient", "seed", "alpha", "p"],
                    "--data reads the points from the file; the other options choose or sample points")
    if args.source == "rhm":
        refuse_together(args, "source", ["manifold", "d", "ambient", "p"], "--source rhm samples RHM inputs "
                        "(options --alpha, --n, --seed)")
    elif args.source == "percolation":
        refuse_together(args, "source", ["manifold", "d", "ambient", "alpha"], "--source percolation grows a "
                        "cluster (options --p, --n, --seed)")
    elif args.data is None:
        for flag in ("alpha", "p"):
            if getattr(args, flag) is not None:
                raise CLIError(f"--{flag} applies to --source {'rhm' if flag == 'alpha' else 'percolation'} only; "
                               f"the points here are sampled on --manifold")
    for k, v in _DATA_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, v)

#: Largest data file --data reads (bytes on disk).
MAX_DATA_FILE_BYTES = 2**30


def _load_points(args):
    """Points from --data FILE (.npy / .csv / .txt) or a sampled --manifold."""
    from scalinglab.theory.spectral import MAX_POINT_BYTES, sample_manifold

    _data_flags(args)
    if args.data is not None:
        path = str(_v.input_file("--data", args.data))
        size = __import__("os").path.getsize(path)
        _v.size_limit(f"--data {path}", size, MAX_DATA_FILE_BYTES, " bytes", "subsample the file")
        try:
            with warnings.catch_warnings():  # an empty file warns, then is refused below
                warnings.simplefilter("ignore", UserWarning)
                X = np.load(path) if path.endswith(".npy") else np.loadtxt(
                    path, delimiter="," if path.endswith(".csv") else None, ndmin=1)
            if np.iscomplexobj(X):  # astype(float) would drop the imaginary part with a warning
                raise CLIError(f"--data {path} holds complex numbers: give real coordinates (e.g. real and "
                               "imaginary parts as two columns)")
            if getattr(X, "dtype", None) is not None and X.dtype.kind in "OSUV":
                raise CLIError(f"--data: {path} holds {X.dtype} values, not numbers")
            X = np.asarray(X, dtype=float)
        except CLIError:
            raise
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


def _zero_mode_notes(lam, what="eigenvalues i^-(1+alpha_K)"):
    """The remark on underflowed eigenvalues (none, or one sentence): it explains no null, so it goes
    into the payload's ``notes`` list and a ``note:`` line of the text (as the protocol's outcomes do)."""
    k = int(np.sum(lam == 0))
    if not k:
        return []
    return [f"{k} of the {lam.size} {what} underflow float64 (below 5e-324) and count as zero modes: never "
            f"learned, counted in S; their contribution to any loss is below {lam.size} x 5e-324 per unit of "
            "target power"]


def _cmd_spectral_exponents(args):
    from scalinglab.theory.spectral import regime_exponents, resolution_limited

    if args.smoothness is not None and args.d is None:
        raise CLIError("--smoothness needs --d (the kernel bound is t/d)")
    ex = regime_exponents(args.alpha_K)
    payload, text = {"regimes": ex}, [str(ex)]
    if args.d is not None:
        rb = resolution_limited(args.d, args.smoothness)
        payload["manifold"] = rb
        text.append(str(rb))
    return payload, "\n".join(text)


def _with_notes(payload, text, lam):
    """``(payload, text)`` with the remark of :func:`_zero_mode_notes` on ``lam`` added to both (if any)."""
    notes = _zero_mode_notes(lam)
    if notes:
        payload["notes"] = notes
    return payload, "\n".join([text] + [f"note: {n}" for n in notes])


def _cmd_spectral_rf(args):
    from scalinglab.theory.spectral import powerlaw_spectrum, rf_teacher_student_loss

    lam = powerlaw_spectrum(args.modes, args.alpha_K)
    D = _v.real_array("--D", args.D, lo=1, allow_inf=True)
    P = _v.real_array("--P", args.P, lo=1, allow_inf=True)
    _v.size_limit("the --D x --P grid", float(D.size) * P.size, 10**5, " points", "fewer D or P")
    DD, PP = np.meshgrid(D, P, indexing="ij")
    r = rf_teacher_student_loss(DD.ravel(), PP.ravel(), lam)
    rows = [strict_json({"D": d, "P": p, "loss": v}, type(r)._reasons) for d, p, v in zip(r.D, r.P, r.loss)]
    payload = {"alpha_K": args.alpha_K, "modes": args.modes, "rows": rows, "method": r.method}
    return _with_notes(payload, f"Gaussian features of spectrum lambda_i = i^-(1+{args.alpha_K:g}), teacher w ~ "
                                f"N(0, I/S)\n{r}", lam)


def _cmd_spectral_eigenlearning(args):
    from scalinglab.theory.spectral import eigenlearning_curve, powerlaw_spectrum

    lam = powerlaw_spectrum(args.modes, args.alpha_K)
    beta = args.alpha_K if args.target_exponent is None else _v.positive("--target-exponent", args.target_exponent)
    v2 = powerlaw_spectrum(args.modes, beta)
    lc = eigenlearning_curve(args.n, lam, v2, ridge=args.ridge, noise=args.noise)
    payload = lc.to_dict()
    return _with_notes(payload, f"lambda_i = i^-(1+{args.alpha_K:g}), target power per mode i^-(1+{beta:g}), "
                                f"{args.modes} modes\n{lc}", lam)


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
    exp = protocol.get(name)
    mapping, text = protocol.shipped_spec(name, quick=args.quick)
    config = exp.config_from_dict(mapping)
    if args.alpha_K is not None:
        if args.name != "rf-regimes":
            raise CLIError("--alpha-K applies to rf-regimes only")
        config = replace(config, alpha_K=args.alpha_K)
    result = execute_with_flags(exp, config, args.out or f"results/{name}", args, spec_text=text)
    # after the run: a refused command prints its one-line error and nothing else
    print(f"scalinglab: 'spectral sweep {args.name}' is deprecated; use 'scalinglab reproduce {name}'",
          file=sys.stderr)
    return result


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
    data.add_argument("--data", type=path_arg, help="points as .npy / .csv / whitespace text (rows = points); default: sample "
                                     "--manifold")
    data.add_argument("--source", choices=["rhm", "percolation"],
                      help="the project's data instead: RHM inputs (one-hot; --alpha) or a percolation cluster "
                           "(--p, embedded in R^8)")
    data.add_argument("--alpha", type=float, default=None, help="RHM Zipf exponent, -1 = uniform (default: 1)")
    data.add_argument("--p", type=float, default=None, help="percolation occupation probability > 1/2 (default: 0.6)")
    data.add_argument("--manifold", default=None, choices=["sphere", "torus", "cube", "subspace"],
                      help="manifold to sample when no --data / --source (default: sphere)")
    data.add_argument("--d", type=int, default=None, help="its intrinsic dimension (default: 3)")
    data.add_argument("--n", type=int, default=None, help="number of points of --source or --manifold "
                                                          "(default: 2000)")
    data.add_argument("--ambient", type=int, help="embed by a random isometry in this ambient dimension")
    data.add_argument("--seed", type=int, default=None, help="sampling seed (default: 0)")

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
