"""Slide errata of notebooks/06_vae.ipynb: each test proves one correction (see ERRATA.md)."""

import numpy as np
import pytest
import sympy as sp

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
