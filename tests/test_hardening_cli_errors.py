"""Issue 12, bad command-line input: every case a one-line error with exit 2, never a traceback or garbage.

Each case below either raised a traceback or printed garbage with exit 0
before the hardening; now each must print ``scalinglab: error: ...`` on one
line, naming the parameter, and exit 2.
"""

import json
import os

import numpy as np
import pytest

from scalinglab.cli import main
from scalinglab.errors import InputError


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc, out, err, *needles):
    assert rc == 2, (rc, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scalinglab: error: "), err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, (n, err)


# --- cases that raised a traceback -------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, needles", [
    (["rhm", "sample", "--n", "5", "--start", "-1"], ["--start", ">= 0"]),
    (["rhm", "sample", "--n", "5", "--start", str(2**64)], ["--start"]),
    (["rhm", "sample", "--n", "5", "--rules-seed", "-3"], ["--rules-seed"]),
    (["rhm", "sample", "--n", "5", "--seed", "-3"], ["--seed"]),
    (["rhm", "sample", "--n", "5", "--out", "/nonexistent/dir/x.npz"], ["--out", "does not exist"]),
    (["percolation", "exponents", "--derive", "--z", "2"], ["z", ">= 3"]),
    (["rhm", "seen", "--n-test", "-5"], ["n_test"]),
    (["rhm", "symbolic", "--L", "0"], ["L", ">= 1"]),
])
def test_former_tracebacks_are_one_line_errors(capsys, argv, needles):
    assert_one_line_error(*run(capsys, *argv), *needles)


def test_sample_out_under_a_file_is_an_error(capsys, tmp_path):
    f = tmp_path / "plain-file"
    f.write_text("x")
    assert_one_line_error(*run(capsys, "rhm", "sample", "--n", "3", "--out", str(f / "x.npz")), "--out")


def test_sample_out_unwritable_is_an_error(capsys, tmp_path, monkeypatch):
    # root may write anywhere, so simulate the OS refusing the write
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied", str(tmp_path / "x.npz"))

    monkeypatch.setattr(np, "savez_compressed", refuse)
    assert_one_line_error(*run(capsys, "rhm", "sample", "--n", "3", "--out", str(tmp_path / "x.npz")),
                          "--out", "Permission denied")


def test_sample_out_is_a_folder_is_an_error(capsys, tmp_path):
    assert_one_line_error(*run(capsys, "rhm", "sample", "--n", "3", "--out", str(tmp_path)), "--out", "folder")


def test_sample_out_without_suffix_reports_the_file_written(capsys, tmp_path):
    target = tmp_path / "data"
    rc, out, err = run(capsys, "--json", "rhm", "sample", "--n", "3", "--out", str(target))
    assert rc == 0
    got = json.loads(out)["out"]
    assert got == str(target) + ".npz" and os.path.isfile(got) and not target.exists()


# --- cases that printed garbage with exit 0 -----------------------------------------------------------------------
@pytest.mark.parametrize("argv, needles", [
    (["rhm", "spectrum", "--head", "-1"], ["--head", ">= 0"]),
    (["rhm", "alpha-prime", "--at-P", "nan"], ["P"]),
    (["rhm", "alpha-prime", "--at-P", "-5"], ["P"]),
    (["rhm", "alpha-prime", "--at-P", "inf"], ["P"]),
    (["rhm", "eps", "--P", "nan"], ["P"]),
    (["rhm", "table", "--m", "-1", "--L", "2"], ["m", ">= 2"]),
    (["rhm", "table", "--L", "0"], ["L", ">= 1"]),
    (["rhm", "alpha-c", "--m", "1"], ["m", ">= 2"]),
    (["rhm", "spectrum", "--n-points", "1"], ["n_points"]),
    (["percolation", "stats", "--p", "0.4", "--sizes", "nan"], ["--sizes"]),
    (["percolation", "stats", "--p", "0.4", "--sizes", "inf"], ["--sizes"]),
    (["percolation", "stats", "--p", "0.4", "--s-max", "nan"], ["s_max"]),
    (["percolation", "stats", "--p", "nan"], ["p"]),
    (["percolation", "exponents", "--derive", "--z", "0"], ["z", ">= 3"]),
    (["percolation", "predict", "--c", "nan"], ["c"]),
    (["percolation", "predict", "--alpha", "inf"], ["alpha"]),
    (["percolation", "predict", "--lattice-dim", "1"], ["lattice"]),
    (["spectral", "exponents", "--d", "0"], ["d", "> 0"]),
    (["spectral", "exponents", "--smoothness", "2"], ["--smoothness", "--d"]),
    (["spectral", "gram", "--n", "200", "--window", "0:1e9"], ["window"]),
    (["spectral", "gram", "--n", "200", "--window", "5:1e9"], ["window", "200"]),
    (["spectral", "gram", "--n", "200", "--max-samples", "1"], ["max_samples"]),
    (["spectral", "rf", "--D", "nan"], ["D"]),
    (["spectral", "eigenlearning", "--n", "-3"], ["n"]),
    (["spectral", "eigenlearning", "--noise", "nan"], ["noise"]),
    (["spectral", "id", "--n", "3"], ["n"]),
])
def test_former_garbage_is_refused(capsys, argv, needles):
    assert_one_line_error(*run(capsys, *argv), *needles)


# --- main: only InputError is a user error --------------------------------------------------------------------
def test_main_lets_real_bugs_show_their_traceback(monkeypatch):
    import scalinglab.cli._rhm as rhm_cli

    def buggy(args):
        raise ValueError("an internal bug, not the user's fault")

    monkeypatch.setattr(rhm_cli, "_cmd_rhm_symbolic", buggy)
    with pytest.raises(ValueError, match="internal bug"):
        main(["rhm", "symbolic"])


def test_main_prints_input_errors_as_one_line(capsys, monkeypatch):
    import scalinglab.cli._rhm as rhm_cli

    def user_error(args):
        raise InputError("m must be >= 1, got 0")

    monkeypatch.setattr(rhm_cli, "_cmd_rhm_symbolic", user_error)
    assert_one_line_error(*run(capsys, "rhm", "symbolic"), "m must be >= 1")


def test_argparse_errors_stay_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["rhm", "spectrum", "--m", "ten"])
    assert exc.value.code == 2
