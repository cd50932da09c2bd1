"""Percolation validation: cluster data sets and Brill's toy experiment."""

from scalinglab.validate.percolation._data import (  # noqa: F401
    ClusterDataset,
    make_cluster_dataset,
    nn_loss,
    data_scaling_loss,
    model_prototypes,
    model_scaling_loss,
)
from scalinglab.validate.percolation._experiments import (  # noqa: F401
    ClusterSet,
    ToySweep,
    ToyConfig,
    ToyCell,
    toy_cell,
    fit_toy,
    TheoryConfig,
    TheoryCell,
    theory_cell,
)

__all__ = [
    "ClusterDataset",
    "make_cluster_dataset",
    "nn_loss",
    "data_scaling_loss",
    "model_prototypes",
    "model_scaling_loss",
    "ClusterSet",
    "ToySweep",
    "ToyConfig",
    "ToyCell",
    "toy_cell",
    "fit_toy",
    "TheoryConfig",
    "TheoryCell",
    "theory_cell",
]
