"""Interactive demo of notebooks/04_score_function.ipynb: the spread of score-function gradients.

Running example: ``f(z) = z**2 + c`` under ``z ~ N(mu, sigma^2)``, so ``d/dmu E[f] = 2 mu`` for
every shift ``c``.  The demo draws many ``N``-sample REINFORCE estimates of this gradient, without
and with a leave-one-out baseline, from noise fixed once in the builder.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.ticker import NullLocator
from matplotlib.transforms import offset_copy

from .. import _validate as check
from ..estimators import score_function_grad
from ..plotting import CATEGORY_COLORS, NEUTRAL, SAMPLES, THEORY, _axes
from ..symbolic import score_function as sf
from ..widgets import Demo, StillDemo, slider

BASELINE = CATEGORY_COLORS[2]  # green: Monte Carlo *with* a baseline (orange is without)
HIST_EDGES = np.linspace(-20.0, 20.0, 101)  # fixed bins and limits: the picture moves, the frame does not
MU_GRID = np.linspace(-3.0, 3.0, 121)
Y_TICKS = (0.0, 0.5, 1.0)  # the histograms' y-axis runs over [0, 1]; its labels show true densities


def _tick_labels(height_scale: float) -> list[str]:
    return [f"{t * height_scale:.2g}" for t in Y_TICKS]


def _outline(values, edges, height_scale: float) -> np.ndarray:
    """Closed step outline ``(x, y)`` of a density histogram, shape (2 * len(edges), 2)."""
    values = np.asarray(values, dtype=float)
    counts, _ = np.histogram(values, bins=edges)
    heights = counts / (max(values.size, 1) * (edges[1] - edges[0]) * height_scale)
    return np.column_stack([np.repeat(edges, 2), np.concatenate([[0.0], np.repeat(heights, 2), [0.0]])])


def plot_estimate_histograms(no_baseline, with_baseline, exact: float, *, edges=HIST_EDGES,
                             height_scale: float = 1.0, ax: Axes | None = None) -> Axes:
    """Histograms of gradient estimates without and with a baseline, and the exact gradient.

    Introduced in notebooks/04_score_function.ipynb (section "4. Variance, and baselines that reduce it").

    Parameters
    ----------
    no_baseline, with_baseline : array_like, shape (n,)
        Gradient estimates with ``b = 0`` (filled, orange) and with a baseline (outline, green).
    exact : float
        The exact gradient, drawn as a vertical line.
    edges : array_like, optional
        Bin edges; also the x-limits.  Estimates outside count in the normalisation but are not drawn.
    height_scale : float, optional
        Densities are divided by it and the y-axis runs over ``[0, 1]``, its tick labels showing the
        true densities: the demo passes the highest peak expected, so the frame stays fixed while ``mu`` moves.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes if ``None``.

    Returns
    -------
    Axes

    Notes
    -----
    Bar height = ``count / (n * bin width * height_scale)``: a density, up to the common scale.

    Examples
    --------
    >>> ax = plot_estimate_histograms(np.zeros(5), np.ones(5), 0.5)
    >>> ax.get_xlabel()
    'estimate of ∂E[f]/∂μ'
    """
    ax = _axes(ax)
    # a PolyCollection added without autoscaling: ax.stairs/fill would walk every segment to
    # update the data limits, and the limits are fixed anyway
    ax.add_collection(PolyCollection([_outline(no_baseline, edges, height_scale)], color=SAMPLES, alpha=0.55,
                                     lw=0, label="b = 0", gid="hist_none"), autolim=False)
    ax.plot(*_outline(with_baseline, edges, height_scale).T, color=BASELINE, lw=1.8, label="leave-one-out b",
            gid="hist_loo")
    # dash-dot black: not to be confused with the solid / dashed blue std curves of the other panel
    ax.axvline(exact, color="black", lw=1.8, ls="-.", label="exact gradient 2μ", gid="exact")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, 1)
    ax.set_xticks(np.linspace(edges[0], edges[-1], 5))
    ax.set_yticks(Y_TICKS, _tick_labels(height_scale))  # true densities
    ax.set_xlabel("estimate of ∂E[f]/∂μ")
    ax.set_ylabel("density")
    ax.legend(loc="upper left")
    return ax


def plot_std_vs_mu(mu_grid, std_none, std_best, mu: float, emp_none: float, emp_loo: float, *,
                   ax: Axes | None = None) -> Axes:
    """Exact std of the ``N``-sample estimate against ``mu`` (``b = 0`` and ``b = b*``), and measured stds at ``mu``.

    Introduced in notebooks/04_score_function.ipynb (section "4. Variance, and baselines that reduce it").

    Parameters
    ----------
    mu_grid, std_none, std_best : array_like, shape (m,)
        The grid of ``mu`` and the exact standard deviations ``sqrt(Var[(f - b) s] / N)`` for
        ``b = 0`` and ``b = b*`` (drawn solid and dashed).
    mu, emp_none, emp_loo : float
        The current ``mu`` and the measured standard deviations there, without a baseline (orange
        circle) and with the leave-one-out baseline (green square).
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes if ``None``.

    Returns
    -------
    Axes (log-scaled y, fixed limits).

    Examples
    --------
    >>> ax = plot_std_vs_mu(np.linspace(-1, 1, 3), np.ones(3), np.ones(3) / 2, 0.0, 1.0, 0.5)
    >>> ax.get_yscale()
    'log'
    """
    ax = _axes(ax)
    ax.plot(mu_grid, std_none, color=THEORY, lw=2, label="exact std, b = 0", gid="std_none")
    ax.plot(mu_grid, std_best, color=THEORY, lw=2, ls="--", label="exact std, b = b*", gid="std_best")
    ax.axvline(mu, color=NEUTRAL, lw=1, gid="mu_line")
    # the measured stds at the current mu; colours as in the histograms (orange b = 0, green leave-one-out)
    ax.plot([mu], [emp_none], "o", color=SAMPLES, ms=8, mec="k", gid="emp_none")
    ax.plot([mu], [emp_loo], "s", color=BASELINE, ms=8, mec="k", gid="emp_loo")
    ax.set_yscale("log")
    pad = 0.04 * (mu_grid[-1] - mu_grid[0])  # room for the markers at the ends
    ax.set_xlim(mu_grid[0] - pad, mu_grid[-1] + pad)
    ax.set_ylim(0.05, 100)
    ax.set_yticks([0.1, 1, 10, 100], ["0.1", "1", "10", "100"])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xticks(np.linspace(mu_grid[0], mu_grid[-1], 5))
    ax.set_xlabel("μ")
    ax.set_ylabel("std")
    ax.legend(loc="upper center")
    return ax


@lru_cache(maxsize=1)
def _variance_function():
    """``Var[(f - b) s](mu, sigma, c, b)`` as a NumPy function, derived once per session."""
    return sp.lambdify((sf.mu, sf.sigma, sf.c, sf.b), sf.estimator_variance(), "numpy")


def make_score_function_demo(rng: np.random.Generator, *, n_estimates: int = 1000, n_max: int = 100,
                             sigma: float = 1.0) -> Demo:
    """Play over ``mu``; sliders for the shift ``c`` of ``f(z) = z**2 + c`` and the sample size ``N``.

    Introduced in notebooks/04_score_function.ipynb (section "4. Variance, and baselines that reduce it").

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the standard-normal noise ``x`` (shape ``(n_estimates, n_max)``) once; moving a
        slider reuses it (``z = mu + sigma x``), so the histograms slide instead of reshuffling.
    n_estimates : int
        Number of independent ``N``-sample estimates in each histogram (>= 10).
    n_max : int
        Largest ``N`` on the slider, in ``[2, 1000]``.
    sigma : float
        Standard deviation of ``z`` (> 0).

    Returns
    -------
    Demo
        Sliders ``"mu"`` (with Play), ``"c"``, ``"N"``; left: histograms of the estimates, right:
        their std against ``mu``.

    Notes
    -----
    One estimate is ``(1/N) sum_i (f(z_i) - b_i) (z_i - mu) / sigma^2``; without a baseline
    ``b_i = 0``, with it ``b_i`` is the mean of the other ``N - 1`` values of ``f``.  Exact per-sample
    variances come from :func:`lectures_lib.symbolic.score_function.estimator_variance`.

    Examples
    --------
    >>> demo = make_score_function_demo(np.random.default_rng(0), n_estimates=50, n_max=20)
    >>> sorted(demo.sliders)
    ['N', 'c', 'mu']
    """
    rng = check.generator(rng)
    n_estimates = check.integer("n_estimates", n_estimates, minimum=10)
    n_max = check.integer("n_max", n_max, minimum=2)
    if n_max > 1000:
        raise ValueError(f"n_max must be <= 1000 (the demo must redraw in 50 ms), got {n_max!r}")
    sig = float(check.positive("sigma", sigma))
    noise = rng.standard_normal((n_estimates, n_max))  # (estimates, samples), fixed for the demo's life
    variance = _variance_function()
    moving = {}

    def estimates(mu: float, c: float, N: int) -> tuple[np.ndarray, np.ndarray]:
        x = noise[:, :N]
        f = (mu + sig * x) ** 2 + c
        score = (x / sig).ravel()  # d/dmu log N(z; mu, sigma^2) = (z - mu) / sigma^2
        none = score_function_grad(f.ravel(), score).reshape(x.shape).mean(1)
        # leave-one-out baseline of each sample within its own estimate (rl.leave_one_out_baseline, row-wise)
        loo = (f.sum(1, keepdims=True) - f) / (N - 1)  # (estimates, N)
        with_b = score_function_grad(f.ravel(), score, loo.ravel()).reshape(x.shape).mean(1)
        return none, with_b

    @lru_cache(maxsize=64)
    def height_scale(c: float, N: int) -> float:
        """The highest histogram bar over the whole Play range of mu (x 1.05): the frame depends only on
        (c, N), and no histogram is cut off at the top while mu moves."""
        width = HIST_EDGES[1] - HIST_EDGES[0]
        peak = max(np.histogram(e, bins=HIST_EDGES)[0].max() for mu in MU_GRID[::5] for e in estimates(mu, c, N))
        return 1.05 * max(peak, 1) / (n_estimates * width)

    def frame(mu: float, c: float, N: int) -> dict:
        none, with_b = estimates(mu, c, N)
        b_star = MU_GRID**2 + c + 3 * sig**2  # optimal constant baseline (derived in the notebook)
        return {"none": none, "with_b": with_b, "scale": height_scale(c, N),
                "std_none": np.sqrt(variance(MU_GRID, sig, c, 0.0) / N),
                "std_best": np.sqrt(variance(MU_GRID, sig, c, b_star) / N),
                "s_none": none.std(ddof=1), "s_loo": with_b.std(ddof=1)}

    def summary(mu: float, N: int, d: dict) -> str:
        outside = np.mean((d["none"] < HIST_EDGES[0]) | (d["none"] > HIST_EDGES[-1]))
        note = f" ({outside:.0%} off the axis)" if outside > 0.005 else ""
        sep = " &nbsp;|&nbsp; "
        # the colour as an underline, the text black: coloured text would be too faint to read (WCAG contrast)
        def key(colour, text):
            return f"<span style='border-bottom: 3px solid {colour}'>{text}</span>"
        return (f"N = {N}: exact gradient 2μ = <b>{2 * mu:.2f}</b>{sep}"
                f"{key(SAMPLES, 'no baseline')}: mean {d['none'].mean():.2f}, "
                f"std {d['s_none']:.2f}{note}{sep}"
                f"{key(BASELINE, 'leave-one-out')}: mean {d['with_b'].mean():.2f}, "
                f"std {d['s_loo']:.2f}{sep}"
                f"variance ratio (b = 0) / (leave-one-out) = <b>{(d['s_none'] / d['s_loo']) ** 2:.1f}</b>")

    def setup(axes, mu: float, c: float, N: int) -> list:
        d = frame(mu, c, N)
        plot_estimate_histograms(d["none"], d["with_b"], 2 * mu, height_scale=d["scale"], ax=axes[0])
        axes[0].set_title(f"{n_estimates} estimates of ∂E[z² + c]/∂μ")
        # The y tick labels (true densities) change with c and N: drawn as moving texts where the tick labels
        # were, so that moving c or N redraws three numbers instead of the whole figure.
        tick = axes[0].yaxis.get_major_ticks()[0]
        place = offset_copy(axes[0].get_yaxis_transform(), fig=axes[0].figure, units="points",
                            x=-(tick.get_tick_padding() + tick.get_pad()))
        size = tick.label1.get_fontsize()
        for i, (t, label) in enumerate(zip(Y_TICKS, _tick_labels(d["scale"]), strict=True)):
            axes[0].text(0.0, t, label, transform=place, ha="right", va="center", fontsize=size, gid=f"ytick_{i}")
        # the axis keeps invisible labels as wide as the widest text, so the "density" label stays clear of them
        axes[0].set_yticks(Y_TICKS, ["0.000"] * len(Y_TICKS))
        axes[0].tick_params(axis="y", labelcolor=(0, 0, 0, 0))
        plot_std_vs_mu(MU_GRID, d["std_none"], d["std_best"], mu, d["s_none"], d["s_loo"], ax=axes[1])
        axes[1].set_title("std of one estimate: exact (lines), measured (markers)")
        # one legend under both panels: inside the axes the moving histograms would be drawn over it
        handles, labels = [], []
        for ax in axes:
            h, lab = ax.get_legend_handles_labels()
            handles, labels = handles + h, labels + lab
            ax.get_legend().remove()
        fig = axes[0].figure
        for old in list(fig.legends):  # a rebuild (c or N moved) draws the still parts again: one legend only
            old.remove()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
        moving.update({a.get_gid(): a for ax in axes for a in [*ax.lines, *ax.collections, *ax.texts] if a.get_gid()})
        return list(moving.values())

    def update(mu: float, c: float, N: int) -> str:
        d = frame(mu, c, N)
        moving["hist_none"].set_verts([_outline(d["none"], HIST_EDGES, d["scale"])])
        moving["hist_loo"].set_data(*_outline(d["with_b"], HIST_EDGES, d["scale"]).T)
        moving["exact"].set_xdata([2 * mu, 2 * mu])
        moving["std_none"].set_ydata(d["std_none"])
        moving["std_best"].set_ydata(d["std_best"])
        moving["mu_line"].set_xdata([mu, mu])
        moving["emp_none"].set_data([mu], [d["s_none"]])
        moving["emp_loo"].set_data([mu], [d["s_loo"]])
        for i, label in enumerate(_tick_labels(d["scale"])):
            moving[f"ytick_{i}"].set_text(label)
        return summary(mu, N, d)

    controls = {"mu": slider(1.0, -3.0, 3.0, 0.25, "mean μ"),
                "c": slider(0.0, -10.0, 10.0, 1.0, "shift c in f(z) = z² + c", readout_format=".0f"),
                "N": slider(min(10, n_max), 2, n_max, 1, "samples per estimate N", integer=True)}
    # c and N change the histograms' height scale: only the y tick label texts, which move with the rest
    return StillDemo(setup, lambda _moving, **values: update(**values), controls,
                     play="mu", ncols=2, figsize=(10.0, 3.7))
