"""Judge one submission: the student's sandbox and the judge's sandbox, and the grader's relay between them.

Who sees what (homework/README.md, "Trust"):

* the STUDENT's sandbox (``driver.py``) holds the notebook and runs it; it never sees a test;
* the JUDGE's sandbox (``judge_runner.py``) holds the tests of this assignment and the decoder (``wire.py``); it
  never sees a file of the course but the library, nor the notebook's file, nor anything of other students;
* this process, in the grader, starts both, passes the student's lines to the judge and the judge's requests to the
  student WITHOUT reading them (it only cuts bytes into lines of bounded length: ``channel.LineReader``), sends the
  hidden tests only after the judge has given its public results, and from then on accepts nothing from the judge
  but one boolean per hidden test and a status word.  The only things it parses are the judge's two results, each a
  small JSON object checked field by field against the tests it knows.

Whatever the student's data does to the judge, the judge can only change this submission's own score and feedback.
"""

from __future__ import annotations

import json
import os
import select
import time
from pathlib import Path

from . import channel, judge
from .sandbox import Sandbox, interpreter, site_folders
from .slots import SlotGroup

HERE = Path(__file__).parent
DRIVER = (HERE / "driver.py").read_text()
JUDGE_FILES = {f"/judge/{name}": (HERE / name).read_bytes() for name in ("judge_runner.py", "wire.py", "channel.py")}
MAX_LINE = 16 * 2**20  # a line from the student's sandbox (a value, an array, a SymPy expression)
MAX_RESULT = 4 * 2**20  # a line from the judge
BACKLOG = 2 * MAX_LINE  # bytes waiting for a reader before the relay stops reading the writer
REASONS = {"ended": None, "protocol": "the notebook's process broke the protocol",
           "no_answer": "no answer within the time limit of a test call (a call that ignores the time limit)"}


class JudgeError(Exception):
    """The judge did not follow its protocol: reported as a grader error for this submission only."""


class Relay:
    """The two sandboxes and the bytes between them."""

    def __init__(self, student: Sandbox, judge_box: Sandbox):
        self.student, self.judge = student, judge_box
        self.from_student = channel.LineReader(student.stdout, MAX_LINE)
        self.from_judge = channel.LineReader(judge_box.stdout, MAX_RESULT)
        self.to_student, self.to_judge = bytearray(), bytearray()
        self.student_gone: str | None = None  # why the student's channel ended, in this side's own words

    def end_student(self, why: str) -> None:
        if self.student_gone is None:
            self.student_gone = why
            self.student.kill()
            self.to_student.clear()
            self.to_judge += b'!{"event": "ended"}\n'

    def pump(self, until: float) -> bytes | None:
        """Move bytes until the judge says a result line (``=`` ...); None if ``until`` passes or the judge ends."""
        while time.monotonic() < until:
            if (line := self.from_judge.pop()) is not None:
                if line[:1] == b">":
                    if self.student_gone is None:
                        self.to_student += line[1:] + b"\n"
                    continue
                if line[:1] == b"=":
                    return line[1:]
                raise JudgeError("the judge broke the protocol")
            if self.from_judge.eof:
                return None
            readable = [self.judge.stdout]
            if self.student_gone is None and len(self.to_judge) < BACKLOG:
                readable.append(self.student.stdout)
            writable = [fd for fd, buf in ((self.student.stdin, self.to_student), (self.judge.stdin, self.to_judge))
                        if buf]
            r, w, _ = select.select(readable, writable, [], min(1.0, max(0.0, until - time.monotonic())))
            for fd in w:
                buf = self.to_student if fd == self.student.stdin else self.to_judge
                try:
                    del buf[:os.write(fd, bytes(buf[:1 << 16]))]
                except BlockingIOError:
                    pass
                except OSError:
                    if fd == self.student.stdin:
                        self.end_student("the notebook's process " + self.student.how_it_ended())
                    else:
                        return None
            if self.student.stdout in r and self.student_gone is None:
                try:
                    if not self.from_student.read():
                        self.end_student("the notebook's process " + self.student.how_it_ended())
                except channel.LineTooLong:
                    self.end_student(f"the notebook's process sent a line longer than {MAX_LINE >> 20} MiB")
                while (line := self.from_student.pop()) is not None:
                    self.to_judge += b"<" + line + b"\n"
            if self.judge.stdout in r:
                try:
                    self.from_judge.read()
                except channel.LineTooLong:
                    raise JudgeError("the judge sent a result larger than the limit") from None
        return None

    def send_judge(self, msg: dict) -> None:
        self.to_judge += b"!" + json.dumps(msg).encode() + b"\n"


def _result(line: bytes | None, phase: int) -> dict:
    """A judge's result, checked for shape (it may come from a judge the student's data took over)."""
    if line is None:
        raise JudgeError("the judge ended without a result")
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise JudgeError("the judge's result is not JSON") from exc
    if not (isinstance(msg, dict) and msg.get("phase") == phase and msg.get("status") in ("ok", "crashed")
            and (msg.get("reason") is None or msg.get("reason") in REASONS)):
        raise JudgeError("the judge's result has the wrong shape")
    return msg


def _public(msg: dict, bundle: judge.Bundle) -> dict:
    results = msg.get("results") if isinstance(msg.get("results"), dict) else {}
    out = {}
    for spec in bundle.specs:
        got = results.get(spec.id)
        if not spec.hidden and isinstance(got, dict):
            out[spec.id] = {"passed": got.get("passed") is True, "message": str(got.get("message", ""))[:1500]}
    return out


def _cell_errors(msg: dict) -> list[dict]:
    errors = msg.get("cell_errors") if isinstance(msg.get("cell_errors"), list) else []
    return [{"cell": e["cell"] if type(e.get("cell")) is int else 0, "ename": str(e.get("ename", ""))[:40],
             "first_line": str(e.get("first_line", ""))[:60]} for e in errors[:50] if isinstance(e, dict)]


def judge_submission(data: bytes, assignment: dict, bundle: judge.Bundle, work: Path, *, uids: tuple[int, int],
                     places: dict, opts) -> dict:
    """Grade one notebook (its bytes): status, per-question results, cell errors.  Never raises for anything the
    submission does; a fault of the judge is a ``grader error`` row."""
    deadline = time.monotonic() + opts.time_limit
    cpu = int(opts.time_limit) + 10
    manual = {q["name"] for q in assignment["questions"] if q["manual"]}
    groups = [SlotGroup(f"hw-grade-{os.getppid()}-uid{uid}", opts.memory_mb + 512) for uid in uids]
    python = interpreter()
    student = judge_box = None
    result = {"status": "graded", "questions": {}, "cell_errors": []}
    try:
        student = Sandbox({f"/home/student/{assignment['notebook']}": data}, [python, "-I", "-S", "-c", DRIVER],
                          work / "student.log", uid=uids[0], memory_mb=opts.memory_mb, cpu_seconds=cpu,
                          places=places, home="/home/student", group=groups[0])
        judge_box = Sandbox(JUDGE_FILES, [python, "-I", "-S", "/judge/judge_runner.py"], work / "judge.log",
                            uid=uids[1], memory_mb=opts.memory_mb, cpu_seconds=cpu, places=places,
                            home="/home/judge", group=groups[1], max_processes=16)
        relay = Relay(student, judge_box)
        relay.to_student += json.dumps({"site": site_folders(), "notebook": f"/home/student/{assignment['notebook']}",
                                        "cell_limit": opts.cell_time_limit, "call_limit": opts.test_time_limit}
                                       ).encode() + b"\n"
        relay.to_judge += json.dumps({"site": site_folders(), "tests": list(bundle.public),
                                      "call_limit": opts.test_time_limit}).encode() + b"\n"
        first = relay.pump(deadline)
        if first is None and time.monotonic() >= deadline:
            return {**result, "status": f"time limit: grading stopped after {opts.time_limit:g} s"}
        first = _result(first, 1)
        result["cell_errors"] = _cell_errors(first)
        public = _public(first, bundle)
        if first["status"] == "ok":
            relay.send_judge({"event": "hidden", "tests": list(bundle.hidden)})
            second = relay.pump(deadline)
            if second is None and time.monotonic() >= deadline:
                return {**result, "status": f"time limit: grading stopped after {opts.time_limit:g} s"}
            second = _result(second, 2)
            passed = second.get("passed")
            if second["status"] == "ok" and not (isinstance(passed, list) and len(passed) == len(bundle.hidden_ids)
                                                 and all(type(p) is bool for p in passed)):
                raise JudgeError("the judge's hidden results have the wrong shape")
            final = second
        else:
            final, passed = first, []
        if final["status"] == "ok":
            result["questions"] = judge.scores(bundle, public, passed, manual)
        else:
            why = REASONS[final["reason"]] or relay.student_gone or "the notebook's process ended"
            timed_out = time.monotonic() >= deadline
            result["status"] = (f"time limit: grading stopped after {opts.time_limit:g} s" if timed_out
                                else f"crashed: {why}")
        return result
    except JudgeError as exc:
        return {**result, "status": f"grader error: {exc}"}
    finally:
        for box in (student, judge_box):
            if box is not None:
                box.kill()
        for g in groups:
            g.remove()
