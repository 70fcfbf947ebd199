"""The Concrete (Gumbel-softmax) distribution: relaxed one-hot samples, their density and gradients.

``y = softmax((logits + G) / tau)`` with independent ``G_k ~ Gumbel(0, 1)`` lies inside the simplex;
as ``tau -> 0`` it becomes the Gumbel-max one-hot sample, as ``tau -> inf`` the centre ``1/K``.
Introduced in ``notebooks/07_gumbel_softmax.ipynb``; notebook 08 reuses the sampler and the
straight-through helper.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import _validate as check
from .fast_gumbel import exp_normalise, perturb_exponential
from .gumbel import _BLOCK, _check_logits, _raise_if_dead_row

#: how far a row may sum from 1 and still count as a point of the simplex (torch also uses 1e-6)
SIMPLEX_ATOL = 1e-6


def _temperature(temperature) -> float:
    tau = check.positive("temperature", temperature)
    if tau.ndim != 0:
        raise ValueError(f"temperature must be a positive scalar, got shape {tau.shape}: {check._show(tau)}")
    return float(tau)


def _on_simplex(name: str, x, *, open_: bool = False) -> np.ndarray:
    x = check.finite(name, x)
    if x.ndim == 0:
        raise ValueError(f"{name} must have a last axis of K categories, got a scalar {check._show(x)}")
    if (x <= 0).any() if open_ else (x < 0).any():
        raise ValueError(f"{name} must have entries {'> 0' if open_ else '>= 0'} (a point of the "
                         f"{'open ' if open_ else ''}simplex), got {check._show(x)}")
    if (np.abs(x.sum(axis=-1) - 1) > SIMPLEX_ATOL).any():
        raise ValueError(f"{name} must sum to 1 along the last axis (within {SIMPLEX_ATOL}), "
                         f"got sums {check._show(x.sum(axis=-1))}")
    return x


def _blocks(D: int, B: int, K: int):
    """Slices (draws, rows) of a (D, B, K) buffer in blocks of about ``_BLOCK`` numbers, in C order.

    Either a block holds whole draws (``rows`` = all B) or a single draw, so visiting them in turn
    fills the buffer in the same order as one ``rng.random(out=buf)`` would.
    """
    rows = max(1, min(B, _BLOCK // K))
    draws = max(1, _BLOCK // (rows * K)) if rows == B else 1
    for d0 in range(0, D, draws):
        for r0 in range(0, B, rows):
            yield slice(d0, d0 + draws), slice(r0, r0 + rows)


def gumbel_softmax_sample(logits, temperature, rng: np.random.Generator, size=(), hard: bool = False):
    """Relaxed one-hot samples ``y = softmax((logits + G) / tau)`` (Gumbel-softmax, Concrete).

    Introduced in notebooks/07_gumbel_softmax.ipynb (slide "Back to the Gumbel-max trick (2)").

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Unnormalised log-probabilities ``mu``; ``-inf`` marks a category never chosen.
    temperature : float
        ``tau > 0`` (torch's ``tau`` in ``torch.nn.functional.gumbel_softmax``).
    rng : numpy.random.Generator
        Source of the noise; the same seed gives the same samples.
    size : int or tuple of ints, optional
        Independent draws per row, prepended to ``logits.shape``.
    hard : bool, optional
        Return ``one_hot(argmax y)`` of the same draw (the Gumbel-max sample) instead of ``y``.

    Returns
    -------
    ndarray of float64, shape ``size + logits.shape``: rows sum to 1 (exactly one-hot if ``hard``).

    Notes
    -----
    ``y_k = exp((mu_k + G_k) / tau) / sum_i exp((mu_i + G_i) / tau)``, ``G_k = -log(-log U_k)``
    independent.  In place, one cache-sized block at a time: the row maximum is subtracted before
    ``exp``, so ``tau = 1e-3`` with logits ``+-1e4`` stays finite.

    Computed in a faster form with the same law (:mod:`lectures_lib.fast_gumbel` says why):
    ``E_k = -log U_k`` is an Exp(1) variable, drawn directly with ``rng.standard_exponential``
    (``G_k = -log E_k``: one logarithm instead of two), and the last ``exp``, of a number <= 0, is
    evaluated in float32: each coordinate is within a relative ``5e-7 (1 + |log(y_k / max_i y_i)|)``
    of ``softmax((mu + G) / tau)`` for that ``G`` (below 1e-6 for every coordinate above 1e-6 of
    the largest), and none underflows earlier than in float64.  ``tests/test_concrete.py`` checks
    the law (Kolmogorov-Smirnov) and the bound.  ``hard=True`` returns ``one_hot(argmax y)`` of the
    same draw: a Gumbel-max sample (of other draws than :func:`lectures_lib.gumbel_max_sample`'s,
    which races uniforms).

    Examples
    --------
    >>> y = gumbel_softmax_sample([1.0, 0.0, -1.0], 0.5, np.random.default_rng(0), size=4)
    >>> y.shape, bool(np.allclose(y.sum(axis=-1), 1))
    ((4, 3), True)
    """
    logits = _check_logits(logits)
    tau = _temperature(temperature)
    rng = check.generator(rng)
    if not isinstance(hard, bool | np.bool_):
        raise ValueError(f"hard must be True or False, got {hard!r}")
    draws, K = check.shape("size", size), logits.shape[-1]
    D, B = math.prod(draws), math.prod(logits.shape[:-1])
    out = np.empty((D, B, K))  # (draws, rows, K)
    rows, work = logits.reshape(B, K), {}
    for d, r in _blocks(D, B, K):
        b = out[d, r]  # a contiguous, cache-sized view: every pass below reads L2 cache, not memory
        # E ~ Exp(1), the law of -log U, drawn directly: G = -log E is Gumbel(0, 1) for one logarithm, not two
        rng.standard_exponential(out=b)
        top = perturb_exponential(rows[r], b)  # b = mu + G
        _raise_if_dead_row(top)
        if hard:  # argmax y = argmax(mu + G): the Gumbel-max sample of the same noise
            k = b.argmax(axis=-1)[..., None]
            b.fill(0.0)
            np.put_along_axis(b, k, 1.0, axis=-1)
            continue
        # y = exp((mu + G - max) / tau) / sum: the exponent is <= 0, so exp cannot overflow
        exp_normalise(b, top, tau, work)
    return out.reshape(draws + logits.shape)


def concrete_log_prob(x, logits, temperature) -> np.ndarray:
    """Log density of the Concrete (relaxed one-hot categorical) distribution.

    Introduced in notebooks/07_gumbel_softmax.ipynb (slide "Back to the Gumbel-max trick (2)").

    Parameters
    ----------
    x : array_like, shape (..., K)
        Points of the open simplex (entries > 0, rows sum to 1 within ``SIMPLEX_ATOL``).
    logits : array_like, shape (..., K)
        ``mu = log alpha``, broadcast against ``x``.
    temperature : float
        ``tau > 0``.

    Returns
    -------
    ndarray: the broadcast batch shape of ``x`` and ``logits``.

    Notes
    -----
    Density w.r.t. Lebesgue measure on ``(x_1, ..., x_{K-1})``, as in
    ``torch.distributions.RelaxedOneHotCategorical``; Maddison et al. (2017), Definition 1::

        p(x) = (K-1)! tau^(K-1) prod_k alpha_k x_k^(-tau-1) / (sum_i alpha_i x_i^(-tau))^K

    With ``s_k = mu_k - tau log x_k`` the sum is a log-sum-exp, stable for any ``mu``.

    Examples
    --------
    >>> float(concrete_log_prob([0.3, 0.7], [0.0, 0.0], 1.0))  # K = 2, tau = 1: uniform on [0, 1]
    0.0
    """
    x = _on_simplex("x", x, open_=True)
    logits = _check_logits(logits)
    tau = _temperature(temperature)
    if x.shape[-1] != logits.shape[-1]:
        raise ValueError(f"x has K = {x.shape[-1]} categories but logits has K = {logits.shape[-1]}")
    try:
        x, logits = np.broadcast_arrays(x, logits)  # (..., K)
    except ValueError as exc:
        raise ValueError(f"x of shape {x.shape} does not broadcast with logits {logits.shape}") from exc
    log_x = np.log(x)
    # s_k = mu_k - tau log x_k = log(alpha_k x_k^-tau)
    s = logits - tau * log_x  # (..., K)
    top = s.max(axis=-1, keepdims=True)
    _raise_if_dead_row(top)
    lse = top + np.log(np.exp(s - top).sum(axis=-1, keepdims=True))  # (..., 1)
    # log p = log (K-1)! + (K-1) log tau + sum_k (s_k - LSE(s)) - sum_k log x_k
    from scipy.special import gammaln  # here, not at the top: `import lectures_lib` needs no SciPy (1 s in the browser)

    K = x.shape[-1]
    return gammaln(K) + (K - 1) * np.log(tau) + (s - lse).sum(axis=-1) - log_x.sum(axis=-1)


def gumbel_softmax_backward(y, grad_y, temperature) -> np.ndarray:
    """Backpropagate ``dL/dy`` through ``y = softmax((logits + G) / tau)`` to ``dL/dlogits``.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 5); notebook 08 uses it for backprop.

    Parameters
    ----------
    y : array_like, shape (..., K)
        Soft samples (rows on the simplex) from :func:`gumbel_softmax_sample`.
    grad_y : array_like, broadcastable to ``y.shape``
        ``dL/dy`` per sample (shape ``(K,)`` for a linear loss ``f . y``).
    temperature : float
        The ``tau`` that produced ``y``.

    Returns
    -------
    ndarray, shape ``y.shape``: ``dL/dlogits`` per sample (equal to ``dL/dG``).  Logits shared by
    a batch of samples get the sum (or mean) over the sample axes.

    Notes
    -----
    ``dy_i/dmu_j = y_i (delta_ij - y_j) / tau`` is symmetric, so the vector-Jacobian and the
    Jacobian-vector product agree: ``grad_mu_j = y_j (grad_y_j - sum_i grad_y_i y_i) / tau``,
    ``O(K)`` per row without forming the ``K x K`` Jacobian.

    Examples
    --------
    >>> gumbel_softmax_backward([0.5, 0.5], [1.0, 0.0], 1.0).tolist()
    [0.25, -0.25]
    """
    y = _on_simplex("y", y)
    tau = _temperature(temperature)
    grad_y = check.finite("grad_y", grad_y)
    try:
        grad_y = np.broadcast_to(grad_y, y.shape)  # (..., K)
    except ValueError as exc:
        raise ValueError(f"grad_y of shape {grad_y.shape} does not broadcast to y's shape {y.shape}") from exc
    # grad_mu_j = y_j (grad_y_j - <grad_y, y>) / tau
    inner = (grad_y * y).sum(axis=-1, keepdims=True)  # (..., 1)
    return y * (grad_y - inner) / tau


def straight_through(y, temperature) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Straight-through Gumbel-softmax: a one-hot forward value, the soft sample's backward.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 5); notebook 08 uses it.

    Parameters
    ----------
    y : array_like, shape (..., K)
        Soft samples (rows on the simplex).
    temperature : float
        The ``tau`` that produced ``y``.

    Returns
    -------
    hard : ndarray, shape (..., K)
        ``one_hot(argmax y)``: exactly one 1.0 per row.
    backward : callable
        ``backward(grad_hard) -> grad_logits`` = ``gumbel_softmax_backward(y, grad_hard, tau)``.

    Notes
    -----
    Bengio, Leonard & Courville (2013): the loss sees ``hard``, its gradient flows back as if the
    forward had been ``y`` (torch: ``y_hard - y_soft.detach() + y_soft``).  Biased for ``tau > 0``.

    Examples
    --------
    >>> hard, backward = straight_through([[0.2, 0.8]], 1.0)
    >>> hard.tolist(), backward(np.array([[1.0, 0.0]])).round(2).tolist()
    ([[0.0, 1.0]], [[0.16, -0.16]])
    """
    y = _on_simplex("y", y)
    tau = _temperature(temperature)
    hard = np.zeros_like(y)  # (..., K)
    np.put_along_axis(hard, y.argmax(axis=-1)[..., None], 1.0, axis=-1)
    return hard, lambda grad_hard: gumbel_softmax_backward(y, grad_hard, tau)


def simplex3_integral(log_density: Callable[[np.ndarray], np.ndarray], temperature=1.0, step: float = 0.25,
                      half_width: float = 36.0) -> float:
    """``int_{simplex} exp(log_density(x)) dx_1 dx_2`` for K = 3, on a grid in logit coordinates.

    Introduced in notebooks/07_gumbel_softmax.ipynb (section 3, normalisation for K = 3).

    Parameters
    ----------
    log_density : callable
        Maps points ``x`` of shape (..., 3) (open simplex) to log densities of shape (...).
    temperature : float
        ``tau`` of the coordinates ``u_k = tau log(x_k / x_3)``, k = 1, 2 (``tau = 1`` for a density
        that is not a Concrete one).
    step, half_width : float
        Trapezoid rule with this step on ``[-half_width, half_width]^2`` in ``u``.

    Returns
    -------
    float

    Notes
    -----
    For a Concrete sample ``u_k = mu_k - mu_3 + G_k - G_3``: a smooth density with tails
    ``~exp(-|u|)``, the same for every ``tau``, where the trapezoid rule converges exponentially
    fast (error ~1e-14 with the defaults; the tails beyond 36 hold < e^-36), while a grid in
    ``x`` meets the ``x_k^(tau - 1)`` singularities at the corners.
    Jacobian: ``dx_1 dx_2 = x_1 x_2 x_3 du_1 du_2 / tau^2``.

    Examples
    --------
    >>> round(simplex3_integral(lambda x: np.zeros(x.shape[:-1])), 9)  # the area of the simplex
    0.5
    """
    if not callable(log_density):
        raise ValueError(f"log_density must be callable, got {log_density!r}")
    tau = _temperature(temperature)
    step, half_width = float(check.positive("step", step)), float(check.positive("half_width", half_width))
    u = np.arange(-half_width, half_width + step / 2, step)
    u1, u2 = np.meshgrid(u, u, indexing="ij")
    s = np.stack([u1, u2, np.zeros_like(u1)], axis=-1) / tau  # (m, m, 3)
    log_x = s - np.logaddexp.reduce(s, axis=-1, keepdims=True)  # log-softmax: no 0 * inf below
    x = np.exp(log_x)
    inside = (x > 0).all(axis=-1)  # an underflowed coordinate is a point with integrand < e^-35
    x = np.where(inside[..., None], x, 1 / 3)
    # integrand = p(x) x_1 x_2 x_3 / tau^2
    log_f = np.where(inside, log_density(x / x.sum(axis=-1, keepdims=True)) + log_x.sum(axis=-1), -np.inf)
    return float(np.exp(log_f).sum() * step * step / tau**2)
