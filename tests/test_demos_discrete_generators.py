"""Demos and figures of notebooks/08_discrete_generators.ipynb: every slider redraws, Play spans its slider,
the summaries say what the figure shows, builders validate their inputs."""

import numpy as np
import pytest

from lectures_lib.categorical_vae import CategoricalVAE, History
from lectures_lib.demos.discrete_generators import (
    make_gan_training_demo,
    make_latent_flip_demo,
    plot_code,
    plot_sequence_distribution,
    plot_tv_curves,
    plot_vae_curves,
    sequence_labels,
)
from lectures_lib.discrete_gan import SequenceGenerator, ascending_runs, make_discriminator, train_discrete_gan
from lectures_lib.gumbel import one_hot


@pytest.fixture(scope="module")
def model():
    return CategoricalVAE(np.random.default_rng(0), n_latent=5, n_categories=4, n_hidden=16)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).random((3, 64))


@pytest.fixture(scope="module")
def gan_histories():
    chain, out = ascending_runs(n_tokens=3, length=3), {}
    for estimator in ("straight_through", "reinforce"):
        rng = np.random.default_rng(2)
        gen = SequenceGenerator(rng, n_tokens=3, length=3, hidden=4, noise_dim=1)
        disc = make_discriminator(rng, n_tokens=3, length=3, hidden=4)
        out[estimator] = train_discrete_gan(gen, disc, chain, rng, estimator=estimator, steps=20, batch_size=8,
                                            eval_every=5, n_noise=20)
    return chain, out


def _moves(demo, name, value):
    before = (demo.image.value, demo.summary.value)
    demo.sliders[name].value = value
    return demo.image.value != before[0] and demo.summary.value != before[1]


def test_flip_demo_every_slider_redraws(model, images):
    demo = make_latent_flip_demo(model, images, labels=[3, 1, 4])
    assert _moves(demo, "category", (demo.sliders["category"].value + 1) % 4)
    j = (demo.sliders["variable"].value + 1) % 5
    assert _moves(demo, "variable", j) and _moves(demo, "image", 2)
    assert f"image 2 (a 4): z<sub>{j}</sub>" in demo.summary.value
    assert np.isfinite(demo.last_draw_ms)


def test_flip_demo_reports_the_decoded_change(model, images):
    demo = make_latent_flip_demo(model, images)
    code = model.encode(images[:1]).argmax(-1)[0]  # the most probable category of each variable
    demo.sliders["variable"].value = 2
    demo.sliders["category"].value = int(code[2])  # no flip: nothing moves
    assert "decoded pixels move by 0.000 on average, 0 of 64" in demo.summary.value
    flipped = code.copy()
    flipped[2] = (code[2] + 1) % 4
    change = np.abs(model.decode(one_hot(flipped[None], 4)) - model.decode(one_hot(code[None], 4))).mean()
    demo.sliders["category"].value = int(flipped[2])
    assert f"move by {change:.3f} on average" in demo.summary.value


def test_flip_demo_opens_on_the_flip_that_changes_the_digit_most(model, images):
    """Issue 14: the default flip was to the category already in the code ("0 of 64 pixels")."""
    demo = make_latent_flip_demo(model, images)
    code = model.encode(images[:1]).argmax(-1)[0]
    j, k = demo.sliders["variable"].value, demo.sliders["category"].value
    assert k != code[j]
    base = model.decode(one_hot(code[None], 4))
    changes = {}
    for jj in range(5):
        for kk in range(4):
            flipped = code.copy()
            flipped[jj] = kk
            changes[jj, kk] = np.abs(model.decode(one_hot(flipped[None], 4)) - base).mean()
    assert changes[j, k] == max(changes.values()) > 0
    assert f"move by {changes[j, k]:.3f} on average" in demo.summary.value


def test_flip_demo_play_runs_over_the_categories(model, images):
    demo = make_latent_flip_demo(model, images)
    assert demo.play is not None and (demo.play.min, demo.play.max) == (0, 3)
    demo.play.value = 3
    assert demo.sliders["category"].value == 3 and "to 3 " in demo.summary.value


def test_flip_demo_defaults_build_an_untrained_model_and_ten_digits():
    demo = make_latent_flip_demo()
    assert demo.sliders["image"].max == 9 and demo.sliders["variable"].max == 19
    assert demo.sliders["category"].max == 9 and "(a 0)" in demo.summary.value


def test_gan_demo_steps_through_the_checkpoints(gan_histories):
    chain, histories = gan_histories
    demo = make_gan_training_demo(histories, chain)
    assert demo.sliders["checkpoint"].max == 4 and demo.play is not None
    assert _moves(demo, "checkpoint", 4)
    tv = histories["reinforce"].tv[4]
    assert demo.summary.value.startswith("step 20:") and f"REINFORCE {tv:.3f}" in demo.summary.value
    demo.play.value = 0
    assert demo.sliders["checkpoint"].value == 0 and demo.summary.value.startswith("step 0:")


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda m, x, g: make_latent_flip_demo("model", x), "model must be a CategoricalVAE"),
        (lambda m, x, g: make_latent_flip_demo(m, x[:, :10]), "images must have shape"),
        (lambda m, x, g: make_latent_flip_demo(m, x[:0]), "images must have shape"),
        (lambda m, x, g: make_latent_flip_demo(m, x, labels=[1, 2]), "labels must have shape"),
        (lambda m, x, g: make_gan_training_demo({}, g[0]), "histories"),
        (lambda m, x, g: make_gan_training_demo({"a": 1}, g[0]), "histories"),
        (lambda m, x, g: make_gan_training_demo(g[1], ascending_runs()), "target"),
    ],
)
def test_builders_validate(model, images, gan_histories, build, match):
    with pytest.raises(ValueError, match=match):
        build(model, images, gan_histories)


def test_gan_demo_needs_shared_checkpoints(gan_histories):
    chain, histories = gan_histories
    shorter = type(histories["reinforce"])("reinforce", eval_steps=[0, 5], tv=[0.5, 0.4],
                                           probabilities=histories["reinforce"].probabilities[:2])
    with pytest.raises(ValueError, match="same checkpoints"):
        make_gan_training_demo({"straight_through": histories["straight_through"], "reinforce": shorter}, chain)


def test_plot_functions_label_their_axes(gan_histories):
    chain, histories = gan_histories
    ax = plot_code(np.full((5, 4), 0.25), [0, 1, 2, 3, 0])
    assert ax.get_xlabel() == "category $k$" and ax.get_ylim() == (4.5, -0.5)
    h = History("gumbel_softmax", test_neg_elbo=[250.0, 200.0])
    ax = plot_vae_curves({"gumbel_softmax": h}, baseline=251.0)
    assert "nats" in ax.get_ylabel() and len(ax.lines) == 2
    ax = plot_tv_curves(histories)
    assert ax.get_ylabel().startswith("TV") and [tuple(line.get_xdata()) for line in ax.lines][0] == (0, 5, 10, 15, 20)
    ax = plot_sequence_distribution(chain, {"model": np.full(27, 1 / 27)}, top=5)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == 5 and set(labels) <= set(sequence_labels(3, 3)) and len(ax.patches) == 10


def test_sequence_labels():
    assert sequence_labels(3, 2)[:4] == ["00", "01", "02", "10"] and len(sequence_labels(4, 4)) == 256
    with pytest.raises(ValueError, match="n_tokens"):
        sequence_labels(40, 1)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: plot_code(np.zeros((3, 2)), [0, 1]), "probs must be"),
        (lambda: plot_vae_curves({}), "histories"),
        (lambda: plot_tv_curves({"adam": None}), "histories"),
        (lambda: plot_sequence_distribution("chain", {}), "target"),
        (lambda: plot_sequence_distribution(ascending_runs(3, 2), {"m": np.ones(8)}), r"probs\['m'\]"),
    ],
)
def test_plot_functions_validate(call, match):
    with pytest.raises(ValueError, match=match):
        call()
