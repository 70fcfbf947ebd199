"""The derivations of notebooks/05_reparameterization.ipynb: every displayed step holds symbolically."""

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from lectures_lib.symbolic import estimators as E


@pytest.mark.parametrize("build", [
    E.affine_chain, lambda: E.affine_chain(decreasing=True), E.lognormal_chain, E.interchange_chain,
    E.toy_score_chain, E.toy_score_gradient_chain, E.toy_pathwise_chain,
])
def test_every_step_holds_symbolically(build):
    chain = build()
    assert [c.how for c in chain.check()] == ["symbolic"] * (len(chain.lines) - 1)


def test_doit_chain_catches_a_wrong_step():
    chain = E.toy_pathwise_chain()
    chain.lines[-1] = 2 * E.a * (E.a * E.theta + E.b) + 1
    assert not chain.all_hold()


def test_standard_normal_moments():
    assert [E.standard_normal_moment(k) for k in range(7)] == [1, 0, 1, 0, 3, 0, 15]
    assert E.expect_standard_normal((E.mu + E.x) ** 2) == E.mu**2 + 1


def test_gaussian_integral_against_closed_form_and_quadrature():
    from scipy import integrate

    f = (E.z**2 + 3 * E.z) * E.normal_pdf(E.z, 2 * E.m, E.s)
    fast = E.gaussian_integral(sp.Integral(f, (E.z, -sp.oo, sp.oo)))
    assert sp.simplify(fast - (4 * E.m**2 + E.s**2 + 6 * E.m)) == 0  # E[z^2] + 3 E[z] for N(2m, s^2)
    g = sp.lambdify(E.z, f.subs({E.m: 0.3, E.s: 1.7}))
    value, err = integrate.quad(g, -np.inf, np.inf)
    assert abs(value - float(fast.subs({E.m: 0.3, E.s: 1.7}))) < 1e-8 + 10 * err
    half = E.gaussian_integral(sp.Integral(E.normal_pdf(E.x, E.m, E.s), (E.x, E.m, sp.oo)))  # erf branch
    assert sp.simplify(half - sp.Rational(1, 2)) == 0


def test_pushforward_direction_and_lognormal_against_scipy():
    up, down = (E.pushforward(E.normal_pdf(E.x, 0, 1), T) for T in (E.m + E.s * E.x, E.m - E.s * E.x))
    assert up["increasing"] and not down["increasing"]
    assert up["cdf"].limits[0][1] == -sp.oo and down["cdf"].limits[0][2] == sp.oo
    chain = E.lognormal_chain()
    y = next(s for s in chain.lines[1].free_symbols if s.name == "y")  # the positive y of the chain
    f = sp.lambdify((y, E.mu, E.sigma), chain.lines[1])
    grid = np.linspace(0.05, 6, 50)
    assert np.allclose(f(grid, 0.3, 0.7), stats.lognorm(s=0.7, scale=np.exp(0.3)).pdf(grid), rtol=1e-12)


def test_substitution_with_and_without_change_of_limits():
    vals = {k: E.evaluate(v) for k, v in E.substitution_integrals().items()}
    assert sp.simplify(vals["with_change_of_limits"] - vals["x_space"]) == 0
    assert sp.simplify(vals["without_change_of_limits"] - vals["x_space"]) == 0


def test_reparam_moments():
    assert E.reparam_moments(E.mu + E.sigma * E.x) == (E.mu, E.sigma**2)
    assert E.reparam_moments(E.mu + E.sigma**2 * E.x) == (E.mu, E.sigma**4)


def test_toy_objective_and_moments():
    obj = E.toy_objective()
    assert sp.expand(obj["objective"] - ((E.a * E.theta + E.b) ** 2 + 1)) == 0
    assert obj["theta_star"] == -E.b / E.a and obj["curvature"] == 2 * E.a**2
    mom, mu = E.toy_estimator_moments(), E.a * E.theta + E.b
    expected = {"true_grad": 2 * E.a * mu, "score_mean": 2 * E.a * mu, "reparam_mean": 2 * E.a * mu,
                "score_var": E.a**2 * (mu**4 + 14 * mu**2 + 15), "reparam_var": 4 * E.a**2}
    for key, value in expected.items():
        assert sp.expand(mom[key] - value) == 0, key
