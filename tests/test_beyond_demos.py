"""The demo and figures of notebooks/09_beyond_the_slides.ipynb: every slider redraws, the numbers shown
are the estimators' (checked against the exact toy), validation."""

import numpy as np
import pytest
from exact_reference import iid_outcomes

from lectures_lib.control_variates import rloo_grad
from lectures_lib.demos.beyond import (
    ESTIMATORS,
    EstimatorStats,
    estimator_stats,
    make_estimator_demo,
    per_sample_estimates,
    plot_variance_and_bias,
)
from lectures_lib.exact_toy import exact_toy
from lectures_lib.rebar import draw_relax_noise, fit_control_coefficients, relax_grads


@pytest.fixture(scope="module")
def demo():
    return make_estimator_demo(np.random.default_rng(0), m_train=1000, m_eval=2000)


def test_every_slider_changes_figure_and_summary(demo):
    assert demo.check_reacts(tau=1.5).startswith("τ = 1.50")
    assert "n = 16" in demo.check_reacts(n=16)
    assert demo.play is not None and demo.play.max == round((2.0 - 0.05) / 0.05)


def test_demo_is_reproducible():
    a = make_estimator_demo(np.random.default_rng(3), m_train=200, m_eval=400)
    b = make_estimator_demo(np.random.default_rng(3), m_train=200, m_eval=400)
    assert a.summary.value == b.summary.value


def test_stats_variance_scales_with_n_and_rloo_is_grouped():
    toy = exact_toy([-0.5, 0.2, 0.6])
    est = per_sample_estimates(toy.theta, 0.45, 0.5, 4, np.random.default_rng(1), m_train=500, m_eval=4000)
    assert list(est) == list(ESTIMATORS) and est["RLOO"].shape == (1000, 3)
    s4, s8 = estimator_stats(toy, est, 4), estimator_stats(toy, est, 8)
    i = ESTIMATORS.index("REINFORCE")
    assert np.isclose(s4.variance[i], 2 * s8.variance[i])
    assert np.isclose(s4.variance[i], est["REINFORCE"].var(0, ddof=1).sum() / 4)
    assert np.allclose(s4.bias, s8.bias)
    # REINFORCE's exact per-sample variance, summed over the parameters, from the enumeration
    exact = toy.moments(toy.costs[:, None] * toy.scores)[1].sum()
    assert abs(est["REINFORCE"].var(0, ddof=1).sum() / exact - 1) < 0.1


def test_reported_variances_are_those_of_one_n_sample_estimate():
    """REINFORCE's n-sample variance is Var[one] / n; RLOO's estimates already average n samples, so theirs is
    reported as measured (dividing it by n again would make RLOO look n times better).  Both against the exact
    values, by enumeration of the 8^n joint outcomes (n = 4: sampling error of the measured variances ~5%)."""
    toy, n = exact_toy([-0.5, 0.2, 0.6]), 4
    est = per_sample_estimates(toy.theta, 0.45, 0.5, n, np.random.default_rng(5), m_train=200, m_eval=16_000)
    stats = dict(zip(est, estimator_stats(toy, est, n).variance, strict=True))
    idx, probs = iid_outcomes(toy.probs, n)
    rloo = rloo_grad(toy.costs[idx], toy.scores[idx])                               # (8^n, D): every outcome
    exact_rloo = (probs @ (rloo - probs @ rloo) ** 2).sum()
    exact_reinforce = toy.moments(toy.costs[:, None] * toy.scores)[1].sum() / n
    assert abs(stats["RLOO"] / exact_rloo - 1) < 0.2, (stats["RLOO"], exact_rloo)
    assert abs(stats["REINFORCE"] / exact_reinforce - 1) < 0.2, (stats["REINFORCE"], exact_reinforce)


def test_control_coefficients_are_fitted_on_the_training_draws_not_on_the_measured_ones():
    """A phi fitted on the draws it is evaluated on depends on them, and the estimate is no longer unbiased: the
    demo fits on ``train`` and evaluates on ``ev``, exactly (deterministic: the same draws give the same numbers)."""
    theta, tau = np.array([-0.5, 0.2, 0.6]), 0.5
    train, ev = (draw_relax_noise(theta, np.random.default_rng(s), 300) for s in (6, 7))
    est = per_sample_estimates(theta, 0.45, tau, 4, None, noise=(train, ev))
    for name, rebar in (("REBAR", True), ("RELAX", False)):
        right = relax_grads(ev, 0.45, tau, fit_control_coefficients(train, 0.45, tau, rebar=rebar))
        in_sample = relax_grads(ev, 0.45, tau, fit_control_coefficients(ev, 0.45, tau, rebar=rebar))
        assert np.array_equal(est[name], right) and not np.allclose(est[name], in_sample), name


def test_biased_estimators_show_bias_beyond_the_resolution():
    toy = exact_toy([-0.5, 0.2, 0.6])
    est = per_sample_estimates(toy.theta, 0.45, 1.0, 4, np.random.default_rng(2), m_train=2000, m_eval=20000)
    s = estimator_stats(toy, est, 4)
    for name in ("Gumbel-softmax", "straight-through"):
        assert s.bias[ESTIMATORS.index(name)] > 2 * s.resolution.max()
    for name in ("REINFORCE", "RLOO", "REBAR", "RELAX"):
        assert s.bias[ESTIMATORS.index(name)] < s.resolution.max()


def test_plot_is_pure_and_labelled():
    ax_v, ax_b = plot_variance_and_bias(EstimatorStats(np.ones(6), np.zeros(6), np.full(6, 0.01)))
    assert ax_v.get_yscale() == "log" and ax_v.get_ylabel() and ax_b.get_ylabel()
    assert [t.get_text() for t in ax_b.get_xticklabels()] == list(ESTIMATORS)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: make_estimator_demo(None), "rng must be"),
    (lambda: make_estimator_demo(np.random.default_rng(0), m_eval=10), "m_eval must be an integer >= 100"),
    (lambda: per_sample_estimates([0.0], 0.45, -1.0, 4, np.random.default_rng(0)), "temperature must be"),
    (lambda: estimator_stats(exact_toy([0.0]), {}, 1), "n must be an integer >= 2"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()
