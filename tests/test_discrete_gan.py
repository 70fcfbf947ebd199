"""lectures_lib.discrete_gan: the target chain, the generator's exact distribution, its backward passes against
finite differences and torch, seeded short GAN runs, reproducibility and validation."""

import itertools

import numpy as np
import pytest
from scipy import special, stats

from lectures_lib.discrete_gan import (
    MarkovChain,
    SequenceGenerator,
    ascending_runs,
    make_discriminator,
    total_variation,
    train_discrete_gan,
)
from lectures_lib.motivation import all_sequences
from lectures_lib.nn import finite_difference_grads, relative_error, softplus


def _teacher_forced_log_prob(gen, tokens, z):
    """log p(v | z) = sum_t log softmax(mu_t)[v_t], the RNN fed the given tokens (independent of the library)."""
    p, n = gen.params, len(tokens)
    h, v, total = np.zeros((n, gen.H)), np.zeros((n, gen.L)), np.zeros(n)
    for t in range(gen.T):
        h = np.tanh(h @ p["W_hh"] + v @ p["W_hv"] + z[:, t] @ p["W_hz"] + p["b_h"])
        log_p = special.log_softmax(h @ p["W_oh"] + p["b_o"], axis=-1)
        total += log_p[np.arange(n), tokens[:, t]]
        v = np.eye(gen.L)[tokens[:, t]]
    return total


def test_markov_chain_probabilities_and_samples():
    chain = ascending_runs(n_tokens=4, length=3, p_up=0.6, p_stay=0.25)
    assert np.allclose(chain.transition.sum(1), 1) and chain.transition[1, 2] == pytest.approx(0.6)
    assert chain.transition[2, 2] == pytest.approx(0.25) and chain.transition[2, 0] == pytest.approx(0.075)
    p = chain.probabilities()
    assert p.shape == (64,) and p.sum() == pytest.approx(1, abs=1e-12)
    assert p[all_sequences(4, 3).tolist().index([1, 2, 3])] == pytest.approx(0.25 * 0.6 * 0.6)
    tokens = chain.sample(np.random.default_rng(0), 40_000)
    counts = np.bincount(tokens @ (4 ** np.arange(2, -1, -1)), minlength=64)  # lexicographic index
    # chi-square goodness of fit: a false failure has probability 1e-4
    assert stats.chisquare(counts, 40_000 * p).pvalue > 1e-4
    assert np.array_equal(tokens[:5], chain.sample(np.random.default_rng(0), 5))


def test_total_variation():
    assert total_variation([0.2, 0.8], [0.2, 0.8]) == 0
    assert total_variation([1.0, 0.0], [0.0, 1.0]) == 1
    with pytest.raises(ValueError, match="same shape"):
        total_variation([0.5, 0.5], [1.0])


def test_sequence_probabilities_is_the_exact_mixture_over_the_noise():
    gen = SequenceGenerator(np.random.default_rng(1), n_tokens=3, length=3, hidden=5, noise_dim=2)
    seqs = all_sequences(3, 3)  # (27, 3)
    p = gen.sequence_probabilities(np.random.default_rng(2), n_noise=7)
    z = np.random.default_rng(2).standard_normal((7, 3, 2))  # the same draws of z
    brute = np.mean([np.exp(_teacher_forced_log_prob(gen, seqs, np.repeat(zm[None], 27, 0))) for zm in z], axis=0)
    np.testing.assert_allclose(p, brute, rtol=1e-12)
    assert p.sum() == pytest.approx(1, abs=1e-12)


def test_hard_samples_follow_the_generator_distribution():
    gen = SequenceGenerator(np.random.default_rng(3), n_tokens=3, length=3, hidden=5, noise_dim=2)
    n = 20_000
    v = gen.forward(gen.draw_noise(np.random.default_rng(4), n), 1.0, mode="hard")
    assert np.all(v.sum(-1) == 1) and set(np.unique(v)) == {0.0, 1.0}
    counts = np.bincount(v.argmax(-1) @ (3 ** np.arange(2, -1, -1)), minlength=27)
    p = gen.sequence_probabilities(np.random.default_rng(5), n_noise=50_000)  # Monte Carlo error << sampling error
    assert stats.chisquare(counts, n * p / p.sum()).pvalue > 1e-4  # false failure probability about 1e-4
    st = gen.forward(gen.draw_noise(np.random.default_rng(4), n), 1.0, mode="straight_through")
    assert np.array_equal(st, v)  # the straight-through forward value is the Gumbel-max sample


def test_soft_backward_matches_finite_differences_through_the_discriminator():
    rng = np.random.default_rng(6)
    gen = SequenceGenerator(rng, n_tokens=3, length=3, hidden=4, noise_dim=2)
    disc = make_discriminator(rng, n_tokens=3, length=3, hidden=5)
    for layer in disc.layers:  # float64 throughout
        layer.params.update({k: v.astype(np.float64) for k, v in layer.params.items()})
    noise = gen.draw_noise(np.random.default_rng(7), 6)

    def loss():  # non-saturating generator cost mean -log D(G(z)) of the relaxed generator
        s = disc.forward(gen.forward(noise, 0.7, mode="soft").reshape(6, -1))[:, 0]
        return float(softplus(-s).mean())

    loss()
    s = disc.forward(gen.forward(noise, 0.7, mode="soft").reshape(6, -1))
    g_v = disc.backward(-special.expit(-s) / 6)  # d/ds softplus(-s) = -sigmoid(-s)
    gen.backward(g_v.reshape(6, 3, 3))
    analytic = {k: v.copy() for k, v in gen.grads.items()}
    numeric = finite_difference_grads(loss, gen.params)
    for k in analytic:
        assert relative_error(analytic[k], numeric[k]) < 1e-5, k


def test_backward_score_is_the_gradient_of_the_surrogate():
    gen = SequenceGenerator(np.random.default_rng(8), n_tokens=3, length=3, hidden=4, noise_dim=2)
    z, g = gen.draw_noise(np.random.default_rng(9), 10)
    tokens = gen.forward((z, g), 1.0, mode="hard").argmax(-1)  # (10, 3)
    cost = np.random.default_rng(10).standard_normal(10)
    baseline = (cost.sum() - cost) / 9
    gen.forward((z, g), 1.0, mode="hard")
    gen.backward_score(cost, baseline)
    numeric = finite_difference_grads(
        lambda: float(((cost - baseline) * _teacher_forced_log_prob(gen, tokens, z)).mean()), gen.params)
    for k in gen.params:
        assert relative_error(gen.grads[k], numeric[k]) < 1e-5, k


def test_straight_through_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    gen = SequenceGenerator(rng, n_tokens=4, length=3, hidden=5, noise_dim=2)
    z, g = gen.draw_noise(np.random.default_rng(12), 8)
    w = np.random.default_rng(13).standard_normal((8, 3, 4))  # dL/dv of a linear loss sum(w * v)
    gen.forward((z, g), 0.6)
    gen.backward(w)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in gen.params.items()}
    zt, gt = torch.tensor(z), torch.tensor(g)
    h, v, out = torch.zeros(8, 5, dtype=torch.float64), torch.zeros(8, 4, dtype=torch.float64), []
    for t in range(3):
        h = torch.tanh(h @ p["W_hh"] + v @ p["W_hv"] + zt[:, t] @ p["W_hz"] + p["b_h"])
        # torch.nn.functional.gumbel_softmax(hard=True) computes y_hard - y_soft.detach() + y_soft
        y = torch.softmax((h @ p["W_oh"] + p["b_o"] + gt[:, t]) / 0.6, dim=-1)
        v = torch.nn.functional.one_hot(y.argmax(-1), 4).double() - y.detach() + y
        out.append(v)
    (torch.stack(out, 1) * torch.tensor(w)).sum().backward()
    for k, v_ in p.items():
        np.testing.assert_allclose(gen.grads[k], v_.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("estimator", ["straight_through", "reinforce"])
def test_short_gan_run_learns_a_small_chain(estimator):
    # 3 tokens, length 3 (27 sequences), 600 steps of batch 64.  Deterministic for this seed: TV 0.45 -> 0.10
    # (straight-through) and 0.45 -> 0.08 (reinforce); seeds 0-3 end in 0.07-0.11 and 0.05-0.09.
    chain = ascending_runs(n_tokens=3, length=3, p_up=0.7, p_stay=0.2)
    rng = np.random.default_rng(0)
    gen = SequenceGenerator(rng, n_tokens=3, length=3, hidden=16, noise_dim=2)
    disc = make_discriminator(rng, n_tokens=3, length=3, hidden=32)
    h = train_discrete_gan(gen, disc, chain, rng, estimator=estimator, steps=600, batch_size=64, eval_every=200)
    final = total_variation(gen.sequence_probabilities(np.random.default_rng(1), 2000), chain.probabilities())
    assert h.tv[0] > 0.3 and final < 0.2, (h.tv, final)
    assert h.eval_steps == [0, 200, 400, 600] and len(h.d_loss) == len(h.g_loss) == 600
    assert np.all(np.isfinite(h.d_loss)) and h.cpu_seconds > 0


def test_same_seed_same_run():
    runs = []
    for _ in range(2):
        rng = np.random.default_rng(3)
        gen = SequenceGenerator(rng, n_tokens=3, length=2, hidden=4, noise_dim=1)
        disc = make_discriminator(rng, n_tokens=3, length=2, hidden=4)
        h = train_discrete_gan(gen, disc, ascending_runs(3, 2), rng, steps=20, batch_size=8, eval_every=10)
        runs.append((h.d_loss, h.tv, gen.params))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert all(np.array_equal(runs[0][2][k], runs[1][2][k]) for k in runs[0][2])


def _parts():
    rng = np.random.default_rng(0)
    return SequenceGenerator(rng, n_tokens=3, length=2, hidden=4), make_discriminator(rng, 3, 2, 4), rng


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda g, d, r: ascending_runs(n_tokens=2), "n_tokens"),
        (lambda g, d, r: ascending_runs(p_up=0.9, p_stay=0.2), "p_up and p_stay"),
        (lambda g, d, r: SequenceGenerator(r, hidden=0), "hidden"),
        (lambda g, d, r: SequenceGenerator(0), "rng"),
        (lambda g, d, r: g.forward(g.draw_noise(r, 2), 1.0, mode="gumbel"), "mode"),
        (lambda g, d, r: g.forward(g.draw_noise(r, 2), 0.0), "temperature"),
        (lambda g, d, r: g.forward((np.zeros((2, 2, 1)), np.zeros((2, 2, 3))), 1.0), "noise must be"),
        (lambda g, d, r: SequenceGenerator(r).backward(np.zeros((1, 4, 4))), "forward pass"),
        (lambda g, d, r: (g.forward(g.draw_noise(r, 2), 1.0), g.backward(np.zeros((2, 2, 2)))), "grad_v"),
        (lambda g, d, r: (g.forward(g.draw_noise(r, 2), 1.0, "hard"), g.backward(np.zeros((2, 2, 3)))), "mode"),
        (lambda g, d, r: (g.forward(g.draw_noise(r, 2), 1.0), g.backward_score(np.zeros(2), 0.0)), "'hard'"),
        (lambda g, d, r: g.sequence_probabilities(r, n_noise=0), "n_noise"),
        (lambda g, d, r: train_discrete_gan("gen", d, ascending_runs(3, 2), r), "generator"),
        (lambda g, d, r: train_discrete_gan(g, make_discriminator(r), ascending_runs(3, 2), r), "discriminator"),
        (lambda g, d, r: train_discrete_gan(g, d, ascending_runs(), r), "target"),
        (lambda g, d, r: train_discrete_gan(g, d, ascending_runs(3, 2), r, estimator="soft"), "estimator"),
        (lambda g, d, r: train_discrete_gan(g, d, ascending_runs(3, 2), r, batch_size=1), "batch_size"),
        (lambda g, d, r: train_discrete_gan(g, d, ascending_runs(3, 2), r, temperature=-1.0), "temperature"),
    ],
)
def test_rejects_bad_arguments_by_name(call, match):
    gen, disc, rng = _parts()
    with pytest.raises(ValueError, match=match):
        call(gen, disc, rng)


def test_markov_chain_sampler_is_exhaustive_for_deterministic_chains():
    # a chain that always counts up: every sample is an ascending run, and every start appears
    chain = MarkovChain(np.full(3, 1 / 3), np.roll(np.eye(3), 1, axis=1), 4)
    tokens = chain.sample(np.random.default_rng(0), 300)
    assert np.all((np.diff(tokens, axis=1) % 3) == 1) and set(tokens[:, 0]) == {0, 1, 2}
    assert chain.probabilities().max() == pytest.approx(1 / 3)
    assert {tuple(s) for s in itertools.islice(tokens, 50)} <= {(0, 1, 2, 0), (1, 2, 0, 1), (2, 0, 1, 2)}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"initial": [0.5, 0.6], "transition": np.eye(2), "length": 2}, "initial"),
        ({"initial": [0.5, 0.5], "transition": [[0.5, 0.5], [1.1, -0.1]], "length": 2}, "transition"),
        ({"initial": [0.5, 0.5], "transition": np.eye(3), "length": 2}, "transition"),
        ({"initial": [1.0], "transition": [[1.0]], "length": 2}, "initial"),
        ({"initial": [0.5, 0.5], "transition": np.eye(2), "length": 0}, "length"),
    ],
)
def test_markov_chain_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MarkovChain(**kwargs)
