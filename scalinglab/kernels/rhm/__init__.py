"""Numba kernels of the RHM: path-spectrum grouping, decay sums, the sampler."""

from scalinglab.kernels.rhm._paths import (  # noqa: F401
    multiset_groups,
    multiset_groups_wide,
    multiset_multiplicities,
    group_sorted_keys,
    merge_sorted_values,
    binned_convolve,
)
from scalinglab.kernels.rhm._sums import (  # noqa: F401
    decay_sum,
    log_decay_sum,
    seen_paths_pmf,
)
from scalinglab.kernels.rhm._sample import (  # noqa: F401
    make_rules,
    pack_rules,
    check_unambiguous,
    n_nodes,
    level_offsets,
    sample,
    sample_numpy,
    expand,
    path_ranks,
    path_keys,
    path_log_freq,
    uniform01,
)
from scalinglab.kernels.rhm._distinct import (  # noqa: F401
    datum_keys,
    decode_keys,
    unseen_tree,
    unseen_mass,
    sample_unseen,
    unseen_log_prob,
)

__all__ = [
    "multiset_groups",
    "multiset_groups_wide",
    "multiset_multiplicities",
    "group_sorted_keys",
    "merge_sorted_values",
    "binned_convolve",
    "decay_sum",
    "log_decay_sum",
    "seen_paths_pmf",
    "make_rules",
    "pack_rules",
    "check_unambiguous",
    "n_nodes",
    "level_offsets",
    "sample",
    "sample_numpy",
    "expand",
    "path_ranks",
    "path_keys",
    "path_log_freq",
    "uniform01",
    "datum_keys",
    "decode_keys",
    "unseen_tree",
    "unseen_mass",
    "sample_unseen",
    "unseen_log_prob",
]
