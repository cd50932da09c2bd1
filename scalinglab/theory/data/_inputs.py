"""Readers of a researcher's files: token streams, count tables, integer arrays, feature matrices.

Every reader checks the file *before* loading it: its size against a limit
(the header or shape of ``.npy``/``.npz``/``.parquet`` files, the byte size of
text files), then its contents: a wrong shape or dtype, a NaN, an empty file or
a non-numeric column is one :class:`~scalinglab.errors.InputError` that names
the file and the column (and, for text, the line).
"""

from __future__ import annotations

import io
import math
import zipfile
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from scalinglab import _validation as _v
from scalinglab._results import Result
from scalinglab.errors import InputError

__all__ = ["TokenCounts", "read_tokens", "token_counts", "FeatureData", "read_features", "read_integers",
           "MAX_TEXT_BYTES", "MAX_ARRAY_BYTES"]

#: Largest text file read (tokens, counts, CSV): Python strings of a token stream take ~10x the file.
MAX_TEXT_BYTES = 256 * 2**20
#: Largest array loaded (float64 bytes of a feature matrix, int64 bytes of an integer array).
MAX_ARRAY_BYTES = 2**30

_FORMATS = ("auto", "tokens", "counts", "ids")


# ----------------------------------------------------------------------------- token counts
@dataclass(frozen=True, repr=False)
class TokenCounts(Result):
    """Counts of the distinct tokens (types) of a sample, in decreasing order.

    Attributes
    ----------
    counts : numpy.ndarray
        Count of each type, decreasing (int64; zero counts are dropped).
    labels : numpy.ndarray or None
        The type of each count (strings or integer ids), when known.
    source : str
        Where the counts come from (a file and its format, or "array").
    n_tokens : int
        ``counts.sum()``.

    Examples
    --------
    >>> from scalinglab.theory.data import token_counts
    >>> tc = token_counts(["a", "b", "a", "c", "a", "b"])
    >>> tc.counts.tolist(), tc.labels.tolist(), tc.n_tokens
    ([3, 2, 1], ['a', 'b', 'c'], 6)
    """

    counts: np.ndarray
    labels: np.ndarray | None
    source: str
    n_tokens: int

    _repr_fields = ("n_tokens", "counts", "source")

    @property
    def n_types(self):
        return int(self.counts.size)

    def _text(self):
        return (f"{self.n_tokens} tokens of {self.n_types} types ({self.source}); "
                f"{int(np.sum(self.counts == 1))} types seen once")


def _sorted_counts(counts, labels, source):
    counts = np.asarray(counts)
    keep = counts > 0
    counts = counts[keep].astype(np.int64)
    labels = None if labels is None else np.asarray(labels)[keep]
    order = np.argsort(-counts, kind="stable")
    counts = counts[order]
    labels = None if labels is None else labels[order]
    if counts.size == 0:
        raise InputError(f"{source}: no tokens (every count is 0)")
    return TokenCounts(counts=counts, labels=labels, source=source, n_tokens=int(counts.sum()))


def token_counts(data, counts=None, source="array"):
    """:class:`TokenCounts` of a token sequence, a ``{token: count}`` mapping or integer ids.

    Parameters
    ----------
    data : sequence, mapping or array_like
        Tokens (strings or integers: one entry per occurrence), a mapping
        ``{type: count}``, or, with ``counts``, the types.
    counts : array_like of int, optional
        Counts of the types in ``data`` (a two-column table).
    source : str
        Name recorded in the result.

    Returns
    -------
    TokenCounts

    Examples
    --------
    >>> token_counts({"the": 5, "of": 3}).counts.tolist()
    [5, 3]
    >>> token_counts(["x", "y"], counts=[1, 4]).labels.tolist()
    ['y', 'x']
    >>> token_counts(np.array([3, 3, 7])).labels.tolist()        # integer ids
    [3, 7]
    """
    if not isinstance(source, str):
        raise InputError(f"source must be a name (str) for messages, got {source!r}")
    if isinstance(data, TokenCounts):
        return data
    if isinstance(data, dict):
        labels = np.array(list(data.keys()))
        counts = list(data.values())
    elif counts is not None:
        labels = np.asarray(data)
        if labels.ndim != 1:
            raise InputError(f"{source}: the types must be a 1-d sequence, got shape {labels.shape}")
    else:
        arr = np.asarray(data)
        if arr.ndim != 1:
            raise InputError(f"{source}: tokens must be a 1-d sequence, got shape {arr.shape}")
        if arr.size == 0:
            raise InputError(f"{source}: no tokens (empty)")
        if arr.dtype.kind in "iu":
            labels, c = np.unique(arr, return_counts=True)
            return _sorted_counts(c, labels, source)
        if arr.dtype.kind == "f":
            raise InputError(f"{source}: token ids must be integers, got floats")
        cnt = Counter(arr.tolist())
        return _sorted_counts(np.fromiter(cnt.values(), np.int64, len(cnt)), np.array(list(cnt.keys())), source)
    c = _v.as_floats("counts", counts).ravel()
    if c.size != np.size(labels):
        raise InputError(f"{source}: {np.size(labels)} types but {c.size} counts")
    if c.size == 0:
        raise InputError(f"{source}: no tokens (empty)")
    bad = ~np.isfinite(c) | (c < 0) | (c != np.round(c))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{source}: count of type {labels[i]!r} must be a non-negative integer, got {c[i]!r}")
    return _sorted_counts(c.astype(np.int64), labels, source)


def _file_size(name, path, limit, what):
    p = _v.input_file(name, path)
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"{p}: the file is empty")
    _v.size_limit(f"reading {p} ({what})", size, limit, " bytes", "give a smaller file or a counts table")
    return p


def _read_text(p):
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (byte {exc.start}); give a text file of tokens, a counts "
                         "table or an integer .npy array") from None


def _is_int(text):
    try:
        v = float(text)
    except ValueError:
        return False
    return math.isfinite(v) and v == round(v)


def _split_line(line):
    for sep in ("\t", ","):
        if sep in line:
            return [t.strip() for t in line.split(sep)]
    return line.split()


def _looks_like_counts(lines):
    """Every line of two fields whose last one is an integer (a first line may be a header)."""
    rows = [_split_line(ln) for ln in lines[:200] if ln.strip()]
    if not rows or any(len(r) != 2 for r in rows):
        return False
    body = rows[1:] if not _is_int(rows[0][1]) else rows
    return bool(body) and all(_is_int(r[1]) for r in body)


def _parse_counts(p, text):
    lines = [ln for ln in text.splitlines()]
    labels, counts = [], []
    first = True
    for i, ln in enumerate(lines, 1):
        if not ln.strip():
            continue
        f = _split_line(ln)
        if len(f) != 2:
            raise InputError(f"{p}: line {i}: a counts table needs 2 columns (token, count), got {len(f)}")
        if first and not _is_int(f[1]):
            first = False
            continue  # a header line
        first = False
        try:
            c = float(f[1])
        except ValueError:
            raise InputError(f"{p}: line {i}: column 2 (count) must be an integer, got {f[1]!r}") from None
        if not math.isfinite(c) or c < 0 or c != round(c):
            raise InputError(f"{p}: line {i}: column 2 (count) must be a non-negative integer, got {f[1]!r}")
        labels.append(f[0])
        counts.append(int(c))
    if not counts:
        raise InputError(f"{p}: no rows of counts")
    if len(set(labels)) != len(labels):
        dup = next(t for t, k in Counter(labels).items() if k > 1)
        raise InputError(f"{p}: column 1 (token): {dup!r} appears on more than one line")
    return token_counts(np.array(labels), counts=counts, source=f"{p.name} (counts table)")


def _npy_header(p, fh):
    try:
        version = np.lib.format.read_magic(fh)
        shape, fortran, dtype = (np.lib.format.read_array_header_1_0(fh) if version == (1, 0)
                                 else np.lib.format.read_array_header_2_0(fh))
    except (ValueError, OSError) as exc:
        raise InputError(f"{p}: not a readable .npy array ({exc})") from None
    return shape, dtype


def _npz_members(p):
    """``{name: (shape, dtype)}`` of the arrays of a ``.npz`` file, read from the headers only."""
    try:
        zf = zipfile.ZipFile(p)
    except zipfile.BadZipFile:
        raise InputError(f"{p}: not a readable .npz file (bad zip)") from None
    out = {}
    with zf:
        for name in zf.namelist():
            if not name.endswith(".npy"):
                continue
            with zf.open(name) as fh:
                out[name[:-4]] = _npy_header(p, io.BufferedReader(fh))
    if not out:
        raise InputError(f"{p}: the .npz file holds no arrays")
    return out


def _check_array_header(p, what, shape, dtype, ndim, kinds, itemsize=8):
    if dtype.kind not in kinds or dtype.hasobject:
        raise InputError(f"{p}: {what} must be {'integer' if kinds == 'iu' else 'numeric'}, got dtype {dtype}")
    if len(shape) not in ndim:
        raise InputError(f"{p}: {what} must be a {' or '.join(f'{d}-d' for d in ndim)} array, got shape {shape}")
    n = int(np.prod(shape)) if shape else 1
    if n == 0:
        raise InputError(f"{p}: {what} is empty (shape {shape})")
    _v.size_limit(f"loading {p} ({what}, shape {shape})", float(n) * itemsize, MAX_ARRAY_BYTES, " bytes",
                  "subsample the data first")


def read_integers(path, what="integers"):
    """A 1-d integer array from ``.npy`` (header checked first), ``.npz`` (its one array) or text (whitespace).

    Examples
    --------
    >>> import numpy as np
    >>> np.save("sizes.npy", np.array([1, 5, 2]))
    >>> read_integers("sizes.npy").tolist()
    [1, 5, 2]
    >>> _ = open("sizes.txt", "w").write("3 4\\n5\\n")
    >>> read_integers("sizes.txt").tolist()
    [3, 4, 5]
    """
    p = _v.input_file("file", path)
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty")
    suf = p.suffix.lower()
    if suf == ".npy":
        with open(p, "rb") as fh:
            shape, dtype = _npy_header(p, fh)
        _check_array_header(p, what, shape, dtype, (1,), "iu" if dtype.kind in "iu" else "iuf")
        arr = np.load(p, allow_pickle=False)
    elif suf == ".npz":
        members = _npz_members(p)
        if len(members) != 1:
            raise InputError(f"{p}: the .npz holds {len(members)} arrays ({', '.join(members)}); give one")
        (name, (shape, dtype)), = members.items()
        _check_array_header(p, f"array {name!r}", shape, dtype, (1,), "iuf")
        with np.load(p, allow_pickle=False) as z:
            arr = z[name]
    else:
        _file_size("file", p, MAX_TEXT_BYTES, what)
        toks = _read_text(p).split()
        if not toks:
            raise InputError(f"{p}: no values")
        try:
            arr = np.array([float(t) for t in toks])
        except ValueError:
            bad = next(t for t in toks if not _is_number(t))
            raise InputError(f"{p}: {what} must be numbers, got {bad!r}") from None
    arr = np.asarray(arr).ravel()
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{p}: {what} must be integers; entry {i} is {arr[i]!r}")
        arr = arr.astype(np.int64)
    return arr.astype(np.int64)


def _is_number(t):
    try:
        float(t)
        return True
    except ValueError:
        return False


def read_tokens(path, format="auto"):
    """:class:`TokenCounts` of a file: a text of tokens, a two-column counts table or an integer array.

    Parameters
    ----------
    path : str or Path
        * text (``format="tokens"``): tokens separated by white space;
        * a counts table (``"counts"``): one ``token<TAB or , or space>count`` per line, an optional header;
        * ``.npy``/``.npz`` (``"ids"``): a 1-d integer array of token ids, one entry per occurrence
          (``format="counts"``: an array of counts, one per type).
    format : {"auto", "tokens", "counts", "ids"}
        ``auto``: ``.npy``/``.npz`` are ids, a text whose every line holds two fields with an integer
        second one is a counts table, anything else a text of tokens.

    Returns
    -------
    TokenCounts

    Examples
    --------
    >>> _ = open("words.txt", "w").write("the cat and the hat\\n")
    >>> read_tokens("words.txt").counts.tolist()
    [2, 1, 1, 1]
    >>> _ = open("counts.tsv", "w").write("word\\tcount\\nthe\\t10\\ncat\\t3\\n")
    >>> read_tokens("counts.tsv").labels.tolist()
    ['the', 'cat']
    """
    format = _v.choice("format", format, _FORMATS)
    p = _v.input_file("file", path)
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty")
    if p.suffix.lower() in (".npy", ".npz"):
        if format == "tokens":
            raise InputError(f"{p}: a {p.suffix} array holds integer ids or counts, not text tokens; use "
                             "--format ids or counts")
        arr = read_integers(p, "token ids" if format != "counts" else "counts")
        if np.any(arr < 0):
            raise InputError(f"{p}: {'counts' if format == 'counts' else 'token ids'} must be >= 0")
        if format == "counts":
            return token_counts(np.arange(arr.size), counts=arr, source=f"{p.name} (array of counts)")
        return token_counts(arr, source=f"{p.name} (array of token ids)")
    if format == "ids":
        arr = read_integers(p, "token ids")
        return token_counts(arr, source=f"{p.name} (token ids)")
    _file_size("file", p, MAX_TEXT_BYTES, "text")
    text = _read_text(p)
    lines = text.splitlines()
    if not text.split():
        raise InputError(f"{p}: no tokens (only white space)")
    if format == "counts" or (format == "auto" and _looks_like_counts(lines)):
        return _parse_counts(p, text)
    cnt = Counter(text.split())
    return _sorted_counts(np.fromiter(cnt.values(), np.int64, len(cnt)), np.array(list(cnt.keys())),
                          f"{p.name} (text of tokens)")


# ----------------------------------------------------------------------------- feature matrices
@dataclass(frozen=True, repr=False)
class FeatureData(Result):
    """A feature matrix and an optional target read from a file.

    Attributes
    ----------
    X : numpy.ndarray
        ``(N, d)`` float64 features.
    y : numpy.ndarray or None
        ``(N,)`` target, when a target column was named.
    columns : list of str
        Names of the feature columns.
    target : str or None
        Name of the target column.
    source : str

    Examples
    --------
    >>> import numpy as np
    >>> np.save("X.npy", np.arange(12.0).reshape(4, 3))
    >>> fd = read_features("X.npy", target=2)
    >>> fd.X.shape, fd.y.tolist(), fd.columns
    ((4, 2), [2.0, 5.0, 8.0, 11.0], ['0', '1'])
    """

    X: np.ndarray
    y: np.ndarray | None
    columns: list
    target: str | None
    source: str
    notes: list = field(default_factory=list)

    _repr_fields = ("X", "target", "source")


def _finite_columns(p, X, names):
    bad = ~np.isfinite(X)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(f"{p}: column {names[c]!r} holds {float(X[r, c])!r} at row {r}: features must be finite "
                         "(drop or impute missing values first)")


def _target_index(p, target, names):
    if target is None:
        return None
    t = str(target)
    if t in names:
        return names.index(t)
    if _is_int(t) and 0 <= int(float(t)) < len(names) and all(_is_int(n) for n in names):
        return int(float(t))
    if _is_int(t) and -len(names) <= int(float(t)) < 0:
        return len(names) + int(float(t))
    raise InputError(f"{p}: no target column {target!r}; columns: {', '.join(names[:12])}"
                     f"{', ...' if len(names) > 12 else ''}")


def _split_target(p, M, names, target):
    j = _target_index(p, target, names)
    if j is None:
        return M, None, names, None
    if M.shape[1] < 2:
        raise InputError(f"{p}: the target {names[j]!r} is the only column; no features are left")
    keep = [i for i in range(M.shape[1]) if i != j]
    return M[:, keep], M[:, j].copy(), [names[i] for i in keep], names[j]


def _read_csv(p, target):
    _file_size("file", p, MAX_TEXT_BYTES, "CSV")
    with open(p, encoding="utf-8", errors="replace") as fh:
        head = [fh.readline() for _ in range(2)]
    sep = "\t" if "\t" in head[0] else ","
    first = [t.strip() for t in head[0].rstrip("\n").split(sep)]
    has_header = not all(_is_number(t) for t in first if t)
    ncols = len(first)
    avg = max(1, len(head[0]))
    est = p.stat().st_size / avg * ncols * 8
    _v.size_limit(f"loading {p} (about {p.stat().st_size // avg} rows x {ncols} columns)", est, MAX_ARRAY_BYTES,
                  " bytes", "subsample the data first")
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is in the validate and dev extras
        pd = None
    if pd is not None:
        try:
            df = pd.read_csv(p, sep=sep, header=0 if has_header else None)
        except (ValueError, pd.errors.ParserError) as exc:
            raise InputError(f"{p}: not a readable CSV table ({' '.join(str(exc).split())})") from None
        names = [str(c) for c in df.columns]
        if len(df) == 0:
            raise InputError(f"{p}: the table has a header but no rows")
        _target_index(p, target, names)  # a missing target column is known from the header: say that first
        for c, name in zip(df.columns, names):
            if df[c].dtype.kind not in "biuf":
                bad = pd.to_numeric(df[c], errors="coerce").isna() & df[c].notna()
                row = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
                raise InputError(f"{p}: column {name!r} is not numeric (row {row}: {df[c].iloc[row]!r})")
            if df[c].isna().any():
                row = int(np.flatnonzero(df[c].isna().to_numpy())[0])
                raise InputError(f"{p}: column {name!r} has a missing value at row {row}")
        M = df.to_numpy(dtype=float)
    else:  # pragma: no cover
        M = np.loadtxt(p, delimiter=sep, skiprows=int(has_header), ndmin=2)
        names = first if has_header else [str(i) for i in range(M.shape[1])]
    return M, names


def _read_parquet(p, target):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{p}: reading parquet needs pyarrow: pip install pyarrow "
                         "(or pip install \"scalinglab[data]\")") from None
    try:
        meta = pq.ParquetFile(p).metadata
    except Exception as exc:  # pyarrow raises its own error types for a bad file
        raise InputError(f"{p}: not a readable parquet file ({' '.join(str(exc).split())[:120]})") from None
    _v.size_limit(f"loading {p} ({meta.num_rows} rows x {meta.num_columns} columns)",
                  8.0 * meta.num_rows * meta.num_columns, MAX_ARRAY_BYTES, " bytes", "subsample the data first")
    if meta.num_rows == 0:
        raise InputError(f"{p}: the table has no rows")
    df = pq.read_table(p).to_pandas()
    names = [str(c) for c in df.columns]
    for c, name in zip(df.columns, names):
        if df[c].dtype.kind not in "biuf":
            raise InputError(f"{p}: column {name!r} is not numeric (dtype {df[c].dtype})")
        if df[c].isna().any():
            row = int(np.flatnonzero(df[c].isna().to_numpy())[0])
            raise InputError(f"{p}: column {name!r} has a missing value at row {row}")
    return df.to_numpy(dtype=float), names


def read_features(path, target=None):
    """A feature matrix (and target) from ``.npy``, ``.npz``, ``.csv``/``.tsv`` or ``.parquet``.

    Parameters
    ----------
    path : str or Path
        ``.npy``: a 2-d numeric array (columns named ``0, 1, ...``); ``.npz``: arrays ``X`` (and ``y``) or
        a single 2-d array; ``.csv``/``.tsv``: a numeric table with an optional header; ``.parquet``: a
        numeric table (needs pyarrow).
    target : str or int, optional
        The target column: its name, or an index for unnamed columns (``-1``: the last); for ``.npz`` the
        name of an array of the file (default ``y`` when present).

    Returns
    -------
    FeatureData

    Raises
    ------
    InputError
        A missing or empty file, a file over the size limit (estimated from its header or its size before
        loading), a non-numeric or non-finite column (named, with the row), a wrong shape, an unknown target.

    Examples
    --------
    >>> import numpy as np
    >>> _ = open("t.csv", "w").write("a,b,label\\n0.1,0.2,1\\n0.3,0.5,0\\n")
    >>> fd = read_features("t.csv", target="label")
    >>> fd.X.tolist(), fd.y.tolist(), fd.columns
    ([[0.1, 0.2], [0.3, 0.5]], [1.0, 0.0], ['a', 'b'])
    >>> _ = open("bad.csv", "w").write("a,b\\n0.1,x\\n")
    >>> read_features("bad.csv")
    Traceback (most recent call last):
    ...
    scalinglab.errors.InputError: bad.csv: column 'b' is not numeric (row 0: 'x')
    """
    p = _v.input_file("file", path)
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty")
    suf = p.suffix.lower()
    y = None
    if suf == ".npy":
        with open(p, "rb") as fh:
            shape, dtype = _npy_header(p, fh)
        _check_array_header(p, "the feature matrix", shape, dtype, (2,), "iuf")
        M = np.load(p, allow_pickle=False).astype(float)
        names = [str(i) for i in range(M.shape[1])]
        M, y, names, tname = _split_target(p, M, names, target)
    elif suf == ".npz":
        members = _npz_members(p)
        xname = "X" if "X" in members else (next(iter(members)) if len(members) == 1 else None)
        if xname is None:
            raise InputError(f"{p}: the .npz holds {', '.join(members)}; name the features 'X' (and the target 'y')")
        shape, dtype = members[xname]
        _check_array_header(p, f"array {xname!r}", shape, dtype, (2,), "iuf")
        tname = None
        with np.load(p, allow_pickle=False) as z:
            M = z[xname].astype(float)
            names = [str(i) for i in range(M.shape[1])]
            tkey = target if target is not None else ("y" if "y" in members and xname == "X" else None)
            if tkey is not None and str(tkey) in members and str(tkey) != xname:
                tshape, tdtype = members[str(tkey)]
                _check_array_header(p, f"target array {tkey!r}", tshape, tdtype, (1,), "iuf")
                if tshape[0] != M.shape[0]:
                    raise InputError(f"{p}: target {tkey!r} has {tshape[0]} rows, the features {M.shape[0]}")
                y = z[str(tkey)].astype(float)
                tname = str(tkey)
            elif tkey is not None:
                M, y, names, tname = _split_target(p, M, names, tkey)
    elif suf in (".csv", ".tsv", ".txt"):
        M, names = _read_csv(p, target)
        M, y, names, tname = _split_target(p, M, names, target)
    elif suf == ".parquet":
        M, names = _read_parquet(p, target)
        M, y, names, tname = _split_target(p, M, names, target)
    else:
        raise InputError(f"{p}: unknown feature file type {suf or '(none)'!r}; use .npy, .npz, .csv, .tsv or .parquet")
    if M.ndim != 2 or M.shape[0] < 2 or M.shape[1] < 1:
        raise InputError(f"{p}: the features must be an N x d matrix with N >= 2 rows, got shape {M.shape}")
    _finite_columns(p, M, names)
    if y is not None and not np.all(np.isfinite(y)):
        r = int(np.flatnonzero(~np.isfinite(y))[0])
        raise InputError(f"{p}: target column {tname!r} holds {np.asarray(y[r]).item()!r} at row {r}")
    return FeatureData(X=M, y=y, columns=names, target=tname, source=f"{p.name}")
