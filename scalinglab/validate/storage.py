"""Results storage of the experiment protocol: JSON-lines row shards, claims, a typed manifest.

Layout of a results folder (see ``docs/developer/protocol.md``)::

    OUT/manifest.json        format, experiment, config, spec text, row schema, environment, history
    ROWS/rows/<writer>.jsonl one JSON object per finished cell, a checksum first; one file per writer process
    ROWS/.claims/<key>       a cell being run by a writer (writer name, pid, host, since)
    ROWS/.locks/             the store's lock, and one lock per live writer (held for its life)
    ROWS/quarantine/         torn tails and bad rows moved aside (with a note naming the file and lines)
    OUT/results.csv          typed, de-duplicated export of the rows analysed (for people)
    OUT/summary.json         the analysis (strict JSON: NaN/inf written as null)

``ROWS`` is ``OUT`` itself, or a store shared by several experiments (the RHM
reproductions share ``OUT/../rhm-runs``).

Why JSON lines in per-writer shards: a row is one ``os.write`` of one line into
a file only its writer appends to, so a kill leaves at most one torn *last*
line (detected, quarantined and reported by file name), two processes never
interleave bytes, and rows keep their types (int/float/bool/str/null/list).
The schema recorded in the manifest gives the DataFrame dtypes. Each line
carries a checksum of its row (bit rot is caught on read), a failed write is
cut back (a full disk never leaves half a row), and liveness of a claim is
a ``flock`` its writer holds, not a pid (see :class:`RowStore`).

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
import errno
import hashlib
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

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locks (claims fall back to the pid rule)
    fcntl = None

from scalinglab._results import strict_json
from scalinglab.errors import InputError

__all__ = ["RowStore", "ReadResult", "StorageFull", "encode_row", "decode_row", "Manifest", "environment_info",
           "jsonable", "json_default", "strict_json", "write_json", "read_json", "infer_schema", "to_frame",
           "canonical_order", "load_results", "check_out_folder",
           "MANIFEST", "FORMAT"]

MANIFEST = "manifest.json"
#: Version of the folder layout written in every manifest.
FORMAT = "scalinglab-protocol/1"


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
class StorageFull(InputError):
    """The disk (or quota) filled while writing a row: the row is not stored (the shard was cut back to its
    last whole row), the rows written before are kept, and the same command resumes once there is space.

    Examples
    --------
    >>> issubclass(StorageFull, InputError)        # the command line prints it as one line, exit status 2
    True
    """


def _env_seconds(name, default):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return float(default)
    try:
        v = float(raw)
    except ValueError:
        v = float("nan")
    if not (v == v and v > 0):
        raise InputError(f"{name}={raw!r}: expected a positive number of seconds")
    return v


def claim_timeout_s():
    """``SCALINGLAB_CLAIM_TIMEOUT`` (default 24 h): age after which a claim counts as stale *only* where its
    writer's lock cannot be tested (a file system without ``flock``, or a claim written by scalinglab < 0.x)."""
    return _env_seconds("SCALINGLAB_CLAIM_TIMEOUT", 24 * 3600)


def claim_wait_s():
    """``SCALINGLAB_CLAIM_WAIT`` (default 1 h): how long a sweep waits for cells that another *live* writer holds
    before it analyses what is stored and names the writer."""
    return _env_seconds("SCALINGLAB_CLAIM_WAIT", 3600)


#: Kept for callers of the former module constant (read at import, like before).
CLAIM_TIMEOUT_S = 24 * 3600.0


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


def _legacy_alive(host, pid, mtime):
    """The pid/time rule: only for claims without a writer lock (older versions, file systems without flock).
    A zombie or a reused pid passes it, which is why claims now carry a lock."""
    if host == socket.gethostname():
        return _pid_alive(pid)
    return time.time() - mtime < claim_timeout_s()


#: Prefix of a checksummed row line: ``{"_sum":"<16 hex>",<the row's JSON without its opening brace>``.
_SUM_HEAD = b'{"_sum":"'
_LEGACY_HEAD = b'{"key":'


def _digest(body):
    return hashlib.blake2b(body, digest_size=8).hexdigest().encode()


class _BadRow(ValueError):
    pass


def encode_row(row):
    """The stored line of ``row`` (bytes, newline included): its JSON with a checksum of that JSON in front.

    Examples
    --------
    >>> line = encode_row({"key": "k1", "err": 0.5})
    >>> line[:9], line[25:]
    (b'{"_sum":"', b'","key":"k1","err":0.5}\\n')
    >>> decode_row(line[:-1])
    ({'key': 'k1', 'err': 0.5}, True)
    >>> decode_row(line[:-1].replace(b"0.5", b"0.6"))
    Traceback (most recent call last):
    ...
    scalinglab.validate.storage._BadRow: checksum mismatch
    """
    if "_sum" in row:
        raise ValueError("'_sum' is the row checksum's name; a row may not hold a value of that name")
    body = json.dumps(jsonable(row), allow_nan=True, separators=(",", ":")).encode("utf-8")
    if "\n" in body.decode("utf-8") or not body.startswith(b'{"'):  # pragma: no cover - json.dumps never does
        raise ValueError("a row is a non-empty mapping serialised on one line")
    return _SUM_HEAD + _digest(body) + b'",' + body[1:] + b"\n"


def decode_row(line):
    """``(row, checked)`` of one stored line (no newline); :class:`_BadRow` when it is not a whole, intact row.

    Checksummed rows (written since the checksum exists) must match their checksum; rows without one (written
    by earlier versions: they start with ``{"key":``) are accepted as *legacy* (``checked`` False) and are
    only compared with their cell by the protocol (:func:`scalinglab.validate.protocol.execute`).

    Examples
    --------
    >>> decode_row(b'{"key":"k0","y":1}')                      # a row of before the checksum: legacy
    ({'key': 'k0', 'y': 1}, False)
    >>> decode_row(b'{"kez":"k0","y":1}')
    Traceback (most recent call last):
    ...
    scalinglab.validate.storage._BadRow: not a row (neither a checksum nor a key first)
    """
    if line.startswith(_SUM_HEAD):
        digest, sep, body = line[9:25], line[25:27], b"{" + line[27:]
        if sep != b'",':
            raise _BadRow("malformed checksum")
        if _digest(body) != digest:
            raise _BadRow("checksum mismatch")
        checked = True
    elif line.startswith(_LEGACY_HEAD):
        body, checked = line, False
    else:
        raise _BadRow("not a row (neither a checksum nor a key first)")
    try:
        row = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _BadRow(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(row, dict) or not isinstance(row.get("key"), str) or "_sum" in row:
        raise _BadRow("not a row object with a string 'key'")
    return row, checked


@dataclass
class ReadResult:
    """Rows read from a store, and what was noticed on the way.

    ``bad`` counts rows refused on the way (checksum mismatch, unreadable, not matching their cell);
    ``legacy`` counts rows without a checksum (written by earlier versions) that were accepted.

    Examples
    --------
    >>> store = RowStore("store-1")
    >>> store.append({"key": "a", "y": 1})
    >>> store.close()
    >>> r = store.read()
    >>> r.rows, r.notes, r.duplicates, r.bad
    ([{'key': 'a', 'y': 1}], [], 0, 0)
    """

    rows: list
    notes: list = field(default_factory=list)
    duplicates: int = 0
    bad: int = 0
    legacy: int = 0


def _flock_nb(fd):
    """Try an exclusive flock: True when taken, False when another open file holds it, None when this file
    system cannot tell (no fcntl, ENOLCK, EOPNOTSUPP...)."""
    if fcntl is None:  # pragma: no cover - not POSIX
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError:
        return None


class RowStore:
    """Append-only JSON-lines rows of one folder, one shard per writer process, with claims.

    Parameters
    ----------
    folder : path
        The store folder (``rows/``, ``.claims/``, ``.locks/``, ``quarantine/`` live there).

    Notes
    -----
    A row is one line: a checksum (blake2b, 64 bits) of its JSON, then the
    JSON. :meth:`append` writes the line with one ``os.write`` on an
    ``O_APPEND`` descriptor and fsyncs; when the write fails (a full disk)
    the shard is cut back to its length before the write, so a row is whole
    or absent. Reading recomputes every checksum; a row that fails (bit rot,
    a torn tail, garbage) is moved to ``quarantine/`` with a note and its
    cell runs again.

    Each writer holds an exclusive ``flock`` on ``.locks/writers/<writer>.lock``
    for as long as it lives; the OS drops it when the process dies (a zombie
    included), so a claim is live exactly while its writer's lock is held,
    whatever the pid or host. Claiming (checked against the rows stored)
    and completing (row written, claim released) each happen under the
    store's lock ``.locks/store.lock``: no cell is run twice.

    Examples
    --------
    >>> store = RowStore("store")
    >>> store.append({"key": "a", "y": 1})
    >>> store.append({"key": "b", "y": 2})
    >>> store.close()
    >>> RowStore("store").read().rows
    [{'key': 'a', 'y': 1}, {'key': 'b', 'y': 2}]
    >>> store.claim("c"), store.claimed_by_other("c")      # a claim marks a cell as being run by this writer
    (True, False)
    >>> store.claim("a")                                   # a cell with a row is never claimed again
    False
    >>> store.release("c")
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.rows_dir = self.folder / "rows"
        self.claims_dir = self.folder / ".claims"
        self.locks_dir = self.folder / ".locks"
        self.quarantine_dir = self.folder / "quarantine"
        #: ``check(row) -> None or reason``: extra validation of decoded rows (the protocol compares each row
        #: with its cell); a row with a reason is treated like a corrupt one.
        self.check = None
        self._fd = None
        self._shard = None
        self._wid = None
        self._wpid = None
        self._wfd = None
        self._since = None
        self._lock_depth = 0
        self._index = {}  # shard -> (inode, bytes indexed)
        self._keys = set()

    # -- identity and locks -------------------------------------------------------
    def writer(self):
        """This process's writer name (``host-pid-random``), its lock taken on first use."""
        if self._wid is None or self._wpid != os.getpid():
            self._fd = self._shard = None  # a forked child writes its own shard
            self._wid, self._wpid, self._since = _writer_name(), os.getpid(), time.time()
            wdir = self.locks_dir / "writers"
            wdir.mkdir(parents=True, exist_ok=True)
            tmp = wdir / f".{self._wid}.tmp"
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
            _flock_nb(fd)  # locked before the name appears: a checker never sees it unlocked
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                     "since": self._since}).encode())
            os.replace(tmp, wdir / f"{self._wid}.lock")
            self._wfd = fd
        return self._wid

    def _writer_alive(self, wid, host=None, pid=None, mtime=0.0):
        """Whether writer ``wid`` lives: its lock is held (None for ``wid``: the pid/time rule)."""
        if wid is not None and wid == self._wid and self._wpid == os.getpid():
            return True
        if wid is None:
            return _legacy_alive(host, pid, mtime)
        path = self.locks_dir / "writers" / f"{wid}.lock"
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False  # closed cleanly, or never had a lock: gone
        except OSError:
            return _legacy_alive(host, pid, mtime)
        try:
            got = _flock_nb(fd)
            if got is None:
                return _legacy_alive(host, pid, mtime)
            if got:  # nobody holds it: the writer is gone; tidy its lock file
                path.unlink(missing_ok=True)
            return not got
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _locked(self):
        """The store's exclusive lock (re-entrant in this object): claims are checked against the stored rows,
        and rows written and their claims released, as one step each."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.locks_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.locks_dir / "store.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except OSError:  # a file system without locks: claims fall back to O_EXCL alone
                    pass
            self._lock_depth = 1
            yield
        finally:
            self._lock_depth = 0
            os.close(fd)

    # -- writing ------------------------------------------------------------------
    def append(self, row):
        """Append one row (a JSON-able dict with a ``key``) to this process's shard: whole or not at all.

        On a full disk (``ENOSPC``/``EDQUOT``) the shard is cut back to its last whole row and
        :class:`StorageFull` (a one-line :class:`InputError`) is raised.
        """
        self._append_bytes(encode_row(row))

    def _append_bytes(self, data):
        self.writer()
        if self._fd is None:
            self.rows_dir.mkdir(parents=True, exist_ok=True)
            self._shard = self.rows_dir / f"{self._wid}.jsonl"
            self._fd = os.open(self._shard, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        start = os.fstat(self._fd).st_size
        try:
            n = os.write(self._fd, data)
            while n < len(data):  # a regular file writes whole buffers unless the disk fills: then this raises
                n += os.write(self._fd, data[n:])
            os.fsync(self._fd)
        except OSError as exc:
            try:
                os.ftruncate(self._fd, start)  # a row is whole or absent
            except OSError:  # pragma: no cover - truncation frees space; it does not fail for lack of it
                pass
            if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
                raise StorageFull(f"no space left on the device of {self.rows_dir} ({exc.strerror or exc}): "
                                  f"the row in progress was not stored, the rows before it are kept; free space "
                                  "and run the same command again to resume") from None
            raise

    def complete(self, key, row):
        """Store the row of cell ``key`` and release its claim, as one step under the store's lock."""
        data = encode_row(row)
        with self._locked():
            self._append_bytes(data)
            self.release(key)
            self._keys.add(key)

    def close(self):
        """Close this writer's shard and give up its lock (its claims are then stale)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._shard = None
        if self._wfd is not None and self._wpid == os.getpid():
            (self.locks_dir / "writers" / f"{self._wid}.lock").unlink(missing_ok=True)
            os.close(self._wfd)
            self._wfd = None
            self._wid = None

    # -- claims -----------------------------------------------------------------
    def claim(self, key):
        """Claim cell ``key`` for this writer; False when it has a row or a live writer holds it.

        The check against the stored rows and the claim are one step under the store's lock, so a cell
        finished by another writer a moment ago is never claimed (and run) again. A claim whose writer is
        gone (its lock free: the process died, was killed or is a zombie) is stale and taken over.
        """
        return key in self.claim_many([key])

    def claim_many(self, keys):
        """Claim every cell of ``keys`` that has no row and no live holder (one lock for all); the keys claimed."""
        me = self.writer()
        got = []
        with self._locked():
            self.claims_dir.mkdir(parents=True, exist_ok=True)
            done = self.done_keys()
            for key in keys:
                if key in done:
                    continue
                h = self.holder(key)
                if h is not None and h["alive"] and h["writer"] != me:
                    continue
                path = self.claims_dir / key
                tmp = self.claims_dir / f".{key}.{me}.tmp"  # whole or absent: written aside, then renamed
                tmp.write_bytes(json.dumps({"writer": me, "pid": os.getpid(), "host": socket.gethostname(),
                                            "since": time.time()}).encode())
                os.replace(tmp, path)
                got.append(key)
        return got

    def holder(self, key):
        """``{"writer", "pid", "host", "since", "alive"}`` of the claim on ``key``, or None when unclaimed."""
        path = self.claims_dir / key
        try:
            raw = path.read_bytes()
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        try:
            h = json.loads(raw.decode())
            pid, host = int(h["pid"]), str(h["host"])
            wid = h.get("writer")
            since = float(h.get("since", h.get("time", mtime)))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError):  # not from claim(): stale
            return {"writer": None, "pid": -1, "host": "", "since": mtime, "alive": False}
        return {"writer": wid, "pid": pid, "host": host, "since": since,
                "alive": self._writer_alive(wid, host, pid, mtime)}

    def claimed_by_other(self, key):
        """Whether a live writer other than this one holds ``key``."""
        h = self.holder(key)
        if not h or not h["alive"]:
            return False
        if h["writer"] is None:  # a claim of an earlier version: pid and host
            return not (h["pid"] == os.getpid() and h["host"] == socket.gethostname())
        return not (h["writer"] == self._wid and self._wpid == os.getpid())

    def release(self, key):
        try:
            (self.claims_dir / key).unlink()
        except FileNotFoundError:
            pass

    # -- reading ------------------------------------------------------------------
    def shards(self):
        return sorted(self.rows_dir.glob("*.jsonl")) if self.rows_dir.is_dir() else []

    def done_keys(self):
        """Keys with an intact row, read incrementally (only what shards gained since the last call)."""
        for shard in self.shards():
            try:
                st = shard.stat()
            except FileNotFoundError:
                continue
            ino, pos = self._index.get(shard, (None, 0))
            if ino != st.st_ino or st.st_size < pos:  # rewritten (bad rows moved aside): read it again
                pos = 0
            if st.st_size == pos:
                self._index[shard] = (st.st_ino, pos)
                continue
            with open(shard, "rb") as fh:
                fh.seek(pos)
                chunk = fh.read()
            end = chunk.rfind(b"\n") + 1  # only whole lines; a tail being written is read next time
            for ln in chunk[:end].split(b"\n")[:-1]:
                try:
                    row, _ = decode_row(ln)
                except _BadRow:
                    continue  # handled (quarantined, reported) by read()
                if self.check is None or self.check(row) is None:
                    self._keys.add(row["key"])
            self._index[shard] = (st.st_ino, pos + end)
        return self._keys

    def read(self, quarantine=True):
        """Every row of every shard, validated.

        A line that is not a whole, intact row -- a torn last line, a checksum
        mismatch, garbage, a row that ``check`` refuses -- in a shard whose
        writer is gone is moved to ``quarantine/`` (with a note) and reported
        in ``notes`` and ``bad`` (with a warning for all but torn tails); in the
        shard of a live writer it is skipped (a torn tail is being written).
        Rows with the same ``key`` as an earlier row are dropped (counted in
        ``duplicates``, warned about).
        """
        rows, notes, counts = [], [], {"bad": 0, "legacy": 0}
        for shard in self.shards():
            rows += self._read_shard(shard, notes, quarantine, counts)
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
        return ReadResult(out, notes, dup, counts["bad"], counts["legacy"])

    def _split(self, raw):
        """``(rows, good line bytes, bad [(line number, bytes, reason)], legacy count)`` of a shard's bytes."""
        *complete, rest = raw.split(b"\n")  # rest: bytes after the last newline (b"" when none)
        rows, good, bad, legacy = [], [], [], 0
        for i, ln in enumerate(complete, start=1):
            try:
                row, checked = decode_row(ln)
                reason = self.check(row) if self.check is not None else None
            except _BadRow as exc:
                reason = str(exc)
            if reason:
                bad.append((i, ln + b"\n", reason))
                continue
            legacy += not checked
            rows.append(row)
            good.append(ln + b"\n")
        if rest:
            bad.append((len(complete) + 1, rest, "torn last line"))
        return rows, good, bad, legacy

    def _shard_live(self, shard):
        if shard == self._shard and self._wpid == os.getpid():
            return True
        parts = shard.stem.rsplit("-", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return False
        if (self.locks_dir / "writers" / f"{shard.stem}.lock").exists():
            return self._writer_alive(shard.stem)
        # no lock file: closed cleanly, or a writer of an earlier version (the pid rule; never this process)
        host, pid = parts[0], int(parts[1])
        if host == socket.gethostname() and pid == os.getpid():
            return False
        return _legacy_alive(host, pid, shard.stat().st_mtime)

    def _read_shard(self, shard, notes, quarantine, counts):
        rows, _, bad, legacy = self._split(shard.read_bytes())
        counts["legacy"] += legacy
        if not bad:
            return rows
        tail = bad[-1] if bad[-1][2] == "torn last line" else None
        inner = [b for b in bad if b is not tail]
        if self._shard_live(shard):  # its writer appends to it right now: skip, never rewrite
            if inner:
                counts["bad"] += len(inner)
                msg = (f"{len(inner)} bad row(s) in {shard} skipped ({inner[0][2]}, line {inner[0][0]}); "
                       "they are quarantined once its writer stops")
                warnings.warn(msg, stacklevel=3)
                notes.append(msg)
            return rows
        counts["bad"] += len(inner)
        if not quarantine:
            if tail is not None:
                notes.append(f"torn last line of {shard} ignored")
            if inner:
                msg = f"{len(inner)} bad row(s) in {shard} ignored ({inner[0][2]}, line {inner[0][0]})"
                warnings.warn(msg, stacklevel=3)
                notes.append(msg)
            return rows
        with self._locked():  # one reader rewrites a shard at a time
            raw = shard.read_bytes()
            rows, good, bad, _ = self._split(raw)
            if not bad:
                return rows
            tail = bad[-1] if bad[-1][2] == "torn last line" else None
            inner = [b for b in bad if b is not tail]
            self.quarantine_dir.mkdir(parents=True, exist_ok=True)
            stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
            tag = f"{stamp}-{secrets.token_hex(2)}"
            if tail is not None:
                q = self.quarantine_dir / f"{shard.name}.{tag}.torn"
                q.write_bytes(tail[1])
                (q.parent / f"{q.name}.note").write_text(
                    f"torn last line of {shard} ({len(tail[1])} bytes) moved here at {stamp}; "
                    "the cell it belonged to is run again.\n")
                notes.append(f"torn last line of {shard} ({len(tail[1])} bytes) quarantined to {q}")
            if inner:
                q = self.quarantine_dir / f"{shard.name}.{tag}.bad"
                q.write_bytes(b"".join(b[1] for b in inner))
                (q.parent / f"{q.name}.note").write_text(
                    f"{len(inner)} bad row(s) of {shard} moved here at {stamp}; their cells are run again:\n"
                    + "".join(f"  line {i}: {why}\n" for i, _, why in inner))
                msg = (f"{len(inner)} bad row(s) in {shard} ({inner[0][2]}, line {inner[0][0]}) quarantined to "
                       f"{q}; their cells run again")
                warnings.warn(msg, stacklevel=3)
                notes.append(msg)
            tmp = shard.with_name(f".{shard.name}.{secrets.token_hex(3)}.tmp")
            tmp.write_bytes(b"".join(good))
            os.replace(tmp, shard)  # the good rows, whole: a kill leaves either the old or the new shard
            self._index.pop(shard, None)
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
    cells = exp.cells(config)
    store.check = protocol.row_check(cells)
    rows = store.read(quarantine=False).rows
    keys = {protocol.cell_key(c) for c in cells}
    return to_frame(canonical_order([r for r in rows if r.get("key") in keys]), man.data["schema"] or None)
