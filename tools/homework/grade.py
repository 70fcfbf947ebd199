"""``make grade``: grade every notebook under a folder, each with two sandboxes of its own, a few at a time.

The batch finds the submissions (``intake``), then forks one judging process per submission (up to ``--jobs`` at
once, each with its own job slot: a uid for the student's sandbox and one for the judge's).  A judging process reads
its file again (``O_NOFOLLOW``), stages the course's Python for the sandboxes (``stage``), and runs the session
(``session``).  The batch kills it at the wall-clock limit.  Results go to a new folder that takes the output folder's
place at the end; the previous results are moved to ``<out>.previous`` when the batch STARTS, so a batch that dies
leaves no results that look current.  Every file found gets exactly one row, whatever it holds: the exit status is 0
whenever every row was written.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from . import intake, judge, report, sandbox, seccomp
from .build import load_manifest
from .session import judge_submission
from .slots import MAX_SLOTS, SlotGroup, slot_uid
from .stage import Staging
from .text import shown


def _uids(slot: int, batch: int | None = None) -> tuple[int, int]:
    """The student's and the judge's uid of a job slot."""
    return slot_uid(2 * slot, batch), slot_uid(2 * slot + 1, batch)


PROBE = {"name": "probe", "notebook": "probe.ipynb", "questions": [{"name": "q1", "manual": False, "points": 1}]}


def sandbox_probe(opts, staging: Staging) -> None:
    """Grade a one-cell notebook with a public and a hidden test: if that fails, grading cannot work here."""
    if sandbox.bwrap_path() is None:
        raise SystemExit("ERROR: bubblewrap (bwrap) is not installed: apt-get install bubblewrap. "
                         "Student code is never run without the sandbox.")
    source = "@test_case(points=0.5)\ndef test_x(x):\n    assert x == 42\n"
    probe = judge.Bundle((judge.TestSpec("q1/test_x", "q1", "test_x", 0.5, False, "", ""),
                          judge.TestSpec("q1/test_y", "q1", "test_y", 0.5, True, "", "")),
                         ({"question": "q1", "source": source},),
                         ({"question": "q1", "source": source.replace("test_x", "test_y")},), ("q1/test_y",))
    nb = json.dumps({"cells": [{"cell_type": "code", "source": "x = 6 * 7", "metadata": {}}], "metadata": {},
                     "nbformat": 4, "nbformat_minor": 5}).encode()
    with tempfile.TemporaryDirectory(prefix="hw-probe-") as tmp:
        pid = os.fork()
        if pid == 0:  # the staging mounts belong to a process of their own, as in a judging process
            try:
                result = judge_submission(nb, PROBE, probe, Path(tmp), uids=_uids(MAX_SLOTS // 2 - 1),
                                          places=staging.enter(), opts=opts)
                (Path(tmp) / "result.json").write_text(json.dumps(result))
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        try:
            result = json.loads((Path(tmp) / "result.json").read_text())
        except (OSError, ValueError):
            result = {"status": "the probe ended without a result"}
        score = (result.get("questions") or {}).get("q1", {}).get("score")
        if result.get("status") != "graded" or score != 1:
            logs = "".join((Path(tmp) / f).read_text(errors="replace")[-1500:] for f in ("student.log", "judge.log")
                           if (Path(tmp) / f).exists())
            raise SystemExit(f"ERROR: the sandbox does not work on this machine ({result.get('status')}): {logs}")


def _worker(job: dict, build: Path, slot: int, opts, staging: Staging, conn) -> None:
    """In a forked process: judge one submission and send the result; never raises."""
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a killed batch takes its judges along
    resource.setrlimit(resource.RLIMIT_AS, (4 * opts.memory_mb * 2**20,) * 2)
    work = Path(tempfile.mkdtemp(prefix="hw-job-"))
    try:
        data = intake.read_regular(job["path"])
        a = job["assignment"]
        result = judge_submission(data, a, judge.bundle(build / a["autograder_zip"]), work,
                                  uids=_uids(slot, os.getppid()), places=staging.enter(), opts=opts)
        for name in ("student", "judge"):
            log = work / f"{name}.log"
            result[f"{name}_log"] = log.read_bytes()[:65536].decode(errors="replace") if log.exists() else ""
    except intake.Unreadable as exc:
        result = {"status": exc.args[0], "questions": {}, "cell_errors": []}
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
    jobs = intake.find_jobs(submissions, by_name)
    if not jobs:
        raise SystemExit(f"no .ipynb files under {submissions}")
    if os.getuid() != 0:
        print("note: not running as root, so the sandboxes share your uid's process limit")
    staging = Staging(sandbox.python_folders())
    try:
        sandbox_probe(opts, staging)
        _retire(out)
        probe_group = SlotGroup(f"hw-grade-{os.getpid()}-probe", 64)
        groups = ("a control group per sandbox (equal CPU share, memory and process limits)" if probe_group.active
                  else "no control groups here (so a fork bomb can slow the submission graded beside it)")
        probe_group.remove()
        filt = "a seccomp filter" if seccomp.filter_bpf() else "NO seccomp filter (libseccomp2 is missing)"
        first, last = _uids(0)[0], _uids(opts.jobs - 1)[1]
        print(f"grading {len(jobs)} files, {opts.jobs} at a time; each notebook in a bubblewrap sandbox and its tests "
              f"in another (no network, {filt}, nothing of the course but the library); limits: {opts.time_limit:g} s "
              f"per submission, {opts.cell_time_limit:g} s per cell, {opts.test_time_limit:g} s per test call, "
              f"{opts.memory_mb} MiB address space; {groups}; sandbox uids {first}-{last}")
        _run(jobs, build, opts, staging)
    finally:
        staging.remove()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging_out = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    rows = report.write_all(jobs, manifest, staging_out)
    os.rename(staging_out, out)
    os.chmod(out, 0o755)
    report.summary(rows, jobs, out)
    return rows


def _retire(out: Path) -> None:
    """Move the previous results out of the way before grading: a batch that dies leaves no stale ``out``."""
    previous = out.parent / f"{out.name}.previous"
    for stale in out.parent.glob(f".{out.name}.new-*"):  # left by a batch that was killed
        shutil.rmtree(stale, ignore_errors=True)
    if out.exists():
        shutil.rmtree(previous, ignore_errors=True)
        os.rename(out, previous)
        print(f"the previous results are now in {previous}")


def _run(jobs: list[dict], build: Path, opts, staging: Staging) -> None:
    ctx = multiprocessing.get_context("fork")
    pending, running, free = [j for j in jobs if j["status"] is None], {}, list(range(opts.jobs))
    while pending or running:
        while pending and free:
            job = pending.pop(0)
            job["t0"] = time.monotonic()
            slot = free.pop(0)
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(job, build, slot, opts, staging, child))
            proc.start()
            child.close()
            running[id(job)] = (job, proc, parent, slot)
        for key, (job, proc, conn, slot) in list(running.items()):
            if conn.poll():
                try:
                    job["result"] = conn.recv()
                    job["status"] = job["result"].get("status")
                except (EOFError, OSError):
                    job["status"] = "grader error: the judging process ended without a result"
            elif not proc.is_alive():
                job["status"] = "grader error: the judging process ended without a result"
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
            print(f"  {job['assignment']['name']} / {shown(job['student'])}: {shown(job['status'])} "
                  f"({job['seconds']:.1f} s)", flush=True)
        time.sleep(0.02)


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run: python -m tools.homework grade SUBMISSIONS")
