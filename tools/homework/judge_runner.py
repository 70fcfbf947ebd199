"""The judge: runs the tests of ONE submission, INSIDE a sandbox of its own (``python -I -S /judge/judge_runner.py``).

It is the only process that turns what the student's sandbox sent into Python objects (``wire.decode``), so a bug
there is a bug in a sandbox: it can change no file, reach no other submission, and say nothing but its two results.

It talks only to its own judging process in the grader (``session.py``), one line at a time on stdin and stdout:

* in: the configuration (first line: site folders, the PUBLIC tests' code, time limits); then ``<`` + a line the
  student's sandbox wrote (passed on unread), ``!`` + an event of the grader's: ``{"event": "ended"}`` (the student's
  sandbox ended) or ``{"event": "hidden", "tests": [...]}`` (the hidden tests' code, sent only after phase 1's result);
* out: ``>`` + a request for the student's sandbox (``get`` a variable, ``call`` a function, answer a callback,
  ``bye``), and ``=`` + a result.

Phase 1 runs the public tests and may say anything about them (its messages become the student's feedback after
the grader has made them safe text); it has not seen a hidden test.  Phase 2 runs the hidden tests, and the grader
then takes from this process only a list of booleans, one per hidden test it named (their feedback is the master's
hint, which the grader holds), and a status from a fixed set of words.  So even a judge that the student's data took
over cannot tell anyone a hidden test.
"""

import json
import os
import secrets
import select
import signal
import sys
import time

sys.path.insert(0, "/judge")
from channel import LineReader  # noqa: E402

MAX_LINE = 16 * 2**20
INBOX = LineReader(0, MAX_LINE + 64)


def readline(until=None):
    """The next line from the grader; None when ``until`` (monotonic) passed first."""
    while True:
        line = INBOX.pop()
        if line is not None:
            return line
        if INBOX.eof:
            sys.exit(0)  # the grader went away
        left = None if until is None else until - time.monotonic()
        if left is not None and left <= 0:
            return None
        if select.select([0], [], [], 1.0 if left is None else min(left, 1.0))[0]:
            INBOX.read()


def emit(tag, msg):
    data = tag + json.dumps(msg).encode() + b"\n"
    while data:
        data = data[os.write(1, data):]


CONFIG = json.loads(readline())
for folder in CONFIG["site"]:  # the course environment's packages (started with -S: no other site folder)
    import site

    site.addsitedir(folder)
import wire  # noqa: E402 - needs the site folders (numpy, sympy)


class StudentGone(Exception):
    """The student's sandbox ended, broke the protocol, or did not answer: nothing it said counts.  ``args[0]`` is
    one of REASONS."""


REASONS = ("ended", "protocol", "no_answer")


class TestTimeLimit(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeLimit("the test took longer than its time limit")


class Student:
    """The student's sandbox, reached through the grader's relay."""

    def __init__(self, call_limit):
        self.call_limit, self.grader_objects, self.in_request = call_limit, {}, False

    def next(self, until=None):
        line = readline(until)
        if line is None:
            raise StudentGone("no_answer")
        if line[:1] == b"!":
            raise StudentGone("ended" if json.loads(line[1:]).get("event") == "ended" else "protocol")
        try:
            msg = json.loads(line[1:])
        except (ValueError, RecursionError, MemoryError) as exc:
            raise StudentGone("protocol") from exc
        if line[:1] != b"<" or not isinstance(msg, dict):
            raise StudentGone("protocol")
        return msg

    def request(self, msg):
        """Send a request and return its answer, serving the callbacks the student's code makes meanwhile."""
        msg["id"] = secrets.token_hex(8)  # an answer written in advance cannot match
        self.in_request = True
        emit(b">", msg)
        until = time.monotonic() + self.call_limit + 5
        while True:
            answer = self.next(until)
            if answer.get("type") == "callback":
                self._callback(answer)
                continue
            if answer.get("id") != msg["id"]:
                raise StudentGone("protocol")
            self.in_request = False
            return answer

    def _callback(self, msg):
        try:
            target = wire.callback_target(self.grader_object(msg.get("handle")), msg.get("method"))
            args = msg.get("args") or []
            kwargs = msg.get("kwargs") or {}
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise wire.WireError("bad arguments")
            value = target(*[wire.decode(a) for a in args], **{str(k): wire.decode(x) for k, x in kwargs.items()})
            reply = {"type": "callback_result", "value": wire.encode(value, None, [])}
        except Exception as exc:  # noqa: BLE001 - the test's object rejected the student's call
            reply = {"type": "callback_error", "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        emit(b">", reply)

    def grader_object(self, handle):
        if not isinstance(handle, str) or handle not in self.grader_objects:
            raise wire.WireError("unknown grader object")
        return self.grader_objects[handle]

    def get(self, name):
        answer = self.request({"op": "get", "name": name})
        if answer.get("type") != "value":
            raise AssertionError(str(answer.get("error", "no value"))[:300])
        return wire.decode(answer.get("value"), self)

    def call(self, handle, args, kwargs):
        generators = []
        msg = {"op": "call", "handle": handle,
               "args": [wire.encode(a, self.grader_objects, generators) for a in args],
               "kwargs": {k: wire.encode(v, self.grader_objects, generators) for k, v in kwargs.items()}}
        answer = self.request(msg)
        if answer.get("type") == "error":
            raise RuntimeError(f"your function raised {str(answer.get('error'))[:300]}")
        if answer.get("type") != "result":
            raise StudentGone("protocol")
        states = answer.get("generators")
        if isinstance(states, list) and len(states) == len(generators):
            for g, state in zip(generators, states, strict=True):
                try:  # the student's code advanced the generator; a forged state is rejected by numpy
                    g.bit_generator.state = state
                except (TypeError, ValueError, KeyError):
                    pass
        return wire.decode(answer.get("value"), self)


def load(tests):
    """[(test id, function)] from the test modules' code (``otter``'s test files without the import)."""
    import inspect

    out = []
    for module in tests:
        question, cases = str(module["question"]), []

        def test_case(points=None, hidden=False, name=None, success_message=None, failure_message=None,
                      cases=cases):
            def register(func):
                cases.append(func)
                return func
            return register

        namespace = {"test_case": test_case, "__name__": f"hw_tests_{question}"}
        exec(compile(module["source"], f"<test {question}>", "exec"), namespace)
        out += [(f"{question}/{f.__name__}", f, list(inspect.signature(f).parameters)) for f in cases]
    return out


def run(student, tests):
    """{test id: (passed, message)} for every test, in order; StudentGone ends the phase."""
    results = {}
    for test_id, func, params in tests:
        passed, message = False, ""
        try:
            kwargs = {p: student.get(p) for p in params}
            signal.setitimer(signal.ITIMER_REAL, 2 * CONFIG["call_limit"] + 10)  # the judge's own work (simplify)
            try:
                func(**kwargs)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            passed = True
        except StudentGone:
            raise
        except TestTimeLimit as exc:
            if student.in_request:
                raise StudentGone("no_answer") from exc
            message = "the test took longer than its time limit"
        except AssertionError as exc:
            message = str(exc)
        except Exception as exc:  # noqa: BLE001 - whatever the student's values make a test raise
            message = f"{type(exc).__name__}: {exc}"
        results[test_id] = (passed, message[:1500])
    return results


def cell_errors(ready):
    errors = ready.get("cell_errors")
    out = []
    for e in errors[:50] if isinstance(errors, list) else []:
        if isinstance(e, dict):
            cell = e.get("cell")
            out.append({"cell": cell if type(cell) is int else 0, "ename": str(e.get("ename", ""))[:40],
                        "first_line": str(e.get("first_line", ""))[:60]})
    return out


def main():
    signal.signal(signal.SIGALRM, _alarm)
    student = Student(CONFIG["call_limit"])
    public, errors, status, reason = {}, [], "ok", None
    try:
        ready = student.next()
        if ready.get("type") != "ready":
            raise StudentGone("protocol")
        errors = cell_errors(ready)
        public = run(student, load(CONFIG["tests"]))
    except StudentGone as exc:
        status, reason = "crashed", exc.args[0]
    emit(b"=", {"phase": 1, "status": status, "reason": reason, "cell_errors": errors,
                "results": {k: {"passed": p, "message": m} for k, (p, m) in public.items()}})
    if status != "ok":
        return
    line = readline()
    event = json.loads(line[1:]) if line[:1] == b"!" else {}
    if event.get("event") != "hidden":  # the student's sandbox spoke out of turn, or ended
        emit(b"=", {"phase": 2, "status": "crashed", "reason": "ended" if event.get("event") == "ended" else
                    "protocol", "passed": []})
        return
    hidden = load(event["tests"])
    try:
        results = run(student, hidden)
        if student.request({"op": "bye"}).get("type") != "bye":
            raise StudentGone("protocol")
        emit(b"=", {"phase": 2, "status": "ok", "reason": None, "passed": [results[t][0] for t, _, _ in hidden]})
    except StudentGone as exc:
        emit(b"=", {"phase": 2, "status": "crashed", "reason": exc.args[0], "passed": []})


main()
