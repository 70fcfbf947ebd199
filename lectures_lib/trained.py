"""Trained weights shipped with the library: load them, train them again live, and compare the two.

Introduced in notebooks/06_vae.ipynb (section 4); used by notebooks 08 and 09.  Training the networks of notebooks
06, 08 and 09 takes seconds on a laptop but minutes in the browser's Python, so the notebooks load the result of
each recipe of :mod:`lectures_lib.recipes`, trained once by ``python -m tools.train_weights`` (``make weights``)
and shipped in ``lectures_lib/weights/`` with its sha256, the fingerprint of the code that trained it, and the
quality it reached.  One cell per notebook trains a run again and :func:`compare` checks the live result against
the shipped one.  Float32 training is chaotic (a CPU whose BLAS rounds differently ends in other weights of the
same quality), so the comparison is on quality measures, within the tolerances in :data:`QUALITY`, measured
between CPUs (AVX-512 and AVX2 builds) and seeds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import time
from pathlib import Path

import numpy as np

from . import categorical_vae, discrete_gan, nn, recipes, vae
from ._fingerprint import fingerprint

WEIGHTS = Path(__file__).resolve().parent / "weights"
MANIFEST = WEIGHTS / "manifest.json"
_MODELS = {"VAE": vae.VAE, "CategoricalVAE": categorical_vae.CategoricalVAE,
           "SequenceGenerator": discrete_gan.SequenceGenerator, "Sequential": nn.Sequential}
_HISTORIES = {"vae.History": vae.History, "categorical_vae.History": categorical_vae.History,
              "discrete_gan.GANHistory": discrete_gan.GANHistory}


class StaleWeightsError(ValueError):
    """The shipped file does not match the manifest, or the manifest does not match the code and data."""


def _digits_test():
    return recipes.digits()[1]


def _vae_quality(result, name="vae"):
    return float(vae.neg_elbo(result[name], _digits_test(), np.random.default_rng(5), n_samples=64).total.mean())


def _cat_quality(model):
    return float(categorical_vae.neg_elbo(model, _digits_test(), np.random.default_rng(5), n_samples=32).total.mean())


def _tv(result):
    p = result["generator"].sequence_probabilities(np.random.default_rng(7), n_noise=4000)
    return discrete_gan.total_variation(p, recipes.gan_chain().probabilities())


#: run -> {measure: (function of the run's result, tolerance)}.  Each tolerance covers the spread of that measure
#: between seeds 1-5 and between an AVX-512 and an AVX2 build of NumPy and OpenBLAS (float32 training is chaotic:
#: other roundings end in other weights of the same quality): VAE 147-155 nats, its ablations 157-165 (no KL) and
#: 536-539 (no reconstruction); categorical VAE 116.1-116.5 (Gumbel-softmax), 124.8-125.6 (REINFORCE); GAN TV
#: 0.093-0.102 (straight-through), 0.056-0.066 (REINFORCE); annealing runs 171-178, 159-167, 161-168; exercises:
#: the 8-D VAE 95.4-97.0, the beta-VAEs 154.8-161.1 and 154.9-160.1, equal compute 192.6-206.0 (REINFORCE, 5 epochs)
#: and 121.0-121.6 (Gumbel-softmax).
QUALITY = {
    "vae": {"held-out −ELBO [nats]": (_vae_quality, 10.0)},
    "vae_ablations": {"held-out −ELBO without KL [nats]": (lambda r: _vae_quality(r, "no_kl"), 10.0),
                      "held-out −ELBO without reconstruction [nats]":
                          (lambda r: _vae_quality(r, "no_reconstruction"), 10.0)},
    "vae_latent8": {"held-out −ELBO, 8-D code [nats]": (_vae_quality, 6.0)},
    "beta_vaes": {f"held-out −ELBO, KL weight {beta} [nats]": ((lambda r, i=i: _vae_quality(r, f"vae_{i}")), 10.0)
                  for i, beta in enumerate(recipes.BETAS)},
    "categorical_vae_equal_compute": {
        "held-out −ELBO after training, REINFORCE [nats]": (lambda r: r["reinforce"].test_neg_elbo[-1], 20.0),
        "held-out −ELBO after training, Gumbel-softmax [nats]": (lambda r: r["gumbel_softmax"].test_neg_elbo[-1], 2.0)},
    "categorical_vae_gumbel_softmax": {"held-out −ELBO [nats]": (lambda r: _cat_quality(r["model"]), 1.5)},
    "categorical_vae_reinforce": {"held-out −ELBO [nats]": (lambda r: _cat_quality(r["model"]), 2.0)},
    "gan_straight_through": {"TV to the data": (_tv, 0.03)},
    "gan_reinforce": {"TV to the data": (_tv, 0.03)},
    "annealing": {f"held-out −ELBO, {name} [nats]": ((lambda r, i=i: _cat_quality(r[f"model_{i}"])), 10.0)
                  for i, name in enumerate(recipes.SCHEDULES)},
}


# ------------------------------------------------------------------------------------------------ files
def _pack(result: dict) -> dict:
    arrays, spec = {}, {}
    for key, obj in result.items():
        if dataclasses.is_dataclass(obj):
            spec[key] = {"type": f"{type(obj).__module__.split('.')[-1]}.{type(obj).__name__}", "fields": {}}
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                kind = ("arrays" if isinstance(value, list) and value and isinstance(value[0], np.ndarray)
                        else "list" if isinstance(value, list) else type(value).__name__)
                spec[key]["fields"][f.name] = kind
                arrays[f"{key}/{f.name}"] = np.stack(value) if kind == "arrays" else np.asarray(value)
        else:
            spec[key] = {"type": type(obj).__name__, "kwargs": _model_kwargs(obj)}
            arrays.update({f"{key}/{p}": v for p, v in obj.params.items()})
    arrays["__spec__"] = np.array(json.dumps(spec, sort_keys=True))
    return arrays


def _model_kwargs(model) -> dict:
    if isinstance(model, vae.VAE | categorical_vae.CategoricalVAE):
        kwargs = {"n_pixels": model.n_pixels, "n_latent": model.n_latent, "n_trials": model.n_trials,
                  "n_hidden": int(model.encoder.layers[0].params["W"].shape[1]), "dtype": model.dtype.name}
        if isinstance(model, categorical_vae.CategoricalVAE):
            kwargs["n_categories"] = model.n_categories
        else:
            hidden_layer = model.encoder.layers[1]
            kwargs["activation"] = next(n for n, cls in nn.ACTIVATIONS.items() if isinstance(hidden_layer, cls))
        return kwargs
    if isinstance(model, discrete_gan.SequenceGenerator):
        return {"n_tokens": model.L, "length": model.T, "hidden": model.H, "noise_dim": model.Z}
    if isinstance(model, nn.Sequential):  # the discriminator: Linear, LeakyReLU, Linear
        W0, W1 = model.layers[0].params["W"], model.layers[2].params["W"]
        return {"sizes": [int(W0.shape[0]), int(W0.shape[1]), int(W1.shape[1])], "dtype": W0.dtype.name}
    raise TypeError(f"cannot save a {type(model).__name__}")


def _unpack(arrays) -> dict:
    spec, result = json.loads(str(arrays["__spec__"])), {}
    for key, s in spec.items():
        if "fields" in s:
            values = {}
            for name, kind in s["fields"].items():
                a = arrays[f"{key}/{name}"]
                values[name] = (list(a) if kind == "arrays" else a.tolist() if kind == "list"
                                else {"int": int, "float": float, "str": str}[kind](a))
            result[key] = _HISTORIES[s["type"]](**values)
            continue
        kwargs = dict(s["kwargs"])
        if s["type"] == "Sequential":
            model = nn.mlp(kwargs["sizes"], np.random.default_rng(0), activation="leaky_relu", dtype=kwargs["dtype"])
        else:
            model = _MODELS[s["type"]](np.random.default_rng(0), **kwargs)
        for name, p in model.params.items():
            p[...] = arrays[f"{key}/{name}"]  # in place: the layers hold these very arrays
        result[key] = model
    return result


def save(name: str, result: dict) -> Path:
    """Write ``result`` to ``weights/<name>.npz``, byte for byte the same for the same arrays (fixed zip dates)."""
    import zipfile

    path = WEIGHTS / f"{name}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, array in sorted(_pack(result).items()):
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, np.asarray(array), allow_pickle=False)  # 0-d arrays stay 0-d
    return path


def manifest() -> dict:
    return json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {"runs": {}}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_sha256() -> str:
    """sha256 of the digits every recipe trains on (:func:`lectures_lib.vae.load_digits`)."""
    images, target = vae.load_digits()
    return hashlib.sha256(images.astype(np.float64).tobytes() + target.astype(np.int64).tobytes()).hexdigest()


def code_fingerprint(name: str) -> str:
    """The fingerprint of the code of recipe ``name`` (see :mod:`lectures_lib._fingerprint`)."""
    return fingerprint(recipes.RECIPES[name])


# ------------------------------------------------------------------------------------------------ the API
def load(name: str) -> dict:
    """The shipped result of recipe ``name``: the same dict of models and histories the recipe returns.

    Raises :class:`StaleWeightsError` if the file is missing or differs from the sha256 the manifest records.

    Examples
    --------
    >>> run = load("vae")
    >>> sorted(run), len(run["history"].kl)
    (['history', 'vae'], 100)
    """
    if name not in recipes.RECIPES:
        raise ValueError(f"name must be one of {sorted(recipes.RECIPES)}, got {name!r}")
    entry = manifest()["runs"].get(name)
    path = WEIGHTS / f"{name}.npz"
    if entry is None or not path.exists():
        raise StaleWeightsError(f"no shipped weights for {name!r}: run `python -m tools.train_weights --only {name}`")
    if sha256_file(path) != entry["sha256"]:
        raise StaleWeightsError(f"{path.name} does not match the sha256 in {MANIFEST.name}: the file was changed "
                                "after it was built; run `python -m tools.train_weights`")
    with np.load(path, allow_pickle=False) as arrays:
        return _unpack(arrays)


def train(name: str, progress: bool = True) -> tuple[dict, float]:
    """Run recipe ``name`` live: ``(result, wall seconds)``."""
    if name not in recipes.RECIPES:
        raise ValueError(f"name must be one of {sorted(recipes.RECIPES)}, got {name!r}")
    start = time.perf_counter()
    result = recipes.RECIPES[name](progress=progress)
    return result, time.perf_counter() - start


def quality(name: str, result: dict) -> dict:
    """The quality measures of :data:`QUALITY` for a result of recipe ``name``."""
    return {measure: float(fn(result)) for measure, (fn, _) in QUALITY[name].items()}


@dataclasses.dataclass
class Comparison:
    """Live against shipped, measure by measure; ``ok`` when every difference is within its tolerance."""

    name: str
    rows: list  # (measure, live, shipped, tolerance)
    seconds: float

    @property
    def ok(self) -> bool:
        return all(abs(live - shipped) <= tol for _, live, shipped, tol in self.rows)

    def _repr_markdown_(self) -> str:
        verdict = "Every measure agrees with the shipped run." if self.ok else "**It differs from the shipped run.**"
        lines = [f"Live run of `{self.name}`: trained in {self.seconds:.1f} s. {verdict}",
                 "", "| measure | live | shipped | difference | tolerance |", "|---|---|---|---|---|"]
        lines += [f"| {m} | {lv:.3f} | {sh:.3f} | {abs(lv - sh):.3f} | {tol} |" for m, lv, sh, tol in self.rows]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._repr_markdown_()


def compare(name: str, live: dict, seconds: float = float("nan")) -> Comparison:
    """Quality of a live result of ``name`` against the shipped one (recorded in the manifest at build time)."""
    shipped = manifest()["runs"][name]["quality"]
    measured = quality(name, live)
    return Comparison(name, [(m, measured[m], shipped[m], QUALITY[name][m][1]) for m in QUALITY[name]], seconds)


def recipe_source(name: str) -> str:
    """The code of the function ``name`` of :mod:`lectures_lib.recipes`, for a notebook to show what trained the
    weights it loads."""
    fn = getattr(recipes, name, None)
    if not callable(fn):
        raise ValueError(f"name must name a function of lectures_lib.recipes, got {name!r}")
    return inspect.getsource(fn)
