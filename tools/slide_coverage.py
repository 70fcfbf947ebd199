"""Every line of the slides, in slide order, with its verdict: the data behind COVERAGE.md.

Run ``python tools/slide_coverage.py`` to write COVERAGE.md, ``--check`` to fail if it is stale.
tests/test_coverage.py keeps the file current, checks that every named test function and erratum
exists, and (from the copy of the slides' text in ``tests/data/slides/``, kept equal to ``../shared/seed/``) that every non-empty line
of every slide appears here exactly once, in order.

Each slide is ``(title, items)``; an item is ``(key, verdicts)``: ``key`` is a piece of the slide
line, unique in the slides (what COVERAGE.md shows), and each verdict is one of
``V(test, ...)`` verified by these tests, ``E(id, ...)`` an erratum of ERRATA.md (proved by the
test named there), or ``N(why)`` not checkable, with the reason.
"""

# ruff: noqa: E501 (the data below names long test functions, one per line where possible)
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "COVERAGE.md"


def V(*tests):
    """Verified by these tests (``file_stem::function``, file under tests/)."""
    return ("verified", tuple(f"tests/test_{t.split('::')[0]}.py::{t.split('::')[1]}" for t in tests))


def E(*ids):
    return ("erratum", ids)


def N(why):
    return ("not checkable", (why,))


TEXT = N("no formula or claim (title, label or transition)")
HEADING = N("heading inside the slide")
INFORMAL = "an informal, qualitative statement with no precise mathematical content"

SLIDES = [
    ("Re-parameterization and Gumbel-max Trick", [
        ("A/Prof Richard Yi Da Xu", TEXT), ("University of Technology Sydney", TEXT), ("July 6, 2018", TEXT),
    ]),
    ("a motivating example: Generative Adversarial Training", [
        ("#### Generative Adversarial Training", HEADING),
        ("GAN with both $G_{\\theta}$ and $D_{\\phi}$", HEADING),
        ("data:  $x_1, \\ldots, x_n \\sim p(x)$", E("E01.3")),
        ("\\frac{1}{m} \\sum_{x} \\log D_{\\phi}(x) - \\frac{1}{n}", E("E01.1", "E01.2", "E01.3")),
        ("update **generator** parameter", TEXT),
        ("\\frac{1}{n} \\sum_{z} \\log \\frac{D_{\\phi}(G_{\\theta}(z))}{1 - D_{\\phi}(G_{\\theta}(z))}",
         V("symbolic_motivation::test_every_displayed_step_holds",
           "motivation::test_slide_generator_loss_at_optimum_is_kl_by_monte_carlo",
           "symbolic_motivation::test_generator_loss_gradients")),
        ("#### end while", HEADING),
    ]),
    ("consider $D_{\\phi}(G_{\\theta}(z))$", [
        ("generates contiguous samples", E("E01.4")),
        ("generates discrete samples: in the case of LSTM", TEXT),
        ("K_t & \\sim \\mathsf{softmax}",
         V("motivation::test_sample_tokens_is_gumbel_max_on_the_rnn_logits",
           "motivation::test_step_probabilities_are_the_softmax_of_the_logits")),
        ("**can not** take derivative", V("symbolic_motivation::test_two_token_example",
                                          "motivation::test_sampled_output_is_piecewise_constant_in_theta"),
         E("E01.5")),
        ("back-propagate gradients through **random nodes**",
         V("motivation::test_sampled_output_is_piecewise_constant_in_theta",
           "errata_motivation::test_continuous_generator_is_differentiable")),
        ("so the solution is use re-parameterization", E("E01.6")),
    ]),
    ("Gumbel-max trick and Softmax (1)", [
        ("pdf of Gumbel with unit scale", TEXT), ("gumbel", TEXT),
        ("$$(Z = z; \\mu) = \\exp", V("symbolic_gumbel::test_slide_pdf_and_cdf_are_the_unit_scale_case_and_consistent",
                                      "symbolic_gumbel::test_results_match_scipy_gumbel_r")),
        ("CDF of Gumbel:", TEXT), ("Gumbel", TEXT),
        ("$$(Z \\le z; \\mu) = \\exp", V("symbolic_gumbel::test_slide_pdf_and_cdf_are_the_unit_scale_case_and_consistent",
                                         "symbolic_gumbel::test_results_match_scipy_gumbel_r")),
        ("probability of all other  $Z_{i\\neq k}$  are less than",
         V("symbolic_gumbel_max::test_every_step_holds_symbolically"), E("E03.1")),
        ("p\\left(\\max\\{Z_{i\\neq k}\\} = \\mathbf{z}_{k}\\right)", E("E03.1")),
        ("obviously,  $Z_k \\sim", V("symbolic_gumbel_max::test_every_step_holds_symbolically")),
        ("\\Pr(k \\text{ is largest } | \\; \\{\\mu_i\\})",
         V("symbolic_gumbel_max::test_every_step_holds_symbolically",
           "symbolic_gumbel_max::test_first_line_integrates_numerically_to_softmax",
           "symbolic_gumbel_max::test_general_K_specialises_to_the_written_out_case"), E("E03.2")),
    ]),
    ("Gumbel-max trick and Softmax (2)", [
        ("keep on going:", TEXT),
        ("\\Pr(k \\text{ is largest } | \\ \\{\\mu_i\\})",
         V("symbolic_gumbel_max::test_the_result_is_softmax_for_each_category",
           "symbolic_gumbel_max::test_substitution_is_made_by_sympy_and_gives_one_over_C"), E("E03.3")),
        ("in classification", N("a modelling choice (what the logits are), not a mathematical claim")),
        ("for word vectors", N("a modelling choice (what the logits are), not a mathematical claim")),
        ("moral of the story is", TEXT),
        ("\\underbrace{G_i \\sim \\operatorname{gumbel}(z \\colon \\mu_i)",
         V("gumbel::test_gumbel_max_frequencies_match_softmax",
           "errata_gumbel_max::test_E03_4_one_shared_gumbel_always_returns_argmax_mu"), E("E03.4")),
    ]),
    ("sample a Gumbel", [
        ("so we know that:", TEXT),
        ("& \\Longrightarrow k = \\underset{i \\in \\{1, \\dots, L\\}}",
         V("gumbel::test_gumbel_max_frequencies_match_softmax"), E("E03.4")),
        ("how are we going to sample Gumbel distribution?", TEXT), ("CDF of a Gumbel:", TEXT),
        ("$$u = \\exp^{-\\exp(x-\\mu)/\\beta}$$", E("E02.1", "E02.2")),
        ("\\Rightarrow \\log(u) = -\\exp^{-(x-\\mu)/\\beta}",
         V("symbolic_gumbel::test_inverse_cdf_steps_hold_and_invert",
           "errata_gumbel::test_e02_1_slide_first_line_is_not_a_cdf")),
        ("\\Rightarrow \\log(-\\log(u)) = -(x-\\mu)/\\beta",
         V("symbolic_gumbel::test_inverse_cdf_steps_hold_and_invert",
           "errata_gumbel::test_e02_1_slide_first_line_is_not_a_cdf")),
        ("\\Rightarrow -\\beta \\log(-\\log(u)) = x - \\mu",
         V("symbolic_gumbel::test_inverse_cdf_steps_hold_and_invert",
           "errata_gumbel::test_e02_1_slide_first_line_is_not_a_cdf")),
        ("\\Rightarrow x = \\text{CDF}^{-1}(u) \\equiv \\mu - \\beta \\log(-\\log(u))",
         V("symbolic_gumbel::test_inverse_cdf_steps_hold_and_invert", "gumbel::test_ppf_inverts_cdf_and_matches_scipy")),
        ("for standard Gumbel, i.e.,", TEXT),
        ("$$x = CDF^{-1}(u) \\equiv -\\log(-\\log(u))$$",
         V("gumbel::test_ppf_inverts_cdf_and_matches_scipy", "gumbel::test_samples_pass_ks_against_scipy")),
        ("therefore, sampling strategy:", TEXT),
        ("& \\mathcal{U} \\sim \\, \\mathcal{U}(0,1)",
         V("gumbel::test_gumbel_max_is_argmax_of_logits_plus_gumbel_noise_from_the_same_uniforms"),
         E("E03.4", "E03.5")),
        ("let's hold that thought for now", TEXT),
    ]),
    ("Score Function Estimator", [
        ("we love have integral of the form:", TEXT),
        ("$$\\int_{z} f(z)p(z)dz \\equiv", N("the definition of the expectation")),
        ("as we can approximate the expectation with:", TEXT),
        ("$$\\sum_{i=1}^{N} f(z^{(i)})", E("E04.1")),
        ("we do **not** love  $\\int_{Y}", E("E04.2")),
        ("is **not** a probability", V("errata_score_function::test_slide_gaussian_is_not_normalised"), E("E04.5")),
        ("\\frac{\\partial}{\\partial \\mu} \\left( \\frac{\\exp^{-(z-\\mu)^2/\\sigma^2}}", E("E04.3")),
    ]),
    ("Score Function Estimator", [
        ("however, in machine learning, we have to deal with:", TEXT),
        ("$$\\nabla_{\\theta} \\left[ \\int_{z} f(z) p(z|\\theta) dz \\right] = ",
         V("symbolic_score_function::test_gradient_chain_for_z_squared",
           "symbolic_score_function::test_gradient_chain_for_z_cubed")),
        ("e.g., in Reinforcement Learning: let", N("the definition of a trajectory")),
        ("p_{\\theta}(\\Pi) &\\equiv", V("rl::test_trajectory_probabilities_sum_to_one",
                                         "symbolic_score_function::test_trajectory_score_chain"), E("E04.4")),
        ("we use REINFORCE trick, with the follow property:", TEXT),
        ("$$p(z|\\theta)f(z)\\nabla_{\\theta}[\\log p(z|\\theta)] =",
         V("symbolic_score_function::test_log_derivative_chain_holds_and_a_wrong_step_fails")),
        ("looking at the original integral:", TEXT),
        ("\\int_{z} f(z) \\nabla_{\\theta} \\left[ \\rho(z|\\theta) \\right]",
         V("symbolic_score_function::test_gradient_chain_for_z_squared", "rl::test_reinforce_is_unbiased")),
        ("suffers from high variance and is slow to converge",
         V("symbolic_score_function::test_estimator_variance_closed_form",
           "symbolic_estimators::test_toy_objective_and_moments", "rl::test_baseline_reduces_gradient_variance",
           "rebar::test_variance_ordering_exactly_with_coefficients_fitted_on_other_draws"), E("E04.6")),
    ]),
    ("re-parameterization trick", [
        ("we let z = g(x):", TEXT),
        ("[g(\\mathbf{x})] &= \\mathbb{E}_{z \\sim p(z)}[\\mathbf{z}]",
         V("symbolic_estimators::test_every_step_holds_symbolically",
           "errata_reparameterization::test_e05_8_pathwise_gradient_needs_only_p_x_and_g_not_q")),
        ("only need to know deterministic function",
         V("errata_reparameterization::test_e05_8_pathwise_gradient_needs_only_p_x_and_g_not_q")),
        ("does not need to explicitly know distribution of z",
         V("errata_reparameterization::test_e05_8_pathwise_gradient_needs_only_p_x_and_g_not_q")),
        ("e.g., Gaussian variable:", V("errata_reparameterization::test_e05_2_gaussian_reparameterisation_uses_sigma")),
        ("$$z = \\underbrace{\\mu(\\theta) + x\\sigma^2(\\theta)}_{g(x,\\theta)}$$", E("E05.2")),
        ("can be re-parameterised into  $x \\sim", V("symbolic_estimators::test_reparam_moments")),
    ]),
    ("revision on change of variable", [
        ("$$F_Y(y) = \\Pr(T(X) \\le y)", V("symbolic_estimators::test_pushforward_direction_and_lognormal_against_scipy"),
         E("E05.1")),
        ("$$f_Y(y) = \\frac{dF_Y(y)}{dy}", V("symbolic_estimators::test_every_step_holds_symbolically"), E("E05.1")),
        ("without change of limits", TEXT),
        ("$$f_Y(y)|dy| = f_X(x)|dx|$$", V("symbolic_estimators::test_substitution_with_and_without_change_of_limits")),
        ("with change of limits", TEXT),
        ("$$f_Y(y)dy = f_X(x)dx$$", V("symbolic_estimators::test_substitution_with_and_without_change_of_limits")),
    ]),
    ("re-parameterization trick (2)", [
        ("**main motivation** p(x) is **not** parameterized", N("the assumption of the derivation below")),
        ("\\approx \\frac{1}{N} \\sum_{i=1}^{N} \\frac{\\partial}{\\partial \\theta}",
         V("symbolic_estimators::test_every_step_holds_symbolically",
           "estimators::test_toy_estimators_match_exact_moments")),
        ("imagine: p(x) is also paramterized by", TEXT),
        ("$$\\mathbb{E}_{x \\sim p(x|\\theta)}[f(g(x,\\theta))] = \\int_{x}", N("the definition of the expectation")),
        ("$$\\implies \\frac{\\partial}{\\partial \\theta} \\mathbb{E}_{x \\sim p(x|\\theta)}",
         N("the previous line differentiated on both sides; nothing to check")),
        ("$$= \\int_{x} \\nabla_{\\theta} \\left[ f(g(x,\\theta))p(x|\\theta) \\right] dx$$",
         V("symbolic_score_function::test_gradient_chain_for_z_squared")),
    ]),
    ("re-parameterization trick: example (1)", [
        ("let  $\\mu(\\theta) = a\\theta + b$", N("the toy problem's definitions")),
        ("\\theta^* = \\operatorname*{arg\\,max}_{\\theta}", E("E05.3")),
        ("in words, it says: find mean of Gaussian", V("symbolic_estimators::test_toy_objective_and_moments")),
        ("which implies  $\\theta = -\\frac{b}{a}$", V("errata_reparameterization::test_e05_3_toy_problem_is_an_arg_min")),
        ("to solve it by gradient decend", V("errata_reparameterization::test_e05_4_score_chain_rule_has_da_factor",
                                            "symbolic_vae::test_log_normal_against_scipy")),
        ("\\equiv \\nabla_{\\mu} \\mathcal{L}_{\\mu}(\\mathbf{z})", E("E05.4")),
        ("$$= (\\mathbf{z} - \\mu(\\theta)) \\times \\mathbf{a}",
         V("errata_reparameterization::test_e05_4_score_chain_rule_has_da_factor",
           "symbolic_estimators::test_every_step_holds_symbolically")),
        ("to substitute it into derivative:", TEXT),
        ("\\mathbb{E}_{z \\sim \\mathcal{N}(z; a\\theta + b\\theta, 1)}",
         V("symbolic_estimators::test_every_step_holds_symbolically",
           "errata_reparameterization::test_e05_6_score_integrand_uses_z_not_x"), E("E05.5", "E05.6")),
    ]),
    ("re-parameterization trick: example (2)", [
        ("can be **re-parameterised** into:", V("errata_reparameterization::test_e05_2_gaussian_reparameterisation_uses_sigma")),
        ("if we need to compute:  $f(z) = z^2$", N("the toy problem's definitions")),
        ("$$x \\sim \\mathcal{N}(0, 1)$$", N("the noise's law (a definition)")),
        ("$z \\equiv g(x, \\theta) = \\mu(\\theta) + x\\sigma^{2}(\\theta)$", E("E05.7")),
        ("the re-parameterised version is:", TEXT),
        ("\\triangledown_{\\theta} \\mathbb{E}_{x \\sim p(x)} [f(g(x, \\theta))] &\\equiv",
         V("symbolic_estimators::test_every_step_holds_symbolically",
           "estimators::test_toy_estimators_match_exact_moments")),
        ("both of them must achieve the same result!", V("symbolic_estimators::test_toy_objective_and_moments")),
        ("knowing p(X) and  $q(x, \\theta)$  is sufficient", E("E05.8")),
    ]),
    ("another example of re-parameterisation: variational auto-encoder", [
        ("encoder  $x \\rightarrow z$", N("the architecture, described")),
        ("**decoder**  $z \\to x'$", N("the architecture, described")),
        ("autoencoders generate things", N(INFORMAL)),
        ("would be better, if we could feed z to decoder", N(INFORMAL)),
        ("then, we can create new, reasonable images", N(INFORMAL)),
        ("an idea: when feed database of images", N(INFORMAL + "; notebook 06 decodes samples of N(0, I)")),
    ]),
    ("variational auto-encoder", [
        ("loss at a particular data point", TEXT),
        ("$$l_i(\\theta,\\phi) = \\underbrace{-\\mathbb{E}_{z \\sim Q_{\\theta}(z|x_i)}",
         V("vae::test_terms_match_scipy_binomial_and_gaussian_kl")),
        ("we want  $\\mathbb{E}_{z \\sim Q_{\\rho}(z|x_i)}", N(INFORMAL + " (Q_rho is the slide's Q_theta)")),
        ("\\uparrow \\Longrightarrow P_{\\phi}(x_i|z) \\uparrow", N(INFORMAL)),
        ("therefore, the optimal solution may be", N(INFORMAL)),
        ("are delta functions lies on a monotonic curve", N(INFORMAL)),
        ("ensure  $Q_{\\theta}(z|x_i)$  doesn't behalf the above", E("E06.8")),
        ("is just supervised learning", N(INFORMAL)),
    ]),
    ("objective function illustration", [
        ("loss at loss function again:", TEXT),
        ("$$\\textit{l}_{\\textit{i}}(\\theta, \\phi)", V("vae::test_terms_match_scipy_binomial_and_gaussian_kl")),
        ("without reconstruction loss, same numbers", N(INFORMAL + "; notebook 06's ablation shows it on digits")),
        ("without regularizer, same digits will stick together", N(INFORMAL + "; notebook 06's ablation shows it")),
    ]),
    ("real example on variational auto-encoder", [
        ("a bit of mathematics:", TEXT),
        ("\\mathsf{KL}\\big(Q(z|X)||P(z|X)\\big) &= \\mathbb{E}_{Z \\sim Q(z|X)} \\left[",
         V("symbolic_vae::test_every_line_of_the_elbo_derivation_holds",
           "symbolic_vae::test_the_elbo_check_catches_a_flipped_sign"), E("E06.1")),
        ("it shows that:", TEXT),
        ("\\implies \\mathsf{minimize} \\ \\ \\mathsf{KL}", E("E06.2")),
    ]),
    ("KL between two Gaussian distributions", [
        ("compute  $KL(\\mathcal{N}(\\mu_1, \\Sigma_1)", N("the statement of the task")),
        ("\\mathsf{KL} &= \\int_x \\left[ \\frac{1}{2} \\log",
         V("symbolic_vae::test_every_line_of_the_multivariate_kl_slide_holds",
           "symbolic_vae::test_multivariate_formula_matches_numpy_for_a_full_covariance"), E("E06.3")),
        ("substitute  $\\mu_2 = 1$  for each dimension", E("E06.4")),
        ("\\mathsf{KL}[N(\\mu(X), \\Sigma(X)) \\parallel N(0, 1)]",
         V("symbolic_vae::test_diagonal_chain_holds", "kl::test_matches_the_sympy_closed_form"), E("E06.5", "E06.7")),
    ]),
    ("there is a simpler way to compute KL", [
        ("encoder net Q(Z|x) takes input X", V("errata_vae::test_e06_5_sigma_in_the_sums_means_diagonal_entries")),
    ]),
    ("where does neural network come in to play?", [
        ("to do Bayesian properly, we need:", TEXT),
        ("\\text{Encoder network } \\mathcal{N}(0,I)", E("E06.6")),
        ("this is certainly not Gaussian!", N("true for a neural-network decoder, false in general: the linear-Gaussian "
                                            "model of notebook 06 has a Gaussian posterior")),
        ("we can choose any distribution", V("kl::test_matches_the_sympy_closed_form")),
        ("how do we obtain the parameter value", TEXT),
        ("of course a linear, or a kernel won't do its trick", E("E06.9")),
    ]),
    ("apply re-parameterization trick to softmax", [
        ("when we have the following", TEXT),
        ("[f(\\mathbf{v}(K))] = \\sum_{k=1}^L", V("symbolic_concrete::test_expected_value_gradient",
                                                 "categorical_vae::test_kl_to_uniform_is_exact_and_bounded")),
        ("can we find their corresponding:", TEXT),
        ("$$k = g(\\mathcal{G}, \\theta)$$",
         V("gumbel::test_gumbel_max_is_argmax_of_logits_plus_gumbel_noise_from_the_same_uniforms")),
        ("$\\mathcal{G} \\sim p(\\mathcal{G})$", N("the noise's law (a definition); see E07.1 for which law")),
    ]),
    ("Back to the Gumbel-max trick (1)", [
        ("Gumbel-max trick also means:", TEXT),
        ("U &\\sim \\underbrace{\\mathcal{U}(0,1)}_{p(\\mathcal{G})}",
         V("errata_concrete::test_e07_1_noise_distribution_is_gumbel_not_uniform"), E("E07.1", "E03.4")),
        ("this is a form of re-paramterization", V("gumbel::test_gumbel_max_frequencies_match_softmax")),
        ("the only remaining problem", V("symbolic_motivation::test_two_token_example")),
        ("one can relax the softmax distribution", TEXT),
    ]),
    ("Back to the Gumbel-max trick (2)", [
        ("softmax map", TEXT),
        ("$$f_{\\tau}(\\mathbf{x})_{k} =", V("symbolic_concrete::test_softmax_map_and_relaxed_sample_formula"),
         E("E07.2")),
        ("the new density:", TEXT),
        ("$$p_{\\mu,\\tau}(x) = (n-1)!", V("symbolic_concrete::test_slide_product_form_equals_maddison",
                                           "concrete::test_log_prob_integrates_to_one_k3"), E("E07.3")),
        ("check to see when  $\\tau = 1$", TEXT),
        ("$$\\implies p_{\\alpha,1}(x) = (n-1)!", E("E07.4")),
        ("then we can apply the same softmax map", TEXT),
        ("$$(X_k^{\\tau})_k = f_{\\tau}(\\mu + G)_k", V("concrete::test_matches_formula_with_the_same_noise"),
         E("E07.5")),
    ]),
]


def items():
    """``(slide number, title, key, verdicts)`` for every item, in slide order."""
    for number, (title, entries) in enumerate(SLIDES, start=1):
        for key, *verdicts in entries:
            yield number, title, key, verdicts


def _cell(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def render() -> str:
    counts = {"verified": 0, "erratum": 0, "not checkable": 0}
    for *_, verdicts in items():
        for kind, _ in verdicts:
            counts[kind] += 1
    out = [
        "# Slide coverage",
        "",
        "Every line of the slides (*Re-parameterization and Gumbel-max Trick*, R. Y. D. Xu, 2018), slide by slide,",
        "with its verdict: **verified** by the named tests, an **erratum** of [ERRATA.md](ERRATA.md) (proved by the",
        "test named there), or **not checkable**, with the reason.  A line can carry several verdicts (a derivation",
        "whose steps hold except one).  The middle column quotes a piece of the slide line.",
        "",
        "Generated by `python tools/slide_coverage.py` from the data in that file; `tests/test_coverage.py`",
        "fails if this page is stale, if a named test or erratum does not exist, or if a slide line is missing.",
        "",
        f"Totals: {counts['verified']} verified, {counts['erratum']} erratum verdicts, "
        f"{counts['not checkable']} not checkable (titles, transitions, definitions and informal statements).",
        "",
        "Notebook 09 (`notebooks/09_beyond_the_slides.ipynb`) goes past the last slide: control variates, REBAR and",
        "RELAX, Gumbel-top-k.  It has no slide lines of its own; its claims are checked exactly (enumeration of the discrete",
        "outcomes, Gauss-Legendre quadrature over the noise: `tests/exact_reference.py`) by `tests/test_exact_toy.py`,",
        "`tests/test_control_variates.py`, `tests/test_rebar.py`, `tests/test_gumbel_topk.py`, `tests/test_concrete.py`,",
        "`tests/test_symbolic_beyond.py` and `tests/test_beyond_demos.py`.",
    ]
    for number, (title, entries) in enumerate(SLIDES, start=1):
        out += ["", f"## {number}. {title}", "", "| # | slide | verdict |", "|---|-------|---------|"]
        for i, (key, *verdicts) in enumerate(entries, start=1):
            parts = []
            for kind, what in verdicts:
                if kind == "verified":
                    parts.append("verified: " + ", ".join(f"`{t}`" for t in what))
                elif kind == "erratum":
                    parts.append("erratum " + ", ".join(what))
                else:
                    parts.append(f"not checkable: {what[0]}")
            out.append(f"| {number}.{i} | {_cell(key)} | {'; '.join(parts)} |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write COVERAGE.md (or check that it is current).")
    parser.add_argument("--check", action="store_true", help="exit 1 if COVERAGE.md differs from the data")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print("COVERAGE.md is stale: run `python tools/slide_coverage.py`", file=sys.stderr)
            return 1
        print("COVERAGE.md is current")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
