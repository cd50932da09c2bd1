"""Numba kernels of percolation: Bethe-lattice growth, tree embedding, lattice labelling."""

from scalinglab.kernels.percolation._brill_toy import (  # noqa: F401
    grow_brill_clusters,
    tree_depths,
    tree_nearest,
    brill_cluster_losses,
)
from scalinglab.kernels.percolation._newman_ziff import newman_ziff  # noqa: F401
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
    "grow_brill_clusters",
    "tree_depths",
    "tree_nearest",
    "brill_cluster_losses",
    "newman_ziff",
]
