"""axe-core audit of one notebook as JupyterLab shows it, after Run All (the lab tests' run, page kept open).

The audit covers what the lecture puts on the page: rendered Markdown (text, maths, folded errata and
solutions), figures, printed text and HTML outputs.  It leaves out JupyterLab's own controls (the code
editors, the windowed notebook list, toolbar buttons) and the ipywidgets controls, whose ARIA is not ours
to change: axe reports CodeMirror editors without a label, the slider handle of ipywidgets without a name and
the icon-only Play buttons (upstream, JupyterLab 4 and ipywidgets 8).  The static site, which has no such
controls, is audited whole in ``test_site.py``.
"""

from __future__ import annotations

import json

import pytest

NOTEBOOK = "03_gumbel_max_trick.ipynb"  # a demo notebook: the lab tests keep its page open
CONTENT = {"include": [[".jp-RenderedMarkdown"], [".jp-RenderedImage"], [".jp-RenderedText"],
                       [".jp-RenderedLatex"], [".jp-RenderedHTMLCommon"]]}


def test_axe_audit_of_a_notebook_in_jupyterlab(lab_runs):
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright",
                                     reason="pip install axe-playwright-python (the test extra)")
    run = lab_runs.result(NOTEBOOK)
    assert run.failure is None and not run.errors, run.failure or run.errors
    page = run.page
    assert page is not None and not page.is_closed(), "the lab tests should keep this notebook's page open"
    page.bring_to_front()
    # figures are shown as PNG, or as HTML <img alt="..."> where the notebook gives them alt text
    rendered = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) :is(.jp-RenderedImage, .jp-RenderedHTMLCommon) img"
                            ).count()
    assert rendered > 0, "no figure rendered: the audit would check nothing"
    results = axe_module.Axe().run(page, context=CONTENT)
    serious = [{"impact": v["impact"], "id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:5]]}
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, json.dumps(serious, indent=1, ensure_ascii=False)
