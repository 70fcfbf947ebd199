"""Demos of notebooks/05_reparameterization.ipynb: change of variables, z = mu + sigma x, gradient variance.

Each builder draws its noise once from ``rng``; moving a slider re-uses that noise, so the
picture deforms smoothly instead of reshuffling, and axis limits are fixed or computed (never
autoscaled) to keep a redraw well under 50 ms.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from .. import _validate as check
from ..estimators import toy_grad_moments, toy_grads_from_noise
from ..plotting import ACCENT, CATEGORY_COLORS, NEUTRAL, SAMPLES, THEORY, _axes, plot_density_vs_samples
from ..widgets import Demo, StillDemo, slider

PATHWISE = CATEGORY_COLORS[2]  # green: the second Monte Carlo estimator, next to SAMPLES orange


def _normal_pdf(v, loc, scale):
    return np.exp(-0.5 * ((v - loc) / scale) ** 2) / (np.sqrt(2 * np.pi) * scale)


def plot_gradient_sampling(score_means, path_means, true_grad: float, *, lim: tuple[float, float],
                           bins: int = 50, ax: Axes | None = None) -> Axes:
    """Histograms of many N-sample mean gradients, score function vs pathwise, and the true gradient.

    Examples
    --------
    >>> ax = plot_gradient_sampling(np.zeros(5), np.zeros(5), 0.0, lim=(-1.0, 1.0))
    >>> [float(v) for v in ax.get_xlim()]
    [-1.0, 1.0]
    """
    ax = _axes(ax)
    edges = np.linspace(*lim, bins + 1)
    width = edges[1] - edges[0]
    for values, color, label in ((score_means, SAMPLES, "score function"),
                                 (path_means, PATHWISE, "pathwise")):
        counts, _ = np.histogram(values, edges)
        ax.stairs(counts / (len(values) * width), edges, fill=True, alpha=0.5, color=color, label=label)
    ax.axvline(true_grad, color=THEORY, lw=2, label="true gradient")
    ax.set_xlim(*lim)
    ax.set_xlabel("gradient estimate (average of N samples)")
    ax.set_ylabel("density")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def make_gradient_variance_demo(rng: np.random.Generator, *, theta: float = 1.0, a: float = 1.0,
                                b: float = 0.5, n: int = 4, n_max: int = 64, repeats: int = 2000) -> Demo:
    """Play over θ: sampling distributions of the score-function and pathwise N-sample gradients.

    Introduced in notebooks/05_reparameterization.ipynb (slide "re-parameterization trick: example (2)").
    ``repeats`` N-sample means of each estimator are computed from one fixed noise array of shape
    ``(repeats, n_max)`` (both estimators share it), against the exact gradient 2a(aθ + b).
    """
    rng = check.generator(rng)
    n_max = check.integer("n_max", n_max, minimum=1)
    n = check.integer("n", n, minimum=1)
    repeats = check.integer("repeats", repeats, minimum=10)
    if n > n_max:
        raise ValueError(f"n must be <= n_max = {n_max}, got {n!r}")
    for name, value, lo, hi in (("theta", theta, -2.0, 2.0), ("a", a, 0.25, 2.0), ("b", b, -1.0, 1.0)):
        check.in_range(name, value, lo, hi)
    noise = rng.standard_normal((repeats, n_max))  # (repeats, n_max), drawn once

    def means(theta, a, b, n):
        score, path = toy_grads_from_noise(theta, a, b, noise[:, :n])  # (repeats, n) each
        return score.mean(axis=1), path.mean(axis=1), toy_grad_moments(theta, a, b)

    def limits(theta, a, b, n):
        # x: the true gradient 2a(aθ + b) for θ in [-2, 2], plus 3 std of the score function at θ* where it is
        # smallest, as a symmetric range; y: 1.3 x the pathwise peak.  Both on coarse ladders, so that a, b and N
        # change the axes (a full frame) only now and then, and θ never does.
        ends = 2 * a * (a * np.array([-2.0, 2.0]) + b)
        margin = 3 * np.sqrt(15 * a**2 / n)
        return (_ylim_step(float(np.abs(ends).max() + margin)),
                _ylim_step(1.3 / (np.sqrt(2 * np.pi) * 2 * a / np.sqrt(n))))

    def setup(ax, theta, a, b, n):
        score_means, path_means, exact = means(theta, a, b, n)
        x_top, y_top = limits(theta, a, b, n)
        plot_gradient_sampling(score_means, path_means, float(exact.true_grad), lim=(-x_top, x_top), ax=ax)
        ax.set_ylim(0, y_top)
        _few_tick_labels(ax)
        ax.set_title(" ")
        return [*ax.patches[:2], ax.lines[-1], ax.title]  # two histograms, the true-gradient line, title

    def update(moving, theta, a, b, n):
        score_hist, path_hist, true_line, title = moving
        score_means, path_means, exact = means(theta, a, b, n)
        edges = score_hist.get_data().edges
        for hist, values in ((score_hist, score_means), (path_hist, path_means)):
            hist.set_data(np.histogram(values, edges)[0] / (len(values) * (edges[1] - edges[0])))
        grad = float(exact.true_grad)
        true_line.set_xdata([grad, grad])
        # plain text (∇ is a DejaVu glyph): mathtext would be re-laid out on every frame
        title.set_text(f"θ = {theta:.1f}: {repeats} averages of N = {n} samples; true ∇ = {grad:.2f}")
        # std of an N-sample mean: sqrt(Var / N)
        sd_score, sd_path = float(np.sqrt(exact.score_var / n)), float(np.sqrt(exact.reparam_var / n))
        emp = (float(score_means.std()), float(path_means.std()))
        return (f"θ = {theta:.2f}, a = {a:.2f}, b = {b:.2f}, N = {n}: true gradient 2a(aθ+b) = {grad:.3f}, "
                f"θ* = -b/a = {-b / a:.2f}.<br>"
                f"std of the N-sample average — score function: {emp[0]:.3f} measured, {sd_score:.3f} exact; "
                f"pathwise: {emp[1]:.3f} measured, {sd_path:.3f} exact (ratio {sd_score / sd_path:.1f}×).")

    controls = {"theta": slider(theta, -2.0, 2.0, 0.1, "θ"), "a": slider(a, 0.25, 2.0, 0.25, "a"),
                "b": slider(b, -1.0, 1.0, 0.25, "b"), "n": slider(n, 1, n_max, 1, "N samples", integer=True)}
    # θ (Play) moves only the histograms, the line and the title; a, b and N change the axis limits in coarse steps
    return StillDemo(setup, update, controls, rebuild_key=limits, play="theta", figsize=(8.0, 3.6))


def _few_tick_labels(ax: Axes) -> None:
    """At most ~6 ticks per axis: tick labels are most of a redraw's cost on a slow machine."""
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.yaxis.set_major_locator(MaxNLocator(5))


def _ylim_step(top: float) -> float:
    """``top`` rounded up to the ladder 1.5^k: a y-limit that follows a slider in coarse steps, so that most frames
    keep their axes (and only the moving artists are drawn again, see ``widgets.StillDemo``)."""
    return float(1.5 ** np.ceil(np.log(top) / np.log(1.5)))


def make_lognormal_demo(rng: np.random.Generator, *, loc: float = 0.0, scale: float = 0.5,
                        n: int = 20_000) -> Demo:
    """Samples y = exp(μ + σx) against f_Y(y) = f_X(log y)|dx/dy| (and f_X(log y) without the Jacobian).

    Introduced in notebooks/05_reparameterization.ipynb (slide "revision on change of variable").
    """
    rng = check.generator(rng)
    n = check.integer("n", n, minimum=10)
    for name, value, lo, hi in (("loc", loc, -0.5, 1.0), ("scale", scale, 0.2, 1.0)):
        check.in_range(name, value, lo, hi)
    noise = rng.standard_normal(n)
    grid = np.linspace(1e-3, 6.0, 300)
    edges = np.linspace(grid[0], grid[-1], 61)  # plot_density_vs_samples' default 60 bins

    def curves(loc, scale):
        y = np.exp(loc + scale * noise)
        f_x = _normal_pdf(np.log(grid), loc, scale)
        # f_Y(y) = f_X(log y) |d log y / dy| = f_X(log y) / y
        return y, f_x / grid, f_x

    def top(loc, scale):  # 1.2 x the exact density's peak, on a coarse ladder (computed, never autoscaled)
        return _ylim_step(1.2 * float(np.max(curves(loc, scale)[1])))

    def setup(ax, loc, scale):
        y, f_y, f_x = curves(loc, scale)
        plot_density_vs_samples(y, grid, f_y, ax=ax, label=r"$f_X(\log y)\,|dx/dy|$", xlabel="y")
        ax.plot(grid, f_x, color=NEUTRAL, ls="--", lw=1.5, label=r"$f_X(\log y)$, no Jacobian")
        ax.set_ylim(0, top(loc, scale))
        _few_tick_labels(ax)
        ax.legend(loc="upper right")
        ax.set_title(r"$Y = e^X$, $X\sim\mathcal{N}(\mu,\sigma^2)$: the Jacobian $1/y$ is needed")
        return [ax.patches[0], *ax.lines[:2]]  # the histogram, f_Y, f_X

    def update(moving, loc, scale):
        hist, line_y, line_x = moving
        y, f_y, f_x = curves(loc, scale)
        hist.set_data(np.histogram(y, edges)[0] / (n * (edges[1] - edges[0])))
        line_y.set_ydata(f_y)
        line_x.set_ydata(f_x)
        inside = float(np.mean(y <= grid[-1]))
        return (f"μ = {loc:.2f}, σ = {scale:.2f}: median of y {np.median(y):.3f} "
                f"(exact e^μ = {np.exp(loc):.3f}); {inside:.1%} of samples inside the plot.")

    controls = {"loc": slider(loc, -0.5, 1.0, 0.05, "μ"), "scale": slider(scale, 0.2, 1.0, 0.05, "σ")}
    return StillDemo(setup, update, controls, rebuild_key=top, play="scale")


def make_gaussian_reparam_demo(rng: np.random.Generator, *, loc: float = 0.0, scale: float = 2.0,
                               n: int = 20_000) -> Demo:
    """z = μ + σx (right) against the slide's z = μ + σ²x (wrong unless σ = 1), under N(μ, σ²).

    Introduced in notebooks/05_reparameterization.ipynb (slide "re-parameterization trick").
    """
    rng = check.generator(rng)
    n = check.integer("n", n, minimum=10)
    for name, value, lo, hi in (("loc", loc, -2.0, 2.0), ("scale", scale, 0.25, 2.5)):
        check.in_range(name, value, lo, hi)
    noise = rng.standard_normal(n)
    grid = np.linspace(-10.0, 10.0, 400)
    edges = np.linspace(-10.0, 10.0, 81)
    width = edges[1] - edges[0]

    def top(loc, scale):  # 1.25 x the taller of the two exact peaks (the slide's z is narrower when σ < 1)
        return _ylim_step(1.25 / (np.sqrt(2 * np.pi) * min(scale, scale**2)))

    def setup(ax, loc, scale):
        right, slide = loc + scale * noise, loc + scale**2 * noise
        plot_density_vs_samples(right, grid, _normal_pdf(grid, loc, scale), bins=80, ax=ax,
                                label=r"$\mathcal{N}(\mu,\sigma^2)$", xlabel="z")
        ax.stairs(np.histogram(slide, edges)[0] / (n * width), edges, color=ACCENT, lw=1.5,
                  label=r"slide: $\mu+\sigma^2 x$")
        ax.set_ylim(0, top(loc, scale))
        _few_tick_labels(ax)
        ax.legend(loc="upper right")
        ax.set_title(r"$z=\mu+\sigma x$ has variance $\sigma^2$; $\mu+\sigma^2x$ has $\sigma^4$")
        return [ax.patches[0], ax.lines[0], ax.patches[1]]  # samples of μ + σx, the exact density, the slide's

    def update(moving, loc, scale):
        hist, line, slide_hist = moving
        right, slide = loc + scale * noise, loc + scale**2 * noise
        hist.set_data(np.histogram(right, edges)[0] / (n * width))
        line.set_ydata(_normal_pdf(grid, loc, scale))
        slide_hist.set_data(np.histogram(slide, edges)[0] / (n * width))
        return (f"μ = {loc:.2f}, σ = {scale:.2f}: sample std of μ + σx = {right.std():.3f}, "
                f"of μ + σ²x = {slide.std():.3f}; target σ = {scale:.3f}.")

    controls = {"loc": slider(loc, -2.0, 2.0, 0.1, "μ"), "scale": slider(scale, 0.25, 2.5, 0.05, "σ")}
    return StillDemo(setup, update, controls, rebuild_key=top, play="scale")


def plot_sgd_race(score_paths, path_paths, theta_star: float, *, ax: Axes | None = None) -> Axes:
    """SGD trajectories θ_t of many runs: median and 10–90% band for each estimator, and θ*.

    ``score_paths`` and ``path_paths`` have shape (steps + 1, runs).

    Examples
    --------
    >>> ax = plot_sgd_race(np.zeros((3, 2)), np.zeros((3, 2)), 0.0)
    >>> ax.get_xlabel()
    'SGD step t'
    """
    ax = _axes(ax)
    for paths, color, label in ((score_paths, SAMPLES, "score function"), (path_paths, PATHWISE, "pathwise")):
        paths = np.asarray(paths, dtype=float)
        steps = np.arange(paths.shape[0])
        lo, med, hi = np.percentile(paths, [10, 50, 90], axis=1)
        ax.fill_between(steps, lo, hi, color=color, alpha=0.25, lw=0)
        ax.plot(steps, med, color=color, lw=2, label=f"{label}: median, 10–90% of runs")
    ax.axhline(theta_star, color=THEORY, lw=1.5, ls="--", label=r"$\theta^*=-b/a$")
    ax.set_xlabel("SGD step t")
    ax.set_ylabel(r"$\theta_t$")
    ax.legend(loc="upper right")
    return ax
