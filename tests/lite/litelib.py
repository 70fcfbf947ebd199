"""Helpers of the JupyterLite tests and of ``bench/lite.py``: the built site served on 127.0.0.1, every
request the page makes recorded, and the demos found and moved in the page.

The notebooks are run with the same ``LabSession`` as the JupyterLab tests (``tests/browser/browserlib.py``):
Run ▸ Run All Cells through the menus, two notebooks at a time.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "tests" / "browser"), str(REPO / "tools")]

from browserlib import BUILD, ServedFolder  # noqa: E402
from serve_lite import make_server  # noqa: E402

SITE = BUILD / "lite"
SCREENSHOTS = BUILD / "screenshots" / "lite"
# Local schemes a page may use without asking any host.
LOCAL_SCHEMES = ("blob", "data", "about", "chrome-extension")


@dataclass
class LiteServer(ServedFolder):
    """The static site on a free port of 127.0.0.1; ``lab_url`` is what ``LabSession`` opens."""

    url: str
    httpd: object
    names: list[str] = field(default_factory=list)

    def lab_url(self, path: str, workspace: str | None = None) -> str:  # noqa: ARG002 (LabSession's signature)
        return f"{self.url}/lab/index.html?path={path}"


def serve(site: Path = SITE) -> LiteServer:
    httpd = make_server(site, 0)
    threading.Thread(target=httpd.serve_forever, daemon=True, name="lite-http").start()
    names = sorted(p.name for p in (site / "files").glob("[0-9][0-9]_*.ipynb"))
    return LiteServer(f"http://127.0.0.1:{httpd.server_address[1]}", httpd, names)


class RequestLog:
    """Every URL requested by the pages, workers and service workers of a browser context."""

    def __init__(self, context):
        self.urls: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))

    def foreign(self, origin: str) -> list[str]:
        """Requests that left ``origin`` (scheme://host:port)."""
        own = urlsplit(origin)
        return sorted({u for u in self.urls if urlsplit(u).scheme not in LOCAL_SCHEMES
                       and (urlsplit(u).scheme, urlsplit(u).netloc) != (own.scheme, own.netloc)})


# Marks every demo (a widget box holding a slider and an image) with data-demo="<n>"; returns their count.
MARK_DEMOS_JS = """() => {
  const boxes = [...document.querySelectorAll(
      '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output .jupyter-widgets.widget-vbox')]
    .filter(b => b.querySelector('.widget-slider .noUi-handle') && b.querySelector('img.widget-image'))
    .filter(b => !b.parentElement.closest('[data-demo]'));
  boxes.forEach((b, i) => b.setAttribute('data-demo', String(i)));
  return boxes.length;
}"""

# Times each new figure (src changed, decoded, painted); ``nudge_slider`` records when each move began.
OBSERVE_JS = """(id) => {
  const box = document.querySelector(`[data-demo="${id}"]`);
  const img = box.querySelector('img.widget-image');
  const log = window.__latency = window.__latency || {};
  log[id] = {down: [], shown: [], moved: []};
  new MutationObserver(() => {
    img.decode().catch(() => null).then(() => requestAnimationFrame(() => log[id].shown.push(performance.now())));
  }).observe(img, {attributes: true, attributeFilter: ['src']});
  // when the slider's value changed on screen (its readout): the page's own latency starts there
  const readout = box.querySelector('.widget-slider .widget-readout');
  if (readout) new MutationObserver(() => log[id].moved.push(performance.now()))
    .observe(readout, {characterData: true, childList: true, subtree: true});
}"""

STATE_JS = """(id) => {
  const box = document.querySelector(`[data-demo="${id}"]`);
  const h = box.querySelector('.widget-slider .noUi-handle');
  return {src: box.querySelector('img.widget-image').getAttribute('src'),
          readouts: [...box.querySelectorAll('.widget-readout')].map(r => r.textContent),
          now: parseFloat(h.getAttribute('aria-valuenow')), min: parseFloat(h.getAttribute('aria-valuemin')),
          max: parseFloat(h.getAttribute('aria-valuemax')),
          playIcon: (box.querySelector('.widget-play button i') || {className: ''}).className};
}"""


def nudge_slider(page, demo_id: str, direction: int) -> int:
    """Drag the demo's first slider by a twentieth of its track (``direction`` +1 right, -1 left), with the
    mouse as a student would; turns round at either end and returns the direction used.

    The mouse, not the arrow keys: in JupyterLite's JupyterLab 4.3 the notebook takes the keyboard focus
    back from a slider handle, so a key press reaches the notebook instead of the slider.
    """
    state = page.evaluate(STATE_JS, demo_id)
    if direction > 0 and state["now"] >= state["max"] - 1e-9 or direction < 0 and state["now"] <= state["min"] + 1e-9:
        direction = -direction
    demo = page.locator(f'[data-demo="{demo_id}"] .widget-slider').first
    for _ in range(3):  # a drag that did not grab the handle (the page moved under the mouse) is tried again
        demo.scroll_into_view_if_needed()
        track = demo.locator(".noUi-base").first.bounding_box()
        handle = demo.locator(".noUi-handle").first.bounding_box()
        x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
        page.mouse.move(x, y)
        page.evaluate(f"(window.__latency || {{}})['{demo_id}']?.down.push(performance.now())")
        page.mouse.down()
        for fraction in (20, 8, 4, 2):  # further if the slider's step is coarser than the first move
            page.mouse.move(x + direction * max(track["width"] / fraction, 6), y)
            page.wait_for_timeout(50)
            if page.evaluate(STATE_JS, demo_id)["readouts"] != state["readouts"]:
                break
        page.mouse.up()
        if page.evaluate(STATE_JS, demo_id)["readouts"] != state["readouts"]:
            return direction
        page.evaluate(f"(window.__latency || {{}})['{demo_id}']?.down.pop()")
    raise AssertionError(f"demo {demo_id}: three drags of its slider did not change its value ({state['readouts']})")


def slider_latencies(page, demo_id: str, steps: int, timeout_ms: int = 30_000) -> list[float]:
    """Milliseconds from each of ``steps`` slider moves to the new figure on screen."""
    page.locator(f'[data-demo="{demo_id}"]').scroll_into_view_if_needed()
    page.evaluate(OBSERVE_JS, demo_id)
    start = page.evaluate(STATE_JS, demo_id)
    direction = -1 if start["now"] > (start["min"] + start["max"]) / 2 else 1
    for i in range(steps):
        direction = nudge_slider(page, demo_id, direction)
        page.wait_for_function(f"window.__latency['{demo_id}'].shown.length > {i}", timeout=timeout_ms)
        page.wait_for_timeout(60)  # let a late message land before the next step
    log = page.evaluate(f"window.__latency['{demo_id}']")
    return [shown - down for down, shown in zip(log["down"], log["shown"], strict=False)]


def slider_latency_parts(page, demo_id: str, steps: int) -> tuple[list[float], list[float]]:
    """(ms from each mouse drag to the new figure, ms from the slider's value change on screen to it).

    The first includes the browser automation's own round trips; the second is what the page itself takes.
    """
    total = slider_latencies(page, demo_id, steps)
    log = page.evaluate(f"window.__latency['{demo_id}']")
    own = []
    for down, shown in zip(log["down"], log["shown"], strict=False):
        moved = [m for m in log["moved"] if down <= m <= shown]
        if moved:
            own.append(shown - moved[0])
    return total, own
