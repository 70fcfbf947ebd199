"""Sliders and Play buttons around pure plot functions.

A :class:`Demo` owns one matplotlib ``Figure`` (Agg, not pyplot, so nothing is displayed twice),
a set of sliders, and optionally a Play button that animates one slider.  Whenever a value
changes it clears the axes, calls the notebook's ``draw(axes, **values)`` (which calls pure plot
functions and returns a one-line summary), renders the figure to PNG and puts it in an
``ipywidgets.Image``.  Tests set ``demo.sliders["tau"].value`` in Python and read
``demo.image.value`` / ``demo.summary.value`` without a browser.

Introduced in ``notebooks/02_gumbel_distribution.ipynb`` (the loc/scale demo).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping

import ipywidgets as w
import matplotlib as mpl
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import _validate as check
from .plotting import RC, figure_alt_text


def slider(value: float, min: float, max: float, step: float, description: str, *, integer: bool = False,
           readout_format: str | None = None) -> w.ValueWidget:
    """A float (or int) slider with a readable label and live updates.

    Raises ``ValueError`` if ``value`` is outside ``[min, max]`` or ``step <= 0``.
    """
    if not step > 0:
        raise ValueError(f"step must be > 0, got {step!r}")
    if not min <= value <= max:
        raise ValueError(f"value must lie in [min, max] = [{min}, {max}], got {value!r}")
    cls = w.IntSlider if integer else w.FloatSlider
    kwargs = {} if integer else {"readout_format": readout_format or ".2f"}
    return cls(value=value, min=min, max=max, step=step, description=description, continuous_update=True,
               style={"description_width": "initial"}, layout=w.Layout(width="420px"), **kwargs)


def play_for(control: w.ValueWidget, *, interval: int = 150, description: str = "") -> w.Play:
    """A Play button that steps ``control`` from its min to its max, one ``step`` per frame.

    ``Play`` counts integer frames; the frame number is mapped to the slider's value with a
    kernel-side link (so Python tests and Voila see the same thing as the browser).
    """
    n_frames = round((control.max - control.min) / control.step)
    frame_of = lambda v: round((v - control.min) / control.step)  # noqa: E731
    play = w.Play(value=frame_of(control.value), min=0, max=n_frames, step=1, interval=interval,
                  description=description or f"Play {control.description}", repeat=True,
                  tooltip=f"animate {control.description}")

    def _to_control(change):
        if frame_of(control.value) != change["new"]:  # avoid a float round-trip redrawing twice
            control.value = min(control.max, control.min + change["new"] * control.step)

    def _to_play(change):
        play.value = frame_of(change["new"])

    play.observe(_to_control, "value")
    control.observe(_to_play, "value")
    return play


def _reset(ax) -> None:
    """Remove what the last frame drew, keeping the axis machinery.

    ``ax.clear()`` rebuilds every tick and copies the tick style (~15 ms a frame); removing the
    artists and re-enabling autoscale leaves the axes as a fresh ``draw`` expects them.
    """
    for artist in [*ax.lines, *ax.patches, *ax.collections, *ax.texts, *ax.images, *ax.artists, *ax.tables]:
        artist.remove()
    if ax.legend_ is not None:
        ax.legend_.remove()
    ax.set_title("")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.relim()
    ax.set_autoscale_on(True)
    ax.set_prop_cycle(None)


class Demo:
    """An interactive figure: ``draw(axes, **values) -> str`` redrawn whenever a control moves.

    Parameters
    ----------
    draw : callable
        ``draw(axes, **values)`` draws on the (already cleared) axes, using pure plot functions,
        and returns a short summary string (HTML allowed) shown under the figure.
    controls : mapping of name -> ipywidgets value widget
        Their ``.value`` is passed to ``draw`` as keyword arguments.
    play : str, optional
        Name of the control that gets a Play button.
    ncols, figsize : layout of the figure (``ncols`` side-by-side axes).
    interval : int
        Milliseconds between Play frames.

    Attributes
    ----------
    sliders, play, image, summary, widget
        The controls, the Play button (or ``None``), the PNG image widget, the summary HTML widget,
        and the assembled box that the notebook displays.
    last_draw_ms : float
        Time of the last redraw (draw + PNG render), for the benchmarks.
    """

    def __init__(self, draw: Callable[..., str | None], controls: Mapping[str, w.ValueWidget], *,
                 play: str | None = None, ncols: int = 1, figsize: tuple[float, float] = (7.5, 3.4),
                 interval: int = 150, dpi: int = 90):
        if not callable(draw):
            raise ValueError(f"draw must be callable, got {draw!r}")
        if play is not None and play not in controls:
            raise ValueError(f"play must name one of the controls {sorted(controls)}, got {play!r}")
        check.integer("ncols", ncols, minimum=1)
        self.draw = draw
        self.sliders = dict(controls)
        with mpl.rc_context(RC):
            self.figure = Figure(figsize=figsize, dpi=dpi)
            self.axes = self.figure.subplots(1, ncols, squeeze=False)[0].tolist()
        self._canvas = FigureCanvasAgg(self.figure)
        self.image = w.Image(format="png", layout=w.Layout(width=f"{figsize[0] * dpi:.0f}px"))
        self.summary = w.HTML()
        self.play = play_for(self.sliders[play], interval=interval) if play else None
        top = [self.play] if self.play else []
        self.widget = w.VBox([w.HBox(top), *self.sliders.values(), self.image, self.summary])
        for control in self.sliders.values():
            control.observe(self._on_change, "value")
        self.last_draw_ms = float("nan")
        self.redraw()

    @property
    def values(self) -> dict:
        return {name: c.value for name, c in self.sliders.items()}

    def _on_change(self, _change) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Clear the axes, call ``draw``, and publish the PNG and the summary."""
        start = time.perf_counter()
        with mpl.rc_context(RC):
            for ax in self.axes:
                _reset(ax)
            text = self.draw(self.axes if len(self.axes) > 1 else self.axes[0], **self.values)
            self._canvas.draw()
        if self.figure.get_layout_engine() is not None:
            # Constrained layout places the axes well but costs ~30 ms a frame; after the first
            # frame the positions are kept (fixed axis limits keep the labels where they were).
            self.figure.set_layout_engine("none")
        self._publish(text, start)

    def _publish(self, text: str | None, start: float) -> None:
        """Encode the canvas as PNG into the image widget and show the summary."""
        # zlib level 1: a third of the encode time of the default, for a slightly larger PNG
        buf = io.BytesIO()
        PIL.Image.frombuffer("RGBA", self._canvas.get_width_height(), self._canvas.buffer_rgba()).save(
            buf, format="png", compress_level=1)
        self.image.value = buf.getvalue()
        # what the figure shows, in words (the static site's alt text); the summary under it says the numbers
        self.alt_text = figure_alt_text(self.figure)
        self.summary.value = text or ""
        self.last_draw_ms = 1e3 * (time.perf_counter() - start)

    def check_reacts(self, **values) -> str:
        """Move the named controls to ``values`` (as a test does), check that the figure and the summary
        changed, and put the controls back, so the student's demo is left as it was.

        Returns the summary shown at ``values``.  Raises ``ValueError`` for an unknown control and
        ``AssertionError`` if the demo did not react.

        Examples
        --------
        >>> demo = Demo(lambda ax, a: ax.plot([0, a]) and f"a = {a}", {"a": slider(1.0, 0.0, 2.0, 0.5, "a")})
        >>> demo.check_reacts(a=2.0), demo.sliders["a"].value
        ('a = 2.0', 1.0)
        """
        unknown = sorted(set(values) - set(self.sliders))
        if not values or unknown:
            raise ValueError(f"values must name controls among {sorted(self.sliders)}, got {sorted(values)!r}")
        before, old = (bytes(self.image.value), self.summary.value), {name: self.sliders[name].value for name in values}
        try:
            for name, value in values.items():
                self.sliders[name].value = value
            seen = (bytes(self.image.value), self.summary.value)
        finally:
            for name in reversed(list(values)):
                self.sliders[name].value = old[name]
        assert seen[0] != before[0], f"moving {values} did not change the figure"
        assert seen[1] != before[1], f"moving {values} did not change the summary"
        return seen[1]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class StillDemo(Demo):
    """A :class:`Demo` whose still parts (axes, ticks, labels, titles, legend) are rendered once.

    ``setup(axes, **values)`` draws the first frame with the pure plot functions and returns the
    artists that move (a list, or a dict by name); ``update(artists, **values)`` changes their data (``set_data``,
    ``set_height``, ``set_values``...) and returns the summary.  Every later frame restores the
    bitmap of the still parts and draws only the moving artists (matplotlib's blitting).  Text is
    most of an Agg draw, so this cuts a frame from ~40-60 ms to ~10 ms.  The moving artists must
    stay inside the axes' fixed limits.  Controls named in ``rebuild_on`` may change those limits:
    when one of them moves, the axes are cleared and ``setup`` draws the still parts again (a full
    frame); the animated control should not be among them.  ``rebuild_key(**values)``, if given, does
    the same for any change of its value (limits that follow a control in coarse steps, say).

    Introduced in ``notebooks/02_gumbel_distribution.ipynb`` (the loc/scale demo).
    """

    def __init__(self, setup: Callable[..., list], update: Callable[..., str | None],
                 controls: Mapping[str, w.ValueWidget], *, rebuild_on: tuple[str, ...] = (),
                 rebuild_key: Callable[..., object] | None = None, **kwargs):
        if not (callable(setup) and callable(update)):
            raise ValueError(f"setup and update must be callable, got {setup!r} and {update!r}")
        unknown = sorted(set(rebuild_on) - set(controls))
        if unknown:
            raise ValueError(f"rebuild_on must name controls among {sorted(controls)}, got {unknown!r}")
        if rebuild_key is not None and not callable(rebuild_key):
            raise ValueError(f"rebuild_key must be callable, got {rebuild_key!r}")
        self._setup, self._update, self._moving, self._still = setup, update, None, None
        self._rebuild_on, self._rebuild_key, self._built_for = tuple(rebuild_on), rebuild_key, None
        super().__init__(lambda *_, **__: "", controls, **kwargs)

    def redraw(self) -> None:
        start = time.perf_counter()
        with mpl.rc_context(RC):
            key = (tuple(self.sliders[name].value for name in self._rebuild_on),
                   self._rebuild_key(**self.values) if self._rebuild_key else None)
            if self._moving is not None and key != self._built_for:
                for ax in self.axes:  # a control that changes the still parts: draw them again
                    _reset(ax)
                self._moving = None
            if self._moving is None:
                self._built_for = key
                self._moving = self._setup(self.axes if len(self.axes) > 1 else self.axes[0], **self.values)
                for artist in self._artists():  # after the legend copied their style, so it stays still
                    artist.set_animated(True)
                self._canvas.draw()
                self.figure.set_layout_engine("none")
                self._still = self._canvas.copy_from_bbox(self.figure.bbox)
            self._canvas.restore_region(self._still)
            text = self._update(self._moving, **self.values)
            for artist in self._artists():  # axes artists, or figure-level ones (suptitle, fig text)
                (artist.axes or self.figure).draw_artist(artist)
        self._publish(text, start)

    def _artists(self) -> list:
        return list(self._moving.values() if isinstance(self._moving, dict) else self._moving)
