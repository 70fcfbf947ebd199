"""What is in the submissions folder: one job per file that looks like a notebook, whatever its bytes or name.

Rules (homework/README.md, "Grading"):

* every ``*.ipynb`` file, in any case (``.IPYNB``), at any depth; JupyterLab's ``.ipynb_checkpoints`` folders are
  skipped;
* a symbolic link (to a file or a folder) is never followed: it gets a row ``error: link``; a FIFO, socket or device
  named like a notebook gets ``error: not a regular file``; files are opened with ``O_NOFOLLOW`` and checked to be
  regular after opening;
* the student is the innermost folder's name (``SUBMISSIONS/sec1/alice/hw01.ipynb`` is alice's); a file directly in
  the folder is named by its file name without the assignment's name and a browser's ``(1)``;
* the assignment is the one named in the notebook's metadata, else the longest assignment name in the file name;
* several files of one student for one assignment: the newest (modification time; on a tie, the last path in sort
  order) counts; the others are graded too, marked ``superseded``, and listed at the end of the batch;
* nothing here runs or evaluates the file: it is read (at most ``MAX_NOTEBOOK_BYTES``) and parsed as JSON by the
  standard library, and any exception of that becomes the file's status, never the batch's.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

MAX_NOTEBOOK_BYTES = 20 * 2**20


class Unreadable(Exception):
    """The file cannot be taken as a submission; ``args[0]`` is its status."""


def read_regular(path: Path, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of a regular file, without following a link, at most ``limit`` of them."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise Unreadable("error: link" if os.path.islink(path) else f"error: cannot open the file ({exc.strerror})"
                         ) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("error: not a regular file")
        if info.st_size > limit:
            raise Unreadable(f"error: the file is larger than {limit >> 20} MiB")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:
                raise Unreadable(f"error: the file is larger than {limit >> 20} MiB")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_notebook(data: bytes) -> dict:
    """The notebook's JSON, or ``Unreadable('error: not a notebook ...')``: a top-level object with a list of cells."""
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError, MemoryError) as exc:  # bad JSON, bad UTF-8, too deeply nested
        raise Unreadable("error: not a notebook (the file is not a Jupyter notebook's JSON)") from exc
    if not (isinstance(nb, dict) and isinstance(nb.get("cells"), list)
            and all(isinstance(c, dict) for c in nb["cells"])):
        raise Unreadable("error: not a notebook (the file is not a Jupyter notebook's JSON)")
    return nb


def assignment_of(nb: dict | None, path: Path, names: list[str]) -> str | None:
    meta = nb.get("metadata") if isinstance(nb, dict) else None
    otter = meta.get("otter") if isinstance(meta, dict) else None
    name = otter.get("assignment_name") if isinstance(otter, dict) else None
    if isinstance(name, str) and name in names:
        return name
    matches = [n for n in names if n.lower() in path.name.lower()]
    return max(matches, key=len) if matches else None


def student_of(rel: Path, assignment: str | None) -> str:
    if len(rel.parts) > 1:
        return rel.parts[-2]
    stem = rel.name[: -len(".ipynb")] if rel.name.lower().endswith(".ipynb") else rel.name
    stem = re.sub(r"\s*\(\d+\)$", "", stem)
    bare = re.sub(re.escape(assignment), "", stem, flags=re.I) if assignment else stem
    return bare.strip(" _-.") or stem


def cell_text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(x for x in src if isinstance(x, str)) if isinstance(src, list) else str(src)


def manual_answers(nb: dict, manual: set[str]) -> dict[str, str]:
    """The Markdown answer cells of the hand-graded questions, by question name (student text: shown, never run)."""
    answers, current = {}, None
    for c in nb["cells"]:
        text = cell_text(c)
        m = re.search(r"^## Question (\d+)", text, re.M) if c.get("cell_type") == "markdown" else None
        tags = c.get("metadata", {}).get("tags", []) if isinstance(c.get("metadata"), dict) else []
        if m:
            current = f"q{m.group(1)}"
        elif current in manual and isinstance(tags, list) and "otter_answer_cell" in tags:
            answers[current] = (answers.get(current, "") + "\n" + text).strip()
    return answers


def _candidates(submissions: Path):
    """(path, kind) for every entry that is a submission or pretends to be one; nothing is followed."""
    for folder, dirs, files in os.walk(submissions, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
        for name in sorted(dirs):
            if os.path.islink(os.path.join(folder, name)):
                yield Path(folder) / name, "link"
        for name in sorted(files):
            path = Path(folder) / name
            if os.path.islink(path):
                yield path, "link"
            elif name.lower().endswith(".ipynb"):
                yield path, "file"


def find_jobs(submissions: Path, by_name: dict) -> list[dict]:
    """One job per candidate file, with its student, assignment and either its status or what grading needs."""
    names = sorted(by_name)
    jobs = []
    for path, kind in _candidates(submissions):
        rel = path.relative_to(submissions)
        job = {"path": path, "rel": str(rel), "status": None, "assignment": None, "answers": {}, "mtime": 0.0}
        nb = None
        try:
            job["mtime"] = os.lstat(path).st_mtime
            if kind == "link":
                raise Unreadable("error: link (a symbolic link is never followed)")
            nb = parse_notebook(read_regular(path))
        except Unreadable as exc:
            job["status"] = exc.args[0]
        except OSError as exc:
            job["status"] = f"error: cannot read the file ({exc.strerror})"
        name = assignment_of(nb, path, names)
        job["assignment"] = by_name.get(name)
        job["student"] = student_of(rel, name)
        if job["status"] is None and job["assignment"] is None:
            job["status"] = "error: cannot tell which assignment this is (no otter metadata, and no assignment name " \
                            "in the file name)"
        if nb is not None and job["assignment"] is not None:
            job["answers"] = manual_answers(nb, {q["name"] for q in job["assignment"]["questions"] if q["manual"]})
        jobs.append(job)
    _mark_superseded(jobs)
    return jobs


def _mark_superseded(jobs: list[dict]) -> None:
    """Per student and assignment, the newest file counts; the others get ``superseded_by``."""
    groups: dict[tuple, list[dict]] = {}
    for job in jobs:
        if job["assignment"] is not None:
            groups.setdefault((job["student"], job["assignment"]["name"]), []).append(job)
    for group in groups.values():
        newest = max(group, key=lambda j: (j["mtime"], j["rel"]))
        for job in group:
            job["superseded_by"] = None if job is newest else newest["rel"]
