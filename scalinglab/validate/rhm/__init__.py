"""Zipf RHM validation: data, training runs against the path theory, reproductions of the seed's figures."""

from scalinglab.validate.rhm._data import (  # noqa: F401
    RHMData,
    Batch,
    seen_paths,
    TEST_START,
    onehot,
    SAMPLING,
)
from scalinglab.validate.rhm._runs import (  # noqa: F401
    BASE,
    RHMSizes,
    Net,
    Curve,
    RHMRun,
    run_block,
    curve_cells,
    by_P,
    alpha_label,
)
from scalinglab.validate.rhm._engine import (  # noqa: F401
    train_cells,
)
from scalinglab.validate.rhm._experiments import (  # noqa: F401
    RHMSweep,
    onset,
    path_scale,
    split_table,
    exponent_table,
)
from scalinglab.validate.rhm._width import (  # noqa: F401
    WidthConfig,
    converged_width,
    paired_exponent_difference,
    width_table,
    width_note,
    CONVERGED_WIDTH,
)
from scalinglab.validate.rhm._theory_figures import (  # noqa: F401
    zipf_paths_figure,
    alpha_prime_figure,
    eps_figure,
    fig2_configs,
    drop_scale,
)

__all__ = [
    "RHMData",
    "Batch",
    "seen_paths",
    "TEST_START",
    "onehot",
    "SAMPLING",
    "BASE",
    "RHMSizes",
    "Net",
    "Curve",
    "RHMRun",
    "run_block",
    "curve_cells",
    "by_P",
    "train_cells",
    "alpha_label",
    "RHMSweep",
    "onset",
    "path_scale",
    "split_table",
    "exponent_table",
    "WidthConfig",
    "converged_width",
    "paired_exponent_difference",
    "width_table",
    "width_note",
    "CONVERGED_WIDTH",
    "zipf_paths_figure",
    "alpha_prime_figure",
    "eps_figure",
    "fig2_configs",
    "drop_scale",
]
