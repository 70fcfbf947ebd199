"""Mutation run: apply small wrong changes to the formulas of lectures_lib, one at a time, and
check that the tests covering each formula notice.

Usage (from the repository root; ``make mutants`` runs the first line)::

    python tools/mutants.py                  # every mutant in tools/mutants.toml, 2 workers
    python tools/mutants.py --only gumbel-cdf-sign concrete-tau-out
    python tools/mutants.py --list           # the mutants and their tests, nothing run

Each mutant is an exact text replacement (``old`` -> ``new``) in one file of ``lectures_lib``.
``old`` must occur exactly once in that file, or the run stops with an error before any test
runs: a mutant that does not apply is an error, never a kill.  The real files are never edited:
each worker copies ``lectures_lib``, ``tests`` and the few files the tests read into a scratch
directory, mutates the copy, runs only the tests listed for the mutant there (``pytest -x``), and
restores the file.  First, the union of all listed tests runs once on the unmutated copy: a test
that already fails would "kill" every mutant, so a failing baseline is an error too.

A mutant is *killed* when pytest reports failed tests (exit code 1), *survives* when they all
pass (exit code 0), and a timeout counts as killed but is shown as such.  Any other exit code
(2 interrupted, 3 internal error, 4 usage error, 5 no tests collected) is an error of the run.
The exit code is 0 only if every mutant was killed.
"""

from __future__ import annotations

import argparse
import os
import queue
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS_FILE = ROOT / "tools" / "mutants.toml"
# What the tests need besides lectures_lib and tests/ (the errata page test reads ERRATA.md and the notebooks).
COPY = ["lectures_lib", "tests", "pyproject.toml", "ERRATA.md", "README.md", "notebooks", "COVERAGE.md"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "browser", ".ipynb_checkpoints")
# Plugins the library tests do not use (notebooks, hypothesis, parallel workers) are not loaded:
# half of each run's start-up time, and a run starts once per mutant.
PLUGINS_OFF = ["-p", "no:cacheprovider", "-p", "no:nbval", "-p", "no:hypothesispytest"]
PYTEST = ["-x", "-q", "--no-header", *PLUGINS_OFF, "-p", "no:xdist"]


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]
    kind: str


def load(path: Path = MUTANTS_FILE) -> list[Mutant]:
    """The mutants of ``path``, validated: unique ids, known keys, ``old`` found exactly once."""
    data = tomllib.loads(path.read_text())
    out, seen = [], set()
    for i, entry in enumerate(data.get("mutant", [])):
        unknown = set(entry) - {"id", "file", "old", "new", "tests", "kind"}
        missing = {"id", "file", "old", "new", "tests", "kind"} - set(entry)
        if unknown or missing:
            raise ValueError(f"mutant #{i} ({entry.get('id')}): unknown keys {unknown}, missing keys {missing}")
        m = Mutant(entry["id"], entry["file"], entry["old"], entry["new"], tuple(entry["tests"]), entry["kind"])
        if m.id in seen:
            raise ValueError(f"mutant id {m.id!r} is used twice")
        seen.add(m.id)
        if m.old == m.new:
            raise ValueError(f"mutant {m.id}: old and new are the same text")
        if not m.tests:
            raise ValueError(f"mutant {m.id}: no tests listed")
        source = (ROOT / m.file).read_text()
        count = source.count(m.old)
        if count != 1:
            raise ValueError(f"mutant {m.id}: the text to replace occurs {count} times in {m.file}, not once:\n{m.old}")
        for node in m.tests:
            test_file, _, func = node.partition("::")
            text = (ROOT / test_file).read_text() if (ROOT / test_file).is_file() else None
            if text is None or (func and f"def {func.split('[')[0]}(" not in text):
                raise ValueError(f"mutant {m.id}: test {node} does not exist")
        out.append(m)
    return out


def make_scratch() -> Path:
    scratch = Path(tempfile.mkdtemp(prefix="lectures-mutants-"))
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, scratch / name, ignore=IGNORE)
        elif src.is_file():
            shutil.copy2(src, scratch / name)
    return scratch


def env_for(scratch: Path) -> dict:
    env = dict(os.environ)
    # the scratch copy of lectures_lib comes first on the path (before the editable install of the
    # real one); no .pyc files, so a mutant written in the same second as the original is still seen
    env.update(PYTHONPATH=str(scratch), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    return env


def check_imports_scratch(scratch: Path) -> None:
    code = "import lectures_lib, sys; sys.stdout.write(lectures_lib.__file__)"
    where = subprocess.run([sys.executable, "-c", code], cwd=scratch, env=env_for(scratch),
                           capture_output=True, text=True, check=True).stdout
    if not Path(where).resolve().is_relative_to(scratch.resolve()):
        raise RuntimeError(f"the scratch copy imports lectures_lib from {where}, not from {scratch}")


def run_pytest(scratch: Path, tests, timeout: float, parallel: int = 0) -> tuple[int | None, float, str]:
    """pytest on ``tests`` in ``scratch``: (exit code or None on timeout, wall seconds, output)."""
    # the baseline runs every listed test once, in parallel (pytest-xdist); each mutant, only its own, with -x
    flags = ["-q", "--no-header", *PLUGINS_OFF, "-n", str(parallel)] if parallel else PYTEST
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", *flags, *tests], cwd=scratch, env=env_for(scratch),
                              capture_output=True, text=True, timeout=timeout)
        code, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = None, f"timeout after {timeout} s\n{exc.stdout or ''}"
    return code, time.perf_counter() - start, output


def first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ")[0].removeprefix("FAILED ").removeprefix("ERROR ")
    return ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and their tests, run nothing")
    parser.add_argument("--jobs", type=int, default=2, help="parallel workers (default 2, the machine's cores)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant before it counts as killed")
    parser.add_argument("--verbose", action="store_true", help="print pytest's output for survivors and errors")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        mutants = load()
    except (ValueError, OSError) as exc:
        print(f"mutants: ERROR in {MUTANTS_FILE.relative_to(ROOT)}: {exc}", file=sys.stderr)
        return 2
    if args.only:
        unknown = set(args.only) - {m.id for m in mutants}
        if unknown:
            print(f"mutants: ERROR: unknown mutant ids {sorted(unknown)}", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m.id in args.only]
    if args.list:
        for m in mutants:
            print(f"{m.id:34s} {m.file:36s} {' '.join(m.tests)}")
        print(f"{len(mutants)} mutants")
        return 0
    if args.jobs < 1:
        print(f"mutants: ERROR: --jobs must be >= 1, got {args.jobs}", file=sys.stderr)
        return 2

    scratches = [make_scratch() for _ in range(args.jobs)]
    try:
        check_imports_scratch(scratches[0])
        baseline = sorted({t for m in mutants for t in m.tests})
        code, secs, output = run_pytest(scratches[0], baseline, 3 * args.timeout, parallel=args.jobs)
        print(f"baseline: {len(baseline)} test files/ids on the unmutated copy, {secs:.1f} s, exit code {code}")
        if code != 0:
            print(output[-4000:], file=sys.stderr)
            print("mutants: ERROR: the tests fail (or time out) without any mutant", file=sys.stderr)
            return 2

        todo: queue.Queue = queue.Queue()
        for m in mutants:
            todo.put(m)
        results: dict[str, tuple] = {}
        lock = threading.Lock()

        def worker(scratch: Path) -> None:
            while True:
                try:
                    m = todo.get_nowait()
                except queue.Empty:
                    return
                target = scratch / m.file
                original = target.read_text()
                target.write_text(original.replace(m.old, m.new, 1))
                try:
                    code, secs, output = run_pytest(scratch, m.tests, args.timeout)
                finally:
                    target.write_text(original)
                if code == 1:
                    verdict = "killed"
                elif code is None:
                    verdict = "killed (timeout)"
                elif code == 0:
                    verdict = "SURVIVED"
                else:
                    verdict = f"ERROR (pytest exit {code})"
                with lock:
                    results[m.id] = (verdict, secs, first_failure(output), output)
                    print(f"  {m.id:36s} {verdict:18s} {secs:6.1f} s", flush=True)

        threads = [threading.Thread(target=worker, args=(s,)) for s in scratches]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        for s in scratches:
            shutil.rmtree(s, ignore_errors=True)

    print()
    cols = ("mutant", 36), ("kind", 28), ("tests run", 56), ("verdict", 18), ("seconds", 7), ("first failing test", 18)
    header = "| " + " | ".join(f"{name:{width}s}" for name, width in cols) + " |"
    print(header)
    print("|" + "|".join("-" * (w + 2) for _, w in cols) + "|")
    for m in mutants:
        verdict, secs, failed, _ = results[m.id]
        tests = ", ".join(t.removeprefix("tests/") for t in m.tests)
        row = (m.id, m.kind, tests, verdict, f"{secs:7.1f}", failed.removeprefix("tests/"))
        print("| " + " | ".join(f"{v:{w}s}" for v, (_, w) in zip(row, cols, strict=True)) + " |")
    survived = [m.id for m in mutants if results[m.id][0] == "SURVIVED"]
    errors = [m.id for m in mutants if results[m.id][0].startswith("ERROR")]
    killed = len(mutants) - len(survived) - len(errors)
    if args.verbose:
        for mid in survived + errors:
            print(f"\n--- pytest output for {mid} ---\n{results[mid][3][-3000:]}")
    total = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # every pytest run, baseline included
    print(f"\n{len(mutants)} mutants: {killed} killed, {len(survived)} survived, {len(errors)} errors; "
          f"total {total:.0f} s wall with {args.jobs} workers, {usage.ru_utime + usage.ru_stime:.0f} s CPU "
          f"(on {os.cpu_count()} cores; a busy machine stretches the wall time, not the CPU time)")
    if survived:
        print("survivors (a wrong formula the tests do not notice): " + ", ".join(survived))
    if errors:
        print("errors (pytest could not run the tests): " + ", ".join(errors))
    return 0 if not survived and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
