"""Tests of lectures_lib.symbolic.concrete: every derivation notebook 07 displays is checked here too."""

import numpy as np
import pytest
import sympy as sp
from scipy import integrate

from lectures_lib.concrete import concrete_log_prob, gumbel_softmax_backward
from lectures_lib.gumbel import softmax
from lectures_lib.symbolic import concrete as sc
from lectures_lib.symbolic.core import residual


def test_binary_relaxed_sample_is_a_sigmoid():
    chain = sc.binary_relaxed_sample()
    assert all(c.how == "symbolic" for c in chain.check())


def test_temperature_limits():
    limits = sc.temperature_limits_binary()
    assert [eq.rhs for eq in limits] == [1, 0, sp.Rational(1, 2)]
    # each limit is taken of the relaxed sample itself: softmax(z / tau)_1 with z_1 - z_2 = +-d,
    # written from exp(z_k / tau) here, independently of the library's sigmoid
    d = next(iter(limits[0].lhs.free_symbols - {sc.tau}))
    y1 = sp.exp(sc.z1 / sc.tau) / (sp.exp(sc.z1 / sc.tau) + sp.exp(sc.z2 / sc.tau))
    signs, points = [1, -1, 1], [0, 0, sp.oo]
    for eq, sign, point in zip(limits, signs, points, strict=True):
        expr, var, at, direction = eq.lhs.args
        assert (var, at) == (sc.tau, point) and str(direction) == ("+" if point == 0 else "-")
        assert residual(expr, y1.subs(sc.z1, sc.z2 + sign * d)) == 0
    # and the values, numerically, at a small and a large temperature (d = 0.7)
    f = sp.lambdify((sc.z1, sc.z2, sc.tau), y1, "numpy")
    assert f(0.7, 0.0, 0.01) > 1 - 1e-12 and f(0.0, 0.7, 0.01) < 1e-12
    assert abs(f(0.7, 0.0, 1e4) - 0.5) < 1e-4


def test_gumbel_noise_density():
    u_of_g, density = sc.gumbel_noise_density()
    assert sp.simplify(u_of_g - sp.exp(-sp.exp(-sc.g))) == 0
    assert sp.simplify(density - sp.exp(-sc.g - sp.exp(-sc.g))) == 0
    assert sp.integrate(density, (sc.g, -sp.oo, sp.oo)) == 1


def test_logistic_difference():
    start, substituted, chain = sc.logistic_difference()
    assert chain.all_hold()
    assert sp.simplify(chain.lines[-1] - 1 / (1 + sp.exp(-sc.ell))) == 0
    # the SymPy substitution is right: the original z-integral, done numerically, gives sigmoid(l)
    for ell in (-1.3, 0.0, 2.1):
        f = sp.lambdify(sc.z1, start.function.subs(sc.ell, ell), "numpy")
        value, _ = integrate.quad(f, -10, 40, epsabs=1e-13)  # the integrand is < 1e-16 outside
        assert abs(value - 1 / (1 + np.exp(-ell))) < 1e-10


def test_binary_concrete_density_from_first_principles():
    chain, maddison, ratio = sc.binary_concrete_density()
    assert chain.all_hold()
    assert sp.simplify(ratio - (sc.x1 + sc.x2)) == 0  # = 1 on the simplex
    # and the library's log density agrees with the derived line at a few points
    p = sp.lambdify((sc.x1, sc.x2, sc.mu1, sc.mu2, sc.tau), chain.lines[-1], "numpy")
    for x, m, tau in [(0.2, (0.3, -1.0), 0.4), (0.9, (2.0, 0.0), 1.7)]:
        got = np.exp(concrete_log_prob([x, 1 - x], m, tau))
        assert got == pytest.approx(p(x, 1 - x, *m, tau), rel=1e-12)


def test_binary_normalisation_is_one():
    norm = sc.binary_normalisation()
    assert norm.rhs == 1
    # the integrand is the derived K = 2 density on the simplex, moved to s = logit(x_1): integrating
    # that density over x_1 in (0, 1) by quadrature gives 1 too, and so does the displayed integrand over s
    chain, _, _ = sc.binary_concrete_density()
    p = sp.lambdify((sc.x1, sc.x2, sc.mu1, sc.mu2, sc.tau), chain.lines[-1], "numpy")
    p_s = sp.lambdify((sc.s, sc.mu1, sc.mu2, sc.tau), norm.lhs.function, "numpy")
    assert norm.lhs.limits == ((sc.s, -sp.oo, sp.oo),)
    for (m1, m2), tau in [((0.3, -1.0), 0.4), ((2.0, 0.0), 1.7), ((0.0, 0.5), 1.0)]:
        total, _ = integrate.quad(lambda x, *q: p(x, 1 - x, *q), 0, 1, args=(m1, m2, tau), epsabs=1e-12, limit=200)
        assert abs(total - 1) < 1e-8
        # tails beyond |s| = 150 hold less than e^-60
        total_s, _ = integrate.quad(p_s, -150, 150, args=(m1, m2, tau), epsabs=1e-12, limit=200)
        assert abs(total_s - 1) < 1e-8
        # p_S(s) = p(sigmoid(s)) sigmoid'(s) at a few points
        for v in (-2.0, 0.3, 1.5):
            x = 1 / (1 + np.exp(-v))
            assert p_s(v, m1, m2, tau) == pytest.approx(p(x, 1 - x, m1, m2, tau) * x * (1 - x), rel=1e-12)


@pytest.mark.parametrize("K", [2, 3, 4])
def test_slide_product_form_equals_maddison(K):
    # prod_k (a_k / S) = prod_k a_k / S^K: the slide's sum inside the product is right
    assert residual(sc.concrete_density_slide(K), sc.concrete_density_maddison(K)) == 0


@pytest.mark.parametrize("K", [2, 3])
def test_tau_one_density(K):
    chain, slide = sc.concrete_density_tau_one(K)
    assert chain.all_hold()
    xs = sp.symbols(f"x_1:{K + 1}", positive=True)
    assert sp.simplify(sp.diff(chain.lines[-1], xs[0])) != 0  # depends on x
    assert all(sp.diff(slide, x) == 0 for x in xs)  # the slide's does not


def test_softmax_map_and_relaxed_sample_formula():
    correct, slide, clash = sc.softmax_map(3)
    assert sp.simplify(sum(correct)) == 1
    xs = sp.symbols("x_1:4", positive=True)
    # the corrected map is softmax(x / tau), numerically, against the library's softmax
    x, tau = np.array([0.3, -1.2, 0.8]), 0.7
    got = np.array(sp.lambdify((xs, sc.tau), correct, "numpy")(tuple(x), tau), dtype=float)
    np.testing.assert_allclose(got, softmax(x / tau), rtol=1e-12)
    assert all(f.has(xi) for f in slide for xi in xs) and clash == [sp.Rational(1, 3)] * 3
    right, wrong = sc.relaxed_sample_formula(3)
    assert all(f.has(sc.tau) for f in right)
    assert not any(sp.simplify(f).has(sc.tau) for f in wrong)


def test_softmax_jacobian():
    J, closed, difference = sc.softmax_jacobian(3)
    assert difference == sp.zeros(3, 3)
    assert closed == closed.T  # symmetric: VJP = JVP
    # numerically at a point too, with the library's backward pass
    zs = sp.symbols("z_1:4", real=True)
    z, v = np.array([0.3, -1.2, 0.8]), np.array([1.0, -2.0, 0.5])
    Jn = np.array(sp.lambdify((zs, sc.tau), J)(tuple(z), 0.7), dtype=float)
    y = np.exp(z / 0.7) / np.exp(z / 0.7).sum()
    assert np.allclose(Jn @ v, gumbel_softmax_backward(y, v, 0.7), rtol=1e-12)


def test_expected_value_gradient():
    grad, closed, difference = sc.expected_value_gradient(4)
    assert difference == sp.zeros(4, 1)
    # spot check at a point, numerically: the closed form is the derivative
    args = (sp.symbols("theta_1:5", real=True), sp.symbols("f_1:5", real=True))
    point = ((0.3, -1.0, 0.5, 2.0), (1.0, -2.0, 0.5, 3.0))
    assert np.allclose(sp.lambdify(args, grad)(*point), sp.lambdify(args, closed)(*point), rtol=1e-12)
    assert abs(sp.lambdify(args, sum(closed))(*point)) < 1e-12  # softmax is shift-invariant: sums to 0
