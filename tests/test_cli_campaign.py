"""Issue 18, command-line campaign: a generated list of bad invocations, each refused cleanly.

The list is built from the parser itself (every option of every subcommand,
by its type: integers, numbers, grids, count grids, integer lists, paths,
rank windows, choices), so a new option is covered without editing this file,
plus the contradictions and physically invalid settings the issue names
(``gram --data X --source rhm``, ``predict --lattice-dim 3 --tau 2.2``,
``--z -5``, the percolation toy's ``quanta.p`` above p_c, a fractional P in
``rhm seen``, ``1,,2``, ``1.5:10.5``, ``--out ''``, complex data, round-off
eigenvalues). Every one must end with exit status 2, a one-line error as the
last line of stderr (argparse's usage line may precede it), no traceback, and
nothing written to the working folder. All run in-process through
:func:`scalinglab.cli.main`.
"""

import argparse
import contextlib
import io
import os
from pathlib import Path

import numpy as np
import pytest

from scalinglab.cli import build_parser, main

pytestmark = pytest.mark.timeout(600)

HERE = Path(__file__).resolve().parent
#: Commands that start experiments: only values that argparse itself refuses are generated for them.
EXPERIMENTS = {("demo",), ("reproduce",), ("run",), ("spectral", "sweep")}

BAD_BY_TYPE = {
    "int": ["x", "1.5", "nan", ""],
    "float": ["x", "", "1,2", "nan"],
    "parse_grid": ["1,,2", "1,2,", "x", "", "1.5:10.5", "1:2:3:4", "nan"],
    "parse_count_grid": ["1,,2", "10.5", "x", "", "1.5:10.5"],
    "parse_int_list": ["1,,2", "1.5", "x", ""],
    "path_arg": ["", " "],
    "_window_arg": ["1.5:10.5", "x", "1:2:3"],
    "choices": ["bogus"],
}
#: argparse-level refusals only (safe for the experiment commands)
ARGPARSE_ONLY = {"int": ["x", "1.5", ""], "float": ["x", ""], "path_arg": ["", " "], "choices": ["bogus"]}


def _files(folder):
    f = Path(folder)
    np.save(f / "complex.npy", np.random.default_rng(0).standard_normal((50, 3)) * (1 + 1j))
    np.save(f / "same.npy", np.ones((200, 3)))
    np.save(f / "good.npy", np.random.default_rng(0).standard_normal((80, 3)))
    (f / "words.txt").write_text(" ".join(["the"] * 50 + ["cat"] * 20 + ["hat"] * 10 + ["a", "b", "c"] * 3) + "\n")
    (f / "t.csv").write_text("a,b,label\n" + "".join(f"{i / 10},{(i * 7 % 10) / 10},{i % 2}\n" for i in range(40)))
    (f / "sizes.txt").write_text("\n".join(str(s) for s in np.random.default_rng(1).zipf(2.5, 500)) + "\n")
    spec = (HERE.parent / "scalinglab" / "specs" / "percolation-toy.quick.toml").read_text()
    # the quanta must be subcritical (p < p_c = 1/2 at z = 3), the manifold supercritical
    (f / "toy-quanta-above-pc.toml").write_text(spec.replace("p = 0.48", "p = 0.6", 1))
    dom = spec.split("[dominant]")
    (f / "toy-dominant-below-pc.toml").write_text(dom[0] + "[dominant]" + dom[1].replace("p = 0.502", "p = 0.4", 1))
    return {n: str(f / n) for n in ("complex.npy", "same.npy", "good.npy", "words.txt", "t.csv", "sizes.txt",
                                    "toy-quanta-above-pc.toml", "toy-dominant-below-pc.toml")}


def _base(path, files):
    """A valid invocation of a leaf command (its required arguments)."""
    return {("reproduce",): ["reproduce", "rhm-seed"], ("run",): ["run", files["toy-quanta-above-pc.toml"]],
            ("spectral", "sweep"): ["spectral", "sweep", "gram-id"],
            ("percolation", "stats"): ["percolation", "stats", "--p", "0.4"],
            ("predict", "tokens"): ["predict", "tokens", files["words.txt"]],
            ("predict", "features"): ["predict", "features", files["t.csv"]],
            ("predict", "clusters"): ["predict", "clusters", files["sizes.txt"]]}.get(path, list(path))


def _leaves(parser, path=()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, sp in subs[0].choices.items():
        yield from _leaves(sp, path + (name,))


def generated(files):
    """Bad command lines from the parser: one option at a time, by its type."""
    out = []
    for path, parser in _leaves(build_parser()):
        table = ARGPARSE_ONLY if path in EXPERIMENTS else BAD_BY_TYPE
        for a in parser._actions:
            if not a.option_strings or a.dest in ("help", "json") or a.nargs == 0:
                continue
            kind = "choices" if a.choices else getattr(a.type, "__name__", None)
            for bad in table.get(kind, []):
                out.append(_base(path, files) + [a.option_strings[0], bad])
    return out


def named(files):
    """The issue's contradictions and physically invalid parameters."""
    g, c, s = files["good.npy"], files["complex.npy"], files["same.npy"]
    cases = []
    for cmd in ("gram", "id"):
        cases += [["spectral", cmd, "--data", g, "--source", "rhm"],
                  ["spectral", cmd, "--data", g, "--manifold", "torus"],
                  ["spectral", cmd, "--data", g, "--n", "50"],
                  ["spectral", cmd, "--source", "rhm", "--p", "0.7"],
                  ["spectral", cmd, "--source", "percolation", "--alpha", "2"],
                  ["spectral", cmd, "--source", "rhm", "--manifold", "cube"],
                  ["spectral", cmd, "--alpha", "2", "--n", "50"],
                  ["spectral", cmd, "--data", c],                          # the imaginary part was dropped
                  ["spectral", cmd, "--data", ""]]
    cases += [["spectral", "gram", "--data", s],                           # round-off eigenvalues (was alpha_K 0.27)
              ["spectral", "gram", "--data", g, "--window", "1.5:10.5"],
              ["percolation", "predict", "--lattice-dim", "3", "--tau", "2.2"],
              ["percolation", "predict", "--lattice-dim", "3", "--D", "2"],
              ["percolation", "predict", "--lattice-dim", "3", "--alpha", "1"],
              ["percolation", "predict", "--tau", "3.5"],
              ["percolation", "stats", "--p", "0.4", "--z", "-5"],
              ["percolation", "stats", "--p", "0.4", "--z", "2"],
              ["percolation", "stats", "--p", "1.5"],
              ["percolation", "exponents", "--z", "-5"],
              ["rhm", "seen", "--P", "10.5"],
              ["rhm", "seen", "--P", "10,100.5"],
              ["rhm", "eps", "--P", "1,,2"],
              ["rhm", "alpha-prime", "--window", "1.5:10.5"],
              ["rhm", "alpha-c", "--L", "3,,4"],
              ["rhm", "sample", "--out", ""],
              ["demo", "--out", ""],
              ["reproduce", "rhm-seed", "--out", ""],
              ["run", files["toy-quanta-above-pc.toml"], "--dry-run"],      # quanta.p above p_c
              ["run", files["toy-dominant-below-pc.toml"], "--dry-run"],    # the manifold below p_c
              ["predict", "tokens", files["words.txt"], "--out", ""]]
    return cases


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse's own refusals
            rc = exc.code
    return rc, out.getvalue(), err.getvalue()


def _check_refused(argv, tmp_path):
    before = set(os.listdir(tmp_path))
    rc, out, err = _run(argv)
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert rc == 2, (argv, rc, out[-300:], err[-300:])
    assert "Traceback" not in err, (argv, err)
    assert lines and lines[-1].startswith("scalinglab") and ": error: " in lines[-1], (argv, err)
    # one line: the error alone, or argparse's usage (which starts with 'usage:') then the error
    assert len(lines) == 1 or lines[0].startswith("usage:"), (argv, err)
    assert set(os.listdir(tmp_path)) == before, (argv, sorted(set(os.listdir(tmp_path)) - before))


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    data = tmp_path / "inputs"
    data.mkdir()
    files = _files(data)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return files, work


def test_generated_bad_invocations_are_refused_in_one_line(in_tmp):
    files, work = in_tmp
    cases = generated(files)
    assert len(cases) > 250  # every option of every subcommand, several bad values each
    for argv in cases:
        _check_refused(argv, work)


def test_named_contradictions_and_invalid_physics_are_refused(in_tmp):
    files, work = in_tmp
    for argv in named(files):
        _check_refused(argv, work)


def test_the_valid_neighbours_still_run(in_tmp):
    # the refusals are not blanket: the same options, consistent, work
    files, work = in_tmp
    for argv in (["spectral", "gram", "--data", files["good.npy"]],
                 ["spectral", "gram", "--source", "rhm", "--n", "100", "--alpha", "0.5"],
                 ["spectral", "id", "--manifold", "torus", "--d", "2", "--n", "300"],
                 ["percolation", "predict", "--lattice-dim", "3"],
                 ["percolation", "predict", "--tau", "2.2", "--D", "3"],
                 ["rhm", "seen", "--P", "10:1000:3", "--n-test", "50"],
                 ["rhm", "alpha-prime", "--window", "2:50"]):
        rc, out, err = _run(argv)
        assert rc == 0, (argv, err)
