"""Real data that ship inside packages (no download at run time), as arrays and as files.

* scikit-learn's digits (1797 images of 8 x 8 pixels, ``sklearn.datasets.load_digits``);
* wordfreq's word-frequency lists (``wordfreq.get_frequency_dict(LANG, "large")``), as frequencies or as a
  multinomial sample of tokens drawn from them;
* cluster sizes of 2-d site percolation at the critical point (exact ``tau = 187/91``), made here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scalinglab.errors import InputError

__all__ = ["digits", "wordfreq_frequencies", "wordfreq_sample", "percolation_sizes", "example_file", "EXAMPLES"]

EXAMPLES = ("digits", "wordfreq-LANG", "percolation-2d")
#: 2-d site percolation threshold (square lattice), Newman & Ziff 2000.
PC_SQUARE = 0.592746


def digits():
    """``(X, y)``: scikit-learn's digits, 1797 x 64 pixel intensities (0..16) and the digit 0..9.

    Examples
    --------
    >>> X, y = digits()
    >>> X.shape, sorted(set(y.tolist()))[:3]
    ((1797, 64), [0, 1, 2])
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise InputError("the digits example needs scikit-learn: pip install scikit-learn "
                         "(or pip install \"scalinglab[data]\")") from None
    X, y = load_digits(return_X_y=True)
    return X.astype(float), y.astype(np.int64)


def wordfreq_frequencies(lang, wordlist="large"):
    """``(words, frequencies)`` of wordfreq's list for ``lang``, most frequent first.

    Examples
    --------
    >>> w, f = wordfreq_frequencies("en")
    >>> str(w[0]), bool(f[0] > f[1] > 0)
    ('the', True)
    """
    try:
        import wordfreq
    except ImportError:
        raise InputError("the wordfreq examples need wordfreq: pip install wordfreq "
                         "(or pip install \"scalinglab[data]\")") from None
    if lang not in wordfreq.available_languages(wordlist):
        raise InputError(f"wordfreq has no {wordlist!r} list for {lang!r}; available: "
                         f"{', '.join(sorted(wordfreq.available_languages(wordlist)))}")
    d = wordfreq.get_frequency_dict(lang, wordlist)
    words = np.array(list(d.keys()))
    f = np.array(list(d.values()), dtype=float)
    order = np.argsort(-f, kind="stable")
    return words[order], f[order]


def wordfreq_sample(lang, n_tokens=10**6, seed=0, wordlist="large"):
    """``(words, counts)``: a multinomial sample of ``n_tokens`` tokens from wordfreq's list (types with count 0
    dropped), as a researcher's corpus of that size would give.

    Examples
    --------
    >>> w, c = wordfreq_sample("en", n_tokens=10_000)
    >>> int(c.sum()), str(w[0])
    (10000, 'the')
    """
    words, f = wordfreq_frequencies(lang, wordlist)
    c = np.random.default_rng(seed).multinomial(int(n_tokens), f / f.sum())
    keep = c > 0
    words, c = words[keep], c[keep]
    order = np.argsort(-c, kind="stable")
    return words[order], c[order]


def percolation_sizes(L=1024, seed=0):
    """Cluster sizes of site percolation on an ``L x L`` square lattice at ``p_c = 0.592746`` (free boundaries).

    Examples
    --------
    >>> s = percolation_sizes(64)
    >>> bool(s.min() >= 1), s.dtype
    (True, dtype('int64'))
    """
    from scalinglab.theory.percolation import lattice_clusters

    _, sizes = lattice_clusters((int(L), int(L)), PC_SQUARE, seed=int(seed))
    return np.asarray(sizes, dtype=np.int64)


def example_file(name, folder):
    """Write the example ``name`` into ``folder`` as a file and return its path.

    ``digits`` -> ``digits.csv`` (64 pixel columns and ``digit``); ``wordfreq-LANG`` -> ``wordfreq-LANG.tsv``
    (a 10^6-token sample: word, count); ``percolation-2d`` -> ``percolation-2d.txt`` (one size per line).

    Examples
    --------
    >>> example_file("percolation-2d", "ex").name
    'percolation-2d.txt'
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if name == "digits":
        X, y = digits()
        p = folder / "digits.csv"
        header = ",".join([f"px{i}" for i in range(X.shape[1])] + ["digit"])
        np.savetxt(p, np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt="%g")
        return p
    if name.startswith("wordfreq-"):
        words, c = wordfreq_sample(name.split("-", 1)[1])
        p = folder / f"{name}.tsv"
        p.write_text("word\tcount\n" + "".join(f"{w}\t{k}\n" for w, k in zip(words, c)), encoding="utf-8")
        return p
    if name == "percolation-2d":
        p = folder / "percolation-2d.txt"
        np.savetxt(p, percolation_sizes(), fmt="%d")
        return p
    raise InputError(f"unknown example {name!r}; use example:digits, example:wordfreq-LANG (e.g. wordfreq-en) "
                     "or example:percolation-2d")
