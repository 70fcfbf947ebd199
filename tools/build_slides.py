"""`make slides`: reveal.js slide decks of the notebooks, for presenting in class, all offline.

    python tools/build_slides.py                    # write build/slides/ (runs the notebooks that changed)
    python tools/build_slides.py --executed DIR     # decks of notebooks already executed (and saved) in DIR
    python tools/build_slides.py --write-metadata   # store the slide types in the notebooks (live RISE slides)

Each notebook becomes ``build/slides/NN_name.slides.html`` (``jupyter nbconvert --to slides``), with
reveal.js 4, jQuery and RequireJS copied from ``tools/slides/node_modules`` (``npm ci --prefix tools/slides``,
which `make slides` runs) and MathJax 2 from Debian's ``libjs-mathjax``: nothing comes from a CDN.

Slide metadata is chosen here (and stored in the notebooks by ``--write-metadata``, so that the RISE
extension of ``make lab`` presents the same slides live): a ``##`` section starts a slide, every other
cell is a vertical sub-slide of its section, except cells that continue the previous one (short Markdown,
a figure's code after its text); test-only cells and worked solutions are skipped.  Slides are 1280 x 720;
a slide taller than the screen scrolls.  Demos appear as their state after the run (as on the course website).
The notebooks are executed by tools/execute_notebooks.py, which keeps the copies in ``build/executed/`` and
runs a notebook again only when it or the library changed: `make site` puts the same decks in ``build/site/slides/``.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import execute_notebooks  # noqa: E402
import static_widgets  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ASSETS = Path(__file__).resolve().parent / "slides" / "node_modules"
WIDTH, HEIGHT = 1280, 720
MATHJAX_CONFIG = "TeX-AMS_CHTML-full,Safe"
MATHJAX_DIRS = ("/usr/share/javascript/mathjax", "/usr/share/mathjax", "/usr/share/nodejs/mathjax2")
# The parts of MathJax 2.7 that TeX input with CommonHTML output loads (about 4 MB of 54).
MATHJAX_PARTS = ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions", "jax/input/TeX",
                 "jax/output/CommonHTML", "jax/element/mml", "fonts/HTML-CSS/TeX/woff")
STATIC_NOTE = "Interactive demo as it was after the run: move its sliders in the notebook itself."
#: Markdown this short (lines) rides along with the cell before it instead of taking a slide of its own
SHORT_MARKDOWN = 3


def slide_types(nb) -> list[str]:
    """A reveal slide type for every cell (``slide``, ``subslide``, ``-`` or ``skip``)."""
    types, previous = [], None
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if static_widgets.TEST_ONLY in tags or "solution" in tags or not source.strip():
            types.append("skip")
            continue
        if cell.cell_type == "markdown" and re.match(r"#{1,2} ", source):
            kind = "slide"
        elif cell.cell_type == "markdown" and (re.match(r"#{3,} ", source)
                                               or len(source.splitlines()) > SHORT_MARKDOWN):
            kind = "subslide"
        elif previous == "markdown" and cell.cell_type == "code" and types and types[-1] != "skip":
            kind = "-"  # code right after its explanation: same slide (it scrolls if tall)
        else:
            kind = "subslide"
        if source.lstrip().startswith("## Solutions"):
            kind = "skip"
        types.append(kind)
        previous = cell.cell_type
    if types and types[0] != "skip":
        types[0] = "slide"
    return types


def prepare(nb) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    static_widgets.staticize_widgets(nb, note=STATIC_NOTE)
    for cell, kind in zip(nb.cells, slide_types(nb), strict=True):
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
    return nb


def copy_mathjax(out: Path) -> str:
    """Copy Debian's MathJax 2.7 (``apt-get install libjs-mathjax``, or set ``MATHJAX_DIR``) next to the decks
    and return its URL (relative)."""
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
    raise SystemExit("build_slides: no local MathJax 2.7: apt-get install libjs-mathjax (or set MATHJAX_DIR)")


def relink(page: str, errata: str | None = None) -> str:
    """Links between notebooks point to their decks; ERRATA.md to ``errata`` (the website's page) if given."""
    page = re.sub(r'href="(?:\./)?([0-9]{2}_[^"#/]*)\.ipynb', r'href="\1.slides.html', page)
    return re.sub(r'href="(?:\.\./)?ERRATA\.md', f'href="{errata}', page) if errata else page


def copy_assets(out: Path) -> str:
    """reveal.js, jQuery and RequireJS next to the decks; returns the reveal.js URL prefix (relative)."""
    needed = {"reveal.js": ["dist", "plugin"], "jquery": ["dist/jquery.min.js"], "requirejs": ["require.js"]}
    for package, parts in needed.items():
        for part in parts:
            src = ASSETS / package / part
            if not src.exists():
                raise SystemExit(f"build_slides: {src} is missing: run `npm ci --prefix tools/slides` "
                                 "(make slides does)")
            dst = out / "assets" / package / part
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src, dst)
    return "assets/reveal.js"


def exporter(mathjax_url: str):
    from nbconvert import SlidesExporter

    exp = SlidesExporter()
    exp.reveal_url_prefix = "assets/reveal.js"
    exp.reveal_width, exp.reveal_height, exp.reveal_scroll = str(WIDTH), str(HEIGHT), True
    exp.reveal_theme = "white"  # its fonts ship with reveal.js ("simple" imports Google Fonts)
    exp.jquery_url = "assets/jquery/dist/jquery.min.js"
    exp.require_js_url = "assets/requirejs/require.js"
    exp.mathjax_url = mathjax_url
    # no mermaid diagrams in the notebooks: the template's `import mermaid` gets an empty module inline (never a
    # CDN; a file would be refused to a deck opened from the disk, and a bare "assets/x.js" does not resolve)
    exp.mermaid_js_url = "data:text/javascript,export default {initialize() {}};"
    exp.exclude_input_prompt = exp.exclude_output_prompt = True
    return exp


def build(out: Path, src: Path, executed: Path | None = None, jobs: int = 2,
          cache: Path = execute_notebooks.CACHE, errata: str | None = None, icon: str = "data:,") -> list[Path]:
    """A deck per notebook of ``src`` into ``out``.  The executed notebooks come from ``executed`` if given
    (JupyterLab's saved copies, say), else from ``cache`` (tools/execute_notebooks.py: run there only if
    changed since the last run, so `make site` and `make slides` run each notebook once between them).
    ``icon``: the decks' favicon (without one a browser asks the host's root for /favicon.ico)."""
    paths = execute_notebooks.notebook_paths(src)
    if not paths:
        raise SystemExit(f"build_slides: no notebooks NN_*.ipynb in {src}")
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    mathjax_url = copy_mathjax(out)
    if executed is None:
        copies = {n: info["path"] for n, info in execute_notebooks.executed(paths, cache, jobs).items()}
    else:
        copies = {p.name: executed / p.name for p in paths}
    exp, written = exporter(mathjax_url), []
    for path in paths:
        nb = nbformat.read(copies[path.name], as_version=4)
        body, _ = exp.from_notebook_node(prepare(nb), resources={"metadata": {"name": path.stem}})
        target = out / f"{path.stem}.slides.html"
        body = body.replace("</head>", f'<link rel="icon" href="{icon}">\n</head>', 1)
        target.write_text(relink(body, errata), encoding="utf-8")
        written.append(target)
    return written


def write_metadata(src: Path) -> list[str]:
    """Store each cell's slide type in the notebooks themselves (JSON kept as it is); returns the changed ones."""
    import json

    changed = []
    for path in execute_notebooks.notebook_paths(src):
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
        kinds = slide_types(nbformat.reads(text, as_version=4))
        for cell, kind in zip(raw["cells"], kinds, strict=True):
            cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
        new = json.dumps(raw, indent=1, ensure_ascii=False) + "\n"
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path.name)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "slides")
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks")
    parser.add_argument("--executed", type=Path, help="take the executed notebooks from here (no execution)")
    parser.add_argument("--write-metadata", action="store_true", help="store the slide types in the notebooks")
    args = parser.parse_args(argv)
    if args.write_metadata:
        print("build_slides: slide metadata written to", ", ".join(write_metadata(args.notebooks)) or "nothing")
        return 0
    written = build(args.out, args.notebooks, args.executed)
    print(f"build_slides: {len(written)} decks in {args.out}; open {written[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
