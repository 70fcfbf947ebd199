"""Handing in homework from the in-browser lecture, end to end, as the homework notebook tells a student to.

In Chromium, with an empty browser profile, on the course's site served from a sub-path: open homework 1 in the
Notebook interface (the course's book links there) and type the reference answers of ``make homework``'s solved
notebook into the answer cells, but first the slide's shared-Gumbel mistake for q4, whose public check must name it
(``grader.check`` runs in the browser through ``lectures_lib.public_checks``). Then follow *Before you hand in*
(Kernel ▸ Restart Kernel and Run All Cells, then the button it names), and never press Ctrl+S. The downloaded file
goes to an instructor's submissions folder and is graded by ``make grade SUBMISSIONS=<folder>`` exactly as
``homework/README.md`` documents it: full marks.

The hand-written answer (q7, Markdown) is typed last, just before the download, within the autosave interval: the
download must take what is on the screen, not the last saved copy (which would miss it).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

from browserlib import _ERRORS_JS, skip_or_fail
from course_site import assert_stayed_in_course, leaves_without_asking, menu, shot, wait_for_kernel, wait_until_run
from litelib import REPO, SITE

HOMEWORK = "homework/hw01_gumbel.ipynb"
SHARED_GUMBEL = (  # the slide's "one G for all categories" mistake (hw01 q4)
    "def gumbel_max_sample(logits, rng, size):\n"
    "    return np.argmax(logits + sample_gumbel(rng, (size, 1)), axis=-1)\n")
SOLVED = REPO / "build" / "homework" / "01_gumbel" / "solved" / "hw01_gumbel.ipynb"


def _answers() -> list[tuple[int, str, str]]:
    """(cell index, cell type, the reference answer) of every cell the solved notebook fills in."""
    shipped = json.loads((SITE / "files" / HOMEWORK).read_text())["cells"]
    solved = json.loads(SOLVED.read_text())["cells"]
    assert len(shipped) == len(solved)
    return [(i, b["cell_type"], "".join(b["source"])) for i, (a, b) in enumerate(zip(shipped, solved, strict=True))
            if "".join(a["source"]) != "".join(b["source"])]


def _type_into(page, index: int, kind: str, text: str) -> None:
    """Replace the text of cell ``index`` by ``text``, as a student pastes an answer (a Markdown cell is opened
    for editing with a double click and rendered again with Shift+Enter)."""
    cell = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    if kind == "markdown":
        cell.locator(".jp-MarkdownOutput").dblclick()
    editor = cell.locator(".cm-content").first
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    if kind == "markdown":
        page.keyboard.press("Shift+Enter")
    else:
        page.keyboard.press("Escape")


def _cell_text(page, contains: str) -> str:
    cell = page.locator(".jp-NotebookPanel .jp-CodeCell").filter(has_text=contains).first
    cell.scroll_into_view_if_needed()
    return cell.locator(".jp-OutputArea").first.inner_text()


def test_hand_in_from_the_browser_grades_full_marks(course, student):
    if not SOLVED.exists():
        skip_or_fail(f"{SOLVED} is missing: run make homework (make lite runs it)")
    answers = _answers()
    code = [a for a in answers if a[1] == "code"]
    prose = [a for a in answers if a[1] == "markdown"]
    assert len(code) >= 6 and len(prose) == 1, answers  # q1-q6 auto-graded, q7 by hand

    page = student.new_page()
    page.goto(course.app_url("notebooks", HOMEWORK))
    wait_for_kernel(page)
    steps = page.locator(".jp-MarkdownCell").filter(has_text="Before you hand in").first.inner_text()
    button = re.search(r"press (Download to hand in)", steps)
    assert button and "Restart Kernel and Run All Cells" in steps, steps  # what the notebook tells the student

    # first the slide's mistake for q4 (one Gumbel shared by all categories): its public check names it
    q4 = next(i for i, _, text in code if "def gumbel_max_sample" in text)
    for index, kind, text in code:
        _type_into(page, index, kind, SHARED_GUMBEL if index == q4 else text)
    menu(page, "Run", "Run All Cells")
    wait_until_run(page, timeout_s=240)
    wrong = _cell_text(page, 'grader.check("q4")')
    assert "q4 results" in wrong and "Test case failed" in wrong and "not one shared G" in wrong, wrong
    shot(page, "hand-in-classic-mistake-caught")
    _type_into(page, q4, "code", dict((i, t) for i, _, t in code)[q4])
    menu(page, "Kernel", "Restart Kernel and Run All Cells…")
    page.locator(".jp-Dialog .jp-mod-accept").click()  # "Restart": the dialog asks first
    state = wait_until_run(page, timeout_s=240)
    errors = page.evaluate(_ERRORS_JS)
    assert not errors, "cells show errors after Restart and Run All:\n" + "\n".join(errors)
    assert all(re.fullmatch(r"\[\d+\]:", c["prompt"]) for c in state["cells"]), state["cells"]
    q5 = _cell_text(page, 'grader.check("q5")')
    assert "format OK (this check does not grade the answer)" in q5 and "Only the format was checked" in q5, q5
    shot(page, "hand-in-q5-checks-only-the-format")
    assert "q4 results: All test cases passed!" in _cell_text(page, 'grader.check("q4")')
    shot(page, "hand-in-checked")

    ((index, kind, text),) = prose
    _type_into(page, index, kind, text)  # the last answer: typed, and handed in before any autosave
    with page.expect_download() as download:
        page.get_by_role("button", name=button.group(1)).click()
    shot(page, "hand-in-downloaded")
    assert download.value.suggested_filename == "hw01_gumbel.ipynb"
    folder = Path("build") / "test-hand-in" / uuid.uuid4().hex[:8]  # relative, as README's command takes it
    submitted = REPO / folder / "submissions" / "alice" / download.value.suggested_filename
    submitted.parent.mkdir(parents=True)
    download.value.save_as(submitted)
    assert leaves_without_asking(page), 'the browser asked "Leave site?" after the download'
    assert_stayed_in_course(course, student)

    handed_in = json.loads(submitted.read_text())["cells"]
    for i, _kind, text in answers:
        assert "".join(handed_in[i]["source"]) == text, f"cell {i} of the handed-in file is not what was typed"
    try:
        done = subprocess.run(["make", "grade", f"SUBMISSIONS={folder / 'submissions'}",
                               f"GRADE_ARGS=--out {folder / 'grades'}"], cwd=REPO, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        (row,) = list(csv.DictReader((REPO / folder / "grades" / "grades.csv").open()))
        assert (row["student"], row["assignment"], row["status"]) == ("alice", "hw01_gumbel", "graded"), row
        assert float(row["total"]) == float(row["possible"]) > 0, f"not full marks: {row}"
        assert row["manual_pending"] == "q7(2)", row
        print(f"\nhanded in from the browser and graded: {row['total']} / {row['possible']} "
              f"(+ {row['manual_pending']} by hand)")
    finally:
        shutil.rmtree(REPO / folder, ignore_errors=True)
