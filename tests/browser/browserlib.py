"""Helpers of the browser tests (servers, Chromium, notebooks run through the JupyterLab UI).

Kept apart from ``conftest.py`` so that the test modules can import them (``import browserlib``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"
BUILD = REPO / "build"
SCREENSHOTS = BUILD / "screenshots"
TIMINGS = BUILD / "browser-timings.json"
BIN = Path(sys.executable).parent  # the .venv's bin: jupyter, voila
IN_CI = os.environ.get("CI", "").lower() == "true"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
# Nothing may call home: there is no internet, and a test must not depend on it.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-default-apps", "--disable-extensions",
    "--disable-domain-reliability", "--disable-breakpad", "--metrics-recording-only", "--no-pings",
    # several pages run at once: none of them may be throttled as a background tab
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
VIEWPORT = {"width": 1280, "height": 800}
RUN_TIMEOUT_S = 420  # one notebook's Run All, on a loaded 2-core machine
OPEN_TIMEOUT_S = 180  # page loaded, notebook shown, kernel idle
RUN_SECONDS = BUILD / "lab-run-seconds.json"  # the last run's Run All times, to start the longest first
RETRY_S = 8  # choose Run All again if no cell is queued ([*]) or counted this long after choosing it
# One 1280 x 800 picture per notebook by default (what a student sees first; keeps `make test` fast);
# BROWSER_SCREENSHOTS=full stitches the whole notebook (about 60 s more of Chromium on 2 cores).
FULL_SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "window") == "full"
PARALLEL_PAGES = 2  # notebooks running at once (one kernel per core)


# The demos whose sliders and Play button are tested in the browser: the call that builds each one.
# A demo is looked for in whichever notebook makes that call (notebooks are being written at the same time).
DEMOS = {
    "gumbel_loc_scale": r"\bmake_loc_scale_demo\(",  # 02_gumbel_distribution
    "gumbel_max_logits": r"\bmake_logits_demo\(",  # 03_gumbel_max_trick
    "gumbel_softmax_temperature": r"\bmake_gumbel_softmax_demo\(",  # 07_gumbel_softmax
}


def notebook_names() -> list[str]:
    """The notebooks present now (other helpers add notebooks while the suite is written)."""
    return sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def cell_sources(name: str) -> list[str]:
    """The sources of the code cells of a notebook ([] if it is not valid JSON yet)."""
    try:
        nb = json.loads((NOTEBOOK_DIR / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return ["".join(c.get("source", "")) for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def find_demos() -> dict[str, tuple[str | None, str]]:
    """demo id -> (notebook that builds it or None, the pattern of the call)."""
    found = {}
    for demo, pattern in DEMOS.items():
        hits = [n for n in notebook_names() if any(re.search(pattern, s) for s in cell_sources(n))]
        found[demo] = (hits[0] if hits else None, pattern)
    return found




def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def record_timing(key: str, value) -> None:
    """Merge one measurement into build/browser-timings.json (printed by the tests too)."""
    BUILD.mkdir(exist_ok=True)
    data = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    data[key] = value
    TIMINGS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------------------------- processes
def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """Status and body of a GET (HTTP errors are returned, not raised)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - 127.0.0.1 only
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def status_no_redirect(url: str, headers: dict | None = None) -> tuple[int, str]:
    """Status and Location header of a GET, without following a redirect (to a login page, say)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        r = conn.getresponse()
        return r.status, r.getheader("Location") or ""
    finally:
        conn.close()


def wait_until_answers(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if http_get(url, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"no answer from {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def start_server(cmd: list[str], *, cwd: Path, log: Path, env: dict | None = None) -> subprocess.Popen:
    """Start ``cmd`` in its own process group, output to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})}, start_new_session=True)


def stop_server(proc: subprocess.Popen, shutdown_url: str | None = None) -> None:
    """Stop a server we started and everything it started (kernels run in their own sessions)."""
    try:
        import psutil

        family = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # psutil missing or the process already gone
        family = []
    if shutdown_url and proc.poll() is None:
        try:  # a clean shutdown also shuts its kernels down
            urllib.request.urlopen(urllib.request.Request(shutdown_url, method="POST"), timeout=5)  # noqa: S310
        except OSError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
    for child in family:  # kernels left behind (each its own process group), killed by pid
        try:
            if child.is_running():
                child.kill()
        except Exception:
            pass


def isolated_jupyter_env(root: Path) -> dict:
    """Config, runtime, settings and workspaces in ``root``: no user settings, nothing written to $HOME."""
    config, settings = root / "jupyter-config", root / "lab-settings"
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    # No news feed and no extension manager (both would try the internet).
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {
        "@jupyterlab/apputils-extension:announcements": True, "@jupyterlab/extensionmanager-extension": True}}))
    user = {
        # save the widget state with the notebook (the static site shows it); every cell in the DOM
        "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    }
    for rel, value in user.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    return {"JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
            "IPYTHONDIR": str(root / "ipython"), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def allow_root() -> list[str]:
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT
    token: str
    root: Path  # the directory it serves
    proc: subprocess.Popen
    log: Path
    names: list[str] = field(default_factory=list)  # the notebooks copied when it started

    def lab_url(self, path: str, workspace: str | None = None) -> str:
        ws = f"/workspaces/{workspace}" if workspace else ""
        return f"{self.url}/lab{ws}/tree/{path}?reset&token={self.token}"



# ----------------------------------------------------------------------------------------------- browser
def launch_options(playwright) -> dict | None:
    if DEBIAN_CHROMIUM.exists():
        return {"executable_path": str(DEBIAN_CHROMIUM)}
    try:
        own = Path(playwright.chromium.executable_path)
    except Exception:
        return None
    return {} if own.exists() else None



def skip_or_fail(message: str) -> None:
    """A missing browser or site: skip on a laptop, fail in CI (``CI=true``), where everything is installed."""
    import pytest

    if IN_CI:
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


@contextlib.contextmanager
def headless_chromium(missing=skip_or_fail):
    """Headless Chromium (Debian's, else Playwright's own), closed on exit; ``missing(message)`` is called
    (and must raise: skip or fail) when Playwright or a Chromium is not installed.

    ``launch()`` gives Chromium a fresh, empty profile directory of its own (removed on close).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        options = launch_options(p)
        if options is None:
            missing("no Chromium found: install Debian's (apt-get install chromium) or Playwright's own "
                    "(.venv/bin/playwright install chromium)")
        browser = p.chromium.launch(headless=True, args=CHROMIUM_ARGS, **options)
        try:
            yield browser
        finally:
            browser.close()


# ------------------------------------------------------------------------------------ notebooks in the lab
# Every code cell with source has an execution count (or the run stopped at an error), and the kernel is idle.
_RUN_STATE_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return {ready: false, why: 'no notebook panel'};
  const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const kernel = status ? status.getAttribute('data-status') : null;
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')];
  let pending = 0, running = 0, counted = 0;
  for (const cell of cells) {
    const src = cell.querySelector('.jp-InputArea-editor .cm-content');
    if (src && src.textContent.trim() === '') continue;
    const prompt = (cell.querySelector('.jp-InputPrompt') || {}).textContent || '';
    if (prompt.includes('*')) running++; else if (/\\d/.test(prompt)) counted++; else pending++;
  }
  const errors = [...panel.querySelectorAll('.jp-OutputArea-output')].filter(o =>
      (o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr' && /Traceback|Error/.test(o.textContent))
      || /Error displaying widget|Error rendering output|Javascript Error/.test(o.textContent)).length;
  return {kernel, cells: cells.length, pending, running, counted, errors,
          ready: kernel === 'idle' && running === 0 && (pending === 0 || errors > 0)};
}"""

_ERRORS_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const out = [];
  for (const cell of panel.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')) {
    const prompt = (cell.querySelector('.jp-InputPrompt') || {}).textContent || '';
    for (const o of cell.querySelectorAll('.jp-OutputArea-output')) {
      const stderr = o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr';
      if ((stderr && /Traceback|Error/.test(o.textContent))
          || /Error displaying widget|Error rendering output|Javascript Error/.test(o.textContent))
        out.push(prompt.trim() + ' ' + o.textContent.slice(0, 1500));
    }
  }
  return out;
}"""


# Formulas that MathJax (JupyterLab's, version 3) could not typeset: shown to students as yellow raw TeX.
_MATH_ERRORS_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell mjx-merror')].map(e => {
  const cell = e.closest('.jp-Cell');
  const prompt = ((cell && cell.querySelector('.jp-InputPrompt')) || {}).textContent || '(markdown)';
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')];
  const what = `${e.getAttribute('data-mjx-error')}: ${e.textContent.slice(0, 160)}`;
  return `cell #${cells.indexOf(cell)} ${prompt.trim()}: ${what}`;
})"""


@dataclass
class LabRun:
    name: str
    page: object = None
    started: float = 0.0
    seconds: float = float("nan")
    state: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    math_errors: list[str] = field(default_factory=list)
    failure: str | None = None  # the run itself failed (timeout, page crash)
    screenshot: Path | None = None
    saved: bool = False
    clicks: int = 0  # times Run All was chosen (again if the first did not start anything)
    clicked: float = 0.0
    phases: dict = field(default_factory=dict)  # seconds: open (page and kernel ready), save, screenshot
    stage: str = "opening"
    idle_since: float = 0.0
    opened: float = 0.0


class LabSession:
    """Opens notebooks in JupyterLab and runs them through the UI, ``PARALLEL_PAGES`` kernels at a time.

    ``result(name)`` returns the finished run of one notebook, starting and finishing others meanwhile, so
    that the tests of any one notebook can ask for it in any order.  Nothing waits idly: a page loads and
    its kernel starts while two others run, and the longest notebooks (by the last run's times, in
    ``RUN_SECONDS``; else by size) start first, so that the two lanes end together.  Pages of notebooks in
    ``keep`` stay open for the slider tests; the others are closed (their kernels idle until the server stops).
    """

    def __init__(self, context, server: Server, names: list[str], keep: set[str], screenshots: Path = SCREENSHOTS,
                 parallel: int = PARALLEL_PAGES, prefetch: bool = True):
        self.context, self.server, self.keep, self.screenshots = context, server, keep, screenshots
        # prefetch: open the next notebook (page and kernel) while ``parallel`` others run
        self.parallel, self.prefetch = parallel, prefetch
        self.queue = sorted(names, key=_expected_seconds, reverse=True)
        self.running: dict[str, LabRun] = {}  # stage 'opening' (page and kernel loading) or 'running'
        self.done: dict[str, LabRun] = {}

    def _stage_count(self, stage: str) -> int:
        return sum(r.stage == stage for r in self.running.values())

    def _fill(self, wanted: str | None = None) -> None:
        while self.queue and self._stage_count("opening") < 1 and len(self.running) < self.parallel + self.prefetch:
            self._start(self.queue.pop(self.queue.index(wanted) if wanted in self.queue and not self.running
                                       else 0))

    def result(self, name: str) -> LabRun:
        if name not in self.done and name not in self.running and name not in self.queue:
            self.queue.append(name)
        while name not in self.done:
            self._fill(name)
            self._poll()
        return self.done[name]

    def wait_running(self) -> None:
        """Let the notebooks already started finish (before timing anything), without starting others."""
        while self.running:
            self._poll()

    def _start(self, name: str) -> None:
        run = LabRun(name, opened=time.monotonic())
        self.running[name] = run
        try:
            run.page = self.context.new_page()
            run.page.goto(self.server.lab_url(name, workspace=re.sub(r"\W", "", name)), wait_until="commit")
        except Exception as exc:  # reported by the notebook's test, not as an error of another one
            self._finish(run, failure=f"could not open {name}: {exc}")

    def _run_all(self, run: LabRun) -> None:
        """Run ▸ Run All Cells, through the menus as a student would."""
        page = run.page
        if run.clicks:  # keep a picture of what stopped the first try
            page.screenshot(path=str(self.screenshots / f"retry-{Path(run.name).stem}-{run.clicks}.png"))
        # Show the hidden inputs and outputs (test-only cells, worked solutions), as a click on each would:
        # a hidden cell shows neither its execution count nor its errors, so the run could not be checked.
        page.evaluate("() => document.querySelectorAll("
                      "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Placeholder-content').forEach(e => e.click())")
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        run.clicks += 1
        run.clicked = time.monotonic()

    def _poll(self) -> None:
        for name, run in list(self.running.items()):
            if self._stage_count("running") >= self.parallel and run.stage == "opening":
                continue  # loaded and waiting for a free lane
            try:
                run.state = run.page.evaluate(_RUN_STATE_JS)
                if run.stage == "opening":
                    ready = run.state.get("kernel") == "idle" and run.state.get("cells", 0) > 0
                    run.idle_since = (run.idle_since or time.monotonic()) if ready else 0.0
                    if ready and time.monotonic() - run.idle_since >= 1.0:  # a freshly idle kernel may still
                        run.started = time.monotonic()  # be connecting: a Run All then can be lost
                        run.phases["open"] = round(run.started - run.opened, 1)
                        run.stage = "running"
                        self._run_all(run)
                    elif time.monotonic() - run.opened > OPEN_TIMEOUT_S:
                        self._finish(run, failure=f"{name}: no notebook with an idle kernel after "
                                                  f"{OPEN_TIMEOUT_S} s: {run.state}")
                    continue
            except Exception as exc:
                self._finish(run, failure=f"page failed while running {name}: {exc}")
                continue
            # a started Run All shows at least one [*] or count within a moment; 'ready' needs both
            if run.state["ready"] and run.state["counted"] + run.state["errors"] > 0:
                self._finish(run)
            elif (run.state["counted"] + run.state["running"] + run.state["errors"] == 0
                  and time.monotonic() - run.clicked > RETRY_S and run.clicks < 3):
                self._run_all(run)  # the app was not ready for the command yet: once more
            elif time.monotonic() - run.started > RUN_TIMEOUT_S:
                self._finish(run, failure=f"{name} did not finish within {RUN_TIMEOUT_S} s: {run.state}")
        if self.running:
            time.sleep(0.2)

    def _finish(self, run: LabRun, failure: str | None = None) -> None:
        run.seconds = time.monotonic() - run.started if run.started else float("nan")
        run.failure = failure
        page = run.page
        if page is not None and failure is None:
            try:
                run.errors = page.evaluate(_ERRORS_JS)
                t0 = time.monotonic()
                self._save(run)
                t1 = time.monotonic()
                shot = self.screenshots / f"{Path(run.name).stem}.png"
                if FULL_SCREENSHOTS:
                    run.screenshot = full_page_screenshot(page, shot)
                else:  # the window as a student first sees it (the notebook scrolled to the top)
                    page.evaluate("() => document.querySelectorAll('.jp-WindowedPanel-outer')"
                                  ".forEach(o => { o.scrollTop = 0; })")
                    page.wait_for_timeout(200)
                    page.screenshot(path=str(shot))
                    run.screenshot = shot
                run.phases.update(save=round(t1 - t0, 1), screenshot=round(time.monotonic() - t1, 1))
                run.math_errors = page.evaluate(_MATH_ERRORS_JS)
            except Exception as exc:
                run.failure = f"after running {run.name}: {exc}"
        if page is not None and (run.name not in self.keep or run.failure):
            page.close()
            run.page = None
        self.running.pop(run.name, None)
        self.done[run.name] = run

    def _save(self, run: LabRun) -> None:
        """File ▸ Save (Ctrl+S): the copy gets outputs and widget state, which the static site reuses."""
        page = run.page
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").click(position={"x": 5, "y": 5})
        page.keyboard.press("Control+s")
        tab = page.locator(".lm-TabBar-tab.lm-mod-current")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "jp-mod-dirty" not in (tab.first.get_attribute("class") or ""):
                run.saved = True
                return
            time.sleep(0.2)


def cpu_seconds_by_kind() -> dict[str, float]:
    """CPU seconds used so far by this test process's descendants: kernels, servers, Chromium, Playwright."""
    try:
        import psutil
    except ImportError:
        return {}
    totals: dict[str, float] = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(proc.cmdline())
            t = proc.cpu_times()
        except psutil.Error:
            continue
        kind = ("kernel" if "ipykernel" in cmd else "jupyter-server" if "jupyter" in cmd or "voila" in cmd
                else "chromium" if "chrom" in cmd else "playwright-driver" if "node" in cmd else "other")
        totals[kind] = round(totals.get(kind, 0.0) + t.user + t.system, 1)
    return totals


def _expected_seconds(name: str) -> float:
    try:
        return float(json.loads(RUN_SECONDS.read_text())[name])
    except (OSError, ValueError, KeyError, TypeError):
        return (NOTEBOOK_DIR / name).stat().st_size / 2000  # bigger notebooks tend to run longer


def save_run_seconds(done: dict) -> None:
    try:
        known = json.loads(RUN_SECONDS.read_text())
    except (OSError, ValueError):
        known = {}
    known.update({n: round(r.seconds, 1) for n, r in done.items() if r.failure is None})
    BUILD.mkdir(exist_ok=True)
    RUN_SECONDS.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")


def full_page_screenshot(page, path: Path, tile_height: int = 4000) -> Path:
    """The whole notebook in one PNG: the window grown to at most ``tile_height`` px, the notebook scrolled
    through it tile by tile, and the notebook's part of each tile stitched under the first (which shows the
    menus, toolbar and file browser).  JupyterLab scrolls inside the notebook panel, so Playwright's
    ``full_page`` alone shows one window; and a much taller window is not painted completely by Chromium.
    """
    import io

    from PIL import Image

    outer_js = "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')"
    painted_js = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    hidden = page.evaluate(f"() => {{ const o = {outer_js}; return o ? o.scrollHeight - o.clientHeight : 0; }}")
    page.set_viewport_size({"width": size["width"], "height": int(min(size["height"] + hidden, tile_height))})
    try:
        page.evaluate(f"() => {{ const o = {outer_js}; if (o) o.scrollTop = 0; }}")  # Run All left it at the end
        page.wait_for_timeout(300)  # relayout
        page.evaluate(painted_js)
        box = page.evaluate(f"""() => {{ const o = {outer_js}; if (!o) return null;
            const r = o.getBoundingClientRect(); return {{left: Math.floor(r.left), right: Math.ceil(r.right),
            bottom: Math.floor(r.top + o.clientHeight), client: o.clientHeight, scroll: o.scrollHeight}}; }}""")
        first = Image.open(io.BytesIO(page.screenshot()))
        if box is None or box["scroll"] <= box["client"]:
            first.save(path)
            return path
        strips, top = [first.crop((0, 0, first.width, box["bottom"]))], 0
        while True:
            new_top = page.evaluate(f"""() => {{ const o = {outer_js};
                o.scrollTop = o.scrollTop + o.clientHeight; return o.scrollTop; }}""")
            if new_top <= top:
                break
            page.evaluate(painted_js)
            page.wait_for_timeout(100)
            shot = Image.open(io.BytesIO(page.screenshot()))
            strips.append(shot.crop((box["left"], box["bottom"] - (new_top - top), box["right"], box["bottom"])))
            top = new_top
        canvas = Image.new("RGB", (first.width, sum(s.height for s in strips)), "white")
        y = 0
        for i, strip in enumerate(strips):
            canvas.paste(strip, (0 if i == 0 else box["left"], y))
            y += strip.height
        canvas.save(path, compress_level=1)  # a fifth of the time of the default level, for a bigger file
    finally:
        page.set_viewport_size(size)
    return path


def unpainted_rows(path: Path) -> int:
    """Rows of a screenshot that are entirely black: parts Chromium did not paint in time."""
    import numpy as np
    from PIL import Image

    return int((np.asarray(Image.open(path).convert("L")).max(axis=1) == 0).sum())


def assert_ran_clean(run: LabRun, name: str, where: str) -> None:
    """What every Run All must show, in JupyterLab and in JupyterLite: it finished, no cell shows an error,
    the kernel is idle with every code cell run, and the screenshot was painted."""
    assert run.failure is None, run.failure
    assert not run.errors, f"{name} shows error output in {where}:\n" + "\n---\n".join(run.errors)
    state = run.state
    assert state["kernel"] == "idle" and state["running"] == 0
    assert state["pending"] == 0, f"{state['pending']} code cells of {name} never ran: {state}"
    assert state["counted"] > 0
    assert run.screenshot is not None and unpainted_rows(run.screenshot) == 0, (
        f"{run.screenshot} has unpainted (black) rows")




# --------------------------------------------------------------------------------------- make lab / make app
def make_command(target: str, program: str) -> list[str]:
    """The command line that ``make <target>`` runs (read with ``make -n``), e.g. ``.venv/bin/jupyter lab ...``."""
    import shlex

    if shutil.which("make") is None:
        raise FileNotFoundError("make is not installed")
    out = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        words = shlex.split(line) if program in line else []
        if words and Path(words[0]).name == program.split()[0]:
            return words
    raise AssertionError(f"`make -n {target}` runs no {program!r} command:\n{out}")


def wait_for_log(log: Path, pattern: str, proc: subprocess.Popen, timeout: float = 120.0) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, log.read_text(errors="replace"))
        if m:
            return m
        if proc.poll() is not None:
            break
        time.sleep(0.25)
    raise AssertionError(f"no {pattern!r} in the server log within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


class ServedFolder:
    """A folder served by a thread of this process (``self.httpd``); stopped by ``stop()``, or on leaving ``with``."""

    httpd: object

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def make_serve(target: str, port_variable: str, address: str, cwd: Path):
    """Run ``make <target>`` as a README writes it (the port from ``port_variable`` in the environment, so the
    command stays as written); yield (the address it printed that matches the regex ``address``, with ``{port}``
    filled in; the port; a function giving the pids of make and its children); fail if no such address is printed
    within 60 s; stop it with Ctrl+C (SIGINT) at the end."""
    port = free_port()
    # unbuffered bytes: select() sees what the pipe holds, none of it hidden in a Python read buffer
    proc = subprocess.Popen(["make", target], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0,
                            env={**os.environ, port_variable: str(port)}, start_new_session=True)
    pattern = re.compile(address.format(port=port))
    try:
        output, deadline = b"", time.monotonic() + 60
        while time.monotonic() < deadline and not pattern.search(output.decode(errors="replace")):
            # wait for output at most until the deadline (a server that printed a wrong address prints no more)
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(proc.stdout.fileno(), 65536) if ready else b""
            if ready and not chunk:  # the command ended
                break
            output += chunk
        found = pattern.search(output.decode(errors="replace"))
        assert found, f"make {target} printed no address:\n" + output.decode(errors="replace")

        def family() -> list[int]:
            import psutil

            return [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))]

        yield found.group(0), port, family
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=15)


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """(ip, port) of the TCP sockets that process ``pid`` listens on (psutil, else ``ss -ltnp``)."""
    try:
        import psutil

        conns = psutil.Process(pid).net_connections(kind="inet")
        return {(c.laddr.ip, c.laddr.port) for c in conns if c.status == psutil.CONN_LISTEN}
    except ImportError:
        out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
        found = set()
        for line in out.splitlines():
            if f"pid={pid}," in line:
                ip, _, port = line.split()[3].rpartition(":")
                found.add((ip.strip("[]"), int(port)))
        return found
