"""Small shared helpers: progress bars and argument checks (the checks live in :mod:`scalinglab._validation`)."""

from __future__ import annotations

import os
import sys

from tqdm.auto import tqdm

from scalinglab import _validation as _v

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
    """Return ``value`` as int, or raise :class:`~scalinglab.errors.InputError` naming the parameter
    (kept for older callers; see :func:`scalinglab._validation.integer`)."""
    return _v.integer(name, value, lo=lo, hi=hi)


def check_positive(name, value, allow_zero=False):
    """Return ``value`` as a finite float > 0 (or >= 0), else raise InputError
    (see :func:`scalinglab._validation.positive`)."""
    return _v.positive(name, value, allow_zero=allow_zero)
