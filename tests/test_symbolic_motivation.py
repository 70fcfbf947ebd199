"""Tests of lectures_lib.symbolic.motivation: the derivations notebook 01 displays."""

import numpy as np
import pytest
import sympy as sp
from scipy.special import expit

from lectures_lib import motivation as mot
from lectures_lib.symbolic import motivation as symb
from lectures_lib.symbolic.core import Chain


@pytest.mark.parametrize("build", [symb.objective_derivative, symb.logit_of_optimal_discriminator,
                                   symb.slide_generator_loss_is_kl])
def test_every_displayed_step_holds(build):
    chain = build()
    assert isinstance(chain, Chain) and len(chain.lines) >= 3
    assert [c.how for c in chain.check()] == ["symbolic"] * (len(chain.lines) - 1)


def test_a_wrong_step_would_be_caught():
    chain = symb.logit_of_optimal_discriminator()
    broken = Chain(chain.title, [chain.lines[0], sp.log(symb.P_G / symb.P_DATA)])
    assert not broken.all_hold()


def test_optimal_discriminator_is_the_unique_maximum():
    d_star = symb.optimal_discriminator()
    assert sp.simplify(d_star - symb.P_DATA / (symb.P_DATA + symb.P_G)) == 0
    assert symb.second_derivative_at_optimum().is_negative
    # and numerically: the objective at D* beats a grid of other D values
    f = sp.lambdify(symb.D, symb.pointwise_objective().subs({symb.P_DATA: 0.3, symb.P_G: 0.6}))
    grid = np.linspace(0.001, 0.999, 999)
    assert f(1 / 3) >= f(grid).max()


def test_optimal_discriminator_matches_library():
    f = sp.lambdify((symb.P_DATA, symb.P_G), symb.optimal_discriminator())
    a, b = np.array([0.1, 2.0, 0.7]), np.array([0.3, 0.5, 0.7])
    assert np.allclose(f(a, b), mot.optimal_discriminator(a, b))


def test_slide_objective_only_increases():
    slope = symb.slide_objective_derivative_in_logit()
    assert slope.is_positive
    assert symb.S in slope.free_symbols  # written in the logit, not in D
    (root,) = symb.slide_stationary_points()
    for pd, pg in [(0.2, 0.5), (0.5, 0.2), (1.0, 3.0)]:
        value = float(root.subs({symb.P_DATA: pd, symb.P_G: pg}))
        assert not 0 < value < 1


def test_weighted_optimum():
    w = symb.weighted_optimal_discriminator()
    assert sp.simplify(w.subs(symb.R, 1) - symb.optimal_discriminator()) == 0
    assert sp.simplify(w - symb.P_DATA / (symb.P_DATA + symb.R * symb.P_G)) == 0


def test_gaussian_kl_integral_matches_library_and_special_cases():
    kl = symb.gaussian_kl_integral()
    f = sp.lambdify((symb.MU_G, symb.SIGMA_G, symb.MU_DATA, symb.SIGMA_DATA), kl)
    rng = np.random.default_rng(0)
    for _ in range(20):
        m1, m2 = rng.normal(size=2)
        s1, s2 = rng.uniform(0.2, 3.0, size=2)
        assert f(m1, s1, m2, s2) == pytest.approx(float(mot.gaussian_kl(m1, s1, m2, s2)), rel=1e-12, abs=1e-14)
    same = kl.subs({symb.MU_G: symb.MU_DATA, symb.SIGMA_G: symb.SIGMA_DATA})
    assert sp.simplify(same) == 0  # KL(p || p) = 0


def test_generator_loss_gradients():
    table = symb.generator_loss_gradients()
    D = symb.D
    assert table["minimax"]["grad"] == -D and table["minimax"]["limit_d0"] == 0
    assert sp.simplify(table["non_saturating"]["grad"] - (D - 1)) == 0
    assert table["non_saturating"]["limit_d0"] == -1
    assert table["logit"]["grad"] == -1 and table["logit"]["limit_d0"] == -1
    # the symbolic gradients agree with the library at D = sigmoid(s)
    s = np.linspace(-5, 5, 11)
    for kind, row in table.items():
        g = sp.lambdify(D, row["grad"])(expit(s))
        assert np.allclose(g, mot.generator_loss_grad(s, kind))


def test_two_token_example():
    ex = symb.two_token_example()
    sig = symb.sigmoid(symb.THETA)
    assert ex["K"].has(sp.Heaviside) and ex["dK"].has(sp.DiracDelta)
    assert sp.simplify(ex["E"] - sig) == 0
    assert sp.simplify(ex["dE"] - sig * (1 - sig)) == 0
    assert sp.simplify(ex["int_dK"] - ex["dE"]) == 0
    # the sample's derivative vanishes away from the jump (at theta = 0 the jump is at u = 1/2)
    for u in (sp.Rational(1, 10), sp.Rational(2, 5), sp.Rational(9, 10)):
        assert ex["dK"].subs({symb.THETA: 0, symb.U: u}) == 0
