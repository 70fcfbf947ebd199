"""lectures_lib.symbolic.gumbel_max: every line of the softmax proof holds, and a wrong line is caught."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats
from scipy.special import logsumexp

from lectures_lib import softmax
from lectures_lib.symbolic.gumbel_max import C, GumbelMaxChain, proof_chains, substitution_chain

NAMES = ["density", "others_below", "slide_1", "slide_2", "max_cdf", "joint"]


@pytest.mark.parametrize("K", [2, 3, 4, None], ids=lambda K: f"K={K}")
@pytest.mark.parametrize("name", NAMES)
def test_every_step_holds_symbolically(K, name):
    chain = proof_chains(K)[name]
    assert [c.how for c in chain.check()] == ["symbolic"] * (len(chain.lines) - 1)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_the_result_is_softmax_for_each_category(k):
    chain = proof_chains(4, k)["slide_2"]
    mu = sp.symbols("mu_1:5", real=True)
    assert sp.simplify(chain.lines[-1] - sp.exp(mu[k - 1]) / sum(sp.exp(m) for m in mu)) == 0
    assert chain.lines[0] == proof_chains(4, k)["slide_1"].lines[-1]  # slide (2) continues slide (1)


def test_general_K_specialises_to_the_written_out_case():
    general = proof_chains()["slide_2"]
    K, mu = general.K, sp.IndexedBase("mu", real=True)
    mus = sp.symbols("mu_1:4", real=True)
    last = general.lines[-1].subs(K, 3).doit().subs({mu[i + 1]: mus[i] for i in range(3)})
    assert sp.simplify(last - proof_chains(3, 3)["slide_2"].lines[-1]) == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_first_line_integrates_numerically_to_softmax(seed):
    # the slide's first integral, evaluated by quadrature (not by SymPy) at random logits
    mu_values = np.random.default_rng(seed).uniform(-3, 3, size=3)
    chain = proof_chains(3, 2)["slide_1"]
    integrand = chain.lines[0].function.subs(dict(zip(sp.symbols("mu_1:4", real=True), mu_values, strict=True)))
    f = sp.lambdify(sp.Symbol("z_k", real=True), integrand, "math")
    value, err = integrate.quad(f, -20, 40, epsabs=1e-12)  # the integrand is < 1e-8 outside
    assert value == pytest.approx(softmax(mu_values)[1], abs=1e-8)


def test_max_cdf_matches_scipy_gumbel_with_logsumexp_location():
    mu_values = np.array([0.3, -1.0, 2.0, 0.0])
    last = proof_chains(4)["max_cdf"].lines[-1].subs(C, float(np.exp(mu_values).sum()))
    F = sp.lambdify(sp.Symbol("m", real=True), last, "math")
    for m in (-2.0, 0.5, 2.2, 6.0):
        assert F(m) == pytest.approx(stats.gumbel_r(loc=logsumexp(mu_values)).cdf(m), rel=1e-12)


def test_substitution_is_made_by_sympy_and_gives_one_over_C():
    chain = substitution_chain()
    t = sp.Symbol("t", positive=True)
    assert chain.lines[1] == sp.Integral(sp.exp(-C * t), (t, 0, sp.oo))
    assert chain.lines[0].doit() == 1 / C and chain.all_hold()


@pytest.mark.parametrize("K", [3, None], ids=lambda K: f"K={K}")
def test_a_wrong_line_is_caught(K):
    chain = proof_chains(K)["slide_1"]
    # the second line off by a factor 2 (say a lost 1/2): both "=" next to it must fail
    bad = list(chain.lines)
    bad[1] = sp.Integral(2 * bad[1].function, *bad[1].limits)
    assert [c.how for c in dataclasses.replace(chain, lines=bad).check()][:2] == ["FAILED", "FAILED"]


def test_wrong_sum_range_in_the_general_case_is_caught():
    chain = proof_chains()["others_below"]
    i, K = sp.Symbol("i", integer=True, positive=True), chain.K
    bad = list(chain.lines)
    bad[1] = bad[1].replace(lambda e: isinstance(e, sp.Sum), lambda s: sp.Sum(s.function, (i, 1, K)))
    assert [c.how for c in dataclasses.replace(chain, lines=bad).check()] == ["FAILED", "FAILED"]


def test_display_shows_definition_and_tidy_limits():
    text = proof_chains()["slide_2"]._repr_latex_()
    assert r"\text{where } C = \sum_{i=1}^{K}" in text and "symbolic" in text and "FAILED" not in text
    assert "-1 + K" not in proof_chains()["slide_1"].latex() and "K - 1" in proof_chains()["slide_1"].latex()


def test_check_result_is_reused_only_for_the_same_lines():
    chain = proof_chains(2)["max_cdf"]
    assert chain.check() == chain.check()
    chain.lines[-1] = chain.lines[-1] * 2
    assert chain.check()[-1].how == "FAILED"


def test_a_chain_without_definitions_is_a_plain_chain():
    x = sp.Symbol("x")
    assert GumbelMaxChain("t", [sp.exp(2 * x), sp.exp(x) ** 2]).all_hold()


@pytest.mark.parametrize("K, k, match", [(1, None, "K must"), (2.0, None, "K must"), (True, None, "K must"),
                                         (3, 0, "k must"), (3, 4, "k must"), (None, 1, "k must be None")])
def test_bad_arguments_raise(K, k, match):
    with pytest.raises(ValueError, match=match):
        proof_chains(K, k)
