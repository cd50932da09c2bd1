"""The experiment protocol: one engine that runs, resumes, distributes, analyses and draws every sweep.

An experiment (a shipped reproduction or a researcher's own spec) is a sweep
over *cells*; see ``docs/developer/protocol.md`` for the contract. In short::

    @protocol.experiment
    class MyExperiment(protocol.Experiment):
        name = "my-experiment"
        description = "one line for --list"
        config_type = MyConfig           # frozen dataclass, built from the TOML spec
        def cells(self, config): ...     # list of frozen Cell dataclasses
        def run(self, cells, device): ...            # one dict of measured values per cell
        def analyse(self, rows, config): ...         # rows: pandas DataFrame of stored rows
        def figures(self, rows, summary, config, folder): ...
        def report(self, rows, summary, config): ... # markdown

    outcome = protocol.execute(get("my-experiment"), config, "results/mine")

The key of a cell is derived from *all* its fields (:func:`cell_key`), so a
changed setting is a different cell; rows of other settings stay on disk and
are reported, never analysed. :func:`execute` skips cells with stored rows,
claims the others (so two sweeps into one folder share the work), runs them in
groups (:meth:`Experiment.group`, e.g. stacked seeds) here or on an executor
(:func:`make_executor`: Dask ``local[:N]`` / ``tcp://...``) or as Slurm job
arrays (:mod:`scalinglab.validate.cluster`), writes each row as its group
completes, then analyses the rows of the current config only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import importlib
import json
import os
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from scalinglab._util import progress
from scalinglab.errors import InputError
from scalinglab.validate import cluster as _cluster
from scalinglab.validate import specs as _specs
from scalinglab.validate.storage import (FORMAT, Manifest, RowStore, StorageFull, canonical_order, check_out_folder,
                                         claim_wait_s, environment_info, infer_schema, strict_json, to_frame,
                                         write_json)

__all__ = ["Experiment", "experiment", "get", "available", "cell_key", "flatten", "resolve_device", "execute",
           "row_check", "config_diff",
           "Outcome", "make_executor", "rows_folder", "select", "shipped_spec",
           "config_from_spec_file", "stored_manifest", "WALL_PREFIX"]

#: Columns whose name starts with this hold wall times (excluded from reproducibility comparisons).
WALL_PREFIX = "wall"


# --------------------------------------------------------------------------- keys
def _omitted(obj, f):
    """A field added after runs were stored, left out of the key while it has its default value
    (``metadata={"key_omit_default": True}``), so adding a setting does not invalidate stored runs."""
    return f.metadata.get("key_omit_default") and f.default is not dataclasses.MISSING \
        and getattr(obj, f.name) == f.default


def _canon(obj):
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _canon(getattr(obj, f.name)) for f in dataclasses.fields(obj) if not _omitted(obj, f)}
    if isinstance(obj, dict):
        return {str(k): _canon(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canon(v) for v in obj]
    if isinstance(obj, float):
        return repr(obj)  # exact, and nan/inf stay distinguishable
    if hasattr(obj, "item") and getattr(obj, "ndim", 1) == 0:
        return _canon(obj.item())
    return obj


def cell_key(cell):
    """The key of a cell: a hash of the canonical JSON of *every* field, nested dataclasses included.

    The cell type's ``kind`` (a class attribute; default: the class name) is
    part of the key, so cells of different experiment kinds never collide.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Cell:
    ...     P: int
    ...     seed: int
    >>> cell_key(Cell(10, 0)) == cell_key(Cell(10, 0)) != cell_key(Cell(10, 1))
    True
    """
    if not (dataclasses.is_dataclass(cell) and not isinstance(cell, type)):
        raise TypeError(f"a cell must be a dataclass instance, got {type(cell).__name__}")
    kind = getattr(type(cell), "kind", type(cell).__name__)
    text = json.dumps({"kind": kind, "cell": _canon(cell)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def flatten(cell, prefix=""):
    """``{"field": value, "nested.field": value}`` of a dataclass (tuples as lists).

    Examples
    --------
    >>> from scalinglab.validate.rhm import Net, RHMSizes, RHMRun
    >>> from scalinglab.validate.train import TrainConfig
    >>> flat = flatten(RHMRun(RHMSizes(), (2.0, 2.0, 2.0), Net(width=16), TrainConfig(), 1000, 64, 0))
    >>> flat["rhm.m"], flat["net.width"], flat["alpha"], flat["P"]
    (10, 16, [2.0, 2.0, 2.0], 64)
    """
    out = {}
    for f in dataclasses.fields(cell):
        v = getattr(cell, f.name)
        name = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            out.update(flatten(v, name + "."))
        elif isinstance(v, tuple):
            out[name] = [_specs.to_dict(x) for x in v]
        else:
            out[name] = v
    return out


def _omitted_names(obj, prefix=""):
    """Flattened names of the fields :func:`cell_key` leaves out (``key_omit_default`` at their default)."""
    out = set()
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if _omitted(obj, f):
            out |= set(flatten(v, f"{prefix}{f.name}.")) if dataclasses.is_dataclass(v) else {f"{prefix}{f.name}"}
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            out |= _omitted_names(v, f"{prefix}{f.name}.")
    return out


def row_check(cells):
    """``check(row)`` for :attr:`RowStore.check`: None, or why a stored row of one of ``cells`` does not match
    the cell its key names (a field changed under an unchanged key: bit rot or an edit). Rows of other keys
    pass. Fields added to a cell type later (``key_omit_default``) may be absent from older rows.

    Examples
    --------
    >>> exp = get("brill-fig2")
    >>> cells = exp.cells(exp.config_type(c_over_D=(0.5,), n_points=20))
    >>> kind = getattr(type(cells[0]), "kind", type(cells[0]).__name__)
    >>> row = {"key": cell_key(cells[0]), "kind": kind, **flatten(cells[0])}
    >>> check = row_check(cells)
    >>> check(row) is None, check({**row, "c_over_D": 0.6})
    (True, 'does not match its cell: c_over_D = 0.6 where the cell has 0.5')
    """
    from scalinglab.validate.storage import jsonable

    want = {}
    for c in cells:
        flat = json.loads(json.dumps(jsonable(flatten(c)), allow_nan=True))  # as stored: tuples as lists
        flat["kind"] = getattr(type(c), "kind", type(c).__name__)
        want[cell_key(c)] = (flat, _omitted_names(c))

    def check(row):
        w = want.get(row.get("key"))
        if w is None:
            return None
        flat, omit = w
        for name, v in flat.items():
            if name not in row:
                if name in omit:
                    continue
                return f"does not match its cell: no field {name!r}"
            got = row[name]
            if got != v and not (got != got and v != v):  # nan == nan here
                return f"does not match its cell: {name} = {got!r} where the cell has {v!r}"
        return None

    return check


def select(rows, cells):
    """The rows (a DataFrame) of the given cells, matched by key.

    Examples
    --------
    >>> import pandas as pd
    >>> exp = get("brill-fig2")
    >>> cells = exp.cells(exp.config_type(c_over_D=(0.5, 2.0), n_points=20))
    >>> rows = pd.DataFrame([{"key": cell_key(c), "c_over_D": c.c_over_D} for c in cells])
    >>> select(rows, cells[1:])["c_over_D"].tolist()
    [2.0]
    """
    keys = {cell_key(c) for c in cells}
    return rows[rows["key"].isin(keys)] if len(rows) else rows


# --------------------------------------------------------------------------- devices
def resolve_device(device="auto"):
    """The torch device string for ``device``.

    ``"auto"``/None: ``"cuda"`` when torch sees a GPU, else ``"cpu"``;
    ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` are checked: an explicit
    accelerator that is not available, or any other name, is an InputError.

    >>> resolve_device("cpu")
    'cpu'
    """
    if device is None or device == "auto":
        try:
            import torch
        except ImportError:
            return "cpu"
        return "cuda" if torch.cuda.is_available() else "cpu"
    dev = str(device).strip().lower()
    if dev == "cpu":
        return "cpu"
    if dev == "mps":
        try:
            import torch
        except ImportError:
            raise InputError("--device mps needs torch (pip install 'scalinglab[validate]')") from None
        if not torch.backends.mps.is_available():
            raise InputError("--device mps requested but MPS is not available on this machine")
        return "mps"
    if dev == "cuda" or (dev.startswith("cuda:") and dev[5:].isdigit()):
        try:
            import torch
        except ImportError:
            raise InputError(f"--device {device} needs torch (pip install 'scalinglab[validate]')") from None
        if not torch.cuda.is_available():
            raise InputError(f"--device {device} requested but CUDA is not available on this machine "
                             "(use --device cpu or auto)")
        if ":" in dev and int(dev[5:]) >= torch.cuda.device_count():
            raise InputError(f"--device {device}: only {torch.cuda.device_count()} CUDA device(s) here")
        return dev
    raise InputError(f"--device {device!r} is not a device; use auto, cpu, cuda, cuda:N or mps")


# --------------------------------------------------------------------------- executors
def _dask():
    try:
        import distributed
    except ImportError as exc:
        raise InputError('Dask sweeps need dask.distributed: pip install "scalinglab[cluster]"') from exc
    return distributed


@contextlib.contextmanager
def make_executor(address=None, threads_per_worker=1):
    """Yield an executor for a scheduler address; ``None``/``""`` yields None (run in this process).

    ``"local"``/``"local:N"``: a ``dask.distributed.LocalCluster`` of N worker
    processes (default 2); ``"inprocess"``: a Dask cluster of threads in this
    process (for tests); ``"tcp://HOST:PORT"``: a running Dask scheduler.
    ``"slurm:PARTITION"`` is no executor: :func:`execute` submits Slurm job
    arrays itself (:mod:`scalinglab.validate.cluster`).

    Examples
    --------
    >>> with make_executor(None) as ex:       # no scheduler: cells run in this process
    ...     ex is None
    True
    >>> with make_executor("local:x"):
    ...     pass
    Traceback (most recent call last):
    ...
    scalinglab.errors.InputError: --scheduler 'local:x': use local:N with a whole number N
    """
    if address in (None, ""):
        yield None
        return
    if not isinstance(address, str):
        raise InputError(f"--scheduler must be a string, got {address!r}")
    if address == "slurm" or address.startswith("slurm:"):
        raise InputError(f"--scheduler {address}: Slurm sweeps are job arrays that execute() submits "
                         "(scalinglab.validate.cluster), not a futures executor")
    if address in ("inprocess", "local") or address.startswith("local:"):
        if address == "inprocess":
            kw = dict(processes=False, n_workers=1, threads_per_worker=max(1, threads_per_worker))
        else:
            n = 2
            if ":" in address:
                try:
                    n = int(address.split(":", 1)[1])
                except ValueError:
                    raise InputError(f"--scheduler {address!r}: use local:N with a whole number N") from None
                if n < 1:
                    raise InputError(f"--scheduler {address!r}: local:N needs N >= 1")
            kw = dict(n_workers=n, threads_per_worker=threads_per_worker, processes=True)
        distributed = _dask()
        cluster = distributed.LocalCluster(dashboard_address=None, **kw)
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
        return
    if "://" not in address:
        raise InputError(f"--scheduler {address!r}: use local, local:N, tcp://HOST:PORT or slurm:PARTITION")
    client = _dask().Client(address, timeout="20s")
    try:
        yield client
    finally:
        client.close()


def _as_completed(executor, futures):
    try:
        from distributed import Client, as_completed as das_completed

        if isinstance(executor, Client):
            return das_completed(list(futures))
    except ImportError:
        pass
    from concurrent.futures import as_completed

    return as_completed(list(futures))


# --------------------------------------------------------------------------- experiments
class Experiment:
    """Base class of every experiment; subclass, set the attributes, register with :func:`experiment`.

    Attributes
    ----------
    name : str
        Registry name (``scalinglab reproduce NAME``, ``experiment = NAME`` in a spec).
    description : str
        One line for ``--list``.
    config_type : type
        Frozen config dataclass (built from the spec by :mod:`scalinglab.validate.specs`).
    shared_rows : str or None
        Rows live in ``OUT/../<shared_rows>`` (shared with other experiments whose
        cells are of the same kind) instead of ``OUT``.
    uses_device : bool
        Whether cells run on the torch device (False: CPU-only computations).
    title : str
        Title of ``report.md`` (default: the description).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class SquaresConfig:
    ...     n: int = 3
    >>> @dataclass(frozen=True)
    ... class SquareCell:
    ...     x: int
    ...     kind = "doc-squares"             # the key namespace (a class attribute, not a field)
    >>> class Squares(Experiment):
    ...     name, description, config_type = "doc-squares", "squares of 0..n-1", SquaresConfig
    ...     def cells(self, config):
    ...         return [SquareCell(x) for x in range(config.n)]
    ...     def run(self, cells, device):
    ...         return [{"y": c.x ** 2} for c in cells]
    ...     def analyse(self, rows, config):
    ...         return {"total": int(rows["y"].sum())}
    >>> oc = execute(Squares(), SquaresConfig(), "out", echo=None)       # writes rows, manifest, summary, report
    >>> oc.n_cells, oc.n_ran, oc.summary
    (3, 3, {'total': 5})
    >>> oc = execute(Squares(), SquaresConfig(n=4), "out", echo=None)    # resumes: only the new cell runs
    >>> oc.n_cells, oc.n_ran, oc.summary
    (4, 1, {'total': 14})
    """

    name = ""
    description = ""
    config_type = None
    shared_rows = None
    uses_device = False
    title = ""

    # -- specs ------------------------------------------------------------------
    @property
    def default_spec(self):
        """File name of the shipped full spec (package data ``scalinglab/specs``)."""
        return f"{self.name}.toml"

    @property
    def quick_spec(self):
        """File name of the shipped quick spec (``--quick``)."""
        return f"{self.name}.quick.toml"

    def config_from_dict(self, mapping):
        """The config from a spec mapping (``experiment``, the ``[run]`` and ``[cluster]`` tables removed)."""
        body = {k: v for k, v in mapping.items() if k not in ("experiment", "run", "cluster")}
        return _specs.build(self.config_type, _specs.from_strict(body))  # a stored (strict JSON) config reads back

    def with_seeds(self, config, n):
        """``config`` with ``n`` seeds (``--seeds``); None when it has no seeds."""
        if "seeds" not in {f.name for f in dataclasses.fields(config)}:
            return None
        return dataclasses.replace(config, seeds=int(n))

    # -- the sweep ---------------------------------------------------------------
    def cells(self, config):  # pragma: no cover - abstract
        """Every cell of the sweep (frozen dataclasses), in run order."""
        raise NotImplementedError

    def group(self, cell):
        """Cells with equal group run together in one :meth:`run` call (default: alone)."""
        return cell

    def run(self, cells, device):  # pragma: no cover - abstract
        """Measured values of ``cells`` (one group): a list of dicts, one per cell, in order."""
        raise NotImplementedError

    def cost(self, cell):
        """Rough seconds one cell takes on a CPU (for ``--dry-run``)."""
        return 1.0

    # -- analysis (from stored rows only) ----------------------------------------
    def analyse(self, rows, config):
        """Summary (a JSON-able dict) from the stored rows of the current config."""
        return {}

    def figures(self, rows, summary, config, folder):
        """Draw figures into ``folder``; return their paths."""
        return []

    def report(self, rows, summary, config):
        """Markdown: tables of the measurement beside the theory."""
        return ""

    def notes(self, config):
        """Lines about the settings that the report's notes and the command's output carry (default: none)."""
        return []

    def run_checks(self, rows, config):
        """``(fields, notes)`` about the stored runs themselves (e.g. how many ended underfit): ``fields`` join the
        summary, ``notes`` the report's notes and the command's output (default: none)."""
        return {}, []


REGISTRY = {}

# Modules that register experiments; imported lazily (some need torch).
# Lightest first: get(name) stops at the module that registers the name (torch is imported by the RHM one).
_MODULES = [
    "scalinglab.validate.spectral._experiments",
    "scalinglab.validate.percolation._experiments",
    "scalinglab.validate.spectral._project_data",
    "scalinglab.validate.data._experiments",
    "scalinglab.validate.spectral._nets",
    "scalinglab.validate.rhm._experiments",
    "scalinglab.validate.rhm._width",
    "scalinglab.validate.rhm._seed_experiments",
    "scalinglab.validate.rhm._asymptotics_exp",
    "scalinglab.validate.rhm._i20_slices",
]


def experiment(cls):
    """Class decorator: register an instance of ``cls`` under ``cls.name``.

    Examples
    --------
    >>> @experiment                  # registers an instance under cls.name (scalinglab reproduce / run find it)
    ... class Nameless(Experiment):
    ...     pass
    Traceback (most recent call last):
    ...
    TypeError: Nameless needs a name and a config_type
    """
    if not cls.name or cls.config_type is None:
        raise TypeError(f"{cls.__name__} needs a name and a config_type")
    REGISTRY[cls.name] = cls()
    return cls


def _load(until=None):
    errors = {}
    for mod in _MODULES:
        try:
            importlib.import_module(mod)
        except ImportError as exc:  # e.g. torch missing: say so when asked for
            errors[mod] = exc
        if until is not None and until in REGISTRY:
            break
    return errors


def available():
    """``{name: description}`` of every registered experiment.

    Examples
    --------
    >>> exps = available()
    >>> "rhm-fig6" in exps, exps["brill-fig2"][:16]
    (True, 'Brill Fig. 2: cl')
    """
    _load()
    return {k: v.description for k, v in sorted(REGISTRY.items())}


def get(name):
    """The registered experiment ``name``; InputError (with the choices) when unknown.

    Examples
    --------
    >>> get("brill-fig2").config_type.__name__
    'BrillFig2Config'
    >>> get("no-such-thing")                # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scalinglab.errors.InputError: unknown experiment 'no-such-thing'; available: brill-fig2, ...
    """
    if name in REGISTRY:
        return REGISTRY[name]
    errors = _load(until=name)
    if name not in REGISTRY:
        hint = ""
        if errors:
            hint = " (some experiment modules failed to import: " + "; ".join(
                f"{m}: {e}" for m, e in errors.items()) + " -- is the 'validate' extra (torch) installed?)"
        raise InputError(f"unknown experiment {name!r}; available: {', '.join(sorted(REGISTRY))}{hint}")
    return REGISTRY[name]


def shipped_spec(name, quick=False):
    """``(mapping, text)`` of a shipped spec file of experiment ``name``.

    Examples
    --------
    >>> mapping, text = shipped_spec("brill-fig2", quick=True)
    >>> mapping["experiment"], sorted(mapping)[:3]
    ('brill-fig2', ['alpha', 'c_over_D', 'experiment'])
    """
    exp = get(name)
    fname = exp.quick_spec if quick else exp.default_spec
    res = resources.files("scalinglab").joinpath("specs", fname)
    try:
        text = res.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"experiment {name!r} ships no spec {fname}") from None
    return _specs.parse_toml(text, fname), text


def config_from_spec_file(path):
    """``(experiment, config, run_options, text)`` of a user's TOML spec file.

    Examples
    --------
    >>> _ = open("mine.toml", "w").write('experiment = "brill-fig2"\\nc_over_D = [0.5]\\nn_points = 20\\n')
    >>> exp, config, run, text = config_from_spec_file("mine.toml")
    >>> exp.name, config.c_over_D, config.n_points, run
    ('brill-fig2', (0.5,), 20, {})
    """
    mapping, text = _specs.read_spec(path)
    name = mapping.get("experiment")
    if not isinstance(name, str):
        raise InputError(f"{path}: the spec needs a string key 'experiment' naming the kind "
                         f"({', '.join(available())})")
    exp = get(name)
    run = mapping.get("run", {})
    if not isinstance(run, dict):
        raise InputError("spec key 'run': expected a table")
    bad = [k for k in run if k not in ("device", "scheduler", "out")]
    if bad:
        raise InputError(f"unknown spec key 'run.{bad[0]}'; known keys of 'run': device, out, scheduler")
    for k, v in run.items():
        if not isinstance(v, str):
            raise InputError(f"spec key 'run.{k}': expected a string, got {v!r}")
    return exp, exp.config_from_dict(mapping), run, text


def rows_folder(out, manifest_data=None):
    """The folder holding the rows of results folder ``out`` (its manifest's ``rows_store``).

    Examples
    --------
    >>> rows_folder("results/rhm-fig6", {"rows_store": "../rhm-runs"}).name    # RHM experiments share one store
    'rhm-runs'
    >>> rows_folder("results/brill-fig2", {"rows_store": "."}).as_posix()
    'results/brill-fig2'
    """
    rel = (manifest_data or {}).get("rows_store", ".")
    return (Path(out) / rel).resolve() if rel != "." else Path(out)


def stored_manifest(exp, folder):
    """The manifest of a results folder of ``exp``; InputError when there is none or it is another experiment's.

    Examples
    --------
    >>> exp = get("brill-fig2")
    >>> _ = execute(exp, exp.config_type(c_over_D=(0.5,), n_points=20), "fig2", echo=None)
    >>> man = stored_manifest(exp, "fig2")
    >>> man.experiment, man.data["n_cells"]
    ('brill-fig2', 1)
    >>> stored_manifest(exp, "empty")
    Traceback (most recent call last):
    ...
    scalinglab.errors.InputError: nothing to replot in empty: no manifest.json (run the experiment first)
    """
    man = Manifest.load(folder) if Path(folder).is_dir() else Manifest(Path(folder) / "manifest.json", {})
    if not man.data:
        raise InputError(f"nothing to replot in {folder}: no manifest.json (run the experiment first)")
    if man.experiment != exp.name:
        raise InputError(f"{folder} holds results of {man.experiment!r}, not {exp.name!r}")
    return man


def _field_meta(config, dotted):
    """The metadata of the field at a dotted name of a config (empty when the path leaves the dataclasses)."""
    obj, meta = config, {}
    for part in dotted.split("."):
        if not (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
            return {}
        f = next((f for f in dataclasses.fields(obj) if f.name == part), None)
        if f is None:
            return {}
        obj, meta = getattr(obj, part), f.metadata
    return meta


def _rows_dir_for(exp, out):
    return (Path(out).resolve().parent / exp.shared_rows) if exp.shared_rows else Path(out)


# --------------------------------------------------------------------------- the engine
@dataclass
class Outcome:
    """What :func:`execute` did: the summary and the bookkeeping to report.

    Examples
    --------
    >>> oc = execute(get("brill-fig2"), get("brill-fig2").config_type(c_over_D=(0.5,), n_points=20), "fig2", echo=None)
    >>> oc.name, oc.n_cells, oc.n_stored, oc.missing
    ('brill-fig2', 1, 1, [])
    >>> import json
    >>> _ = json.dumps(oc.to_dict(), allow_nan=False)             # strict JSON (--json)
    """

    name: str
    out: str
    summary: dict = field(default_factory=dict)
    n_cells: int = 0
    n_stored: int = 0
    n_ran: int = 0
    missing: list = field(default_factory=list)
    ignored: int = 0
    notes: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    plan: list = field(default_factory=list)
    cost_s: float = 0.0
    device: str = "cpu"
    slurm: dict = field(default_factory=dict)
    n_failed: int = 0
    failed: list = field(default_factory=list)

    def to_dict(self):
        return strict_json(dataclasses.asdict(self))


def _varying(cells):
    flat = [flatten(c) for c in cells]
    if not flat:
        return []
    keys = [k for k in flat[0] if len({json.dumps(f.get(k), sort_keys=True, default=str) for f in flat}) > 1]
    return keys or list(flat[0])[:3]


def describe_cells(cells, limit=None, among=None):
    """Short one-line descriptions of cells: only the fields that vary between them (or ``among`` these)."""
    keys = _varying(among if among is not None else cells)
    out = []
    for c in cells[:limit]:
        f = flatten(c)
        out.append(", ".join(f"{k}={f[k]}" for k in keys))
    return out


def _run_block(exp, cells, device):
    """Run one group of cells (on a worker or here); returns (rows, wall seconds)."""
    t0 = time.perf_counter()
    res = exp.run(list(cells), device)
    wall = time.perf_counter() - t0
    if len(res) != len(cells):
        raise RuntimeError(f"{exp.name}.run returned {len(res)} rows for {len(cells)} cells")
    return res, wall


class _Done:
    """Keys with intact rows in a store, refreshed incrementally (see :meth:`RowStore.done_keys`)."""

    def __init__(self, store):
        self.store = store
        self.keys = set()

    def refresh(self):
        self.keys = set(self.store.done_keys())
        return self.keys


def _write_rows(store, exp, block, res, wall, device, keys):
    for cell, measured in zip(block, res):
        k = keys[cell]
        clash = set(measured) & ({"key", "kind", "device"} | set(flatten(cell)))
        if clash:
            raise RuntimeError(f"{exp.name}.run returned values named like cell fields: {sorted(clash)}")
        measured = _mark_failure(measured)
        row = {"key": k, "kind": getattr(type(cell), "kind", type(cell).__name__), **flatten(cell), **measured,
               "device": device, "wall_s": round(wall / len(block), 4)}
        store.complete(k, row)  # the row written and the claim released as one step


def _nonfinite(v):
    if isinstance(v, float):
        return v != v or v in (float("inf"), float("-inf"))
    if isinstance(v, (list, tuple)):
        return any(_nonfinite(x) for x in v)
    return hasattr(v, "dtype") and getattr(v, "ndim", 1) == 0 and _nonfinite(float(v))


def _mark_failure(measured):
    """A run whose loss is non-finite is a failed run: ``status = "failed"`` and a ``failure`` line, unless the
    experiment set a status itself. Failed rows are stored (a rerun does not repeat them), never analysed."""
    if "status" in measured:
        return measured
    bad = sorted(k for k, v in measured.items() if "loss" in k.lower() and _nonfinite(v))
    if not bad:
        return measured
    return {**measured, "status": "failed", "failure": f"non-finite {bad[0]} ({measured[bad[0]]})"}


@contextlib.contextmanager
def _releasing(store, keys, cells):
    """On an error or interrupt, give back the claims this process still holds (others may take the cells)."""
    try:
        yield
    except BaseException:
        for c in cells:
            if not store.claimed_by_other(keys[c]) and (store.claims_dir / keys[c]).exists():
                store.release(keys[c])
        raise


def _held_by(store, keys):
    """One line naming the writers that hold ``keys`` (host, pid, since when)."""
    who = {}
    for k in keys:
        h = store.holder(k)
        if h and h["alive"]:
            since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(h["since"]))
            who.setdefault(f"pid {h['pid']} on {h['host']} (since {since})", []).append(k)
    return "; ".join(f"{len(v)} by {w}" for w, v in who.items()) or "writers that just finished"


def _run_missing(exp, store, cells, keys, device, executor, echo, notes=None):
    """Run every cell without a row; returns how many this process ran. ``executor``: None (here) or an
    executor from :func:`make_executor`."""
    done = _Done(store)
    done.refresh()
    todo = [c for c in cells if keys[c] not in done.keys]
    if not todo:
        return 0
    blocks = {}
    for c in todo:
        blocks.setdefault(exp.group(c), []).append(c)
    ran = 0
    bar = progress(total=len(todo), desc=exp.name)

    def claim(block):  # checked against the stored rows under the store's lock: never a cell run twice
        got = set(store.claim_many([keys[c] for c in block]))
        return [c for c in block if keys[c] in got]

    try:
        with _releasing(store, keys, todo):
            pending = []
            ex = executor
            if ex is None:
                for block in blocks.values():
                    mine = claim(block)
                    pending += [c for c in block if c not in mine]
                    if not mine:
                        continue
                    res, wall = _run_block(exp, mine, device)
                    _write_rows(store, exp, mine, res, wall, device, keys)
                    ran += len(mine)
                    bar.update(len(mine))
            else:
                futures = {}
                for block in blocks.values():
                    mine = claim(block)
                    pending += [c for c in block if c not in mine]
                    if mine:
                        futures[ex.submit(_run_block, exp, mine, device)] = mine
                for fut in _as_completed(ex, futures):
                    mine = futures[fut]
                    res, wall = fut.result()
                    _write_rows(store, exp, mine, res, wall, device, keys)
                    ran += len(mine)
                    bar.update(len(mine))
            # cells claimed by other live writers: wait for their rows (bounded), take over those whose writer died
            t_wait, limit = None, claim_wait_s()
            while pending:
                done.refresh()
                pending = [c for c in pending if keys[c] not in done.keys]
                free = [c for c in pending if not store.claimed_by_other(keys[c])]
                if free:
                    mine = claim(free)
                    if mine:
                        res, wall = _run_block(exp, mine, device)
                        _write_rows(store, exp, mine, res, wall, device, keys)
                        ran += len(mine)
                        bar.update(len(mine))
                    continue
                if not pending:
                    break
                if t_wait is None:
                    t_wait = time.monotonic()
                    if echo:
                        echo(f"{exp.name}: waiting for {len(pending)} cell(s) run by another writer: "
                             f"{_held_by(store, [keys[c] for c in pending])}")
                elif time.monotonic() - t_wait > limit:
                    msg = (f"stopped waiting after {limit:.0f} s (SCALINGLAB_CLAIM_WAIT) for {len(pending)} cell(s) "
                           f"held by live writers: {_held_by(store, [keys[c] for c in pending])}; the same command "
                           "run again collects their rows")
                    if echo:
                        echo(f"{exp.name}: {msg}")
                    if notes is not None:
                        notes.append(msg)
                    break
                time.sleep(0.2)
    finally:
        bar.close()
    return ran


@contextlib.contextmanager
def _flock(path):
    """An exclusive ``fcntl.flock`` on ``path``: the stand-in for ``filelock`` where it is not installed."""
    import fcntl

    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _manifest_lock(path):
    try:
        from filelock import FileLock
    except ImportError:  # e.g. a GPU image without filelock (POSIX only)
        return _flock(path)
    return FileLock(path)


def _update_manifest(out, exp, config, spec_text, schema, rows_dir, device, n_cells, ran, record=True):
    """Write or update ``out/manifest.json``; ``record=False`` adds no history entry (the pre-run manifest)."""
    out = Path(out)
    with _manifest_lock(str(out / ".manifest.lock")):
        man = Manifest.load(out)
        env = environment_info(device)
        old = man.data
        man.data = {
            "format": FORMAT,
            "experiment": exp.name,
            "description": exp.description,
            "created": old.get("created", env["time_utc"]),
            "updated": env["time_utc"],
            "config": _specs.to_dict(config),
            "spec": spec_text if spec_text is not None else old.get("spec"),
            "seeds": getattr(config, "seeds", None),
            "n_cells": n_cells,
            "rows_store": os.path.relpath(rows_dir, out) if Path(rows_dir) != out else ".",
            "schema": {**old.get("schema", {}), **schema},
            "device": device,
            "environment": env,
            **({"label": old["label"]} if old.get("label") else {}),  # a folder's label (e.g. reference results)
            "history": old.get("history", []) + ([{"argv": env["argv"], "time_utc": env["time_utc"],
                                                    "device": device, "cells": n_cells, "ran": ran}] if record else []),
        }
        man.save()
    return man


def config_diff(old, new):
    """``[(dotted name, old value, new value)]`` of two configs of one experiment (dicts or dataclasses).

    Examples
    --------
    >>> exp = get("brill-fig2")
    >>> config_diff(exp.config_type(c_over_D=(0.5,)), exp.config_type(c_over_D=(0.5, 2.0), n_points=20))
    [('c_over_D', [0.5], [0.5, 2.0]), ('n_points', 400, 20)]
    """
    def flat(d, prefix=""):
        out = {}
        for k, v in d.items():
            if isinstance(v, dict):
                out.update(flat(v, f"{prefix}{k}."))
            else:
                out[f"{prefix}{k}"] = v
        return out

    a = flat(_specs.to_dict(old) if not isinstance(old, dict) else old)
    b = flat(_specs.to_dict(new) if not isinstance(new, dict) else new)
    return [(k, a.get(k), b.get(k)) for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]


def _diff_text(diff, limit=3):
    return ", ".join(f"{k} {o!r} -> {n!r}" for k, o, n in diff[:limit]) + (" ..." if len(diff) > limit else "")


def _keep_earlier_setting(exp, config, out, earlier, rows_dir):
    """When ``out`` holds the report of another setting of ``exp``, move its report, summary, CSV and figures
    (with its manifest) to ``out/settings/<id>/`` instead of overwriting them; the note saying so, or None."""
    if not earlier.get("config") or earlier.get("experiment") != exp.name:
        return None
    try:
        old = exp.config_from_dict(earlier["config"])
    except InputError:
        old = None
    if old == config:
        return None
    items = [n for n in ("report.md", "summary.json", "results.csv", "figures") if (Path(out) / n).exists()]
    if not items:
        return None
    import shutil

    sid = hashlib.sha256(json.dumps(earlier["config"], sort_keys=True).encode()).hexdigest()[:10]
    dest = Path(out) / "settings" / sid
    if dest.exists():  # an older copy of the same setting
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for n in items:
        os.replace(Path(out) / n, dest / n)
    write_json(dest, "manifest.json", {**earlier, "rows_store": os.path.relpath(Path(rows_dir).resolve(),
                                                                                 dest.resolve())})
    diff = config_diff(earlier["config"], config) if old is None else config_diff(old, config)
    return (f"the report, summary, results.csv and figures of the earlier setting ({_diff_text(diff)}) are kept "
            f"in {dest} (redraw them with --replot --out {dest})")


def _start_paths(out, rows_dir):
    """What starting a sweep may create, parents first."""
    out, rows_dir = Path(out), Path(rows_dir)
    paths = [out, out / "manifest.json", out / ".manifest.lock", rows_dir]
    paths += [rows_dir / n for n in ("rows", ".claims", ".locks", ".locks/writers", ".locks/store.lock",
                                     "quarantine")]
    return list(dict.fromkeys(paths))


def _undo_start(before):
    """Undo a refused start: the manifest as it was, and what the start created (``before``: path -> existed)
    removed, deepest first (folders only when empty)."""
    old = before.pop("manifest", None)
    if old is not None:
        man = next(p for p in before if p.name == "manifest.json")
        tmp = man.with_name(f".{man.name}.{os.getpid()}.undo")
        tmp.write_bytes(old)
        os.replace(tmp, man)
    for p in sorted((p for p, existed in before.items() if not existed), key=lambda p: -len(p.parts)):
        try:
            if p.is_dir():
                p.rmdir()
            else:
                p.unlink(missing_ok=True)
        except OSError:  # not empty: another writer started meanwhile, or something else is there
            pass


def _disk_full_as_one_line(fn):
    """A full disk (ENOSPC/EDQUOT) anywhere in a sweep: one line (:class:`StorageFull`), not a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kw):
        try:
            return fn(*args, **kw)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) or isinstance(exc, InputError):
                raise
            where = f" writing {exc.filename}" if exc.filename else ""
            raise StorageFull(f"no space left on the device{where} ({exc.strerror or exc}); the rows stored are "
                              "kept: free space and run the same command again to resume") from None

    return wrapper


@_disk_full_as_one_line
def execute(exp, config, out, *, device="auto", scheduler=None, replot=False, source=None, dry_run=False,
            spec_text=None, echo=None):
    """Run (or resume) an experiment into ``out``, then analyse, draw and report from the stored rows.

    Parameters
    ----------
    exp : Experiment
    config : config dataclass or None
        None with ``replot``: the config recorded in the source folder's manifest.
    out : path
        Results folder.
    device : str
        ``auto``, ``cpu``, ``cuda``, ``cuda:N`` (checked by :func:`resolve_device`).
    scheduler : str, Slurm or None
        None (here), ``local``, ``local:N``, ``tcp://...``, ``slurm:PARTITION`` or a
        :class:`~scalinglab.validate.cluster.Slurm` (job arrays with its resources; Slurm
        unreachable: a one-line InputError before anything is written).
    replot : bool
        Analyse and draw from stored rows only; nothing is run.
    source : path, optional
        With ``replot``: read the rows (and config) of this folder, write to ``out``.
    dry_run : bool
        Only plan: cells, what is stored, an estimate of the cost; nothing written.
    spec_text : str, optional
        The spec's text, recorded in the manifest.
    echo : callable, optional
        Where progress messages go.

    Returns
    -------
    Outcome

    Examples
    --------
    >>> exp = get("brill-fig2")                                  # closed forms: milliseconds a cell
    >>> config = exp.config_type(c_over_D=(0.5, 2.0), n_points=20)
    >>> oc = execute(exp, config, "brill-fig2", echo=None)
    >>> oc.n_cells, oc.n_ran, [p.split("/")[-1] for p in oc.figures]
    (2, 2, ['brill_fig2.png'])
    >>> execute(exp, config, "brill-fig2", dry_run=True, echo=None).plan[0]   # stored: a rerun skips it
    {'cell': 'c_over_D=0.5', 'stored': True, 'cost_s': 0.0}
    """
    out = Path(out)
    if config is not None:  # a config made in Python skipped the spec checks: refuse what a manifest cannot hold
        bad = [k for k in _specs.nonfinite_keys(_specs.to_dict(config))
               if not _field_meta(config, k).get("nonfinite")]
        if bad:
            raise InputError(f"{exp.name}: setting '{bad[0]}' must be a finite number (nan and inf are refused "
                             "before anything is written)")
    slurm = _cluster.slurm_scheduler(scheduler)
    if slurm is not None:  # the device is resolved on the nodes; Slurm must answer before anything is written
        dev = slurm.device(device, exp.uses_device)
        if not (dry_run or replot):
            slurm.check()
    elif exp.uses_device:
        dev = resolve_device(device)
    else:  # CPU-only cells: the flag is still checked (without importing torch for "auto")
        dev = "cpu" if device in (None, "auto") else (resolve_device(device) and "cpu")
    if replot:
        src = Path(source) if source else out
        man = stored_manifest(exp, src)
        if config is None:
            config = exp.config_from_dict(man.data["config"])
        rows_dir = rows_folder(src, man.data)
        spec_text = spec_text if spec_text is not None else man.data.get("spec")
    else:
        if config is None:
            raise ValueError("execute needs a config unless replot=True")
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} is a file, not a folder; choose another --out")
        man = Manifest.load(out) if out.is_dir() else Manifest(out / "manifest.json", {})
        earlier = dict(man.data)  # the setting the folder's report was drawn for (kept if this one differs)
        if man.data and man.experiment != exp.name:
            raise InputError(f"--out {out} holds results of experiment {man.experiment!r}; use another --out "
                             f"for {exp.name!r}")
        rows_dir = _rows_dir_for(exp, out)
    store = RowStore(rows_dir)
    cells = exp.cells(config)
    keys = {c: cell_key(c) for c in cells}
    if len(set(keys.values())) != len(cells):
        raise InputError(f"{exp.name}: the spec makes the same cell twice (a repeated value in a grid?)")
    store.check = row_check(cells)  # a row whose fields differ from its key's cell is refused like a corrupt one
    oc = Outcome(exp.name, str(out), n_cells=len(cells), device=dev)

    if dry_run:
        stored = {r["key"] for r in store.read(quarantine=False).rows} if store.rows_dir.is_dir() else set()
        desc = describe_cells(cells)
        for c, d in zip(cells, desc):
            is_done = keys[c] in stored
            cost = 0.0 if is_done else exp.cost(c)
            oc.plan.append({"cell": d, "stored": is_done, "cost_s": round(cost, 3)})
            oc.cost_s += cost
        oc.n_stored = sum(p["stored"] for p in oc.plan)
        if slurm is not None:
            oc.slurm = slurm.dry_run(exp, [c for c in cells if keys[c] not in stored])
        elif dev != "cpu":
            oc.notes.append("cost estimates are for a CPU; a GPU is typically several times faster")
        return oc

    if not replot:
        before = {p: p.exists() for p in _start_paths(out, rows_dir)}
        before["manifest"] = (out / "manifest.json").read_bytes() if before[out / "manifest.json"] else None
        # the scheduler answers before anything is written: an unreachable one leaves no folder behind
        with (contextlib.nullcontext() if slurm is not None else make_executor(scheduler)) as ex:
            check_out_folder(out)
            if rows_dir != out:
                check_out_folder(rows_dir, "runs store")
            try:
                first = store.read()  # validates every shard before running; quarantines torn tails and bad rows
                oc.notes += first.notes
                # the manifest holds this sweep's settings before it runs: a killed sweep can be replotted
                _update_manifest(out, exp, config, spec_text, {}, rows_dir, dev, len(cells), 0, record=False)
                if slurm is not None:
                    oc.n_ran, slurm_notes = slurm.run(exp, config, store, cells, keys, dev, out, echo)
                    oc.notes += slurm_notes
                else:
                    oc.n_ran = _run_missing(exp, store, cells, keys, dev, ex, echo, oc.notes)
            except Exception:
                # a refused start (a bad value found by the first cell, ...) writes nothing: what this call
                # created goes again, unless it stored a row (then the folder holds a resumable sweep)
                if slurm is None and store._shard is None:
                    store.close()
                    _undo_start(before)
                raise
            finally:
                store.close()
    else:
        check_out_folder(out)

    read = store.read(quarantine=not replot)  # a replot only reads
    oc.notes += [n for n in read.notes if n not in oc.notes]
    want = set(keys.values())
    mine = [r for r in read.rows if r.get("key") in want]
    oc.ignored = sum(1 for r in read.rows if r.get("key") not in want)
    oc.n_stored = len(mine)
    failed = [r for r in mine if r.get("status") == "failed"]
    have = {r["key"] for r in mine}
    if failed:  # stored as failed runs: counted and named, never analysed as measurements
        oc.n_failed = len(failed)
        by_key = {keys[c]: c for c in cells}
        oc.failed = [f"{d}: {r.get('failure', 'failed')}" for d, r in
                     zip(describe_cells([by_key[r["key"]] for r in failed], among=cells), failed)][:20]
        mine = [r for r in mine if r.get("status") != "failed"]
    missing = [c for c in cells if keys[c] not in have]
    oc.missing = describe_cells(missing, limit=20, among=cells) if missing else []
    schema = infer_schema(mine)
    if not replot:
        kept = _keep_earlier_setting(exp, config, out, earlier, rows_dir)
        if kept:
            oc.notes.append(kept)
        _update_manifest(out, exp, config, spec_text, schema, rows_dir, dev, len(cells), oc.n_ran)
    elif Path(source or out) != out:  # redrawn into another folder: give it a manifest pointing at the rows
        src_man = Manifest.load(source)
        data = {**src_man.data, "rows_store": os.path.relpath(rows_dir, out.resolve())}
        write_json(out, "manifest.json", data)
    if oc.ignored:
        oc.notes.append(f"{oc.ignored} stored row(s) of other settings ignored (kept on disk, not analysed)")
    if missing:
        oc.notes.append(f"{len(missing)} of {len(cells)} cells have no results yet (e.g. {oc.missing[0]}); "
                        "the analysis uses what exists")
    if oc.n_failed:
        oc.notes.append(f"{oc.n_failed} of {len(cells)} cells FAILED and are left out of the analysis (e.g. "
                        f"{oc.failed[0]}); they stay stored as failed runs: change the setting (e.g. train.lr) "
                        "to run them again")
    oc.notes += [n for n in exp.notes(config) if n not in oc.notes]
    rows = to_frame(canonical_order(mine), schema)  # one order whatever the scheduler stored: bit-identical summaries
    _export_csv(rows, out / "results.csv")
    if len(rows):
        oc.summary = exp.analyse(rows, config) or {}
        fields, checks = exp.run_checks(rows, config)
        for k, v in fields.items():  # summaries may be Result objects (item access, no .update)
            oc.summary[k] = v
        oc.notes += [n for n in checks if n not in oc.notes]
        oc.figures = [str(p) for p in (exp.figures(rows, oc.summary, config, out / "figures") or [])]
        body = exp.report(rows, oc.summary, config) or ""
    else:
        oc.summary, body = {}, "No results yet.\n"
    write_json(out, "summary.json", oc.summary)
    _write_report(out, exp, config, oc, body)
    return oc


def _export_csv(rows, path):
    df = rows.copy()
    for c, t in df.attrs.get("schema", {}).items():
        if t == "json":
            df[c] = [None if v is None else json.dumps(list(v) if isinstance(v, tuple) else v) for v in df[c]]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


def _write_report(out, exp, config, oc, body):
    label = Manifest.load(out).data.get("label") if (Path(out) / "manifest.json").exists() else None
    lines = [f"# {exp.title or exp.description}", ""] + ([f"> {label}", ""] if label else []) + [
             f"Experiment `{exp.name}`: {oc.n_stored} of {oc.n_cells} cells stored "
             f"({oc.n_ran} run now{f', {oc.n_failed} FAILED' if oc.n_failed else ''}); rows in `results.csv`, "
             "settings in `manifest.json`.", ""]
    if oc.notes:
        lines += ["Notes:", ""] + [f"* {n}" for n in oc.notes] + [""]
    if oc.failed:
        lines += [f"Failed runs ({oc.n_failed}; stored with `status = \"failed\"`, not analysed):", ""]
        lines += [f"* {f}" for f in oc.failed] + [""]
    lines.append(body.rstrip() + "\n")
    for p in oc.figures:
        rel = os.path.relpath(p, out)
        lines.append(f"![{Path(p).stem}]({rel})\n")
    (Path(out) / "report.md").write_text("\n".join(lines))
