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
    TOY_CONFIG,
    TOY_EXPERIMENTS,
    toy_cell,
    fit_toy,
    plot_toy,
    run_toy,
    theory_curves,
    plot_theory,
    run_theory,
)

__all__ = [
    "ClusterDataset",
    "make_cluster_dataset",
    "nn_loss",
    "data_scaling_loss",
    "model_prototypes",
    "model_scaling_loss",
    "TOY_CONFIG",
    "TOY_EXPERIMENTS",
    "toy_cell",
    "fit_toy",
    "plot_toy",
    "run_toy",
    "theory_curves",
    "plot_theory",
    "run_theory",
]
