"""The offline checker of the in-browser lecture (``lectures_lib.public_checks``) gives otter's verdicts.

Every assignment is built (``tools.homework.build``) into a scratch folder; its perfect (``solved``) and blank
(``student``) notebooks are run cell by cell with ``import otter`` failing, as it does in the browser, so that the
init cell falls back to ``lectures_lib.public_checks``; then every question's public tests are run by both checkers
against the same variables, and must agree test by test.  The classic mistakes of the lecture's errata must fail
with the message that names them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("otter")  # the reference (the lab extra); test-oldest has no otter

from test_homework import CLASSIC  # noqa: E402

from lectures_lib import public_checks  # noqa: E402


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from tools.homework.build import build, skip_slow_import

    skip_slow_import()
    out = tmp_path_factory.mktemp("homework")
    with contextlib.redirect_stdout(None):
        manifest = build(out)
    return out, manifest


@contextlib.contextmanager
def _in(folder: Path, *, without_otter: bool):
    old, saved = os.getcwd(), sys.modules.get("otter")
    os.chdir(folder)
    if without_otter:
        sys.modules["otter"] = None  # `import otter` raises ImportError, as under Pyodide
    try:
        yield
    finally:
        os.chdir(old)
        if without_otter:
            if saved is None:
                sys.modules.pop("otter", None)
            else:
                sys.modules["otter"] = saved


def _run(notebook: Path) -> dict:
    """Run the notebook's code cells in one namespace, skipping ``grader.check`` cells; errors are tolerated (a
    blank notebook raises in most of its cells)."""
    env = {"__name__": "__main__"}
    cells = json.loads(notebook.read_text())["cells"]
    with _in(notebook.parent, without_otter=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import matplotlib

        matplotlib.use("Agg")
        for cell in cells:
            source = "".join(cell["source"])
            if cell["cell_type"] != "code" or "grader.check" in source:
                continue
            with contextlib.suppress(Exception), contextlib.redirect_stdout(None):
                exec(compile(source, str(notebook), "exec"), env)  # noqa: S102 - our own built notebooks
    return env


def _otter_verdicts(notebook: Path, question: str, env: dict) -> list[tuple[str, bool]]:
    import otter

    with _in(notebook.parent, without_otter=False), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = otter.Notebook(notebook.name).check(question, env)
    return [(r.test_case.name, bool(r.passed)) for r in result.test_case_results]


def _ours(result: public_checks.QuestionResult) -> list[tuple[str, bool]]:
    return [(name, ok) for name, ok, _ in result.cases]


@pytest.mark.parametrize("kind", ["solved", "student"])
def test_same_verdicts_as_otter(built, kind):
    out, manifest = built
    for a in manifest["assignments"]:
        notebook = out / a["slug"] / kind / a["notebook"]
        env = _run(notebook)
        grader = env["grader"]
        assert isinstance(grader, public_checks.Notebook)  # the init cell fell back to the offline checker
        public = json.loads(notebook.read_text())["metadata"]["otter"]["tests"]
        assert public, a["name"]
        for question in public:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ours = grader.check(question, env)
            assert ours.cases, (a["name"], question)
            assert _ours(ours) == _otter_verdicts(notebook, question, env), (a["name"], question)
            # a perfect submission passes every public test; a blank one fails each question's
            assert ours.passed == (kind == "solved"), (a["name"], question, repr(ours))


@pytest.mark.parametrize("mistake", sorted(CLASSIC))
def test_classic_mistakes_fail_with_their_message(built, mistake):
    out, manifest = built
    slug, question, code, message = CLASSIC[mistake]
    (a,) = [a for a in manifest["assignments"] if a["slug"] == slug]
    notebook = out / slug / "student" / a["notebook"]
    env = {"__name__": "__main__"}
    with _in(notebook.parent, without_otter=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as in a notebook, numpy's warnings are not errors
        exec("import numpy as np\n" + code, env)  # noqa: S102
        result = public_checks.Notebook(notebook.name).check(question, env)
    assert not result.passed and message in repr(result), repr(result)
    assert "Error at line" in repr(result) and "Traceback" not in repr(result)


def test_called_from_a_cell_reads_the_callers_variables(built, tmp_path):
    out, manifest = built
    a = manifest["assignments"][0]
    notebook = out / a["slug"] / "student" / a["notebook"]
    with _in(notebook.parent, without_otter=True):
        env = {"__name__": "__main__", "public_checks": public_checks}
        exec(f"grader = public_checks.Notebook({notebook.name!r})\nresults = grader.check_all()", env)  # noqa: S102
    assert [r.question for r in env["results"]] == list(json.loads(notebook.read_text())["metadata"]["otter"]["tests"])
    assert not any(r.passed for r in env["results"])  # nothing answered: every question fails
    assert "results:" in repr(env["results"])


def test_bad_input_names_the_parameter(built, tmp_path):
    with pytest.raises(ValueError, match="nb_path"):
        public_checks.Notebook("hw01_gumbel.txt")
    with _in(tmp_path, without_otter=True), pytest.raises(ValueError, match="nb_path"):
        public_checks.Notebook("missing.ipynb")
    (tmp_path / "plain.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    with _in(tmp_path, without_otter=True), pytest.raises(ValueError, match="no public tests"):
        public_checks.Notebook("plain.ipynb")
    out, manifest = built
    a = manifest["assignments"][0]
    with _in(out / a["slug"] / "student", without_otter=True), pytest.raises(ValueError, match="question"):
        public_checks.Notebook(a["notebook"]).check("q99")


def _format_only_questions(notebook: Path) -> list[str]:
    """The multiple-choice questions: every public test worth 0 points (a hidden test grades the letter)."""
    tests = json.loads(notebook.read_text())["metadata"]["otter"]["tests"]
    return [q for q, source in tests.items() if re.findall(r"points=([\d.]+)", source)
            and all(float(p) == 0 for p in re.findall(r"points=([\d.]+)", source))]


def test_a_multiple_choice_check_says_it_checked_only_the_format(built):
    """Any letter passes the public test of a multiple-choice question: the check must not read as "right", in the
    browser (public_checks) nor in JupyterLab (otter, which prints the master's success message)."""
    import otter

    out, manifest = built
    seen = 0
    for a in manifest["assignments"]:
        notebook = out / a["slug"] / "student" / a["notebook"]
        for question in _format_only_questions(notebook):
            for letter in "abcd":
                env = {f"{question}_answer": letter}
                with _in(notebook.parent, without_otter=True):
                    ours = repr(public_checks.Notebook(notebook.name).check(question, env))
                with _in(notebook.parent, without_otter=False), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    theirs = repr(otter.Notebook(notebook.name).check(question, env))
                assert "this check does not grade the answer" in ours and "All test cases passed" not in ours, ours
                for shown in (ours, theirs):
                    assert "Only the format was checked" in shown and "decided by a hidden test" in shown, shown
            seen += 1
    assert seen == 9, f"{seen} multiple-choice questions found (the README lists 9)"
