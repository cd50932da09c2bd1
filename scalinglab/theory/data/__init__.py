"""The theories applied to a researcher's own data: tokens, feature matrices, cluster sizes.

Every other area of :mod:`scalinglab.theory` starts from a model the engine
generates (an RHM, a Bethe lattice, a manifold); this one starts from data
the user brings, one entry point per kind of data, each returning a named
result (short repr, ``to_dict``, ``to_frame``, ``plot``) that states the
windows, methods and intervals behind every number:

* :func:`predict_tokens` -- discrete data (a text of tokens, a counts table,
  integer ids): Zipf rank exponent with a whole-sample bootstrap interval,
  the frequency distribution against lognormal, exponential and truncated
  power law (``powerlaw``'s numbers beside ours), the memoriser's learning
  curve ``eps(P) = sum f (1-f)^P`` estimated from the sample (unbiased up to
  ``P = N - 1``, Good-Turing at the edge) and from the fit
  (``alpha/(1+alpha)``);
* :func:`predict_features` -- a feature matrix (``.npy``, ``.npz``, ``.csv``,
  ``.parquet``; optional target): intrinsic dimension with intervals
  (scikit-dimension's beside), ``4/d_ID``, Gram spectra, and the eigenlearning
  prediction of the kernel-regression learning curve beside the measured one;
* :func:`predict_clusters` -- cluster sizes: ``tau`` by discrete MLE, then
  Brill's quanta and manifold exponents.

Why a namespace of its own (``theory.data``, not a function inside each
area): the entry points are organised by what the user holds, and each one
draws on several areas at once (the path theory's ``eps(P)`` kernel, the
spectral area's estimators, percolation's closed forms, the fitting module);
the command line's ``scalinglab predict tokens|features|clusters`` mirrors it.
The readers (:func:`read_tokens`, :func:`read_features`,
:func:`read_integers`) check sizes before loading and name the file and
column of a bad value.

>>> from scalinglab.theory import data
>>> pred = data.predict_tokens({"a": 40, "b": 20, "c": 13, "d": 10, "e": 8, "f": 7, "g": 6, "h": 5},
...                            min_count=5, n_boot=30, peer=False)
>>> pred.zipf.window, round(pred.zipf.exponent, 1)
((1, 8), 1.0)
"""

from scalinglab.theory.data._inputs import (  # noqa: F401
    TokenCounts,
    read_tokens,
    token_counts,
    FeatureData,
    read_features,
    read_integers,
    MAX_TEXT_BYTES,
    MAX_ARRAY_BYTES,
)
from scalinglab.theory.data._alternatives import (  # noqa: F401
    TailComparison,
    compare_tails,
    choose_x_min,
    ALTERNATIVES,
)
from scalinglab.theory.data._discrete import (  # noqa: F401
    ZipfFit,
    zipf_fit,
    MemoriserCurve,
    memoriser_curve,
    TokenPrediction,
    predict_tokens,
    MAX_TYPES,
)
from scalinglab.theory.data._features import (  # noqa: F401
    IntrinsicDimension,
    intrinsic_dimension,
    KernelLearningCurve,
    kernel_learning_curve,
    predicted_errors,
    measured_errors,
    FeaturePrediction,
    predict_features,
    seed_interval,
    MAX_KERNEL_POINTS,
)
from scalinglab.theory.data._clusters import (  # noqa: F401
    ClusterPrediction,
    predict_clusters,
)

__all__ = [
    "TokenCounts",
    "read_tokens",
    "token_counts",
    "FeatureData",
    "read_features",
    "read_integers",
    "MAX_TEXT_BYTES",
    "MAX_ARRAY_BYTES",
    "TailComparison",
    "compare_tails",
    "choose_x_min",
    "ALTERNATIVES",
    "ZipfFit",
    "zipf_fit",
    "MemoriserCurve",
    "memoriser_curve",
    "TokenPrediction",
    "predict_tokens",
    "MAX_TYPES",
    "IntrinsicDimension",
    "intrinsic_dimension",
    "KernelLearningCurve",
    "kernel_learning_curve",
    "predicted_errors",
    "measured_errors",
    "FeaturePrediction",
    "predict_features",
    "seed_interval",
    "MAX_KERNEL_POINTS",
    "ClusterPrediction",
    "predict_clusters",
]
