"""Slide errata of notebooks/06_vae.ipynb: each test proves one correction (see ERRATA.md)."""

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from lectures_lib.kl import (
    gaussian_kl,
    linear_gaussian_elbo,
    linear_gaussian_log_evidence,
    linear_gaussian_posterior,
)
from lectures_lib.symbolic import vae as S
from lectures_lib.vae import VAE


def test_e06_1_elbo_derivation_duplicated_line():
    eqs = S.elbo_derivation()
    assert eqs[2] == eqs[3]  # the slide repeats line 3 verbatim
    # the step the slide skips: E[f(z) + log P(X)] = E[f(z)] + log P(X), because P(X) does not depend on z
    f = sp.log(S.Q(S.z)) - sp.log(S.PXz(S.z)) - sp.log(S.Pz(S.z))
    assert sp.expand(S.Expect(f + sp.log(S.PX)) - S.Expect(f)) == sp.log(S.PX)
    without_duplicate = eqs[:3] + eqs[4:]
    assert all(S.equation_residual(eq) == 0 for eq in without_duplicate)


def test_e06_2_min_loss_minimises_posterior_kl_only_for_the_encoder():
    model = S.linear_gaussian_model()
    neg_elbo = -model["elbo"]
    # encoder parameters (m, v): d(-ELBO) = d KL(q || p(z|x)), since log p(x) does not depend on q
    for p in (S.m_q, S.v_q):
        assert sp.simplify(sp.diff(neg_elbo, p) - sp.diff(model["gap_kl"], p)) == 0
    # decoder parameter w: -ELBO = -log p_w(x) + KL, and its minimiser is not where the KL is smallest
    assert sp.simplify(sp.diff(neg_elbo, S.w) - sp.diff(model["gap_kl"], S.w)) != 0
    x, s, m, lv = 1.5, 1.0, 0.5, np.log(0.3)
    w = np.linspace(-1, 4, 50_001)
    gap = linear_gaussian_log_evidence(x, w, s) - linear_gaussian_elbo(x, w, s, m, lv)
    w_loss = w[np.argmin(-linear_gaussian_elbo(x, w, s, m, lv))]  # closed form: m x / (m^2 + v) = 1.364
    w_gap = w[np.argmin(gap)]
    assert abs(w_loss - m * x / (m**2 + 0.3)) < 1e-3
    assert abs(w_loss - w_gap) > 0.1 and gap[np.argmin(-linear_gaussian_elbo(x, w, s, m, lv))] > gap.min() + 0.01


def test_e06_3_trace_of_identity_is_d():
    for d in (2, 3):
        product = S.second_moment_times_inverse(d)  # E[(x - mu1)(x - mu1)^T] Sigma_1^-1
        assert product == sp.eye(d) and product.trace() == d


def test_e06_4_substitute_mu2_zero_not_one():
    d = 3
    mu = sp.Matrix(sp.symbols("mu_1:4", real=True))
    sig = sp.symbols("sigma_1:4", positive=True)
    S_q = sp.diag(*(s**2 for s in sig))
    final = sp.Rational(1, 2) * (S_q.trace() + (mu.T * mu)[0] - d - sp.log(S_q.det()))  # the slide's next line
    with_zero = S.mvn_kl_formula(mu, S_q, sp.zeros(d, 1), sp.eye(d))
    with_one = S.mvn_kl_formula(mu, S_q, sp.ones(d, 1), sp.eye(d))
    assert sp.simplify(sp.expand_log(with_zero - final, force=True)) == 0
    assert sp.simplify(sp.expand_log(with_one - final, force=True)) != 0
    # with mu_2 = 1 the "KL" is not zero at q = N(0, I) = prior, so it cannot be the VAE's regulariser
    at_prior = {**{m: 0 for m in mu}, **{s: 1 for s in sig}}
    assert with_one.subs(at_prior) == sp.Rational(3, 2) and with_zero.subs(at_prior) == 0


def test_e06_5_sigma_in_the_sums_means_diagonal_entries():
    assert S.diagonal_kl_chain(3).all_hold()  # with Sigma = diag(sigma_k^2) every line holds
    mu = np.array([0.3, -0.5])
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])  # a full covariance: tr is still a sum, det is not a product
    exact = float(S.mvn_kl_formula(sp.Matrix(mu), sp.Matrix(cov), sp.zeros(2, 1), sp.eye(2)))
    slide = 0.5 * np.sum(np.diag(cov) + mu**2 - 1 - np.log(np.diag(cov)))
    assert abs(slide - exact) > 0.5  # log det = log(0.36) != log 1 + log 1
    assert np.isclose(exact - slide, -0.5 * np.log(np.linalg.det(cov)))
    mu_enc, log_var = VAE(np.random.default_rng(0), n_hidden=4).encode(np.zeros((3, 64)))
    assert log_var.shape == mu_enc.shape == (3, 2)  # the encoder outputs the diagonal only


def test_e06_6_likelihood_factor_is_the_decoder_and_the_prior_is_n01():
    vae = VAE(np.random.default_rng(0), n_hidden=4)
    assert vae.decoder.layers[0].params["W"].shape[0] == vae.n_latent  # P(x|z): a network from z ...
    assert vae.decoder.layers[-1].params["W"].shape[1] == vae.n_pixels  # ... to the pixels' parameters
    assert vae.encoder.layers[0].params["W"].shape[0] == vae.n_pixels  # Q(z|x): the encoder reads x
    # Bayes on the linear-Gaussian model: posterior is likelihood(z) times the prior N(0, 1), normalised
    x, w, s = 1.5, 2.0, 1.0
    z = np.linspace(-8, 8, 160_001)
    lik = np.exp(-0.5 * ((x - w * z) / s) ** 2)
    prior = np.exp(-0.5 * z**2)
    mean, log_var = linear_gaussian_posterior(x, w, s)
    exact = np.exp(-0.5 * (z - mean) ** 2 / np.exp(log_var)) / np.sqrt(2 * np.pi * np.exp(log_var))
    dz = z[1] - z[0]
    assert np.abs(lik * prior / (lik * prior).sum() / dz - exact).max() < 1e-8
    assert np.abs(lik / lik.sum() / dz - exact).max() > 0.1  # without the N(0, 1) factor: wrong posterior
    assert gaussian_kl(mean, log_var) > 0  # and the posterior is not N(0, 1) either


def test_e06_7_k_is_the_dimension_and_the_prior_is_n_0_i():
    # slide: KL[N(mu(X), Sigma(X)) || N(0, 1)] = 1/2 (tr Sigma + mu^T mu - k - log det Sigma), then sum_k
    d = 3
    mu, var = np.array([0.3, -0.5, 1.2]), np.array([0.5, 2.0, 1.3])
    cov = sp.diag(*[sp.Float(v) for v in var])
    joint = float(S.mvn_kl_formula(sp.Matrix(mu), cov, sp.zeros(d, 1), sp.eye(d)))  # prior N(0, I_d)
    # N(0, I_d) is d independent N(0, 1) factors: the KL is the sum of the per-coordinate KLs
    assert gaussian_kl(mu, np.log(var)).sum() == pytest.approx(joint, rel=1e-12)
    # the "k" outside the sums is the dimension d
    assert 0.5 * (var.sum() + mu @ mu - d - np.log(var).sum()) == pytest.approx(joint, rel=1e-12)
    # read with k the summation index it is sum_k k = d (d + 1) / 2, and the KL is off by 1.5 here
    k = sp.Symbol("k", integer=True, positive=True)
    clash = 0.5 * (var.sum() + mu @ mu - float(sp.summation(k, (k, 1, d))) - np.log(var).sum())
    assert clash == pytest.approx(joint - 1.5, rel=1e-12)


def test_e06_8_the_kl_pulls_q_towards_the_prior_not_towards_gaussian():
    """E06.8: the slide says the regulariser makes Q(z|x_i) "as close to Gaussian distribution as possible".  Q is
    Gaussian by construction; KL(Q || N(0, 1)) pulls it towards the prior: 0 only at Q = N(0, 1), large for a
    Gaussian far from it, small for a non-Gaussian Q near it."""
    kl = S.univariate_kl().subs({S.mu2: 0, S.sigma2: 1})          # KL(N(mu_1, sigma_1^2) || N(0, 1)), derived
    assert sp.simplify(kl - (S.sigma1**2 + S.mu1**2 - 1 - sp.log(S.sigma1**2)) / 2) == 0
    stationary = sp.solve([sp.diff(kl, S.mu1), sp.diff(kl, S.sigma1)], [S.mu1, S.sigma1], dict=True)
    assert stationary == [{S.mu1: 0, S.sigma1: 1}] and kl.subs(stationary[0]) == 0    # the only minimum: the prior
    assert sp.hessian(kl, (S.mu1, S.sigma1)).subs(stationary[0]).is_positive_definite
    eps, weights = np.polynomial.hermite_e.hermegauss(100)
    weights = weights / weights.sum()                              # E over eps ~ N(0, 1), exact for these integrands
    for m, sd in [(0.0, 1.0), (3.0, 0.1), (0.0, 0.01), (3.0, 1.0), (-1.0, 2.0)]:
        z = m + sd * eps                                           # z ~ N(m, sd^2), re-parameterised
        by_quadrature = weights @ (stats.norm.logpdf(z, m, sd) - stats.norm.logpdf(z))
        library = float(gaussian_kl(m, np.log(sd**2)))
        assert library == pytest.approx(by_quadrature, rel=1e-12, abs=1e-14)
        assert library == pytest.approx(float(kl.subs({S.mu1: m, S.sigma1: sd})), rel=1e-12)
    far = float(gaussian_kl(3.0, np.log(0.1**2)))                  # N(3, 0.1^2): perfectly Gaussian, far from the prior
    assert far > 6                                                 # read as the slide says, it would cost 0
    # a Laplace with the prior's mean and variance (b = 1/sqrt 2) is not Gaussian, yet much nearer the prior:
    # by symmetry E_q[g(|z|)] = E_{t ~ Exp(1)}[g(b t)], exact by Gauss-Laguerre (the integrand is a polynomial in t)
    b = 1 / np.sqrt(2)
    t, w_t = np.polynomial.laguerre.laggauss(20)
    laplace = w_t @ (stats.laplace.logpdf(b * t, scale=b) - stats.norm.logpdf(b * t))
    assert laplace == pytest.approx((np.log(np.pi) - 1) / 2, rel=1e-12)     # closed form 1/2 (log pi - 1)
    assert laplace < far / 50
    assert float(gaussian_kl(0.0, np.log(0.01**2))) > 4              # the first half holds: no delta functions


def _posterior_moments(xs, decoder, s, step=1e-3):
    """E[z|x] and Var[z|x] for z ~ N(0, 1), x|z ~ N(decoder(z), s^2), by quadrature on a uniform z grid over [-10, 10]
    (the trapezoid rule on a smooth integrand that vanishes at both ends: exponentially accurate in 1/step)."""
    z = np.arange(-10, 10 + step / 2, step)
    joint = stats.norm.pdf(z) * stats.norm.pdf(np.asarray(xs)[:, None], decoder(z), s)   # p(z) p(x|z), (X, n)
    mean = joint @ z / joint.sum(axis=1)
    return mean, joint @ z**2 / joint.sum(axis=1) - mean**2


def test_e06_9_a_linear_encoder_is_exact_for_a_linear_decoder_not_for_a_nonlinear_one():
    """E06.9: "of course a linear, or a kernel won't do its trick, we need a Neural Network for mu and Sigma".
    For p(z) = N(0, I), p(x|z) = N(W z + b, s^2 I) the posterior is N(M^-1 W^T (x - b) / s^2, M^-1) with
    M = I + W^T W / s^2: a linear encoder with constant Sigma is exact, ELBO = log p(x).  A network is needed
    because the decoder is one: for a nonlinear decoder the posterior mean is not linear in x."""
    rng = np.random.default_rng(9)
    d_x, d_z, s = 5, 2, 0.7
    W, b = rng.standard_normal((d_x, d_z)), rng.standard_normal(d_x)
    M = np.eye(d_z) + W.T @ W / s**2
    A, cov_q = np.linalg.solve(M, W.T) / s**2, np.linalg.inv(M)              # mu(x) = A (x - b), Sigma = M^-1
    C = W @ W.T + s**2 * np.eye(d_x)                                         # p(x) = N(b, W W^T + s^2 I)
    assert np.allclose(A, W.T @ np.linalg.inv(C), atol=1e-12)               # Gaussian conditioning of (z, x): the same
    assert np.allclose(cov_q, np.eye(d_z) - W.T @ np.linalg.solve(C, W), atol=1e-12)
    xs = rng.multivariate_normal(b, C, size=20)                              # (20, d_x)
    log_px = stats.multivariate_normal(b, C).logpdf(xs)

    def elbo(mu, cov):  # E_q[log p(x|z)] - KL(q || N(0, I)), closed forms, one row of mu per x
        resid = xs - mu @ W.T - b
        expected_sq = (resid**2).sum(1) + np.trace(W @ cov @ W.T)         # E_q ||x - W z - b||^2
        expected_log_lik = -0.5 * (d_x * np.log(2 * np.pi * s**2) + expected_sq / s**2)
        return expected_log_lik - 0.5 * (np.trace(cov) + (mu**2).sum(1) - d_z - np.linalg.slogdet(cov)[1])

    assert np.abs(elbo((xs - b) @ A.T, cov_q) - log_px).max() < 1e-10       # the linear encoder: no gap at any x
    other = elbo((xs - b) @ (1.1 * A).T, 0.8 * cov_q)                       # another linear encoder leaves a gap ...
    d = (xs - b) @ (0.1 * A).T                                               # ... equal to KL(q || posterior)
    kl_to_post = 0.5 * (d_z * 0.8 - d_z - d_z * np.log(0.8) + np.einsum("ni,ij,nj->n", d, M, d))
    assert np.allclose(log_px - other, kl_to_post, atol=1e-10) and kl_to_post.min() > 1e-3
    # the library's one-dimensional model (notebook 06, section 2.1): quadrature, posterior and ELBO agree
    w1, s1, x1 = 2.0, 0.8, np.linspace(-3, 3, 13)                            # s != 1: log s^2 = 2 log s shows
    mean_q, var_q = _posterior_moments(x1, lambda z: w1 * z, s1)
    post_mean, post_log_var = linear_gaussian_posterior(x1, w1, s1)
    assert np.allclose(mean_q, post_mean, atol=1e-12) and np.allclose(var_q, np.exp(post_log_var), atol=1e-12)
    slope, intercept = np.polyfit(x1, mean_q, 1)
    assert np.abs(slope * x1 + intercept - mean_q).max() < 1e-12 and np.ptp(var_q) < 1e-12
    gap = linear_gaussian_log_evidence(x1, w1, s1) - linear_gaussian_elbo(x1, w1, s1, slope * x1 + intercept,
                                                                          np.log(var_q[0]))
    assert np.abs(gap).max() < 1e-12
    # a one-unit tanh network as decoder: its exact posterior mean (quadrature, the same on a 4x coarser grid)
    # is not linear in x
    decoder, s2 = (lambda z: 2 * np.tanh(2 * z)), 0.5
    mean_nl, var_nl = _posterior_moments(x1, decoder, s2)
    coarse = _posterior_moments(x1, decoder, s2, step=4e-3)
    assert np.allclose(mean_nl, coarse[0], atol=1e-12) and np.allclose(var_nl, coarse[1], atol=1e-12)
    line = np.polyval(np.polyfit(x1, mean_nl, 1), x1)
    assert np.abs(line - mean_nl).max() > 0.1 and np.ptp(var_nl) > 0.1     # no line, and Var[z|x] moves with x
