"""lectures_lib.kl: the Gaussian KL against SymPy, Monte Carlo and torch; the linear-Gaussian example.

Monte Carlo checks use fixed seeds and a 5-standard-error threshold: for a fresh seed each would
fail falsely with probability about 6e-7.
"""

import numpy as np
import pytest
import sympy as sp

from lectures_lib.kl import (
    gaussian_kl,
    gaussian_kl_grad,
    linear_gaussian_elbo,
    linear_gaussian_log_evidence,
    linear_gaussian_posterior,
    moment_matched_kl,
    mutual_information,
)
from lectures_lib.symbolic import vae as S

PARAMS = [(0.3, -0.4, 1.0, 0.7), (-2.0, 1.5, 0.5, -1.0), (0.0, 0.0, 0.0, 0.0), (1.0, -3.0, -1.0, 2.0)]


def test_matches_the_sympy_closed_form():
    f = sp.lambdify((S.mu1, S.sigma1, S.mu2, S.sigma2), S.univariate_kl(), "numpy")
    rng = np.random.default_rng(0)
    mq, mp = rng.normal(size=50), rng.normal(size=50)
    lq, lp = rng.uniform(-4, 4, 50), rng.uniform(-4, 4, 50)
    np.testing.assert_allclose(gaussian_kl(mq, lq, mp, lp), f(mq, np.exp(lq / 2), mp, np.exp(lp / 2)),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("mq", "lq", "mp", "lp"), PARAMS)
def test_matches_monte_carlo(mq, lq, mp, lp):
    z = mq + np.exp(lq / 2) * np.random.default_rng(1).standard_normal(400_000)

    def log_n(t, m, lv):
        return -0.5 * ((t - m) ** 2 * np.exp(-lv) + lv + np.log(2 * np.pi))

    ratio = log_n(z, mq, lq) - log_n(z, mp, lp)  # KL = E_q[log q - log p]
    se = ratio.std() / np.sqrt(z.size)
    assert abs(ratio.mean() - gaussian_kl(mq, lq, mp, lp)) < 5 * se + 1e-12


def test_matches_torch_univariate_and_diagonal():
    torch = pytest.importorskip("torch")
    D = torch.distributions
    rng = np.random.default_rng(2)
    mq, lq, mp, lp = rng.normal(size=(4, 6, 3))
    ours = gaussian_kl(mq, lq, mp, lp)

    def normal(m, lv):
        return D.Normal(torch.tensor(m), torch.tensor(np.exp(lv / 2)))

    ref = D.kl_divergence(normal(mq, lq), normal(mp, lp)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-10)
    # diagonal multivariate against N(0, I): the VAE's regulariser is the sum over the last axis
    q = D.Independent(normal(mq, lq), 1)
    prior = D.Independent(D.Normal(torch.zeros(6, 3, dtype=torch.float64), torch.ones(6, 3, dtype=torch.float64)), 1)
    np.testing.assert_allclose(gaussian_kl(mq, lq).sum(-1), D.kl_divergence(q, prior).numpy(), rtol=1e-10)


def test_broadcasts_and_is_zero_only_at_equality():
    out = gaussian_kl(np.zeros((3, 1)), np.zeros(4), 0.0, 0.0)
    assert out.shape == (3, 4) and np.all(out == 0)
    assert gaussian_kl(1e-3, 0.0) > 0 and gaussian_kl(0.0, 1e-3) > 0


def test_finite_and_non_negative_on_the_log_variance_range():
    lv = np.linspace(-30, 30, 121)
    out = gaussian_kl(np.linspace(-5, 5, 121)[:, None], lv[:, None], 0.3, lv[None, :])
    assert np.all(np.isfinite(out)) and np.all(out >= 0)


def test_tiny_variance_ratio_keeps_its_second_order_term():
    # KL(N(0, e^r) || N(0, 1)) = (e^r - 1 - r)/2 ~ r^2/4; exp(r) - 1 - r would round to 0 or noise
    r = 1e-9
    assert gaussian_kl(0.0, r) == pytest.approx(r**2 / 4, rel=1e-6)


def test_gradient_matches_finite_differences_and_torch():
    args = (0.7, -0.3, -0.2, 0.4)
    d_mu, d_lv = gaussian_kl_grad(*args)
    h = 1e-6
    for i, grad in ((0, d_mu), (1, d_lv)):
        up, down = list(args), list(args)
        up[i] += h
        down[i] -= h
        assert grad == pytest.approx((gaussian_kl(*up) - gaussian_kl(*down)) / (2 * h), rel=1e-7)
    torch = pytest.importorskip("torch")
    m, lv, mp, lp = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args)
    N = torch.distributions.Normal
    torch.distributions.kl_divergence(N(m, torch.exp(lv / 2)), N(mp, torch.exp(lp / 2))).backward()
    assert d_mu == pytest.approx(m.grad.item(), rel=1e-10) and d_lv == pytest.approx(lv.grad.item(), rel=1e-10)


@pytest.mark.parametrize("bad", [{"mu_q": np.nan}, {"log_var_q": np.inf}, {"mu_p": "a"}, {"log_var_p": [1, np.nan]}])
def test_rejects_bad_parameters_by_name(bad):
    args = {"mu_q": 0.0, "log_var_q": 0.0, "mu_p": 0.0, "log_var_p": 0.0, **bad}
    name = next(iter(bad))
    with pytest.raises(ValueError, match=name):
        gaussian_kl(**args)
    with pytest.raises(ValueError, match=name):
        gaussian_kl_grad(**args)


def test_rejects_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match="broadcast"):
        gaussian_kl(np.zeros(3), np.zeros(4))


def test_mutual_information_bounds():
    rng = np.random.default_rng(3)
    assert abs(mutual_information(np.zeros((200, 2)), np.zeros((200, 2)), rng)) < 1e-12  # z ignores x
    mu = 10 * rng.standard_normal((200, 2))  # distinct, nearly deterministic codes: I = log N
    assert mutual_information(mu, np.full((200, 2), -20.0), rng) == pytest.approx(np.log(200), abs=1e-6)
    with pytest.raises(ValueError, match="shape"):
        mutual_information(np.zeros((5, 2)), np.zeros((5, 3)), rng)
    with pytest.raises(ValueError, match="rng"):
        mutual_information(np.zeros((5, 2)), np.zeros((5, 2)), 0)


def test_moment_matched_kl():
    z = np.random.default_rng(4).standard_normal((50_000, 2)) * [2.0, 0.5] + [1.0, 0.0]
    exact = gaussian_kl([1.0, 0.0], np.log([4.0, 0.25])).sum()  # independent coordinates
    assert moment_matched_kl(z) == pytest.approx(exact, rel=0.02)  # sampling error of the moments ~0.5 %
    assert moment_matched_kl(np.ones((10, 2))) == np.inf  # all codes in one point
    with pytest.raises(ValueError, match="z must have shape"):
        moment_matched_kl(np.zeros((2, 2)))


def test_linear_gaussian_matches_the_sympy_derivation():
    model = S.linear_gaussian_model()
    args = (S.x_obs, S.w, S.s)
    post_mean = sp.lambdify(args, model["posterior_mean"])
    post_var = sp.lambdify(args, model["posterior_var"])
    log_px = sp.lambdify(args, model["log_evidence"])
    elbo = sp.lambdify((*args, S.m_q, S.v_q), model["elbo"])
    for x, w, s, m, lv in [(1.5, 2.0, 1.0, 0.2, -1.0), (-0.7, -0.5, 0.3, 1.0, 0.5)]:
        mean, log_var = linear_gaussian_posterior(x, w, s)
        assert mean == pytest.approx(post_mean(x, w, s)) and np.exp(log_var) == pytest.approx(post_var(x, w, s))
        assert linear_gaussian_log_evidence(x, w, s) == pytest.approx(log_px(x, w, s))
        assert linear_gaussian_elbo(x, w, s, m, lv) == pytest.approx(elbo(x, w, s, m, np.exp(lv)))


def test_linear_gaussian_gap_is_the_kl_to_the_posterior():
    x, w, s = 1.5, 2.0, 1.0
    mean, log_var = linear_gaussian_posterior(x, w, s)
    log_px = linear_gaussian_log_evidence(x, w, s)
    assert linear_gaussian_elbo(x, w, s, mean, log_var) == pytest.approx(log_px, abs=1e-12)
    m, lv = np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-3, 1, 9))
    gap = log_px - linear_gaussian_elbo(x, w, s, m, lv)
    np.testing.assert_allclose(gap, gaussian_kl(m, lv, mean, log_var), atol=1e-12)
    # log p(x) by quadrature of p(x|z) p(z)
    z = np.linspace(-12, 12, 200_001)
    joint = np.exp(-0.5 * z**2 - 0.5 * ((x - w * z) / s) ** 2) / (2 * np.pi * s)
    assert np.log(joint.sum() * (z[1] - z[0])) == pytest.approx(log_px, rel=1e-10)
    with pytest.raises(ValueError, match="s must be finite and > 0"):
        linear_gaussian_log_evidence(x, w, 0.0)
    with pytest.raises(ValueError, match="log_var"):
        linear_gaussian_elbo(x, w, s, 0.0, np.nan)
