"""tools/figure_texts.py: the sweep that reads every text of every figure a notebook draws.

The detector is tested on small figures with one defect each; then notebooks 01, 02 and 03, where the sweep
found plain-text formulas in plot labels (``e^(−x)``, ``Gumbel(μ$_1$ = …)``) and overlapping tick labels,
are run through it.
"""

import json
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import figure_texts  # noqa: E402


@pytest.fixture
def found(tmp_path, monkeypatch):
    """Install the notebook hook in this process; returns a function that draws a figure and reads the log."""
    log = tmp_path / "texts.jsonl"
    monkeypatch.setenv("FIGURE_TEXTS_LOG", str(log))
    monkeypatch.setattr(FigureCanvasAgg, "draw", FigureCanvasAgg.draw)  # put back after the test
    exec(figure_texts.HOOK, {})

    def draw(fig) -> dict[str, list]:
        log.write_text("")
        FigureCanvasAgg(fig).draw()
        out: dict[str, list] = {}
        for line in log.read_text().splitlines():
            kind, *rest = json.loads(line)
            out.setdefault(kind, []).append(rest)
        return out

    return draw


def _fig():
    fig = Figure(figsize=(4, 3), dpi=100)
    return fig, fig.add_subplot()


def test_clean_figure_has_nothing(found):
    fig, ax = _fig()
    ax.plot([0, 1], [0, 1], label=r"$p_g$")
    ax.set(xlabel="$x$", ylabel=r"density $p_\mathrm{data}(x)$", title=r"$F(x) = \exp(-e^{-x})$")
    ax.legend()
    fig.tight_layout()
    assert found(fig) == {}


@pytest.mark.parametrize("text, kind", [("p_g", "raw"), ("F(x) = exp(−e^(−x))", "raw"),
                                        ("$Z_1$ ~ Gumbel(μ$_1$ = +1.0)", "mixed")])
def test_plain_text_formulas_are_found(found, text, kind):
    fig, ax = _fig()
    ax.set_title(text)
    fig.tight_layout()
    assert found(fig)[kind] == [[text]]


def test_clipped_and_overlapping_texts_are_found(found):
    fig, ax = _fig()
    ax.text(0.98, 0.5, "sticks out of the figure", transform=fig.transFigure)
    ax.text(0.2, 0.2, "one label", transform=ax.transAxes)
    ax.text(0.21, 0.2, "one label too", transform=ax.transAxes)
    result = found(fig)
    assert [r[0] for r in result["clipped"]] == ["sticks out of the figure"]
    assert result["overlap"] == [["one label", "one label too"]]


def test_axes_switched_off_have_no_tick_labels(found):
    fig, ax = _fig()
    ax.axis("off")
    ax.text(-0.5, 0.5, "k=0")  # a row label where a hidden tick label would be
    assert "overlap" not in found(fig)


@pytest.mark.parametrize("notebook", ["01_motivation.ipynb", "02_gumbel_distribution.ipynb",
                                      "03_gumbel_max_trick.ipynb"])
def test_plot_labels_of_notebooks_are_mathtext_and_apart(notebook):
    """02 and 03: plain-text formulas in labels; 01: the minor tick labels of a log-log plot ran into each other."""
    pytest.importorskip("nbclient")  # runs the notebooks (the lab extra; make test-oldest has only the test extra)
    found = figure_texts.sweep(REPO / "notebooks" / notebook)
    assert not found.get("raw") and not found.get("mixed") and not found.get("overlap"), found
