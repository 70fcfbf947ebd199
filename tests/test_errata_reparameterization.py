"""Slide errata of notebooks/05_reparameterization.ipynb: each test proves one correction (see ERRATA.md).

Sampling checks use fixed seeds; a 5-standard-error threshold has a false-failure probability of
about 6e-7 per check for a fresh seed.
"""

import numpy as np
import sympy as sp

from lectures_lib.estimators import toy_grad_moments, toy_score_function_grads
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
    theta, a, b, n = 1.0, 1.0, 0.5, 200_000
    g = toy_score_function_grads(theta, a, b, np.random.default_rng(1), n)
    mom = toy_grad_moments(theta, a, b)
    assert abs(g.mean() - mom.true_grad) < 5 * np.sqrt(mom.score_var / n)  # z^2 a (z - a theta - b) is right
    assert abs(float(wrong.subs({E.a: a, E.b: b, E.theta: theta})) - mom.true_grad) > 1  # -1.875 vs 3


def test_e05_4_score_chain_rule_has_da_factor():
    assert E.toy_slide_versions()["nabla_mu"] != 0  # grad_theta L != grad_mu L unless a = 1
    assert E.toy_slide_versions()["nabla_mu"].subs(E.a, 1) == 0
    assert E.toy_score_chain().all_hold()  # dL/dmu * dmu/dtheta = a (z - a theta - b)
