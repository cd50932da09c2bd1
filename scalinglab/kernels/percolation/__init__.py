"""Numba kernels of percolation: Bethe-lattice growth, tree embedding, lattice labelling."""

from scalinglab.kernels.percolation._clusters import (  # noqa: F401
    bethe_cluster_sizes,
    bethe_forest,
    embed_tree,
    label_clusters,
)

__all__ = [
    "bethe_cluster_sizes",
    "bethe_forest",
    "embed_tree",
    "label_clusters",
]
