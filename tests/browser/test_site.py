"""The static site (``make site`` = ``tools/build_site.py``): pages, navigation, offline maths and demos.

The site is built into ``build/test-site/`` from the notebooks that the JupyterLab tests ran and saved
(outputs and widget state), so the notebooks are not run a third time; without a browser it executes
them itself.  The execution path of ``make site`` is tested on two small notebooks (one with an error).
Screenshots: ``build/screenshots/site-*.png``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from browserlib import BUILD, NOTEBOOK_DIR, REPO, SCREENSHOTS, record_timing

sys.path.insert(0, str(REPO / "tools"))
import build_site  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_MATHJAX_DONE_JS = ("() => !window.MathJax || (MathJax.Hub && MathJax.Hub.queue && MathJax.Hub.queue.pending === 0"
                    " && !MathJax.Hub.queue.running)")


@pytest.fixture(scope="module")
def site(request):
    out = BUILD / "test-site"
    shutil.rmtree(out, ignore_errors=True)
    try:
        lab_runs = request.getfixturevalue("lab_runs")
    except pytest.skip.Exception:
        lab_runs = None
    if lab_runs is not None:  # the copies JupyterLab ran and saved
        server = request.getfixturevalue("lab_server")
        for name in server.names:
            lab_runs.result(name)
        manifest = build_site.build(out, server.root, executed=server.root)
        sources = {n: nbformat.read(server.root / n, as_version=4) for n in server.names}
    else:
        manifest = build_site.build(out, NOTEBOOK_DIR, jobs=2)
        sources = None
    record_timing("site_build_s" + ("_from_saved_notebooks" if lab_runs else "_with_execution"), manifest["build_s"])
    return out, manifest, sources


class _Tags(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def tags(text: str, name: str, **attrs) -> list[dict]:
    """The attributes of every <name> tag whose attributes include ``attrs`` (order-independent)."""
    return [a for t, a in _Tags(text).found if t == name and all(a.get(k) == v for k, v in attrs.items())]


def _page(manifest, notebook):
    pages = {p["notebook"]: p for p in manifest["pages"]}
    assert notebook in pages, f"{notebook} has no page"
    return pages[notebook]


def test_site_page(site, notebook):
    out, manifest, sources = site
    page = _page(manifest, notebook)
    text = (out / page["html"]).read_text(encoding="utf-8")
    assert not page["errors"], f"{notebook} raised: {page['errors']}"
    assert not re.search(r'application/vnd\.jupyter\.stderr"[^>]*>[\s\S]{0,400}?Traceback', text)
    # previous / next links follow the teaching order
    order = [p["html"] for p in manifest["pages"]]
    i = order.index(page["html"])
    if i > 0:
        assert len(tags(text, "a", rel="prev", href=order[i - 1])) == 2  # top and bottom
    if i + 1 < len(order):
        assert len(tags(text, "a", rel="next", href=order[i + 1])) == 2
    assert tags(text, "a", href="index.html")
    # offline: nothing is loaded from elsewhere (links to references are fine)
    assert not re.search(r'<(?:script|img|iframe)[^>]+src="(?:https?:)?//', text), "a page loads from the internet"
    assert not re.search(r'<link[^>]+href="(?:https?:)?//', text)
    assert manifest["mathjax"] == "local" or pytest.fail("no local MathJax: apt-get install libjs-mathjax")
    assert 'src="mathjax/MathJax.js' in text
    # every demo shows its figure (the widget state was saved with the notebook)
    if sources is not None and notebook in sources:
        nb = sources[notebook]
        state = nb.metadata.get("widgets", {}).get(build_site.WIDGET_STATE, {}).get("state", {})
        views = [o["data"][WIDGET_VIEW]["model_id"] for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
        if views:  # (widgets closed before the save, like finished progress bars, are not in the state)
            assert state, f"{notebook} was saved without its widget state"
        shown = [v for v in views if v in state and state[v]["model_name"].endswith("BoxModel")]
        assert page["widgets"] >= len(shown), f"{page['widgets']} of {len(shown)} demos rendered"
    assert "run this notebook in JupyterLab" not in text, "a demo has no saved widget state"
    figures = tags(text, "img", **{"class": "static-figure"})
    assert len(figures) >= page["widgets"] and all(f["src"].startswith("data:image/") for f in figures)
    assert not re.search(r'href="[^"]*\.ipynb"', text), "a link still points to a notebook file"


def test_index_follows_the_lecture_map(site):
    from lectures_lib.lecture_map import LECTURE_MAP

    out, manifest, _ = site
    index = (out / "index.html").read_text(encoding="utf-8")
    for page in manifest["pages"]:
        assert f'href="{page["html"]}"' in index
    built = {p["notebook"] for p in manifest["pages"]}
    for entry in LECTURE_MAP:
        if entry.notebook not in built:
            continue
        html = f"{entry.notebook[:-6]}.html"
        prefix = f"{html}#{build_site.heading_id(entry.section)}"
        links = [a["href"] for a in tags(index, "a") if a.get("href", "").startswith(prefix)]
        assert links, f"the index has no link to {prefix}…"
        anchor = links[0].split("#", 1)[1]
        target = (out / html).read_text(encoding="utf-8")
        assert any(tags(target, h, id=anchor) for h in ("h1", "h2", "h3", "h4")), f"no heading {anchor} in {html}"
    assert (out / "errata.html").exists()


def test_site_in_chromium(site, context):
    """Each page in Chromium at 1280 x 800: maths typeset offline, nothing fails to load, no sideways scroll."""
    out, manifest, _ = site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    report, pages = {}, {}
    try:
        for html in ["index.html", *(p["html"] for p in manifest["pages"]), "errata.html"]:
            page = pages[html] = context.new_page()  # all at once: each typesets in its own renderer
            failed: list[str] = []
            page.on("requestfailed", lambda r, failed=failed: failed.append(r.url[:120]))
            page.on("pageerror", lambda e, failed=failed: failed.append(f"error: {e}"))
            page.failed = failed
            page.goto((out / html).as_uri(), wait_until="domcontentloaded")
        for html, page in pages.items():
            page.wait_for_function(_MATHJAX_DONE_JS, timeout=120_000)
            info = page.evaluate("""() => ({
              maths: document.querySelectorAll('.mjx-chtml').length,
              mathErrors: document.querySelectorAll('.mjx-merror, .MathJax_Error').length,
              rawDollars: [...document.querySelectorAll('.jp-RenderedMarkdown p, .jp-RenderedMarkdown li')]
                  .filter(e => /\\$[^$\\s][^$]*\\$/.test(e.textContent)).length,
              overflow: document.documentElement.scrollWidth - window.innerWidth,
              brokenImages: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length})""")
            page.bring_to_front()
            page.screenshot(path=str(SCREENSHOTS / f"site-{Path(html).stem}.png"), full_page=html == "index.html")
            report[html] = info
            assert not page.failed, f"{html}: {page.failed}"
            assert info["mathErrors"] == 0 and info["rawDollars"] == 0, f"{html}: maths not typeset: {info}"
            assert info["brokenImages"] == 0, f"{html}: {info}"
            assert info["overflow"] <= 0, f"{html} scrolls sideways by {info['overflow']} px at 1280 px"
    finally:
        for page in pages.values():
            page.close()
    maths = {k: v["maths"] for k, v in report.items()}
    print(f"\nsite pages in Chromium: typeset formulas per page {json.dumps(maths)}")
    assert sum(maths.values()) > 0, "no maths typeset anywhere"


def _tiny(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    return nb


def test_make_site_executes_notebooks(tmp_path):
    """The execution path of ``make site``: fresh kernels, widget state stored, errors reported (exit 1)."""
    from nbformat.v4 import new_code_cell, new_markdown_cell

    src = tmp_path / "notebooks"
    src.mkdir()
    demo = ("from lectures_lib.widgets import Demo, slider\n"
            "demo = Demo(lambda ax, a: ax.plot([0, 1], [0, a]) and f'slope {a:.2f}', "
            "{'a': slider(1.0, 0.0, 2.0, 0.1, 'slope a')}, play='a')\ndemo")
    nbformat.write(_tiny([new_markdown_cell("# 1 · Tiny\n\nMaths: $e^{i\\pi} = -1$."), new_code_cell(demo)]),
                   src / "01_tiny.ipynb")
    nbformat.write(_tiny([new_markdown_cell("# 2 · Broken"), new_code_cell("raise ValueError('boom')")]),
                   src / "02_broken.ipynb")
    out = tmp_path / "site"
    status = build_site.main(["--notebooks", str(src), "--out", str(out), "--jobs", "2", "--timeout", "300"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert status == 1 and manifest["executed"]
    pages = {p["notebook"]: p for p in manifest["pages"]}
    assert pages["01_tiny.ipynb"]["errors"] == [] and pages["01_tiny.ipynb"]["widgets"] == 1
    assert pages["02_broken.ipynb"]["errors"] and "boom" in pages["02_broken.ipynb"]["errors"][0]
    tiny = (out / "01_tiny.html").read_text(encoding="utf-8")
    (figure,) = tags(tiny, "img", **{"class": "static-figure"})
    assert figure["src"].startswith("data:image/png;base64,")
    assert "slope 1.00" in tiny and "<output>1.00</output>" in tiny
    assert tags(tiny, "a", rel="next", href="02_broken.html")
    assert "1 · Tiny" in (out / "index.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------- read as a student (issue 14)
_READING_JS = """() => {
  const hidden = e => !!e.closest('details:not([open])') || e.offsetParent === null;
  const wide = [], maths = [], raw = [];
  for (const el of document.querySelectorAll('.jp-Cell .jp-OutputArea-output, .jp-Cell .jp-RenderedMarkdown')) {
    if (hidden(el)) continue;
    const w = el.clientWidth;
    for (const inner of el.querySelectorAll('.MathJax_Display, .mjx-chtml.MJXc-display, img, table, pre, p, li')) {
      if (hidden(inner) || inner.scrollWidth <= w + 2) continue;
      const what = `${inner.tagName}.${inner.className.split(' ')[0]} ${inner.scrollWidth}px > ${w}px: `
                   + inner.textContent.slice(0, 60);
      const box = inner.closest('.MathJax_Display') || inner;
      const scrolls = ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
      (inner.matches('.MathJax_Display, .mjx-chtml, table, pre') && scrolls ? maths : wide).push(what);
    }
  }
  const rendered = '.jp-Cell .jp-OutputArea-output, .jp-Cell .jp-RenderedMarkdown, .static-demo';
  // HTML tags or TeX commands shown as text (a raw summary, an untypeset formula)
  const source = new RegExp('<\\\\/?(sub|sup|b|span|div|br|i|details|summary)\\\\b[^>]*>'
                            + '|\\\\\\\\(frac|begin|mathrm|mathbb|text|partial|sum|int)\\\\b|\\\\$\\\\$');
  for (const el of document.querySelectorAll(rendered)) {
    const clone = el.cloneNode(true);
    clone.querySelectorAll('script, code, .MathJax_Preview, .MathJax, .mjx-chtml, .MJX_Assistive_MathML')
         .forEach(n => n.remove());
    const t = clone.textContent;
    const m = t.match(source);
    if (m) raw.push(`${m[0]} in: ${t.slice(Math.max(0, m.index - 40), m.index + 40)}`);
  }
  return {page: document.documentElement.scrollWidth - window.innerWidth, wide, maths, raw};
}"""


def test_every_site_image_has_alt_text(site):
    """Every <img> of every page says what it shows (figures: from their titles and axis labels)."""
    out, manifest, _ = site
    for html in ["index.html", *(p["html"] for p in manifest["pages"]), "errata.html"]:
        for img in tags((out / html).read_text(encoding="utf-8"), "img"):
            alt = (img.get("alt") or "").strip()
            assert len(alt) > 8 and alt not in ("Figure.", "No description has been provided for this image"), \
                f"{html}: an image without a useful alt text: {alt!r}"


def test_site_pages_have_a_table_of_contents_and_no_test_cells(site):
    out, manifest, _ = site
    for page in manifest["pages"]:
        text = (out / page["html"]).read_text(encoding="utf-8")
        (toc,) = tags(text, "nav", **{"class": "page-toc"})
        assert toc["aria-label"] == "contents" and text.count('<nav class="page-toc"') == 1
        for anchor in re.findall(r'<nav class="page-toc".*?</nav>', text, flags=re.S)[0].split('href="#')[1:]:
            assert f'id="{anchor.split(chr(34))[0]}"' in text, f"{page['html']}: TOC link to a missing heading"
        assert "check_reacts(" not in text, f"{page['html']} shows a test-only cell"


@pytest.mark.parametrize("width", [1280, 390])
def test_site_reads_cleanly_at_desktop_and_phone_width(site, context, width):
    """No raw HTML or LaTeX source in rendered output; no output wider than its column (1280 px); at 390 px
    the page never scrolls sideways and only formulas, tables and code scroll inside their own box."""
    out, manifest, _ = site
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    problems = []
    try:
        for html in ["index.html", *(p["html"] for p in manifest["pages"]), "errata.html"]:
            page.goto((out / html).as_uri(), wait_until="domcontentloaded")
            page.wait_for_function(_MATHJAX_DONE_JS, timeout=120_000)
            info = page.evaluate(_READING_JS)
            problems += [f"{html}: raw source {r}" for r in info["raw"]]
            problems += [f"{html}: wider than its column {w}" for w in info["wide"]]
            if width >= 1000:
                problems += [f"{html}: wider than its column {w}" for w in info["maths"]]
            if info["page"] > 0:
                problems.append(f"{html}: the page scrolls sideways by {info['page']} px at {width} px")
            if html in ("04_score_function.html", "index.html"):
                page.screenshot(path=str(SCREENSHOTS / f"site-{width}-{Path(html).stem}.png"))
    finally:
        page.close()
    assert not problems, "\n".join(problems[:30])


def test_solutions_are_folded_until_clicked(site, context):
    out, manifest, _ = site
    with_solutions = [p["html"] for p in manifest["pages"]
                      if '<details class="solution' in (out / p["html"]).read_text(encoding="utf-8")]
    assert len(with_solutions) == len(manifest["pages"]), "every notebook has worked solutions"
    page = context.new_page()
    try:
        page.goto((out / with_solutions[1]).as_uri(), wait_until="domcontentloaded")
        page.wait_for_function(_MATHJAX_DONE_JS, timeout=120_000)
        # the folded code's one line sits in the text column, in line with the explanation's box above it
        boxes = page.evaluate("""() => [document.querySelector('details.solution:not(.solution-code)'),
            document.querySelector('details.solution-code > summary')].map(e => {
            const b = e.getBoundingClientRect(); return [b.left, b.right]; })""")
        assert all(abs(a - b) <= 2 for a, b in zip(*boxes, strict=True)), f"solution boxes not aligned: {boxes}"
        code = page.locator("details.solution-code").first
        body = code.locator(".jp-Cell, .jp-InputArea, .jp-OutputArea").first
        assert code.get_attribute("open") is None and not body.is_visible()
        code.locator("summary").click()
        assert code.get_attribute("open") is not None and body.is_visible()
        text = page.locator("details.solution:not(.solution-code)").first
        assert not text.locator("p").first.is_visible()
        text.locator("summary").click()
        assert text.locator("p").first.is_visible()
    finally:
        page.close()


def _axe_serious(page, context=None) -> list[str]:
    """Serious or critical axe-core violations on the page (axe-core ships inside axe-playwright-python)."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright",
                                     reason="pip install axe-playwright-python (the test extra)")
    results = axe_module.Axe().run(page, context=context)
    return [f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_axe_audit_of_every_site_page(site, context):
    out, manifest, _ = site
    page = context.new_page()
    found = {}
    try:
        for html in ["index.html", *(p["html"] for p in manifest["pages"]), "errata.html"]:
            page.goto((out / html).as_uri(), wait_until="domcontentloaded")
            page.wait_for_function(_MATHJAX_DONE_JS, timeout=120_000)
            found[html] = _axe_serious(page)
    finally:
        page.close()
    bad = {html: v for html, v in found.items() if v}
    assert not bad, json.dumps(bad, indent=1, ensure_ascii=False)
