"""The course website's own pages, written as MyST Markdown for Sphinx: the start page (the lecture map), the
slide errata (``ERRATA.md``), the slide coverage (``COVERAGE.md``) and the homework page (``make homework``'s
assignments and ``homework/STUDENTS.md``).  References to notebook sections become links to the headings'
targets (``site_notebooks.headings``), so a renamed heading fails the build instead of leaving a dead link.
"""

from __future__ import annotations

import re

from site_notebooks import SECTION_REF, Heading, find_heading, prefix_of

LITE_NOTEBOOK = "lite/notebooks/index.html?path={path}"  # JupyterLite's Notebook interface: one notebook, no IDE
TITLE = "Re-parameterization and the Gumbel-max trick"
FIRST_START = ("Python runs inside your browser tab: nothing to install. It starts in about 20 s, packages included; "
               "your changes stay in this browser only, so download the notebook to keep them.")


def cell(text: str) -> str:
    """Text for a Markdown table cell (a bare | would end the cell)."""
    return text.replace("|", "\\|")


def code_wbr(name: str) -> str:
    """Inline code (raw HTML) that a narrow table column breaks only after ``.``, ``/``, ``_`` or ``::``."""
    import html

    parts = re.split(r"(?<=[./_:])(?!:)", name)
    inner = "<wbr>".join(html.escape(p) for p in parts)
    return f'<code class="docutils literal notranslate wbr"><span class="pre">{inner}</span></code>'


def ref(label: str, text: str) -> str:
    text = text.replace("<", "&lt;").replace("`", "'")
    return f"{{ref}}`{text} <{label}>`"


def link_sections(text: str, heads: dict[str, list[Heading]], strict: list[str]) -> str:
    """``notebooks/02_x.ipynb §1.2`` becomes a link to that section, and so does a later ``§3`` on the same
    line (same notebook); an unknown section is added to ``strict``."""
    def line(text: str) -> str:
        current = None

        def sub(m: re.Match) -> str:
            nonlocal current
            if m.group(1):
                current = m.group(1)
            if current is None:  # a bare § with no notebook before it: left as it is
                return m.group(0)
            number = m.group(2) or m.group(3)
            found = find_heading(heads.get(current, []), number)
            if found is None:
                strict.append(m.group(0))
                return m.group(0)
            return ref(found.label, f"{current[:2]} §{number}" if m.group(1) else f"§{number}")
        return SECTION_REF.sub(sub, text)
    return "\n".join(line(t) for t in text.split("\n"))


def start_page(titles: dict[str, str], heads: dict[str, list[Heading]], missing: list[str]) -> str:
    """index.md: what the site is, how to use it, the lecture map, and the tables of contents."""
    from lectures_lib.lecture_map import LECTURE_MAP

    rows = ["| Slide | Notebook → section | Library |", "|---|---|---|"]
    for e in LECTURE_MAP:
        stem = e.notebook.removesuffix(".ipynb")
        head = find_heading(heads.get(stem, []), e.section)
        if head is None:
            missing.append(f"lecture map: {e.notebook} → {e.section}")
            where = cell(f"{e.notebook} → {e.section}")
        else:
            where = ref(head.label, f"{stem[:2]} → {e.section}")
        funcs = ", ".join(code_wbr(f) for f in e.functions) or "—"
        rows.append(f"| {cell(e.slide)} | {where} | {funcs} |")
    notebooks = "\n".join(titles)
    return f"""# {TITLE}

Interactive notebooks for the lecture *Re-parameterization and Gumbel-max Trick* (A/Prof Richard Yi Da Xu, UTS, 2018).
They follow the slides derivation by derivation: every step is checked by SymPy or by a numerical test, every formula
is recomputed in a few lines of NumPy, and every mistake on the slides is marked as a **slide erratum**, corrected and
proved ([the errata](errata.md)).

## How to use this site

- **Read.** Each notebook is a page, with the outputs of a run made when this site was built.
  Demos show their state after that run; solutions to the exercises are folded until you click them.
- **Run it in your browser.** The button at the top of every notebook page opens that notebook, live.
  {FIRST_START}
  Run a cell with **Shift+Enter**, or all of them with *Run ▸ Run All Cells*; then drag the sliders.
- **Slides.** The *Slides* button shows the same notebook as a slide deck, for class (arrow keys to move).
- **Homework.** [Five problem sets](homework/index.md) that check your answers as you go, in the browser too.
- **Search** (top left) finds a word in every page; the arrows at the bottom of a page go to the previous and next.

Start with [notebook 00](00_start_here.ipynb), then follow the numbers.

## The notebooks

```{{toctree}}
:caption: The lecture
:maxdepth: 1

{notebooks}
```

```{{toctree}}
:caption: Course work
:maxdepth: 1

homework/index
errata
coverage
```

## Lecture map

Each slide, the notebook section that teaches it, and the library functions it introduces
(`lectures_lib`, in the notebooks' own Python).

{chr(10).join(rows)}
"""


WIDE = '<div class="course-wide-page"></div>'  # (course.css: a page with a wide table uses the whole window)


def notebook_mentions(text: str) -> str:
    """`notebooks/09_x.ipynb` in the text becomes a link to that notebook's page, "notebook 09"."""
    return re.sub(r"`notebooks/((\d\d)_[a-z0-9_]+)\.ipynb`", r"[notebook \2](\1.ipynb)", text)


def wide(text: str) -> str:
    """The page under its title is marked wide."""
    title, _, rest = text.partition("\n")
    return f"{title}\n\n{WIDE}\n{rest}"


def errata_page(text: str, heads: dict[str, list[Heading]], missing: list[str]) -> str:
    """ERRATA.md with its "Shown in" cells linked to the sections and its test names as code."""
    text = wide(link_sections(text, heads, missing))
    text = re.sub(r"(?<![`/\w])(tests/test_[\w/]+\.py(?:::[\w\[\]-]+)?)", lambda m: code_wbr(m.group(1)), text)
    return notebook_mentions(text)


def coverage_page(text: str) -> str:
    """COVERAGE.md with its link to ERRATA.md pointing to the errata page."""
    text = re.sub(r"\]\(ERRATA\.md\)", "](errata.md)", text)
    return wide(notebook_mentions(text))


def homework_page(assignments: list[dict], titles: dict[str, str], students_md: str,
                  heads: dict[str, list[Heading]], missing: list[str]) -> str:
    """homework/index.md: every assignment (questions, points, lecture sections) with its links, then how to work
    on it and hand it in (``homework/STUDENTS.md``, the README of every hand-out zip)."""
    parts = []
    for a in assignments:
        stem = a["notebook"].removesuffix(".ipynb")
        rows = ["| Question | Points | Lecture |", "|---|---|---|"]
        for q in a["questions"]:
            points = f"{q['points']:g}" + (" (by hand)" if q["manual"] else "")
            lecture = link_sections(cell(q.get("lecture", "")), heads, missing)
            rows.append(f"| {cell(q['title'])} | {points} | {lecture} |")
        total = sum(q["points"] for q in a["questions"])
        auto = sum(q["points"] for q in a["questions"] if not q["manual"])
        lite = LITE_NOTEBOOK.format(path=f"homework/{a['notebook']}")
        parts.append(f"""## {titles[stem]}

<div class="course-actions" role="group" aria-label="{titles[stem]}"><a class="course-action course-action-run" \
href="../{lite}">Open it in your browser</a><a class="course-action course-action-read" href="{stem}.html">Read the \
questions</a><a class="course-action course-action-download" href="{a['notebook']}" download="{a['notebook']}">\
Download the notebook (.ipynb)</a><a class="course-action course-action-zip" href="{stem}.zip" \
download="{stem}.zip">Hand-out zip, for JupyterLab</a></div>

{len(a['questions'])} questions, {total:g} points ({auto:g} checked automatically).

{chr(10).join(rows)}
""")
    toc = "\n".join(a["notebook"].removesuffix(".ipynb") for a in assignments)
    body = students_md.split("\n## ", 1)[1] if "\n## " in students_md else ""
    how = re.sub(r"^(#+) ", r"#\1 ", "## " + body, flags=re.M) if body else ""
    return f"""# Homework

Five problem sets, one per part of the lecture and one for notebook 09.
Each question names the lecture section it practises, and `grader.check("q1")` under it runs the public tests as
you go: in your browser with nothing installed (**Open it in your browser**), or in JupyterLab with the course's
packages (the hand-out zip).
{FIRST_START}

{chr(10).join(parts)}

## How to work on it and hand it in

{how}

```{{toctree}}
:hidden:

{toc}
```
"""


def page_prefixes(names: list[str]) -> dict[str, str]:
    return {n.removesuffix(".ipynb"): prefix_of(n) for n in names}
