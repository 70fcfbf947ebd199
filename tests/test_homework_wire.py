"""What crosses the sandbox boundary (tools/homework/wire.py): untrusted data is parsed, never executed or trusted."""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tools/ is not an installed package
from tools.homework import wire  # noqa: E402


def _npy(a) -> dict:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return {"$": "nd", "npy": base64.b64encode(buf.getvalue()).decode()}


def test_sympy_round_trip_keeps_assumptions():
    x, beta = sp.Symbol("x", real=True), sp.Symbol("beta", positive=True)
    for expr in (sp.exp(-sp.exp(-x / beta)), sp.Rational(1, 2) + sp.pi * sp.oo, sp.Matrix([[x, 1], [0, beta]]),
                 sp.Integral(x, (x, 0, 1)), sp.Function("f")(x)):
        back = wire.decode({"$": "sympy", "srepr": sp.srepr(expr)})
        assert sp.srepr(back) == sp.srepr(expr) or sp.simplify(back - expr) == 0
    assert wire.decode({"$": "sympy", "srepr": sp.srepr(beta)}).is_positive


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch /tmp/pwned')",
    "Symbol('x').__class__.__base__.__subclasses__()",
    "Integer(1).__class__",
    "exec('1')",
    "(lambda: 1)()",
    "Pow(Integer(10), Integer(10**50))",
    "Integer(" + "9" * 60 + ")",
    "[x for x in ()]",
    "Symbol('x', evaluate=Symbol('y'))",
    "Add(" * 30000 + ")" * 30000,
])
def test_srepr_that_is_not_plain_sympy_is_rejected(text):
    with pytest.raises((wire.WireError, RecursionError, MemoryError)):
        wire.decode({"$": "sympy", "srepr": text})


def test_a_str_subclass_arrives_as_a_plain_str():
    value = wire.decode("zzz")  # whatever the student's class did, JSON carries only the characters
    assert type(value) is str and value != "c"


def test_arrays_must_be_numeric_and_unpickled():
    assert np.array_equal(wire.decode(_npy(np.arange(3))), [0, 1, 2])
    assert wire.decode(_npy(np.float64(2.5))) == 2.5
    with pytest.raises(wire.WireError):
        wire.decode(_npy(np.array([object()], dtype=object)))
    with pytest.raises(wire.WireError):
        wire.decode(_npy(np.array(["a"])))


@pytest.mark.parametrize("value", [{"$": "python", "code": "1"}, {"$": "nd", "npy": "!!"}, {"no": "tag"}, 1j])
def test_unknown_or_malformed_values_are_rejected(value):
    with pytest.raises((wire.WireError, ValueError)):
        wire.decode(value)


def test_opaque_values_keep_their_type_name_only():
    value = wire.decode({"$": "opaque", "type": "MyTensor; import os"})
    assert isinstance(value, wire.Opaque) and type(value).__name__ == "MyTensor__import_os"
    assert not isinstance(value, sp.Basic)


def _test_module(source: str) -> dict:
    """Run ``source`` as the judge runs a test module (compiled as ``<test ...>``) and return its namespace."""
    namespace: dict = {}
    exec(compile(source, "<test q1>", "exec"), namespace)  # noqa: S102 (our own fixed source: a test's stand-ins)
    return namespace


STAND_INS = '''
class ZeroUniforms:
    def random(self, size=None):
        return 0.0
    def _secret(self):
        return "private"

def f(x):
    return 2 * x
'''


def test_callbacks_reach_only_a_tests_own_functions_and_public_methods():
    ns = _test_module(STAND_INS)
    rng, f = ns["ZeroUniforms"](), ns["f"]
    assert wire.callback_target(f, None)(3) == 6
    assert wire.callback_target(rng, "random")() == 0.0
    refused = [(rng, "__getattribute__"), (rng, "__class__"), (rng, "_secret"), (rng, "__init__"), (rng, None),
               (f, "__globals__"), (f, "__call__"), (rng, "random.__globals__"), (rng, 7), (rng, "missing")]
    for obj, method in refused:
        with pytest.raises(wire.WireError):
            wire.callback_target(obj, method)
    # functions and classes of the judge, of the library or of Python itself are never callable by the student
    for obj in (print, np.random.default_rng(0), wire.decode, exec, lambda x: x, sp.Symbol("x")):
        assert not wire.callable_by_student(obj)
        with pytest.raises(wire.WireError):
            wire.callback_target(obj, None)
    assert wire.callable_by_student(rng) and wire.callable_by_student(f)
