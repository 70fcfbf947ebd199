"""Noise given the discrete outcome: the ingredient that makes REBAR and RELAX unbiased.

For a Bernoulli, ``z = theta + log(u / (1 - u))`` (logistic noise) gives ``b = 1[z > 0] ~ Bernoulli(sigmoid(theta))``;
given ``b`` we draw ``z~`` from the same logistic law restricted to the side of 0 that ``b`` says.
For a categorical, ``z = logits + G`` (Gumbel noise) gives ``k = argmax z ~ softmax(logits)``; given ``k``
we draw ``z~`` from ``z`` conditioned on ``argmax z = k`` with the truncated-Gumbel construction.
:func:`relax_noise` bundles ``z``, ``b`` and ``z~`` for the estimators of :mod:`lectures_lib.rebar`.

Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _validate as check

#: uniform noise is clamped into [TINY, 1 - EPS/2]: log(u) and log(1 - u) stay finite (as torch does
#: with Uniform(tiny, 1 - eps)); the clamp moves a probability of ~1e-300 + 1e-16, far below any test.
TINY, ONE_MINUS = np.finfo(float).tiny, 1.0 - np.finfo(float).eps / 2


def _uniform(name: str, u, shape=None) -> np.ndarray:
    u = check.finite(name, u)
    if shape is not None and u.shape[-len(shape):] != shape:
        raise ValueError(f"{name} must have trailing shape {shape}, got shape {u.shape}")
    if np.any((u < 0) | (u > 1)):
        raise ValueError(f"{name} must lie in [0, 1], got {check._show(u)}")
    return np.clip(u, TINY, ONE_MINUS)


def logistic_relaxation(theta, u) -> np.ndarray:
    """The pre-activation ``z = theta + log u - log(1 - u)``: ``1[z > 0] ~ Bernoulli(sigmoid(theta))``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Parameters
    ----------
    theta : array_like, shape (D,)
    u : array_like, shape (..., D), values in [0, 1]

    Returns
    -------
    ndarray, shape of ``u``; ``dz/dtheta = 1``.

    Examples
    --------
    >>> logistic_relaxation([0.0], [0.5]).tolist()
    [0.0]
    """
    th = check.vector("theta", theta)
    return _logistic(th, _uniform("u", u, th.shape))


def _logistic(th: np.ndarray, u: np.ndarray) -> np.ndarray:
    # log(u / (1 - u)) with log1p: exact for u near 0 and 1
    return th + np.log(u) - np.log1p(-u)


def conditional_logistic(theta, b, v) -> tuple[np.ndarray, np.ndarray]:
    """``z~ ~ p(z | b)``: logistic noise around ``theta`` restricted to ``z > 0`` if ``b = 1``, ``z < 0`` if ``b = 0``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Parameters
    ----------
    theta : array_like, shape (D,)
    b : array_like, shape (..., D), values 0/1
    v : array_like, shape of ``b``, values in [0, 1]
        Fresh uniform noise.

    Returns
    -------
    (z_tilde, dz_tilde_dtheta) : ndarrays, shape of ``b``
        The sample and its derivative in ``theta_d`` at fixed ``v`` and ``b`` (REBAR's reparameterisation).

    Notes
    -----
    With ``p = sigmoid(theta)``, ``q = 1 - p``: ``z > 0`` iff ``u > q``, so ``u = q + v p`` if ``b = 1``
    and ``u = v q`` if ``b = 0``, and ``z~ = theta + log(u / (1 - u))``.  Written in ``p`` and ``q``:

    * ``b = 1``: ``z~ = theta + log(q + v p) - log p - log(1 - v)``,  ``dz~/dtheta = v p / (q + v p)``;
    * ``b = 0``: ``z~ = theta + log v + log q - log(p + (1 - v) q)``,  ``dz~/dtheta = (1 - v) q / (p + (1 - v) q)``.

    Logs of ``p`` and ``q`` come from ``logaddexp``, so huge ``|theta|`` stays finite.

    Examples
    --------
    >>> z, dz = conditional_logistic([0.0], [1.0], [0.5])      # u = 0.75: z = log 3
    >>> round(float(z[0]), 6), round(float(dz[0]), 6)
    (1.098612, 0.333333)
    """
    th = check.vector("theta", theta)
    b = check.finite("b", b)
    if b.shape[-1:] != th.shape or not np.all((b == 0) | (b == 1)):
        raise ValueError(f"b must hold 0/1 values with last axis {th.size}, got {check._show(b)}")
    v = _uniform("v", v)
    if v.shape != b.shape:
        raise ValueError(f"v must have the shape of b, {b.shape}, got {v.shape}")
    return _conditional_logistic(th, b, v)


def _conditional_logistic(th: np.ndarray, b: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # the formulas of conditional_logistic's Notes, on validated inputs (v clamped into (0, 1))
    log_p, log_q = -np.logaddexp(0, -th), -np.logaddexp(0, th)   # log sigmoid(+-theta)
    log_v, log_1mv = np.log(v), np.log1p(-v)
    # b = 1: log(q + v p) - log p - log(1 - v)
    top = np.logaddexp(log_q, log_v + log_p)
    z1 = th + top - log_p - log_1mv
    d1 = np.exp(log_v + log_p - top)
    # b = 0: log v + log q - log(p + (1 - v) q)
    bottom = np.logaddexp(log_p, log_1mv + log_q)
    z0 = th + log_v + log_q - bottom
    d0 = np.exp(log_1mv + log_q - bottom)
    return np.where(b == 1, z1, z0), np.where(b == 1, d1, d0)


def conditional_gumbel(logits, k, v) -> np.ndarray:
    """``z~ ~ p(logits + G | argmax = k)`` by the truncated-Gumbel construction.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Parameters
    ----------
    logits : array_like, shape (K,)
    k : array_like of int, shape (...)
        The category each sample must be the argmax of.
    v : array_like, shape (..., K), values in [0, 1]
        Fresh uniform noise.

    Returns
    -------
    ndarray, shape (..., K), with ``argmax = k`` in every row.

    Notes
    -----
    The maximum of ``logits + G`` is ``Gumbel(log Z)``, ``Z = sum_j e^{logits_j}``, independent of
    which index attains it (notebook 03), so ``z~_k = log Z - log(-log v_k)``.  Every other
    ``z_i = logits_i + G_i`` is a Gumbel truncated below ``z~_k``: its CDF there is
    ``exp(-e^{logits_i - z}) / exp(-e^{logits_i - z~_k})``; inverting at ``v_i`` gives
    ``z~_i = -log(e^{-z~_k} - e^{-logits_i} log v_i)``, computed with ``logaddexp`` (Tucker et al. 2017, app. C).

    Examples
    --------
    >>> z = conditional_gumbel([5.0, 0.0, 0.0], [1, 2], np.full((2, 3), 0.5))
    >>> z.argmax(-1).tolist()
    [1, 2]
    """
    mu = check.finite("logits", logits)
    if mu.ndim != 1 or mu.size < 2:
        raise ValueError(f"logits must have shape (K,) with K >= 2, got shape {mu.shape}")
    k = np.asarray(k)
    if not np.issubdtype(k.dtype, np.integer) or np.any((k < 0) | (k >= mu.size)):
        raise ValueError(f"k must be integers in [0, {mu.size - 1}], got {check._show(k)}")
    v = _uniform("v", v)
    if v.shape != k.shape + mu.shape:
        raise ValueError(f"v must have shape k.shape + (K,) = {k.shape + mu.shape}, got {v.shape}")
    # -log(-log v) > -inf after the clamp; log(-log v) is the log of an Exponential(1) draw
    log_e = np.log(-np.log(v))
    top = special.logsumexp(mu) - np.take_along_axis(log_e, k[..., None], -1)   # (..., 1)
    # z_i = -log(e^{-top} + e^{-mu_i} E_i), E_i = -log v_i
    rest = -np.logaddexp(-top, log_e - mu)
    out = rest.copy()
    np.put_along_axis(out, k[..., None], top, -1)
    return out


@dataclass(frozen=True)
class RelaxNoise:
    """The shared draws: ``z`` (relaxation of the sample), ``b = 1[z > 0]``, ``z~ | b`` and ``dz~/dtheta``."""

    theta: np.ndarray
    z: np.ndarray
    b: np.ndarray
    z_tilde: np.ndarray
    dz_tilde: np.ndarray


def relax_noise(theta, u, v) -> RelaxNoise:
    """The noise REBAR and RELAX share, from given uniforms: ``z = theta + logit(u)``, ``b = 1[z > 0]``, ``z~ | b``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Parameters
    ----------
    theta : array_like, shape (D,)
    u, v : array_like, shape (n, D), values in [0, 1]
        ``u`` makes the sample, ``v`` the conditional noise ``z~`` (:func:`conditional_logistic`).

    Returns
    -------
    RelaxNoise

    Notes
    -----
    Every estimator of :mod:`lectures_lib.rebar` is a deterministic function of ``(theta, u, v)``: its mean is an
    integral over the unit cube, which the tests compute by quadrature (exact to rounding) instead of sampling.

    Examples
    --------
    >>> noise = relax_noise([0.0], [[0.25], [0.75]], [[0.5], [0.5]])
    >>> noise.b[:, 0].tolist(), bool(np.all((noise.z_tilde > 0) == (noise.b == 1)))
    ([0.0, 1.0], True)
    """
    th = check.vector("theta", theta)
    u, v = _uniform("u", u, th.shape), _uniform("v", v, th.shape)
    if u.ndim != 2 or u.shape != v.shape:
        raise ValueError(f"u and v must have the same shape (n, {th.size}), got {u.shape} and {v.shape}")
    return _relax_noise(th, u, v)


def _relax_noise(th: np.ndarray, u: np.ndarray, v: np.ndarray) -> RelaxNoise:
    z = _logistic(th, u)
    b = (z > 0).astype(float)
    z_tilde, dz_tilde = _conditional_logistic(th, b, v)
    return RelaxNoise(th, z, b, z_tilde, dz_tilde)


def draw_relax_noise(theta, rng: np.random.Generator, n: int) -> RelaxNoise:
    """Draw ``n`` samples of the noise every estimator of :mod:`lectures_lib.rebar` uses (:func:`relax_noise`).

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Examples
    --------
    >>> noise = draw_relax_noise([0.0, 1.0], np.random.default_rng(0), 4)
    >>> bool(np.all(noise.b == (noise.z > 0))), bool(np.all(noise.b == (noise.z_tilde > 0)))
    (True, True)
    """
    th = check.vector("theta", theta)
    rng = check.generator(rng)
    n = check.integer("n", n, minimum=1)
    u, v = rng.random((2, n, th.size))
    return _relax_noise(th, _uniform("u", u), _uniform("v", v))    # clamped away from 0: finite logits
