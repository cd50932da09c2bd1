import numpy as np
import pytest

from scalinglab.theory.fitting import bootstrap_powerlaw, local_slope, powerlaw_fit
from scalinglab.theory.rhm import RHMSpec, zipf_probs


def test_powerlaw_fit_recovers_exact_law_in_window():
    x = np.geomspace(1, 1e4, 50)
    y = 3.0 * x**-0.7
    y[x > 1e3] = 1.0  # outside the window: must not matter
    f = powerlaw_fit(x, y, window=(1, 1e3))
    assert f.exponent == pytest.approx(0.7, abs=1e-12)
    assert f.prefactor == pytest.approx(3.0, rel=1e-12)
    assert f.window == (1.0, 1e3) and f.method == "ols-loglog"


def test_powerlaw_fit_rejects_bad_input():
    with pytest.raises(ValueError):
        powerlaw_fit([1, 2, 3], [1, 0, 1])
    with pytest.raises(ValueError):
        powerlaw_fit([1, 2, 3], [1, 2, 3], window=(10, 20))


def test_bootstrap_interval_covers_truth():
    rng = np.random.default_rng(0)
    x = np.geomspace(10, 1e4, 8)
    ys = [0.5 * xi**-0.4 * np.exp(rng.normal(0, 0.05, 10)) for xi in x]
    b = bootstrap_powerlaw(x, ys, n_boot=300)
    assert b.ci[0] < 0.4 < b.ci[1]
    assert b.ci[1] - b.ci[0] < 0.05


def test_local_slope_of_power_law():
    x = np.geomspace(1, 100, 20)
    assert np.allclose(local_slope(x, x**-1.5), -1.5)


def test_zipf_probs_normalised_and_log_space():
    f = zipf_probs(10, 1.0)
    ref = np.arange(1, 11) ** -2.0
    assert np.allclose(f, ref / ref.sum(), rtol=1e-14)
    big = zipf_probs(5, 2000.0)  # i**-2001 underflows in linear space
    assert big[0] == pytest.approx(1.0) and np.all(np.isfinite(big))
    assert np.allclose(zipf_probs(7, -1.0), 1 / 7)


@pytest.mark.parametrize("kw, msg", [
    (dict(m=11, v=10, s=1), "ambiguous"),
    (dict(m=10, v=3, s=2), "ambiguous"),
    (dict(alpha=-1.5), "-1"),
    (dict(alpha=float("nan")), "finite"),
    (dict(L=0), "L must be"),
    (dict(alpha=(1.0, 2.0)), "one entry per level"),
    (dict(alpha=((0.5, 0.6) + (0.0,) * 8, 1.0, 1.0)), "sum"),
])
def test_spec_validation(kw, msg):
    base = dict(n_c=10, v=10, m=10, s=2, L=3, alpha=1.0)
    base.update(kw)
    with pytest.raises(ValueError, match=msg):
        RHMSpec(**base)


def test_spec_make_levels():
    sp = RHMSpec.make(alpha=1.5, zipf_levels=[3])
    assert sp.alpha == (-1.0, -1.0, 1.5)
    assert sp.is_uniform(1) and not sp.is_uniform(3)
    assert sp.K == 4 and sp.P_star == 10_000
    assert sp.level_key(1) == ("uniform",) and sp.level_key(3) == ("zipf", 1.5)
