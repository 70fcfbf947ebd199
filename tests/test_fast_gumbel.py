"""The fast forms of lectures_lib.fast_gumbel give what the slides' formulas give: the same Gumbel-max index from the
same uniforms (draw for draw), and Gumbel-softmax samples of the same law, within the stated float32 error."""


import numpy as np
import pytest
from scipy import stats

from lectures_lib import fast_gumbel as fg
from lectures_lib.concrete import gumbel_softmax_sample
from lectures_lib.gumbel import gumbel_max_sample, softmax

TINY = np.finfo(np.float64).tiny


def _race_reference(logits, u):
    """argmin_i -log(U_i) exp(m - l_i) over every category, in float64: what the screen must reproduce."""
    top = logits.max(axis=-1, keepdims=True)
    return fg.race_scores(logits, top, u).argmin(axis=-1)


def _screened(logits, u):
    out, top, work = np.empty(u.shape[:-1], dtype=np.intp), logits.max(axis=-1, keepdims=True), {}
    fg.race_argmin(logits, top, fg.race_rates(logits, top, work), u, out, work)
    return out


ROWS = {
    "normal": lambda rng, K: rng.normal(size=(40, K)),
    "spread 1e4": lambda rng, K: rng.normal(size=(40, K)) * 1e4,
    "one dominant": lambda rng, K: np.where(np.arange(K) == 3, 30.0, rng.normal(size=(40, K))),
    "all equal": lambda rng, K: np.zeros((40, K)),
    "near ties": lambda rng, K: np.round(rng.normal(size=(40, K)), 1) + 1e-13 * rng.normal(size=(40, K)),
    "-inf holes": lambda rng, K: np.where(rng.random((40, K)) < 0.7, -np.inf, rng.normal(size=(40, K))),
    "gaps beyond float32 exp": lambda rng, K: rng.choice([0.0, -80.0, -95.0, -700.0, -1e30], size=(40, K)),
}


@pytest.mark.parametrize("kind", list(ROWS))
@pytest.mark.parametrize("K", [2, fg.SCREEN_MIN_K - 1, fg.SCREEN_MIN_K, 100, 700])
def test_screened_race_is_the_float64_race_draw_for_draw(kind, K):
    rng = np.random.default_rng(K)
    logits = ROWS[kind](rng, K)
    logits[:, 0] = np.maximum(logits[:, 0], -1.0) if kind == "-inf holes" else logits[:, 0]  # no dead row
    u = rng.random((30, 40, K))
    np.testing.assert_array_equal(_screened(logits, u), _race_reference(logits, u))


def test_screen_keeps_the_winner_at_extreme_uniforms():
    # U = 0 (never drawn), the smallest uniforms, and the largest below 1 (the winners), in every position
    K = 64
    special = np.array([0.0, TINY, 1e-300, 0.5, 1 - 2**-25, 1 - 2**-40, 1 - 2**-53])
    rng = np.random.default_rng(1)
    u = np.where(rng.random((200, 8, K)) < 0.3, rng.choice(special, size=(200, 8, K)), rng.random((200, 8, K)))
    logits = rng.normal(size=(8, K)) * np.array([0.0, 1, 5, 50, 1e3, 1e5, 1e-9, 3])[:, None]
    np.testing.assert_array_equal(_screened(logits, u), _race_reference(logits, u))


def test_library_sampler_equals_argmax_of_logits_plus_gumbel_on_the_same_uniforms():
    # the slides' form, evaluated as written, for K on both sides of the screen's threshold
    # (one block of rows, so the uniforms are consumed in C order of (draws, rows, K))
    for K, size in ((5, (3000,)), (300, (20,)), (2048, ())):
        logits = np.random.default_rng(K).normal(size=(7, K)) * 3
        u = np.random.default_rng(2).random((*size, 7, K))
        with np.errstate(divide="ignore"):
            expected = np.argmax(logits - np.log(-np.log(u)), axis=-1)
        np.testing.assert_array_equal(gumbel_max_sample(logits, np.random.default_rng(2), size=size), expected)


def test_gumbel_max_law_on_the_screened_path():
    # chi-square goodness of fit at alpha = 1e-3 (a correct sampler fails with probability 1e-3 for a fresh seed)
    logits = np.random.default_rng(0).normal(size=40)  # K = 40 >= SCREEN_MIN_K: the float32 screen is used
    assert logits.size >= fg.SCREEN_MIN_K
    n = 200_000
    counts = np.bincount(gumbel_max_sample(logits, np.random.default_rng(3), size=n), minlength=40)
    assert stats.chisquare(counts, n * softmax(logits)).pvalue > 1e-3


def test_float32_rates_within_the_screens_slack():
    # exp(m - l) in float32, from m - l rounded to float32: within 40 times less than SLACK's widening, up to 88.7
    x = np.concatenate([np.linspace(0, 88.7, 400_001), np.random.default_rng(0).exponential(10, 100_000)])
    x = x[x <= 88.7]
    rates = fg.race_rates(-x[None, :], np.zeros((1, 1)), {})[0].astype(np.float64)
    assert np.all(np.abs(rates / np.exp(x) - 1) <= (float(fg.SLACK) - 1) / 40)


def test_float32_exp_within_the_promised_error():
    x = np.concatenate([np.linspace(-87.3, 0, 400_001), -np.random.default_rng(1).exponential(5, 100_000)])
    x = x[x >= -87.3]
    y32 = np.exp(x.astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(y32 - np.exp(x)) <= fg.EXP32_RTOL * (1 + np.abs(x)) * np.exp(x))


@pytest.mark.parametrize("tau", [0.1, 0.5, 2.0])
def test_gumbel_softmax_has_the_law_of_the_slides_form(tau):
    # Two-sample Kolmogorov-Smirnov test of each coordinate at alpha = 1e-3 (false-failure probability about 3e-3
    # for the three coordinates of a fresh seed): the library's samples (E drawn directly) against the slides'
    # three lines, softmax((mu + G) / tau) with G = -log(-log U)
    mu, n = np.array([1.0, 0.0, -1.5]), 20_000
    ours = gumbel_softmax_sample(mu, tau, np.random.default_rng(5), size=n)
    u = np.random.default_rng(6).random((n, 3))
    slides = softmax((mu - np.log(-np.log(u))) / tau)
    for k in range(3):
        assert stats.ks_2samp(ours[:, k], slides[:, k]).pvalue > 1e-3, k


def test_gumbel_softmax_without_float32_underflow():
    # tiny tau: most weights are below float32's range, none may become 0 where float64 keeps them
    logits = np.array([[0.0, -0.5, -1.0, -3.0, -8.0]])
    for tau in (0.005, 0.02, 0.3):
        y = gumbel_softmax_sample(logits, tau, np.random.default_rng(7), size=500)
        e = np.random.default_rng(7).standard_exponential((500, 1, 5))
        ref = softmax((logits - np.log(e)) / tau)
        assert np.array_equal(y > 0, ref > 0)
        np.testing.assert_allclose(y.sum(axis=-1), 1.0, atol=1e-14)
        ok = ref > 0
        bound = fg.EXP32_RTOL * (1 + np.abs(np.log(ref[ok] / ref.max(axis=-1, keepdims=True).repeat(5, -1)[ok])))
        assert np.all(np.abs(y[ok] - ref[ok]) <= bound * ref[ok])


def test_an_exponential_draw_of_zero_takes_the_weight_but_never_from_a_minus_inf_logit():
    class ZeroFirst(np.random.Generator):  # the ziggurat's 2^-53 event: E = 0 exactly
        def standard_exponential(self, size=None, dtype=np.float64, method="zig", out=None):
            out = super().standard_exponential(size, dtype, method, out)
            out.reshape(-1)[::3] = 0.0
            return out

    y = gumbel_softmax_sample([0.0, -np.inf, 1.0], 0.5, ZeroFirst(np.random.PCG64(0)), size=9)
    assert np.isfinite(y).all() and np.allclose(y.sum(-1), 1) and np.all(y[:, 1] == 0)
    e = ZeroFirst(np.random.PCG64(0)).standard_exponential((9, 3))
    for row, weights in zip(e, y, strict=True):  # G = -log 0 = +inf wins outright where the logit is finite
        finite_zero = (row == 0) & (np.arange(3) != 1)
        if finite_zero.any():
            np.testing.assert_allclose(weights, finite_zero / finite_zero.sum())
    with pytest.raises(ValueError, match="all -inf"):  # a dead row is still refused, whatever the draws
        gumbel_softmax_sample([-np.inf, -np.inf], 0.5, ZeroFirst(np.random.PCG64(0)))


def test_screen_keeps_winners_in_near_ties():
    # Two categories whose race times differ by less than float32 can tell (1e-6 relative), with uniforms so close
    # to 1 that the bounds (1 - U) <= -log U <= (1 - U) / U are tight: only SLACK keeps the true winner in the race.
    rng, n, K = np.random.default_rng(7), 4000, 32
    logits = np.full((1, K), -60.0)
    logits[0, 3], logits[0, 11] = 0.0, -rng.uniform(0, 1)
    u = np.full((n, 1, K), 0.5)
    e_j = 10.0 ** rng.uniform(-9, -6, n)  # the time of category 3 (rate 1); U = exp(-E) still resolves 1e-7 of E
    u[:, 0, 3] = np.exp(-e_j)
    ratio = 1 + rng.uniform(-1e-6, 1e-6, n)  # category 11 arrives at e_j * ratio
    u[:, 0, 11] = np.exp(-e_j * ratio * np.exp(logits[0, 11]))
    np.testing.assert_array_equal(_screened(logits, u), _race_reference(logits, u))
    assert 0.3 < np.mean(_race_reference(logits, u) == 11) < 0.7  # both categories win in about half the draws
