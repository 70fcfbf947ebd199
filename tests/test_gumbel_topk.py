"""Tests of lectures_lib.gumbel_topk: the law of the top k of ``logits + G`` is the Plackett-Luce law *exactly*
(nested quadrature over the Gumbel noise, tests/exact_reference.py, to rounding), the sampler takes exactly that
top k of its own noise, and a chi-squared test of the samples (false-failure rate 1e-4 per test for a fresh seed);
the unordered set estimator exactly unbiased, and a Rao-Blackwellisation, by enumeration of all k-subsets; torch's
multinomial-without-replacement law as a second reference."""

import itertools

import numpy as np
import pytest
from exact_reference import gumbel_order_probability
from scipy import stats

from lectures_lib.gumbel import sample_gumbel, softmax
from lectures_lib.gumbel_topk import (
    gumbel_top_k,
    ordered_subsets,
    plackett_luce_log_prob,
    unordered_set_estimate,
    unordered_set_log_prob,
)
from lectures_lib.symbolic.beyond import plackett_luce_total

LOGITS = np.array([1.0, 0.2, -0.5, 0.7, -1.0])
ALPHA = 1e-4


def _codes(ordered, n):
    return (ordered * n ** np.arange(ordered.shape[-1] - 1, -1, -1)).sum(-1)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_gumbel_top_k_follows_plackett_luce(k):
    n, draws = LOGITS.size, 100_000
    subsets = ordered_subsets(n, k)
    expected = np.exp(plackett_luce_log_prob(subsets, LOGITS)) * draws
    samples = gumbel_top_k(LOGITS, k, np.random.default_rng(k), size=draws)
    counts = np.bincount(_codes(samples, n), minlength=n**k)[_codes(subsets, n)]
    assert counts.sum() == draws                        # no repeated item, every sample an ordered subset
    assert stats.chisquare(counts, expected).pvalue > ALPHA


@pytest.mark.parametrize("k", [1, 2, 3])
def test_the_top_k_of_logits_plus_gumbel_has_exactly_the_plackett_luce_law(k):
    """P(the k largest of mu + G come in this order), integrated over the Gumbel noise, for every ordered k-subset.

    With integer weights e^mu the integrand is a polynomial in the Gumbel CDF's uniforms, so the quadrature is
    exact: the agreement is to rounding, for every order (the chi-squared test below can only fail to reject)."""
    weights = np.array([1.0, 3.0, 2.0, 5.0, 1.0])
    subsets = ordered_subsets(5, k)
    exact = np.array([gumbel_order_probability(weights, order) for order in subsets])
    assert np.isclose(exact.sum(), 1.0, rtol=0, atol=1e-13)
    assert np.allclose(np.exp(plackett_luce_log_prob(subsets, np.log(weights))), exact, rtol=1e-13, atol=0)


def test_gumbel_top_k_takes_the_k_largest_of_its_own_noise_in_order():
    """The sampler is the top k of mu + G for the Gumbels it draws: with the quadrature above, its law is exact."""
    mu = np.log([1.0, 3.0, 2.0, 5.0, 1.0])
    top = gumbel_top_k(mu, 3, np.random.default_rng(8), size=2000)
    y = mu + sample_gumbel(np.random.default_rng(8), (2000, 5))                  # the same draws
    assert np.array_equal(top, np.argsort(-y, axis=1)[:, :3])


def test_plackett_luce_sums_to_one_and_k1_is_softmax():
    for k in (1, 2, 3, 5):
        assert np.isclose(np.exp(plackett_luce_log_prob(ordered_subsets(5, k), LOGITS)).sum(), 1.0)
    assert np.allclose(np.exp(plackett_luce_log_prob(np.arange(5)[:, None], LOGITS)), softmax(LOGITS))
    assert plackett_luce_total(4, 2) == 1 and plackett_luce_total(4, 3) == 1


def test_plackett_luce_against_the_sequential_formula():
    w = np.exp(LOGITS)
    assert np.isclose(np.exp(plackett_luce_log_prob([3, 0, 4], LOGITS)),
                      w[3] / w.sum() * w[0] / (w.sum() - w[3]) * w[4] / (w.sum() - w[3] - w[0]))


def test_against_torch_sampling_without_replacement():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    draws = torch.multinomial(torch.softmax(torch.tensor(LOGITS), 0).repeat(50_000, 1), 2).numpy()
    ours = gumbel_top_k(LOGITS, 2, np.random.default_rng(7), size=50_000)
    table = np.stack([np.bincount(_codes(x, 5), minlength=25) for x in (draws, ours)])
    table = table[:, table.sum(0) > 0]
    assert stats.chi2_contingency(table).pvalue > ALPHA


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_unordered_set_estimator_is_exactly_unbiased(k):
    values = np.array([[3.0, 1.0], [-1.0, 0.0], [2.0, 4.0], [5.0, -2.0], [0.5, 0.5]])
    sets = np.array(list(itertools.combinations(range(5), k)))
    p_sets = np.exp(unordered_set_log_prob(sets, LOGITS))
    assert np.isclose(p_sets.sum(), 1.0)
    estimates = unordered_set_estimate(sets, LOGITS, values)
    assert np.allclose(p_sets @ estimates, softmax(LOGITS) @ values, rtol=1e-12)


def test_unordered_set_probability_by_sampling():
    samples = np.sort(gumbel_top_k(LOGITS, 2, np.random.default_rng(3), size=50_000), axis=1)
    sets = np.array(list(itertools.combinations(range(5), 2)))
    counts = np.array([np.sum(np.all(samples == s, axis=1)) for s in sets])
    assert stats.chisquare(counts, 50_000 * np.exp(unordered_set_log_prob(sets, LOGITS))).pvalue > ALPHA


def test_unordered_set_estimator_is_the_rao_blackwellisation_of_the_first_draw():
    """Kool et al. (2020): the estimate is E[g(first item) | the unordered set], so its variance is at most Var[g]
    (one draw), for every p and g.  Checked by enumeration: the estimate equals the conditional mean over the k!
    orders of each set, and the variance bound holds for 200 random (logits, g)."""
    rng = np.random.default_rng(9)
    for _ in range(200):
        n, logits, g = 5, rng.normal(size=5) * rng.choice([0.5, 3.0]), rng.normal(size=5) * 4
        k = int(rng.integers(2, n))
        sets = np.array(list(itertools.combinations(range(n), k)))
        orders = sets[:, np.array(list(itertools.permutations(range(k))))]           # (sets, k!, k)
        p_orders = np.exp(plackett_luce_log_prob(orders, logits))
        conditional = (p_orders * g[orders[..., 0]]).sum(1) / p_orders.sum(1)          # E[g(first) | S]
        estimate = unordered_set_estimate(sets, logits, g)
        assert np.allclose(estimate, conditional, rtol=1e-10, atol=1e-12)
        p, p_sets = softmax(logits), p_orders.sum(1)
        assert p_sets @ (estimate - p @ g) ** 2 <= p @ (g - p @ g) ** 2 + 1e-12


def test_without_replacement_beats_with_replacement_here():
    """Exact variances by enumeration: the unordered set estimator with k items against the mean of k i.i.d. draws,
    for these logits and g (the notebook's claim is about this example; the proven bound is the one above)."""
    g = np.array([3.0, -1.0, 2.0, 5.0, 0.5])
    p, mean = softmax(LOGITS), softmax(LOGITS) @ g
    for k in (2, 3, 4):
        sets = np.array(list(itertools.combinations(range(5), k)))
        p_sets = np.exp(unordered_set_log_prob(sets, LOGITS))
        var_us = p_sets @ unordered_set_estimate(sets, LOGITS, g) ** 2 - mean**2
        assert var_us < (p @ (g - mean) ** 2) / k
    sets = np.array([list(range(5))])
    assert np.isclose(unordered_set_estimate(sets, LOGITS, g)[0], mean)   # k = n: no variance left


def test_huge_logits_and_same_seed():
    mu = np.array([800.0, -800.0, 0.0, 799.0])
    assert gumbel_top_k(mu, 2, np.random.default_rng(0)).tolist() in ([0, 3], [3, 0])
    assert np.all(np.isfinite(plackett_luce_log_prob([[0, 3], [1, 2]], mu)))
    a = gumbel_top_k(LOGITS, 3, np.random.default_rng(1), size=4)
    assert np.array_equal(a, gumbel_top_k(LOGITS, 3, np.random.default_rng(1), size=4))


@pytest.mark.parametrize(("call", "match"), [
    (lambda: gumbel_top_k(LOGITS, 6, np.random.default_rng(0)), "k must be <= the number of items 5"),
    (lambda: gumbel_top_k(LOGITS, 0, np.random.default_rng(0)), "k must be an integer >= 1"),
    (lambda: gumbel_top_k([[1.0]], 1, np.random.default_rng(0)), "logits must have shape"),
    (lambda: gumbel_top_k(LOGITS, 1, None), "rng must be"),
    (lambda: plackett_luce_log_prob([0, 0], LOGITS), "must not repeat"),
    (lambda: plackett_luce_log_prob([0, 7], LOGITS), r"ordered must be integer indices in \[0, 4\]"),
    (lambda: ordered_subsets(12, 6), "more than 200000"),
    (lambda: unordered_set_estimate([0, 1], LOGITS, np.ones(4)), r"values must have shape \(5,\)"),
    (lambda: plackett_luce_total(7, 2), "n <= 6"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()
