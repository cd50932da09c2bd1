"""Kernels and manifolds (Bahri et al. 2021): from a spectrum to a learning curve.

* learning curves from spectra: :func:`eigenlearning_curve`,
  :func:`rf_teacher_student_loss`, :func:`solve_kappa`;
* regimes: :func:`regime_exponents` (variance- and resolution-limited),
  :func:`resolution_limited` (``1/d``, ``4/d``);
* data: :func:`gram_spectrum`, :func:`fit_spectrum`, :func:`twonn`,
  :func:`levina_bickel`, :func:`sample_manifold`;
* sympy derivations: :func:`variance_limited_taylor`, :func:`powerlaw_kappa`, ...

>>> from scalinglab.theory import spectral
>>> spectral.resolution_limited(4).mse_piecewise_linear
1.0
"""

from scalinglab.theory.spectral._learning import (  # noqa: F401
    powerlaw_spectrum,
    solve_kappa,
    EigenlearningCurve,
    eigenlearning_curve,
    RFLoss,
    rf_residual,
    rf_teacher_student_loss,
    powerlaw_asymptote_constant,
    zero_mode_note,
    MAX_MODES,
    MAX_SPECTRAL_WORK,
)
from scalinglab.theory.spectral._regimes import (  # noqa: F401
    RegimeExponents,
    regime_exponents,
    ResolutionBounds,
    resolution_limited,
    nn_distance_mean,
)
from scalinglab.theory.spectral._gram import (  # noqa: F401
    gram_matrix,
    GramSpectrum,
    gram_spectrum,
    SpectrumFit,
    fit_spectrum,
    MAX_GRAM_SAMPLES,
    MAX_GRAM_ENTRIES,
)
from scalinglab.theory.spectral._intrinsic_dim import (  # noqa: F401
    IDEstimate,
    knn_distances,
    twonn,
    levina_bickel,
    sample_manifold,
    TWONN_MIN_POINTS,
    MAX_POINT_BYTES,
)
from scalinglab.theory.spectral._symbolic import (  # noqa: F401
    SymbolicResult,
    variance_limited_taylor,
    powerlaw_kappa,
    eigenlearning_identity,
    piecewise_linear_mse,
)

__all__ = [
    "powerlaw_spectrum",
    "solve_kappa",
    "EigenlearningCurve",
    "eigenlearning_curve",
    "RFLoss",
    "rf_residual",
    "rf_teacher_student_loss",
    "powerlaw_asymptote_constant",
    "zero_mode_note",
    "MAX_MODES",
    "MAX_SPECTRAL_WORK",
    "RegimeExponents",
    "regime_exponents",
    "ResolutionBounds",
    "resolution_limited",
    "nn_distance_mean",
    "gram_matrix",
    "GramSpectrum",
    "gram_spectrum",
    "SpectrumFit",
    "fit_spectrum",
    "MAX_GRAM_SAMPLES",
    "MAX_GRAM_ENTRIES",
    "IDEstimate",
    "knn_distances",
    "twonn",
    "levina_bickel",
    "sample_manifold",
    "TWONN_MIN_POINTS",
    "MAX_POINT_BYTES",
    "SymbolicResult",
    "variance_limited_taylor",
    "powerlaw_kappa",
    "eigenlearning_identity",
    "piecewise_linear_mse",
]
