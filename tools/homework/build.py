"""``make homework``: build every assignment with ``otter assign`` and check that nothing leaks to students.

Per assignment, in ``<out>/<nn_topic>/``: ``student/<name>.ipynb`` (no solutions, only the public tests, which
``grader.check`` reads from its metadata), ``autograder/<name>.ipynb`` (solutions and tests),
``<name>-autograder.zip`` (every test: the grader reads them from here), ``solved/<name>.ipynb`` (the student notebook
with the reference answers typed in: a perfect submission, for testing); ``handout/<name>.zip``; ``manifest.json``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import shutil
import sys
import time
import zipfile
from pathlib import Path

from . import HOMEWORK, ROOT
from .masters import find_leaks, masters, questions_of, sha256, source

STUDENT_README = HOMEWORK / "STUDENTS.md"


def skip_slow_import() -> None:
    """otter imports nbformat, which imports jsonschema, which builds a Lark grammar for its optional 'iri' format
    checker whenever ``rfc3987_syntax`` is importable (1.5 s of CPU).  Nothing here validates IRIs."""
    sys.modules.setdefault("rfc3987_syntax", None)


def _otter_assign(master: Path, dest: Path) -> None:
    """``otter assign --no-run-tests --no-pdfs master dest``, in this process."""
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


def solved_notebook(student: Path, solution: Path) -> dict:
    """The student notebook with each answer cell replaced by the reference answer (solution markers removed)."""
    nb = json.loads(student.read_text(encoding="utf-8"))
    answers = [c for c in json.loads(solution.read_text(encoding="utf-8"))["cells"]
               if "otter_assign_solution_cell" in c.get("metadata", {}).get("tags", [])]
    blanks = [c for c in nb["cells"] if "otter_answer_cell" in c.get("metadata", {}).get("tags", [])]
    if len(answers) != len(blanks):
        raise SystemExit(f"{student}: {len(blanks)} answer cells but {len(answers)} solution cells")
    for blank, answer in zip(blanks, answers, strict=True):
        lines = [ln.removesuffix("# SOLUTION").rstrip() if ln.rstrip().endswith("# SOLUTION") else ln
                 for ln in source(answer).splitlines()
                 if ln.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION")]
        blank["source"] = "\n".join(lines)
    return nb


INIT_CELL = """\
# Load the checker: otter-grader where it is installed (JupyterLab), else the course's own offline copy of it
# (the in-browser lecture cannot install otter). Both run the same public tests.
try:
    import otter
except ImportError:
    from lectures_lib import public_checks as otter
grader = otter.Notebook({name!r})"""


def with_offline_checker(nb: dict, name: str) -> dict:
    """Replace otter's init cell (``import otter; grader = otter.Notebook(...)``) by one that also works in the
    browser, where ``lectures_lib.public_checks`` runs the public tests stored in the notebook."""
    inits = [c for c in nb["cells"] if c["cell_type"] == "code"
             and "".join(c["source"]).startswith("# Initialize Otter")]
    if len(inits) != 1:
        raise SystemExit(f"{name}: expected one otter init cell, found {len(inits)}")
    inits[0]["source"] = INIT_CELL.format(name=name)
    return nb


def build(out: Path) -> dict:
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
        for sub in ("student", "autograder", "solved"):
            (dest / sub).mkdir(parents=True)
        student = with_offline_checker(json.loads((src / "student" / master.name).read_text()), master.name)
        (dest / "student" / master.name).write_text(json.dumps(student, indent=1, ensure_ascii=False) + "\n")
        shutil.copy2(src / "autograder" / master.name, dest / "autograder" / master.name)
        (zip_src,) = (src / "autograder").glob(f"{name}-autograder_*.zip")  # otter adds a timestamp
        shutil.copy2(zip_src, dest / f"{name}-autograder.zip")
        leaks = find_leaks(dest / "student" / master.name, dest / f"{name}-autograder.zip", master)
        if leaks:
            raise SystemExit(f"{master}: the student notebook would leak: " + "; ".join(leaks))
        solved = solved_notebook(dest / "student" / master.name, dest / "autograder" / master.name)
        (dest / "solved" / master.name).write_text(json.dumps(solved, indent=1, ensure_ascii=False) + "\n")
        with zipfile.ZipFile(handout / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(dest / "student" / master.name, f"{name}/{master.name}")
            if STUDENT_README.exists():
                zf.write(STUDENT_README, f"{name}/README.md")
        qs = questions_of(master)
        assignments.append({
            "name": name, "slug": slug, "notebook": master.name,
            "master": str(master.relative_to(ROOT)), "master_sha256": sha256(master),
            "student_notebook": f"{slug}/student/{master.name}",
            "solution_notebook": f"{slug}/autograder/{master.name}",
            "solved_notebook": f"{slug}/solved/{master.name}",
            "autograder_zip": f"{slug}/{name}-autograder.zip", "handout_zip": f"handout/{name}.zip",
            "questions": qs, "points": sum(q["points"] for q in qs),
            "auto_points": sum(q["points"] for q in qs if not q["manual"]),
        })
        print(f"built {name}: {len(qs)} questions, {assignments[-1]['points']:g} points "
              f"({assignments[-1]['auto_points']:g} auto-graded) -> {dest}")
    shutil.rmtree(work)
    manifest = {"assignments": assignments}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"homework built in {time.perf_counter() - t0:.1f} s: hand out {handout}/*.zip; "
          f"keep {out}/*/autograder, */solved and *-autograder.zip to yourself")
    return manifest


def load_manifest(out: Path) -> dict:
    """The manifest of ``out``, rebuilding first if it is missing or a master changed since."""
    path = out / "manifest.json"
    if path.exists():
        manifest = json.loads(path.read_text())
        current = {str(m.relative_to(ROOT)): sha256(m) for m in masters()}
        built = {a["master"]: a.get("master_sha256") for a in manifest["assignments"]}
        if built == current and all("solved_notebook" in a for a in manifest["assignments"]):
            return manifest
        print("a master notebook changed since the last build: rebuilding the homework first")
    return build(out)
