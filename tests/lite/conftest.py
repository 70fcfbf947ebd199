"""Fixtures of the JupyterLite tests: the built site (``make lite``) on 127.0.0.1, headless Chromium with
every request recorded, and every notebook run in the in-browser kernel (Pyodide), one at a time.

Without a built site or a browser the tests are skipped on a laptop (with the command to run) and FAIL in
CI (``CI=true``), where ``make test`` builds the site first.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import pytest

# the helpers beside this file, the JupyterLab tests' helpers, and the site builder and server in tools/
_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent / "browser"), str(_HERE.parents[1] / "tools")]

from browserlib import VIEWPORT, LabSession, headless_chromium, record_timing, skip_or_fail  # noqa: E402
from course_site import course_site, put_back_test_only_cells  # noqa: E402
from litelib import SCREENSHOTS, SITE, RequestLog, serve  # noqa: E402


def pytest_generate_tests(metafunc):
    if "lite_notebook" in metafunc.fixturenames:
        names = sorted(p.name for p in (SITE / "files").glob("[0-9][0-9]_*.ipynb"))
        metafunc.parametrize("lite_notebook", names or [pytest.param(None, marks=pytest.mark.skip(
            "no built site: run make lite"))], ids=[n.split(".")[0] for n in names] or ["none"])


@pytest.fixture(scope="session")
def lite_server():
    if not (SITE / "index.html").exists():
        skip_or_fail(f"{SITE} has no built site: run make lite")
    with serve(SITE) as server:
        yield server


@pytest.fixture(scope="session")
def lite_browser():
    with headless_chromium() as browser:
        yield browser


@contextlib.contextmanager
def browser_profile(browser, **options):
    """A context as one student's browser (an empty profile): service workers on, as JupyterLite uses them for
    files, and every request recorded; closed on exit."""
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, service_workers="allow", **options)
    ctx.set_default_timeout(60_000)
    ctx.requests = RequestLog(ctx)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture(scope="session")
def lite_context(lite_browser):
    """One context for all the Run All tests."""
    with browser_profile(lite_browser) as ctx:
        yield ctx


class LiteSession(LabSession):
    """Run All in the site as ``LabSession`` does, after putting back the test-only cells that the student's copy
    leaves out (``tools/lite/student_copy.py``): the tests still run them in Pyodide, in their place."""

    def _run_all(self, run) -> None:
        if not run.clicks:
            run.phases["test_only_cells"] = put_back_test_only_cells(run.page, run.name)
        super()._run_all(run)


@pytest.fixture(scope="session")
def lite_runs(lite_context, lite_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # One notebook at a time, each page closed by its test: with more than two JupyterLite kernels alive in
    # one browser a new one did not start (Chromium 156, JupyterLite 0.5).
    session = LiteSession(lite_context, lite_server, lite_server.names, keep=set(lite_server.names),
                          screenshots=SCREENSHOTS, parallel=1, prefetch=False)
    start = time.monotonic()
    yield session
    record_timing("lite_run_all_wall_s", round(time.monotonic() - start, 1))
    record_timing("lite_run_all_per_notebook_s", {n: {"run": round(r.seconds, 1), **r.phases}
                                                   for n, r in session.done.items()})


# The student's path (test_lite_student.py, test_lite_hand_in.py): the site as a course publishes it, under /course/.
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    if not (SITE / "index.html").exists():
        skip_or_fail(f"{SITE} has no built site: run make lite")
    with course_site(tmp_path_factory.mktemp("course")) as site:
        yield site


@pytest.fixture
def student(lite_browser):
    """A student's browser of their own for each test: nothing saved yet; downloads allowed."""
    with browser_profile(lite_browser, accept_downloads=True) as ctx:
        yield ctx
