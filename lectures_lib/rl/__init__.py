"""REINFORCE on a small chain MDP: the slides' reinforcement-learning example made runnable.

Two jobs, two modules: :mod:`.mdp` is the environment and what can be computed exactly about a softmax policy on
it (episodes, trajectory probabilities and scores, expected and optimal returns); :mod:`.reinforce` estimates the
policy gradient from episodes and trains with it.  Notebook 04 imports this package as ``rl`` and calls
``rl.<name>`` for both.

Introduced in notebooks/04_score_function.ipynb (section "5. REINFORCE on a small Markov decision process").
"""

from .mdp import (
    MDP,
    Episodes,
    chain_mdp,
    expected_return,
    optimal_return,
    sample_episodes,
    trajectory_log_prob,
    trajectory_score,
)
from .reinforce import Training, gradient_variance, leave_one_out_baseline, reinforce_gradients, train_reinforce

__all__ = [
    "MDP", "Episodes", "chain_mdp", "expected_return", "optimal_return", "sample_episodes", "trajectory_log_prob",
    "trajectory_score", "Training", "gradient_variance", "leave_one_out_baseline", "reinforce_gradients",
    "train_reinforce",
]
