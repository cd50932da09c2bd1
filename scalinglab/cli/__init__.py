"""The ``scalinglab`` command.

Each area adds its sub-commands in ``scalinglab/cli/_<area>.py`` through an
``_<area>_commands(sub, common)`` function listed in :data:`_AREAS`. A handler takes the parsed arguments and
returns ``(payload, text)``: ``payload`` is a dict (numbers, arrays, named results) printed with ``--json`` as
strict JSON (:func:`scalinglab._results.strict_json`: no NaN/Infinity, null plus a ``<key>_reason``), ``text``
the human-readable form (``str`` of the named results).

The command line, and only it, selects matplotlib's headless ``Agg`` backend
(importing scalinglab never changes the backend).

Errors: a handler raises :class:`~scalinglab.errors.InputError` for a user
mistake; :func:`main` prints it as one line ``scalinglab: error: ...`` and
returns 2 (argparse's own errors exit 2 as well). Any other exception is a
bug and propagates with its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from scalinglab._results import strict_json
from scalinglab.errors import InputError

from scalinglab.cli._common import CLIError, parse_grid  # noqa: F401
from scalinglab.cli._core import _core_commands
from scalinglab.cli._percolation import _percolation_commands
from scalinglab.cli._predict import _predict_commands
from scalinglab.cli._rhm import _rhm_commands
from scalinglab.cli._spectral import _spectral_commands

__all__ = ["main", "build_parser", "CLIError"]

_AREAS = [_core_commands, _rhm_commands, _percolation_commands, _spectral_commands, _predict_commands]


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print machine-readable JSON instead of text")
    parser = argparse.ArgumentParser(
        prog="scalinglab", parents=[common],
        description="Numerical theory engine for neural scaling laws rooted in the data distribution: analytic "
                    "predictions (scaling exponents, learning curves) for the Zipf Random Hierarchy Model, "
                    "Bethe-lattice percolation and kernel/manifold models, and validation sweeps that train "
                    "torch networks against them.",
        epilog="Run 'scalinglab COMMAND --help' for the options of a command.")
    from scalinglab import __version__

    parser.add_argument("--version", action="version", version=f"scalinglab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _AREAS:
        add(sub, common)
    return parser


def _headless_plots():
    """Figures of the command line go to files: use the Agg backend (the CLI's choice, not the package's)."""
    import matplotlib

    matplotlib.use("Agg")


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings of the command line as one line on stderr (``scalinglab: warning: ...``), without the source line:
    they speak to the user of the command, not to a programmer of the module that raised them."""
    msg = " ".join(str(message).split())
    print(f"scalinglab: warning: {msg}", file=sys.stderr if file is None else file)


def main(argv=None):
    import warnings

    _headless_plots()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            payload, text = args.handler(args)
    except InputError as exc:  # a user error (CLIError is one too); anything else is a bug: let it show
        msg = " ".join(str(exc).split())  # always one line
        print(f"scalinglab: error: {msg}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(strict_json(payload), indent=2, allow_nan=False) if getattr(args, "json", False) else text)
        sys.stdout.flush()
    except BrokenPipeError:  # output piped into e.g. `head`: not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    # a sweep with failed runs (e.g. a loss that went non-finite) printed its results and says so: status 1
    return 1 if isinstance(payload, dict) and payload.get("n_failed") else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
