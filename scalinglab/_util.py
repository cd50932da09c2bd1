"""Small shared helpers: progress bars and argument checks."""

from __future__ import annotations

import os
import sys

from tqdm.auto import tqdm

__all__ = ["progress", "check_int", "check_positive"]


def progress(iterable=None, total=None, desc=None, disable=None, **kw):
    """A tqdm progress bar on stderr, off when stderr is no terminal or
    ``SCALINGLAB_PROGRESS=0``; ``SCALINGLAB_PROGRESS=1`` forces it on."""
    if disable is None:
        env = os.environ.get("SCALINGLAB_PROGRESS")
        disable = (env == "0") if env in ("0", "1") else not sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=disable, file=sys.stderr,
                dynamic_ncols=True, leave=False, **kw)


def check_int(name, value, lo=None, hi=None):
    """Return ``value`` as int, or raise ValueError naming the parameter."""
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if lo is not None and value < lo:
        raise ValueError(f"{name} must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise ValueError(f"{name} must be <= {hi}, got {value}")
    return value


def check_positive(name, value, allow_zero=False):
    """Return ``value`` as a finite float > 0 (or >= 0), else raise ValueError."""
    value = float(value)
    if not (value >= 0 if allow_zero else value > 0) or value != value or value == float("inf"):
        raise ValueError(f"{name} must be a finite {'non-negative' if allow_zero else 'positive'} number, got {value!r}")
    return value
