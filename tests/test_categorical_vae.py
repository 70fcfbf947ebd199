"""lectures_lib.categorical_vae: the exact KL, the loss against scipy, both backward passes against finite
differences and torch, REINFORCE's unbiasedness by enumeration, training, reproducibility, validation."""

import itertools

import numpy as np
import pytest
from scipy import special, stats

from lectures_lib.categorical_vae import (
    CategoricalVAE,
    categorical_kl_uniform,
    draw_noise,
    neg_elbo,
    temperature_schedule,
    train_categorical_vae,
)
from lectures_lib.concrete import gumbel_softmax_sample
from lectures_lib.gumbel import gumbel_max_sample, one_hot
from lectures_lib.nn import finite_difference_grads, relative_error
from lectures_lib.vae import load_digits_split


@pytest.fixture(scope="module")
def data():
    return load_digits_split(np.random.default_rng(0))


def _tiny(seed=3, **kwargs):
    kwargs = {"n_latent": 3, "n_categories": 4, "n_hidden": 6, "dtype": np.float64} | kwargs
    return CategoricalVAE(np.random.default_rng(seed), **kwargs)


def test_kl_to_uniform_is_exact_and_bounded():
    logits = np.random.default_rng(0).normal(0, 3, (50, 5))
    q = special.softmax(logits, axis=-1)
    direct = special.rel_entr(q, 1 / 5).sum(-1)  # sum_k q_k log(q_k / (1/K))
    np.testing.assert_allclose(categorical_kl_uniform(logits), direct, rtol=1e-12, atol=1e-15)
    assert categorical_kl_uniform(np.zeros(7)) == pytest.approx(0, abs=1e-15)
    assert categorical_kl_uniform([0.0, -800.0, -800.0]) == pytest.approx(np.log(3), rel=1e-12)  # one-hot: log K
    with pytest.raises(ValueError, match="logits"):
        categorical_kl_uniform([0.0, np.nan])


def test_terms_match_scipy_and_the_samplers_with_the_same_noise(data):
    x = data[0][:5]
    model = _tiny()
    logits = model.encode(x)
    # hard: v = one-hot(argmax(logits + G)) is exactly gumbel_max_sample driven by the same uniforms
    g = draw_noise(model, 5, np.random.default_rng(7))
    v = one_hot(gumbel_max_sample(logits, np.random.default_rng(7)), 4)
    rec = -stats.binom.logpmf(np.rint(16 * x), 16, model.decode(v)).sum(1)
    t = model.terms(x, g)
    np.testing.assert_allclose(t.reconstruction, rec, rtol=1e-10)
    np.testing.assert_allclose(t.kl, categorical_kl_uniform(logits).sum(1), rtol=1e-12)
    # relaxed: y = gumbel_softmax_sample(logits, tau, rng), whose noise is G = -log E with E ~ Exp(1) drawn directly
    y = gumbel_softmax_sample(logits, 0.6, np.random.default_rng(7))
    g_soft = -np.log(np.random.default_rng(7).standard_exponential(logits.shape))[None]
    rec_soft = -stats.binom.logpmf(np.rint(16 * x), 16, model.decode(y)).sum(1)
    # rtol 1e-5: the sampler's last exp is float32 (lectures_lib.fast_gumbel), the model's float64
    np.testing.assert_allclose(model.terms(x, g_soft, 0.6).reconstruction, rec_soft, rtol=1e-5)
    # the discrete ELBO is a bound on log p(x) of the discrete model: check it by enumeration (K^N = 64 codes)
    codes = one_hot(np.array(list(itertools.product(range(4), repeat=3))), 4)  # (64, 3, 4)
    log_lik = stats.binom.logpmf(np.rint(16 * x[:1]), 16, model.decode(codes)).sum(1)  # (64,)
    log_px = special.logsumexp(log_lik - 3 * np.log(4))
    elbo = -neg_elbo(model, x[:1], np.random.default_rng(1), n_samples=4000).total[0]
    assert elbo < log_px


def _directional_check(loss, model, grads, seed=5):
    rng = np.random.default_rng(seed)
    direction = {k: rng.standard_normal(p.shape) for k, p in model.params.items()}
    h, base, values = 1e-6, {k: p.copy() for k, p in model.params.items()}, []
    for sign in (1, -1):
        for k, p in model.params.items():
            p[...] = base[k] + sign * h * direction[k]
        values.append(loss())
    for k, p in model.params.items():
        p[...] = base[k]
    slope = sum(float((grads[k] * direction[k]).sum()) for k in grads)
    return relative_error(slope, (values[0] - values[1]) / (2 * h))


@pytest.mark.parametrize("tau", [0.5, 1.0, 2.0])
def test_gumbel_softmax_backward_matches_finite_differences(data, tau):
    x = data[0][:5]
    model = _tiny()
    g = draw_noise(model, 5, np.random.default_rng(4), n_samples=2)  # fixed noise: the loss is a function of theta

    def loss():
        return float(model.terms(x, g, tau).total.mean())

    loss()
    model.backward_gumbel_softmax()
    analytic = {k: v.copy() for k, v in model.grads.items()}
    numeric = finite_difference_grads(loss, model.params)
    for k in analytic:  # every layer of both networks
        assert relative_error(analytic[k], numeric[k]) < 1e-5, k
    assert _directional_check(loss, model, analytic) < 1e-5  # the whole loss at once


def test_reinforce_backward_is_the_gradient_of_its_surrogate(data):
    # With the hard samples v and the centred costs c = f - b held fixed, the estimate is the exact gradient of
    # mean_{i,s} [rec(x_i, v_is) + c_is log q(v_is | x_i)] + mean_i KL_i: decoder from the first term, encoder the rest
    x = data[0][:4]
    model = _tiny()
    g = draw_noise(model, 4, np.random.default_rng(6), n_samples=3)
    model.terms(x, g)
    model.backward_reinforce()
    analytic = {k: v.copy() for k, v in model.grads.items()}
    logits0 = model.encode(x)
    v = one_hot((logits0 + g).argmax(-1), 4)  # (S, n, N, K)
    f = model.terms(x, g).reconstruction  # per image: check the per-sample costs below
    rec = np.stack([model.terms(x, g[s]).reconstruction for s in range(3)])  # (S, n)
    assert np.allclose(rec.mean(0), f)
    c = rec - (rec.sum(0) - rec) / 2  # f_s - leave-one-out mean

    def surrogate():
        logits = model.encode(x)
        log_q = logits - special.logsumexp(logits, axis=-1, keepdims=True)
        log_q_v = (v * log_q).sum(axis=(-1, -2))  # (S, n): log q(v_is | x_i)
        rec_now = np.stack([model.terms(x, g[s]).reconstruction for s in range(3)])  # decoder at fixed v
        kl = categorical_kl_uniform(logits).sum(1)
        return float(rec_now.mean() + (c * log_q_v).mean() + kl.mean())

    numeric = finite_difference_grads(surrogate, model.params)
    for k in analytic:
        assert relative_error(analytic[k], numeric[k]) < 1e-5, k


def test_backward_passes_match_torch_autograd(data):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = data[0][:5]
    model = _tiny(seed=8)
    g = draw_noise(model, 5, np.random.default_rng(9), n_samples=3)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    xt, gt = torch.tensor(x), torch.tensor(g)

    def torch_terms(z_fn):
        h = F.relu(xt @ p["encoder.0.W"] + p["encoder.0.b"]) @ p["encoder.2.W"] + p["encoder.2.b"]
        logits = h.reshape(5, 3, 4)
        z = z_fn(logits)  # (S, n, N, K)
        out = F.relu(z.reshape(15, 12) @ p["decoder.0.W"] + p["decoder.0.b"]) @ p["decoder.2.W"] + p["decoder.2.b"]
        log_lik = torch.distributions.Binomial(16, logits=out.reshape(3, 5, 64)).log_prob(torch.round(16 * xt))
        q = torch.distributions.OneHotCategorical(logits=logits)
        uniform = torch.distributions.OneHotCategorical(logits=torch.zeros_like(logits))
        kl = torch.distributions.kl_divergence(q, uniform).sum(1)  # exact, by torch's own formula
        return -log_lik.sum(-1), kl, logits, z

    # Gumbel-softmax: torch differentiates softmax((logits + G) / tau) itself
    rec, kl, _, _ = torch_terms(lambda lg: torch.softmax((lg + gt) / 0.7, dim=-1))
    (rec.mean(0) + kl).mean().backward()
    t = model.terms(x, g, 0.7)
    model.backward_gumbel_softmax()
    assert float(t.total.mean()) == pytest.approx((rec.mean(0) + kl).mean().item(), rel=1e-10)
    for k, v in p.items():
        np.testing.assert_allclose(model.grads[k], v.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=k)
        v.grad = None
    # REINFORCE: the surrogate (f - b).detach() * log q(v) + rec + KL, v = one-hot(argmax(logits + G)) detached
    rec, kl, logits, v = torch_terms(lambda lg: F.one_hot((lg + gt).argmax(-1), 4).double())
    f = rec.detach()
    baseline = (f.sum(0, keepdim=True) - f) / 2
    log_q_v = (v * torch.log_softmax(logits, -1)).sum((-1, -2))  # (S, n)
    surrogate = ((f - baseline) * log_q_v + rec).mean() + kl.mean()
    surrogate.backward()
    model.terms(x, g)
    model.backward_reinforce()
    for k, v_ in p.items():
        np.testing.assert_allclose(model.grads[k], v_.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=k)


def test_reinforce_is_unbiased_and_gumbel_softmax_is_not(data):
    # One image repeated: the batch mean of the estimates is a Monte Carlo average.  Exact gradient of
    # E_q[rec] + KL with respect to the encoder's output bias (= the logits), by enumerating the K^N = 9 codes.
    x1 = data[0][:1]
    model = _tiny(seed=11, n_latent=2, n_categories=3)
    codes = one_hot(np.array(list(itertools.product(range(3), repeat=2))), 3)  # (9, 2, 3)
    rec_codes = -stats.binom.logpmf(np.rint(16 * x1), 16, model.decode(codes)).sum(1)  # (9,)
    bias = model.params["encoder.2.b"]

    def objective():  # sum_z q(z|x) rec(z) + KL(q || uniform), exactly
        log_q = special.log_softmax(model.encode(x1)[0], axis=-1)  # (2, 3)
        q_codes = np.exp((codes * log_q).sum(axis=(1, 2)))  # (9,)
        return float(q_codes @ rec_codes + categorical_kl_uniform(log_q).sum())

    exact = finite_difference_grads(objective, {"b": bias})["b"]
    rng, batches, n = np.random.default_rng(12), 50, 400
    xs = np.repeat(x1, n, axis=0)
    est = {"reinforce": [], "gumbel_softmax": []}
    for _ in range(batches):
        g = draw_noise(model, n, rng, n_samples=2)
        model.terms(xs, g)
        model.backward_reinforce()
        est["reinforce"].append(model.grads["encoder.2.b"].copy())  # the loss is a mean over the n copies
        model.terms(xs, g, 1.0)
        model.backward_gumbel_softmax()
        est["gumbel_softmax"].append(model.grads["encoder.2.b"].copy())
    rf, gs = np.array(est["reinforce"]), np.array(est["gumbel_softmax"])
    # 5 standard errors with 49 degrees of freedom: two-sided 7.7e-6 per coordinate, < 1e-4 for all six
    se = rf.std(0, ddof=1) / np.sqrt(batches)
    assert np.all(np.abs(rf.mean(0) - exact) < 5 * se), (rf.mean(0), exact, se)
    # the relaxation at tau = 1 differentiates another objective: its mean is off by far more than its noise
    se_gs = gs.std(0, ddof=1) / np.sqrt(batches)
    assert np.max(np.abs(gs.mean(0) - exact) / se_gs) > 10


def test_temperature_schedule_is_exponential():
    taus = temperature_schedule(101, 1.0, 0.5)
    assert taus[0] == 1.0 and taus[-1] == pytest.approx(0.5) and np.all(np.diff(taus) < 0)
    np.testing.assert_allclose(np.diff(np.log(taus)), np.log(0.5) / 100)  # constant ratio per step
    assert temperature_schedule(1).tolist() == [1.0]
    with pytest.raises(ValueError, match="end"):
        temperature_schedule(5, 1.0, 0.0)


@pytest.mark.parametrize("estimator", ["gumbel_softmax", "reinforce"])
def test_short_training_lowers_held_out_neg_elbo(data, estimator):
    # Deterministic for this seed: 529 -> 193 nats per image (gumbel_softmax) and 529 -> 201 (reinforce) in
    # 20 epochs on 500 images with N = 8, K = 4 (seeds 0-3 end in 185-202).  Below 225 beats the ~250 nats of
    # a model whose decoder ignores the code (the plateau of the first epochs): the code is being used.
    x_tr, x_te = data[0][:500], data[1][:200]
    rng = np.random.default_rng(0)
    model = CategoricalVAE(rng, n_latent=8, n_categories=4, n_hidden=64)
    before = neg_elbo(model, x_te, np.random.default_rng(9)).total.mean()
    h = train_categorical_vae(model, x_tr, rng, estimator=estimator, epochs=20, lr=3e-3, x_test=x_te)
    after = neg_elbo(model, x_te, np.random.default_rng(9)).total.mean()
    assert before > 500 and after < 225, (before, after)
    assert len(h.test_neg_elbo) == 20 and h.decoder_evaluations == 20 * 500 * 4
    assert h.temperature[-1] == pytest.approx(0.5) and h.cpu_seconds > 0
    assert all(p.dtype == np.float32 for p in model.params.values())


def test_same_seed_same_numbers(data):
    runs = []
    for _ in range(2):
        rng = np.random.default_rng(11)
        model = CategoricalVAE(rng, n_latent=4, n_categories=3, n_hidden=16)
        h = train_categorical_vae(model, data[0][:100], rng, estimator="reinforce", epochs=2)
        runs.append((h.reconstruction, h.kl, model))
    assert runs[0][:2] == runs[1][:2]
    assert all(np.array_equal(runs[0][2].params[k], runs[1][2].params[k]) for k in runs[0][2].params)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda m, x, r: CategoricalVAE(r, n_categories=1), "n_categories"),
        (lambda m, x, r: CategoricalVAE(r, n_latent=0), "n_latent"),
        (lambda m, x, r: m.encode(x[:, :10]), "x must be an"),
        (lambda m, x, r: m.decode(np.zeros((2, 3, 3))), "z must have shape"),
        (lambda m, x, r: m.terms(x[:3], np.zeros((2, 3, 4))), "gumbel must have shape"),
        (lambda m, x, r: m.terms(x[:3], np.full((3, 3, 4), np.nan)), "gumbel"),
        (lambda m, x, r: m.terms(x[:3], np.zeros((3, 3, 4)), 0.0), "temperature"),
        (lambda m, x, r: m.backward_gumbel_softmax(), "forward pass first"),
        (lambda m, x, r: (m.terms(x[:3], np.zeros((3, 3, 4))), m.backward_gumbel_softmax()), "temperature"),
        (lambda m, x, r: (m.terms(x[:3], np.zeros((3, 3, 4)), 1.0), m.backward_reinforce()), "hard samples"),
        (lambda m, x, r: (m.terms(x[:3], np.zeros((1, 3, 3, 4))), m.backward_reinforce()), "S >= 2"),
        (lambda m, x, r: draw_noise(m, 3, "rng"), "rng"),
        (lambda m, x, r: draw_noise(m, 3, r, n_samples=0), "n_samples"),
        (lambda m, x, r: neg_elbo("model", x, r), "model must be a CategoricalVAE"),
        (lambda m, x, r: train_categorical_vae(m, x, r, estimator="st"), "estimator"),
        (lambda m, x, r: train_categorical_vae(m, x, r, epochs=0), "epochs"),
        (lambda m, x, r: train_categorical_vae(m, x, r, estimator="reinforce", n_samples=1), "n_samples"),
        (lambda m, x, r: train_categorical_vae(m, x, r, temperature=1.0), "temperature"),
        (lambda m, x, r: train_categorical_vae(m, x, r, lr=-1.0), "lr"),
        (lambda m, x, r: train_categorical_vae(m, x, r, x_test=x[:, :5]), "x must be an"),
    ],
)
def test_rejects_bad_arguments_by_name(data, call, match):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=match):
        call(_tiny(), data[0][:20], rng)
