"""REINFORCE on the MDP of :mod:`.mdp`: the leave-one-out baseline, per-episode gradient estimates, their
variance, and training by stochastic gradient ascent.

Introduced in notebooks/04_score_function.ipynb (section "5. REINFORCE on a small Markov decision process").
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate as check
from ..estimators import score_function_grad
from .mdp import MDP, chain_mdp, expected_return, sample_episodes, trajectory_score  # noqa: F401 (chain_mdp: doctests)


def leave_one_out_baseline(f_values) -> np.ndarray:
    """The leave-one-out baseline: for each sample, the mean of the *other* samples.

    Introduced in notebooks/04_score_function.ipynb (section "4. Variance, and baselines that reduce it").

    Parameters
    ----------
    f_values : array_like, shape (n,), n >= 2

    Returns
    -------
    ndarray, shape (n,)

    Notes
    -----
    ``b_i = (sum_j f_j - f_i) / (n - 1)``.  ``b_i`` does not depend on sample ``i``, so
    ``E[(f_i - b_i) s_i] = E[f_i s_i]``: no bias.

    Examples
    --------
    >>> leave_one_out_baseline([1.0, 2.0, 6.0]).tolist()
    [4.0, 3.5, 1.5]
    """
    f = check.finite("f_values", f_values)
    if f.ndim != 1 or f.size < 2:
        raise ValueError(f"f_values must have shape (n,) with n >= 2, got shape {f.shape}")
    return (f.sum() - f) / (f.size - 1)


def reinforce_gradients(mdp: MDP, logits, n_episodes: int, rng: np.random.Generator,
                        baseline: str = "none") -> np.ndarray:
    """Per-episode REINFORCE gradient estimates; their mean is the gradient estimate.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Parameters
    ----------
    mdp : MDP
    logits : array_like, shape (S, A)
    n_episodes : int
    rng : numpy.random.Generator
    baseline : {"none", "loo"}
        ``b = 0``, or the leave-one-out mean of the other returns (needs ``n_episodes >= 2``).

    Returns
    -------
    ndarray, shape (n_episodes, S, A)

    Notes
    -----
    ``(G_i - b_i) grad_theta log p_theta(Pi_i)`` with ``G_i = sum_t R(s_t, a_t)`` (the slide's ``f(z)``),
    computed by :func:`lectures_lib.estimators.score_function_grad`.

    Examples
    --------
    >>> reinforce_gradients(chain_mdp(), np.zeros((5, 2)), 8, np.random.default_rng(0), "loo").shape
    (8, 5, 2)
    """
    if baseline not in ("none", "loo"):
        raise ValueError(f"baseline must be 'none' or 'loo', got {baseline!r}")
    if baseline == "loo":
        check.integer("n_episodes", n_episodes, minimum=2)
    ep = sample_episodes(mdp, logits, n_episodes, rng)
    G = ep.rewards.sum(-1)
    b = leave_one_out_baseline(G) if baseline == "loo" else 0.0
    return score_function_grad(G, trajectory_score(logits, ep.states, ep.actions), b)


def gradient_variance(mdp: MDP, logits, rng: np.random.Generator, *, n_episodes: int = 16,
                      n_batches: int = 400, baseline: str = "none") -> float:
    """Total variance of the batch-mean REINFORCE gradient, measured over ``n_batches`` batches.

    Introduced in notebooks/04_score_function.ipynb (section "5. REINFORCE on a small Markov decision process").

    Parameters
    ----------
    mdp, logits, rng, baseline
        As in :func:`reinforce_gradients`.
    n_episodes : int
        Episodes per batch.
    n_batches : int
        Number of independent batches (>= 2).

    Returns
    -------
    float

    Notes
    -----
    ``sum_{s,a} Var[g_{s,a}]`` (the trace of the covariance), ``g = (1/n) sum_i (G_i - b_i) grad log p(Pi_i)``.

    Examples
    --------
    >>> gradient_variance(chain_mdp(), np.zeros((5, 2)), np.random.default_rng(0), n_batches=20) > 0
    True
    """
    n_batches = check.integer("n_batches", n_batches, minimum=2)
    g = [reinforce_gradients(mdp, logits, n_episodes, rng, baseline).mean(0) for _ in range(n_batches)]
    return float(np.var(np.array(g), axis=0, ddof=1).sum())


class Training(NamedTuple):
    """``returns[k]``: exact expected return after ``k`` updates; ``logits``: the final policy."""

    returns: np.ndarray
    logits: np.ndarray


def train_reinforce(mdp: MDP, rng: np.random.Generator, *, n_iters: int = 200, n_episodes: int = 16,
                    learning_rate: float = 0.1, baseline: str = "none") -> Training:
    """Train the softmax policy by REINFORCE (stochastic gradient ascent) from the uniform policy.

    Introduced in notebooks/04_score_function.ipynb (section "5. REINFORCE on a small Markov decision process").

    Parameters
    ----------
    mdp : MDP
    rng : numpy.random.Generator
    n_iters, n_episodes : int
        Number of updates, and episodes per update.
    learning_rate : float
        Step size ``> 0``.
    baseline : {"none", "loo"}

    Returns
    -------
    Training
        ``returns`` of shape ``(n_iters + 1,)`` (exact, not sampled) and the final ``logits``.

    Notes
    -----
    ``theta <- theta + lr * (1/n) sum_i (G_i - b_i) grad_theta log p_theta(Pi_i)``, ``theta_0 = 0``.

    Examples
    --------
    >>> run = train_reinforce(chain_mdp(), np.random.default_rng(0), n_iters=5)
    >>> run.returns.shape
    (6,)
    """
    n_iters = check.integer("n_iters", n_iters, minimum=1)
    lr = float(check.positive("learning_rate", learning_rate))
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP (e.g. chain_mdp()), got {type(mdp).__name__}: {mdp!r}")
    logits = np.zeros(mdp.rewards.shape)  # all logits equal: the uniform random policy
    returns = [expected_return(mdp, logits)]
    for _ in range(n_iters):
        logits = logits + lr * reinforce_gradients(mdp, logits, n_episodes, rng, baseline).mean(0)
        returns.append(expected_return(mdp, logits))
    return Training(np.array(returns), logits)
