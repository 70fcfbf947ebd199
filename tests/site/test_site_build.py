"""What ``make site`` does to a notebook before Sphinx renders it, and how it runs the notebooks (no browser,
no Sphinx: tools/site_notebooks.py, tools/site_pages.py, tools/execute_notebooks.py, tools/static_widgets.py).
The built site itself is crawled in Chromium by test_crawl.py and test_paths.py."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import execute_notebooks  # noqa: E402
import site_notebooks  # noqa: E402
import site_pages  # noqa: E402

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n fake figure bytes").decode()


def _nb(*cells):
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_headings_get_targets_without_tex_unique_and_not_from_code_fences():
    proof = "## 1. The proof: $\\Pr(\\arg\\max_i z_i = k)$"
    nb = _nb(new_markdown_cell(f"# 03 · Title\n\n{proof}\n\n```\n# not a heading\n```"),
             new_markdown_cell("### 1.2 All the other $Z_i$ below $z_k$\n\n## Summary\n\n## Summary"))
    heads = site_notebooks.headings(nb, "nb03")
    assert [h.label for h in heads] == ["nb03-03-title", "nb03-1-the-proof", "nb03-1-2-all-the-other-below",
                                        "nb03-summary", "nb03-summary-2"]
    assert [h.number for h in heads] == ["", "1", "1.2", "", ""]
    assert site_notebooks.find_heading(heads, "1.2").label == "nb03-1-2-all-the-other-below"
    assert site_notebooks.find_heading(heads, "1. The proof").label == "nb03-1-the-proof"
    assert site_notebooks.find_heading(heads, "7") is None


def test_prepare_drops_tests_folds_solutions_and_files_figures_with_alt(tmp_path):
    figure = new_output("display_data", data={"image/png": PNG, "text/html": '<img src="data:...">',
                                              "text/plain": "<Figure>"},
                        metadata={"image/png": {"alt": "Figure: a [bracketed] *title*"}})
    chain = new_output("display_data", data={"text/latex": "$$\\text{title}$$\n$$a = b$$", "text/plain": "c"})
    nb = _nb(new_markdown_cell("# 01 · T\n\n## 1. Go"),
             new_code_cell("demo.check_reacts(a=1)", metadata={"tags": ["test-only"]}),
             new_code_cell("plot()", outputs=[figure, chain]),
             new_markdown_cell('<details class="solution"><summary>Solution: $x$</summary>\n\n[errata](../ERRATA.md)'),
             new_code_cell("answer()", metadata={"tags": ["solution"]}))
    info = site_notebooks.prepare(nb, "01_t.ipynb", tmp_path / "_figures")
    assert info["test_cells_removed"] == 1 and all("check_reacts" not in c.source for c in nb.cells)
    assert nb.cells[-1].metadata["tags"] == ["solution", "hide-cell"]
    assert '<summary class="mathjax_process">' in nb.cells[2].source and "](errata.md)" in nb.cells[2].source
    assert nb.cells[0].source == "(nb01-01-t)=\n# 01 · T\n\n(nb01-1-go)=\n## 1. Go"
    shown = nb.cells[1].outputs[0]["data"]
    (png,) = (tmp_path / "_figures").glob("*.png")
    assert png.read_bytes() == base64.b64decode(PNG)
    assert shown["text/markdown"] == f"![Figure: a \\[bracketed\\] \\*title\\*](_figures/{png.name})"
    assert "text/html" not in shown
    assert nb.cells[1].outputs[1]["data"]["text/markdown"] == "$$\n\\text{title}\n$$\n\n$$\na = b\n$$"


def test_download_is_the_notebook_without_outputs(tmp_path):
    clean = tmp_path / "01_clean.ipynb"
    raw = json.dumps(_nb(new_code_cell("1 + 1")), indent=1) + "\n"
    clean.write_text(raw, encoding="utf-8")
    assert site_notebooks.download_bytes(clean) == raw.encode()  # byte for byte, as git holds it
    ran = _nb(new_code_cell("1 + 1", execution_count=3, outputs=[new_output("execute_result", data={
        "text/plain": "2"}, execution_count=3)]))
    dirty = tmp_path / "02_ran.ipynb"
    nbformat.write(ran, dirty)
    shipped = nbformat.reads(site_notebooks.download_bytes(dirty).decode(), as_version=4)
    assert shipped.cells[0].outputs == [] and shipped.cells[0].execution_count is None
    assert shipped.cells[0].source == "1 + 1"


def test_section_references_become_links_and_unknown_ones_are_reported():
    heads = {"02_gumbel": site_notebooks.headings(_nb(new_markdown_cell("## 2. Inverse CDF\n### 2.1 In code\n## 3. X")),
                                                  "nb02")}
    missing: list[str] = []
    text = site_pages.link_sections("notebooks/02_gumbel.ipynb §2.1 *In code* and §3 *X*; 02_gumbel.ipynb §9",
                                    heads, missing)
    assert "{ref}`02 §2.1 <nb02-2-1-in-code>`" in text and "{ref}`§3 <nb02-3-x>`" in text
    assert missing == ["02_gumbel.ipynb §9"]


def test_every_lecture_map_row_links_to_a_heading_of_its_notebook():
    paths = execute_notebooks.notebook_paths()
    heads = {p.stem: site_notebooks.headings(nbformat.read(p, as_version=4), site_notebooks.prefix_of(p.name))
             for p in paths}
    missing: list[str] = []
    page = site_pages.start_page({p.stem: p.stem for p in paths}, heads, missing)
    assert missing == []
    assert page.count("{ref}`") >= 40 and "```{toctree}" in page


def _tiny(folder: Path) -> list[Path]:
    folder.mkdir()
    nbformat.write(_nb(new_markdown_cell("# 01 · Tiny"), new_code_cell("print(6 * 7)")), folder / "01_tiny.ipynb")
    nbformat.write(_nb(new_code_cell("raise ValueError('boom')")), folder / "02_broken.ipynb")
    return execute_notebooks.notebook_paths(folder)


def test_notebooks_run_once_and_again_only_when_changed(tmp_path):
    paths, cache, log = _tiny(tmp_path / "nb"), tmp_path / "executed", []
    done = execute_notebooks.executed(paths, cache, jobs=2, log=log.append)
    assert done["01_tiny.ipynb"]["errors"] == [] and done["01_tiny.ipynb"]["how"] == "nbclient"
    assert "42" in nbformat.read(done["01_tiny.ipynb"]["path"], as_version=4).cells[1].outputs[0]["text"]
    assert "boom" in done["02_broken.ipynb"]["errors"][0]
    log.clear()
    execute_notebooks.executed(paths, cache, log=log.append)
    assert all("reused" in line for line in log) and len(log) == 2
    nb = nbformat.read(paths[0], as_version=4)
    nb.cells[1].source = "print(6 * 8)"
    nbformat.write(nb, paths[0])
    log.clear()
    again = execute_notebooks.executed(paths, cache, log=log.append)
    assert any("01_tiny.ipynb executed" in line for line in log)
    assert "48" in nbformat.read(again["01_tiny.ipynb"]["path"], as_version=4).cells[1].outputs[0]["text"]
    assert execute_notebooks.main(["--notebooks", str(tmp_path / "nb"), "--cache", str(cache)]) == 1
