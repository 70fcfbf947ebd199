"""lectures_lib.gumbel against scipy.stats.gumbel_r, softmax, and torch (optional).

Statistical tests use fixed seeds; each states its false-failure probability (the chance that a
correct implementation fails the threshold with a fresh seed).  With a fixed seed the outcome is
deterministic, so the suite is not flaky; the probability says how much evidence a pass is.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from lectures_lib import (
    gumbel_cdf,
    gumbel_logpdf,
    gumbel_max_sample,
    gumbel_pdf,
    gumbel_ppf,
    gumbel_sf,
    one_hot,
    sample_gumbel,
    softmax,
)

# the grid reaches the extremes the issue asks for: |x| up to 1e4
GRID = np.concatenate([-np.logspace(4, -3, 40), [0.0], np.logspace(-3, 4, 40)])
PARAMS = [(0.0, 1.0), (2.5, 0.3), (-7.0, 4.0), (1e3, 50.0)]


def _scipy(method, x, loc, scale):
    # scipy's own forms overflow (with warnings) at the extremes; we compare values, not warnings
    with np.errstate(all="ignore"):
        return getattr(stats.gumbel_r, method)(x, loc=loc, scale=scale)


@pytest.mark.parametrize(("loc", "scale"), PARAMS)
def test_logpdf_matches_scipy_everywhere(loc, scale):
    ours = gumbel_logpdf(GRID, loc, scale)
    ref = _scipy("logpdf", GRID, loc, scale)
    assert np.all(np.isfinite(ours) | (ours == -np.inf))
    finite = np.isfinite(ref)
    np.testing.assert_allclose(ours[finite], ref[finite], rtol=1e-12, atol=1e-12)
    # where scipy gives -inf, the true log density is -exp(-z) - z with z very negative: huge but finite
    assert np.all(ours[~finite] < -1e300) or not np.any(~finite)


@pytest.mark.parametrize(("loc", "scale"), PARAMS)
@pytest.mark.parametrize("name", ["pdf", "cdf", "sf"])
def test_pdf_cdf_sf_match_scipy(name, loc, scale):
    ours = {"pdf": gumbel_pdf, "cdf": gumbel_cdf, "sf": gumbel_sf}[name](GRID, loc, scale)
    ref = _scipy(name, GRID, loc, scale)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-300)
    assert np.all((ours >= 0) & (ours <= (np.inf if name == "pdf" else 1)))


def test_no_warnings_at_extremes():
    x = np.array([-1e4, -745.0, -40.0, 0.0, 40.0, 745.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # (underflow to 0 is correct)
        for f in (gumbel_logpdf, gumbel_pdf, gumbel_cdf, gumbel_sf):
            assert not np.isnan(f(x)).any()
        assert np.all(np.isfinite(gumbel_ppf([0.0 + 1e-300, 0.5, 1 - 1e-16])))


def test_sf_keeps_precision_in_the_right_tail():
    # 1 - cdf would round to 0 here; sf = -expm1(-exp(-x)) keeps every digit
    np.testing.assert_allclose(gumbel_sf(40.0), np.exp(-40.0), rtol=1e-12)


@pytest.mark.parametrize(("loc", "scale"), PARAMS)
def test_ppf_inverts_cdf_and_matches_scipy(loc, scale):
    q = np.concatenate([[0.0, 1e-300, 1e-12], np.linspace(0.01, 0.99, 25), [1 - 1e-12, 1.0]])
    ours = gumbel_ppf(q, loc, scale)
    np.testing.assert_allclose(ours[1:-1], _scipy("ppf", q, loc, scale)[1:-1], rtol=1e-11)
    assert ours[0] == -np.inf and ours[-1] == np.inf
    inner = slice(3, -2)
    np.testing.assert_allclose(gumbel_cdf(ours[inner], loc, scale), q[inner], rtol=1e-10)


def test_broadcasting():
    x = np.linspace(-2, 2, 5)[:, None]
    out = gumbel_pdf(x, loc=np.array([0.0, 1.0, 2.0]), scale=2.0)
    assert out.shape == (5, 3)
    np.testing.assert_allclose(out[:, 1], stats.gumbel_r.pdf(x[:, 0], loc=1.0, scale=2.0))


@pytest.mark.parametrize(("loc", "scale"), [(0.0, 1.0), (3.0, 0.5)])
def test_samples_pass_ks_against_scipy(loc, scale):
    # KS at alpha = 1e-3: a correct sampler fails with probability 1e-3 for a fresh seed
    x = sample_gumbel(np.random.default_rng(1), size=20_000, loc=loc, scale=scale)
    assert stats.kstest(x, stats.gumbel_r(loc=loc, scale=scale).cdf).pvalue > 1e-3


def test_sample_gumbel_never_infinite_even_at_u_0_and_1():
    class Extreme(np.random.Generator):  # a generator whose uniforms hit both ends exactly
        def random(self, size=None, dtype=np.float64, out=None):
            u = np.resize(np.array([0.0, 1.0 - 2**-53, 0.5]), size)
            if out is not None:
                out[...] = u
                return out
            return u

    g = sample_gumbel(Extreme(np.random.PCG64(0)), size=6)
    assert np.all(np.isfinite(g))
    assert g.min() > -7  # -log(-log(tiny)) is about -6.6: the clamp keeps u > 0
    assert g.max() < 38  # -log(-log(1 - 2**-53)) is about 36.7


def test_sampling_is_deterministic_given_the_seed():
    a = sample_gumbel(np.random.default_rng(7), size=(3, 4), loc=1.0, scale=2.0)
    b = sample_gumbel(np.random.default_rng(7), size=(3, 4), loc=1.0, scale=2.0)
    np.testing.assert_array_equal(a, b)
    logits = np.random.default_rng(0).normal(size=(5, 6))
    np.testing.assert_array_equal(gumbel_max_sample(logits, np.random.default_rng(3), size=10),
                                  gumbel_max_sample(logits, np.random.default_rng(3), size=10))


def test_sample_gumbel_shape_from_loc_and_scale():
    assert sample_gumbel(np.random.default_rng(0), loc=np.zeros((2, 3))).shape == (2, 3)
    assert sample_gumbel(np.random.default_rng(0)).shape == ()


def _chi2_pvalue(draws, probs):
    counts = np.bincount(draws, minlength=probs.size)
    keep = probs > 0
    return stats.chisquare(counts[keep], probs[keep] * draws.size).pvalue


@pytest.mark.parametrize("logits", [[0.0, 1.0, 2.0, -1.0], [5.0, 0.0, 0.0], np.linspace(-3, 3, 12)])
def test_gumbel_max_frequencies_match_softmax(logits):
    # chi-square goodness of fit at alpha = 1e-3 (false-failure probability 1e-3 per case)
    logits = np.asarray(logits)
    draws = gumbel_max_sample(logits, np.random.default_rng(11), size=50_000)
    assert draws.shape == (50_000,) and draws.dtype == np.intp
    assert _chi2_pvalue(draws, softmax(logits)) > 1e-3


def test_gumbel_max_is_argmax_of_logits_plus_gumbel_noise_from_the_same_uniforms():
    # the library compares log(U) exp(m - l) instead of l + G: the same index, draw for draw
    logits = np.array([0.5, -1.0, 2.0, 0.0, -np.inf, 1.5])
    u = np.random.default_rng(9).random((5000, 6))
    with np.errstate(divide="ignore"):
        expected = np.argmax(logits - np.log(-np.log(u)), axis=-1)
    np.testing.assert_array_equal(gumbel_max_sample(logits, np.random.default_rng(9), size=5000), expected)
    # one draw per row (the two-log path), many rows spanning several blocks
    rows = np.random.default_rng(1).normal(size=(700, 300))
    u = np.random.default_rng(4).random(rows.shape)
    with np.errstate(divide="ignore"):
        expected = np.argmax(rows - np.log(-np.log(u)), axis=-1)
    np.testing.assert_array_equal(gumbel_max_sample(rows, np.random.default_rng(4)), expected)


def test_gumbel_max_batched_shapes_and_rows_independent():
    logits = np.stack([[0.0, 3.0, 0.0], [3.0, 0.0, 0.0]])  # (2, K=3): the favourite differs per row
    draws = gumbel_max_sample(logits, np.random.default_rng(5), size=(20_000,))
    assert draws.shape == (20_000, 2)
    for row in range(2):
        assert _chi2_pvalue(draws[:, row], softmax(logits[row])) > 1e-3  # alpha = 1e-3 each


def test_gumbel_max_huge_logits_and_minus_inf():
    logits = np.array([1e4, 1e4 - 1.0, -1e4, -np.inf])
    draws = gumbel_max_sample(logits, np.random.default_rng(2), size=40_000)
    assert set(np.unique(draws)) <= {0, 1}  # -1e4 has probability e^-2e4 = 0; -inf never
    assert _chi2_pvalue(draws, softmax(logits)) > 1e-3  # alpha = 1e-3
    only = gumbel_max_sample(np.array([-np.inf, 0.0, -np.inf]), np.random.default_rng(0), size=1000)
    assert np.all(only == 1)


def test_softmax_stable_and_normalised():
    p = softmax(np.array([[1e4, 1e4, -1e4], [0.0, -np.inf, 0.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.5, 0.0, 0.5]])
    x = np.random.default_rng(0).normal(size=(4, 5))
    np.testing.assert_allclose(softmax(x, axis=0).sum(axis=0), 1.0)
    np.testing.assert_allclose(softmax(x), np.exp(x) / np.exp(x).sum(-1, keepdims=True))


def test_one_hot():
    out = one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.argmax(-1), [[0, 2], [1, 1]])
    np.testing.assert_array_equal(out.sum(-1), 1)


BAD = [
    (lambda: gumbel_pdf(0.0, scale=0.0), "scale"),
    (lambda: gumbel_cdf(0.0, scale=-1.0), "scale"),
    (lambda: gumbel_logpdf(np.nan), "x"),
    (lambda: gumbel_pdf("a"), "x"),
    (lambda: gumbel_ppf(1.5), "q"),
    (lambda: gumbel_ppf(0.5, loc=np.inf), "loc"),
    (lambda: sample_gumbel(np.random.default_rng(0), size=-1), "size"),
    (lambda: sample_gumbel(np.random.default_rng(0), size=2.5), "size"),
    (lambda: sample_gumbel(0, size=2), "rng"),
    (lambda: gumbel_max_sample([0.0, np.nan], np.random.default_rng(0)), "logits"),
    (lambda: gumbel_max_sample(np.zeros((3, 0)), np.random.default_rng(0)), "logits"),
    (lambda: gumbel_max_sample(1.0, np.random.default_rng(0)), "logits"),
    (lambda: gumbel_max_sample([0.0, np.inf], np.random.default_rng(0)), "logits"),
    (lambda: gumbel_max_sample([-np.inf, -np.inf], np.random.default_rng(0)), "logits"),
    (lambda: gumbel_max_sample(["a", "b"], np.random.default_rng(0)), "logits"),
    (lambda: gumbel_max_sample([0.0, 1.0], np.random.default_rng(0), size=-3), "size"),
    (lambda: gumbel_max_sample([0.0, 1.0], "seed"), "rng"),
    (lambda: softmax([0.0, 1.0], axis=3), "axis"),
    (lambda: one_hot([0, 3], 3), "indices"),
    (lambda: one_hot([0.5], 3), "indices"),
    (lambda: one_hot([0], 0), "K"),
]


@pytest.mark.parametrize(("call", "name"), BAD, ids=[f"{i}-{n}" for i, (_, n) in enumerate(BAD)])
def test_bad_input_raises_value_error_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_matches_torch_categorical_and_gumbel():
    torch = pytest.importorskip("torch")
    logits = np.array([0.3, -1.2, 2.0, 0.0, 0.7])
    torch.manual_seed(0)
    ref = torch.distributions.Categorical(logits=torch.tensor(logits)).sample((50_000,)).numpy()
    ours = gumbel_max_sample(logits, np.random.default_rng(0), size=50_000)
    # two-sample chi-square (contingency table) at alpha = 1e-3: same distribution as torch's sampler
    table = np.stack([np.bincount(ref, minlength=5), np.bincount(ours, minlength=5)])
    assert stats.chi2_contingency(table).pvalue > 1e-3
    x = np.linspace(-5, 20, 101)
    t = torch.distributions.Gumbel(torch.tensor(1.5), torch.tensor(2.0)).log_prob(torch.tensor(x)).numpy()
    # torch builds it as a transformed distribution: agreement to ~2e-9 absolute
    np.testing.assert_allclose(gumbel_logpdf(x, 1.5, 2.0), t, rtol=0, atol=1e-8)
