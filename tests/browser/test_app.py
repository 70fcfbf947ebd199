"""`make app`: the notebooks as Voilà apps (outputs and widgets, no code), on 127.0.0.1 with a token.

The test runs the Makefile's ``app`` command line (``make -n app``) on a free port in a temporary copy of
the notebooks, opens one notebook as an app in Chromium, checks that no code is shown, moves the demo's
first slider with the keyboard and sees the figure and the summary change.  Voilà runs the whole notebook
when the page opens, so the app tested is the quickest notebook with a demo (``APP_NOTEBOOK``).
"""

from __future__ import annotations

import json
import shutil

import pytest
from browserlib import (
    IN_CI,
    NOTEBOOK_DIR,
    REPO,
    SCREENSHOTS,
    cell_sources,
    free_port,
    isolated_jupyter_env,
    listening_addresses,
    make_command,
    start_server,
    status_no_redirect,
    stop_server,
    wait_for_log,
)

APP_NOTEBOOK = "00_start_here.ipynb"  # has a Demo and runs in seconds; 02's loc/scale demo takes ~4x longer

_DEMO_JS = """() => {
  const boxes = [...document.querySelectorAll('.jupyter-widgets.widget-vbox')]
      .filter(b => b.querySelector('.widget-slider .noUi-handle') && b.querySelector('img.widget-image'));
  if (!boxes.length) return null;
  boxes[0].setAttribute('data-app-demo', '1');
  const box = boxes[0];
  return {src: box.querySelector('img.widget-image').getAttribute('src'),
          summary: (box.querySelector('.widget-html-content') || {}).innerHTML,
          readout: (box.querySelector('.widget-readout') || {}).textContent};
}"""


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    try:
        cmd = make_command("app", "voila")
    except FileNotFoundError as exc:
        if IN_CI:
            raise
        pytest.skip(str(exc))
    base = tmp_path_factory.mktemp("app")
    shutil.copytree(NOTEBOOK_DIR, base / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(REPO / "ERRATA.md", base / "ERRATA.md")
    port, log = free_port(), base / "voila.log"
    cmd = [str(REPO / cmd[0]) if not cmd[0].startswith("/") else cmd[0], *cmd[1:], f"--port={port}",
           "--Voila.port_retries=0"]
    proc = start_server(cmd, cwd=base, log=log, env=isolated_jupyter_env(base))
    try:
        token = wait_for_log(log, rf"http://127\.0\.0\.1:{port}/\?token=([0-9a-f]{{16,}})", proc).group(1)
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "proc": proc, "port": port, "cmd": cmd, "log": log}
    finally:
        stop_server(proc)


def test_app_is_local_and_needs_the_token(app_server):
    url, port = app_server["url"], app_server["port"]
    assert "--Voila.ip=127.0.0.1" in app_server["cmd"]
    for path in ("/", f"/voila/render/{APP_NOTEBOOK}", "/api/kernels"):  # nothing without the token
        status, location = status_no_redirect(url + path)
        assert status in (401, 403, 404) or (status == 302 and "login" in location), (path, status, location)
    assert status_no_redirect(f"{url}/voila/render/{APP_NOTEBOOK}?token={app_server['token']}")[0] == 200
    listening = listening_addresses(app_server["proc"].pid)
    assert ("127.0.0.1", port) in listening and {ip for ip, _ in listening} == {"127.0.0.1"}, listening


def test_app_slider_redraws_the_figure(app_server, context):
    assert any("Demo(" in s for s in cell_sources(APP_NOTEBOOK)), f"{APP_NOTEBOOK} has no demo any more"
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{app_server['url']}/voila/render/{APP_NOTEBOOK}?token={app_server['token']}")
        page.wait_for_function(_DEMO_JS, timeout=240_000)  # Voilà runs the whole notebook first
        page.locator(".jp-Cell").last.wait_for(state="attached")
        before = page.evaluate(_DEMO_JS)
        # an app: outputs only, no code cells
        assert page.locator(".jp-InputArea-editor, .jp-InputArea .cm-content").count() == 0
        assert "import lectures_lib" not in page.inner_text("body")
        box = page.locator('[data-app-demo="1"]')
        box.scroll_into_view_if_needed()
        box.locator(".widget-slider .noUi-handle").first.press("ArrowRight")
        page.wait_for_function("(src) => document.querySelector('[data-app-demo] img.widget-image')"
                               ".getAttribute('src') !== src", arg=before["src"], timeout=30_000)
        page.wait_for_timeout(300)
        after = page.evaluate(_DEMO_JS)
        assert after["readout"] != before["readout"], (before["readout"], after["readout"])
        assert after["summary"] != before["summary"], "the summary did not change"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"app-{APP_NOTEBOOK[:-6]}.png"), full_page=True)
        box.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"app-{APP_NOTEBOOK[:-6]}-demo.png"))  # as seen at 1280 x 800
        tracebacks = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]', has_text="Traceback")
        assert tracebacks.count() == 0, tracebacks.first.inner_text()
        assert not errors, json.dumps(errors)[:2000]
    finally:
        page.close()


def test_app_loads_nothing_from_a_cdn_and_kernels_use_local_sockets(app_server, context):
    """Issue 14: Voila's lab template loaded FontAwesome (and mermaid) from CDNs, which fail offline, and every
    kernel printed a "running over TCP without encryption" warning.  `make app` uses tools/app/lecture and ipc."""
    assert "--template=lecture" in app_server["cmd"] and "--KernelManager.transport=ipc" in app_server["cmd"]
    page = context.new_page()
    outside: list[str] = []
    local = (app_server["url"], "data:", "blob:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    try:
        page.goto(f"{app_server['url']}/voila/render/{APP_NOTEBOOK}?token={app_server['token']}")
        page.wait_for_function(_DEMO_JS, timeout=240_000)
        html = page.content()
    finally:
        page.close()
    assert not outside, f"the app requested: {outside[:5]}"
    assert "cdn.jsdelivr.net" not in html and "cdnjs.cloudflare.com/ajax/libs/mermaid" not in html
    assert "running over TCP" not in app_server["log"].read_text(errors="replace")
