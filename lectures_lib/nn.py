"""A tiny neural-network kit with the backward pass written out: Linear, activations, MLP, Adam.

Every layer has ``forward(x)`` (which remembers what backward needs) and ``backward(grad_out)``
(which fills ``layer.grads`` and returns the gradient for the layer below).  Parameters and
gradients are dicts of arrays, shared by reference, so an optimiser updates them in place.
float64 for gradient checks, float32 for speed.  Introduced in ``notebooks/06_vae.ipynb`` and
reused by the categorical VAE and the discrete GAN of ``notebooks/08_...``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _validate as check


def _dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt


def _real(name: str, x) -> np.ndarray:
    """An array of a real dtype, float32 kept as float32 (``_validate.as_float_array`` makes float64)."""
    arr = np.asarray(x)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must have a real dtype, got {arr.dtype}: {check._show(x)}")
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float64)


class Linear:
    """``y = x W + b`` with PyTorch's default initialisation ``U(-1/sqrt(in), 1/sqrt(in))``."""

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator, *, dtype=np.float64):
        n_in = check.integer("in_features", in_features, minimum=1)
        n_out = check.integer("out_features", out_features, minimum=1)
        rng, dt = check.generator(rng), _dtype(dtype)
        bound = 1.0 / np.sqrt(n_in)  # torch.nn.Linear's default, so the benchmark compares like with like
        self.params = {"W": rng.uniform(-bound, bound, (n_in, n_out)).astype(dt),  # (in, out)
                       "b": rng.uniform(-bound, bound, n_out).astype(dt)}  # (out,)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x  # (B, in): dL/dW = x^T dL/dy needs it
        return x @ self.params["W"] + self.params["b"]  # (B, out)

    def backward(self, grad_out: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        # dL/dW = x^T g  (in, out);  dL/db = sum_batch g  (out,);  dL/dx = g W^T  (B, in)
        np.matmul(self._x.T, grad_out, out=self.grads["W"])
        np.sum(grad_out, axis=0, out=self.grads["b"])
        return grad_out @ self.params["W"].T if need_input_grad else None


class _Activation:
    params: dict = {}
    grads: dict = {}


class ReLU(_Activation):
    """``max(x, 0)``; its derivative is the indicator ``x > 0``."""

    def forward(self, x):
        self._mask = x > 0
        return x * self._mask

    def backward(self, grad_out, need_input_grad=True):
        return grad_out * self._mask


class LeakyReLU(_Activation):
    """``x`` for ``x > 0``, ``slope * x`` otherwise (keeps a gradient for negative inputs, as GANs like)."""

    def __init__(self, slope: float = 0.2):
        if not 0 <= slope < 1:
            raise ValueError(f"slope must lie in [0, 1), got {slope!r}")
        self.slope = float(slope)

    def forward(self, x):
        self._scale = np.where(x > 0, 1.0, self.slope).astype(x.dtype)
        return x * self._scale

    def backward(self, grad_out, need_input_grad=True):
        return grad_out * self._scale


class Tanh(_Activation):
    """``tanh(x)``; derivative ``1 - tanh(x)^2``, computed from the stored output."""

    def forward(self, x):
        self._y = np.tanh(x)
        return self._y

    def backward(self, grad_out, need_input_grad=True):
        return grad_out * (1 - np.square(self._y))


def sigmoid(x) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-x))`` without overflow for large ``|x|``.

    Examples
    --------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    x = _real("x", x)
    # e = exp(-|x|) <= 1 never overflows; sigmoid(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus(x) -> np.ndarray:
    """``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``, exact for all finite ``x``.

    ``-softplus(-x)`` is ``log sigmoid(x)`` (the log-likelihood of a Bernoulli with logit ``x``).

    Examples
    --------
    >>> softplus(np.array([-1000.0, 0.0, 1000.0])).round(6).tolist()
    [0.0, 0.693147, 1000.0]
    """
    x = _real("x", x)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class Sigmoid(_Activation):
    """``sigmoid(x)``; derivative ``s (1 - s)``."""

    def forward(self, x):
        self._y = sigmoid(x)
        return self._y

    def backward(self, grad_out, need_input_grad=True):
        return grad_out * self._y * (1 - self._y)


ACTIVATIONS: dict[str, Callable[[], _Activation]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid,
                                                     "leaky_relu": LeakyReLU}


class Sequential:
    """Layers applied in order; backward runs them in reverse.  Parameters are named ``"<i>.<name>"``."""

    def __init__(self, layers: list):
        if not layers or not all(hasattr(la, "forward") and hasattr(la, "backward") for la in layers):
            raise ValueError(f"layers must be a non-empty list of layers with forward/backward, got {layers!r}")
        self.layers = list(layers)
        self.params = {f"{i}.{k}": v for i, la in enumerate(self.layers) for k, v in la.params.items()}
        self.grads = {f"{i}.{k}": v for i, la in enumerate(self.layers) for k, v in la.grads.items()}

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Fill ``self.grads`` with dL/dparams; return dL/dx (``None`` if not needed, saving a matmul)."""
        for i in range(len(self.layers) - 1, -1, -1):
            grad_out = self.layers[i].backward(grad_out, need_input_grad or i > 0)
        return grad_out


def mlp(sizes, rng: np.random.Generator, *, activation: str = "relu", dtype=np.float64) -> Sequential:
    """A multilayer perceptron ``Linear -> act -> ... -> Linear`` (no activation after the last layer).

    Introduced in notebooks/06_vae.ipynb (slide "where does neural network come in to play?").

    Parameters
    ----------
    sizes : sequence of int
        Layer widths ``[in, hidden..., out]``, at least two entries.
    rng : numpy.random.Generator
        Initialises the weights.
    activation : {"relu", "tanh", "sigmoid", "leaky_relu"}
        Nonlinearity between the linear layers.
    dtype : float32 or float64

    Returns
    -------
    Sequential

    Notes
    -----
    ``h_0 = x``, ``h_{l+1} = act(h_l W_l + b_l)``, output ``h_{L-1} W_{L-1} + b_{L-1}``.

    Examples
    --------
    >>> net = mlp([3, 4, 2], np.random.default_rng(0))
    >>> net.forward(np.ones((5, 3))).shape, sorted(net.params)
    ((5, 2), ['0.W', '0.b', '2.W', '2.b'])
    """
    sizes = list(sizes) if np.ndim(sizes) == 1 else sizes
    if not isinstance(sizes, list) or len(sizes) < 2:
        raise ValueError(f"sizes must list at least [in, out] widths, got {sizes!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(n_in, n_out, rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return Sequential(layers)


class Adam:
    """Adam (Kingma & Ba 2015) updating a dict of parameter arrays in place.

    ``m = b1 m + (1-b1) g``;  ``v = b2 v + (1-b2) g^2``;
    ``p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)``, as ``torch.optim.Adam``.
    """

    def __init__(self, params: dict, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        if not params or not all(isinstance(p, np.ndarray) for p in params.values()):
            raise ValueError(f"params must be a non-empty dict of arrays, got {type(params).__name__}")
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be finite and > 0, got {lr!r}")
        if not all(0 <= b < 1 for b in betas) or len(betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps!r}")
        self.params, self.lr, self.betas, self.eps, self.t = params, float(lr), betas, float(eps), 0
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self._tmp = {k: np.empty_like(p) for k, p in params.items()}  # scratch: no allocation per step

    def step(self, grads: dict) -> None:
        """One update from ``grads`` (same keys as ``params``)."""
        self.t += 1
        b1, b2 = self.betas
        # bias corrections folded into a step size and an eps, as torch does
        step = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        eps = self.eps * np.sqrt(1 - b2**self.t)
        for k, p in self.params.items():
            g, m, v, tmp = grads[k], self.m[k], self.v[k], self._tmp[k]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p -= tmp


def finite_difference_grads(loss: Callable[[], float], params: dict, *, h: float = 1e-6) -> dict:
    """Central differences ``(L(p + h e_i) - L(p - h e_i)) / 2h`` for every entry of every parameter.

    Introduced in notebooks/06_vae.ipynb (section "A real VAE in NumPy"): the check that the
    hand-written backward is right.  Use float64 parameters; cost is two ``loss()`` calls per entry.

    Examples
    --------
    >>> p = {"a": np.array([1.0, 2.0])}
    >>> finite_difference_grads(lambda: float((p["a"] ** 2).sum()), p)["a"].round(6).tolist()
    [2.0, 4.0]
    """
    if not h > 0:
        raise ValueError(f"h must be > 0, got {h!r}")
    out = {}
    for name, p in params.items():
        g = np.zeros_like(p, dtype=np.float64)
        flat, gflat = p.reshape(-1), g.reshape(-1)  # views: editing flat edits the model
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            up = loss()
            flat[i] = old - h
            down = loss()
            flat[i] = old
            gflat[i] = (up - down) / (2 * h)
        out[name] = g
    return out


def relative_error(a, b) -> float:
    """``max |a - b| / max(max|a|, max|b|, 1e-12)``: one number per gradient comparison."""
    a, b = _real("a", a).astype(np.float64), _real("b", b).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12))
