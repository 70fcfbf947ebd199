"""Tests of lectures_lib.estimators: shapes, validation, exact moments, torch autograd as a reference.

Statistical checks use fixed seeds; each z-test threshold of 5 standard errors has a false-failure
probability of about 6e-7 per check (two-sided normal tail) for a fresh seed.
"""

import numpy as np
import pytest
from exact_reference import iid_outcomes

from lectures_lib.estimators import (
    reparam_grad,
    score_function_grad,
    toy_grad_moments,
    toy_grads_from_noise,
    toy_reparam_grads,
    toy_score_function_grads,
)

CASES = [(0.3, 1.5, -0.2), (-1.0, 0.5, 2.0), (2.0, -1.0, 0.5), (0.0, 1.0, 0.0)]


def test_score_function_grad_shapes_and_baselines():
    f, s = np.array([1.0, 2.0, 4.0]), np.array([0.5, -1.0, 2.0])
    assert np.allclose(score_function_grad(f, s), f * s)
    assert np.allclose(score_function_grad(f, s, baseline=1.0), (f - 1) * s)
    loo = (f.sum() - f) / (f.size - 1)  # leave-one-out mean: independent of sample i
    assert np.allclose(score_function_grad(f, s, baseline=loo), (f - loo) * s)
    s3 = np.arange(12.0).reshape(3, 2, 2)
    out = score_function_grad(f, s3, baseline=loo)
    assert out.shape == (3, 2, 2)
    assert np.allclose(out, (f - loo)[:, None, None] * s3)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"f_values": np.ones((3, 1)), "score": np.ones(3)}, "f_values must have shape"),
    ({"f_values": np.ones(3), "score": np.ones(4)}, "score must have 3 samples"),
    ({"f_values": np.ones(3), "score": np.ones(3), "baseline": np.ones(2)}, "baseline must be a scalar"),
    ({"f_values": [1.0, np.nan], "score": [1.0, 1.0]}, "f_values must not contain NaN"),
    ({"f_values": [1.0, 2.0], "score": [1.0, np.inf]}, "score must be finite"),
    ({"f_values": 1.0, "score": 1.0}, "f_values must have a leading sample axis"),
    ({"f_values": [1.0, 2.0], "score": [1.0, 2.0], "baseline": "b"}, "baseline must have a real"),
])
def test_score_function_grad_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        score_function_grad(**kwargs)


def test_categorical_reinforce_is_exactly_unbiased_and_the_mean_is_not_the_best_constant():
    """Notebook 07 section 6, by enumeration of the K outcomes: (f(k) - beta)(e_k - p) has mean p_j (f_j - E f) for
    every constant beta, and its total variance is smallest at E[f ||s||^2] / E[||s||^2], not at E[f] (the old
    wording called E[f] "the best constant")."""
    from lectures_lib.gumbel import softmax

    p, f = softmax(np.array([0.5, -0.5, 0.3, -0.2])), (np.arange(4.0) - 1.2) ** 2
    idx, probs = iid_outcomes(p, 1)
    k = idx[:, 0]
    scores = np.eye(4)[k] - p                                        # (K, K): the score of each outcome
    grad = p * (f - p @ f)

    def moments(beta):
        g = score_function_grad(f[k], scores, baseline=beta)         # (K, K): one estimate per outcome
        mean = probs @ g
        return mean, probs @ ((g - mean) ** 2).sum(1)

    beta_star = (probs * f[k]) @ (scores**2).sum(1) / (probs @ (scores**2).sum(1))
    for beta in (0.0, p @ f, beta_star, 17.0):
        assert np.allclose(moments(beta)[0], grad, rtol=0, atol=1e-15)
    grid = np.linspace(0.0, 3.0, 3001)
    best = grid[np.argmin([moments(b)[1] for b in grid])]
    assert abs(best - beta_star) <= 1e-3 and abs(best - p @ f) > 0.02        # 1.365 against E[f] = 1.337
    assert moments(beta_star)[1] < moments(p @ f)[1]


def test_reparam_grad_scalar_full_and_diagonal():
    rng = np.random.default_rng(1)
    g = rng.standard_normal(5)
    assert np.allclose(reparam_grad(g, np.full(1, 2.0)), 2 * g)  # shared Jacobian, axis 0 of length 1
    assert reparam_grad(g, rng.standard_normal((5, 2, 3))).shape == (5, 2, 3)
    gz, jac = rng.standard_normal((5, 3)), rng.standard_normal((5, 3, 2, 2))
    assert np.allclose(reparam_grad(gz, jac), np.einsum("nz,nzpq->npq", gz, jac))
    dz = rng.standard_normal((5, 3))
    assert np.allclose(reparam_grad(gz, dz, diagonal=True), gz * dz)
    # a diagonal Jacobian written out in full gives the same answer
    full = np.einsum("nz,zk->nzk", dz, np.eye(3))
    assert np.allclose(reparam_grad(gz, full), gz * dz)


@pytest.mark.parametrize(("args", "kwargs", "match"), [
    ((np.ones(3), np.ones(4)), {}, "dz_dtheta must have 3 \\(or 1\\) samples"),
    ((np.ones((3, 2)), np.ones((3, 4))), {}, "dz_dtheta must start with shape"),
    ((np.ones((3, 2)), np.ones((3, 4))), {"diagonal": True}, "must match df_dz"),
    ((np.ones(3), [1.0, np.nan, 1.0]), {}, "dz_dtheta must not contain NaN"),
    ((2.0, np.ones(3)), {}, "df_dz must have a leading sample axis"),
])
def test_reparam_grad_validation(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        reparam_grad(*args, **kwargs)


def test_toy_functions_reproducible_and_consistent():
    sf = toy_score_function_grads(0.5, 1.5, -1.0, np.random.default_rng(3), 1000)
    rp = toy_reparam_grads(0.5, 1.5, -1.0, np.random.default_rng(3), 1000)
    assert sf.shape == rp.shape == (1000,)
    assert np.array_equal(sf, toy_score_function_grads(0.5, 1.5, -1.0, np.random.default_rng(3), 1000))
    x = np.random.default_rng(3).standard_normal(1000)  # the same noise the functions drew
    sf2, rp2 = toy_grads_from_noise(0.5, 1.5, -1.0, x)
    assert np.allclose(sf, sf2) and np.allclose(rp, rp2)
    z = 1.5 * 0.5 - 1.0 + x  # retyped from the slides: z^2 a (z - a theta - b) and 2a(a theta + b + x)
    assert np.allclose(sf, z**2 * 1.5 * (z - 0.75 + 1.0)) and np.allclose(rp, 3.0 * (0.75 - 1.0 + x))


@pytest.mark.parametrize(("theta", "a", "b"), CASES)
def test_toy_estimators_match_exact_moments(theta, a, b):
    n, rng = 200_000, np.random.default_rng(7)
    mom = toy_grad_moments(theta, a, b)
    for grads, mean, var in ((toy_score_function_grads(theta, a, b, rng, n), mom.score_mean, mom.score_var),
                             (toy_reparam_grads(theta, a, b, rng, n), mom.reparam_mean, mom.reparam_var)):
        assert abs(grads.mean() - mean) < 5 * np.sqrt(var / n)
        dev2 = (grads - grads.mean()) ** 2  # z-test of the sample variance with its own standard error
        assert abs(dev2.mean() - var) < 5 * dev2.std() / np.sqrt(n) + 1e-12
    assert mom.score_mean == mom.reparam_mean == mom.true_grad == pytest.approx(2 * a * (a * theta + b))


def test_toy_grad_moments_closed_form_and_broadcast():
    theta = np.linspace(-2, 2, 7)
    mom = toy_grad_moments(theta, 1.5, np.array([[0.0], [1.0]]))
    assert mom.score_var.shape == mom.reparam_var.shape == (2, 7)
    mu = 1.5 * theta + np.array([[0.0], [1.0]])
    assert np.allclose(mom.score_var, 1.5**2 * (mu**4 + 14 * mu**2 + 15))
    assert np.allclose(mom.reparam_var, 4 * 1.5**2)
    assert np.all(mom.score_std >= (1 - 1e-12) * np.sqrt(15 / 4) * mom.reparam_std)  # >= 1.94x at mu = 0
    with pytest.raises(ValueError, match="theta must be finite"):
        toy_grad_moments(np.inf, 1.0, 0.0)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"rng": 0}, "rng must be a numpy.random.Generator"),
    ({"n": 0}, "n must be an integer >= 1"),
    ({"theta": np.ones(2)}, "theta must be a scalar"),
    ({"a": np.nan}, "a must not contain NaN"),
])
def test_toy_validation(kwargs, match):
    args = {"theta": 0.0, "a": 1.0, "b": 0.0, "rng": np.random.default_rng(0), "n": 10} | kwargs
    for fn in (toy_score_function_grads, toy_reparam_grads):
        with pytest.raises(ValueError, match=match):
            fn(**args)


def test_against_torch_autograd():
    torch = pytest.importorskip("torch")
    theta, a, b, n = 0.7, 1.3, -0.4, 50
    x = np.random.default_rng(5).standard_normal(n)
    th = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    xt = torch.tensor(x)
    # pathwise: autograd through z = a theta + b + x (what rsample does)
    z = a * th + b + xt
    path = torch.autograd.functional.jacobian(lambda t: (a * t + b + xt) ** 2, th).numpy()
    # score: autograd of log N(z; a theta + b, 1) with z held fixed (what sample + log_prob does)
    zd = z.detach()
    score = torch.autograd.functional.jacobian(
        lambda t: torch.distributions.Normal(a * t + b, 1.0).log_prob(zd), th).numpy()
    sf, rp = toy_grads_from_noise(theta, a, b, x)
    assert np.allclose(rp, path) and np.allclose(reparam_grad(2 * zd.numpy(), np.full(1, a)), path)
    assert np.allclose(sf, score_function_grad(zd.numpy() ** 2, score))
