"""Slide errata of notebooks/05_reparameterization.ipynb: each test proves one correction (see ERRATA.md).

Sampling checks use fixed seeds; a 5-standard-error threshold has a false-failure probability of
about 6e-7 per check for a fresh seed.
"""

import numpy as np
import pytest
import sympy as sp

from lectures_lib.estimators import toy_grad_moments, toy_reparam_grads, toy_score_function_grads
from lectures_lib.symbolic import estimators as E


def test_e05_1_change_of_variables_needs_absolute_jacobian():
    # slide: F_Y(y) = Pr(X <= T^-1(y)) and f_Y = f_X(x) dx/dy -- true only for increasing T
    down = E.pushforward(E.normal_pdf(E.x, 0, 1), E.m - E.s * E.x)
    assert not down["increasing"] and down["cdf"].limits[0][2] == sp.oo  # the event is {X >= T^-1(y)}
    assert sp.simplify(down["slide_pdf"] + down["jacobian_pdf"]) == 0  # the slide's density is negative
    assert E.affine_chain(decreasing=True).all_hold()  # f_X(x)|dx/dy| is the N(m, s^2) density


def test_e05_2_gaussian_reparameterisation_uses_sigma():
    assert E.reparam_moments(E.mu + E.sigma**2 * E.x)[1] == E.sigma**4  # the slide's z
    assert E.reparam_moments(E.mu + E.sigma * E.x)[1] == E.sigma**2
    x = np.random.default_rng(0).standard_normal(100_000)
    sigma = 2.0  # sample std of sigma^2 x is 4, of sigma x is 2; std error of a sample std ~ 0.01
    assert abs((sigma**2 * x).std() - 4.0) < 0.05 and abs((sigma * x).std() - 2.0) < 0.05


def test_e05_7_example2_pathwise_gradient_needs_sigma():
    # for sigma(theta) != 1 the slide's g = mu + x sigma^2 gives the gradient of mu^2 + sigma^4, not mu^2 + sigma^2
    mu_t, sigma_t = sp.Function("mu")(E.theta), sp.Function("sigma")(E.theta)
    slide = E.expect_standard_normal(sp.diff((mu_t + E.x * sigma_t**2) ** 2, E.theta))
    right = sp.diff(mu_t**2 + sigma_t**2, E.theta)
    assert sp.simplify(slide - right) != 0
    assert sp.simplify(slide.subs(sigma_t, 1).doit() - right.subs(sigma_t, 1).doit()) == 0  # harmless if sigma = 1
    assert E.interchange_chain().all_hold()


def test_e05_3_toy_problem_is_an_arg_min():
    obj = E.toy_objective()
    assert obj["curvature"] == 2 * E.a**2 and obj["leading"] == E.a**2  # convex parabola: no finite arg max
    assert sp.limit(obj["objective"].subs({E.a: 1, E.b: 0}), E.theta, sp.oo) == sp.oo
    assert obj["theta_star"] == -E.b / E.a


def test_e05_5_expectation_is_under_mean_a_theta_plus_b():
    wrong = E.toy_slide_versions()["b_theta"]
    right = 2 * E.a * (E.a * E.theta + E.b)
    assert sp.simplify(wrong - right) != 0
    assert wrong.subs({E.a: 1, E.b: 1, E.theta: 2}) != right.subs({E.a: 1, E.b: 1, E.theta: 2})
    assert E.toy_score_gradient_chain().all_hold()


def test_e05_6_score_integrand_uses_z_not_x():
    wrong = E.toy_slide_versions()["x_for_z"]
    assert sp.simplify(wrong - 2 * E.a * (E.a * E.theta + E.b)) != 0
    # a != 1 (and theta, b generic), so a dropped or doubled factor a cannot hide
    theta, a, b, n = 0.8, 1.7, 0.5, 200_000
    true_grad = 2 * a * (a * theta + b)  # d/dtheta [(a theta + b)^2 + 1], by hand
    g = toy_score_function_grads(theta, a, b, np.random.default_rng(1), n)
    mom = toy_grad_moments(theta, a, b)
    assert mom.true_grad == pytest.approx(true_grad, rel=1e-12)
    assert abs(g.mean() - true_grad) < 5 * np.sqrt(mom.score_var / n)  # z^2 a (z - a theta - b) is right
    # the library's per-sample estimate is z^2 a (z - a theta - b) for the same z, term by term
    x = np.random.default_rng(1).standard_normal(n)
    z = a * theta + b + x
    np.testing.assert_allclose(g, z**2 * a * (z - a * theta - b), rtol=1e-9, atol=1e-9)
    assert abs(float(wrong.subs({E.a: a, E.b: b, E.theta: theta})) - true_grad) > 1  # the slide's x for z


def test_e05_4_score_chain_rule_has_da_factor():
    assert E.toy_slide_versions()["nabla_mu"] != 0  # grad_theta L != grad_mu L unless a = 1
    assert E.toy_slide_versions()["nabla_mu"].subs(E.a, 1) == 0
    assert E.toy_score_chain().all_hold()  # dL/dmu * dmu/dtheta = a (z - a theta - b)
    # numerically, with a != 1: a central difference of log N(z; a theta + b, 1) in theta
    a, b, theta, h = 1.7, 0.5, 0.8, 1e-6
    z = np.array([-1.0, 0.3, 2.5])

    def log_density(th):
        return -0.5 * (z - a * th - b) ** 2 - 0.5 * np.log(2 * np.pi)

    finite_diff = (log_density(theta + h) - log_density(theta - h)) / (2 * h)
    chain = sp.lambdify((E.z, E.a, E.b, E.theta), E.toy_score_chain().lines[-1], "numpy")
    np.testing.assert_allclose(chain(z, a, b, theta), finite_diff, rtol=1e-7)
    np.testing.assert_allclose(finite_diff, a * (z - a * theta - b), rtol=1e-7)
    assert not np.allclose(finite_diff, z - a * theta - b)  # the slide's grad_mu L alone


def test_e05_8_pathwise_gradient_needs_only_p_x_and_g_not_q():
    # slide: "knowing p(X) and q(x, theta) is sufficient"; the function is g(x, theta) = a theta + b + x
    g = E.MU_TOY + E.x
    pathwise = E.expect_standard_normal(sp.diff(g**2, E.theta))  # E_{x ~ N(0, 1)}[d/dtheta f(g(x, theta))]
    # the same gradient from the law of z, N(a theta + b, 1), which the pathwise form never needs
    law_of_z = E.gaussian_integral(sp.Integral(E.z**2 * E.normal_pdf(E.z, E.MU_TOY, 1), (E.z, -sp.oo, sp.oo)))
    assert sp.expand(law_of_z - ((E.a * E.theta + E.b) ** 2 + 1)) == 0
    assert sp.expand(pathwise - sp.diff(law_of_z, E.theta)) == 0
    # and from samples of x alone (a != 1): the pathwise estimate 2a(a theta + b + x) has std 2a
    theta, a, b, n = 0.8, 1.7, 0.5, 200_000
    grads = toy_reparam_grads(theta, a, b, np.random.default_rng(2), n)
    assert abs(grads.mean() - 2 * a * (a * theta + b)) < 5 * 2 * a / np.sqrt(n)
    np.testing.assert_allclose(grads.std(), 2 * a, rtol=0.01)
