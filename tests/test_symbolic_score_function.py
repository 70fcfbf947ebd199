"""The SymPy derivations of notebooks/04_score_function.ipynb (lectures_lib.symbolic.score_function)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from lectures_lib.symbolic import score_function as sf
from lectures_lib.symbolic.core import Chain

z, mu, sigma, c, b = sf.z, sf.mu, sf.sigma, sf.c, sf.b


def test_gaussian_is_normalised_and_its_scores():
    p = sf.gaussian_pdf()
    assert sp.integrate(p, sf.REAL_LINE) == 1
    assert sp.simplify(sf.score(p, mu) - (z - mu) / sigma**2) == 0
    assert sp.simplify(sf.score(p, sigma) - ((z - mu) ** 2 - sigma**2) / sigma**3) == 0
    # the mean of the score is 0: the reason a baseline adds no bias
    assert sp.integrate(p * sf.score(p, mu), sf.REAL_LINE) == 0


def test_monte_carlo_moments():
    m = sf.monte_carlo_moments()
    n, mean, var = sf.N, sp.Symbol("m", positive=True), sp.Symbol("v", positive=True)
    assert m["mean_of_sum"] == n * mean and m["mean_of_average"] == mean
    assert sp.simplify(m["var_of_average"] - var / n) == 0


def test_normal_moments_match_integration_and_double_factorial():
    assert [sf.normal_moment(k) for k in range(9)] == [1, 0, 1, 0, 3, 0, 15, 0, 105]
    assert all(sf.normal_moment(2 * k) == sp.factorial2(2 * k - 1) for k in range(1, 5))


def test_log_derivative_chain_holds_and_a_wrong_step_fails():
    chain = sf.log_derivative_chain()
    assert [k.how for k in chain.check()] == ["symbolic", "symbolic"]
    # the checker can fail: a factor 2 too many (as on the slide's Gaussian) is caught
    assert not Chain("broken", [chain.lines[0], chain.lines[2] * 2]).check(numeric_fallback=False)[0].ok


@pytest.mark.parametrize(("param", "grad"), [(mu, 2 * mu), (sigma, 2 * sigma)])
def test_gradient_chain_for_z_squared(param, grad):
    chain = sf.gradient_chain(z**2, param)
    assert chain.all_hold()
    assert chain.lines[-1] == grad


def test_gradient_chain_for_z_cubed():
    # E[z^3] = mu^3 + 3 mu sigma^2
    assert sp.expand(sf.gradient_chain(z**3, mu).lines[-1] - (3 * mu**2 + 3 * sigma**2)) == 0


def test_slide_gaussian_and_its_derivative():
    assert sp.integrate(sf.slide_gaussian(), sf.REAL_LINE) == sp.sqrt(2) / 2
    assert sp.simplify(sp.diff(sf.slide_gaussian(), mu) - sf.slide_gaussian_derivative()) == 0


def test_estimator_variance_closed_form():
    V = sf.estimator_variance()
    expected = ((mu**2 + c - b) ** 2 + 12 * mu**2 * sigma**2 + 15 * sigma**4
                + 6 * (mu**2 + c - b) * sigma**2) / sigma**2 - 4 * mu**2
    assert sp.expand(V - expected) == 0
    assert sp.expand(V.subs({b: 0, c: 0, sigma: 1}) - (mu**4 + 14 * mu**2 + 15)) == 0


def test_estimator_variance_matches_monte_carlo():
    """Per-sample variance at mu = 1.5, sigma = 0.8, c = 2, b = 1 against 400 000 samples.

    The sample variance of these heavy-tailed products has a relative standard error of about
    sqrt((kurtosis - 1) / n) < 2%; we allow 10% (> 5 standard errors, false-failure < 1e-6).
    """
    vals = {mu: 1.5, sigma: 0.8, c: 2.0, b: 1.0}
    exact = float(sf.estimator_variance().subs(vals))
    zs = np.random.default_rng(0).normal(1.5, 0.8, size=400_000)
    per_sample = (zs**2 + 2.0 - 1.0) * (zs - 1.5) / 0.8**2
    assert per_sample.var() == pytest.approx(exact, rel=0.1)


def test_optimal_baseline():
    V_general, b_star = sf.optimal_baseline_general()
    assert sp.diff(V_general, b).subs(b, b_star) == 0 and sp.diff(V_general, b, 2).is_positive
    V = sf.estimator_variance()
    assert sf.optimal_baseline() == mu**2 + c + 3 * sigma**2
    assert sp.solve(sp.diff(V, b), b) == [sf.optimal_baseline()]
    V_star = sp.simplify(V.subs(b, sf.optimal_baseline()))
    assert sp.expand(V_star - (8 * mu**2 + 6 * sigma**2)) == 0 and not V_star.has(c)
    # b* is not E[f]: using b = E[f] costs 4 sigma^2 more per sample
    assert sp.expand(V.subs(b, mu**2 + sigma**2 + c) - V_star - 4 * sigma**2) == 0


def test_trajectory_score_chain():
    for horizon in (1, 2, 4):
        chain = sf.trajectory_score_chain(horizon)
        assert chain.all_hold()
        assert not chain.lines[-1].has(sp.Function("p"))  # only policy terms are left
    # keeping only some of the policy terms must fail the check
    chain = sf.trajectory_score_chain(3)
    broken = Chain("broken", [chain.lines[0], chain.lines[-1].args[0]])
    assert not broken.check(numeric_fallback=False)[0].ok


def test_latex_of_trajectory_chain_reads_like_the_slide():
    text = sf.trajectory_score_chain(2).latex()
    assert r"\pi_{\theta}\left(a_{1} \mid s_{1}\right)" in text and r"p\left(s_{2} \mid s_{1}, a_{1}\right)" in text


def test_validation():
    with pytest.raises(ValueError, match="param"):
        sf.gradient_chain(z**2, sp.Symbol("tau"))
    with pytest.raises(ValueError, match="density"):
        sf.score("p", mu)
    with pytest.raises(ValueError, match="horizon"):
        sf.trajectory_score_chain(0)
    with pytest.raises(ValueError, match="horizon"):
        sf.trajectory_score_chain(True)
    with pytest.raises(ValueError, match="k"):
        sf.normal_moment(-1)
    with pytest.raises(ValueError, match="f must be"):
        sf.gradient_chain(sp.exp(z), mu)
    with pytest.raises(ValueError, match="f must be"):
        sf.estimator_variance(z * mu)
