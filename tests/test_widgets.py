"""lectures_lib.widgets: sliders, Play buttons and Demo, driven from Python (no browser)."""

from __future__ import annotations

import numpy as np
import pytest

from lectures_lib.widgets import Demo, play_for, slider


def _line_demo(calls):
    def draw(ax, slope, n):
        calls.append((slope, n))
        x = np.linspace(0, 1, n)
        ax.plot(x, slope * x)
        ax.set_ylim(-3, 3)
        return f"slope = {slope:.2f}, n = {n}"

    controls = {"slope": slider(1.0, -3, 3, 0.5, "slope"), "n": slider(10, 2, 50, 1, "n", integer=True)}
    return Demo(draw, controls, play="slope")


def test_moving_a_slider_redraws_image_and_summary():
    calls = []
    demo = _line_demo(calls)
    first_png, first_text = demo.image.value, demo.summary.value
    assert first_png[:8] == b"\x89PNG\r\n\x1a\n" and first_text == "slope = 1.00, n = 10"
    demo.sliders["slope"].value = -2.0
    assert demo.image.value != first_png
    assert demo.summary.value == "slope = -2.00, n = 10"
    demo.sliders["n"].value = 3
    assert calls[-1] == (-2.0, 3)
    assert demo.last_draw_ms > 0


def test_play_steps_the_slider_and_follows_it():
    calls = []
    demo = _line_demo(calls)
    play = demo.play
    assert (play.min, play.max) == (0, 12)  # (3 - (-3)) / 0.5 frames
    assert play.value == 8  # slope 1.0 is frame 8
    play.value = 0
    assert demo.sliders["slope"].value == -3.0
    play.value = 12
    assert demo.sliders["slope"].value == 3.0
    demo.sliders["slope"].value = 0.5
    assert play.value == 7
    n_calls = len(calls)
    play.value = 8  # one frame is one redraw, not two (no float round-trip echo)
    assert len(calls) == n_calls + 1


def test_each_frame_clears_the_previous_one():
    demo = _line_demo([])
    for v in (0.0, 1.0, 2.0):
        demo.sliders["slope"].value = v
    assert len(demo.axes[0].lines) == 1


def test_demo_with_two_axes_passes_a_list():
    seen = []

    def draw(axes, a):
        seen.append(len(axes))
        for ax in axes:
            ax.plot([0, 1], [0, a])

    demo = Demo(draw, {"a": slider(1.0, 0, 2, 0.1, "a")}, ncols=2)
    assert seen == [2] and demo.play is None and demo.summary.value == ""


def test_validation():
    with pytest.raises(ValueError, match="step"):
        slider(1.0, 0, 2, 0.0, "x")
    with pytest.raises(ValueError, match="value"):
        slider(3.0, 0, 2, 0.1, "x")
    with pytest.raises(ValueError, match="draw"):
        Demo("not callable", {})
    with pytest.raises(ValueError, match="play"):
        Demo(lambda ax: None, {"a": slider(1.0, 0, 2, 0.1, "a")}, play="b")
    with pytest.raises(ValueError, match="ncols"):
        Demo(lambda ax: None, {}, ncols=0)


def test_play_for_integer_slider():
    s = slider(5, 0, 20, 5, "N", integer=True)
    play = play_for(s)
    assert (play.min, play.max, play.value) == (0, 4, 1)
    play.value = 3
    assert s.value == 15


def test_still_demo_redraws_only_the_moving_artists():
    from lectures_lib.widgets import StillDemo

    x = np.linspace(0, 1, 50)

    def setup(ax, slope):
        (line,) = ax.plot(x, slope * x)
        ax.set(ylim=(-3, 3), title="a still title")
        return [line]

    def update(moving, slope):
        moving[0].set_ydata(slope * x)
        return f"slope {slope:.1f}"

    demo = StillDemo(setup, update, {"slope": slider(1.0, -3, 3, 0.5, "slope")}, play="slope")
    first = demo.image.value
    demo.sliders["slope"].value = -2.0
    assert demo.image.value != first and demo.summary.value == "slope -2.0"
    demo.sliders["slope"].value = 1.0  # back to the start: the same picture, pixel for pixel
    assert demo.image.value == first
    with pytest.raises(ValueError, match="setup"):
        StillDemo(None, update, {})


def test_still_demo_rebuilds_the_still_parts_when_asked():
    from lectures_lib.widgets import StillDemo

    x = np.linspace(0, 1, 20)
    setups = []

    def setup(ax, slope, top):
        setups.append(top)
        (line,) = ax.plot(x, slope * x)
        ax.set_ylim(-top, top)
        return [line]

    def update(moving, slope, top):
        moving[0].set_ydata(slope * x)
        return f"{slope} {top}"

    controls = {"slope": slider(1.0, -3, 3, 0.5, "slope"), "top": slider(3.0, 1.0, 5.0, 1.0, "top")}
    demo = StillDemo(setup, update, controls, rebuild_on=("top",), play="slope")
    demo.sliders["slope"].value = 2.0
    assert setups == [3.0]  # the animated control reuses the still frame
    demo.sliders["top"].value = 5.0
    assert setups == [3.0, 5.0] and demo.axes[0].get_ylim() == (-5.0, 5.0)
    assert len(demo.axes[0].lines) == 1  # the old frame was cleared
    with pytest.raises(ValueError, match="rebuild_on"):
        StillDemo(setup, update, controls, rebuild_on=("nope",))
