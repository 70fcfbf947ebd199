"""Tests of lectures_lib.exact_toy: enumeration against brute force, the exact gradient against
finite differences and torch autograd, exact estimator moments, validation."""

import itertools

import numpy as np
import pytest

from lectures_lib.exact_toy import (
    all_states,
    bernoulli_log_prob,
    bernoulli_score,
    exact_toy,
    mean_with_error,
    toy_cost,
    toy_cost_grad,
)

THETA = np.array([-1.0, 0.3, 1.2])


def test_states_are_every_binary_vector_once():
    states = all_states(4)
    assert states.shape == (16, 4)
    assert {tuple(r) for r in states} == set(itertools.product((0.0, 1.0), repeat=4))


def test_probabilities_against_brute_force_product():
    toy = exact_toy(THETA)
    sig = 1 / (1 + np.exp(-THETA))
    brute = [np.prod(np.where(b == 1, sig, 1 - sig)) for b in toy.states]
    assert np.allclose(toy.probs, brute, rtol=1e-13)
    assert np.isclose(toy.probs.sum(), 1.0)


def test_exact_gradient_matches_central_differences():
    toy, h = exact_toy(THETA, 0.45), 1e-6
    for d in range(3):
        e = np.eye(3)[d] * h
        fd = (exact_toy(THETA + e, 0.45).mean - exact_toy(THETA - e, 0.45).mean) / (2 * h)
        assert abs(fd - toy.grad[d]) < 1e-8


def test_exact_gradient_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    theta = torch.tensor(THETA, requires_grad=True)
    states = torch.tensor(all_states(3))
    sig = torch.sigmoid(theta)
    probs = torch.prod(states * sig + (1 - states) * (1 - sig), dim=1)
    mean = (probs * (states.sum(1) - 0.45) ** 2).sum()
    mean.backward()
    toy = exact_toy(THETA, 0.45)
    assert np.isclose(mean.item(), toy.mean, rtol=1e-13)
    assert np.allclose(theta.grad.numpy(), toy.grad, rtol=1e-12)


def test_cost_and_its_gradient():
    x = np.array([[0.2, 0.9, 0.4]])
    assert np.isclose(toy_cost(x, 0.45)[0], (1.5 - 0.45) ** 2)
    h = 1e-6
    fd = [(toy_cost(x + h * np.eye(3)[d], 0.45) - toy_cost(x - h * np.eye(3)[d], 0.45))[0] / (2 * h) for d in range(3)]
    assert np.allclose(toy_cost_grad(x, 0.45)[0], fd, atol=1e-8)


def test_score_is_the_derivative_of_the_log_probability():
    b, h = np.array([1.0, 0.0, 1.0]), 1e-6
    fd = [(bernoulli_log_prob(b, THETA + h * np.eye(3)[d]) - bernoulli_log_prob(b, THETA - h * np.eye(3)[d])) / (2 * h)
          for d in range(3)]
    assert np.allclose(bernoulli_score(b, THETA), fd, atol=1e-8)


def test_huge_logits_stay_finite():
    toy = exact_toy([800.0, -800.0, 0.0])
    assert np.all(np.isfinite(toy.probs)) and np.isfinite(toy.mean) and np.all(np.isfinite(toy.grad))
    assert np.isfinite(bernoulli_log_prob([0.0, 1.0, 1.0], [800.0, -800.0, 0.0]))


def test_exact_moments_of_reinforce():
    toy = exact_toy(THETA)
    per_state = toy.costs[:, None] * toy.scores
    mean, var = toy.moments(per_state)
    assert np.allclose(mean, toy.grad, rtol=1e-13)                   # REINFORCE is unbiased, exactly
    brute = np.array([sum(p * (g[d] - toy.grad[d]) ** 2 for p, g in zip(toy.probs, per_state, strict=True))
                      for d in range(3)])
    assert np.allclose(var, brute)


def test_mean_with_error():
    m, se = mean_with_error(np.arange(10.0)[:, None])
    assert np.isclose(m[0], 4.5) and np.isclose(se[0], np.std(np.arange(10.0), ddof=1) / np.sqrt(10))


@pytest.mark.parametrize(("call", "match"), [
    (lambda: exact_toy(np.zeros(13)), "theta must have shape"),
    (lambda: exact_toy([[0.0]]), "theta must have shape"),
    (lambda: exact_toy([np.nan]), "theta must not contain NaN"),
    (lambda: exact_toy([0.0], target=np.inf), "target must be finite"),
    (lambda: all_states(0), "D must be an integer >= 1"),
    (lambda: all_states(13), "D must be <= 12"),
    (lambda: bernoulli_log_prob([0.5], [0.0]), "b must hold 0/1"),
    (lambda: bernoulli_score([[1.0, 0.0]], [0.0]), "b must have last axis 1"),
    (lambda: exact_toy([0.0]).moments(np.ones(3)), "per_state must have first axis 2"),
    (lambda: mean_with_error([1.0]), "estimates must have at least 2 rows"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()
