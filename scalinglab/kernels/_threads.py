"""Serial twins of the parallel kernels: small jobs run on the calling thread.

On a shared 2-core machine, starting Numba's OpenMP thread team and waiting at its barrier costs
0.05-15 ms (the team spins while the other core runs someone else's work; issue 22 measured an eps sum
taking 0.022 ms on one thread and 2.8-7 ms on two). Each parallel kernel therefore also exists
compiled without ``parallel=True`` (``prange`` then is ``range``: the same numbers in the same order),
and its public wrapper picks the serial one below a work threshold measured in
``benchmarks/bench_kernels.py``. No environment variable is needed.
"""

from __future__ import annotations

import types

import numba
from numba import njit

__all__ = ["twins", "use_parallel"]


def twins(pyfunc):
    """``(parallel, serial)`` dispatchers of one Python function holding a ``prange`` loop.

    The serial one compiles a renamed copy, so that the two never share an on-disk cache entry.
    """
    par = njit(cache=True, parallel=True)(pyfunc)
    copy = types.FunctionType(pyfunc.__code__, pyfunc.__globals__, pyfunc.__name__ + "_serial",
                              pyfunc.__defaults__, pyfunc.__closure__)
    copy.__qualname__ = pyfunc.__qualname__ + "_serial"
    copy.__doc__ = pyfunc.__doc__
    return par, njit(cache=True)(copy)


def use_parallel(work, threshold):
    """Whether ``work`` (in the kernel's own units) is worth the thread team."""
    return work >= threshold and numba.get_num_threads() > 1
