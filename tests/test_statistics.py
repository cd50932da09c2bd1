"""Statistics: the bootstrap power-law fit (scipy.stats.bootstrap) and the discrete power-law MLE,
checked against independent references and for the coverage of their intervals on synthetic data."""

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats
from scipy.special import zeta

from scalinglab.errors import InputError
import naive
from scalinglab.theory.fitting import (FewSeedsWarning, bootstrap_powerlaw, discrete_powerlaw_fit,
                                       discrete_powerlaw_log_norm, powerlaw_fit, seed_bootstrap, seed_noise_model)

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


# ----------------------------------------------------------------------------- the H100 rows' noise structure
H100_ROWS = Path(__file__).resolve().parents[1] / "results" / "reference" / "gpu" / "rhm-runs"
P_H100 = np.array([10.0, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120])


def _h100_curves():
    """The 10-seed CNN learning curves of the H100 width study (m = 10, Zipf alpha = 1, 2, 4 on every level,
    h = 64 ... 2048), read from the committed rows: {(alpha, width): (n_P, 10) test errors}."""
    if not H100_ROWS.is_dir():
        pytest.skip("no committed H100 rows in this checkout")
    from scalinglab.validate.storage import RowStore
    cells = {}
    for r in RowStore(H100_ROWS).read().rows:
        if r.get("sampling") != "iid" or r["rhm.m"] != 10 or r["alpha"][0] < 0 or r["net.kind"] != "cnn":
            continue
        cells.setdefault((r["alpha"][0], r["net.width"]), {})[(r["P"], r["seed"])] = r["test_err"]
    out = {}
    for k, d in cells.items():
        seeds = sorted({s for _, s in d})
        if len(seeds) < 10 or not all((p, s) in d for p in P_H100 for s in seeds):
            continue
        out[k] = np.array([[d[(p, s)] for s in seeds] for p in P_H100])
    return out


def _correlated(rng, par, n_seeds, x=P_H100, exponent=0.45):
    """Curves under the seed-correlated model: per-seed offset and slope plus AR(1) noise across x."""
    lx = np.log(x)
    u = rng.normal(0, par["sd_u"], n_seeds)
    b = rng.normal(0, par["sd_b"], n_seeds)
    e = np.empty((x.size, n_seeds))
    e[0] = rng.normal(0, par["sd_e"], n_seeds)
    for i in range(1, x.size):
        e[i] = par["rho"] * e[i - 1] + math.sqrt(1 - par["rho"] ** 2) * rng.normal(0, par["sd_e"], n_seeds)
    return 0.9 * x[:, None] ** -exponent * np.exp(u + b * (lx - lx.mean())[:, None] + e)


def test_h100_rows_have_seed_correlated_residuals():
    """The reason for whole-seed resampling, measured on the 12 ten-seed curves of the H100 width study: a seed
    moves its whole curve. The per-seed slopes vary 1.1-3.8 times (mean about 2) more than independent noise of
    the same size at every P would make them (so whole-seed intervals are about 1.4x wider), and the fitted AR(1)
    correlation between adjacent P is positive (0.1-0.6)."""
    curves = _h100_curves()
    assert len(curves) == 12
    fits = {k: seed_noise_model(P_H100, Y) for k, Y in curves.items()}
    ratios = np.array([f["slope_var_ratio"] for f in fits.values()])
    assert np.all(ratios > 1.0) and ratios.mean() > 1.5, ratios
    assert np.mean([f["rho"] for f in fits.values()]) > 0.2


def test_seed_noise_model_recovers_its_parameters():
    par = {"sd_u": 0.06, "sd_b": 0.025, "rho": 0.4, "sd_e": 0.08}
    got = seed_noise_model(P_H100, _correlated(np.random.default_rng(0), par, 4000))
    for k, v in par.items():
        assert got[k] == pytest.approx(v, rel=0.1), (k, got)
    iid = seed_noise_model(P_H100, np.exp(np.random.default_rng(1).normal(0, 0.1, (10, 4000))))
    assert iid["slope_var_ratio"] == pytest.approx(1.0, abs=0.06) and abs(iid["rho"]) < 0.05


@pytest.fixture(scope="module")
def h100_noise():
    """Noise models fitted to the H100 rows (alpha = 2 and 4 at h = 1024: the largest per-seed slopes)."""
    curves = _h100_curves()
    return {a: seed_noise_model(P_H100, curves[(a, 1024)]) for a in (2.0, 4.0)}


def _correlated_coverage(par, n_seeds, reps, seed, scheme="whole"):
    rng = np.random.default_rng(seed)
    hit = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewSeedsWarning)
        for r in range(reps):
            Y = _correlated(rng, par, n_seeds)
            if scheme == "whole":
                ci = bootstrap_powerlaw(P_H100, Y, n_boot=999, seed=r).ci
            else:
                ci = naive.per_point_bootstrap_ci(P_H100, Y, 999, 0.95, rng)
            hit += ci[0] <= 0.45 <= ci[1]
    return hit / reps


@pytest.mark.parametrize("alpha", [2.0, 4.0])
def test_whole_seed_interval_covers_under_the_h100_noise(h100_noise, alpha):
    """Coverage under noise shaped like the real data (per-seed offset and slope, AR(1) across P, parameters
    fitted to the H100 rows): the whole-seed interval covers >= 93 % at 10 seeds over 600 curves; the former
    per-P resampling, on the same curves, under-covers (the audit's finding)."""
    cov = _correlated_coverage(h100_noise[alpha], 10, 600, seed=1)
    assert 0.93 <= cov <= 0.98, cov
    old = _correlated_coverage(h100_noise[alpha], 10, 300, seed=1, scheme="per-point")
    assert old < 0.91, old


@pytest.mark.parametrize("n_seeds", [3, 4])
def test_few_seeds_jackknife_t_covers_under_the_h100_noise(h100_noise, n_seeds):
    """Below 5 seeds the quoted interval is the jackknife-t over seeds: it covers >= 93 % under the same noise."""
    cov = _correlated_coverage(h100_noise[2.0], n_seeds, 600, seed=2)
    assert cov >= 0.93, cov


@pytest.mark.slow
@pytest.mark.parametrize("n_seeds, seed", [(5, 3), (10, 4), (20, 5)])
def test_whole_seed_coverage_slow(h100_noise, n_seeds, seed):
    cov = _correlated_coverage(h100_noise[2.0], n_seeds, 2000, seed=seed)
    assert 0.93 <= cov <= 0.975, cov


# ----------------------------------------------------------------------------- bootstrap
@pytest.mark.parametrize("kw, msg", [
    (dict(n_boot=0), "n_boot"), (dict(n_boot=50), "n_boot"), (dict(n_boot=2.5), "n_boot"),
    (dict(n_boot=True), "n_boot"), (dict(n_boot=10**9), "n_boot"), (dict(level=1.0), "level"),
    (dict(method="studentized"), "method"),
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
    with pytest.raises(InputError, match="seeds="):
        bootstrap_powerlaw([1.0, 2.0, 4.0], [[1.0, 0.9], [0.5], [0.3, 0.2]])  # ragged without seed labels
    with pytest.raises(InputError, match="twice"):
        bootstrap_powerlaw([1.0, 2.0], [[1.0, 0.9], [0.5, 0.4]], seeds=[[0, 1], [1, 1]])
    with pytest.raises(InputError, match="finite"):
        bootstrap_powerlaw([1.0, 2.0], np.array([[1.0, np.inf], [0.5, 0.4]]))


def test_bootstrap_is_the_exact_whole_seed_bootstrap():
    """Against the exact bootstrap distribution, enumerated (every multiset of 5 of 5 seeds with its
    multinomial weight, tests/naive.py): mean, sd and quantiles of the Monte-Carlo distribution agree."""
    Y = _curves(np.random.default_rng(1), 1, 5)[0]
    vals, probs = naive.exact_seed_bootstrap(X8, Y.tolist())
    vals, probs = np.array(vals), np.array(probs)
    assert probs.sum() == pytest.approx(1.0)
    mu = (probs * vals).sum()
    sd = math.sqrt((probs * (vals - mu) ** 2).sum())
    b = bootstrap_powerlaw(X8, Y, n_boot=40000, expanded=False, seed=2)
    assert b.exponent == pytest.approx(naive.exponent_of_mean(X8, Y.tolist()), abs=1e-12)
    assert b.samples.mean() == pytest.approx(mu, abs=0.02 * sd)
    assert b.samples.std() == pytest.approx(sd, rel=0.02)
    order = np.argsort(vals)
    cdf = np.cumsum(probs[order])
    for q in (0.025, 0.975):
        exact_q = vals[order][np.searchsorted(cdf, q)]
        assert np.quantile(b.samples, q) == pytest.approx(exact_q, abs=0.1 * sd)


def test_bootstrap_variance_matches_the_whole_seed_delta_method():
    """Small noise: the whole-seed bootstrap variance of the slope is (1/n)(n-1)/n sum_s (g_s - g)^2 with
    g_s = sum_i w_i y_si / m_i, the linearised influence of seed s (and n/(n-1) of that when expanded)."""
    rng = np.random.default_rng(3)
    n = 8
    Y = _curves(rng, 1, n, sigma=0.01)[0]
    lx = np.log(X8)
    w = (lx - lx.mean()) / ((lx - lx.mean()) ** 2).sum()
    m = Y.mean(axis=1)
    g = (w[:, None] * Y / m[:, None]).sum(axis=0)
    var = ((g - g.mean()) ** 2).sum() / n / n
    for expanded, factor in ((False, 1.0), (True, n / (n - 1))):
        b = bootstrap_powerlaw(X8, Y, n_boot=20000, expanded=expanded, seed=3)
        assert b.samples.std() == pytest.approx(math.sqrt(factor * var), rel=0.03)


def test_bootstrap_does_not_depend_on_row_order():
    """The same rows in another order (columns permuted, seeds labelled) give bit-identical results."""
    rng = np.random.default_rng(4)
    Y = _curves(rng, 1, 7)[0]
    labels = np.array([10, 3, 7, 1, 22, 5, 9])
    ref = bootstrap_powerlaw(X8, Y, seeds=labels, n_boot=500)
    perm = rng.permutation(7)
    got = bootstrap_powerlaw(X8, Y[:, perm], seeds=labels[perm], n_boot=500)
    assert got.ci == ref.ci and got.exponent == ref.exponent
    groups = [list(zip(labels, row)) for row in Y]
    for g in groups:
        rng.shuffle(g)
    ragged = bootstrap_powerlaw(X8, [[v for _, v in g] for g in groups], seeds=[[s for s, _ in g] for g in groups],
                                n_boot=500)
    assert ragged.ci == ref.ci


def test_bootstrap_missing_cells():
    """A seed missing at one P is a NaN cell: the mean there uses the seeds that ran; whole seeds are resampled."""
    rng = np.random.default_rng(5)
    Y = _curves(rng, 1, 8)[0]
    Y[3, 2] = np.nan
    b = bootstrap_powerlaw(X8, Y, n_boot=500)
    ref = powerlaw_fit(X8, np.nanmean(Y, axis=1))
    assert b.exponent == pytest.approx(ref.exponent, abs=1e-12)
    assert b.n_seeds == 8 and b.min_per_point == 7 and b.ci[0] < b.exponent < b.ci[1]


def test_few_seeds_quote_the_jackknife_t_interval():
    """Below 5 seeds: a warning, and ci is exponent ± t_{n-1} se_jack with se_jack from leave-one-seed-out fits
    computed here independently."""
    Y = _curves(np.random.default_rng(6), 1, 3)[0]
    with pytest.warns(FewSeedsWarning, match="3 seed"):
        b = bootstrap_powerlaw(X8, Y, n_boot=500)
    theta = naive.exponent_of_mean(X8, Y.tolist())
    jack = np.array([naive.exponent_of_mean(X8, np.delete(Y, j, axis=1).tolist()) for j in range(3)])
    se = math.sqrt(2 / 3 * ((jack - jack.mean()) ** 2).sum())
    half = stats.t.ppf(0.975, 2) * se
    assert b.ci == pytest.approx((theta - half, theta + half), rel=1e-10)
    assert b.ci_method == "jackknife-t" and b.few_seeds and "jackknife-t" in str(b)
    assert b.ci[1] - b.ci[0] > b.boot_ci[1] - b.boot_ci[0]
    assert "jackknife-t, 3 seeds" in b.interval_text()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewSeedsWarning)
        bootstrap_powerlaw(X8, _curves(np.random.default_rng(2), 1, 5)[0], n_boot=200)  # 5 seeds: silent


def test_one_seed_has_no_interval():
    with pytest.warns(FewSeedsWarning):
        one = bootstrap_powerlaw(X8[:3], [[1.0], [0.5], [0.25]], n_boot=100)
    assert all(map(math.isnan, one.ci))
    d = one.to_dict()
    assert d["ci_lo"] is None and "single seed" in d["ci_lo_reason"]


def test_bootstrap_methods_and_to_dict():
    ys = _curves(np.random.default_rng(7), 1, 8)[0]
    for method in ("percentile", "BCa", "basic"):
        b = bootstrap_powerlaw(X8, ys, n_boot=999, method=method)
        assert b.ci_method == method and b.ci[0] < b.exponent < b.ci[1]
    ys[-1] *= 100  # outside the window: must not matter
    b = bootstrap_powerlaw(X8, ys, window=(10, 2000), n_boot=300)
    assert b.fit.window == (10.0, 2000.0) and b.fit.n_points == 6
    d = b.to_dict()
    assert {"exponent", "ci_lo", "ci_hi", "level", "n_boot", "fit_window", "ci_method", "jack_ci_lo",
            "boot_ci_lo", "n_seeds"} <= set(d)


def test_bootstrap_coverage_iid_noise():
    """Independent noise (the old coverage model) is a special case: 93-97.5 % at 10 seeds; at 5 seeds, the
    fewest that quote the bootstrap, the measured rate is 92 % (1500 curves, see bootstrap_powerlaw's notes):
    at least 90 % here over 600."""
    assert 0.93 <= _coverage(10, 600, seed=10) <= 0.975
    assert _coverage(5, 600, seed=5) >= 0.90


# ----------------------------------------------------------------------------- generic whole-seed bootstrap
def test_seed_bootstrap_matches_scipy():
    """For a statistic without failures the percentile and BCa intervals agree with scipy.stats.bootstrap on the
    same data (different random draws: within Monte-Carlo error)."""
    x = np.random.default_rng(8).lognormal(0, 0.5, 12)
    for method in ("percentile", "BCa"):
        ours = seed_bootstrap(x, np.mean, n_boot=50000, method=method)
        ref = stats.bootstrap((x,), np.mean, n_resamples=50000, method=method.lower(),
                              rng=np.random.default_rng(1)).confidence_interval
        sd = x.std() / math.sqrt(x.size)  # Monte-Carlo spread of a 2.5 % quantile here: about 0.05 sd
        assert ours.ci[0] == pytest.approx(ref.low, abs=0.15 * sd)
        assert ours.ci[1] == pytest.approx(ref.high, abs=0.15 * sd)


def test_seed_bootstrap_labels_order_and_failures():
    rng = np.random.default_rng(9)
    vals = rng.normal(2, 0.3, 9)
    labels = rng.permutation(9)
    a = seed_bootstrap(vals, np.median, n_boot=500, labels=labels)
    p = rng.permutation(9)
    b = seed_bootstrap(vals[p], np.median, n_boot=500, labels=labels[p])
    assert a.ci == b.ci and a.estimate == b.estimate
    # a statistic undefined on some resamples (an onset never reached): failures counted, interval kept below 10 %
    objs = [{"onset": v} if i else {"onset": None} for i, v in enumerate(vals)]

    def onset(seeds):
        v = [s["onset"] for s in seeds if s["onset"] is not None]
        return np.mean(v) if len(v) >= 2 else float("nan")
    r = seed_bootstrap(objs, onset, n_boot=2000)
    assert 0 <= r.failed_frac < 0.01 and all(map(math.isfinite, r.ci))
    few = seed_bootstrap(vals[:3], np.mean, n_boot=200)
    assert few.ci_method == "jackknife-t" and few.ci == pytest.approx(
        stats.t.interval(0.95, 2, loc=vals[:3].mean(), scale=vals[:3].std(ddof=1) / math.sqrt(3)), rel=1e-10)
    with pytest.raises(InputError, match="labels"):
        seed_bootstrap(vals, np.mean, labels=[1, 2])


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
