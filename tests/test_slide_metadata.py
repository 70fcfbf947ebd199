"""The slide metadata stored in the notebooks (live presenting with RISE in `make lab`) is the one
`make slides` computes: re-run ``python tools/build_slides.py --write-metadata`` after changing a notebook."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_slides  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_stored_slide_types_match_the_builder(path):
    nb = nbformat.read(path, as_version=4)
    stored = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert stored == build_slides.slide_types(nb), f"run: python tools/build_slides.py --write-metadata ({path.name})"
    assert stored[0] == "slide" and "subslide" in stored
    for cell, kind in zip(nb.cells, stored, strict=True):
        if {"test-only", "solution"} & set(cell.metadata.get("tags", [])):
            assert kind == "skip"
