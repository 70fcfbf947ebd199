"""The notebooks as the course website shows them: what ``make site`` changes in an executed copy before Sphinx
(myst-nb) renders it, and the headings' link targets that the other pages point to.

On a page (derived at build time; the notebooks themselves are not changed):

* cells tagged ``test-only`` are left out, and every demo is its state after the run (``static_widgets``);
* a worked solution's code cell (tag ``solution``) is folded with its output until clicked (myst-nb's
  ``hide-cell``); its explanation is already a folded ``<details class="solution">``, like each erratum note;
* maths in those ``<summary>`` lines is typeset (MathJax only looks inside elements marked for it);
* every heading gets a stable link target ``nbNN-<number and words>`` (a heading with maths in it would
  otherwise get an id made of TeX commands), which the start page, the errata and the homework link to;
* a figure is an image file with its alt text (``lectures_lib.plotting`` stores it with the PNG) instead of
  the inline ``<img>`` copy that JupyterLab shows;
* links to ``ERRATA.md`` / ``README.md`` point to the errata page / start page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import static_widgets

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", flags=re.M)
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", flags=re.S)
# `notebooks/02_x.ipynb §1.2 ... and §3 ...` in the errata and the homework: a notebook and section numbers
SECTION_REF = re.compile(r"(?:notebooks/)?(\d\d_[a-z0-9_]+)\.ipynb\s+§(\d+(?:\.\d+)*)|(?<=\s)§(\d+(?:\.\d+)*)")
SITE_NOTE = ("Interactive demo shown as it was after the run. To move its sliders, press "
             "<b>Run it in your browser</b> at the top of this page.")
PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$])")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str  # as written, maths included
    label: str  # the link target, e.g. nb03-1-the-proof
    number: str  # "1.2" for "### 1.2 All the other ...", "" for an unnumbered heading


def slug(text: str, words: int = 8) -> str:
    """Lower-case words of a heading without its maths, joined by '-' (at most ``words`` words)."""
    plain = MATH.sub(" ", text).lower()
    parts = re.findall(r"[a-z0-9]+", plain)
    return "-".join(parts[:words]) or "section"


def headings(nb, prefix: str) -> list[Heading]:
    """Every Markdown heading of a notebook with its link target (``prefix-slug``, unique in the notebook)."""
    found, seen = [], set()
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in _outside_fences(_text(cell.source)):
            m = HEADING.match(line) if line is not None else None
            if not m:
                continue
            text = m.group(2)
            number = re.match(r"(\d+(?:\.\d+)*)\.?\s", text) if len(m.group(1)) > 1 else None  # (# 03 · title)
            label = base = f"{prefix}-{slug(text)}"
            i = 2
            while label in seen:
                label, i = f"{base}-{i}", i + 1
            seen.add(label)
            found.append(Heading(len(m.group(1)), text, label, number.group(1) if number else ""))
    return found


def find_heading(heads: list[Heading], section: str) -> Heading | None:
    """The heading a reference means: a section number ("1.2") or the start of the heading's text."""
    for h in heads:
        if h.number and h.number == section.strip().rstrip("."):
            return h
    for h in heads:
        if h.text.startswith(section):
            return h
    return None


def prefix_of(name: str) -> str:
    """The label prefix of a notebook: nb03 for 03_gumbel_max_trick.ipynb, hw01 for hw01_gumbel.ipynb."""
    m = re.match(r"(\d\d)_", name)
    return f"nb{m.group(1)}" if m else re.sub(r"[^a-z0-9]", "", name.split("_")[0].lower())


def _text(source) -> str:
    return source if isinstance(source, str) else "".join(source)


def _outside_fences(markdown: str) -> list[str | None]:
    """The lines of ``markdown``, with None for lines inside a fenced code block (```` ``` ```` or ``~~~``)."""
    lines, fence = [], None
    for line in markdown.split("\n"):
        m = re.match(r"\s{0,3}(`{3,}|~{3,})", line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
            lines.append(None)
            continue
        lines.append(None if fence is not None else line)
    return lines


def label_headings(markdown: str, heads: list[Heading], start: int) -> tuple[str, int]:
    """Put a MyST target ``(label)=`` on the line before each heading; returns the text and the next index."""
    out, i = [], start
    for line, visible in zip(markdown.split("\n"), _outside_fences(markdown), strict=True):
        if visible is not None and HEADING.match(visible) and i < len(heads):
            out.append(f"({heads[i].label})=")
            i += 1
        out.append(line)
    return "\n".join(out), i


def mark_summaries(markdown: str) -> str:
    """``<summary>`` lines hold maths ($...$): mark them for MathJax, which leaves unmarked HTML alone."""
    return re.sub(r"<summary(?![^>]*\bclass=)", '<summary class="mathjax_process"', markdown)


def relink(markdown: str, depth: int = 0) -> str:
    """Links to the repository's pages point to the site's: ERRATA.md to the errata page, README.md home."""
    up = "../" * depth
    markdown = re.sub(r"\]\((?:\.\./)*ERRATA\.md(#[^)]*)?\)", rf"]({up}errata.md)", markdown)
    return re.sub(r"\]\((?:\.\./)*README\.md(#[^)]*)?\)", rf"]({up}index.md)", markdown)


def alt_of(out) -> str:
    meta = out.get("metadata", {})
    alt = meta.get("image/png", {}).get("alt") if isinstance(meta.get("image/png"), dict) else None
    return (alt or meta.get("alt") or "").strip()


def md_escape(text: str) -> str:
    return PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def figures_to_files(nb, folder: Path, rel: str) -> int:
    """Every PNG output becomes an image file in ``folder`` shown with its alt text (a Markdown image, which
    Sphinx copies to ``_images``); the inline HTML copy is dropped.  Returns the number of figures."""
    count = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            if "image/png" not in data:
                continue
            raw = base64.b64decode(_text(data["image/png"]))
            name = hashlib.sha256(raw).hexdigest()[:20] + ".png"
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / name).exists():
                (folder / name).write_bytes(raw)
            alt = alt_of(out) or "Figure without a description."
            out["data"] = {"text/markdown": f"![{md_escape(alt)}]({rel}/{name})", "text/plain": "<Figure>"}
            out["metadata"] = {}
            count += 1
    return count


def split_latex(nb) -> int:
    """A LaTeX output of several ``$$...$$`` blocks (a checked chain: its title, then its lines) is shown as
    those blocks, one under the other, as JupyterLab shows it (myst-nb would make one formula of it, which
    MathJax cannot typeset).  Returns the number of outputs changed."""
    n = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            latex = _text(out.get("data", {}).get("text/latex", ""))
            blocks = re.findall(r"\$\$(.+?)\$\$", latex, flags=re.S)
            if len(blocks) > 1 and not re.sub(r"\$\$.+?\$\$", "", latex, flags=re.S).strip():
                out["data"] = {"text/markdown": "\n\n".join(f"$$\n{b.strip()}\n$$" for b in blocks),
                               "text/plain": out["data"].get("text/plain", "")}
                n += 1
    return n


def fold_solutions(nb) -> int:
    """Tag each solution code cell ``hide-cell``: myst-nb folds it (code and output) until clicked."""
    n = 0
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type == "code" and "solution" in tags and "hide-cell" not in tags:
            cell.metadata["tags"] = [*tags, "hide-cell"]
            n += 1
    return n


def prepare(nb, name: str, figures: Path, depth: int = 0) -> dict:
    """Turn an executed notebook (changed in place) into the one its page shows; returns what was done."""
    info = {"test_cells_removed": static_widgets.drop_test_cells(nb),
            "widgets": static_widgets.staticize_widgets(nb, note=SITE_NOTE),
            "solutions_folded": fold_solutions(nb), "latex_split": split_latex(nb)}
    heads, i = headings(nb, prefix_of(name)), 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text, i = label_headings(_text(cell.source), heads, i)
            cell.source = relink(mark_summaries(text), depth)
    info["figures"] = figures_to_files(nb, figures, "../" * depth + "_figures")
    info["headings"] = len(heads)
    return info


def download_bytes(path: Path) -> bytes:
    """The notebook as a student downloads it: as git holds it, without outputs.  A notebook stored stripped
    (every committed one: ``make stripped``) is copied byte for byte; one with outputs (run and saved in a
    checkout) is stripped by nbstripout's rules, as the pre-commit hook would."""
    import nbformat
    from nbstripout import strip_output

    raw = path.read_bytes()
    nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    if all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code"):
        return raw
    stripped = strip_output(nb, keep_output=False, keep_count=False, keep_id=True)
    return (nbformat.writes(stripped) + "\n").encode("utf-8")
