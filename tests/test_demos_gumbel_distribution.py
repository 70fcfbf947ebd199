"""The demos of notebook 02 redraw when a slider moves, keep their noise fixed, and validate input."""

from __future__ import annotations

import numpy as np
import pytest

from lectures_lib.demos.gumbel_distribution import (
    gaussian_max_norming,
    make_extreme_value_demo,
    make_loc_scale_demo,
    plot_loc_scale,
)
from lectures_lib.gumbel import gumbel_cdf


def _small(name):
    rng = np.random.default_rng(0)
    if name == "loc_scale":
        return make_loc_scale_demo(rng, n_samples=5000)
    return make_extreme_value_demo(rng, reps=500, max_log2_n=6)


@pytest.mark.parametrize("name", ["loc_scale", "extreme_value"])
def test_every_slider_redraws_image_and_summary(name):
    demo = _small(name)
    for control in demo.sliders.values():
        before = (demo.image.value, demo.summary.value)
        control.value = control.max if control.value != control.max else control.min
        assert demo.image.value != before[0]
        assert demo.summary.value != before[1]
        assert np.isfinite(demo.last_draw_ms)


def test_fixed_noise_gives_the_same_frame_when_a_slider_comes_back():
    demo = _small("loc_scale")
    first = demo.image.value
    demo.sliders["loc"].value = 2.0
    demo.sliders["loc"].value = 0.0
    assert demo.image.value == first
    assert _small("loc_scale").image.value == first  # same seed, same picture


def test_play_buttons_span_their_slider():
    demo = _small("loc_scale")
    assert (demo.play.min, demo.play.max) == (0, 60)  # mu from -3 to 3 in steps of 0.1
    demo.play.value = 60
    assert demo.sliders["loc"].value == pytest.approx(3.0)
    ev = _small("extreme_value")
    assert (ev.play.min, ev.play.max) == (0, 5)  # log2 n from 1 to 6
    ev.play.value = 5
    assert ev.sliders["log2_n"].value == 6 and "n = 64" in ev.summary.value


def test_loc_scale_summary_matches_theory():
    demo = make_loc_scale_demo(np.random.default_rng(1), n_samples=200_000)
    demo.sliders["scale"].value = 2.0
    demo.sliders["loc"].value = 1.0
    # sample mean 1 + 2 E[Z]: standard error 2 * sqrt(pi^2/6 / N) = 0.0057; 5 SE false-fails w.p. 6e-7
    sample_mean = float(demo.summary.value.split("sample mean ")[1].split()[0])
    assert abs(sample_mean - (1.0 + 2.0 * np.euler_gamma)) < 5 * 2 * np.sqrt(np.pi**2 / 6 / 200_000)
    # sample variance: Var Z = pi^2/6 and kurtosis 5.4, so SE = 4 (pi^2/6) sqrt(4.4 / N) = 0.0308
    sample_var = float(demo.summary.value.split("sample variance ")[1].split()[0])
    assert abs(sample_var - 4 * np.pi**2 / 6) < 5 * 4 * np.pi**2 / 6 * np.sqrt(4.4 / 200_000)


def test_extreme_value_summary_gap_shrinks():
    demo = _small("extreme_value")
    gaps = []
    for k in (1, 6):
        demo.sliders["log2_n"].value = k
        gaps.append(float(demo.summary.value.split("Exp ")[1].split(",")[0]))
    assert gaps[1] < gaps[0] / 10  # Exp: gap ~ 0.54 / n


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"rng": 0}, "rng"), ({"rng": np.random.default_rng(0), "n_samples": 10}, "n_samples"),
    ({"rng": np.random.default_rng(0), "n_samples": 10**7}, "n_samples"),
    ({"rng": np.random.default_rng(0), "n_samples": True}, "n_samples"),
])
def test_loc_scale_builder_validates(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_loc_scale_demo(**kwargs)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"rng": None}, "rng"), ({"rng": np.random.default_rng(0), "reps": 5}, "reps"),
    ({"rng": np.random.default_rng(0), "reps": 10**6}, "reps"),
    ({"rng": np.random.default_rng(0), "max_log2_n": 1}, "max_log2_n"),
    ({"rng": np.random.default_rng(0), "max_log2_n": 20}, "max_log2_n"),
    ({"rng": np.random.default_rng(0), "max_log2_n": 3.0}, "max_log2_n"),
])
def test_extreme_value_builder_validates(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_extreme_value_demo(**kwargs)


def test_gaussian_norming_constants():
    a, b = gaussian_max_norming([2, 1000, 10**6])
    np.testing.assert_allclose(b[0], 0.0, atol=1e-15)
    # n (1 - Phi(b_n)) = 1 by construction; the normed max CDF approaches the Gumbel CDF slowly
    from scipy import stats

    np.testing.assert_allclose(np.array([2, 1000, 10**6]) * stats.norm.sf(b), 1.0, rtol=1e-12)
    x = np.linspace(-2, 5, 200)
    gaps = [np.abs(np.exp(n * stats.norm.logcdf(bn + an * x)) - gumbel_cdf(x)).max()
            for n, an, bn in zip([1000, 10**6], a[1:], b[1:], strict=True)]
    assert gaps[1] < gaps[0] < 0.05
    for bad in (1, 2.5, np.inf, [3, 0]):
        with pytest.raises(ValueError, match="n must"):
            gaussian_max_norming(bad)


def test_plot_loc_scale_validates_and_normalises():
    counts, edges = np.array([1.0, 2.0, 1.0]), np.array([-1.0, 0.0, 1.0, 2.0])
    ax = plot_loc_scale(counts, edges, 4, 1.0, 2.0)
    bars = ax.patches[0]
    heights, x_edges = bars.get_data().values, bars.get_data().edges
    assert np.sum(heights * np.diff(x_edges)) == pytest.approx(1.0)  # all 4 samples drawn: area 1
    np.testing.assert_allclose(x_edges, 1.0 + 2.0 * edges)
    with pytest.raises(ValueError, match="scale"):
        plot_loc_scale(counts, edges, 4, 0.0, 0.0)
    with pytest.raises(ValueError, match="loc"):
        plot_loc_scale(counts, edges, 4, np.nan, 1.0)
    with pytest.raises(ValueError, match="z_edges"):
        plot_loc_scale(counts, edges[::-1], 4, 0.0, 1.0)
    with pytest.raises(ValueError, match="n_total"):
        plot_loc_scale(counts, edges, 0, 0.0, 1.0)
