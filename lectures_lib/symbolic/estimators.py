"""Derivations for re-parameterisation: change of variables, z = mu + sigma x, the toy gradient.

Every function returns SymPy objects or a :class:`DoitChain` (a :class:`Chain` whose displayed
lines may hold unevaluated integrals and derivatives).  Gaussian expectations of polynomials are
computed by linearity from the standard normal moments ``E[x^k]``, each obtained by integration.

Introduced in notebooks/05_reparameterization.ipynb (slides "revision on change of variable",
"re-parameterization trick", "re-parameterization trick (2)", "re-parameterization trick: example (1)/(2)").
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from .core import Chain, StepCheck

x, y, t, z = sp.symbols("x y t z", real=True)
theta, a, b, mu = sp.symbols("theta a b mu", real=True)
m = sp.Symbol("m", real=True)
s, sigma = sp.symbols("s sigma", positive=True)
y_pos = sp.Symbol("y", positive=True)  # the support of a log-normal


def normal_pdf(v: sp.Expr, loc: sp.Expr, scale: sp.Expr) -> sp.Expr:
    """Density of N(loc, scale²) at ``v``: ``exp(-(v - loc)² / (2 scale²)) / (sqrt(2π) scale)``.

    Examples
    --------
    >>> normal_pdf(x, 0, 1)
    sqrt(2)*exp(-x**2/2)/(2*sqrt(pi))
    """
    return sp.exp(-((v - loc) ** 2) / (2 * scale**2)) / (sp.sqrt(2 * sp.pi) * scale)


@cache
def standard_normal_moment(k: int) -> sp.Expr:
    """``E[x^k]`` for x ~ N(0, 1), by integrating ``x^k φ(x)`` (0 for odd k, (k-1)!! for even k).

    Examples
    --------
    >>> [standard_normal_moment(k) for k in range(5)]
    [1, 0, 1, 0, 3]
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be an integer >= 0, got {k!r}")
    return sp.integrate(x**k * normal_pdf(x, 0, 1), (x, -sp.oo, sp.oo))


def expect_standard_normal(expr: sp.Expr, var: sp.Symbol = x) -> sp.Expr:
    """``E[expr]`` over ``var ~ N(0, 1)`` for ``expr`` polynomial in ``var``, by linearity of E.

    Examples
    --------
    >>> expect_standard_normal((mu + sigma * x) ** 2)
    mu**2 + sigma**2
    """
    expr = sp.expand(sp.sympify(expr))
    if not expr.is_polynomial(var):
        raise ValueError(f"expr must be a polynomial in {var}, got {expr}")
    poly = sp.Poly(expr, var)
    return sp.expand(sum(c * standard_normal_moment(k) for (k,), c in poly.terms()))


def gaussian_integral(integral: sp.Integral) -> sp.Expr:
    """``∫ r(v) exp(q(v)) dv`` for q quadratic with q'' < 0: over the real line for polynomial r,
    over any limits for constant r.

    With ``q(v) = α v² + β v + γ``, ``s² = -1 / (2α)`` and ``c = β s²`` (the mode), substituting
    ``v = c + s u`` gives ``s exp(q(c)) √(2π) E_u[r(c + s u)]`` with u ~ N(0, 1); for constant r
    the antiderivative is ``r exp(q(c)) s √(π/2) erf((v - c) / (s √2))``.  SymPy's own
    ``integrate`` takes seconds on these integrals with symbolic means; this takes milliseconds.
    Anything else falls back to ``doit()``.

    Examples
    --------
    >>> gaussian_integral(sp.Integral(z**2 * normal_pdf(z, mu, 1), (z, -sp.oo, sp.oo)))
    mu**2 + 1
    >>> gaussian_integral(sp.Integral(normal_pdf(x, 0, 1), (x, 0, sp.oo)))
    1/2
    """
    if not isinstance(integral, sp.Integral) or len(integral.limits) != 1 or len(integral.limits[0]) != 3:
        raise ValueError(f"integral must be a definite sympy Integral in one variable, got {integral!r}")
    (var, lo, hi), = integral.limits
    f = sp.powsimp(sp.expand_power_exp(integral.function), combine="exp")
    exps = [e for e in sp.Mul.make_args(f) if isinstance(e, sp.exp) and e.has(var)]
    if len(exps) == 1:
        q = sp.expand(exps[0].args[0])
        alpha, beta = q.coeff(var, 2), q.coeff(var, 1)
        if q.is_polynomial(var) and sp.degree(q, var) == 2 and alpha.is_negative:
            scale = sp.sqrt(-1 / (2 * alpha))
            loc = beta * scale**2
            rest = sp.simplify(f / exps[0]) * sp.exp(q.subs(var, loc))
            if (lo, hi) == (-sp.oo, sp.oo) and rest.is_polynomial(var):
                u = sp.Dummy("u", real=True)
                moment = expect_standard_normal(rest.subs(var, loc + scale * u), u)
                return sp.expand(scale * sp.sqrt(2 * sp.pi) * moment)
            if not rest.has(var):
                # F(v) = rest * s sqrt(pi/2) erf((v - c) / (s sqrt 2)); erf(+-oo) = +-1
                F = rest * scale * sp.sqrt(sp.pi / 2) * sp.erf((var - loc) / (scale * sp.sqrt(2)))
                return sp.simplify(F.subs(var, hi) - F.subs(var, lo))
    return integral.doit()


def evaluate(line: sp.Expr) -> sp.Expr:
    """The value of a displayed line: Leibniz rule for d/dθ ∫, then derivatives, then integrals.

    Examples
    --------
    >>> evaluate(sp.Derivative(sp.Integral(x * normal_pdf(x, 0, 1), (x, -sp.oo, theta)), theta))
    sqrt(2)*theta*exp(-theta**2/2)/(2*sqrt(pi))
    """
    line = line.replace(lambda e: isinstance(e, sp.Derivative) and e.has(sp.Integral),
                        lambda e: e.doit(deep=False))
    line = line.replace(lambda e: isinstance(e, (sp.Derivative, sp.Subs)), lambda e: e.doit())
    line = line.replace(lambda e: isinstance(e, sp.Integral), gaussian_integral)
    return sp.simplify(line)


class DoitChain(Chain):
    """A :class:`Chain` whose lines are evaluated (:func:`evaluate`) before each ``=`` is checked.

    The notebook displays the unevaluated lines (``d/dθ ∫ ...``); the check compares their values.
    """

    def _check(self, numeric_fallback: bool) -> list[StepCheck]:
        # Chain.check caches the answer per content of the lines
        return Chain(self.title, [evaluate(line) for line in self.lines], self.notes).check(
            numeric_fallback=numeric_fallback)


def pushforward(pdf_x: sp.Expr, T: sp.Expr, var: sp.Symbol = x, out: sp.Symbol = y) -> dict:
    """Law of ``Y = T(X)`` for strictly monotone ``T``, from the CDF: the slide's chain, both directions.

    Solves ``y = T(x)`` for ``x = T⁻¹(y)``; the event ``{T(X) <= y}`` is ``{X <= T⁻¹(y)}`` when
    ``T' > 0`` but ``{X >= T⁻¹(y)}`` when ``T' < 0``.  Returns a dict with ``inverse``,
    ``increasing``, ``cdf`` (an unevaluated integral of ``pdf_x``), ``pdf`` (``d cdf / dy``,
    unevaluated), ``jacobian_pdf`` (``f_X(x)|dx/dy|``) and ``slide_pdf`` (``f_X(x) dx/dy``, no ``| |``).

    Examples
    --------
    >>> p = pushforward(normal_pdf(x, 0, 1), m - s * x)
    >>> p["inverse"], p["increasing"], p["cdf"].limits[0][2]
    ((m - y)/s, False, oo)
    """
    solutions = sp.solve(sp.Eq(out, T), var)
    if len(solutions) != 1:
        raise ValueError(f"T must be invertible, y = T(x) must have one solution for x, got T = {T}: {solutions}")
    (inverse,) = solutions
    slope = sp.diff(T, var)
    if not (slope.is_positive or slope.is_negative):
        raise ValueError(f"T must be strictly monotone with a sign SymPy can decide, got T = {T}")
    f_t = pdf_x.subs(var, t)
    lower, upper = (-sp.oo, inverse) if slope.is_positive else (inverse, sp.oo)
    cdf = sp.Integral(f_t, (t, lower, upper))
    dx_dy = sp.diff(inverse, out)
    return {
        "inverse": inverse,
        "increasing": bool(slope.is_positive),
        "cdf": cdf,
        "pdf": sp.Derivative(cdf, out),
        "jacobian_pdf": pdf_x.subs(var, inverse) * sp.Abs(dx_dy),
        "slide_pdf": pdf_x.subs(var, inverse) * dx_dy,
    }


def change_of_variables_chain(pdf_x: sp.Expr, T: sp.Expr, reference: sp.Expr, title: str) -> DoitChain:
    """``f_Y(y) = d F_Y / dy = f_X(x) |dx/dy| = reference``, for a monotone ``T`` of ``x`` into ``y``."""
    p = pushforward(pdf_x, T)
    return DoitChain(title, [p["pdf"], p["jacobian_pdf"], reference],
                     ["", "chain rule, x = T⁻¹(y)", "the known density"])


def affine_chain(decreasing: bool = False) -> DoitChain:
    """X ~ N(0, 1), Y = m ± s X  =>  f_Y = N(y; m, s²), checked against ``sympy.stats``."""
    from sympy.stats import Normal, density

    T = m - s * x if decreasing else m + s * x
    reference = density(Normal("Y", m, s))(y)
    title = "Y = m - sX (decreasing)" if decreasing else "Y = m + sX (increasing)"
    return change_of_variables_chain(normal_pdf(x, 0, 1), T, reference, title)


def lognormal_chain() -> DoitChain:
    """X ~ N(μ, σ²), Y = exp(X)  =>  f_Y(y) = N(log y; μ, σ²) / y, the ``sympy.stats`` log-normal."""
    from sympy.stats import LogNormal, density

    reference = density(LogNormal("Y", mu, sigma))(y_pos)
    p = pushforward(normal_pdf(x, mu, sigma), sp.exp(x), out=y_pos)
    return DoitChain("Y = exp(X)", [p["pdf"], p["jacobian_pdf"], reference],
                     ["", "chain rule, x = log y", "sympy.stats LogNormal"])


def substitution_integrals(lo: sp.Expr = -1, hi: sp.Expr = 2) -> dict:
    """The slide's "with / without change of limits" for the decreasing map y = 1 - 2x, X ~ N(0, 1).

    ``∫_lo^hi f_X dx`` equals ``∫_{T(lo)}^{T(hi)} f_X(x(y)) dx/dy dy`` (signed, limits carried over,
    here from the larger to the smaller y) and ``∫_{T(hi)}^{T(lo)} f_X(x(y)) |dx/dy| dy`` (limits
    in increasing order, absolute Jacobian).  Returns the three unevaluated integrals.
    """
    T, f = 1 - 2 * x, normal_pdf(x, 0, 1)
    (inv,) = sp.solve(sp.Eq(y, T), x)
    dx_dy, f_y = sp.diff(inv, y), f.subs(x, inv)
    y_lo, y_hi = T.subs(x, lo), T.subs(x, hi)  # y_lo > y_hi: T is decreasing
    return {
        "x_space": sp.Integral(f, (x, lo, hi)),
        "with_change_of_limits": sp.Integral(f_y * dx_dy, (y, y_lo, y_hi)),
        "without_change_of_limits": sp.Integral(f_y * sp.Abs(dx_dy), (y, y_hi, y_lo)),
    }


def reparam_moments(g: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Mean and variance of ``g(x)``, x ~ N(0, 1), e.g. ``g = μ + σ x`` (σ²) or ``μ + σ² x`` (σ⁴)."""
    mean = expect_standard_normal(g)
    return mean, sp.factor(expect_standard_normal((g - mean) ** 2))


def interchange_chain() -> DoitChain:
    """``∂/∂θ E_x[f(g(x, θ))] = E_x[∂/∂θ f(g(x, θ))]`` for f(z) = z², g = μ(θ) + σ(θ) x."""
    mu_t, sigma_t = sp.Function("mu")(theta), sp.Function("sigma")(theta)
    g, phi = mu_t + sigma_t * x, normal_pdf(x, 0, 1)
    return DoitChain("pathwise gradient, f(z) = z²", [
        sp.Derivative(sp.Integral(g**2 * phi, (x, -sp.oo, sp.oo)), theta),
        sp.Integral(sp.Derivative(g**2, theta) * phi, (x, -sp.oo, sp.oo)),
        2 * mu_t * sp.diff(mu_t, theta) + 2 * sigma_t * sp.diff(sigma_t, theta),
    ], ["", "p(x) does not depend on θ", "Gaussian moments"])


# The toy problem of the slides "re-parameterization trick: example (1)" and "(2)": z ~ N(aθ + b, 1).
MU_TOY = a * theta + b
_LINE = (z, -sp.oo, sp.oo)
_NOISE = (x, -sp.oo, sp.oo)


def toy_objective() -> dict:
    """``E[z²] = (aθ + b)² + 1``, its gradient, the stationary point ``θ* = -b/a`` and the curvature ``2a²``.

    The objective is a parabola in θ with leading coefficient ``a²`` (``leading``): for a ≠ 0 it is
    unbounded above, so "arg max" has no solution and the slide's θ* is an arg min.
    """
    objective = expect_standard_normal((MU_TOY + x) ** 2)
    gradient = sp.factor(sp.diff(objective, theta))
    (theta_star,) = sp.solve(gradient, theta)
    return {"objective": objective, "gradient": gradient, "theta_star": theta_star,
            "curvature": sp.diff(objective, theta, 2), "leading": sp.Poly(objective, theta).LC()}


def toy_score_chain() -> DoitChain:
    """``∇_θ log N(z; aθ + b, 1) = ∂L/∂μ · ∂μ/∂θ = (z - μ(θ)) a = a(z - aθ - b)``."""
    L = sp.expand_log(sp.log(normal_pdf(z, mu, 1)), force=True)
    return DoitChain("score of N(z; aθ + b, 1)", [
        sp.Derivative(L.subs(mu, MU_TOY), theta),
        sp.Subs(sp.Derivative(L, mu), mu, MU_TOY) * sp.Derivative(MU_TOY, theta),
        (z - MU_TOY) * a,
        a * (z - a * theta - b),
    ], ["", "chain rule", "", ""])


def toy_score_gradient_chain() -> DoitChain:
    """``∇_θ E_{z ~ N(aθ+b, 1)}[z²] = E[z² a(z - aθ - b)] = 2a(aθ + b)`` (score function)."""
    p = normal_pdf(z, MU_TOY, 1)
    return DoitChain("score-function gradient", [
        sp.Derivative(sp.Integral(z**2 * p, _LINE), theta),
        sp.Integral(z**2 * sp.Derivative(p, theta), _LINE),
        sp.Integral(z**2 * a * (z - a * theta - b) * p, _LINE),
        2 * a * (a * theta + b),
    ], ["", "differentiate under ∫", "∇p = p ∇log p", "Gaussian moments"])


def toy_pathwise_chain() -> DoitChain:
    """``∇_θ E_{x ~ N(0, 1)}[(aθ + b + x)²] = E[2a(aθ + b + x)] = 2a(aθ + b)`` (re-parameterised)."""
    phi = normal_pdf(x, 0, 1)
    return DoitChain("pathwise gradient", [
        sp.Derivative(sp.Integral((MU_TOY + x) ** 2 * phi, _NOISE), theta),
        sp.Integral(sp.Derivative((MU_TOY + x) ** 2, theta) * phi, _NOISE),
        sp.Integral(2 * a * (MU_TOY + x) * phi, _NOISE),
        2 * a * (a * theta + b),
    ], ["", "p(x) does not depend on θ", "chain rule", "Gaussian moments"])


def toy_slide_versions() -> dict:
    """What the slide's typos would compute, for comparison with the true gradient ``2a(aθ + b)``.

    ``b_theta``: the expectation taken under N(aθ + bθ, 1) instead of N(aθ + b, 1);
    ``x_for_z``: ``z² a(x - aθ - b)`` with x the standard noise (x = z - μ);
    ``nabla_mu``: ``∇_θ L - ∇_μ L``, zero only when a = 1 (the slide writes ≡).
    """
    L = sp.log(normal_pdf(z, mu, 1))
    return {
        "b_theta": sp.factor(expect_standard_normal(a * (a * theta + b * theta + x) ** 2
                                                    * (a * theta + b * theta + x - MU_TOY))),
        "x_for_z": sp.factor(expect_standard_normal(a * (MU_TOY + x) ** 2 * (x - MU_TOY))),
        "nabla_mu": sp.factor(sp.diff(L.subs(mu, MU_TOY), theta) - sp.diff(L, mu).subs(mu, MU_TOY)),
    }


@cache
def toy_estimator_moments() -> dict[str, sp.Expr]:
    """Exact mean and variance of one per-sample estimate of ``∇_θ E[z²]``, as functions of a, b, θ.

    With z = aθ + b + x, x ~ N(0, 1): score function ``z² · a x``; pathwise ``2a(aθ + b + x)``.
    Keys ``true_grad``, ``score_mean``, ``score_var``, ``reparam_mean``, ``reparam_var``.
    """
    estimators = {"score": (MU_TOY + x) ** 2 * a * x, "reparam": 2 * a * (MU_TOY + x)}
    out = {"true_grad": toy_objective()["gradient"]}
    for name, est in estimators.items():
        mean = expect_standard_normal(est)
        out[f"{name}_mean"] = sp.factor(mean)
        out[f"{name}_var"] = sp.factor(expect_standard_normal(est**2) - mean**2)
    return out
