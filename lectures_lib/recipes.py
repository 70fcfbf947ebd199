"""The training runs whose results the notebooks load instead of training on every run: each is the code that made
its shipped weights (``python -m tools.train_weights``), the code the notebooks show, and the code their live
cell runs again.

Introduced in notebooks/06_vae.ipynb (section 4); used by notebooks 08 and 09.  Every recipe takes ``progress``
(a tqdm bar) and returns a dict of trained models and training histories; :mod:`lectures_lib.trained` saves,
checks and loads them.  Seeds are fixed inside each recipe: the same code gives the same run.  All three notebooks
use the same split of the digits, ``load_digits_split(np.random.default_rng(0))``.
"""

from __future__ import annotations

import numpy as np

from .categorical_vae import CategoricalVAE, train_categorical_vae
from .discrete_gan import SequenceGenerator, ascending_runs, make_discriminator, train_discrete_gan
from .vae import VAE, load_digits_split, train_vae


def digits():
    """The train/test split every recipe uses: ``(x_train, x_test, y_train, y_test)``."""
    return load_digits_split(np.random.default_rng(0))


def vae(progress: bool = False) -> dict:
    """Notebook 06, section 4: the VAE of the digits (2-D code), 100 epochs of Adam, held-out -ELBO per epoch."""
    x_train, x_test, _, _ = digits()
    rng = np.random.default_rng(1)
    model = VAE(rng, n_hidden=512)
    history = train_vae(model, x_train, rng, epochs=100, batch_size=64, lr=2e-3, x_test=x_test, progress=progress)
    return {"vae": model, "history": history}


def vae_ablations(progress: bool = False) -> dict:
    """Notebook 06, section 5: the same VAE trained without its KL term, and without its reconstruction term."""
    x_train, _, _, _ = digits()
    runs = {}
    for name, weights in {"no_kl": {"kl_weight": 0.0}, "no_reconstruction": {"recon_weight": 0.0}}.items():
        rng = np.random.default_rng(1)  # the full VAE's initial weights and batches
        runs[name] = VAE(rng, n_hidden=512)
        runs[f"{name}_history"] = train_vae(runs[name], x_train, rng, epochs=100, batch_size=64, lr=2e-3,
                                            progress=progress, **weights)
    return runs


def vae_latent8(progress: bool = False) -> dict:
    """Notebook 06, exercise 1: the same VAE with an 8-dimensional code."""
    x_train, _, _, _ = digits()
    rng = np.random.default_rng(1)
    model = VAE(rng, n_latent=8, n_hidden=512)
    history = train_vae(model, x_train, rng, epochs=100, batch_size=64, lr=2e-3, progress=progress)
    return {"vae": model, "history": history}


#: notebook 06, exercise 2: the KL weights of the beta-VAEs
BETAS = (0.25, 4.0)


def beta_vaes(progress: bool = False) -> dict:
    """Notebook 06, exercise 2: the VAE trained with each KL weight of :data:`BETAS`, 50 epochs each."""
    x_train, _, _, _ = digits()
    runs = {}
    for i, beta in enumerate(BETAS):
        rng = np.random.default_rng(1)
        runs[f"vae_{i}"] = VAE(rng, n_hidden=512)
        runs[f"history_{i}"] = train_vae(runs[f"vae_{i}"], x_train, rng, epochs=50, batch_size=64, lr=2e-3,
                                         kl_weight=beta, progress=progress)
    return runs


def categorical_vae(estimator: str, progress: bool = False) -> dict:
    """Notebook 08, section 3: the categorical VAE (20 variables of 10 categories) trained by ``estimator``."""
    x_train, x_test, _, _ = digits()
    rng = np.random.default_rng(1)  # the same initial weights and batches for both estimators
    model = CategoricalVAE(rng, n_latent=20, n_categories=10, n_hidden=256)
    history = train_categorical_vae(model, x_train, rng, estimator=estimator, epochs=40, lr=2e-3, n_samples=4,
                                    temperature=(1.0, 0.5), x_test=x_test, progress=progress)
    return {"model": model, "history": history}


def categorical_vae_gumbel_softmax(progress: bool = False) -> dict:
    """Notebook 08, section 3: the Gumbel-softmax categorical VAE."""
    return categorical_vae("gumbel_softmax", progress)


def categorical_vae_reinforce(progress: bool = False) -> dict:
    """Notebook 08, section 3: the REINFORCE categorical VAE."""
    return categorical_vae("reinforce", progress)


def categorical_vae_equal_compute(progress: bool = False) -> dict:
    """Notebook 08, exercise 1: REINFORCE with 8 samples for 5 epochs against Gumbel-softmax with 1 for 40 (the same
    number of decoder evaluations); their training histories (the exercise compares held-out -ELBO and compute)."""
    x_train, x_test, _, _ = digits()
    runs = {}
    for estimator, n_samples, epochs in (("reinforce", 8, 5), ("gumbel_softmax", 1, 40)):
        rng = np.random.default_rng(3)
        model = CategoricalVAE(rng, n_latent=20, n_categories=10, n_hidden=256)
        runs[estimator] = train_categorical_vae(model, x_train, rng, estimator=estimator, epochs=epochs, lr=2e-3,
                                                n_samples=n_samples, temperature=(1.0, 0.5), x_test=x_test,
                                                progress=progress)
    return runs


def gan_chain():
    """The data of notebook 08's GAN: ascending runs of 4 tokens over 4 symbols."""
    return ascending_runs(n_tokens=4, length=4, p_up=0.6, p_stay=0.25)


def untrained_generator() -> SequenceGenerator:
    """The generator every GAN recipe starts from (both estimators start from the same weights)."""
    return SequenceGenerator(np.random.default_rng(3), n_tokens=4, length=4, hidden=32, noise_dim=4)


def gan(estimator: str, progress: bool = False) -> dict:
    """Notebook 08, section 5: 2000 alternating steps of the discrete GAN, the generator trained by ``estimator``."""
    rng = np.random.default_rng(3)
    generator = SequenceGenerator(rng, n_tokens=4, length=4, hidden=32, noise_dim=4)
    discriminator = make_discriminator(rng, n_tokens=4, length=4, hidden=64)
    history = train_discrete_gan(generator, discriminator, gan_chain(), rng, estimator=estimator, steps=2000,
                                 batch_size=128, lr=3e-4, lr_discriminator=2e-3, temperature=1.0, eval_every=50,
                                 progress=progress)
    return {"generator": generator, "discriminator": discriminator, "history": history}


def gan_straight_through(progress: bool = False) -> dict:
    """Notebook 08, section 5: the generator trained by straight-through Gumbel-softmax."""
    return gan("straight_through", progress)


def gan_reinforce(progress: bool = False) -> dict:
    """Notebook 08, section 5: the generator trained by REINFORCE."""
    return gan("reinforce", progress)


#: notebook 09's temperature schedules: name in the notebook -> (start, end) of tau
SCHEDULES = {"fixed τ = 1": (1.0, 1.0), "fixed τ = 0.5": (0.5, 0.5), "annealed 1 → 0.5": (1.0, 0.5)}


def annealing(progress: bool = False) -> dict:
    """Notebook 09, section 5: three short Gumbel-softmax runs of the categorical VAE, one per temperature schedule."""
    x_train, x_test, _, _ = digits()
    runs = {}
    for i, schedule in enumerate(SCHEDULES.values()):
        rng = np.random.default_rng(1)  # the same initial weights and batches for all three
        model = CategoricalVAE(rng, n_latent=20, n_categories=10, n_hidden=128)
        runs[f"model_{i}"] = model
        runs[f"history_{i}"] = train_categorical_vae(model, x_train, rng, estimator="gumbel_softmax", epochs=10,
                                                     lr=2e-3, n_samples=4, temperature=schedule, x_test=x_test,
                                                     progress=progress)
    return runs


#: name -> recipe; the shipped file of each is lectures_lib/weights/<name>.npz
RECIPES = {fn.__name__: fn for fn in (vae, vae_ablations, vae_latent8, beta_vaes, categorical_vae_gumbel_softmax,
                                      categorical_vae_reinforce, categorical_vae_equal_compute, gan_straight_through,
                                      gan_reinforce, annealing)}
