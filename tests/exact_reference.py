"""Exact expectations for the tests: enumeration over discrete outcomes, Gauss-Legendre quadrature over the noise.

Every unbiasedness claim of notebooks 07 and 09 is checked with these instead of Monte Carlo: a sum over all
outcomes, or a quadrature whose error is at rounding level, cannot pass by luck and cannot fail by bad luck.

* :func:`iid_outcomes` lists every joint outcome of ``n`` independent draws of a discrete law (RLOO with ``n``
  samples of the ``2^D`` toy states: ``(2^D)^n`` outcomes, 4096 for ``D = 3, n = 4``).
* :func:`expect_over_uniforms` integrates a function of ``d`` independent ``U(0, 1)`` variables with tensor-product
  Gauss-Legendre rules, split at the points where the integrand jumps (``b = 1[u > 1 - sigmoid(theta)]``).
  On each piece the REBAR/RELAX integrands are rational functions of the uniforms when ``1 / tau`` is an integer,
  so the rule converges exponentially: 24 nodes per piece give the mean to ~1e-15.
* :func:`gumbel_order_probability` is the probability that the ``k`` largest of ``logits + G`` come in a given
  order, integrated in the Gumbel CDF's own uniforms ``u = exp(-e^{-z})``; with integer weights ``e^{logits}``
  the integrand is a polynomial and the nested rule is exact.
* :func:`logistic_line_integral` integrates against a logistic density on the real line (the straight-through
  limit of notebook 09), in the variable ``s = logit(w)`` with Gauss-Legendre nodes on ``[-L, 0]`` and ``[0, L]``.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import special


def gauss_legendre(a: float, b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the ``n``-point Gauss-Legendre rule on ``[a, b]`` (exact for degree ``2n - 1``)."""
    x, w = special.roots_legendre(n)
    return (b - a) / 2 * x + (a + b) / 2, (b - a) / 2 * w


def expect_over_uniforms(fn, breaks, n: int = 24):
    """``E[fn(U)]`` for ``U ~ U(0, 1)^d``, by a tensor-product Gauss-Legendre rule split at ``breaks``.

    ``breaks[j]`` lists the points of ``(0, 1)`` where the integrand may jump in coordinate ``j`` (``[]`` for
    none).  ``fn`` maps an array of points, shape ``(N, d)``, to values of shape ``(N, ...)``.
    """
    axes = []
    for cuts in breaks:
        edges = np.concatenate([[0.0], np.sort(np.asarray(cuts, dtype=float)), [1.0]])
        rules = [gauss_legendre(lo, hi, n) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        axes.append((np.concatenate([r[0] for r in rules]), np.concatenate([r[1] for r in rules])))
    nodes = np.stack(np.meshgrid(*(a[0] for a in axes), indexing="ij"), -1).reshape(-1, len(axes))
    weights = np.prod(np.stack(np.meshgrid(*(a[1] for a in axes), indexing="ij"), -1).reshape(-1, len(axes)), -1)
    values = np.asarray(fn(nodes))
    return np.tensordot(weights, values, axes=(0, 0))


def iid_outcomes(probs, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every outcome of ``n`` independent draws from ``probs``: indices ``(S^n, n)``, their probabilities ``(S^n,)``."""
    probs = np.asarray(probs, dtype=float)
    idx = np.array(list(itertools.product(range(probs.size), repeat=n)), dtype=int)
    return idx, np.prod(probs[idx], axis=1)


def gumbel_order_probability(weights, order, n: int = 16) -> float:
    """``P(the k largest of log(weights) + G are order[0] > order[1] > ... > order[k-1])``, by nested quadrature.

    With ``u_i = exp(-e^{-z_i})`` the Gumbel CDF at ``z_i = log w_i + G_i`` is ``u^{w_i}``, and the probability is
    ``int_{1 > u_1 > ... > u_k > 0} prod_j w_{o_j} u_j^{w_{o_j} - 1} * u_k^{R} du``, ``R`` the total weight of the
    items not chosen (all of them below ``z_{o_k}``).  Item ``o_j`` ranks ``j``-th iff its ``u`` is the ``j``-th
    largest, since every ``u`` is the *standard* Gumbel CDF of its ``z``.  For integer weights the integrand is a
    polynomial of degree below ``sum(weights)``: ``n`` nodes per level integrate it exactly while that is at most
    ``2n``, and fewer nodes keep the rounding error down (~1e-14).
    """
    w = np.asarray(weights, dtype=float)
    order = list(order)
    rest = w.sum() - w[order].sum()

    def level(j: int, upper: np.ndarray) -> np.ndarray:
        # integral over u_j in (0, upper) of w u^(w - 1) * (the levels below, or u^R at the last)
        t, tw = gauss_legendre(0.0, 1.0, n)
        u = upper[:, None] * t[None, :]                               # (m, n) nodes on (0, upper)
        a = w[order[j]]
        inner = u**rest if j == len(order) - 1 else level(j + 1, u.reshape(-1)).reshape(u.shape)
        return (a * u ** (a - 1) * inner * tw).sum(1) * upper

    return float(level(0, np.ones(1))[0])


def logistic_line_integral(fn, n: int = 400, half_width: float = 60.0) -> float:
    """``int fn(s) ds`` over the real line for an ``fn`` smooth on each half line and decaying like ``e^{-|s|}``.

    Gauss-Legendre on ``[-L, 0]`` and ``[0, L]`` (a jump at ``s = 0`` is allowed); beyond ``L = 60`` the tails hold
    less than ``e^{-60}``.
    """
    total = 0.0
    for lo, hi in ((-half_width, 0.0), (0.0, half_width)):
        s, w = gauss_legendre(lo, hi, n)
        total += float(w @ fn(s))
    return total
