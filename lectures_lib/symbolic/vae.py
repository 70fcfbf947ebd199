"""SymPy derivations for the VAE lecture: the ELBO identity and the Gaussian KL, checked line by line.

Two kinds of expectation appear in the slides:

* :class:`Expect` is an abstract ``E_{z ~ Q(z|X)}[.]`` over unknown densities.  ``sp.expand``
  applies linearity and pulls out factors that do not depend on ``z`` -- exactly the rules the
  slide's ELBO derivation uses -- so ``Chain`` and :func:`equation_residual` can check each line.
* :class:`GaussianExpect` is ``E_{z ~ N(m, v)}[f(z)]`` for a polynomial ``f``.  ``sp.expand``
  evaluates it by the re-parameterisation ``z = m + sqrt(v) eps`` and the moments of
  ``eps ~ N(0, 1)``, which SymPy integrates once.  (Integrating ``f`` against the density
  directly gives the same answer but takes SymPy ~30 s.)

Introduced in ``notebooks/06_vae.ipynb``.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from .core import Chain

z = sp.Symbol("z", real=True)
eps = sp.Symbol("epsilon", real=True)


class _Density(sp.Function):
    """An unknown positive density of ``z``, printed with its conditioning (``Q(z|X)``)."""

    label = "?"

    def _eval_is_positive(self):
        return True

    def _latex(self, printer, exp=None):
        return self.label if exp is None else rf"{self.label}^{{{exp}}}"


class Q(_Density):
    label = "Q(z|X)"


class PXz(_Density):
    label = "P(X|z)"


class Pz(_Density):
    label = "P(z)"


class Pzx(_Density):
    label = "P(z|X)"


PX = sp.Symbol("P(X)", positive=True)
KL_POSTERIOR = sp.Symbol(r"\mathrm{KL}\big(Q(z|X)\,\|\,P(z|X)\big)")
KL_PRIOR = sp.Symbol(r"\mathrm{KL}\big(Q(z|X)\,\|\,P(z)\big)")


class Expect(sp.Function):
    """``E_{z ~ Q(z|X)}[arg]``; ``expand`` applies linearity and ``E[c] = c`` for z-free ``c``."""

    nargs = 1

    def _eval_expand_basic(self, **hints):
        arg = sp.expand(sp.expand_log(sp.expand(self.args[0]), force=True))
        out = sp.Integer(0)
        for term in sp.Add.make_args(arg):
            const, rest = term.as_independent(z, as_Add=False)
            out += const * (Expect(rest) if rest != 1 else 1)
        return out

    def _latex(self, printer, exp=None):
        inner = printer._print_Add(self.args[0], order="none") if self.args[0].is_Add else printer._print(
            self.args[0])
        return rf"\mathbb{{E}}_{{z\sim Q(z|X)}}\left[{inner}\right]"


def _add(*terms) -> sp.Expr:
    """A sum kept in the slide's order (display only; checks do not depend on the order)."""
    return sp.Add(*terms, evaluate=False)


def elbo_derivation() -> list[sp.Eq]:
    """The slide "real example on variational auto-encoder", one ``Eq`` per displayed line.

    Lines 3 and 4 are identical on the slide (erratum E06.1); the list keeps both.  Lines 1-5
    share the left side ``KL(Q(z|X) || P(z|X))``.
    """
    lq, lxz, lz, lx = sp.log(Q(z)), sp.log(PXz(z)), sp.log(Pz(z)), sp.log(PX)
    kl = KL_POSTERIOR
    line3 = Expect(_add(lq, -lxz, -lz, lx))
    return [
        sp.Eq(kl, Expect(_add(lq, -sp.log(PXz(z) * Pz(z) / PX, evaluate=False)))),
        sp.Eq(kl, Expect(_add(lq, sp.Mul(-1, _add(lxz, lz, -lx), evaluate=False)))),
        sp.Eq(kl, line3),
        sp.Eq(kl, line3),
        sp.Eq(kl, _add(Expect(_add(lq, -lxz, -lz)), lx)),
        sp.Eq(_add(kl, -lx), Expect(_add(lq, -lxz, -lz))),
        sp.Eq(_add(lx, -kl), _add(Expect(lxz), -Expect(_add(lq, -lz)))),
        sp.Eq(_add(lx, -kl), _add(Expect(lxz), -KL_PRIOR)),
    ]


def elbo_definitions() -> dict:
    """What the symbols mean: KL as an expectation, and Bayes' rule ``P(z|X) = P(X|z) P(z) / P(X)``."""
    return {KL_POSTERIOR: Expect(sp.log(Q(z)) - sp.log(PXz(z) * Pz(z) / PX)),
            KL_PRIOR: Expect(sp.log(Q(z)) - sp.log(Pz(z)))}


def equation_residual(eq: sp.Eq, definitions: dict | None = None) -> sp.Expr:
    """``lhs - rhs`` after substituting ``definitions`` and expanding expectations; 0 if the line holds."""
    defs = elbo_definitions() if definitions is None else definitions
    return sp.simplify(sp.expand((eq.lhs - eq.rhs).subs(defs)))


# ---------------------------------------------------------------------------- Gaussian expectations


@cache
def standard_normal_moment(k: int) -> sp.Expr:
    """``E[eps^k]`` for ``eps ~ N(0, 1)``, integrated by SymPy (0, 1, 0, 1, 0, 3, ...)."""
    if not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be an integer >= 0, got {k!r}")
    return sp.integrate(eps**k * sp.exp(-(eps**2) / 2) / sp.sqrt(2 * sp.pi), (eps, -sp.oo, sp.oo))


def gaussian_expectation(expr: sp.Expr, var: sp.Symbol, mean: sp.Expr, variance: sp.Expr) -> sp.Expr:
    """``E[expr]`` with ``var ~ N(mean, variance)``, for ``expr`` polynomial in ``var``.

    Re-parameterise ``var = mean + sqrt(variance) eps`` and replace ``eps^k`` by its moment.
    """
    poly = sp.Poly(sp.expand(expr.subs(var, mean + sp.sqrt(variance) * eps)), eps)
    return sp.expand(sum(c * standard_normal_moment(m[0]) for m, c in poly.terms()))


class GaussianExpect(sp.Function):
    """``E_{var ~ N(mean, variance)}[expr]``, unevaluated until ``sp.expand``."""

    nargs = 4

    def _eval_expand_basic(self, **hints):
        return gaussian_expectation(*self.args)

    def _latex(self, printer, exp=None):
        f, var, mean, variance = (printer._print(a) for a in self.args)
        return rf"\mathbb{{E}}_{{{var}\sim\mathcal{{N}}({mean},\,{variance})}}\left[{f}\right]"


def log_normal(t: sp.Expr, mean: sp.Expr, variance: sp.Expr) -> sp.Expr:
    """``log N(t; mean, variance) = -(t - mean)^2 / (2 variance) - log(2 pi variance) / 2``."""
    return -((t - mean) ** 2) / (2 * variance) - sp.log(2 * sp.pi * variance) / 2


# ------------------------------------------------------------------------------------- Gaussian KL

mu1, mu2 = sp.symbols("mu_1 mu_2", real=True)
sigma1, sigma2 = sp.symbols("sigma_1 sigma_2", positive=True)


def univariate_kl_chain() -> Chain:
    """``KL(N(mu_1, sigma_1^2) || N(mu_2, sigma_2^2))``: the slide's four lines in one dimension.

    Line 0 is the definition ``E_q[log q - log p]``; every ``=`` is checked by ``Chain.check``.
    """
    v1, v2 = sigma1**2, sigma2**2
    half = sp.Rational(1, 2)
    log_ratio = half * sp.log(v2 / v1)
    return Chain(
        "KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)), one dimension",
        [
            GaussianExpect(log_normal(z, mu1, v1) - log_normal(z, mu2, v2), z, mu1, v1),
            GaussianExpect(_add(log_ratio, -(z - mu1) ** 2 / (2 * v1), (z - mu2) ** 2 / (2 * v2)), z, mu1, v1),
            _add(log_ratio, -half * GaussianExpect((z - mu1) ** 2, z, mu1, v1) / v1,
                 half * GaussianExpect((z - mu2) ** 2, z, mu1, v1) / v2),
            _add(log_ratio, -half, half * (mu1 - mu2) ** 2 / v2, half * v1 / v2),
            half * _add(sp.log(v2 / v1), -1, v1 / v2, (mu2 - mu1) ** 2 / v2),
        ],
        notes=["", "log-densities written out", "linearity of E",
               r"$\mathbb{E}[(z-\mu_1)^2] = \sigma_1^2$, $\mathbb{E}[(z-\mu_2)^2] = \sigma_1^2 + (\mu_1-\mu_2)^2$",
               "collect ½ (the slide's last line)"],
    )


def univariate_kl() -> sp.Expr:
    """The derived closed form: the definition ``E_q[log q - log p]`` evaluated and simplified."""
    return sp.simplify(sp.expand(univariate_kl_chain().lines[0]))


def mvn_kl_formula(m1: sp.Matrix, S1: sp.Matrix, m2: sp.Matrix, S2: sp.Matrix) -> sp.Expr:
    """The slide's last line: ``1/2 [log |S2|/|S1| - d + tr(S2^-1 S1) + (m2 - m1)^T S2^-1 (m2 - m1)]``."""
    d, S2inv, dm = S1.shape[0], S2.inv(), m2 - m1
    return sp.Rational(1, 2) * (sp.log(S2.det() / S1.det()) - d + (S2inv * S1).trace() + (dm.T * S2inv * dm)[0])


def _mvn_expectation(expr: sp.Expr, xs: list, m: sp.Matrix, L: sp.Matrix) -> sp.Expr:
    """``E[expr]`` for ``x = m + L eps``, ``eps ~ N(0, I)``: expand, then ``E[prod eps_i^k_i] = prod m_k``."""
    es = sp.symbols(f"e_1:{len(xs) + 1}", real=True)
    sub = {x: m[i] + sum(L[i, j] * es[j] for j in range(len(xs))) for i, x in enumerate(xs)}
    poly = sp.Poly(sp.expand(expr.subs(sub)), *es)
    return sp.expand(sum(c * sp.Mul(*(standard_normal_moment(k) for k in ks)) for ks, c in poly.terms()))


def mvn_kl_lines(d: int = 2) -> list[tuple[str, sp.Expr]]:
    """The slide "KL between two Gaussian distributions" for general ``d``-dimensional Gaussians.

    Returns ``(latex, expr)`` per line: the line as displayed (corrected where the slide is
    wrong: ``tr{I_d} = d`` for the slide's ``tr{I_sigma}``, erratum E06.3) and the same line
    written out with explicit symbolic ``d x d`` matrices ``Sigma_i = L_i L_i^T`` (any
    positive-definite matrix has this form), so that consecutive lines
    can be compared with ``simplify``.  Line 0 is the definition ``E_{x~N1}[log N1(x) - log N2(x)]``.
    """
    if not isinstance(d, int) or not 1 <= d <= 3:
        raise ValueError(f"d must be 1, 2 or 3 (symbolic cost grows fast), got {d!r}")
    xs = sp.Matrix(sp.symbols(f"x_1:{d + 1}", real=True))
    m1, m2 = (sp.Matrix(sp.symbols(f"{n}_1:{d + 1}", real=True)) for n in ("a", "b"))

    def lower(name):
        return sp.Matrix(d, d, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", positive=(i == j), real=True)
                         if j <= i else 0)

    L1, L2 = lower("l"), lower("r")
    S1, S2 = L1 * L1.T, L2 * L2.T
    S1inv, S2inv = S1.inv(), S2.inv()
    E = lambda f: _mvn_expectation(f, list(xs), m1, L1)  # noqa: E731  E over x ~ N(m1, S1)

    def log_n(m, S):
        return -(((xs - m).T * S.inv() * (xs - m))[0]) / 2 - sp.log((2 * sp.pi) ** d * S.det()) / 2

    half = sp.Rational(1, 2)
    half_log = half * sp.log(S2.det() / S1.det())
    q1 = ((xs - m1).T * S1inv * (xs - m1))[0]
    q2 = ((xs - m2).T * S2inv * (xs - m2))[0]
    outer = sp.Matrix(d, d, lambda i, j: E((xs[i] - m1[i]) * (xs[j] - m1[j])))  # E[(x-mu1)(x-mu1)^T]
    dm = m1 - m2
    return [
        (r"\mathbb{E}_{x\sim\mathcal{N}_1}\big[\log\mathcal{N}(x;\mu_1,\Sigma_1)-\log\mathcal{N}(x;\mu_2,\Sigma_2)\big]",
         E(log_n(m1, S1) - log_n(m2, S2))),
        (r"\int_x\Big[\tfrac12\log\tfrac{|\Sigma_2|}{|\Sigma_1|}-\tfrac12(x-\mu_1)^T\Sigma_1^{-1}(x-\mu_1)"
         r"+\tfrac12(x-\mu_2)^T\Sigma_2^{-1}(x-\mu_2)\Big]p(x)\,dx", E(half_log - half * q1 + half * q2)),
        (r"\tfrac12\log\tfrac{|\Sigma_2|}{|\Sigma_1|}-\tfrac12\operatorname{tr}\big\{\mathbb{E}[(x-\mu_1)(x-\mu_1)^T]"
         r"\Sigma_1^{-1}\big\}+\tfrac12\mathbb{E}[(x-\mu_2)^T\Sigma_2^{-1}(x-\mu_2)]",
         half_log - half * (outer * S1inv).trace() + half * E(q2)),
        (r"\tfrac12\log\tfrac{|\Sigma_2|}{|\Sigma_1|}-\tfrac12\operatorname{tr}\{I_d\}"
         r"+\tfrac12(\mu_1-\mu_2)^T\Sigma_2^{-1}(\mu_1-\mu_2)+\tfrac12\operatorname{tr}\{\Sigma_2^{-1}\Sigma_1\}",
         half_log - half * sp.eye(d).trace() + half * (dm.T * S2inv * dm)[0] + half * (S2inv * S1).trace()),
        (r"\tfrac12\Big[\log\tfrac{|\Sigma_2|}{|\Sigma_1|}-d+\operatorname{tr}\{\Sigma_2^{-1}\Sigma_1\}"
         r"+(\mu_2-\mu_1)^T\Sigma_2^{-1}(\mu_2-\mu_1)\Big]", mvn_kl_formula(m1, S1, m2, S2)),
    ]


def second_moment_times_inverse(d: int = 2) -> sp.Matrix:
    """``E[(x - mu_1)(x - mu_1)^T] Sigma_1^{-1}`` for ``x ~ N(mu_1, Sigma_1)``: the slide's ``I_sigma``."""
    xs = list(sp.symbols(f"x_1:{d + 1}", real=True))
    m1 = sp.Matrix(sp.symbols(f"a_1:{d + 1}", real=True))
    L1 = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"l_{i + 1}{j + 1}", positive=(i == j), real=True) if j <= i else 0)
    outer = sp.Matrix(d, d, lambda i, j: _mvn_expectation((xs[i] - m1[i]) * (xs[j] - m1[j]), xs, m1, L1))
    return sp.simplify(outer * (L1 * L1.T).inv())


def diagonal_kl_chain(d: int = 3) -> Chain:
    """The slide's last four lines with ``Sigma(X) = diag(sigma_1^2, ..., sigma_d^2)``, ``mu_2 = 0``, ``Sigma_2 = I``.

    Line 0 is :func:`mvn_kl_formula` with those substitutions; the sums run over the diagonal
    entries ``sigma_k^2`` (the slide writes ``Sigma(X)`` inside them, erratum E06.5); ``mu_2 = 0``, not
    the slide's ``mu_2 = 1``, is erratum E06.4.
    """
    mu = sp.Matrix(sp.symbols(f"mu_1:{d + 1}", real=True))
    var = sp.symbols(f"sigma_1:{d + 1}", positive=True)
    v = [s**2 for s in var]
    S = sp.diag(*v)
    half = sp.Rational(1, 2)
    s_var, s_mu, s_one = _add(*v), _add(*(m**2 for m in mu)), _add(*([sp.Integer(1)] * d))
    return Chain(
        "KL(N(μ, diag σ²) ‖ N(0, I)), d = 3",
        [
            mvn_kl_formula(mu, S, sp.zeros(d, 1), sp.eye(d)),
            half * _add(S.trace(), (mu.T * mu)[0], -d, -sp.log(S.det())),
            half * _add(s_var, s_mu, -s_one, -sp.log(sp.Mul(*v, evaluate=False))),
            half * _add(s_var, s_mu, -s_one, -_add(*(sp.log(x) for x in v))),
            half * _add(*(_add(x, m**2, -1, -sp.log(x)) for x, m in zip(v, mu, strict=True))),
        ],
        notes=["", "μ₂ = 0, Σ₂ = I", "Σ diagonal: trace = sum, det = product of the σₖ²",
               "log of a product", "one sum over k"],
    )


# ------------------------------------------------------------------ exact example: linear Gaussian

x_obs, w, m_q = sp.symbols("x w m", real=True)
s, v_q = sp.symbols("s v", positive=True)


def linear_gaussian_model() -> dict:
    """``z ~ N(0, 1)``, ``x|z ~ N(w z, s^2)``, ``q = N(m, v)``: posterior, evidence and ELBO, derived.

    Returns a dict of SymPy expressions: ``log_joint``, ``posterior_mean``, ``posterior_var``
    (completing the square in z), ``log_evidence`` (Bayes' rule rearranged; free of z),
    ``elbo`` (``E_q[log p(x, z) - log q(z)]`` evaluated) and ``gap_kl`` (``KL(q || p(z|x))``).
    """
    log_joint = log_normal(x_obs, w * z, s**2) + log_normal(z, 0, 1)
    a, b, _ = sp.Poly(sp.expand(log_joint), z).all_coeffs()  # a z^2 + b z + c
    post_var = sp.simplify(-1 / (2 * a))
    post_mean = sp.simplify(-b / (2 * a))
    log_evidence = sp.simplify(sp.expand(log_joint - log_normal(z, post_mean, post_var)))
    elbo = gaussian_expectation(log_joint - log_normal(z, m_q, v_q), z, m_q, v_q)
    gap = univariate_kl().subs({mu1: m_q, sigma1: sp.sqrt(v_q), mu2: post_mean, sigma2: sp.sqrt(post_var)},
                               simultaneous=True)
    return {"log_joint": log_joint, "posterior_mean": post_mean, "posterior_var": post_var,
            "log_evidence": log_evidence, "elbo": elbo, "gap_kl": gap}


# --------------------------------------------------------------------- the VAE's local gradients

def vae_gradient_rules() -> list[tuple[sp.Expr, sp.Expr]]:
    """``(derivative, closed form)`` pairs used by the hand-written backward pass of ``lectures_lib.vae``.

    For one pixel with logit ``l`` and count ``k`` of ``n`` trials, and one latent dimension with
    ``z = mu + exp(lambda / 2) eps`` (``lambda = log sigma^2``).  Each pair is equal; the tests and
    the notebook check it with ``simplify``.
    """
    logit, k, n, lam, e = sp.symbols("l k n lambda epsilon", real=True)
    mu = sp.Symbol("mu", real=True)
    rec = n * sp.log(1 + sp.exp(logit)) - k * logit  # -log Binomial(k; n, sigmoid(l)) + const
    kl = (sp.exp(lam) + mu**2 - 1 - lam) / 2
    zz = mu + sp.exp(lam / 2) * e
    return [
        (sp.Derivative(rec, logit), n / (1 + sp.exp(-logit)) - k),
        (sp.Derivative(kl, mu), mu),
        (sp.Derivative(kl, lam), (sp.exp(lam) - 1) / 2),
        (sp.Derivative(zz, mu), sp.Integer(1)),
        (sp.Derivative(zz, lam), e * sp.exp(lam / 2) / 2),
    ]


def latex(expr) -> str:
    """LaTeX of ``expr`` with sums in the order they were written (the slide's order)."""
    return sp.latex(expr, order="none")
