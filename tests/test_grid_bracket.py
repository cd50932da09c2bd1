"""grid_bracket / bracket_ratio (scalinglab.theory.fitting): verdicts read off a grid, against hand-computed cases."""

import numpy as np
import pytest

from scalinglab.errors import InputError
from scalinglab.theory.fitting import bracket_ratio, grid_bracket, interval_method_text

GRID = [1.0, 2.0, 4.0, 8.0]


def _all_hold(flags):  # per resample: the criterion holds where every drawn seed holds
    return np.asarray(flags).all(0)


def test_identical_seeds_give_the_grid_bracket_itself():
    err = np.array([[0.9, 0.6, 0.3, 0.1]] * 6)
    b = grid_bracket(GRID, err, lambda e: e.mean(0) < 0.5, n_boot=200)
    assert (b.lo, b.hi, b.lo_seeds, b.hi_seeds) == (2.0, 4.0, 2.0, 4.0)
    assert b.method == "percentile" and not b.bound and b.frac_never == 0.0


def test_open_ends():
    below = grid_bracket(GRID, np.array([[0.1] * 4] * 5), lambda e: e.mean(0) < 0.5, n_boot=200)
    assert (below.lo, below.hi) == (None, 1.0) and "at most 1" in below.text()
    never = grid_bracket(GRID, np.array([[0.9] * 4] * 5), lambda e: e.mean(0) < 0.5, n_boot=200)
    assert (never.lo, never.hi, never.frac_never) == (8.0, None, 1.0) and "never on the grid" in never.text()


def test_a_later_failure_moves_the_threshold_up():
    # holds at 2, fails at 4, holds at 8: the threshold (from which it holds everywhere after) is in (4, 8]
    flags = np.array([[False, True, False, True]] * 5)
    b = grid_bracket(GRID, flags, _all_hold, n_boot=200)
    assert (b.lo, b.hi) == (4.0, 8.0)


def test_underfit_failures_only_bound_from_below():
    # the audit's FCN case: fails at 2, 4 (underfit) and 8 (underfit)... here at 2 (reliable), 4 and 8 underfit
    P = [1.0, 2.0, 4.0, 8.0, 16.0]
    err = np.array([[0.9, 0.9, 0.88, 0.85, 0.01]] * 5)
    unrel = [False, False, True, True, False]
    b = grid_bracket(P, err, lambda e: e.mean(0) < 0.45, unreliable=unrel, n_boot=200)
    assert (b.lo, b.hi, b.bound) == (2.0, 16.0, True)
    assert "bound" in b.text() and "4, 8" in b.text()
    plain = grid_bracket(P, err, lambda e: e.mean(0) < 0.45, n_boot=200)
    assert (plain.lo, plain.hi, plain.bound) == (8.0, 16.0, False)
    # every failure underfit: no lower end at all
    b0 = grid_bracket(P, err, lambda e: e.mean(0) < 0.45, unreliable=[True] * 4 + [False], n_boot=200)
    assert (b0.lo, b0.hi) == (None, 16.0)


def test_few_seeds_take_the_range_over_resamples():
    # 3 seeds flat from index 1, 2, 3; majority rule: all seeds -> from index 2 (bracket (2, 4]);
    # the resample of seed 0 alone gives (1, 2], of seed 2 alone (4, 8]: the range (1, 8]
    t = np.array([1, 2, 3])
    flags = np.arange(4)[None, :] >= t[:, None]
    b = grid_bracket(GRID, flags, lambda f: f.mean(0) > 0.5, n_boot=1000)
    assert (b.lo, b.hi) == (2.0, 4.0)
    assert (b.lo_seeds, b.hi_seeds, b.method) == (1.0, 8.0, "range")


def test_ten_seeds_quantiles_against_the_binomial():
    # 9 seeds hold from index 1, one from index 2; "all drawn seeds hold": a resample brackets (1, 2] when the late
    # seed is not drawn (probability 0.9**10 = 0.349), else (2, 4]. So the 2.5 % quantile of the lower ends is
    # grid[0] and the 97.5 % quantile of the upper ends grid[2]; the all-seeds bracket is (2, 4].
    t = np.array([1] * 9 + [2])
    flags = np.arange(4)[None, :] >= t[:, None]
    n_boot = 4000
    b = grid_bracket(GRID, flags, _all_hold, n_boot=n_boot, seed=3)
    assert (b.lo, b.hi) == (2.0, 4.0)
    assert (b.lo_seeds, b.hi_seeds, b.method) == (1.0, 4.0, "percentile")
    p = 0.9**10
    frac = np.mean(b.samples[:, 1] == 1)
    assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / n_boot)


def test_order_of_seeds_does_not_matter_with_labels():
    rng = np.random.default_rng(0)
    err = rng.uniform(0.2, 0.8, size=(7, 4)) * np.array([1.0, 0.8, 0.6, 0.3])
    perm = rng.permutation(7)
    a = grid_bracket(GRID, err, lambda e: e.mean(0) < 0.3, labels=list(range(7)), n_boot=300)
    b = grid_bracket(GRID, err[perm], lambda e: e.mean(0) < 0.3, labels=list(perm), n_boot=300)
    assert a.to_dict() == b.to_dict()


def test_ratio_of_brackets_by_hand():
    P = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    cnn = grid_bracket(P, np.array([[0.9, 0.2, 0.1, 0, 0, 0]] * 5), lambda e: e.mean(0) < 0.5, n_boot=200)
    fcn = grid_bracket(P, np.array([[0.9, 0.9, 0.8, 0.7, 0.1, 0]] * 5), lambda e: e.mean(0) < 0.5, n_boot=200)
    assert bracket_ratio(fcn, cnn) == (8 / 2, 16 / 1)
    never = grid_bracket(P, np.array([[0.9] * 6] * 5), lambda e: e.mean(0) < 0.5, n_boot=200)
    assert bracket_ratio(never, cnn) == (32 / 2, None)


def test_bad_input_is_one_line_error():
    with pytest.raises(InputError, match="ascending"):
        grid_bracket([2, 1], np.zeros((3, 2)), lambda e: e.mean(0) < 1)
    with pytest.raises(InputError, match="one flag per grid value"):
        grid_bracket(GRID, np.zeros((3, 4)), lambda e: e.mean(0)[:2] < 1, n_boot=100)
    with pytest.raises(InputError, match="at least one seed"):
        grid_bracket(GRID, np.zeros((0, 4)), lambda e: e.mean(0) < 1)


def test_interval_method_text_switches_below_five_seeds():
    assert "jackknife-t" in interval_method_text(4) and "bootstrap" not in interval_method_text(4).split("(")[0]
    assert interval_method_text(5, 1000).startswith("95 % percentile bootstrap over whole seeds")
