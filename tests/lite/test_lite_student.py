"""The student's path in the in-browser lecture (``make lite``), as a student meets it: the course's site served
from a sub-path (``/course/``), opened in Chromium with an empty browser profile, in both JupyterLite interfaces
(JupyterLab, and the simpler Notebook interface that the course's book links to).

* Opening a notebook changes nothing: no ●, no "Leave site?", no private copy; so a notebook the course
  republishes reaches the student at the next visit (JupyterLab).
* A notebook the student changed is their own copy: when the course republishes it, the student is told, gets
  the new version and keeps their copy (Notebook interface); the Notebook interface says "Trusted".
* Run All passes over folded solution cells; a solution the student opens runs on Shift+Enter.
* No request leaves ``/course/`` (the service worker's heartbeat and the favicon included), none fails.

Without a built site or a browser the tests are skipped on a laptop and fail in CI (``CI=true``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from browserlib import skip_or_fail
from course_site import (
    PAGE_STATE_JS,
    assert_stayed_in_course,
    leaves_without_asking,
    menu,
    shot,
    wait_for_kernel,
    wait_until_run,
)
from lite import site_patches, student_copy
from litelib import REPO, SITE

NOTEBOOK = "00_start_here.ipynb"  # the quickest to run, with three folded solutions
AUTOSAVE_S = student_copy.SETTINGS["@jupyterlab/docmanager-extension:plugin"]["autosaveInterval"]


# -------------------------------------------------------------------------------------- the built site
def _served(path: str) -> dict:
    return json.loads((SITE / "files" / path).read_text(encoding="utf-8"))


def test_every_served_notebook_is_the_students_copy():
    if not (SITE / "index.html").exists():
        skip_or_fail(f"{SITE} has no built site: run make lite")
    versions = json.loads((SITE / student_copy.VERSIONS_FILE).read_text())
    lectures = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    homework = sorted(f"homework/{p.name}" for p in (SITE / "files" / "homework").glob("*.ipynb"))
    assert set(versions) == {*lectures, *homework} and homework
    for name in lectures:
        source = json.loads((REPO / "notebooks" / name).read_text(encoding="utf-8"))
        served = _served(name)
        assert served == student_copy.student_copy(source), name
        assert not [c for c in served["cells"] if "test-only" in c["metadata"].get("tags", [])], name
        kept = [c for c in source["cells"] if "test-only" not in c["metadata"].get("tags", [])]
        assert [c["source"] for c in served["cells"]] == [c["source"] for c in kept], name
        assert served["metadata"]["kernelspec"]["name"] == "python"  # the Pyodide kernel's, not python3
        assert versions[name]["version"] == served["metadata"]["course"]["version"], name


def test_a_version_changes_with_the_notebook_and_only_then():
    source = json.loads((REPO / "notebooks" / NOTEBOOK).read_text(encoding="utf-8"))
    first = student_copy.student_copy(source)
    assert student_copy.student_copy(first) == first  # the site's copy, copied again, is the same version
    source["cells"][0]["source"] = ["# 00 · changed"]
    assert student_copy.student_copy(source)["metadata"]["course"] != first["metadata"]["course"]
    with pytest.raises(ValueError, match="notebook"):
        student_copy.student_copy({"cells": "not a list"})


def test_the_site_replaces_the_cell_executor_and_loads_the_extension():
    if not (SITE / "index.html").exists():
        skip_or_fail(f"{SITE} has no built site: run make lite")
    config = json.loads((SITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    assert set(student_copy.DISABLED_PLUGINS) <= set(config["disabledExtensions"])
    loaded = {e["name"]: e for e in config["federated_extensions"]}
    entry = loaded[student_copy.EXTENSION_NAME]
    assert (SITE / "extensions" / entry["name"] / entry["load"]).read_bytes() == (
        student_copy.EXTENSION / "static" / "remoteEntry.js").read_bytes()
    assert config["settingsOverrides"]["@jupyterlab/docmanager-extension:plugin"]["autosaveInterval"] == AUTOSAVE_S


def test_the_site_asks_nothing_outside_its_folder():
    """No page script asks the heartbeat from the host's root; every page names its icon by a relative path."""
    if not (SITE / "index.html").exists():
        skip_or_fail(f"{SITE} has no built site: run make lite")
    scripts = [p for p in (SITE / "build").glob("*.js")] + [SITE / "service-worker.js"]
    assert not [p.name for p in scripts if 'fetch("/api/service-worker-heartbeat")' in p.read_text(errors="ignore")]
    assert not [p.name for p in scripts if '"/api/service-worker-heartbeat"===' in p.read_text(errors="ignore")]
    assert (SITE / site_patches.HEARTBEAT).read_text() == "ok"
    assert (SITE / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # an .ico
    pages = [p for p in SITE.rglob("*.html") if not {"static", "extensions"} & set(p.relative_to(SITE).parts)]
    assert len(pages) >= 8
    for page in pages:
        hrefs = re.findall(r'<link rel="icon"[^>]*href="([^"]+)"', page.read_text())
        assert hrefs and not hrefs[0].startswith("/"), f"{page} names no relative icon"
        assert (page.parent / hrefs[0]).resolve().is_file(), f"{page}: {hrefs[0]} does not exist"


def test_notebook_00_says_how_to_work_in_the_browser():
    """Notebook 00 is where a student starts, in the browser as on a checkout: it says how to run, wait, save, keep
    and hand in work there, and points at nothing a browser does not have."""
    cells = json.loads((REPO / "notebooks" / NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for said in ("Shift+Enter", "Wait for the kernel", "Python (Pyodide)", "saved every few seconds",
                 "only in this browser", "Download", "Download to hand in", "(my copy)", "In JupyterLab"):
        assert said in text, f"notebook 00 does not say {said!r}"
    code = "\n".join("".join(c["source"]) for c in cells)
    for stale in ("`tests/`", "top of the repository", "`01` → `08`"):
        assert stale not in code, f"notebook 00 still says {stale!r}"
    assert "`00` → `09`" in text


# ------------------------------------------------------------------------------------------ in Chromium
def _gesture(page) -> None:
    """A click in the notebook: a browser asks "Leave site?" only on a page the user has interacted with."""
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first.click(position={"x": 5, "y": 5})


def test_opening_a_notebook_changes_nothing_and_a_new_version_reaches_it(course, student):
    """JupyterLab: open a notebook, read it past the autosave interval, close the tab; the course republishes the
    notebook; the student opens it again and sees the new version (they had no copy of their own). Then an edit,
    downloaded at once from the file list, is in the file; and being their own copy now, the notebook offers the
    course's next version, which the student takes, keeping the copy."""
    page = student.new_page()
    page.goto(course.app_url("lab", NOTEBOOK))
    state = wait_for_kernel(page)
    assert not state["tabDirty"], "the notebook is marked modified (●) as soon as it opened"
    old_heading = state["heading"]
    with page.expect_download() as download:
        page.locator('[data-lectures="download"]').first.click()
    kept = json.loads(Path(download.value.path()).read_text())
    assert [c["source"] for c in kept["cells"]] == ["".join(c["source"]) for c in _served(NOTEBOOK)["cells"]]
    page.wait_for_timeout((AUTOSAVE_S + 3) * 1000)
    assert not page.evaluate(PAGE_STATE_JS)["tabDirty"]
    shot(page, "lab-opened-unchanged")
    _gesture(page)
    assert leaves_without_asking(page), 'the browser asked "Leave site?" although nothing was edited'

    title = "00 · Start here (republished by the course)"
    course.publish(NOTEBOOK, title)
    page = student.new_page()
    page.goto(course.app_url("lab", NOTEBOOK))
    state = wait_for_kernel(page)
    page.wait_for_timeout(1500)
    shot(page, "lab-new-version-shown")
    assert state["heading"] == title != old_heading, f"the student still sees {state['heading']!r}"
    assert not page.locator(".jp-Dialog").count(), "a dialog appeared although the student had no copy"

    # the file list's Download (right click) of the open notebook, just after an edit: the edit is in the file
    _type_at_top(page, EDIT)
    item = page.locator(".jp-DirListing-item", has_text=NOTEBOOK).first
    item.click(button="right")
    with page.expect_download() as download:
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Download$")).click()
    assert EDIT in Path(download.value.path()).read_text(), "the file list's Download sent the last saved copy"

    # the edit made it the student's own copy: the next version is offered, and taken (JupyterLab's way back)
    course.publish(NOTEBOOK, "00 · Start here, third edition")
    page.goto(course.app_url("lab", NOTEBOOK))  # the course's link again (JupyterLab reloads to its launcher)
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=180_000)
    dialog.get_by_role("button", name="Get the new version").click()
    page.wait_for_load_state()
    state = wait_for_kernel(page)
    assert state["heading"] == "00 · Start here, third edition", state["heading"]
    page.locator(".jp-DirListing-item", has_text="00_start_here (my copy).ipynb").first.wait_for()
    shot(page, "lab-new-version-taken")
    page.close()
    assert_stayed_in_course(course, student)


EDIT = "# typed a moment ago"


def _type_at_top(page, text: str) -> None:
    """Type a line at the top of the notebook's first code cell (not run; the autosave has not come yet)."""
    cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").first
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".cm-content").first
    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.insert_text(text + "\n")


def _unfold_solutions(page) -> list[dict]:
    """Open every folded cell, as a student clicks each "..."; returns the code cells' states."""
    placeholders = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPlaceholder")
    for _ in range(placeholders.count()):  # each click replaces one placeholder by the cell's input
        placeholders.first.scroll_into_view_if_needed()
        placeholders.first.click()
    page.wait_for_timeout(500)
    return page.evaluate(PAGE_STATE_JS)["cells"]


def test_own_copy_run_all_skips_folded_solutions_and_a_new_version_keeps_it(course, student):
    """The Notebook interface: Run All (folded solutions do not run), open a solution and run it (Shift+Enter):
    the notebook is now the student's own copy, autosaved. The course republishes it: the student is told when
    they open it again, takes the new version, and finds their copy, with the solution's output, beside it."""
    page = student.new_page()
    page.goto(course.app_url("notebooks", NOTEBOOK))
    state = wait_for_kernel(page)
    assert state["trusted"] == "Trusted", f"the Notebook interface says {state['trusted']!r}"
    old_heading = state["heading"]
    folded = [i for i, c in enumerate(state["cells"]) if c["folded"]]
    assert len(folded) == 3, state["cells"]
    _gesture(page)
    menu(page, "Run", "Run All Cells")
    state = wait_until_run(page)
    unfolded = [c for i, c in enumerate(state["cells"]) if i not in folded]
    assert all(re.fullmatch(r"\[\d+\]:", c["prompt"]) for c in unfolded), unfolded  # every other cell ran
    cells = _unfold_solutions(page)
    shot(page, "notebook-run-all-skipped-solutions")
    ran = [(i, cells[i]) for i in folded if cells[i]["prompt"] != "[ ]:" or cells[i]["outputs"]]
    assert not ran, f"Run All ran folded solution cells: {ran}"

    solution = page.locator(".jp-NotebookPanel .jp-CodeCell").nth(folded[0])  # now open: the student runs it
    solution.locator(".cm-content").first.click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(f"""() => /\\[\\d+\\]/.test(document.querySelectorAll(
        '.jp-NotebookPanel .jp-CodeCell')[{folded[0]}].querySelector('.jp-InputPrompt').textContent)""")
    page.wait_for_timeout((AUTOSAVE_S + 3) * 1000)  # autosaved: the student's copy, in the browser's storage
    cells = page.evaluate(PAGE_STATE_JS)["cells"]
    assert cells[folded[0]]["outputs"] >= 1, cells[folded[0]]
    shot(page, "notebook-solution-opened-and-run")
    assert leaves_without_asking(page), 'the browser asked "Leave site?": the autosave did not save the work'

    title = "00 · Start here, second edition"
    course.publish(NOTEBOOK, title)
    page = student.new_page()
    page.goto(course.app_url("notebooks", NOTEBOOK))
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=180_000)
    shot(page, "notebook-told-of-new-version")
    assert "new version" in dialog.inner_text() and "(my copy)" in dialog.inner_text()
    assert page.evaluate(PAGE_STATE_JS)["heading"] == old_heading  # behind the dialog: the student's copy
    dialog.get_by_role("button", name="Get the new version").click()
    page.wait_for_load_state()
    state = wait_for_kernel(page)
    page.wait_for_timeout(1500)
    assert state["heading"] == title, f"after taking the new version the student sees {state['heading']!r}"
    assert not page.locator(".jp-Dialog").count()
    shot(page, "notebook-new-version-taken")
    page.close()

    copy = "00_start_here (my copy).ipynb"
    page = student.new_page()
    page.goto(course.app_url("notebooks", quote(copy)))
    state = wait_for_kernel(page)
    assert state["heading"] == old_heading and state["cells"][folded[0]]["outputs"] >= 1, state
    assert not page.locator(".jp-Dialog").count()
    shot(page, "notebook-own-copy-kept")
    # an edit in this tab, downloaded at once from the file list in a tab of its own: that tab asks this one to
    # save first (else it would send the copy as last saved, without the edit)
    files = student.new_page()
    files.goto(f"{course.url}/tree/index.html")
    files.locator(".jp-DirListing-item", has_text=copy).first.wait_for()
    page.bring_to_front()
    _type_at_top(page, EDIT)
    files.bring_to_front()
    files.locator(".jp-DirListing-item", has_text=copy).first.click()
    with files.expect_download() as download:
        files.locator(".jp-Toolbar").get_by_role("button", name="Download").first.click()
    shot(files, "notebook-file-list-download")
    assert EDIT in Path(download.value.path()).read_text(), "the file list's Download sent the last saved copy"
    files.close()
    page.bring_to_front()
    _type_at_top(page, "# not saved yet")  # closing the tab now would lose this: the browser asks first
    assert not leaves_without_asking(page), 'no "Leave site?" although an edit was not saved yet'
    assert_stayed_in_course(course, student)
