"""A hostile class, round 2 (issue 19): every route found against the grader is a submission in ONE batch.

Written before the fix, against the grader as it was; kept so that each route stays closed.  The batch runs
through the documented command, ``make grade SUBMISSIONS=<relative folder>``, with honest students of every
assignment beside the attackers.  It must end with:

* every honest student at the points they earned (perfect: full marks, blank: 0, one wrong letter: one point less),
  every attacker at 0, each with one row and a status;
* no code of an attacker run with the grader's rights (a payload that runs writes ``PWNED-*`` files and tampers
  with the build), the build unchanged, no hidden test line in any feedback;
* outputs nobody can forge: one CSV row per file and no formula or control character in any cell, one top-level
  heading per feedback page, every student's answer visible on the hand-grading page, no escape sequence on the
  terminal, no instructor file larger than a few hundred KiB;
* exit status 0.

``ATTACKS`` names each route; ``tests/test_homework_attacks.py`` is also the source of the before/after table in
the issue's closing note (each attack was run alone against the old grader).
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
import unicodedata
from pathlib import Path

import homework_helpers as hh

LIMITS = "--jobs 2 --time-limit 60 --cell-time-limit 10 --test-time-limit 10"
ASSIGNMENTS = ("01_gumbel/hw01_gumbel", "02_estimators/hw02_estimators", "03_vae/hw03_vae",
               "04_gumbel_softmax/hw04_gumbel_softmax", "05_beyond/hw05_beyond")

# What a payload does if it ever runs in the grader: proves it (a PWNED file) and tampers with the build.
PAYLOAD = '''
import os, pathlib
pathlib.Path({marker!r}).write_text("code ran in the grader as uid %d" % os.getuid())
for z in pathlib.Path({build!r}).rglob("*.zip"):
    with open(z, "ab") as f:
        f.write(b"tampered")
'''

# A notebook cell that replaces the student driver's encoder: the answers named in ``names`` (set to "TRIGGER")
# reach the judge as the raw wire value ``value`` (a Python expression of a dict), whatever the driver would send.
RAW_VALUE = '''
import __main__
_encode = __main__.encode
def _evil(v, depth=0):
    if isinstance(v, str) and v == "TRIGGER":
        return {value}
    return _encode(v, depth)
__main__.encode = _evil
{names} = "TRIGGER"
'''


def raw_value(value: dict, names: str) -> str:
    """The cell of ``RAW_VALUE`` sending ``value`` for the answers ``names`` ("a = b" assigns both)."""
    return RAW_VALUE.format(value=repr(value), names=names)


# Route 1: a SymPy value whose srepr calls a function class on a string: SymPy sympifies strings (eval).

# Route 2: a callback naming any attribute of a grader object (__getattribute__ -> __globals__ -> builtins -> exec).
CALLBACK = '''
def sample_gumbel(rng, size, loc=0.0, scale=1.0):
    import __main__, json
    def cb(handle, method, args):
        __main__.send({{"type": "callback", "handle": handle, "method": method, "args": args, "kwargs": {{}}}})
        return json.loads(__main__.PROTO_IN.readline())
    def find(v, key):
        if isinstance(v, dict) and v.get("$") == "dict":
            for k, x in v["items"]:
                if k == key:
                    return x
                found = find(x, key)
                if found is not None:
                    return found
        return None
    handle = getattr(rng, "_handle", None)
    if handle is not None:
        method = (cb(handle, "__getattribute__", ["random"]).get("value") or {{}}).get("handle")
        if method:
            namespace = cb(method, "__getattribute__", ["__globals__"]).get("value")
            run = find(namespace, "exec")
            if run:
                cb(run["handle"], None, [{payload!r}])
    return None
'''

# Route 3: redefine the notebook's given symbols so that a trivial answer passes a derivation test.
GIVEN_HW01 = '''
x, z = sp.symbols("x z", real=True)
u = sp.symbols("u", positive=True)
mu, beta, pdf, cdf = x, sp.Integer(1), sp.Integer(0), sp.exp(-1)
F, inverse_cdf = u, sp.Integer(0)
'''
GIVEN_HW03 = '''
m1, m2, eps = sp.symbols("m1 m2 epsilon", real=True)
s1, s2 = sp.symbols("s1 s2", positive=True)
m2, s2 = m1, s1
kl_closed_form = sp.Integer(0)
'''

# Route 4: answers on the channel that stop the batch: deeply nested JSON, a 40 MiB line.
DEEP_LINE = '''
import __main__
_send = __main__.send
def _deep(msg):
    if msg.get("type") == "value":
        deep = "[" * 300000 + "]" * 300000
        __main__.PROTO_OUT.write('{"id": "%s", "type": "value", "value": %s}\\n' % (msg["id"], deep))
        __main__.PROTO_OUT.flush()
        return
    _send(msg)
__main__.send = _deep
'''
HUGE_LINE = '''
import __main__
_send = __main__.send
def _huge(msg):
    if msg.get("type") == "value":
        msg = {**msg, "value": "x" * (40 * 2**20)}
    _send(msg)
__main__.send = _huge
'''

# Route 5: a free-text answer that hides every later student's answer on the hand-grading page.
HIDE_ANSWERS = "Honest-looking start.\n<!-- \n```\n<div style='display:none'>\n"
HOSTILE_NAMES = ['=HYPERLINK("evil.example","click me")', "evil\n# Forged heading", "\x1b[2J\x1b[31mred",
                 "\u202eevil", "<img src=x onerror=alert(1)>", "-2+3"]
MC_GUESSES = "abcd"
MANUAL = {"hw01_gumbel": 7, "hw02_estimators": 8, "hw03_vae": 8, "hw04_gumbel_softmax": 7, "hw05_beyond": 8}


def _manual_cell(nb: dict, question: int, text: str) -> dict:
    """``nb`` with the answer cell of hand-graded question ``question`` replaced by ``text``."""
    nb = json.loads(json.dumps(nb))
    current = None
    for c in nb["cells"]:
        src = hh.src(c)
        if c["cell_type"] == "markdown" and re.search(r"^## Question (\d+)", src, re.M):
            current = int(re.search(r"^## Question (\d+)", src, re.M).group(1))
        elif current == question and "otter_answer_cell" in c.get("metadata", {}).get("tags", []):
            c["source"] = text
            return nb
    raise AssertionError(f"no answer cell for question {question}")


def build_batch(build: Path, subs: Path, work: Path) -> tuple[dict, dict]:
    """Write the honest students and the attackers into ``subs``; return (expected, meta) where expected maps a
    student to (points, status prefix) and meta holds what the checks need."""
    nbs = {a: {kind: json.loads((build / a.split("/")[0] / kind / f"{a.split('/')[1]}.ipynb").read_text())
               for kind in ("solved", "student")} for a in ASSIGNMENTS}
    solved, blank = nbs[ASSIGNMENTS[0]]["solved"], nbs[ASSIGNMENTS[0]]["student"]
    expected: dict[str, tuple[float, str]] = {}
    for a in ASSIGNMENTS:
        slug, name = a.split("/")
        perfect = _manual_cell(nbs[a]["solved"], MANUAL[name], f"The honest answer of perfect-{name}.")
        hh.write(subs / f"perfect-{name}", f"{name}.ipynb", perfect)
        expected[f"perfect-{name}"] = (None, "graded")  # full marks: filled in from the manifest
    hh.write(subs / "honest-blank", "hw01_gumbel.ipynb", blank)
    hh.write(subs / "honest-wrong", "hw01_gumbel.ipynb", hh.replace(solved, "q5_answer", '"c"', '"a"'))
    hh.write(subs / "zed-honest", "hw01_gumbel.ipynb", _manual_cell(solved, 7, "The honest answer of zed."))
    expected.update({"honest-blank": (0, "graded"), "honest-wrong": (11, "graded"), "zed-honest": (12, "graded")})

    marker = lambda name: str(work / f"PWNED-{name}")  # noqa: E731
    payload = lambda name: PAYLOAD.format(marker=marker(name), build=str(build))  # noqa: E731
    srepr = "sin(" + repr("__import__('builtins').exec(" + repr(payload("srepr")) + ")") + ")"
    attacks = {
        "atk-srepr-eval": hh.append(blank, raw_value({"$": "sympy", "srepr": srepr}, "total_mass = cdf = inverse_cdf")),
        "atk-callback": hh.append(blank, CALLBACK.format(payload=payload("callback"))),
        "atk-given-symbols": hh.append(blank, GIVEN_HW01),
        "atk-deep-line": hh.append(solved, DEEP_LINE),
        "atk-huge-line": hh.append(solved, HUGE_LINE),
        "atk-hide-answers": _manual_cell(blank, 7, HIDE_ANSWERS),
        "atk-surrogate": _manual_cell(blank, 7, "a lone surrogate \ud800 in my answer"),
    }
    for name, nb in attacks.items():
        hh.write(subs / name, "hw01_gumbel.ipynb", nb)
        expected[name] = (0, "crashed" if name in ("atk-deep-line", "atk-huge-line") else "graded")
    hw03_blank = nbs["03_vae/hw03_vae"]["student"]
    hh.write(subs / "atk-given-symbols-hw03", "hw03_vae.ipynb", hh.append(hw03_blank, GIVEN_HW03))
    expected["atk-given-symbols-hw03"] = (0, "graded")
    # Files that stop a batch: a notebook whose cells are a number, deeply nested JSON, a name that is not UTF-8.
    hh.write(subs / "atk-cells-number", "hw01_gumbel.ipynb", json.dumps({"cells": 5, "metadata": {}, "nbformat": 4}))
    hh.write(subs / "atk-cells-list", "hw01_gumbel.ipynb", json.dumps({"cells": [5], "metadata": {}, "nbformat": 4}))
    hh.write(subs / "atk-deep-json", "hw01_gumbel.ipynb", "[" * 200000 + "]" * 200000)
    expected.update({"atk-cells-number": (0, "error"), "atk-cells-list": (0, "error"), "atk-deep-json": (0, "error")})
    raw = os.fsencode(subs) + b"/atk-latin1-caf\xe9_hw01_gumbel.ipynb"
    with open(raw, "w") as f:
        json.dump(blank, f)
    expected[os.fsdecode(b"atk-latin1-caf\xe9")] = (0, "graded")
    # Files that are not what they seem: links to the solved notebook and to another student's notebook.
    (subs / "atk-link-solved").mkdir()
    os.symlink(build / "01_gumbel" / "solved" / "hw01_gumbel.ipynb", subs / "atk-link-solved" / "hw01_gumbel.ipynb")
    (subs / "atk-link-victim").mkdir()
    os.symlink(subs / "zed-honest" / "hw01_gumbel.ipynb", subs / "atk-link-victim" / "hw01_gumbel.ipynb")
    expected.update({"atk-link-solved": (0, "error: link"), "atk-link-victim": (0, "error: link")})
    # Sixteen copies with every pair of multiple-choice guesses; the newest (wrong) one must count, not the best.
    now = time.time()
    for i in range(16):
        q5, q6 = MC_GUESSES[i % 4], MC_GUESSES[i // 4]
        nb = hh.replace(hh.replace(blank, "q5_answer", "...", repr(q5)), "q6_answer", "...", repr(q6))
        path = hh.write(subs / "atk-many-guesses", f"hw01_gumbel ({i}).ipynb", nb)
        os.utime(path, (now - 100 + i, now - 100 + i))
    newest = subs / "atk-many-guesses" / "hw01_gumbel (15).ipynb"
    hh.write(subs / "atk-many-guesses", "hw01_gumbel (15).ipynb",
             hh.replace(hh.replace(blank, "q5_answer", "...", "'b'"), "q6_answer", "...", "'d'"))
    os.utime(newest, (now, now))
    expected["atk-many-guesses"] = (0, "graded")
    # Names that would forge the instructor's outputs: CSV formulas, Markdown headings, HTML, terminal escapes.
    for name in HOSTILE_NAMES:
        hh.write(subs / name, "hw01_gumbel.ipynb", blank)
        expected[name] = (0, "graded")
    meta = {"markers": [marker("srepr"), marker("callback")], "newest": newest, "names": HOSTILE_NAMES}
    return expected, meta


def hidden_lines(build: Path) -> set[str]:
    """Lines of hidden test code (at least 12 characters, not also in a public test or the student notebook)."""
    from tools.homework.masters import hidden_test_sources

    lines = set()
    for a in ASSIGNMENTS:
        slug, name = a.split("/")
        student = (build / slug / "student" / f"{name}.ipynb").read_text()
        for src in hidden_test_sources(build / slug / f"{name}-autograder.zip"):
            lines |= {ln.strip() for ln in src.splitlines()[1:] if len(ln.strip()) >= 12 and ln.strip() not in student}
    return lines


def check_outputs(out: Path, stdout: str, n_files: int, names: list[str]) -> None:
    """Nothing a student controls changes the structure of what the instructor opens."""
    from markdown_it import MarkdownIt

    for table in ("grades.csv", "canvas.csv"):
        with (out / table).open(newline="", encoding="utf-8") as f:
            cells = list(csv.reader(f))
        for row in cells:
            for text in row:
                assert not re.search(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", text), (table, text)
                assert text[:1] not in ("=", "+", "-", "@") or re.fullmatch(r"-?[\d.]+", text), (table, text)
    with (out / "grades.csv").open(newline="", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == n_files, "one row per file"
    md = MarkdownIt("commonmark")
    for page in (out / "feedback").rglob("*.md"):
        html = md.render(page.read_text(encoding="utf-8"))
        assert html.count("<h1>") == 1, (page, html[:2000])
        assert "<img" not in html and "<script" not in html, page
    manual = md.render((out / "manual" / "hw01_gumbel.md").read_text(encoding="utf-8"))
    assert "The honest answer of zed." in manual and "The honest answer of perfect-hw01_gumbel." in manual, manual
    assert manual.count("<h2>") == len(re.findall(r"^## ", (out / "manual" / "hw01_gumbel.md").read_text(), re.M))
    assert "\x1b" not in stdout and "\u202e" not in stdout, "a student's text reached the terminal raw"
    for path in out.rglob("*"):
        assert not path.is_file() or path.stat().st_size < 512 * 1024, (path, path.stat().st_size)


def test_hostile_batch_round_two():
    work = hh.scratch("attacks")
    build, subs, out = work / "build", work / "in", work / "grades"
    try:
        built = hh.make("homework", f"HOMEWORK_OUT={hh.rel(build)}")
        assert built.returncode == 0, built.stdout + built.stderr
        manifest = json.loads((build / "manifest.json").read_text())
        full = {a["name"]: a["auto_points"] for a in manifest["assignments"]}
        expected, meta = build_batch(build, subs, work)
        n_files = sum(1 for p in subs.rglob("*") if p.is_symlink() or p.is_file())
        before_subs, before_build = hh.hashes(subs), hh.hashes(build)
        t0 = time.monotonic()
        graded = hh.make("grade", f"SUBMISSIONS={hh.rel(subs)}", f"HOMEWORK_OUT={hh.rel(build)}",
                         f"GRADE_ARGS={LIMITS} --out {hh.rel(out)}", timeout=1800)
        seconds = time.monotonic() - t0
        print(graded.stdout[-6000:], graded.stderr[-3000:])
        assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
        with (out / "grades.csv").open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        by_student: dict[str, list[dict]] = {}
        for row in rows:
            by_student.setdefault(row["student"], []).append(row)
        report = []
        for student, (points, status) in expected.items():
            assert shown(student) in by_student, f"no row for {shown(student)!r}: {sorted(by_student)}"
            counting = [r for r in by_student[shown(student)] if not r["status"].startswith("superseded")]
            assert len(counting) == 1, (student, by_student[shown(student)])
            row = counting[0]
            want = full[row["assignment"]] if points is None else points
            report.append(f"{student!r}: {row['total']} points, {row['status']}")
            assert float(row["total"] or 0) == want and row["status"].startswith(status), (student, row)
        print("\n".join(report))
        superseded = [r for r in by_student["atk-many-guesses"] if r["status"].startswith("superseded")]
        assert len(superseded) == 15 and os.path.basename(meta["newest"]) in next(
            r["file"] for r in by_student["atk-many-guesses"] if not r["status"].startswith("superseded"))
        with (out / "canvas.csv").open(newline="", encoding="utf-8") as f:
            canvas = {r["SIS Login ID"]: r for r in csv.DictReader(f)}
        assert canvas["atk-many-guesses"]["hw01_gumbel"] == "0", canvas["atk-many-guesses"]
        for marker in meta["markers"]:
            assert not Path(marker).exists(), Path(marker).read_text()
        assert not list(work.rglob("PWNED-*")), "a payload ran in the grader"
        assert hh.hashes(build) == before_build, "the build was changed"
        assert hh.hashes(subs) == before_subs, "a submission was changed"
        feedback = "\n".join(p.read_text(encoding="utf-8") for p in (out / "feedback").rglob("*.md"))
        leaked = [ln for ln in hidden_lines(build) if ln in feedback]
        assert not leaked, leaked[:5]
        check_outputs(out, graded.stdout, n_files, meta["names"])
        assert not hh.sandbox_processes(graded.stdout), "a process outlived the batch"
        print(f"round-two hostile batch: {len(rows)} rows in {seconds:.0f} s")
    finally:
        hh.cleanup(work)


def shown(name: str) -> str:
    """How a name appears in a CSV cell (homework/README.md): undecodable bytes as \\xNN, control and format
    characters as \\xNN or \\uNNNN, and a ' before a leading =, +, - or @ so that no spreadsheet runs it."""
    out = []
    for ch in name:
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    text = "".join(out)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def given_names(master: Path) -> tuple[set[str], dict[str, list[str]]]:
    """(names a master's own code assigns outside its solutions, {test function: its parameters})."""
    import ast

    given, params, block = set(), {}, None
    for cell in json.loads(master.read_text(encoding="utf-8"))["cells"]:
        text = hh.src(cell)
        if cell["cell_type"] == "raw":
            head = text.strip().split("\n")[0]
            block = {"# BEGIN TESTS": "tests"}.get(head, None if head.startswith("# END TESTS") else block)
            continue
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse(text)
        if block == "tests":
            params.update({f.name: [a.arg for a in f.args.args] for f in tree.body if isinstance(f, ast.FunctionDef)})
            continue
        solution, inside = set(), False
        for number, line in enumerate(text.splitlines(), start=1):
            s = line.strip()
            inside = True if s.startswith("# BEGIN SOLUTION") else False if s.startswith("# END SOLUTION") else inside
            if inside or s.endswith("# SOLUTION"):
                solution.add(number)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and not solution & set(range(node.lineno, node.end_lineno + 1)):
                given |= {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return given, params


def test_tests_never_take_the_notebooks_given_symbols():
    """Route 3 closed for good: a test takes only answers from the notebook and builds every given symbol and
    expression itself, so a notebook that redefines ``mu = x`` or ``s2 = s1`` cannot make a trivial answer pass."""
    masters = sorted((hh.ROOT / "homework").glob("[0-9][0-9]_*/*.ipynb"))
    assert len(masters) == 5
    for master in masters:
        given, params = given_names(master)
        assert params and given, master
        for test, names in params.items():
            assert not set(names) & given, f"{master.name}: {test} takes given names {set(names) & given}"


# Runs INSIDE the judge when the decoder has the bug injected below: everything a judge taken over could try.
JUDGE_PAYLOAD = r'''
import json, os, sys
main = sys.modules["__main__"]
loot = []
for path in {reads!r}:
    try:
        with open(path, "rb") as f:
            loot.append(["read", path, len(f.read(100))])
    except OSError as e:
        loot.append(["refused", path, type(e).__name__])
for path in {writes!r}:
    try:
        with open(path, "w") as f:
            f.write("judge was here")
        loot.append(["wrote", path])
    except OSError as e:
        loot.append(["refused", path, type(e).__name__])
main.run = lambda student, tests: {{t: (True, "") for t, _, _ in tests}}  # full marks for me
original_load, original_emit = main.load, main.emit
def load(tests):
    main.SEEN = [t["source"] for t in tests]
    return original_load(tests)
def emit(tag, msg):
    if tag == b"=" and msg.get("phase") == 1:
        seen = [t["source"] for t in main.CONFIG["tests"]]  # every test it was given before phase 1's result
        for i, test in enumerate(sorted(msg["results"])):  # each message is cut at 1500 characters: one module each
            text = ("LOOT " + json.dumps(loot) + "\n") if i == 0 else seen[-i] if i <= len(seen) else ""
            msg["results"][test] = {{"passed": False, "message": text}}
    if tag == b"=" and msg.get("phase") == 2:
        leak = "\n".join(getattr(main, "SEEN", []))
        original_emit(b">", {{"type": "leak", "text": leak}})
        sys.stderr.write(leak)  # to the judge's log
    original_emit(tag, msg)
main.load, main.emit = load, emit
'''
BUG = '''    if kind == "ellipsis":
        return ...
'''


def test_a_decoder_bug_changes_only_the_attackers_own_score(monkeypatch, capsys):
    """Inject the worst decoder bug (it runs code sent by the student) into the judge, and let an attacker use it
    to the full: read and write what it can, give itself full marks, and push the hidden tests out by every channel
    it has.  The design must hold: the honest students' scores are untouched, nothing outside the judge's sandbox is
    read or written, the build is unchanged, and no hidden test line reaches any feedback."""
    from tools.homework import __main__ as cli
    from tools.homework import session

    buggy = session.JUDGE_FILES["/judge/wire.py"].decode()
    assert BUG in buggy
    buggy = buggy.replace(BUG, BUG + '    if kind == "evil":  # THE INJECTED BUG\n        exec(v["code"], {})\n'
                                     '        return None\n')
    monkeypatch.setitem(session.JUDGE_FILES, "/judge/wire.py", buggy.encode())
    work = hh.scratch("decoder-bug")
    build, subs, out = work / "build", work / "in", work / "grades"
    try:
        build, solved, blank = hh.built_homework(work)
        victim = hh.write(subs / "honest-perfect", "hw01_gumbel.ipynb", solved)
        hh.write(subs / "honest-blank", "hw01_gumbel.ipynb", blank)
        reads = [str(victim), str(build / "01_gumbel" / "hw01_gumbel-autograder.zip"),
                 str(build / "01_gumbel" / "solved" / "hw01_gumbel.ipynb"), str(build / "manifest.json"),
                 str(hh.ROOT / "homework" / "01_gumbel" / "hw01_gumbel.ipynb"), "/etc/shadow", "/root/.bashrc",
                 "/proc/1/root/etc/hostname"]
        writes = [str(build / "PWNED"), str(subs / "PWNED"), str(work / "PWNED"),
                  str(hh.ROOT / "lectures_lib" / "x.py"), "/tmp/ok-here-it-is-private"]
        payload = JUDGE_PAYLOAD.format(reads=reads, writes=writes)
        attack = raw_value({"$": "evil", "code": payload}, "total_mass")
        hh.write(subs / "attacker", "hw01_gumbel.ipynb", hh.append(blank, attack))
        before_build, before_subs = hh.hashes(build), hh.hashes(subs)
        code = cli.main(["grade", str(subs), "--build", str(build), "--out", str(out), "--jobs", "2"])
        print(capsys.readouterr().out[-3000:])
        assert code == 0
        rows = hh.rows(out)
        assert float(rows["honest-perfect"]["total"]) == 12 and float(rows["honest-blank"]["total"]) == 0, rows
        print("attacker:", rows["attacker"]["total"], rows["attacker"]["status"])  # its own score: anything
        shown_to_students = "\n".join(p.read_text() for p in (out / "feedback").rglob("*.md"))
        shown_to_students += "\n".join(p.read_text() for p in (out / "manual").rglob("*.md"))
        shown_to_students += (out / "grades.csv").read_text() + (out / "canvas.csv").read_text()
        leaked = [ln for ln in hidden_lines(build) if ln in shown_to_students]
        assert not leaked, leaked[:5]
        feedback = (out / "feedback" / "hw01_gumbel" / "attacker.md").read_text()
        loot = json.loads(re.search(r"LOOT (\[.*\])\n", feedback).group(1))
        assert loot and all(entry[0] == "refused" for entry in loot[:-1]), loot
        assert loot[-1][0] == "wrote" and loot[-1][1] == "/tmp/ok-here-it-is-private"  # its own private tmpfs
        assert not list(work.rglob("PWNED")) and not (hh.ROOT / "lectures_lib" / "x.py").exists()
        assert hh.hashes(build) == before_build and hh.hashes(subs) == before_subs
        # the attack did get the hidden tests in phase 2 and pushed them out: they reached only the instructor's log
        log = (out / "instructor_only" / "hw01_gumbel" / "attacker.judge.log").read_text()
        assert hidden_lines(build) & {ln.strip() for ln in log.splitlines()}
    finally:
        hh.cleanup(work)
