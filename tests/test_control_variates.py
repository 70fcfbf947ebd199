"""Tests of lectures_lib.control_variates against the exact enumeration of lectures_lib.exact_toy.

Estimators with a baseline that depends only on b are checked *exactly* (mean and variance summed over
the 2^D states); estimators over several samples are checked by Monte Carlo with a fixed seed: a
z-score bound of 4.5 standard errors per component has a false-failure probability of about 7e-6
(two-sided normal tail) per component for a fresh seed.
"""

import numpy as np
import pytest

from lectures_lib.control_variates import (
    nvil_grads,
    optimal_constant_baseline,
    reinforce_grad,
    rloo_grad,
    sample_bernoulli,
)
from lectures_lib.exact_toy import bernoulli_score, exact_toy, mean_with_error, toy_cost
from lectures_lib.rl import leave_one_out_baseline

THETA, TARGET, Z = np.array([-0.5, 0.2, 0.6]), 0.45, 4.5


def test_optimal_baseline_minimises_the_exact_variance():
    toy = exact_toy(THETA, TARGET)
    b_star = optimal_constant_baseline(toy)
    for d in range(3):
        def var(b, d=d):
            return toy.moments((toy.costs - b)[:, None] * toy.scores)[1][d]
        # the exact variance is a parabola in b with its minimum at b*: both neighbours are larger
        assert var(b_star[d]) < var(b_star[d] - 1e-3) and var(b_star[d]) < var(b_star[d] + 1e-3)
        grid = np.linspace(b_star[d] - 2, b_star[d] + 2, 401)
        assert abs(grid[np.argmin([var(b) for b in grid])] - b_star[d]) < 0.011
    # and it is not E[f] (notebook 04's lesson): the two give different variances here
    assert not np.allclose(b_star, toy.mean, atol=1e-3)


def test_every_constant_baseline_is_exactly_unbiased():
    toy = exact_toy(THETA, TARGET)
    for c in (0.0, toy.mean, 17.0, *optimal_constant_baseline(toy)):
        mean, _ = toy.moments((toy.costs - c)[:, None] * toy.scores)
        assert np.allclose(mean, toy.grad, atol=1e-14)


def test_reinforce_grad_is_the_per_sample_mean():
    rng = np.random.default_rng(0)
    b = sample_bernoulli(THETA, rng, 7)
    f, s = toy_cost(b, TARGET), bernoulli_score(b, THETA)
    base = np.array([1.0, 2.0, 3.0])
    assert np.allclose(reinforce_grad(f, s, base), ((f[:, None] - base) * s).mean(0))


def test_rloo_matches_notebook_04s_leave_one_out_baseline():
    rng = np.random.default_rng(1)
    b = sample_bernoulli(THETA, rng, 6)
    f, s = toy_cost(b, TARGET), bernoulli_score(b, THETA)
    expected = ((f - leave_one_out_baseline(f))[:, None] * s).mean(0)
    assert np.allclose(rloo_grad(f, s), expected)
    # vectorised over repetitions
    fr, sr = np.stack([f, f[::-1]]), np.stack([s, s[::-1]])
    assert np.allclose(rloo_grad(fr, sr), [expected, expected])


@pytest.mark.parametrize("n", [2, 5])
def test_rloo_is_unbiased_against_the_exact_gradient(n):
    toy, rng = exact_toy(THETA, TARGET), np.random.default_rng(2)
    b = sample_bernoulli(THETA, rng, 40_000 * n).reshape(40_000, n, 3)
    est = rloo_grad(toy_cost(b, TARGET), bernoulli_score(b, THETA))
    m, se = mean_with_error(est)
    assert np.all(np.abs(m - toy.grad) < Z * se), (m, toy.grad, se)


def test_rloo_variance_approaches_that_of_the_mean_baseline():
    """n Var[RLOO_n] -> Var[(f - E f) s] as n grows (the leave-one-out mean tends to E[f]); for small n it
    is larger: at n = 2 RLOO is even noisier than plain REINFORCE on this toy (the notebook says so)."""
    toy, rng = exact_toy(THETA, TARGET), np.random.default_rng(3)
    exact = toy.moments((toy.costs - toy.mean)[:, None] * toy.scores)[1]
    ratio = {}
    for n in (2, 4, 16):
        b = sample_bernoulli(THETA, rng, 50_000 * n).reshape(50_000, n, 3)
        f, s = toy_cost(b, TARGET), bernoulli_score(b, THETA)
        ratio[n] = rloo_grad(f, s).var(0) * n / exact
        if n == 2:
            assert reinforce_grad(f, s).var(0).sum() < rloo_grad(f, s).var(0).sum()
        if n == 16:
            assert reinforce_grad(f, s).var(0).sum() > 1.5 * rloo_grad(f, s).var(0).sum()
    # measured ~2.8, ~1.6, ~1.13; the standard error of each ratio is ~1%
    assert np.all(ratio[2] > ratio[4]) and np.all(ratio[4] > ratio[16])
    assert np.all((ratio[16] > 1.0) & (ratio[16] < 1.3))


def test_nvil_is_unbiased_and_its_baseline_learns_the_mean():
    toy = exact_toy(THETA, TARGET)
    est, base = nvil_grads(THETA, TARGET, np.random.default_rng(4), steps=60_000, n=1, lr=0.01)
    m, se = mean_with_error(est)
    assert np.all(np.abs(m - toy.grad) < Z * se)
    assert abs(base[-5000:].mean() - toy.mean) < 0.1
    assert base[0] == 0.0
    # after the warm-up its variance is near that of the constant baseline E[f]
    late = est[10_000:].var(0)
    exact_var = toy.moments((toy.costs - toy.mean)[:, None] * toy.scores)[1]
    assert np.all(np.abs(late / exact_var - 1) < 0.1)


def test_nvil_uses_the_baseline_before_updating_it():
    est, base = nvil_grads(THETA, TARGET, np.random.default_rng(5), steps=2, n=3, lr=0.5, start=1.0)
    b = sample_bernoulli(THETA, np.random.default_rng(5), 6).reshape(2, 3, 3)
    f, s = toy_cost(b, TARGET), bernoulli_score(b, THETA)
    assert np.allclose(est[0], ((f[0] - 1.0)[:, None] * s[0]).mean(0))
    assert np.isclose(base[1], 1.0 + 0.5 * (f[0] - 1.0).mean())


def test_same_seed_same_result():
    a = nvil_grads(THETA, TARGET, np.random.default_rng(9), steps=5)
    b = nvil_grads(THETA, TARGET, np.random.default_rng(9), steps=5)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize(("call", "match"), [
    (lambda: optimal_constant_baseline("toy"), "toy must be an ExactToy"),
    (lambda: rloo_grad([1.0], [[1.0]]), "n >= 2"),
    (lambda: rloo_grad([1.0, 2.0], [[1.0]]), "scores must have shape"),
    (lambda: reinforce_grad([1.0, 2.0], [[1.0], [2.0]], baseline=[1.0, 2.0]), "baseline must be a scalar"),
    (lambda: sample_bernoulli([0.0], np.random.default_rng(0), 0), "n must be an integer >= 1"),
    (lambda: sample_bernoulli([0.0], 0, 3), "rng must be a numpy.random.Generator"),
    (lambda: nvil_grads([0.0], 0.45, np.random.default_rng(0), steps=1, lr=0.0), "lr must be > 0"),
    (lambda: nvil_grads([0.0], 0.45, np.random.default_rng(0), steps=1, lr=2.0), r"lr must lie in \[0.0, 1.0\]"),
    (lambda: nvil_grads([0.0], 0.45, np.random.default_rng(0), steps=0), "steps must be an integer >= 1"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()
