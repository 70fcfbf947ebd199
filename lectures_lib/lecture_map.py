"""The lecture map: each slide → the notebook section that teaches it → the library functions.

One source for the table in ``README.md`` and in ``notebooks/00_start_here.ipynb``;
``tests/test_lecture_map.py`` checks that every notebook and section heading exists, that every
function is importable, and that the README shows the current table.
Print the Markdown table with ``python -m lectures_lib.lecture_map``.

Introduced in ``notebooks/00_start_here.ipynb`` (section "The lecture map").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One row: a slide title, the notebook file, a heading in it, and the library names used."""

    slide: str
    notebook: str
    section: str
    functions: tuple[str, ...] = ()


LECTURE_MAP: tuple[Entry, ...] = (
    Entry("a motivating example: Generative Adversarial Training", "01_motivation.ipynb",
          "1. The GAN algorithm", ()),
    Entry("consider D_φ(G_θ(z))", "01_motivation.ipynb", "2. A discrete generator", ()),
    Entry("Gumbel-max trick and Softmax (1): pdf and CDF of the Gumbel", "02_gumbel_distribution.ipynb",
          "1. The Gumbel density", ("gumbel_pdf", "gumbel_cdf", "gumbel_logpdf")),
    Entry("sample a Gumbel: the inverse CDF", "02_gumbel_distribution.ipynb", "2. Inverse CDF",
          ("gumbel_ppf", "sample_gumbel")),
    Entry("Gumbel-max trick and Softmax (1) and (2): the proof", "03_gumbel_max_trick.ipynb",
          "1. The proof", ("softmax",)),
    Entry("sample a Gumbel: the sampling strategy", "03_gumbel_max_trick.ipynb", "3. Monte Carlo",
          ("gumbel_max_sample", "one_hot")),
)


def markdown_table(entries: tuple[Entry, ...] = LECTURE_MAP) -> str:
    """The lecture map as a Markdown table (links relative to the repository root)."""
    rows = ["| Slide | Notebook → section | Library |", "|---|---|---|"]
    for e in entries:
        funcs = ", ".join(f"`{f}`" for f in e.functions) or "—"
        rows.append(f"| {e.slide} | [{e.notebook}](notebooks/{e.notebook}) → {e.section} | {funcs} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
