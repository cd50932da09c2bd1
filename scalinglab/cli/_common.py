"""Shared pieces of the command line: the user-error type and argument parsers."""

from __future__ import annotations

import argparse

import numpy as np

__all__ = ["CLIError", "parse_grid"]


class CLIError(Exception):
    """A user error: printed as ``scalinglab: error: ...`` with exit status 2."""


def parse_grid(text):
    """Parse ``"lo:hi:n"`` (log-spaced, inclusive) or ``"a,b,c"`` into floats."""
    try:
        if ":" in text:
            lo, hi, n = text.split(":")
            lo, hi, n = float(lo), float(hi), int(n)
            if lo <= 0 or hi <= lo or n < 2:
                raise ValueError
            return np.geomspace(lo, hi, n)
        return np.array([float(t) for t in text.split(",") if t.strip()])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"grid {text!r}: use 'lo:hi:n' (log-spaced, 0 < lo < hi, n >= 2) or a comma list") from None


def _fmt(v):
    """Compact text of a summary value: floats to 4 significant digits, recursively."""
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


