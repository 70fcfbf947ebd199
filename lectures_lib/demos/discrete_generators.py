"""Figures and interactive demos of notebooks/08_discrete_generators.ipynb: a categorical VAE and a discrete GAN.

Pure plot functions (data in, ``ax`` in, ``ax`` out) and two builders returning a
:class:`lectures_lib.widgets.StillDemo`: flip one latent category of a digit's code and watch the
decoder's image change; step through a GAN's training and watch its sequence distribution meet the target.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from .. import _validate as check
from ..categorical_vae import CategoricalVAE
from ..discrete_gan import GANHistory, MarkovChain
from ..gumbel import one_hot, softmax
from ..motivation import all_sequences
from ..plotting import ACCENT, CATEGORY_COLORS, NEUTRAL, SAMPLES, THEORY, _axes
from ..widgets import StillDemo, slider
from .vae import plot_digits

#: one colour per estimator, the same in every figure of notebook 08
ESTIMATOR_COLORS = {"gumbel_softmax": SAMPLES, "straight_through": SAMPLES, "reinforce": CATEGORY_COLORS[2]}
ESTIMATOR_LABELS = {"gumbel_softmax": "Gumbel-softmax", "straight_through": "straight-through Gumbel-softmax",
                    "reinforce": "REINFORCE (leave-one-out baseline)"}


def _mosaic(images: np.ndarray) -> np.ndarray:
    """8x8 images side by side with a one-pixel NaN (white) gap, as ``plot_digits`` lays out one row."""
    out = np.full((8, 9 * len(images) - 1), np.nan)
    for i, img in enumerate(images):
        out[:, 9 * i:9 * i + 8] = img.reshape(8, 8)
    return out


def _check_histories(histories) -> None:
    if not isinstance(histories, dict) or not histories or not set(histories) <= set(ESTIMATOR_COLORS):
        raise ValueError(f"histories must be a non-empty dict keyed by estimator {sorted(ESTIMATOR_COLORS)}, "
                         f"got {histories!r}")


def plot_code(probs, code, *, ax: Axes | None = None, title: str = "") -> Axes:
    """``q(z_j = k | x)`` as an N x K heat map (rows: variables j, columns: categories k), the code as dots.

    Introduced in notebooks/08_discrete_generators.ipynb (section "4. What the code means").
    """
    ax = _axes(ax)
    probs = check.finite("probs", probs)
    if probs.ndim != 2 or np.shape(code) != probs.shape[:1]:
        raise ValueError(f"probs must be (N, K) and code (N,), got shapes {probs.shape} and {np.shape(code)}")
    N, K = probs.shape
    ax.imshow(probs, cmap="Blues", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax.plot(np.asarray(code), np.arange(N), "o", color="black", ms=5, mec="white", mew=0.8, label="code")
    ax.set(xlim=(-0.5, K - 0.5), ylim=(N - 0.5, -0.5), xlabel="category $k$", ylabel="latent variable $j$",
           title=title)
    ax.set_xticks(range(K))
    ax.set_yticks(range(0, N, max(1, N // 10)))
    ax.grid(False)
    return ax


def plot_vae_curves(histories: dict, *, ax: Axes | None = None, baseline: float | None = None) -> Axes:
    """Held-out -ELBO per epoch for each estimator's ``categorical_vae.History``, with an optional baseline.

    Introduced in notebooks/08_discrete_generators.ipynb (section "3. Gumbel-softmax vs REINFORCE at equal compute").
    """
    _check_histories(histories)
    ax = _axes(ax)
    for name, h in histories.items():
        epochs = np.arange(1, len(h.test_neg_elbo) + 1)
        ax.plot(epochs, h.test_neg_elbo, color=ESTIMATOR_COLORS[name], lw=2, label=ESTIMATOR_LABELS[name])
    if baseline is not None:
        ax.axhline(baseline, color=NEUTRAL, ls="--", lw=1.2, label="independent pixels (no code)")
    ax.set(xlabel="epoch", ylabel="held-out $-$ELBO [nats per image]")
    ax.legend(loc="upper right")
    return ax


def plot_tv_curves(histories: dict, *, ax: Axes | None = None) -> Axes:
    """TV distance to the target against the training step, one line per ``discrete_gan.GANHistory``.

    Introduced in notebooks/08_discrete_generators.ipynb (section "5. The slides' discrete GAN, trained").
    """
    _check_histories(histories)
    ax = _axes(ax)
    for name, h in histories.items():
        ax.plot(h.eval_steps, h.tv, color=ESTIMATOR_COLORS[name], lw=2, label=ESTIMATOR_LABELS[name])
    ax.set(xlabel="training step", ylabel="TV(generator, target)", ylim=(0, 1))
    ax.legend(loc="upper right")
    return ax


def sequence_labels(n_tokens: int, length: int) -> list[str]:
    """``"0123"``-style names of all ``L**T`` sequences in lexicographic order (tokens as digits or letters).

    Introduced in notebooks/08_discrete_generators.ipynb (section "5. The slides' discrete GAN, trained").

    Examples
    --------
    >>> sequence_labels(2, 2)
    ['00', '01', '10', '11']
    """
    symbols = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n_tokens > len(symbols):
        raise ValueError(f"n_tokens must be <= {len(symbols)} to be named by one symbol, got {n_tokens}")
    return ["".join(symbols[t] for t in s) for s in all_sequences(n_tokens, length)]


def plot_sequence_distribution(target: MarkovChain, probs: dict, *, ax: Axes | None = None, top: int = 24,
                               colors=(NEUTRAL, SAMPLES, CATEGORY_COLORS[2], CATEGORY_COLORS[4])) -> Axes:
    """Bars of the target's ``top`` most probable sequences beside each model's probability of them.

    ``probs`` maps a legend label to the ``L**T`` probabilities of a model (lexicographic order).
    Introduced in notebooks/08_discrete_generators.ipynb (section "5. The slides' discrete GAN, trained").
    """
    if not isinstance(target, MarkovChain):
        raise ValueError(f"target must be a MarkovChain, got {type(target).__name__}")
    p = target.probabilities()
    for name, q in probs.items():
        if np.shape(q) != p.shape:
            raise ValueError(f"probs[{name!r}] must have shape {p.shape}, got {np.shape(q)}")
    ax = _axes(ax)
    order = np.argsort(-p, kind="stable")[:top]
    width = 0.8 / (len(probs) + 1)
    x = np.arange(len(order))
    ax.bar(x - 0.4 + width / 2, p[order], width, color=THEORY, label="target")
    for i, (name, q) in enumerate(probs.items(), start=1):
        ax.bar(x - 0.4 + (i + 0.5) * width, np.asarray(q)[order], width, color=colors[(i - 1) % len(colors)],
               label=name)
    ax.set_xticks(x, np.array(sequence_labels(target.n_tokens, target.length))[order], rotation=90,
                  family="monospace")
    ax.set(xlim=(-0.6, len(order) - 0.4), xlabel="sequence (most probable under the target first)",
           ylabel="probability")
    ax.legend(loc="upper right")
    return ax


def make_latent_flip_demo(model: CategoricalVAE | None = None, images=None, labels=None) -> StillDemo:
    """Sliders pick an image, a latent variable j and a category k (with Play); the decoder draws the result.

    Introduced in notebooks/08_discrete_generators.ipynb (section "4. What the code means").

    Parameters
    ----------
    model : CategoricalVAE, optional
        A trained model (default: an untrained one, for benchmarks).
    images : array_like, shape (m, 64), optional
        Starting digits (default: the first test digit of each class of ``vae.load_digits_split``).
    labels : array_like of int, shape (m,), optional
        Their digit labels, for the summary.

    Notes
    -----
    The code is the most probable category of each variable, ``argmax_k q(z_j = k | x)``; the flip
    sets ``z_j = k`` and decodes ``sigmoid(decoder(one-hot code))``.
    """
    if model is None:
        model = CategoricalVAE(np.random.default_rng(0))
    if not isinstance(model, CategoricalVAE):
        raise ValueError(f"model must be a CategoricalVAE, got {type(model).__name__}")
    if images is None:
        from ..vae import load_digits_split

        _, x_te, _, y_te = load_digits_split(np.random.default_rng(0))
        first = [int(np.flatnonzero(y_te == d)[0]) for d in range(10)]
        images, labels = x_te[first], y_te[first]
    images = check.finite("images", images)
    if images.ndim != 2 or images.shape[1] != model.n_pixels or len(images) == 0:
        raise ValueError(f"images must have shape (m, {model.n_pixels}) with m >= 1, got {images.shape}")
    if labels is not None and np.shape(labels) != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},), got {np.shape(labels)}")
    probs = softmax(model.encode(images))  # (m, N, K)
    codes = probs.argmax(-1)  # (m, N): the most probable category of each variable
    N, K = model.n_latent, model.n_categories
    base = model.decode(one_hot(codes, K))  # (m, 64): decoded unflipped codes

    def flipped(image, variable, category):
        code = codes[image].copy()
        code[variable] = category
        return model.decode(one_hot(code[None], K))[0]  # (64,)

    def setup(axes, image, variable, category):
        axes[0].get_gridspec().set_width_ratios([1, 1.35])  # the digits need the room more than the heat map
        plot_code(probs[image], codes[image], ax=axes[0], title="$q(z_j = k\\,|\\,x)$ (blue), code (●), flip (red)")
        row = Rectangle((-0.5, variable - 0.5), K, 1, fill=False, ec=ACCENT, lw=1.5)
        axes[0].add_patch(row)
        (flip,) = axes[0].plot([category], [variable], "s", color=ACCENT, ms=9, mfc="none", mew=2.5)
        after = flipped(image, variable, category)
        plot_digits(np.stack([images[image], base[image], after]), ax=axes[1], ncols=3,
                    labels=["input $x$", "decoded code", "after the flip"], title="decoder mean image")
        return {"heat": axes[0].images[0], "dots": axes[0].lines[0], "row": row, "flip": flip,
                "digits": axes[1].images[0]}

    def update(art, image, variable, category):
        art["heat"].set_data(probs[image])
        art["dots"].set_xdata(codes[image])
        art["row"].set_y(variable - 0.5)
        art["flip"].set_data([category], [variable])
        after = flipped(image, variable, category)
        art["digits"].set_data(_mosaic(np.stack([images[image], base[image], after])))
        change = np.abs(after - base[image])
        digit = "" if labels is None else f" (a {int(labels[image])})"
        return (f"image {image}{digit}: z<sub>{variable}</sub> from category {codes[image, variable]} to {category} "
                f"(q = {probs[image, variable, category]:.3f}); decoded pixels move by {change.mean():.3f} on "
                f"average, {int((change > 0.25).sum())} of 64 by more than 0.25")

    # The demo opens on the flip of the first image that changes the decoded digit most: flipping to the
    # category already in the code would change nothing ("0 of 64 pixels").
    every = np.repeat(codes[:1], N * K, axis=0)  # (N K, N): one copy of image 0's code per (j, k)
    every[np.arange(N * K), np.repeat(np.arange(N), K)] = np.tile(np.arange(K), N)
    moved = np.abs(model.decode(one_hot(every, K)) - base[0]).mean(-1)  # (N K,) mean pixel change
    variable0, category0 = divmod(int(moved.argmax()), K)
    controls = {"image": slider(0, 0, len(images) - 1, 1, "image", integer=True),
                "variable": slider(variable0, 0, N - 1, 1, "latent variable j", integer=True),
                "category": slider(category0, 0, K - 1, 1, "category k", integer=True)}
    return StillDemo(setup, update, controls, play="category", ncols=2, figsize=(9.5, 3.9), interval=400)


def make_gan_training_demo(histories: dict[str, GANHistory], target: MarkovChain) -> StillDemo:
    """A slider (with Play) over the saved checkpoints: each generator's sequence distribution against the target.

    Introduced in notebooks/08_discrete_generators.ipynb (section "5. The slides' discrete GAN, trained").

    Parameters
    ----------
    histories : dict of name -> GANHistory
        From ``train_discrete_gan`` runs with the same ``eval_every`` and ``steps``.
    target : MarkovChain
        The data distribution.
    """
    if not histories or not all(isinstance(h, GANHistory) for h in histories.values()):
        raise ValueError(f"histories must be a non-empty dict of GANHistory, got {histories!r}")
    steps = next(iter(histories.values())).eval_steps
    if any(h.eval_steps != steps for h in histories.values()):
        raise ValueError("histories must share the same checkpoints (eval_steps)")
    if not isinstance(target, MarkovChain) or any(len(h.probabilities[0]) != target.n_tokens**target.length
                                                  for h in histories.values()):
        raise ValueError(f"target must be the MarkovChain the histories were trained on, got {target!r}")
    p = target.probabilities()
    order = np.argsort(-p, kind="stable")  # sequences from the most to the least probable under the target
    x = np.arange(len(p))

    def setup(axes, checkpoint):
        # log scale: the rare sequences, where most of a small TV distance hides, stay visible
        axes[0].fill_between(x, p[order], 1e-5, step="mid", color=THEORY, alpha=0.25, lw=0)
        axes[0].step(x, p[order], where="mid", color=THEORY, lw=1.5, label="target")
        moving = {}
        for name, h in histories.items():
            (moving[name],) = axes[0].step(x, h.probabilities[checkpoint][order], where="mid", lw=1.5,
                                           color=ESTIMATOR_COLORS[name], label=ESTIMATOR_LABELS[name])
        top = max(p.max(), *(np.max(h.probabilities) for h in histories.values()))
        axes[0].set(xlim=(0, len(p) - 1), ylim=(max(1e-5, 0.3 * p.min()), 2 * top), yscale="log",
                    xlabel="sequence (most probable under the target first)", ylabel="probability",
                    title="generator distribution against the target")
        axes[0].legend(loc="upper right", fontsize=8)
        plot_tv_curves(histories, ax=axes[1])
        axes[1].set_title("total variation distance")
        moving["now"] = axes[1].axvline(steps[checkpoint], color="black", lw=1)
        return moving

    def update(art, checkpoint):
        for name, h in histories.items():
            art[name].set_ydata(h.probabilities[checkpoint][order])
        art["now"].set_xdata([steps[checkpoint]] * 2)
        tvs = ", ".join(f"{ESTIMATOR_LABELS[n].split(' (')[0]} {h.tv[checkpoint]:.3f}" for n, h in histories.items())
        return f"step {steps[checkpoint]}: TV to the target: {tvs}"

    controls = {"checkpoint": slider(0, 0, len(steps) - 1, 1, "checkpoint", integer=True)}
    return StillDemo(setup, update, controls, play="checkpoint", ncols=2, figsize=(11, 3.8), interval=200)
