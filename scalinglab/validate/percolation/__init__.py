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

# Brill's toy experiment as he ran it (issue 13); appended, kept apart from the ported experiments above
from scalinglab.validate.percolation._brill_toy import (  # noqa: E402,F401
    BrillData,
    brill_data,
    BrillToyConfig,
    BRILL_TOY_QUICK,
    BRILL_TOY_FULL,
    BRILL_REPORTED,
    BrillClusters,
    brill_clusters,
    brill_losses,
    ScaleFactors,
    brill_scale_factors,
    brill_p_train,
    brill_toy_cells,
    brill_toy_cell,
    brill_toy_clusters_row,
    brill_toy_run_seed,
    BrillToyAnalysis,
    brill_toy_analyse,
    brill_toy_theory,
    brill_fig5_chunk,
    brill_fig5_predicted,
    brill_fig5_summary,
    brill_fig5,
)

__all__ += [
    "BrillData",
    "brill_data",
    "BrillToyConfig",
    "BRILL_TOY_QUICK",
    "BRILL_TOY_FULL",
    "BRILL_REPORTED",
    "BrillClusters",
    "brill_clusters",
    "brill_losses",
    "ScaleFactors",
    "brill_scale_factors",
    "brill_p_train",
    "brill_toy_cells",
    "brill_toy_cell",
    "brill_toy_clusters_row",
    "brill_toy_run_seed",
    "BrillToyAnalysis",
    "brill_toy_analyse",
    "brill_toy_theory",
    "brill_fig5_chunk",
    "brill_fig5_predicted",
    "brill_fig5_summary",
    "brill_fig5",
]

# Brill's figures 2-5 and the hypercubic-lattice experiment (issue 13)
from scalinglab.validate.percolation._brill_figures import (  # noqa: E402,F401
    BRILL_CDS,
    brill_fig2,
    brill_fig3,
    brill_fig4,
    plot_brill_fig2,
    plot_brill_fig3,
    plot_brill_fig4,
    plot_brill_fig5,
)
from scalinglab.validate.percolation._lattice import (  # noqa: E402,F401
    LATTICE_FULL,
    LATTICE_QUICK,
    LatticeGrid,
    LatticeConfig,
    LatticeCell,
    lattice_config,
    lattice_cells,
    lattice_cell,
    lattice_analyse,
    lattice_fig4_measured,
)

__all__ += [
    "BRILL_CDS",
    "brill_fig2",
    "brill_fig3",
    "brill_fig4",
    "plot_brill_fig2",
    "plot_brill_fig3",
    "plot_brill_fig4",
    "plot_brill_fig5",
    "LATTICE_FULL",
    "LATTICE_QUICK",
    "LatticeGrid",
    "LatticeConfig",
    "LatticeCell",
    "lattice_config",
    "lattice_cells",
    "lattice_cell",
    "lattice_analyse",
    "lattice_fig4_measured",
]

# the protocol experiments of issue 13: config and cell types (brill-toy uses BrillToyConfig, percolation-lattice
# LatticeConfig / LatticeCell)
from scalinglab.validate.percolation._brill_experiments import (  # noqa: E402,F401
    BrillToyCell,
    BrillCurveConfig,
    BrillFig2Config,
    BrillFig3Config,
    BrillCurveCell,
    BrillFig4Config,
    BrillFig5Config,
    BrillFig5Cell,
)

__all__ += [
    "BrillToyCell",
    "BrillCurveConfig",
    "BrillFig2Config",
    "BrillFig3Config",
    "BrillCurveCell",
    "BrillFig4Config",
    "BrillFig5Config",
    "BrillFig5Cell",
]

# issue 23: Brill's toy with the loss exponent c and p as parameters (registers ``brill-regimes``)
from scalinglab.validate.percolation._brill_regimes import BrillRegimesCell, BrillRegimesConfig  # noqa: E402,F401

__all__ += ["BrillRegimesCell", "BrillRegimesConfig"]
