"""Tests of lectures_lib.symbolic.beyond: every displayed chain holds, and a wrong step is caught."""

import sympy as sp

from lectures_lib.symbolic import beyond


def test_chains_hold_symbolically():
    for chain in (beyond.score_mean_chain(), beyond.constant_baseline_chain(), beyond.rloo_weight_identity()):
        assert [c.how for c in chain.check()] == ["symbolic"] * (len(chain.lines) - 1), chain.title


def test_a_wrong_line_is_caught():
    chain = beyond.rloo_weight_identity()
    chain.lines[-1] = chain.lines[-1].subs(sp.Symbol("n", integer=True, positive=True), 2)
    assert not chain.all_hold()
    chain = beyond.constant_baseline_chain()
    chain.lines[1] = chain.lines[1] * 2
    assert not chain.all_hold()


def test_rloo_is_exactly_unbiased_for_small_n():
    for n in (2, 3, 4):
        assert beyond.rloo_expectation(n) == 0


def test_plackett_luce_totals():
    for n, k in ((2, 1), (3, 2), (4, 2), (4, 4)):
        assert beyond.plackett_luce_total(n, k) == 1
