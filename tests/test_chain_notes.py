"""The notes under the lines of displayed derivation chains are read as typeset text.

A note is set in ``\\text{}`` except its ``$...$`` parts (``symbolic.core.text_latex``), so a formula written
as plain text shows its raw ``_`` and ``^`` (``x_j``, ``e^(-t)``) or reads as code (``log(pdata / pg)``).
Found by the walkthrough's sweep (docs/walkthrough/README.md): every formula in a note is maths.
"""

import re

import pytest

from lectures_lib.symbolic import concrete, gumbel, motivation, score_function, vae

_PLAIN_FORMULA = re.compile(r"[_^]|\b(?:log|exp|grad|KL)\s*\(|\bp(?:data|g)\b|\bgrad\b")


def _chains():
    z, mu = score_function.z, score_function.mu
    return {
        "logistic_difference": concrete.logistic_difference()[2],
        "binary_concrete_density": concrete.binary_concrete_density()[0],
        "concrete_density_tau_one": concrete.concrete_density_tau_one(3)[0],
        "gumbel.mean": gumbel.mean(),
        "gumbel.variance": gumbel.variance(),
        "max_of_exponentials_limit": gumbel.max_of_exponentials_limit(),
        "objective_derivative": motivation.objective_derivative(),
        "logit_of_optimal_discriminator": motivation.logit_of_optimal_discriminator(),
        "slide_generator_loss_is_kl": motivation.slide_generator_loss_is_kl(),
        "gradient_chain": score_function.gradient_chain(z**2, mu),
        "trajectory_score_chain": score_function.trajectory_score_chain(2),
        "univariate_kl_chain": vae.univariate_kl_chain(),
        "diagonal_kl_chain": vae.diagonal_kl_chain(2),
    }


CHAINS = _chains()


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_formulas_in_step_notes_are_maths(name):
    for note in CHAINS[name].notes:
        assert note.count("$") % 2 == 0, f"{name}: unbalanced $ in {note!r}"
        plain = "".join(note.split("$")[::2])  # the parts set as text
        assert not _PLAIN_FORMULA.search(plain), f"{name}: a formula written as text in the note {note!r}"
