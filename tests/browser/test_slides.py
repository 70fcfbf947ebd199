"""`make slides`: reveal.js decks of the notebooks build offline and their first slide renders in Chromium.

The deck of notebook 00 is built (executed from a fresh kernel) into a temporary folder with the same
code `make slides` runs, opened at 1280 x 720 with every request outside the folder counted as a failure,
and its first slide must show the notebook's title; a slide from the middle must show its maths typeset.
Screenshot: ``build/screenshots/slides-00-first.png``.
"""

from __future__ import annotations

import shutil
import sys

import pytest
from browserlib import IN_CI, NOTEBOOK_DIR, REPO, SCREENSHOTS

sys.path.insert(0, str(REPO / "tools"))
import build_slides  # noqa: E402


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    if not (build_slides.ASSETS / "reveal.js" / "dist" / "reveal.js").exists():
        message = "reveal.js is not installed: npm ci --prefix tools/slides (make slides does it)"
        pytest.fail(f"CI=true and {message}") if IN_CI else pytest.skip(message)
    base = tmp_path_factory.mktemp("slides")
    (base / "notebooks").mkdir()
    shutil.copy(NOTEBOOK_DIR / "00_start_here.ipynb", base / "notebooks")
    shutil.copy(REPO / "ERRATA.md", base / "ERRATA.md")
    (path,) = build_slides.build(base / "out", base / "notebooks", cache=base / "executed")
    return path


def test_slide_metadata_skips_tests_and_solutions():
    import nbformat

    nb = nbformat.read(NOTEBOOK_DIR / "04_score_function.ipynb", as_version=4)
    kinds = build_slides.slide_types(nb)
    assert kinds[0] == "slide" and kinds.count("slide") >= 5
    for cell, kind in zip(nb.cells, kinds, strict=True):
        tags = cell.metadata.get("tags", [])
        if "test-only" in tags or "solution" in tags:
            assert kind == "skip"
        if cell.cell_type == "markdown" and cell.source.startswith("## ") and "Solutions" not in cell.source:
            assert kind == "slide"


def test_deck_builds_offline_and_the_first_slide_renders(deck, context):
    text = deck.read_text(encoding="utf-8")
    assert 'src="https://' not in text and 'href="https://' not in text.replace('href="https://doi', "")
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 720})
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else failed.append(r.url))
    try:
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=60_000)  # reveal.js marks itself ready after initialising
        title = page.locator(".reveal .slides section.present h1").first
        assert title.is_visible() and "start here" in title.inner_text().lower()  # the theme sets headings in capitals
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "slides-00-first.png"))
        total = page.evaluate("() => document.querySelectorAll('.reveal .slides > section').length")
        assert total >= 5, f"{total} slides"
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SCREENSHOTS / "slides-00-third.png"))
        assert page.locator(".reveal .slides section.present").first.is_visible()
    finally:
        page.close()
    assert not failed, f"the deck tried to load: {failed[:5]}"
