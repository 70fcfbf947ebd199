"""Gradient estimators through the relaxation on the Bernoulli toy: Gumbel-softmax, straight-through,
REBAR (Tucker et al. 2017) and RELAX (Grathwohl et al. 2018), with hand-derived gradients.

All of them share the noise (:func:`lectures_lib.conditional_noise.relax_noise`): ``z = theta + logistic(u)``,
``b = 1[z > 0]``, the relaxed sample ``x = sigmoid(z / tau)`` (the binary Concrete), and for REBAR / RELAX the
conditional ``z~ | b`` (:func:`lectures_lib.conditional_noise.conditional_logistic`).  Each function returns
one estimate per sample, shape ``(n, D)``; their mean over axis 0 is the Monte Carlo gradient.

RELAX's surrogate here is linear in its parameters ``phi``:
``c_phi(z) = eta f(sigmoid(z / tau)) + sum_d w_d sigmoid(z_d / tau) + c0``, so the ``phi`` with the
smallest variance is a least-squares fit (:func:`fit_control_coefficients`).  REBAR is the case ``w = 0, c0 = 0``.

Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").
"""

from __future__ import annotations

import numpy as np
from scipy import special

from . import _validate as check
from .conditional_noise import RelaxNoise, draw_relax_noise, relax_noise  # noqa: F401 (relax_noise: rebar.relax_noise)
from .exact_toy import toy_cost, toy_cost_grad


def _noise(noise) -> RelaxNoise:
    if not isinstance(noise, RelaxNoise):
        raise ValueError(f"noise must be a RelaxNoise (from draw_relax_noise or relax_noise), "
                         f"got {type(noise).__name__}")
    return noise


def _score(noise: RelaxNoise) -> np.ndarray:
    """``d log p(b | theta) / d theta = b - sigmoid(theta)`` on noise that was validated when it was made."""
    return noise.b - special.expit(noise.theta)


def _temperature(temperature) -> float:
    return float(check.positive("temperature", temperature))


def _relaxed(z, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """``x = sigmoid(z / tau)`` and ``dx/dz = x (1 - x) / tau`` (expit never overflows; at tiny tau
    ``x (1 - x)`` underflows to 0 away from z = 0, so the derivative stays finite)."""
    x = special.expit(z / tau)
    return x, x * (1 - x) / tau


def reinforce_terms(noise: RelaxNoise, target: float) -> np.ndarray:
    """Plain REINFORCE on the shared noise, ``f(b) (b - sigmoid(theta))``, shape (n, D).

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Examples
    --------
    >>> noise = draw_relax_noise([0.0], np.random.default_rng(0), 2)
    >>> bool(np.allclose(reinforce_terms(noise, 0.0)[:, 0], noise.b[:, 0] * (noise.b[:, 0] - 0.5)))
    True
    """
    noise = _noise(noise)
    return toy_cost(noise.b, target)[:, None] * _score(noise)


def gumbel_softmax_grads(noise: RelaxNoise, target: float, temperature) -> np.ndarray:
    """Binary Gumbel-softmax (Concrete) estimates ``d f(x) / d theta`` with ``x = sigmoid(z / tau)``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Notes
    -----
    ``df(x)/dtheta_d = f'(x)_d x_d (1 - x_d) / tau`` since ``dz/dtheta = 1``.  Biased: it is the
    gradient of ``E[f(x)]``, not of ``E[f(b)]``.

    Examples
    --------
    >>> noise = draw_relax_noise([0.0], np.random.default_rng(0), 3)
    >>> gumbel_softmax_grads(noise, 0.45, 0.5).shape
    (3, 1)
    """
    x, dx = _relaxed(_noise(noise).z, _temperature(temperature))
    return toy_cost_grad(x, target) * dx


def straight_through_grads(noise: RelaxNoise, target: float, temperature) -> np.ndarray:
    """Straight-through Gumbel-softmax: ``f`` is evaluated at the hard ``b``, the backward goes through ``x``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Notes
    -----
    Forward ``x_st = x + detach(b - x) = b``; backward ``dx_st/dz = dx/dz``, so the estimate is
    ``f'(b)_d x_d (1 - x_d) / tau``: the slope of ``f`` at the corner times the slope of the relaxation.

    Examples
    --------
    >>> noise = draw_relax_noise([0.0], np.random.default_rng(0), 3)
    >>> straight_through_grads(noise, 0.45, 0.5).shape
    (3, 1)
    """
    x, dx = _relaxed(_noise(noise).z, _temperature(temperature))
    return toy_cost_grad(noise.b, target) * dx


def control_terms(noise: RelaxNoise, target: float, temperature) -> np.ndarray:
    """The zero-mean control variates ``B_k`` of RELAX, one per surrogate feature, shape (n, D, D + 2).

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Notes
    -----
    For a feature ``h(z)`` of the surrogate, ``B = h(z~) s - d h(z)/dtheta + d h(z~)/dtheta``, with
    ``s = b - sigmoid(theta)`` and ``z~`` moving with ``theta`` at fixed ``v`` and ``b``.  ``E[B] = 0``:
    ``E_b[E[h(z~)|b] s] = d/dtheta E[h(z~)]`` minus the part through ``z~``'s own dependence, and
    ``E[h(z~)] = E[h(z)]``.  The estimate is ``f(b) s - B phi``.  Features, in order:
    ``f(x)`` (REBAR's), ``x_1 .. x_D`` and the constant 1 (whose ``B`` is the score: a constant baseline).

    Examples
    --------
    >>> noise = draw_relax_noise([0.0, 1.0], np.random.default_rng(0), 4)
    >>> B = control_terms(noise, 0.45, 0.5)
    >>> B.shape, bool(np.allclose(B[..., -1], noise.b - 1 / (1 + np.exp(-noise.theta))))
    ((4, 2, 4), True)
    """
    noise, tau = _noise(noise), _temperature(temperature)
    s = _score(noise)                                                       # (n, D)
    x, dx = _relaxed(noise.z, tau)
    xt, dxt = _relaxed(noise.z_tilde, tau)
    dxt = dxt * noise.dz_tilde                                              # dx~/dtheta through z~(theta)
    n, D = s.shape
    out = np.empty((n, D, D + 2))
    # h = f(x): B = f(x~) s - f'(x) dx/dtheta + f'(x~) dx~/dtheta
    out[..., 0] = toy_cost(xt, target)[:, None] * s - toy_cost_grad(x, target) * dx + toy_cost_grad(xt, target) * dxt
    # h = x_e: B_{d,e} = x~_e s_d - delta_de (dx_d - dx~_d)
    out[..., 1:D + 1] = xt[:, None, :] * s[:, :, None]
    idx = np.arange(D)
    out[:, idx, 1 + idx] -= dx - dxt
    # h = 1: B = s
    out[..., D + 1] = s
    return out


def relax_grads(noise: RelaxNoise, target: float, temperature, coefficients) -> np.ndarray:
    """RELAX estimates ``f(b) s - sum_k phi_k B_k``; REBAR when only ``phi_0 = eta`` is non-zero.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Parameters
    ----------
    noise : RelaxNoise
    target : float
    temperature : float > 0
    coefficients : array_like, shape (D + 2,)
        ``phi = (eta, w_1 .. w_D, c0)``; ``(eta, 0, ..., 0)`` is REBAR with scale ``eta``.

    Returns
    -------
    ndarray, shape (n, D)

    Notes
    -----
    REBAR: ``[f(b) - eta f(x~)] s + eta df(x)/dtheta - eta df(x~)/dtheta``.

    Examples
    --------
    >>> noise = draw_relax_noise([0.0, 0.5], np.random.default_rng(0), 5)
    >>> relax_grads(noise, 0.45, 0.5, np.zeros(4)).shape
    (5, 2)
    """
    B = control_terms(noise, target, temperature)
    phi = check.finite("coefficients", coefficients)
    if phi.shape != B.shape[-1:]:
        raise ValueError(f"coefficients must have shape ({B.shape[-1]},), got shape {phi.shape}")
    return reinforce_terms(noise, target) - B @ phi


def fit_control_coefficients(noise: RelaxNoise, target: float, temperature, *, rebar: bool = False) -> np.ndarray:
    """The surrogate parameters ``phi`` with the least total variance on ``noise``, by least squares.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Parameters
    ----------
    noise : RelaxNoise
        Training draws.  Fit on one set of draws and estimate on fresh ones: a ``phi`` fitted on the
        draws it is used with depends on them, and the estimate is no longer exactly unbiased.
    target, temperature
    rebar : bool
        Fit ``eta`` alone (REBAR); otherwise all of ``phi`` (RELAX).

    Returns
    -------
    ndarray, shape (D + 2,)

    Notes
    -----
    ``E[B] = 0``, so ``sum_d Var[f s_d - (B phi)_d] = E||f s - B phi||^2 - ||grad||^2``: least squares
    of the REINFORCE terms on the control variates over all samples and parameters.  Grathwohl et
    al. minimise the same variance by SGD on ``phi`` (and a neural surrogate); the linear surrogate
    lets the notebook solve it exactly.

    Examples
    --------
    >>> train = draw_relax_noise([0.0, 1.0], np.random.default_rng(0), 500)
    >>> phi = fit_control_coefficients(train, 0.45, 0.5, rebar=True)
    >>> phi.shape, bool(np.all(phi[1:] == 0))
    ((4,), True)
    """
    A = reinforce_terms(noise, target).reshape(-1)
    B = control_terms(noise, target, temperature)
    B = B.reshape(-1, B.shape[-1])
    phi = np.zeros(B.shape[1])
    cols = [0] if rebar else list(range(B.shape[1]))
    phi[cols] = np.linalg.lstsq(B[:, cols], A, rcond=None)[0]
    return phi
