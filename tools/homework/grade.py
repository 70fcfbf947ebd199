"""``make grade``: grade every notebook under a folder, each in its own sandbox, a few at a time.

The batch imports numpy, scipy, sympy and the reference library once, then forks one judge per submission (up to
``--jobs`` at once, each with its own job slot and so its own sandbox uid).  A judge copies the submission
read-only into a private folder, runs it in the sandbox, runs the tests, and sends the result back over a pipe.
The batch kills a judge (and with it its sandbox) at the wall-clock limit.  Everything is written to a new folder
that replaces the output folder only at the end, so a killed batch never leaves old results beside new ones.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import multiprocessing
import os
import re
import resource
import shutil
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path

from . import report, sandbox
from .build import load_manifest
from .judge import PRELOAD, judge
from .slots import MAX_SLOTS, SlotGroup, slot_uid

MAX_NOTEBOOK_BYTES = 20 * 2**20


def assignment_of(path: Path, by_name: dict) -> str | None:
    """The assignment a file is: from its otter metadata, else the longest assignment name in the file name."""
    try:
        if path.stat().st_size <= MAX_NOTEBOOK_BYTES:
            name = json.loads(path.read_text(encoding="utf-8"))["metadata"]["otter"]["assignment_name"]
            if name in by_name:
                return name
    except (OSError, ValueError, KeyError, TypeError):
        pass
    matches = [n for n in by_name if n in path.stem]
    return max(matches, key=len) if matches else None


def student_of(path: Path, submissions: Path, assignment: str | None) -> str:
    """The folder name for ``<student>/<file>``; for a flat file, the file name without the assignment name and a
    browser's copy number (``alice_hw03_vae (1).ipynb`` is alice's); a file named only like the assignment keeps
    its file name, so that two of them stay apart."""
    rel = path.relative_to(submissions)
    if len(rel.parts) > 1:
        return rel.parts[0]
    stem = re.sub(r"\s*\(\d+\)$", "", path.stem)
    stem = stem.replace(assignment, "") if assignment else stem
    return stem.strip(" _-.") or path.stem


def sandbox_probe(opts) -> None:
    """Run the sandbox once on an empty notebook: if that fails, grading cannot work here, so stop with an error."""
    if sandbox.bwrap_path() is None:
        raise SystemExit("ERROR: bubblewrap (bwrap) is not installed: apt-get install bubblewrap. "
                         "Student code is never run without the sandbox.")
    with tempfile.TemporaryDirectory(prefix="hw-probe-") as tmp:
        nb = Path(tmp) / "probe.ipynb"
        nb.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "x = 6 * 7", "metadata": {}}],
                                  "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        os.chmod(tmp, 0o755)
        os.chmod(nb, 0o444)
        box = sandbox.Sandbox(nb, "probe.ipynb", Path(tmp) / "log", uid=slot_uid(MAX_SLOTS - 1),
                              cell_limit=10, limit=10,
                              memory_mb=opts.memory_mb, deadline=time.monotonic() + 30)
        try:
            box.wait_ready()
            ok = box.get("x") == 42
        except sandbox.SandboxDied:
            ok = False
        why = box.close()
        if not ok or why:
            raise SystemExit(f"ERROR: the sandbox does not work on this machine ({why}): "
                             + (Path(tmp) / "log").read_text(errors="replace")[-1500:])


def _worker(job: dict, manifest_entry: dict, build: Path, slot: int, opts, conn) -> None:
    """In a forked process: judge one submission and send the result; never raises."""
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a killed batch takes its judges along
    resource.setrlimit(resource.RLIMIT_AS, (4 * opts.memory_mb * 2**20,) * 2)  # the judge parses untrusted data
    work = Path(tempfile.mkdtemp(prefix="hw-job-"))
    try:
        os.chmod(work, 0o711)  # the sandbox's uid may open the notebook inside, not list the folder
        copy = work / "submission.ipynb"
        shutil.copyfile(job["path"], copy)
        os.chmod(copy, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        group = SlotGroup(f"hw-grade-{os.getppid()}-slot{slot}", opts.memory_mb + 512)
        try:
            result = judge(copy, manifest_entry, build, work, uid=slot_uid(slot, os.getppid()), opts=opts,
                           group=group)
        finally:
            group.remove()
        log = work / "sandbox.log"
        result["log"] = log.read_bytes()[:65536].decode(errors="replace") if log.exists() else ""
    except BaseException as exc:  # noqa: BLE001 - reported as a grader error for this submission only
        result = {"status": f"grader error: {type(exc).__name__}: {exc}"[:300], "questions": {}, "cell_errors": []}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    conn.send(result)
    conn.close()


def grade(submissions: Path, opts) -> list[dict]:
    """Grade every notebook under ``submissions`` into ``opts.out``; return the rows of grades.csv."""
    submissions, out, build = submissions.resolve(), opts.out.resolve(), opts.build.resolve()
    if not submissions.is_dir():
        raise SystemExit(f"SUBMISSIONS={submissions} is not a folder")
    if out == submissions or submissions in out.parents or out in submissions.parents:
        raise SystemExit("the output folder must not contain, or be inside, the submissions folder")
    manifest = load_manifest(build)
    by_name = {a["name"]: a for a in manifest["assignments"]}
    paths = sorted(p for p in submissions.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.is_file())
    if not paths:
        raise SystemExit(f"no .ipynb files under {submissions}")
    if os.getuid() != 0:
        print("note: not running as root, so the sandboxes share your uid's process limit")
    sandbox_probe(opts)
    probe_group = SlotGroup(f"hw-grade-{os.getpid()}-probe", 64)
    groups = ("a control group per slot (equal CPU share, memory and process limits)" if probe_group.active else
              "no control groups here (so a fork bomb can slow the submission graded beside it)")
    probe_group.remove()
    for name in PRELOAD:
        importlib.import_module(name)
    print(f"grading {len(paths)} submissions, {opts.jobs} at a time, each in a bubblewrap sandbox (no network, "
          f"nothing of the course but its own notebook); limits: {opts.time_limit:g} s per submission, "
          f"{opts.cell_time_limit:g} s per cell, {opts.test_time_limit:g} s per test call, "
          f"{opts.memory_mb} MiB address space; {groups}; sandbox uids {slot_uid(0)}-"
          f"{slot_uid(opts.jobs - 1)}")
    jobs = []
    for p in paths:
        name = assignment_of(p, by_name)
        jobs.append({"path": p, "rel": str(p.relative_to(submissions)), "assignment": by_name.get(name),
                     "student": student_of(p, submissions, name), "status": None, "result": None, "seconds": 0.0})
    _run(jobs, build, opts)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    rows = report.write_all(jobs, manifest, staging)
    _replace(staging, out)
    report.summary(rows, out)
    return rows


def _run(jobs: list[dict], build: Path, opts) -> None:
    ctx = multiprocessing.get_context("fork")
    pending, running, free = list(jobs), {}, list(range(opts.jobs))
    while pending or running:
        while pending and free:
            job = pending.pop(0)
            job["t0"] = time.monotonic()
            if job["assignment"] is None:
                job["status"] = ("error: cannot tell which assignment this is "
                                 "(no otter metadata, and no assignment name in the file name)")
                continue
            if job["path"].stat().st_size > MAX_NOTEBOOK_BYTES:
                job["status"] = f"error: the file is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB"
                continue
            try:
                assert isinstance(json.loads(job["path"].read_text(encoding="utf-8"))["cells"], list)
            except (ValueError, KeyError, TypeError, AssertionError):
                job["status"] = "error: not a notebook (the file is not a Jupyter notebook's JSON)"
                continue
            slot = free.pop(0)
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(job, job["assignment"], build, slot, opts, child))
            proc.start()
            child.close()
            running[id(job)] = (job, proc, parent, slot)
        for key, (job, proc, conn, slot) in list(running.items()):
            done = conn.poll()
            if done:
                try:
                    job["result"] = conn.recv()
                    job["status"] = job["result"].get("status")
                except (EOFError, OSError):
                    job["status"] = "grader error: the judge ended without a result"
            elif not proc.is_alive():
                job["status"] = "grader error: the judge ended without a result"
            elif time.monotonic() - job["t0"] > opts.time_limit + 30:
                job["status"] = f"time limit: grading stopped after {opts.time_limit:g} s"
            else:
                continue
            proc.kill()
            proc.join()
            conn.close()
            del running[key]
            free.append(slot)
            job["seconds"] = time.monotonic() - job["t0"]
            print(f"  {job['assignment']['name']} / {job['student']}: {job['status']} ({job['seconds']:.1f} s)")
        time.sleep(0.02)


def _replace(staging: Path, out: Path) -> None:
    """Put the new results in place of the old: rename away, rename in, delete the old."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, old)
    os.rename(staging, out)
    os.chmod(out, 0o755)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    for stale in out.parent.glob(f".{out.name}.*-*"):  # left by a batch that was killed
        shutil.rmtree(stale, ignore_errors=True)


def check_solutions(opts) -> bool:
    """Grade every solved notebook (a perfect submission); True if each gets full marks."""
    manifest = load_manifest(opts.build)
    with tempfile.TemporaryDirectory(prefix="hw-solutions-") as tmp:
        for a in manifest["assignments"]:
            folder = Path(tmp) / f"solution-{a['name']}"
            folder.mkdir()
            shutil.copyfile(opts.build / a["solved_notebook"], folder / a["notebook"])
        rows = grade(Path(tmp), opts)
    ok = all(r["status"] == "graded" and r["total"] == r["possible"] for r in rows)
    print("solutions: " + ("every solution gets full marks" if ok else "NOT every solution gets full marks"))
    return ok


def exit_code(rows: list[dict]) -> int:
    """Non-zero when grading itself failed for a submission (not when a submission failed)."""
    return 1 if any(r["status"].startswith("grader error") for r in rows) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run: python -m tools.homework grade SUBMISSIONS")
