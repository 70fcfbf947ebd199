"""REINFORCE on the chain MDP (lectures_lib.rl): exact quantities, unbiasedness, learning, variance."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lectures_lib import rl

S, A = 5, 2


@pytest.fixture
def mdp():
    return rl.chain_mdp()


def _all_trajectories(horizon: int):
    paths = np.array(list(itertools.product(*[range(S)] * horizon, *[range(A)] * horizon)))
    return paths[:, :horizon], paths[:, horizon:]


def test_chain_mdp_tables(mdp):
    assert mdp.transitions.shape == (S, A, S) and mdp.rewards.shape == (S, A)
    np.testing.assert_allclose(mdp.transitions.sum(-1), 1.0)
    assert mdp.transitions[2, 1, 3] == pytest.approx(0.9) and mdp.transitions[2, 1, 1] == pytest.approx(0.1)
    assert mdp.rewards[0, 0] == 0.1 and mdp.rewards[-1, 1] == 1.0 and mdp.rewards.sum() == pytest.approx(1.1)
    shifted = rl.chain_mdp(reward_shift=2.0)
    np.testing.assert_allclose(shifted.rewards, mdp.rewards + 2.0)
    with pytest.raises(ValueError):
        mdp.rewards[0, 0] = 5.0  # read-only: an environment cannot be changed by accident


def test_optimal_return_by_hand():
    # no slip: 4 moves right reach the goal at step 5, then 6 rewarded steps; the trap pays only 10 * 0.1
    assert rl.optimal_return(rl.chain_mdp(slip=0.0)) == pytest.approx(6.0)
    assert rl.optimal_return(rl.chain_mdp(horizon=1)) == pytest.approx(0.1)
    # reward_shift adds T * c to every policy's return, the optimal one included
    assert rl.optimal_return(rl.chain_mdp(reward_shift=1.0)) == pytest.approx(rl.optimal_return(rl.chain_mdp()) + 10)


def test_optimal_return_against_tree_search():
    """A random 3-state MDP: backward induction equals an explicit search over every history."""
    rng = np.random.default_rng(4)
    P = rng.dirichlet(np.ones(3), size=(3, 2))
    R = rng.normal(size=(3, 2))
    p0 = rng.dirichlet(np.ones(3))
    mdp = rl.MDP(P, R, p0, horizon=4)

    def search(s, steps_left):  # plain recursion over histories, no tables shared with the library
        if steps_left == 0:
            return 0.0
        return max(R[s, a] + sum(P[s, a, t] * search(t, steps_left - 1) for t in range(3)) for a in range(2))

    best = sum(p0[s] * search(s, 4) for s in range(3))
    assert rl.optimal_return(mdp) == pytest.approx(best, abs=1e-12)
    # no stationary softmax policy beats it
    for logits in rng.normal(scale=3.0, size=(200, 3, 2)):
        assert rl.expected_return(mdp, logits) <= best + 1e-12


def test_trajectory_probabilities_sum_to_one():
    mdp = rl.chain_mdp(horizon=3)
    logits = np.random.default_rng(3).normal(size=(S, A))
    states, actions = _all_trajectories(3)
    prob = np.exp(rl.trajectory_log_prob(mdp, logits, states, actions))
    assert prob.sum() == pytest.approx(1.0, abs=1e-12)
    # and the exact expected return is the probability-weighted sum of returns
    returns = mdp.rewards[states, actions].sum(-1)
    assert prob @ returns == pytest.approx(rl.expected_return(mdp, logits), abs=1e-12)


def test_trajectory_score_is_gradient_of_log_prob(mdp):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(S, A))
    ep = rl.sample_episodes(mdp, logits, 8, rng)
    h, fd = 1e-6, np.zeros((8, S, A))
    for k in np.ndindex(S, A):
        e = np.zeros((S, A))
        e[k] = h
        fd[(slice(None), *k)] = (rl.trajectory_log_prob(mdp, logits + e, ep.states, ep.actions)
                                 - rl.trajectory_log_prob(mdp, logits - e, ep.states, ep.actions)) / (2 * h)
    # central differences: truncation ~h^2, rounding ~1e-16 / h, so 1e-6 is a generous bound
    np.testing.assert_allclose(rl.trajectory_score(logits, ep.states, ep.actions), fd, atol=1e-6)


def test_sample_episodes_reproducible_and_distributed_right(mdp):
    logits = np.array([[0.0, 1.0]] * S)
    a = rl.sample_episodes(mdp, logits, 50, np.random.default_rng(7))
    b = rl.sample_episodes(mdp, logits, 50, np.random.default_rng(7))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert a.states.shape == a.actions.shape == a.rewards.shape == (50, mdp.horizon)
    assert np.all(a.states[:, 0] == 0)
    # the return's sample mean against the exact expected return: 5 standard errors,
    # false-failure probability ~6e-7 (normal approximation of the mean of 20 000 returns)
    G = rl.sample_episodes(mdp, logits, 20_000, np.random.default_rng(8)).rewards.sum(-1)
    assert abs(G.mean() - rl.expected_return(mdp, logits)) < 5 * G.std() / np.sqrt(G.size)


@pytest.mark.parametrize("baseline", ["none", "loo"])
def test_reinforce_is_unbiased(mdp, baseline):
    """Mean of 40 000 per-episode estimates vs finite differences of the exact expected return.

    Each of the 10 coordinates must lie within 5 standard errors: false-failure probability about
    10 * 6e-7 = 6e-6 (normal approximation; the leave-one-out estimates are weakly dependent, which
    the empirical standard error over 40 batches accounts for).
    """
    rng = np.random.default_rng(11)
    logits = np.random.default_rng(2).normal(scale=0.5, size=(S, A))
    batches = np.array([rl.reinforce_gradients(mdp, logits, 1000, rng, baseline).mean(0) for _ in range(40)])
    h, exact = 1e-5, np.zeros((S, A))
    for k in np.ndindex(S, A):
        e = np.zeros((S, A))
        e[k] = h
        exact[k] = (rl.expected_return(mdp, logits + e) - rl.expected_return(mdp, logits - e)) / (2 * h)
    se = batches.std(0, ddof=1) / np.sqrt(len(batches))
    assert np.all(np.abs(batches.mean(0) - exact) < 5 * se + 1e-8)


def test_leave_one_out_baseline():
    f = np.array([1.0, 2.0, 6.0, -3.0])
    np.testing.assert_allclose(rl.leave_one_out_baseline(f), [(f.sum() - v) / 3 for v in f])
    # shift-equivariant: (f + c) - b(f + c) = f - b(f), the reason the baseline ignores reward shifts
    np.testing.assert_allclose((f + 7) - rl.leave_one_out_baseline(f + 7), f - rl.leave_one_out_baseline(f))


def test_baseline_reduces_gradient_variance():
    """At the uniform policy with rewards shifted by 1 the measured reduction is ~150x; we ask for 10x.

    Each variance is a sum of 10 sample variances over 200 batches (relative spread ~10%), so a
    ratio below 10 would need a >10x error: the false-failure probability is negligible (< 1e-12).
    """
    mdp = rl.chain_mdp(reward_shift=1.0)
    theta = np.zeros((S, A))
    v_none = rl.gradient_variance(mdp, theta, np.random.default_rng(0), n_batches=200, baseline="none")
    v_loo = rl.gradient_variance(mdp, theta, np.random.default_rng(0), n_batches=200, baseline="loo")
    assert v_none / v_loo > 10


def test_reinforce_learns():
    """Seeded run (seed 0): the policy gets > 90% of the way from random (0.52) to optimal (4.73)."""
    mdp = rl.chain_mdp()
    best, rand = rl.optimal_return(mdp), rl.expected_return(mdp, np.zeros((S, A)))
    for baseline in ("none", "loo"):
        run = rl.train_reinforce(mdp, np.random.default_rng(0), baseline=baseline)
        assert run.returns.shape == (201,) and run.returns[0] == pytest.approx(rand)
        assert (run.returns[-1] - rand) / (best - rand) > 0.9
        assert run.returns[-1] <= best + 1e-12


def test_baseline_makes_training_shift_invariant():
    a = rl.train_reinforce(rl.chain_mdp(), np.random.default_rng(5), n_iters=30, baseline="loo")
    b = rl.train_reinforce(rl.chain_mdp(reward_shift=3.0), np.random.default_rng(5), n_iters=30, baseline="loo")
    np.testing.assert_allclose(b.returns, a.returns + 30.0)
    np.testing.assert_allclose(b.logits, a.logits)


def test_validation(mdp):
    rng = np.random.default_rng(0)
    theta = np.zeros((S, A))
    bad = [
        (lambda: rl.MDP(np.ones((2, 2, 2)), np.zeros((2, 2)), np.ones(2) / 2, 3), "transitions"),
        (lambda: rl.MDP(np.ones((2, 2, 2)) / 2, np.zeros((2, 3)), np.ones(2) / 2, 3), "shapes"),
        (lambda: rl.MDP(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)), np.ones(2), 3), "initial"),
        (lambda: rl.MDP(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)), np.ones(2) / 2, 0), "horizon"),
        (lambda: rl.MDP(np.ones((2, 2, 2)) / 2, np.full((2, 2), np.nan), np.ones(2) / 2, 3), "rewards"),
        (lambda: rl.chain_mdp(n_states=1), "n_states"),
        (lambda: rl.chain_mdp(slip=1.5), "slip"),
        (lambda: rl.chain_mdp(reward_shift=np.inf), "reward_shift"),
        (lambda: rl.sample_episodes("mdp", theta, 3, rng), "mdp"),
        (lambda: rl.sample_episodes(mdp, np.zeros((S, 3)), 3, rng), "logits"),
        (lambda: rl.sample_episodes(mdp, theta, 0, rng), "n_episodes"),
        (lambda: rl.sample_episodes(mdp, theta, 3, 42), "rng"),
        (lambda: rl.trajectory_score(theta, [[0, 7]], [[0, 1]]), "states"),
        (lambda: rl.trajectory_score(theta, [[0, 1]], [[0, 2]]), "actions"),
        (lambda: rl.trajectory_score(theta, [[0.5, 1]], [[0, 1]]), "states"),
        (lambda: rl.trajectory_log_prob(mdp, theta, [[0, 1]], [[0]]), "actions"),
        (lambda: rl.optimal_return(None), "mdp"),
        (lambda: rl.expected_return(mdp, np.full((S, A), np.nan)), "logits"),
        (lambda: rl.leave_one_out_baseline([1.0]), "f_values"),
        (lambda: rl.reinforce_gradients(mdp, theta, 8, rng, baseline="mean"), "baseline"),
        (lambda: rl.reinforce_gradients(mdp, theta, 1, rng, baseline="loo"), "n_episodes"),
        (lambda: rl.gradient_variance(mdp, theta, rng, n_batches=1), "n_batches"),
        (lambda: rl.train_reinforce(mdp, rng, n_iters=0), "n_iters"),
        (lambda: rl.train_reinforce(mdp, rng, learning_rate=-0.1), "learning_rate"),
    ]
    for call, name in bad:
        with pytest.raises(ValueError, match=name):
            call()
