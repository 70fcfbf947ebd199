"""The homework pipeline through the commands homework/README.md documents, typed as written (relative paths).

``make homework`` then ``make grade SUBMISSIONS=test-artifacts/...``: perfect submissions (the ``solved`` notebooks
the build writes) get full marks, blank ones 0, and each wrong answer costs its own question and nothing else.
The hostile submissions are in tests/test_homework_hostile.py, the sandbox's properties in
tests/test_homework_sandbox.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import homework_helpers as hh
import pytest
from markdown_it import MarkdownIt
from test_lecture_map import notebook_headings

from tools.homework.masters import questions_of

ASSIGNMENTS = ["hw01_gumbel", "hw02_estimators", "hw03_vae", "hw04_gumbel_softmax", "hw05_beyond"]
BUILD = hh.ROOT / "build" / "homework"  # the README's default
# Each wrong answer of homework 1 (and the tau mistake of homework 4), from the perfect notebook: (start of the
# answer cell, old text, new text, the question it must cost).
WRONG = {
    "wrong-q1": ("z, x, mu", "cdf = sp.simplify(sp.integrate(pdf, (z, -sp.oo, x)))", "cdf = sp.exp(-sp.exp(-(x - mu)))",
                 "q1"),
    "wrong-q2": ("u = sp.symbols", 'ppf = sp.lambdify((u, mu, beta), inverse_cdf, "numpy")',
                 'ppf = sp.lambdify((u, mu, beta), mu + beta * sp.log(-sp.log(u)), "numpy")', "q2"),
    "wrong-q3": ("def sample_gumbel", "u = np.maximum(rng.random(size), np.finfo(float).tiny)", "u = rng.random(size)",
                 "q3"),  # no clamp of u
    "wrong-q4": ("def gumbel_max_sample", "(size, logits.shape[-1])", "(size, 1)", "q4"),  # one shared Gumbel
    "wrong-q5": ("q5_answer", '"c"', '"b"', "q5"),
    "wrong-q6": ("q6_answer", '"a"', '"b"', "q6"),
}
WRONG_TAU = ("def gumbel_softmax", "s = (logits - np.log(-np.log(u))) / temperature", "s = logits - np.log(-np.log(u))",
             "q1")  # the temperature is missing from the exponent
WRONG_HW05 = {  # homework 5: the classic mistake of each implementation question
    "wrong5-q1": ("def exact_value_and_grad", "(probs * values) @ (states - p)", "(probs * values) @ (p - states)",
                  "q1"),  # the score's sign
    "wrong5-q2": ("def rloo_estimates", "(fb.sum(axis=1, keepdims=True) - fb) / (n - 1)",
                  "fb.mean(axis=1, keepdims=True)", "q2"),  # the baseline includes the sample itself
    "wrong5-q3": ("def optimal_baseline", "return (probs * np.asarray(f(states), dtype=float)) @ s2 / (probs @ s2)",
                  "return np.full(d, probs @ np.asarray(f(states), dtype=float))", "q3"),  # E[f] is not c*
    "wrong5-q4": ("def conditional_gumbel", "z = -np.logaddexp(-top[:, None], np.log(e) - logits)",
                  "z = np.minimum(logits - np.log(e), top[:, None] - 1e-9)", "q4"),  # clipped, not truncated
    "wrong5-q5": ("def gumbel_top_k", "rng.gumbel(size=(size, logits.size))", "rng.gumbel(size=(size, 1))",
                  "q5"),  # one shared Gumbel
}


def _masters():
    return sorted((hh.ROOT / "homework").glob("[0-9][0-9]_*/*.ipynb"))


def test_make_targets_call_the_package():
    for target, command in (("homework", "-m tools.homework build"), ("grade SUBMISSIONS=x", "-m tools.homework grade"),
                            ("homework-clean", "rm -rf")):
        dry = subprocess.run(["make", "-n", "-s", *target.split()], cwd=hh.ROOT, capture_output=True, text=True)
        assert dry.returncode == 0 and command in dry.stdout, dry.stdout + dry.stderr


def test_masters_are_stripped_and_mix_question_kinds():
    assert [m.stem for m in _masters()] == ASSIGNMENTS
    letters = []
    for master in _masters():
        text = master.read_text()
        for cell in json.loads(text)["cells"]:
            assert not cell.get("outputs") and cell.get("execution_count") is None, master
        assert "def " in text and "hidden: true" in text, master
        assert any(s in text for s in ("sp.integrate", "expect_standard_normal", "sp.limit", "sp.solve")), master
        assert "_answer = " in text and "manual: true" in text, master
        letters += re.findall(r'q\d_answer = \\"([a-d])\\"  # SOLUTION', text)
    assert len(letters) == 9 and len(set(letters)) >= 3, letters  # multiple choice: not all the same letter


# The reference answers, in the forms a hint could give them away (earlier hints did, for each of these).
ANSWERS = ["exp(-exp(", "-log(-log(u))", "loc + 0.5772", "= 2 mu", "2a(a theta", "m^4 + 14 m^2", "log(s2/s1)",
           "(exp(v) - 1) / 2", "exp(v) + m^2", "alpha / (1 + alpha)", "softplus(l_d) - x_d", "logaddexp(0",
           "should be 1:"]


def test_hints_do_not_give_the_formula():
    hints = [h for m in _masters() for h in re.findall(r'failure_message: \\"(.*?)\\"', m.read_text())]
    assert len(hints) >= 20
    for hint in hints:
        assert not any(answer in hint for answer in ANSWERS), hint


CLASSIC = {  # (assignment, question, wrong code for the student's cell, what the failing public test says)
    "own sample in the RLOO baseline": ("05_beyond", "q2", "def rloo_estimates(theta, f, rng, n, m):\n"
                                        "    p = 1 / (1 + np.exp(-np.asarray(theta, dtype=float)))\n"
                                        "    b = (rng.random((m, n, p.size)) < p).astype(float)\n"
                                        "    fb = np.asarray(f(b), dtype=float)\n"
                                        "    return ((fb - fb.mean(axis=1, keepdims=True))[..., None] * (b - p))"
                                        ".mean(axis=1)\n", "includes f(b_i) itself"),
    "shared Gumbel in top-k": ("05_beyond", "q5", "def gumbel_top_k(logits, k, rng, size):\n"
                               "    return np.argsort(-(logits + rng.gumbel(size=(size, 1))), axis=1)[:, :k]\n"
                               "def plackett_luce_prob(probs, order):\n    return 0.0\n", "not one shared G"),
    "no clamp": ("01_gumbel", "q3", "def sample_gumbel(rng, size, loc=0.0, scale=1.0):\n"
                 "    return loc - scale * np.log(-np.log(rng.random(size)))\n", "clamp u away from 0"),
    "shared Gumbel": ("01_gumbel", "q4", "def sample_gumbel(rng, size, loc=0.0, scale=1.0):\n"
                      "    return loc - scale * np.log(-np.log(np.maximum(rng.random(size), 1e-300)))\n"
                      "def gumbel_max_sample(logits, rng, size):\n"
                      "    return np.argmax(logits + sample_gumbel(rng, (size, 1)), axis=-1)\n",
                      "not one shared G"),
    "missing 1/tau": ("04_gumbel_softmax", "q1", "def gumbel_softmax(logits, temperature, rng, size):\n"
                      "    g = -np.log(-np.log(np.maximum(rng.random((size, len(logits))), 1e-300)))\n"
                      "    e = np.exp(logits + g - (logits + g).max(axis=-1, keepdims=True))\n"
                      "    return e / e.sum(axis=-1, keepdims=True)\n", "tau must divide logits + G"),
    "tau outside the exponent": ("04_gumbel_softmax", "q1", "def gumbel_softmax(logits, temperature, rng, size):\n"
                                 "    g = -np.log(-np.log(np.maximum(rng.random((size, len(logits))), 1e-300)))\n"
                                 "    e = np.exp(logits + g - (logits + g).max(axis=-1, keepdims=True)) / temperature\n"
                                 "    return e / e.sum(axis=-1, keepdims=True)\n", "tau must divide logits + G"),
    "no clamp in Gumbel-softmax": ("04_gumbel_softmax", "q1", "def gumbel_softmax(logits, temperature, rng, size):\n"
                                   "    s = (logits - np.log(-np.log(rng.random((size, len(logits)))))) / temperature\n"
                                   "    e = np.exp(s - s.max(axis=-1, keepdims=True))\n"
                                   "    return e / e.sum(axis=-1, keepdims=True)\n", "clamp u away from 0"),
}


def test_public_checks_catch_the_classic_mistakes_offline(tmp_path):
    """``grader.check`` in the student's notebook (otter, offline, as in JupyterLab) fails on each classic mistake
    with a message that names it."""
    students = {}
    for slug in {c[0] for c in CLASSIC.values()}:  # otter assign of these masters only, in a scratch folder
        master = next(p for p in _masters() if p.parent.name == slug)
        subprocess.run([sys.executable, "-c", "import sys; sys.modules['rfc3987_syntax'] = None; import otter.assign; "
                        f"otter.assign.main({str(master)!r}, {str(tmp_path / slug)!r}, no_pdfs=True, "
                        "no_run_tests=True)"], check=True, capture_output=True, cwd=tmp_path)
        students[slug] = tmp_path / slug / "student" / master.name
    for mistake, (slug, question, code, message) in CLASSIC.items():
        script = ("import sys; sys.modules['rfc3987_syntax'] = None\nimport numpy as np\nimport otter\n"
                  f"grader = otter.Notebook({students[slug].name!r})\n{code}\nprint(grader.check({question!r}))\n")
        run = subprocess.run([sys.executable, "-W", "ignore", "-c", script], cwd=students[slug].parent,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert "Test case failed" in run.stdout and message in run.stdout, (mistake, run.stdout)


def _batch(folder):
    """Perfect and blank submissions of every assignment, each wrong answer, and two flat file names."""
    manifest = json.loads((BUILD / "manifest.json").read_text())
    assignments = {a["name"]: a for a in manifest["assignments"]}
    solved = {n: json.loads((BUILD / a["solved_notebook"]).read_text()) for n, a in assignments.items()}
    for name, a in assignments.items():
        hh.write(folder / f"perfect-{name}", a["notebook"], solved[name])
        hh.write(folder / f"blank-{name}", a["notebook"], (BUILD / a["student_notebook"]).read_text())
    for student, (start, old, new, _) in WRONG.items():
        hh.write(folder / student, "hw01_gumbel.ipynb", hh.replace(solved["hw01_gumbel"], start, old, new))
    start, old, new, _ = WRONG_TAU
    wrong_tau = hh.replace(solved["hw04_gumbel_softmax"], start, old, new)
    hh.write(folder / "wrong-tau", "hw04_gumbel_softmax.ipynb", wrong_tau)
    for student, (start, old, new, _) in WRONG_HW05.items():
        hh.write(folder / student, "hw05_beyond.ipynb", hh.replace(solved["hw05_beyond"], start, old, new))
    hh.write(folder, "hw01_gumbel.ipynb", solved["hw01_gumbel"])  # a flat file named like the assignment
    hh.write(folder, "carol_hw03_vae (1).ipynb", solved["hw03_vae"])  # renamed by a browser's download
    hh.write(folder / "sec1" / "dave", "hw01_gumbel.ipynb", solved["hw01_gumbel"])  # nested by section: dave's
    hh.write(folder / "erin", "HW01_GUMBEL.IPYNB", solved["hw01_gumbel"])  # any case of .ipynb
    return assignments


def test_documented_commands_grade_as_expected():
    """make homework; make grade SUBMISSIONS=<relative folder>: scores, CSVs, feedback, and nothing else touched."""
    built = hh.make("homework")
    assert built.returncode == 0, built.stdout + built.stderr
    for a in ASSIGNMENTS:
        assert list(BUILD.glob(f"*/solved/{a}.ipynb")), a
    work = hh.scratch("grade")
    try:
        assignments = _batch(work / "in")
        before = hh.hashes(work / "in")
        (BUILD / "grades").mkdir(exist_ok=True)
        (BUILD / "grades" / "left-by-an-old-run.txt").write_text("old")
        graded = hh.make("grade", f"SUBMISSIONS={hh.rel(work / 'in')}")
        assert graded.returncode == 0, graded.stdout + graded.stderr
        grades = BUILD / "grades"
        assert not (grades / "left-by-an-old-run.txt").exists(), "old results were left beside the new ones"
        rows = hh.rows(grades)
        check_scores(rows, assignments)
        check_canvas(grades, rows, assignments)
        check_feedback(grades, assignments)
        assert hh.hashes(work / "in") == before, "grading modified a submission"
        assert not hh.sandbox_processes(graded.stdout), "a process outlived the grading"
        print(graded.stdout[-3000:])
        for folder in ("empty", "does-not-exist"):  # cannot grade at all: exit 1, which make reports as Error 1, 2
            (work / "empty").mkdir(exist_ok=True)
            failed = hh.make("grade", f"SUBMISSIONS={hh.rel(work / folder)}")
            assert failed.returncode == 2 and "Error 1" in failed.stderr, (folder, failed.stdout, failed.stderr)
            direct = subprocess.run([sys.executable, "-m", "tools.homework", "grade", hh.rel(work / folder)],
                                    cwd=hh.ROOT, capture_output=True, text=True)
            assert direct.returncode == 1, direct.stderr
    finally:
        hh.cleanup(work)


def check_scores(rows: dict, assignments: dict) -> None:
    for name, a in assignments.items():
        auto = {q["name"]: q["points"] for q in a["questions"] if not q["manual"]}
        perfect, blank = rows[f"perfect-{name}"], rows[f"blank-{name}"]
        assert perfect["status"] == "graded" and float(perfect["total"]) == a["auto_points"], perfect
        assert all(float(perfect[q]) == p for q, p in auto.items()), perfect
        assert blank["status"] == "graded" and float(blank["total"]) == 0, blank
        assert perfect["possible"] == f"{a['auto_points']:g}" and perfect["manual_pending"].startswith("q")
    for student, (*_, question) in [*WRONG.items(), ("wrong-tau", WRONG_TAU), *WRONG_HW05.items()]:
        row = rows[student]
        a = assignments[row["assignment"]]
        for q in (q for q in a["questions"] if not q["manual"]):
            if q["name"] == question:
                assert float(row[q["name"]]) < q["points"], (student, row)
            else:
                assert float(row[q["name"]]) == q["points"], (student, q["name"], row)
    assert rows["hw01_gumbel"]["assignment"] == "hw01_gumbel" and rows["hw01_gumbel"]["total"] == "12"
    assert rows["carol"]["assignment"] == "hw03_vae" and rows["carol"]["total"] == "15"
    assert rows["dave"]["total"] == "12" and rows["erin"]["total"] == "12" and "sec1" not in rows
    header = list(next(iter(rows.values())))
    assert header[:4] == ["student", "assignment", "file", "status"]
    assert header[-5:] == ["total", "possible", "manual_pending", "counts", "seconds"]


def check_canvas(grades, rows: dict, assignments: dict) -> None:
    lines = (grades / "canvas.csv").read_text().splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section," + ",".join(ASSIGNMENTS)
    assert lines[1].strip().startswith("Points Possible") and lines[1].endswith("12,15,15,12,15")
    assert "carol,,,carol,,,,15,," in lines


def check_feedback(grades, assignments: dict) -> None:
    files = sorted(grades.glob("feedback/*/*.md"))
    assert len(files) == len(ASSIGNMENTS) * 2 + len(WRONG) + len(WRONG_HW05) + 5
    hidden = {}
    for a in assignments.values():
        with zipfile.ZipFile(BUILD / a["autograder_zip"]) as zf:
            hidden[a["name"]] = re.findall(r"hidden=True\)\ndef (\w+)", "".join(
                zf.read(n).decode() for n in zf.namelist() if n.startswith("tests/")))
    for path in files:
        text = path.read_text()
        assert "def test_" not in text and not any(h in text for h in hidden[path.parent.name]), path
    wrong = (grades / "feedback" / "hw01_gumbel" / "wrong-q4.md").read_text()
    assert "public test test_q4_independent_noise: failed" in wrong and "erratum E03.4" in wrong
    manual = MarkdownIt("commonmark").render((grades / "manual" / "hw01_gumbel.md").read_text())
    assert "<h2>wrong-q1 (<code>wrong-q1/hw01_gumbel.ipynb</code>)</h2>" in manual and "Question 7" in manual


def _processes_running(command: str) -> list[int]:
    out = []
    for p in hh.Path("/proc").glob("[0-9]*"):
        try:
            args = (p / "cmdline").read_bytes().decode(errors="replace").split("\0")
            if args[1:3] == ["-m", "tools.homework"] and command in " ".join(args):  # python, not make's shell
                out.append(int(p.name))
        except OSError:
            pass
    return out


def _parent(pid: int) -> int:
    return int(hh.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_killed_batch_leaves_no_results_that_look_current_and_no_process():
    """SIGKILL to the batch half-way: the previous results are whole in ``<out>.previous`` (moved there when the
    batch started), ``<out>`` does not exist, so nothing stale looks current; its judges and sandboxes die too."""
    work = hh.scratch("killed")
    try:
        built = hh.make("homework", f"HOMEWORK_OUT={hh.rel(work / 'build')}")
        assert built.returncode == 0, built.stdout + built.stderr
        solved = work / "build" / "01_gumbel" / "solved" / "hw01_gumbel.ipynb"
        for i in range(6):
            hh.write(work / "in" / f"student{i}", "hw01_gumbel.ipynb", solved.read_text())
        old = work / "grades"
        hh.write(old, "grades.csv", "student,total\nsomeone,12\n")
        proc = subprocess.Popen(["make", "grade", f"SUBMISSIONS={hh.rel(work / 'in')}",
                                 f"HOMEWORK_OUT={hh.rel(work / 'build')}", f"GRADE_ARGS=--jobs 2 --out {hh.rel(old)}"],
                                cwd=hh.ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
        lines = []
        for line in proc.stdout:  # kill as soon as the first submission is graded: others are in their sandboxes
            lines.append(line)
            if ": graded (" in line:
                break
        pids = _processes_running(f"grade {hh.rel(work / 'in')}")  # the batch and its judges
        (batch,) = [p for p in pids if _parent(p) not in pids]
        os.kill(batch, signal.SIGKILL)  # only the batch: its judges and their sandboxes must follow by themselves
        proc.wait()
        stdout = "".join(lines)
        assert ": graded (" in stdout, stdout
        assert not old.exists(), "results of an earlier batch still look current"
        previous = old.parent / "grades.previous"
        assert sorted(p.name for p in previous.iterdir()) == ["grades.csv"], "the old results were touched"
        assert (previous / "grades.csv").read_text() == "student,total\nsomeone,12\n"
        time.sleep(0.3)  # parent-death signals act at once; an orphaned sandbox would still be running
        assert not hh.sandbox_processes(stdout), "a sandbox outlived its killed batch"
    finally:
        hh.cleanup(work)


def test_lecture_references_name_real_sections():
    """Every question's **Lecture:** line names a notebook that exists, and each section (§N) and title it gives
    is a heading there, so the feedback that repeats it sends a student to the right place."""
    checked = 0
    for master in _masters():
        for q in questions_of(master):
            for part in re.split(r";\s*(?=notebooks/)", q["lecture"]):
                m = re.match(r"(notebooks/\d\d_\w+\.ipynb)\s+(.*)", part)
                assert m, (master.name, q["name"], q["lecture"])
                notebook = hh.ROOT / m.group(1)
                assert notebook.exists(), (master.name, q["name"], m.group(1))
                headings = notebook_headings(notebook.name)
                # titles are compared by their words of four letters or more: the heading writes its maths in
                # LaTeX ($\\beta$), the question in Unicode (β)
                words = [set(re.findall(r"[a-z]{4,}", h.lower())) for h in headings]
                for number in re.findall(r"§(\d+)", m.group(2)):
                    assert any(re.match(rf"{number}(\.\d+)*[. ]", h) for h in headings), (
                        master.name, q["name"], f"no section {number} in {m.group(1)}")
                for title in re.findall(r"\*([^*]+)\*", m.group(2)):
                    wanted = set(re.findall(r"[a-z]{4,}", title.lower()))
                    assert wanted and any(wanted <= w for w in words), (master.name, q["name"], f"no heading {title!r}")
                    checked += 1
    assert checked >= 30


@pytest.mark.skipif(os.getuid() != 0 or shutil.which("unshare") is None,
                    reason="making the checkout's folder private for one command needs root (a mount namespace)")
def test_grades_from_a_private_folder():
    """The checkout in a folder nobody else may enter (a Debian home folder is 0700, as is every ``mktemp -d``): the
    sandboxes' uids cannot walk to the venv or the library, yet ``make grade`` works (the judging processes stage
    them).  The folder is made private for this one command only, in a mount namespace of its own."""
    work = hh.scratch("private")
    try:
        built = hh.make("homework", f"HOMEWORK_OUT={hh.rel(work / 'build')}")
        assert built.returncode == 0, built.stdout + built.stderr
        hh.write(work / "in" / "alice", "hw01_gumbel.ipynb",
                 (work / "build" / "01_gumbel" / "solved" / "hw01_gumbel.ipynb").read_text())
        parent = hh.ROOT.parent
        script = f"""set -e
hold=$(mktemp -d)
mount --bind {shlex.quote(str(parent))} "$hold"
mount -t tmpfs -o mode=0700 private {shlex.quote(str(parent))}
mkdir {shlex.quote(str(hh.ROOT))}
mount --bind "$hold/{shlex.quote(hh.ROOT.name)}" {shlex.quote(str(hh.ROOT))}
stat -c 'private folder: %n %a %U' {shlex.quote(str(parent))}
cd {shlex.quote(str(hh.ROOT))}
make grade SUBMISSIONS={hh.rel(work / 'in')} HOMEWORK_OUT={hh.rel(work / 'build')} \
    GRADE_ARGS='--out {hh.rel(work / 'grades')}'
"""
        run = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", script],
                             capture_output=True, text=True, errors="replace", timeout=600)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert f"private folder: {parent} 700 root" in run.stdout
        row = hh.rows(work / "grades")["alice"]
        assert row["status"] == "graded" and float(row["total"]) == 12, row
    finally:
        hh.cleanup(work)
