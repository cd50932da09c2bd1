"""Issue 12, hangs and memory blow-ups: the size is estimated first and refused with the number and the limit.

Each call here ran for minutes or exhausted memory before the hardening.
Now each is refused within seconds (the per-test timeout enforces it).
"""

import re

import pytest

from scalinglab.cli import main
from scalinglab.errors import InputError
from scalinglab.theory import rhm, spectral


def _refused(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    assert rc == 2 and err.startswith("scalinglab: error: ") and len(err.strip().splitlines()) == 1, err
    assert "limit" in err and re.search(r"\d", err)
    return err


@pytest.mark.timeout(30)
def test_rhm_spectrum_L_1000_is_refused_quickly(capsys):
    err = _refused(capsys, "rhm", "spectrum", "--L", "1000")
    assert "1e+1000" in err or "10^1000" in err


@pytest.mark.timeout(30)
def test_rhm_spectrum_binned_work_is_estimated(capsys):
    # m**L = 1e300 is in range, the exact spectrum is not (C(309, 9) multisets), and alpha = 50 spreads ln f over
    # 300 * 51 ln 10 / 1e-3 = 3.5e7 bins: ~5e10 bin updates
    err = _refused(capsys, "rhm", "spectrum", "--L", "300", "--alpha", "50")
    assert "binned" in err


@pytest.mark.timeout(30)
def test_rhm_table_L_40_is_refused_quickly(capsys):
    err = _refused(capsys, "rhm", "table", "--L", "40")
    assert "multisets" in err


@pytest.mark.timeout(30)
def test_alpha_c_L_40_is_refused_quickly():
    with pytest.raises(InputError, match="limit"):
        rhm.alpha_c(10, 40)


@pytest.mark.timeout(30)
def test_spectral_rf_300M_modes_is_refused_quickly(capsys):
    _refused(capsys, "spectral", "rf", "--modes", "300000000")


@pytest.mark.timeout(30)
def test_spectral_eigenlearning_huge_modes_refused(capsys):
    _refused(capsys, "spectral", "eigenlearning", "--modes", "300000000")


@pytest.mark.timeout(30)
def test_alpha_prime_1e9_points_is_refused_quickly():
    with pytest.raises(InputError, match="n_points.*limit|limit.*n_points"):
        rhm.alpha_prime(rhm.RHMSpec.make(), n_points=10**9)


@pytest.mark.timeout(30)
def test_cli_grid_with_1e9_points_is_refused(capsys):
    with pytest.raises(SystemExit) as exc:  # an argparse error: exit 2 with usage and the message
        main(["rhm", "eps", "--P", "1:1e6:1000000000"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "1000000000 points, over the limit 100000" in err


@pytest.mark.timeout(30)
def test_eps_work_is_estimated():
    spec = rhm.RHMSpec.make(m=10, L=7, alpha=0.3)  # ~ 1e3 groups
    with pytest.raises(InputError, match="limit"):
        rhm.learning_curve(spec, range(1, 10**8, 7))


@pytest.mark.timeout(30)
def test_gram_spectrum_of_too_many_samples_refused():
    import numpy as np

    X = np.zeros((3, 1))
    with pytest.raises(InputError, match="max_samples"):
        spectral.gram_spectrum(X, max_samples=10**6)


@pytest.mark.timeout(30)
def test_sample_manifold_memory_is_estimated(capsys):
    _refused(capsys, "spectral", "id", "--n", "1000000000")


@pytest.mark.timeout(30)
def test_rhm_sample_memory_is_estimated(capsys):
    _refused(capsys, "rhm", "sample", "--n", "1000000000", "--L", "6", "--m", "4", "--v", "4", "--n-c", "4")


@pytest.mark.timeout(30)
def test_seen_distribution_work_is_estimated():
    spec = rhm.RHMSpec.make(s=2, L=4, m=3, v=3, n_c=3, alpha=1.0)  # K = 8
    with pytest.raises(InputError, match="limit"):
        rhm.seen_paths_distribution(spec, [10.0] * 100, n_test=10**7)
