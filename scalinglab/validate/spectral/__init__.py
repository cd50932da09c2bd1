"""Kernels and manifolds validation: linear random features, teacher-student networks, Gram spectra and ID."""

from scalinglab.validate.spectral._linear_rf import (  # noqa: F401
    rf_loss_one_draw,
    simulate_linear_rf,
)
from scalinglab.validate.spectral._experiments import (  # noqa: F401
    RF_REGIMES,
    rf_regime_point,
    rf_draw_cell,
    rf_cells,
    analyse_rf,
    run_rf_regimes,
    gram_id_cell,
    run_gram_id,
    interpolation_cell,
    run_interpolation,
)
from scalinglab.validate.spectral._nets import (  # noqa: F401
    teacher_student_cell,
    net_cells,
    analyse_nets,
    resolve_device,
    run_teacher_student,
)
from scalinglab.validate.spectral._project_data import (  # noqa: F401
    SOURCES,
    project_points,
    project_data_cell,
)

__all__ = [
    "rf_loss_one_draw",
    "simulate_linear_rf",
    "RF_REGIMES",
    "rf_regime_point",
    "rf_draw_cell",
    "rf_cells",
    "analyse_rf",
    "run_rf_regimes",
    "gram_id_cell",
    "run_gram_id",
    "interpolation_cell",
    "run_interpolation",
    "teacher_student_cell",
    "net_cells",
    "analyse_nets",
    "resolve_device",
    "run_teacher_student",
    "SOURCES",
    "project_points",
    "project_data_cell",
]
