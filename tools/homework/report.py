"""What a batch writes: grades.csv, canvas.csv, feedback for students, answers to grade by hand, instructor logs.

The judge's results are the grader's own (it ran the tests); what came from the student (cell errors, answer text)
is shown as text only, and every CSV cell that a spreadsheet would run as a formula is quoted.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

EXPLAIN = {
    "time limit": "your notebook ran longer than the time limit, so it was stopped and no question could be graded; "
                  "look for a loop that never ends, or one that ignores interrupts",
    "crashed": "your notebook's process ended or was killed while it was being graded (a crash, os._exit, too much "
               "memory or too many processes), so no question could be graded",
    "not a notebook": "the file is not a notebook: hand in the .ipynb file saved by JupyterLab",
}


def safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "student"


def cell(text: str) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def scores(job: dict) -> dict[str, float]:
    """Per auto-graded question, the points of the passed test cases, at most the question's points."""
    got = (job.get("result") or {}).get("questions") or {}
    return {q["name"]: min(float((got.get(q["name"]) or {}).get("score", 0.0)), q["points"])
            for q in job["assignment"]["questions"] if not q["manual"]}


def feedback_markdown(job: dict, points: dict) -> str:
    """The student's feedback: scores, public test output, and for hidden tests only pass/fail and the hint."""
    a, status = job["assignment"], job["status"]
    manual = [q for q in a["questions"] if q["manual"]]
    why = next((text for key, text in EXPLAIN.items() if key in status), None)
    lines = [f"# {a['name']}: feedback for {job['student']}", "", f"Submitted file: `{job['rel']}`  ",
             f"Status: {status}  ", *([f"({why})  "] if why else []),
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
                lines += ["", "  ```", *("  " + ln for ln in t["message"].splitlines()), "  ```"]
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
            first = str(e.get("first_line", ""))[:60].replace("`", "")
            ename = re.sub(r"[^\w.]", "", str(e.get("ename", "")))[:40]
            note = " (stopped: the cell ran longer than the time limit per cell)" if ename == "Timeout" else ""
            lines.append(f"- cell {str(e.get('cell'))[:6]} (`{first}`): {ename}{note}")
    return "\n".join(lines) + "\n"


def manual_answers(path: Path, assignment: dict) -> dict[str, str]:
    """The Markdown answer cells of the hand-graded questions, by question name."""
    manual = {q["name"] for q in assignment["questions"] if q["manual"]}
    try:
        if path.stat().st_size > 20 * 2**20:  # not read: grading refused it too
            return {}
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    answers, current = {}, None
    for c in cells if isinstance(cells, list) else []:
        text = c.get("source", "") if isinstance(c, dict) else ""
        text = "".join(map(str, text)) if isinstance(text, list) else str(text)
        m = re.search(r"^## Question (\d+)", text, re.M) if c.get("cell_type") == "markdown" else None
        if m:
            current = f"q{m.group(1)}"
        elif current in manual and "otter_answer_cell" in (c.get("metadata") or {}).get("tags", []):
            answers[current] = (answers.get(current, "") + "\n" + text).strip()
    return answers


def write_all(jobs: list[dict], manifest: dict, out: Path) -> list[dict]:
    """Write every output into ``out`` (a new folder); return the rows of grades.csv."""
    qnames = sorted({q["name"] for a in manifest["assignments"] for q in a["questions"]}, key=lambda n: (len(n), n))
    rows, used = [], set()
    for job in sorted(jobs, key=lambda j: (j["assignment"]["name"] if j["assignment"] else "", j["student"], j["rel"])):
        a = job["assignment"]
        row = {"student": cell(job["student"]), "assignment": a["name"] if a else "", "file": cell(job["rel"]),
               "status": cell(job["status"]), **{q: "" for q in qnames}}
        if a:
            points = scores(job)
            row.update({k: f"{v:g}" for k, v in points.items()})
            manual = [q for q in a["questions"] if q["manual"]]
            row.update(total=f"{sum(points.values()):g}", possible=f"{a['auto_points']:g}",
                       manual_pending=" ".join(f"{q['name']}({q['points']:g})" for q in manual))
            stem = safe(job["student"])
            while (a["name"], stem) in used:
                stem += "_"
            used.add((a["name"], stem))
            for sub in ("feedback", "instructor_only"):
                (out / sub / a["name"]).mkdir(parents=True, exist_ok=True)
            (out / "feedback" / a["name"] / f"{stem}.md").write_text(feedback_markdown(job, points))
            private = {k: v for k, v in (job.get("result") or {}).items() if k != "log"}
            (out / "instructor_only" / a["name"] / f"{stem}.json").write_text(json.dumps(
                {"file": job["rel"], "status": job["status"], **private}, indent=1, default=str))
            if (job.get("result") or {}).get("log"):
                (out / "instructor_only" / a["name"] / f"{stem}.log").write_text(job["result"]["log"])
            _append_manual(out / "manual" / f"{a['name']}.md", job, a, manual)
        else:
            row.update(total="0", possible="", manual_pending="")
        row["seconds"] = f"{job['seconds']:.1f}"
        rows.append(row)
    columns = ["student", "assignment", "file", "status", *qnames, "total", "possible", "manual_pending", "seconds"]
    with (out / "grades.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    write_canvas(rows, manifest, out / "canvas.csv")
    return rows


def _append_manual(page: Path, job: dict, a: dict, manual: list[dict]) -> None:
    page.parent.mkdir(exist_ok=True)
    answers = manual_answers(job["path"], a)
    with page.open("a") as f:
        if f.tell() == 0:
            f.write(f"# {a['name']}: answers to the questions graded by hand\n")
        f.write(f"\n## {job['student']} (`{job['rel']}`)\n")
        for q in manual:
            f.write(f"\n### {q['title']} ({q['points']:g} points)\n\n{answers.get(q['name'], '(no answer)')}\n")


def write_canvas(rows: list[dict], manifest: dict, path: Path) -> None:
    """A Canvas gradebook import: one row per student, one column per assignment (auto-graded points), and the
    "Points Possible" row Canvas expects.  Students are matched by "SIS Login ID" (the submission folder's name)."""
    names = [a["name"] for a in manifest["assignments"]]
    students: dict[str, dict] = {}
    for r in rows:
        if r["assignment"]:
            best = students.setdefault(r["student"], {})
            best[r["assignment"]] = max(float(r["total"]), float(best.get(r["assignment"], 0)))
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *names])
        writer.writerow(["    Points Possible", "", "", "", "",
                         *(f"{a['auto_points']:g}" for a in manifest["assignments"])])
        for student, got in sorted(students.items()):
            writer.writerow([student, "", "", student, "", *(f"{got[n]:g}" if n in got else "" for n in names)])


def summary(rows: list[dict], out: Path) -> None:
    bad = sum(r["status"] != "graded" for r in rows)
    print(f"wrote {out / 'grades.csv'} and {out / 'canvas.csv'} ({len(rows)} submissions, {bad} not graded "
          f"normally), {out / 'feedback'}/ (for students), {out / 'manual'}/ (hand grading), "
          f"{out / 'instructor_only'}/ (test messages and logs: do not hand out)")
