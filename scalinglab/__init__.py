"""scalinglab: a numerical theory engine for neural scaling laws rooted in the data distribution.

Subpackages
-----------
theory
    Predictions: closed forms, spectra, exponents and sympy checks.
kernels
    Numba hot loops (plain arrays in, arrays out).
validate
    Data sets, torch models, training, sweeps, comparisons and plots.
"""

__version__ = "0.1.0"

from scalinglab import _numba_cache

_numba_cache.configure()  # before any kernel imports Numba: its cache never lands inside the package
