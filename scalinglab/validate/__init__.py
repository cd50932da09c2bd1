"""Data sets, torch models, training, sweeps, comparisons and plots.

torch is needed only by the modules that train networks (the ``validate``
extra); results, sweeps, reports and plots work without it.
"""
