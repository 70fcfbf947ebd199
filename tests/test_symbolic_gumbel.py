"""The SymPy derivations of notebook 02 hold step by step, and agree with scipy.stats.gumbel_r."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from lectures_lib.symbolic import gumbel as sg
from lectures_lib.symbolic.gumbel import beta, mu, t, u, x, z

CHAINS = [sg.pdf_from_cdf, sg.normalisation, sg.mean, sg.variance, sg.max_of_exponentials_limit,
          sg.max_of_gumbels, sg.loc_scale]


@pytest.mark.parametrize("build", CHAINS, ids=lambda f: f.__name__)
def test_every_displayed_step_holds_symbolically(build):
    checks = build().check()
    assert checks and [c.how for c in checks] == ["symbolic"] * len(checks)


def test_results_match_scipy_gumbel_r():
    m, b = 0.7, 1.9
    at = {mu: m, beta: b}
    mean, var = stats.gumbel_r.stats(loc=m, scale=b, moments="mv")
    assert float(sg.mean().lines[-1].subs(at)) == pytest.approx(float(mean), rel=1e-14)
    assert float(sg.variance().lines[-1].subs(at)) == pytest.approx(float(var), rel=1e-14)
    modes, medians = sg.mode_and_median()
    assert modes == [mu]
    assert float(medians[0].subs(at)) == pytest.approx(stats.gumbel_r.median(loc=m, scale=b), rel=1e-14)
    grid = np.linspace(-5, 12, 9)
    f = sp.lambdify(z, sg.pdf().subs(at))
    F = sp.lambdify(z, sg.cdf().subs(at))
    np.testing.assert_allclose(f(grid), stats.gumbel_r.pdf(grid, loc=m, scale=b), rtol=1e-12)
    np.testing.assert_allclose(F(grid), stats.gumbel_r.cdf(grid, loc=m, scale=b), rtol=1e-12)


def test_slide_pdf_and_cdf_are_the_unit_scale_case_and_consistent():
    f, F = sg.slide_pdf_and_cdf()
    assert sp.simplify(sp.diff(F, z) - f) == 0
    assert sp.simplify(f - sg.pdf(scale=1)) == 0 and sp.simplify(F - sg.cdf(scale=1)) == 0
    assert sp.limit(F, z, -sp.oo) == 0 and sp.limit(F, z, sp.oo) == 1
    # a different scale is a different distribution: the slide's forms are beta = 1 only
    assert sp.simplify(F - sg.cdf(scale=2)) != 0


def test_inverse_cdf_steps_hold_and_invert():
    steps = sg.inverse_cdf_steps()
    F = sg.cdf(x)
    assert all(sg.holds_when_u_is(s, F) for s in steps)
    # the other direction: F(F^{-1}(u)) = u, and SymPy's own solve agrees
    assert sp.simplify(F.subs(x, steps[-1].rhs) - u) == 0
    assert sp.solve(steps[0], x) == [steps[-1].rhs]
    # the derived lines 2-5 are exactly the slide's lines 2-5; line 1 is not
    slide = sg.slide_inverse_cdf_lines()
    assert [sp.simplify(a.lhs - b.lhs) == 0 and sp.simplify(a.rhs - b.rhs) == 0
            for a, b in zip(steps, slide, strict=True)] == [False, True, True, True, True]


def test_holds_when_u_is_rejects_a_wrong_line():
    assert not sg.holds_when_u_is(sp.Eq(sp.log(u), sp.exp(-(x - mu) / beta)), sg.cdf(x))


def test_rule_chain_catches_wrong_steps():
    f = sp.exp(-t)
    no_jacobian = sg.RuleChain("bad", [sp.Integral(sg.pdf(), (z, -sp.oo, sp.oo)),
                                       sp.Integral(f / t, (t, 0, sp.oo))],
                               rules={1: ("substitute", sp.exp(-(z - mu) / beta), t)})
    assert [c.how for c in no_jacobian.check()] == ["FAILED"]
    e = lambda g: sp.Integral(g * f, (t, 0, sp.oo))  # noqa: E731
    bad_split = sg.RuleChain("bad", [e(1 + sp.log(t)), e(1) + 2 * e(sp.log(t))], rules={1: ("linear",)})
    assert [c.how for c in bad_split.check()] == ["FAILED"]
    not_linear = sg.RuleChain("bad", [e(1) ** 2, e(1)], rules={1: ("linear",)})
    assert [c.how for c in not_linear.check()] == ["FAILED"]
    n = sg.n
    bad_limit = sg.RuleChain("bad", [sp.Limit((1 - sp.exp(-x) / n) ** n, n, sp.oo),
                                     sp.Limit((1 - sp.exp(-x) / n) ** (2 * n), n, sp.oo)], rules={1: ("limit",)})
    assert [c.how for c in bad_limit.check()] == ["FAILED"]
    wrong_value = sg.RuleChain("bad", [sp.Limit((1 - sp.exp(-x) / n) ** n, n, sp.oo), sp.exp(-x)],
                               rules={1: ("evaluate",)})
    assert [c.how for c in wrong_value.check()] == ["FAILED"]


def test_max_of_exponentials_limit_is_the_standard_gumbel_cdf():
    chain = sg.max_of_exponentials_limit()
    assert chain.lines[-1] == sg.cdf(x, 0, 1)
    assert chain.lines[0].doit() == sg.cdf(x, 0, 1)


@pytest.mark.parametrize("kwargs", [{"scale": -1}, {"scale": 0}, {"scale": sp.Symbol("s")}, {"var": 1.0}])
def test_cdf_and_pdf_validate_their_input(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        sg.cdf(**kwargs)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        sg.pdf(**kwargs)


def test_holds_when_u_is_validates_its_input():
    with pytest.raises(ValueError, match="step"):
        sg.holds_when_u_is(sp.log(u), sg.cdf(x))
    with pytest.raises(ValueError, match="F"):
        sg.holds_when_u_is(sp.Eq(u, x), "exp(-exp(-x))")


def test_gamma_rule_catches_a_wrong_moment_and_validates():
    e = lambda g: sp.Integral(g * sp.exp(-t), (t, 0, sp.oo))  # noqa: E731
    right = sg.RuleChain("ok", [e(sp.log(t)), sg.gamma_moment(1)], rules={1: ("gamma",)})
    wrong = sg.RuleChain("bad", [e(sp.log(t)), sg.gamma_moment(2)], rules={1: ("gamma",)})
    assert right.all_hold() and not wrong.all_hold()
    assert sg.gamma_moment(2).doit().equals(sp.EulerGamma**2 + sp.pi**2 / 6)
    for bad in (-1, 1.0, True):
        with pytest.raises(ValueError, match="k must"):
            sg.gamma_moment(bad)
