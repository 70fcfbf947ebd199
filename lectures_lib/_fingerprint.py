"""A fingerprint of the code a training recipe runs: the test that shipped weights are not stale compares it.

``fingerprint(fn)`` hashes the syntax tree of ``fn`` and of every function, class and constant of ``lectures_lib``
it reaches through names (``train_vae`` -> ``Adam`` -> ...), with docstrings and comments left out, so that
rewording a docstring does not make the weights "stale", while changing a line of training code does.  The tree is
written out field by field (not with ``ast.dump``, whose text changes between Python versions), so the same code
gives the same fingerprint on CPython 3.11 and 3.12 (Pyodide's).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
import types

import numpy as np

_SKIPPED_FIELDS = {"ctx", "type_comment", "type_params", "kind"}  # not code, or new in a later Python


def fingerprint(*roots) -> str:
    """sha256 of the code of ``roots`` and of everything in ``lectures_lib`` they use.

    Each function or class counts by its name and code, not by its module, so moving a function to another module
    (a refactoring) keeps the fingerprint, while changing what it computes does not.
    """
    seen: set[int] = set()
    parts: set[str] = set()
    todo = list(roots)
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
        parts.add(f"{obj.__qualname__}\n{_canonical(_without_docstrings(tree))}")
        namespace = vars(inspect.getmodule(obj))
        for value in _referenced(tree, namespace):
            if _ours(value):
                todo.append(value)
            elif isinstance(value, int | float | str | tuple | dict | frozenset | np.generic):
                parts.add(f"{obj.__qualname__} uses {value!r}")
                todo.extend(v for v in (value.values() if isinstance(value, dict) else ()) if _ours(v))
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


def _ours(value) -> bool:
    return isinstance(value, types.FunctionType | type) and getattr(value, "__module__", "").startswith(
        "lectures_lib")


def _referenced(tree: ast.AST, namespace: dict):
    """Module-level values that ``tree`` names: ``f`` and ``module.f`` alike.

    Not a module's own attributes such as ``__file__`` (where the checkout is, not what the code computes).
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id.startswith("__") and node.id.endswith("__"):
            continue
        if isinstance(node, ast.Name) and node.id in namespace:
            yield namespace[node.id]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = namespace.get(node.value.id)
            if isinstance(module, types.ModuleType) and module.__name__.startswith("lectures_lib"):
                value = getattr(module, node.attr, None)
                if value is not None:
                    yield value


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


def _canonical(node) -> str:
    if isinstance(node, ast.AST):
        fields = ",".join(f"{name}={_canonical(getattr(node, name, None))}" for name in node._fields
                          if name not in _SKIPPED_FIELDS)
        return f"{type(node).__name__}({fields})"
    if isinstance(node, list):
        return "[" + ",".join(_canonical(n) for n in node) + "]"
    return repr(node)
