"""Shared pieces of the command line: the user-error type and argument parsers."""

from __future__ import annotations

import argparse

import math

import numpy as np

from scalinglab.errors import InputError

__all__ = ["CLIError", "parse_grid", "parse_count_grid", "parse_int_list", "path_arg", "refuse_together", "MAX_GRID"]

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
        items = text.split(",")
        if any(not t.strip() for t in items):  # '1,,2' or a trailing comma: a typo, not a shorter list
            raise argparse.ArgumentTypeError(f"grid {text!r}: an empty item in the comma list")
        vals = [float(t) for t in items]
        if len(vals) > MAX_GRID:
            raise argparse.ArgumentTypeError(f"grid {text!r} has {len(vals)} values, over the limit {MAX_GRID}")
        return np.array(vals)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"grid {text!r}: use 'lo:hi:n' (log-spaced, finite 0 < lo < hi, n >= 2) or a comma list") from None


def parse_count_grid(text):
    """A grid of counts (training-set sizes): a ``lo:hi:n`` grid rounded to distinct integers, or a comma list
    of whole numbers (``10.5`` is refused: no training set has half a sample)."""
    vals = parse_grid(text)
    if ":" in text:
        return np.unique(np.round(vals))
    bad = [v for v in vals if math.isfinite(v) and v != round(v)]
    if bad:
        raise argparse.ArgumentTypeError(f"{text!r}: counts must be whole numbers, got {bad[0]:g}")
    return vals


def path_arg(text):
    """A file or folder path given on the command line: an empty (or blank) one is refused, not replaced by the
    default (``--out ''`` used to write into the default folder without a word)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a file or folder name (or leave the option out)")
    return text


def parse_int_list(text):
    """A comma list of integers (``'2,3,4'``); empty items and non-integers are refused."""
    items = text.split(",")
    try:
        if any(not t.strip() for t in items):
            raise ValueError
        return [int(t) for t in items]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use a comma list of integers, e.g. 2,3,4") from None


def refuse_together(args, first, others, why=""):
    """Refuse flags given together that contradict each other (a flag whose value would be ignored).

    ``first`` and ``others`` are attribute names whose value is ``None`` when the flag was not given."""
    if getattr(args, first, None) is None:
        return
    given = [o for o in others if getattr(args, o, None) is not None]
    if given:
        flag = lambda a: "--" + a.replace("_", "-")  # noqa: E731
        raise CLIError(f"{flag(first)} and {', '.join(map(flag, given))} contradict each other: "
                       f"{why or flag(first) + ' sets what they would set'}; give one")


def _fmt(v):
    """Compact text of a summary value: floats to 4 significant digits, recursively."""
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


