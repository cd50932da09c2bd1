"""Percolation: exact Bethe-lattice statistics and Brill's scaling model.

* Bethe lattice (site percolation, coordination ``z``): :func:`bethe_stats`,
  :func:`cluster_numbers`, :func:`bethe_exponents`, ...;
* Brill's model (clusters as quanta or as a data manifold):
  :func:`brill_prediction`, :func:`lattice_prediction`, ...;
* sympy derivations of the exponents: :func:`derive_exponents`.

>>> from scalinglab.theory import percolation
>>> percolation.critical_p(3)
0.5
"""

from scalinglab.theory.percolation._bethe import (  # noqa: F401
    TAU,
    SIGMA,
    BETA,
    GAMMA,
    NU,
    FRACTAL_DIM,
    CHEMICAL_DIM,
    critical_p,
    log_cluster_numbers,
    cluster_numbers,
    asymptotic_prefactor,
    cutoff_size,
    branch_finite_prob,
    branch_infinite_prob,
    p_infinity,
    mean_cluster_size,
    cluster_moment,
    size_biased_pmf,
    BetheStats,
    bethe_stats,
    BetheExponents,
    bethe_exponents,
    lattice_clusters,
)
from scalinglab.theory.percolation._brill import (  # noqa: F401
    quanta_zipf_alpha,
    BrillPrediction,
    brill_prediction,
    theory_loss_vs_model_size,
    theory_loss_vs_data_size,
    LATTICE_EXPONENTS,
    lattice_prediction,
    unlearned_fraction_data,
    unlearned_fraction_model,
)
from scalinglab.theory.percolation._symbolic import (  # noqa: F401
    stirling_log_ns,
    derive_tau,
    derive_sigma,
    derive_beta,
    derive_gamma,
    derive_nu,
    derive_exponents,
    asymptotic_amplitude,
)

__all__ = [
    "TAU",
    "SIGMA",
    "BETA",
    "GAMMA",
    "NU",
    "FRACTAL_DIM",
    "CHEMICAL_DIM",
    "critical_p",
    "log_cluster_numbers",
    "cluster_numbers",
    "asymptotic_prefactor",
    "cutoff_size",
    "branch_finite_prob",
    "branch_infinite_prob",
    "p_infinity",
    "mean_cluster_size",
    "cluster_moment",
    "size_biased_pmf",
    "BetheStats",
    "bethe_stats",
    "BetheExponents",
    "bethe_exponents",
    "lattice_clusters",
    "quanta_zipf_alpha",
    "BrillPrediction",
    "brill_prediction",
    "theory_loss_vs_model_size",
    "theory_loss_vs_data_size",
    "LATTICE_EXPONENTS",
    "lattice_prediction",
    "unlearned_fraction_data",
    "unlearned_fraction_model",
    "stirling_log_ns",
    "derive_tau",
    "derive_sigma",
    "derive_beta",
    "derive_gamma",
    "derive_nu",
    "derive_exponents",
    "asymptotic_amplitude",
]
