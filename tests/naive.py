"""Slow, readable reference implementations that every kernel is tested against.

Nothing here is clever: loops over explicit tuples, direct formulas, no Numba.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
