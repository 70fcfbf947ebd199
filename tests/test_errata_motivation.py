"""Errata E01.x of the slides "a motivating example: Generative Adversarial Training" and
"consider D_phi(G_theta(z))", shown in notebooks/01_motivation.ipynb."""

import numpy as np
import sympy as sp
from scipy import integrate, stats
from scipy.special import expit

from lectures_lib import motivation as mot
from lectures_lib.symbolic import motivation as symb


def test_discriminator_loss_sign():
    """E01.1: the two terms of the discriminator's objective are added, not subtracted."""
    # symbolically: the slide's pointwise objective grows with D for every logit, so no interior optimum
    assert symb.slide_objective_derivative_in_logit().is_positive
    # numerically, on a tiny mini-batch and a logistic discriminator D(x) = sigmoid(a x + b)
    rng = np.random.default_rng(0)
    x_real, x_fake, a = rng.normal(2.0, 0.5, 5), rng.normal(-1.0, 0.5, 5), 2.0
    biases = np.linspace(-10, 10, 401)
    right = np.array([mot.discriminator_loss(a * x_real + b, a * x_fake + b) for b in biases])
    slide = np.array([-(mot.log_sigmoid(a * x_real + b).mean() - mot.log_sigmoid(-(a * x_fake + b)).mean())
                      for b in biases])
    b_right, b_slide = biases[right.argmin()], biases[slide.argmin()]
    # the slide's loss keeps falling as b grows: its best discriminator calls every fake real
    assert np.all(np.diff(slide) < 0)
    assert expit(a * x_fake + b_slide).min() > 0.99
    # the correct loss has an interior minimum that separates real from fake
    assert biases[0] < b_right < biases[-1]
    assert expit(a * x_fake + b_right).max() < 0.5 < expit(a * x_real + b_right).min()


def test_discriminator_fake_term_not_a_continued_fraction():
    """E01.2: the fake term is log(1 - D(G(z))), not log(1 - D/(1 - D/(1 - ...)))."""
    f, d = sp.symbols("f D")
    roots = sp.solve(sp.Eq(f, d / (1 - f)), f)  # the printed never-ending fraction
    assert len(roots) == 2
    assert all(sp.simplify(r - d) != 0 for r in roots)
    # the printed term is not even real for D > 1/4, while log(1 - D) is defined on (0, 1)
    assert all(not r.subs(d, sp.Rational(1, 2)).is_real for r in roots)
    assert all(r.subs(d, sp.Rational(1, 5)).is_real for r in roots)


def test_e01_3_n_names_two_sizes_each_average_is_unbiased():
    """E01.3: n names both the data set and the noise batch; each term's own average is right."""
    w = symb.weighted_optimal_discriminator()
    d_star = symb.optimal_discriminator()
    assert sp.simplify(w - symb.P_DATA / (symb.P_DATA + symb.R * symb.P_G)) == 0
    assert sp.simplify(w.subs(symb.R, 1) - d_star) == 0  # each term averaged over its own batch: r = 1
    # dividing a sum over n fakes by m (weight n/m != 1) is what would bias the discriminator
    assert sp.simplify(w.subs(symb.R, sp.Rational(10, 1)) - d_star) != 0
    # Monte Carlo: the loss with m = 5 data points and a noise batch of any size (here 50, neither m
    # nor the data set's size) is an unbiased estimate of the expected loss, computed by quadrature,
    # for p_data = N(2, 0.5^2), p_g = N(-1, 0.5^2) and D(x) = sigmoid(a x + b)
    a, b, m, reps = 2.0, 0.3, 5, 4000

    def expected(loc, sign):  # E[-log sigmoid(sign (a x + b))], x ~ N(loc, 0.5^2)
        f = lambda x: -mot.log_sigmoid(sign * (a * x + b)) * stats.norm.pdf(x, loc, 0.5)  # noqa: E731
        return integrate.quad(f, loc - 12, loc + 12)[0]

    population = expected(2.0, 1) + expected(-1.0, -1)
    rng = np.random.default_rng(1)
    for n in (m, 50):
        real = a * rng.normal(2.0, 0.5, (reps, m)) + b
        fake = a * rng.normal(-1.0, 0.5, (reps, n)) + b
        losses = np.array([mot.discriminator_loss(r, f) for r, f in zip(real, fake, strict=True)])
        assert abs(losses.mean() - population) < 5 * losses.std() / np.sqrt(reps), n
        if n != m:  # the sum over n fakes divided by m is off by (n/m - 1) times the fake term
            mixed = -(mot.log_sigmoid(real).mean(axis=1) + mot.log_sigmoid(-fake).sum(axis=1) / m)
            assert abs(mixed.mean() - population) > 20 * mixed.std() / np.sqrt(reps)
    # and a repeated fake batch gives the same loss: the fake term is an average, not a sum
    real, fake = rng.normal(size=5), rng.normal(size=5)
    assert np.isclose(mot.discriminator_loss(real, fake), mot.discriminator_loss(real, np.tile(fake, 10)))


def test_continuous_generator_is_differentiable():
    """E01.4: 'continuous' (not 'contiguous') outputs let gradients through G_theta."""
    rng = np.random.default_rng(2)
    z, a, b, theta, h = rng.normal(size=1000), 2.0, -1.0, 0.3, 1e-6
    chain_rule = a * expit(a * (theta + z) + b) * (1 - expit(a * (theta + z) + b))
    finite_diff = (expit(a * (theta + h + z) + b) - expit(a * (theta - h + z) + b)) / (2 * h)
    assert np.allclose(chain_rule, finite_diff, rtol=1e-6, atol=1e-9)
    assert np.all(chain_rule > 0)
    # a discrete generator, by contrast, has a zero derivative for almost every noise draw
    gan = mot.make_toy_gan(np.random.default_rng(3))
    g = mot.draw_gumbel_noise(gan, np.random.default_rng(4), 1000)
    j = gan.param_names.index("b_o[0]")
    up = mot.discriminator_prob(gan, mot.sample_tokens(gan, g, mot.with_parameter(gan.theta, j, gan.theta[j] + h)))
    down = mot.discriminator_prob(gan, mot.sample_tokens(gan, g, mot.with_parameter(gan.theta, j, gan.theta[j] - h)))
    assert np.count_nonzero(up - down) <= 2


def test_e01_5_the_derivative_that_fails_is_through_the_sample_not_the_discriminator():
    """E01.5: 'can not take derivative dD/dK_t' names the wrong factor.  D_phi is differentiable in its input
    v = one-hot(K): dD/dv = w D (1 - D) for the logistic discriminator, non-zero and equal to finite differences.
    What fails is dv/dtheta: for fixed noise the sample does not move with theta, so the pathwise gradient
    (the chain rule through the sample) is 0 while dE[D]/dtheta is not."""
    gan, h = mot.make_toy_gan(np.random.default_rng(3)), 1e-6
    g = mot.draw_gumbel_noise(gan, np.random.default_rng(4), 200)
    tokens = mot.sample_tokens(gan, g)
    v = np.eye(gan.n_tokens)[tokens]                                             # (S, T, L) one-hot
    d = mot.discriminator_prob(gan, tokens)
    assert np.allclose(expit((v * gan.disc_w).sum(axis=(-2, -1)) + gan.disc_b), d)
    analytic = gan.disc_w * (d * (1 - d))[:, None, None]                          # dD/dv, (S, T, L)
    e = np.zeros_like(v[0])
    e[1, 2] = h                                                                   # one input coordinate
    numeric = (expit(((v + e) * gan.disc_w).sum(axis=(-2, -1)) + gan.disc_b)
               - expit(((v - e) * gan.disc_w).sum(axis=(-2, -1)) + gan.disc_b)) / (2 * h)
    assert np.allclose(numeric, analytic[:, 1, 2], rtol=1e-6) and np.all(np.abs(analytic) > 0)
    j = gan.param_names.index("b_o[0]")
    moved = [mot.sample_tokens(gan, g, mot.with_parameter(gan.theta, j, gan.theta[j] + s * h)) for s in (1, -1)]
    assert np.count_nonzero(np.any(moved[0] != moved[1], axis=1)) <= 1           # dv/dtheta = 0 for (almost) all
    assert abs(mot.expected_discriminator_grad(gan, j)) > 1e-3                     # ... but dE[D]/dtheta is not 0


def test_e01_6_reparameterising_a_discrete_sample_alone_gives_no_gradient():
    """E01.6: 'so the solution is use re-parameterization'.  The Gumbel-max map k = argmax(mu(theta) + G) *is* a
    re-parameterisation of the discrete sample (right law, noise free of theta), yet its pathwise gradient is 0 for
    almost every G: E_G[dD(v(theta, G))/dtheta] = 0, not dE[D]/dtheta.  A relaxation (biased) or the score
    function (unbiased) is needed."""
    gan, h = mot.make_toy_gan(np.random.default_rng(5)), 1e-7
    g = mot.draw_gumbel_noise(gan, np.random.default_rng(6), 40_000)
    tokens = mot.sample_tokens(gan, g)
    # the right law: the frequencies of the 27 sequences match p_theta exactly computed (chi-squared, alpha = 1e-3)
    seqs = mot.all_sequences(gan.n_tokens, gan.length)
    codes = tokens @ gan.n_tokens ** np.arange(gan.length - 1, -1, -1)
    expected = np.exp(mot.sequence_log_prob(gan, seqs)) * len(tokens)
    assert expected.min() >= 5                                     # every cell large enough for the chi-squared law
    assert stats.chisquare(np.bincount(codes, minlength=len(seqs)), expected).pvalue > 1e-3
    # ... and no gradient through it
    j = gan.param_names.index("b_o[0]")
    d = [mot.discriminator_prob(gan, mot.sample_tokens(gan, g, mot.with_parameter(gan.theta, j, gan.theta[j] + s * h)))
         for s in (1, -1)]
    pathwise = (d[0] - d[1]) / (2 * h)
    assert np.count_nonzero(pathwise) <= 2                        # a jump within 1e-7 of theta_j: probability ~1e-5
    exact = mot.expected_discriminator_grad(gan, j)
    assert abs(exact) > 1e-3 and abs(pathwise[pathwise == 0].mean() - exact) > 1e-3
