"""The in-browser lecture as a course publishes it: a copy of the built site (``make lite``) served from a sub-path
(``/course/``, as a GitHub or GitLab project page serves it), where the course can publish a new version of a
notebook while a student's browser holds the old one, and a student who works there.

The copy shares the big files with ``build/lite`` (symbolic links) and has its own ``files/``, ``api/`` and
``course-versions.json``, which :meth:`CourseSite.publish` changes as a rebuild would (through the build's own
``student_copy``).  Every request the server sees is recorded: one outside the sub-path, or one it cannot
answer, is a failure of the test that made it.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from browserlib import ServedFolder
from litelib import REPO, SCREENSHOTS, SITE
from serve_lite import Handler

PREFIX = "/course/"
OWN = ("files", "api", "course-versions.json")  # copied; everything else is linked to build/lite
SHOTS = SCREENSHOTS.parent / "lite-path"  # looked at by a person, not committed


class _SubPathHandler(Handler):
    """The site under ``PREFIX`` only; anything else is a 404, as on a host where the site is one folder of many."""

    def translate_path(self, path: str) -> str:
        self.server.log.append(path)
        if not path.startswith(PREFIX):
            return str(Path(self.directory) / "\0outside")  # never a file
        return super().translate_path(path[len(PREFIX) - 1:])

    def send_error(self, code, message=None, explain=None):
        self.server.errors.append((code, self.path))
        super().send_error(code, message, explain)


@dataclass
class CourseSite(ServedFolder):
    root: Path
    httpd: ThreadingHTTPServer
    url: str  # http://127.0.0.1:PORT/course
    published: dict = field(default_factory=dict)  # notebook path -> how many times the course republished it

    def app_url(self, interface: str, path: str) -> str:
        """``interface`` is ``lab`` (JupyterLab) or ``notebooks`` (the simpler Notebook interface)."""
        return f"{self.url}/{interface}/index.html?path={path}"

    def publish(self, name: str, title: str) -> None:
        """The course republishes lecture notebook ``name`` with a new first heading ``title``, as ``make lite``
        would: the student's copy of the changed source replaces the served file, and the versions are listed anew."""
        from lite import student_copy  # tools/, on the path through conftest.py

        source = json.loads((REPO / "notebooks" / name).read_text(encoding="utf-8"))
        first = source["cells"][0]
        text = "".join(first["source"])
        first["source"] = re.sub(r"^# .*$", f"# {title}", text, count=1, flags=re.M)
        assert first["source"] != text, "the first cell of the notebook has no heading to change"
        changed = self.root / "build-src" / name
        changed.parent.mkdir(exist_ok=True)
        changed.write_text(json.dumps(source))
        student_copy.write_student_copy(changed, self.root / "files" / name)
        student_copy.finish(self.root)
        self.published[name] = self.published.get(name, 0) + 1

    def outside_requests(self) -> list[str]:
        return [p for p in self.httpd.log if not p.startswith(PREFIX)]

    def failed_requests(self) -> list[tuple[int, str]]:
        return list(self.httpd.errors)


def course_site(tmp: Path, site: Path = SITE) -> CourseSite:
    """Copy ``site`` (links and copies, see the module's docstring) into ``tmp`` and serve it under ``PREFIX``."""
    root = tmp / "site"
    root.mkdir()
    for entry in site.iterdir():
        if entry.name in OWN:
            (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, root / entry.name)
        else:
            (root / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_SubPathHandler, directory=str(root)))
    httpd.verbose, httpd.log, httpd.errors = False, [], []
    threading.Thread(target=httpd.serve_forever, daemon=True, name="course-site").start()
    return CourseSite(root, httpd, f"http://127.0.0.1:{httpd.server_address[1]}{PREFIX.rstrip('/')}")


# ------------------------------------------------------------------------------------ a student in the page
# The open notebook as a student sees it: its first heading, the kernel's state, whether its tab (JupyterLab) says
# it is modified, what the Notebook interface says of its trust, and per code cell its prompt, whether its input
# is folded and how many outputs it shows.
PAGE_STATE_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return {ready: false};
  const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const tab = document.querySelector('.lm-TabBar-tab.lm-mod-current');
  const heading = panel.querySelector('.jp-MarkdownCell h1');
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')].map(c => ({
    prompt: ((c.querySelector('.jp-InputPrompt') || {}).textContent || '').trim(),
    folded: !!c.querySelector('.jp-InputPlaceholder'),
    outputs: c.querySelectorAll('.jp-OutputArea-output').length}));
  return {ready: true, kernel: status ? status.getAttribute('data-status') : null,
          tabDirty: !!(tab && tab.classList.contains('jp-mod-dirty')),
          heading: heading ? heading.textContent.replace(/¶$/, '').trim() : null,
          trusted: (document.querySelector('.jp-NotebookTrustedStatus') || {}).textContent || null,
          cells};
}"""


def wait_for_kernel(page, timeout_s: float = 180) -> dict:
    """Until the notebook is shown and its kernel idle (and a second more: a fresh kernel may still connect)."""
    deadline, idle_since = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        state = page.evaluate(PAGE_STATE_JS)
        if state.get("kernel") == "idle" and state.get("cells"):
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 1.0:
                return state
        else:
            idle_since = None
        page.wait_for_timeout(300)
    picture = shot(page, f"no-idle-kernel-{int(time.time())}")
    raise AssertionError(f"no notebook with an idle kernel within {timeout_s:.0f} s (see {picture}): {state}")


def menu(page, top: str, item: str) -> None:
    """Choose ``top`` ▸ ``item`` in the menu bar, as a student does."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")).click()


def wait_until_run(page, timeout_s: float = 300) -> dict:
    """After Run All: until no cell waits or runs ([*]) and the kernel is idle."""
    deadline = time.monotonic() + timeout_s
    page.wait_for_timeout(1000)
    while time.monotonic() < deadline:
        state = page.evaluate(PAGE_STATE_JS)
        if state.get("kernel") == "idle" and not any("*" in c["prompt"] for c in state["cells"]):
            return state
        page.wait_for_timeout(300)
    raise AssertionError(f"Run All did not finish within {timeout_s:.0f} s: {state}")


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def assert_stayed_in_course(course, ctx) -> None:
    """Every request of the page, its workers and its service worker went to the site's folder, and got an answer."""
    own = urlsplit(course.url)
    outside = sorted({u for u in ctx.requests.urls if urlsplit(u).scheme in ("http", "https")
                      and (urlsplit(u).netloc != own.netloc or not urlsplit(u).path.startswith(PREFIX))})
    assert not outside, "requests outside the site's folder:\n" + "\n".join(outside[:20])
    assert not course.outside_requests(), course.outside_requests()[:20]
    assert not course.failed_requests(), course.failed_requests()[:20]


def leaves_without_asking(page) -> bool:
    """Close the page as a student closes the tab: True if the browser did not ask "Leave site?"."""
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.accept()  # leave anyway

    page.on("dialog", answer)
    with page.expect_event("close", timeout=15_000):
        page.close(run_before_unload=True)
    return not asked


# ---------------------------------------------------------------------------- the tests' own cells, put back
def tagged_test_only(name: str) -> list[tuple[int, str]]:
    """(index in the notebook as git holds it, source) of each test-only cell of lecture notebook ``name``."""
    cells = json.loads((REPO / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if "test-only" in c["metadata"].get("tags", [])]


def put_back_test_only_cells(page, name: str) -> int:
    """Insert the test-only cells that the student's copy leaves out back where they were, through the notebook's
    UI (select the cell before, B for a new cell below, type), so that Run All runs them in Pyodide in their place.

    Returns the number of cells put back; raises if the notebook does not end up with every cell of the source.
    """
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    restored = tagged_test_only(name)
    for index, source in restored:  # in order: cells put back earlier are already in place
        before = cells.nth(index - 1)
        before.scroll_into_view_if_needed()
        before.locator(".jp-InputPrompt").first.click()  # selects the cell, in command mode
        page.keyboard.press("Escape")
        page.keyboard.press("b")
        new = cells.nth(index)
        new.locator(".cm-content").first.click()
        page.keyboard.insert_text(source)
        page.keyboard.press("Escape")
        typed = new.locator(".cm-content").first.inner_text()
        assert typed.split() == source.split(), f"cell {index} of {name} was typed as {typed!r}"
    total = len(json.loads((REPO / "notebooks" / name).read_text(encoding="utf-8"))["cells"])
    assert cells.count() == total, f"{name}: {cells.count()} cells after putting back the test-only ones, not {total}"
    return len(restored)
