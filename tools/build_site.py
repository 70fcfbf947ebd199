"""`make site`: the whole course in one folder, ``build/site/``, on the standard book toolchain, all offline.

    python tools/build_site.py                       # make site (after make lite and make homework)
    python tools/build_site.py --out DIR --jobs 2    # where to, and how many notebooks run at once
    python tools/build_site.py --executed DIR        # executed copies kept there (default build/executed)

What is in the folder (every URL relative: it works at a host's root and under any sub-path):

* ``index.html``, the start page: how to use the site and the lecture map (slide -> section -> library);
  a page per notebook (``NN_name.html``, by Sphinx + myst-nb + sphinx-book-theme: sidebar, search,
  previous / next), with outputs, folded solutions and errata, figures with alt text, demos as their state
  after the run; each with **Run it in your browser**, **Slides** and **Download the notebook**;
  ``errata.html``, ``coverage.html`` and ``homework/index.html`` (with a page per assignment's questions);
* ``lite/``: the JupyterLite site of ``make lite`` (tools/build_lite.py, every Pyodide file checked by hash),
  where the run buttons open a notebook in JupyterLite's Notebook interface;
* ``slides/``: the reveal.js decks (tools/build_slides.py), made from the same executed copies as the pages;
* ``notebooks/NN_name.ipynb``: the notebooks as git holds them (no outputs), and ``homework/<name>.ipynb`` and
  ``.zip``: the student notebooks and hand-outs of ``make homework``.

Each notebook is executed once (tools/execute_notebooks.py keeps the copies and runs a notebook again only when
it or the library changed); Sphinx runs in its own environment (``.venv-site``, tools/site/requirements.txt).
Exit status 1 if a notebook raised an error or Sphinx warned (a broken reference, a missing page).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_slides  # noqa: E402
import execute_notebooks  # noqa: E402
import site_notebooks  # noqa: E402
import site_pages  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SITE_TOOLS = REPO / "tools" / "site"
BUILD = REPO / "build"
SPHINX = REPO / ".venv-site" / "bin" / "sphinx-build"
MATHJAX = SITE_TOOLS / "node_modules" / "mathjax" / "es5"
NOT_TRUSTED_BUTTON = "@jupyter-notebook/notebook-extension:trusted"
# MathJax 3's TeX-to-HTML component and what it loads on demand (TeX extensions, fonts, menu, accessibility)
MATHJAX_PARTS = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "a11y", "sre", "ui",
                 "adaptors")


def write(path: Path, text: str | bytes) -> None:
    """Write only what changed, so that Sphinx re-reads only changed pages (its cache is build/site-doctrees)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def title_of(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in (cell.source if isinstance(cell.source, str) else "".join(cell.source)).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def copy_mathjax(static: Path) -> None:
    if not (MATHJAX / "tex-chtml.js").exists():
        raise SystemExit(f"build_site: {MATHJAX} is missing: run `npm ci --prefix tools/site` (make site does)")
    for part in MATHJAX_PARTS:
        src, dst = MATHJAX / part, static / "mathjax" / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def notebook_actions(stem: str) -> list[dict]:
    return [
        {"kind": "run", "text": "▶ Run it in your browser",
         "href": site_pages.LITE_NOTEBOOK.format(path=f"{stem}.ipynb"), "note": site_pages.FIRST_START},
        {"kind": "slides", "text": "Slides", "href": f"slides/{stem}.slides.html"},
        {"kind": "download", "text": "Download the notebook (.ipynb)", "href": f"notebooks/{stem}.ipynb",
         "download": f"{stem}.ipynb"},
    ]


def homework_actions(stem: str) -> list[dict]:
    return [
        {"kind": "run", "text": "▶ Open it in your browser",
         "href": site_pages.LITE_NOTEBOOK.format(path=f"homework/{stem}.ipynb"), "note": site_pages.FIRST_START},
        {"kind": "download", "text": "Download the notebook (.ipynb)", "href": f"homework/{stem}.ipynb",
         "download": f"{stem}.ipynb"},
    ]


def write_sources(src: Path, executed: dict, homework: Path) -> dict:
    """The Sphinx source folder: prepared notebooks, the generated pages, static files, the pages' actions."""
    paths = execute_notebooks.notebook_paths()
    sources = {p.stem: nbformat.read(p, as_version=4) for p in paths}
    heads = {stem: site_notebooks.headings(nb, site_notebooks.prefix_of(stem)) for stem, nb in sources.items()}
    titles = {stem: title_of(nb, stem) for stem, nb in sources.items()}
    report, actions, missing = {}, {}, []
    for p in paths:
        nb = nbformat.read(executed[p.name]["path"], as_version=4)
        report[p.name] = site_notebooks.prepare(nb, p.name, src / "_figures")
        write(src / p.name, nbformat.writes(nb))
        actions[p.stem] = notebook_actions(p.stem)

    manifest = json.loads((homework / "manifest.json").read_text())
    hw_titles = {}
    for a in manifest["assignments"]:
        stem = a["notebook"].removesuffix(".ipynb")
        nb = nbformat.read(homework / a["student_notebook"], as_version=4)
        hw_titles[stem] = title_of(nb, stem)
        site_notebooks.prepare(nb, a["notebook"], src / "_figures", depth=1)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = site_pages.link_sections(cell.source, heads, missing)
        write(src / "homework" / a["notebook"], nbformat.writes(nb))
        actions[f"homework/{stem}"] = homework_actions(stem)

    write(src / "index.md", site_pages.start_page(titles, heads, missing))
    write(src / "errata.md", site_pages.errata_page((REPO / "ERRATA.md").read_text(encoding="utf-8"), heads, missing))
    write(src / "coverage.md", site_pages.coverage_page((REPO / "COVERAGE.md").read_text(encoding="utf-8")))
    write(src / "homework" / "index.md", site_pages.homework_page(
        manifest["assignments"], hw_titles, (REPO / "homework" / "STUDENTS.md").read_text(encoding="utf-8"),
        heads, missing))
    write(src / "_course.json", json.dumps(actions, indent=1, ensure_ascii=False))
    copy_mathjax(src / "_generated_static")  # (course_ext adds it to html_static_path)
    if missing:
        raise SystemExit("build_site: references to sections that do not exist:\n  " + "\n  ".join(missing))
    return report


def sphinx(src: Path, out: Path, doctrees: Path, jobs: int) -> tuple[int, str]:
    if not SPHINX.exists():
        raise SystemExit(f"build_site: {SPHINX} is missing: make site installs it (tools/site/requirements.txt)")
    cmd = [str(SPHINX), "-b", "html", "-c", str(SITE_TOOLS), "-d", str(doctrees), "-j", str(max(1, jobs)),
           "-W", "--keep-going", "-q", str(src), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    return done.returncode, (done.stdout + done.stderr).strip()


def fit_lite(lite: Path) -> None:
    """JupyterLite as the run buttons open it, under any sub-path: each app page names its icon (without one a
    browser asks the host's root for /favicon.ico, outside the course's folder), and the Notebook interface
    shows no "Not Trusted" button (a notebook opened from the course is the course's; the button only worries a
    first-time student)."""
    for page in [lite / "index.html", *lite.glob("*/index.html")]:
        text = page.read_text(encoding="utf-8")
        if 'rel="icon"' not in text and "</head>" in text:
            icon = "favicon.ico" if (page.parent / "favicon.ico").exists() else \
                ("../" if page.parent != lite else "") + "lab/favicon.ico"
            page.write_text(text.replace("</head>", f'<link rel="icon" href="{icon}"></head>', 1), encoding="utf-8")
    config_path = lite / "jupyter-lite.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    disabled = config["jupyter-config-data"].setdefault("disabledExtensions", [])
    if NOT_TRUSTED_BUTTON not in disabled:
        disabled.append(NOT_TRUSTED_BUTTON)
    config_path.write_text(json.dumps(config, indent=1), encoding="utf-8")


def copy_extras(out: Path, lite: Path, homework: Path) -> None:
    """The folders Sphinx does not make: JupyterLite, the notebooks to download, the homework's files."""
    if not (lite / "index.html").exists():
        raise SystemExit(f"build_site: {lite} has no JupyterLite site: run make lite first (make site does)")
    shutil.copytree(lite, out / "lite", dirs_exist_ok=True)
    fit_lite(out / "lite")
    for p in execute_notebooks.notebook_paths():
        write(out / "notebooks" / p.name, site_notebooks.download_bytes(p))
    for a in json.loads((homework / "manifest.json").read_text())["assignments"]:
        shutil.copy2(homework / a["student_notebook"], out / "homework" / a["notebook"])
        shutil.copy2(homework / a["handout_zip"], out / "homework" / Path(a["handout_zip"]).name)


def build(out: Path, cache: Path, jobs: int = 2, lite: Path = BUILD / "lite", homework: Path = BUILD / "homework",
          log=print) -> dict:
    start = time.perf_counter()
    executed = execute_notebooks.executed(execute_notebooks.notebook_paths(), cache, jobs, log=log)
    t_exec = time.perf_counter()
    src = BUILD / "site-src"
    pages = write_sources(src, executed, homework)
    shutil.rmtree(out, ignore_errors=True)
    status, sphinx_log = sphinx(src, out, BUILD / "site-doctrees", jobs)
    t_sphinx = time.perf_counter()
    copy_extras(out, lite, homework)
    decks = build_slides.build(out / "slides", execute_notebooks.NOTEBOOKS, executed=cache,
                               errata="../errata.html", icon="../_static/favicon.svg")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    summary = {
        "pages": pages, "errors": {n: e["errors"] for n, e in executed.items() if e["errors"]},
        "sphinx_status": status, "sphinx_log": sphinx_log, "decks": len(decks),
        "seconds": {"execute": round(t_exec - start, 1), "sphinx": round(t_sphinx - t_exec, 1),
                    "total": round(time.perf_counter() - start, 1)},
        "megabytes": round(size / 1e6, 1),
        "megabytes_without_lite": round((size - sum(p.stat().st_size for p in (out / "lite").rglob("*")
                                                    if p.is_file())) / 1e6, 1),
    }
    write(BUILD / "site-build.json", json.dumps(summary, indent=1) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=BUILD / "site")
    parser.add_argument("--executed", type=Path, default=execute_notebooks.CACHE,
                        help="where the executed notebooks are kept (a notebook runs again only if it changed)")
    parser.add_argument("--lite", type=Path, default=BUILD / "lite", help="the JupyterLite site (make lite)")
    parser.add_argument("--homework", type=Path, default=BUILD / "homework", help="what make homework built")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once, Sphinx processes")
    args = parser.parse_args(argv)
    s = build(args.out, args.executed, args.jobs, args.lite, args.homework)
    if s["sphinx_log"]:
        print(s["sphinx_log"], file=sys.stderr)
    for name, errors in s["errors"].items():
        print(f"build_site: ERROR in {name}: " + "; ".join(errors), file=sys.stderr)
    print(f"build_site: {len(s['pages'])} notebook pages, {s['decks']} slide decks, JupyterLite in {args.out} "
          f"({s['megabytes']} MB, {s['megabytes_without_lite']} MB without JupyterLite; {s['seconds']['total']} s, "
          f"of which executing {s['seconds']['execute']} s and Sphinx {s['seconds']['sphinx']} s).\n"
          f"Serve it with `make site-serve` and open http://127.0.0.1:8000/index.html")
    return 1 if s["errors"] or s["sphinx_status"] else 0


if __name__ == "__main__":
    sys.exit(main())
