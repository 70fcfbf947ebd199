"""The lecture map: each slide → the notebook section that teaches it → the library functions.

One source for the table in ``README.md`` and in ``notebooks/00_start_here.ipynb``;
``tests/test_lecture_map.py`` checks that every notebook and section heading exists, that every
function is importable, and that the README shows the current table.
Print the Markdown table with ``python -m lectures_lib.lecture_map``.

Introduced in ``notebooks/00_start_here.ipynb`` (section "The lecture map").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """One row: a slide title, the notebook file, a heading in it, and the library names used."""

    slide: str
    notebook: str
    section: str
    functions: tuple[str, ...] = ()


LECTURE_MAP: tuple[Entry, ...] = (
    Entry("a motivating example: Generative Adversarial Training", "01_motivation.ipynb",
          "1. The GAN algorithm and its losses",
          ("motivation.gan_losses.discriminator_loss", "motivation.gan_losses.generator_loss",
           "symbolic.motivation.optimal_discriminator", "symbolic.motivation.slide_generator_loss_is_kl",
           "demos.motivation.make_gan_losses_demo")),
    Entry("consider D_φ(G_θ(z))", "01_motivation.ipynb", "2. A discrete generator",
          ("motivation.toy_gan.make_toy_gan", "motivation.toy_gan.sample_tokens",
           "motivation.toy_gan.expected_discriminator", "demos.motivation.make_discrete_generator_demo")),
    Entry("consider D_φ(G_θ(z)): can not back-propagate through random nodes", "01_motivation.ipynb",
          "3. Where back-propagation stops", ()),
    Entry("Gumbel-max trick and Softmax (1): pdf and CDF of the Gumbel", "02_gumbel_distribution.ipynb",
          "1. The Gumbel density and CDF",
          ("gumbel_pdf", "gumbel_logpdf", "gumbel_cdf", "symbolic.gumbel.normalisation", "symbolic.gumbel.mean",
           "symbolic.gumbel.variance")),
    Entry("sample a Gumbel: the inverse CDF", "02_gumbel_distribution.ipynb", "2. Inverse CDF",
          ("gumbel_ppf", "symbolic.gumbel.inverse_cdf_steps")),
    Entry("sample a Gumbel: U → G", "02_gumbel_distribution.ipynb", "3. The sampler in code",
          ("sample_gumbel", "gumbel_sf")),
    Entry("(beyond the slides) why \"extreme value\"", "02_gumbel_distribution.ipynb", "4. Why \"extreme value\"",
          ("symbolic.gumbel.max_of_exponentials_limit", "demos.gumbel_distribution.make_extreme_value_demo")),
    Entry("(beyond the slides) location and scale", "02_gumbel_distribution.ipynb", "5. Location and scale",
          ("demos.gumbel_distribution.make_loc_scale_demo",)),
    Entry("Gumbel-max trick and Softmax (1) and (2): the proof", "03_gumbel_max_trick.ipynb", "1. The proof",
          ("softmax", "symbolic.gumbel_max.proof_chains", "symbolic.gumbel_max.substitution_chain")),
    Entry("Gumbel-max trick and Softmax (2): moral of the story; sample a Gumbel: the sampling strategy",
          "03_gumbel_max_trick.ipynb", "2. The sampling strategy in code",
          ("gumbel_max_sample", "one_hot", "demos.gumbel_max.argmax_frequencies")),
    Entry("(check) Monte Carlo against softmax", "03_gumbel_max_trick.ipynb", "3. Monte Carlo",
          ("demos.gumbel_max.fit_summary",)),
    Entry("(beyond the slides) the max is Gumbel(log Σ e^μ)", "03_gumbel_max_trick.ipynb", "4. A bonus", ()),
    Entry("Gumbel-max trick and Softmax (2): interactive", "03_gumbel_max_trick.ipynb", "5. Interactive demo",
          ("demos.gumbel_max.make_logits_demo",)),
    Entry("Score Function Estimator: Monte Carlo estimate of E[f(z)]", "04_score_function.ipynb",
          "1. Monte Carlo estimates", ("symbolic.score_function.monte_carlo_moments",)),
    Entry("Score Function Estimator: ∇_θ p(z|θ) is not a density", "04_score_function.ipynb", "2. Why",
          ("symbolic.score_function.slide_gaussian", "symbolic.score_function.gaussian_pdf")),
    Entry("Score Function Estimator: the REINFORCE trick", "04_score_function.ipynb", "3. The log-derivative trick",
          ("score_function_grad", "symbolic.score_function.log_derivative_chain")),
    Entry("Score Function Estimator: \"suffers from high variance\"", "04_score_function.ipynb", "4. Variance",
          ("symbolic.score_function.estimator_variance", "symbolic.score_function.optimal_baseline",
           "rl.reinforce.leave_one_out_baseline", "demos.score_function.make_score_function_demo")),
    Entry("Score Function Estimator: reinforcement learning", "04_score_function.ipynb", "5. REINFORCE",
          ("rl.mdp.chain_mdp", "rl.reinforce.train_reinforce", "rl.mdp.trajectory_score")),
    Entry("revision on change of variable", "05_reparameterization.ipynb", "1. Change of variables",
          ("symbolic.estimators.affine_chain", "symbolic.estimators.lognormal_chain")),
    Entry("re-parameterization trick; re-parameterization trick (2)", "05_reparameterization.ipynb",
          "2. The Gaussian re-parameterisation", ("reparam_grad", "symbolic.estimators.interchange_chain")),
    Entry("re-parameterization trick: example (1) and (2)", "05_reparameterization.ipynb", "3. The toy problem",
          ("toy_score_function_grads", "toy_reparam_grads", "toy_grad_moments",
           "symbolic.estimators.toy_estimator_moments")),
    Entry("re-parameterization trick: example (2), interactive", "05_reparameterization.ipynb", "4. Interactive demo",
          ("demos.reparameterization.make_gradient_variance_demo",)),
    Entry("another example of re-parameterisation: variational auto-encoder; variational auto-encoder",
          "06_vae.ipynb", "1. Autoencoder vs VAE", ("vae.VAE", "vae.load_digits_split", "gaussian_kl")),
    Entry("real example on variational auto-encoder (the ELBO)", "06_vae.ipynb", "2. The ELBO",
          ("symbolic.vae.elbo_derivation", "kl.linear_gaussian_elbo", "kl.linear_gaussian_log_evidence",
           "demos.vae.make_elbo_gap_demo")),
    Entry("KL between two Gaussian distributions; there is a simpler way to compute KL", "06_vae.ipynb",
          "3. The KL divergence between two Gaussians",
          ("gaussian_kl", "symbolic.vae.univariate_kl_chain", "symbolic.vae.diagonal_kl_chain")),
    Entry("where does neural network come in to play?", "06_vae.ipynb", "4. A real VAE in NumPy",
          ("nn.mlp", "nn.Adam", "vae.train_vae", "vae.neg_elbo", "recipes.vae", "trained.load", "trained.compare",
           "demos.vae.make_latent_traversal_demo")),
    Entry("objective function illustration", "06_vae.ipynb", "5. The objective function illustration",
          ("vae.train_vae", "recipes.vae_ablations", "kl.mutual_information", "knn.knn_accuracy")),
    Entry("apply re-parameterization trick to softmax", "07_gumbel_softmax.ipynb", "1. Softmax with temperature",
          ("gumbel_softmax_sample",)),
    Entry("Back to the Gumbel-max trick (1) and (2)", "07_gumbel_softmax.ipynb", "2. Checking the slides",
          ("concrete_log_prob", "symbolic.concrete.gumbel_noise_density")),
    Entry("Back to the Gumbel-max trick (2): the Concrete density", "07_gumbel_softmax.ipynb",
          "3. The Concrete density", ("concrete_log_prob", "concrete.simplex3_integral")),
    Entry("Back to the Gumbel-max trick (2): the relaxed sample, interactive", "07_gumbel_softmax.ipynb",
          "4. Samples on the simplex", ("demos.gumbel_softmax.make_gumbel_softmax_demo",)),
    Entry("(beyond the slides) the straight-through estimator", "07_gumbel_softmax.ipynb",
          "5. The straight-through estimator", ("straight_through", "concrete.gumbel_softmax_backward")),
    Entry("(beyond the slides) which gradient to use", "07_gumbel_softmax.ipynb", "6. Gradient quality",
          ("score_function_grad", "gumbel_softmax_sample")),
    Entry("apply re-parameterization trick to softmax; Score Function Estimator (for discrete samples)",
          "08_discrete_generators.ipynb", "1. Two ways through a discrete sample",
          ("categorical_vae.categorical_kl_uniform",)),
    Entry("variational auto-encoder, with a categorical latent", "08_discrete_generators.ipynb",
          "2. A categorical VAE", ("categorical_vae.CategoricalVAE", "categorical_vae.draw_noise")),
    Entry("(beyond the slides) Gumbel-softmax vs REINFORCE at equal compute", "08_discrete_generators.ipynb",
          "3. Gumbel-softmax vs REINFORCE",
          ("categorical_vae.train_categorical_vae", "categorical_vae.neg_elbo", "recipes.categorical_vae")),
    Entry("(beyond the slides) reading a discrete code", "08_discrete_generators.ipynb", "4. What the code means",
          ("demos.discrete_generators.make_latent_flip_demo",)),
    Entry("a motivating example: Generative Adversarial Training; consider D_φ(G_θ(z)) — answered",
          "08_discrete_generators.ipynb", "5. The slides' discrete GAN",
          ("discrete_gan.SequenceGenerator", "discrete_gan.train_discrete_gan", "recipes.gan",
           "discrete_gan.total_variation", "demos.discrete_generators.make_gan_training_demo")),
    Entry("(beyond the slides) an exact reference for gradient estimators", "09_beyond_the_slides.ipynb",
          "1. An exact reference", ("exact_toy.exact_toy", "exact_toy.all_states", "exact_toy.bernoulli_score")),
    Entry("(beyond the slides) Score Function Estimator: baselines that keep it unbiased", "09_beyond_the_slides.ipynb",
          "2. Control variates",
          ("control_variates.optimal_constant_baseline", "control_variates.rloo_grad", "control_variates.nvil_grads",
           "symbolic.beyond.constant_baseline_chain", "symbolic.beyond.rloo_weight_identity")),
    Entry("(beyond the slides) REBAR and RELAX", "09_beyond_the_slides.ipynb", "3. REBAR and RELAX",
          ("conditional_noise.conditional_logistic", "conditional_noise.conditional_gumbel",
           "conditional_noise.relax_noise", "rebar.relax_grads", "rebar.fit_control_coefficients",
           "demos.beyond.make_estimator_demo")),
    Entry("(beyond the slides) Gumbel-top-k: sampling without replacement", "09_beyond_the_slides.ipynb",
          "4. Gumbel-top-k", ("gumbel_topk.gumbel_top_k", "gumbel_topk.plackett_luce_log_prob",
                               "gumbel_topk.unordered_set_estimate")),
    Entry("(beyond the slides) temperatures, annealing, KL terms, densities above 1, straight-through",
          "09_beyond_the_slides.ipynb", "5. Practice",
          ("categorical_vae.train_categorical_vae", "recipes.annealing", "concrete_log_prob", "straight_through")),
)


def markdown_table(entries: tuple[Entry, ...] = LECTURE_MAP) -> str:
    """The lecture map as a Markdown table (links relative to the repository root)."""
    rows = ["| Slide | Notebook → section | Library |", "|---|---|---|"]
    for e in entries:
        slide = e.slide.replace("|", "\\|")  # a bare | would split the table cell (p(z|θ))
        funcs = ", ".join(f"`{f}`" for f in e.functions) or "—"
        rows.append(f"| {slide} | [{e.notebook}](notebooks/{e.notebook}) → {e.section} | {funcs} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())


def errata_page() -> Path:
    """The errata page, ``ERRATA.md``: at the top of the repository, or the copy inside the package.

    The browser version of the lecture (``make lite``) has no repository around the package, so its
    build puts a copy of the page into ``lectures_lib`` itself.

    Introduced in ``notebooks/00_start_here.ipynb`` (section "Slide errata").

    Examples
    --------
    >>> errata_page().name
    'ERRATA.md'
    """
    here = Path(__file__).resolve().parent
    for path in (here.parent / "ERRATA.md", here / "ERRATA.md"):
        if path.is_file():
            return path
    raise FileNotFoundError(f"ERRATA.md is neither at {here.parent} nor in {here}")
