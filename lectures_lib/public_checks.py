"""The homework's public checks where otter-grader cannot be installed (the in-browser lecture, JupyterLite).

A student notebook built by ``make homework`` starts with::

    try:
        import otter
    except ImportError:
        from lectures_lib import public_checks as otter
    grader = otter.Notebook("hw01_gumbel.ipynb")

In JupyterLab ``otter`` is installed and runs the checks.  Under Pyodide it is not (it needs pandas, nbconvert and
Docker tooling), and this module does the same job: it reads the public tests that ``otter assign`` stored in the
notebook's metadata (``metadata.otter.tests``, exception-based test files) and runs them against the caller's
variables, exactly as otter's ``ExceptionTestFile`` does: each test function is called with the notebook's global
of the same name for each parameter (``None`` if missing), and passes unless it raises.  The hidden tests are never
in a student notebook, so nothing here can reveal them; grading does not use this module (``tools/homework`` grades
in a sandbox).  ``tests/test_public_checks.py`` checks that it gives otter's verdicts on every assignment.
"""

from __future__ import annotations

import builtins
import inspect
import json
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["AllResults", "Notebook", "QuestionResult"]


@dataclass
class QuestionResult:
    """The public tests of one question: ``(test name, passed, message)`` each, shown as otter shows them.

    ``format_only`` is true when every public test of the question is worth 0 points (a multiple-choice question:
    the public test checks that the answer is a valid letter, a hidden test decides whether it is the right one);
    a pass then says so instead of otter's "All test cases passed!", which reads as if the answer were right.
    """

    question: str
    cases: list[tuple[str, bool, str]] = field(default_factory=list)
    format_only: bool = False

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.cases)

    def __repr__(self) -> str:
        if self.passed:
            notes = [f"    {msg}" for _, _, msg in self.cases if msg]
            head = "format OK (this check does not grade the answer)" if self.format_only else "All test cases passed!"
            return "\n".join([f"{self.question} results: {head}", *notes])
        failed = [f"    {name} result:\n" + "\n".join("        " + ln for ln in msg.splitlines())
                  for name, ok, msg in self.cases if not ok]
        return f"{self.question} results:\n" + "\n\n".join(failed)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


class _TestCase:
    """Stands in for ``otter.test_files.test_case`` while a test file is read: records the function."""

    def __init__(self, name=None, points=None, hidden=False, success_message=None, failure_message=None):
        self.name, self.hidden, self.points, self.success_message = name, hidden, points, success_message

    def __call__(self, func):
        self.func = func
        return self


def _import_with_otter_stub(name, globals=None, locals=None, fromlist=(), level=0):
    """``import`` for test files: ``from otter.test_files import test_case`` gets the stand-in above."""
    if name == "otter.test_files":
        return types.SimpleNamespace(test_case=_TestCase)
    return builtins.__import__(name, globals, locals, fromlist, level)


def _read_test_file(source: str, question: str) -> list[_TestCase]:
    env = {"__builtins__": {**vars(builtins), "__import__": _import_with_otter_stub}}
    exec(compile(source, f"<public tests of {question}>", "exec"), env)  # noqa: S102 - the notebook's own tests
    cases = [v for v in env.values() if isinstance(v, _TestCase)]
    for number, case in enumerate(cases, start=1):
        case.name = case.name or f"{env.get('name', question)} - {number}"
    return [c for c in cases if not c.hidden]


def _failure(exc: Exception, source: str) -> str:
    """Like otter: the line of the test that failed and the exception, never a traceback into this module."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<public tests of")]
    where = ""
    if frames:
        number = frames[-1].lineno
        where = f"Error at line {number} in the test:\n  {source.splitlines()[number - 1].strip()}\n"
    return f"❌ Test case failed\n{where}{type(exc).__name__}: {str(exc).strip(chr(39))}"


class Notebook:
    """The checker of one homework notebook: ``grader.check("q1")`` and ``grader.check_all()``.

    Parameters
    ----------
    nb_path : str
        The notebook's file name (``"hw01_gumbel.ipynb"``), relative to the working folder, as otter's is.
    """

    def __init__(self, nb_path: str, tests_dir: str | None = None, **kwargs):
        if not isinstance(nb_path, str) or not nb_path.endswith(".ipynb"):
            raise ValueError(f"nb_path must be the notebook's file name ending in .ipynb, got {nb_path!r}")
        path = Path(nb_path)
        if not path.is_file():
            raise ValueError(f"nb_path: no notebook {nb_path!r} in the working folder {Path.cwd()}")
        tests = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("otter", {}).get("tests")
        if not isinstance(tests, dict):
            raise ValueError(f"nb_path: {nb_path!r} holds no public tests (not a notebook built by make homework)")
        self._tests = tests

    def check(self, question: str, global_env: dict | None = None) -> QuestionResult:
        """Run the public tests of ``question`` against the caller's variables (or ``global_env``)."""
        if question not in self._tests:
            raise ValueError(f"question must be one of {', '.join(self._tests)}, got {question!r}")
        if global_env is None:
            global_env = inspect.currentframe().f_back.f_globals
        source = self._tests[question]
        cases = _read_test_file(source, question)
        result = QuestionResult(question, format_only=bool(cases) and all(c.points == 0 for c in cases))
        for case in cases:
            params = inspect.signature(case.func).parameters
            kwargs = {p: (global_env if p == "env" else global_env.get(p)) for p in params}
            try:
                case.func(**kwargs)
                result.cases.append((case.name, True, case.success_message or ""))
            except Exception as exc:  # noqa: BLE001 - a failed check is reported, as otter does
                result.cases.append((case.name, False, _failure(exc, source)))
        return result

    def check_all(self) -> AllResults:
        """Run every question's public tests against the caller's variables."""
        env = inspect.currentframe().f_back.f_globals
        return AllResults(self.check(q, env) for q in self._tests)


class AllResults(list):
    """Every question's :class:`QuestionResult`, shown one after the other."""

    def __repr__(self) -> str:
        return "\n\n".join(repr(r) for r in self)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))
