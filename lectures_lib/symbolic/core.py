"""Checked derivations: a chain of equalities where every displayed line is verified.

A slide derivation is a chain ``A = B = C = ...``.  :class:`Chain` keeps the lines, checks each
consecutive pair symbolically (``simplify(B - A) == 0``; for two integrals over the same range,
their integrands), and falls back to a numerical check at random points only where SymPy cannot
decide, with the tolerance stated.  Notebooks display the same lines the checks ran on.

Introduced in ``notebooks/02_gumbel_distribution.ipynb``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

#: relative tolerance of the numerical fallback (mpmath, 30 digits, at random points)
NUMERIC_RTOL = 1e-12


@dataclass
class StepCheck:
    """Result of checking one ``=`` of a chain."""

    index: int
    how: str  # "symbolic", "numeric" or "FAILED"
    residual: sp.Expr

    @property
    def ok(self) -> bool:
        return self.how != "FAILED"


def _same_limits(a: sp.Integral, b: sp.Integral) -> bool:
    return a.limits == b.limits


def residual(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """``b - a`` simplified; two integrals over the same limits compare by integrand.

    An integral equated to something else is evaluated with ``doit()`` first.
    """
    if isinstance(a, sp.Integral) and isinstance(b, sp.Integral) and _same_limits(a, b):
        a, b = a.function, b.function
    elif isinstance(a, sp.Mul) and isinstance(b, sp.Mul):
        # c * Integral(f) vs c * Integral(g) with the same constant factor in front
        ia = [f for f in a.args if isinstance(f, sp.Integral)]
        ib = [f for f in b.args if isinstance(f, sp.Integral)]
        if len(ia) == len(ib) == 1 and _same_limits(ia[0], ib[0]):
            a = a.subs(ia[0], ia[0].function)
            b = b.subs(ib[0], ib[0].function)
    if a.has(sp.Integral) or b.has(sp.Integral):
        # an integral equated to its value: evaluate it (simplify would try, and may not stop)
        a, b = a.doit(), b.doit()
    diff = b - a
    for simplifier in (sp.expand, sp.simplify, lambda e: sp.simplify(sp.powsimp(sp.expand_log(e, force=True)))):
        diff = simplifier(diff)
        if diff == 0:
            return sp.Integer(0)
    return diff


def numerically_zero(expr: sp.Expr, *, trials: int = 8, seed: int = 0, positive=()) -> bool:
    """True if ``expr`` vanishes (relative to its terms) at random real points.

    Free symbols get values in [-2, 2] (``positive`` ones and symbols declared positive, in
    [0.1, 3]).  Used only where ``simplify`` cannot decide; the tolerance is ``NUMERIC_RTOL``.
    """
    rng = np.random.default_rng(seed)
    syms = sorted(expr.free_symbols, key=str)
    for _ in range(trials):
        vals = {}
        for s in syms:
            lo, hi = (0.1, 3.0) if (s.is_positive or s in positive) else (-2.0, 2.0)
            vals[s] = sp.Float(rng.uniform(lo, hi), 30)
        value = complex(sp.N(expr.subs(vals).doit(), 30))
        scale = max(1.0, max((abs(complex(sp.N(t.subs(vals).doit(), 30))) for t in sp.Add.make_args(expr)), default=1))
        if abs(value) > NUMERIC_RTOL * scale:
            return False
    return True


_TEXT_ESCAPES = {"\\": r"\backslash ", "_": r"\_", "^": r"\^{}", "&": r"\&", "%": r"\%", "#": r"\#",
                 "{": r"\{", "}": r"\}"}


def text_latex(note: str, command: str = "text") -> str:
    """``note`` as LaTeX text; ``$...$`` parts stay maths.

    MathJax 3 (JupyterLab) rejects ``^`` and ``_`` inside ``\\text{}``, so they are escaped there.

    Examples
    --------
    >>> print(text_latex("x_1 squared: $x_1^2$"))
    \\text{x\\_1 squared: }x_1^2
    """
    parts = note.split("$")
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # inside $...$
            out.append(part)
        elif part:
            out.append(rf"\{command}{{{''.join(_TEXT_ESCAPES.get(ch, ch) for ch in part)}}}")
    return "".join(out)


@dataclass
class Chain:
    """A displayed chain of equalities ``lines[0] = lines[1] = ...`` with a title.

    ``notes[i]`` (optional) explains the step from line ``i-1`` to line ``i``.
    """

    title: str
    lines: list[sp.Expr]
    notes: list[str] = field(default_factory=list)

    def check(self, *, numeric_fallback: bool = True) -> list[StepCheck]:
        """One :class:`StepCheck` per ``=``.

        Displaying a chain checks it again (``_repr_latex_``), and simplification is slow, so the
        result is remembered for the key :meth:`_cache_key` gives (the lines, and whatever else a
        subclass's check reads); changing a line, or anything in that key, checks afresh.
        """
        key = (self._cache_key(), numeric_fallback)
        cached = self.__dict__.get("_checked")
        if cached is None or cached[0] != key:
            self._checked = (key, self._check(numeric_fallback))
        return list(self._checked[1])

    def _cache_key(self) -> tuple:
        """What :meth:`_check`'s answer depends on; subclasses add the fields their checks read."""
        return tuple(self.lines)

    def _check(self, numeric_fallback: bool) -> list[StepCheck]:
        out = []
        for i in range(1, len(self.lines)):
            r = residual(self.lines[i - 1], self.lines[i])
            if r == 0:
                out.append(StepCheck(i, "symbolic", r))
            elif numeric_fallback and numerically_zero(r):
                out.append(StepCheck(i, "numeric", r))
            else:
                out.append(StepCheck(i, "FAILED", r))
        return out

    def all_hold(self) -> bool:
        return all(c.ok for c in self.check())

    def latex(self) -> str:
        """An ``aligned`` block, one line per step, with each step's note as a comment."""
        rows = [sp.latex(self.lines[0])]
        for i, line in enumerate(self.lines[1:], start=1):
            note = self.notes[i] if i < len(self.notes) and self.notes[i] else ""
            tag = rf"\quad{text_latex(note)}" if note else ""
            rows.append(rf"&= {sp.latex(line)}{tag}")
        rows[0] = rows[0] + " "
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        checks = self.check()
        status = ", ".join(f"step {c.index}: {c.how}" for c in checks)
        return f"$${text_latex(self.title, 'textbf')}\\qquad\\text{{(checked: {status})}}$$\n$${self.latex()}$$"
