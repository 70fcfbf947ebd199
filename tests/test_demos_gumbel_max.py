"""lectures_lib.demos.gumbel_max: the logits demo redraws, animates, validates and stays fast."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from lectures_lib import softmax
from lectures_lib.demos.gumbel_max import (
    LOGIT_RANGE,
    argmax_frequencies,
    fit_summary,
    make_logits_demo,
    plot_logits_frame,
)


@pytest.fixture
def demo():
    return make_logits_demo(np.random.default_rng(0), n=1000, n_max=5000)


@pytest.mark.parametrize("name, value", [("mu_1", -2.0), ("mu_2", 2.5), ("mu_3", 0.3), ("mu_4", 3.0),
                                         ("n", 5000), ("shared", True)])
def test_each_control_changes_image_and_summary(demo, name, value):
    png, text = demo.image.value, demo.summary.value
    demo.sliders[name].value = value
    assert demo.image.value != png and demo.summary.value != text
    assert demo.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_summary_reports_the_fit_and_the_shared_version(demo):
    assert "p-value" in demo.summary.value and "shared" not in demo.summary.value
    demo.sliders["shared"].value = True
    assert "One shared G: p-value = 1.4e-145, max |freq − p| = 0.402" in demo.summary.value


def test_play_animates_mu_1_over_its_whole_range(demo):
    play = demo.play
    assert (play.min, play.max) == (0, round((LOGIT_RANGE[1] - LOGIT_RANGE[0]) / 0.1))
    play.value = play.min
    assert demo.sliders["mu_1"].value == LOGIT_RANGE[0]
    play.value = play.max
    assert demo.sliders["mu_1"].value == pytest.approx(LOGIT_RANGE[1])


def test_fixed_noise_same_frame_for_same_values(demo):
    first = demo.image.value
    demo.sliders["mu_2"].value = 1.0
    demo.sliders["mu_2"].value = 0.0
    assert demo.image.value == first  # the noise is not redrawn: frames are reproducible



@pytest.mark.parametrize("kwargs, match", [
    ({"rng": 0}, "rng"),
    ({"logits": [0.0]}, "logits"),
    ({"logits": [0.0, 4.0]}, "logits"),
    ({"logits": [0.0, np.nan]}, "logits"),
    ({"logits": np.zeros(9)}, "logits"),
    ({"n": 150}, "n and n_max"),
    ({"n": 50}, "n must"),
    ({"n": 6000, "n_max": 5000}, "n and n_max"),
    ({"n_max": 300_000}, "n and n_max"),
    ({"shared": 1}, "shared"),
])
def test_builder_validates_its_arguments(kwargs, match):
    args = {"rng": np.random.default_rng(0), "n": 1000, "n_max": 5000, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_logits_demo(**args)


def test_argmax_frequencies_independent_vs_shared():
    g = np.random.default_rng(1).gumbel(size=(50_000, 3))
    mu = np.array([0.5, -0.2, 0.0])
    assert np.allclose(argmax_frequencies(mu, g), softmax(mu), atol=0.01)  # 4 sigma of 50,000 draws
    assert argmax_frequencies(mu, g, shared=True).tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("logits, noise, match", [
    ([0.0], np.zeros((2, 1)), "logits"),
    ([0.0, 1.0], np.zeros((2, 3)), "noise"),
    ([0.0, 1.0], np.zeros(2), "noise"),
    ([0.0, 1.0], np.full((2, 2), np.inf), "noise"),
])
def test_argmax_frequencies_validates(logits, noise, match):
    with pytest.raises(ValueError, match=match):
        argmax_frequencies(logits, noise)


def test_fit_summary_values_and_validation():
    p, gap = fit_summary([0.25, 0.75], [0.5, 0.5], 100)
    assert p < 1e-6 and gap == pytest.approx(0.25)
    with pytest.raises(ValueError, match="probs"):
        fit_summary([0.0, 1.0], [0.5, 0.5], 100)
    with pytest.raises(ValueError, match="distributions"):
        fit_summary([0.5, 0.5], [0.5, 0.6], 100)
    with pytest.raises(ValueError, match="n must"):
        fit_summary([0.5, 0.5], [0.5, 0.5], 0)


def test_plot_logits_frame_draws_on_given_axes_and_validates():
    ax = Figure().add_subplot()
    assert plot_logits_frame([0.2, 0.8], [0.3, 0.7], n=50, shared_freqs=[0.0, 1.0], ax=ax) is ax
    assert len(ax.patches) == 6 and ax.get_ylim() == (0.0, 1.3)
    with pytest.raises(ValueError, match="same length"):
        plot_logits_frame([0.2, 0.8], [1.0], n=5)
    with pytest.raises(ValueError, match="shared_freqs"):
        plot_logits_frame([0.2, 0.8], [0.3, 0.7], n=5, shared_freqs=[1.0])
