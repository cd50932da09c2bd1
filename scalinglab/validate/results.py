"""Tidy results on disk: a CSV of one row per finished run, plus a JSON manifest.

Layout of a results folder::

    DIR/results.csv     one row per finished run (tidy: one column per field)
    DIR/manifest.json   versions, seeds, git hash, device, argv, parameters

Rows are appended and flushed one at a time, so a sweep killed half-way keeps
every finished run; :class:`ResultStore` reads them back to resume.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

__all__ = ["ResultStore", "write_manifest", "read_manifest", "environment_info", "cell_key", "read_rows",
           "load_results", "read_json", "write_json", "json_default"]


def _git_hash():
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        h = out.stdout.strip()
        if out.returncode != 0 or not h:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return h + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment_info(device=None):
    """Versions, machine, git hash and argv, for a manifest."""
    import numpy
    import scipy

    import scalinglab

    info = {
        "scalinglab": scalinglab.__version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "git": _git_hash(),
        "argv": list(sys.argv),
        "time_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    for mod in ("numba", "torch"):
        m = sys.modules.get(mod)
        if m is not None:
            info[mod] = getattr(m, "__version__", None)
    if device is not None:
        info["device"] = str(device)
        try:
            import torch

            if str(device).startswith("cuda") and torch.cuda.is_available():
                info["device_name"] = torch.cuda.get_device_name(0)
        except ImportError:
            pass
    return info


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item") and getattr(obj, "ndim", 1) == 0:
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def write_manifest(folder, params, device=None, seeds=None, extra=None, name="manifest.json"):
    """Write ``folder/manifest.json`` with environment info and the parameters.

    Returns the path written. An existing manifest's ``created`` time is kept,
    its history of argv lists is extended (a resumed sweep records every call),
    and its params and seeds are kept when ``params``/``seeds`` are None.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    env = environment_info(device)
    old = read_manifest(folder, name) if path.exists() else {}
    man = {
        "created": old.get("created", env["time_utc"]),
        "updated": env["time_utc"],
        "environment": env,
        "params": _jsonable(params) if params is not None else old.get("params", {}),
        "seeds": _jsonable(seeds) if seeds is not None else old.get("seeds"),
        "history": old.get("history", []) + [env["argv"]],
    }
    if extra:
        man.update(_jsonable(extra))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(man, indent=2, sort_keys=False))
    os.replace(tmp, path)
    return path


def read_json(folder, name):
    """Parse ``folder/name`` (written by :func:`write_json` or :func:`write_manifest`)."""
    return json.loads((Path(folder) / name).read_text())


def read_manifest(folder, name="manifest.json"):
    return read_json(folder, name)


def cell_key(params):
    """A stable string key of a dict of parameters (sorted ``k=v`` pairs)."""
    parts = []
    for k in sorted(params):
        v = params[k]
        if isinstance(v, float):
            v = repr(float(v))
        parts.append(f"{k}={v}")
    return ";".join(parts)


def _parse(v):
    if v == "":
        return None
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    if v in ("True", "False"):
        return v == "True"
    return v


def read_rows(path):
    """Read a tidy CSV into a list of dicts, numbers parsed back to int/float."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        return [{k: _parse(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def load_results(folder, filename="results.csv"):
    """Rows of ``folder/filename``; ValueError when there are none (nothing to plot)."""
    rows = read_rows(Path(folder) / filename)
    if not rows:
        raise ValueError(f"no results in {Path(folder) / filename} to plot; run without --replot first")
    return rows


def write_json(folder, name, obj):
    """Write ``obj`` (numpy values converted) as indented JSON to ``folder/name``; return the path."""
    path = Path(folder) / name
    path.write_text(json.dumps(obj, indent=2, default=json_default))  # NaN stays a number (read back as nan)
    return path


def json_default(o):
    """``default=`` for json.dumps: numpy scalars/arrays as Python numbers/lists,
    named results through ``to_dict()``, other numbers as float, the rest as str."""
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "to_dict"):
        return o.to_dict()
    try:
        return float(o)
    except (TypeError, ValueError):
        return str(o)


class ResultStore:
    """Append-only tidy CSV of finished runs, keyed by their parameters.

    Parameters
    ----------
    folder : path
        Results folder; ``results.csv`` lives there.
    key_fields : sequence of str
        The parameters that identify a run (e.g. ``("P", "seed", "alpha")``);
        a run whose key is already in the file is done and is skipped on resume.

    Notes
    -----
    Each :meth:`append` opens, writes one row, flushes and fsyncs, so a kill
    loses at most the run in flight. A new column appearing in a later row
    rewrites the file once with the widened header.
    """

    def __init__(self, folder, key_fields, filename="results.csv"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / filename
        self.key_fields = tuple(key_fields)
        self._rows = read_rows(self.path)
        self._keys = {self.key(r) for r in self._rows}
        self._fields = list(self._rows[0].keys()) if self._rows else []

    def key(self, params):
        missing = [k for k in self.key_fields if k not in params]
        if missing:
            raise KeyError(f"run parameters lack key fields {missing}")
        return cell_key({k: params[k] for k in self.key_fields})

    def done(self, params):
        """Whether a run with these key parameters is already stored."""
        return self.key(params) in self._keys

    @property
    def rows(self):
        return list(self._rows)

    def append(self, row):
        row = {k: _jsonable(v) for k, v in row.items()}
        new = [k for k in row if k not in self._fields]
        if new and self._rows:
            self._fields += new
            self._rewrite()
        elif new:
            self._fields += new
        write_header = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=self._fields)
            if write_header:
                w.writeheader()
            w.writerow({k: row.get(k, "") for k in self._fields})
            fh.flush()
            os.fsync(fh.fileno())
        self._rows.append(row)
        self._keys.add(self.key(row))

    def _rewrite(self):
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=self._fields)
            w.writeheader()
            for r in self._rows:
                w.writerow({k: r.get(k, "") for k in self._fields})
        os.replace(tmp, self.path)
