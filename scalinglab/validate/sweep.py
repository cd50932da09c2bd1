"""Resumable parameter sweeps.

A sweep is a list of *cells* (dicts of parameters) and a function that runs one
cell and returns a dict of measured values. :func:`run_sweep` skips cells whose
key is already stored, runs the rest (in this process by default, or through
any executor with ``submit``), and appends each finished row at once, so a
killed sweep resumes where it stopped.
"""

from __future__ import annotations

import itertools
import time

from scalinglab._util import progress
from scalinglab.validate.results import ResultStore, write_manifest

__all__ = ["grid", "run_sweep"]


def grid(**axes):
    """Cartesian product of named axes as a list of dicts.

    >>> grid(P=[10, 100], seed=[0, 1])[:2]
    [{'P': 10, 'seed': 0}, {'P': 10, 'seed': 1}]
    """
    names = list(axes)
    return [dict(zip(names, vals)) for vals in itertools.product(*(list(axes[n]) for n in names))]


def run_sweep(cells, fn, folder, key_fields=None, params=None, device=None, executor=None,
              desc="sweep", seeds=None):
    """Run every not-yet-finished cell of a sweep and store its row.

    Parameters
    ----------
    cells : list of dict
        Parameters of each run.
    fn : callable
        ``fn(**cell) -> dict`` of measured values; the stored row is the cell
        merged with this dict and the wall time (``wall_s``).
    folder : path
        Results folder (``results.csv`` + ``manifest.json``).
    key_fields : sequence of str, optional
        Fields identifying a run; default: all keys of the first cell.
    params : dict, optional
        Sweep-level parameters recorded in the manifest.
    device : str, optional
        Device recorded in the manifest.
    executor : object with ``submit(fn, **kw) -> future``, optional
        E.g. a ``concurrent.futures`` or Dask client; rows are stored as
        futures complete. ``None`` runs the cells one by one here.
    desc : str
        Progress-bar label.
    seeds : list, optional
        Seeds recorded in the manifest.

    Returns
    -------
    ResultStore
        The store with every finished row (old and new).
    """
    cells = list(cells)
    if not cells:
        raise ValueError("a sweep needs at least one cell")
    key_fields = tuple(key_fields or cells[0].keys())
    store = ResultStore(folder, key_fields)
    write_manifest(folder, params, device=device, seeds=seeds,
                   extra={"key_fields": list(key_fields), "n_cells": len(cells)})
    todo = [c for c in cells if not store.done(c)]
    bar = progress(total=len(todo), desc=desc)
    try:
        if executor is None:
            for c in todo:
                t0 = time.perf_counter()
                out = fn(**c)
                store.append({**c, **out, "wall_s": time.perf_counter() - t0})
                bar.update()
        else:
            futures = {executor.submit(_timed, fn, c): c for c in todo}
            for fut in _as_completed(executor, futures):
                c = futures[fut]
                out, wall = fut.result()
                store.append({**c, **out, "wall_s": wall})
                bar.update()
    finally:
        bar.close()
    return store


def _timed(fn, cell):
    t0 = time.perf_counter()
    out = fn(**cell)
    return out, time.perf_counter() - t0


def _as_completed(executor, futures):
    """``as_completed`` of concurrent.futures, or of a Dask client when given one."""
    try:
        from distributed import Client, as_completed as das_completed

        if isinstance(executor, Client):
            return das_completed(list(futures))
    except ImportError:
        pass
    from concurrent.futures import as_completed

    return as_completed(list(futures))
