"""What a batch writes: grades.csv, canvas.csv, feedback for students, answers to grade by hand, instructor logs.

The points are the grader's own (``judge.scores``).  Everything a student controls (file and folder names, answers,
test messages about their values, cell errors, what their code printed) goes through ``text``: a CSV cell never
starts a formula or holds a control character, a Markdown page shows it as text (escaped inline, or in a fence it
cannot close), and the terminal gets no escape sequence.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from .text import csv_cell, md_block, md_code, md_inline, shown, utf8

EXPLAIN = {
    "time limit": "your notebook ran longer than the time limit, so it was stopped and no question could be graded; "
                  "look for a loop that never ends, or one that ignores interrupts",
    "crashed": "your notebook's process ended or was killed while it was being graded (a crash, os._exit, too much "
               "memory or too many processes), so no question could be graded",
    "not a notebook": "the file is not a notebook: hand in the .ipynb file saved by JupyterLab",
    "superseded": "you handed in more than one file for this assignment: the newest one counts",
}


def safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "student"


def scores(job: dict) -> dict[str, float]:
    """Per auto-graded question, the points of the passed test cases, at most the question's points."""
    got = (job.get("result") or {}).get("questions") or {}
    return {q["name"]: min(float((got.get(q["name"]) or {}).get("score", 0.0)), q["points"])
            for q in job["assignment"]["questions"] if not q["manual"]}


def status_of(job: dict) -> str:
    status = job["status"] or "grader error: no status"
    if job.get("superseded_by") and status == "graded":
        return f"superseded: graded, but the newer file {job['superseded_by']} counts"
    return status


def feedback_markdown(job: dict, points: dict) -> str:
    """The student's feedback: scores, public test output, and for hidden tests only pass/fail and the hint."""
    a, status = job["assignment"], status_of(job)
    manual = [q for q in a["questions"] if q["manual"]]
    why = next((text for key, text in EXPLAIN.items() if key in status), None)
    lines = [f"# {a['name']}: feedback for {md_inline(job['student'])}", "",
             f"Submitted file: {md_code(job['rel'])}  ", f"Status: {md_inline(status)}  ",
             *([f"({why})  "] if why else []),
             f"Auto-graded score: **{sum(points.values()):g} / {a['auto_points']:g}**"
             + (f" (+ {sum(q['points'] for q in manual):g} points graded by hand: "
                f"{', '.join(q['name'] for q in manual)})" if manual else ""), "",
             "| Question | Score | Lecture section |", "|---|---|---|"]
    for q in a["questions"]:
        score = "graded by hand" if q["manual"] else f"{points[q['name']]:g} / {q['points']:g}"
        title, lecture = (text.replace("|", "\\|") for text in (q["title"], q["lecture"]))
        lines.append(f"| {title} | {score} | {lecture} |")
    graded = (job.get("result") or {}).get("questions") or {}
    for q in a["questions"]:
        if q["manual"]:
            continue
        tests = (graded.get(q["name"]) or {}).get("tests") or []
        lines += ["", f"## {q['title']}: {points[q['name']]:g} / {q['points']:g}", ""]
        if not tests:
            lines.append("No test result for this question (the notebook could not be graded, see the status).")
        for t in (t for t in tests if not t["hidden"]):
            lines.append(f"- public test {t['name']}: {'passed' if t['passed'] else 'failed'}")
            if not t["passed"]:
                lines += ["", *("  " + ln for ln in md_block(t["message"] or "(no message)", 3000).splitlines())]
        hidden = [t for t in tests if t["hidden"]]
        if hidden:
            lines.append(f"- hidden tests: {sum(t['passed'] for t in hidden)} of {len(hidden)} passed")
            for t in (t for t in hidden if not t["passed"]):
                hint = t["failure_message"] or "no hint for this test"
                lines.append(f"  - failed ({t['points']:g} point{'' if t['points'] == 1 else 's'}): {hint}")
    errors = (job.get("result") or {}).get("cell_errors") or []
    if errors:
        lines += ["", "## Cells that raised an error when your notebook was run from the top", ""]
        for e in errors[:30]:
            ename = re.sub(r"[^\w.]", "", str(e.get("ename", "")))[:40]
            note = " (stopped: the cell ran longer than the time limit per cell)" if ename == "Timeout" else ""
            lines.append(f"- cell {int(e.get('cell') or 0)} ({md_code(e.get('first_line', ''), 60)}): "
                         f"{ename}{note}")
    return utf8("\n".join(lines) + "\n")


def write_all(jobs: list[dict], manifest: dict, out: Path) -> list[dict]:
    """Write every output into ``out`` (a new folder); return the rows of grades.csv (as written)."""
    qnames = sorted({q["name"] for a in manifest["assignments"] for q in a["questions"]}, key=lambda n: (len(n), n))
    rows, used = [], set()
    manual_pages: dict[str, list[str]] = {}
    for job in sorted(jobs, key=lambda j: (j["assignment"]["name"] if j["assignment"] else "", j["student"], j["rel"])):
        a = job["assignment"]
        status = status_of(job)
        row = {"student": csv_cell(job["student"]), "assignment": a["name"] if a else "", "file": csv_cell(job["rel"]),
               "status": csv_cell(status), **{q: "" for q in qnames}, "total": "0", "possible": "",
               "manual_pending": "", "counts": "no" if job.get("superseded_by") else "yes"}
        if a:
            points = scores(job)
            row.update({k: f"{v:g}" for k, v in points.items()})
            manual = [q for q in a["questions"] if q["manual"]]
            row.update(total=f"{sum(points.values()):g}", possible=f"{a['auto_points']:g}",
                       manual_pending=" ".join(f"{q['name']}({q['points']:g})" for q in manual))
            stem = safe(shown(job["student"]))
            while (a["name"], stem) in used:
                stem += "_"
            used.add((a["name"], stem))
            for sub in ("feedback", "instructor_only"):
                (out / sub / a["name"]).mkdir(parents=True, exist_ok=True)
            (out / "feedback" / a["name"] / f"{stem}.md").write_text(feedback_markdown(job, points), encoding="utf-8")
            private = {k: v for k, v in (job.get("result") or {}).items() if not k.endswith("_log")}
            (out / "instructor_only" / a["name"] / f"{stem}.json").write_text(json.dumps(
                {"file": utf8(job["rel"]), "status": utf8(status), **private}, indent=1, default=str))
            for name in ("student", "judge"):
                if (job.get("result") or {}).get(f"{name}_log"):
                    (out / "instructor_only" / a["name"] / f"{stem}.{name}.log").write_text(
                        utf8(job["result"][f"{name}_log"]), encoding="utf-8")
            manual_pages.setdefault(a["name"], []).append(_manual_section(job, manual))
        row["seconds"] = f"{job.get('seconds', 0.0):.1f}"
        rows.append(row)
    for name, sections in manual_pages.items():
        (out / "manual").mkdir(exist_ok=True)
        (out / "manual" / f"{name}.md").write_text(
            f"# {name}: answers to the questions graded by hand\n\nEach answer is shown as the student typed it "
            "(Markdown and maths as source).\n" + "".join(sections), encoding="utf-8")
    columns = ["student", "assignment", "file", "status", *qnames, "total", "possible", "manual_pending", "counts",
               "seconds"]
    with (out / "grades.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    write_canvas(rows, manifest, out / "canvas.csv")
    return rows


def _manual_section(job: dict, manual: list[dict]) -> str:
    parts = [f"\n## {md_inline(job['student'])} ({md_code(job['rel'])})\n"]
    if job.get("superseded_by"):
        parts.append(f"\nSuperseded by the newer file {md_code(job['superseded_by'])}: do not grade this one.\n")
    for q in manual:
        answer = job.get("answers", {}).get(q["name"])
        parts.append(f"\n### {q['title']} ({q['points']:g} points)\n\n"
                     + (md_block(answer) if answer else "(no answer)") + "\n")
    return "".join(parts)


def write_canvas(rows: list[dict], manifest: dict, path: Path) -> None:
    """A Canvas gradebook import: one row per student, one column per assignment (the auto-graded points of the
    file that counts), and the "Points Possible" row Canvas expects.  Students are matched by "SIS Login ID" (the
    submission's student name)."""
    names = [a["name"] for a in manifest["assignments"]]
    students: dict[str, dict] = {}
    for r in rows:
        if r["assignment"] and r["counts"] == "yes":
            students.setdefault(r["student"], {})[r["assignment"]] = r["total"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *names])
        writer.writerow(["    Points Possible", "", "", "", "",
                         *(f"{a['auto_points']:g}" for a in manifest["assignments"])])
        for student, got in sorted(students.items()):
            writer.writerow([student, "", "", student, "", *(got.get(n, "") for n in names)])


def summary(rows: list[dict], jobs: list[dict], out: Path) -> None:
    bad = [r for r in rows if not r["status"].startswith(("graded", "superseded"))]
    print(f"wrote {out / 'grades.csv'} and {out / 'canvas.csv'} ({len(rows)} files, {len(bad)} not graded "
          f"normally), {out / 'feedback'}/ (for students), {out / 'manual'}/ (hand grading), "
          f"{out / 'instructor_only'}/ (test messages and logs: do not hand out)")
    for r in rows:
        if r["status"].startswith("grader error"):
            print(f"GRADER ERROR for {r['student']} ({r['file']}): {r['status']}")
    superseded = [j for j in jobs if j.get("superseded_by")]
    if superseded:
        print(f"{len(superseded)} files were superseded by a newer file of the same student and assignment "
              "(graded, marked 'superseded' in grades.csv, not in canvas.csv):")
        for j in superseded:
            print(f"  {shown(j['rel'])} -> {shown(j['superseded_by'])}")
