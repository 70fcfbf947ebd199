"""Plain data across the sandbox boundary: what the judge sends to the student's sandbox, and how it reads answers.

This runs in the judge's sandbox (``judge_runner.py``), never in the grader.  Everything that comes back from the
student is untrusted.  ``decode`` accepts JSON numbers, strings, lists and a few tagged objects, nested at most
``MAX_DEPTH`` deep: numeric ``.npy`` arrays (``allow_pickle=False``), SymPy expressions as ``srepr`` strings, and
handles of student functions (``RemoteFunction``, which calls back into the student's sandbox).  So no returned
object can decide its own comparison: a ``str`` subclass arrives as a plain ``str``, an array as the judge's own.

SymPy expressions are built by ``parse_srepr`` from a closed grammar, never evaluated: the constructors of
``CLASSES`` applied to SymPy objects only; a string only as a symbol's or undefined function's name (an identifier) or
as a ``Float``'s digits; integers only inside ``Integer``, ``Rational`` and the few constructors whose srepr holds
plain numbers; keywords only a symbol's assumptions (booleans), a ``Float``'s precision and a ``Dummy``'s index; at
most ``MAX_SREPR_CHARS`` characters, ``MAX_SREPR_NODES`` nodes and ``MAX_DEPTH`` levels.  (SymPy's own function
classes ``sympify`` a string argument, which evaluates it as Python: no string ever reaches them here.)
"""

from __future__ import annotations

import ast
import base64
import binascii
import io
import re
import types

import numpy as np
import sympy as sp
from sympy.core.assumptions import _assume_defined
from sympy.functions.elementary.piecewise import ExprCondPair

MAX_ARRAY_BYTES = 64 * 2**20
MAX_SREPR_CHARS = 200_000
MAX_SREPR_NODES = 20_000
MAX_DEPTH = 64
MAX_INT = 10**40  # bigger integer literals in an expression could make SymPy hang in C code
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}|[+-]")  # a symbol's name (Limit's direction is Symbol('+'))
NUMBER = re.compile(r"[+-]?(\d{1,400}(\.\d{0,400})?|\.\d{1,400})([eE][+-]?\d{1,6})?|[+-]?(inf|nan)")
HANDLE = re.compile(r"\w{1,24}")
ASSUMPTIONS = frozenset(_assume_defined)
CONSTANTS = {"pi": sp.pi, "E": sp.E, "I": sp.I, "oo": sp.oo, "zoo": sp.zoo, "nan": sp.nan, "EulerGamma": sp.EulerGamma,
             "Catalan": sp.Catalan, "GoldenRatio": sp.GoldenRatio, "true": sp.true, "false": sp.false,
             "EmptySet": sp.EmptySet, "Reals": sp.Reals}
CLASSES = {name: getattr(sp, name) for name in (
    "Add", "Mul", "Pow", "Mod", "Abs", "sign", "floor", "ceiling", "frac", "Max", "Min", "re", "im", "arg",
    "conjugate", "exp", "exp_polar", "log", "LambertW", "sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos",
    "atan", "atan2", "acot", "asec", "acsc", "sinh", "cosh", "tanh", "coth", "sech", "csch", "asinh", "acosh",
    "atanh", "acoth", "gamma", "loggamma", "lowergamma", "uppergamma", "polygamma", "digamma", "trigamma", "beta",
    "factorial", "factorial2", "binomial", "RisingFactorial", "FallingFactorial", "erf", "erfc", "erfi", "erfinv",
    "erfcinv", "Ei", "expint", "Si", "Ci", "zeta", "Heaviside", "DiracDelta", "KroneckerDelta", "Piecewise",
    "Integral", "Derivative", "Sum", "Product", "Limit", "Subs", "Lambda", "Tuple", "Interval",
    "FiniteSet", "Union", "Intersection", "Complement", "Equality", "Unequality",
    "StrictLessThan", "StrictGreaterThan", "LessThan", "GreaterThan", "And", "Or", "Not", "Xor", "Implies",
    "ImmutableDenseMatrix", "MutableDenseMatrix")} | {"ExprCondPair": ExprCondPair}
NUMBER_CLASSES = {"Integer": sp.Integer, "Rational": sp.Rational}
SYMBOL_CLASSES = {"Symbol": sp.Symbol, "Dummy": sp.Dummy}
MATRICES = ("ImmutableDenseMatrix", "MutableDenseMatrix")


class WireError(ValueError):
    """The sandbox sent something that is not valid plain data."""


class Opaque:
    """A student value that cannot cross the boundary (a module, an open file, an object of their own class)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object>"


class Missing(Opaque):
    """A variable the notebook does not define."""


def opaque(type_name: object) -> Opaque:
    """An instance of a class named like the student's type, so that test messages can name it."""
    name = re.sub(r"\W", "_", str(type_name))[:40] or "object"
    return type(name if name.isidentifier() else "object", (Opaque,), {})()


def _int(node: ast.AST) -> int:
    """A plain integer literal, possibly negative, within ``MAX_INT``."""
    negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    node = node.operand if negative else node
    if not (isinstance(node, ast.Constant) and type(node.value) is int) or node.value > MAX_INT:
        raise WireError("expected a plain integer of moderate size")
    return -node.value if negative else node.value


def _keywords(call: ast.Call, allowed: dict[str, type]) -> dict:
    out = {}
    for kw in call.keywords:
        want = allowed.get(kw.arg) if kw.arg is not None else None
        if want is None and kw.arg in ASSUMPTIONS:
            want = bool
        if want is None or not isinstance(kw.value, ast.Constant) or type(kw.value.value) is not want:
            raise WireError(f"keyword {kw.arg!r} not allowed here")
        out[kw.arg] = kw.value.value
    return out


def _string(node: ast.AST, pattern: re.Pattern) -> str:
    if not (isinstance(node, ast.Constant) and type(node.value) is str and pattern.fullmatch(node.value)):
        raise WireError("a string is allowed only as a plain name or a number's digits")
    return node.value


def _build(node: ast.AST, depth: int):
    """The SymPy object for one node of the closed grammar (see the module's docstring)."""
    if depth > MAX_DEPTH:
        raise WireError("SymPy expression nested too deeply")
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Name):
        return -_build(node.operand, depth + 1)  # srepr writes -oo
    if not isinstance(node, ast.Call):
        raise WireError(f"not allowed in a SymPy expression: {type(node).__name__}")
    func = node.func
    if isinstance(func, ast.Call):  # an undefined function applied: Function('f')(x)
        if not (isinstance(func.func, ast.Name) and func.func.id == "Function" and len(func.args) == 1):
            raise WireError("only Function('name')(...) may be called on a call")
        name = _string(func.args[0], NAME)
        return sp.Function(name, **_keywords(func, {}))(*[_build(a, depth + 1) for a in node.args])
    if not isinstance(func, ast.Name):
        raise WireError("only SymPy constructors may be called")
    name = func.id
    if name in SYMBOL_CLASSES:
        if len(node.args) != 1:
            raise WireError(f"{name} takes one name")
        return SYMBOL_CLASSES[name](_string(node.args[0], NAME), **_keywords(node, {"dummy_index": int}))
    if name in NUMBER_CLASSES:
        _keywords(node, {})
        if not 1 <= len(node.args) <= 2 or (name == "Integer" and len(node.args) != 1):
            raise WireError(f"bad arguments to {name}")
        return NUMBER_CLASSES[name](*[_int(a) for a in node.args])
    if name == "Float":
        if len(node.args) != 1:
            raise WireError("Float takes its digits")
        precision = _keywords(node, {"precision": int}).get("precision", 53)
        if not 1 <= precision <= 2000:
            raise WireError("Float precision out of range")
        return sp.Float(_string(node.args[0], NUMBER), precision=precision)
    if name not in CLASSES:
        raise WireError(f"not an allowed SymPy constructor: {name[:40]}")
    _keywords(node, {})
    if name in MATRICES:
        if len(node.args) != 1 or not isinstance(node.args[0], ast.List):
            raise WireError("a matrix is a list of rows")
        rows = [[_build(x, depth + 2) for x in _list(row)] for row in node.args[0].elts]
        return CLASSES[name](rows)
    return CLASSES[name](*[_build(a, depth + 1) for a in node.args])


def _list(node: ast.AST) -> list:
    if not isinstance(node, ast.List):
        raise WireError("a matrix row is a list")
    return node.elts


def parse_srepr(text: object):
    """A SymPy object from an ``srepr`` string, built from the closed grammar above (no ``eval``, no ``sympify``)."""
    if not isinstance(text, str) or len(text) > MAX_SREPR_CHARS:
        raise WireError("SymPy expression missing or too long")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise WireError("not a SymPy srepr string") from exc
    count = 0
    for _ in ast.walk(tree):
        count += 1
        if count > MAX_SREPR_NODES:
            raise WireError("SymPy expression too large")
    with sp.evaluate(False):  # build the structure as sent; nothing is computed on untrusted input here
        try:
            value = _build(tree.body, 0)
        except WireError:
            raise
        except (RecursionError, MemoryError) as exc:
            raise WireError("SymPy expression too deep or too large") from exc
        except Exception as exc:  # noqa: BLE001 - a constructor refused its (SymPy-only) arguments
            raise WireError(f"bad SymPy expression: {type(exc).__name__}") from exc
    if not isinstance(value, sp.Basic | sp.MatrixBase):
        raise WireError("not a SymPy expression")
    return value


def decode(v, remote=None, depth: int = 0):
    """The untrusted value ``v`` (parsed JSON) as the judge's own Python object; ``remote`` calls student code."""
    if v is None or type(v) in (bool, int, float, str):
        return v
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if not isinstance(v, dict):
        raise WireError("unexpected JSON value")
    kind = v.get("$")
    if kind == "ellipsis":
        return ...
    if kind == "missing":
        return Missing()
    if kind in ("tuple", "list") and isinstance(v.get("items"), list):
        items = [decode(x, remote, depth + 1) for x in v["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict" and isinstance(v.get("items"), list):
        out = {}
        for pair in v["items"]:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise WireError("a dictionary item is a [key, value] pair")
            out[_hashable(decode(pair[0], remote, depth + 1))] = decode(pair[1], remote, depth + 1)
        return out
    if kind == "nd" and isinstance(v.get("npy"), str):
        return _array(v["npy"])
    if kind == "sympy":
        return parse_srepr(v.get("srepr"))
    if kind == "callable" and remote is not None and isinstance(v.get("handle"), str) and HANDLE.fullmatch(v["handle"]):
        return RemoteFunction(remote, v["handle"])
    if kind == "ghandle" and remote is not None:
        return remote.grader_object(v.get("handle"))
    if kind == "opaque":
        return opaque(v.get("type", "object"))
    raise WireError(f"unknown value kind {str(kind)[:40]!r}")


def _array(text: str):
    if len(text) > MAX_ARRAY_BYTES * 4 // 3 + 4:
        raise WireError("array too large")
    try:
        a = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    except (binascii.Error, ValueError, OSError, EOFError, MemoryError) as exc:  # malformed base64 or .npy data
        raise WireError("bad .npy data") from exc
    if a.dtype.kind not in "biufc" or a.dtype.fields is not None:
        raise WireError(f"arrays must be numeric, got dtype {a.dtype}")
    return a[()] if a.ndim == 0 else a


def _hashable(k):
    if isinstance(k, list | dict | np.ndarray):
        raise WireError("unhashable dictionary key")
    return k


class RemoteFunction:
    """A student function living in the sandbox; calling it sends the judge's inputs in and decodes the answer."""

    def __init__(self, remote, handle: str):
        self._remote, self._handle = remote, handle

    def __call__(self, *args, **kwargs):
        return self._remote.call(self._handle, args, kwargs)

    def __repr__(self) -> str:
        return "<student function>"


def encode(v, grader_objects: dict | None, generators: list):
    """A judge-side value for the sandbox.  Generators travel as their state (``generators`` collects them, to take
    back the state the student's code left); a test's own functions and stand-in objects stay here and are called
    back (``grader_objects``).  With ``grader_objects=None`` only plain data may cross (a callback's result)."""
    if v is None or type(v) in (bool, int, float, str):
        return v
    if v is Ellipsis:
        return {"$": "ellipsis"}
    if type(v) in (tuple, list):
        return {"$": type(v).__name__, "items": [encode(x, grader_objects, generators) for x in v]}
    if type(v) is dict:
        return {"$": "dict", "items": [[encode(k, grader_objects, generators), encode(x, grader_objects, generators)]
                                       for k, x in v.items()]}
    if isinstance(v, np.ndarray | np.generic) and np.asarray(v).dtype.kind in "biufc":
        buf = io.BytesIO()
        np.save(buf, np.asarray(v), allow_pickle=False)
        return {"$": "nd", "npy": base64.b64encode(buf.getvalue()).decode()}
    if isinstance(v, np.random.Generator) and grader_objects is not None:
        generators.append(v)
        return {"$": "generator", "state": v.bit_generator.state}
    if isinstance(v, sp.Basic | sp.MatrixBase):
        return {"$": "sympy", "srepr": sp.srepr(v)}
    if isinstance(v, RemoteFunction):
        return {"$": "callable", "handle": v._handle}
    if grader_objects is None or not callable_by_student(v):
        raise WireError(f"a {type(v).__name__} cannot be handed to student code")
    handle = f"g{len(grader_objects)}"
    grader_objects[handle] = v
    return {"$": "gcallable" if callable(v) else "gobject", "handle": handle}


def test_code(obj) -> bool:
    """Whether ``obj`` (a function, or a class) was written in a test module (compiled as ``<test ...>``)."""
    code = getattr(obj, "__code__", None)
    if isinstance(obj, type):
        return any(test_code(f) for f in vars(obj).values() if isinstance(f, types.FunctionType))
    return isinstance(obj, types.FunctionType) and code is not None and code.co_filename.startswith("<test ")


def callable_by_student(obj) -> bool:
    """A test's own function, or an instance of a test's own class (a stand-in such as ``ZeroUniforms``)."""
    return test_code(obj) if isinstance(obj, types.FunctionType) else test_code(type(obj))


def callback_target(obj, method):
    """What a callback may call: the test's function itself, or a public method its stand-in class defines."""
    if method is None:
        if isinstance(obj, types.FunctionType) and test_code(obj):
            return obj
        raise WireError("this object cannot be called")
    if not (isinstance(method, str) and NAME.fullmatch(method) and not method.startswith("_")):
        raise WireError("not a method a test declares")
    declared = vars(type(obj)).get(method)
    if not (isinstance(declared, types.FunctionType) and test_code(declared)):
        raise WireError("not a method a test declares")
    return getattr(obj, method)
