"""lectures_lib.symbolic.vae: every displayed line of the VAE slides is checked, and the checks can fail."""

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from lectures_lib.kl import gaussian_kl
from lectures_lib.symbolic import vae as S


def test_every_line_of_the_elbo_derivation_holds():
    eqs = S.elbo_derivation()
    assert len(eqs) == 8
    assert [S.equation_residual(eq) for eq in eqs] == [0] * 8


def test_the_elbo_check_catches_a_flipped_sign():
    lq, lxz, lz, lx = (sp.log(f) for f in (S.Q(S.z), S.PXz(S.z), S.Pz(S.z), S.PX))
    wrong = sp.Eq(S.KL_POSTERIOR, S.Expect(lq - lxz + lz + lx))  # + log P(z) instead of -
    assert S.equation_residual(wrong) != 0
    assert S.equation_residual(sp.Eq(S.KL_POSTERIOR, S.Expect(lq - lxz - lz) - lx)) != 0  # -log P(X)


def test_expect_is_linear_and_keeps_z_free_terms_outside():
    c = sp.Symbol("c", positive=True)
    assert sp.expand(S.Expect(c * sp.log(S.Q(S.z)) + sp.log(c))) == c * S.Expect(sp.log(S.Q(S.z))) + sp.log(c)


def test_univariate_kl_chain_and_closed_form():
    assert all(c.how == "symbolic" for c in S.univariate_kl_chain().check())
    kl = S.univariate_kl()
    f = sp.lambdify((S.mu1, S.sigma1, S.mu2, S.sigma2), kl)
    assert f(0.3, 0.8, -0.2, 1.3) == pytest.approx(float(gaussian_kl(0.3, 2 * np.log(0.8), -0.2, 2 * np.log(1.3))))


def test_gaussian_expectation_uses_the_right_moments():
    assert [S.standard_normal_moment(k) for k in range(5)] == [1, 0, 1, 0, 3]
    m, v = sp.Symbol("m", real=True), sp.Symbol("v", positive=True)
    assert sp.expand(S.gaussian_expectation(S.z**2, S.z, m, v) - (m**2 + v)) == 0
    with pytest.raises(ValueError, match="k must be"):
        S.standard_normal_moment(-1)


@pytest.mark.parametrize("d", [1, 2])
def test_every_line_of_the_multivariate_kl_slide_holds(d):
    lines = S.mvn_kl_lines(d)
    assert len(lines) == 5
    for (_, a), (_, b) in zip(lines[:-1], lines[1:], strict=True):
        assert sp.simplify(a - b) == 0


def test_multivariate_formula_matches_numpy_for_a_full_covariance():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((2, 3, 3))
    S1, S2 = A @ A.T + np.eye(3), B @ B.T + np.eye(3)
    m1, m2 = rng.standard_normal((2, 3))
    sym = float(S.mvn_kl_formula(sp.Matrix(m1), sp.Matrix(S1), sp.Matrix(m2), sp.Matrix(S2)))
    # Monte Carlo: 5 standard errors, false-failure probability ~6e-7
    x = m1 + rng.standard_normal((200_000, 3)) @ np.linalg.cholesky(S1).T

    def log_n(x, m, S):
        d = np.linalg.solve(np.linalg.cholesky(S), (x - m).T)
        return -0.5 * (d**2).sum(0) - 0.5 * np.linalg.slogdet(2 * np.pi * S)[1]

    r = log_n(x, m1, S1) - log_n(x, m2, S2)
    assert abs(r.mean() - sym) < 5 * r.std() / np.sqrt(len(r))


def test_diagonal_chain_holds():
    assert all(c.how == "symbolic" for c in S.diagonal_kl_chain(3).check(numeric_fallback=False))


def test_linear_gaussian_identity_log_px_equals_elbo_plus_kl():
    model = S.linear_gaussian_model()
    assert sp.diff(model["log_evidence"], S.z) == 0  # Bayes' rule rearranged is free of z
    marginal = S.log_normal(S.x_obs, 0, S.w**2 + S.s**2)  # x ~ N(0, w^2 + s^2)
    assert sp.simplify(sp.expand_log(model["log_evidence"] - marginal, force=True)) == 0
    assert sp.simplify(model["log_evidence"] - model["elbo"] - model["gap_kl"]) == 0
    at_posterior = model["elbo"].subs({S.m_q: model["posterior_mean"], S.v_q: model["posterior_var"]})
    assert sp.simplify(sp.expand_log(at_posterior - model["log_evidence"], force=True)) == 0
    # against scipy, not against log_normal itself: log N(x; 0, w^2 + s^2) and the posterior N(m*, v*)
    point = {S.x_obs: 1.5, S.w: 2.0, S.s: 0.7}
    assert float(model["log_evidence"].subs(point)) == pytest.approx(
        stats.norm.logpdf(1.5, 0, np.sqrt(2.0**2 + 0.7**2)), rel=1e-12)
    v_post = 1 / (1 + 2.0**2 / 0.7**2)
    assert float(model["posterior_var"].subs(point)) == pytest.approx(v_post, rel=1e-12)
    assert float(model["posterior_mean"].subs(point)) == pytest.approx(v_post * 2.0 * 1.5 / 0.7**2, rel=1e-12)


def test_log_normal_against_scipy():
    t, m, v = sp.symbols("t m v", positive=True)
    f = sp.lambdify((t, m, v), S.log_normal(t, m, v), "numpy")
    for args in [(0.3, 1.0, 2.0), (2.5, -1.0, 0.1)]:
        assert f(*args) == pytest.approx(stats.norm.logpdf(args[0], args[1], np.sqrt(args[2])), rel=1e-12)


def test_vae_gradient_rules():
    for derivative, closed_form in S.vae_gradient_rules():
        assert sp.simplify(derivative.doit() - closed_form) == 0


def test_latex_keeps_the_slide_order():
    text = S.latex(S.elbo_derivation()[1])  # the slide writes log P(X|z) + log P(z) - log P(X)
    assert text.index(r"P(X|z)") < text.index(r"- \log{\left(P(X)")


def test_mvn_lines_validates_d():
    with pytest.raises(ValueError, match="d must be"):
        S.mvn_kl_lines(4)
