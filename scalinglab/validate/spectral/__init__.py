"""Kernels and manifolds validation: linear random features, teacher-student networks, Gram spectra and ID."""

from scalinglab.validate.spectral._linear_rf import (  # noqa: F401
    rf_loss_one_draw,
    simulate_linear_rf,
)
from scalinglab.validate.spectral._experiments import (  # noqa: F401
    RF_REGIMES,
    rf_regime_point,
    rf_draw_cell,
    RFConfig,
    RFCell,
    analyse_rf,
    GramIDConfig,
    GramIDCell,
    gram_id_cell,
    InterpolationConfig,
    InterpolationCell,
    interpolation_cell,
    log_int_grid,
)
from scalinglab.validate.spectral._nets import (  # noqa: F401
    teacher_student_cell,
    TeacherStudentConfig,
    TeacherStudentCell,
    analyse_nets,
)
from scalinglab.validate.spectral._project_data import (  # noqa: F401
    SOURCES,
    project_points,
    project_data_cell,
    ProjectDataConfig,
    ProjectDataCell,
)

__all__ = [
    "rf_loss_one_draw",
    "simulate_linear_rf",
    "RF_REGIMES",
    "rf_regime_point",
    "rf_draw_cell",
    "RFConfig",
    "RFCell",
    "analyse_rf",
    "GramIDConfig",
    "GramIDCell",
    "gram_id_cell",
    "InterpolationConfig",
    "InterpolationCell",
    "interpolation_cell",
    "log_int_grid",
    "teacher_student_cell",
    "TeacherStudentConfig",
    "TeacherStudentCell",
    "analyse_nets",
    "SOURCES",
    "project_points",
    "project_data_cell",
    "ProjectDataConfig",
    "ProjectDataCell",
]
