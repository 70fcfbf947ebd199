"""Fixtures of the course-website tests: ``build/site/`` (``make site``) served under ``/course/`` on 127.0.0.1,
and headless Chromium with every request of its pages (workers included) recorded.

Without a built site or a browser the tests are skipped on a laptop (with the command to run) and FAIL in CI
(``CI=true``), where ``make test`` builds the site first (``make site-browser``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the helpers beside this file, the JupyterLab tests' helpers, and the servers in tools/
_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent / "browser"), str(_HERE.parents[1] / "tools")]

from browserlib import headless_chromium, skip_or_fail  # noqa: E402
from sitelib import SCREENSHOTS, SITE, Requests, serve  # noqa: E402


@pytest.fixture(scope="session")
def site_server():
    if not (SITE / "index.html").exists() or not (SITE / "lite" / "index.html").exists():
        skip_or_fail(f"{SITE} has no built course website: run make site")
    with serve(SITE) as server:
        yield server


@pytest.fixture(scope="session")
def site_browser():
    with headless_chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def site_context(site_browser):
    """One context (one student's browser): service workers allowed, as JupyterLite uses them."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ctx = site_browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1,
                                   service_workers="allow")
    ctx.set_default_timeout(60_000)
    ctx.requests = Requests().attach(ctx)
    try:
        yield ctx
    finally:
        ctx.close()
