import json

import pytest

from scalinglab.cli import main
from scalinglab.theory.rhm import RHMSpec, alpha_c, alpha_prime, learning_curve


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for cmd in ("demo", "reproduce", "rhm"):
        assert cmd in out


def test_rhm_alpha_prime_json_matches_api(capsys):
    rc, out, _ = run(capsys, "--json", "rhm", "alpha-prime", "--L", "4", "--alpha", "1.5")
    assert rc == 0
    got = json.loads(out)
    ref = alpha_prime(RHMSpec.make(L=4, alpha=1.5))
    assert got["alpha_prime"] == pytest.approx(ref.alpha_prime, abs=1e-12)
    rc, out, _ = run(capsys, "rhm", "alpha-prime", "--json", "--window", "head:2")
    assert json.loads(out)["window"] == [1.0, 100.0]


def test_rhm_eps_and_alpha_c(capsys):
    rc, out, _ = run(capsys, "rhm", "eps", "--P", "10,1000", "--zipf-levels", "2,3", "--json")
    got = json.loads(out)
    ref = learning_curve(RHMSpec.make(alpha=1.0, zipf_levels=[2, 3]), [10, 1000])
    assert got["eps"] == pytest.approx(ref.eps.tolist(), rel=1e-12)
    rc, out, _ = run(capsys, "rhm", "eps", "--P", "10,1000", "--position-free", "--json")
    from scalinglab.theory.rhm import eps_position_free

    assert json.loads(out)["eps_position_free"] == pytest.approx(
        eps_position_free(RHMSpec.make(alpha=1.0), [10, 1000]).tolist(), rel=1e-12)
    rc, out, _ = run(capsys, "rhm", "alpha-c", "--L", "2,3", "--json")
    vals = [r["alpha_c"] for r in json.loads(out)["results"]]
    assert vals == pytest.approx([alpha_c(10, 2).alpha_c, alpha_c(10, 3).alpha_c])


def test_rhm_text_outputs(capsys):
    rc, out, _ = run(capsys, "rhm", "spectrum", "--head", "3")
    assert rc == 0 and "120 distinct path frequencies (exact mode)" in out
    rc, out, _ = run(capsys, "rhm", "table", "--L", "2")
    assert "head:1" in out
    rc, out, _ = run(capsys, "rhm", "seen", "--P", "100", "--n-test", "50")
    assert "k=4" in out


@pytest.mark.parametrize("argv, msg", [
    (["rhm", "spectrum", "--alpha", "-2"], "< -1"),
    (["rhm", "spectrum", "--m", "11"], "ambiguous"),
    (["rhm", "alpha-prime", "--window", "5:2"], "rank window"),
    (["rhm"], "choose an rhm command"),
    (["reproduce", "no-such-figure"], "unknown experiment"),
])
def test_clean_errors(capsys, argv, msg):
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and msg in err and "Traceback" not in err


def test_reproduce_list(capsys):
    rc, out, _ = run(capsys, "reproduce", "--list")
    assert rc == 0 and "experiments" in out and "rhm-fig6" in out and "spectral-teacher-student" in out


def test_rhm_symbolic_command(capsys):
    rc, out, _ = run(capsys, "rhm", "symbolic", "--L", "2", "--json")
    got = json.loads(out)
    assert got["hutter"]["exponent"] == "alpha/(alpha + 1)"
    x = got["alpha_c_table"]["x"]
    assert got["alpha_c_table"]["leading"] == pytest.approx([1 / __import__("math").log(v) for v in x])
