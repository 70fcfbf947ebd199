"""SymPy derivations for the Gumbel-softmax / Concrete notebook (07).

Each function builds the displayed lines and returns SymPy objects or :class:`Chain` objects; the
notebook displays them and asserts their checks, and ``tests/test_symbolic_concrete.py`` asserts
the same.  Nothing here is copied from the slides without being derived or checked.

Introduced in ``notebooks/07_gumbel_softmax.ipynb`` (slides "Back to the Gumbel-max trick (1)"
and "(2)").
"""

from __future__ import annotations

import sympy as sp

from .core import Chain

tau = sp.Symbol("tau", positive=True)
x1, x2 = sp.symbols("x_1 x_2", positive=True)
mu1, mu2 = sp.symbols("mu_1 mu_2", real=True)
z1, z2, s, ell, g = sp.symbols("z_1 z_2 s l g", real=True)
t, u = sp.symbols("t u", positive=True)


def _sigmoid(v: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-v))


def binary_relaxed_sample() -> Chain:
    """``y_1 = softmax(z / tau)_1 = sigmoid((z_1 - z_2) / tau)`` for K = 2 (``z = mu + G``).

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 1, "apply re-parameterization trick to
    softmax").

    Examples
    --------
    >>> binary_relaxed_sample().all_hold()
    True
    """
    # divide numerator and denominator by exp(z_1 / tau)
    lines = [sp.exp(z1 / tau) / (sp.exp(z1 / tau) + sp.exp(z2 / tau)), _sigmoid((z1 - z2) / tau)]
    return Chain("K = 2: the relaxed sample is a sigmoid", lines, ["", "divide by exp(z_1/τ)"])


def temperature_limits_binary() -> list[sp.Eq]:
    """The limits of ``y_1 = sigmoid(d / tau)``, ``d = z_1 - z_2``, as ``tau -> 0+`` and ``tau -> oo``.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 1).

    Returns
    -------
    list of sympy.Eq
        ``Limit(...) = value`` with the value computed by ``sympy.limit``: ``d > 0`` and ``d < 0``
        as ``tau -> 0+`` (one-hot at the argmax), then ``tau -> oo`` (the centre 1/2).

    Examples
    --------
    >>> [eq.rhs for eq in temperature_limits_binary()]
    [1, 0, 1/2]
    """
    d = sp.Symbol("d", positive=True)  # |z_1 - z_2|; the sign is written out in the two cases
    cases = [(_sigmoid(d / tau), 0), (_sigmoid(-d / tau), 0), (_sigmoid(d / tau), sp.oo)]
    out = []
    for expr, point in cases:
        direction = "+" if point == 0 else "-"
        out.append(sp.Eq(sp.Limit(expr, tau, point, direction), sp.limit(expr, tau, point, direction)))
    return out


def gumbel_noise_density() -> tuple[sp.Expr, sp.Expr]:
    """Density of ``G = -log(-log U)``, ``U ~ U(0, 1)``, by change of variables (erratum E07.1).

    Introduced in notebooks/07_gumbel_softmax.ipynb (slide "Back to the Gumbel-max trick (1)").

    Returns
    -------
    (u_of_g, density)
        ``u(g)`` solved by SymPy from ``g = -log(-log u)``, and ``p_G(g) = p_U(u(g)) |du/dg|``
        with ``p_U = 1`` on (0, 1): the Gumbel(0, 1) density, not the uniform ``p(U)``.

    Examples
    --------
    >>> gumbel_noise_density()[1]
    exp(-g - exp(-g))
    """
    (u_of_g,) = sp.solve(sp.Eq(g, -sp.log(-sp.log(u))), u)
    # p_G(g) = p_U(u(g)) |du/dg|, and p_U = 1 on (0, 1); du/dg > 0, so the |.| is the identity
    return u_of_g, sp.simplify(sp.diff(u_of_g, g))


def logistic_difference() -> tuple[sp.Integral, sp.Integral, Chain]:
    """The CDF of ``L = G_1 - G_2`` (independent standard Gumbels) is the logistic sigmoid.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 3, the K = 2 density).

    Returns
    -------
    (start, substituted, chain)
        ``P(L <= l) = int gumbel_pdf(z) gumbel_cdf(z + l) dz`` (condition on ``G_2 = z``), the
        same integral after ``t = exp(-z)`` (SymPy's ``Integral.transform``), and the chain from
        the substituted integral to ``sigmoid(l)``.  SymPy cannot do the first integral directly.

    Examples
    --------
    >>> start, sub, chain = logistic_difference()
    >>> chain.lines[-1], chain.all_hold()
    (1/(1 + exp(-l)), True)
    """
    start = sp.Integral(sp.exp(-z1 - sp.exp(-z1)) * sp.exp(-sp.exp(-(z1 + ell))), (z1, -sp.oo, sp.oo))
    substituted = start.transform(z1, -sp.log(t))  # z = -log t: z -> -oo is t -> oo, z -> oo is t -> 0
    lines = [substituted, sp.Integral(sp.exp(-t * (1 + sp.exp(-ell))), (t, 0, sp.oo)), _sigmoid(ell)]
    notes = ["", "collect $t$", r"$\int_0^\infty e^{-ct}\,dt = 1/c$"]
    return start, substituted, Chain("P(G₁ − G₂ ≤ l)", lines, notes)


def binary_concrete_density() -> tuple[Chain, sp.Expr, sp.Expr]:
    """The K = 2 Concrete density of ``x_1`` by change of variables from the logistic ``L``.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 3).

    Returns
    -------
    (chain, maddison, ratio)
        ``x_1 = sigmoid(S)``, ``S = (mu_1 - mu_2 + L) / tau`` has density ``tau f_L(tau s - a)``;
        ``p(x_1) = p_S(s(x_1)) ds/dx_1`` with ``s = log x_1 - log x_2`` and ``dx_2/dx_1 = -1``.
        ``maddison`` is Definition 1 of Maddison et al. (2017) for K = 2, and ``ratio`` is
        ``chain.lines[-1] / maddison``, which SymPy reduces to ``x_1 + x_2`` (= 1 on the simplex).

    Examples
    --------
    >>> binary_concrete_density()[2]
    x_1 + x_2
    """
    f_logistic = sp.diff(_sigmoid(ell), ell)  # the density of L is the derivative of its CDF
    a1, a2 = sp.exp(mu1), sp.exp(mu2)
    r = sp.exp(mu1 - mu2) * x1**-tau * x2**tau  # exp(-(tau s - a)) at s = log x_1 - log x_2
    lines = [
        tau * f_logistic.subs(ell, tau * (sp.log(x1) - sp.log(x2)) - (mu1 - mu2)) * (1 / x1 + 1 / x2),
        tau * r / (1 + r) ** 2 * (x1 + x2) / (x1 * x2),
        tau * a1 * a2 * x1**-tau * x2**-tau / (a1 * x1**-tau + a2 * x2**-tau) ** 2 * (x1 + x2) / (x1 * x2),
    ]
    maddison = concrete_density_maddison(2)
    notes = ["", r"$\exp(-\tau \log x) = x^{-\tau}$",
             r"multiply by $(\alpha_2 x_2^{-\tau})^2 / (\alpha_2 x_2^{-\tau})^2$, where $\alpha_k = \exp(\mu_k)$"]
    chain = Chain("K = 2: the density of x₁ by change of variables", lines, notes)
    return chain, maddison, sp.simplify(lines[-1] / maddison)


def binary_normalisation() -> sp.Eq:
    """The derived K = 2 density integrates to 1: ``int_0^1 p(x_1) dx_1 = int p_S(s) ds = 1``.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 3).

    Returns
    -------
    sympy.Eq
        ``Integral(p_S(s), (s, -oo, oo)) = F(oo) - F(-oo)``.  ``p_S`` is the last line of
        :func:`binary_concrete_density` on the simplex (``x_2 = 1 - x_1``) after the substitution
        ``x_1 = sigmoid(s)``, ``dx_1 = sigmoid'(s) ds`` (``s`` from ``-oo`` to ``oo`` as ``x_1``
        goes from 0 to 1); ``F`` is the antiderivative SymPy finds, and the right side its limits.

    Examples
    --------
    >>> binary_normalisation().rhs
    1
    """
    density = binary_concrete_density()[0].lines[-1].subs(x2, 1 - x1)
    x1_of_s = _sigmoid(s)
    # p_S(s) = p(x_1(s)) dx_1/ds: the derived density, not a hand-typed one
    p_s = sp.simplify(density.subs(x1, x1_of_s) * sp.diff(x1_of_s, s))
    F = sp.integrate(p_s, s)
    total = sp.limit(F, s, sp.oo) - sp.limit(F, s, -sp.oo)
    return sp.Eq(sp.Integral(p_s, (s, -sp.oo, sp.oo)), sp.simplify(total))


def _symbols(K: int):
    xs = sp.symbols(f"x_1:{K + 1}", positive=True)
    mus = sp.symbols(f"mu_1:{K + 1}", real=True)
    return xs, mus


def concrete_density_maddison(K: int) -> sp.Expr:
    """Maddison et al. (2017) Def. 1: ``(K-1)! tau^(K-1) prod_k a_k x_k^(-tau-1) / (sum_i a_i x_i^(-tau))^K``.

    Introduced in notebooks/07_gumbel_softmax.ipynb (slide "Back to the Gumbel-max trick (2)");
    ``a_k = exp(mu_k)``.

    Examples
    --------
    >>> concrete_density_maddison(2).subs(tau, 1).subs({sp.Symbol("mu_1", real=True): 0,
    ...     sp.Symbol("mu_2", real=True): 0}).simplify()
    (x_1 + x_2)**(-2)
    """
    xs, mus = _symbols(K)
    S = sum(sp.exp(m) * x**-tau for m, x in zip(mus, xs, strict=True))
    numerator = sp.Mul(*[sp.exp(m) * x ** (-tau - 1) for m, x in zip(mus, xs, strict=True)])
    return sp.factorial(K - 1) * tau ** (K - 1) * numerator / S**K


def concrete_density_slide(K: int, n: sp.Expr | None = None) -> sp.Expr:
    """The slide's density ``(n-1)! tau^(n-1) prod_k (a_k x_k^(-tau-1) / sum_i a_i x_i^(-tau))``.

    ``n`` defaults to ``K`` (erratum E07.3: the slide never defines ``n``).  With the sum inside
    the product it equals :func:`concrete_density_maddison` (``prod_k (a_k / S) = prod a_k / S^K``).

    Examples
    --------
    >>> from lectures_lib.symbolic.core import residual
    >>> residual(concrete_density_slide(3), concrete_density_maddison(3))
    0
    """
    xs, mus = _symbols(K)
    n = K if n is None else n
    S = sum(sp.exp(m) * x**-tau for m, x in zip(mus, xs, strict=True))
    return sp.factorial(n - 1) * tau ** (n - 1) * sp.Mul(*[sp.exp(m) * x ** (-tau - 1) / S for m, x in zip(mus, xs,
                                                                                                          strict=True)])


def concrete_density_tau_one(K: int) -> tuple[Chain, sp.Expr]:
    """The Concrete density at ``tau = 1``, simplified, and the slide's version (erratum E07.4).

    Introduced in notebooks/07_gumbel_softmax.ipynb (slide "Back to the Gumbel-max trick (2)").

    Returns
    -------
    (chain, slide)
        ``p(x; tau=1) = (K-1)! prod_k a_k x_k^-2 / (sum_i a_i / x_i)^K
        = (K-1)! prod_k a_k (prod_j x_j)^(K-2) / (sum_i a_i prod_(j != i) x_j)^K``: it depends
        on ``x``; the slide's ``(K-1)! prod_k (a_k / sum_i a_i)`` does not.

    Examples
    --------
    >>> chain, slide = concrete_density_tau_one(2)
    >>> chain.lines[-1]
    exp(mu_1)*exp(mu_2)/(x_1*exp(mu_2) + x_2*exp(mu_1))**2
    """
    xs, mus = _symbols(K)
    a = [sp.exp(m) for m in mus]
    P = sp.Mul(*xs)
    lines = [
        concrete_density_maddison(K).subs(tau, 1),  # SymPy writes x_k^(-tau-1) = x_k^-2 at once
        sp.factorial(K - 1) * sp.Mul(*a) * P ** (K - 2) / sum(ak * (P / x) for ak, x in zip(a, xs, strict=True)) ** K,
    ]
    notes = ["", r"multiply numerator and denominator by $(\prod_j x_j)^K$"]
    slide = sp.factorial(K - 1) * sp.Mul(*[ak / sum(a) for ak in a])
    return Chain(f"K = {K}, τ = 1", lines, notes), slide


def softmax_map(K: int) -> tuple[list[sp.Expr], list[sp.Expr], list[sp.Expr]]:
    """The softmax map ``f_tau(x)_k``: as it should be, as the slide writes it, and with its index clash (E07.2).

    Introduced in notebooks/07_gumbel_softmax.ipynb (slide "Back to the Gumbel-max trick (2)").

    Returns
    -------
    (correct, slide, clash)
        ``exp(x_k / tau) / sum_i exp(x_i / tau)`` for ``k = 1..K``; the slide's
        ``exp(mu_k / tau) / sum exp(mu_k / tau)`` with ``mu_k = mu_k(x_k)`` (an undefined function of
        ``x_k``, as the slide says: ``x`` does enter); and the slide's denominator read with the free
        ``k`` in place of its summation index, ``sum_{k=1}^K exp(mu_k / tau) = K exp(mu_k / tau)``.

    Examples
    --------
    >>> correct, slide, clash = softmax_map(2)
    >>> sp.simplify(sum(correct)), slide[0].has(sp.Symbol("x_1", positive=True)), clash[0]
    (1, True, 1/2)
    """
    xs, _ = _symbols(K)
    correct = [sp.exp(xk / tau) / sum(sp.exp(xi / tau) for xi in xs) for xk in xs]
    # mu_k == mu_k(x_k): each score is some function of its own coordinate
    mus = [sp.Function(f"mu_{k}")(x) for k, x in enumerate(xs, start=1)]
    slide = [sp.exp(mk / tau) / sum(sp.exp(mi / tau) for mi in mus) for mk in mus]
    # the printed sum_{k=1}^K with the free k: K copies of the numerator's own term
    clash = [sp.exp(mk / tau) / sp.Sum(sp.exp(mk / tau), (sp.Dummy("k"), 1, K)).doit() for mk in mus]
    return correct, slide, clash


def relaxed_sample_formula(K: int) -> tuple[list[sp.Expr], list[sp.Expr]]:
    """``f_tau(mu + G)_k`` with the parentheses right, and as the slide writes it (erratum E07.5).

    Introduced in notebooks/07_gumbel_softmax.ipynb (slide "Back to the Gumbel-max trick (2)").

    Returns
    -------
    (correct, slide)
        ``exp((mu_k + G_k) / tau) / sum_i exp((mu_i + G_i) / tau)``, and the slide's
        ``(exp(mu_k + G_k) / tau) / sum_i (exp(mu_i + G_i) / tau)``, in which ``tau`` cancels.

    Examples
    --------
    >>> correct, slide = relaxed_sample_formula(2)
    >>> correct[0].has(tau), sp.simplify(slide[0]).has(tau)
    (True, False)
    """
    _, mus = _symbols(K)
    gs = sp.symbols(f"G_1:{K + 1}", real=True)
    correct = [sp.exp((m + gk) / tau) / sum(sp.exp((mi + gi) / tau) for mi, gi in zip(mus, gs, strict=True))
               for m, gk in zip(mus, gs, strict=True)]
    slide = [(sp.exp(m + gk) / tau) / sum(sp.exp(mi + gi) / tau for mi, gi in zip(mus, gs, strict=True))
             for m, gk in zip(mus, gs, strict=True)]
    return correct, slide


def _cancel_exp(M: sp.Matrix, variables, scale: sp.Expr = 1) -> sp.Matrix:
    """``M`` with ``exp(v / scale)`` replaced by positive symbols, then ``cancel``led term by term.

    The entries are rational in the ``exp(v / scale)`` and exp is injective, so ``M = 0`` exactly
    when this is 0; ``cancel`` decides that in a fraction of the time ``simplify`` takes.
    """
    pos = sp.symbols(f"e_1:{len(variables) + 1}", positive=True)
    return M.subs({sp.exp(v / scale): e for v, e in zip(variables, pos, strict=True)}).applyfunc(sp.cancel)


def softmax_jacobian(K: int) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    """Jacobian of ``y = f_tau(z)``: by differentiation, and the closed form ``(diag y - y y^T) / tau``.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 5, the backward pass).

    Returns
    -------
    (J, closed, difference)
        ``difference = J - closed`` reduced as a rational function of the ``exp(z_k / tau)``: zero.

    Examples
    --------
    >>> softmax_jacobian(2)[2]
    Matrix([
    [0, 0],
    [0, 0]])
    """
    zs = sp.symbols(f"z_1:{K + 1}", real=True)
    y = [sp.exp(zk / tau) / sum(sp.exp(zi / tau) for zi in zs) for zk in zs]
    J = sp.Matrix(K, K, lambda i, j: sp.diff(y[i], zs[j]))
    Y = sp.Matrix(y)
    closed = (sp.diag(*y) - Y * Y.T) / tau
    return J, closed, _cancel_exp(J - closed, zs, tau)


def expected_value_gradient(K: int) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    """``d/dtheta_j sum_k softmax(theta)_k f_k``: by differentiation, and ``p_j (f_j - sum_k p_k f_k)``.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 6, the exact gradient).

    Returns
    -------
    (grad, closed, difference)
        ``difference = grad - closed`` reduced as a rational function of the ``exp(theta_k)``: zero.

    Examples
    --------
    >>> expected_value_gradient(3)[2].T
    Matrix([[0, 0, 0]])
    """
    thetas, fs = sp.symbols(f"theta_1:{K + 1}", real=True), sp.symbols(f"f_1:{K + 1}", real=True)
    p = [sp.exp(th) / sum(sp.exp(ti) for ti in thetas) for th in thetas]
    objective = sum(pk * fk for pk, fk in zip(p, fs, strict=True))
    grad = sp.Matrix([sp.diff(objective, th) for th in thetas])
    closed = sp.Matrix([pj * (fj - objective) for pj, fj in zip(p, fs, strict=True)])
    return grad, closed, _cancel_exp(grad - closed, thetas)
