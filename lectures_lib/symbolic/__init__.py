"""SymPy derivations the notebooks display and the tests reuse.

Every derivation returns SymPy objects (a :class:`Chain` of displayed lines, or expressions);
``Chain.check()`` verifies each ``=`` and the tests assert the same checks.
"""

from .core import NUMERIC_RTOL, Chain, StepCheck, numerically_zero, residual

__all__ = ["NUMERIC_RTOL", "Chain", "StepCheck", "numerically_zero", "residual"]
