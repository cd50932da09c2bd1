"""Validation helpers: one per kind of parameter, each raising :class:`~scalinglab.errors.InputError`.

Every public function checks its arguments at the boundary with these
helpers, so a user mistake always reads the same way: one line that names
the parameter, says what is allowed and repeats the value given. Size
checks (:func:`size_limit`) estimate the work or memory *before* it is
spent and refuse with the number and the limit.

>>> from scalinglab._validation import integer, real
>>> integer("m", 10.0, lo=1)
10
>>> real("p", 0.5, lo=0, hi=1, lo_open=True, hi_open=True)
0.5
>>> try:
...     integer("m", 0, lo=1)
... except ValueError as exc:
...     print(exc)
m must be >= 1, got 0
"""

from __future__ import annotations

import math
import os
from numbers import Integral
from pathlib import Path

import numpy as np

from scalinglab.errors import InputError

__all__ = ["InputError", "integer", "real", "positive", "probability", "real_array", "real_values", "as_floats", "choice", "seed", "size_limit",
           "output_file", "input_file", "flag", "fmt_num"]


def _show(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def integer(name, value, lo=None, hi=None):
    """``value`` as a Python int in ``[lo, hi]``.

    Integral floats (``3.0``) are accepted; booleans, strings, non-integral
    or non-finite numbers are refused.

    >>> integer("L", 3, lo=1, hi=60)
    3
    """
    if _is_bool(value) or isinstance(value, (str, bytes)):
        raise InputError(f"{name} must be an integer, got {_show(value)}")
    if isinstance(value, Integral):
        out = int(value)
    else:
        try:
            f = float(value)
        except (TypeError, ValueError, OverflowError):
            raise InputError(f"{name} must be an integer, got {_show(value)}") from None
        if not math.isfinite(f) or not f.is_integer():
            raise InputError(f"{name} must be an integer, got {_show(value)}")
        out = int(f)
    if lo is not None and out < lo:
        raise InputError(f"{name} must be >= {lo}, got {out}")
    if hi is not None and out > hi:
        shown = str(out) if out <= 10**15 else f"1e+{len(str(out)) - 1} or more"
        raise InputError(f"{name} = {shown} is over the limit {hi}")
    return out


def real(name, value, lo=None, hi=None, lo_open=False, hi_open=False, allow_inf=False):
    """``value`` as a float in the interval given by ``lo``/``hi``.

    NaN is always refused; ``inf`` only with ``allow_inf`` (and then still
    subject to the bounds). ``lo_open``/``hi_open`` make the bounds strict.

    >>> real("alpha", -1, lo=-1)
    -1.0
    """
    if _is_bool(value) or isinstance(value, (str, bytes)):
        raise InputError(f"{name} must be a number, got {_show(value)}")
    try:
        if np.ndim(value) != 0:
            raise TypeError
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name} must be a finite number, got {_show(value)}") from None
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        raise InputError(f"{name} must be a finite number, got {x!r}")
    if lo is not None and (x < lo or (lo_open and x == lo)):
        raise InputError(f"{name} must be {'>' if lo_open else '>='} {lo:g}, got {x!r}")
    if hi is not None and (x > hi or (hi_open and x == hi)):
        raise InputError(f"{name} must be {'<' if hi_open else '<='} {hi:g}, got {x!r}")
    return x


def positive(name, value, allow_zero=False, allow_inf=False):
    """``value`` as a float ``> 0`` (``>= 0`` with ``allow_zero``), finite unless ``allow_inf``.

    >>> positive("ridge", 0, allow_zero=True)
    0.0
    """
    return real(name, value, lo=0.0, lo_open=not allow_zero, allow_inf=allow_inf)


def probability(name, value, open_=True):
    """A probability: in ``(0, 1)`` (``open_``) or ``[0, 1]``.

    >>> probability("p", 0.25)
    0.25
    """
    x = real(name, value)
    if not ((0.0 < x < 1.0) if open_ else (0.0 <= x <= 1.0)):
        raise InputError(f"{name} must lie strictly between 0 and 1, got {x!r}" if open_ else
                         f"{name} must lie in [0, 1], got {x!r}")
    return x


def real_array(name, values, lo=None, hi=None, lo_open=False, hi_open=False, allow_inf=False, ndim=1,
               min_size=1, max_size=None):
    """``values`` as a float64 array of ``ndim`` dimensions (a scalar counts as one value when ``ndim == 1``).

    Every entry must satisfy the same conditions as :func:`real`; the first
    offending entry is named in the message.

    >>> real_array("P", [1, 10]).tolist()
    [1.0, 10.0]
    """
    arr = as_floats(name, values)  # numbers only, never an imaginary part dropped
    if ndim == 1 and arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != ndim:
        raise InputError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if arr.size < min_size:
        raise InputError(f"{name} needs at least {min_size} value(s), got {arr.size}")
    if max_size is not None and arr.size > max_size:
        raise InputError(f"{name} has {arr.size} values, over the limit {max_size}")
    bad = np.isnan(arr) | (np.isinf(arr) if not allow_inf else False)
    if lo is not None:
        bad |= (arr < lo) | ((arr == lo) if lo_open else False)
    if hi is not None:
        bad |= (arr > hi) | ((arr == hi) if hi_open else False)
    if np.any(bad):
        x = float(arr.ravel()[np.flatnonzero(bad.ravel())[0]])
        rng = []
        if lo is not None:
            rng.append(f"{'>' if lo_open else '>='} {lo:g}")
        if hi is not None:
            rng.append(f"{'<' if hi_open else '<='} {hi:g}")
        what = ("finite" if not allow_inf else "not nan") + (", " + " and ".join(rng) if rng else "")
        raise InputError(f"{name} must be {what}; got {x!r}")
    return arr


def as_floats(name, values):
    """``values`` as a float64 array of any shape, nan and inf kept (the caller decides about them).

    Refuses what is not numbers: strings, ``None``, dicts, ragged lists,
    booleans, integers beyond the float range, and complex numbers (whose
    imaginary part a plain ``astype(float)`` would drop).

    >>> as_floats("x", [1, 2]).tolist()
    [1.0, 2.0]
    """
    try:
        arr = np.asarray(values)
        if arr.dtype == object or arr.dtype.kind in "USVb" or _is_bool(values):
            raise TypeError
        complex_ = arr.dtype.kind == "c"
        out = None if complex_ else arr.astype(np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name} must be an array of numbers, got {_show(values)}") from None
    if complex_:  # a plain astype(float) would drop the imaginary part
        raise InputError(f"{name} must be real numbers, got complex values (e.g. {_show(arr.ravel()[0])})")
    return out


def real_values(name, values, keep_shape=False, **kw):
    """``values`` (a number or an array of any shape) checked as by :func:`real_array`.

    Returns a float64 array of at least one dimension, or of the shape given
    (a 0-d array for a number) with ``keep_shape``.

    >>> real_values("N", [[1, 2]], lo=0).shape, real_values("N", 3.0, keep_shape=True).shape
    ((1, 2), ())
    """
    try:
        nd = np.ndim(values)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be an array of numbers, got {_show(values)}") from None
    arr = real_array(name, values, ndim=max(1, nd), **kw)
    return arr.reshape(np.shape(values)) if keep_shape and nd == 0 else arr


def choice(name, value, options):
    """``value`` if it is one of ``options``.

    >>> choice("mode", "exact", ("auto", "exact", "binned"))
    'exact'
    """
    try:
        ok = value in options
    except TypeError:
        ok = False
    if not ok or _is_bool(value):
        raise InputError(f"{name} must be one of {', '.join(map(repr, options))}; got {_show(value)}")
    return value


def seed(name, value):
    """A random seed: an integer in ``[0, 2**63)``.

    >>> seed("seed", 7)
    7
    """
    return integer(name, value, lo=0, hi=2**63 - 1)


def flag(name, value):
    """A boolean option (True/False only; 0/1 are accepted as numpy bools are)."""
    if _is_bool(value) or (isinstance(value, Integral) and value in (0, 1)):
        return bool(value)
    raise InputError(f"{name} must be True or False, got {_show(value)}")


def fmt_num(x):
    """``x`` as ``1.23e+45`` even when it is an int beyond the float range.

    >>> fmt_num(10**400)
    '1e+400'
    """
    try:
        return f"{float(x):.3g}"
    except OverflowError:
        e = math.log10(x)
        k = math.floor(e)
        return f"{10 ** (e - k):.3g}e+{k}"


def size_limit(what, needed, limit, unit="", hint=""):
    """Refuse work or memory over a limit, naming both numbers.

    Parameters
    ----------
    what : str
        What would be built, e.g. ``"the exact spectrum"``.
    needed, limit : float
        The estimate and the limit (same unit).
    unit : str
        E.g. ``" bytes"`` or ``" operations"``.
    hint : str
        How to get under the limit.

    >>> size_limit("the grid", 10, 100)
    """
    if not needed <= limit:  # also refuses nan
        text = f"{what} needs {fmt_num(needed)}{unit}, over the limit {fmt_num(limit)}{unit}"
        raise InputError(text + (f"; {hint}" if hint else ""))


def output_file(name, path, suffix=None):
    """Check that ``path`` can be written (before any work is done) and return the path that will be written.

    The parent folder must exist and be writable and ``path`` must not be a
    folder. With ``suffix`` (e.g. ``".npz"``), a path without it gets it
    appended, as numpy does, so the caller can report the real file name.
    """
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise InputError(f"{name} must be a file path, got {_show(path)}")
    p = Path(path)
    if p.is_dir() or str(path).endswith(os.sep):
        raise InputError(f"{name}: {p} is a folder; give a file name")
    if suffix and p.suffix != suffix:
        p = p.with_name(p.name + suffix)
    if p.is_dir():
        raise InputError(f"{name}: {p} is a folder; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{name}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise InputError(f"{name}: cannot write {p} (permission denied)")
    return p


def input_file(name, path):
    """Check that ``path`` is a readable file and return it as a Path."""
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise InputError(f"{name} must be a file path, got {_show(path)}")
    p = Path(path)
    if not p.exists():
        raise InputError(f"{name}: {p} does not exist")
    if p.is_dir():
        raise InputError(f"{name}: {p} is a folder, not a file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{name}: cannot read {p} (permission denied)")
    return p
