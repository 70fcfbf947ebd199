"""Why the lecture exists: GAN losses, and a discrete generator that back-propagation cannot train.

Part 1 holds the GAN losses of Goodfellow et al. (2014), written on discriminator *logits* ``s``
(``D = sigmoid(s)``) so that ``log D`` and ``log(1 - D)`` stay finite when ``D`` rounds to 0 or 1.
Part 2 is a toy sequence GAN: a tiny seeded RNN generator emitting ``T`` one-hot tokens over ``L``
categories by the Gumbel-max trick, and a fixed logistic discriminator on the one-hot sequence.

Introduced in notebooks/01_motivation.ipynb (slides "a motivating example: Generative Adversarial
Training" and "consider D_phi(G_theta(z))").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from . import _validate as check
from .gumbel import one_hot, sample_gumbel

GENERATOR_LOSSES = ("minimax", "non_saturating", "logit")
#: step of the complex-step derivative; the error is O(h^2), far below double precision
_COMPLEX_STEP = 1e-20


def log_sigmoid(s) -> np.ndarray:
    """``log D = log sigmoid(s) = -log(1 + exp(-s))``, finite for every finite logit.

    Introduced in notebooks/01_motivation.ipynb
    (slide "a motivating example: Generative Adversarial Training").

    Examples
    --------
    >>> log_sigmoid([0.0, -800.0]).round(3).tolist()  # log(1/2); log D for D = 1e-348 (underflows as a D)
    [-0.693, -800.0]
    """
    s = check.finite("s", s)
    # logaddexp(0, -s) = log(1 + exp(-s)) without overflow of exp(-s) for s << 0
    return -np.logaddexp(0.0, -s)


def discriminator_loss(real_logits, fake_logits) -> float:
    """Goodfellow's discriminator loss, the negative of what the discriminator maximises.

    Parameters
    ----------
    real_logits : array_like, shape (m,)
        Logits ``s = logit D(x_i)`` on a mini-batch of data.
    fake_logits : array_like, shape (m',)
        Logits ``logit D(G(z_j))`` on a mini-batch of generated samples.

    Returns
    -------
    float
        ``-[(1/m) sum_i log D(x_i) + (1/m') sum_j log(1 - D(G(z_j)))]``, >= 0.

    Notes
    -----
    Each average is over its own batch (Goodfellow et al. use ``m = m'``).  A plus sign joins the
    two terms: the slide's minus sign rewards calling fakes real (erratum E01.1).
    ``log(1 - D) = log sigmoid(-s)``.  Introduced in notebooks/01_motivation.ipynb
    (slide "a motivating example: Generative Adversarial Training").

    Examples
    --------
    >>> round(discriminator_loss([0.0], [0.0]), 4)  # D = 1/2 everywhere: 2 log 2
    1.3863
    """
    real = check.finite("real_logits", real_logits)
    fake = check.finite("fake_logits", fake_logits)
    for name, arr in (("real_logits", real), ("fake_logits", fake)):
        if arr.size == 0:
            raise ValueError(f"{name} must hold at least one logit, got an empty array")
    # -[ mean log D(x) + mean log(1 - D(G(z))) ],  1 - sigmoid(s) = sigmoid(-s)
    return float(-(log_sigmoid(real).mean() + log_sigmoid(-fake).mean()))


def _kind(kind: str) -> str:
    if kind not in GENERATOR_LOSSES:
        raise ValueError(f"kind must be one of {GENERATOR_LOSSES}, got {kind!r}")
    return kind


def generator_loss(fake_logits, kind: str = "non_saturating") -> np.ndarray:
    """Per-sample generator loss ``l(s)``, minimised by the generator, ``s = logit D(G(z))``.

    Parameters
    ----------
    fake_logits : array_like
        Discriminator logits on generated samples.
    kind : {"minimax", "non_saturating", "logit"}
        ``"minimax"``: ``log(1 - D)`` (Goodfellow's minimax game); ``"non_saturating"``: ``-log D``
        (Goodfellow's practical advice); ``"logit"``: ``-log(D / (1 - D)) = -s`` (the slide's).

    Returns
    -------
    ndarray, same shape as ``fake_logits``.

    Notes
    -----
    With the optimal discriminator, ``E_{p_g}[-log(D*/(1 - D*))] = KL(p_g || p_data)``.
    Introduced in notebooks/01_motivation.ipynb
    (slide "a motivating example: Generative Adversarial Training").

    Examples
    --------
    >>> generator_loss([0.0], "logit").tolist()
    [-0.0]
    """
    s = check.finite("fake_logits", fake_logits)
    kind = _kind(kind)
    if kind == "minimax":
        # log(1 - D) = log sigmoid(-s)
        return log_sigmoid(-s)
    if kind == "non_saturating":
        # -log D = -log sigmoid(s)
        return -log_sigmoid(s)
    # -log(D / (1 - D)) = -s: the logit itself
    return -s


def generator_loss_grad(fake_logits, kind: str = "non_saturating") -> np.ndarray:
    """Derivative ``dl/ds`` of :func:`generator_loss` with respect to the discriminator logit.

    Notes
    -----
    With ``D = sigmoid(s)``: minimax ``-D``, non-saturating ``-(1 - D)``, logit ``-1``.  The minimax
    gradient vanishes as ``D -> 0``, exactly when the generator is losing (it *saturates*).
    Introduced in notebooks/01_motivation.ipynb
    (slide "a motivating example: Generative Adversarial Training").

    Examples
    --------
    >>> [float(generator_loss_grad(-10.0, k)[()].round(4)) for k in GENERATOR_LOSSES]
    [-0.0, -1.0, -1.0]
    """
    s = check.finite("fake_logits", fake_logits)
    kind = _kind(kind)
    if kind == "minimax":
        # d/ds log sigmoid(-s) = -sigmoid(s) = -D
        return -expit(s)
    if kind == "non_saturating":
        # d/ds -log sigmoid(s) = -(1 - sigmoid(s)) = -sigmoid(-s)
        return -expit(-s)
    return -np.ones_like(s)


def optimal_discriminator(p_data, p_g) -> np.ndarray:
    """The best discriminator for a fixed generator, ``D* = p_data / (p_data + p_g)``.

    Parameters
    ----------
    p_data, p_g : array_like
        Densities (or probabilities) of the data and of the generator at the same points, >= 0.

    Returns
    -------
    ndarray
        ``D*``; ``1/2`` where both densities are 0 (there any value is optimal).

    Notes
    -----
    Pointwise, ``a log D + b log(1 - D)`` is maximal at ``D = a / (a + b)`` (derived in
    ``lectures_lib.symbolic.motivation``).  Introduced in notebooks/01_motivation.ipynb
    (slide "a motivating example: Generative Adversarial Training").

    Examples
    --------
    >>> optimal_discriminator([3.0, 0.0], [1.0, 0.0]).tolist()
    [0.75, 0.5]
    """
    a = check.finite("p_data", p_data)
    b = check.finite("p_g", p_g)
    for name, arr in (("p_data", a), ("p_g", b)):
        if (arr < 0).any():
            raise ValueError(f"{name} must be >= 0, got {check._show(arr)}")
    total = a + b
    # D* = p_data / (p_data + p_g); 0/0 (outside both supports) is set to 1/2
    return np.divide(a, total, out=np.full(np.broadcast(a, b).shape, 0.5), where=total > 0)


def gaussian_kl(loc_p, scale_p, loc_q, scale_q) -> np.ndarray:
    """``KL(N(loc_p, scale_p^2) || N(loc_q, scale_q^2))`` in closed form.

    Notes
    -----
    ``log(scale_q / scale_p) + (scale_p^2 + (loc_p - loc_q)^2) / (2 scale_q^2) - 1/2``, as integrated
    by SymPy in ``lectures_lib.symbolic.motivation.gaussian_kl_integral``.
    Introduced in notebooks/01_motivation.ipynb
    (slide "a motivating example: Generative Adversarial Training").

    Examples
    --------
    >>> float(gaussian_kl(1.0, 1.0, 0.0, 1.0))  # (mu_p - mu_q)^2 / 2
    0.5
    """
    mp, mq = check.finite("loc_p", loc_p), check.finite("loc_q", loc_q)
    sp_, sq = check.positive("scale_p", scale_p), check.positive("scale_q", scale_q)
    # log-ratio term + variance/mean term - 1/2
    return np.log(sq / sp_) + (sp_**2 + (mp - mq) ** 2) / (2 * sq**2) - 0.5


# ---------------------------------------------------------------- part 2: a discrete generator

_LAYOUT = (("W_hh", "HH"), ("W_hv", "HL"), ("W_hz", "HZ"), ("b_h", "H"), ("W_oh", "LH"), ("b_o", "L"))


@dataclass(frozen=True)
class ToySequenceGAN:
    """A tiny RNN generator ``G_theta`` and a fixed logistic discriminator ``D_phi``.

    Attributes
    ----------
    theta : ndarray, shape (P,)
        Generator parameters, flat so that one entry ``theta[j]`` can be swept; see ``param_names``.
    z : ndarray, shape (T, Z)
        The latent noise ``z_t`` fed to step ``t`` (held fixed: the sampling noise is separate).
    disc_w : ndarray, shape (T, L)
        Discriminator weights, one per (position, token); ``disc_b`` its bias.
    hidden : int
        Size ``H`` of the hidden state ``h_t``.

    Notes
    -----
    ``h_t = tanh(W_hh h_{t-1} + W_hv v_{t-1} + W_hz z_t + b_h)``, ``mu_t = W_oh h_t + b_o``,
    ``K_t ~ softmax(mu_t)``, ``v_t = one-hot(K_t)``, ``h_0 = 0``, ``v_0 = 0``;
    ``D_phi(v) = sigmoid(sum_t disc_w[t, K_t] + disc_b)``.  Introduced in
    notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))").
    """

    theta: np.ndarray
    z: np.ndarray
    disc_w: np.ndarray
    disc_b: float
    hidden: int

    @property
    def n_tokens(self) -> int:
        return self.disc_w.shape[1]

    @property
    def length(self) -> int:
        return self.z.shape[0]

    def _shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        size = {"H": self.hidden, "L": self.n_tokens, "Z": self.z.shape[1]}
        return [(name, tuple(size[c] for c in dims)) for name, dims in _LAYOUT]

    @property
    def param_names(self) -> list[str]:
        """``"b_o[0]"``, ``"W_hh[1,2]"``, ... in the order of ``theta``."""
        return [f"{n}[{','.join(map(str, i))}]" for n, s in self._shapes() for i in np.ndindex(*s)]

    def unpack(self, theta) -> dict[str, np.ndarray]:
        """Views of ``theta`` (real, or complex for the complex-step derivative) as named matrices."""
        out, start = {}, 0
        for name, shape in self._shapes():
            stop = start + int(np.prod(shape))
            out[name] = theta[start:stop].reshape(shape)
            start = stop
        return out


def make_toy_gan(rng: np.random.Generator, *, n_tokens: int = 3, length: int = 3, hidden: int = 4,
                 noise_dim: int = 2, scale: float = 1.0, disc_scale: float = 3.0) -> ToySequenceGAN:
    """A seeded :class:`ToySequenceGAN`: ``N(0, scale^2)`` generator weights, ``z_t ~ N(0, I)``.

    The discriminator's weights are ``disc_scale`` times standard normals centred within each
    position (a shift common to all tokens at one position only moves the bias, since exactly one
    token is chosen there), so ``D`` differs clearly between sequences; its bias is ``N(0, 1/4)``.

    Introduced in notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))").

    Examples
    --------
    >>> gan = make_toy_gan(np.random.default_rng(0))
    >>> gan.theta.shape, gan.param_names[-3:]
    ((55,), ['b_o[0]', 'b_o[1]', 'b_o[2]'])
    """
    rng = check.generator(rng)
    L, T = check.integer("n_tokens", n_tokens, minimum=2), check.integer("length", length, minimum=1)
    H, Z = check.integer("hidden", hidden, minimum=1), check.integer("noise_dim", noise_dim, minimum=1)
    scale, disc_scale = float(check.positive("scale", scale)), float(check.positive("disc_scale", disc_scale))
    n_params = H * H + H * L + H * Z + H + L * H + L
    theta, z = scale * rng.standard_normal(n_params), rng.standard_normal((T, Z))
    w = rng.standard_normal((T, L))  # (T, L)
    return ToySequenceGAN(theta=theta, z=z, disc_w=disc_scale * (w - w.mean(axis=1, keepdims=True)),
                          disc_b=0.5 * float(rng.standard_normal()), hidden=H)


def _check_gan(gan) -> ToySequenceGAN:
    if not isinstance(gan, ToySequenceGAN):
        raise ValueError(f"gan must be a ToySequenceGAN (see make_toy_gan), got {type(gan).__name__}")
    return gan


def _theta(gan: ToySequenceGAN, theta) -> np.ndarray:
    _check_gan(gan)
    if theta is None:
        return gan.theta
    theta = check.finite("theta", theta)
    if theta.shape != gan.theta.shape:
        raise ValueError(f"theta must have shape {gan.theta.shape}, got {theta.shape}")
    return theta


def _tokens(gan: ToySequenceGAN, tokens) -> np.ndarray:
    _check_gan(gan)
    tokens = np.asarray(tokens)
    if not np.issubdtype(tokens.dtype, np.integer) or tokens.ndim < 1 or tokens.shape[-1] != gan.length:
        raise ValueError(f"tokens must be integers of shape (..., T={gan.length}), got {check._show(tokens)}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= gan.n_tokens):
        raise ValueError(f"tokens must lie in [0, L) = [0, {gan.n_tokens}), got {check._show(tokens)}")
    return tokens


def _rollout(gan, theta, n, choose):
    """Run the RNN for ``n`` sequences; ``choose(t, mu_t)`` returns the tokens K_t, shape (n,)."""
    p = gan.unpack(theta)
    h = np.zeros((n, gan.hidden), dtype=theta.dtype)  # (n, H)
    v = np.zeros((n, gan.n_tokens))  # (n, L): no token before the first step
    logits, tokens = [], []
    for t in range(gan.length):
        # h_t = tanh(W_hh h_{t-1} + W_hv v_{t-1} + W_hz z_t + b_h)       (n, H)
        h = np.tanh(h @ p["W_hh"].T + v @ p["W_hv"].T + gan.z[t] @ p["W_hz"].T + p["b_h"])
        # mu_t = W_oh h_t + b_o                                           (n, L)
        logits.append(h @ p["W_oh"].T + p["b_o"])
        tokens.append(choose(t, logits[-1]))
        v = one_hot(tokens[-1], gan.n_tokens)
    return np.stack(tokens, axis=1), np.stack(logits, axis=1)  # (n, T), (n, T, L)


def sample_tokens(gan: ToySequenceGAN, gumbel, theta=None) -> np.ndarray:
    """``K_t = argmax_k (mu_tk + G_tk)`` for fixed Gumbel noise: ``G_theta(z)`` as a function of theta.

    Parameters
    ----------
    gan : ToySequenceGAN
    gumbel : array_like, shape (T, L) or (S, T, L)
        Fixed standard Gumbel noise (one draw per step and token); see :func:`draw_gumbel_noise`.
    theta : array_like, shape (P,), optional
        Generator parameters; default ``gan.theta``.

    Returns
    -------
    ndarray of int, shape (T,) or (S, T): the sampled tokens.

    Notes
    -----
    For fixed noise the map ``theta -> K`` is piecewise constant: ``dK/dtheta = 0`` almost everywhere.
    Introduced in notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))").

    Examples
    --------
    >>> gan = make_toy_gan(np.random.default_rng(0))
    >>> sample_tokens(gan, draw_gumbel_noise(gan, np.random.default_rng(1), 2)).shape
    (2, 3)
    """
    theta = _theta(gan, theta)
    g = check.finite("gumbel", gumbel)
    if g.shape[-2:] != (gan.length, gan.n_tokens) or g.ndim not in (2, 3):
        raise ValueError(f"gumbel must have shape (T, L) or (S, T, L) with (T, L) = "
                         f"({gan.length}, {gan.n_tokens}), got {g.shape}")
    g3 = g.reshape(-1, gan.length, gan.n_tokens)  # (S, T, L)
    tokens, _ = _rollout(gan, theta, g3.shape[0], lambda t, mu: (mu + g3[:, t]).argmax(axis=-1))
    return tokens.reshape(g.shape[:-1])


def draw_gumbel_noise(gan: ToySequenceGAN, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` independent standard Gumbel noise arrays of shape (T, L), drawn once and reused.

    Introduced in notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))").

    Examples
    --------
    >>> gan = make_toy_gan(np.random.default_rng(0))
    >>> draw_gumbel_noise(gan, np.random.default_rng(0), 4).shape
    (4, 3, 3)
    """
    gan, size = _check_gan(gan), check.integer("size", size, minimum=1)
    return sample_gumbel(rng, size=(size, gan.length, gan.n_tokens))


def _log_softmax(mu):
    # shift by the max of the real part: exact for complex mu too, and exp() cannot overflow
    m = mu.real.max(axis=-1, keepdims=True)
    return mu - m - np.log(np.exp(mu - m).sum(axis=-1, keepdims=True))


def sequence_log_prob(gan: ToySequenceGAN, tokens, theta=None) -> np.ndarray:
    """``log p_theta(K_1..K_T | z) = sum_t log softmax(mu_t)[K_t]`` (teacher forcing).

    Introduced in notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))").

    Examples
    --------
    >>> gan = make_toy_gan(np.random.default_rng(0))
    >>> round(float(np.exp(sequence_log_prob(gan, all_sequences(3, 3))).sum()), 12)
    1.0
    """
    tokens = _tokens(gan, tokens)
    return _log_prob(gan, tokens, _theta(gan, theta))


def _log_prob(gan, tokens, theta):
    flat = tokens.reshape(-1, gan.length)  # (N, T)
    _, mu = _rollout(gan, theta, flat.shape[0], lambda t, _mu: flat[:, t])
    # log p(K) = sum_t log softmax(mu_t)_{K_t}
    lp = np.take_along_axis(_log_softmax(mu), flat[..., None], axis=-1)[..., 0].sum(axis=-1)
    return lp.reshape(tokens.shape[:-1])


def step_probabilities(gan: ToySequenceGAN, tokens, theta=None) -> np.ndarray:
    """``p(K_t = k | K_<t, z) = softmax(mu_t)_k`` along given token sequences, shape (..., T, L).

    Introduced in notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))").

    Examples
    --------
    >>> gan = make_toy_gan(np.random.default_rng(0))
    >>> step_probabilities(gan, [0, 1, 2]).sum(axis=-1).round(12).tolist()
    [1.0, 1.0, 1.0]
    """
    tokens = _tokens(gan, tokens)
    flat = tokens.reshape(-1, gan.length)  # (N, T)
    _, mu = _rollout(gan, _theta(gan, theta), flat.shape[0], lambda t, _mu: flat[:, t])
    return np.exp(_log_softmax(mu)).reshape(tokens.shape + (gan.n_tokens,))


def discriminator_prob(gan: ToySequenceGAN, tokens) -> np.ndarray:
    """``D_phi(v) = sigmoid(sum_t disc_w[t, K_t] + disc_b)`` on the one-hot sequence ``v``.

    Introduced in notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))").

    Examples
    --------
    >>> gan = make_toy_gan(np.random.default_rng(0))
    >>> discriminator_prob(gan, [[0, 1, 2]]).shape
    (1,)
    """
    v = one_hot(_tokens(gan, tokens), gan.n_tokens)  # (..., T, L)
    # w . vec(v) + b, then the logistic function
    return expit((v * gan.disc_w).sum(axis=(-2, -1)) + gan.disc_b)


def all_sequences(n_tokens: int, length: int) -> np.ndarray:
    """Every token sequence, shape (L**T, T), in lexicographic order (for exact expectations).

    Examples
    --------
    >>> all_sequences(2, 2).tolist()
    [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    L, T = check.integer("n_tokens", n_tokens, minimum=1), check.integer("length", length, minimum=1)
    if L**T > 100_000:
        raise ValueError(f"n_tokens**length must be <= 100000 to enumerate, got {L}**{T} = {L**T}")
    return np.array(list(itertools.product(range(L), repeat=T)), dtype=np.intp)


def _expected(gan, theta):
    seqs = all_sequences(gan.n_tokens, gan.length)
    # E[D] = sum_K p_theta(K | z) D_phi(one-hot(K))
    return (np.exp(_log_prob(gan, seqs, theta)) * discriminator_prob(gan, seqs)).sum()


def expected_discriminator(gan: ToySequenceGAN, theta=None) -> float:
    """``E_{K ~ p_theta(.|z)}[D_phi(v)]``, exactly, by summing over all ``L**T`` sequences.

    Introduced in notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))").

    Examples
    --------
    >>> gan = make_toy_gan(np.random.default_rng(0))
    >>> 0 < expected_discriminator(gan) < 1
    True
    """
    return float(_expected(gan, _theta(gan, theta)))


def expected_discriminator_grad(gan: ToySequenceGAN, j: int, theta=None) -> float:
    """``d E[D] / d theta_j`` of the exact enumeration, by the complex-step derivative.

    Notes
    -----
    ``f'(x) = Im f(x + i h) / h + O(h^2)``: no subtraction, so ``h = 1e-20`` is safe and the result
    is exact to rounding (finite differences lose half the digits).  It works because every step of
    the enumeration (tanh, exp, log-sum-exp) is analytic in theta.
    Introduced in notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))").

    Examples
    --------
    >>> gan = make_toy_gan(np.random.default_rng(0))
    >>> f = lambda x: expected_discriminator(gan, with_parameter(gan.theta, 54, x))
    >>> x, h = gan.theta[54], 1e-5
    >>> abs(expected_discriminator_grad(gan, 54) - (f(x + h) - f(x - h)) / (2 * h)) < 1e-8
    True
    """
    theta = _theta(gan, theta)
    j = check.integer("j", j, minimum=0)
    if j >= theta.size:
        raise ValueError(f"j must be < the number of parameters P = {theta.size}, got {j}")
    shifted = theta.astype(np.complex128)
    shifted[j] += 1j * _COMPLEX_STEP
    return float(_expected(gan, shifted).imag / _COMPLEX_STEP)


def with_parameter(theta, j: int, value: float) -> np.ndarray:
    """A copy of ``theta`` with entry ``j`` set to ``value`` (for sweeping one parameter).

    Examples
    --------
    >>> with_parameter([1.0, 2.0], 1, 5.0).tolist()
    [1.0, 5.0]
    """
    theta = check.finite("theta", theta).copy()
    j = check.integer("j", j, minimum=0)
    if theta.ndim != 1 or j >= theta.size:
        raise ValueError(f"j must index the 1-D theta of size {theta.size}, got j={j}, shape {theta.shape}")
    theta[j] = float(check.finite("value", value))
    return theta
