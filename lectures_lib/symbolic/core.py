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
        """An ``aligned`` block, one line per step, each step's note on its own small row under it.

        Notes go under the line, not beside it, and a long sum is broken over rows (:func:`aligned_rows`),
        so a chain fits a column of about 990 px.
        """
        return aligned_rows(sp.latex(self.lines[0]), [sp.latex(line) for line in self.lines[1:]],
                            [text_latex(n) if n else "" for n in self.notes[1:]], terms=self.lines[1:])

    def _repr_latex_(self) -> str:
        checks = self.check()
        status = ", ".join(f"step {c.index}: {c.how}" for c in checks)
        title = rf"{text_latex(self.title, 'textbf')} \\ {{\small\text{{(checked: {status})}}}}"
        return rf"$$\begin{{gathered}}{title}\end{{gathered}}$$" + "\n" + rf"$${self.latex()}$$"


#: a displayed line longer than this many LaTeX characters (about 600 px of maths) is broken after a "+"
WRAP_CHARS = 170
#: a first line longer than this stands alone, so the "=" column does not start far to the right
SHORT_FIRST_CHARS = 60


def wrap_sum(expr: sp.Expr | None, text: str, limit: int = WRAP_CHARS) -> list[str]:
    """``text`` (the LaTeX of ``expr``) as rows of at most about ``limit`` characters, broken between the terms
    of a sum; anything that is not a long sum stays one row."""
    if expr is None or len(text) <= limit or not isinstance(expr, sp.Add):
        return [text]
    rows, current = [], ""
    for term in expr.as_ordered_terms():
        piece = sp.latex(term)
        joined = piece if not current else (current + (" " if piece.startswith("-") else " + ") + piece)
        if current and len(joined) > limit:
            rows.append(current)
            current = piece if piece.startswith("-") else "+ " + piece
        else:
            current = joined
    return [*rows, current]


def aligned_rows(first: str, lines: list[str], notes: list[str], *, terms=None, lhs: str = "",
                 extra: tuple[str, ...] = ()) -> str:
    """``first = lines[0] = lines[1] ...`` as an ``aligned`` block; ``notes[i]`` (LaTeX) explains ``lines[i]``
    and is set in small type on a row of its own under it; long sums are broken over rows."""
    if lhs:
        rows = [rf"{lhs} &= {first}"]
    elif len(first) > SHORT_FIRST_CHARS:  # a long first line on a row of its own: the "=" lines start under it
        rows = [rf"& {first}"]
    else:
        rows = [rf"{first} &"]
    for i, text in enumerate(lines):
        parts = wrap_sum(terms[i] if terms is not None else None, text)
        rows.append(rf"&= {parts[0]}")
        rows += [rf"&\qquad {part}" for part in parts[1:]]
        if i < len(notes) and notes[i]:
            rows.append(rf"&\qquad {{\small {notes[i]}}}")
    rows += [rf"&{row}" for row in extra]
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"
