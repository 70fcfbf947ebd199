"""Errata E07.* of the slides "Back to the Gumbel-max trick (1)" and "(2)": one test per erratum.

Each test shows the corrected statement holds and, where it can be evaluated, that the slide's fails.
"""

import numpy as np
import sympy as sp
from scipy import stats

from lectures_lib.concrete import concrete_log_prob, gumbel_softmax_sample, simplex3_integral
from lectures_lib.gumbel import sample_gumbel, softmax
from lectures_lib.symbolic import concrete as sc
from lectures_lib.symbolic.core import residual

MU = np.array([0.5, -0.3, 0.2])


def test_e07_1_noise_distribution_is_gumbel_not_uniform():
    # The slide labels U(0, 1) as p(G); G = -log(-log U) has the Gumbel density, not the uniform one.
    _, density = sc.gumbel_noise_density()
    assert sp.simplify(density - sp.exp(-sc.g - sp.exp(-sc.g))) == 0
    assert sp.diff(density, sc.g) != 0  # not constant, so not U(0, 1)
    g = sample_gumbel(np.random.default_rng(0), size=5000)
    assert g.min() < 0 < 1 < g.max()  # G is not even confined to (0, 1)
    # KS at alpha = 1e-3 (false-failure probability 1e-3 for a random seed): Gumbel fits
    assert stats.kstest(g, stats.gumbel_r.cdf).pvalue > 1e-3


def test_e07_2_summation_index_clashes_with_the_free_k():
    correct, slide, clash = sc.softmax_map(3)
    xs = sp.symbols("x_1:4", positive=True)
    # the slide's mu_k == mu_k(x_k) does read x: every output depends on every coordinate
    assert all(sp.diff(f, x) != 0 for f in slide for x in xs)
    # with the score mu_k(x_k) = x_k the slide's map is the corrected one
    identity = {sp.Function(f"mu_{k}")(x): x for k, x in enumerate(xs, start=1)}
    assert all(residual(f.subs(identity), c) == 0 for f, c in zip(slide, correct, strict=True))
    # the slip: the summation index is the free k; read as printed, every output is 1/K and x is lost
    assert clash == [sp.Rational(1, 3)] * 3
    assert all(sp.diff(sp.simplify(f), x) == 0 for f in clash for x in xs)
    assert residual(clash[0], correct[0]) != 0
    assert sp.simplify(sum(correct)) == 1
    # the corrected map applied to x = mu + G is the library's sample (same noise)
    tau = 0.4
    g = -np.log(np.random.default_rng(3).standard_exponential((20, 3)))  # the library's noise: -log U is Exp(1)
    f = sp.lambdify((xs, sc.tau), correct, "numpy")
    y = np.column_stack(f(tuple((MU + g).T), tau))
    # rtol 1e-5: the library's last exp is float32 (lectures_lib.fast_gumbel); the slide's map is off by > 0.1
    np.testing.assert_allclose(y, gumbel_softmax_sample(MU, tau, np.random.default_rng(3), size=20), rtol=1e-5)


def test_e07_3_normalising_constant_uses_K():
    # With n = K the slide's density integrates to 1 over the simplex; n is otherwise undefined, and
    # any other n (e.g. n = K + 1 or n = K - 1) gives a total mass != 1.
    K, tau = 3, 0.7
    xs, mus = sp.symbols("x_1:4", positive=True), sp.symbols("mu_1:4", real=True)
    n = sp.Symbol("n", positive=True, integer=True)
    dens = sp.lambdify((xs, mus, n), sc.concrete_density_slide(K, n).subs(sc.tau, tau), "numpy")

    def total(n_value):
        return simplex3_integral(lambda x: np.log(dens(tuple(np.moveaxis(x, -1, 0)), tuple(MU), n_value)), tau)

    assert abs(total(K) - 1) < 1e-9
    assert abs(total(K + 1) - K * tau) < 1e-9 and abs(total(K - 1) - 1 / ((K - 1) * tau)) < 1e-9


def test_e07_4_tau_one_density_depends_on_x():
    chain, slide = sc.concrete_density_tau_one(3)
    assert chain.all_hold()
    xs, mus = sp.symbols("x_1:4", positive=True), sp.symbols("mu_1:4", real=True)
    p1 = sp.lambdify((xs, mus), chain.lines[-1], "numpy")
    x = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    got = np.exp(concrete_log_prob(x, MU, 1.0))
    np.testing.assert_allclose(p1(tuple(x.T), tuple(MU)), got, rtol=1e-12)
    assert abs(got[0] - got[1]) > 0.1  # not constant in x
    # the slide's constant (K-1)! prod_k softmax(mu)_k integrates to prod_k softmax(mu)_k, not to 1
    slide_value = float(slide.subs(dict(zip(mus, MU, strict=True))))
    assert abs(slide_value - 2 * np.prod(softmax(MU))) < 1e-12
    assert abs(simplex3_integral(lambda x: np.full(x.shape[:-1], np.log(slide_value)), 1.0) - slide_value / 2) < 1e-9
    assert slide_value / 2 < 0.05
    assert abs(simplex3_integral(lambda x: concrete_log_prob(x, MU, 1.0), 1.0) - 1) < 1e-9
    # K = 2 in closed form: alpha_1 alpha_2 / (alpha_1 x_2 + alpha_2 x_1)^2, not (alpha_1 x_1 + alpha_2 x_2)^2
    chain2, _ = sc.concrete_density_tau_one(2)
    a1, a2 = sp.exp(sp.Symbol("mu_1", real=True)), sp.exp(sp.Symbol("mu_2", real=True))
    x1, x2 = sp.symbols("x_1 x_2", positive=True)
    assert residual(chain2.lines[-1], a1 * a2 / (a1 * x2 + a2 * x1) ** 2) == 0


def test_e07_5_temperature_inside_the_exponential():
    right, wrong = sc.relaxed_sample_formula(3)
    # the slide's exp(mu_k + G_k) / tau over sum exp(mu_i + G_i) / tau: tau cancels
    assert not any(sp.simplify(f).has(sc.tau) for f in wrong)
    g = -np.log(np.random.default_rng(5).standard_exponential((50, 3)))  # the library's noise: -log U is Exp(1)
    y = gumbel_softmax_sample(MU, 0.2, np.random.default_rng(5), size=50)
    np.testing.assert_allclose(y, softmax((MU + g) / 0.2), rtol=1e-5)  # float32 exp: lectures_lib.fast_gumbel
    assert np.abs(y - softmax(MU + g)).max() > 0.1  # the slide's version is a different (tau-free) map
    # the displayed corrected formula is the library's sample, term by term (same noise)
    mus, gs = sp.symbols("mu_1:4", real=True), sp.symbols("G_1:4", real=True)
    f = sp.lambdify((mus, gs, sc.tau), right, "numpy")
    np.testing.assert_allclose(np.column_stack(f(tuple(MU), tuple(g.T), 0.2)), y, rtol=1e-5)
