"""Statistics: the bootstrap power-law fit (scipy.stats.bootstrap) and the discrete power-law MLE,
checked against independent references and for the coverage of their intervals on synthetic data."""

import math
import warnings

import numpy as np
import pytest
from scipy import optimize, stats
from scipy.special import zeta

from scalinglab.errors import InputError
from scalinglab.theory.fitting import (FewSeedsWarning, bootstrap_powerlaw, discrete_powerlaw_fit,
                                       discrete_powerlaw_log_norm)

X8 = np.geomspace(10, 1e4, 8)


def _curves(rng, reps, n_seeds, x=X8, exponent=0.4, sigma=0.2):
    """``reps`` synthetic measured curves 0.5 x^-exponent with log-normal seed noise: (reps, n_x, n_seeds)."""
    return 0.5 * x[None, :, None] ** -exponent * np.exp(rng.normal(0, sigma, (reps, x.size, n_seeds)))


def _coverage(n_seeds, reps, seed=0, **kw):
    rng = np.random.default_rng(seed)
    ys = _curves(rng, reps, n_seeds)
    hit = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewSeedsWarning)
        for r in range(reps):
            b = bootstrap_powerlaw(X8, ys[r], n_boot=999, seed=r, **kw)
            hit += b.ci[0] <= 0.4 <= b.ci[1]
    return hit / reps


# ----------------------------------------------------------------------------- bootstrap
@pytest.mark.parametrize("kw, msg", [
    (dict(n_boot=0), "n_boot"), (dict(n_boot=50), "n_boot"), (dict(n_boot=2.5), "n_boot"),
    (dict(n_boot=True), "n_boot"), (dict(level=1.0), "level"), (dict(method="studentized"), "method"),
])
def test_bootstrap_rejects_bad_arguments(kw, msg):
    ys = _curves(np.random.default_rng(0), 1, 6)[0]
    with pytest.raises(InputError, match=msg):
        bootstrap_powerlaw(X8, ys, **kw)


def test_bootstrap_rejects_bad_data():
    with pytest.raises(InputError, match="one group"):
        bootstrap_powerlaw(X8, [[1.0]] * 3)
    with pytest.raises(InputError, match="at least one"):
        bootstrap_powerlaw([1.0, 2.0], [[1.0], []])


def test_bootstrap_point_estimate_and_spread_match_the_delta_method():
    """The bootstrap distribution of the slope of log-means has the variance sum_i w_i^2 s_i^2/(n m_i^2)
    ((n-1)/n of it without the expansion): checks the resampling scheme independently of scipy's internals."""
    rng = np.random.default_rng(1)
    n = 6
    ys = _curves(rng, 1, n, sigma=0.01)[0]  # small noise: the delta method is exact to O(sigma^2)
    lx = np.log(X8)
    w = (lx - lx.mean()) / ((lx - lx.mean()) ** 2).sum()
    m = ys.mean(axis=1)
    var = (w**2 * ys.var(axis=1, ddof=1) / (n * m**2)).sum()
    ref = stats.linregress(lx, np.log(m))
    for expanded, factor in ((False, (n - 1) / n), (True, 1.0)):
        b = bootstrap_powerlaw(X8, ys, n_boot=20000, expanded=expanded, seed=3)
        assert b.exponent == pytest.approx(-ref.slope, abs=1e-12)
        assert b.samples.std() == pytest.approx(math.sqrt(factor * var), rel=0.03)
        assert b.samples.mean() == pytest.approx(b.exponent, abs=0.05 * math.sqrt(var))


def test_bootstrap_few_seeds_warns_and_reports_the_t_interval():
    ys = _curves(np.random.default_rng(2), 1, 3)[0]
    with pytest.warns(FewSeedsWarning, match="only 3 seed"):
        b = bootstrap_powerlaw(X8, ys, n_boot=500)
    ref = stats.linregress(np.log(X8), np.log(ys.mean(axis=1)))
    half = stats.t.ppf(0.975, X8.size - 2) * ref.stderr
    assert b.t_ci == pytest.approx((-ref.slope - half, -ref.slope + half), rel=1e-10)
    assert b.n_seeds == 3 and "fewer than 5 seeds" in str(b)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewSeedsWarning)
        bootstrap_powerlaw(X8, _curves(np.random.default_rng(2), 1, 5)[0], n_boot=200)  # 5 seeds: silent


def test_bootstrap_methods_and_single_measurements():
    rng = np.random.default_rng(4)
    ys = [list(v) for v in _curves(rng, 1, 8)[0]]
    ys[2] = ys[2][:1]  # one point measured once: held fixed, as before
    for method in ("percentile", "BCa", "basic"):
        with pytest.warns(FewSeedsWarning, match="only 1 seed"):
            b = bootstrap_powerlaw(X8, ys, n_boot=999, method=method)
        assert b.ci_method == method and b.ci[0] < b.exponent < b.ci[1]
        assert b.ci[1] - b.ci[0] < 0.2
    with pytest.warns(FewSeedsWarning):
        one = bootstrap_powerlaw(X8[:3], [[1.0], [0.5], [0.25]], n_boot=100)  # nothing to resample
    assert one.ci == (one.exponent, one.exponent)


def test_bootstrap_window_and_to_dict():
    ys = _curves(np.random.default_rng(5), 1, 6)[0]
    ys[-1] *= 100  # outside the window: must not matter
    b = bootstrap_powerlaw(X8, ys, window=(10, 2000), n_boot=300)
    assert b.fit.window == (10.0, 2000.0) and b.fit.n_points == 6
    d = b.to_dict()
    assert {"exponent", "ci_lo", "ci_hi", "level", "n_boot", "fit_window", "ci_method", "t_ci_lo"} <= set(d)


def test_bootstrap_coverage_at_5_seeds():
    """Nominal 95 % intervals cover 93-97 % over 1000 synthetic curves (8 points, 5 seeds, log-normal noise)."""
    cov = _coverage(5, 1000)
    assert 0.93 <= cov <= 0.97, cov


@pytest.mark.slow
@pytest.mark.parametrize("n_seeds, kw", [(5, {}), (10, {}), (5, {"method": "BCa"}), (3, {}), (8, {"seed": 7})])
def test_bootstrap_coverage_slow(n_seeds, kw):
    seed = kw.pop("seed", 11)
    cov = _coverage(n_seeds, 2000, seed=seed, **kw)
    assert 0.93 <= cov <= 0.97, cov


@pytest.mark.slow
def test_plain_percentile_under_covers_at_5_seeds():
    """Why the expanded interval is the default: the plain percentile interval covers ~91 % at 5 seeds."""
    assert _coverage(5, 2000, seed=11, expanded=False) < 0.93


# ----------------------------------------------------------------------------- discrete power law
def _sample_window(rng, n, gamma, a, b):
    """Exact i.i.d. draws of p(k) ∝ k^-gamma on [a, b] by inverse CDF."""
    k = np.arange(a, b + 1)
    p = k.astype(float) ** -gamma
    cdf = np.cumsum(p / p.sum())
    return k[np.minimum(np.searchsorted(cdf, rng.random(n)), k.size - 1)]


def _sample_tail(rng, n, gamma, a):
    """Exact draws of p(k) ∝ k^-gamma on [a, inf): numpy's Zipf sampler, rejecting k < a."""
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        z = rng.zipf(gamma, 4 * n)
        out = np.concatenate([out, z[z >= a]])
    return out[:n]


@pytest.mark.parametrize("g", [1.01, 1.5, 2.5, 6.0])
@pytest.mark.parametrize("a", [1, 7, 2000])
def test_log_norm_matches_hurwitz_zeta(g, a):
    assert discrete_powerlaw_log_norm(g, a) == pytest.approx(math.log(zeta(g, a)), abs=1e-12)


@pytest.mark.parametrize("g", [-1.0, 0.0, 1.0, 1.7, 3.0])
@pytest.mark.parametrize("a, b", [(1, 50), (3, 1002), (10, 250_000)])
def test_log_norm_matches_direct_sum(g, a, b):
    k = np.arange(a, b + 1, dtype=float)
    ref = np.log(np.sum(np.exp(-g * np.log(k) - (-g * np.log(k)).max()))) + (-g * np.log(k)).max()
    assert discrete_powerlaw_log_norm(g, a, b) == pytest.approx(ref, abs=1e-12)
    assert discrete_powerlaw_log_norm(1.0, 1, None) == math.inf


def _brute_loglik(g, data, a, b):
    k = np.arange(a, b + 1, dtype=float)
    return -g * np.log(data).sum() - data.size * np.log(np.sum(k[None, :] ** -np.atleast_1d(g)[:, None], axis=1))


def test_mle_equals_brute_force_maximum():
    rng = np.random.default_rng(6)
    data = _sample_window(rng, 400, 2.2, 3, 300)
    f = discrete_powerlaw_fit(data, 3, 300)
    grid = np.arange(f.exponent - 0.05, f.exponent + 0.05, 1e-5)
    ll = _brute_loglik(grid, data, 3, 300)
    assert grid[ll.argmax()] == pytest.approx(f.exponent, abs=2e-5)
    assert f.log_likelihood == pytest.approx(ll.max(), abs=1e-6)
    # likelihood-ratio ends: 2 (l_hat - l) = chi2_1(0.95) there, by the direct sums
    for end in f.ci:
        assert 2 * (ll.max() - _brute_loglik(end, data, 3, 300)[0]) == pytest.approx(stats.chi2.ppf(0.95, 1), abs=1e-4)
    # stderr = 1/sqrt(n Var(ln k)) under the fitted law
    k = np.arange(3, 301, dtype=float)
    p = k**-f.exponent / np.sum(k**-f.exponent)
    var = (p * np.log(k) ** 2).sum() - ((p * np.log(k)).sum()) ** 2
    assert f.stderr == pytest.approx(1 / math.sqrt(data.size * var), rel=1e-5)
    assert f.n == 400 and f.x_max == 300


def test_mle_unbounded_window_against_zeta_likelihood():
    rng = np.random.default_rng(7)
    data = _sample_tail(rng, 3000, 2.5, 2)
    f = discrete_powerlaw_fit(np.concatenate([data, [1, 1, 1]]), 2)  # samples below x_min are left out
    assert f.n == 3000 and f.n_total == 3003

    def nll(g):
        return g * np.log(data).sum() + data.size * math.log(zeta(g, 2))

    ref = optimize.minimize_scalar(nll, bounds=(1.05, 5), method="bounded", options={"xatol": 1e-10}).x
    assert f.exponent == pytest.approx(ref, abs=1e-6)
    assert f.ci[0] < 2.5 < f.ci[1]


def test_mle_agrees_with_powerlaw_package():
    powerlaw = pytest.importorskip("powerlaw")
    rng = np.random.default_rng(8)
    data = rng.zipf(2.3, 5000)
    for a, b in ((1, None), (3, None), (3, 500)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = powerlaw.Fit(data, discrete=True, xmin=a, xmax=b, estimate_discrete=False, verbose=False)
            alpha = ref.power_law.alpha
        f = discrete_powerlaw_fit(data, a, b)
        assert f.n == ref.n
        assert f.exponent == pytest.approx(alpha, abs=2e-4)  # their optimiser's tolerance


@pytest.mark.parametrize("args, msg", [
    (([1.5, 2, 3], 1), "integers"), (([0, 2, 3], 1), "integers"), (([2, 3], 0), "x_min"),
    (([2, 3], 2, 2), "x_max"), (([5, 6], 1, 4), "at least 2"), (([2, 2, 2, 9], 2, 5), "unbounded"),
    (([2, 3], 2, None, 1.5), "level"),
])
def test_mle_rejects_bad_input(args, msg):
    with pytest.raises(InputError, match=msg):
        discrete_powerlaw_fit(*args)


def _mle_coverage(reps, sampler, a, b, gamma, seed):
    rng = np.random.default_rng(seed)
    hit = 0
    for _ in range(reps):
        f = discrete_powerlaw_fit(sampler(rng), a, b)
        hit += f.ci[0] <= gamma <= f.ci[1]
    return hit / reps


@pytest.mark.parametrize("case", ["window", "tail"])
def test_mle_coverage(case):
    """Nominal 95 % likelihood-ratio intervals cover 93-97 % over 1000 synthetic samples."""
    if case == "window":  # 200 samples on [2, 1000], exponent 2.2
        cov = _mle_coverage(1000, lambda r: _sample_window(r, 200, 2.2, 2, 1000), 2, 1000, 2.2, seed=9)
    else:  # 100 samples of a Zipf tail from x_min = 1, exponent 2.5
        cov = _mle_coverage(1000, lambda r: r.zipf(2.5, 100), 1, None, 2.5, seed=10)
    assert 0.93 <= cov <= 0.97, cov


@pytest.mark.slow
@pytest.mark.parametrize("n, gamma, a, b, seed", [(50, 1.5, 1, 100, 21), (1000, 3.0, 5, None, 22),
                                                  (300, 0.8, 1, 50, 23), (200, 2.0, 10, 10_000, 24),
                                                  (100, 2.5, 3, None, 25)])
def test_mle_coverage_slow(n, gamma, a, b, seed):
    def sampler(r):
        return _sample_window(r, n, gamma, a, b) if b is not None else _sample_tail(r, n, gamma, a)

    cov = _mle_coverage(2000, sampler, a, b, gamma, seed)
    assert 0.93 <= cov <= 0.97, cov


def test_rank_size_ols_stderr_is_no_interval():
    """Why the MLE replaces rank-size OLS: the OLS 'stderr' of the rank-size slope covers the truth rarely."""
    from scalinglab.theory.fitting import powerlaw_fit

    rng = np.random.default_rng(12)
    hit_ols = 0
    reps = 200
    for _ in range(reps):
        s = np.sort(_sample_window(rng, 500, 2.5, 1, 10_000))[::-1].astype(float)
        r = np.arange(1, s.size + 1, dtype=float)
        m = s >= 3
        f = powerlaw_fit(r[m], s[m])
        # rank-size slope of p(k) ∝ k^-gamma is 1/(gamma - 1) = 2/3
        hit_ols += abs(f.exponent - 2 / 3) <= 1.96 * f.stderr
    assert hit_ols / reps < 0.5
