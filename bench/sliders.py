"""Benchmark: how long one slider step takes to redraw each interactive demo (in the kernel).

Finds every ``make_*_demo`` builder in ``lectures_lib.demos``, builds it as the notebook does,
moves each slider through 12 values and records ``Demo.last_draw_ms`` (the draw plus the PNG
render).  Prints the median per demo; the target is <= 50 ms.  Browser round-trip times are
measured separately by the browser tests.

Run: ``make bench`` or ``.venv/bin/python bench/sliders.py``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys

import ipywidgets as w
import numpy as np

import lectures_lib.demos

STEPS = 12
TARGET_MS = 50.0


def builders():
    for info in pkgutil.iter_modules(lectures_lib.demos.__path__):
        module = importlib.import_module(f"lectures_lib.demos.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("make_") and name.endswith("_demo") and fn.__module__ == module.__name__:
                yield f"{info.name}.{name}", fn


def build(fn):
    """Call a builder with its defaults, passing the arguments some of them require.

    A model argument gets a freshly initialised (untrained) model: decoding costs the same.  The GAN demo gets the
    shipped training histories and the target chain, as notebook 08 passes them.
    """
    from lectures_lib import recipes, trained
    from lectures_lib.vae import VAE

    required = {name for name, p in inspect.signature(fn).parameters.items() if p.default is inspect.Parameter.empty}
    known = {"rng": lambda: np.random.default_rng(0), "vae": lambda: VAE(np.random.default_rng(0)),
             "histories": lambda: {e: trained.load(f"gan_{e}")["history"] for e in ("straight_through", "reinforce")},
             "target": recipes.gan_chain}
    return fn(**{name: known[name]() for name in required if name in known})


def step_values(control) -> list:
    if isinstance(control, w.Checkbox):
        return [not control.value, control.value] * (STEPS // 2)
    if hasattr(control, "options"):
        return [control.options[i % len(control.options)] for i in range(STEPS)]
    values = np.linspace(control.min, control.max, STEPS)
    return [int(v) for v in values] if isinstance(control, w.IntSlider) else list(values)


def main() -> int:
    worst = 0.0
    print(f"median redraw per slider step ({STEPS} steps per control), target <= {TARGET_MS:.0f} ms")
    for name, fn in builders():
        try:
            demo = build(fn)
        except TypeError as exc:  # a builder that needs data the notebook computes first
            print(f"  {name:<60s} not benchmarked: {exc}")
            continue
        times = []
        for control in demo.sliders.values():
            for value in step_values(control):
                if value != control.value:
                    control.value = value
                    times.append(demo.last_draw_ms)
        median = float(np.median(times))
        worst = max(worst, median)
        print(f"  {name:<60s} {median:6.1f} ms  (max {max(times):6.1f} ms, {len(times)} redraws)")
    print(f"slowest median: {worst:.1f} ms -> target {'met' if worst <= TARGET_MS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
