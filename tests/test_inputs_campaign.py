"""Issue 18, inputs campaign: every public function of ``scalinglab.theory`` against bad arguments.

The registry (tests/_campaign_registry.py) holds one valid call per public
function, enumerated from each namespace's ``__all__`` (a test below fails when
a public name is added without an entry), with a value-level check against an
independent reference where one exists (exact formulas, mpmath, scipy, brute
force). For every function:

* the valid call returns the reference value and no nan/inf without a reason;
* every argument, replaced in turn by each bad value of ``BAD`` (nan, inf,
  negative, zero, booleans, strings, None, 10**400, complex, empty and nested
  lists, dicts), gives a one-line :class:`~scalinglab.errors.InputError` or a
  result whose every nan/inf has a stated reason (``_reasons`` of the result
  class or a ``<key>_reason`` beside it) - never another exception, never a
  hang (:data:`_hypothesis_support.HANG_S`);
* hypothesis draws two arguments at once from a wider space (any float, huge
  and negative integers, junk) for the same contract.

The sweep found 44 functions raising KeyError, ValueError, TypeError,
OverflowError, IndexError, AttributeError, ZeroDivisionError or LinAlgError,
or returning nan/inf with no reason, before the fixes of issue 18.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _campaign_registry import BAD, CASES, METHOD_CASES, NAMESPACES, NOT_CALLABLE, public_names, unreasoned
from _hypothesis_support import examples, guarded
from scalinglab.errors import InputError
from scalinglab.theory import fitting, percolation, rhm, spectral

pytestmark = pytest.mark.timeout(600)

ALL = {**CASES, **METHOD_CASES}


def _params(name):
    case = ALL[name]
    return [p for p in case.kwargs if p not in case.fixed]


def _marked(names):
    return [pytest.param(n, marks=pytest.mark.slow) if ALL[n].slow else n for n in names]


def _contract(case, kw):
    """Call with ``kw``: InputError (one line, checked by guarded) or a result with reasoned nan/inf."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FewSeedsWarning and friends are part of a valid answer
        kind, out = guarded(case.fn, **kw)
    if kind == "ok":
        bad = unreasoned(out)
        if bad and not (case.allow and case.allow(kw, out)):
            raise AssertionError(f"nan/inf without a stated reason at {bad[:4]} for {kw!r:.300}")
    return kind


def test_every_public_name_is_in_the_campaign():
    names = public_names()
    covered = set(CASES) | NOT_CALLABLE
    missing = sorted(names - covered)
    assert not missing, f"public functions with no campaign entry (add them to tests/_campaign_registry.py): {missing}"
    stale = sorted(set(CASES) - names)
    assert not stale, f"campaign entries that are not public names: {stale}"
    # the namespaces are the public ones of scalinglab.theory
    import scalinglab.theory as T
    assert set(NAMESPACES) == set(T.__all__)
    assert set(CASES) == names - NOT_CALLABLE  # one entry per public function, no more, no less
    for name in METHOD_CASES:  # methods of public classes that take user values
        assert name.rsplit(".", 1)[0] in NOT_CALLABLE


@pytest.mark.parametrize("name", _marked(sorted(ALL)))
def test_valid_call_matches_its_reference(name):
    case = ALL[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kind, out = guarded(case.fn, **case.kwargs)
    assert kind == "ok", out
    if case.check is not None:
        assert case.check(out) is not False
    assert not unreasoned(out), unreasoned(out)


@pytest.mark.parametrize("name", _marked(sorted(ALL)))
def test_every_bad_argument_is_an_input_error_or_reasoned(name):
    case = ALL[name]
    outcomes = {"ok": 0, "input_error": 0}
    for p in _params(name):
        for bad in BAD:
            kw = dict(case.kwargs)
            kw[p] = bad
            outcomes[_contract(case, kw)] += 1
    if _params(name):
        assert outcomes["input_error"] > 0, f"{name}: no bad value refused at all"


WIDE = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6),
                 st.sampled_from([10**400, -(10**30), True, False, None, "1", "", [], [[]], [1, "a"], (1, 2, 3),
                                  complex(0, 1), np.float32(np.nan), np.int64(-1)]),
                 st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=4))
FAST = sorted(n for n in ALL if not ALL[n].slow and _params(n))


@pytest.mark.parametrize("name", FAST)
@settings(max_examples=examples(12))
@given(data=st.data())
def test_two_arguments_at_once(name, data):
    case = ALL[name]
    params = _params(name)
    chosen = data.draw(st.lists(st.sampled_from(params), min_size=1, max_size=min(2, len(params)), unique=True))
    kw = dict(case.kwargs)
    for p in chosen:
        kw[p] = data.draw(WIDE, label=p)
    _contract(case, kw)


# ---------------------------------------------------------------------------- the issue's named cases
@pytest.mark.parametrize("call, needle", [
    (lambda: percolation.brill_nk(500, -1), "k"),                                  # was nan, silently
    (lambda: percolation.quanta_allocation_loss([[1.0, 2.0]], [0.7, -0.2]), "freqs"),  # was 1.76
    (lambda: fitting.local_slope([1, 1, 2], [1, 2, 3]), "increasing"),             # was nan/inf
    (lambda: percolation.pc_crossings(["x"], which="y"), "LatticeSweep"),          # was KeyError
    (lambda: percolation.fractal_dim([], n_boot=0), "sweeps"),                     # was IndexError
    (lambda: rhm.zeta_laurent(0.0, 3), "pole"),                                    # was ZeroDivisionError
    (lambda: rhm.zeta_laurent(0.5, 10**400), "order"),                             # was a hang
    (lambda: rhm.piltz_main_term([2]), "L"),                                       # was TypeError (unhashable)
    (lambda: fitting.powerlaw_fit([1, 2, 3], [1 + 1j, 2, 3]), "complex"),          # the imaginary part dropped
    (lambda: fitting.discrete_powerlaw_log_norm(-1e300, 1, 10**6), "exponent"),    # was an OverflowError
    (lambda: spectral.zero_mode_note("x"), "eigenvalues"),                         # was ValueError
])
def test_named_cases_of_the_issue(call, needle):
    with pytest.raises(InputError, match=needle):
        call()


def test_complex_arrays_are_refused_everywhere_the_validators_see_them():
    from scalinglab import _validation as V
    for fn in (lambda v: V.real_array("x", v), lambda v: V.as_floats("x", v), lambda v: V.real("x", v)):
        with pytest.raises(InputError):
            fn(np.array([1 + 2j, 3]) if fn is not None else None)


def test_roundoff_eigenvalues_are_not_fitted():
    # 200 identical points: the Gram matrix has rank 1, every other eigenvalue is round-off (~1e-16);
    # before, fit_spectrum reported alpha_K = 0.63 (the CLI 0.2676) from that noise
    g = spectral.gram_spectrum(np.ones((200, 3)))
    with pytest.raises(InputError, match="round-off"):
        spectral.fit_spectrum(g.eigenvalues)
    # a real power law far below lambda_max but above the floor is still fitted exactly
    lam = spectral.powerlaw_spectrum(4000, 3.0)
    assert spectral.fit_spectrum(lam).alpha_K == pytest.approx(3.0, rel=1e-9)


def test_brill_nk_value_at_the_reference_allocation():
    # b = -1/3 (alpha = 1, c/D = 1/2): k_br(24) = 8 (N(k) = k (1 - k^-b)/b = 3 k (k^{1/3} - 1) = 24 at k = 8),
    # a = b N / (k_br^b - 1) = 16, n_k = a k^(b-1) below k_br
    n = percolation.brill_nk(24.0, [1, 2, 7, 8, 9])
    np.testing.assert_allclose(n[:3], 16 * np.array([1, 2, 7], float) ** (-4 / 3), rtol=1e-12)
    assert n[3] == 0 and n[4] == 0


def test_quanta_allocation_loss_reference():
    # sum_k p_k l(n_k), l(n) = n^-c/D for n >= 1 and 1 below (an unlearned quantum)
    p = np.array([0.5, 0.3, 0.2])
    nk = np.array([[4.0, 0.5, 9.0]])
    ref = 0.5 * 4 ** -0.5 + 0.3 * 1.0 + 0.2 * 9 ** -0.5
    assert percolation.quanta_allocation_loss(nk, p)[0] == pytest.approx(ref, rel=1e-12)
    # frequencies are normalised: scaling them does not change the loss
    assert percolation.quanta_allocation_loss(nk, 10 * p)[0] == pytest.approx(ref, rel=1e-12)


def test_local_slope_reference():
    x = np.array([1.0, 2.0, 4.0])
    y = x ** -0.7
    np.testing.assert_allclose(fitting.local_slope(x, y), -0.7, rtol=1e-12)


def test_pc_crossings_rows_state_why_an_interval_is_missing():
    sw = [percolation.lattice_sweep(2, L, "site", n_samples=4, seed=L) for L in (8, 12)]
    rows = percolation.pc_crossings(sw, n_boot=5)
    for r in rows:
        if not all(math.isfinite(c) for c in r["ci"]):
            assert "ci_reason" in r and "resamples" in r["ci_reason"]
