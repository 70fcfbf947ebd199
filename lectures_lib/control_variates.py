"""Control variates for the score-function estimator on the Bernoulli toy of :mod:`lectures_lib.exact_toy`.

Three baselines ``b`` in ``(f(b) - baseline) * score``, each unbiased because the baseline does not
depend on the sample it multiplies and ``E[score] = 0``:

* the optimal constant baseline ``b*_d = E[f s_d^2] / E[s_d^2]`` (one per parameter; exact on the toy);
* leave-one-out, RLOO (Kool, van Hoof & Welling 2019): the mean cost of the *other* samples;
* a learned baseline fitted online by SGD on ``(f - b)^2`` (NVIL, Mnih & Gregor 2014), updated only
  *after* it was used, so it never depends on the samples it centres.

Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").
"""

from __future__ import annotations

import numpy as np
from scipy import special

from . import _validate as check
from .exact_toy import ExactToy, toy_cost


def sample_bernoulli(theta, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of ``b``, shape ``(n, D)``: ``b_d = 1[u_d < sigmoid(theta_d)]``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").

    Examples
    --------
    >>> sample_bernoulli([50.0, -50.0], np.random.default_rng(0), 2).tolist()
    [[1.0, 0.0], [1.0, 0.0]]
    """
    return _sample(check.vector("theta", theta), check.generator(rng), check.integer("n", n, minimum=1))


def _sample(th: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    # b_d = 1[u_d < sigmoid(theta_d)], u ~ U(0, 1)
    return (rng.random((n, th.size)) < special.expit(th)).astype(float)


def optimal_constant_baseline(toy: ExactToy) -> np.ndarray:
    """The variance-minimising constant baseline per parameter, ``b*_d = E[f s_d^2] / E[s_d^2]``, exactly.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").

    Parameters
    ----------
    toy : ExactToy
        From :func:`lectures_lib.exact_toy.exact_toy`.

    Returns
    -------
    ndarray, shape (D,)

    Notes
    -----
    The variance of ``(f - b_d) s_d`` is ``E[f^2 s_d^2] - 2 b_d E[f s_d^2] + b_d^2 E[s_d^2] - g_d^2``
    (its mean ``g_d`` does not move with ``b_d`` because ``E[s_d] = 0``); setting the derivative in
    ``b_d`` to zero gives ``b*_d`` (``symbolic.score_function.optimal_baseline_general``).

    Examples
    --------
    >>> from lectures_lib.exact_toy import exact_toy
    >>> optimal_constant_baseline(exact_toy([0.0], target=0.0)).tolist()   # f = b: E[b s^2]/E[s^2] = 1/2
    [0.5]
    """
    if not isinstance(toy, ExactToy):
        raise ValueError(f"toy must be an ExactToy (from exact_toy), got {type(toy).__name__}")
    s2 = toy.scores**2
    # b*_d = sum_b p f s_d^2 / sum_b p s_d^2
    return (toy.probs[:, None] * toy.costs[:, None] * s2).sum(0) / (toy.probs[:, None] * s2).sum(0)


def _costs_scores(f_values, scores) -> tuple[np.ndarray, np.ndarray]:
    f = check.finite("f_values", f_values)
    s = check.finite("scores", scores)
    if f.ndim < 1 or s.shape[:-1] != f.shape:
        raise ValueError(f"scores must have shape f_values.shape + (D,) = {f.shape} + (D,), got shape {s.shape}")
    return f, s


def rloo_grad(f_values, scores) -> np.ndarray:
    """The leave-one-out (RLOO) estimate from ``n`` samples: ``(1/n) sum_i (f_i - mean_{j != i} f_j) s_i``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").

    Parameters
    ----------
    f_values : array_like, shape (..., n), n >= 2
        Costs of ``n`` independent samples (leading axes: independent repetitions).
    scores : array_like, shape (..., n, D)
        Their scores ``d log p(b_i) / d theta``.

    Returns
    -------
    ndarray, shape (..., D)

    Notes
    -----
    ``f_i - (sum_j f_j - f_i) / (n - 1) = n / (n - 1) * (f_i - mean_j f_j)``: the centred costs
    with the usual mean, scaled up by ``n / (n - 1)`` (``symbolic.beyond.rloo_weight_identity``).
    Same result as ``rl.leave_one_out_baseline`` of notebook 04, vectorised over repetitions.

    Examples
    --------
    >>> rloo_grad([1.0, 3.0], [[1.0], [1.0]]).tolist()     # (1 - 3) + (3 - 1) = 0
    [0.0]
    """
    f, s = _costs_scores(f_values, scores)
    n = f.shape[-1]
    if n < 2:
        raise ValueError(f"f_values needs n >= 2 samples on its last axis for a leave-one-out baseline, got {n}")
    # f_i - b_i with b_i the mean of the other n - 1 samples
    centred = n / (n - 1) * (f - f.mean(-1, keepdims=True))
    return (centred[..., None] * s).mean(-2)


def reinforce_grad(f_values, scores, baseline=0.0) -> np.ndarray:
    """The ``n``-sample score-function estimate ``(1/n) sum_i (f_i - b) s_i`` with a constant baseline.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").

    Parameters
    ----------
    f_values : array_like, shape (..., n)
    scores : array_like, shape (..., n, D)
    baseline : float or array_like, shape (D,)
        A constant per parameter (e.g. :func:`optimal_constant_baseline`); 0 is plain REINFORCE.

    Returns
    -------
    ndarray, shape (..., D)

    Examples
    --------
    >>> reinforce_grad([1.0, 3.0], [[1.0], [-1.0]], baseline=2.0).tolist()   # ((1 - 2) 1 + (3 - 2)(-1)) / 2
    [-1.0]
    """
    f, s = _costs_scores(f_values, scores)
    b = check.finite("baseline", baseline)
    if b.ndim > 1 or (b.ndim == 1 and b.shape != s.shape[-1:]):
        raise ValueError(f"baseline must be a scalar or have shape ({s.shape[-1]},), got shape {b.shape}")
    # (f_i - b_d) s_{i,d}, averaged over the n samples
    return ((f[..., None] - b) * s).mean(-2)


def nvil_grads(theta, target: float, rng: np.random.Generator, *, steps: int, n: int = 1, lr: float = 0.1,
               start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Score-function estimates with a baseline learned online, as in NVIL (Mnih & Gregor 2014).

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").

    At each step ``k``: draw ``n`` samples, return ``(1/n) sum_i (f_i - c_k) s_i`` with the current
    baseline ``c_k``, and *then* take one SGD step on ``(1/2) mean_i (f_i - c)^2``:
    ``c_{k+1} = c_k + lr * mean_i (f_i - c_k)``.  ``theta`` is held fixed, so the estimates can be
    compared with the exact gradient.

    Parameters
    ----------
    theta : array_like, shape (D,)
    target : float
    rng : numpy.random.Generator
    steps : int >= 1
    n : int >= 1
        Samples per step.
    lr : float in (0, 1]
        SGD step size of the baseline.
    start : float
        Initial baseline ``c_0``.

    Returns
    -------
    (estimates, baselines) : ndarrays of shape (steps, D) and (steps,)
        The baseline used at each step.

    Notes
    -----
    ``c_k`` is a function of the samples of steps ``< k`` only, so ``E[(f - c_k) s | past] = E[f s]``:
    every estimate is unbiased, while ``c_k`` approaches ``E[f]``.  NVIL's baseline also takes the
    input ``x``; the toy has none, so ``c`` is one number.

    Examples
    --------
    >>> g, c = nvil_grads([0.0, 0.0], 0.45, np.random.default_rng(0), steps=3)
    >>> g.shape, float(c[0])
    ((3, 2), 0.0)
    """
    th = check.vector("theta", theta)
    rng = check.generator(rng)
    steps, n = check.integer("steps", steps, minimum=1), check.integer("n", n, minimum=1)
    lr, c = _lr_start(lr, start)
    b = _sample(th, rng, steps * n).reshape(steps, n, th.size)     # theta validated once, above
    return _nvil(toy_cost(b, target), b - special.expit(th), lr, c)  # scores b - sigmoid(theta)


def nvil_estimates(f_values, scores, *, lr: float = 0.1, start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """NVIL on given samples: step ``k`` returns ``(1/n) sum_i (f_ki - c_k) s_ki``, *then* updates ``c``.

    Introduced in notebooks/09_beyond_the_slides.ipynb (section "2. Control variates").

    Parameters
    ----------
    f_values : array_like, shape (steps, n)
        Costs of the ``n`` samples of each step.
    scores : array_like, shape (steps, n, D)
    lr : float in (0, 1]
    start : float
        Initial baseline ``c_0``.

    Returns
    -------
    (estimates, baselines) : ndarrays of shape (steps, D) and (steps,)

    Notes
    -----
    ``c_{k+1} = c_k + lr * mean_i (f_ki - c_k)``: one SGD step on ``(1/2) mean_i (f_ki - c)^2``.  The function is
    deterministic, so the tests average it over every joint outcome of a few steps: exactly unbiased.

    Examples
    --------
    >>> g, c = nvil_estimates([[1.0], [3.0]], [[[1.0]], [[1.0]]], lr=0.5)
    >>> g[:, 0].tolist(), c.tolist()       # c_1 = 0 + 0.5 (1 - 0)
    ([1.0, 2.5], [0.0, 0.5])
    """
    f, s = _costs_scores(f_values, scores)
    if f.ndim != 2:
        raise ValueError(f"f_values must have shape (steps, n), got shape {f.shape}")
    return _nvil(f, s, *_lr_start(lr, start))


def _lr_start(lr, start) -> tuple[float, float]:
    lr = check.in_range("lr", lr, 0.0, 1.0)
    if lr == 0.0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    return lr, float(check.finite("start", start))


def _nvil(f: np.ndarray, s: np.ndarray, lr: float, c: float) -> tuple[np.ndarray, np.ndarray]:
    estimates, baselines = np.empty((f.shape[0], s.shape[-1])), np.empty(f.shape[0])
    for k in range(f.shape[0]):
        baselines[k] = c
        estimates[k] = ((f[k] - c)[:, None] * s[k]).mean(0)
        # SGD on (1/2)(f - c)^2: the gradient in c is -(f - c); used only after this step's estimate
        c += lr * float((f[k] - c).mean())
    return estimates, baselines
