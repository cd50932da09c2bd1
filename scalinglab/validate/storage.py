"""Results storage of the experiment protocol: JSON-lines row shards, claims, a typed manifest.

Layout of a results folder (see ``docs/developer/protocol.md``)::

    OUT/manifest.json        format, experiment, config, spec text, row schema, environment, history
    ROWS/rows/<writer>.jsonl one JSON object per finished cell; one file per writer process
    ROWS/.claims/<key>       a cell being run by a live writer (pid, host, time)
    ROWS/quarantine/         torn tails moved aside (with a note naming the file)
    OUT/results.csv          typed, de-duplicated export of the rows analysed (for people)
    OUT/summary.json         the analysis (strict JSON: NaN/inf written as null)

``ROWS`` is ``OUT`` itself, or a store shared by several experiments (the RHM
reproductions share ``OUT/../rhm-runs``).

Why JSON lines in per-writer shards: a row is one ``os.write`` of one line into
a file only its writer appends to, so a kill leaves at most one torn *last*
line (detected, quarantined and reported by file name), two processes never
interleave bytes, and rows keep their types (int/float/bool/str/null/list).
The schema recorded in the manifest gives the DataFrame dtypes.

Examples
--------
>>> import tempfile
>>> st = RowStore(tempfile.mkdtemp())
>>> st.append({"key": "k1", "P": 10, "err": 0.5})
>>> [r["err"] for r in st.read().rows]
[0.5]
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from scalinglab._results import strict_json
from scalinglab.errors import InputError

__all__ = ["RowStore", "ReadResult", "Manifest", "environment_info", "jsonable", "json_default", "strict_json",
           "write_json", "read_json", "infer_schema", "to_frame", "canonical_order", "load_results", "check_out_folder",
           "MANIFEST", "FORMAT"]

MANIFEST = "manifest.json"
#: Version of the folder layout written in every manifest.
FORMAT = "scalinglab-protocol/1"
#: Seconds after which a claim by a writer on *another* host counts as stale.
CLAIM_TIMEOUT_S = float(os.environ.get("SCALINGLAB_CLAIM_TIMEOUT", 24 * 3600))


# --------------------------------------------------------------------------- JSON helpers
def jsonable(obj):
    """``obj`` with numpy scalars/arrays, tuples and dicts made plain JSON types (floats kept as floats).

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"a": (1, 2), "b": np.float32(0.5), "c": np.arange(3)})
    {'a': [1, 2], 'b': 0.5, 'c': [0, 1, 2]}
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and getattr(obj, "ndim", 1) == 0:
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return obj


def json_default(o):
    """``default=`` for json.dumps: numpy scalars/arrays as Python numbers/lists,
    named results through ``to_dict()``, other numbers as float, the rest as str.

    Examples
    --------
    >>> import json
    >>> import numpy as np
    >>> json.dumps({"x": np.float32(1.5), "y": np.arange(3)}, default=json_default)
    '{"x": 1.5, "y": [0, 1, 2]}'
    """
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "to_dict"):
        return o.to_dict()
    try:
        return float(o)
    except (TypeError, ValueError):
        return str(o)


def write_json(folder, name, obj, strict=True):
    """Write ``obj`` as indented JSON to ``folder/name`` atomically; return the path.

    ``strict=True`` writes non-finite floats as null (the file is valid JSON).

    Examples
    --------
    >>> path = write_json(".", "a.json", {"x": float("inf")})      # strict: a reason beside the null
    >>> print(open("a.json").read())
    {
      "x": null,
      "x_reason": "null stands for +inf"
    }
    """
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(strict_json(obj) if strict else obj, indent=2, default=json_default, allow_nan=not strict)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def read_json(folder, name):
    """Parse ``folder/name``; an unreadable file is an InputError naming it.

    Examples
    --------
    >>> _ = write_json(".", "b.json", {"x": 1, "y": [1.5, None]})
    >>> read_json(".", "b.json")
    {'x': 1, 'y': [1.5, None]}
    """
    path = Path(folder) / name
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc}); move it aside or delete it") from None


def _git_hash():
    """``HEAD`` (``-dirty`` when tracked files changed); in a copy without ``.git`` (a device machine) the
    ``SCALINGLAB_GIT_HASH`` the launcher set, else None."""
    here = Path(__file__).resolve().parent
    fallback = os.environ.get("SCALINGLAB_GIT_HASH") or None
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        h = out.stdout.strip()
        if out.returncode != 0 or not h:
            return fallback
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return h + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return fallback


def environment_info(device=None):
    """Versions, machine, git hash and argv, for a manifest.

    Examples
    --------
    >>> info = environment_info(device="cpu")
    >>> {"scalinglab", "python", "numpy", "git"} <= set(info)
    True
    """
    import numpy
    import scipy

    import scalinglab

    info = {
        "scalinglab": scalinglab.__version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "cpu_count": os.cpu_count(),
        "git": _git_hash(),
        "argv": list(sys.argv),
        "time_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    for mod in ("numba", "torch", "pandas"):
        m = sys.modules.get(mod)
        if m is not None:
            info[mod] = getattr(m, "__version__", None)
    # what decides whether a CPU rerun is bit-identical (docs/guide/statistics.md): the CPU model, the kernels
    # torch and MKL pick for it, and the settings that override them
    info["cpu"] = _cpu_model()
    torch = sys.modules.get("torch")
    if torch is not None:
        with contextlib.suppress(Exception):
            info["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    info["cpu_settings"] = {k: os.environ[k] for k in ("MKL_CBWR", "ATEN_CPU_CAPABILITY", "SCALINGLAB_TORCH_THREADS",
                                                       "OMP_NUM_THREADS") if k in os.environ}
    if device is not None:
        info["device"] = str(device)
        torch = sys.modules.get("torch")
        if torch is not None and str(device).startswith("cuda") and torch.cuda.is_available():
            info["device_name"] = torch.cuda.get_device_name(torch.device(str(device)))
    return info


def _cpu_model():
    """The CPU's model name (Linux: /proc/cpuinfo), else ``platform.processor()``."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


# --------------------------------------------------------------------------- output folder
def check_out_folder(path, what="--out"):
    """Create ``path`` (a folder) or raise a one-line InputError: a file there, or not writable.

    Examples
    --------
    >>> check_out_folder("new-folder").is_dir()           # created (and checked writable)
    True
    >>> _ = open("a-file", "w").write("x")
    >>> check_out_folder("a-file")
    Traceback (most recent call last):
    ...
    scalinglab.errors.InputError: --out a-file is a file, not a folder; choose another --out
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {path} is a file, not a folder; choose another {what}")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"{what} {path} is not writable ({exc.strerror or exc})") from None
    return path


# --------------------------------------------------------------------------- manifest
_MANIFEST_TYPES = {"format": str, "experiment": str, "config": dict, "schema": dict, "history": list}


@dataclass
class Manifest:
    """``OUT/manifest.json``: what the folder holds and how its rows are typed.

    Examples
    --------
    >>> Manifest.load("no-results-here").data             # no manifest.json: empty
    {}
    >>> from scalinglab.validate import protocol
    >>> exp = protocol.get("brill-fig2")
    >>> _ = protocol.execute(exp, exp.config_type(c_over_D=(0.5,), n_points=20), "fig2", echo=None)
    >>> m = Manifest.load("fig2")
    >>> m.experiment, m.data["format"] == FORMAT, "schema" in m.data
    ('brill-fig2', True, True)
    """

    path: Path
    data: dict = field(default_factory=dict)

    @classmethod
    def load(cls, folder):
        """The manifest of ``folder`` (empty when there is none); InputError when malformed."""
        path = Path(folder) / MANIFEST
        if not path.exists():
            return cls(path, {})
        data = read_json(folder, MANIFEST)
        if not isinstance(data, dict):
            raise InputError(f"{path}: expected a JSON object, got {type(data).__name__}; move it aside")
        if data.get("format") != FORMAT:
            raise InputError(f"{path} was not written by this version of the experiment protocol (format "
                             f"{data.get('format')!r}, expected {FORMAT!r}); use another --out or move the "
                             "folder aside")
        for k, t in _MANIFEST_TYPES.items():
            if not isinstance(data.get(k), t):
                raise InputError(f"{path}: field {k!r} must be a {t.__name__}, got "
                                 f"{type(data.get(k)).__name__}; move the file aside")
        return cls(path, data)

    @property
    def experiment(self):
        return self.data.get("experiment")

    def save(self):
        write_json(self.path.parent, self.path.name, self.data)


# --------------------------------------------------------------------------- rows
def _writer_name():
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def _pid_alive(pid):
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, ValueError):
        return False
    return True


def _writer_alive(host, pid, mtime):
    if host == socket.gethostname():
        return _pid_alive(pid)
    return time.time() - mtime < CLAIM_TIMEOUT_S


@dataclass
class ReadResult:
    """Rows read from a store, and what was noticed on the way.

    Examples
    --------
    >>> store = RowStore("store-1")
    >>> store.append({"key": "a", "y": 1})
    >>> store.close()
    >>> r = store.read()
    >>> r.rows, r.notes, r.duplicates
    ([{'key': 'a', 'y': 1}], [], 0)
    """

    rows: list
    notes: list = field(default_factory=list)
    duplicates: int = 0


class RowStore:
    """Append-only JSON-lines rows of one folder, one shard per writer process, with claims.

    Parameters
    ----------
    folder : path
        The store folder (``rows/``, ``.claims/``, ``quarantine/`` live there).

    Notes
    -----
    :meth:`append` writes one line with a single ``os.write`` on an
    ``O_APPEND`` descriptor and fsyncs, so a kill loses at most the row in
    flight and leaves at most a torn last line in this writer's own shard.

    Examples
    --------
    >>> store = RowStore("store")
    >>> store.append({"key": "a", "y": 1})
    >>> store.append({"key": "b", "y": 2})
    >>> store.close()
    >>> RowStore("store").read().rows
    [{'key': 'a', 'y': 1}, {'key': 'b', 'y': 2}]
    >>> store.claim("c"), store.claimed_by_other("c")      # a claim marks a cell as being run by this process
    (True, False)
    >>> store.release("c")
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.rows_dir = self.folder / "rows"
        self.claims_dir = self.folder / ".claims"
        self.quarantine_dir = self.folder / "quarantine"
        self._fd = None
        self._shard = None

    # -- writing ------------------------------------------------------------------
    def append(self, row):
        """Append one row (a JSON-able dict) to this process's shard."""
        line = json.dumps(jsonable(row), allow_nan=True, separators=(",", ":")) + "\n"
        if "\n" in line[:-1]:  # pragma: no cover - json.dumps never emits raw newlines
            raise ValueError("row serialised over several lines")
        if self._fd is None or self._shard_pid != os.getpid():
            self.rows_dir.mkdir(parents=True, exist_ok=True)
            self._shard = self.rows_dir / f"{_writer_name()}.jsonl"
            self._fd = os.open(self._shard, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._shard_pid = os.getpid()
        data = line.encode("utf-8")
        n = os.write(self._fd, data)
        while n < len(data):  # regular files write whole buffers; be safe anyway
            n += os.write(self._fd, data[n:])
        os.fsync(self._fd)

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- claims -----------------------------------------------------------------
    def claim(self, key):
        """Claim cell ``key`` for this process; False when a live writer holds it.

        A claim whose writer is dead (same host) or older than
        ``SCALINGLAB_CLAIM_TIMEOUT`` seconds (another host) is stale and taken over.
        """
        self.claims_dir.mkdir(parents=True, exist_ok=True)
        path = self.claims_dir / key
        info = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "time": time.time()}).encode()
        # the claim appears complete or not at all: written to a private file, then hard-linked into place
        # (link fails when the name exists, like O_EXCL), so a kill never leaves an empty claim behind
        tmp = self.claims_dir / f".{key}.{_writer_name()}.tmp"
        tmp.write_bytes(info)
        try:
            for _ in range(3):
                try:
                    os.link(tmp, path)
                    return True
                except FileExistsError:
                    holder = self._holder(path)
                    if holder is None:
                        continue  # vanished meanwhile: try again
                    if holder["alive"]:
                        return holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
                    try:  # stale: remove and retry (another process may win the race; link decides)
                        path.unlink()
                    except FileNotFoundError:
                        pass
            return False
        finally:
            tmp.unlink(missing_ok=True)

    def _holder(self, path):
        try:
            raw = path.read_bytes()
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        try:
            h = json.loads(raw.decode())
            pid, host = int(h["pid"]), str(h["host"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):  # not written by a claim(): stale
            return {"pid": -1, "host": "", "alive": False}
        return {"pid": pid, "host": host, "alive": _writer_alive(host, pid, mtime)}

    def claimed_by_other(self, key):
        """Whether a live writer other than this process holds ``key``."""
        h = self._holder(self.claims_dir / key)
        return bool(h and h["alive"] and not (h["pid"] == os.getpid() and h["host"] == socket.gethostname()))

    def release(self, key):
        try:
            (self.claims_dir / key).unlink()
        except FileNotFoundError:
            pass

    # -- reading ------------------------------------------------------------------
    def shards(self):
        return sorted(self.rows_dir.glob("*.jsonl")) if self.rows_dir.is_dir() else []

    def read(self, quarantine=True):
        """Every row of every shard, validated.

        A torn last line (no newline, or not JSON) of a shard whose writer is
        gone is moved to ``quarantine/`` and reported in ``notes``; a torn tail
        of a live writer is skipped (it is being written). Any other
        unreadable line is an InputError naming the file and line. Rows with
        the same ``key`` as an earlier row are dropped (counted in
        ``duplicates``, warned about).
        """
        rows, notes = [], []
        for shard in self.shards():
            rows += self._read_shard(shard, notes, quarantine)
        seen, out, dup = set(), [], 0
        for r in rows:
            k = r.get("key")
            if k in seen:
                dup += 1
                continue
            seen.add(k)
            out.append(r)
        if dup:
            msg = f"{dup} duplicate row(s) of the same cell key dropped in {self.rows_dir}"
            warnings.warn(msg, stacklevel=2)
            notes.append(msg)
        return ReadResult(out, notes, dup)

    def _read_shard(self, shard, notes, quarantine):
        raw = shard.read_bytes()
        *complete, rest = raw.split(b"\n")  # rest: bytes after the last newline (b"" when none)
        rows, pos, torn = [], 0, None
        for i, ln in enumerate(complete, start=1):
            try:
                row = json.loads(ln.decode("utf-8"))
                if not isinstance(row, dict) or "key" not in row:
                    raise ValueError("not a row object with a 'key'")
            except (UnicodeDecodeError, ValueError) as exc:
                if i == len(complete) and not rest:
                    torn = pos  # the last line is bad: a torn tail
                    break
                raise InputError(f"{shard} line {i}: unreadable row ({type(exc).__name__}: {exc}); "
                                 "move the file aside or delete that line") from None
            rows.append(row)
            pos += len(ln) + 1
        if torn is None and rest:
            torn = pos
        if torn is None:
            return rows
        parts = shard.stem.rsplit("-", 2)
        other_live = (shard != self._shard and len(parts) == 3 and parts[1].isdigit()
                      and not (parts[0] == socket.gethostname() and int(parts[1]) == os.getpid())
                      and _writer_alive(parts[0], int(parts[1]), shard.stat().st_mtime))
        if other_live:  # being written right now: not torn, just not finished
            return rows
        if not quarantine:
            notes.append(f"torn last line of {shard} ignored")
            return rows
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        q = self.quarantine_dir / f"{shard.name}.{stamp}-{secrets.token_hex(2)}.torn"
        q.write_bytes(raw[torn:])
        (q.parent / f"{q.name}.note").write_text(
            f"torn last line of {shard} ({len(raw) - torn} bytes) moved here at {stamp}; "
            "the cell it belonged to is run again.\n")
        with open(shard, "r+b") as fh:
            fh.truncate(torn)
        notes.append(f"torn last line of {shard} ({len(raw) - torn} bytes) quarantined to {q}")
        return rows


# --------------------------------------------------------------------------- schema and frames
_ORDER = {"bool": 0, "int": 1, "float": 2, "str": 3, "json": 4}


def _vtype(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    return "json"


def infer_schema(rows):
    """``{column: type}`` with types ``bool int float str json`` (int+float = float; None allowed anywhere).

    Examples
    --------
    >>> infer_schema([{"a": 1, "b": "x", "c": [1.0]}, {"a": 2, "b": None}])
    {'a': 'int', 'b': 'str', 'c': 'json'}
    """
    types = {}
    for r in rows:
        for k, v in r.items():
            if v is None:
                types.setdefault(k, None)
                continue
            t = _vtype(v)
            old = types.get(k)
            if old is None or old == t:
                types[k] = t
            elif {old, t} == {"int", "float"}:
                types[k] = "float"
            else:
                types[k] = "json" if "json" in (old, t) else "str"
    return {k: (t or "float") for k, t in types.items()}


def _order_number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:  # None, text, NaN: after the numbers
        return (1, 0.0)
    return (0, float(v))


def canonical_order(rows):
    """``rows`` (dicts) sorted by seed, then ``P``, then cell key, then content: one order for one set of rows.

    Stores fill in whatever order the workers finish (here, ``local:N``,
    Dask, Slurm: one shard per writer), so every analysis reads its rows
    through this order; a mean, a bootstrap over seeds or a fit then gives
    bit-identical numbers however the rows were stored.

    Examples
    --------
    >>> rows = [{"key": "b", "seed": 1, "P": 8}, {"key": "c", "seed": 0, "P": 16}, {"key": "a", "seed": 0, "P": 8}]
    >>> [r["key"] for r in canonical_order(rows)]
    ['a', 'c', 'b']
    """
    def sort_key(r):
        return (_order_number(r.get("seed")), _order_number(r.get("P")), str(r.get("key", "")),
                json.dumps(r, sort_keys=True, default=str))

    return sorted(rows, key=sort_key)


_PANDAS = {"bool": "boolean", "int": "Int64", "float": "float64", "str": "object", "json": "object"}


def to_frame(rows, schema=None):
    """A pandas DataFrame of ``rows`` with the schema's dtypes (lists as tuples, ints nullable).

    Examples
    --------
    >>> rows = [{"a": 1, "b": "x", "c": [1.0]}, {"a": 2, "b": None}]
    >>> df = to_frame(rows, infer_schema(rows))
    >>> df.shape, list(df.columns), df["a"].tolist()
    ((2, 3), ['a', 'b', 'c'], [1, 2])
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError("analysing results needs pandas: pip install 'scalinglab[validate]'") from None

    schema = schema or infer_schema(rows)
    cols = list(schema)
    data = {}
    for c in cols:
        t = schema[c]
        vals = [r.get(c) for r in rows]
        if t == "int" and any(isinstance(v, float) for v in vals):  # rows newer than the recorded schema
            t = "float"
        if t == "json":
            vals = [tuple(v) if isinstance(v, list) else v for v in vals]
        elif t == "float":
            vals = [float("nan") if v is None else float(v) for v in vals]
        elif t == "str":
            vals = [None if v is None else str(v) for v in vals]
        data[c] = pd.Series(vals, dtype=_PANDAS[t])
    df = pd.DataFrame(data, columns=cols)
    df.attrs["schema"] = dict(schema)
    return df


def load_results(folder):
    """The rows analysed in ``folder`` (a results folder), as a typed pandas DataFrame.

    Reads the manifest, selects the rows whose cell key belongs to the
    folder's recorded config (other rows are not returned), puts them in
    :func:`canonical_order` (the order every analysis reads them in) and
    types them by the manifest's schema.

    >>> load_results("no/such/folder")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    InputError: no results in no/such/folder ...
    """
    from scalinglab.validate import protocol

    man = Manifest.load(folder)
    if not man.data:
        raise InputError(f"no results in {folder} (no {MANIFEST}); run the experiment first")
    exp = protocol.get(man.experiment)
    config = exp.config_from_dict(man.data["config"])
    store = RowStore(protocol.rows_folder(Path(folder), man.data))
    rows = store.read(quarantine=False).rows
    keys = {protocol.cell_key(c) for c in exp.cells(config)}
    return to_frame(canonical_order([r for r in rows if r.get("key") in keys]), man.data["schema"] or None)
