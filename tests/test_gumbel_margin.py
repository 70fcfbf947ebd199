"""The winner of the Gumbel-max race is independent of the maximum, not of the margin
(notebooks/03_gumbel_max_trick.ipynb section 4): lectures_lib.gumbel.expected_margin.

The Monte Carlo checks use a fixed seed and a 5-standard-error threshold (false-failure
probability about 6e-7 per comparison for a fresh seed).
"""

import numpy as np
import pytest
from scipy import integrate, stats

from lectures_lib.gumbel import expected_margin, gumbel_pdf, gumbel_sf, sample_gumbel

MU = np.array([1.0, 0.0, -0.5, -1.5])


def _race(mu, n, seed):
    z = mu + sample_gumbel(np.random.default_rng(seed), size=(n, mu.size))  # (n, K)
    top2 = np.sort(z, axis=1)[:, -2:]
    return z.argmax(axis=1), z.max(axis=1), top2[:, 1] - top2[:, 0]


def test_expected_margin_matches_monte_carlo():
    winner, _, margin = _race(MU, 400_000, 0)
    expected = expected_margin(MU)
    for k in range(MU.size):
        m = margin[winner == k]
        assert abs(m.mean() - expected[k]) < 5 * m.std() / np.sqrt(m.size), k
    np.testing.assert_allclose(expected, [1.5234, 1.1293, 1.0733, 1.0254], atol=5e-5)


def test_expected_margin_against_quadrature_of_the_logistic_margin():
    # before conditioning, Z_k - M (M the others' maximum) is logistic with location a_k; k wins iff it is > 0
    for k in range(MU.size):
        a = MU[k] - np.log(np.exp(np.delete(MU, k)).sum())
        dist = stats.logistic(loc=a)
        mean_positive, _ = integrate.quad(lambda v, d: v * d.pdf(v), 0, np.inf, args=(dist,))
        assert expected_margin(MU)[k] == pytest.approx(mean_positive / dist.sf(0), rel=1e-9)


def test_the_runner_up_given_that_k_wins_is_not_the_unconditional_gumbel():
    """Fails on the old wording of notebook 03 section 4.1 ("given that k wins, the runner-up is Gumbel(log sum_{i!=k}
    e^mu_i)"): that holds before conditioning; given that k wins the runner-up lies below Z_k, and its mean is
    E[M | M < Z_k] = int m f_M(m) P(Z_k > m) dm / P(k wins) (quadrature), far below log sum_{i!=k} e^mu_i + gamma."""
    winner, top, margin = _race(MU, 400_000, 2)
    runner_up = top - margin
    p = np.exp(MU) / np.exp(MU).sum()
    for k in range(MU.size):
        loc = np.log(np.exp(np.delete(MU, k)).sum())
        exact = integrate.quad(lambda m, k=k, loc=loc: m * gumbel_pdf(m, loc=loc) * gumbel_sf(m, loc=MU[k]),
                               -20, 40, epsabs=1e-13)[0] / p[k]
        r = runner_up[winner == k]
        assert abs(r.mean() - exact) < 5 * r.std() / np.sqrt(r.size), k
        assert exact < loc + np.euler_gamma - 0.5, k                          # 0.57 against 1.18 for k = 1
        # and its law is not the unconditional Gumbel (KS at 1e-3; the p-values are astronomically small)
        assert stats.kstest(r[:20_000], stats.gumbel_r(loc=loc).cdf).pvalue < 1e-3, k


def test_the_winner_tells_about_the_margin_not_about_the_maximum():
    """Fails on the old claim of notebook 03 ("which category wins tells nothing about by how much")."""
    winner, top, margin = _race(MU, 200_000, 1)
    # the maximum: the same law whoever wins (two-sample KS of winner 1 against winner 4, alpha = 1e-3)
    assert stats.ks_2samp(top[winner == 0], top[winner == 3]).pvalue > 1e-3
    # the margin: not the same law (Kruskal-Wallis across the four winners; p is astronomically small)
    assert stats.kruskal(*(margin[winner == k] for k in range(MU.size))).pvalue < 1e-12
    assert margin[winner == 0].mean() - margin[winner == 3].mean() > 0.4  # 1.52 vs 1.03


def test_expected_margin_edge_cases_and_validation():
    assert np.allclose(expected_margin([[3.0, 0.0], [0.0, 3.0]]), [[3.2004, 1.0245], [1.0245, 3.2004]], atol=1e-4)
    far = expected_margin([0.0, -800.0, -900.0])  # a = 800 and a -> -inf: finite, no warnings
    assert far[0] == pytest.approx(800.0) and np.allclose(far[1:], 1.0)
    # shift invariance: adding a constant to every logit changes nothing
    np.testing.assert_allclose(expected_margin(MU + 5.0), expected_margin(MU), rtol=1e-12)
    for bad in ([1.0], 2.0, [0.0, np.inf], [0.0, np.nan]):
        with pytest.raises(ValueError, match="logits"):
            expected_margin(bad)
