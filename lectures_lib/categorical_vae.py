"""A VAE whose code is ``N`` categorical variables of ``K`` categories, trained by Gumbel-softmax or REINFORCE.

``q(z_j|x) = softmax(logits_j(x))``, uniform prior ``p(z_j = k) = 1/K``, the binomial pixel decoder of
:mod:`lectures_lib.vae`; the slide's loss ``l_i = -E_q[log p(x_i|z)] + KL(q(z|x_i) || p(z))``.  The encoder's
gradient crosses the sample ``v = one-hot(K)``, ``K ~ softmax(logits)``, either through the relaxed sample
``y = softmax((logits + G) / tau)`` (``concrete.gumbel_softmax_backward``) or by the score function
``(f - b) (v - q)`` (``estimators.score_function_grad``, leave-one-out baseline ``b``).
Introduced in notebooks/08_discrete_generators.ipynb (section "2. A categorical VAE, backward by hand").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import _validate as check
from .concrete import gumbel_softmax_backward
from .estimators import score_function_grad
from .gumbel import one_hot, sample_gumbel
from .nn import Adam, mlp, sigmoid, softplus
from .progress import progress_bar
from .vae import Terms, check_images, log_binomial_coefficients

ESTIMATORS = ("gumbel_softmax", "reinforce")


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    # log q_k = l_k - max - log sum_i exp(l_i - max): exp never overflows, log never sees 0
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def categorical_kl_uniform(logits) -> np.ndarray:
    """``KL(softmax(logits) || Uniform(K))`` per categorical variable, exactly (a sum over the K categories).

    Introduced in notebooks/08_discrete_generators.ipynb (section "1. Two ways through a discrete sample").

    Parameters
    ----------
    logits : array_like, shape (..., K), finite

    Returns
    -------
    ndarray, shape (...): in nats, between 0 (``q`` uniform) and ``log K`` (``q`` one-hot).

    Notes
    -----
    ``KL(q || 1/K) = sum_k q_k (log q_k - log(1/K)) = sum_k q_k log q_k + log K``, computed from
    ``log q`` (log-softmax) so that ``q_k = 0`` contributes ``0 * (-inf)``-free zeros.

    Examples
    --------
    >>> categorical_kl_uniform([[0.0, 0.0], [0.0, -1e4]]).round(6).tolist()
    [0.0, 0.693147]
    """
    logits = check.finite("logits", logits)
    if logits.ndim == 0:
        raise ValueError(f"logits must have a last axis of K categories, got a scalar {logits!r}")
    log_q = _log_softmax(logits)
    # sum_k q_k (log q_k + log K)
    return (np.exp(log_q) * (log_q + np.log(logits.shape[-1]))).sum(axis=-1)


class CategoricalVAE:
    """Encoder MLP ``x -> logits (N, K)``, decoder MLP ``z (N*K one-hot) -> pixel logits``, backward by hand.

    Introduced in notebooks/08_discrete_generators.ipynb (section "2. A categorical VAE, backward by hand").

    Parameters
    ----------
    rng : numpy.random.Generator
        Initialises the weights.
    n_pixels, n_latent, n_categories, n_hidden : int
        Input size D (64), number N of categorical variables, categories K per variable, hidden width.
    n_trials : int
        Pixels are ``Binomial(n_trials, sigmoid(logit)) / n_trials`` (16 for the digits), as in ``vae.VAE``.
    dtype : float32 (fast) or float64 (gradient checks)

    Notes
    -----
    ``l_i = -1/S sum_s log p(x_i|z_is) + sum_j KL(q(z_j|x_i) || Uniform(K))`` with ``S`` samples
    ``z_is`` of the code: relaxed ``softmax((logits + G_s) / tau)`` or one-hot ``argmax(logits + G_s)``.

    Examples
    --------
    >>> model = CategoricalVAE(np.random.default_rng(0), n_latent=3, n_categories=4, n_hidden=8)
    >>> model.encode(np.zeros((2, 64))).shape, model.decode(np.zeros((2, 3, 4))).shape
    ((2, 3, 4), (2, 64))
    """

    def __init__(self, rng: np.random.Generator, *, n_pixels: int = 64, n_latent: int = 20, n_categories: int = 10,
                 n_hidden: int = 256, n_trials: int = 16, dtype=np.float32):
        self.n_pixels = check.integer("n_pixels", n_pixels, minimum=1)
        self.n_latent = check.integer("n_latent", n_latent, minimum=1)
        self.n_categories = check.integer("n_categories", n_categories, minimum=2)
        self.n_trials = check.integer("n_trials", n_trials, minimum=1)
        n_hidden = check.integer("n_hidden", n_hidden, minimum=1)
        code = self.n_latent * self.n_categories
        self.encoder = mlp([n_pixels, n_hidden, code], rng, dtype=dtype)
        self.decoder = mlp([code, n_hidden, n_pixels], rng, dtype=dtype)
        self.dtype = np.dtype(dtype)
        self.params = {**{f"encoder.{k}": v for k, v in self.encoder.params.items()},
                       **{f"decoder.{k}": v for k, v in self.decoder.params.items()}}
        self.grads = {**{f"encoder.{k}": v for k, v in self.encoder.grads.items()},
                      **{f"decoder.{k}": v for k, v in self.decoder.grads.items()}}
        self._cache = None  # what the last forward pass left for backward

    def encode(self, x) -> np.ndarray:
        """Logits of ``q(z|x)``, shape (n, N, K)."""
        x = check_images(x, self.n_pixels)
        return self.encoder.forward(x.astype(self.dtype)).reshape(len(x), self.n_latent, self.n_categories)

    def decode(self, z) -> np.ndarray:
        """Mean pixel intensities ``sigmoid(decoder(z))`` for codes ``z`` of shape (n, N, K), (n, D)."""
        z = check.finite("z", z)
        if z.ndim != 3 or z.shape[1:] != (self.n_latent, self.n_categories):
            raise ValueError(f"z must have shape (n, {self.n_latent}, {self.n_categories}), got {z.shape}")
        return sigmoid(self.decoder.forward(z.reshape(len(z), -1).astype(self.dtype)))

    def terms(self, x, gumbel, temperature: float | None = None) -> Terms:
        """Per-image reconstruction (mean over the S noise draws) and exact KL, for fixed Gumbel noise.

        ``temperature`` given: Gumbel-softmax samples ``y = softmax((logits + G) / tau)``, for
        :meth:`backward_gumbel_softmax`.  ``None``: one-hot Gumbel-max samples, for
        :meth:`backward_reinforce` and for the exact discrete ELBO.
        """
        x, g = check_images(x, self.n_pixels), check.finite("gumbel", gumbel)
        g = g[None] if g.ndim == 3 else g  # (S, n, N, K)
        if g.ndim != 4 or g.shape[1:] != (len(x), self.n_latent, self.n_categories):
            raise ValueError(f"gumbel must have shape (n, N, K) or (S, n, N, K) with (n, N, K) = "
                             f"{(len(x), self.n_latent, self.n_categories)}, got {np.shape(gumbel)}")
        tau = None if temperature is None else float(check.positive("temperature", temperature))
        return self._forward(x, g, tau, log_binomial_coefficients(x, self.n_trials))

    def _forward(self, x, g, tau, log_binom) -> Terms:
        S, n, N, K = g.shape
        logits = self.encoder.forward(x.astype(self.dtype)).reshape(n, N, K).astype(np.float64)  # (n, N, K)
        log_q = _log_softmax(logits)
        perturbed = logits + g  # (S, n, N, K): logits + Gumbel noise, one draw per category (E03.4)
        if tau is None:  # Gumbel-max: v = one-hot(argmax(logits + G)), exactly a sample of q
            z = one_hot(perturbed.argmax(axis=-1), K)
        else:  # Gumbel-softmax: y = softmax((logits + G) / tau)
            z = np.exp(_log_softmax(perturbed / tau))
        dec_logits = self.decoder.forward(z.reshape(S * n, N * K).astype(self.dtype))  # (S n, D)
        k = self.n_trials * x  # (n, D) binomial counts
        # -log Binomial(k; n, sigmoid(l)) = n softplus(l) - k l - log C(n, k), per sample (S, n)
        rec = (self.n_trials * softplus(dec_logits).reshape(S, n, -1) - k * dec_logits.reshape(S, n, -1)).sum(-1)
        rec = rec - log_binom
        # KL(q || Uniform(K)) = sum_k q_k (log q_k + log K), summed over the N variables
        kl = (np.exp(log_q) * (log_q + np.log(K))).sum(axis=(1, 2))
        self._cache = {"x": x, "log_q": log_q, "z": z, "tau": tau, "dec_logits": dec_logits, "rec": rec}
        return Terms(rec.mean(axis=0).astype(np.float64), kl)

    def _backward_common(self, kind: str) -> tuple[dict, np.ndarray, np.ndarray]:
        c = self._cache
        if c is None:
            raise ValueError("backward needs a forward pass first: call model.terms(x, gumbel, temperature)")
        if (c["tau"] is None) != (kind == "reinforce"):
            raise ValueError(f"backward_{kind} needs the forward pass with "
                             f"{'temperature=None (hard samples)' if kind == 'reinforce' else 'a temperature'}")
        S, n = c["rec"].shape
        q = np.exp(c["log_q"])  # (n, N, K)
        # dKL/dlogit_j = q_j (log q_j - sum_k q_k log q_k), per variable; the log K constant drops out
        g_kl = q * (c["log_q"] - (q * c["log_q"]).sum(axis=-1, keepdims=True)) / n
        # d rec / d pixel logits = n_trials sigmoid(l) - k, averaged over the S n decoded codes   (S n, D)
        k = np.broadcast_to(self.n_trials * c["x"], (S, n, self.n_pixels)).reshape(S * n, -1)
        g_dec = (self.n_trials * sigmoid(c["dec_logits"]) - k) / (S * n)
        return c, g_kl, g_dec.astype(self.dtype, copy=False)

    def backward_gumbel_softmax(self) -> None:
        """Fill ``self.grads`` with the exact gradient of ``mean_i l_i`` of the relaxed forward pass.

        The noise ``G`` is an input: ``y = softmax((logits + G) / tau)`` is a differentiable function
        of the logits (the re-parameterisation), so the decoder's ``dL/dy`` flows into the encoder.
        """
        c, g_kl, g_dec = self._backward_common("gumbel_softmax")
        S, n, N, K = c["z"].shape
        g_y = self.decoder.backward(g_dec).reshape(S, n, N, K)  # (S, n, N, K): dL/dy
        # dL/dlogits = y (dL/dy - <dL/dy, y>) / tau, summed over the S samples that share the logits
        g_logits = gumbel_softmax_backward(c["z"], g_y, c["tau"]).sum(axis=0) + g_kl
        self.encoder.backward(g_logits.reshape(n, N * K).astype(self.dtype), need_input_grad=False)

    def backward_reinforce(self) -> None:
        """Fill ``self.grads`` with the score-function estimate for the encoder and the exact decoder gradient.

        Encoder: ``1/S sum_s (f_s - b_s) grad log q(v_s|x) + grad KL`` with ``f_s`` the reconstruction
        error of sample ``s``, ``grad_logits log q(v|x) = v - q`` and the leave-one-out baseline
        ``b_s = mean_{s' != s} f_s'`` (independent of ``v_s``, so unbiased; needs ``S >= 2``).
        Decoder: the ordinary gradient of the reconstruction error at the hard samples.
        """
        c, g_kl, g_dec = self._backward_common("reinforce")
        S, n, N, K = c["z"].shape
        if S < 2:
            raise ValueError(f"backward_reinforce needs S >= 2 noise draws per image (leave-one-out), got S = {S}")
        self.decoder.backward(g_dec, need_input_grad=False)  # no gradient flows through a one-hot sample
        f = c["rec"]  # (S, n)
        baseline = (f.sum(axis=0, keepdims=True) - f) / (S - 1)  # b_s = mean of the other S - 1 samples
        score = c["z"] - np.exp(c["log_q"])  # (S, n, N, K): grad_logits log q(v|x) = v - q
        per_sample = score_function_grad(f.ravel(), score.reshape(S * n, N, K), baseline=baseline.ravel())
        g_logits = per_sample.reshape(S, n, N, K).sum(axis=0) / (S * n) + g_kl
        self.encoder.backward(g_logits.reshape(n, N * K).astype(self.dtype), need_input_grad=False)


def _check_model(model) -> CategoricalVAE:
    if not isinstance(model, CategoricalVAE):
        raise ValueError(f"model must be a CategoricalVAE, got {type(model).__name__}")
    return model


def draw_noise(model: CategoricalVAE, n: int, rng: np.random.Generator, n_samples: int = 1) -> np.ndarray:
    """Standard Gumbel noise ``G`` for ``n`` images and ``n_samples`` draws each, shape (S, n, N, K).

    Introduced in notebooks/08_discrete_generators.ipynb (section "2. A categorical VAE, backward by hand").

    Examples
    --------
    >>> model = CategoricalVAE(np.random.default_rng(0), n_latent=3, n_categories=4, n_hidden=8)
    >>> draw_noise(model, 5, np.random.default_rng(1), n_samples=2).shape
    (2, 5, 3, 4)
    """
    model = _check_model(model)
    n, S = check.integer("n", n, minimum=0), check.integer("n_samples", n_samples, minimum=1)
    return sample_gumbel(rng, size=(S, n, model.n_latent, model.n_categories))  # clamps U = 0 (G = -inf)


def neg_elbo(model: CategoricalVAE, x, rng: np.random.Generator, n_samples: int = 16) -> Terms:
    """Per-image negative discrete ELBO in nats: one-hot samples ``v ~ q(z|x)``, exact KL.

    Introduced in notebooks/08_discrete_generators.ipynb (section "3. Gumbel-softmax vs REINFORCE at equal compute").

    Parameters
    ----------
    model : CategoricalVAE
    x : array_like, shape (n, D)
    rng : numpy.random.Generator
        Draws the ``n_samples`` Gumbel-max samples per image of the reconstruction term.
    n_samples : int

    Returns
    -------
    Terms: ``reconstruction`` (mean over the S samples) and ``kl`` (exact), per image.

    Notes
    -----
    ``-ELBO(x) = -1/S sum_s log p(x|v_s) + sum_j KL(q(z_j|x) || 1/K) >= -log p(x)``: the bound of the
    discrete model itself, whatever relaxation was used in training.

    Examples
    --------
    >>> model = CategoricalVAE(np.random.default_rng(0), n_latent=3, n_categories=4, n_hidden=8)
    >>> neg_elbo(model, np.zeros((2, 64)), np.random.default_rng(1)).total.shape
    (2,)
    """
    model = _check_model(model)
    x = check_images(x, model.n_pixels)
    g = draw_noise(model, len(x), rng, n_samples)
    return model._forward(x, g, None, log_binomial_coefficients(x, model.n_trials))


def temperature_schedule(n_steps: int, start: float = 1.0, end: float = 0.5) -> np.ndarray:
    """Exponential annealing ``tau_t = start * (end / start)^(t / (n_steps - 1))``, ``t = 0..n_steps-1``.

    Introduced in notebooks/08_discrete_generators.ipynb (section "3. Gumbel-softmax vs REINFORCE at equal compute").

    Notes
    -----
    Jang et al. (2017) anneal ``tau = max(0.5, exp(-r t))``: a high ``tau`` early gives low-variance
    gradients while the model is poor, a low one late makes the relaxed samples nearly one-hot, so
    the decoder is trained on codes like the ones the discrete ELBO decodes.

    Examples
    --------
    >>> temperature_schedule(3).round(4).tolist()
    [1.0, 0.7071, 0.5]
    """
    n_steps = check.integer("n_steps", n_steps, minimum=1)
    start, end = float(check.positive("start", start)), float(check.positive("end", end))
    return start * (end / start) ** (np.arange(n_steps) / max(n_steps - 1, 1))


@dataclass
class History:
    """Per-epoch training means (nats per image), held-out -ELBO, temperature, and the compute spent."""

    estimator: str
    reconstruction: list = field(default_factory=list)
    kl: list = field(default_factory=list)
    test_neg_elbo: list = field(default_factory=list)
    temperature: list = field(default_factory=list)
    decoder_evaluations: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0


def train_categorical_vae(model: CategoricalVAE, x_train, rng: np.random.Generator, *,
                          estimator: str = "gumbel_softmax", epochs: int = 30, batch_size: int = 64,
                          lr: float = 1e-3, n_samples: int = 4, temperature: tuple[float, float] = (1.0, 0.5),
                          x_test=None, progress: bool = False) -> History:
    """Mini-batch Adam on ``mean_i l_i`` with the Gumbel-softmax or the REINFORCE encoder gradient.

    Introduced in notebooks/08_discrete_generators.ipynb (section "3. Gumbel-softmax vs REINFORCE at equal compute").

    Parameters
    ----------
    model : CategoricalVAE
    x_train : array_like, shape (n, D)
    rng : numpy.random.Generator
        Shuffles the batches and draws the noise; same seed, same trained model.
    estimator : {"gumbel_softmax", "reinforce"}
    epochs, batch_size, n_samples : int
        Both estimators decode ``n_samples`` codes per image and step: equal ``epochs``, equal decoder evaluations.
    lr : float
        Adam step size.
    temperature : (start, end)
        Exponential ``tau`` schedule over all steps (:func:`temperature_schedule`); unused by REINFORCE.
    x_test : array_like, optional
        Its -ELBO (hard samples, exact KL, the same 4 noise draws every epoch) is recorded per epoch.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    History

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> model = CategoricalVAE(rng, n_latent=3, n_categories=4, n_hidden=8)
    >>> h = train_categorical_vae(model, rng.random((20, 64)), rng, estimator="reinforce", epochs=2)
    >>> len(h.kl), h.decoder_evaluations
    (2, 160)
    """
    from threadpoolctl import threadpool_limits
    model = _check_model(model)
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    x = check_images(x_train, model.n_pixels)
    rng = check.generator(rng)
    epochs, batch_size = check.integer("epochs", epochs, minimum=1), check.integer("batch_size", batch_size, minimum=1)
    S = check.integer("n_samples", n_samples, minimum=2 if estimator == "reinforce" else 1)
    if np.shape(temperature) != (2,):
        raise ValueError(f"temperature must be a (start, end) pair, got {temperature!r}")
    steps_per_epoch = -(-len(x) // batch_size)
    taus = temperature_schedule(epochs * steps_per_epoch, *temperature)
    test = None
    if x_test is not None:
        x_test = check_images(x_test, model.n_pixels)
        # common random numbers: the same test noise every epoch, so the curve shows the model, not the noise
        test = (x_test, draw_noise(model, len(x_test), np.random.default_rng(rng.integers(2**63)), 4),
                log_binomial_coefficients(x_test, model.n_trials))
    opt, history = Adam(model.params, lr=lr), History(estimator)
    log_binom = log_binomial_coefficients(x, model.n_trials)
    backward = model.backward_gumbel_softmax if estimator == "gumbel_softmax" else model.backward_reinforce
    wall, cpu, step = time.perf_counter(), time.process_time(), 0
    # One BLAS thread: these small matmuls take microseconds, and a second thread spin-waiting for a
    # busy core made epochs several times slower on a shared 2-core machine (see vae.train_vae).
    with threadpool_limits(1, user_api="blas"):
        for _ in progress_bar(range(epochs), desc=estimator, enabled=progress):
            order, rec_sum, kl_sum = rng.permutation(len(x)), 0.0, 0.0
            for start in range(0, len(x), batch_size):
                idx = order[start:start + batch_size]
                tau = float(taus[step]) if estimator == "gumbel_softmax" else None
                terms = model._forward(x[idx], draw_noise(model, len(idx), rng, S), tau, log_binom[idx])
                backward()
                opt.step(model.grads)
                rec_sum, kl_sum = rec_sum + float(terms.reconstruction.sum()), kl_sum + float(terms.kl.sum())
                history.decoder_evaluations += S * len(idx)
                step += 1
            history.reconstruction.append(rec_sum / len(x))
            history.kl.append(kl_sum / len(x))
            history.temperature.append(float(taus[step - 1]))
            if test is not None:
                history.test_neg_elbo.append(float(model._forward(*test[:2], None, test[2]).total.mean()))
    history.wall_seconds, history.cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    return history
