"""The Gumbel distribution, softmax and the Gumbel-max trick.

The Gumbel here is the *max*-Gumbel (``scipy.stats.gumbel_r``): the law of the largest of many
light-tailed variables.  In standard form (``loc=0, scale=1``)::

    pdf(z) = exp(-z - exp(-z)),    cdf(z) = exp(-exp(-z)),    ppf(u) = -log(-log(u))

and ``x = loc + scale * z``.  Introduced in ``notebooks/02_gumbel_distribution.ipynb``
(slides "Gumbel-max trick and Softmax (1)" and "sample a Gumbel"); the Gumbel-max trick in
``notebooks/03_gumbel_max_trick.ipynb`` (slide "Gumbel-max trick and Softmax (2)").
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as check
from .fast_gumbel import race_argmin, race_rates

# Smallest and largest uniforms we let into -log(-log(u)).  rng.random() returns values in
# [0, 1 - 2**-53]; u == 0 would give G = -inf (and a divide-by-zero warning).  Raising u to the
# smallest normal double keeps G >= -log(-log(2.2e-308)) = -6.56, while the top end gives
# G <= -log(2**-53) = 36.7, so every sample is finite.  The probability mass moved is 2**-53.
_U_MIN = np.finfo(np.float64).tiny
#: numbers per block of the samplers' noise buffers (131072 float64 = 1 MiB, with their float32 screens): fewer
#: blocks save Python's per-call overhead, which outweighed the L2 misses on 2-core AMD EPYC (bench/samplers.py)
_BLOCK = 131_072


def _standardise(x, loc, scale):
    x = check.as_float_array("x", x)
    loc = check.finite("loc", loc)
    scale = check.positive("scale", scale)
    return (x - loc) / scale, scale


def gumbel_logpdf(x, loc=0.0, scale=1.0) -> np.ndarray:
    """Log-density of the Gumbel (max) distribution.

    Parameters
    ----------
    x : array_like
        Points at which to evaluate; ``+-inf`` allowed.
    loc : array_like, optional
        Location ``mu`` (the mode), finite.  Default 0.
    scale : array_like, optional
        Scale ``beta > 0``.  Default 1.

    Returns
    -------
    ndarray
        ``log pdf(x)``, broadcast over ``x``, ``loc`` and ``scale``.

    Notes
    -----
    With ``z = (x - loc) / scale``: ``log pdf = -log(scale) - z - exp(-z)``.  Computing in
    log-space keeps full precision in both tails, where ``pdf`` itself underflows to 0.

    Examples
    --------
    >>> float(gumbel_logpdf(0.0))  # -0 - exp(0)
    -1.0
    """
    z, scale = _standardise(x, loc, scale)
    # exp(-z) overflows to +inf only when z < -709, where the true log-density is below -1e308:
    # -inf is then the correctly rounded answer, so the overflow warning is noise.
    with np.errstate(over="ignore", invalid="ignore"):
        out = -np.log(scale) - z - np.exp(-z)
    # z = +inf gives -inf - 0 (fine); z = -inf gives +inf - inf = nan, whose limit is -inf.
    return np.where(np.isneginf(z), -np.inf, out)


def gumbel_pdf(x, loc=0.0, scale=1.0) -> np.ndarray:
    """Density of the Gumbel (max) distribution, ``exp(-z - exp(-z)) / scale``.

    Same parameters as :func:`gumbel_logpdf`.  Computed as ``exp(logpdf)`` so that neither tail
    produces ``inf * 0``.

    Examples
    --------
    >>> round(float(gumbel_pdf(0.0)), 6)  # exp(-1), the density at the mode
    0.367879
    """
    return np.exp(gumbel_logpdf(x, loc, scale))


def gumbel_cdf(x, loc=0.0, scale=1.0) -> np.ndarray:
    """Cumulative distribution function ``exp(-exp(-z))``, ``z = (x - loc) / scale``.

    Notes
    -----
    The slides write this as Gumbel(Z <= z; mu) = exp[-exp{-(z - mu)}].  For ``z < -709`` the
    inner ``exp`` overflows to ``inf`` and ``exp(-inf) = 0`` is the right limit.

    Examples
    --------
    >>> round(float(gumbel_cdf(0.0)), 6)  # exp(-1): the mode is below the median
    0.367879
    """
    z, _ = _standardise(x, loc, scale)
    with np.errstate(over="ignore"):
        return np.exp(-np.exp(-z))


def gumbel_sf(x, loc=0.0, scale=1.0) -> np.ndarray:
    """Survival function ``1 - cdf = -expm1(-exp(-z))``.

    Notes
    -----
    In the upper tail ``cdf`` rounds to 1 and ``1 - cdf`` to 0, while the true value is about
    ``exp(-z)``; ``expm1`` keeps it (``sf(40) = 4.2e-18``, not 0).
    """
    z, _ = _standardise(x, loc, scale)
    with np.errstate(over="ignore"):
        return -np.expm1(-np.exp(-z))


def gumbel_ppf(q, loc=0.0, scale=1.0) -> np.ndarray:
    """Quantile function (inverse CDF) ``loc - scale * log(-log(q))``.

    Parameters
    ----------
    q : array_like
        Probabilities in ``[0, 1]``; ``ppf(0) = -inf`` and ``ppf(1) = +inf``.

    Notes
    -----
    Solve ``q = exp(-exp(-(x - loc) / scale))`` for ``x``: take ``log`` twice (slide "sample a
    Gumbel", whose first line drops a minus sign; see ERRATA.md).

    Examples
    --------
    >>> float(gumbel_ppf(np.exp(-1.0)))  # inverts gumbel_cdf(0) = exp(-1)
    0.0
    """
    q = check.as_float_array("q", q)
    if not np.all((q >= 0) & (q <= 1)):
        raise ValueError(f"q must lie in [0, 1], got {check._show(q)}")
    loc = check.finite("loc", loc)
    scale = check.positive("scale", scale)
    with np.errstate(divide="ignore"):  # q = 0 or 1: log(0) = -inf gives the right +-inf quantile
        return loc - scale * np.log(-np.log(q))


def sample_gumbel(rng: np.random.Generator, size=None, loc=0.0, scale=1.0) -> np.ndarray:
    """Draw Gumbel samples by the inverse CDF: ``x = loc - scale * log(-log(U))``, ``U ~ U(0, 1)``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness; the same seed gives the same samples.
    size : int or tuple of ints, optional
        Output shape (broadcast with ``loc`` and ``scale``).  ``None`` gives the broadcast shape of
        ``loc`` and ``scale``.
    loc, scale : array_like
        Location and scale (``scale > 0``).

    Returns
    -------
    ndarray of float64, every entry finite.

    Notes
    -----
    ``U`` is raised to at least the smallest normal double before the logs: ``U = 0`` would give
    ``-inf`` (torch clamps to ``[tiny, 1 - eps]`` for the same reason).  Never 1 either:
    ``rng.random`` stays below ``1 - 2**-53``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sample_gumbel(rng, size=3).shape
    (3,)
    """
    rng = check.generator(rng)
    loc = check.finite("loc", loc)
    scale = check.positive("scale", scale)
    shape = check.shape("size", size) if size is not None else np.broadcast_shapes(loc.shape, scale.shape)
    u = np.maximum(rng.random(shape), _U_MIN)
    return loc - scale * np.log(-np.log(u))


def _check_logits(logits, *, scan: bool = True) -> np.ndarray:
    """Shape checks; with ``scan``, also a pass over the values for NaN and +inf.

    ``gumbel_max_sample`` skips the scan (two extra passes over a large array cost more than the
    sampling) and checks each row's maximum instead, which is NaN or +inf exactly when the row is bad.
    """
    logits = check.as_float_array("logits", logits, allow_nan=not scan)
    if logits.ndim == 0:
        raise ValueError(f"logits must have at least one axis (the K categories), got a scalar {logits!r}")
    if logits.shape[-1] == 0:
        raise ValueError(f"logits must have K >= 1 categories on the last axis, got shape {logits.shape}")
    # -inf is a legal logit (probability 0); +inf is not a probability at all.
    if scan and np.isposinf(logits).any():
        raise ValueError(f"logits must not contain +inf, got {check._show(logits)}")
    return logits


def _check_row_max(top: np.ndarray, logits: np.ndarray) -> None:
    """Validate logits from their row maxima (NaN and +inf propagate into the max)."""
    if np.isnan(top).any():
        raise ValueError(f"logits must not contain NaN, got {check._show(logits)}")
    if np.isposinf(top).any():
        raise ValueError(f"logits must not contain +inf, got {check._show(logits)}")
    _raise_if_dead_row(top)


def _raise_if_dead_row(row_max, where="logits"):
    if np.isneginf(row_max).any():
        raise ValueError(f"{where} has a row whose entries are all -inf: no category has positive mass")


def softmax(logits, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax ``exp(l_k) / sum_i exp(l_i)`` along ``axis``.

    Notes
    -----
    Subtracting the row maximum first leaves the result unchanged (it cancels in the ratio) but
    makes the largest exponent ``exp(0) = 1``, so logits of +-1e4 neither overflow nor all
    underflow.  ``-inf`` logits get probability exactly 0.

    Examples
    --------
    >>> softmax([0.0, np.log(3.0)]).round(6).tolist()
    [0.25, 0.75]
    """
    logits = _check_logits(logits)
    if not -logits.ndim <= axis < logits.ndim:
        raise ValueError(f"axis must be in [-{logits.ndim}, {logits.ndim}), got {axis!r}")
    top = logits.max(axis=axis, keepdims=True)
    _raise_if_dead_row(top)
    e = np.exp(logits - top)
    return e / e.sum(axis=axis, keepdims=True)


def one_hot(indices, K: int) -> np.ndarray:
    """One-hot encode integer ``indices`` into float vectors of length ``K`` (new last axis).

    Examples
    --------
    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    K = check.integer("K", K, minimum=1)
    idx = np.asarray(indices)
    if idx.dtype == bool or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"indices must be integers, got dtype {idx.dtype}: {check._show(indices)}")
    if idx.size and (idx.min() < 0 or idx.max() >= K):
        raise ValueError(f"indices must lie in [0, K) = [0, {K}), got {check._show(indices)}")
    # (..., K): compare each index with 0..K-1
    return (idx[..., None] == np.arange(K)).astype(np.float64)


def gumbel_max_sample(logits, rng: np.random.Generator, size=()) -> np.ndarray:
    """Sample categories ``k ~ softmax(logits)`` with the Gumbel-max trick.

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Unnormalised log-probabilities; ``-inf`` marks a category that is never drawn.
    rng : numpy.random.Generator
        Source of randomness.
    size : int or tuple of ints, optional
        Number of independent draws per row, prepended to the batch shape.

    Returns
    -------
    ndarray of intp (int64 on 64-bit machines, int32 in the browser), shape ``size + logits.shape[:-1]``.

    Notes
    -----
    ``k = argmax_i (logits_i + G_i)`` with **independent** ``G_i ~ Gumbel(0, 1)``, one per
    category and per draw (the slides write a single shared ``G``; that would always return
    ``argmax(logits)``, see ERRATA.md).  ``P(k) = exp(l_k) / sum_i exp(l_i)``.

    The comparison is computed in an equivalent, cheaper form, from the same uniforms: with
    ``E_i = -log U_i``, ``argmax_i (l_i + G_i) = argmin_i E_i exp(m - l_i)``, ``m = max_i l_i`` (the
    "exponential race"), screened in float32 so that most draws need no logarithm at all
    (:mod:`lectures_lib.fast_gumbel` says why and how; ``tests/test_fast_gumbel.py``
    checks that the index is the same draw for draw).  It costs 2-2.5 times drawing the uniforms
    alone, on CPUs with or without AVX-512 (``bench/samplers.py``).  ``U_i = 0`` and ``-inf`` logits
    give an infinite race time: such a category is never drawn, so no clamp is needed.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> gumbel_max_sample([0.0, -np.inf, 0.0], rng, size=1000).tolist().count(1)
    0
    """
    logits = _check_logits(logits, scan=False)  # values are checked block by block, from the row maxima
    rng = check.generator(rng)
    draws = check.shape("size", size)
    K = logits.shape[-1]
    rows = logits.reshape(-1, K)  # (R, K): the distributions
    n_draws, n_rows = math.prod(draws), rows.shape[0]
    out = np.empty((n_draws, n_rows), dtype=np.intp)
    # Blocks of (draws, rows) with about _BLOCK numbers, so that the work stays in the L2 cache.
    row_step = max(1, min(n_rows, _BLOCK // K))
    draw_step = max(1, _BLOCK // (row_step * K))
    # Preallocated: a fresh 1 MiB array per block would be mmap-ed and page-faulted every time.
    buf, work = np.empty((draw_step, row_step, K)), {}
    for r0 in range(0, n_rows, row_step):
        block = rows[r0 : r0 + row_step]  # (r, K)
        top = block.max(axis=-1, keepdims=True)
        # NaN or +inf in a row makes its max NaN or +inf; a row of all -inf logits has no valid
        # category (argmax would silently return 0).
        _check_row_max(top, logits)
        inv_rate = race_rates(block, top, work)  # exp(m - l_i), shared by all draws of these rows
        for d0 in range(0, n_draws, draw_step):
            b = buf[: min(draw_step, n_draws - d0), : block.shape[0]]  # (d, r, K)
            rng.random(out=b)
            race_argmin(block, top, inv_rate, b, out[d0 : d0 + b.shape[0], r0 : r0 + b.shape[1]], work)
    return out.reshape(draws + logits.shape[:-1])


def expected_margin(logits) -> np.ndarray:
    """``E[max_i Z_i - (runner-up) | category k wins]`` for ``Z_i = mu_i + G_i``, every ``k``.

    Introduced in notebooks/03_gumbel_max_trick.ipynb (section 4): the argmax is independent of
    the *maximum*, but not of the *margin* by which it wins.

    Parameters
    ----------
    logits : array_like, shape (..., K), K >= 2, finite
        The ``mu_i``.

    Returns
    -------
    ndarray, shape (..., K)
        The mean margin given that category ``k`` wins; always > 1, smallest for rare winners.

    Notes
    -----
    Before conditioning on the winner, the others' maximum ``M = max_{i!=k} Z_i`` is
    ``Gumbel(log sum_{i!=k} e^{mu_i})`` and independent of ``Z_k``, so ``L = Z_k - M`` is a difference of two
    independent Gumbels: logistic with location ``a_k = mu_k - log sum_{i!=k} e^{mu_i}``.  Category ``k`` wins
    exactly when ``L > 0`` (then ``M`` is the runner-up and ``L`` the margin), so
    ``E[L | L > 0] = int_0^oo (1 - sigmoid(l - a)) dl / sigmoid(a) = log(1 + e^a) / sigmoid(a)``.
    Given that ``k`` wins, ``M`` is no longer that Gumbel: it is conditioned to lie below ``Z_k``.

    Examples
    --------
    >>> expected_margin([1.0, 0.0, -0.5, -1.5]).round(2)
    array([1.52, 1.13, 1.07, 1.03])
    """
    mu = check.finite("logits", logits)
    if mu.ndim == 0 or mu.shape[-1] < 2:
        raise ValueError(f"logits must have K >= 2 categories on the last axis, got shape {mu.shape}")
    K = mu.shape[-1]
    others = np.where(np.eye(K, dtype=bool), -np.inf, mu[..., None, :])  # (..., K, K): row k without mu_k
    top = others.max(axis=-1)
    # a_k = mu_k - logsumexp_{i != k} mu_i, with the max taken out so exp cannot overflow
    a = mu - (top + np.log(np.exp(others - top[..., None]).sum(axis=-1)))
    # log(1 + e^a) / sigmoid(a) = log(1 + e^a) (1 + e^-a), in logs: both factors stay finite;
    # for a < -30, log1p(e^a) ~ e^a underflows first, and the ratio is 1 + e^a / 2 to double precision
    with np.errstate(divide="ignore", over="ignore"):
        ratio = np.exp(np.log(np.logaddexp(0.0, a)) + np.logaddexp(0.0, -a))
    return np.where(a < -30, 1 + np.exp(np.minimum(a, -30)) / 2, ratio)
