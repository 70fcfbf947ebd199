"""An exact reference for discrete gradient estimators: D independent Bernoullis and a non-linear cost.

``b_d ~ Bernoulli(sigmoid(theta_d))`` independently for ``d = 1..D``, and the cost
``f(b) = (sum_d b_d - t)^2`` couples the variables (it is not a sum of one term per ``b_d``).
With ``D <= 12`` all ``2^D`` states can be listed, so ``E[f]``, its gradient, and the exact mean and
variance of any estimator that depends only on ``b`` are sums, not Monte Carlo estimates.
Every estimator of notebook 09 is measured against this truth.

Introduced in notebooks/09_beyond_the_slides.ipynb (section "1. An exact reference").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _validate as check

MAX_D = 12  # 2^12 = 4096 states: enumeration stays instant


def _enumerable(theta) -> np.ndarray:
    """``theta`` of shape ``(D,)`` with ``D <= MAX_D``: the ``2^D`` states are listed (the samplers take any ``D``)."""
    th = check.vector("theta", theta)
    if th.size > MAX_D:
        raise ValueError(f"theta must have shape (D,) with 1 <= D <= {MAX_D} to enumerate 2^D states, "
                         f"got shape {th.shape}")
    return th


def all_states(D: int) -> np.ndarray:
    """Every binary vector of length ``D``, one per row, in binary counting order.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "1. An exact reference").

    Parameters
    ----------
    D : int, 1 <= D <= 12

    Returns
    -------
    ndarray, shape (2**D, D), values 0.0 / 1.0

    Examples
    --------
    >>> all_states(2).tolist()
    [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    """
    D = check.integer("D", D, minimum=1)
    if D > MAX_D:
        raise ValueError(f"D must be <= {MAX_D} (2^D states are enumerated), got {D}")
    # row i holds the binary digits of i, most significant first
    return ((np.arange(2**D)[:, None] >> np.arange(D - 1, -1, -1)) & 1).astype(float)


def toy_cost(x, target) -> np.ndarray:
    """The cost ``f(x) = (sum_d x_d - t)^2``, for binary ``b`` or relaxed ``x`` in ``[0, 1]^D``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "1. An exact reference").

    Parameters
    ----------
    x : array_like, shape (..., D)
    target : float
        ``t``; a non-integer ``t`` means no state has cost 0.

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> toy_cost([[1.0, 0.0, 1.0]], 0.5).tolist()
    [2.25]
    """
    x = check.finite("x", x)
    t = float(check.finite("target", target))
    return (x.sum(-1) - t) ** 2


def toy_cost_grad(x, target) -> np.ndarray:
    """``df/dx_d = 2 (sum_e x_e - t)``, the same for every ``d``; shape like ``x``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "3. REBAR and RELAX").

    Examples
    --------
    >>> toy_cost_grad([[1.0, 0.0]], 0.5).tolist()
    [[1.0, 1.0]]
    """
    x = check.finite("x", x)
    t = float(check.finite("target", target))
    return np.broadcast_to(2 * (x.sum(-1, keepdims=True) - t), x.shape).copy()


def bernoulli_log_prob(b, theta) -> np.ndarray:
    """``log p(b | theta) = sum_d [b_d log sigmoid(theta_d) + (1 - b_d) log sigmoid(-theta_d)]``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "1. An exact reference").

    Notes
    -----
    ``log sigmoid(x) = -log(1 + e^{-x})`` is computed with ``logaddexp(0, -x)``: finite for any logit
    (``log(sigmoid(800))`` would be ``log(1) = 0``, fine, but ``log(sigmoid(-800)) = log(0) = -inf``).

    Examples
    --------
    >>> float(np.exp(bernoulli_log_prob([1.0, 0.0], [0.0, 0.0])))
    0.25
    """
    th = check.vector("theta", theta)
    b = check.finite("b", b)
    if b.shape[-1:] != th.shape or not np.all((b == 0) | (b == 1)):
        raise ValueError(f"b must hold 0/1 values with last axis {th.size}, got {check._show(b)}")
    return _log_prob(b, th)


def _log_prob(b: np.ndarray, th: np.ndarray) -> np.ndarray:
    # sum_d [b_d log sigmoid(theta_d) + (1 - b_d) log sigmoid(-theta_d)], on validated b and theta
    return -(b * np.logaddexp(0, -th) + (1 - b) * np.logaddexp(0, th)).sum(-1)


def bernoulli_score(b, theta) -> np.ndarray:
    """``d log p(b|theta) / d theta_d = b_d - sigmoid(theta_d)``; shape like ``b``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "1. An exact reference").

    Examples
    --------
    >>> bernoulli_score([[1.0, 0.0]], [0.0, 0.0]).tolist()
    [[0.5, -0.5]]
    """
    th = check.vector("theta", theta)
    b = check.finite("b", b)
    if b.shape[-1:] != th.shape:
        raise ValueError(f"b must have last axis {th.size}, got shape {b.shape}")
    return b - special.expit(th)


@dataclass(frozen=True)
class ExactToy:
    """Everything about the toy at ``theta``, by enumeration of the ``2^D`` states.

    Attributes
    ----------
    states : (2^D, D) array;  probs : (2^D,) array, ``p(b | theta)``;  costs : (2^D,) array, ``f(b)``;
    scores : (2^D, D) array, ``b - sigmoid(theta)``;  mean : float, ``E[f]``;  grad : (D,) array, ``dE[f]/dtheta``.
    """

    theta: np.ndarray
    target: float
    states: np.ndarray
    probs: np.ndarray
    costs: np.ndarray
    scores: np.ndarray
    mean: float
    grad: np.ndarray

    def moments(self, per_state) -> tuple[np.ndarray, np.ndarray]:
        """Exact mean and variance of an estimator that is a function of ``b`` alone.

        ``per_state`` has shape ``(2^D, ...)``: its value at each state.  Returns ``(E[g], Var[g])``
        with ``E[g] = sum_b p(b) g(b)`` and ``Var[g] = sum_b p(b) (g(b) - E[g])^2``.
        """
        g = check.finite("per_state", per_state)
        if g.shape[:1] != self.probs.shape:
            raise ValueError(f"per_state must have first axis {self.probs.size} (one value per state), "
                             f"got shape {g.shape}")
        p = self.probs.reshape(-1, *(1,) * (g.ndim - 1))
        mean = (p * g).sum(0)
        return mean, (p * (g - mean) ** 2).sum(0)


def exact_toy(theta, target: float = 0.45) -> ExactToy:
    """Enumerate the toy: probabilities, costs, scores, ``E[f]`` and its exact gradient.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "1. An exact reference").

    Parameters
    ----------
    theta : array_like, shape (D,), 1 <= D <= 12
        Logits: ``P(b_d = 1) = sigmoid(theta_d)``.
    target : float
        ``t`` in ``f(b) = (sum_d b_d - t)^2``.

    Returns
    -------
    ExactToy

    Notes
    -----
    ``E[f] = sum_b p(b) f(b)`` and ``dE[f]/dtheta_d = sum_b p(b) f(b) (b_d - sigmoid(theta_d))``
    (the score identity ``dp/dtheta = p dlog p/dtheta``, summed exactly rather than sampled).

    Examples
    --------
    >>> toy = exact_toy([0.0], target=0.0)      # E[b^2] = sigmoid(theta), derivative 1/4 at 0
    >>> float(toy.mean), toy.grad.tolist()
    (0.5, [0.25])
    """
    th = _enumerable(theta)                       # validated once: the states below are built valid
    states = all_states(th.size)
    probs = np.exp(_log_prob(states, th))
    costs = toy_cost(states, target)
    scores = states - special.expit(th)           # the score b - sigmoid(theta) of every state
    # dE[f]/dtheta = sum_b p(b) f(b) (b - sigmoid(theta))
    grad = (probs[:, None] * costs[:, None] * scores).sum(0)
    return ExactToy(th, float(target), states, probs, costs, scores, float(probs @ costs), grad)


def mean_with_error(estimates) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo mean of independent estimates (axis 0) and its standard error ``std / sqrt(n)``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "1. An exact reference").

    Examples
    --------
    >>> m, se = mean_with_error([[1.0], [3.0]])
    >>> m.tolist(), se.round(3).tolist()
    ([2.0], [1.0])
    """
    g = check.finite("estimates", estimates)
    if g.ndim < 1 or g.shape[0] < 2:
        raise ValueError(f"estimates must have at least 2 rows (axis 0), got shape {g.shape}")
    return g.mean(0), g.std(0, ddof=1) / np.sqrt(g.shape[0])
