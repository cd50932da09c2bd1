"""Numba kernels: hot loops only, plain arrays in and arrays out, no policy.

Every kernel here has a slow, readable reference implementation in
``tests/naive.py`` and is tested against it.
"""
