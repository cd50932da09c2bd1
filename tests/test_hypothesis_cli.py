"""Property-based checks of every CLI subcommand (issue 12).

Random command lines, built from valid values, edge values and junk for each
option, must end in one of: exit 0 (and with ``--json`` every nan/inf or null
in the output has a stated reason: a ``<key>_reason`` beside it, the one
convention of :func:`scalinglab._results.strict_json`), a one-line ``scalinglab: error: ...`` with exit 2, or argparse's
own usage error (exit 2). Never a traceback, never a hang. The commands that
run experiments (``demo``, ``reproduce``, ``spectral sweep``) get only
arguments that must be refused before any work starts.
"""

import io
import json
import math
import os
import tempfile
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _hypothesis_support import examples, guarded
from scalinglab.cli import main

pytestmark = pytest.mark.timeout(300)

TMP = tempfile.mkdtemp(prefix="scalinglab-hyp-")
np.save(os.path.join(TMP, "good.npy"), np.random.default_rng(0).standard_normal((60, 3)))
np.save(os.path.join(TMP, "obj.npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
np.save(os.path.join(TMP, "lattice.npy"), np.stack(np.meshgrid(np.arange(8), np.arange(8)), -1).reshape(-1, 2)
        .astype(float))
with open(os.path.join(TMP, "junk.txt"), "w") as fh:
    fh.write("a b c\n1 2 x\n")
with open(os.path.join(TMP, "nan.csv"), "w") as fh:
    fh.write("1,2\nnan,3\n4,5\n")
with open(os.path.join(TMP, "empty.csv"), "w") as fh:
    fh.write("")
os.makedirs(os.path.join(TMP, "dir"), exist_ok=True)

INT = st.sampled_from(["0", "1", "2", "3", "5", "12", "-1", "-7", "3.5", "1e3", "abc", "", "99999999999999999999"])
SMALL_INT = st.sampled_from(["1", "2", "3", "4", "0", "-1", "x"])
FLOAT = st.sampled_from(["0", "0.5", "1", "2", "-1", "-0.5", "nan", "inf", "-inf", "1e300", "1e-300", "abc", ""])
PROB = st.sampled_from(["0.3", "0.5", "0.6", "0.5000000001", "0.49999999999999", "0", "1", "1.5", "nan", "x"])
GRID = st.sampled_from(["1:1e6:5", "10,100", "1,10,100", "nan", "5:1:3", "1:10:1", "", "abc", "0:1:3", "1,2,inf",
                        "-3", "0", "1e300", "1:1e300:4"])
WINDOW = st.sampled_from(["full", "head:1", "head:2", "head:0", "head:x", "1:100", "5:2", "0:10", "abc", "1:1e300",
                          "2:50", "1:2:3"])
ALPHA = st.sampled_from(["1", "-1", "0.5", "2", "100", "-2", "nan", "inf", "1,2", "1,2,3", "abc", "0"])
M = st.sampled_from(["1", "2", "3", "10", "0", "-1", "1000", "x"])
L = st.sampled_from(["1", "2", "3", "4", "6", "40", "300", "1000", "0", "-1", "x"])
OUT = st.sampled_from([os.path.join(TMP, "x.npz"), os.path.join(TMP, "y"), os.path.join(TMP, "dir"),
                       "/nonexistent/dir/x.npz", os.path.join(TMP, "junk.txt", "x.npz")])
DATA = st.sampled_from([os.path.join(TMP, f) for f in ("good.npy", "obj.npy", "lattice.npy", "junk.txt", "nan.csv",
                                                       "empty.csv", "missing.npy", "dir")])

MODEL = {"--n-c": SMALL_INT, "--v": st.sampled_from(["10", "3", "2", "1", "0", "x"]), "--m": M, "--s": SMALL_INT,
         "--L": L, "--alpha": ALPHA, "--zipf-levels": st.sampled_from(["1", "2,3", "0", "9", "x"])}
SPECTRAL_DATA = {"--data": DATA, "--source": st.sampled_from(["rhm", "percolation", "bogus"]), "--alpha": FLOAT,
                 "--p": PROB, "--manifold": st.sampled_from(["sphere", "torus", "cube", "subspace", "blob"]),
                 "--d": INT, "--n": st.sampled_from(["50", "200", "3", "1", "0", "-5", "10000000000", "x"]),
                 "--ambient": INT, "--seed": INT}

COMMANDS = {
    ("rhm", "spectrum"): {**MODEL, "--mode": st.sampled_from(["auto", "exact", "binned", "fast"]), "--head": INT,
                          "--window": WINDOW, "--n-points": INT},
    ("rhm", "alpha-prime"): {**MODEL, "--window": WINDOW, "--n-points": INT, "--at-P": GRID},
    ("rhm", "alpha-c"): {"--m": M, "--L": st.sampled_from(["3", "2,3", "1", "23", "60", "40", "0", "x"]),
                         "--window": WINDOW, "--n-points": INT},
    ("rhm", "table"): {"--m": M, "--L": st.sampled_from(["2", "2,3", "1", "40", "0", "x", ""]), "--n-points": INT},
    ("rhm", "eps"): {**MODEL, "--P": GRID, "--window": WINDOW, "--position-free": None},
    ("rhm", "seen"): {**MODEL, "--P": GRID, "--n-test": st.sampled_from(["50", "2", "1", "0", "-3", "10**9", "x"]),
                      "--seed": INT},
    # sympy derivations: only arguments that are refused before the (slow, cached) derivation starts;
    # tests/test_cli.py runs the valid ones
    ("rhm", "symbolic"): {"--L": st.sampled_from(["9", "0", "-1", "x", "100"])},
    ("rhm", "sample"): {**MODEL, "--n": st.sampled_from(["5", "1", "0", "-1", "1000000000", "x"]),
                        "--rules-seed": INT, "--seed": INT, "--start": st.sampled_from(["0", "7", "-1",
                                                                                        str(2**64), "x"]),
                        "--out": OUT, "--head": INT},
    ("percolation", "stats"): {"--p": PROB, "--z": st.sampled_from(["3", "4", "2", "0", "1000", "x"]),
                               "--sizes": st.sampled_from(["1", "10 100", "nan", "inf", "0", "1e30", "x"]),
                               "--s-max": FLOAT},
    ("percolation", "exponents"): {"--derive": None, "--z": st.sampled_from(["2", "0", "-1", "2000", "x"])},
    ("percolation", "predict"): {"--regime": st.sampled_from(["subcritical", "critical", "supercritical", "x"]),
                                 "--c": FLOAT, "--D": FLOAT, "--tau": FLOAT, "--alpha": FLOAT,
                                 "--lattice-dim": st.sampled_from(["2", "3", "6", "9", "1", "2.5", "x"])},
    ("spectral", "exponents"): {"--alpha-K": FLOAT, "--d": FLOAT, "--smoothness": FLOAT},
    ("spectral", "rf"): {"--alpha-K": FLOAT, "--modes": st.sampled_from(["200", "1", "0", "-5", "300000000", "x"]),
                         "--D": GRID, "--P": GRID},
    ("spectral", "eigenlearning"): {"--alpha-K": FLOAT, "--target-exponent": FLOAT,
                                    "--modes": st.sampled_from(["300", "1", "0", "300000000", "x"]), "--n": GRID,
                                    "--ridge": FLOAT, "--noise": FLOAT},
    ("spectral", "gram"): {**SPECTRAL_DATA, "--kernel": st.sampled_from(["laplace", "rbf", "linear", "arccos1", "x"]),
                           "--bandwidth": FLOAT, "--center": None, "--window": st.sampled_from(
                               ["3:10", "0:1e9", "5:1e9", "2.5:8", "1:2", "x", "10:3"]),
                           "--max-samples": st.sampled_from(["100", "2", "1", "0", "1000000", "x"])},
    ("spectral", "id"): {**SPECTRAL_DATA, "--discard": FLOAT, "--k1": INT, "--k2": INT},
}
# drawn less often than the numeric commands
_SLOW = {("rhm", "symbolic"), ("percolation", "exponents")}
WEIGHTED = [c for c in sorted(COMMANDS) for _ in range(1 if c in _SLOW else 4)]
# commands that run experiments: only arguments that must be refused before any work
REFUSED_ONLY = [
    st.tuples(st.just("demo"), st.just("--section"), st.sampled_from(["bogus", "x", ""]), st.just("--out"),
              st.just(os.path.join(TMP, "demo"))),
    st.tuples(st.just("reproduce"), st.sampled_from(["no-such-figure", "rhm", "x y"])),
    st.tuples(st.just("spectral"), st.just("sweep"), st.sampled_from(["rf-regimes", "gram-id", "bogus"]),
              st.just("--scheduler"), st.sampled_from(["bogus", "local:0", "local:x", "slurm:", "slurm"]),
              st.just("--out"), st.just(os.path.join(TMP, "sweep"))),
]
# the short lists and bare flags that always run (no options): quick
PLAIN = [["reproduce", "--list"], ["rhm"], ["percolation", "predict"], ["spectral", "exponents"]]


@st.composite
def command_lines(draw):
    cmd = draw(st.sampled_from(WEIGHTED))
    opts = COMMANDS[cmd]
    names = draw(st.lists(st.sampled_from(sorted(opts)), max_size=4, unique=True))
    if cmd == ("rhm", "symbolic") or (cmd == ("percolation", "exponents") and "--derive" in names):
        names = sorted(set(names) | {"--L" if cmd[0] == "rhm" else "--z"})  # an argument refused before sympy
    argv = list(cmd)
    for name in names:
        if opts[name] is None:
            argv.append(name)
        else:
            value = draw(opts[name])
            argv += [name] + (value.split(" ") if name == "--sizes" else [value])
    if cmd[0] == "spectral" and cmd[1] in ("gram", "id") and "--n" not in names:
        argv += ["--n", draw(st.sampled_from(["60", "300"]))]  # the default 2000 points take seconds
    if cmd == ("spectral", "eigenlearning") and "--modes" not in names:
        argv += ["--modes", "2000"]  # the default 20000 modes x 7 sizes take a second
    if draw(st.integers(0, 3)) > 0:
        argv.append("--json")
    return argv


def _reasoned(payload):
    """Paths of nan/inf/null numbers in the JSON that no ``<key>_reason`` beside them covers."""
    bad = []

    def walk(obj, path, parent, key):
        if isinstance(obj, dict):
            for k, x in obj.items():
                walk(x, f"{path}.{k}", obj, k)
        elif isinstance(obj, list):
            for i, x in enumerate(obj):
                walk(x, f"{path}[{i}]", parent, key)
        elif isinstance(obj, float) and not math.isfinite(obj) or obj is None:
            if obj is None and (key is None or str(key).endswith("_reason")):
                return
            covered = isinstance(parent, dict) and f"{key}_reason" in parent
            if obj is None and key in ("smoothness", "kernel_smoothness", "alpha", "bandwidth", "target_exponent",
                                       "out", "scheduler", "at_P", "window"):
                covered = True  # an option left unset
            if not covered:
                bad.append(path)

    walk(payload, "$", None, None)
    return bad


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            kind, rc = guarded(main, argv)
        except SystemExit as exc:  # argparse: usage error (2)
            rc = exc.code
            assert rc == 2, (argv, rc, err.getvalue())
            assert "error:" in err.getvalue()
            return rc, out.getvalue(), err.getvalue()
    assert kind == "ok"  # main never lets an InputError escape: it prints it
    return rc, out.getvalue(), err.getvalue()


def check(argv):
    import time
    t0 = time.perf_counter()
    rc, out, err = run_cli(argv)
    if os.environ.get("SCALINGLAB_HYP_TIMES"):
        with open(os.environ["SCALINGLAB_HYP_TIMES"], "a") as fh:
            fh.write(f"{time.perf_counter() - t0:.2f} {argv}\n")
    assert "Traceback" not in err
    try:
        from hypothesis import event

        event(f"{' '.join(argv[:2])}: exit {rc}")
    except Exception:  # outside a hypothesis test
        pass
    if rc == 2:
        lines = err.strip().splitlines()
        assert (len(lines) == 1 and lines[0].startswith("scalinglab: error: ")) or "usage:" in err, (argv, err)
        return rc
    assert rc == 0, (argv, rc, err)
    if "--json" in argv:
        payload = json.loads(out)
        bad = _reasoned(payload)
        assert not bad, f"{argv}: nan/inf/null without a stated reason at {bad}"
    return rc


@given(command_lines())
@settings(max_examples=examples(300))
def test_every_subcommand_answers_or_refuses_cleanly(argv):
    check(argv)


@given(st.one_of(*REFUSED_ONLY))
@settings(max_examples=examples(12))
def test_experiment_commands_refuse_bad_arguments_before_work(argv):
    assert check(list(argv)) == 2


@pytest.mark.parametrize("argv", PLAIN)
def test_plain_commands(argv):
    check(argv + ["--json"])
