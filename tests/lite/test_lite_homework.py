"""The homework in the zero-install lecture: the student notebooks sit in ``homework/`` of the JupyterLite site, as
``make homework`` built them (in the student's copy that the site serves every notebook as), without solutions.

That ``grader.check`` works in the browser's Python (through ``lectures_lib.public_checks``, as otter cannot be
installed there), naming a classic mistake and passing a right answer, is checked in Chromium on the way to handing
the homework in: ``test_lite_hand_in.py``.
"""

from __future__ import annotations

import json

from lite import student_copy
from litelib import REPO, SITE


def test_site_has_every_student_notebook_and_no_solution():
    manifest = json.loads((REPO / "build" / "homework" / "manifest.json").read_text())
    folder = SITE / "files" / "homework"
    assert sorted(p.name for p in folder.glob("*.ipynb")) == sorted(a["notebook"] for a in manifest["assignments"])
    for a in manifest["assignments"]:
        nb = json.loads((folder / a["notebook"]).read_text(encoding="utf-8"))
        built = json.loads((REPO / "build" / "homework" / a["student_notebook"]).read_text(encoding="utf-8"))
        assert nb == student_copy.student_copy(built), a["name"]  # make homework's, as the site serves a notebook
        assert nb["metadata"]["otter"]["tests"], "the public tests travel in the notebook's metadata"
        init = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert "from lectures_lib import public_checks as otter" in init, init
    assert (folder / "README.md").exists()
    assert not list(SITE.rglob("*autograder*")) and not list((SITE / "files").rglob("solved"))
