"""Shared pieces of the command line: the user-error type and argument parsers."""

from __future__ import annotations

import argparse

import math

import numpy as np

from scalinglab.errors import InputError

__all__ = ["CLIError", "parse_grid", "MAX_GRID"]

#: Largest number of values of a command-line grid (``lo:hi:n`` or a comma list).
MAX_GRID = 100_000


class CLIError(InputError):
    """A user error of the command line: printed as ``scalinglab: error: ...`` with exit status 2.

    A subclass of :class:`~scalinglab.errors.InputError`, the one user-error type."""


def parse_grid(text):
    """Parse ``"lo:hi:n"`` (log-spaced, inclusive) or ``"a,b,c"`` into floats.

    Values are only parsed here (``nan``, ``inf`` and negatives pass through
    a comma list); the command checks its own range. A ``lo:hi:n`` grid
    needs finite ``0 < lo < hi`` and ``2 <= n <= MAX_GRID``.
    """
    try:
        if ":" in text:
            lo, hi, n = text.split(":")
            lo, hi, n = float(lo), float(hi), int(n)
            if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or hi <= lo or n < 2:
                raise ValueError
            if n > MAX_GRID:
                raise argparse.ArgumentTypeError(f"grid {text!r} has {n} points, over the limit {MAX_GRID}")
            return np.geomspace(lo, hi, n)
        vals = [float(t) for t in text.split(",") if t.strip()]
        if not vals:
            raise ValueError
        return np.array(vals)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"grid {text!r}: use 'lo:hi:n' (log-spaced, finite 0 < lo < hi, n >= 2) or a comma list") from None


def _fmt(v):
    """Compact text of a summary value: floats to 4 significant digits, recursively."""
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


