"""The homework in the zero-install lecture: the student notebooks sit in ``homework/`` of the JupyterLite site, and
``grader.check`` works in the browser's Python (through ``lectures_lib.public_checks``, as otter cannot be
installed there): a classic mistake fails its public test with the message that names it, a right answer passes.

A student's steps, in Chromium: open the notebook, run the first cells, type an answer into the answer cell, run
it and run the check cell under it.
"""

from __future__ import annotations

import json
import re
import time

from browserlib import _RUN_STATE_JS
from lite import student_copy
from litelib import REPO, SCREENSHOTS, SITE

SHARED_GUMBEL = (  # the slide's "one G for all categories" mistake (hw01 q4)
    "def sample_gumbel(rng, size, loc=0.0, scale=1.0):\n"
    "    return loc - scale * np.log(-np.log(np.maximum(rng.random(size), 1e-300)))\n"
    "def gumbel_max_sample(logits, rng, size):\n"
    "    return np.argmax(logits + sample_gumbel(rng, (size, 1)), axis=-1)\n")
RIGHT = (
    "def sample_gumbel(rng, size, loc=0.0, scale=1.0):\n"
    "    return loc - scale * np.log(-np.log(np.maximum(rng.random(size), 1e-300)))\n"
    "def gumbel_max_sample(logits, rng, size):\n"
    "    logits = np.asarray(logits, dtype=float)\n"
    "    return np.argmax(logits + sample_gumbel(rng, (size, logits.shape[-1])), axis=-1)\n")


def test_site_has_every_student_notebook_and_no_solution():
    manifest = json.loads((REPO / "build" / "homework" / "manifest.json").read_text())
    folder = SITE / "files" / "homework"
    assert sorted(p.name for p in folder.glob("*.ipynb")) == sorted(a["notebook"] for a in manifest["assignments"])
    for a in manifest["assignments"]:
        nb = json.loads((folder / a["notebook"]).read_text(encoding="utf-8"))
        built = json.loads((REPO / "build" / "homework" / a["student_notebook"]).read_text(encoding="utf-8"))
        assert nb == student_copy.student_copy(built), a["name"]  # make homework's, as the site serves a notebook
        assert nb["metadata"]["otter"]["tests"], "the public tests travel in the notebook's metadata"
        init = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert "from lectures_lib import public_checks as otter" in init, init
    assert (folder / "README.md").exists()
    assert not list(SITE.rglob("*autograder*")) and not list((SITE / "files").rglob("solved"))


def _cell(page, text: str):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").filter(has_text=text).first


def _run_cell(page, cell, code: str | None = None) -> str:
    """Put ``code`` into the cell (if given), run it with Ctrl+Enter and return its output once it has one."""
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".jp-InputArea-editor .cm-content").first
    editor.click()
    if code is not None:
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(code)
    before = cell.locator(".jp-InputPrompt").first.text_content()
    page.keyboard.press("Control+Enter")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        prompt = cell.locator(".jp-InputPrompt").first.text_content() or ""
        if re.search(r"\d", prompt) and prompt != before:
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError(f"the cell did not run within 120 s (prompt {prompt!r})")
    return cell.locator(".jp-OutputArea").first.inner_text()


def test_public_checks_run_in_the_browser(lite_context, lite_server):
    page = lite_context.new_page()
    try:
        page.goto(lite_server.lab_url("homework/hw01_gumbel.ipynb"))
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            state = page.evaluate(_RUN_STATE_JS)
            if state.get("kernel") == "idle" and state.get("cells", 0) > 0:
                break
            page.wait_for_timeout(500)
        else:
            raise AssertionError(f"the homework notebook's kernel never became idle: {state}")
        page.wait_for_timeout(1000)
        out = _run_cell(page, _cell(page, "public_checks as otter"))
        assert "Error" not in out, out
        assert "Error" not in _run_cell(page, _cell(page, "import numpy as np"))
        answer, check = _cell(page, "def gumbel_max_sample"), _cell(page, 'grader.check("q4")')
        _run_cell(page, answer, SHARED_GUMBEL)
        wrong = _run_cell(page, check)
        page.screenshot(path=str(SCREENSHOTS / "homework-check-fails.png"))
        assert "q4 results" in wrong and "Test case failed" in wrong and "not one shared G" in wrong, wrong
        _run_cell(page, answer, RIGHT)
        right = _run_cell(page, check)
        assert "q4 results: All test cases passed!" in right, right
    finally:
        page.close()
