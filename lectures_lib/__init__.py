"""Helper library for the lecture "Re-parameterization and Gumbel-max Trick".

The notebooks in ``notebooks/`` import the few names below; each function's docstring says
which notebook introduces it.
"""

from .concrete import concrete_log_prob, gumbel_softmax_sample, straight_through
from .estimators import (
    reparam_grad,
    score_function_grad,
    toy_grad_moments,
    toy_reparam_grads,
    toy_score_function_grads,
)
from .gumbel import (
    gumbel_cdf,
    gumbel_logpdf,
    gumbel_max_sample,
    gumbel_pdf,
    gumbel_ppf,
    gumbel_sf,
    one_hot,
    sample_gumbel,
    softmax,
)
from .kl import gaussian_kl

__version__ = "0.1.0"

__all__ = [
    "concrete_log_prob",
    "gaussian_kl",
    "gumbel_softmax_sample",
    "straight_through",
    "gumbel_cdf",
    "gumbel_logpdf",
    "gumbel_max_sample",
    "gumbel_pdf",
    "gumbel_ppf",
    "gumbel_sf",
    "one_hot",
    "reparam_grad",
    "sample_gumbel",
    "score_function_grad",
    "softmax",
    "toy_grad_moments",
    "toy_reparam_grads",
    "toy_score_function_grads",
]
