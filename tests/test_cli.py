import json

import numpy as np
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


# ----------------------------------------------------------------- strict JSON everywhere
def _strict(text):
    def refuse(const):
        raise ValueError(f"non-strict JSON constant {const}")

    return json.loads(text, parse_constant=refuse)


def _subcommands():
    """Every leaf command of the parser, as a tuple of words."""
    from scalinglab.cli import build_parser

    def leaves(parser, prefix):
        subs = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
        if not subs:
            return [prefix]
        return [leaf for name, p in subs[0].choices.items() for leaf in leaves(p, prefix + (name,))]

    return set(leaves(build_parser(), ()))


def _fake_execute(exp, config, out, **kw):
    from scalinglab.validate.protocol import Outcome

    return Outcome(name=exp.name, out=str(out), summary={"exponent": float("nan"), "ci": [0.1, float("inf")]})


def test_every_subcommand_prints_strict_json(capsys, tmp_path, monkeypatch):
    from scalinglab.validate import protocol

    monkeypatch.setattr(protocol, "execute", _fake_execute)
    spec = tmp_path / "mine.toml"
    spec.write_text('experiment = "rhm-curve"\nP = [16, 64]\nseeds = 1\n[[curves]]\nalpha = 1.0\n')
    rng = np.random.default_rng(0)
    tokens = tmp_path / "tokens.npy"
    np.save(tokens, rng.zipf(1.8, 3000))
    feats = tmp_path / "feats.npy"
    np.save(feats, np.c_[rng.normal(size=(120, 3)), rng.normal(size=120)])
    sizes = tmp_path / "sizes.npy"
    np.save(sizes, rng.zipf(2.2, 2000))
    cases = {
        ("demo",): ["demo", "--quick", "--section", "percolation", "--out", str(tmp_path / "demo")],
        ("reproduce",): ["reproduce", "rhm-fig6", "--out", str(tmp_path / "fake")],
        ("run",): ["run", str(spec), "--out", str(tmp_path / "mine")],
        ("rhm", "spectrum"): ["rhm", "spectrum", "--head", "3"],
        ("rhm", "alpha-prime"): ["rhm", "alpha-prime", "--at-P", "10,1000"],
        ("rhm", "alpha-c"): ["rhm", "alpha-c", "--L", "2"],
        ("rhm", "table"): ["rhm", "table", "--L", "2"],
        ("rhm", "eps"): ["rhm", "eps", "--P", "0,10,100", "--position-free"],  # local exponent NaN at P = 0
        ("rhm", "symbolic"): ["rhm", "symbolic", "--L", "2"],
        ("rhm", "seen"): ["rhm", "seen", "--P", "100", "--n-test", "20"],
        ("rhm", "sample"): ["rhm", "sample", "--n", "20"],
        ("percolation", "stats"): ["percolation", "stats", "--p", "0.5"],  # s_xi and S infinite at p_c
        ("percolation", "exponents"): ["percolation", "exponents"],
        ("percolation", "predict"): ["percolation", "predict", "--regime", "supercritical"],  # alpha NaN
        ("spectral", "exponents"): ["spectral", "exponents", "--d", "3"],
        ("spectral", "rf"): ["spectral", "rf", "--D", "10,inf", "--P", "inf,11", "--modes", "200"],
        ("spectral", "eigenlearning"): ["spectral", "eigenlearning", "--modes", "500", "--n", "10,500"],
        ("spectral", "gram"): ["spectral", "gram", "--n", "200", "--window", "3:20"],
        ("spectral", "id"): ["spectral", "id", "--n", "300"],
        ("spectral", "sweep"): ["spectral", "sweep", "gram-id", "--out", str(tmp_path / "sweep")],
        ("predict", "tokens"): ["predict", "tokens", str(tokens), "--n-boot", "100", "--peer", "no", "--no-report"],
        ("predict", "features"): ["predict", "features", str(feats), "--target", "3", "--seeds", "2", "--peer", "no",
                                  "--no-report"],
        ("predict", "clusters"): ["predict", "clusters", str(sizes), "--n-boot", "100", "--no-report"],
    }
    assert set(cases) == _subcommands(), "a subcommand without a strict-JSON check"
    for words, argv in cases.items():
        rc = main(argv + ["--json"])
        out, err = capsys.readouterr()
        assert rc == 0, (words, err)
        payload = _strict(out)
        assert isinstance(payload, dict) and payload, words
    # the non-finite values became null with a reason
    main(["percolation", "stats", "--p", "0.5", "--json"])
    got = _strict(capsys.readouterr().out)
    assert got["cutoff_size"] is None and "p_c" in got["cutoff_size_reason"]
    main(["reproduce", "rhm-fig6", "--out", str(tmp_path / "fake"), "--json"])
    got = _strict(capsys.readouterr().out)["summary"]
    assert got["exponent"] is None and got["ci"] == [0.1, None] and "ci_reason" in got


def test_text_output_is_the_results_str(capsys):
    from scalinglab.theory.percolation import bethe_stats, brill_prediction

    rc, out, _ = run(capsys, "percolation", "predict", "--c", "8")
    assert out.strip() == str(brill_prediction("subcritical", c=8.0)).strip()
    rc, out, _ = run(capsys, "percolation", "stats", "--p", "0.3", "--sizes", "1", "10")
    assert out.strip() == str(bethe_stats(0.3, 3, sizes=[1, 10])).strip()
    rc, out, _ = run(capsys, "rhm", "eps", "--P", "10,1000")
    assert out.strip() == str(learning_curve(RHMSpec.make(alpha=1.0), [10, 1000])).strip()


def test_warnings_print_as_one_line(capsys):
    """A warning raised under a command reaches the user as one 'scalinglab: warning: ...' line, no source line."""
    import warnings

    from scalinglab.cli import _one_line_warning

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = _one_line_warning
        warnings.warn("only 2 seeds:\n  add seeds", UserWarning)
    err = capsys.readouterr().err
    assert err == "scalinglab: warning: only 2 seeds: add seeds\n"
