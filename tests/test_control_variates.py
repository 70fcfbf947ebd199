"""Tests of lectures_lib.control_variates against the exact enumeration of lectures_lib.exact_toy.

Every unbiasedness claim is checked *exactly*: a baseline that depends only on b by summing over the 2^D
states; RLOO with n samples by summing over all (2^D)^n joint outcomes (n = 2, 3, 4: up to 4096); NVIL over
all joint outcomes of its first steps.  Monte Carlo (fixed seed; a z-score bound of 4.5 standard errors per
component, false-failure probability about 7e-6 for a fresh seed) is left where the point is a simulation:
NVIL's baseline learning E[f] over many steps, and RLOO's variance at n = 16.
"""

import numpy as np
import pytest
from exact_reference import iid_outcomes

from lectures_lib.control_variates import (
    nvil_estimates,
    nvil_grads,
    optimal_constant_baseline,
    reinforce_grad,
    rloo_grad,
    sample_bernoulli,
)
from lectures_lib.exact_toy import bernoulli_score, exact_toy, toy_cost
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


def rloo_exact_moments(toy, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of the n-sample RLOO estimate: a sum over every joint outcome of n draws of b."""
    idx, probs = iid_outcomes(toy.probs, n)                      # (8^n, n) state indices, their probabilities
    est = rloo_grad(toy.costs[idx], toy.scores[idx])             # (8^n, D)
    mean = probs @ est
    return mean, probs @ (est - mean) ** 2


@pytest.mark.parametrize("n", [2, 3, 4])
def test_rloo_is_exactly_unbiased(n):
    toy = exact_toy(THETA, TARGET)
    mean, _ = rloo_exact_moments(toy, n)
    assert np.allclose(mean, toy.grad, rtol=0, atol=1e-14), (mean, toy.grad)


def test_rloo_variance_approaches_that_of_the_mean_baseline():
    """n Var[RLOO_n] -> Var[(f - E f) s] as n grows (the leave-one-out mean tends to E[f]); for small n it
    is larger: at n = 2 RLOO is even noisier than plain REINFORCE on this toy (the notebook says so).
    Exact for n = 2, 3, 4 (enumeration); n = 16 by simulation (its standard error of the ratio is ~1%)."""
    toy = exact_toy(THETA, TARGET)
    exact = toy.moments((toy.costs - toy.mean)[:, None] * toy.scores)[1]
    reinforce_one = toy.moments(toy.costs[:, None] * toy.scores)[1]            # one sample, no baseline
    ratio = {n: rloo_exact_moments(toy, n)[1] * n / exact for n in (2, 3, 4)}
    assert rloo_exact_moments(toy, 2)[1].sum() > reinforce_one.sum() / 2      # n = 2: noisier than REINFORCE
    b = sample_bernoulli(THETA, np.random.default_rng(3), 50_000 * 16).reshape(50_000, 16, 3)
    f, s = toy_cost(b, TARGET), bernoulli_score(b, THETA)
    ratio[16] = rloo_grad(f, s).var(0) * 16 / exact
    assert reinforce_grad(f, s).var(0).sum() > 1.5 * rloo_grad(f, s).var(0).sum()
    # exact 2.8, 2.0, 1.6 (n = 2, 3, 4); measured ~1.13 at n = 16
    assert np.all(ratio[2] > ratio[3]) and np.all(ratio[3] > ratio[4]) and np.all(ratio[4] > ratio[16])
    assert np.all((ratio[16] > 1.0) & (ratio[16] < 1.3))


def test_nvil_baseline_learns_the_mean():
    """A simulation (its unbiasedness is exact, above): the baseline settles near E[f] within a few hundred steps."""
    toy = exact_toy(THETA, TARGET)
    est, base = nvil_grads(THETA, TARGET, np.random.default_rng(4), steps=25_000, n=1, lr=0.01)
    assert abs(base[-5000:].mean() - toy.mean) < 0.1
    assert base[0] == 0.0
    # after the warm-up its variance is near that of the constant baseline E[f] (20 000 steps: ~2% standard error)
    late = est[5_000:].var(0)
    exact_var = toy.moments((toy.costs - toy.mean)[:, None] * toy.scores)[1]
    assert np.all(np.abs(late / exact_var - 1) < 0.1)


def test_nvil_is_exactly_unbiased_at_every_step():
    """Sum over every joint outcome of the first three steps (one sample each, 8^3 outcomes): each step's estimate
    has mean exactly the gradient, although its baseline depends on the earlier steps' samples."""
    toy = exact_toy(THETA, TARGET)
    idx, probs = iid_outcomes(toy.probs, 3)                     # (512, 3): the state of each step
    estimates = np.array([nvil_estimates(toy.costs[i][:, None], toy.scores[i][:, None], lr=0.7, start=-1.0)[0]
                          for i in idx])                       # (512, steps, D)
    mean = np.tensordot(probs, estimates, axes=(0, 0))
    assert np.allclose(mean, toy.grad, rtol=0, atol=1e-14), mean


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
    (lambda: nvil_estimates([1.0, 2.0], [[1.0], [1.0]]), r"f_values must have shape \(steps, n\)"),
    (lambda: sample_bernoulli([[0.0]], np.random.default_rng(0), 2), r"theta must have shape \(D,\)"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()
