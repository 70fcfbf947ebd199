"""Tests of lectures_lib.symbolic.concrete: every derivation notebook 07 displays is checked here too."""

import numpy as np
import pytest
import sympy as sp
from scipy import integrate

from lectures_lib.concrete import concrete_log_prob, gumbel_softmax_backward
from lectures_lib.symbolic import concrete as sc
from lectures_lib.symbolic.core import residual


def test_binary_relaxed_sample_is_a_sigmoid():
    chain = sc.binary_relaxed_sample()
    assert all(c.how == "symbolic" for c in chain.check())


def test_temperature_limits():
    limits = sc.temperature_limits_binary()
    assert [eq.rhs for eq in limits] == [1, 0, sp.Rational(1, 2)]
    for eq in limits:  # the displayed Limit evaluates to the displayed value
        assert sp.simplify(eq.lhs.doit() - eq.rhs) == 0


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
    assert sc.binary_normalisation().rhs == 1


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
    correct, slide = sc.softmax_map(3)
    assert sp.simplify(sum(correct)) == 1
    xs = sp.symbols("x_1:4", positive=True)
    assert all(sp.diff(f, x) == 0 for f in slide for x in xs)
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
