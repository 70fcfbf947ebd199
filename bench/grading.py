"""Benchmark: homework submissions graded per minute with ``--jobs 2`` (issue 13 target: at least 30 a minute).

Builds the homework into a scratch folder, makes ``N`` perfect submissions (the ``solved`` notebooks, the four
assignments in turn), and times ``python -m tools.homework grade --jobs 2`` on them, start to end (the command's
own start-up, the sandbox probe and the outputs included).  Two references in the same run, from git history:
the previous sandboxed grader (one sandbox per submission, its tests run in the grader's own process: the design
issue 19 replaced with a judge sandbox of its own) on the same submissions, which gives the price of the second
sandbox as a ratio; and the otter-grader tool before that (each notebook in a Jupyter kernel) on a few of them.

Run: ``.venv/bin/python bench/grading.py [N]`` (default 24).  The machine is shared: expect noise.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def submissions(build: Path, folder: Path, n: int) -> None:
    manifest = json.loads((build / "manifest.json").read_text())["assignments"]
    for i in range(n):
        a = manifest[i % len(manifest)]
        dest = folder / f"student{i:03d}"
        dest.mkdir(parents=True)
        shutil.copyfile(build / a["solved_notebook"], dest / a["notebook"])


def timed(cmd: list[str], cwd: Path = ROOT) -> tuple[float, str]:
    t0 = time.perf_counter()
    run = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return time.perf_counter() - t0, run.stdout


def reference(tmp: Path, n: int) -> float | None:  # the same solved notebooks, graded by the old tool
    """Seconds per submission of the otter-based grader on ``main`` (None when git has no such version)."""
    gone = subprocess.run(["git", "log", "--diff-filter=D", "--format=%H", "-1", "--", "tools/homework.py"], cwd=ROOT,
                          capture_output=True, text=True).stdout.strip()  # the commit that replaced it
    old = subprocess.run(["git", "show", f"{gone}^:tools/homework.py"], cwd=ROOT, capture_output=True, text=True)
    if not gone or old.returncode != 0:
        return None
    script = ROOT / "bench" / "_otter_grader_reference.py"  # in bench/ so that its ROOT is this repository
    script.write_text(old.stdout)
    try:
        subprocess.run([sys.executable, str(script), "build", "--out", str(tmp / "old-build")], cwd=ROOT,
                       capture_output=True, check=True)
        submissions(tmp / "build", tmp / "old-in", n)
        seconds, _ = timed([sys.executable, str(script), "grade", str(tmp / "old-in"), "--build",
                            str(tmp / "old-build"), "--out", str(tmp / "old-out"), "--jobs", "2"])
        return seconds / n
    finally:
        script.unlink()


def previous(tmp: Path, build_in: Path, n: int) -> float | None:
    """Seconds per submission of the grader before the judge got its own sandbox (None without that history)."""
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "-1", "--", "tools/homework/session.py"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    if not added:
        return None
    old = tmp / "previous"
    old.mkdir()
    tmp.chmod(0o755)  # the previous grader binds its lectures_lib by path, as the sandbox's uid: it must be reachable
    archive = subprocess.run(["git", "archive", f"{added}^", "tools", "homework", "lectures_lib"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    timed([sys.executable, "-m", "tools.homework", "build", "--out", str(tmp / "previous-build")], cwd=old)
    seconds, _ = timed([sys.executable, "-m", "tools.homework", "grade", str(build_in), "--build",
                        str(tmp / "previous-build"), "--out", str(tmp / "previous-out"), "--jobs", "2"], cwd=old)
    return seconds / n


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        timed([sys.executable, "-m", "tools.homework", "build", "--out", str(tmp / "build")])
        submissions(tmp / "build", tmp / "in", n)
        seconds, out = timed([sys.executable, "-m", "tools.homework", "grade", str(tmp / "in"), "--build",
                              str(tmp / "build"), "--out", str(tmp / "out"), "--jobs", "2"])
        graded = (tmp / "out" / "grades.csv").read_text().count(",graded,")
        rate = 60 * n / seconds
        print(f"sandboxed grader: {n} submissions in {seconds:.1f} s with --jobs 2: {rate:.1f} per minute "
              f"({seconds / n:.2f} s each; {graded}/{n} graded; target >= 30 per minute)")
        before = previous(tmp, tmp / "in", n)
        if before is not None:
            print(f"reference, the previous sandboxed grader (tests in the grader's process; git history): "
                  f"{before:.2f} s each, {60 / before:.1f} per minute; the judge's own sandbox costs "
                  f"{(seconds / n) / before:.2f}x its time")
        old = reference(tmp, min(n, 8))
        if old is not None:
            print(f"reference, otter-grader in a Jupyter kernel (git history): {old:.2f} s each, "
                  f"{60 / old:.1f} per minute; the sandboxed grader is {old / (seconds / n):.1f}x faster")
    return 0 if rate >= 30 and graded == n else 1


if __name__ == "__main__":
    sys.exit(main())
