"""Registry of ``scalinglab reproduce NAME`` figure reproductions.

An experiment module registers a reproduction with :func:`reproducer`; the
function receives the output folder and options, saves tidy results and a
manifest there, draws its figures *from the saved results* and returns a dict
summary (printed by the CLI, JSON with ``--json``). With ``replot=True`` it
only redraws from what is on disk.
"""

from __future__ import annotations

import importlib

__all__ = ["REPRODUCERS", "reproducer", "get", "available"]

REPRODUCERS = {}

# Modules that register reproductions; imported lazily (they may need torch).
_MODULES = [
    "scalinglab.validate.rhm._experiments",
    "scalinglab.validate.percolation._experiments",
    "scalinglab.validate.spectral._experiments",
    "scalinglab.validate.spectral._nets",
    "scalinglab.validate.spectral._project_data",
]


def reproducer(name, description):
    """Decorator registering ``fn(out, *, quick, device, replot, seeds) -> dict``."""

    def deco(fn):
        REPRODUCERS[name] = (fn, description)
        return fn

    return deco


def _load():
    errors = {}
    for mod in _MODULES:
        try:
            importlib.import_module(mod)
        except ImportError as exc:  # e.g. torch missing: say so when asked for
            errors[mod] = exc
    return errors


def available():
    """``{name: description}`` of every registered reproduction."""
    _load()
    return {k: v[1] for k, v in sorted(REPRODUCERS.items())}


def get(name):
    errors = _load()
    if name not in REPRODUCERS:
        hint = ""
        if errors:
            hint = " (some experiment modules failed to import: " + "; ".join(
                f"{m}: {e}" for m, e in errors.items()) + " -- is the 'validate' extra (torch) installed?)"
        raise KeyError(f"unknown reproduction {name!r}; available: {sorted(REPRODUCERS)}{hint}")
    return REPRODUCERS[name][0]
