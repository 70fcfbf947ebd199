"""A variational auto-encoder in NumPy, with the backward pass written by hand.

Encoder ``x -> (mu, log sigma^2)``, re-parameterised sample ``z = mu + sigma * eps``, decoder
``z -> logits`` of a binomial likelihood on the 8x8 digits.  The per-image loss is the slide's
``l_i = -E_q[log p(x_i|z)] + KL(q(z|x_i) || N(0, I))``.  Introduced in ``notebooks/06_vae.ipynb``
(slides "variational auto-encoder" and "real example on variational auto-encoder").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.special import gammaln

from . import _validate as check
from .kl import _kl
from .nn import Adam, mlp, sigmoid, softplus
from .progress import progress_bar


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 handwritten digits of scikit-learn's ``load_digits``, from the copy shipped with the library.

    Introduced in notebooks/06_vae.ipynb.  ``lectures_lib/data/digits.npz`` holds the same numbers (the UCI
    "Optical Recognition of Handwritten Digits" set, E. Alpaydin and C. Kaynak 1998, CC BY 4.0) as uint8, 45 kB;
    shipping them spares the in-browser lecture scikit-learn's 6 MB download (``tests/test_vae.py`` checks the copy
    against scikit-learn's).

    Returns
    -------
    images : ndarray of float64, shape (1797, 64)
        Each pixel counts the "on" pixels of a 4x4 block of a 32x32 scan: an integer 0..16.
    target : ndarray of intp, shape (1797,)
        The digit, 0-9.

    Examples
    --------
    >>> images, target = load_digits()
    >>> images.shape, int(images.max()), target[:5].tolist()
    ((1797, 64), 16, [0, 1, 2, 3, 4])
    """
    with np.load(Path(__file__).resolve().parent / "data" / "digits.npz", allow_pickle=False) as data:
        return data["images"].astype(np.float64), data["target"].astype(np.intp)


def load_digits_split(rng: np.random.Generator, test_fraction: float = 0.2):
    """The 1797 digits of :func:`load_digits`, pixels scaled to [0, 1], split into train and test at random.

    Introduced in notebooks/06_vae.ipynb (slide "real example on variational auto-encoder").

    Parameters
    ----------
    rng : numpy.random.Generator
        Shuffles the images before the split (same seed, same split).
    test_fraction : float
        Fraction of images held out, in (0, 1).

    Returns
    -------
    x_train, x_test : ndarray of float64, shape (n, 64)
        Pixel counts divided by 16 (each of the 8x8 pixels counts "on" pixels in a 4x4 block).
    y_train, y_test : ndarray of intp
        Digit labels 0-9.

    Examples
    --------
    >>> x_tr, x_te, y_tr, y_te = load_digits_split(np.random.default_rng(0))
    >>> x_tr.shape, x_te.shape, float(x_tr.max())
    ((1438, 64), (359, 64), 1.0)
    """
    rng = check.generator(rng)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
    images, target = load_digits()
    order = rng.permutation(len(target))
    n_test = round(test_fraction * len(order))
    x, y = images[order] / 16.0, target[order]
    return x[n_test:], x[:n_test], y[n_test:], y[:n_test]


def check_images(x, n_pixels: int) -> np.ndarray:
    """``x`` as a float array of shape ``(n, n_pixels)`` with intensities in [0, 1], or ValueError.

    Shared by :class:`VAE` and :class:`~lectures_lib.categorical_vae.CategoricalVAE`.

    Examples
    --------
    >>> check_images([[0.0, 0.5, 1.0]], 3).shape
    (1, 3)
    """
    x = check.as_float_array("x", x)
    if x.ndim != 2 or x.shape[1] != n_pixels or not np.all((x >= 0) & (x <= 1)):
        raise ValueError(f"x must be an (n, {n_pixels}) array of intensities in [0, 1], got shape {x.shape}: "
                         f"{check._show(x)}")
    return x


@dataclass
class Terms:
    """Per-image terms of the negative ELBO, in nats: ``total = reconstruction + kl``."""

    reconstruction: np.ndarray
    kl: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.reconstruction + self.kl


class VAE:
    """Encoder and decoder MLPs with hand-written forward and backward passes.

    Introduced in notebooks/06_vae.ipynb (slide "where does neural network come in to play?").

    Parameters
    ----------
    rng : numpy.random.Generator
        Initialises the weights.
    n_pixels, n_latent, n_hidden : int
        Input size (64), latent size L, width of the one hidden layer of each network.
    n_trials : int
        Each pixel is ``Binomial(n_trials, sigmoid(logit))`` divided by ``n_trials``; 16 for the
        digits (a count of 16 binary pixels), 1 for a Bernoulli on binary images.
    dtype : float32 (fast) or float64 (gradient checks)

    Notes
    -----
    ``l_i = sum_d [n softplus(l_d) - k_d l_d - log C(n, k_d)] + 1/2 sum_j (s_j^2 + mu_j^2 - 1 - log s_j^2)``
    with ``k = n x`` and ``l = decoder(mu + s * eps)``.

    Examples
    --------
    >>> vae = VAE(np.random.default_rng(0), n_hidden=8)
    >>> vae.decode(np.zeros((1, 2))).shape
    (1, 64)
    """

    def __init__(self, rng: np.random.Generator, *, n_pixels: int = 64, n_latent: int = 2, n_hidden: int = 512,
                 n_trials: int = 16, activation: str = "relu", dtype=np.float32):
        self.n_pixels = check.integer("n_pixels", n_pixels, minimum=1)
        self.n_latent = check.integer("n_latent", n_latent, minimum=1)
        self.n_trials = check.integer("n_trials", n_trials, minimum=1)
        n_hidden = check.integer("n_hidden", n_hidden, minimum=1)
        self.encoder = mlp([n_pixels, n_hidden, 2 * n_latent], rng, activation=activation, dtype=dtype)
        self.decoder = mlp([n_latent, n_hidden, n_pixels], rng, activation=activation, dtype=dtype)
        self.dtype = np.dtype(dtype)
        self.params = {**{f"encoder.{k}": v for k, v in self.encoder.params.items()},
                       **{f"decoder.{k}": v for k, v in self.decoder.params.items()}}
        self.grads = {**{f"encoder.{k}": v for k, v in self.encoder.grads.items()},
                      **{f"decoder.{k}": v for k, v in self.decoder.grads.items()}}
        self._x = None  # set by the forward pass; backward needs it

    def encode(self, x) -> tuple[np.ndarray, np.ndarray]:
        """``(mu, log_var)`` of ``q(z|x)``, each (n, L)."""
        h = self.encoder.forward(check_images(x, self.n_pixels).astype(self.dtype))  # (n, 2L)
        return h[:, :self.n_latent], h[:, self.n_latent:]

    def decode(self, z) -> np.ndarray:
        """Mean pixel intensities ``sigmoid(decoder(z))``, (n, 64)."""
        z = check.finite("z", z)
        if z.ndim != 2 or z.shape[1] != self.n_latent:
            raise ValueError(f"z must have shape (n, {self.n_latent}), got {z.shape}")
        return sigmoid(self.decoder.forward(z.astype(self.dtype)))

    def terms(self, x, eps) -> Terms:
        """Per-image ``-E_q[log p(x|z)]`` (one sample, ``z = mu + s eps``) and ``KL(q || N(0, I))``."""
        x = check_images(x, self.n_pixels)
        eps = check.finite("eps", eps)
        if eps.shape != (len(x), self.n_latent):
            raise ValueError(f"eps must have shape {(len(x), self.n_latent)}, got {eps.shape}")
        log_binom = log_binomial_coefficients(x, self.n_trials)
        return self._forward(x.astype(self.dtype), eps.astype(self.dtype), log_binom)

    def _forward(self, x, eps, log_binom) -> Terms:
        h = self.encoder.forward(x)  # (B, 2L)
        mu, log_var = h[:, :self.n_latent], h[:, self.n_latent:]
        self._sigma = np.exp(0.5 * log_var)  # (B, L)
        # re-parameterisation: z = mu + sigma * eps, eps ~ N(0, I)
        z = mu + self._sigma * eps
        logits = self.decoder.forward(z)  # (B, D)
        self._x, self._eps, self._mu, self._log_var, self._logits = x, eps, mu, log_var, logits
        # -log Binomial(k; n, sigmoid(l)) = n softplus(l) - k l - log C(n, k),  k = n x
        k = self.n_trials * x
        reconstruction = (self.n_trials * softplus(logits) - k * logits).sum(1) - log_binom
        # KL(N(mu, s^2) || N(0, 1)) summed over the latent dimensions
        return Terms(reconstruction, _kl(mu, log_var, 0.0, 0.0).sum(1))

    def backward(self, recon_weight: float = 1.0, kl_weight: float = 1.0) -> None:
        """Fill ``self.grads`` with the gradient of ``mean_i (recon_weight * rec_i + kl_weight * kl_i)``.

        Call after :meth:`terms` on the same batch.
        """
        if self._x is None:
            raise ValueError("backward needs a forward pass first: call vae.terms(x, eps)")
        _check_weights(recon_weight, kl_weight)
        n = len(self._x)
        # d rec / d logits = n sigmoid(l) - k   (B, D)
        g_logits = (recon_weight / n) * (self.n_trials * sigmoid(self._logits) - self.n_trials * self._x)
        g_z = self.decoder.backward(g_logits.astype(self.dtype, copy=False))  # (B, L)
        # z = mu + exp(log_var / 2) eps:  dz/dmu = 1,  dz/dlog_var = eps * sigma / 2
        # KL: dKL/dmu = mu,  dKL/dlog_var = (exp(log_var) - 1) / 2
        g_mu = g_z + (kl_weight / n) * self._mu
        g_log_var = 0.5 * g_z * self._eps * self._sigma + (kl_weight / (2 * n)) * np.expm1(self._log_var)
        self.encoder.backward(np.concatenate([g_mu, g_log_var], axis=1), need_input_grad=False)


def _check_weights(recon_weight, kl_weight) -> None:
    for name, value in (("recon_weight", recon_weight), ("kl_weight", kl_weight)):
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {value!r}")


def log_binomial_coefficients(x: np.ndarray, n: int) -> np.ndarray:
    """``sum_pixels log C(n, n x)``: the constant of the Binomial(n, p) log-likelihood of each image.

    Shared by :class:`VAE` and :class:`~lectures_lib.categorical_vae.CategoricalVAE`; ``x`` must
    already be checked (:func:`check_images`), ``n`` is the number of trials per pixel.

    Notes
    -----
    ``log C(n, k) = log n! - log k! - log (n-k)!`` with ``k = n x``, via ``gammaln``; it is 0 when
    ``n = 1`` and ``x`` is binary.

    Examples
    --------
    >>> log_binomial_coefficients(np.array([[0.5, 1.0]]), 2).round(4)  # log C(2, 1) + log C(2, 2)
    array([0.6931])
    """
    n = check.integer("n", n, minimum=1)
    k = n * x
    return (gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)).sum(1)


def neg_elbo(vae: VAE, x, rng: np.random.Generator, n_samples: int = 16) -> Terms:
    """Per-image negative ELBO in nats, the reconstruction term averaged over ``n_samples`` draws of z.

    Introduced in notebooks/06_vae.ipynb (slide "real example on variational auto-encoder").

    Notes
    -----
    ``-ELBO(x) = -1/S sum_s log p(x|mu + s eps_s) + KL(q(z|x) || N(0, I)) >= -log p(x)``; the KL is exact.

    Examples
    --------
    >>> vae = VAE(np.random.default_rng(0), n_hidden=8)
    >>> neg_elbo(vae, np.zeros((3, 64)), np.random.default_rng(1)).total.shape
    (3,)
    """
    x = check_images(x, vae.n_pixels)
    rng = check.generator(rng)
    n_samples = check.integer("n_samples", n_samples, minimum=1)
    log_binom = log_binomial_coefficients(x, vae.n_trials)
    xs = x.astype(vae.dtype)
    runs = [vae._forward(xs, rng.standard_normal((len(x), vae.n_latent)).astype(vae.dtype), log_binom)
            for _ in range(n_samples)]
    return Terms(np.mean([r.reconstruction for r in runs], axis=0).astype(np.float64),
                 runs[0].kl.astype(np.float64))


@dataclass
class History:
    """Per-epoch training means (nats per image) and, if a test set was given, its -ELBO."""

    reconstruction: list = field(default_factory=list)
    kl: list = field(default_factory=list)
    test_neg_elbo: list = field(default_factory=list)


def train_vae(vae: VAE, x_train, rng: np.random.Generator, *, epochs: int = 50, batch_size: int = 64,
              lr: float = 1e-3, recon_weight: float = 1.0, kl_weight: float = 1.0, x_test=None,
              progress: bool = False) -> History:
    """Mini-batch Adam on ``mean_i (recon_weight * rec_i + kl_weight * KL_i)``.

    Introduced in notebooks/06_vae.ipynb (slide "real example on variational auto-encoder");
    ``recon_weight=0`` or ``kl_weight=0`` are the two ablations of "objective function illustration".

    Parameters
    ----------
    vae : VAE
    x_train : array_like, shape (n, 64)
    rng : numpy.random.Generator
        Shuffles the batches and draws eps; same seed, same trained model.
    epochs, batch_size : int
    lr : float
        Adam step size.
    recon_weight, kl_weight : float >= 0
    x_test : array_like, optional
        If given, its -ELBO (one sample of z) is recorded after every epoch.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    History

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> h = train_vae(VAE(rng, n_hidden=8), rng.random((20, 64)), rng, epochs=2)
    >>> len(h.kl)
    2
    """
    from threadpoolctl import threadpool_limits
    if not isinstance(vae, VAE):
        raise ValueError(f"vae must be a VAE, got {type(vae).__name__}")
    x = check_images(x_train, vae.n_pixels)
    rng = check.generator(rng)
    epochs = check.integer("epochs", epochs, minimum=1)
    batch_size = check.integer("batch_size", batch_size, minimum=1)
    _check_weights(recon_weight, kl_weight)
    if x_test is not None:
        x_test = check_images(x_test, vae.n_pixels)
    opt = Adam(vae.params, lr=lr)
    xs, log_binom = x.astype(vae.dtype), log_binomial_coefficients(x, vae.n_trials)
    history = History()
    bar = progress_bar(range(epochs), desc="training", enabled=progress)
    # One BLAS thread: these (64 x 512) matmuls take microseconds, and a second OpenBLAS thread
    # spin-waiting for a busy core made epochs 5-20x slower on a shared 2-core machine.
    with threadpool_limits(1, user_api="blas"):
        for _ in bar:
            _epoch(vae, opt, xs, log_binom, rng, batch_size, recon_weight, kl_weight, history)
            if x_test is not None:
                history.test_neg_elbo.append(float(neg_elbo(vae, x_test, rng, n_samples=1).total.mean()))
            bar.set_postfix(rec=f"{history.reconstruction[-1]:.1f}", kl=f"{history.kl[-1]:.2f}")
    return history


def _epoch(vae, opt, xs, log_binom, rng, batch_size, recon_weight, kl_weight, history) -> None:
    """One pass over the shuffled training set: forward, hand-written backward, Adam step."""
    order = rng.permutation(len(xs))
    rec_sum = kl_sum = 0.0
    for start in range(0, len(xs), batch_size):
        idx = order[start:start + batch_size]
        eps = rng.standard_normal((len(idx), vae.n_latent), dtype=vae.dtype)  # (B, L)
        terms = vae._forward(xs[idx], eps, log_binom[idx])
        vae.backward(recon_weight, kl_weight)
        opt.step(vae.grads)
        rec_sum += float(terms.reconstruction.sum())
        kl_sum += float(terms.kl.sum())
    history.reconstruction.append(rec_sum / len(xs))
    history.kl.append(kl_sum / len(xs))
