"""Tests of lectures_lib.conditional_noise and lectures_lib.rebar.

* conditional noise: Kolmogorov-Smirnov tests against the exact truncated laws (or against rejection
  sampling); each fails falsely with probability 1e-4 (the p-value threshold) for a fresh seed;
* unbiasedness of REBAR / RELAX against the exact gradient of lectures_lib.exact_toy, *exactly*: every estimator
  is a function of uniforms ``(u, v)``, and its mean is a Gauss-Legendre quadrature over them (split where ``b``
  flips), accurate to ~1e-15 for ``1 / tau`` an integer (tests/exact_reference.py); no Monte Carlo threshold;
* the bias of Gumbel-softmax and straight-through by the same quadrature, and straight-through's limit as
  ``tau -> 0`` (it vanishes for a quadratic cost, not for a cubic one);
* the hand-derived gradients against finite differences and torch autograd of the REBAR surrogate.
"""

import numpy as np
import pytest
from exact_reference import expect_over_uniforms, logistic_line_integral
from scipy import special, stats

from lectures_lib.conditional_noise import conditional_gumbel, conditional_logistic, logistic_relaxation
from lectures_lib.exact_toy import all_states, exact_toy, toy_cost
from lectures_lib.rebar import (
    control_terms,
    draw_relax_noise,
    fit_control_coefficients,
    gumbel_softmax_grads,
    reinforce_terms,
    relax_grads,
    relax_noise,
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


def exact_mean(theta, per_sample, n: int = 24):
    """``E[per_sample(noise)]`` over the uniforms ``(u, v) ~ U(0, 1)^(2D)`` by Gauss-Legendre quadrature.

    ``b_d`` flips at ``u_d = 1 - sigmoid(theta_d)``: the rule is split there, so each piece is smooth.
    """
    theta = np.asarray(theta, dtype=float)
    D, q = theta.size, special.expit(-theta)
    return expect_over_uniforms(lambda pts: per_sample(relax_noise(theta, pts[:, :D], pts[:, D:])),
                                [[qd] for qd in q] + [[]] * D, n)


# (theta, tau, nodes per piece): 1 / tau an integer, so the integrands are rational in (u, v) and the rule converges
# exponentially (measured: < 1e-14 for these node counts); D = 2 lets f couple the two bits.
EXACT_CASES = [([-1.3], 1.0, 24), ([0.4], 0.5, 24), ([1.2], 1 / 3, 32), ([-0.5, 0.6], 0.5, 16)]


@pytest.mark.parametrize(("theta", "tau", "nodes"), EXACT_CASES)
def test_control_terms_have_mean_zero_exactly(theta, tau, nodes):
    m = exact_mean(theta, lambda noise: control_terms(noise, TARGET, tau).reshape(len(noise.z), -1), nodes)
    assert np.abs(m).max() < 1e-12, m


@pytest.mark.parametrize(("theta", "tau", "nodes"), EXACT_CASES)
def test_rebar_and_relax_are_exactly_unbiased_for_any_coefficients(theta, tau, nodes):
    """E[f(b) s - B phi] = grad E[f(b)] for every phi: REINFORCE (phi = 0), REBAR (eta alone), RELAX (all)."""
    grad = exact_toy(theta, TARGET).grad
    D = len(theta)
    for phi in (np.zeros(D + 2), np.r_[0.9, np.zeros(D + 1)], np.random.default_rng(D).normal(size=D + 2) * 3):
        m = exact_mean(theta, lambda noise, phi=phi: relax_grads(noise, TARGET, tau, phi), nodes)
        assert np.abs(m - grad).max() < 1e-12, (phi, m, grad)


def test_gumbel_softmax_and_straight_through_are_biased_exactly():
    theta, tau = [-0.5, 0.6], 0.5
    grad = exact_toy(theta, TARGET).grad
    for grads in (gumbel_softmax_grads, straight_through_grads):
        m = exact_mean(theta, lambda noise, g=grads: g(noise, TARGET, tau), 16)
        assert np.linalg.norm(m - grad) > 0.05, (grads.__name__, m, grad)   # measured 0.07 and 0.10


def test_gumbel_softmax_is_the_gradient_of_the_relaxed_objective():
    """Unbiased for E[f(sigmoid(z / tau))], the relaxed objective: checked by central differences on common noise."""
    noise, h = draw_relax_noise(THETA, np.random.default_rng(13), 1000), 1e-6
    u_noise = noise.z - THETA                                   # the logistic noise, held fixed
    g = gumbel_softmax_grads(noise, TARGET, TAU).mean(0)
    for d in range(3):
        e = h * np.eye(3)[d]
        up, down = (toy_cost(special.expit((THETA + s * e + u_noise) / TAU), TARGET).mean() for s in (1, -1))
        assert np.isclose(g[d], (up - down) / (2 * h), rtol=1e-6)


def test_straight_through_is_f_prime_at_the_hard_sample_times_the_slope_of_the_soft_one():
    """Straight-through: forward ``b``, backward through ``x = sigmoid(z / tau)``; ``f'`` is taken at ``b``, not at
    ``x`` (at ``x`` it would be Gumbel-softmax).  Inline, and against torch's ``b + x - x.detach()``."""
    noise, tau = draw_relax_noise(THETA, np.random.default_rng(20), 50), 0.7
    x = special.expit(noise.z / tau)
    inline = 2 * (noise.b.sum(1, keepdims=True) - TARGET) * x * (1 - x) / tau      # f'(b) dx/dtheta
    assert np.allclose(straight_through_grads(noise, TARGET, tau), inline, rtol=1e-13)
    assert not np.allclose(gumbel_softmax_grads(noise, TARGET, tau), inline)
    torch = pytest.importorskip("torch")
    theta = torch.tensor(THETA, requires_grad=True)
    z = theta + torch.tensor(noise.z - THETA)                                      # the same logistic noise
    x_t = torch.sigmoid(z / tau)
    x_st = torch.tensor(noise.b) + x_t - x_t.detach()                             # value b, gradient of x
    per_sample = [torch.autograd.grad((x_st[i].sum() - TARGET) ** 2, theta, retain_graph=True)[0].numpy()
                  for i in range(len(noise.b))]
    assert np.allclose(straight_through_grads(noise, TARGET, tau), per_sample, rtol=1e-12)


def straight_through_mean(f_prime, theta, tau: float) -> np.ndarray:
    """Exact ``E[f'(b)_d dx_d/dtheta_d]`` for independent bits: enumeration over the other bits, a line integral
    over ``z_d``.  With ``z_d = tau s``, ``dx_d/dtheta_d dz_d = sigmoid'(s) ds`` and ``z_d`` has the logistic
    density around ``theta_d``; ``b_d = 1[s > 0]``."""
    theta = np.asarray(theta, dtype=float)
    D, sig = theta.size, special.expit(theta)
    out = np.zeros(D)
    for d in range(D):
        others = [e for e in range(D) if e != d]
        for rest in all_states(D - 1) if D > 1 else [np.zeros(0)]:
            p_rest = np.prod(np.where(rest == 1, sig[others], 1 - sig[others]))

            def integrand(s, d=d, others=others, rest=rest):
                b = np.zeros((s.size, D))
                b[:, others], b[:, d] = rest, s > 0
                # the logistic density of z - theta at z = tau s
                density = special.expit(tau * s - theta[d]) * special.expit(theta[d] - tau * s)
                return f_prime(b)[:, d] * special.expit(s) * special.expit(-s) * density

            out[d] += p_rest * logistic_line_integral(integrand)
    return out


def _exact_grad(f, theta):
    states, sig = all_states(len(theta)), special.expit(theta)
    probs = np.prod(np.where(states == 1, sig, 1 - sig), axis=1)
    return (probs * f(states)) @ (states - sig)


def test_straight_through_limit_is_the_trapezoid_rule_exact_for_a_quadratic_cost_only():
    """As tau -> 0, E[ST_d] -> sigma(1 - sigma) (f'(b_d = 0) + f'(b_d = 1)) / 2 averaged over the other bits: the
    trapezoid rule for sigma(1 - sigma) int_0^1 f' = the true gradient.  Exact when f is quadratic in each bit
    (notebook 09's toy: the bias vanishes), not for a cubic (the bias stays)."""
    def quadratic_grad(b):
        return np.broadcast_to(2 * (b.sum(-1, keepdims=True) - TARGET), b.shape)

    def cubic_grad(b):
        return np.broadcast_to(3 * (b.sum(-1, keepdims=True) - TARGET) ** 2, b.shape)

    def cubic(b):
        return (b.sum(-1) - TARGET) ** 3

    grad = exact_toy(THETA, TARGET).grad
    # the formula is the library's straight-through, averaged exactly (D = 2 by quadrature over the uniforms)
    lib = exact_mean(THETA[:2], lambda noise: straight_through_grads(noise, TARGET, 0.5), 16)
    assert np.allclose(straight_through_mean(quadratic_grad, THETA[:2], 0.5), lib, atol=1e-12)
    bias = {tau: np.linalg.norm(straight_through_mean(quadratic_grad, THETA, tau) - grad) for tau in (0.5, 0.05, 1e-3)}
    assert 0.11 < bias[0.5] < 0.13 and 0.005 < bias[0.05] < 0.008 and bias[1e-3] < 2e-4     # 0.120, 0.0063, 1.3e-4
    trapezoid = np.array([sum(np.prod(np.where(r == 1, special.expit(np.delete(THETA, d)), special.expit(
        -np.delete(THETA, d)))) * (2 * (r.sum() - TARGET) + 2 * (r.sum() + 1 - TARGET)) / 2 for r in all_states(2))
        for d in range(3)]) * special.expit(THETA) * special.expit(-THETA)
    assert np.allclose(trapezoid, grad, rtol=1e-12)                      # exact for the quadratic toy ...
    cubic_true = _exact_grad(cubic, THETA)
    cubic_bias = [np.linalg.norm(straight_through_mean(cubic_grad, THETA, tau) - cubic_true) for tau in (0.05, 1e-3)]
    assert min(cubic_bias) > 0.2                                         # ... not for a cubic: 0.205 at any small tau


def test_least_squares_orders_the_second_moment_on_the_fitting_draws_not_the_sample_variance():
    """Nested least squares (REINFORCE: phi = 0, REBAR: eta only, RELAX: all of phi) guarantees the ordering of
    the mean squared norm on the draws it was fitted on; the sample variance subtracts each estimator's own
    sample mean, and its ordering can fail (here on 6 draws)."""
    for seed, m in ((13, 6), (10, 20_000)):
        train = draw_relax_noise(THETA, np.random.default_rng(seed), m)
        eta = fit_control_coefficients(train, TARGET, TAU, rebar=True)
        phi = fit_control_coefficients(train, TARGET, TAU)
        g = [reinforce_terms(train, TARGET), relax_grads(train, TARGET, TAU, eta), relax_grads(train, TARGET, TAU, phi)]
        second = [float((x**2).sum(1).mean()) for x in g]
        assert second[0] >= second[1] >= second[2], second
        if m == 6:
            variance = [float(x.var(0).sum()) for x in g]
            assert variance[2] > variance[1], variance                   # RELAX 0.647 > REBAR 0.521 on these draws


def test_variance_ordering_exactly_with_coefficients_fitted_on_other_draws():
    """With eta and phi fitted on separate draws, the exact variances (quadrature, D = 2) are ordered."""
    theta, tau = THETA[:2], 0.5
    train = draw_relax_noise(theta, np.random.default_rng(14), 20_000)
    coefficients = (np.zeros(4), fit_control_coefficients(train, TARGET, tau, rebar=True),
                    fit_control_coefficients(train, TARGET, tau))
    variance = []
    for phi in coefficients:
        def moments(noise, phi=phi):
            g = relax_grads(noise, TARGET, tau, phi)
            return np.concatenate([g, g**2], axis=1)
        m = exact_mean(theta, moments, 16)
        variance.append(float((m[2:] - m[:2] ** 2).sum()))
    # exact 0.609, 0.374, 0.219: REINFORCE / REBAR 1.6, REBAR / RELAX 1.7
    assert variance[0] > 1.3 * variance[1] and variance[1] > 1.3 * variance[2], variance


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
