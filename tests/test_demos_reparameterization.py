"""Demos of notebooks/05_reparameterization.ipynb: every slider redraws, Play spans the range, inputs are checked."""

import numpy as np
import pytest

from lectures_lib.demos.reparameterization import (
    make_gaussian_reparam_demo,
    make_gradient_variance_demo,
    make_lognormal_demo,
    plot_gradient_sampling,
    plot_sgd_race,
)

BUILDERS = {
    make_gradient_variance_demo: {"theta": -0.5, "a": 1.5, "b": -0.25, "n": 16},
    make_lognormal_demo: {"loc": 0.7, "scale": 0.9},
    make_gaussian_reparam_demo: {"loc": -1.0, "scale": 1.0},
}
PLAYED = {make_gradient_variance_demo: ("theta", -2.0, 2.0), make_lognormal_demo: ("scale", 0.2, 1.0),
          make_gaussian_reparam_demo: ("scale", 0.25, 2.5)}


@pytest.mark.parametrize("build", list(BUILDERS))
def test_every_slider_redraws(build):
    demo = build(np.random.default_rng(0))
    for name, value in BUILDERS[build].items():
        before = (demo.image.value, demo.summary.value)
        demo.sliders[name].value = value
        assert demo.image.value != before[0], name
        assert demo.summary.value != before[1], name


@pytest.mark.parametrize("build", list(PLAYED))
def test_play_button_spans_the_main_slider(build):
    demo = build(np.random.default_rng(0))
    name, lo, hi = PLAYED[build]
    control = demo.sliders[name]
    assert (control.min, control.max) == (lo, hi)
    assert demo.play.min == 0 and demo.play.max == round((hi - lo) / control.step)
    demo.play.value = demo.play.max  # the last frame puts the slider at its maximum
    assert control.value == pytest.approx(hi)


def test_same_seed_same_picture():
    a, b = (make_gradient_variance_demo(np.random.default_rng(3)) for _ in range(2))
    assert a.summary.value == b.summary.value


def test_gradient_demo_summary_matches_exact_std():
    demo = make_gradient_variance_demo(np.random.default_rng(0), theta=0.0, a=1.0, b=0.0, n=4)
    # exact std of a 4-sample average at mu = 0: score sqrt(15/4) = 1.936, pathwise sqrt(4/4) = 1
    assert "1.936 exact" in demo.summary.value and "1.000 exact" in demo.summary.value


@pytest.mark.parametrize(("build", "kwargs", "match"), [
    (make_gradient_variance_demo, {"rng": 1}, "rng must be a numpy.random.Generator"),
    (make_gradient_variance_demo, {"n": 100, "n_max": 64}, "n must be <= n_max"),
    (make_gradient_variance_demo, {"theta": 3.0}, "theta must lie in"),
    (make_gradient_variance_demo, {"a": np.nan}, "a must not contain NaN"),
    (make_gradient_variance_demo, {"repeats": 5}, "repeats must be an integer >= 10"),
    (make_lognormal_demo, {"scale": 0.0}, "scale must lie in"),
    (make_lognormal_demo, {"n": 2.5}, "n must be an integer"),
    (make_gaussian_reparam_demo, {"loc": 5.0}, "loc must lie in"),
])
def test_builder_validation(build, kwargs, match):
    args = {"rng": np.random.default_rng(0)} | kwargs
    with pytest.raises(ValueError, match=match):
        build(**args)


def test_pure_plot_functions_return_their_axes():
    ax = plot_gradient_sampling(np.zeros(4), np.ones(4), 0.5, lim=(-2.0, 2.0))
    assert ax.get_xlim() == (-2.0, 2.0) and len(ax.get_legend().get_texts()) == 3
    ax = plot_sgd_race(np.zeros((5, 3)), np.ones((5, 3)), -1.0)
    assert len(ax.lines) == 3
