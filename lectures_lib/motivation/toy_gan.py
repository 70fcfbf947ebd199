"""A toy sequence GAN: a discrete generator that back-propagation cannot train.

A tiny seeded RNN generator emits ``T`` one-hot tokens over ``L`` categories by the Gumbel-max trick,
and a fixed logistic discriminator scores the one-hot sequence.  For fixed noise the output is
piecewise constant in the parameters; the exact ``E[D]`` (a sum over all ``L**T`` sequences) is smooth,
and its derivative comes by the complex-step method.

Introduced in notebooks/01_motivation.ipynb (slide "consider D_phi(G_theta(z))").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .. import _validate as check
from ..gumbel import one_hot, sample_gumbel

#: step of the complex-step derivative; the error is O(h^2), far below double precision
_COMPLEX_STEP = 1e-20

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
