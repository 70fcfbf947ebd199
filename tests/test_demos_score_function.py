"""The score-function demo of notebooks/04_score_function.ipynb reacts to every control."""

from __future__ import annotations

import numpy as np
import pytest

from lectures_lib.demos.score_function import (
    make_score_function_demo,
    plot_estimate_histograms,
    plot_std_vs_mu,
)


@pytest.fixture(scope="module")
def demo():
    return make_score_function_demo(np.random.default_rng(0), n_estimates=300, n_max=50)


@pytest.mark.parametrize(("name", "value"), [("mu", -2.0), ("c", 7.0), ("N", 40)])
def test_each_slider_changes_image_and_summary(demo, name, value):
    before = (demo.image.value, demo.summary.value)
    demo.sliders[name].value = value
    assert demo.image.value != before[0]
    assert demo.summary.value != before[1]


def test_play_runs_over_mu(demo):
    slider = demo.sliders["mu"]
    assert demo.play is not None
    assert (demo.play.min, demo.play.max) == (0, round((slider.max - slider.min) / slider.step)) == (0, 24)
    demo.play.value = demo.play.max
    assert slider.value == pytest.approx(slider.max)
    demo.play.value = 0
    assert slider.value == pytest.approx(slider.min)


def test_noise_is_fixed_so_frames_repeat():
    d = make_score_function_demo(np.random.default_rng(1), n_estimates=200, n_max=20)
    first = d.summary.value
    d.sliders["mu"].value = 2.5
    d.sliders["mu"].value = 1.0  # back to the start: same noise, same estimates
    assert d.summary.value == first


def test_summary_reports_the_exact_gradient_and_unbiased_means():
    """At mu = 1.5, c = 0, N = 20 with 2000 estimates, both means are within 5 standard errors of 3.

    False-failure probability ~1e-6 per mean (normal approximation of a mean of 2000 estimates).
    """
    d = make_score_function_demo(np.random.default_rng(2), n_estimates=2000, n_max=20)
    d.sliders["N"].value = 20
    d.sliders["mu"].value = 1.5
    text = d.summary.value
    assert "2μ = <b>3.00</b>" in text
    numbers = [float(t.split(",")[0]) for t in text.split("mean ")[1:]]
    stds = [float(t.split(" ")[0].split("(")[0]) for t in text.split("std ")[1:]]
    for mean, std in zip(numbers, stds, strict=True):
        assert abs(mean - 3.0) < 5 * std / np.sqrt(2000)


def test_plot_functions_return_their_axes():
    ax = plot_estimate_histograms(np.zeros(10), np.ones(10), 0.5)
    assert ax.get_xlim() == (-20.0, 20.0) and ax.get_ylim() == (0.0, 1.0)
    ax2 = plot_std_vs_mu(np.linspace(-3, 3, 7), np.ones(7), np.full(7, 0.5), 0.0, 1.0, 0.5)
    assert ax2.get_yscale() == "log" and ax2.get_xlabel() == "μ"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"rng": 0}, "rng"), ({"n_estimates": 5}, "n_estimates"), ({"n_max": 1}, "n_max"),
     ({"n_max": 5000}, "n_max"), ({"sigma": 0.0}, "sigma"), ({"sigma": np.nan}, "sigma")],
)
def test_builder_validates_arguments(kwargs, name):
    args = {"rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=name):
        make_score_function_demo(**args)


def test_histograms_fit_their_frame_and_the_y_axis_has_numbers():
    """Issue 14: the leave-one-out histogram was cut off at the top, and the left panel had no y tick labels."""
    demo = make_score_function_demo(np.random.default_rng(0))
    for N in (2, 10):
        demo.sliders["N"].value = N
        for c in (-10.0, 10.0):
            demo.sliders["c"].value = c
            for mu in np.arange(-3.0, 3.01, 0.5):
                demo.sliders["mu"].value = mu
                art = {a.get_gid(): a for a in demo._moving}
                top = max(art["hist_loo"].get_ydata().max(), art["hist_none"].get_paths()[0].vertices[:, 1].max())
                assert top <= 1.0, (N, c, mu, top)
    # the y tick labels (true densities) are moving texts: they follow N and c without a full redraw
    def labels():
        return [a.get_text() for a in sorted((a for a in demo._moving if a.get_gid().startswith("ytick_")),
                                             key=lambda a: a.get_gid())]
    before = labels()
    assert before[0] == "0" and all(float(x) > 0 for x in before[1:]), before
    demo.sliders["N"].value = 50
    assert labels() != before and float(labels()[2]) > float(before[2])  # more samples: a taller, narrower peak
    assert _invisible(demo.axes[0])
    # no two legend entries look the same (colour and line style)
    lines = [h for h in demo.axes[0].figure.legends[0].legend_handles if hasattr(h, "get_color")]
    styles = [(h.get_color(), str(h.get_linestyle())) for h in lines]
    assert len(styles) == len(set(styles)), styles


def _invisible(ax) -> bool:
    """The axis' own y tick labels are transparent placeholders (the moving texts show the numbers)."""
    from matplotlib.colors import to_rgba

    return all(to_rgba(t.get_color())[3] == 0 for t in ax.get_yticklabels())


def test_moving_c_or_n_redraws_only_the_moving_parts():
    """c and N change the histograms' scale: the demo updates the tick texts instead of drawing the whole figure
    again (which took 110-170 ms a step, and stacked one more figure legend per step)."""
    demo = make_score_function_demo(np.random.default_rng(0), n_estimates=200, n_max=20)
    still = demo._still
    for c in (1.0, 2.0, 3.0):
        demo.sliders["c"].value = c
    demo.sliders["N"].value = 5
    assert demo._still is still and len(demo.figure.legends) == 1
