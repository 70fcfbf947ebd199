"""Tests of the interactive demos of notebooks/01_motivation.ipynb (no browser needed)."""

import re

import numpy as np
import pytest

from lectures_lib import motivation as mot
from lectures_lib.demos import motivation as dm
from lectures_lib.widgets import Demo


@pytest.fixture(scope="module")
def gan():
    return mot.make_toy_gan(np.random.default_rng(0))


@pytest.fixture(scope="module")
def gumbel(gan):
    return mot.draw_gumbel_noise(gan, np.random.default_rng(1), 6)


def _shown_text(summary_html: str) -> str:
    """What a student reads: the summary without its HTML tags."""
    return re.sub(r"<[^>]+>", "", summary_html)


def _moves(demo, name, value):
    before = (demo.image.value, demo.summary.value)
    demo.sliders[name].value = value
    return demo.image.value != before[0] and demo.summary.value != before[1]


def test_gan_losses_demo_moves_and_reports_kl():
    demo = dm.make_gan_losses_demo()
    assert isinstance(demo, Demo) and demo.image.value and demo.summary.value
    assert _moves(demo, "mu_g", 3.0)
    assert "= 4.500" in demo.summary.value  # KL(N(3, 1) || N(0, 1)) = 9/2 by the trapezoid rule
    # subscripts as <sub>, never a raw underscore (p_g) in what the student reads
    assert "_" not in _shown_text(demo.summary.value) + demo.sliders["mu_g"].description, demo.summary.value
    assert _moves(demo, "mu_g", -2.0)


def test_gan_losses_demo_play_range():
    demo = dm.make_gan_losses_demo(loc_max=5.0)
    mu = demo.sliders["mu_g"]
    assert demo.play.min == 0 and demo.play.max == round((mu.max - mu.min) / mu.step) == 100
    demo.play.value = demo.play.max
    assert mu.value == pytest.approx(mu.max)


@pytest.mark.parametrize("kwargs, name", [
    ({"scale_data": 0.0}, "scale_data"), ({"scale_g": -1.0}, "scale_g"), ({"loc_data": np.nan}, "loc_data"),
    ({"loc_max": 0.0}, "loc_max"), ({"n_grid": 10}, "n_grid"), ({"loc_g": 7.0}, "loc_g"),
    ({"loc_g": np.inf}, "loc_g"),
])
def test_gan_losses_demo_validation(kwargs, name):
    with pytest.raises(ValueError, match=name):
        dm.make_gan_losses_demo(**kwargs)


def test_discrete_demo_moves_each_slider(gan, gumbel):
    demo = dm.make_discrete_generator_demo(np.random.default_rng(2), gan=gan, gumbel=gumbel, j="b_o[0]")
    assert _moves(demo, "theta_j", 3.5)
    assert _moves(demo, "noise", 4)
    assert _moves(demo, "theta_j", -3.5)
    assert "tokens k = (" in demo.summary.value and "E[D] = " in demo.summary.value
    assert "_" not in _shown_text(demo.summary.value), demo.summary.value  # subscripts as <sub>, not raw


def test_discrete_demo_summary_numbers_are_right(gan, gumbel):
    j = gan.param_names.index("b_o[0]")
    demo = dm.make_discrete_generator_demo(np.random.default_rng(2), gan=gan, gumbel=gumbel, j=j)
    demo.sliders["theta_j"].value = 1.0
    theta = mot.with_parameter(gan.theta, j, 1.0)
    tokens = mot.sample_tokens(gan, gumbel[0], theta)
    assert f"tokens k = {tuple(int(k) for k in tokens)}" in demo.summary.value
    assert f"E[D] = {mot.expected_discriminator(gan, theta):.3f}" in demo.summary.value


def test_discrete_demo_play_range(gan, gumbel):
    demo = dm.make_discrete_generator_demo(np.random.default_rng(2), gan=gan, gumbel=gumbel, j=0, lo=-2.0, hi=2.0,
                                           step=0.1)
    theta_j = demo.sliders["theta_j"]
    assert (theta_j.min, theta_j.max, theta_j.step) == (-2.0, 2.0, 0.1)
    assert demo.play.min == 0 and demo.play.max == 40
    demo.play.value = 40
    assert theta_j.value == pytest.approx(2.0)
    assert demo.sliders["noise"].max == gumbel.shape[0] - 1


@pytest.mark.parametrize("kwargs, name", [
    ({"j": 55}, "j"), ({"j": -1}, "j"), ({"lo": 1.0, "hi": 1.0}, "lo"), ({"step": 0.0}, "step"),
    ({"fine": 0}, "fine"), ({"h": -1e-4}, "h"), ({"gumbel": np.zeros((3, 3))}, "gumbel"),
    ({"gumbel": np.zeros((2, 3, 4))}, "gumbel"), ({"gan": "not a gan"}, "gan"), ({"j": "b_x[9]"}, "j"),
    ({"rng": 0}, "rng"),
])
def test_discrete_demo_validation(gan, gumbel, kwargs, name):
    args = {"rng": np.random.default_rng(2), "gan": gan, "gumbel": gumbel, "j": 0, **kwargs}
    with pytest.raises(ValueError, match=name):
        dm.make_discrete_generator_demo(**args)


def test_discrete_demo_builds_from_rng_alone_reproducibly():
    a = dm.make_discrete_generator_demo(np.random.default_rng(5), n_noise=4)
    b = dm.make_discrete_generator_demo(np.random.default_rng(5), n_noise=4)
    assert a.sliders["noise"].max == 3
    assert a.image.value == b.image.value and a.summary.value == b.summary.value


def test_plot_helpers_return_their_axes(gan):
    d = np.linspace(0.01, 0.99, 50)
    ax0, ax1 = dm.plot_generator_losses(d)
    assert len(ax0.lines) == 3 and ax1.get_ylabel().startswith("∂ℓ/∂s")
    values = np.linspace(-1, 1, 5)
    ax = dm.plot_d_vs_theta(values, np.array([[0.2, 0.2, 0.5, 0.5, 0.5]]), np.linspace(0.3, 0.4, 5))
    lo, hi = ax.get_ylim()
    assert lo < 0.2 and hi > 0.5
    ax = dm.plot_derivatives(values, np.zeros(4), np.zeros(5))
    assert ax.get_yscale() == "symlog"
