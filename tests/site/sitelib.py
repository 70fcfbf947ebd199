"""Helpers of the course-website tests: the built ``build/site/`` served under a sub-path, every request of the
browser recorded, and what the crawler checks on each page.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "tests" / "browser"), str(REPO / "tools")]

from browserlib import BUILD, ServedFolder  # noqa: E402
from serve_lite import Handler  # noqa: E402

SITE = BUILD / "site"
SCREENSHOTS = BUILD / "screenshots" / "site"
PREFIX = "/course/"  # as a project page on GitHub or GitLab Pages serves it
LOCAL_SCHEMES = ("blob", "data", "about")


class SubPathHandler(Handler):
    """The site's files under ``PREFIX`` only; any other path is a 404, noted in ``server.outside``."""

    def translate_path(self, path: str) -> str:
        clean = urlsplit(path).path
        if not clean.startswith(PREFIX):
            self.server.outside.append(clean)
            return str(Path(self.directory) / "__not_under_the_sub_path__")
        return super().translate_path("/" + path[len(PREFIX):])


@dataclass
class SiteServer(ServedFolder):
    root: str  # http://127.0.0.1:PORT
    httpd: ThreadingHTTPServer

    @property
    def url(self) -> str:
        return self.root + PREFIX

    @property
    def outside(self) -> list[str]:
        return self.httpd.outside


def serve(site: Path = SITE) -> SiteServer:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SubPathHandler, directory=str(site)))
    httpd.verbose, httpd.outside = False, []
    threading.Thread(target=httpd.serve_forever, daemon=True, name="site-http").start()
    return SiteServer(f"http://127.0.0.1:{httpd.server_address[1]}", httpd)


@dataclass
class Requests:
    """Every request of a browser context, and the ones that failed (no answer, or a status of 400 or more)."""

    urls: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def attach(self, context) -> Requests:
        context.on("request", lambda r: self.urls.append(r.url))
        context.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        context.on("response", lambda r: self.failed.append(f"{r.url} ({r.status})") if r.status >= 400 else None)
        return self

    def foreign(self, origin: str) -> list[str]:
        """Requests that left ``origin`` (scheme://host:port)."""
        own = urlsplit(origin)
        return sorted({u for u in self.urls if urlsplit(u).scheme not in LOCAL_SCHEMES
                       and (urlsplit(u).scheme, urlsplit(u).netloc) != (own.scheme, own.netloc)})


def site_pages(site: Path = SITE) -> list[str]:
    """The Sphinx pages of the site, relative to its root (JupyterLite's and the decks' own pages excluded)."""
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html")
                  if p.relative_to(site).parts[0] not in ("lite", "slides", "_static"))


def deck_pages(site: Path = SITE) -> list[str]:
    return sorted(f"slides/{p.name}" for p in (site / "slides").glob("*.slides.html"))


@functools.cache
def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - 127.0.0.1 only
            return r.status, r.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, ""


def broken_link(url: str, server: SiteServer) -> str | None:
    """Why a link of the site is broken, or None: it must stay under the sub-path, its file must be served,
    its #anchor must be an id of that page, and a link into JupyterLite must name a notebook the site has."""
    parts = urlsplit(url)
    if not parts.path.startswith(PREFIX):
        return "leaves the site's sub-path"
    status, text = fetch(f"{server.root}{parts.path}")
    if status != 200:
        return f"HTTP {status}"
    if parts.fragment and parts.path.endswith(".html"):
        anchor = unquote(parts.fragment)
        if not re.search(rf'\bid="{re.escape(anchor)}"', text):
            return f"no element with id {anchor!r}"
    if "/lite/" in parts.path and parts.query:
        for path in parse_qs(parts.query).get("path", []):
            if fetch(f"{server.url}lite/files/{path}")[0] != 200:
                return f"JupyterLite has no file {path!r}"
    return None


# Problems a reader sees, measured on the rendered page: raw HTML tags or TeX shown as text, formulas MathJax
# could not typeset, and how far the page is wider than the window.
READING_JS = """() => {
  const raw = [];
  const tags = new RegExp('<\\\\/?(sub|sup|b|i|em|span|div|br|details|summary|img|a|p|code)\\\\b[^>]*>');
  const tex = new RegExp('\\\\\\\\(frac|begin|end|mathrm|mathbb|mathcal|text|partial|sum|int|left|right|log|exp'
                         + '|mu|sigma|tau|theta)\\\\b|\\\\$\\\\$|\\\\$[^$\\\\s][^$]{0,80}\\\\$');
  const article = document.querySelector('.bd-article') || document.body;
  const clone = article.cloneNode(true);
  clone.querySelectorAll('script, style, noscript, code, pre, kbd, mjx-container, .MathJax, mjx-assistive-mml, '
                         + '.highlight, textarea, .headerlink').forEach(n => n.remove());
  const walker = document.createTreeWalker(clone, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent;
    const m = t.match(tags) || t.match(tex);
    if (m) raw.push(`${m[0]} in: ${t.slice(Math.max(0, m.index - 50), m.index + 50).trim()}`);
  }
  return {raw, mathErrors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
          overflow: document.documentElement.scrollWidth - window.innerWidth,
          links: [...document.querySelectorAll('a[href]')].map(a => a.href),
          brokenImages: [...document.images].filter(i => i.complete && i.naturalWidth === 0)
                                            .map(i => i.src.slice(-60))};
}"""

MATHJAX_DONE_JS = """async () => {
  if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) return 'no MathJax';
  await MathJax.startup.promise;
  return document.querySelectorAll('mjx-container').length;
}"""


def axe_serious(page) -> list[str]:
    """Serious or critical axe-core violations on the page (axe-core ships inside axe-playwright-python)."""
    import pytest

    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright",
                                     reason="pip install axe-playwright-python (the test extra)")
    # (only the violations are reported in detail: half the time of axe's default on a long notebook page)
    results = axe_module.Axe().run(page, options={"resultTypes": ["violations"]})
    return [f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
