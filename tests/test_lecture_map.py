"""The lecture map points at things that exist, and the README shows it."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from lectures_lib.lecture_map import LECTURE_MAP, markdown_table

ROOT = Path(__file__).resolve().parents[1]


def notebook_headings(notebook: str) -> list[str]:
    """The Markdown headings of ``notebooks/<notebook>``, without their ``#`` (also used by test_homework)."""
    cells = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))["cells"]
    return [line.lstrip("#").strip() for c in cells if c["cell_type"] == "markdown"
            for line in "".join(c["source"]).splitlines() if line.startswith("#")]


@pytest.mark.parametrize("entry", LECTURE_MAP, ids=lambda e: e.slide[:40])
def test_entry_points_at_an_existing_section_and_functions(entry):
    assert (ROOT / "notebooks" / entry.notebook).is_file(), entry.notebook
    headings = notebook_headings(entry.notebook)
    assert any(h.startswith(entry.section) for h in headings), (entry.section, headings)
    for name in entry.functions:
        module, _, attr = ("lectures_lib." + name).rpartition(".")
        assert callable(getattr(importlib.import_module(module), attr)), name


def test_every_notebook_is_on_the_map():
    mapped = {e.notebook for e in LECTURE_MAP} | {"00_start_here.ipynb"}
    assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= mapped


def test_readme_shows_the_current_map():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    hint = "README lecture map is stale: paste the output of `python -m lectures_lib.lecture_map`"
    assert markdown_table() in readme, hint


def test_errata_page_is_the_repositorys():
    from lectures_lib.lecture_map import errata_page

    assert errata_page() == Path(__file__).resolve().parents[1] / "ERRATA.md"
