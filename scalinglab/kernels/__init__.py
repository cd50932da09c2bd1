"""Numba hot loops only: plain arrays in, arrays out, no policy.

Grouped by area: :mod:`scalinglab.kernels.rhm`, :mod:`scalinglab.kernels.percolation`.
Nothing here imports the rest of scalinglab. Every kernel has a slow, readable reference implementation in
``tests/naive.py`` and is tested against it.
"""
