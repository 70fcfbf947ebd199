"""The in-browser lecture (JupyterLite + Pyodide) against the server kernel (JupyterLab), in headless Chromium.

    make lite && .venv/bin/python bench/lite.py          # every notebook, both kernels (about 30 min on 2 cores)
    .venv/bin/python bench/lite.py --notebooks 03 06 --steps 6
    .venv/bin/python bench/lite.py --no-server           # the browser's figures only

Per notebook and for both kernels, as a student meets them:

* link -> idle kernel, cold (a fresh browser profile: empty cache) and warm (the same profile, a second visit);
* link -> first figure: the cold visit chooses Run > Run All Cells as soon as the kernel is idle;
* Run All: from that click to the last cell done (a fresh kernel: restart-and-run-all);
* each demo's slider -> new picture, median over ``--steps`` mouse drags: from the drag (as the tests measure it,
  with the browser automation's own round trips) and from the slider's value change on screen (the page alone);

then the browser's figures as ratios to the server's, and the profile of each cold start: where its seconds
went (notebook shown, Pyodide runtime fetched, the kernel's own packages, kernel idle; after Run All, the
packages of the first cell, the first cell done, the first figure).  Targets (issue 21): idle <= 10 s cold and
<= 5 s warm, first figure <= 20 s, Run All <= 60 s and <= 2x the server's, slider medians <= 150 ms in the
browser (the server kernel's redraw alone is timed by bench/sliders.py, <= 50 ms), site <= 79 MB.
Prints the load average beside the figures; writes build/lite-bench.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests" / "lite"), str(REPO / "tests" / "browser")]

from browserlib import (  # noqa: E402
    _RUN_STATE_JS,
    BIN,
    NOTEBOOK_DIR,
    VIEWPORT,
    LabRun,
    LabSession,
    Server,
    allow_root,
    free_port,
    headless_chromium,
    isolated_jupyter_env,
    start_server,
    stop_server,
    wait_until_answers,
)
from litelib import MARK_DEMOS_JS, SCREENSHOTS, SITE, serve, slider_latency_parts  # noqa: E402

TARGETS = {"idle_cold": 10, "idle_warm": 5, "first_figure": 20, "run_all": 60, "slider_ms": 150}
FIGURE_JS = """() => !!document.querySelector(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img')"""
FIRST_CELL_JS = """() => {
  const cell = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell');
  return !!cell && /\\d/.test((cell.querySelector('.jp-InputPrompt') || {}).textContent || '');
}"""


class Timeline:
    """Every request the pages and workers of a context finish, with the monotonic time it finished."""

    def __init__(self, context):
        self.done: list[tuple[float, str, int]] = []
        context.on("requestfinished", self._finished)

    def _finished(self, request) -> None:
        try:
            size = (request.sizes() or {}).get("responseBodySize", 0)
        except Exception:  # the page went away
            size = 0
        self.done.append((time.monotonic(), request.url, size))

    def between(self, t0: float, t1: float, pattern: str) -> list[tuple[float, str, int]]:
        """The requests finished in [t0, t1] whose URL matches, each URL once (the service worker sees them too)."""
        first: dict[str, tuple[float, str, int]] = {}
        for d in self.done:
            if t0 <= d[0] <= t1 and re.search(pattern, d[1]):
                first[d[1]] = max(first.get(d[1], d), d, key=lambda x: x[2])
        return sorted(first.values())


def wait_for(page, js: str, timeout: float, poll: float = 0.1):
    """Seconds until ``js`` (a function) returns something truthy, polling; None on timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if page.evaluate(js):
            return time.monotonic()
        page.wait_for_timeout(int(poll * 1000))
    return None


def open_until_idle(context, server, name: str, timeout: float = 300.0) -> tuple[object, dict]:
    """Open ``name``; return (page, times) with the monotonic times of: link, notebook shown, kernel idle.

    Idle counts once the kernel was seen starting ("initializing", "unknown", "starting", "busy"): JupyterLite's
    indicator can read "idle" for a moment before its kernel even exists.  A server kernel may start between two
    polls: there, idle for a second after the notebook is shown counts too.
    """
    page = context.new_page()
    t = {"link": time.monotonic()}
    page.goto(server.lab_url(name, workspace=re.sub(r"\W", "", name) + secrets.token_hex(2)), wait_until="commit")
    started, idle_since = False, None
    while time.monotonic() - t["link"] < timeout:
        state, now = page.evaluate(_RUN_STATE_JS), time.monotonic()
        if state.get("cells") and "shown" not in t:
            t["shown"] = now
        started = started or state.get("kernel") in ("busy", "starting", "unknown", "initializing")
        idle = bool(state.get("cells")) and state.get("kernel") == "idle"
        idle_since = (idle_since or now) if idle else None
        if idle and (started or (isinstance(server, Server) and now - idle_since >= 1.0)):
            t["idle"] = now if started else idle_since
            return page, t
        page.wait_for_timeout(100)
    raise TimeoutError(f"{name}: no idle kernel after {timeout} s")


def run_all(context, server, page, name: str, t: dict, timeout: float = 600.0) -> None:
    """Run > Run All Cells (again if nothing started); add the times of: click, first cell done, first figure, done."""
    session = LabSession(context, server, [], keep=set(), screenshots=SCREENSHOTS)
    run = LabRun(name, page=page)
    page.wait_for_timeout(1000)  # as the tests do: a kernel idle for a moment has finished connecting
    session._run_all(run)
    t["click"] = time.monotonic()
    while time.monotonic() - t["click"] < timeout:
        now = time.monotonic()
        if "first_cell" not in t and page.evaluate(FIRST_CELL_JS):
            t["first_cell"] = now
        if "figure" not in t and page.evaluate(FIGURE_JS):
            t["figure"] = now
        state = page.evaluate(_RUN_STATE_JS)
        if state["ready"] and state["counted"] + state["errors"] > 0:
            t["done"] = now
            t.setdefault("figure", float("nan"))
            return
        if state["counted"] + state["running"] == 0 and now - run.clicked > 8 and run.clicks < 3:
            session._run_all(run)
        page.wait_for_timeout(100)
    raise TimeoutError(f"{name}: Run All did not finish within {timeout} s")


def slider_medians(page, steps: int) -> tuple[list[int], list[int]]:
    """Per demo: median ms from the mouse drag to the new figure, and from the slider's change on screen to it."""
    page.bring_to_front()
    total, own = [], []
    for demo in map(str, range(page.evaluate(MARK_DEMOS_JS))):
        t, o = slider_latency_parts(page, demo, steps)
        total.append(round(statistics.median(t)))
        own.append(round(statistics.median(o)) if o else None)
    return total, own


def visit(browser, server, name: str, steps: int, timeline_label: str) -> dict:
    """The cold visit (profile, first figure, Run All, sliders) and the warm one, in one fresh browser profile."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, service_workers="allow")
    context.set_default_timeout(60_000)
    timeline = Timeline(context)
    try:
        page, t = open_until_idle(context, server, name)
        run_all(context, server, page, name, t)
        sliders, sliders_own = slider_medians(page, steps) if steps else ([], [])
        page.close()
        warm_page, warm = open_until_idle(context, server, name)
        warm_page.close()
    finally:
        context.close()
    rel = {k: round(v - t["link"], 1) for k, v in t.items()}
    first = timeline.between(t["click"], t.get("first_cell", t["done"]), r"\.whl$")
    profile = {**rel, **start_profile(timeline, t),
               "first_cell_wheels": [len(first), round(sum(w[2] for w in first) / 1e6, 1),
                                     round(first[-1][0] - t["link"], 1) if first else None]}
    warm_profile = {**{k: round(v - warm["link"], 1) for k, v in warm.items()}, **start_profile(timeline, warm)}
    return {"idle_cold": rel["idle"], "idle_warm": warm_profile["idle"],
            "first_figure": rel.get("figure"), "run_all": round(t["done"] - t["click"], 1),
            "slider_ms": sliders, "slider_page_ms": sliders_own, "profile": profile, "warm_profile": warm_profile,
            "kernel": timeline_label}


def start_profile(timeline: Timeline, t: dict) -> dict:
    """When the Pyodide runtime and the kernel's own wheels had arrived (network or browser cache), from the link."""
    wheels = timeline.between(t["link"], t["idle"], r"\.whl$")
    runtime = timeline.between(t["link"], t["idle"], r"pyodide\.asm\.wasm$")
    return {"runtime_fetched": round(runtime[-1][0] - t["link"], 1) if runtime else None,
            "kernel_wheels": [len(wheels), round(sum(w[2] for w in wheels) / 1e6, 1),
                              round(wheels[-1][0] - t["link"], 1) if wheels else None]}


@contextlib.contextmanager
def lab_server():
    """JupyterLab on a free port of 127.0.0.1, in a temporary copy of notebooks/ (as tests/browser/conftest.py)."""
    base = Path(tempfile.mkdtemp(prefix="bench-lab-"))
    root = base / "notebooks"
    shutil.copytree(NOTEBOOK_DIR, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(REPO / "ERRATA.md", base / "ERRATA.md")
    port, token, log = free_port(), secrets.token_hex(24), base / "jupyterlab.log"
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--KernelManager.transport=ipc", *allow_root()]
    proc = start_server(cmd, cwd=root, log=log, env=isolated_jupyter_env(base))
    server = Server(f"http://127.0.0.1:{port}", token, root, proc, log)
    try:
        wait_until_answers(f"{server.url}/api/status?token={token}", proc, log)
        yield server
    finally:
        stop_server(proc, f"{server.url}/api/shutdown?token={token}")
        shutil.rmtree(base, ignore_errors=True)


def show(name: str, lite: dict, lab: dict | None) -> None:
    def pair(key):
        a, b = lite[key], (lab or {}).get(key)
        ratio = f" ({a / b:.1f}x)" if b else ""
        flag = "" if a is None or a <= TARGETS[key] else " OVER"
        return f"{a} s{flag}" + (f" / {b} s{ratio}" if b is not None else "")
    sliders = (f"{lite['slider_ms']} ms (page alone {lite['slider_page_ms']})"
               + (f" / {lab['slider_ms']} ms (page alone {lab['slider_page_ms']})" if lab else ""))
    print(f"{name}: idle cold {pair('idle_cold')}; warm {pair('idle_warm')}; first figure {pair('first_figure')}; "
          f"Run All {pair('run_all')}; sliders {sliders}", flush=True)
    p = lite["profile"]
    print(f"    browser cold start: notebook shown {p.get('shown')} s, runtime fetched {p['runtime_fetched']} s, "
          f"{p['kernel_wheels'][0]} kernel wheels ({p['kernel_wheels'][1]} MB) fetched by {p['kernel_wheels'][2]} s, "
          f"idle {p['idle']} s | Run All at {p['click']} s: {p['first_cell_wheels'][0]} wheels "
          f"({p['first_cell_wheels'][1]} MB) fetched by {p['first_cell_wheels'][2]} s, first cell done "
          f"{p.get('first_cell')} s, first figure {p.get('figure')} s", flush=True)
    w = lite["warm_profile"]
    print(f"    browser warm start: notebook shown {w.get('shown')} s, runtime at hand {w['runtime_fetched']} s, "
          f"{w['kernel_wheels'][0]} kernel wheels at hand by {w['kernel_wheels'][2]} s, idle {w['idle']} s",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", nargs="*", help="two-digit prefixes (default: all)")
    parser.add_argument("--steps", type=int, default=12, help="slider moves per demo (0: no slider figures)")
    parser.add_argument("--no-server", action="store_true", help="skip the server kernel's figures")
    parser.add_argument("--site", type=Path, default=SITE, help="the built site to measure (default build/lite)")
    args = parser.parse_args(argv)
    site = args.site
    if not (site / "index.html").exists():
        print("build/lite is missing: run make lite first", file=sys.stderr)
        return 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores); site {size:.1f} MB (target <= 79 MB)")
    server = serve(site)
    names = [n for n in server.names if not args.notebooks or n[:2] in args.notebooks]
    results: dict = {"site_mb": round(size, 1), "load_average": [os.getloadavg()[0]], "notebooks": {}}
    with headless_chromium(missing=lambda message: sys.exit(message)) as browser, \
            (contextlib.nullcontext() if args.no_server else lab_server()) as lab:
        print("per notebook: browser / server (browser / server)")
        for name in names:
            lite = visit(browser, server, name, args.steps, "pyodide")
            labr = visit(browser, lab, name, args.steps, "server") if lab else None
            results["notebooks"][name] = {"browser": lite, "server": labr}
            results["load_average"].append(os.getloadavg()[0])
            show(name, lite, labr)
    server.stop()
    rows = results["notebooks"].values()
    worst = {key: max((r["browser"][key] or 0 for r in rows), default=0) for key in ("idle_cold", "idle_warm",
                                                                                     "first_figure", "run_all")}
    sliders = [m for r in rows for m in r["browser"]["slider_ms"]]
    ratios = [r["browser"]["run_all"] / r["server"]["run_all"] for r in rows if r["server"]]
    print(f"worst: idle cold {worst['idle_cold']} s, warm {worst['idle_warm']} s, first figure "
          f"{worst['first_figure']} s, Run All {worst['run_all']} s"
          + (f" ({max(ratios):.1f}x the server at most)" if ratios else "")
          + (f"; slider medians {max(sliders)} ms at most over {len(sliders)} demos" if sliders else "")
          + f"; load average {max(results['load_average']):.2f} at most")
    (REPO / "build" / "lite-bench.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
