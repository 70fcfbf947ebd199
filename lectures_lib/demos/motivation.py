"""Figures and interactive demos of notebooks/01_motivation.ipynb.

Pure plot functions (data in, ``ax`` in, ``ax`` out) and two builders:

* :func:`make_gan_losses_demo` - move the generator's mean away from the data and watch the
  minimax generator loss lose its gradient (slide "a motivating example: Generative Adversarial Training");
* :func:`make_discrete_generator_demo` - sweep one generator parameter ``theta_j``: for fixed noise
  ``D(G_theta(z))`` is a step function, the exact ``E[D]`` is smooth (slide "consider D_phi(G_theta(z))").
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator
from scipy.stats import norm

from .. import _validate as check
from ..motivation import (
    GENERATOR_LOSSES,
    ToySequenceGAN,
    discriminator_prob,
    draw_gumbel_noise,
    expected_discriminator,
    expected_discriminator_grad,
    generator_loss_grad,
    make_toy_gan,
    optimal_discriminator,
    sample_tokens,
    step_probabilities,
    with_parameter,
)
from ..plotting import ACCENT, CATEGORY_COLORS, NEUTRAL, SAMPLES, THEORY, _axes
from ..widgets import Demo, StillDemo, slider

#: Unicode subscripts for the slider label (plain text) of a parameter name such as b_o[0] or W_hh[1,2]
_SUBSCRIPTS = str.maketrans({"o": "ₒ", "h": "ₕ", "v": "ᵥ"})


def _parameter_labels(param: str) -> tuple[str, str]:
    """(plain text, mathtext) of a parameter name: ``"b_o[0]"`` -> ``("θⱼ = bₒ[0]", "$\\theta_j = b_{o}[0]$")``."""
    base, _, rest = param.partition("_")
    sub, bracket, index = rest.partition("[")
    plain = f"θⱼ = {base}{sub.translate(_SUBSCRIPTS)}{bracket}{index}"
    return plain, rf"$\theta_j = {base}_{{{sub}}}{bracket}{index}$"

#: colours and labels of the three generator losses, the same in every figure of notebook 01
LOSS_STYLE = {
    "minimax": (ACCENT, "minimax  log(1 − D)"),
    "non_saturating": (THEORY, "non-saturating  −log D"),
    "logit": (CATEGORY_COLORS[2], "slide  −log(D / (1 − D))"),
}
P_G_COLOR = CATEGORY_COLORS[2]


def plot_generator_losses(d, ax_loss: Axes | None = None, ax_grad: Axes | None = None):
    """The three generator losses (left) and their derivatives in the logit (right) against ``d = D(G(z))``.

    Returns ``(ax_loss, ax_grad)``.
    """
    ax_loss, ax_grad = _axes(ax_loss), _axes(ax_grad)
    d = check.as_float_array("d", d)
    s = np.log(d) - np.log1p(-d)  # the logit of d
    for kind in GENERATOR_LOSSES:
        color, label = LOSS_STYLE[kind]
        loss = {"minimax": np.log1p(-d), "non_saturating": -np.log(d), "logit": -s}[kind]
        ax_loss.plot(d, loss, color=color, lw=2, label=label)
        ax_grad.plot(d, generator_loss_grad(s, kind), color=color, lw=2, label=label)
    ax_loss.set(xlabel="D(G(z))", ylabel="generator loss ℓ (minimised)", ylim=(-5, 5),
                title="Three generator losses")
    ax_grad.axhline(0, color=NEUTRAL, lw=0.8)
    ax_grad.axvspan(0, 0.1, color=NEUTRAL, alpha=0.12, lw=0)
    ax_grad.text(0.012, -0.5, "generator\nlosing\n(D ≈ 0)", fontsize=9, color=NEUTRAL, va="center")
    ax_grad.set(xlabel="D(G(z))", ylabel="∂ℓ/∂s  (s = logit of D)", ylim=(-1.15, 0.15),
                title="log(1 − D) has no gradient when D ≈ 0")
    ax_loss.legend(loc="upper right", fontsize=9)
    return ax_loss, ax_grad


def plot_gan_densities(x, p_data, p_g, d_star, *, legend: bool = True, ax: Axes | None = None) -> Axes:
    """``p_data`` (blue), ``p_g`` (green, filled) and the optimal discriminator ``D*(x)`` (dashed)."""
    ax = _axes(ax)
    ax.plot(x, p_data, color=THEORY, lw=2, label=r"$p_\mathrm{data}$")
    ax.fill_between(x, p_g, color=P_G_COLOR, alpha=0.3, lw=0, gid="p_g_fill")
    ax.plot(x, p_g, color=P_G_COLOR, lw=2, label=r"$p_g$", gid="p_g")
    ax.plot(x, d_star, color=NEUTRAL, lw=1.8, ls="--", label=r"$D^*(x) = p_\mathrm{data} / (p_\mathrm{data} + p_g)$",
            gid="d_star")
    ax.set(xlim=(x[0], x[-1]), ylim=(0, 1.3), xlabel="x", ylabel=r"density  /  $D^*(x)$", yticks=[0, 0.5, 1],
           xticks=np.linspace(x[0], x[-1], 5).round(1))
    if legend:
        ax.legend(loc="upper left", fontsize=8, ncols=3)
    return ax


def plot_gradient_bars(mean_abs_grad: dict, *, ylabel: str = "", ax: Axes | None = None) -> Axes:
    """Bars of ``E_{p_g}|dl/ds|`` for the three generator losses at the optimal discriminator."""
    ax = _axes(ax)
    kinds = list(GENERATOR_LOSSES)
    bars = ax.bar(range(3), [mean_abs_grad[k] for k in kinds], color=[LOSS_STYLE[k][0] for k in kinds], width=0.6)
    for bar, kind in zip(bars, kinds, strict=True):
        bar.set_gid(f"bar_{kind}")
    ax.set_xticks(range(3), ["log(1−D)", "−log D", "−logit D"])
    ax.set(ylim=(0, 1.1), yticks=[0, 0.5, 1], ylabel=ylabel)
    return ax


def _by_gid(axes) -> dict:
    """The artists of ``axes`` that have a gid (the ones the plot functions mark as moving)."""
    return {a.get_gid(): a for ax in axes for a in ax.get_children() if a.get_gid()}


def make_gan_losses_demo(loc_data: float = 0.0, scale_data: float = 1.0, scale_g: float = 1.0, *,
                         loc_g: float = 1.0, loc_max: float = 6.0, n_grid: int = 600) -> Demo:
    """Slider (with Play) for the generator's mean ``mu_g``; ``p_g = N(mu_g, scale_g^2)``.

    Introduced in notebooks/01_motivation.ipynb (slide "a motivating example: Generative Adversarial
    Training"), section 1.4.

    Parameters
    ----------
    loc_data, scale_data : float
        The data distribution ``N(loc_data, scale_data^2)``.
    scale_g : float
        Standard deviation of the generator's distribution.
    loc_g : float
        Initial ``mu_g``, within ``loc_data +- loc_max`` (the slider's range, step 0.1).
    n_grid : int
        Points of the ``x`` grid for the plots and the trapezoid rule (>= 50).

    Returns
    -------
    Demo
        Control ``"mu_g"`` with Play.  Left: ``p_data``, ``p_g`` and ``D*``.  Right: the mean size
        of each generator loss's gradient in the logit under ``p_g``.  Summary: ``KL(p_g || p_data)``
        computed as ``E_{p_g}[-logit D*]`` and the three mean gradients.

    Examples
    --------
    >>> demo = make_gan_losses_demo(n_grid=100)
    >>> demo.sliders["mu_g"].value = 2.0
    >>> "= 2.000" in demo.summary.value  # KL(N(2, 1) || N(0, 1)) = 2
    True
    """
    loc_data = float(check.finite("loc_data", loc_data))
    scale_data, scale_g = float(check.positive("scale_data", scale_data)), float(check.positive("scale_g", scale_g))
    loc_max = float(check.positive("loc_max", loc_max))
    loc_g = float(check.finite("loc_g", loc_g))
    if abs(loc_g - loc_data) > loc_max:
        raise ValueError(f"loc_g must lie in loc_data +- loc_max = [{loc_data - loc_max}, {loc_data + loc_max}], "
                         f"got {loc_g}")
    n_grid = check.integer("n_grid", n_grid, minimum=50)
    half = loc_max + 4 * max(scale_g, scale_data)  # both densities are negligible beyond 4 sd
    x = np.linspace(loc_data - half, loc_data + half, n_grid)
    log_p_data = norm.logpdf(x, loc_data, scale_data)
    p_data = np.exp(log_p_data)
    mu = slider(loc_g, loc_data - loc_max, loc_data + loc_max, 0.1, "generator mean")

    def frame(mu_g):
        # log N(x; mu_g, scale_g^2) in NumPy: scipy.stats' per-call overhead matters under a slider
        log_p_g = -0.5 * ((x - mu_g) / scale_g) ** 2 - np.log(scale_g * np.sqrt(2 * np.pi))
        p_g = np.exp(log_p_g)
        # logit of D*: log p_data - log p_g, exact in log-space even where both densities underflow
        s = log_p_data - log_p_g
        grads = {k: float(np.trapezoid(p_g * np.abs(generator_loss_grad(s, k)), x)) for k in GENERATOR_LOSSES}
        # the slide's loss at D*: E_{p_g}[-s], which is KL(p_g || p_data)
        kl = float(np.trapezoid(p_g * -s, x))
        return p_g, optimal_discriminator(p_data, p_g), grads, kl

    def setup(axes, mu_g):
        p_g, d_star, grads, _ = frame(mu_g)
        plot_gan_densities(x, p_data, p_g, d_star, ax=axes[0])
        axes[0].set_title(rf"$p_g = \mathcal{{N}}(\mu_g, {scale_g:g}^2)$ against "
                          rf"$p_\mathrm{{data}} = \mathcal{{N}}({loc_data:g}, {scale_data:g}^2)$")
        plot_gradient_bars(grads, ylabel=r"mean $|\partial\ell/\partial s|$ under $p_g$, at $D^*$", ax=axes[1])
        axes[1].set_title("Gradient reaching the generator")
        return axes

    def update(moving, mu_g):
        p_g, d_star, grads, kl = frame(mu_g)
        moving["p_g"].set_ydata(p_g)
        # the filled area's outline: along p_g, back along 0 (its set_data needs matplotlib >= 3.10)
        moving["p_g_fill"].set_verts([np.column_stack([np.r_[x, x[::-1]], np.r_[p_g, np.zeros_like(p_g)]])])
        moving["d_star"].set_ydata(d_star)
        for kind, value in grads.items():
            moving[f"bar_{kind}"].set_height(value)
        e_pg = "E<sub>p<sub>g</sub></sub>"  # subscripts as HTML: the summary is an HTML widget
        return (f"μ<sub>g</sub> = {mu_g:.1f}: KL(p<sub>g</sub> ‖ p<sub>data</sub>) = {e_pg}[−logit D*] = {kl:.3f} · "
                f"{e_pg}|∂ℓ/∂s|: log(1−D) {grads['minimax']:.3f}, −log D {grads['non_saturating']:.3f}, "
                f"−logit D {grads['logit']:.3f}")

    return StillDemo(lambda axes, **values: _by_gid(setup(axes, **values)), update, {"mu_g": mu}, play="mu_g",
                     ncols=2, figsize=(10, 3.5))


def _step_curve(values, d):
    """Break a piecewise-constant curve at its jumps (NaN), so no false vertical line joins the steps."""
    jump = np.flatnonzero(np.diff(d) != 0)
    return np.insert(values, jump + 1, np.nan), np.insert(d, jump + 1, np.nan)


def plot_d_vs_theta(values, d_draws, expectation, *, current: int = 0, theta_now: float | None = None,
                    d_now: float | None = None, name: str = r"$\theta_j$", ylim=None, legend: bool = True,
                    ax: Axes | None = None) -> Axes:
    """``D(G_theta(z))`` against ``theta_j`` for fixed noise draws (steps) and the exact ``E[D]`` (smooth).

    ``d_draws`` has shape (S, n): one row per noise draw; row ``current`` is drawn bold, the others
    faintly.  ``theta_now`` adds a marker at the current value (``d_now``: the sample's ``D`` there,
    default read off the grid).  ``ylim`` defaults to the range of all curves plus a margin.
    """
    ax = _axes(ax)
    values, d_draws = np.asarray(values, float), np.atleast_2d(np.asarray(d_draws, float))
    expectation = np.asarray(expectation, float)
    others = [_step_curve(values, row) for i, row in enumerate(d_draws) if i != current]
    if others:
        # one Line2D for all faint curves (NaN-separated): one draw call instead of S - 1
        xs = np.concatenate([np.append(x, np.nan) for x, _ in others])
        ys = np.concatenate([np.append(y, np.nan) for _, y in others])
        ax.plot(xs, ys, color=SAMPLES, lw=1.2, alpha=0.35, gid="others")
    ax.plot(*_step_curve(values, d_draws[current]), color=SAMPLES, lw=2.5, label=r"$D(G_\theta(z))$, fixed noise",
            gid="current")
    ax.plot(values, expectation, color=THEORY, lw=2.5, label=r"$\mathbb{E}[D]$, exact")
    if theta_now is not None:
        d_now = float(np.interp(theta_now, values, d_draws[current])) if d_now is None else d_now
        ax.axvline(theta_now, color=ACCENT, lw=1, ls=":", gid="theta_now")
        ax.plot([theta_now], [d_now], "o", color=ACCENT, ms=7, gid="d_now")
        ax.plot([theta_now], [np.interp(theta_now, values, expectation)], "o", color=ACCENT, ms=7, mfc="white",
                gid="e_now")
    if ylim is None:
        lo, hi = min(d_draws.min(), expectation.min()), max(d_draws.max(), expectation.max())
        # a wider margin on top leaves room for the legend above the curves
        ylim = (max(0.0, lo - 0.08 * (hi - lo) - 0.01), hi + (0.3 if legend else 0.08) * (hi - lo) + 0.01)
    # few tick labels: each costs about a millisecond per frame under a slider
    ax.set(xlim=(values[0], values[-1]), ylim=ylim, xlabel=name, ylabel="discriminator output $D$",
           xticks=np.linspace(values[0], values[-1], 5))
    ax.yaxis.set_major_locator(MaxNLocator(4))
    if legend:
        ax.legend(loc="upper left", fontsize=8, ncols=2)
    return ax


def plot_derivatives(values, fd_steps, grad_expectation, *, name: str = r"$\theta_j$", ax: Axes | None = None) -> Axes:
    """Finite differences of the step function (orange spikes) and ``dE[D]/dtheta_j`` (blue), symlog axis.

    ``fd_steps`` has one entry per interval ``[values[i], values[i+1]]`` (``np.diff(d) / np.diff(values)``);
    the linear part of the symlog axis (``|y| < 0.1``) keeps the small exact derivative readable
    next to spikes that are 100 times larger.
    """
    ax = _axes(ax)
    values = np.asarray(values, float)
    mid = (values[:-1] + values[1:]) / 2
    ax.axhline(0, color=NEUTRAL, lw=0.8)
    ax.plot(mid, fd_steps, color=SAMPLES, lw=1.5, label=r"finite difference of $D(G_\theta(z))$")
    ax.plot(values, grad_expectation, color=THEORY, lw=2.5, label=r"$\partial\,\mathbb{E}[D]/\partial\theta_j$ (exact)")
    ax.set_yscale("symlog", linthresh=0.1)
    ax.set(xlim=(values[0], values[-1]), xlabel=name, ylabel="derivative (symlog scale)")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def plot_token_probs(probs, tokens, ax: Axes | None = None) -> Axes:
    """Heat map of ``p(K_t = k | K_<t, z)``: columns are the steps ``t = 1..T`` (left to right), rows the
    tokens ``k``; the sampled token is outlined and labelled with its probability.

    The axis is switched off and the rows are labelled with plain text: tick labels cost about a
    millisecond each per slider frame.
    """
    ax = _axes(ax)
    probs = np.asarray(probs, float)  # (T, L)
    tokens = np.asarray(tokens)
    T, L = probs.shape
    ax.imshow(probs.T, cmap="Blues", vmin=0, vmax=1, origin="lower", aspect="auto",
              extent=(0.5, T + 0.5, -0.5, L - 0.5), gid="probs")
    for t, k in enumerate(tokens):
        ax.text(t + 1, k, f"{probs[t, k]:.2f}", ha="center", va="center", fontsize=10,
                color="white" if probs[t, k] > 0.6 else "black", gid=f"prob_{t}")
    for k in range(L):
        ax.text(0.45, k, f"k={k}", ha="right", va="center", fontsize=9)
    ax.scatter(np.arange(1, T + 1), tokens, marker="s", s=1400, facecolors="none", edgecolors=SAMPLES,
               linewidths=3, gid="sampled")
    ax.set(xlim=(0.5, T + 0.5), ylim=(-0.5, L - 0.5))
    ax.axis("off")
    return ax


def make_discrete_generator_demo(rng: np.random.Generator, *, gan: ToySequenceGAN | None = None, gumbel=None,
                                 j: int | str = "b_o[0]", n_noise: int = 8, lo: float = -4.0, hi: float = 4.0,
                                 step: float = 0.05, fine: int = 2, h: float = 1e-4) -> Demo:
    """Sliders for ``theta_j`` (with Play) and the noise draw; noise fixed once, curves precomputed.

    Parameters
    ----------
    rng : numpy.random.Generator
        Makes ``gan`` (``make_toy_gan(rng)``) and then ``gumbel`` (``n_noise`` draws) if they are
        not given; unused when both are.
    gan : ToySequenceGAN, optional
    gumbel : array_like, shape (S, T, L), optional
        ``S`` fixed Gumbel noise draws (see ``draw_gumbel_noise``); the slider picks one.
    j : int or str
        The swept parameter: an index into ``gan.theta`` or a name from ``gan.param_names``.
    lo, hi, step : float
        Range and slider step of ``theta_j``; the curves use a grid ``fine`` times finer.
    h : float
        Step of the central finite differences reported in the summary.

    Returns
    -------
    Demo
        Controls ``"theta_j"`` (with Play) and ``"noise"``.  Left: ``D(G_theta(z))`` for every noise
        draw (the chosen one bold), the exact ``E[D]`` and markers at ``theta_j``.  Right: the step
        probabilities along the sampled sequence.  Summary: tokens, ``D``, ``E[D]`` and derivatives.

    Notes
    -----
    Introduced in notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))"), section 2.4.
    The curves over ``theta_j`` are computed once here; a slider move only samples one sequence
    and evaluates the exact expectation (27 sequences) and its derivatives.

    Examples
    --------
    >>> demo = make_discrete_generator_demo(np.random.default_rng(0), n_noise=2)
    >>> sorted(demo.sliders), demo.sliders["noise"].max
    (['noise', 'theta_j'], 1)
    """
    rng = check.generator(rng)
    gan = make_toy_gan(rng) if gan is None else gan
    gumbel = draw_gumbel_noise(gan, rng, n_noise) if gumbel is None else check.finite("gumbel", gumbel)
    if gumbel.ndim != 3 or gumbel.shape[0] < 1:
        raise ValueError(f"gumbel must have shape (S, T, L) with S >= 1, got {gumbel.shape}")
    sample_tokens(gan, gumbel[:1])  # validates gan and the (T, L) shape
    if isinstance(j, str):
        if j not in gan.param_names:
            raise ValueError(f"j must be an index or one of gan.param_names (e.g. 'b_o[0]'), got {j!r}")
        j = gan.param_names.index(j)
    j = check.integer("j", j, minimum=0)
    if j >= gan.theta.size:
        raise ValueError(f"j must be < P = {gan.theta.size}, got {j}")
    lo, hi = float(check.finite("lo", lo)), float(check.finite("hi", hi))
    if not lo < hi:
        raise ValueError(f"lo must be < hi, got lo={lo}, hi={hi}")
    step, h = float(check.positive("step", step)), float(check.positive("h", h))
    fine = check.integer("fine", fine, minimum=1)
    values = np.linspace(lo, hi, fine * round((hi - lo) / step) + 1)
    thetas = [with_parameter(gan.theta, j, v) for v in values]
    d_draws = np.array([discriminator_prob(gan, sample_tokens(gan, gumbel, th)) for th in thetas]).T  # (S, n)
    expectation = np.array([expected_discriminator(gan, th) for th in thetas])  # (n,)
    name, axis_name = _parameter_labels(gan.param_names[j])  # slider label (plain text), axis label (mathtext)
    theta0 = min(max(float(gan.theta[j]), lo), hi)
    controls = {"theta_j": slider(lo + step * round((theta0 - lo) / step), lo, hi, step, name),
                "noise": slider(0, 0, gumbel.shape[0] - 1, 1, "noise draw", integer=True)}

    def d_at(v, noise):
        return float(discriminator_prob(gan, sample_tokens(gan, gumbel[noise], with_parameter(gan.theta, j, v))))

    def frame(theta_j, noise):
        theta = with_parameter(gan.theta, j, theta_j)
        tokens = sample_tokens(gan, gumbel[noise], theta)
        return theta, tokens, d_at(theta_j, noise), step_probabilities(gan, tokens, theta)

    def setup(axes, theta_j, noise):
        _, tokens, d, probs = frame(theta_j, noise)
        plot_d_vs_theta(values, d_draws, expectation, current=noise, theta_now=theta_j, d_now=d, name=axis_name,
                        ax=axes[0])
        axes[0].set_title(r"Fixed noise: $D(G_\theta(z))$ jumps, $\mathbb{E}[D]$ is smooth")
        plot_token_probs(probs, tokens, ax=axes[1])
        axes[1].set_title(r"$p(k_t \mid k_{<t}, z)$ along the sample, $t = 1, 2, 3$")
        return axes

    def update(moving, theta_j, noise):
        theta, tokens, d, probs = frame(theta_j, noise)
        e = expected_discriminator(gan, theta)
        # central differences: (f(θ + h) - f(θ - h)) / 2h
        fd_d = (d_at(theta_j + h, noise) - d_at(theta_j - h, noise)) / (2 * h)
        fd_e = (expected_discriminator(gan, with_parameter(theta, j, theta_j + h))
                - expected_discriminator(gan, with_parameter(theta, j, theta_j - h))) / (2 * h)
        moving["current"].set_data(*_step_curve(values, d_draws[noise]))
        if "others" in moving:
            rest = [_step_curve(values, row) for i, row in enumerate(d_draws) if i != noise]
            moving["others"].set_data(np.concatenate([np.append(x, np.nan) for x, _ in rest]),
                                      np.concatenate([np.append(y, np.nan) for _, y in rest]))
        moving["theta_now"].set_xdata([theta_j, theta_j])
        moving["d_now"].set_data([theta_j], [d])
        moving["e_now"].set_data([theta_j], [np.interp(theta_j, values, expectation)])
        moving["probs"].set_data(probs.T)
        moving["sampled"].set_offsets(np.column_stack([np.arange(1, gan.length + 1), tokens]))
        for t, k in enumerate(tokens):
            text = moving[f"prob_{t}"]
            text.set_position((t + 1, k))
            text.set_text(f"{probs[t, k]:.2f}")
            text.set_color("white" if probs[t, k] > 0.6 else "black")
        return (f"{name} = {theta_j:.2f}, noise draw {noise}: tokens k = {tuple(int(k) for k in tokens)} · "
                f"D(G<sub>θ</sub>(z)) = {d:.3f}, finite difference ∂D/∂θ<sub>j</sub> = {fd_d:.3g} (h = {h:g}) · "
                f"E[D] = {e:.3f}, ∂E[D]/∂θ<sub>j</sub> = {expected_discriminator_grad(gan, j, theta):.4f} "
                f"(finite difference {fd_e:.4f})")

    return StillDemo(lambda axes, **values: _by_gid(setup(axes, **values)), update, controls, play="theta_j",
                     ncols=2, figsize=(10, 3.6))
