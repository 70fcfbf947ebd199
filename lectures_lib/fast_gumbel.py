"""The fast kernels behind ``gumbel_max_sample`` and ``gumbel_softmax_sample``: the same laws as the slides'
formulas, with fewer float64 logarithms.

Introduced in notebooks/03_gumbel_max_trick.ipynb and notebooks/07_gumbel_softmax.ipynb, which write the samplers
as the slides do, ``G = -log(-log U)``.  Why a second form: NumPy evaluates float64 ``log`` and ``exp`` one number at
a time on CPUs without AVX-512 (about 4 ns each, against 2 ns to draw a uniform), while float32 ``exp`` and plain
arithmetic are vectorised on every CPU with AVX2.  Written as on the slides, a sample costs two float64 logarithms
per category, more than three times the uniforms themselves.  ``tests/test_fast_gumbel.py`` proves that the forms
below give the same index (Gumbel-max, draw for draw) or the same law (Gumbel-softmax, chi-square and
Kolmogorov-Smirnov tests); ``bench/samplers.py`` times them, with the CPU's SIMD level.

**Gumbel-max, as a race.**  With ``E_i = -log U_i`` (an Exp(1) variable) and ``m = max_i l_i``,
``l_i + G_i = l_i - log E_i``, and ``-log`` is decreasing, so

    argmax_i (l_i + G_i) = argmin_i  s_i,    s_i = E_i exp(m - l_i)

(the first of K exponential clocks with rates ``exp(l_i - m)`` to ring).  ``1 - U <= -log U <= (1 - U) / U``
brackets each ``s_i`` without a logarithm, with ``exp(m - l_i)`` in float32 (vectorised, once per logit).  In each
draw the category ``j`` with the smallest lower bound has ``s_j <= (1 - U_j) / U_j exp(m - l_j)``; when every other
category's lower bound is above that, ``j`` wins, and no logarithm is taken.  Otherwise (about one draw in a hundred
for 512 categories) the exact float64 ``s_i`` decide among the categories that could still win.  The bounds are
widened by ``SLACK``, far more than every float32 rounding on the way, so the index is the one ``argmin_i s_i``
gives for the same uniforms.

**Gumbel-softmax, from exponential draws.**  ``-log U`` *is* an Exp(1) variable, and NumPy draws those directly
(``standard_exponential``, a ziggurat: no logarithm), so ``G = -log E`` costs one float64 logarithm instead of two.
The last ``exp``, of ``(l + G - max) / tau <= 0``, is evaluated in float32 (vectorised), which costs every
coordinate a relative error of at most ``EXP32_RTOL (1 + |log(y_k / y_max)|)``: below 1e-6 for every coordinate
larger than 1e-6 of the row's largest.  A coordinate that float32 would round towards 0 (``y_k < 1.2e-38 y_max``)
is computed in float64 instead, so no coordinate underflows that float64 keeps.
"""

from __future__ import annotations

import math

import numpy as np

#: widening of the race screen's bounds: float32 rounds m - l to 6e-8 relative (so exp(m - l) to 88.7 x 6e-8 =
#: 5.3e-6), its exp is within 4 ulp (4.8e-7), the products add 6e-8 each; 2^-12 = 2.4e-4 leaves a factor 40
SLACK = np.float32(1 + 2.0**-12)
#: the screen pays from this many categories on (below it, the float64 race of every category is cheaper)
SCREEN_MIN_K = 24
#: relative error of a float32 exp: numpy's is within 4 ulp (4.8e-7, "max ULP error" of its SIMD loops is 2.52 for
#: AVX2 and AVX-512), and rounding its argument x to float32 adds |x| 6e-8 (tests/test_fast_gumbel.py checks both)
EXP32_RTOL = 5e-7
_FLT_MIN = np.float32(np.finfo(np.float32).tiny)


def race_scores(logits, top, u) -> np.ndarray:
    """Exact float64 race times ``s = -log(U) exp(m - l)``: the smallest wins; ``+inf`` if ``U = 0`` or ``l = -inf``."""
    with np.errstate(divide="ignore", over="ignore"):  # log(0) = -inf and exp(+inf) = inf: never drawn
        return -np.log(u) * np.exp(top - logits)


def race_rates(logits, top, work: dict) -> np.ndarray:
    """``exp(m - l)`` in float32, (r, K): the inverse rates of the race, shared by every draw of these rows.

    ``+inf`` where ``m - l > 88.7`` (or ``l = -inf``): such a category cannot win (its time is at least
    ``2^-53 e^88.7``, the winner's at most ``-log U`` of the maximum's uniform, below 37).
    """
    x = _buffer(work, "inv_rate", logits.shape, np.float32)
    with np.errstate(over="ignore"):
        np.subtract(top, logits, out=x, casting="same_kind")  # m - l >= 0
        np.exp(x, out=x)  # >= 1
    return x


def race_argmin(logits, top, inv_rate, u, out, work: dict) -> None:
    """``out[d, r] = argmin_i s_i`` for uniforms ``u`` (d, r, K), logits (r, K) with row maxima ``top`` (r, 1) and
    ``inv_rate = race_rates(logits, top, work)``.

    ``u`` is left unchanged.  Ties go to the smallest index, as with ``np.argmin`` of the exact float64 scores.
    """
    d, r, K = u.shape
    if K < SCREEN_MIN_K:
        out[...] = race_scores(logits, top, u).argmin(axis=-1)
        return
    lo = _buffer(work, "lo", u.shape, np.float32)
    np.subtract(1.0, u, out=lo, casting="same_kind")  # 1 - U <= -log U, exact in float64, then rounded
    np.multiply(lo, inv_rate, out=lo)  # lo_i <= s_i (up to roundings, which SLACK covers)
    j = lo.argmin(axis=-1)  # (d, r): the favourite of each draw
    out[...] = j
    flat_j = j.reshape(-1) + np.arange(0, d * r * K, K)
    lo_flat, lo_j = lo.reshape(-1), lo.reshape(-1)[flat_j]
    with np.errstate(divide="ignore", over="ignore"):  # U_j = 0 (or tiny): no bound from j (inf), all stay candidates
        best = (lo_j / u.reshape(-1)[flat_j] * SLACK).astype(np.float32)  # s_j <= (1 - U_j) / U_j exp(m - l_j)
    lo_flat[flat_j] = np.inf
    runner_up = lo.min(axis=-1).reshape(-1)  # the smallest lower bound of the others
    close = np.flatnonzero(runner_up <= best)  # another category may arrive first: race them exactly
    if close.size:
        lo_flat[flat_j[close]] = lo_j[close]
        rows = close % r
        s = race_scores(logits[rows], top[rows], u.reshape(-1, K)[close])  # (n, K)
        s[lo.reshape(-1, K)[close] > best[close, None]] = np.inf  # these cannot win
        out[np.divmod(close, r)] = s.argmin(axis=-1)  # out may be a strided view: index it by (draw, row)


def perturb_exponential(logits, e) -> np.ndarray:
    """In place: Exp(1) draws ``e`` (d, r, K) become ``z = l + G``, ``G = -log E``; returns the row maxima (d, r, 1).

    ``E`` has the law of ``-log U``, so ``G`` is Gumbel(0, 1) as on the slides, for one logarithm instead of two.
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # E = 0: see below
        np.log(e, out=e)  # log E = -G
        np.subtract(logits, e, out=e)  # z = l + G   (-inf logits stay -inf)
    top = e.max(axis=-1, keepdims=True)
    bad = np.isnan(top[..., 0]) | np.isposinf(top[..., 0])  # a draw E = 0 (the ziggurat's 2^-53 chance)
    if bad.any():  # that category's G is +inf: it takes all the weight; a -inf logit (nan here) still gets none
        rows = e[bad]
        rows[np.isnan(rows)] = -np.inf
        wins = (rows == np.inf).any(axis=-1, keepdims=True)
        rows = np.where(wins, np.where(rows == np.inf, 0.0, -np.inf), rows)
        e[bad] = rows
        top[bad] = rows.max(axis=-1, keepdims=True)  # 0 where an E = 0 won; -inf for a row of -inf logits
    return top


def exp_normalise(z, top, tau: float, work: dict) -> None:
    """In place: ``z`` (d, r, K) becomes ``exp((z - top) / tau)``, normalised along the last axis."""
    if tau < 1e-30:  # 1 / tau overflows float32 (or float64): 0 at the maximum, -inf (or nearly) elsewhere
        with np.errstate(over="ignore"):
            np.subtract(z, top, out=z)
            np.divide(z, tau, out=z)  # a subnormal tau: 0 * inf would be nan, 0 / tau is the right 0
        _exp_normalise64(z)
        return
    inv_tau = 1.0 / tau
    x = _buffer(work, "x32", z.shape, np.float32)
    with np.errstate(over="ignore"):  # below -3.4e38, float32 gives -inf, and exp(-inf) = 0 is right
        np.subtract(z, top, out=x, casting="same_kind")  # z - max <= 0
        np.multiply(x, np.float32(inv_tau), out=x)
    np.exp(x, out=x)  # float32 exp: vectorised on every CPU (see the module's docstring)
    # weights float32 rounds towards 0 are computed in float64 instead (one pass finds out whether there are any)
    small = np.flatnonzero(x < _FLT_MIN) if x.min() < _FLT_MIN else np.empty(0, dtype=np.intp)
    if small.size * 8 > x.size:  # mostly tiny weights (tau << 1): float64 for the whole block is cheaper
        np.subtract(z, top, out=z)
        np.multiply(z, inv_tau, out=z)
        _exp_normalise64(z)
        return
    rows = small // z.shape[-1]
    exact = np.exp((z.reshape(-1)[small] - top.reshape(-1)[rows]) * inv_tau)
    # each of them is below 1.2e-38 times the row's largest weight (1.0): leaving them out of the sum changes no
    # bit of it
    inv_sum = 1.0 / x.sum(axis=-1, keepdims=True, dtype=np.float64)
    np.multiply(x, inv_sum, out=z)
    z.reshape(-1)[small] = exact * inv_sum.reshape(-1)[rows]


def _exp_normalise64(x) -> None:
    np.exp(x, out=x)
    np.multiply(x, 1.0 / x.sum(axis=-1, keepdims=True), out=x)


def _buffer(work: dict, name: str, shape: tuple, dtype) -> np.ndarray:
    """A scratch array of ``shape``, reused between blocks (a fresh 1 MiB array per block would be page-faulted)."""
    size = math.prod(shape)
    buf = work.get(name)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = work[name] = np.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)
