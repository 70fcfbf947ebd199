"""Shared figure helpers: one palette for every notebook, and pure plot functions.

Every plot function takes data and ``ax=None``, draws, and returns ``ax``; it never reads
globals and never calls ``plt.show()``.  Widgets (``lectures_lib.widgets``) wrap them.

The colours mean the same thing in every notebook:
``THEORY`` (exact curves, softmax probabilities), ``SAMPLES`` (histograms, empirical
frequencies), ``ACCENT`` (the slide's wrong version, a highlighted point), ``NEUTRAL`` (guides).
"""

from __future__ import annotations

import re

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

# The Okabe-Ito palette (Okabe & Ito 2008), distinguishable with every common colour-vision deficiency.
# Colour is never the only cue: curves differ in line style or marker as well, bars in hatching.
THEORY = "#0072B2"  # blue: exact formulas
SAMPLES = "#E69F00"  # orange: Monte Carlo
ACCENT = "#D55E00"  # vermillion: the slide's erratum, highlighted items
NEUTRAL = "#7f7f7f"  # grey: guides, reference lines
CATEGORY_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#F0E442", "#CC79A7", "#000000")
#: line styles that go with CATEGORY_COLORS, so categories differ without colour too
CATEGORY_STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2, 2, 2)))

#: rcParams used by every figure (readable at 1280x800 and in a PDF)
RC = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "legend.frameon": False,
    "figure.constrained_layout.use": True,
}


def use_style() -> None:
    """Apply the project's rcParams (called by notebooks in their setup cell), and give every inline
    figure alt text (:func:`figure_alt_text`, stored as the PNG's ``alt`` metadata; the static site uses it)."""
    mpl.rcParams.update(RC)
    _install_alt_text()


def _plain(text: str) -> str:
    """Mathtext as plain words for a screen reader: ``$\\mu_g$`` -> ``mu_g``."""
    text = re.sub(r"\\(?:mathrm|mathbb|text|operatorname|mathcal|mathbf)\{([^}]*)\}", r"\1", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text).replace("$", "")
    return re.sub(r"[{}]", "", re.sub(r"\s+", " ", text)).strip()


def figure_alt_text(fig) -> str:
    """What a figure shows, in words: its title, then each panel's title and axis labels.

    Examples
    --------
    >>> fig = Figure()
    >>> ax = fig.add_subplot(title="Samples follow the density", xlabel="$x$", ylabel="density")
    >>> figure_alt_text(fig)
    'Figure: Samples follow the density (x axis: x; y axis: density).'
    """
    parts = []
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    if suptitle:
        parts.append(_plain(suptitle))
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    for i, ax in enumerate(axes):
        title = _plain(ax.get_title() or ax.get_title("left") or "")
        labels = "; ".join(f"{k} axis: {_plain(t)}" for k, t in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if t)
        where = f"panel {i + 1} of {len(axes)}: " if len(axes) > 1 else ""
        if title or labels:
            parts.append(where + title + (f" ({labels})" if labels else ""))
    if not parts:  # no titles or labels: say what the legends name, at least
        names = [_plain(t.get_text()) for ax in axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        parts.append(f"{len(fig.axes)} panel(s)" + (f" showing {', '.join(names)}" if names else " without titles"))
    return "Figure: " + ". ".join(p for p in parts if p) + "."


def _install_alt_text() -> None:
    """In IPython, give every figure output its alt text.

    The PNG carries it as ``alt`` metadata (the static site's template reads it), and a ``text/html`` form,
    ``<img alt="..." src="data:...">``, carries it for JupyterLab, which prefers HTML to PNG but drops PNG
    metadata.  The PNG is rendered once for both.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None:
        return
    formatters = ip.display_formatter.formatters
    try:
        original = formatters["image/png"].lookup_by_type(Figure)
    except KeyError:
        return
    if getattr(original, "_adds_alt", False):
        return
    cache: dict[int, bytes | None] = {}

    def png(fig):  # one render per display: the HTML formatter runs first and leaves it here
        return cache.pop(id(fig)) if id(fig) in cache else original(fig)

    def as_html(fig):
        import base64
        import html

        cache.clear()
        cache[id(fig)] = data = original(fig)
        if data is None:
            return None
        raw = data if isinstance(data, bytes) else base64.b64decode(data)
        return (f'<img src="data:image/png;base64,{base64.b64encode(raw).decode()}" '
                f'alt="{html.escape(figure_alt_text(fig))}" style="max-width: 100%">')

    def with_alt(fig):
        data = png(fig)
        return (data, {"alt": figure_alt_text(fig)}) if data is not None else None

    with_alt._adds_alt = True
    formatters["image/png"].for_type(Figure, with_alt)
    formatters["text/html"].for_type(Figure, as_html)


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    with mpl.rc_context(RC):
        return Figure(figsize=(6, 3.5)).add_subplot()


def plot_density_vs_samples(
    samples, grid, density, *, bins: int = 60, ax: Axes | None = None, label: str = "density", xlabel: str = "x"
) -> Axes:
    """Histogram of ``samples`` (as a density) under the exact ``density`` drawn on ``grid``.

    Samples outside ``grid`` are counted in the normalisation but not drawn, so the bars keep
    their true heights.

    Examples
    --------
    >>> import numpy as np
    >>> ax = plot_density_vs_samples(np.zeros(3), np.linspace(-1, 1, 5), np.ones(5))
    >>> ax.get_xlabel()
    'x'
    """
    ax = _axes(ax)
    samples = np.asarray(samples, dtype=float)
    grid = np.asarray(grid, dtype=float)
    edges = np.linspace(grid[0], grid[-1], bins + 1)
    counts, _ = np.histogram(samples, bins=edges)
    width = edges[1] - edges[0]
    # one filled step artist instead of `bins` rectangles: ~10x cheaper to redraw under a slider
    ax.stairs(counts / (max(samples.size, 1) * width), edges, fill=True, color=SAMPLES, alpha=0.55,
              label=f"{samples.size:,} samples")
    ax.plot(grid, density, color=THEORY, lw=2, label=label)
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend(loc="upper right")
    return ax


def plot_probs_vs_freqs(probs, freqs, *, ax: Axes | None = None, n: int | None = None,
                        labels=None, prob_label: str = "softmax(μ)", hatch: str | None = "//") -> Axes:
    """Bars of exact category probabilities beside empirical frequencies.

    With ``n`` (the number of draws) the frequencies get 95% binomial error bars,
    ``1.96 * sqrt(p (1 - p) / n)``, so a student can see whether a gap is just noise.
    """
    ax = _axes(ax)
    probs = np.asarray(probs, dtype=float)
    freqs = np.asarray(freqs, dtype=float)
    k = np.arange(probs.size)
    ax.bar(k - 0.2, probs, width=0.4, color=THEORY, label=prob_label)
    err = None if n is None else 1.96 * np.sqrt(probs * (1 - probs) / max(n, 1))
    # hatching: the sampled bars differ from the exact ones without colour too
    ax.bar(k + 0.2, freqs, width=0.4, color=SAMPLES, yerr=err, capsize=3, hatch=hatch, edgecolor="white",
           label="empirical frequency" + ("" if n is None else f" ({n:,} draws, 95% band)"))
    ax.set_xticks(k, labels if labels is not None else [str(i + 1) for i in k])
    ax.set_xlabel("category k")
    ax.set_ylabel("probability")
    ax.set_ylim(0, max(1e-9, float(max(probs.max(), freqs.max()))) * 1.25)
    ax.legend(loc="upper left")
    return ax
