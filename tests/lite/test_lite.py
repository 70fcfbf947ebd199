"""The zero-install lecture (``make lite``): every notebook runs in the browser's own Python (Pyodide),
its demos react to the keyboard, and the page asks no host but the one that serves it.

The runs happen in the ``lite_runs`` fixture (one notebook at a time, through Run ▸ Run All Cells);
screenshots land in ``build/screenshots/lite/``.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import time
import zipfile

import build_lite  # tools/, put on the path by conftest.py
import pytest
from browserlib import assert_ran_clean, record_timing
from course_site import tagged_test_only
from litelib import MARK_DEMOS_JS, REPO, SCREENSHOTS, SITE, STATE_JS, slider_latencies
from test_lite_startup import red_boxes


# ------------------------------------------------------------------------------------- the built site
def test_site_serves_every_notebook_at_the_root():
    names = sorted(p.name for p in (SITE / "files").glob("*.ipynb"))
    assert names == sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    index = json.loads((SITE / "api" / "contents" / "all.json").read_text())
    assert {c["name"] for c in index["content"]} >= set(names), "the file browser would not list them"


def test_site_never_falls_back_to_a_cdn_or_pypi():
    config = json.loads((SITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["disablePyPIFallback"] is True
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.js"
    assert (SITE / "static" / "pyodide" / "pyodide.asm.wasm").exists()


def test_every_package_in_the_lock_is_shipped_with_its_hash():
    pyodide = SITE / "static" / "pyodide"
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    assert lock["info"]["version"] == build_lite.PYODIDE_VERSION
    packages = lock["packages"]
    assert {"lectures-lib", "numpy", "scipy", "matplotlib", "sympy", "ipywidgets", "threadpoolctl"} <= set(packages)
    for name, entry in packages.items():
        data = (pyodide / entry["file_name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{name}: file and lock disagree"
        depends = {d.lower().replace("_", "-") for d in entry["depends"]}  # the lock's keys are normalised
        assert depends <= set(packages), f"{name} depends on {depends - set(packages)}, which the site lacks"
    assert "lectures_lib" in packages["lectures-lib"]["imports"]
    with zipfile.ZipFile(pyodide / packages["lectures-lib"]["file_name"]) as wheel:  # lecture_map.errata_page
        assert wheel.read("lectures_lib/ERRATA.md") == (REPO / "ERRATA.md").read_bytes()


def test_build_refuses_a_package_whose_hash_differs(tmp_path):
    """A file from the mirror (or from PYODIDE_DIST) that differs from the official one stops the build."""
    official = build_lite.official_lock()["packages"]
    good = SITE / "static" / "pyodide"
    dist, out = tmp_path / "dist", tmp_path / "out"
    dist.mkdir(), out.mkdir()
    names = ["numpy", "scipy"]
    for name in names:
        (dist / official[name]["file_name"]).write_bytes((good / official[name]["file_name"]).read_bytes())
    source = build_lite.DistSource(dist)
    assert build_lite.copy_verified(names, official, source, "test", out) > 1_000_000  # the real files pass
    tampered = bytearray((dist / official["scipy"]["file_name"]).read_bytes())
    tampered[len(tampered) // 2] ^= 1  # one bit
    (dist / official["scipy"]["file_name"]).write_bytes(bytes(tampered))
    with pytest.raises(build_lite.BuildError, match="does not match the official"):
        build_lite.copy_verified(names, official, build_lite.DistSource(dist), "test", out)
    (dist / official["numpy"]["file_name"]).unlink()
    with pytest.raises(build_lite.BuildError, match="is not in"):
        build_lite.copy_verified(names, official, build_lite.DistSource(dist), "test", out)


def test_site_size_is_reported():
    size = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file()) / 1e6
    print(f"\nJupyterLite site: {size:.1f} MB (target <= 80 MB)")
    record_timing("lite_site_mb", round(size, 1))
    assert size < 200, "the site grew far beyond its budget"


def test_notebooks_need_no_pip_cell():
    for path in sorted((SITE / "files").glob("*.ipynb")):
        sources = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        assert not [s for s in sources if re.search(r"^\s*[%!]pip|piplite|micropip", s, re.M)], path.name


# ------------------------------------------------------------------------------------------ in Chromium
def test_notebook_runs_in_the_browser(lite_runs, lite_notebook):
    """Run All with no error output; then every demo redraws when its slider moves, and Play animates.

    One test per notebook, so that its page (and its kernel) can be closed at the end: with more than two
    JupyterLite kernels alive in one browser, a new one did not start (Chromium 156, JupyterLite 0.5).
    """
    run = lite_runs.result(lite_notebook)
    try:
        _check_run(run, lite_notebook)
        _check_demos(run.page, lite_notebook)
    finally:
        if run.page is not None:
            run.page.close()
            run.page = None


def _check_run(run, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # what went wrong, kept for CI's artefacts
    (SCREENSHOTS / f"{name.split('.')[0]}.json").write_text(json.dumps(
        {"failure": run.failure, "errors": run.errors, "math_errors": run.math_errors, "state": run.state,
         "seconds": run.seconds, "phases": run.phases, "clicks": run.clicks}, indent=1, default=str))
    print(f"\n{name}: opened in {run.phases.get('open')} s, Run All took {run.seconds:.1f} s in Pyodide "
          f"(one notebook at a time); screenshot {run.screenshot}")
    record_timing(f"lite_run_s.{name}", {"open": run.phases.get("open"), "run_all": round(run.seconds, 1)})
    assert_ran_clean(run, name, "JupyterLite")
    assert not run.math_errors, "\n".join(run.math_errors)
    # every code cell of the notebook as git holds it ran: the solutions (unfolded, as a click on each does) and
    # the test-only cells, which the student's copy leaves out and the session put back in their place
    source = json.loads((REPO / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    assert run.phases.get("test_only_cells") == len(tagged_test_only(name))
    assert run.state["counted"] == sum(c["cell_type"] == "code" and bool("".join(c["source"]).strip())
                                       for c in source), run.state
    assert not red_boxes(run.page), f"{name} shows stderr (red) boxes: {red_boxes(run.page)}"


def _check_demos(page, name: str) -> None:
    page.bring_to_front()  # a background tab gets no animation frames
    n_demos = page.evaluate(MARK_DEMOS_JS)
    expected = sum(bool(re.search(r"\bmake_\w+_demo\(", s)) for s in _code_sources(name))
    assert n_demos >= min(expected, 1), f"{name}: no demo rendered"
    medians = {}
    for demo_id in map(str, range(n_demos)):
        before = page.evaluate(STATE_JS, demo_id)
        latencies = slider_latencies(page, demo_id, steps=3)
        after = page.evaluate(STATE_JS, demo_id)
        assert after["src"] != before["src"], f"demo {demo_id} of {name}: the figure did not change"
        assert after["readouts"] != before["readouts"]
        medians[demo_id] = round(statistics.median(latencies))
    print(f"{name}: {n_demos} demos, slider move -> new figure (median of 3, ms): {medians}")
    record_timing(f"lite_slider_ms.{name}", medians)
    playing = [i for i in map(str, range(n_demos)) if page.evaluate(STATE_JS, i)["playIcon"]]
    if name.startswith("03") and playing:
        _check_play(page, playing[0])


def _check_play(page, demo: str) -> None:
    play = page.locator(f'[data-demo="{demo}"] .widget-play button').first
    play.scroll_into_view_if_needed()
    start = page.evaluate(STATE_JS, demo)
    play.click()
    images, t0 = {start["src"]}, time.monotonic()
    while time.monotonic() - t0 < 4:
        page.wait_for_timeout(150)
        images.add(page.evaluate(STATE_JS, demo)["src"])
    play.click()  # pause
    assert len(images) >= 3, f"Play redrew {len(images) - 1} figures in 4 s"


def test_no_request_leaves_the_site(lite_runs, lite_server, lite_context):
    for name in lite_server.names:  # after every notebook ran
        lite_runs.result(name)
    urls = lite_context.requests.urls
    assert any(u.endswith(".whl") and "/static/pyodide/" in u for u in urls), (
        "the log saw no wheel the kernel loaded: requests from workers are not being recorded")
    foreign = lite_context.requests.foreign(lite_server.url)
    print(f"\n{len(urls)} requests, {len(foreign)} to other hosts")
    assert not foreign, "the lite site asked other hosts:\n" + "\n".join(foreign[:30])


def _code_sources(name: str) -> list[str]:
    cells = json.loads((SITE / "files" / name).read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
