"""Checked derivations for notebook 01: the optimal discriminator, the slide's generator loss as a
KL divergence, the three generator losses' gradients, and why a sampled token has no useful derivative.

Every function *solves* (``sp.solve``, ``sp.diff``, ``sp.integrate``) rather than typing in the
answer, and returns SymPy expressions or :class:`~lectures_lib.symbolic.core.Chain` objects that the
notebook displays and the tests assert.

Introduced in notebooks/01_motivation.ipynb (slides "a motivating example: Generative Adversarial
Training" and "consider D_phi(G_theta(z))").
"""

from __future__ import annotations

import sympy as sp

from .core import Chain

#: the discriminator's output at one point x, and the two densities there
D = sp.Symbol("D", positive=True)
P_DATA = sp.Symbol("p_data", positive=True)
P_G = sp.Symbol("p_g", positive=True)
#: relative weight of the fake term (n / m when the batch sizes are mixed up)
R = sp.Symbol("r", positive=True)
#: the discriminator's logit, D = sigmoid(s)
S = sp.Symbol("s", real=True)
#: parameters of the two Gaussians p_g = N(MU_G, SIGMA_G^2), p_data = N(MU_DATA, SIGMA_DATA^2)
X = sp.Symbol("x", real=True)
MU_G, MU_DATA = sp.symbols("mu_g mu_data", real=True)
SIGMA_G, SIGMA_DATA = sp.symbols("sigma_g sigma_data", positive=True)
#: a generator parameter and a uniform noise value (two-token example)
THETA = sp.Symbol("theta", real=True)
U = sp.Symbol("u", real=True)


def sigmoid(s: sp.Expr) -> sp.Expr:
    """``1 / (1 + exp(-s))``, the discriminator's output for logit ``s``."""
    return 1 / (1 + sp.exp(-s))


def pointwise_objective(*, slide: bool = False) -> sp.Expr:
    """What the discriminator maximises at one point ``x``: ``p_data log D + p_g log(1 - D)``.

    ``slide=True`` gives the slide's version with a minus sign, ``p_data log D - p_g log(1 - D)``.
    Introduced in notebooks/01_motivation.ipynb
    (slide "a motivating example: Generative Adversarial Training").
    """
    sign = -1 if slide else 1
    # integrand of E_{p_data}[log D] + E_{p_g}[log(1 - D)] at one x
    return P_DATA * sp.log(D) + sign * P_G * sp.log(1 - D)


def objective_derivative() -> Chain:
    """``d/dD`` of the pointwise objective, brought over one denominator (each step checked)."""
    f = pointwise_objective()
    return Chain(
        "Derivative of the discriminator's pointwise objective",
        [sp.Derivative(f, D), P_DATA / D - P_G / (1 - D), (P_DATA - (P_DATA + P_G) * D) / (D * (1 - D))],
        ["", "differentiate each log", "common denominator $D(1 - D) > 0$"],
    )


def optimal_discriminator() -> sp.Expr:
    """Solve ``d/dD [p_data log D + p_g log(1 - D)] = 0`` for ``D``: ``D* = p_data / (p_data + p_g)``.

    Examples
    --------
    >>> optimal_discriminator()
    p_data/(p_data + p_g)
    """
    solutions = sp.solve(sp.diff(pointwise_objective(), D), D)
    if len(solutions) != 1:
        raise ValueError(f"expected one stationary point, SymPy found {solutions}")
    return solutions[0]


def weighted_optimal_discriminator() -> sp.Expr:
    """Optimum of ``p_data log D + r p_g log(1 - D)``: ``p_data / (p_data + r p_g)``.

    ``r`` is the weight of the fake term relative to the real one; summing ``n`` fake terms but
    dividing by the data batch size ``m`` gives ``r = n / m`` and a biased discriminator.

    Examples
    --------
    >>> weighted_optimal_discriminator()
    p_data/(p_data + p_g*r)
    """
    f = P_DATA * sp.log(D) + R * P_G * sp.log(1 - D)
    (solution,) = sp.solve(sp.diff(f, D), D)
    return solution


def second_derivative_at_optimum() -> sp.Expr:
    """``f''(D*)``; negative for positive densities, so ``D*`` is a maximum.

    Examples
    --------
    >>> bool(second_derivative_at_optimum().is_negative)
    True
    """
    return sp.factor(sp.diff(pointwise_objective(), D, 2).subs(D, optimal_discriminator()))


def slide_objective_derivative_in_logit() -> sp.Expr:
    """``d/dD`` of the slide's objective ``p_data log D - p_g log(1 - D)``, written at ``D = sigmoid(s)``.

    It equals ``p_data (1 + e^{-s}) + p_g (1 + e^{s}) > 0`` for every ``s``: the slide's objective
    only grows as ``D -> 1``, everywhere, including on the generator's samples.

    Examples
    --------
    >>> bool(slide_objective_derivative_in_logit().is_positive)
    True
    """
    return sp.expand(sp.simplify(sp.diff(pointwise_objective(slide=True), D).subs(D, sigmoid(S))))


def slide_stationary_points() -> list[sp.Expr]:
    """Solutions of the slide's ``d/dD = 0``: ``p_data / (p_data - p_g)``, never inside ``(0, 1)``."""
    return sp.solve(sp.diff(pointwise_objective(slide=True), D), D)


def logit_of_optimal_discriminator() -> Chain:
    """``log(D* / (1 - D*)) = log(p_data / p_g)``: the optimal logit is the log density ratio."""
    # UnevaluatedExpr keeps the fractions as the student writes them (SymPy would cancel them at once)
    d_star = sp.UnevaluatedExpr(P_DATA / (P_DATA + P_G))
    return Chain(
        "The optimal discriminator's logit",
        [sp.log(d_star / (1 - d_star)), sp.log(d_star / sp.UnevaluatedExpr(P_G / (P_DATA + P_G))),
         sp.log(P_DATA / P_G)],
        ["", r"since $1 - D^* = p_g / (p_\mathrm{data} + p_g)$", r"the sums $p_\mathrm{data} + p_g$ cancel"],
    )


def slide_generator_loss_is_kl() -> Chain:
    """``E_{p_g}[-log(D*/(1 - D*))] = KL(p_g || p_data)``, as integrals over ``x``.

    The densities are undefined functions ``p_data(x)``, ``p_g(x)``; the checks compare integrands.
    """
    pd, pg = sp.Function("p_data")(X), sp.Function("p_g")(X)
    d_star = sp.UnevaluatedExpr(pd / (pd + pg))

    def integral(f):
        return sp.Integral(f, (X, -sp.oo, sp.oo))

    return Chain(
        "The slide's generator loss at the optimal discriminator",
        [integral(pg * (-sp.log(d_star / (1 - d_star)))), integral(pg * (-sp.log(pd / pg))),
         integral(pg * sp.log(pg / pd))],
        ["", r"the logit of $D^*$ is $\log(p_\mathrm{data} / p_g)$",
         r"$-\log(a/b) = \log(b/a)$: the definition of $\mathrm{KL}(p_g \,\|\, p_\mathrm{data})$"],
    )


def gaussian_densities() -> tuple[sp.Expr, sp.Expr]:
    """``(p_g(x), p_data(x))`` for ``N(mu_g, sigma_g^2)`` and ``N(mu_data, sigma_data^2)``."""
    def normal(mu, sigma):
        return sp.exp(-(X - mu) ** 2 / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)

    return normal(MU_G, SIGMA_G), normal(MU_DATA, SIGMA_DATA)


def gaussian_kl_integral() -> sp.Expr:
    """``KL(p_g || p_data) = int p_g log(p_g / p_data) dx`` for two Gaussians, integrated by SymPy.

    The log-ratio is a quadratic ``c0 + c1 x + c2 x^2``; SymPy integrates the three moments
    ``int p_g x^k dx`` separately (five times faster than integrating the whole product).

    Examples
    --------
    >>> kl = gaussian_kl_integral()
    >>> kl.subs({MU_G: 1, MU_DATA: 0, SIGMA_G: 1, SIGMA_DATA: 1})
    1/2
    """
    pg, pd = gaussian_densities()
    log_ratio = sp.Poly(sp.expand(sp.expand_log(sp.log(pg / pd), force=True)), X)
    if log_ratio.degree() > 2:
        raise ValueError(f"log(p_g / p_data) should be quadratic in x, got {log_ratio}")
    moments = [sp.integrate(pg * X**k, (X, -sp.oo, sp.oo), conds="none") for k in range(3)]
    # KL = sum_k c_k E_{p_g}[x^k]
    return sp.simplify(sum(c * moments[k] for (k,), c in log_ratio.terms()))


#: the generator losses as functions of d = D(G(z)) (all minimised by the generator)
GENERATOR_LOSSES_OF_D = {
    "minimax": lambda d: sp.log(1 - d),
    "non_saturating": lambda d: -sp.log(d),
    "logit": lambda d: -sp.log(d / (1 - d)),
}


def generator_loss_gradients() -> dict[str, dict[str, sp.Expr]]:
    """Each generator loss ``l(d)``, its derivative in the logit ``dl/ds`` written in ``d``, and the
    limit of that derivative as ``d -> 0`` (the generator is losing).

    ``dl/ds`` is found by differentiating ``l(sigmoid(s))`` in ``s`` and substituting
    ``s = log(d / (1 - d))`` back.

    Examples
    --------
    >>> g = generator_loss_gradients()
    >>> g["minimax"]["grad"], g["minimax"]["limit_d0"]
    (-D, 0)
    """
    out = {}
    for kind, loss in GENERATOR_LOSSES_OF_D.items():
        grad_s = sp.diff(loss(sigmoid(S)), S)
        # express the gradient in d: s = logit(d)
        grad_d = sp.simplify(sp.factor(sp.simplify(grad_s.subs(S, sp.log(D / (1 - D))))))
        out[kind] = {"loss": loss(D), "grad": grad_d, "limit_d0": sp.limit(grad_d, D, 0, "+")}
    return out


def two_token_example() -> dict[str, sp.Expr]:
    """Two tokens sampled by inverse CDF: ``K = 1`` iff ``u > 1 - sigmoid(theta)``, ``u ~ U(0, 1)``.

    Returns ``K`` (a Heaviside step in ``theta``), ``dK/dtheta`` (a Dirac delta: zero except at the
    jump), ``E[K] = P(U > 1 - sigmoid(theta)) = sigmoid(theta)`` and its derivative, and
    ``int_0^1 dK/dtheta du``, the whole derivative of the mean concentrated at the jump.
    """
    threshold = 1 - sigmoid(THETA)
    k = sp.Heaviside(U - threshold)
    dk = sp.diff(k, THETA)
    # Heaviside(u - c) is 0 for u < c and 1 above, so its mean over U(0, 1) is the length 1 - c
    mean = sp.integrate(1, (U, threshold, 1))
    return {"K": k, "dK": dk, "E": sp.simplify(mean), "dE": sp.diff(mean, THETA),
            "int_dK": sp.integrate(dk, (U, 0, 1))}
