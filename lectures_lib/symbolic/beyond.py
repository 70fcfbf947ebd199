"""SymPy checks of notebook 09: why baselines keep the score function unbiased, the RLOO weights,
and the Plackett-Luce probabilities of Gumbel-top-k.

Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").
"""

from __future__ import annotations

import itertools

import sympy as sp

from .core import Chain

theta, c = sp.symbols("theta c", real=True)
f0, f1 = sp.symbols("f_0 f_1", real=True)
sigma = sp.Symbol("sigma", positive=True)  # sigma = sigmoid(theta) = P(b = 1), displayed as a symbol
p = 1 / (1 + sp.exp(-theta))  # the same, as a function of theta, for the derivatives


def _score(b: int) -> sp.Expr:
    """d/dtheta log p(b | theta) for one Bernoulli, written in sigma: ``1 - sigma`` for b = 1, ``-sigma`` for b = 0."""
    in_theta = sp.diff(sp.log(p if b else 1 - p), theta)
    in_sigma = 1 - sigma if b else -sigma
    # the displayed form is the derivative: checked here, every time it is used
    assert sp.simplify(in_theta - in_sigma.subs(sigma, p)) == 0
    return in_sigma


def score_mean_chain() -> Chain:
    """``E[s] = sum_b p(b) d log p(b)/d theta = 0`` for a Bernoulli with logit ``theta``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").

    Examples
    --------
    >>> score_mean_chain().all_hold()
    True
    """
    lines = [sp.Add(sp.Mul(sigma, _score(1), evaluate=False), sp.Mul(1 - sigma, _score(0), evaluate=False),
                    evaluate=False),
             sp.Integer(0)]
    return Chain(r"The score has mean zero, $\mathbb E[s] = 0$", lines,
                 ["", r"$\partial_\theta \log\sigma = 1 - \sigma$ and "
                      r"$\partial_\theta \log(1 - \sigma) = -\sigma$ cancel"])


def constant_baseline_chain() -> Chain:
    """``E[(f(b) - c) s] = d/dtheta E[f]`` for every constant ``c``, one Bernoulli, costs ``f_0, f_1``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").

    Notes
    -----
    The last line is ``dE[f]/dtheta = d/dtheta [sigma f_1 + (1 - sigma) f_0]`` with ``sigma' = sigma (1 - sigma)``;
    that step is checked in ``theta`` here.

    Examples
    --------
    >>> constant_baseline_chain().all_hold()
    True
    """
    gradient = sp.diff(p * f1 + (1 - p) * f0, theta)
    last = sigma * (1 - sigma) * (f1 - f0)
    assert sp.simplify(gradient - last.subs(sigma, p)) == 0
    lines = [sp.Add(sp.Mul(sigma, f1 - c, _score(1), evaluate=False), sp.Mul(1 - sigma, f0 - c, _score(0),
                                                                              evaluate=False), evaluate=False),
             last]
    return Chain(r"Any constant baseline $c$ leaves the mean unchanged", lines,
                 ["", r"$c$ cancels; this is $\partial_\theta(\sigma f_1 + (1 - \sigma) f_0)$, "
                      r"as $\sigma' = \sigma(1 - \sigma)$"])


def rloo_weight_identity() -> Chain:
    """``f_i - (S - f_i) / (n - 1) = n / (n - 1) (f_i - S / n)`` with ``S = sum_j f_j``, for symbolic ``n``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").

    Examples
    --------
    >>> rloo_weight_identity().all_hold()
    True
    """
    n = sp.symbols("n", integer=True, positive=True)
    fi, S = sp.symbols("f_i S", real=True)
    lines = [fi - (S - fi) / (n - 1), ((n - 1) * fi - S + fi) / (n - 1), n / (n - 1) * (fi - S / n)]
    return Chain(r"The leave-one-out centred cost is the mean-centred cost times $n/(n-1)$", lines,
                 ["", "one fraction", r"factor out $n$"])


def rloo_expectation(n: int = 2) -> sp.Expr:
    """Exact mean of the ``n``-sample RLOO estimate for one Bernoulli (``2^n`` joint outcomes summed).

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").

    Returns
    -------
    sympy.Expr
        ``E[(1/n) sum_i (f(b_i) - mean_{j != i} f(b_j)) s_i]`` minus ``d/dtheta E[f]``, simplified: 0.

    Examples
    --------
    >>> rloo_expectation(3)
    0
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    cost, prob = {0: f0, 1: f1}, {0: 1 - sigma, 1: sigma}
    total = sp.Integer(0)
    for bs in itertools.product((0, 1), repeat=n):
        weight = sp.Mul(*(prob[b] for b in bs))
        estimate = sum((cost[b] - sum(cost[o] for j, o in enumerate(bs) if j != i) / (n - 1)) * _score(b)
                       for i, b in enumerate(bs)) / n
        total += weight * estimate
    return sp.simplify(total - sigma * (1 - sigma) * (f1 - f0))   # the exact gradient (constant_baseline_chain)


def plackett_luce_total(n: int, k: int) -> sp.Expr:
    """Sum of the Plackett-Luce probabilities of all ordered ``k``-subsets of ``n`` items, with symbolic weights.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "4. Gumbel-top-k").

    Notes
    -----
    ``P(i_1, ..., i_k) = prod_j w_{i_j} / (W - w_{i_1} - ... - w_{i_{j-1}})`` with ``w = e^{logits}``, ``W = sum w``.

    Examples
    --------
    >>> plackett_luce_total(3, 2)
    1
    """
    if not (isinstance(n, int) and isinstance(k, int) and 1 <= k <= n <= 6):
        raise ValueError(f"need integers 1 <= k <= n <= 6, got n = {n!r}, k = {k!r}")
    w = sp.symbols(f"w1:{n + 1}", positive=True)
    W = sum(w)
    total = sp.Integer(0)
    for order in itertools.permutations(range(n), k):
        term, left = sp.Integer(1), W
        for i in order:
            term *= w[i] / left
            left -= w[i]
        total += term
    return sp.factor(sp.together(total))
