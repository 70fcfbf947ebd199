"""Demos of notebooks/07_gumbel_softmax.ipynb: the Concrete distribution on the simplex and on [0, 1].

Pure plot functions (data in, ``ax`` in, ``ax`` out) and two builders returning a
:class:`lectures_lib.widgets.Demo`.  The Gumbel noise is drawn once in each builder and reused on
every redraw, so moving ``tau`` slides the same points smoothly instead of reshuffling them.
"""

from __future__ import annotations

import matplotlib.tri as mtri
import numpy as np
from matplotlib.axes import Axes

from .. import _validate as check
from ..concrete import concrete_log_prob
from ..gumbel import sample_gumbel, softmax
from ..plotting import NEUTRAL, SAMPLES, THEORY, _axes
from ..widgets import Demo, StillDemo, slider

#: corners of the 2-simplex in the plane: e_1 bottom left, e_2 bottom right, e_3 on top
CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])


def simplex_xy(p) -> np.ndarray:
    """Barycentric coordinates to points in the plane: ``xy = sum_k p_k c_k`` (corners ``CORNERS``).

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 4).

    Parameters
    ----------
    p : array_like, shape (..., 3)
        Points of the 2-simplex (any finite weights are mapped; the simplex lands in the triangle).

    Returns
    -------
    ndarray, shape (..., 2)

    Examples
    --------
    >>> simplex_xy([1 / 3, 1 / 3, 1 / 3]).round(3).tolist()  # the centre of the triangle
    [0.5, 0.289]
    """
    p = check.finite("p", p)
    if p.ndim == 0 or p.shape[-1] != 3:
        raise ValueError(f"p must have shape (..., 3), got shape {p.shape}")
    # (..., 3) @ (3, 2): sum_k p_k c_k
    return p @ CORNERS


def simplex_grid(n: int = 40, inset: float = 1e-3) -> np.ndarray:
    """The points ``(i, j, n - i - j) / n`` of the 2-simplex, pulled ``inset`` towards the centre.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 4).

    Parameters
    ----------
    n : int
        Subdivisions per edge (>= 1).
    inset : float in (0, 1/3)
        ``p -> (1 - 3 inset) p + inset``: every coordinate > 0, where the density is defined.

    Returns
    -------
    ndarray, shape ((n + 1)(n + 2) / 2, 3)

    Examples
    --------
    >>> simplex_grid(2).shape
    (6, 3)
    """
    n = check.integer("n", n, minimum=1)
    if not 0 < inset < 1 / 3:
        raise ValueError(f"inset must lie in (0, 1/3), got {inset!r}")
    ij = np.array([(i, j) for i in range(n + 1) for j in range(n + 1 - i)], dtype=float)
    p = np.column_stack([ij, n - ij.sum(axis=1)]) / n  # (m, 3)
    return (1 - 3 * inset) * p + inset


def _contour(ax: Axes, tri, log_density: np.ndarray):
    # colour levels span the 2%-99.5% quantiles: the density has integrable spikes at the corners
    lo, hi = np.quantile(log_density, [0.02, 0.995])
    return ax.tricontourf(tri, np.clip(log_density, lo, hi), levels=np.linspace(lo, hi + 1e-9, 12), cmap="Blues")


def plot_simplex(samples=None, *, grid=None, log_density=None, ax: Axes | None = None,
                 triangulation=None, labels=("e₁", "e₂", "e₃")) -> Axes:
    """The triangle, the log density as a filled contour (optional) and samples as dots.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 4).

    Parameters
    ----------
    samples : array_like, shape (n, 3), optional
        Points of the simplex, drawn in SAMPLES orange.
    grid, log_density : array_like, shapes (m, 3) and (m,), optional
        Where and what to contour (blue, darker = higher); colour levels span the 2%-99.5%
        quantiles, because the density has integrable spikes at the corners.  The contour, the
        outline and the dots are ``ax.collections[0]``, ``ax.lines[0]`` and ``ax.collections[-1]``.
    ax : matplotlib Axes, optional
    triangulation : matplotlib.tri.Triangulation, optional
        Of ``simplex_xy(grid)``, precomputed to save its construction on every frame.
    labels : three str
        Corner labels.

    Returns
    -------
    Axes

    Examples
    --------
    >>> [float(v) for v in plot_simplex(np.eye(3)).get_xlim()]
    [-0.08, 1.08]
    """
    ax = _axes(ax)
    if log_density is not None:
        log_density = check.as_float_array("log_density", log_density)
        if grid is None or np.shape(grid) != log_density.shape + (3,):
            raise ValueError(f"grid must have shape {log_density.shape + (3,)} to match log_density, "
                             f"got {None if grid is None else np.shape(grid)}")
        _contour(ax, triangulation or mtri.Triangulation(*simplex_xy(grid).T), log_density)
    ax.plot(*np.vstack([CORNERS, CORNERS[:1]]).T, color=NEUTRAL, lw=1)
    for corner, text, dy in zip(CORNERS, labels, (-0.06, -0.06, 0.03), strict=True):
        ax.text(corner[0], corner[1] + dy, text, ha="center", va="bottom" if dy > 0 else "top")
    if samples is not None:
        xy = simplex_xy(samples).reshape(-1, 2)
        ax.scatter(xy[:, 0], xy[:, 1], s=9, color=SAMPLES, edgecolors="k", linewidths=0.2, alpha=0.8)
    ax.set_xlim(-0.08, 1.08)
    ax.set_ylim(-0.12, 0.98)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_binary_concrete(y1, grid, density, *, bins: int = 50, ax: Axes | None = None) -> Axes:
    """Histogram of K = 2 samples ``y_1`` (SAMPLES, as a density) under the exact density (THEORY).

    Introduced in notebooks/07_gumbel_softmax.ipynb (sections 1 and 3).

    Parameters
    ----------
    y1 : array_like
        Samples in [0, 1].
    grid, density : array_like, same shape
        The exact density on a grid of [0, 1].
    bins : int
        Histogram bins on [0, 1].
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes, with fixed limits [0, 1] x [0, 6] and fixed ticks, and no legend (the caller's title
    names the colours): text is what makes a slider redraw slow.

    Examples
    --------
    >>> [float(v) for v in plot_binary_concrete([0.2, 0.7], [0.0, 1.0], [1.0, 1.0]).get_ylim()]
    [0.0, 6.0]
    """
    ax = _axes(ax)
    y1 = check.finite("y1", y1)
    grid, density = check.finite("grid", grid), check.as_float_array("density", density)
    if grid.shape != density.shape:
        raise ValueError(f"grid and density must have the same shape, got {grid.shape} and {density.shape}")
    bins = check.integer("bins", bins, minimum=1)
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts, _ = np.histogram(y1, bins=edges)
    # density of a histogram: count / (n * width), width = 1 / bins
    heights = counts * bins / max(y1.size, 1)
    # one step patch for all bars (``ax.patches[-1]``; a demo moves it with ``set_data``)
    ax.stairs(heights, edges, fill=True, color=SAMPLES, alpha=0.55, lw=0)
    ax.plot(grid, density, color=THEORY, lw=2)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 6)
    ax.set_xticks([0, 0.5, 1])
    ax.set_yticks([0, 3, 6])
    ax.set_xlabel("y₁")
    ax.set_ylabel("density p(y₁)")
    return ax


def _table(rows: dict[str, np.ndarray]) -> str:
    """A small HTML table (category columns) for a demo's summary: cheaper than drawing bars."""
    head = "".join(f"<th>&nbsp;k = {k + 1}&nbsp;</th>" for k in range(len(next(iter(rows.values())))))
    body = "".join(f"<tr><td>{name}</td>" + "".join(f"<td>&nbsp;{v:.3f}</td>" for v in values) + "</tr>"
                   for name, values in rows.items())
    return f"<table><tr><th></th>{head}</tr>{body}</table>"


def _check_builder(n_samples: int, seed: int, name: str, logits, K: int):
    n_samples = check.integer("n_samples", n_samples, minimum=10)
    rng = np.random.default_rng(check.integer("seed", seed, minimum=0))
    logits = check.finite(name, logits)
    if logits.shape != (K,) or np.abs(logits).max() > 3:
        what = f"{K} numbers" if K > 1 else "a number"
        raise ValueError(f"{name} must be {what} in [-3, 3] (the slider range), got {check._show(logits)}")
    return n_samples, rng, logits


def _check_log10_tau(log10_tau) -> None:
    if isinstance(log10_tau, bool) or not isinstance(log10_tau, int | float) or not -1.3 <= log10_tau <= 0.7:
        raise ValueError(f"log10_tau must be a number in [-1.3, 0.7] (tau from 0.05 to 5), got {log10_tau!r}")


def make_gumbel_softmax_demo(n_samples: int = 300, seed: int = 0, logits=(1.0, 0.0, -1.0),
                             log10_tau: float = 0.0) -> Demo:
    """The headline widget: K = 3 Gumbel-softmax samples on the simplex as ``tau`` plays.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 4).

    Parameters
    ----------
    n_samples : int
        Number of samples (>= 10), drawn once: their Gumbel noise is fixed.
    seed : int
        Seed of the noise.
    logits : sequence of 3 floats in [-3, 3]
        Initial ``mu1, mu2, mu3``.
    log10_tau : float in [-1.3, 0.7]
        Initial ``log10(tau)``; the Play button sweeps ``tau`` from 0.05 to 5 (log-spaced).

    Returns
    -------
    Demo with sliders ``log10_tau``, ``mu1``, ``mu2``, ``mu3``; the summary gives the mean distance
    to the nearest corner, the fraction of samples with max coordinate > 0.99 and a table of
    ``softmax(mu)``, the argmax frequencies and the mean sample.

    Examples
    --------
    >>> sorted(make_gumbel_softmax_demo(n_samples=50).sliders)
    ['log10_tau', 'mu1', 'mu2', 'mu3']
    """
    n_samples, rng, logits = _check_builder(n_samples, seed, "logits", logits, 3)
    _check_log10_tau(log10_tau)
    gumbel = sample_gumbel(rng, size=(n_samples, 3))  # (n, 3), fixed for the demo's lifetime
    grid = simplex_grid(36)  # (703, 3)
    tri = mtri.Triangulation(*simplex_xy(grid).T)

    def sample(log10_tau, mu1, mu2, mu3):
        tau, mu = 10.0**log10_tau, np.array([mu1, mu2, mu3])
        # y = softmax((mu + G) / tau): the same G on every frame
        return tau, mu, softmax((mu + gumbel) / tau)  # y: (n, 3)

    def setup(ax, **values):
        tau, mu, y = sample(**values)
        plot_simplex(y, grid=grid, log_density=concrete_log_prob(grid, mu, tau), triangulation=tri, ax=ax)
        ax.set_title("K = 3: samples y (orange) on log p(y) (blue)")
        label = ax.text(0.0, 0.9, "", fontsize=11)
        # moving: the contour, the outline drawn over it, the dots and the tau readout
        return [ax.collections[0], ax.lines[0], ax.collections[-1], label]

    def update(artists, **values):
        tau, mu, y = sample(**values)
        contour, _, dots, label = artists
        ax = dots.axes
        artists[0] = _contour(ax, tri, concrete_log_prob(grid, mu, tau))  # a contour set cannot be refilled
        artists[0].set_animated(True)
        contour.remove()
        dots.set_offsets(simplex_xy(y))
        label.set_text(f"τ = {tau:.2f}")
        probs, freqs = softmax(mu), np.bincount(y.argmax(axis=1), minlength=3) / n_samples
        corner = np.linalg.norm(y - np.eye(3)[y.argmax(axis=1)], axis=1).mean()
        return (f"τ = {tau:.3f} &nbsp;·&nbsp; mean distance to the nearest corner {corner:.3f} &nbsp;·&nbsp; "
                f"max coordinate &gt; 0.99: {np.mean(y.max(axis=1) > 0.99):.0%}"
                + _table({"softmax(μ)": probs, "argmax(y) frequency": freqs, "mean of y": y.mean(axis=0)}))

    controls = {"log10_tau": slider(log10_tau, -1.3, 0.7, 0.05, "log₁₀ τ")}
    for i, value in enumerate(logits, start=1):
        controls[f"mu{i}"] = slider(float(value), -3.0, 3.0, 0.1, f"μ{i}")
    return StillDemo(setup, update, controls, play="log10_tau", figsize=(4.6, 4.4), interval=200)


def make_binary_concrete_demo(n_samples: int = 2000, seed: int = 0, logit_diff: float = 1.0,
                              log10_tau: float = 0.0) -> Demo:
    """K = 2: histogram of ``y_1`` against the Concrete density on [0, 1] as ``tau`` plays.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 3).

    Parameters
    ----------
    n_samples : int
        Number of samples (>= 10); their Gumbel noise is drawn once.
    seed : int
        Seed of the noise.
    logit_diff : float in [-3, 3]
        Initial ``mu_1 - mu_2``.
    log10_tau : float in [-1.3, 0.7]
        Initial ``log10(tau)``; the Play button sweeps ``tau`` from 0.05 to 5.

    Returns
    -------
    Demo with sliders ``log10_tau`` and ``logit_diff``; the summary compares ``P(y_1 > 1/2)`` with
    ``sigmoid(mu_1 - mu_2)`` and counts samples within 0.01 of 0 or 1.

    Examples
    --------
    >>> sorted(make_binary_concrete_demo(n_samples=100).sliders)
    ['log10_tau', 'logit_diff']
    """
    n_samples, rng, diff = _check_builder(n_samples, seed, "logit_diff", np.reshape(logit_diff, 1), 1)
    _check_log10_tau(log10_tau)
    noise = sample_gumbel(rng, size=(n_samples, 2))  # (n, 2), fixed
    grid = np.linspace(0.002, 0.998, 300)
    x_grid = np.column_stack([grid, 1 - grid])  # (300, 2)

    def sample(log10_tau, logit_diff):
        tau, mu = 10.0**log10_tau, np.array([logit_diff, 0.0])
        y1 = softmax((mu + noise) / tau)[:, 0]  # (n,)
        return tau, y1, np.exp(concrete_log_prob(x_grid, mu, tau))

    def setup(ax, **values):
        tau, y1, density = sample(**values)
        plot_binary_concrete(y1, grid, density, ax=ax)
        ax.set_title("K = 2: samples y₁ (orange) vs the Concrete density (blue)")
        label = ax.text(0.5, 5.6, "", ha="center", va="top", fontsize=11)
        return [ax.patches[-1], ax.lines[-1], label]

    def update(artists, log10_tau, logit_diff):
        tau, y1, density = sample(log10_tau, logit_diff)
        bars, curve, label = artists
        counts, _ = np.histogram(y1, bins=len(bars.get_data().values), range=(0, 1))
        bars.set_data(counts * counts.size / n_samples)  # histogram as a density: count / (n * width)
        curve.set_ydata(density)
        label.set_text(f"τ = {tau:.2f}")
        near = np.mean((y1 < 0.01) | (y1 > 0.99))
        return (f"τ = {tau:.3f} &nbsp;·&nbsp; P(y₁ &gt; 1/2) = {np.mean(y1 > 0.5):.3f} (samples) vs "
                f"σ(μ₁ − μ₂) = {1 / (1 + np.exp(-logit_diff)):.3f} &nbsp;·&nbsp; within 0.01 of 0 or 1: {near:.0%}")

    controls = {"log10_tau": slider(log10_tau, -1.3, 0.7, 0.05, "log₁₀ τ"),
                "logit_diff": slider(float(diff[0]), -3.0, 3.0, 0.1, "μ₁ − μ₂")}
    return StillDemo(setup, update, controls, play="log10_tau", figsize=(6.4, 3.2), interval=200)
