"""Helpers for the homework tests: run the documented make commands, edit notebooks, read the outputs."""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"  # in .gitignore; inside the repository, so that paths can be relative


def scratch(name: str) -> Path:
    """A fresh folder under test-artifacts/, to be named by a path relative to the repository."""
    path = ARTIFACTS / f"{name}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def make(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """``make <args>`` from the repository root, exactly as a reader of the README types it."""
    return subprocess.run(["make", *args], cwd=ROOT, capture_output=True, text=True, errors="replace", timeout=timeout)


def src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def index(nb: dict, start: str) -> int:
    (i,) = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and src(c).startswith(start)]
    return i


def prepend(nb: dict, start: str, text: str) -> dict:
    nb = copy.deepcopy(nb)
    cell = nb["cells"][index(nb, start)]
    cell["source"] = text + src(cell)
    return nb


def replace(nb: dict, start: str, old: str, new: str) -> dict:
    nb = copy.deepcopy(nb)
    cell = nb["cells"][index(nb, start)]
    assert old in src(cell), (start, old)
    cell["source"] = src(cell).replace(old, new)
    return nb


def append(nb: dict, code: str) -> dict:
    nb = copy.deepcopy(nb)
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": uuid.uuid4().hex[:8], "metadata": {},
                        "outputs": [], "source": code})
    return nb


def write(folder: Path, name: str, nb: dict | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb, indent=1))
    return path


def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def rows(grades: Path) -> dict[str, dict]:
    with (grades / "grades.csv").open() as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def sandbox_processes(stdout: str) -> list[str]:
    """Live processes of the sandbox uids a batch printed (``sandbox uids A-B``), or of its judges (zombies are dead:
    skipped)."""
    first, last = map(int, re.search(r"sandbox uids (\d+)-(\d+)", stdout).groups())
    out = []
    for p in Path("/proc").glob("[0-9]*"):
        try:
            state = (p / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if state != "Z" and (first <= p.stat().st_uid <= last or "hw-job-" in cmd):
                out.append(f"{p.name}: {cmd[:80]}")
        except OSError:
            pass
    return out


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    if ARTIFACTS.exists() and not any(ARTIFACTS.iterdir()):
        os.rmdir(ARTIFACTS)


def built_homework(work: Path) -> tuple[Path, dict, dict]:
    """``make homework`` into ``work/build``; return it with homework 1's solved and blank notebooks."""
    build = work / "build"
    built = make("homework", f"HOMEWORK_OUT={rel(build)}")
    assert built.returncode == 0, built.stdout + built.stderr
    solved = json.loads((build / "01_gumbel" / "solved" / "hw01_gumbel.ipynb").read_text())
    blank = json.loads((build / "01_gumbel" / "student" / "hw01_gumbel.ipynb").read_text())
    return build, solved, blank
