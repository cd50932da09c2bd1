"""Exact finite-size simulation of the linear random-feature teacher-student model.

The model of Bahri et al. (2021), Sec. 3, with Gaussian features: ``S``
features ``F(x) = C^1/2 z`` (``z ~ N(0, I_S)``, ``C = diag(lambda)`` without
loss of generality), teacher ``y = w . F(x)`` with ``w ~ N(0, I/S)``, student
``theta . W F(x)`` with ``W`` a ``P x S`` matrix of i.i.d. N(0, 1) entries,
fitted by minimum-norm least squares on ``D`` samples.

For one draw of data ``Z`` (``D x S``) and projection ``W`` the population
loss, averaged over teachers *exactly* (it is quadratic in ``w``), is::

    L = (1/S) || C^1/2 - A M^+ B^T ||_F^2,   A = C^1/2 W^T,  B = C^1/2 Z^T,  M = Z C^1/2 W^T

computed here through ``P x P`` and ``D x D`` traces (no ``S x S`` product).
``P = inf`` means the student uses the teacher's features (``W = I``), i.e.
ridgeless regression with the kernel ``F . F'``; ``D = inf`` means the
population least-squares student. Averaging over draws of ``Z`` and ``W``
gives the finite-size ground truth that :func:`scalinglab.theory.spectral._learning.
rf_teacher_student_loss` is tested against.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["rf_loss_one_draw", "simulate_linear_rf"]


def _residual_projection(lam, R):
    """``(1/S) tr[(I - Q) C]`` with ``Q`` the orthogonal projection onto
    ``range(C^1/2 R^T)``: the loss of the best student spanned by ``R``."""
    S = lam.size
    if R.shape[0] >= S:  # a Gaussian R of n >= S rows spans everything (almost surely)
        return 0.0
    A = np.sqrt(lam)[:, None] * R.T  # S x n
    # tr(Q C) = tr((A^T A)^+ A^T C A), stable through an SVD of A
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    keep = s > s.max() * max(A.shape) * np.finfo(float).eps
    U = U[:, keep]
    return float((lam.sum() - np.einsum("ij,i,ij->", U, lam, U)) / S)


def rf_loss_one_draw(lam, D, P, rng, paired=False):
    """Teacher-averaged population loss for one draw of data and projection.

    Parameters
    ----------
    lam : numpy.ndarray, shape (S,)
        Eigenvalues of the feature covariance.
    D, P : int or float
        Samples and student features; ``math.inf`` for the limits.
    rng : numpy.random.Generator
    paired : {None, "projection", "data"}
        Also return the limit for the same draw: ``"projection"`` gives
        ``L(inf, P)`` for the same ``W``, ``"data"`` gives ``L(D, inf)`` for
        the same ``Z`` (paired differences isolate the variance-limited term
        with little noise).

    Returns
    -------
    float, or (float, float) ``(loss, limit)`` when ``paired``

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.theory.spectral import powerlaw_spectrum
    >>> lam = powerlaw_spectrum(400, 0.5)
    >>> loss, limit = rf_loss_one_draw(lam, 100, 20, np.random.default_rng(0), paired="projection")
    >>> bool(0 < limit < loss)          # L(inf, P) of the same projection lies below L(D, P)
    True
    """
    if paired not in (None, False, "projection", "data"):
        raise ValueError(f"paired must be None, 'projection' or 'data', got {paired!r}")
    lam = np.asarray(lam, dtype=float)
    S = lam.size
    if math.isinf(D) or math.isinf(P):
        if math.isinf(D) and math.isinf(P):
            val = 0.0
        else:
            val = _residual_projection(lam, rng.standard_normal((int(P if math.isinf(D) else D), S)))
        if not paired:
            return val
        return val, (val if math.isinf(D if paired == "projection" else P) else 0.0)
    D, P = int(D), int(P)
    sq = np.sqrt(lam)
    W = rng.standard_normal((P, S))
    Z = rng.standard_normal((D, S))
    A = sq[:, None] * W.T  # S x P
    B = sq[:, None] * Z.T  # S x D
    M = Z @ A  # D x P: student features on the data, Z C^1/2 W^T
    Mp = np.linalg.pinv(M)  # P x D
    # ||C^1/2 - A Mp B^T||^2 = tr C - 2 tr(C^1/2 A Mp B^T) + ||A Mp B^T||^2,
    # contracted along the smaller of D, P
    if P <= D:
        Y = Mp @ B.T  # P x S
        cross = float(np.sum(Y * (sq[:, None] * A).T))
        quad = float(np.sum((A.T @ A) * (Y @ Y.T)))
    else:
        X = A @ Mp  # S x D
        cross = float(np.sum((sq[:, None] * X) * B))
        quad = float(np.sum((X.T @ X) * (B.T @ B)))
    val = float((lam.sum() - 2 * cross + quad) / S)
    if not paired:
        return val
    return val, _residual_projection(lam, W if paired == "projection" else Z)


def simulate_linear_rf(lam, D, P, n_draws=8, seed=0):
    """Mean and standard error of the loss over ``n_draws`` draws of (data, W).

    Returns
    -------
    (float, float, numpy.ndarray)
        ``(mean, stderr, per_draw)``.

    Examples
    --------
    >>> from scalinglab.theory.spectral import powerlaw_spectrum, rf_teacher_student_loss
    >>> lam = powerlaw_spectrum(400, 0.5)
    >>> mean, se, per_draw = simulate_linear_rf(lam, 100, 20, n_draws=16, seed=0)
    >>> theory = rf_teacher_student_loss(100, 20, lam).loss[0]
    >>> per_draw.shape, bool(abs(mean / theory - 1) < 0.05)
    ((16,), True)
    """
    if n_draws < 1:
        raise ValueError("n_draws must be >= 1")
    rng = np.random.default_rng(seed)
    vals = np.array([rf_loss_one_draw(lam, D, P, rng) for _ in range(int(n_draws))])
    se = float(vals.std(ddof=1) / math.sqrt(vals.size)) if vals.size > 1 else float("nan")
    return float(vals.mean()), se, vals
