"""Interactive demo of notebooks/03_gumbel_max_trick.ipynb: softmax(mu) against argmax(mu + G).

Introduced in notebooks/03_gumbel_max_trick.ipynb (slide "Gumbel-max trick and Softmax (2)").
The Gumbel noise is drawn once in the builder; moving a slider only adds other logits to the same
noise, so the bars move smoothly instead of reshuffling (common random numbers).
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from scipy import stats

from .. import _validate as check
from ..gumbel import sample_gumbel, softmax
from ..plotting import ACCENT, _axes, plot_probs_vs_freqs
from ..widgets import Demo, StillDemo, slider

LOGIT_RANGE = (-3.0, 3.0)  # slider range of each mu_i
N_MIN, N_STEP = 100, 100  # sample-size slider: N_MIN..n_max in steps of N_STEP


def argmax_frequencies(logits, noise, *, shared: bool = False) -> np.ndarray:
    """Frequencies of ``k = argmax_i (mu_i + G_i)`` over the rows of fixed Gumbel noise.

    Introduced in notebooks/03_gumbel_max_trick.ipynb (slide "Gumbel-max trick and Softmax (2)").

    Parameters
    ----------
    logits : array_like, shape (K,)
        The logits ``mu``; finite.
    noise : array_like, shape (N, K)
        Standard Gumbel samples, one row per draw.  Fixed noise (instead of
        :func:`lectures_lib.gumbel_max_sample`, which draws afresh) keeps a slider's frames comparable.
    shared : bool
        If True, use one ``G`` per draw for every category (column 0: the slide's
        ``argmax{mu_1 + G, ..., mu_L + G}``, erratum E03.4).

    Returns
    -------
    ndarray, shape (K,)
        Fraction of draws in which each category is the largest; sums to 1.

    Notes
    -----
    ``Pr(argmax_i (mu_i + G_i) = k) = exp(mu_k) / sum_i exp(mu_i)`` for independent ``G_i``.  With
    one shared ``G`` the argmax is ``argmax_i mu_i`` for every draw.

    Examples
    --------
    >>> g = sample_gumbel(np.random.default_rng(0), size=(4000, 2))
    >>> argmax_frequencies([0.0, np.log(3.0)], g).round(1).tolist()
    [0.3, 0.7]
    >>> argmax_frequencies([0.0, np.log(3.0)], g, shared=True).tolist()
    [0.0, 1.0]
    """
    logits = check.finite("logits", logits)
    noise = check.finite("noise", noise)
    if logits.ndim != 1 or logits.size < 2:
        raise ValueError(f"logits must be a vector of K >= 2 logits, got shape {logits.shape}")
    if noise.ndim != 2 or noise.shape[1] != logits.size or noise.shape[0] < 1:
        raise ValueError(f"noise must have shape (N >= 1, K={logits.size}), got shape {noise.shape}")
    # k = argmax_i (mu_i + G_i); shared: G_i = G for all i   (N,)
    k = np.argmax(logits + (noise[:, :1] if shared else noise), axis=1)
    return np.bincount(k, minlength=logits.size) / noise.shape[0]


def plot_logits_frame(probs, freqs, *, n: int, shared_freqs=None, ax: Axes | None = None) -> Axes:
    """softmax(mu) bars, argmax(mu + G) frequencies with 95% bands, and optionally the shared-G version.

    Introduced in notebooks/03_gumbel_max_trick.ipynb (slide "Gumbel-max trick and Softmax (2)").

    Parameters
    ----------
    probs, freqs : array_like, shape (K,)
        Exact probabilities ``softmax(mu)`` and empirical frequencies with independent ``G_i``.
    n : int
        Number of draws behind ``freqs`` (for the binomial bands ``1.96 sqrt(p (1 - p) / n)``).
    shared_freqs : array_like, shape (K,), optional
        Frequencies with one shared ``G`` (the slide's recipe), drawn as dashed red outlines.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    Built on :func:`lectures_lib.plotting.plot_probs_vs_freqs` (bands ``1.96 sqrt(p_k (1 - p_k) / n)``
    around the frequencies).  With one shared ``G`` the frequency is 1 at ``argmax_i mu_i``, 0 elsewhere.

    Examples
    --------
    >>> ax = plot_logits_frame([0.5, 0.5], [0.4, 0.6], n=10, shared_freqs=[1.0, 0.0])
    >>> len(ax.patches)  # 2 softmax bars, 2 frequency bars, 2 red outlines
    6
    """
    ax = _axes(ax)
    probs, freqs = check.as_float_array("probs", probs), check.as_float_array("freqs", freqs)
    n = check.integer("n", n, minimum=1)
    if probs.ndim != 1 or freqs.shape != probs.shape:
        raise ValueError(f"probs and freqs must be vectors of the same length, got {probs.shape} and {freqs.shape}")
    # no hatching under the slider (about 5 ms a frame): position and the 95% bands already mark the sampled bars
    plot_probs_vs_freqs(probs, freqs, n=n, ax=ax, prob_label="softmax(μ)ₖ, exact", hatch=None)
    if shared_freqs is not None:
        shared_freqs = check.as_float_array("shared_freqs", shared_freqs)
        if shared_freqs.shape != probs.shape:
            raise ValueError(f"shared_freqs must have shape {probs.shape}, got {shared_freqs.shape}")
        # an outline around both bars of a category: where the slide's recipe puts its draws
        outlines = ax.bar(np.arange(probs.size), shared_freqs, width=0.9, fill=False, edgecolor=ACCENT, lw=2,
                          ls="--", label="one shared G (slide's recipe)")
        for bar in outlines:  # an empty outline would only draw a red line along the axis
            bar.set_visible(bar.get_height() > 0)
    # fixed limits and ticks, so the bars move under the sliders while the axes stay still;
    # the band above 1 holds the legend, where no probability can reach
    ax.set(ylim=(0, 1.3), yticks=np.linspace(0, 1, 6), ylabel="probability / frequency",
           title="argmax(μ + G) with independent Gᵢ follows softmax(μ); one shared G does not")
    ax.legend(loc="upper center", ncol=3, fontsize=9)
    return ax


def fit_summary(probs, freqs, n: int) -> tuple[float, float]:
    """``(p-value of the chi-square goodness-of-fit test, max_k |freq_k - p_k|)`` for ``n`` draws.

    Introduced in notebooks/03_gumbel_max_trick.ipynb (slide "Gumbel-max trick and Softmax (2)").

    Parameters
    ----------
    probs : array_like, shape (K,)
        Hypothesised probabilities, all > 0, summing to 1.
    freqs : array_like, shape (K,)
        Observed frequencies ``counts / n``, each in [0, 1], summing to 1.
    n : int
        Number of draws; ``freqs * n`` are rounded back to the counts.

    Returns
    -------
    (p_value, max_gap) : tuple of float

    Notes
    -----
    ``chi2 = sum_k (n f_k - n p_k)^2 / (n p_k)`` with ``K - 1`` degrees of freedom
    (``scipy.stats.chisquare``).  A small p-value says the frequencies do not follow ``probs``.

    Examples
    --------
    >>> p, d = fit_summary([0.5, 0.5], [0.5, 0.5], 100)
    >>> (float(p), float(d))
    (1.0, 0.0)
    """
    probs, freqs = check.positive("probs", probs), check.as_float_array("freqs", freqs)
    n = check.integer("n", n, minimum=1)
    if (freqs.shape != probs.shape or np.any((freqs < 0) | (freqs > 1)) or not np.isclose(probs.sum(), 1.0)
            or not np.isclose(freqs.sum(), 1.0)):
        raise ValueError(f"probs and freqs must be distributions of one shape, got {probs!r} and {freqs!r}")
    counts = np.rint(freqs * n)
    # expected counts n p_k, rescaled to the observed total as chisquare requires
    return float(stats.chisquare(counts, probs * counts.sum()).pvalue), float(np.abs(freqs - probs).max())


def make_logits_demo(rng: np.random.Generator, logits=(1.0, 0.0, -0.5, -1.5), n: int = 2000, *,
                     n_max: int = 20_000, shared: bool = False) -> Demo:
    """Sliders for the logits ``mu_1..mu_K`` (Play on ``mu_1``), the sample size and the shared-G switch.

    Introduced in notebooks/03_gumbel_max_trick.ipynb (slide "Gumbel-max trick and Softmax (2)").

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the fixed noise, shape ``(n_max, K)``, once.
    logits : sequence of float
        Initial ``mu``: 2 to 8 values in ``LOGIT_RANGE``.
    n : int
        Initial number of draws, a multiple of ``N_STEP`` in ``[N_MIN, n_max]``.
    n_max : int
        Largest sample size offered, a multiple of ``N_STEP`` in ``[N_MIN, 200_000]``.
    shared : bool
        Initial state of the "one shared G (slide's version)" checkbox.

    Returns
    -------
    Demo
        Controls ``mu_1..mu_K``, ``n`` and ``shared``; the summary shows the chi-square p-value and
        ``max |freq - p|``.

    Notes
    -----
    ``k = argmax_i (mu_i + G_i)`` is computed from the fixed noise (:func:`argmax_frequencies`),
    ``G = -log(-log U)`` as in :func:`lectures_lib.sample_gumbel`.

    Examples
    --------
    >>> demo = make_logits_demo(np.random.default_rng(0), n_max=1000, n=500)
    >>> sorted(demo.sliders)
    ['mu_1', 'mu_2', 'mu_3', 'mu_4', 'n', 'shared']
    """
    rng = check.generator(rng)
    logits = check.finite("logits", logits)
    if logits.ndim != 1 or not 2 <= logits.size <= 8 or np.any(np.abs(logits) > LOGIT_RANGE[1]):
        raise ValueError(f"logits must be 2 to 8 values in {list(LOGIT_RANGE)}, got {check._show(logits)}")
    n_max = check.integer("n_max", n_max, minimum=N_MIN)
    n = check.integer("n", n, minimum=N_MIN)
    if n_max > 200_000 or n_max % N_STEP or n > n_max or n % N_STEP:
        raise ValueError(f"n and n_max must be multiples of {N_STEP} with {N_MIN} <= n <= n_max <= 200000, "
                         f"got n={n!r}, n_max={n_max!r}")
    if not isinstance(shared, bool | np.bool_):
        raise ValueError(f"shared must be a bool, got {shared!r}")
    noise = sample_gumbel(rng, size=(n_max, logits.size))  # (n_max, K), fixed for every frame
    x = np.arange(logits.size)

    def frame(n, mus):
        mu = np.array([mus[f"mu_{i + 1}"] for i in x])
        return softmax(mu), argmax_frequencies(mu, noise[:n]), argmax_frequencies(mu, noise[:n], shared=True)

    def setup(ax, n, shared, **mus):
        probs, freqs, shared_freqs = frame(n, mus)
        plot_logits_frame(probs, freqs, n=n, shared_freqs=shared_freqs, ax=ax)
        # the legend must not change with N: the draw count goes to the summary instead
        theory, sampled, outlines = [c for c in ax.containers if isinstance(c, BarContainer)]
        sampled.set_label("argmax(μ + Gᵢ) frequency ± 95%")
        ax.legend(loc="upper center", ncol=3, fontsize=9)
        _, caps, (bands,) = sampled.errorbar.lines
        return [*theory, *sampled, *outlines, *caps, bands]

    def update(moving, n, shared, **mus):
        probs, freqs, shared_freqs = frame(n, mus)
        *bars, low, high, bands = moving
        for j, (bar, height) in enumerate(zip(bars, np.concatenate([probs, freqs, shared_freqs]), strict=True)):
            bar.set_height(height)
            bar.set_visible(j < 2 * x.size or (shared and height > 0))  # red outlines: checkbox on
        half = 1.96 * np.sqrt(probs * (1 - probs) / n)  # as plot_probs_vs_freqs: 95% binomial band
        low.set_ydata(freqs - half)
        high.set_ydata(freqs + half)
        bands.set_segments([[(k + 0.2, f - h), (k + 0.2, f + h)] for k, f, h in zip(x, freqs, half, strict=True)])
        pval, gap = fit_summary(probs, freqs, n)
        text = f"N = {n:,} draws. Independent G<sub>i</sub>: χ² p-value = {pval:.3f}, max |freq − p| = {gap:.3f}"
        if shared:
            pval, gap = fit_summary(probs, shared_freqs, n)
            text += (f". <b style='border-bottom: 3px solid {ACCENT}'>One shared G: p-value = {pval:.1e}, "
                     f"max |freq − p| = {gap:.3f}</b>")
        return text

    controls = {f"mu_{i + 1}": slider(float(v), *LOGIT_RANGE, 0.1, f"μ{chr(0x2081 + i)}")
                for i, v in enumerate(logits)}
    controls["n"] = slider(n, N_MIN, n_max, N_STEP, "N draws", integer=True)
    controls["shared"] = w.Checkbox(value=bool(shared), description="one shared G (slide's version)",
                                    style={"description_width": "initial"})
    return StillDemo(setup, update, controls, play="mu_1", figsize=(9.0, 3.4))
