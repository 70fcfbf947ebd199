"""Slide errata E03.1-E03.5 (slides "Gumbel-max trick and Softmax (1)", "(2)" and "sample a Gumbel").

Each test proves the correction and, where it makes sense, shows the slide's version fails.
Statistical tests use fixed seeds and ALPHA = 1e-3: with a fresh seed, a correct implementation
would fail such a test with probability 0.1%.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

from lectures_lib import gumbel_cdf, gumbel_max_sample, gumbel_pdf, sample_gumbel, softmax
from lectures_lib.symbolic.gumbel_max import C, proof_chains

ALPHA = 1e-3
MU = np.array([1.0, 0.0, -0.5, -1.5])


def test_E03_1_max_of_others_formula_is_a_cdf_not_a_density():
    # H(z) = prod_{i != k} F(z; mu_i) with k = 1
    H = lambda z: np.prod(gumbel_cdf(np.asarray(z)[..., None], loc=MU[1:]), axis=-1)  # noqa: E731
    z = np.linspace(-10, 60, 7001)
    h = H(z)
    assert np.all(np.diff(h) >= 0) and h[0] < 1e-12 and h[-1] == pytest.approx(1.0, abs=1e-12)
    # read as the slide reads it, a "density" p(max = z_k) -- but its area grows without bound
    assert integrate.trapezoid(h, z) > 55  # about 60 - E[max]: anything but 1
    # it is the CDF of max_{i != k} Z_i: a Kolmogorov-Smirnov test against Monte Carlo
    rng = np.random.default_rng(31)
    others = (MU[1:] + sample_gumbel(rng, size=(20_000, 3))).max(axis=1)
    assert stats.kstest(others, H).pvalue > ALPHA
    # the density of the max is dH/dz, the Gumbel(log sum_{i != k} e^{mu_i}) density, of area 1
    dH = np.gradient(h, z)  # finite differences, step 0.01: error ~1e-5
    assert np.allclose(dH, gumbel_pdf(z, loc=np.log(np.exp(MU[1:]).sum())), atol=1e-4)
    assert integrate.trapezoid(dH, z) == pytest.approx(1.0, abs=1e-6)
    # and SymPy agrees that H tends to 1 (a CDF) as z_k -> oo
    chain = proof_chains(4)["others_below"]
    assert sp.limit(chain.lines[-1], sp.Symbol("z_k", real=True), sp.oo) == 1


def test_E03_2_duplicated_line_and_open_bracket():
    chain = proof_chains(3)["slide_1"]
    # the slide prints line 4 twice: with the duplicate the chain still holds, the step adds nothing
    printed = [*chain.lines[:4], chain.lines[3], *chain.lines[4:]]
    checks = dataclasses.replace(chain, lines=printed).check()
    assert all(c.how == "symbolic" for c in checks) and printed[3] == printed[4]
    # "exp{-z_k + mu_i)": closed as exp{-z_k + mu_i} it equals exp{-(z_k - mu_i)} (chain holds) ...
    assert chain.all_hold()
    # ... while exp{-(z_k + mu_i)}, the other way to pair the brackets, breaks the chain
    z = sp.Symbol("z_k", real=True)
    # each inner exp{-z_k + mu_i} (the only exponents with two symbols) becomes exp{-(z_k + mu_i)}
    wrong = chain.lines[4].replace(lambda e: isinstance(e, sp.exp) and len(e.args[0].free_symbols) == 2,
                                   lambda e: sp.exp(-(z + (e.args[0] + z))))
    assert wrong != chain.lines[4]
    bad = [*chain.lines[:4], wrong, *chain.lines[5:]]
    assert [c.how for c in dataclasses.replace(chain, lines=bad).check()][3:] == ["FAILED", "FAILED"]


def test_E03_3_C_is_the_sum_over_all_categories():
    chain = proof_chains(3, 2)["slide_2"]
    mu = sp.symbols("mu_1:4", real=True)
    assert chain.definitions == {C: sum(sp.exp(m) for m in mu)} and chain.all_hold()
    # the tempting reading "C = sum over i != k" (as in the product) breaks the chain
    others = dataclasses.replace(chain, definitions={C: sp.exp(mu[0]) + sp.exp(mu[2])})
    assert [c.how for c in others.check()][0] == "FAILED"
    # exp^{mu_k} is e^{mu_k}: e^{mu_k} / C is softmax, numerically
    assert np.allclose(np.exp(MU) / np.exp(MU).sum(), softmax(MU))


def test_E03_4_one_shared_gumbel_always_returns_argmax_mu():
    rng = np.random.default_rng(34)
    n = 20_000
    g = sample_gumbel(rng, size=(n, 1))  # one G per draw, shared by all categories (the slide)
    k_shared = np.argmax(MU + g, axis=1)
    assert np.all(k_shared == np.argmax(MU))  # deterministic: never a sample from softmax
    counts = np.bincount(k_shared, minlength=MU.size)
    assert stats.chisquare(counts, n * softmax(MU)).pvalue < 1e-100
    # independent G_i per category (the library): chi-square goodness of fit to softmax
    counts = np.bincount(gumbel_max_sample(MU, rng, size=n), minlength=MU.size)
    assert stats.chisquare(counts, n * softmax(MU)).pvalue > ALPHA


def test_E03_5_sampling_strategy_needs_one_uniform_per_category():
    rng = np.random.default_rng(35)
    n, L = 20_000, MU.size
    # the slide: one U, G = -log(-log U), k = argmax over i in {1..K} of mu_i + G
    u = rng.random((n, 1))
    assert np.unique(np.argmax(MU - np.log(-np.log(u)), axis=1)).tolist() == [0]
    # correct: L uniforms per draw, and the index ranges over all L categories (not "1..K")
    u = rng.random((n, L))
    k = np.argmax(MU - np.log(-np.log(u)), axis=1)
    assert set(np.unique(k)) == set(range(L))
    assert stats.chisquare(np.bincount(k, minlength=L), n * softmax(MU)).pvalue > ALPHA
