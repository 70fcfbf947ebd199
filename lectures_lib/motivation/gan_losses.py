"""The GAN losses of Goodfellow et al. (2014), the optimal discriminator, and the Gaussian KL they lead to.

The losses are written on discriminator *logits* ``s`` (``D = sigmoid(s)``) so that ``log D`` and
``log(1 - D)`` stay finite when ``D`` rounds to 0 or 1.

Introduced in notebooks/01_motivation.ipynb (slide "a motivating example: Generative Adversarial Training").
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .. import _validate as check

GENERATOR_LOSSES = ("minimax", "non_saturating", "logit")


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
