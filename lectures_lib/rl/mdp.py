"""A small finite-horizon MDP and what can be computed about a softmax policy on it: episodes, the
probability and score of a trajectory, and the exact expected and optimal returns.

The policy is tabular softmax, ``pi_theta(a | s) = softmax(logits[s])_a`` (the slides' ``theta``
is ``logits``, shape ``(S, A)``); episodes run in parallel, one array row per episode.
Introduced in notebooks/04_score_function.ipynb (section "5. REINFORCE on a small Markov decision process").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _validate as check
from ..gumbel import sample_gumbel, softmax


@dataclass(frozen=True)
class MDP:
    """A finite-horizon MDP: ``transitions[s, a, s'] = p(s'|s,a)``, ``rewards[s, a]``, ``initial[s] = p(s_1)``.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Parameters
    ----------
    transitions, rewards, initial : array_like
        Shapes ``(S, A, S)``, ``(S, A)``, ``(S,)``; probability rows are ``>= 0`` and sum to 1.
    horizon : int
        Episode length ``T >= 1``.  The arrays are copied and made read-only.

    Examples
    --------
    >>> MDP(np.ones((1, 2, 1)), np.zeros((1, 2)), np.ones(1), horizon=3).horizon
    3
    """

    transitions: np.ndarray
    rewards: np.ndarray
    initial: np.ndarray
    horizon: int

    def __post_init__(self):
        P, R, p0 = (check.finite(n, getattr(self, n)) for n in ("transitions", "rewards", "initial"))
        if P.ndim != 3 or P.shape[0] != P.shape[2] or R.shape != P.shape[:2] or p0.shape != P.shape[:1]:
            raise ValueError(f"need transitions (S, A, S), rewards (S, A), initial (S,); got shapes "
                             f"{P.shape}, {R.shape}, {p0.shape}")
        for name, table in (("transitions", P), ("initial", p0)):
            if (table < 0).any() or not np.allclose(table.sum(-1), 1.0, atol=1e-9):
                raise ValueError(f"{name} must be >= 0 and sum to 1 over the last axis, got {check._show(table)}")
        check.integer("horizon", self.horizon, minimum=1)
        for name, arr in (("transitions", P), ("rewards", R), ("initial", p0)):
            arr = arr.copy()
            arr.flags.writeable = False  # a shared environment must not change under a running notebook
            object.__setattr__(self, name, arr)


def chain_mdp(n_states: int = 5, horizon: int = 10, slip: float = 0.1, trap_reward: float = 0.1,
              goal_reward: float = 1.0, reward_shift: float = 0.0) -> MDP:
    """A corridor: a small reward at the left end (a trap), a large one at the right end.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Parameters
    ----------
    n_states, horizon : int
        Corridor length ``S >= 2`` and episode length ``T >= 1``.  Episodes start in cell 0.
    slip : float
        Probability in ``[0, 1]`` that a move goes the other way (action 0 = left, 1 = right).
    trap_reward, goal_reward : float
        ``R(0, left)`` and ``R(S-1, right)``; every other reward is 0.
    reward_shift : float
        Added to every reward (the ``f + c`` of the notebook): it changes no policy's ranking,
        only the variance of REINFORCE without a baseline.

    Returns
    -------
    MDP

    Notes
    -----
    ``p(min(s+1, S-1) | s, right) = 1 - slip``, ``p(max(s-1, 0) | s, right) = slip``, and mirrored for left.

    Examples
    --------
    >>> chain_mdp().transitions[0, 1].tolist()  # from cell 0, "right": 0.9 to cell 1, 0.1 stays
    [0.1, 0.9, 0.0, 0.0, 0.0]
    """
    n_states = check.integer("n_states", n_states, minimum=2)
    slip = float(check.finite("slip", slip))
    if not 0 <= slip <= 1:
        raise ValueError(f"slip must lie in [0, 1], got {slip!r}")
    P = np.zeros((n_states, 2, n_states))
    for s in range(n_states):
        left, right = max(s - 1, 0), min(s + 1, n_states - 1)
        P[s, 0, left] += 1 - slip
        P[s, 0, right] += slip
        P[s, 1, right] += 1 - slip
        P[s, 1, left] += slip
    R = np.zeros((n_states, 2))
    R[0, 0] = float(check.finite("trap_reward", trap_reward))
    R[-1, 1] = float(check.finite("goal_reward", goal_reward))
    return MDP(P, R + float(check.finite("reward_shift", reward_shift)), np.eye(n_states)[0], horizon)


class Episodes(NamedTuple):
    """Simulated episodes: ``states`` and ``actions`` (int, shape (n, T)), ``rewards`` (n, T)."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray


def _check_mdp(mdp) -> MDP:
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP (e.g. chain_mdp()), got {type(mdp).__name__}: {mdp!r}")
    return mdp


def _check_logits(mdp: MDP, logits) -> np.ndarray:
    logits = check.finite("logits", logits)
    if logits.shape != _check_mdp(mdp).rewards.shape:
        raise ValueError(f"logits must have shape (S, A) = {mdp.rewards.shape}, got shape {logits.shape}")
    return logits


def _check_episodes(shape: tuple[int, int], states, actions) -> tuple[np.ndarray, np.ndarray]:
    st, ac = np.asarray(states), np.asarray(actions)
    for name, arr, size in (("states", st, shape[0]), ("actions", ac, shape[1])):
        if arr.ndim != 2 or arr.shape != st.shape or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"{name} must be integers of shape (n, T) like states, got {arr.dtype} {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= size):
            raise ValueError(f"{name} must lie in [0, {size}), got {check._show(arr)}")
    return st, ac


def sample_episodes(mdp: MDP, logits, n_episodes: int, rng: np.random.Generator) -> Episodes:
    """Run ``n_episodes`` episodes of the softmax policy in parallel.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Parameters
    ----------
    mdp : MDP
    logits : array_like, shape (S, A)
        Policy parameters ``theta``: ``pi_theta(a | s) = softmax(logits[s])_a``.
    n_episodes : int
        Number of episodes ``n >= 1``.
    rng : numpy.random.Generator

    Returns
    -------
    Episodes
        ``states``, ``actions``, ``rewards``, each of shape ``(n, T)``.

    Notes
    -----
    ``a_t = argmax_a (logits[s_t, a] + G_a)``, ``G ~ Gumbel(0, 1)`` (the Gumbel-max trick of
    notebook 03); ``s_{t+1} = #{s' : U > F(s' | s_t, a_t)}``, ``U ~ U(0, 1)`` (inverse CDF).

    Examples
    --------
    >>> ep = sample_episodes(chain_mdp(), np.zeros((5, 2)), 4, np.random.default_rng(0))
    >>> ep.states.shape, int(ep.states[0, 0])
    ((4, 10), 0)
    """
    logits = _check_logits(mdp, logits)
    n = check.integer("n_episodes", n_episodes, minimum=1)
    rng = check.generator(rng)
    S, T = mdp.initial.size, mdp.horizon
    cdf = mdp.transitions.cumsum(-1)  # (S, A, S)
    # All noise up front (two generator calls instead of 2T): the Gumbel noise of the actions and
    # the uniforms of the moves do not depend on the states visited, only their use does.
    gumbels = sample_gumbel(rng, size=(T, n, logits.shape[1]))  # (T, n, A)
    uniforms = rng.random((T, n, 1))
    states, actions = np.empty((n, T), dtype=np.intp), np.empty((n, T), dtype=np.intp)
    s = rng.choice(S, size=n, p=mdp.initial)
    for t in range(T):
        a = (logits[s] + gumbels[t]).argmax(-1)  # a_t ~ pi_theta(. | s_t), one row per episode
        states[:, t], actions[:, t] = s, a
        # the min guards against a CDF whose last entry rounds to 1 - 1e-16 < U
        s = np.minimum((uniforms[t] > cdf[s, a]).sum(-1), S - 1)
    return Episodes(states, actions, mdp.rewards[states, actions])


def trajectory_log_prob(mdp: MDP, logits, states, actions) -> np.ndarray:
    """Log-probability ``log p_theta(Pi)`` of each episode under the policy and the dynamics.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Parameters
    ----------
    mdp : MDP
    logits : array_like, shape (S, A)
    states, actions : array_like of int, shape (n, T)

    Returns
    -------
    ndarray, shape (n,)
        ``-inf`` for an impossible episode.

    Notes
    -----
    ``log p(s_1) + sum_{t=1}^T log pi_theta(a_t|s_t) + sum_{t=1}^{T-1} log p(s_{t+1}|s_t, a_t)``:
    the transitions stop at ``T - 1``, since ``s_{T+1}`` is not part of ``Pi`` (erratum E04.4).

    Examples
    --------
    >>> float(np.exp(trajectory_log_prob(chain_mdp(horizon=1), np.zeros((5, 2)), [[0]], [[1]])[0]))
    0.5
    """
    logits = _check_logits(mdp, logits)
    st, ac = _check_episodes(logits.shape, states, actions)
    # zero probabilities give log 0 = -inf, the right log-probability of an impossible episode
    with np.errstate(divide="ignore"):
        log_pi, log_p, log_p0 = np.log(softmax(logits)), np.log(mdp.transitions), np.log(mdp.initial)
    return log_p0[st[:, 0]] + log_pi[st, ac].sum(-1) + log_p[st[:, :-1], ac[:, :-1], st[:, 1:]].sum(-1)


def trajectory_score(logits, states, actions) -> np.ndarray:
    """Score of each episode, ``grad_theta log p_theta(Pi)``: only the policy terms survive.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Parameters
    ----------
    logits : array_like, shape (S, A)
    states, actions : array_like of int, shape (n, T)

    Returns
    -------
    ndarray, shape (n, S, A)

    Notes
    -----
    ``grad_theta log p_theta(Pi) = sum_t grad_theta log pi_theta(a_t|s_t)``, and for a softmax row
    ``d log pi(a|s) / d logits[s, :] = onehot(a) - pi(.|s)`` (0 for the other rows).  The dynamics
    do not depend on ``theta``, which is why no model of the environment is needed.

    Examples
    --------
    >>> trajectory_score(np.zeros((2, 2)), [[0]], [[1]])[0].tolist()
    [[-0.5, 0.5], [0.0, 0.0]]
    """
    logits = check.finite("logits", logits)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (S, A), got shape {logits.shape}")
    st, ac = _check_episodes(logits.shape, states, actions)
    S, A = logits.shape
    # onehot(a_t) - pi(.|s_t): (n, T, A), then added into row s_t of an (S, A) table
    step = np.eye(A)[ac] - softmax(logits)[st]
    return np.einsum("nts,nta->nsa", np.eye(S)[st], step)


def expected_return(mdp: MDP, logits) -> float:
    """Exact expected return ``E[sum_t R(s_t, a_t)]`` of the softmax policy.

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Parameters
    ----------
    mdp : MDP
    logits : array_like, shape (S, A)

    Returns
    -------
    float

    Notes
    -----
    ``d_1 = p(s_1)``, ``d_{t+1}(s') = sum_{s,a} d_t(s) pi(a|s) p(s'|s,a)``, and the return is
    ``sum_t sum_{s,a} d_t(s) pi(a|s) R(s,a)``: exact, so learning curves show no sampling noise.

    Examples
    --------
    >>> round(expected_return(chain_mdp(horizon=1), np.zeros((5, 2))), 3)  # half the trap reward
    0.05
    """
    pi = softmax(_check_logits(mdp, logits))
    r_pi = (pi * mdp.rewards).sum(-1)  # expected reward in each state, (S,)
    P_pi = np.einsum("sa,sat->st", pi, mdp.transitions)  # state-to-state matrix under the policy, (S, S)
    d, total = mdp.initial, 0.0
    for _ in range(mdp.horizon):
        total += d @ r_pi
        d = d @ P_pi
    return float(total)


def optimal_return(mdp: MDP) -> float:
    """Best expected return of any policy, by backward induction (dynamic programming).

    Introduced in notebooks/04_score_function.ipynb (slide "Score Function Estimator").

    Parameters
    ----------
    mdp : MDP

    Returns
    -------
    float

    Notes
    -----
    ``V_{T+1} = 0``, ``V_t(s) = max_a [R(s,a) + sum_{s'} p(s'|s,a) V_{t+1}(s')]``; return ``sum_s p(s_1) V_1(s)``.

    Examples
    --------
    >>> optimal_return(chain_mdp(horizon=1))
    0.1
    """
    V = np.zeros(_check_mdp(mdp).initial.size)
    for _ in range(mdp.horizon):
        V = (mdp.rewards + mdp.transitions @ V).max(-1)
    return float(mdp.initial @ V)
