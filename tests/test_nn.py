"""lectures_lib.nn: every layer's backward against finite differences (float64) and torch autograd."""

import numpy as np
import pytest

from lectures_lib import nn

LAYERS = {
    "linear": lambda rng: nn.Linear(4, 3, rng),
    "relu": lambda rng: nn.ReLU(),
    "leaky_relu": lambda rng: nn.LeakyReLU(0.1),
    "tanh": lambda rng: nn.Tanh(),
    "sigmoid": lambda rng: nn.Sigmoid(),
    "mlp": lambda rng: nn.mlp([4, 5, 5, 3], rng, activation="tanh"),
    "mlp_relu": lambda rng: nn.mlp([4, 6, 3], rng),
}


def _check_layer(layer, x, rng):
    """Gradients of L = sum(c * layer(x)) for a fixed random c, against central differences."""
    y = layer.forward(x)
    c = rng.standard_normal(y.shape)
    grad_x = layer.backward(c)

    def loss():
        return float((c * layer.forward(x)).sum())

    numeric = nn.finite_difference_grads(loss, {"x": x, **layer.params})
    assert nn.relative_error(grad_x, numeric["x"]) < 1e-5
    layer.forward(x)
    layer.backward(c)  # finite differences ran forward again; refresh the analytic grads
    for name in layer.params:
        assert nn.relative_error(layer.grads[name], numeric[name]) < 1e-5, name


@pytest.mark.parametrize("name", list(LAYERS))
def test_backward_matches_finite_differences(name):
    rng = np.random.default_rng(0)
    layer = LAYERS[name](rng)
    x = rng.standard_normal((6, 4))
    if name == "mlp_relu" or "relu" in name:
        x[np.abs(x) < 1e-3] = 0.5  # keep every input away from the kink, where the derivative jumps
    _check_layer(layer, x, rng)


def test_mlp_gradients_match_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    net = nn.mlp([5, 7, 2], rng, activation="tanh")
    x = rng.standard_normal((3, 5))
    c = rng.standard_normal((3, 2))
    net.forward(x)
    net.backward(c)
    W0, b0, W1, b1 = (torch.tensor(net.params[k], requires_grad=True) for k in ("0.W", "0.b", "2.W", "2.b"))
    out = torch.tanh(torch.tensor(x) @ W0 + b0) @ W1 + b1
    (torch.tensor(c) * out).sum().backward()
    for k, t in zip(("0.W", "0.b", "2.W", "2.b"), (W0, b0, W1, b1), strict=True):
        np.testing.assert_allclose(net.grads[k], t.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_adam_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    p = {"w": rng.standard_normal(5)}
    t = torch.tensor(p["w"].copy(), requires_grad=True)
    ours, ref = nn.Adam(p, lr=0.05), torch.optim.Adam([t], lr=0.05)
    for _ in range(20):  # minimise sum(w^4): gradient 4 w^3
        ours.step({"w": 4 * p["w"] ** 3})
        ref.zero_grad()
        (t**4).sum().backward()
        ref.step()
    np.testing.assert_allclose(p["w"], t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_float32_stays_float32_and_same_seed_same_weights():
    a = nn.mlp([3, 4, 2], np.random.default_rng(5), dtype=np.float32)
    b = nn.mlp([3, 4, 2], np.random.default_rng(5), dtype=np.float32)
    y = a.forward(np.ones((2, 3), dtype=np.float32))
    g = a.backward(np.ones_like(y))
    assert y.dtype == g.dtype == a.grads["0.W"].dtype == np.float32
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)


def test_backward_can_skip_the_input_gradient():
    net = nn.mlp([3, 4, 2], np.random.default_rng(0))
    net.forward(np.ones((2, 3)))
    assert net.backward(np.ones((2, 2)), need_input_grad=False) is None
    assert np.any(net.grads["0.W"] != 0)


def test_sigmoid_and_softplus_are_exact_in_the_tails():
    x = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    np.testing.assert_allclose(nn.sigmoid(x), [0.0, np.exp(-40.0), 0.5, 1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(nn.softplus(x), [0.0, np.exp(-40.0), np.log(2), 40.0, 800.0], rtol=1e-15)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda rng: nn.Linear(0, 3, rng), "in_features"),
        (lambda rng: nn.Linear(2, 3, "seed"), "rng"),
        (lambda rng: nn.Linear(2, 3, rng, dtype=np.int64), "dtype"),
        (lambda rng: nn.LeakyReLU(1.5), "slope"),
        (lambda rng: nn.mlp([3], rng), "sizes"),
        (lambda rng: nn.mlp([3, 2], rng, activation="swish"), "activation"),
        (lambda rng: nn.Sequential([]), "layers"),
        (lambda rng: nn.Adam({"w": np.zeros(2)}, lr=0.0), "lr"),
        (lambda rng: nn.Adam({"w": np.zeros(2)}, betas=(0.9, 1.0)), "betas"),
        (lambda rng: nn.Adam({}), "params"),
        (lambda rng: nn.finite_difference_grads(lambda: 0.0, {}, h=0), "h"),
        (lambda rng: nn.relative_error(np.zeros(2), np.zeros(3)), "shape"),
        (lambda rng: nn.sigmoid("x"), "x"),
    ],
)
def test_rejects_bad_arguments_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        make(np.random.default_rng(0))
