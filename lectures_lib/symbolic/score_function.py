"""SymPy derivations behind the two slides "Score Function Estimator".

Every function returns SymPy objects (expressions or a checked :class:`Chain`); the notebook
``notebooks/04_score_function.ipynb`` displays them and asserts them, and
``tests/test_symbolic_score_function.py`` asserts the same functions.  The Gaussian is
``N(z; mu, sigma^2)`` and the running example is ``f(z) = z**2 + c`` (``c`` is the shift of
section 4), so ``E[f] = mu**2 + sigma**2 + c``.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from .core import Chain

z, mu, c, b = sp.symbols("z mu c b", real=True)
sigma = sp.Symbol("sigma", positive=True)
x = sp.Symbol("x", real=True)  # standard-normal variable, z = mu + sigma * x
theta = sp.Symbol("theta", real=True)
N = sp.Symbol("N", integer=True, positive=True)
i = sp.Symbol("i", integer=True, positive=True)
REAL_LINE = (z, -sp.oo, sp.oo)


def _check_polynomial(f) -> sp.Expr:
    if not isinstance(f, sp.Expr) or not f.is_polynomial(z) or f.has(mu, sigma, x):
        raise ValueError(f"f must be a SymPy polynomial in z without mu or sigma, got {f!r}")
    return f


def gaussian_pdf() -> sp.Expr:
    """The normal density ``exp(-(z - mu)**2 / (2 sigma**2)) / (sqrt(2 pi) sigma)``.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Returns
    -------
    sympy.Expr
        In the module symbols ``z``, ``mu``, ``sigma``.

    Notes
    -----
    ``N(z; mu, sigma^2) = exp(-(z - mu)^2 / (2 sigma^2)) / (sqrt(2 pi) sigma)``.

    Examples
    --------
    >>> sp.integrate(gaussian_pdf(), REAL_LINE)
    1
    """
    return sp.exp(-((z - mu) ** 2) / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma)


def slide_gaussian() -> sp.Expr:
    """The slide's "Gaussian" ``exp(-(z - mu)**2 / sigma**2) / (sqrt(2 pi) sigma)`` (no 2 in the exponent).

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Returns
    -------
    sympy.Expr
        Not a density: it integrates to ``1 / sqrt(2)`` (erratum E04.3).

    Examples
    --------
    >>> sp.integrate(slide_gaussian(), REAL_LINE)  # not a density: erratum E04.3
    sqrt(2)/2
    """
    return sp.exp(-((z - mu) ** 2) / sigma**2) / (sp.sqrt(2 * sp.pi) * sigma)


def slide_gaussian_derivative() -> sp.Expr:
    """The slide's stated ``d/dmu`` of its Gaussian: ``2 (z - mu) / sigma**2`` times the function.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Returns
    -------
    sympy.Expr
        Right for the slide's own function; the normal density has the factor ``(z - mu) / sigma**2``.

    Examples
    --------
    >>> sp.simplify(sp.diff(slide_gaussian(), mu) - slide_gaussian_derivative())  # right for its own function
    0
    """
    return 2 * (z - mu) / sigma**2 * slide_gaussian()


def score(density: sp.Expr, param: sp.Symbol) -> sp.Expr:
    """The score ``d/dparam log density``, simplified.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Parameters
    ----------
    density : sympy.Expr
        A positive density.
    param : sympy.Symbol
        The parameter to differentiate by.

    Returns
    -------
    sympy.Expr

    Notes
    -----
    ``s(z) = d/dtheta log p(z|theta) = (d/dtheta p) / p``; for the Gaussian ``s_mu = (z - mu) / sigma^2``.

    Examples
    --------
    >>> score(gaussian_pdf(), mu)
    (-mu + z)/sigma**2
    """
    if not isinstance(density, sp.Expr) or not isinstance(param, sp.Symbol):
        raise ValueError(f"density must be a SymPy expression and param a Symbol, got {density!r}, {param!r}")
    return sp.simplify(sp.expand_log(sp.diff(sp.log(density), param), force=True))


def monte_carlo_moments() -> dict[str, sp.Expr]:
    """Mean of the slide's sum, of the average, and variance of the average of ``N`` iid ``f(z_i)``.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Returns
    -------
    dict
        ``"mean_of_sum"``, ``"mean_of_average"``, ``"var_of_average"``, in the symbols ``N``, ``m``, ``v``.

    Notes
    -----
    With ``m = E[f]`` and ``v = Var[f]``: ``E[sum] = N m`` grows with ``N``; ``E[sum / N] = m`` and
    ``Var[sum / N] = v / N``, so only the average converges (erratum E04.1).

    Examples
    --------
    >>> monte_carlo_moments()["mean_of_sum"]
    N*m
    """
    m, v = sp.symbols("m v", positive=True)
    # linearity of E; independence makes the variances add, and Var[X / N] = Var[X] / N**2
    return {"mean_of_sum": sp.Sum(m, (i, 1, N)).doit(), "mean_of_average": sp.Sum(m, (i, 1, N)).doit() / N,
            "var_of_average": sp.Sum(v, (i, 1, N)).doit() / N**2}


def log_derivative_chain() -> Chain:
    """The REINFORCE identity ``p f grad log p = p f grad p / p = f grad p`` for any positive ``p(z|theta)``.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Returns
    -------
    Chain
        Three lines with abstract ``p(z, theta) > 0`` and ``f(z)``; every ``=`` checks symbolically.

    Examples
    --------
    >>> log_derivative_chain().all_hold()
    True
    """
    p = sp.Function("p", positive=True)(z, theta)
    f = sp.Function("f")(z)
    # evaluate=False keeps the displayed middle line as on the slide (SymPy would cancel p at once)
    lines = [p * f * sp.Derivative(sp.log(p), theta),
             sp.Mul(p, f, sp.Derivative(p, theta), sp.Pow(p, -1, evaluate=False), evaluate=False),
             f * sp.Derivative(p, theta)]
    return Chain("log-derivative identity", lines, ["", "chain rule for log", "p cancels (p > 0)"])


def gradient_chain(f: sp.Expr, param: sp.Symbol) -> Chain:
    """The slide's chain ``grad int f p = int grad(f p) = int f grad p = int p f grad log p`` for the Gaussian.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Parameters
    ----------
    f : sympy.Expr
        A polynomial in ``z`` that does not involve the parameter.
    param : {mu, sigma}

    Returns
    -------
    Chain
        ``d/dparam int f p dz = int d/dparam (f p) dz = int f dp/dparam dz = int p f dlog p/dparam dz
        = closed form``; the last line is ``d/dparam E[f]`` computed independently (expectation by
        normal moments first, then the derivative).

    Examples
    --------
    >>> gradient_chain(z**2, mu).lines[-1]
    2*mu
    """
    if param not in (mu, sigma):
        raise ValueError(f"param must be mu or sigma, got {param!r}")
    _check_polynomial(f)
    p = gaussian_pdf()
    # E[f] by z = mu + sigma x and the normal moments, then differentiated: independent of the chain
    exact = sp.simplify(sp.diff(_expect_standard_normal(f.subs(z, mu + sigma * x)), param))
    lines = [sp.Derivative(sp.Integral(f * p, REAL_LINE), param),
             sp.Integral(sp.Derivative(f * p, param), REAL_LINE),
             sp.Integral(f * sp.Derivative(p, param), REAL_LINE),
             sp.Integral(p * f * sp.Derivative(sp.log(p), param), REAL_LINE), exact]
    notes = ["", r"swap $\nabla$ and $\int$", "$f$ does not depend on the parameter", r"$\nabla p = p\,\nabla \log p$",
             "closed form"]
    return Chain(f"gradient of E[{f}] with respect to {param}", lines, notes)


def normal_moment(k: int) -> sp.Expr:
    """``E[x**k]`` for ``x ~ N(0, 1)``, by integrating against the standard normal density.

    Introduced in notebooks/04_score_function.ipynb (section "4. Variance, and baselines that reduce it").

    Parameters
    ----------
    k : int
        Non-negative power.

    Returns
    -------
    sympy.Expr
        ``0`` for odd ``k``, ``(k - 1)!!`` for even ``k`` (each integral computed once and cached).

    Examples
    --------
    >>> [normal_moment(k) for k in range(7)]
    [1, 0, 1, 0, 3, 0, 15]
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    return _moments(k)


@cache
def _moments(k: int) -> sp.Expr:
    return sp.integrate(x**k * sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi), (x, -sp.oo, sp.oo))


def _expect_standard_normal(expr: sp.Expr) -> sp.Expr:
    """``E[expr]`` for ``x ~ N(0, 1)`` and ``expr`` polynomial in ``x``: replace each ``x**k`` by its moment.

    Linearity of ``E`` makes this exact; it is much faster than integrating the whole polynomial
    against the density, because only the handful of moments ``E[x**k]`` is ever integrated.
    """
    poly = sp.Poly(sp.expand(expr), x)
    return sp.expand(sum(coeff * normal_moment(k) for (k,), coeff in poly.terms()))


def estimator_variance(f: sp.Expr | None = None) -> sp.Expr:
    """Variance of one sample ``(f(z) - b) * d/dmu log p(z)`` under ``N(mu, sigma^2)``, as a function of ``b``.

    Introduced in notebooks/04_score_function.ipynb (section "4. Variance, and baselines that reduce it").

    Parameters
    ----------
    f : sympy.Expr, optional
        A polynomial in ``z``; default ``z**2 + c``.

    Returns
    -------
    sympy.Expr
        In ``mu``, ``sigma``, ``c``, ``b``.

    Notes
    -----
    ``Var[(f - b) s] = E[(f - b)^2 s^2] - (d/dmu E[f])^2``, because ``E[s] = 0`` leaves the mean
    unchanged.  Substituting ``z = mu + sigma x`` turns every expectation into moments of a
    standard normal (``E[x^2] = 1, E[x^4] = 3, E[x^6] = 15``).

    Examples
    --------
    >>> sp.factor(estimator_variance().subs({b: 0, c: 0, sigma: 1}))
    mu**4 + 14*mu**2 + 15
    """
    f = z**2 + c if f is None else _check_polynomial(f)
    s = score(gaussian_pdf(), mu).subs(z, mu + sigma * x)
    fx = f.subs(z, mu + sigma * x)
    grad = _expect_standard_normal(fx * s)
    return sp.expand(_expect_standard_normal((fx - b) ** 2 * s**2) - grad**2)


def optimal_baseline_general() -> tuple[sp.Expr, sp.Expr]:
    """Minimise ``V(b) = E[f^2 s^2] - 2 b E[f s^2] + b^2 E[s^2] - g^2`` over ``b``.

    Introduced in notebooks/04_score_function.ipynb (section "4. Variance, and baselines that reduce it").

    Returns
    -------
    (sympy.Expr, sympy.Expr)
        ``V(b)`` and ``b*``, in the symbols ``E_fs2 = E[f s^2]``, ``E_s2 = E[s^2]``, ``E_f2s2 = E[f^2 s^2]``
        and ``g = E[f s]`` (the gradient).

    Notes
    -----
    ``V'(b) = -2 E[f s^2] + 2 b E[s^2] = 0`` gives ``b* = E[f s^2] / E[s^2]``; ``V'' = 2 E[s^2] > 0``.

    Examples
    --------
    >>> optimal_baseline_general()[1]
    E_fs2/E_s2
    """
    e_f2s2, e_fs2, e_s2, g = sp.symbols("E_f2s2 E_fs2 E_s2 g", positive=True)
    # expand E[(f - b)^2 s^2]; the mean g does not depend on b because E[s] = 0
    variance = e_f2s2 - 2 * b * e_fs2 + b**2 * e_s2 - g**2
    (b_star,) = sp.solve(sp.diff(variance, b), b)
    return variance, b_star


def optimal_baseline(f: sp.Expr | None = None) -> sp.Expr:
    """The variance-minimising constant baseline for the Gaussian score in ``mu``.

    Introduced in notebooks/04_score_function.ipynb (section "4. Variance, and baselines that reduce it").

    Parameters
    ----------
    f : sympy.Expr, optional
        A polynomial in ``z``; default ``z**2 + c``.

    Returns
    -------
    sympy.Expr

    Notes
    -----
    ``b* = E[f s^2] / E[s^2]`` with ``s = (z - mu) / sigma^2``; for ``z**2 + c`` it is
    ``mu^2 + c + 3 sigma^2``, not ``E[f] = mu^2 + sigma^2 + c``.

    Examples
    --------
    >>> optimal_baseline()
    c + mu**2 + 3*sigma**2
    """
    f = z**2 + c if f is None else _check_polynomial(f)
    s = score(gaussian_pdf(), mu).subs(z, mu + sigma * x)
    return sp.simplify(_expect_standard_normal(f.subs(z, mu + sigma * x) * s**2) / _expect_standard_normal(s**2))


class _Policy(sp.Function):
    """``pi_theta(a | s)``, printed as on the slide."""

    nargs = 3

    def _latex(self, printer, exp=None):
        a, s, th = (printer._print(arg) for arg in self.args)
        out = rf"\pi_{{{th}}}\left({a} \mid {s}\right)"
        return out if exp is None else rf"{out}^{{{exp}}}"


class _Dynamics(sp.Function):
    """``p(s' | s, a)``: the environment, which does not depend on theta."""

    nargs = 3

    def _latex(self, printer, exp=None):
        nxt, s, a = (printer._print(arg) for arg in self.args)
        out = rf"p\left({nxt} \mid {s}, {a}\right)"
        return out if exp is None else rf"{out}^{{{exp}}}"


def trajectory_score_chain(horizon: int = 3) -> Chain:
    """``grad log p_theta(Pi) = sum_t grad log pi_theta(a_t | s_t)``: the dynamics drop out.

    Introduced in notebooks/04_score_function.ipynb (section "5. REINFORCE on a small Markov decision process").

    Parameters
    ----------
    horizon : int
        Number of steps ``T`` in ``[1, 6]``.

    Returns
    -------
    Chain
        ``grad log p_theta(Pi) = sum of grad log of each factor = sum_t grad log pi_theta(a_t|s_t)``.

    Notes
    -----
    ``p_theta(Pi) = p(s_1) prod_{t=1}^T pi_theta(a_t | s_t) prod_{t=1}^{T-1} p(s_{t+1} | s_t, a_t)``,
    with abstract functions (nothing about ``pi`` or ``p`` is assumed).

    Examples
    --------
    >>> trajectory_score_chain(2).all_hold()
    True
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= 6:
        raise ValueError(f"horizon must be an integer in [1, 6] (the expressions grow fast), got {horizon!r}")
    s = sp.symbols(f"s_1:{horizon + 1}")
    a = sp.symbols(f"a_1:{horizon + 1}")
    start = sp.Function("p")(s[0])
    policy = [_Policy(a[t], s[t], theta) for t in range(horizon)]
    dynamics = [_Dynamics(s[t + 1], s[t], a[t]) for t in range(horizon - 1)]
    grad_log = [sp.Derivative(sp.log(term), theta) for term in [start, *policy, *dynamics]]
    lines = [sp.Derivative(sp.log(start * sp.Mul(*policy) * sp.Mul(*dynamics)), theta), sp.Add(*grad_log),
             sp.Add(*grad_log[1: 1 + horizon])]
    notes = ["", "log of a product", r"$p(s_1)$ and $p(s'|s,a)$ do not depend on $\theta$"]
    return Chain("score of a trajectory", lines, notes)
