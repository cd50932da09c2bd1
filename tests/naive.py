"""Slow, readable reference implementations that every kernel is tested against.

Nothing here is clever: loops over explicit tuples, direct formulas, no Numba.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


# --------------------------------------------------------------------------- percolation
def bethe_animals(s_max, z):
    """Enumerate the connected site sets ("animals") containing the origin of a
    Bethe lattice of coordination ``z``, by Redelmeier-style extension on an
    explicit tree of depth ``s_max``.

    Returns ``{s: {t: count}}``: the number of animals of ``s`` sites with
    perimeter (empty neighbours) ``t``. Then ``s n_s = sum_t count p^s (1-p)^t``.
    """
    # explicit tree: node 0 the origin; children lists; depth <= s_max
    children = [[]]
    depth = [0]
    frontier = [0]
    for dep in range(1, s_max + 1):
        new = []
        for v in frontier:
            k = z if v == 0 else z - 1
            for _ in range(k):
                children.append([])
                depth.append(dep)
                children[v].append(len(children) - 1)
                new.append(len(children) - 1)
        frontier = new
    nbrs = [list(c) for c in children]
    for v, cs in enumerate(children):
        for c in cs:
            nbrs[c].append(v)
    counts = {}

    def perimeter(animal):
        per = set()
        for v in animal:
            for w in nbrs[v]:
                if w not in animal:
                    per.add(w)
        # nodes at the depth limit have unseen neighbours too: add their missing degree
        missing = sum(z - len(nbrs[v]) for v in animal)
        return len(per) + missing

    def extend(animal, untried, excluded):
        s = len(animal)
        t = perimeter(animal)
        counts.setdefault(s, {}).setdefault(t, 0)
        counts[s][t] += 1
        if s == s_max:
            return
        untried = list(untried)
        excluded = set(excluded)
        while untried:
            v = untried.pop()
            excluded.add(v)
            new_animal = animal | {v}
            new_untried = untried + [w for w in nbrs[v] if w not in new_animal and w not in excluded
                                     and all(w not in nbrs[u] for u in animal)]
            extend(new_animal, new_untried, excluded)

    extend({0}, list(nbrs[0]), {0})
    return counts


def bfs_label(occ):
    """Label nearest-neighbour clusters of a boolean d-dim array by breadth-first search.

    Labels ``1..K`` in C (raster) order of each cluster's first site; 0 = empty.
    """
    occ = np.asarray(occ, dtype=bool)
    labels = np.zeros(occ.shape, dtype=np.int64)
    nlab = 0
    for idx in itertools.product(*(range(n) for n in occ.shape)):
        if occ[idx] and labels[idx] == 0:
            nlab += 1
            labels[idx] = nlab
            queue = [idx]
            while queue:
                cur = queue.pop()
                for k in range(occ.ndim):
                    for dlt in (-1, 1):
                        nb = list(cur)
                        nb[k] += dlt
                        nb = tuple(nb)
                        if 0 <= nb[k] < occ.shape[k] and occ[nb] and labels[nb] == 0:
                            labels[nb] = nlab
                            queue.append(nb)
    return labels, nlab


def leath_sizes(n, p, z, cap, rng):
    """Plain-Python Leath growth: examine every empty neighbour slot one by one."""
    out = []
    for _ in range(n):
        size, slots = 1, z
        while slots > 0 and size < cap:
            slots -= 1
            if rng.random() < p:
                size += 1
                slots += z - 1
        out.append(min(size, cap))
    return np.array(out)


def embed_tree(parent, steps):
    """x[i] = x[parent[i]] + steps[i], roots at their own step."""
    x = np.zeros_like(steps, dtype=float)
    for i, q in enumerate(parent):
        x[i] = steps[i] if q < 0 else x[q] + steps[i]
    return x
