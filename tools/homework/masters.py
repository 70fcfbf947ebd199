"""The master notebooks: their questions, and the check that no solution or hidden test reaches a student.

A master is ``homework/NN_topic/<name>.ipynb`` in otter-grader's format (see homework/README.md).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import zipfile
from pathlib import Path

from . import HOMEWORK

# Text that only a master or an autograder holds; none of it may reach a student notebook.
LEAK_MARKERS = ("# BEGIN SOLUTION", "# END SOLUTION", "# SOLUTION", "BEGIN TESTS", "END TESTS", "BEGIN TEST CONFIG",
                "hidden: true", "hidden=True", "ASSIGNMENT CONFIG", "# BEGIN QUESTION")


def masters() -> list[Path]:
    """The master notebooks, one per ``homework/NN_topic/`` folder, in order."""
    found = sorted(p for p in HOMEWORK.glob("[0-9][0-9]_*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for folder in {p.parent for p in found}:
        if sum(p.parent == folder for p in found) != 1:
            raise SystemExit(f"{folder}: expected exactly one master notebook")
    return found


def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def questions_of(master: Path) -> list[dict]:
    """Question name, points, manual flag, title and lecture section, read from the master's cells."""
    import yaml

    cells = json.loads(master.read_text(encoding="utf-8"))["cells"]
    out = []
    for i, cell in enumerate(cells):
        text = source(cell)
        if cell["cell_type"] != "raw" or not text.lstrip().startswith("# BEGIN QUESTION"):
            continue
        config = yaml.safe_load(text.split("\n", 1)[1]) or {}
        prompt = next((source(c) for c in cells[i + 1:] if c["cell_type"] == "markdown"), "")
        title = next((ln.lstrip("# ").strip() for ln in prompt.splitlines() if ln.startswith("#")), config["name"])
        title = re.sub(r"\s*\([^()]*\bpoints?\b[^()]*\)$", "", title)  # the points have their own column
        lecture = next((ln.split("**Lecture:**", 1)[1].strip() for ln in prompt.splitlines()
                        if "**Lecture:**" in ln), "").rstrip(".")
        out.append({"name": str(config["name"]), "points": float(config.get("points", 1)),
                     "manual": bool(config.get("manual", False)), "title": title, "lecture": lecture})
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _all_text(nb: dict) -> str:
    """Every string of a notebook (cell sources, outputs, metadata), decoded, joined by newlines."""
    parts = []

    def walk(x):
        if isinstance(x, str):
            parts.append(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(nb)
    return "\n".join(parts)


def hidden_test_sources(autograder_zip: Path) -> list[str]:
    """Source of every hidden test case function in an autograder zip."""
    out = []
    with zipfile.ZipFile(autograder_zip) as zf:
        for name in zf.namelist():
            if not (name.startswith("tests/") and name.endswith(".py")):
                continue
            src = zf.read(name).decode()
            for node in ast.parse(src).body:
                if isinstance(node, ast.FunctionDef) and any(
                        isinstance(d, ast.Call) and any(k.arg == "hidden" and getattr(k.value, "value", False)
                                                        for k in d.keywords) for d in node.decorator_list):
                    out.append(ast.get_source_segment(src, node))
    return out


def _master_lines(master: Path) -> tuple[set[str], set[str]]:
    """Stripped lines of the master: (given to students, solution only).

    Solution lines are those inside SOLUTION blocks or ending in ``# SOLUTION``; test cells count as neither.
    """
    cells = json.loads(master.read_text(encoding="utf-8"))["cells"]
    solution, given, block = set(), set(), None
    for cell in cells:
        text = source(cell)
        if cell["cell_type"] == "raw":
            head = text.strip().split("\n")[0]
            block = {"# BEGIN SOLUTION": "solution", "# BEGIN TESTS": "tests"}.get(head, None if head.startswith(
                "# END") else block)
            continue
        if block == "tests":
            continue
        inner = False
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("# BEGIN SOLUTION"):
                inner = True
            elif s.startswith("# END SOLUTION"):
                inner = False
            elif (block == "solution" and cell["cell_type"] == "markdown") or inner or s.endswith("# SOLUTION"):
                solution.add(s.removesuffix("# SOLUTION").strip())
            else:
                given.add(s)
    return given, solution - given


def find_leaks(student_nb: Path, autograder_zip: Path, master: Path) -> list[str]:
    """What a student notebook must not contain but does: markers, hidden test code, solution lines."""
    text = _all_text(json.loads(student_nb.read_text(encoding="utf-8")))
    lines = {ln.strip() for ln in text.splitlines()}
    leaks = [f"marker {m!r}" for m in LEAK_MARKERS if m in text]
    given, solution = _master_lines(master)
    allowed = set(given)
    for src in _public_test_sources(autograder_zip):
        allowed |= {ln.strip() for ln in src.splitlines()}
    for src in hidden_test_sources(autograder_zip):
        name = re.match(r"def (\w+)", src).group(1)
        if name in text:
            leaks.append(f"hidden test {name}")
        leaks += [f"hidden test line {ln.strip()!r}" for ln in src.splitlines()[1:]
                  if len(ln.strip()) >= 12 and ln.strip() not in allowed and ln.strip() in lines]
    leaks += [f"solution line {s!r}" for s in sorted(solution - allowed) if len(s) >= 12 and s in lines]
    return leaks


def _public_test_sources(autograder_zip: Path) -> list[str]:
    hidden = set(hidden_test_sources(autograder_zip))
    out = []
    with zipfile.ZipFile(autograder_zip) as zf:
        for name in zf.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                src = zf.read(name).decode()
                out += [ast.get_source_segment(src, n) for n in ast.parse(src).body if isinstance(n, ast.FunctionDef)]
    return [s for s in out if s not in hidden]
