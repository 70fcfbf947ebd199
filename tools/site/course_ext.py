"""Sphinx extension of the course website: each notebook page's actions, and pages that ask no other host.

* Under the title of a notebook page, a bar of actions (``_course.json`` in the source folder, written by
  ``tools/build_site.py``, says which page gets which): **Run it in your browser** (the notebook in the
  JupyterLite site inside the same folder), **Slides** (its reveal.js deck, same folder) and **Download the
  notebook** (as git holds it).  Every URL is relative to the page, so the folder works at a host's root and
  under any sub-path.
* The sidebar's fold buttons (a ``<summary>`` holding only a chevron icon in pydata-sphinx-theme's navigation)
  get a name, so screen readers say what they open (axe-core: summary-name, serious).
* No page loads a script or stylesheet from another host: an extension that adds one (a CDN, a web font)
  makes the build warn (and ``make site`` fails on warnings) instead of shipping it.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from docutils import nodes
from markupsafe import Markup
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
FOREIGN = ("http://", "https://", "//")
FOLD_LABEL = "Show or hide the pages of this section"


def _actions(app) -> dict:
    if not hasattr(app, "_course_actions"):
        path = Path(app.srcdir) / "_course.json"
        app._course_actions = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return app._course_actions


def action_bar(actions: list[dict], depth: int) -> str:
    """The HTML of a page's action bar; ``href`` is relative to the site's root, ``depth`` the page's folder depth."""
    up = "../" * depth
    links = []
    for a in actions:
        extra = f' download="{html.escape(a["download"])}"' if a.get("download") else ""
        links.append(f'<a class="course-action course-action-{a["kind"]}" href="{html.escape(up + a["href"])}"'
                     f'{extra}>{html.escape(a["text"])}</a>')
    note = next((a["note"] for a in actions if a.get("note")), "")
    hint = f'<p class="course-actions-note">{note}</p>' if note else ""
    return f'<div class="course-actions" role="group" aria-label="Work with this notebook">{"".join(links)}</div>{hint}'


def add_action_bar(app, doctree, docname: str) -> None:
    """Insert the page's action bar right after its title."""
    actions = _actions(app).get(docname)
    if not actions:
        return
    title = next(iter(doctree.findall(nodes.title)), None)
    if title is None:
        LOGGER.warning(f"course_ext: {docname} has no title to put its actions under", location=docname)
        return
    section = title.parent
    section.insert(section.index(title) + 1, nodes.raw("", action_bar(actions, docname.count("/")), format="html"))


def refuse_foreign_assets(app, pagename, templatename, context, doctree) -> None:
    """Warn about (and drop) any script or stylesheet that a page would load from another host."""
    for key in ("script_files", "css_files"):
        kept = []
        for asset in context.get(key, []):
            url = getattr(asset, "filename", asset)
            if isinstance(url, str) and url.startswith(FOREIGN):
                LOGGER.warning(f"course_ext: {pagename} would load {url} from another host: left out")
                continue
            kept.append(asset)
        context[key] = kept


def add_generated_static(app) -> None:
    """Static files that the build writes into the source folder (MathJax from npm) are served as _static too."""
    generated = Path(app.srcdir) / "_generated_static"
    if generated.is_dir():
        app.config.html_static_path = [*app.config.html_static_path, str(generated)]


def name_sidebar_folds(app, pagename, templatename, context, doctree) -> None:
    """Give the theme's icon-only fold buttons of the navigation an accessible name."""
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "_names_folds", False):
        return

    def named(*args, **kwargs):
        out = generate(*args, **kwargs)
        if hasattr(out, "select"):  # the navigation as a BeautifulSoup tree, rendered by the template
            for summary in out.select("summary"):
                if not summary.get_text(strip=True) and not summary.get("aria-label"):
                    summary["aria-label"] = FOLD_LABEL
        elif isinstance(out, str):
            fixed = re.sub(r"<summary>(?=\s*<span[^>]*toctree-toggle)", f'<summary aria-label="{FOLD_LABEL}">', out)
            out = Markup(fixed) if isinstance(out, Markup) else fixed
        return out

    named._names_folds = True
    context["generate_toctree_html"] = named


def setup(app):
    app.connect("html-page-context", name_sidebar_folds, priority=900)
    app.connect("builder-inited", add_generated_static)
    app.connect("doctree-resolved", add_action_bar)
    app.connect("html-page-context", refuse_foreign_assets, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
