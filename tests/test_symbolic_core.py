"""lectures_lib.symbolic.core.Chain: the checks, and the cache shared by every kind of chain."""

import pytest
import sympy as sp

from lectures_lib.symbolic.core import Chain
from lectures_lib.symbolic.estimators import DoitChain
from lectures_lib.symbolic.gumbel import RuleChain
from lectures_lib.symbolic.gumbel_max import C, GumbelMaxChain

x = sp.Symbol("x", positive=True)


def _counting(monkeypatch, cls):
    calls = []
    original = cls._check

    def counted(self, numeric_fallback):
        calls.append(1)
        return original(self, numeric_fallback)

    monkeypatch.setattr(cls, "_check", counted)
    return calls


@pytest.mark.parametrize("make", [
    lambda: Chain("t", [x + x, 2 * x]),
    lambda: RuleChain("t", [x + x, 2 * x]),
    lambda: GumbelMaxChain("t", [C * x, sp.E * x], definitions={C: sp.E}),
    lambda: DoitChain("t", [sp.Derivative(x**2, x), 2 * x]),
])
def test_checked_once_and_again_after_a_change(make, monkeypatch):
    chain = make()
    calls = _counting(monkeypatch, type(chain))
    assert chain.all_hold() and chain.all_hold()
    chain._repr_latex_()
    assert len(calls) == 1  # displaying after asserting reuses the answer
    chain.lines[-1] = 3 * x  # a wrong last line is checked afresh, not served from the cache
    assert not chain.all_hold()
    assert len(calls) == 2
    assert chain.check(numeric_fallback=False)[0].how == "FAILED" and len(calls) == 3


def test_what_a_subclass_check_reads_is_part_of_the_key():
    chain = GumbelMaxChain("e x", [C * x, sp.E * x], definitions={C: sp.E})
    assert chain.all_hold()
    chain.definitions[C] = 2  # a different definition of C: the same lines no longer agree
    assert not chain.all_hold()
    rule = RuleChain("sub", [sp.Integral(sp.exp(-x), (x, 0, sp.oo)), sp.Integral(sp.exp(-x), (x, 0, sp.oo))])
    assert rule.all_hold()
    rule.rules[1] = ("limit",)  # integrals are not limits: the rule's check fails
    assert not rule.all_hold()
