"""The theories applied to a researcher's own data (placeholder, filled below)."""
from scalinglab.theory.data._inputs import (  # noqa: F401
    TokenCounts, read_tokens, token_counts, FeatureData, read_features, read_integers, MAX_TEXT_BYTES,
    MAX_ARRAY_BYTES)
from scalinglab.theory.data._alternatives import TailComparison, compare_tails, choose_x_min, ALTERNATIVES  # noqa
from scalinglab.theory.data._discrete import (ZipfFit, zipf_fit, MemoriserCurve, memoriser_curve,  # noqa
    TokenPrediction, predict_tokens, MAX_TYPES)
from scalinglab.theory.data._features import (IntrinsicDimension, intrinsic_dimension, KernelLearningCurve,  # noqa
    kernel_learning_curve, FeaturePrediction, predict_features, MAX_KERNEL_POINTS, seed_interval)
