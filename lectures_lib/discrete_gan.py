"""The slides' motivating example, trained: a GAN whose generator emits one-hot token sequences.

Generator (the slide "consider D_phi(G_theta(z))", the RNN of notebook 01, now with fresh noise)::

    h_t = tanh(h_{t-1} W_hh + v_{t-1} W_hv + z_t W_hz + b_h),   mu_t = h_t W_oh + b_o,
    K_t ~ softmax(mu_t),   v_t = one-hot(K_t),   z_t ~ N(0, I),   h_0 = 0,  v_0 = 0.

The discriminator is an MLP on the flattened one-hot sequence.  The generator learns either through
the straight-through Gumbel-softmax estimator (``v_t`` forward, ``softmax((mu_t + G_t) / tau)``'s
Jacobian backward) or through REINFORCE.  Introduced in notebooks/08_discrete_generators.ipynb
(section "5. The slides' discrete GAN, trained").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import _validate as check
from .concrete import gumbel_softmax_backward
from .estimators import score_function_grad
from .gumbel import one_hot, sample_gumbel, softmax
from .motivation import all_sequences, discriminator_loss, generator_loss, generator_loss_grad
from .nn import Adam, Sequential, mlp, sigmoid
from .progress import progress_bar

MODES = ("straight_through", "soft", "hard")
ESTIMATORS = ("straight_through", "reinforce")


@dataclass(frozen=True)
class MarkovChain:
    """A target distribution over token sequences: ``p(v) = initial[v_1] prod_t transition[v_{t-1}, v_t]``.

    Introduced in notebooks/08_discrete_generators.ipynb (section "5. The slides' discrete GAN, trained").

    Examples
    --------
    >>> MarkovChain([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], 2).probabilities().tolist()  # 00, 01, 10, 11
    [0.45, 0.05, 0.05, 0.45]
    """

    initial: np.ndarray
    transition: np.ndarray
    length: int

    def __post_init__(self):
        initial, transition = check.finite("initial", self.initial), check.finite("transition", self.transition)
        L = initial.size
        for name, p, shape in (("initial", initial, (L,)), ("transition", transition, (L, L))):
            if p.shape != shape or L < 2 or (p < 0).any() or not np.allclose(p.sum(-1), 1, atol=1e-9):
                raise ValueError(f"{name} must have shape {shape} (L >= 2), entries >= 0 and rows summing to 1, "
                                 f"got {check._show(p)}")
        object.__setattr__(self, "initial", initial)  # frozen: set the validated float arrays once
        object.__setattr__(self, "transition", transition)
        object.__setattr__(self, "length", check.integer("length", self.length, minimum=1))

    @property
    def n_tokens(self) -> int:
        return self.initial.size

    def probabilities(self) -> np.ndarray:
        """Exact ``p(v)`` of all ``L**T`` sequences, in the lexicographic order of ``motivation.all_sequences``."""
        seqs = all_sequences(self.n_tokens, self.length)  # (L^T, T)
        # log p = log initial[v_1] + sum_t log transition[v_{t-1}, v_t]; products of probabilities, no logs needed
        return self.initial[seqs[:, 0]] * np.prod(self.transition[seqs[:, :-1], seqs[:, 1:]], axis=1)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` sequences of token indices, shape (n, T), by inverse-CDF sampling along the chain."""
        rng, n = check.generator(rng), check.integer("n", n, minimum=0)
        u = rng.random((n, self.length))
        tokens = np.empty((n, self.length), dtype=np.intp)
        # first k with cumsum(p)_k > u; the min() guards against a cumsum that rounds below 1
        tokens[:, 0] = np.minimum((u[:, :1] >= np.cumsum(self.initial)).sum(1), self.n_tokens - 1)
        cdf = np.cumsum(self.transition, axis=1)  # (L, L)
        for t in range(1, self.length):
            tokens[:, t] = np.minimum((u[:, t:t + 1] >= cdf[tokens[:, t - 1]]).sum(1), self.n_tokens - 1)
        return tokens


def ascending_runs(n_tokens: int = 4, length: int = 4, p_up: float = 0.6, p_stay: float = 0.25) -> MarkovChain:
    """A chain that mostly counts up: ``v_t = v_{t-1} + 1 (mod L)`` with ``p_up``, repeats with ``p_stay``.

    The remaining ``1 - p_up - p_stay`` is spread evenly over the other tokens; the first token is uniform.
    Introduced in notebooks/08_discrete_generators.ipynb (section "5. The slides' discrete GAN, trained").

    Examples
    --------
    >>> chain = ascending_runs()
    >>> float(chain.probabilities().sum().round(12)), chain.sample(np.random.default_rng(0), 3).shape
    (1.0, (3, 4))
    """
    L, T = check.integer("n_tokens", n_tokens, minimum=3), check.integer("length", length, minimum=1)
    if not (0 <= p_up and 0 <= p_stay and p_up + p_stay <= 1):
        raise ValueError(f"p_up and p_stay must be >= 0 with p_up + p_stay <= 1, got {p_up!r}, {p_stay!r}")
    eye = np.eye(L)
    up = np.roll(eye, 1, axis=1)  # up[i, (i + 1) % L] = 1
    rest = (1 - eye - up) * (1 - p_up - p_stay) / (L - 2)
    return MarkovChain(np.full(L, 1 / L), p_up * up + p_stay * eye + rest, T)


def total_variation(p, q) -> float:
    """``TV(p, q) = 1/2 sum_x |p(x) - q(x)|``: the largest difference in probability of any set of sequences.

    Introduced in notebooks/08_discrete_generators.ipynb (section "5. The slides' discrete GAN, trained").

    Examples
    --------
    >>> total_variation([0.5, 0.5, 0.0], [0.0, 0.5, 0.5])
    0.5
    """
    p, q = check.finite("p", p), check.finite("q", q)
    if p.shape != q.shape or p.ndim != 1:
        raise ValueError(f"p and q must be 1-D and of the same shape, got {p.shape} and {q.shape}")
    return float(0.5 * np.abs(p - q).sum())


class SequenceGenerator:
    """The RNN generator ``G_theta(z)`` with a hand-written backward pass through time.

    Introduced in notebooks/08_discrete_generators.ipynb (section "5. The slides' discrete GAN, trained").

    Parameters
    ----------
    rng : numpy.random.Generator
        Initialises the weights (``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, as ``nn.Linear``).
    n_tokens, length, hidden, noise_dim : int
        ``L``, ``T``, ``H`` and the size ``Z`` of each ``z_t``.

    Examples
    --------
    >>> gen = SequenceGenerator(np.random.default_rng(0), n_tokens=3, length=2, hidden=4)
    >>> rng = np.random.default_rng(1)
    >>> gen.forward(gen.draw_noise(rng, 5), 1.0).shape
    (5, 2, 3)
    """

    def __init__(self, rng: np.random.Generator, *, n_tokens: int = 4, length: int = 4, hidden: int = 32,
                 noise_dim: int = 4):
        rng = check.generator(rng)
        self.L, self.T = check.integer("n_tokens", n_tokens, minimum=2), check.integer("length", length, minimum=1)
        self.H, self.Z = check.integer("hidden", hidden, minimum=1), check.integer("noise_dim", noise_dim, minimum=1)
        bound_h, bound_o = 1 / np.sqrt(self.H + self.L + self.Z), 1 / np.sqrt(self.H)
        shapes = {"W_hh": (self.H, self.H), "W_hv": (self.L, self.H), "W_hz": (self.Z, self.H), "b_h": (self.H,)}
        self.params = {k: rng.uniform(-bound_h, bound_h, s) for k, s in shapes.items()}
        self.params |= {"W_oh": rng.uniform(-bound_o, bound_o, (self.H, self.L)),
                        "b_o": rng.uniform(-bound_o, bound_o, self.L)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._cache = None

    def draw_noise(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``z ~ N(0, I)`` of shape (n, T, Z) and standard Gumbel noise ``G`` of shape (n, T, L)."""
        rng, n = check.generator(rng), check.integer("n", n, minimum=1)
        return rng.standard_normal((n, self.T, self.Z)), sample_gumbel(rng, size=(n, self.T, self.L))

    def _step(self, h, v, z_t):
        p = self.params
        # h_t = tanh(h_{t-1} W_hh + v_{t-1} W_hv + z_t W_hz + b_h)          (n, H)
        h = np.tanh(h @ p["W_hh"] + v @ p["W_hv"] + z_t @ p["W_hz"] + p["b_h"])
        return h, h @ p["W_oh"] + p["b_o"]  # mu_t = h_t W_oh + b_o   (n, L)

    def forward(self, noise: tuple, temperature: float, mode: str = "straight_through") -> np.ndarray:
        """Generate sequences, shape (n, T, L), from ``noise = (z, G)``.

        ``mode``: ``"straight_through"`` and ``"hard"`` emit ``v_t = one-hot(argmax(mu_t + G_t))``
        (a sample of ``softmax(mu_t)``); ``"soft"`` emits ``y_t = softmax((mu_t + G_t) / tau)`` and
        feeds it to the next step.  Only ``"hard"`` may be followed by :meth:`backward_score`.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        z, g = (check.finite(name, a) for name, a in zip(("z", "gumbel"), noise, strict=True))
        n = len(z)
        if z.shape != (n, self.T, self.Z) or g.shape != (n, self.T, self.L):
            raise ValueError(f"noise must be (z, G) of shapes (n, {self.T}, {self.Z}) and (n, {self.T}, {self.L}), "
                             f"got {z.shape} and {g.shape}")
        tau = float(check.positive("temperature", temperature))
        h, v = np.zeros((n, self.H)), np.zeros((n, self.L))
        hs, vs, ys, mus = [h], [v], [], []
        for t in range(self.T):
            h, mu = self._step(h, v, z[:, t])
            y = softmax((mu + g[:, t]) / tau)  # the relaxed sample (its Jacobian is the ST backward)
            v = y if mode == "soft" else one_hot(y.argmax(axis=-1), self.L)
            hs.append(h), vs.append(v), ys.append(y), mus.append(mu)
        self._cache = {"z": z, "h": hs, "v": vs, "y": ys, "mu": mus, "tau": tau, "mode": mode}
        return np.stack(vs[1:], axis=1)

    def _bptt(self, g_v_out, g_mu_direct) -> None:
        """Back-propagation through time from ``dL/dv_t`` (through y_t) and/or a direct ``dL/dmu_t``."""
        c, p = self._cache, self.params
        for g in self.grads.values():
            g.fill(0.0)
        g_a_next = None  # dL/da_{t+1}, a_t = the tanh's argument
        for t in range(self.T - 1, -1, -1):
            g_mu = np.zeros_like(c["mu"][t]) if g_mu_direct is None else g_mu_direct[:, t].copy()
            if g_v_out is not None:
                # v_t feeds D and the next step: dL/dv_t = from D + dL/da_{t+1} W_hv^T
                g_v = g_v_out[:, t] + (0 if g_a_next is None else g_a_next @ p["W_hv"].T)
                g_mu += gumbel_softmax_backward(c["y"][t], g_v, c["tau"])  # soft Jacobian, also for ST
            g_h = g_mu @ p["W_oh"].T + (0 if g_a_next is None else g_a_next @ p["W_hh"].T)
            g_a = g_h * (1 - np.square(c["h"][t + 1]))  # tanh' = 1 - tanh^2
            self.grads["W_oh"] += c["h"][t + 1].T @ g_mu
            self.grads["b_o"] += g_mu.sum(0)
            self.grads["W_hh"] += c["h"][t].T @ g_a
            self.grads["W_hv"] += c["v"][t].T @ g_a
            self.grads["W_hz"] += c["z"][:, t].T @ g_a
            self.grads["b_h"] += g_a.sum(0)
            g_a_next = g_a

    def backward(self, grad_v) -> None:
        """Fill ``self.grads`` from ``dL/dv`` (n, T, L): exact for ``"soft"``, straight-through otherwise."""
        if self._cache is None or self._cache["mode"] == "hard":
            raise ValueError("backward needs a forward pass in mode 'straight_through' or 'soft' first")
        grad_v = check.finite("grad_v", grad_v)
        if grad_v.shape != (len(self._cache["z"]), self.T, self.L):
            raise ValueError(f"grad_v must have shape {(len(self._cache['z']), self.T, self.L)}, got {grad_v.shape}")
        self._bptt(grad_v, None)

    def backward_score(self, cost, baseline) -> None:
        """Fill ``self.grads`` with the REINFORCE estimate of ``grad mean_i E[cost_i]`` after a ``"hard"`` forward.

        ``1/n sum_i (cost_i - b_i) grad log p(v_i | z_i)`` with ``grad_mu_t log p = v_t - softmax(mu_t)``.
        """
        c = self._cache
        if c is None or c["mode"] != "hard":
            raise ValueError("backward_score needs a forward pass in mode 'hard' first")
        v, mu = np.stack(c["v"][1:], axis=1), np.stack(c["mu"], axis=1)  # (n, T, L)
        # descent on E[cost]: score-function estimate in mu-space, then through time with the tokens held fixed
        g_mu = score_function_grad(cost, v - softmax(mu), baseline=baseline) / len(v)
        self._bptt(None, g_mu)

    def sequence_probabilities(self, rng: np.random.Generator, n_noise: int = 1000) -> np.ndarray:
        """``p_theta(v) = E_z[prod_t softmax(mu_t)[v_t]]`` of all ``L**T`` sequences (lexicographic order).

        Exact given ``z`` (a prefix tree over all sequences), averaged over ``n_noise`` draws of ``z``
        (Rao-Blackwellised: far less noisy than counting sampled sequences).
        """
        rng, M = check.generator(rng), check.integer("n_noise", n_noise, minimum=1)
        z = rng.standard_normal((M, self.T, self.Z))
        h, v, log_p = np.zeros((M, 1, self.H)), np.zeros((M, 1, self.L)), np.zeros((M, 1))
        for t in range(self.T):  # P = L^t prefixes, each continued by every token
            h, mu = self._step(h, v, z[:, None, t])  # (M, P, H), (M, P, L)
            # log p(prefix + k) = log p(prefix) + log softmax(mu_t)_k      (M, P L): prefix-major order
            log_p = (log_p[..., None] + np.log(softmax(mu))).reshape(M, -1)
            if t + 1 < self.T:  # prefix p continued by token k is row p L + k: its state and its last token
                h = np.repeat(h, self.L, axis=1)
                v = np.tile(np.eye(self.L), (log_p.shape[1] // self.L, 1))[None]  # (1, P L, L)
        return np.exp(log_p).mean(axis=0)


def make_discriminator(rng: np.random.Generator, n_tokens: int = 4, length: int = 4, hidden: int = 64) -> Sequential:
    """``D_phi``: an MLP ``T L -> hidden -> 1`` (leaky ReLU) returning the logit ``s``, ``D = sigmoid(s)``.

    Introduced in notebooks/08_discrete_generators.ipynb (section "5. The slides' discrete GAN, trained").

    Examples
    --------
    >>> make_discriminator(np.random.default_rng(0)).forward(np.zeros((2, 16))).shape
    (2, 1)
    """
    L, T = check.integer("n_tokens", n_tokens, minimum=2), check.integer("length", length, minimum=1)
    return mlp([T * L, check.integer("hidden", hidden, minimum=1), 1], rng, activation="leaky_relu")


@dataclass
class GANHistory:
    """Per-step losses, TV distance to the target every ``eval_every`` steps, and the time spent."""

    estimator: str
    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)
    eval_steps: list = field(default_factory=list)
    tv: list = field(default_factory=list)
    probabilities: list = field(default_factory=list)
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0


def train_discrete_gan(generator: SequenceGenerator, discriminator: Sequential, target: MarkovChain,
                       rng: np.random.Generator, *, estimator: str = "straight_through", steps: int = 2000,
                       batch_size: int = 128, lr: float = 3e-4, lr_discriminator: float | None = 2e-3,
                       temperature: float = 1.0, eval_every: int = 50, n_noise: int = 200,
                       progress: bool = False) -> GANHistory:
    """Alternate one discriminator and one generator Adam step (Goodfellow et al. 2014, Algorithm 1).

    Introduced in notebooks/08_discrete_generators.ipynb (section "5. The slides' discrete GAN, trained").

    Parameters
    ----------
    generator : SequenceGenerator
    discriminator : nn.Sequential
        From :func:`make_discriminator` (input ``T L``, one output logit).
    target : MarkovChain
        The data distribution; a fresh mini-batch of ``batch_size`` sequences per step.
    rng : numpy.random.Generator
        All randomness (data, noise, TV estimates); same seed, same run.
    estimator : {"straight_through", "reinforce"}
        How the generator's gradient crosses the one-hot sample.
    steps, batch_size, eval_every, n_noise : int
        ``n_noise`` draws of ``z`` per TV estimate (:meth:`SequenceGenerator.sequence_probabilities`).
    lr, lr_discriminator : float
        Adam step sizes of the generator and the discriminator (``None``: ``lr``), ``betas = (0.5, 0.999)``
        as is usual for GANs; a discriminator 5-10 times faster kept the game from oscillating.
    temperature : float
        ``tau`` of the straight-through backward pass.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    GANHistory

    Notes
    -----
    Discriminator: minimise ``-[mean log D(x) + mean log(1 - D(G(z)))]`` (erratum E01.1: a plus sign).
    Generator: the non-saturating ``mean -log D(G(z))``; REINFORCE uses the same cost per sample and
    the leave-one-out mean over the batch as baseline.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> gen, disc = SequenceGenerator(rng, hidden=8), make_discriminator(rng, hidden=8)
    >>> h = train_discrete_gan(gen, disc, ascending_runs(), rng, steps=4, batch_size=8, eval_every=2)
    >>> h.eval_steps, len(h.d_loss)
    ([0, 2, 4], 4)
    """
    if not isinstance(generator, SequenceGenerator):
        raise ValueError(f"generator must be a SequenceGenerator, got {type(generator).__name__}")
    n_in = generator.T * generator.L
    if not isinstance(discriminator, Sequential) or discriminator.layers[0].params["W"].shape[0] != n_in:
        raise ValueError(f"discriminator must be an nn.Sequential with {generator.T * generator.L} inputs "
                         f"(make_discriminator), got {discriminator!r}")
    if not isinstance(target, MarkovChain) or (target.n_tokens, target.length) != (generator.L, generator.T):
        raise ValueError(f"target must be a MarkovChain over {generator.L} tokens of length {generator.T}, "
                         f"got {target!r}")
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    rng = check.generator(rng)
    steps, B = check.integer("steps", steps, minimum=1), check.integer("batch_size", batch_size, minimum=2)
    eval_every = check.integer("eval_every", eval_every, minimum=1)
    n_noise = check.integer("n_noise", n_noise, minimum=1)
    tau = float(check.positive("temperature", temperature))
    mode = "straight_through" if estimator == "straight_through" else "hard"
    opt_g = Adam(generator.params, lr=lr, betas=(0.5, 0.999))
    lr_d = lr if lr_discriminator is None else lr_discriminator  # a faster discriminator steadies the game (TTUR)
    opt_d = Adam(discriminator.params, lr=lr_d, betas=(0.5, 0.999))
    p_target, history = target.probabilities(), GANHistory(estimator)
    wall, cpu = time.perf_counter(), time.process_time()

    def evaluate(step):
        history.eval_steps.append(step)
        history.probabilities.append(generator.sequence_probabilities(rng, n_noise))  # (L^T,)
        history.tv.append(total_variation(history.probabilities[-1], p_target))

    evaluate(0)
    for step in progress_bar(range(1, steps + 1), desc=estimator, enabled=progress):
        real = one_hot(target.sample(rng, B), generator.L).reshape(B, -1)  # (B, T L)
        fake = generator.forward(generator.draw_noise(rng, B), tau, mode).reshape(B, -1)
        # discriminator: d/ds of -log sigmoid(s) is -sigmoid(-s) (real); of -log(1 - sigmoid(s)) is sigmoid(s) (fake)
        s = discriminator.forward(np.concatenate([real, fake]))[:, 0]  # (2B,)
        history.d_loss.append(discriminator_loss(s[:B], s[B:]))
        discriminator.backward(np.concatenate([-sigmoid(-s[:B]), sigmoid(s[B:])])[:, None] / B, need_input_grad=False)
        opt_d.step(discriminator.grads)
        # generator: non-saturating cost -log D(G(z)) against the updated discriminator
        s_fake = discriminator.forward(fake)[:, 0]
        cost = generator_loss(s_fake, "non_saturating")  # (B,)
        history.g_loss.append(float(cost.mean()))
        if estimator == "straight_through":
            g_fake = discriminator.backward(generator_loss_grad(s_fake, "non_saturating")[:, None] / B)
            generator.backward(g_fake.reshape(B, generator.T, generator.L))
        else:  # leave-one-out baseline: the mean cost of the other B - 1 samples
            generator.backward_score(cost, (cost.sum() - cost) / (B - 1))
        opt_g.step(generator.grads)
        if step % eval_every == 0:
            evaluate(step)
    history.wall_seconds, history.cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    return history
