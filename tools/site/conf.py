# Sphinx configuration of the course website (`make site`; tools/build_site.py writes the sources into
# build/site-src/ and runs `sphinx-build -c tools/site build/site-src build/site`).
# Toolchain: Sphinx + myst-nb (notebooks as pages, already executed: nothing runs here) + sphinx-book-theme,
# all pinned in tools/site/requirements.txt; MathJax 3 from npm (tools/site/package.json), served by the site.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # course_ext.py beside this file

project = "Re-parameterization and the Gumbel-max trick"
author = "the lecture's notebook authors"
copyright = "2018 Richard Yi Da Xu (slides); the notebooks' authors"  # noqa: A001 (Sphinx's name)
language = "en"

extensions = ["myst_nb", "sphinx.ext.githubpages", "course_ext"]  # githubpages: .nojekyll (folders named _static)
exclude_patterns = ["_build", "**.ipynb_checkpoints", "_course.json"]
suppress_warnings = ["myst.header"]  # notebooks start at "#", and a few sections skip a level on purpose

# --- notebooks: executed by tools/execute_notebooks.py before Sphinx runs, never here
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # demos are static HTML (tools/static_widgets.py): no require.js, no widget manager
nb_render_markdown_format = "myst"  # Markdown outputs (tables, summaries) with their maths
nb_merge_streams = True
nb_code_prompt_show = "Show the solution's code and its output"
nb_code_prompt_hide = "Hide the solution's code"
myst_enable_extensions = ["dollarmath", "amsmath"]
# MathJax typesets maths nodes and also the marked HTML: <summary class="mathjax_process"> lines and outputs
myst_mathjax_classes = "tex2jax_process|mathjax_process|math|output_area|cell_output"

# --- maths: MathJax 3 from the site itself (copied into _static/mathjax by tools/build_site.py)
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {
    "tex": {"inlineMath": [["$", "$"], ["\\(", "\\)"]], "processEscapes": True},
    "options": {"ignoreHtmlClass": "tex2jax_ignore|mathjax_ignore|document"},
}

# --- pages
html_theme = "sphinx_book_theme"
html_title = "Re-parameterization and the Gumbel-max trick"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_favicon = "_static/favicon.svg"
html_copy_source = False  # the download is the notebook as git holds it (course_ext), not the executed copy
html_show_sourcelink = False
html_show_sphinx = False
html_last_updated_fmt = None
html_theme_options = {
    # no link to any repository, no launch buttons into other hosts, no download of the executed copy:
    # the notebook pages get their own buttons (course_ext)
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "use_source_button": False,
    "use_edit_page_button": False,
    "use_issues_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "show_navbar_depth": 1,
    "search_bar_text": "Search the course...",
    "navigation_with_keys": False,
    "navbar_persistent": [],  # one search field, in the sidebar (the header's would be a second)
    # the errata and coverage tables are wide: their pages give the "on this page" column to the table
    "secondary_sidebar_items": {"**": ["page-toc.html"], "errata": [], "coverage": []},
}
html_context = {"default_mode": "light"}
myst_dmath_double_inline = True  # $$...$$ inside a paragraph, as JupyterLab reads it
