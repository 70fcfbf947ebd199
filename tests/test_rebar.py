"""Tests of lectures_lib.conditional_noise and lectures_lib.rebar.

* conditional noise: Kolmogorov-Smirnov tests against the exact truncated laws (or against rejection
  sampling); each fails falsely with probability 1e-4 (the p-value threshold) for a fresh seed;
* unbiasedness of REBAR / RELAX against the exact gradient of lectures_lib.exact_toy: each component's
  Monte Carlo mean within 4.5 standard errors (false failure ~7e-6 per component);
* the bias of Gumbel-softmax and straight-through: more than 20 standard errors away;
* the hand-derived gradients against finite differences and torch autograd of the REBAR surrogate.
"""

import numpy as np
import pytest
from scipy import special, stats

from lectures_lib.conditional_noise import conditional_gumbel, conditional_logistic, logistic_relaxation
from lectures_lib.exact_toy import exact_toy, mean_with_error, toy_cost
from lectures_lib.rebar import (
    control_terms,
    draw_relax_noise,
    fit_control_coefficients,
    gumbel_softmax_grads,
    reinforce_terms,
    relax_grads,
    straight_through_grads,
)

THETA, TARGET, TAU = np.array([-0.5, 0.2, 0.6]), 0.45, 0.5
P_KS, Z = 1e-4, 4.5


def test_logistic_relaxation_gives_the_right_bernoulli():
    u = np.random.default_rng(0).random((200_000, 3))
    b = logistic_relaxation(THETA, u) > 0
    freq, p = b.mean(0), special.expit(THETA)
    assert np.all(np.abs(freq - p) < Z * np.sqrt(p * (1 - p) / 200_000))


@pytest.mark.parametrize("bit", [0, 1])
def test_conditional_logistic_is_the_truncated_logistic(bit):
    theta = np.array([0.7])
    v = np.random.default_rng(1 + bit).random((20_000, 1))
    z, _ = conditional_logistic(theta, np.full((20_000, 1), float(bit)), v)
    assert np.all((z[:, 0] > 0) == bool(bit))
    F, F0 = stats.logistic(loc=0.7).cdf, stats.logistic(loc=0.7).cdf(0.0)
    # CDF of the logistic restricted to z > 0 (bit 1) or z < 0 (bit 0)
    cdf = (lambda x: (F(x) - F0) / (1 - F0)) if bit else (lambda x: F(x) / F0)
    assert stats.kstest(z[:, 0], cdf).pvalue > P_KS


def test_conditional_logistic_marginal_is_the_logistic():
    rng = np.random.default_rng(3)
    noise = draw_relax_noise(np.array([0.7]), rng, 20_000)
    # b ~ Bernoulli, then z~ | b: the mixture is the unconditional logistic(theta)
    assert stats.kstest(noise.z_tilde[:, 0], stats.logistic(loc=0.7).cdf).pvalue > P_KS


def test_conditional_logistic_derivative_matches_finite_differences():
    rng = np.random.default_rng(4)
    b, v, h = (rng.random((50, 3)) < 0.5).astype(float), rng.random((50, 3)), 1e-6
    _, dz = conditional_logistic(THETA, b, v)
    for d in range(3):
        e = h * np.eye(3)[d]
        fd = (conditional_logistic(THETA + e, b, v)[0] - conditional_logistic(THETA - e, b, v)[0])[:, d] / (2 * h)
        assert np.allclose(dz[:, d], fd, rtol=1e-6, atol=1e-8)


def test_conditional_noise_is_finite_at_huge_logits():
    theta, b = np.array([800.0, -800.0, 30.0]), np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    z, dz = conditional_logistic(theta, b, np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]]))
    assert np.all(np.isfinite(z)) and np.all(np.isfinite(dz))
    assert np.all((z > 0) == (b == 1))


def test_conditional_gumbel_matches_rejection_sampling():
    logits, k, rng = np.array([0.5, -0.3, 1.0, 0.0]), 1, np.random.default_rng(5)
    y = logits + rng.gumbel(size=(200_000, 4))
    kept = y[y.argmax(1) == k]                       # exact samples of logits + G given argmax = k
    z = conditional_gumbel(logits, np.full(len(kept), k), rng.random((len(kept), 4)))
    assert np.all(z.argmax(1) == k)
    # the maximum is Gumbel(log sum e^logits), whatever its index
    assert stats.kstest(z[:, k], stats.gumbel_r(loc=special.logsumexp(logits)).cdf).pvalue > P_KS
    for i in (0, 2, 3):
        assert stats.ks_2samp(z[:, i], kept[:, i]).pvalue > P_KS


def test_conditional_gumbel_finite_and_ordered_for_extreme_inputs():
    z = conditional_gumbel(np.array([300.0, -300.0, 0.0]), np.array([1, 2, 0]), np.array(
        [[0.0, 1.0, 0.5], [1.0, 0.0, 1e-300], [0.5, 0.5, 0.5]]))
    assert np.all(np.isfinite(z))
    # v_i at 1 puts z_i at its truncation point: a tie with the maximum is allowed, never more
    assert np.all(z <= z[np.arange(3), [1, 2, 0]][:, None])


@pytest.fixture(scope="module")
def fitted():
    train = draw_relax_noise(THETA, np.random.default_rng(10), 20_000)
    return (fit_control_coefficients(train, TARGET, TAU, rebar=True), fit_control_coefficients(train, TARGET, TAU),
            train)


def test_control_terms_have_mean_zero(fitted):
    noise = draw_relax_noise(THETA, np.random.default_rng(11), 300_000)
    m, se = mean_with_error(control_terms(noise, TARGET, TAU).reshape(300_000, -1))
    assert np.all(np.abs(m) < Z * se)


def test_rebar_and_relax_are_unbiased_gumbel_softmax_and_st_are_not(fitted):
    eta, phi, _ = fitted
    toy = exact_toy(THETA, TARGET)
    noise = draw_relax_noise(THETA, np.random.default_rng(12), 300_000)
    for coef in (eta, phi):
        m, se = mean_with_error(relax_grads(noise, TARGET, TAU, coef))
        assert np.all(np.abs(m - toy.grad) < Z * se), (m, toy.grad, se)
    for g in (gumbel_softmax_grads(noise, TARGET, TAU), straight_through_grads(noise, TARGET, TAU)):
        m, se = mean_with_error(g)
        assert np.all(np.abs(m - toy.grad) > 20 * se)


def test_gumbel_softmax_is_the_gradient_of_the_relaxed_objective():
    """Unbiased for E[f(sigmoid(z / tau))], the relaxed objective: checked by central differences on common noise."""
    noise, h = draw_relax_noise(THETA, np.random.default_rng(13), 1000), 1e-6
    u_noise = noise.z - THETA                                   # the logistic noise, held fixed
    g = gumbel_softmax_grads(noise, TARGET, TAU).mean(0)
    for d in range(3):
        e = h * np.eye(3)[d]
        up, down = (toy_cost(special.expit((THETA + s * e + u_noise) / TAU), TARGET).mean() for s in (1, -1))
        assert np.isclose(g[d], (up - down) / (2 * h), rtol=1e-6)


def test_variance_ordering(fitted):
    eta, phi, train = fitted
    variances = [g.var(0).sum() for g in (reinforce_terms(train, TARGET), relax_grads(train, TARGET, TAU, eta),
                                          relax_grads(train, TARGET, TAU, phi))]
    # on the fitting draws, nested least squares: RELAX <= REBAR <= REINFORCE must hold
    assert variances[0] > variances[1] > variances[2]
    fresh = draw_relax_noise(THETA, np.random.default_rng(14), 100_000)
    v = [g.var(0).sum() for g in (reinforce_terms(fresh, TARGET), relax_grads(fresh, TARGET, TAU, eta),
                                  relax_grads(fresh, TARGET, TAU, phi))]
    # on fresh draws too, with room: measured REINFORCE / REBAR ~ 3, REBAR / RELAX ~ 1.2
    assert v[0] > 2 * v[1] and v[1] > 1.05 * v[2]


def test_rebar_matches_torch_autograd_of_its_surrogate():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(15)
    u, v = rng.random((2, 64, 3))
    eta, tau = 0.8, TAU
    theta = torch.tensor(THETA, requires_grad=True)
    z = theta + torch.log(torch.tensor(u)) - torch.log1p(-torch.tensor(u))
    b = (z > 0).double().detach()
    p, q = torch.sigmoid(theta), torch.sigmoid(-theta)
    vt = torch.tensor(v)
    u_tilde = b * (q + vt * p) + (1 - b) * vt * q          # the uniform restricted to b's side, moving with theta
    z_tilde = theta + torch.log(u_tilde) - torch.log1p(-u_tilde)

    def f(x):
        return (x.sum(-1) - TARGET) ** 2

    log_p = (b * torch.log(p) + (1 - b) * torch.log(q)).sum(-1)
    x, x_tilde = torch.sigmoid(z / tau), torch.sigmoid(z_tilde / tau)
    surrogate = ((f(b) - eta * f(x_tilde)).detach() * log_p + eta * f(x) - eta * f(x_tilde)).sum()
    surrogate.backward()
    noise_u = draw_relax_noise(THETA, np.random.default_rng(15), 64)   # the same u, v
    assert np.allclose(noise_u.b, b.numpy()) and np.allclose(noise_u.z_tilde, z_tilde.detach().numpy())
    ours = relax_grads(noise_u, TARGET, tau, np.array([eta, 0.0, 0.0, 0.0, 0.0])).sum(0)
    assert np.allclose(ours, theta.grad.numpy(), rtol=1e-10)


def test_small_temperature_and_huge_logits_stay_finite():
    for theta in (THETA, np.array([60.0, -60.0, 0.0])):
        noise = draw_relax_noise(theta, np.random.default_rng(16), 500)
        for tau in (1e-8, 1e-3):
            for g in (gumbel_softmax_grads(noise, TARGET, tau), straight_through_grads(noise, TARGET, tau),
                      relax_grads(noise, TARGET, tau, np.ones(5))):
                assert np.all(np.isfinite(g))


def test_same_seed_same_result():
    a = draw_relax_noise(THETA, np.random.default_rng(17), 10)
    b = draw_relax_noise(THETA, np.random.default_rng(17), 10)
    assert np.array_equal(relax_grads(a, TARGET, TAU, np.ones(5)), relax_grads(b, TARGET, TAU, np.ones(5)))


@pytest.mark.parametrize(("call", "match"), [
    (lambda: logistic_relaxation([0.0], [1.5]), r"u must lie in \[0, 1\]"),
    (lambda: logistic_relaxation([0.0, 1.0], [0.5]), "u must have trailing shape"),
    (lambda: conditional_logistic([0.0], [2.0], [0.5]), "b must hold 0/1"),
    (lambda: conditional_logistic([0.0], [[1.0]], [0.5]), "v must have the shape of b"),
    (lambda: conditional_gumbel([0.0], [0], [[0.5]]), "logits must have shape"),
    (lambda: conditional_gumbel([0.0, 1.0], [2], [[0.5, 0.5]]), r"k must be integers in \[0, 1\]"),
    (lambda: conditional_gumbel([0.0, 1.0], [0], [0.5, 0.5]), "v must have shape"),
    (lambda: gumbel_softmax_grads(draw_relax_noise([0.0], np.random.default_rng(0), 2), 0.45, 0.0),
     "temperature must be finite and > 0"),
    (lambda: relax_grads(draw_relax_noise([0.0], np.random.default_rng(0), 2), 0.45, 1.0, [1.0]),
     r"coefficients must have shape \(3,\)"),
    (lambda: draw_relax_noise([0.0], "seed", 2), "rng must be a numpy.random.Generator"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()
