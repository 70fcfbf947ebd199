"""Demos of notebooks/06_vae.ipynb: every slider redraws, Play spans the range, inputs are checked."""

import numpy as np
import pytest

from lectures_lib.demos.vae import (
    make_elbo_gap_demo,
    make_latent_traversal_demo,
    plot_digits,
    plot_latent,
    plot_training_curves,
)
from lectures_lib.kl import gaussian_kl, linear_gaussian_posterior
from lectures_lib.vae import VAE, History


@pytest.fixture(scope="module")
def vae():
    return VAE(np.random.default_rng(0), n_hidden=32)


def _moves(demo, name, value):
    before = (demo.image.value, demo.summary.value)
    demo.sliders[name].value = value
    return demo.image.value != before[0] and demo.summary.value != before[1]


def test_elbo_gap_demo_sliders_redraw_and_report_the_kl():
    demo = make_elbo_gap_demo(x=1.5, w=2.0, s=1.0)
    assert _moves(demo, "mean", 0.6) and _moves(demo, "log_var", -1.6)
    mean, log_var = linear_gaussian_posterior(1.5, 2.0, 1.0)
    kl = float(gaussian_kl(0.6, -1.6, mean, log_var))
    assert f"KL(q ‖ p(z|x)) = {kl:.4f}" in demo.summary.value
    assert demo.last_draw_ms == demo.last_draw_ms  # a number, not NaN: the redraw ran


def test_latent_demo_sliders_redraw(vae):
    codes = np.random.default_rng(1).standard_normal((50, 2))
    demo = make_latent_traversal_demo(vae, codes, np.arange(50) % 10)
    assert _moves(demo, "z1", 1.5) and _moves(demo, "z2", -2.0)
    bare = make_latent_traversal_demo(vae)  # without codes behind the marker
    assert _moves(bare, "z1", -1.0)


@pytest.mark.parametrize(("build", "name", "lo", "hi"), [
    (lambda vae: make_elbo_gap_demo(), "mean", -2.0, 2.0),
    (lambda vae: make_latent_traversal_demo(vae, limit=2.5), "z1", -2.5, 2.5),
])
def test_play_button_spans_the_main_slider(vae, build, name, lo, hi):
    demo = build(vae)
    control = demo.sliders[name]
    assert (control.min, control.max) == (lo, hi)
    assert demo.play.min == 0 and demo.play.max == round((hi - lo) / control.step)
    demo.play.value = demo.play.max
    assert control.value == pytest.approx(hi)


@pytest.mark.parametrize(("kwargs", "match"), [({"x": np.nan}, "x"), ({"w": np.inf}, "w"), ({"s": 0.0}, "s")])
def test_elbo_demo_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_elbo_gap_demo(**kwargs)


def test_latent_demo_validates(vae):
    with pytest.raises(ValueError, match="n_latent == 2"):
        make_latent_traversal_demo(VAE(np.random.default_rng(0), n_latent=3, n_hidden=4))
    with pytest.raises(ValueError, match="limit"):
        make_latent_traversal_demo(vae, limit=0.0)
    with pytest.raises(ValueError, match="together"):
        make_latent_traversal_demo(vae, codes=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="codes must be"):
        make_latent_traversal_demo(vae, np.zeros((3, 3)), np.zeros(3, dtype=int))


def test_plot_functions_return_their_axes():
    ax = plot_digits(np.random.default_rng(0).random((12, 64)), ncols=6, title="t")
    assert ax.images[0].get_array().shape == (2 * 9 - 1, 6 * 9 - 1)
    ax = plot_latent(np.zeros((10, 2)), np.arange(10), title="codes")
    assert ax.get_xlabel() == "$z_1$" and len(ax.texts) == 10
    h = History(reconstruction=[3.0, 2.0], kl=[1.0, 1.5], test_neg_elbo=[5.0, 4.0])
    assert len(plot_training_curves(h).lines) == 3
