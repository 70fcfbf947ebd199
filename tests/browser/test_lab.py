"""Every notebook, opened in a real JupyterLab in Chromium and run with Run ▸ Run All Cells, runs cleanly.

The runs themselves happen in the ``lab_runs`` fixture (two notebooks at a time); each test here asks for
the run of its notebook and checks it.  Full-page screenshots land in ``build/screenshots/<notebook>.png``.
"""

from __future__ import annotations

from browserlib import assert_ran_clean


def test_notebook_runs_in_jupyterlab(lab_runs, notebook):
    run = lab_runs.result(notebook)
    print(f"\n{notebook}: Run All in JupyterLab took {run.seconds:.1f} s (wall, 2 notebooks at a time), "
          f"{run.state.get('counted')} code cells counted; screenshot {run.screenshot}")
    assert_ran_clean(run, notebook, "JupyterLab")
    assert run.screenshot.stat().st_size > 10_000
    assert run.saved, f"{notebook} could not be saved from JupyterLab (File ▸ Save)"


def test_maths_typesets_in_jupyterlab(lab_runs, notebook):
    """Every formula renders in JupyterLab's MathJax (a failure shows the student raw TeX on yellow)."""
    run = lab_runs.result(notebook)
    assert run.failure is None, run.failure
    assert not run.math_errors, (f"{len(run.math_errors)} formulas of {notebook} do not typeset in JupyterLab "
                                 "(cell # counts all cells from 0):\n" + "\n".join(run.math_errors))
