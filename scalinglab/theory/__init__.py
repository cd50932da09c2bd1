"""Predictions: closed forms, spectra, exponents and sympy checks.

One namespace per area; theory functions return named results (frozen
dataclasses inheriting :class:`scalinglab._results.Result`: short repr,
``str`` text, strict-JSON ``to_dict``, ``to_frame``, ``plot`` for curves) that
state the definitions, windows and methods behind every number.

>>> from scalinglab.theory import rhm, percolation, spectral
>>> round(rhm.alpha_c(10, 3).alpha_c, 3)
0.316

Areas
-----
rhm
    Zipf Random Hierarchy Model: path spectrum, alpha', alpha_c, eps(P), seen paths.
percolation
    Bethe-lattice percolation and Brill's quanta/manifold scaling model.
spectral
    Kernels and manifolds (Bahri et al.): eigenlearning, random features, regimes, Gram spectra, ID.
data
    The theories applied to a researcher's own data: tokens, feature matrices, cluster sizes.
fitting
    Power-law fits with explicit windows and methods: OLS, bootstrap over seeds
    (scipy.stats.bootstrap), discrete power-law MLE with likelihood-ratio intervals.
"""

from scalinglab.theory import data, fitting, percolation, rhm, spectral  # noqa: F401

__all__ = ["rhm", "percolation", "spectral", "data", "fitting"]
