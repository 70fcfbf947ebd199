"""Monte Carlo gradient estimators: score function (REINFORCE) and pathwise (re-parameterisation).

Both estimate ``grad_theta E_{z ~ p(z|theta)}[f(z)]`` from samples, one estimate per sample::

    score function:  (f(z_i) - b) * grad_theta log p(z_i | theta),        z_i ~ p(z | theta)
    pathwise:        f'(g(x_i, theta)) * d g(x_i, theta) / d theta,       x_i ~ p(x), z_i = g(x_i, theta)

The mean of the per-sample estimates is the Monte Carlo gradient; their spread is the lesson.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from . import _validate as check


def _per_sample(name: str, value, n: int | None = None) -> np.ndarray:
    """A finite float array with a leading sample axis (of length ``n`` when given)."""
    arr = check.finite(name, value)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a leading sample axis of shape (n, ...), got a scalar {value!r}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have {n} samples along axis 0, got shape {arr.shape}")
    return arr


def score_function_grad(f_values, score, baseline=0.0) -> np.ndarray:
    """Per-sample score-function (REINFORCE) gradient estimates ``(f(z_i) - b) * score_i``.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator"); used again in
    notebooks/05_reparameterization.ipynb (slide "re-parameterization trick: example (2)").

    Parameters
    ----------
    f_values : array_like, shape (n,)
        ``f(z_i)`` for the samples ``z_i ~ p(z | theta)``; finite.
    score : array_like, shape (n,) or (n, *param_shape)
        ``grad_theta log p(z_i | theta)`` for each sample; finite.
    baseline : float or array_like of shape (n,), optional
        Control variate ``b`` subtracted from ``f``.  A constant (or any ``b_i`` independent of
        ``z_i``, such as a leave-one-out mean) keeps the estimator unbiased.  Default 0.

    Returns
    -------
    ndarray, shape like ``score``
        One gradient estimate per sample; average over axis 0 for the Monte Carlo gradient.

    Notes
    -----
    ``grad E[f(z)] = E[f(z) grad log p(z|theta)]`` because ``grad p = p grad log p``; and
    ``E[grad log p] = grad 1 = 0``, so subtracting ``b`` changes the variance, not the mean.

    Examples
    --------
    >>> score_function_grad([1.0, 3.0], [0.5, -1.0], baseline=2.0)
    array([-0.5, -1. ])
    >>> score_function_grad([1.0, 3.0], [[1.0, 0.0], [0.0, 2.0]]).shape
    (2, 2)
    """
    f = _per_sample("f_values", f_values)
    if f.ndim != 1:
        raise ValueError(f"f_values must have shape (n,), got shape {f.shape}")
    s = _per_sample("score", score, f.shape[0])
    b = check.finite("baseline", baseline)
    if b.ndim != 0 and b.shape != f.shape:
        raise ValueError(f"baseline must be a scalar or have shape {f.shape}, got shape {b.shape}")
    # (f(z_i) - b_i) * grad log p(z_i | theta), broadcast over the parameter axes of score
    centred = (f - b).reshape(f.shape + (1,) * (s.ndim - 1))
    return centred * s


def reparam_grad(df_dz, dz_dtheta, *, diagonal: bool = False) -> np.ndarray:
    """Per-sample pathwise (re-parameterisation) estimates ``sum_k df/dz_k * dz_k/dtheta``.

    Introduced in notebooks/05_reparameterization.ipynb (slide "re-parameterization trick (2)").

    Parameters
    ----------
    df_dz : array_like, shape (n,) or (n, *z_shape)
        ``f'(z_i)`` at ``z_i = g(x_i, theta)``; finite.
    dz_dtheta : array_like, shape (n, *z_shape, *param_shape), or like ``df_dz`` if ``diagonal``
        ``d g(x_i, theta) / d theta``; axis 0 may have length 1 (the same Jacobian for every sample).
    diagonal : bool, optional
        True when ``z_k`` depends only on its own ``theta_k`` (``z = mu + sigma * x`` per
        coordinate, as in a VAE): the Jacobian is diagonal and the product is elementwise.

    Returns
    -------
    ndarray, shape (n, *param_shape) (or ``df_dz.shape`` if ``diagonal``)
        One gradient estimate per sample; average over axis 0 for the Monte Carlo gradient.

    Notes
    -----
    ``grad E_x[f(g(x, theta))] = E_x[f'(g) dg/dtheta]``: p(x) does not depend on theta, so the
    derivative moves inside the integral and only the chain rule is left.

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 1.0]); mu, sigma = 0.5, 2.0
    >>> z = mu + sigma * x  # f(z) = z**2, theta = (mu, sigma): dz/dmu = 1, dz/dsigma = x
    >>> reparam_grad(2 * z, np.stack([np.ones(3), x], axis=1))
    array([[-3.,  3.],
           [ 1.,  0.],
           [ 5.,  5.]])
    """
    g = _per_sample("df_dz", df_dz)
    j = _per_sample("dz_dtheta", dz_dtheta)
    if j.shape[0] not in (1, g.shape[0]):
        raise ValueError(f"dz_dtheta must have {g.shape[0]} (or 1) samples along axis 0, got shape {j.shape}")
    if diagonal and j.shape[1:] != g.shape[1:]:
        raise ValueError(f"dz_dtheta must match df_dz {g.shape} when diagonal, got shape {j.shape}")
    if diagonal or g.ndim == 1:
        # elementwise chain rule: df/dz_k * dz_k/dtheta_k, broadcast over any parameter axes
        return g.reshape(g.shape + (1,) * (j.ndim - g.ndim)) * j
    if j.shape[1:g.ndim] != g.shape[1:]:
        raise ValueError(f"dz_dtheta must start with shape (n, *{g.shape[1:]}), got shape {j.shape}")
    # sum over the z axes of (n, Z) x (n, Z, P): the Jacobian-vector product of the chain rule
    n, zs = g.shape[0], int(np.prod(g.shape[1:]))
    out = np.einsum("nz,nzp->np", g.reshape(n, zs), np.broadcast_to(j, (n,) + j.shape[1:]).reshape(n, zs, -1))
    return out.reshape((n,) + j.shape[g.ndim:])


def toy_grads_from_noise(theta, a, b, x) -> tuple[np.ndarray, np.ndarray]:
    """Both per-sample estimates of ``grad_theta E_{z ~ N(a theta + b, 1)}[z**2]`` from given noise x.

    Introduced in notebooks/05_reparameterization.ipynb (slide "re-parameterization trick: example (1)").
    ``theta``, ``a``, ``b`` broadcast against ``x``; the same noise gives both estimators (common
    random numbers), which is how the demo and the SGD race compare them fairly.

    Returns
    -------
    score, pathwise : ndarray
        ``z**2 * a * x`` and ``2 * a * z`` with ``z = a * theta + b + x``.

    Examples
    --------
    >>> toy_grads_from_noise(1.0, 2.0, -1.0, np.array([0.0, 1.0]))
    (array([0., 8.]), array([4., 8.]))
    """
    theta, a, b = check.finite("theta", theta), check.finite("a", a), check.finite("b", b)
    x = check.finite("x", x)
    # z = g(x, theta) = mu(theta) + sigma x with mu = a theta + b, sigma = 1
    z = a * theta + b + x
    # score function: f(z) grad log N(z; mu, 1) = z**2 * (z - mu) * dmu/dtheta = z**2 * x * a
    score = z**2 * (a * x)
    # pathwise: f'(z) dz/dtheta = 2 z * a
    return score, 2 * a * z


def _toy_noise(theta, a, b, rng, n) -> np.ndarray:
    for name, value in (("theta", theta), ("a", a), ("b", b)):
        if check.finite(name, value).ndim != 0:
            raise ValueError(f"{name} must be a scalar, got {value!r}")
    return check.generator(rng).standard_normal(check.integer("n", n, minimum=1))


def toy_score_function_grads(theta, a, b, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` score-function estimates of ``grad_theta E_{z ~ N(a theta + b, 1)}[z**2] = 2a(a theta + b)``.

    Introduced in notebooks/05_reparameterization.ipynb (slide "re-parameterization trick: example (1)").
    Same noise as :func:`toy_reparam_grads` for the same ``rng`` state.

    Examples
    --------
    >>> g = toy_score_function_grads(1.0, 2.0, -1.0, np.random.default_rng(0), 200_000)
    >>> bool(abs(g.mean() - 4.0) < 0.1)  # exact 2a(a theta + b) = 4; std error 0.02
    True
    """
    x = _toy_noise(theta, a, b, rng, n)
    # (f(z) - 0) * grad log N(z; a theta + b, 1) = z**2 * a (z - a theta - b) = z**2 * a x; the same
    # product as score_function_grad(z**2, a * x), in place (the noise is finite by construction)
    out = x + (a * theta + b)
    out *= out
    out *= x
    out *= a
    return out


def toy_reparam_grads(theta, a, b, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` pathwise estimates ``2a(a theta + b + x_i)``, x_i ~ N(0, 1), of the same gradient.

    Introduced in notebooks/05_reparameterization.ipynb (slide "re-parameterization trick: example (2)").

    Examples
    --------
    >>> g = toy_reparam_grads(1.0, 2.0, -1.0, np.random.default_rng(0), 200_000)
    >>> bool(abs(g.mean() - 4.0) < 0.05)  # std error 2|a| / sqrt(n) = 0.009
    True
    """
    x = _toy_noise(theta, a, b, rng, n)
    # f'(z) dz/dtheta = 2 z * a with z = a theta + b + x (reparam_grad(2 * z, a), in place)
    x += a * theta + b
    x *= 2 * a
    return x


@dataclass(frozen=True)
class ToyGradMoments:
    """Exact moments of one per-sample estimate of the toy gradient (see :func:`toy_grad_moments`)."""

    true_grad: np.ndarray
    score_mean: np.ndarray
    score_var: np.ndarray
    reparam_mean: np.ndarray
    reparam_var: np.ndarray

    @property
    def score_std(self) -> np.ndarray:
        return np.sqrt(self.score_var)

    @property
    def reparam_std(self) -> np.ndarray:
        return np.sqrt(self.reparam_var)


@cache
def _moment_functions() -> dict:
    import sympy as sp

    from .symbolic.estimators import a, b, theta, toy_estimator_moments

    return {k: sp.lambdify((theta, a, b), e, "numpy") for k, e in toy_estimator_moments().items()}


def toy_grad_moments(theta, a, b) -> ToyGradMoments:
    """Exact mean and variance of the score-function and pathwise estimates of the toy gradient.

    Introduced in notebooks/05_reparameterization.ipynb (slide "re-parameterization trick: example (2)").
    Evaluated from the SymPy derivation ``symbolic.estimators.toy_estimator_moments`` (lambdified
    once and cached); ``theta``, ``a``, ``b`` broadcast.

    Notes
    -----
    With mu = a theta + b: both means are ``2a mu``; ``Var_score = a**2 (mu**4 + 14 mu**2 + 15)``,
    ``Var_pathwise = 4 a**2``, so the score function is at least 15/4 times noisier.

    Examples
    --------
    >>> mom = toy_grad_moments(0.0, 1.0, 0.0)
    >>> float(mom.score_var), float(mom.reparam_var)
    (15.0, 4.0)
    """
    args = [check.finite(k, v) for k, v in (("theta", theta), ("a", a), ("b", b))]
    shape = np.broadcast_shapes(*(v.shape for v in args))
    # lambdify returns a Python scalar for constant expressions: broadcast every field to `shape`
    return ToyGradMoments(**{k: np.broadcast_to(np.asarray(f(*args), dtype=float), shape).copy()
                             for k, f in _moment_functions().items()})
