"""SymPy derivations for the Gumbel distribution: density, moments, inverse CDF, extreme values.

Introduced in notebooks/02_gumbel_distribution.ipynb (slides "Gumbel-max trick and Softmax (1)"
and "sample a Gumbel").  Every function returns SymPy objects or a checked :class:`RuleChain`; the
notebook displays them and asserts ``all_hold()``, and ``tests/test_symbolic_gumbel.py`` asserts
the same functions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sympy as sp

from .core import Chain, StepCheck, numerically_zero, residual

z, x = sp.symbols("z x", real=True)
mu = sp.Symbol("mu", real=True)
beta = sp.Symbol("beta", positive=True)
u, t = sp.symbols("u t", positive=True)
n = sp.Symbol("n", positive=True, integer=True)


def _positive(name: str, value) -> sp.Expr:
    expr = sp.sympify(value)
    if expr.is_positive is not True:
        raise ValueError(f"{name} must be a SymPy expression known to be > 0, got {value!r}")
    return expr


def cdf(var: sp.Symbol = z, loc=mu, scale=beta) -> sp.Expr:
    """Gumbel (max) CDF ``exp(-exp(-(var - loc) / scale))`` as a SymPy expression.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "Gumbel-max trick and Softmax (1)").

    Parameters
    ----------
    var : sympy.Symbol
        The variable (``z`` or ``x``).
    loc, scale : sympy expression or number
        Location ``mu`` and scale ``beta``; ``scale`` must be known positive.

    Returns
    -------
    sympy.Expr

    Notes
    -----
    :math:`F(z) = \\exp(-e^{-(z-\\mu)/\\beta})`; the slide's unit-scale form is ``scale=1``.

    Examples
    --------
    >>> cdf(scale=1)
    exp(-exp(mu - z))
    """
    if not isinstance(var, sp.Symbol):
        raise ValueError(f"var must be a sympy Symbol, got {var!r}")
    scale = _positive("scale", scale)
    return sp.exp(-sp.exp(-(var - loc) / scale))


def pdf(var: sp.Symbol = z, loc=mu, scale=beta) -> sp.Expr:
    """Gumbel (max) density ``exp(-w - exp(-w)) / scale`` with ``w = (var - loc) / scale``.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "Gumbel-max trick and Softmax (1)").
    Same parameters as :func:`cdf`.

    Notes
    -----
    :math:`f(z) = \\beta^{-1}\\exp(-(z-\\mu)/\\beta - e^{-(z-\\mu)/\\beta})`, the derivative of :func:`cdf`.

    Examples
    --------
    >>> pdf(scale=1)
    exp(mu - z - exp(mu - z))
    """
    cdf(var, loc, scale)  # same validation
    w = (var - loc) / sp.sympify(scale)
    return sp.exp(-w - sp.exp(-w)) / scale


def slide_pdf_and_cdf() -> tuple[sp.Expr, sp.Expr]:
    """The slide's two formulas, transcribed: ``exp[-(z-mu) - exp{-(z-mu)}]`` and ``exp[-exp{-(z-mu)}]``.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "Gumbel-max trick and Softmax (1)").

    Examples
    --------
    >>> f, F = slide_pdf_and_cdf()
    >>> sp.simplify(sp.diff(F, z) - f)
    0
    """
    return sp.exp(-(z - mu) - sp.exp(-(z - mu))), sp.exp(-sp.exp(-(z - mu)))


def slide_inverse_cdf_lines() -> list[sp.Eq]:
    """The five lines of slide "sample a Gumbel", transcribed literally (the first one is wrong).

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "sample a Gumbel").

    Notes
    -----
    Line 1 reads ``u = exp^{-exp(x - mu)/beta}``: no minus inside the inner exponent and ``beta``
    outside it (errata E02.1 and E02.2).  Lines 2-5 are right.

    Examples
    --------
    >>> len(slide_inverse_cdf_lines())
    5
    """
    return [sp.Eq(u, sp.exp(-sp.exp(x - mu) / beta)),
            sp.Eq(sp.log(u), -sp.exp(-(x - mu) / beta)),
            sp.Eq(sp.log(-sp.log(u)), -(x - mu) / beta),
            sp.Eq(-beta * sp.log(-sp.log(u)), x - mu),
            sp.Eq(x, mu - beta * sp.log(-sp.log(u)))]


def inverse_cdf_steps() -> list[sp.Eq]:
    """Solve ``u = F(x)`` for ``x`` by doing the same thing to both sides, one displayed line per step.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "sample a Gumbel").

    Notes
    -----
    log both sides; negate and log again; multiply by ``-beta``; add ``mu``:
    :math:`x = F^{-1}(u) = \\mu - \\beta\\log(-\\log u)`.

    Examples
    --------
    >>> inverse_cdf_steps()[-1]
    Eq(x, -beta*log(-log(u)) + mu)
    """
    ops = [sp.log, lambda e: sp.log(-e), lambda e: -beta * e, lambda e: e + mu]
    steps = [sp.Eq(u, cdf(x))]
    for op in ops:
        last = steps[-1]
        # log(exp(a)) = a needs a real, which x, mu, beta are: force the expansion
        steps.append(sp.Eq(op(last.lhs), sp.simplify(sp.expand_log(op(last.rhs), force=True))))
    return steps[:-1] + [sp.Eq(steps[-1].rhs, steps[-1].lhs)]  # read the last line as x = ...


def holds_when_u_is(step: sp.Eq, F: sp.Expr) -> bool:
    """True if the displayed line ``step`` is an identity once ``u`` is replaced by ``F``.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "sample a Gumbel").

    Examples
    --------
    >>> holds_when_u_is(sp.Eq(sp.log(u), -sp.exp(mu - x)), cdf(x, scale=1))
    True
    """
    if not isinstance(step, sp.Equality):
        raise ValueError(f"step must be a sympy Eq, got {step!r}")
    if not isinstance(F, sp.Expr):
        raise ValueError(f"F must be a sympy expression, got {F!r}")
    diff = (step.lhs - step.rhs).subs(u, F)
    return sp.simplify(sp.expand_log(diff, force=True)) == 0


@dataclass
class RuleChain(Chain):
    """A :class:`Chain` whose integral and limit steps are checked by the rule that justifies them.

    ``rules[i]`` names the rule of step ``i`` (from line ``i-1`` to line ``i``):
    ``("substitute", old, new)`` is ``Integral.transform(old, new)``, a change of variables with its
    Jacobian and limits; ``("linear",)`` compares the integrands of integrals over the same range;
    ``("limit",)`` compares the expressions under two limits of the same kind; ``("gamma",)``
    replaces each ``Integral(log(t)**k exp(-t), (t, 0, oo))`` by ``Gamma^(k)(1)`` (differentiate
    ``Gamma(s) = Integral(t**(s-1) exp(-t))`` under the integral sign); ``("evaluate",)`` evaluates
    both sides (``doit``) first.  Other steps use ``Chain.check``.  All these rules are symbolic.
    """

    rules: dict[int, tuple] = field(default_factory=dict)

    def _cache_key(self) -> tuple:
        return tuple(self.lines), tuple(sorted(self.rules.items()))

    def _check(self, numeric_fallback: bool) -> list[StepCheck]:
        out = []
        for i in range(1, len(self.lines)):
            a, b = self.lines[i - 1], self.lines[i]
            kind, *args = self.rules.get(i, ("plain",))
            if kind == "substitute":
                moved = a.transform(*args) if isinstance(a, sp.Integral) else None
                same = isinstance(b, sp.Integral) and moved is not None and moved.limits == b.limits
                r = residual(moved.function, b.function) if same else sp.oo
            elif kind == "linear":
                r = _linear_residual(a, b)
            elif kind == "limit":
                same = isinstance(a, sp.Limit) and isinstance(b, sp.Limit) and a.args[1:] == b.args[1:]
                r = residual(a.args[0], b.args[0]) if same else sp.oo
            elif kind == "gamma":
                r = residual(_gamma_moments(a).doit(), b.doit())
            elif kind == "evaluate":
                r = residual(a.doit(), b.doit())
            else:
                r = residual(a, b)
            ok = r == 0 or (kind == "plain" and numeric_fallback and numerically_zero(r))
            out.append(StepCheck(i, ("symbolic" if r == 0 else "numeric") if ok else "FAILED", r))
        return out


_s = sp.Symbol("s", positive=True)


def gamma_moment(k: int) -> sp.Subs:
    """``Gamma^(k)(1)``, unevaluated: the value of ``Integral(log(t)**k * exp(-t), (t, 0, oo))``.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "Gumbel-max trick and Softmax (1)").

    Examples
    --------
    >>> [gamma_moment(k).doit() for k in (0, 1)]
    [1, -EulerGamma]
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be an integer >= 0, got {k!r}")
    return sp.Subs(sp.Derivative(sp.gamma(_s), (_s, k)) if k else sp.gamma(_s), _s, 1)


@functools.cache
def _gamma_integral_confirmed() -> bool:
    return sp.integrate(t ** (_s - 1) * sp.exp(-t), (t, 0, sp.oo)) == sp.gamma(_s)


def _gamma_moments(expr: sp.Expr) -> sp.Expr:
    # d^k/ds^k t^(s-1) e^(-t) = log(t)^k t^(s-1) e^(-t): at s = 1 the integral of log(t)^k e^(-t) is
    # Gamma^(k)(1), given Gamma(s) = Integral(t^(s-1) e^(-t), (t, 0, oo)), which SymPy confirms here.
    if not _gamma_integral_confirmed():
        return expr  # no replacement: the step then fails instead of being waved through

    def moment(integral):
        if integral.limits != ((t, 0, sp.oo),):
            return integral
        for k in range(5):
            kernel = sp.diff(t ** (_s - 1) * sp.exp(-t), _s, k).subs(_s, 1)
            if sp.simplify(integral.function - kernel) == 0:
                return gamma_moment(k)
        return integral

    return expr.replace(lambda e: isinstance(e, sp.Integral), moment)


def _linear_residual(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    # Sum_k c_k Integral(g_k) = Integral(Sum_k c_k g_k) when all integrals share one range and the
    # c_k do not depend on the variable: so compare the combined integrands.
    ints = (a + b).atoms(sp.Integral)
    if len({i.limits for i in ints}) != 1:
        return sp.oo
    var = next(iter(ints)).limits[0][0]
    dummies = {i: sp.Dummy() for i in ints}
    try:
        poly = sp.Poly(sp.expand((b - a).xreplace(dummies)), *dummies.values())
    except sp.PolynomialError:  # an integral inside a non-polynomial function: not a linear step
        return sp.oo
    if poly.total_degree() > 1 or any(c.has(var) for c in poly.coeffs()) or poly.coeff_monomial(1) != 0:
        return sp.oo
    return residual(sp.Integer(0), sum(poly.coeff_monomial(d) * i.function for i, d in dummies.items()))


def pdf_from_cdf() -> RuleChain:
    """``d/dz F(z) = f(z)`` by the chain rule.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "Gumbel-max trick and Softmax (1)").

    Examples
    --------
    >>> pdf_from_cdf().all_hold()
    True
    """
    w = (z - mu) / beta
    lines = [sp.Derivative(cdf(), z), cdf() * sp.exp(-w) / beta, pdf()]
    return RuleChain("pdf = dF/dz", lines, ["", "chain rule", "exponents add"])


def normalisation() -> RuleChain:
    """``Integral(f, (z, -oo, oo)) = Integral(exp(-t), (t, 0, oo)) = 1`` with ``t = exp(-(z - mu)/beta)``.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "Gumbel-max trick and Softmax (1)").

    Examples
    --------
    >>> normalisation().lines[-1]
    1
    """
    lines = [sp.Integral(pdf(), (z, -sp.oo, sp.oo)), sp.Integral(sp.exp(-t), (t, 0, sp.oo)), sp.Integer(1)]
    return RuleChain("The density integrates to 1", lines, ["", "t = e^(−(z−μ)/β)", ""],
                     rules={1: ("substitute", sp.exp(-(z - mu) / beta), t)})


# the moment chains: substitute z = mu - beta log t, split the integral, then use Gamma^(k)(1)
_MOMENT_RULES = {1: ("substitute", z, (mu - beta * sp.log(t), t)), 2: ("linear",), 3: ("gamma",), 4: ("evaluate",)}
_GAMMA_NOTE = r"$\Gamma(s) = \int_0^\infty t^{s-1} e^{-t}\,dt$, differentiated in $s$"


def mean() -> RuleChain:
    """``E[Z] = mu + EulerGamma * beta`` through ``z = mu - beta log t``.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "Gumbel-max trick and Softmax (1)").

    Notes
    -----
    :math:`\\int_0^\\infty \\log t\\, e^{-t} dt = \\Gamma'(1) = -\\gamma`.

    Examples
    --------
    >>> mean().lines[-1]
    EulerGamma*beta + mu
    """
    e = lambda g: sp.Integral(g * sp.exp(-t), (t, 0, sp.oo))  # noqa: E731
    lines = [sp.Integral(z * pdf(), (z, -sp.oo, sp.oo)), e(mu - beta * sp.log(t)),
             mu * e(1) - beta * e(sp.log(t)), mu * gamma_moment(0) - beta * gamma_moment(1),
             mu + sp.EulerGamma * beta]
    notes = ["", r"$z = \mu - \beta \log t$", "linearity", _GAMMA_NOTE, r"$\Gamma(1) = 1$, $\Gamma'(1) = -\gamma$"]
    return RuleChain("Mean E[Z]", lines, notes, rules=dict(_MOMENT_RULES))


def variance() -> RuleChain:
    """``Var Z = E[(Z - mu - EulerGamma beta)^2] = pi^2 beta^2 / 6``.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "Gumbel-max trick and Softmax (1)").

    Notes
    -----
    :math:`\\beta^2(\\Gamma''(1) + 2\\gamma\\Gamma'(1) + \\gamma^2) = \\pi^2\\beta^2/6`
    since :math:`\\Gamma''(1) = \\gamma^2 + \\pi^2/6`.

    Examples
    --------
    >>> variance().lines[-1]
    pi**2*beta**2/6
    """
    g = sp.EulerGamma
    e = lambda h: sp.Integral(h * sp.exp(-t), (t, 0, sp.oo))  # noqa: E731
    lines = [sp.Integral((z - mu - g * beta) ** 2 * pdf(), (z, -sp.oo, sp.oo)),
             e((-beta * sp.log(t) - g * beta) ** 2),
             beta**2 * (e(sp.log(t) ** 2) + 2 * g * e(sp.log(t)) + g**2 * e(1)),
             beta**2 * (gamma_moment(2) + 2 * g * gamma_moment(1) + g**2 * gamma_moment(0)),
             sp.pi**2 * beta**2 / 6]
    notes = ["", r"$z = \mu - \beta \log t$", "expand the square", _GAMMA_NOTE, r"$\Gamma''(1) = \gamma^2 + \pi^2/6$"]
    return RuleChain("Variance E[(Z − μ − γβ)²]", lines, notes, rules=dict(_MOMENT_RULES))


def mode_and_median() -> tuple[list[sp.Expr], list[sp.Expr]]:
    """Solve ``f'(z) = 0`` (mode) and ``F(z) = 1/2`` (median) for ``z``.

    Introduced in notebooks/02_gumbel_distribution.ipynb (slide "Gumbel-max trick and Softmax (1)").

    Examples
    --------
    >>> mode_and_median()
    ([mu], [-beta*log(log(2)) + mu])
    """
    return sp.solve(sp.diff(pdf(), z), z), sp.solve(sp.Eq(cdf(), sp.Rational(1, 2)), z)


def max_of_exponentials_limit() -> RuleChain:
    """``P(max of n Exp(1) - log n <= x) -> exp(-exp(-x))`` as ``n -> oo`` (Gumbel 1954).

    Introduced in notebooks/02_gumbel_distribution.ipynb (section "Why extreme value").

    Notes
    -----
    For ``x >= -log n``: :math:`(1 - e^{-(x + \\log n)})^n = (1 - e^{-x}/n)^n \\to \\exp(-e^{-x})`.

    Examples
    --------
    >>> max_of_exponentials_limit().lines[-1]
    exp(-exp(-x))
    """
    lim = lambda g: sp.Limit(g, n, sp.oo)  # noqa: E731
    lines = [lim((1 - sp.exp(-(x + sp.log(n)), evaluate=False)) ** n), lim((1 - sp.exp(-x) / n) ** n),
             sp.exp(lim(n * sp.log(1 - sp.exp(-x) / n))), sp.exp(-sp.exp(-x))]
    notes = ["", r"$e^{-\log n} = 1/n$", r"$\exp$ is continuous", r"$\log(1 - a/n) = -a/n + O(1/n^2)$"]
    return RuleChain("Max of n Exp(1), minus log n", lines, notes,
                     rules={1: ("limit",), 2: ("evaluate",), 3: ("evaluate",)})


def max_of_gumbels() -> RuleChain:
    """The max of ``n`` iid Gumbel(0, 1) is Gumbel(log n, 1): ``F(x)^n = F(x - log n)`` (max-stability).

    Introduced in notebooks/02_gumbel_distribution.ipynb (section "Why extreme value").

    Examples
    --------
    >>> max_of_gumbels().all_hold()
    True
    """
    # evaluate=False keeps the displayed forms: SymPy would turn all three lines into the middle one
    lines = [sp.Pow(cdf(x, 0, 1), n, evaluate=False), sp.exp(-n * sp.exp(-x)),
             sp.exp(-sp.exp(-(x - sp.log(n)), evaluate=False))]
    return RuleChain("Max of n standard Gumbels: Gumbel(log n, 1)", lines, ["", "(eᵃ)ⁿ = e^(na)", "n = e^(log n)"])


def loc_scale() -> RuleChain:
    """``X = mu + beta Z`` with ``Z ~ Gumbel(0, 1)`` has density ``pdf(x, mu, beta)``.

    Introduced in notebooks/02_gumbel_distribution.ipynb (section "Location and scale").

    Notes
    -----
    :math:`F_X(x) = P(Z \\le (x-\\mu)/\\beta) = F_Z((x-\\mu)/\\beta)`, so
    :math:`f_X(x) = f_Z((x-\\mu)/\\beta)/\\beta`.

    Examples
    --------
    >>> loc_scale().all_hold()
    True
    """
    w = (x - mu) / beta
    lines = [sp.Derivative(cdf(x, 0, 1).subs(x, w), x), pdf(x, 0, 1).subs(x, w) / beta]
    return RuleChain("Density of X = μ + βZ", lines, ["", "chain rule: f_Z((x−μ)/β) / β"])
