"""Build the static HTML site of the lecture: every notebook executed offline, with its outputs.

    python tools/build_site.py                      # make site: execute notebooks/ and write build/site/
    python tools/build_site.py --out DIR --jobs 2   # where to, and how many notebooks run at once
    python tools/build_site.py --executed DIR       # use notebooks already executed (and saved) in DIR

What it makes (all offline; no page loads anything from the internet):

* ``index.html``: the lecture map (``lectures_lib.lecture_map.LECTURE_MAP``: slide -> notebook section ->
  library functions), linking to the sections, then every notebook in teaching order;
* ``NN_name.html`` per notebook (nbconvert's ``lab`` template, extended in ``tools/site/templates/lecture``)
  with previous / index / next links at the top and bottom; links to other notebooks point to their pages;
* ``errata.html`` from ``ERRATA.md``;
* maths by MathJax 2.7 copied into the site from Debian's ``libjs-mathjax`` (``apt-get install
  libjs-mathjax``; or set ``MATHJAX_DIR``); without a local copy the pages fall back to nbconvert's CDN
  MathJax, and maths then renders only online (the build says so);
* interactive demos as their state after the run: the ipywidgets state that nbclient (or JupyterLab with
  ``saveState``) stores in the notebook is turned into plain HTML: the figure as an ``<img>``, the
  summary, and the sliders as disabled range inputs showing their values.  No widget JavaScript is needed;
* ``manifest.json``: per page the notebook, title, execution errors and seconds.

Exit status 1 if any notebook raised an error (the page is written anyway, showing the error).
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import json
import os
import re
import shutil
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
SITE_DIR = Path(__file__).resolve().parent / "site"
TEMPLATE = "lecture"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
TEST_ONLY = "test-only"  # the tag of cells that exist only for the tests (hidden in JupyterLab, left out here)
MATHJAX_CONFIG = "TeX-AMS_CHTML-full,Safe"
MATHJAX_CDN = f"https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config={MATHJAX_CONFIG}"
MATHJAX_DIRS = ("/usr/share/javascript/mathjax", "/usr/share/mathjax", "/usr/share/nodejs/mathjax2")
# The parts of MathJax 2.7 that TeX input with CommonHTML output loads (about 4 MB of 54).
MATHJAX_PARTS = ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions", "jax/input/TeX",
                 "jax/output/CommonHTML", "jax/element/mml", "fonts/HTML-CSS/TeX/woff")


# ------------------------------------------------------------------------------------------------ execution
def notebook_paths(src: Path) -> list[Path]:
    return sorted(src.glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, timeout: int = 900) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook from a fresh kernel in its own folder; the widget state is stored in its metadata."""
    from jupyter_client.manager import KernelManager
    from jupyter_core.paths import jupyter_runtime_dir
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # the kernel talks over local sockets (ipc), not TCP: no "running over TCP without encryption" warning
    # (its socket files sit next to its connection file in Jupyter's runtime directory, not in the repository)
    connection = Path(jupyter_runtime_dir()) / f"kernel-site-{uuid.uuid4().hex[:12]}.json"
    connection.parent.mkdir(parents=True, exist_ok=True)
    km = KernelManager(kernel_name="python3", transport="ipc", connection_file=str(connection))
    client = NotebookClient(nb, km=km, timeout=timeout,
                            kernel_name="python3", allow_errors=True, store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    finally:  # a kernel manager passed in is not shut down by nbclient
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb, time.perf_counter() - start


def _execute_to_json(args: tuple[str, int]) -> tuple[str, float]:
    nb, seconds = execute(Path(args[0]), args[1])
    return nbformat.writes(nb), seconds


def errors_of(nb) -> list[str]:
    """The error outputs of an executed notebook, as 'cell N: Name: message'."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
    return found


# ------------------------------------------------------------------------------------------ widget → HTML
def _widget_models(nb) -> dict:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _ref(value) -> str | None:
    return value[len("IPY_MODEL_"):] if isinstance(value, str) and value.startswith("IPY_MODEL_") else None


def _buffer(model: dict, key: str) -> bytes | None:
    for buf in model.get("buffers", []):
        if buf.get("path") == [key]:
            return base64.b64decode(buf["data"]) if buf.get("encoding", "base64") == "base64" else None
    value = model.get("state", {}).get(key)
    if isinstance(value, str):  # some managers inline the bytes as base64
        try:
            return base64.b64decode(value)
        except ValueError:
            return None
    return None


def _fmt(value, spec: str | None, integer: bool) -> str:
    spec = (spec or ("d" if integer else ".2f")).lstrip("~")
    try:
        return format(int(value) if integer else float(value), spec)
    except (TypeError, ValueError):
        return html.escape(str(value))


def widget_html(model_id: str, models: dict, depth: int = 0) -> str:
    """Plain HTML for a widget and its children, from the saved widget state (no JavaScript)."""
    model = models.get(model_id)
    if model is None or depth > 20:
        return ""
    name, st = model.get("model_name", ""), model.get("state", {})
    layout = models.get(_ref(st.get("layout")) or "", {}).get("state", {})
    desc = html.escape(st.get("description", "") or "")
    if name in ("VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel", "AccordionModel", "TabModel"):
        kind = "hbox" if name == "HBoxModel" else "vbox"
        inner = "".join(widget_html(_ref(c) or "", models, depth + 1) for c in st.get("children", []))
        return f'<div class="static-widget static-{kind}">{inner}</div>' if inner else ""
    if name == "ImageModel":
        data = _buffer(model, "value")
        if not data:
            return ""
        fmt = html.escape(st.get("format", "png"))
        alt = html.escape(st.get("tooltip") or "Figure of the interactive demo, as it was after the run.")
        width = f' style="width: {html.escape(layout["width"])}"' if layout.get("width") else ""
        src = f"data:image/{'svg+xml' if fmt == 'svg' else fmt};base64,{base64.b64encode(data).decode()}"
        return f'<img class="static-figure" alt="{alt}" src="{src}"{width}>'
    if name in ("HTMLModel", "HTMLMathModel"):  # our own summaries: trusted HTML
        return f'<div class="static-html">{st.get("value", "")}</div>' if st.get("value") else ""
    if name == "LabelModel":
        return f'<div class="static-label">{html.escape(st.get("value", ""))}</div>'
    if name in ("FloatSliderModel", "IntSliderModel", "FloatLogSliderModel"):
        integer = name == "IntSliderModel"
        lo, hi = st.get("min", 0), st.get("max", 100 if integer else 10)
        value, step = st.get("value", lo), st.get("step", 1 if integer else 0.1)
        shown = _fmt(10 ** value if name == "FloatLogSliderModel" else value, st.get("readout_format"), integer)
        return (f'<div class="static-slider"><label>{desc}</label>'
                f'<input type="range" disabled min="{lo}" max="{hi}" step="{step}" value="{value}" '
                f'aria-label="{desc}"><output>{shown}</output></div>')
    if name == "PlayModel":
        return ('<div class="static-play"><button disabled title="Play works in JupyterLab (make lab) '
                'or in the app (make app)">▶</button></div>')
    if name in ("ButtonModel", "ToggleButtonModel"):
        return f'<button class="static-button" disabled>{desc}</button>'
    if "value" in st and not isinstance(st["value"], dict | list):
        return f'<div class="static-value"><label>{desc}</label> {html.escape(str(st["value"]))}</div>'
    return ""


def staticize_widgets(nb) -> int:
    """Replace every widget output by its static HTML; drop the state (so no widget JavaScript is loaded).

    A widget output whose model is not in the saved state was closed before the save (a finished tqdm
    progress bar, say): JupyterLab shows nothing for it, and neither does the page.  Returns the number of
    widgets rendered.
    """
    models, replaced = _widget_models(nb), 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                kept.append(out)
                continue
            model_id = data[WIDGET_VIEW].get("model_id", "")
            body = widget_html(model_id, models)
            if body:
                note = ('<p class="static-note">Interactive demo shown as it was after the run. Move its sliders '
                        'in JupyterLab (<code>make lab</code>) or in the app (<code>make app</code>).</p>')
                out["data"] = {"text/html": f'<div class="static-demo">{body}{note}</div>'}
                replaced += 1
            elif not models:  # saved without widget state: say so instead of showing 'VBox(children=...)'
                out["data"] = {"text/html": '<p class="static-note">Interactive demo: run this notebook in '
                                            'JupyterLab (<code>make lab</code>) to see it.</p>'}
            elif model_id in models:  # a widget this page cannot draw: its text form
                out["data"] = {k: v for k, v in data.items() if k == "text/plain"}
            else:
                continue  # closed before the save
            kept.append(out)
        cell.outputs = kept
    nb.metadata.pop("widgets", None)
    return replaced


def drop_test_cells(nb) -> int:
    """Remove the cells tagged ``test-only`` (they check that a demo reacts, for the tests): a student reading
    the site never sees them.  Returns how many were removed."""
    before = len(nb.cells)
    nb.cells = [c for c in nb.cells if TEST_ONLY not in c.get("metadata", {}).get("tags", [])]
    return before - len(nb.cells)


def add_toc(page: str) -> str:
    """Insert a table of contents (the page's ``h2`` sections, with their ``h3`` subsections) after the top
    navigation bar."""
    heads = re.findall(r'<h([23])\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', page, flags=re.S)
    if len(heads) < 2:
        return page
    items, open_sub = [], False
    for level, anchor, inner in heads:
        text = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        if level == "3" and items:
            items.append(("" if open_sub else "<ol>") + f'<li><a href="#{anchor}">{text}</a></li>')
            open_sub = True
        else:
            close = "</ol></li>" if open_sub else ("</li>" if items else "")
            items.append(close + f'<li><a href="#{anchor}">{text}</a>')
            open_sub = False
    items.append("</ol></li>" if open_sub else "</li>")
    toc = f'<nav class="page-toc" aria-label="contents"><b>Contents</b><ol>{"".join(items)}</ol></nav>'
    at = page.find("</nav>")
    return page[:at + len("</nav>")] + toc + page[at + len("</nav>"):] if at >= 0 else page


def section_anchor(page_html: str, section: str) -> str | None:
    """The id of the first heading of a built page that starts with ``section`` (the lecture map names a
    heading by its beginning)."""
    prefix = heading_id(section)
    for anchor in re.findall(r'<h[1-6]\b[^>]*\bid="([^"]+)"', page_html):
        if anchor.startswith(prefix):
            return anchor
    return None


# ------------------------------------------------------------------------------------------------- pages
def title_of(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if m:
                return m.group(1).strip()
    return fallback


def heading_id(text: str) -> str:
    """The id nbconvert gives a Markdown heading (nbconvert.filters.strings.add_anchor)."""
    from urllib.parse import quote

    return quote(text.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def relink(page: str) -> str:
    """Links between notebooks point to their pages; ERRATA.md to errata.html."""
    page = re.sub(r'href="(?:\./)?([0-9]{2}_[^"#/]*)\.ipynb', r'href="\1.html', page)
    return re.sub(r'href="(?:\.\./)?ERRATA\.md', 'href="errata.html', page)


def make_exporter(mathjax_url: str):
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name=TEMPLATE, extra_template_basedirs=[str(SITE_DIR / "templates")])
    exporter.mathjax_url = mathjax_url
    exporter.exclude_anchor_links = False
    return exporter


def nav(pages: list[dict], i: int | None) -> dict:
    prev_page = pages[i - 1] if i is not None and i > 0 else None
    next_page = pages[i + 1] if i is not None and i + 1 < len(pages) else None
    return {"prev": prev_page and {"href": prev_page["html"], "title": prev_page["title"]},
            "next": next_page and {"href": next_page["html"], "title": next_page["title"]}}


def page_shell(title: str, body: str, mathjax_url: str, kind: str = "index", linebreaks: bool = True) -> str:
    """A plain page (index, errata) with the site's CSS and MathJax."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)}</title><link rel="stylesheet" href="site.css">
<script src="{html.escape(mathjax_url)}"></script>
<script type="text/x-mathjax-config">MathJax.Hub.Config({{tex2jax: {{inlineMath: [['$','$'], ['\\\\(','\\\\)']],
processEscapes: true}}, messageStyle: 'none', CommonHTML: {{linebreaks: {{automatic: {str(linebreaks).lower()}}}}}}});
</script></head><body class="site-page"><main class="site-main site-{kind}">{body}</main></body></html>
"""


def index_html(pages: list[dict], mathjax_url: str, out: Path) -> str:
    from lectures_lib.lecture_map import LECTURE_MAP

    by_nb = {p["notebook"]: p for p in pages}
    rows = []
    for e in LECTURE_MAP:
        page = by_nb.get(e.notebook)
        section = html.escape(e.section)
        anchor = section_anchor((out / page["html"]).read_text(encoding="utf-8"), e.section) if page else None
        if page:
            href = page["html"] + (f"#{anchor}" if anchor else "")
            where = f'<a href="{href}">{html.escape(e.notebook[:-6])} → {section}</a>'
        else:
            where = f"{html.escape(e.notebook)} → {section} <em>(not built)</em>"
        funcs = ", ".join(f"<code>{html.escape(f)}</code>" for f in e.functions) or "—"
        rows.append(f"<tr><td>{html.escape(e.slide)}</td><td>{where}</td><td>{funcs}</td></tr>")
    items = "".join(f'<li><a href="{p["html"]}">{html.escape(p["title"])}</a>'
                    + (' <span class="site-error">(execution errors)</span>' if p["errors"] else "") + "</li>"
                    for p in pages)
    body = f"""<h1>Re-parameterization and the Gumbel-max trick</h1>
<p>Interactive lecture notebooks for <em>Re-parameterization and Gumbel-max Trick</em> (A/Prof Richard Yi Da Xu,
UTS, 2018), as static pages: every notebook was run when this site was built, and each figure and demo shows
the state after the run. To move the sliders, open the notebooks in JupyterLab (<code>make lab</code>) or as
apps (<code>make app</code>).</p>
<h2 id="lecture-map">Lecture map</h2>
<p>Each slide, the notebook section that teaches it, and the library functions it introduces.</p>
<table class="site-map"><thead><tr><th>Slide</th><th>Notebook → section</th><th>Library</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2 id="notebooks">The notebooks, in teaching order</h2>
<ol class="site-list">{items}</ol>
<p>The mistakes found on the slides: <a href="errata.html">slide errata</a>.</p>"""
    return page_shell("Re-parameterization and the Gumbel-max trick", body, mathjax_url)


def errata_html(mathjax_url: str) -> str | None:
    path = REPO / "ERRATA.md"
    if not path.exists():
        return None
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    body = relink(markdown2html_mistune(path.read_text(encoding="utf-8")))
    return page_shell("Slide errata", '<nav class="lecture-nav"><a href="index.html">Index</a></nav>' + body,
                      mathjax_url, kind="errata", linebreaks=False)


def copy_mathjax(out: Path) -> str:
    """Copy the local MathJax 2.7 into the site and return its URL (relative), else the CDN URL."""
    candidates = [os.environ["MATHJAX_DIR"]] if os.environ.get("MATHJAX_DIR") else []
    for root in map(Path, [*candidates, *MATHJAX_DIRS]):
        if (root / "MathJax.js").exists() and (root / "config" / "TeX-AMS_CHTML-full.js").exists():
            for part in MATHJAX_PARTS:
                src, dst = root / part, out / "mathjax" / part
                if src.is_dir():
                    shutil.copytree(src, dst, dirs_exist_ok=True)
                elif src.exists():
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, dst)
            return f"mathjax/MathJax.js?config={MATHJAX_CONFIG}"
    print("build_site: no local MathJax 2.7 (apt-get install libjs-mathjax, or set MATHJAX_DIR): the pages load "
          "it from the CDN, so maths renders only online", file=sys.stderr)
    return MATHJAX_CDN


# ----------------------------------------------------------------------------------------------------- main
def build(out: Path, src: Path, executed: Path | None = None, jobs: int = 2, timeout: int = 900) -> dict:
    start = time.perf_counter()
    paths = notebook_paths(src)
    if not paths:
        raise SystemExit(f"build_site: no notebooks NN_*.ipynb in {src}")
    out.mkdir(parents=True, exist_ok=True)
    mathjax_url = copy_mathjax(out)
    shutil.copy(SITE_DIR / "site.css", out / "site.css")

    notebooks: dict[str, tuple] = {}
    if executed is not None:  # already run (e.g. saved from JupyterLab by the browser tests)
        for p in paths:
            notebooks[p.name] = (nbformat.read(executed / p.name, as_version=4), float("nan"))
    else:
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = pool.map(_execute_to_json, [(str(p), timeout) for p in paths])
            for p, (text, seconds) in zip(paths, results, strict=True):
                notebooks[p.name] = (nbformat.reads(text, as_version=4), seconds)
                print(f"build_site: executed {p.name} in {seconds:.1f} s", flush=True)

    pages = [{"notebook": name, "html": name[:-6] + ".html", "title": title_of(nb, name[:-6]),
              "errors": errors_of(nb), "seconds": None if seconds != seconds else round(seconds, 1)}
             for name, (nb, seconds) in notebooks.items()]
    exporter = make_exporter(mathjax_url)
    for i, page in enumerate(pages):
        nb = copy.deepcopy(notebooks[page["notebook"]][0])
        page["test_cells_removed"] = drop_test_cells(nb)
        page["widgets"] = staticize_widgets(nb)
        nb.metadata["title"] = page["title"]
        body, _ = exporter.from_notebook_node(nb, resources={"lecture": {
            **nav(pages, i), "index": "index.html", "position": f"{i + 1} / {len(pages)}"}})
        (out / page["html"]).write_text(add_toc(relink(body)), encoding="utf-8")
    (out / "index.html").write_text(index_html(pages, mathjax_url, out), encoding="utf-8")
    errata = errata_html(mathjax_url)
    if errata:
        (out / "errata.html").write_text(errata, encoding="utf-8")
    manifest = {"pages": pages, "mathjax": "local" if not mathjax_url.startswith("http") else "cdn",
                "build_s": round(time.perf_counter() - start, 1), "executed": executed is None}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "site")
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks", help="the NN_*.ipynb to build")
    parser.add_argument("--executed", type=Path, help="take the executed notebooks from here (no execution)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args(argv)
    manifest = build(args.out, args.notebooks, args.executed, args.jobs, args.timeout)
    bad = [p for p in manifest["pages"] if p["errors"]]
    print(f"build_site: {len(manifest['pages'])} pages in {args.out} ({manifest['build_s']} s, MathJax "
          f"{manifest['mathjax']}); open {args.out / 'index.html'}")
    for p in bad:
        print(f"build_site: ERROR in {p['notebook']}: " + "; ".join(p["errors"]), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
