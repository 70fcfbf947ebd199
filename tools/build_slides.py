"""`make slides`: reveal.js slide decks of the notebooks, for presenting in class, all offline.

    python tools/build_slides.py                    # execute notebooks/ and write build/slides/
    python tools/build_slides.py --executed DIR     # decks of notebooks already executed (and saved) in DIR
    python tools/build_slides.py --write-metadata   # store the slide types in the notebooks (live RISE slides)

Each notebook becomes ``build/slides/NN_name.slides.html`` (``jupyter nbconvert --to slides``), with
reveal.js 4, jQuery and RequireJS copied from ``tools/slides/node_modules`` (``npm ci --prefix tools/slides``,
which `make slides` runs) and MathJax 2 from Debian's ``libjs-mathjax``: nothing comes from a CDN.

Slide metadata is chosen here (and stored in the notebooks by ``--write-metadata``, so that the RISE
extension of ``make lab`` presents the same slides live): a ``##`` section starts a slide, every other
cell is a vertical sub-slide of its section, except cells that continue the previous one (short Markdown,
a figure's code after its text); test-only cells and worked solutions are skipped.  Slides are 1280 x 720;
a slide taller than the screen scrolls.  Demos appear as their state after the run (as on the static site).
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_site  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ASSETS = Path(__file__).resolve().parent / "slides" / "node_modules"
WIDTH, HEIGHT = 1280, 720
#: Markdown this short (lines) rides along with the cell before it instead of taking a slide of its own
SHORT_MARKDOWN = 3


def slide_types(nb) -> list[str]:
    """A reveal slide type for every cell (``slide``, ``subslide``, ``-`` or ``skip``)."""
    types, previous = [], None
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if build_site.TEST_ONLY in tags or "solution" in tags or not source.strip():
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
    build_site.staticize_widgets(nb)
    for cell, kind in zip(nb.cells, slide_types(nb), strict=True):
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
    return nb


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
    exp.mermaid_js_url = "assets/none.js"  # no mermaid diagrams in the notebooks; never fetched from a CDN
    exp.exclude_input_prompt = exp.exclude_output_prompt = True
    return exp


def build(out: Path, src: Path, executed: Path | None = None, jobs: int = 2) -> list[Path]:
    paths = build_site.notebook_paths(src)
    if not paths:
        raise SystemExit(f"build_slides: no notebooks NN_*.ipynb in {src}")
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    (out / "assets" / "none.js").write_text("export default {initialize() {}};\n", encoding="utf-8")
    mathjax_url = build_site.copy_mathjax(out)
    exp, written = exporter(mathjax_url), []
    for path in paths:
        if executed is not None:
            nb = nbformat.read(executed / path.name, as_version=4)
        else:
            nb, seconds = build_site.execute(path)
            print(f"build_slides: executed {path.name} in {seconds:.1f} s", flush=True)
        body, _ = exp.from_notebook_node(prepare(nb), resources={"metadata": {"name": path.stem}})
        target = out / f"{path.stem}.slides.html"
        target.write_text(build_site.relink(body).replace(".html#", ".slides.html#"), encoding="utf-8")
        written.append(target)
    return written


def write_metadata(src: Path) -> list[str]:
    """Store each cell's slide type in the notebooks themselves (JSON kept as it is); returns the changed ones."""
    import json

    changed = []
    for path in build_site.notebook_paths(src):
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
