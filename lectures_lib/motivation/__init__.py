"""Why the lecture exists: GAN losses, and a discrete generator that back-propagation cannot train.

Two jobs, two modules: :mod:`.gan_losses` holds the losses of Goodfellow et al. (2014) on discriminator
logits, the optimal discriminator and the Gaussian KL; :mod:`.toy_gan` a toy sequence GAN whose generator
emits one-hot tokens by the Gumbel-max trick.  Notebook 01 imports this package as ``mot`` and calls
``mot.<name>`` for both.

Introduced in notebooks/01_motivation.ipynb (slides "a motivating example: Generative Adversarial
Training" and "consider D_phi(G_theta(z))").
"""

from .gan_losses import (
    GENERATOR_LOSSES,
    discriminator_loss,
    gaussian_kl,
    generator_loss,
    generator_loss_grad,
    log_sigmoid,
    optimal_discriminator,
)
from .toy_gan import (
    ToySequenceGAN,
    all_sequences,
    discriminator_prob,
    draw_gumbel_noise,
    expected_discriminator,
    expected_discriminator_grad,
    make_toy_gan,
    sample_tokens,
    sequence_log_prob,
    step_probabilities,
    with_parameter,
)

__all__ = [
    "GENERATOR_LOSSES", "discriminator_loss", "gaussian_kl", "generator_loss", "generator_loss_grad", "log_sigmoid",
    "optimal_discriminator", "ToySequenceGAN", "all_sequences", "discriminator_prob", "draw_gumbel_noise",
    "expected_discriminator", "expected_discriminator_grad", "make_toy_gan", "sample_tokens", "sequence_log_prob",
    "step_probabilities", "with_parameter",
]
