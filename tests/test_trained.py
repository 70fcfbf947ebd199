"""The shipped weights (lectures_lib/weights, `make weights`) are what the recipes make: not stale, not tampered with,
loaded back exactly, and reproduced by training live within the stated tolerances."""

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lectures_lib import _fingerprint, recipes, trained
from lectures_lib.categorical_vae import CategoricalVAE
from lectures_lib.discrete_gan import GANHistory, SequenceGenerator
from lectures_lib.nn import Sequential
from lectures_lib.vae import VAE, History

ROOT = Path(__file__).resolve().parents[1]
REBUILD = "rebuild them: make weights (python -m tools.train_weights), and commit lectures_lib/weights/"


@pytest.mark.parametrize("name", list(recipes.RECIPES))
def test_shipped_weights_are_up_to_date(name):
    entry = trained.manifest()["runs"].get(name)
    assert entry is not None, f"{name} has no shipped weights: {REBUILD}"
    assert trained.sha256_file(trained.WEIGHTS / entry["file"]) == entry["sha256"], f"{name}: file changed; {REBUILD}"
    assert entry["code"] == trained.code_fingerprint(name), (
        f"the code that trains {name} changed since its weights were built (lectures_lib/recipes.py or a function it "
        f"calls): {REBUILD}")
    assert entry["data"] == trained.data_sha256(), f"the digits changed since {name} was built: {REBUILD}"


def test_manifest_lists_exactly_the_recipes():
    assert list(trained.manifest()["runs"]) == list(recipes.RECIPES)
    shipped = {p.name for p in trained.WEIGHTS.glob("*.npz")}
    assert shipped == {f"{n}.npz" for n in recipes.RECIPES}, "a weights file without a recipe (or the reverse)"


def test_load_gives_back_the_objects_the_recipes_return():
    vae = trained.load("vae")
    assert isinstance(vae["vae"], VAE) and isinstance(vae["history"], History) and len(vae["history"].kl) == 100
    assert vae["vae"].dtype == np.float32 and vae["vae"].decode(np.zeros((1, 2))).shape == (1, 64)
    cat = trained.load("categorical_vae_reinforce")
    assert isinstance(cat["model"], CategoricalVAE) and cat["history"].estimator == "reinforce"
    assert isinstance(cat["history"].decoder_evaluations, int) and len(cat["history"].temperature) == 40
    gan = trained.load("gan_straight_through")
    assert isinstance(gan["generator"], SequenceGenerator) and isinstance(gan["discriminator"], Sequential)
    h = gan["history"]
    assert isinstance(h, GANHistory) and h.eval_steps == list(range(0, 2001, 50)) and len(h.d_loss) == 2000
    assert len(h.probabilities) == 41 and h.probabilities[-1].shape == (256,)
    assert gan["discriminator"].forward(np.zeros((3, 16))).shape == (3, 1)


@pytest.mark.parametrize("name", list(recipes.RECIPES))
def test_loaded_weights_have_the_recorded_quality(name):
    # the same weights as at build time: only the float32 roundings of this CPU's BLAS may differ
    recorded = trained.manifest()["runs"][name]["quality"]
    measured = trained.quality(name, trained.load(name))
    for measure, value in recorded.items():
        assert measured[measure] == pytest.approx(value, rel=1e-4), measure


def test_save_then_load_round_trips_and_is_byte_stable(tmp_path, monkeypatch):
    run = trained.load("annealing")
    monkeypatch.setattr(trained, "WEIGHTS", tmp_path)
    first = trained.save("annealing", run).read_bytes()
    assert trained.save("annealing", run).read_bytes() == first  # fixed zip dates: same arrays, same bytes
    with np.load(tmp_path / "annealing.npz") as arrays:
        back = trained._unpack(arrays)
    for key, obj in run.items():
        if hasattr(obj, "params"):
            assert all(np.array_equal(obj.params[k], back[key].params[k]) for k in obj.params)
        else:
            assert obj == back[key]


def test_a_changed_file_is_refused(tmp_path, monkeypatch):
    for p in trained.WEIGHTS.iterdir():
        shutil.copy(p, tmp_path / p.name)
    data = bytearray((tmp_path / "vae.npz").read_bytes())
    data[len(data) // 2] ^= 1
    (tmp_path / "vae.npz").write_bytes(bytes(data))
    monkeypatch.setattr(trained, "WEIGHTS", tmp_path)
    monkeypatch.setattr(trained, "MANIFEST", tmp_path / "manifest.json")
    with pytest.raises(trained.StaleWeightsError, match="sha256"):
        trained.load("vae")
    (tmp_path / "vae.npz").unlink()
    with pytest.raises(trained.StaleWeightsError, match="train_weights"):
        trained.load("vae")
    with pytest.raises(ValueError, match="name"):
        trained.load("no such run")


def test_stale_check_of_the_tool_names_what_changed(monkeypatch):
    sys.path.insert(0, str(ROOT))
    tool = importlib.import_module("tools.train_weights")
    entry = dict(trained.manifest()["runs"]["vae"])
    assert tool.stale("vae", entry, trained.data_sha256()) == []
    assert any("training code" in why for why in tool.stale("vae", {**entry, "code": "0" * 64}, entry["data"]))
    assert any("digits" in why for why in tool.stale("vae", entry, "0" * 64))


# ------------------------------------------------------------------------------ the fingerprint of the code
MODULE_A = '''
from lectures_lib_fptest_b import helper


def recipe(x):
    """Docstring."""
    return helper(x) + 1  # a comment
'''
MODULE_B = '''
RATE = 0.5


def helper(x):
    return x * RATE
'''


def _fingerprint_of(tmp_path, a: str, b: str) -> str:
    (tmp_path / "lectures_lib_fptest_a.py").write_text(a)
    (tmp_path / "lectures_lib_fptest_b.py").write_text(b)
    for name in ("lectures_lib_fptest_a", "lectures_lib_fptest_b"):
        sys.modules.pop(name, None)
    sys.path.insert(0, str(tmp_path))
    try:
        return _fingerprint.fingerprint(importlib.import_module("lectures_lib_fptest_a").recipe)
    finally:
        sys.path.remove(str(tmp_path))


def test_fingerprint_follows_code_through_calls_but_not_docstrings(tmp_path):
    base = _fingerprint_of(tmp_path, MODULE_A, MODULE_B)
    reworded = MODULE_A.replace('"""Docstring."""', '"""Another docstring."""').replace("# a comment", "# other")
    assert _fingerprint_of(tmp_path, reworded, MODULE_B) == base
    assert _fingerprint_of(tmp_path, MODULE_A.replace("+ 1", "+ 2"), MODULE_B) != base  # the recipe's own code
    assert _fingerprint_of(tmp_path, MODULE_A, MODULE_B.replace("x * RATE", "x / RATE")) != base  # a function it calls
    assert _fingerprint_of(tmp_path, MODULE_A, MODULE_B.replace("RATE = 0.5", "RATE = 0.25")) != base  # a constant


def test_fingerprint_is_the_same_wherever_the_checkout_is(tmp_path):
    """A clone in another folder (CI clones under /check) computes the fingerprints the manifest records."""
    copy = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "lectures_lib", copy / "lectures_lib", ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import json, lectures_lib; from lectures_lib import recipes, trained; print(json.dumps("
            "[lectures_lib.__file__, {n: trained.code_fingerprint(n) for n in recipes.RECIPES}]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=copy, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(copy)})
    where, there = json.loads(out.stdout)
    assert Path(where).is_relative_to(copy)
    assert there == {n: trained.code_fingerprint(n) for n in recipes.RECIPES}


# --------------------------------------------------------------------------------------- live training
def _live_in_notebooks() -> set[str]:
    names = set()
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            names |= set(re.findall(r'trained\.train\("(\w+)"\)', "".join(cell["source"])))
    return names


RETRAINED_HERE = ["vae_ablations", "vae_latent8", "beta_vaes", "categorical_vae_reinforce",
                  "categorical_vae_equal_compute", "gan_straight_through", "gan_reinforce"]


def test_every_recipe_is_trained_live_by_a_notebook_or_here():
    assert _live_in_notebooks() | set(RETRAINED_HERE) == set(recipes.RECIPES)


@pytest.mark.parametrize("name", RETRAINED_HERE)
def test_training_live_reproduces_the_shipped_quality(name):
    result, _ = trained.train(name, progress=False)
    check = trained.compare(name, result)
    assert check.ok, str(check)
