"""The driver that runs INSIDE the sandbox, as the student: it is the only grading code the student's process holds.

It is passed to ``python -I -c`` (so no course file but the notebook is visible), runs the notebook's code cells
from the top, then answers the grader's requests on stdin/stdout, one JSON object per line:

* ``{"op": "get", "name": ...}``: the value of a notebook variable, as plain data (see ``encode``);
* ``{"op": "call", "handle": h, "args": [...], "kwargs": {...}}``: call a student function with the grader's inputs;
  while it runs, the student's code may call back into objects the grader passed in (``callback`` messages);
* ``{"op": "bye"}``: the end.

Nothing here is trusted by the grader: the student's code runs in this process and may replace any of it.  The
grader only reads size-limited lines of JSON, parses them itself, and judges the values with its own libraries.
It needs only the standard library (numpy and sympy are used if the notebook imported them).
"""

import base64
import io
import json
import os
import signal
import sys
import types

PROTO_OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the answer channel: a copy of stdout, taken first
PROTO_IN = os.fdopen(os.dup(0), "r", encoding="utf-8")
_null = os.open(os.devnull, os.O_RDWR)
os.dup2(_null, 0)
os.dup2(2, 1)  # the student's prints go to the log (stderr), never into the answer channel
CONFIG = json.loads(PROTO_IN.readline())
for folder in CONFIG["site"]:  # the course environment's packages (started with -S: no other site folder)
    import site

    site.addsitedir(folder)
HANDLES = {}  # handle -> a student callable the grader may call


class Timeout(BaseException):
    """Raised by the alarm when a cell or a call runs longer than its limit."""


def _alarm(signum, frame):
    raise Timeout("stopped at the time limit")


def send(msg):
    PROTO_OUT.write(json.dumps(msg) + "\n")
    PROTO_OUT.flush()


def encode(v, depth=0):
    """A student value as plain JSON data."""
    if depth > 6:
        return {"$": "opaque", "type": "too deeply nested"}
    if v is None or type(v) in (bool, int, float) or v is Ellipsis:
        return {"$": "ellipsis"} if v is Ellipsis else v
    if isinstance(v, str):
        return str.__str__(v)
    if type(v) in (tuple, list):
        return {"$": type(v).__name__, "items": [encode(x, depth + 1) for x in v][:10000]}
    if type(v) is dict:
        return {"$": "dict", "items": [[encode(k, depth + 1), encode(x, depth + 1)] for k, x in v.items()][:1000]}
    np = sys.modules.get("numpy")
    if np is not None and isinstance(v, (np.ndarray, np.generic)) and np.asarray(v).dtype.kind in "biufc":
        buf = io.BytesIO()
        np.save(buf, np.asarray(v), allow_pickle=False)
        return {"$": "nd", "npy": base64.b64encode(buf.getvalue()).decode()}
    sp = sys.modules.get("sympy")
    if sp is not None and isinstance(v, (sp.Basic, sp.MatrixBase)):
        return {"$": "sympy", "srepr": sp.srepr(v)}
    if isinstance(v, Remote):
        return {"$": "ghandle", "handle": v._handle}
    if callable(v):
        HANDLES[str(len(HANDLES))] = v
        return {"$": "callable", "handle": str(len(HANDLES) - 1)}
    return {"$": "opaque", "type": type(v).__name__[:40]}


class Remote:
    """An object the grader passed in (a function, or an object with methods): calling it asks the grader."""

    def __init__(self, handle, method=None):
        self._handle, self._method = handle, method

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Remote(self._handle, name)

    def __call__(self, *args, **kwargs):
        send({"type": "callback", "handle": self._handle, "method": self._method,
              "args": [encode(a) for a in args], "kwargs": {k: encode(x) for k, x in kwargs.items()}})
        reply = json.loads(PROTO_IN.readline())
        if reply.get("type") != "callback_result":
            raise RuntimeError(reply.get("error", "the grader's object raised an error"))
        return decode(reply["value"], [])


def decode(v, generators):
    """The grader's input (arrays, numbers, seeded generators, objects to call back) as Python values."""
    if isinstance(v, list):
        return [decode(x, generators) for x in v]
    if not isinstance(v, dict):
        return v
    kind = v["$"]
    if kind == "ellipsis":
        return ...
    if kind in ("tuple", "list"):
        items = [decode(x, generators) for x in v["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {decode(k, generators): decode(x, generators) for k, x in v["items"]}
    if kind == "nd":
        import numpy as np

        a = np.load(io.BytesIO(base64.b64decode(v["npy"])), allow_pickle=False)
        return a[()] if a.ndim == 0 else a
    if kind == "generator":
        import numpy as np

        g = np.random.Generator(getattr(np.random, v["state"]["bit_generator"])())
        g.bit_generator.state = v["state"]
        generators.append(g)
        return g
    if kind == "sympy":
        import sympy as sp

        return sp.parse_expr(v["srepr"], evaluate=False)
    if kind in ("gcallable", "gobject"):
        return Remote(v["handle"])
    if kind == "callable":
        return HANDLES[v["handle"]]
    raise ValueError(f"cannot decode {kind}")


def otter_stub():
    """``import otter; grader = otter.Notebook(...)`` and ``grader.check`` work, and do nothing, when graded."""
    class Notebook:
        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    module = types.ModuleType("otter")
    module.Notebook = Notebook
    module.__path__ = []
    sys.modules["otter"] = module


def code_of(source):
    """Compile a cell; IPython syntax (magics, ``!cmd``) is translated first, when the cell needs it."""
    try:
        return compile(source, "<cell>", "exec")
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager

        return compile(TransformerManager().transform_cell(source), "<cell>", "exec")


def run_notebook(path, namespace):
    """Run every code cell in order; an error (or the cell time limit) in one cell does not stop the others."""
    with open(path, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    errors = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            signal.setitimer(signal.ITIMER_REAL, CONFIG["cell_limit"])
            exec(code_of(source), namespace)
        except BaseException as exc:  # noqa: BLE001 - a student's error is reported, never fatal
            first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
            errors.append({"cell": number, "ename": type(exc).__name__, "first_line": first[:60]})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return errors


def serve(namespace):
    """Answer the grader's requests until it says bye."""
    while True:
        line = PROTO_IN.readline()
        if not line:
            return
        req = json.loads(line)
        reply = {"id": req["id"]}
        try:
            if req["op"] == "bye":
                send({**reply, "type": "bye"})
                return
            if req["op"] == "get":
                name = req["name"]
                value = namespace[name] if name in namespace else None
                reply.update(type="value", value=encode(value) if name in namespace else {"$": "missing"})
            elif req["op"] == "call":
                generators = []
                args = [decode(a, generators) for a in req["args"]]
                kwargs = {k: decode(x, generators) for k, x in req["kwargs"].items()}
                signal.setitimer(signal.ITIMER_REAL, CONFIG["call_limit"])
                try:
                    value = HANDLES[req["handle"]](*args, **kwargs)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                reply.update(type="result", value=encode(value),
                             generators=[g.bit_generator.state for g in generators])
        except BaseException as exc:  # noqa: BLE001 - reported to the grader as the test's failure
            reply.update(type="error", error=f"{type(exc).__name__}: {str(exc)[:300]}")
        send(reply)


def main():
    signal.signal(signal.SIGALRM, _alarm)
    otter_stub()
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    errors = run_notebook(CONFIG["notebook"], namespace)
    send({"type": "ready", "cell_errors": errors})
    serve(namespace)


main()
