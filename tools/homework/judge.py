"""The tests of an assignment, as the grader holds them: split into what each phase of the judge may see.

The tests are the master's test cells, as ``otter assign`` wrote them into the autograder zip (``tests/qN.py``; the
build is trusted: ``make homework`` wrote it).  They are read here as code, never run here: ``bundle`` parses each
file (``ast``), reads each test's points, hidden flag and hint from its ``@test_case(...)`` decorator, and writes two
modules per question: one with only the public tests, one with only the hidden tests.  The judge's sandbox gets the
public modules first and the hidden ones only after it has given its public results (``judge_runner.py``).

``scores`` turns what the judge said into points, using only this side's own list of tests: a public test counts if
the judge says it passed, a hidden test if its boolean says so; the feedback for a hidden test is the master's hint.
"""

from __future__ import annotations

import ast
import dataclasses
import zipfile
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class TestSpec:
    id: str  # "q1/test_q1_total_mass"
    question: str
    name: str
    points: float
    hidden: bool
    failure_message: str
    success_message: str


@dataclasses.dataclass(frozen=True)
class Bundle:
    specs: tuple[TestSpec, ...]
    public: tuple[dict, ...]  # [{"question": ..., "source": ...}]: public tests only
    hidden: tuple[dict, ...]  # the same for hidden tests
    hidden_ids: tuple[str, ...]  # the order in which the judge answers for the hidden tests


def _decorator(node: ast.FunctionDef) -> dict | None:
    """The keyword arguments of a ``@test_case(...)`` decorator (literals only), or None if there is none."""
    for d in node.decorator_list:
        if isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id == "test_case":
            return {k.arg: ast.literal_eval(k.value) for k in d.keywords if k.arg is not None}
    return None


def bundle(autograder_zip: Path) -> Bundle:
    specs, public, hidden = [], [], []
    with zipfile.ZipFile(autograder_zip) as zf:
        for member in sorted(n for n in zf.namelist() if n.startswith("tests/") and n.endswith(".py")):
            tree = ast.parse(zf.read(member).decode())
            question = Path(member).stem
            for node in tree.body:
                if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["name"]
                        and isinstance(node.value, ast.Constant)):
                    question = str(node.value.value)
            common, by_kind = [], {False: [], True: []}
            for node in tree.body:
                config = _decorator(node) if isinstance(node, ast.FunctionDef) else None
                if config is None:
                    if not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("otter")):
                        common.append(node)
                    continue
                is_hidden = bool(config.get("hidden", False))
                by_kind[is_hidden].append(node)
                specs.append(TestSpec(f"{question}/{node.name}", question, config.get("name") or node.name,
                                      float(config.get("points") or 0), is_hidden,
                                      str(config.get("failure_message") or ""),
                                      str(config.get("success_message") or "")))
            for is_hidden, target in ((False, public), (True, hidden)):
                if by_kind[is_hidden]:
                    module = ast.Module(body=common + by_kind[is_hidden], type_ignores=[])
                    target.append({"question": question, "source": ast.unparse(module)})
    return Bundle(tuple(specs), tuple(public), tuple(hidden), tuple(s.id for s in specs if s.hidden))


def scores(bundle_: Bundle, public: dict, hidden_passed: list[bool], manual: set[str]) -> dict:
    """Per auto-graded question: its score and each test's result, in the shape the report reads.

    ``public`` maps a public test's id to ``{"passed": bool, "message": str}`` (the judge's phase 1, already checked
    for shape); ``hidden_passed`` holds one boolean per hidden test, in ``bundle_.hidden_ids`` order."""
    hidden = dict(zip(bundle_.hidden_ids, hidden_passed, strict=True))
    questions: dict = {}
    for spec in bundle_.specs:
        if spec.question in manual:
            continue
        if spec.hidden:
            passed, message = hidden[spec.id], ""
        else:
            got = public.get(spec.id) or {}
            passed, message = got.get("passed") is True, str(got.get("message", ""))
        q = questions.setdefault(spec.question, {"score": 0.0, "tests": []})
        q["tests"].append({"name": spec.name, "hidden": spec.hidden, "points": spec.points, "passed": passed,
                           "message": "" if passed else message, "failure_message": spec.failure_message,
                           "success_message": spec.success_message})
        q["score"] += spec.points if passed else 0.0
    return questions
