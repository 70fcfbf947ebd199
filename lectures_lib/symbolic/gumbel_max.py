"""The proof that ``P(argmax_i (mu_i + G_i) = k) = softmax(mu)_k``, one checked line at a time.

Introduced in notebooks/03_gumbel_max_trick.ipynb (slides "Gumbel-max trick and Softmax (1)" and
"Gumbel-max trick and Softmax (2)").

:func:`proof_chains` returns the slides' derivations as :class:`GumbelMaxChain` objects, corrected
where the slides are wrong (ERRATA.md, E03.1-E03.3), for symbolic logits; :func:`substitution_chain`
solves the last integral.  Every ``=`` is checked by SymPy; the notebook and the tests assert it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.simplify.simplify import factor_sum

from .. import _validate as check
from .core import Chain, StepCheck, aligned_rows, numerically_zero, residual

#: ``C = sum_i exp(mu_i)``, the normaliser the slide uses without defining it (E03.3)
C = sp.Symbol("C", positive=True)


def _neg(e):
    # unevaluated "-(e)": SymPy would print -(z - mu) as "mu - z"; we keep the slide's form
    return sp.Mul(-1, e, evaluate=False)


def _add(*terms):
    return sp.Add(*terms, evaluate=False)


def _mul(*factors):
    return sp.Mul(*factors, evaluate=False)


def _minus(z, mu):
    return _neg(_add(z, _neg(mu)))  # -(z - mu)


def _pdf(z, mu):
    # the slide's Gumbel density exp[-(z - mu) - exp{-(z - mu)}] (unit scale), unevaluated
    return sp.exp(_add(_minus(z, mu), _neg(sp.exp(_minus(z, mu)))))


def _cdf(z, mu):
    # the slide's Gumbel CDF exp[-exp{-(z - mu)}], unevaluated
    return sp.exp(_neg(sp.exp(_minus(z, mu))))


def _pull_into_integral(e):
    """``c * Integral(f, (z, a, b)) -> Integral(c * f, (z, a, b))`` if ``c`` does not involve ``z``."""
    ints = [f for f in e.args if isinstance(f, sp.Integral)]
    if len(ints) != 1:
        return e
    rest = [f for f in e.args if f is not ints[0]]
    if any(f.has(ints[0].limits[0][0]) for f in rest):
        return e
    return sp.Integral(sp.Mul(*rest) * ints[0].function, *ints[0].limits)


@dataclass
class GumbelMaxChain(Chain):
    """A :class:`~lectures_lib.symbolic.core.Chain` with a left-hand side and named definitions.

    ``lhs`` is LaTeX for what the chain computes; ``definitions`` maps symbols such as ``C`` to
    what they stand for; ``notes`` are LaTeX.  Each ``=`` is checked as written (``C`` a positive
    symbol) and, if that does not decide it, again after substituting the definitions (in the other
    order when only one side contains ``C``).  Before comparing, limits and derivatives are
    evaluated, constants move inside integrals, a product of positive factors becomes
    ``exp(sum of logs)`` (``expand_log``), and a sum up to the symbolic ``K`` is split as
    ``sum_{i<K} + (term K)``: the definition of a finite sum, which SymPy does not apply by itself.
    Lines are printed in the order written (``order="none"``).

    Examples
    --------
    >>> x = sp.Symbol("x", positive=True)
    >>> [c.how for c in GumbelMaxChain("e x", [C * x, sp.E * x], definitions={C: sp.E}).check()]
    ['symbolic']
    >>> [c.how for c in GumbelMaxChain("e x", [C * x, sp.E * x], definitions={C: 2}).check()]
    ['FAILED']
    """

    lhs: str = ""
    definitions: dict = field(default_factory=dict)
    K: sp.Symbol | None = None  # the symbolic number of categories, None when K is an integer

    def normal_form(self, expr, *, define: bool = True):
        """``expr`` rewritten as described above, ready for :func:`~.core.residual`."""
        expr = expr.replace(lambda e: isinstance(e, sp.Limit | sp.Derivative), lambda e: e.doit())
        expr = expr.replace(lambda e: isinstance(e, sp.Mul) and e.has(sp.Integral), _pull_into_integral)
        if define:
            expr = expr.subs(self.definitions)
        expr = expr.replace(lambda e: isinstance(e, sp.Product), lambda p: sp.exp(sp.expand_log(sp.log(p))))
        # factors free of the summation index leave the sum: sum_i -e^{-z} e^{mu_i} = -e^{-z} sum_i e^{mu_i}
        expr = expr.replace(lambda e: isinstance(e, sp.Sum),
                            lambda s: factor_sum(sp.Sum(sp.expand(s.function), *s.limits)))
        if self.K is not None:
            def peel(s):  # sum_{i=lo}^{K} f(i) = sum_{i=lo}^{K-1} f(i) + f(K)
                (i, lo, hi), = s.limits
                return sp.Sum(s.function, (i, lo, hi - 1)) + s.function.subs(i, hi)
            expr = expr.replace(lambda e: isinstance(e, sp.Sum) and e.limits[0][2] == self.K, peel)
        return expr

    def _cache_key(self) -> tuple:
        return tuple(self.lines), tuple(self.definitions.items()), self.K

    def _check(self, numeric_fallback: bool) -> list[StepCheck]:
        out = []
        for i, (a, b) in enumerate(zip(self.lines, self.lines[1:], strict=False), start=1):
            # a step that introduces or removes C needs its definition; other steps are tried as written first
            first = bool(self.definitions) and a.has(*self.definitions) != b.has(*self.definitions)
            r = residual(self.normal_form(a, define=first), self.normal_form(b, define=first))
            if r != 0 and self.definitions:
                r = residual(self.normal_form(a, define=not first), self.normal_form(b, define=not first))
            # random real points cannot stand in for a symbolic number of terms K
            numeric = numeric_fallback and r != 0 and self.K is None and numerically_zero(r)
            out.append(StepCheck(i, "symbolic" if r == 0 else "numeric" if numeric else "FAILED", r))
        return out

    def latex(self) -> str:
        first = sp.latex(self.lines[0], order="none")
        lines = [sp.latex(line, order="none") for line in self.lines[1:]]
        notes = [self.notes[i] if i < len(self.notes) else "" for i in range(1, len(self.lines))]
        where = tuple(rf"\text{{where }} {sp.latex(s)} = {sp.latex(v, order='none')}"
                      for s, v in self.definitions.items())
        # notes under their line (core.aligned_rows); SymPy prints the upper limit K - 1 as "-1 + K"
        return aligned_rows(first, lines, notes, lhs=self.lhs, extra=where).replace("^{-1 + K}", "^{K - 1}")

    def _repr_latex_(self) -> str:
        status = ", ".join(f"{c.index}: {c.how}" for c in self.check())
        return f"$$\\text{{{self.title} (steps checked: {status})}}$$\n$${self.latex()}$$"


class _Logits:
    """The slide's logits, the index ``k``, and sums/products over ``i != k`` or over all ``i``."""

    def __init__(self, K: int | None, k: int | None):
        self.z = sp.Symbol("z_k", real=True)
        if K is None:
            if k is not None:
                raise ValueError(f"k must be None when K is None (the general case takes k = K), got {k!r}")
            self.K = sp.Symbol("K", integer=True, positive=True)
            i, mu = sp.Symbol("i", integer=True, positive=True), sp.IndexedBase("mu", real=True)
            self.mu_k = mu[self.K]
            self._over = lambda f, op, who: op(f(mu[i]), (i, 1, self.K - 1 if who == "others" else self.K))
            return
        K = check.integer("K", K, minimum=2)
        k = check.integer("k", 1 if k is None else k, minimum=1)
        if k > K:
            raise ValueError(f"k must lie in 1..K = 1..{K}, got {k!r}")
        self.K, mus = None, sp.symbols(f"mu_1:{K + 1}", real=True)
        self.mu_k = mus[k - 1]
        self._over = lambda f, op, who: (_add if op is sp.Sum else _mul)(
            *[f(m) for m in mus if who == "all" or m != self.mu_k])

    def sum(self, f, who="all"):
        return self._over(f, sp.Sum, who)

    def prod(self, f, who="all"):
        return self._over(f, sp.Product, who)

    def chain(self, title, lhs, lines, notes, *, define=True) -> GumbelMaxChain:
        defs = {C: self.sum(sp.exp)} if define else {}
        return GumbelMaxChain(title, list(lines), list(notes), lhs=lhs, definitions=defs, K=self.K)


_PR_K = r"\Pr(k \text{ is largest} \mid \{\mu_i\})"
_TXT = {"prod": r"\text{product of exponentials}", "out": r"\text{pull out } e^{-%s}"}


def proof_chains(K: int | None = None, k: int | None = None) -> dict[str, GumbelMaxChain]:
    """The derivations of slides "Gumbel-max trick and Softmax (1)" and "(2)", each line checked.

    Parameters
    ----------
    K : int >= 2 or None
        Number of categories.  An integer writes out ``mu_1..mu_K``; ``None`` uses ``Sum`` and
        ``Product`` over ``mu_i``, ``i = 1..K``, for any ``K``, and asks about the last category
        (renumbering changes nothing, and ``i != k`` becomes ``i = 1..K-1``).
    k : int, optional
        The category asked about, ``1..K`` (default 1); must be None when ``K`` is None.

    Returns
    -------
    dict of str -> GumbelMaxChain
        ``"density"``: the slide's pdf is ``d/dz`` of its CDF;
        ``"others_below"``: ``Pr(max_{i!=k} Z_i <= z_k)``, a CDF (erratum E03.1);
        ``"slide_1"``: the slide's seven lines without the repeated fifth and with the sixth's bracket
        closed as ``exp{-z_k + mu_i}`` (E03.2); ``"slide_2"``: the integral evaluated, with
        ``C = sum_i e^{mu_i}`` defined (E03.3); ``"max_cdf"``: ``max_i Z_i ~ Gumbel(log C)``;
        ``"joint"``: ``Pr(k largest, max <= m) = softmax_k Pr(max <= m)`` (argmax independent of max).

    Notes
    -----
    For independent ``Z_i ~ Gumbel(mu_i)`` with pdf ``f`` and CDF ``F``:
    ``Pr(k largest) = int f(z; mu_k) prod_{i!=k} F(z; mu_i) dz = e^{mu_k} int e^{-z} exp(-C e^{-z}) dz
    = e^{mu_k} [exp(-C e^{-z}) / C]_{-inf}^{inf} = e^{mu_k} / C``.

    Examples
    --------
    >>> chains = proof_chains(K=3, k=2)
    >>> chains["slide_2"].lines[-1]
    exp(mu_2)/(exp(mu_1) + exp(mu_2) + exp(mu_3))
    >>> all(c.how == "symbolic" for c in chains["slide_1"].check())
    True
    """
    s = _Logits(K, k)
    z, mk, m = s.z, s.mu_k, sp.Symbol("m", real=True)
    tails = lambda who, f=_minus: s.sum(lambda mu: sp.exp(f(z, mu)), who)  # noqa: E731
    head = [_neg(z), mk, _neg(sp.exp(_minus(z, mk)))]  # -z_k + mu_k - exp{-(z_k - mu_k)}
    slide_1 = [
        _mul(_pdf(z, mk), s.prod(lambda mu: _cdf(z, mu), "others")),
        _mul(sp.exp(_add(*head)), sp.exp(_neg(tails("others")))),
        sp.exp(_add(*head, _neg(tails("others")))),
        sp.exp(_add(_neg(z), mk, _neg(tails("all")))),
        sp.exp(_add(_neg(z), mk, _neg(tails("all", lambda z, mu: _add(_neg(z), mu))))),
        sp.exp(_add(_neg(z), mk, _neg(_mul(sp.exp(-z), s.sum(sp.exp))))),
    ]
    F = sp.exp(-C * sp.exp(-z)) / C  # the antiderivative of e^{-z} exp(-C e^{-z})
    out = {"density": s.chain("the slide's pdf is the derivative of its CDF", "", [
        sp.Derivative(_cdf(z, mk), z), _pdf(z, mk)], ["", r"\text{chain rule}"], define=False)}
    out["others_below"] = s.chain("all others below z: a CDF, not a density",
                                  r"\Pr\left(\max_{i\neq k} Z_i \le z_k\right)", [
        s.prod(lambda mu: _cdf(z, mu), "others"),
        sp.exp(_neg(tails("others"))),
        sp.exp(_neg(_mul(sp.exp(-z), s.sum(sp.exp, "others")))),
    ], ["", _TXT["prod"], _TXT["out"] % "z_k"], define=False)
    out["slide_1"] = s.chain("slide (1), corrected", _PR_K, [sp.Integral(f, (z, -sp.oo, sp.oo)) for f in slide_1], [
        "", r"\text{expand } -(z_k-\mu_k)", _TXT["prod"], r"\text{term } i=k \text{ joins the sum}",
        r"\text{expand the brackets}", _TXT["out"] % "z_k"], define=False)
    out["slide_2"] = s.chain("slide (2), with C defined", _PR_K, [
        out["slide_1"].lines[-1],
        _mul(sp.exp(mk), sp.Integral(sp.exp(_add(-z, _neg(_mul(sp.exp(-z), C)))), (z, -sp.oo, sp.oo))),
        _mul(sp.exp(mk), _add(sp.Limit(F, z, sp.oo), _neg(sp.Limit(F, z, -sp.oo)))),
        _mul(sp.exp(mk), _add(1 / C, _neg(sp.Integer(0)))),
        sp.exp(mk) / s.sum(sp.exp),
    ], ["", r"e^{\mu_k} \text{ out of the integral}", r"\text{antiderivative}",
        r"e^{-z_k} \to 0 \text{ and } \to \infty", r"= \operatorname{softmax}(\mu)_k"])
    out["max_cdf"] = s.chain("the maximum is Gumbel(log C)", r"\Pr\left(\max_i Z_i \le m\right)", [
        s.prod(lambda mu: _cdf(m, mu)),
        sp.exp(_neg(s.sum(lambda mu: sp.exp(_minus(m, mu))))),
        sp.exp(_neg(_mul(sp.exp(-m), C))),
        _cdf(m, sp.log(C)),
    ], ["", _TXT["prod"], _TXT["out"] % "m", r"\text{Gumbel CDF, location } \log C"])
    joint = r"\Pr\left(k \text{ is largest},\ \max_i Z_i \le m\right)"
    out["joint"] = s.chain("argmax and max are independent", joint, [
        sp.Integral(slide_1[0], (z, -sp.oo, m)),
        sp.Integral(sp.exp(mk) * sp.exp(-z) * sp.exp(-C * sp.exp(-z)), (z, -sp.oo, m)),
        sp.exp(mk) / C * sp.exp(-C * sp.exp(-m)),
        _mul(sp.exp(mk) / C, _cdf(m, sp.log(C))),
    ], ["", r"\text{as on slide (1)}", r"\text{antiderivative of slide (2)}",
        r"= \operatorname{softmax}(\mu)_k \times \Pr(\max_i Z_i \le m)"])
    return out


def substitution_chain() -> GumbelMaxChain:
    """The slide's last integral solved by the substitution ``t = e^{-z}``, not by guessing.

    Returns
    -------
    GumbelMaxChain
        ``int_R exp(-z - C e^{-z}) dz = int_0^inf e^{-C t} dt = 1/C``; the middle line is made by
        ``Integral.transform``.

    Notes
    -----
    ``dz = -dt/t``: ``z`` from ``-inf`` to ``inf`` is ``t`` from ``inf`` to 0, and the minus sign
    flips the limits back.

    Examples
    --------
    >>> substitution_chain().lines[1]
    Integral(exp(-C*t), (t, 0, oo))
    """
    z, t = sp.Symbol("z_k", real=True), sp.Symbol("t", positive=True)
    integral = sp.Integral(sp.exp(-z - C * sp.exp(-z)), (z, -sp.oo, sp.oo))
    return GumbelMaxChain("the final integral by substitution", [integral, integral.transform(sp.exp(-z), t), 1 / C],
                          ["", r"t = e^{-z_k},\ dz_k = -dt/t", ""], lhs=r"\int e^{-z_k - C e^{-z_k}} dz_k")
