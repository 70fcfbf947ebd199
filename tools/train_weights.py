"""Train the recipes of lectures_lib.recipes once and ship their weights (``make weights``).

    python -m tools.train_weights                 # every recipe: lectures_lib/weights/<name>.npz + manifest.json
    python -m tools.train_weights --only vae gan_reinforce
    python -m tools.train_weights --check         # exit 1 if a shipped file is stale; trains nothing

The manifest records, per run: the file's sha256 (``trained.load`` refuses a file that differs), the fingerprint of
the training code and the sha256 of the digits it read (``tests/test_trained.py`` fails when either changed without
a rebuild), the quality the run reached (what the notebooks' live cells compare against), and how long it took.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lectures_lib import recipes, trained  # noqa: E402


def simd_level() -> str:
    """The SIMD extensions NumPy dispatches to on this CPU (e.g. "X86_V3" = AVX2, "X86_V4" = AVX-512)."""
    import numpy as np

    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy < 2
        return "unknown"
    return " ".join(f for f in __cpu_dispatch__ if __cpu_features__.get(f)) or f"baseline ({np.__version__})"


def stale(name: str, entry: dict | None, data: str) -> list[str]:
    """Why the shipped run ``name`` does not match the code and data (empty: it does)."""
    if entry is None:
        return ["not built"]
    why = []
    path = trained.WEIGHTS / entry["file"]
    if not path.exists() or trained.sha256_file(path) != entry["sha256"]:
        why.append(f"{entry['file']} differs from its recorded sha256")
    if entry["code"] != trained.code_fingerprint(name):
        why.append("the training code changed (lectures_lib/recipes.py or a function it calls)")
    if entry["data"] != data:
        why.append("the digits changed")
    return why


def build(name: str, data: str) -> dict:
    import numpy as np

    start, cpu = time.perf_counter(), time.process_time()
    result = recipes.RECIPES[name](progress=False)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    path = trained.save(name, result)
    return {"file": path.name, "sha256": trained.sha256_file(path), "bytes": path.stat().st_size,
            "code": trained.code_fingerprint(name), "data": data, "quality": trained.quality(name, result),
            "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
            "built_with": {"python": platform.python_version(), "numpy": np.__version__,
                           "machine": platform.machine(), "simd": simd_level()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(recipes.RECIPES), help="recipes to train (default all)")
    parser.add_argument("--check", action="store_true", help="report stale runs and exit 1 if any; train nothing")
    args = parser.parse_args(argv)
    data, manifest = trained.data_sha256(), trained.manifest()
    if args.check:
        problems = {n: stale(n, manifest["runs"].get(n), data) for n in recipes.RECIPES}
        for name, why in problems.items():
            print(f"{name:32s} {'stale: ' + '; '.join(why) if why else 'up to date'}")
        return 1 if any(problems.values()) else 0
    for name in args.only or list(recipes.RECIPES):
        entry = manifest["runs"][name] = build(name, data)
        print(f"{name:32s} {entry['seconds']:6.1f} s, {entry['bytes'] / 1e3:6.0f} kB, "
              + ", ".join(f"{m} {v:.3f}" for m, v in entry["quality"].items()), flush=True)
    manifest["runs"] = {n: manifest["runs"][n] for n in recipes.RECIPES if n in manifest["runs"]}
    trained.MANIFEST.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
