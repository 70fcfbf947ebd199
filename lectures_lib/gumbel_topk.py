"""Gumbel-top-k: ``k`` items without replacement from one Gumbel per item, and an estimator that uses them.

The ``k`` largest of ``logits + G`` (``G`` i.i.d. standard Gumbel), in decreasing order, are an ordered
sample without replacement: item ``i_1 ~ softmax(logits)``, then ``i_2 ~ softmax`` over the rest, ...
(the Plackett-Luce law; Yellott 1977, Kool, van Hoof & Welling 2019).  The unordered set it gives
feeds the *unordered set estimator* (Kool et al. 2020), unbiased for ``E_{i ~ softmax}[g(i)]``.

Introduced in notebooks/09_beyond_the_slides.ipynb (section "4. Gumbel-top-k").
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import special

from . import _validate as check
from .gumbel import sample_gumbel

MAX_ENUMERATED = 200_000  # ordered k-subsets enumerated at most (n = 10, k = 5 has 30 240)


def _logits(logits) -> np.ndarray:
    mu = check.finite("logits", logits)
    if mu.ndim != 1 or mu.size < 1:
        raise ValueError(f"logits must have shape (n,) with n >= 1, got shape {mu.shape}")
    return mu


def _k(k, n: int) -> int:
    k = check.integer("k", k, minimum=1)
    if k > n:
        raise ValueError(f"k must be <= the number of items {n}, got {k}")
    return k


def gumbel_top_k(logits, k: int, rng: np.random.Generator, size=()) -> np.ndarray:
    """Indices of the ``k`` largest ``logits + G``, largest first: ``k`` draws without replacement.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "4. Gumbel-top-k").

    Parameters
    ----------
    logits : array_like, shape (n,)
    k : int, 1 <= k <= n
    rng : numpy.random.Generator
    size : int or tuple, optional
        Number (shape) of independent draws.

    Returns
    -------
    ndarray of int, shape ``size + (k,)``

    Notes
    -----
    ``k = 1`` is the Gumbel-max trick.  ``argpartition`` finds the top ``k`` in ``O(n)`` and only those
    ``k`` are sorted.

    Examples
    --------
    >>> gumbel_top_k([0.0, 50.0, 100.0], 2, np.random.default_rng(0)).tolist()
    [2, 1]
    """
    mu = _logits(logits)
    k = _k(k, mu.size)
    shape = check.shape("size", size)
    y = mu + sample_gumbel(check.generator(rng), shape + mu.shape)      # one Gumbel per item
    top = np.argpartition(-y, k - 1, axis=-1)[..., :k]                 # the k largest, unordered
    order = np.argsort(-np.take_along_axis(y, top, -1), axis=-1)        # ... then sorted, largest first
    return np.take_along_axis(top, order, -1)


def plackett_luce_log_prob(ordered, logits) -> np.ndarray:
    """Log probability of an ordered sample without replacement (the Plackett-Luce law).

    ``log P(i_1, ..., i_k) = sum_j [mu_{i_j} - log sum_{r not in i_<j} e^{mu_r}]``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "4. Gumbel-top-k").

    Parameters
    ----------
    ordered : array_like of int, shape (..., k)
        Distinct item indices, first drawn first.
    logits : array_like, shape (n,)

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> float(np.exp(plackett_luce_log_prob([0, 1], np.log([0.5, 0.25, 0.25]))))   # 0.5 * 0.25 / 0.5
    0.25
    """
    mu = _logits(logits)
    idx = np.asarray(ordered)
    if not np.issubdtype(idx.dtype, np.integer) or idx.ndim < 1 or np.any((idx < 0) | (idx >= mu.size)):
        raise ValueError(f"ordered must be integer indices in [0, {mu.size - 1}] with shape (..., k), "
                         f"got {check._show(idx)}")
    _k(idx.shape[-1], mu.size)
    if np.any(np.diff(np.sort(idx, -1), axis=-1) == 0):
        raise ValueError(f"ordered must not repeat an item (sampling without replacement), got {check._show(idx)}")
    # the items still available before draw j: remove the earlier draws from the log-sum-exp
    available = np.ones(idx.shape[:-1] + mu.shape, dtype=bool)
    out = np.zeros(idx.shape[:-1])
    for j in range(idx.shape[-1]):
        masked = np.where(available, mu, -np.inf)
        out += mu[idx[..., j]] - special.logsumexp(masked, axis=-1)
        np.put_along_axis(available, idx[..., j:j + 1], False, -1)
    return out


def ordered_subsets(n: int, k: int) -> np.ndarray:
    """All ordered ``k``-subsets of ``range(n)``, shape ``(n! / (n - k)!, k)``, in lexicographic order.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "4. Gumbel-top-k").

    Examples
    --------
    >>> ordered_subsets(3, 2).tolist()
    [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]
    """
    n = check.integer("n", n, minimum=1)
    k = _k(k, n)
    count = int(np.prod(np.arange(n - k + 1, n + 1)))
    if count > MAX_ENUMERATED:
        raise ValueError(f"n = {n}, k = {k} has {count} ordered subsets, more than {MAX_ENUMERATED} to enumerate")
    return np.array(list(itertools.permutations(range(n), k)), dtype=int).reshape(count, k)


def unordered_set_log_prob(subset, logits) -> np.ndarray:
    """``log P(S)`` of an unordered set: the log-sum-exp of the Plackett-Luce log-probabilities of its ``k!`` orders.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "4. Gumbel-top-k").

    Examples
    --------
    >>> round(float(np.exp(unordered_set_log_prob([0, 1], np.zeros(3)))), 6)     # 2 orderings of 1/3 * 1/2
    0.333333
    """
    idx = np.asarray(subset)
    if idx.ndim < 1:
        raise ValueError(f"subset must have shape (..., k), got {check._show(idx)}")
    perms = np.array(list(itertools.permutations(range(idx.shape[-1]))), dtype=int)   # (k!, k)
    return special.logsumexp(plackett_luce_log_prob(idx[..., perms], logits), axis=-1)


def unordered_set_estimate(subset, logits, values) -> np.ndarray:
    """The unordered set estimator ``sum_{s in S} p(s) P^{D minus s}(S minus s) / P(S) g(s)`` (Kool et al. 2020).

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "4. Gumbel-top-k").

    Parameters
    ----------
    subset : array_like of int, shape (..., k)
        A sample without replacement (e.g. from :func:`gumbel_top_k`); its order does not matter.
    logits : array_like, shape (n,)
        ``p = softmax(logits)``.
    values : array_like, shape (n,) or (n, m)
        ``g(i)`` for every item (``m`` components, e.g. ``f(i) d log p(i) / d logits``).

    Returns
    -------
    ndarray, shape (...) or (..., m): unbiased for ``sum_i p(i) g(i)``.

    Notes
    -----
    ``P^{D minus s}(S minus s)`` is the probability of the rest of the set when ``s`` is removed from
    the items (``P(S | s drawn first)``).  Summed over all sets,
    ``sum_S P(S) sum_{s in S} p(s) P(S minus s | s first) / P(S) g(s) = sum_s p(s) g(s)``, because the sets
    containing ``s`` have conditional probabilities summing to 1.  With ``k = 1`` it is the single-sample ``g(i)``.

    Examples
    --------
    >>> float(unordered_set_estimate([0, 1, 2], np.zeros(3), [1.0, 2.0, 6.0]))   # k = n: the exact mean
    3.0
    """
    mu = _logits(logits)
    g = check.finite("values", values)
    if g.shape[:1] != mu.shape or g.ndim > 2:
        raise ValueError(f"values must have shape ({mu.size},) or ({mu.size}, m), got shape {g.shape}")
    idx = np.asarray(subset)
    if idx.ndim < 1:
        raise ValueError(f"subset must have shape (..., k), got {check._show(idx)}")
    perms = np.array(list(itertools.permutations(range(idx.shape[-1]))), dtype=int)   # (k!, k)
    log_pl = plackett_luce_log_prob(idx[..., perms], mu)                  # (..., k!) every ordering of S
    log_p_set = special.logsumexp(log_pl, axis=-1, keepdims=True)         # log P(S)
    # p(s) P(S minus s | s first) = the probability of the orderings of S that start with s
    first = perms[:, 0] == np.arange(idx.shape[-1])[:, None]              # (k, k!)
    weights = np.exp(special.logsumexp(np.where(first, log_pl[..., None, :], -np.inf), axis=-1) - log_p_set)
    picked = g[idx]                                                       # (..., k) or (..., k, m)
    return (weights.reshape(weights.shape + (1,) * (g.ndim - 1)) * picked).sum(idx.ndim - 1)
