"""Zipf Random Hierarchy Model: the path theory.

Definitions (also in the user guide): a model is an :class:`RHMSpec` (``n_c``
classes, vocabulary ``v``, ``m`` rules per symbol, tuple size ``s``, depth
``L``, a rule-probability law per level). A *path* of one input position is
``(class, i_1, ..., i_L)``, the ranks of the rules chosen from the root to that
patch; its frequency is ``(1/n_c) prod_l f^(l)_{i_l}``.

* spectrum and exponents: :func:`path_spectrum`, :func:`alpha_prime`,
  :func:`alpha_c`, :func:`alpha_c_table`;
* learning curve: :func:`learning_curve` (``eps(P) = sum f (1-f)^P``),
  :func:`eps_position_free`;
* seen paths: :func:`seen_paths_distribution`, :func:`split_accuracy_model`,
  :func:`split_model_error` (the split model along a learning curve);
* asymptotic learning curve (sympy, m -> oo): :func:`asymptotic_learning_curve`
  (``eps ~ A P^-(alpha/(1+alpha)) (ln P)^(L-1) (1 + B/ln P + ...)``),
  :func:`asymptotic_learning_curve_levels` (per-level exponents);
* regime map: :func:`rhm_regime_map` (P windows of alpha/(1+alpha), alpha'/(1+alpha'), P*),
  :func:`asymptotic_m_threshold`, :func:`eps_large_m` (any m, levels binned analytically);
* symbolic checks (sympy): :func:`hutter_learning_curve`,
  :func:`piltz_main_term`, :func:`product_zipf_effective_exponent`.

>>> from scalinglab.theory import rhm
>>> round(rhm.alpha_c(10, 3).alpha_c, 3)
0.316
"""

from scalinglab.theory.rhm._spec import (  # noqa: F401
    RHMSpec,
    zipf_probs,
    zipf_log_probs,
)
from scalinglab.theory.rhm._spectrum import (  # noqa: F401
    PathSpectrum,
    path_spectrum,
    spectrum_size,
    AlphaPrimeFit,
    alpha_prime,
    log_uniform_ranks,
    LocalExponent,
    local_alpha_prime,
    alpha_prime_at,
    AlphaCritical,
    alpha_c,
    AlphaCriticalTable,
    alpha_c_table,
    parse_window,
    MAX_GROUPS,
    BIN_WIDTH,
)
from scalinglab.theory.rhm._learning_curve import (  # noqa: F401
    LearningCurve,
    learning_curve,
    predicted_exponent,
    eps_position_free,
    eps_of_spectrum,
)
from scalinglab.theory.rhm._seen import (  # noqa: F401
    SplitModel,
    split_accuracy_model,
    SeenPathsDistribution,
    seen_paths_distribution,
    sample_derivations,
    SplitModelCurve,
    split_model_error,
)
from scalinglab.theory.rhm._asymptotics import (  # noqa: F401
    AsymptoticCurve,
    asymptotic_learning_curve,
    LevelsAsymptote,
    asymptotic_learning_curve_levels,
    zipf_normaliser,
)
from scalinglab.theory.rhm._regime import (  # noqa: F401
    RegimeMap,
    rhm_regime_map,
    MThreshold,
    asymptotic_m_threshold,
    zipf_level_histogram,
    eps_large_m,
)
from scalinglab.theory.rhm._symbolic import (  # noqa: F401
    HutterCurve,
    hutter_learning_curve,
    zipf_seen_error,
    PiltzMainTerm,
    piltz_main_term,
    zeta_laurent,
    ProductZipfExponent,
    product_zipf_effective_exponent,
)

__all__ = [
    "AsymptoticCurve",
    "asymptotic_learning_curve",
    "LevelsAsymptote",
    "asymptotic_learning_curve_levels",
    "zipf_normaliser",
    "RegimeMap",
    "rhm_regime_map",
    "MThreshold",
    "asymptotic_m_threshold",
    "zipf_level_histogram",
    "eps_large_m",
    "RHMSpec",
    "zipf_probs",
    "zipf_log_probs",
    "PathSpectrum",
    "path_spectrum",
    "spectrum_size",
    "AlphaPrimeFit",
    "alpha_prime",
    "log_uniform_ranks",
    "LocalExponent",
    "local_alpha_prime",
    "alpha_prime_at",
    "AlphaCritical",
    "alpha_c",
    "AlphaCriticalTable",
    "alpha_c_table",
    "parse_window",
    "MAX_GROUPS",
    "BIN_WIDTH",
    "LearningCurve",
    "learning_curve",
    "predicted_exponent",
    "eps_position_free",
    "eps_of_spectrum",
    "SplitModel",
    "split_accuracy_model",
    "SeenPathsDistribution",
    "seen_paths_distribution",
    "sample_derivations",
    "SplitModelCurve",
    "split_model_error",
    "HutterCurve",
    "hutter_learning_curve",
    "zipf_seen_error",
    "PiltzMainTerm",
    "piltz_main_term",
    "zeta_laurent",
    "ProductZipfExponent",
    "product_zipf_effective_exponent",
]
