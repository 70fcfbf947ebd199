"""Build and grade the homework (otter-grader 7), offline.  Instructors: see homework/README.md.

    python tools/homework.py build [--out build/homework] [--check]        # make homework
    python tools/homework.py grade SUBMISSIONS [--out DIR] [limits ...]     # make grade SUBMISSIONS=...

``build`` runs ``otter assign`` on every master ``homework/NN_topic/<name>.ipynb`` and writes, per assignment,
the student notebook (no solutions, no hidden tests; checked here), the hand-out zip and the autograder zip, plus
``manifest.json`` (questions, points, lecture sections).  ``--check`` then grades every solution notebook through
the same path as ``grade`` and fails unless each gets full marks.

``grade`` grades every ``*.ipynb`` under SUBMISSIONS.  Each submission is copied into its own temporary folder
and graded there by ``otter run`` in a subprocess of this script (``_grade-one``) with

* a wall-clock limit for the whole submission (the process group is killed), a time limit per cell (the kernel
  is interrupted and grading goes on with the next cell) and per test case (the test fails);
* ``resource.setrlimit`` limits (address space per process, CPU seconds, file size, no core dumps);
* no network where the machine allows it: ``unshare -n`` as root, ``unshare -rn`` with user namespaces; only the
  loopback interface (which the kernel's ZeroMQ sockets need) is brought up.  Otherwise a warning is printed
  (``--require-no-network`` makes it an error);
* a minimal environment (no variables of the instructor's shell), HOME and TMPDIR inside the temporary folder.

The submissions are only read.  Outputs: ``grades.csv`` (one row per submission), ``feedback/<assignment>/
<student>.md`` (scores, public test output, hidden tests as passed/failed with their hand-written failure
messages only: no hidden test code), ``manual/<assignment>.md`` (answers to the hand-graded questions) and
``instructor_only/`` (otter's full results, which do contain hidden test code: never hand these out).
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import importlib.util
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOMEWORK = ROOT / "homework"
DEFAULT_OUT = ROOT / "build" / "homework"
STUDENT_README = HOMEWORK / "STUDENTS.md"
# Text that only a master or an autograder holds; none of it may reach a student notebook.
LEAK_MARKERS = ("# BEGIN SOLUTION", "# END SOLUTION", "# SOLUTION", "BEGIN TESTS", "END TESTS", "BEGIN TEST CONFIG",
                "hidden: true", "hidden=True", "ASSIGNMENT CONFIG", "# BEGIN QUESTION")
MiB = 1024 * 1024
# What a grading failure means, for the student's feedback.
EXPLAIN = {
    "DeadKernelError": "the Python kernel died while running your notebook: a crash, os._exit, or too much memory; "
                       "no question could be graded",
    "NotJSONError": "the file is not a notebook: hand in the .ipynb file saved by JupyterLab",
    "time limit": "your notebook ran longer than the time limit, so it was stopped and no question could be graded; "
                  "look for a loop that never ends, or one that ignores interrupts",
    "crashed": "the grader could not finish, perhaps because the memory or CPU-time limit was hit",
}


# ------------------------------------------------------------------------------------------------ masters
def masters() -> list[Path]:
    """The master notebooks, one per ``homework/NN_topic/`` folder, in order."""
    found = sorted(p for p in HOMEWORK.glob("[0-9][0-9]_*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for folder in {p.parent for p in found}:
        if sum(p.parent == folder for p in found) != 1:
            raise SystemExit(f"{folder}: expected exactly one master notebook")
    return found


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def questions_of(master: Path) -> list[dict]:
    """Question name, points, manual flag, title and lecture section, read from the master's cells."""
    import yaml

    cells = json.loads(master.read_text(encoding="utf-8"))["cells"]
    out = []
    for i, cell in enumerate(cells):
        text = _source(cell)
        if cell["cell_type"] != "raw" or not text.lstrip().startswith("# BEGIN QUESTION"):
            continue
        config = yaml.safe_load(text.split("\n", 1)[1]) or {}
        prompt = next((_source(c) for c in cells[i + 1:] if c["cell_type"] == "markdown"), "")
        title = next((ln.lstrip("# ").strip() for ln in prompt.splitlines() if ln.startswith("#")), config["name"])
        title = re.sub(r"\s*\([^()]*\bpoints?\b[^()]*\)$", "", title)  # the points have their own column
        lecture = next((ln.split("**Lecture:**", 1)[1].strip() for ln in prompt.splitlines()
                        if "**Lecture:**" in ln), "").rstrip(".")
        out.append({"name": str(config["name"]), "points": float(config.get("points", 1)),
                     "manual": bool(config.get("manual", False)), "title": title, "lecture": lecture})
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------------ build
def _otter_assign(master: Path, dest: Path) -> None:
    """``otter assign --no-run-tests --no-pdfs master dest``, in this process (the import is most of its cost)."""
    import contextlib
    import io
    import logging

    skip_slow_import()
    import otter.assign

    shutil.rmtree(dest, ignore_errors=True)
    log = io.StringIO()
    logging.getLogger("otter").setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            otter.assign.main(str(master), str(dest), no_pdfs=True, no_run_tests=True)
    except Exception as exc:
        raise SystemExit(f"otter assign failed for {master}: {type(exc).__name__}: {exc}\n{log.getvalue()}") from exc


def build(out: Path = DEFAULT_OUT) -> dict:
    """Build every assignment into ``out``; return (and write) the manifest."""
    t0 = time.perf_counter()
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".work"
    todo = masters()
    if not todo:
        raise SystemExit(f"no master notebooks found in {HOMEWORK}/NN_topic/")
    for master in todo:
        _otter_assign(master, work / master.parent.name)

    handout = out / "handout"
    shutil.rmtree(handout, ignore_errors=True)
    handout.mkdir()
    assignments = []
    for master in todo:
        slug, name = master.parent.name, master.stem
        src, dest = work / slug, out / slug
        shutil.rmtree(dest, ignore_errors=True)
        (dest / "student").mkdir(parents=True)
        (dest / "autograder").mkdir()
        shutil.copy2(src / "student" / master.name, dest / "student" / master.name)
        shutil.copy2(src / "autograder" / master.name, dest / "autograder" / master.name)  # the solutions
        # otter names the zip with a timestamp; a fixed name is what the Makefile and the README can refer to
        (zip_src,) = (src / "autograder").glob(f"{name}-autograder_*.zip")
        shutil.copy2(zip_src, dest / f"{name}-autograder.zip")
        leaks = find_leaks(dest / "student" / master.name, dest / f"{name}-autograder.zip", master)
        if leaks:
            raise SystemExit(f"{master}: the student notebook would leak: " + "; ".join(leaks))
        with zipfile.ZipFile(handout / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(dest / "student" / master.name, f"{name}/{master.name}")
            if STUDENT_README.exists():
                zf.write(STUDENT_README, f"{name}/README.md")
        qs = questions_of(master)
        assignments.append({
            "name": name, "slug": slug, "notebook": master.name,
            "master": str(master.relative_to(ROOT)), "master_sha256": _sha256(master),
            "student_notebook": f"{slug}/student/{master.name}",
            "solution_notebook": f"{slug}/autograder/{master.name}",
            "autograder_zip": f"{slug}/{name}-autograder.zip", "handout_zip": f"handout/{name}.zip",
            "questions": qs, "points": sum(q["points"] for q in qs),
            "auto_points": sum(q["points"] for q in qs if not q["manual"]),
        })
        print(f"built {name}: {len(qs)} questions, {assignments[-1]['points']:g} points "
              f"({assignments[-1]['auto_points']:g} auto-graded) -> {dest.relative_to(out.parent)}")
    shutil.rmtree(work)
    manifest = {"assignments": assignments}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"homework built in {time.perf_counter() - t0:.1f} s: hand out {handout}/*.zip; "
          f"keep {out}/*/autograder and *-autograder.zip to yourself")
    return manifest


def load_manifest(out: Path, *, rebuild_if_stale: bool = True) -> dict:
    """The manifest of ``out``, rebuilding first if it is missing or a master changed since."""
    path = out / "manifest.json"
    if path.exists():
        manifest = json.loads(path.read_text())
        current = {str(m.relative_to(ROOT)): _sha256(m) for m in masters()}
        built = {a["master"]: a["master_sha256"] for a in manifest["assignments"]}
        if built == current or not rebuild_if_stale:
            return manifest
        print("a master notebook changed since the last build: rebuilding the homework first")
    return build(out)


# ------------------------------------------------------------------------------------------------ leak check
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
        text = _source(cell)
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


# ------------------------------------------------------------------------------------------------ sandbox
def network_isolation() -> tuple[list[str], str]:
    """The command prefix that runs a child without network, and a sentence saying what was achieved."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return [], "unshare(1) not found"
    for prefix in ([unshare, "--net"], [unshare, "--map-root-user", "--net"]):
        try:
            ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return prefix, f"no network (a new network namespace: {' '.join(prefix)}; loopback only)"
    return [], "unshare --net is not permitted here (needs root, or unprivileged user namespaces)"


def choose_isolation(opts) -> tuple[list[str], str]:
    """``network_isolation()`` unless ``--allow-network``; say so loudly when the network stays on."""
    isolation, how = network_isolation() if opts.network else ([], "disabled with --allow-network")
    if not isolation:
        message = f"WARNING: student code will run WITH network access: {how}."
        if opts.require_no_network:
            raise SystemExit(message.replace("WARNING", "ERROR") + " (--require-no-network)")
        print(message)
    return isolation, how


def _limits(memory_mb: int, cpu_seconds: int):
    """preexec_fn: resource limits for the grading child and everything it starts (the kernel)."""
    def apply():
        memory = memory_mb * MiB
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))  # per process: child, kernel
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))  # SIGXCPU, then SIGKILL
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * MiB, 256 * MiB))  # no file larger than 256 MiB
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _child_env(tmp: Path) -> dict:
    """A minimal environment: nothing from the instructor's shell reaches student code but PATH and locale."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL") if k in os.environ}
    for name in ("home", "tmp", "ipython", "runtime", "mpl"):
        (tmp / name).mkdir(exist_ok=True)
    env.update(HOME=str(tmp / "home"), TMPDIR=str(tmp / "tmp"), IPYTHONDIR=str(tmp / "ipython"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), MPLCONFIGDIR=str(tmp / "mpl"), MPLBACKEND="Agg",
               PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", PYDEVD_DISABLE_FILE_VALIDATION="1",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MALLOC_ARENA_MAX="2")  # glibc reserves 64 MiB of address space per thread arena otherwise
    return env


# Runs in the kernel before the notebook (an IPython startup file in the child's IPYTHONDIR): a time limit per
# test case, so that a student function which never returns fails its test case instead of hanging the grading.
TEST_TIME_LIMIT_STARTUP = '''\
import sys

sys.modules.setdefault("rfc3987_syntax", None)  # see SKIP_SLOW_IMPORT in tools/homework.py


def _hw_test_time_limit(seconds):
    import signal
    from otter.test_files import exception_test

    def alarm(signum, frame):
        raise TimeoutError(f"this test case took longer than {seconds:g} s (the time limit per test)")

    def call_func(self, global_environment):
        # otter's own call_func, with an alarm around the call; no extra frame, as otter's error messages
        # find the failing line of the test two frames down the traceback
        kwargs = {a: global_environment if a == "env" else global_environment.get(a) for a in self._get_func_params()}
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            self.test_func(**kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    exception_test.test_case.call_func = call_func


_hw_test_time_limit(__SECONDS__)
del _hw_test_time_limit, sys
'''


# ------------------------------------------------------------------------------------------------ grade-one (child)
def skip_slow_import() -> None:
    """SKIP_SLOW_IMPORT: otter imports nbformat, which imports jsonschema, which builds a Lark grammar for its optional
    'iri' format checker whenever ``rfc3987_syntax`` is importable: 1.5 s of CPU in the grader and again in every
    kernel, a third of the cost of grading a notebook.  Nothing here validates IRIs, so the module is marked absent."""
    sys.modules.setdefault("rfc3987_syntax", None)


def _bring_up_loopback() -> None:
    """In a fresh network namespace ``lo`` is down; the kernel talks to its client over 127.0.0.1."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack("16sh", fcntl.ioctl(s, siocgifflags, struct.pack("16sh", b"lo", 0)))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def grade_one(args) -> int:
    """Child process: grade one submission with ``otter run``; write a JSON summary.  Never raises."""
    result: dict = {}
    try:
        if args.loopback:
            _bring_up_loopback()
        skip_slow_import()
        import nbconvert.preprocessors as preprocessors

        class TimedExecutePreprocessor(preprocessors.ExecutePreprocessor):
            """Interrupt a cell that runs longer than the cell limit, then go on with the next cell."""

            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.timeout, self.interrupt_on_timeout = args.cell_time_limit, True

        # otter's grade_notebook imports ExecutePreprocessor from this module when it runs
        preprocessors.ExecutePreprocessor = TimedExecutePreprocessor
        import otter.run

        results = otter.run.main(args.submission, autograder=args.autograder, output_dir=None, no_logo=True)
        result = _summarise(results, args.submission)
    except BaseException as exc:  # noqa: BLE001 - any failure is reported to the parent as data
        result = {"error": f"{type(exc).__name__}: {str(exc).strip()[:500]}"}
    Path(args.result).write_text(json.dumps(result))
    return 0 if "error" not in result else 1


def _summarise(results, submission: str) -> dict:
    """Plain JSON of otter's GradingResults: per question and test case; errors in the student's own cells."""
    questions = {}
    for name, tf in results.results.items():
        questions[name] = {"score": float(tf.score), "possible": float(tf.possible), "tests": [
            {"name": r.test_case.name, "hidden": bool(r.test_case.hidden), "points": float(r.test_case.points or 0),
             "passed": bool(r.passed), "message": r.message or "",
             "failure_message": r.test_case.failure_message or "", "success_message": r.test_case.success_message or ""}
            for r in tf.test_case_results]}
    own = [_source(c) for c in json.loads(Path(submission).read_text(encoding="utf-8"))["cells"]]
    errors = []
    for cell in (results.notebook.cells if results.notebook is not None else []):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and _source(cell) in own:
                first = next((ln.strip() for ln in _source(cell).splitlines() if ln.strip()), "")
                errors.append({"cell": own.index(_source(cell)) + 1, "ename": output.get("ename", ""),
                               "first_line": first[:60]})
    catastrophic = results.catastrophic_error
    return {"questions": questions, "cell_errors": errors,
            "catastrophic_error": None if catastrophic is None else f"{type(catastrophic).__name__}: {catastrophic}"}


# ------------------------------------------------------------------------------------------------ grade (parent)
def _assignment_of(path: Path, by_name: dict) -> str | None:
    try:
        name = json.loads(path.read_text(encoding="utf-8"))["metadata"]["otter"]["assignment_name"]
        if name in by_name:
            return name
    except (OSError, ValueError, KeyError, TypeError):
        pass
    matches = [n for n in by_name if n in path.stem]
    return max(matches, key=len) if matches else None


def _student_of(path: Path, submissions: Path, assignment: str | None) -> str:
    rel = path.relative_to(submissions)
    if len(rel.parts) > 1:
        return rel.parts[0]
    stem = path.stem.replace(assignment, "") if assignment else path.stem
    return stem.strip(" _-.") or path.stem


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "student"


class Job:
    """One submission being graded by a child process."""

    def __init__(self, path: Path, submissions: Path, manifest: dict, build_dir: Path, opts):
        self.path, self.opts = path, opts
        by_name = {a["name"]: a for a in manifest["assignments"]}
        name = _assignment_of(path, by_name)
        self.assignment = by_name.get(name)
        self.student = _student_of(path, submissions, name)
        self.rel = str(path.relative_to(submissions))
        self.build_dir = build_dir
        self.proc, self.tmp, self.status, self.result, self.seconds = None, None, None, None, 0.0

    def start(self, isolation: list[str]) -> None:
        self.t0 = time.perf_counter()
        if self.assignment is None:
            self.status = ("error: cannot tell which assignment this is "
                           "(no otter metadata, and no assignment name in the file name)")
            return
        self.tmp = Path(tempfile.mkdtemp(prefix="hw-grade-"))
        copy = self.tmp / "submission" / self.assignment["notebook"]
        copy.parent.mkdir()
        shutil.copyfile(self.path, copy)  # the original is only read
        (self.tmp / "ipython" / "profile_default" / "startup").mkdir(parents=True)
        (self.tmp / "ipython" / "profile_default" / "startup" / "00-test-time-limit.py").write_text(
            TEST_TIME_LIMIT_STARTUP.replace("__SECONDS__", repr(float(self.opts.test_time_limit))))
        cmd = [*isolation, sys.executable, str(Path(__file__).resolve()), "_grade-one",
               "--autograder", str(self.build_dir / self.assignment["autograder_zip"]), "--submission", str(copy),
               "--result", str(self.tmp / "result.json"), "--cell-time-limit", str(self.opts.cell_time_limit)]
        if isolation:
            cmd.append("--loopback")
        self.log = open(self.tmp / "grading.log", "w")  # noqa: SIM115 (closed in finish)
        self.deadline = time.monotonic() + self.opts.time_limit
        self.proc = subprocess.Popen(
            cmd, cwd=self.tmp, env=_child_env(self.tmp), stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,  # its own process group: killpg reaches the kernel
            preexec_fn=_limits(self.opts.memory_mb, math.ceil(self.opts.time_limit) + 30))

    def poll(self) -> bool:
        """True when finished (killing the process group at the deadline)."""
        if self.proc is None:
            return True
        if self.proc.poll() is None and time.monotonic() > self.deadline:
            self.status = f"time limit: grading stopped after {self.opts.time_limit:g} s (an endless loop?)"
            self._kill()
        if self.proc.poll() is None:
            return False
        self._kill()  # whatever the child left running (the kernel, if the child died first)
        return True

    def _kill(self) -> None:
        for pid in [self.proc.pid, *_processes_mentioning(self.tmp)]:
            # the child's group, and the kernel's: jupyter_client starts kernels in a session of their own
            try:
                group = os.getpgid(pid)
                if group != os.getpgrp():
                    os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc.wait()

    def finish(self) -> None:
        """Read the child's JSON (as untrusted data), set status and result, and clean up."""
        self.seconds = time.perf_counter() - self.t0
        if self.proc is None:
            return
        self.log.close()
        raw = None
        try:
            raw = json.loads((self.tmp / "result.json").read_text())
        except (OSError, ValueError):
            pass
        code = self.proc.returncode
        if self.status is None:
            if isinstance(raw, dict) and isinstance(raw.get("questions"), dict):
                self.status, self.result = "graded", raw
            elif isinstance(raw, dict) and "error" in raw:
                self.status = f"error: {str(raw['error'])[:300]}"
            elif code is not None and code < 0:
                sig = signal.Signals(-code).name
                why = " (the CPU-time limit)" if sig in ("SIGXCPU", "SIGKILL") else ""
                self.status = f"crashed: the grader was killed by {sig}{why}"
            else:
                self.status = f"crashed: the grader exited with code {code} and no result"
        if self.result and self.result.get("catastrophic_error"):
            self.status = f"error: {str(self.result['catastrophic_error'])[:300]}"
            self.result = None
        keep = self.opts.out / "instructor_only" / self.assignment["name"]
        keep.mkdir(parents=True, exist_ok=True)
        stem = _safe(self.student)
        if raw is not None:
            (keep / f"{stem}.json").write_text(json.dumps(raw, indent=1))
        if self.status != "graded":
            shutil.copyfile(self.tmp / "grading.log", keep / f"{stem}.log")
        shutil.rmtree(self.tmp, ignore_errors=True)


def _processes_mentioning(folder: Path) -> list[int]:
    """Processes whose command line names ``folder`` (a kernel's names its connection file in there)."""
    out = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(folder).encode() in (proc / "cmdline").read_bytes() and int(proc.name) != os.getpid():
                out.append(int(proc.name))
        except OSError:
            pass
    return out


def _scores(job: Job) -> dict[str, float]:
    """Per auto-graded question, the score, clamped to [0, points] (the child's JSON is not trusted)."""
    out = {}
    for q in job.assignment["questions"]:
        if q["manual"]:
            continue
        got = ((job.result or {}).get("questions") or {}).get(q["name"]) or {}
        score = got.get("score", 0.0)
        score = float(score) if isinstance(score, int | float) and math.isfinite(score) else 0.0
        out[q["name"]] = min(max(score, 0.0), q["points"])
    return out


def _cell(text: str) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def feedback_markdown(job: Job, scores: dict) -> str:
    """The student's feedback: no hidden test code, only hidden tests' pass/fail and failure messages."""
    a = job.assignment
    auto, manual = a["auto_points"], [q for q in a["questions"] if q["manual"]]
    lines = [f"# {a['name']}: feedback for {job.student}", "",
             f"Submitted file: `{job.rel}`  ", f"Status: {job.status}  ",
             *([f"({EXPLAIN[k]})  "] if (k := next((k for k in EXPLAIN if k in job.status), None)) else []),
             f"Auto-graded score: **{sum(scores.values()):g} / {auto:g}**"
             + (f" (+ {sum(q['points'] for q in manual):g} points graded by hand: "
                f"{', '.join(q['name'] for q in manual)})" if manual else ""), "",
             "| Question | Score | Lecture section |", "|---|---|---|"]
    for q in a["questions"]:
        score = "graded by hand" if q["manual"] else f"{scores[q['name']]:g} / {q['points']:g}"
        title, lecture = (text.replace("|", "\\|") for text in (q["title"], q["lecture"]))  # a | ends a cell
        lines.append(f"| {title} | {score} | {lecture} |")
    graded = (job.result or {}).get("questions") or {}
    for q in a["questions"]:
        if q["manual"]:
            continue
        tests = (graded.get(q["name"]) or {}).get("tests") or []
        lines += ["", f"## {q['title']}: {scores[q['name']]:g} / {q['points']:g}", ""]
        if not tests:
            lines.append("No test result for this question (the notebook could not be graded, see the status).")
        public = [t for t in tests if isinstance(t, dict) and not t.get("hidden")]
        hidden = [t for t in tests if isinstance(t, dict) and t.get("hidden")]
        for t in public:
            lines.append(f"- public test {t.get('name', '')}: {'passed' if t.get('passed') else 'failed'}")
            if not t.get("passed"):
                lines += ["", "  ```", *("  " + ln for ln in str(t.get("message", ""))[:1500].splitlines()), "  ```"]
        if hidden:
            lines.append(f"- hidden tests: {sum(bool(t.get('passed')) for t in hidden)} of {len(hidden)} passed")
            for t in hidden:
                if not t.get("passed"):
                    hint = str(t.get("failure_message") or "no hint for this test")[:300]
                    points = float(t.get("points", 0))
                    lines.append(f"  - failed ({points:g} point{'' if points == 1 else 's'}): {hint}")
    errors = (job.result or {}).get("cell_errors") or []
    if errors:
        lines += ["", "## Cells that raised an error when your notebook was run from the top", ""]
        lines += [f"- cell {e.get('cell')} (`{str(e.get('first_line', '')).replace('`', '')}`): {e.get('ename')}"
                  + (" (stopped: the cell ran longer than the time limit per cell)"
                     if e.get("ename") == "KeyboardInterrupt" else "")
                  for e in errors if isinstance(e, dict)][:30]
    return "\n".join(lines) + "\n"


def _manual_answers(path: Path, assignment: dict) -> dict[str, str]:
    """The Markdown answer cells of the hand-graded questions, by question name."""
    manual = {q["name"] for q in assignment["questions"] if q["manual"]}
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return {}
    answers, current = {}, None
    for cell in cells:
        m = re.search(r"^## Question (\d+)", _source(cell), re.M) if cell.get("cell_type") == "markdown" else None
        if m:
            current = f"q{m.group(1)}"
        elif current in manual and "otter_answer_cell" in cell.get("metadata", {}).get("tags", []):
            answers[current] = (answers.get(current, "") + "\n" + _source(cell)).strip()
    return answers


def grade(submissions: Path, opts) -> list[dict]:
    """Grade every notebook under ``submissions``; write grades.csv, feedback/, manual/, instructor_only/."""
    submissions, out = submissions.resolve(), opts.out.resolve()
    if not submissions.is_dir():
        raise SystemExit(f"SUBMISSIONS={submissions} is not a folder")
    if out == submissions or submissions in out.parents or out in submissions.parents:
        raise SystemExit("the output folder must not contain, or be inside, the submissions folder")
    manifest = load_manifest(opts.build)
    paths = sorted(p for p in submissions.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.is_file())
    if not paths:
        raise SystemExit(f"no .ipynb files under {submissions}")
    isolation, how = choose_isolation(opts)
    print(f"grading {len(paths)} submissions, {opts.jobs} at a time; sandbox: {how}; limits: {opts.time_limit:g} s "
          f"per submission, {opts.cell_time_limit:g} s per cell, {opts.test_time_limit:g} s per test, "
          f"{opts.memory_mb} MiB address space per process")
    for sub in ("feedback", "manual", "instructor_only"):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    opts.out = out
    jobs = [Job(p, submissions, manifest, opts.build, opts) for p in paths]
    pending, running, finished = list(jobs), [], []
    while pending or running:
        while pending and len(running) < opts.jobs:
            job = pending.pop(0)
            job.start(isolation)
            running.append(job)
        for job in [j for j in running if j.poll()]:
            running.remove(job)
            job.finish()
            finished.append(job)
            label = f"{job.assignment['name'] if job.assignment else '?'} / {job.student}"
            print(f"  {label}: {job.status} ({job.seconds:.1f} s)")
        time.sleep(0.05)
    return _write_outputs(jobs, manifest, out)


def _write_outputs(jobs: list[Job], manifest: dict, out: Path) -> list[dict]:
    qnames = sorted({q["name"] for a in manifest["assignments"] for q in a["questions"]},
                    key=lambda n: (len(n), n))
    rows, used = [], set()
    for job in sorted(jobs, key=lambda j: (j.assignment["name"] if j.assignment else "", j.student, j.rel)):
        a = job.assignment
        row = {"student": _cell(job.student), "assignment": a["name"] if a else "", "file": _cell(job.rel),
               "status": _cell(job.status), **{q: "" for q in qnames}}
        if a:
            scores = _scores(job)
            row.update({k: f"{v:g}" for k, v in scores.items()})
            manual = [q for q in a["questions"] if q["manual"]]
            row.update(total=f"{sum(scores.values()):g}", possible=f"{a['auto_points']:g}",
                       manual_pending=" ".join(f"{q['name']}({q['points']:g})" for q in manual))
            stem = _safe(job.student)
            while (a["name"], stem) in used:
                stem += "_"
            used.add((a["name"], stem))
            (out / "feedback" / a["name"]).mkdir(parents=True, exist_ok=True)
            (out / "feedback" / a["name"] / f"{stem}.md").write_text(feedback_markdown(job, scores))
            answers = _manual_answers(job.path, a)
            page = out / "manual" / f"{a['name']}.md"
            page.parent.mkdir(exist_ok=True)
            with page.open("a") as f:
                if f.tell() == 0:
                    f.write(f"# {a['name']}: answers to the questions graded by hand\n")
                f.write(f"\n## {job.student} (`{job.rel}`)\n")
                for q in manual:
                    f.write(f"\n### {q['title']} ({q['points']:g} points)\n\n{answers.get(q['name'], '(no answer)')}\n")
        else:
            row.update(total="0", possible="", manual_pending="")
        row["seconds"] = f"{job.seconds:.1f}"
        rows.append(row)
    columns = ["student", "assignment", "file", "status", *qnames, "total", "possible", "manual_pending", "seconds"]
    with (out / "grades.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    bad = sum(r["status"] != "graded" for r in rows)
    print(f"wrote {out / 'grades.csv'} ({len(rows)} submissions, {bad} not graded normally), "
          f"{out / 'feedback'}/ (for students), {out / 'manual'}/ (hand grading), "
          f"{out / 'instructor_only'}/ (contains hidden tests: do not hand out)")
    return rows


# ------------------------------------------------------------------------------------------------ check
def check_solutions(opts) -> bool:
    """Grade every solution notebook through ``grade``; True if each gets full marks."""
    manifest = load_manifest(opts.build)
    with tempfile.TemporaryDirectory(prefix="hw-solutions-") as tmp:
        for a in manifest["assignments"]:  # as if handed in by a student called solution-<assignment>
            folder = Path(tmp) / f"solution-{a['name']}"
            folder.mkdir()
            shutil.copyfile(opts.build / a["solution_notebook"], folder / a["notebook"])
        rows = grade(Path(tmp), opts)
    ok = all(r["status"] == "graded" and r["total"] == r["possible"] for r in rows)
    print("solutions: " + ("every solution gets full marks" if ok else "NOT every solution gets full marks"))
    return ok


# ------------------------------------------------------------------------------------------------ CLI
def _options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--build", type=Path, default=DEFAULT_OUT, help="the built homework (default build/homework)")
    p.add_argument("--time-limit", type=float, default=300, help="seconds per submission (default 300)")
    p.add_argument("--cell-time-limit", type=float, default=60, help="seconds per notebook cell (default 60)")
    p.add_argument("--test-time-limit", type=float, default=30, help="seconds per test case (default 30)")
    p.add_argument("--memory-mb", type=int, default=2048, help="address space per process, MiB (default 2048)")
    p.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    p.add_argument("--allow-network", dest="network", action="store_false", help="do not try to cut the network")
    p.add_argument("--require-no-network", action="store_true", help="fail if the network cannot be cut")


def main(argv: list[str] | None = None) -> int:
    if importlib.util.find_spec("otter") is None:
        raise SystemExit("otter-grader is not installed here: .venv/bin/pip install otter-grader==7.0.0")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build every assignment (make homework)")
    b.add_argument("--out", type=Path, default=DEFAULT_OUT)
    b.add_argument("--check", action="store_true", help="then grade every solution: full marks or exit 1")
    _options(b)
    g = sub.add_parser("grade", help="grade a folder of submitted notebooks (make grade)")
    g.add_argument("submissions", type=Path)
    g.add_argument("--out", type=Path, default=None, help="where to write (default <build>/grades)")
    _options(g)
    one = sub.add_parser("_grade-one", help=argparse.SUPPRESS)
    for name in ("--autograder", "--submission", "--result"):
        one.add_argument(name, required=True)
    one.add_argument("--cell-time-limit", type=float, required=True)
    one.add_argument("--loopback", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "_grade-one":
        return grade_one(args)
    if args.command == "build":
        args.build = args.out
        build(args.out)
        if args.check:
            args.out = args.build / "solution-check"
            return 0 if check_solutions(args) else 1
        return 0
    args.out = args.out or args.build / "grades"
    args.jobs = max(1, args.jobs)
    rows = grade(args.submissions, args)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
