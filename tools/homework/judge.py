"""Judge one submission: the tests run here, in the grader's process, against values read from the sandbox.

The tests are the master's test cells, as ``otter assign`` wrote them into the autograder zip (``tests/qN.py``):
each is a function whose parameters name notebook variables.  For each test the judge asks the sandbox for those
variables (``Sandbox.get``): SymPy expressions, strings, numbers and arrays arrive as plain data, and functions as
``RemoteFunction`` objects that send the test's inputs into the sandbox and bring the result back.  The assertions,
numpy, scipy, sympy and the reference ``lectures_lib`` are the grader's own; the hidden tests and reference answers
never leave this process.
"""

from __future__ import annotations

import dataclasses
import inspect
import signal
import time
import zipfile
from pathlib import Path

from .sandbox import Sandbox, SandboxDied

# Imported once by the batch before it forks a judge per submission, so that no judge pays for them again.
PRELOAD = ("numpy", "scipy.stats", "sympy", "lectures_lib.kl", "lectures_lib.estimators", "lectures_lib.concrete")


@dataclasses.dataclass
class TestCase:
    name: str
    func: object
    points: float
    hidden: bool
    failure_message: str
    success_message: str

    @property
    def params(self) -> list[str]:
        return list(inspect.signature(self.func).parameters)


def load_tests(autograder_zip: Path) -> dict[str, list[TestCase]]:
    """Every test case of an assignment, by question, from the autograder zip (trusted: ``make homework`` wrote it)."""
    out: dict[str, list[TestCase]] = {}
    with zipfile.ZipFile(autograder_zip) as zf:
        for name in sorted(n for n in zf.namelist() if n.startswith("tests/") and n.endswith(".py")):
            cases: list[TestCase] = []

            def test_case(points=None, hidden=False, name=None, success_message=None, failure_message=None,
                          cases=cases):
                def register(func):
                    cases.append(TestCase(name or func.__name__, func, float(points or 0), bool(hidden),
                                          failure_message or "", success_message or ""))
                    return func
                return register

            src = zf.read(name).decode().replace("from otter.test_files import test_case", "")
            namespace = {"test_case": test_case, "__name__": f"hw_tests_{Path(name).stem}"}
            exec(compile(src, f"{autograder_zip.name}/{name}", "exec"), namespace)
            out[str(namespace.get("name", Path(name).stem))] = cases
    return out


class TestTimeLimit(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeLimit("the test took longer than its time limit")


def run_tests(box: Sandbox, tests: dict[str, list[TestCase]], manual: set[str], time_limit: float) -> dict:
    """Run every test of every auto-graded question; stop at the first sign that the sandbox died."""
    questions: dict = {}
    signal.signal(signal.SIGALRM, _alarm)
    for qname, cases in tests.items():
        if qname in manual:
            continue
        results = []
        for case in cases:
            passed, message = False, ""
            try:
                kwargs = {p: box.get(p) for p in case.params}
                signal.setitimer(signal.ITIMER_REAL, 2 * time_limit + 10)  # the grader's own work (e.g. simplify)
                try:
                    case.func(**kwargs)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                passed = True
            except SandboxDied:
                raise
            except TestTimeLimit as exc:
                if box.in_request:
                    raise SandboxDied(box.dead or "no answer within the time limit") from exc
                message = "the test took longer than its time limit"
            except AssertionError as exc:
                message = str(exc)
            except Exception as exc:  # noqa: BLE001 - whatever the student's values make a test raise
                message = f"{type(exc).__name__}: {exc}"
            results.append({"name": case.name, "hidden": case.hidden, "points": case.points, "passed": passed,
                            "message": message[:1500], "failure_message": case.failure_message,
                            "success_message": case.success_message})
        questions[qname] = {"score": sum(r["points"] for r in results if r["passed"]), "tests": results}
    return questions


def judge(notebook: Path, assignment: dict, build: Path, workdir: Path, *, uid: int, opts, group=None) -> dict:
    """Grade one notebook (a read-only copy in ``workdir``): status, per-question results, cell errors."""
    t0 = time.monotonic()
    deadline = t0 + opts.time_limit
    manual = {q["name"] for q in assignment["questions"] if q["manual"]}
    tests = load_tests(build / assignment["autograder_zip"])
    box = Sandbox(notebook, assignment["notebook"], workdir / "sandbox.log", uid=uid,
                  cell_limit=opts.cell_time_limit, limit=opts.test_time_limit, memory_mb=opts.memory_mb,
                  deadline=deadline, group=group)
    result = {"status": "graded", "questions": {}, "cell_errors": []}
    try:
        result["cell_errors"] = box.wait_ready()
        result["questions"] = run_tests(box, tests, manual, opts.test_time_limit)
    except SandboxDied:
        pass
    why = box.close()
    if why is not None:  # died, killed by a limit, or broke the protocol: nothing it said counts
        timed_out = why.startswith("time limit") or time.monotonic() >= deadline
        result["status"] = (f"time limit: grading stopped after {opts.time_limit:g} s" if timed_out
                            else f"crashed: {why}")
        result["detail"] = result.pop("questions")
        result["questions"] = {}
    return result
