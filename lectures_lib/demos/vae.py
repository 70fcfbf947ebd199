"""Figures and interactive demos of notebooks/06_vae.ipynb: the ELBO gap and the VAE's latent space.

Introduced in notebooks/06_vae.ipynb (slides "real example on variational auto-encoder" and
"objective function illustration").  Plot functions are pure (data in, ``ax`` in, ``ax`` out);
``make_*_demo`` builders wrap them in a :class:`lectures_lib.widgets.Demo`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from .. import _validate as check
from ..kl import gaussian_kl, linear_gaussian_elbo, linear_gaussian_log_evidence, linear_gaussian_posterior
from ..plotting import CATEGORY_COLORS, NEUTRAL, SAMPLES, THEORY, _axes
from ..vae import VAE
from ..widgets import Demo, StillDemo, slider

#: ten digit colours: the project's eight category colours plus the two Tableau-10 colours it leaves out
DIGIT_COLORS = (*CATEGORY_COLORS, "#ff9da7", "#bab0ac")
Q_COLOR = CATEGORY_COLORS[2]  # green: the variational q, neither exact (blue) nor Monte Carlo (orange)
_Z = np.linspace(-4.0, 4.0, 400)
_MEANS = np.linspace(-2.0, 2.0, 161)


def _normal_pdf(z, mean, log_var):
    return np.exp(-0.5 * (np.square(z - mean) * np.exp(-log_var) + log_var + np.log(2 * np.pi)))


def plot_posterior_and_q(x: float, w: float, s: float, mean: float, log_var: float, *, ax: Axes | None = None) -> Axes:
    """Prior ``N(0, 1)``, exact posterior ``p(z|x)`` and ``q = N(mean, exp(log_var))`` over z.

    Introduced in notebooks/06_vae.ipynb (slide "real example on variational auto-encoder").
    """
    ax = _axes(ax)
    post_mean, post_log_var = linear_gaussian_posterior(x, w, s)
    ax.plot(_Z, _normal_pdf(_Z, 0.0, 0.0), color=NEUTRAL, lw=1.5, ls="--", label="prior $p(z)$")
    ax.plot(_Z, _normal_pdf(_Z, post_mean, post_log_var), color=THEORY, lw=2.5, label="posterior $p(z|x)$")
    ax.fill_between(_Z, _normal_pdf(_Z, mean, log_var), color=Q_COLOR, alpha=0.35, lw=0, gid="q_fill")
    ax.plot(_Z, _normal_pdf(_Z, mean, log_var), color=Q_COLOR, lw=2, label="$q(z)$", gid="q")
    ax.set(xlim=(_Z[0], _Z[-1]), ylim=(0, 1.6), xlabel="$z$", ylabel="density",
           title="$q$ against the exact posterior")
    ax.legend(loc="upper left")
    return ax


def plot_elbo_vs_mean(x: float, w: float, s: float, mean: float, log_var: float, *,
                      ax: Axes | None = None) -> Axes:
    """ELBO as a function of q's mean (at this ``log_var``), under the constant ``log p(x)``.

    The vertical bar at ``mean`` is the gap ``log p(x) - ELBO = KL(q || p(z|x))``.
    """
    ax = _axes(ax)
    log_px = float(linear_gaussian_log_evidence(x, w, s))
    elbo_curve = linear_gaussian_elbo(x, w, s, _MEANS, log_var)
    elbo = float(linear_gaussian_elbo(x, w, s, mean, log_var))
    ax.axhline(log_px, color=THEORY, lw=2, label=r"$\log p(x)$")
    ax.plot(_MEANS, elbo_curve, color=Q_COLOR, lw=2, label=r"ELBO$(q)$", gid="elbo")
    ax.vlines(mean, elbo, log_px, color="black", lw=2.5, label=r"gap $=\mathrm{KL}(q\,\|\,p(z|x))$", gid="gap")
    ax.plot([mean], [elbo], "o", color=Q_COLOR, ms=7, gid="point")
    ax.set(xlim=(_MEANS[0], _MEANS[-1]), ylim=(log_px - 9, log_px + 3), xlabel="mean of $q$",
           ylabel="nats", title=r"ELBO $\leq \log p(x)$; equal only at the posterior")
    ax.legend(loc="upper center", ncols=3, fontsize=9, handlelength=1.5, columnspacing=1.0)
    return ax


def make_elbo_gap_demo(x: float = 1.5, w: float = 2.0, s: float = 1.0) -> Demo:
    """Sliders for q's mean (with Play) and log-variance; the gap is always ``KL(q || p(z|x))``.

    Introduced in notebooks/06_vae.ipynb (slide "real example on variational auto-encoder").

    Parameters
    ----------
    x : float
        The observation, finite.
    w, s : float
        Decoder weight and noise std of ``x|z ~ N(w z, s^2)`` (``s > 0``).
    """
    x, w = float(check.finite("x", x)), float(check.finite("w", w))
    s = float(check.positive("s", s))
    post_mean, post_log_var = (float(v) for v in linear_gaussian_posterior(x, w, s))

    log_px = float(linear_gaussian_log_evidence(x, w, s))
    moving = {}

    def setup(axes, mean, log_var):
        plot_posterior_and_q(x, w, s, mean, log_var, ax=axes[0])
        plot_elbo_vs_mean(x, w, s, mean, log_var, ax=axes[1])
        moving.update({a.get_gid(): a for ax in axes for a in [*ax.lines, *ax.collections] if a.get_gid()})
        return list(moving.values())

    def update(mean, log_var):
        q = _normal_pdf(_Z, mean, log_var)
        moving["q"].set_ydata(q)
        moving["q_fill"].set_verts([np.column_stack([np.r_[_Z, _Z[::-1]], np.r_[q, np.zeros_like(q)]])])
        moving["elbo"].set_ydata(linear_gaussian_elbo(x, w, s, _MEANS, log_var))
        elbo = float(linear_gaussian_elbo(x, w, s, mean, log_var))
        moving["gap"].set_segments([[(mean, elbo), (mean, log_px)]])
        moving["point"].set_data([mean], [elbo])
        kl = float(gaussian_kl(mean, log_var, post_mean, post_log_var))
        return (f"log p(x) = {log_px:.3f} nats, ELBO = {elbo:.3f}, gap = {log_px - elbo:.4f}, "
                f"KL(q ‖ p(z|x)) = {kl:.4f}  (posterior: mean {post_mean:.2f}, log-variance {post_log_var:.2f})")

    controls = {"mean": slider(0.0, -2.0, 2.0, 0.05, "mean of q"),
                "log_var": slider(0.0, -4.0, 1.0, 0.1, "log-variance of q")}
    return StillDemo(setup, lambda _moving, **values: update(**values), controls,
                     play="mean", ncols=2, figsize=(10.5, 3.6))


def plot_digits(images, *, ax: Axes | None = None, ncols: int = 10, title: str = "", labels=None) -> Axes:
    """A grid of 8x8 images (intensities in [0, 1]) drawn as one mosaic, 0 = white, 1 = black.

    ``labels`` (one per image, single row only) are written under the digits.
    """
    ax = _axes(ax)
    images = check.as_float_array("images", images).reshape(-1, 8, 8)
    ncols = max(1, min(ncols, len(images)))
    nrows = -(-len(images) // ncols)
    mosaic = np.full((nrows * 9 - 1, ncols * 9 - 1), np.nan)  # one NaN pixel of white between digits
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        mosaic[r * 9:r * 9 + 8, c * 9:c * 9 + 8] = img
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks([])
    if labels is not None and nrows == 1:
        ax.set_xticks(9 * np.arange(len(images)) + 3.5, [str(v) for v in labels])
        ax.tick_params(axis="x", length=0)
    else:
        ax.set_xticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title)
    return ax


def plot_latent(codes, labels, *, ax: Axes | None = None, title: str = "", limit: float = 4.0) -> Axes:
    """2-D latent codes coloured by digit, with the prior's 1- and 2-sigma circles."""
    ax = _axes(ax)
    codes = check.as_float_array("codes", codes)
    labels = np.asarray(labels)
    t = np.linspace(0, 2 * np.pi, 100)
    for r in (1, 2):
        ax.plot(r * np.cos(t), r * np.sin(t), color=NEUTRAL, lw=1, ls="--")
    colors = np.array(DIGIT_COLORS)[labels % 10]
    ax.scatter(codes[:, 0], codes[:, 1], c=colors, s=6, alpha=0.8, lw=0)
    for d in range(10):  # label each cluster at its median, where the digit's codes are
        pts = codes[labels == d]
        inside = pts[np.all(np.abs(pts) < limit, axis=1)]
        if len(inside):
            cx, cy = np.median(inside, axis=0)
            ax.text(cx, cy, str(d), fontsize=11, weight="bold", ha="center", va="center", color=DIGIT_COLORS[d],
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), xlabel="$z_1$", ylabel="$z_2$", title=title)
    ax.set_aspect("equal")
    return ax


def plot_training_curves(history, *, ax: Axes | None = None) -> Axes:
    """Per-epoch reconstruction and KL terms (train) and the held-out -ELBO, in nats per image."""
    ax = _axes(ax)
    epochs = np.arange(1, len(history.kl) + 1)
    ax.plot(epochs, history.reconstruction, color=THEORY, lw=2, label="reconstruction $-E_q[\\log p(x|z)]$ (train)")
    ax.plot(epochs, history.kl, color=Q_COLOR, lw=2, label="KL$(q(z|x)\\,\\|\\,p(z))$ (train)")
    if history.test_neg_elbo:
        ax.plot(epochs, history.test_neg_elbo, color=SAMPLES, lw=1, alpha=0.8, label="$-$ELBO (held out, 1 sample)")
    ax.set(yscale="log", xlabel="epoch", ylabel="nats per image", title="Training: reconstruction falls, KL settles")
    ax.legend(loc="center right")
    return ax


def make_latent_traversal_demo(vae: VAE, codes=None, labels=None, *, limit: float = 3.0) -> Demo:
    """Sliders z1 (with Play) and z2 pick a latent point; the decoder draws its digit live.

    Introduced in notebooks/06_vae.ipynb (slide "variational auto-encoder").

    Parameters
    ----------
    vae : VAE
        A model with ``n_latent == 2``.
    codes, labels : array_like, optional
        Encoded means ``(n, 2)`` and digit labels ``(n,)`` drawn behind the moving point.
    limit : float
        The sliders run over ``[-limit, limit]``, ``0 < limit <= 5``.
    """
    if not isinstance(vae, VAE) or vae.n_latent != 2:
        raise ValueError(f"vae must be a VAE with n_latent == 2, got {vae!r}")
    if not 0 < limit <= 5:
        raise ValueError(f"limit must lie in (0, 5], got {limit!r}")
    if (codes is None) != (labels is None):
        raise ValueError("codes and labels must be given together")
    if codes is not None:
        codes = check.finite("codes", codes)
        labels = np.asarray(labels)
        if codes.ndim != 2 or codes.shape[1] != 2 or labels.shape != (len(codes),):
            raise ValueError(f"codes must be (n, 2) and labels (n,), got {codes.shape} and {labels.shape}")

    moving = []

    def setup(axes, z1, z2):
        if codes is not None:
            plot_latent(codes, labels, ax=axes[0], limit=limit, title="latent space (test codes)")
        else:
            axes[0].set(xlim=(-limit, limit), ylim=(-limit, limit), xlabel="$z_1$", ylabel="$z_2$",
                        title="latent space")
            axes[0].set_aspect("equal")
        axes[0].plot([z1], [z2], marker="X", color="black", ms=14, mec="white", mew=1.5, clip_on=False)
        plot_digits(vae.decode(np.array([[z1, z2]]))[0], ax=axes[1], ncols=1, title="decoder mean at the marked z")
        moving.extend([axes[0].lines[-1], axes[1].images[0]])
        return moving

    def update(z1, z2):
        marker, image = moving
        marker.set_data([z1], [z2])
        mean_image = vae.decode(np.array([[z1, z2]]))[0]  # (64,) decoder mean
        image.set_data(mean_image.reshape(8, 8))
        return f"z = ({z1:.2f}, {z2:.2f}); mean intensity of the decoded digit {mean_image.mean():.3f}"

    controls = {"z1": slider(0.0, -limit, limit, 0.1, "z₁"), "z2": slider(0.0, -limit, limit, 0.1, "z₂")}
    return StillDemo(setup, lambda _moving, **values: update(**values), controls,
                     play="z1", ncols=2, figsize=(7.5, 3.6))
