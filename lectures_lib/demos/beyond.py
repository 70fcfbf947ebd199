"""Figures and the interactive demo of notebooks/09_beyond_the_slides.ipynb: six gradient estimators on
the exact Bernoulli toy, their variance and their bias, as the temperature and the sample size move."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import NullLocator

from .. import _validate as check
from ..control_variates import rloo_grad
from ..exact_toy import ExactToy, bernoulli_score, exact_toy, toy_cost
from ..plotting import CATEGORY_COLORS, NEUTRAL, _axes
from ..rebar import (
    draw_relax_noise,
    fit_control_coefficients,
    gumbel_softmax_grads,
    reinforce_terms,
    relax_grads,
    straight_through_grads,
)
from ..widgets import StillDemo, slider

ESTIMATORS = ("REINFORCE", "RLOO", "Gumbel-softmax", "straight-through", "REBAR", "RELAX")
#: unbiased estimators plain, biased ones hatched: the second cue besides colour
HATCHES = ("", "", "//", "xx", "", "")
COLORS = tuple(CATEGORY_COLORS[i] for i in (1, 2, 3, 6, 0, 4))
VARIANCE_LIMITS = (1e-3, 30.0)


@dataclass(frozen=True)
class EstimatorStats:
    """Per estimator: the variance of one ``n``-sample estimate (summed over the parameters), the bias
    ``||E[g] - grad||`` measured on ``m`` draws, and its Monte Carlo resolution (2 standard errors of the norm)."""

    variance: np.ndarray
    bias: np.ndarray
    resolution: np.ndarray


def estimator_stats(toy: ExactToy, per_sample: dict, n: int) -> EstimatorStats:
    """Variance of the ``n``-sample mean and bias of each estimator, from per-sample estimates.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Parameters
    ----------
    toy : ExactToy
        The truth: ``toy.grad``.
    per_sample : dict name -> array, shape (m, D)
        Independent single-sample estimates; the key ``"RLOO"`` instead holds ``(m // n, D)`` RLOO
        estimates, each already from ``n`` samples.
    n : int >= 2
        Samples per estimate.

    Returns
    -------
    EstimatorStats, arrays in the order of ``per_sample``.

    Notes
    -----
    For i.i.d. samples ``Var[mean of n] = Var[one] / n``; the bias does not depend on ``n``.

    Examples
    --------
    >>> toy = exact_toy([0.0, 0.5])
    >>> g = np.random.default_rng(0).normal(size=(100, 2))
    >>> estimator_stats(toy, {"a": g}, 4).variance.shape
    (1,)
    """
    n = check.integer("n", n, minimum=2)
    var, bias, res = [], [], []
    for name, g in per_sample.items():
        m = g.shape[0]
        mean = g.mean(0)
        v = g.var(0, ddof=1)
        var.append(v.sum() if name == "RLOO" else v.sum() / n)
        bias.append(np.linalg.norm(mean - toy.grad))
        res.append(2 * np.sqrt(v.sum() / m))
    return EstimatorStats(np.array(var), np.array(bias), np.array(res))


def plot_variance_and_bias(stats: EstimatorStats, *, names=ESTIMATORS, axes=None, bias_max: float = 0.6):
    """Two bar charts: variance of one estimate (log scale) and bias, one bar per estimator.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Parameters
    ----------
    stats : EstimatorStats
    names : sequence of str
    axes : pair of matplotlib Axes, optional
    bias_max : float
        Upper limit of the bias axis (fixed, so the demo's frame does not move).

    Returns
    -------
    pair of Axes

    Examples
    --------
    >>> s = EstimatorStats(np.ones(6), np.zeros(6), np.full(6, 0.01))
    >>> ax_v, ax_b = plot_variance_and_bias(s)
    >>> ax_v.get_yscale(), len(ax_b.patches)
    ('log', 6)
    """
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    ax_v, ax_b = (_axes(a) for a in axes)
    x = np.arange(len(names))
    for ax, values, gid in ((ax_v, stats.variance, "var"), (ax_b, stats.bias, "bias")):
        bars = ax.bar(x, values, color=COLORS[:len(names)], edgecolor="black", lw=0.8)
        for i, (bar, hatch) in enumerate(zip(bars, HATCHES[:len(names)], strict=True)):
            bar.set_hatch(hatch)
            bar.set_gid(f"{gid}{i}")
        ax.set_xticks(x, names, rotation=20, ha="right")
    ax_v.set_yscale("log")
    ax_v.set_ylim(*VARIANCE_LIMITS)
    ax_v.set_yticks([1e-3, 1e-2, 1e-1, 1, 10], ["0.001", "0.01", "0.1", "1", "10"])
    ax_v.yaxis.set_minor_locator(NullLocator())
    ax_v.set_ylabel(r"variance, summed over $\theta_1, \theta_2, \theta_3$")
    ax_b.set_ylim(0, bias_max)
    ax_b.plot([-0.5, len(names) - 0.5], [stats.resolution.max()] * 2, color=NEUTRAL, ls=":", lw=1.5,
              label="largest Monte Carlo error (2 s.e.)", gid="resolution")
    ax_b.set_xlim(-0.5, len(names) - 0.5)
    ax_b.set_ylabel(r"bias $\|\mathbb{E}[\hat g] - \nabla_\theta \mathbb{E}[f]\|$")
    ax_b.legend(loc="upper left")
    return ax_v, ax_b


def per_sample_estimates(theta, target: float, temperature: float, n: int, rng: np.random.Generator, *,
                         m_train: int = 4000, m_eval: int = 8000, noise=None) -> dict:
    """Single-sample estimates of the six estimators on shared noise (RLOO: ``n``-sample estimates).

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    REBAR's ``eta`` and RELAX's ``phi`` are fitted on ``m_train`` draws (:func:`rebar.fit_control_coefficients`)
    and evaluated on ``m_eval`` fresh draws, so that the fitted coefficients do not depend on the
    draws they are measured on.  ``noise`` = ``(train, eval)`` reuses draws (the demo does).

    Examples
    --------
    >>> est = per_sample_estimates([0.0, 0.5], 0.45, 0.5, 4, np.random.default_rng(0), m_train=100, m_eval=200)
    >>> list(est)[:2], est["RLOO"].shape, est["RELAX"].shape
    (['REINFORCE', 'RLOO'], (50, 2), (200, 2))
    """
    tau = float(check.positive("temperature", temperature))
    n = check.integer("n", n, minimum=2)
    if noise is None:
        rng = check.generator(rng)
        noise = (draw_relax_noise(theta, rng, m_train), draw_relax_noise(theta, rng, m_eval))
    train, ev = noise
    rf = reinforce_terms(ev, target)
    # RLOO needs the samples in groups of n: the same draws, m_eval // n estimates
    groups = ev.b[: (len(ev.b) // n) * n].reshape(-1, n, ev.b.shape[1])
    f, score = toy_cost(groups, target), bernoulli_score(groups, ev.theta)
    return {
        "REINFORCE": rf,
        "RLOO": rloo_grad(f, score),
        "Gumbel-softmax": gumbel_softmax_grads(ev, target, tau),
        "straight-through": straight_through_grads(ev, target, tau),
        "REBAR": relax_grads(ev, target, tau, fit_control_coefficients(train, target, tau, rebar=True)),
        "RELAX": relax_grads(ev, target, tau, fit_control_coefficients(train, target, tau)),
    }


def make_estimator_demo(rng: np.random.Generator, *, theta=(-0.5, 0.2, 0.6), target: float = 0.45,
                        m_train: int = 4000, m_eval: int = 8000) -> StillDemo:
    """Sliders for the temperature ``tau`` (with Play) and the samples per estimate ``n``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the noise once; the sliders reuse it, so bars move smoothly instead of jittering.
    theta, target : the toy (:func:`lectures_lib.exact_toy.exact_toy`).
    m_train, m_eval : int
        Draws for fitting REBAR / RELAX and for measuring (>= 100 each).

    Returns
    -------
    StillDemo
        Controls ``"tau"`` and ``"n"``; left the variance of one ``n``-sample estimate, right the bias.

    Examples
    --------
    >>> demo = make_estimator_demo(np.random.default_rng(0), m_train=200, m_eval=400)
    >>> sorted(demo.sliders)
    ['n', 'tau']
    """
    rng = check.generator(rng)
    m_train = check.integer("m_train", m_train, minimum=100)
    m_eval = check.integer("m_eval", m_eval, minimum=100)
    toy = exact_toy(theta, target)
    noise = (draw_relax_noise(toy.theta, rng, m_train), draw_relax_noise(toy.theta, rng, m_eval))
    moving, controls_max_tau = {}, 2.0

    def stats(tau: float, n: int) -> EstimatorStats:
        est = per_sample_estimates(toy.theta, target, tau, n, None, noise=noise)
        return estimator_stats(toy, est, n)

    # the relaxations' bias grows with tau: the largest tau fixes the bias axis once
    bias_max = float(np.ceil(12 * stats(controls_max_tau, 2).bias.max()) / 10)

    def summary(tau: float, n: int, s: EstimatorStats) -> str:
        mse = s.bias**2 + s.variance
        best = ESTIMATORS[int(np.argmin(mse))]
        parts = ", ".join(f"{name} {m:.3g}" for name, m in zip(ESTIMATORS, mse, strict=True))
        return (f"τ = {tau:.2f}, n = {n}: mean squared error (bias² + variance) {parts}; "
                f"smallest: <b>{best}</b>")

    def setup(axes, tau: float, n: int) -> list:
        s = stats(tau, n)
        plot_variance_and_bias(s, axes=axes, bias_max=bias_max)
        axes[0].set_title("Variance of one estimate (log scale)")
        axes[1].set_title("Bias: hatched bars are biased")
        moving.update({a.get_gid(): a for ax in axes for a in [*ax.patches, *ax.lines] if a.get_gid()})
        return list(moving.values())

    def update(tau: float, n: int) -> str:
        s = stats(tau, n)
        for i in range(len(ESTIMATORS)):
            moving[f"var{i}"].set_height(np.clip(s.variance[i], VARIANCE_LIMITS[0], VARIANCE_LIMITS[1]))
            moving[f"bias{i}"].set_height(min(s.bias[i], bias_max))
        moving["resolution"].set_ydata([s.resolution.max()] * 2)
        return summary(tau, n, s)

    controls = {"tau": slider(0.5, 0.05, controls_max_tau, 0.05, "temperature τ"),
                "n": slider(4, 2, 32, 1, "samples per estimate n", integer=True)}
    return StillDemo(setup, lambda _moving, **values: update(**values), controls, play="tau", ncols=2,
                     figsize=(10.0, 3.9))
