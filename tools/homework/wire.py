"""Plain data across the sandbox boundary: what the grader sends in, and how it reads what comes back.

Everything that comes back is untrusted.  ``decode`` accepts only JSON numbers, strings, lists, and tagged objects:
numeric ``.npy`` arrays (``allow_pickle=False``), SymPy expressions as ``srepr`` strings (parsed here from a short
list of SymPy constructors, never evaluated as Python), and handles of student functions, which become
``RemoteFunction`` objects that call back into the sandbox.  So no returned object can decide its own comparison:
a ``str`` subclass arrives as a plain ``str``, and an array is the grader's own numpy array.
"""

from __future__ import annotations

import ast
import base64
import io
import re

import numpy as np
import sympy as sp

MAX_ARRAY_BYTES = 64 * 2**20
MAX_SREPR_CHARS = 200_000
MAX_SREPR_NODES = 20_000
MAX_INT = 10**40  # bigger integer literals in an expression could make SymPy hang in C code
# srepr names that may appear as constructors or constants; anything else is rejected
SYMPY_NAMES = {name for name in dir(sp) if isinstance(getattr(sp, name), type | sp.Basic)
               and (isinstance(getattr(sp, name), sp.Basic) or issubclass(getattr(sp, name), sp.Basic | sp.MatrixBase))}
SYMPY_NAMES |= {"Function", "Symbol", "Dummy", "Wild", "Lambda", "Tuple", "ImmutableDenseMatrix",
                "MutableDenseMatrix", "Integer", "Rational", "Float", "oo", "zoo", "nan", "pi", "E", "I",
                "EulerGamma", "true", "false"}


class WireError(ValueError):
    """The sandbox sent something that is not valid plain data."""


class Opaque:
    """A student value that cannot cross the boundary (a module, an open file, an object of their own class)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object>"


class Missing(Opaque):
    """A variable the notebook does not define."""


def opaque(type_name: str) -> Opaque:
    """An instance of a class named like the student's type, so that test messages can name it."""
    name = re.sub(r"\W", "_", str(type_name))[:40] or "object"
    return type(name if name.isidentifier() else "object", (Opaque,), {})()


def parse_srepr(text: str):
    """A SymPy object from an ``srepr`` string, built from whitelisted constructors only (no ``eval`` of code)."""
    if not isinstance(text, str) or len(text) > MAX_SREPR_CHARS:
        raise WireError("SymPy expression missing or too long")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise WireError("not a SymPy srepr string") from exc
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_SREPR_NODES:
        raise WireError("SymPy expression too large")

    def build(node):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float, str, bool):
            if type(node.value) is int and abs(node.value) > MAX_INT:
                raise WireError("integer too large")
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -build(node.operand)
        if isinstance(node, ast.Name) and node.id in SYMPY_NAMES:
            return getattr(sp, node.id)
        if isinstance(node, ast.Tuple | ast.List):
            items = [build(x) for x in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Call):
            func = build(node.func)
            if not (isinstance(func, type) or isinstance(func, sp.core.function.UndefinedFunction)):
                raise WireError("only SymPy constructors may be called")
            kwargs = {k.arg: build(k.value) for k in node.keywords}
            if any(k is None or not isinstance(v, bool | int | str) for k, v in kwargs.items()):
                raise WireError("bad keyword argument")
            return func(*[build(a) for a in node.args], **kwargs)
        raise WireError(f"not allowed in a SymPy expression: {type(node).__name__}")

    with sp.evaluate(False):  # build the structure as sent; nothing is computed on untrusted input here
        try:
            value = build(tree.body)
        except WireError:
            raise
        except Exception as exc:  # noqa: BLE001 - a constructor refused its arguments
            raise WireError(f"bad SymPy expression: {type(exc).__name__}") from exc
    if not isinstance(value, sp.Basic | sp.MatrixBase):
        raise WireError("not a SymPy expression")
    return value


def decode(v, remote=None):
    """The untrusted value ``v`` (parsed JSON) as the grader's own Python object; ``remote`` calls student code."""
    if v is None or type(v) in (bool, int, float, str):
        return v
    if not isinstance(v, dict):
        raise WireError("unexpected JSON value")
    kind = v.get("$")
    if kind == "ellipsis":
        return ...
    if kind == "missing":
        return Missing()
    if kind in ("tuple", "list") and isinstance(v.get("items"), list):
        items = [decode(x, remote) for x in v["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict" and isinstance(v.get("items"), list):
        return {_hashable(decode(k, remote)): decode(x, remote) for k, x in v["items"]}
    if kind == "nd" and isinstance(v.get("npy"), str):
        raw = base64.b64decode(v["npy"], validate=True)
        if len(raw) > MAX_ARRAY_BYTES:
            raise WireError("array too large")
        try:
            a = np.load(io.BytesIO(raw), allow_pickle=False)
        except Exception as exc:  # noqa: BLE001 - malformed .npy data
            raise WireError("bad .npy data") from exc
        if a.dtype.kind not in "biufc":
            raise WireError(f"arrays must be numeric, got dtype {a.dtype}")
        return a[()] if a.ndim == 0 else a
    if kind == "sympy":
        return parse_srepr(v.get("srepr"))
    if kind == "callable" and isinstance(v.get("handle"), str) and remote is not None:
        return RemoteFunction(remote, v["handle"])
    if kind == "ghandle" and remote is not None:
        return remote.grader_object(v.get("handle"))
    if kind == "opaque":
        return opaque(v.get("type", "object"))
    raise WireError(f"unknown value kind {kind!r}")


def _hashable(k):
    if isinstance(k, list | dict | np.ndarray):
        raise WireError("unhashable dictionary key")
    return k


class RemoteFunction:
    """A student function living in the sandbox; calling it sends the grader's inputs in and decodes the answer."""

    def __init__(self, remote, handle: str):
        self._remote, self._handle = remote, handle

    def __call__(self, *args, **kwargs):
        return self._remote.call(self._handle, args, kwargs)

    def __repr__(self) -> str:
        return "<student function>"


def encode(v, grader_objects: dict, generators: list):
    """A grader-side input for the sandbox.  Generators travel as their state (``generators`` collects them, to
    take back the state the student's code left); other objects and functions stay here and are called back."""
    if v is None or type(v) in (bool, int, float, str):
        return v
    if v is Ellipsis:
        return {"$": "ellipsis"}
    if isinstance(v, tuple | list):
        return {"$": type(v).__name__ if type(v) in (tuple, list) else "list",
                "items": [encode(x, grader_objects, generators) for x in v]}
    if isinstance(v, dict):
        return {"$": "dict", "items": [[encode(k, grader_objects, generators), encode(x, grader_objects, generators)]
                                       for k, x in v.items()]}
    if isinstance(v, np.ndarray | np.generic):
        buf = io.BytesIO()
        np.save(buf, np.asarray(v), allow_pickle=False)
        return {"$": "nd", "npy": base64.b64encode(buf.getvalue()).decode()}
    if isinstance(v, np.random.Generator):
        generators.append(v)
        return {"$": "generator", "state": v.bit_generator.state}
    if isinstance(v, sp.Basic):
        return {"$": "sympy", "srepr": sp.srepr(v)}
    if isinstance(v, RemoteFunction):
        return {"$": "callable", "handle": v._handle}
    handle = f"g{len(grader_objects)}"
    grader_objects[handle] = v
    return {"$": "gcallable" if callable(v) else "gobject", "handle": handle}
