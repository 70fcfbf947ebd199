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
brackets each ``s_i`` without a logarithm, and a float32 upper bound of ``exp(m - l_i)`` read off the bits of a
float (below) brackets the rest.  A category whose lower bound exceeds an upper bound of another category's ``s``
cannot win; the bounds are widened by ``SLACK`` (far more than every rounding on the way), so a possible winner is
never screened out, and the one or two survivors per draw get the exact float64 ``s_i``.  The index is the one
``argmin_i s_i`` gives for the same uniforms.

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

#: The bits of a float32 are ``(127 + n) 2^23 + 2^23 f`` for the value ``2^n (1 + f)``, ``0 <= f < 1``.  Writing
#: ``2^23 (127 + x / ln 2)`` into them gives ``2^n (1 + f)`` for ``x / ln 2 = n + f``, and ``1 + f >= 2^f`` (a chord
#: above a convex curve), at most ``(1 / ln 2) / 2^(1 / ln 2 - 1) = 1.0615`` times more: a bound on ``exp(x)`` in
#: three cheap passes instead of an ``exp`` (Schraudolph 1999, used here only as a bound).
_BITS_PER_NAT = np.float32(2**23 / math.log(2))
_ONE_BITS = np.float32(127 * 2**23)
_INF_BITS = np.float32(0x7F800000)  # the bits of +inf: larger exponents saturate there
EXP_BOUND_RATIO = (1 / math.log(2)) / 2 ** (1 / math.log(2) - 1)
#: widening of the race screen: the bound's 1.0615, times 2^-12 (2.4e-4) for the float32 roundings of x, of the
#: bits (ulp 128 of 2^31: 1.5e-5) and of the products (6e-8 each), with a margin of five
SLACK = EXP_BOUND_RATIO * (1 + 2.0**-12)
#: the screen pays from this many categories on (below it, the float64 race of every category is cheaper)
SCREEN_MIN_K = 24
#: relative error of a float32 exp: numpy's is within 4 ulp (4.8e-7, "max ULP error" of its SIMD loops is 2.52 for
#: AVX2 and AVX-512), and rounding its argument x to float32 adds |x| 6e-8 (tests/test_fast_gumbel.py checks both)
EXP32_RTOL = 5e-7
_FLT_MIN = np.float32(np.finfo(np.float32).tiny)
_E_MIN = np.finfo(np.float64).tiny  # E = 0 (probability 2^-53 per draw) would give G = +inf: clamped here


def race_scores(logits, top, u) -> np.ndarray:
    """Exact float64 race times ``s = -log(U) exp(m - l)``: the smallest wins; ``+inf`` if ``U = 0`` or ``l = -inf``."""
    with np.errstate(divide="ignore", over="ignore"):  # log(0) = -inf and exp(+inf) = inf: never drawn
        return -np.log(u) * np.exp(top - logits)


def exp_upper_bound(x, bits) -> np.ndarray:
    """``exp(x) <= b <= EXP_BOUND_RATIO exp(x)`` (to 2^-12) for float32 ``x >= 0``, ``+inf`` beyond 88.7; ``x`` is
    overwritten, ``bits`` (int32, same shape) holds ``b``, which is returned as float32.

    Examples
    --------
    >>> x = np.array([0.0, 0.5, 10.0, 100.0], np.float32)
    >>> b = exp_upper_bound(x.copy(), np.empty(4, np.int32))
    >>> bool(np.all(b[:3] >= np.exp(x[:3]) * (1 - 2**-12))), bool(np.all(b[:3] <= 1.0615 * np.exp(x[:3]))), b[3]
    (True, True, np.float32(inf))
    """
    np.multiply(x, _BITS_PER_NAT, out=x)
    np.add(x, _ONE_BITS, out=x)
    np.minimum(x, _INF_BITS, out=x)  # x = +inf (an l of -inf) saturates at the bits of inf too
    np.copyto(bits, x, casting="unsafe")  # the integer 2^23 (127 + n + f), truncated: at most the real one
    return bits.view(np.float32)


def race_argmin(logits, top, u, out, work: dict) -> None:
    """``out[d, r] = argmin_i s_i`` for uniforms ``u`` (d, r, K), logits (r, K) with row maxima ``top`` (r, 1).

    ``work`` caches scratch buffers between calls; ``u`` is left unchanged.  Ties go to the smallest index, as with
    ``np.argmin`` of the exact float64 scores.
    """
    d, r, K = u.shape
    if K < SCREEN_MIN_K:
        out[...] = race_scores(logits, top, u).argmin(axis=-1)
        return
    x, lo = _buffer(work, "x", (r, K), np.float32), _buffer(work, "lo", u.shape, np.float32)
    keep = _buffer(work, "keep", u.shape, np.bool_)
    with np.errstate(over="ignore"):  # m - l beyond float32 (or l = -inf) is +inf, and so is its bound
        np.subtract(top, logits, out=x, casting="same_kind")  # m - l_i >= 0, (r, K)
    inv_w = exp_upper_bound(x, _buffer(work, "bits", (r, K), np.int32))  # exp(m - l_i) <= inv_w <= 1.0615 x that
    np.subtract(1.0, u, out=lo, casting="same_kind")  # 1 - U <= -log U, exact in float64, then rounded
    np.multiply(lo, inv_w, out=lo)  # lo_i / 1.0615 <= s_i (up to roundings)
    # An upper bound of the winner's time: the category with the smallest lo, s_j <= lo_j / U_j (-log U <= (1-U)/U).
    j = lo.argmin(axis=-1).reshape(-1) + np.arange(0, d * r * K, K)  # flat index of j in each (draw, row)
    with np.errstate(divide="ignore"):  # U_j = 0: no bound from j (inf), every category stays a candidate
        best = (lo.reshape(-1)[j] / u.reshape(-1)[j] * SLACK).astype(np.float32).reshape(d, r, 1)
    np.less_equal(lo, best, out=keep)  # the others arrive after j: not the winner
    flat = np.flatnonzero(keep)  # in (draw, row, category) order; every (draw, row) keeps j at least
    cell = flat // K
    many = np.zeros(cell.size, dtype=bool)  # cells with more than one candidate
    np.equal(cell[1:], cell[:-1], out=many[1:])
    many[:-1] |= many[1:]
    one = ~many
    out[np.divmod(cell[one], r)] = flat[one] - cell[one] * K  # out may be a strided view: index by (draw, row)
    if many.any():  # about one draw in twenty: the exact race between the candidates
        flat, cell = flat[many], cell[many]
        k, row = flat - cell * K, cell % r
        s = race_scores(logits[row, k], top[row, 0], u.reshape(-1)[flat])
        order = np.lexsort((k, s, cell))  # by cell, then time, then index (argmin's tie rule)
        cell, k = cell[order], k[order]
        first = np.ones(cell.size, dtype=bool)
        first[1:] = cell[1:] != cell[:-1]
        out[np.divmod(cell[first], r)] = k[first]


def perturb_exponential(logits, e) -> np.ndarray:
    """In place: Exp(1) draws ``e`` (d, r, K) become ``z = l + G``, ``G = -log E``; returns the row maxima (d, r, 1).

    ``E`` has the law of ``-log U``, so ``G`` is Gumbel(0, 1) as on the slides, for one logarithm instead of two.
    """
    if e.min() == 0.0:  # the ziggurat returns 0 with probability 2^-53: G would be +inf
        np.maximum(e, _E_MIN, out=e)
    np.log(e, out=e)  # log E = -G
    np.subtract(logits, e, out=e)  # z = l + G   (-inf logits stay -inf)
    return e.max(axis=-1, keepdims=True)


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
    small = np.flatnonzero(x < _FLT_MIN)  # weights float32 rounds towards 0: computed in float64 instead
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
