"""Tests of lectures_lib.motivation: GAN losses and the toy discrete sequence GAN."""

import dataclasses

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import expit

from lectures_lib import motivation as mot
from lectures_lib.gumbel import softmax


@pytest.fixture
def gan():
    return mot.make_toy_gan(np.random.default_rng(0))


# ------------------------------------------------------------------------- GAN losses


def test_log_sigmoid_matches_naive_and_stays_finite():
    s = np.linspace(-30, 30, 61)
    assert np.allclose(mot.log_sigmoid(s), np.log(expit(s)), rtol=1e-12)
    extreme = mot.log_sigmoid([-1e4, 1e4])
    assert np.all(np.isfinite(extreme))
    assert extreme[0] == pytest.approx(-1e4) and extreme[1] == pytest.approx(0.0, abs=1e-300)


def test_discriminator_loss_matches_naive_formula():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=7), rng.normal(size=4)
    naive = -(np.mean(np.log(expit(real))) + np.mean(np.log(1 - expit(fake))))
    assert mot.discriminator_loss(real, fake) == pytest.approx(naive, rel=1e-12)


def test_discriminator_loss_finite_for_confident_discriminator():
    # D(x) = 1 - 1e-300 on real data, D(G(z)) = 1e-300 on fakes: the naive formula gives log(0)
    loss = mot.discriminator_loss([700.0], [-700.0])
    assert np.isfinite(loss) and loss == pytest.approx(0.0, abs=1e-300)


def test_discriminator_loss_is_minimised_by_the_optimal_discriminator():
    # two-point world: p_data = (0.7, 0.3), p_g = (0.2, 0.8); expected loss as a function of D
    p_data, p_g = np.array([0.7, 0.3]), np.array([0.2, 0.8])
    d_star = mot.optimal_discriminator(p_data, p_g)

    def expected_loss(d):
        return -(p_data @ np.log(d) + p_g @ np.log(1 - d))

    rng = np.random.default_rng(2)
    for _ in range(200):
        other = np.clip(d_star + rng.normal(scale=0.1, size=2), 1e-3, 1 - 1e-3)
        assert expected_loss(d_star) <= expected_loss(other) + 1e-15


@pytest.mark.parametrize("kind", mot.GENERATOR_LOSSES)
def test_generator_loss_grad_matches_finite_differences(kind):
    s, h = np.linspace(-6, 6, 25), 1e-6
    fd = (mot.generator_loss(s + h, kind) - mot.generator_loss(s - h, kind)) / (2 * h)
    assert np.allclose(mot.generator_loss_grad(s, kind), fd, atol=1e-8)


def test_generator_losses_in_terms_of_d():
    s = np.linspace(-5, 5, 11)
    d = expit(s)
    assert np.allclose(mot.generator_loss(s, "minimax"), np.log(1 - d))
    assert np.allclose(mot.generator_loss(s, "non_saturating"), -np.log(d))
    assert np.allclose(mot.generator_loss(s, "logit"), -np.log(d / (1 - d)))


def test_generator_loss_grads_against_torch_autograd():
    torch = pytest.importorskip("torch")
    s = torch.linspace(-6, 6, 13, dtype=torch.float64, requires_grad=True)
    losses = {"minimax": lambda d: torch.log1p(-d), "non_saturating": lambda d: -torch.log(d),
              "logit": lambda d: -torch.log(d / (1 - d))}
    for kind, loss in losses.items():
        (grad,) = torch.autograd.grad(loss(torch.sigmoid(s)).sum(), s)
        assert np.allclose(mot.generator_loss_grad(s.detach().numpy(), kind), grad.numpy(), atol=1e-10)


def test_minimax_gradient_saturates_and_the_others_do_not():
    s = -20.0  # D(G(z)) = 2e-9: the discriminator wins
    assert abs(mot.generator_loss_grad(s, "minimax")) < 1e-8
    assert mot.generator_loss_grad(s, "non_saturating") == pytest.approx(-1.0)
    assert mot.generator_loss_grad(s, "logit") == -1.0


def test_optimal_discriminator_values_and_empty_support():
    assert mot.optimal_discriminator([1.0, 0.0, 0.0], [1.0, 2.0, 0.0]).tolist() == [0.5, 0.0, 0.5]


def test_gaussian_kl_against_quadrature_and_torch():
    args = (1.5, 0.8, -0.5, 1.7)
    p, q = stats.norm(args[0], args[1]), stats.norm(args[2], args[3])
    by_quad, _ = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -np.inf, np.inf)
    assert mot.gaussian_kl(*args) == pytest.approx(by_quad, rel=1e-10)
    torch = pytest.importorskip("torch")
    from torch.distributions import Normal, kl_divergence

    ref = kl_divergence(Normal(torch.tensor(args[0]), torch.tensor(args[1])),
                        Normal(torch.tensor(args[2]), torch.tensor(args[3])))
    assert mot.gaussian_kl(*args) == pytest.approx(float(ref), rel=1e-5)  # torch float32


def test_slide_generator_loss_at_optimum_is_kl_by_monte_carlo():
    # E_{p_g}[-logit D*(x)] = KL(p_g || p_data); 4 standard errors: false failure chance 6e-5
    rng = np.random.default_rng(3)
    x = rng.normal(1.0, 0.7, size=50_000)
    p_data, p_g = stats.norm.pdf(x, 0.0, 1.0), stats.norm.pdf(x, 1.0, 0.7)
    d_star = mot.optimal_discriminator(p_data, p_g)
    vals = mot.generator_loss(np.log(d_star) - np.log1p(-d_star), "logit")
    se = vals.std(ddof=1) / np.sqrt(x.size)
    assert abs(vals.mean() - mot.gaussian_kl(1.0, 0.7, 0.0, 1.0)) < 4 * se


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: mot.log_sigmoid([np.nan]), "s"),
        (lambda: mot.discriminator_loss([], [0.0]), "real_logits"),
        (lambda: mot.discriminator_loss([0.0], [np.inf]), "fake_logits"),
        (lambda: mot.generator_loss([0.0], "wasserstein"), "kind"),
        (lambda: mot.generator_loss_grad(["a"], "logit"), "fake_logits"),
        (lambda: mot.optimal_discriminator([-0.1], [1.0]), "p_data"),
        (lambda: mot.optimal_discriminator([0.1], [np.nan]), "p_g"),
        (lambda: mot.gaussian_kl(0.0, 0.0, 0.0, 1.0), "scale_p"),
        (lambda: mot.gaussian_kl(0.0, 1.0, np.inf, 1.0), "loc_q"),
    ],
)
def test_gan_loss_validation_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# ------------------------------------------------------------------------- toy sequence GAN


def test_same_seed_same_gan_and_samples():
    a, b = mot.make_toy_gan(np.random.default_rng(5)), mot.make_toy_gan(np.random.default_rng(5))
    assert np.array_equal(a.theta, b.theta) and np.array_equal(a.disc_w, b.disc_w)
    ga = mot.draw_gumbel_noise(a, np.random.default_rng(6), 4)
    gb = mot.draw_gumbel_noise(b, np.random.default_rng(6), 4)
    assert np.array_equal(mot.sample_tokens(a, ga), mot.sample_tokens(b, gb))


def test_param_names_cover_theta(gan):
    names = gan.param_names
    assert len(names) == gan.theta.size == len(set(names))
    parts = gan.unpack(gan.theta)
    assert parts["b_o"][1] == gan.theta[names.index("b_o[1]")]
    assert parts["W_hh"][2, 3] == gan.theta[names.index("W_hh[2,3]")]


def test_sample_tokens_is_gumbel_max_on_the_rnn_logits(gan):
    g = mot.draw_gumbel_noise(gan, np.random.default_rng(7), 50)
    tokens = mot.sample_tokens(gan, g)
    # recompute the logits step by step by hand
    p = gan.unpack(gan.theta)
    for s in range(50):
        h, v = np.zeros(gan.hidden), np.zeros(gan.n_tokens)
        for t in range(gan.length):
            h = np.tanh(p["W_hh"] @ h + p["W_hv"] @ v + p["W_hz"] @ gan.z[t] + p["b_h"])
            k = np.argmax(p["W_oh"] @ h + p["b_o"] + g[s, t])
            assert tokens[s, t] == k
            v = np.eye(gan.n_tokens)[k]


def test_sequence_probabilities_sum_to_one_and_match_step_probabilities(gan):
    seqs = mot.all_sequences(gan.n_tokens, gan.length)
    probs = np.exp(mot.sequence_log_prob(gan, seqs))
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    steps = mot.step_probabilities(gan, seqs)  # (N, T, L)
    assert np.allclose(probs, np.take_along_axis(steps, seqs[..., None], axis=-1)[..., 0].prod(axis=-1))


def test_gumbel_max_sequences_follow_the_exact_distribution(gan):
    # chi-square goodness of fit over the 27 sequences; threshold p > 1e-3 (false failure chance 0.1%)
    g = mot.draw_gumbel_noise(gan, np.random.default_rng(8), 40_000)
    tokens = mot.sample_tokens(gan, g)
    index = tokens @ (gan.n_tokens ** np.arange(gan.length)[::-1])  # lexicographic index
    counts = np.bincount(index, minlength=gan.n_tokens**gan.length)
    expected = np.exp(mot.sequence_log_prob(gan, mot.all_sequences(gan.n_tokens, gan.length))) * tokens.shape[0]
    keep = expected > 5  # chi-square needs expected counts >= 5; pool the rest
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    assert stats.chisquare(obs, exp).pvalue > 1e-3


def test_step_probabilities_are_the_softmax_of_the_logits(gan):
    tokens = np.array([2, 0, 1])
    probs = mot.step_probabilities(gan, tokens)
    p = gan.unpack(gan.theta)
    h1 = np.tanh(p["W_hz"] @ gan.z[0] + p["b_h"])
    assert np.allclose(probs[0], softmax(p["W_oh"] @ h1 + p["b_o"]))


def test_discriminator_prob_is_logistic_on_the_flat_one_hot(gan):
    tokens = np.array([[1, 2, 0], [0, 0, 0]])
    v = np.eye(gan.n_tokens)[tokens].reshape(2, -1)  # (2, T*L)
    assert np.allclose(mot.discriminator_prob(gan, tokens), expit(v @ gan.disc_w.ravel() + gan.disc_b))


def test_expected_discriminator_matches_monte_carlo(gan):
    g = mot.draw_gumbel_noise(gan, np.random.default_rng(9), 20_000)
    d = mot.discriminator_prob(gan, mot.sample_tokens(gan, g))
    se = d.std(ddof=1) / np.sqrt(d.size)
    assert abs(d.mean() - mot.expected_discriminator(gan)) < 4 * se  # false failure chance 6e-5


@pytest.mark.parametrize("j", [0, 17, 40, 52, 54])
def test_complex_step_gradient_matches_finite_differences(gan, j):
    h = 1e-5
    f_plus = mot.expected_discriminator(gan, mot.with_parameter(gan.theta, j, gan.theta[j] + h))
    f_minus = mot.expected_discriminator(gan, mot.with_parameter(gan.theta, j, gan.theta[j] - h))
    assert mot.expected_discriminator_grad(gan, j) == pytest.approx((f_plus - f_minus) / (2 * h), abs=1e-9)


def test_expected_discriminator_and_grad_against_torch(gan):
    torch = pytest.importorskip("torch")
    theta = torch.tensor(gan.theta, requires_grad=True)
    start, parts = 0, {}
    for name, shape in gan._shapes():
        n = int(np.prod(shape))
        parts[name] = theta[start:start + n].reshape(shape)
        start += n
    seqs = torch.tensor(mot.all_sequences(gan.n_tokens, gan.length))
    h = torch.zeros(seqs.shape[0], gan.hidden, dtype=torch.float64)
    v = torch.zeros(seqs.shape[0], gan.n_tokens, dtype=torch.float64)
    log_p = torch.zeros(seqs.shape[0], dtype=torch.float64)
    z = torch.tensor(gan.z)
    for t in range(gan.length):
        h = torch.tanh(h @ parts["W_hh"].T + v @ parts["W_hv"].T + z[t] @ parts["W_hz"].T + parts["b_h"])
        logp_t = torch.log_softmax(h @ parts["W_oh"].T + parts["b_o"], dim=-1)
        log_p = log_p + logp_t.gather(1, seqs[:, t:t + 1])[:, 0]
        v = torch.nn.functional.one_hot(seqs[:, t], gan.n_tokens).double()
    d = torch.tensor(mot.discriminator_prob(gan, seqs.numpy()))
    expectation = (log_p.exp() * d).sum()
    (grad,) = torch.autograd.grad(expectation, theta)
    assert mot.expected_discriminator(gan) == pytest.approx(expectation.item(), abs=1e-13)
    ours = np.array([mot.expected_discriminator_grad(gan, j) for j in range(gan.theta.size)])
    assert np.allclose(ours, grad.numpy(), atol=1e-12)


def test_sampled_output_is_piecewise_constant_in_theta(gan):
    g = mot.draw_gumbel_noise(gan, np.random.default_rng(10), 1)[0]
    j = gan.param_names.index("b_o[0]")
    grid = np.linspace(-4, 4, 401)
    d = np.array([mot.discriminator_prob(gan, mot.sample_tokens(gan, g, mot.with_parameter(gan.theta, j, v)))
                  for v in grid])
    jumps = np.count_nonzero(np.diff(d))
    assert 1 <= jumps <= 20  # a handful of jumps, constant in between
    e = np.array([mot.expected_discriminator(gan, mot.with_parameter(gan.theta, j, v)) for v in grid])
    assert np.abs(np.diff(e)).max() < 0.01  # the expectation moves smoothly (Lipschitz, step 0.02)


def test_extreme_parameters_stay_finite(gan):
    theta = np.full_like(gan.theta, 300.0)  # saturating tanh and huge logits
    assert np.isfinite(mot.expected_discriminator(gan, theta))
    assert np.isfinite(mot.expected_discriminator_grad(gan, 0, theta))
    assert np.all(np.isfinite(mot.sequence_log_prob(gan, mot.all_sequences(3, 3), theta)))


def test_all_sequences_and_with_parameter():
    assert mot.all_sequences(3, 2).shape == (9, 2)
    theta = np.array([1.0, 2.0])
    assert mot.with_parameter(theta, 0, 7.0).tolist() == [7.0, 2.0] and theta.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda g: mot.make_toy_gan(0), "rng"),
        (lambda g: mot.make_toy_gan(np.random.default_rng(0), n_tokens=1), "n_tokens"),
        (lambda g: mot.make_toy_gan(np.random.default_rng(0), hidden=0), "hidden"),
        (lambda g: mot.make_toy_gan(np.random.default_rng(0), disc_scale=-1.0), "disc_scale"),
        (lambda g: mot.sample_tokens(g, np.zeros((3, 4))), "gumbel"),
        (lambda g: mot.sample_tokens(g, np.zeros((3, 3)), theta=np.zeros(3)), "theta"),
        (lambda g: mot.sample_tokens("gan", np.zeros((3, 3))), "gan"),
        (lambda g: mot.sequence_log_prob(g, [0, 1, 3]), "tokens"),
        (lambda g: mot.sequence_log_prob(g, [0, 1]), "tokens"),
        (lambda g: mot.discriminator_prob(g, [0.0, 1.0, 2.0]), "tokens"),
        (lambda g: mot.expected_discriminator_grad(g, 55), "j"),
        (lambda g: mot.expected_discriminator(g, theta=np.full(55, np.nan)), "theta"),
        (lambda g: mot.draw_gumbel_noise(g, np.random.default_rng(0), 0), "size"),
        (lambda g: mot.all_sequences(10, 6), "n_tokens"),
        (lambda g: mot.with_parameter([1.0], 1, 0.0), "j"),
        (lambda g: mot.with_parameter([1.0], 0, np.inf), "value"),
    ],
)
def test_sequence_gan_validation_names_the_parameter(gan, call, name):
    with pytest.raises(ValueError, match=name):
        call(gan)


def test_gan_is_immutable(gan):
    with pytest.raises(dataclasses.FrozenInstanceError):
        gan.hidden = 3
