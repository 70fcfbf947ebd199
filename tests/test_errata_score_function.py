"""Slide errata E04.x (slides "Score Function Estimator"), each proved by its own test."""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from lectures_lib import rl
from lectures_lib.symbolic import score_function as sf

z, mu, sigma = sf.z, sf.mu, sf.sigma


def test_monte_carlo_estimate_needs_one_over_n():
    """E04.1: sum_i f(z_i) estimates N E[f]; (1/N) sum_i f(z_i) estimates E[f]."""
    moments = sf.monte_carlo_moments()
    m = sp.Symbol("m", positive=True)
    assert moments["mean_of_sum"] == sf.N * m and sp.simplify(moments["mean_of_sum"] - m) != 0
    assert moments["mean_of_average"] == m
    # numerically, f(z) = z^2 under N(1, 1): E[f] = 2, Var[f] = 6.  At N = 10 000 the average is within
    # 5 standard errors (5 * sqrt(6 / 1e4) = 0.12; false-failure ~6e-7), the slide's sum is ~20 000.
    fz = np.random.default_rng(0).normal(1.0, 1.0, size=10_000) ** 2
    assert abs(fz.mean() - 2.0) < 5 * np.sqrt(6 / fz.size)
    assert abs(fz.sum() - 2.0) > 1e4


def test_integral_runs_over_the_support_of_z():
    """E04.2: int_Y f grad p dz is grad E[f] only when Y is the whole support of z."""
    dp = sp.diff(sf.gaussian_pdf(), mu)
    assert sp.simplify(sp.integrate(z**2 * dp, sf.REAL_LINE)) == 2 * mu
    # over Y = [0, oo) at mu = sigma = 1: mpmath quadrature (error < 1e-10) gives 2.1666, not 2
    half = sp.Integral((z**2 * dp).subs({mu: 1, sigma: 1}), (z, 0, sp.oo)).evalf(15)
    assert abs(float(half) - 2.0) > 0.1


def test_slide_gaussian_is_not_normalised():
    """E04.3: exp(-(z-mu)^2/sigma^2)/(sqrt(2 pi) sigma) integrates to 1/sqrt 2; the exponent needs 2 sigma^2.

    Its stated derivative factor 2(z-mu)/sigma^2 is right for that function only; for the normal
    density the factor is (z-mu)/sigma^2.
    """
    slide, p = sf.slide_gaussian(), sf.gaussian_pdf()
    assert sp.integrate(slide, sf.REAL_LINE) == 1 / sp.sqrt(2)
    assert sp.integrate(p, sf.REAL_LINE) == 1
    assert sp.simplify(sp.diff(slide, mu) - sf.slide_gaussian_derivative()) == 0
    assert sp.simplify(sp.diff(p, mu) - (z - mu) / sigma**2 * p) == 0
    assert sp.simplify(sp.diff(p, mu) - 2 * (z - mu) / sigma**2 * p) != 0
    # and the slide's point stands for the real density: grad p integrates to 0 and is negative somewhere
    assert sp.integrate(sp.diff(p, mu), sf.REAL_LINE) == 0
    assert sp.diff(p, mu).subs(z, mu - sigma).is_negative


def test_trajectory_density_stops_at_T():
    """E04.4: p_theta(s_1, a_1, ..., s_T, a_T) has T - 1 transition factors, not T.

    Enumerate every 3-step trajectory of the chain MDP: with T - 1 transitions the probabilities
    sum to 1; with the slide's extra factor p(s_{T+1}|s_T, a_T) they sum to 1 only after also
    summing over s_{T+1}, i.e. the slide's right side is the law of (Pi, s_{T+1}).
    """
    mdp = rl.chain_mdp(horizon=3)
    logits = np.random.default_rng(0).normal(size=(5, 2))
    paths = np.array(list(itertools.product(range(5), range(5), range(5), range(2), range(2), range(2))))
    states, actions = paths[:, :3], paths[:, 3:]
    prob = np.exp(rl.trajectory_log_prob(mdp, logits, states, actions))
    assert np.isclose(prob.sum(), 1.0, atol=1e-12)
    slide = prob[:, None] * mdp.transitions[states[:, -1], actions[:, -1]]  # (trajectories, s_{T+1})
    assert not np.isclose(slide[:, 0].sum(), 1.0) and np.isclose(slide.sum(), 1.0, atol=1e-12)


def test_e04_5_grad_p_is_never_a_density():
    """E04.5: the slide says "in general, grad_theta p(z|theta) is not a probability", as if it sometimes were.
    It never is (unless it is 0): its integral is d/dtheta of int p = d/dtheta 1 = 0, so it is negative somewhere.
    Checked for every parameter of three families by SymPy, and for a Bernoulli, where the integral is a sum."""
    x = sp.Symbol("x", real=True)
    lam, beta = sp.symbols("lambda beta", positive=True)
    families = [  # (density, the variable's range, its parameters)
        (sf.gaussian_pdf(), (z, -sp.oo, sp.oo), (mu, sigma)),
        (lam * sp.exp(-lam * x), (x, 0, sp.oo), (lam,)),
        (sp.exp(-(x - mu) / beta - sp.exp(-(x - mu) / beta)) / beta, (x, -sp.oo, sp.oo), (mu, beta)),   # Gumbel
    ]
    at = {mu: 0, sigma: 1, lam: 1, beta: 1}
    grid = np.linspace(0.01, 6.0, 600)
    for density, (var, lo, hi), params in families:
        assert sp.simplify(sp.integrate(density, (var, lo, hi))) == 1
        for theta in params:
            derivative = sp.diff(density, theta)
            assert sp.simplify(sp.integrate(derivative, (var, lo, hi))) == 0, (density, theta)
            values = sp.lambdify(var, derivative.subs(at), "numpy")(grid if lo == 0 else grid * 2 - 6)
            assert values.min() < 0 < values.max(), (density, theta)        # takes both signs: not a density
    t = sp.Symbol("t", real=True)
    p1 = 1 / (1 + sp.exp(-t))                                          # Bernoulli: P(1) = sigmoid(t), P(0) = 1 - P(1)
    assert sp.simplify(sp.diff(p1, t) + sp.diff(1 - p1, t)) == 0 and sp.diff(1 - p1, t).subs(t, 0) < 0


def test_e04_6_the_score_function_is_not_always_the_noisier_estimator():
    """E04.6: "suffers from high variance and is slow to converge" is not a property of the estimator alone.  For
    f(z) = cos(omega z), z ~ N(mu, 1), the pathwise estimate -omega sin(omega z) has variance ~omega^2 / 2, while the
    score-function estimate cos(omega z)(z - mu) stays below 1: above omega ~ 1.1 the score function is the less
    noisy one (for f = z^2 it is the noisier).  Both are unbiased, and any unbiased sample mean converges as
    1/sqrt(N): "slow" is the constant, not the rate.  Closed forms, checked against Gauss-Hermite quadrature."""
    from numpy.polynomial.hermite_e import hermegauss

    nodes, weights = hermegauss(150)
    weights = weights / weights.sum()                                 # E over x ~ N(0, 1), exact to ~1e-13 here
    m = 0.3

    def exact(om):
        mean = -om * np.exp(-om**2 / 2) * np.sin(om * m)                # d/dmu E[cos(omega z)]
        second_path = om**2 * (1 - np.exp(-2 * om**2) * np.cos(2 * om * m)) / 2
        second_score = 0.5 + np.cos(2 * om * m) * (1 - 4 * om**2) * np.exp(-2 * om**2) / 2
        return mean, second_score - mean**2, second_path - mean**2

    for om in (0.5, 1.0, 2.0, 3.0):
        zz = m + nodes
        score, path = np.cos(om * zz) * nodes, -om * np.sin(om * zz)
        mean, var_score, var_path = exact(om)
        assert np.isclose(weights @ score, mean, atol=1e-12) and np.isclose(weights @ path, mean, atol=1e-12)
        assert np.isclose(weights @ score**2 - mean**2, var_score, rtol=1e-10)
        assert np.isclose(weights @ path**2 - mean**2, var_path, rtol=1e-10)
    assert exact(0.5)[1] > exact(0.5)[2]                              # smooth f: the score function is noisier
    assert exact(3.0)[1] < exact(3.0)[2] / 8                          # 0.50 against 4.50: nine times less noisy
    # f = z^2 (the slides' example, notebook 05): score (z^2 (z - mu)) noisier than pathwise (2 z), exactly
    assert weights @ ((m + nodes) ** 2 * nodes) ** 2 - (2 * m) ** 2 > weights @ (2 * (m + nodes)) ** 2 - (2 * m) ** 2
