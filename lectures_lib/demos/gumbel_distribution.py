"""Interactive demos of notebooks/02_gumbel_distribution.ipynb: loc/scale and extreme values.

Introduced in notebooks/02_gumbel_distribution.ipynb (slides "Gumbel-max trick and Softmax (1)"
and "sample a Gumbel").  The noise of each demo is drawn once in its builder; moving a slider only
shifts, stretches or selects it, so the picture moves smoothly instead of reshuffling.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from scipy import stats

from .. import _validate as check
from ..gumbel import gumbel_cdf, gumbel_pdf, sample_gumbel
from ..plotting import NEUTRAL, SAMPLES, THEORY, _axes, plot_density_vs_samples
from ..widgets import Demo, StillDemo, slider

_X_LIM = (-6.0, 16.0)  # fixed axes of the loc/scale demo: mu in [-3, 3], beta up to 3
_Z_EDGES = np.linspace(-3.0, 13.0, 161)  # histogram bins of the standard noise, width 0.1
_EV_GRID = np.linspace(-4.0, 8.0, 400)


def plot_loc_scale(counts, z_edges, n_total: int, loc: float, scale: float, *, ax: Axes | None = None) -> Axes:
    """Histogram of ``loc + scale * z`` (from counts of standard samples ``z``) under the exact density.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "sample a Gumbel").

    Parameters
    ----------
    counts : array_like, shape (B,)
        Counts of standard Gumbel samples in the bins ``z_edges``.
    z_edges : array_like, shape (B + 1,)
        Increasing bin edges in standard units.
    n_total : int
        Number of samples (also those outside ``z_edges``), for the normalisation.
    loc, scale : float
        ``mu`` and ``beta > 0``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    ``X = mu + beta Z`` moves every bin edge to ``mu + beta z`` and divides the bar heights by
    ``beta``: :math:`f_X(x) = f_Z((x-\\mu)/\\beta)/\\beta`.  Mode ``mu``, mean ``mu + gamma beta``.

    Examples
    --------
    >>> ax = plot_loc_scale(np.ones(4), np.linspace(-1, 1, 5), 4, 0.0, 1.0)
    >>> ax.get_xlabel()
    'x'
    """
    ax = _axes(ax)
    counts, z_edges = check.as_float_array("counts", counts), check.as_float_array("z_edges", z_edges)
    if z_edges.shape != (counts.size + 1,) or np.any(np.diff(z_edges) <= 0):
        raise ValueError(f"z_edges must be {counts.size + 1} increasing edges, got {check._show(z_edges)}")
    loc, scale = float(check.finite("loc", loc)), float(check.positive("scale", scale))
    n_total = check.integer("n_total", n_total, minimum=1)
    # the same counts over stretched bins: density = count / (N * bin width in x)
    ax.stairs(counts / (n_total * scale * np.diff(z_edges)), loc + scale * z_edges, fill=True, color=SAMPLES,
              alpha=0.55, label=f"{n_total:,} samples μ + βz")
    grid = np.linspace(*_X_LIM, 500)
    ax.plot(grid, gumbel_pdf(grid, loc, scale), color=THEORY, lw=2, label="exact density")
    ax.axvline(loc, color=NEUTRAL, ls="--", lw=1.5, label="mode μ")
    ax.axvline(loc + np.euler_gamma * scale, color=THEORY, ls=":", lw=2, label="mean μ + γβ")
    # fixed ticks: the automatic tick locator and its labels cost a third of a slider frame
    ax.set(xlim=_X_LIM, ylim=(0, 1.45), xticks=[-5, 0, 5, 10, 15], yticks=[0, 0.5, 1.0], xlabel="x",
           ylabel="density f(x; μ, β)", title="μ slides the density, β stretches it (area stays 1)")
    ax.legend(loc="upper right")
    return ax


def make_loc_scale_demo(rng: np.random.Generator, n_samples: int = 20_000) -> Demo:
    """Sliders for ``mu`` (loc, with Play) and ``beta`` (scale) over one fixed set of Gumbel samples.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "sample a Gumbel").

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the standard noise once.
    n_samples : int
        Number of samples, 100 to 1,000,000.

    Returns
    -------
    lectures_lib.widgets.Demo
        Sliders ``"loc"`` (-3..3) and ``"scale"`` (0.3..3); the summary compares the sample mean
        and variance with ``mu + gamma beta`` and ``pi^2 beta^2 / 6``.

    Examples
    --------
    >>> demo = make_loc_scale_demo(np.random.default_rng(0), n_samples=1000)
    >>> sorted(demo.sliders)
    ['loc', 'scale']
    """
    rng = check.generator(rng)
    n_samples = check.integer("n_samples", n_samples, minimum=100)
    if n_samples > 1_000_000:
        raise ValueError(f"n_samples must be <= 1,000,000 (a slider redraw must stay fast), got {n_samples!r}")
    z = sample_gumbel(rng, n_samples)
    counts, _ = np.histogram(z, bins=_Z_EDGES)
    z_mean, z_var = z.mean(), z.var()  # X = mu + beta Z: mean mu + beta E[Z], variance beta^2 Var Z
    grid = np.linspace(*_X_LIM, 500)
    moving = []

    def setup(ax, **_values):
        plot_loc_scale(counts, _Z_EDGES, n_samples, 0.0, 1.0, ax=ax)
        moving.extend([ax.patches[0], *ax.lines])  # histogram, density, mode and mean markers
        return moving

    def update(moving, loc, scale):
        bars, density, mode, mean = moving
        bars.set_data(counts / (n_samples * scale * np.diff(_Z_EDGES)), loc + scale * _Z_EDGES)
        density.set_ydata(gumbel_pdf(grid, loc, scale))
        mode.set_xdata([loc, loc])
        mean.set_xdata([loc + np.euler_gamma * scale] * 2)
        return (f"μ = {loc:.2f}, β = {scale:.2f}: sample mean {loc + scale * z_mean:.3f} vs μ + γβ = "
                f"{loc + np.euler_gamma * scale:.3f}; sample variance {scale**2 * z_var:.3f} vs π²β²/6 = "
                f"{np.pi**2 * scale**2 / 6:.3f}")

    controls = {"loc": slider(0.0, -3.0, 3.0, 0.1, "μ (loc)"), "scale": slider(1.0, 0.3, 3.0, 0.05, "β (scale)")}
    return StillDemo(setup, update, controls, play="loc", figsize=(7.5, 3.6))


def gaussian_max_norming(n) -> tuple[np.ndarray, np.ndarray]:
    """Norming constants ``(a_n, b_n)`` with ``(max of n N(0,1) - b_n) / a_n -> Gumbel(0, 1)``.

    Introduced in notebooks/02_gumbel_distribution.ipynb (section "Why extreme value").

    Parameters
    ----------
    n : array_like of int
        Sample sizes, ``n >= 2``.

    Returns
    -------
    (a_n, b_n) : tuple of ndarray

    Notes
    -----
    :math:`b_n = \\Phi^{-1}(1 - 1/n)` and :math:`a_n = 1/(n\\varphi(b_n))`, so that
    :math:`n(1 - \\Phi(b_n + a_n x)) \\to e^{-x}`; the error shrinks only like ``1 / log n``.

    Examples
    --------
    >>> a, b = gaussian_max_norming(2)
    >>> float(b), round(float(a), 4)  # b_2 = median 0, a_2 = 1 / (2 phi(0))
    (0.0, 1.2533)
    """
    n = check.as_float_array("n", n)
    if not np.all(np.isfinite(n) & (n >= 2) & (n == np.round(n))):
        raise ValueError(f"n must be integers >= 2, got {check._show(n)}")
    b = stats.norm.isf(1.0 / n)  # isf keeps 1 - 1/n exact for huge n
    return 1.0 / (n * stats.norm.pdf(b)), b


def _running_maxima(draw, reps: int, k_max: int) -> np.ndarray:
    # row k = max of the first 2**k draws of each repetition; each block of new draws is made once
    out = np.empty((k_max + 1, reps))
    out[0] = draw((reps, 1))[:, 0]
    for k in range(1, k_max + 1):
        out[k] = np.maximum(out[k - 1], draw((reps, 2 ** (k - 1))).max(axis=1))
    return out


def _exact_shifted_maxima(n: int) -> tuple[np.ndarray, ...]:
    # Exp: P(M - log n <= x) = (1 - e^{-x}/n)^n, zero below -log n (M >= 0); log1p keeps it accurate
    inside = _EV_GRID > -np.log(n)
    log1m = np.log1p(-np.exp(-np.where(inside, _EV_GRID, 0.0)) / n)
    exp_pdf = np.where(inside, np.exp(-_EV_GRID + (n - 1) * log1m), 0.0)
    exp_cdf = np.where(inside, np.exp(n * log1m), 0.0)
    # Gauss: d/dx Phi(b + a x)^n = n a phi(b + a x) Phi(b + a x)^(n-1), in logs to avoid 0 * inf
    a, b = gaussian_max_norming(n)
    y = b + a * _EV_GRID
    gauss_pdf = np.exp(np.log(n * a) + stats.norm.logpdf(y) + (n - 1) * stats.norm.logcdf(y))
    return exp_pdf, exp_cdf, gauss_pdf, np.exp(n * stats.norm.logcdf(y)), a, b


def make_extreme_value_demo(rng: np.random.Generator, reps: int = 4000, max_log2_n: int = 10) -> Demo:
    """Slider ``log2 n`` (with Play): shifted maxima of n Exp(1) and of n N(0, 1) against the Gumbel.

    Introduced in notebooks/02_gumbel_distribution.ipynb (section "Why extreme value").

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws all the noise once (``reps * 2**max_log2_n`` of each kind).
    reps : int
        Number of simulated maxima per ``n``, 100 to 20,000.
    max_log2_n : int
        Largest ``n`` is ``2**max_log2_n``, 2 to 12.

    Returns
    -------
    lectures_lib.widgets.Demo
        Slider ``"log2_n"``; summary: the exact sup-distance of each CDF from the Gumbel CDF.

    Notes
    -----
    Exp: :math:`P(M_n - \\log n \\le x) = (1 - e^{-x}/n)^n`.  Gauss: :math:`\\Phi(b_n + a_n x)^n`.

    Examples
    --------
    >>> demo = make_extreme_value_demo(np.random.default_rng(0), reps=200, max_log2_n=3)
    >>> demo.sliders["log2_n"].max
    3
    """
    rng = check.generator(rng)
    reps = check.integer("reps", reps, minimum=100)
    k_max = check.integer("max_log2_n", max_log2_n, minimum=2)
    if reps > 20_000 or k_max > 12:
        raise ValueError(f"reps must be <= 20,000 and max_log2_n <= 12 (memory), got {reps!r} and {k_max!r}")
    exp_max = _running_maxima(rng.standard_exponential, reps, k_max)
    gauss_max = _running_maxima(rng.standard_normal, reps, k_max)
    edges, moving = np.linspace(_EV_GRID[0], _EV_GRID[-1], 61), []

    def setup(axes, **_values):
        titles = ["max of n Exp(1) − log n: Gumbel fast", "Gaussian max, normed (M − bₙ)/aₙ: Gumbel slowly"]
        for ax, title in zip(axes, titles, strict=True):
            plot_density_vs_samples(np.zeros(reps), _EV_GRID, gumbel_pdf(_EV_GRID), bins=60, ax=ax,
                                    label="Gumbel limit")
            ax.plot(_EV_GRID, np.zeros_like(_EV_GRID), color=NEUTRAL, ls="--", lw=1.5, label="exact, this n")
            ax.set(ylim=(0, 0.7), xticks=[-4, 0, 4, 8], yticks=[0, 0.2, 0.4, 0.6], title=title, ylabel="density")
            # bars, then the (still) limit curve on top of them, then the exact finite-n curve
            moving.extend([ax.patches[0], ax.lines[0], ax.lines[-1]])
        axes[0].legend(loc="upper right")  # one legend: both panels use the same three styles
        axes[1].legend_.remove()
        moving.append(axes[0].text(0.03, 0.9, "", transform=axes[0].transAxes, fontsize=12))
        return moving

    def update(moving, log2_n):
        n = 2**log2_n
        exp_pdf, exp_cdf, gauss_pdf, gauss_cdf, a, b = _exact_shifted_maxima(n)
        moving[-1].set_text(f"n = {n}")
        for (bars, _, line), samples, exact in zip([moving[:3], moving[3:6]], [exp_max[log2_n] - np.log(n),
                                                (gauss_max[log2_n] - b) / a], [exp_pdf, gauss_pdf], strict=True):
            bars.set_data(np.histogram(samples, edges)[0] / (reps * (edges[1] - edges[0])))
            line.set_ydata(exact)
        limit = gumbel_cdf(_EV_GRID)
        d_exp, d_gauss = np.abs(exp_cdf - limit).max(), np.abs(gauss_cdf - limit).max()
        return (f"n = {n}: largest CDF gap to the Gumbel limit: Exp {d_exp:.4f}, Gauss {d_gauss:.4f} "
                f"(Exp shrinks like 1/n, Gauss like 1/log n)")

    controls = {"log2_n": slider(1, 1, k_max, 1, "log₂ n", integer=True)}
    return StillDemo(setup, update, controls, play="log2_n", ncols=2, figsize=(10.0, 3.6), interval=600)
