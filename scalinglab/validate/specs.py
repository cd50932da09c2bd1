"""Experiment specs: TOML files (or dicts) turned into frozen config dataclasses, with one-line errors.

A config is a frozen dataclass whose fields are ``int``, ``float``, ``bool``,
``str``, ``tuple[X, ...]``, ``X | None``, unions such as ``float | tuple[float, ...]``,
nested config dataclasses or tuples of them (TOML arrays of tables). Field
``metadata`` may carry ``ge``/``gt``/``le``/``lt`` bounds, ``choices``, and
``analysis=True`` for settings that only change the analysis (fit windows,
bootstrap resamples), never a run.

:func:`build` checks every key of a mapping against the dataclass: an
unknown key, a wrong type or a value out of range is an
:class:`~scalinglab.errors.InputError` naming the key (``train.lr``).

>>> from dataclasses import dataclass, field
>>> @dataclass(frozen=True)
... class Grid:
...     P: tuple[int, ...] = (10, 100)
...     seeds: int = field(default=2, metadata={"ge": 1})
>>> build(Grid, {"seeds": 3})
Grid(P=(10, 100), seeds=3)
>>> build(Grid, {"seeds": 0})
Traceback (most recent call last):
scalinglab.errors.InputError: spec key 'seeds': must be >= 1, got 0
"""

from __future__ import annotations

import dataclasses
import math
import sys
import typing
from pathlib import Path

from scalinglab.errors import InputError

__all__ = ["build", "read_spec", "parse_toml", "to_dict", "config_fields", "from_strict", "nonfinite_keys"]


def parse_toml(text, where="spec"):
    """Parse TOML text (stdlib ``tomllib``; ``tomli`` on Python 3.10)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not valid TOML ({exc})") from None


def read_spec(path):
    """``(mapping, text)`` of a TOML spec file; InputError when missing or malformed."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"spec file {path} not found") from None
    except IsADirectoryError:
        raise InputError(f"spec file {path} is a folder") from None
    except UnicodeDecodeError:
        raise InputError(f"spec file {path} is not UTF-8 text") from None
    return parse_toml(text, str(path)), text


def _hints(cls):
    return typing.get_type_hints(cls)


def config_fields(cls):
    """``[(field, type)]`` of a config dataclass, type hints resolved."""
    hints = _hints(cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(cls) if f.init]


def _tname(tp):
    origin = typing.get_origin(tp)
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is bool:
        return "true or false"
    if tp is str:
        return "a string"
    if tp is type(None):
        return "absent"
    if dataclasses.is_dataclass(tp):
        return f"a table ({tp.__name__})"
    if origin is tuple:
        return f"a list of {_tname(typing.get_args(tp)[0]).replace('an ', '').replace('a ', '')}s"
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(_tname(a) for a in typing.get_args(tp) if a is not type(None))
    return str(tp)


class _Mismatch(Exception):
    pass


def _convert(tp, value, path):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _convert(a, value, path)
            except _Mismatch as exc:
                errors.append(exc)
            except InputError:
                raise
        raise _Mismatch(f"expected {_tname(tp)}, got {value!r}")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise _Mismatch(f"expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise _Mismatch(f"expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and value.strip().lower() in ("inf", "+inf", "-inf", "nan"):
            return float(value)
        raise _Mismatch(f"expected a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise _Mismatch(f"expected a string, got {value!r}")
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise _Mismatch(f"expected a table ({tp.__name__}), got {value!r}")
        return build(tp, value, path)
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise _Mismatch(f"expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert_item(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise _Mismatch(f"expected a list of {len(args)} entries, got {len(value)}")
        return tuple(_convert_item(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if tp is typing.Any:
        return value
    raise TypeError(f"unsupported config field type {tp!r} at {path}")  # a bug of ours


def _convert_item(tp, value, path):
    try:
        return _convert(tp, value, path)
    except _Mismatch as exc:
        raise InputError(f"spec key '{path}': {exc}") from None


def _check_meta(meta, value, path):
    if value is None:
        return
    vals = value if isinstance(value, tuple) else (value,)
    for v in vals:
        if not isinstance(v, (int, float, str)) or isinstance(v, bool):
            continue
        if isinstance(v, float) and not math.isfinite(v) and not meta.get("nonfinite"):
            raise InputError(f"spec key '{path}': must be a finite number, got {v!r}")
        if "choices" in meta and v not in meta["choices"]:
            raise InputError(f"spec key '{path}': must be one of {list(meta['choices'])}, got {v!r}")
        if isinstance(v, str):
            continue
        for op, ok, word in (("ge", lambda a, b: a >= b, ">="), ("gt", lambda a, b: a > b, ">"),
                             ("le", lambda a, b: a <= b, "<="), ("lt", lambda a, b: a < b, "<")):
            if op in meta and not ok(v, meta[op]):
                raise InputError(f"spec key '{path}': must be {word} {meta[op]:g}, got {v!r}")


def build(cls, mapping, prefix=""):
    """An instance of config dataclass ``cls`` from a mapping (a TOML table).

    Missing keys take the dataclass defaults. Raises InputError naming the key
    for an unknown key, a wrong type, a value out of the field's range, or a
    check of the dataclass itself.
    """
    if not isinstance(mapping, dict):
        raise InputError(f"spec key '{prefix or cls.__name__}': expected a table, got {mapping!r}")
    fields = dict((f.name, (f, tp)) for f, tp in config_fields(cls))
    unknown = [k for k in mapping if k not in fields]
    if unknown:
        where = f"'{prefix}.{unknown[0]}'" if prefix else f"'{unknown[0]}'"
        raise InputError(f"unknown spec key {where}; known keys{' of ' + repr(prefix) if prefix else ''}: "
                         f"{', '.join(sorted(fields))}")
    required = [n for n, (f, _) in fields.items() if n not in mapping
                and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if required:
        where = f"{prefix}.{required[0]}" if prefix else required[0]
        raise InputError(f"spec key '{where}' is required")
    kw = {}
    for name, value in mapping.items():
        f, tp = fields[name]
        path = f"{prefix}.{name}" if prefix else name
        try:
            kw[name] = _convert(tp, value, path)
        except _Mismatch as exc:
            raise InputError(f"spec key '{path}': {exc}") from None
        _check_meta(f.metadata, kw[name], path)
    try:
        return cls(**kw)
    except InputError as exc:
        msg = str(exc)
        raise InputError(msg if msg.startswith(("spec key", "unknown spec key")) or not prefix
                         else f"spec key '{prefix}': {msg}") from None
    except (ValueError, TypeError) as exc:
        raise InputError(f"spec {'key ' + repr(prefix) if prefix else cls.__name__}: {exc}") from None


def to_dict(obj):
    """A config dataclass as nested dicts/lists (the inverse of :func:`build`)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    return obj


_REASON_VALUE = {"null stands for +inf": math.inf, "null stands for -inf": -math.inf,
                 "null stands for NaN (not defined there)": math.nan}


def from_strict(obj):
    """Undo strict JSON (:func:`scalinglab._results.strict_json`): ``key: null`` with ``key_reason`` naming a
    non-finite value becomes that value again, and the ``_reason`` key goes (a stored config reads back).

    Examples
    --------
    >>> from scalinglab._results import strict_json
    >>> stored = strict_json({"w": float("inf"), "x": [1.0, float("nan")], "t": {"lo": float("-inf")}})
    >>> stored["w"], stored["w_reason"]
    (None, 'null stands for +inf')
    >>> from_strict(stored)
    {'w': inf, 'x': [1.0, nan], 't': {'lo': -inf}}
    """
    if isinstance(obj, list):
        return [from_strict(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for k, v in obj.items():
        base = k[:-len("_reason")] if isinstance(k, str) and k.endswith("_reason") else None
        if base is not None and base in obj and isinstance(v, str) and v.startswith("null stands for"):
            continue  # read back into its key below
        reason = obj.get(f"{k}_reason")
        if isinstance(reason, str) and reason in _REASON_VALUE:
            fill = _REASON_VALUE[reason]
            if v is None:
                v = fill
            elif isinstance(v, list):
                v = [fill if x is None else x for x in v]
        out[k] = from_strict(v)
    return out


def nonfinite_keys(obj, prefix=""):
    """Dotted names of the non-finite floats in nested dicts/lists (what a manifest could not store as JSON).

    Examples
    --------
    >>> nonfinite_keys({"a": 1.0, "b": [1.0, float("nan")], "t": {"c": float("inf")}})
    ['b', 't.c']
    """
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += nonfinite_keys(v, f"{prefix}{k}.")
    elif isinstance(obj, (list, tuple)):
        if any(nonfinite_keys(v, prefix) for v in obj):
            out.append(prefix[:-1])
    elif isinstance(obj, float) and not math.isfinite(obj):
        out.append(prefix[:-1])
    return out
