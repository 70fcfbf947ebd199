"""Tests of the notebook-07 demos: every slider redraws, Play sweeps tau, builders validate."""

import numpy as np
import pytest

from lectures_lib.demos.gumbel_softmax import (
    make_binary_concrete_demo,
    make_gumbel_softmax_demo,
    simplex_grid,
    simplex_xy,
)

BUILDERS = {"simplex": lambda: make_gumbel_softmax_demo(n_samples=60),
            "binary": lambda: make_binary_concrete_demo(n_samples=200)}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_slider_changes_image_and_summary(name):
    demo = BUILDERS[name]()
    for key, control in demo.sliders.items():
        before = (demo.image.value, demo.summary.value)
        control.value = control.min if control.value != control.min else control.max
        assert demo.image.value != before[0], key
        assert demo.summary.value != before[1], key


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_play_sweeps_tau_from_005_to_5(name):
    demo = BUILDERS[name]()
    tau = demo.sliders["log10_tau"]
    assert demo.play is not None
    assert 10**tau.min == pytest.approx(0.05, rel=0.01) and 10**tau.max == pytest.approx(5.0, rel=0.01)
    assert (demo.play.min, demo.play.max) == (0, round((tau.max - tau.min) / tau.step))
    demo.play.value = demo.play.max
    assert tau.value == pytest.approx(tau.max)
    assert "τ = 5.0" in demo.summary.value


def test_samples_reach_the_corners_when_tau_is_small():
    demo = make_gumbel_softmax_demo(n_samples=200)
    demo.sliders["log10_tau"].value = -1.3
    small = demo.summary.value
    demo.sliders["log10_tau"].value = 0.7
    assert "max coordinate &gt; 0.99: 0%" in demo.summary.value
    assert "max coordinate &gt; 0.99: 0%" not in small


def test_fixed_noise_gives_the_same_frame_for_the_same_values():
    demo = make_gumbel_softmax_demo(n_samples=60)
    first = demo.summary.value
    demo.sliders["mu1"].value = 2.0
    demo.sliders["mu1"].value = 1.0
    assert demo.summary.value == first


def test_helpers():
    np.testing.assert_allclose(simplex_xy(np.eye(3)), [[0, 0], [1, 0], [0.5, np.sqrt(3) / 2]])
    grid = simplex_grid(10)
    assert grid.shape == (66, 3) and (grid > 0).all() and np.allclose(grid.sum(axis=1), 1)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: make_gumbel_softmax_demo(n_samples=5), ["n_samples", "5"]),
        (lambda: make_gumbel_softmax_demo(seed=-1), ["seed", "-1"]),
        (lambda: make_gumbel_softmax_demo(logits=(1.0, 2.0)), ["logits", "[1. 2.]"]),
        (lambda: make_gumbel_softmax_demo(logits=(9.0, 0.0, 0.0)), ["logits", "9."]),
        (lambda: make_gumbel_softmax_demo(log10_tau=2.0), ["log10_tau", "2.0"]),
        (lambda: make_binary_concrete_demo(logit_diff=np.nan), ["logit_diff", "nan"]),
        (lambda: make_binary_concrete_demo(logit_diff=4.0), ["logit_diff", "4."]),
        (lambda: make_binary_concrete_demo(log10_tau=-3.0), ["log10_tau", "-3.0"]),
        (lambda: simplex_xy([0.5, 0.5]), ["p", "(2,)"]),
        (lambda: simplex_grid(0), ["n", "0"]),
    ],
)
def test_builder_validation(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_plot_validation():
    from lectures_lib.demos.gumbel_softmax import plot_binary_concrete, plot_simplex

    with pytest.raises(ValueError, match="grid must have shape"):
        plot_simplex(log_density=np.zeros(5), grid=np.full((4, 3), 1 / 3))
    with pytest.raises(ValueError, match="same shape"):
        plot_binary_concrete([0.5], [0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="bins"):
        plot_binary_concrete([0.5], [0.0, 1.0], [1.0, 1.0], bins=0)


def test_redraws_do_not_pile_up_artists():
    demo = make_gumbel_softmax_demo(n_samples=60)
    ax = demo.axes[0]
    counts = (len(ax.collections), len(ax.lines), len(ax.texts))
    for value in (-1.0, -0.5, 0.0, 0.5):
        demo.sliders["log10_tau"].value = value
    assert (len(ax.collections), len(ax.lines), len(ax.texts)) == counts
    # the same values give the same picture (the noise is fixed, the frame is rebuilt from it)
    demo.sliders["log10_tau"].value = 0.0
    first = demo.image.value
    demo.sliders["log10_tau"].value = -0.5
    demo.sliders["log10_tau"].value = 0.0
    assert demo.image.value == first
