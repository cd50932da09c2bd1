"""Slow, readable reference implementations that every kernel is tested against.

Nothing here is clever: loops over explicit tuples, direct formulas, no Numba.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


# --------------------------------------------------------------------------- RHM sampler (issue 3)
_M64 = (1 << 64) - 1


def splitmix64(x):
    """One splitmix64 step on a Python int (mod 2**64)."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def rhm_uniform(seed, i, k):
    """Uniform k of datum i of the counter-based stream ``seed`` (see kernels/rhm_sample.py)."""
    inner = splitmix64((i * 0x100000001B3 + k) & _M64)
    h = splitmix64((seed & _M64) ^ inner)
    return (h >> 11) / 9007199254740992.0


def rhm_sample(rules, n_c, probs, n, seed, start=0):
    """Pure-Python RHM sampler, recursive (depth first), same random stream.

    Returns (x, y, ranks, keys): inputs, labels, derivations (level by level,
    breadth-first order) and the path key of every patch, the key built along
    the recursion: ``key = ((c*m + i_1)*m + i_2)...``.
    """
    L = len(rules)
    m, s = rules[0].shape[1], rules[0].shape[2]
    xs, ys, rks, kss = [], [], [], []
    for i in range(start, start + n):
        c = min(int(rhm_uniform(seed, i, 0) * n_c), n_c - 1)
        # breadth-first index of node (level l, position q) is s**0+...+s**(l-2) + q
        ranks = {}

        def draw(level, q):
            col = sum(s**t for t in range(level - 1)) + q
            u = rhm_uniform(seed, i, 1 + col)
            acc = 0.0
            for r in range(m):
                acc += probs[level - 1][r]
                if u < acc or r == m - 1:
                    ranks[col] = r
                    return r

        leaves, keys = [], []

        def grow(level, q, symbol, key):
            r = draw(level, q)
            tup = [int(t) for t in rules[level - 1][symbol][r]]
            key = key * m + r
            if level == L:
                leaves.extend(tup)
                keys.append(key)
                return
            for t, sym in enumerate(tup):
                grow(level + 1, q * s + t, sym, key)

        grow(1, 0, c, c)
        xs.append(leaves)
        ys.append(c)
        rks.append([ranks[col] for col in range(len(ranks))])
        kss.append(keys)
    return (np.array(xs, dtype=np.int64), np.array(ys, dtype=np.int64), np.array(rks, dtype=np.int64),
            np.array(kss, dtype=np.int64))


def rhm_all_path_freqs(probs, n_c):
    """Frequencies of all n_c * m**L paths of one position, by explicit enumeration."""
    L, m = len(probs), len(probs[0])
    out = []
    for c in range(n_c):
        for ranks in itertools.product(range(m), repeat=L):
            f = 1.0 / n_c
            for l, r in enumerate(ranks):
                f *= probs[l][r]
            out.append(f)
    return np.array(out)


def rhm_seen_error(probs, n_c, P):
    """Hutter's sum eps(P) = sum over paths f (1-f)**P, term by term."""
    return float(sum(f * (1.0 - f) ** P for f in rhm_all_path_freqs(probs, n_c)))
def batch_order(seed, epoch, P):
    """Run ``seed``'s order of its P training data in ``epoch`` (validate/train.py), with Python ints.

    Keys ``h = splitmix64(splitmix64(seed) ^ epoch)``, ``a = h mod 2**32``,
    ``b = h >> 32``; datum j gets ``mix32(mix32(j ^ a) ^ b)`` and the data are
    visited in increasing key order.
    """
    def mix32(x):
        x = (((x >> 16) ^ x) * 0x45D9F3B) & 0xFFFFFFFF
        x = (((x >> 16) ^ x) * 0x45D9F3B) & 0xFFFFFFFF
        return (x >> 16) ^ x

    h = splitmix64(splitmix64(seed & _M64) ^ epoch)
    a, b = h & 0xFFFFFFFF, h >> 32
    return sorted(range(P), key=lambda j: mix32(mix32(j ^ a) ^ b))


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

# ----------------------------------------------------------------------------- RHM paths
def rhm_all_path_logf(spec):
    """ln prod_l f^(l)_{i_l} of every one of the m**L rank tuples, explicitly."""
    logs = [np.log(spec.level_probs(l)) for l in range(1, spec.L + 1)]
    return np.array([sum(logs[l][i] for l, i in enumerate(t))
                     for t in itertools.product(range(spec.m), repeat=spec.L)])


def rhm_spectrum(spec, decimals=10):
    """Distinct per-class path log-frequencies (descending) and multiplicities,
    by enumerating all tuples and grouping values equal to ``decimals``."""
    lf = rhm_all_path_logf(spec)
    vals, counts = np.unique(np.round(lf, decimals), return_counts=True)
    return vals[::-1], counts[::-1]


def product_counts_dp(m, L):
    """{rank product: number of ordered L-tuples in [1..m]^L}, by a dict DP."""
    d = {1: 1}
    for _ in range(L):
        nd = {}
        for k, c in d.items():
            for i in range(1, m + 1):
                nd[k * i] = nd.get(k * i, 0) + c
        d = nd
    return d


def eps_direct(spec, P):
    """sum over all n_c*m**L paths of f (1-f)**P, with f = prod f / n_c, by
    explicit tuples and Python floats (pow, no log space)."""
    f = np.exp(rhm_all_path_logf(spec)) / spec.n_c
    return np.array([spec.n_c * sum(fi * (1.0 - fi) ** p for fi in f) for p in np.atleast_1d(P)])


def alpha_prime_fit(spec, lo, hi, n_points):
    """alpha' by OLS on the explicitly sorted list of all m**L values."""
    lf = np.sort(rhm_all_path_logf(spec))[::-1]
    r = np.clip(np.rint(np.geomspace(lo, hi, n_points)), math.ceil(lo), math.floor(hi))
    y = lf[r.astype(int) - 1]
    return -np.polyfit(np.log(r), y, 1)[0] - 1


def rhm_derivations(spec):
    """Every derivation (tuple of 0-based ranks, level by level) with its probability."""
    n_nodes = sum(spec.s**l for l in range(spec.L))
    probs = [spec.level_probs(l) for l in range(1, spec.L + 1)]
    level_of = [l for l in range(spec.L) for _ in range(spec.s**l)]
    out = []
    for t in itertools.product(range(spec.m), repeat=n_nodes):
        out.append((t, math.prod(probs[level_of[k]][r] for k, r in enumerate(t))))
    return out


def rhm_path_keys(spec, derivation):
    """Path of each of the K patches: tuple of the ranks on the branch root -> patch j."""
    offs = np.cumsum([0] + [spec.s**l for l in range(spec.L)])
    keys = []
    for j in range(spec.K):
        key = []
        for l in range(spec.L):
            node = j // spec.s ** (spec.L - 1 - l)
            key.append(derivation[offs[l] + node])
        keys.append(tuple(key))
    return keys


def position_free_match_probs(spec):
    """For every rank tuple (class 0), the probability that one random datum
    contains that path at any position, by enumerating all derivations."""
    derivs = rhm_derivations(spec)
    out = []
    for t in itertools.product(range(spec.m), repeat=spec.L):
        q = sum(p for d, p in derivs if tuple(t) in rhm_path_keys(spec, d))
        out.append(q / spec.n_c)
    return np.array(out)


def seen_count_pmf_bruteforce(spec, test_derivation, P):
    """Distribution of the number of seen paths of one test datum (class 0),
    by enumerating every ordered training set of P data (class, derivation)."""
    derivs = rhm_derivations(spec)
    test_keys = rhm_path_keys(spec, test_derivation)
    data = [(c, rhm_path_keys(spec, d), p / spec.n_c) for c in range(spec.n_c) for d, p in derivs]
    pmf = np.zeros(spec.K + 1)
    for combo in itertools.product(range(len(data)), repeat=P):
        prob = 1.0
        seen = [False] * spec.K
        for i in combo:
            c, keys, p = data[i]
            prob *= p
            if c == 0:
                for j in range(spec.K):
                    if keys[j] == test_keys[j]:
                        seen[j] = True
        pmf[sum(seen)] += prob
    return pmf


# ----------------------------------------------------------------------------- Brill's toy (issue 13)
def tree_nearest_bfs(parent, train, queries):
    """Nearest training site of each query by breadth-first search over the tree (adjacency lists).

    Returns (dist, nearest) with ties broken by the smallest index.
    """
    n = len(parent)
    adj = [[] for _ in range(n)]
    for i, q in enumerate(parent):
        if q >= 0:
            adj[i].append(int(q))
            adj[int(q)].append(i)
    is_train = set(int(t) for t in train)
    dist, near = [], []
    for u in queries:
        u = int(u)
        seen = {u: 0}
        frontier = [u]
        d = 0
        while frontier:
            hits = [v for v in frontier if v in is_train]
            if hits:
                break
            d += 1
            nxt = []
            for v in frontier:
                for w in adj[v]:
                    if w not in seen:
                        seen[w] = d
                        nxt.append(w)
            frontier = nxt
        dist.append(d)
        near.append(min(hits))
    return np.array(dist), np.array(near)


def brill_predict(parent, value, train, queries):
    """His estimator: value of the nearest training site / (1 + l/sqrt(s)), 0 without training sites."""
    s = len(parent)
    if len(train) == 0:
        return np.zeros(len(queries))
    d, w = tree_nearest_bfs(parent, train, queries)
    return np.asarray(value)[w] / (1.0 + d / math.sqrt(s))


def grow_bethe_bfs(n_children, p, s_max, rng):
    """One cluster grown breadth-first with a Python deque: parent list (or None if > s_max)."""
    from collections import deque

    parent = [-1]
    queue = deque([0])
    while queue:
        v = queue.popleft()
        k = int(rng.binomial(n_children, p)) + (int(rng.random() < p) if v == 0 else 0)
        if len(parent) + k > s_max:
            return None
        for _ in range(k):
            parent.append(v)
            queue.append(len(parent) - 1)
    return parent


def torus_sweep(d, L, bond, order):
    """Newman-Ziff observables by brute force: after every addition, label the torus by BFS.

    Returns (s_max[n], sum_s2[n], first n wrapping in direction 0 / any / all), n = 0..M. A
    cluster wraps in direction k when BFS reaches one site with two unwrapped coordinates that
    differ along k.
    """
    N = L**d
    M = d * N if bond else N
    coords = list(itertools.product(range(L), repeat=d))
    index = {c: i for i, c in enumerate(coords)}
    smax, s2 = [], []
    first = [M + 1, M + 1, M + 1]
    for n in range(M + 1):
        added = order[:n]
        if bond:
            occ = [True] * N
            bonds = set()
            for b in added:
                i, k = divmod(int(b), d)
                c = list(coords[i])
                c[k] = (c[k] + 1) % L
                j = index[tuple(c)]
                bonds.add((min(i, j), max(i, j), k))
        else:
            occ = [False] * N
            for i in added:
                occ[int(i)] = True
        def neighbours(i):
            c = coords[i]
            for k in range(d):
                for step in (-1, 1):
                    cc = list(c)
                    cc[k] = (cc[k] + step) % L
                    j = index[tuple(cc)]
                    if not occ[j]:
                        continue
                    if bond and (min(i, j), max(i, j), k) not in bonds:
                        continue
                    yield j, k, step
        seen = {}
        sizes = []
        masks = []
        for start in range(N):
            if not occ[start] or start in seen:
                continue
            seen[start] = tuple([0] * d)
            stack = [start]
            size, mask = 0, 0
            while stack:
                v = stack.pop()
                size += 1
                for w, k, step in neighbours(v):
                    pos = list(seen[v])
                    pos[k] += step
                    pos = tuple(pos)
                    if w not in seen:
                        seen[w] = pos
                        stack.append(w)
                    else:
                        for t in range(d):
                            if seen[w][t] != pos[t]:
                                mask |= 1 << t
            sizes.append(size)
            masks.append(mask)
        smax.append(max(sizes) if sizes else 0)
        s2.append(sum(x * x for x in sizes))
        if first[0] > M and any(m & 1 for m in masks):
            first[0] = n
        if first[1] > M and any(masks):
            first[1] = n
        if first[2] > M and any(m == (1 << d) - 1 for m in masks):
            first[2] = n
    return np.array(smax), np.array(s2), first


# --------------------------------------------------------------------------- distinct RHM data (issue 10)
def rhm_datum_key(y, ranks, m):
    """Mixed-radix key of one datum: ``((y*m + r_0)*m + r_1)...``."""
    k = int(y)
    for r in ranks:
        k = k * m + int(r)
    return k


def rhm_all_data(node_probs, n_c):
    """Every datum ``(class, rank at every node)`` of an RHM with its probability, by enumeration."""
    node_probs = np.asarray(node_probs, dtype=float)
    n_nodes, m = node_probs.shape
    out = {}
    for c in range(n_c):
        for rk in itertools.product(range(m), repeat=n_nodes):
            p = 1.0 / n_c
            for i, r in enumerate(rk):
                p *= node_probs[i][r]
            out[(c,) + rk] = p
    return out


def rhm_iid_datum(node_probs, n_c, rng):
    """One i.i.d. datum ``(class, ranks...)`` drawn with ``random.Random`` ``rng``."""
    m = len(node_probs[0])
    return (rng.randrange(n_c),) + tuple(rng.choices(range(m), weights=list(w))[0] for w in node_probs)


def rhm_first_distinct(node_probs, n_c, P, rng):
    """The first P distinct data of an i.i.d. stream, drawing one datum at a time (the definition)."""
    seen, order = set(), []
    while len(order) < P:
        d = rhm_iid_datum(node_probs, n_c, rng)
        if d not in seen:
            seen.add(d)
            order.append(d)
    return order


def ppswor_prob(seq, probs):
    """Probability that successive sampling without replacement (proportional to ``probs``) starts with ``seq``."""
    p, rest = 1.0, 1.0
    for d in seq:
        p *= probs[d] / rest
        rest -= probs[d]
    return p


def rhm_unseen_draws(node_probs, n_c, exclude, n, rng):
    """n i.i.d. data that are not in the set ``exclude``, by rejection (the definition of the test law)."""
    out = []
    while len(out) < n:
        d = rhm_iid_datum(node_probs, n_c, rng)
        if d not in exclude:
            out.append(d)
    return out


# ----------------------------------------------------------------------------- statistics (issue 17)
def exponent_of_mean(x, Y):
    """Exponent (-slope) of the OLS log-log fit of the column mean of Y (n_x, k): the plain formula."""
    lx = [math.log(v) for v in x]
    ly = [math.log(sum(row) / len(row)) for row in Y]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return -sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def exact_seed_bootstrap(x, Y):
    """Every whole-seed resample of the k columns of Y (k**k ordered draws, as multisets with their
    multinomial weights): exponents and probabilities of the exact bootstrap distribution."""
    import itertools
    k = len(Y[0])
    vals, probs = [], []
    for combo in itertools.combinations_with_replacement(range(k), k):
        counts = [combo.count(j) for j in range(k)]
        w = math.factorial(k)
        for c in counts:
            w //= math.factorial(c)
        vals.append(exponent_of_mean(x, [[row[j] for j in combo] for row in Y]))
        probs.append(w / k**k)
    return vals, probs


def per_point_bootstrap_ci(x, Y, n_boot, level, rng):
    """The former, wrong scheme: seeds resampled independently at every x (plain percentile)."""
    Y = np.asarray(Y, dtype=float)
    n, k = Y.shape
    pick = rng.integers(0, k, size=(n_boot, n, k))
    means = np.take_along_axis(np.broadcast_to(Y, (n_boot, n, k)), pick, axis=2).mean(axis=2)
    lx = np.log(np.asarray(x, dtype=float))
    w = (lx - lx.mean()) / ((lx - lx.mean()) ** 2).sum()
    expo = -(np.log(means) @ w)
    a = (1 - level) / 2
    return tuple(np.quantile(expo, [a, 1 - a]))
