"""Result objects: the one base class of every named result of :mod:`scalinglab.theory`.

Every theory function returns a frozen dataclass that inherits :class:`Result`
and so gets, without writing them again:

* a short ``repr`` (one or two lines; arrays summarised by their length and
  range, never printed in full);
* ``str(result)``: the human-readable text the command line prints; a field
  that holds NaN or inf gets a ``note: <field>: <reason>`` line (the same
  reason :meth:`Result.to_dict` writes beside its ``null``);
* :meth:`Result.to_dict`: *strict* JSON (no ``NaN``/``Infinity``, which
  ``json`` would otherwise write and strict parsers refuse): a non-finite
  value becomes ``null`` and the key ``"<field>_reason"`` beside it says why
  (for an array, why some entries are ``null``);
* :meth:`Result.to_frame`: a :class:`pandas.DataFrame` (pandas is optional:
  ``pip install "scalinglab[validate]"``), one row per grid point with the
  scalar fields repeated as columns, or one row for results without arrays;
* ``plot(ax=None)`` on the results a picture makes sense for (curves,
  spectra, distributions): it draws on ``ax`` (a new figure when ``None``) and
  returns the axes. Scalar results (a fitted exponent, a set of exponents)
  have no ``plot`` attribute at all.

Importing this module (or any of scalinglab) imports no plotting backend:
``matplotlib.pyplot`` is imported inside ``plot`` only, and the backend is
never changed (the command line alone selects the headless ``Agg``).

>>> import json
>>> from scalinglab.theory.rhm import RHMSpec, learning_curve
>>> lc = learning_curve(RHMSpec.make(alpha=1.0), [0.0, 10.0, 1e3])
>>> print(repr(lc))  # doctest: +ELLIPSIS
LearningCurve(P=<3 values 0..1000>, eps=<3 values 0.2628..1>, predicted_exponent=0.3419,...)
>>> d = lc.to_dict()   # the local exponent is undefined at P = 0: null + a reason
>>> d["local_exponent"][0] is None and "local_exponent_reason" in d
True
>>> _ = json.dumps(d, allow_nan=False)  # strict JSON
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["Result", "strict_json", "require_pandas", "new_axes", "one_row", "set_title", "ItemAccess"]

_KIND_TEXT = {"nan": "NaN (not defined there)", "inf": "+inf", "-inf": "-inf"}


def _kind(x):
    return "nan" if x != x else ("inf" if x > 0 else "-inf")


def _default_reason(kinds):
    return "null stands for " + " or ".join(_KIND_TEXT[k] for k in sorted(kinds))


def _is_sympy(v):
    return type(v).__module__.split(".")[0] == "sympy"


def _conv(v, reasons):
    """``(json_value, kinds)``: the strict-JSON form of ``v`` and the non-finite
    kinds it replaced by null (not counting those inside nested dicts, which
    carry their own reasons)."""
    if isinstance(v, Result):
        return v.to_dict(), set()
    if isinstance(v, dict):
        return _conv_dict(v, reasons), set()
    if v is None or isinstance(v, str):
        return v, set()
    if isinstance(v, (bool, np.bool_)):
        return bool(v), set()
    if isinstance(v, (int, np.integer)):
        return int(v), set()
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return (f, set()) if math.isfinite(f) else (None, {_kind(f)})
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "biu":
            return v.tolist(), set()
        if v.dtype.kind == "f":
            bad = ~np.isfinite(v)
            if not bad.any():
                return v.tolist(), set()
            kinds = {_kind(float(x)) for x in np.unique(v[bad])}
            return np.where(bad, None, v.astype(object)).tolist(), kinds
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        out, kinds = [], set()
        for x in v:
            c, k = _conv(x, {})
            out.append(c)
            kinds |= k
        return out, kinds
    if _is_sympy(v):
        import sympy

        return sympy.sstr(v), set()
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return _conv_dict({f.name: getattr(v, f.name) for f in dataclasses.fields(v)}, {}), set()
    try:
        return _conv(float(v), reasons)
    except (TypeError, ValueError):
        return str(v), set()


def _conv_dict(d, reasons):
    out = {}
    for k, v in d.items():
        if callable(v) and not isinstance(v, Result) and not _is_sympy(v):
            continue
        c, kinds = _conv(v, reasons)
        out[str(k)] = c
        if f"{k}_reason" in d:
            continue
        if kinds:
            out[f"{k}_reason"] = reasons.get(k) or _default_reason(kinds)
        elif v is None and k in reasons:  # a meaningful None (e.g. an unbounded end)
            out[f"{k}_reason"] = reasons[k]
    return out


def strict_json(obj, reasons=None):
    """Convert ``obj`` to strict-JSON-able Python values.

    numpy scalars and arrays become numbers and lists, sympy expressions
    strings, named results their :meth:`Result.to_dict`; a non-finite float
    becomes ``None`` (JSON ``null``) and, inside a dict, the key
    ``"<key>_reason"`` is added beside it (text from ``reasons[key]`` or a
    default naming NaN / inf); a ``None`` whose key has an entry in ``reasons``
    gets that reason too. Callables are dropped.

    Parameters
    ----------
    obj : object
    reasons : dict, optional
        ``{key: why a value of this key may be null}`` for the top-level dict.

    Returns
    -------
    object
        Serialisable by ``json.dumps(..., allow_nan=False)``.

    >>> strict_json({"x": float("nan"), "y": [1.0, float("inf")]}, {"x": "no fit"})
    {'x': None, 'x_reason': 'no fit', 'y': [1.0, None], 'y_reason': 'null stands for +inf'}
    """
    return _conv(obj, reasons or {})[0]


def require_pandas():
    """Import pandas, or raise ImportError saying how to install it.

    Examples
    --------
    >>> require_pandas().__name__
    'pandas'
    """
    try:
        import pandas
    except ImportError:  # pragma: no cover - exercised with pandas hidden in a test
        raise ImportError("to_frame() needs pandas: pip install pandas (or pip install \"scalinglab[validate]\")") \
            from None
    return pandas


def new_axes(ax=None):
    """``ax``, or the axes of a new figure (pyplot imported here, backend untouched).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> new_axes(ax) is ax                                  # given axes are used as they are
    True
    >>> plt.close(fig)
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


# ----------------------------------------------------------------------------- summaries
def _short(v, width=40):
    """A few characters standing for ``v`` in a repr."""
    if isinstance(v, Result):
        f = v._summary_fields()[:1]
        return f"{type(v).__name__}({', '.join(f'{k}={_short(getattr(v, k))}' for k in f)}{', …' if f else '…'})"
    if isinstance(v, (bool, np.bool_)) or v is None:
        return repr(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    if isinstance(v, np.ndarray):
        if v.ndim == 1 and v.dtype.kind in "biuf":
            if v.size == 0:
                return "<0 values>"
            fin = v[np.isfinite(v)] if v.dtype.kind == "f" else v
            if fin.size == 0:
                return f"<{v.size} values, none finite>"
            lo, hi = fin.min(), fin.max()
            rng = f"{lo:.4g}" if lo == hi else f"{lo:.4g}..{hi:.4g}"
            return f"<{v.size} values {rng}{'' if fin.size == v.size else f', {v.size - fin.size} non-finite'}>"
        return f"<array {'x'.join(map(str, v.shape))}>"
    if isinstance(v, (list, tuple)):
        if len(v) <= 4 and all(isinstance(x, (int, float, np.integer, np.floating, str)) or x is None for x in v):
            inner = ", ".join(_short(x, 12) for x in v)
            return f"({inner})" if isinstance(v, tuple) else f"[{inner}]"
        return f"<{len(v)} items>"
    if isinstance(v, dict):
        s = "{" + ", ".join(f"{k}: {_short(x, 12)}" for k, x in v.items()) + "}"
        return s if len(s) <= width else f"<dict of {len(v)}>"
    s = str(v) if _is_sympy(v) or not isinstance(v, str) else v
    s = s if len(s) <= width else s[: width - 1] + "…"
    return repr(s) if isinstance(v, str) else s


class Result:
    """Base class of named results (frozen dataclasses): short repr, text, strict JSON, DataFrame.

    Subclasses are declared ``@dataclass(frozen=True, repr=False)`` (so the
    dataclass does not replace this ``__repr__``) and may set

    * ``_repr_fields``: the fields the repr shows, in order (default: every
      field declared with ``repr=True``);
    * ``_reasons``: ``{field: why it may be NaN/inf}``, used by :meth:`to_dict`;
    * ``_text(self)``: the human-readable text of ``str`` (default: one line per
      field);
    * ``_frame_data(self)``: a dict of columns for :meth:`to_frame` (default:
      the 1-d arrays of the leading length, scalars repeated);
    * ``plot(self, ax=None)``: where a picture makes sense.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> import numpy as np
    >>> @dataclass(frozen=True, repr=False)
    ... class Curve(Result):
    ...     x: np.ndarray
    ...     y: np.ndarray
    ...     exponent: float
    ...     _reasons = {"exponent": "no fit: fewer than 3 points"}
    >>> c = Curve(x=np.arange(1.0, 101.0), y=np.arange(1.0, 101.0) ** -0.5, exponent=float("nan"))
    >>> c                                                   # arrays summarised, never printed in full
    Curve(x=<100 values 1..100>, y=<100 values 0.1..1>, exponent=nan)
    >>> c.to_dict()["exponent"], c.to_dict()["exponent_reason"]
    (None, 'no fit: fewer than 3 points')
    >>> c.to_frame().shape                                  # one row per point, the scalar repeated
    (100, 3)
    """

    _repr_fields: tuple | None = None
    _reasons: dict = {}

    # -- fields
    def _public_fields(self):
        return [f for f in dataclasses.fields(self) if not f.name.startswith("_")]

    def _summary_fields(self):
        if self._repr_fields is not None:
            return list(self._repr_fields)
        return [f.name for f in self._public_fields() if f.repr and not callable(getattr(self, f.name))
                or _is_sympy(getattr(self, f.name))]

    # -- repr / str
    def __repr__(self):
        parts = [f"{k}={_short(getattr(self, k))}" for k in self._summary_fields()]
        head = f"{type(self).__name__}("
        lines, cur = [], head
        for i, p in enumerate(parts):
            sep = "" if cur == head else ", "
            if len(cur) + len(sep) + len(p) > 110 and cur != head:
                if lines:  # already two lines: stop here
                    cur += ", …"
                    break
                lines.append(cur + ",")
                cur = "    " + p
            else:
                cur += sep + p
        lines.append(cur + ")")
        return "\n".join(lines)

    def _text(self):
        lines = [type(self).__name__ + ":"]
        for f in self._public_fields():
            v = getattr(self, f.name)
            if callable(v) and not _is_sympy(v):
                continue
            lines.append(f"  {f.name:20s} {_short(v, 70)}")
        return "\n".join(lines)

    def _notes(self):
        """``note: <field>: <reason>`` for each field of ``_reasons`` that holds a NaN or inf (fields
        sharing a reason on one line): the human-readable side of the ``<field>_reason`` that
        :meth:`to_dict` writes beside its null."""
        out = {}
        data = self._dict_data()
        for k, why in self._reasons.items():
            v = data.get(k)
            if v is None or isinstance(v, (str, Result)) or callable(v):
                continue
            try:
                bad = not np.all(np.isfinite(np.asarray(v, dtype=float)))
            except (TypeError, ValueError):
                continue
            if bad:
                out.setdefault(why, []).append(k)
        return [f"note: {', '.join(ks)}: {why}" for why, ks in out.items()]

    def __str__(self):
        """The human-readable text: :meth:`_text`, then a ``note:`` line per NaN/inf field saying why."""
        return "\n".join([self._text()] + self._notes())

    # -- JSON
    def _dict_data(self):
        """The fields as a plain dict (before the strict-JSON conversion). Optional fields
        left at their default ``None`` (not computed) are left out, unless ``_reasons``
        says what their ``None`` means."""
        return {f.name: getattr(self, f.name) for f in self._public_fields()
                if not (getattr(self, f.name) is None and f.default is None and f.name not in self._reasons)}

    def to_dict(self):
        """The fields as strict JSON: numbers, strings, lists, dicts and ``None``.

        A non-finite number becomes ``None`` with a ``"<field>_reason"`` key
        beside it; sympy expressions become strings; numeric callables are
        left out.
        """
        return strict_json(self._dict_data(), self._reasons)

    # -- pandas
    def _frame_data(self):
        cols, scalars = {}, {}
        n = None
        for f in self._public_fields():
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray) and v.ndim == 1:
                if n is None:
                    n = v.size
                if v.size == n:
                    cols[f.name] = v
            elif isinstance(v, Result):
                for k, x in v._frame_scalars().items():
                    scalars[f"{f.name}_{k}"] = x
            else:
                scalars.update(_scalar_columns(f.name, v))
        return {**cols, **scalars} if cols else one_row(scalars)

    def _frame_scalars(self):
        out = {}
        for f in self._public_fields():
            out.update(_scalar_columns(f.name, getattr(self, f.name)))
        return out

    def to_frame(self):
        """A :class:`pandas.DataFrame` of the result (needs pandas).

        One row per grid point (the array fields as columns, scalar fields
        repeated), or one row for a result without arrays. NaN stays NaN here.
        """
        pd = require_pandas()
        return pd.DataFrame(self._frame_data())


def one_row(d):
    """A one-row frame dict from a flat dict: ``{key: [value]}``, numeric pairs (tuple or list of 2) split into
    ``key_lo``/``key_hi``, other sequences, arrays and dicts left out.

    Examples
    --------
    >>> one_row({"exponent": 0.5, "ci": (0.4, 0.6), "samples": [1, 2, 3]})    # a 2-sequence is split
    {'exponent': [0.5], 'ci_lo': [0.4], 'ci_hi': [0.6]}
    """
    out = {}
    for k, v in d.items():
        out.update({c: [x] for c, x in _scalar_columns(k, v).items()})
    return out


def _scalar_columns(name, v):
    """Frame columns of one non-array field (nothing for arrays, dicts, callables)."""
    if isinstance(v, (bool, np.bool_, int, np.integer, float, np.floating, str)) or v is None:
        return {name: v}
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(x, (int, float, np.integer, np.floating)) for x in v):
        return {f"{name}_lo": v[0], f"{name}_hi": v[1]}
    if _is_sympy(v):
        return {name: str(v)}
    return {}


def set_title(ax, text):
    """Give ``ax`` the title ``text`` unless it already has one (a second result drawn on the same axes keeps the
    first title). Every ``plot`` method of a result calls it; returns the axes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> set_title(ax, "first").get_title(), set_title(ax, "second").get_title()
    ('first', 'first')
    >>> plt.close(fig)
    """
    if not ax.get_title():
        ax.set_title(text, fontsize=10)
    return ax


class ItemAccess:
    """Read access by key for a result that replaced a plain dict: ``r["ci"]``, ``r.get("ci")``, ``"ci" in r``,
    ``r.keys()`` and iteration over the keys read the same values as the attributes (the keys are those of
    :meth:`Result.to_dict`, before its strict-JSON conversion). A result with an ``extras`` dict also takes
    new keys (``r["wall_s"] = 3.0``), which :meth:`Result.to_dict` writes after its fields.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, repr=False)
    ... class Estimate(ItemAccess, Result):
    ...     value: float
    ...     ci: tuple
    >>> e = Estimate(value=1.5, ci=(1.0, 2.0))
    >>> e["ci"], e.get("missing", "-"), "value" in e, list(e)
    ((1.0, 2.0), '-', True, ['value', 'ci'])
    """

    def _items(self):
        d = self._dict_data()
        extras = d.pop("extras", None)
        return {**d, **(extras or {})}

    def __getitem__(self, key):
        items = self._items()
        if key not in items:
            raise KeyError(key)
        return items[key]

    def __setitem__(self, key, value):
        extras = getattr(self, "extras", None)
        if not isinstance(extras, dict):
            raise TypeError(f"{type(self).__name__} is read-only")
        extras[key] = value

    def get(self, key, default=None):
        return self._items().get(key, default)

    def __contains__(self, key):
        return key in self._items()

    def keys(self):
        return self._items().keys()

    def items(self):
        return self._items().items()

    def __iter__(self):
        return iter(self._items())

    def to_dict(self):
        """The fields (and any extras, flattened after them) as strict JSON, as :meth:`Result.to_dict`."""
        return strict_json(self._items(), self._reasons)
