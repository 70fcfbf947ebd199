"""Fixes to the JupyterLite 0.5.1 site as ``jupyter lite build`` writes it, so that it can be served from any folder
of a web host (``/course/`` on a project page) and asks nothing outside that folder.

* **The service worker's heartbeat.**  Every 20 s a page asks ``/api/service-worker-heartbeat`` to keep the
  service worker alive, written as a path from the host's root: under a sub-path that request leaves the site
  (and, before the worker controls the page, gets the host's 404, so the heartbeat stops).  The page asks
  ``<site>/api/service-worker-heartbeat`` instead, the worker answers any path that ends so, and the site holds a
  file of that name saying ``ok`` for the moments the worker does not control the page yet.  The same fix is
  proposed upstream (jupyterlite/jupyterlite pull request 2025, open); each patch must match exactly once in the
  pinned version, or the build stops.
* **The favicon.**  A page that names no icon makes the browser ask ``/favicon.ico`` at the host's root.  Every
  HTML page of the site names one, by a relative path, and ``favicon.ico`` is at the site's root too.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

HEARTBEAT = "api/service-worker-heartbeat"
# In the page (ServiceWorkerManager): fetch("/api/service-worker-heartbeat"), and, a little further in the same
# constructor, the module namespace that holds URLExt and PageConfig (its minified name differs between chunks).
PAGE_PING = re.compile(r'fetch\("/api/service-worker-heartbeat"\)(?=.{0,600}?\b(\w+)\.URLExt\.join\(\1\.PageConfig)',
                       re.S)
# In the service worker: if("/api/service-worker-heartbeat"===t.pathname)
WORKER_PING = re.compile(r'"/api/service-worker-heartbeat"===(\w+)\.pathname')
ICON = "favicon.ico"


class PatchError(SystemExit):
    """A patch did not match the built files (another JupyterLite version?): the message says which."""


def patch_heartbeat(site: Path) -> int:
    """Make the heartbeat ask under the site's own URL; returns the number of files changed."""
    pages = [p for p in (site / "build").glob("*.js") if "service-worker-heartbeat" in p.read_text(errors="ignore")
             and p.name != "service-worker.js"]
    workers = [site / "service-worker.js", site / "build" / "service-worker.js"]
    changed = 0
    for path in pages:
        text = path.read_text()
        new, n = PAGE_PING.subn(
            lambda m: f'fetch({m.group(1)}.URLExt.join({m.group(1)}.PageConfig.getBaseUrl(),"{HEARTBEAT}"))', text)
        if n != 1:
            raise PatchError(f"{path}: expected one heartbeat request to patch, found {n}")
        path.write_text(new)
        changed += 1
    for path in workers:
        new, n = WORKER_PING.subn(lambda m: f'{m.group(1)}.pathname.endsWith("/{HEARTBEAT}")', path.read_text())
        if n != 1:
            raise PatchError(f"{path}: expected one heartbeat answer to patch, found {n}")
        path.write_text(new)
        changed += 1
    if not pages:
        raise PatchError(f"no page script of {site} asks for the heartbeat: is this JupyterLite 0.5.1?")
    (site / HEARTBEAT).write_text("ok")  # what the worker answers, for a page it does not control yet
    return changed


def add_icon_links(site: Path) -> list[Path]:
    """Give every HTML page of the site a relative ``<link rel="icon">`` and put the icon at the site's root."""
    shutil.copy2(site / "lab" / ICON, site / ICON)
    pages = []
    for page in sorted(site.rglob("*.html")):
        if {"static", "extensions"} & set(page.relative_to(site).parts):
            continue  # assets of packages, not pages a student opens
        text = page.read_text()
        if 'rel="icon"' in text:
            continue
        href = Path(os.path.relpath(site / ICON, page.parent)).as_posix()
        link = f'<link rel="icon" type="image/x-icon" href="{href}" class="favicon" />'
        new, n = re.subn(r"(<head[^>]*>)", lambda m, link=link: f"{m.group(1)}\n    {link}", text, count=1)
        if n != 1:
            raise PatchError(f"{page}: no <head> to put the icon link in")
        page.write_text(new)
        pages.append(page)
    return pages


def apply(site: Path) -> dict:
    """Every patch; returns what changed, for the build's log."""
    return {"heartbeat_files": patch_heartbeat(site), "pages_with_icon": len(add_icon_links(site))}
