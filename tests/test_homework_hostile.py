"""A hostile class: every attack of issue 13 is a submission, graded in ONE batch with honest ones.

Each attack must end with the attacker at the points it really earned, the honest students' scores and files
untouched, nothing read outside the sandbox (an attack that finds anything puts it into its answers, where the
feedback would show it, and into files where the grader could see them), and no process left over.
The batch runs through the documented command, ``make grade SUBMISSIONS=<relative folder>``, with ``--jobs 2``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import homework_helpers as hh

LIMITS = "--jobs 2 --time-limit 30 --cell-time-limit 5 --test-time-limit 10"

# Put into q5_answer: "c" (the right answer) if the attack found nothing, else what it found (so it shows up).
SNOOP = '''
import glob, json, os, socket
found = []
for path in {targets!r}:
    try:
        with open(path, "rb") as f:
            found.append(("read", path, f.read(200).decode(errors="replace")))
    except OSError:
        pass
for folder in {folders!r}:
    try:
        names = set(os.listdir(folder)) - {skeleton!r}  # the empty folders bwrap made to mount the venv on
    except OSError:
        continue
    if names:
        found.append(("listed", folder, sorted(names)[:20]))
for proc in glob.glob("/proc/[0-9]*"):
    if proc in ("/proc/1", "/proc/2", f"/proc/{{os.getpid()}}"):  # the sandbox's own init and driver: not the grader
        continue
    for part in ("cmdline", "environ"):
        try:
            text = open(f"{{proc}}/{{part}}", "rb").read().decode(errors="replace")
        except OSError:
            continue
        if any(word in text for word in ("autograder", "tools.homework", "pytest", "hw-job", "/root", "make")):
            found.append(("proc", proc, text[:200]))
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2).close()
    found.append(("network", "1.1.1.1"))
except OSError:
    pass
if os.getuid() != 65534:
    found.append(("uid", os.getuid()))
for place in ["/tmp/loot.json", os.path.expanduser("~/loot.json"), *{drops!r}]:
    try:
        with open(place, "w") as f:
            json.dump(found, f)
    except OSError:
        pass
q5_answer = "c" if not found else "LOOT " + json.dumps(found)[:3000]
'''
OVERWRITE = '''
import os
for path in {paths!r}:
    for action in (lambda p: open(p, "w").write("overwritten"), os.remove, lambda p: os.chmod(p, 0o777)):
        try:
            action(path)
        except OSError:
            pass
'''
OTTER_FORGE = '''
import json, otter, os
otter.Notebook.check = lambda self, *args, **kwargs: None
otter.Notebook.check_all = lambda self, *args, **kwargs: None
fake = {"questions": {f"q{i}": {"score": 3, "possible": 3} for i in range(1, 7)}, "total": 12}
for path in ("results.json", "result.json", "/tmp/result.json", os.path.expanduser("~/results.json")):
    try:
        json.dump(fake, open(path, "w"))
    except OSError:
        pass
'''
MONKEYPATCH = '''
import builtins, numpy, sympy
numpy.allclose = numpy.isclose = numpy.array_equal = lambda *a, **k: True
sympy.simplify = sympy.expand = lambda *a, **k: sympy.Integer(0)
sympy.Basic.__eq__ = lambda self, other: True
builtins.abs = lambda x: 0
builtins.isinstance = lambda *a: True
'''
STR_SUBCLASS = '''
class Anything(str):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = str.__hash__
    def strip(self, *a): return self
    def lower(self): return self

class FakeExpr:
    free_symbols = set()
    def __sub__(self, other): return 0
    def __eq__(self, other): return True
    def has(self, *a): return False

q5_answer = q6_answer = Anything("zzz")
total_mass = cdf = inverse_cdf = FakeExpr()
def sample_gumbel(*args, **kwargs): return Anything("x")
'''
FAKE_THEN_KILL = '''
import json, os, signal, sys
out = sys.modules["__main__"].PROTO_OUT
out.write(json.dumps({"type": "ready", "cell_errors": []}) + "\\n")
for _ in range(100):
    out.write(json.dumps({"id": "guess", "type": "value", "value": "c"}) + "\\n")
out.flush()
for path in ("result.json", "/tmp/result.json"):
    try:
        json.dump({"questions": {"q1": {"score": 2}}}, open(path, "w"))
    except OSError:
        pass
os.kill(os.getpid(), signal.SIGKILL)
'''
BACKGROUND = '''
import os, subprocess, time
subprocess.Popen(["sleep", "600"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    while True:  # tries to hurt whoever comes next: kills what it sees, writes where grading happens
        for pid in range(3, 5000):
            if pid != os.getpid():
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
        for place in ("/tmp/hw-grade-x", {drop!r}):
            try:
                open(place, "w").write("x")
            except OSError:
                pass
        time.sleep(0.2)
'''
KILLER = '''
import os, signal
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
for pid in range(1, 70000):
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
'''
FORK_BOMB = ("import os\ntry:\n    while True:\n        if os.fork() == 0:\n"
             "            while True:\n                pass\nexcept OSError:\n    pass\n")
HOG = "hog = []\nwhile True:\n    hog.append(bytearray(50 * 2**20))\n"
LOOP = "while True:\n    pass\n"
UNSTOPPABLE = "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass\n"
CRASH = "import os\nos._exit(1)\n"


def test_hostile_batch():
    work = hh.scratch("hostile")
    build, subs, out = work / "build", work / "in", work / "grades"
    try:
        build, solved, blank = hh.built_homework(work)
        honest = {"honest-perfect": solved, "honest-blank": blank,
                  "honest-wrong": hh.replace(solved, "q5_answer", '"c"', '"a"')}
        for name, nb in honest.items():
            hh.write(subs / name, "hw01_gumbel.ipynb", nb)
        victim = subs / "honest-perfect" / "hw01_gumbel.ipynb"
        secrets = [str(hh.ROOT / "homework" / "01_gumbel" / "hw01_gumbel.ipynb"), str(victim),
                   str(build / "01_gumbel" / "hw01_gumbel-autograder.zip"),
                   str(build / "01_gumbel" / "solved" / "hw01_gumbel.ipynb"),
                   str(build / "01_gumbel" / "autograder" / "hw01_gumbel.ipynb"), "/etc/shadow",
                   "/proc/1/root/etc/hostname"]
        folders = ["/work", "/root", str(hh.ROOT / "build"), str(build), str(subs), str(hh.ROOT / "homework")]
        # the empty folders bwrap made to mount the Python, its venv and lectures_lib on
        skeleton = {*hh.ROOT.parts, *Path(sys.base_prefix).resolve().parts, ".venv", "lectures_lib"}
        drops = [str(subs / "loot.json"), str(out / "loot.json"), str(hh.ROOT / "loot.json")]
        attacks = {  # name -> (notebook, points it earns honestly, status it must get)
            "attack-snoop": (hh.append(solved, SNOOP.format(targets=secrets, folders=folders, drops=drops,
                                                             skeleton=skeleton)), 12,
                             "graded"),
            "attack-overwrite": (hh.append(solved, OVERWRITE.format(paths=[str(victim), str(subs / "attack-overwrite"
                                                                                       / "hw01_gumbel.ipynb")])),
                                 12, "graded"),
            "attack-otter": (hh.append(blank, OTTER_FORGE), 0, "graded"),
            "attack-monkeypatch": (hh.append(blank, MONKEYPATCH), 0, ("graded", "crashed")),  # breaks its own driver
            "attack-str-subclass": (hh.append(blank, STR_SUBCLASS), 0, "graded"),
            "attack-fake-then-kill": (hh.append(solved, FAKE_THEN_KILL), 0, "crashed"),
            "attack-background": (hh.append(solved, BACKGROUND.format(drop=str(subs / "bg.txt"))), 12, "graded"),
            "attack-killer": (hh.append(solved, KILLER), 12, "graded"),
            "attack-fork-bomb": (hh.prepend(solved, "def sample_gumbel", FORK_BOMB), None, None),
            "attack-hog": (hh.prepend(solved, "def sample_gumbel", HOG), 6, "graded"),  # q3 and q4 lost
            "attack-loop": (hh.prepend(solved, "def sample_gumbel", LOOP), 6, "graded"),
            "attack-unstoppable": (hh.prepend(solved, "def sample_gumbel", UNSTOPPABLE), 0, "time limit"),
            "attack-crash": (hh.prepend(solved, "def gumbel_max_sample", CRASH), 0, "crashed"),
            "attack-garbage": ("this is not a notebook {", 0, "error"),
        }
        for name, (nb, _, _) in attacks.items():
            hh.write(subs / name, "hw01_gumbel.ipynb", nb)
        before = hh.hashes(subs)
        t0 = time.monotonic()
        graded = hh.make("grade", f"SUBMISSIONS={hh.rel(subs)}", f"HOMEWORK_OUT={hh.rel(build)}",
                         f"GRADE_ARGS={LIMITS} --out {hh.rel(out)}")
        seconds = time.monotonic() - t0
        assert graded.returncode == 0, graded.stdout + graded.stderr
        rows = hh.rows(out)
        assert float(rows["honest-perfect"]["total"]) == 12 and rows["honest-perfect"]["status"] == "graded"
        assert float(rows["honest-blank"]["total"]) == 0 and float(rows["honest-wrong"]["total"]) == 11
        for name, (_, points, status) in attacks.items():
            row = rows[name]
            if points is None:  # the fork bomb: whatever it earned before it starved itself, never more
                assert float(row["total"]) <= 12, row
                continue
            feedback = (out / "feedback" / "hw01_gumbel" / f"{name}.md").read_text()
            assert row["status"].startswith(status) and float(row["total"]) == points, (row, feedback)
            print(f"{name}: {row['total']} points, {row['status']}")
        assert hh.hashes(subs) == before, "a submission was modified, added or deleted"
        everything = "\n".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
        assert "LOOT" not in everything, "the snooping submission found something"
        assert not list(work.rglob("loot.json")) and not (hh.ROOT / "loot.json").exists()
        assert not hh.sandbox_processes(graded.stdout), "a process outlived the batch"
        print(f"hostile batch: {len(rows)} submissions in {seconds:.0f} s\n" + graded.stdout[-4000:])
    finally:
        hh.cleanup(work)
