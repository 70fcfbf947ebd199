"""Real-browser fixtures: a JupyterLab server on 127.0.0.1, headless Chromium, and the notebooks run in it.

* ``browser``: Debian's Chromium (``/usr/bin/chromium``), else Playwright's own Chromium if installed;
  with neither the browser tests are skipped on a laptop but FAIL in CI (``CI=true``).
* ``lab_server``: one JupyterLab for the whole session, in a temporary copy of ``notebooks/``, on a random
  free port of 127.0.0.1 with a random token, isolated settings (no news, no update check, widget state
  saved with the notebook); always shut down (REST shutdown, then the process group, then leftovers).
* ``lab_runs``: every notebook opened in JupyterLab and run with *Run ▸ Run All Cells* through the menus,
  two at a time (2 cores); each result has the errors seen, a full-page screenshot, the notebook saved
  with its outputs and widget state, and the live page for the slider tests.  The saved notebooks are kept as
  the executed copies of ``make site`` (tools/execute_notebooks.py), which then runs none of them again.

Artifacts go to ``build/screenshots/`` (gitignored) and ``build/browser-timings.json``.
"""

from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path

import pytest
from browserlib import (
    BIN,
    NOTEBOOK_DIR,
    REPO,
    TIMINGS,
    VIEWPORT,
    LabSession,
    Server,
    allow_root,
    cpu_seconds_by_kind,
    find_demos,
    free_port,
    headless_chromium,
    isolated_jupyter_env,
    notebook_names,
    record_timing,
    save_run_seconds,
    start_server,
    stop_server,
    wait_until_answers,
)


def pytest_generate_tests(metafunc):
    """``notebook``: every notebook present at collection; ``demo``: the DEMOS (skipped if not written yet)."""
    if "notebook" in metafunc.fixturenames:
        names = notebook_names()
        metafunc.parametrize("notebook", names or [pytest.param(None, marks=pytest.mark.skip("no notebooks"))],
                             ids=[Path(n).stem for n in names] or ["none"])
    if "demo" in metafunc.fixturenames:
        params = []
        for demo, (nb, pattern) in find_demos().items():
            marks = [] if nb else [pytest.mark.skip(f"no notebook calls {pattern} yet")]
            params.append(pytest.param((demo, nb, pattern), id=demo, marks=marks))
        metafunc.parametrize("demo", params)


def pytest_sessionstart(session):
    TIMINGS.unlink(missing_ok=True)  # this run's numbers only


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory) -> Server:
    """One JupyterLab for the session, serving a temporary copy of notebooks/ (the notebooks may write)."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(NOTEBOOK_DIR, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.html"))
    for extra in ("ERRATA.md", "README.md"):  # notebooks read ../ERRATA.md
        if (REPO / extra).exists():
            shutil.copy(REPO / extra, base / extra)
    port, token, log = free_port(), secrets.token_hex(24), base / "jupyterlab.log"
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           *allow_root()]
    proc = start_server(cmd, cwd=root, log=log, env=isolated_jupyter_env(base))
    server = Server(f"http://127.0.0.1:{port}", token, root, proc, log,
                    names=sorted(p.name for p in root.glob("[0-9][0-9]_*.ipynb")))
    try:
        wait_until_answers(f"{server.url}/api/status?token={token}", proc, log)
        yield server
    finally:
        stop_server(proc, f"{server.url}/api/shutdown?token={token}")


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Chromium; skip without one on a laptop, fail without one in CI."""
    with headless_chromium() as b:
        yield b


@pytest.fixture(scope="session")
def context(browser):
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, service_workers="block")
    ctx.set_default_timeout(60_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture(scope="session")
def lab_runs(context, lab_server):
    keep = {nb for nb, _ in find_demos().values() if nb}  # their pages stay open for the slider tests
    session = LabSession(context, lab_server, lab_server.names, keep=keep)
    start = time.monotonic()
    yield session
    record_timing("cpu_s_by_process_kind_before_lab_shutdown", cpu_seconds_by_kind())
    save_run_seconds(session.done)
    record_timing("lab_run_all_wall_s", round(time.monotonic() - start, 1))
    record_timing("lab_run_all_per_notebook_s", {n: {"run": round(r.seconds, 1), **r.phases}
                                                  for n, r in session.done.items()})
    keep_executed_copies(session, lab_server)


def keep_executed_copies(session: LabSession, server: Server) -> None:
    """Each notebook that JupyterLab ran cleanly and saved (outputs and widget state) becomes the executed copy
    that ``make site`` and ``make slides`` use, under the key of the cells it was run from."""
    import sys

    import nbformat

    sys.path.insert(0, str(REPO / "tools"))
    import execute_notebooks

    dependencies = execute_notebooks.dependencies_digest()
    for name, run in session.done.items():
        if run.failure is None and not run.errors and run.saved:
            nb = nbformat.read(server.root / name, as_version=4)
            execute_notebooks.store(name, nb, execute_notebooks.key_of(nb, dependencies), run.seconds,
                                    "JupyterLab (make browser)")
