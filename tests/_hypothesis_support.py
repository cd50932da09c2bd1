"""Shared pieces of the property-based suites (tests/test_hypothesis_*.py).

* :func:`guarded` runs a call with a wall-clock limit and classifies the
  outcome: a result, an :class:`~scalinglab.errors.InputError`, or a failure
  (any other exception, or more than ``HANG_S`` seconds: a hang).
* :func:`non_finite_paths` lists the nan/inf values of a result (dataclass,
  dict, array, number), so a test can require a stated reason for each.
* Settings: ``derandomize=True`` by default so the default test run is
  reproducible and fast; ``HYPOTHESIS_PROFILE=explore`` runs 20x more
  random examples.
"""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import time

import numpy as np
from hypothesis import HealthCheck, event, settings

from scalinglab.errors import InputError

#: A call that runs longer than this is a hang (the limits of the package refuse big work within ~1 s).
HANG_S = 20.0

settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                 HealthCheck.data_too_large])
settings.register_profile("explore", derandomize=False, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                 HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
#: Examples per test are ``examples(n)``: n in the default run, 20 n with ``HYPOTHESIS_PROFILE=explore``.
SCALE = 20 if os.environ.get("HYPOTHESIS_PROFILE") == "explore" else 1


def examples(n):
    return n * SCALE


class Hang(AssertionError):
    pass


def _alarm(signum, frame):
    raise Hang(f"no answer within {HANG_S} s")


def guarded(fn, *args, **kwargs):
    """``("ok", result)`` or ``("input_error", exc)``; anything else raises (a test failure)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_S)
    t0 = time.perf_counter()
    try:
        out = ("ok", fn(*args, **kwargs))
    except InputError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg.strip(), f"InputError message must be one line: {msg!r}"
        out = ("input_error", exc)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    dt = time.perf_counter() - t0
    try:
        event(f"{getattr(fn, '__name__', fn)}: {out[0]}")
    except Exception:  # outside a hypothesis test (a plain parametrised test)
        pass
    if dt > HANG_S:  # a C loop that the alarm could not interrupt
        raise Hang(f"took {dt:.1f} s (> {HANG_S} s)")
    return out


def non_finite_paths(obj, path="result"):
    """Paths of the nan/inf numbers inside ``obj`` (dataclasses, dicts, sequences, arrays, numbers)."""
    out = []
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            out += non_finite_paths(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out += non_finite_paths(v, f"{path}[{k!r}]")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out += non_finite_paths(v, f"{path}[{i}]")
    elif isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc" and not np.all(np.isfinite(obj)):
            out.append(path)
        elif obj.dtype == object:
            for i, v in enumerate(obj.ravel()):
                out += non_finite_paths(v, f"{path}[{i}]")
    elif isinstance(obj, (float, np.floating)) and not math.isfinite(float(obj)):
        out.append(path)
    return out
