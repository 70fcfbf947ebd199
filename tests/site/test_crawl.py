"""Every page of the course website, served under a sub-path (``/course/``) and opened in headless Chromium.

A page fails on: a broken link or #anchor (a file the server does not have, an id the target page lacks, a
link into JupyterLite naming a notebook it does not have, a link that leaves the sub-path), any request that
leaves the origin or the sub-path or that fails, a serious or critical axe-core violation, HTML tags or TeX
shown as text or a formula MathJax could not typeset, a broken image, or a page wider than the window at
1280 px or at 390 px.  The slide decks are loaded too (nothing may fail or leave the origin).
"""

from __future__ import annotations

import re

import pytest
from sitelib import (
    MATHJAX_DONE_JS,
    PREFIX,
    READING_JS,
    SCREENSHOTS,
    SITE,
    axe_serious,
    broken_link,
    deck_pages,
    site_pages,
)

# MathJax 2 (the decks'): its queue is empty once every formula is typeset and its fonts are loaded
DECK_MATHS_DONE_JS = ("() => !window.MathJax || (MathJax.Hub && MathJax.Hub.queue && MathJax.Hub.queue.pending === 0"
                      " && !MathJax.Hub.queue.running)")
SHOOT = {"index.html": "start", "03_gumbel_max_trick.html": "notebook-03", "homework/index.html": "homework"}


def pytest_generate_tests(metafunc):
    for name, pages in (("page", site_pages), ("deck", deck_pages)):
        if name in metafunc.fixturenames:
            found = pages() if (SITE / "index.html").exists() else []
            metafunc.parametrize(name, found or [pytest.param(None, marks=pytest.mark.skip("no site: make site"))])


@pytest.fixture(scope="module")
def tab(site_context):
    page = site_context.new_page()
    page.log = {"requests": [], "failed": []}
    page.on("request", lambda r: page.log["requests"].append(r.url))
    page.on("requestfailed", lambda r: page.log["failed"].append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: page.log["failed"].append(f"{r.url} ({r.status})") if r.status >= 400 else None)
    page.on("pageerror", lambda e: page.log["failed"].append(f"script error: {e}"))
    yield page
    page.close()


def _open(tab, url: str, width: int = 1280) -> None:
    tab.log["requests"].clear(), tab.log["failed"].clear()
    tab.set_viewport_size({"width": width, "height": 800})
    tab.goto(url, wait_until="load")
    tab.evaluate(MATHJAX_DONE_JS)


def _request_problems(tab, server, outside_before: int) -> list[str]:
    own = server.root
    problems = [f"request left the origin: {u}" for u in tab.log["requests"]
                if not u.startswith((own + "/", "data:", "blob:", "about:"))]
    problems += [f"request outside {PREFIX}: {p}" for p in server.outside[outside_before:]]
    problems += [f"failed: {f}" for f in tab.log["failed"]]
    return problems


def test_page(page, site_server, tab):
    outside = len(site_server.outside)
    _open(tab, site_server.url + page)
    info = tab.evaluate(READING_JS)
    problems = [f"shows raw source: {r}" for r in info["raw"]]
    problems += [f"formula not typeset: {m}" for m in info["mathErrors"]]
    problems += [f"broken image: {i}" for i in info["brokenImages"]]
    if info["overflow"] > 0:
        problems.append(f"wider than the window at 1280 px by {info['overflow']} px")
    for url in sorted(set(info["links"])):
        if url.startswith(site_server.root):
            why = broken_link(url, site_server)
            if why:
                problems.append(f"broken link {url[len(site_server.url):]}: {why}")
    if page in SHOOT:
        tab.screenshot(path=str(SCREENSHOTS / f"{SHOOT[page]}-1280.png"))
    tab.set_viewport_size({"width": 390, "height": 800})
    tab.wait_for_timeout(200)
    narrow = tab.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if narrow > 0:
        problems.append(f"wider than the window at 390 px by {narrow} px")
    if page in SHOOT:
        tab.screenshot(path=str(SCREENSHOTS / f"{SHOOT[page]}-390.png"))
    problems += _request_problems(tab, site_server, outside)
    # last: axe-core fetches the stylesheets itself, and resolves their @import against the page (not a request
    # of the page's own)
    tab.set_viewport_size({"width": 1280, "height": 800})
    problems += [f"axe: {v}" for v in axe_serious(tab)]
    assert not problems, f"{page}:\n" + "\n".join(problems)


def test_deck(deck, site_server, tab):
    """A slide deck loads from the site alone and reveal.js starts."""
    outside = len(site_server.outside)
    _open(tab, site_server.url + deck)
    tab.wait_for_selector(".reveal.ready", timeout=60_000)
    tab.wait_for_function(DECK_MATHS_DONE_JS, timeout=120_000)  # (leaving earlier would abort its font loads)
    problems = _request_problems(tab, site_server, outside)
    assert not problems, f"{deck}:\n" + "\n".join(problems)


def _demo_cells(nb) -> int:
    """Code cells a student sees that build an interactive demo (each must show its figure on the page)."""
    return sum(1 for c in nb.cells if c.cell_type == "code"
               and not {"test-only", "solution"} & set(c.metadata.get("tags", []))
               and re.search(r"\b(make_\w+_demo|Demo)\(", c.source))


def test_every_notebook_has_a_page_a_deck_a_download_and_its_demos():
    import nbformat

    for nb_path in sorted((SITE.parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        stem = nb_path.stem
        page = (SITE / f"{stem}.html").read_text(encoding="utf-8")
        demos = _demo_cells(nbformat.read(nb_path, as_version=4))
        assert page.count('class="static-demo"') >= demos, f"{stem}: a demo is missing (no widget state saved?)"
        assert page.count('class="static-figure"') >= demos and "run this notebook in JupyterLab" not in page
        assert (SITE / f"{stem}.html").exists() and (SITE / "slides" / f"{stem}.slides.html").exists(), stem
        assert (SITE / "lite" / "files" / nb_path.name).exists(), f"JupyterLite lacks {nb_path.name}"
        shipped = nbformat.reads((SITE / "notebooks" / nb_path.name).read_text(encoding="utf-8"), as_version=4)
        assert all(not c.get("outputs") for c in shipped.cells if c.cell_type == "code"), f"{stem}: has outputs"
        assert f'href="notebooks/{nb_path.name}"' in page and f'href="slides/{stem}.slides.html"' in page
        assert f'lite/notebooks/index.html?path={nb_path.name}' in page
