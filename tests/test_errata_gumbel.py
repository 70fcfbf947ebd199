"""Slide errata of notebook 02 (slide "sample a Gumbel"): each correction proved, each slide version refuted."""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import stats

from lectures_lib import sample_gumbel
from lectures_lib.symbolic import gumbel as sg
from lectures_lib.symbolic.gumbel import beta, mu, x


def test_e02_1_slide_first_line_is_not_a_cdf():
    """E02.1: ``u = exp^{-exp(x - mu)/beta}`` lacks the minus sign inside the inner exponent."""
    slide = sg.slide_inverse_cdf_lines()
    S = slide[0].rhs
    generous = sp.exp(-sp.exp((x - mu) / beta))  # the same slip with beta read inside the exponent
    for wrong in (S, generous):
        assert sp.diff(wrong, x).is_negative  # decreasing in x: no CDF does that
        assert sp.limit(wrong, x, -sp.oo) == 1 and sp.limit(wrong, x, sp.oo) == 0
    F = sg.cdf(x)  # the correct CDF exp(-exp(-(x - mu)/beta)) rises from 0 to 1
    assert sp.diff(F, x).is_positive and sp.limit(F, x, -sp.oo) == 0 and sp.limit(F, x, sp.oo) == 1
    # the slide's next four lines follow from the corrected first line, and not from the printed one
    assert all(sg.holds_when_u_is(line, F) for line in slide[1:])
    assert not any(sg.holds_when_u_is(line, S) for line in slide[1:])
    # inverting the printed line (beta = 1) gives x = mu + log(-log u): the *min*-Gumbel, mirrored
    uu = np.random.default_rng(2).random(20_000)
    mirrored = np.log(-np.log(uu))
    # seed fixed: deterministic; for a random seed p < 1e-3 would be a false alarm with probability 1e-3
    assert stats.kstest(mirrored, "gumbel_l").pvalue > 1e-3
    assert stats.kstest(mirrored, "gumbel_r").pvalue < 1e-100
    assert stats.kstest(sample_gumbel(np.random.default_rng(2), 20_000), "gumbel_r").pvalue > 1e-3


def test_e02_2_beta_divides_the_exponent_not_the_exponential():
    """E02.2: the slide's first line has ``exp(x - mu)/beta``; the scale divides the exponent."""
    restored_sign = sp.exp(-sp.exp(-(x - mu)) / beta)  # E02.1 fixed, beta still outside
    # that is a CDF, but of Gumbel(mu - log beta, 1): a shift, not a scale
    assert sp.simplify(restored_sign - sg.cdf(x, mu - sp.log(beta), 1)) == 0
    F = sg.cdf(x)
    assert sp.simplify((restored_sign - F).subs({beta: 2, x: mu + 1})) != 0
    # the slide's second line log(u) = -exp(-(x - mu)/beta) does not follow from it, except at beta = 1
    line2 = sg.slide_inverse_cdf_lines()[1]
    assert not sg.holds_when_u_is(line2, restored_sign)
    assert sg.holds_when_u_is(line2.subs(beta, 1), restored_sign.subs(beta, 1))
    assert sg.holds_when_u_is(line2, F)
    # numerically: at beta = 2 the two medians differ (mu - log 2 - log log 2 vs mu - 2 log log 2)
    med_slide = float(sp.solve(sp.Eq(restored_sign.subs({beta: 2, mu: 0}), sp.Rational(1, 2)), x)[0])
    assert np.isclose(med_slide, stats.gumbel_r.median(loc=-np.log(2)))
    assert not np.isclose(med_slide, stats.gumbel_r.median(scale=2))
