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
