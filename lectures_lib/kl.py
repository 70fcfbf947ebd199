"""Closed-form KL divergence between Gaussians, written as named terms.

The VAE's regulariser ``KL(q(z|x) || p(z))`` with a diagonal Gaussian ``q`` and ``p = N(0, I)`` is a
sum over latent dimensions of the univariate KL below (slide "KL between two Gaussian
distributions", whose errata are in ERRATA.md).  Introduced in ``notebooks/06_vae.ipynb``.
"""

from __future__ import annotations

import numpy as np

from . import _validate as check


def _params(mu_q, log_var_q, mu_p, log_var_p):
    arrays = [check.finite(name, value) for name, value in
              (("mu_q", mu_q), ("log_var_q", log_var_q), ("mu_p", mu_p), ("log_var_p", log_var_p))]
    try:
        return np.broadcast_arrays(*arrays)
    except ValueError as exc:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"mu_q, log_var_q, mu_p, log_var_p must broadcast together, got shapes {shapes}") from exc


def _kl(mu_q, log_var_q, mu_p, log_var_p):
    """Unchecked elementwise KL (the training loop calls this on every mini-batch)."""
    # r = log(sigma_q^2 / sigma_p^2): a difference of logs, so sigma^2 itself is never formed
    r = log_var_q - log_var_p
    # variance term: sigma_q^2/sigma_p^2 - 1 - log(sigma_q^2/sigma_p^2) = expm1(r) - r >= 0.
    # expm1 keeps the r^2/2 that exp(r) - 1 - r rounds away when |r| < 1e-8.
    with np.errstate(over="ignore"):  # r > 709: the true value exceeds 1e308, so +inf is right
        variance_term = np.expm1(r) - r
    # mean term: (mu_q - mu_p)^2 / sigma_p^2, written as a square of a ratio of moderate numbers
    delta = mu_q - mu_p
    with np.errstate(over="ignore", invalid="ignore"):
        mean_term = np.square(delta * np.exp(-0.5 * log_var_p))
    mean_term = np.where(delta == 0, 0.0, mean_term)  # 0 * inf would be NaN; the term is 0
    # KL = 1/2 [variance_term + mean_term]
    return 0.5 * (variance_term + mean_term)


def gaussian_kl(mu_q, log_var_q, mu_p=0.0, log_var_p=0.0) -> np.ndarray:
    """Elementwise ``KL(N(mu_q, exp(log_var_q)) || N(mu_p, exp(log_var_p)))`` in nats.

    Introduced in notebooks/06_vae.ipynb (slide "KL between two Gaussian distributions").

    Parameters
    ----------
    mu_q, log_var_q : array_like
        Mean and log-variance of ``q`` (torch: ``loc`` and ``2 * log(scale)``).
    mu_p, log_var_p : array_like, optional
        Mean and log-variance of ``p``; default 0 and 0, the standard normal prior of a VAE.

    Returns
    -------
    ndarray
        The KL of each pair, broadcast over all four arguments.  Sum over the last axis for a
        diagonal multivariate Gaussian.  Finite (and >= 0) for log-variances in ``[-30, 30]``.

    Notes
    -----
    With ``r = log_var_q - log_var_p``:

    ``KL = 1/2 [ (exp(r) - 1 - r) + (mu_q - mu_p)^2 exp(-log_var_p) ]``

    which is the slide's ``1/2 [log(s_p^2/s_q^2) - 1 + s_q^2/s_p^2 + (mu_q - mu_p)^2 / s_p^2]``
    regrouped into two non-negative terms.  For ``p = N(0, 1)`` and summed over dimensions k it
    is ``1/2 sum_k (s_k^2 + mu_k^2 - 1 - log s_k^2)``.

    Examples
    --------
    >>> float(gaussian_kl(0.0, 0.0))  # q = p
    0.0
    >>> float(gaussian_kl(1.0, 0.0))  # unit shift of the mean: 1/2
    0.5
    >>> gaussian_kl([0.0, 0.0], [30.0, -30.0]).round(1).tolist()  # very wide and very narrow q
    [5343237290746.7, 14.5]
    """
    return _kl(*_params(mu_q, log_var_q, mu_p, log_var_p))


def gaussian_kl_grad(mu_q, log_var_q, mu_p=0.0, log_var_p=0.0) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`gaussian_kl` with respect to ``mu_q`` and ``log_var_q``.

    Introduced in notebooks/06_vae.ipynb (slide "there is a simpler way to compute KL"): the
    encoder's two outputs receive these gradients from the regulariser.

    Parameters
    ----------
    mu_q, log_var_q, mu_p, log_var_p : array_like
        As in :func:`gaussian_kl`.

    Returns
    -------
    d_mu_q, d_log_var_q : ndarray
        Broadcast to the common shape.

    Notes
    -----
    ``dKL/dmu_q = (mu_q - mu_p) exp(-log_var_p)`` and
    ``dKL/dlog_var_q = 1/2 (exp(log_var_q - log_var_p) - 1)``.

    Examples
    --------
    >>> [float(g) for g in gaussian_kl_grad(1.0, 0.0)]
    [1.0, 0.0]
    """
    mu_q, log_var_q, mu_p, log_var_p = _params(mu_q, log_var_q, mu_p, log_var_p)
    # dKL/dmu_q = (mu_q - mu_p) / sigma_p^2
    d_mu = (mu_q - mu_p) * np.exp(-log_var_p)
    # dKL/dlog_var_q = 1/2 (sigma_q^2 / sigma_p^2 - 1)
    with np.errstate(over="ignore"):
        d_log_var = 0.5 * np.expm1(log_var_q - log_var_p)
    return d_mu, d_log_var


def mutual_information(mu, log_var, rng: np.random.Generator) -> float:
    """Monte Carlo estimate of ``I(x; z)`` under ``q(z|x) q_data(x)`` for N encoded inputs, in nats.

    Introduced in notebooks/06_vae.ipynb (slide "objective function illustration"): it measures
    how much the latent code says about the input (0 when the encoder ignores ``x``).

    Parameters
    ----------
    mu, log_var : array_like, shape (N, L)
        Encoder outputs for N inputs, each ``q(z|x_n) = N(mu_n, diag(exp(log_var_n)))``.
    rng : numpy.random.Generator
        Draws one ``z_n ~ q(z|x_n)`` per input.

    Returns
    -------
    float
        ``mean_n [log q(z_n|x_n) - log (1/N sum_m q(z_n|x_m))]``, which lies in ``[0, log N]``
        up to Monte Carlo error.

    Notes
    -----
    ``I(x; z) = E_x KL(q(z|x) || q(z))`` with the aggregate posterior ``q(z) = 1/N sum_m q(z|x_m)``.
    The mixture is evaluated with log-sum-exp, because for narrow posteriors every density
    ``q(z_n|x_m)`` with ``m != n`` underflows to 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(mutual_information(np.zeros((50, 2)), np.zeros((50, 2)), rng), 6)  # z ignores x
    0.0
    """
    mu = check.finite("mu", mu)
    log_var = check.finite("log_var", log_var)
    if mu.ndim != 2 or mu.shape != log_var.shape or mu.shape[0] == 0:
        raise ValueError(f"mu and log_var must have the same shape (N, L) with N >= 1, got {mu.shape} "
                         f"and {log_var.shape}")
    rng = check.generator(rng)
    z = mu + np.exp(0.5 * log_var) * rng.standard_normal(mu.shape)  # (N, L)
    # log N(z_n; mu_m, s_m^2) summed over L, for every pair (n, m)
    diff = (z[:, None, :] - mu[None, :, :]) * np.exp(-0.5 * log_var)[None, :, :]  # (N, N, L)
    log_q = -0.5 * (np.square(diff) + log_var[None, :, :] + np.log(2 * np.pi)).sum(-1)  # (N, N)
    # log q(z_n) = logsumexp_m log q(z_n|x_m) - log N
    top = log_q.max(axis=1, keepdims=True)
    log_aggregate = top[:, 0] + np.log(np.exp(log_q - top).sum(axis=1)) - np.log(len(mu))
    return float(np.mean(np.diag(log_q) - log_aggregate))


def moment_matched_kl(z) -> float:
    """``KL(N(m, C) || N(0, I))`` where ``m`` and ``C`` are the sample mean and covariance of ``z``.

    Introduced in notebooks/06_vae.ipynb (slide "objective function illustration"): how far the
    cloud of latent codes is from the prior the decoder will be sampled from.  0 when the codes
    have mean 0 and covariance I; it ignores shape beyond the first two moments.

    Parameters
    ----------
    z : array_like, shape (N, L)
        Latent samples, ``N > L``.

    Returns
    -------
    float
        ``1/2 [tr C + m^T m - L - log det C]`` (the slide's formula with ``mu_2 = 0, Sigma_2 = I``).

    Examples
    --------
    >>> z = np.random.default_rng(0).standard_normal((100_000, 2))
    >>> moment_matched_kl(z) < 1e-3
    True
    """
    z = check.finite("z", z)
    if z.ndim != 2 or z.shape[0] <= z.shape[1]:
        raise ValueError(f"z must have shape (N, L) with N > L, got {z.shape}")
    m = z.mean(axis=0)  # (L,)
    C = np.atleast_2d(np.cov(z, rowvar=False))  # (L, L)
    sign, log_det = np.linalg.slogdet(C)  # slogdet: det C itself under- or overflows for extreme codes
    if sign <= 0:
        return float("inf")  # codes on a line (or a point): no density, infinitely far from N(0, I)
    # 1/2 [tr C + m^T m - L - log det C]
    return float(0.5 * (np.trace(C) + m @ m - z.shape[1] - log_det))

def _linear_gaussian(x, w, s):
    x, w, s = check.finite("x", x), check.finite("w", w), check.positive("s", s)
    return x, w, s


def linear_gaussian_posterior(x, w, s) -> tuple[np.ndarray, np.ndarray]:
    """Exact posterior ``p(z|x) = N(mean, exp(log_var))`` of ``z ~ N(0, 1)``, ``x|z ~ N(w z, s^2)``.

    Introduced in notebooks/06_vae.ipynb (slide "real example on variational auto-encoder"): a
    model small enough that log p(x), the posterior and the ELBO gap are all exact.

    Parameters
    ----------
    x : array_like
        Observation.
    w : array_like
        Decoder weight (the "network" of this toy decoder is ``z -> w z``).
    s : array_like
        Observation noise standard deviation, ``> 0``.

    Returns
    -------
    mean, log_var : ndarray

    Notes
    -----
    Completing the square in ``log p(x|z) + log p(z)``: ``var = s^2 / (s^2 + w^2)``,
    ``mean = w x / (s^2 + w^2)`` (derived in ``lectures_lib.symbolic.vae``).

    Examples
    --------
    >>> [float(a) for a in linear_gaussian_posterior(2.0, 1.0, 1.0)]  # mean 1, var 1/2
    [1.0, -0.6931471805599453]
    """
    x, w, s = _linear_gaussian(x, w, s)
    total = np.square(s) + np.square(w)  # s^2 + w^2: the variance of x under p(x)
    # mean = w x / (s^2 + w^2);  log var = log s^2 - log(s^2 + w^2)
    return w * x / total, 2 * np.log(s) - np.log(total)


def linear_gaussian_log_evidence(x, w, s) -> np.ndarray:
    """``log p(x)`` for ``z ~ N(0, 1)``, ``x|z ~ N(w z, s^2)``: ``x ~ N(0, w^2 + s^2)``.

    Introduced in notebooks/06_vae.ipynb (slide "real example on variational auto-encoder").

    Notes
    -----
    ``log p(x) = -1/2 [log(2 pi (w^2 + s^2)) + x^2 / (w^2 + s^2)]``.

    Examples
    --------
    >>> round(float(linear_gaussian_log_evidence(0.0, 0.0, 1.0)), 6)  # log N(0; 0, 1)
    -0.918939
    """
    x, w, s = _linear_gaussian(x, w, s)
    total = np.square(s) + np.square(w)
    # log N(x; 0, w^2 + s^2)
    return -0.5 * (np.log(2 * np.pi * total) + np.square(x) / total)


def linear_gaussian_elbo(x, w, s, mean, log_var) -> np.ndarray:
    """ELBO of ``q(z) = N(mean, exp(log_var))`` in the linear-Gaussian model, exactly.

    Introduced in notebooks/06_vae.ipynb (slide "real example on variational auto-encoder").

    Parameters
    ----------
    x, w, s : array_like
        Observation, decoder weight, noise std (see :func:`linear_gaussian_posterior`).
    mean, log_var : array_like
        Parameters of the approximate posterior q.

    Returns
    -------
    ndarray
        ``E_q[log p(x|z)] - KL(q || N(0, 1))``, which is ``<= log p(x)`` with equality iff q is
        the posterior.

    Notes
    -----
    ``E_q[log p(x|z)] = -1/2 [log(2 pi s^2) + ((x - w mean)^2 + w^2 v) / s^2]``, ``v = exp(log_var)``.

    Examples
    --------
    >>> m, lv = linear_gaussian_posterior(2.0, 1.0, 1.0)
    >>> bool(np.isclose(linear_gaussian_elbo(2.0, 1.0, 1.0, m, lv), linear_gaussian_log_evidence(2.0, 1.0, 1.0)))
    True
    """
    x, w, s = _linear_gaussian(x, w, s)
    mean, log_var = check.finite("mean", mean), check.finite("log_var", log_var)
    # E_q[(x - w z)^2] = (x - w mean)^2 + w^2 var
    expected_sq = np.square(x - w * mean) + np.square(w) * np.exp(log_var)
    expected_log_lik = -0.5 * (np.log(2 * np.pi * np.square(s)) + expected_sq / np.square(s))
    return expected_log_lik - _kl(mean, log_var, 0.0, 0.0)
