"""The homework pipeline (tools/homework.py, homework/README.md), end to end and offline.

One test builds every assignment and grades, through the command ``make grade`` runs, the four solution notebooks and
a set of deliberately bad submissions of homework 1 in one batch; a second batch with a short time limit grades a
notebook that cannot be interrupted.  It is one test, not several sharing a fixture, so that pytest-xdist runs it on
one worker without the other waiting.  Short limits keep it near a minute on two idle cores (grading starts one
Python kernel per submission, and each imports numpy, scipy, sympy and otter).
"""

from __future__ import annotations

import argparse
import ast
import copy
import csv
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "homework.py"
LIMITS = ["--time-limit", "150", "--cell-time-limit", "10", "--test-time-limit", "20", "--memory-mb", "1024",
          "--jobs", "2"]
ASSIGNMENTS = ["hw01_gumbel", "hw02_estimators", "hw03_vae", "hw04_gumbel_softmax"]
# Homework 1 has 12 auto-graded points: q1 2, q2 2, q3 3, q4 3, q5 1, q6 1 (q7, 2 points, is graded by hand).
# name -> (expected total, status prefix, expected scores of some questions)
BAD = {
    "empty": (0, "graded", {"q1": 0, "q5": 0}),  # the handed-out notebook, unanswered
    "wrong": (9, "graded", {"q4": 1, "q5": 0}),  # one shared Gumbel in q4 (public test passes, hidden fail), q5 "a"
    "loop": (6, "graded", {"q3": 0, "q4": 0}),  # `while True: pass` in q3's cell: interrupted, q3 and q4 lost
    "exception": (10, "graded", {"q2": 0}),  # q2's cell raises; q5 reports whether the network was cut (below)
    "crash": (0, "error", {}),  # os._exit in q4's cell: the kernel dies, nothing can be graded
    "syntax": (8, "graded", {"q1": 0, "q2": 0}),  # q1's cell does not parse; q2 uses q1's symbols
    "deleted": (9, "graded", {"q4": 0}),  # q4's answer cell deleted
    "hog": (6, "graded", {"q3": 0, "q4": 0}),  # allocates until MemoryError at the top of q3's cell
    "garbage": (0, "error", {}),  # not JSON at all
}
UNSTOPPABLE_TIME_LIMIT = 25


# ------------------------------------------------------------------------------------------------ bad submissions
def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _index(nb: dict, start: str) -> int:
    (i,) = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and _src(c).startswith(start)]
    return i


def _prepend(nb: dict, start: str, text: str) -> None:
    cell = nb["cells"][_index(nb, start)]
    cell["source"] = text + _src(cell)


def _replace(nb: dict, start: str, old: str, new: str) -> None:
    cell = nb["cells"][_index(nb, start)]
    assert old in _src(cell), (start, old)
    cell["source"] = _src(cell).replace(old, new)


NETWORK_PROBE = ('import socket\n'
                 'q5_answer = "b" if [n for _, n in socket.if_nameindex()] == ["lo"] else "a"  # only loopback?\n')


def write_bad_submissions(build: Path, dest: Path) -> None:
    """Homework 1 submissions, each broken in one way, as ``dest/<name>/hw01_gumbel.ipynb``."""
    solution = json.loads((build / "01_gumbel" / "autograder" / "hw01_gumbel.ipynb").read_text())
    student = json.loads((build / "01_gumbel" / "student" / "hw01_gumbel.ipynb").read_text())
    edits = {
        "wrong": lambda nb: (_replace(nb, "def gumbel_max_sample", "(size, logits.shape[-1])", "(size, 1)"),
                             _replace(nb, "q5_answer", '"b"', '"a"')),
        "loop": lambda nb: _prepend(nb, "def sample_gumbel", "while True:\n    pass\n"),
        "exception": lambda nb: (_prepend(nb, 'u = sp.symbols("u"', 'raise RuntimeError("something went wrong")\n'),
                                 _replace(nb, "q5_answer", 'q5_answer = "b"', NETWORK_PROBE)),
        "crash": lambda nb: _prepend(nb, "def gumbel_max_sample", "import os\nos._exit(1)\n"),
        "syntax": lambda nb: _replace(nb, "z, x, mu", "(z, -sp.oo, sp.oo))", "(z, -sp.oo, sp.oo)"),
        "deleted": lambda nb: nb["cells"].pop(_index(nb, "def gumbel_max_sample")),
        "hog": lambda nb: _prepend(nb, "def sample_gumbel",
                                   "hog = []\nwhile True:\n    hog.append(bytearray(50 * 2**20))\n"),
        "unstoppable": lambda nb: _prepend(nb, "def sample_gumbel", "import signal, time\n"
                                           "signal.signal(signal.SIGINT, signal.SIG_IGN)  # ignores the interrupt\n"
                                           "while True:\n    time.sleep(0.5)\n"),
    }
    for name in [*BAD, "unstoppable"]:
        folder = dest / ("unstoppable" if name == "unstoppable" else "batch") / name
        folder.mkdir(parents=True)
        if name == "garbage":
            (folder / "hw01_gumbel.ipynb").write_text("this is not a notebook {")
            continue
        nb = copy.deepcopy(student if name == "empty" else solution)
        if name in edits:
            edits[name](nb)
        (folder / "hw01_gumbel.ipynb").write_text(json.dumps(nb, indent=1))


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _grade_command(submissions: Path, build: Path, args: list[str]) -> list[str]:
    """The command ``make grade SUBMISSIONS=... HOMEWORK_OUT=... GRADE_ARGS=...`` runs, read from ``make -n``."""
    dry = subprocess.run(["make", "-n", "-s", "grade", f"SUBMISSIONS={submissions}", f"HOMEWORK_OUT={build}",
                          f"GRADE_ARGS={' '.join(args)}"], cwd=ROOT, capture_output=True, text=True, check=True)
    (line,) = [ln for ln in dry.stdout.splitlines() if "tools/homework.py grade" in ln]
    cmd = line.split()
    assert cmd[1:5] == ["tools/homework.py", "grade", f'"{submissions}"', "--build"], line
    return [sys.executable, str(TOOL), "grade", str(submissions), *cmd[4:]]


# ------------------------------------------------------------------------------------------------ the run
def run_everything(root: Path) -> dict:
    """Build (without network where possible), write the submissions, grade them in two batches at once."""
    spec = importlib.util.spec_from_file_location("homework_tool", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    isolation, _ = tool.network_isolation()
    build_dir, subs = root / "build", root / "submissions"
    t0 = time.perf_counter()
    build = subprocess.run([*isolation, sys.executable, str(TOOL), "build", "--out", str(build_dir)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    t_build = time.perf_counter() - t0
    manifest = json.loads((build_dir / "manifest.json").read_text())
    for a in manifest["assignments"]:  # the solutions, as if handed in by "solution-<assignment>"
        folder = subs / "batch" / f"solution-{a['name']}"
        folder.mkdir(parents=True)
        (folder / a["notebook"]).write_bytes((build_dir / a["solution_notebook"]).read_bytes())
    write_bad_submissions(build_dir, subs)
    before = _hashes(subs)
    cmd_a = _grade_command(subs / "batch", build_dir, [*LIMITS, "--out", str(root / "grades")])
    cmd_b = _grade_command(subs / "unstoppable", build_dir, [*LIMITS, "--time-limit", str(UNSTOPPABLE_TIME_LIMIT),
                                                             "--out", str(root / "grades-unstoppable")])
    env = dict(os.environ, TMPDIR=str(root / "tmp"))  # the grader's temporary folders go in here
    (root / "tmp").mkdir()
    t1 = time.perf_counter()
    a = subprocess.Popen(cmd_a, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    b = subprocess.Popen(cmd_b, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out_a, out_b = a.communicate(timeout=900)[0], b.communicate(timeout=900)[0]
    strays = [p.name for p in Path("/proc").glob("[0-9]*") if _mentions(p, root / "tmp")]
    return {"root": root, "build": build_dir, "manifest": {a["name"]: a for a in manifest["assignments"]},
            "build_seconds": t_build, "grade_seconds": time.perf_counter() - t1, "isolated": bool(isolation),
            "returncodes": [a.returncode, b.returncode], "stdout": out_a + out_b,
            "hashes_before": before, "hashes_after": _hashes(subs), "strays": strays,
            "temp_left": sorted(p.name for p in (root / "tmp").iterdir())}


def _mentions(proc: Path, folder: Path) -> bool:
    try:
        return str(folder).encode() in (proc / "cmdline").read_bytes()
    except OSError:
        return False


def read_rows(root: Path) -> dict[str, dict]:
    out = {}
    for path in (root / "grades" / "grades.csv", root / "grades-unstoppable" / "grades.csv"):
        with path.open() as f:
            out.update({row["student"]: row for row in csv.DictReader(f)})
    return out


def hidden_tests(zip_path: Path) -> list[str]:
    """Source of each hidden test case function in an autograder zip (parsed independently of the tool)."""
    out = []
    with zipfile.ZipFile(zip_path) as zf:
        for name in zf.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                src = zf.read(name).decode()
                for node in ast.parse(src).body:
                    if isinstance(node, ast.FunctionDef) and "hidden=True" in ast.unparse(node.decorator_list[0]):
                        out.append(ast.get_source_segment(src, node))
    return out


def distinctive_lines(hidden: str, public_text: str) -> list[str]:
    """Lines of a hidden test that a student could not have seen elsewhere."""
    lines = [ln.strip() for ln in hidden.splitlines()[1:]]
    return [ln for ln in lines if len(ln) >= 15 and ln not in public_text and not ln.startswith(("import", "from"))]


def _public_tests(build: Path, a: dict) -> str:
    return "\n".join(json.loads((build / a["student_notebook"]).read_text())["metadata"]["otter"]["tests"].values())


# ------------------------------------------------------------------------------------------------ cheap tests
def test_make_targets_call_the_tool():
    for target, command in (("homework", "tools/homework.py build"), ("homework-clean", "rm -rf")):
        dry = subprocess.run(["make", "-n", "-s", target], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0 and command in dry.stdout, dry.stdout + dry.stderr


def test_masters_are_stripped_and_mix_question_kinds():
    masters = sorted((ROOT / "homework").glob("[0-9][0-9]_*/*.ipynb"))
    assert [m.stem for m in masters] == ASSIGNMENTS
    for master in masters:
        text = master.read_text()
        for cell in json.loads(text)["cells"]:
            assert not cell.get("outputs") and cell.get("execution_count") is None, master
        assert "def " in text and "hidden: true" in text, master  # implementation, hidden tests
        assert any(s in text for s in ("sp.integrate", "expect_standard_normal", "sp.limit")), master  # SymPy
        assert "_answer = " in text and "manual: true" in text, master  # multiple choice; graded by hand


# ------------------------------------------------------------------------------------------------ end to end
def test_build_and_grade_end_to_end(tmp_path):
    """One build and two grading batches (a minute or more): every check below reads their output."""
    info = run_everything(tmp_path)
    assert info["returncodes"] == [0, 0], info["stdout"]
    rows = read_rows(tmp_path)
    check_build(info)
    check_student_notebooks(info)
    check_solutions_full_marks(info, rows)
    check_bad_submissions(info, rows)
    check_network(info, rows)
    check_csv(info, rows)
    check_feedback(info, rows)
    assert info["hashes_after"] == info["hashes_before"], "grading modified or deleted a submission"
    assert not info["strays"], "a kernel or child outlived the grading"
    assert not info["temp_left"], "a temporary grading folder was left behind"
    print(f"build {info['build_seconds']:.1f} s; grading {info['grade_seconds']:.1f} s for {len(rows)} submissions ("
          + ", ".join(f"{k} {v['seconds']} s" for k, v in sorted(rows.items())) + ")")


def check_build(info: dict) -> None:
    manifest, build = info["manifest"], info["build"]
    assert sorted(manifest) == ASSIGNMENTS
    for a in manifest.values():
        for key in ("student_notebook", "solution_notebook", "autograder_zip", "handout_zip"):
            assert (build / a[key]).is_file(), (a["name"], key)
        with zipfile.ZipFile(build / a["handout_zip"]) as zf:
            assert sorted(zf.namelist()) == [f"{a['name']}/README.md", f"{a['name']}/{a['notebook']}"]
        assert a["notebook"] == Path(a["master"]).name  # the init cell names the master's file name
        assert 4 <= len(a["questions"]) <= 8
        assert a["points"] == sum(q["points"] for q in a["questions"]) > a["auto_points"] > 0
        for q in a["questions"]:  # each question points back to an existing lecture notebook section
            cited = re.findall(r"notebooks/(\d\d_\w+\.ipynb)", q["lecture"])
            assert cited and all((ROOT / "notebooks" / c).is_file() for c in cited), (a["name"], q)
            assert "§" in q["lecture"] or "Summary" in q["lecture"], (a["name"], q)


def check_student_notebooks(info: dict) -> None:
    for a in info["manifest"].values():
        student_nb = json.loads((info["build"] / a["student_notebook"]).read_text())
        text = json.dumps(student_nb, ensure_ascii=False) + "\n".join(_src(c) for c in student_nb["cells"])
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "# SOLUTION", "BEGIN TESTS", "TEST CONFIG", "hidden: true",
                       "hidden=True", "ASSIGNMENT CONFIG"):
            assert marker not in text, (a["name"], marker)
        public = _public_tests(info["build"], a)
        assert public, "the public tests must be in the student notebook, for grader.check"
        hidden = hidden_tests(info["build"] / a["autograder_zip"])
        assert hidden, a["name"]
        for src in hidden:
            assert re.match(r"def (\w+)", src).group(1) not in text, (a["name"], src)
            for line in distinctive_lines(src, public):
                assert line not in text, (a["name"], line)
        master = json.loads((ROOT / a["master"]).read_text())
        solution_lines = {ln.strip().removesuffix("# SOLUTION").strip() for c in master["cells"]
                          for ln in _src(c).splitlines() if ln.rstrip().endswith("# SOLUTION")}
        code = "\n".join(_src(c) for c in student_nb["cells"] if c["cell_type"] == "code")
        assert solution_lines and not [s for s in solution_lines if s in code], a["name"]
        assert code.count("...") >= sum(not q["manual"] for q in a["questions"])  # a blank for every answer


def check_solutions_full_marks(info: dict, rows: dict) -> None:
    for name, a in info["manifest"].items():
        row = rows[f"solution-{name}"]
        assert row["status"] == "graded", row
        assert float(row["total"]) == float(row["possible"]) == a["auto_points"], row
        for q in a["questions"]:
            assert row[q["name"]] == ("" if q["manual"] else f"{q['points']:g}"), (name, q["name"], row)


def check_bad_submissions(info: dict, rows: dict) -> None:
    for name, (total, status, some) in BAD.items():
        if name == "exception" and not info["isolated"]:
            total -= 1  # the network probe in q5 answers "a" when student code can see the network
        row = rows[name]
        assert row["status"].startswith(status), row
        assert float(row["total"]) == total, row
        for q, score in some.items():
            assert float(row[q]) == score, (name, q, row)
    unstoppable = rows["unstoppable"]
    assert unstoppable["status"].startswith("time limit") and float(unstoppable["total"]) == 0, unstoppable
    assert float(unstoppable["seconds"]) < UNSTOPPABLE_TIME_LIMIT + 15, unstoppable


def check_network(info: dict, rows: dict) -> None:
    if info["isolated"]:
        assert "sandbox: no network" in info["stdout"]
        assert rows["exception"]["q5"] == "1", "student code saw a network interface besides loopback"
    else:
        assert "WARNING: student code will run WITH network access" in info["stdout"]


def check_csv(info: dict, rows: dict) -> None:
    with (info["root"] / "grades" / "grades.csv").open() as f:
        header = next(csv.reader(f))
    qs = [f"q{i}" for i in range(1, 9)]
    assert header == ["student", "assignment", "file", "status", *qs, "total", "possible", "manual_pending", "seconds"]
    for row in rows.values():
        a = info["manifest"][row["assignment"]]
        assert float(row["possible"]) == a["auto_points"]
        assert float(row["total"]) == sum(float(row[q]) for q in qs if row[q] != "")
        assert {q for q in qs if row[q] != ""} == {q["name"] for q in a["questions"] if not q["manual"]}, row
        assert row["manual_pending"] == " ".join(f"{q['name']}({q['points']:g})" for q in a["questions"]
                                                 if q["manual"])


def check_feedback(info: dict, rows: dict) -> None:
    root = info["root"]
    files = sorted(root.glob("grades*/feedback/*/*.md"))
    assert len(files) == len(rows)
    for path in files:
        text = path.read_text()
        a = info["manifest"][path.parent.name]
        public = _public_tests(info["build"], a)
        assert "hidden=True" not in text and "def test_" not in text, path
        for src in hidden_tests(info["build"] / a["autograder_zip"]):
            assert re.match(r"def (\w+)", src).group(1) not in text, path
            for line in distinctive_lines(src, public):
                assert line not in text, (path, line)
    feedback = root / "grades" / "feedback" / "hw01_gumbel"
    assert "KeyboardInterrupt (stopped: the cell ran longer than the time limit per cell)" in (
        feedback / "loop.md").read_text()
    assert "add independent noise per category" in (feedback / "wrong.md").read_text()  # a hidden test's hint
    assert "kernel died" in (feedback / "crash.md").read_text()
    manual = (root / "grades" / "manual" / "hw01_gumbel.md").read_text()
    assert "## wrong (`wrong/hw01_gumbel.ipynb`)" in manual and "Question 7" in manual


def test_without_unshare_grading_warns_or_refuses(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("homework_tool", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(tool.shutil, "which", lambda name: None)
    assert tool.network_isolation() == ([], "unshare(1) not found")
    opts = argparse.Namespace(network=True, require_no_network=False)
    assert tool.choose_isolation(opts) == ([], "unshare(1) not found")
    assert "WARNING: student code will run WITH network access: unshare(1) not found" in capsys.readouterr().out
    opts.require_no_network = True
    with pytest.raises(SystemExit, match="ERROR: student code will run WITH network access"):
        tool.choose_isolation(opts)
